//! The in-memory store's progress repository: an entry recorded with everything it decides
//! (tally, standing, completion, first finisher) under the store's one lock, and entries edited,
//! deleted, undone and exported.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Member, MemoryStore};
use crate::challenge::ChallengeId;
use crate::goal::Goal;
use crate::progress::{
    EntryEdit, ExportScope, ExportedEntry, NewProgress, ProgressEntry, ProgressRepository, Recorded,
    Rejudged, Tally,
};
use crate::repository::RepositoryError;
use crate::user::UserId;

#[async_trait]
impl ProgressRepository for MemoryStore {
    async fn add_progress(&self, new: &NewProgress) -> Result<Recorded, RepositoryError> {
        let mut guard = self.lock()?;
        let inner = &mut *guard;
        let key = new.idempotency_key.as_ref().map(|k| (new.challenge.0, new.user.0, k.as_str().to_owned()));
        let stored_under_key = key.as_ref().and_then(|k| inner.keys.get(k)).copied();
        let member = inner.member_mut(new.challenge, new.user)?;
        if let (Some(key), Some((entry_id, first_value))) = (&new.idempotency_key, stored_under_key) {
            if first_value != new.value.amount() {
                return Err(RepositoryError::KeyReused { key: key.as_str().to_owned(), first_value });
            }
            if let Some(entry) = member.entries.iter().find(|e| e.id == entry_id) {
                return Ok(Recorded {
                    entry: entry.clone(),
                    duplicate: true,
                    before: member.tally(),
                    tally: member.tally(),
                    completed_now: false,
                    completed_at: member.participant.completed_at,
                    first_to_finish: false,
                    goal: member.participant.goal,
                    joined_at: member.participant.joined_at,
                    hidden_as: member.hidden.as_ref().map(|(n, _)| *n),
                });
            }
        }
        if new.value.amount().is_none()
            && member.entries.iter().any(|e| e.value.is_none() && e.date == new.date)
        {
            return Err(RepositoryError::AlreadyCheckedIn { date: new.date.date() });
        }
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
        let member = inner.member_mut(new.challenge, new.user)?;
        let before = member.tally();
        member.push(entry.clone());
        let completed_now = member.judge(new.recorded_at);
        let (tally, completed_at) = (member.tally(), member.participant.completed_at);
        let (goal, joined_at) = (member.participant.goal, member.participant.joined_at);
        let hidden_as = member.hidden.as_ref().map(|(n, _)| *n);
        let challenge = inner
            .challenges
            .get_mut(&new.challenge.0)
            .ok_or(RepositoryError::ChallengeNotFound(new.challenge.0))?;
        // The first to meet the challenge's own goal, which nobody can lower.
        let first_to_finish = challenge.first_finisher.is_none()
            && Goal::from_stored(challenge.goal_kind, challenge.default_goal).is_met(&tally);
        if first_to_finish {
            challenge.first_finisher = Some(new.user);
        }
        if let Some(key) = key {
            inner.keys.insert(key, (entry.id, new.value.amount()));
        }
        Ok(Recorded {
            entry,
            duplicate: false,
            before,
            tally,
            completed_now,
            completed_at,
            first_to_finish,
            goal,
            joined_at,
            hidden_as,
        })
    }

    async fn export_entries(&self, scope: ExportScope) -> Result<Vec<ExportedEntry>, RepositoryError> {
        let inner = self.lock()?;
        let mut rows: Vec<(i64, ExportedEntry)> = Vec::new();
        for ((c, u), member) in &inner.members {
            let wanted = match scope {
                ExportScope::Challenge(id) => *c == id.0,
                ExportScope::User(user) => *u == user.0,
            };
            let Some(challenge) = inner.challenges.get(c).filter(|_| wanted) else { continue };
            for e in &member.entries {
                rows.push((
                    e.id,
                    ExportedEntry {
                        challenge: challenge.id,
                        challenge_name: challenge.name.as_str().to_owned(),
                        unit: challenge.unit.as_ref().map(|unit| unit.as_str().to_owned()),
                        user: UserId(*u),
                        // As the challenge's leaderboard shows them; a person's own export has
                        // their own name throughout.
                        display_name: match scope {
                            ExportScope::Challenge(_) => member.shown_name(inner.users.get(u)),
                            ExportScope::User(_) => inner.users.get(u),
                        }
                        .map(|n| n.as_str().to_owned()),
                        date: e.date.date(),
                        value: e.value,
                        recorded_at: e.recorded_at,
                    },
                ));
            }
        }
        rows.sort_by_key(|(id, e)| (e.challenge.0, e.date, *id));
        Ok(rows.into_iter().map(|(_, e)| e).collect())
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
        Ok(self.lock()?.members.get(&(challenge.0, user.0)).map(Member::tally).unwrap_or_default())
    }

    async fn entry(&self, id: i64) -> Result<Option<ProgressEntry>, RepositoryError> {
        let inner = self.lock()?;
        Ok(inner.members.values().find_map(|m| m.entries.iter().find(|e| e.id == id)).cloned())
    }

    async fn edit_progress(&self, edit: &EntryEdit) -> Result<Rejudged, RepositoryError> {
        let mut inner = self.lock()?;
        let member = inner.member_mut(edit.challenge, edit.user)?;
        let not_found = RepositoryError::EntryNotFound { challenge: edit.challenge.0, entry: edit.entry };
        let index = member.entries.iter().position(|e| e.id == edit.entry).ok_or(not_found)?;
        let current = &member.entries[index];
        let value = edit.value.map_or(current.value, |v| v.amount());
        let date = edit.date.unwrap_or(current.date);
        if value.is_none()
            && date != current.date
            && member.entries.iter().any(|e| e.id != edit.entry && e.value.is_none() && e.date == date)
        {
            return Err(RepositoryError::AlreadyCheckedIn { date: date.date() });
        }
        let entry = &mut member.entries[index];
        entry.value = value;
        entry.date = date;
        let entry = entry.clone();
        member.rejudge(edit.at);
        Ok(member.rejudged(entry))
    }

    async fn delete_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
        entry: i64,
        at: DateTime<Utc>,
    ) -> Result<Rejudged, RepositoryError> {
        let mut inner = self.lock()?;
        let member = inner.member_mut(challenge, user)?;
        let not_found = RepositoryError::EntryNotFound { challenge: challenge.0, entry };
        let index = member.entries.iter().position(|e| e.id == entry).ok_or(not_found)?;
        let removed = member.entries.remove(index);
        member.rejudge(at);
        let rejudged = member.rejudged(removed);
        inner.forget_keys_of(challenge, user, entry);
        Ok(rejudged)
    }

    async fn undo_last_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Option<(ProgressEntry, Tally)>, RepositoryError> {
        let mut inner = self.lock()?;
        let member = inner.member_mut(challenge, user)?;
        let Some(entry) = member.entries.pop() else {
            return Ok(None);
        };
        member.rejudge(at);
        let tally = member.tally();
        inner.forget_keys_of(challenge, user, entry.id);
        Ok(Some((entry, tally)))
    }
}
