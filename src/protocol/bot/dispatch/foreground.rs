//! Bulk sends yield to people's own actions for CPU, not only for rate-limit slots.
//!
//! News and reminders take only the send slots answers leave free (`news.rs`), but on a small
//! machine the bot, its database and its HTTP client share a couple of cores: news sent at a
//! high `TELEGRAM_RATE_BULK` (and the due work streamed from the database to feed it) takes CPU
//! the answers wait for. So while the bot is *busy* — an update being handled, or a chat with
//! answers being sent — bulk sends go at most at the busy pace (`TELEGRAM_RATE_BULK_BUSY`,
//! default 25/s, Telegram's pace for bulk sends anyway); as soon as it is idle they go at the
//! bulk pace again. A bulk message waiting for the busy pace goes at once when the bot turns
//! idle, so the busy pace is a floor while people write, not a stall.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::Inner;
use crate::protocol::bot::limiter::RateLimiter;
use crate::protocol::bot::sender::Abandoned;

/// Work done for people's own actions now (updates handled, chats with answers being sent).
#[derive(Clone, Debug, Default)]
pub struct Foreground(Arc<Work>);

#[derive(Debug, Default)]
struct Work {
    /// Guards alive.
    count: AtomicUsize,
    /// Woken when the last guard is dropped, so that bulk messages waiting for the busy pace
    /// go at once instead of looking again and again.
    idle: Notify,
}

impl Foreground {
    /// Marks the bot busy until the guard is dropped.
    pub fn busy(&self) -> Busy {
        self.0.count.fetch_add(1, Ordering::AcqRel);
        Busy(self.0.clone())
    }

    /// Whether anything is being done for someone's own action now.
    pub fn is_busy(&self) -> bool {
        self.0.count.load(Ordering::Acquire) > 0
    }

    /// Resolves when the bot next turns idle. Registered when created: an idle turn between
    /// creating it and awaiting it is not missed.
    fn idle(&self) -> tokio::sync::futures::Notified<'_> {
        self.0.idle.notified()
    }
}

/// Keeps the bot marked busy while it lives.
#[derive(Debug)]
pub struct Busy(Arc<Work>);

impl Drop for Busy {
    fn drop(&mut self) {
        if self.0.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

/// When bulk messages last went and at what spacing while busy.
#[derive(Debug)]
pub(super) struct BusyPace {
    /// `None`: no slowing while busy.
    interval: Option<Duration>,
    last: std::sync::Mutex<Option<Instant>>,
}

impl BusyPace {
    /// At most `rate` bulk messages a second while busy (0: no slowing).
    pub(super) fn new(rate: f64) -> BusyPace {
        BusyPace { interval: RateLimiter::interval(rate), last: std::sync::Mutex::new(None) }
    }

    /// Takes a bulk message's turn at `now`, or says how long it must still wait while busy.
    /// Checking and recording happen under one lock: the news lane and the groups' lanes share
    /// the pace, and two of them must not both see a free turn and go together.
    fn take(&self, now: Instant, busy: bool) -> Result<(), Duration> {
        let mut last = self.last.lock().expect("busy pace lock");
        if let (true, Some(interval), Some(went)) = (busy, self.interval, *last) {
            let wait = (went + interval).saturating_duration_since(now);
            if !wait.is_zero() {
                return Err(wait);
            }
        }
        *last = Some(now);
        Ok(())
    }
}

impl Inner {
    /// Waits for a bulk message's turn: the bulk pace, then, while the bot is busy, the busy
    /// pace (ended early when the bot turns idle). `Err` at shutdown.
    pub(super) async fn bulk_turn(&self) -> Result<(), Abandoned> {
        tokio::select! {
            _ = self.bulk_pace.acquire(0) => {}
            _ = self.stop.cancelled() => return Err(Abandoned),
        }
        loop {
            // Registered before the busy check, so an idle turn right after it still wakes us.
            let idle = self.foreground.idle();
            let wait = match self.busy_pace.take(Instant::now(), self.foreground.is_busy()) {
                Ok(()) => return Ok(()),
                Err(wait) => wait,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = idle => {}
                _ = self.stop.cancelled() => return Err(Abandoned),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_is_busy_while_a_guard_lives() {
        let foreground = Foreground::default();
        assert!(!foreground.is_busy());
        let handling = foreground.busy();
        let sending = foreground.clone().busy();
        drop(handling);
        assert!(foreground.is_busy(), "one guard is left");
        drop(sending);
        assert!(!foreground.is_busy());
    }

    #[tokio::test]
    async fn the_last_guard_dropped_wakes_whoever_waits_for_idle() {
        let foreground = Foreground::default();
        let first = foreground.busy();
        let second = foreground.busy();
        let idle = foreground.idle();
        tokio::pin!(idle);
        drop(first);
        // A zero timeout polls the future once: `Err` while it is pending.
        let polled = tokio::time::timeout(Duration::ZERO, idle.as_mut()).await;
        assert!(polled.is_err(), "one guard is left");
        drop(second);
        let polled = tokio::time::timeout(Duration::ZERO, idle.as_mut()).await;
        assert!(polled.is_ok(), "the bot turned idle");
    }

    #[test]
    fn the_busy_pace_spaces_bulk_messages_from_the_last_one() {
        let pace = BusyPace::new(25.0);
        let start = Instant::now();
        assert_eq!(pace.take(start, true), Ok(()), "nothing went yet");
        assert_eq!(pace.take(start, true), Err(Duration::from_millis(40)), "the turn was taken");
        let later = start + Duration::from_millis(30);
        assert_eq!(pace.take(later, true), Err(Duration::from_millis(10)));
        assert_eq!(pace.take(start + Duration::from_millis(40), true), Ok(()));
        assert_eq!(pace.take(start + Duration::from_millis(41), false), Ok(()), "idle: no spacing");
        let busy_again = start + Duration::from_millis(50);
        assert_eq!(pace.take(busy_again, true), Err(Duration::from_millis(31)), "spaced from the idle send");
        let unpaced = BusyPace::new(0.0);
        assert_eq!((unpaced.take(start, true), unpaced.take(start, true)), (Ok(()), Ok(())), "0: no slowing");
    }
}
