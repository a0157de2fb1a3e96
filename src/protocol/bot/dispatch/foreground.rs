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

use tokio::time::Instant;

use super::Inner;
use crate::protocol::bot::sender::{Abandoned, pause};

/// How often a bulk message waiting for the busy pace looks whether the bot turned idle.
const IDLE_CHECK: Duration = Duration::from_millis(5);

/// Work done for people's own actions now (updates handled, chats with answers being sent).
#[derive(Clone, Debug, Default)]
pub struct Foreground(Arc<AtomicUsize>);

impl Foreground {
    /// Marks the bot busy until the guard is dropped.
    pub fn busy(&self) -> Busy {
        self.0.fetch_add(1, Ordering::Relaxed);
        Busy(self.0.clone())
    }

    /// Whether anything is being done for someone's own action now.
    pub fn is_busy(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

/// Keeps the bot marked busy while it lives.
#[derive(Debug)]
pub struct Busy(Arc<AtomicUsize>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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
        let interval = (rate > 0.0 && rate.is_finite()).then(|| Duration::from_secs_f64(1.0 / rate));
        BusyPace { interval, last: std::sync::Mutex::new(None) }
    }

    /// How long a bulk message must still wait at `now` while busy (zero: it may go).
    fn wait_at(&self, now: Instant) -> Duration {
        let (Some(interval), Some(last)) = (self.interval, *self.last.lock().expect("busy pace lock")) else {
            return Duration::ZERO;
        };
        (last + interval).saturating_duration_since(now)
    }

    fn went(&self, at: Instant) {
        *self.last.lock().expect("busy pace lock") = Some(at);
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
            let wait = if self.foreground.is_busy() {
                self.busy_pace.wait_at(Instant::now())
            } else {
                Duration::ZERO
            };
            if wait.is_zero() {
                break;
            }
            pause(wait.min(IDLE_CHECK), &self.stop).await?;
        }
        self.busy_pace.went(Instant::now());
        Ok(())
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

    #[tokio::test(start_paused = true)]
    async fn the_busy_pace_spaces_bulk_messages_from_the_last_one() {
        let pace = BusyPace::new(25.0);
        let start = Instant::now();
        assert_eq!(pace.wait_at(start), Duration::ZERO, "nothing went yet");
        pace.went(start);
        assert_eq!(pace.wait_at(start), Duration::from_millis(40));
        assert_eq!(pace.wait_at(start + Duration::from_millis(30)), Duration::from_millis(10));
        assert_eq!(pace.wait_at(start + Duration::from_millis(40)), Duration::ZERO);
        assert_eq!(BusyPace::new(0.0).wait_at(start), Duration::ZERO, "0: no slowing");
    }
}
