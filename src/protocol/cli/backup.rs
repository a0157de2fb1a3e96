//! `challenge-bot backup FILE` and `challenge-bot restore FILE --into PATH`: a consistent copy of
//! the SQLite database while the bot runs, and a new database from such a copy (see
//! [`crate::storage::backup`] for why `cp` is not enough). PostgreSQL is backed up with its own
//! tools, which these commands name.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::output::{Render, render};
use super::{CliError, Output};
use crate::config::Config;
use crate::storage::backup::{BackupError, CopyReport, backup_sqlite, restore_sqlite};
use crate::storage::{DatabaseUrl, redact_postgres_url};

#[derive(Args, Debug)]
#[command(after_help = "\
Takes a consistent copy while the bot runs (SQLite's VACUUM INTO), checks it, and never
overwrites a file. On PostgreSQL it exits with status 2 and prints the pg_dump command to use.

Examples:
  challenge-bot backup backups/challenge-bot-2026-11-30.db
  DATABASE_URL=sqlite://data/bot.db challenge-bot --json backup /var/backups/bot.db")]
pub struct BackupArgs {
    /// The new file to write (it must not exist yet)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Restores into a new SQLite file (a restore never replaces a database: stop the bot and move the
old file aside first), then brings the schema up to date if the backup is older.

Examples:
  challenge-bot restore backups/challenge-bot-2026-11-30.db --into challenge-bot.db
  DATABASE_URL=sqlite://restored.db challenge-bot challenge list")]
pub struct RestoreArgs {
    /// A file written by `challenge-bot backup`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where to create the restored database (it must not exist yet)
    #[arg(long, value_name = "PATH")]
    pub into: PathBuf,
}

/// JSON: `source` (the database copied), `path`, `bytes`, `challenges`, `participants`, `entries`.
#[derive(Serialize)]
struct Copied {
    source: String,
    #[serde(flatten)]
    report: CopyReport,
    /// "Backed up … to", "Restored … into".
    #[serde(skip)]
    verb: (&'static str, &'static str),
}

impl Render for Copied {
    fn human(&self) -> String {
        let r = &self.report;
        let plural =
            |n: i64, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
        format!(
            "{} {} {} {}: {}, {}, {} ({} KB). Checked: intact.\n",
            self.verb.0,
            self.source,
            self.verb.1,
            r.path.display(),
            plural(r.challenges, "challenge", "challenges"),
            plural(r.participants, "participant", "participants"),
            plural(r.entries, "entry", "entries"),
            r.bytes.div_ceil(1024),
        )
    }
}

impl BackupArgs {
    pub async fn run(self, config: &Config, json: bool) -> Result<Output, CliError> {
        let source = match &config.database {
            DatabaseUrl::Sqlite(path) => path.clone(),
            DatabaseUrl::Postgres(url) => {
                return Err(CliError::Usage(format!(
                    "backup copies the SQLite database; this one is PostgreSQL. Use its own tool, which \
                     also copies consistently while the bot runs: pg_dump --format=custom --file={} '{}' \
                     (restore with pg_restore --dbname=URL FILE).",
                    self.file.display(),
                    redact_postgres_url(url)
                )));
            }
        };
        let report = backup_sqlite(&source, &self.file).await.map_err(failed)?;
        let copied = Copied { source: source.display().to_string(), report, verb: ("Backed up", "to") };
        Ok(Output::changed(render(&copied, json)))
    }
}

impl RestoreArgs {
    pub async fn run(self, json: bool) -> Result<Output, CliError> {
        let report = restore_sqlite(&self.file, &self.into).await.map_err(failed)?;
        let copied = Copied { source: self.file.display().to_string(), report, verb: ("Restored", "into") };
        let mut text = render(&copied, json);
        if !json {
            text.push_str(&format!("Use it with DATABASE_URL=sqlite://{}\n", self.into.display()));
        }
        Ok(Output::changed(text))
    }
}

fn failed(error: BackupError) -> CliError {
    match error {
        BackupError::Storage(e) => CliError::Storage(e),
        e => CliError::Refused(e.to_string()),
    }
}
