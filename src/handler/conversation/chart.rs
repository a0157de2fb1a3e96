//! Pictures and files: a challenge's chart (everyone's standings, or one's own entries by day)
//! and exports (`/export` for one's own entries; a challenge's creator can take everyone's).
//!
//! The reply carries only what to make ([`Attachment`]) with a caption of the key figures, read
//! now; the file itself is made when the reply is delivered (see [`crate::handler::media`]).

use super::payload::Action;
use super::reply::{Reply, Text};
use super::screens::{button, ordinal, pace_lines, progress_lines, standing_phrase};
use super::{Conversation, Ctx, Next, Outcome, Turn};
use crate::challenge::ChallengeId;
use crate::goal::{Goal, Pace};
use crate::handler::app::{AppError, CHART_LINES};
use crate::handler::media::Attachment;
use crate::progress::ExportedEntry;

impl Conversation {
    /// "📈 Chart" and "📊 My entries chart" on a challenge's screen.
    pub(super) async fn chart(&self, ctx: &Ctx<'_>, id: ChallengeId, personal: bool) -> Turn {
        let challenge = self.app.challenge(id).await?;
        let position = self.app.position_in(&challenge, ctx.user).await?;
        // A private challenge's chart is for the people in it.
        if !challenge.visibility.is_public() && position.is_none() && challenge.creator != ctx.user {
            return Err(AppError::Private(id));
        }
        let unit = challenge.unit.as_ref();
        let mut text =
            Text::new().plain(if personal { "📊 " } else { "📈 " }).user_bold(challenge.name.as_str());
        let mut row = Vec::with_capacity(2);
        match (&position, personal) {
            (None, true) => return Err(AppError::NotParticipant(id)),
            (Some(position), true) => {
                let me = &position.me.standing;
                let goal = Goal::from_stored(challenge.goal_kind, me.participant.goal);
                text = text.plain("\nYour entries by day, and your standing as a line.\n");
                text = progress_lines(text, goal, unit, &me.tally);
                row.push(button("📈 Everyone's chart", Action::Chart { challenge: id, personal: false }));
            }
            (position, false) => {
                text = text.plain(format!(
                    "\nStandings over time: the top {CHART_LINES}{}, the goal and the deadline.",
                    if position.is_some() { " and you, with your pace dashed" } else { "" }
                ));
                if let Some(position) = position {
                    let me = &position.me;
                    text = standing_phrase(
                        text.plain(format!("\nYou: {} of {} · ", ordinal(me.rank), position.participants)),
                        challenge.goal_kind,
                        unit,
                        &me.standing.tally,
                    );
                    let goal = Goal::from_stored(challenge.goal_kind, me.standing.participant.goal);
                    let from = me.standing.participant.joined_at.date_naive().max(challenge.start_date);
                    if let Some(pace) =
                        Pace::of(goal, &me.standing.tally, from, challenge.deadline, ctx.today)
                    {
                        text = pace_lines(text.plain("\n"), &challenge, pace, ctx.today);
                    }
                    row.push(button("📊 My entries chart", Action::Chart { challenge: id, personal: true }));
                }
            }
        }
        row.push(button("Back to challenge", Action::Open { challenge: id, page: 0 }));
        let reply =
            Reply::new(text).attach(Attachment::Chart { challenge: id, viewer: ctx.user, personal }).row(row);
        Ok(Outcome::one(reply, Next::Keep))
    }

    /// `/export`: the person's own entries in every challenge, as a CSV file.
    pub(super) async fn export_mine(&self, ctx: &Ctx<'_>) -> Turn {
        let entries = self.app.user_entries(ctx.user).await?;
        if entries.is_empty() {
            let note = Text::new().italic("You have not logged anything yet, so there is nothing to export.");
            return Ok(Outcome::main(Some(note)));
        }
        let text = Text::new().plain("📄 Your entries, as CSV: ").plain(summary(&entries)).plain(
            ".\nColumns: challenge_id, challenge, date, value (a check-in is 1), unit, logged_at (UTC).",
        );
        let reply = Reply::new(text)
            .attach(Attachment::Export { user: ctx.user, challenge: None })
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Keep))
    }

    /// "Export entries" on the creator's screen: everyone's entries in the challenge, named by
    /// their display names.
    pub(super) async fn export_challenge(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.own_challenge(ctx.user, id).await?;
        let (_, entries) = self.app.challenge_entries(id).await?;
        let back = vec![button("Back to challenge", Action::Open { challenge: id, page: 0 })];
        if entries.is_empty() {
            let text = Text::new()
                .plain("Nobody has logged anything in ")
                .user(challenge.name.as_str())
                .plain(" yet, so there is nothing to export.");
            return Ok(Outcome::one(Reply::new(text).notice().row(back), Next::Keep));
        }
        let text = Text::new()
            .plain("📄 Everyone's entries in ")
            .user_bold(challenge.name.as_str())
            .plain(", as CSV: ")
            .plain(summary(&entries))
            .plain(".\nPeople are named by their display names. Columns: challenge_id, challenge, name, date, value (a check-in is 1), unit, logged_at (UTC).");
        let reply =
            Reply::new(text).attach(Attachment::Export { user: ctx.user, challenge: Some(id) }).row(back);
        Ok(Outcome::one(reply, Next::Keep))
    }
}

/// "12 entries in 2 challenges", "1 entry by 1 person".
fn summary(entries: &[ExportedEntry]) -> String {
    let rows = if entries.len() == 1 { "1 entry".to_owned() } else { format!("{} entries", entries.len()) };
    let mut challenges: Vec<i64> = entries.iter().map(|e| e.challenge.0).collect();
    challenges.dedup();
    match challenges.len() {
        1 => rows,
        n => format!("{rows} in {n} challenges"),
    }
}
