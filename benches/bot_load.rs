//! Load benchmark of `challenge-bot bot` (issue 4): the real binary, N simulated users on loopback,
//! PostgreSQL and SQLite. Not a timed test: it prints figures for BENCHMARKS.md.
//!
//! ```sh
//! cargo bench --bench bot_load -- [--users 200] [--seconds 20] [--rate 1500] [--db both|sqlite|postgres]
//! cargo bench --bench bot_load -- --flood 1000 --rate 100 [--per-chat 1]   # issue 9
//! cargo bench --bench bot_load -- --webhook [--db postgres]                   # issue 15
//! cargo bench --bench bot_load -- --news-team 17 [--bulk 25] [--rate 600]      # issue 12
//! cargo bench --bench bot_load -- --reminders 100000 --bulk 5000 --rate 1000 --db postgres  # issue 13
//! cargo bench --bench bot_load -- --reminders 100000 --users-news [--bulk 25] --rate 1000 --db postgres
//! ```
//!
//! With `--reminders N`, N more people (written straight into the database before the bot
//! starts, in a challenge of their own) have a daily reminder due three seconds after the bot's
//! clock starts (`CHALLENGE_BOT_NOW`), that is as the measured window opens, while the users go
//! on. The users then join before the run, their challenge's news muted: their entries pass
//! each other, and the "passed you" news they would get (about 2,500 a second at 1,000
//! updates/s) would fill the bulk lane, the reminders would wait behind it until the users
//! stop, and their cost to the answers would not be measured (news has `--news-team`). With
//! `--users-news` they join in the run as without reminders, and get their news: the reminders
//! then share the bulk lane with it (they take turns, `dispatch/news.rs`). The same
//! load runs first without the reminders. Reported: the answers' latency in both runs, the
//! reminders sent in the window and how long until the last, the bot's peak RSS, and (a third,
//! light run with sqlx's statement log: one user, 20,000 reminders) statements per reminder.
//!
//! With `--news-team K`, users are in teams of K, each team a challenge ranked by the best value
//! (joined before the run), and every number typed is higher than any before: each entry puts its
//! person first in their team, passing those who logged since their own last entry, and each
//! person passed gets news ("Ann passed you"). With random think times that is about 0.6 (K − 1)
//! people per entry; the figure is measured and reported. News goes at `--bulk` per second
//! (`TELEGRAM_RATE_BULK`). Reported: the answers' latency, news sent per second, news waiting at
//! the end (the backlog), and news per entry.
//!
//! With `--webhook` the bot runs in webhook mode: the fake posts each update to the bot's
//! listener (up to 40 at once, as Telegram does) instead of the bot polling for it; the latency
//! is measured the same way, from the update being available to its answer.
//!
//! With `--flood N`, one more user sends N `/help` at once when the measured window starts, while
//! the others go on; Telegram's pace of one message a second per chat applies (`--per-chat`), and
//! the figures are the others' latency during the flood, the messages the flooder got, and the
//! bot's peak RSS.
//!
//! Each user joins the shared challenge, then repeats a realistic cycle: `/start` → My challenges
//! → the challenge (view) → Add progress → types `1` → Today. The user waits for each answer
//! before the next step (they press the buttons it brings), and each step is due a random think
//! time (exponential, mean `users / rate`) after the previous one was due, so that all users
//! together offer `--rate` updates per second as long as the bot keeps up (0: no think time, as
//! fast as the bot answers).
//!
//! Reported per database:
//! - updates handled per second and the latency from an update being available (queued at the
//!   fake Bot API) to its answer arriving there (p50, p99, max);
//! - database statements per update (a second, shorter run with sqlx's statement log on);
//! - the bot process's peak RSS (`VmHWM`);
//! - the database's own limit: the same per-update work (the conversation engine's calls and the
//!   outbox writes) issued directly on the store by as many concurrent users, no bot around it.
//!
//! The fake Bot API here is a lean one (getUpdates with long polling and offsets, sendMessage,
//! editMessageText, answerCallbackQuery and the start-up calls): the strict fake of the test suite
//! records and validates every call for assertions, which is the wrong trade for a load test. The
//! fake, the simulated users and the bot share the machine's cores.

#[path = "support/lean_fake.rs"]
mod lean_fake;
#[path = "../tests/storage_support/mod.rs"]
#[allow(unused_imports)]
mod storage_support;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::App;
use challenge_bot::handler::ChallengeDraft;
use challenge_bot::handler::conversation::{CacheConfig, Conversation, Input, Request};
use challenge_bot::outbox::{Action, Outbox, UpdateRef};
use challenge_bot::progress::IdempotencyKey;
use challenge_bot::protocol::bot::face::render;
use challenge_bot::repository::Store;
use challenge_bot::storage::{PostgresStore, SqliteStore};
use challenge_bot::user::{DisplayName, UserId};
use lean_fake::{Fake, Reply, start_fake};
use tokio::sync::mpsc;

const TOKEN: &str = "555000111:AAF_bench-token-abcdefghijklmnopqrstuvw";
const TODAY: &str = "2026-03-01";
const CHALLENGE: &str = "Bench 1000000 km";

/// What every user repeats after joining: typed (`true`) or a press of the button starting with
/// this label (`false`).
const CYCLE: [(bool, &str); 6] = [
    (true, "/start"),
    (false, "My challenges"),
    (false, CHALLENGE),
    (false, "Add progress"),
    (true, "1"),
    (false, "Today"),
];

// ---------------------------------------------------------------------------------------------
// Simulated users
// ---------------------------------------------------------------------------------------------

/// One answered update: when it became available, how long until its answer arrived, and how
/// much of that it waited to be fetched by `getUpdates`.
type Sample = (Instant, Duration, Duration);

struct Figures {
    latencies: Vec<Sample>,
}

struct User {
    id: i64,
    fake: Arc<Fake>,
    /// Entries confirmed ("Logged …"), over all users.
    logged: Arc<AtomicU64>,
    replies: mpsc::UnboundedReceiver<Reply>,
    /// Buttons of the newest reply and the message they are on.
    buttons: Vec<(String, String)>,
    on: i64,
    latencies: Vec<Sample>,
}

impl User {
    async fn answer(&mut self, (update, sent): (i64, Instant)) -> Result<(), String> {
        let reply = tokio::time::timeout(Duration::from_secs(30), self.replies.recv())
            .await
            .map_err(|_| format!("user {}: no answer within 30 s", self.id))?
            .ok_or("the fake stopped")?;
        let fetched = self.fake.inner.lock().unwrap().fetched.remove(&update).unwrap_or(reply.at);
        self.latencies.push((
            sent,
            reply.at.saturating_duration_since(sent),
            fetched.saturating_duration_since(sent),
        ));
        self.on = reply.message_id;
        self.buttons = reply.buttons;
        if reply.text.contains("Logged") {
            self.logged.fetch_add(1, Ordering::Relaxed);
        }
        if reply.text.is_empty() {
            return Err("an empty answer".into());
        }
        Ok(())
    }

    async fn say(&mut self, text: &str) -> Result<(), String> {
        let sent = self.fake.send_text(self.id, text);
        self.answer(sent).await
    }

    async fn press(&mut self, label: &str) -> Result<(), String> {
        let data = self
            .buttons
            .iter()
            .find(|(l, _)| l.starts_with(label))
            .map(|(_, d)| d.clone())
            .ok_or_else(|| format!("user {}: no button {label:?} in {:?}", self.id, self.buttons))?;
        let sent = self.fake.press(self.id, self.on, &data);
        self.answer(sent).await
    }
}

/// Runs `users` users against the fake until `stop`; returns the latency of every update after
/// the joins.
async fn drive(
    fake: Arc<Fake>,
    load: Load,
    stop: Arc<AtomicBool>,
    logged: Arc<AtomicU64>,
) -> Result<Figures, String> {
    let Load { users, rate, news, quiet_users, .. } = load;
    // With news: every number typed is higher than any before (see the module documentation).
    let rising = Arc::new(AtomicU64::new(1));
    let mut tasks = Vec::new();
    for n in 0..users {
        let replies = fake.register(1_000 + n);
        let fake = fake.clone();
        let stop = stop.clone();
        let logged = logged.clone();
        let rising = rising.clone();
        tasks.push(tokio::spawn(async move {
            let mut user =
                User { id: 1_000 + n, fake, logged, replies, buttons: vec![], on: 0, latencies: vec![] };
            user.say("/start").await?;
            if news == 0 && !quiet_users {
                user.press("Join challenge").await?;
                user.press(CHALLENGE).await?;
                user.press("Use ").await?;
            }
            user.latencies.clear();
            // Think times are random (exponential, mean users/rate), so users do not fall into step
            // with each other: arrivals look like many independent people, not a metronome.
            let mean = if rate > 0.0 { users as f64 / rate } else { 0.0 };
            let think = move || {
                let u: f64 = rand::random::<f64>().max(1e-9);
                Duration::from_secs_f64(-mean * u.ln())
            };
            // Each step is due a think time after the previous one was due (not after its answer
            // came), so the answers' latency does not lower the offered rate; a user who fell more
            // than a second behind (the bot cannot keep up) starts counting afresh.
            let mut due = tokio::time::Instant::now();
            'run: loop {
                for (typed, what) in CYCLE {
                    if stop.load(Ordering::Relaxed) {
                        break 'run;
                    }
                    if mean > 0.0 {
                        let now = tokio::time::Instant::now();
                        due = due.max(now - Duration::from_secs(1)) + think();
                        tokio::time::sleep_until(due).await;
                    }
                    let number =
                        (news > 0 && what == "1").then(|| rising.fetch_add(1, Ordering::Relaxed).to_string());
                    match (typed, number) {
                        (true, Some(number)) => user.say(&number).await?,
                        (true, None) => user.say(what).await?,
                        (false, _) => user.press(what).await?,
                    }
                }
            }
            Ok::<Vec<Sample>, String>(user.latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.map_err(|e| e.to_string())??);
    }
    Ok(Figures { latencies })
}

// ---------------------------------------------------------------------------------------------
// The bot process and the databases
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Db {
    Sqlite,
    Postgres,
}

struct Database {
    url: String,
    store: Arc<dyn Store>,
    log: Arc<dyn Outbox>,
    _keep: Box<dyn std::any::Any>,
}

async fn fresh_database(db: Db) -> Database {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("bench.db");
            let store = Arc::new(SqliteStore::connect(&path).await.unwrap());
            Database {
                url: format!("sqlite://{}", path.display()),
                store: store.clone(),
                log: store,
                _keep: Box::new(dir),
            }
        }
        Db::Postgres => {
            let guard = storage_support::PgDatabaseGuard::create().await;
            let store = Arc::new(PostgresStore::connect(guard.url()).await.unwrap());
            Database { url: guard.url().to_owned(), store: store.clone(), log: store, _keep: Box::new(guard) }
        }
    }
}

/// The first user id of the people with reminders.
const REMINDED: i64 = 20_000_000;

/// `people` participants of a challenge of their own (the users' challenge and its leaderboard
/// stay as they were), each reminded daily at 09:00:03 on the bench's day (due three seconds
/// after the bot's clock starts), written in a few statements rather than through the use cases
/// (which would take minutes for 100,000).
async fn seed_reminders(store: Arc<dyn Store>, url: &str, people: i64) {
    let app = App::new(store, Clock::Fixed(today()));
    let draft = ChallengeDraft {
        name: ChallengeName::parse("Reminded").unwrap(),
        description: Description::parse("").unwrap(),
        deadline: today() + chrono::Days::new(300),
        unit: None,
        goal: Goal::new(GoalKind::Total, Amount::parse_positive("1000000").unwrap()).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let challenge = app.create_challenge(UserId(2), draft).await.unwrap().id.0;
    let day: chrono::NaiveDate = today();
    // BENCH_REMINDERS_DUE_IN: seconds after the bot's start (3), to tell the reminders' own cost
    // from what seeding them costs the database.
    let due_in: u32 = std::env::var("BENCH_REMINDERS_DUE_IN").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let due = day.and_hms_opt(9, 0, 0).unwrap().and_utc() + chrono::TimeDelta::seconds(i64::from(due_in));
    let streak = day.and_hms_opt(20, 0, 0).unwrap().and_utc();
    let (first, last) = (REMINDED, REMINDED + people - 1);
    let series = if url.starts_with("sqlite:") {
        "WITH RECURSIVE g(n) AS (SELECT $2 UNION ALL SELECT n + 1 FROM g WHERE n < $3) "
    } else {
        "WITH g(n) AS (SELECT generate_series($2::bigint, $3::bigint)) "
    };
    let participants = format!(
        "{series}INSERT INTO participants (challenge_id, user_id, goal_hundredths, joined_at, last_active_at) \
         SELECT {challenge}, n, 100000000, $1, $1 FROM g"
    );
    let settings = format!(
        "{series}INSERT INTO user_settings (user_id, remind_at, reminder_offered, remind_next_at, streak_next_at, \
         due_at, updated_at) SELECT n, 540, TRUE, $1, $4, $1, $1 FROM g"
    );
    // The same statements on either pool type (a macro: sqlx's generic bounds would outweigh it).
    macro_rules! run_on {
        ($pool:ty) => {{
            let pool = <$pool>::connect(url).await.unwrap();
            for sql in [participants, settings] {
                let query =
                    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(due).bind(first).bind(last).bind(streak);
                query.execute(&pool).await.unwrap();
            }
            // A database that grew to 100,000 people has had its statistics gathered and its
            // tables vacuumed along the way; one seeded in a statement has not until autovacuum
            // comes round: plans made meanwhile take the tables for small, and autovacuum's pass
            // over the new rows would fall in the measured window (seen: the answers' p99 rose
            // by a third with no reminder due in the window, `BENCH_REMINDERS_DUE_IN=3600`).
            let tidy = if url.starts_with("sqlite:") { "ANALYZE" } else { "VACUUM ANALYZE" };
            sqlx::query(tidy).execute(&pool).await.unwrap();
        }};
    }
    if url.starts_with("sqlite:") {
        run_on!(sqlx::SqlitePool);
    } else {
        run_on!(sqlx::PgPool);
    }
}

/// `--reminders`: the users join the challenge before the run, its news muted for them (see the
/// module documentation).
async fn join_muted(store: Arc<dyn Store>, challenge: ChallengeId, users: i64) {
    let app = App::new(store, Clock::Fixed(today()));
    for n in 0..users {
        app.join(challenge, UserId(1_000 + n), None).await.unwrap();
        app.set_news_muted(UserId(1_000 + n), challenge, true).await.unwrap();
    }
}

fn today() -> chrono::NaiveDate {
    TODAY.parse().unwrap()
}

/// With `--news-team K`: one challenge per team of K users, ranked by the best value, its goal out
/// of reach (no one completes), every user joined.
async fn create_teams(store: Arc<dyn Store>, users: i64, team: usize) {
    let app = App::new(store, Clock::Fixed(today()));
    let team = team.max(1) as i64;
    let mut challenge = None;
    for n in 0..users {
        if n % team == 0 {
            let draft = ChallengeDraft {
                name: ChallengeName::parse(&format!("{CHALLENGE} team {}", n / team + 1)).unwrap(),
                description: Description::parse("").unwrap(),
                deadline: today() + chrono::Days::new(300),
                unit: None,
                goal: Goal::new(GoalKind::AtLeast, Amount::parse_positive("1000000000").unwrap()).unwrap(),
                visibility: challenge_bot::challenge::Visibility::Public,
            };
            challenge = Some(app.create_challenge(UserId(1), draft).await.unwrap().id);
        }
        app.join(challenge.unwrap(), UserId(1_000 + n), None).await.unwrap();
    }
}

async fn create_challenge(store: Arc<dyn Store>) -> ChallengeId {
    let app = App::new(store, Clock::Fixed(today()));
    let draft = ChallengeDraft {
        name: ChallengeName::parse(CHALLENGE).unwrap(),
        description: Description::parse("").unwrap(),
        deadline: today() + chrono::Days::new(300),
        unit: None,
        goal: Goal::new(GoalKind::Total, Amount::parse_positive("1000000").unwrap()).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    app.create_challenge(UserId(1), draft).await.unwrap().id
}

/// Webhook mode's settings for the bot, and the URL the fake posts to (a free port, picked now).
fn webhook_settings() -> (Vec<(&'static str, String)>, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = vec![
        ("TELEGRAM_WEBHOOK_URL", "https://bench.example.org/tg/hook".to_owned()),
        ("TELEGRAM_WEBHOOK_SECRET", "bench-secret".to_owned()),
        ("LISTEN_ADDR", format!("127.0.0.1:{port}")),
    ];
    (env, format!("http://127.0.0.1:{port}/tg/hook"))
}

fn spawn_bot(
    api_url: &str,
    database_url: &str,
    log: Option<&std::path::Path>,
    per_chat: f64,
    extra: &[(&str, String)],
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_challenge-bot"));
    command
        .arg("bot")
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", api_url)
        .env("DATABASE_URL", database_url)
        .env("CHALLENGE_BOT_TODAY", TODAY)
        .env("TELEGRAM_RATE_PER_CHAT", per_chat.to_string())
        .env("TELEGRAM_RATE_GLOBAL", "0")
        .env("LISTEN_ADDR", "127.0.0.1:0")
        .envs(extra.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    match log {
        Some(path) => {
            command.env("RUST_LOG", "warn,sqlx::query=debug").stderr(std::fs::File::create(path).unwrap());
        }
        None => {
            let filter = std::env::var("BENCH_BOT_LOG").unwrap_or_else(|_| "warn".into());
            command.env("RUST_LOG", filter).stderr(Stdio::inherit());
        }
    }
    command.spawn().expect("start the bot")
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system) a process used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // After the command (in parentheses) come the state (field 3) … utime (14) and stime (15).
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok())).sum();
    Duration::from_secs_f64(ticks as f64 / 100.0)
}

/// CPU time used so far by the database server's processes on this machine (PostgreSQL's
/// `postgres` processes; zero for SQLite, which runs inside the bot). Connections are pooled, so
/// the backends serving the bot live through the window.
fn database_cpu_time() -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Duration::ZERO };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.starts_with("postgres"))
        })
        .map(cpu_time)
        .sum()
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let _ = child.wait();
}

struct BotRun {
    updates: usize,
    seconds: f64,
    /// Latencies of the updates that became available in the measured window, sorted.
    latencies: Vec<Duration>,
    /// Of each latency, the wait until `getUpdates` handed the update over (sorted).
    fetch_waits: Vec<Duration>,
    /// The byte range of the statement log written during the measured window.
    statement_log_window: (u64, u64),
    rss_kib: u64,
    /// Bot API calls and getUpdates calls in the measured window.
    calls: u64,
    polls: u64,
    /// CPU time the bot used in the measured window.
    cpu: Duration,
    /// CPU time this process (the fake and the simulated users) used in the window.
    own: Duration,
    /// CPU time the database server's processes used in the window.
    database_cpu: Duration,
    /// With a flood: the messages the flooder got, and how long until its last one.
    flooder: Option<(usize, Duration)>,
    /// With news: news sent in the window, news waiting at its end, and news made per entry
    /// (sent and waiting over entries confirmed, since the start).
    news: Option<(u64, usize, f64)>,
    /// With reminders: those sent in the window, all sent, and when the last came after the
    /// window opened.
    reminders: Option<(u64, u64, Option<Duration>)>,
}

/// The load: users, measured seconds, offered rate, and an optional flood.
#[derive(Clone, Copy)]
struct Load {
    users: i64,
    seconds: f64,
    rate: f64,
    flood: usize,
    per_chat: f64,
    /// The bot in webhook mode.
    webhook: bool,
    /// Teams of this many people, whose entries make news for each other; 0: none.
    news: usize,
    /// News per second (`TELEGRAM_RATE_BULK`).
    bulk: f64,
    /// People with a reminder due as the window opens; 0: none.
    reminders: i64,
    /// The users join before the run, their challenge's news muted (`--reminders`).
    quiet_users: bool,
}

/// One run of the bot with `users` users for `seconds`.
async fn run_bot(db: Db, load: Load, statement_log: Option<&std::path::Path>) -> BotRun {
    let Load { users, seconds, flood, per_chat, .. } = load;
    let database = fresh_database(db).await;
    if load.news > 0 {
        create_teams(database.store.clone(), users, load.news).await;
    } else {
        let challenge = create_challenge(database.store.clone()).await;
        if load.quiet_users {
            join_muted(database.store.clone(), challenge, users).await;
        }
    }
    let (fake, api_url) = start_fake().await;
    // The challenges' creators (users 1 and 2) get news of the joins, which nobody reads; without
    // their chats each would be a "chat not found" error in the log.
    fake.add_silent_chats([1, 2]);
    let (mut extra, hook) = if load.webhook { webhook_settings() } else { (Vec::new(), String::new()) };
    extra.push(("TELEGRAM_RATE_BULK", load.bulk.to_string()));
    if load.reminders > 0 {
        seed_reminders(database.store.clone(), &database.url, load.reminders).await;
        fake.add_silent_chats(REMINDED..REMINDED + load.reminders);
        extra.push(("CHALLENGE_BOT_NOW", format!("{TODAY}T09:00:00Z")));
    }
    let mut bot = spawn_bot(&api_url, &database.url, statement_log, per_chat, &extra);
    if load.webhook {
        fake.deliver_to(hook);
    }
    let stop = Arc::new(AtomicBool::new(false));
    let logged = Arc::new(AtomicU64::new(0));
    let driver = tokio::spawn(drive(fake.clone(), load, stop.clone(), logged.clone()));
    const FLOODER: i64 = 999_999;
    let mut flooder_replies = (flood > 0).then(|| fake.register(FLOODER));
    // Let everyone join and the rate settle, then measure a window.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let started = Instant::now();
    for _ in 0..flood {
        fake.send_text(FLOODER, "/help");
    }
    let first = fake.inner.lock().unwrap().next_update;
    let (calls0, polls0) = (fake.calls.load(Ordering::Relaxed), fake.polls.load(Ordering::Relaxed));
    let news0 = fake.news.load(Ordering::Relaxed);
    let reminders0 = fake.reminders.load(Ordering::Relaxed);
    let cpu0 = cpu_time(bot.id());
    let own0 = cpu_time(std::process::id());
    let database0 = database_cpu_time();
    let log_size =
        |path: Option<&std::path::Path>| path.and_then(|p| std::fs::metadata(p).ok()).map_or(0, |m| m.len());
    let log0 = log_size(statement_log);
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let log1 = log_size(statement_log);
    let last = fake.inner.lock().unwrap().next_update;
    let news_sent = fake.news.load(Ordering::Relaxed);
    let reminders_sent = fake.reminders.load(Ordering::Relaxed);
    let calls = fake.calls.load(Ordering::Relaxed) - calls0;
    let polls = fake.polls.load(Ordering::Relaxed) - polls0;
    let cpu = cpu_time(bot.id()).saturating_sub(cpu0);
    let own = cpu_time(std::process::id()).saturating_sub(own0);
    let database_cpu = database_cpu_time().saturating_sub(database0);
    let ended = Instant::now();
    stop.store(true, Ordering::Relaxed);
    let figures = driver.await.unwrap().unwrap_or_else(|e| panic!("{db:?}: {e}"));
    // The flooder's answers: all that come until the chat has been quiet for three seconds.
    let mut flooder = None;
    if let Some(replies) = flooder_replies.as_mut() {
        let (mut count, mut last) = (0, started);
        while let Ok(Some(reply)) = tokio::time::timeout(Duration::from_secs(3), replies.recv()).await {
            count += 1;
            last = reply.at;
        }
        flooder = Some((count, last.saturating_duration_since(started)));
    }
    let reminders = if load.reminders > 0 {
        // The rest of the drain, up to a minute, for when the last one comes.
        let until = Instant::now() + Duration::from_secs(60);
        while fake.reminders.load(Ordering::Relaxed) < load.reminders as u64 && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let last = fake.last_reminder.lock().unwrap().map(|at| at.saturating_duration_since(started));
        Some((reminders_sent - reminders0, fake.reminders.load(Ordering::Relaxed), last))
    } else {
        None
    };
    let rss_kib = peak_rss_kib(bot.id());
    terminate(&mut bot);
    let news = if load.news > 0 {
        // What the bot left unsent is in the outbox once it stopped.
        let waiting = database
            .log
            .queued(555_000_111, 0, u32::MAX)
            .await
            .unwrap()
            .iter()
            .filter(|q| matches!(q.action.class(), challenge_bot::outbox::Class::News { .. }))
            .count();
        let per_entry = (news_sent as f64 + waiting as f64) / logged.load(Ordering::Relaxed).max(1) as f64;
        Some((news_sent - news0, waiting, per_entry))
    } else {
        None
    };
    let window: Vec<&Sample> =
        figures.latencies.iter().filter(|(at, ..)| *at >= started && *at < ended).collect();
    let mut latencies: Vec<Duration> = window.iter().map(|s| s.1).collect();
    let mut fetch_waits: Vec<Duration> = window.iter().map(|s| s.2).collect();
    latencies.sort();
    fetch_waits.sort();
    BotRun {
        updates: (last - first) as usize,
        seconds: (ended - started).as_secs_f64(),
        latencies,
        fetch_waits,
        statement_log_window: (log0, log1),
        rss_kib,
        calls,
        polls,
        cpu,
        own,
        database_cpu,
        flooder,
        news,
        reminders,
    }
}

/// The database's own limit: the same per-update work on the store, no bot, no HTTP.
async fn database_limit(db: Db, users: i64, seconds: f64) -> f64 {
    let database = fresh_database(db).await;
    create_challenge(database.store.clone()).await;
    let conversation =
        Conversation::new(App::new(database.store.clone(), Clock::Fixed(today())), &CacheConfig::default());
    let handled = Arc::new(AtomicU64::new(0));
    let next_update = Arc::new(AtomicU64::new(1));
    let stop = Arc::new(AtomicBool::new(false));
    // Sent answers leave the outbox as they do in the bot: all that were sent meanwhile at once.
    let marks: Arc<std::sync::Mutex<Vec<i64>>> = Arc::default();
    let marker = {
        let (marks, log, stop) = (marks.clone(), database.log.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let batch = std::mem::take(&mut *marks.lock().unwrap());
                if batch.is_empty() {
                    tokio::time::sleep(Duration::from_micros(500)).await;
                } else {
                    log.remove(1, &batch).await.unwrap();
                }
            }
        })
    };
    let mut tasks = Vec::new();
    for n in 0..users {
        let (conversation, log, handled, next_update, stop, marks) = (
            conversation.clone(),
            database.log.clone(),
            handled.clone(),
            next_update.clone(),
            stop.clone(),
            marks.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let user = UserId(50_000 + n);
            let name = DisplayName::sanitize(&format!("User {}", user.0), user);
            let mut message = 0i64;
            let mut buttons: Vec<(String, String)> = Vec::new();
            let mut turn = |input: Input| {
                let (conversation, log, name) = (conversation.clone(), log.clone(), name.clone());
                message += 1;
                let update = next_update.fetch_add(1, Ordering::Relaxed) as i64;
                let key = IdempotencyKey::parse(&format!("tg:1:{}:{message}", user.0)).unwrap();
                let marks = marks.clone();
                async move {
                    // As the bot does: the update's turn, its record and answers committed with its
                    // effects, the state settled after, the sent answers removed in batches.
                    let turn = log.turn(1, UpdateRef::fetched(update));
                    let (replies, settle) = conversation
                        .with_store(turn.store())
                        .handle_unsettled(Request::new(user, name, input).with_key(key))
                        .await
                        .unwrap();
                    let actions = render(user.0, Some((user.0, 1)), &replies);
                    let queued = turn.finish(&actions).await.unwrap().queued();
                    conversation.settle(settle).await;
                    marks.lock().unwrap().extend(queued.iter().map(|q| q.id));
                    actions
                }
            };
            let labels = |actions: &[Action]| -> Vec<(String, String)> {
                actions
                    .iter()
                    .filter_map(|a| match a {
                        Action::Send { buttons, .. } | Action::Edit { buttons, .. } => Some(buttons),
                        _ => None,
                    })
                    .flatten()
                    .flatten()
                    .map(|b| (b.text.clone(), b.data.clone()))
                    .collect()
            };
            let press = |buttons: &[(String, String)], label: &str| {
                Input::Button(buttons.iter().find(|(l, _)| l.starts_with(label)).expect("button").1.clone())
            };
            for step in [None, Some("Join challenge"), Some(CHALLENGE), Some("Use ")] {
                let input = match step {
                    None => Input::from_message("/start"),
                    Some(label) => press(&buttons, label),
                };
                buttons = labels(&turn(input).await);
            }
            'run: loop {
                for (typed, what) in CYCLE {
                    if stop.load(Ordering::Relaxed) {
                        break 'run;
                    }
                    let input = if typed { Input::from_message(what) } else { press(&buttons, what) };
                    buttons = labels(&turn(input).await);
                    handled.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (start, t0) = (handled.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let (end, t1) = (handled.load(Ordering::Relaxed), Instant::now());
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    marker.await.unwrap();
    (end - start) as f64 / (t1 - t0).as_secs_f64()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// `--reminders N`: the load without reminders, then with them, then statements per reminder.
async fn reminders_report(db: Db, load: Load) {
    let latency = |run: &BotRun| {
        let l = &run.latencies;
        format!(
            "p50 {} ms, p99 {} ms, max {} ms ({} updates in {:.1} s = {:.0} updates/s)",
            ms(percentile(l, 50.0)),
            ms(percentile(l, 99.0)),
            ms(l.last().copied().unwrap_or_default()),
            l.len(),
            run.seconds,
            run.updates as f64 / run.seconds
        )
    };
    let without = run_bot(db, Load { reminders: 0, ..load }, None).await;
    let with = run_bot(db, load, None).await;
    let (in_window, all, last) = with.reminders.unwrap_or_default();
    println!(
        "\n== {db:?}, {} people with a reminder due as the window opens, TELEGRAM_RATE_BULK={}",
        load.reminders, load.bulk
    );
    println!("answers without reminders: {}", latency(&without));
    println!("answers with reminders:    {}", latency(&with));
    println!(
        "reminders sent:         {in_window} in the window ({:.0} per second), {all} of {} in all, the last {}",
        in_window as f64 / with.seconds,
        load.reminders,
        last.map_or("never".to_owned(), |d| format!("{:.1} s after the window opened", d.as_secs_f64()))
    );
    println!(
        "bot peak RSS:           {:.1} MiB with reminders ({:.1} MiB without)",
        with.rss_kib as f64 / 1024.0,
        without.rss_kib as f64 / 1024.0
    );
    // Statements per reminder: one user, 20,000 reminders, sqlx's statement log on.
    let dir = tempfile::tempdir().unwrap();
    let statement_log = dir.path().join("statements.log");
    let light = Load { users: 1, rate: 1.0, seconds: 5.0, reminders: 20_000, ..load };
    let counted = run_bot(db, light, Some(&statement_log)).await;
    let log = std::fs::read(&statement_log).unwrap_or_default();
    let (from, to) = counted.statement_log_window;
    let window = String::from_utf8_lossy(&log[(from as usize).min(log.len())..(to as usize).min(log.len())]);
    let statements = window.lines().filter(|l| l.contains("sqlx::query")).count();
    let (sent, ..) = counted.reminders.unwrap_or_default();
    println!(
        "statements per reminder: {:.2} ({statements} statements in a window that sent {sent}, one user idle)",
        statements as f64 / sent.max(1) as f64
    );
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() {
    let users: i64 = arg("--users").and_then(|v| v.parse().ok()).unwrap_or(200);
    let seconds: f64 = arg("--seconds").and_then(|v| v.parse().ok()).unwrap_or(20.0);
    let rate: f64 = arg("--rate").and_then(|v| v.parse().ok()).unwrap_or(1500.0);
    let flood: usize = arg("--flood").and_then(|v| v.parse().ok()).unwrap_or(0);
    let per_chat: f64 =
        arg("--per-chat").and_then(|v| v.parse().ok()).unwrap_or(if flood > 0 { 1.0 } else { 0.0 });
    let webhook = std::env::args().any(|a| a == "--webhook");
    let news: usize = arg("--news-team").and_then(|v| v.parse().ok()).unwrap_or(0);
    let bulk: f64 = arg("--bulk").and_then(|v| v.parse().ok()).unwrap_or(25.0);
    let reminders: i64 = arg("--reminders").and_then(|v| v.parse().ok()).unwrap_or(0);
    let quiet_users = reminders > 0 && !std::env::args().any(|a| a == "--users-news");
    let load = Load { users, seconds, rate, flood, per_chat, webhook, news, bulk, reminders, quiet_users };
    let dbs = match arg("--db").as_deref() {
        Some("sqlite") => vec![Db::Sqlite],
        Some("postgres") => vec![Db::Postgres],
        _ => vec![Db::Postgres, Db::Sqlite],
    };
    println!(
        "bot load benchmark: {users} users, {seconds} s measured, offered rate {rate} updates/s (0 = unpaced), \
         per-chat limit {per_chat}/s (0 = none), flood {flood}, {}",
        if webhook { "webhook mode" } else { "polling" }
    );
    for db in dbs {
        if reminders > 0 {
            reminders_report(db, load).await;
            continue;
        }
        let run = run_bot(db, load, None).await;
        if let Some((sent, waiting, per_entry)) = run.news {
            let latencies = &run.latencies;
            println!("\n== {db:?}, teams of {news} making news for each other, TELEGRAM_RATE_BULK={bulk}");
            println!(
                "answers' latency:       p50 {} ms, p99 {} ms, max {} ms ({} updates in {:.1} s = {:.0} updates/s)",
                ms(percentile(latencies, 50.0)),
                ms(percentile(latencies, 99.0)),
                ms(latencies.last().copied().unwrap_or_default()),
                latencies.len(),
                run.seconds,
                run.updates as f64 / run.seconds
            );
            println!(
                "news sent:              {sent} in the window = {:.1} per second",
                sent as f64 / run.seconds
            );
            println!("news waiting at the end: {waiting} (the backlog, in the outbox)");
            println!("news per entry:         {per_entry:.1}");
            println!("bot peak RSS:           {:.1} MiB", run.rss_kib as f64 / 1024.0);
            continue;
        }
        if flood > 0 || per_chat > 0.0 {
            // A paced run (Telegram's limit per chat), with or without a flood: its own summary.
            let latencies = &run.latencies;
            let (messages, until) = run.flooder.unwrap_or_default();
            println!("\n== {db:?}, one user sending {flood} messages at once");
            println!(
                "others' latency (in the window): p50 {} ms, p99 {} ms, max {} ms ({} updates in {:.1} s)",
                ms(percentile(latencies, 50.0)),
                ms(percentile(latencies, 99.0)),
                ms(latencies.last().copied().unwrap_or_default()),
                latencies.len(),
                run.seconds
            );
            if flood > 0 {
                println!(
                    "flooder's messages:     {messages} (the last {:.1} s after the flood began)",
                    until.as_secs_f64()
                );
            }
            println!("bot peak RSS:           {:.1} MiB", run.rss_kib as f64 / 1024.0);
            continue;
        }
        let latencies = &run.latencies;
        let per_second = run.updates as f64 / run.seconds;

        let dir = tempfile::tempdir().unwrap();
        let statement_log = dir.path().join("statements.log");
        // The same load again, shorter, with sqlx's statement log on: count the statements logged
        // while the window's updates were handled.
        let counted = run_bot(db, Load { seconds: 5.0, ..load }, Some(&statement_log)).await;
        let log = std::fs::read(&statement_log).unwrap_or_default();
        let (from, to) = counted.statement_log_window;
        let window =
            String::from_utf8_lossy(&log[(from as usize).min(log.len())..(to as usize).min(log.len())]);
        if let Some(keep) = arg("--keep-statement-log") {
            std::fs::write(&keep, window.as_bytes()).unwrap();
        }
        let statements = window.lines().filter(|l| l.contains("sqlx::query")).count();
        let total_updates = counted.updates;

        let limit = database_limit(db, users, seconds.min(10.0)).await;
        println!("\n== {db:?}");
        println!(
            "updates handled:        {} in {:.1} s = {per_second:.0} updates/s",
            run.updates, run.seconds
        );
        println!(
            "latency (available → answer at the fake): p50 {} ms, p99 {} ms, max {} ms ({} samples)",
            ms(percentile(latencies, 50.0)),
            ms(percentile(latencies, 99.0)),
            ms(latencies.last().copied().unwrap_or_default()),
            latencies.len()
        );
        println!(
            "  of which waiting to be fetched or posted: p50 {} ms, p99 {} ms",
            ms(percentile(&run.fetch_waits, 50.0)),
            ms(percentile(&run.fetch_waits, 99.0)),
        );
        println!(
            "statements per update:  {:.1} ({statements} statements for about {total_updates} updates)",
            statements as f64 / total_updates.max(1) as f64
        );
        println!(
            "Bot API calls:          {:.2} per update ({:.0} getUpdates/s)",
            run.calls as f64 / run.updates.max(1) as f64,
            run.polls as f64 / run.seconds
        );
        println!(
            "bot CPU:                {:.0} % of one core, {:.0} µs per update",
            100.0 * run.cpu.as_secs_f64() / run.seconds,
            1e6 * run.cpu.as_secs_f64() / run.updates.max(1) as f64
        );
        println!(
            "fake + users CPU:       {:.0} % of one core (this process, sharing the machine)",
            100.0 * run.own.as_secs_f64() / run.seconds
        );
        if db == Db::Postgres {
            println!(
                "database server CPU:    {:.0} % of one core, {:.0} µs per update (all postgres processes)",
                100.0 * run.database_cpu.as_secs_f64() / run.seconds,
                1e6 * run.database_cpu.as_secs_f64() / run.updates.max(1) as f64
            );
        }
        println!("bot peak RSS:           {:.1} MiB", run.rss_kib as f64 / 1024.0);
        println!(
            "database's own limit:   {limit:.0} updates/s (same work on the store, {users} concurrent users, no bot)"
        );
        let offered_limited = rate > 0.0 && per_second >= 0.9 * rate;
        println!(
            "bot / database limit:   {:.0} %{}",
            100.0 * per_second / limit,
            if offered_limited { " (the offered rate was handled: this is not the bot's limit)" } else { "" }
        );
    }
}
