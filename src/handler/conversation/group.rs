//! The conversation in a group chat: commands and one-tap buttons, no questions.
//!
//! A group has no conversation state: the per-person state (`<user_id>_state`) is the private
//! chat's, and in a group the bot sees only commands and replies to it (privacy mode). So every
//! group input carries what it needs: `/log 5 [unit or name]`, `/standings`, `/challenge`, and
//! buttons whose payload names the challenge. What takes typed answers (creating a challenge,
//! changing one's goal) opens the private chat through a deep link.
//!
//! - The bot added to a group greets it once; removed, it keeps the group's challenges (they
//!   stay usable in private chats); the group turned supergroup keeps them under its new id.
//! - `/challenge` (or `/start`) lists the group's running challenges with Join and Standings
//!   buttons and a link to create one in the private chat. A group challenge's message (posted
//!   when it is created) carries the same buttons and a "Change my goal" link.
//! - Joins, goals met and the first finisher become the group's news ([`Reply::announcement`]),
//!   batched when they are sent.

use chrono::NaiveDate;

use super::answers::{TypedProgress, parse_progress, unit_fits};
use super::payload::Action;
use super::reply::{Announcement, Reply, Text};
use super::screens::{
    button, challenge_details, deadline_phrase, first_finisher_line, goal_phrase, leaderboard_line,
    name_label, ordinal, quantity, standing_phrase,
};
use super::{Conversation, Ctx, LEADERBOARD_SIZE, StorageFailure};
use crate::challenge::{Challenge, ChallengeId, GroupChat, GroupChatId, StartPayload};
use crate::goal::Goal;
use crate::handler::app::{AppError, ProgressLogged};
use crate::progress::IdempotencyKey;
use crate::user::{DisplayName, UserId};

/// What happened in a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupInput {
    /// The bot was added to the group (it was not a member before).
    Added,
    /// The bot was removed from the group (or left it).
    Removed,
    /// The group became a supergroup: the request's group is the new one, `from` the old.
    Migrated { from: GroupChatId },
    /// A command meant for this bot (`/log 5`, `/log@bot 5`); `name` lower-case.
    Command { name: String, arg: Option<String> },
    /// A press of a button on one of the bot's messages in the group; `admin` says whether the
    /// person administers the group (asked of Telegram only for presses that need it).
    Button { payload: String, admin: bool },
}

/// One input in a group from one person.
#[derive(Clone, Debug)]
pub struct GroupRequest {
    pub group: GroupChatId,
    /// The group's title as Telegram sent it.
    pub title: String,
    pub user: UserId,
    pub name: DisplayName,
    pub input: GroupInput,
    pub idempotency_key: Option<IdempotencyKey>,
}

/// What a group input is answered with: messages (in the group unless they are news for
/// someone's private chat or a line of the group's news), and for a button the short text
/// shown to the person who pressed it.
#[derive(Clone, Debug, Default)]
pub struct GroupAnswer {
    pub replies: Vec<Reply>,
    pub toast: Option<String>,
}

impl GroupAnswer {
    fn says(reply: Reply) -> GroupAnswer {
        GroupAnswer { replies: vec![reply.notice()], toast: None }
    }

    fn toast(text: impl Into<String>) -> GroupAnswer {
        GroupAnswer { replies: Vec::new(), toast: Some(text.into()) }
    }
}

/// Why a group's challenge cannot be named by a word in `/log 5 <word>`.
const LOG_USAGE: &str = "Log with a number, as in /log 5 (add the unit or a word of the challenge's name when you are in several of this group's challenges).";

impl Conversation {
    /// Handles one input in a group. Inputs of one person are handled one at a time, like their
    /// private ones (the bot queues by person).
    pub async fn group(&self, request: GroupRequest) -> Result<GroupAnswer, StorageFailure> {
        // The person's own "today" (a group has people of many zones).
        let zone = self.zone_of(request.user).await?;
        match crate::clock::in_person_zone(zone, self.group_on(request)).await {
            Ok(answer) => Ok(answer),
            Err(AppError::Storage(e)) => Err(StorageFailure(e)),
            // A refusal nothing above turned into words (the group's record itself refused).
            Err(other) => Ok(GroupAnswer::says(Reply::new(Text::new().italic(other.to_string())))),
        }
    }

    async fn group_on(&self, request: GroupRequest) -> Result<GroupAnswer, AppError> {
        let GroupRequest { group, title, user, name, input, idempotency_key } = request;
        let ctx =
            Ctx { user, name: &name, key: idempotency_key.as_ref(), today: self.app.today(), expired: false };
        match input {
            GroupInput::Added => {
                self.app.group_joined(group, &title).await?;
                let username = self.app.bot_username().await?;
                Ok(GroupAnswer::says(greeting(username.as_deref())))
            }
            GroupInput::Removed => {
                self.app.group_left(group, &title).await?;
                Ok(GroupAnswer::default())
            }
            GroupInput::Migrated { from } => {
                self.app.group_migrated(from, group).await?;
                Ok(GroupAnswer::default())
            }
            GroupInput::Command { name: command, arg } => {
                self.remember(user, &name).await.map_err(|f| AppError::Storage(f.0))?;
                let chat = self.app.group_seen(group, &title).await?;
                let turn = match command.as_str() {
                    "start" | "challenge" | "challenges" | "menu" => self.group_menu(&chat).await,
                    "log" => self.group_log(&ctx, &chat, arg.as_deref()).await,
                    "standings" | "leaderboard" => self.group_standings(&chat, arg.as_deref()).await,
                    _ => Ok(GroupAnswer::says(group_help())),
                };
                refused_in_group(turn)
            }
            GroupInput::Button { payload, admin } => {
                self.remember(user, &name).await.map_err(|f| AppError::Storage(f.0))?;
                let chat = self.app.group_seen(group, &title).await?;
                let turn = self.group_button(&ctx, &chat, &payload, admin).await;
                // A refusal of a press is said to the person who pressed, not to the group.
                match turn {
                    Err(AppError::Storage(e)) => Err(AppError::Storage(e)),
                    Err(refused) => Ok(GroupAnswer::toast(refused.to_string())),
                    Ok(answer) => Ok(answer),
                }
            }
        }
    }

    /// A press of one of the group's buttons; a refusal is for the caller to show the presser.
    async fn group_button(
        &self,
        ctx: &Ctx<'_>,
        chat: &GroupChat,
        payload: &str,
        admin: bool,
    ) -> Result<GroupAnswer, AppError> {
        let user = ctx.user;
        let action = match Action::decode(payload) {
            Ok(action) if action.is_group() => action,
            _ => return Ok(GroupAnswer::toast("This button does not work here.")),
        };
        match action {
            Action::GroupJoin { challenge } => self.group_join(ctx, chat, challenge).await,
            Action::GroupBoard { challenge } => {
                let c = self.app.group_challenge(chat.id, challenge).await?;
                Ok(GroupAnswer::says(self.board_of(&c).await?))
            }
            Action::GroupList => self.group_menu(chat).await,
            Action::GroupDelete { challenge } => {
                let c = self.app.group_challenge(chat.id, challenge).await?;
                if c.creator != user && !admin {
                    return Ok(GroupAnswer::toast(AppError::NotGroupManager(challenge).to_string()));
                }
                let reply = Reply::new(
                    Text::new()
                        .plain("🗑 Delete ")
                        .user_bold(c.name.as_str())
                        .plain(" with everyone's entries in it? This cannot be undone."),
                )
                .row(vec![
                    button("Yes, delete it", Action::GroupDeleteConfirm { challenge }),
                    button("Keep it", Action::GroupList),
                ]);
                Ok(GroupAnswer::says(reply))
            }
            Action::GroupDeleteConfirm { challenge } => {
                let c = self.app.delete_group_challenge(chat.id, challenge, user, admin).await?;
                let reply = Reply::new(
                    Text::new()
                        .plain("🗑 ")
                        .user_bold(c.name.as_str())
                        .plain(" was deleted by ")
                        .user(ctx.name.as_str())
                        .plain("."),
                );
                Ok(GroupAnswer { replies: vec![reply.notice()], toast: Some("Deleted.".into()) })
            }
            _ => Ok(GroupAnswer::toast("This button does not work here.")),
        }
    }

    /// The group's running challenges, each with Join and Standings, and a link to create one.
    async fn group_menu(&self, group: &GroupChat) -> Result<GroupAnswer, AppError> {
        let challenges = self.app.group_challenges(group.id).await?;
        let mut text = Text::new().bold("🏁 Challenges of ").user_bold(group.title.as_str());
        if challenges.is_empty() {
            text = text.plain(
                "\n\nNo running challenge here yet. Create one: I will ask for its name, deadline and goal in a private chat, then post it here for everyone to join.",
            );
        }
        for c in &challenges {
            let goal = Goal::from_stored(c.goal_kind, c.default_goal);
            text = text.plain("\n\n• ").user_bold(c.name.as_str()).plain(" — ");
            text = goal_phrase(text, goal, c.unit.as_ref())
                .plain(format!(", by {}", deadline_phrase(c, self.app.today_of(c))));
        }
        if !challenges.is_empty() {
            text = text.italic("\n\nTap Join to take part with the suggested goal. Log with /log 5, see who leads with /standings.");
        }
        let mut reply = Reply::new(text);
        for c in &challenges {
            let label = name_label(c.name.as_str());
            reply = reply.row(vec![
                button(format!("🙋 Join {label}"), Action::GroupJoin { challenge: c.id }),
                button("🏆 Standings", Action::GroupBoard { challenge: c.id }),
                button("🗑", Action::GroupDelete { challenge: c.id }),
            ]);
        }
        if let Some(username) = self.app.bot_username().await? {
            reply = reply.link("➕ Create a challenge for this group", group.create_link(&username));
        }
        Ok(GroupAnswer::says(reply))
    }

    /// A group challenge's Join: the presser joins with the suggested goal.
    async fn group_join(
        &self,
        ctx: &Ctx<'_>,
        group: &GroupChat,
        id: ChallengeId,
    ) -> Result<GroupAnswer, AppError> {
        let (challenge, participant) = match self.app.join_in_group(group.id, id, ctx.user).await {
            Ok(joined) => joined,
            Err(AppError::AlreadyJoined(_)) => {
                let c = self.app.challenge(id).await?;
                return Ok(GroupAnswer::toast(format!(
                    "You are already in {}. Log with /log 5, here or in our private chat.",
                    name_label(c.name.as_str())
                )));
            }
            Err(e) => return Err(e),
        };
        let goal = Goal::from_stored(challenge.goal_kind, participant.goal);
        let toast = goal_phrase(
            Text::new().plain(format!("✅ You joined {}. Your goal: ", name_label(challenge.name.as_str()))),
            goal,
            challenge.unit.as_ref(),
        )
        .plain(". Log with /log here, or in our private chat, where you can also change your goal.")
        .to_plain();
        let replies = self.join_news(ctx, &challenge).await?;
        Ok(GroupAnswer { replies, toast: Some(toast) })
    }

    /// `/log 5 [unit or a word of the name]` in a group: logged for today in the one group
    /// challenge it fits, answered briefly in the group.
    async fn group_log(
        &self,
        ctx: &Ctx<'_>,
        group: &GroupChat,
        arg: Option<&str>,
    ) -> Result<GroupAnswer, AppError> {
        let mine = self.my_group_challenges(ctx.user, group.id).await?;
        if mine.is_empty() {
            return Ok(GroupAnswer::says(Reply::new(
                Text::new()
                    .user(ctx.name.as_str())
                    .plain(", you are not in any of this group's running challenges: send /challenge and tap Join on one."),
            )));
        }
        let (value, word, date) = match arg {
            None => (None, None, None),
            Some(text) => match parse_progress(text, ctx.today) {
                TypedProgress::Value { value, unit, date } => (Some(value), unit, date),
                TypedProgress::Invalid(message) => {
                    return Ok(GroupAnswer::says(Reply::new(Text::new().italic(message))));
                }
                TypedProgress::NotProgress => {
                    return Ok(GroupAnswer::says(Reply::new(Text::new().italic(LOG_USAGE))));
                }
            },
        };
        // A number goes to challenges that take values, a bare /log to check-ins; a word picks by
        // unit, else by name.
        let fitting: Vec<&Challenge> =
            mine.iter().filter(|c| c.goal_kind.takes_values() == value.is_some()).collect();
        let picked: Vec<&Challenge> = match &word {
            None => fitting.clone(),
            Some(word) => {
                let by_unit: Vec<&Challenge> = fitting
                    .iter()
                    .copied()
                    .filter(|c| c.unit.is_some() && unit_fits(Some(word), c.unit.as_ref()).is_ok())
                    .collect();
                if by_unit.is_empty() {
                    let folded = crate::challenge::fold(word);
                    fitting
                        .iter()
                        .copied()
                        .filter(|c| crate::challenge::fold(c.name.as_str()).contains(&folded))
                        .collect()
                } else {
                    by_unit
                }
            }
        };
        let challenge = match picked.as_slice() {
            [only] => (*only).clone(),
            [] if value.is_none() => return Ok(GroupAnswer::says(Reply::new(Text::new().italic(LOG_USAGE)))),
            [] => {
                return Ok(GroupAnswer::says(Reply::new(Text::new().italic(
                    "That fits none of your challenges in this group: check the unit, or add a word of the challenge's name, as in /log 5 run.",
                ))));
            }
            several => {
                let mut text = Text::new()
                    .user(ctx.name.as_str())
                    .plain(", which one? Add its unit or a word of its name:");
                for c in several {
                    text = text.plain("\n• ").user_bold(c.name.as_str());
                }
                return Ok(GroupAnswer::says(Reply::new(text)));
            }
        };
        let date = date.unwrap_or(ctx.today);
        let logged = self.app.add_progress_to(challenge, ctx.user, value, date, ctx.key.cloned()).await?;
        let mut replies = vec![logged_in_group(ctx.name, &logged, ctx.today).notice()];
        replies.extend(self.progress_news(ctx, &logged).await?);
        Ok(GroupAnswer { replies, toast: None })
    }

    /// `/standings [word]`: the leaderboards of the group's running challenges (those whose
    /// name has the word).
    async fn group_standings(&self, group: &GroupChat, word: Option<&str>) -> Result<GroupAnswer, AppError> {
        let mut challenges = self.app.group_challenges(group.id).await?;
        if let Some(word) = word {
            let folded = crate::challenge::fold(word);
            challenges.retain(|c| crate::challenge::fold(c.name.as_str()).contains(&folded));
        }
        if challenges.is_empty() {
            return Ok(GroupAnswer::says(Reply::new(Text::new().italic(
                "No running challenge of this group to show: send /challenge to see them or create one.",
            ))));
        }
        // One message however many challenges (the group's messages per minute are few); the
        // most recent three in full.
        let mut text = Text::new();
        for (i, c) in challenges.iter().take(3).enumerate() {
            if i > 0 {
                text = text.plain("\n\n");
            }
            text = text.append(self.board_of(c).await?.text);
        }
        if challenges.len() > 3 {
            text = text.italic(format!(
                "\n\n…and {} more: /standings with a word of the name shows one.",
                challenges.len() - 3
            ));
        }
        Ok(GroupAnswer::says(Reply::new(text)))
    }

    /// A challenge's standings as the group sees them (nobody's line is "you").
    async fn board_of(&self, c: &Challenge) -> Result<Reply, AppError> {
        let today = self.app.today();
        let board = self.app.board(c.id, UserId(0), LEADERBOARD_SIZE as u32).await?;
        let title = if board.is_final { "🏆 Final standings: " } else { "🏆 Standings: " };
        let mut text = Text::new().bold(title).user_bold(c.name.as_str());
        if board.top.is_empty() {
            text = text.plain("\nNobody has joined yet.");
        }
        for r in &board.top {
            text = leaderboard_line(text.plain("\n"), r, c.goal_kind, c.unit.as_ref(), None, today);
        }
        if board.participants as usize > board.top.len() {
            text = text.italic(format!("\n…and {} more", board.participants as usize - board.top.len()));
        }
        if let Some(first) = &board.first_finisher {
            text = first_finisher_line(text.plain("\n"), first, false);
        }
        Ok(Reply::new(text).row(vec![button("🙋 Join", Action::GroupJoin { challenge: c.id })]))
    }

    /// The group's running challenges the person is in.
    async fn my_group_challenges(
        &self,
        user: UserId,
        group: GroupChatId,
    ) -> Result<Vec<Challenge>, AppError> {
        let mut mine = Vec::new();
        for c in self.app.group_challenges(group).await? {
            match self.app.participant(c.id, user).await {
                Ok(_) => mine.push(c),
                Err(AppError::NotParticipant(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(mine)
    }

    /// `/start g_<code>`: creating a challenge for the group the link came from.
    pub(super) async fn start_group_create(
        &self,
        ctx: &Ctx<'_>,
        code: &crate::challenge::InviteCode,
    ) -> super::Turn {
        let group = self.app.group_for_link(code).await?;
        if !group.active {
            return Err(AppError::GroupLinkUnknown);
        }
        self.app.creation_allowed(ctx.user).await?;
        let intro = Text::new()
            .plain("🏁 A new challenge for ")
            .user_bold(group.title.as_str())
            .plain(": once it is made, I post it in the group, where everyone joins with one tap.");
        let outcome = self.ask(ctx, super::Question::CreateChallengeName { group: Some(group.id) });
        Ok(outcome.note(intro))
    }

    /// The creator's answer once a group's challenge is made, and its message in the group.
    pub(super) async fn created_for_group(
        &self,
        ctx: &Ctx<'_>,
        challenge: &Challenge,
        goal: Goal,
        group: &GroupChat,
    ) -> super::Turn {
        let username = self.app.bot_username().await?;
        let text = Text::new()
            .bold("🏁 Challenge created!")
            .plain("\n\n")
            .append(challenge_details(challenge, ctx.today));
        let text = goal_phrase(text.plain("\nGoal: "), goal, challenge.unit.as_ref())
            .plain("\n\nYou have joined it with that goal, and I posted it in ")
            .user_bold(group.title.as_str())
            .plain(": its members join with one tap.");
        let mine = Reply::new(text)
            .row(vec![
                button(
                    super::progress::progress_label(challenge.goal_kind),
                    Action::Progress { challenge: challenge.id },
                ),
                button("Open challenge", Action::Open { challenge: challenge.id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)])
            .effect(format!("Created {}", challenge.name));
        let post = group_post(challenge, ctx.name, goal, ctx.today, username.as_deref()).in_group(group.id);
        Ok(super::Outcome::many(vec![mine, post], super::Next::Main))
    }

    /// The line for a group about one of its challenges, if it belongs to a group the bot is in.
    pub(super) async fn group_line(
        &self,
        challenge: &Challenge,
        event: &str,
        prefix: &'static str,
        subject: &DisplayName,
        predicate: Text,
    ) -> Result<Option<Reply>, AppError> {
        let Some(group) = self.app.group_of(challenge.id).await? else { return Ok(None) };
        if !group.active {
            return Ok(None);
        }
        Ok(Some(Reply::announcement(Announcement {
            group: group.id,
            key: format!("{event}:{}", challenge.id.0),
            prefix: Text::new().plain(prefix),
            subject: Text::new().user_bold(subject.as_str()),
            predicate,
        })))
    }

    /// `/start goal_<id>` (a group message's "Change my goal"): the goal question, for a
    /// participant.
    pub(super) async fn start_payload(&self, ctx: &Ctx<'_>, payload: &str) -> Option<super::Turn> {
        match StartPayload::parse(payload)? {
            StartPayload::Invite(_) => None,
            StartPayload::Group(code) => Some(self.start_group_create(ctx, &code).await),
            StartPayload::Goal(id) => Some(self.start_goal_link(ctx, id).await),
        }
    }
}

impl Conversation {
    /// A "Change my goal" link: the goal question for a participant; someone else learns
    /// nothing of a private challenge.
    async fn start_goal_link(&self, ctx: &Ctx<'_>, id: ChallengeId) -> super::Turn {
        let challenge = self.app.challenge(id).await?;
        self.app.ensure_visible(&challenge, ctx.user).await?;
        self.start_goal(ctx, id).await
    }
}

/// A refusal of a command is said in the group, in one line.
fn refused_in_group(turn: Result<GroupAnswer, AppError>) -> Result<GroupAnswer, AppError> {
    match turn {
        Err(AppError::Storage(e)) => Err(AppError::Storage(e)),
        Err(refused) => Ok(GroupAnswer::says(Reply::new(Text::new().italic(refused.to_string())))),
        Ok(answer) => Ok(answer),
    }
}

/// The greeting when the bot is added to a group.
fn greeting(username: Option<&str>) -> Reply {
    let mut text = Text::new().bold("👋 Hi! I run challenges for this group.");
    text = text.plain(
        "\n\n• /challenge — the group's challenges, and a button to create one\n\
         • Join a challenge with one tap on its message\n\
         • /log 5 — log your progress (or in a private chat with me)\n\
         • /standings — who leads",
    );
    if let Some(username) = username {
        text = text
            .plain(format!("\n\nYour own goals, history and charts are in a private chat with @{username}."));
    }
    Reply::new(text).row(vec![button("🏁 Show the challenges", Action::GroupList)])
}

/// `/help` in a group.
fn group_help() -> Reply {
    Reply::new(Text::new().plain(
        "In this group I answer:\n\
         • /challenge — the group's challenges, Join buttons, and a link to create one\n\
         • /log 5 — log 5 for today (add the unit or a word of the name when you are in several)\n\
         • /log — check in, for a challenge that counts days\n\
         • /standings — who leads\n\n\
         Everything else (your goal, your entries, charts) is in a private chat with me.",
    ))
}

/// A new group challenge's message in the group.
fn group_post(
    challenge: &Challenge,
    creator: &DisplayName,
    goal: Goal,
    today: NaiveDate,
    username: Option<&str>,
) -> Reply {
    let text = Text::new()
        .plain("🏁 ")
        .user_bold(creator.as_str())
        .plain(" started a challenge for this group!\n\n")
        .append(challenge_details(challenge, today));
    let text = goal_phrase(text.plain("\nSuggested goal: "), goal, challenge.unit.as_ref())
        .plain("\n\nTap Join to take part with that goal, then log with /log.");
    let mut reply = Reply::new(text).row(vec![
        button("🙋 Join", Action::GroupJoin { challenge: challenge.id }),
        button("🏆 Standings", Action::GroupBoard { challenge: challenge.id }),
    ]);
    if let Some(username) = username {
        reply = reply.link("🎯 Change my goal", StartPayload::Goal(challenge.id).link(username));
    }
    reply
}

/// "✅ Ann: 5 km in Run — 25 km of 100 km, 2nd."
fn logged_in_group(name: &DisplayName, logged: &ProgressLogged, today: NaiveDate) -> Reply {
    let c = &logged.challenge;
    let tally = &logged.recorded.tally;
    let mut text = Text::new().plain("✅ ").user_bold(name.as_str()).plain(": ");
    text = match logged.recorded.entry.value {
        Some(value) => quantity(text, value, c.unit.as_ref(), false),
        None => text.plain("checked in"),
    };
    let day = logged.recorded.entry.date.date();
    if day != today {
        text = text.plain(format!(" for {}", super::screens::day_phrase(day, today)));
    }
    text = text.plain(" in ").user(c.name.as_str()).plain(" — ");
    text = standing_phrase(text, c.goal_kind, c.unit.as_ref(), tally);
    if let Some(moved) = &logged.moved_up {
        text = text.plain(format!(", now {}", ordinal(moved.to)));
    }
    if logged.recorded.duplicate {
        text = text.italic(" (already logged)");
    }
    Reply::new(text.plain("."))
}
