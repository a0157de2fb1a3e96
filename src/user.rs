//! Who takes part: a user is an id from the protocol that reached us (a Telegram user id, or the
//! id given to the CLI) plus the name we show on leaderboards.

use std::fmt;

use async_trait::async_trait;
use serde::Serialize;

use crate::repository::RepositoryError;
use crate::text;

/// A user's id, as the protocol gave it. Telegram ids are 64-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The name shown for a user on leaderboards: one line, bidi controls removed, at most
/// [`DisplayName::MAX_CHARS`] characters as people see them, at least one visible. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    /// Cleans a name that came from outside (Telegram profile, `$USER`, `--user-name`). Names are
    /// not typed as answers, so instead of refusing a bad one we tidy it (see
    /// [`crate::text::tidy`]), and fall back when nothing visible is left.
    pub fn sanitize(raw: &str, fallback_for: UserId) -> DisplayName {
        match text::tidy(raw, Self::MAX_CHARS) {
            Some(name) => DisplayName(name),
            None => DisplayName::fallback(fallback_for),
        }
    }

    /// Whether `raw` has anything visible to show (else [`DisplayName::sanitize`] falls back).
    pub fn is_usable(raw: &str) -> bool {
        text::tidy(raw, Self::MAX_CHARS).is_some()
    }

    /// The name used for a user we know nothing about: "User 12345".
    pub fn fallback(user: UserId) -> DisplayName {
        DisplayName(format!("User {}", user.0))
    }

    /// The name shown in one challenge's leaderboard for a participant whose name its creator
    /// hid: "Participant 2".
    pub fn hidden(number: u32) -> DisplayName {
        DisplayName(format!("Participant {number}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Records (or refreshes) the name shown for a user.
    async fn upsert_user(&self, user: UserId, name: &DisplayName) -> Result<(), RepositoryError>;

    /// The name recorded for a user, if any.
    async fn display_name(&self, user: UserId) -> Result<Option<DisplayName>, RepositoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_tidies_and_falls_back() {
        assert_eq!(DisplayName::sanitize("  Ann \n Lee ", UserId(1)).as_str(), "Ann Lee");
        assert_eq!(DisplayName::sanitize("\u{7}", UserId(12345)).as_str(), "User 12345");
        assert_eq!(DisplayName::sanitize("x", UserId(2345)), DisplayName::sanitize("x", UserId(12345)));
        assert_ne!(DisplayName::fallback(UserId(2345)), DisplayName::fallback(UserId(12345)));
        assert_eq!(DisplayName::sanitize("\u{200B}\u{2800}", UserId(7)).as_str(), "User 7");
        assert_eq!(DisplayName::sanitize("Ann\u{202E}", UserId(7)).as_str(), "Ann");
        assert_eq!(DisplayName::sanitize(&"x".repeat(100), UserId(1)).as_str().chars().count(), 64);
    }
}
