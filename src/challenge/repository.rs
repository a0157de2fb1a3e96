use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Challenge, ChallengeChanges, ChallengeId, DeletedChallenge, NewChallenge};
use crate::repository::{Page, Paged, RepositoryError};
use crate::user::UserId;

/// Which challenges a list shows. Every list is newest first (highest id first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeFilter {
    /// Every challenge, ended ones included.
    All,
    /// Challenges whose deadline is on or after the date.
    ActiveOn(NaiveDate),
    /// Active challenges the user has not joined.
    JoinableBy { user: UserId, today: NaiveDate },
    /// Challenges the user joined; with `active_on`, only those still active then.
    JoinedBy { user: UserId, active_on: Option<NaiveDate> },
}

#[async_trait]
pub trait ChallengeRepository: Send + Sync {
    /// Stores a new challenge and joins its creator with the default goal, in one transaction.
    async fn create_challenge(&self, new: &NewChallenge) -> Result<Challenge, RepositoryError>;

    async fn challenge(&self, id: ChallengeId) -> Result<Option<Challenge>, RepositoryError>;

    async fn list_challenges(
        &self,
        filter: ChallengeFilter,
        page: Page,
    ) -> Result<Paged<Challenge>, RepositoryError>;

    /// Applies a creator's changes (name, description, a later deadline); `ChallengeNotFound`.
    async fn update_challenge(
        &self,
        id: ChallengeId,
        changes: &ChallengeChanges,
    ) -> Result<Challenge, RepositoryError>;

    /// Deletes a challenge with its participants and their entries, leaving its name for each
    /// of them (see [`Self::deleted_challenge`]); `ChallengeNotFound`.
    async fn delete_challenge(&self, id: ChallengeId, at: DateTime<Utc>) -> Result<(), RepositoryError>;

    /// What is left of a deleted challenge, if it was deleted.
    async fn deleted_challenge(&self, id: ChallengeId) -> Result<Option<DeletedChallenge>, RepositoryError>;

    /// Challenges the user was in that someone else deleted since `since`, newest first.
    async fn deletions_seen_by(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DeletedChallenge>, RepositoryError>;
}
