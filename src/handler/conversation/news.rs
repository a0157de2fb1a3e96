//! News from the others: "Bob joined your challenge", "Cat passed you — you are now 3rd", "Ann
//! reached her goal", and to everyone when someone is first to meet the challenge's own goal.
//!
//! News is made while the event is handled, as replies addressed to other people
//! ([`Reply::news_for`]): the bot writes them to the outbox in the same transaction as the event,
//! so each event tells each person once, across restarts, and never tells anyone of an event that
//! was rolled back. One event makes at most one message per person (a first finisher who also
//! passed you is one message of two lines). Muted challenges tell nothing; the news message and
//! the challenge's screen carry the mute button. News is delivered at the bulk pace, behind no
//! answer to anyone's own action (`protocol::bot::dispatch`). A group's challenge also tells its
//! group of joins and goals met ([`Conversation::group_line`]).

use super::payload::Action;
use super::reply::{Reply, Text};
use super::screens::{button, name_label, ordinal};
use super::{Conversation, Ctx, Outcome, Turn};
use crate::challenge::{Challenge, ChallengeId};
use crate::handler::app::{AppError, ProgressLogged};
use crate::user::{DisplayName, UserId};

impl Conversation {
    /// "Bob joined your challenge" for its creator.
    pub(super) async fn join_news(
        &self,
        ctx: &Ctx<'_>,
        challenge: &Challenge,
    ) -> Result<Vec<Reply>, AppError> {
        if challenge.creator == ctx.user {
            return Ok(Vec::new());
        }
        let to = self.app.news_recipients(challenge.id, Some(&[challenge.creator])).await?;
        let in_group = self
            .group_line(
                challenge,
                "join",
                "👋 ",
                ctx.name,
                Text::new().plain(" joined ").user_bold(challenge.name.as_str()).plain("."),
            )
            .await?;
        Ok(to
            .into_iter()
            .map(|to| {
                let text = Text::new()
                    .plain("👋 ")
                    .user_bold(ctx.name.as_str())
                    .plain(" joined your challenge ")
                    .user_bold(challenge.name.as_str())
                    .plain(".");
                news(to, challenge, text)
            })
            .chain(in_group)
            .collect())
    }

    /// The news of an entry: to those it passed, and to everyone when it met a goal.
    pub(super) async fn progress_news(
        &self,
        ctx: &Ctx<'_>,
        logged: &ProgressLogged,
    ) -> Result<Vec<Reply>, AppError> {
        if logged.recorded.duplicate {
            return Ok(Vec::new());
        }
        let c = &logged.challenge;
        // Named as the challenge's leaderboard names them.
        let alias = logged.recorded.hidden_as.map(DisplayName::hidden);
        let name = alias.as_ref().unwrap_or(ctx.name);
        // (recipient, lines), in the order people are first told something.
        let mut lines: Vec<(UserId, Vec<Text>)> = Vec::new();
        let goal_line = if logged.first_among_others {
            Some(
                Text::new()
                    .plain("🥇 ")
                    .user_bold(name.as_str())
                    .plain(" is the first to meet the goal of ")
                    .user_bold(c.name.as_str())
                    .plain("!"),
            )
        } else if logged.recorded.completed_now {
            Some(
                Text::new()
                    .plain("🎯 ")
                    .user_bold(name.as_str())
                    .plain(" reached their goal in ")
                    .user_bold(c.name.as_str())
                    .plain("."),
            )
        } else {
            None
        };
        if let Some(moved) = &logged.moved_up {
            for (i, passed) in moved.passed_users.iter().enumerate() {
                let place = moved.to + 1 + i as u32;
                tell(
                    &mut lines,
                    *passed,
                    Text::new()
                        .plain("🏃 ")
                        .user_bold(name.as_str())
                        .plain(" passed you in ")
                        .user_bold(c.name.as_str())
                        .plain(format!(" — you are now {}.", ordinal(place))),
                );
            }
        }
        if goal_line.is_none() && lines.is_empty() {
            return Ok(Vec::new());
        }
        // The challenge's group hears goals met (merged when several come together).
        let in_group = if logged.first_among_others {
            let predicate =
                Text::new().plain(" is the first to meet the goal of ").user_bold(c.name.as_str()).plain("!");
            self.group_line(c, "first", "🥇 ", name, predicate).await?
        } else if logged.recorded.completed_now {
            let predicate =
                Text::new().plain(" reached their goal in ").user_bold(c.name.as_str()).plain("!");
            self.group_line(c, "goal", "🎯 ", name, predicate).await?
        } else {
            None
        };
        // Everyone who hears this challenge's news, in one read.
        let listening = self.app.news_recipients(c.id, None).await?;
        if let Some(line) = goal_line {
            for to in &listening {
                if *to != ctx.user {
                    tell(&mut lines, *to, line.clone());
                }
            }
        }
        Ok(lines
            .into_iter()
            .filter(|(to, _)| listening.contains(to))
            .map(|(to, said)| {
                let mut text = Text::new();
                for (i, line) in said.into_iter().enumerate() {
                    if i > 0 {
                        text = text.plain("\n");
                    }
                    text = text.append(line);
                }
                news(to, c, text)
            })
            .chain(in_group)
            .collect())
    }

    /// The answer to logged progress, with the news it makes for the others.
    pub(super) async fn logged_outcome(&self, ctx: &Ctx<'_>, logged: &ProgressLogged) -> Turn {
        let mut replies = super::progress::logged_replies(logged, ctx.today);
        replies.extend(self.progress_news(ctx, logged).await?);
        Ok(Outcome::many(replies, super::Next::Main))
    }

    /// Mutes (or unmutes) a challenge's news; answered on the message pressed.
    pub(super) async fn mute_news(&self, ctx: &Ctx<'_>, id: ChallengeId, muted: bool) -> Turn {
        let challenge = self.app.set_news_muted(ctx.user, id, muted).await?;
        let text = if muted {
            Text::new().plain("🔕 No more news from ").user_bold(challenge.name.as_str()).plain(
                ". Your own answers still come; turn news back on from here or the challenge's screen.",
            )
        } else {
            Text::new()
                .plain("🔔 You will hear again when someone in ")
                .user_bold(challenge.name.as_str())
                .plain(" joins, passes you or meets a goal.")
        };
        let reply = Reply::new(text)
            .row(vec![button(
                if muted { "🔔 Turn news back on" } else { "🔕 Mute news" },
                Action::MuteNews { challenge: id, muted: !muted },
            )])
            .row(vec![
                button("Open challenge", Action::Open { challenge: id, page: 0 }),
                button("Main menu", Action::Menu),
            ]);
        Ok(Outcome::one(reply, super::Next::Keep))
    }
}

/// Adds a line for `to`: one message per person, however many things there are to tell.
fn tell(lines: &mut Vec<(UserId, Vec<Text>)>, to: UserId, line: Text) {
    match lines.iter_mut().find(|(u, _)| *u == to) {
        Some((_, said)) => said.push(line),
        None => lines.push((to, vec![line])),
    }
}

/// A news message for `to` about `challenge`, with its buttons.
fn news(to: UserId, challenge: &Challenge, text: Text) -> Reply {
    Reply::new(text)
        .row(vec![
            button(
                format!("Open {}", name_label(challenge.name.as_str())),
                Action::Open { challenge: challenge.id, page: 0 },
            ),
            button("🔕 Mute", Action::MuteNews { challenge: challenge.id, muted: true }),
        ])
        .news_for(to)
}
