//! The conversation state of each user, kept in process (moka), as the design document says:
//! key `"<user_id>_state"`, value the state's name and data, expiring one hour after the user's
//! last input, LFU eviction (moka's TinyLFU) within a bounded capacity.
//!
//! The cache is generic over the state it holds so that storage does not depend on the
//! conversation; the conversation stores its `State` here.
//!
//! # Expiry, and telling the user about it
//!
//! A state is *expired* once [`CacheConfig::time_to_idle`] has passed since it was last written
//! (every handled input writes or removes its user's state). A lookup of an expired state answers
//! [`Lookup::Expired`] instead of [`Lookup::Missing`], so the conversation can say "that question
//! timed out" rather than pretending nothing happened. To be able to tell the two apart, moka
//! keeps an entry for [`CacheConfig::expired_note_window`] longer than `time_to_idle` (its own
//! time-to-idle is the sum); an expired state is never handed out as live. After that moka drops
//! it (counted as an expiration) and a lookup answers `Missing`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

// tokio's clock, so that tests can pause and advance time instead of sleeping.
use tokio::time::Instant;

use moka::future::Cache;
use moka::notification::RemovalCause;
use moka::policy::EvictionPolicy;

use crate::user::UserId;

/// Sizing and timing of the state cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// The most states kept; beyond it the least frequently used are evicted (TinyLFU).
    pub capacity: u64,
    /// How long after a user's last input their state expires.
    pub time_to_idle: Duration,
    /// How long after expiring a state is still recognised as expired (see the module docs).
    pub expired_note_window: Duration,
}

impl CacheConfig {
    pub const DEFAULT_CAPACITY: u64 = 100_000;
    pub const DEFAULT_TIME_TO_IDLE: Duration = Duration::from_secs(60 * 60);

    /// The defaults with another time-to-idle (and a note window as long), e.g. for tests.
    pub fn with_time_to_idle(time_to_idle: Duration) -> CacheConfig {
        CacheConfig { time_to_idle, expired_note_window: time_to_idle, ..CacheConfig::default() }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            capacity: Self::DEFAULT_CAPACITY,
            time_to_idle: Self::DEFAULT_TIME_TO_IDLE,
            expired_note_window: Self::DEFAULT_TIME_TO_IDLE,
        }
    }
}

/// What a lookup found.
#[derive(Debug, PartialEq)]
pub enum Lookup<V> {
    /// The user's current state.
    Live(Arc<V>),
    /// The user had a state but it expired (it has now been removed).
    Expired,
    /// No state: the user is at the main menu (or expired long ago, or was evicted).
    Missing,
}

/// Counters of the cache, for logs and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// States held (approximate until pending maintenance has run).
    pub entries: u64,
    /// States evicted to stay within the capacity.
    pub evictions: u64,
    /// States that expired (noticed at a lookup, or dropped by moka's own expiry).
    pub expirations: u64,
}

#[derive(Default)]
struct Counters {
    evictions: AtomicU64,
    expirations: AtomicU64,
}

struct Slot<V> {
    value: Arc<V>,
    written: Instant,
}

// Not derived: cloning a slot clones the `Arc`, whatever `V` is.
impl<V> Clone for Slot<V> {
    fn clone(&self) -> Self {
        Slot { value: Arc::clone(&self.value), written: self.written }
    }
}

/// The per-user state cache. Cheap to clone (clones share the cache).
pub struct StateCache<V> {
    cache: Cache<String, Slot<V>>,
    time_to_idle: Duration,
    /// How long after expiring a state still reads as `Expired` rather than `Missing`.
    note_window: Duration,
    counters: Arc<Counters>,
}

impl<V> Clone for StateCache<V> {
    fn clone(&self) -> Self {
        StateCache {
            cache: self.cache.clone(),
            time_to_idle: self.time_to_idle,
            note_window: self.note_window,
            counters: Arc::clone(&self.counters),
        }
    }
}

/// The cache key of a user's state: `"<user_id>_state"`.
pub fn state_key(user: UserId) -> String {
    format!("{}_state", user.0)
}

impl<V: Send + Sync + 'static> StateCache<V> {
    pub fn new(config: &CacheConfig) -> StateCache<V> {
        let counters = Arc::new(Counters::default());
        let listener_counters = Arc::clone(&counters);
        // moka refuses durations over 1000 years; nobody needs more than ten.
        let limit = Duration::from_secs(10 * 365 * 24 * 3600);
        let time_to_idle = config.time_to_idle.min(limit);
        let held_for = time_to_idle.saturating_add(config.expired_note_window.min(limit));
        let cache = Cache::builder()
            .name("conversation-state")
            .max_capacity(config.capacity)
            .eviction_policy(EvictionPolicy::tiny_lfu())
            .time_to_idle(held_for)
            .eviction_listener(move |_key, _value, cause| match cause {
                RemovalCause::Size => {
                    listener_counters.evictions.fetch_add(1, Ordering::Relaxed);
                }
                RemovalCause::Expired => {
                    listener_counters.expirations.fetch_add(1, Ordering::Relaxed);
                }
                RemovalCause::Explicit | RemovalCause::Replaced => {}
            })
            .build();
        StateCache { cache, time_to_idle, note_window: config.expired_note_window.min(limit), counters }
    }

    /// The user's state, unless it is missing or expired.
    pub async fn get(&self, user: UserId) -> Lookup<V> {
        let key = state_key(user);
        match self.cache.get(&key).await {
            None => Lookup::Missing,
            Some(slot) if slot.written.elapsed() < self.time_to_idle => Lookup::Live(slot.value),
            Some(slot) => {
                self.cache.invalidate(&key).await;
                self.counters.expirations.fetch_add(1, Ordering::Relaxed);
                // moka drops entries by its own clock; ours decides what a lookup says.
                if slot.written.elapsed() < self.time_to_idle.saturating_add(self.note_window) {
                    Lookup::Expired
                } else {
                    Lookup::Missing
                }
            }
        }
    }

    /// The user's live state, without removing or counting an expired one (for diagnostics).
    pub async fn peek(&self, user: UserId) -> Option<Arc<V>> {
        let slot = self.cache.get(&state_key(user)).await?;
        (slot.written.elapsed() < self.time_to_idle).then_some(slot.value)
    }

    /// Sets the user's state (restarting its expiry).
    pub async fn put(&self, user: UserId, value: Arc<V>) {
        self.cache.insert(state_key(user), Slot { value, written: Instant::now() }).await;
    }

    /// Forgets the user's state: they are at the main menu.
    pub async fn remove(&self, user: UserId) {
        self.cache.invalidate(&state_key(user)).await;
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.cache.entry_count(),
            evictions: self.counters.evictions.load(Ordering::Relaxed),
            expirations: self.counters.expirations.load(Ordering::Relaxed),
        }
    }

    /// Runs moka's pending maintenance (evictions, expirations, counts) now rather than
    /// piggybacked on later operations. For tests and measurements.
    pub async fn run_pending_tasks(&self) {
        self.cache.run_pending_tasks().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_format() {
        assert_eq!(state_key(UserId(42)), "42_state");
        assert_eq!(state_key(UserId(-7)), "-7_state");
    }

    #[tokio::test]
    async fn get_put_remove() {
        let cache: StateCache<String> = StateCache::new(&CacheConfig::default());
        assert_eq!(cache.get(UserId(1)).await, Lookup::Missing);
        cache.put(UserId(1), Arc::new("a".into())).await;
        assert_eq!(cache.get(UserId(1)).await, Lookup::Live(Arc::new("a".into())));
        assert_eq!(cache.get(UserId(2)).await, Lookup::Missing);
        cache.remove(UserId(1)).await;
        assert_eq!(cache.get(UserId(1)).await, Lookup::Missing);
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_is_reported_once_then_forgotten() {
        let cache: StateCache<u8> =
            StateCache::new(&CacheConfig::with_time_to_idle(Duration::from_secs(3600)));
        cache.put(UserId(1), Arc::new(1)).await;
        cache.put(UserId(2), Arc::new(2)).await;
        tokio::time::advance(Duration::from_secs(3599)).await;
        assert!(matches!(cache.get(UserId(1)).await, Lookup::Live(_)), "an hour is not up yet");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(cache.get(UserId(1)).await, Lookup::Expired);
        assert_eq!(cache.get(UserId(1)).await, Lookup::Missing, "reported once");
        assert_eq!(cache.stats().expirations, 1);
        // Past the note window it reads as never having been there.
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(cache.get(UserId(2)).await, Lookup::Missing);
        assert_eq!(cache.stats().expirations, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn writing_restarts_the_clock() {
        let cache: StateCache<u8> =
            StateCache::new(&CacheConfig::with_time_to_idle(Duration::from_secs(3600)));
        cache.put(UserId(1), Arc::new(1)).await;
        for _ in 0..3 {
            tokio::time::advance(Duration::from_secs(1800)).await;
            let Lookup::Live(v) = cache.get(UserId(1)).await else { panic!("expired too early") };
            cache.put(UserId(1), v).await;
        }
        tokio::time::advance(Duration::from_secs(3601)).await;
        assert_eq!(cache.get(UserId(1)).await, Lookup::Expired);
    }

    #[tokio::test]
    async fn capacity_is_bounded_and_evictions_counted() {
        let config = CacheConfig { capacity: 10, ..CacheConfig::default() };
        let cache: StateCache<u64> = StateCache::new(&config);
        for i in 0..100 {
            cache.put(UserId(i), Arc::new(i as u64)).await;
        }
        cache.run_pending_tasks().await;
        let stats = cache.stats();
        assert!(stats.entries <= 10, "{stats:?}");
        assert_eq!(stats.entries + stats.evictions, 100, "{stats:?}");
    }
}
