//! Limits per person that keep the bot from being used to spam: challenges created and invite
//! links renewed in the chat (the operator's CLI is not limited). A refusal says when the person
//! can try again.

use chrono::{DateTime, Duration, Utc};

use super::{App, AppError};
use crate::user::UserId;

/// Challenges one person may create in any 24 hours.
pub const CREATIONS_PER_DAY: usize = 10;

/// New invite links one person may make for their challenges in any 24 hours.
pub const RENEWALS_PER_DAY: usize = 10;

impl App {
    /// Refuses a person who created [`CREATIONS_PER_DAY`] challenges in the last 24 hours
    /// (`CreationLimit`, with when the next one is allowed).
    pub async fn creation_allowed(&self, user: UserId) -> Result<(), AppError> {
        let window = Duration::hours(24);
        let created = self.store.creations_since(user, self.now() - window).await?;
        if created.len() < CREATIONS_PER_DAY {
            return Ok(());
        }
        // The next is allowed once the oldest of the last CREATIONS_PER_DAY is a day old.
        let next: DateTime<Utc> = created[created.len() - CREATIONS_PER_DAY] + window;
        Err(AppError::CreationLimit { next })
    }

    /// Refuses a person who replaced [`RENEWALS_PER_DAY`] invite links of their challenges in
    /// the last 24 hours (`RenewalLimit`, with when the next one is allowed).
    pub async fn renewal_allowed(&self, user: UserId) -> Result<(), AppError> {
        let window = Duration::hours(24);
        let renewed = self.store.renewals_since(user, self.now() - window).await?;
        if renewed.len() < RENEWALS_PER_DAY {
            return Ok(());
        }
        let next: DateTime<Utc> = renewed[renewed.len() - RENEWALS_PER_DAY] + window;
        Err(AppError::RenewalLimit { next })
    }
}
