use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{Membership, Participant, Standing};
use crate::amount::Amount;
use crate::challenge::ChallengeId;
use crate::repository::{Page, RepositoryError};
use crate::user::UserId;

/// Which of a user's challenges a list shows, by the date that decides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipScope {
    All,
    /// Still taking entries on this date (up to the day of grace).
    Open(NaiveDate),
    /// Closed for entries by this date: their standings are final.
    Closed(NaiveDate),
}

/// One page of a user's challenges within a scope.
#[derive(Clone, Debug, PartialEq)]
pub struct Memberships {
    pub items: Vec<Membership>,
    /// How many are in the scope, on every page.
    pub total: u64,
    /// How many of the user's challenges are outside it (for "Ended challenges (3)").
    pub outside: u64,
}

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

    /// The challenges a user joined, most recently active first (their last entry, goal or
    /// join), each with the user's participant row and tally, within `scope`, and how many are
    /// outside it. One page costs two statements, however many challenges it shows.
    async fn memberships(
        &self,
        user: UserId,
        scope: MembershipScope,
        page: Page,
    ) -> Result<Memberships, RepositoryError>;

    /// The user leaves the challenge; their entries go with them. `NotParticipant`.
    async fn leave(&self, challenge: ChallengeId, user: UserId) -> Result<(), RepositoryError>;
}
