//! Migrations: each database's schema is embedded in the binary (`migrations/{sqlite,postgres}`)
//! and brought up to date when the database is opened, or by `challenge-bot migrate`.

use std::fmt;

use serde::Serialize;

use super::{DatabaseUrl, StorageError};

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

/// Runs `migrator` on `pool`, reporting which migrations were new.
///
/// Several processes may open a new database at once (the bot and a CLI command). On PostgreSQL
/// an advisory lock makes the others wait while one migrates. SQLite has no such lock: a process
/// that lost the race fails on a table that now exists, so a failed attempt is retried a few
/// times (it then finds the migrations applied, and checks their checksums).
pub(crate) async fn run_migrations<DB>(
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
        let mut conn = pool.acquire().await.map_err(|e| StorageError::connect(url, e))?;
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
                    return Err(StorageError::migrate(url, e));
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

/// Whether the database lacks some of `migrator`'s migrations. Only reads (a read-only
/// database can answer it); a database without the bookkeeping table lacks all of them.
pub(crate) async fn is_behind<DB>(
    migrator: &sqlx::migrate::Migrator,
    pool: &sqlx::Pool<DB>,
    url: &DatabaseUrl,
) -> Result<bool, StorageError>
where
    DB: sqlx::Database,
    DB::Connection: sqlx::migrate::Migrate,
{
    use sqlx::migrate::Migrate;
    let mut conn = pool.acquire().await.map_err(|e| StorageError::connect(url, e))?;
    let applied = match conn.list_applied_migrations(&migrator.table_name).await {
        Ok(applied) => applied,
        Err(sqlx::migrate::MigrateError::Execute(sqlx::Error::Database(_))) => return Ok(true),
        Err(e) => return Err(StorageError::migrate(url, e)),
    };
    Ok(migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .any(|m| !applied.iter().any(|a| a.version == m.version)))
}

#[cfg(test)]
mod tests {
    use super::*;

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
