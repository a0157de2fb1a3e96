//! Logging progress: how much (`ADD_PROGRESS`), for which day (`ADD_PROGRESS_DATE`, or typed:
//! `ADD_PROGRESS_DATE_INPUT`), then the confirmation (and the celebration when it completes the
//! goal). A days challenge skips the amount: a check-in is for a day.

use chrono::NaiveDate;

use super::answers::parse_amount_for;
use super::payload::{Action, DayChoice};
use super::reply::{Expect, Reply, Text};
use super::screens::{
    self, amount_hint, back_to, button, day_phrase, on_day, progress_lines, quantity, with_note,
};
use super::{Conversation, Ctx, Next, Outcome, Question, Turn, again};
use crate::amount::Amount;
use crate::challenge::{ChallengeId, Unit};
use crate::clock::parse_date;
use crate::goal::GoalKind;
use crate::handler::app::{AppError, ProgressLogged};

/// The button that logs progress in a challenge of this kind.
pub(super) fn progress_label(kind: GoalKind) -> &'static str {
    if kind.takes_values() { "Add progress" } else { "Check in" }
}

/// The questions of this flow.
pub(super) fn question(asked: &Question, today: NaiveDate) -> Reply {
    match asked {
        Question::AddProgress { challenge, unit, .. } => {
            Reply::new(Text::new().plain("How much did you do?").append(amount_hint(unit.as_ref())))
                .row(back_to(*challenge))
                .expecting(Expect::Number)
        }
        Question::AddProgressDate { challenge, value, unit, start } => {
            let text = match value {
                Some(v) => quantity(Text::new(), *v, unit.as_ref(), true).plain(": which day is it for?"),
                None => Text::new().plain("Check in for which day?"),
            };
            let mut days =
                vec![button("Today", Action::Day { challenge: *challenge, day: DayChoice::Today })];
            if today.pred_opt().is_some_and(|y| y >= *start) {
                days.push(button(
                    "Yesterday",
                    Action::Day { challenge: *challenge, day: DayChoice::Yesterday },
                ));
            }
            days.push(button("Other date", Action::Day { challenge: *challenge, day: DayChoice::Other }));
            Reply::new(text).row(days).row(back_to(*challenge)).expecting(Expect::Date)
        }
        Question::AddProgressDateInput { challenge, start, .. } => {
            Reply::new(Text::new().plain(screens::day_prompt(*start, today, today)))
                .row(back_to(*challenge))
                .expecting(Expect::Date)
        }
        other => unreachable!("{} is not a question of the progress flow", other.name()),
    }
}

/// "5 km on 2026-03-01 (today)" or "the check-in for 2026-03-01".
pub(super) fn entry_phrase(
    text: Text,
    value: Option<Amount>,
    unit: Option<&Unit>,
    date: NaiveDate,
    today: NaiveDate,
) -> Text {
    match value {
        Some(v) => quantity(text, v, unit, true).plain(format!(" {}", on_day(date, today))),
        None => text.plain(format!("the check-in for {}", day_phrase(date, today))),
    }
}

impl Conversation {
    pub(super) async fn start_progress(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.open_membership(id, ctx.user).await?.challenge;
        let unit = challenge.unit.clone();
        let start = challenge.start_date;
        let next = if challenge.goal_kind.takes_values() {
            Question::AddProgress { challenge: id, unit, start }
        } else {
            Question::AddProgressDate { challenge: id, value: None, unit, start }
        };
        let reply = with_note(question(&next, ctx.today), Text::new().user_bold(challenge.name.as_str()));
        Ok(Outcome::one(reply, Next::Set(next.into())))
    }

    /// A typed answer: the amount, or the day.
    pub(super) async fn answer_progress(&self, ctx: &Ctx<'_>, asked: &Question, text: &str) -> Turn {
        match asked {
            Question::AddProgress { challenge, unit, start } => match parse_amount_for(unit.as_ref(), text) {
                Ok(value) => Ok(self.ask(
                    ctx,
                    Question::AddProgressDate {
                        challenge: *challenge,
                        value: Some(value),
                        unit: unit.clone(),
                        start: *start,
                    },
                )),
                Err(message) => self.ask_again(ctx, asked, &message),
            },
            Question::AddProgressDate { challenge, value, .. }
            | Question::AddProgressDateInput { challenge, value, .. } => match parse_date(text, ctx.today) {
                Ok(date) => self.log(ctx, *challenge, *value, date, asked).await,
                Err(e) => self.ask_again(ctx, asked, &e.to_string()),
            },
            _ => self.ask_again(ctx, asked, "Please answer the question."),
        }
    }

    /// A day button: today, yesterday, or "let me type it".
    pub(super) async fn press_day(
        &self,
        ctx: &Ctx<'_>,
        challenge: ChallengeId,
        day: DayChoice,
        asked: Option<&Question>,
    ) -> Turn {
        let Some(
            asked @ (Question::AddProgressDate { challenge: c, value, unit, start }
            | Question::AddProgressDateInput { challenge: c, value, unit, start }),
        ) = asked
        else {
            return self.stale(ctx);
        };
        if *c != challenge {
            return self.stale(ctx);
        }
        match day {
            DayChoice::Today => self.log(ctx, challenge, *value, ctx.today, asked).await,
            DayChoice::Yesterday => {
                let yesterday = ctx.today.pred_opt().unwrap_or(ctx.today);
                self.log(ctx, challenge, *value, yesterday, asked).await
            }
            DayChoice::Other => Ok(self.ask(
                ctx,
                Question::AddProgressDateInput {
                    challenge,
                    value: *value,
                    unit: unit.clone(),
                    start: *start,
                },
            )),
        }
    }

    async fn log(
        &self,
        ctx: &Ctx<'_>,
        id: ChallengeId,
        value: Option<Amount>,
        date: NaiveDate,
        asked: &Question,
    ) -> Turn {
        let logged = match self.app.add_progress(id, ctx.user, value, date, ctx.key.cloned()).await {
            Ok(logged) => logged,
            // A date the challenge refuses: ask for another one (unless it has ended meanwhile).
            Err(AppError::Invalid(message)) => {
                self.app.open_challenge(id).await?;
                let next = match asked {
                    Question::AddProgressDate { challenge, value, unit, start }
                    | Question::AddProgressDateInput { challenge, value, unit, start } => {
                        Question::AddProgressDateInput {
                            challenge: *challenge,
                            value: *value,
                            unit: unit.clone(),
                            start: *start,
                        }
                    }
                    _ => return Err(AppError::Invalid(message)),
                };
                return Ok(Outcome::one(again(&message, question(&next, ctx.today)), Next::Set(next.into())));
            }
            // Nothing stored: say so on the challenge's screen.
            Err(e @ AppError::AlreadyCheckedIn { .. }) => {
                let note = Text::new().italic(format!("✋ {e} Nothing was added."));
                return Ok(self.open(ctx, id, 0).await?.note(note));
            }
            Err(e) => return Err(e),
        };
        self.logged_outcome(ctx, &logged).await
    }
}

/// The confirmation of logged progress with where the person stands (pace, a move up, their
/// streak), and the celebration when it completed the goal.
pub(super) fn logged_replies(logged: &ProgressLogged, today: NaiveDate) -> Vec<Reply> {
    let ProgressLogged { challenge, goal, recorded, first_among_others, moved_up, pace } = logged;
    let unit = challenge.unit.as_ref();
    let entry = &recorded.entry;
    let head = if recorded.duplicate {
        Text::new().italic("That entry was already logged; nothing was added.").plain("\n\n")
    } else {
        Text::new()
    };
    let head = match entry.value {
        Some(v) => quantity(head.plain("✅ Logged "), v, unit, true),
        None => head.plain("✅ Checked in"),
    };
    let when = day_phrase(entry.date.date(), today);
    let text = head.plain(format!(" for {when} in ")).user_bold(challenge.name.as_str()).plain(".\n\n");
    let mut text = progress_lines(text.plain("Your progress: "), *goal, unit, &recorded.tally);
    if let Some(pace) = pace {
        text = screens::pace_lines(text.plain("\n"), challenge, *pace, today);
    }
    if let Some(moved) = moved_up {
        text = screens::moved_up_line(text.plain("\n"), moved);
    }
    if let Some(streak) = screens::streak_phrase(&recorded.tally.streak, today) {
        text = text.plain("\n").plain(streak);
    }
    let id = challenge.id;
    // A days challenge takes one check-in a date: after today's, "Check in again" could only
    // be refused (another day is on the challenge's screen).
    let mut next_row = Vec::new();
    if challenge.goal_kind.takes_values() {
        next_row.push(button("Add more", Action::Progress { challenge: id }));
    } else if entry.date.date() != today {
        next_row.push(button("Check in again", Action::Progress { challenge: id }));
    }
    next_row.push(button("Leaderboard", Action::Leaderboard { challenge: id }));
    let summary = match entry.value {
        Some(v) => format!("Logged {} for {when} in {}", screens::quantity_label(v, unit), challenge.name),
        None => format!("Checked in for {when} in {}", challenge.name),
    };
    let mut reply = Reply::new(text);
    if !recorded.duplicate {
        reply = reply.row(vec![
            button("📅 Another day", Action::EntryDate { entry: entry.id }),
            button("↩️ Undo", Action::UndoEntry { entry: entry.id }),
        ]);
    }
    let reply = reply
        .row(next_row)
        .row(vec![
            button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            button("Main menu", Action::Menu),
        ])
        .effect(summary);
    let mut replies = vec![reply];
    if recorded.completed_now && !recorded.duplicate {
        replies.push(screens::celebration(challenge, *goal, &recorded.tally, *first_among_others));
    } else if *first_among_others && !recorded.duplicate {
        replies.push(screens::first_to_finish(challenge));
    }
    replies
}
