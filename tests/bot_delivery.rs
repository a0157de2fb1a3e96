//! The delivery machinery of the Telegram bot (`protocol::bot::{poller, dispatch}`), in process,
//! against the fake Bot API, with a stand-in responder that echoes: per-user order, confirmation
//! once an update's answers are committed, the outbox, the database going down, poisoned updates,
//! faults on every method, floods, shutdown.
//!
//! The end-to-end tests of the real binary with the real conversation are in `tests/bot.rs`.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use challenge_bot::outbox::memory::MemoryOutbox;
use challenge_bot::outbox::{Action, Button, Class, Outbox, Turn, UpdateRef};
use challenge_bot::protocol::bot::html::escape;
use challenge_bot::protocol::bot::poller::{AfterCommit, MAX_ATTEMPTS, Poller, Responder, Response, Stats};
use challenge_bot::protocol::bot::settings::{BotSettings, Token};
use challenge_bot::repository::RepositoryError;
use support::fake_telegram::{FakeTelegram, FakeUser, Fault};
use teloxide::types::{Update, UpdateKind};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const TOKEN: &str = "4242:AAE_delivery-test-token-0123456789abcdef";
const BOT: i64 = 4242;
const WAIT: Duration = Duration::from_secs(15);

/// Echoes texts (`echo <text>` with an "again" button; `log N` is a confirmation of something
/// saved) and answers presses by editing the message (`pressed <data>`). Counts how often it was
/// asked, and fails for good on the updates of users in `poisoned`.
#[derive(Default)]
struct Echo {
    calls: AtomicUsize,
    seen: Mutex<Vec<(i64, String)>>,
    poisoned: Mutex<HashSet<i64>>,
    /// A user whose updates wait until [`Echo::open_gate`]: their backlog builds up however
    /// fast the machine is.
    held: Mutex<Option<i64>>,
    opened: std::sync::atomic::AtomicBool,
    gate: tokio::sync::Notify,
}

impl Echo {
    fn open_gate(&self) {
        self.opened.store(true, Ordering::SeqCst);
        self.gate.notify_waiters();
    }
}

#[async_trait]
impl Responder for Echo {
    async fn respond(
        &self,
        _turn: &dyn Turn,
        _update_id: i64,
        update: &Update,
    ) -> Result<Response, RepositoryError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let user = update.from().map_or(0, |u| u.id.0 as i64);
        if *self.held.lock().unwrap() == Some(user) {
            let opened = self.gate.notified();
            tokio::pin!(opened);
            opened.as_mut().enable();
            if !self.opened.load(Ordering::SeqCst) {
                opened.await;
            }
        }
        if self.poisoned.lock().unwrap().contains(&user) {
            return Err(RepositoryError::backend("a row this code cannot read"));
        }
        match &update.kind {
            UpdateKind::Message(message) => {
                let Some(text) = message.text() else { return Ok(Response::Ignore) };
                self.seen.lock().unwrap().push((user, text.to_owned()));
                let class = match text.strip_prefix("log ") {
                    Some(n) => Class::Effect { summary: format!("Logged {n}") },
                    None => Class::Screen,
                };
                Ok(Response::answer(vec![Action::Send {
                    chat_id: message.chat.id.0,
                    html: escape(&format!("echo {text}")),
                    buttons: vec![vec![Button {
                        text: "again".into(),
                        data: format!("again:{}", text.len()),
                        url: None,
                        web_app: None,
                    }]],
                    class,
                }]))
            }
            UpdateKind::CallbackQuery(query) => {
                let mut actions = vec![Action::Answer { query_id: query.id.0.clone(), text: None }];
                if let Some(message) = &query.message {
                    actions.push(Action::Edit {
                        chat_id: message.chat().id.0,
                        message_id: message.id().0,
                        html: escape(&format!("pressed {}", query.data.as_deref().unwrap_or(""))),
                        buttons: vec![],
                        class: Class::Screen,
                    });
                }
                Ok(Response::answer(actions))
            }
            _ => Ok(Response::Ignore),
        }
    }

    async fn apologize(&self, update: &Update) -> (Vec<Action>, Option<AfterCommit>) {
        let chat = match &update.kind {
            UpdateKind::Message(message) => message.chat.id.0,
            _ => return (Vec::new(), None),
        };
        (
            vec![Action::Send { chat_id: chat, html: "sorry".into(), buttons: vec![], class: Class::Notice }],
            None,
        )
    }
}

struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    async fn shutdown(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the poller stops within 10 s")
            .expect("the poller does not panic");
    }
}

fn settings(fake: &FakeTelegram) -> BotSettings {
    let mut settings = BotSettings::new(Token::parse(TOKEN).unwrap());
    settings.api_url = fake.api_url().parse().unwrap();
    settings.rate_per_chat = 0.0;
    settings.rate_global = 0.0;
    settings.max_backoff = Duration::from_millis(200);
    settings.poll_timeout = Duration::from_secs(2);
    settings.request_timeout = Duration::from_secs(2);
    settings
}

fn start(fake: &FakeTelegram, outbox: Arc<MemoryOutbox>, echo: Arc<Echo>) -> Running {
    start_with(settings(fake), outbox, echo).0
}

fn start_with(settings: BotSettings, outbox: Arc<MemoryOutbox>, echo: Arc<Echo>) -> (Running, Arc<Stats>) {
    let poller = Poller::new(&settings, BOT, outbox, echo);
    let stats = poller.stats.clone();
    let stop = CancellationToken::new();
    let task = tokio::spawn(poller.run(stop.clone()));
    (Running { stop, task }, stats)
}

fn texts(fake: &FakeTelegram, chat: i64) -> Vec<String> {
    fake.sent_messages(chat).into_iter().map(|m| m.text).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_answered_in_order_once() {
    let fake = FakeTelegram::start(TOKEN).await;
    let (ann, bob) = (FakeUser::new(11, "Ann"), FakeUser::new(12, "Bob"));
    let log = Arc::new(MemoryOutbox::new());
    let echo = Arc::new(Echo::default());
    let bot = start(&fake, log.clone(), echo.clone());
    // As many as a chat's backlog holds (more would be a flood: see below).
    let mut last = 0;
    for i in 0..10 {
        fake.send_text(&ann, &format!("a{i}"));
        last = fake.send_text(&bob, &format!("b{i} <&>"));
    }
    fake.wait_for_messages(ann.id, 10, WAIT).await;
    fake.wait_for_messages(bob.id, 10, WAIT).await;
    fake.wait_for_confirmation(last, WAIT).await;
    assert_eq!(texts(&fake, ann.id), (0..10).map(|i| format!("echo a{i}")).collect::<Vec<_>>());
    assert_eq!(texts(&fake, bob.id), (0..10).map(|i| format!("echo b{i} <&>")).collect::<Vec<_>>());
    assert_eq!(echo.calls.load(Ordering::SeqCst), 20, "each update handled once");
    fake.wait_until("the calls recorded", WAIT, |f| f.calls_to("sendMessage").len() >= 20).await;
    assert_eq!(fake.calls_to("sendMessage").len(), 20, "each answered once");

    // A button press: answered, and the message edited in place.
    let message = fake.last_message(ann.id).unwrap();
    let press = fake.press_button(&ann, message.message_id, "again:2");
    fake.wait_for_confirmation(press, WAIT).await;
    fake.wait_until("the edit", WAIT, |f| {
        f.last_message(ann.id).is_some_and(|m| m.text.starts_with("pressed"))
    })
    .await;
    let query = fake.callback_query_id(press).unwrap();
    fake.wait_until("the press answered", WAIT, |f| f.answered_callback_queries().contains(&query)).await;
    let edited = fake.sent_messages(ann.id).into_iter().find(|m| m.message_id == message.message_id).unwrap();
    assert_eq!(edited.text, "pressed again:2");
    assert_eq!(fake.answered_callback_queries(), vec![fake.callback_query_id(press).unwrap()]);

    bot.shutdown().await;
    assert_eq!(log.resume_offset(BOT).await.unwrap(), Some(press + 1), "the offset is saved");
    assert!(log.queued(BOT, 0, 100).await.unwrap().is_empty(), "everything sent left the outbox");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unavailable_database_leaves_updates_unconfirmed_until_it_returns() {
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = FakeUser::new(21, "Ann");
    let log = Arc::new(MemoryOutbox::new());
    let echo = Arc::new(Echo::default());
    let bot = start(&fake, log.clone(), echo.clone());
    let first = fake.send_text(&ann, "before");
    fake.wait_for_confirmation(first, WAIT).await;

    log.set_down(true);
    let during = fake.send_text(&ann, "during");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(texts(&fake, ann.id), vec!["echo before"], "nothing answered while the database is down");
    assert!(fake.confirmed_offset() <= during, "not confirmed while it could not be recorded");

    log.set_down(false);
    fake.wait_for_confirmation(during, WAIT).await;
    fake.wait_for_messages(ann.id, 2, WAIT).await;
    assert_eq!(texts(&fake, ann.id), vec!["echo before", "echo during"]);
    // The record commits with the update's effects, so a failed record means the effects were
    // rolled back too: the whole handling is retried, and answered once.
    assert!(echo.calls.load(Ordering::SeqCst) >= 3, "the handling was retried while the database was down");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_an_earlier_run_recorded_are_answered_from_the_outbox_only() {
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = FakeUser::new(31, "Ann");
    let log = Arc::new(MemoryOutbox::new());
    // An earlier run handled these two updates and died before confirming them: the first was
    // answered already (its message left the outbox), the second not yet.
    let answered = fake.send_text(&ann, "one");
    let unanswered = fake.send_text(&ann, "two");
    let sent = |text: &str| Action::Send {
        chat_id: ann.id,
        html: text.into(),
        buttons: vec![],
        class: Class::Screen,
    };
    let first = log.turn(BOT, UpdateRef::fetched(answered)).finish(&[sent("first run: one")]).await.unwrap();
    let ids: Vec<i64> = first.queued().iter().map(|q| q.id).collect();
    log.remove(BOT, &ids).await.unwrap();
    log.turn(BOT, UpdateRef::fetched(unanswered)).finish(&[sent("first run: two")]).await.unwrap();
    let fresh = fake.send_text(&ann, "three");

    let echo = Arc::new(Echo::default());
    let bot = start(&fake, log.clone(), echo.clone());
    fake.wait_for_confirmation(fresh, WAIT).await;
    fake.wait_for_messages(ann.id, 2, WAIT).await;
    assert_eq!(texts(&fake, ann.id), vec!["first run: two", "echo three"]);
    assert_eq!(echo.calls.load(Ordering::SeqCst), 1, "recorded updates are not handled again");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_on_sending_and_polling_are_retried_without_duplicates() {
    let fake = FakeTelegram::start(TOKEN).await;
    let (ann, bob) = (FakeUser::new(41, "Ann"), FakeUser::new(42, "Bob"));
    let log = Arc::new(MemoryOutbox::new());
    let echo = Arc::new(Echo::default());
    let bot = start(&fake, log.clone(), echo.clone());
    let warmup = fake.send_text(&ann, "warm-up");
    fake.wait_for_confirmation(warmup, WAIT).await;

    fake.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 1 }, 1);
    fake.fail_next("sendMessage", Fault::BadGateway, 2);
    fake.fail_next("sendMessage", Fault::DropConnection, 1);
    fake.fail_next("getUpdates", Fault::BadGateway, 2);
    fake.fail_next("getUpdates", Fault::TooManyRequests { retry_after: 1 }, 1);
    fake.fail_next("getUpdates", Fault::DropConnection, 1);
    let mut last = 0;
    for i in 0..5 {
        fake.send_text(&ann, &format!("a{i}"));
        last = fake.send_text(&bob, &format!("b{i}"));
    }
    fake.wait_for_confirmation(last, Duration::from_secs(30)).await;
    fake.wait_for_messages(ann.id, 6, WAIT).await;
    fake.wait_for_messages(bob.id, 5, WAIT).await;
    assert_eq!(texts(&fake, ann.id), ["warm-up", "a0", "a1", "a2", "a3", "a4"].map(|t| format!("echo {t}")));
    assert_eq!(texts(&fake, bob.id), ["b0", "b1", "b2", "b3", "b4"].map(|t| format!("echo {t}")));
    let failed_sends = fake.calls_to("sendMessage").iter().filter(|c| !c.is_ok()).count();
    assert_eq!(failed_sends, 4, "each injected fault was met once and retried");
    assert_eq!(echo.calls.load(Ordering::SeqCst), 11);

    // A hung request is given up after the request timeout and retried.
    fake.fail_next("sendMessage", Fault::HangForever, 1);
    let hung = fake.send_text(&ann, "hang");
    fake.wait_for_confirmation(hung, WAIT).await;
    fake.wait_for_messages(ann.id, 7, WAIT).await;
    assert_eq!(texts(&fake, ann.id).last().unwrap(), "echo hang");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_answers_are_not_retried_and_presses_always_answered() {
    let fake = FakeTelegram::start(TOKEN).await;
    let (ann, bob) = (FakeUser::new(51, "Ann"), FakeUser::new(52, "Bob"));
    let log = Arc::new(MemoryOutbox::new());
    let bot = start(&fake, log.clone(), Arc::new(Echo::default()));

    // Bob blocked the bot: one attempt, then his update is done (and confirmed).
    fake.add_private_chat(&bob);
    fake.set_user_blocked(bob.id, true);
    let blocked = fake.send_text(&bob, "hello?");
    fake.wait_for_confirmation(blocked, WAIT).await;
    fake.wait_for_call(
        |c| c.method.eq_ignore_ascii_case("sendMessage") && c.param_i64("chat_id") == Some(bob.id),
        WAIT,
    )
    .await;
    let to_bob: Vec<_> =
        fake.calls_to("sendMessage").into_iter().filter(|c| c.param_i64("chat_id") == Some(bob.id)).collect();
    assert_eq!(to_bob.len(), 1);
    assert_eq!(to_bob[0].error_code(), Some(403));

    // A press on a message that is gone: the query is answered, the text comes as a new message.
    let first = fake.send_text(&ann, "x");
    fake.wait_for_confirmation(first, WAIT).await;
    fake.wait_for_messages(ann.id, 1, WAIT).await;
    let stale = fake.press_button_unchecked(&ann, ann.id, 999, "again:1");
    fake.wait_for_confirmation(stale, WAIT).await;
    fake.wait_for_messages(ann.id, 2, WAIT).await;
    assert_eq!(texts(&fake, ann.id), vec!["echo x", "pressed again:1"]);
    let stale_query = fake.callback_query_id(stale).unwrap();
    fake.wait_until("the stale press answered", WAIT, |f| {
        f.answered_callback_queries().contains(&stale_query)
    })
    .await;

    // The same press twice: the second edit changes nothing ("message is not modified" is fine).
    let message = fake.last_message(ann.id).unwrap();
    let again = fake.press_button_unchecked(&ann, ann.id, message.message_id, "again:1");
    fake.wait_for_confirmation(again, WAIT).await;
    let query = fake.callback_query_id(again).unwrap();
    fake.wait_until("the answer", WAIT, |f| f.answered_callback_queries().contains(&query)).await;
    fake.wait_until("the edit", WAIT, |f| f.calls_to("editMessageText").len() >= 2).await;
    assert_eq!(fake.sent_messages(ann.id).len(), 2);

    // Updates nobody sent (channel posts) and unreadable ones are skipped, not fatal.
    let post = fake.push_raw_update(serde_json::json!({"channel_post": {
        "message_id": 1, "date": 0, "chat": {"id": -100123, "type": "channel", "title": "News"}, "text": "hi"}}));
    let garbage = fake.push_raw_update(serde_json::json!({"message": {"nonsense": true}}));
    let after = fake.send_text(&ann, "still here");
    fake.wait_for_confirmation(after, WAIT).await;
    fake.wait_for_messages(ann.id, 3, WAIT).await;
    assert!(post > 0 && garbage > post);
    assert_eq!(texts(&fake, ann.id).last().unwrap(), "echo still here");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_in_flight_updates_and_confirms_them() {
    let fake = FakeTelegram::start(TOKEN).await;
    let users: Vec<FakeUser> = (0..10).map(|i| FakeUser::new(100 + i, "User")).collect();
    let log = Arc::new(MemoryOutbox::new());
    let bot = start(&fake, log.clone(), Arc::new(Echo::default()));
    // Slow sending, so that updates are in flight when the shutdown comes.
    fake.fail_next("sendMessage", Fault::Hang(Duration::from_millis(300)), 30);
    let mut last = 0;
    for round in 0..3 {
        for user in &users {
            last = fake.send_text(user, &format!("r{round}"));
        }
    }
    fake.wait_until("some answers", WAIT, |f| !f.calls_to("sendMessage").is_empty()).await;
    let started = std::time::Instant::now();
    bot.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(10));
    // What was handled was confirmed; its answers that were not sent wait in the outbox.
    let confirmed = fake.confirmed_offset();
    let stored = log.resume_offset(BOT).await.unwrap().unwrap();
    assert_eq!(stored, confirmed, "the saved offset is the confirmed one");
    let unsent = log.queued(BOT, 0, 100).await.unwrap().len();
    let answered = fake.all_sent_messages().len();
    let first = last - 29;
    assert_eq!(
        answered + unsent,
        (confirmed - first) as usize,
        "every confirmed update is answered or queued"
    );

    // A second run picks up exactly what is left: everyone gets all three answers, once.
    let bot = start(&fake, log.clone(), Arc::new(Echo::default()));
    fake.wait_for_confirmation(last, WAIT).await;
    for user in &users {
        fake.wait_for_messages(user.id, 3, WAIT).await;
        assert_eq!(texts(&fake, user.id), vec!["echo r0", "echo r1", "echo r2"]);
    }
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_sequence_of_update_ids_is_followed() {
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = FakeUser::new(61, "Ann");
    let log = Arc::new(MemoryOutbox::new());
    let echo = Arc::new(Echo::default());
    let bot = start(&fake, log.clone(), echo.clone());
    let mut last = 0;
    for text in ["one", "two", "three"] {
        last = fake.send_text(&ann, text);
    }
    fake.wait_for_confirmation(last, WAIT).await;
    fake.wait_for_messages(ann.id, 3, WAIT).await;

    // After a long pause Telegram picks new ids, here lower than the ones already handled (and
    // one of them equal to an old one, which the outbox must not mistake for it).
    fake.set_next_update_id(2);
    let again = fake.send_text(&ann, "four");
    assert_eq!(again, 2);
    fake.wait_until("the answer", WAIT, |f| f.sent_messages(ann.id).len() == 4).await;
    // (The fake's confirmed offset is the highest ever, so wait for the answer itself.)
    let next = fake.send_text(&ann, "five");
    fake.wait_until("the answer", WAIT, |f| f.sent_messages(ann.id).len() == 5).await;
    assert_eq!(texts(&fake, ann.id), ["one", "two", "three", "four", "five"].map(|t| format!("echo {t}")));
    bot.shutdown().await;
    assert_eq!(log.resume_offset(BOT).await.unwrap(), Some(next + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poisoned_update_is_given_up_on_and_stalls_nobody() {
    let fake = FakeTelegram::start(TOKEN).await;
    let (ann, bob) = (FakeUser::new(71, "Ann"), FakeUser::new(72, "Bob"));
    let log = Arc::new(MemoryOutbox::new());
    let echo = Arc::new(Echo::default());
    echo.poisoned.lock().unwrap().insert(ann.id);
    let (bot, stats) = start_with(settings(&fake), log.clone(), echo.clone());
    let poisoned = fake.send_text(&ann, "this breaks");
    let mut last = 0;
    for i in 0..5 {
        last = fake.send_text(&bob, &format!("b{i}"));
    }
    // Bob is answered while Ann's update fails again and again.
    fake.wait_for_messages(bob.id, 5, WAIT).await;
    // Then hers is given up on: recorded as failed, an apology, and confirmed.
    fake.wait_for_confirmation(poisoned.max(last), WAIT).await;
    fake.wait_for_messages(ann.id, 1, WAIT).await;
    assert_eq!(texts(&fake, ann.id), vec!["sorry"]);
    let tries = echo.calls.load(Ordering::SeqCst) - 5;
    assert_eq!(tries, MAX_ATTEMPTS as usize, "tried {MAX_ATTEMPTS} times, no more");
    assert_eq!(log.failure_count(BOT).await.unwrap(), 1);
    assert_eq!(stats.failed.load(Ordering::Relaxed), 1);

    // Her next update is handled as usual once the cause is gone.
    echo.poisoned.lock().unwrap().clear();
    let next = fake.send_text(&ann, "fine now");
    fake.wait_for_confirmation(next, WAIT).await;
    fake.wait_for_messages(ann.id, 2, WAIT).await;
    assert_eq!(texts(&fake, ann.id), vec!["sorry", "echo fine now"]);
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_costs_the_flooder_a_few_messages_and_nobody_else_anything() {
    let fake = FakeTelegram::start(TOKEN).await;
    let flooder = FakeUser::new(80, "Flo");
    let others: Vec<FakeUser> = (0..30).map(|i| FakeUser::new(1000 + i, "Other")).collect();
    let log = Arc::new(MemoryOutbox::new());
    let echo = Arc::new(Echo::default());
    // The flooder's first update is held until the rest of the burst has been parked, so the
    // backlog builds up however fast this machine handles updates.
    *echo.held.lock().unwrap() = Some(flooder.id);
    let mut settings = settings(&fake);
    settings.rate_per_chat = 1.0; // Telegram's pace for one chat
    let (bot, stats) = start_with(settings, log.clone(), echo.clone());
    // 300 messages in a burst, every tenth a confirmation of something saved.
    let mut flood_last = 0;
    for i in 0..300 {
        let text = if i % 10 == 0 { format!("log {i}") } else { format!("help {i}") };
        flood_last = fake.send_text(&flooder, &text);
    }
    let mut pending = Vec::new();
    for other in &others {
        pending.push(fake.send_text(other, "/start"));
    }
    fake.wait_until("the backlog parked in the inbox, not kept in memory", WAIT, |_| {
        stats.parked.load(Ordering::Relaxed) > 0
    })
    .await;
    echo.open_gate();
    for other in &others {
        fake.wait_for_messages(other.id, 1, WAIT).await;
    }
    let flooder_before = fake.sent_messages(flooder.id).len();
    assert!(
        flooder_before <= 10,
        "everyone else was answered before the flooder's 11th message ({flooder_before} so far)"
    );
    fake.wait_for_confirmation(flood_last, WAIT).await;
    // Confirmed means stored: a parked update is handled after its confirmation, so wait for
    // the handling too. The flood handled in full, once each, in order.
    let flooder_seen =
        |echo: &Echo| echo.seen.lock().unwrap().iter().filter(|(u, _)| *u == flooder.id).count();
    fake.wait_until("the whole flood handled", WAIT, |_| flooder_seen(&echo) >= 300).await;
    let seen: Vec<String> =
        echo.seen.lock().unwrap().iter().filter(|(u, _)| *u == flooder.id).map(|(_, t)| t.clone()).collect();
    assert_eq!(seen.len(), 300);
    assert!(seen.iter().enumerate().all(|(i, t)| t.ends_with(&format!(" {i}"))), "in order");
    // Once the flood is over the flooder gets where things stand: the newest screen, and the
    // confirmations merged into one summary.
    fake.wait_until("the flooder's last screen", WAIT, |f| {
        f.last_message(flooder.id).is_some_and(|m| m.text == "echo help 299")
    })
    .await;
    let texts = texts(&fake, flooder.id);
    assert!(texts.len() <= 10, "the flood cost the flooder {} messages: {texts:#?}", texts.len());
    assert_eq!(texts.iter().filter(|t| t.contains("writing faster than I can answer")).count(), 1);
    let summary = texts.iter().find(|t| t.contains("Saved while you were writing")).expect("a summary");
    assert!(summary.contains("Logged 290"), "{summary}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(log.queued(BOT, 0, 1000).await.unwrap().is_empty(), "nothing left in the outbox");
    bot.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presses_in_a_flooding_chat_are_answered_at_once() {
    let fake = FakeTelegram::start(TOKEN).await;
    let ann = FakeUser::new(90, "Ann");
    let log = Arc::new(MemoryOutbox::new());
    let mut settings = settings(&fake);
    settings.rate_per_chat = 1.0;
    let (bot, _) = start_with(settings, log.clone(), Arc::new(Echo::default()));
    let first = fake.send_text(&ann, "first");
    fake.wait_for_messages(ann.id, 1, WAIT).await;
    fake.wait_for_confirmation(first, WAIT).await;
    let message = fake.last_message(ann.id).unwrap();
    for i in 0..40 {
        fake.send_text(&ann, &format!("more {i}"));
    }
    let press = fake.press_button(&ann, message.message_id, "again:5");
    let query = fake.callback_query_id(press).unwrap();
    let is_the_answer = |c: &support::fake_telegram::RecordedCall| {
        c.method.eq_ignore_ascii_case("answerCallbackQuery")
            && c.is_ok()
            && c.param_str("callback_query_id").as_deref() == Some(query.as_str())
    };
    fake.wait_until("the press answered", WAIT, |f| f.calls().iter().any(is_the_answer)).await;
    // Answered ahead of the chat's backlog (paced at one message a second), not behind it.
    let calls = fake.calls();
    let answered_at = calls.iter().find(|c| is_the_answer(c)).map(|c| c.seq).unwrap();
    let messages_before =
        calls.iter().filter(|c| c.seq < answered_at && c.method.eq_ignore_ascii_case("sendMessage")).count();
    assert!(messages_before <= 4, "{messages_before} messages went before the answer");
    bot.shutdown().await;
}
