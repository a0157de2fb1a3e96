//! `challenge-bot backup` and `restore` (issue 14), run as the real binary: a backup taken while
//! 20 writers log progress is intact and consistent, holds everything acknowledged before it
//! started and nothing started after it finished; a restore gives a working database; the
//! refusals are one line each, and PostgreSQL is pointed to `pg_dump`.

mod cli_support;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::progress::IdempotencyKey;
use challenge_bot::storage::SqliteStore;
use challenge_bot::user::UserId;
use cli_support::Bot;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

const TODAY: &str = "2026-03-10";
const WRITERS: i64 = 20;

fn today() -> chrono::NaiveDate {
    TODAY.parse().unwrap()
}

/// One acknowledged write: its key, when the call started and when it returned.
struct Write {
    key: String,
    started: Instant,
    acknowledged: Instant,
}

/// A challenge with `WRITERS` participants in the SQLite file at `path`.
async fn challenge_with_writers(path: &Path) -> (App, ChallengeId) {
    let store = Arc::new(SqliteStore::connect(path).await.unwrap());
    let app = App::new(store, Clock::Fixed(today()));
    let draft = ChallengeDraft {
        name: ChallengeName::parse("Backup run").unwrap(),
        description: Description::default(),
        deadline: "2026-12-31".parse().unwrap(),
        unit: None,
        goal: Goal::new(GoalKind::Total, Amount::from_whole(1_000_000)).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let id = app.create_challenge(UserId(1), draft).await.unwrap().id;
    for user in 2..=WRITERS {
        app.join(id, UserId(user), None).await.unwrap();
    }
    (app, id)
}

/// Rows of a SQLite file, opened read-only.
async fn read_only(path: &Path) -> sqlx::SqlitePool {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(path).read_only(true))
        .await
        .unwrap()
}

#[test]
fn a_backup_taken_while_20_writers_run_is_consistent_and_holds_what_was_acknowledged() {
    let bot = Bot::sqlite(TODAY);
    let file = bot.file().unwrap().to_owned();
    let backup = file.with_file_name("backup.db");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (app, id) = rt.block_on(challenge_with_writers(&file));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (1..=WRITERS)
        .map(|user| {
            let (app, stop) = (app.clone(), stop.clone());
            rt.spawn(async move {
                let mut done = Vec::new();
                for i in 0u32.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let key = format!("w{user}-{i}");
                    let value = Amount::from_whole(i64::from(i % 7 + 1));
                    let started = Instant::now();
                    let logged = app
                        .add_progress(
                            id,
                            UserId(user),
                            Some(value),
                            today(),
                            Some(IdempotencyKey::parse(&key).unwrap()),
                        )
                        .await;
                    logged.unwrap_or_else(|e| panic!("writer {user}, entry {i}: {e}"));
                    done.push(Write { key, started, acknowledged: Instant::now() });
                }
                done
            })
        })
        .collect();
    // Let the writers get going, then back up while they write.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let backup_started = Instant::now();
    let out = bot.run(&["backup", backup.to_str().unwrap()]);
    let backup_finished = Instant::now();
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    let writes: Vec<Write> =
        writers.into_iter().flat_map(|w| rt.block_on(w).expect("a writer panicked")).collect();
    assert_eq!(out.code, 0, "backup failed: {}", out.stderr);
    assert!(out.stdout.starts_with("Backed up "), "{}", out.stdout);

    rt.block_on(async {
        let copy = read_only(&backup).await;
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&copy).await.unwrap();
        assert_eq!(integrity, "ok");
        // Each participant's stored tally is the sum of their entries in the copy.
        let tallies: Vec<(i64, i64, i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT p.user_id, p.total_hundredths, p.entries, SUM(e.value_hundredths), COUNT(e.id) \
             FROM participants p LEFT JOIN progress_entries e \
               ON e.challenge_id = p.challenge_id AND e.user_id = p.user_id \
             GROUP BY p.user_id, p.total_hundredths, p.entries ORDER BY p.user_id",
        )
        .fetch_all(&copy)
        .await
        .unwrap();
        assert_eq!(tallies.len(), WRITERS as usize);
        for (user, total, entries, sum, count) in &tallies {
            assert_eq!((*total, *entries), (sum.unwrap_or(0), *count), "user {user}: tally against entries");
        }
        let keys: Vec<String> = sqlx::query_scalar("SELECT idempotency_key FROM progress_entries")
            .fetch_all(&copy)
            .await
            .unwrap();
        let in_copy: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
        let before = writes.iter().filter(|w| w.acknowledged < backup_started).count();
        assert!(
            before > 0 && keys.len() < writes.len(),
            "writes went on around the backup: {before}, {}",
            keys.len()
        );
        for w in &writes {
            if w.acknowledged < backup_started {
                assert!(
                    in_copy.contains(w.key.as_str()),
                    "{} was acknowledged before the backup began",
                    w.key
                );
            }
            if w.started > backup_finished {
                assert!(!in_copy.contains(w.key.as_str()), "{} began after the backup finished", w.key);
            }
        }
        let summary = format!("1 challenge, {WRITERS} participants, {} entries", keys.len());
        assert!(out.stdout.contains(&summary), "{} lacks {summary}", out.stdout);
        copy.close().await;
    });

    // Restored, it is a database like any other.
    let restored = file.with_file_name("restored.db");
    let out = bot.run(&["restore", backup.to_str().unwrap(), "--into", restored.to_str().unwrap()]);
    assert_eq!(out.code, 0, "restore failed: {}", out.stderr);
    assert!(out.stdout.contains("Use it with DATABASE_URL=sqlite://"), "{}", out.stdout);
    let other = Bot::with_url(format!("sqlite://{}", restored.display()), (), TODAY);
    let shown = other.json(&["challenge", "show", &id.0.to_string()]);
    assert_eq!(shown["leaderboard"].as_array().map(Vec::len), Some(WRITERS as usize), "{shown}");
}

#[test]
fn backup_and_restore_refuse_in_one_line_and_never_overwrite() {
    let bot = Bot::sqlite(TODAY);
    bot.fails(
        &["backup", "b.db"],
        &format!(
            "There is no database at {}: nothing has been created yet (a challenge-bot command that creates \
             something, such as `challenge create`, makes it).",
            bot.file().unwrap().display()
        ),
    );
    bot.ok(&[
        "challenge",
        "create",
        "--name",
        "Walk",
        "--deadline",
        "2026-04-30",
        "--goal",
        "10",
        "--user",
        "1",
    ]);
    bot.ok(&["backup", "b.db"]);
    let before = std::fs::read(bot.file().unwrap().with_file_name("b.db")).unwrap();
    bot.fails(
        &["backup", "b.db"],
        "b.db already exists: choose a new file name (a backup never overwrites a file).",
    );
    assert_eq!(std::fs::read(bot.file().unwrap().with_file_name("b.db")).unwrap(), before, "left as it was");
    bot.fails(&["backup", "no/such/folder/b.db"], "The folder of no/such/folder/b.db does not exist.");
    bot.fails(
        &["restore", "b.db", "--into", "t.db"],
        "t.db already exists: choose a new file name (a backup never overwrites a file).",
    );
    bot.fails(&["restore", "missing.db", "--into", "new.db"], "There is no file at missing.db.");
    std::fs::write(bot.file().unwrap().with_file_name("notes.txt"), "not a database\n").unwrap();
    bot.fails(
        &["restore", "notes.txt", "--into", "new.db"],
        "notes.txt is not a challenge-bot backup: file is not a database",
    );
    assert!(!bot.file().unwrap().with_file_name("new.db").exists(), "nothing written on a refusal");
    // A backup made by a newer version (a migration this one does not know) would be misread.
    bot.ok(&["backup", "newer.db"]);
    let newer = bot.file().unwrap().with_file_name("newer.db");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let pool =
            sqlx::SqlitePool::connect_with(SqliteConnectOptions::new().filename(&newer)).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99999, 'from the future', TRUE, X'00', 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    bot.fails(
        &["restore", "newer.db", "--into", "new.db"],
        "newer.db is not a challenge-bot backup: it was made by a newer version of challenge-bot (migration 99999); restore it with that version",
    );
    assert!(!bot.file().unwrap().with_file_name("new.db").exists(), "nothing written on a refusal");

    let pg = Bot::with_url("postgres://bot:secret@127.0.0.1:5432/bot".into(), (), TODAY);
    let out = pg.run(&["backup", "b.db"]);
    assert_eq!(out.code, 2, "a usage error on PostgreSQL: {}", out.stderr);
    assert!(
        out.stderr.contains("pg_dump --format=custom --file=b.db 'postgres://bot:***@127.0.0.1:5432/bot'"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("secret"), "the password is never printed");
}
