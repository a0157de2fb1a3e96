//! An [`Outbox`] in memory (tests; state dies with the process). Its turns apply effects to its
//! store at once: there is no transaction to share, so a turn dropped midway keeps them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use super::{Action, Failure, Finished, Outbox, Parked, Queued, Turn, UpdateRef};
use crate::repository::{RepositoryError, Store};
use crate::storage::memory::MemoryStore;

pub struct MemoryOutbox {
    inner: Arc<Mutex<Inner>>,
    store: Arc<dyn Store>,
}

impl Default for MemoryOutbox {
    fn default() -> Self {
        MemoryOutbox::with_store(Arc::new(MemoryStore::new()))
    }
}

#[derive(Default)]
struct Inner {
    offsets: HashMap<i64, i64>,
    handled: HashMap<i64, BTreeSet<i64>>,
    /// id → (bot, action)
    queued: BTreeMap<i64, (i64, Action)>,
    last_id: i64,
    inbox: BTreeMap<(i64, i64), Parked>,
    failures: HashMap<i64, u64>,
    /// When set, every call fails as if the database were down.
    down: bool,
}

impl Inner {
    /// Records an update once; queues its actions if it is new.
    fn record(&mut self, bot: i64, update: UpdateRef, actions: &[Action]) -> Finished {
        if update.parked {
            self.inbox.remove(&(bot, update.id));
        }
        if !self.handled.entry(bot).or_default().insert(update.id) {
            return Finished::Earlier;
        }
        Finished::Recorded(self.queue(bot, actions))
    }

    fn queue(&mut self, bot: i64, actions: &[Action]) -> Vec<Queued> {
        actions
            .iter()
            .map(|action| {
                self.last_id += 1;
                self.queued.insert(self.last_id, (bot, action.clone()));
                Queued { id: self.last_id, action: action.clone() }
            })
            .collect()
    }
}

impl MemoryOutbox {
    pub fn new() -> MemoryOutbox {
        MemoryOutbox::default()
    }

    /// An outbox whose turns hand out `store`.
    pub fn with_store(store: Arc<dyn Store>) -> MemoryOutbox {
        MemoryOutbox { inner: Arc::default(), store }
    }

    /// Simulates the database going down (`true`) or coming back.
    pub fn set_down(&self, down: bool) {
        self.inner.lock().expect("lock").down = down;
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> Result<T, RepositoryError> {
        let mut inner = self.inner.lock().expect("lock");
        if inner.down {
            return Err(RepositoryError::unavailable("the memory outbox is down"));
        }
        Ok(f(&mut inner))
    }
}

struct MemoryTurn {
    outbox: MemoryOutbox,
    bot: i64,
    update: UpdateRef,
}

#[async_trait]
impl Turn for MemoryTurn {
    fn store(&self) -> Arc<dyn Store> {
        self.outbox.store.clone()
    }

    async fn finish(&self, actions: &[Action]) -> Result<Finished, RepositoryError> {
        self.outbox.with(|i| i.record(self.bot, self.update, actions))
    }
}

/// Work of the bot's own: its messages are queued, nothing is recorded.
struct MemoryJob {
    outbox: MemoryOutbox,
    bot: i64,
}

#[async_trait]
impl Turn for MemoryJob {
    fn store(&self) -> Arc<dyn Store> {
        self.outbox.store.clone()
    }

    async fn finish(&self, actions: &[Action]) -> Result<Finished, RepositoryError> {
        self.outbox.with(|i| Finished::Recorded(i.queue(self.bot, actions)))
    }
}

#[async_trait]
impl Outbox for MemoryOutbox {
    fn job(&self, bot: i64) -> Box<dyn Turn> {
        let outbox = MemoryOutbox { inner: self.inner.clone(), store: self.store.clone() };
        Box::new(MemoryJob { outbox, bot })
    }

    fn turn(&self, bot: i64, update: UpdateRef) -> Box<dyn Turn> {
        let outbox = MemoryOutbox { inner: self.inner.clone(), store: self.store.clone() };
        Box::new(MemoryTurn { outbox, bot, update })
    }

    async fn resume_offset(&self, bot: i64) -> Result<Option<i64>, RepositoryError> {
        self.with(|i| i.offsets.get(&bot).copied())
    }

    async fn save_offset(&self, bot: i64, offset: i64, forget_below: i64) -> Result<(), RepositoryError> {
        self.with(|i| {
            let stored = i.offsets.entry(bot).or_insert(offset);
            *stored = (*stored).max(offset);
            if let Some(handled) = i.handled.get_mut(&bot) {
                *handled = handled.split_off(&forget_below);
            }
        })
    }

    async fn recorded_since(&self, bot: i64, offset: i64) -> Result<Vec<i64>, RepositoryError> {
        self.with(|i| i.handled.get(&bot).map(|h| h.range(offset..).copied().collect()).unwrap_or_default())
    }

    async fn settled_since(&self, bot: i64, from: i64) -> Result<Vec<i64>, RepositoryError> {
        self.with(|i| {
            let recorded = i.handled.get(&bot).into_iter().flat_map(|h| h.range(from..).copied());
            let parked = i.inbox.range((bot, from)..=(bot, i64::MAX)).map(|((_, id), _)| *id);
            recorded.chain(parked).collect::<std::collections::BTreeSet<i64>>().into_iter().collect()
        })
    }

    async fn restart_sequence(&self, bot: i64, offset: i64) -> Result<(), RepositoryError> {
        self.with(|i| {
            i.handled.remove(&bot);
            i.offsets.insert(bot, offset);
        })
    }

    async fn queued(&self, bot: i64, after: i64, limit: u32) -> Result<Vec<Queued>, RepositoryError> {
        self.with(|i| {
            i.queued
                .range(after + 1..)
                .filter(|(_, (b, _))| *b == bot)
                .take(limit as usize)
                .map(|(id, (_, action))| Queued { id: *id, action: action.clone() })
                .collect()
        })
    }

    async fn messages(&self, bot: i64, ids: &[i64]) -> Result<Vec<Queued>, RepositoryError> {
        self.with(|i| {
            let mut found: Vec<Queued> = ids
                .iter()
                .filter_map(|id| match i.queued.get(id) {
                    Some((b, action)) if *b == bot => Some(Queued { id: *id, action: action.clone() }),
                    _ => None,
                })
                .collect();
            found.sort_by_key(|q| q.id);
            found.dedup_by_key(|q| q.id);
            found
        })
    }

    async fn remove(&self, bot: i64, ids: &[i64]) -> Result<(), RepositoryError> {
        self.with(|i| {
            for id in ids {
                if i.queued.get(id).is_some_and(|(b, _)| *b == bot) {
                    i.queued.remove(id);
                }
            }
        })
    }

    async fn park(&self, bot: i64, updates: &[Parked]) -> Result<(), RepositoryError> {
        self.with(|i| {
            for update in updates {
                i.inbox.entry((bot, update.update_id)).or_insert_with(|| update.clone());
            }
        })
    }

    async fn parked(&self, bot: i64, user: i64, limit: u32) -> Result<Vec<Parked>, RepositoryError> {
        self.with(|i| {
            i.inbox
                .range((bot, i64::MIN)..=(bot, i64::MAX))
                .map(|(_, p)| p)
                .filter(|p| p.user == user)
                .take(limit as usize)
                .cloned()
                .collect()
        })
    }

    async fn parked_users(&self, bot: i64) -> Result<Vec<(i64, u64)>, RepositoryError> {
        self.with(|i| {
            let mut users: BTreeMap<i64, u64> = BTreeMap::new();
            for (_, p) in i.inbox.range((bot, i64::MIN)..=(bot, i64::MAX)) {
                *users.entry(p.user).or_default() += 1;
            }
            users.into_iter().collect()
        })
    }

    async fn record_failure(
        &self,
        bot: i64,
        failure: &Failure<'_>,
        actions: &[Action],
    ) -> Result<Finished, RepositoryError> {
        self.with(|i| {
            let finished = i.record(bot, failure.update, actions);
            if matches!(finished, Finished::Recorded(_)) {
                *i.failures.entry(bot).or_default() += 1;
            }
            finished
        })
    }

    async fn failure_count(&self, bot: i64) -> Result<u64, RepositoryError> {
        self.with(|i| i.failures.get(&bot).copied().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(text: &str) -> Action {
        Action::Send { chat_id: 7, html: text.into(), buttons: vec![], class: Default::default() }
    }

    #[tokio::test]
    async fn records_once_queues_and_forgets() {
        let outbox = MemoryOutbox::new();
        assert_eq!(outbox.resume_offset(1).await.unwrap(), None);
        let first = outbox.turn(1, UpdateRef::fetched(10)).finish(&[send("a")]).await.unwrap();
        assert_eq!(first.clone().queued().len(), 1);
        let again = outbox.turn(1, UpdateRef::fetched(10)).finish(&[send("b")]).await.unwrap();
        assert_eq!(again, Finished::Earlier, "the first record wins");
        let queued = outbox.queued(1, 0, 10).await.unwrap();
        assert_eq!(queued.iter().map(|q| q.action.clone()).collect::<Vec<_>>(), vec![send("a")]);
        assert!(outbox.queued(2, 0, 10).await.unwrap().is_empty(), "bots are kept apart");
        outbox.remove(1, &[queued[0].id]).await.unwrap();
        assert!(outbox.queued(1, 0, 10).await.unwrap().is_empty());
        outbox.save_offset(1, 12, 11).await.unwrap();
        assert_eq!(outbox.resume_offset(1).await.unwrap(), Some(12));
        assert_eq!(
            outbox.turn(1, UpdateRef::fetched(10)).finish(&[]).await.unwrap(),
            Finished::Recorded(vec![])
        );
        outbox.save_offset(1, 5, 0).await.unwrap();
        assert_eq!(outbox.resume_offset(1).await.unwrap(), Some(12), "never backwards");
        outbox.set_down(true);
        assert!(outbox.turn(1, UpdateRef::fetched(12)).finish(&[]).await.unwrap_err().is_unavailable());
    }

    #[tokio::test]
    async fn parked_updates_leave_the_inbox_with_their_record() {
        let outbox = MemoryOutbox::new();
        let parked =
            |id: i64, user: i64| Parked { update_id: id, user, payload: format!("{{\"update_id\":{id}}}") };
        outbox.park(1, &[parked(5, 100), parked(6, 200), parked(7, 100)]).await.unwrap();
        assert_eq!(outbox.parked_users(1).await.unwrap(), vec![(100, 2), (200, 1)]);
        let mine = outbox.parked(1, 100, 10).await.unwrap();
        assert_eq!(mine.iter().map(|p| p.update_id).collect::<Vec<_>>(), vec![5, 7]);
        outbox.turn(1, UpdateRef { id: 5, parked: true }).finish(&[]).await.unwrap();
        let failure = Failure {
            update: UpdateRef { id: 7, parked: true },
            user: Some(100),
            error: "boom",
            attempts: 5,
        };
        outbox.record_failure(1, &failure, &[send("sorry")]).await.unwrap();
        assert_eq!(outbox.parked_users(1).await.unwrap(), vec![(200, 1)]);
        assert_eq!(outbox.failure_count(1).await.unwrap(), 1);
    }
}
