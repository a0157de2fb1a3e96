//! What every repository can fail with, and the paging shared by list queries.
//!
//! The repository traits live with their domain (`challenge`, `goal`, `progress`, `user`); this
//! is the one error enum of that boundary. It says what the caller can act on (not found, already
//! there, database unreachable) and hides which database produced it, keeping the database's own
//! error as its source.

use chrono::NaiveDate;

use crate::amount::Amount;

/// A failure's cause, kept for logs and `source()` chains.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A storage failure or a refusal by the store's constraints.
#[derive(Debug, thiserror::Error)]
pub enum RepositoryError {
    #[error("challenge {0} does not exist")]
    ChallengeNotFound(i64),
    #[error("user {user} has not joined challenge {challenge}")]
    NotParticipant { challenge: i64, user: i64 },
    #[error("user {user} has already joined challenge {challenge}")]
    AlreadyJoined { challenge: i64, user: i64 },
    #[error("entry {entry} is not one of the user's entries in challenge {challenge}")]
    EntryNotFound { challenge: i64, entry: i64 },
    /// An entry is stored under this idempotency key with another value: the key was reused
    /// for a different entry (`first_value` is what was first sent under it; `None` for a
    /// check-in).
    #[error("the key {key:?} was already used for another entry")]
    KeyReused { key: String, first_value: Option<Amount> },
    /// A days challenge takes one check-in per date.
    #[error("already checked in for {date}")]
    AlreadyCheckedIn { date: NaiveDate },
    /// The database could not be reached or timed out; retrying later may work.
    #[error("the database is unavailable: {0}")]
    Unavailable(#[source] Cause),
    /// The database may be read but not written (a read-only file, or a read-only server).
    #[error("the database is read-only: {0}")]
    ReadOnly(#[source] Cause),
    /// The database refused a value (a constraint of the schema); retrying cannot help.
    #[error("the database refused the change: {0}")]
    Refused(#[source] Cause),
    /// Anything else from the database (a bug or a broken schema).
    #[error("database error: {0}")]
    Backend(#[source] Cause),
}

impl RepositoryError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, RepositoryError::Unavailable(_))
    }

    /// An `Unavailable` error with a message as its cause (stores that are not databases).
    pub fn unavailable(message: &str) -> RepositoryError {
        RepositoryError::Unavailable(message.to_owned().into())
    }

    /// A `Backend` error with a message as its cause.
    pub fn backend(message: &str) -> RepositoryError {
        RepositoryError::Backend(message.to_owned().into())
    }
}

/// A window of a list: `limit` rows after skipping `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

impl Page {
    pub const fn new(offset: u32, limit: u32) -> Page {
        Page { offset, limit }
    }

    /// Everything (for the CLI).
    pub const ALL: Page = Page { offset: 0, limit: u32::MAX };
}

/// One page of results and how many there are in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// Everything the application needs from a store: one object implementing every domain's
/// repository (one database, so use cases that span domains can rely on one consistent view).
pub trait Store:
    crate::challenge::ChallengeRepository
    + crate::challenge::GroupRepository
    + crate::challenge::ReportRepository
    + crate::goal::GoalRepository
    + crate::progress::ProgressRepository
    + crate::reminder::ReminderRepository
    + crate::user::UserRepository
{
}

impl<T> Store for T where
    T: crate::challenge::ChallengeRepository
        + crate::challenge::GroupRepository
        + crate::challenge::ReportRepository
        + crate::goal::GoalRepository
        + crate::progress::ProgressRepository
        + crate::reminder::ReminderRepository
        + crate::user::UserRepository
{
}
