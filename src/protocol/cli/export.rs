//! `challenge export ID` and `progress export --user ID`: entries as CSV (the default) or JSON,
//! on stdout or into a file (see [`crate::progress::export`] for the columns).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::args;
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::progress::export::{self, ExportFormat};
use crate::storage::Access;

/// `--format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

impl From<Format> for ExportFormat {
    fn from(format: Format) -> ExportFormat {
        match format {
            Format::Csv => ExportFormat::Csv,
            Format::Json => ExportFormat::Json,
        }
    }
}

#[derive(Args, Debug)]
#[command(after_help = "\
Columns: challenge_id, challenge, name, date, value (a check-in is 1), unit, logged_at (UTC).
People are named by their display names, never by their ids.

Examples:
  challenge-bot challenge export 1 > run.csv
  challenge-bot challenge export 1 --format json --out run.json")]
pub struct ChallengeExportArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write into this file (replaced if it exists) instead of printing
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Columns: challenge_id, challenge, date, value (a check-in is 1), unit, logged_at (UTC).

Examples:
  challenge-bot progress export --user 2 > mine.csv
  challenge-bot progress export --user 2 --format json --out mine.json")]
pub struct ProgressExportArgs {
    /// Whose entries (a user id)
    #[arg(long, value_name = "ID")]
    pub user: String,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Write into this file (replaced if it exists) instead of printing
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub async fn challenge(a: ChallengeExportArgs, config: &Config) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let session = Session::open(config, Access::Existing).await?;
    let (_, entries) = session.app.challenge_entries(id).await.map_err(session.refused(None))?;
    deliver(export::write(&entries, a.format.into(), true), entries.len(), a.out)
}

pub async fn progress(a: ProgressExportArgs, config: &Config) -> Result<Output, CliError> {
    let user = args::user_id(&a.user)?;
    let session = Session::open(config, Access::Existing).await?;
    let entries = session.app.user_entries(user).await.map_err(session.refused(Some(user)))?;
    deliver(export::write(&entries, a.format.into(), false), entries.len(), a.out)
}

/// The export on stdout, or written into `out` with a line saying so.
fn deliver(bytes: Vec<u8>, rows: usize, out: Option<PathBuf>) -> Result<Output, CliError> {
    match out {
        None => Ok(Output::read(String::from_utf8_lossy(&bytes).into_owned())),
        Some(path) => {
            std::fs::write(&path, &bytes)
                .map_err(|e| CliError::Unavailable(format!("Could not write {}: {e}", path.display())))?;
            let entries = if rows == 1 { "1 entry".to_owned() } else { format!("{rows} entries") };
            Ok(Output::changed(format!("Wrote {entries} to {}.\n", path.display())))
        }
    }
}
