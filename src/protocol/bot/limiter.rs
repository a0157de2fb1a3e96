//! Outgoing rate limits: about one message per second to a chat and 30 per second overall, as
//! Telegram asks, each with a small burst allowance.
//!
//! Each limit is a GCRA (a token bucket kept as one "theoretical arrival time"): a caller reserves
//! the next slot under a lock and then sleeps outside it until the slot comes, so waiting callers
//! are served in order and never spin.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One limit: `rate` per second with `burst` sent back to back.
#[derive(Clone, Copy, Debug)]
struct Gcra {
    interval: Duration,
    tolerance: Duration,
}

impl Gcra {
    /// `None` for a rate of 0 (unlimited). Rates below [`RateLimiter::MIN_RATE`] are taken as
    /// that (settings refuse them; an interval must fit a `Duration`).
    fn new(rate: f64, burst: u32) -> Option<Gcra> {
        if rate <= 0.0 || !rate.is_finite() {
            return None;
        }
        let rate = rate.max(RateLimiter::MIN_RATE);
        let interval = Duration::from_secs_f64(1.0 / rate);
        Some(Gcra { interval, tolerance: interval * burst.saturating_sub(1) })
    }

    /// Reserves a slot for a request arriving at `at`; returns when it may go.
    fn reserve(&self, tat: &mut Instant, at: Instant) -> Instant {
        let start = (*tat).max(at);
        let go = at.max(start.checked_sub(self.tolerance).unwrap_or(start));
        *tat = start + self.interval;
        go
    }
}

/// The per-chat and global limits together.
pub struct RateLimiter {
    per_chat: Option<Gcra>,
    global: Option<Gcra>,
    state: Mutex<State>,
}

struct State {
    global_tat: Instant,
    chats: HashMap<i64, Instant>,
}

impl RateLimiter {
    /// Per-chat burst: a reply and a follow-up (e.g. a celebration) go out together.
    pub const CHAT_BURST: u32 = 3;
    /// The slowest rate accepted: one message a day.
    pub const MIN_RATE: f64 = 1.0 / 86_400.0;

    /// Rates in messages per second; 0 disables a limit.
    pub fn new(per_chat: f64, global: f64) -> RateLimiter {
        let global_burst = global.clamp(1.0, 30.0) as u32;
        RateLimiter {
            per_chat: Gcra::new(per_chat, Self::CHAT_BURST),
            global: Gcra::new(global, global_burst),
            state: Mutex::new(State { global_tat: Instant::now(), chats: HashMap::new() }),
        }
    }

    /// How long a message to `chat` must wait, with its slot reserved.
    fn reserve(&self, chat: i64, now: Instant) -> Duration {
        let mut state = self.state.lock().expect("limiter lock");
        let mut go = now;
        if let Some(limit) = self.per_chat {
            if state.chats.len() > 50_000 {
                state.chats.retain(|_, tat| *tat > now);
            }
            let tat = state.chats.entry(chat).or_insert(now);
            go = limit.reserve(tat, go);
        }
        if let Some(limit) = self.global {
            go = limit.reserve(&mut state.global_tat, go);
        }
        go.saturating_duration_since(now)
    }

    /// Waits until a message to `chat` may be sent.
    /// How long until a message to `chat` could go without waiting, reserving nothing: news asks
    /// this first and takes only slots answers leave free.
    pub fn free_in(&self, chat: i64) -> Duration {
        let now = Instant::now();
        let state = self.state.lock().expect("limiter lock");
        let mut free = now;
        if let Some(limit) = self.per_chat
            && let Some(tat) = state.chats.get(&chat)
        {
            free = free.max(tat.checked_sub(limit.tolerance).unwrap_or(*tat));
        }
        if let Some(limit) = self.global {
            let tat = state.global_tat;
            free = free.max(tat.checked_sub(limit.tolerance).unwrap_or(tat));
        }
        free.saturating_duration_since(now)
    }

    pub async fn acquire(&self, chat: i64) {
        let wait = self.reserve(chat, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_chat_gets_a_burst_then_one_per_second() {
        let limiter = RateLimiter::new(1.0, 0.0);
        let now = Instant::now();
        let waits: Vec<Duration> = (0..5).map(|_| limiter.reserve(1, now)).collect();
        assert_eq!(&waits[..3], &[Duration::ZERO; 3]);
        assert_eq!(waits[3], Duration::from_secs(1));
        assert_eq!(waits[4], Duration::from_secs(2));
        assert_eq!(limiter.reserve(2, now), Duration::ZERO, "other chats are not held up");
    }

    #[test]
    fn the_global_limit_spaces_everyone() {
        let limiter = RateLimiter::new(0.0, 10.0);
        let now = Instant::now();
        let waits: Vec<Duration> = (0..12).map(|chat| limiter.reserve(chat, now)).collect();
        assert!(waits[..10].iter().all(|w| w.is_zero()), "{waits:?}");
        assert_eq!(waits[10], Duration::from_millis(100));
        assert_eq!(waits[11], Duration::from_millis(200));
    }

    #[test]
    fn tiny_rates_do_not_overflow() {
        let limiter = RateLimiter::new(1e-20, 1e-300);
        let now = Instant::now();
        assert!(limiter.reserve(1, now).is_zero());
        assert!(limiter.reserve(1, now) <= Duration::from_secs(86_400 * 30));
    }

    #[test]
    fn unlimited_never_waits() {
        let limiter = RateLimiter::new(0.0, 0.0);
        let now = Instant::now();
        assert!((0..1000).all(|_| limiter.reserve(1, now).is_zero()));
    }

    #[test]
    fn slots_free_up_as_time_passes() {
        let limiter = RateLimiter::new(1.0, 0.0);
        let now = Instant::now();
        for _ in 0..3 {
            limiter.reserve(1, now);
        }
        assert_eq!(limiter.reserve(1, now + Duration::from_secs(10)), Duration::ZERO);
    }
}
