//! Challenges of a Telegram group: the group the bot was added to, its link code, and which
//! challenges belong to it.
//!
//! In a group the bot answers commands and one-tap buttons only (with privacy mode on, the
//! default, it sees nothing else), so a challenge is *made* in a private chat: the group's
//! "Create a challenge" button is a deep link, `https://t.me/<bot>?start=g_<code>`, whose code
//! names the group without showing its id (anyone could otherwise attach a challenge to any
//! group by typing its id). A group challenge is private: its members join with the button on
//! its message in the group, or with its invite link like any other.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Challenge, ChallengeId, InviteCode};
use crate::clock::Today;
use crate::repository::RepositoryError;

/// A group or supergroup chat's Telegram id (always negative; a private chat's id is its
/// person's, positive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct GroupChatId(pub i64);

impl fmt::Display for GroupChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A group the bot is (or was) in.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupChat {
    pub id: GroupChatId,
    /// The group's title as Telegram last sent it.
    pub title: String,
    /// Opens the private chat at "create a challenge for this group" (see [`StartPayload`]).
    pub code: InviteCode,
    /// The bot is a member: it may post there. A group that removed the bot keeps its
    /// challenges (usable in private chats) but hears nothing.
    pub active: bool,
}

impl GroupChat {
    /// The deep link that starts creating a challenge for this group in a private chat.
    pub fn create_link(&self, bot_username: &str) -> String {
        StartPayload::Group(self.code.clone()).link(bot_username)
    }
}

/// What a `/start <payload>` deep link asks for. Telegram allows at most 64 characters of
/// `A-Za-z0-9_-`; the three kinds differ by length and prefix, so no payload is two of them.
#[derive(Clone, Debug, PartialEq)]
pub enum StartPayload {
    /// A challenge's invite link: exactly [`InviteCode::LEN`] characters.
    Invite(InviteCode),
    /// Create a challenge for a group: `g_` and the group's code.
    Group(InviteCode),
    /// Change one's goal in a challenge (the group message's "Change my goal"): `goal_<id>`.
    Goal(ChallengeId),
}

impl StartPayload {
    const GROUP: &'static str = "g_";
    const GOAL: &'static str = "goal_";

    /// A payload as it arrived; `None` when it is none of the kinds (the caller says which
    /// error an invite code had, since that is what most malformed payloads are meant to be).
    pub fn parse(text: &str) -> Option<StartPayload> {
        if let Some(code) = text.strip_prefix(Self::GROUP)
            && text.len() == Self::GROUP.len() + InviteCode::LEN
        {
            return InviteCode::parse(code).ok().map(StartPayload::Group);
        }
        if let Some(id) = text.strip_prefix(Self::GOAL)
            && !id.is_empty()
            && id.len() <= 18
            && id.bytes().all(|b| b.is_ascii_digit())
        {
            return id.parse().ok().map(|id| StartPayload::Goal(ChallengeId(id)));
        }
        InviteCode::parse(text).ok().map(StartPayload::Invite)
    }

    /// The payload as it goes in a link.
    pub fn as_payload(&self) -> String {
        match self {
            StartPayload::Invite(code) => code.as_str().to_owned(),
            StartPayload::Group(code) => format!("{}{code}", Self::GROUP),
            StartPayload::Goal(id) => format!("{}{}", Self::GOAL, id.0),
        }
    }

    /// `https://t.me/<bot>?start=<payload>`.
    pub fn link(&self, bot_username: &str) -> String {
        format!("https://t.me/{}?start={}", bot_username.trim_start_matches('@'), self.as_payload())
    }
}

/// Groups and their challenges.
#[async_trait]
pub trait GroupRepository: Send + Sync {
    /// Records that the bot is in the group (or left it), keeping its code; a new group gets
    /// `fresh`. Returns the group as stored.
    async fn upsert_group(
        &self,
        id: GroupChatId,
        title: &str,
        active: bool,
        fresh: &InviteCode,
        at: DateTime<Utc>,
    ) -> Result<GroupChat, RepositoryError>;

    async fn group(&self, id: GroupChatId) -> Result<Option<GroupChat>, RepositoryError>;

    async fn group_by_code(&self, code: &InviteCode) -> Result<Option<GroupChat>, RepositoryError>;

    /// The group became a supergroup with a new id: the group and its challenges follow it.
    /// Nothing happens when `from` is unknown (it was moved already).
    async fn migrate_group(
        &self,
        from: GroupChatId,
        to: GroupChatId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Makes a challenge the group's (`ChallengeNotFound`; the group must be stored).
    async fn set_challenge_group(
        &self,
        challenge: ChallengeId,
        group: GroupChatId,
    ) -> Result<(), RepositoryError>;

    /// The group a challenge belongs to, if any.
    async fn group_of(&self, challenge: ChallengeId) -> Result<Option<GroupChat>, RepositoryError>;

    /// The group's challenges, newest first, at most `limit`; with `active_on`, only those still
    /// active then (each in its own zone).
    async fn group_challenges(
        &self,
        group: GroupChatId,
        active_on: Option<Today>,
        limit: u32,
    ) -> Result<Vec<Challenge>, RepositoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_of_each_kind_read_back() {
        let code = InviteCode::generate();
        for payload in [
            StartPayload::Invite(code.clone()),
            StartPayload::Group(code.clone()),
            StartPayload::Goal(ChallengeId(42)),
        ] {
            let text = payload.as_payload();
            assert!(
                text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            );
            assert_eq!(StartPayload::parse(&text), Some(payload));
        }
    }

    #[test]
    fn malformed_payloads_are_none() {
        for text in ["", "g_", "g_short", "goal_", "goal_x1", "goal_1234567890123456789", "abc", "a b"] {
            assert_eq!(StartPayload::parse(text), None, "{text:?}");
        }
        // An invite code that happens to start like a group's is still an invite (by its length).
        let invite = format!("g_{}", "A".repeat(20));
        assert!(matches!(StartPayload::parse(&invite), Some(StartPayload::Invite(_))));
    }
}
