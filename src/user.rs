//! Who takes part: a user is an id from the protocol that reached us (a Telegram user id, or the
//! id given to the CLI) plus the name we show on leaderboards.

use std::fmt;

use async_trait::async_trait;
use serde::Serialize;

use crate::repository::RepositoryError;

/// A user's id, as the protocol gave it. Telegram ids are 64-bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The name shown for a user on leaderboards: trimmed, control characters removed, at most
/// [`DisplayName::MAX_CHARS`] characters. Never empty.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    /// Cleans a name that came from outside (Telegram profile, `$USER`). Names are not typed as
    /// answers, so instead of refusing a bad one we tidy it, and fall back when nothing is left.
    pub fn sanitize(raw: &str, fallback_for: UserId) -> DisplayName {
        let cleaned: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(Self::MAX_CHARS)
            .collect();
        if cleaned.is_empty() { DisplayName::fallback(fallback_for) } else { DisplayName(cleaned) }
    }

    /// The name used for a user we know nothing about.
    pub fn fallback(user: UserId) -> DisplayName {
        DisplayName(format!("User {}", user.0.rem_euclid(10_000)))
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_tidies_and_falls_back() {
        assert_eq!(DisplayName::sanitize("  Ann \n Lee ", UserId(1)).as_str(), "Ann Lee");
        assert_eq!(DisplayName::sanitize("\u{7}", UserId(12345)).as_str(), "User 2345");
        assert_eq!(DisplayName::sanitize(&"x".repeat(100), UserId(1)).as_str().chars().count(), 64);
    }
}
