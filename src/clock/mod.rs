//! "Today" for deadlines and progress dates.
//!
//! Every rule about dates takes `today` as an argument, so the domain is testable without a
//! clock. The application gets it from a [`Clock`]: the system time in the configured time zone,
//! or a fixed date for tests and demos (`CHALLENGE_BOT_TODAY`).

mod typed;

use chrono::{DateTime, NaiveDate, Utc};
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
}

impl Clock {
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System(tz) => Utc::now().with_timezone(tz).date_naive(),
            Clock::Fixed(date) => *date,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System(_) => Utc::now(),
            Clock::Fixed(date) => date.and_time(Utc::now().time()).and_utc(),
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
