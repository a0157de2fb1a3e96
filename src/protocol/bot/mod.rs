//! Telegram: `challenge-bot bot` puts the conversation on Telegram.
//!
//! - [`settings`]: `TELEGRAM_*` configuration and the [`Token`] that never prints;
//! - [`api`]: a thin Bot API client (teloxide's types, our own requests, redacted errors);
//! - [`prepare`]: `getMe`, `deleteWebhook`, `setMyCommands`;
//! - [`face`] and [`html`]: updates to conversation inputs, replies to HTML messages and edits;
//! - [`poller`] and [`watermark`]: the long-poll loop that confirms an update once its effects
//!   and answers are committed (the [`crate::outbox`]), per-user order, and the inbox for those
//!   who write faster than they are answered;
//! - [`dispatch`], [`sender`] and [`limiter`]: the outbox delivered within Telegram's rate limits,
//!   one queue per chat, a flooding chat's backlog bounded.

pub mod api;
pub mod dispatch;
pub mod face;
pub mod html;
pub mod limiter;
pub mod poller;
pub mod prepare;
pub mod sender;
pub mod settings;
pub mod watermark;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use settings::{BotSettings, SettingsError, Token};

use crate::config::Config;
use crate::handler::conversation::{CacheConfig, Conversation};
use crate::handler::media::Media;
use crate::startup::Services;
use crate::storage::{Access, StorageError};

/// Why the bot did not run. One line each.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// A `TELEGRAM_*` setting is missing or malformed (a usage error).
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Start(#[from] prepare::StartError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// `challenge-bot bot`: reads the `TELEGRAM_*` settings, then runs until SIGTERM or SIGINT.
pub async fn command(config: &Config) -> Result<(), BotError> {
    let settings = BotSettings::from_env()?;
    run(settings, config).await
}

/// Runs the bot until SIGTERM or SIGINT; returns once the updates in flight were finished and
/// confirmed.
pub async fn run(settings: BotSettings, config: &Config) -> Result<(), BotError> {
    let shutdown = CancellationToken::new();
    listen_for_signals(shutdown.clone());

    let api = api::Api::new(settings.api_url.clone(), settings.token.clone(), settings.request_timeout);
    let backoff = sender::Backoff::new(settings.max_backoff);
    let me = match prepare::prepare(&api, backoff, &shutdown).await {
        Ok(me) => me,
        Err(prepare::StartError::Interrupted) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let services = Services::open(config, Access::Create).await?;
    tracing::info!(database = %config.database, "database ready");

    let conversation = Conversation::new(services.app.clone(), &CacheConfig::default());
    let limiter = Arc::new(limiter::RateLimiter::new(settings.rate_per_chat, settings.rate_global));
    let early_sender = sender::Sender::new(api.clone(), limiter, backoff);
    let username = me.username.clone().unwrap_or_default();
    let face = face::TelegramFace::new(conversation, me.id, &username, Some(early_sender));
    let poller = poller::Poller::new(&settings, me.id, services.outbox.clone(), Arc::new(face))
        .with_media(Media::new(services.app.clone()));
    poller.run(shutdown).await;

    let _ = tokio::time::timeout(Duration::from_millis(500), services.close()).await;
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
