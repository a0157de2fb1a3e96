//! Reports of challenges, and the operator's review of them.

use super::{App, AppError};
use crate::challenge::{Challenge, ChallengeId, ReportReason, Reported, ReportedChallenge};
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
}
