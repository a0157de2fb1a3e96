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

// ---- Participant tallies, kept on the participant's row (migrations 0003, 0005). The
// statements are the same on both databases (sqlx's SQLite driver takes `$n` parameters too). ----

/// A participant's row read as a tally (`TallyRow`), unqualified.
macro_rules! tally_columns {
    () => {
        "total_hundredths AS total, latest_hundredths AS latest, best_hundredths AS best, \
         first_hundredths AS first, days, entries, first_date, last_date, standing_at, streak_run, \
         streak_best, streak_freezes"
    };
}

/// The same, of the participants row `p`.
macro_rules! p_tally_columns {
    () => {
        "p.total_hundredths AS total, p.latest_hundredths AS latest, p.best_hundredths AS best, \
         p.first_hundredths AS first, p.days, p.entries, p.first_date, p.last_date, p.standing_at, \
         p.streak_run, p.streak_best, p.streak_freezes"
    };
}

/// A challenge's columns (`c`).
macro_rules! challenge_columns {
    () => {
        "c.id, c.name, c.description, c.creator_id, c.created_at, c.start_date, c.deadline, c.unit, \
         c.goal_kind, c.default_goal_hundredths, c.first_finisher_id, c.visibility, c.time_zone"
    };
}

/// The same, unqualified (SQLite's `RETURNING` takes no table names).
macro_rules! challenge_columns_returned {
    () => {
        "id, name, description, creator_id, created_at, start_date, deadline, unit, goal_kind, \
         default_goal_hundredths, first_finisher_id, visibility, time_zone"
    };
}

pub(super) use {challenge_columns, challenge_columns_returned, p_tally_columns};

use crate::goal::GoalKind;

mod deadline;
pub(crate) mod goal;
pub(crate) mod group;
pub(crate) mod progress;
pub(crate) mod reminder;
pub(crate) mod report;

pub(super) use deadline::{DeadlineRule, ZonesNearDeadlines};

/// Whether there is such a participant: `$1` challenge, `$2` user.
pub(super) const TALLY_EXISTS: &str =
    "SELECT user_id FROM participants WHERE challenge_id = $1 AND user_id = $2";

/// A participant's tally: `$1` challenge, `$2` user.
pub(super) const TALLY_OF: &str =
    concat!("SELECT ", tally_columns!(), " FROM participants WHERE challenge_id = $1 AND user_id = $2");

/// A challenge and a participant's row in it with their tally (`c` challenges, `p` participants).
pub(super) const MEMBERSHIP_COLUMNS: &str = concat!(
    challenge_columns!(),
    ", p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, ",
    p_tally_columns!()
);

/// Everyone in challenge `$1` with their tally and display name, in joining order.
pub(super) const STANDINGS: &str = concat!(
    "SELECT p.challenge_id, p.user_id, p.goal_hundredths, p.joined_at, p.completed_at, u.display_name, \
     p.name_hidden_as AS hidden_as, ",
    p_tally_columns!(),
    " FROM participants p LEFT JOIN users u ON u.id = p.user_id \
     WHERE p.challenge_id = $1 ORDER BY p.joined_at, p.user_id"
);

/// A participant's standing in hundredths of the challenge's unit, from the stored tally of the
/// participants row `alias`: the SQL of [`GoalKind::standing`].
pub(super) fn standing_sql(kind: GoalKind, alias: &str) -> String {
    match kind {
        GoalKind::Total => format!("{alias}.total_hundredths"),
        GoalKind::Days => format!("({alias}.days * 100)"),
        GoalKind::AtLeast => format!("COALESCE({alias}.best_hundredths, 0)"),
        GoalKind::AtMost => format!("COALESCE({alias}.first_hundredths - {alias}.latest_hundredths, 0)"),
    }
}

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
use crate::challenge::{
    Challenge, ChallengeChanges, ChallengeFilter, ChallengeId, ChallengeRepository, DeletedChallenge, GroupChat,
    GroupChatId, GroupRepository, InviteCode, InviteLookup, JoinBarrier, Listing, NameSearch, NewChallenge,
    REPORTS_TO_UNLIST, ReportReason, ReportRepository, Reported, ReportedChallenge, Unit, Visibility, fold,
};
use crate::goal::{
    Contender, Goal, GoalKind, GoalRepository, HiddenName, Leaders, Membership, MembershipScope, Memberships, Participant, PersonDeleted, Place,
    Position, Ranked, Standing, StandingBand, place_among,
};
use crate::progress::{
    EntryEdit, ExportScope, ExportedEntry, IdempotencyKey, NewProgress, ProgressEntry, ProgressRepository, Recorded,
    Rejudged, Streak, Tally,
};
use crate::reminder::{Due, Ending, Move, ReminderRepository, Schedule, Settings, TimeOfDay};
use crate::repository::{Page, Paged, RepositoryError};
use crate::storage::turn;
use crate::clock::Today;
use crate::storage::sql::{
    DeadlineRule, ZonesNearDeadlines, MEMBERSHIP_COLUMNS, STANDINGS, TALLY_EXISTS, TALLY_OF, standing_sql, challenge_columns, challenge_columns_returned,
    p_tally_columns,
};
use crate::storage::error::{corrupt, db_error, is_foreign_key_violation, is_unique_violation};
use crate::storage::rows::{
    ChallengeRow, DeletionRow, EntryRow, ListingRow, ExportRow, LockedParticipant, MembershipRow, ParticipantRow, PlaceRow, StandingRow, TallyRow, BandRow, PositionRow, LeaderRow, goal_kind, shown_name,
    limit_offset,
};
use crate::user::{DisplayName, UserId, UserRepository};

const ENTRY_COLUMNS: &str =
    "id, challenge_id, user_id, value_hundredths, progress_date, recorded_at, idempotency_key";

/// The [`DeadlineRule`] of `today` (see there): the zones of the challenges near the line,
/// read (or remembered, see [`ZonesNearDeadlines`]); none when the date is pinned.
async fn deadline_rule(
    conn: &mut $conn,
    memo: &ZonesNearDeadlines,
    today: Today,
    days_back: u64,
) -> Result<DeadlineRule, RepositoryError> {
    let span = DeadlineRule::span(today, days_back);
    if span.0 >= span.1 {
        return Ok(DeadlineRule::new(today, days_back, Vec::new()));
    }
    let zones = match memo.get(span) {
        Some(zones) => zones,
        None => {
            let zones: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT time_zone FROM challenges \
                 WHERE deadline >= $1 AND deadline < $2 AND time_zone IS NOT NULL",
            )
            .bind(span.0)
            .bind(span.1)
            .fetch_all(&mut *conn)
            .await
            .map_err(db_error)?;
            memo.put(span, zones.clone());
            zones
        }
    };
    Ok(DeadlineRule::new(today, days_back, zones))
}

/// `rule` as a condition on the challenge `c`.
fn push_deadline_rule(qb: &mut QueryBuilder<$db>, rule: &DeadlineRule) {
    if rule.zones.is_empty() {
        qb.push("c.deadline >= ").push_bind(rule.everywhere);
        return;
    }
    qb.push("(CASE");
    for (zone, first) in &rule.zones {
        qb.push(" WHEN c.time_zone = ").push_bind(zone.clone()).push(" THEN c.deadline >= ").push_bind(*first);
    }
    qb.push(" ELSE c.deadline >= ").push_bind(rule.everywhere).push(" END)");
}

/// The filter's condition on the challenge `c`; `active` is the rule of its date, if it has one.
fn push_filter(qb: &mut QueryBuilder<$db>, filter: ChallengeFilter, active: Option<&DeadlineRule>) {
    match filter {
        ChallengeFilter::All => {}
        ChallengeFilter::ActiveOn(_) => {
            qb.push(" WHERE ");
        }
        ChallengeFilter::JoinableBy { user, .. } => {
            qb.push(" WHERE c.visibility = 'public' AND c.unlisted_at IS NULL AND c.closed_at IS NULL");
            qb.push(
                " AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.challenge_id = c.id AND p.user_id = ",
            );
            qb.push_bind(user.0).push(") AND ");
        }
        ChallengeFilter::JoinedBy { user, active_on } => {
            qb.push(
                " WHERE EXISTS (SELECT 1 FROM participants p WHERE p.challenge_id = c.id AND p.user_id = ",
            );
            qb.push_bind(user.0).push(")");
            if active_on.is_some() {
                qb.push(" AND ");
            }
        }
    }
    if let Some(rule) = active {
        push_deadline_rule(qb, rule);
    }
}

/// Remembers a challenge's invite code (if it has one) as revoked at `at`: its link then says it
/// expired, or that the challenge is gone, rather than that it never existed.
async fn retire_invite(conn: &mut $conn, id: ChallengeId, at: DateTime<Utc>) -> Result<(), RepositoryError> {
    sqlx::query(
        "INSERT INTO revoked_invites (invite_code, challenge_id, revoked_at) \
         SELECT invite_code, id, $2 FROM challenges WHERE id = $1 AND invite_code IS NOT NULL",
    )
    .bind(id.0)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    Ok(())
}

/// Locks the participant's row for the rest of the write transaction (see `$lock_participant`)
/// and returns it with its tally and what the write needs of its challenge; `NotParticipant` or
/// `ChallengeNotFound` if there is none. With `on`, it also says whether the participant has an
/// entry, and a check-in, on that date (what recording an entry needs, in the same statement).
async fn lock_participant(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
    on: Option<NaiveDate>,
) -> Result<LockedParticipant, RepositoryError> {
    let locked: Option<LockedParticipant> = sqlx::query_as(concat!(
        "SELECT p.goal_hundredths, p.joined_at, p.completed_at, c.goal_kind, c.default_goal_hundredths, \
           c.first_finisher_id, p.name_hidden_as, ",
        p_tally_columns!(),
        ", ($3 IS NOT NULL AND EXISTS (SELECT 1 FROM progress_entries e WHERE e.challenge_id = $1 \
             AND e.user_id = $2 AND e.progress_date = $3)) AS date_seen, \
           ($3 IS NOT NULL AND EXISTS (SELECT 1 FROM progress_entries e WHERE e.challenge_id = $1 \
             AND e.user_id = $2 AND e.progress_date = $3 AND e.value_hundredths IS NULL)) AS checked_in \
         FROM participants p JOIN challenges c ON c.id = p.challenge_id \
         WHERE p.challenge_id = $1 AND p.user_id = $2",
        $lock_participant
    ))
    .bind(challenge.0)
    .bind(user.0)
    .bind(on)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db_error)?;
    match locked {
        Some(locked) => Ok(locked),
        None => Err(missing_participant(conn, challenge, user).await),
    }
}

/// Deletes a participant (their entries and mutes go with them, by cascades). The inner error
/// says why there was none to delete; the outer one is the database's.
async fn delete_participant(
    conn: &mut $conn,
    challenge: ChallengeId,
    user: UserId,
) -> Result<Result<(), RepositoryError>, RepositoryError> {
    let deleted = sqlx::query("DELETE FROM participants WHERE challenge_id = $1 AND user_id = $2")
        .bind(challenge.0)
        .bind(user.0)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    if deleted.rows_affected() == 0 {
        return Ok(Err(missing_participant(conn, challenge, user).await));
    }
    Ok(Ok(()))
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

/// When a goal is met as of a change at `at`: since before if it was met before, else now.
fn completion(goal: Goal, tally: &Tally, before: Option<DateTime<Utc>>, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    goal.is_met(tally).then(|| before.unwrap_or(at))
}

#[async_trait]
impl ChallengeRepository for $store {
    async fn create_challenge(&self, new: &NewChallenge) -> Result<Challenge, RepositoryError> {
        let mut tx = self.write().await?;
        let row: ChallengeRow = sqlx::query_as(concat!(
            "INSERT INTO challenges (name, description, creator_id, created_at, start_date, deadline, \
               unit, goal_kind, default_goal_hundredths, visibility, name_folded) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING ",
            challenge_columns_returned!()
        ))
        .bind(new.name.as_str())
        .bind(new.description.as_str())
        .bind(new.creator.0)
        .bind(new.created_at)
        .bind(new.start_date)
        .bind(new.deadline.date())
        .bind(new.unit.as_ref().map(Unit::as_str))
        .bind(new.goal.kind.as_str())
        .bind(new.goal.target.hundredths())
        .bind(new.visibility.as_str())
        .bind(fold(new.name.as_str()))
        .fetch_one(&mut *tx)
        .await
        .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO participants (challenge_id, user_id, goal_hundredths, joined_at, last_active_at) \
             VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(row.id)
        .bind(new.creator.0)
        .bind(new.goal.target.hundredths())
        .bind(row.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await?;
        self.zones.forget();
        row.try_into()
    }

    async fn challenge(&self, id: ChallengeId) -> Result<Option<Challenge>, RepositoryError> {
        let row: Option<ChallengeRow> =
            sqlx::query_as(concat!("SELECT ", challenge_columns!(), " FROM challenges c WHERE c.id = $1"))
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
        let active = match filter {
            ChallengeFilter::All | ChallengeFilter::JoinedBy { active_on: None, .. } => None,
            ChallengeFilter::ActiveOn(today)
            | ChallengeFilter::JoinableBy { today, .. }
            | ChallengeFilter::JoinedBy { active_on: Some(today), .. } => {
                Some(deadline_rule(&mut tx, &self.zones, today, 0).await?)
            }
        };
        let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM challenges c");
        push_filter(&mut count, filter, active.as_ref());
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await.map_err(db_error)?;

        let (limit, offset) = limit_offset(page);
        let mut select = QueryBuilder::<$db>::new(concat!("SELECT ", challenge_columns!(), " FROM challenges c"));
        push_filter(&mut select, filter, active.as_ref());
        select.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        let rows: Vec<ChallengeRow> = select.build_query_as().fetch_all(&mut *tx).await.map_err(db_error)?;
        tx.commit().await?;
        Ok(Paged {
            items: rows.into_iter().map(Challenge::try_from).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn update_challenge(
        &self,
        id: ChallengeId,
        changes: &ChallengeChanges,
    ) -> Result<Challenge, RepositoryError> {
        let mut tx = self.write().await?;
        let row: Option<ChallengeRow> = sqlx::query_as(concat!(
            "UPDATE challenges SET name = COALESCE($2, name), description = COALESCE($3, description), \
               deadline = COALESCE($4, deadline), name_folded = COALESCE($5, name_folded), \
               summary_next_at = CASE WHEN $4 IS NULL THEN summary_next_at END WHERE id = $1 RETURNING ",
            challenge_columns_returned!()
        ))
        .bind(id.0)
        .bind(changes.name.as_ref().map(|n| n.as_str()))
        .bind(changes.description.as_ref().map(|d| d.as_str()))
        .bind(changes.deadline)
        .bind(changes.name.as_ref().map(|n| fold(n.as_str())))
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Err(RepositoryError::ChallengeNotFound(id.0)) };
        tx.commit().await?;
        self.zones.forget();
        row.try_into()
    }

    async fn delete_challenge(&self, id: ChallengeId, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        // Each participant keeps a line saying it was deleted; then the participants go with
        // their challenge, and their entries with them (cascades).
        sqlx::query(
            "INSERT INTO challenge_deletions (challenge_id, user_id, name, creator_id, deleted_at) \
             SELECT c.id, p.user_id, c.name, c.creator_id, $2 FROM challenges c \
             JOIN participants p ON p.challenge_id = c.id WHERE c.id = $1 \
             ON CONFLICT (challenge_id, user_id) DO NOTHING",
        )
        .bind(id.0)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        // Its invite link then says the challenge is gone, not that it never existed.
        retire_invite(&mut tx, id, at).await?;
        let deleted = sqlx::query("DELETE FROM challenges WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if deleted.rows_affected() == 0 {
            return Err(RepositoryError::ChallengeNotFound(id.0));
        }
        tx.commit().await
    }

    async fn deleted_challenge(&self, id: ChallengeId) -> Result<Option<DeletedChallenge>, RepositoryError> {
        let row: Option<DeletionRow> = sqlx::query_as(
            "SELECT challenge_id, name, creator_id, deleted_at FROM challenge_deletions \
             WHERE challenge_id = $1 ORDER BY user_id LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        row.map(DeletedChallenge::try_from).transpose()
    }

    async fn deletions_seen_by(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DeletedChallenge>, RepositoryError> {
        let rows: Vec<DeletionRow> = sqlx::query_as(
            "SELECT challenge_id, name, creator_id, deleted_at FROM challenge_deletions \
             WHERE user_id = $1 AND creator_id <> $1 AND deleted_at >= $2 ORDER BY deleted_at DESC, challenge_id DESC",
        )
        .bind(user.0)
        .bind(since)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(DeletedChallenge::try_from).collect()
    }
    async fn set_visibility(&self, id: ChallengeId, visibility: Visibility) -> Result<Challenge, RepositoryError> {
        let mut tx = self.write().await?;
        let row: Option<ChallengeRow> = sqlx::query_as(concat!(
            "UPDATE challenges SET visibility = $2 WHERE id = $1 RETURNING ",
            challenge_columns_returned!()
        ))
        .bind(id.0)
        .bind(visibility.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(row) = row else { return Err(RepositoryError::ChallengeNotFound(id.0)) };
        tx.commit().await?;
        row.try_into()
    }

    async fn invite_code(&self, id: ChallengeId, fresh: &InviteCode) -> Result<InviteCode, RepositoryError> {
        let mut tx = self.write().await?;
        let code: Option<String> = sqlx::query_scalar(
            "UPDATE challenges SET invite_code = COALESCE(invite_code, $2) WHERE id = $1 RETURNING invite_code",
        )
        .bind(id.0)
        .bind(fresh.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_error)?;
        let Some(code) = code else { return Err(RepositoryError::ChallengeNotFound(id.0)) };
        tx.commit().await?;
        InviteCode::parse(&code).map_err(|e| crate::storage::error::corrupt("invite code", e))
    }

    async fn revoke_invite(
        &self,
        id: ChallengeId,
        fresh: &InviteCode,
        at: DateTime<Utc>,
    ) -> Result<InviteCode, RepositoryError> {
        let mut tx = self.write().await?;
        retire_invite(&mut tx, id, at).await?;
        let updated = sqlx::query("UPDATE challenges SET invite_code = $2 WHERE id = $1")
            .bind(id.0)
            .bind(fresh.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        if updated.rows_affected() == 0 {
            return Err(RepositoryError::ChallengeNotFound(id.0));
        }
        tx.commit().await?;
        Ok(fresh.clone())
    }

    async fn find_invite(&self, code: &InviteCode) -> Result<InviteLookup, RepositoryError> {
        let mut conn = self.read().await?;
        let row: Option<ChallengeRow> =
            sqlx::query_as(concat!("SELECT ", challenge_columns!(), " FROM challenges c WHERE c.invite_code = $1"))
                .bind(code.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error)?;
        if let Some(row) = row {
            return Ok(InviteLookup::Live(row.try_into()?));
        }
        let revoked: Option<i64> =
            sqlx::query_scalar("SELECT challenge_id FROM revoked_invites WHERE invite_code = $1")
                .bind(code.as_str())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_error)?;
        Ok(revoked.map_or(InviteLookup::Unknown, |id| InviteLookup::Revoked(ChallengeId(id))))
    }

    async fn public_challenges(
        &self,
        user: UserId,
        today: Today,
        search: Option<&NameSearch>,
        page: Page,
    ) -> Result<Paged<Listing>, RepositoryError> {
        fn push_where(qb: &mut QueryBuilder<$db>, user: UserId, active: &DeadlineRule, pattern: &Option<String>) {
            qb.push(" WHERE c.visibility = 'public' AND c.unlisted_at IS NULL AND c.closed_at IS NULL AND ");
            push_deadline_rule(qb, active);
            qb.push(" AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.challenge_id = c.id AND p.user_id = ");
            qb.push_bind(user.0).push(")");
            if let Some(pattern) = pattern {
                qb.push(" AND c.name_folded LIKE ").push_bind(pattern.clone()).push(" ESCAPE '\\'");
            }
        }
        let pattern = search.map(NameSearch::like_pattern);
        let mut tx = turn::snapshot(&self.pool, self.turn.as_ref(), $snapshot).await?;
        let active = deadline_rule(&mut tx, &self.zones, today, 0).await?;
        let mut count = QueryBuilder::<$db>::new("SELECT COUNT(*) FROM challenges c");
        push_where(&mut count, user, &active, &pattern);
        let total: i64 = count.build_query_scalar().fetch_one(&mut *tx).await.map_err(db_error)?;

        let (limit, offset) = limit_offset(page);
        let mut select = QueryBuilder::<$db>::new(concat!(
            "SELECT ",
            challenge_columns!(),
            ", c.participant_count AS participants, u.display_name AS creator_name \
             FROM challenges c LEFT JOIN users u ON u.id = c.creator_id"
        ));
        push_where(&mut select, user, &active, &pattern);
        select.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(offset);
        let rows: Vec<ListingRow> = select.build_query_as().fetch_all(&mut *tx).await.map_err(db_error)?;
        tx.commit().await?;
        Ok(Paged {
            items: rows.into_iter().map(Listing::try_from).collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn creations_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        sqlx::query_scalar(
            "SELECT created_at FROM challenges WHERE creator_id = $1 AND created_at >= $2 ORDER BY created_at",
        )
        .bind(user.0)
        .bind(since)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)
    }

    async fn renewals_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        // A deleted challenge's retired code has no challenge row any more: not a renewal.
        sqlx::query_scalar(
            "SELECT r.revoked_at FROM revoked_invites r JOIN challenges c ON c.id = r.challenge_id \
             WHERE c.creator_id = $1 AND r.revoked_at >= $2 ORDER BY r.revoked_at",
        )
        .bind(user.0)
        .bind(since)
        .fetch_all(&mut *self.read().await?)
        .await
        .map_err(db_error)
    }

    async fn bot_username(&self) -> Result<Option<String>, RepositoryError> {
        sqlx::query_scalar("SELECT username FROM bot_profile WHERE id = 1")
            .fetch_optional(&mut *self.read().await?)
            .await
            .map_err(db_error)
    }

    async fn set_bot_username(&self, username: &str, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO bot_profile (id, username, updated_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET username = excluded.username, updated_at = excluded.updated_at",
        )
        .bind(username)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await
    }
}

// Goals and participants: `GoalRepository`, in `sql/goal.rs`.
$crate::storage::sql::goal::sql_goal_repository!($store, $db, $conn, $snapshot);

// Groups and their challenges: `GroupRepository`, in `sql/group.rs`.
$crate::storage::sql::group::sql_group_repository!($store, $db);

// Reports of challenges: `ReportRepository`, in `sql/report.rs`.
$crate::storage::sql::report::sql_report_repository!($store);

// Reminder settings and schedules, and the end of challenges: `sql/reminder.rs`.
$crate::storage::sql::reminder::sql_reminder_repository!($store, $db);

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

impl $store {
    /// What the schema's migrations leave to the program's own rules (the streaks of 0006), run
    /// after them.
    pub(crate) async fn complete_migrations(&self, url: &crate::storage::DatabaseUrl) -> Result<(), crate::storage::StorageError> {
        let computed = self
            .compute_missing_streaks()
            .await
            .map_err(|e| crate::storage::StorageError::migrate(url, sqlx::migrate::MigrateError::Execute(e)))?;
        if computed > 0 {
            tracing::info!(participants = computed, "computed the streaks of existing participants");
        }
        let folded = self
            .fold_missing_names()
            .await
            .map_err(|e| crate::storage::StorageError::migrate(url, sqlx::migrate::MigrateError::Execute(e)))?;
        if folded > 0 {
            tracing::info!(challenges = folded, "folded the names of existing challenges for search");
        }
        Ok(())
    }

    /// Fills the folded names migration 0007 left to the program (`challenge::fold`), a few
    /// hundred challenges a transaction. Returns how many it filled.
    pub(crate) async fn fold_missing_names(&self) -> Result<u64, sqlx::Error> {
        let mut folded = 0;
        loop {
            let mut tx = self.pool.begin_with(Self::BEGIN_WRITE).await?;
            let pending: Vec<(i64, String)> =
                sqlx::query_as("SELECT id, name FROM challenges WHERE name_folded IS NULL LIMIT 500")
                    .fetch_all(&mut *tx)
                    .await?;
            if pending.is_empty() {
                tx.commit().await?;
                return Ok(folded);
            }
            for (id, name) in pending {
                sqlx::query("UPDATE challenges SET name_folded = $2 WHERE id = $1")
                    .bind(id)
                    .bind(crate::challenge::fold(&name))
                    .execute(&mut *tx)
                    .await?;
                folded += 1;
            }
            tx.commit().await?;
        }
    }

    /// Computes the streaks migration 0006 left to the program (of participants with entries and
    /// no streak yet), a few hundred participants a transaction. Returns how many it computed.
    pub(crate) async fn compute_missing_streaks(&self) -> Result<u64, sqlx::Error> {
        let mut computed = 0;
        loop {
            // It reads, then writes: on SQLite the lock is taken at the start (`BEGIN IMMEDIATE`).
            let mut tx = self.pool.begin_with(Self::BEGIN_WRITE).await?;
            let pending: Vec<(i64, i64)> = sqlx::query_as(
                "SELECT challenge_id, user_id FROM participants WHERE streak_best IS NULL AND entries > 0 LIMIT 500",
            )
            .fetch_all(&mut *tx)
            .await?;
            if pending.is_empty() {
                tx.commit().await?;
                return Ok(computed);
            }
            for (challenge, user) in pending {
                let dates: Vec<NaiveDate> = sqlx::query_scalar(
                    "SELECT DISTINCT progress_date FROM progress_entries WHERE challenge_id = $1 AND user_id = $2",
                )
                .bind(challenge)
                .bind(user)
                .fetch_all(&mut *tx)
                .await?;
                let streak = Streak::of(dates);
                sqlx::query(
                    "UPDATE participants SET streak_run = $3, streak_best = $4, streak_freezes = $5 \
                     WHERE challenge_id = $1 AND user_id = $2",
                )
                .bind(challenge)
                .bind(user)
                .bind(i64::from(streak.run))
                .bind(i64::from(streak.best))
                .bind(i64::from(streak.freezes))
                .execute(&mut *tx)
                .await?;
                computed += 1;
            }
            tx.commit().await?;
        }
    }
}

// Progress: its helpers and `ProgressRepository`, in `sql/progress.rs`.
$crate::storage::sql::progress::sql_progress_repository!($store, $db, $conn);
}
    };
}

pub(crate) use sql_repositories;
