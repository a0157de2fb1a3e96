//! An in-memory [`Store`](crate::repository::Store): every repository trait over plain maps behind
//! one mutex.
//!
//! It keeps the contracts of the traits (one participant per challenge and user, completion judged
//! with [`Goal::is_met`] atomically with the entry, idempotency keys, newest-first lists, the same
//! errors) so that the conversation tests and the benchmarks exercise the same behaviour as the SQL
//! stores, without a database. Nothing survives the process.
//!
//! Tallies are kept up to date as entries arrive (and recomputed with [`Tally::of`] on undo), so
//! logging stays O(log n) however many entries a participant has.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeFilter, ChallengeId, ChallengeRepository, NewChallenge};
use crate::goal::{Goal, GoalRepository, Membership, Participant, Standing};
use crate::progress::{NewProgress, ProgressEntry, ProgressRepository, Recorded, Tally};
use crate::repository::{Page, Paged, RepositoryError};
use crate::user::{DisplayName, UserId, UserRepository};

/// Every repository in memory. Cheap to create; share it behind an `Arc`.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
    unavailable: AtomicBool,
}

#[derive(Default)]
struct Inner {
    challenges: BTreeMap<i64, Challenge>,
    /// (challenge, user) → the participant, their entries and running tally.
    members: HashMap<(i64, i64), Member>,
    /// user → challenges joined, for `JoinedBy` / `JoinableBy`.
    joined: HashMap<i64, Vec<i64>>,
    users: HashMap<i64, DisplayName>,
    /// (challenge, user, idempotency key) → (entry id, value first sent under the key).
    keys: HashMap<(i64, i64, String), (i64, Option<Amount>)>,
    last_challenge_id: i64,
    last_entry_id: i64,
}

struct Member {
    participant: Participant,
    /// Ordered by id, i.e. by the order they were recorded.
    entries: Vec<ProgressEntry>,
    /// Entries per date, for the distinct-day count.
    dates: BTreeMap<NaiveDate, u32>,
    tally: Tally,
}

impl Member {
    fn new(participant: Participant) -> Member {
        Member { participant, entries: Vec::new(), dates: BTreeMap::new(), tally: Tally::default() }
    }

    fn push(&mut self, entry: ProgressEntry) {
        let date = entry.date.date();
        let t = &mut self.tally;
        t.entries += 1;
        if let Some(v) = entry.value {
            t.total = t.total.checked_add(v).unwrap_or(t.total);
        }
        *self.dates.entry(date).or_default() += 1;
        t.days = self.dates.len() as u32;
        t.last_date = self.dates.keys().next_back().copied();
        // The latest value belongs to the greatest date, and among those to the last recorded;
        // entries arrive with increasing ids, so an entry on or after the last date wins.
        if t.last_date == Some(date) {
            t.latest = entry.value;
        }
        self.entries.push(entry);
    }

    fn pop_last(&mut self) -> Option<ProgressEntry> {
        let entry = self.entries.pop()?;
        let date = entry.date.date();
        if let Some(n) = self.dates.get_mut(&date) {
            *n -= 1;
            if *n == 0 {
                self.dates.remove(&date);
            }
        }
        self.tally = Tally::of(&self.entries);
        Some(entry)
    }

    /// Re-judges completion after the tally or the goal changed: set to `at` when the goal holds
    /// and had not, cleared when it no longer holds. Returns whether it was set just now.
    fn judge(&mut self, goal: Goal, at: DateTime<Utc>) -> bool {
        let met = goal.is_met(&self.tally);
        match (met, self.participant.completed_at) {
            (true, None) => {
                self.participant.completed_at = Some(at);
                true
            }
            (false, Some(_)) => {
                self.participant.completed_at = None;
                false
            }
            _ => false,
        }
    }
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Makes every call fail with [`RepositoryError::Unavailable`] (or work again), to test how
    /// callers behave when the database is down.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Inner>, RepositoryError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(RepositoryError::unavailable("the in-memory store is switched off"));
        }
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters more than losing the store, so a poisoned lock is used as is.
        Ok(self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

fn page_of<T: Clone>(items: impl Iterator<Item = T>, page: Page) -> Paged<T> {
    let all: Vec<T> = items.collect();
    let total = all.len() as u64;
    let items = all.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
    Paged { items, total }
}

#[async_trait]
impl ChallengeRepository for MemoryStore {
    async fn create_challenge(&self, new: &NewChallenge) -> Result<Challenge, RepositoryError> {
        let mut inner = self.lock()?;
        inner.last_challenge_id += 1;
        let id = inner.last_challenge_id;
        let challenge = Challenge {
            id: ChallengeId(id),
            name: new.name.clone(),
            description: new.description.clone(),
            creator: new.creator,
            created_at: new.created_at,
            start_date: new.start_date,
            deadline: new.deadline.date(),
            unit: new.unit.clone(),
            goal_kind: new.goal.kind,
            default_goal: new.goal.target,
        };
        inner.challenges.insert(id, challenge.clone());
        let participant = Participant {
            challenge: challenge.id,
            user: new.creator,
            goal: new.goal.target,
            joined_at: new.created_at,
            completed_at: None,
        };
        inner.members.insert((id, new.creator.0), Member::new(participant));
        inner.joined.entry(new.creator.0).or_default().push(id);
        Ok(challenge)
    }

    async fn challenge(&self, id: ChallengeId) -> Result<Option<Challenge>, RepositoryError> {
        Ok(self.lock()?.challenges.get(&id.0).cloned())
    }

    async fn list_challenges(
        &self,
        filter: ChallengeFilter,
        page: Page,
    ) -> Result<Paged<Challenge>, RepositoryError> {
        let inner = self.lock()?;
        let newest_first = inner.challenges.values().rev();
        let paged = match filter {
            ChallengeFilter::All => page_of(newest_first.cloned(), page),
            ChallengeFilter::ActiveOn(day) => {
                page_of(newest_first.filter(|c| c.deadline >= day).cloned(), page)
            }
            ChallengeFilter::JoinableBy { user, today } => page_of(
                newest_first
                    .filter(|c| c.deadline >= today && !inner.members.contains_key(&(c.id.0, user.0)))
                    .cloned(),
                page,
            ),
            ChallengeFilter::JoinedBy { user, active_on } => {
                let mut ids = inner.joined.get(&user.0).cloned().unwrap_or_default();
                ids.sort_unstable_by(|a, b| b.cmp(a));
                page_of(
                    ids.iter()
                        .filter_map(|id| inner.challenges.get(id))
                        .filter(|c| active_on.is_none_or(|day| c.deadline >= day))
                        .cloned(),
                    page,
                )
            }
        };
        Ok(paged)
    }
}

#[async_trait]
impl GoalRepository for MemoryStore {
    async fn join(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.challenges.contains_key(&challenge.0) {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        if inner.members.contains_key(&(challenge.0, user.0)) {
            return Err(RepositoryError::AlreadyJoined { challenge: challenge.0, user: user.0 });
        }
        let participant = Participant { challenge, user, goal, joined_at: at, completed_at: None };
        inner.members.insert((challenge.0, user.0), Member::new(participant.clone()));
        inner.joined.entry(user.0).or_default().push(challenge.0);
        Ok(participant)
    }

    async fn participant(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<Participant>, RepositoryError> {
        Ok(self.lock()?.members.get(&(challenge.0, user.0)).map(|m| m.participant.clone()))
    }

    async fn set_goal(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError> {
        let mut inner = self.lock()?;
        let kind = match inner.challenges.get(&challenge.0) {
            Some(c) => c.goal_kind,
            None => return Err(RepositoryError::ChallengeNotFound(challenge.0)),
        };
        let member = inner
            .members
            .get_mut(&(challenge.0, user.0))
            .ok_or(RepositoryError::NotParticipant { challenge: challenge.0, user: user.0 })?;
        member.participant.goal = goal;
        member.judge(Goal::from_stored(kind, goal), at);
        Ok(member.participant.clone())
    }

    async fn standings(&self, challenge: ChallengeId) -> Result<Vec<Standing>, RepositoryError> {
        let inner = self.lock()?;
        Ok(inner
            .members
            .iter()
            .filter(|((c, _), _)| *c == challenge.0)
            .map(|((_, u), m)| Standing {
                participant: m.participant.clone(),
                display_name: inner.users.get(u).cloned(),
                tally: m.tally,
            })
            .collect())
    }

    async fn memberships(
        &self,
        user: UserId,
        active_on: Option<NaiveDate>,
        page: Page,
    ) -> Result<Paged<Membership>, RepositoryError> {
        let inner = self.lock()?;
        let mut ids = inner.joined.get(&user.0).cloned().unwrap_or_default();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        Ok(page_of(
            ids.iter()
                .filter_map(|id| Some((inner.challenges.get(id)?, inner.members.get(&(*id, user.0))?)))
                .filter(|(c, _)| active_on.is_none_or(|day| c.deadline >= day))
                .map(|(c, m)| Membership {
                    challenge: c.clone(),
                    participant: m.participant.clone(),
                    tally: m.tally,
                }),
            page,
        ))
    }
}

#[async_trait]
impl ProgressRepository for MemoryStore {
    async fn add_progress(&self, new: &NewProgress) -> Result<Recorded, RepositoryError> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        let kind = match inner.challenges.get(&new.challenge.0) {
            Some(c) => c.goal_kind,
            None => return Err(RepositoryError::ChallengeNotFound(new.challenge.0)),
        };
        let not_participant =
            || RepositoryError::NotParticipant { challenge: new.challenge.0, user: new.user.0 };
        let member = inner.members.get(&(new.challenge.0, new.user.0)).ok_or_else(not_participant)?;
        if let Some(key) = &new.idempotency_key
            && let Some(&(entry_id, first_value)) =
                inner.keys.get(&(new.challenge.0, new.user.0, key.as_str().to_owned()))
        {
            if first_value != new.value.amount() {
                return Err(RepositoryError::KeyReused { key: key.as_str().to_owned(), first_value });
            }
            if let Some(entry) = member.entries.iter().find(|e| e.id == entry_id) {
                return Ok(Recorded {
                    entry: entry.clone(),
                    duplicate: true,
                    tally: member.tally,
                    completed_now: false,
                    completed_at: member.participant.completed_at,
                });
            }
        }
        if new.value.amount().is_none()
            && member.entries.iter().any(|e| e.value.is_none() && e.date == new.date)
        {
            return Err(RepositoryError::AlreadyCheckedIn { date: new.date.date() });
        }
        let member = inner.members.get_mut(&(new.challenge.0, new.user.0)).ok_or_else(not_participant)?;
        inner.last_entry_id += 1;
        let entry = ProgressEntry {
            id: inner.last_entry_id,
            challenge: new.challenge,
            user: new.user,
            value: new.value.amount(),
            date: new.date,
            recorded_at: new.recorded_at,
            idempotency_key: new.idempotency_key.clone(),
        };
        member.push(entry.clone());
        let completed_now = member.judge(Goal::from_stored(kind, member.participant.goal), new.recorded_at);
        if let Some(key) = &new.idempotency_key {
            inner.keys.insert(
                (new.challenge.0, new.user.0, key.as_str().to_owned()),
                (entry.id, new.value.amount()),
            );
        }
        Ok(Recorded {
            entry,
            duplicate: false,
            tally: member.tally,
            completed_now,
            completed_at: member.participant.completed_at,
        })
    }

    async fn list_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Vec<ProgressEntry>, RepositoryError> {
        let inner = self.lock()?;
        let mut entries =
            inner.members.get(&(challenge.0, user.0)).map(|m| m.entries.clone()).unwrap_or_default();
        // Oldest date first; ties in the order recorded (the sort is stable).
        entries.sort_by_key(|e| e.date);
        Ok(entries)
    }

    async fn tally(&self, challenge: ChallengeId, user: UserId) -> Result<Tally, RepositoryError> {
        Ok(self.lock()?.members.get(&(challenge.0, user.0)).map(|m| m.tally).unwrap_or_default())
    }

    async fn undo_last_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<(ProgressEntry, Tally)>, RepositoryError> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        let Some(kind) = inner.challenges.get(&challenge.0).map(|c| c.goal_kind) else {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        };
        let Some(member) = inner.members.get_mut(&(challenge.0, user.0)) else {
            return Err(RepositoryError::NotParticipant { challenge: challenge.0, user: user.0 });
        };
        let Some(entry) = member.pop_last() else {
            return Ok(None);
        };
        let goal = Goal::from_stored(kind, member.participant.goal);
        if !goal.is_met(&member.tally) {
            member.participant.completed_at = None;
        }
        if let Some(key) = &entry.idempotency_key {
            inner.keys.remove(&(challenge.0, user.0, key.as_str().to_owned()));
        }
        Ok(Some((entry, member.tally)))
    }
}

#[async_trait]
impl UserRepository for MemoryStore {
    async fn upsert_user(&self, user: UserId, name: &DisplayName) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        match inner.users.get_mut(&user.0) {
            Some(existing) if existing == name => {}
            Some(existing) => *existing = name.clone(),
            None => {
                inner.users.insert(user.0, name.clone());
            }
        }
        Ok(())
    }

    async fn display_name(&self, user: UserId) -> Result<Option<DisplayName>, RepositoryError> {
        Ok(self.lock()?.users.get(&user.0).cloned())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::challenge::{ChallengeName, Deadline, Description};
    use crate::goal::GoalKind;
    use crate::progress::{IdempotencyKey, ProgressDate, ProgressValue};

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 10, minute, 0).unwrap()
    }

    async fn challenge(store: &MemoryStore, kind: GoalKind, goal: i64) -> Challenge {
        store
            .create_challenge(&NewChallenge {
                name: ChallengeName::parse("Run").unwrap(),
                description: Description::default(),
                creator: UserId(1),
                created_at: at(0),
                start_date: d("2026-03-01"),
                deadline: Deadline::parse(d("2026-04-01"), d("2026-03-01")).unwrap(),
                unit: None,
                goal: Goal::new(kind, Amount::from_whole(goal)).unwrap(),
            })
            .await
            .unwrap()
    }

    fn entry(c: &Challenge, value: Option<i64>, date: &str, minute: u32, key: Option<&str>) -> NewProgress {
        NewProgress {
            challenge: c.id,
            user: UserId(1),
            value: value.map_or(ProgressValue::CheckIn, |v| ProgressValue::Amount(Amount::from_whole(v))),
            date: ProgressDate::from_stored(d(date)),
            recorded_at: at(minute),
            idempotency_key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
        }
    }

    #[tokio::test]
    async fn completion_idempotency_and_undo() {
        let store = MemoryStore::new();
        let c = challenge(&store, GoalKind::Total, 10).await;
        let first = store.add_progress(&entry(&c, Some(6), "2026-03-01", 1, Some("k1"))).await.unwrap();
        assert!(!first.completed_now && !first.duplicate);
        let again = store.add_progress(&entry(&c, Some(6), "2026-03-01", 2, Some("k1"))).await.unwrap();
        assert!(again.duplicate);
        assert_eq!(again.entry.id, first.entry.id);
        assert_eq!(again.tally.total, Amount::from_whole(6));
        let second = store.add_progress(&entry(&c, Some(4), "2026-03-02", 3, None)).await.unwrap();
        assert!(second.completed_now);
        assert_eq!(second.completed_at, Some(at(3)));
        let third = store.add_progress(&entry(&c, Some(1), "2026-03-02", 4, None)).await.unwrap();
        assert!(!third.completed_now, "completes once");
        assert_eq!(third.completed_at, Some(at(3)));
        let (undone, tally) = store.undo_last_progress(c.id, UserId(1)).await.unwrap().unwrap();
        assert_eq!(undone.id, third.entry.id);
        assert_eq!(tally.total, Amount::from_whole(10));
        assert!(store.participant(c.id, UserId(1)).await.unwrap().unwrap().completed_at.is_some());
        store.undo_last_progress(c.id, UserId(1)).await.unwrap();
        assert_eq!(store.participant(c.id, UserId(1)).await.unwrap().unwrap().completed_at, None);
        assert_eq!(
            store.tally(c.id, UserId(1)).await.unwrap(),
            Tally::of(std::slice::from_ref(&first.entry))
        );
    }

    #[tokio::test]
    async fn running_tally_matches_tally_of() {
        let store = MemoryStore::new();
        let c = challenge(&store, GoalKind::AtLeast, 10).await;
        for (i, (v, date)) in [(3, "2026-03-05"), (9, "2026-03-02"), (4, "2026-03-05"), (1, "2026-03-04")]
            .into_iter()
            .enumerate()
        {
            store.add_progress(&entry(&c, Some(v), date, i as u32, None)).await.unwrap();
            let listed = store.list_progress(c.id, UserId(1)).await.unwrap();
            assert_eq!(store.tally(c.id, UserId(1)).await.unwrap(), Tally::of(&listed));
        }
        let listed = store.list_progress(c.id, UserId(1)).await.unwrap();
        let dates: Vec<_> = listed.iter().map(|e| e.date.date()).collect();
        assert!(dates.is_sorted());
        assert_eq!(store.tally(c.id, UserId(1)).await.unwrap().latest, Some(Amount::from_whole(4)));
    }

    #[tokio::test]
    async fn joins_goals_and_lists() {
        let store = MemoryStore::new();
        let a = challenge(&store, GoalKind::Total, 10).await;
        let b = challenge(&store, GoalKind::Days, 5).await;
        assert!(matches!(
            store.join(a.id, UserId(1), Amount::from_whole(5), at(1)).await,
            Err(RepositoryError::AlreadyJoined { .. })
        ));
        assert!(matches!(
            store.join(ChallengeId(99), UserId(2), Amount::from_whole(5), at(1)).await,
            Err(RepositoryError::ChallengeNotFound(99))
        ));
        assert!(matches!(
            store.set_goal(a.id, UserId(2), Amount::from_whole(5), at(1)).await,
            Err(RepositoryError::NotParticipant { .. })
        ));
        let joinable = ChallengeFilter::JoinableBy { user: UserId(2), today: d("2026-03-01") };
        let list = store.list_challenges(joinable, Page::new(0, 1)).await.unwrap();
        assert_eq!((list.total, list.items[0].id), (2, b.id), "newest first");
        store.join(a.id, UserId(2), Amount::from_whole(5), at(2)).await.unwrap();
        let list = store.list_challenges(joinable, Page::new(0, 10)).await.unwrap();
        assert_eq!(list.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b.id]);
        let joined = ChallengeFilter::JoinedBy { user: UserId(2), active_on: None };
        assert_eq!(store.list_challenges(joined, Page::ALL).await.unwrap().items[0].id, a.id);
        let later = ChallengeFilter::ActiveOn(d("2026-04-02"));
        assert_eq!(store.list_challenges(later, Page::ALL).await.unwrap().total, 0);

        store.upsert_user(UserId(2), &DisplayName::sanitize("Bo", UserId(2))).await.unwrap();
        let standings = store.standings(a.id).await.unwrap();
        assert_eq!(standings.len(), 2);
        let bo = standings.iter().find(|s| s.participant.user == UserId(2)).unwrap();
        assert_eq!(bo.display_name.as_ref().map(DisplayName::as_str), Some("Bo"));

        store.set_unavailable(true);
        assert!(store.challenge(a.id).await.unwrap_err().is_unavailable());
    }

    #[tokio::test]
    async fn set_goal_rejudges_completion() {
        let store = MemoryStore::new();
        let c = challenge(&store, GoalKind::Total, 10).await;
        store.add_progress(&entry(&c, Some(6), "2026-03-01", 1, None)).await.unwrap();
        let p = store.set_goal(c.id, UserId(1), Amount::from_whole(5), at(5)).await.unwrap();
        assert_eq!(p.completed_at, Some(at(5)));
        let p = store.set_goal(c.id, UserId(1), Amount::from_whole(50), at(6)).await.unwrap();
        assert_eq!(p.completed_at, None);
    }
}
