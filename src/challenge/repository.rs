use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    Challenge, ChallengeChanges, ChallengeId, DeletedChallenge, InviteCode, InviteLookup, Listing,
    NameSearch, NewChallenge, Visibility,
};
use crate::clock::Today;
use crate::repository::{Page, Paged, RepositoryError};
use crate::user::UserId;

/// Which challenges a list shows. Every list is newest first (highest id first).
///
/// "Active" is judged in each challenge's own zone: its deadline is today or later where its
/// days are counted ([`Challenge::is_active`] on [`Today::in_zone`] of its zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeFilter {
    /// Every challenge, ended ones included.
    All,
    /// Challenges still active then.
    ActiveOn(Today),
    /// Active public challenges the user has not joined.
    JoinableBy { user: UserId, today: Today },
    /// Challenges the user joined; with `active_on`, only those still active then.
    JoinedBy { user: UserId, active_on: Option<Today> },
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

    /// Makes a challenge public or private; `ChallengeNotFound`.
    async fn set_visibility(
        &self,
        id: ChallengeId,
        visibility: Visibility,
    ) -> Result<Challenge, RepositoryError>;

    /// The challenge's invite code; a challenge without one yet gets `fresh` (two people asking
    /// at once both get the one that was stored). `ChallengeNotFound`.
    async fn invite_code(&self, id: ChallengeId, fresh: &InviteCode) -> Result<InviteCode, RepositoryError>;

    /// Replaces the challenge's invite code with `fresh`, remembering the old one as revoked.
    /// `ChallengeNotFound`.
    async fn revoke_invite(
        &self,
        id: ChallengeId,
        fresh: &InviteCode,
        at: DateTime<Utc>,
    ) -> Result<InviteCode, RepositoryError>;

    /// What an invite code leads to.
    async fn find_invite(&self, code: &InviteCode) -> Result<InviteLookup, RepositoryError>;

    /// Active public challenges the user has not joined (each judged in its own zone), newest
    /// first, with how many are in each and the creator's name; with `search`, only those whose
    /// name contains it.
    async fn public_challenges(
        &self,
        user: UserId,
        today: Today,
        search: Option<&NameSearch>,
        page: Page,
    ) -> Result<Paged<Listing>, RepositoryError>;

    /// When the user created the challenges they created at or after `since` (those not
    /// deleted), oldest first.
    async fn creations_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError>;

    /// When invite links of the user's challenges were replaced (`revoke_invite`) at or after
    /// `since`, oldest first.
    async fn renewals_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError>;

    /// The bot's username as last stored (by the bot at start), for invite links.
    async fn bot_username(&self) -> Result<Option<String>, RepositoryError>;

    async fn set_bot_username(&self, username: &str, at: DateTime<Utc>) -> Result<(), RepositoryError>;
}
