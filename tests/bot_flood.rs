//! One person's flood must never stall everyone else (issue 9): the real binary, Telegram's pace
//! of one message a second per chat, and a user who sends a thousand messages at once.

mod bot_support;
mod storage_support;
mod support;

use bot_support::{Chat, TODAY, TOKEN, WAIT, Workspace, wait_until_polling};
use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeName, Description};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::user::UserId;
use support::fake_telegram::{FakeTelegram, FakeUser};

const RUN: &str = "Run";
const LOGGERS: i64 = 100;
const OTHERS: i64 = 200;

/// "Run" (created by user 1) with every logger joined and its news muted, written before the
/// bot starts.
async fn seed(workspace: &Workspace) {
    let store = challenge_bot::storage::connect(&workspace.database_url.parse().unwrap()).await.unwrap();
    let today = TODAY.parse().unwrap();
    let app = App::new(store, Clock::Fixed(today));
    let draft = ChallengeDraft {
        name: ChallengeName::parse(RUN).unwrap(),
        description: Description::default(),
        deadline: today + chrono::Days::new(30),
        unit: Some(challenge_bot::challenge::Unit::parse("km").unwrap()),
        goal: Goal::new(GoalKind::Total, Amount::from_whole(1000)).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    let run = app.create_challenge(UserId(1), draft).await.unwrap();
    for n in 0..LOGGERS {
        app.join(run.id, logger_id(n), None).await.unwrap();
        // News ("Ann passed you") is paced per chat like any message and has its own tests
        // (bot_news.rs); here it would only stretch the drain by how the entries interleave.
        app.set_news_muted(logger_id(n), run.id, true).await.unwrap();
    }
}

fn logger_id(n: i64) -> UserId {
    UserId(30_000 + n)
}

/// Three entries of 1 km through the normal flow: the challenge's screen, Add progress, 1, Today,
/// then Add more, 1, Today twice.
async fn log_three(user: &Chat<'_>) {
    user.say("/start").await;
    user.press("My challenges").await;
    user.press(RUN).await;
    user.press("Add progress").await;
    for round in 0..3 {
        if round > 0 {
            user.press("Add more").await;
        }
        user.say("1").await;
        user.press("Today").await;
        user.expect(&["Logged 1 km"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_messages_from_one_person_stall_nobody() {
    let workspace = Workspace::sqlite();
    seed(&workspace).await;
    let fake = FakeTelegram::start(TOKEN).await;
    // Telegram's pace per chat (one a second, short bursts); no overall limit, to see the bot.
    let bot = workspace.start(&fake, &[("TELEGRAM_RATE_PER_CHAT", "1"), ("TELEGRAM_RATE_GLOBAL", "0")]);
    wait_until_polling(&fake).await;

    let flooder = FakeUser::new(20_000, "Flo");
    let loggers: Vec<Chat> = (0..LOGGERS).map(|n| Chat::new(&fake, logger_id(n).0, "Logger")).collect();
    let others: Vec<FakeUser> = (0..OTHERS).map(|n| FakeUser::new(40_000 + n, "Other")).collect();

    let mut flood_last = 0;
    for _ in 0..1000 {
        flood_last = fake.send_text(&flooder, "/help");
    }
    for other in &others {
        fake.send_text(other, "/start");
    }
    // During the flood, 300 entries through the normal flow.
    futures_join_all(loggers.iter().map(log_three)).await;

    for other in &others {
        fake.wait_for_messages(other.id, 1, WAIT).await;
    }
    fake.wait_for_confirmation(flood_last, WAIT).await;
    workspace.wait_until_outbox_empty().await;

    // Everyone else was answered before the flooder's last message (the screen it gets once
    // its chat is quiet), and the flooder got at most 10.
    let calls = fake.calls();
    let to = |chat: i64| {
        calls
            .iter()
            .filter(move |c| c.method == "sendmessage" && c.is_ok() && c.param_i64("chat_id") == Some(chat))
            .map(|c| c.seq)
    };
    let flooder_messages: Vec<usize> = to(flooder.id).collect();
    let flooders_last = *flooder_messages.last().expect("the flooder was answered");
    for other in &others {
        let first = to(other.id).next().expect("answered");
        assert!(first < flooders_last, "user {} was answered after the flooder's last message", other.id);
    }
    assert!(flooder_messages.len() <= 10, "the flood cost the flooder {} messages", flooder_messages.len());
    let texts: Vec<String> = fake.sent_messages(flooder.id).into_iter().map(|m| m.text).collect();
    assert_eq!(
        texts.iter().filter(|t| t.contains("writing faster than I can answer")).count(),
        1,
        "{texts:#?}"
    );
    assert!(texts.last().unwrap().contains("What I do"), "where things stand comes last: {texts:#?}");

    // Each entry stored exactly once.
    for n in 0..LOGGERS {
        let user = logger_id(n).0;
        let count =
            workspace.count_where("SELECT COUNT(*) FROM progress_entries WHERE user_id = $1", user).await;
        assert_eq!(count, 3, "logger {user}");
    }
    assert_eq!(workspace.count("SELECT COUNT(*) FROM bot_inbox").await, 0, "the inbox is empty");
    bot.stop().await;
}

/// Three entries of 1 km, as a person would make them across a restart of the bot: a question
/// whose conversation state went with the old process is started over from /start. Counts an
/// entry only when its confirmation arrives.
async fn log_three_across_a_restart(user: &Chat<'_>) {
    let mut logged = 0;
    while logged < 3 {
        user.say("/start").await;
        user.press("My challenges").await;
        user.press(RUN).await;
        user.press("Add progress").await;
        user.say("1").await;
        if !user.last().contains("which day is it for?") {
            continue; // The state was lost with the old process.
        }
        let Some((message, data)) = user.find_button("Today") else { continue };
        let after = user.fake.call_count();
        let press = user.fake.press_button(&user.user, message, &data);
        user.fake.wait_for_confirmation(press, WAIT).await;
        user.wait_for_answer(after).await;
        if user.last().contains("Logged 1 km") {
            logged += 1;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_in_the_middle_of_a_flood_loses_nothing_and_applies_nothing_twice() {
    let workspace = Workspace::sqlite();
    seed(&workspace).await;
    let fake = FakeTelegram::start(TOKEN).await;
    let settings = [("TELEGRAM_RATE_PER_CHAT", "1"), ("TELEGRAM_RATE_GLOBAL", "0")];
    let bot = workspace.start(&fake, &settings);
    wait_until_polling(&fake).await;
    let flooder = FakeUser::new(20_000, "Flo");
    let loggers: Vec<Chat> = (0..20).map(|n| Chat::new(&fake, logger_id(n).0, "Logger")).collect();
    let mut flood_last = 0;
    for _ in 0..600 {
        flood_last = fake.send_text(&flooder, "/help");
    }
    let logging = futures_join_all(loggers.iter().map(log_three_across_a_restart));
    let killing = async {
        // Mid-way: parked updates wait in the inbox, answers in the outbox, entries half done.
        fake.wait_until("some entries", WAIT, |f| {
            f.calls_to("editMessageText")
                .iter()
                .filter(|c| c.param_str("text").is_some_and(|t| t.contains("Logged")))
                .count()
                >= 10
        })
        .await;
        bot.kill().await;
        let parked = workspace.count("SELECT COUNT(*) FROM bot_inbox").await;
        (parked, workspace.start(&fake, &settings))
    };
    let (_, (parked, bot)) = tokio::join!(logging, killing);
    eprintln!("{parked} updates were parked at the kill");
    fake.wait_for_confirmation(flood_last, WAIT).await;
    workspace.wait_until_outbox_empty().await;
    for chat in &loggers {
        let count = workspace
            .count_where("SELECT COUNT(*) FROM progress_entries WHERE user_id = $1", chat.id())
            .await;
        assert_eq!(count, 3, "logger {}: nothing lost, nothing twice", chat.id());
    }
    assert_eq!(workspace.count("SELECT COUNT(*) FROM bot_inbox").await, 0);
    let total = workspace.count("SELECT CAST(SUM(total_hundredths) AS BIGINT) FROM participants").await;
    assert_eq!(total, 20 * 300, "every tally counts each entry once");
    bot.stop().await;
}

/// `join_all` without a futures crate: polls every future to completion, concurrently.
async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl IntoIterator<Item = F>) {
    let mut set: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    std::future::poll_fn(move |cx| {
        set.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if set.is_empty() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
}
