//! Changing one's goal in a challenge (`UPSERT_GOAL`).

use super::answers::parse_goal_for;
use super::payload::Action;
use super::reply::{Expect, Reply, Text};
use super::screens::{self, amount_hint, back_to, button, goal_phrase, progress_lines, with_note};
use super::{Conversation, Ctx, Next, Outcome, Question, Turn};
use crate::amount::Amount;
use crate::challenge::{ChallengeId, Unit};
use crate::goal::{Goal, GoalKind};
use crate::handler::app::AppError;

/// "Your goal is …; type your new goal."
pub(super) fn question(
    challenge: ChallengeId,
    kind: GoalKind,
    unit: Option<&Unit>,
    current: Amount,
) -> Reply {
    let goal = Goal::from_stored(kind, current);
    let text = goal_phrase(Text::new().plain("Your goal is "), goal, unit);
    let text = match kind {
        GoalKind::Days => text.plain(". Type your new goal, a number of days."),
        _ => text.plain(". Type your new goal").append(amount_hint(unit)).plain("."),
    };
    Reply::new(text).row(back_to(challenge)).expecting(Expect::Number)
}

impl Conversation {
    pub(super) async fn start_goal(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        let participant = self.app.participant(id, ctx.user).await?;
        let next = Question::UpsertGoal {
            challenge: id,
            kind: challenge.goal_kind,
            unit: challenge.unit.clone(),
            current: participant.goal,
        };
        let reply =
            with_note(super::question(&next, ctx.today), Text::new().user_bold(challenge.name.as_str()));
        Ok(Outcome::one(reply, Next::Set(next.into())))
    }

    pub(super) async fn answer_goal(&self, ctx: &Ctx<'_>, asked: &Question, text: &str) -> Turn {
        let Question::UpsertGoal { challenge, kind, unit, .. } = asked else {
            return self.ask_again(ctx, asked, "Please answer the question.");
        };
        let goal = match parse_goal_for(*kind, unit.as_ref(), text) {
            Ok(goal) => goal,
            Err(message) => return self.ask_again(ctx, asked, &message),
        };
        let id = *challenge;
        let set = match self.app.set_goal(id, ctx.user, goal.target).await {
            Ok(done) => done,
            Err(e @ (AppError::Invalid(_) | AppError::Unreachable(_))) => {
                return self.ask_again(ctx, asked, &e.to_string());
            }
            Err(e) => return Err(e),
        };
        let (challenge, tally) = (&set.challenge, &set.tally);
        let goal = set.goal();
        let unit = challenge.unit.as_ref();
        let text = Text::new().plain("🎯 Your goal in ").user_bold(challenge.name.as_str()).plain(" is now ");
        let text = goal_phrase(text, goal, unit).plain(".\n\nYour progress: ");
        let mut text = progress_lines(text, goal, unit, tally);
        // Making a goal easier earns nothing: it is marked met, without the celebration that
        // logging one's way there gets. Making it harder opens it again.
        if set.met_by_easing() {
            text = text.plain("\n\n✅ Your entries already meet this goal, so it is marked as met.");
        } else if set.reopened() {
            text = text.plain("\n\nThis goal is not met yet: keep going!");
        }
        let reply = Reply::new(text)
            .row(vec![
                button(
                    super::progress::progress_label(challenge.goal_kind),
                    Action::Progress { challenge: id },
                ),
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)])
            .effect(format!("Goal in {} set to {}", challenge.name, screens::goal_label(goal, unit)));
        Ok(Outcome::one(reply, Next::Main))
    }
}
