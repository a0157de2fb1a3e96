//! Configuration shared by every command, from the environment (or the matching flags).
//!
//! | variable | flag | default |
//! | --- | --- | --- |
//! | `DATABASE_URL` | `--database-url` | `sqlite://challenge-bot.db` in the working directory |
//! | `CHALLENGE_BOT_TZ` | `--server-tz` | `UTC` |
//! | `CHALLENGE_BOT_TODAY` | `--today` | unset (the system clock) |
//! | `CHALLENGE_BOT_NOW` | `--now` | unset; an instant (`2026-12-01T08:59:30Z`) the clock starts at and runs on from; wins over `CHALLENGE_BOT_TODAY` |
//!
//! [`ConfigArgs`] is what clap reads (raw text, so that a bad value is reported by us, in one
//! line naming the variable, and a database password never ends up in a clap error); [`Config`]
//! is the checked result. Settings that only one command needs (the bot's `TELEGRAM_*`) belong
//! in that command's own `Args` struct, flattened next to it, and are resolved the same way:
//! raw strings from clap, then a `resolve` that returns a [`ConfigError`] naming the variable.

use std::ffi::OsString;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use clap::Args;
use clap::parser::ValueSource;

use crate::clock::{self, Clock};
use crate::storage::DatabaseUrl;

pub const DATABASE_URL: &str = "DATABASE_URL";
pub const TIME_ZONE: &str = "CHALLENGE_BOT_TZ";
pub const TODAY: &str = "CHALLENGE_BOT_TODAY";
pub const NOW: &str = "CHALLENGE_BOT_NOW";

/// The common settings as given (environment variables or flags), not yet checked.
#[derive(Args, Clone, Default)]
#[command(next_help_heading = "Configuration")]
pub struct ConfigArgs {
    /// Where data is kept: postgres://USER:PASSWORD@HOST:PORT/DB, or sqlite://PATH (created if
    /// missing) [default: sqlite://challenge-bot.db]
    #[arg(long = "database-url", env = DATABASE_URL, value_name = "URL", global = true, hide_env_values = true,
          value_parser = clap::value_parser!(OsString))]
    pub database_url: Option<OsString>,

    /// IANA time zone that decides what "today" is for people who set none, e.g. Europe/Berlin
    /// [default: UTC] (`--tz` of `user set` is a person's own)
    #[arg(long = "server-tz", env = TIME_ZONE, value_name = "ZONE", global = true, value_parser = clap::value_parser!(OsString))]
    pub time_zone: Option<OsString>,

    /// Pin "today" to a date (YYYY-MM-DD), for tests and demos
    #[arg(long = "today", env = TODAY, value_name = "YYYY-MM-DD", global = true,
          value_parser = clap::value_parser!(OsString))]
    pub today: Option<OsString>,

    /// Start the clock at an instant (RFC 3339, e.g. 2026-12-01T08:59:30Z) and let it run on,
    /// for tests and demos of reminders; wins over --today
    #[arg(long = "now", env = NOW, value_name = "INSTANT", global = true,
          value_parser = clap::value_parser!(OsString))]
    pub now: Option<OsString>,
}

/// Never shows the database URL as typed: it may hold a password.
impl fmt::Debug for ConfigArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigArgs")
            .field("database_url", &self.database_url.as_ref().map(|_| "<redacted>"))
            .field("time_zone", &self.time_zone)
            .field("today", &self.today)
            .field("now", &self.now)
            .finish()
    }
}

/// The checked configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub database: DatabaseUrl,
    pub clock: Clock,
}

/// A setting that cannot be used. `Display` is one line naming the setting (never a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    /// The variable (or flag, if it was given as one).
    pub name: String,
    pub problem: String,
}

/// Where a setting came from, to name it in errors: the variable, or the flag if it was typed.
pub type SourceOf<'a> = &'a dyn Fn(&str) -> Option<ValueSource>;

impl ConfigArgs {
    /// Checks the settings. `source` tells, for a field id (`database_url`, `time_zone`,
    /// `today`), whether it came from the command line; pass `&|_| None` when unknown.
    pub fn resolve(&self, source: SourceOf<'_>) -> Result<Config, ConfigError> {
        let label = |id: &str, flag: &str, var: &str| match source(id) {
            Some(ValueSource::CommandLine) => flag.to_owned(),
            _ => var.to_owned(),
        };
        // Unset or empty: the default. Set to blanks, or to bytes that are not text: a mistake
        // worth saying, not a silent default.
        let given =
            |v: &Option<OsString>, id: &str, flag: &str, var: &str| -> Result<Option<String>, ConfigError> {
                let Some(raw) = v else { return Ok(None) };
                let name = label(id, flag, var);
                let Some(text) = raw.to_str() else {
                    return Err(ConfigError { name, problem: "is not valid UTF-8 text.".into() });
                };
                if text.is_empty() {
                    return Ok(None);
                }
                if text.trim().is_empty() {
                    return Err(ConfigError {
                        name,
                        problem: "is blank: unset it to use the default, or give a value.".into(),
                    });
                }
                Ok(Some(text.trim().to_owned()))
            };

        let database = match given(&self.database_url, "database_url", "--database-url", DATABASE_URL)? {
            None => DatabaseUrl::default(),
            Some(text) => DatabaseUrl::parse(&text).map_err(|e| ConfigError {
                name: label("database_url", "--database-url", DATABASE_URL),
                problem: e.to_string(),
            })?,
        };

        let zone = match given(&self.time_zone, "time_zone", "--server-tz", TIME_ZONE)? {
            None => Tz::UTC,
            Some(text) => parse_time_zone(&text).map_err(|problem| ConfigError {
                name: label("time_zone", "--server-tz", TIME_ZONE),
                problem,
            })?,
        };

        let today = given(&self.today, "today", "--today", TODAY)?;
        let clock = match (given(&self.now, "now", "--now", NOW)?, today) {
            (Some(text), _) => Clock::starting_at(
                parse_instant(&text)
                    .map_err(|problem| ConfigError { name: label("now", "--now", NOW), problem })?,
                zone,
            ),
            (None, None) => Clock::System(zone),
            (None, Some(text)) => Clock::Fixed(
                parse_fixed_today(&text, &Clock::System(zone))
                    .map_err(|problem| ConfigError { name: label("today", "--today", TODAY), problem })?,
            ),
        };

        Ok(Config { database, clock })
    }
}

/// An IANA zone name such as `Europe/Berlin` (or `UTC`).
pub fn parse_time_zone(text: &str) -> Result<Tz, String> {
    text.parse::<Tz>().map_err(|_| {
        let shown = crate::text::shown(text, 60);
        format!("\"{shown}\" is not a known time zone: use an IANA name such as Europe/Berlin, America/New_York or UTC.")
    })
}

/// The instant a clock starts at: RFC 3339 with an offset (`2026-12-01T08:59:30Z`).
fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text).map(|at| at.with_timezone(&Utc)).map_err(|_| {
        let shown = crate::text::shown(text, 60);
        format!(
            "\"{shown}\" is not an instant: give one as 2026-12-01T08:59:30Z (RFC 3339, with its offset)."
        )
    })
}

/// A pinned "today": a calendar date typed as YYYY-MM-DD.
fn parse_fixed_today(text: &str, system: &Clock) -> Result<NaiveDate, String> {
    clock::parse_date(text, system.today()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(db: Option<&str>, tz: Option<&str>, today: Option<&str>) -> ConfigArgs {
        ConfigArgs {
            database_url: db.map(OsString::from),
            time_zone: tz.map(OsString::from),
            today: today.map(OsString::from),
            now: None,
        }
    }

    #[test]
    fn now_starts_a_running_clock_and_wins_over_today() {
        let mut given = args(None, Some("Europe/Berlin"), Some("2026-11-29"));
        given.now = Some(OsString::from("2026-12-01T22:59:30Z"));
        let config = given.resolve(&|_| None).unwrap();
        let now = config.clock.now();
        let start: DateTime<Utc> = "2026-12-01T22:59:30Z".parse().unwrap();
        assert!(now >= start && now - start < chrono::TimeDelta::seconds(60), "{now}");
        assert_eq!(config.clock.today(), NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), "23:59 in Berlin");
        given.now = Some(OsString::from("tomorrow"));
        let e = given.resolve(&|_| Some(ValueSource::CommandLine)).unwrap_err();
        assert_eq!(e.name, "--now");
        assert!(e.problem.contains("2026-12-01T08:59:30Z"), "{e}");
    }

    #[test]
    fn defaults() {
        let config = args(None, None, None).resolve(&|_| None).unwrap();
        assert_eq!(config.database, DatabaseUrl::default());
        assert!(matches!(config.clock, Clock::System(Tz::UTC)));
        let config = args(Some(""), Some(""), Some("")).resolve(&|_| None).unwrap();
        assert_eq!(config.database, DatabaseUrl::default(), "empty means unset");
        let e = args(Some("  "), None, None).resolve(&|_| None).unwrap_err();
        assert_eq!(e.name, DATABASE_URL, "blanks are a mistake, not the default");
        assert!(e.problem.contains("blank"), "{e}");
    }

    #[test]
    fn values() {
        let config = args(Some("sqlite://x.db"), Some("Europe/Berlin"), Some("2026-11-29"))
            .resolve(&|_| None)
            .unwrap();
        assert_eq!(config.database, DatabaseUrl::Sqlite("x.db".into()));
        assert_eq!(config.clock.today(), NaiveDate::from_ymd_opt(2026, 11, 29).unwrap());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let e = args(None, Some("Mars/Base"), None).resolve(&|_| None).unwrap_err();
        assert_eq!(e.name, TIME_ZONE);
        assert!(e.problem.contains("Mars/Base"), "{e}");
        let e =
            args(None, None, Some("2027-02-29")).resolve(&|_| Some(ValueSource::CommandLine)).unwrap_err();
        assert_eq!(e.name, "--today");
        assert!(e.to_string().contains("not a date on the calendar"), "{e}");
        let e = args(Some("mysql://u:secret@h/db"), None, None).resolve(&|_| None).unwrap_err();
        assert_eq!(e.name, DATABASE_URL);
        assert!(!e.to_string().contains("secret"), "{e}");
        assert!(!format!("{:?}", args(Some("postgres://u:secret@h/db"), None, None)).contains("secret"));
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let mut bad = args(None, None, None);
            bad.time_zone = Some(OsString::from_vec(vec![b'E', 0xff]));
            let e = bad.resolve(&|_| None).unwrap_err();
            assert_eq!(e.name, TIME_ZONE);
            assert!(e.problem.contains("UTF-8"), "{e}");
        }
        let e = args(None, Some("\u{1b}[2J"), None).resolve(&|_| None).unwrap_err();
        assert!(!e.to_string().contains('\u{1b}'), "{e}");
    }
}
