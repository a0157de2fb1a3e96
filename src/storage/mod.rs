//! Where things are kept: the database behind the repository traits (PostgreSQL, or an embedded
//! SQLite file by default) and the in-process cache of conversation state.
//!
//! [`DatabaseUrl`] says which database (`DATABASE_URL`); [`connect`] opens it, applies the
//! migrations that are missing and hands back one [`Store`] implementing every repository trait.
//! [`SqliteStore`] and [`PostgresStore`] are the two implementations; each keeps its own set of
//! migrations (`migrations/sqlite`, `migrations/postgres`) embedded in the binary.

pub mod localcache;
pub mod memory;
pub mod postgres;
mod sql;
pub mod sqlite;
mod turn;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeId, ChallengeName, Description, Unit};
use crate::goal::{Goal, GoalKind, Participant, Standing};
use crate::progress::{IdempotencyKey, ProgressDate, ProgressEntry, Tally};
use crate::repository::{RepositoryError, Store};
use crate::user::{DisplayName, UserId};

/// The SQLite file used when no `DATABASE_URL` is given, in the working directory.
pub const DEFAULT_SQLITE_FILE: &str = "challenge-bot.db";

/// Which database to use, as given by `DATABASE_URL`.
///
/// `Display` and `Debug` never show a password: they print `***` in its place.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file (relative to the working directory, or absolute); created if missing.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl DatabaseUrl {
    /// Parses `postgres://…` / `postgresql://…` and `sqlite://PATH` / `sqlite:PATH` (a relative or
    /// absolute path: `sqlite:///var/lib/bot.db` is absolute). Anything else is refused with a
    /// message saying what is accepted.
    pub fn parse(input: &str) -> Result<DatabaseUrl, StorageError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(StorageError::BadUrl(format!("The database URL is empty. {ACCEPTED_URLS}")));
        }
        let Some((scheme, rest)) = text.split_once(':') else {
            return Err(StorageError::BadUrl(format!("The database URL is not a URL. {ACCEPTED_URLS}")));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => {
                if !rest.starts_with("//") {
                    return Err(StorageError::BadUrl(format!(
                        "The PostgreSQL URL must start with {scheme}://, for example \
                         postgres://USER:PASSWORD@HOST:5432/DATABASE."
                    )));
                }
                if let Err(e) = sqlx::postgres::PgConnectOptions::from_str(text) {
                    return Err(StorageError::BadUrl(format!(
                        "The PostgreSQL URL {} is not valid: {e}",
                        redact_postgres_url(text)
                    )));
                }
                Ok(DatabaseUrl::Postgres(text.to_owned()))
            }
            "sqlite" => {
                let path = rest.strip_prefix("//").unwrap_or(rest);
                if path.is_empty() {
                    return Err(StorageError::BadUrl(
                        "The SQLite URL names no file: use sqlite://PATH, for example sqlite://challenge-bot.db."
                            .into(),
                    ));
                }
                if path.starts_with(":memory:") || path.contains("mode=memory") {
                    return Err(StorageError::BadUrl(
                        "In-memory SQLite databases are not supported (everything would be lost on exit): \
                         use sqlite://PATH with a file."
                            .into(),
                    ));
                }
                if path.contains('?') {
                    return Err(StorageError::BadUrl(
                        "SQLite URLs take no options after \"?\": use sqlite://PATH.".into(),
                    ));
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
            }
            _ => Err(StorageError::BadUrl(format!(
                "Unsupported database URL scheme \"{}:\". {ACCEPTED_URLS}",
                scheme.chars().take(20).collect::<String>()
            ))),
        }
    }

    /// "SQLite" or "PostgreSQL".
    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "SQLite",
            DatabaseUrl::Postgres(_) => "PostgreSQL",
        }
    }
}

const ACCEPTED_URLS: &str = "Use postgres://USER:PASSWORD@HOST:PORT/DATABASE (or postgresql://) for \
                             PostgreSQL, or sqlite://PATH for a SQLite file.";

impl Default for DatabaseUrl {
    /// The SQLite file [`DEFAULT_SQLITE_FILE`] in the working directory.
    fn default() -> Self {
        DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_SQLITE_FILE))
    }
}

impl FromStr for DatabaseUrl {
    type Err = StorageError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatabaseUrl::parse(s)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => f.write_str(&redact_postgres_url(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            DatabaseUrl::Postgres(_) => f.debug_tuple("Postgres").field(&self.to_string()).finish(),
        }
    }
}

/// A PostgreSQL URL with its password (in the user info or a `password=` parameter) shown as `***`.
pub fn redact_postgres_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        // Not parseable: we cannot tell where a password would be, so show only the scheme.
        let scheme = url.split_once(':').map_or("postgres", |(s, _)| s);
        return format!("{scheme}://(unparsable URL)");
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let has_secret = |k: &str| k.eq_ignore_ascii_case("password") || k.eq_ignore_ascii_case("sslpassword");
    if parsed.query_pairs().any(|(k, _)| has_secret(&k)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let v = if has_secret(&k) { "***".to_owned() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// Why the database could not be opened or prepared. The `Display` text is fit to show a user
/// (it names the database, never its password).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// `DATABASE_URL` is not one we accept; the message says what is.
    #[error("{0}")]
    BadUrl(String),
    #[error("Cannot connect to the {backend} database at {url}: {reason}")]
    Connect { backend: &'static str, url: String, reason: String },
    #[error("Could not migrate the {backend} database at {url}: {reason}")]
    Migrate { backend: &'static str, url: String, reason: String },
}

impl StorageError {
    fn connect(url: &DatabaseUrl, error: &sqlx::Error) -> StorageError {
        StorageError::Connect {
            backend: url.backend(),
            url: url.to_string(),
            reason: describe_connect_error(error),
        }
    }

    fn migrate(url: &DatabaseUrl, error: &sqlx::migrate::MigrateError) -> StorageError {
        let reason = match error {
            sqlx::migrate::MigrateError::Execute(e) if is_unavailable(e) => describe_connect_error(e),
            sqlx::migrate::MigrateError::VersionMissing(v) => format!(
                "the database was migrated by a newer version of challenge-bot (migration {v} is unknown \
                 to this one); upgrade challenge-bot"
            ),
            other => other.to_string(),
        };
        StorageError::Migrate { backend: url.backend(), url: url.to_string(), reason }
    }
}

fn describe_connect_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the connection was refused (is the server running?)".into()
        }
        sqlx::Error::Io(e) => e.to_string(),
        sqlx::Error::PoolTimedOut => "timed out waiting for the database".into(),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("3D000") => format!("{} (create it first, e.g. with createdb)", db.message()),
            Some("28P01" | "28000") => format!("{} (check the user name and password)", db.message()),
            // SQLITE_CANTOPEN and its extended codes.
            Some(code) if code.parse::<i32>().is_ok_and(|c| c & 0xff == 14) => {
                format!("{} (does its directory exist, and may we write there?)", db.message())
            }
            _ => db.message().to_owned(),
        },
        other => other.to_string(),
    }
}

/// What `migrate` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MigrationReport {
    /// The database, as shown to people (no password).
    pub database: String,
    /// The migrations applied now, oldest first (empty if the database was up to date).
    pub applied: Vec<AppliedMigration>,
    /// The latest migration the database now has.
    pub version: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppliedMigration {
    pub version: i64,
    pub description: String,
}

impl fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.applied.is_empty() {
            write!(f, "The database at {} is up to date", self.database)?;
        } else {
            let names: Vec<String> =
                self.applied.iter().map(|m| format!("{:04} {}", m.version, m.description)).collect();
            let s = if names.len() == 1 { "" } else { "s" };
            write!(f, "Applied {} migration{s} to {}: {}", names.len(), self.database, names.join(", "))?;
        }
        match self.version {
            Some(v) => write!(f, " (schema version {v})."),
            None => write!(f, "."),
        }
    }
}

/// Opens the database, applies any missing migrations and returns the store.
pub async fn connect(url: &DatabaseUrl) -> Result<Arc<dyn Store>, StorageError> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::connect(path).await?),
        DatabaseUrl::Postgres(pg) => Arc::new(PostgresStore::connect(pg).await?),
    })
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

/// Runs `migrator` on `pool`, reporting which migrations were new.
///
/// Several processes may open a new database at once (the bot and a CLI command). On PostgreSQL
/// an advisory lock makes the others wait while one migrates. SQLite has no such lock: a process
/// that lost the race fails on a table that now exists, so a failed attempt is retried a few
/// times (it then finds the migrations applied, and checks their checksums).
async fn run_migrations<DB>(
    migrator: &sqlx::migrate::Migrator,
    pool: &sqlx::Pool<DB>,
    url: &DatabaseUrl,
) -> Result<MigrationReport, StorageError>
where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
{
    const ATTEMPTS: u32 = 5;
    let mut attempt = 1;
    let before = loop {
        let mut conn = pool.acquire().await.map_err(|e| StorageError::connect(url, &e))?;
        match migrate_locked(migrator, &mut *conn).await {
            Ok(before) => break before,
            Err(e) => {
                // The connection may still hold the migration lock: do not give it back.
                conn.close_on_drop();
                let retry = matches!(
                    e,
                    sqlx::migrate::MigrateError::Execute(_)
                        | sqlx::migrate::MigrateError::ExecuteMigration(..)
                );
                if !retry || attempt == ATTEMPTS {
                    return Err(StorageError::migrate(url, &e));
                }
                tracing::debug!(database = %url, attempt, error = %e, "migration attempt failed; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
        }
    };
    let ups = || migrator.iter().filter(|m| m.migration_type.is_up_migration());
    let applied: Vec<AppliedMigration> = ups()
        .filter(|m| !before.contains(&m.version))
        .map(|m| AppliedMigration { version: m.version, description: m.description.to_string() })
        .collect();
    for m in &applied {
        tracing::info!(database = %url, version = m.version, description = %m.description, "applied migration");
    }
    Ok(MigrationReport {
        database: url.to_string(),
        applied,
        version: ups().map(|m| m.version).chain(before.iter().copied()).max(),
    })
}

/// Under the migration lock (PostgreSQL's advisory lock, which the migrator takes again: it is
/// reentrant), reads which migrations were applied and applies the rest. Returns the versions
/// that were applied before.
async fn migrate_locked<C>(
    migrator: &sqlx::migrate::Migrator,
    conn: &mut C,
) -> Result<Vec<i64>, sqlx::migrate::MigrateError>
where
    C: sqlx::migrate::Migrate,
{
    conn.lock().await?;
    conn.ensure_migrations_table(&migrator.table_name).await?;
    let before: Vec<i64> =
        conn.list_applied_migrations(&migrator.table_name).await?.into_iter().map(|m| m.version).collect();
    // `run_direct` is `run` on a connection we already hold (`run` itself needs bounds that make
    // this future impossible to prove `Send`).
    migrator.run_direct(None, conn, false).await?;
    conn.unlock().await?;
    Ok(before)
}

// ---- What both SQL stores share: rows as read, conversions and error mapping. ----

/// Whether a database error means "not reachable right now" rather than "refused".
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // A server that is starting or stopping can cut a connection's set-up (TLS negotiation,
        // start-up packets) short; sqlx reports that as a protocol error.
        sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // PostgreSQL: connection exceptions, shutting down, too many connections, not in a
            // state to serve (55000, seen while a server is recovering), serialization failure
            // and deadlock (the transaction was rolled back; running it again is the cure).
            Some(code) if code.starts_with("08") => true,
            Some("57P01" | "57P02" | "57P03" | "53300" | "55000" | "40001" | "40P01") => true,
            // SQLite: BUSY (the busy timeout ran out), LOCKED, IOERR, CANTOPEN, FULL.
            Some(code) => code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14)),
            None => false,
        },
        _ => false,
    }
}

/// The generic mapping: unreachable → `Unavailable`, anything else → `Backend`. Call sites map
/// the constraint violations that mean something (a unique participant → `AlreadyJoined`).
fn db_error(error: sqlx::Error) -> RepositoryError {
    if is_unavailable(&error) {
        RepositoryError::Unavailable(error.to_string())
    } else {
        RepositoryError::Backend(Box::new(error))
    }
}

fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A stored value that the domain refuses: the schema let through something it should not have.
fn corrupt(what: &str, detail: impl fmt::Display) -> RepositoryError {
    RepositoryError::Backend(format!("stored {what} is invalid: {detail}").into())
}

fn goal_kind(stored: &str) -> Result<GoalKind, RepositoryError> {
    GoalKind::ALL.into_iter().find(|k| k.as_str() == stored).ok_or_else(|| corrupt("goal kind", stored))
}

/// `Page::ALL` asks for `u32::MAX` rows: fine as an `i64` for `LIMIT`.
fn limit_offset(page: crate::repository::Page) -> (i64, i64) {
    (i64::from(page.limit), i64::from(page.offset))
}

/// Whether a participant's goal holds for a tally.
fn goal_is_met(kind: GoalKind, goal_hundredths: i64, tally: &Tally) -> bool {
    Goal::from_stored(kind, Amount::from_hundredths(goal_hundredths)).is_met(tally)
}

#[derive(sqlx::FromRow)]
struct ChallengeRow {
    id: i64,
    name: String,
    description: String,
    creator_id: i64,
    created_at: DateTime<Utc>,
    start_date: NaiveDate,
    deadline: NaiveDate,
    unit: Option<String>,
    goal_kind: String,
    default_goal_hundredths: i64,
}

impl TryFrom<ChallengeRow> for Challenge {
    type Error = RepositoryError;
    fn try_from(row: ChallengeRow) -> Result<Challenge, RepositoryError> {
        Ok(Challenge {
            id: ChallengeId(row.id),
            name: ChallengeName::parse(&row.name).map_err(|e| corrupt("challenge name", e))?,
            description: Description::parse(&row.description).map_err(|e| corrupt("description", e))?,
            creator: UserId(row.creator_id),
            created_at: row.created_at,
            start_date: row.start_date,
            deadline: row.deadline,
            unit: row.unit.as_deref().map(Unit::parse).transpose().map_err(|e| corrupt("unit", e))?,
            goal_kind: goal_kind(&row.goal_kind)?,
            default_goal: Amount::from_hundredths(row.default_goal_hundredths),
        })
    }
}

#[derive(sqlx::FromRow)]
struct ParticipantRow {
    challenge_id: i64,
    user_id: i64,
    goal_hundredths: i64,
    joined_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl From<ParticipantRow> for Participant {
    fn from(row: ParticipantRow) -> Participant {
        Participant {
            challenge: ChallengeId(row.challenge_id),
            user: UserId(row.user_id),
            goal: Amount::from_hundredths(row.goal_hundredths),
            joined_at: row.joined_at,
            completed_at: row.completed_at,
        }
    }
}

/// A participant row locked for an update, with the kind of goal its challenge has.
#[derive(sqlx::FromRow)]
struct LockedParticipant {
    goal_hundredths: i64,
    completed_at: Option<DateTime<Utc>>,
    goal_kind: String,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    challenge_id: i64,
    user_id: i64,
    value_hundredths: Option<i64>,
    progress_date: NaiveDate,
    recorded_at: DateTime<Utc>,
    idempotency_key: Option<String>,
}

impl TryFrom<EntryRow> for ProgressEntry {
    type Error = RepositoryError;
    fn try_from(row: EntryRow) -> Result<ProgressEntry, RepositoryError> {
        Ok(ProgressEntry {
            id: row.id,
            challenge: ChallengeId(row.challenge_id),
            user: UserId(row.user_id),
            value: row.value_hundredths.map(Amount::from_hundredths),
            date: ProgressDate::from_stored(row.progress_date),
            recorded_at: row.recorded_at,
            idempotency_key: row
                .idempotency_key
                .as_deref()
                .map(IdempotencyKey::parse)
                .transpose()
                .map_err(|e| corrupt("idempotency key", e))?,
        })
    }
}

/// What the tally queries select: `total`, `latest`, `days`, `entries`, `last_date`. The default
/// is the tally of someone with no entries (or no participant row).
#[derive(sqlx::FromRow, Default)]
struct TallyRow {
    total: i64,
    latest: Option<i64>,
    days: i64,
    entries: i64,
    last_date: Option<NaiveDate>,
}

impl From<TallyRow> for Tally {
    fn from(row: TallyRow) -> Tally {
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Tally {
            total: Amount::from_hundredths(row.total),
            latest: row.latest.map(Amount::from_hundredths),
            days: count(row.days),
            entries: count(row.entries),
            last_date: row.last_date,
        }
    }
}

#[derive(sqlx::FromRow)]
struct StandingRow {
    #[sqlx(flatten)]
    participant: ParticipantRow,
    display_name: Option<String>,
    #[sqlx(flatten)]
    tally: TallyRow,
}

impl From<StandingRow> for Standing {
    fn from(row: StandingRow) -> Standing {
        let user = UserId(row.participant.user_id);
        Standing {
            participant: row.participant.into(),
            display_name: row.display_name.map(|name| DisplayName::sanitize(&name, user)),
            tally: row.tally.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database error carrying only a SQLSTATE (or SQLite result code).
    #[derive(Debug)]
    struct Coded(&'static str);

    impl fmt::Display for Coded {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "error {}", self.0)
        }
    }

    impl std::error::Error for Coded {}

    impl sqlx::error::DatabaseError for Coded {
        fn message(&self) -> &str {
            self.0
        }
        fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
            Some(self.0.into())
        }
        fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> sqlx::error::ErrorKind {
            sqlx::error::ErrorKind::Other
        }
    }

    #[test]
    fn unreachable_or_restarting_databases_are_unavailable_and_refusals_are_not() {
        let coded = |code| sqlx::Error::Database(Box::new(Coded(code)));
        // Connection failures, a server shutting down or recovering, too many connections,
        // serialization failures and deadlocks, SQLite's busy and I/O errors.
        for code in ["08006", "57P01", "57P03", "53300", "55000", "40001", "40P01", "5", "517", "10", "14"] {
            assert!(is_unavailable(&coded(code)), "{code} is worth retrying");
        }
        assert!(is_unavailable(&sqlx::Error::Protocol("connection set-up cut short".into())));
        assert!(is_unavailable(&sqlx::Error::PoolTimedOut));
        // Constraint violations, syntax errors, a missing table: retrying changes nothing.
        for code in ["23505", "23503", "42601", "42P01", "19", "1"] {
            assert!(!is_unavailable(&coded(code)), "{code} is not worth retrying");
        }
        assert!(matches!(db_error(coded("55000")), RepositoryError::Unavailable(_)));
        assert!(matches!(db_error(coded("23505")), RepositoryError::Backend(_)));
    }

    fn bad(input: &str) -> String {
        match DatabaseUrl::parse(input) {
            Err(StorageError::BadUrl(message)) => message,
            other => panic!("{input:?} should be refused, got {other:?}"),
        }
    }

    #[test]
    fn parses_postgres_urls() {
        for url in ["postgres://bot@localhost/bot", "postgresql://bot:pw@db.example:6543/bot?sslmode=require"]
        {
            assert_eq!(DatabaseUrl::parse(url).unwrap(), DatabaseUrl::Postgres(url.to_owned()));
        }
        assert_eq!(
            DatabaseUrl::parse("  postgres://u@h/d \n").unwrap(),
            DatabaseUrl::Postgres("postgres://u@h/d".into()),
            "surrounding blanks are ignored"
        );
        assert_eq!(DatabaseUrl::parse("postgres://u@h/d").unwrap().backend(), "PostgreSQL");
        assert!(bad("postgres:u@h/d").contains("postgres://"));
        assert!(bad("postgres://u@h:notaport/d").contains("not valid"));
    }

    #[test]
    fn parses_sqlite_urls_relative_and_absolute() {
        let sqlite = |p: &str| DatabaseUrl::Sqlite(PathBuf::from(p));
        assert_eq!(DatabaseUrl::parse("sqlite://data/bot.db").unwrap(), sqlite("data/bot.db"));
        assert_eq!(DatabaseUrl::parse("sqlite:bot.db").unwrap(), sqlite("bot.db"));
        assert_eq!(DatabaseUrl::parse("sqlite:///var/lib/bot.db").unwrap(), sqlite("/var/lib/bot.db"));
        assert_eq!(DatabaseUrl::parse("SQLITE://bot.db").unwrap(), sqlite("bot.db"));
        assert_eq!(DatabaseUrl::default(), sqlite("challenge-bot.db"));
        assert_eq!(DatabaseUrl::default().to_string(), "sqlite://challenge-bot.db");
        assert_eq!("sqlite://x.db".parse::<DatabaseUrl>().unwrap(), sqlite("x.db"));
        assert!(bad("sqlite://").contains("names no file"));
        assert!(bad("sqlite::memory:").contains("In-memory"));
        assert!(bad("sqlite://bot.db?mode=rwc").contains("no options"));
    }

    #[test]
    fn refuses_everything_else_without_echoing_it() {
        let message = bad("mysql://root:hunter2@localhost/db");
        assert!(message.contains("\"mysql:\"") && message.contains("sqlite://PATH"), "{message}");
        assert!(!message.contains("hunter2"));
        assert!(bad("").contains("empty"));
        let message = bad("just-a-password");
        assert!(message.contains("not a URL") && !message.contains("just-a-password"), "{message}");
        assert!(bad("http://example.com").contains("Unsupported"));
    }

    #[test]
    fn display_and_debug_never_show_the_password() {
        let url = DatabaseUrl::parse("postgres://bot:s3cret@db.example:5432/bot").unwrap();
        assert_eq!(url.to_string(), "postgres://bot:***@db.example:5432/bot");
        assert!(!format!("{url:?}").contains("s3cret"));
        let url =
            DatabaseUrl::parse("postgres://bot@db.example/bot?password=s3cret&sslmode=require").unwrap();
        assert_eq!(url.to_string(), "postgres://bot@db.example/bot?password=***&sslmode=require");
        let url = DatabaseUrl::parse("postgres://bot@db.example/bot").unwrap();
        assert_eq!(url.to_string(), "postgres://bot@db.example/bot", "nothing to hide");
    }

    #[test]
    fn migration_reports_read_well() {
        let mut report = MigrationReport {
            database: "sqlite://bot.db".into(),
            applied: vec![AppliedMigration { version: 1, description: "init".into() }],
            version: Some(1),
        };
        assert_eq!(
            report.to_string(),
            "Applied 1 migration to sqlite://bot.db: 0001 init (schema version 1)."
        );
        report.applied.clear();
        assert_eq!(report.to_string(), "The database at sqlite://bot.db is up to date (schema version 1).");
    }
}
