//! The per-user workers: each user's updates handled in order, from memory and then from the
//! inbox, each applied and answered once through a [`Turn`], retried while the database is
//! unavailable and given up on (recorded, apologised for) after [`MAX_ATTEMPTS`] other failures.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use teloxide::types::Update;
use tracing::Instrument;

use super::{Job, MAX_ATTEMPTS, Response, SLOW_UPDATE, Shared, retry_db, update_kind};
use crate::outbox::{Action, Failure, Finished, Turn, UpdateRef};
use crate::protocol::bot::sender::{Abandoned, pause};
use crate::repository::RepositoryError;

impl Shared {
    /// `count` more updates of `user` wait in the inbox: make sure a worker takes them.
    pub(super) fn add_parked(self: &Arc<Self>, user: i64, count: u64) {
        let mut queues = self.queues.lock().expect("queues lock");
        let queue = queues.entry(user).or_default();
        queue.parked += count;
        if !queue.running {
            queue.running = true;
            let worker = self.clone();
            self.tasks.spawn(async move { worker.drain(user).await });
        }
    }

    /// Handles a user's updates in order, from memory and then from the inbox, until there are
    /// none left.
    pub(super) async fn drain(self: Arc<Self>, user: i64) {
        loop {
            let next = {
                let mut queues = self.queues.lock().expect("queues lock");
                let queue = queues.entry(user).or_default();
                match queue.jobs.pop_front() {
                    Some(job) => Some(job),
                    None if queue.parked > 0 => None,
                    None => {
                        queues.remove(&user);
                        return;
                    }
                }
            };
            let job = match next {
                Some(job) => job,
                None => {
                    // Only parked updates are left: take the next few from the inbox.
                    let limit = self.user_queue as u32;
                    let Ok(parked) = retry_db("read parked updates", self.backoff, &self.abandon, || {
                        self.outbox.parked(self.bot_id, user, limit)
                    })
                    .await
                    else {
                        self.queues.lock().expect("queues lock").remove(&user);
                        return;
                    };
                    let mut queues = self.queues.lock().expect("queues lock");
                    let queue = queues.entry(user).or_default();
                    if parked.is_empty() {
                        // Counted but gone: handled meanwhile by an earlier run's records.
                        queue.parked = 0;
                        continue;
                    }
                    for p in parked {
                        let payload = match serde_json::from_str::<Update>(&p.payload) {
                            Ok(update) => Some(update),
                            Err(e) => {
                                tracing::warn!(
                                    update_id = p.update_id,
                                    "unreadable parked update ignored: {e}"
                                );
                                None
                            }
                        };
                        queue
                            .jobs
                            .push_back(Job { update: UpdateRef { id: p.update_id, parked: true }, payload });
                    }
                    continue;
                }
            };
            let handled = {
                let permit = tokio::select! {
                    p = self.permits.acquire() => p.ok(),
                    _ = self.abandon.cancelled() => None,
                };
                match permit {
                    // Every log line about the update carries its id and its user's (never a text).
                    Some(_permit) => {
                        // News gives way while the update is handled (`dispatch/foreground.rs`).
                        let _busy = self.dispatcher.busy();
                        let span = tracing::info_span!("update", update_id = job.update.id, user);
                        self.handle(&job).instrument(span).await
                    }
                    None => Err(Abandoned),
                }
            };
            if handled.is_err() {
                // Abandoned at shutdown: this and the user's later updates stay unconfirmed (or
                // parked).
                self.queues.lock().expect("queues lock").remove(&user);
                return;
            }
            if job.update.parked {
                let mut queues = self.queues.lock().expect("queues lock");
                let queue = queues.entry(user).or_default();
                queue.parked = queue.parked.saturating_sub(1);
            } else {
                self.complete(job.update.id);
            }
        }
    }

    pub(super) fn complete(&self, id: i64) {
        let mut watermark = self.watermark.lock().expect("watermark lock");
        if watermark.complete(id) {
            self.offset_tx.send_replace(watermark.offset());
        }
        if let Some(waiting) = self.waiters.lock().expect("waiters lock").remove(&id) {
            for committed in waiting {
                let _ = committed.send(());
            }
        }
    }

    /// Handles one update: applies and answers it once, whatever happened to it before.
    pub(super) async fn handle(&self, job: &Job) -> Result<(), Abandoned> {
        if !job.update.parked && self.recorded.lock().expect("recorded lock").remove(&job.update.id) {
            tracing::info!(update_id = job.update.id, "delivered again; handled by the last run");
            return Ok(());
        }
        let Some(update) = &job.payload else {
            // Unreadable: nothing to do, but a parked one must leave the inbox.
            if job.update.parked {
                self.finish(&*self.outbox.turn(self.bot_id, job.update), &[]).await?.ok();
            }
            return Ok(());
        };
        let started = tokio::time::Instant::now();
        let mut retries = 0u32;
        let mut failures = 0u32;
        loop {
            let turn = self.outbox.turn(self.bot_id, job.update);
            // Dropping a turn midway (shutdown) rolls its transaction back; the update stays
            // unconfirmed.
            let responded = tokio::select! {
                r = self.responder.respond(&*turn, job.update.id, update) => r,
                _ = self.abandon.cancelled() => return Err(Abandoned),
            };
            let failure = match responded {
                Ok(Response::Ignore) if !job.update.parked => return Ok(()),
                Ok(Response::Ignore) => match self.finish(&*turn, &[]).await? {
                    Ok(_) => return Ok(()),
                    Err(e) => e,
                },
                Ok(Response::Answer(actions, then)) => match self.finish(&*turn, &actions).await? {
                    Ok(Finished::Recorded(queued)) => {
                        if let Some(then) = then {
                            then.await;
                        }
                        self.dispatcher.enqueue(queued);
                        break;
                    }
                    // Recorded by an earlier run: its answers are in the outbox already.
                    Ok(Finished::Earlier) => break,
                    Err(e) => e,
                },
                Err(e) => e,
            };
            drop(turn);
            let wait = self.backoff.delay(retries);
            retries = retries.saturating_add(1);
            if !failure.is_unavailable() {
                failures += 1;
                if failures >= MAX_ATTEMPTS {
                    return self.give_up(job, update, &failure, failures).await;
                }
            }
            tracing::warn!(
                update_id = job.update.id,
                attempt = retries,
                wait_ms = wait.as_millis() as u64,
                "will retry: {failure}"
            );
            pause(wait, &self.abandon).await?;
        }
        self.stats.handled.fetch_add(1, Ordering::Relaxed);
        let took = started.elapsed();
        let kind = update_kind(update);
        metrics::counter!("updates_handled_total", "kind" => kind).increment(1);
        metrics::histogram!("update_handling_seconds", "kind" => kind).record(took.as_secs_f64());
        if took >= SLOW_UPDATE {
            tracing::debug!(kind, handle_ms = took.as_millis() as u64, "slow update");
        } else {
            tracing::debug!(kind, handle_ms = took.as_millis() as u64, "handled");
        }
        Ok(())
    }

    /// An update failed [`MAX_ATTEMPTS`] times: recorded as failed with its error, its sender gets
    /// an apology and the menu, and it is confirmed.
    pub(super) async fn give_up(
        &self,
        job: &Job,
        update: &Update,
        error: &RepositoryError,
        attempts: u32,
    ) -> Result<(), Abandoned> {
        let user = update.from().map(|u| u.id.0 as i64);
        tracing::error!(update_id = job.update.id, user, attempts, "giving up on an update: {error}");
        self.stats.failed.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("updates_failed_total", "kind" => update_kind(update)).increment(1);
        let (actions, then) = self.responder.apologize(update).await;
        let text = error.to_string();
        let failure = Failure { update: job.update, user, error: &text, attempts };
        let mut tries = 0u32;
        loop {
            let recorded = tokio::select! {
                r = self.outbox.record_failure(self.bot_id, &failure, &actions) => r,
                _ = self.abandon.cancelled() => return Err(Abandoned),
            };
            match recorded {
                Ok(Finished::Recorded(queued)) => {
                    if let Some(then) = then {
                        then.await;
                    }
                    self.dispatcher.enqueue(queued);
                    return Ok(());
                }
                Ok(Finished::Earlier) => return Ok(()),
                Err(e) if e.is_unavailable() || tries < MAX_ATTEMPTS => {
                    let wait = self.backoff.delay(tries);
                    tries += 1;
                    tracing::warn!(
                        update_id = job.update.id,
                        "could not record a failed update; retrying: {e}"
                    );
                    pause(wait, &self.abandon).await?;
                }
                Err(e) => {
                    // Not even the record goes in: confirm the update anyway rather than stall.
                    tracing::error!(
                        update_id = job.update.id,
                        "could not record a failed update; dropping it: {e}"
                    );
                    return Ok(());
                }
            }
        }
    }

    /// Commits a turn with its record, unless shutdown's grace runs out first.
    pub(super) async fn finish(
        &self,
        turn: &dyn Turn,
        actions: &[Action],
    ) -> Result<Result<Finished, RepositoryError>, Abandoned> {
        tokio::select! {
            r = turn.finish(actions) => Ok(r),
            _ = self.abandon.cancelled() => Err(Abandoned),
        }
    }
}
