//! Test support for the storage layer: fresh, isolated databases that clean up after themselves.
//!
//! Use it from any integration test with `mod storage_support;` and:
//!
//! - [`fresh_sqlite`]`().await -> (SqliteStore, TempDir)`: a migrated store on a new SQLite file in
//!   a new temporary directory, deleted when the `TempDir` drops. Keep both alive for the test.
//! - [`fresh_sqlite_url`]`() -> (DatabaseUrl, TempDir)`: the URL of a SQLite file that does not
//!   exist yet (for running the binary with `DATABASE_URL`, or testing migrations).
//! - [`fresh_postgres`]`().await -> (PostgresStore, PgDatabaseGuard)`: a migrated store on a new
//!   PostgreSQL database with a random name; the guard drops the database when it goes out of scope,
//!   also when the test panics.
//! - [`fresh_postgres_url`]`().await -> (String, PgDatabaseGuard)`: the URL of a new, *empty*
//!   PostgreSQL database (not migrated: the binary migrates at start-up), for end-to-end tests.
//! - [`postgres_admin_url`]`() -> String`: the server used, `TEST_DATABASE_URL` or
//!   [`DEFAULT_TEST_DATABASE_URL`]; the fresh databases are created from a connection to it.
//!
//! The PostgreSQL helpers never skip: when the server cannot be reached they panic with a message
//! saying how to start it, so a test run without PostgreSQL fails. Test databases are named
//! `cbtest_<pid>_<n>_<random>`; databases left behind by a test process that was killed (so its
//! guards never ran) are dropped by the next run against a local server.
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use challenge_bot::storage::{DatabaseUrl, PostgresStore, SqliteStore, redact_postgres_url};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Connection, PgConnection};
use tempfile::TempDir;

/// The PostgreSQL server used when `TEST_DATABASE_URL` is not set.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Connections in each test store's pool: enough for the concurrency tests to contend, few enough
/// that many tests in parallel stay well under the server's `max_connections`.
pub const TEST_POOL_CONNECTIONS: u32 = 5;

/// `TEST_DATABASE_URL`, or [`DEFAULT_TEST_DATABASE_URL`].
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_TEST_DATABASE_URL.to_owned())
}

/// A migrated store on a new SQLite file; the file goes away with the `TempDir`.
pub async fn fresh_sqlite() -> (SqliteStore, TempDir) {
    let (url, dir) = fresh_sqlite_url();
    let DatabaseUrl::Sqlite(path) = &url else { unreachable!() };
    let pool = SqlitePoolOptions::new()
        .max_connections(TEST_POOL_CONNECTIONS)
        .connect_with(SqliteStore::connect_options(path))
        .await
        .expect("open a SQLite file in a temporary directory");
    let store = SqliteStore::from_pool(pool);
    store.migrate().await.expect("migrate a fresh SQLite file");
    (store, dir)
}

/// The URL of a SQLite file that does not exist yet, in a new temporary directory.
pub fn fresh_sqlite_url() -> (DatabaseUrl, TempDir) {
    let dir = tempfile::Builder::new().prefix("challenge-bot-test").tempdir().expect("create a temp dir");
    (DatabaseUrl::Sqlite(dir.path().join("test.db")), dir)
}

/// A migrated store on a new PostgreSQL database, dropped with the guard.
pub async fn fresh_postgres() -> (PostgresStore, PgDatabaseGuard) {
    let guard = PgDatabaseGuard::create().await;
    let pool = PgPoolOptions::new()
        .max_connections(TEST_POOL_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(guard.connect_options())
        .await
        .unwrap_or_else(|e| panic!("connect to the fresh test database {}: {e}", guard.name()));
    let store = PostgresStore::from_pool(pool);
    store.migrate().await.expect("migrate a fresh PostgreSQL database");
    (store, guard)
}

/// The URL of a new, empty PostgreSQL database (not migrated), dropped with the guard.
pub async fn fresh_postgres_url() -> (String, PgDatabaseGuard) {
    let guard = PgDatabaseGuard::create().await;
    (guard.url().to_owned(), guard)
}

/// A PostgreSQL database created for one test; dropping the guard drops the database (forcing
/// out any connection still open), also while a panicking test unwinds.
pub struct PgDatabaseGuard {
    name: String,
    url: String,
    admin_url: String,
}

static SEQUENCE: AtomicU32 = AtomicU32::new(0);
static SWEPT: AtomicBool = AtomicBool::new(false);

impl PgDatabaseGuard {
    /// Creates a database with a fresh random name on the server of [`postgres_admin_url`].
    pub async fn create() -> PgDatabaseGuard {
        let admin_url = postgres_admin_url();
        let mut admin = connect_admin(&admin_url).await;
        if !SWEPT.swap(true, Ordering::SeqCst) {
            sweep_abandoned_databases(&mut admin, &admin_url).await;
        }
        let name = format!(
            "cbtest_{}_{}_{:08x}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::SeqCst),
            rand::random::<u32>()
        );
        // The name is ours (letters, digits, underscores): safe to put in the statement.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("create the test database {name}: {e}"));
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&format!("/{name}"));
        PgDatabaseGuard { name, url: url.to_string(), admin_url }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A `postgres://` URL of the database (with the admin URL's user and password).
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::from_str(&self.url).expect("the test database URL parses")
    }
}

impl Drop for PgDatabaseGuard {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside the test's runtime (where we cannot block on a future) or while
        // unwinding: do the work on a thread of our own, with a runtime of its own.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                drop_database(&mut admin, &name).await?;
                admin.close().await
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("warning: could not drop the test database {}: {e}", self.name),
            Err(_) => eprintln!("warning: dropping the test database {} panicked", self.name),
        }
    }
}

async fn drop_database(admin: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")))
        .execute(admin)
        .await
        .map(|_| ())
}

/// Connects to the admin URL, or fails the test saying how to get a server.
async fn connect_admin(admin_url: &str) -> PgConnection {
    let options = PgConnectOptions::from_str(admin_url).unwrap_or_else(|e| {
        panic!("TEST_DATABASE_URL ({}) is not a PostgreSQL URL: {e}", redact_postgres_url(admin_url))
    });
    let attempt = tokio::time::timeout(Duration::from_secs(15), PgConnection::connect_with(&options)).await;
    match attempt {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => panic!(
            "\n\nThe PostgreSQL tests need a server, and {} cannot be reached: {e}\n\
             Start the local one with:\n    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or set TEST_DATABASE_URL to another server (default {DEFAULT_TEST_DATABASE_URL}).\n",
            redact_postgres_url(admin_url)
        ),
        Err(_) => panic!(
            "\n\nThe PostgreSQL tests need a server, and {} did not answer within 15 s.\n\
             Start the local one with:\n    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n\
             or set TEST_DATABASE_URL to another server (default {DEFAULT_TEST_DATABASE_URL}).\n",
            redact_postgres_url(admin_url)
        ),
    }
}

/// Drops `cbtest_<pid>_…` databases whose test process is gone (killed before its guards ran).
/// Only against a server on this machine, where the pid means something.
async fn sweep_abandoned_databases(admin: &mut PgConnection, admin_url: &str) {
    let local = url::Url::parse(admin_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|host| matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1"));
    if !local || !std::path::Path::new("/proc/self").exists() {
        return;
    }
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT datname::TEXT FROM pg_database WHERE datname LIKE 'cbtest\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    else {
        return;
    };
    for name in names {
        let pid = name.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_none_or(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = drop_database(admin, &name).await;
        }
    }
}
