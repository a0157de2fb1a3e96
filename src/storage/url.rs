//! Which database: `DATABASE_URL`, parsed, and shown without its password.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::StorageError;
use crate::text;

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
                if path.contains(['?', '#']) {
                    return Err(StorageError::BadUrl(
                        "SQLite URLs take no options after \"?\" and no \"#\" part: use sqlite://PATH."
                            .into(),
                    ));
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
            }
            _ => Err(StorageError::BadUrl(format!(
                "Unsupported database URL scheme \"{}:\". {ACCEPTED_URLS}",
                text::shown(scheme, 20)
            ))),
        }
    }

    /// The SQLite file, if it is one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::Sqlite(path) => Some(path),
            DatabaseUrl::Postgres(_) => None,
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn sqlite_urls_take_no_fragments_and_echo_no_controls() {
        assert!(bad("sqlite://x.db#frag").contains("no \"#\""));
        let message = bad("\u{1b}[2J://x");
        assert!(!message.contains('\u{1b}') && message.contains("\\e[2J"), "{message}");
    }
}
