//! What a creator does with their challenge (rename, describe, move the deadline, delete) and
//! how a participant leaves one.
//!
//! Only the creator manages a challenge. A deadline can move anywhere from today on (a challenge
//! that ended is opened again by a later one), never into the past, where it would close a
//! challenge under its participants' feet; for a days challenge it must leave room for the
//! challenge's own goal. Deleting keeps the challenge's name for its participants, who then find
//! it gone with a line saying so.

use chrono::{Duration, NaiveDate};

use super::{App, AppError};
use crate::amount::Amount;
use crate::challenge::{
    Challenge, ChallengeChanges, ChallengeId, ChallengeName, Deadline, DeletedChallenge, Description,
};
use crate::goal::GoalKind;
use crate::user::UserId;

/// How long "My challenges" keeps saying that a challenge someone was in was deleted.
pub const DELETION_NOTICE_DAYS: i64 = 14;

/// What a creator asked to change; each part already parsed except the deadline (which depends
/// on today).
#[derive(Clone, Debug, Default)]
pub struct ChallengeEdit {
    pub name: Option<ChallengeName>,
    pub description: Option<Description>,
    pub deadline: Option<NaiveDate>,
}

impl App {
    /// A challenge the user created; `NotCreator` for anyone else.
    pub async fn own_challenge(&self, user: UserId, id: ChallengeId) -> Result<Challenge, AppError> {
        let challenge = self.challenge(id).await?;
        if challenge.creator != user {
            return Err(AppError::NotCreator(id));
        }
        Ok(challenge)
    }

    /// Applies the creator's changes and returns the challenge as it is now.
    pub async fn edit_challenge(
        &self,
        user: UserId,
        id: ChallengeId,
        edit: ChallengeEdit,
    ) -> Result<Challenge, AppError> {
        let challenge = self.own_challenge(user, id).await?;
        let deadline = edit.deadline.map(|d| self.check_deadline(&challenge, d)).transpose()?;
        let changes = ChallengeChanges { name: edit.name, description: edit.description, deadline };
        if changes.is_empty() {
            return Err(AppError::Invalid(
                "Nothing to change: give a new name, description or deadline.".into(),
            ));
        }
        Ok(self.store.update_challenge(id, &changes).await?)
    }

    /// Checks a new deadline: from today to five years ahead, and for a days challenge with room
    /// for its own goal.
    pub fn check_deadline(&self, challenge: &Challenge, deadline: NaiveDate) -> Result<NaiveDate, AppError> {
        let deadline = Deadline::parse_move(deadline, self.today())?.date();
        if challenge.goal_kind == GoalKind::Days {
            let days = (deadline - challenge.start_date).num_days() + 1;
            if challenge.default_goal > Amount::from_whole(days) {
                return Err(AppError::Unreachable(format!(
                    "With that deadline the challenge has {}, fewer than its goal of {} days.",
                    super::days(days),
                    challenge.default_goal
                )));
            }
        }
        Ok(deadline)
    }

    /// Deletes the creator's challenge with everyone's entries; returns what it was.
    pub async fn delete_challenge(&self, user: UserId, id: ChallengeId) -> Result<Challenge, AppError> {
        let challenge = self.own_challenge(user, id).await?;
        self.store.delete_challenge(id, self.now()).await?;
        Ok(challenge)
    }

    /// The user leaves a challenge; their entries go with them. The creator cannot leave.
    pub async fn leave(&self, user: UserId, id: ChallengeId) -> Result<Challenge, AppError> {
        let challenge = self.challenge(id).await?;
        if challenge.creator == user {
            return Err(AppError::CreatorCannotLeave(id));
        }
        self.store.leave(id, user).await?;
        Ok(challenge)
    }

    /// Challenges the user was in that their creators deleted lately, newest first.
    pub async fn recent_deletions(&self, user: UserId) -> Result<Vec<DeletedChallenge>, AppError> {
        let since = self.now() - Duration::days(DELETION_NOTICE_DAYS);
        Ok(self.store.deletions_seen_by(user, since).await?)
    }
}
