//! Joining a challenge: the list of public ones one can join (`JOIN_CHALLENGE_AVAILABLE`),
//! searched by a typed word, one of them with the goal question (`JOIN_CHALLENGE_GOAL`), and the
//! join itself. A private challenge is reached through its invite link ([`super::invite`]).

use super::answers::parse_goal_for;
use super::payload::Action;
use super::reply::{Expect, Reply, Text};
use super::screens::{
    self, PAGE_SIZE, amount_hint, button, challenge_details, days_word, deadline_phrase, goal_phrase,
    name_label, nav_row, page_heading, quantity_label, with_note,
};
use super::{Conversation, Ctx, Next, Outcome, Question, Screen, State, Turn};
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeId, Listing, NameSearch, Unit};
use crate::goal::{Goal, GoalKind};
use crate::handler::app::AppError;
use crate::repository::{Page, Paged};

/// "What is your goal?", with the suggested goal one tap away.
pub(super) fn goal_question(
    challenge: ChallengeId,
    kind: GoalKind,
    unit: Option<&Unit>,
    default_goal: Amount,
    page: Option<u32>,
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
        .row(vec![match page {
            Some(page) => button("Back", Action::Browse { page }),
            None => button("Main menu", Action::Menu),
        }])
        .expecting(Expect::Number)
}

impl Conversation {
    pub(super) async fn browse(&self, ctx: &Ctx<'_>, page: u32) -> Turn {
        self.listing(ctx, page, None).await
    }

    /// A word typed on the list: the public challenges whose name contains it.
    pub(super) async fn search(&self, ctx: &Ctx<'_>, text: &str) -> Turn {
        self.listing(ctx, 0, Some(text)).await
    }

    /// Another page of the search in the user's state (the list itself if it is gone).
    pub(super) async fn search_page(&self, ctx: &Ctx<'_>, page: u32, state: Option<&State>) -> Turn {
        match state {
            Some(State::Screen(Screen::JoinChallengeAvailable { search: Some(search), .. })) => {
                self.listing(ctx, page, Some(search)).await
            }
            _ => self.listing(ctx, page, None).await,
        }
    }

    async fn listing(&self, ctx: &Ctx<'_>, page: u32, typed: Option<&str>) -> Turn {
        let search = typed.and_then(NameSearch::parse);
        let (page, list) = self.listings_page(ctx, search.as_ref(), page).await?;
        if list.total == 0 {
            let text = match &search {
                Some(search) => Text::new()
                    .plain("No public challenge you can join has “")
                    .user(search.text())
                    .plain("” in its name. Try another word, or create one."),
                None => Text::new().plain(
                    "There are no public challenges to join right now: you have joined every one, or there are none yet. A friend's private challenge opens with the invite link they send you. Why not create one?",
                ),
            };
            let reply = Reply::new(text)
                .row(vec![button("Create challenge", Action::Create), button("Main menu", Action::Menu)]);
            let screen = Screen::JoinChallengeAvailable { page: 0, search: None };
            return Ok(Outcome::one(reply, Next::Set(screen.into())));
        }
        let heading = match &search {
            Some(search) => Text::new().bold("Found: “").user_bold(search.text()).bold("”"),
            None => Text::new().bold("Challenges you can join"),
        };
        let mut text = page_heading(heading, page, list.total).plain("\n");
        let mut rows = Vec::with_capacity(list.items.len() + 2);
        // Numbered on each page as its buttons are (1 is the first button), so that a number
        // typed in the terminal means the same item as the number shown.
        for (i, listing) in list.items.iter().enumerate() {
            let c = &listing.challenge;
            text = text
                .plain(format!("\n{}. ", i + 1))
                .user(c.name.as_str())
                .plain(format!(": until {} · ", deadline_phrase(c, self.app.today_of(c))))
                .plain(people_phrase(listing.participants));
            if let Some(creator) = &listing.creator_name {
                text = text.plain(" · by ").user(creator.as_str());
            }
            rows.push(vec![button(name_label(c.name.as_str()), Action::Pick { challenge: c.id, page })]);
        }
        text = text.plain("\n\nChoose one to see its details, or type a word of a name to search.");
        let mut reply = Reply::new(text);
        reply.buttons = rows;
        let more = match search {
            Some(_) => nav_row(page, list.total, |page| Action::SearchPage { page }),
            None => nav_row(page, list.total, |page| Action::Browse { page }),
        };
        let mut last = vec![button("Main menu", Action::Menu)];
        if search.is_some() {
            last.insert(0, button("All challenges", Action::Browse { page: 0 }));
        }
        let reply = reply.row(more).row(last);
        let screen = Screen::JoinChallengeAvailable { page, search: search.map(|s| s.text().to_owned()) };
        Ok(Outcome::one(reply, Next::Set(screen.into())))
    }

    /// A page of the public list, clamped to the last page when the list has shrunk.
    async fn listings_page(
        &self,
        ctx: &Ctx<'_>,
        search: Option<&NameSearch>,
        page: u32,
    ) -> Result<(u32, Paged<Listing>), AppError> {
        let list =
            self.app.public_challenges(ctx.user, search, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        if list.items.is_empty() && page > 0 && list.total > 0 {
            let last = screens::pages(list.total) - 1;
            let list =
                self.app.public_challenges(ctx.user, search, Page::new(last * PAGE_SIZE, PAGE_SIZE)).await?;
            return Ok((last, list));
        }
        Ok((page, list))
    }

    pub(super) async fn pick(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        self.app.ensure_visible(&challenge, ctx.user).await?;
        self.goal_to_join(ctx, challenge, Some(page)).await
    }

    /// A challenge's details and the goal question, to someone allowed to see it (from the list,
    /// `page`, or an invite link, `None`); a participant lands on the challenge instead.
    pub(super) async fn goal_to_join(&self, ctx: &Ctx<'_>, challenge: Challenge, page: Option<u32>) -> Turn {
        let id = challenge.id;
        match self.app.participant(id, ctx.user).await {
            Ok(_) => {
                let note = Text::new().italic("You have already joined this challenge.");
                return Ok(self.open(ctx, id, 0).await?.note(note));
            }
            Err(AppError::NotParticipant(_)) => {}
            Err(e) => return Err(e),
        }
        // Removed, or closed: said before any goal is asked.
        self.app.ensure_may_join(id, ctx.user).await?;
        let next = Question::JoinChallengeGoal {
            challenge: id,
            kind: challenge.goal_kind,
            unit: challenge.unit.clone(),
            default_goal: challenge.default_goal,
            page,
        };
        let mut reply = with_note(
            super::question(&next, ctx.today),
            challenge_details(&challenge, self.app.today_of(&challenge)),
        );
        if challenge.visibility.is_public() && challenge.creator != ctx.user {
            reply = reply.row(vec![button("🚩 Report", Action::Report { challenge: id })]);
        }
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

    /// "Use the suggested goal": joins a challenge the user may see, or the one whose goal
    /// question they are at (a private one whose invite link they opened).
    pub(super) async fn join_default(
        &self,
        ctx: &Ctx<'_>,
        id: ChallengeId,
        asked: Option<&Question>,
    ) -> Turn {
        let invited =
            matches!(asked, Some(Question::JoinChallengeGoal { challenge, .. }) if *challenge == id);
        if !invited {
            let challenge = self.app.challenge(id).await?;
            self.app.ensure_visible(&challenge, ctx.user).await.map_err(|e| match e {
                AppError::Private(_) => AppError::Invalid(
                    "This challenge is private: open its invite link again to join it.".to_owned(),
                ),
                other => other,
            })?;
        }
        self.join(ctx, id, None, None).await
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
            .plain(format!(", by {}.", deadline_phrase(&challenge, self.app.today_of(&challenge))))
            .plain(match challenge.goal_kind {
                GoalKind::Days => " Check in on each day you do it.",
                _ => " Log your progress whenever you make some.",
            });
        // After a first join, once: a daily reminder, one tap away.
        let offer = self.reminder_offer(ctx).await?;
        let text = match &offer {
            Some((line, _)) => text.plain("\n\n").append(line.clone()),
            None => text,
        };
        let mut reply = Reply::new(text).row(vec![
            button(super::progress::progress_label(challenge.goal_kind), Action::Progress { challenge: id }),
            button("Open challenge", Action::Open { challenge: id, page: 0 }),
        ]);
        if let Some((_, accept)) = offer {
            reply = reply.row(vec![accept]);
        }
        let reply =
            reply.row(vec![button("Main menu", Action::Menu)]).effect(format!("Joined {}", challenge.name));
        let mut replies = vec![reply];
        replies.extend(self.join_news(ctx, &challenge).await?);
        Ok(Outcome::many(replies, Next::Main))
    }
}

/// "1 person", "12 people": how many are in a challenge.
fn people_phrase(count: u64) -> String {
    match count {
        1 => "1 person".to_owned(),
        n => format!("{n} people"),
    }
}
