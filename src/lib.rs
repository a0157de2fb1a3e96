//! challenge-bot: turn goals into challenges people take on alone or together.
//!
//! The layers follow the design document: `protocol` (Telegram bot, terminal chat, scripted CLI)
//! → `handler` (the conversation and the use cases that couple the domains) → repository traits
//! → the domain contexts `challenge`, `goal` and `progress`. `storage` implements the repository
//! traits for PostgreSQL and SQLite and keeps conversation state in a local cache.

pub mod amount;
pub mod challenge;
pub mod clock;
pub mod config;
pub mod goal;
pub mod handler;
pub mod progress;
pub mod protocol;
pub mod repository;
pub mod storage;
pub mod user;
