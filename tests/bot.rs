//! End-to-end tests of `challenge-bot bot`: the real binary against the fake Bot API
//! (`tests/support/fake_telegram.rs`), on a fresh SQLite file (and PostgreSQL for the main flow),
//! driven by simulated users the way Telegram would deliver them.

mod bot_support;
mod storage_support;
mod support;

use std::time::Duration;

use bot_support::{Chat, DbProxy, SECRET, TOKEN, WAIT, Workspace, wait_until_polling};
use serde_json::json;
use support::fake_telegram::{FakeTelegram, FakeTelegramConfig, FakeUser, Fault};

const TOM: &str = "<b>Tom & Jerry";
const MEDITATE: &str = "Meditate";

/// Ann creates a total challenge whose name and description contain HTML, with a bad answer at
/// each step.
async fn create_total(ann: &Chat<'_>) {
    ann.say("/start").await;
    ann.expect(&["Hi Ann!", "What would you like to do?"]).await;
    ann.press("Create challenge").await;
    ann.expect(&["What is the challenge called?"]).await;
    ann.say("   ").await;
    ann.expect(&["The name cannot be empty.", "What is the challenge called?"]).await;
    ann.say(TOM).await;
    ann.expect(&["Describe <b>Tom & Jerry in a sentence"]).await;
    ann.say("Run & chase, <i>daily</i> &amp; more").await;
    ann.expect(&["When does it end?"]).await;
    ann.say("2026-02-30").await;
    ann.expect(&["2026-02-30 is not a date on the calendar.", "When does it end?"]).await;
    ann.say("2026-02-01").await;
    ann.expect(&["The deadline must be after today (2026-03-01).", "When does it end?"]).await;
    ann.say("2026-03-31").await;
    ann.expect(&["How does progress count?"]).await;
    ann.press("Total").await;
    ann.expect(&["What is the goal?"]).await;
    ann.say("lots").await;
    ann.expect(&["What is the goal?"]).await;
    ann.say("100 km").await;
    ann.expect(&["Challenge created!", TOM, "Run & chase, <i>daily</i> &amp; more", "Goal: 100 km in total"])
        .await;
    make_public(ann).await;
}

/// A challenge made in the chat is private: its creator lists it for the others.
async fn make_public(creator: &Chat<'_>) {
    creator.expect(&["It is private"]).await;
    creator.press("👥 Invite & visibility").await;
    creator.expect(&["🔒 Private"]).await;
    creator.press("🌍 Make public").await;
    creator.expect(&["It is public now", "🌍 Public"]).await;
}

/// Bob creates a days challenge with the buttons (no description, a deadline in a week).
async fn create_days(bob: &Chat<'_>) {
    bob.say("/start").await;
    bob.expect(&["Hi Bob!"]).await;
    bob.press("Create challenge").await;
    bob.say(MEDITATE).await;
    bob.press("Skip").await;
    bob.press("In a week").await;
    bob.press("Days").await;
    bob.say("0").await;
    bob.expect(&["How many days?"]).await;
    bob.say("5").await;
    bob.expect(&["Challenge created!", MEDITATE, "Sun 8 Mar"]).await;
    make_public(bob).await;
}

/// `user` joins `name` from the list, with a typed goal or the suggested one.
async fn join(user: &Chat<'_>, name: &str, goal: Option<&str>) {
    user.say("/cancel").await;
    user.press("Join challenge").await;
    user.expect(&["Challenges you can join", name]).await;
    user.press(name).await;
    user.expect(&["What is your goal?"]).await;
    match goal {
        Some(goal) => {
            user.say("-3").await;
            user.expect(&["What is your goal?"]).await;
            user.say(goal).await;
        }
        None => {
            let label = user.button_starting_with("Use ");
            user.press(&label).await;
        }
    }
    user.expect(&["You joined", name]).await;
}

/// Opens one of the user's challenges from the main menu.
async fn open(user: &Chat<'_>, name: &str) {
    user.say("/start").await;
    user.press("My challenges").await;
    user.expect(&["Your challenges", name]).await;
    user.press(name).await;
    user.expect(&[name, "Your progress"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_with_two_users_at_once_on_sqlite() {
    let workspace = Workspace::sqlite();
    every_flow_with_two_users_at_once(&workspace).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_flow_with_two_users_at_once_on_postgres() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    let workspace = Workspace::with_database(url);
    every_flow_with_two_users_at_once(&workspace).await;
}

async fn every_flow_with_two_users_at_once(workspace: &Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    let commands: Vec<String> =
        fake.commands().iter().map(|c| c["command"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(
        commands,
        ["start", "log", "settings", "export", "privacy", "help", "cancel"],
        "the commands in Telegram's menu"
    );
    let in_groups: Vec<String> = fake
        .commands_for("all_group_chats")
        .iter()
        .map(|c| c["command"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(in_groups, ["challenge", "log", "standings", "help"], "the menu in groups");
    let ann = Chat::new(&fake, 1001, "Ann");
    let bob = Chat::new(&fake, 1002, "Bob");

    // Create: both at once.
    tokio::join!(create_total(&ann), create_days(&bob));

    // Join: each the other's challenge.
    tokio::join!(join(&ann, MEDITATE, None), join(&bob, TOM, Some("80")));
    ann.expect(&["Your goal: 5 days"]).await;
    bob.expect(&["Your goal: 80 km"]).await;

    // Add progress: Bob logs values (today, then a typed date), Ann checks in.
    let bob_progress = async {
        open(&bob, TOM).await;
        bob.press("Add progress").await;
        bob.say("1.234").await;
        bob.expect(&["How much did you do?"]).await;
        bob.say("2.5").await;
        bob.press("Today").await;
        bob.expect(&["Logged 2.5 km", "2.5 / 80 km"]).await;
        bob.press("Add more").await;
        bob.say("1.5").await;
        bob.press("Other date").await;
        bob.say("2026-03-05").await;
        bob.expect(&["2026-03-05"]).await;
        bob.say("today").await;
        bob.expect(&["Logged 1.5 km", "4 / 80 km"]).await;
    };
    let ann_progress = async {
        open(&ann, MEDITATE).await;
        ann.press("Check in").await;
        ann.press("Today").await;
        ann.expect(&["Checked in", "1 / 5"]).await;
    };
    tokio::join!(bob_progress, ann_progress);

    // Update goal, leaderboard, undo.
    let bob_rest = async {
        open(&bob, TOM).await;
        bob.press("Update goal").await;
        bob.say("0").await;
        bob.say("50").await;
        bob.expect(&["Your goal in", TOM, "is now 50 km"]).await;
        open(&bob, TOM).await;
        bob.press("Undo last entry").await;
        bob.press("Yes, remove it").await;
        bob.expect(&["Removed", "1.5 km", "2.5 / 50 km"]).await;
    };
    let ann_rest = async {
        open(&ann, TOM).await;
        ann.press("Leaderboard").await;
        ann.expect(&["Leaderboard", TOM, "Ann", "Bob"]).await;
        // /help and /cancel in the middle of a flow.
        ann.say("/start").await;
        ann.press("Create challenge").await;
        ann.say("/help").await;
        ann.expect(&["What is the challenge called?"]).await;
        ann.say("/cancel").await;
        ann.expect(&["Cancelled.", "What would you like to do?"]).await;
    };
    tokio::join!(bob_rest, ann_rest);

    // Forged and stale presses are answered too, and change nothing. (Answers to presses go
    // out on their own: wait for every earlier one first.)
    fake.wait_until("every press answered", WAIT, |f| {
        f.answered_callback_queries().len() == f.callback_queries_sent()
    })
    .await;
    let before = fake.answered_callback_queries().len();
    let menu = ann.messages().last().unwrap().message_id;
    for data in ["v1:o:999:0", "garbage", "v1:x", "v1:d:1:t"] {
        let update = fake.press_button_unchecked(&ann.user, ann.id(), menu, data);
        fake.wait_for_confirmation(update, WAIT).await;
    }
    fake.wait_until("the four answers", WAIT, |f| f.answered_callback_queries().len() >= before + 4).await;
    assert_eq!(fake.answered_callback_queries().len(), before + 4);

    // Every press got exactly one answer; no message was refused by the Bot API.
    fake.wait_until("the calls recorded", WAIT, |f| {
        f.calls_to("answerCallbackQuery").len() >= f.answered_callback_queries().len()
    })
    .await;
    let presses = fake.calls_to("answerCallbackQuery").len();
    assert_eq!(fake.answered_callback_queries().len(), presses);
    for call in fake.calls_to("sendMessage").into_iter().chain(fake.calls_to("editMessageText")) {
        let not_modified = call.description().is_some_and(|d| d.contains("message is not modified"));
        assert!(call.is_ok() || not_modified, "refused: {:?} {:?}", call.params, call.response);
    }

    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_media_and_other_updates_are_handled_safely() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    let ann = Chat::new(&fake, 2001, "Ann");
    let group = -5001;

    // In a group: plain messages, other bots' commands and commands that are not ours without
    // `@bot` are not for us; ours are (the group's challenges, none yet).
    for text in ["hello everyone", "/start@some_other_bot", "/frobnicate", "/log@some_other_bot 5"] {
        let update = fake.send_group_text(&ann.user, group, text);
        fake.wait_for_confirmation(update, WAIT).await;
    }
    assert!(fake.sent_messages(group).is_empty());
    let update = fake.send_group_text(&ann.user, group, &format!("/start@{}", fake.bot_username()));
    fake.wait_for_confirmation(update, WAIT).await;
    fake.wait_for_messages(group, 1, WAIT).await;
    let menu = fake.last_message(group).expect("the group's challenges").text;
    assert!(menu.contains("Challenges of") && menu.contains("No running challenge"), "{menu}");

    // A sticker in private: a hint. Edited messages, channel posts, membership changes: nothing.
    let chat = json!({"id": ann.id(), "type": "private", "first_name": "Ann"});
    let from = ann.user.to_json();
    let sticker =
        fake.push_raw_update(json!({"message": {"message_id": 900, "date": 1, "chat": chat, "from": from,
        "sticker": {"file_id": "s", "file_unique_id": "su", "type": "regular", "width": 512, "height": 512,
                    "is_animated": false, "is_video": false}}}));
    fake.wait_for_confirmation(sticker, WAIT).await;
    ann.expect(&["I can only read text"]).await;
    let before = fake.all_sent_messages().len();
    let others = [
        json!({"edited_message": {"message_id": 900, "date": 1, "edit_date": 2, "chat": chat, "from": from, "text": "/start"}}),
        json!({"channel_post": {"message_id": 1, "date": 1, "chat": {"id": -100777, "type": "channel", "title": "News"}, "text": "/start"}}),
        json!({"my_chat_member": {"chat": chat, "from": from, "date": 1,
            "old_chat_member": {"user": {"id": fake.bot_id(), "is_bot": true, "first_name": "Bot"}, "status": "member"},
            "new_chat_member": {"user": {"id": fake.bot_id(), "is_bot": true, "first_name": "Bot"}, "status": "kicked", "until_date": 0}}}),
        json!({"message": {"message_id": 901, "date": 1, "chat": chat, "from": from,
            "photo": [{"file_id": "p", "file_unique_id": "pu", "width": 1, "height": 1}]}}),
    ];
    let mut last = 0;
    for update in others {
        last = fake.push_raw_update(update);
    }
    fake.wait_for_confirmation(last, WAIT).await;
    fake.wait_until("the hint", WAIT, |f| f.all_sent_messages().len() > before).await;
    ann.say("/start").await;
    ann.expect(&["Hi Ann!"]).await;
    assert_eq!(
        fake.all_sent_messages().len(),
        before + 2,
        "only the photo got a hint (and /start its answer)"
    );

    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_sent_while_down_are_answered_once_after_a_restart_and_data_survives() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = Chat::new(&fake, 3001, "Ann");
    let bob = Chat::new(&fake, 3002, "Bob");

    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    create_total(&ann).await;
    bot.stop().await;

    // While the bot is down.
    let sent_before = fake.all_sent_messages().len();
    fake.send_text(&bob.user, "/start");
    fake.send_text(&ann.user, "/start");
    let last = fake.send_text(&bob.user, "/help");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(fake.all_sent_messages().len(), sent_before);

    let bot = workspace.start(&fake, &[]);
    fake.wait_for_confirmation(last, WAIT).await;
    fake.wait_for_messages(bob.id(), 2, WAIT).await;
    fake.wait_until("Ann's answer", WAIT, |f| f.all_sent_messages().len() >= sent_before + 3).await;
    assert_eq!(bob.texts().len(), 2, "Bob: one answer to each of his two messages");
    assert!(bob.texts()[0].contains("Hi Bob!") && bob.texts()[1].contains("What I do"));
    assert!(ann.last().contains("Hi Ann!"));
    assert_eq!(fake.all_sent_messages().len(), sent_before + 3);

    // The challenge created before the restart is still there.
    bob.press("Join challenge").await;
    bob.expect(&[TOM]).await;
    bot.stop().await;
}

/// Logs progress up to the "Today" button, then (with Telegram refusing every confirmation)
/// presses it and waits until the bot answered and tried to confirm; returns the press's update.
async fn log_progress_unconfirmed(user: &Chat<'_>, name: &str, value: &str) -> i64 {
    open(user, name).await;
    user.press("Add progress").await;
    user.say(value).await;
    let (message, data) = user.button("Today");
    user.fake.refuse_confirmations(true);
    let press = user.fake.press_button(&user.user, message, &data);
    let logged = format!("Logged {value} km");
    user.fake.wait_until("the answer to the press", WAIT, |_| user.last().contains(&logged)).await;
    user.fake
        .wait_until("a refused confirmation", WAIT, |f| {
            f.calls_to("getUpdates").iter().any(|c| c.param_i64("offset") > Some(press) && !c.is_ok())
        })
        .await;
    press
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_confirming_counts_progress_once_and_answers_once_on_sqlite() {
    a_crash_before_confirming_counts_progress_once_and_answers_once(&Workspace::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_before_confirming_counts_progress_once_and_answers_once_on_postgres() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    a_crash_before_confirming_counts_progress_once_and_answers_once(&Workspace::with_database(url)).await;
}

async fn a_crash_before_confirming_counts_progress_once_and_answers_once(workspace: &Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = Chat::new(&fake, 4001, "Ann");
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    create_total(&ann).await;

    // The press is handled and answered, but Telegram never hears it was: every confirming
    // getUpdates fails. Then the bot is killed.
    let press = log_progress_unconfirmed(&ann, TOM, "7").await;
    // (A message whose removal from the outbox had not committed yet would be sent again: the
    // one case of "in doubt". Wait until it has, as it does a moment after the send.)
    workspace.wait_until_outbox_empty().await;
    let edits_before = fake.calls_to("editMessageText").len();
    bot.kill().await;
    assert!(fake.confirmed_offset() <= press, "the press was not confirmed");

    // Simulate the crash landing before the offset was saved too: only the outbox knows.
    workspace.execute("DELETE FROM bot_offsets").await;

    fake.refuse_confirmations(false);
    let bot = workspace.start(&fake, &[]);
    fake.wait_for_confirmation(press, WAIT).await;
    assert_eq!(fake.calls_to("editMessageText").len(), edits_before, "the press was not answered again");
    assert_eq!(
        fake.answered_callback_queries()
            .iter()
            .filter(|q| **q == fake.callback_query_id(press).unwrap())
            .count(),
        1
    );
    open(&ann, TOM).await;
    ann.expect(&["Your progress: 7 / 100 km"]).await;

    // And once more with the offset saved: the update is not even delivered again.
    let press = log_progress_unconfirmed(&ann, TOM, "3").await;
    bot.kill().await;
    fake.refuse_confirmations(false);
    let bot = workspace.start(&fake, &[]);
    fake.wait_for_confirmation(press, WAIT).await;
    open(&ann, TOM).await;
    ann.expect(&["Your progress: 10 / 100 km"]).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_control_and_bad_gateways_on_sending_and_polling_are_survived() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = Chat::new(&fake, 5001, "Ann");
    let bob = Chat::new(&fake, 5002, "Bob");
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    ann.say("/start").await;

    fake.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 1 }, 1);
    fake.fail_next("sendMessage", Fault::BadGateway, 2);
    fake.fail_next("getUpdates", Fault::BadGateway, 2);
    fake.fail_next("getUpdates", Fault::TooManyRequests { retry_after: 1 }, 1);
    fake.fail_next("editMessageText", Fault::BadGateway, 1);
    fake.fail_next("answerCallbackQuery", Fault::BadGateway, 1);
    let started = std::time::Instant::now();
    tokio::join!(
        async {
            ann.say("/help").await;
            ann.press("Create challenge").await;
        },
        async {
            bob.say("/start").await;
            bob.say("/help").await;
        }
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(bob.texts().len(), 2, "each of Bob's messages answered once");
    assert_eq!(ann.texts().len(), 2);
    ann.expect(&["What is the challenge called?"]).await;
    fake.wait_until("the press answered", WAIT, |f| !f.answered_callback_queries().is_empty()).await;
    assert_eq!(fake.answered_callback_queries().len(), 1);
    let flood = fake.calls_to("sendMessage").iter().filter(|c| c.error_code() == Some(429)).count();
    assert_eq!(flood, 1);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_nothing_and_exits_zero_within_ten_seconds() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let users: Vec<FakeUser> = (0..20).map(|i| FakeUser::new(6000 + i, "User")).collect();
    let send_round = |round: usize| {
        let mut last = 0;
        for user in &users {
            last = fake.send_text(user, if round.is_multiple_of(2) { "/start" } else { "/help" });
        }
        last
    };

    // Slow answers: plenty is in flight when the signal comes, and finishes within the grace.
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    fake.fail_next("sendMessage", Fault::Hang(Duration::from_millis(150)), 200);
    for round in 0..4 {
        send_round(round);
    }
    fake.wait_until("some answers", WAIT, |f| f.all_sent_messages().len() >= 10).await;
    bot.stop().await;
    let answered = fake.all_sent_messages().len() as i64;
    let first = fake.confirmed_offset();
    assert!(answered >= 10);

    // Answers that hang for good: the shutdown gives up on them after its grace, leaving them in
    // the outbox (their updates are committed and confirmed), and still exits 0 within 10 s.
    fake.clear_faults();
    let polls = fake.calls_to("getUpdates").len();
    let bot = workspace.start(&fake, &[]);
    fake.wait_until("the second run to poll", WAIT, |f| f.calls_to("getUpdates").len() > polls).await;
    fake.fail_next("sendMessage", Fault::HangForever, 1000);
    let last = send_round(4);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = bot.log.clone();
    bot.stop().await;
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.contains("answers not sent yet stay in the outbox"), "{text}");
    assert!(
        workspace.count("SELECT COUNT(*) FROM bot_outbox").await > 0,
        "the unsent answers wait in the outbox"
    );

    // The next run answers everything that is left, once.
    fake.clear_faults();
    let bot = workspace.start(&fake, &[]);
    fake.wait_for_confirmation(last, Duration::from_secs(30)).await;
    workspace.wait_until_outbox_empty().await;
    for user in &users {
        let texts: Vec<String> = fake.sent_messages(user.id).into_iter().map(|m| m.text).collect();
        assert_eq!(texts.len(), 5, "user {}: one answer per message: {texts:#?}", user.id);
    }
    assert!(first > 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_database_is_down_updates_wait_unconfirmed_then_count_once() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    let proxy = DbProxy::in_front_of(&url).await;
    let workspace = Workspace::with_database(proxy.url_through(&url));
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = Chat::new(&fake, 9001, "Ann");
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    create_total(&ann).await;
    open(&ann, TOM).await;
    ann.press("Add progress").await;
    ann.say("4").await;
    let (message, data) = ann.button("Today");

    proxy.set_down();
    let press = fake.press_button(&ann.user, message, &data);
    let typed = fake.send_text(&ann.user, "/start");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(fake.confirmed_offset() <= press, "nothing confirmed while the database is down");
    assert!(!ann.last().contains("Logged"), "nothing answered while the database is down");
    assert!(
        fake.answered_callback_queries().contains(&fake.callback_query_id(press).unwrap()),
        "the press was answered at once, so the user's spinner stops"
    );

    proxy.set_up().await;
    fake.wait_for_confirmation(typed, Duration::from_secs(40)).await;
    fake.wait_until("both answers", WAIT, |_| ann.last().contains("Hi Ann!")).await;
    let texts = ann.texts();
    assert!(texts.iter().any(|t| t.contains("Logged 4 km")), "{texts:#?}");
    assert!(ann.last().contains("Hi Ann!"), "answered in order");
    // Everything answered before the next steps press on the newest menu.
    workspace.wait_until_outbox_empty().await;
    open(&ann, TOM).await;
    ann.expect(&["Your progress: 4 / 100 km"]).await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_reaches_the_log() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = Chat::new(&fake, 7001, "Ann");
    // Every kind of failure the client can log, with the most verbose filter of our crate.
    let bot = workspace.start(&fake, &[("RUST_LOG", "trace")]);
    wait_until_polling(&fake).await;
    fake.fail_next("sendMessage", Fault::DropConnection, 1);
    fake.fail_next("sendMessage", Fault::BadGateway, 1);
    fake.fail_next(
        "sendMessage",
        Fault::ApiError { code: 400, description: "Bad Request: chat not found".into() },
        1,
    );
    fake.fail_next("getUpdates", Fault::DropConnection, 1);
    fake.fail_next("getUpdates", Fault::HangForever, 1);
    ann.say("/start").await;
    ann.say("/help").await;
    let log = bot.log_text();
    bot.stop().await;
    assert!(log.contains("will retry"), "the failures were logged:\n{log}");
    assert!(!log.contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_reported_clearly() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let other = "111111:AAF_another-token-abcdefghijklmnopqrstuv";
    let mut bot = workspace.start(&fake, &[("TELEGRAM_BOT_TOKEN", other)]);
    let status = bot.wait(WAIT).await.expect("the bot exits");
    assert_eq!(status.code(), Some(1));
    let log = bot.log_text();
    assert!(log.contains("Telegram refused the bot token (401 Unauthorized)"), "{log}");
    assert!(!log.contains("another-token"), "{log}");
    assert!(fake.calls_to("getUpdates").is_empty(), "it never polled");
}

#[test]
fn a_missing_or_malformed_token_is_one_line_and_status_2() {
    for token in [
        None,
        Some(""),
        Some("not-a-token"),
        Some("123:short"),
        Some("abc:AAF_e2e-test-token-abcdefghijklmnopqrstu"),
    ] {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_challenge-bot"));
        command.arg("bot").env_remove("TELEGRAM_BOT_TOKEN").env("TELEGRAM_API_URL", "http://127.0.0.1:9");
        let dir = tempfile::tempdir().unwrap();
        command
            .current_dir(dir.path())
            .env("DATABASE_URL", format!("sqlite://{}/x.db", dir.path().display()));
        if let Some(token) = token {
            command.env("TELEGRAM_BOT_TOKEN", token);
        }
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{token:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{token:?}: {stderr}");
        assert!(stderr.starts_with("error: TELEGRAM_BOT_TOKEN is"), "{stderr}");
        assert!(!dir.path().join("x.db").exists(), "nothing was created");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_is_deleted_and_rate_limits_are_respected() {
    let workspace = Workspace::sqlite();
    let config = FakeTelegramConfig {
        rate_limit: Some(support::fake_telegram::RateLimit { per_chat_per_second: 4, retry_after: 1 }),
        ..FakeTelegramConfig::default()
    };
    let fake = FakeTelegram::start_with(TOKEN, config).await;
    // A webhook left by some earlier deployment.
    let client = reqwest_free_post(&fake, "setWebhook", json!({"url": "https://example.com/hook"})).await;
    assert!(client.contains("\"ok\":true"), "{client}");
    let ann = Chat::new(&fake, 8001, "Ann");
    // Telegram's own limits: 1 per second per chat (bursts of 3), 30 per second overall.
    let bot = workspace.start(&fake, &[("TELEGRAM_RATE_PER_CHAT", "1"), ("TELEGRAM_RATE_GLOBAL", "30")]);
    wait_until_polling(&fake).await;
    assert_eq!(fake.webhook_url(), None);
    let mut last = 0;
    for _ in 0..6 {
        last = fake.send_text(&ann.user, "/help");
    }
    fake.wait_for_confirmation(last, WAIT).await;
    fake.wait_for_messages(ann.id(), 6, WAIT).await;
    assert_eq!(ann.texts().len(), 6);
    let refused = fake.calls_to("sendMessage").iter().filter(|c| c.error_code() == Some(429)).count();
    assert_eq!(refused, 0, "the bot paced itself below the flood limit");
    bot.stop().await;
}

/// A raw HTTP POST to the fake, as another client would make (no HTTP client crate needed).
async fn reqwest_free_post(fake: &FakeTelegram, method: &str, body: serde_json::Value) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(fake.addr()).await.unwrap();
    let body = body.to_string();
    let request = format!(
        "POST /bot{}/{method} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        fake.token(),
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_update_is_given_up_on_while_others_go_on_on_sqlite() {
    let workspace = Workspace::sqlite();
    a_poisoned_update_is_given_up_on_while_others_go_on(
        &workspace,
        "CREATE TRIGGER poison BEFORE INSERT ON progress_entries WHEN NEW.user_id = 10001 \
         BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
        "DROP TRIGGER poison",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_update_is_given_up_on_while_others_go_on_on_postgres() {
    let (url, _guard) = storage_support::fresh_postgres_url().await;
    let workspace = Workspace::with_database(url);
    a_poisoned_update_is_given_up_on_while_others_go_on(
        &workspace,
        "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'poisoned row'; END $$; \
         CREATE TRIGGER poison BEFORE INSERT ON progress_entries FOR EACH ROW WHEN (NEW.user_id = 10001) \
         EXECUTE FUNCTION poison()",
        "DROP TRIGGER poison ON progress_entries",
    )
    .await;
}

/// Ann's progress entries fail in the database for good (a trigger refuses them, as a broken
/// row or a bug would): her update is tried a few times, then given up on with an apology, while
/// Bob is answered all along; afterwards the bot goes on as usual.
async fn a_poisoned_update_is_given_up_on_while_others_go_on(
    workspace: &Workspace,
    poison: &'static str,
    cure: &'static str,
) {
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = Chat::new(&fake, 10001, "Ann");
    let bob = Chat::new(&fake, 10002, "Bob");
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    create_total(&ann).await;
    open(&ann, TOM).await;
    ann.press("Add progress").await;
    ann.say("7").await;
    workspace.execute(poison).await;
    let (message, data) = ann.button("Today");
    let press = fake.press_button(&ann.user, message, &data);
    for _ in 0..3 {
        bob.say("/start").await;
        bob.expect(&["Hi Bob!"]).await;
    }
    fake.wait_for_confirmation(press, WAIT).await;
    ann.expect(&["Something went wrong", "What would you like to do?"]).await;
    assert_eq!(workspace.count("SELECT COUNT(*) FROM bot_failures").await, 1, "recorded as failed");
    let log = bot.log_text();
    assert!(log.contains("giving up on an update") && log.contains("poisoned row"), "{log}");
    assert_eq!(workspace.count("SELECT COUNT(*) FROM progress_entries").await, 0);

    // The cause gone, the same steps work.
    workspace.execute(cure).await;
    open(&ann, TOM).await;
    ann.press("Add progress").await;
    ann.say("7").await;
    ann.press("Today").await;
    ann.expect(&["Logged 7 km", "7 / 100 km"]).await;
    bot.stop().await;
}
