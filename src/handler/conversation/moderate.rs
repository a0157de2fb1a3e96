//! What a creator does to keep their challenge clean: remove a participant (after a
//! confirmation; they are told they were removed, nothing more, and cannot join again by any
//! link), hide an offensive display name (it shows as "Participant N" wherever the challenge
//! names them; the person is told) and close the challenge to new participants. Reached from the creator's Manage screen;
//! every press is checked again against the database.

use super::payload::Action;
use super::reply::{Reply, Text};
use super::screens::{PAGE_SIZE, button, name_label, nav_row, page_heading};
use super::{Conversation, Ctx, Next, Outcome, Screen, Turn};
use crate::challenge::ChallengeId;
use crate::handler::app::AppError;
use crate::user::{DisplayName, UserId};

impl Conversation {
    /// The participants other than the creator, a page of them, each with a remove button and
    /// one that hides or shows their name. The creator sees real names here, and which are
    /// hidden.
    pub(super) async fn members(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
        let challenge = self.app.own_challenge(ctx.user, id).await?;
        let mut others: Vec<(UserId, DisplayName, Option<u32>)> = Vec::new();
        for standing in self.app.store().standings(id).await.map_err(AppError::from)? {
            let user = standing.participant.user;
            if user == ctx.user {
                continue;
            }
            // A hidden name's standing carries "Participant N": the creator needs the real one.
            let name = match standing.hidden_as {
                Some(_) => self.app.display_name(user).await?,
                None => standing.display_name,
            };
            others.push((user, name.unwrap_or_else(|| DisplayName::fallback(user)), standing.hidden_as));
        }
        others.sort_by_key(|(user, name, _)| (name.as_str().to_lowercase(), user.0));
        let total = others.len() as u64;
        let heading =
            page_heading(Text::new().bold("👥 People in ").user_bold(challenge.name.as_str()), page, total);
        let start = (page * PAGE_SIZE) as usize;
        let shown = || others.iter().skip(start).take(PAGE_SIZE as usize);
        let mut text = if others.is_empty() {
            heading.plain("\n\nNobody else has joined yet.")
        } else {
            heading.plain(
                "\n\nRemove someone: their entries go, and they cannot join again. \
                 Hide a name: it shows as “Participant N” to everyone else; they are told.",
            )
        };
        for (_, name, hidden_as) in shown() {
            if let Some(number) = hidden_as {
                text =
                    text.plain("\n🙈 ").user(name.as_str()).plain(format!(" shows as Participant {number}."));
            }
        }
        let mut reply = Reply::new(text);
        for (user, name, hidden_as) in shown() {
            let toggle = match hidden_as {
                None => button(
                    "🙈 Hide name",
                    Action::HideName { challenge: id, user: user.0, hidden: true, page },
                ),
                Some(_) => button(
                    "👁 Show name",
                    Action::HideName { challenge: id, user: user.0, hidden: false, page },
                ),
            };
            reply = reply.row(vec![
                button(
                    format!("Remove {}", name_label(name.as_str())),
                    Action::RemoveMember { challenge: id, user: user.0 },
                ),
                toggle,
            ]);
        }
        let reply = reply
            .row(nav_row(page, total, |page| Action::Members { challenge: id, page }))
            .row(vec![button("Back", Action::Manage { challenge: id })]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into())))
    }

    /// Hides a participant's name in the challenge (they get one line of news saying how they
    /// show now) or shows it again; back to the same page of people.
    pub(super) async fn hide_name(
        &self,
        ctx: &Ctx<'_>,
        id: ChallengeId,
        user: i64,
        hidden: bool,
        page: u32,
    ) -> Turn {
        let user = UserId(user);
        let name = self.app.display_name(user).await?.unwrap_or_else(|| DisplayName::fallback(user));
        let (challenge, hidden_name) = self.app.hide_name(ctx.user, id, user, hidden).await?;
        let mut outcome = match hidden_name.number {
            Some(number) => self.members(ctx, id, page).await?.note(
                Text::new().plain("🙈 ").user_bold(name.as_str()).plain(format!(
                    " now shows as Participant {number} to everyone in this challenge but you."
                )),
            ),
            None => self
                .members(ctx, id, page)
                .await?
                .note(Text::new().plain("👁 ").user_bold(name.as_str()).plain("’s name shows again.")),
        };
        // Told once, not again for a second press of an old Hide button.
        if let Some(number) = hidden_name.number.filter(|_| hidden_name.changed) {
            outcome.replies.push(
                Reply::new(Text::new().plain("The creator of ").user_bold(challenge.name.as_str()).plain(
                    format!(
                        " hid your display name there: its leaderboard shows you as Participant {number}."
                    ),
                ))
                .news_for(user),
            );
        }
        Ok(outcome)
    }

    /// Asks whether to remove a participant.
    pub(super) async fn remove_member(&self, ctx: &Ctx<'_>, id: ChallengeId, user: i64) -> Turn {
        let challenge = self.app.own_challenge(ctx.user, id).await?;
        let user = UserId(user);
        self.app.participant(id, user).await?;
        let name = self.app.display_name(user).await?.unwrap_or_else(|| DisplayName::fallback(user));
        let reply = Reply::new(
            Text::new()
                .plain("Remove ")
                .user_bold(name.as_str())
                .plain(" from ")
                .user_bold(challenge.name.as_str())
                .plain("? Their entries there go, and they cannot join it again, even with the invite link. They are told they were removed, nothing more."),
        )
        .row(vec![
            button("Yes, remove", Action::RemoveMemberConfirm { challenge: id, user: user.0 }),
            button("Cancel", Action::Members { challenge: id, page: 0 }),
        ]);
        Ok(Outcome::one(reply, Next::Keep))
    }

    /// Removes them; they get one line of news.
    pub(super) async fn remove_member_confirm(&self, ctx: &Ctx<'_>, id: ChallengeId, user: i64) -> Turn {
        let user = UserId(user);
        let name = self.app.display_name(user).await?.unwrap_or_else(|| DisplayName::fallback(user));
        let challenge = self.app.remove_participant(ctx.user, id, user).await?;
        let note = Text::new().plain("Removed ").user_bold(name.as_str()).plain(".");
        let mut outcome = self.members(ctx, id, 0).await?.note(note);
        outcome.replies.push(
            Reply::new(
                Text::new()
                    .plain("You were removed from ")
                    .user_bold(challenge.name.as_str())
                    .plain(" by its creator."),
            )
            .row(vec![button("Main menu", Action::Menu)])
            .news_for(user),
        );
        Ok(outcome)
    }

    /// Closes the challenge to new participants, or opens it again; back to Manage.
    pub(super) async fn set_closed(&self, ctx: &Ctx<'_>, id: ChallengeId, closed: bool) -> Turn {
        self.app.set_closed(ctx.user, id, closed).await?;
        let note = if closed {
            Text::new().plain("🚪 Closed: nobody new can join, by the list or any link. Those in it go on.")
        } else {
            Text::new().plain(
                "🔓 Open again: people can join with its invite link (and from the list, if it is public).",
            )
        };
        Ok(self.manage(ctx, id).await?.note(note))
    }
}
