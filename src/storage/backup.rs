//! A consistent copy of the SQLite database while the bot runs, and a restore from one.
//!
//! Copying the file with `cp` is not a backup: in WAL mode the latest commits live in the `-wal`
//! file until a checkpoint, and a page can be copied half-written. `VACUUM INTO` instead reads
//! one snapshot (a read transaction, so writers go on) and writes a compact, self-contained
//! file: it holds every transaction committed before the snapshot, and nothing of any other.
//! The copy is written under a temporary name and renamed at the end, so a crash or a full disk
//! never leaves a file that looks like a finished backup. PostgreSQL has its own tools
//! (`pg_dump`, `pg_restore`), which the CLI names instead.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Row, SqlitePool};

use super::{Access, SqliteStore, StorageError};

/// What a backup or a restore wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopyReport {
    /// The file written.
    pub path: PathBuf,
    pub bytes: u64,
    pub challenges: i64,
    pub participants: i64,
    pub entries: i64,
}

/// Why a backup or a restore did not happen. Nothing was written at `target` in any case.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{} already exists: choose a new file name (a backup never overwrites a file).", .0.display())]
    TargetExists(PathBuf),
    #[error("The folder of {} does not exist.", .0.display())]
    NoFolder(PathBuf),
    #[error("There is no file at {}.", .0.display())]
    NoBackup(PathBuf),
    #[error("{} is not a challenge-bot backup: {reason}", path.display())]
    NotABackup { path: PathBuf, reason: String },
    #[error("The copy of {} was found damaged ({reason}); nothing was kept.", path.display())]
    Damaged { path: PathBuf, reason: String },
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("Could not write {}: {reason}", path.display())]
    Write {
        path: PathBuf,
        reason: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("Could not rename {} to {}: {source}", from.display(), to.display())]
    Rename {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Copies the database at `source` (which must exist) to the new file `target`, while others
/// may be writing to it, and checks the copy.
pub async fn backup_sqlite(source: &Path, target: &Path) -> Result<CopyReport, BackupError> {
    check_target(target)?;
    let store = SqliteStore::open_with(source, Access::Existing).await?;
    let result = copy_into(store.pool(), target).await;
    store.pool().close().await;
    result
}

/// Restores the backup `backup` into the new file `into`, bringing its schema up to date if
/// the backup was made by an older version. `into` must not exist: a restore never replaces a
/// database (move the old one aside first, with the bot stopped).
pub async fn restore_sqlite(backup: &Path, into: &Path) -> Result<CopyReport, BackupError> {
    check_target(into)?;
    if !backup.is_file() {
        return Err(BackupError::NoBackup(backup.to_owned()));
    }
    let options = SqliteConnectOptions::new().filename(backup).read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| not_a_backup(backup, e.to_string()))?;
    let checked = check_backup(&pool, backup).await;
    let copied = match checked {
        Ok(()) => copy_into(&pool, into).await,
        Err(e) => Err(e),
    };
    pool.close().await;
    copied?;
    // An older backup is migrated like any database this version opens.
    let store = SqliteStore::open_with(into, Access::Existing).await?;
    let report = report_of(store.pool(), into).await;
    store.pool().close().await;
    report
}

fn check_target(target: &Path) -> Result<(), BackupError> {
    if target.exists() || wal_of(target).exists() {
        return Err(BackupError::TargetExists(target.to_owned()));
    }
    let folder = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !folder.is_dir() {
        return Err(BackupError::NoFolder(target.to_owned()));
    }
    Ok(())
}

fn wal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// `VACUUM INTO` a temporary file next to `target`, check it, and rename it to `target`.
async fn copy_into(pool: &SqlitePool, target: &Path) -> Result<CopyReport, BackupError> {
    let mut partial = target.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial); // left by an earlier attempt that crashed
    let write_error = |source: sqlx::Error| BackupError::Write {
        path: target.to_owned(),
        reason: source.as_database_error().map_or_else(|| source.to_string(), |e| e.message().to_owned()),
        source,
    };
    sqlx::query("VACUUM INTO ?")
        .bind(partial.to_string_lossy().into_owned())
        .execute(pool)
        .await
        .map_err(write_error)?;
    let checked = async {
        let copy = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(SqliteConnectOptions::new().filename(&partial).read_only(true))
            .await
            .map_err(write_error)?;
        let integrity = integrity(&copy).await;
        copy.close().await;
        match integrity {
            Ok(()) => Ok(()),
            Err(reason) => Err(BackupError::Damaged { path: target.to_owned(), reason }),
        }
    }
    .await;
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    if target.exists() {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::TargetExists(target.to_owned()));
    }
    std::fs::rename(&partial, target).map_err(|source| BackupError::Rename {
        from: partial.clone(),
        to: target.to_owned(),
        source,
    })?;
    let copy = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(target).read_only(true))
        .await
        .map_err(write_error)?;
    let report = report_of(&copy, target).await;
    copy.close().await;
    report
}

/// `PRAGMA integrity_check` and the foreign keys: `Err` with what is wrong.
async fn integrity(pool: &SqlitePool) -> Result<(), String> {
    let rows = sqlx::query("PRAGMA integrity_check").fetch_all(pool).await.map_err(|e| e.to_string())?;
    let problems: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String, _>(0).ok()).collect();
    if problems != ["ok"] {
        return Err(problems.join("; "));
    }
    let broken = sqlx::query("PRAGMA foreign_key_check").fetch_all(pool).await.map_err(|e| e.to_string())?;
    if !broken.is_empty() {
        return Err(format!("{} rows break a foreign key", broken.len()));
    }
    Ok(())
}

/// A backup is a SQLite file with challenge-bot's migrations table and only migrations this
/// version knows (a backup from a newer version would be misread).
async fn check_backup(pool: &SqlitePool, path: &Path) -> Result<(), BackupError> {
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .map_err(|e| not_a_backup(path, describe(&e)))?;
    let known: Vec<i64> = SqliteStore::migrator().iter().map(|m| m.version).collect();
    if versions.is_empty() {
        return Err(not_a_backup(path, "it holds no challenge-bot schema".into()));
    }
    if let Some(newer) = versions.iter().find(|v| !known.contains(v)) {
        return Err(not_a_backup(
            path,
            format!(
                "it was made by a newer version of challenge-bot (migration {newer}); restore it with that version"
            ),
        ));
    }
    integrity(pool).await.map_err(|reason| BackupError::Damaged { path: path.to_owned(), reason })
}

fn not_a_backup(path: &Path, reason: String) -> BackupError {
    BackupError::NotABackup { path: path.to_owned(), reason }
}

fn describe(error: &sqlx::Error) -> String {
    match error.as_database_error() {
        Some(e) if e.message().contains("no such table") => "it holds no challenge-bot schema".into(),
        Some(e) => e.message().to_owned(),
        None => error.to_string(),
    }
}

async fn report_of(pool: &SqlitePool, path: &Path) -> Result<CopyReport, BackupError> {
    let count = |table: &'static str| {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(pool)
    };
    let read_error = |source: sqlx::Error| BackupError::Write {
        path: path.to_owned(),
        reason: "it was written but cannot be read back".into(),
        source,
    };
    Ok(CopyReport {
        path: path.to_owned(),
        bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        challenges: count("challenges").await.map_err(read_error)?,
        participants: count("participants").await.map_err(read_error)?,
        entries: count("progress_entries").await.map_err(read_error)?,
    })
}
