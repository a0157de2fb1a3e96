//! Group chats: the groups the bot is in, the challenges made for them, and who may do what
//! there.
//!
//! Telegram tells who pressed a button in a group, and only the group's members see its
//! messages, so a press of a group challenge's Join button is proof enough of membership: the
//! press joins the challenge if (and only if) the challenge is that group's. Deleting a group's
//! challenge is for its creator and the group's administrators; whether someone administers
//! the group is Telegram's to say, so the protocol asks and passes the answer in.

use super::{App, AppError, ChallengeDraft};
use crate::challenge::{Challenge, ChallengeId, GroupChat, GroupChatId, InviteCode};
use crate::goal::Participant;
use crate::user::UserId;

/// At most this many of a group's challenges are listed in the group.
pub const GROUP_LIST: u32 = 10;

impl App {
    /// The bot is (now) a member of the group: stored as active, with its title.
    pub async fn group_joined(&self, id: GroupChatId, title: &str) -> Result<GroupChat, AppError> {
        Ok(self.store.upsert_group(id, title, true, &InviteCode::generate(), self.now()).await?)
    }

    /// The bot was removed from the group: its challenges stay, the group hears nothing more.
    pub async fn group_left(&self, id: GroupChatId, title: &str) -> Result<(), AppError> {
        self.store.upsert_group(id, title, false, &InviteCode::generate(), self.now()).await?;
        Ok(())
    }

    /// The group became a supergroup: it and its challenges take the new id.
    pub async fn group_migrated(&self, from: GroupChatId, to: GroupChatId) -> Result<(), AppError> {
        Ok(self.store.migrate_group(from, to, self.now()).await?)
    }

    /// The group as stored; a group the bot hears from but never saw added (it was added before
    /// this version) is stored now.
    pub async fn group_seen(&self, id: GroupChatId, title: &str) -> Result<GroupChat, AppError> {
        match self.store.group(id).await? {
            Some(group) if group.active => Ok(group),
            _ => self.group_joined(id, title).await,
        }
    }

    /// The bot's username as it stored it at start (for deep links), if it ever ran.
    pub async fn bot_username(&self) -> Result<Option<String>, AppError> {
        Ok(self.store.bot_username().await?)
    }

    /// The group a "create a challenge for this group" link names.
    pub async fn group_for_link(&self, code: &InviteCode) -> Result<GroupChat, AppError> {
        self.store.group_by_code(code).await?.ok_or(AppError::GroupLinkUnknown)
    }

    /// The group a challenge belongs to, if any.
    pub async fn group_of(&self, id: ChallengeId) -> Result<Option<GroupChat>, AppError> {
        Ok(self.store.group_of(id).await?)
    }

    /// The group's challenges that have not ended, newest first.
    pub async fn group_challenges(&self, group: GroupChatId) -> Result<Vec<Challenge>, AppError> {
        Ok(self.store.group_challenges(group, Some(self.today_everywhere()), GROUP_LIST).await?)
    }

    /// Creates a challenge for a group (its creator joins, as always); private, found through
    /// the group or its invite link.
    pub async fn create_group_challenge(
        &self,
        creator: UserId,
        draft: ChallengeDraft,
        group: GroupChatId,
    ) -> Result<(Challenge, GroupChat), AppError> {
        let group = self.store.group(group).await?.ok_or(AppError::GroupLinkUnknown)?;
        let challenge = self.create_challenge(creator, draft).await?;
        self.store.set_challenge_group(challenge.id, group.id).await?;
        Ok((challenge, group))
    }

    /// A challenge of this group (a forged or stale button may name another one).
    pub async fn group_challenge(&self, group: GroupChatId, id: ChallengeId) -> Result<Challenge, AppError> {
        let challenge = self.challenge(id).await?;
        match self.store.group_of(id).await? {
            Some(of) if of.id == group => Ok(challenge),
            _ => Err(AppError::NotThisGroup(id)),
        }
    }

    /// A member joins a group's challenge from the group, with its default goal.
    pub async fn join_in_group(
        &self,
        group: GroupChatId,
        id: ChallengeId,
        user: UserId,
    ) -> Result<(Challenge, Participant), AppError> {
        self.group_challenge(group, id).await?;
        self.join(id, user, None).await
    }

    /// Deletes a group's challenge for its creator or one of the group's administrators.
    pub async fn delete_group_challenge(
        &self,
        group: GroupChatId,
        id: ChallengeId,
        user: UserId,
        group_admin: bool,
    ) -> Result<Challenge, AppError> {
        let challenge = self.group_challenge(group, id).await?;
        if challenge.creator != user && !group_admin {
            return Err(AppError::NotGroupManager(id));
        }
        self.store.delete_challenge(id, self.now()).await?;
        Ok(challenge)
    }
}
