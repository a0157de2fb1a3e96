//! Reading typed numbers: "100 km", "100km", "5", with the unit optional where the challenge
//! already has one. The numbers themselves follow the domain's rules (and give its messages).

use chrono::NaiveDate;

use crate::amount::Amount;
use crate::challenge::Unit;
use crate::goal::{Goal, GoalKind};

/// Splits "100 km", "100km" or "100" into the number and what follows it. A unit stuck to the
/// number must be letters ("5km"); anything else ("1e3") stays one word, to be refused as a number.
pub(super) fn split_number(text: &str) -> (&str, Option<&str>) {
    let text = text.trim();
    if let Some((number, rest)) = text.split_once(char::is_whitespace) {
        return (number, Some(rest.trim()));
    }
    if let Some(i) = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))
        && i > 0
        && text[i..].chars().all(char::is_alphabetic)
    {
        return (&text[..i], Some(&text[i..]));
    }
    (text, None)
}

fn is_days_word(word: &str) -> bool {
    matches!(word.to_lowercase().as_str(), "day" | "days" | "d")
}

/// A new challenge's goal: a number for its kind, and an optional unit ("100 km").
pub(super) fn parse_goal_with_unit(kind: GoalKind, text: &str) -> Result<(Goal, Option<Unit>), String> {
    let (number, rest) = split_number(text);
    let goal = Goal::parse(kind, number).map_err(|e| e.to_string())?;
    let unit = match (kind, rest) {
        (_, None) => None,
        (GoalKind::Days, Some(word)) if is_days_word(word) => None,
        (GoalKind::Days, Some(_)) => return Err("A days goal is a number of days, for example 30.".into()),
        (_, Some(unit)) => Some(Unit::parse(unit).map_err(|e| e.to_string())?),
    };
    Ok((goal, unit))
}

/// Whether a typed word is the challenge's unit, in any case, singular or plural ("Km", "book").
fn is_unit(word: &str, unit: &Unit) -> bool {
    let word = word.to_lowercase();
    [true, false].into_iter().any(|one| crate::text::unit_for(unit.as_str(), one).to_lowercase() == word)
        || word == unit.as_str().to_lowercase()
}

/// Checks that what follows a number is the challenge's unit (or nothing).
fn check_unit(rest: Option<&str>, unit: Option<&Unit>, kind: GoalKind) -> Result<(), String> {
    match (rest, unit) {
        (None, _) => Ok(()),
        (Some(word), _) if kind == GoalKind::Days && is_days_word(word) => Ok(()),
        (Some(word), Some(u)) if is_unit(word, u) => Ok(()),
        (Some(_), Some(u)) => {
            Err(format!("This challenge counts in {u}: type the number alone, or with {u}."))
        }
        (Some(_), None) => Err("This challenge has no unit: type the number alone.".into()),
    }
}

/// A participant's goal typed as a number, with the challenge's unit optionally repeated.
pub(super) fn parse_goal_for(kind: GoalKind, unit: Option<&Unit>, text: &str) -> Result<Goal, String> {
    let (number, rest) = split_number(text);
    let goal = Goal::parse(kind, number).map_err(|e| e.to_string())?;
    check_unit(rest, unit, kind)?;
    Ok(goal)
}

/// An amount of progress, with the challenge's unit optionally repeated.
pub fn parse_amount_for(unit: Option<&Unit>, text: &str) -> Result<Amount, String> {
    let text = decimal_comma(text.trim())?;
    let (number, rest) = split_number(&text);
    let amount = Amount::parse_positive(number).map_err(|e| e.to_string())?;
    check_unit(rest, unit, GoalKind::Total)?;
    Ok(amount)
}

/// Reads a decimal comma ("1,5" is 1.5, "2,25km" is 2.25 km); a comma followed by three digits
/// ("1,500") could be a thousands separator, so it is refused rather than guessed.
fn decimal_comma(text: &str) -> Result<std::borrow::Cow<'_, str>, String> {
    let Some(comma) = text.find(',') else { return Ok(text.into()) };
    let (whole, rest) = (&text[..comma], &text[comma + 1..]);
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(text.into());
    }
    match digits {
        1 | 2 => Ok(format!("{whole}.{rest}").into()),
        3 => {
            // The decimals as typed where they fit two places ("1,250" → 1.25), else a plain
            // example of the form.
            let decimals = rest[..3].trim_end_matches('0');
            let decimals = if decimals.is_empty() || decimals.len() > 2 { "5" } else { decimals };
            Err(format!(
                "{} could be read two ways: type {whole}{} for the whole number, or use a point for decimals ({whole}.{decimals}).",
                crate::text::shown(text.split_whitespace().next().unwrap_or(text), 20),
                &rest[..3],
            ))
        }
        _ => Ok(text.into()),
    }
}

/// What a typed message says, read as progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum TypedProgress {
    /// It does not start with a number: not progress at all.
    NotProgress,
    /// A value (with the challenge's unit or none), and the date if one was given.
    Value { value: Amount, unit: Option<String>, date: Option<NaiveDate> },
    /// It starts with a number but says something wrong; the message says what.
    Invalid(String),
}

/// Reads "5", "5 km", "5.5km", "1,5", "5 yesterday", "5 km 28.11", "5 2026-11-28" as progress.
/// The unit is returned as typed, to be checked against the challenge it is for.
pub(super) fn parse_progress(text: &str, today: NaiveDate) -> TypedProgress {
    let text = text.trim();
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return TypedProgress::NotProgress;
    }
    let text = match decimal_comma(text) {
        Ok(text) => text,
        Err(message) => return TypedProgress::Invalid(message),
    };
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or_default();
    let (number, attached) = split_number(first);
    let value = match Amount::parse_positive(number) {
        Ok(value) => value,
        // A date on its own is not progress.
        Err(_) if crate::clock::parse_date(&text, today).is_ok() => return TypedProgress::NotProgress,
        Err(_) if first.contains('/') => {
            return TypedProgress::Invalid(crate::clock::DateError::Slash.to_string());
        }
        Err(_) if number.contains(['.', '-']) && crate::clock::parse_date(first, today).is_ok() => {
            return TypedProgress::Invalid(
                "Type the number first, then the day: for example \"5 yesterday\".".into(),
            );
        }
        Err(e) => return TypedProgress::Invalid(e.to_string()),
    };
    let rest: Vec<&str> = words.collect();
    // A unit stuck to the number, or the next word when the rest is not a date without it.
    let (unit, date_words) = match attached {
        Some(unit) => (Some(unit.to_owned()), &rest[..]),
        None if !rest.is_empty() && crate::clock::parse_date(&rest.join(" "), today).is_err() => {
            (Some(rest[0].to_owned()), &rest[1..])
        }
        None => (None, &rest[..]),
    };
    let date = if date_words.is_empty() {
        None
    } else {
        match crate::clock::parse_date(&date_words.join(" "), today) {
            Ok(date) => Some(date),
            Err(e) => return TypedProgress::Invalid(e.to_string()),
        }
    };
    TypedProgress::Value { value, unit, date }
}

/// Whether a unit typed with progress fits the challenge's (none typed always fits).
pub(super) fn unit_fits(typed: Option<&str>, unit: Option<&Unit>) -> Result<(), String> {
    check_unit(typed, unit, GoalKind::Total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_with_units() {
        assert_eq!(split_number(" 100 km "), ("100", Some("km")));
        assert_eq!(split_number("100km"), ("100", Some("km")));
        assert_eq!(split_number("1e3"), ("1e3", None));
        assert_eq!(split_number("12.5"), ("12.5", None));
        let (goal, unit) = parse_goal_with_unit(GoalKind::Total, "100 km").unwrap();
        assert_eq!((goal.target, unit.unwrap().as_str()), (Amount::from_whole(100), "km"));
        assert!(parse_goal_with_unit(GoalKind::Days, "30 days").unwrap().1.is_none());
        assert!(parse_goal_with_unit(GoalKind::Days, "30 km").is_err());
        assert!(parse_goal_with_unit(GoalKind::Total, "100 5k").is_err());
        let km = Unit::parse("km").unwrap();
        assert_eq!(parse_amount_for(Some(&km), "5 KM"), Ok(Amount::from_whole(5)));
        assert!(parse_amount_for(Some(&km), "5 miles").unwrap_err().contains("km"));
        assert!(parse_amount_for(None, "abc").unwrap_err().contains("not a number"));
        assert_eq!(parse_amount_for(Some(&km), "1,5"), Ok(Amount::from_hundredths(150)));
        assert!(parse_amount_for(Some(&km), "1,500").unwrap_err().contains("two ways"));
        let books = Unit::parse("books").unwrap();
        assert_eq!(parse_amount_for(Some(&books), "1 book"), Ok(Amount::from_whole(1)));
    }

    #[test]
    fn progress_as_people_type_it() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let value = |h: i64, unit: Option<&str>, date: Option<&str>| TypedProgress::Value {
            value: Amount::from_hundredths(h),
            unit: unit.map(str::to_owned),
            date: date.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
        };
        let p = |text: &str| parse_progress(text, today);
        assert_eq!(p("5"), value(500, None, None));
        assert_eq!(p("5 km"), value(500, Some("km"), None));
        assert_eq!(p("5 KM"), value(500, Some("KM"), None));
        assert_eq!(p("5.5km"), value(550, Some("km"), None));
        assert_eq!(p("1,5"), value(150, None, None));
        assert_eq!(p("2,25 km"), value(225, Some("km"), None));
        assert_eq!(p("5 yesterday"), value(500, None, Some("2026-11-29")));
        assert_eq!(p("5 28.11"), value(500, None, Some("2026-11-28")));
        assert_eq!(p("5 2026-11-28"), value(500, None, Some("2026-11-28")));
        assert_eq!(p("5 km 28 Nov"), value(500, Some("km"), Some("2026-11-28")));
        assert_eq!(p("5 km mon"), value(500, Some("km"), Some("2026-11-30")));
        assert_eq!(p("hello"), TypedProgress::NotProgress);
        assert_eq!(p("/start"), TypedProgress::NotProgress);
        assert!(matches!(p("1,500"), TypedProgress::Invalid(m) if m.contains("1500") && m.contains("1.5")));
        assert!(
            matches!(p("1,250"), TypedProgress::Invalid(m) if m.contains("(1.25)")),
            "the decimals as typed"
        );
        assert!(
            matches!(p("1,234"), TypedProgress::Invalid(m) if m.contains("(1.5)")),
            "three places do not fit"
        );
        assert!(matches!(p("5 km someday"), TypedProgress::Invalid(_)));
        assert!(matches!(p("0"), TypedProgress::Invalid(m) if m.contains("greater than zero")));
        assert!(matches!(p("2026-11-28 5"), TypedProgress::Invalid(m) if m.contains("number first")));
        assert_eq!(p("2026-04-30"), TypedProgress::NotProgress, "a date alone");
    }
}
