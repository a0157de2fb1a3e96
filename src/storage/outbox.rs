//! The outbox ([`crate::outbox::Outbox`]) on SQL, written once for both databases, like the
//! repositories (`storage::sql`): [`sql_outbox!`] writes the impl for one store given its
//! dialect pieces.
//!
//! - A turn's finish writes the update's record (`bot_updates`), its messages (`bot_outbox`, one
//!   multi-row insert) and, for a parked update, the removal of its inbox row, in the update's
//!   own transaction, and commits. That commit waits for the disk: the update is confirmed to
//!   Telegram right after, so its messages must survive a crash of the database server too.
//! - Bookkeeping whose loss costs at most a repeated message (removing sent messages, the
//!   polling offset, forgetting old records) uses an asynchronous commit on PostgreSQL
//!   (`synchronous_commit` off for that statement's transaction, through the `lazy` common
//!   table expression, which each such statement references so that it is evaluated); SQLite in
//!   WAL mode with `synchronous = NORMAL` does not wait for the disk at each commit anyway.
//! - Lists of ids travel as one JSON array (`json_each` / `jsonb_array_elements_text`).

macro_rules! sql_outbox {
    (
        store: $store:ident,
        db: $db:ident,
        conn: $conn:ident,
        begin: $begin:literal,
        lazy: $lazy:literal,
        ids_in: $ids_in:literal $(,)?
    ) => {
// The body is written at the indentation it would have in a file of its own.
mod outbox_impl {
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{$conn, $db, QueryBuilder};

use super::$store;
use crate::outbox::{self, Action, Failure, Finished, Outbox, Parked, Queued, Turn, UpdateRef};
use crate::repository::{RepositoryError, Store};
use crate::storage::error::db_error;
use crate::storage::turn;

/// Records update `update` and queues `actions` in `conn`'s transaction. `Earlier` (and nothing
/// written) if the update was recorded already.
async fn record(
    conn: &mut $conn,
    bot: i64,
    update: UpdateRef,
    actions: &[Action],
) -> Result<Finished, sqlx::Error> {
    let now = Utc::now();
    let inserted = sqlx::query(
        "INSERT INTO bot_updates (bot_id, update_id, handled_at) VALUES ($1, $2, $3) \
         ON CONFLICT (bot_id, update_id) DO NOTHING",
    )
    .bind(bot)
    .bind(update.id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Finished::Earlier);
    }
    if update.parked {
        forget_parked(&mut *conn, bot, update.id).await?;
    }
    if actions.is_empty() {
        return Ok(Finished::Recorded(Vec::new()));
    }
    let mut insert =
        QueryBuilder::<$db>::new("INSERT INTO bot_outbox (bot_id, update_id, seq, chat_id, action, queued_at) ");
    insert.push_values(actions.iter().enumerate(), |mut row, (seq, action)| {
        row.push_bind(bot)
            .push_bind(update.id)
            .push_bind(seq as i32)
            .push_bind(action.chat())
            .push_bind(outbox::encode(action))
            .push_bind(now);
    });
    insert.push(" RETURNING id, seq");
    let mut rows: Vec<(i64, i32)> = insert.build_query_as().fetch_all(&mut *conn).await?;
    rows.sort_by_key(|(_, seq)| *seq);
    Ok(Finished::Recorded(
        rows.into_iter()
            .map(|(id, seq)| Queued { id, action: actions[seq as usize].clone() })
            .collect(),
    ))
}

async fn forget_parked(conn: &mut $conn, bot: i64, update_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM bot_inbox WHERE bot_id = $1 AND update_id = $2")
        .bind(bot)
        .bind(update_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// PostgreSQL's "current transaction is aborted": a statement failed inside the transaction
/// after a write, and the conversation answered with that failure.
fn is_aborted(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.code().as_deref() == Some("25P02"))
}

impl $store {
    /// Records an update on its own, in a transaction of its own (it changed nothing, or its
    /// changes were rolled back), and with `failure`, as given up on.
    async fn record_alone(
        &self,
        bot: i64,
        update: UpdateRef,
        actions: &[Action],
        failure: Option<&Failure<'_>>,
    ) -> Result<Finished, RepositoryError> {
        let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
        let finished = record(&mut tx, bot, update, actions).await.map_err(db_error)?;
        if finished == Finished::Earlier {
            tx.rollback().await.map_err(db_error)?;
            return self.earlier(bot, update).await;
        }
        if let Some(failure) = failure {
            sqlx::query(
                "INSERT INTO bot_failures (bot_id, update_id, user_id, error, attempts, failed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (bot_id, update_id) DO NOTHING",
            )
            .bind(bot)
            .bind(update.id)
            .bind(failure.user)
            .bind(failure.error)
            .bind(i64::from(failure.attempts))
            .bind(Utc::now())
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)?;
        Ok(finished)
    }

    /// An update recorded by an earlier run: if it came out of the inbox, its row goes (it
    /// stayed there only if the update was parked again after being handled).
    async fn earlier(&self, bot: i64, update: UpdateRef) -> Result<Finished, RepositoryError> {
        if update.parked {
            let mut conn = self.pool.acquire().await.map_err(db_error)?;
            forget_parked(&mut conn, bot, update.id).await.map_err(db_error)?;
        }
        Ok(Finished::Earlier)
    }
}

/// One update's turn: a store whose calls share the update's transaction.
struct SqlTurn {
    store: $store,
    bot: i64,
    update: UpdateRef,
}

#[async_trait]
impl Turn for SqlTurn {
    fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }

    async fn finish(&self, actions: &[Action]) -> Result<Finished, RepositoryError> {
        let (bot, update) = (self.bot, self.update);
        let cell = self.store.turn.as_ref().expect("a turn's store has a turn");
        // Nothing written, or a write gave up midway: the record goes in alone.
        let Some(mut tx) = turn::take(cell).await? else {
            return self.store.record_alone(bot, update, actions, None).await;
        };
        match record(&mut tx, bot, update, actions).await {
            Ok(Finished::Earlier) => {
                // Recorded by an earlier run: its effects are in already, this turn's must go.
                tx.rollback().await.map_err(db_error)?;
                self.store.earlier(bot, update).await
            }
            Ok(recorded) => {
                tx.commit().await.map_err(db_error)?;
                Ok(recorded)
            }
            // Keep the answer, drop the effects.
            Err(e) if is_aborted(&e) => {
                tx.rollback().await.map_err(db_error)?;
                self.store.record_alone(bot, update, actions, None).await
            }
            Err(e) => Err(db_error(e)),
        }
    }
}

#[async_trait]
impl Outbox for $store {
    fn turn(&self, bot: i64, update: UpdateRef) -> Box<dyn Turn> {
        Box::new(SqlTurn { store: self.for_turn(), bot, update })
    }

    async fn resume_offset(&self, bot: i64) -> Result<Option<i64>, RepositoryError> {
        sqlx::query_scalar("SELECT next_offset FROM bot_offsets WHERE bot_id = $1")
            .bind(bot)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn save_offset(&self, bot: i64, offset: i64, forget_below: i64) -> Result<(), RepositoryError> {
        sqlx::query(concat!(
            $lazy,
            "INSERT INTO bot_offsets (bot_id, next_offset, updated_at) SELECT $1, $2, $3 FROM lazy WHERE true \
             ON CONFLICT (bot_id) DO UPDATE SET next_offset = CASE \
               WHEN excluded.next_offset > bot_offsets.next_offset THEN excluded.next_offset \
               ELSE bot_offsets.next_offset END, \
             updated_at = excluded.updated_at"
        ))
        .bind(bot)
        .bind(offset.max(0))
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        sqlx::query(concat!(
            $lazy,
            "DELETE FROM bot_updates WHERE bot_id = $1 AND update_id < $2 AND EXISTS (SELECT 1 FROM lazy)"
        ))
        .bind(bot)
        .bind(forget_below)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn recorded_since(&self, bot: i64, offset: i64) -> Result<Vec<i64>, RepositoryError> {
        sqlx::query_scalar("SELECT update_id FROM bot_updates WHERE bot_id = $1 AND update_id >= $2 ORDER BY update_id")
            .bind(bot)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)
    }

    async fn restart_sequence(&self, bot: i64, offset: i64) -> Result<(), RepositoryError> {
        let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
        sqlx::query("DELETE FROM bot_updates WHERE bot_id = $1")
            .bind(bot)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO bot_offsets (bot_id, next_offset, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (bot_id) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at",
        )
        .bind(bot)
        .bind(offset.max(0))
        .bind(Utc::now())
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn queued(&self, bot: i64, after: i64, limit: u32) -> Result<Vec<Queued>, RepositoryError> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, action FROM bot_outbox WHERE bot_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(bot)
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        rows.into_iter()
            .map(|(id, action)| match outbox::decode(&action) {
                Ok(action) => Ok(Queued { id, action }),
                Err(e) => Err(RepositoryError::Backend(Box::new(e))),
            })
            .collect()
    }

    async fn remove(&self, bot: i64, ids: &[i64]) -> Result<(), RepositoryError> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = serde_json::to_string(ids).expect("ids serialize");
        sqlx::query(concat!(
            $lazy,
            "DELETE FROM bot_outbox WHERE bot_id = $1 AND id IN ",
            $ids_in,
            " AND EXISTS (SELECT 1 FROM lazy)"
        ))
        .bind(bot)
        .bind(list)
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn park(&self, bot: i64, updates: &[Parked]) -> Result<(), RepositoryError> {
        if updates.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let mut insert =
            QueryBuilder::<$db>::new("INSERT INTO bot_inbox (bot_id, update_id, user_id, payload, parked_at) ");
        insert.push_values(updates, |mut row, parked| {
            row.push_bind(bot)
                .push_bind(parked.update_id)
                .push_bind(parked.user)
                .push_bind(parked.payload.as_str())
                .push_bind(now);
        });
        insert.push(" ON CONFLICT (bot_id, update_id) DO NOTHING");
        insert.build().execute(&self.pool).await.map_err(db_error)?;
        Ok(())
    }

    async fn parked(&self, bot: i64, user: i64, limit: u32) -> Result<Vec<Parked>, RepositoryError> {
        let rows: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT update_id, user_id, payload FROM bot_inbox WHERE bot_id = $1 AND user_id = $2 \
             ORDER BY update_id LIMIT $3",
        )
        .bind(bot)
        .bind(user)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(|(update_id, user, payload)| Parked { update_id, user, payload }).collect())
    }

    async fn parked_users(&self, bot: i64) -> Result<Vec<(i64, u64)>, RepositoryError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT user_id, COUNT(*) FROM bot_inbox WHERE bot_id = $1 GROUP BY user_id ORDER BY user_id",
        )
        .bind(bot)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(|(user, n)| (user, u64::try_from(n).unwrap_or(0))).collect())
    }

    async fn record_failure(
        &self,
        bot: i64,
        failure: &Failure<'_>,
        actions: &[Action],
    ) -> Result<Finished, RepositoryError> {
        self.record_alone(bot, failure.update, actions, Some(failure)).await
    }

    async fn failure_count(&self, bot: i64) -> Result<u64, RepositoryError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bot_failures WHERE bot_id = $1")
            .bind(bot)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error)?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
}
    };
}

pub(crate) use sql_outbox;
