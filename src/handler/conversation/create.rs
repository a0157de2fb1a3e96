//! Creating a challenge: its name, a description (or none), the deadline, how progress counts
//! and the goal — `CREATE_CHALLENGE_NAME` → `_DETAIL` → `_DATE` → `_GOAL`.

use chrono::NaiveDate;

use super::answers::parse_goal_with_unit;
use super::payload::Action;
use super::reply::{Expect, Reply, Text};
use super::screens::{button, cancel_row, challenge_details, goal_phrase};
use super::{Conversation, Ctx, Next, Outcome, Question, Turn, again};
use crate::challenge::{ChallengeName, Deadline, Description, GroupChatId, Visibility};
use crate::clock::{DateSense, parse_date_as};
use crate::goal::GoalKind;
use crate::handler::app::{AppError, ChallengeDraft};

/// The questions of this flow.
pub(super) fn question(asked: &Question, today: NaiveDate) -> Reply {
    match asked {
        Question::CreateChallengeName { group } => {
            let ask = match group {
                Some(_) => "What is the group's challenge called? Type a name (up to 100 characters).",
                None => "What is the challenge called? Type a name (up to 100 characters).",
            };
            Reply::new(Text::new().plain(ask)).row(cancel_row()).expecting(Expect::Text)
        }
        Question::CreateChallengeDetail { name, .. } => Reply::new(
            Text::new()
                .plain("Describe ")
                .user_bold(name.as_str())
                .plain(" in a sentence or two: what counts, any rules. Or skip this."),
        )
        .row(vec![button("Skip", Action::SkipDescription), button("Cancel", Action::Cancel)])
        .expecting(Expect::Text),
        Question::CreateChallengeDate { .. } => {
            let example = today.checked_add_days(chrono::Days::new(30)).unwrap_or(today);
            Reply::new(Text::new().plain(format!(
                "When does it end? Type the deadline as {}, or a weekday.",
                crate::clock::shapes(example)
            )))
            .row(vec![
                button("In a week", Action::DeadlineIn { days: 7 }),
                button("In 30 days", Action::DeadlineIn { days: 30 }),
            ])
            .row(cancel_row())
            .expecting(Expect::Date)
        }
        Question::CreateChallengeGoal { kind: None, .. } => {
            let mut text = Text::new().plain("How does progress count?\n");
            for kind in GoalKind::ALL {
                text = text.plain("\n").bold(kind.label()).plain(format!(": {}", kind.explanation()));
            }
            Reply::new(text)
                .row(vec![
                    button("Total", Action::Kind(GoalKind::Total)),
                    button("At least", Action::Kind(GoalKind::AtLeast)),
                ])
                .row(vec![
                    button("At most", Action::Kind(GoalKind::AtMost)),
                    button("Days", Action::Kind(GoalKind::Days)),
                ])
                .row(cancel_row())
        }
        Question::CreateChallengeGoal { kind: Some(kind), .. } => {
            let text = match kind {
                GoalKind::Total => Text::new()
                    .plain("What is the goal? Type a number with an optional unit, for example ")
                    .bold("100 km")
                    .plain(" or ")
                    .bold("12 books")
                    .plain("."),
                GoalKind::AtLeast => Text::new()
                    .plain("What value must be reached? Type a number with an optional unit, for example ")
                    .bold("100 kg")
                    .plain("."),
                GoalKind::AtMost => Text::new()
                    .plain(
                        "What value must it come down to? Type a number with an optional unit, for example ",
                    )
                    .bold("70 kg")
                    .plain("."),
                GoalKind::Days => Text::new()
                    .plain("How many days? Type a whole number, for example ")
                    .bold("30")
                    .plain("."),
            };
            Reply::new(text).row(cancel_row()).expecting(Expect::Number)
        }
        other => unreachable!("{} is not a question of the create flow", other.name()),
    }
}

impl Conversation {
    /// A typed answer to one of this flow's questions.
    pub(super) async fn answer_create(&self, ctx: &Ctx<'_>, asked: &Question, text: &str) -> Turn {
        match asked {
            Question::CreateChallengeName { group } => match ChallengeName::parse(text) {
                Ok(name) => Ok(self.ask(ctx, Question::CreateChallengeDetail { name, group: *group })),
                Err(e) => self.ask_again(ctx, asked, &e.to_string()),
            },
            Question::CreateChallengeDetail { name, group } => match Description::parse(text) {
                Ok(description) => Ok(self.ask(
                    ctx,
                    Question::CreateChallengeDate { name: name.clone(), description, group: *group },
                )),
                Err(e) => self.ask_again(ctx, asked, &e.to_string()),
            },
            Question::CreateChallengeDate { name, description, group } => {
                let deadline = parse_date_as(text, ctx.today, DateSense::Future)
                    .map_err(|e| e.to_string())
                    .and_then(|d| Deadline::parse(d, ctx.today).map_err(|e| e.to_string()));
                match deadline {
                    Ok(deadline) => Ok(self.ask(
                        ctx,
                        Question::CreateChallengeGoal {
                            name: name.clone(),
                            description: description.clone(),
                            deadline: deadline.date(),
                            kind: None,
                            group: *group,
                        },
                    )),
                    Err(message) => self.ask_again(ctx, asked, &message),
                }
            }
            Question::CreateChallengeGoal { kind: None, .. } => {
                match text.trim().replace(' ', "-").parse::<GoalKind>() {
                    Ok(kind) => Ok(self.ask(ctx, kind_chosen(asked, kind))),
                    Err(_) => {
                        self.ask_again(ctx, asked, "Choose how progress counts with one of the buttons.")
                    }
                }
            }
            Question::CreateChallengeGoal { name, description, deadline, kind: Some(kind), group } => {
                let (goal, unit) = match parse_goal_with_unit(*kind, text) {
                    Ok(parsed) => parsed,
                    Err(message) => return self.ask_again(ctx, asked, &message),
                };
                let draft = ChallengeDraft {
                    name: name.clone(),
                    description: description.clone(),
                    deadline: *deadline,
                    unit,
                    goal,
                    // Made in a chat, a challenge starts private; its creator can list it.
                    visibility: Visibility::Private,
                };
                self.create(ctx, draft, *group, asked).await
            }
            _ => self.ask_again(ctx, asked, "Please answer the question."),
        }
    }

    /// A button of this flow: start it, skip the description, a deadline shortcut, a goal kind.
    pub(super) async fn press_create(&self, ctx: &Ctx<'_>, action: Action, asked: Option<&Question>) -> Turn {
        match (action, asked) {
            (Action::Create, _) => {
                self.app.creation_allowed(ctx.user).await?;
                Ok(self.ask(ctx, Question::CreateChallengeName { group: None }))
            }
            (Action::SkipDescription, Some(Question::CreateChallengeDetail { name, group })) => Ok(self.ask(
                ctx,
                Question::CreateChallengeDate {
                    name: name.clone(),
                    description: Description::default(),
                    group: *group,
                },
            )),
            (
                Action::DeadlineIn { days },
                Some(asked @ Question::CreateChallengeDate { name, description, group }),
            ) => {
                let date =
                    ctx.today.checked_add_days(chrono::Days::new(u64::from(days))).unwrap_or(ctx.today);
                match Deadline::parse(date, ctx.today) {
                    Ok(deadline) => Ok(self.ask(
                        ctx,
                        Question::CreateChallengeGoal {
                            name: name.clone(),
                            description: description.clone(),
                            deadline: deadline.date(),
                            kind: None,
                            group: *group,
                        },
                    )),
                    // Beyond five years (a forged payload) or past the last date we store.
                    Err(e) => self.ask_again(ctx, asked, &e.to_string()),
                }
            }
            (Action::Kind(kind), Some(asked @ Question::CreateChallengeGoal { .. })) => {
                Ok(self.ask(ctx, kind_chosen(asked, kind)))
            }
            _ => self.stale(ctx),
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<'_>,
        draft: ChallengeDraft,
        group: Option<GroupChatId>,
        asked: &Question,
    ) -> Turn {
        let goal = draft.goal;
        // Checked when the flow began too; checked again here, where it counts.
        self.app.creation_allowed(ctx.user).await?;
        let made = match group {
            Some(group) => {
                self.app.create_group_challenge(ctx.user, draft, group).await.map(|(c, g)| (c, Some(g)))
            }
            None => self.app.create_challenge(ctx.user, draft).await.map(|c| (c, None)),
        };
        let (challenge, group) = match made {
            Ok(made) => made,
            // The goal cannot be reached by the deadline: ask for another goal.
            Err(AppError::Unreachable(message)) => return self.ask_again(ctx, asked, &message),
            // The deadline was checked when typed, but the day may have turned since: ask again.
            Err(AppError::Invalid(message)) => {
                let Question::CreateChallengeGoal { name, description, group, .. } = asked else {
                    return Err(AppError::Invalid(message));
                };
                let back = Question::CreateChallengeDate {
                    name: name.clone(),
                    description: description.clone(),
                    group: *group,
                };
                let reply = again(&message, question(&back, ctx.today));
                return Ok(Outcome::one(reply, Next::Set(back.into())));
            }
            Err(e) => return Err(e),
        };
        if let Some(group) = group {
            return self.created_for_group(ctx, &challenge, goal, &group).await;
        }
        let text = Text::new()
            .bold("🏁 Challenge created!")
            .plain("\n\n")
            .append(challenge_details(&challenge, self.app.today_of(&challenge)));
        let text = goal_phrase(text.plain("\nGoal: "), goal, challenge.unit.as_ref())
            .plain("\n\nYou have joined it with that goal. It is ")
            .bold("private")
            .plain(": only people you send its invite link to can see and join it.");
        let invite = self.app.invite(Some(ctx.user), challenge.id, None).await?;
        let text = match &invite.link {
            Some(link) => text.plain("\n\nInvite link: ").plain(link.clone()),
            None => text,
        };
        let mut reply = Reply::new(text);
        if let Some(share) = invite.share_url() {
            reply = reply.link("📤 Share the invite link", share);
        }
        let reply = reply
            .row(vec![
                button(
                    super::progress::progress_label(challenge.goal_kind),
                    Action::Progress { challenge: challenge.id },
                ),
                button("Open challenge", Action::Open { challenge: challenge.id, page: 0 }),
            ])
            .row(vec![
                button("👥 Invite & visibility", Action::Invite { challenge: challenge.id }),
                button("Main menu", Action::Menu),
            ])
            .effect(format!("Created {}", challenge.name));
        Ok(Outcome::one(reply, Next::Main))
    }
}

/// The goal question once its kind is chosen (by a button or typed).
fn kind_chosen(asked: &Question, kind: GoalKind) -> Question {
    let mut next = asked.clone();
    if let Question::CreateChallengeGoal { kind: chosen, .. } = &mut next {
        *chosen = Some(kind);
    }
    next
}
