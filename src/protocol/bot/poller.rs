//! The long-poll loop and the delivery guarantees (issue 4's heart).
//!
//! - One `getUpdates` at a time, asking from the [`Watermark`]: the lowest update still in
//!   flight. Telegram confirms everything below the offset we ask for, so an update is confirmed
//!   only once it was handled and answered; updates at or above it that come again are
//!   recognised and skipped.
//! - Each user has a queue: their updates are handled in order, one at a time; different users
//!   run concurrently, at most `workers` at once.
//! - Handling an update: open a [`Turn`], ask the [`Responder`] for the answers (whatever it
//!   changes, it changes through the turn's store), then [`Turn::finish`]: the update's record in
//!   the outbox, with its answers, commits in the same transaction as its effects. Then perform
//!   the answers and mark them done. An update that an earlier run recorded is not handled again:
//!   its answers that were not yet performed are performed.
//! - "Answers sent" marks are written by a task of their own, all that arrived meanwhile in one
//!   statement (group commit); a worker waits for its mark before its update counts as done, so
//!   an update is never confirmed before its mark is written. A crash between an answer and its
//!   mark, or a lost response to a send, repeats that answer if the update is delivered again:
//!   Telegram cannot tell whether a message was sent, so the remaining choice would be to risk
//!   losing it.
//! - The watermark is saved in the database (by a task of its own, at most every 250 ms, and at
//!   shutdown), and polling resumes from it at the next start. A saved offset that lags behind
//!   only means that updates the outbox recognises may come again. Outbox rows below the offset
//!   Telegram confirmed are deleted with each save.
//! - If Telegram starts a new sequence of update ids (it does after a week without updates), the
//!   old sequence's rows are forgotten and polling follows the new one.
//! - Failures are retried, never dropped: the database being down leaves the update in flight
//!   (so unconfirmed) and retries it with backoff; `getUpdates` errors back off and poll again.
//! - Shutdown: stop polling, let in-flight updates finish (up to a grace period), save and
//!   confirm the offset. Work still unfinished then is abandoned unconfirmed, to be redelivered.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::value::RawValue;
use teloxide::types::Update;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::api::{Api, Retry};
use super::delivery::{Action, DeliveryLog, Finished, Handled, Turn};
use super::limiter::RateLimiter;
use super::sender::{Abandoned, Backoff, Sender, pause};
use super::settings::BotSettings;
use super::watermark::Watermark;
use crate::repository::RepositoryError;

/// The update types asked for. Edited messages, channel posts and membership changes are asked
/// for only to be ignored safely (Telegram may send them anyway, for a while, after a change).
pub const ALLOWED_UPDATES: &[&str] =
    &["message", "edited_message", "channel_post", "callback_query", "my_chat_member"];

/// How many updates one `getUpdates` may return (Telegram's maximum).
const BATCH: u8 = 100;

/// Updates that take longer than this to handle are logged (at debug level) with where the time
/// went.
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
    /// These calls answer it (maybe none, if it changed something without a reply).
    Answer(Vec<Action>),
    /// These calls answer it, and this runs once its effects and record are committed (never if
    /// they are rolled back, or if an earlier run had recorded the update already).
    AnswerThen(Vec<Action>, AfterCommit),
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Response::Ignore => f.write_str("Ignore"),
            Response::Answer(actions) | Response::AnswerThen(actions, _) => {
                f.debug_tuple("Answer").field(actions).finish()
            }
        }
    }
}

/// A failure worth retrying later: the database is unreachable.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Transient(pub String);

impl From<RepositoryError> for Transient {
    fn from(e: RepositoryError) -> Self {
        Transient(e.to_string())
    }
}

/// Turns updates into answers: the Telegram face of the conversation.
#[async_trait]
pub trait Responder: Send + Sync {
    /// The answers to one update, making its changes through `turn`'s store (they commit with
    /// the answers' record, or not at all). `Err` means "try again later": the turn is rolled
    /// back and the update stays unconfirmed.
    async fn respond(&self, turn: &dyn Turn, update_id: i64, update: &Update) -> Result<Response, Transient>;
}

/// Counters since the start, logged when the loop stops.
#[derive(Debug, Default)]
pub struct Stats {
    pub handled: std::sync::atomic::AtomicU64,
    pub replayed: std::sync::atomic::AtomicU64,
    pub polls: std::sync::atomic::AtomicU64,
    /// Statements sent to write "answers sent" marks (including failed ones).
    pub mark_batches: std::sync::atomic::AtomicU64,
}

/// The delivery machinery for one bot.
pub struct Poller {
    pub api: Api,
    pub sender: Sender,
    pub log: Arc<dyn DeliveryLog>,
    pub responder: Arc<dyn Responder>,
    /// The bot's id (delivery state is kept per bot).
    pub bot_id: i64,
    pub workers: usize,
    pub poll_timeout: Duration,
    pub backoff: Backoff,
    /// How long in-flight updates may take to finish at shutdown.
    pub grace: Duration,
    pub stats: Arc<Stats>,
}

/// State shared by the loop and the workers.
struct Shared {
    log: Arc<dyn DeliveryLog>,
    responder: Arc<dyn Responder>,
    sender: Sender,
    bot_id: i64,
    backoff: Backoff,
    watermark: Mutex<Watermark>,
    /// Sends the offset whenever it moves.
    offset_tx: watch::Sender<i64>,
    /// Updates recorded by an earlier run at or above the resume offset.
    recovered: Mutex<HashMap<i64, Handled>>,
    /// Per-user queues; a key is present while a worker drains it.
    queues: Mutex<HashMap<i64, VecDeque<Job>>>,
    permits: Semaphore,
    tasks: TaskTracker,
    /// Fires when the shutdown grace is over: everything still waiting gives up.
    abandon: CancellationToken,
    stats: Arc<Stats>,
    /// "Answers sent" marks, for the task that writes them.
    marks: mpsc::UnboundedSender<Mark>,
}

/// "The first `done` answers of update `update_id` were performed"; `written` hears when the
/// mark is in the database.
struct Mark {
    update_id: i64,
    done: u32,
    written: oneshot::Sender<()>,
}

struct Job {
    id: i64,
    update: Option<Update>,
}

impl Poller {
    /// The machinery for `settings`, recording delivery in `log` and answering with `responder`.
    pub fn new(
        settings: &BotSettings,
        bot_id: i64,
        log: Arc<dyn DeliveryLog>,
        responder: Arc<dyn Responder>,
    ) -> Poller {
        let api = Api::new(settings.api_url.clone(), settings.token.clone(), settings.request_timeout);
        let backoff = Backoff::new(settings.max_backoff);
        let limiter = Arc::new(RateLimiter::new(settings.rate_per_chat, settings.rate_global));
        Poller {
            sender: Sender::new(api.clone(), limiter, backoff),
            api,
            log,
            responder,
            bot_id,
            workers: settings.workers,
            poll_timeout: settings.poll_timeout,
            backoff,
            grace: settings.shutdown_grace,
            stats: Arc::new(Stats::default()),
        }
    }

    /// Polls until `shutdown` fires, then winds down as the module explains. Returns only then.
    pub async fn run(self, shutdown: CancellationToken) {
        let abandon = CancellationToken::new();
        let backoff = self.backoff;
        // Where to resume, and what an earlier run handled but Telegram may deliver again.
        let loaded = retry_db("load the delivery state", backoff, &shutdown, || async {
            let offset = self.log.resume_offset(self.bot_id).await?;
            let handled = self.log.handled_since(self.bot_id, offset.unwrap_or(0)).await?;
            Ok((offset, handled))
        })
        .await;
        let Ok((resume, handled)) = loaded else { return };
        let floor = resume.unwrap_or(0);
        if !handled.is_empty() {
            tracing::info!(count = handled.len(), "updates handled by the last run may be delivered again");
        }
        tracing::info!(offset = floor, "polling for updates");
        let (offset_tx, mut offset_rx) = watch::channel(floor);
        let (marks, marks_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            log: self.log.clone(),
            responder: self.responder.clone(),
            sender: self.sender.clone(),
            bot_id: self.bot_id,
            backoff,
            watermark: Mutex::new(Watermark::new(floor)),
            offset_tx,
            recovered: Mutex::new(handled.into_iter().map(|h| (h.update_id, h)).collect()),
            queues: Mutex::new(HashMap::new()),
            permits: Semaphore::new(self.workers.max(1)),
            tasks: TaskTracker::new(),
            abandon: abandon.clone(),
            stats: self.stats.clone(),
            marks,
        });
        let stop_marker = CancellationToken::new();
        let marker = tokio::spawn(write_marks(
            self.log.clone(),
            self.bot_id,
            backoff,
            marks_rx,
            stop_marker.clone(),
            self.stats.clone(),
        ));

        // Offsets: the one saved in the database, and the one Telegram confirmed (below which
        // the outbox may forget).
        let mut confirmed = 0i64;
        let mut failures = 0u32;
        // The offset is saved by a task of its own, at most every SAVE_OFFSET_EVERY: polling never
        // waits for the database, and under load the saves stay few.
        let (save_tx, save_rx) = watch::channel((floor, confirmed));
        let stop_saver = CancellationToken::new();
        let saver = tokio::spawn(save_offsets(shared.clone(), save_rx, stop_saver.clone()));
        while !shutdown.is_cancelled() {
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
            self.stats.polls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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
                    self.log.restart_sequence(self.bot_id, first)
                })
                .await
                .is_err()
                {
                    break;
                }
                *shared.watermark.lock().expect("watermark lock") = Watermark::new(first);
                shared.recovered.lock().expect("recovered lock").clear();
                confirmed = 0;
            }
            let admitted = self.admit(&shared, updates);
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
        stop_saver.cancel();
        let _ = saver.await;
        stop_marker.cancel();
        let _ = tokio::time::timeout(Duration::from_millis(800), marker).await;
        let offset = shared.watermark.lock().expect("watermark lock").offset();
        // One quick try: the database may be what is failing.
        let _ =
            tokio::time::timeout(Duration::from_millis(800), save_offset(&shared, offset, confirmed)).await;
        if offset > confirmed {
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
        let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            handled = count(&self.stats.handled),
            replayed = count(&self.stats.replayed),
            polls = count(&self.stats.polls),
            mark_statements = count(&self.stats.mark_batches),
            "stopped"
        );
    }

    /// Takes the new updates of a batch into flight; returns how many were new.
    fn admit(&self, shared: &Arc<Shared>, updates: Vec<Box<RawValue>>) -> usize {
        #[derive(serde::Deserialize)]
        struct Id {
            update_id: i64,
        }
        let mut admitted = 0;
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
            // The queue key: the user it comes from. Updates from nobody (channel posts) have
            // no order to keep and nothing to answer.
            let key = update.as_ref().and_then(|u| u.from()).map(|user| user.id.0 as i64);
            match key {
                Some(key) => dispatch(shared, key, Job { id, update }),
                None => shared.complete(id),
            }
        }
        admitted
    }
}

/// Queues a job for its user; starts a worker if the user has none.
fn dispatch(shared: &Arc<Shared>, key: i64, job: Job) {
    let mut queues = shared.queues.lock().expect("queues lock");
    if let Some(queue) = queues.get_mut(&key) {
        queue.push_back(job);
        return;
    }
    queues.insert(key, VecDeque::new());
    drop(queues);
    let worker = shared.clone();
    shared.tasks.spawn(async move { worker.drain(key, job).await });
}

impl Shared {
    /// Handles a user's jobs in order until their queue is empty.
    async fn drain(self: Arc<Self>, key: i64, first: Job) {
        let mut job = first;
        loop {
            let handled = {
                let permit = tokio::select! {
                    p = self.permits.acquire() => p.ok(),
                    _ = self.abandon.cancelled() => None,
                };
                match permit {
                    Some(_permit) => self.handle(&job).await,
                    None => Err(Abandoned),
                }
            };
            if handled.is_err() {
                // Abandoned at shutdown: this and the user's later updates stay unconfirmed.
                self.queues.lock().expect("queues lock").remove(&key);
                return;
            }
            self.complete(job.id);
            let mut queues = self.queues.lock().expect("queues lock");
            match queues.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(next) => job = next,
                None => {
                    queues.remove(&key);
                    return;
                }
            }
        }
    }

    fn complete(&self, id: i64) {
        let mut watermark = self.watermark.lock().expect("watermark lock");
        if watermark.complete(id) {
            self.offset_tx.send_replace(watermark.offset());
        }
    }

    /// Handles one update: answers it once, whatever happened to it before.
    async fn handle(&self, job: &Job) -> Result<(), Abandoned> {
        let recovered = self.recovered.lock().expect("recovered lock").remove(&job.id);
        if let Some(handled) = recovered {
            self.stats.replayed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::info!(update_id = job.id, "delivered again; answering only what was not yet sent");
            return self.perform(handled).await;
        }
        let Some(update) = &job.update else { return Ok(()) };
        let started = tokio::time::Instant::now();
        let mut attempt = 0u32;
        let handled = loop {
            let turn = self.log.turn(self.bot_id, job.id);
            // Dropping a turn midway (shutdown) rolls its transaction back; the update stays
            // unconfirmed.
            let responded = tokio::select! {
                r = self.responder.respond(&*turn, job.id, update) => r,
                _ = self.abandon.cancelled() => return Err(Abandoned),
            };
            let failure = match responded {
                Ok(Response::Ignore) => return Ok(()),
                Ok(Response::Answer(actions)) => match self.finish(&*turn, &actions).await? {
                    Ok(finished) => break finished.handled(),
                    Err(e) => e.to_string(),
                },
                Ok(Response::AnswerThen(actions, then)) => match self.finish(&*turn, &actions).await? {
                    Ok(Finished::Recorded(handled)) => {
                        then.await;
                        break handled;
                    }
                    Ok(Finished::Earlier(handled)) => break handled,
                    Err(e) => e.to_string(),
                },
                Err(e) => e.0,
            };
            let wait = self.backoff.delay(attempt);
            attempt = attempt.saturating_add(1);
            tracing::warn!(update_id = job.id, wait_ms = wait.as_millis() as u64, "will retry: {failure}");
            pause(wait, &self.abandon).await?;
        };
        let recorded = started.elapsed();
        self.stats.handled.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.perform(handled).await?;
        let took = started.elapsed();
        if took >= SLOW_UPDATE {
            tracing::debug!(
                update_id = job.id,
                handle_ms = recorded.as_millis() as u64,
                answer_ms = (took - recorded).as_millis() as u64,
                "slow update"
            );
        }
        Ok(())
    }

    /// Commits a turn with its record, unless shutdown's grace runs out first.
    async fn finish(
        &self,
        turn: &dyn Turn,
        actions: &[Action],
    ) -> Result<Result<Finished, RepositoryError>, Abandoned> {
        tokio::select! {
            r = turn.finish(actions) => Ok(r),
            _ = self.abandon.cancelled() => Err(Abandoned),
        }
    }

    /// Performs the answers not yet performed, recording progress after each visible one.
    async fn perform(&self, handled: Handled) -> Result<(), Abandoned> {
        let start = handled.done as usize;
        for (index, action) in handled.actions.iter().enumerate().skip(start) {
            self.sender.perform(action, &self.abandon).await?;
            if action.is_visible() {
                // The marker task writes it, with the marks of other updates.
                let (written, wait) = oneshot::channel();
                let mark = Mark { update_id: handled.update_id, done: index as u32 + 1, written };
                if self.marks.send(mark).is_err() {
                    return Err(Abandoned);
                }
                tokio::select! {
                    r = wait => r.map_err(|_| Abandoned)?,
                    _ = self.abandon.cancelled() => return Err(Abandoned),
                }
            }
        }
        Ok(())
    }
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

/// Writes "answers sent" marks as they come, all that arrived meanwhile in one statement, and
/// tells each waiting worker when its mark is written; until `stop` (then what is left, once).
async fn write_marks(
    log: Arc<dyn DeliveryLog>,
    bot: i64,
    backoff: Backoff,
    mut marks: mpsc::UnboundedReceiver<Mark>,
    stop: CancellationToken,
    stats: Arc<Stats>,
) {
    let mut pending: BTreeMap<i64, u32> = BTreeMap::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    let mut failures = 0u32;
    fn take(mark: Mark, pending: &mut BTreeMap<i64, u32>, waiting: &mut Vec<oneshot::Sender<()>>) {
        let done = pending.entry(mark.update_id).or_insert(mark.done);
        *done = (*done).max(mark.done);
        waiting.push(mark.written);
    }
    loop {
        if pending.is_empty() {
            tokio::select! {
                mark = marks.recv() => match mark {
                    Some(mark) => take(mark, &mut pending, &mut waiting),
                    None => return,
                },
                _ = stop.cancelled() => {}
            }
        }
        while let Ok(mark) = marks.try_recv() {
            take(mark, &mut pending, &mut waiting);
        }
        if pending.is_empty() {
            return;
        }
        let batch: Vec<(i64, u32)> = pending.iter().map(|(id, done)| (*id, *done)).collect();
        stats.mark_batches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match log.mark_done_many(bot, &batch).await {
            Ok(()) => {
                pending.clear();
                failures = 0;
                for written in waiting.drain(..) {
                    let _ = written.send(());
                }
            }
            Err(e) => {
                // Kept, merged with later marks, and tried again; their workers wait (and their
                // updates stay unconfirmed) until then.
                let wait = backoff.delay(failures);
                failures = failures.saturating_add(1);
                tracing::warn!(
                    wait_ms = wait.as_millis() as u64,
                    "could not record sent answers; retrying: {e}"
                );
                if pause(wait, &stop).await.is_err() {
                    return;
                }
            }
        }
        if stop.is_cancelled() && marks.is_empty() {
            return;
        }
    }
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

/// Saves the offset (and lets the outbox forget what Telegram confirmed). A failure is only
/// logged: the offset is saved again before the next poll, and an older saved offset only
/// means updates the outbox recognises come again.
async fn save_offset(shared: &Shared, offset: i64, confirmed: i64) -> bool {
    match shared.log.save_offset(shared.bot_id, offset, confirmed).await {
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
