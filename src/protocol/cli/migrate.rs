//! `challenge-bot migrate`: apply the missing migrations on demand (every other command applies
//! them by itself when it opens the database).

use clap::Args;
use serde::Serialize;

use super::output::{Render, render};
use super::{CliError, Output};
use crate::config::Config;
use crate::storage::{self, MigrationReport};

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  challenge-bot migrate
  DATABASE_URL=sqlite://data/bot.db challenge-bot migrate
  DATABASE_URL=postgres://bot:secret@localhost:5432/bot challenge-bot --json migrate")]
pub struct MigrateArgs {}

/// JSON: `database` (its URL, password hidden), `applied` (`version`, `description` of each
/// migration applied now, oldest first; empty if up to date) and `version` (the schema's latest).
#[derive(Serialize)]
#[serde(transparent)]
struct Migrated(MigrationReport);

impl Render for Migrated {
    fn human(&self) -> String {
        format!("{}\n", self.0)
    }
}

impl MigrateArgs {
    pub async fn run(self, config: &Config, json: bool) -> Result<Output, CliError> {
        let report = storage::migrate(&config.database).await?;
        let changed = !report.applied.is_empty();
        let text = render(&Migrated(report), json);
        Ok(if changed { Output::changed(text) } else { Output::read(text) })
    }
}
