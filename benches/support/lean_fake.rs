//! A lean fake Bot API for the benchmarks: getUpdates with long polling and offsets (or, once a
//! webhook is set and [`Fake::deliver_to`] says where, posting each update to the bot's webhook
//! until it answers 200, as many at once as `max_connections` allows), sendMessage, editMessageText,
//! answerCallbackQuery and the start-up calls. The strict fake of the
//! test suite records and validates every call for assertions, which is the wrong trade for a load
//! test. Each registered chat gets what the bot sends it on a channel, with the time it arrived.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

/// What the bot sent to a chat: a new message or an edit, with its buttons.
#[derive(Debug)]
pub struct Reply {
    pub message_id: i64,
    pub text: String,
    pub buttons: Vec<(String, String)>,
    pub at: Instant,
}

#[derive(Default)]
pub struct Inner {
    pub next_update: i64,
    queue: VecDeque<(i64, String)>,
    chats: HashMap<i64, ChatState>,
    next_query: u64,
    /// When each update was first handed to the bot by `getUpdates`.
    pub fetched: HashMap<i64, Instant>,
}

struct ChatState {
    next_message: i64,
    replies: mpsc::UnboundedSender<Reply>,
}

pub struct Fake {
    pub inner: std::sync::Mutex<Inner>,
    updates: Notify,
    pub calls: AtomicU64,
    pub polls: AtomicU64,
    /// News messages received (those with a "🔕 Mute" button), counted and not passed to the
    /// users: they answer nobody's step.
    pub news: AtomicU64,
    /// Reminders received (messages with "Time to log today"), counted and not passed on; and
    /// when the last one came.
    pub reminders: AtomicU64,
    pub last_reminder: std::sync::Mutex<Option<Instant>>,
    /// The secret the bot gave `setWebhook`.
    webhook_secret: std::sync::Mutex<Option<String>>,
    /// How many webhook requests may be open at once (`max_connections`, default 40).
    webhook_connections: AtomicU64,
}

impl Fake {
    pub fn new() -> Arc<Fake> {
        Arc::new(Fake {
            inner: std::sync::Mutex::new(Inner { next_update: 1, ..Inner::default() }),
            updates: Notify::new(),
            calls: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            news: AtomicU64::new(0),
            reminders: AtomicU64::new(0),
            last_reminder: std::sync::Mutex::new(None),
            webhook_secret: std::sync::Mutex::new(None),
            webhook_connections: AtomicU64::new(40),
        })
    }

    fn user_json(user: i64) -> Value {
        json!({"id": user, "is_bot": false, "first_name": format!("User {user}")})
    }

    fn chat_json(user: i64) -> Value {
        json!({"id": user, "type": "private", "first_name": format!("User {user}")})
    }

    pub fn register(&self, user: i64) -> mpsc::UnboundedReceiver<Reply> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner.lock().unwrap().chats.insert(user, ChatState { next_message: 1, replies: tx });
        rx
    }

    /// Private chats that exist but whose messages nobody reads (reminders' recipients).
    pub fn add_silent_chats(&self, users: impl IntoIterator<Item = i64>) {
        let mut inner = self.inner.lock().unwrap();
        for user in users {
            let (tx, _) = mpsc::unbounded_channel();
            inner.chats.insert(user, ChatState { next_message: 1, replies: tx });
        }
    }

    fn push(&self, inner: &mut Inner, kind: &str, payload: Value) -> (i64, Instant) {
        let id = inner.next_update;
        inner.next_update += 1;
        let mut update = json!({ "update_id": id });
        update[kind] = payload;
        inner.queue.push_back((id, update.to_string()));
        let at = Instant::now();
        self.updates.notify_waiters();
        (id, at)
    }

    /// The user types `text`; returns when the update became available.
    pub fn send_text(&self, user: i64, text: &str) -> (i64, Instant) {
        let mut inner = self.inner.lock().unwrap();
        let chat = inner.chats.get_mut(&user).expect("registered");
        let message_id = chat.next_message;
        chat.next_message += 1;
        let mut message = json!({
            "message_id": message_id, "from": Fake::user_json(user), "chat": Fake::chat_json(user),
            "date": 1_772_323_200, "text": text,
        });
        if text.starts_with('/') {
            message["entities"] = json!([{"offset": 0, "length": text.len(), "type": "bot_command"}]);
        }
        self.push(&mut inner, "message", message)
    }

    /// The user presses a button of message `message_id`.
    pub fn press(&self, user: i64, message_id: i64, data: &str) -> (i64, Instant) {
        let mut inner = self.inner.lock().unwrap();
        inner.next_query += 1;
        let query = json!({
            "id": format!("{}", 9_000_000_000u64 + inner.next_query),
            "from": Fake::user_json(user),
            "message": {"message_id": message_id, "date": 1_772_323_200, "chat": Fake::chat_json(user), "text": "…"},
            "chat_instance": "1",
            "data": data,
        });
        self.push(&mut inner, "callback_query", query)
    }

    /// Posts every update to `url` (the bot's webhook), with the secret `setWebhook` gave, each
    /// until it gets 200.
    pub fn deliver_to(self: &Arc<Self>, url: String) {
        let fake = self.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            // Telegram posts only once the webhook is set, with as many connections as it asks.
            while fake.webhook_secret.lock().unwrap().is_none() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let connections = fake.webhook_connections.load(Ordering::Relaxed) as usize;
            let slots = Arc::new(tokio::sync::Semaphore::new(connections));
            loop {
                let notified = fake.updates.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let next = {
                    let mut inner = fake.inner.lock().unwrap();
                    let next = inner.queue.pop_front();
                    if let Some((id, _)) = &next {
                        inner.fetched.insert(*id, Instant::now());
                    }
                    next
                };
                let Some((_, update)) = next else {
                    notified.await;
                    continue;
                };
                let slot = slots.clone().acquire_owned().await.unwrap();
                let (client, url, fake) = (client.clone(), url.clone(), fake.clone());
                tokio::spawn(async move {
                    loop {
                        // Telegram posts only once the webhook is set (with its secret).
                        let Some(secret) = fake.webhook_secret.lock().unwrap().clone() else {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        };
                        let sent = client
                            .post(&url)
                            .header("X-Telegram-Bot-Api-Secret-Token", &secret)
                            .header("Content-Type", "application/json")
                            .body(update.clone())
                            .send()
                            .await;
                        if sent.is_ok_and(|r| r.status().as_u16() == 200) {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    drop(slot);
                });
            }
        });
    }

    async fn get_updates(&self, body: &Value) -> Value {
        let offset = body["offset"].as_i64().unwrap_or(0);
        let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
        let wait = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.updates.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut inner = self.inner.lock().unwrap();
                if offset > 0 {
                    while inner.queue.front().is_some_and(|(id, _)| *id < offset) {
                        inner.queue.pop_front();
                    }
                }
                if !inner.queue.is_empty() || wait.is_zero() {
                    let now = Instant::now();
                    let Inner { queue, fetched, .. } = &mut *inner;
                    let items: Vec<&str> = queue
                        .iter()
                        .take(limit)
                        .map(|(id, u)| {
                            fetched.entry(*id).or_insert(now);
                            u.as_str()
                        })
                        .collect();
                    let raw = format!("[{}]", items.join(","));
                    return serde_json::from_str(&raw).unwrap();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return json!([]);
            }
        }
    }

    fn deliver(&self, body: &Value, edit: bool) -> Value {
        let chat_id = body["chat_id"].as_i64().unwrap_or(0);
        let text = body["text"].as_str().unwrap_or("").to_owned();
        let buttons: Vec<(String, String)> = body["reply_markup"]["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .map(|b| {
                (
                    b["text"].as_str().unwrap_or("").to_owned(),
                    b["callback_data"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect();
        let is_news =
            !edit && buttons.iter().any(|(label, data)| label == "🔕 Mute" && data.starts_with("v1:nm:"));
        let mut inner = self.inner.lock().unwrap();
        let Some(chat) = inner.chats.get_mut(&chat_id) else {
            return json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"});
        };
        let message_id = if edit {
            body["message_id"].as_i64().unwrap_or(0)
        } else {
            chat.next_message += 1;
            chat.next_message - 1
        };
        if is_news {
            self.news.fetch_add(1, Ordering::Relaxed);
        } else if !edit && text.contains("Time to log today") {
            self.reminders.fetch_add(1, Ordering::Relaxed);
            *self.last_reminder.lock().unwrap() = Some(Instant::now());
        } else {
            let _ = chat.replies.send(Reply { message_id, text: text.clone(), buttons, at: Instant::now() });
        }
        json!({"ok": true, "result": {"message_id": message_id, "date": 1_772_323_200,
            "chat": Fake::chat_json(chat_id), "text": text}})
    }
}

async fn api(
    State(fake): State<Arc<Fake>>,
    Path((_bot, method)): Path<(String, String)>,
    body: Bytes,
) -> String {
    fake.calls.fetch_add(1, Ordering::Relaxed);
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let answer = match method.to_ascii_lowercase().as_str() {
        "getupdates" => {
            fake.polls.fetch_add(1, Ordering::Relaxed);
            json!({"ok": true, "result": fake.get_updates(&body).await})
        }
        "sendmessage" => fake.deliver(&body, false),
        "editmessagetext" => fake.deliver(&body, true),
        "setwebhook" => {
            let connections = body["max_connections"].as_u64().unwrap_or(40).clamp(1, 100);
            fake.webhook_connections.store(connections, Ordering::Relaxed);
            *fake.webhook_secret.lock().unwrap() = body["secret_token"].as_str().map(str::to_owned);
            json!({"ok": true, "result": true})
        }
        "answercallbackquery" | "setmycommands" | "setchatmenubutton" | "deletewebhook" => {
            json!({"ok": true, "result": true})
        }
        "getme" => json!({"ok": true, "result": {"id": 555000111, "is_bot": true, "first_name": "Bench",
            "username": "bench_bot"}}),
        "getwebhookinfo" => json!({"ok": true, "result": {"url": "", "has_custom_certificate": false,
            "pending_update_count": 0}}),
        _ => json!({"ok": false, "error_code": 404, "description": "Not Found"}),
    };
    answer.to_string()
}

pub async fn start_fake() -> (Arc<Fake>, String) {
    let fake = Fake::new();
    let app = Router::new().route("/{bot}/{method}", post(api)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, url)
}
