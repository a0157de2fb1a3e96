//! The handler layer: use cases ([`App`]) and the protocol-neutral conversation.

pub mod app;
pub mod conversation;
pub mod media;

pub use app::{
    App, AppError, ChallengeDraft, ChallengeEdit, Covers, EntryChanged, GoalSet, Invite, Overview,
    ProgressLogged,
};
