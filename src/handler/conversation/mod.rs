//! The conversation: the states of the design document, driven by protocol-neutral inputs.
//!
//! A protocol turns what a person did into an [`Input`] (a command, a text or a button press),
//! wraps it in a [`Request`] with who they are, and calls [`Conversation::handle`]; it gets back
//! [`Reply`]s to render. Where each user is in the conversation lives in the state cache
//! ([`crate::storage::localcache`]); everything else is read and written through [`App`], so the
//! rules of the domain are enforced in one place and every button press is checked again against
//! the database.
//!
//! # Calling it from a protocol
//!
//! ```text
//! let conversation = Conversation::new(app, &CacheConfig::default());
//! let request = Request::new(user_id, display_name, Input::from_message(&message_text))
//!     .with_key(IdempotencyKey::parse(&format!("tg:{update_id}"))?);
//! match conversation.handle(request).await {
//!     Ok(replies) => { /* render each reply; `ReplyMode::EditOriginal` replaces the pressed message */ }
//!     Err(failure) if failure.is_unavailable() => { /* leave the update unconfirmed and retry */ }
//!     Err(failure) => { /* send failure.reply() */ }
//! }
//! ```
//!
//! Inputs of one user must be handled one at a time (different users concurrently): a turn reads
//! the user's state, acts, then writes the next state. When storage fails, the state is left as it
//! was, so retrying the same input later is safe.

mod answers;
mod payload;
mod reply;
mod screens;
mod state;

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use self::answers::{parse_amount_for, parse_goal_for, parse_goal_with_unit};
pub use self::payload::{Action, DayChoice, MAX_PAYLOAD_BYTES, PayloadError};
pub use self::reply::{Button, Expect, Reply, ReplyMode, Span, Text};
pub use self::screens::{LEADERBOARD_SIZE, PAGE_SIZE};
use self::screens::{
    again, button, challenge_details, day_phrase, deadline_phrase, goal_phrase, leaderboard_line, name_label,
    nav_row, page_heading, progress_lines, quantity, question, with_note,
};
pub use self::state::State;
use super::app::{App, AppError, ChallengeDraft, ProgressLogged};
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeFilter, ChallengeId, ChallengeName, Deadline, Description, Unit};
use crate::clock::parse_date;
use crate::goal::{Goal, GoalKind};
use crate::progress::IdempotencyKey;
use crate::repository::{Page, RepositoryError, Store};
pub use crate::storage::localcache::CacheConfig;
use crate::storage::localcache::{CacheStats, Lookup, StateCache};
use crate::user::{DisplayName, UserId};

/// What a person did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// `/name arg`: `name` lower-case without the slash (and without a `@botname` suffix).
    Command { name: String, arg: Option<String> },
    /// A typed message that is not a command.
    Text(String),
    /// A button press, with the button's payload (untrusted: it may be forged or stale).
    Button(String),
}

impl Input {
    /// A typed message: a command when it starts with `/` and a command name (`/start`,
    /// `/cancel@my_bot`, `/start abc`), text otherwise.
    pub fn from_message(message: &str) -> Input {
        let trimmed = message.trim();
        if let Some(rest) = trimmed.strip_prefix('/') {
            let (word, arg) = match rest.split_once(char::is_whitespace) {
                Some((w, a)) => (w, Some(a.trim())),
                None => (rest, None),
            };
            let name = word.split_once('@').map_or(word, |(n, _)| n);
            if !name.is_empty()
                && name.len() <= 32
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Input::Command {
                    name: name.to_ascii_lowercase(),
                    arg: arg.filter(|a| !a.is_empty()).map(str::to_owned),
                };
            }
        }
        Input::Text(message.to_owned())
    }
}

/// One input from one user.
#[derive(Clone, Debug)]
pub struct Request {
    pub user: UserId,
    /// The name to show for the user on leaderboards (stored when it changes).
    pub name: DisplayName,
    pub input: Input,
    /// Makes progress logged by this input count once however often it is handled (the bot
    /// passes Telegram's update id).
    pub idempotency_key: Option<IdempotencyKey>,
}

impl Request {
    pub fn new(user: UserId, name: DisplayName, input: Input) -> Request {
        Request { user, name, input, idempotency_key: None }
    }

    pub fn with_key(mut self, key: IdempotencyKey) -> Request {
        self.idempotency_key = Some(key);
        self
    }
}

/// Storage failed while handling an input; the user's state was left as it was.
#[derive(Debug, thiserror::Error)]
#[error("storage failed while handling a conversation input: {0}")]
pub struct StorageFailure(#[source] pub RepositoryError);

impl StorageFailure {
    /// The database could not be reached: handling the same input later may work.
    pub fn is_unavailable(&self) -> bool {
        self.0.is_unavailable()
    }

    /// What to tell the user when the input will not be retried.
    pub fn reply(&self) -> Reply {
        Reply::new(Text::new().plain("⚠️ Something went wrong while saving; please try again in a moment."))
    }
}

/// What a turn leaves behind.
enum Next {
    /// The state as it was (its expiry restarts).
    Keep,
    /// No state: the main menu.
    Main,
    Set(State),
}

struct Outcome {
    replies: Vec<Reply>,
    next: Next,
}

impl Outcome {
    fn one(reply: Reply, next: Next) -> Outcome {
        Outcome { replies: vec![reply], next }
    }

    fn main(note: Option<Text>) -> Outcome {
        Outcome::one(screens::main_menu(note), Next::Main)
    }

    fn note(mut self, note: Text) -> Outcome {
        if let Some(first) = self.replies.first_mut() {
            *first = with_note(first.clone(), note);
        }
        self
    }
}

type Turn = Result<Outcome, AppError>;

/// What one handled input changes in the user's conversation state, applied by
/// [`Conversation::settle`] once its database writes are committed.
#[must_use = "an unsettled input leaves the user's state where it was"]
#[derive(Debug)]
pub struct Settle {
    user: UserId,
    state: Option<StateChange>,
}

#[derive(Debug)]
enum StateChange {
    /// Set (or refresh, which restarts its idle time) the user's state.
    Put(Arc<State>),
    /// Back to `MAIN_INIT`.
    Remove,
}

/// The conversation engine: one per process, shared by every user. Cheap to clone.
#[derive(Clone)]
pub struct Conversation {
    app: App,
    /// The use cases on the process's own store, for the one write that is not part of an
    /// input's effects: a display name (storing it again changes nothing, so it need not wait
    /// for, or be rolled back with, the bot's per-update transaction).
    profiles: App,
    states: StateCache<State>,
    /// user → hash of the display name last stored, so names are written only when they change.
    names: moka::future::Cache<i64, u64>,
    hasher: std::hash::RandomState,
    time_to_idle: Duration,
}

/// Who is speaking and what they passed along, for the length of one input.
struct Ctx<'a> {
    user: UserId,
    key: Option<&'a IdempotencyKey>,
    today: NaiveDate,
}

impl Conversation {
    pub fn new(app: App, config: &CacheConfig) -> Conversation {
        Conversation {
            profiles: app.clone(),
            app,
            states: StateCache::new(config),
            names: moka::future::Cache::builder()
                .max_capacity(config.capacity)
                .time_to_idle(Duration::from_secs(24 * 3600))
                .build(),
            hasher: std::hash::RandomState::new(),
            time_to_idle: config.time_to_idle,
        }
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// The state cache's counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.states.stats()
    }

    /// Runs the state cache's pending maintenance (for tests and measurements).
    pub async fn run_pending_tasks(&self) {
        self.states.run_pending_tasks().await;
    }

    /// The state a user is in (`MAIN_INIT` when none), without touching it. For tests and
    /// diagnostics.
    pub async fn state_of(&self, user: UserId) -> State {
        match self.states.peek(user).await {
            Some(state) => (*state).clone(),
            None => State::MainInit,
        }
    }

    /// A conversation whose use cases run on `store` (the bot hands each update a store of its
    /// own, whose writes commit with the update's record). Shares this one's state cache;
    /// display names are still stored through this one's store.
    pub fn with_store(&self, store: Arc<dyn Store>) -> Conversation {
        Conversation { app: self.app.with_store(store), ..self.clone() }
    }

    /// Handles one input of one user and returns what to answer.
    pub async fn handle(&self, request: Request) -> Result<Vec<Reply>, StorageFailure> {
        let (replies, settle) = self.handle_unsettled(request).await?;
        self.settle(settle).await;
        Ok(replies)
    }

    /// Handles one input like [`Conversation::handle`], but leaves the change of the user's
    /// conversation state to [`Conversation::settle`]: the bot settles only once the input's
    /// database writes are committed, so an input that is rolled back and handled again starts
    /// from the same state.
    pub async fn handle_unsettled(&self, request: Request) -> Result<(Vec<Reply>, Settle), StorageFailure> {
        let Request { user, name, input, idempotency_key } = request;
        self.remember(user, &name).await?;
        let (current, expired) = match self.states.get(user).await {
            Lookup::Live(state) => (Some(state), false),
            Lookup::Expired => (None, true),
            Lookup::Missing => (None, false),
        };
        let ctx = Ctx { user, key: idempotency_key.as_ref(), today: self.app.today() };
        let is_button = matches!(input, Input::Button(_));
        let state = current.as_deref();
        let turn = match &input {
            Input::Command { name: command, arg: _ } => {
                self.command(&ctx, &name, command, state, expired).await
            }
            Input::Text(text) => self.text(&ctx, text, state, expired).await,
            Input::Button(payload) => self.button(&ctx, payload, state, expired).await,
        };
        let outcome = match turn {
            Ok(outcome) => outcome,
            Err(AppError::Storage(e)) => return Err(StorageFailure(e)),
            // A re-check refused the action (the challenge is gone, ended, or not the user's).
            Err(refused) => Outcome::main(Some(Text::new().italic(refused.to_string()))),
        };
        let state = match outcome.next {
            Next::Keep => current.map(StateChange::Put),
            Next::Main => current.map(|_| StateChange::Remove),
            Next::Set(State::MainInit) => Some(StateChange::Remove),
            Next::Set(next) => Some(StateChange::Put(Arc::new(next))),
        };
        let mut replies = outcome.replies;
        for (i, reply) in replies.iter_mut().enumerate() {
            reply.mode = if is_button && i == 0 { ReplyMode::EditOriginal } else { ReplyMode::New };
        }
        Ok((replies, Settle { user, state }))
    }

    /// Applies what a handled input changes in memory (see [`Conversation::handle_unsettled`]).
    pub async fn settle(&self, settle: Settle) {
        let Settle { user, state } = settle;
        match state {
            Some(StateChange::Put(state)) => self.states.put(user, state).await,
            Some(StateChange::Remove) => self.states.remove(user).await,
            None => {}
        }
    }

    /// Stores the user's display name when it is not the one stored last (by this process).
    async fn remember(&self, user: UserId, name: &DisplayName) -> Result<(), StorageFailure> {
        let hash = self.hasher.hash_one(name);
        if self.names.get(&user.0).await == Some(hash) {
            return Ok(());
        }
        match self.profiles.remember_user(user, name).await {
            Ok(()) => {
                self.names.insert(user.0, hash).await;
                Ok(())
            }
            Err(AppError::Storage(e)) => Err(StorageFailure(e)),
            Err(other) => {
                tracing::warn!(user = user.0, error = %other, "could not store a display name");
                Ok(())
            }
        }
    }

    // ----- commands -------------------------------------------------------------------------

    async fn command(
        &self,
        ctx: &Ctx<'_>,
        name: &DisplayName,
        command: &str,
        state: Option<&State>,
        expired: bool,
    ) -> Turn {
        let asked = state.and_then(|s| question(s, ctx.today));
        Ok(match command {
            "start" | "menu" => Outcome::one(screens::welcome(name), Next::Main),
            "help" => match asked {
                // Mid-question: explain, then ask again.
                Some(q) => Outcome { replies: vec![Reply::new(screens::help()), q], next: Next::Keep },
                None => {
                    let mut help = Reply::new(screens::help());
                    help.buttons = screens::main_menu_rows();
                    Outcome::one(help, Next::Main)
                }
            },
            "cancel" => {
                let note = match state {
                    Some(_) => Text::new().plain("Cancelled."),
                    None if expired => screens::expired_note(self.time_to_idle),
                    None => Text::new().plain("Nothing to cancel."),
                };
                Outcome::main(Some(note))
            }
            other => {
                let note = Text::new()
                    .italic(format!("I do not know the command /{other}. "))
                    .italic("The commands are /start, /help and /cancel.");
                match asked {
                    Some(q) => Outcome::one(with_note(q, note), Next::Keep),
                    None => Outcome::main(Some(note)),
                }
            }
        })
    }

    // ----- typed answers --------------------------------------------------------------------

    async fn text(&self, ctx: &Ctx<'_>, text: &str, state: Option<&State>, expired: bool) -> Turn {
        let Some(state) = state else {
            let note = if expired {
                screens::expired_note(self.time_to_idle)
            } else {
                screens::not_understood_note()
            };
            return Ok(Outcome::main(Some(note)));
        };
        let ask_again = |message: &str| {
            let q = question(state, ctx.today).expect("question states have a question");
            Ok(Outcome::one(again(message, q), Next::Keep))
        };
        match state {
            State::MainInit => Ok(Outcome::main(Some(screens::not_understood_note()))),
            State::JoinChallengeAvailable { page } => {
                Ok(self.browse(ctx, *page).await?.note(screens::use_buttons_note()))
            }
            State::ViewChallengeJoined { page } => {
                Ok(self.mine(ctx, *page).await?.note(screens::use_buttons_note()))
            }
            State::ViewChallengeOptions { challenge, page } => {
                Ok(self.open(ctx, *challenge, *page).await?.note(screens::use_buttons_note()))
            }

            State::CreateChallengeName => match ChallengeName::parse(text) {
                Ok(name) => Ok(self.ask(ctx, State::CreateChallengeDetail { name })),
                Err(e) => ask_again(&e.to_string()),
            },
            State::CreateChallengeDetail { name } => match Description::parse(text) {
                Ok(description) => {
                    Ok(self.ask(ctx, State::CreateChallengeDate { name: name.clone(), description }))
                }
                Err(e) => ask_again(&e.to_string()),
            },
            State::CreateChallengeDate { name, description } => {
                let deadline = parse_date(text, ctx.today)
                    .map_err(|e| e.to_string())
                    .and_then(|d| Deadline::parse(d, ctx.today).map_err(|e| e.to_string()));
                match deadline {
                    Ok(deadline) => Ok(self.ask(
                        ctx,
                        State::CreateChallengeGoal {
                            name: name.clone(),
                            description: description.clone(),
                            deadline: deadline.date(),
                            kind: None,
                        },
                    )),
                    Err(message) => ask_again(&message),
                }
            }
            State::CreateChallengeGoal { name, description, deadline, kind: None } => {
                match text.trim().replace(' ', "-").parse::<GoalKind>() {
                    Ok(kind) => Ok(self.ask(
                        ctx,
                        State::CreateChallengeGoal {
                            name: name.clone(),
                            description: description.clone(),
                            deadline: *deadline,
                            kind: Some(kind),
                        },
                    )),
                    Err(_) => ask_again("Choose how progress counts with one of the buttons."),
                }
            }
            State::CreateChallengeGoal { name, description, deadline, kind: Some(kind) } => {
                let (goal, unit) = match parse_goal_with_unit(*kind, text) {
                    Ok(parsed) => parsed,
                    Err(message) => return ask_again(&message),
                };
                let draft = ChallengeDraft {
                    name: name.clone(),
                    description: description.clone(),
                    deadline: *deadline,
                    unit,
                    goal,
                };
                self.create(ctx, draft, state).await
            }

            State::JoinChallengeGoal { challenge, kind, unit, .. } => {
                match parse_goal_for(*kind, unit.as_ref(), text) {
                    Ok(goal) => self.join(ctx, *challenge, Some(goal.target), Some(state)).await,
                    Err(message) => ask_again(&message),
                }
            }
            State::AddProgress { challenge, unit, start } => match parse_amount_for(unit.as_ref(), text) {
                Ok(value) => Ok(self.ask(
                    ctx,
                    State::AddProgressDate {
                        challenge: *challenge,
                        value: Some(value),
                        unit: unit.clone(),
                        start: *start,
                    },
                )),
                Err(message) => ask_again(&message),
            },
            State::AddProgressDate { challenge, value, .. }
            | State::AddProgressDateInput { challenge, value, .. } => match parse_date(text, ctx.today) {
                Ok(date) => self.log(ctx, *challenge, *value, date, state).await,
                Err(e) => ask_again(&e.to_string()),
            },
            State::UpsertGoal { challenge, kind, unit, .. } => {
                match parse_goal_for(*kind, unit.as_ref(), text) {
                    Ok(goal) => self.set_goal(ctx, *challenge, goal.target, state).await,
                    Err(message) => ask_again(&message),
                }
            }
        }
    }

    /// Moves to a question state and asks its question.
    fn ask(&self, ctx: &Ctx<'_>, next: State) -> Outcome {
        let q = question(&next, ctx.today).expect("question states have a question");
        Outcome::one(q, Next::Set(next))
    }

    // ----- buttons --------------------------------------------------------------------------

    async fn button(&self, ctx: &Ctx<'_>, payload: &str, state: Option<&State>, expired: bool) -> Turn {
        let action = match Action::decode(payload) {
            Ok(action) => action,
            Err(e) => {
                tracing::debug!(user = ctx.user.0, error = %e, "refused a button payload");
                return Ok(Outcome::main(Some(screens::invalid_button_note())));
            }
        };
        // Answers to a question need the conversation to still be at that question.
        let stale = || {
            let note = if expired { screens::expired_note(self.time_to_idle) } else { screens::stale_note() };
            Ok(Outcome::main(Some(note)))
        };
        match action {
            Action::Menu => Ok(Outcome::main(None)),
            Action::Cancel => {
                let note = if state.is_some_and(State::is_question) {
                    Some(Text::new().plain("Cancelled."))
                } else {
                    None
                };
                Ok(Outcome::main(note))
            }
            Action::Create => Ok(self.ask(ctx, State::CreateChallengeName)),
            Action::SkipDescription => match state {
                Some(State::CreateChallengeDetail { name }) => Ok(self.ask(
                    ctx,
                    State::CreateChallengeDate { name: name.clone(), description: Description::default() },
                )),
                _ => stale(),
            },
            Action::DeadlineIn { days } => match state {
                Some(asked @ State::CreateChallengeDate { name, description }) => {
                    let date =
                        ctx.today.checked_add_days(chrono::Days::new(u64::from(days))).unwrap_or(ctx.today);
                    match Deadline::parse(date, ctx.today) {
                        Ok(deadline) => Ok(self.ask(
                            ctx,
                            State::CreateChallengeGoal {
                                name: name.clone(),
                                description: description.clone(),
                                deadline: deadline.date(),
                                kind: None,
                            },
                        )),
                        // Only a forged payload can carry a shortcut beyond five years.
                        Err(e) => {
                            let q = question(asked, ctx.today).expect("a question");
                            Ok(Outcome::one(again(&e.to_string(), q), Next::Keep))
                        }
                    }
                }
                _ => stale(),
            },
            Action::Kind(kind) => match state {
                Some(State::CreateChallengeGoal { name, description, deadline, .. }) => Ok(self.ask(
                    ctx,
                    State::CreateChallengeGoal {
                        name: name.clone(),
                        description: description.clone(),
                        deadline: *deadline,
                        kind: Some(kind),
                    },
                )),
                _ => stale(),
            },
            Action::Browse { page } => self.browse(ctx, page).await,
            Action::Pick { challenge, page } => self.pick(ctx, challenge, page).await,
            Action::JoinDefault { challenge } => self.join(ctx, challenge, None, None).await,
            Action::Mine { page } => self.mine(ctx, page).await,
            Action::Open { challenge, page } => self.open(ctx, challenge, page).await,
            Action::Progress { challenge } => self.start_progress(ctx, challenge).await,
            Action::Day { challenge, day } => match state {
                Some(
                    s @ (State::AddProgressDate { challenge: c, value, unit, start }
                    | State::AddProgressDateInput { challenge: c, value, unit, start }),
                ) if *c == challenge => match day {
                    DayChoice::Today => self.log(ctx, challenge, *value, ctx.today, s).await,
                    DayChoice::Yesterday => {
                        let yesterday = ctx.today.pred_opt().unwrap_or(ctx.today);
                        self.log(ctx, challenge, *value, yesterday, s).await
                    }
                    DayChoice::Other => Ok(self.ask(
                        ctx,
                        State::AddProgressDateInput {
                            challenge,
                            value: *value,
                            unit: unit.clone(),
                            start: *start,
                        },
                    )),
                },
                _ => stale(),
            },
            Action::Goal { challenge } => self.start_goal(ctx, challenge).await,
            Action::Leaderboard { challenge } => self.leaderboard(ctx, challenge).await,
            Action::Undo { challenge } => self.undo(ctx, challenge).await,
            Action::UndoConfirm { challenge, entry } => self.undo_confirm(ctx, challenge, entry).await,
        }
    }

    // ----- create ---------------------------------------------------------------------------

    async fn create(&self, ctx: &Ctx<'_>, draft: ChallengeDraft, state: &State) -> Turn {
        let goal = draft.goal;
        let challenge = match self.app.create_challenge(ctx.user, draft).await {
            Ok(c) => c,
            // The deadline was checked when typed, but the day may have turned since: ask again.
            Err(AppError::Invalid(message)) => {
                let State::CreateChallengeGoal { name, description, .. } = state else {
                    return Err(AppError::Invalid(message));
                };
                let back =
                    State::CreateChallengeDate { name: name.clone(), description: description.clone() };
                let q = question(&back, ctx.today).expect("a question");
                return Ok(Outcome::one(again(&message, q), Next::Set(back)));
            }
            Err(e) => return Err(e),
        };
        let text = Text::new()
            .bold("🏁 Challenge created!")
            .plain("\n\n")
            .append(challenge_details(&challenge, ctx.today));
        let text = goal_phrase(text.plain("\nGoal: "), goal, challenge.unit.as_ref())
            .plain("\n\nYou have joined it with that goal. Others can find it under ")
            .bold("Join challenge")
            .plain(".");
        let reply = Reply::new(text)
            .row(vec![
                button(progress_label(challenge.goal_kind), Action::Progress { challenge: challenge.id }),
                button("Open challenge", Action::Open { challenge: challenge.id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Main))
    }

    // ----- join -----------------------------------------------------------------------------

    async fn browse(&self, ctx: &Ctx<'_>, page: u32) -> Turn {
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
        let mut reply_rows = Vec::with_capacity(list.items.len() + 2);
        for (i, c) in list.items.iter().enumerate() {
            let n = page * PAGE_SIZE + i as u32 + 1;
            text = text
                .plain(format!("\n{n}. "))
                .user(c.name.as_str())
                .plain(format!(": until {}", deadline_phrase(c, ctx.today)));
            reply_rows
                .push(vec![button(name_label(c.name.as_str()), Action::Pick { challenge: c.id, page })]);
        }
        text = text.plain("\n\nChoose one to see its details.");
        let mut reply = Reply::new(text);
        reply.buttons = reply_rows;
        let reply = reply
            .row(nav_row(page, list.total, |page| Action::Browse { page }))
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Set(State::JoinChallengeAvailable { page })))
    }

    /// A page of a list, clamped to the last page when the list has shrunk.
    async fn page_of(
        &self,
        filter: ChallengeFilter,
        page: u32,
    ) -> Result<(u32, crate::repository::Paged<Challenge>), AppError> {
        let list = self.app.list(filter, Page::new(page * PAGE_SIZE, PAGE_SIZE)).await?;
        if list.items.is_empty() && page > 0 && list.total > 0 {
            let last = screens::pages(list.total) - 1;
            let list = self.app.list(filter, Page::new(last * PAGE_SIZE, PAGE_SIZE)).await?;
            return Ok((last, list));
        }
        Ok((page, list))
    }

    async fn pick(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        match self.app.participant(id, ctx.user).await {
            Ok(_) => {
                let note = Text::new().italic("You have already joined this challenge.");
                return Ok(self.open(ctx, id, 0).await?.note(note));
            }
            Err(AppError::NotParticipant(_)) => {}
            Err(e) => return Err(e),
        }
        let next = State::JoinChallengeGoal {
            challenge: id,
            kind: challenge.goal_kind,
            unit: challenge.unit.clone(),
            default_goal: challenge.default_goal,
            page,
        };
        let q = question(&next, ctx.today).expect("a question");
        let reply = with_note(q, challenge_details(&challenge, ctx.today));
        Ok(Outcome::one(reply, Next::Set(next)))
    }

    async fn join(
        &self,
        ctx: &Ctx<'_>,
        id: ChallengeId,
        target: Option<Amount>,
        asked: Option<&State>,
    ) -> Turn {
        let (challenge, participant) = match self.app.join(id, ctx.user, target).await {
            Ok(joined) => joined,
            Err(AppError::AlreadyJoined(_)) => {
                let note = Text::new().italic("You have already joined this challenge.");
                return Ok(self.open(ctx, id, 0).await?.note(note));
            }
            Err(AppError::Invalid(message)) if asked.is_some() => {
                let q = question(asked.unwrap_or(&State::MainInit), ctx.today).expect("a question");
                return Ok(Outcome::one(again(&message, q), Next::Keep));
            }
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
                button(progress_label(challenge.goal_kind), Action::Progress { challenge: id }),
                button("Open challenge", Action::Open { challenge: id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Main))
    }

    // ----- view -----------------------------------------------------------------------------

    async fn mine(&self, ctx: &Ctx<'_>, page: u32) -> Turn {
        let filter = ChallengeFilter::JoinedBy { user: ctx.user, active_on: None };
        let (page, list) = self.page_of(filter, page).await?;
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
        for c in &list.items {
            let (participant, tally) = self.app.standing(c.id, ctx.user).await?;
            let goal = Goal::from_stored(c.goal_kind, participant.goal);
            text = text.plain("\n• ").user(c.name.as_str()).plain(": ");
            text = screens::figures(text, goal, c.unit.as_ref(), &tally)
                .plain(format!(" · {}", goal.share(&tally)));
            if participant.completed_at.is_some() {
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
        Ok(Outcome::one(reply, Next::Set(State::ViewChallengeJoined { page })))
    }

    async fn open(&self, ctx: &Ctx<'_>, id: ChallengeId, page: u32) -> Turn {
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
                    button(progress_label(c.goal_kind), Action::Progress { challenge: id }),
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
        Ok(Outcome::one(reply, Next::Set(State::ViewChallengeOptions { challenge: id, page })))
    }

    async fn leaderboard(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
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
            Ok(Outcome::one(reply, Next::Set(State::ViewChallengeOptions { challenge: id, page: 0 })))
        } else {
            let mut row = Vec::new();
            if c.is_active(ctx.today) {
                row.push(button("Join it", Action::Pick { challenge: id, page: 0 }));
            }
            row.push(button("Main menu", Action::Menu));
            Ok(Outcome::one(Reply::new(text).row(row), Next::Main))
        }
    }

    // ----- progress -------------------------------------------------------------------------

    async fn start_progress(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        self.app.participant(id, ctx.user).await?;
        let unit = challenge.unit.clone();
        let start = challenge.start_date;
        let next = if challenge.goal_kind.takes_values() {
            State::AddProgress { challenge: id, unit, start }
        } else {
            State::AddProgressDate { challenge: id, value: None, unit, start }
        };
        let q = question(&next, ctx.today).expect("a question");
        let reply = with_note(q, Text::new().user_bold(challenge.name.as_str()));
        Ok(Outcome::one(reply, Next::Set(next)))
    }

    async fn log(
        &self,
        ctx: &Ctx<'_>,
        id: ChallengeId,
        value: Option<Amount>,
        date: NaiveDate,
        asked: &State,
    ) -> Turn {
        let logged = match self.app.add_progress(id, ctx.user, value, date, ctx.key.cloned()).await {
            Ok(logged) => logged,
            // A date the challenge refuses: ask for another one (unless it has ended meanwhile).
            Err(AppError::Invalid(message)) => {
                self.app.active_challenge(id).await?;
                let next = match asked {
                    State::AddProgressDate { challenge, value, unit, start }
                    | State::AddProgressDateInput { challenge, value, unit, start } => {
                        State::AddProgressDateInput {
                            challenge: *challenge,
                            value: *value,
                            unit: unit.clone(),
                            start: *start,
                        }
                    }
                    _ => return Err(AppError::Invalid(message)),
                };
                let q = question(&next, ctx.today).expect("a question");
                return Ok(Outcome::one(again(&message, q), Next::Set(next)));
            }
            Err(e) => return Err(e),
        };
        Ok(Outcome { replies: logged_replies(&logged, ctx.today), next: Next::Main })
    }

    async fn start_goal(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        let participant = self.app.participant(id, ctx.user).await?;
        let next = State::UpsertGoal {
            challenge: id,
            kind: challenge.goal_kind,
            unit: challenge.unit.clone(),
            current: participant.goal,
        };
        let q = question(&next, ctx.today).expect("a question");
        let reply = with_note(q, Text::new().user_bold(challenge.name.as_str()));
        Ok(Outcome::one(reply, Next::Set(next)))
    }

    async fn set_goal(&self, ctx: &Ctx<'_>, id: ChallengeId, target: Amount, asked: &State) -> Turn {
        let before = self.app.participant(id, ctx.user).await?;
        let (challenge, participant, tally) = match self.app.set_goal(id, ctx.user, target).await {
            Ok(done) => done,
            Err(AppError::Invalid(message)) => {
                let q = question(asked, ctx.today).expect("a question");
                return Ok(Outcome::one(again(&message, q), Next::Keep));
            }
            Err(e) => return Err(e),
        };
        let goal = Goal::from_stored(challenge.goal_kind, participant.goal);
        let unit = challenge.unit.as_ref();
        let text = Text::new().plain("🎯 Your goal in ").user_bold(challenge.name.as_str()).plain(" is now ");
        let text = goal_phrase(text, goal, unit).plain(".\n\nYour progress: ");
        let text = progress_lines(text, goal, unit, &tally);
        let reply = Reply::new(text)
            .row(vec![
                button(progress_label(challenge.goal_kind), Action::Progress { challenge: id }),
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)]);
        let mut replies = vec![reply];
        if before.completed_at.is_none() && participant.completed_at.is_some() {
            replies.push(screens::celebration(&challenge, goal, &tally));
        }
        Ok(Outcome { replies, next: Next::Main })
    }

    async fn undo(&self, ctx: &Ctx<'_>, id: ChallengeId) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        let entries = self.app.progress(id, ctx.user).await?;
        let next = Next::Set(State::ViewChallengeOptions { challenge: id, page: 0 });
        let Some(last) = entries.iter().max_by_key(|e| e.id) else {
            let reply = Reply::new(
                Text::new().plain("You have no entries to undo in ").user(challenge.name.as_str()).plain("."),
            )
            .row(vec![
                button(progress_label(challenge.goal_kind), Action::Progress { challenge: id }),
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            ]);
            return Ok(Outcome::one(reply, next));
        };
        let text = entry_phrase(
            Text::new().plain("Remove your last entry, "),
            last.value,
            challenge.unit.as_ref(),
            last.date.date(),
            ctx.today,
        )
        .plain(", from ")
        .user(challenge.name.as_str())
        .plain("?");
        let reply = Reply::new(text).row(vec![
            button("Yes, remove it", Action::UndoConfirm { challenge: id, entry: last.id }),
            button("No, keep it", Action::Open { challenge: id, page: 0 }),
        ]);
        Ok(Outcome::one(reply, next))
    }

    async fn undo_confirm(&self, ctx: &Ctx<'_>, id: ChallengeId, entry: i64) -> Turn {
        let challenge = self.app.active_challenge(id).await?;
        let participant = self.app.participant(id, ctx.user).await?;
        let entries = self.app.progress(id, ctx.user).await?;
        if entries.iter().map(|e| e.id).max() != Some(entry) {
            let note = Text::new().italic("That entry is no longer your last one, so nothing was removed.");
            return Ok(self.open(ctx, id, 0).await?.note(note));
        }
        let Some((removed, tally)) = self.app.undo_last(id, ctx.user).await? else {
            return Ok(self.open(ctx, id, 0).await?.note(Text::new().italic("There was nothing to undo.")));
        };
        let goal = Goal::from_stored(challenge.goal_kind, participant.goal);
        let unit = challenge.unit.as_ref();
        let text = entry_phrase(
            Text::new().plain("↩️ Removed "),
            removed.value,
            unit,
            removed.date.date(),
            ctx.today,
        )
        .plain(".\n\n")
        .user_bold(challenge.name.as_str())
        .plain(": ");
        let text = progress_lines(text, goal, unit, &tally);
        let reply = Reply::new(text)
            .row(vec![
                button(progress_label(challenge.goal_kind), Action::Progress { challenge: id }),
                button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            ])
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Set(State::ViewChallengeOptions { challenge: id, page: 0 })))
    }
}

fn progress_label(kind: GoalKind) -> &'static str {
    if kind.takes_values() { "Add progress" } else { "Check in" }
}

/// "5 km on 2026-03-01 (today)" or "the check-in for 2026-03-01".
fn entry_phrase(
    text: Text,
    value: Option<Amount>,
    unit: Option<&Unit>,
    date: NaiveDate,
    today: NaiveDate,
) -> Text {
    match value {
        Some(v) => quantity(text, v, unit, true).plain(format!(" on {}", day_phrase(date, today))),
        None => text.plain(format!("the check-in for {}", day_phrase(date, today))),
    }
}

/// The confirmation of logged progress, and the celebration when it completed the goal.
fn logged_replies(logged: &ProgressLogged, today: NaiveDate) -> Vec<Reply> {
    let ProgressLogged { challenge, goal, recorded } = logged;
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
    let text = head
        .plain(format!(" for {} in ", day_phrase(entry.date.date(), today)))
        .user_bold(challenge.name.as_str())
        .plain(".\n\n");
    let text = progress_lines(text.plain("Your progress: "), *goal, unit, &recorded.tally);
    let id = challenge.id;
    let more = if challenge.goal_kind.takes_values() { "Add more" } else { "Check in again" };
    let reply = Reply::new(text)
        .row(vec![
            button(more, Action::Progress { challenge: id }),
            button("Leaderboard", Action::Leaderboard { challenge: id }),
        ])
        .row(vec![
            button("Back to challenge", Action::Open { challenge: id, page: 0 }),
            button("Main menu", Action::Menu),
        ]);
    let mut replies = vec![reply];
    if recorded.completed_now && !recorded.duplicate {
        replies.push(screens::celebration(challenge, *goal, &recorded.tally));
    }
    replies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_commands_or_text() {
        let cmd =
            |name: &str, arg: Option<&str>| Input::Command { name: name.into(), arg: arg.map(Into::into) };
        assert_eq!(Input::from_message("/start"), cmd("start", None));
        assert_eq!(Input::from_message(" /Cancel@challenge_bot "), cmd("cancel", None));
        assert_eq!(Input::from_message("/start  j12 "), cmd("start", Some("j12")));
        assert_eq!(Input::from_message("/"), Input::Text("/".into()));
        assert_eq!(Input::from_message("/ 5"), Input::Text("/ 5".into()));
        assert_eq!(Input::from_message("5 km"), Input::Text("5 km".into()));
    }
}
