//! A thin Bot API client: one JSON POST per method, with teloxide's types for what goes in and
//! out.
//!
//! We do not use teloxide's own `Bot` for requests because three of its behaviours get in the way
//! of the delivery guarantees: it sleeps 10 s inside every request answered with a 5xx status
//! (our backoff must decide that, and a shutdown must not wait on it), it hides the HTTP status
//! and `error_code` (we tell 403 from 400 from 5xx), and its client has one fixed timeout for all
//! methods (a long poll needs a longer one than a `sendMessage`). Its network errors also carry
//! the request URL, which contains the token; ours never do (see [`ApiError`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::settings::Token;

/// How a failed call should be treated by whoever retries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Flood control: wait this long, then repeat the same request.
    After(Duration),
    /// A server error, a timeout or a broken connection: retry with backoff.
    Backoff,
    /// Retrying cannot help (bad request, forbidden, unauthorized…).
    Never,
}

/// A failed Bot API call. Its `Display` never contains the token or the request URL.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Telegram answered `ok: false`.
    #[error("{method}: Telegram refused the request ({code}: {description})")]
    Telegram {
        method: String,
        code: u16,
        description: String,
        retry_after: Option<Duration>,
        /// The group became a supergroup with this id: the same call to it may work.
        migrate_to: Option<i64>,
    },
    /// The request did not get a usable answer: connection refused or dropped, timeout, a 5xx page
    /// that is not a Bot API answer.
    #[error("{method}: {problem}")]
    Transport { method: String, problem: String, server_error: bool },
    /// Telegram's answer could not be read.
    #[error("{method}: unexpected answer from the Bot API: {problem}")]
    Decode { method: String, problem: String },
}

impl ApiError {
    pub fn retry(&self) -> Retry {
        match self {
            ApiError::Telegram { retry_after: Some(wait), .. } => Retry::After(*wait),
            ApiError::Telegram { code: 429, .. } => Retry::After(Duration::from_secs(1)),
            ApiError::Telegram { code, .. } if *code >= 500 => Retry::Backoff,
            ApiError::Telegram { .. } => Retry::Never,
            ApiError::Transport { .. } => Retry::Backoff,
            // A half-delivered body or a proxy's page: treat like a dropped connection.
            ApiError::Decode { .. } => Retry::Backoff,
        }
    }

    /// The `error_code` Telegram gave, if it answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            ApiError::Telegram { code, .. } => Some(*code),
            _ => None,
        }
    }

    fn description(&self) -> &str {
        match self {
            ApiError::Telegram { description, .. } => description,
            _ => "",
        }
    }

    /// The chat is a group that became a supergroup: its new id.
    pub fn migrated_to(&self) -> Option<i64> {
        match self {
            ApiError::Telegram { migrate_to, .. } => *migrate_to,
            _ => None,
        }
    }

    pub fn is_unauthorized(&self) -> bool {
        self.code() == Some(401)
    }

    /// 403: the user blocked the bot, left, or the chat is gone.
    pub fn is_forbidden(&self) -> bool {
        self.code() == Some(403)
    }

    /// `editMessageText` with the very same content: nothing to do, which is a success.
    pub fn is_not_modified(&self) -> bool {
        self.code() == Some(400) && self.description().contains("message is not modified")
    }

    /// The message to edit is gone or can no longer be edited (a new message will do instead).
    pub fn is_uneditable(&self) -> bool {
        let d = self.description();
        self.code() == Some(400)
            && (d.contains("message to edit not found")
                || d.contains("message can't be edited")
                || d.contains("MESSAGE_ID_INVALID")
                // A picture's message has a caption, not a text.
                || d.contains("there is no text in the message to edit"))
    }
}

/// When the Bot API last answered (milliseconds since the Unix epoch; 0: never), whatever the
/// answer: readiness asks whether Telegram is reachable, not whether every call succeeded.
static LAST_ANSWER: AtomicU64 = AtomicU64::new(0);

fn unix_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// How long ago the Bot API last answered this process, if it ever did.
pub fn since_last_answer() -> Option<Duration> {
    match LAST_ANSWER.load(Ordering::Relaxed) {
        0 => None,
        at => Some(Duration::from_millis(unix_millis().saturating_sub(at))),
    }
}

/// How much longer than other calls an upload may take.
pub const UPLOAD_EXTRA_WAIT: Duration = Duration::from_secs(30);

/// The JSON envelope of every Bot API answer.
#[derive(serde::Deserialize)]
struct Envelope {
    ok: bool,
    /// Read only when asked for, as the caller's type (callers that do not need it pass
    /// `IgnoredAny`, so a sent message is never built into a tree of values).
    #[serde(default)]
    result: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(serde::Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<f64>,
    #[serde(default)]
    migrate_to_chat_id: Option<i64>,
}

/// Who the bot is, from `getMe` (only the fields we use, so an answer missing the others still
/// reads).
#[derive(Clone, Debug, serde::Deserialize)]
pub struct BotIdentity {
    pub id: i64,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub first_name: String,
}

/// The client. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
    token: Token,
    /// Timeout of every request except long polls (which add their own wait to it).
    request_timeout: Duration,
}

impl Api {
    pub fn new(base: Url, token: Token, request_timeout: Duration) -> Api {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            // No redirects: a redirect would repeat the token-bearing URL to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("building the HTTP client");
        Api { http, base, token, request_timeout }
    }

    pub fn token(&self) -> &Token {
        &self.token
    }

    fn method_url(&self, method: &str) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty().push(&format!("bot{}", self.token.expose())).push(method);
        }
        url
    }

    /// Calls `method` with a JSON body. `extra_wait` lengthens the timeout (for long polls).
    pub async fn call<P, R>(&self, method: &str, payload: &P, extra_wait: Duration) -> Result<R, ApiError>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let request = self.http.post(self.method_url(method)).json(payload);
        self.perform(method, request, extra_wait).await
    }

    /// Calls `method` with a `multipart/form-data` body (a file upload). Uploads get
    /// [`UPLOAD_EXTRA_WAIT`] on top of the usual timeout: a picture is far larger than a text.
    pub async fn upload<R>(&self, method: &str, form: reqwest::multipart::Form) -> Result<R, ApiError>
    where
        R: DeserializeOwned,
    {
        let request = self.http.post(self.method_url(method)).multipart(form);
        self.perform(method, request, UPLOAD_EXTRA_WAIT).await
    }

    /// Performs a request, counting it by method and outcome.
    async fn perform<R>(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
        extra_wait: Duration,
    ) -> Result<R, ApiError>
    where
        R: DeserializeOwned,
    {
        let result = match self.exchange(method, request, extra_wait).await {
            Ok((status, body)) => self.read(method, status, &body),
            Err(e) => Err(e),
        };
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(ApiError::Telegram { code, .. }) => code.to_string(),
            Err(_) => "transport".to_owned(),
        };
        metrics::counter!("telegram_requests_total", "method" => method.to_owned(), "result" => outcome)
            .increment(1);
        if matches!(&result, Ok(_) | Err(ApiError::Telegram { .. })) {
            LAST_ANSWER.store(unix_millis(), Ordering::Relaxed);
        }
        result
    }

    fn transport(&self, method: &str, problem: &str, server_error: bool) -> ApiError {
        ApiError::Transport { method: method.to_owned(), problem: self.token.redact(problem), server_error }
    }

    /// Sends a request; its status and body, unless it could not be made or read.
    async fn exchange(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
        extra_wait: Duration,
    ) -> Result<(reqwest::StatusCode, axum::body::Bytes), ApiError> {
        let response = request
            .timeout(self.request_timeout + extra_wait)
            .send()
            .await
            .map_err(|e| self.transport(method, &describe(e), false))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport(method, &describe(e), status.is_server_error()))?;
        Ok((status, body))
    }

    fn read<R>(&self, method: &str, status: reqwest::StatusCode, body: &[u8]) -> Result<R, ApiError>
    where
        R: DeserializeOwned,
    {
        let envelope: Envelope = match serde_json::from_slice(body) {
            Ok(envelope) => envelope,
            Err(_) if status.is_server_error() || status.as_u16() == 429 => {
                return Err(self.transport(method, &format!("HTTP {status} from the Bot API"), true));
            }
            Err(e) => {
                return Err(ApiError::Decode {
                    method: method.to_owned(),
                    problem: format!("HTTP {status}, {}", self.token.redact(&e.to_string())),
                });
            }
        };
        if !envelope.ok {
            let code = envelope.error_code.unwrap_or(status.as_u16());
            let retry_after = envelope
                .parameters
                .as_ref()
                .and_then(|p| p.retry_after)
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(3600.0)));
            let migrate_to = envelope.parameters.as_ref().and_then(|p| p.migrate_to_chat_id);
            return Err(ApiError::Telegram {
                method: method.to_owned(),
                code,
                description: self.token.redact(envelope.description.as_deref().unwrap_or("no description")),
                retry_after,
                migrate_to,
            });
        }
        let result = envelope.result.as_deref().map_or("null", serde_json::value::RawValue::get);
        serde_json::from_str(result).map_err(|e| ApiError::Decode {
            method: method.to_owned(),
            problem: self.token.redact(&e.to_string()),
        })
    }

    pub async fn get_me(&self) -> Result<BotIdentity, ApiError> {
        self.call("getMe", &serde_json::json!({}), Duration::ZERO).await
    }

    /// Long-polls for updates at or above `offset`, which also confirms everything below it.
    /// Each update comes back as raw JSON so one unreadable update cannot hide the others (and
    /// because teloxide's `Update` reads correctly only from text, not from a `serde_json::Value`).
    pub async fn get_updates(
        &self,
        offset: i64,
        limit: u8,
        wait: Duration,
        allowed: &[&str],
    ) -> Result<Vec<Box<serde_json::value::RawValue>>, ApiError> {
        let payload = serde_json::json!({
            "offset": offset,
            "limit": limit,
            "timeout": wait.as_secs(),
            "allowed_updates": allowed,
        });
        self.call("getUpdates", &payload, wait).await
    }
}

/// A reqwest error in words, without the URL (which holds the token).
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the connection broke while reading the answer"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut text = format!("{kind}: {e}");
    // The innermost cause says most (e.g. "connection reset by peer").
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    let mut innermost = None;
    while let Some(c) = cause {
        innermost = Some(c);
        cause = c.source();
    }
    if let Some(c) = innermost {
        text.push_str(&format!(" ({c})"));
    }
    strip_urls(&text)
}

/// Drops anything that looks like a URL from an error text (defence in depth: the token travels
/// in URLs).
fn strip_urls(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.contains("://") || word.contains("/bot") { "<url>" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn telegram(code: u16, description: &str, retry_after: Option<u64>) -> ApiError {
        ApiError::Telegram {
            method: "sendMessage".into(),
            code,
            description: description.into(),
            retry_after: retry_after.map(Duration::from_secs),
            migrate_to: None,
        }
    }

    #[test]
    fn errors_are_classified() {
        assert_eq!(telegram(429, "Too Many Requests", Some(3)).retry(), Retry::After(Duration::from_secs(3)));
        assert_eq!(telegram(502, "Bad Gateway", None).retry(), Retry::Backoff);
        assert_eq!(telegram(403, "Forbidden: bot was blocked by the user", None).retry(), Retry::Never);
        assert!(telegram(403, "Forbidden: bot was blocked by the user", None).is_forbidden());
        assert!(
            telegram(400, "Bad Request: message is not modified: specified new message content", None)
                .is_not_modified()
        );
        assert!(telegram(400, "Bad Request: message to edit not found", None).is_uneditable());
        assert!(!telegram(400, "Bad Request: can't parse entities", None).is_not_modified());
        let transport = ApiError::Transport {
            method: "getUpdates".into(),
            problem: "timed out".into(),
            server_error: false,
        };
        assert_eq!(transport.retry(), Retry::Backoff);
    }

    #[test]
    fn urls_never_reach_error_texts() {
        assert_eq!(
            strip_urls("error sending request for url (http://h/bot1:abc/getMe)"),
            "error sending request for url <url>"
        );
    }

    #[test]
    fn method_urls_keep_a_base_path() {
        let token = Token::parse("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").unwrap();
        let api = Api::new(Url::parse("http://127.0.0.1:1/prefix/").unwrap(), token.clone(), Duration::ZERO);
        assert_eq!(
            api.method_url("getMe").as_str(),
            "http://127.0.0.1:1/prefix/bot123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe"
        );
        let api = Api::new(Url::parse("http://127.0.0.1:1").unwrap(), token, Duration::ZERO);
        assert!(
            api.method_url("getMe").as_str().ends_with(":1/bot123:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe")
        );
    }
}
