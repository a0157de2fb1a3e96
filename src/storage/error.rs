//! How the databases fail, in words people can act on: opening and migrating ([`StorageError`]),
//! and each statement ([`db_error`] maps sqlx's errors onto [`RepositoryError`], keeping the
//! original as the source).

use std::fmt;

use super::DatabaseUrl;
use crate::repository::RepositoryError;

/// Why the database could not be opened or prepared. The `Display` text is fit to show a user
/// (it names the database, never its password).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// `DATABASE_URL` is not one we accept; the message says what is.
    #[error("{0}")]
    BadUrl(String),
    #[error("Cannot connect to the {backend} database at {url}: {reason}")]
    Connect {
        backend: &'static str,
        url: String,
        reason: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("Could not migrate the {backend} database at {url}: {reason}")]
    Migrate {
        backend: &'static str,
        url: String,
        reason: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// A command that only uses existing data found no SQLite file (and created none).
    #[error(
        "There is no database at {}: nothing has been created yet (a challenge-bot command that creates \
         something, such as `challenge create`, makes it).",
        path.display()
    )]
    Missing { path: std::path::PathBuf },
    /// The database may only be read, and it needs migrating first.
    #[error(
        "The {backend} database at {url} was made by an older version of challenge-bot and must be migrated, \
         but it is read-only: run `challenge-bot migrate` where it can be written."
    )]
    ReadOnlyNeedsMigration { backend: &'static str, url: String },
}

impl StorageError {
    pub(crate) fn connect(url: &DatabaseUrl, error: sqlx::Error) -> StorageError {
        StorageError::Connect {
            backend: url.backend(),
            url: url.to_string(),
            reason: describe_connect_error(&error),
            source: error,
        }
    }

    pub(crate) fn migrate(url: &DatabaseUrl, error: sqlx::migrate::MigrateError) -> StorageError {
        let reason = match &error {
            sqlx::migrate::MigrateError::Execute(e) if is_unavailable(e) => describe_connect_error(e),
            sqlx::migrate::MigrateError::VersionMissing(v) => format!(
                "the database was migrated by a newer version of challenge-bot (migration {v} is unknown \
                 to this one); upgrade challenge-bot"
            ),
            other => other.to_string(),
        };
        StorageError::Migrate { backend: url.backend(), url: url.to_string(), reason, source: error }
    }
}

/// A database error in words (connection problems explained).
pub(crate) fn describe(error: &sqlx::Error) -> String {
    describe_connect_error(error)
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

/// Whether a database error means "not reachable right now" rather than "refused".
pub(crate) fn is_unavailable(error: &sqlx::Error) -> bool {
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

/// A database error's code: PostgreSQL's SQLSTATE, or SQLite's (extended) result code.
fn code(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// The database may not be written: SQLite's READONLY (and its extended codes), PostgreSQL's
/// read-only transaction (a standby, or `default_transaction_read_only`).
pub(crate) fn is_read_only(error: &sqlx::Error) -> bool {
    match code(error).as_deref() {
        Some("25006") => true,
        Some(c) => c.parse::<i32>().is_ok_and(|c| c & 0xff == 8),
        None => false,
    }
}

/// A value the schema refuses (a CHECK or NOT NULL constraint, a value out of range): the same
/// change will be refused again.
fn is_refusal(error: &sqlx::Error) -> bool {
    match code(error).as_deref() {
        Some("23514" | "23502") => true,
        Some(c) if c.len() == 5 && c.starts_with("22") => true,
        // SQLITE_CONSTRAINT_CHECK, SQLITE_CONSTRAINT_NOTNULL.
        Some("275" | "1299") => true,
        _ => false,
    }
}

/// The generic mapping: unreachable → `Unavailable`, read-only → `ReadOnly`, a refused value →
/// `Refused`, anything else → `Backend`. Call sites map the constraint violations that mean
/// something (a unique participant → `AlreadyJoined`).
pub(crate) fn db_error(error: sqlx::Error) -> RepositoryError {
    if is_unavailable(&error) {
        RepositoryError::Unavailable(Box::new(error))
    } else if is_read_only(&error) {
        RepositoryError::ReadOnly(Box::new(error))
    } else if is_refusal(&error) {
        RepositoryError::Refused(Box::new(error))
    } else {
        RepositoryError::Backend(Box::new(error))
    }
}

pub(crate) fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_foreign_key_violation())
}

pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A stored value that the domain refuses: the schema let through something it should not have.
pub(crate) fn corrupt(what: &str, detail: impl fmt::Display) -> RepositoryError {
    RepositoryError::backend(&format!("stored {what} is invalid: {detail}"))
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

    #[test]
    fn read_only_databases_and_refused_values_are_told_apart() {
        let coded = |code| sqlx::Error::Database(Box::new(Coded(code)));
        // SQLITE_READONLY and SQLITE_READONLY_DBMOVED; PostgreSQL's read-only transaction.
        for code in ["8", "1032", "25006"] {
            assert!(matches!(db_error(coded(code)), RepositoryError::ReadOnly(_)), "{code}");
        }
        // SQLITE_CONSTRAINT_CHECK; PostgreSQL's check violation and datetime overflow.
        for code in ["275", "23514", "22008"] {
            assert!(matches!(db_error(coded(code)), RepositoryError::Refused(_)), "{code}");
        }
        // A trigger's RAISE (SQLite) or RAISE EXCEPTION (PostgreSQL): a failure, not a refusal.
        for code in ["1811", "P0001"] {
            assert!(matches!(db_error(coded(code)), RepositoryError::Backend(_)), "{code}");
        }
    }
}
