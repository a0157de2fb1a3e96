//! The ways people reach the bot: Telegram (`bot`) and the terminal (`cli`: the chat and the
//! scripted commands). Each turns its own input into calls on the handler layer.

pub mod bot;
pub mod cli;
pub mod miniapp;
