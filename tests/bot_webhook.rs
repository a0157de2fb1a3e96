//! Running in production (issue 15), end to end: the real binary's HTTP listener (`/healthz`,
//! `/readyz`, `/metrics`) and webhook mode against the fake Bot API, which registers the
//! webhook's secret and posts updates with it, again and again until it gets a 200, as Telegram
//! does.

mod bot_support;
mod storage_support;
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bot_support::{BotProcess, Chat, DbProxy, TODAY, TOKEN, WAIT, Workspace, wait_until_polling};
use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::user::UserId;
use support::fake_telegram::{FakeTelegram, FakeUser};

const HOOK: &str = "https://bot.example.org/tg/hook-7f3a";
const SECRET: &str = "s3cret_Token-42";

/// Starts the bot in webhook mode and has the fake deliver to it; returns where it listens.
async fn start_webhook_bot(
    workspace: &Workspace,
    fake: &FakeTelegram,
    extra: &[(&str, &str)],
) -> (BotProcess, SocketAddr) {
    let mut env = vec![("TELEGRAM_WEBHOOK_URL", HOOK), ("TELEGRAM_WEBHOOK_SECRET", SECRET)];
    env.extend_from_slice(extra);
    let bot = workspace.start(fake, &env);
    let addr = bot.listen_addr().await;
    fake.wait_until("the webhook to be set", WAIT, |f| f.webhook_url().is_some()).await;
    fake.deliver_webhooks_to(addr);
    (bot, addr)
}

fn update_json(update_id: i64, user: &FakeUser, text: &str) -> serde_json::Value {
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "chat": {"id": user.id, "type": "private", "first_name": "Eve"},
            "from": user.to_json(),
            "text": text,
        }
    })
}

/// Ann and Bob, who write to the bot in private.
fn ann_and_bob(fake: &FakeTelegram) -> (FakeUser, FakeUser) {
    let (ann, bob) = (FakeUser::new(71, "Ann"), FakeUser::new(72, "Bob"));
    fake.add_private_chat(&ann);
    fake.add_private_chat(&bob);
    (ann, bob)
}

/// Posts `update` to the webhook as Telegram does (with the secret); returns the status.
async fn post_update(addr: SocketAddr, update: serde_json::Value) -> u16 {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/tg/hook-7f3a"))
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .json(&update)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The value of a metric line that starts with `series` (name and labels), if there is one.
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find(|l| l.starts_with(series)).and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_handles_each_update_once_and_refuses_strangers() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let (bot, addr) = start_webhook_bot(&workspace, &fake, &[]).await;
    assert_eq!(fake.webhook_secret().as_deref(), Some(SECRET));
    assert_eq!(fake.webhook_url().as_deref(), Some(HOOK));
    assert_eq!(fake.webhook_connections(), 100, "people's updates are handled at once");

    // Updates arrive through the webhook and are answered as when polling.
    let ann = Chat::new(&fake, 1, "Ann");
    ann.say("/start").await;
    ann.expect(&["What would you like to do?"]).await;
    assert!(fake.calls_to("getUpdates").is_empty(), "no polling in webhook mode");
    assert!(fake.webhook_posts().iter().all(|(_, status)| *status == 200), "{:?}", fake.webhook_posts());

    // Requests without the secret, or with a wrong one, are refused and change nothing. Eve's
    // chat exists, so an answer to a refused request would reach the fake: none is counted below.
    let eve = FakeUser::new(66, "Eve");
    fake.add_private_chat(&eve);
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/tg/hook-7f3a");
    let forged = update_json(900_001, &eve, "/start");
    for secret in [None, Some("wrong"), Some(&SECRET[..SECRET.len() - 1])] {
        let mut request = client.post(&url).json(&forged);
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        assert_eq!(request.send().await.unwrap().status().as_u16(), 401, "secret {secret:?}");
    }
    let authentic = |body: reqwest::Body| {
        client
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
            .header("Content-Type", "application/json")
            .body(body)
    };
    let too_big = format!("{{\"update_id\": 900002, \"pad\": \"{}\"}}", "x".repeat(1024 * 1024));
    assert_eq!(authentic(too_big.into()).send().await.unwrap().status().as_u16(), 413);
    assert_eq!(authentic("{not json".into()).send().await.unwrap().status().as_u16(), 400);
    assert_eq!(authentic("{\"no\": \"update id\"}".into()).send().await.unwrap().status().as_u16(), 400);
    let elsewhere = client.post(format!("http://{addr}/tg/other")).json(&forged).send().await.unwrap();
    assert_eq!(elsewhere.status().as_u16(), 404);

    // An update delivered twice (a 200 lost on the way back) is answered once. Had a refused
    // request been taken, it would be in Eve's queue ahead of this one, answered first, and
    // counted (her answers and the updates received).
    let twice = update_json(900_003, &eve, "/start");
    for _ in 0..2 {
        let body = serde_json::to_vec(&twice).unwrap();
        assert_eq!(authentic(body.into()).send().await.unwrap().status().as_u16(), 200);
    }
    fake.wait_until("Eve's answer", WAIT, |f| !f.sent_messages(eve.id).is_empty()).await;
    // A chat's answers go out in commit order: a second answer would come before the next one's.
    let menu = fake.sent_messages(eve.id)[0].text.clone();
    let next = serde_json::to_vec(&update_json(900_004, &eve, "/help")).unwrap();
    assert_eq!(authentic(next.into()).send().await.unwrap().status().as_u16(), 200);
    fake.wait_until("Eve's help", WAIT, |f| f.sent_messages(eve.id).iter().any(|m| m.text != menu)).await;
    assert_eq!(fake.sent_messages(eve.id).len(), 2, "one answer for one update delivered twice");

    // The operator's endpoints.
    assert_eq!(get(addr, "/healthz").await, (200, "ok\n".to_owned()));
    assert_eq!(get(addr, "/readyz").await, (200, "ready\n".to_owned()));
    let (status, metrics) = get(addr, "/metrics").await;
    assert_eq!(status, 200);
    // Ann's /start, Eve's and her /help, once each (the second delivery is recognised, not
    // received anew).
    assert_eq!(metric(&metrics, "updates_received_total{kind=\"message\"}"), Some(3.0), "{metrics}");
    assert_eq!(metric(&metrics, "updates_handled_total{kind=\"message\"}"), Some(3.0), "{metrics}");
    assert!(metrics.contains("update_handling_seconds_bucket"), "{metrics}");
    assert!(metric(&metrics, "webhook_refused_total{reason=\"secret\"}") == Some(3.0), "{metrics}");
    assert!(
        metric(&metrics, "telegram_requests_total{method=\"sendMessage\",result=\"ok\"}").unwrap_or(0.0)
            >= 2.0,
        "{metrics}"
    );
    assert!(metrics.contains("db_pool_connections{state=\"open\"}"), "{metrics}");
    assert!(metrics.contains("outbox_backlog"), "{metrics}");
    assert!(metrics.contains("state_cache_entries"), "{metrics}");
    let log = bot.log_text();
    assert!(!log.contains(SECRET) && !log.contains(TOKEN), "no secret in the log");
    bot.stop().await;
}

/// Telegram posts over many connections at once, so an update can arrive after higher ones
/// were handled (the fake posts one at a time, in order; here the test posts itself): it is
/// handled all the same, and a second delivery of it still changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_posted_after_higher_ones_is_still_handled() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let (bot, addr) = start_webhook_bot(&workspace, &fake, &[]).await;
    let (ann, bob) = ann_and_bob(&fake);
    // 500 and 502 come first and are handled; 501 was slower on its way.
    for (id, user) in [(500, &ann), (502, &ann)] {
        assert_eq!(post_update(addr, update_json(id, user, "/start")).await, 200);
    }
    fake.wait_until("Ann's two answers", WAIT, |f| f.sent_messages(ann.id).len() == 2).await;
    assert_eq!(post_update(addr, update_json(501, &bob, "/start")).await, 200);
    fake.wait_until("Bob's answer", WAIT, |f| !f.sent_messages(bob.id).is_empty()).await;
    let menu = fake.sent_messages(bob.id)[0].text.clone();
    // Delivered again (its 200 lost on the way back): recognised, not answered twice. A chat's
    // answers go out in the order their updates were committed, and a 200 comes only after the
    // commit: had the second delivery been handled, its answer would come before the next one.
    assert_eq!(post_update(addr, update_json(501, &bob, "/start")).await, 200);
    assert_eq!(post_update(addr, update_json(503, &bob, "/help")).await, 200);
    fake.wait_until("Bob's help", WAIT, |f| f.sent_messages(bob.id).iter().any(|m| m.text != menu)).await;
    assert_eq!(fake.sent_messages(bob.id).len(), 2, "one answer for one update delivered twice");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_posted_late_across_a_restart_is_still_handled() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let (bot, addr) = start_webhook_bot(&workspace, &fake, &[]).await;
    let (ann, bob) = ann_and_bob(&fake);
    // 500 and 502 are handled; 501 is still on its way when the bot stops.
    for id in [500, 502] {
        assert_eq!(post_update(addr, update_json(id, &ann, "/start")).await, 200);
    }
    fake.wait_until("Ann's two answers", WAIT, |f| f.sent_messages(ann.id).len() == 2).await;
    bot.stop().await;
    assert_eq!(
        workspace.count("SELECT next_offset FROM bot_offsets").await,
        503,
        "the saved offset is past the update still on its way"
    );

    // Telegram keeps delivering 501 (it never had a 200 for it) to the restarted bot.
    let (bot, addr) = start_webhook_bot(&workspace, &fake, &[]).await;
    assert_eq!(post_update(addr, update_json(501, &bob, "/start")).await, 200);
    fake.wait_until("Bob's answer", WAIT, |f| !f.sent_messages(bob.id).is_empty()).await;
    // 500 delivered again (its 200 lost): recognised from the last run's record, not answered.
    // Ann's next update is answered after it would have been.
    assert_eq!(post_update(addr, update_json(500, &ann, "/start")).await, 200);
    assert_eq!(post_update(addr, update_json(503, &ann, "/help")).await, 200);
    fake.wait_until("Ann's help", WAIT, |f| f.sent_messages(ann.id).len() >= 3).await;
    let texts: Vec<String> = fake.sent_messages(ann.id).into_iter().map(|m| m.text).collect();
    assert_eq!(texts.len(), 3, "500 answered once: {texts:?}");
    assert_ne!(texts[2], texts[0], "the third answer is the help: {texts:?}");
    bot.stop().await;
}

/// A challenge ("Run", total km) with `people` joined, written before the bot starts.
async fn seed_run(workspace: &Workspace, people: &[i64]) -> (App, ChallengeId) {
    let today: chrono::NaiveDate = TODAY.parse().unwrap();
    let store = challenge_bot::storage::connect(&workspace.database_url.parse().unwrap()).await.unwrap();
    let app = App::new(store, Clock::Fixed(today));
    let draft = ChallengeDraft {
        name: ChallengeName::parse("Run").unwrap(),
        description: Description::default(),
        deadline: today + chrono::Days::new(30),
        unit: Some(Unit::parse("km").unwrap()),
        goal: Goal::new(GoalKind::Total, Amount::from_whole(1000)).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let run = app.create_challenge(UserId(999), draft).await.unwrap().id;
    for person in people {
        app.join(run, UserId(*person), None).await.unwrap();
    }
    (app, run)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_mode_loses_nothing_and_applies_nothing_twice_across_kill_9() {
    let workspace = Workspace::sqlite();
    let ids: Vec<i64> = (1..=12).collect();
    let (app, run) = seed_run(&workspace, &ids).await;
    let fake = FakeTelegram::start(TOKEN).await;
    // JSON logs, as a log collector reads them.
    let json_logs = [("RUST_LOG_FORMAT", "json")];
    let (bot, _) = start_webhook_bot(&workspace, &fake, &json_logs).await;
    let people: Vec<FakeUser> = ids.iter().map(|id| FakeUser::new(*id, "Runner")).collect();

    // A burst of progress, each person logging 1 km five times, and the bot killed in the
    // middle of it.
    let mut sent = Vec::new();
    for _ in 0..5 {
        for person in &people {
            sent.push(fake.send_text(person, "/log 1"));
        }
    }
    fake.wait_until("some deliveries", WAIT, |f| {
        f.webhook_posts().iter().filter(|(_, s)| *s == 200).count() >= 5
    })
    .await;
    bot.kill().await;
    let delivered_before = fake.webhook_posts().iter().filter(|(_, s)| *s == 200).count();
    assert!(delivered_before < sent.len(), "killed in the middle ({delivered_before} of {})", sent.len());

    // Restarted, the bot gets the rest as Telegram redelivers it.
    let (bot, _) = start_webhook_bot(&workspace, &fake, &json_logs).await;
    for id in &sent {
        fake.wait_for_confirmation(*id, Duration::from_secs(40)).await;
    }
    let acknowledged: Vec<i64> =
        fake.webhook_posts().iter().filter(|(_, s)| *s == 200).map(|(id, _)| *id).collect();
    for id in &sent {
        assert_eq!(acknowledged.iter().filter(|a| *a == id).count(), 1, "update {id}: {acknowledged:?}");
    }
    for person in &ids {
        let entries = app.progress(run, UserId(*person)).await.unwrap();
        assert_eq!(
            entries.len(),
            5,
            "person {person}: each /log counted once (killed after {delivered_before})"
        );
    }
    bot.stop().await;

    // Every line is a JSON object; those about an update carry its id and its user's, and no
    // line carries what people typed.
    let log = std::fs::read_dir(workspace.dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<String>();
    let mut about_updates = 0;
    for line in log.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(entry["timestamp"].is_string() && entry["level"].is_string(), "{line}");
        if let Some(span) = entry["spans"].as_array().and_then(|s| s.iter().find(|s| s["name"] == "update")) {
            assert!(span["update_id"].is_i64() && span["user"].is_i64(), "{line}");
            about_updates += 1;
        }
        assert!(!line.contains("/log 1"), "a message's text in the log: {line}");
    }
    assert!(about_updates > 0, "some lines are about updates:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    let proxy = DbProxy::in_front_of(&url).await;
    let workspace = Workspace::with_database(proxy.url_through(&url));
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    let addr = bot.listen_addr().await;
    let readiness = |expected: u16| async move {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (status, body) = get(addr, "/readyz").await;
            if status == expected {
                return body;
            }
            assert!(tokio::time::Instant::now() < deadline, "/readyz stayed {status}: {body}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert_eq!(readiness(200).await, "ready\n");
    proxy.set_down();
    let problem = readiness(503).await;
    assert!(problem.starts_with("the database"), "{problem}");
    assert_eq!(get(addr, "/healthz").await.0, 200, "alive while not ready");
    proxy.set_up().await;
    assert_eq!(readiness(200).await, "ready\n");
    bot.stop().await;
}

/// Runs `challenge-bot check` with `env`; returns (exit status, stdout, stderr). (It blocks: the
/// fake Bot API it talks to runs on the test's other worker.)
fn check(dir: &std::path::Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_challenge-bot"));
    command.arg("check").current_dir(dir).env_remove("TELEGRAM_WEBHOOK_URL").env_remove("LISTEN_ADDR");
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_says_what_works_and_one_line_per_problem() {
    let fake = FakeTelegram::start(TOKEN).await;
    let workspace = Workspace::sqlite();
    seed_run(&workspace, &[1]).await;
    let api = fake.api_url();
    let dir = workspace.dir.path().to_owned();
    let url = workspace.database_url.clone();
    let good =
        [("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", api.as_str()), ("DATABASE_URL", url.as_str())];
    let (code, out, err) = tokio::task::block_in_place(|| check(&dir, &good));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("ok  database: ") && out.contains("schema up to date"), "{out}");
    assert!(out.contains(&format!("ok  telegram: the token belongs to @{}", fake.bot_username())), "{out}");
    assert!(out.contains("ok  mode: polling") && out.contains("ok  listener: 127.0.0.1:8080"), "{out}");

    // A missing database and a refused token: one line each, exit status 1, nothing created.
    let missing = format!("sqlite://{}/nowhere.db", dir.display());
    let wrong_token = "111:AAF_another-token-abcdefghijklmnopqrstu";
    let bad = [
        ("TELEGRAM_BOT_TOKEN", wrong_token),
        ("TELEGRAM_API_URL", api.as_str()),
        ("DATABASE_URL", missing.as_str()),
    ];
    let (code, out, err) = tokio::task::block_in_place(|| check(&dir, &bad));
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].starts_with("error: database: ") && lines[0].contains("nowhere.db"), "{err}");
    assert_eq!(lines[1], "error: telegram: the token was refused (check TELEGRAM_BOT_TOKEN)");
    assert!(!dir.join("nowhere.db").exists(), "check creates nothing");
}
