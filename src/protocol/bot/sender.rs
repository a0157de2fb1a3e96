//! Performing answers: each [`Action`] becomes one Bot API call, paced by the rate limiter and
//! retried until it is done, refused for good, or the bot gives up at shutdown.
//!
//! - 429: wait `retry_after`, then repeat;
//! - 5xx, timeouts, dropped connections: capped exponential backoff with jitter;
//! - 403 (blocked, kicked): logged, not retried — the answer is dropped;
//! - "message is not modified": success; an edit of a message that is gone: sent as a new message;
//! - other 400s (e.g. a callback query too old to answer): logged, dropped.
//!
//! An upload's file (a chart, an export) is made here, when it is sent, and once per action
//! however often the call is repeated: making it reads the store and may draw a picture, which
//! must not happen inside the update's transaction. If it cannot be made (the challenge was
//! deleted meanwhile, the database stays down) the person gets the reason as a message instead.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use reqwest::multipart::{Form, Part};

use super::api::{Api, ApiError, Retry};
use super::html;
use super::limiter::RateLimiter;
use crate::challenge::ChallengeId;
use crate::handler::media::{Attachment, File, FileKind, Media};
use crate::outbox::{Action, Button, Class, FileSpec};
use crate::user::UserId;

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
    /// Telegram refused it for good (expired query, a chat that is gone…); it will not be
    /// repeated.
    Dropped,
    /// The person blocked the bot (403): not delivered, not repeated.
    Blocked,
}

/// Something that performs actions: the [`Sender`], or a stand-in in tests.
#[async_trait::async_trait]
pub trait Perform: Send + Sync {
    /// Performs one action until it is done, refused for good, or `abandon` fires.
    async fn perform(&self, action: &Action, abandon: &CancellationToken) -> Result<Sent, Abandoned>;

    /// How long until a message to `chat` could be sent without waiting for the rate limits
    /// (reserving nothing).
    fn free_in(&self, _chat: i64) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

#[async_trait::async_trait]
impl Perform for Sender {
    async fn perform(&self, action: &Action, abandon: &CancellationToken) -> Result<Sent, Abandoned> {
        Sender::perform(self, action, abandon).await
    }

    fn free_in(&self, chat: i64) -> std::time::Duration {
        self.limiter.free_in(chat)
    }
}

/// How often making an upload's file is tried while the database is unavailable.
const FILE_ATTEMPTS: u32 = 5;

/// Performs actions. Cheap to clone.
#[derive(Clone)]
pub struct Sender {
    api: Api,
    limiter: Arc<RateLimiter>,
    backoff: Backoff,
    media: Option<Media>,
}

impl Sender {
    pub fn new(api: Api, limiter: Arc<RateLimiter>, backoff: Backoff) -> Sender {
        Sender { api, limiter, backoff, media: None }
    }

    /// Makes uploads' files with `media`.
    pub fn with_media(mut self, media: Media) -> Sender {
        self.media = Some(media);
        self
    }

    /// The file of an upload, or the message to send instead if it cannot be made.
    async fn make_file(
        &self,
        action: &Action,
        abandon: &CancellationToken,
    ) -> Result<Result<File, Action>, Abandoned> {
        let Action::Upload { chat_id, file, buttons, .. } = action else {
            unreachable!("only uploads have files")
        };
        let instead = |text: &str| Action::Send {
            chat_id: *chat_id,
            html: html::escape(text),
            buttons: buttons.clone(),
            class: Class::Notice,
        };
        let Some(media) = &self.media else {
            tracing::error!("an answer has a file but this sender cannot make files");
            return Ok(Err(instead("Sorry, I cannot send files right now.")));
        };
        let attachment = attachment_of(file);
        let mut attempt = 0;
        loop {
            match media.file(&attachment).await {
                Ok(made) => return Ok(Ok(made)),
                Err(e) if e.is_transient() && attempt + 1 < FILE_ATTEMPTS => {
                    let wait = self.backoff.delay(attempt);
                    attempt += 1;
                    tracing::warn!(
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "could not make a file yet: {e}"
                    );
                    pause(wait, abandon).await?;
                }
                Err(e) if e.is_transient() => {
                    tracing::error!("could not make a file: {e}");
                    return Ok(Err(instead(
                        "Sorry, I could not prepare that file just now. Please try again in a while.",
                    )));
                }
                Err(e) => {
                    tracing::info!("file not made: {e}");
                    return Ok(Err(instead(&e.to_string())));
                }
            }
        }
    }

    /// Whether `user` administers the group `chat` (`getChatMember`): the creator or an admin.
    /// `false` when Telegram cannot say (it is asked only to allow a deletion).
    pub async fn administers(&self, chat: i64, user: i64) -> bool {
        let payload = serde_json::json!({ "chat_id": chat, "user_id": user });
        match self.api.call::<_, teloxide::types::ChatMember>("getChatMember", &payload, Duration::ZERO).await
        {
            Ok(member) => member.kind.is_privileged(),
            Err(e) => {
                tracing::warn!(chat, "could not ask whether someone administers a group: {e}");
                false
            }
        }
    }

    /// Performs one action, retrying as the module explains, until `abandon` fires.
    pub async fn perform(&self, action: &Action, abandon: &CancellationToken) -> Result<Sent, Abandoned> {
        let mut action = action.clone();
        let mut attempt = 0u32;
        let mut file = None;
        if matches!(action, Action::Upload { .. }) {
            match self.make_file(&action, abandon).await? {
                Ok(made) => file = Some(made),
                Err(instead) => action = instead,
            }
        }
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
                r = self.call(&action, file.as_ref()) => r,
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
            // A group turned supergroup: the message goes to its new id (the update saying so may
            // not have been handled yet).
            if let Some(to) = error.migrated_to()
                && action.chat().is_some_and(|chat| chat != to)
            {
                tracing::info!(to, "the group became a supergroup; sending there");
                action.retarget(to);
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
                        _ if error.is_forbidden() => {
                            tracing::warn!("not delivered (not retried): {error}");
                            return Ok(Sent::Blocked);
                        }
                        _ => tracing::error!("not delivered (not retried): {error}"),
                    }
                    return Ok(Sent::Dropped);
                }
            }
        }
    }

    async fn call(&self, action: &Action, file: Option<&File>) -> Result<(), ApiError> {
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
            Action::Upload { chat_id, caption, buttons, .. } => {
                let Some(file) = file else { unreachable!("an upload's file is made before it is sent") };
                let (method, field) = match file.kind {
                    FileKind::Photo => ("sendPhoto", "photo"),
                    FileKind::Document => ("sendDocument", "document"),
                };
                let part = Part::bytes(file.bytes.to_vec())
                    .file_name(file.name.clone())
                    .mime_str(file.mime)
                    .expect("the files' MIME types are valid");
                let mut form = Form::new()
                    .text("chat_id", chat_id.to_string())
                    .text("caption", caption.clone())
                    .text("parse_mode", "HTML")
                    .part(field, part);
                if !buttons.is_empty() {
                    form = form.text("reply_markup", keyboard(buttons).to_string());
                }
                self.api.upload::<serde::de::IgnoredAny>(method, form).await?;
            }
        }
        Ok(())
    }
}

/// What the outbox's record of a file asks the media maker for.
fn attachment_of(file: &FileSpec) -> Attachment {
    match *file {
        FileSpec::Chart { challenge, viewer, personal } => {
            Attachment::Chart { challenge: ChallengeId(challenge), viewer: UserId(viewer), personal }
        }
        FileSpec::Export { user, challenge } => {
            Attachment::Export { user: UserId(user), challenge: challenge.map(ChallengeId) }
        }
    }
}

/// An inline keyboard as teloxide models it (`InlineKeyboardMarkup` of callback buttons).
fn keyboard(rows: &[Vec<Button>]) -> serde_json::Value {
    use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo};
    let markup = InlineKeyboardMarkup::new(rows.iter().map(|row| {
        row.iter().map(|b| {
            let parsed = |u: &Option<String>| u.as_deref().and_then(|u| reqwest::Url::parse(u).ok());
            match (parsed(&b.web_app), parsed(&b.url)) {
                (Some(url), _) => InlineKeyboardButton::web_app(&b.text, WebAppInfo { url }),
                (None, Some(url)) => InlineKeyboardButton::url(&b.text, url),
                (None, None) => InlineKeyboardButton::callback(&b.text, &b.data),
            }
        })
    }));
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
        let value =
            keyboard(&[vec![Button { text: "Go".into(), data: "v1:go".into(), url: None, web_app: None }]]);
        assert_eq!(value, json!({ "inline_keyboard": [[{ "text": "Go", "callback_data": "v1:go" }]] }));
    }
}
