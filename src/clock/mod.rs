//! "Today" for deadlines and progress dates, and "now" for what the bot does on its own.
//!
//! Every rule about dates takes `today` as an argument, so the domain is testable without a
//! clock. The application gets it from a [`Clock`]: the system time in the configured time zone,
//! the system time from a chosen instant on (`CHALLENGE_BOT_NOW`, for end-to-end tests of
//! reminders), a fixed date for tests and demos (`CHALLENGE_BOT_TODAY`), or a time a test moves
//! by hand. Within a person's turn "today" is in their own time zone ([`in_person_zone`]).

mod typed;

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

pub use typed::{DateError, DateSense, parse_date, parse_date_as, shapes};

/// The last date the program stores: both databases' date handling ends with the year 9999.
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("a date");

#[derive(Clone, Debug)]
pub enum Clock {
    /// The system clock, with "today" in the given time zone.
    System(Tz),
    /// A fixed calendar date; `now()` is that date at the current time of day (UTC).
    Fixed(NaiveDate),
    /// The system clock moved by `offset` (`CHALLENGE_BOT_NOW`: it starts at a chosen instant
    /// and runs on in real time), with "today" in `zone`.
    Shifted { offset: TimeDelta, zone: Tz },
    /// A clock a test moves by hand (see [`ManualTime`]), with "today" in the zone.
    Manual(ManualTime, Tz),
}

/// The instant of a [`Clock::Manual`], shared by its clones: the scheduler's tests set it and
/// advance it instead of sleeping.
#[derive(Clone, Debug)]
pub struct ManualTime(Arc<Mutex<DateTime<Utc>>>);

impl ManualTime {
    pub fn new(at: DateTime<Utc>) -> ManualTime {
        ManualTime(Arc::new(Mutex::new(at)))
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut at = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *at += by;
    }
}

tokio::task_local! {
    /// The time zone of the person a turn is for: within [`in_person_zone`], "today" is theirs.
    static PERSON_ZONE: Tz;
}

/// Runs `work` with "today" in `zone` for every [`Clock`] read inside it (a turn for one person:
/// their entries, streaks and deadlines use their own day, without threading a zone through
/// every use case that asks for today).
pub async fn in_person_zone<F: Future>(zone: Tz, work: F) -> F::Output {
    PERSON_ZONE.scope(zone, work).await
}

/// The zone of the person this turn is for, if it is one (see [`in_person_zone`]).
pub fn person_zone() -> Option<Tz> {
    PERSON_ZONE.try_with(|zone| *zone).ok()
}

impl Clock {
    /// A clock that starts at `start` and runs on in real time.
    pub fn starting_at(start: DateTime<Utc>, zone: Tz) -> Clock {
        Clock::Shifted { offset: start - Utc::now(), zone }
    }

    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::Fixed(date) => *date,
            _ => self.now().with_timezone(&self.zone()).date_naive(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System(_) => Utc::now(),
            Clock::Fixed(date) => date.and_time(Utc::now().time()).and_utc(),
            Clock::Shifted { offset, .. } => Utc::now() + *offset,
            Clock::Manual(time, _) => time.now(),
        }
    }

    /// The zone "today" is counted in: the person's within [`in_person_zone`], else the
    /// clock's own (`CHALLENGE_BOT_TZ`).
    pub fn zone(&self) -> Tz {
        person_zone().unwrap_or_else(|| self.server_zone())
    }

    /// The clock's own zone, whoever the turn is for.
    pub fn server_zone(&self) -> Tz {
        match self {
            Clock::System(zone) | Clock::Shifted { zone, .. } | Clock::Manual(_, zone) => *zone,
            Clock::Fixed(_) => Tz::UTC,
        }
    }

    /// The date in `zone` now (a pinned date stays pinned).
    pub fn today_in(&self, zone: Tz) -> NaiveDate {
        match self {
            Clock::Fixed(date) => *date,
            _ => self.now().with_timezone(&zone).date_naive(),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::System(Tz::UTC)
    }
}

/// A date as people say it: "Mon 30 Nov" (the weekday makes "which day was that?" answer itself).
pub fn friendly_date(date: NaiveDate) -> String {
    date.format("%a %-d %b").to_string()
}

/// A date as people say it, relative to today where that is shorter: "today", "yesterday",
/// "Mon 23 Nov", and with the year when it is not this year's ("Fri 27 Nov 2025").
pub fn relative_date(date: NaiveDate, today: NaiveDate) -> String {
    use chrono::Datelike;
    if date == today {
        "today".to_owned()
    } else if Some(date) == today.pred_opt() {
        "yesterday".to_owned()
    } else if date.year() == today.year() {
        friendly_date(date)
    } else {
        date.format("%a %-d %b %Y").to_string()
    }
}
