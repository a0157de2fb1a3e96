//! The Mini App dashboard in a real browser (issue 16): headless Chromium, driven through
//! ChromeDriver (WebDriver, with fantoccini), opens the real binary's `/app` as Telegram would,
//! with a signed `initData` for a test user and the theme in the address's hash, read by a
//! stand-in for Telegram's script. It logs progress through the form; the new total shows in
//! the page and in `challenge show`. Screenshots at 360×740 in the light and the dark theme
//! are written under `target/tmp/miniapp/` and checked for content, colours and width.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them when missing). The
//! test fails without them, saying so; `CHALLENGE_BOT_SKIP_BROWSER=1` skips it by choice.

mod bot_support;
mod cli_support;
mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bot_support::{TODAY, TOKEN, Workspace, wait_until_polling};
use challenge_bot::protocol::miniapp::init_data::sign;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use support::fake_telegram::FakeTelegram;

const STUB: &str = include_str!("support/telegram-web-app.js");
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const WAIT: Duration = Duration::from_secs(20);

/// Serves the stand-in for Telegram's script on a port of its own.
async fn serve_stub() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/telegram-web-app.js",
        axum::routing::get(|| async { ([("content-type", "application/javascript")], STUB) }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// ChromeDriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, port };
    let deadline = Instant::now() + WAIT;
    loop {
        let ready = reqwest::get(format!("http://127.0.0.1:{port}/status")).await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return driver;
        }
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Headless Chromium at a phone's size, cut off from the network it would otherwise look for.
async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            // A phone's screen: headless windows have a minimum width above 360.
            "mobileEmulation": { "deviceMetrics": { "width": 360, "height": 740, "pixelRatio": 1.0 } },
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                "--window-size=360,740", "--force-device-scale-factor=1",
                format!("--user-data-dir={}", tempfile::tempdir().unwrap().keep().display()),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("miniapp");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Decodes a PNG: its size, how many distinct colours it has, and its mean luminance (0–1).
fn examine(png_bytes: &[u8]) -> (u32, u32, usize, f64) {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buffer = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    let channels = info.color_type.samples();
    let pixels = &buffer[..info.buffer_size()];
    let mut colours = std::collections::HashSet::new();
    let mut luminance = 0.0;
    let mut count = 0usize;
    for px in pixels.chunks(channels) {
        let (r, g, b) = (px[0], px[1.min(channels - 1)], px[2.min(channels - 1)]);
        colours.insert((r, g, b));
        luminance += (0.2126 * f64::from(r) + 0.7152 * f64::from(g) + 0.0722 * f64::from(b)) / 255.0;
        count += 1;
    }
    (info.width, info.height, colours.len(), luminance / count as f64)
}

/// Takes a screenshot, writes it under target/, and checks it shows something in the theme.
async fn screenshot(client: &Client, name: &str, dark: bool) {
    let bytes = client.screenshot().await.expect("a screenshot");
    let path = screenshots_dir().join(format!("{name}.png"));
    std::fs::write(&path, &bytes).unwrap();
    let (width, height, colours, luminance) = examine(&bytes);
    assert_eq!((width, height), (360, 740), "{}", path.display());
    assert!(colours >= 20, "{} is nearly blank: {colours} colours", path.display());
    if dark {
        assert!(luminance < 0.35, "{} is not dark: mean luminance {luminance:.2}", path.display());
    } else {
        assert!(luminance > 0.65, "{} is not light: mean luminance {luminance:.2}", path.display());
    }
    // Nothing wider than a phone's screen.
    let widths = client
        .execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![])
        .await
        .unwrap();
    let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
    assert!(scroll <= inner, "{name}: the page scrolls sideways ({scroll} > {inner})");
}

async fn wait_for_text(client: &Client, css: &str, text: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await
            && let Ok(shown) = element.text().await
            && shown.contains(text)
        {
            return shown;
        }
        if Instant::now() > deadline {
            let page = client.source().await.unwrap_or_default();
            panic!("{css} did not come to say {text:?}; the page:\n{page}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn launch_url(app: SocketAddr, init_data: &str, dark: bool) -> String {
    let theme = if dark {
        json!({"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499", "link_color": "#6ab3f3",
               "button_color": "#5288c1", "button_text_color": "#ffffff", "secondary_bg_color": "#232e3c",
               "section_bg_color": "#1d2733", "accent_text_color": "#6ab2f2", "destructive_text_color": "#ec3942"})
    } else {
        json!({"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999", "link_color": "#2481cc",
               "button_color": "#2481cc", "button_text_color": "#ffffff", "secondary_bg_color": "#efeff3",
               "section_bg_color": "#f4f4f7", "accent_text_color": "#2481cc", "destructive_text_color": "#cc2929"})
    };
    let hash = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("tgWebAppData", init_data)
        .append_pair("tgWebAppVersion", "8.0")
        .append_pair("tgWebAppPlatform", "android")
        .append_pair("tgWebAppThemeParams", &theme.to_string())
        .append_pair("tgWebAppColorScheme", if dark { "dark" } else { "light" })
        .finish();
    // The query makes each theme a fresh load (Telegram's script reads the hash once).
    format!("http://{app}/app?theme={}#{hash}", if dark { "dark" } else { "light" })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_progress_in_the_dashboard_in_a_real_browser() {
    if std::env::var("CHALLENGE_BOT_SKIP_BROWSER").is_ok_and(|v| v == "1") {
        eprintln!("skipped by CHALLENGE_BOT_SKIP_BROWSER=1");
        return;
    }
    for tool in [CHROMEDRIVER, CHROMIUM] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (apt-get install chromium \
             chromium-driver), or set CHALLENGE_BOT_SKIP_BROWSER=1 to skip this test"
        );
    }
    let workspace = Workspace::sqlite();
    let cli = cli_support::Bot::with_url(workspace.database_url.clone(), (), TODAY);
    cli.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--user-name",
        "Ann",
        "--name",
        "Run 🏃 <far>",
        "--deadline",
        "2026-03-31",
        "--goal",
        "100",
        "--unit",
        "km",
    ]);
    cli.ok(&["challenge", "join", "1", "--user", "2", "--user-name", "Bob with a rather long name indeed"]);
    cli.ok(&["progress", "add", "1", "--user", "2", "10", "--date", "2026-03-01"]);
    cli.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Meditate",
        "--deadline",
        "2026-03-20",
        "--goal",
        "10",
        "--kind",
        "days",
    ]);

    let stub = serve_stub().await;
    let fake = FakeTelegram::start(TOKEN).await;
    let script = format!("http://{stub}/telegram-web-app.js");
    let bot = workspace
        .start(&fake, &[("MINIAPP_URL", "https://bot.example.org/app"), ("MINIAPP_SCRIPT_URL", &script)]);
    wait_until_polling(&fake).await;
    let app = bot.listen_addr().await;

    let user = json!({"id": 1, "first_name": "Ann", "language_code": "en"}).to_string();
    let auth_date = chrono::Utc::now().timestamp().to_string();
    let init_data = sign(&[("query_id", "AAE1"), ("user", &user), ("auth_date", &auth_date)], TOKEN);

    let driver = start_driver().await;
    let client = browser(&driver).await;

    // Light theme: the person's challenges.
    client.goto(&launch_url(app, &init_data, false)).await.unwrap();
    wait_for_text(&client, "main", "Meditate").await;
    let home = wait_for_text(&client, "main", "Run 🏃 <far>").await;
    assert!(home.contains("0 / 100 km"), "{home}");
    screenshot(&client, "home-light", false).await;

    // A challenge: log 5 km through the form.
    let card = client.find(Locator::Css("a.card[data-challenge='1']")).await.unwrap();
    card.click().await.unwrap();
    let form = client.wait().at_most(WAIT).for_element(Locator::Css("#log-form")).await.unwrap();
    let value = form.find(Locator::Css("input[name=value]")).await.unwrap();
    value.send_keys("5").await.unwrap();
    form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    let said = wait_for_text(&client, "#log-form .message", "Logged 5 km").await;
    assert!(said.contains("for today"), "{said}");
    let standing = wait_for_text(&client, ".mine .figures", "5 / 100 km").await;
    assert!(standing.contains("5%"), "{standing}");
    let board = client.find(Locator::Css("ol.board")).await.unwrap().text().await.unwrap();
    assert!(board.contains("Bob with a rather long name indeed"), "{board}");
    screenshot(&client, "challenge-light", false).await;

    // Telegram's back button is shown on a challenge and leads back to the list.
    let shown = client.execute("return Telegram.WebApp.BackButton.isVisible;", vec![]).await.unwrap();
    assert_eq!(shown, json!(true));
    client.execute("Telegram.WebApp.BackButton.press();", vec![]).await.unwrap();
    wait_for_text(&client, "main", "My challenges").await;
    let shown = client.execute("return Telegram.WebApp.BackButton.isVisible;", vec![]).await.unwrap();
    assert_eq!(shown, json!(false), "hidden on the list");

    // The same total where scripts look.
    let shown = cli.json(&["challenge", "show", "1"]);
    let ann = shown["leaderboard"].as_array().unwrap().iter().find(|r| r["user_id"] == 1).cloned().unwrap();
    assert_eq!(ann["standing"], 5.0, "{shown}");

    // Dark theme: Telegram's colours, from its theme parameters.
    client.goto(&launch_url(app, &init_data, true)).await.unwrap();
    wait_for_text(&client, "main", "5 / 100 km").await;
    let background =
        client.execute("return getComputedStyle(document.body).backgroundColor;", vec![]).await.unwrap();
    assert_eq!(background, json!("rgb(23, 33, 43)"), "the theme's bg_color");
    screenshot(&client, "home-dark", true).await;
    client.find(Locator::Css("a.card[data-challenge='1']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, ".mine .figures", "5 / 100 km").await;
    screenshot(&client, "challenge-dark", true).await;

    // A check-in challenge's one-tap form.
    client.goto(&launch_url(app, &init_data, false)).await.unwrap();
    wait_for_text(&client, "main", "Meditate").await;
    client.find(Locator::Css("a.card[data-challenge='2']")).await.unwrap().click().await.unwrap();
    let form = client.wait().at_most(WAIT).for_element(Locator::Css("#log-form")).await.unwrap();
    form.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "#log-form .message", "Checked in for today").await;
    // A second tap: the chat's refusal, shown in the form.
    client.find(Locator::Css("#log-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "#log-form .message", "one check-in per day").await;

    // Changing the 5 km entry to 7, then deleting it.
    client.goto(&launch_url(app, &init_data, false)).await.unwrap();
    wait_for_text(&client, "main", "Run").await;
    client.find(Locator::Css("a.card[data-challenge='1']")).await.unwrap().click().await.unwrap();
    let edit = client.wait().at_most(WAIT).for_element(Locator::Css("ul.entries [data-edit]")).await.unwrap();
    edit.click().await.unwrap();
    let value = client.find(Locator::Css("form.edit input[name=value]")).await.unwrap();
    value.clear().await.unwrap();
    value.send_keys("7").await.unwrap();
    client.find(Locator::Css("form.edit button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "#log-form .message", "Entry changed: 7 km").await;
    wait_for_text(&client, ".mine .figures", "7 / 100 km").await;
    client.find(Locator::Css("ul.entries [data-delete]")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "#log-form .message", "Entry deleted").await;
    wait_for_text(&client, ".mine .figures", "0 / 100 km").await;
    let shown = cli.json(&["challenge", "show", "1"]);
    let ann = shown["leaderboard"].as_array().unwrap().iter().find(|r| r["user_id"] == 1).cloned().unwrap();
    assert_eq!(ann["standing"], 0.0, "{shown}");

    client.close().await.unwrap();
    bot.stop().await;
}
