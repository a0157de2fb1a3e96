use crate::amount::Amount;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::{NewProgress, ProgressDate, ProgressEntry, ProgressValue, Tally};
use crate::challenge::ChallengeId;
use crate::repository::RepositoryError;
use crate::user::UserId;

/// What happened when an entry was recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    /// The stored entry (for a duplicate, the one stored the first time).
    pub entry: ProgressEntry,
    /// The idempotency key had been seen: nothing new was stored.
    pub duplicate: bool,
    /// The participant's tally before this entry (the same as `tally` for a duplicate).
    pub before: Tally,
    /// The participant's tally after this entry.
    pub tally: Tally,
    /// This entry made the participant's goal hold for the first time.
    pub completed_now: bool,
    /// When the participant completed (now or earlier), if they have.
    pub completed_at: Option<DateTime<Utc>>,
    /// This entry made the participant the first to meet the challenge's own goal.
    pub first_to_finish: bool,
    /// The participant's own goal, and when they joined (read with the lock: the caller need
    /// not read the participant again).
    pub goal: Amount,
    pub joined_at: DateTime<Utc>,
    /// N while the creator shows the participant as "Participant N" in the challenge: the news
    /// of this entry names them so.
    pub hidden_as: Option<u32>,
}

/// A change to one of a participant's entries: a new value, a new date, or both.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryEdit {
    pub challenge: ChallengeId,
    pub user: UserId,
    pub entry: i64,
    pub value: Option<ProgressValue>,
    pub date: Option<ProgressDate>,
    /// When the change is made (the participant's last activity).
    pub at: DateTime<Utc>,
}

/// An entry edited or deleted, and the participant re-judged with what is left.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejudged {
    /// The entry as it is now (edited), or as it was (deleted).
    pub entry: ProgressEntry,
    pub tally: Tally,
    /// When the participant completed, if their goal holds now.
    pub completed_at: Option<DateTime<Utc>>,
}

/// Whose entries an export holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportScope {
    /// Everyone's entries in one challenge.
    Challenge(ChallengeId),
    /// One person's entries in every challenge they are in.
    User(UserId),
}

/// One entry as exported, with its challenge's name and unit and its author's stored name.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportedEntry {
    pub challenge: ChallengeId,
    pub challenge_name: String,
    pub unit: Option<String>,
    pub user: UserId,
    pub display_name: Option<String>,
    pub date: NaiveDate,
    /// `None` for a check-in.
    pub value: Option<Amount>,
    pub recorded_at: DateTime<Utc>,
}

#[async_trait]
pub trait ProgressRepository: Send + Sync {
    /// The entries in `scope`, by challenge, then date, then in the order recorded. One
    /// statement, however many challenges and people.
    async fn export_entries(&self, scope: ExportScope) -> Result<Vec<ExportedEntry>, RepositoryError>;

    /// Stores an entry for a participant, atomically with its consequences: the participant's
    /// goal is re-judged with [`crate::goal::Goal::is_met`]; if it now holds and did not, their
    /// completion time is set to the entry's `recorded_at`; if it no longer holds (an "at most"
    /// weight going back up), the completion is cleared.
    ///
    /// An idempotency key belongs to one participant (challenge and user): an entry whose key
    /// that participant used before is not stored again (`duplicate`, with the entry stored
    /// under the key, even if edited since) when its value is the one first sent under the key;
    /// with another value it is refused (`KeyReused`). A check-in for a date already checked in
    /// is refused (`AlreadyCheckedIn`). Fails with `NotParticipant` / `ChallengeNotFound`.
    async fn add_progress(&self, new: &NewProgress) -> Result<Recorded, RepositoryError>;

    /// A participant's entries, oldest date first (ties: first recorded first).
    async fn list_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
    ) -> Result<Vec<ProgressEntry>, RepositoryError>;

    /// What a participant's entries add up to.
    async fn tally(&self, challenge: ChallengeId, user: UserId) -> Result<Tally, RepositoryError>;

    /// One entry, by its id.
    async fn entry(&self, id: i64) -> Result<Option<ProgressEntry>, RepositoryError>;

    /// Changes an entry's value or date, and re-judges the participant (tally, standing,
    /// completion) in the same transaction. The entry must be the participant's
    /// (`EntryNotFound`); a check-in moved onto a date already checked in is refused
    /// (`AlreadyCheckedIn`).
    async fn edit_progress(&self, edit: &EntryEdit) -> Result<Rejudged, RepositoryError>;

    /// Deletes one of a participant's entries and re-judges them; `EntryNotFound`.
    async fn delete_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
        entry: i64,
        at: DateTime<Utc>,
    ) -> Result<Rejudged, RepositoryError>;

    /// Deletes the participant's most recently recorded entry and returns it with the new tally;
    /// the participant is re-judged as after [`Self::delete_progress`]. `None` if there was none.
    async fn undo_last_progress(
        &self,
        challenge: ChallengeId,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<Option<(ProgressEntry, Tally)>, RepositoryError>;
}
