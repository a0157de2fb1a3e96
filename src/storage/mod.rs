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

/// How a database's connection pool is used right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    pub open: u32,
    pub idle: u32,
}

impl Opened {
    /// Whether the database answers (within `timeout`) and has every migration this binary
    /// knows; the problem in one line if not.
    pub async fn check(&self, timeout: std::time::Duration) -> Result<(), String> {
        const LATEST: &str = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";
        let asked = async {
            match &self.pool {
                Pool::Sqlite(pool) => {
                    let found: i64 = sqlx::query_scalar(LATEST).fetch_one(pool).await?;
                    Ok::<_, sqlx::Error>((found, sqlite::latest_migration()))
                }
                Pool::Postgres(pool) => {
                    let found: i64 = sqlx::query_scalar(LATEST).fetch_one(pool).await?;
                    Ok((found, postgres::latest_migration()))
                }
            }
        };
        match tokio::time::timeout(timeout, asked).await {
            Err(_) => Err(format!("the database did not answer within {} ms", timeout.as_millis())),
            Ok(Err(e)) => Err(format!("the database failed: {}", error::describe(&e))),
            Ok(Ok((found, latest))) if found < latest => {
                Err(format!("the database's schema is at version {found}, this program needs {latest}"))
            }
            Ok(Ok(_)) => Ok(()),
        }
    }

    /// The pool's connections: open, and idle among them.
    pub fn pool_usage(&self) -> PoolUsage {
        match &self.pool {
            Pool::Sqlite(pool) => PoolUsage { open: pool.size(), idle: pool.num_idle() as u32 },
            Pool::Postgres(pool) => PoolUsage { open: pool.size(), idle: pool.num_idle() as u32 },
        }
    }

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

/// Opens the database without creating or migrating anything, for checks: a missing SQLite
/// file is an error, and a schema behind this binary is reported by [`Opened::check`].
pub async fn probe(url: &DatabaseUrl) -> Result<Opened, StorageError> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => {
            if !path.exists() {
                return Err(StorageError::Missing { path: path.to_owned() });
            }
            let store = Arc::new(SqliteStore::open(path).await?);
            let pool = Pool::Sqlite(store.pool().clone());
            Opened { store: store.clone(), outbox: store, pool }
        }
        DatabaseUrl::Postgres(pg) => {
            let store = Arc::new(PostgresStore::open(pg).await?);
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
