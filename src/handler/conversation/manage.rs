//! What a creator does with their challenge: rename it (`EDIT_CHALLENGE_NAME`), describe it
//! (`EDIT_CHALLENGE_DESCRIPTION`), move its deadline (`EDIT_CHALLENGE_DEADLINE`) or delete it
//! after a confirmation; and how a participant leaves one, also after a confirmation. Removing
//! people and closing the challenge to new ones are in [`super::moderate`].
//!
//! Each button is checked again: the person must still be the creator (or a participant, to
//! leave), and the challenge must still exist.

use chrono::NaiveDate;

use super::payload::Action;
use super::reply::{Expect, Reply, Text};
use super::screens::{button, challenge_details, date};
use super::{Conversation, Ctx, Next, Outcome, Question, Screen, Turn};
use crate::challenge::{ChallengeId, ChallengeName, Description};
use crate::clock::{DateSense, parse_date_as};
use crate::handler::app::{AppError, ChallengeEdit};

fn back_to_manage(challenge: ChallengeId) -> Vec<super::reply::Button> {
    vec![button("Cancel", Action::Manage { challenge })]
}

/// The questions of this flow.
pub(super) fn question(asked: &Question, today: NaiveDate) -> Reply {
    match asked {
        Question::EditChallengeName { challenge } => {
            Reply::new(Text::new().plain("Type the new name (up to 100 characters)."))
                .row(back_to_manage(*challenge))
                .expecting(Expect::Text)
        }
        Question::EditChallengeDescription { challenge } => {
            Reply::new(Text::new().plain("Type the new description: what counts, any rules."))
                .row(vec![
                    button("Remove description", Action::ClearDescription { challenge: *challenge }),
                    button("Cancel", Action::Manage { challenge: *challenge }),
                ])
                .expecting(Expect::Text)
        }
        Question::EditChallengeDeadline { challenge, deadline } => Reply::new(Text::new().plain(format!(
            "The deadline is {}. Type the new one (today or later) as {}.",
            date(*deadline),
            crate::clock::shapes(today.checked_add_days(chrono::Days::new(30)).unwrap_or(today))
        )))
        .row(back_to_manage(*challenge))
        .expecting(Expect::Date),
        other => unreachable!("{} is not a question of the manage flow", other.name()),
    }
}

impl Conversation {
    /// The creator's options.
    pub(super) async fn manage(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.own_challenge(ctx.user, id).await?;
        let text = Text::new().bold("Manage ").user_bold(challenge.name.as_str()).plain("\n\n");
        let text = text.append(challenge_details(&challenge, self.app.today_of(&challenge)));
        let reply = Reply::new(text)
            .row(vec![
                button("Rename", Action::Rename { challenge: id }),
                button("Edit description", Action::Describe { challenge: id }),
            ])
            .row(vec![
                button("Move deadline", Action::MoveDeadline { challenge: id }),
                button("Delete challenge", Action::DeleteChallenge { challenge: id }),
            ])
            .row(vec![
                button("👥 People", Action::Members { challenge: id, page: 0 }),
                if self.app.is_closed(id, ctx.user).await? {
                    button("🔓 Open to new people", Action::SetClosed { challenge: id, closed: false })
                } else {
                    button("🚪 Close to new people", Action::SetClosed { challenge: id, closed: true })
                },
            ])
            .row(vec![button("📄 Export everyone's entries", Action::ExportChallenge { challenge: id })])
            .row(vec![button("Back to challenge", Action::Open { challenge: id, page: 0 })]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into())))
    }

    /// Rename / Edit description / Move deadline: asks for it (of the creator only).
    pub(super) async fn start_manage(&self, ctx: &Ctx<'_>, action: Action) -> Turn {
        let (Action::Rename { challenge }
        | Action::Describe { challenge }
        | Action::MoveDeadline { challenge }) = action
        else {
            return Ok(Outcome::main(None));
        };
        let found = self.app.own_challenge(ctx.user, challenge).await?;
        let next = match action {
            Action::Rename { .. } => Question::EditChallengeName { challenge },
            Action::Describe { .. } => Question::EditChallengeDescription { challenge },
            _ => Question::EditChallengeDeadline { challenge, deadline: found.deadline },
        };
        Ok(self.ask(ctx, next))
    }

    pub(super) async fn answer_manage(&self, ctx: &Ctx<'_>, asked: &Question, text: &str) -> Turn {
        let (id, edit) = match asked {
            Question::EditChallengeName { challenge } => match ChallengeName::parse(text) {
                Ok(name) => (*challenge, ChallengeEdit { name: Some(name), ..ChallengeEdit::default() }),
                Err(e) => return self.ask_again(ctx, asked, &e.to_string()),
            },
            Question::EditChallengeDescription { challenge } => match Description::parse(text) {
                Ok(description) => {
                    (*challenge, ChallengeEdit { description: Some(description), ..ChallengeEdit::default() })
                }
                Err(e) => return self.ask_again(ctx, asked, &e.to_string()),
            },
            Question::EditChallengeDeadline { challenge, .. } => {
                match parse_date_as(text, ctx.today, DateSense::Future) {
                    Ok(deadline) => {
                        (*challenge, ChallengeEdit { deadline: Some(deadline), ..ChallengeEdit::default() })
                    }
                    Err(e) => return self.ask_again(ctx, asked, &e.to_string()),
                }
            }
            _ => return self.ask_again(ctx, asked, "Please answer the question."),
        };
        self.edit(ctx, id, edit, Some(asked)).await
    }

    /// "Remove description".
    pub(super) async fn clear_description(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        self.edit(
            ctx,
            id,
            ChallengeEdit { description: Some(Description::default()), ..ChallengeEdit::default() },
            None,
        )
        .await
    }

    async fn edit(
        &self,
        ctx: &Ctx<'_>,
        id: ChallengeId,
        edit: ChallengeEdit,
        asked: Option<&Question>,
    ) -> Turn {
        let what = if edit.name.is_some() {
            "name"
        } else if edit.description.is_some() {
            "description"
        } else {
            "deadline"
        };
        let challenge = match self.app.edit_challenge(ctx.user, id, edit).await {
            Ok(challenge) => challenge,
            Err(e @ (AppError::Invalid(_) | AppError::Unreachable(_))) if asked.is_some() => {
                return self.ask_again(ctx, asked.expect("checked"), &e.to_string());
            }
            Err(e) => return Err(e),
        };
        let note = Text::new().italic(format!("✏️ The {what} is changed."));
        Ok(self.manage(ctx, id).await?.note(note).effect(format!("Changed the {what} of {}", challenge.name)))
    }

    /// "Delete challenge": asks first, saying what goes with it.
    pub(super) async fn delete_challenge(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let overview = self.app.overview(id, Some(ctx.user)).await?;
        if overview.challenge.creator != ctx.user {
            return Err(AppError::NotCreator(id));
        }
        let others = overview.leaderboard.iter().filter(|r| r.standing.participant.user != ctx.user).count();
        let people = match others {
            0 => "your entries".to_owned(),
            1 => "your entries and those of the 1 other participant".to_owned(),
            n => format!("your entries and those of the {n} other participants"),
        };
        let text = Text::new()
            .plain("Delete ")
            .user_bold(overview.challenge.name.as_str())
            .plain(format!(" with {people}? This cannot be undone."));
        let reply = Reply::new(text).row(vec![
            button("Yes, delete it", Action::DeleteChallengeConfirm { challenge: id }),
            button("No, keep it", Action::Manage { challenge: id }),
        ]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into())))
    }

    pub(super) async fn delete_challenge_confirm(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = match self.app.delete_challenge(ctx.user, id).await {
            Ok(challenge) => challenge,
            Err(AppError::ChallengeDeleted { .. }) => {
                return Ok(Outcome::main(Some(Text::new().italic("That challenge is already deleted."))));
            }
            Err(e) => return Err(e),
        };
        let note = Text::new().plain("🗑 Deleted ").user_bold(challenge.name.as_str()).plain(".");
        Ok(Outcome::main(Some(note)).effect(format!("Deleted {}", challenge.name)))
    }

    /// "Leave": asks first.
    pub(super) async fn leave(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.challenge(id).await?;
        if challenge.creator == ctx.user {
            return Err(AppError::CreatorCannotLeave(id));
        }
        self.app.participant(id, ctx.user).await?;
        let text = Text::new()
            .plain("Leave ")
            .user_bold(challenge.name.as_str())
            .plain("? Your entries in it are deleted with you, and this cannot be undone.");
        let reply = Reply::new(text).row(vec![
            button("Yes, leave", Action::LeaveConfirm { challenge: id }),
            button("No, stay", Action::Open { challenge: id, page: 0 }),
        ]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into())))
    }

    pub(super) async fn leave_confirm(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = match self.app.leave(ctx.user, id).await {
            Ok(challenge) => challenge,
            Err(AppError::NotParticipant(_)) => {
                return Ok(Outcome::main(Some(
                    Text::new().italic("You are not in that challenge any more."),
                )));
            }
            Err(e) => return Err(e),
        };
        let note = Text::new().plain("👋 You left ").user_bold(challenge.name.as_str()).plain(".");
        Ok(self.mine(ctx, 0).await?.note(note).effect(format!("Left {}", challenge.name)))
    }
}
