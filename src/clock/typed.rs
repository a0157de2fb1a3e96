//! Dates as people type them: `2026-11-28`, `28.11.2026`, `28.11`, `28 Nov`, `Nov 28`, `today`,
//! `yesterday`, `tomorrow`, and weekday names (`mon`, `Monday`).
//!
//! A date without a year, or a weekday, means the nearest such day in the direction the question
//! looks ([`DateSense`]): for progress the most recent one (today included), for a deadline the
//! next one (after today). Slash dates (`01/02/2027`) are refused: half the world reads them one
//! way and half the other, and a wrong guess would log a run on the wrong day.

use chrono::{Datelike, NaiveDate, Weekday};

/// Which way a date without a year (or a weekday) points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateSense {
    /// The most recent such day, today included (progress, edits of an entry).
    Past,
    /// The next such day after today (deadlines).
    Future,
}

/// Why a typed date was not understood. The `Display` text is meant for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The examples fit the sense: "yesterday" for a day that has been, "tomorrow" for one to come.
    #[error(
        "That is not a date I can read: type it as YYYY-MM-DD, as day.month (28.11) or day and month (28 Nov), or as {}.",
        match .0 { DateSense::Past => "\"today\", \"yesterday\" or a weekday", DateSense::Future => "\"tomorrow\" or a weekday" }
    )]
    Format(DateSense),
    #[error(
        "Dates with slashes can be read two ways: type it as YYYY-MM-DD, as day.month (28.11) or day and month (28 Nov) instead."
    )]
    Slash,
    #[error("{0} is not a date on the calendar.")]
    NotOnCalendar(String),
}

/// Parses a date typed for progress: a date without a year is the most recent one.
pub fn parse_date(input: &str, today: NaiveDate) -> Result<NaiveDate, DateError> {
    parse_date_as(input, today, DateSense::Past)
}

/// Parses a date typed by a person, a date without a year (or a weekday) pointing `sense`.
pub fn parse_date_as(input: &str, today: NaiveDate, sense: DateSense) -> Result<NaiveDate, DateError> {
    let text = input.trim().to_lowercase();
    let format_error = || DateError::Format(sense);
    match text.as_str() {
        "today" => return Ok(today),
        "yesterday" => return Ok(today.pred_opt().unwrap_or(today)),
        "tomorrow" => return Ok(today.succ_opt().unwrap_or(today)),
        _ => {}
    }
    if text.contains('/') {
        return Err(DateError::Slash);
    }
    if let Some(weekday) = weekday(&text) {
        return Ok(nearest_weekday(weekday, today, sense));
    }
    let not_on_calendar = || DateError::NotOnCalendar(input.trim().to_owned());
    // 2026-11-28
    if let Some((y, m, d)) = split3(&text, '-') {
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(format_error());
        }
        let (y, m, d) = (
            number(y).ok_or_else(format_error)?,
            number(m).ok_or_else(format_error)?,
            number(d).ok_or_else(format_error)?,
        );
        return NaiveDate::from_ymd_opt(y as i32, m, d).ok_or_else(not_on_calendar);
    }
    // 28.11.2026, 28.11., 28.11
    let dotted = text.strip_suffix('.').unwrap_or(&text);
    // Only digits and dots: "Nov. 28" is a month name with its abbreviation point.
    if dotted.contains('.') && dotted.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let parts: Vec<&str> = dotted.split('.').collect();
        let (d, m, y) = match parts.as_slice() {
            [d, m] => (*d, *m, None),
            [d, m, y] if y.len() == 4 => (*d, *m, Some(*y)),
            _ => return Err(format_error()),
        };
        if d.is_empty() || d.len() > 2 || m.is_empty() || m.len() > 2 {
            return Err(format_error());
        }
        let (d, m) = (number(d).ok_or_else(format_error)?, number(m).ok_or_else(format_error)?);
        return match y {
            Some(y) => NaiveDate::from_ymd_opt(number(y).ok_or_else(format_error)? as i32, m, d)
                .ok_or_else(not_on_calendar),
            None => without_year(d, m, today, sense).ok_or_else(not_on_calendar),
        };
    }
    // 28 Nov, Nov 28, 28 November 2026, Nov 28 2026
    let words: Vec<&str> =
        text.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    let (day, month, year) = match words.as_slice() {
        [a, b] => day_month(a, b).ok_or_else(format_error).map(|(d, m)| (d, m, None))?,
        [a, b, y] if y.len() == 4 => {
            day_month(a, b).ok_or_else(format_error).map(|(d, m)| (d, m, Some(*y)))?
        }
        _ => return Err(format_error()),
    };
    match year {
        Some(y) => NaiveDate::from_ymd_opt(number(y).ok_or_else(format_error)? as i32, month, day)
            .ok_or_else(not_on_calendar),
        None => without_year(day, month, today, sense).ok_or_else(not_on_calendar),
    }
}

/// One date in the shapes people can type it: "2026-11-28, 28.11 or 28 Nov".
pub fn shapes(date: NaiveDate) -> String {
    format!(
        "{}, {}.{} or {} {}",
        date.format("%Y-%m-%d"),
        date.day(),
        date.month(),
        date.day(),
        date.format("%b")
    )
}

fn split3(text: &str, separator: char) -> Option<(&str, &str, &str)> {
    let mut parts = text.split(separator);
    let triple = (parts.next()?, parts.next()?, parts.next()?);
    parts.next().is_none().then_some(triple)
}

/// Digits only (no sign), as a number.
fn number(text: &str) -> Option<u32> {
    (!text.is_empty() && text.len() <= 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())?
}

/// "28 nov" or "nov 28": the day and the month.
fn day_month(a: &str, b: &str) -> Option<(u32, u32)> {
    match (number(a), month(a), number(b), month(b)) {
        (Some(day), None, None, Some(m)) | (None, Some(m), Some(day), None) if day <= 31 => Some((day, m)),
        _ => None,
    }
}

fn month(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let word = word.strip_suffix('.').unwrap_or(word);
    if word.len() < 3 {
        return None;
    }
    MONTHS.iter().position(|m| m.starts_with(word)).map(|i| i as u32 + 1)
}

fn weekday(word: &str) -> Option<Weekday> {
    const DAYS: [(&str, &[&str], Weekday); 7] = [
        ("monday", &["mon"], Weekday::Mon),
        ("tuesday", &["tue", "tues"], Weekday::Tue),
        ("wednesday", &["wed"], Weekday::Wed),
        ("thursday", &["thu", "thur", "thurs"], Weekday::Thu),
        ("friday", &["fri"], Weekday::Fri),
        ("saturday", &["sat"], Weekday::Sat),
        ("sunday", &["sun"], Weekday::Sun),
    ];
    DAYS.iter().find(|(full, short, _)| *full == word || short.contains(&word)).map(|(_, _, day)| *day)
}

/// The nearest `weekday`: back from today (included), or forward from tomorrow.
fn nearest_weekday(weekday: Weekday, today: NaiveDate, sense: DateSense) -> NaiveDate {
    let from = today.weekday().num_days_from_monday() as i64;
    let to = weekday.num_days_from_monday() as i64;
    let offset = match sense {
        DateSense::Past => -((from - to).rem_euclid(7)),
        DateSense::Future => {
            let ahead = (to - from).rem_euclid(7);
            if ahead == 0 { 7 } else { ahead }
        }
    };
    today.checked_add_signed(chrono::Duration::days(offset)).unwrap_or(today)
}

/// Day and month without a year: this year's, or the nearest year's in the direction asked (the
/// most recent on or before today; the next after today). 29 Feb looks as far as a leap year.
fn without_year(day: u32, month: u32, today: NaiveDate, sense: DateSense) -> Option<NaiveDate> {
    // Refuse what no year has (31 Apr) before looking through years.
    NaiveDate::from_ymd_opt(2000, month, day)?;
    let year = today.year();
    let candidates: Vec<NaiveDate> =
        (year - 8..=year + 8).filter_map(|y| NaiveDate::from_ymd_opt(y, month, day)).collect();
    match sense {
        DateSense::Past => candidates.into_iter().rev().find(|d| *d <= today),
        DateSense::Future => candidates.into_iter().find(|d| *d > today),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn parses_every_shape_people_type() {
        let today = d("2026-11-30"); // a Monday
        let past = |text: &str| parse_date(text, today);
        assert_eq!(past("2028-02-29"), Ok(d("2028-02-29")));
        assert_eq!(past(" Today "), Ok(today));
        assert_eq!(past("yesterday"), Ok(d("2026-11-29")));
        assert_eq!(past("tomorrow"), Ok(d("2026-12-01")));
        assert_eq!(past("28.11.2026"), Ok(d("2026-11-28")));
        assert_eq!(past("28.11"), Ok(d("2026-11-28")));
        assert_eq!(past("28.11."), Ok(d("2026-11-28")));
        assert_eq!(past("1.12"), Ok(d("2025-12-01")), "the most recent 1 December");
        assert_eq!(past("28 Nov"), Ok(d("2026-11-28")));
        assert_eq!(past("nov 28"), Ok(d("2026-11-28")));
        assert_eq!(past("28 November 2025"), Ok(d("2025-11-28")));
        assert_eq!(past("Nov 28, 2025"), Ok(d("2025-11-28")));
        assert_eq!(past("Nov. 28"), Ok(d("2026-11-28")), "an abbreviation's point");
        assert_eq!(past("28 Nov. 2025"), Ok(d("2025-11-28")));
        assert_eq!(past("3 Sept"), Ok(d("2026-09-03")));
        assert_eq!(past("30 nov"), Ok(today), "today is the most recent");
        assert_eq!(past("mon"), Ok(today), "the most recent Monday is today");
        assert_eq!(past("Sunday"), Ok(d("2026-11-29")));
        assert_eq!(past("tue"), Ok(d("2026-11-24")));
        assert_eq!(past("29 feb"), Ok(d("2024-02-29")), "the most recent 29 February");
    }

    #[test]
    fn future_dates_for_deadlines() {
        let today = d("2026-11-30");
        let next = |text: &str| parse_date_as(text, today, DateSense::Future);
        assert_eq!(next("28.11"), Ok(d("2027-11-28")));
        assert_eq!(next("1 Dec"), Ok(d("2026-12-01")));
        assert_eq!(next("mon"), Ok(d("2026-12-07")), "the next Monday, not today");
        assert_eq!(next("fri"), Ok(d("2026-12-04")));
        assert_eq!(next("2027-01-31"), Ok(d("2027-01-31")));
    }

    #[test]
    fn refuses_dates_not_on_the_calendar() {
        let today = d("2026-03-01");
        assert_eq!(parse_date("2027-02-29", today), Err(DateError::NotOnCalendar("2027-02-29".into())));
        assert_eq!(parse_date("2026-13-01", today), Err(DateError::NotOnCalendar("2026-13-01".into())));
        assert_eq!(parse_date("31.04", today), Err(DateError::NotOnCalendar("31.04".into())));
        assert_eq!(parse_date("31 apr", today), Err(DateError::NotOnCalendar("31 apr".into())));
    }

    #[test]
    fn refuses_other_shapes() {
        let today = d("2026-03-01");
        for bad in [
            "",
            "2026-3-1",
            "someday",
            "20260301",
            "2026-03-01x",
            "+026-03-01",
            "1.2.26",
            "32 nov",
            "nov",
            "5",
        ] {
            let err = parse_date(bad, today).unwrap_err();
            assert_eq!(err, DateError::Format(DateSense::Past), "{bad:?}");
            assert!(err.to_string().contains("yesterday"), "{err}");
            let ahead = parse_date_as(bad, today, DateSense::Future).unwrap_err();
            assert!(
                ahead.to_string().contains("tomorrow") && !ahead.to_string().contains("yesterday"),
                "{ahead}"
            );
        }
        assert_eq!(parse_date("01/02/2027", today), Err(DateError::Slash));
    }

    #[test]
    fn every_shape_offered_parses() {
        let today = d("2026-03-01");
        for example in [d("2026-02-27"), d("2026-03-01"), d("2025-12-31")] {
            for shape in shapes(example).replace(" or ", ", ").split(", ") {
                let sense =
                    if shape.len() == 10 || example <= today { DateSense::Past } else { DateSense::Future };
                assert_eq!(parse_date_as(shape, today, sense), Ok(example), "{shape}");
            }
        }
    }
}
