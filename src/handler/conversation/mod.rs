//! The conversation: the states of the design document, driven by protocol-neutral inputs.
//!
//! A protocol turns what a person did into an [`Input`] (a command, a text or a button press),
//! wraps it in a [`Request`] with who they are, and calls [`Conversation::handle`]; it gets back
//! [`Reply`]s to render. Where each user is in the conversation lives in the state cache
//! ([`crate::storage::localcache`]); everything else is read and written through [`App`], so the
//! rules of the domain are enforced in one place and every button press is checked again against
//! the database.
//!
//! This module is the engine: it reads the user's state, routes the input to the flow it
//! belongs to, and applies the state the flow leaves behind. Each flow is a file of its own,
//! the way each command of a server is (a new flow is a new file): [`commands`] (`/start`,
//! `/help`, `/cancel`), [`create`], [`join`], [`view`] (the user's challenges, one challenge,
//! its leaderboard, ended challenges), [`progress`], [`goal`], [`undo`], [`history`] (one's
//! entries, changed or deleted) and [`manage`] (the creator's changes, leaving). [`group`] is the
//! conversation in group chats, which has no state; [`privacy`] is `/privacy` and `/deleteme`;
//! [`settings`] is `/settings` (time zone, reminder). [`reminders`] is what the bot says first:
//! reminders, streaks at risk and the summary of a challenge that ended.
//! [`screens`] holds the copy they share.
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
mod chart;
mod commands;
mod create;
pub mod dashboard;
mod goal;
mod group;
mod history;
mod invite;
mod join;
mod manage;
mod moderate;
mod news;
mod payload;
mod privacy;
mod progress;
mod quick;
mod reminders;
mod reply;
mod screens;
mod settings;
mod state;
mod undo;
mod view;

use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

pub use self::group::{GroupAnswer, GroupInput, GroupRequest};
pub use self::payload::{Action, DayChoice, MAX_PAYLOAD_BYTES, PayloadError};
pub use self::reply::{Announcement, Button, Expect, LinkButton, Reply, ReplyKind, ReplyMode, Span, Text};
pub use self::screens::{LEADERBOARD_SIZE, PAGE_SIZE};
use self::screens::{again, with_note};
pub use self::state::{Question, Screen, State};
use super::app::{App, AppError};
use crate::progress::IdempotencyKey;
use crate::repository::{RepositoryError, Store};
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
        apology()
    }
}

/// What to tell someone whose input could not be handled: an apology and the main menu.
pub fn apology() -> Reply {
    screens::main_menu(Some(Text::new().plain(
        "⚠️ Something went wrong on my side, so that could not be done (nothing of it was saved). Sorry! You can try again.",
    )))
    .notice()
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
    /// The first reply is the main menu: the engine puts the person's one-tap challenges on it.
    menu: bool,
}

impl Outcome {
    fn one(reply: Reply, next: Next) -> Outcome {
        Outcome::many(vec![reply], next)
    }

    fn many(replies: Vec<Reply>, next: Next) -> Outcome {
        Outcome { replies, next, menu: false }
    }

    fn main(note: Option<Text>) -> Outcome {
        Outcome::one(screens::main_menu(note), Next::Main).with_menu()
    }

    fn with_menu(mut self) -> Outcome {
        self.menu = true;
        self
    }

    fn note(mut self, note: Text) -> Outcome {
        if let Some(first) = self.replies.first_mut() {
            *first = with_note(first.clone(), note);
        }
        self
    }

    /// Marks the first reply as the answer to a change that was stored (see [`ReplyKind`]).
    fn effect(mut self, summary: impl Into<String>) -> Outcome {
        if let Some(first) = self.replies.first_mut() {
            *first = first.clone().effect(summary);
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

impl Settle {
    /// Back to the main menu (the bot gives up on an input after an apology with the menu).
    pub fn main_menu(user: UserId) -> Settle {
        Settle { user, state: Some(StateChange::Remove) }
    }
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
    /// user → their time zone, for those whose reminders are not paused (read once, not on
    /// every input; a change of settings, or a pause, forgets the entry).
    people: moka::future::Cache<i64, chrono_tz::Tz>,
    hasher: std::hash::RandomState,
    time_to_idle: Duration,
    /// The Mini App's public address: the main menu opens it ("🗂 Open dashboard").
    dashboard: Option<String>,
}

/// Who is speaking and what they passed along, for the length of one input.
struct Ctx<'a> {
    user: UserId,
    /// The user's name as Telegram (or the terminal) gave it, for news to the others.
    name: &'a DisplayName,
    key: Option<&'a IdempotencyKey>,
    today: NaiveDate,
    /// The user had a state that expired (rather than none at all).
    expired: bool,
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
            people: moka::future::Cache::builder()
                .max_capacity(config.capacity)
                .time_to_idle(Duration::from_secs(3600))
                .build(),
            hasher: std::hash::RandomState::new(),
            time_to_idle: config.time_to_idle,
            dashboard: None,
        }
    }

    /// The zone a person's days are counted in (their setting, else the server's). A person
    /// whose reminders were paused (they had blocked the bot) and who writes again has them
    /// resumed here.
    pub async fn zone_of(&self, user: UserId) -> Result<chrono_tz::Tz, StorageFailure> {
        if let Some(zone) = self.people.get(&user.0).await {
            return Ok(zone);
        }
        let settings = match self.profiles.settings(user).await {
            Ok(settings) => settings,
            Err(AppError::Storage(e)) => return Err(StorageFailure(e)),
            Err(other) => {
                tracing::warn!(user = user.0, error = %other, "could not read a person's settings");
                return Ok(self.app.server_zone());
            }
        };
        if settings.paused {
            match self.profiles.resume_reminders(user).await {
                Err(AppError::Storage(e)) => return Err(StorageFailure(e)),
                Err(other) => tracing::warn!(user = user.0, error = %other, "could not resume reminders"),
                Ok(()) => tracing::info!(user = user.0, "reminders resumed: the person wrote again"),
            }
        }
        let zone = settings.zone_or(self.app.server_zone());
        self.people.insert(user.0, zone).await;
        Ok(zone)
    }

    /// Forgets what is cached of a person's settings (they changed, or Telegram said the person
    /// blocked the bot), so their next input reads them again.
    pub async fn forget_person(&self, user: UserId) {
        self.people.invalidate(&user.0).await;
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
            None => State::MAIN,
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
        let zone = self.zone_of(request.user).await?;
        crate::clock::in_person_zone(zone, self.handle_in_zone(request)).await
    }

    /// [`Conversation::handle_unsettled`] within the person's zone: "today" is theirs.
    async fn handle_in_zone(&self, request: Request) -> Result<(Vec<Reply>, Settle), StorageFailure> {
        let Request { user, name, input, idempotency_key } = request;
        self.remember(user, &name).await?;
        let (current, expired) = match self.states.get(user).await {
            Lookup::Live(state) => (Some(state), false),
            Lookup::Expired => (None, true),
            Lookup::Missing => (None, false),
        };
        let ctx = Ctx { user, name: &name, key: idempotency_key.as_ref(), today: self.app.today(), expired };
        let is_button = matches!(input, Input::Button(_));
        let state = current.as_deref();
        let turn = match &input {
            Input::Command { name: command, arg } => {
                self.command(&ctx, &name, command, arg.as_deref(), state).await
            }
            Input::Text(text) => self.text(&ctx, text, state).await,
            Input::Button(payload) => self.button(&ctx, payload, state).await,
        };
        let mut outcome = match turn {
            Ok(outcome) => outcome,
            Err(AppError::Storage(e)) => return Err(StorageFailure(e)),
            // A re-check refused the action (the challenge is gone, ended, or not the user's).
            Err(refused) => Outcome::main(Some(Text::new().italic(refused.to_string()))),
        };
        if outcome.menu {
            self.add_quick_rows(&ctx, &mut outcome).await?;
            self.add_dashboard_button(&mut outcome);
        }
        let state = match outcome.next {
            Next::Keep => current.map(StateChange::Put),
            Next::Main => current.map(|_| StateChange::Remove),
            Next::Set(State::Screen(Screen::MainInit)) => Some(StateChange::Remove),
            Next::Set(next) => Some(StateChange::Put(Arc::new(next))),
        };
        // Where the person ends up at the menu or a challenge's screen, a typed number is progress.
        let reads_progress = match &state {
            Some(StateChange::Put(next)) => {
                matches!(**next, State::Screen(Screen::ViewChallengeOptions { .. }))
            }
            // No change of state: there was none (the main menu).
            Some(StateChange::Remove) | None => true,
        };
        let mut replies = outcome.replies;
        for (i, reply) in replies.iter_mut().enumerate() {
            let replaces = is_button && i == 0 && reply.attachment.is_none();
            reply.mode = if replaces { ReplyMode::EditOriginal } else { ReplyMode::New };
        }
        // The person's own last reply (news for the others is not theirs to answer).
        if reads_progress
            && let Some(last) = replies.iter_mut().rev().find(|r| !r.is_for_others())
            && last.expects == Expect::Choice
        {
            last.expects = Expect::Progress;
        }
        Ok((replies, Settle { user, state }))
    }

    /// Puts the person's running challenges, most recently used first, on the main menu as
    /// one-tap buttons (one statement).
    async fn add_quick_rows(&self, ctx: &Ctx<'_>, outcome: &mut Outcome) -> Result<(), StorageFailure> {
        let running = match self.app.recently_active(ctx.user, quick::MENU_CHALLENGES).await {
            Ok(running) => running,
            Err(AppError::Storage(e)) => return Err(StorageFailure(e)),
            Err(other) => {
                tracing::warn!(user = ctx.user.0, error = %other, "could not list the menu's challenges");
                return Ok(());
            }
        };
        if let Some(menu) = outcome.replies.first_mut() {
            let rows = quick::menu_rows(&running, ctx.today);
            menu.buttons.splice(0..0, rows);
        }
        Ok(())
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

    /// Moves to a question and asks it.
    fn ask(&self, ctx: &Ctx<'_>, next: Question) -> Outcome {
        Outcome::one(question(&next, ctx.today), Next::Set(next.into()))
    }

    /// A refusal of an answer: the message, then the same question again.
    fn ask_again(&self, ctx: &Ctx<'_>, asked: &Question, message: &str) -> Turn {
        Ok(Outcome::one(again(message, question(asked, ctx.today)), Next::Keep))
    }

    /// The note for a button that answers a question no longer open.
    fn stale(&self, ctx: &Ctx<'_>) -> Turn {
        let note = if ctx.expired { screens::expired_note(self.time_to_idle) } else { screens::stale_note() };
        Ok(Outcome::main(Some(note)))
    }

    // ----- typed answers --------------------------------------------------------------------

    async fn text(&self, ctx: &Ctx<'_>, text: &str, state: Option<&State>) -> Turn {
        // At the menu or on a challenge's screen, a number is progress (not after a question
        // timed out: the number was its answer).
        let at_menu_or_challenge = !ctx.expired
            && matches!(
                state,
                None | Some(State::Screen(Screen::MainInit | Screen::ViewChallengeOptions { .. }))
            );
        if at_menu_or_challenge && let Some(turn) = self.typed_progress(ctx, text, state).await {
            return turn;
        }
        let Some(state) = state else {
            let note = if ctx.expired {
                screens::expired_note(self.time_to_idle)
            } else {
                screens::not_understood_note()
            };
            return Ok(Outcome::main(Some(note)));
        };
        let question = match state {
            State::Screen(Screen::MainInit) => {
                return Ok(Outcome::main(Some(screens::not_understood_note())));
            }
            // Words typed on the list of challenges to join: a search.
            State::Screen(Screen::JoinChallengeAvailable { .. }) => return self.search(ctx, text).await,
            State::Screen(screen) => {
                return Ok(self.show(ctx, screen).await?.note(screens::use_buttons_note()));
            }
            State::Question(question) => question,
        };
        match question {
            Question::CreateChallengeName { .. }
            | Question::CreateChallengeDetail { .. }
            | Question::CreateChallengeDate { .. }
            | Question::CreateChallengeGoal { .. } => self.answer_create(ctx, question, text).await,
            Question::JoinChallengeGoal { .. } => self.answer_join_goal(ctx, question, text).await,
            Question::AddProgress { .. }
            | Question::AddProgressDate { .. }
            | Question::AddProgressDateInput { .. } => self.answer_progress(ctx, question, text).await,
            Question::UpsertGoal { .. } => self.answer_goal(ctx, question, text).await,
            Question::EditEntryValue { .. } | Question::EditEntryDate { .. } => {
                self.answer_entry_edit(ctx, question, text).await
            }
            Question::LogToday { .. } => self.answer_log_today(ctx, question, text).await,
            Question::TimeZone => self.answer_zone(ctx, text).await,
            Question::ReminderTime => self.answer_time(ctx, text).await,
            // Another number typed instead of choosing: that number is the progress now.
            Question::LogWhich { .. } => match self.typed_progress(ctx, text, None).await {
                Some(turn) => turn,
                None => self.ask_again(ctx, question, "That is not one of the challenges."),
            },
            Question::EditChallengeName { .. }
            | Question::EditChallengeDescription { .. }
            | Question::EditChallengeDeadline { .. } => self.answer_manage(ctx, question, text).await,
        }
    }

    /// A menu or list shown afresh.
    async fn show(&self, ctx: &Ctx<'_>, screen: &Screen) -> Turn {
        match screen {
            Screen::MainInit => Ok(Outcome::main(None)),
            Screen::JoinChallengeAvailable { page, search: None } => self.browse(ctx, *page).await,
            Screen::JoinChallengeAvailable { page, search: Some(_) } => {
                self.search_page(ctx, *page, Some(&State::Screen(screen.clone()))).await
            }
            Screen::ViewChallengeJoined { page } => self.mine(ctx, *page).await,
            Screen::ViewChallengeOptions { challenge, page } => self.open(ctx, *challenge, *page).await,
            Screen::ViewChallengeEnded { page } => self.ended(ctx, *page).await,
            Screen::ViewChallengeHistory { challenge, page } => self.history(ctx, *challenge, *page).await,
        }
    }

    // ----- buttons --------------------------------------------------------------------------

    async fn button(&self, ctx: &Ctx<'_>, payload: &str, state: Option<&State>) -> Turn {
        let action = match Action::decode(payload) {
            Ok(action) => action,
            Err(e) => {
                tracing::debug!(user = ctx.user.0, error = %e, "refused a button payload");
                return Ok(Outcome::main(Some(screens::invalid_button_note())));
            }
        };
        // Answers to a question need the conversation to still be at that question.
        let asked = state.and_then(State::question);
        match action {
            Action::Menu => Ok(Outcome::main(None)),
            Action::Cancel => {
                let note = asked.map(|_| Text::new().plain("Cancelled."));
                Ok(Outcome::main(note))
            }
            Action::Create | Action::SkipDescription | Action::DeadlineIn { .. } | Action::Kind(_) => {
                self.press_create(ctx, action, asked).await
            }
            Action::Browse { page } => self.browse(ctx, page).await,
            Action::Pick { challenge, page } => self.pick(ctx, challenge, page).await,
            Action::JoinDefault { challenge } => self.join_default(ctx, challenge, asked).await,
            Action::Mine { page } => self.mine(ctx, page).await,
            Action::Open { challenge, page } => self.open(ctx, challenge, page).await,
            Action::Progress { challenge } => self.start_progress(ctx, challenge).await,
            Action::Day { challenge, day } => self.press_day(ctx, challenge, day, asked).await,
            Action::Goal { challenge } => self.start_goal(ctx, challenge).await,
            Action::Leaderboard { challenge } => self.leaderboard(ctx, challenge).await,
            Action::Undo { challenge } => self.undo(ctx, challenge).await,
            Action::UndoConfirm { challenge, entry } => self.undo_confirm(ctx, challenge, entry).await,
            Action::Ended { page } => self.ended(ctx, page).await,
            Action::History { challenge, page } => self.history(ctx, challenge, page).await,
            Action::Entry { entry, page } => self.entry(ctx, entry, page).await,
            Action::EntryValue { entry } => self.start_entry_edit(ctx, entry, true).await,
            Action::EntryDate { entry } => self.start_entry_edit(ctx, entry, false).await,
            Action::EntryDelete { entry } => self.entry_delete(ctx, entry).await,
            Action::EntryDeleteConfirm { entry } => self.entry_delete_confirm(ctx, entry).await,
            Action::Manage { challenge } => self.manage(ctx, challenge).await,
            Action::Rename { .. } | Action::Describe { .. } | Action::MoveDeadline { .. } => {
                self.start_manage(ctx, action).await
            }
            Action::ClearDescription { challenge } => self.clear_description(ctx, challenge).await,
            Action::DeleteChallenge { challenge } => self.delete_challenge(ctx, challenge).await,
            Action::DeleteChallengeConfirm { challenge } => {
                self.delete_challenge_confirm(ctx, challenge).await
            }
            Action::Leave { challenge } => self.leave(ctx, challenge).await,
            Action::LeaveConfirm { challenge } => self.leave_confirm(ctx, challenge).await,
            Action::QuickLog { challenge } => self.quick_log(ctx, challenge).await,
            Action::LogFor { challenge } => self.log_for(ctx, challenge, asked).await,
            // "↩️ Undo": the entry goes, no questions asked (it was just logged).
            Action::UndoEntry { entry } => self.delete_entry(ctx, entry, history::EntryChange::Undone).await,
            Action::Chart { challenge, personal } => self.chart(ctx, challenge, personal).await,
            Action::ExportChallenge { challenge } => self.export_challenge(ctx, challenge).await,
            Action::Invite { challenge } => self.invite(ctx, challenge).await,
            Action::RevokeInvite { challenge } => self.revoke_invite(ctx, challenge).await,
            Action::SetVisibility { challenge, public } => self.set_visibility(ctx, challenge, public).await,
            Action::SearchPage { page } => self.search_page(ctx, page, state).await,
            Action::MuteNews { challenge, muted } => self.mute_news(ctx, challenge, muted).await,
            Action::DeleteMeConfirm => self.delete_me(ctx).await,
            Action::Report { challenge } => self.report_reasons(ctx, challenge).await,
            Action::ReportFor { challenge, reason } => self.report(ctx, challenge, reason).await,
            Action::Members { challenge, page } => self.members(ctx, challenge, page).await,
            Action::RemoveMember { challenge, user } => self.remove_member(ctx, challenge, user).await,
            Action::Settings => self.settings(ctx).await,
            Action::ZoneMenu => self.zone_menu(),
            Action::ZonePick { index } => match settings::ZONES.get(index as usize) {
                Some(zone) => self.set_zone(ctx, *zone).await,
                None => Ok(Outcome::main(Some(screens::invalid_button_note()))),
            },
            Action::Reminders => self.reminders(ctx).await,
            Action::RemindAt { minutes } => {
                match crate::reminder::TimeOfDay::from_minutes(i64::from(minutes)) {
                    Some(at) => self.remind_at(ctx, at).await,
                    None => Ok(Outcome::main(Some(screens::invalid_button_note()))),
                }
            }
            Action::RemindTyped => {
                Ok(Outcome::one(settings::time_question(), Next::Set(Question::ReminderTime.into())))
            }
            Action::RemindersOff => self.reminders_off(ctx).await,
            Action::RemindToggle { challenge } => self.remind_toggle(ctx, challenge).await,
            Action::NextRound { challenge } => self.next_round(ctx, challenge).await,
            Action::HideName { challenge, user, hidden, page } => {
                self.hide_name(ctx, challenge, user, hidden, page).await
            }
            Action::RemoveMemberConfirm { challenge, user } => {
                self.remove_member_confirm(ctx, challenge, user).await
            }
            Action::SetClosed { challenge, closed } => self.set_closed(ctx, challenge, closed).await,
            // A group's buttons, pressed somewhere else (a forwarded message).
            Action::GroupJoin { .. }
            | Action::GroupBoard { .. }
            | Action::GroupList
            | Action::GroupDelete { .. }
            | Action::GroupDeleteConfirm { .. } => {
                Ok(Outcome::main(Some(Text::new().italic("That button works in its group."))))
            }
        }
    }
}

/// The question asked again (after /help, or a bad answer).
fn question(asked: &Question, today: NaiveDate) -> Reply {
    match asked {
        Question::CreateChallengeName { .. }
        | Question::CreateChallengeDetail { .. }
        | Question::CreateChallengeDate { .. }
        | Question::CreateChallengeGoal { .. } => create::question(asked, today),
        Question::JoinChallengeGoal { challenge, kind, unit, default_goal, page } => {
            join::goal_question(*challenge, *kind, unit.as_ref(), *default_goal, *page)
        }
        Question::AddProgress { .. }
        | Question::AddProgressDate { .. }
        | Question::AddProgressDateInput { .. } => progress::question(asked, today),
        Question::UpsertGoal { challenge, kind, unit, current } => {
            goal::question(*challenge, *kind, unit.as_ref(), *current)
        }
        Question::EditEntryValue { .. } | Question::EditEntryDate { .. } => history::question(asked, today),
        Question::LogToday { .. } => quick::question(asked),
        Question::TimeZone => settings::zone_question(),
        Question::ReminderTime => settings::time_question(),
        Question::LogWhich { .. } => {
            Reply::new(Text::new().plain("Which challenge is it for? Choose one of the buttons above."))
                .row(screens::cancel_row())
        }
        Question::EditChallengeName { .. }
        | Question::EditChallengeDescription { .. }
        | Question::EditChallengeDeadline { .. } => manage::question(asked, today),
    }
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
