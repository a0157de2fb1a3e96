//! When reminders fall: an hour of the day in a person's time zone, turned into instants.
//!
//! Only the next instant of each person's reminder is stored (see [`super::Schedule`]); after it
//! fires, the next is computed from the settings again. So a schedule never grows with the days,
//! and a change of zone or hour takes effect at once.

use std::fmt;

use chrono::{DateTime, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// A time of day as people type it: `07:30`, `7:30`, `9.05` or `20` (the 24-hour clock).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

/// Why a typed time was not understood. `Display` is meant for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("That is not a time of day I can read: type it as HH:MM on the 24-hour clock, e.g. 07:30 or 20:00.")]
pub struct TimeError;

impl TimeOfDay {
    /// 20:00, when streaks at risk are checked.
    pub const STREAK_CHECK: TimeOfDay = TimeOfDay(20 * 60);
    /// The hour offered after a first join.
    pub const SUGGESTED: TimeOfDay = TimeOfDay(20 * 60);
    /// 07:00, when quiet hours end (see [`is_quiet`]).
    pub const QUIET_ENDS: TimeOfDay = TimeOfDay(7 * 60);

    pub fn new(hour: u32, minute: u32) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then(|| TimeOfDay((hour * 60 + minute) as u16))
    }

    pub fn parse(text: &str) -> Result<TimeOfDay, TimeError> {
        let text = text.trim();
        let (hour, minute) = match text.split_once([':', '.']) {
            Some((hour, minute)) if minute.len() == 2 => (hour, minute),
            Some(_) => return Err(TimeError),
            None => (text, "00"),
        };
        let digits = |s: &str| (1..=2).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(hour) || !digits(minute) {
            return Err(TimeError);
        }
        TimeOfDay::new(hour.parse().map_err(|_| TimeError)?, minute.parse().map_err(|_| TimeError)?)
            .ok_or(TimeError)
    }

    /// Minutes since midnight (as stored).
    pub fn minutes(self) -> u16 {
        self.0
    }

    pub fn from_minutes(minutes: i64) -> Option<TimeOfDay> {
        u16::try_from(minutes).ok().filter(|m| *m < 24 * 60).map(TimeOfDay)
    }

    pub fn hour(self) -> u32 {
        u32::from(self.0 / 60)
    }

    pub fn minute(self) -> u32 {
        u32::from(self.0 % 60)
    }

    fn naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(self.hour(), self.minute(), 0).expect("a time of day")
    }

    /// The first instant after `after` at which it is this time of day in `zone`. On the day
    /// clocks go forward past it (02:30 in Europe/Berlin on the last Sunday of March) it falls
    /// at the same distance after the gap (03:30); on the day they go back, at its first
    /// occurrence.
    pub fn next_after(self, zone: Tz, after: DateTime<Utc>) -> DateTime<Utc> {
        let mut date = after.with_timezone(&zone).date_naive();
        loop {
            let at = self.on(zone, date);
            if at > after {
                return at;
            }
            date = date.checked_add_days(Days::new(1)).expect("a date before the year 9999");
        }
    }

    /// The last instant at or before `now` at which it was this time of day in `zone` (what a
    /// reminder due at `now` stands for, however long the schedule waited).
    pub fn latest_by(self, zone: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = now.with_timezone(&zone).date_naive();
        let at = self.on(zone, today);
        if at <= now { at } else { self.on(zone, today.pred_opt().expect("a date after the year 1")) }
    }

    /// The instant it is this time of day on `date` in `zone` (see [`TimeOfDay::next_after`]).
    pub fn on(self, zone: Tz, date: NaiveDate) -> DateTime<Utc> {
        let local = date.and_time(self.naive());
        match zone.from_local_datetime(&local) {
            LocalResult::Single(at) => at.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
            // In a gap: the instant the wall clock would show had it not jumped, read with the
            // offset before the jump.
            LocalResult::None => {
                let before = zone.offset_from_utc_datetime(&(local - chrono::TimeDelta::hours(3)));
                let fixed =
                    chrono::offset::FixedOffset::east_opt(chrono::Offset::fix(&before).local_minus_utc())
                        .expect("an offset");
                fixed
                    .from_local_datetime(&local)
                    .single()
                    .expect("a fixed offset has no gaps")
                    .with_timezone(&Utc)
            }
        }
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// Quiet hours, 22:00 to 07:00 in the person's zone: nothing the bot sends on its own then,
/// except at an hour the person chose.
pub fn is_quiet(zone: Tz, at: DateTime<Utc>) -> bool {
    let hour = at.with_timezone(&zone).hour();
    !(u32::from(TimeOfDay::QUIET_ENDS.0 / 60)..22).contains(&hour)
}

/// A time zone as people type it: an IANA name (`Europe/Berlin`, any case) or a city of the tz
/// database (`Berlin`, `new york`, `Sao_Paulo`).
pub fn parse_zone(text: &str) -> Result<Tz, ZoneError> {
    let typed = text.trim();
    if let Ok(zone) = typed.parse::<Tz>() {
        return Ok(zone);
    }
    let wanted = typed.replace(' ', "_").to_lowercase();
    if wanted.is_empty() {
        return Err(ZoneError(String::new()));
    }
    let by_name = chrono_tz::TZ_VARIANTS.iter().find(|zone| zone.name().to_lowercase() == wanted);
    let by_city = || {
        chrono_tz::TZ_VARIANTS
            .iter()
            // Canonical names first ("Europe/Berlin" over a link such as "Arctic/Longyearbyen").
            .filter(|zone| zone.name().contains('/') && !zone.name().starts_with("Etc/"))
            .find(|zone| zone.name().rsplit('/').next().is_some_and(|city| city.to_lowercase() == wanted))
    };
    by_name.or_else(by_city).copied().ok_or_else(|| ZoneError(crate::text::shown(typed, 60)))
}

/// A typed zone that is neither a zone nor a city of the tz database.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "I do not know the time zone \"{0}\": type a name such as Europe/Berlin or America/New_York, or a big city near you such as Berlin."
)]
pub struct ZoneError(String);

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn times_of_day_parse() {
        assert_eq!(TimeOfDay::parse("07:30").unwrap().to_string(), "07:30");
        assert_eq!(TimeOfDay::parse("7:30").unwrap().to_string(), "07:30");
        assert_eq!(TimeOfDay::parse("20").unwrap().to_string(), "20:00");
        assert_eq!(TimeOfDay::parse(" 9.05 ").unwrap().to_string(), "09:05");
        for bad in ["24:00", "7:3", "7:60", "", "noon", "-1", "8 pm", "123"] {
            assert_eq!(TimeOfDay::parse(bad), Err(TimeError), "{bad:?}");
        }
    }

    #[test]
    fn the_next_instant_in_three_zones() {
        let at = TimeOfDay::parse("07:30").unwrap();
        let after = utc("2026-12-01T06:00:00Z");
        assert_eq!(at.next_after(Tz::UTC, after), utc("2026-12-01T07:30:00Z"));
        assert_eq!(at.next_after(chrono_tz::Europe::Berlin, after), utc("2026-12-01T06:30:00Z"), "UTC+1");
        assert_eq!(at.next_after(chrono_tz::America::New_York, after), utc("2026-12-01T12:30:00Z"));
        assert_eq!(at.next_after(chrono_tz::Asia::Tokyo, after), utc("2026-12-01T22:30:00Z"));
        // Exactly at the instant: the next day's.
        assert_eq!(at.next_after(Tz::UTC, utc("2026-12-01T07:30:00Z")), utc("2026-12-02T07:30:00Z"));
    }

    #[test]
    fn the_latest_instant_by_now() {
        let at = TimeOfDay::parse("18:00").unwrap();
        assert_eq!(at.latest_by(Tz::UTC, utc("2026-12-01T18:00:00Z")), utc("2026-12-01T18:00:00Z"));
        assert_eq!(at.latest_by(Tz::UTC, utc("2026-12-01T17:59:59Z")), utc("2026-11-30T18:00:00Z"));
        assert_eq!(
            at.latest_by(chrono_tz::Asia::Tokyo, utc("2026-12-01T10:00:00Z")),
            utc("2026-12-01T09:00:00Z")
        );
    }

    #[test]
    fn daylight_saving_days_in_berlin() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2027-03-28: 02:00 becomes 03:00. 07:30 is 05:30 UTC from that day on.
        let at = TimeOfDay::parse("07:30").unwrap();
        assert_eq!(at.next_after(berlin, utc("2027-03-27T07:00:00Z")), utc("2027-03-28T05:30:00Z"));
        // 02:30 does not exist that day: 03:30 local, an hour after 01:30 UTC.
        let gap = TimeOfDay::parse("02:30").unwrap();
        assert_eq!(gap.next_after(berlin, utc("2027-03-27T12:00:00Z")), utc("2027-03-28T01:30:00Z"));
        // 2026-10-25: 03:00 becomes 02:00; 02:30 happens twice, the first counts.
        assert_eq!(gap.next_after(berlin, utc("2026-10-24T12:00:00Z")), utc("2026-10-25T00:30:00Z"));
        assert_eq!(at.next_after(berlin, utc("2026-10-24T12:00:00Z")), utc("2026-10-25T06:30:00Z"));
    }

    #[test]
    fn quiet_hours_are_the_persons() {
        let berlin = chrono_tz::Europe::Berlin;
        assert!(is_quiet(berlin, utc("2026-12-01T21:30:00Z")), "22:30 in Berlin");
        assert!(!is_quiet(Tz::UTC, utc("2026-12-01T21:30:00Z")));
        assert!(is_quiet(Tz::UTC, utc("2026-12-01T06:59:00Z")));
        assert!(!is_quiet(Tz::UTC, utc("2026-12-01T07:00:00Z")));
    }

    #[test]
    fn zones_by_name_or_city() {
        assert_eq!(parse_zone("Europe/Berlin"), Ok(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone("europe/berlin"), Ok(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone("Berlin"), Ok(chrono_tz::Europe::Berlin));
        assert_eq!(parse_zone(" new york "), Ok(chrono_tz::America::New_York));
        assert_eq!(parse_zone("UTC"), Ok(Tz::UTC));
        assert!(parse_zone("Atlantis").unwrap_err().to_string().contains("\"Atlantis\""));
        assert!(parse_zone("").is_err());
    }
}
