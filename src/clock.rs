//! "Today" for deadlines and progress dates.
//!
//! Every rule about dates takes `today` as an argument, so the domain is testable without a
//! clock. The application gets it from a [`Clock`]: the system time in the configured time zone,
//! or a fixed date for tests and demos (`CHALLENGE_BOT_TODAY`).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

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

/// Why a typed date was not understood. The `Display` text is meant for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("Please type a date as YYYY-MM-DD, for example {example}, or \"today\" / \"yesterday\".")]
    Format { example: String },
    #[error("{0} is not a date on the calendar.")]
    NotOnCalendar(String),
}

/// Parses a date typed by a person: `YYYY-MM-DD` (a real calendar date), `today` or `yesterday`.
pub fn parse_date(input: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    let text = input.trim();
    match text.to_lowercase().as_str() {
        "today" => return Ok(today),
        "yesterday" => return Ok(today.pred_opt().unwrap_or(today)),
        _ => {}
    }
    let format_error = || DateError::Format { example: today.format("%Y-%m-%d").to_string() };
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(format_error());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().map_err(|_| format_error());
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| DateError::NotOnCalendar(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn parses_calendar_dates_and_words() {
        let today = d("2026-03-01");
        assert_eq!(parse_date("2028-02-29", today), Ok(d("2028-02-29")));
        assert_eq!(parse_date(" Today ", today), Ok(today));
        assert_eq!(parse_date("yesterday", today), Ok(d("2026-02-28")));
    }

    #[test]
    fn refuses_dates_not_on_the_calendar() {
        let today = d("2026-03-01");
        assert_eq!(parse_date("2027-02-29", today), Err(DateError::NotOnCalendar("2027-02-29".into())));
        assert_eq!(parse_date("2026-13-01", today), Err(DateError::NotOnCalendar("2026-13-01".into())));
        assert_eq!(parse_date("2026-04-31", today), Err(DateError::NotOnCalendar("2026-04-31".into())));
    }

    #[test]
    fn refuses_other_shapes_with_an_example() {
        let today = d("2026-03-01");
        for bad in ["", "1/2/2026", "2026-3-1", "tomorrow", "20260301", "2026-03-01x", "+026-03-01"] {
            let err = parse_date(bad, today).unwrap_err();
            assert_eq!(err, DateError::Format { example: "2026-03-01".into() }, "{bad:?}");
            assert!(err.to_string().contains("2026-03-01"));
        }
    }
}
