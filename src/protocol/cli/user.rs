//! `challenge-bot user delete`: the operator's way to delete everything kept about a person
//! (what `/deleteme` does in the chat), for a request that came another way; `user set --tz`:
//! a person's time zone (what `/settings` sets in the chat).

use clap::{Args, Subcommand};
use serde::Serialize;

use super::args;
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::storage::Access;

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Delete everything kept about a person: entries, participations, name, settings, unsent
    /// messages to them. Challenges they share with others go to the participant who joined
    /// first after them; those only they are in are deleted.
    Delete(DeleteArgs),
    /// Set a person's time zone: their "today" for entries and streaks, and the hour of their
    /// reminders
    Set(SetArgs),
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  challenge-bot user set 2 --tz Europe/Berlin\n  challenge-bot user set 2 --tz Tokyo"
)]
pub struct SetArgs {
    /// The person's user id (their Telegram id)
    #[arg(value_name = "USER_ID")]
    pub id: String,
    /// An IANA time zone (Europe/Berlin) or a city of the tz database (Berlin)
    #[arg(long = "tz", value_name = "ZONE")]
    pub tz: String,
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  challenge-bot user delete 2\n  challenge-bot --json user delete 2")]
pub struct DeleteArgs {
    /// The person's user id (their Telegram id)
    #[arg(value_name = "USER_ID")]
    pub id: String,
}

impl UserCommand {
    pub async fn run(self, config: &Config, json: bool) -> Result<Output, CliError> {
        match self {
            UserCommand::Delete(a) => delete(a, config, json).await,
            UserCommand::Set(a) => set(a, config, json).await,
        }
    }
}

#[derive(Serialize)]
struct ZoneSet {
    user: i64,
    time_zone: String,
}

async fn set(a: SetArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let user = args::user_id(&a.id)?;
    let zone = crate::reminder::parse_zone(&a.tz).map_err(|e| CliError::input("--tz", e))?;
    let session = Session::open(config, Access::Existing).await?;
    session.app.set_time_zone(user, zone).await.map_err(session.refused(Some(user)))?;
    let shown = ZoneSet { user: user.0, time_zone: zone.name().to_owned() };
    if json {
        return Ok(Output::changed(serde_json::to_string_pretty(&shown).expect("serializes") + "\n"));
    }
    Ok(Output::changed(format!("User {}'s time zone is now {}.\n", user.0, zone.name())))
}

#[derive(Serialize)]
struct Deleted {
    user: i64,
    participations: u64,
    entries: u64,
    /// Challenges handed over: (challenge id, its new creator).
    handed_over: Vec<HandedOver>,
    deleted_challenges: Vec<i64>,
}

#[derive(Serialize)]
struct HandedOver {
    challenge: i64,
    to: i64,
}

async fn delete(a: DeleteArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let user = args::user_id(&a.id)?;
    let session = Session::open(config, Access::Existing).await?;
    let gone = session.app.delete_person(user).await.map_err(session.refused(Some(user)))?;
    let d = gone.deleted;
    let shown = Deleted {
        user: user.0,
        participations: d.participations,
        entries: d.entries,
        handed_over: d.handed_over.iter().map(|(c, to)| HandedOver { challenge: c.0, to: to.0 }).collect(),
        deleted_challenges: d.deleted.iter().map(|c| c.0).collect(),
    };
    if json {
        return Ok(Output::changed(serde_json::to_string_pretty(&shown).expect("serializes") + "\n"));
    }
    let mut text = format!(
        "Deleted everything kept about user {}: {} {} in {} {}, the name and settings.\n",
        user.0,
        d.entries,
        if d.entries == 1 { "entry" } else { "entries" },
        d.participations,
        if d.participations == 1 { "challenge" } else { "challenges" },
    );
    for h in &shown.handed_over {
        text.push_str(&format!("Challenge #{} now belongs to user {}.\n", h.challenge, h.to));
    }
    for id in &shown.deleted_challenges {
        text.push_str(&format!("Challenge #{id} (only they were in it) was deleted.\n"));
    }
    Ok(Output::changed(text))
}
