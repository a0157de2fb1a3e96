//! The handler layer: use cases ([`App`]) and the protocol-neutral conversation.

pub mod app;

pub use app::{App, AppError, ChallengeDraft, Overview, ProgressLogged};
