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
//! - The records of updates that changed nothing (most of them: menus, lists, questions) are
//!   written by a task of the store's own, all that arrived meanwhile in one transaction, so that
//!   one commit (and one wait for the disk) serves many updates; each caller waits for its own.
//!   An update with effects commits its record in its own transaction, with its effects.

/// A record to write with others: an update that changed nothing, and who waits for it.
pub(crate) struct RecordRequest {
    pub(crate) bot: i64,
    pub(crate) update: crate::outbox::UpdateRef,
    pub(crate) actions: Vec<crate::outbox::Action>,
    pub(crate) done:
        tokio::sync::oneshot::Sender<Result<crate::outbox::Finished, crate::repository::RepositoryError>>,
}

/// Where a store's batched records go (the writer task starts with the first one).
pub(crate) type RecordQueue =
    std::sync::Arc<std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<RecordRequest>>>;

/// The most records written in one transaction.
pub(crate) const RECORD_BATCH: usize = 256;
/// Batches written at once.
pub(crate) const RECORD_WRITERS: usize = 4;

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
use crate::storage::outbox::{RECORD_BATCH, RECORD_WRITERS, RecordRequest};
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
    Ok(Finished::Recorded(queue(conn, bot, Some(update.id), actions).await?))
}

/// Queues `actions` in `conn`'s transaction, as the answers of `update` (or of none: the bot's
/// own work), in order.
async fn queue(
    conn: &mut $conn,
    bot: i64,
    update: Option<i64>,
    actions: &[Action],
) -> Result<Vec<Queued>, sqlx::Error> {
    let now = Utc::now();
    let mut queued = Vec::with_capacity(actions.len());
    // Several statements for a large batch: each stays within the databases' parameter limits.
    for (chunk_index, chunk) in actions.chunks(500).enumerate() {
        let first = chunk_index * 500;
        let mut insert =
            QueryBuilder::<$db>::new("INSERT INTO bot_outbox (bot_id, update_id, seq, chat_id, action, queued_at) ");
        insert.push_values(chunk.iter().enumerate(), |mut row, (i, action)| {
            row.push_bind(bot)
                .push_bind(update)
                .push_bind((first + i) as i32)
                .push_bind(action.chat())
                .push_bind(outbox::encode(action))
                .push_bind(now);
        });
        insert.push(" RETURNING id, seq");
        let mut rows: Vec<(i64, i32)> = insert.build_query_as().fetch_all(&mut *conn).await?;
        rows.sort_by_key(|(_, seq)| *seq);
        queued.extend(rows.into_iter().map(|(id, seq)| Queued { id, action: actions[seq as usize].clone() }));
    }
    Ok(queued)
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

/// Writes batched records: all that arrived meanwhile in one transaction, a few transactions at
/// once (their commits share the disk's flushes). A batch that fails is written again one record
/// at a time, so that one bad record fails alone.
async fn write_records(pool: sqlx::Pool<$db>, mut requests: tokio::sync::mpsc::UnboundedReceiver<RecordRequest>) {
    let writers = std::sync::Arc::new(tokio::sync::Semaphore::new(RECORD_WRITERS));
    while let Some(first) = requests.recv().await {
        let Ok(permit) = writers.clone().acquire_owned().await else { return };
        let mut batch = vec![first];
        while batch.len() < RECORD_BATCH {
            match requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match write_batch(&pool, &batch).await {
                Ok(results) => {
                    for (request, finished) in batch.into_iter().zip(results) {
                        let _ = request.done.send(Ok(finished));
                    }
                }
                Err(e) if batch.len() == 1 => {
                    let request = batch.pop().expect("one request");
                    let _ = request.done.send(Err(db_error(e)));
                }
                Err(_) => {
                    for request in batch {
                        let result = write_batch(&pool, std::slice::from_ref(&request)).await;
                        let _ = request.done.send(result.map(|mut r| r.remove(0)).map_err(db_error));
                    }
                }
            }
        });
    }
}

/// The records of a batch and their messages, in one transaction of three statements (and one
/// more per parked update).
async fn write_batch(pool: &sqlx::Pool<$db>, batch: &[RecordRequest]) -> Result<Vec<Finished>, sqlx::Error> {
    let now = Utc::now();
    let mut tx = pool.begin_with($begin).await?;
    let mut insert = QueryBuilder::<$db>::new("INSERT INTO bot_updates (bot_id, update_id, handled_at) ");
    insert.push_values(batch, |mut row, request| {
        row.push_bind(request.bot).push_bind(request.update.id).push_bind(now);
    });
    insert.push(" ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING bot_id, update_id");
    let inserted: std::collections::HashSet<(i64, i64)> =
        insert.build_query_as().fetch_all(&mut *tx).await?.into_iter().collect();
    // Recorded now: each update the first time it appears (the same update twice in one batch,
    // delivered again meanwhile, is recorded once).
    let mut seen = std::collections::HashSet::new();
    let recorded: Vec<bool> = batch
        .iter()
        .map(|r| inserted.contains(&(r.bot, r.update.id)) && seen.insert((r.bot, r.update.id)))
        .collect();
    for (request, _) in batch.iter().zip(&recorded).filter(|(r, new)| **new && r.update.parked) {
        forget_parked(&mut tx, request.bot, request.update.id).await?;
    }
    let messages: Vec<(usize, usize, &Action)> = batch
        .iter()
        .enumerate()
        .filter(|(i, _)| recorded[*i])
        .flat_map(|(i, r)| r.actions.iter().enumerate().map(move |(seq, a)| (i, seq, a)))
        .collect();
    let mut queued: Vec<Vec<Queued>> = batch.iter().map(|_| Vec::new()).collect();
    if !messages.is_empty() {
        let mut insert =
            QueryBuilder::<$db>::new("INSERT INTO bot_outbox (bot_id, update_id, seq, chat_id, action, queued_at) ");
        insert.push_values(&messages, |mut row, (i, seq, action)| {
            row.push_bind(batch[*i].bot)
                .push_bind(batch[*i].update.id)
                .push_bind(*seq as i32)
                .push_bind(action.chat())
                .push_bind(outbox::encode(action))
                .push_bind(now);
        });
        insert.push(" RETURNING id, bot_id, update_id, seq");
        let rows: Vec<(i64, i64, i64, i32)> = insert.build_query_as().fetch_all(&mut *tx).await?;
        let index: std::collections::HashMap<(i64, i64), usize> =
            batch.iter().enumerate().filter(|(i, _)| recorded[*i]).map(|(i, r)| ((r.bot, r.update.id), i)).collect();
        for (id, bot, update_id, seq) in rows {
            let i = index[&(bot, update_id)];
            queued[i].push(Queued { id, action: batch[i].actions[seq as usize].clone() });
        }
        for q in &mut queued {
            q.sort_by_key(|q| q.id);
        }
    }
    tx.commit().await?;
    Ok(queued
        .into_iter()
        .zip(recorded)
        .map(|(q, new)| if new { Finished::Recorded(q) } else { Finished::Earlier })
        .collect())
}

impl $store {
    /// Records an update that changed nothing with the records of others (see the module docs).
    async fn record_batched(&self, bot: i64, update: UpdateRef, actions: &[Action]) -> Result<Finished, RepositoryError> {
        let queue = self.records.get_or_init(|| {
            let (queue, requests) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(write_records(self.pool.clone(), requests));
            queue
        });
        let (done, finished) = tokio::sync::oneshot::channel();
        let request = RecordRequest { bot, update, actions: actions.to_vec(), done };
        queue.send(request).map_err(|_| RepositoryError::unavailable("the record writer stopped"))?;
        let finished =
            finished.await.map_err(|_| RepositoryError::unavailable("the record writer stopped"))??;
        if finished == Finished::Earlier {
            return self.earlier(bot, update).await;
        }
        Ok(finished)
    }

    /// Records an update on its own (it changed nothing, or its changes were rolled back), and
    /// with `failure`, as given up on.
    async fn record_alone(
        &self,
        bot: i64,
        update: UpdateRef,
        actions: &[Action],
        failure: Option<&Failure<'_>>,
    ) -> Result<Finished, RepositoryError> {
        let Some(failure) = failure else { return self.record_batched(bot, update, actions).await };
        let mut tx = self.pool.begin_with($begin).await.map_err(db_error)?;
        let finished = record(&mut tx, bot, update, actions).await.map_err(db_error)?;
        if finished == Finished::Earlier {
            tx.rollback().await.map_err(db_error)?;
            return self.earlier(bot, update).await;
        }
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

/// Work of the bot's own: writes and messages in one transaction, no update recorded.
struct SqlJob {
    store: $store,
    bot: i64,
}

#[async_trait]
impl Turn for SqlJob {
    fn store(&self) -> Arc<dyn Store> {
        Arc::new(self.store.clone())
    }

    async fn finish(&self, actions: &[Action]) -> Result<Finished, RepositoryError> {
        let cell = self.store.turn.as_ref().expect("a job's store has a turn");
        let mut tx = match turn::take_unfailed(cell).await? {
            Some(tx) => tx,
            None if actions.is_empty() => return Ok(Finished::Recorded(Vec::new())),
            None => self.store.pool.begin_with($begin).await.map_err(db_error)?,
        };
        let queued = queue(&mut tx, self.bot, None, actions).await.map_err(db_error)?;
        tx.commit().await.map_err(db_error)?;
        Ok(Finished::Recorded(queued))
    }
}

/// Rows of `bot_outbox` (id, action) as queued messages.
fn decoded(rows: Vec<(i64, String)>) -> Result<Vec<Queued>, RepositoryError> {
    rows.into_iter()
        .map(|(id, action)| match outbox::decode(&action) {
            Ok(action) => Ok(Queued { id, action }),
            Err(e) => Err(RepositoryError::Backend(Box::new(e))),
        })
        .collect()
}

#[async_trait]
impl Outbox for $store {
    fn turn(&self, bot: i64, update: UpdateRef) -> Box<dyn Turn> {
        Box::new(SqlTurn { store: self.for_turn(), bot, update })
    }

    fn job(&self, bot: i64) -> Box<dyn Turn> {
        Box::new(SqlJob { store: self.for_turn(), bot })
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

    async fn settled_since(&self, bot: i64, from: i64) -> Result<Vec<i64>, RepositoryError> {
        sqlx::query_scalar(
            "SELECT update_id FROM bot_updates WHERE bot_id = $1 AND update_id >= $2 \
             UNION SELECT update_id FROM bot_inbox WHERE bot_id = $1 AND update_id >= $2 ORDER BY 1",
        )
        .bind(bot)
        .bind(from)
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
        decoded(rows)
    }

    async fn messages(&self, bot: i64, ids: &[i64]) -> Result<Vec<Queued>, RepositoryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(ids).expect("ids serialize");
        // Planned at each execution, as the removal below is: a plan cached while the outbox
        // was small would read all of it once it holds the backlog this read is for.
        let rows: Vec<(i64, String)> = sqlx::query_as(concat!(
            "SELECT id, action FROM bot_outbox WHERE bot_id = $1 AND id IN ",
            $ids_in,
            " ORDER BY id"
        ))
        .persistent(false)
        .bind(bot)
        .bind(list)
        .fetch_all(&self.pool)
        .await
        .map_err(db_error)?;
        decoded(rows)
    }

    async fn remove(&self, bot: i64, ids: &[i64]) -> Result<(), RepositoryError> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = serde_json::to_string(ids).expect("ids serialize");
        // Planned at each execution, not once per connection: the outbox is a queue, nearly
        // empty when a connection first runs this and then, until autovacuum comes round (a
        // minute), thousands of pages of sent messages. A plan cached while the table was small
        // read it all (PostgreSQL: 1,400 buffers and 10 ms a removal at 1,500 updates/s, 0.4
        // of a core); planned each time, it looks the ids up in the primary key once it is large.
        sqlx::query(concat!(
            $lazy,
            "DELETE FROM bot_outbox WHERE bot_id = $1 AND id IN ",
            $ids_in,
            " AND EXISTS (SELECT 1 FROM lazy)"
        ))
        .persistent(false)
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
