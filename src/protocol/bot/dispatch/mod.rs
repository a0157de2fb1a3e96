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
//!   would be to risk losing it;
//! - news for other people (`news.rs`) and lines of groups' news (`groups.rs`, batched per group)
//!   go at the bulk pace in slots that answers leave free, and slower while the bot is busy
//!   with people's own actions (`foreground.rs`).

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
pub use foreground::Busy;
use foreground::{BusyPace, Foreground};
use groups::GroupLanes;
use news::NewsQueue;

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
    /// News per second at most while the bot is busy with people's own actions
    /// (`TELEGRAM_RATE_BULK_BUSY`; 0: the bulk rate all the time). See `foreground.rs`.
    pub busy_bulk_rate: f64,
    /// News messages held in memory; news beyond them waits as its outbox ids only and is read
    /// back when its turn comes (`news.rs`).
    pub news_in_memory: usize,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            backlog: 10,
            quiet: Duration::from_secs(1),
            max_hold: Duration::from_secs(15),
            bulk_rate: 25.0,
            busy_bulk_rate: 25.0,
            news_in_memory: 1_000,
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
    /// Messages of groups' news sent (also counted in `sent`), and the lines they carried.
    pub announcements_sent: AtomicU64,
    pub announcement_lines: AtomicU64,
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
    /// Where news held as ids only is read back from (`news.rs`), and how to retry that read.
    outbox: Arc<dyn Outbox>,
    bot: i64,
    backoff: Backoff,
    config: DispatchConfig,
    chats: Mutex<HashMap<i64, ChatQueue>>,
    removals: mpsc::UnboundedSender<i64>,
    tasks: TaskTracker,
    /// Fires at shutdown: nothing new is sent; what is unsent stays in the outbox.
    stop: CancellationToken,
    stats: Arc<DispatchStats>,
    /// News waiting, and whether a task is sending it (`news.rs`).
    bulk: Mutex<NewsQueue>,
    /// Paces news at [`DispatchConfig::bulk_rate`].
    bulk_pace: RateLimiter,
    /// Updates being handled and chats with answers being sent: while there are any, news
    /// also keeps to [`DispatchConfig::busy_bulk_rate`] (`foreground.rs`).
    foreground: Foreground,
    busy_pace: BusyPace,
    /// Chats whose person blocked the bot (a 403) and has not written since: no news for them.
    /// Kept in memory: after a restart the first news to such a chat meets the 403 again.
    blocked: Mutex<std::collections::HashSet<i64>>,
    /// Told of each chat newly found blocked (see [`Dispatcher::on_blocked`]).
    blocked_listener: Mutex<Option<mpsc::UnboundedSender<i64>>>,
    /// Groups' news waiting, per group (`groups.rs`).
    groups: Mutex<GroupLanes>,
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
        let remover = tokio::spawn(remove_sent(outbox.clone(), bot, backoff, received));
        Dispatcher {
            inner: Arc::new(Inner {
                sender,
                outbox,
                bot,
                backoff,
                config,
                chats: Mutex::new(HashMap::new()),
                removals,
                tasks: TaskTracker::new(),
                stop,
                stats,
                bulk: Mutex::default(),
                bulk_pace: RateLimiter::new(0.0, config.bulk_rate),
                foreground: Foreground::default(),
                busy_pace: BusyPace::new(config.busy_bulk_rate),
                blocked: Mutex::default(),
                blocked_listener: Mutex::default(),
                groups: Mutex::default(),
            }),
            remover: Arc::new(Mutex::new(Some(remover))),
        }
    }

    /// The chats whose person blocked the bot, as news to them meets a 403 (once per chat until
    /// they write again). A later call replaces the earlier listener.
    pub fn on_blocked(&self) -> mpsc::UnboundedReceiver<i64> {
        let (tx, rx) = mpsc::unbounded_channel();
        *self.inner.blocked_listener.lock().expect("listener lock") = Some(tx);
        rx
    }

    /// Marks the bot busy with someone's own action (an update being handled) until the guard
    /// is dropped: news then gives way (`foreground.rs`).
    pub fn busy(&self) -> Busy {
        self.inner.foreground.busy()
    }

    /// Whether the bot is busy with someone's own action now.
    pub fn is_busy(&self) -> bool {
        self.inner.foreground.is_busy()
    }

    /// Queues committed messages for delivery: answers in their chat's queue, news and the
    /// bot's due work in the bulk lane's two queues (`news.rs`), groups' news in the group's.
    pub fn enqueue(&self, queued: Vec<Queued>) {
        for message in queued {
            match message.action.chat() {
                None => self.answer_now(message),
                Some(_) if *message.action.class() == Class::NEWS => self.enqueue_news(message),
                Some(_) if *message.action.class() == Class::DUE => self.enqueue_due(message),
                Some(chat) if matches!(message.action.class(), Class::Announcement { .. }) => {
                    self.enqueue_announcement(chat, message)
                }
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
        let busy = self.busy();
        self.inner.tasks.spawn(async move {
            let _busy = busy;
            if let Ok(sent) = inner.sender.perform(&message.action, &inner.stop).await {
                inner.count(&sent);
                let _ = inner.removals.send(message.id);
            }
        });
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
    fn count(&self, sent: &Sent) {
        match sent {
            Sent::Done => self.stats.sent.fetch_add(1, Ordering::Relaxed),
            Sent::Dropped | Sent::Blocked => self.stats.refused.fetch_add(1, Ordering::Relaxed),
        };
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
                    Class::Notice | Class::News { .. } | Class::Announcement { .. } => {
                        kept.push_back(Pending::Message(message))
                    }
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
        let _busy = self.foreground.busy();
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
                self.note(chat, &sent);
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

mod foreground;
mod groups;
mod news;
#[cfg(test)]
mod tests;
