//! The operator's HTTP listener (`LISTEN_ADDR`): `/healthz`, `/readyz`, `/metrics`, the Mini
//! App dashboard under `/app` (`protocol::miniapp`), and in webhook mode the path Telegram
//! posts updates to.
//!
//! - `/healthz`: the process is up (200, always).
//! - `/readyz`: 200 when the database answers with every migration applied and the Bot API
//!   answered within the last two minutes (polling keeps that fresh; an idle webhook bot asks
//!   `getMe` at most once a minute, see [`keep_in_touch`]); otherwise 503 with one line per
//!   problem.
//! - `/metrics`: Prometheus' text format (see [`crate::telemetry`]).
//! - The webhook: a request without the right `X-Telegram-Bot-Api-Secret-Token` gets 401 and
//!   nothing is handled (the secret is compared in constant time); a body over 1 MB gets 413,
//!   one that is not an update 400. An update gets 200 only once its effects and answers are
//!   committed (or it is parked in the inbox): Telegram redelivers anything else, and a
//!   redelivered update changes nothing (the outbox recognises it).
//!
//! The listener is meant to sit behind a reverse proxy that ends TLS and exposes only the
//! webhook's path and `/app`; `/metrics` and `/readyz` stay private.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::value::RawValue;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::api::{self, Api};

/// The largest webhook body accepted (Telegram's updates are far smaller).
pub const MAX_BODY: usize = 1024 * 1024;

/// The header Telegram sends the webhook's secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// How recent the Bot API's last answer must be for the bot to be ready.
pub const API_FRESHNESS: Duration = Duration::from_secs(120);

/// A check of the database for `/readyz`: `Err` says what is wrong.
pub type DatabaseCheck =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Something sampled just before `/metrics` is rendered (gauges such as the outbox backlog).
pub type Sampler = Arc<dyn Fn() + Send + Sync>;

/// An update that arrived on the webhook, and where to say it was committed.
#[derive(Debug)]
pub struct Incoming {
    pub update: Box<RawValue>,
    pub committed: oneshot::Sender<()>,
}

/// The webhook's route: its path, its secret, and where updates go.
#[derive(Clone)]
pub struct WebhookRoute {
    pub path: String,
    pub secret: String,
    pub updates: mpsc::Sender<Incoming>,
}

/// What the listener serves.
#[derive(Clone)]
pub struct Listener {
    pub database: DatabaseCheck,
    pub samplers: Vec<Sampler>,
    pub webhook: Option<WebhookRoute>,
    /// More routes served alongside (the Mini App dashboard under `/app`).
    pub extra: Option<Router>,
}

impl Listener {
    /// The routes.
    pub fn router(self) -> Router {
        let mut router = Router::new()
            .route("/healthz", get(|| async { "ok\n" }))
            .route("/readyz", get(ready))
            .route("/metrics", get(metrics));
        if let Some(webhook) = &self.webhook {
            router = router.route(&webhook.path, post(receive));
        }
        let extra = self.extra.clone();
        let mut router = router.with_state(Arc::new(self));
        if let Some(extra) = extra {
            router = router.merge(extra);
        }
        router.layer(DefaultBodyLimit::max(MAX_BODY))
    }

    /// Serves on `listener` until `shutdown` fires.
    pub async fn serve(self, listener: TcpListener, shutdown: CancellationToken) {
        let app = self.router();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!("the HTTP listener failed: {e}");
        }
    }
}

/// Binds the listener's address, saying where it listens (port 0 picks a free port).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    tracing::info!(%bound, "listening for /healthz, /readyz and /metrics");
    Ok(listener)
}

async fn ready(State(listener): State<Arc<Listener>>) -> (StatusCode, String) {
    let mut problems = Vec::new();
    if let Err(problem) = (listener.database)().await {
        problems.push(problem);
    }
    match api::since_last_answer() {
        None => problems.push("the Bot API has not answered yet".to_owned()),
        Some(ago) if ago > API_FRESHNESS => {
            problems.push(format!("the Bot API last answered {} s ago", ago.as_secs()))
        }
        Some(_) => {}
    }
    if problems.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, problems.iter().map(|p| format!("{p}\n")).collect())
    }
}

async fn metrics(State(listener): State<Arc<Listener>>) -> String {
    for sample in &listener.samplers {
        sample();
    }
    crate::telemetry::metrics_handle().render()
}

async fn receive(State(listener): State<Arc<Listener>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let Some(webhook) = &listener.webhook else { return StatusCode::NOT_FOUND };
    let given = headers.get(SECRET_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
    if !same_secret(given, webhook.secret.as_bytes()) {
        metrics::counter!("webhook_refused_total", "reason" => "secret").increment(1);
        tracing::warn!("a webhook request without the right secret was refused");
        return StatusCode::UNAUTHORIZED;
    }
    #[derive(serde::Deserialize)]
    struct Id {
        #[allow(dead_code)]
        update_id: i64,
    }
    let update = match serde_json::from_slice::<Box<RawValue>>(&body) {
        Ok(raw) if serde_json::from_str::<Id>(raw.get()).is_ok() => raw,
        _ => {
            metrics::counter!("webhook_refused_total", "reason" => "malformed").increment(1);
            return StatusCode::BAD_REQUEST;
        }
    };
    let (committed, done) = oneshot::channel();
    if webhook.updates.send(Incoming { update, committed }).await.is_err() {
        // Shutting down: Telegram will deliver it again.
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match done.await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Compares secrets in time that depends on their lengths only, not on where they differ (a
/// hand-written loop: four lines do not call for a dependency).
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let difference = given.iter().zip(expected).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

/// In webhook mode nothing else calls the Bot API while nobody writes: ask `getMe` whenever it
/// has not answered for a minute, so that `/readyz` tells a reachable Telegram from a lost one.
pub async fn keep_in_touch(api: Api, shutdown: CancellationToken) {
    const EVERY: Duration = Duration::from_secs(60);
    loop {
        let quiet = api::since_last_answer().is_none_or(|ago| ago >= EVERY);
        let mut wait = EVERY.saturating_sub(api::since_last_answer().unwrap_or(Duration::ZERO));
        if quiet && let Err(e) = api.get_me().await {
            // Asked again in a minute: /readyz says meanwhile that Telegram is out of reach.
            tracing::warn!("getMe failed: {e}");
            wait = EVERY;
        }
        tokio::select! {
            _ = tokio::time::sleep(wait.max(Duration::from_secs(1))) => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_must_match_exactly() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b"abc"));
    }
}
