//! The bot's own work: every second (at once while a pass finds a full batch), one outbox job
//! takes what is due (reminders, summaries; see `handler::conversation::reminders`), and its
//! messages are handed to the dispatcher once they are committed with the marks that make
//! them due no more, while few of them wait to be sent (so 100,000 reminders due at once stream
//! from the database at the pace they are sent; while the bot is busy answering, a pass at a
//! time). They wait in a queue of their own beside the news (`dispatch/news.rs`): a flood of
//! people's news delays them, but does not stop the scheduler taking them. News refused because
//! its reader blocked the bot pauses their reminders.
//!
//! One instance runs per bot token, and each job moves a person's schedule only if it is still
//! the one it read, so nothing is sent twice; a crash before a job commits loses nothing (the
//! next pass finds the same work due).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::Shared;
use crate::protocol::bot::sender::pause;

/// How often the bot looks for due work when there was none.
const TICK: Duration = Duration::from_secs(1);

/// Due messages waiting to be sent above which no more due work is taken: the due work streams
/// from the database at the pace the bulk lane sends it, instead of piling up in memory.
const MAX_WAITING: usize = 1_000;

/// The same while the bot is busy with people's own actions: the bulk lane then sends at its
/// busy pace (`dispatch/foreground.rs`), and a pass's reads and writes would take the database
/// and the CPU from the answers for messages that wait seconds anyway. Below a pass's size, so
/// that due work is taken a pass at a time as the lane needs it.
const BUSY_WAITING: usize = 50;

/// How long to wait for the bulk lane to drain below [`MAX_WAITING`].
const BACKED_UP: Duration = Duration::from_millis(50);

pub(super) async fn run(
    shared: Arc<Shared>,
    mut blocked: mpsc::UnboundedReceiver<i64>,
    stop: CancellationToken,
) {
    let mut failures = 0u32;
    let mut listening = true;
    loop {
        while let Ok(user) = blocked.try_recv() {
            shared.responder.blocked(user).await;
        }
        let most_waiting = if shared.dispatcher.is_busy() { BUSY_WAITING } else { MAX_WAITING };
        if shared.dispatcher.due_backlog() >= most_waiting {
            if pause(BACKED_UP, &stop).await.is_err() {
                break;
            }
            continue;
        }
        let job = shared.outbox.job(shared.bot_id);
        let more = match shared.responder.due(&*job).await {
            Ok((actions, more)) => match job.finish(&actions).await {
                Ok(finished) => {
                    failures = 0;
                    let queued = finished.queued();
                    if !queued.is_empty() {
                        tracing::debug!(messages = queued.len(), "due work queued");
                        metrics::counter!("scheduled_messages_total").increment(queued.len() as u64);
                    }
                    shared.dispatcher.enqueue(queued);
                    more
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(error = %e, "could not commit due work; trying again");
                    false
                }
            },
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(error = %e, "could not take due work; trying again");
                false
            }
        };
        drop(job);
        let wait = match (more, failures) {
            (true, 0) => Duration::ZERO,
            (_, 0) => TICK,
            (_, n) => shared.backoff.delay(n).max(TICK),
        };
        let woken = tokio::select! {
            r = pause(wait, &stop) => r.is_ok(),
            user = blocked.recv(), if listening => {
                match user {
                    Some(user) => shared.responder.blocked(user).await,
                    None => listening = false,
                }
                true
            }
        };
        if !woken || stop.is_cancelled() {
            break;
        }
    }
}
