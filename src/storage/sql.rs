//! The repositories on SQL, written once for both databases.
//!
//! The stores of `storage::postgres` and `storage::sqlite` run the same statements (sqlx's SQLite
//! driver takes `$n` parameters too) with the same flow; what differs is the connection type and
//! two pieces of dialect: how a write locks the participant it reads before writing (PostgreSQL:
//! `FOR UPDATE OF p`; SQLite: nothing, because `BEGIN IMMEDIATE` already holds the file's write
//! lock), and how a read of several statements gets one snapshot. [`sql_repositories!`] writes the
//! repository impls for one store given those; a macro rather than generic code because sqlx's
//! generic bounds (an `Executor` per connection type, `Encode`/`Type` per bound value, `FromRow`
//! per row type) would outweigh the code they save.
//!
//! Writes that read before they write (progress, goals, undo) lock the participant first: entries
//! of one participant are recorded one at a time, so each tally sees every earlier entry and
//! completion is set exactly once. Joins and idempotency keys rely on the unique keys
//! (`ON CONFLICT`), never on check-then-insert.

// ---- Participant tallies, kept on the participant's row (migration 0003). The statements are
// the same on both databases (sqlx's SQLite driver takes `$n` parameters too). ----

/// A participant's tally: `$1` challenge, `$2` user.
pub(super) const TALLY_OF: &str = "SELECT total_hundredths AS total, latest_hundredths AS latest, \
     days, entries, last_date FROM participants WHERE challenge_id = $1 AND user_id = $2";

/// Adds entry `$5` (value `$3`, date `$4`, just inserted) to participant `$1`/`$2`'s tally and
/// returns the new tally. All `SET` expressions read the row as it was. The entry has the
/// greatest id, so it is the latest unless an entry has a later date.
pub(super) const TALLY_ADD_ENTRY: &str = "UPDATE participants SET \
       total_hundredths = total_hundredths + COALESCE($3, 0), \
       entries = entries + 1, \
       days = days + CASE WHEN EXISTS (SELECT 1 FROM progress_entries e WHERE e.challenge_id = $1 \
         AND e.user_id = $2 AND e.progress_date = $4 AND e.id <> $5) THEN 0 ELSE 1 END, \
       latest_hundredths = CASE WHEN last_date IS NULL OR $4 >= last_date THEN $3 ELSE latest_hundredths END, \
       last_date = CASE WHEN last_date IS NULL OR $4 >= last_date THEN $4 ELSE last_date END \
     WHERE challenge_id = $1 AND user_id = $2 \
     RETURNING total_hundredths AS total, latest_hundredths AS latest, days, entries, last_date";

/// Takes an entry (value `$3`, date `$4`, just deleted) off participant `$1`/`$2`'s tally and
/// returns the new tally; the latest entry is looked up again (one step down the index).
pub(super) const TALLY_REMOVE_ENTRY: &str = "UPDATE participants SET \
       total_hundredths = total_hundredths - COALESCE($3, 0), \
       entries = entries - 1, \
       days = days - CASE WHEN EXISTS (SELECT 1 FROM progress_entries e WHERE e.challenge_id = $1 \
         AND e.user_id = $2 AND e.progress_date = $4) THEN 0 ELSE 1 END, \
       latest_hundredths = (SELECT e.value_hundredths FROM progress_entries e \
         WHERE e.challenge_id = $1 AND e.user_id = $2 ORDER BY e.progress_date DESC, e.id DESC LIMIT 1), \
       last_date = (SELECT MAX(e.progress_date) FROM progress_entries e \
         WHERE e.challenge_id = $1 AND e.user_id = $2) \
     WHERE challenge_id = $1 AND user_id = $2 \
     RETURNING total_hundredths AS total, latest_hundredths AS latest, days, entries, last_date";

/// A challenge and a participant's row in it with their tally (`c` challenges, `p` participants).
pub(super) const MEMBERSHIP_COLUMNS: &str = "c.id, c.name, c.description, c.creator_id, c.created_at, \
     c.start_date, c.deadline, c.unit, c.goal_kind, c.default_goal_hundredths, \
     p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, \
     p.total_hundredths AS total, p.latest_hundredths AS latest, p.days, p.entries, p.last_date";

/// Everyone in challenge `$1` with their tally and display name, in joining order.
pub(super) const STANDINGS: &str = "SELECT p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, \
       u.display_name, p.total_hundredths AS total, p.latest_hundredths AS latest, p.days, p.entries, \
       p.last_date \
     FROM participants p LEFT JOIN users u ON u.id = p.user_id \
     WHERE p.challenge_id = $1 ORDER BY p.joined_at, p.user_id";

/// Implements every repository trait for `$store`. Expands to a module (`repositories`) inside
/// the store's module, so it sees the store's private fields and helpers (`pool`, `turn`,
/// `read()`, `write()`).
macro_rules! sql_repositories {
    (
        store: $store:ident,
        db: $db:ident,
        conn: $conn:ident,
        lock_participant: $lock_participant:literal,
        snapshot: $snapshot:literal $(,)?
    ) => {
// The body is written at the indentation it would have in a file of its own.
mod repositories {
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{Executor, QueryBuilder, $conn, $db};

use super::$store;
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeFilter, ChallengeId, ChallengeRepository, NewChallenge, Unit};
use crate::goal::{GoalRepository, Membership, Participant, Standing};
use crate::progress::{IdempotencyKey, NewProgress, ProgressEntry, ProgressRepository, Recorded, Tally};
use crate::repository::{Page, Paged, RepositoryError};
use crate::storage::turn;
use crate::storage::sql::{MEMBERSHIP_COLUMNS, STANDINGS, TALLY_ADD_ENTRY, TALLY_OF, TALLY_REMOVE_ENTRY};
use crate::storage::error::{db_error, is_foreign_key_violation, is_unique_violation};
use crate::storage::rows::{
    ChallengeRow, EntryRow, LockedParticipant, MembershipRow, ParticipantRow, StandingRow, TallyRow, goal_is_met,
    goal_kind, limit_offset,
};
use crate::user::{DisplayName, UserId, UserRepository};

const CHALLENGE_COLUMNS: &str = "c.id, c.name, c.description, c.creator_id, c.created_at, c.start_date, \
                                 c.deadline, c.unit, c.goal_kind, c.default_goal_hundredths";

fn push_filter(qb: &mut QueryBuilder<$db>, filter: ChallengeFilter) {
    match filter {
        ChallengeFilter::All => {}
        ChallengeFilter::ActiveOn(date) => {
            qb.push(" WHERE c.deadline >= ").push_bind(date);
        }
        ChallengeFilter::JoinableBy { user, today } => {
            qb.push(" WHERE c.deadline >= ").push_bind(today);
            qb.push(
                " AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.challenge_id = c.id AND p.user_id = ",
            );
            qb.push_bind(user.0).push(")");
        }
        ChallengeFilter::JoinedBy { user, active_on } => {
            qb.push(
                " WHERE EXISTS (SELECT 1 FROM participants p WHERE p.challenge_id = c.id AND p.user_id = ",
            );
            qb.push_bind(user.0).push(")");
            if let Some(date) = active_on {
                qb.push(" AND c.deadline >= ").push_bind(date);
            }
        }
    }
}

/// Locks the participant's row for the rest of the write transaction (see `$lock_participant`)
/// and returns it with its challenge's goal kind; `NotParticipant` or `ChallengeNotFound` if
/// there is none.
async fn lock_participant(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
) -> Result<LockedParticipant, RepositoryError> {
    let locked: Option<LockedParticipant> = sqlx::query_as(concat!(
        "SELECT p.goal_hundredths, p.completed_at, c.goal_kind FROM participants p \
         JOIN challenges c ON c.id = p.challenge_id WHERE p.challenge_id = $1 AND p.user_id = $2",
        $lock_participant
    ))
    .bind(challenge.0)
    .bind(user.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    match locked {
        Some(locked) => Ok(locked),
        None => Err(missing_participant(conn, challenge, user).await),
    }
}

/// Why there is no participant: the challenge does not exist, or the user has not joined it.
async fn missing_participant(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
) -> RepositoryError {
    let exists = sqlx::query_scalar::<_, i64>("SELECT id FROM challenges WHERE id = $1")
        .bind(challenge.0)
        .fetch_optional(conn)
        .await;
    match exists {
        Ok(Some(_)) => RepositoryError::NotParticipant { challenge: challenge.0, user: user.0 },
        Ok(None) => RepositoryError::ChallengeNotFound(challenge.0),
        Err(e) => db_error(e),
    }
}

async fn tally_of<'e>(
    executor: impl Executor<'e, Database = $db>,
    challenge: i64,
    user: i64,
) -> Result<Tally, RepositoryError> {
    let row: Option<TallyRow> = sqlx::query_as(TALLY_OF)
        .bind(challenge)
        .bind(user)
        .fetch_optional(executor)
        .await
        .map_err(db_error)?;
    Ok(row.unwrap_or_default().into())
}

/// Updates a participant's tally for an entry just inserted (`added`) or deleted; returns it.
async fn retally<'e>(
    executor: impl Executor<'e, Database = $db>,
    entry: &EntryRow,
    added: bool,
) -> Result<Tally, RepositoryError> {
    let row: TallyRow = sqlx::query_as(if added { TALLY_ADD_ENTRY } else { TALLY_REMOVE_ENTRY })
        .bind(entry.challenge_id)
        .bind(entry.user_id)
        .bind(entry.value_hundredths)
        .bind(entry.progress_date)
        .bind(entry.id)
        .fetch_one(executor)
        .await
        .map_err(db_error)?;
    Ok(row.into())
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
    let keyed: Option<Keyed> = sqlx::query_as(
        "SELECT id, challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key, \
           key_value_hundredths \
         FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 AND idempotency_key = $3",
    )
    .bind(challenge.0)
    .bind(user.0)
    .bind(key.as_str())
    .fetch_optional(conn)
    .await
    .map_err(db_error)?;
    Ok(keyed.map(|k| (k.entry, k.key_value_hundredths)))
}

/// The answer for an entry whose key the participant used before: that entry, their tally and
/// completion, and nothing changed — if it is the same entry (the value first sent under the key).
async fn duplicate(
    conn: &mut $conn,
    new: &NewProgress,
    (row, first_value): (EntryRow, Option<i64>),
) -> Result<Recorded, RepositoryError> {
    let sent = new.value.amount().map(Amount::hundredths);
    if sent != first_value {
        let key = new.idempotency_key.as_ref().map_or_else(String::new, |k| k.as_str().to_owned());
        return Err(RepositoryError::KeyReused { key, first_value: first_value.map(Amount::from_hundredths) });
    }
    let tally = tally_of(&mut *conn, row.challenge_id, row.user_id).await?;
    let completed_at: Option<Option<DateTime<Utc>>> =
        sqlx::query_scalar("SELECT completed_at FROM participants WHERE challenge_id = $1 AND user_id = $2")
            .bind(row.challenge_id)
            .bind(row.user_id)
            .fetch_optional(conn)
            .await
            .map_err(db_error)?;
    Ok(Recorded {
        entry: row.try_into()?,
        duplicate: true,
        tally,
        completed_now: false,
        completed_at: completed_at.flatten(),
    })
}

#[async_trait]
impl ChallengeRepository for $store {
    async fn create_challenge(&self, new: &NewChallenge) -> Result<Challenge, RepositoryError> {
        let mut tx = self.write().await?;
        let row: ChallengeRow = sqlx::query_as(
            "INSERT INTO challenges (name, description, creator_id, created_at, start_date, deadline, \
               unit, goal_kind, default_goal_hundredths) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id, name, description, creator_id, created_at, start_date, deadline, unit, goal_kind, \
               default_goal_hundredths",
        )
        .bind(new.name.as_str())
        .bind(new.description.as_str())
        .bind(new.creator.0)
        .bind(new.created_at)
        .bind(new.start_date)
        .bind(new.deadline.date())
        .bind(new.unit.as_ref().map(Unit::as_str))
        .bind(new.goal.kind.as_str())
        .bind(new.goal.target.hundredths())
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO participants (challenge_id, user_id, goal_hundredths, joined_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(row.id)
        .bind(new.creator.0)
        .bind(new.goal.target.hundredths())
        .bind(row.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await?;
        row.try_into()
    }

    async fn challenge(&self, id: ChallengeId) -> Result<Option<Challenge>, RepositoryError> {
        let row: Option<ChallengeRow> = sqlx::query_as(
            "SELECT id, name, description, creator_id, created_at, start_date, deadline, unit, goal_kind, \
               default_goal_hundredths FROM challenges WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        row.map(Challenge::try_from).transpose()
    }

    async fn list_challenges(
        &self,
        filter: ChallengeFilter,
        page: Page,
    ) -> Result<Paged<Challenge>, RepositoryError> {
        // One snapshot for the count and the page.
        let mut tx = turn::snapshot(&self.pool, self.turn.as_ref(), $snapshot).await?;
        let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM challenges c");
        push_filter(&mut count, filter);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await.map_err(db_error)?;

        let (limit, offset) = limit_offset(page);
        let mut select =
            QueryBuilder::<$db>::new(format!("SELECT {CHALLENGE_COLUMNS} FROM challenges c"));
        push_filter(&mut select, filter);
        select.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        let rows: Vec<ChallengeRow> = select.build_query_as().fetch_all(&mut *tx).await.map_err(db_error)?;
        tx.commit().await?;
        Ok(Paged {
            items: rows.into_iter().map(Challenge::try_from).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

#[async_trait]
impl GoalRepository for $store {
    async fn join(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError> {
        let mut tx = self.write().await?;
        // The primary key decides who joined: no check-then-insert race.
        let inserted: Result<Option<ParticipantRow>, sqlx::Error> = sqlx::query_as(
            "INSERT INTO participants (challenge_id, user_id, goal_hundredths, joined_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (challenge_id, user_id) DO NOTHING \
             RETURNING challenge_id, user_id, goal_hundredths, joined_at, completed_at",
        )
        .bind(challenge.0)
        .bind(user.0)
        .bind(goal.hundredths())
        .bind(at)
        .fetch_optional(&mut *tx)
        .await;
        let already = RepositoryError::AlreadyJoined { challenge: challenge.0, user: user.0 };
        match inserted {
            Ok(Some(row)) => {
                tx.commit().await?;
                Ok(row.into())
            }
            Ok(None) => Err(already),
            Err(e) if is_foreign_key_violation(&e) => Err(RepositoryError::ChallengeNotFound(challenge.0)),
            Err(e) if is_unique_violation(&e) => Err(already),
            Err(e) => Err(db_error(e)),
        }
    }

    async fn participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<Participant>, RepositoryError> {
        let row: Option<ParticipantRow> = sqlx::query_as(
            "SELECT challenge_id, user_id, goal_hundredths, joined_at, completed_at FROM participants \
             WHERE challenge_id = $1 AND user_id = $2",
        )
        .bind(challenge.0)
        .bind(user.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        Ok(row.map(Participant::from))
    }

    async fn set_goal(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError> {
        let mut tx = self.write().await?;
        let locked = lock_participant(&mut tx, challenge, user).await?;
        let tally = tally_of(&mut *tx, challenge.0, user.0).await?;
        let completed_at = if goal_is_met(goal_kind(&locked.goal_kind)?, goal.hundredths(), &tally) {
            locked.completed_at.or(Some(at))
        } else {
            None
        };
        let row: ParticipantRow = sqlx::query_as(
            "UPDATE participants SET goal_hundredths = $3, completed_at = $4 \
             WHERE challenge_id = $1 AND user_id = $2 \
             RETURNING challenge_id, user_id, goal_hundredths, joined_at, completed_at",
        )
        .bind(challenge.0)
        .bind(user.0)
        .bind(goal.hundredths())
        .bind(completed_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn standings(&self, challenge: ChallengeId) -> Result<Vec<Standing>, RepositoryError> {
        let rows: Vec<StandingRow> = sqlx::query_as(STANDINGS)
            .bind(challenge.0)
            .fetch_all(&mut *self.read().await?)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(Standing::from).collect())
    }

    async fn memberships(
        &self,
        user: UserId,
        active_on: Option<NaiveDate>,
        page: Page,
    ) -> Result<Paged<Membership>, RepositoryError> {
        let mut tx = turn::snapshot(&self.pool, self.turn.as_ref(), $snapshot).await?;
        let filter = |qb: &mut QueryBuilder<$db>| {
            qb.push(" FROM participants p JOIN challenges c ON c.id = p.challenge_id WHERE p.user_id = ");
            qb.push_bind(user.0);
            if let Some(date) = active_on {
                qb.push(" AND c.deadline >= ").push_bind(date);
            }
        };
        let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*)");
        filter(&mut count);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await.map_err(db_error)?;
        let (limit, offset) = limit_offset(page);
        let mut select = QueryBuilder::<$db>::new(format!("SELECT {MEMBERSHIP_COLUMNS}"));
        filter(&mut select);
        select.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        let rows: Vec<MembershipRow> = select.build_query_as().fetch_all(&mut *tx).await.map_err(db_error)?;
        tx.commit().await?;
        Ok(Paged {
            items: rows.into_iter().map(Membership::try_from).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }
}

#[async_trait]
impl ProgressRepository for $store {
    async fn add_progress(&self, new: &NewProgress) -> Result<Recorded, RepositoryError> {
        let mut tx = self.write().await?;
        // From here on, entries of this participant are recorded one at a time: the key and
        // date checks and the tally below see every earlier entry, and completion is set
        // exactly once.
        let locked = lock_participant(&mut tx, new.challenge, new.user).await?;
        if let Some(key) = &new.idempotency_key
            && let Some(stored) = entry_by_key(&mut tx, new.challenge, new.user, key).await?
        {
            let recorded = duplicate(&mut tx, new, stored).await?;
            tx.commit().await?;
            return Ok(recorded);
        }
        if new.value.amount().is_none() {
            let checked_in: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 \
                 AND progress_date = $3 AND value_hundredths IS NULL",
            )
            .bind(new.challenge.0)
            .bind(new.user.0)
            .bind(new.date.date())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?;
            if checked_in.is_some() {
                tx.commit().await?;
                return Err(RepositoryError::AlreadyCheckedIn { date: new.date.date() });
            }
        }
        let kind = goal_kind(&locked.goal_kind)?;
        let value = new.value.amount().map(Amount::hundredths);
        let row: EntryRow = sqlx::query_as(
            "INSERT INTO progress_entries \
               (challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key, \
                key_value_hundredths) \
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 IS NULL THEN NULL ELSE $3 END) \
             RETURNING id, challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key",
        )
        .bind(new.challenge.0)
        .bind(new.user.0)
        .bind(value)
        .bind(new.date.date())
        .bind(new.recorded_at)
        .bind(new.idempotency_key.as_ref().map(IdempotencyKey::as_str))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        let tally = retally(&mut *tx, &row, true).await?;
        // Completion is re-judged with the new tally: set to this entry's time when the goal
        // holds for the first time, cleared when it no longer holds (a latest value that went
        // the wrong way again).
        let met = goal_is_met(kind, locked.goal_hundredths, &tally);
        let completed_now = met && locked.completed_at.is_none();
        let completed_at = if met { locked.completed_at.or(Some(row.recorded_at)) } else { None };
        if completed_at != locked.completed_at {
            sqlx::query("UPDATE participants SET completed_at = $3 WHERE challenge_id = $1 AND user_id = $2")
                .bind(new.challenge.0)
                .bind(new.user.0)
                .bind(completed_at)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await?;
        Ok(Recorded { entry: row.try_into()?, duplicate: false, tally, completed_now, completed_at })
    }

    async fn list_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Vec<ProgressEntry>, RepositoryError> {
        let rows: Vec<EntryRow> = sqlx::query_as(
            "SELECT id, challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key \
             FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 ORDER BY progress_date, id",
        )
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

    async fn undo_last_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<(ProgressEntry, Tally)>, RepositoryError> {
        let mut tx = self.write().await?;
        let locked = lock_participant(&mut tx, challenge, user).await?;
        let deleted: Option<EntryRow> = sqlx::query_as(
            "DELETE FROM progress_entries WHERE id = \
               (SELECT id FROM progress_entries WHERE challenge_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT 1) \
             RETURNING id, challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key",
        )
        .bind(challenge.0)
        .bind(user.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(row) = deleted else {
            tx.commit().await?;
            return Ok(None);
        };
        let tally = retally(&mut *tx, &row, false).await?;
        if locked.completed_at.is_some()
            && !goal_is_met(goal_kind(&locked.goal_kind)?, locked.goal_hundredths, &tally)
        {
            sqlx::query(
                "UPDATE participants SET completed_at = NULL WHERE challenge_id = $1 AND user_id = $2",
            )
            .bind(challenge.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await?;
        Ok(Some((row.try_into()?, tally)))
    }
}

#[async_trait]
impl UserRepository for $store {
    async fn upsert_user(&self, user: UserId, name: &DisplayName) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO users (id, display_name, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, updated_at = excluded.updated_at",
        )
        .bind(user.0)
        .bind(name.as_str())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await
    }

    async fn display_name(&self, user: UserId) -> Result<Option<DisplayName>, RepositoryError> {
        let name: Option<String> = sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
            .bind(user.0)
            .fetch_optional(&mut *self.read().await?)
            .await
            .map_err(db_error)?;
        Ok(name.map(|name| DisplayName::sanitize(&name, user)))
    }
}
}
    };
}

pub(crate) use sql_repositories;
