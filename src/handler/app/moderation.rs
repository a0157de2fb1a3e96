//! Moderation: reports of challenges and the operator's review of them; a creator removing a
//! participant and closing their challenge to new participants.

use super::{App, AppError};
use crate::challenge::{Challenge, ChallengeId, JoinBarrier, ReportReason, Reported, ReportedChallenge};
use crate::goal::HiddenName;
use crate::user::UserId;

impl App {
    /// Reports a challenge the person may see (not their own).
    pub async fn report(
        &self,
        user: UserId,
        id: ChallengeId,
        reason: ReportReason,
    ) -> Result<(Challenge, Reported), AppError> {
        let challenge = self.challenge(id).await?;
        self.ensure_visible(&challenge, user).await?;
        if challenge.creator == user {
            return Err(AppError::Invalid("You cannot report your own challenge.".into()));
        }
        let reported = self.store.report(id, user, reason, self.now()).await?;
        if reported.unlisted_now {
            tracing::warn!(
                challenge = id.0,
                reporters = reported.reporters,
                "a challenge was unlisted by reports"
            );
        }
        Ok((challenge, reported))
    }

    /// Challenges with reports, most reporters first (the operator's review).
    pub async fn reported_challenges(&self) -> Result<Vec<ReportedChallenge>, AppError> {
        Ok(self.store.reported_challenges().await?)
    }

    /// Lists a reported challenge again and clears its reports (the operator looked).
    pub async fn relist(&self, id: ChallengeId) -> Result<Challenge, AppError> {
        let challenge = self.challenge(id).await?;
        self.store.relist(id).await?;
        Ok(challenge)
    }

    /// The creator removes a participant: their entries go, and they cannot join again.
    pub async fn remove_participant(
        &self,
        by: UserId,
        id: ChallengeId,
        user: UserId,
    ) -> Result<Challenge, AppError> {
        let challenge = self.own_challenge(by, id).await?;
        if user == challenge.creator {
            return Err(AppError::Invalid(
                "You cannot remove yourself: you can delete the challenge instead.".into(),
            ));
        }
        self.store.remove_participant(id, user, self.now()).await?;
        Ok(challenge)
    }

    /// The creator hides a participant's display name in their challenge (they show as
    /// "Participant N" wherever the challenge names them) or shows it again; N while hidden.
    pub async fn hide_name(
        &self,
        by: UserId,
        id: ChallengeId,
        user: UserId,
        hidden: bool,
    ) -> Result<(Challenge, HiddenName), AppError> {
        let challenge = self.own_challenge(by, id).await?;
        if user == challenge.creator {
            return Err(AppError::Invalid("Your own name shows as it is in your challenge.".into()));
        }
        let name = self.store.hide_name(id, user, hidden).await?;
        Ok((challenge, name))
    }

    /// The creator closes their challenge to new participants (or opens it again).
    pub async fn set_closed(&self, by: UserId, id: ChallengeId, closed: bool) -> Result<Challenge, AppError> {
        let challenge = self.own_challenge(by, id).await?;
        self.store.set_closed(id, closed, self.now()).await?;
        Ok(challenge)
    }

    /// Whether the challenge is closed to new participants.
    pub async fn is_closed(&self, id: ChallengeId, creator: UserId) -> Result<bool, AppError> {
        Ok(self.store.join_barrier(id, creator).await? == Some(JoinBarrier::Closed))
    }

    /// Refuses someone the creator removed, or anyone once the challenge is closed.
    pub async fn ensure_may_join(&self, id: ChallengeId, user: UserId) -> Result<(), AppError> {
        match self.store.join_barrier(id, user).await? {
            Some(JoinBarrier::Removed) => Err(AppError::RemovedFrom(id)),
            Some(JoinBarrier::Closed) => Err(AppError::JoinClosed(id)),
            None => Ok(()),
        }
    }
}
