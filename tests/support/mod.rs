//! Shared helpers for the integration tests.

pub mod fake_telegram;
