//! The Mini App dashboard (issue 16) through the real binary's listener: the menu button and
//! the main menu's "🗂 Open dashboard" when `MINIAPP_URL` is set, the JSON API and the HTML
//! parts behind Telegram's `initData` check (401 for missing, forged, stale or another bot's
//! data, nothing touched), and progress logged from the dashboard under the chat's rules, once
//! per key, with the news it makes for the others. On SQLite and PostgreSQL.

mod bot_support;
mod cli_support;
mod storage_support;
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bot_support::{BotProcess, Chat, TODAY, TOKEN, WAIT, Workspace, wait_until_polling};
use challenge_bot::protocol::miniapp::init_data::sign;
use serde_json::{Value, json};
use support::fake_telegram::{FakeTelegram, FakeUser};

const DASHBOARD: &str = "https://bot.example.org/app";
const STUB_SCRIPT: &str = "http://127.0.0.1:9/telegram-web-app.js";

/// `initData` for `user` signed with `token`, `age` seconds old.
fn init_data(user: i64, first_name: &str, token: &str, age: i64) -> String {
    let auth_date = (chrono::Utc::now().timestamp() - age).to_string();
    let user = json!({ "id": user, "first_name": first_name, "language_code": "en" }).to_string();
    sign(&[("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"), ("user", &user), ("auth_date", &auth_date)], token)
}

struct Dashboard {
    addr: SocketAddr,
    client: reqwest::Client,
}

impl Dashboard {
    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> (u16, String) {
        let mut request = self.client.request(method, format!("http://{}{path}", self.addr));
        if let Some(auth) = auth {
            request = request.header("Authorization", format!("tma {auth}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the listener answers");
        (response.status().as_u16(), response.text().await.expect("a body"))
    }

    async fn get(&self, path: &str, auth: Option<&str>) -> (u16, String) {
        self.request(reqwest::Method::GET, path, auth, None).await
    }

    async fn post(&self, path: &str, auth: &str, body: Value) -> (u16, Value) {
        let (status, text) = self.request(reqwest::Method::POST, path, Some(auth), Some(body)).await;
        (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON, got {status}: {text}")))
    }
}

async fn start(
    workspace: &Workspace,
    fake: &FakeTelegram,
    extra: &[(&str, &str)],
) -> (BotProcess, Dashboard) {
    let mut env = vec![("MINIAPP_SCRIPT_URL", STUB_SCRIPT)];
    env.extend_from_slice(extra);
    let bot = workspace.start(fake, &env);
    wait_until_polling(fake).await;
    let addr = bot.listen_addr().await;
    (bot, Dashboard { addr, client: reqwest::Client::new() })
}

fn cli(workspace: &Workspace) -> cli_support::Bot {
    cli_support::Bot::with_url(workspace.database_url.clone(), (), TODAY)
}

async fn the_dashboard_logs_progress_as_the_chat_does(workspace: Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    let cli = cli(&workspace);
    cli.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--user-name",
        "Ann",
        "--name",
        "Run <b>far</b>",
        "--deadline",
        "2026-03-31",
        "--goal",
        "100",
        "--unit",
        "km",
    ]);
    cli.ok(&["challenge", "join", "1", "--user", "2", "--user-name", "<i>Bob</i>"]);
    cli.ok(&["progress", "add", "1", "--user", "2", "10"]);
    cli.ok(&[
        "challenge",
        "create",
        "--user",
        "3",
        "--name",
        "Someone else's",
        "--deadline",
        "2026-03-31",
        "--goal",
        "5",
    ]);
    let bob = FakeUser::new(2, "Bob");
    fake.add_private_chat(&bob);

    let (bot, app) = start(&workspace, &fake, &[("MINIAPP_URL", DASHBOARD)]).await;

    // The chat's menu button and the main menu open the dashboard.
    let menu_button = fake.default_menu_button();
    assert_eq!(menu_button["type"], "web_app", "{menu_button}");
    assert_eq!(menu_button["web_app"]["url"], DASHBOARD);
    let ann_chat = Chat::new(&fake, 1, "Ann");
    ann_chat.say("/start").await;
    let menu = fake.last_message(1).expect("the menu");
    let open = menu.inline_buttons().into_iter().find(|b| b.text == "🗂 Open dashboard").expect("the button");
    assert_eq!(open.web_app.as_deref(), Some(DASHBOARD));

    // The page loads the configured script; it carries no data.
    let (status, page) = app.get("/app", None).await;
    assert_eq!(status, 200);
    assert!(page.contains(STUB_SCRIPT), "{page}");

    let ann = init_data(1, "Ann", TOKEN, 60);
    let entries = "SELECT COUNT(*) FROM progress_entries";
    let before = workspace.count(entries).await;

    // Refused: nothing, forged, stale, another bot's.
    let forged = ann.replace("%22id%22%3A1%2C", "%22id%22%3A2%2C");
    assert_ne!(forged, ann, "the user field was changed");
    let stale = init_data(1, "Ann", TOKEN, 2 * 86_400);
    let other_bot = init_data(1, "Ann", "111111:BBB_other-bot-token-abcdefghijklmnopqr", 60);
    for (what, auth) in [
        ("missing", None),
        ("forged", Some(&forged)),
        ("stale", Some(&stale)),
        ("another bot's", Some(&other_bot)),
    ] {
        let (status, _) = app.get("/app/api/challenges", auth.map(String::as_str)).await;
        assert_eq!(status, 401, "{what} initData reads nothing");
        let (status, _) = app
            .request(
                reqwest::Method::POST,
                "/app/api/challenges/1/progress",
                auth.map(String::as_str),
                Some(json!({"value": "50"})),
            )
            .await;
        assert_eq!(status, 401, "{what} initData logs nothing");
    }
    assert_eq!(workspace.count(entries).await, before, "refused requests stored nothing");

    // The person's challenges with their standing.
    let (status, body) = app.get("/app/api/challenges", Some(&ann)).await;
    assert_eq!(status, 200, "{body}");
    let home: Value = serde_json::from_str(&body).unwrap();
    let cards = home["challenges"].as_array().unwrap();
    assert_eq!(cards.len(), 1, "only Ann's own challenge: {home}");
    assert_eq!(cards[0]["name"], "Run <b>far</b>");
    assert_eq!(cards[0]["standing"], 0.0);
    assert_eq!(cards[0]["place"], 2);
    assert!(cards[0]["pace"].is_object(), "a total goal has a pace: {home}");

    // Logged once per key, with the chat's words, passing Bob.
    let (status, logged) =
        app.post("/app/api/challenges/1/progress", &ann, json!({"value": "12", "key": "tap-1"})).await;
    assert_eq!(status, 200, "{logged}");
    assert_eq!(logged["standing"], 12.0);
    assert_eq!(logged["duplicate"], false);
    assert!(logged["message"].as_str().unwrap().contains("Logged 12 km for today"), "{logged}");
    let (status, again) =
        app.post("/app/api/challenges/1/progress", &ann, json!({"value": "12", "key": "tap-1"})).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["duplicate"], true, "a double tap logs once: {again}");
    assert_eq!(again["entry"]["id"], logged["entry"]["id"]);
    let (status, reused) =
        app.post("/app/api/challenges/1/progress", &ann, json!({"value": "13", "key": "tap-1"})).await;
    assert_eq!(status, 409, "{reused}");
    assert!(reused["error"].as_str().unwrap().contains("already used"), "{reused}");
    assert_eq!(workspace.count(entries).await, before + 1);

    // Bob hears that Ann passed him, as news from the chat would say it.
    fake.wait_until("Bob's news", WAIT, |f| {
        f.sent_messages(2).iter().any(|m| m.text.contains("Ann passed you"))
    })
    .await;

    // The chat's rules and errors.
    let (status, ambiguous) =
        app.post("/app/api/challenges/1/progress", &ann, json!({"value": "1,500"})).await;
    assert_eq!(status, 422, "{ambiguous}");
    assert!(ambiguous["error"].as_str().unwrap().contains("could be read two ways"), "{ambiguous}");
    let (status, future) =
        app.post("/app/api/challenges/1/progress", &ann, json!({"value": "1", "date": "2026-03-05"})).await;
    assert_eq!(status, 422, "{future}");
    let (status, stranger) = app.post("/app/api/challenges/2/progress", &ann, json!({"value": "1"})).await;
    assert_eq!(status, 404, "{stranger}");
    let (status, missing) = app.get("/app/api/challenges/2", Some(&ann)).await;
    assert_eq!(status, 404, "another's challenge is not shown: {missing}");
    let (status, yesterday) =
        app.post("/app/api/challenges/1/progress", &ann, json!({"value": 3, "date": "2026-02-28"})).await;
    assert_eq!(status, 422, "before the challenge started: {yesterday}");

    // The challenge's page as data and as HTML, names escaped by the template engine.
    let (status, body) = app.get("/app/api/challenges/1", Some(&ann)).await;
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["card"]["standing"], 12.0);
    assert_eq!(page["card"]["place"], 1);
    assert_eq!(page["leaderboard"][0]["name"], "Ann");
    assert_eq!(page["leaderboard"][1]["name"], "<i>Bob</i>");
    let entry = page["entries"][0]["id"].as_i64().unwrap();
    let (status, html) = app.get("/app/api/view/challenges/1", Some(&ann)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("&lt;i&gt;Bob&lt;/i&gt;"), "{html}");
    assert!(!html.contains("<i>Bob</i>"), "{html}");
    assert!(html.contains("Run &lt;b&gt;far&lt;/b&gt;"), "{html}");
    assert!(html.contains("<svg"), "the chart is drawn: {html}");
    let (status, home_html) = app.get("/app/api/view/home", Some(&ann)).await;
    assert_eq!(status, 200);
    assert!(home_html.contains("12 / 100 km"), "{home_html}");

    // Editing and deleting an entry.
    let (status, edited) = app
        .request(
            reqwest::Method::PATCH,
            &format!("/app/api/entries/{entry}"),
            Some(&ann),
            Some(json!({"value": "15"})),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let shown = cli.json(&["challenge", "show", "1"]);
    let ann_line = shown["leaderboard"].as_array().unwrap().iter().find(|r| r["user_id"] == 1).cloned();
    assert_eq!(ann_line.expect("Ann's line")["standing"], 15.0, "{shown}");
    let (status, _) = app
        .request(reqwest::Method::DELETE, &format!("/app/api/entries/{entry}"), Some(&bob_auth()), None)
        .await;
    assert_eq!(status, 404, "Bob cannot delete Ann's entry");
    let (status, deleted) =
        app.request(reqwest::Method::DELETE, &format!("/app/api/entries/{entry}"), Some(&ann), None).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(workspace.count(entries).await, before);

    bot.stop().await;
}

fn bob_auth() -> String {
    init_data(2, "Bob", TOKEN, 60)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_logs_progress_as_the_chat_does_on_sqlite() {
    the_dashboard_logs_progress_as_the_chat_does(Workspace::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_logs_progress_as_the_chat_does_on_postgres() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    the_dashboard_logs_progress_as_the_chat_does(Workspace::with_database(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_public_address_there_is_no_menu_button() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let (bot, app) = start(&workspace, &fake, &[]).await;
    assert_eq!(fake.default_menu_button()["type"], "default");
    let ann_chat = Chat::new(&fake, 1, "Ann");
    ann_chat.say("/start").await;
    let menu = fake.last_message(1).expect("the menu");
    assert!(menu.inline_buttons().iter().all(|b| b.web_app.is_none()), "{:?}", menu.inline_buttons());
    // Served all the same (someone may open it through a proxy of their own).
    let (status, _) = app.get("/app", None).await;
    assert_eq!(status, 200);
    let (status, home) = app.get("/app/api/challenges", Some(&init_data(1, "Ann", TOKEN, 5))).await;
    assert_eq!(status, 200);
    assert!(home.contains("\"challenges\":[]"), "{home}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_address_must_be_https() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let mut bot = workspace.start(&fake, &[("MINIAPP_URL", "http://bot.example.org/app")]);
    let status = bot.wait(Duration::from_secs(15)).await.expect("the bot exits");
    assert_eq!(status.code(), Some(2), "a usage error");
    let log = bot.log_text();
    assert!(log.contains("MINIAPP_URL is not valid"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_is_served_in_webhook_mode_too() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    cli(&workspace).ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Read",
        "--deadline",
        "2026-03-31",
        "--goal",
        "12",
        "--unit",
        "books",
    ]);
    let bot = workspace.start(
        &fake,
        &[
            ("TELEGRAM_WEBHOOK_URL", "https://bot.example.org/tg/hook-9"),
            ("MINIAPP_URL", DASHBOARD),
            ("MINIAPP_SCRIPT_URL", STUB_SCRIPT),
        ],
    );
    let addr = bot.listen_addr().await;
    fake.wait_until("the webhook to be set", WAIT, |f| f.webhook_url().is_some()).await;
    fake.deliver_webhooks_to(addr);
    fake.wait_until("the menu button", WAIT, |f| f.default_menu_button()["type"] == "web_app").await;
    let app = Dashboard { addr, client: reqwest::Client::new() };
    let ann = init_data(1, "Ann", TOKEN, 5);
    let (status, logged) = app.post("/app/api/challenges/1/progress", &ann, json!({"value": "1 book"})).await;
    assert_eq!(status, 200, "{logged}");
    assert_eq!(logged["standing"], 1.0);
    let (status, home) = app.get("/app/api/view/home", Some(&ann)).await;
    assert_eq!(status, 200);
    assert!(home.contains("1 / 12 books"), "{home}");
    // The scheme's name in any case; one person's data kept out of shared caches.
    let response = app
        .client
        .get(format!("http://{addr}/app/api/challenges"))
        .header("Authorization", format!("TMA {ann}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    // The page runs only its own script and Telegram's.
    let page = app.client.get(format!("http://{addr}/app")).send().await.unwrap();
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'sha256-") && policy.contains(STUB_SCRIPT), "{policy}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_changes_is_limited() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    cli(&workspace).ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Run",
        "--deadline",
        "2026-03-31",
        "--goal",
        "1000",
    ]);
    let (bot, app) = start(&workspace, &fake, &[]).await;
    let ann = init_data(1, "Ann", TOKEN, 5);
    let mut limited = None;
    let mut logged = 0;
    for n in 0..40 {
        let (status, body) = app
            .post("/app/api/challenges/1/progress", &ann, json!({"value": "1", "key": format!("k{n}")}))
            .await;
        match status {
            200 => logged += 1,
            429 => {
                limited = Some(body);
                break;
            }
            other => panic!("{other}: {body}"),
        }
    }
    let limited = limited.expect("a burst of 40 changes is limited");
    assert!(limited["error"].as_str().unwrap().contains("please wait"), "{limited}");
    assert!((20..=25).contains(&logged), "a burst of about 20 goes through: {logged}");
    assert_eq!(
        workspace.count("SELECT COUNT(*) FROM progress_entries").await,
        logged,
        "the refused one stored nothing"
    );
    // Another person is not held back.
    let bob = init_data(2, "Bob", TOKEN, 5);
    let (status, _) = app.get("/app/api/challenges", Some(&bob)).await;
    assert_eq!(status, 200);
    bot.stop().await;
}
