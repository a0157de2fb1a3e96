//! The repositories on PostgreSQL (`DATABASE_URL=postgres://…`).
//!
//! The repository impls are shared with SQLite (`storage::sql`). Writes that read before they
//! write (progress, goals, undo) lock the participant's row with `SELECT … FOR UPDATE OF p`
//! first: entries of one participant are recorded one at a time, so each tally sees every earlier
//! entry and completion is set exactly once, while other participants are not held up.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection, Postgres};

use super::migrate::{is_behind, run_migrations};
use super::outbox::RecordQueue;
use super::sql::ZonesNearDeadlines;
use super::turn::{self, Conn, TurnCell};
use super::{DatabaseUrl, MigrationReport, StorageError};
use crate::repository::RepositoryError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The newest migration this binary carries.
pub fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The repositories on a PostgreSQL database. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct PostgresStore {
    pool: PgPool,
    url: DatabaseUrl,
    /// Set in the store handed to one bot update: its calls share that update's transaction
    /// (`storage::turn`).
    turn: Option<TurnCell<Postgres>>,
    /// The records of updates that changed nothing, written together (`storage::outbox`).
    records: RecordQueue,
    /// Which zones the challenges near the deadline line have (`storage::sql`).
    zones: ZonesNearDeadlines,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore").field("url", &self.url).field("turn", &self.turn.is_some()).finish()
    }
}

impl PostgresStore {
    /// How a write transaction begins: row locks are taken by the statements themselves.
    pub(crate) const BEGIN_WRITE: &'static str = "BEGIN";

    /// Connections in the pool.
    pub const MAX_CONNECTIONS: u32 = 10;
    /// How long to wait for the server (or a free connection) before reporting it unavailable.
    pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

    /// Connects and applies any missing migrations (only when some are missing, so a role that
    /// may only read can use an up-to-date database).
    pub async fn connect(url: &str) -> Result<PostgresStore, StorageError> {
        let store = PostgresStore::open(url).await?;
        if is_behind(&MIGRATOR, &store.pool, &store.url).await? {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn open(url: &str) -> Result<PostgresStore, StorageError> {
        let db_url = DatabaseUrl::Postgres(url.to_owned());
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StorageError::connect(&db_url, e))?
            .application_name("challenge-bot");
        // One direct attempt first: the pool would keep retrying a refused connection until its
        // timeout and then report only that it timed out.
        let probe = tokio::time::timeout(Self::ACQUIRE_TIMEOUT, PgConnection::connect_with(&options))
            .await
            .unwrap_or(Err(sqlx::Error::PoolTimedOut))
            .map_err(|e| StorageError::connect(&db_url, e))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(Self::MAX_CONNECTIONS)
            .acquire_timeout(Self::ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| StorageError::connect(&db_url, e))?;
        Ok(PostgresStore {
            pool,
            url: db_url,
            turn: None,
            records: RecordQueue::default(),
            zones: ZonesNearDeadlines::default(),
        })
    }

    /// A store on a pool you configured. Does not migrate.
    pub fn from_pool(pool: PgPool) -> PostgresStore {
        let options = pool.connect_options();
        let database = options.get_database().unwrap_or(options.get_username());
        let url = DatabaseUrl::Postgres(format!(
            "postgres://{}@{}:{}/{}",
            options.get_username(),
            options.get_host(),
            options.get_port(),
            database
        ));
        PostgresStore {
            pool,
            url,
            turn: None,
            records: RecordQueue::default(),
            zones: ZonesNearDeadlines::default(),
        }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The database, as a URL (show it with `Display`, which hides the password).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Applies the migrations the database does not have yet (under an advisory lock, so two
    /// processes starting at once do not both apply them).
    pub async fn migrate(&self) -> Result<MigrationReport, StorageError> {
        let report = run_migrations(&MIGRATOR, &self.pool, &self.url).await?;
        self.complete_migrations(&self.url).await?;
        Ok(report)
    }

    /// The embedded migrations.
    pub fn migrator() -> &'static sqlx::migrate::Migrator {
        &MIGRATOR
    }

    /// A write transaction (the turn's, in a bot update).
    async fn write(&self) -> Result<Conn<'_, Postgres>, RepositoryError> {
        turn::writer(&self.pool, self.turn.as_ref(), Self::BEGIN_WRITE).await
    }

    /// A connection to read with (the turn's transaction once it wrote).
    async fn read(&self) -> Result<Conn<'_, Postgres>, RepositoryError> {
        turn::reader(&self.pool, self.turn.as_ref()).await
    }

    /// This store for one bot update: its calls share one transaction, begun at the first write.
    pub(crate) fn for_turn(&self) -> PostgresStore {
        PostgresStore { turn: Some(turn::new_cell()), ..self.clone() }
    }
}

super::sql::sql_repositories! {
    store: PostgresStore,
    db: Postgres,
    conn: PgConnection,
    // A writer locks the participant's row: other participants' writes go on meanwhile.
    lock_participant: " FOR UPDATE OF p",
    snapshot: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
}

super::outbox::sql_outbox! {
    store: PostgresStore,
    db: Postgres,
    conn: PgConnection,
    begin: "BEGIN",
    // Asynchronous commit for this statement's transaction only.
    lazy: "WITH lazy AS (SELECT set_config('synchronous_commit', 'off', true) AS on_commit) ",
    ids_in: "(SELECT jsonb_array_elements_text($2::jsonb)::bigint)",
}
