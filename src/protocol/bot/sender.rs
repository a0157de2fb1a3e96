//! Performing answers: each [`Action`] becomes one Bot API call, paced by the rate limiter and
//! retried until it is done, refused for good, or the bot gives up at shutdown.
//!
//! - 429: wait `retry_after`, then repeat;
//! - 5xx, timeouts, dropped connections: capped exponential backoff with jitter;
//! - 403 (blocked, kicked): logged, not retried — the answer is dropped;
//! - "message is not modified": success; an edit of a message that is gone: sent as a new message;
//! - other 400s (e.g. a callback query too old to answer): logged, dropped.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::api::{Api, ApiError, Retry};
use super::limiter::RateLimiter;
use crate::outbox::{Action, Button};

/// Capped exponential backoff with jitter: attempt `n` waits a random time between half and all
/// of `min(cap, base * 2^n)`.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    pub fn new(cap: Duration) -> Backoff {
        Backoff { base: Duration::from_millis(100).min(cap), cap }
    }

    pub fn delay(&self, attempt: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << attempt.min(20)).min(self.cap);
        let half = ceiling / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

/// The shutdown gave up on this work; it stays unconfirmed and is redone at the next start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("abandoned at shutdown")]
pub struct Abandoned;

/// Sleeps, unless `abandon` fires first.
pub async fn pause(wait: Duration, abandon: &CancellationToken) -> Result<(), Abandoned> {
    tokio::select! {
        _ = tokio::time::sleep(wait) => Ok(()),
        _ = abandon.cancelled() => Err(Abandoned),
    }
}

/// What became of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    Done,
    /// Telegram refused it for good (blocked bot, expired query…); it will not be repeated.
    Dropped,
}

/// Something that performs actions: the [`Sender`], or a stand-in in tests.
#[async_trait::async_trait]
pub trait Perform: Send + Sync {
    /// Performs one action until it is done, refused for good, or `abandon` fires.
    async fn perform(&self, action: &Action, abandon: &CancellationToken) -> Result<Sent, Abandoned>;
}

#[async_trait::async_trait]
impl Perform for Sender {
    async fn perform(&self, action: &Action, abandon: &CancellationToken) -> Result<Sent, Abandoned> {
        Sender::perform(self, action, abandon).await
    }
}

/// Performs actions. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    api: Api,
    limiter: Arc<RateLimiter>,
    backoff: Backoff,
}

impl Sender {
    pub fn new(api: Api, limiter: Arc<RateLimiter>, backoff: Backoff) -> Sender {
        Sender { api, limiter, backoff }
    }

    /// Performs one action, retrying as the module explains, until `abandon` fires.
    pub async fn perform(&self, action: &Action, abandon: &CancellationToken) -> Result<Sent, Abandoned> {
        let mut action = action.clone();
        let mut attempt = 0u32;
        loop {
            if abandon.is_cancelled() {
                return Err(Abandoned);
            }
            if let Some(chat) = action.chat() {
                tokio::select! {
                    _ = self.limiter.acquire(chat) => {}
                    _ = abandon.cancelled() => return Err(Abandoned),
                }
            }
            // A hung request must not hold up a shutdown: give up on it when told to. (If Telegram
            // did process it, the outbox sends it again at the next start: at least once.)
            let result = tokio::select! {
                r = self.call(&action) => r,
                _ = abandon.cancelled() => return Err(Abandoned),
            };
            let error = match result {
                Ok(()) => return Ok(Sent::Done),
                Err(e) => e,
            };
            if error.is_not_modified() {
                return Ok(Sent::Done);
            }
            if let Action::Edit { chat_id, html, buttons, class, .. } = &action
                && error.is_uneditable()
            {
                tracing::info!("the message to edit is gone; sending a new one instead");
                action = Action::Send {
                    chat_id: *chat_id,
                    html: html.clone(),
                    buttons: buttons.clone(),
                    class: class.clone(),
                };
                continue;
            }
            match error.retry() {
                Retry::After(wait) => {
                    tracing::warn!(wait_ms = wait.as_millis() as u64, "flood control: {error}");
                    pause(wait, abandon).await?;
                }
                Retry::Backoff => {
                    let wait = self.backoff.delay(attempt);
                    attempt = attempt.saturating_add(1);
                    tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, "will retry: {error}");
                    pause(wait, abandon).await?;
                }
                Retry::Never => {
                    match &action {
                        Action::Answer { .. } => tracing::info!("callback query not answered: {error}"),
                        _ if error.is_forbidden() => tracing::warn!("not delivered (not retried): {error}"),
                        _ => tracing::error!("not delivered (not retried): {error}"),
                    }
                    return Ok(Sent::Dropped);
                }
            }
        }
    }

    async fn call(&self, action: &Action) -> Result<(), ApiError> {
        let none = Duration::ZERO;
        match action {
            Action::Answer { query_id, text } => {
                let mut body = json!({ "callback_query_id": query_id });
                if let Some(text) = text {
                    body["text"] = json!(text);
                }
                self.api.call::<_, serde::de::IgnoredAny>("answerCallbackQuery", &body, none).await?;
            }
            Action::Send { chat_id, html, buttons, .. } => {
                let mut body = json!({ "chat_id": chat_id, "text": html, "parse_mode": "HTML" });
                if !buttons.is_empty() {
                    body["reply_markup"] = keyboard(buttons);
                }
                self.api.call::<_, serde::de::IgnoredAny>("sendMessage", &body, none).await?;
            }
            Action::Edit { chat_id, message_id, html, buttons, .. } => {
                let mut body = json!({ "chat_id": chat_id, "message_id": message_id, "text": html, "parse_mode": "HTML" });
                if !buttons.is_empty() {
                    body["reply_markup"] = keyboard(buttons);
                }
                self.api.call::<_, serde::de::IgnoredAny>("editMessageText", &body, none).await?;
            }
        }
        Ok(())
    }
}

/// An inline keyboard as teloxide models it (`InlineKeyboardMarkup` of callback buttons).
fn keyboard(rows: &[Vec<Button>]) -> serde_json::Value {
    use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};
    let markup = InlineKeyboardMarkup::new(
        rows.iter().map(|row| row.iter().map(|b| InlineKeyboardButton::callback(&b.text, &b.data))),
    );
    serde_json::to_value(markup).expect("a keyboard serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        let backoff = Backoff::new(Duration::from_secs(2));
        for attempt in 0..30 {
            let ceiling =
                (Duration::from_millis(100) * 2u32.pow(attempt.min(20))).min(Duration::from_secs(2));
            let d = backoff.delay(attempt);
            assert!(d >= ceiling / 2 && d <= ceiling, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn keyboards_use_callback_data() {
        let value = keyboard(&[vec![Button { text: "Go".into(), data: "v1:go".into() }]]);
        assert_eq!(value, json!({ "inline_keyboard": [[{ "text": "Go", "callback_data": "v1:go" }]] }));
    }
}
