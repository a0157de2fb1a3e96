//! The news lane: news for other people (`Class::News`) waits in one queue of its own and is sent
//! at the bulk pace (`TELEGRAM_RATE_BULK`; slower while the bot is busy, `foreground.rs`), each
//! message only when the rate limits have room for it at that moment, so answers to people's own
//! actions never wait behind it. Whoever blocked the bot (a 403) gets no news until they write
//! again; that mark is kept in memory only, but the chat is passed on
//! ([`Dispatcher::on_blocked`]) so that their reminders stop in the database.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Dispatcher, Inner};
use crate::outbox::Queued;
use crate::protocol::bot::sender::{Abandoned, Sent, pause};

/// News waiting, oldest first, and whether a task is sending it.
#[derive(Default)]
pub(super) struct NewsQueue {
    waiting: VecDeque<Queued>,
    draining: bool,
}

impl Dispatcher {
    /// The person of `chat` wrote: if they had blocked the bot, they get news again.
    pub fn heard_from(&self, chat: i64) {
        let mut blocked = self.inner.blocked.lock().expect("blocked lock");
        if !blocked.is_empty() {
            blocked.remove(&chat);
        }
    }

    /// News waiting to be sent.
    pub fn news_backlog(&self) -> usize {
        self.inner.bulk.lock().expect("bulk lock").waiting.len()
    }

    /// News goes in one queue of its own, sent at the bulk pace in the order it came.
    pub(super) fn enqueue_news(&self, message: Queued) {
        let mut bulk = self.inner.bulk.lock().expect("bulk lock");
        bulk.waiting.push_back(message);
        if !bulk.draining {
            bulk.draining = true;
            let inner = self.inner.clone();
            self.inner.tasks.spawn(async move { inner.drain_news().await });
        }
    }
}

impl Inner {
    /// Sends the news queue, one message at the bulk pace, each only once the rate limits have
    /// room for it now: news never takes a slot an answer is waiting for, so answers to people's
    /// own actions never wait behind it (at most behind the one news message being sent).
    pub(super) async fn drain_news(self: Arc<Self>) {
        loop {
            let next = {
                let mut bulk = self.bulk.lock().expect("bulk lock");
                match bulk.waiting.pop_front() {
                    Some(next) => next,
                    None => {
                        bulk.draining = false;
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
            if self.bulk_turn().await.is_err() {
                return;
            }
            if self.free_slot(chat).await.is_err() {
                return;
            }
            if let Ok(sent) = self.sender.perform(&next.action, &self.stop).await {
                self.note(chat, &sent);
                if matches!(sent, Sent::Done) {
                    self.stats.news_sent.fetch_add(1, Ordering::Relaxed);
                }
                let _ = self.removals.send(next.id);
            }
        }
    }

    /// Waits until a message to `chat` could go now without taking a slot an answer waits for
    /// (`Err` at shutdown).
    pub(super) async fn free_slot(&self, chat: i64) -> Result<(), Abandoned> {
        loop {
            let wait = self.sender.free_in(chat);
            if wait.is_zero() {
                return Ok(());
            }
            pause(wait, &self.stop).await?;
        }
    }

    /// What a send says of its chat: a 403 means its person blocked the bot.
    pub(super) fn note(&self, chat: i64, sent: &Sent) {
        self.count(sent);
        if *sent == Sent::Blocked
            && self.blocked.lock().expect("blocked lock").insert(chat)
            && let Some(listener) = &*self.blocked_listener.lock().expect("listener lock")
        {
            let _ = listener.send(chat);
        }
    }
}
