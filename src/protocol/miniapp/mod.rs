//! The Mini App dashboard: the person's challenges on one screen inside Telegram, served on the
//! bot's HTTP listener under `/app` (in polling and webhook mode alike).
//!
//! - `GET /app`: the page ([`pages::shell`]); it holds no data, since Telegram opens it without
//!   credentials. Its script reads the signed `initData` Telegram's script hands it and sends it
//!   as `Authorization: tma <initData>` with every request below (no cookies).
//! - `GET /app/api/challenges`, `GET /app/api/challenges/{id}`: the data, as JSON ([`view`]).
//! - `GET /app/api/view/home`, `GET /app/api/view/challenges/{id}`: the same drawn as HTML by
//!   the template engine (which escapes every name), put in place by the page's script.
//! - `POST /app/api/challenges/{id}/progress` with `{"value": "5", "date": "2026-11-30", "key":
//!   "…"}` (`date` optional, today by default; `key` makes a repeated request log once);
//!   `PATCH /app/api/entries/{id}` with `{"value": …, "date": …}`; `DELETE
//!   /app/api/entries/{id}`.
//!
//! Every API request is authenticated by [`init_data::verify`] against the bot's token; the
//! person is who the verified data names, never anything else in the request. Missing,
//! forged, stale or another bot's data gets 401 and touches nothing. Changes go through the
//! same use cases as the chat, in the person's time zone: progress is logged in an outbox job
//! ([`crate::outbox::Outbox::job`]) so the news it makes for the others commits with it and is
//! delivered by the bot's dispatcher, at the bulk pace.

pub mod init_data;
pub mod pages;
pub mod svg;
pub mod view;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, patch, post};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use self::init_data::{AuthError, WebAppUser};
use crate::amount::Amount;
use crate::challenge::{ChallengeId, Unit};
use crate::handler::app::{App, AppError, ProgressLogged};
use crate::handler::conversation::Conversation;
use crate::handler::conversation::dashboard::{day_words, ordinal, parse_value, quantity_words};
use crate::outbox::{Outbox, Queued};
use crate::progress::IdempotencyKey;
use crate::user::UserId;

/// What the dashboard needs: the use cases, the outbox its news goes through, and the key its
/// requests are checked with.
#[derive(Clone)]
pub struct MiniApp {
    conversation: Conversation,
    outbox: Arc<dyn Outbox>,
    bot_id: i64,
    key: [u8; 32],
    max_age: Duration,
    telegram_script: String,
    /// Where committed news goes to be delivered (the bot's dispatcher).
    delivery: Option<mpsc::UnboundedSender<Vec<Queued>>>,
    /// Each person's allowance of changes (see [`WRITES_PER_BURST`]).
    writes: Arc<Mutex<HashMap<UserId, Allowance>>>,
    /// The page's Content-Security-Policy: its own script (by hash) and Telegram's, nothing else.
    policy: header::HeaderValue,
}

/// How many changes (logs, edits, deletions) a person may make back to back; then one a
/// second. A double tap, a form sent a few times or a quick series of edits fit; a script
/// hammering the API gets 429.
pub const WRITES_PER_BURST: f64 = 20.0;
const WRITES_PER_SECOND: f64 = 1.0;

/// A token bucket: what is left of a person's burst, and when it was last looked at.
#[derive(Clone, Copy, Debug)]
struct Allowance {
    left: f64,
    at: std::time::Instant,
}

impl MiniApp {
    /// The dashboard of the bot `bot_id` with `token`, whose requests may carry `initData` up
    /// to `max_age` old, loading Telegram's script from `telegram_script`.
    pub fn new(
        conversation: Conversation,
        outbox: Arc<dyn Outbox>,
        bot_id: i64,
        token: &str,
        max_age: Duration,
        telegram_script: &str,
    ) -> MiniApp {
        MiniApp {
            conversation,
            outbox,
            bot_id,
            key: init_data::secret_key(token),
            max_age,
            telegram_script: telegram_script.to_owned(),
            delivery: None,
            writes: Arc::new(Mutex::new(HashMap::new())),
            policy: pages::content_security_policy(telegram_script),
        }
    }

    /// Takes one change from `user`'s allowance; `Err` with the seconds until the next one.
    fn allow_write(&self, user: UserId) -> Result<(), Failure> {
        let now = std::time::Instant::now();
        let mut writes = self.writes.lock().expect("the allowances' lock");
        if writes.len() > 10_000 {
            // Forget those whose burst is whole again (nothing to remember about them).
            writes.retain(|_, a| {
                a.left + now.duration_since(a.at).as_secs_f64() * WRITES_PER_SECOND < WRITES_PER_BURST
            });
        }
        let allowance = writes.entry(user).or_insert(Allowance { left: WRITES_PER_BURST, at: now });
        let refilled = now.duration_since(allowance.at).as_secs_f64() * WRITES_PER_SECOND;
        allowance.left = (allowance.left + refilled).min(WRITES_PER_BURST);
        allowance.at = now;
        if allowance.left >= 1.0 {
            allowance.left -= 1.0;
            Ok(())
        } else {
            metrics::counter!("miniapp_writes_limited_total").increment(1);
            let wait = ((1.0 - allowance.left) / WRITES_PER_SECOND).ceil().max(1.0) as u64;
            Err(Failure::TooMany { retry_after: wait })
        }
    }

    /// Hands committed news to `delivery` (see `Poller::with_committed_elsewhere`).
    pub fn with_delivery(mut self, delivery: mpsc::UnboundedSender<Vec<Queued>>) -> MiniApp {
        self.delivery = Some(delivery);
        self
    }

    /// The routes, under `/app`.
    pub fn router(self) -> Router {
        Router::new()
            .route("/app", get(shell))
            .route("/app/", get(shell))
            .route("/app/api/challenges", get(challenges_json))
            .route("/app/api/challenges/{id}", get(challenge_json))
            .route("/app/api/challenges/{id}/progress", post(log_progress))
            .route("/app/api/entries/{id}", patch(edit_entry).delete(delete_entry))
            .route("/app/api/view/home", get(home_html))
            .route("/app/api/view/challenges/{id}", get(challenge_html))
            .layer(axum::middleware::map_response(private))
            .with_state(Arc::new(self))
    }

    fn app(&self) -> &App {
        self.conversation.app()
    }

    /// The person the request's `initData` names, if it checks out.
    fn authenticate(&self, headers: &HeaderMap) -> Result<WebAppUser, Failure> {
        let raw = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or_default();
        // The scheme's name is case-insensitive, as HTTP's are.
        let init_data = match raw.split_once(' ') {
            Some((scheme, data)) if scheme.eq_ignore_ascii_case("tma") => data.trim(),
            _ => "",
        };
        // Telegram's auth_date is real time: checked against the system clock, not the bot's
        // (which tests and demos may move).
        init_data::verify(init_data, &self.key, chrono::Utc::now(), self.max_age).map_err(|e| {
            let reason = match e {
                AuthError::Missing => "missing",
                AuthError::Stale { .. } => "stale",
                _ => "invalid",
            };
            metrics::counter!("miniapp_auth_refused_total", "reason" => reason).increment(1);
            tracing::debug!(error = %e, "a dashboard request was refused");
            Failure::Unauthorized
        })
    }

    /// Runs `work` in the person's time zone, so that "today" is theirs as in the chat.
    async fn in_zone<T>(
        &self,
        user: UserId,
        work: impl std::future::Future<Output = Result<T, AppError>>,
    ) -> Result<T, Failure> {
        let zone = self.conversation.zone_of(user).await.map_err(|e| Failure::App(AppError::Storage(e.0)))?;
        crate::clock::in_person_zone(zone, work).await.map_err(Failure::App)
    }
}

/// Why a request failed, as the response says it.
#[derive(Debug)]
enum Failure {
    Unauthorized,
    BadRequest(String),
    /// Too many changes at once: try again in `retry_after` seconds.
    TooMany {
        retry_after: u64,
    },
    App(AppError),
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Failure::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Open the dashboard from the bot in Telegram (its sign-in is missing, invalid or too old)."
                    .to_owned(),
            ),
            Failure::BadRequest(message) => (StatusCode::BAD_REQUEST, message),
            Failure::TooMany { retry_after } => {
                let message = format!(
                    "That is a lot of changes at once; please wait {retry_after} s before the next one."
                );
                let body = Json(json!({ "error": message }));
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, retry_after.to_string())],
                    body,
                )
                    .into_response();
            }
            Failure::App(e) => {
                let status = match &e {
                    AppError::ChallengeNotFound(_)
                    | AppError::NotParticipant(_)
                    | AppError::EntryNotFound(_) => StatusCode::NOT_FOUND,
                    AppError::KeyReused { .. } | AppError::AlreadyCheckedIn { .. } => StatusCode::CONFLICT,
                    AppError::Storage(_) | AppError::ReadOnly(_) => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                };
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    tracing::warn!(error = %e, "a dashboard request failed");
                }
                (status, e.to_string())
            }
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// Every answer is one person's, or a page that must not be sniffed as something else: kept out
/// of shared caches, its type taken as given, no address leaked to other sites.
async fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.entry(header::CACHE_CONTROL).or_insert(header::HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    response
}

async fn shell(State(mini): State<Arc<MiniApp>>) -> Response {
    let page = pages::shell(&mini.telegram_script).into_string();
    // The page itself is the same for everyone; the data is fetched with credentials.
    let mut response = ([(header::CACHE_CONTROL, "no-cache")], Html(page)).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, mini.policy.clone());
    response
}

async fn challenges_json(State(mini): State<Arc<MiniApp>>, headers: HeaderMap) -> Result<Response, Failure> {
    let me = mini.authenticate(&headers)?;
    let home = mini.in_zone(me.id, view::home(mini.app(), me.id)).await?;
    Ok(Json(home).into_response())
}

async fn challenge_json(
    State(mini): State<Arc<MiniApp>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let me = mini.authenticate(&headers)?;
    let page = mini.in_zone(me.id, view::challenge_page(mini.app(), ChallengeId(id), me.id)).await?;
    Ok(Json(page).into_response())
}

async fn home_html(State(mini): State<Arc<MiniApp>>, headers: HeaderMap) -> Result<Response, Failure> {
    let me = mini.authenticate(&headers)?;
    let home = mini.in_zone(me.id, view::home(mini.app(), me.id)).await?;
    Ok(Html(pages::home(&home).into_string()).into_response())
}

async fn challenge_html(
    State(mini): State<Arc<MiniApp>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let me = mini.authenticate(&headers)?;
    let page = mini.in_zone(me.id, view::challenge_page(mini.app(), ChallengeId(id), me.id)).await?;
    Ok(Html(pages::challenge(&page).into_string()).into_response())
}

/// A value as sent: a string as typed ("5", "1,5", "5 km") or a JSON number.
#[derive(Deserialize)]
#[serde(untagged)]
enum SentValue {
    Text(String),
    Number(serde_json::Number),
}

impl SentValue {
    /// The value in `unit`, read as the chat reads a typed one, or the chat's words for what is
    /// wrong with it.
    fn amount(&self, unit: Option<&Unit>) -> Result<Amount, AppError> {
        let text = match self {
            SentValue::Text(t) => t.clone(),
            SentValue::Number(n) => n.to_string(),
        };
        parse_value(unit, &text).map_err(AppError::Invalid)
    }
}

#[derive(Deserialize)]
struct ProgressBody {
    value: Option<SentValue>,
    date: Option<String>,
    key: Option<String>,
}

#[derive(Deserialize)]
struct EntryBody {
    value: Option<SentValue>,
    date: Option<String>,
}

/// The JSON body, or a 400 that says what is wrong with it.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(bytes)
        .map_err(|e| Failure::BadRequest(format!("The request is not valid JSON: {e}")))
}

/// A date as typed in the chat (`2026-11-30`, `yesterday`, `28.11`); none means today.
fn date_of(app: &App, sent: Option<&str>) -> Result<Option<chrono::NaiveDate>, AppError> {
    match sent.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => {
            crate::clock::parse_date(d, app.today()).map(Some).map_err(|e| AppError::Invalid(e.to_string()))
        }
    }
}

/// The longest key a client may send (the stored key adds a prefix, within 64 characters).
const MAX_CLIENT_KEY: usize = 60;

async fn log_progress(
    State(mini): State<Arc<MiniApp>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, Failure> {
    let me = mini.authenticate(&headers)?;
    mini.allow_write(me.id)?;
    let sent: ProgressBody = body(&bytes)?;
    // Keys from the dashboard are kept apart from the chat's and the CLI's.
    let key = match sent.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) if k.len() <= MAX_CLIENT_KEY => Some(
            IdempotencyKey::parse(&format!("app:{k}"))
                .map_err(|e| Failure::BadRequest(format!("The key is not valid: {e}")))?,
        ),
        Some(_) => {
            return Err(Failure::BadRequest(format!("The key is longer than {MAX_CLIENT_KEY} characters.")));
        }
        None => None,
    };
    let job = mini.outbox.job(mini.bot_id);
    let conversation = mini.conversation.with_store(job.store());
    let user = me.id;
    let logged = mini
        .in_zone(user, async {
            let app = conversation.app();
            let challenge = app.challenge(ChallengeId(id)).await?;
            let value = match (&sent.value, challenge.goal_kind.takes_values()) {
                (Some(v), true) => Some(v.amount(challenge.unit.as_ref())?),
                (None, true) => {
                    return Err(AppError::Invalid("Type a number, for example 5 or 2.5.".to_owned()));
                }
                // A check-in takes no value: one sent anyway (a stale form) is not refused.
                (_, false) => None,
            };
            let today = app.today();
            let date = date_of(app, sent.date.as_deref())?.unwrap_or(today);
            let (logged, news) =
                conversation.log_from_dashboard(user, &me.name, challenge, value, date, key).await?;
            Ok((logged, news, today))
        })
        .await?;
    let (logged, news, today) = logged;
    let actions = crate::protocol::bot::face::render(user.0, None, &news);
    let finished = job.finish(&actions).await.map_err(|e| Failure::App(AppError::from(e)))?;
    let queued = finished.queued();
    if !queued.is_empty()
        && let Some(delivery) = &mini.delivery
    {
        // The dispatcher may be gone at shutdown: the messages wait in the outbox.
        let _ = delivery.send(queued);
    }
    metrics::counter!("miniapp_progress_logged_total").increment(1);
    Ok(Json(logged_json(&logged, today)).into_response())
}

/// What the dashboard says about logged progress.
fn logged_json(logged: &ProgressLogged, today: chrono::NaiveDate) -> serde_json::Value {
    let challenge = &logged.challenge;
    let entry = &logged.recorded.entry;
    let when = day_words(entry.date.date(), today);
    let mut message = match entry.value {
        Some(v) => format!("✅ Logged {} for {when}.", quantity_words(v, challenge.unit.as_ref())),
        None => format!("✅ Checked in for {when}."),
    };
    if logged.recorded.duplicate {
        message = "That entry was already logged; nothing was added.".to_owned();
    } else if logged.recorded.completed_now {
        message.push_str(" 🎉 You reached your goal!");
    } else if let Some(moved) = &logged.moved_up {
        message.push_str(&format!(" 🏃 You moved up to {}.", ordinal(moved.to)));
    }
    let standing = challenge.goal_kind.standing(&logged.recorded.tally);
    json!({
        "message": message,
        "duplicate": logged.recorded.duplicate,
        "completed": logged.recorded.completed_now,
        "entry": {
            "id": entry.id,
            "date": entry.date.date(),
            "value": entry.value.map(Amount::to_f64),
        },
        "standing": standing.to_f64(),
    })
}

async fn edit_entry(
    State(mini): State<Arc<MiniApp>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    bytes: axum::body::Bytes,
) -> Result<Response, Failure> {
    let me = mini.authenticate(&headers)?;
    mini.allow_write(me.id)?;
    let sent: EntryBody = body(&bytes)?;
    let app = mini.app();
    let changed = mini
        .in_zone(me.id, async {
            let (challenge, _) = app.own_entry(me.id, id).await?;
            let value = match &sent.value {
                Some(v) if challenge.goal_kind.takes_values() => Some(v.amount(challenge.unit.as_ref())?),
                _ => None,
            };
            let date = date_of(app, sent.date.as_deref())?;
            let changed = app.edit_entry(me.id, id, value, date).await?;
            Ok((changed, app.today()))
        })
        .await?;
    let (changed, today) = changed;
    let entry = &changed.rejudged.entry;
    let what = match entry.value {
        Some(v) => quantity_words(v, changed.challenge.unit.as_ref()),
        None => "check-in".to_owned(),
    };
    let message = format!("✏️ Entry changed: {what} for {}.", day_words(entry.date.date(), today));
    Ok(Json(json!({ "message": message, "standing": changed.challenge.goal_kind.standing(&changed.rejudged.tally).to_f64() })).into_response())
}

async fn delete_entry(
    State(mini): State<Arc<MiniApp>>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let me = mini.authenticate(&headers)?;
    mini.allow_write(me.id)?;
    let app = mini.app();
    let changed = mini.in_zone(me.id, app.delete_entry(me.id, id)).await?;
    let standing = changed.challenge.goal_kind.standing(&changed.rejudged.tally);
    Ok(Json(json!({ "message": "🗑 Entry deleted.", "standing": standing.to_f64() })).into_response())
}
