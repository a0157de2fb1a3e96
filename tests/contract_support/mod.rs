//! The harness of the repository contract tests: one database per test on each backend, the
//! `contract_tests!` macro that runs a test function against each, and builders for the values
//! the tests store. Used with `mod storage_support; mod contract_support;` and
//! `use contract_support::*;`.
#![allow(dead_code)]

use std::sync::Arc;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{Challenge, ChallengeName, Deadline, Description, NewChallenge};
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::progress::{
    IdempotencyKey, NewProgress, ProgressDate, ProgressEntry, ProgressValue, Recorded, Tally,
};
use challenge_bot::repository::Store;
use challenge_bot::storage::DatabaseUrl;
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::user::UserId;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use super::storage_support;

// ---- The harness: one database per test, on either backend. ----

/// What a contract test gets: the store, and for the SQL stores raw SQL access to its database
/// (for schema checks) and its URL (to connect again).
pub struct Db {
    pub store: Arc<dyn Store>,
    pub raw: Option<Raw>,
    pub url: Option<DatabaseUrl>,
}

impl Db {
    /// Raw access, for the tests that run only on the SQL stores.
    pub fn raw(&self) -> &Raw {
        self.raw.as_ref().expect("a SQL store")
    }

    pub fn url(&self) -> &DatabaseUrl {
        self.url.as_ref().expect("a SQL store")
    }
}

pub enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    /// Runs a statement written in the SQL both databases speak.
    pub async fn execute(&self, sql: String) -> Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql);
        match self {
            Raw::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()),
            Raw::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|r| r.rows_affected()),
        }
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Raw::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .expect("count query")
    }

    pub async fn close(&self) {
        match self {
            Raw::Sqlite(pool) => pool.close().await,
            Raw::Postgres(pool) => pool.close().await,
        }
    }
}

pub async fn memory_db() -> (Db, ()) {
    (Db { store: Arc::new(MemoryStore::new()), raw: None, url: None }, ())
}

pub async fn sqlite_db() -> (Db, tempfile::TempDir) {
    let (store, dir) = storage_support::fresh_sqlite().await;
    let raw = Raw::Sqlite(store.pool().clone());
    let url = store.url().clone();
    (Db { store: Arc::new(store), raw: Some(raw), url: Some(url) }, dir)
}

pub async fn postgres_db() -> (Db, storage_support::PgDatabaseGuard) {
    let (store, guard) = storage_support::fresh_postgres().await;
    let raw = Raw::Postgres(store.pool().clone());
    let url = DatabaseUrl::parse(guard.url()).expect("the test database URL parses");
    (Db { store: Arc::new(store), raw: Some(raw), url: Some(url) }, guard)
}

/// Expands each `async fn case(db: Db)` of `all` into `memory::case`, `sqlite::case` and
/// `postgres::case` tests, and each of `sql` into the last two.
macro_rules! contract_tests {
    (all: [$($all:ident),* $(,)?], sql: [$($sql:ident),* $(,)?]) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $all() {
                    let (db, _keep) = super::memory_db().await;
                    super::$all(db).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $all() {
                    let (db, _dir) = super::sqlite_db().await;
                    super::$all(db).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $sql() {
                    let (db, _dir) = super::sqlite_db().await;
                    super::$sql(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $all() {
                    let (db, _guard) = super::postgres_db().await;
                    super::$all(db).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $sql() {
                    let (db, _guard) = super::postgres_db().await;
                    super::$sql(db).await;
                }
            )*
        }
    };
}
pub(crate) use contract_tests;

// ---- Builders. ----

pub const ANN: UserId = UserId(101);
pub const BOB: UserId = UserId(202);
pub const CAT: UserId = UserId(303);

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// 2026-03-01 10:00 UTC plus `minutes` (with microseconds, which both databases keep).
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap()
        + Duration::minutes(minutes)
        + Duration::microseconds(123_456)
}

pub fn amount(s: &str) -> Amount {
    Amount::parse_positive(s).unwrap()
}

pub fn challenge_spec(
    creator: UserId,
    name: &str,
    kind: GoalKind,
    goal: &str,
    start: &str,
    deadline: &str,
) -> NewChallenge {
    NewChallenge {
        name: ChallengeName::parse(name).unwrap(),
        description: Description::default(),
        creator,
        created_at: at(0),
        start_date: d(start),
        // The repository takes any deadline; the "after today" rule is the application's.
        deadline: Deadline::parse(d(deadline), d(start).pred_opt().unwrap()).unwrap(),
        unit: None,
        goal: Goal::new(kind, amount(goal)).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    }
}

pub async fn create(db: &Db, creator: UserId, kind: GoalKind, goal: &str) -> Challenge {
    let spec = challenge_spec(creator, "Test challenge", kind, goal, "2026-03-01", "2026-03-31");
    db.store.create_challenge(&spec).await.expect("create a challenge")
}

pub fn progress(
    challenge: &Challenge,
    user: UserId,
    value: Option<&str>,
    date: &str,
    minute: i64,
) -> NewProgress {
    NewProgress {
        challenge: challenge.id,
        user,
        value: value.map_or(ProgressValue::CheckIn, |v| ProgressValue::Amount(amount(v))),
        date: ProgressDate::from_stored(d(date)),
        recorded_at: at(minute),
        idempotency_key: None,
    }
}

pub fn keyed(mut new: NewProgress, key: &str) -> NewProgress {
    new.idempotency_key = Some(IdempotencyKey::parse(key).unwrap());
    new
}

pub async fn add(db: &Db, new: NewProgress) -> Recorded {
    db.store.add_progress(&new).await.expect("add progress")
}

pub fn ids(challenges: &[Challenge]) -> Vec<i64> {
    challenges.iter().map(|c| c.id.0).collect()
}

/// The domain's tally of the entries themselves: what the stored tally must equal.
pub fn tally_of_entries(kind: GoalKind, entries: &[ProgressEntry]) -> Tally {
    Tally::of(entries, |t| kind.standing(t))
}
