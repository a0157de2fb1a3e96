//! Turning the text of arguments into domain values. Every argument is taken from clap as text
//! and parsed here with the domain's own parser, so a refusal carries the domain's message,
//! prefixed by the argument's name (`--goal: Use at most two decimal places…`).

use chrono::NaiveDate;

use super::CliError;
use crate::amount::Amount;
use crate::challenge::ChallengeId;
use crate::clock;
use crate::progress::IdempotencyKey;
use crate::user::{DisplayName, UserId};

/// The names arguments are shown by in errors.
pub mod name {
    pub const USER: &str = "--user";
    pub const USER_NAME: &str = "--user-name";
    pub const CHALLENGE_ID: &str = "CHALLENGE_ID";
    pub const VISIBILITY: &str = "--visibility";
    pub const INVITE: &str = "--invite";
    pub const BOT_USERNAME: &str = "--bot-username";
    pub const ENTRY_ID: &str = "ENTRY_ID";
    pub const NAME: &str = "--name";
    pub const DESCRIPTION: &str = "--description";
    pub const DEADLINE: &str = "--deadline";
    pub const GOAL: &str = "--goal";
    pub const GOAL_VALUE: &str = "GOAL";
    pub const KIND: &str = "--kind";
    pub const UNIT: &str = "--unit";
    pub const VALUE: &str = "VALUE";
    pub const VALUE_OPTION: &str = "--value";
    pub const DATE: &str = "--date";
    pub const KEY: &str = "--key";
}

/// A positive whole number (ids).
fn positive_id(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok().filter(|&n| n > 0)
}

pub fn user_id(text: &str) -> Result<UserId, CliError> {
    positive_id(text).map(UserId).ok_or_else(|| {
        CliError::input(
            name::USER,
            format!("\"{}\" is not a user id: use a positive whole number, for example 42.", shorten(text)),
        )
    })
}

pub fn optional_user_id(text: Option<&str>) -> Result<Option<UserId>, CliError> {
    text.map(user_id).transpose()
}

/// `public` or `private`.
pub fn visibility(text: &str) -> Result<crate::challenge::Visibility, CliError> {
    crate::challenge::Visibility::parse(text).ok_or_else(|| {
        CliError::input(name::VISIBILITY, format!("\"{}\" is not public or private.", shorten(text)))
    })
}

/// An invite code, or a link that carries one (`https://t.me/<bot>?start=<code>`).
pub fn invite_code(text: &str) -> Result<String, CliError> {
    let text = text.trim();
    let code = match url::Url::parse(text) {
        Ok(link) => {
            link.query_pairs().find(|(k, _)| k == "start").map(|(_, v)| v.into_owned()).unwrap_or_default()
        }
        Err(_) => text.to_owned(),
    };
    crate::challenge::InviteCode::parse(&code).map(|c| c.as_str().to_owned()).map_err(|_| {
        CliError::input(
            name::INVITE,
            format!(
                "\"{}\" is not an invite code: a code has {} letters, digits, - or _ (the part after start= in the link).",
                shorten(text),
                crate::challenge::InviteCode::LEN
            ),
        )
    })
}

/// A Telegram bot username: 5 to 32 letters, digits or _, with or without the leading @.
pub fn bot_username(text: &str) -> Result<String, CliError> {
    let name = text.trim().trim_start_matches('@');
    let valid =
        (5..=32).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        return Err(CliError::input(
            name::BOT_USERNAME,
            format!("\"{}\" is not a bot username: 5 to 32 letters, digits or _.", shorten(text)),
        ));
    }
    Ok(name.to_owned())
}

pub fn challenge_id(text: &str) -> Result<ChallengeId, CliError> {
    positive_id(text).map(ChallengeId).ok_or_else(|| {
        CliError::input(
            name::CHALLENGE_ID,
            format!(
                "\"{}\" is not a challenge id: use the number shown by `challenge list`, for example 3.",
                shorten(text)
            ),
        )
    })
}

pub fn entry_id(text: &str) -> Result<i64, CliError> {
    positive_id(text).ok_or_else(|| {
        CliError::input(
            name::ENTRY_ID,
            format!(
                "\"{}\" is not an entry id: use the number in the ID column of `progress list`, for example 12.",
                shorten(text)
            ),
        )
    })
}

/// The name to record for a user (`--user-name`): tidied like every display name; refused only
/// if nothing is left of it.
pub fn display_name(text: Option<&str>, user: UserId) -> Result<Option<DisplayName>, CliError> {
    let Some(text) = text else { return Ok(None) };
    if !DisplayName::is_usable(text) {
        return Err(CliError::input(name::USER_NAME, "The name cannot be empty."));
    }
    Ok(Some(DisplayName::sanitize(text, user)))
}

/// A positive amount (goal targets, progress values).
pub fn amount(arg: &'static str, text: &str) -> Result<Amount, CliError> {
    Amount::parse_positive(text).map_err(|e| CliError::input(arg, e))
}

/// A date of progress, typed as people do (`2026-11-28`, `28.11`, `28 Nov`, `yesterday`, `mon`):
/// one without a year is the most recent.
pub fn date(arg: &'static str, text: &str, today: NaiveDate) -> Result<NaiveDate, CliError> {
    clock::parse_date(text, today).map_err(|e| CliError::input(arg, e))
}

/// A deadline, typed the same ways: one without a year is the next.
pub fn deadline(arg: &'static str, text: &str, today: NaiveDate) -> Result<NaiveDate, CliError> {
    clock::parse_date_as(text, today, clock::DateSense::Future).map_err(|e| CliError::input(arg, e))
}

pub fn idempotency_key(text: Option<&str>) -> Result<Option<IdempotencyKey>, CliError> {
    text.map(|t| IdempotencyKey::parse(t).map_err(|e| CliError::input(name::KEY, e))).transpose()
}

/// Input echoed in an error: cut short, control characters escaped (so that a typed escape
/// sequence is shown, not run by the terminal).
fn shorten(text: &str) -> String {
    crate::text::shown(text.trim(), 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_positive_whole_numbers() {
        assert_eq!(user_id("42").unwrap(), UserId(42));
        for bad in ["0", "-1", "1.5", "abc", "", "99999999999999999999"] {
            let e = user_id(bad).unwrap_err().to_string();
            assert!(e.starts_with("--user: "), "{e}");
        }
        assert_eq!(challenge_id(" 7 ").unwrap(), ChallengeId(7));
        assert!(challenge_id("#7").unwrap_err().to_string().starts_with("CHALLENGE_ID: "));
        let e = challenge_id("\u{1b}[2J").unwrap_err().to_string();
        assert!(!e.contains('\u{1b}') && e.contains("\\e[2J"), "{e}");
    }

    #[test]
    fn display_names() {
        assert_eq!(display_name(None, UserId(1)).unwrap(), None);
        assert_eq!(display_name(Some(" Ann  Lee "), UserId(1)).unwrap().unwrap().as_str(), "Ann Lee");
        assert!(display_name(Some("  "), UserId(1)).is_err());
        assert!(display_name(Some("\u{200B}\u{FEFF}"), UserId(1)).is_err());
    }
}
