//! Where things are kept: the database behind the repository traits and the outbox (PostgreSQL,
//! or an embedded SQLite file by default) and the in-process cache of conversation state.
//!
//! - [`DatabaseUrl`] says which database (`DATABASE_URL`); [`open`] opens it as an [`Access`]
//!   allows, applies the migrations that are missing and hands back one object implementing
//!   every repository trait and the outbox ([`Opened`]);
//! - [`SqliteStore`] and [`PostgresStore`] are the two implementations, sharing their SQL
//!   (`sql`, `outbox`, `turn`, `rows`); each keeps its own migrations (`migrations/sqlite`,
//!   `migrations/postgres`) embedded in the binary;
//! - [`memory`] is the same contracts in memory (tests, benchmarks), and [`localcache`] the
//!   conversation state cache.

pub mod backup;
pub mod error;
pub mod localcache;
pub mod memory;
mod migrate;
mod outbox;
pub mod postgres;
mod rows;
mod sql;
pub mod sqlite;
mod turn;
mod url;

use std::sync::Arc;

pub use error::StorageError;
pub use migrate::{AppliedMigration, MigrationReport};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use url::{DEFAULT_SQLITE_FILE, DatabaseUrl, redact_postgres_url};

use crate::outbox::Outbox;
use crate::repository::Store;

/// What opening a database may do when there is none yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Create the SQLite file if it is missing (commands that create things, the chat, the bot).
    Create,
    /// Use what exists: a missing SQLite file is an error, and nothing is created (commands
    /// that read, or change only what already exists).
    Existing,
}

/// An open database: its repositories and its outbox (the same object), and its pool.
pub struct Opened {
    pub store: Arc<dyn Store>,
    pub outbox: Arc<dyn Outbox>,
    pool: Pool,
}

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Opened {
    /// Closes the pool's connections (waiting for those in use).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Opens the database as `access` allows and applies any missing migrations.
pub async fn open(url: &DatabaseUrl, access: Access) -> Result<Opened, StorageError> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => {
            let store = Arc::new(SqliteStore::open_with(path, access).await?);
            let pool = Pool::Sqlite(store.pool().clone());
            Opened { store: store.clone(), outbox: store, pool }
        }
        DatabaseUrl::Postgres(pg) => {
            let store = Arc::new(PostgresStore::connect(pg).await?);
            let pool = Pool::Postgres(store.pool().clone());
            Opened { store: store.clone(), outbox: store, pool }
        }
    })
}

/// Opens the database (creating a missing SQLite file) and returns its repositories.
pub async fn connect(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StorageError> {
    Ok(open(url, Access::Create).await?.store)
}

/// Applies any missing migrations (`challenge-bot migrate`) and says what was done.
pub async fn migrate(url: &DatabaseUrl) -> Result<MigrationReport, StorageError> {
    match url {
        DatabaseUrl::Sqlite(path) => {
            let store = SqliteStore::open(path).await?;
            let report = store.migrate().await;
            store.pool().close().await;
            report
        }
        DatabaseUrl::Postgres(pg) => {
            let store = PostgresStore::open(pg).await?;
            let report = store.migrate().await;
            store.pool().close().await;
            report
        }
    }
}
