//! The Telegram bot's delivery state on PostgreSQL: [`DeliveryLog`] for [`PostgresStore`]
//! (tables from `migrations/postgres/0002_bot_delivery.sql`). Each call is one statement, safe
//! on its own (`save_offset` deletes and upserts in one), except a turn's finish, which adds the
//! record to the update's transaction and commits it.
//!
//! Writes that put nothing but delivery bookkeeping at stake (the record of an update that
//! changed nothing, "answers sent" marks) use asynchronous commit
//! (`synchronous_commit` off for that statement's transaction): PostgreSQL answers before its
//! WAL reaches the disk. A crash of the bot loses none of them; a crash of the database server
//! may lose the last fraction of a second of them, which at worst repeats an answer. They would
//! otherwise each wait for a disk flush (about 2.5 ms on the development machine, measured with
//! pgbench), and they are most of the bot's writes.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{PgConnection, PgPool, Postgres};

use super::PostgresStore;
use crate::protocol::bot::delivery::{Action, DeliveryLog, Handled, Turn, encode_actions};
use crate::repository::RepositoryError;
use crate::storage::db_error;
use crate::storage::turn::{Durability, Outbox, SqlTurn, TurnCell};

/// The common table expression `lazy` that turns off the disk-flush wait for the statement's
/// own transaction (it must be referenced to be evaluated).
macro_rules! lazily {
    ($statement:literal) => {
        concat!(
            "WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true) AS on_commit) ",
            $statement
        )
    };
}

#[async_trait]
impl Outbox for PostgresStore {
    type DB = Postgres;

    fn turn_cell(&self) -> &TurnCell<Postgres> {
        self.turn.as_ref().expect("a turn's store has a turn")
    }

    fn outbox_pool(&self) -> &PgPool {
        self.pool()
    }

    async fn insert_record(
        conn: &mut PgConnection,
        bot: i64,
        update_id: i64,
        actions: &[Action],
        durability: Durability,
    ) -> Result<bool, sqlx::Error> {
        let sql = match durability {
            Durability::Lazy => lazily!(
                "INSERT INTO bot_updates (bot_id, update_id, actions, done, handled_at) \
                 SELECT $1, $2, $3, 0, $4 FROM lazy ON CONFLICT (bot_id, update_id) DO NOTHING"
            ),
            Durability::Flushed => {
                "INSERT INTO bot_updates (bot_id, update_id, actions, done, handled_at) \
                 VALUES ($1, $2, $3, 0, $4) ON CONFLICT (bot_id, update_id) DO NOTHING"
            }
        };
        let inserted = sqlx::query(sql)
            .bind(bot)
            .bind(update_id)
            .bind(encode_actions(actions))
            .bind(Utc::now())
            .execute(conn)
            .await?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn stored_record(
        conn: &mut PgConnection,
        bot: i64,
        update_id: i64,
    ) -> Result<Handled, RepositoryError> {
        let (stored, done): (String, i32) =
            sqlx::query_as("SELECT actions, done FROM bot_updates WHERE bot_id = $1 AND update_id = $2")
                .bind(bot)
                .bind(update_id)
                .fetch_one(conn)
                .await
                .map_err(db_error)?;
        Handled::from_stored(update_id, &stored, done.into())
    }
}

#[async_trait]
impl DeliveryLog for PostgresStore {
    fn turn(&self, bot: i64, update_id: i64) -> Box<dyn Turn> {
        Box::new(SqlTurn { store: self.for_turn(), bot, update_id })
    }

    async fn resume_offset(&self, bot: i64) -> Result<Option<i64>, RepositoryError> {
        sqlx::query_scalar("SELECT next_offset FROM bot_offsets WHERE bot_id = $1")
            .bind(bot)
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)
    }

    async fn save_offset(&self, bot: i64, offset: i64, forget_below: i64) -> Result<(), RepositoryError> {
        sqlx::query(
            "WITH forgotten AS (DELETE FROM bot_updates WHERE bot_id = $1 AND update_id < $3) \
             INSERT INTO bot_offsets (bot_id, next_offset, updated_at) VALUES ($1, $2, $4) \
             ON CONFLICT (bot_id) DO UPDATE SET \
             next_offset = GREATEST(bot_offsets.next_offset, excluded.next_offset), \
             updated_at = excluded.updated_at",
        )
        .bind(bot)
        .bind(offset.max(0))
        .bind(forget_below)
        .bind(Utc::now())
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn handled_since(&self, bot: i64, offset: i64) -> Result<Vec<Handled>, RepositoryError> {
        let rows: Vec<(i64, String, i32)> = sqlx::query_as(
            "SELECT update_id, actions, done FROM bot_updates WHERE bot_id = $1 AND update_id >= $2 \
             ORDER BY update_id",
        )
        .bind(bot)
        .bind(offset)
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        rows.iter().map(|(id, actions, done)| Handled::from_stored(*id, actions, (*done).into())).collect()
    }

    async fn restart_sequence(&self, bot: i64, offset: i64) -> Result<(), RepositoryError> {
        sqlx::query(
            "WITH forgotten AS (DELETE FROM bot_updates WHERE bot_id = $1) \
             INSERT INTO bot_offsets (bot_id, next_offset, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (bot_id) DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at",
        )
        .bind(bot)
        .bind(offset.max(0))
        .bind(Utc::now())
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(())
    }

    async fn mark_done(&self, bot: i64, update_id: i64, done: u32) -> Result<(), RepositoryError> {
        self.mark_done_many(bot, &[(update_id, done)]).await
    }

    async fn mark_done_many(&self, bot: i64, marks: &[(i64, u32)]) -> Result<(), RepositoryError> {
        if marks.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = marks.iter().map(|m| m.0).collect();
        let done: Vec<i32> = marks.iter().map(|m| i32::try_from(m.1).unwrap_or(i32::MAX)).collect();
        sqlx::query(lazily!(
            "UPDATE bot_updates b SET done = GREATEST(b.done, m.done) \
             FROM lazy, unnest($2::bigint[], $3::int[]) AS m(update_id, done) \
             WHERE b.bot_id = $1 AND b.update_id = m.update_id"
        ))
        .bind(bot)
        .bind(ids)
        .bind(done)
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        Ok(())
    }
}
