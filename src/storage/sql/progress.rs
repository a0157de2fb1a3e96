//! The SQL stores' progress repository: recording an entry with everything it decides (the
//! participant's tally, standing, completion, the challenge's first finisher) in the same
//! transaction, and editing, deleting or undoing one with the participant re-judged. Expanded by
//! [`super::sql_repositories`] inside each store's `repositories` module, so it shares that
//! module's imports and helpers (`lock_participant`, `completion`, `ENTRY_COLUMNS`).

/// `ProgressRepository` for `$store` (see the module documentation).
macro_rules! sql_progress_repository {
    ($store:ident, $db:ident, $conn:ident) => {
// The body is written at the indentation it would have in a file of its own.

/// Computes a participant's tally again from their entries, with when their standing last
/// changed, and writes it with their completion and last activity (after an edit, a deletion, an
/// undo). Returns the tally and when they completed.
async fn rejudge(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
    locked: &LockedParticipant,
    at: DateTime<Utc>,
) -> Result<(Tally, Option<DateTime<Utc>>), RepositoryError> {
    let kind = goal_kind(&locked.goal_kind)?;
    let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS} FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 ORDER BY id"
    )))
    .bind(challenge.0)
    .bind(user.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db_error)?;
    let entries: Vec<ProgressEntry> = rows.into_iter().map(ProgressEntry::try_from).collect::<Result<_, _>>()?;
    let tally = Tally::of(&entries, |t| kind.standing(t));
    let goal = Goal::from_stored(kind, Amount::from_hundredths(locked.goal_hundredths));
    let completed_at = completion(goal, &tally, locked.completed_at, at);
    write_tally(conn, challenge, user, &tally, completed_at, at).await?;
    Ok((tally, completed_at))
}

/// Writes a participant's tally with their completion and last activity.
async fn write_tally(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
    tally: &Tally,
    completed_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<(), RepositoryError> {
    sqlx::query(
        "UPDATE participants SET total_hundredths = $3, latest_hundredths = $4, best_hundredths = $5, \
           first_hundredths = $6, days = $7, entries = $8, first_date = $9, last_date = $10, standing_at = $11, \
           completed_at = $12, last_active_at = $13, streak_run = $14, streak_best = $15, streak_freezes = $16 \
         WHERE challenge_id = $1 AND user_id = $2",
    )
    .bind(challenge.0)
    .bind(user.0)
    .bind(tally.total.hundredths())
    .bind(tally.latest.map(Amount::hundredths))
    .bind(tally.best.map(Amount::hundredths))
    .bind(tally.first.map(Amount::hundredths))
    .bind(i64::from(tally.days))
    .bind(i64::from(tally.entries))
    .bind(tally.first_date)
    .bind(tally.last_date)
    .bind(tally.standing_at)
    .bind(completed_at)
    .bind(at)
    .bind(i64::from(tally.streak.run))
    .bind(i64::from(tally.streak.best))
    .bind(i64::from(tally.streak.freezes))
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// The distinct dates of a participant's entries (to compute a streak again).
async fn entry_dates(conn: &mut $conn, challenge: ChallengeId, user: UserId) -> Result<Vec<NaiveDate>, RepositoryError> {
    sqlx::query_scalar("SELECT DISTINCT progress_date FROM progress_entries WHERE challenge_id = $1 AND user_id = $2")
        .bind(challenge.0)
        .bind(user.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error)
}

/// The entry stored under a participant's idempotency key, and the value first sent under it.
async fn entry_by_key(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
    key: &IdempotencyKey,
) -> Result<Option<(EntryRow, Option<i64>)>, RepositoryError> {
    #[derive(sqlx::FromRow)]
    struct Keyed {
        #[sqlx(flatten)]
        entry: EntryRow,
        key_value_hundredths: Option<i64>,
    }
    let keyed: Option<Keyed> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ENTRY_COLUMNS}, key_value_hundredths \
         FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 AND idempotency_key = $3"
    )))
    .bind(challenge.0)
    .bind(user.0)
    .bind(key.as_str())
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    Ok(keyed.map(|k| (k.entry, k.key_value_hundredths)))
}

/// Whether the participant checked in on `date` already (another entry than `except`).
async fn checked_in_on(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
    date: NaiveDate,
    except: i64,
) -> Result<bool, RepositoryError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 \
         AND progress_date = $3 AND value_hundredths IS NULL AND id <> $4",
    )
    .bind(challenge.0)
    .bind(user.0)
    .bind(date)
    .bind(except)
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    Ok(found.is_some())
}

/// The answer for an entry whose key the participant used before: that entry, their tally and
/// completion, and nothing changed — if it is the same entry (the value first sent under the key).
fn duplicate(
    new: &NewProgress,
    locked: &LockedParticipant,
    (row, first_value): (EntryRow, Option<i64>),
) -> Result<Recorded, RepositoryError> {
    let sent = new.value.amount().map(Amount::hundredths);
    if sent != first_value {
        let key = new.idempotency_key.as_ref().map_or_else(String::new, |k| k.as_str().to_owned());
        return Err(RepositoryError::KeyReused { key, first_value: first_value.map(Amount::from_hundredths) });
    }
    Ok(Recorded {
        entry: row.try_into()?,
        duplicate: true,
        before: locked.tally.clone().into(),
        tally: locked.tally.clone().into(),
        completed_now: false,
        completed_at: locked.completed_at,
        first_to_finish: false,
        goal: Amount::from_hundredths(locked.goal_hundredths),
        joined_at: locked.joined_at,
        hidden_as: locked.name_hidden_as.and_then(|n| u32::try_from(n).ok()),
    })
}
/// Deletes one of a (locked) participant's entries, `entry` or else the last one recorded, and
/// re-judges them; `None` if there was no such entry.
async fn remove_entry(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
    entry: Option<i64>,
    locked: &LockedParticipant,
    at: DateTime<Utc>,
) -> Result<Option<(EntryRow, Tally, Option<DateTime<Utc>>)>, RepositoryError> {
    let deleted: Option<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "DELETE FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 AND id = COALESCE($3, \
           (SELECT id FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT 1)) \
         RETURNING {ENTRY_COLUMNS}"
    )))
    .bind(challenge.0)
    .bind(user.0)
    .bind(entry)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    let Some(row) = deleted else { return Ok(None) };
    let (tally, completed_at) = rejudge(conn, challenge, user, locked, at).await?;
    Ok(Some((row, tally, completed_at)))
}

#[async_trait]
impl ProgressRepository for $store {
    async fn add_progress(&self, new: &NewProgress) -> Result<Recorded, RepositoryError> {
        let mut tx = self.write().await?;
        // From here on, entries of this participant are recorded one at a time: the key and
        // date checks and the tally below see every earlier entry, and completion is set
        // exactly once.
        let locked = lock_participant(&mut tx, new.challenge, new.user, Some(new.date.date())).await?;
        if let Some(key) = &new.idempotency_key
            && let Some(stored) = entry_by_key(&mut tx, new.challenge, new.user, key).await?
        {
            let recorded = duplicate(new, &locked, stored)?;
            tx.commit().await?;
            return Ok(recorded);
        }
        if new.value.amount().is_none() && locked.checked_in {
            tx.commit().await?;
            return Err(RepositoryError::AlreadyCheckedIn { date: new.date.date() });
        }
        let kind = goal_kind(&locked.goal_kind)?;
        let value = new.value.amount().map(Amount::hundredths);
        let row: EntryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO progress_entries \
               (challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key, \
                key_value_hundredths) \
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 IS NULL THEN NULL ELSE $3 END) \
             RETURNING {ENTRY_COLUMNS}"
        )))
        .bind(new.challenge.0)
        .bind(new.user.0)
        .bind(value)
        .bind(new.date.date())
        .bind(new.recorded_at)
        .bind(new.idempotency_key.as_ref().map(IdempotencyKey::as_str))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let entry: ProgressEntry = row.try_into()?;
        let streak_missing = locked.tally.streak_missing();
        let before: Tally = locked.tally.clone().into();
        let mut tally = before.plus(&entry, !locked.date_seen, |t| kind.standing(t));
        if streak_missing || (!locked.date_seen && before.fills_a_gap(entry.date.date())) {
            tally.streak = Streak::of(entry_dates(&mut tx, new.challenge, new.user).await?);
        }
        // Completion is re-judged with the new tally: set to this entry's time when the goal
        // holds for the first time, cleared when it no longer holds (a latest value that went
        // the wrong way again).
        let goal = Goal::from_stored(kind, Amount::from_hundredths(locked.goal_hundredths));
        let completed_at = completion(goal, &tally, locked.completed_at, entry.recorded_at);
        let completed_now = completed_at.is_some() && locked.completed_at.is_none();
        write_tally(&mut tx, new.challenge, new.user, &tally, completed_at, entry.recorded_at).await?;
        // The first to meet the challenge's own goal, which nobody can lower.
        let default_goal = Goal::from_stored(kind, Amount::from_hundredths(locked.default_goal_hundredths));
        let mut first_to_finish = false;
        if locked.first_finisher_id.is_none() && default_goal.is_met(&tally) {
            let claimed = sqlx::query(
                "UPDATE challenges SET first_finisher_id = $2, first_finished_at = $3 \
                 WHERE id = $1 AND first_finisher_id IS NULL",
            )
            .bind(new.challenge.0)
            .bind(new.user.0)
            .bind(entry.recorded_at)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
            first_to_finish = claimed.rows_affected() == 1;
        }
        tx.commit().await?;
        Ok(Recorded {
            entry,
            duplicate: false,
            before,
            tally,
            completed_now,
            completed_at,
            first_to_finish,
            goal: Amount::from_hundredths(locked.goal_hundredths),
            joined_at: locked.joined_at,
            hidden_as: locked.name_hidden_as.and_then(|n| u32::try_from(n).ok()),
        })
    }

    async fn export_entries(&self, scope: ExportScope) -> Result<Vec<ExportedEntry>, RepositoryError> {
        // A challenge's export names people as its leaderboard does; a person's own export
        // has their own name throughout.
        let (column, id, hidden_as) = match scope {
            ExportScope::Challenge(c) => ("e.challenge_id", c.0, "p.name_hidden_as"),
            ExportScope::User(u) => ("e.user_id", u.0, "NULL"),
        };
        let rows: Vec<ExportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT e.challenge_id, c.name AS challenge_name, c.unit, e.user_id, u.display_name, \
             {hidden_as} AS hidden_as, e.progress_date, e.value_hundredths, e.recorded_at \
             FROM progress_entries e JOIN challenges c ON c.id = e.challenge_id \
             LEFT JOIN users u ON u.id = e.user_id \
             LEFT JOIN participants p ON p.challenge_id = e.challenge_id AND p.user_id = e.user_id \
             WHERE {column} = $1 ORDER BY e.challenge_id, e.progress_date, e.id"
        )))
        .bind(id)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(ExportedEntry::from).collect())
    }

    async fn list_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Vec<ProgressEntry>, RepositoryError> {
        let rows: Vec<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 \
             ORDER BY progress_date, id"
        )))
        .bind(challenge.0)
        .bind(user.0)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(ProgressEntry::try_from).collect()
    }

    async fn tally(&self, challenge: ChallengeId, user: UserId) -> Result<Tally, RepositoryError> {
        tally_of(&mut *self.read().await?, challenge.0, user.0).await
    }

    async fn entry(&self, id: i64) -> Result<Option<ProgressEntry>, RepositoryError> {
        let row: Option<EntryRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ENTRY_COLUMNS} FROM progress_entries WHERE id = $1")))
                .bind(id)
                .fetch_optional(&mut *self.read().await?)
                .await
                .map_err(db_error)?;
        row.map(ProgressEntry::try_from).transpose()
    }

    async fn edit_progress(&self, edit: &EntryEdit) -> Result<Rejudged, RepositoryError> {
        let mut tx = self.write().await?;
        let locked = lock_participant(&mut tx, edit.challenge, edit.user, None).await?;
        let current: Option<EntryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ENTRY_COLUMNS} FROM progress_entries WHERE id = $1 AND challenge_id = $2 AND user_id = $3"
        )))
        .bind(edit.entry)
        .bind(edit.challenge.0)
        .bind(edit.user.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(current) = current else {
            tx.commit().await?;
            return Err(RepositoryError::EntryNotFound { challenge: edit.challenge.0, entry: edit.entry });
        };
        let value = match edit.value {
            Some(value) => value.amount().map(Amount::hundredths),
            None => current.value_hundredths,
        };
        let date = edit.date.map_or(current.progress_date, |d| d.date());
        if value.is_none() && date != current.progress_date
            && checked_in_on(&mut tx, edit.challenge, edit.user, date, edit.entry).await?
        {
            tx.commit().await?;
            return Err(RepositoryError::AlreadyCheckedIn { date });
        }
        let row: EntryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE progress_entries SET value_hundredths = $2, progress_date = $3 WHERE id = $1 RETURNING {ENTRY_COLUMNS}"
        )))
        .bind(edit.entry)
        .bind(value)
        .bind(date)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let (tally, completed_at) = rejudge(&mut tx, edit.challenge, edit.user, &locked, edit.at).await?;
        tx.commit().await?;
        Ok(Rejudged { entry: row.try_into()?, tally, completed_at })
    }

    async fn delete_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
        entry: i64,
        at: DateTime<Utc>,
    ) -> Result<Rejudged, RepositoryError> {
        let mut tx = self.write().await?;
        let locked = lock_participant(&mut tx, challenge, user, None).await?;
        let removed = remove_entry(&mut tx, challenge, user, Some(entry), &locked, at).await?;
        tx.commit().await?;
        let (row, tally, completed_at) =
            removed.ok_or(RepositoryError::EntryNotFound { challenge: challenge.0, entry })?;
        Ok(Rejudged { entry: row.try_into()?, tally, completed_at })
    }

    async fn undo_last_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Option<(ProgressEntry, Tally)>, RepositoryError> {
        let mut tx = self.write().await?;
        let locked = lock_participant(&mut tx, challenge, user, None).await?;
        let removed = remove_entry(&mut tx, challenge, user, None, &locked, at).await?;
        tx.commit().await?;
        removed.map(|(row, tally, _)| Ok((row.try_into()?, tally))).transpose()
    }
}

    };
}

pub(crate) use sql_progress_repository;
