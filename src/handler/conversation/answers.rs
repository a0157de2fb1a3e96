//! Reading typed numbers: "100 km", "100km", "5", with the unit optional where the challenge
//! already has one. The numbers themselves follow the domain's rules (and give its messages).

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

/// Checks that what follows a number is the challenge's unit (or nothing).
fn check_unit(rest: Option<&str>, unit: Option<&Unit>, kind: GoalKind) -> Result<(), String> {
    match (rest, unit) {
        (None, _) => Ok(()),
        (Some(word), _) if kind == GoalKind::Days && is_days_word(word) => Ok(()),
        (Some(word), Some(u)) if word.to_lowercase() == u.as_str().to_lowercase() => Ok(()),
        (Some(_), Some(u)) => {
            Err(format!("This challenge counts in {u}: type just the number, for example 5."))
        }
        (Some(_), None) => Err("Type just the number, for example 5.".into()),
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
pub(super) fn parse_amount_for(unit: Option<&Unit>, text: &str) -> Result<Amount, String> {
    let (number, rest) = split_number(text);
    let amount = Amount::parse_positive(number).map_err(|e| e.to_string())?;
    check_unit(rest, unit, GoalKind::Total)?;
    Ok(amount)
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
    }
}
