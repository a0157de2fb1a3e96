//! The repositories on an embedded SQLite file (the default store).
//!
//! Every connection turns on foreign keys, uses the WAL journal (readers never wait for the
//! writer) and a busy timeout, and every write runs in a `BEGIN IMMEDIATE` transaction: writers
//! queue for the file's write lock instead of failing with `SQLITE_BUSY`, and a transaction that
//! reads a tally and then writes completion cannot be overtaken by another writer in between.
//! The repository impls are shared with PostgreSQL (`storage::sql`), and so is the outbox
//! (`storage::outbox`).
//!
//! A file that may only be read (a read-only file or directory) is opened read-only: every
//! read works, and a write fails with [`RepositoryError::ReadOnly`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::migrate::{is_behind, run_migrations};
use super::outbox::RecordQueue;
use super::sql::ZonesNearDeadlines;
use super::turn::{self, Conn, TurnCell};
use super::{Access, DatabaseUrl, MigrationReport, StorageError};
use crate::repository::RepositoryError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// The newest migration this binary carries.
pub fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The repositories on a SQLite file. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    url: DatabaseUrl,
    /// Set in the store handed to one bot update: its calls share that update's transaction
    /// (`storage::turn`).
    turn: Option<TurnCell<Sqlite>>,
    /// The records of updates that changed nothing, written together (`storage::outbox`).
    records: RecordQueue,
    /// Which zones the challenges near the deadline line have (`storage::sql`).
    zones: ZonesNearDeadlines,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("url", &self.url).field("turn", &self.turn.is_some()).finish()
    }
}

impl SqliteStore {
    /// How a write transaction begins: with the file's write lock, waiting (busy timeout) for
    /// it, so a transaction that reads before it writes never fails to upgrade its lock.
    pub(crate) const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";

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

    /// Opens (creating it if missing) the file and applies any missing migrations.
    pub async fn connect(path: &Path) -> Result<SqliteStore, StorageError> {
        SqliteStore::open_with(path, Access::Create).await
    }

    /// Opens the file as `access` allows, and brings its schema up to date. A file that may
    /// not be written is opened read-only (it must be up to date already).
    pub async fn open_with(path: &Path, access: Access) -> Result<SqliteStore, StorageError> {
        let url = DatabaseUrl::Sqlite(path.to_owned());
        if access == Access::Existing && !path.exists() {
            return Err(StorageError::Missing { path: path.to_owned() });
        }
        let store = match SqliteStore::open(path).await {
            Ok(store) => store,
            Err(StorageError::Connect { .. }) if path.exists() && !is_writable(path) => {
                let store = SqliteStore::open_read_only(path).await?;
                if is_behind(&MIGRATOR, &store.pool, &url).await? {
                    return Err(StorageError::ReadOnlyNeedsMigration {
                        backend: url.backend(),
                        url: url.to_string(),
                    });
                }
                return Ok(store);
            }
            Err(e) => return Err(e),
        };
        if is_behind(&MIGRATOR, &store.pool, &url).await? {
            store.migrate().await?;
        }
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
                Err(e) => return Err(StorageError::connect(&url, e)),
            }
        };
        Ok(SqliteStore {
            pool,
            url,
            turn: None,
            records: RecordQueue::default(),
            zones: ZonesNearDeadlines::default(),
        })
    }

    /// Opens an existing file that may not be written. Without its `-shm` file (and no right to
    /// create one) a WAL database opens only as immutable, which is what it is to us then.
    async fn open_read_only(path: &Path) -> Result<SqliteStore, StorageError> {
        let url = DatabaseUrl::Sqlite(path.to_owned());
        let options =
            SqliteConnectOptions::new().filename(path).read_only(true).busy_timeout(Self::BUSY_TIMEOUT);
        let mut last = None;
        for options in [options.clone(), options.immutable(true)] {
            let pool = match SqlitePoolOptions::new()
                .max_connections(Self::MAX_CONNECTIONS)
                .connect_with(options)
                .await
            {
                Ok(pool) => pool,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            match sqlx::query("SELECT count(*) FROM sqlite_master").execute(&pool).await {
                Ok(_) => {
                    tracing::info!(database = %url, "the database file may not be written: opened read-only");
                    return Ok(SqliteStore {
                        pool,
                        url,
                        turn: None,
                        records: RecordQueue::default(),
                        zones: ZonesNearDeadlines::default(),
                    });
                }
                Err(e) => {
                    pool.close().await;
                    last = Some(e);
                }
            }
        }
        Err(StorageError::connect(&url, last.expect("an attempt was made")))
    }

    /// A store on a pool you configured (see [`SqliteStore::connect_options`]). Does not migrate.
    pub fn from_pool(pool: SqlitePool) -> SqliteStore {
        let url = DatabaseUrl::Sqlite(PathBuf::from(pool.connect_options().get_filename()));
        SqliteStore {
            pool,
            url,
            turn: None,
            records: RecordQueue::default(),
            zones: ZonesNearDeadlines::default(),
        }
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
        let report = run_migrations(&MIGRATOR, &self.pool, &self.url).await?;
        self.complete_migrations(&self.url).await?;
        Ok(report)
    }

    /// The embedded migrations.
    pub fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    /// A write transaction that holds the file's write lock from its start.
    async fn write(&self) -> Result<Conn<'_, Sqlite>, RepositoryError> {
        turn::writer(&self.pool, self.turn.as_ref(), Self::BEGIN_WRITE).await
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

/// Whether this process may write the file and create files beside it (the journal), as far
/// as the file system's permissions tell.
fn is_writable(path: &Path) -> bool {
    let file_ok = std::fs::OpenOptions::new().write(true).open(path).is_ok();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let probe = dir.join(format!(".challenge-bot-write-probe-{}", std::process::id()));
    let dir_ok = std::fs::File::create(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    file_ok && dir_ok
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

super::outbox::sql_outbox! {
    store: SqliteStore,
    db: Sqlite,
    conn: SqliteConnection,
    begin: "BEGIN IMMEDIATE",
    // No commit waits for the disk in WAL mode with synchronous = NORMAL.
    lazy: "WITH lazy AS (SELECT 1 AS on_commit) ",
    ids_in: "(SELECT value FROM json_each($2))",
}
