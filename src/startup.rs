//! Wiring: from the checked configuration to what a command runs on — the database opened as
//! the command needs it, and the use cases on it with the configured clock. Every command (the
//! scripted ones, the chat, the bot) gets its stores here.

use std::sync::Arc;

use crate::config::Config;
use crate::handler::App;
use crate::outbox::Outbox;
use crate::storage::{self, Access, DatabaseUrl, Opened, PoolUsage, StorageError};

/// An open database and the use cases on it.
pub struct Services {
    pub app: App,
    pub outbox: Arc<dyn Outbox>,
    pub database: DatabaseUrl,
    opened: Opened,
}

impl Services {
    /// Opens the configured database as `access` allows (see [`Access`]), migrating it if needed.
    pub async fn open(config: &Config, access: Access) -> Result<Services, StorageError> {
        let opened = storage::open(&config.database, access).await?;
        Ok(Services {
            app: App::new(opened.store.clone(), config.clock.clone()),
            outbox: opened.outbox.clone(),
            database: config.database.clone(),
            opened,
        })
    }

    /// Whether the database answers and its schema is current (see [`Opened::check`]).
    pub async fn check_database(&self, timeout: std::time::Duration) -> Result<(), String> {
        self.opened.check(timeout).await
    }

    /// The connection pool's use right now.
    pub fn pool_usage(&self) -> PoolUsage {
        self.opened.pool_usage()
    }

    /// Closes the database's connections.
    pub async fn close(&self) {
        self.opened.close().await;
    }
}
