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
use chrono::{DateTime, Utc};

use crate::amount::Amount;
use crate::challenge::{
    Challenge, ChallengeChanges, ChallengeFilter, ChallengeId, ChallengeRepository, DeletedChallenge,
    InviteCode, InviteLookup, Listing, NameSearch, NewChallenge, Visibility,
};
use crate::clock::Today;
use crate::goal::{Goal, GoalKind, Membership, Participant, Standing};
use crate::progress::{ProgressEntry, Rejudged, Tally, TallyBuilder};
use crate::repository::{Page, Paged, RepositoryError};

mod goal;
mod group;
mod progress;
mod reminder;
mod report;
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
    users: HashMap<i64, DisplayName>,
    /// (challenge, user, idempotency key) → (entry id, value first sent under the key).
    keys: HashMap<(i64, i64, String), (i64, Option<Amount>)>,
    /// Deleted challenges, with the people who were in them.
    deletions: Vec<(DeletedChallenge, Vec<UserId>)>,
    last_challenge_id: i64,
    last_entry_id: i64,
    /// Challenge → its invite code, and the codes revoked (code → challenge).
    invites: HashMap<i64, InviteCode>,
    revoked: HashMap<String, i64>,
    /// (challenge, when) of each invite link replaced by `revoke_invite`.
    renewals: Vec<(i64, DateTime<Utc>)>,
    bot_username: Option<String>,
    /// (challenge, user) of those who muted a challenge's news.
    muted: std::collections::HashSet<(i64, i64)>,
    /// The groups the bot is in, and challenge → its group's chat id.
    groups: HashMap<i64, crate::challenge::GroupChat>,
    group_of: HashMap<i64, i64>,
    /// (challenge, reporter) → reason, and challenge → when it was unlisted by reports.
    reports: HashMap<(i64, i64), crate::challenge::ReportReason>,
    unlisted: HashMap<i64, DateTime<Utc>>,
    /// (challenge, user) of those its creator removed, and challenges closed to new joins.
    removed: std::collections::HashSet<(i64, i64)>,
    closed: HashMap<i64, DateTime<Utc>>,
    /// User → their settings and reminder schedule; challenges whose summary was sent.
    settings: HashMap<i64, (crate::reminder::Settings, crate::reminder::Schedule)>,
    summarized: std::collections::HashSet<i64>,
    /// (challenge, user): who has had a challenge's summary.
    summarized_participants: std::collections::HashSet<(i64, i64)>,
    /// challenge → when its summary is next looked at (some wait for their morning).
    summary_next: HashMap<i64, chrono::DateTime<chrono::Utc>>,
}

struct Member {
    participant: Participant,
    kind: GoalKind,
    /// Ordered by id, i.e. by the order they were recorded.
    entries: Vec<ProgressEntry>,
    /// The running tally of `entries`.
    tally: TallyBuilder,
    /// The last entry, goal change or join: "My challenges" lists the most recent first.
    last_active_at: DateTime<Utc>,
    /// While the creator hides their name: its number and "Participant N".
    hidden: Option<(u32, DisplayName)>,
}

impl Member {
    fn new(participant: Participant, kind: GoalKind) -> Member {
        let last_active_at = participant.joined_at;
        Member {
            participant,
            kind,
            entries: Vec::new(),
            tally: TallyBuilder::default(),
            last_active_at,
            hidden: None,
        }
    }

    /// The name shown for them in their challenge (see `Standing::display_name`), given their
    /// display name.
    fn shown_name<'a>(&'a self, name: Option<&'a DisplayName>) -> Option<&'a DisplayName> {
        self.hidden.as_ref().map(|(_, alias)| alias).or(name)
    }

    fn standing(&self, name: Option<&DisplayName>) -> Standing {
        Standing {
            participant: self.participant.clone(),
            display_name: self.shown_name(name).cloned(),
            hidden_as: self.hidden.as_ref().map(|(n, _)| *n),
            tally: self.tally(),
        }
    }

    fn tally(&self) -> Tally {
        *self.tally.tally()
    }

    /// The participant's line in `challenge`, as a list of their challenges shows it.
    fn membership(&self, challenge: &Challenge) -> Membership {
        Membership {
            challenge: challenge.clone(),
            participant: self.participant.clone(),
            tally: self.tally(),
        }
    }

    fn goal(&self) -> Goal {
        Goal::from_stored(self.kind, self.participant.goal)
    }

    /// Adds an entry recorded after every other.
    fn push(&mut self, entry: ProgressEntry) {
        let kind = self.kind;
        self.tally.push(&entry, |t| kind.standing(t));
        self.last_active_at = entry.recorded_at;
        self.entries.push(entry);
    }

    /// Computes the tally again from the entries (after an edit or a deletion) and re-judges.
    fn rejudge(&mut self, at: DateTime<Utc>) {
        let kind = self.kind;
        self.tally = TallyBuilder::default();
        for entry in &self.entries {
            self.tally.push(entry, |t| kind.standing(t));
        }
        self.last_active_at = at;
        self.judge(at);
    }

    /// Re-judges completion after the tally or the goal changed: set to `at` when the goal holds
    /// and had not, cleared when it no longer holds. Returns whether it was set just now.
    fn judge(&mut self, at: DateTime<Utc>) -> bool {
        let met = self.goal().is_met(&self.tally());
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

    fn rejudged(&self, entry: ProgressEntry) -> Rejudged {
        Rejudged { entry, tally: self.tally(), completed_at: self.participant.completed_at }
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

impl Inner {
    /// The participant, or why there is none (`ChallengeNotFound` / `NotParticipant`).
    fn member_mut(&mut self, challenge: ChallengeId, user: UserId) -> Result<&mut Member, RepositoryError> {
        if !self.challenges.contains_key(&challenge.0) {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        self.members
            .get_mut(&(challenge.0, user.0))
            .ok_or(RepositoryError::NotParticipant { challenge: challenge.0, user: user.0 })
    }

    fn joined_by(&self, user: UserId) -> impl Iterator<Item = (&Challenge, &Member)> {
        self.members
            .iter()
            .filter(move |((_, u), _)| *u == user.0)
            .filter_map(|((c, _), m)| Some((self.challenges.get(c)?, m)))
    }

    /// Removes a challenge and everything that hangs on it (what the SQL stores' cascades do);
    /// its invite code is kept as revoked, so its link says it is gone. Returns it, if it was
    /// there.
    fn forget_challenge(&mut self, id: i64) -> Option<Challenge> {
        let challenge = self.challenges.remove(&id)?;
        if let Some(code) = self.invites.remove(&id) {
            self.revoked.insert(code.as_str().to_owned(), id);
        }
        self.members.retain(|(c, _), _| *c != id);
        self.muted.retain(|(c, _)| *c != id);
        self.keys.retain(|(c, _, _), _| *c != id);
        self.group_of.remove(&id);
        self.reports.retain(|(c, _), _| *c != id);
        self.unlisted.remove(&id);
        self.removed.retain(|(c, _)| *c != id);
        self.closed.remove(&id);
        Some(challenge)
    }

    fn forget_keys_of(&mut self, challenge: ChallengeId, user: UserId, entry: i64) {
        self.keys.retain(|(c, u, _), (id, _)| !(*c == challenge.0 && *u == user.0 && *id == entry));
    }
}

/// The times at or after `since`, oldest first.
fn sorted_since(times: impl Iterator<Item = DateTime<Utc>>, since: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = times.filter(|at| *at >= since).collect();
    times.sort();
    times
}

fn page_of<T: Clone>(items: impl Iterator<Item = T>, page: Page) -> Paged<T> {
    let all: Vec<T> = items.collect();
    let total = all.len() as u64;
    let items = all.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
    Paged { items, total }
}

#[async_trait]
impl ChallengeRepository for MemoryStore {
    async fn renewals_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        let inner = self.lock()?;
        let created_by = |c: &i64| inner.challenges.get(c).is_some_and(|c| c.creator == user);
        Ok(sorted_since(inner.renewals.iter().filter(|(c, _)| created_by(c)).map(|(_, at)| *at), since))
    }

    async fn creations_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        let inner = self.lock()?;
        Ok(sorted_since(inner.challenges.values().filter(|c| c.creator == user).map(|c| c.created_at), since))
    }

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
            first_finisher: None,
            visibility: new.visibility,
            zone: None,
        };
        inner.challenges.insert(id, challenge.clone());
        let participant = Participant {
            challenge: challenge.id,
            user: new.creator,
            goal: new.goal.target,
            joined_at: new.created_at,
            completed_at: None,
        };
        inner.members.insert((id, new.creator.0), Member::new(participant, new.goal.kind));
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
        let joined = |c: &Challenge, user: UserId| inner.members.contains_key(&(c.id.0, user.0));
        let paged = match filter {
            ChallengeFilter::All => page_of(newest_first.cloned(), page),
            ChallengeFilter::ActiveOn(today) => {
                page_of(newest_first.filter(|c| c.is_active(today.in_zone(c.zone))).cloned(), page)
            }
            ChallengeFilter::JoinableBy { user, today } => page_of(
                newest_first
                    .filter(|c| {
                        c.visibility.is_public()
                            && !inner.unlisted.contains_key(&c.id.0)
                            && !inner.closed.contains_key(&c.id.0)
                            && c.is_active(today.in_zone(c.zone))
                            && !joined(c, user)
                    })
                    .cloned(),
                page,
            ),
            ChallengeFilter::JoinedBy { user, active_on } => page_of(
                newest_first
                    .filter(|c| {
                        joined(c, user) && active_on.is_none_or(|today| c.is_active(today.in_zone(c.zone)))
                    })
                    .cloned(),
                page,
            ),
        };
        Ok(paged)
    }

    async fn update_challenge(
        &self,
        id: ChallengeId,
        changes: &ChallengeChanges,
    ) -> Result<Challenge, RepositoryError> {
        let mut inner = self.lock()?;
        let challenge = inner.challenges.get_mut(&id.0).ok_or(RepositoryError::ChallengeNotFound(id.0))?;
        if let Some(name) = &changes.name {
            challenge.name = name.clone();
        }
        if let Some(description) = &changes.description {
            challenge.description = description.clone();
        }
        if let Some(deadline) = changes.deadline {
            challenge.deadline = deadline;
        }
        let changed = challenge.clone();
        if changes.deadline.is_some() {
            // Its end moved: when to sum it up is worked out again.
            inner.summary_next.remove(&id.0);
        }
        Ok(changed)
    }

    async fn delete_challenge(&self, id: ChallengeId, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        let members: Vec<UserId> =
            inner.members.keys().filter(|(c, _)| *c == id.0).map(|(_, u)| UserId(*u)).collect();
        let challenge = inner.forget_challenge(id.0).ok_or(RepositoryError::ChallengeNotFound(id.0))?;
        let deleted =
            DeletedChallenge { id, name: challenge.name, creator: challenge.creator, deleted_at: at };
        inner.deletions.push((deleted, members));
        Ok(())
    }

    async fn deleted_challenge(&self, id: ChallengeId) -> Result<Option<DeletedChallenge>, RepositoryError> {
        Ok(self.lock()?.deletions.iter().find(|(d, _)| d.id == id).map(|(d, _)| d.clone()))
    }

    async fn deletions_seen_by(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DeletedChallenge>, RepositoryError> {
        let inner = self.lock()?;
        let mut seen: Vec<DeletedChallenge> = inner
            .deletions
            .iter()
            .filter(|(d, members)| d.creator != user && d.deleted_at >= since && members.contains(&user))
            .map(|(d, _)| d.clone())
            .collect();
        seen.sort_by(|a, b| b.deleted_at.cmp(&a.deleted_at).then(b.id.0.cmp(&a.id.0)));
        Ok(seen)
    }

    async fn set_visibility(
        &self,
        id: ChallengeId,
        visibility: Visibility,
    ) -> Result<Challenge, RepositoryError> {
        let mut inner = self.lock()?;
        let challenge = inner.challenges.get_mut(&id.0).ok_or(RepositoryError::ChallengeNotFound(id.0))?;
        challenge.visibility = visibility;
        Ok(challenge.clone())
    }

    async fn invite_code(&self, id: ChallengeId, fresh: &InviteCode) -> Result<InviteCode, RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.challenges.contains_key(&id.0) {
            return Err(RepositoryError::ChallengeNotFound(id.0));
        }
        Ok(inner.invites.entry(id.0).or_insert_with(|| fresh.clone()).clone())
    }

    async fn revoke_invite(
        &self,
        id: ChallengeId,
        fresh: &InviteCode,
        at: DateTime<Utc>,
    ) -> Result<InviteCode, RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.challenges.contains_key(&id.0) {
            return Err(RepositoryError::ChallengeNotFound(id.0));
        }
        if let Some(old) = inner.invites.insert(id.0, fresh.clone()) {
            inner.revoked.insert(old.as_str().to_owned(), id.0);
            inner.renewals.push((id.0, at));
        }
        Ok(fresh.clone())
    }

    async fn find_invite(&self, code: &InviteCode) -> Result<InviteLookup, RepositoryError> {
        let inner = self.lock()?;
        if let Some((id, _)) = inner.invites.iter().find(|(_, c)| *c == code)
            && let Some(challenge) = inner.challenges.get(id)
        {
            return Ok(InviteLookup::Live(challenge.clone()));
        }
        Ok(match inner.revoked.get(code.as_str()) {
            Some(id) => InviteLookup::Revoked(ChallengeId(*id)),
            None => InviteLookup::Unknown,
        })
    }

    async fn public_challenges(
        &self,
        user: UserId,
        today: Today,
        search: Option<&NameSearch>,
        page: Page,
    ) -> Result<Paged<Listing>, RepositoryError> {
        let inner = self.lock()?;
        let listed = inner
            .challenges
            .values()
            .rev()
            .filter(|c| {
                c.visibility.is_public()
                    && !inner.unlisted.contains_key(&c.id.0)
                    && !inner.closed.contains_key(&c.id.0)
                    && c.is_active(today.in_zone(c.zone))
                    && !inner.members.contains_key(&(c.id.0, user.0))
                    && search.is_none_or(|s| s.matches(c.name.as_str()))
            })
            .map(|c| Listing {
                challenge: c.clone(),
                participants: inner.members.keys().filter(|(id, _)| *id == c.id.0).count() as u64,
                creator_name: inner.users.get(&c.creator.0).cloned(),
            });
        Ok(page_of(listed, page))
    }

    async fn bot_username(&self) -> Result<Option<String>, RepositoryError> {
        Ok(self.lock()?.bot_username.clone())
    }

    async fn set_bot_username(&self, username: &str, _at: DateTime<Utc>) -> Result<(), RepositoryError> {
        self.lock()?.bot_username = Some(username.to_owned());
        Ok(())
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
mod tests;
