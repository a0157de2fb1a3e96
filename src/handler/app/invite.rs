//! Who may see a challenge, and the ways in: the public list (with a search by name) and the
//! invite link.
//!
//! A private challenge is seen by its participants (its creator is always one) and by whoever
//! opens its invite link; everyone else is told it is private, never shown its name. Any
//! participant may pass the link on; only the creator makes the challenge public or private and
//! revokes the link. The CLI is the operator's tool and acts without a user (`by: None`).

use super::{App, AppError};
use crate::challenge::{Challenge, ChallengeId, InviteCode, InviteLookup, Listing, NameSearch, Visibility};
use crate::repository::{Page, Paged};
use crate::user::UserId;

/// A challenge's invite: its code and, once the bot's username is known, its link.
#[derive(Clone, Debug, PartialEq)]
pub struct Invite {
    pub challenge: Challenge,
    pub code: InviteCode,
    /// `https://t.me/<bot>?start=<code>`; none until the bot has run once (or the CLI was told
    /// the username).
    pub link: Option<String>,
}

impl Invite {
    /// Telegram's share dialog for the link, with a line about the challenge.
    pub fn share_url(&self) -> Option<String> {
        let link = self.link.as_ref()?;
        let text = format!("Join me in the challenge “{}”!", self.challenge.name);
        let mut url = url::Url::parse("https://t.me/share/url").expect("a valid URL");
        url.query_pairs_mut().append_pair("url", link).append_pair("text", &text);
        Some(url.into())
    }
}

impl App {
    /// Refuses a private challenge to someone who is not in it (`Private`).
    pub async fn ensure_visible(&self, challenge: &Challenge, user: UserId) -> Result<(), AppError> {
        if challenge.visibility.is_public() || challenge.creator == user {
            return Ok(());
        }
        match self.store.participant(challenge.id, user).await? {
            Some(_) => Ok(()),
            None => Err(AppError::Private(challenge.id)),
        }
    }

    /// The challenge's invite, for a participant (`by`) or the operator (`None`); the code is
    /// made the first time it is asked for. `bot_username` overrides the stored one.
    pub async fn invite(
        &self,
        by: Option<UserId>,
        id: ChallengeId,
        bot_username: Option<&str>,
    ) -> Result<Invite, AppError> {
        let challenge = self.challenge(id).await?;
        if let Some(user) = by {
            self.participant(id, user).await?;
        }
        let code = self.store.invite_code(id, &InviteCode::generate()).await?;
        self.invite_of(challenge, code, bot_username).await
    }

    /// Replaces the invite code: the old link then says it expired. Only the creator (or the
    /// operator, `None`).
    pub async fn revoke_invite(
        &self,
        by: Option<UserId>,
        id: ChallengeId,
        bot_username: Option<&str>,
    ) -> Result<Invite, AppError> {
        let challenge = match by {
            Some(user) => {
                let challenge = self.own_challenge(user, id).await?;
                self.renewal_allowed(user).await?;
                challenge
            }
            None => self.challenge(id).await?,
        };
        let code = self.store.revoke_invite(id, &InviteCode::generate(), self.now()).await?;
        self.invite_of(challenge, code, bot_username).await
    }

    async fn invite_of(
        &self,
        challenge: Challenge,
        code: InviteCode,
        bot_username: Option<&str>,
    ) -> Result<Invite, AppError> {
        let username = match bot_username {
            Some(name) => Some(name.trim_start_matches('@').to_owned()),
            None => self.store.bot_username().await?,
        };
        let link = username.map(|name| code.link(&name));
        Ok(Invite { challenge, code, link })
    }

    /// Makes a challenge public or private. Only the creator (or the operator, `None`).
    pub async fn set_visibility(
        &self,
        by: Option<UserId>,
        id: ChallengeId,
        visibility: Visibility,
    ) -> Result<Challenge, AppError> {
        match by {
            Some(user) => self.own_challenge(user, id).await?,
            None => self.challenge(id).await?,
        };
        Ok(self.store.set_visibility(id, visibility).await?)
    }

    /// The challenge an invite code (as it arrived) leads to; why not, if it leads nowhere.
    pub async fn open_invite(&self, code: &str) -> Result<Challenge, AppError> {
        let code = InviteCode::parse(code).map_err(|_| AppError::InviteMalformed)?;
        match self.store.find_invite(&code).await? {
            InviteLookup::Live(challenge) => Ok(challenge),
            InviteLookup::Revoked(id) => match self.store.deleted_challenge(id).await? {
                Some(deleted) => {
                    Err(AppError::ChallengeDeleted { id, name: deleted.name.as_str().to_owned() })
                }
                None => Err(AppError::InviteExpired),
            },
            InviteLookup::Unknown => Err(AppError::InviteUnknown),
        }
    }

    /// Active public challenges the user has not joined, optionally those whose name contains
    /// the search.
    pub async fn public_challenges(
        &self,
        user: UserId,
        search: Option<&NameSearch>,
        page: Page,
    ) -> Result<Paged<Listing>, AppError> {
        Ok(self.store.public_challenges(user, self.today_everywhere(), search, page).await?)
    }

    /// Remembers the bot's username (from `getMe`) for the links the CLI makes.
    pub async fn remember_bot_username(&self, username: &str) -> Result<(), AppError> {
        Ok(self.store.set_bot_username(username, self.now()).await?)
    }
}

impl App {
    /// Mutes (or unmutes) a challenge's news for a participant.
    pub async fn set_news_muted(
        &self,
        user: UserId,
        id: ChallengeId,
        muted: bool,
    ) -> Result<Challenge, AppError> {
        let challenge = self.challenge(id).await?;
        self.store.set_news_muted(id, user, muted, self.now()).await?;
        Ok(challenge)
    }

    pub async fn news_muted(&self, user: UserId, id: ChallengeId) -> Result<bool, AppError> {
        Ok(self.store.news_muted(id, user).await?)
    }

    /// Who hears a challenge's news: of `candidates` (or everyone in it), those who did not
    /// mute it.
    pub async fn news_recipients(
        &self,
        id: ChallengeId,
        candidates: Option<&[UserId]>,
    ) -> Result<Vec<UserId>, AppError> {
        Ok(self.store.news_recipients(id, candidates).await?)
    }
}
