//! Invites: a challenge's link to pass on (any participant), making it public or private and
//! replacing the link (its creator), and opening a link (`/start <code>`).
//!
//! Opening a link is what lets someone see a private challenge: it shows the challenge with the
//! goal question, and the conversation state then says which challenge the link opened, so the
//! answer (a typed goal or "Use …") may join it even though it is not listed.

use super::payload::Action;
use super::reply::{Reply, Text};
use super::screens::{button, with_note};
use super::{Conversation, Ctx, Next, Outcome, Turn};
use crate::challenge::{ChallengeId, Visibility};
use crate::handler::app::{AppError, Invite};

impl Conversation {
    /// The invite screen: the link, a Share button and, for the creator, who can see it.
    pub(super) async fn invite(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let invite = self.app.invite(Some(ctx.user), id, None).await?;
        Ok(Outcome::one(self.invite_reply(ctx, &invite, None), Next::Keep))
    }

    /// A new link for the creator; the old one says it expired.
    pub(super) async fn revoke_invite(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let invite = self.app.revoke_invite(Some(ctx.user), id, None).await?;
        let note = Text::new().italic("Here is a new link. The old one no longer works.");
        Ok(Outcome::one(self.invite_reply(ctx, &invite, Some(note)), Next::Keep))
    }

    pub(super) async fn set_visibility(&self, ctx: &Ctx<'_>, id: ChallengeId, public: bool) -> Turn {
        let visibility = if public { Visibility::Public } else { Visibility::Private };
        self.app.set_visibility(Some(ctx.user), id, visibility).await?;
        let invite = self.app.invite(Some(ctx.user), id, None).await?;
        let note = Text::new().italic(match visibility {
            Visibility::Public => "It is public now: everyone can find it under Join challenge.",
            Visibility::Private => "It is private now: only people with the link can see it.",
        });
        Ok(Outcome::one(self.invite_reply(ctx, &invite, Some(note)), Next::Keep))
    }

    fn invite_reply(&self, ctx: &Ctx<'_>, invite: &Invite, note: Option<Text>) -> Reply {
        let c = &invite.challenge;
        let mut text = Text::new().bold("👥 Invite friends to ").user_bold(c.name.as_str()).plain("\n\n");
        text = match &invite.link {
            Some(link) => text
                .plain("Send them this link; it opens the challenge with a Join button:\n")
                .plain(link.clone()),
            None => text
                .plain("Its invite code is ")
                .code(invite.code.to_string())
                .plain(". The link is made once the bot has run: in Telegram, /start ")
                .plain(invite.code.to_string())
                .plain(" opens it."),
        };
        text = text.plain("\n\n").plain(match c.visibility {
            Visibility::Private => "🔒 Private: only people with the link can see and join it.",
            Visibility::Public => {
                "🌍 Public: listed under Join challenge for everyone, and the link works too."
            }
        });
        let mut reply = Reply::new(text);
        if let Some(share) = invite.share_url() {
            reply = reply.link("📤 Share", share);
        }
        if c.creator == ctx.user {
            let toggle = match c.visibility {
                Visibility::Private => {
                    button("🌍 Make public", Action::SetVisibility { challenge: c.id, public: true })
                }
                Visibility::Public => {
                    button("🔒 Make private", Action::SetVisibility { challenge: c.id, public: false })
                }
            };
            reply = reply.row(vec![toggle, button("🔄 New link", Action::RevokeInvite { challenge: c.id })]);
        }
        let reply = reply.row(vec![
            button("Back to challenge", Action::Open { challenge: c.id, page: 0 }),
            button("Main menu", Action::Menu),
        ]);
        match note {
            Some(note) => with_note(reply, note),
            None => reply,
        }
    }

    /// `/start <code>`: the challenge with its goal question; a participant lands on it; a link
    /// that leads nowhere gets one line and the main menu.
    pub(super) async fn open_invite(&self, ctx: &Ctx<'_>, code: &str) -> Turn {
        let challenge = match self.app.open_invite(code).await {
            Ok(challenge) => challenge,
            Err(e @ (AppError::InviteMalformed | AppError::InviteExpired | AppError::InviteUnknown)) => {
                return Ok(Outcome::main(Some(Text::new().italic(e.to_string()))).with_menu());
            }
            Err(AppError::ChallengeDeleted { name, .. }) => {
                let note =
                    Text::new().italic("The challenge “").user(&name).italic("” was deleted by its creator.");
                return Ok(Outcome::main(Some(note)).with_menu());
            }
            Err(e) => return Err(e),
        };
        if self.app.participant(challenge.id, ctx.user).await.is_ok() {
            let note = Text::new().italic("You are in this challenge already.");
            return Ok(self.open(ctx, challenge.id, 0).await?.note(note));
        }
        if !challenge.is_active(self.app.today_of(&challenge)) {
            let note = Text::new()
                .italic("The challenge “")
                .user(challenge.name.as_str())
                .italic(format!("” ended on {}, so it can no longer be joined.", challenge.deadline));
            return Ok(Outcome::main(Some(note)).with_menu());
        }
        let mut turn = self.goal_to_join(ctx, challenge, None).await?;
        if let Some(first) = turn.replies.first_mut() {
            *first = with_note(first.clone(), Text::new().plain("You were invited to a challenge:"));
        }
        Ok(turn)
    }
}
