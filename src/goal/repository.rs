use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Membership, Participant, Standing};
use crate::amount::Amount;
use crate::challenge::ChallengeId;
use crate::repository::{Page, Paged, RepositoryError};
use crate::user::UserId;

#[async_trait]
pub trait GoalRepository: Send + Sync {
    /// Joins a user to a challenge with a goal target. Exactly one participant exists per
    /// (challenge, user) however many joins race: the losers get `AlreadyJoined`. Fails with
    /// `ChallengeNotFound` for an unknown challenge. Rules about dates are the caller's.
    async fn join(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError>;

    async fn participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<Participant>, RepositoryError>;

    /// Replaces a participant's goal and re-judges completion with the new goal: set to `at` if it
    /// now holds and had not, cleared if it no longer holds. Fails with `NotParticipant`.
    async fn set_goal(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError>;

    /// Every participant of a challenge with their tally and display name, in no particular order
    /// (rank them with [`crate::goal::rank`]).
    async fn standings(&self, challenge: ChallengeId) -> Result<Vec<Standing>, RepositoryError>;

    /// The challenges a user joined, newest first, each with the user's participant row and
    /// tally (with `active_on`, only those still active then). One page costs a constant number
    /// of statements, however many challenges it shows.
    async fn memberships(
        &self,
        user: UserId,
        active_on: Option<NaiveDate>,
        page: Page,
    ) -> Result<Paged<Membership>, RepositoryError>;
}
