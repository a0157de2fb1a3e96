//! A person's own data: what deleting it would remove, and deleting it.
//!
//! Deleting is one repository call, so it is one transaction (the bot's update transaction, with
//! the confirmation it answers): either everything named below goes, or nothing does. What a
//! person created and shares with others is not theirs alone: it is handed to the participant
//! who joined it first after them, who is told.

use super::{App, AppError};
use crate::challenge::Challenge;
use crate::goal::{MembershipScope, PersonDeleted};
use crate::repository::Page;
use crate::user::UserId;

/// What `/deleteme` would remove, for its confirmation.
#[derive(Clone, Debug, Default)]
pub struct PersonData {
    /// Challenges they are in, and their entries there.
    pub participations: u64,
    pub entries: u64,
    /// Challenges they created that others are in (handed over), and those only they are in
    /// (deleted).
    pub shared: Vec<Challenge>,
    pub alone: Vec<Challenge>,
}

/// A deletion done, with the challenges handed over (each with who has it now).
#[derive(Clone, Debug)]
pub struct PersonGone {
    pub deleted: PersonDeleted,
    pub handed_over: Vec<(Challenge, UserId)>,
}

impl App {
    /// What deleting the person would remove.
    pub async fn person_data(&self, user: UserId) -> Result<PersonData, AppError> {
        let all = self.memberships(user, MembershipScope::All, Page::ALL).await?;
        let mut data = PersonData::default();
        for m in &all.items {
            data.participations += 1;
            data.entries += u64::from(m.tally.entries);
            if m.challenge.creator == user {
                if self.store.standings(m.challenge.id).await?.len() > 1 {
                    data.shared.push(m.challenge.clone());
                } else {
                    data.alone.push(m.challenge.clone());
                }
            }
        }
        Ok(data)
    }

    /// Deletes everything kept about the person (see [`crate::goal::GoalRepository::delete_person`]).
    pub async fn delete_person(&self, user: UserId) -> Result<PersonGone, AppError> {
        let deleted = self.store.delete_person(user, self.now()).await?;
        let mut handed_over = Vec::new();
        for (id, heir) in &deleted.handed_over {
            if let Some(challenge) = self.store.challenge(*id).await? {
                handed_over.push((challenge, *heir));
            }
        }
        Ok(PersonGone { deleted, handed_over })
    }
}
