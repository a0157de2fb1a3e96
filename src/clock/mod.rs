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

    /// Today in every zone now (a pinned date stays pinned).
    pub fn today_everywhere(&self) -> Today {
        match self {
            Clock::Fixed(date) => Today::pinned(*date),
            _ => Today::at(self.now(), self.server_zone()),
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

/// "Today" in every time zone at one instant: what a list needs to tell, for each challenge in
/// it, whether its deadline has passed where its days are counted (its own zone), in one query
/// over challenges of many zones (see [`Clock::today_everywhere`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Today {
    now: DateTime<Utc>,
    /// A pinned date (`CHALLENGE_BOT_TODAY`) is the date in every zone.
    pinned: Option<NaiveDate>,
    /// The zone of a challenge that has none of its own (the server's).
    server: Tz,
}

impl Today {
    /// The same date in every zone (tests and demos that pin a date).
    pub fn pinned(date: NaiveDate) -> Today {
        Today { now: date.and_time(chrono::NaiveTime::MIN).and_utc(), pinned: Some(date), server: Tz::UTC }
    }

    /// The dates at `now`; a challenge without a zone counts its days in `server`.
    pub fn at(now: DateTime<Utc>, server: Tz) -> Today {
        Today { now, pinned: None, server }
    }

    /// The date in `zone` (`None`: the server's).
    pub fn in_zone(&self, zone: Option<Tz>) -> NaiveDate {
        match self.pinned {
            Some(date) => date,
            None => self.now.with_timezone(&zone.unwrap_or(self.server)).date_naive(),
        }
    }

    /// The earliest and the latest date any zone can have now: a deadline outside this span has
    /// passed, or not, in every zone alike. Zones run from UTC−12 to UTC+14; an hour more on
    /// each side costs nothing but a wider span.
    pub fn span(&self) -> (NaiveDate, NaiveDate) {
        match self.pinned {
            Some(date) => (date, date),
            None => (
                (self.now - TimeDelta::hours(13)).date_naive(),
                (self.now + TimeDelta::hours(15)).date_naive(),
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_zone_s_date_lies_within_the_span() {
        let starts =
            ["2026-12-01T00:00:00Z", "2026-12-01T10:30:00Z", "2026-12-01T11:59:00Z", "2026-03-29T23:45:00Z"];
        for start in starts {
            let now: DateTime<Utc> = start.parse().unwrap();
            for minutes in (0..24 * 60).step_by(15) {
                let today = Today::at(now + TimeDelta::minutes(minutes), Tz::UTC);
                let (earliest, latest) = today.span();
                for zone in chrono_tz::TZ_VARIANTS {
                    let date = today.in_zone(Some(zone));
                    assert!(earliest <= date && date <= latest, "{zone} at {start} +{minutes} min: {date}");
                }
            }
        }
    }

    #[test]
    fn a_zone_without_one_counts_in_the_server_s_and_a_pinned_date_everywhere() {
        let now: DateTime<Utc> = "2026-12-01T23:30:00Z".parse().unwrap();
        let today = Today::at(now, chrono_tz::Pacific::Honolulu);
        assert_eq!(today.in_zone(None).to_string(), "2026-12-01");
        assert_eq!(today.in_zone(Some(chrono_tz::Europe::Berlin)).to_string(), "2026-12-02");
        let pinned = Today::pinned("2026-12-01".parse().unwrap());
        assert_eq!(pinned.in_zone(Some(chrono_tz::Pacific::Kiritimati)).to_string(), "2026-12-01");
        assert_eq!(pinned.span(), (pinned.in_zone(None), pinned.in_zone(None)));
        assert_eq!(Clock::Fixed("2026-12-01".parse().unwrap()).today_everywhere(), pinned);
    }
}
