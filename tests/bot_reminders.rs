//! Reminders end to end (issue 13): the real binary against the fake Bot API, on SQLite and
//! PostgreSQL, its clock started a few seconds before a reminder with `CHALLENGE_BOT_NOW`. The
//! reminder arrives once, its one-tap button logs today's number; a person who blocked the bot
//! has their reminders paused. And a kill -9 in the middle of a drain of 1,000 due reminders:
//! after the restart everyone has theirs, and only a send in doubt at the crash may repeat.

mod bot_support;
mod storage_support;
mod support;

use std::collections::HashMap;
use std::time::Duration;

use bot_support::{Chat, TOKEN, WAIT, Workspace, wait_until_polling};
use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::clock::{Clock, ManualTime};
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::reminder::TimeOfDay;
use challenge_bot::user::UserId;
use support::fake_telegram::{FakeTelegram, FakeUser};

const ANN: i64 = 1;
const BOB: i64 = 2;

/// The instant the seed is written at; reminders fall at 09:00 UTC the same day.
const SEEDED_AT: &str = "2026-12-01T08:00:00Z";
/// The bot's clock starts here: eight seconds before them.
const BOT_STARTS_AT: &str = "2026-12-01T08:59:52Z";

/// A challenge by Ann running for a month, with `people` joined and reminded daily at 09:00.
async fn seed(workspace: &Workspace, people: impl IntoIterator<Item = i64>) -> ChallengeId {
    let store = challenge_bot::storage::connect(&workspace.database_url.parse().unwrap()).await.unwrap();
    let app = App::new(store, Clock::Manual(ManualTime::new(SEEDED_AT.parse().unwrap()), chrono_tz::Tz::UTC));
    let draft = ChallengeDraft {
        name: ChallengeName::parse("Run").unwrap(),
        description: Description::default(),
        deadline: "2026-12-31".parse().unwrap(),
        unit: Some(Unit::parse("km").unwrap()),
        goal: Goal::new(GoalKind::Total, Amount::from_whole(100)).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let run = app.create_challenge(UserId(ANN), draft).await.unwrap().id;
    let nine = TimeOfDay::parse("09:00").unwrap();
    for user in people {
        app.join(run, UserId(user), None).await.unwrap();
        app.set_reminder(UserId(user), nine, challenge_bot::handler::Covers::Chosen).await.unwrap();
    }
    run
}

fn reminders_in(fake: &FakeTelegram, chat: i64) -> usize {
    fake.sent_messages(chat).iter().filter(|m| m.text.contains("Time to log today")).count()
}

async fn a_reminder_arrives_once_and_logs_with_one_tap(workspace: Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    seed(&workspace, [BOB]).await;
    let bob = Chat::new(&fake, BOB, "Bob");
    fake.add_private_chat(&FakeUser::new(BOB, "Bob"));
    let started = std::time::Instant::now();
    let bot = workspace.start(&fake, &[("CHALLENGE_BOT_NOW", BOT_STARTS_AT)]);
    wait_until_polling(&fake).await;
    fake.wait_until("Bob's reminder", WAIT, |_| reminders_in(&fake, BOB) == 1).await;
    // The bot's clock reached 09:00 eight seconds after it started, not before.
    assert!(started.elapsed() >= Duration::from_secs(7), "sent after {:?}", started.elapsed());
    let reminder = bob.last();
    assert!(reminder.contains("Run: 0 km so far"), "{reminder}");
    // Its one-tap button asks for today's number.
    bob.press("➕ Run").await;
    bob.expect(&["How many km today?"]).await;
    bob.say("5").await;
    bob.expect(&["Logged"]).await;
    // Still one sent, a few seconds on (the tap replaced its message with the question).
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = fake
        .calls_to("sendMessage")
        .iter()
        .filter(|c| c.param_str("text").is_some_and(|t| t.contains("Time to log today")))
        .count();
    assert_eq!(sent, 1);
    bot.stop().await;
}

async fn blocked_reminders_pause(workspace: Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    seed(&workspace, [BOB]).await;
    fake.add_private_chat(&FakeUser::new(BOB, "Bob"));
    fake.set_user_blocked(BOB, true);
    let bot = workspace.start(&fake, &[("CHALLENGE_BOT_NOW", BOT_STARTS_AT)]);
    wait_until_polling(&fake).await;
    let paused = "SELECT COUNT(*) FROM user_settings WHERE reminders_paused AND due_at IS NULL";
    let deadline = tokio::time::Instant::now() + WAIT;
    while workspace.count(paused).await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "the 403 did not pause the reminders");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Bob unblocks the bot and writes: his reminders are on again.
    fake.set_user_blocked(BOB, false);
    let bob = Chat::new(&fake, BOB, "Bob");
    bob.say("/start").await;
    bob.expect(&["What would you like to do?"]).await;
    let on = "SELECT COUNT(*) FROM user_settings WHERE NOT reminders_paused AND due_at IS NOT NULL";
    assert_eq!(workspace.count(on).await, 1);
    bot.stop().await;
}

async fn a_kill_during_a_drain_of_a_thousand_reminders(workspace: Workspace) {
    const PEOPLE: i64 = 1000;
    let fake = FakeTelegram::start(TOKEN).await;
    let people: Vec<i64> = (100..100 + PEOPLE).collect();
    seed(&workspace, people.iter().copied()).await;
    for user in &people {
        fake.add_private_chat(&FakeUser::new(*user, "Someone"));
    }
    let total = |fake: &FakeTelegram| people.iter().map(|p| reminders_in(fake, *p)).sum::<usize>();
    // 200 a second: the drain takes about five seconds; kill -9 in its middle.
    let paced = [("CHALLENGE_BOT_NOW", BOT_STARTS_AT), ("TELEGRAM_RATE_BULK", "200")];
    let bot = workspace.start(&fake, &paced);
    fake.wait_until("a third of the reminders", Duration::from_secs(60), |_| total(&fake) >= 300).await;
    bot.kill().await;
    let before = total(&fake);
    assert!(before < PEOPLE as usize, "killed before the end of the drain ({before})");
    // What the kill left unsent is stored as due work, so that the next start queues it apart
    // from people's news, as the scheduler did.
    let left = workspace.count("SELECT COUNT(*) FROM bot_outbox").await;
    let due = r#"SELECT COUNT(*) FROM bot_outbox WHERE action LIKE '%"due":true%'"#;
    assert!(left > 0, "the kill left reminders unsent");
    assert_eq!(workspace.count(due).await, left, "every reminder left is marked as due work");
    let bot = workspace
        .start(&fake, &[("TELEGRAM_RATE_BULK", "200"), ("CHALLENGE_BOT_NOW", "2026-12-01T09:00:10Z")]);
    fake.wait_until("everyone's reminder", Duration::from_secs(60), |_| {
        people.iter().all(|p| reminders_in(&fake, *p) >= 1)
    })
    .await;
    workspace.wait_until_outbox_empty().await;
    bot.stop().await;
    let counts: HashMap<i64, usize> = people.iter().map(|p| (*p, reminders_in(&fake, *p))).collect();
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    // A send in doubt at the crash (sent, its removal from the outbox not yet committed) may
    // repeat; nothing else does, and no one has more than two.
    assert!(counts.values().all(|n| *n <= 2), "{repeated:?}");
    assert!(repeated.len() <= 50, "{} repeated: more than the sends in flight at the kill", repeated.len());
    // Nothing is due any more: the schedules all moved to tomorrow.
    let due_today = "SELECT COUNT(*) FROM user_settings WHERE remind_next_at < '2026-12-02'";
    assert_eq!(workspace.count(due_today).await, 0);
}

#[tokio::test]
async fn a_reminder_arrives_once_on_sqlite() {
    a_reminder_arrives_once_and_logs_with_one_tap(Workspace::sqlite()).await;
}

#[tokio::test]
async fn a_reminder_arrives_once_on_postgres() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    a_reminder_arrives_once_and_logs_with_one_tap(Workspace::with_database(guard.url().to_owned())).await;
}

#[tokio::test]
async fn blocked_reminders_pause_on_sqlite() {
    blocked_reminders_pause(Workspace::sqlite()).await;
}

#[tokio::test]
async fn blocked_reminders_pause_on_postgres() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    blocked_reminders_pause(Workspace::with_database(guard.url().to_owned())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_a_reminder_drain_on_sqlite() {
    a_kill_during_a_drain_of_a_thousand_reminders(Workspace::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_during_a_reminder_drain_on_postgres() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    a_kill_during_a_drain_of_a_thousand_reminders(Workspace::with_database(guard.url().to_owned())).await;
}
