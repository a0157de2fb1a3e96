//! challenge-bot: turn goals into challenges people take on alone or together.
//!
//! The layers follow the design document: `protocol` (Telegram bot, terminal chat, scripted CLI)
//! → `handler` (the conversation and the use cases that couple the domains) → repository traits
//! → the domain contexts `challenge`, `goal`, `progress` and `reminder`. `storage` implements the repository
//! traits and the bot's [`outbox`] for PostgreSQL and SQLite and keeps conversation state in a
//! local cache. `config` (settings), `startup` (wiring) and `telemetry` (logs) serve every
//! command; `text` holds the rules for text people see.

pub mod amount;
pub mod challenge;
pub mod chart;
pub mod clock;
pub mod config;
pub mod goal;
pub mod handler;
pub mod outbox;
pub mod progress;
pub mod protocol;
pub mod reminder;
pub mod repository;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod text;
pub mod user;
