//! The dispatcher with stand-in senders: floods, shutdown, summaries, and the news lane.

use super::*;

fn message(id: i64, class: Class) -> Pending {
    Pending::Message(Queued {
        id,
        action: Action::Send { chat_id: 1, html: format!("m{id}"), buttons: vec![], class },
    })
}

/// Sends take `pace` each (Telegram's one a second for a chat), and are recorded.
#[derive(Default)]
struct Recorder {
    pace: Duration,
    sent: Mutex<Vec<Action>>,
    /// Never completes a send (a request that hangs).
    hang: bool,
}

#[async_trait::async_trait]
impl Perform for Recorder {
    async fn perform(&self, action: &Action, abandon: &CancellationToken) -> Result<Sent, Abandoned> {
        let wait = if self.hang { Duration::from_secs(86_400) } else { self.pace };
        pause(wait, abandon).await?;
        self.sent.lock().unwrap().push(action.clone());
        Ok(Sent::Done)
    }
}

fn inner() -> (Inner, mpsc::UnboundedReceiver<i64>) {
    let (removals, received) = mpsc::unbounded_channel();
    let inner = Inner {
        sender: Arc::new(Recorder::default()),
        outbox: Arc::new(crate::outbox::memory::MemoryOutbox::new()),
        bot: 1,
        backoff: Backoff::new(Duration::from_millis(10)),
        config: DispatchConfig::default(),
        chats: Mutex::new(HashMap::new()),
        removals,
        tasks: TaskTracker::new(),
        stop: CancellationToken::new(),
        stats: Arc::default(),
        bulk: Mutex::default(),
        bulk_pace: RateLimiter::new(0.0, 0.0),
        foreground: Foreground::default(),
        busy_pace: foreground::BusyPace::new(0.0),
        blocked: Mutex::default(),
        blocked_listener: Mutex::default(),
        groups: Mutex::default(),
    };
    (inner, received)
}

fn text(action: &Action) -> String {
    match action {
        Action::Send { html, .. } | Action::Edit { html, .. } => html.clone(),
        Action::Upload { caption, .. } => caption.clone(),
        Action::Answer { query_id, .. } => format!("answer {query_id}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_flood_of_300_costs_a_handful_of_messages_and_loses_no_confirmation() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    let recorder = Arc::new(Recorder { pace: Duration::from_secs(1), ..Recorder::default() });
    let stats = Arc::new(DispatchStats::default());
    let backoff = Backoff::new(Duration::from_millis(10));
    let dispatcher = Dispatcher::start(
        recorder.clone(),
        outbox.clone(),
        1,
        backoff,
        DispatchConfig::default(),
        stats.clone(),
    );
    // 300 answers to one chat as fast as they are committed; every tenth confirms something.
    for i in 0..300 {
        let class =
            if i % 10 == 0 { Class::Effect { summary: format!("Logged {i}") } } else { Class::Screen };
        let action = Action::Send { chat_id: 7, html: format!("screen {i}"), buttons: vec![], class };
        let queued = outbox.turn(1, UpdateRef::fetched(i)).finish(&[action]).await.unwrap().queued();
        dispatcher.enqueue(queued);
        tokio::time::advance(Duration::from_millis(5)).await;
    }
    // Another chat is not held up by it.
    let other = Action::Send { chat_id: 8, html: "hello".into(), buttons: vec![], class: Class::Screen };
    dispatcher.enqueue(outbox.turn(1, UpdateRef::fetched(1000)).finish(&[other]).await.unwrap().queued());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(
        recorder.sent.lock().unwrap().iter().any(|a| text(a) == "hello"),
        "the other chat within a second"
    );
    tokio::time::sleep(Duration::from_secs(30)).await;
    let to_flooder: Vec<String> =
        recorder.sent.lock().unwrap().iter().filter(|a| a.chat() == Some(7)).map(text).collect();
    assert!(to_flooder.len() <= 10, "{} messages: {to_flooder:#?}", to_flooder.len());
    assert_eq!(to_flooder.last().unwrap(), "screen 299", "the newest screen comes last");
    assert_eq!(to_flooder.iter().filter(|t| t.contains("writing faster")).count(), 1);
    // Every confirmation is accounted for: sent as it was, or counted in a summary.
    let direct = to_flooder
        .iter()
        .filter(|t| {
            t.strip_prefix("screen ").and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n % 10 == 0)
        })
        .count() as u32;
    let mut merged = 0;
    for summary in to_flooder.iter().filter(|t| t.contains("Saved while you were writing")) {
        for line in summary.lines().filter_map(|l| l.strip_prefix("• ")) {
            merged += match (line.strip_prefix("…and "), line.rsplit_once(" (×")) {
                (Some(earlier), _) => earlier.trim_end_matches(" earlier").parse::<u32>().unwrap(),
                (None, Some((_, times))) => times.trim_end_matches(')').parse::<u32>().unwrap(),
                (None, None) => 1,
            };
        }
    }
    assert_eq!(direct + merged, 30, "each of the 30 confirmations reached the flooder once: {to_flooder:#?}");
    assert!(stats.merged.load(Ordering::Relaxed) > 0 && stats.superseded.load(Ordering::Relaxed) > 0);
    dispatcher.shutdown(Duration::from_secs(1)).await;
    assert!(outbox.queued(1, 0, 1000).await.unwrap().is_empty(), "every row left the outbox once handled");
}

/// Sends paced by a real rate limiter, recorded with when they went.
struct Limited {
    limiter: RateLimiter,
    sent: Mutex<Vec<(Action, Instant)>>,
}

#[async_trait::async_trait]
impl Perform for Limited {
    async fn perform(&self, action: &Action, _abandon: &CancellationToken) -> Result<Sent, Abandoned> {
        self.limiter.acquire(action.chat().unwrap_or_default()).await;
        self.sent.lock().unwrap().push((action.clone(), Instant::now()));
        Ok(Sent::Done)
    }

    fn free_in(&self, chat: i64) -> Duration {
        self.limiter.free_in(chat)
    }
}

/// A dispatcher for bot 1 sending through `sender`.
fn news_dispatcher(
    sender: Arc<Limited>,
    outbox: Arc<crate::outbox::memory::MemoryOutbox>,
    config: DispatchConfig,
    stats: Arc<DispatchStats>,
) -> Dispatcher {
    Dispatcher::start(sender, outbox, 1, Backoff::new(Duration::from_millis(10)), config, stats)
}

/// One news message to each of 200 people.
fn news_to_200() -> Vec<Action> {
    news_to(200)
}

/// One news message to each of `people`.
fn news_to(people: i64) -> Vec<Action> {
    (0..people)
        .map(|i| Action::Send {
            chat_id: 1000 + i,
            html: format!("news {i}"),
            buttons: vec![],
            class: Class::NEWS,
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn news_goes_at_the_bulk_pace_and_never_ahead_of_answers() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    // Telegram's overall 30 a second; news at 25.
    let sender = Arc::new(Limited { limiter: RateLimiter::new(0.0, 30.0), sent: Mutex::default() });
    let stats = Arc::new(DispatchStats::default());
    let config = DispatchConfig { bulk_rate: 25.0, ..DispatchConfig::default() };
    let dispatcher = news_dispatcher(sender.clone(), outbox.clone(), config, stats.clone());
    let news = news_to_200();
    dispatcher.enqueue(outbox.turn(1, UpdateRef::fetched(1)).finish(&news).await.unwrap().queued());
    assert!(dispatcher.news_backlog() >= 199, "the news waits in its queue");
    // Answers keep coming to people's own actions while the news drains.
    let mut asked = Vec::new();
    for i in 0..40 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let answer = Action::Send {
            chat_id: 7 + i,
            html: format!("answer {i}"),
            buttons: vec![],
            class: Class::Screen,
        };
        asked.push((format!("answer {i}"), Instant::now()));
        dispatcher
            .enqueue(outbox.turn(1, UpdateRef::fetched(10 + i)).finish(&[answer]).await.unwrap().queued());
    }
    tokio::time::sleep(Duration::from_secs(10)).await;
    let sent = sender.sent.lock().unwrap().clone();
    for (answer, at) in &asked {
        let went = sent.iter().find(|(a, _)| text(a) == *answer).map(|(_, t)| *t).expect("answered");
        // At most the one news message in flight: a slot of the overall rate.
        assert!(
            went.duration_since(*at) <= Duration::from_millis(34),
            "{answer} waited {:?}",
            went.duration_since(*at)
        );
    }
    let news_times: Vec<Instant> =
        sent.iter().filter(|(a, _)| text(a).starts_with("news")).map(|(_, t)| *t).collect();
    assert_eq!(news_times.len(), 200, "all news sent");
    let span = news_times[199].duration_since(news_times[0]);
    // 200 at 25 a second (a burst of 25 first): about 7 seconds, never faster.
    assert!(span >= Duration::from_millis(6900) && span <= Duration::from_millis(9000), "{span:?}");
    assert_eq!(stats.news_sent.load(Ordering::Relaxed), 200);
    dispatcher.shutdown(Duration::from_secs(1)).await;
    assert!(outbox.queued(1, 0, 1000).await.unwrap().is_empty());
}

/// Sends that meet a 403 in the chats of `blocking`.
struct Blocking {
    blocking: Vec<i64>,
    sent: Mutex<Vec<Action>>,
}

#[async_trait::async_trait]
impl Perform for Blocking {
    async fn perform(&self, action: &Action, _abandon: &CancellationToken) -> Result<Sent, Abandoned> {
        if action.chat().is_some_and(|c| self.blocking.contains(&c)) {
            return Ok(Sent::Blocked);
        }
        self.sent.lock().unwrap().push(action.clone());
        Ok(Sent::Done)
    }
}

#[tokio::test(start_paused = true)]
async fn who_blocked_the_bot_gets_no_news_until_they_write_again() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    let sender = Arc::new(Blocking { blocking: vec![9], sent: Mutex::default() });
    let stats = Arc::new(DispatchStats::default());
    let dispatcher = Dispatcher::start(
        sender.clone(),
        outbox.clone(),
        1,
        Backoff::new(Duration::from_millis(10)),
        DispatchConfig::default(),
        stats.clone(),
    );
    let news = |i: i64, chat: i64| Action::Send {
        chat_id: chat,
        html: format!("news {i}"),
        buttons: vec![],
        class: Class::NEWS,
    };
    let mut update = 0;
    let mut enqueue = async |actions: Vec<Action>| {
        update += 1;
        dispatcher
            .enqueue(outbox.turn(1, UpdateRef::fetched(update)).finish(&actions).await.unwrap().queued());
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    // The first news to chat 9 meets the 403; the next ones are not even tried.
    enqueue(vec![news(1, 9), news(2, 8)]).await;
    enqueue(vec![news(3, 9), news(4, 9), news(5, 8)]).await;
    assert_eq!(stats.refused.load(Ordering::Relaxed), 1, "one 403");
    assert_eq!(stats.news_skipped.load(Ordering::Relaxed), 2);
    // Chat 9 writes again (and unblocked the bot): news is tried again.
    dispatcher.heard_from(9);
    enqueue(vec![news(6, 9)]).await;
    assert_eq!(stats.refused.load(Ordering::Relaxed), 2, "tried again, still blocked");
    let sent: Vec<String> = sender.sent.lock().unwrap().iter().map(text).collect();
    assert_eq!(sent, ["news 2", "news 5"]);
    dispatcher.shutdown(Duration::from_secs(1)).await;
    assert!(outbox.queued(1, 0, 100).await.unwrap().is_empty(), "skipped news left the outbox too");
}

#[tokio::test(start_paused = true)]
async fn shutdown_gives_hung_sends_their_grace_and_keeps_them_queued() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    let recorder = Arc::new(Recorder { hang: true, ..Recorder::default() });
    let backoff = Backoff::new(Duration::from_millis(10));
    let dispatcher = Dispatcher::start(
        recorder.clone(),
        outbox.clone(),
        1,
        backoff,
        DispatchConfig::default(),
        Arc::default(),
    );
    let action = Action::Send { chat_id: 7, html: "stuck".into(), buttons: vec![], class: Class::Screen };
    dispatcher.enqueue(outbox.turn(1, UpdateRef::fetched(1)).finish(&[action]).await.unwrap().queued());
    let started = Instant::now();
    dispatcher.shutdown(Duration::from_secs(6)).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(6) && took < Duration::from_secs(8), "{took:?}");
    assert_eq!(outbox.queued(1, 0, 10).await.unwrap().len(), 1, "unsent: left for the next start");
}

#[tokio::test]
async fn an_overflowing_chat_keeps_a_notice_a_summary_and_the_newest_screen() {
    let (inner, mut removed) = inner();
    let now = Instant::now();
    let mut queue = ChatQueue::new(now);
    for id in 1..=12 {
        let class = if id % 3 == 0 {
            Class::Effect { summary: "Logged 1 km in Run".into() }
        } else if id == 7 {
            Class::Notice
        } else {
            Class::Screen
        };
        queue.pending.push_back(message(id, class));
    }
    inner.compact(&mut queue, now);
    let shape: Vec<String> = queue
        .pending
        .iter()
        .map(|p| match p {
            Pending::FloodNotice => "notice".to_owned(),
            Pending::Message(m) => format!("m{}", m.id),
            Pending::Summary { lines, ids } => format!("summary {lines:?} {ids:?}"),
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            "notice".to_owned(),
            "m7".to_owned(),
            r#"summary [("Logged 1 km in Run", 4)] [3, 6, 9, 12]"#.to_owned(),
            "m11".to_owned()
        ]
    );
    let mut dropped = Vec::new();
    while let Ok(id) = removed.try_recv() {
        dropped.push(id);
    }
    assert_eq!(dropped, vec![1, 2, 4, 5, 8, 10], "superseded screens leave the outbox");
    assert!(queue.flooding);
    // Compacting again merges into the same summary and sends no second notice.
    queue.pending.push_back(message(13, Class::Effect { summary: "Logged 1 km in Run".into() }));
    inner.compact(&mut queue, now);
    assert_eq!(queue.pending.iter().filter(|p| matches!(p, Pending::FloodNotice)).count(), 1);
    assert!(
        queue.pending.iter().any(|p| matches!(p, Pending::Summary { lines, .. } if lines[0].1 == 5)),
        "{:?}",
        queue.pending
    );
}

#[test]
fn summaries_count_repeats_and_stay_short() {
    let lines: Vec<(String, u32)> = (0..25).map(|i| (format!("line {i} <&>"), 2)).collect();
    let Action::Send { html, .. } = summary(5, &lines) else { panic!() };
    assert!(html.contains("line 24 &lt;&amp;&gt; (×2)"), "{html}");
    assert!(html.contains("…and 10 earlier"), "{html}");
    assert!(!html.contains("line 4 "), "{html}");
}

#[tokio::test(start_paused = true)]
async fn news_slows_to_the_busy_pace_while_the_bot_is_busy_and_speeds_up_once_idle() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    let sender = Arc::new(Limited { limiter: RateLimiter::new(0.0, 0.0), sent: Mutex::default() });
    let config = DispatchConfig { bulk_rate: 1000.0, busy_bulk_rate: 25.0, ..DispatchConfig::default() };
    let dispatcher = news_dispatcher(sender.clone(), outbox.clone(), config, Arc::default());
    let news = news_to_200();
    let start = Instant::now();
    // An update being handled for two seconds.
    let handling = dispatcher.busy();
    dispatcher.enqueue(outbox.turn(1, UpdateRef::fetched(1)).finish(&news).await.unwrap().queued());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let while_busy = sender.sent.lock().unwrap().len();
    // 25 a second, the first at once: 51 in two seconds at most.
    assert!((45..=51).contains(&while_busy), "{while_busy} news sent while busy");
    drop(handling);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = sender.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 200, "the rest went at the bulk pace once idle");
    let last = sent.last().map(|(_, at)| at.duration_since(start)).expect("sent");
    // The 150 or so left at 1,000 a second: about 150 ms after the two seconds.
    assert!(last <= Duration::from_millis(2_250), "the last news went after {last:?}");
    dispatcher.shutdown(Duration::from_secs(1)).await;
}

/// Ten reminders, marked as due work as the scheduler marks them.
fn ten_reminders() -> Vec<Action> {
    (0..10)
        .map(|i| {
            let mut reminder = Action::Send {
                chat_id: 5000 + i,
                html: format!("reminder {i}"),
                buttons: vec![],
                class: Class::NEWS,
            };
            reminder.mark_due();
            reminder
        })
        .collect()
}

/// All ten reminders went, the last within a second of `start` (news still draining).
fn assert_ten_reminders_went_within_a_second(sender: &Limited, start: Instant) {
    let sent = sender.sent.lock().unwrap().clone();
    let reminders_sent: Vec<Duration> = sent
        .iter()
        .filter(|(a, _)| text(a).starts_with("reminder"))
        .map(|(_, at)| at.duration_since(start))
        .collect();
    assert_eq!(reminders_sent.len(), 10, "every reminder went while the news still drained");
    assert!(
        reminders_sent[9] <= Duration::from_millis(1_000),
        "the last reminder went after {:?}",
        reminders_sent[9]
    );
}

#[tokio::test(start_paused = true)]
async fn due_work_takes_turns_with_news_instead_of_waiting_behind_it() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    let sender = Arc::new(Limited { limiter: RateLimiter::new(0.0, 0.0), sent: Mutex::default() });
    let config = DispatchConfig { bulk_rate: 25.0, ..DispatchConfig::default() };
    let dispatcher = news_dispatcher(sender.clone(), outbox.clone(), config, Arc::default());
    let start = Instant::now();
    // A flood of people's news (eight seconds of it at 25 a second), then ten reminders.
    let news = news_to_200();
    dispatcher.enqueue(outbox.turn(1, UpdateRef::fetched(1)).finish(&news).await.unwrap().queued());
    let job = outbox.job(1);
    dispatcher.enqueue(job.finish(&ten_reminders()).await.unwrap().queued());
    assert_eq!(dispatcher.due_backlog(), 10, "the reminders wait in the due queue");
    assert!(dispatcher.news_backlog() >= 209, "the news backlog counts both queues");
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Every other bulk message: the tenth within the first 20 or so sends, not after the 200.
    assert_ten_reminders_went_within_a_second(&sender, start);
    let news_left = dispatcher.news_backlog();
    assert!(news_left >= 100, "the news was still draining ({news_left} left)");
    assert_eq!(dispatcher.due_backlog(), 0);
    dispatcher.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn due_work_left_unsent_keeps_its_own_queue_after_a_restart() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    // An earlier run left a flood of people's news unsent, then ten reminders.
    outbox.turn(1, UpdateRef::fetched(1)).finish(&news_to_200()).await.unwrap();
    outbox.job(1).finish(&ten_reminders()).await.unwrap();
    let sender = Arc::new(Limited { limiter: RateLimiter::new(0.0, 0.0), sent: Mutex::default() });
    let config = DispatchConfig { bulk_rate: 25.0, ..DispatchConfig::default() };
    let dispatcher = news_dispatcher(sender.clone(), outbox.clone(), config, Arc::default());
    let start = Instant::now();
    assert_eq!(dispatcher.load(outbox.as_ref(), 1).await.unwrap(), 210);
    assert_eq!(dispatcher.due_backlog(), 10, "the reminders wait in the due queue again");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_ten_reminders_went_within_a_second(&sender, start);
    assert!(dispatcher.news_backlog() >= 100, "the news was still draining");
    dispatcher.shutdown(Duration::from_secs(1)).await;
}

#[tokio::test(start_paused = true)]
async fn news_beyond_what_memory_holds_waits_as_ids_and_goes_in_order() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    let sender = Arc::new(Limited { limiter: RateLimiter::new(0.0, 0.0), sent: Mutex::default() });
    let config = DispatchConfig { bulk_rate: 25.0, news_in_memory: 10, ..DispatchConfig::default() };
    let dispatcher = news_dispatcher(sender.clone(), outbox.clone(), config, Arc::default());
    // 600 news messages: 25 at once, then 25 a second, about 23 seconds in all.
    let news = news_to(600);
    dispatcher.enqueue(outbox.turn(1, UpdateRef::fetched(1)).finish(&news).await.unwrap().queued());
    assert!(dispatcher.news_backlog() >= 599, "all of it waits");
    assert!(dispatcher.inner.bulk.lock().unwrap().whole() <= 10, "only ten held whole");
    // Some seconds in (about 125 sent), the memory still holds at most a read-back's worth
    // whole, not the 475 or so still waiting.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let whole = dispatcher.inner.bulk.lock().unwrap().whole();
    assert!(whole <= 10 + super::news::READ_BACK, "{whole} held whole");
    assert!(dispatcher.news_backlog() > 10 + super::news::READ_BACK, "the read-backs are still going");
    tokio::time::sleep(Duration::from_secs(22)).await;
    let sent: Vec<String> = sender.sent.lock().unwrap().iter().map(|(a, _)| text(a)).collect();
    let expected: Vec<String> = (0..600).map(|i| format!("news {i}")).collect();
    assert_eq!(sent, expected, "every news message once, in the order it came");
    dispatcher.shutdown(Duration::from_secs(1)).await;
    assert!(outbox.queued(1, 0, 1000).await.unwrap().is_empty(), "all of it left the outbox");
}

#[tokio::test(start_paused = true)]
async fn news_held_as_ids_is_read_back_after_a_restart_too() {
    use crate::outbox::memory::MemoryOutbox;
    use crate::outbox::{Outbox, UpdateRef};
    let outbox = Arc::new(MemoryOutbox::new());
    // An earlier run left 200 news messages and an answer unsent.
    let mut left = news_to_200();
    left.insert(
        50,
        Action::Send { chat_id: 7, html: "answer".into(), buttons: vec![], class: Class::Screen },
    );
    outbox.turn(1, UpdateRef::fetched(1)).finish(&left).await.unwrap();
    let sender = Arc::new(Limited { limiter: RateLimiter::new(0.0, 0.0), sent: Mutex::default() });
    let config = DispatchConfig { bulk_rate: 0.0, news_in_memory: 10, ..DispatchConfig::default() };
    let dispatcher = news_dispatcher(sender.clone(), outbox.clone(), config, Arc::default());
    assert_eq!(dispatcher.load(outbox.as_ref(), 1).await.unwrap(), 201);
    assert!(dispatcher.inner.bulk.lock().unwrap().whole() <= 10, "the start holds ten news whole");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent: Vec<String> = sender.sent.lock().unwrap().iter().map(|(a, _)| text(a)).collect();
    assert_eq!(sent.len(), 201, "{sent:?}");
    let news: Vec<&String> = sent.iter().filter(|t| t.starts_with("news")).collect();
    assert!(news.iter().zip(0..).all(|(t, i)| **t == format!("news {i}")), "news in order");
    dispatcher.shutdown(Duration::from_secs(1)).await;
    assert!(outbox.queued(1, 0, 1000).await.unwrap().is_empty());
}
