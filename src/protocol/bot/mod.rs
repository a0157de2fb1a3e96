//! Telegram: `challenge-bot bot` puts the conversation on Telegram.
//!
//! - [`settings`]: `TELEGRAM_*` configuration and the [`Token`] that never prints;
//! - [`api`]: a thin Bot API client (teloxide's types, our own requests, redacted errors);
//! - [`prepare`]: `getMe`, `setWebhook` or `deleteWebhook`, `setMyCommands`;
//! - [`listener`]: the HTTP listener (`/healthz`, `/readyz`, `/metrics`, the webhook);
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
pub mod listener;
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
use crate::protocol::miniapp::MiniApp;
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
    #[error("cannot listen on {addr} (LISTEN_ADDR; `off` turns the listener off): {source}")]
    Listen { addr: std::net::SocketAddr, source: std::io::Error },
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

    // Listening first: /healthz answers while the bot connects, and a port in use fails at once.
    let socket = match settings.listen {
        Some(addr) => Some(listener::bind(addr).await.map_err(|e| BotError::Listen { addr, source: e })?),
        None => None,
    };
    let api = api::Api::new(settings.api_url.clone(), settings.token.clone(), settings.request_timeout);
    let backoff = sender::Backoff::new(settings.max_backoff);
    let hook = settings.webhook.as_ref().map(|w| prepare::Hook {
        url: w.url.as_str(),
        secret: &w.secret,
        allowed_updates: poller::ALLOWED_UPDATES,
    });
    let dashboard_url = settings.dashboard.url.as_ref().map(|u| u.as_str().to_owned());
    let me = match prepare::prepare(&api, backoff, hook, dashboard_url.as_deref(), &shutdown).await {
        Ok(me) => me,
        Err(prepare::StartError::Interrupted) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let services = Arc::new(Services::open(config, Access::Create).await?);
    tracing::info!(database = %config.database, "database ready");

    let conversation =
        Conversation::new(services.app.clone(), &CacheConfig::default()).with_dashboard(dashboard_url);
    let limiter = Arc::new(
        limiter::RateLimiter::new(settings.rate_per_chat, settings.rate_global)
            .with_groups(settings.rate_per_group),
    );
    let early_sender = sender::Sender::new(api.clone(), limiter, backoff);
    let username = me.username.clone().unwrap_or_default();
    // Invite links name the bot; the CLI reads the name from the database.
    if !username.is_empty()
        && let Err(e) = services.app.remember_bot_username(&username).await
    {
        tracing::warn!(error = %e, "could not store the bot's username; invite links will show their code only");
    }
    let states = conversation.clone();
    let (delivery, committed_elsewhere) = tokio::sync::mpsc::unbounded_channel();
    let dashboard = MiniApp::new(
        conversation.clone(),
        services.outbox.clone(),
        me.id,
        settings.token.expose(),
        settings.dashboard.auth_max_age,
        &settings.dashboard.script_url,
    )
    .with_delivery(delivery);
    let face = face::TelegramFace::new(conversation, me.id, &username, Some(early_sender));
    let poller = poller::Poller::new(&settings, me.id, services.outbox.clone(), Arc::new(face))
        .with_media(Media::new(services.app.clone()))
        .with_committed_elsewhere(committed_elsewhere);

    let (updates_tx, updates_rx) = tokio::sync::mpsc::channel(256);
    let stop_listening = CancellationToken::new();
    let served = socket.map(|socket| {
        let checked = services.clone();
        let pooled = services.clone();
        let listener = listener::Listener {
            database: Arc::new(move || {
                let services = checked.clone();
                Box::pin(async move { services.check_database(Duration::from_secs(2)).await })
            }),
            samplers: vec![
                Arc::new(move || {
                    let usage = pooled.pool_usage();
                    metrics::gauge!("db_pool_connections", "state" => "open").set(f64::from(usage.open));
                    metrics::gauge!("db_pool_connections", "state" => "idle").set(f64::from(usage.idle));
                }),
                Arc::new(move || {
                    let stats = states.cache_stats();
                    metrics::gauge!("state_cache_entries").set(stats.entries as f64);
                    metrics::gauge!("state_cache_evictions").set(stats.evictions as f64);
                    metrics::gauge!("state_cache_expirations").set(stats.expirations as f64);
                }),
            ],
            webhook: settings.webhook.as_ref().map(|w| listener::WebhookRoute {
                path: w.url.path().to_owned(),
                secret: w.secret.clone(),
                updates: updates_tx.clone(),
            }),
            extra: Some(dashboard.router()),
        };
        crate::telemetry::metrics_handle();
        tokio::spawn(listener.serve(socket, stop_listening.clone()))
    });
    drop(updates_tx);
    if settings.webhook.is_some() {
        tracing::info!("webhook mode: Telegram posts updates to the listener");
        tokio::spawn(listener::keep_in_touch(api.clone(), shutdown.clone()));
        poller.run_webhook(updates_rx, shutdown).await;
    } else {
        poller.run(shutdown).await;
    }

    stop_listening.cancel();
    if let Some(served) = served {
        let _ = tokio::time::timeout(Duration::from_millis(500), served).await;
    }
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
