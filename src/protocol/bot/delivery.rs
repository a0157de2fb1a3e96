//! What the bot remembers about delivery, so that an update is applied once and answered once
//! however often Telegram delivers it: the offset polling resumes from, and an outbox of handled
//! updates with the Bot API calls that answer them and how many of those calls were made.
//!
//! [`DeliveryLog`] is the repository trait; the SQL stores implement it in
//! `storage::{sqlite,postgres}::delivery`, and [`MemoryDeliveryLog`] serves tests.
//!
//! An update is handled in a [`Turn`]: the repositories it hands out share one transaction, and
//! [`Turn::finish`] records the update with its answers in that same transaction, so its effects
//! and its record commit together or not at all (`storage::turn` explains the mechanics). An
//! update without effects is recorded with PostgreSQL's asynchronous commit: a crash of the
//! database server (not of the bot) in the following fraction of a second could forget that it
//! was answered, and answer it again if it is delivered again; nothing else is at stake.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::repository::{RepositoryError, Store};
use crate::storage::memory::MemoryStore;

/// One button of an inline keyboard: its label and its callback data (at most 64 bytes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    pub data: String,
}

/// One Bot API call that answers an update. Texts are HTML, already escaped and cut to size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Action {
    /// `answerCallbackQuery`, optionally with a short notification text.
    Answer {
        query_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// `sendMessage` in HTML parse mode.
    Send {
        chat_id: i64,
        html: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buttons: Vec<Vec<Button>>,
    },
    /// `editMessageText` of a message the bot sent (a new message if it can no longer be edited).
    Edit {
        chat_id: i64,
        message_id: i32,
        html: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buttons: Vec<Vec<Button>>,
    },
}

impl Action {
    /// The chat a message goes to (callback answers go to no chat).
    pub fn chat(&self) -> Option<i64> {
        match self {
            Action::Answer { .. } => None,
            Action::Send { chat_id, .. } | Action::Edit { chat_id, .. } => Some(*chat_id),
        }
    }

    /// Whether performing it twice would show the user something twice (callback answers expire
    /// and are harmless to repeat; messages are not).
    pub fn is_visible(&self) -> bool {
        !matches!(self, Action::Answer { .. })
    }
}

/// Serializes actions for storage.
pub fn encode_actions(actions: &[Action]) -> String {
    serde_json::to_string(actions).expect("actions serialize")
}

/// Reads stored actions back.
pub fn decode_actions(text: &str) -> Result<Vec<Action>, RepositoryError> {
    serde_json::from_str(text).map_err(|e| RepositoryError::Backend(Box::new(e)))
}

/// A handled update as recorded: its answers and how many of them were performed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handled {
    pub update_id: i64,
    pub actions: Vec<Action>,
    /// The first `done` actions were performed.
    pub done: u32,
}

impl Handled {
    /// A record as stored: its actions as JSON and how many were performed.
    pub fn from_stored(update_id: i64, actions: &str, done: i64) -> Result<Handled, RepositoryError> {
        Ok(Handled { update_id, actions: decode_actions(actions)?, done: u32::try_from(done).unwrap_or(0) })
    }

    pub fn is_complete(&self) -> bool {
        self.done as usize >= self.actions.len()
    }
}

/// How [`Turn::finish`] went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finished {
    /// The update's effects and its record were committed.
    Recorded(Handled),
    /// The update had been recorded already (by an earlier run): this turn's effects were rolled
    /// back; answer with what was recorded then.
    Earlier(Handled),
}

impl Finished {
    pub fn handled(self) -> Handled {
        match self {
            Finished::Recorded(h) | Finished::Earlier(h) => h,
        }
    }
}

/// The handling of one update: the store it changes things through, and the record that commits
/// with those changes.
#[async_trait]
pub trait Turn: Send + Sync {
    /// The repositories for this update; their writes wait for [`Turn::finish`].
    fn store(&self) -> Arc<dyn Store>;

    /// Records the update as handled, answered by `actions`, and commits its effects with the
    /// record. If a write of the turn failed midway, its effects are rolled back and only the
    /// record is written (the answer describes the failure). Dropping a turn without finishing
    /// it rolls everything back.
    async fn finish(&self, actions: &[Action]) -> Result<Finished, RepositoryError>;
}

/// The delivery state of one bot (keyed by the bot's id, the part of the token before the colon,
/// so two bots may share a database).
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// Begins handling update `update_id` (no database work until it is used).
    fn turn(&self, bot: i64, update_id: i64) -> Box<dyn Turn>;

    /// The offset polling resumes from: every update below it was handled and answered.
    async fn resume_offset(&self, bot: i64) -> Result<Option<i64>, RepositoryError>;

    /// Stores the resume offset (never moving it backwards), and forgets handled updates below
    /// `forget_below`, which Telegram has confirmed and will not deliver again.
    async fn save_offset(&self, bot: i64, offset: i64, forget_below: i64) -> Result<(), RepositoryError>;

    /// Handled updates at or above `offset`: an earlier run handled them, but Telegram may not have
    /// heard, so they may come again.
    async fn handled_since(&self, bot: i64, offset: i64) -> Result<Vec<Handled>, RepositoryError>;

    /// Records that the first `done` answers of an update were performed.
    async fn mark_done(&self, bot: i64, update_id: i64, done: u32) -> Result<(), RepositoryError>;

    /// [`DeliveryLog::mark_done`] for several updates at once (`(update_id, done)` pairs).
    async fn mark_done_many(&self, bot: i64, marks: &[(i64, u32)]) -> Result<(), RepositoryError> {
        for &(update_id, done) in marks {
            self.mark_done(bot, update_id, done).await?;
        }
        Ok(())
    }

    /// Telegram started a new sequence of update ids (it does after a week without updates):
    /// forgets every handled update of the old one and sets the resume offset to `offset`, even
    /// if that is lower.
    async fn restart_sequence(&self, bot: i64, offset: i64) -> Result<(), RepositoryError>;
}

/// A [`DeliveryLog`] in memory (tests; state dies with the process). Its turns apply effects to
/// its store at once: there is no transaction to share, so a turn dropped midway keeps them.
pub struct MemoryDeliveryLog {
    inner: Arc<Mutex<MemoryInner>>,
    store: Arc<dyn Store>,
}

impl Default for MemoryDeliveryLog {
    fn default() -> Self {
        MemoryDeliveryLog::with_store(Arc::new(MemoryStore::new()))
    }
}

#[derive(Default)]
struct MemoryInner {
    offsets: HashMap<i64, i64>,
    handled: HashMap<i64, BTreeMap<i64, Handled>>,
    /// When set, every call fails as if the database were down.
    down: bool,
}

impl MemoryDeliveryLog {
    pub fn new() -> MemoryDeliveryLog {
        MemoryDeliveryLog::default()
    }

    /// A log whose turns hand out `store`.
    pub fn with_store(store: Arc<dyn Store>) -> MemoryDeliveryLog {
        MemoryDeliveryLog { inner: Arc::default(), store }
    }

    /// Simulates the database going down (`true`) or coming back.
    pub fn set_down(&self, down: bool) {
        self.inner.lock().expect("lock").down = down;
    }

    fn with<T>(&self, f: impl FnOnce(&mut MemoryInner) -> T) -> Result<T, RepositoryError> {
        let mut inner = self.inner.lock().expect("lock");
        if inner.down {
            return Err(RepositoryError::Unavailable("the memory delivery log is down".into()));
        }
        Ok(f(&mut inner))
    }
}

struct MemoryTurn {
    log: MemoryDeliveryLog,
    bot: i64,
    update_id: i64,
}

#[async_trait]
impl Turn for MemoryTurn {
    fn store(&self) -> Arc<dyn Store> {
        self.log.store.clone()
    }

    async fn finish(&self, actions: &[Action]) -> Result<Finished, RepositoryError> {
        let (bot, update_id) = (self.bot, self.update_id);
        self.log.with(|i| {
            let handled = i.handled.entry(bot).or_default();
            match handled.get(&update_id) {
                Some(earlier) => Finished::Earlier(earlier.clone()),
                None => {
                    let h = Handled { update_id, actions: actions.to_vec(), done: 0 };
                    handled.insert(update_id, h.clone());
                    Finished::Recorded(h)
                }
            }
        })
    }
}

#[async_trait]
impl DeliveryLog for MemoryDeliveryLog {
    fn turn(&self, bot: i64, update_id: i64) -> Box<dyn Turn> {
        let log = MemoryDeliveryLog { inner: self.inner.clone(), store: self.store.clone() };
        Box::new(MemoryTurn { log, bot, update_id })
    }

    async fn resume_offset(&self, bot: i64) -> Result<Option<i64>, RepositoryError> {
        self.with(|i| i.offsets.get(&bot).copied())
    }

    async fn save_offset(&self, bot: i64, offset: i64, forget_below: i64) -> Result<(), RepositoryError> {
        self.with(|i| {
            let stored = i.offsets.entry(bot).or_insert(offset);
            *stored = (*stored).max(offset);
            if let Some(handled) = i.handled.get_mut(&bot) {
                *handled = handled.split_off(&forget_below);
            }
        })
    }

    async fn handled_since(&self, bot: i64, offset: i64) -> Result<Vec<Handled>, RepositoryError> {
        self.with(|i| i.handled.get(&bot).map(|h| h.range(offset..).map(|(_, h)| h.clone()).collect()))
            .map(Option::unwrap_or_default)
    }

    async fn mark_done(&self, bot: i64, update_id: i64, done: u32) -> Result<(), RepositoryError> {
        self.with(|i| {
            if let Some(h) = i.handled.get_mut(&bot).and_then(|h| h.get_mut(&update_id)) {
                h.done = h.done.max(done);
            }
        })
    }

    async fn restart_sequence(&self, bot: i64, offset: i64) -> Result<(), RepositoryError> {
        self.with(|i| {
            i.handled.remove(&bot);
            i.offsets.insert(bot, offset);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(text: &str) -> Action {
        Action::Send { chat_id: 7, html: text.into(), buttons: vec![] }
    }

    #[test]
    fn actions_round_trip_through_json() {
        let actions = vec![
            Action::Answer { query_id: "q1".into(), text: None },
            Action::Edit {
                chat_id: 7,
                message_id: 3,
                html: "<b>x</b>".into(),
                buttons: vec![vec![Button { text: "A".into(), data: "v1:a".into() }]],
            },
            send("hi"),
        ];
        let text = encode_actions(&actions);
        assert_eq!(decode_actions(&text).unwrap(), actions);
        assert!(text.contains(r#""op":"answer""#));
    }

    /// Records an update of bot 1 that changed nothing.
    async fn record(
        log: &MemoryDeliveryLog,
        update_id: i64,
        actions: &[Action],
    ) -> Result<Handled, RepositoryError> {
        Ok(log.turn(1, update_id).finish(actions).await?.handled())
    }

    #[tokio::test]
    async fn memory_log_records_once_and_prunes() {
        let log = MemoryDeliveryLog::new();
        assert_eq!(log.resume_offset(1).await.unwrap(), None);
        let first = record(&log, 10, &[send("a")]).await.unwrap();
        assert_eq!(first.done, 0);
        let again = record(&log, 10, &[send("b")]).await.unwrap();
        assert_eq!(again.actions, vec![send("a")], "the first record wins");
        log.mark_done(1, 10, 1).await.unwrap();
        record(&log, 11, &[send("c")]).await.unwrap();
        assert_eq!(log.handled_since(1, 10).await.unwrap().len(), 2);
        assert!(log.handled_since(2, 0).await.unwrap().is_empty(), "bots are kept apart");
        log.save_offset(1, 12, 11).await.unwrap();
        assert_eq!(log.resume_offset(1).await.unwrap(), Some(12));
        assert_eq!(log.handled_since(1, 0).await.unwrap().len(), 1);
        log.save_offset(1, 5, 0).await.unwrap();
        assert_eq!(log.resume_offset(1).await.unwrap(), Some(12), "never backwards");
        log.set_down(true);
        assert!(record(&log, 12, &[]).await.unwrap_err().is_unavailable());
    }
}
