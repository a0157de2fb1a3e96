//! A person's own entries: the history, and changing or deleting one entry.
//!
//! Entries are changed under the same rules they were logged under (dates within the challenge,
//! up to today; values only where the kind takes them), and only while the challenge takes
//! entries: after the day of grace the standings are final. The store re-judges the person's
//! tally, standing and completion in the same transaction as the change.

use chrono::NaiveDate;

use super::{App, AppError};
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeId};
use crate::goal::Goal;
use crate::progress::{EntryEdit, ProgressDate, ProgressEntry, ProgressError, ProgressValue, Rejudged};
use crate::repository::{Page, Paged};
use crate::user::UserId;

/// An entry changed or deleted, with its challenge and the person re-judged.
#[derive(Clone, Debug)]
pub struct EntryChanged {
    pub challenge: Challenge,
    pub goal: Goal,
    /// The entry before the change.
    pub before: ProgressEntry,
    pub rejudged: Rejudged,
    /// Whether the person's goal was met before the change.
    pub was_met: bool,
}

impl App {
    /// A person's entries in a challenge, newest first (latest date; on one date, the last
    /// recorded first), one page.
    pub async fn history(
        &self,
        id: ChallengeId,
        user: UserId,
        page: Page,
    ) -> Result<(Challenge, Paged<ProgressEntry>), AppError> {
        let challenge = self.challenge(id).await?;
        self.participant(id, user).await?;
        let entries = self.entries_page(challenge.id, user, page).await?;
        Ok((challenge, entries))
    }

    /// One page of a participant's entries, newest first (the caller knows they joined).
    pub async fn entries_page(
        &self,
        id: ChallengeId,
        user: UserId,
        page: Page,
    ) -> Result<Paged<ProgressEntry>, AppError> {
        let mut entries = self.store.list_progress(id, user).await?;
        entries.reverse();
        let total = entries.len() as u64;
        let items = entries.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
        Ok(Paged { items, total })
    }

    /// One of the person's own entries with its challenge; `EntryNotFound` for anyone else's.
    pub async fn own_entry(&self, user: UserId, entry: i64) -> Result<(Challenge, ProgressEntry), AppError> {
        let found = self.store.entry(entry).await?.filter(|e| e.user == user);
        let Some(found) = found else { return Err(AppError::EntryNotFound(entry)) };
        let challenge = self.challenge(found.challenge).await?;
        Ok((challenge, found))
    }

    /// Changes an entry's value, date or both.
    pub async fn edit_entry(
        &self,
        user: UserId,
        entry: i64,
        value: Option<Amount>,
        date: Option<NaiveDate>,
    ) -> Result<EntryChanged, AppError> {
        let (challenge, before) = self.own_entry(user, entry).await?;
        let challenge = self.still_open(challenge)?;
        if value.is_none() && date.is_none() {
            return Err(AppError::Invalid("Nothing to change: give a new value or a new date.".into()));
        }
        let value = match (challenge.goal_kind.takes_values(), value) {
            (_, None) => None,
            (true, Some(v)) => Some(ProgressValue::Amount(v)),
            (false, Some(_)) => return Err(ProgressError::ValueNotExpected.into()),
        };
        let date = date
            .map(|d| ProgressDate::parse(d, challenge.start_date, challenge.deadline, self.today()))
            .transpose()?;
        let participant = self.participant(challenge.id, user).await?;
        let edit = EntryEdit { challenge: challenge.id, user, entry, value, date, at: self.now() };
        let rejudged = self.store.edit_progress(&edit).await?;
        let goal = Goal::from_stored(challenge.goal_kind, participant.goal);
        Ok(EntryChanged { challenge, goal, before, rejudged, was_met: participant.completed_at.is_some() })
    }

    /// Deletes one of the person's entries.
    pub async fn delete_entry(&self, user: UserId, entry: i64) -> Result<EntryChanged, AppError> {
        let (challenge, before) = self.own_entry(user, entry).await?;
        let challenge = self.still_open(challenge)?;
        let participant = self.participant(challenge.id, user).await?;
        let rejudged = self.store.delete_progress(challenge.id, user, entry, self.now()).await?;
        let goal = Goal::from_stored(challenge.goal_kind, participant.goal);
        Ok(EntryChanged { challenge, goal, before, rejudged, was_met: participant.completed_at.is_some() })
    }

    fn still_open(&self, challenge: Challenge) -> Result<Challenge, AppError> {
        if challenge.is_final(self.today_of(&challenge)) {
            return Err(AppError::ChallengeFinal { deadline: challenge.deadline });
        }
        Ok(challenge)
    }
}
