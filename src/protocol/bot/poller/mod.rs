//! The long-poll loop and the delivery guarantees.
//!
//! - One `getUpdates` at a time, asking from the [`Watermark`]: the lowest update still in
//!   flight. Telegram confirms everything below the offset we ask for, so an update is confirmed
//!   once its effects and its answers are *committed*; sending the answers is the
//!   [`Dispatcher`]'s business, later, and never holds back the confirmation of anyone's updates.
//!   Updates at or above the offset that come again are recognised and skipped.
//! - Each user has a queue: their updates are handled in order, one at a time; different users
//!   run concurrently, at most `workers` at once. A queue holds at most
//!   [`Poller::user_queue`] updates in memory: updates past that are *parked* in the database's
//!   inbox (and then confirmed), and their user's worker takes them from there, in order, once
//!   the ones in memory are done. One person sending a thousand messages costs a few database
//!   rows, never memory, and never holds up anyone else's updates.
//! - Handling an update: open a [`Turn`], ask the [`Responder`] for the answers (whatever it
//!   changes, it changes through the turn's store), then [`Turn::finish`]: the update's record
//!   and its answers (the outbox) commit in the same transaction as its effects. An update that
//!   an earlier run recorded is not handled again.
//! - Failures: a database that cannot be reached leaves the update in flight (so unconfirmed)
//!   and is retried with backoff for as long as it takes. Any other failure of an update (a bug,
//!   a broken row) is retried [`MAX_ATTEMPTS`] times within a few seconds; then the update is
//!   recorded as failed with its error, its sender gets an apology and the menu, and it is
//!   confirmed: one poisoned update cannot stall the bot. (The per-user workers are in
//!   [`worker`]; updates posted to the webhook enter through [`webhook`].)
//! - The watermark is saved in the database (by a task of its own, at most every 250 ms, and at
//!   shutdown), and polling resumes from it at the next start. A saved offset that lags behind
//!   only means that updates the outbox recognises may come again. Records below the offset
//!   Telegram confirmed are deleted with each save.
//! - If Telegram starts a new sequence of update ids (it does after a week without updates), the
//!   old sequence's records are forgotten and polling follows the new one.
//! - Shutdown: stop polling, let in-flight updates finish (up to a grace period), save and
//!   confirm the offset. Work still unfinished then is abandoned unconfirmed, to be redelivered;
//!   answers not yet sent wait in the outbox for the next start.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::value::RawValue;
use teloxide::types::Update;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

mod scheduler;
mod webhook;
mod worker;

use super::api::{Api, Retry};
use super::dispatch::{DispatchConfig, DispatchStats, Dispatcher};
use super::limiter::RateLimiter;
use super::listener::Incoming;
use super::sender::{Abandoned, Backoff, Sender, pause};
use super::settings::BotSettings;
use super::watermark::Watermark;
use crate::handler::media::Media;
use crate::outbox::{Action, Outbox, Parked, Queued, Turn, UpdateRef};
use crate::repository::RepositoryError;

/// The update types asked for. Edited messages, channel posts and membership changes are asked
/// for only to be ignored safely (Telegram may send them anyway, for a while, after a change).
pub const ALLOWED_UPDATES: &[&str] =
    &["message", "edited_message", "channel_post", "callback_query", "my_chat_member"];

/// How many updates one `getUpdates` may return (Telegram's maximum).
const BATCH: u8 = 100;

/// How often an update whose handling fails (other than for an unreachable database) is tried.
pub const MAX_ATTEMPTS: u32 = 5;

/// Updates that take longer than this to handle are logged (at debug level).
const SLOW_UPDATE: Duration = Duration::from_millis(100);

/// How often, at most, the polling offset is saved while updates keep coming.
const SAVE_OFFSET_EVERY: Duration = Duration::from_millis(250);

/// Work to do once an update's effects are committed (the conversation's state moving on).
pub type AfterCommit = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the bot makes of one update.
pub enum Response {
    /// Nothing to do and nothing changed (a sticker in a group, an edited message…). Anything
    /// written through the turn is rolled back.
    Ignore,
    /// These calls answer it (maybe none, if it changed something without a reply), and this runs
    /// once its effects and record are committed (never if they are rolled back, or if an earlier
    /// run had recorded the update already).
    Answer(Vec<Action>, Option<AfterCommit>),
}

impl Response {
    pub fn answer(actions: Vec<Action>) -> Response {
        Response::Answer(actions, None)
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Response::Ignore => f.write_str("Ignore"),
            Response::Answer(actions, _) => f.debug_tuple("Answer").field(actions).finish(),
        }
    }
}

/// Turns updates into answers: the Telegram face of the conversation.
#[async_trait]
pub trait Responder: Send + Sync {
    /// The answers to one update, making its changes through `turn`'s store (they commit with
    /// the answers' record, or not at all). An error means the update could not be handled:
    /// it is tried again (see the module docs).
    async fn respond(
        &self,
        turn: &dyn Turn,
        update_id: i64,
        update: &Update,
    ) -> Result<Response, RepositoryError>;

    /// The answer to an update given up on (an apology and the menu), and what to do once it is
    /// recorded.
    async fn apologize(&self, update: &Update) -> (Vec<Action>, Option<AfterCommit>);

    /// Work the bot does on its own that is due now (reminders, summaries), through `job`'s
    /// store: the messages to queue with its writes, and whether more is due at once.
    async fn due(&self, _job: &dyn Turn) -> Result<(Vec<Action>, bool), RepositoryError> {
        Ok((Vec::new(), false))
    }

    /// Telegram refused a message of the bot's own to `user` because they blocked the bot.
    async fn blocked(&self, _user: i64) {}
}

/// Counters since the start, logged when the loop stops.
#[derive(Debug, Default)]
pub struct Stats {
    pub handled: AtomicU64,
    pub polls: AtomicU64,
    /// Updates parked in the inbox because their sender had a backlog.
    pub parked: AtomicU64,
    /// Updates given up on after [`MAX_ATTEMPTS`] failures.
    pub failed: AtomicU64,
    pub dispatch: Arc<DispatchStats>,
}

/// The delivery machinery for one bot.
pub struct Poller {
    pub api: Api,
    pub sender: Sender,
    pub outbox: Arc<dyn Outbox>,
    pub responder: Arc<dyn Responder>,
    /// The bot's id (delivery state is kept per bot).
    pub bot_id: i64,
    pub workers: usize,
    /// The most updates of one user held in memory; more are parked in the database.
    pub user_queue: usize,
    pub poll_timeout: Duration,
    pub backoff: Backoff,
    /// How long in-flight updates may take to finish at shutdown.
    pub grace: Duration,
    pub dispatch: DispatchConfig,
    pub stats: Arc<Stats>,
    /// Messages committed outside an update's turn (the dashboard's news), to deliver as the
    /// others are.
    pub committed_elsewhere: Option<mpsc::UnboundedReceiver<Vec<Queued>>>,
}

/// State shared by the loop and the workers.
struct Shared {
    outbox: Arc<dyn Outbox>,
    responder: Arc<dyn Responder>,
    dispatcher: Dispatcher,
    bot_id: i64,
    backoff: Backoff,
    user_queue: usize,
    watermark: Mutex<Watermark>,
    /// Sends the offset whenever it moves.
    offset_tx: watch::Sender<i64>,
    /// Updates at or above the resume offset that an earlier run recorded: delivered again,
    /// they are not handled again (their answers are in the outbox).
    recorded: Mutex<HashSet<i64>>,
    /// Webhook requests waiting for their update to be committed (locked after the watermark).
    waiters: Mutex<HashMap<i64, Vec<oneshot::Sender<()>>>>,
    queues: Mutex<HashMap<i64, UserQueue>>,
    permits: Semaphore,
    tasks: TaskTracker,
    /// Fires when the shutdown grace is over: everything still waiting gives up.
    abandon: CancellationToken,
    stats: Arc<Stats>,
}

/// One user's updates: those in memory, and how many wait in the inbox.
#[derive(Default)]
struct UserQueue {
    jobs: VecDeque<Job>,
    /// Parked updates not yet handled (loaded ones included, until they are handled). While
    /// there are any, the user's new updates are parked too, so that they keep their order.
    parked: u64,
    /// A worker is draining the queue.
    running: bool,
}

struct Job {
    update: UpdateRef,
    payload: Option<Update>,
}

impl Poller {
    /// The machinery for `settings`, recording delivery in `outbox` and answering with
    /// `responder`.
    pub fn new(
        settings: &BotSettings,
        bot_id: i64,
        outbox: Arc<dyn Outbox>,
        responder: Arc<dyn Responder>,
    ) -> Poller {
        let api = Api::new(settings.api_url.clone(), settings.token.clone(), settings.request_timeout);
        let backoff = Backoff::new(settings.max_backoff);
        let limiter = Arc::new(
            RateLimiter::new(settings.rate_per_chat, settings.rate_global)
                .with_groups(settings.rate_per_group),
        );
        Poller {
            sender: Sender::new(api.clone(), limiter, backoff),
            api,
            outbox,
            responder,
            bot_id,
            workers: settings.workers,
            user_queue: 16,
            poll_timeout: settings.poll_timeout,
            backoff,
            grace: settings.shutdown_grace,
            dispatch: DispatchConfig {
                bulk_rate: settings.rate_bulk,
                busy_bulk_rate: settings.rate_bulk_busy,
                ..DispatchConfig::default()
            },
            stats: Arc::new(Stats::default()),
            committed_elsewhere: None,
        }
    }

    /// Delivers what is committed elsewhere and sent on `queued` (the dashboard's news). Until
    /// the dispatcher starts it waits in the channel; a crash before it is sent leaves it in
    /// the outbox, for the next start.
    pub fn with_committed_elsewhere(mut self, queued: mpsc::UnboundedReceiver<Vec<Queued>>) -> Poller {
        self.committed_elsewhere = Some(queued);
        self
    }

    /// Makes the files that answers attach (charts, exports) with `media`; without it such
    /// answers are sent as their caption alone.
    pub fn with_media(mut self, media: Media) -> Poller {
        self.sender = self.sender.with_media(media);
        self
    }

    /// Polls until `shutdown` fires, then winds down as the module explains. Returns only then.
    pub async fn run(self, shutdown: CancellationToken) {
        self.run_with(Feed::Poll, shutdown).await
    }

    /// Takes updates from the webhook's listener instead of polling, with the same guarantees:
    /// each is acknowledged (its `committed` fired) once its effects and answers are committed.
    pub async fn run_webhook(self, incoming: mpsc::Receiver<Incoming>, shutdown: CancellationToken) {
        self.run_with(Feed::Webhook(incoming), shutdown).await
    }

    async fn run_with(mut self, feed: Feed, shutdown: CancellationToken) {
        let abandon = CancellationToken::new();
        let backoff = self.backoff;
        let bot = self.bot_id;
        let webhook = matches!(feed, Feed::Webhook(_));
        let loaded = retry_db("load the delivery state", backoff, &shutdown, || async {
            let offset = self.outbox.resume_offset(bot).await?;
            let recorded = self.outbox.recorded_since(bot, offset.unwrap_or(0)).await?;
            let parked = self.outbox.parked_users(bot).await?;
            // Webhook: what the last run settled just below its offset (see `posted_resumed`).
            let settled = match offset {
                Some(offset) if webhook => {
                    self.outbox.settled_since(bot, Watermark::awaited_from(offset)).await?
                }
                _ => Vec::new(),
            };
            Ok((offset, recorded, parked, settled))
        })
        .await;
        let Ok((resume, recorded, parked, settled)) = loaded else { return };
        if !recorded.is_empty() {
            tracing::info!(count = recorded.len(), "updates handled by the last run may be delivered again");
        }
        let dispatcher = Dispatcher::start(
            Arc::new(self.sender.clone()),
            self.outbox.clone(),
            bot,
            backoff,
            self.dispatch,
            self.stats.dispatch.clone(),
        );
        let Ok(unsent) =
            retry_db("load the outbox", backoff, &shutdown, || dispatcher.load(&*self.outbox, bot)).await
        else {
            return;
        };
        if unsent > 0 {
            tracing::info!(count = unsent, "answers queued by the last run are being sent");
        }
        if let Some(mut elsewhere) = self.committed_elsewhere.take() {
            let dispatcher = dispatcher.clone();
            let stop = shutdown.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        queued = elsewhere.recv() => match queued {
                            Some(queued) => dispatcher.enqueue(queued),
                            None => break,
                        },
                        _ = stop.cancelled() => break,
                    }
                }
            });
        }
        let floor = resume.unwrap_or(0);
        tracing::info!(offset = floor, "polling for updates");
        let (offset_tx, mut offset_rx) = watch::channel(floor);
        let shared = Arc::new(Shared {
            outbox: self.outbox.clone(),
            responder: self.responder.clone(),
            dispatcher: dispatcher.clone(),
            bot_id: bot,
            backoff,
            user_queue: self.user_queue.max(1),
            // A webhook's updates may come out of order (see `Watermark::posted`).
            watermark: Mutex::new(if webhook {
                Watermark::posted_resumed(floor, settled)
            } else {
                Watermark::new(floor)
            }),
            offset_tx,
            recorded: Mutex::new(recorded.into_iter().collect()),
            waiters: Mutex::new(HashMap::new()),
            queues: Mutex::new(HashMap::new()),
            permits: Semaphore::new(self.workers.max(1)),
            tasks: TaskTracker::new(),
            abandon: abandon.clone(),
            stats: self.stats.clone(),
        });
        for (user, count) in parked {
            tracing::info!(user, count, "updates wait in the inbox");
            shared.add_parked(user, count);
        }

        // Offsets: the one saved in the database, and the one Telegram confirmed (below which
        // the outbox may forget).
        let mut confirmed = 0i64;
        let mut failures = 0u32;
        // The offset is saved by a task of its own, at most every SAVE_OFFSET_EVERY: polling never
        // waits for the database, and under load the saves stay few.
        let (save_tx, save_rx) = watch::channel((floor, confirmed));
        let stop_saver = CancellationToken::new();
        let saver = tokio::spawn(save_offsets(shared.clone(), save_rx, stop_saver.clone()));
        let gauges = tokio::spawn(sample_gauges(shared.clone(), stop_saver.clone()));
        let scheduler =
            tokio::spawn(scheduler::run(shared.clone(), dispatcher.on_blocked(), shutdown.clone()));
        let webhook = matches!(feed, Feed::Webhook(_));
        if let Feed::Webhook(incoming) = feed {
            webhook::take_from_webhook(&shared, incoming, &save_tx, offset_rx.clone(), &shutdown).await;
        }
        while !webhook && !shutdown.is_cancelled() {
            let (offset, in_flight) = {
                let w = shared.watermark.lock().expect("watermark lock");
                (w.offset(), w.in_flight())
            };
            save_tx.send_if_modified(|current| {
                let changed = *current != (offset, confirmed);
                *current = (offset, confirmed);
                changed
            });
            // With updates in flight Telegram answers at once (it still has them), so only an
            // idle bot long-polls.
            let wait = if in_flight == 0 { self.poll_timeout } else { Duration::ZERO };
            offset_rx.mark_unchanged();
            let polled = tokio::select! {
                r = self.api.get_updates(offset, BATCH, wait, ALLOWED_UPDATES) => r,
                _ = shutdown.cancelled() => break,
            };
            self.stats.polls.fetch_add(1, Ordering::Relaxed);
            let updates = match polled {
                Ok(updates) => {
                    failures = 0;
                    confirmed = confirmed.max(offset);
                    updates
                }
                Err(error) => {
                    let wait = match error.retry() {
                        Retry::After(wait) => wait,
                        _ => backoff.delay(failures),
                    };
                    failures = failures.saturating_add(1);
                    if error.is_unauthorized() {
                        tracing::error!("getUpdates: the token was refused (revoked?); retrying: {error}");
                    } else if error.code() == Some(409) {
                        tracing::error!(
                            "getUpdates: another instance or a webhook is using this token: {error}"
                        );
                    } else {
                        tracing::warn!(
                            wait_ms = wait.as_millis() as u64,
                            "getUpdates failed; retrying: {error}"
                        );
                    }
                    if pause(wait, &shutdown).await.is_err() {
                        break;
                    }
                    continue;
                }
            };
            let idle = shared.watermark.lock().expect("watermark lock").in_flight() == 0;
            if let Some(first) = restarted_sequence(offset, &updates).filter(|_| idle) {
                // Telegram answers from the start of its queue when the offset asked for is past
                // its newest update: it began a new sequence of ids (it does after a week without
                // updates). Everything of the old sequence is long confirmed: start over from it.
                tracing::warn!(old = offset, new = first, "Telegram restarted its update ids; following");
                if retry_db("start a new update sequence", backoff, &shutdown, || {
                    self.outbox.restart_sequence(bot, first)
                })
                .await
                .is_err()
                {
                    break;
                }
                *shared.watermark.lock().expect("watermark lock") = Watermark::new(first);
                shared.recorded.lock().expect("recorded lock").clear();
                confirmed = 0;
            }
            let Ok(admitted) = admit(&shared, updates, &shutdown).await else { break };
            let in_flight = shared.watermark.lock().expect("watermark lock").in_flight();
            if in_flight > 0 && admitted < BATCH as usize {
                // Everything Telegram has for us is in hand: poll again when the offset moves
                // (which confirms and frees room), or soon, to pick up new updates.
                tokio::select! {
                    _ = offset_rx.changed() => {}
                    _ = tokio::time::sleep(Duration::from_millis(if admitted == 0 { 100 } else { 20 })) => {}
                    _ = shutdown.cancelled() => break,
                }
            }
        }

        // Shutdown: no more updates are taken; let those in flight finish.
        shared.tasks.close();
        let in_flight = shared.watermark.lock().expect("watermark lock").in_flight();
        tracing::info!(in_flight, "shutting down: finishing updates in flight");
        if tokio::time::timeout(self.grace, shared.tasks.wait()).await.is_err() {
            tracing::warn!("shutdown grace over: abandoning unfinished updates (they will be redelivered)");
            abandon.cancel();
            let _ = tokio::time::timeout(Duration::from_millis(500), shared.tasks.wait()).await;
        }
        dispatcher.shutdown(Duration::from_millis(800)).await;
        stop_saver.cancel();
        let _ = saver.await;
        let _ = gauges.await;
        let _ = scheduler.await;
        let offset = shared.watermark.lock().expect("watermark lock").offset();
        // One quick try: the database may be what is failing.
        let _ =
            tokio::time::timeout(Duration::from_millis(800), save_offset(&shared, offset, confirmed)).await;
        if !webhook && offset > confirmed {
            match tokio::time::timeout(
                Duration::from_millis(1500),
                self.api.get_updates(offset, 1, Duration::ZERO, ALLOWED_UPDATES),
            )
            .await
            {
                Ok(Ok(_)) => tracing::info!(offset, "confirmed handled updates"),
                Ok(Err(e)) => tracing::warn!("could not confirm handled updates (they are recorded): {e}"),
                Err(_) => tracing::warn!("confirming handled updates timed out (they are recorded)"),
            }
        }
        let count = |c: &AtomicU64| c.load(Ordering::Relaxed);
        tracing::info!(
            handled = count(&self.stats.handled),
            parked = count(&self.stats.parked),
            failed = count(&self.stats.failed),
            polls = count(&self.stats.polls),
            sent = count(&self.stats.dispatch.sent),
            superseded = count(&self.stats.dispatch.superseded),
            merged = count(&self.stats.dispatch.merged),
            unsent = dispatcher.backlog(),
            "stopped"
        );
    }
}

/// Takes the new updates of a batch into flight (parking those of users with a backlog);
/// returns how many were new.
async fn admit(
    shared: &Arc<Shared>,
    updates: Vec<Box<RawValue>>,
    stop: &CancellationToken,
) -> Result<usize, Abandoned> {
    #[derive(serde::Deserialize)]
    struct Id {
        update_id: i64,
    }
    let mut admitted = 0;
    let mut to_park: Vec<Parked> = Vec::new();
    for raw in updates {
        let Ok(Id { update_id: id }) = serde_json::from_str(raw.get()) else {
            tracing::error!("getUpdates returned an update without an id; skipped");
            continue;
        };
        if !shared.watermark.lock().expect("watermark lock").admit(id) {
            continue;
        }
        admitted += 1;
        let update = match serde_json::from_str::<Update>(raw.get()) {
            Ok(update) => Some(update),
            Err(e) => {
                tracing::warn!(update_id = id, "unreadable update ignored: {e}");
                None
            }
        };
        let kind = update.as_ref().map_or("unreadable", update_kind);
        metrics::counter!("updates_received_total", "kind" => kind).increment(1);
        // The queue key: the user it comes from. Updates from nobody (channel posts) have
        // no order to keep and nothing to answer.
        let Some(user) = update.as_ref().and_then(|u| u.from()).map(|user| user.id.0 as i64) else {
            shared.complete(id);
            continue;
        };
        // Whoever writes gets news again, if they had blocked the bot (a private chat's id is
        // its person's).
        shared.dispatcher.heard_from(user);
        let mut queues = shared.queues.lock().expect("queues lock");
        let queue = queues.entry(user).or_default();
        let backlogged = queue.parked > 0
            || queue.jobs.len() >= shared.user_queue
            || to_park.iter().any(|p| p.user == user);
        if backlogged {
            to_park.push(Parked { update_id: id, user, payload: raw.get().to_owned() });
            continue;
        }
        queue.jobs.push_back(Job { update: UpdateRef::fetched(id), payload: update });
        if !queue.running {
            queue.running = true;
            let worker = shared.clone();
            shared.tasks.spawn(async move { worker.drain(user).await });
        }
    }
    if !to_park.is_empty() {
        // Into the inbox before they are confirmed: then they are as safe as handled ones.
        retry_db("park updates", shared.backoff, stop, || shared.outbox.park(shared.bot_id, &to_park))
            .await?;
        shared.stats.parked.fetch_add(to_park.len() as u64, Ordering::Relaxed);
        let mut per_user: HashMap<i64, u64> = HashMap::new();
        for parked in &to_park {
            *per_user.entry(parked.user).or_default() += 1;
        }
        for (user, count) in per_user {
            shared.add_parked(user, count);
        }
        for parked in &to_park {
            shared.complete(parked.update_id);
        }
    }
    Ok(admitted)
}

/// The first update id of a batch that lies below the offset asked for: a sign that Telegram
/// started a new sequence of ids (it never returns updates below a valid offset).
fn restarted_sequence(offset: i64, updates: &[Box<RawValue>]) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Id {
        update_id: i64,
    }
    let first = updates
        .iter()
        .filter_map(|raw| serde_json::from_str::<Id>(raw.get()).ok())
        .map(|u| u.update_id)
        .min()?;
    (offset > 0 && first < offset).then_some(first)
}

/// Saves the offset whenever it moves (or what Telegram confirmed does), at most every
/// [`SAVE_OFFSET_EVERY`], until `stop`.
async fn save_offsets(shared: Arc<Shared>, mut wanted: watch::Receiver<(i64, i64)>, stop: CancellationToken) {
    loop {
        let (offset, confirmed) = *wanted.borrow_and_update();
        let saved = save_offset(&shared, offset, confirmed).await;
        tokio::select! {
            _ = tokio::time::sleep(SAVE_OFFSET_EVERY) => {}
            _ = stop.cancelled() => return,
        }
        // A failed save is tried again after the pause even if nothing moved.
        if saved {
            tokio::select! {
                changed = wanted.changed() => if changed.is_err() { return },
                _ = stop.cancelled() => return,
            }
        }
    }
}

/// What an update is, for the metrics.
fn update_kind(update: &Update) -> &'static str {
    use teloxide::types::UpdateKind;
    match &update.kind {
        UpdateKind::Message(_) => "message",
        UpdateKind::CallbackQuery(_) => "callback_query",
        UpdateKind::EditedMessage(_) => "edited_message",
        UpdateKind::MyChatMember(_) => "my_chat_member",
        _ => "other",
    }
}

/// Where updates come from.
enum Feed {
    Poll,
    Webhook(mpsc::Receiver<Incoming>),
}

/// Keeps the gauges of the delivery machinery current (they are read by `/metrics`).
async fn sample_gauges(shared: Arc<Shared>, stop: CancellationToken) {
    loop {
        let in_flight = shared.watermark.lock().expect("watermark lock").in_flight();
        metrics::gauge!("updates_in_flight").set(in_flight as f64);
        metrics::gauge!("outbox_backlog").set(shared.dispatcher.backlog() as f64);
        metrics::gauge!("news_backlog").set(shared.dispatcher.news_backlog() as f64);
        metrics::gauge!("group_news_backlog").set(shared.dispatcher.announcement_backlog() as f64);
        let oldest = shared.dispatcher.oldest_waiting().map_or(0.0, |age| age.as_secs_f64());
        metrics::gauge!("outbox_oldest_seconds").set(oldest);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.cancelled() => return,
        }
    }
}

/// Saves the offset (and lets the outbox forget what Telegram confirmed). A failure is only
/// logged: the offset is saved again before the next poll, and an older saved offset only
/// means updates the outbox recognises come again.
async fn save_offset(shared: &Shared, offset: i64, confirmed: i64) -> bool {
    match shared.outbox.save_offset(shared.bot_id, offset, confirmed).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!("could not save the polling offset: {e}");
            false
        }
    }
}

/// Repeats a database operation until it works or `stop` fires.
async fn retry_db<T, F, Fut>(
    what: &str,
    backoff: Backoff,
    stop: &CancellationToken,
    mut op: F,
) -> Result<T, Abandoned>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RepositoryError>>,
{
    let mut attempt = 0u32;
    loop {
        let result = tokio::select! {
            r = op() => r,
            _ = stop.cancelled() => return Err(Abandoned),
        };
        match result {
            Ok(value) => return Ok(value),
            Err(e) => {
                let wait = backoff.delay(attempt);
                attempt = attempt.saturating_add(1);
                tracing::warn!(wait_ms = wait.as_millis() as u64, "could not {what}; retrying: {e}");
                pause(wait, stop).await?;
            }
        }
    }
}
