//! Where things are kept: the database behind the repository traits (PostgreSQL, or an embedded
//! SQLite file by default) and the in-process cache of conversation state.

pub mod localcache;
pub mod memory;
pub mod postgres;
pub mod sqlite;
