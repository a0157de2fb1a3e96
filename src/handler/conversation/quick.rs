//! The daily path: logging today's number in as few inputs as possible.
//!
//! - The main menu carries up to four of the person's running challenges, most recently used
//!   first, each a one-tap button ([`Action::QuickLog`]): a days challenge checks in for today on
//!   the tap; the others ask for the number (`LOG_TODAY`) and log it for today.
//! - A typed message that reads as progress ("5", "5 km", "1,5", "5 yesterday", "5 28.11") is
//!   progress: for the challenge whose screen is open, or the person's only running challenge;
//!   with several, it asks which (`LOG_WHICH`). `/log` does the same from anywhere.
//! - Every confirmation carries "📅 Another day" (moves that entry) and "↩️ Undo".

use chrono::NaiveDate;

use super::answers::{TypedProgress, parse_progress, unit_fits};
use super::payload::Action;
use super::reply::{Button, Expect, Reply, Text};
use super::screens::{self, button, cancel_row, name_label};
use super::{Conversation, Ctx, Next, Outcome, Question, Screen, State, Turn};
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeId};
use crate::goal::{GoalKind, Membership};
use crate::handler::app::AppError;

/// One-tap challenges on the main menu.
pub(super) const MENU_CHALLENGES: u32 = 4;
/// Challenges offered when a typed number could be for several.
const PICK_CHALLENGES: u32 = 8;

/// Units whose "at most" challenges are about one's weight.
const WEIGHTS: [&str; 6] = ["kg", "kgs", "lb", "lbs", "st", "pounds"];

/// The question for today's number, in the words of the kind and unit.
pub(super) fn question(asked: &Question) -> Reply {
    let Question::LogToday { challenge, kind, unit } = asked else {
        unreachable!("{} is not a question of the daily path", asked.name())
    };
    let unit_word = unit.as_ref().map(|u| crate::text::unit_for(u.as_str(), false).into_owned());
    let ask = match (kind, &unit_word) {
        (GoalKind::AtMost, Some(u)) if WEIGHTS.contains(&u.to_lowercase().as_str()) => {
            "What did you weigh today?".to_owned()
        }
        (GoalKind::AtMost, Some(u)) => format!("What is today's value, in {u}?"),
        (GoalKind::AtMost, None) => "What is today's value?".to_owned(),
        (GoalKind::AtLeast, Some(u)) => format!("What is your best today, in {u}?"),
        (GoalKind::AtLeast, None) => "What is your best today?".to_owned(),
        (_, Some(u)) => format!("How many {u} today?"),
        (_, None) => "How much today?".to_owned(),
    };
    Reply::new(
        Text::new()
            .plain(ask)
            .plain(" Type a number, for example 5 or 2.5; for another day add it, as in \"5 yesterday\"."),
    )
    .row(vec![button("Cancel", Action::Open { challenge: *challenge, page: 0 })])
    .expecting(Expect::Number)
}

/// The one-tap buttons for the main menu: "➕ Run", "✔️ Meditate", "✅ Meditate" once done today.
pub(super) fn menu_rows(challenges: &[Membership], today: NaiveDate) -> Vec<Vec<Button>> {
    challenges
        .iter()
        .map(|m| {
            let c = &m.challenge;
            let name = name_label(c.name.as_str());
            let label = match c.goal_kind {
                GoalKind::Days if m.tally.last_date == Some(today) => format!("✅ {name}"),
                GoalKind::Days => format!("✔️ {name}"),
                _ => format!("➕ {name}"),
            };
            vec![button(label, Action::QuickLog { challenge: c.id })]
        })
        .collect()
}

impl Conversation {
    /// A one-tap button: check in, or ask for today's number.
    pub(super) async fn quick_log(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.open_membership(id, ctx.user).await?.challenge;
        if !challenge.goal_kind.takes_values() {
            return self.log_typed(ctx, challenge, None, None, None).await;
        }
        let next =
            Question::LogToday { challenge: id, kind: challenge.goal_kind, unit: challenge.unit.clone() };
        let reply = screens::with_note(question(&next), Text::new().user_bold(challenge.name.as_str()));
        Ok(Outcome::one(reply, Next::Set(next.into())))
    }

    /// A typed answer to `LOG_TODAY`.
    pub(super) async fn answer_log_today(&self, ctx: &Ctx<'_>, asked: &Question, text: &str) -> Turn {
        let Question::LogToday { challenge, unit, .. } = asked else {
            return self.ask_again(ctx, asked, "Please answer the question.");
        };
        match parse_progress(text, ctx.today) {
            TypedProgress::Value { value, unit: typed, date } => {
                match unit_fits(typed.as_deref(), unit.as_ref()) {
                    Ok(()) => {
                        let challenge = self.app.challenge(*challenge).await?;
                        self.log_typed(ctx, challenge, Some(value), date, Some(asked)).await
                    }
                    Err(message) => self.ask_again(ctx, asked, &message),
                }
            }
            TypedProgress::Invalid(message) => self.ask_again(ctx, asked, &message),
            // The question repeats how to answer; the refusal only says what was wrong.
            TypedProgress::NotProgress => self.ask_again(ctx, asked, "That is not a number."),
        }
    }

    /// A typed message outside any question that may be progress: for the open challenge, the
    /// only running one, or (asked) one of several. `None` when it is not progress at all.
    pub(super) async fn typed_progress(
        &self,
        ctx: &Ctx<'_>,
        text: &str,
        state: Option<&State>,
    ) -> Option<Turn> {
        let (value, unit, date) = match parse_progress(text, ctx.today) {
            TypedProgress::NotProgress => return None,
            TypedProgress::Invalid(message) => {
                return Some(self.progress_refused(ctx, state, &message).await);
            }
            TypedProgress::Value { value, unit, date } => (value, unit, date),
        };
        Some(self.log_somewhere(ctx, value, unit, date, state).await)
    }

    async fn log_somewhere(
        &self,
        ctx: &Ctx<'_>,
        value: Amount,
        unit: Option<String>,
        date: Option<NaiveDate>,
        state: Option<&State>,
    ) -> Turn {
        if let Some(State::Screen(Screen::ViewChallengeOptions { challenge, .. })) = state {
            let found = self.app.challenge(*challenge).await?;
            if found.goal_kind.takes_values() {
                if let Err(message) = unit_fits(unit.as_deref(), found.unit.as_ref()) {
                    return self.progress_refused(ctx, state, &message).await;
                }
                return self.log_typed(ctx, found, Some(value), date, None).await;
            }
        }
        let running = self.app.recently_active(ctx.user, PICK_CHALLENGES).await?;
        let numeric: Vec<&Membership> =
            running.iter().filter(|m| m.challenge.goal_kind.takes_values()).collect();
        // A unit typed with the number picks the challenge that counts in it.
        let by_unit: Vec<&Membership> = match &unit {
            Some(u) => numeric
                .iter()
                .copied()
                .filter(|m| unit_fits(Some(u), m.challenge.unit.as_ref()).is_ok())
                .collect(),
            None => numeric.clone(),
        };
        match (numeric.as_slice(), by_unit.as_slice()) {
            ([], _) if running.is_empty() => Ok(Outcome::main(Some(Text::new().italic(
                "That looks like progress, but you are not in a running challenge: join or create one first.",
            )))),
            ([], _) => Ok(Outcome::main(Some(
                Text::new()
                    .italic("Your running challenges count days: tap one below to check in for today."),
            ))),
            (_, [only]) => self.log_typed(ctx, only.challenge.clone(), Some(value), date, None).await,
            // A unit that none of them counts in: say why, rather than offer challenges that
            // would each refuse it.
            ([only], []) => {
                let message = unit_fits(unit.as_deref(), only.challenge.unit.as_ref()).unwrap_err();
                self.progress_refused(ctx, state, &message).await
            }
            (_, []) => {
                let typed = unit.as_deref().unwrap_or_default();
                let message = format!(
                    "None of your running challenges counts in {typed}: type the number alone, or in a challenge's unit."
                );
                self.progress_refused(ctx, state, &message).await
            }
            (_, offered) => {
                // With a unit typed, the number is shown in it ("3 km: which challenge…").
                let shown_unit = unit.as_ref().and(offered.first().and_then(|m| m.challenge.unit.clone()));
                let text = screens::quantity(Text::new(), value, shown_unit.as_ref(), true);
                let next = Question::LogWhich { value, unit, date };
                let mut reply = Reply::new(text.plain(": which challenge is it for?"));
                for m in offered {
                    reply = reply.row(vec![button(
                        name_label(m.challenge.name.as_str()),
                        Action::LogFor { challenge: m.challenge.id },
                    )]);
                }
                Ok(Outcome::one(reply.row(cancel_row()), Next::Set(next.into())))
            }
        }
    }

    /// A challenge chosen for the typed number waiting in `LOG_WHICH`.
    pub(super) async fn log_for(&self, ctx: &Ctx<'_>, id: ChallengeId, asked: Option<&Question>) -> Turn {
        let Some(Question::LogWhich { value, unit, date }) = asked else { return self.stale(ctx) };
        let challenge = self.app.challenge(id).await?;
        if let Err(message) = unit_fits(unit.as_deref(), challenge.unit.as_ref()) {
            return Ok(Outcome::main(Some(Text::new().italic(format!("⚠️ {message}")))));
        }
        self.log_typed(ctx, challenge, Some(*value), *date, None).await
    }

    /// `/log [number]`: the daily path from anywhere.
    pub(super) async fn log_command(&self, ctx: &Ctx<'_>, arg: Option<&str>, state: Option<&State>) -> Turn {
        if let Some(text) = arg {
            return match self.typed_progress(ctx, text, state).await {
                Some(turn) => turn,
                None => Ok(Outcome::main(Some(
                    Text::new().italic("Type /log with a number, as in /log 5, or just /log."),
                ))),
            };
        }
        let running = self.app.recently_active(ctx.user, PICK_CHALLENGES).await?;
        match running.as_slice() {
            [] => Ok(Outcome::main(Some(
                Text::new().italic("You are not in a running challenge: join or create one first."),
            ))),
            [only] => self.quick_log(ctx, only.challenge.id).await,
            several => {
                let mut reply = Reply::new(Text::new().plain("Log for which challenge?"));
                for row in menu_rows(several, ctx.today) {
                    reply = reply.row(row);
                }
                Ok(Outcome::one(reply.row(vec![button("Main menu", Action::Menu)]), Next::Main))
            }
        }
    }

    /// Logs for today (or `date`), and answers with the confirmation; a refusal asks again where
    /// a question was asked, and otherwise says why on the challenge's screen.
    async fn log_typed(
        &self,
        ctx: &Ctx<'_>,
        challenge: Challenge,
        value: Option<Amount>,
        date: Option<NaiveDate>,
        asked: Option<&Question>,
    ) -> Turn {
        let (id, date) = (challenge.id, date.unwrap_or(ctx.today));
        match self.app.add_progress_to(challenge, ctx.user, value, date, ctx.key.cloned()).await {
            Ok(logged) => self.logged_outcome(ctx, &logged).await,
            Err(AppError::Invalid(message)) => match asked {
                Some(asked) => self.ask_again(ctx, asked, &message),
                None => Ok(self.open(ctx, id, 0).await?.note(Text::new().italic(format!("⚠️ {message}")))),
            },
            Err(e @ AppError::AlreadyCheckedIn { .. }) => Ok(self
                .open(ctx, id, 0)
                .await?
                .note(Text::new().italic(format!("✋ {e} Nothing was added.")))),
            Err(e) => Err(e),
        }
    }

    async fn progress_refused(&self, ctx: &Ctx<'_>, state: Option<&State>, message: &str) -> Turn {
        let note = Text::new().italic(format!("⚠️ {message}"));
        match state {
            Some(State::Screen(screen)) => Ok(self.show(ctx, screen).await?.note(note)),
            _ => Ok(Outcome::main(Some(note))),
        }
    }
}
