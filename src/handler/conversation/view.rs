//! Looking at one's challenges: the list of running ones (`VIEW_CHALLENGE_JOINED`), the ended
//! ones with their final standings (`VIEW_CHALLENGE_ENDED`), one challenge and what can be done
//! with it (`VIEW_CHALLENGE_OPTIONS`), and its leaderboard.

use super::payload::Action;
use super::reply::{Reply, Text};
use super::screens::{
    self, LEADERBOARD_SIZE, PAGE_SIZE, button, challenge_details, day_phrase, first_finisher_line,
    goal_phrase, leaderboard_line, name_label, nav_row, page_heading, progress_lines, standing_phrase,
    with_note,
};
use super::{Conversation, Ctx, Next, Outcome, Screen, Turn};
use crate::challenge::ChallengeId;
use crate::goal::{Goal, MembershipScope, Pace};
use crate::handler::app::AppError;
use crate::repository::Page;

impl Conversation {
    /// The user's challenges that still take entries: one page, most recently active first, with
    /// their own figures in each (a constant number of statements per page), a line for any
    /// challenge of theirs deleted lately, and the way to the ended ones.
    pub(super) async fn mine(&self, ctx: &Ctx<'_>, page: u32) -> Turn {
        let mut page = page;
        let open = MembershipScope::Open(self.app.today_everywhere());
        let mut list = self.app.memberships(ctx.user, open, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        if list.items.is_empty() && page > 0 && list.total > 0 {
            // The list shrank: show its last page.
            page = screens::pages(list.total) - 1;
            list = self.app.memberships(ctx.user, open, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        }
        let ended = list.outside;
        let deletions = if page == 0 { self.app.recent_deletions(ctx.user).await? } else { Vec::new() };
        let mut notes = Text::new();
        for deleted in &deletions {
            notes = notes.italic("🗑 ").user(deleted.name.as_str()).italic(format!(
                " was deleted by its creator on {}.\n",
                crate::clock::friendly_date(deleted.deleted_at.date_naive())
            ));
        }
        let ended_row = || {
            (ended > 0)
                .then(|| vec![button(format!("Ended challenges ({ended})"), Action::Ended { page: 0 })])
        };
        if list.total == 0 {
            let text = if ended > 0 {
                "You are not in any running challenge."
            } else {
                "You have not joined any challenge yet."
            };
            let mut reply = Reply::new(notes.plain(text)).row(vec![
                button("Join challenge", Action::Browse { page: 0 }),
                button("Create challenge", Action::Create),
            ]);
            if let Some(row) = ended_row() {
                reply = reply.row(row);
            }
            let reply = reply.row(vec![button("Main menu", Action::Menu)]);
            return Ok(Outcome::one(reply, Next::Main));
        }
        let heading = if deletions.is_empty() { Text::new() } else { notes.plain("\n") };
        let mut text = page_heading(heading.bold("Your challenges"), page, list.total).plain("\n");
        let mut rows = Vec::with_capacity(list.items.len() + 3);
        for m in &list.items {
            let c = &m.challenge;
            let goal = Goal::from_stored(c.goal_kind, m.participant.goal);
            text = text.plain("\n• ").user(c.name.as_str()).plain(": ");
            text = screens::figures(text, goal, c.unit.as_ref(), &m.tally)
                .plain(format!(" · {}", goal.share(&m.tally)));
            if m.participant.completed_at.is_some() {
                text = text.plain(" ✅");
            }
            if c.has_ended(self.app.today_of(c)) {
                text = text.italic(" (last day to log)");
            }
            rows.push(vec![button(name_label(c.name.as_str()), Action::Open { challenge: c.id, page })]);
        }
        let mut reply = Reply::new(text);
        reply.buttons = rows;
        let mut reply = reply.row(nav_row(page, list.total, |page| Action::Mine { page }));
        if let Some(row) = ended_row() {
            reply = reply.row(row);
        }
        let reply = reply.row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeJoined { page }.into())))
    }

    /// The user's ended challenges, most recently active first, with their final place and
    /// standing in each.
    pub(super) async fn ended(&self, ctx: &Ctx<'_>, page: u32) -> Turn {
        let mut page = page;
        let closed = MembershipScope::Closed(self.app.today_everywhere());
        let mut list = self.app.memberships(ctx.user, closed, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        if list.items.is_empty() && page > 0 && list.total > 0 {
            page = screens::pages(list.total) - 1;
            list = self.app.memberships(ctx.user, closed, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        }
        if list.total == 0 {
            let reply = Reply::new(Text::new().plain("None of your challenges has ended yet.")).row(vec![
                button("My challenges", Action::Mine { page: 0 }),
                button("Main menu", Action::Menu),
            ]);
            return Ok(Outcome::one(reply, Next::Main));
        }
        let mut text = page_heading(Text::new().bold("Ended challenges"), page, list.total)
            .plain("\nFinal standings: your place and your standing in each.\n");
        let mut rows = Vec::with_capacity(list.items.len() + 2);
        for m in &list.items {
            let c = &m.challenge;
            let position = self.app.position_in(c, ctx.user).await?;
            text = text.plain("\n• ").user(c.name.as_str()).plain(": ");
            if let Some(position) = &position {
                let rank = position.me.rank;
                let place = if rank == 1 && m.tally.entries > 0 {
                    "🏆 1st".to_owned()
                } else {
                    screens::ordinal(rank)
                };
                text = text.bold(place).plain(format!(" of {} · ", position.participants));
            }
            text = standing_phrase(text, c.goal_kind, c.unit.as_ref(), &m.tally);
            if m.participant.completed_at.is_some() {
                text = text.plain(" ✅");
            }
            text = text.italic(format!(" (ended {})", crate::clock::friendly_date(c.deadline)));
            rows.push(vec![button(name_label(c.name.as_str()), Action::Leaderboard { challenge: c.id })]);
        }
        let mut reply = Reply::new(text);
        reply.buttons = rows;
        let reply = reply
            .row(nav_row(page, list.total, |page| Action::Ended { page }))
            .row(vec![button("My challenges", Action::Mine { page: 0 }), button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeEnded { page }.into())))
    }

    pub(super) async fn open(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
        let (c, position) = self.app.own_position(id, ctx.user).await?;
        let (c, me) = (&c, &position.me);
        // Whether it runs, takes entries or has ended is told where its days are counted.
        let own_today = self.app.today_of(c);
        let unit = c.unit.as_ref();
        let goal = Goal::from_stored(c.goal_kind, me.standing.participant.goal);
        let tally = &me.standing.tally;
        let text = challenge_details(c, own_today);
        let text = goal_phrase(text.plain("\n\nYour goal: "), goal, unit);
        let text = progress_lines(text.plain("\nYour progress: "), goal, unit, tally);
        let text = standing_phrase(
            text.plain(format!("\n{}: ", c.goal_kind.standing_label())),
            c.goal_kind,
            unit,
            tally,
        )
        .plain(format!(" · rank {} of {}", me.rank, position.participants));
        let mut text = match (me.standing.participant.completed_at, tally.last_date) {
            (Some(_), _) => text.plain("\n✅ Goal reached"),
            (None, Some(last)) => text.plain(format!("\nLast entry: {}", day_phrase(last, ctx.today))),
            (None, None) => text,
        };
        let streak = &tally.streak;
        if let Some(phrase) = screens::streak_phrase(streak, ctx.today) {
            text = text.plain(format!("\n{phrase}, best {}", streak.best.max(streak.current_on(ctx.today))));
        } else if streak.best >= 2 {
            text = text.plain(format!("\nBest streak: {} days", streak.best));
        }
        let from = me.standing.participant.joined_at.date_naive().max(c.start_date);
        if let Some(pace) = Pace::of(goal, tally, from, c.deadline, ctx.today) {
            text = screens::pace_lines(text.plain("\n"), c, pace, ctx.today);
        }
        if let Some(first) = &position.first_finisher {
            text = first_finisher_line(text.plain("\n"), first, c.first_finisher == Some(ctx.user));
        }
        let mut reply = Reply::new(text);
        let is_creator = c.creator == ctx.user;
        if c.is_active(own_today) {
            reply = reply
                .row(vec![
                    button(super::progress::progress_label(c.goal_kind), Action::Progress { challenge: id }),
                    button("Update goal", Action::Goal { challenge: id }),
                ])
                .row(vec![
                    button("Leaderboard", Action::Leaderboard { challenge: id }),
                    button("My entries", Action::History { challenge: id, page: 0 }),
                ])
                .row(vec![
                    button("📈 Chart", Action::Chart { challenge: id, personal: false }),
                    button("Undo last entry", Action::Undo { challenge: id }),
                ]);
        } else if c.accepts_entries(own_today) {
            reply = with_note(
                reply,
                Text::new().italic(format!(
                    "The deadline has passed: entries for it and earlier days can still be logged today, {}.",
                    crate::clock::friendly_date(ctx.today)
                )),
            )
            .row(vec![
                button(super::progress::progress_label(c.goal_kind), Action::Progress { challenge: id }),
                button("Leaderboard", Action::Leaderboard { challenge: id }),
            ])
            .row(vec![
                button("My entries", Action::History { challenge: id, page: 0 }),
                button("Undo last entry", Action::Undo { challenge: id }),
            ])
            .row(vec![button("📈 Chart", Action::Chart { challenge: id, personal: false })]);
        } else {
            reply =
                with_note(reply, Text::new().italic("This challenge has ended; its standings are final."))
                    .row(vec![
                        button("Final standings", Action::Leaderboard { challenge: id }),
                        button("My entries", Action::History { challenge: id, page: 0 }),
                    ])
                    .row(vec![button("📈 Chart", Action::Chart { challenge: id, personal: false })]);
        }
        let mut last = if is_creator {
            vec![button("Manage challenge", Action::Manage { challenge: id })]
        } else {
            vec![button("Leave challenge", Action::Leave { challenge: id })]
        };
        // Others can join until the deadline: anyone in it may pass the link on.
        if c.is_active(own_today) {
            last.insert(0, button("👥 Invite", Action::Invite { challenge: id }));
        }
        reply = reply.row(last);
        let muted = self.app.news_muted(ctx.user, id).await?;
        reply = reply.row(vec![if muted {
            button("🔔 Turn news on", Action::MuteNews { challenge: id, muted: false })
        } else {
            button("🔕 Mute news", Action::MuteNews { challenge: id, muted: true })
        }]);
        let back = if c.is_final(own_today) { Action::Ended { page: 0 } } else { Action::Mine { page } };
        let reply = reply.row(vec![button("Back", back)]);
        Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page }.into())))
    }

    pub(super) async fn leaderboard(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let board = self.app.board(id, ctx.user, LEADERBOARD_SIZE as u32).await?;
        let c = &board.challenge;
        // A private challenge's standings are for the people in it.
        if !c.visibility.is_public() && board.me.is_none() && c.creator != ctx.user {
            return Err(AppError::Private(id));
        }
        let unit = c.unit.as_ref();
        let title = if board.is_final { "🏆 Final standings: " } else { "🏆 Leaderboard: " };
        let mut text = Text::new().bold(title).user_bold(c.name.as_str()).plain("\n");
        if board.top.is_empty() {
            text = text.plain("\nNobody has joined yet.");
        }
        for r in &board.top {
            text = leaderboard_line(text.plain("\n"), r, c.goal_kind, unit, Some(ctx.user), ctx.today);
        }
        if let Some(me) = &board.me
            && me.rank as usize > LEADERBOARD_SIZE
        {
            if me.rank as usize > LEADERBOARD_SIZE + 1 {
                text = text.plain("\n…");
            }
            text = leaderboard_line(text.plain("\n"), me, c.goal_kind, unit, Some(ctx.user), ctx.today);
        }
        if let Some(first) = &board.first_finisher {
            text = first_finisher_line(text.plain("\n\n"), first, c.first_finisher == Some(ctx.user));
        }
        text = text.italic(format!(
            "\n\n{}; ties go to whoever got there first. Each line also shows the person's own goal and how much of it is done.",
            c.goal_kind.ranking_rule()
        ));
        if board.me.is_some() {
            let reply = Reply::new(text).row(vec![
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
                button("Main menu", Action::Menu),
            ]);
            Ok(Outcome::one(reply, Next::Set(Screen::ViewChallengeOptions { challenge: id, page: 0 }.into())))
        } else {
            let mut row = Vec::new();
            if c.is_active(self.app.today_of(c)) {
                row.push(button("Join it", Action::Pick { challenge: id, page: 0 }));
            }
            row.push(button("Main menu", Action::Menu));
            Ok(Outcome::one(Reply::new(text).row(row), Next::Main))
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ordinals() {
        let got: Vec<String> =
            [1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111].map(super::screens::ordinal).to_vec();
        assert_eq!(
            got,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
        );
    }
}
