//! Test support for the conversation: an engine on a chosen store with a fixed "today", and a
//! scripted user who sends messages and presses buttons by label.
//!
//! Use it with `mod storage_support; mod conversation_support;`. Every reply the harness sees is
//! checked for what must always hold: payloads decode and fit in 64 bytes, only the first reply to
//! a button press replaces the pressed message.
#![allow(dead_code)]

use std::any::Any;
use std::sync::Arc;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::App;
use challenge_bot::handler::ChallengeDraft;
use challenge_bot::handler::conversation::{
    Action, CacheConfig, Conversation, Input, MAX_PAYLOAD_BYTES, Reply, ReplyMode, Request, StorageFailure,
};
use challenge_bot::progress::IdempotencyKey;
use challenge_bot::repository::Store;
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::user::{DisplayName, UserId};
use chrono::NaiveDate;

use crate::storage_support;

/// The day the tests run on.
pub const TODAY: &str = "2026-03-10";

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Memory,
    Sqlite,
    Postgres,
}

/// An engine over one store. Keeps the store's temporary directory or database alive.
pub struct Harness {
    pub conv: Conversation,
    pub store: Arc<dyn Store>,
    /// Set for [`Backend::Memory`], to switch the store off.
    pub memory: Option<Arc<MemoryStore>>,
    _keep: Arc<dyn Any + Send + Sync>,
}

impl Harness {
    pub async fn new(backend: Backend) -> Harness {
        Harness::with_cache(backend, CacheConfig::default()).await
    }

    pub async fn with_cache(backend: Backend, cache: CacheConfig) -> Harness {
        Harness::with_clock(backend, cache, Clock::Fixed(day(TODAY))).await
    }

    /// An engine whose clock a test moves by hand, "today" in UTC unless the person set a zone.
    pub async fn at_time(backend: Backend, time: &challenge_bot::clock::ManualTime) -> Harness {
        let clock = Clock::Manual(time.clone(), chrono_tz::Tz::UTC);
        Harness::with_clock(backend, CacheConfig::default(), clock).await
    }

    async fn with_clock(backend: Backend, cache: CacheConfig, clock: Clock) -> Harness {
        let (store, memory, keep): (Arc<dyn Store>, _, Arc<dyn Any + Send + Sync>) = match backend {
            Backend::Memory => {
                let store = Arc::new(MemoryStore::new());
                (store.clone(), Some(store), Arc::new(()))
            }
            Backend::Sqlite => {
                let (store, dir) = storage_support::fresh_sqlite().await;
                (Arc::new(store), None, Arc::new(dir))
            }
            Backend::Postgres => {
                let (store, guard) = storage_support::fresh_postgres().await;
                (Arc::new(store), None, Arc::new(guard))
            }
        };
        let app = App::new(store.clone(), clock);
        Harness { conv: Conversation::new(app, &cache), store, memory, _keep: keep }
    }

    /// The same store seen on another day (a new engine, so no conversation state carries over).
    pub fn on(&self, today: &str) -> Harness {
        let app = App::new(self.store.clone(), Clock::Fixed(day(today)));
        Harness {
            conv: Conversation::new(app, &CacheConfig::default()),
            store: self.store.clone(),
            memory: self.memory.clone(),
            _keep: self._keep.clone(),
        }
    }

    pub fn app(&self) -> &App {
        self.conv.app()
    }

    /// Creates a challenge directly, as user `creator`, deadline 2026-04-10, with `unit`.
    pub async fn seed(
        &self,
        creator: i64,
        name: &str,
        kind: GoalKind,
        goal: &str,
        unit: Option<&str>,
    ) -> ChallengeId {
        let draft = ChallengeDraft {
            name: ChallengeName::parse(name).unwrap(),
            description: Description::parse("").unwrap(),
            deadline: day("2026-04-10"),
            unit: unit.map(|u| Unit::parse(u).unwrap()),
            goal: Goal::new(kind, Amount::parse_positive(goal).unwrap()).unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        self.app().create_challenge(UserId(creator), draft).await.unwrap().id
    }

    pub fn user(&self, id: i64, name: &str) -> User<'_> {
        User {
            conv: &self.conv,
            id: UserId(id),
            name: DisplayName::sanitize(name, UserId(id)),
            last: Vec::new(),
            news: Vec::new(),
            to_groups: Vec::new(),
            key: None,
        }
    }
}

/// One person talking to the engine.
pub struct User<'a> {
    pub conv: &'a Conversation,
    pub id: UserId,
    pub name: DisplayName,
    /// The replies to the last input.
    pub last: Vec<Reply>,
    /// The news the last input made for other people.
    pub news: Vec<Reply>,
    /// What the last input made for groups (a new challenge's message, news lines).
    pub to_groups: Vec<Reply>,
    key: Option<IdempotencyKey>,
}

impl User<'_> {
    /// Sends the next input with this idempotency key.
    pub fn with_key(&mut self, key: &str) -> &mut Self {
        self.key = Some(IdempotencyKey::parse(key).unwrap());
        self
    }

    pub async fn try_input(&mut self, input: Input) -> Result<&[Reply], StorageFailure> {
        let is_button = matches!(input, Input::Button(_));
        let mut request = Request::new(self.id, self.name.clone(), input);
        request.idempotency_key = self.key.take();
        let mut replies = self.conv.handle(request).await?;
        check_replies(&replies, is_button);
        // News for the others is kept apart: `last` is what this person sees.
        self.news = replies.iter().filter(|r| r.news_recipient().is_some()).cloned().collect();
        self.to_groups =
            replies.iter().filter(|r| r.is_for_others() && r.news_recipient().is_none()).cloned().collect();
        replies.retain(|r| !r.is_for_others());
        self.last = replies;
        Ok(&self.last)
    }

    pub async fn input(&mut self, input: Input) -> &[Reply] {
        let label = format!("{input:?}");
        self.try_input(input).await.unwrap_or_else(|e| panic!("{label} failed: {e}"))
    }

    /// Sends a typed message (a command if it starts with `/`).
    pub async fn send(&mut self, message: &str) -> &[Reply] {
        self.input(Input::from_message(message)).await
    }

    /// Presses the button with this label on the last replies.
    pub async fn press(&mut self, label: &str) -> &[Reply] {
        let payload = self.payload(label);
        self.input(Input::Button(payload)).await
    }

    /// Presses a button with this payload (forged, or from an old message).
    pub async fn press_payload(&mut self, payload: &str) -> &[Reply] {
        self.input(Input::Button(payload.to_owned())).await
    }

    /// The payload of the button with this label on the last replies.
    pub fn payload(&self, label: &str) -> String {
        self.last
            .iter()
            .find_map(|r| r.button(label))
            .map(|b| b.payload.clone())
            .unwrap_or_else(|| panic!("no button {label:?} in {:#?}", self.labels()))
    }

    pub fn has_button(&self, label: &str) -> bool {
        self.last.iter().any(|r| r.button(label).is_some())
    }

    pub fn labels(&self) -> Vec<String> {
        self.last.iter().flat_map(|r| r.all_buttons()).map(|b| b.label.clone()).collect()
    }

    /// The text of the last replies, without styling, one reply per paragraph.
    pub fn text(&self) -> String {
        self.last.iter().map(|r| r.text.to_plain()).collect::<Vec<_>>().join("\n\n")
    }

    pub async fn state(&self) -> &'static str {
        self.conv.state_of(self.id).await.name()
    }

    /// Asserts that the last replies contain `needle`.
    #[track_caller]
    pub fn sees(&self, needle: &str) {
        let text = self.text();
        assert!(text.contains(needle), "expected {needle:?} in:\n{text}");
    }

    #[track_caller]
    pub fn does_not_see(&self, needle: &str) {
        let text = self.text();
        assert!(!text.contains(needle), "did not expect {needle:?} in:\n{text}");
    }
}

/// What must hold for every answer.
#[track_caller]
pub fn check_replies(replies: &[Reply], is_button: bool) {
    assert!(!replies.is_empty(), "every input gets an answer");
    for (i, reply) in replies.iter().enumerate() {
        assert!(!reply.text.is_empty(), "empty reply text");
        let expected = if is_button && i == 0 { ReplyMode::EditOriginal } else { ReplyMode::New };
        assert_eq!(reply.mode, expected, "reply {i} mode");
        for b in reply.all_buttons() {
            assert!(b.payload.len() <= MAX_PAYLOAD_BYTES, "payload {:?} too long", b.payload);
            assert!(Action::decode(&b.payload).is_ok(), "payload {:?} does not decode", b.payload);
            assert!(!b.label.is_empty());
        }
    }
}

/// Declares `mod $name { memory, sqlite, postgres }` tests running `$name(Backend)`.
#[macro_export]
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn memory() {
                super::$name(Backend::Memory).await;
            }
            #[tokio::test]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await;
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(Backend::Postgres).await;
            }
        }
    )*};
}
