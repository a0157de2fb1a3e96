//! Telegram: `challenge-bot bot` puts the conversation on Telegram.
//!
//! - [`settings`]: `TELEGRAM_*` configuration and the [`Token`] that never prints;
//! - [`api`]: a thin Bot API client (teloxide's types, our own requests, redacted errors);
//! - [`startup`]: `getMe`, `deleteWebhook`, `setMyCommands`;
//! - [`face`] and [`html`]: updates to conversation inputs, replies to HTML messages and edits;
//! - [`sender`] and [`limiter`]: answers performed with retries, within Telegram's rate limits;
//! - [`poller`], [`watermark`] and [`delivery`]: the long-poll loop that confirms an update only
//!   once it was handled, and the outbox that makes sure it is applied and answered once.

pub mod api;
pub mod delivery;
pub mod face;
pub mod html;
pub mod limiter;
pub mod poller;
pub mod sender;
pub mod settings;
pub mod startup;
pub mod watermark;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use delivery::{Action, Button, DeliveryLog, MemoryDeliveryLog};
pub use settings::{BotSettings, SettingsError, Token};

use crate::clock::Clock;
use crate::config::Config;
use crate::handler::App;
use crate::handler::conversation::{CacheConfig, Conversation};
use crate::protocol::cli::CliError;
use crate::repository::Store;
use crate::storage::{DatabaseUrl, PostgresStore, SqliteStore, StorageError};

/// Why the bot stopped with an error. One line each.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(transparent)]
    Start(#[from] startup::StartError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// `challenge-bot bot`: reads the `TELEGRAM_*` settings, then runs until SIGTERM or SIGINT.
///
/// A missing or malformed setting is one line on stderr and exit status 2; a refused token or an
/// unusable database is a [`CliError`] (status 1); a signal ends it with status 0 after the
/// updates in flight were finished and confirmed.
pub async fn command(config: &Config) -> Result<String, CliError> {
    let settings = match BotSettings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    match run(settings, &config.database, config.clock.clone()).await {
        Ok(()) => Ok(String::new()),
        Err(BotError::Storage(e)) => Err(CliError::Storage(e)),
        Err(BotError::Start(e)) => Err(CliError::Unavailable(e.to_string())),
    }
}

/// A store and its delivery log (the same database), and a way to close it.
struct Opened {
    store: Arc<dyn Store>,
    log: Arc<dyn DeliveryLog>,
    pool: Pool,
}

enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

async fn open(database: &DatabaseUrl) -> Result<Opened, StorageError> {
    Ok(match database {
        DatabaseUrl::Sqlite(path) => {
            let store = Arc::new(SqliteStore::connect(path).await?);
            let pool = Pool::Sqlite(store.pool().clone());
            Opened { store: store.clone(), log: store, pool }
        }
        DatabaseUrl::Postgres(url) => {
            let store = Arc::new(PostgresStore::connect(url).await?);
            let pool = Pool::Postgres(store.pool().clone());
            Opened { store: store.clone(), log: store, pool }
        }
    })
}

/// Runs the bot until SIGTERM or SIGINT.
pub async fn run(settings: BotSettings, database: &DatabaseUrl, clock: Clock) -> Result<(), BotError> {
    let shutdown = CancellationToken::new();
    listen_for_signals(shutdown.clone());

    let api = api::Api::new(settings.api_url.clone(), settings.token.clone(), settings.request_timeout);
    let backoff = sender::Backoff::new(settings.max_backoff);
    let me = match startup::prepare(&api, backoff, &shutdown).await {
        Ok(me) => me,
        Err(startup::StartError::Interrupted) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let opened = open(database).await?;
    tracing::info!(database = %database, "database ready");

    let conversation = Conversation::new(App::new(opened.store.clone(), clock), &CacheConfig::default());
    let limiter = Arc::new(limiter::RateLimiter::new(settings.rate_per_chat, settings.rate_global));
    let early_sender = sender::Sender::new(api.clone(), limiter, backoff);
    let username = me.username.clone().unwrap_or_default();
    let face = face::TelegramFace::new(conversation, me.id, &username, Some(early_sender));
    let poller = poller::Poller::new(&settings, me.id, opened.log.clone(), Arc::new(face));
    poller.run(shutdown).await;

    let _ = tokio::time::timeout(Duration::from_millis(500), opened.pool.close()).await;
    Ok(())
}

/// Fires `shutdown` on SIGTERM or SIGINT. The handlers are installed before this returns, so a
/// signal that arrives at any later moment ends the bot cleanly.
fn listen_for_signals(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            tracing::error!("cannot listen for SIGTERM/SIGINT");
            return;
        };
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = int.recv() => tracing::info!("SIGINT: shutting down"),
            }
            shutdown.cancel();
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("interrupted: shutting down");
        shutdown.cancel();
    });
}
