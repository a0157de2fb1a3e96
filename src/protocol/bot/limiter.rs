//! Outgoing rate limits: about one message per second to a chat, 20 a minute to a group and 30 per
//! second overall, as Telegram asks, each with a small burst allowance.
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
    /// `None` for a rate of 0 (unlimited); see [`RateLimiter::interval`].
    fn new(rate: f64, burst: u32) -> Option<Gcra> {
        let interval = RateLimiter::interval(rate)?;
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

/// The per-chat, per-group and global limits together.
pub struct RateLimiter {
    per_chat: Option<Gcra>,
    /// Also applies to group chats (negative ids), on top of the per-chat limit.
    per_group: Option<Gcra>,
    global: Option<Gcra>,
    state: Mutex<State>,
}

struct State {
    global_tat: Instant,
    chats: HashMap<i64, Instant>,
    groups: HashMap<i64, Instant>,
}

impl RateLimiter {
    /// Per-chat burst: a reply and a follow-up (e.g. a celebration) go out together.
    pub const CHAT_BURST: u32 = 3;
    /// The slowest rate accepted: one message a day.
    pub const MIN_RATE: f64 = 1.0 / 86_400.0;

    /// The spacing of `rate` messages a second; `None` for 0 (no limit). Rates below
    /// [`Self::MIN_RATE`] are taken as that (settings refuse them; an interval must fit a
    /// `Duration`).
    pub fn interval(rate: f64) -> Option<Duration> {
        if rate <= 0.0 || !rate.is_finite() {
            return None;
        }
        Some(Duration::from_secs_f64(1.0 / rate.max(Self::MIN_RATE)))
    }

    /// Rates in messages per second; 0 disables a limit.
    pub fn new(per_chat: f64, global: f64) -> RateLimiter {
        let global_burst = global.clamp(1.0, 30.0) as u32;
        RateLimiter {
            per_chat: Gcra::new(per_chat, Self::CHAT_BURST),
            per_group: None,
            global: Gcra::new(global, global_burst),
            state: Mutex::new(State {
                global_tat: Instant::now(),
                chats: HashMap::new(),
                groups: HashMap::new(),
            }),
        }
    }

    /// Adds the limit of `per_minute` messages to each group chat (0: none): never more than
    /// that many in any minute, at most [`Self::CHAT_BURST`] of them back to back. A burst of
    /// `b` and then one per interval `T` fit `b + ⌈60 s / T⌉ − 1` messages in a minute, so the
    /// interval is a minute over `per_minute − b + 1`.
    pub fn with_groups(mut self, per_minute: f64) -> RateLimiter {
        self.per_group = if per_minute <= 0.0 || !per_minute.is_finite() {
            None
        } else {
            let burst = Self::CHAT_BURST.min(per_minute.floor().max(1.0) as u32);
            let spaced = (per_minute - f64::from(burst) + 1.0).max(RateLimiter::MIN_RATE);
            // Rounded up to the millisecond: an interval a hair short would fit one too many.
            let interval = Duration::from_millis((60_000.0 / spaced).ceil().min(86_400_000.0) as u64);
            Some(Gcra { interval, tolerance: interval * burst.saturating_sub(1) })
        };
        self
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
        if let Some(limit) = self.per_group
            && chat < 0
        {
            if state.groups.len() > 50_000 {
                state.groups.retain(|_, tat| *tat > now);
            }
            let tat = state.groups.entry(chat).or_insert(now);
            go = limit.reserve(tat, go);
        }
        if let Some(limit) = self.global {
            go = limit.reserve(&mut state.global_tat, go);
        }
        go.saturating_duration_since(now)
    }

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
        if let Some(limit) = self.per_group
            && let Some(tat) = state.groups.get(&chat)
        {
            free = free.max(tat.checked_sub(limit.tolerance).unwrap_or(*tat));
        }
        if let Some(limit) = self.global {
            let tat = state.global_tat;
            free = free.max(tat.checked_sub(limit.tolerance).unwrap_or(tat));
        }
        free.saturating_duration_since(now)
    }

    /// Waits until a message to `chat` may be sent.
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
    fn a_group_never_gets_more_than_its_messages_per_minute() {
        let limiter = RateLimiter::new(1.0, 0.0).with_groups(20.0);
        let start = Instant::now();
        // A hundred messages to one group, each sent when it may go.
        let mut at = start;
        let mut sent = Vec::new();
        for _ in 0..100 {
            at += limiter.reserve(-100, at);
            sent.push(at);
        }
        for (i, first) in sent.iter().enumerate() {
            let in_a_minute =
                sent[i..].iter().take_while(|t| t.duration_since(*first) < Duration::from_secs(60)).count();
            assert!(in_a_minute <= 20, "{in_a_minute} messages within a minute from message {i}");
        }
        // Not far below it either: the hundredth goes within five minutes.
        assert!(sent[99].duration_since(start) < Duration::from_secs(5 * 60 + 30), "{:?}", sent[99] - start);
        // Private chats are not groups.
        assert!(limiter.reserve(5, start).is_zero());
        assert!(limiter.reserve(5, start).is_zero());
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
