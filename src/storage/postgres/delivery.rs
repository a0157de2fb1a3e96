//! The Telegram bot's delivery state on PostgreSQL: [`DeliveryLog`] for [`PostgresStore`]
//! (tables from `migrations/postgres/0002_bot_delivery.sql`). Each call is one statement, safe
//! on its own (`save_offset` deletes and upserts in one).

use async_trait::async_trait;
use chrono::Utc;

use super::PostgresStore;
use crate::protocol::bot::delivery::{Action, DeliveryLog, Handled, decode_actions, encode_actions};
use crate::repository::RepositoryError;
use crate::storage::db_error;

fn handled(update_id: i64, actions: &str, done: i32) -> Result<Handled, RepositoryError> {
    Ok(Handled { update_id, actions: decode_actions(actions)?, done: u32::try_from(done).unwrap_or(0) })
}

#[async_trait]
impl DeliveryLog for PostgresStore {
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
        rows.iter().map(|(id, actions, done)| handled(*id, actions, *done)).collect()
    }

    async fn record(&self, bot: i64, update_id: i64, actions: &[Action]) -> Result<Handled, RepositoryError> {
        let inserted = sqlx::query(
            "INSERT INTO bot_updates (bot_id, update_id, actions, done, handled_at) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT (bot_id, update_id) DO NOTHING",
        )
        .bind(bot)
        .bind(update_id)
        .bind(encode_actions(actions))
        .bind(Utc::now())
        .execute(self.pool())
        .await
        .map_err(db_error)?;
        if inserted.rows_affected() == 1 {
            return Ok(Handled { update_id, actions: actions.to_vec(), done: 0 });
        }
        let (stored, done): (String, i32) =
            sqlx::query_as("SELECT actions, done FROM bot_updates WHERE bot_id = $1 AND update_id = $2")
                .bind(bot)
                .bind(update_id)
                .fetch_one(self.pool())
                .await
                .map_err(db_error)?;
        handled(update_id, &stored, done)
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
        sqlx::query("UPDATE bot_updates SET done = GREATEST(done, $1) WHERE bot_id = $2 AND update_id = $3")
            .bind(i32::try_from(done).unwrap_or(i32::MAX))
            .bind(bot)
            .bind(update_id)
            .execute(self.pool())
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
