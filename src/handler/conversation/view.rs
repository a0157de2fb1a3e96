//! Looking at one's challenges: the list (`VIEW_CHALLENGE_JOINED`), one challenge and what can be
//! done with it (`VIEW_CHALLENGE_OPTIONS`), and its leaderboard.

use super::payload::Action;
use super::reply::{Reply, Text};
use super::screens::{
    self, LEADERBOARD_SIZE, PAGE_SIZE, button, challenge_details, day_phrase, goal_phrase, leaderboard_line,
    name_label, nav_row, page_heading, progress_lines, with_note,
};
use super::{Conversation, Ctx, Next, Outcome, Screen, Turn};
use crate::challenge::ChallengeId;
use crate::goal::Goal;
use crate::handler::app::AppError;
use crate::repository::Page;

impl Conversation {
    /// The user's challenges: one page, with their own figures in each (a constant number of
    /// statements per page).
    pub(super) async fn mine(&self, ctx: &Ctx<'_>, page: u32) -> Turn {
        let mut page = page;
        let mut list = self.app.memberships(ctx.user, None, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        if list.items.is_empty() && page > 0 && list.total > 0 {
            // The list shrank: show its last page.
            page = screens::pages(list.total) - 1;
            list = self.app.memberships(ctx.user, None, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        }
        if list.total == 0 {
            let reply = Reply::new(Text::new().plain("You have not joined any challenge yet."))
                .row(vec![
                    button("Join challenge", Action::Browse { page: 0 }),
                    button("Create challenge", Action::Create),
                ])
                .row(vec![button("Main menu", Action::Menu)]);
            return Ok(Outcome::one(reply, Next::Main));
        }
        let mut text = page_heading(Text::new().bold("Your challenges"), page, list.total).plain("\n");
        let mut rows = Vec::with_capacity(list.items.len() + 2);
        for m in &list.items {
            let c = &m.challenge;
            let goal = Goal::from_stored(c.goal_kind, m.participant.goal);
            text = text.plain("\n• ").user(c.name.as_str()).plain(": ");
            text = screens::figures(text, goal, c.unit.as_ref(), &m.tally)
                .plain(format!(" · {}", goal.share(&m.tally)));
            if m.participant.completed_at.is_some() {
                text = text.plain(" ✅");
            }
            if c.has_ended(ctx.today) {
                text = text.italic(" (ended)");
            }
            rows.push(vec![button(name_label(c.name.as_str()), Action::Open { challenge: c.id, page })]);
        }
        let mut reply = Reply::new(text);
        reply.buttons = rows;
        let reply = reply
            .row(nav_row(page, list.total, |page| Action::Mine { page }))
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeJoined { page }.into())))
    }

    pub(super) async fn open(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
        let overview = self.app.overview(id, Some(ctx.user)).await?;
        let Some(me) = overview.me else { return Err(AppError::NotParticipant(id)) };
        let c = &overview.challenge;
        let goal = Goal::from_stored(c.goal_kind, me.standing.participant.goal);
        let tally = &me.standing.tally;
        let text = challenge_details(c, ctx.today);
        let text = goal_phrase(text.plain("\n\nYour goal: "), goal, c.unit.as_ref());
        let text = progress_lines(text.plain("\nYour progress: "), goal, c.unit.as_ref(), tally)
            .plain(format!("\nRank: {} of {}", me.rank, overview.leaderboard.len()));
        let text = match (me.standing.participant.completed_at, tally.last_date) {
            (Some(_), _) => text.plain("\n✅ Goal reached"),
            (None, Some(last)) => text.plain(format!("\nLast entry: {}", day_phrase(last, ctx.today))),
            (None, None) => text,
        };
        let mut reply = Reply::new(text);
        if c.is_active(ctx.today) {
            reply = reply
                .row(vec![
                    button(super::progress::progress_label(c.goal_kind), Action::Progress { challenge: id }),
                    button("Update goal", Action::Goal { challenge: id }),
                ])
                .row(vec![
                    button("Leaderboard", Action::Leaderboard { challenge: id }),
                    button("Undo last entry", Action::Undo { challenge: id }),
                ]);
        } else {
            reply = with_note(reply, Text::new().italic("This challenge has ended."))
                .row(vec![button("Leaderboard", Action::Leaderboard { challenge: id })]);
        }
        let reply = reply.row(vec![button("Back", Action::Mine { page })]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page }.into())))
    }

    pub(super) async fn leaderboard(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let overview = self.app.overview(id, Some(ctx.user)).await?;
        let c = &overview.challenge;
        let unit = c.unit.as_ref();
        let mut text = Text::new().bold("🏆 Leaderboard: ").user_bold(c.name.as_str()).plain("\n");
        if overview.leaderboard.is_empty() {
            text = text.plain("\nNobody has joined yet.");
        }
        for r in overview.leaderboard.iter().take(LEADERBOARD_SIZE) {
            text = leaderboard_line(text.plain("\n"), r, c.goal_kind, unit, ctx.user);
        }
        if let Some(me) = &overview.me
            && me.rank as usize > LEADERBOARD_SIZE
        {
            if me.rank as usize > LEADERBOARD_SIZE + 1 {
                text = text.plain("\n…");
            }
            text = leaderboard_line(text.plain("\n"), me, c.goal_kind, unit, ctx.user);
        }
        text =
            text.italic("\n\nRanked by share of each person's own goal; ties go to whoever got there first.");
        if overview.me.is_some() {
            let reply = Reply::new(text).row(vec![
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
                button("Main menu", Action::Menu),
            ]);
            Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into())))
        } else {
            let mut row = Vec::new();
            if c.is_active(ctx.today) {
                row.push(button("Join it", Action::Pick { challenge: id, page: 0 }));
            }
            row.push(button("Main menu", Action::Menu));
            Ok(Outcome::one(Reply::new(text).row(row), Next::Main))
        }
    }
}
