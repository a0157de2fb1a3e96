//! Progress: the numbers people log against a challenge, each on a date.
//!
//! A [`ProgressEntry`] is one logged value (or a check-in, for "days" challenges); a [`Tally`] is
//! what the entries add up to, and is all the goal context needs to judge how far someone is.

mod model;
mod repository;
mod streak;

pub mod export;

pub use model::*;
pub use repository::*;
pub use streak::{DATES_PER_FREEZE, MAX_FREEZES, Streak};
