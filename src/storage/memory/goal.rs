//! The in-memory store's goals and participants: joining, goals, standings and positions,
//! memberships, leaving, news recipients, and deleting a person (see `storage::sql::goal` for the
//! SQL one).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Member, MemoryStore, page_of};
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeId};
use crate::clock::Today;
use crate::goal::{
    Contender, GoalKind, GoalRepository, HiddenName, Membership, MembershipScope, Memberships, Participant,
    PersonDeleted, PlaceChange, Standing, StandingBand,
};
use crate::progress::Tally;
use crate::repository::{Page, RepositoryError};
use crate::user::{DisplayName, UserId};

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
            .map(|((_, u), m)| m.standing(inner.users.get(u)))
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
                band.standings.push(m.standing(inner.users.get(u)));
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
            display_name: me.shown_name(inner.users.get(&user.0)),
        };
        let rivals =
            inner.members.iter().filter(|((c, _), _)| *c == challenge.0).map(|((_, u), m)| Contender {
                participant: &m.participant,
                tally: m.tally.tally(),
                display_name: m.shown_name(inner.users.get(u)),
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
                MembershipScope::Open(today) => c.accepts_entries(today.in_zone(c.zone)),
                MembershipScope::Closed(today) => c.is_final(today.in_zone(c.zone)),
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
        today: Today,
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

    async fn hide_name(
        &self,
        challenge: ChallengeId,
        user: UserId,
        hidden: bool,
    ) -> Result<HiddenName, RepositoryError> {
        let mut inner = self.lock()?;
        let next = 1 + inner
            .members
            .iter()
            .filter(|((c, _), _)| *c == challenge.0)
            .filter_map(|(_, m)| m.hidden.as_ref().map(|(n, _)| *n))
            .max()
            .unwrap_or(0);
        let member = inner.member_mut(challenge, user)?;
        let changed = member.hidden.is_some() != hidden;
        if !hidden {
            member.hidden = None;
        } else if member.hidden.is_none() {
            member.hidden = Some((next, DisplayName::hidden(next)));
        }
        Ok(HiddenName { number: member.hidden.as_ref().map(|(n, _)| *n), changed })
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
                    inner.forget_challenge(id);
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
        inner.settings.remove(&user.0);
        for (deleted, members) in &mut inner.deletions {
            members.retain(|m| *m != user);
            if deleted.creator == user {
                deleted.creator = UserId(0);
            }
        }
        Ok(done)
    }
}
