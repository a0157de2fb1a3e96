//! `challenge-bot progress add | list` (and `edit | delete`, in [`super::entries`]).

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::args::{self, name};
use super::output::{Align, ChallengeView, EntryView, Render, StatusView, Table, render, who, with_unit};
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::goal::{Goal, GoalKind};
use crate::handler::AppError;
use crate::progress::{ProgressDate, ProgressError};
use crate::storage::Access;

#[derive(Subcommand, Debug)]
pub enum ProgressCommand {
    /// Log progress: a value (or a check-in, for a days challenge) on a date
    Add(AddArgs),
    /// List what a participant logged, oldest first, with where they stand
    List(ListArgs),
    /// Change one of your entries: its value, its date or both
    Edit(super::entries::EditArgs),
    /// Delete one of your entries
    Delete(super::entries::DeleteArgs),
    /// A person's entries in every challenge, as CSV or JSON
    Export(super::export::ProgressExportArgs),
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Examples:
  challenge-bot progress add 1 --user 2 5.3                    # today
  challenge-bot progress add 1 --user 2 4 --date 2026-11-28
  challenge-bot progress add 3 --user 2                        # a check-in (days challenge)
  challenge-bot progress add 1 --user 2 5 --key run-2026-11-29  # stored once, however often sent

Exit status: 0 when the entry is stored (or was, under the same --key); 1 when it is refused,
with one line on stderr saying why (nothing is stored); 3 when it was stored but the output
could not be written (a retry with the same --key is safe: it stores nothing twice)."
)]
pub struct AddArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// The value: a positive number with up to 2 decimals (leave out for a days challenge)
    #[arg(value_name = "VALUE")]
    pub value: Option<String>,
    /// Who logs it (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// The day it counts for (2026-11-28, 28.11, 28 Nov, "yesterday", "mon"; without a year, the
    /// most recent one): not in the future, not before the challenge started [default: today]
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// Makes a retry safe: the same user, challenge, key and value store one entry however often
    /// they are sent (a key used before with another value is refused). 1–64 printable ASCII
    /// characters, spaces allowed inside
    #[arg(long, value_name = "KEY")]
    pub key: Option<String>,
    /// The name shown for --user on leaderboards
    #[arg(long = "user-name", visible_alias = "name", value_name = "TEXT")]
    pub user_name: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Examples:
  challenge-bot progress list 1 --user 2
  challenge-bot --json progress list 1 --user 2"
)]
pub struct ListArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// Whose progress (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// Record this name for --user, shown on leaderboards
    #[arg(long = "user-name", visible_alias = "name", value_name = "TEXT")]
    pub user_name: Option<String>,
}

impl ProgressCommand {
    pub async fn run(self, config: &Config, json: bool) -> Result<Output, CliError> {
        match self {
            ProgressCommand::Add(a) => add(a, config, json).await,
            ProgressCommand::List(a) => list(a, config, json).await,
            ProgressCommand::Edit(a) => super::entries::edit(a, config, json).await,
            ProgressCommand::Delete(a) => super::entries::delete(a, config, json).await,
            ProgressCommand::Export(a) => super::export::progress(a, config).await,
        }
    }
}

#[derive(Serialize)]
struct Added {
    challenge: ChallengeView,
    entry: EntryView,
    /// The key had been used before: nothing new was stored (`entry` is the one stored then).
    duplicate: bool,
    /// This entry reached the goal for the first time.
    completed_now: bool,
    /// This entry made the user the first to meet the challenge's own goal.
    first_to_finish: bool,
    #[serde(skip)]
    first_among_others: bool,
    status: StatusView,
    #[serde(skip)]
    who: String,
}

impl Render for Added {
    fn human(&self) -> String {
        let c = &self.challenge;
        let e = &self.entry;
        let mut out = String::new();
        if self.duplicate {
            let key = e.idempotency_key.as_deref().unwrap_or("");
            let _ = writeln!(out, "Already recorded with key {key}: nothing new was stored.");
        } else {
            match e.value {
                Some(v) => {
                    let _ = writeln!(
                        out,
                        "Logged {} for {} in challenge {} ({}).",
                        with_unit(v, c.unit()),
                        e.date,
                        c.title(),
                        self.who
                    );
                }
                None => {
                    let _ =
                        writeln!(out, "Checked in for {} in challenge {} ({}).", e.date, c.title(), self.who);
                }
            }
        }
        let _ = writeln!(out, "{}.", self.status.line(c));
        if self.completed_now {
            let detail = match c.kind {
                GoalKind::Total => format!("{} logged in total", with_unit(self.status.current, c.unit())),
                GoalKind::Days => format!("{} days checked in", self.status.current),
                GoalKind::AtLeast => format!(
                    "best {}, goal {}",
                    with_unit(self.status.current, c.unit()),
                    c.goal_text(self.status.goal)
                ),
                GoalKind::AtMost => format!(
                    "latest {}, goal {}",
                    with_unit(self.status.current, c.unit()),
                    c.goal_text(self.status.goal)
                ),
            };
            let _ = writeln!(out, "🎉 Goal reached! {} completed {} ({detail}).", self.who, c.title());
        }
        if self.first_among_others {
            let _ = writeln!(out, "🥇 {} is the first to reach the challenge's own goal.", self.who);
        }
        if !self.completed_now
            && let Some(at) = self.status.completed_at
        {
            let _ = writeln!(out, "Goal reached ✓ (since {}).", at.date_naive());
        }
        out
    }
}

async fn add(a: AddArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let today = config.clock.today();
    let id = args::challenge_id(&a.id)?;
    let user = args::user_id(&a.user)?;
    let user_name = args::display_name(a.user_name.as_deref(), user)?;
    let value = a.value.as_deref().map(|v| args::amount(name::VALUE, v)).transpose()?;
    let date = match a.date.as_deref() {
        Some(text) => args::date(name::DATE, text, today)?,
        None => today,
    };
    let key = args::idempotency_key(a.key.as_deref())?;

    let session = Session::open(config, Access::Existing).await?;
    let refused = session.refused(Some(user));
    let challenge = session.app.challenge(id).await.map_err(&refused)?;
    // The use case checks all of this again; checking here first names the argument at fault.
    let today = session.app.today();
    match ProgressDate::parse(date, challenge.start_date, challenge.deadline, today) {
        Ok(_) => {}
        Err(e @ ProgressError::ChallengeEnded { .. }) => return Err(CliError::Refused(e.to_string())),
        Err(e) => return Err(CliError::input(name::DATE, e)),
    }
    match (challenge.goal_kind.takes_values(), value) {
        (true, None) => return Err(CliError::input(name::VALUE, ProgressError::ValueMissing)),
        (false, Some(_)) => return Err(CliError::input(name::VALUE, ProgressError::ValueNotExpected)),
        _ => {}
    }
    let logged = session.app.add_progress(id, user, value, date, key).await.map_err(|e| match e {
        e @ AppError::KeyReused { .. } => CliError::input(name::KEY, e),
        other => refused(other),
    })?;
    session.remember(user, user_name.as_ref()).await?;
    let recorded = &logged.recorded;
    let view = Added {
        challenge: ChallengeView::new(&logged.challenge, today),
        entry: EntryView::from(&recorded.entry),
        duplicate: recorded.duplicate,
        completed_now: recorded.completed_now,
        first_to_finish: recorded.first_to_finish,
        first_among_others: logged.first_among_others,
        status: StatusView::new(logged.goal, &recorded.tally, recorded.completed_at),
        who: who(user, user_name.as_ref()),
    };
    Ok(Output::changed(render(&view, json)))
}

#[derive(Serialize)]
struct Listed {
    challenge: ChallengeView,
    user_id: i64,
    /// Oldest date first (ties: first recorded first).
    entries: Vec<EntryView>,
    status: StatusView,
    /// Place on the leaderboard (1 for the leader) and how many take part.
    rank: u32,
    participants: usize,
    #[serde(skip)]
    name: String,
}

impl Render for Listed {
    fn human(&self) -> String {
        let c = &self.challenge;
        let mut out =
            format!("Progress of {} (user {}) in challenge {}\n", self.name, self.user_id, c.title());
        if self.entries.is_empty() {
            out.push_str("Nothing logged yet.\n");
        } else {
            // The KEY column only when some entry has an idempotency key.
            let keys = self.entries.iter().any(|e| e.idempotency_key.is_some());
            let mut columns = vec![("ID", Align::Right), ("DATE", Align::Left), ("VALUE", Align::Right)];
            if keys {
                columns.push(("KEY", Align::Left));
            }
            let mut table = Table::new(&columns);
            for e in &self.entries {
                let mut row = vec![
                    e.id.to_string(),
                    e.date.to_string(),
                    e.value.map_or_else(|| "check-in".to_owned(), |v| with_unit(v, c.unit())),
                ];
                if keys {
                    row.push(e.idempotency_key.clone().unwrap_or_default());
                }
                table.row(row);
            }
            out.push_str(&table.render());
        }
        let _ = writeln!(out, "{}; rank {} of {}.", self.status.line(c), self.rank, self.participants);
        if let Some(at) = self.status.completed_at {
            let _ = writeln!(out, "Goal reached ✓ (since {}).", at.date_naive());
        }
        out
    }
}

async fn list(a: ListArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let user = args::user_id(&a.user)?;
    let user_name = args::display_name(a.user_name.as_deref(), user)?;
    let session = Session::open(config, Access::Existing).await?;
    let refused = session.refused(Some(user));
    let entries = session.app.progress(id, user).await.map_err(&refused)?;
    let overview = session.app.overview(id, Some(user)).await.map_err(&refused)?;
    let Some(me) = overview.me else {
        return Err(refused(AppError::NotParticipant(id)));
    };
    session.remember(user, user_name.as_ref()).await?;
    let participant = &me.standing.participant;
    let goal = Goal::from_stored(overview.challenge.goal_kind, participant.goal);
    let name = match &user_name {
        Some(n) => n.to_string(),
        None => super::output::display_name(me.standing.display_name.as_ref(), user),
    };
    let view = Listed {
        challenge: ChallengeView::new(&overview.challenge, session.app.today()),
        user_id: user.0,
        entries: entries.iter().map(EntryView::from).collect(),
        status: StatusView::new(goal, &me.standing.tally, participant.completed_at),
        rank: me.rank,
        participants: overview.leaderboard.len(),
        name,
    };
    Ok(Output::read(render(&view, json)))
}
