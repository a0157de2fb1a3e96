//! Running the real `challenge-bot bot` binary against the fake Bot API, and talking to it as
//! users would.
//!
//! - [`BotProcess`]: the bot as a child process with its log captured in a file; stop it with
//!   SIGTERM ([`BotProcess::terminate`]) or SIGKILL ([`BotProcess::kill`]). Every log is checked
//!   for the token when the process is reaped.
//! - [`Chat`]: one simulated user: [`Chat::say`] types, [`Chat::press`] presses the newest button
//!   with a label; both wait until the bot has handled the update (Telegram saw it confirmed, which
//!   the bot does once its answer is committed) and its answer has begun to arrive (the answer is
//!   sent after the confirmation). [`Chat::expect`] waits until the newest message says what is
//!   expected.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::fake_telegram::{FakeTelegram, FakeUser, SentMessage};

/// A well-formed token for the fake (`<bot id>:<secret>`).
pub const TOKEN: &str = "987654321:AAF_e2e-test-token-abcdefghijklmnopqrstu";
/// The secret half, which must never appear in a log.
pub const SECRET: &str = "AAF_e2e-test-token-abcdefghijklmnopqrstu";
/// "Today" for every test run (deadlines and progress dates are deterministic).
pub const TODAY: &str = "2026-03-01";

pub const WAIT: Duration = Duration::from_secs(20);

/// Where a test's bot keeps its data, and its logs.
pub struct Workspace {
    pub dir: TempDir,
    pub database_url: String,
    runs: std::cell::Cell<u32>,
}

impl Workspace {
    /// A fresh SQLite file in a new temporary directory.
    pub fn sqlite() -> Workspace {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let database_url = format!("sqlite://{}", dir.path().join("bot.db").display());
        Workspace { dir, database_url, runs: std::cell::Cell::new(0) }
    }

    /// A given database (e.g. a fresh PostgreSQL database), logs in a new temporary directory.
    pub fn with_database(database_url: String) -> Workspace {
        let dir = tempfile::tempdir().expect("a temporary directory");
        Workspace { dir, database_url, runs: std::cell::Cell::new(0) }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.dir.path().join("bot.db")
    }

    /// Runs statements on the bot's database behind its back (to stage a crash's leftovers, or a
    /// fault).
    pub async fn execute(&self, sql: &'static str) {
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url).await.expect("open the SQLite file");
            sqlx::raw_sql(sql).execute(&pool).await.expect("the statement runs");
            pool.close().await;
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url).await.expect("connect to PostgreSQL");
            sqlx::raw_sql(sql).execute(&pool).await.expect("the statement runs");
            pool.close().await;
        }
    }

    /// Runs a query that counts something on the bot's database behind its back.
    pub async fn count(&self, sql: &'static str) -> i64 {
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url).await.expect("open the SQLite file");
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.expect("the query runs");
            pool.close().await;
            n
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url).await.expect("connect to PostgreSQL");
            let n = sqlx::query_scalar(sql).fetch_one(&pool).await.expect("the query runs");
            pool.close().await;
            n
        }
    }

    /// Runs a query with one integer parameter that counts something on the bot's database.
    pub async fn count_where(&self, sql: &'static str, value: i64) -> i64 {
        if self.database_url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(&self.database_url).await.expect("open the SQLite file");
            let n = sqlx::query_scalar(sql).bind(value).fetch_one(&pool).await.expect("the query runs");
            pool.close().await;
            n
        } else {
            let pool = sqlx::PgPool::connect(&self.database_url).await.expect("connect to PostgreSQL");
            let n = sqlx::query_scalar(sql).bind(value).fetch_one(&pool).await.expect("the query runs");
            pool.close().await;
            n
        }
    }

    /// Waits until every queued answer was sent and left the outbox (its removal committed).
    pub async fn wait_until_outbox_empty(&self) {
        let deadline = Instant::now() + WAIT;
        while self.count("SELECT COUNT(*) FROM bot_outbox").await > 0 {
            assert!(Instant::now() < deadline, "the outbox did not empty within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts the bot against `fake` with test settings (no rate limits, short backoff) plus
    /// `extra` environment variables.
    pub fn start(&self, fake: &FakeTelegram, extra: &[(&str, &str)]) -> BotProcess {
        let run = self.runs.get() + 1;
        self.runs.set(run);
        let log = self.dir.path().join(format!("bot-{run}.log"));
        let mut env: Vec<(String, String)> = vec![
            ("TELEGRAM_BOT_TOKEN".into(), fake.token().into()),
            ("TELEGRAM_API_URL".into(), fake.api_url()),
            ("DATABASE_URL".into(), self.database_url.clone()),
            ("CHALLENGE_BOT_TODAY".into(), TODAY.into()),
            ("TELEGRAM_RATE_PER_CHAT".into(), "0".into()),
            ("TELEGRAM_RATE_GLOBAL".into(), "0".into()),
            ("TELEGRAM_MAX_BACKOFF_MS".into(), "300".into()),
            ("TELEGRAM_POLL_TIMEOUT".into(), "5".into()),
            ("TELEGRAM_REQUEST_TIMEOUT_MS".into(), "3000".into()),
            ("RUST_LOG".into(), "info,challenge_bot=debug".into()),
            // Tests run side by side: each bot listens on a port of its own.
            ("LISTEN_ADDR".into(), "127.0.0.1:0".into()),
        ];
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push(((*k).into(), (*v).into()));
        }
        BotProcess::spawn(&env, self.dir.path(), &log)
    }
}

/// The bot binary, running.
pub struct BotProcess {
    child: Option<Child>,
    pub log: PathBuf,
}

impl BotProcess {
    fn spawn(env: &[(String, String)], cwd: &Path, log: &Path) -> BotProcess {
        let file = std::fs::File::create(log).expect("create the log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_challenge-bot"));
        command
            .arg("bot")
            .current_dir(cwd)
            .env_remove("TELEGRAM_BOT_TOKEN")
            .env_remove("TELEGRAM_API_URL")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("start challenge-bot bot");
        BotProcess { child: Some(child), log: log.to_owned() }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGTERM and waits (up to 15 s) for the exit; returns the status and how long it took.
    pub async fn terminate(mut self) -> (ExitStatus, Duration) {
        let status =
            Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("kill -TERM");
        assert!(status.success(), "kill -TERM failed");
        let started = Instant::now();
        let status = self.wait(Duration::from_secs(15)).await.expect("the bot exits within 15 s of SIGTERM");
        (status, started.elapsed())
    }

    /// SIGTERM, then asserts a clean exit (status 0 within 10 s), showing the log if not.
    pub async fn stop(self) -> Duration {
        let log = self.log.clone();
        let (status, took) = self.terminate().await;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(status.success(), "exit status {status:?}; log:\n{text}");
        assert!(took < Duration::from_secs(10), "shutdown took {took:?}; log:\n{text}");
        took
    }

    /// SIGKILL: the process dies at once, mid-whatever.
    pub async fn kill(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        assert_log_clean(&self.log);
    }

    /// Waits for the process to exit by itself.
    pub async fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut().expect("running");
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                assert_log_clean(&self.log);
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Where the bot's listener listens, from its log line ("listening … bound=127.0.0.1:PORT").
    pub async fn listen_addr(&self) -> std::net::SocketAddr {
        let deadline = Instant::now() + WAIT;
        loop {
            let log = self.log_text();
            // Text logs say `bound=ADDR`, JSON logs `"bound":"ADDR"`.
            let text = log.split("bound=").nth(1).and_then(|rest| rest.split_whitespace().next());
            let json = log.split("\"bound\":\"").nth(1).and_then(|rest| rest.split('"').next());
            if let Some(addr) = text.or(json) {
                return addr.parse().expect("an address");
            }
            assert!(Instant::now() < deadline, "the bot did not say where it listens:\n{log}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            let text = self.log_text();
            let tail: Vec<&str> = text.lines().rev().take(60).collect();
            eprintln!("--- last lines of {}:", self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

/// The token (or its secret) must never reach a log.
pub fn assert_log_clean(log: &Path) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    assert!(!text.contains(SECRET), "the log {} contains the token:\n{text}", log.display());
}

/// Waits until the bot polls (it started: getMe, webhook, commands done).
pub async fn wait_until_polling(fake: &FakeTelegram) {
    fake.wait_until("the bot to poll", WAIT, |f| !f.calls_to("getUpdates").is_empty()).await;
}

/// One simulated user in their private chat with the bot.
pub struct Chat<'a> {
    pub fake: &'a FakeTelegram,
    pub user: FakeUser,
}

impl<'a> Chat<'a> {
    pub fn new(fake: &'a FakeTelegram, id: i64, first_name: &str) -> Chat<'a> {
        Chat { fake, user: FakeUser::new(id, first_name) }
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }

    /// Types a message and waits until the bot handled it and answered; returns the update id.
    pub async fn say(&self, text: &str) -> i64 {
        let after = self.fake.call_count();
        let update = self.fake.send_text(&self.user, text);
        self.fake.wait_for_confirmation(update, WAIT).await;
        self.wait_for_answer(after).await;
        update
    }

    /// Presses the button labelled `label` on the newest message that has one, and waits until
    /// the bot handled it and answered; returns the update id.
    pub async fn press(&self, label: &str) -> i64 {
        let (message, data) = self.button(label);
        let after = self.fake.call_count();
        let update = self.fake.press_button(&self.user, message, &data);
        self.fake.wait_for_confirmation(update, WAIT).await;
        self.wait_for_answer(after).await;
        update
    }

    /// Waits until a message was sent or edited in this chat by a call after call number `after`
    /// that settled it: accepted, or refused for good (a 4xx other than 429, which is not
    /// retried). A 429, a 5xx or a lost response is retried, and the next press must see the
    /// message it will press on.
    pub async fn wait_for_answer(&self, after: usize) {
        let chat = self.id();
        let what = format!("an answer in chat {chat}");
        self.fake
            .wait_until(&what, WAIT, |f| {
                f.calls().iter().any(|c| {
                    c.seq >= after
                        && (c.is_ok()
                            || c.error_code().is_some_and(|code| (400..500).contains(&code) && code != 429))
                        && matches!(
                            c.method.as_str(),
                            "sendmessage" | "editmessagetext" | "sendphoto" | "senddocument"
                        )
                        && c.param_i64("chat_id") == Some(chat)
                })
            })
            .await;
    }

    /// The message id and callback data of the newest button labelled `label`, if there is one.
    pub fn find_button(&self, label: &str) -> Option<(i64, String)> {
        self.messages().iter().rev().find_map(|message| {
            let button = message.inline_buttons().into_iter().find(|b| b.text == label)?;
            Some((message.message_id, button.callback_data?))
        })
    }

    /// The message id and callback data of the newest button labelled `label`.
    pub fn button(&self, label: &str) -> (i64, String) {
        for message in self.messages().iter().rev() {
            if let Some(b) = message.inline_buttons().into_iter().find(|b| b.text == label) {
                return (message.message_id, b.callback_data.expect("a callback button"));
            }
        }
        panic!("no button {label:?} in chat {}; messages: {:#?}", self.id(), self.texts());
    }

    /// The label of the newest button whose label starts with `prefix`.
    pub fn button_starting_with(&self, prefix: &str) -> String {
        for message in self.messages().iter().rev() {
            if let Some(b) = message.inline_buttons().into_iter().find(|b| b.text.starts_with(prefix)) {
                return b.text;
            }
        }
        panic!("no button starting with {prefix:?} in chat {}; messages: {:#?}", self.id(), self.texts());
    }

    /// The bot's messages in this chat, oldest first, as they are now.
    pub fn messages(&self) -> Vec<SentMessage> {
        self.fake.sent_messages(self.id())
    }

    pub fn texts(&self) -> Vec<String> {
        self.messages().into_iter().map(|m| m.text).collect()
    }

    /// The newest message's text, news from the others aside (it may arrive at any moment, and
    /// carries a "🔕 Mute" button); `news()` has it.
    pub fn last(&self) -> String {
        let messages = self.messages();
        messages.into_iter().rev().find(|m| !is_news(m)).map(|m| m.text).unwrap_or_default()
    }

    /// The news this chat received, oldest first.
    pub fn news(&self) -> Vec<String> {
        self.messages().into_iter().filter(is_news).map(|m| m.text).collect()
    }

    /// Every call the bot made about this chat, one line each, for failure messages.
    pub fn call_trace(&self) -> String {
        let chat = self.id();
        let lines: Vec<String> = self
            .fake
            .calls()
            .iter()
            .filter(|c| c.param_i64("chat_id") == Some(chat) || c.method == "answercallbackquery")
            .map(|c| {
                let text: String = c.param_str("text").unwrap_or_default().chars().take(50).collect();
                let outcome = if c.is_ok() { "ok".to_owned() } else { format!("{:?}", c.response) };
                let message = c.param_i64("message_id").map(|m| format!(" message {m}")).unwrap_or_default();
                format!("#{} {}{message} {text:?} -> {outcome}", c.seq, c.method)
            })
            .collect();
        lines.join("\n")
    }

    /// Asserts the newest message contains every piece, waiting for it to arrive (answers are
    /// sent once committed, so a second message of an answer may come a moment later).
    pub async fn expect(&self, pieces: &[&str]) {
        let deadline = Instant::now() + WAIT;
        loop {
            let last = self.last();
            let missing: Vec<&&str> = pieces.iter().filter(|p| !last.contains(**p)).collect();
            if missing.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "chat {}: expected {missing:?} in the last message:\n{last}\n\ncalls for this chat:\n{}",
                self.id(),
                self.call_trace()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Whether a message is news from the others (it carries the mute button).
fn is_news(message: &SentMessage) -> bool {
    message.button_texts().iter().any(|t| t == "🔕 Mute")
}

/// A TCP proxy in front of a database server, to take the database away from the bot (every
/// connection cut, new ones refused, as when the server is down) and give it back.
pub struct DbProxy {
    pub addr: std::net::SocketAddr,
    target: std::net::SocketAddr,
    state: std::sync::Mutex<ProxyState>,
}

#[derive(Default)]
struct ProxyState {
    accept: Option<tokio::task::JoinHandle<()>>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl DbProxy {
    /// Proxies 127.0.0.1:<random port> to the server of the database at `url`.
    pub async fn in_front_of(url: &str) -> DbProxy {
        let server = url::Url::parse(url).unwrap();
        let target = tokio::net::lookup_host((server.host_str().unwrap(), server.port().unwrap_or(5432)))
            .await
            .unwrap()
            .next()
            .unwrap();
        DbProxy::start(target).await
    }

    /// Proxies 127.0.0.1:<random port> to `target`.
    pub async fn start(target: std::net::SocketAddr) -> DbProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let proxy = DbProxy { addr: listener.local_addr().unwrap(), target, state: Default::default() };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let mut state = self.state.lock().unwrap();
        let links = state.links.clone();
        let target = self.target;
        state.accept = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links.lock().unwrap().push(link.abort_handle());
            }
        }));
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url_through(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).expect("a database URL");
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(self.addr.port())).unwrap();
        parsed.to_string()
    }

    /// Down: the port is closed (connections refused) and open connections are cut.
    pub fn set_down(&self) {
        let mut state = self.state.lock().unwrap();
        if let Some(accept) = state.accept.take() {
            accept.abort();
        }
        for link in state.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// Up again, on the same port.
    pub async fn set_up(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr).await.expect("bind the proxy's port again");
        self.serve(listener);
    }
}

impl Drop for DbProxy {
    fn drop(&mut self) {
        self.set_down();
    }
}
