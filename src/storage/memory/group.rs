//! The in-memory store's groups (see `storage::sql::group` for the SQL one).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::challenge::{Challenge, ChallengeId, GroupChat, GroupChatId, GroupRepository, InviteCode};
use crate::clock::Today;
use crate::repository::RepositoryError;

#[async_trait]
impl GroupRepository for MemoryStore {
    async fn upsert_group(
        &self,
        id: GroupChatId,
        title: &str,
        active: bool,
        fresh: &InviteCode,
        _at: DateTime<Utc>,
    ) -> Result<GroupChat, RepositoryError> {
        let mut inner = self.lock()?;
        let group = inner.groups.entry(id.0).or_insert_with(|| GroupChat {
            id,
            title: String::new(),
            code: fresh.clone(),
            active,
        });
        group.title = title.to_owned();
        group.active = active;
        Ok(group.clone())
    }

    async fn group(&self, id: GroupChatId) -> Result<Option<GroupChat>, RepositoryError> {
        Ok(self.lock()?.groups.get(&id.0).cloned())
    }

    async fn group_by_code(&self, code: &InviteCode) -> Result<Option<GroupChat>, RepositoryError> {
        Ok(self.lock()?.groups.values().find(|g| g.code == *code).cloned())
    }

    async fn migrate_group(
        &self,
        from: GroupChatId,
        to: GroupChatId,
        _at: DateTime<Utc>,
    ) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        let Some(mut group) = inner.groups.remove(&from.0) else { return Ok(()) };
        for chat in inner.group_of.values_mut() {
            if *chat == from.0 {
                *chat = to.0;
            }
        }
        // A supergroup stored already keeps its own row; otherwise this one takes the new id.
        inner.groups.entry(to.0).or_insert_with(|| {
            group.id = to;
            group.active = true;
            group
        });
        Ok(())
    }

    async fn set_challenge_group(
        &self,
        challenge: ChallengeId,
        group: GroupChatId,
    ) -> Result<(), RepositoryError> {
        let mut inner = self.lock()?;
        if !inner.challenges.contains_key(&challenge.0) {
            return Err(RepositoryError::ChallengeNotFound(challenge.0));
        }
        if !inner.groups.contains_key(&group.0) {
            return Err(RepositoryError::backend("the group is not stored"));
        }
        inner.group_of.insert(challenge.0, group.0);
        Ok(())
    }

    async fn group_of(&self, challenge: ChallengeId) -> Result<Option<GroupChat>, RepositoryError> {
        let inner = self.lock()?;
        Ok(inner.group_of.get(&challenge.0).and_then(|chat| inner.groups.get(chat)).cloned())
    }

    async fn group_challenges(
        &self,
        group: GroupChatId,
        active_on: Option<Today>,
        limit: u32,
    ) -> Result<Vec<Challenge>, RepositoryError> {
        let inner = self.lock()?;
        Ok(inner
            .challenges
            .values()
            .rev()
            .filter(|c| inner.group_of.get(&c.id.0) == Some(&group.0))
            .filter(|c| active_on.is_none_or(|today| c.is_active(today.in_zone(c.zone))))
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
