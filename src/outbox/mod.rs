//! The outbox: what the bot owes people, recorded in the same transaction as what caused it.
//!
//! Telegram delivers each update until it is confirmed, and gives no way to ask whether a message
//! arrived. So the bot records, for every update it handles, that it was handled and which
//! messages answer it, in the transaction of the update's own effects ([`Turn`]): an update
//! delivered again after a crash either finds its record (and changes nothing) or finds no
//! effects either (and is handled afresh). Once that commits the update may be confirmed; the
//! messages wait here ([`Queued`]) until they are sent, and survive a restart. A sent (or
//! deliberately dropped) message is removed.
//!
//! Two more tables serve the same guarantees: the *inbox* holds updates fetched and confirmed
//! but not yet handled ([`Parked`]: a person writing faster than they can be answered waits
//! there, in order, instead of in memory), and a record of updates given up on ([`Failure`]).
//!
//! This module holds the contracts; the SQL stores implement them (`storage::outbox`), and
//! [`memory::MemoryOutbox`] serves tests.

pub mod memory;
mod message;

use std::sync::Arc;

use async_trait::async_trait;

pub use message::{Action, Button, Class, FileSpec, decode, encode};

use crate::repository::{RepositoryError, Store};

/// A message waiting in the outbox, in the order it was queued (`id` grows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queued {
    pub id: i64,
    pub action: Action,
}

/// Which update a turn handles, and whether it came out of the inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateRef {
    pub id: i64,
    /// The update was parked in the inbox: its row goes when its record is written.
    pub parked: bool,
}

impl UpdateRef {
    pub fn fetched(id: i64) -> UpdateRef {
        UpdateRef { id, parked: false }
    }
}

/// How [`Turn::finish`] went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finished {
    /// The update's effects, its record and its messages were committed: deliver these.
    Recorded(Vec<Queued>),
    /// The update had been recorded already (by an earlier run): this turn's effects were
    /// rolled back, and the messages queued then are in the outbox.
    Earlier,
}

impl Finished {
    /// The messages to deliver now.
    pub fn queued(self) -> Vec<Queued> {
        match self {
            Finished::Recorded(queued) => queued,
            Finished::Earlier => Vec::new(),
        }
    }
}

/// The handling of one update: the store it changes things through, and the record that commits
/// with those changes.
#[async_trait]
pub trait Turn: Send + Sync {
    /// The repositories for this update; their writes wait for [`Turn::finish`].
    fn store(&self) -> Arc<dyn Store>;

    /// Records the update as handled, queues `actions`, and commits its effects with them. If a
    /// write of the turn failed midway, its effects are rolled back and only the record and the
    /// messages (which describe the failure) are written. Dropping a turn without finishing it
    /// rolls everything back.
    async fn finish(&self, actions: &[Action]) -> Result<Finished, RepositoryError>;
}

/// An update waiting in the inbox for its turn, as Telegram sent it (JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parked {
    pub update_id: i64,
    /// Whose queue it waits in (the Telegram user it came from).
    pub user: i64,
    pub payload: String,
}

/// An update given up on after its handling failed `attempts` times with `error`.
#[derive(Clone, Debug)]
pub struct Failure<'a> {
    pub update: UpdateRef,
    pub user: Option<i64>,
    pub error: &'a str,
    pub attempts: u32,
}

/// The delivery state of one bot, keyed by the bot's id (the part of its token before the
/// colon), so two bots may share a database.
#[async_trait]
pub trait Outbox: Send + Sync {
    /// Begins handling an update (no database work until it is used).
    fn turn(&self, bot: i64, update: UpdateRef) -> Box<dyn Turn>;

    /// Begins work the bot does on its own (reminders, summaries): a turn like an update's,
    /// whose writes and messages commit together, but with no update to record. Its
    /// [`Turn::finish`] fails (and queues nothing) if one of its writes gave up midway: the
    /// messages were composed from effects that are rolled back.
    fn job(&self, bot: i64) -> Box<dyn Turn>;

    /// The offset polling resumes from: every update below it was handled (or parked).
    async fn resume_offset(&self, bot: i64) -> Result<Option<i64>, RepositoryError>;

    /// Stores the resume offset (never moving it backwards), and forgets the records of updates
    /// below `forget_below`, which Telegram has confirmed and will not deliver again.
    async fn save_offset(&self, bot: i64, offset: i64, forget_below: i64) -> Result<(), RepositoryError>;

    /// The updates at or above `offset` that were recorded: an earlier run handled them, but
    /// Telegram may not have heard, so they may come again (and need not be handled again).
    async fn recorded_since(&self, bot: i64, offset: i64) -> Result<Vec<i64>, RepositoryError>;

    /// The updates at or above `from` that an earlier run took care of: recorded (handled) or
    /// parked in the inbox, in order. A webhook resumes with the others just below its saved
    /// offset still awaited, as they may have been on their way when it stopped.
    async fn settled_since(&self, bot: i64, from: i64) -> Result<Vec<i64>, RepositoryError>;

    /// Telegram started a new sequence of update ids (it does after a week without updates):
    /// forgets every record of the old one and sets the resume offset to `offset`, even if lower.
    async fn restart_sequence(&self, bot: i64, offset: i64) -> Result<(), RepositoryError>;

    /// Up to `limit` messages not yet sent, queued after message `after`, oldest first.
    async fn queued(&self, bot: i64, after: i64, limit: u32) -> Result<Vec<Queued>, RepositoryError>;

    /// The messages of `ids` still queued (those removed are left out), oldest first. The
    /// dispatcher holds news beyond what it keeps in memory as ids only and reads them back
    /// here when their turn comes.
    async fn messages(&self, bot: i64, ids: &[i64]) -> Result<Vec<Queued>, RepositoryError>;

    /// Removes messages that were sent, or dropped on purpose.
    async fn remove(&self, bot: i64, ids: &[i64]) -> Result<(), RepositoryError>;

    /// Parks updates in the inbox (an update already there stays as it is).
    async fn park(&self, bot: i64, updates: &[Parked]) -> Result<(), RepositoryError>;

    /// Up to `limit` of a user's parked updates, oldest first.
    async fn parked(&self, bot: i64, user: i64, limit: u32) -> Result<Vec<Parked>, RepositoryError>;

    /// The users with parked updates, and how many each has.
    async fn parked_users(&self, bot: i64) -> Result<Vec<(i64, u64)>, RepositoryError>;

    /// Records an update as given up on, with its error, and queues `actions` (an apology), in
    /// one transaction; a parked update leaves the inbox. If the update was recorded meanwhile
    /// (by an earlier run), nothing changes.
    async fn record_failure(
        &self,
        bot: i64,
        failure: &Failure<'_>,
        actions: &[Action],
    ) -> Result<Finished, RepositoryError>;

    /// How many updates were given up on (for operators).
    async fn failure_count(&self, bot: i64) -> Result<u64, RepositoryError>;
}
