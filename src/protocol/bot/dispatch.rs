//! Delivering the outbox: each message performed once, at the pace Telegram allows, without one
//! chat holding up another.
//!
//! An update is confirmed once its effects and its messages are committed ([`crate::outbox`]);
//! its messages reach the [`Dispatcher`] then, or from the outbox at the next start. From there:
//!
//! - callback answers (`answerCallbackQuery`) are not chat messages: they are performed at once,
//!   never behind a chat's messages, so a button's spinner stops within Telegram's few seconds
//!   whatever else is queued for that chat;
//! - messages wait in one queue per chat and are sent in order, paced by the rate limiter
//!   (about one a second per chat, with a short burst). A chat's queue never holds up another's;
//! - a chat whose queue overflows ([`DispatchConfig::backlog`] unsent, a person writing faster
//!   than they can be answered, or a paste of many lines) is *flooding*: it gets one short
//!   notice at once; screens a later screen supersedes (an older menu, an older question) are
//!   dropped; confirmations of what was saved are merged into one summary, never dropped; what
//!   is left (the summary and the newest screen) is sent once the chat has been quiet for
//!   [`DispatchConfig::quiet`] (or every [`DispatchConfig::max_hold`] while it keeps flooding).
//!   A burst of 1,000 messages costs the flooder a handful of answers, and memory stays bounded
//!   per chat;
//! - a message sent (or dropped on purpose, or refused for good by Telegram) leaves the outbox;
//!   the removals are batched by a task of their own. A crash before a removal repeats that
//!   message at the next start: Telegram cannot say whether it arrived, so the other choice
//!   would be to risk losing it.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::html::HtmlBuilder;
use super::limiter::RateLimiter;
use super::sender::{Abandoned, Backoff, Perform, Sent, pause};
use crate::outbox::{Action, Class, Outbox, Queued};

/// How a flooding chat is treated.
#[derive(Clone, Copy, Debug)]
pub struct DispatchConfig {
    /// The most messages waiting for one chat before it counts as flooding.
    pub backlog: usize,
    /// How long a flooding chat must stay quiet before it gets where things stand.
    pub quiet: Duration,
    /// The longest a flooding chat waits for that, if it never stops.
    pub max_hold: Duration,
    /// News per second (`TELEGRAM_RATE_BULK`; 0: as fast as the rate limits leave room).
    pub bulk_rate: f64,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            backlog: 10,
            quiet: Duration::from_secs(1),
            max_hold: Duration::from_secs(15),
            bulk_rate: 25.0,
        }
    }
}

/// Counters since the start.
#[derive(Debug, Default)]
pub struct DispatchStats {
    /// Messages and callback answers performed.
    pub sent: AtomicU64,
    /// Screens dropped unsent because a later one superseded them.
    pub superseded: AtomicU64,
    /// Confirmations merged into a summary.
    pub merged: AtomicU64,
    /// "You are writing faster than I can answer" notices.
    pub flood_notices: AtomicU64,
    /// Messages Telegram refused for good (blocked bot, expired query…).
    pub refused: AtomicU64,
    /// News messages sent (also counted in `sent`).
    pub news_sent: AtomicU64,
    /// News not sent because its reader blocked the bot.
    pub news_skipped: AtomicU64,
}

/// What waits in a chat's queue.
#[derive(Debug)]
enum Pending {
    Message(Queued),
    /// Confirmations merged while the chat was flooding: their lines (with how often each came)
    /// and the outbox rows they stand for (removed once the summary is sent).
    Summary {
        lines: Vec<(String, u32)>,
        ids: Vec<i64>,
    },
    /// The flood notice (not in the outbox: losing it in a crash loses nothing).
    FloodNotice,
}

struct ChatQueue {
    pending: VecDeque<Pending>,
    /// A task is sending this chat's messages.
    draining: bool,
    /// The chat overflowed and has not been quiet since.
    flooding: bool,
    last_queued: Instant,
    last_notice: Option<Instant>,
    /// While flooding: when the chat was last shown where things stand.
    last_caught_up: Instant,
    /// Since when the chat has had messages waiting without a break (`None`: none waiting).
    waiting_since: Option<Instant>,
}

impl ChatQueue {
    fn new(now: Instant) -> ChatQueue {
        ChatQueue {
            pending: VecDeque::new(),
            draining: false,
            flooding: false,
            last_queued: now,
            last_notice: None,
            last_caught_up: now,
            waiting_since: None,
        }
    }
}

/// No second flood notice to the same chat within this long.
const NOTICE_EVERY: Duration = Duration::from_secs(60);
/// Lines of a summary; the rest are counted.
const SUMMARY_LINES: usize = 20;

struct Inner {
    sender: Arc<dyn Perform>,
    config: DispatchConfig,
    chats: Mutex<HashMap<i64, ChatQueue>>,
    removals: mpsc::UnboundedSender<i64>,
    tasks: TaskTracker,
    /// Fires at shutdown: nothing new is sent; what is unsent stays in the outbox.
    stop: CancellationToken,
    stats: Arc<DispatchStats>,
    /// News waiting, oldest first, and whether a task is sending it.
    bulk: Mutex<(VecDeque<Queued>, bool)>,
    /// Paces news at [`DispatchConfig::bulk_rate`].
    bulk_pace: RateLimiter,
    /// Chats whose person blocked the bot (a 403) and has not written since: no news for them.
    /// Kept in memory: after a restart the first news to such a chat meets the 403 again.
    blocked: Mutex<std::collections::HashSet<i64>>,
}

/// Delivers queued messages. Cheap to clone.
#[derive(Clone)]
pub struct Dispatcher {
    inner: Arc<Inner>,
    remover: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Dispatcher {
    /// A dispatcher sending through `sender`, removing sent messages from `outbox`.
    pub fn start(
        sender: Arc<dyn Perform>,
        outbox: Arc<dyn Outbox>,
        bot: i64,
        backoff: Backoff,
        config: DispatchConfig,
        stats: Arc<DispatchStats>,
    ) -> Dispatcher {
        let (removals, received) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        let remover = tokio::spawn(remove_sent(outbox, bot, backoff, received));
        Dispatcher {
            inner: Arc::new(Inner {
                sender,
                config,
                chats: Mutex::new(HashMap::new()),
                removals,
                tasks: TaskTracker::new(),
                stop,
                stats,
                bulk: Mutex::new((VecDeque::new(), false)),
                bulk_pace: RateLimiter::new(0.0, config.bulk_rate),
                blocked: Mutex::default(),
            }),
            remover: Arc::new(Mutex::new(Some(remover))),
        }
    }

    /// Queues committed messages for delivery.
    pub fn enqueue(&self, queued: Vec<Queued>) {
        for message in queued {
            match message.action.chat() {
                None => self.answer_now(message),
                Some(_) if *message.action.class() == Class::News => self.enqueue_news(message),
                Some(chat) => self.enqueue_in_chat(chat, message),
            }
        }
    }

    /// Everything still in the outbox from an earlier run, in the order it was queued.
    pub async fn load(
        &self,
        outbox: &dyn Outbox,
        bot: i64,
    ) -> Result<usize, crate::repository::RepositoryError> {
        let mut after = 0;
        let mut loaded = 0;
        loop {
            let page = outbox.queued(bot, after, 500).await?;
            let Some(last) = page.last() else { return Ok(loaded) };
            after = last.id;
            loaded += page.len();
            self.enqueue(page);
        }
    }

    /// Messages waiting, over all chats (for logs and benchmarks); news is counted apart.
    pub fn backlog(&self) -> usize {
        self.inner.chats.lock().expect("chats lock").values().map(|q| q.pending.len()).sum()
    }

    /// The person of `chat` wrote: if they had blocked the bot, they get news again.
    pub fn heard_from(&self, chat: i64) {
        let mut blocked = self.inner.blocked.lock().expect("blocked lock");
        if !blocked.is_empty() {
            blocked.remove(&chat);
        }
    }

    /// News waiting to be sent.
    pub fn news_backlog(&self) -> usize {
        self.inner.bulk.lock().expect("bulk lock").0.len()
    }

    /// How long the chat that has waited longest has had messages waiting, if any has.
    pub fn oldest_waiting(&self) -> Option<Duration> {
        let chats = self.inner.chats.lock().expect("chats lock");
        chats.values().filter_map(|q| q.waiting_since).min().map(|since| since.elapsed())
    }

    /// Stops sending: what is in flight gets `grace` to finish, what is unsent stays in the
    /// outbox for the next start, and the removals of what was sent are written.
    pub async fn shutdown(&self, grace: Duration) {
        self.inner.tasks.close();
        if tokio::time::timeout(grace, self.inner.tasks.wait()).await.is_err() {
            tracing::warn!(
                unsent = self.backlog(),
                "shutdown: answers not sent yet stay in the outbox for the next start"
            );
            self.inner.stop.cancel();
            let _ = tokio::time::timeout(Duration::from_millis(500), self.inner.tasks.wait()).await;
        }
        self.inner.stop.cancel();
        // Closing the channel lets the remover write what it has and end.
        let remover = self.remover.lock().expect("remover lock").take();
        drop(self.inner.chats.lock().expect("chats lock").drain());
        if let Some(remover) = remover {
            let _ = self.inner.removals.send(REMOVER_STOP);
            let _ = tokio::time::timeout(Duration::from_secs(2), remover).await;
        }
    }

    fn answer_now(&self, message: Queued) {
        let inner = self.inner.clone();
        self.inner.tasks.spawn(async move {
            if let Ok(sent) = inner.sender.perform(&message.action, &inner.stop).await {
                inner.count(&sent);
                let _ = inner.removals.send(message.id);
            }
        });
    }

    /// News goes in one queue of its own, sent at the bulk pace in the order it came.
    fn enqueue_news(&self, message: Queued) {
        let mut bulk = self.inner.bulk.lock().expect("bulk lock");
        bulk.0.push_back(message);
        if !bulk.1 {
            bulk.1 = true;
            let inner = self.inner.clone();
            self.inner.tasks.spawn(async move { inner.drain_news().await });
        }
    }

    fn enqueue_in_chat(&self, chat: i64, message: Queued) {
        let now = Instant::now();
        let mut chats = self.inner.chats.lock().expect("chats lock");
        let queue = chats.entry(chat).or_insert_with(|| ChatQueue::new(now));
        queue.last_queued = now;
        queue.waiting_since.get_or_insert(now);
        queue.pending.push_back(Pending::Message(message));
        // Once flooding, every new screen supersedes the one waiting, every confirmation joins
        // the summary: the queue stays at a notice, a summary and a screen.
        if queue.flooding || queue.pending.len() > self.inner.config.backlog {
            self.inner.compact(queue, now);
        }
        if !queue.draining {
            queue.draining = true;
            let inner = self.inner.clone();
            self.inner.tasks.spawn(async move { inner.drain(chat).await });
        }
    }
}

/// Sent on the removals channel to tell the remover to finish.
const REMOVER_STOP: i64 = i64::MIN;

impl Inner {
    /// Sends the news queue, one message at the bulk pace, each only once the rate limits have
    /// room for it now: news never takes a slot an answer is waiting for, so answers to people's
    /// own actions never wait behind it (at most behind the one news message being sent).
    async fn drain_news(self: Arc<Self>) {
        loop {
            let next = {
                let mut bulk = self.bulk.lock().expect("bulk lock");
                match bulk.0.pop_front() {
                    Some(next) => next,
                    None => {
                        bulk.1 = false;
                        return;
                    }
                }
            };
            let chat = next.action.chat().unwrap_or_default();
            if self.blocked.lock().expect("blocked lock").contains(&chat) {
                self.stats.news_skipped.fetch_add(1, Ordering::Relaxed);
                let _ = self.removals.send(next.id);
                continue;
            }
            tokio::select! {
                _ = self.bulk_pace.acquire(0) => {}
                _ = self.stop.cancelled() => return,
            }
            loop {
                let wait = self.sender.free_in(chat);
                if wait.is_zero() {
                    break;
                }
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.stop.cancelled() => return,
                }
            }
            if let Ok(sent) = self.sender.perform(&next.action, &self.stop).await {
                self.note(Some(chat), &sent);
                if matches!(sent, Sent::Done) {
                    self.stats.news_sent.fetch_add(1, Ordering::Relaxed);
                }
                let _ = self.removals.send(next.id);
            }
        }
    }

    fn count(&self, sent: &Sent) {
        match sent {
            Sent::Done => self.stats.sent.fetch_add(1, Ordering::Relaxed),
            Sent::Dropped => self.stats.refused.fetch_add(1, Ordering::Relaxed),
            Sent::Blocked => self.stats.refused.fetch_add(1, Ordering::Relaxed),
        };
    }

    /// What a send says of its chat: a 403 means its person blocked the bot.
    fn note(&self, chat: Option<i64>, sent: &Sent) {
        self.count(sent);
        if let (Sent::Blocked, Some(chat)) = (sent, chat) {
            self.blocked.lock().expect("blocked lock").insert(chat);
        }
    }

    /// A chat's queue overflowed: notice, drop superseded screens, merge confirmations.
    fn compact(&self, queue: &mut ChatQueue, now: Instant) {
        if !queue.flooding {
            queue.flooding = true;
            queue.last_caught_up = now;
            if queue.last_notice.is_none_or(|at| now.duration_since(at) >= NOTICE_EVERY) {
                queue.last_notice = Some(now);
                queue.pending.push_front(Pending::FloodNotice);
            }
        }
        let mut kept = VecDeque::with_capacity(4);
        let mut newest_screen: Option<Queued> = None;
        let mut lines: Vec<(String, u32)> = Vec::new();
        let mut merged_ids = Vec::new();
        for pending in queue.pending.drain(..) {
            match pending {
                Pending::FloodNotice => kept.push_back(Pending::FloodNotice),
                Pending::Summary { lines: earlier, ids } => {
                    for (line, n) in earlier {
                        add_line(&mut lines, line, n);
                    }
                    merged_ids.extend(ids);
                }
                Pending::Message(message) => match message.action.class().clone() {
                    Class::Notice | Class::News => kept.push_back(Pending::Message(message)),
                    Class::Effect { summary } => {
                        self.stats.merged.fetch_add(1, Ordering::Relaxed);
                        add_line(&mut lines, summary, 1);
                        merged_ids.push(message.id);
                    }
                    Class::Screen => {
                        if let Some(older) = newest_screen.replace(message) {
                            self.stats.superseded.fetch_add(1, Ordering::Relaxed);
                            let _ = self.removals.send(older.id);
                        }
                    }
                },
            }
        }
        if !merged_ids.is_empty() {
            kept.push_back(Pending::Summary { lines, ids: merged_ids });
        }
        if let Some(screen) = newest_screen {
            kept.push_back(Pending::Message(screen));
        }
        queue.pending = kept;
    }

    /// Sends a chat's messages in order until its queue is empty.
    async fn drain(self: Arc<Self>, chat: i64) {
        loop {
            let next = {
                let mut chats = self.chats.lock().expect("chats lock");
                let Some(queue) = chats.get_mut(&chat) else { return };
                let now = Instant::now();
                let quiet_since = now.duration_since(queue.last_queued);
                if queue.pending.is_empty() {
                    if queue.flooding && quiet_since < self.config.quiet {
                        // Stay until the flood is over, to tell it apart from the next one.
                        Err(self.config.quiet - quiet_since)
                    } else {
                        chats.remove(&chat);
                        return;
                    }
                } else if queue.flooding
                    && !matches!(queue.pending.front(), Some(Pending::FloodNotice))
                    && quiet_since < self.config.quiet
                    && now.duration_since(queue.last_caught_up) < self.config.max_hold
                {
                    // Hold where things stand until the chat is quiet.
                    Err((self.config.quiet - quiet_since)
                        .min(self.config.max_hold - now.duration_since(queue.last_caught_up)))
                } else {
                    let pending = queue.pending.pop_front().expect("not empty");
                    if queue.pending.is_empty() {
                        queue.waiting_since = None;
                    }
                    if queue.flooding && !matches!(pending, Pending::FloodNotice) {
                        queue.last_caught_up = now;
                    }
                    if queue.pending.is_empty() && queue.flooding && quiet_since >= self.config.quiet {
                        queue.flooding = false;
                    }
                    Ok(pending)
                }
            };
            let pending = match next {
                Ok(pending) => pending,
                Err(wait) => {
                    if pause(wait.max(Duration::from_millis(10)), &self.stop).await.is_err() {
                        return;
                    }
                    continue;
                }
            };
            if self.send(chat, pending).await.is_err() {
                return;
            }
        }
    }

    async fn send(&self, chat: i64, pending: Pending) -> Result<(), Abandoned> {
        match pending {
            Pending::Message(message) => {
                let sent = self.sender.perform(&message.action, &self.stop).await?;
                self.note(Some(chat), &sent);
                let _ = self.removals.send(message.id);
            }
            Pending::Summary { lines, ids } => {
                let action = summary(chat, &lines);
                let sent = self.sender.perform(&action, &self.stop).await?;
                self.count(&sent);
                for id in ids {
                    let _ = self.removals.send(id);
                }
            }
            Pending::FloodNotice => {
                self.stats.flood_notices.fetch_add(1, Ordering::Relaxed);
                let mut html = HtmlBuilder::default();
                html.text(
                    "✋ You are writing faster than I can answer. Everything you send is handled; \
                     I will show you where things stand once you pause.",
                );
                let action = Action::Send {
                    chat_id: chat,
                    html: html.finish(),
                    buttons: vec![],
                    class: Class::Notice,
                };
                let sent = self.sender.perform(&action, &self.stop).await?;
                self.count(&sent);
            }
        }
        Ok(())
    }
}

fn add_line(lines: &mut Vec<(String, u32)>, line: String, n: u32) {
    match lines.iter_mut().find(|(l, _)| *l == line) {
        Some((_, count)) => *count += n,
        None => lines.push((line, n)),
    }
}

/// The merged confirmations as one message.
fn summary(chat: i64, lines: &[(String, u32)]) -> Action {
    let mut html = HtmlBuilder::default();
    html.tag("b", "📋 Saved while you were writing:");
    // The latest lines matter most: earlier ones are counted.
    let skipped = lines.len().saturating_sub(SUMMARY_LINES);
    if skipped > 0 {
        let earlier: u32 = lines[..skipped].iter().map(|(_, n)| n).sum();
        html.text(&format!("\n• …and {earlier} earlier"));
    }
    for (line, n) in &lines[skipped..] {
        html.text("\n• ").text(line);
        if *n > 1 {
            html.text(&format!(" (×{n})"));
        }
    }
    Action::Send { chat_id: chat, html: html.finish(), buttons: vec![], class: Class::Notice }
}

/// Removes sent messages from the outbox, all that arrived meanwhile in one statement, until
/// told to stop (then what is left, once).
async fn remove_sent(
    outbox: Arc<dyn Outbox>,
    bot: i64,
    backoff: Backoff,
    mut ids: mpsc::UnboundedReceiver<i64>,
) {
    let mut batch: Vec<i64> = Vec::new();
    let mut failures = 0u32;
    let never = CancellationToken::new();
    loop {
        let mut stopping = false;
        if batch.is_empty() {
            match ids.recv().await {
                Some(REMOVER_STOP) | None => return,
                Some(id) => batch.push(id),
            }
        }
        while let Ok(id) = ids.try_recv() {
            if id == REMOVER_STOP {
                stopping = true;
                break;
            }
            batch.push(id);
        }
        match outbox.remove(bot, &batch).await {
            Ok(()) => {
                batch.clear();
                failures = 0;
            }
            Err(e) => {
                let wait = backoff.delay(failures);
                failures = failures.saturating_add(1);
                tracing::warn!(
                    wait_ms = wait.as_millis() as u64,
                    "could not remove sent messages; retrying: {e}"
                );
                if stopping {
                    return;
                }
                let _ = pause(wait, &never).await;
            }
        }
        if stopping {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
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
            config: DispatchConfig::default(),
            chats: Mutex::new(HashMap::new()),
            removals,
            tasks: TaskTracker::new(),
            stop: CancellationToken::new(),
            stats: Arc::default(),
            bulk: Mutex::new((VecDeque::new(), false)),
            bulk_pace: RateLimiter::new(0.0, 0.0),
            blocked: Mutex::default(),
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
        assert_eq!(
            direct + merged,
            30,
            "each of the 30 confirmations reached the flooder once: {to_flooder:#?}"
        );
        assert!(stats.merged.load(Ordering::Relaxed) > 0 && stats.superseded.load(Ordering::Relaxed) > 0);
        dispatcher.shutdown(Duration::from_secs(1)).await;
        assert!(
            outbox.queued(1, 0, 1000).await.unwrap().is_empty(),
            "every row left the outbox once handled"
        );
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

    #[tokio::test(start_paused = true)]
    async fn news_goes_at_the_bulk_pace_and_never_ahead_of_answers() {
        use crate::outbox::memory::MemoryOutbox;
        use crate::outbox::{Outbox, UpdateRef};
        let outbox = Arc::new(MemoryOutbox::new());
        // Telegram's overall 30 a second; news at 25.
        let sender = Arc::new(Limited { limiter: RateLimiter::new(0.0, 30.0), sent: Mutex::default() });
        let stats = Arc::new(DispatchStats::default());
        let config = DispatchConfig { bulk_rate: 25.0, ..DispatchConfig::default() };
        let dispatcher = Dispatcher::start(
            sender.clone(),
            outbox.clone(),
            1,
            Backoff::new(Duration::from_millis(10)),
            config,
            stats.clone(),
        );
        let news: Vec<Action> = (0..200)
            .map(|i| Action::Send {
                chat_id: 1000 + i,
                html: format!("news {i}"),
                buttons: vec![],
                class: Class::News,
            })
            .collect();
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
            dispatcher.enqueue(
                outbox.turn(1, UpdateRef::fetched(10 + i)).finish(&[answer]).await.unwrap().queued(),
            );
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
            class: Class::News,
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
}
