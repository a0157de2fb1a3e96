//! `challenge-bot reminder set|off|list`: a person's daily reminder from a shell (what
//! `/settings` → Reminder does in the chat). The bot sends it; these only change the settings.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::args;
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::handler::app::Covers;
use crate::reminder::{Settings, TimeOfDay};
use crate::storage::Access;

#[derive(Subcommand, Debug)]
pub enum ReminderCommand {
    /// Remind a person daily at an hour of their time zone, for all their challenges or
    /// (with --challenge, once per challenge) chosen ones
    Set(SetArgs),
    /// Turn a person's reminders off
    Off(UserArgs),
    /// Show a person's reminder settings and when the next reminder falls
    List(UserArgs),
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  challenge-bot reminder set 2 --at 07:30\n  challenge-bot reminder set 2 --at 20:00 --challenge 5"
)]
pub struct SetArgs {
    /// The person's user id (their Telegram id)
    #[arg(value_name = "USER_ID")]
    pub id: String,
    /// The time of day, HH:MM on the 24-hour clock, in the person's time zone
    #[arg(long = "at", value_name = "HH:MM")]
    pub at: String,
    /// Remind of this challenge (added to those chosen before); without it, of all of theirs
    #[arg(long = "challenge", value_name = "CHALLENGE_ID")]
    pub challenge: Option<String>,
}

#[derive(Args, Debug)]
pub struct UserArgs {
    /// The person's user id (their Telegram id)
    #[arg(value_name = "USER_ID")]
    pub id: String,
}

impl ReminderCommand {
    pub async fn run(self, config: &Config, json: bool) -> Result<Output, CliError> {
        match self {
            ReminderCommand::Set(a) => set(a, config, json).await,
            ReminderCommand::Off(a) => off(a, config, json).await,
            ReminderCommand::List(a) => list(a, config, json).await,
        }
    }
}

/// A person's reminder settings as shown.
#[derive(Serialize)]
struct Shown {
    user: i64,
    time_zone: String,
    /// HH:MM, or null when off.
    remind_at: Option<String>,
    /// The challenges covered; empty: all of theirs.
    challenges: Vec<i64>,
    paused: bool,
    /// When the next reminder falls (UTC, RFC 3339), if it is on.
    next: Option<String>,
}

fn shown(session: &Session, user: crate::user::UserId, settings: &Settings) -> Shown {
    let zone = settings.zone_or(session.app.server_zone());
    let next = settings
        .remind_at
        .filter(|_| !settings.paused)
        .map(|at| at.next_after(zone, session.app.now()).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    Shown {
        user: user.0,
        time_zone: zone.name().to_owned(),
        remind_at: settings.remind_at.map(|t| t.to_string()),
        challenges: settings.chosen.iter().map(|c| c.0).collect(),
        paused: settings.paused,
        next,
    }
}

fn render(s: &Shown, json: bool) -> String {
    if json {
        return serde_json::to_string_pretty(s).expect("serializes") + "\n";
    }
    let Some(at) = &s.remind_at else {
        return format!("User {}: reminders are off (time zone {}).\n", s.user, s.time_zone);
    };
    let covers = if s.challenges.is_empty() {
        "all their challenges".to_owned()
    } else {
        let ids: Vec<String> = s.challenges.iter().map(|c| format!("#{c}")).collect();
        format!("challenges {}", ids.join(", "))
    };
    let mut text = format!("User {}: daily at {at} ({}), for {covers}", s.user, s.time_zone);
    match (&s.next, s.paused) {
        (_, true) => text.push_str("; paused until they write to the bot (they had blocked it)"),
        (Some(next), false) => text.push_str(&format!("; next {next}")),
        (None, false) => {}
    }
    text.push_str(".\n");
    text
}

async fn set(a: SetArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let user = args::user_id(&a.id)?;
    let at = TimeOfDay::parse(&a.at).map_err(|e| CliError::input("--at", e))?;
    let challenge = a.challenge.as_deref().map(args::challenge_id).transpose()?;
    let session = Session::open(config, Access::Existing).await?;
    let settings = session
        .app
        .set_reminder(user, at, challenge.map_or(Covers::All, Covers::Also))
        .await
        .map_err(session.refused(Some(user)))?;
    Ok(Output::changed(render(&shown(&session, user, &settings), json)))
}

async fn off(a: UserArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let user = args::user_id(&a.id)?;
    let session = Session::open(config, Access::Existing).await?;
    let settings = session.app.reminders_off(user).await.map_err(session.refused(Some(user)))?;
    Ok(Output::changed(render(&shown(&session, user, &settings), json)))
}

async fn list(a: UserArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let user = args::user_id(&a.id)?;
    let session = Session::open(config, Access::Existing).await?;
    let settings = session.app.settings(user).await.map_err(session.refused(Some(user)))?;
    Ok(Output::read(render(&shown(&session, user, &settings), json)))
}
