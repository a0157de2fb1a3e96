//! The terminal: scripted commands and the interactive chat.

pub mod chat;
