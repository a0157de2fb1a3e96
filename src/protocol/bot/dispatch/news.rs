//! The news lane: news for other people ([`Class::NEWS`](crate::outbox::Class::NEWS)) waits in a
//! queue of its own and is sent at the bulk pace (`TELEGRAM_RATE_BULK`; slower while the bot is
//! busy, `foreground.rs`), each message only when the rate limits have room for it at that moment,
//! so answers to people's own actions never wait behind it. Whoever blocked the bot (a 403) gets no
//! news until they write again; that mark is kept in memory only, but the chat is passed on
//! ([`Dispatcher::on_blocked`]) so that their reminders stop in the database.
//!
//! The bot's own due work (reminders, summaries: [`Class::DUE`](crate::outbox::Class::DUE), marked
//! so in the outbox too, so that it keeps its place after a restart) waits in a second queue, and
//! the lane takes from the two in turn. People's activity can make news far faster than the bulk
//! pace sends it ("passed you" news at thousands a second under load); in one queue, a reminder
//! taken then would wait behind all of it, and the scheduler, which takes due work only while few
//! of its messages wait, would take none until the flood drained. With its own queue a reminder
//! waits behind at most as many news messages as reminders ahead of it.
//!
//! Every message waiting is in the outbox already, so the lane holds only the first
//! [`super::DispatchConfig::news_in_memory`] news messages whole and the rest as their ids, read
//! back a few hundred at a time when their turn comes: a backlog of 25,000 news messages, seen in
//! the load benchmark, took about 30 MiB held whole. Due work needs no such bound: the
//! scheduler takes it only while little of it waits.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::{Dispatcher, Inner};
use crate::outbox::Queued;
use crate::protocol::bot::sender::{Abandoned, Sent, pause};

/// News ids read back from the outbox at a time.
pub(super) const READ_BACK: usize = 200;

/// A news message waiting: whole, or (beyond [`super::DispatchConfig::news_in_memory`]) only
/// its outbox id. News can be made far faster than it may be sent, for hours; held whole it
/// would grow the bot's memory by a kilobyte or so a message, as ids by 16 bytes.
enum Held {
    Whole(Box<Queued>),
    Stored(i64),
}

/// What the news lane does next.
enum Next {
    Send(Queued),
    /// Read these news messages back from the outbox (their turn has come).
    ReadBack(Vec<i64>),
}

/// News and due work waiting, oldest first, and whether a task is sending them.
#[derive(Default)]
pub(super) struct NewsQueue {
    waiting: VecDeque<Held>,
    /// Messages of `waiting` held whole.
    whole: usize,
    due: VecDeque<Queued>,
    /// Which queue the next message comes from when both have some.
    due_next: bool,
    draining: bool,
}

impl NewsQueue {
    /// The next thing to do: a message from the two queues in turn while both have some, or the
    /// reading back of news whose turn came.
    fn next(&mut self) -> Option<Next> {
        let from_due = match (self.waiting.is_empty(), self.due.is_empty()) {
            (true, true) => return None,
            (false, false) => self.due_next,
            (news_empty, _) => news_empty,
        };
        if from_due {
            self.due_next = false;
            return self.due.pop_front().map(Next::Send);
        }
        if let Some(Held::Stored(_)) = self.waiting.front() {
            let mut ids = Vec::with_capacity(READ_BACK);
            while ids.len() < READ_BACK
                && let Some(Held::Stored(id)) = self.waiting.front()
            {
                ids.push(*id);
                self.waiting.pop_front();
            }
            return Some(Next::ReadBack(ids));
        }
        self.due_next = true;
        match self.waiting.pop_front() {
            Some(Held::Whole(message)) => {
                self.whole -= 1;
                Some(Next::Send(*message))
            }
            _ => None,
        }
    }

    /// Puts news read back (or ids whose reading failed) at the front, in their order.
    fn put_back(&mut self, held: Vec<Held>) {
        for held in held.into_iter().rev() {
            if matches!(held, Held::Whole(_)) {
                self.whole += 1;
            }
            self.waiting.push_front(held);
        }
    }

    #[cfg(test)]
    pub(super) fn whole(&self) -> usize {
        self.whole
    }
}

impl Dispatcher {
    /// The person of `chat` wrote: if they had blocked the bot, they get news again.
    pub fn heard_from(&self, chat: i64) {
        let mut blocked = self.inner.blocked.lock().expect("blocked lock");
        if !blocked.is_empty() {
            blocked.remove(&chat);
        }
    }

    /// News and due work waiting to be sent.
    pub fn news_backlog(&self) -> usize {
        let bulk = self.inner.bulk.lock().expect("bulk lock");
        bulk.waiting.len() + bulk.due.len()
    }

    /// Due work (reminders, summaries) waiting to be sent.
    pub fn due_backlog(&self) -> usize {
        self.inner.bulk.lock().expect("bulk lock").due.len()
    }

    /// The bot's own due work goes in the due queue, in the order it came.
    pub(super) fn enqueue_due(&self, message: Queued) {
        self.push_bulk(vec![message], true);
    }

    /// News goes in one queue of its own, sent at the bulk pace in the order it came.
    pub(super) fn enqueue_news(&self, message: Queued) {
        self.push_bulk(vec![message], false);
    }

    fn push_bulk(&self, messages: Vec<Queued>, due: bool) {
        if messages.is_empty() {
            return;
        }
        let mut bulk = self.inner.bulk.lock().expect("bulk lock");
        if due {
            bulk.due.extend(messages);
        } else {
            for message in messages {
                if bulk.whole < self.inner.config.news_in_memory {
                    bulk.whole += 1;
                    bulk.waiting.push_back(Held::Whole(Box::new(message)));
                } else {
                    bulk.waiting.push_back(Held::Stored(message.id));
                }
            }
        }
        if !bulk.draining {
            bulk.draining = true;
            let inner = self.inner.clone();
            self.inner.tasks.spawn(async move { inner.drain_news().await });
        }
    }
}

impl Inner {
    /// Sends the news and due queues, one message at the bulk pace, each only once the rate
    /// limits have room for it now: news never takes a slot an answer is waiting for, so answers
    /// to people's own actions never wait behind it (at most behind the one news message being
    /// sent).
    pub(super) async fn drain_news(self: Arc<Self>) {
        let mut failures = 0u32;
        loop {
            let next = {
                let mut bulk = self.bulk.lock().expect("bulk lock");
                let next = bulk.next();
                if next.is_none() {
                    bulk.draining = false;
                }
                next
            };
            let next = match next {
                Some(Next::Send(next)) => next,
                Some(Next::ReadBack(ids)) => {
                    if self.read_back(ids, &mut failures).await.is_err() {
                        return;
                    }
                    continue;
                }
                None => return,
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

    /// Reads news held as ids back from the outbox into the front of the queue; a failed read
    /// puts the ids back and waits a backoff (`Err` at shutdown). Ids no longer in the outbox
    /// are left out.
    async fn read_back(&self, ids: Vec<i64>, failures: &mut u32) -> Result<(), Abandoned> {
        match self.outbox.messages(self.bot, &ids).await {
            Ok(found) => {
                *failures = 0;
                let held = found.into_iter().map(|message| Held::Whole(Box::new(message))).collect();
                self.bulk.lock().expect("bulk lock").put_back(held);
                Ok(())
            }
            Err(e) => {
                let wait = self.backoff.delay(*failures);
                *failures = failures.saturating_add(1);
                tracing::warn!(
                    wait_ms = wait.as_millis() as u64,
                    error = %e,
                    "could not read waiting news back from the outbox; retrying"
                );
                self.bulk.lock().expect("bulk lock").put_back(ids.into_iter().map(Held::Stored).collect());
                pause(wait, &self.stop).await
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
