//! The Telegram bot's delivery state on SQLite: [`DeliveryLog`] for [`SqliteStore`]
//! (tables from `migrations/sqlite/0002_bot_delivery.sql`). Each call is one autocommit
//! statement (two for `save_offset`), each safe on its own, except a turn's finish, which adds
//! the record to the update's transaction and commits it.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use super::SqliteStore;
use crate::protocol::bot::delivery::{Action, DeliveryLog, Handled, Turn, encode_actions};
use crate::repository::RepositoryError;
use crate::storage::db_error;
use crate::storage::turn::{Durability, Outbox, SqlTurn, TurnCell};

#[async_trait]
impl Outbox for SqliteStore {
    type DB = Sqlite;

    fn turn_cell(&self) -> &TurnCell<Sqlite> {
        self.turn.as_ref().expect("a turn's store has a turn")
    }

    fn outbox_pool(&self) -> &SqlitePool {
        self.pool()
    }

    /// One durability for both: in WAL mode with `synchronous = NORMAL`, no commit waits for the
    /// disk.
    async fn insert_record(
        conn: &mut SqliteConnection,
        bot: i64,
        update_id: i64,
        actions: &[Action],
        _durability: Durability,
    ) -> Result<bool, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO bot_updates (bot_id, update_id, actions, done, handled_at) VALUES (?, ?, ?, 0, ?) \
             ON CONFLICT (bot_id, update_id) DO NOTHING",
        )
        .bind(bot)
        .bind(update_id)
        .bind(encode_actions(actions))
        .bind(Utc::now())
        .execute(conn)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    async fn stored_record(
        conn: &mut SqliteConnection,
        bot: i64,
        update_id: i64,
    ) -> Result<Handled, RepositoryError> {
        let (stored, done): (String, i64) =
            sqlx::query_as("SELECT actions, done FROM bot_updates WHERE bot_id = ? AND update_id = ?")
                .bind(bot)
                .bind(update_id)
                .fetch_one(conn)
                .await
                .map_err(db_error)?;
        Handled::from_stored(update_id, &stored, done)
    }
}

#[async_trait]
impl DeliveryLog for SqliteStore {
    fn turn(&self, bot: i64, update_id: i64) -> Box<dyn Turn> {
        Box::new(SqlTurn { store: self.for_turn(), bot, update_id })
    }

    async fn resume_offset(&self, bot: i64) -> Result<Option<i64>, RepositoryError> {
        sqlx::query_scalar("SELECT next_offset FROM bot_offsets WHERE bot_id = ?")
            .bind(bot)
            .fetch_optional(self.pool())
            .await
            .map_err(db_error)
    }

    async fn save_offset(&self, bot: i64, offset: i64, forget_below: i64) -> Result<(), RepositoryError> {
        sqlx::query(
            "INSERT INTO bot_offsets (bot_id, next_offset, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT (bot_id) DO UPDATE SET next_offset = max(next_offset, excluded.next_offset), \
             updated_at = excluded.updated_at",
        )
        .bind(bot)
        .bind(offset.max(0))
        .bind(Utc::now())
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        sqlx::query("DELETE FROM bot_updates WHERE bot_id = ? AND update_id < ?")
            .bind(bot)
            .bind(forget_below)
            .execute(self.pool())
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn handled_since(&self, bot: i64, offset: i64) -> Result<Vec<Handled>, RepositoryError> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT update_id, actions, done FROM bot_updates WHERE bot_id = ? AND update_id >= ? \
             ORDER BY update_id",
        )
        .bind(bot)
        .bind(offset)
        .fetch_all(self.pool())
        .await
        .map_err(db_error)?;
        rows.iter().map(|(id, actions, done)| Handled::from_stored(*id, actions, *done)).collect()
    }

    async fn mark_done_many(&self, bot: i64, marks: &[(i64, u32)]) -> Result<(), RepositoryError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await.map_err(db_error)?;
        for &(update_id, done) in marks {
            sqlx::query("UPDATE bot_updates SET done = max(done, ?) WHERE bot_id = ? AND update_id = ?")
                .bind(i64::from(done))
                .bind(bot)
                .bind(update_id)
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn restart_sequence(&self, bot: i64, offset: i64) -> Result<(), RepositoryError> {
        let mut tx = self.pool().begin_with("BEGIN IMMEDIATE").await.map_err(db_error)?;
        sqlx::query("DELETE FROM bot_updates WHERE bot_id = ?")
            .bind(bot)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
        sqlx::query(
            "INSERT INTO bot_offsets (bot_id, next_offset, updated_at) VALUES (?, ?, ?) \
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

    async fn mark_done(&self, bot: i64, update_id: i64, done: u32) -> Result<(), RepositoryError> {
        sqlx::query("UPDATE bot_updates SET done = max(done, ?) WHERE bot_id = ? AND update_id = ?")
            .bind(i64::from(done))
            .bind(bot)
            .bind(update_id)
            .execute(self.pool())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
