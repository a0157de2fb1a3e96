//! `challenge-bot progress edit | delete`: changing or deleting one of a person's own entries,
//! by the id `progress list` shows. The same use cases and rules as the chat's "My entries": the
//! entry must be the user's, the challenge must still take entries (up to the day of grace), and
//! the person's standing and completion are judged again with the change.

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;

use super::args::{self, name};
use super::output::{ChallengeView, EntryView, Render, StatusView, render, with_unit};
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::handler::{AppError, EntryChanged};
use crate::storage::Access;

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Examples:
  challenge-bot progress edit 12 --user 2 --value 5.5
  challenge-bot progress edit 12 --user 2 --date 2026-11-28
  challenge-bot progress list 1 --user 2    # shows each entry's ID"
)]
pub struct EditArgs {
    /// The entry's id (the ID column of `progress list`)
    #[arg(value_name = "ENTRY_ID")]
    pub entry: String,
    /// Whose entry (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// The new value: a positive number with up to 2 decimals (not for a days challenge)
    #[arg(long, value_name = "V")]
    pub value: Option<String>,
    /// The new day (2026-11-28, 28.11, 28 Nov, "yesterday", "mon"; without a year, the most
    /// recent one): within the challenge, not in the future
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Example:
  challenge-bot progress delete 12 --user 2"
)]
pub struct DeleteArgs {
    /// The entry's id (the ID column of `progress list`)
    #[arg(value_name = "ENTRY_ID")]
    pub entry: String,
    /// Whose entry (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
}

#[derive(Serialize)]
struct Changed {
    challenge: ChallengeView,
    /// The entry as it was.
    before: EntryView,
    /// The entry as it is now; `null` once deleted.
    entry: Option<EntryView>,
    status: StatusView,
}

impl Render for Changed {
    fn human(&self) -> String {
        let c = &self.challenge;
        let describe = |e: &EntryView| match e.value {
            Some(v) => format!("{} on {}", with_unit(v, c.unit()), e.date),
            None => format!("the check-in for {}", e.date),
        };
        let mut out = match &self.entry {
            Some(now) => {
                format!(
                    "Changed entry #{} in challenge {}: {} → {}.\n",
                    now.id,
                    c.title(),
                    describe(&self.before),
                    describe(now)
                )
            }
            None => format!(
                "Deleted entry #{} ({}) from challenge {}.\n",
                self.before.id,
                describe(&self.before),
                c.title()
            ),
        };
        let _ = writeln!(out, "{}.", self.status.line(c));
        if self.status.completed {
            let _ = writeln!(out, "Goal reached ✓");
        }
        out
    }
}

fn view(changed: &EntryChanged, deleted: bool, today: chrono::NaiveDate) -> Changed {
    Changed {
        challenge: ChallengeView::new(&changed.challenge, today),
        before: EntryView::from(&changed.before),
        entry: (!deleted).then(|| EntryView::from(&changed.rejudged.entry)),
        status: StatusView::new(changed.goal, &changed.rejudged.tally, changed.rejudged.completed_at),
    }
}

pub async fn edit(a: EditArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let today = config.clock.today();
    let entry = args::entry_id(&a.entry)?;
    let user = args::user_id(&a.user)?;
    let value = a.value.as_deref().map(|v| args::amount(name::VALUE_OPTION, v)).transpose()?;
    let date = a.date.as_deref().map(|d| args::date(name::DATE, d, today)).transpose()?;
    if value.is_none() && date.is_none() {
        return Err(CliError::Usage(
            "Nothing to change: give --value or --date (see challenge-bot progress edit --help).".into(),
        ));
    }
    let session = Session::open(config, Access::Existing).await?;
    let refused = session.refused(Some(user));
    let changed = session.app.edit_entry(user, entry, value, date).await.map_err(|e| match e {
        // Which argument is at fault: a value where none is taken, or a date out of bounds.
        AppError::Invalid(message) if date.is_some() && value.is_none() => {
            CliError::input(name::DATE, message)
        }
        AppError::Invalid(message) => CliError::Input { arg: name::VALUE_OPTION, message },
        e @ AppError::AlreadyCheckedIn { .. } => CliError::input(name::DATE, e),
        other => refused(other),
    })?;
    Ok(Output::changed(render(&view(&changed, false, session.app.today()), json)))
}

pub async fn delete(a: DeleteArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let entry = args::entry_id(&a.entry)?;
    let user = args::user_id(&a.user)?;
    let session = Session::open(config, Access::Existing).await?;
    let changed = session.app.delete_entry(user, entry).await.map_err(session.refused(Some(user)))?;
    Ok(Output::changed(render(&view(&changed, true, session.app.today()), json)))
}
