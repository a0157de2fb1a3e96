//! The in-memory store's reminder settings and schedules (see `storage::sql::reminder`).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::MemoryStore;
use crate::challenge::ChallengeId;
use crate::goal::Membership;
use crate::reminder::{Due, Ending, Move, ReminderRepository, Schedule, Settings};
use crate::repository::RepositoryError;
use crate::user::UserId;

#[async_trait]
impl ReminderRepository for MemoryStore {
    async fn settings(&self, user: UserId) -> Result<Settings, RepositoryError> {
        Ok(self.lock()?.settings.get(&user.0).map(|(s, _)| s.clone()).unwrap_or_default())
    }

    async fn save_settings(
        &self,
        user: UserId,
        settings: &Settings,
        schedule: Schedule,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.lock()?.settings.insert(user.0, (settings.clone(), schedule));
        Ok(())
    }

    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Due>, RepositoryError> {
        let inner = self.lock()?;
        let mut due: Vec<Due> = inner
            .settings
            .iter()
            .filter(|(_, (_, schedule))| schedule.due_at().is_some_and(|at| at <= now))
            .map(|(user, (settings, schedule))| Due {
                user: UserId(*user),
                settings: settings.clone(),
                schedule: *schedule,
            })
            .collect();
        due.sort_by_key(|d| (d.schedule.due_at(), d.user));
        due.truncate(limit as usize);
        Ok(due)
    }

    async fn advance(&self, moves: &[Move]) -> Result<Vec<UserId>, RepositoryError> {
        let mut inner = self.lock()?;
        let mut moved = Vec::new();
        for m in moves {
            if let Some((_, schedule)) = inner.settings.get_mut(&m.user.0)
                && *schedule == m.from
                && m.from.due_at().is_some()
            {
                *schedule = m.to;
                moved.push(m.user);
            }
        }
        Ok(moved)
    }

    async fn running_memberships(
        &self,
        users: &[UserId],
        since: NaiveDate,
    ) -> Result<Vec<Membership>, RepositoryError> {
        let inner = self.lock()?;
        let mut found = Vec::new();
        for ((c, u), member) in &inner.members {
            let Some(challenge) = inner.challenges.get(c) else { continue };
            if challenge.deadline >= since && users.contains(&UserId(*u)) {
                found.push(Membership {
                    challenge: challenge.clone(),
                    participant: member.participant.clone(),
                    tally: member.tally(),
                });
            }
        }
        found.sort_by_key(|m| (m.participant.user, m.challenge.id.0));
        Ok(found)
    }

    async fn set_paused(
        &self,
        user: UserId,
        paused: bool,
        schedule: Schedule,
    ) -> Result<(), RepositoryError> {
        if let Some((settings, stored)) = self.lock()?.settings.get_mut(&user.0) {
            settings.paused = paused;
            *stored = schedule;
        }
        Ok(())
    }

    async fn set_challenge_zone(&self, challenge: ChallengeId, zone: Tz) -> Result<(), RepositoryError> {
        if let Some(c) = self.lock()?.challenges.get_mut(&challenge.0) {
            c.zone = Some(zone);
        }
        Ok(())
    }

    async fn unsummarized(
        &self,
        latest_deadline: NaiveDate,
        now: DateTime<Utc>,
        after: Option<ChallengeId>,
        limit: u32,
    ) -> Result<Vec<Ending>, RepositoryError> {
        let inner = self.lock()?;
        let after = after.map_or(0, |c| c.0);
        let put_off = |id: i64| inner.summary_next.get(&id).is_some_and(|next| *next > now);
        // `challenges` is ordered by id.
        Ok(inner
            .challenges
            .range(after + 1..)
            .map(|(_, c)| c)
            .filter(|c| {
                c.deadline <= latest_deadline && !inner.summarized.contains(&c.id.0) && !put_off(c.id.0)
            })
            .map(|c| Ending { challenge: c.id, deadline: c.deadline, zone: c.zone })
            .take(limit as usize)
            .collect())
    }

    async fn summary_recipients(
        &self,
        challenge: ChallengeId,
    ) -> Result<Vec<(UserId, Option<chrono_tz::Tz>)>, RepositoryError> {
        let inner = self.lock()?;
        let mut recipients: Vec<(UserId, Option<chrono_tz::Tz>)> = inner
            .members
            .keys()
            .filter(|(c, user)| *c == challenge.0 && !inner.summarized_participants.contains(&(*c, *user)))
            .map(|(_, user)| (UserId(*user), inner.settings.get(user).and_then(|(s, _)| s.zone)))
            .collect();
        recipients.sort_by_key(|(user, _)| user.0);
        Ok(recipients)
    }

    async fn mark_participants_summarized(
        &self,
        challenge: ChallengeId,
        users: &[UserId],
        _at: DateTime<Utc>,
    ) -> Result<Vec<UserId>, RepositoryError> {
        let mut inner = self.lock()?;
        let mut marked = Vec::new();
        for user in users {
            let key = (challenge.0, user.0);
            if inner.members.contains_key(&key) && inner.summarized_participants.insert(key) {
                marked.push(*user);
            }
        }
        Ok(marked)
    }

    async fn defer_summary(
        &self,
        challenge: ChallengeId,
        until: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        self.lock()?.summary_next.insert(challenge.0, until);
        Ok(())
    }

    async fn mark_summarized(
        &self,
        challenge: ChallengeId,
        _at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError> {
        let mut inner = self.lock()?;
        Ok(inner.challenges.contains_key(&challenge.0) && inner.summarized.insert(challenge.0))
    }
}
