//! The in-memory store's reports (see `storage::sql::report` for the SQL one).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::challenge::{
    ChallengeId, JoinBarrier, REPORTS_TO_UNLIST, ReportReason, ReportRepository, Reported, ReportedChallenge,
};
use crate::repository::RepositoryError;
use crate::user::UserId;

#[async_trait]
impl ReportRepository for MemoryStore {
    async fn remove_participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        inner.member_mut(challenge, user)?;
        inner.members.remove(&(challenge.0, user.0));
        inner.muted.remove(&(challenge.0, user.0));
        inner.keys.retain(|(c, u, _), _| !(*c == challenge.0 && *u == user.0));
        if let Some(c) = inner.challenges.get_mut(&challenge.0)
            && c.first_finisher == Some(user)
        {
            c.first_finisher = None;
        }
        inner.removed.insert((challenge.0, user.0));
        Ok(())
    }

    async fn set_closed(
        &self,
        challenge: ChallengeId,
        closed: bool,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.challenges.contains_key(&challenge.0) {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        if closed {
            inner.closed.insert(challenge.0, at);
        } else {
            inner.closed.remove(&challenge.0);
        }
        Ok(())
    }

    async fn join_barrier(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<JoinBarrier>, RepositoryError> {
        let inner = self.lock()?;
        Ok(if inner.removed.contains(&(challenge.0, user.0)) {
            Some(JoinBarrier::Removed)
        } else if inner.closed.contains_key(&challenge.0) {
            Some(JoinBarrier::Closed)
        } else {
            None
        })
    }

    async fn report(
        &self,
        challenge: ChallengeId,
        reporter: UserId,
        reason: ReportReason,
        at: DateTime<Utc>,
    ) -> Result<Reported, RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.challenges.contains_key(&challenge.0) {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        inner.reports.insert((challenge.0, reporter.0), reason);
        let reporters = inner.reports.keys().filter(|(c, _)| *c == challenge.0).count() as u32;
        let mut unlisted_now = false;
        if reporters >= REPORTS_TO_UNLIST && !inner.unlisted.contains_key(&challenge.0) {
            inner.unlisted.insert(challenge.0, at);
            unlisted_now = true;
        }
        Ok(Reported { reporters, unlisted_now })
    }

    async fn reported_challenges(&self) -> Result<Vec<ReportedChallenge>, RepositoryError> {
        let inner = self.lock()?;
        let mut reported: Vec<ReportedChallenge> = Vec::new();
        for challenge in inner.challenges.values() {
            let reasons: Vec<(ReportReason, u32)> = ReportReason::ALL
                .into_iter()
                .map(|reason| {
                    let n = inner
                        .reports
                        .iter()
                        .filter(|((c, _), r)| *c == challenge.id.0 && **r == reason)
                        .count();
                    (reason, n as u32)
                })
                .filter(|(_, n)| *n > 0)
                .collect();
            if reasons.is_empty() {
                continue;
            }
            reported.push(ReportedChallenge {
                challenge: challenge.clone(),
                reporters: reasons.iter().map(|(_, n)| n).sum(),
                reasons,
                unlisted_at: inner.unlisted.get(&challenge.id.0).copied(),
            });
        }
        reported.sort_by(|a, b| b.reporters.cmp(&a.reporters).then(a.challenge.id.0.cmp(&b.challenge.id.0)));
        Ok(reported)
    }

    async fn relist(&self, challenge: ChallengeId) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.challenges.contains_key(&challenge.0) {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        inner.unlisted.remove(&challenge.0);
        inner.reports.retain(|(c, _), _| *c != challenge.0);
        Ok(())
    }
}
