//! Challenges: a name, a description, a deadline and a goal that people take on together.
//!
//! The value types parse on construction ([`ChallengeName::parse`] and friends), so a
//! [`NewChallenge`] that exists is one that may be stored.

mod group;
mod invite;
mod model;
mod report;
mod repository;

pub use group::*;
pub use invite::*;
pub use model::*;
pub use report::*;
pub use repository::*;
