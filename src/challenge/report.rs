//! Moderation: reports of public challenges, and what a creator does to keep theirs clean.
//!
//! Anyone may report a public challenge (once, with a reason); three different people reporting
//! it unlist it until an operator looks (`challenge reports`, `challenge relist`). Who reported
//! is never shown to the creator. A creator may remove a participant (who cannot join again, by
//! any link) and close their challenge to new participants.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Challenge, ChallengeId};
use crate::repository::RepositoryError;
use crate::user::UserId;

/// How many different people's reports unlist a challenge.
pub const REPORTS_TO_UNLIST: u32 = 3;

/// Why someone reported a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReportReason {
    Spam,
    Offensive,
    Other,
}

impl ReportReason {
    pub const ALL: [ReportReason; 3] = [ReportReason::Spam, ReportReason::Offensive, ReportReason::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::Spam => "spam",
            ReportReason::Offensive => "offensive",
            ReportReason::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<ReportReason> {
        ReportReason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// How a person picks it.
    pub fn label(self) -> &'static str {
        match self {
            ReportReason::Spam => "Spam or advertising",
            ReportReason::Offensive => "Offensive",
            ReportReason::Other => "Something else",
        }
    }
}

/// What a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported {
    /// Different people who reported the challenge (this one included).
    pub reporters: u32,
    /// This report unlisted it.
    pub unlisted_now: bool,
}

/// A reported challenge, for the operator.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReportedChallenge {
    pub challenge: Challenge,
    pub reporters: u32,
    /// How many reports gave each reason, in the order of [`ReportReason::ALL`].
    pub reasons: Vec<(ReportReason, u32)>,
    /// When it was unlisted, if it is.
    pub unlisted_at: Option<DateTime<Utc>>,
}

/// Why someone may not join a challenge, though they may see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinBarrier {
    /// Its creator closed it to new participants.
    Closed,
    /// Its creator removed this person from it.
    Removed,
}

#[async_trait]
pub trait ReportRepository: Send + Sync {
    /// Removes a participant (their entries go with them) and remembers it, so they cannot join
    /// again. `ChallengeNotFound`, `NotParticipant`.
    async fn remove_participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Closes a challenge to new participants, or opens it again. `ChallengeNotFound`.
    async fn set_closed(
        &self,
        challenge: ChallengeId,
        closed: bool,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// What keeps `user` from joining, if anything (removed wins over closed).
    async fn join_barrier(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<JoinBarrier>, RepositoryError>;

    /// Records `reporter`'s report (a second one from them replaces their reason) and unlists
    /// the challenge at [`REPORTS_TO_UNLIST`] different reporters. `ChallengeNotFound`.
    async fn report(
        &self,
        challenge: ChallengeId,
        reporter: UserId,
        reason: ReportReason,
        at: DateTime<Utc>,
    ) -> Result<Reported, RepositoryError>;

    /// Challenges with reports, most reporters first.
    async fn reported_challenges(&self) -> Result<Vec<ReportedChallenge>, RepositoryError>;

    /// An operator looked: the challenge is listed again (if public) and its reports cleared.
    /// `ChallengeNotFound`.
    async fn relist(&self, challenge: ChallengeId) -> Result<(), RepositoryError>;
}
