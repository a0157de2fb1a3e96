//! The repositories on an embedded SQLite file (the default store).
//!
//! Every connection turns on foreign keys, uses the WAL journal (readers never wait for the
//! writer) and a busy timeout, and every write runs in a `BEGIN IMMEDIATE` transaction: writers
//! queue for the file's write lock instead of failing with `SQLITE_BUSY`, and a transaction that
//! reads a tally and then writes completion cannot be overtaken by another writer in between.
//! The repository impls are shared with PostgreSQL (`storage::sql`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::turn::{self, Conn, TurnCell};
use super::{DatabaseUrl, MigrationReport, StorageError};
use crate::repository::RepositoryError;

/// The Telegram bot's delivery state (`protocol::bot::DeliveryLog`).
mod delivery;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The repositories on a SQLite file. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    url: DatabaseUrl,
    /// Set in the store handed to one bot update: its calls share that update's transaction
    /// (`storage::turn`).
    turn: Option<TurnCell<Sqlite>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("url", &self.url).field("turn", &self.turn.is_some()).finish()
    }
}

impl SqliteStore {
    /// How long a writer waits for another writer's transaction before giving up.
    pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
    /// Connections in the pool (WAL lets them read at once; writes take turns).
    pub const MAX_CONNECTIONS: u32 = 8;

    /// The options every connection to `path` must use: the file is created if missing, foreign
    /// keys are enforced, WAL journal, a busy timeout. Use them for your own pool with
    /// [`SqliteStore::from_pool`].
    pub fn connect_options(path: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Self::BUSY_TIMEOUT)
    }

    /// Opens (creating if missing) the file and applies any missing migrations.
    pub async fn connect(path: &Path) -> Result<SqliteStore, StorageError> {
        let store = SqliteStore::open(path).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens (creating if missing) the file without migrating it.
    pub async fn open(path: &Path) -> Result<SqliteStore, StorageError> {
        let url = DatabaseUrl::Sqlite(path.to_owned());
        let mut attempt = 1;
        let pool = loop {
            let opened = SqlitePoolOptions::new()
                .max_connections(Self::MAX_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(Self::connect_options(path))
                .await;
            match opened {
                Ok(pool) => break pool,
                // Switching a new file to WAL needs it alone for a moment: another process
                // opening it at the same instant is told "database is locked" without waiting.
                Err(e) if attempt < 10 && is_busy(&e) => {
                    tokio::time::sleep(Duration::from_millis(20 * attempt)).await;
                    attempt += 1;
                }
                Err(e) => return Err(StorageError::connect(&url, &e)),
            }
        };
        Ok(SqliteStore { pool, url, turn: None })
    }

    /// A store on a pool you configured (see [`SqliteStore::connect_options`]). Does not migrate.
    pub fn from_pool(pool: SqlitePool) -> SqliteStore {
        let url = DatabaseUrl::Sqlite(PathBuf::from(pool.connect_options().get_filename()));
        SqliteStore { pool, url, turn: None }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The file, as a URL (for messages).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Applies the migrations the file does not have yet.
    pub async fn migrate(&self) -> Result<MigrationReport, StorageError> {
        super::run_migrations(&MIGRATOR, &self.pool, &self.url).await
    }

    /// The embedded migrations.
    pub fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    /// A write transaction that holds the file's write lock from its start.
    async fn write(&self) -> Result<Conn<'_, Sqlite>, RepositoryError> {
        turn::writer(&self.pool, self.turn.as_ref(), "BEGIN IMMEDIATE").await
    }

    /// A connection to read with (the turn's transaction once it wrote).
    async fn read(&self) -> Result<Conn<'_, Sqlite>, RepositoryError> {
        turn::reader(&self.pool, self.turn.as_ref()).await
    }

    /// This store for one bot update: its calls share one transaction, begun at the first write.
    pub(crate) fn for_turn(&self) -> SqliteStore {
        SqliteStore { turn: Some(turn::new_cell()), ..self.clone() }
    }
}

/// `SQLITE_BUSY` or `SQLITE_LOCKED` (with their extended codes).
fn is_busy(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db)
        if db.code().and_then(|c| c.parse::<i32>().ok()).is_some_and(|c| matches!(c & 0xff, 5 | 6)))
}

super::sql::sql_repositories! {
    store: SqliteStore,
    db: Sqlite,
    conn: SqliteConnection,
    // Every write runs in `BEGIN IMMEDIATE`, which holds the file's write lock already.
    lock_participant: "",
    // A read transaction sees one snapshot of the WAL.
    snapshot: "BEGIN",
}
