//! The SQL stores' reminder settings and schedules, and the end of challenges. Expanded by
//! [`super::sql_repositories`] inside each store's `repositories` module, so it shares that
//! module's imports and helpers.

/// `ReminderRepository` for `$store` (see the module documentation).
macro_rules! sql_reminder_repository {
    ($store:ident, $db:ident) => {
// The body is written at the indentation it would have in a file of its own.

#[derive(sqlx::FromRow)]
struct SettingsRow {
    user_id: i64,
    time_zone: Option<String>,
    remind_at: Option<i32>,
    remind_challenges: Option<String>,
    reminders_paused: bool,
    reminder_offered: bool,
    remind_next_at: Option<DateTime<Utc>>,
    streak_next_at: Option<DateTime<Utc>>,
}

const SETTINGS_COLUMNS: &str = "user_id, time_zone, remind_at, remind_challenges, reminders_paused, \
    reminder_offered, remind_next_at, streak_next_at";

impl SettingsRow {
    fn into_due(self) -> Result<Due, RepositoryError> {
        let zone = self
            .time_zone
            .as_deref()
            .map(|z| z.parse::<chrono_tz::Tz>().map_err(|_| corrupt("time zone", z)))
            .transpose()?;
        let remind_at = self
            .remind_at
            .map(|m| TimeOfDay::from_minutes(i64::from(m)).ok_or_else(|| corrupt("reminder time", m)))
            .transpose()?;
        let chosen = self
            .remind_challenges
            .as_deref()
            .unwrap_or("")
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| id.parse::<i64>().map(ChallengeId).map_err(|_| corrupt("reminder challenges", id)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Due {
            user: UserId(self.user_id),
            settings: Settings {
                zone,
                remind_at,
                chosen,
                paused: self.reminders_paused,
                offered: self.reminder_offered,
            },
            schedule: Schedule { remind_next: self.remind_next_at, streak_next: self.streak_next_at },
        })
    }
}

fn chosen_text(chosen: &[ChallengeId]) -> Option<String> {
    (!chosen.is_empty()).then(|| chosen.iter().map(|c| c.0.to_string()).collect::<Vec<_>>().join(","))
}

#[async_trait]
impl ReminderRepository for $store {
    async fn settings(&self, user: UserId) -> Result<Settings, RepositoryError> {
        let row: Option<SettingsRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SETTINGS_COLUMNS} FROM user_settings WHERE user_id = $1"
        )))
        .bind(user.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        Ok(row.map(SettingsRow::into_due).transpose()?.map(|due| due.settings).unwrap_or_default())
    }

    async fn save_settings(
        &self,
        user: UserId,
        settings: &Settings,
        schedule: Schedule,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO user_settings (user_id, time_zone, remind_at, remind_challenges, reminders_paused, \
               reminder_offered, remind_next_at, streak_next_at, due_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, remind_at = excluded.remind_at, \
               remind_challenges = excluded.remind_challenges, reminders_paused = excluded.reminders_paused, \
               reminder_offered = excluded.reminder_offered, remind_next_at = excluded.remind_next_at, \
               streak_next_at = excluded.streak_next_at, due_at = excluded.due_at, updated_at = excluded.updated_at",
        )
        .bind(user.0)
        .bind(settings.zone.map(|z| z.name().to_owned()))
        .bind(settings.remind_at.map(|t| i32::from(t.minutes())))
        .bind(chosen_text(&settings.chosen))
        .bind(settings.paused)
        .bind(settings.offered)
        .bind(schedule.remind_next)
        .bind(schedule.streak_next)
        .bind(schedule.due_at())
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Due>, RepositoryError> {
        let rows: Vec<SettingsRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SETTINGS_COLUMNS} FROM user_settings WHERE due_at IS NOT NULL AND due_at <= $1 \
             ORDER BY due_at, user_id LIMIT $2"
        )))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(SettingsRow::into_due).collect()
    }

    async fn advance(&self, moves: &[Move]) -> Result<Vec<UserId>, RepositoryError> {
        if moves.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write().await?;
        // One statement for the batch; VALUES columns are column1.. on both databases. A NULL
        // as read matches a NULL.
        let mut update = QueryBuilder::<$db>::new(
            "UPDATE user_settings SET remind_next_at = v.column4, streak_next_at = v.column5, due_at = v.column6 FROM (",
        );
        update.push_values(moves, |mut row, m| {
            row.push_bind(m.user.0)
                .push_bind(m.from.remind_next)
                .push_bind(m.from.streak_next)
                .push_bind(m.to.remind_next)
                .push_bind(m.to.streak_next)
                .push_bind(m.to.due_at());
        });
        update.push(
            ") AS v WHERE user_settings.user_id = v.column1 AND user_settings.due_at IS NOT NULL \
             AND (user_settings.remind_next_at = v.column2 OR (user_settings.remind_next_at IS NULL AND v.column2 IS NULL)) \
             AND (user_settings.streak_next_at = v.column3 OR (user_settings.streak_next_at IS NULL AND v.column3 IS NULL)) \
             RETURNING user_settings.user_id",
        );
        let moved: Vec<(i64,)> = update.build_query_as().fetch_all(&mut *tx).await.map_err(db_error)?;
        tx.commit().await?;
        Ok(moved.into_iter().map(|(id,)| UserId(id)).collect())
    }

    async fn running_memberships(
        &self,
        users: &[UserId],
        since: NaiveDate,
    ) -> Result<Vec<Membership>, RepositoryError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut select = QueryBuilder::<$db>::new(format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM participants p JOIN challenges c ON c.id = p.challenge_id \
             WHERE c.deadline >= "
        ));
        select.push_bind(since).push(" AND p.user_id IN (");
        let mut ids = select.separated(", ");
        for user in users {
            ids.push_bind(user.0);
        }
        select.push(") ORDER BY p.user_id, c.id");
        let rows: Vec<MembershipRow> =
            select.build_query_as().fetch_all(&mut *self.read().await?).await.map_err(db_error)?;
        rows.into_iter().map(Membership::try_from).collect()
    }

    async fn set_paused(&self, user: UserId, paused: bool, schedule: Schedule) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "UPDATE user_settings SET reminders_paused = $2, remind_next_at = $3, streak_next_at = $4, due_at = $5 \
             WHERE user_id = $1",
        )
        .bind(user.0)
        .bind(paused)
        .bind(schedule.remind_next)
        .bind(schedule.streak_next)
        .bind(schedule.due_at())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await
    }

    async fn set_challenge_zone(&self, challenge: ChallengeId, zone: chrono_tz::Tz) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE challenges SET time_zone = $2 WHERE id = $1")
            .bind(challenge.0)
            .bind(zone.name())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await?;
        self.zones.forget();
        Ok(())
    }

    async fn unsummarized(
        &self,
        latest_deadline: NaiveDate,
        now: DateTime<Utc>,
        after: Option<ChallengeId>,
        limit: u32,
    ) -> Result<Vec<Ending>, RepositoryError> {
        let rows: Vec<(i64, NaiveDate, Option<String>)> = sqlx::query_as(
            "SELECT id, deadline, time_zone FROM challenges WHERE summarized_at IS NULL AND deadline <= $1 \
             AND id > $2 AND (summary_next_at IS NULL OR summary_next_at <= $4) ORDER BY id LIMIT $3",
        )
        .bind(latest_deadline)
        .bind(after.map_or(0, |c| c.0))
        .bind(i64::from(limit))
        .bind(now)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|(id, deadline, zone)| {
                let zone = zone
                    .as_deref()
                    .map(|z| z.parse::<chrono_tz::Tz>().map_err(|_| corrupt("time zone", z)))
                    .transpose()?;
                Ok(Ending { challenge: ChallengeId(id), deadline, zone })
            })
            .collect()
    }

    async fn summary_recipients(
        &self,
        challenge: ChallengeId,
    ) -> Result<Vec<(UserId, Option<chrono_tz::Tz>)>, RepositoryError> {
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT p.user_id, s.time_zone FROM participants p LEFT JOIN user_settings s ON s.user_id = p.user_id \
             WHERE p.challenge_id = $1 AND p.summarized_at IS NULL ORDER BY p.user_id",
        )
        .bind(challenge.0)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|(user, zone)| {
                let zone = zone
                    .as_deref()
                    .map(|z| z.parse::<chrono_tz::Tz>().map_err(|_| corrupt("time zone", z)))
                    .transpose()?;
                Ok((UserId(user), zone))
            })
            .collect()
    }

    async fn mark_participants_summarized(
        &self,
        challenge: ChallengeId,
        users: &[UserId],
        at: DateTime<Utc>,
    ) -> Result<Vec<UserId>, RepositoryError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let mut update = QueryBuilder::<$db>::new("UPDATE participants SET summarized_at = ");
        update.push_bind(at).push(" WHERE challenge_id = ").push_bind(challenge.0);
        update.push(" AND summarized_at IS NULL AND user_id IN (");
        let mut ids = update.separated(", ");
        for user in users {
            ids.push_bind(user.0);
        }
        update.push(") RETURNING user_id");
        let mut tx = self.write().await?;
        let marked: Vec<(i64,)> = update.build_query_as().fetch_all(&mut *tx).await.map_err(db_error)?;
        tx.commit().await?;
        Ok(marked.into_iter().map(|(user,)| UserId(user)).collect())
    }

    async fn defer_summary(&self, challenge: ChallengeId, until: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE challenges SET summary_next_at = $2 WHERE id = $1")
            .bind(challenge.0)
            .bind(until)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await?;
        Ok(())
    }

    async fn mark_summarized(&self, challenge: ChallengeId, at: DateTime<Utc>) -> Result<bool, RepositoryError> {
        let mut tx = self.write().await?;
        let marked = sqlx::query("UPDATE challenges SET summarized_at = $2 WHERE id = $1 AND summarized_at IS NULL")
            .bind(challenge.0)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        tx.commit().await?;
        Ok(marked.rows_affected() == 1)
    }
}
    };
}

pub(crate) use sql_reminder_repository;
