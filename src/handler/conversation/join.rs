//! Joining a challenge: the list of those one can join (`JOIN_CHALLENGE_AVAILABLE`), one of them
//! with the goal question (`JOIN_CHALLENGE_GOAL`), and the join itself.

use super::answers::parse_goal_for;
use super::payload::Action;
use super::reply::{Expect, Reply, Text};
use super::screens::{
    self, PAGE_SIZE, amount_hint, button, challenge_details, days_word, deadline_phrase, goal_phrase,
    name_label, nav_row, page_heading, quantity_label, with_note,
};
use super::{Conversation, Ctx, Next, Outcome, Question, Screen, Turn};
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeFilter, ChallengeId, Unit};
use crate::goal::{Goal, GoalKind};
use crate::handler::app::AppError;
use crate::repository::{Page, Paged};

/// "What is your goal?", with the suggested goal one tap away.
pub(super) fn goal_question(
    challenge: ChallengeId,
    kind: GoalKind,
    unit: Option<&Unit>,
    default_goal: Amount,
    page: u32,
) -> Reply {
    let goal = Goal::from_stored(kind, default_goal);
    let text = match kind {
        GoalKind::Days => Text::new().plain("What is your goal? Type a number of days"),
        _ => Text::new().plain("What is your goal? Type a number").append(amount_hint(unit)),
    };
    let text = goal_phrase(text.plain(", or take the suggested goal: "), goal, unit).plain(".");
    let suggested = match kind {
        GoalKind::Days => format!("{} {}", goal.target, days_word(goal.target)),
        _ => quantity_label(goal.target, unit),
    };
    Reply::new(text)
        .row(vec![button(format!("Use {suggested}"), Action::JoinDefault { challenge })])
        .row(vec![button("Back", Action::Browse { page })])
        .expecting(Expect::Number)
}

impl Conversation {
    pub(super) async fn browse(&self, ctx: &Ctx<'_>, page: u32) -> Turn {
        let filter = ChallengeFilter::JoinableBy { user: ctx.user, today: ctx.today };
        let (page, list) = self.page_of(filter, page).await?;
        if list.total == 0 {
            let reply = Reply::new(Text::new().plain(
                "There are no challenges to join right now: you have joined every active one, or there are none yet. Why not create one?",
            ))
            .row(vec![button("Create challenge", Action::Create), button("Main menu", Action::Menu)]);
            return Ok(Outcome::one(reply, Next::Main));
        }
        let mut text =
            page_heading(Text::new().bold("Challenges you can join"), page, list.total).plain("\n");
        let mut rows = Vec::with_capacity(list.items.len() + 2);
        // Numbered on each page as its buttons are (1 is the first button), so that a number
        // typed in the terminal means the same item as the number shown.
        for (i, c) in list.items.iter().enumerate() {
            text = text
                .plain(format!("\n{}. ", i + 1))
                .user(c.name.as_str())
                .plain(format!(": until {}", deadline_phrase(c, ctx.today)));
            rows.push(vec![button(name_label(c.name.as_str()), Action::Pick { challenge: c.id, page })]);
        }
        text = text.plain("\n\nChoose one to see its details.");
        let mut reply = Reply::new(text);
        reply.buttons = rows;
        let reply = reply
            .row(nav_row(page, list.total, |page| Action::Browse { page }))
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Set(Screen::JoinChallengeAvailable { page }.into())))
    }

    /// A page of a list, clamped to the last page when the list has shrunk.
    async fn page_of(&self, filter: ChallengeFilter, page: u32) -> Result<(u32, Paged<Challenge>), AppError> {
        let list = self.app.list(filter, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        if list.items.is_empty() && page > 0 && list.total > 0 {
            let last = screens::pages(list.total) - 1;
            let list = self.app.list(filter, Page::new(last * PAGE_SIZE, PAGE_SIZE)).await?;
            return Ok((last, list));
        }
        Ok((page, list))
    }

    pub(super) async fn pick(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        match self.app.participant(id, ctx.user).await {
            Ok(_) => {
                let note = Text::new().italic("You have already joined this challenge.");
                return Ok(self.open(ctx, id, 0).await?.note(note));
            }
            Err(AppError::NotParticipant(_)) => {}
            Err(e) => return Err(e),
        }
        let next = Question::JoinChallengeGoal {
            challenge: id,
            kind: challenge.goal_kind,
            unit: challenge.unit.clone(),
            default_goal: challenge.default_goal,
            page,
        };
        let reply = with_note(super::question(&next, ctx.today), challenge_details(&challenge, ctx.today));
        Ok(Outcome::one(reply, Next::Set(next.into())))
    }

    pub(super) async fn answer_join_goal(&self, ctx: &Ctx<'_>, asked: &Question, text: &str) -> Turn {
        let Question::JoinChallengeGoal { challenge, kind, unit, .. } = asked else {
            return self.ask_again(ctx, asked, "Please answer the question.");
        };
        match parse_goal_for(*kind, unit.as_ref(), text) {
            Ok(goal) => self.join(ctx, *challenge, Some(goal.target), Some(asked)).await,
            Err(message) => self.ask_again(ctx, asked, &message),
        }
    }

    pub(super) async fn join(
        &self,
        ctx: &Ctx<'_>,
        id: ChallengeId,
        target: Option<Amount>,
        asked: Option<&Question>,
    ) -> Turn {
        let (challenge, participant) = match self.app.join(id, ctx.user, target).await {
            Ok(joined) => joined,
            Err(AppError::AlreadyJoined(_)) => {
                let note = Text::new().italic("You have already joined this challenge.");
                return Ok(self.open(ctx, id, 0).await?.note(note));
            }
            Err(e @ (AppError::Invalid(_) | AppError::Unreachable(_))) => match asked {
                Some(asked) => return self.ask_again(ctx, asked, &e.to_string()),
                None => return Err(e),
            },
            Err(e) => return Err(e),
        };
        let goal = Goal::from_stored(challenge.goal_kind, participant.goal);
        let text =
            Text::new().plain("✅ You joined ").user_bold(challenge.name.as_str()).plain("!\n\nYour goal: ");
        let text = goal_phrase(text, goal, challenge.unit.as_ref())
            .plain(format!(", by {}.", deadline_phrase(&challenge, ctx.today)))
            .plain(match challenge.goal_kind {
                GoalKind::Days => " Check in on each day you do it.",
                _ => " Log your progress whenever you make some.",
            });
        let reply = Reply::new(text)
            .row(vec![
                button(
                    super::progress::progress_label(challenge.goal_kind),
                    Action::Progress { challenge: id },
                ),
                button("Open challenge", Action::Open { challenge: id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)])
            .effect(format!("Joined {}", challenge.name));
        Ok(Outcome::one(reply, Next::Main))
    }
}
