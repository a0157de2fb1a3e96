//! The SQL stores' reports of challenges. Expanded by [`super::sql_repositories`] inside each
//! store's `repositories` module, so it shares that module's imports and helpers.

/// `ReportRepository` for `$store` (see the module documentation).
macro_rules! sql_report_repository {
    ($store:ident) => {
// The body is written at the indentation it would have in a file of its own.

#[async_trait]
impl ReportRepository for $store {
    async fn remove_participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        if let Err(missing) = delete_participant(&mut tx, challenge, user).await? {
            tx.commit().await?;
            return Err(missing);
        }
        sqlx::query(
            "UPDATE challenges SET first_finisher_id = NULL, first_finished_at = NULL \
             WHERE id = $1 AND first_finisher_id = $2",
        )
        .bind(challenge.0)
        .bind(user.0)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO removed_participants (challenge_id, user_id, removed_at) VALUES ($1, $2, $3) \
             ON CONFLICT (challenge_id, user_id) DO NOTHING",
        )
        .bind(challenge.0)
        .bind(user.0)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await
    }

    async fn set_closed(&self, challenge: ChallengeId, closed: bool, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        let found = sqlx::query("UPDATE challenges SET closed_at = $2 WHERE id = $1")
            .bind(challenge.0)
            .bind(closed.then_some(at))
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if found.rows_affected() == 0 {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        tx.commit().await
    }

    async fn join_barrier(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<JoinBarrier>, RepositoryError> {
        let row: Option<(bool, bool)> = sqlx::query_as(
            "SELECT c.closed_at IS NOT NULL, EXISTS (SELECT 1 FROM removed_participants r \
             WHERE r.challenge_id = c.id AND r.user_id = $2) FROM challenges c WHERE c.id = $1",
        )
        .bind(challenge.0)
        .bind(user.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        Ok(match row {
            Some((_, true)) => Some(JoinBarrier::Removed),
            Some((true, false)) => Some(JoinBarrier::Closed),
            _ => None,
        })
    }

    async fn report(
        &self,
        challenge: ChallengeId,
        reporter: UserId,
        reason: ReportReason,
        at: DateTime<Utc>,
    ) -> Result<Reported, RepositoryError> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO challenge_reports (challenge_id, reporter_id, reason, reported_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (challenge_id, reporter_id) DO UPDATE SET reason = excluded.reason, \
             reported_at = excluded.reported_at",
        )
        .bind(challenge.0)
        .bind(reporter.0)
        .bind(reason.as_str())
        .bind(at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_foreign_key_violation(&e) => return Err(RepositoryError::ChallengeNotFound(challenge.0)),
            Err(e) => return Err(db_error(e)),
        }
        let reporters: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM challenge_reports WHERE challenge_id = $1")
            .bind(challenge.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error)?;
        let reporters = u32::try_from(reporters).unwrap_or(u32::MAX);
        let mut unlisted_now = false;
        if reporters >= REPORTS_TO_UNLIST {
            let unlisted = sqlx::query("UPDATE challenges SET unlisted_at = $2 WHERE id = $1 AND unlisted_at IS NULL")
                .bind(challenge.0)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
            unlisted_now = unlisted.rows_affected() == 1;
        }
        tx.commit().await?;
        Ok(Reported { reporters, unlisted_now })
    }

    async fn reported_challenges(&self) -> Result<Vec<ReportedChallenge>, RepositoryError> {
        let counts: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT challenge_id, reason, COUNT(*) FROM challenge_reports GROUP BY challenge_id, reason \
             ORDER BY challenge_id, reason",
        )
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        let mut reported: Vec<ReportedChallenge> = Vec::new();
        for (id, reason, count) in counts {
            let reason = ReportReason::parse(&reason).ok_or_else(|| corrupt("report reason", &reason))?;
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            if let Some(last) = reported.last_mut().filter(|r| r.challenge.id.0 == id) {
                last.reporters += count;
                last.reasons.push((reason, count));
                continue;
            }
            let Some(challenge) = ChallengeRepository::challenge(self, ChallengeId(id)).await? else { continue };
            let unlisted_at: Option<DateTime<Utc>> =
                sqlx::query_scalar("SELECT unlisted_at FROM challenges WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *self.read().await?)
                    .await
                    .map_err(db_error)?;
            reported.push(ReportedChallenge { challenge, reporters: count, reasons: vec![(reason, count)], unlisted_at });
        }
        for r in &mut reported {
            r.reasons.sort();
        }
        reported.sort_by(|a, b| b.reporters.cmp(&a.reporters).then(a.challenge.id.0.cmp(&b.challenge.id.0)));
        Ok(reported)
    }

    async fn relist(&self, challenge: ChallengeId) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        let found = sqlx::query("UPDATE challenges SET unlisted_at = NULL WHERE id = $1")
            .bind(challenge.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if found.rows_affected() == 0 {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        sqlx::query("DELETE FROM challenge_reports WHERE challenge_id = $1")
            .bind(challenge.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await
    }
}

    };
}

pub(crate) use sql_report_repository;
