//! Goals: what each participant aims for, and how far they have come.
//!
//! A challenge fixes the *kind* of goal when it is created; each participant picks their own
//! target. [`Goal`] judges a [`Tally`](crate::progress::Tally) of progress: its share of the goal
//! (which ranks people on the leaderboard) and whether it is met (which completes them).

mod model;
mod pace;
mod repository;
mod series;

pub use model::*;
pub use pace::Pace;
pub use repository::*;
pub use series::{daily_amounts, standing_series};
