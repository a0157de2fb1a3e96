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
use crate::challenge::{
    Challenge, ChallengeChanges, ChallengeFilter, ChallengeId, ChallengeRepository, DeletedChallenge,
    InviteCode, InviteLookup, Listing, NameSearch, NewChallenge, Visibility,
};
use crate::goal::{
    Contender, Goal, GoalKind, GoalRepository, Membership, MembershipScope, Memberships, Participant,
    PersonDeleted, PlaceChange, Standing, StandingBand,
};
use crate::progress::{ProgressEntry, Rejudged, Tally, TallyBuilder};
use crate::repository::{Page, Paged, RepositoryError};

mod group;
mod progress;
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
}

impl Member {
    fn new(participant: Participant, kind: GoalKind) -> Member {
        let last_active_at = participant.joined_at;
        Member { participant, kind, entries: Vec::new(), tally: TallyBuilder::default(), last_active_at }
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

    fn forget_keys_of(&mut self, challenge: ChallengeId, user: UserId, entry: i64) {
        self.keys.retain(|(c, u, _), (id, _)| !(*c == challenge.0 && *u == user.0 && *id == entry));
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
    async fn renewals_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        let inner = self.lock()?;
        let mut times: Vec<DateTime<Utc>> = inner
            .renewals
            .iter()
            .filter(|(c, at)| *at >= since && inner.challenges.get(c).is_some_and(|c| c.creator == user))
            .map(|(_, at)| *at)
            .collect();
        times.sort();
        Ok(times)
    }

    async fn creations_since(
        &self,
        user: UserId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, RepositoryError> {
        let inner = self.lock()?;
        let mut times: Vec<DateTime<Utc>> = inner
            .challenges
            .values()
            .filter(|c| c.creator == user && c.created_at >= since)
            .map(|c| c.created_at)
            .collect();
        times.sort();
        Ok(times)
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
            ChallengeFilter::ActiveOn(day) => {
                page_of(newest_first.filter(|c| c.deadline >= day).cloned(), page)
            }
            ChallengeFilter::JoinableBy { user, today } => page_of(
                newest_first
                    .filter(|c| {
                        c.visibility.is_public()
                            && !inner.unlisted.contains_key(&c.id.0)
                            && !inner.closed.contains_key(&c.id.0)
                            && c.deadline >= today
                            && !joined(c, user)
                    })
                    .cloned(),
                page,
            ),
            ChallengeFilter::JoinedBy { user, active_on } => page_of(
                newest_first
                    .filter(|c| joined(c, user) && active_on.is_none_or(|day| c.deadline >= day))
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
        Ok(challenge.clone())
    }

    async fn delete_challenge(&self, id: ChallengeId, at: DateTime<Utc>) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        let challenge = inner.challenges.remove(&id.0).ok_or(RepositoryError::ChallengeNotFound(id.0))?;
        if let Some(code) = inner.invites.remove(&id.0) {
            inner.revoked.insert(code.as_str().to_owned(), id.0);
        }
        let members: Vec<UserId> =
            inner.members.keys().filter(|(c, _)| *c == id.0).map(|(_, u)| UserId(*u)).collect();
        inner.members.retain(|(c, _), _| *c != id.0);
        inner.muted.retain(|(c, _)| *c != id.0);
        inner.group_of.remove(&id.0);
        inner.reports.retain(|(c, _), _| *c != id.0);
        inner.unlisted.remove(&id.0);
        inner.removed.retain(|(c, _)| *c != id.0);
        inner.closed.remove(&id.0);
        inner.keys.retain(|(c, _, _), _| *c != id.0);
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
        today: NaiveDate,
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
                    && c.deadline >= today
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
impl GoalRepository for MemoryStore {
    async fn join(
        &self,
        challenge: ChallengeId,
        user: UserId,
        goal: Amount,
        at: DateTime<Utc>,
    ) -> Result<Participant, RepositoryError> {
        let mut inner = self.lock()?;
        let Some(kind) = inner.challenges.get(&challenge.0).map(|c| c.goal_kind) else {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        };
        if inner.members.contains_key(&(challenge.0, user.0)) {
            return Err(RepositoryError::AlreadyJoined { challenge: challenge.0, user: user.0 });
        }
        let participant = Participant { challenge, user, goal, joined_at: at, completed_at: None };
        inner.members.insert((challenge.0, user.0), Member::new(participant.clone(), kind));
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
        let member = inner.member_mut(challenge, user)?;
        member.participant.goal = goal;
        member.last_active_at = at;
        member.judge(at);
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
                tally: m.tally(),
            })
            .collect())
    }

    async fn standing_band(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        floor: Option<Amount>,
        ceiling: Amount,
    ) -> Result<StandingBand, RepositoryError> {
        let inner = self.lock()?;
        let mut band = StandingBand::default();
        for ((c, u), m) in &inner.members {
            let tally = m.tally.tally();
            if *c != challenge.0 || tally.entries == 0 {
                continue;
            }
            let standing = kind.standing(tally);
            if standing > ceiling {
                band.above += 1;
            } else if floor.is_none_or(|f| standing >= f) {
                band.standings.push(Standing {
                    participant: m.participant.clone(),
                    display_name: inner.users.get(u).cloned(),
                    tally: *tally,
                });
            }
        }
        Ok(band)
    }

    async fn place_change(
        &self,
        challenge: ChallengeId,
        kind: GoalKind,
        user: UserId,
        before: &Tally,
        _after: &Tally,
    ) -> Result<Option<PlaceChange>, RepositoryError> {
        // The same rule over the members as they are kept (their tallies are current), without
        // copying the leaderboard.
        let inner = self.lock()?;
        let Some(me) = inner.members.get(&(challenge.0, user.0)) else {
            return Ok(None);
        };
        let me = Contender {
            participant: &me.participant,
            tally: me.tally.tally(),
            display_name: inner.users.get(&user.0),
        };
        let rivals =
            inner.members.iter().filter(|((c, _), _)| *c == challenge.0).map(|((_, u), m)| Contender {
                participant: &m.participant,
                tally: m.tally.tally(),
                display_name: inner.users.get(u),
            });
        Ok(PlaceChange::of(kind, me, before, rivals))
    }

    async fn memberships(
        &self,
        user: UserId,
        scope: MembershipScope,
        page: Page,
    ) -> Result<Memberships, RepositoryError> {
        let inner = self.lock()?;
        let (mut joined, outside): (Vec<(&Challenge, &Member)>, Vec<_>) =
            inner.joined_by(user).partition(|(c, _)| match scope {
                MembershipScope::All => true,
                MembershipScope::Open(today) => c.accepts_entries(today),
                MembershipScope::Closed(today) => c.is_final(today),
            });
        joined
            .sort_by(|(a, ma), (b, mb)| mb.last_active_at.cmp(&ma.last_active_at).then(b.id.0.cmp(&a.id.0)));
        let paged = page_of(joined.into_iter().map(|(c, m)| m.membership(c)), page);
        Ok(Memberships { items: paged.items, total: paged.total, outside: outside.len() as u64 })
    }

    async fn membership(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Option<Membership>, RepositoryError> {
        let inner = self.lock()?;
        let member = inner.members.get(&(challenge.0, user.0));
        Ok(inner.challenges.get(&challenge.0).zip(member).map(|(c, m)| m.membership(c)))
    }

    async fn recently_active(
        &self,
        user: UserId,
        today: NaiveDate,
        limit: u32,
    ) -> Result<Vec<Membership>, RepositoryError> {
        let page = self.memberships(user, MembershipScope::Open(today), Page::new(0, limit)).await?;
        Ok(page.items)
    }

    async fn leave(&self, challenge: ChallengeId, user: UserId) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        inner.member_mut(challenge, user)?;
        inner.members.remove(&(challenge.0, user.0));
        inner.muted.remove(&(challenge.0, user.0));
        inner.keys.retain(|(c, u, _), _| !(*c == challenge.0 && *u == user.0));
        Ok(())
    }

    async fn set_news_muted(
        &self,
        challenge: ChallengeId,
        user: UserId,
        muted: bool,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.members.contains_key(&(challenge.0, user.0)) {
            return Err(RepositoryError::NotParticipant { challenge: challenge.0, user: user.0 });
        }
        if muted {
            inner.muted.insert((challenge.0, user.0));
        } else {
            inner.muted.remove(&(challenge.0, user.0));
        }
        Ok(())
    }

    async fn news_muted(&self, challenge: ChallengeId, user: UserId) -> Result<bool, RepositoryError> {
        let inner = self.lock()?;
        Ok(inner.members.contains_key(&(challenge.0, user.0)) && inner.muted.contains(&(challenge.0, user.0)))
    }

    async fn delete_person(
        &self,
        user: UserId,
        _at: DateTime<Utc>,
    ) -> Result<PersonDeleted, RepositoryError> {
        self.delete_person_now(user)
    }

    async fn news_recipients(
        &self,
        challenge: ChallengeId,
        candidates: Option<&[UserId]>,
    ) -> Result<Vec<UserId>, RepositoryError> {
        let inner = self.lock()?;
        let listening = |u: &UserId| {
            inner.members.contains_key(&(challenge.0, u.0)) && !inner.muted.contains(&(challenge.0, u.0))
        };
        Ok(match candidates {
            Some(candidates) => candidates.iter().copied().filter(listening).collect(),
            None => {
                let mut members: Vec<&Member> =
                    inner.members.iter().filter(|((c, _), _)| *c == challenge.0).map(|(_, m)| m).collect();
                members.sort_by_key(|m| (m.participant.joined_at, m.participant.user.0));
                members.into_iter().map(|m| m.participant.user).filter(listening).collect()
            }
        })
    }
}

impl MemoryStore {
    /// [`GoalRepository::delete_person`] on the maps.
    fn delete_person_now(&self, user: UserId) -> Result<PersonDeleted, RepositoryError> {
        let mut inner = self.lock()?;
        let mut done = PersonDeleted::default();
        for member in inner.members.iter().filter(|((_, u), _)| *u == user.0).map(|(_, m)| m) {
            done.participations += 1;
            done.entries += member.entries.len() as u64;
        }
        let created: Vec<i64> =
            inner.challenges.values().filter(|c| c.creator == user).map(|c| c.id.0).collect();
        for id in created {
            let heir = inner
                .members
                .iter()
                .filter(|((c, u), _)| *c == id && *u != user.0)
                .map(|(_, m)| (m.participant.joined_at, m.participant.user))
                .min()
                .map(|(_, u)| u);
            match heir {
                Some(heir) => {
                    inner.challenges.get_mut(&id).expect("listed").creator = heir;
                    done.handed_over.push((ChallengeId(id), heir));
                }
                None => {
                    inner.challenges.remove(&id);
                    if let Some(code) = inner.invites.remove(&id) {
                        inner.revoked.insert(code.as_str().to_owned(), id);
                    }
                    inner.members.retain(|(c, _), _| *c != id);
                    inner.muted.retain(|(c, _)| *c != id);
                    inner.keys.retain(|(c, _, _), _| *c != id);
                    inner.group_of.remove(&id);
                    inner.reports.retain(|(c, _), _| *c != id);
                    inner.unlisted.remove(&id);
                    inner.removed.retain(|(c, _)| *c != id);
                    inner.closed.remove(&id);
                    done.deleted.push(ChallengeId(id));
                }
            }
        }
        for challenge in inner.challenges.values_mut() {
            if challenge.first_finisher == Some(user) {
                challenge.first_finisher = None;
            }
        }
        inner.members.retain(|(_, u), _| *u != user.0);
        inner.muted.retain(|(_, u)| *u != user.0);
        inner.keys.retain(|(_, u, _), _| *u != user.0);
        inner.users.remove(&user.0);
        inner.reports.retain(|(_, reporter), _| *reporter != user.0);
        inner.removed.retain(|(_, u)| *u != user.0);
        for (deleted, members) in &mut inner.deletions {
            members.retain(|m| *m != user);
            if deleted.creator == user {
                deleted.creator = UserId(0);
            }
        }
        Ok(done)
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
    use crate::progress::{IdempotencyKey, NewProgress, ProgressDate, ProgressRepository, ProgressValue};

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
                visibility: crate::challenge::Visibility::Public,
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
        let (undone, tally) = store.undo_last_progress(c.id, UserId(1), at(9)).await.unwrap().unwrap();
        assert_eq!(undone.id, third.entry.id);
        assert_eq!(tally.total, Amount::from_whole(10));
        assert!(store.participant(c.id, UserId(1)).await.unwrap().unwrap().completed_at.is_some());
        store.undo_last_progress(c.id, UserId(1), at(9)).await.unwrap();
        assert_eq!(store.participant(c.id, UserId(1)).await.unwrap().unwrap().completed_at, None);
        assert_eq!(
            store.tally(c.id, UserId(1)).await.unwrap(),
            Tally::of(std::slice::from_ref(&first.entry), |t| GoalKind::Total.standing(t))
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
            assert_eq!(
                store.tally(c.id, UserId(1)).await.unwrap(),
                Tally::of(&listed, |t| GoalKind::AtLeast.standing(t))
            );
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
