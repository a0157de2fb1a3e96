//! Charts and exports in Telegram (issue 14), end to end: the real binary against the fake Bot
//! API, which checks uploads as Telegram does (a photo must be an image within its limits, a
//! caption at most 1024 characters, a photo's message has no text to edit).

mod bot_support;
mod storage_support;
mod support;

use bot_support::{Chat, TODAY, TOKEN, WAIT, Workspace, wait_until_polling};
use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::user::{DisplayName, UserId};
use support::fake_telegram::{FakeTelegram, SentMessage};

const ANN: i64 = 1;
const BOB: i64 = 2;

/// Ann's "Run" (100 km by 20 days from today), started ten days ago, with Bob in it; both have
/// logged on a few days. Written through the library before the bot starts.
async fn seed(workspace: &Workspace) -> ChallengeId {
    let url = workspace.database_url.parse().unwrap();
    let today: chrono::NaiveDate = TODAY.parse().unwrap();
    let then = App::new(
        challenge_bot::storage::connect(&url).await.unwrap(),
        Clock::Fixed(today - chrono::Days::new(10)),
    );
    let draft = ChallengeDraft {
        name: ChallengeName::parse("Run, \"fast\"").unwrap(),
        description: Description::default(),
        deadline: today + chrono::Days::new(20),
        unit: Some(Unit::parse("km").unwrap()),
        goal: Goal::new(GoalKind::Total, Amount::from_whole(100)).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let run = then.create_challenge(UserId(ANN), draft).await.unwrap().id;
    then.join(run, UserId(BOB), None).await.unwrap();
    then.remember_user(UserId(BOB), &DisplayName::sanitize("Bob, the \"runner\"", UserId(BOB)))
        .await
        .unwrap();
    let app = App::new(challenge_bot::storage::connect(&url).await.unwrap(), Clock::Fixed(today));
    for (user, days_ago, km) in [(ANN, 9, 5), (ANN, 6, 7), (ANN, 2, 4), (BOB, 8, 12), (BOB, 1, 3)] {
        let day = today - chrono::Days::new(days_ago);
        app.add_progress(run, UserId(user), Some(Amount::from_whole(km)), day, None).await.unwrap();
    }
    run
}

/// The newest message with a file of `kind` (`"photo"`, `"document"`) sent after message
/// `after` in the chat, waiting for it (an answer's messages may come a moment apart).
async fn file_after(chat: &Chat<'_>, kind: &str, after: i64) -> SentMessage {
    let newest = || {
        chat.messages()
            .into_iter()
            .rev()
            .find(|m| m.message_id > after && m.media.as_ref().is_some_and(|media| media.kind == kind))
    };
    let what = format!("a {kind} in chat {}", chat.id());
    chat.fake.wait_until(&what, WAIT, |_| newest().is_some()).await;
    newest().unwrap()
}

/// The id of the newest message in the chat.
fn newest_id(chat: &Chat<'_>) -> i64 {
    chat.messages().last().map_or(0, |m| m.message_id)
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let info = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG").info().clone();
    (info.width, info.height)
}

/// The rows of a CSV file, header first.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_and_exports_are_sent_as_telegram_files_on_sqlite() {
    charts_and_exports(&Workspace::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_and_exports_are_sent_as_telegram_files_on_postgres() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    charts_and_exports(&Workspace::with_database(url)).await;
}

async fn charts_and_exports(workspace: &Workspace) {
    let run = seed(workspace).await;
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    let ann = Chat::new(&fake, ANN, "Ann");

    // The chart: a picture of the promised size, with a caption of Ann's figures.
    ann.say("/start").await;
    ann.press("My challenges").await;
    ann.press("Run, \"fast\"").await;
    let before = newest_id(&ann);
    ann.press("📈 Chart").await;
    let chart = file_after(&ann, "photo", before).await;
    let media = chart.media.clone().unwrap();
    let png = media.bytes.expect("an uploaded picture");
    assert_eq!(png_size(&png), (1000, 600));
    assert_eq!(media.dimensions, Some((1000, 600)));
    assert_eq!(media.file_name.as_deref(), Some(format!("chart-{}-{ANN}.png", run.0).as_str()));
    assert!(chart.text.contains("📈 Run, \"fast\""), "{}", chart.text);
    assert!(chart.text.contains("You: 1st of 2 · 16 km"), "{}", chart.text);
    assert!(chart.text.contains("behind pace"), "{}", chart.text);

    // Her own entries: another picture.
    ann.press("📊 My entries chart").await;
    let personal = file_after(&ann, "photo", chart.message_id).await;
    assert_ne!(personal.message_id, chart.message_id);
    let personal_png = personal.media.unwrap().bytes.unwrap();
    assert_eq!(png_size(&personal_png), (1000, 600));
    assert_ne!(personal_png, png);

    // A picture's message has no text to replace: the challenge's screen comes as a new message,
    // without a refused edit first.
    ann.press("Back to challenge").await;
    ann.expect(&["Your goal: 100 km"]).await;
    assert!(ann.messages().last().unwrap().media.is_none());
    assert!(
        fake.calls_to("editMessageText").iter().all(|c| c.is_ok()),
        "no edit of a picture's message:\n{}",
        ann.call_trace()
    );

    // /export: her own entries as a CSV document.
    let before = newest_id(&ann);
    ann.say("/export").await;
    let export = file_after(&ann, "document", before).await;
    assert!(export.text.contains("3 entries"), "{}", export.text);
    let rows = csv_rows(&export.media.unwrap().bytes.unwrap());
    assert_eq!(rows[0], ["challenge_id", "challenge", "date", "value", "unit", "logged_at"]);
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(
        rows[1][..5],
        [run.0.to_string(), "Run, \"fast\"".into(), "2026-02-20".into(), "5".into(), "km".into()]
    );

    // The creator's export of everyone's entries names people, never by their Telegram ids.
    ann.press("Main menu").await;
    ann.expect(&["What would you like to do?"]).await;
    ann.press("My challenges").await;
    ann.press("Run, \"fast\"").await;
    ann.press("Manage challenge").await;
    let before = newest_id(&ann);
    ann.press("📄 Export everyone's entries").await;
    let everyone = file_after(&ann, "document", before).await;
    let rows = csv_rows(&everyone.media.unwrap().bytes.unwrap());
    assert_eq!(rows[0][2], "name");
    assert_eq!(rows.len(), 6, "{rows:?}");
    let names: Vec<&str> = rows[1..].iter().map(|r| r[2].as_str()).collect();
    assert!(names.contains(&"Bob, the \"runner\""), "{names:?}");
    assert!(names.contains(&"Ann"), "{names:?}");

    // Bob is not the creator: a forged export button is refused, and no file is sent.
    let bob = Chat::new(&fake, BOB, "Bob");
    bob.say("/start").await;
    let menu = bob.messages().last().unwrap().message_id;
    let after = fake.call_count();
    let update = fake.press_button_unchecked(&bob.user, BOB, menu, &format!("v1:xc:{}", run.0));
    fake.wait_for_confirmation(update, WAIT).await;
    bob.wait_for_answer(after).await;
    assert!(fake.calls_to("sendDocument").iter().all(|c| c.param_i64("chat_id") != Some(BOB)));
    assert!(bob.last().contains("creator"), "{}", bob.last());

    // Nothing logged yet: /export says so instead of sending an empty file.
    let cy = Chat::new(&fake, 3, "Cy");
    cy.say("/export").await;
    assert!(cy.last().contains("nothing to export"), "{}", cy.last());

    bot.stop().await;
}
