//! A strict, in-process stand-in for the Telegram Bot API (`api.telegram.org`).
//!
//! End-to-end tests start a [`FakeTelegram`], run the real bot binary with
//! `TELEGRAM_API_URL=fake.api_url()` and `TELEGRAM_BOT_TOKEN=fake.token()`, play simulated
//! users ([`FakeUser`]) that write messages and press inline buttons, and then assert on what
//! the bot did ([`FakeTelegram::sent_messages`], [`FakeTelegram::calls`], ...).
//!
//! The fake speaks HTTP/1.1 itself (its own accept loop over a tokio `TcpListener`), so it can
//! do what a framework would hide: hold a request, or close the TCP connection without an
//! answer. It serves `POST|GET /bot<token>/<method>` with the method name matched
//! case-insensitively (teloxide sends PascalCase, e.g. `SendMessage`), and accepts JSON,
//! `application/x-www-form-urlencoded` and `multipart/form-data` bodies (plus query-string
//! parameters), as the real server does.
//!
//! It is as strict as the real Bot API where that matters to a bot: unknown chats, the
//! 1–4096 UTF-16 code unit text limit (after HTML parsing and trimming), HTML entity parsing
//! (tags, nesting, escaping), inline keyboards (1–64 byte `callback_data`, at most 100
//! buttons), "message is not modified", callback queries answered once and in time, the
//! getUpdates offset/confirmation protocol, long polling and its 409 conflicts, webhooks, and in
//! groups: 20 messages a minute (429 beyond), 403 once the bot was removed, 400 with
//! `migrate_to_chat_id` for a group that became a supergroup.
//! Error descriptions are the real server's, so teloxide maps them to the same `ApiError`s.
//!
//! Include it from an integration test with either
//! `#[path = "support/fake_telegram.rs"] mod fake_telegram;` or `mod support;` (which
//! declares `pub mod fake_telegram;`).
//!
//! Known simplifications are listed on [`FakeTelegram`].

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio_util::sync::CancellationToken;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// A simulated Telegram user who talks to the bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeUser {
    /// Telegram user id; also the id of the user's private chat with the bot. Must be > 0.
    pub id: i64,
    /// `first_name` as Telegram reports it.
    pub first_name: String,
    /// Optional `@username` (without the `@`).
    pub username: Option<String>,
    /// IETF language tag of the user's client (`"en"` by default).
    pub language_code: Option<String>,
}

impl FakeUser {
    /// A user with the given id and first name, no username and language `"en"`.
    ///
    /// # Panics
    /// If `id <= 0` (Telegram user ids are positive).
    pub fn new(id: i64, first_name: &str) -> Self {
        assert!(id > 0, "FakeUser ids must be positive, got {id}");
        FakeUser {
            id,
            first_name: first_name.to_string(),
            username: None,
            language_code: Some("en".to_string()),
        }
    }

    /// Sets the `@username` (pass it without the `@`).
    pub fn with_username(mut self, username: &str) -> Self {
        self.username = Some(username.trim_start_matches('@').to_string());
        self
    }

    /// Sets (or removes) the client language code.
    pub fn with_language_code(mut self, code: Option<&str>) -> Self {
        self.language_code = code.map(str::to_string);
        self
    }

    /// The user as a Bot API `User` object.
    pub fn to_json(&self) -> Value {
        let mut user = json!({"id": self.id, "is_bot": false, "first_name": self.first_name});
        if let Some(username) = &self.username {
            user["username"] = json!(username);
        }
        if let Some(code) = &self.language_code {
            user["language_code"] = json!(code);
        }
        user
    }

    fn private_chat_json(&self) -> Value {
        let mut chat = json!({"id": self.id, "type": "private", "first_name": self.first_name});
        if let Some(username) = &self.username {
            chat["username"] = json!(username);
        }
        chat
    }
}

/// A failure to inject into the next call(s) of a method, see [`FakeTelegram::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after N",
    /// "parameters":{"retry_after":N}}`. The request is not processed.
    TooManyRequests {
        /// Seconds the bot is told to wait.
        retry_after: u32,
    },
    /// HTTP 502 with nginx's HTML page (not JSON), as Telegram's front end answers when its
    /// backend is down. The request is not processed.
    BadGateway,
    /// Hold the request for this long, then process it and answer normally (even if the
    /// client has given up meanwhile: the effect still happens, only the answer is lost).
    Hang(Duration),
    /// Never answer and never process; the request ends when the client closes the
    /// connection or the fake shuts down.
    HangForever,
    /// Close the TCP connection right after reading the request, without processing it and
    /// without any HTTP response: the client sees a connection error.
    DropConnection,
    /// Process the request (the message really is sent, the update really is confirmed...)
    /// and then close the connection without answering: the client sees a connection error
    /// although the call took effect.
    LoseResponse,
    /// HTTP 403 `Forbidden: bot was blocked by the user`. The request is not processed.
    Forbidden,
    /// HTTP 400 `Bad Request: group chat was upgraded to a supergroup chat` with
    /// `parameters.migrate_to_chat_id`, as for a message to a group that Telegram moved before
    /// the bot heard of it. The request is not processed.
    Migrated {
        /// The supergroup's id.
        to: i64,
    },
    /// Any other API error: HTTP `code` with `{"ok":false,"error_code":code,"description":..}`.
    /// The request is not processed.
    ApiError {
        /// HTTP status and `error_code`.
        code: u16,
        /// The full description, e.g. `"Bad Request: chat not found"`.
        description: String,
    },
}

/// Telegram-like flood control, see [`FakeTelegramConfig::rate_limit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// How many messages (sends and edits) one chat may receive within any one second.
    pub per_chat_per_second: usize,
    /// `retry_after` reported in the 429 answer.
    pub retry_after: u32,
}

/// Settings for [`FakeTelegram::start_with`].
#[derive(Clone, Debug)]
pub struct FakeTelegramConfig {
    /// The `update_id` of the first update (default 1). Give a large value to simulate a
    /// bot that already consumed updates before a restart.
    pub update_id_start: i64,
    /// How long after a button press `answerCallbackQuery` is still accepted (default 30 s;
    /// Telegram's own limit is shorter and not documented, a test may shrink this).
    pub callback_answer_window: Duration,
    /// Flood control; `None` (the default) disables it.
    pub rate_limit: Option<RateLimit>,
    /// `first_name` of the bot in `getMe` and in messages it sends.
    pub bot_first_name: String,
    /// `username` of the bot (default `challenge_test_bot`).
    pub bot_username: String,
    /// With `parse_mode=HTML`, reject a `&` that does not start a complete entity
    /// (`&lt;`, `&gt;`, `&amp;`, `&quot;`, `&#NN;`, `&#xHH;`, with the `;`), as the Bot API
    /// documentation demands. The real server silently keeps such an `&` as text (and
    /// decodes `&lt` without `;`), which hides escaping bugs; default `true`.
    pub strict_html_escaping: bool,
    /// Upper bound of the `timeout` parameter of getUpdates, in seconds (default 50).
    pub max_long_poll_seconds: u64,
}

impl Default for FakeTelegramConfig {
    fn default() -> Self {
        FakeTelegramConfig {
            update_id_start: 1,
            callback_answer_window: Duration::from_secs(30),
            rate_limit: None,
            bot_first_name: "Challenge Test Bot".to_string(),
            bot_username: "challenge_test_bot".to_string(),
            strict_html_escaping: true,
            max_long_poll_seconds: 50,
        }
    }
}

/// A file part of a multipart request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedFile {
    /// Name of the multipart field (teloxide uses a random name referenced as `attach://name`).
    pub field: String,
    /// `filename` of the part, if any.
    pub file_name: Option<String>,
    /// `Content-Type` of the part, if any.
    pub content_type: Option<String>,
    /// Number of bytes uploaded.
    pub len: usize,
}

/// One HTTP request the bot made, as the fake saw and answered it.
#[derive(Clone, Debug)]
pub struct RecordedCall {
    /// Position in [`FakeTelegram::calls`] (0-based, in completion order).
    pub seq: usize,
    /// Method name, lowercased (`"sendmessage"`); empty if the path had none.
    pub method: String,
    /// Whether the path carried the configured token.
    pub token_valid: bool,
    /// All parameters as a JSON object. Values from form or multipart bodies are strings,
    /// as sent; use the `param_*` helpers to read them whatever the encoding.
    pub params: Value,
    /// File parts of a multipart body.
    pub files: Vec<UploadedFile>,
    /// When the request had been read.
    pub started_at: Instant,
    /// When the answer was decided (or the connection dropped).
    pub finished_at: Instant,
    /// The fault injected into this call, if any.
    pub fault: Option<Fault>,
    /// HTTP status of the answer; `None` when no answer was written.
    pub http_status: Option<u16>,
    /// The answer body when it was JSON.
    pub response: Option<Value>,
    /// Whether the client had closed the connection before the answer was ready.
    pub client_disconnected: bool,
}

impl RecordedCall {
    /// `true` when the answer was `{"ok":true,...}` and it was delivered.
    pub fn is_ok(&self) -> bool {
        !self.client_disconnected && self.response.as_ref().and_then(|r| r["ok"].as_bool()) == Some(true)
    }

    /// `error_code` of an error answer.
    pub fn error_code(&self) -> Option<i64> {
        self.response.as_ref()?.get("error_code")?.as_i64()
    }

    /// `description` of the answer (set on errors, and on a few successes).
    pub fn description(&self) -> Option<&str> {
        self.response.as_ref()?.get("description")?.as_str()
    }

    /// `result` of a successful answer.
    pub fn result(&self) -> Option<&Value> {
        self.response.as_ref()?.get("result")
    }

    /// A parameter as sent (`None` when absent or `null`).
    pub fn param(&self, name: &str) -> Option<&Value> {
        self.params.get(name).filter(|v| !v.is_null())
    }

    /// A parameter as text: strings as is, numbers and booleans formatted, objects and
    /// arrays as JSON text.
    pub fn param_str(&self, name: &str) -> Option<String> {
        self.param(name).map(value_as_text)
    }

    /// A parameter as an integer (JSON number or numeric string).
    pub fn param_i64(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(value_as_i64)
    }

    /// A JSON-valued parameter (`reply_markup`, `commands`...), decoding it when it was sent
    /// as a JSON string in a form or multipart body.
    pub fn param_json(&self, name: &str) -> Option<Value> {
        match self.param(name)? {
            Value::String(s) => serde_json::from_str(s).ok(),
            other => Some(other.clone()),
        }
    }
}

/// What a message the bot sent carries besides text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentMedia {
    /// `"photo"` or `"document"`.
    pub kind: String,
    /// File name of an uploaded document.
    pub file_name: Option<String>,
    /// Size of the upload, when the file was uploaded (multipart).
    pub uploaded_bytes: Option<usize>,
    /// The `file_id` or URL the bot passed instead of uploading.
    pub file_ref: Option<String>,
    /// The uploaded file itself.
    pub bytes: Option<Vec<u8>>,
    /// A photo's width and height, as read from the upload.
    pub dimensions: Option<(u32, u32)>,
}

/// The current state of a message the bot sent.
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    /// Chat it is in.
    pub chat_id: i64,
    /// Its id in the chat.
    pub message_id: i64,
    /// Text (or caption) as the user sees it: entities parsed, tags stripped, trimmed.
    pub text: String,
    /// Text (or caption) exactly as the bot sent it, e.g. with HTML tags.
    pub source_text: String,
    /// `parse_mode` the bot used for the current text, if any.
    pub parse_mode: Option<String>,
    /// Formatting entities of the current text (Bot API `MessageEntity` objects).
    pub entities: Vec<Value>,
    /// Reply markup as normalised by the fake (inline keyboards keep only set fields).
    pub reply_markup: Option<Value>,
    /// How many successful edits the message had.
    pub edit_count: u32,
    /// Whether the bot (or anyone) deleted it.
    pub deleted: bool,
    /// Photo or document, for media messages.
    pub media: Option<SentMedia>,
    /// Unix time it was sent.
    pub date: i64,
    /// Unix time of the last edit.
    pub edit_date: Option<i64>,
}

/// One inline keyboard button of a [`SentMessage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineButton {
    /// Row index.
    pub row: usize,
    /// Index in the row.
    pub column: usize,
    /// Label.
    pub text: String,
    /// `callback_data`, for callback buttons.
    pub callback_data: Option<String>,
    /// `url`, for link buttons.
    pub url: Option<String>,
    /// The Mini App's address, for `web_app` buttons.
    pub web_app: Option<String>,
}

impl SentMessage {
    /// All inline keyboard buttons, row by row.
    pub fn inline_buttons(&self) -> Vec<InlineButton> {
        let mut buttons = Vec::new();
        let Some(rows) =
            self.reply_markup.as_ref().and_then(|m| m.get("inline_keyboard")).and_then(Value::as_array)
        else {
            return buttons;
        };
        for (row, cells) in rows.iter().enumerate() {
            for (column, button) in cells.as_array().into_iter().flatten().enumerate() {
                buttons.push(InlineButton {
                    row,
                    column,
                    text: button["text"].as_str().unwrap_or_default().to_string(),
                    callback_data: button["callback_data"].as_str().map(str::to_string),
                    url: button["url"].as_str().map(str::to_string),
                    web_app: button["web_app"]["url"].as_str().map(str::to_string),
                });
            }
        }
        buttons
    }

    /// The `callback_data` of every callback button, row by row.
    pub fn callback_data(&self) -> Vec<String> {
        self.inline_buttons().into_iter().filter_map(|b| b.callback_data).collect()
    }

    /// The label of every inline button, row by row.
    pub fn button_texts(&self) -> Vec<String> {
        self.inline_buttons().into_iter().map(|b| b.text).collect()
    }
}

/// How the bot answered a callback query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackAnswer {
    /// The query answered.
    pub callback_query_id: String,
    /// Notification text, if any.
    pub text: Option<String>,
    /// Whether an alert was requested.
    pub show_alert: bool,
    /// URL to open, if any.
    pub url: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// The fake
// ---------------------------------------------------------------------------------------------

/// A fake Telegram Bot API server on `127.0.0.1` (see the module docs).
///
/// Dropping it (or [`FakeTelegram::shutdown`]) stops the server: the listener closes,
/// pending long polls and hung requests end, and open connections are closed.
///
/// Simplifications (things the real server does that the fake does not):
/// - `parse_mode` `MarkdownV2`/`Markdown` are refused with a 400 whose description says the
///   fake does not implement them (and a line on stderr); only HTML is parsed.
/// - Webhooks are only bookkeeping: `setWebhook` switches getUpdates off (409) but the fake
///   never delivers updates to the URL.
/// - Updates never expire from the queue; the getUpdates quirk that raises a short `timeout`
///   to 3 s when the same offset is repeated within 3 s is not reproduced, nor is the delay
///   of repeated 409 answers.
/// - Only private chats, groups made by [`FakeTelegram::send_group_text`],
///   [`FakeTelegram::add_bot_to_group`] and [`FakeTelegram::migrate_group`], and chats that
///   arrive in raw updates exist; `@username` chat ids resolve to nothing. A group's members are
///   whoever writes in it; `getChatMember` says "member" for anyone not made an admin.
/// - Methods outside the implemented set answer 501 with a description naming the method
///   (unknown method names answer 404 `Not Found`, like Telegram).
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl FakeTelegram {
    /// Starts a fake for `token` (e.g. `"123456:TEST-token"`) with the default configuration.
    pub async fn start(token: &str) -> FakeTelegram {
        FakeTelegram::start_with(token, FakeTelegramConfig::default()).await
    }

    /// Starts a fake for `token` with the given configuration: binds `127.0.0.1:0` and serves
    /// in background tasks of the current tokio runtime.
    pub async fn start_with(token: &str, config: FakeTelegramConfig) -> FakeTelegram {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("FakeTelegram: cannot bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("FakeTelegram: local_addr");
        let shared = Arc::new(Shared::new(token, config));
        tokio::spawn(accept_loop(shared.clone(), listener));
        FakeTelegram { shared, addr }
    }

    /// Base URL to give the bot, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Socket address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The token the fake accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The bot's user id (the numeric part of the token).
    pub fn bot_id(&self) -> i64 {
        self.lock().bot_id
    }

    /// The bot's username (without `@`).
    pub fn bot_username(&self) -> String {
        self.lock().config.bot_username.clone()
    }

    /// Stops the server now (dropping the fake does the same).
    pub fn shutdown(&self) {
        self.shared.shutdown.cancel();
    }

    // ----- simulated users --------------------------------------------------------------

    /// `user` writes `text` to the bot in their private chat. Returns the new `update_id`
    /// (0 if the bot's `allowed_updates` excludes messages, in which case Telegram creates no
    /// update). A leading `/command` gets a `bot_command` entity, as Telegram adds.
    pub fn send_text(&self, user: &FakeUser, text: &str) -> i64 {
        let mut st = self.lock();
        st.ensure_private_chat(user);
        let update_id = st.user_message(user, user.id, text);
        self.shared.bump();
        update_id
    }

    /// `user` writes `text` in the basic group `chat_id` (negative; created on first use,
    /// titled "Test group <id>"). Returns the new `update_id` (0 when filtered out).
    ///
    /// # Panics
    /// If `chat_id` is not negative.
    pub fn send_group_text(&self, user: &FakeUser, chat_id: i64, text: &str) -> i64 {
        assert!(chat_id < 0, "group chat ids are negative, got {chat_id}");
        let mut st = self.lock();
        let chat = st.chats.entry(chat_id).or_insert_with(|| {
            ChatState::new(
                json!({"id": chat_id, "type": "group", "title": format!("Test group {chat_id}")}),
                None,
            )
        });
        assert!(chat.migrated_to.is_none(), "group {chat_id} became a supergroup: write there");
        if !chat.bot_member {
            // The message is in the group, but the bot is not there to get it.
            chat.next_message_id += 1;
            return 0;
        }
        let update_id = st.user_message(user, chat_id, text);
        self.shared.bump();
        update_id
    }

    /// `by` adds the bot to the group `chat_id` (a basic group titled `title`, made now if
    /// new): the bot gets a `my_chat_member` update (left → member), as Telegram sends. Returns
    /// its `update_id`.
    pub fn add_bot_to_group(&self, by: &FakeUser, chat_id: i64, title: &str) -> i64 {
        assert!(chat_id < 0, "group chat ids are negative, got {chat_id}");
        let mut st = self.lock();
        let chat_json = json!({"id": chat_id, "type": "group", "title": title});
        let known = st.chats.contains_key(&chat_id);
        let chat = st.chats.entry(chat_id).or_insert_with(|| ChatState::new(chat_json.clone(), None));
        chat.json = chat_json.clone();
        let was = if known && !chat.bot_member { "kicked" } else { "left" };
        chat.bot_member = true;
        let update_id = st.membership_update(by, chat_json, was, "member");
        self.shared.bump();
        update_id
    }

    /// `by` removes the bot from the group: a `my_chat_member` update (member → kicked); the
    /// bot's messages to it are then refused with 403 and it gets no updates from it.
    pub fn remove_bot_from_group(&self, by: &FakeUser, chat_id: i64) -> i64 {
        let mut st = self.lock();
        let chat = st.chats.get_mut(&chat_id).expect("remove_bot_from_group: unknown group");
        chat.bot_member = false;
        let chat_json = chat.json.clone();
        let update_id = st.membership_update(by, chat_json, "member", "kicked");
        self.shared.bump();
        update_id
    }

    /// The basic group `chat_id` becomes the supergroup `new_id` (as when an admin turns on a
    /// supergroup feature), by `by`: the bot gets the service message with `migrate_to_chat_id`
    /// in the old group and the one with `migrate_from_chat_id` in the new; messages to the old
    /// id are refused with 400 and `parameters.migrate_to_chat_id`. Returns the two update ids.
    pub fn migrate_group(&self, by: &FakeUser, chat_id: i64, new_id: i64) -> (i64, i64) {
        assert!(new_id < -1_000_000_000_000, "supergroup ids look like -100…, got {new_id}");
        let mut st = self.lock();
        let old = st.chats.get_mut(&chat_id).expect("migrate_group: unknown group");
        old.migrated_to = Some(new_id);
        let title = old.json["title"].clone();
        let admins = old.admins.clone();
        let old_json = old.json.clone();
        let new_json = json!({"id": new_id, "type": "supergroup", "title": title});
        let mut new_chat = ChatState::new(new_json.clone(), None);
        new_chat.admins = admins;
        st.chats.insert(new_id, new_chat);
        let mut ids = [0; 2];
        for (i, (chat, json, field, other)) in [
            (chat_id, old_json, "migrate_to_chat_id", new_id),
            (new_id, new_json, "migrate_from_chat_id", chat_id),
        ]
        .into_iter()
        .enumerate()
        {
            let message_id = st.allocate_message_id(chat);
            let message = json!({
                "message_id": message_id,
                "from": by.to_json(),
                "chat": json,
                "date": unix_now(),
                field: other,
            });
            st.chats
                .get_mut(&chat)
                .expect("chat")
                .messages
                .insert(message_id, StoredMessage { json: message.clone(), sent: None });
            ids[i] = st.push_update("message", message);
        }
        self.shared.bump();
        (ids[0], ids[1])
    }

    /// Makes `user_id` an administrator of the group (`getChatMember` says so).
    pub fn set_group_admin(&self, chat_id: i64, user_id: i64) {
        let mut st = self.lock();
        st.chats.get_mut(&chat_id).expect("set_group_admin: unknown group").admins.insert(user_id);
    }

    /// How many messages to groups were refused for going over Telegram's 20 a minute.
    pub fn group_rate_refusals(&self) -> usize {
        self.lock().group_refusals
    }

    /// `user` presses the inline button carrying `data` under the bot's message
    /// `message_id` in their private chat. Returns the `update_id` of the `callback_query`
    /// update; [`FakeTelegram::callback_query_id`] gives the query id.
    ///
    /// # Panics
    /// If that message does not exist, was deleted, is not the bot's, or has no callback
    /// button with exactly this data right now (a real client cannot press it either).
    pub fn press_button(&self, user: &FakeUser, message_id: i64, data: &str) -> i64 {
        self.press_button_in_chat(user, user.id, message_id, data)
    }

    /// Like [`FakeTelegram::press_button`] for a message in any chat (e.g. a group).
    pub fn press_button_in_chat(&self, user: &FakeUser, chat_id: i64, message_id: i64, data: &str) -> i64 {
        self.press(user, chat_id, message_id, data, true)
    }

    /// Sends a `callback_query` without checking that the button exists (a stale client, a
    /// forged payload). If the message is unknown the update carries an inaccessible message
    /// (`date` 0).
    pub fn press_button_unchecked(&self, user: &FakeUser, chat_id: i64, message_id: i64, data: &str) -> i64 {
        self.press(user, chat_id, message_id, data, false)
    }

    fn press(&self, user: &FakeUser, chat_id: i64, message_id: i64, data: &str, check: bool) -> i64 {
        let mut st = self.lock();
        let message = match st.chats.get(&chat_id) {
            Some(chat) => match chat.messages.get(&message_id) {
                Some(stored) => {
                    if check {
                        let Some(sent) = stored.sent.as_ref() else {
                            panic!(
                                "press_button: message {message_id} in chat {chat_id} was not sent by the bot"
                            );
                        };
                        assert!(
                            !sent.deleted,
                            "press_button: message {message_id} in chat {chat_id} was deleted"
                        );
                        let available = sent.callback_data();
                        assert!(
                            available.iter().any(|d| d == data),
                            "press_button: message {message_id} in chat {chat_id} has no button with callback_data {data:?}; it has {available:?}"
                        );
                    }
                    stored.json.clone()
                }
                None => {
                    assert!(!check, "press_button: no message {message_id} in chat {chat_id}");
                    json!({"chat": chat.json.clone(), "message_id": message_id, "date": 0})
                }
            },
            None => {
                assert!(!check, "press_button: unknown chat {chat_id}");
                json!({"chat": {"id": chat_id, "type": "private", "first_name": user.first_name},
                       "message_id": message_id, "date": 0})
            }
        };
        st.next_callback_seq += 1;
        let query_id = (7_000_000_000_000_000_000u64 + st.next_callback_seq).to_string();
        let payload = json!({
            "id": query_id,
            "from": user.to_json(),
            "message": message,
            "chat_instance": (chat_id.unsigned_abs().wrapping_mul(2_654_435_761) % 1_000_000_000_000_000_000).to_string(),
            "data": data,
        });
        let update_id = st.push_update("callback_query", payload);
        st.callback_queries
            .insert(query_id.clone(), CallbackState { created: Instant::now(), answered: false });
        if update_id != 0 {
            st.callback_by_update.insert(update_id, query_id);
        }
        self.shared.bump();
        update_id
    }

    /// How many callback queries were sent to the bot (button presses, forged or not).
    pub fn callback_queries_sent(&self) -> usize {
        self.lock().callback_queries.len()
    }

    /// The callback query id carried by the `callback_query` update `update_id`.
    pub fn callback_query_id(&self, update_id: i64) -> Option<String> {
        self.lock().callback_by_update.get(&update_id).cloned()
    }

    /// Queues any update (`edited_message`, `my_chat_member`, `channel_post`, a sticker
    /// message...). Pass the update without `update_id` (any given one is replaced), with
    /// exactly one payload field, e.g. `json!({"message": {...}})`. Chats found in the payload
    /// become known to the fake. Returns the `update_id` (0 when the bot's
    /// `allowed_updates` excludes this type).
    ///
    /// # Panics
    /// If `update` is not an object with exactly one field besides `update_id`.
    pub fn push_raw_update(&self, update: Value) -> i64 {
        let Value::Object(mut object) = update else {
            panic!("push_raw_update: the update must be a JSON object");
        };
        object.remove("update_id");
        assert!(
            object.len() == 1,
            "push_raw_update: expected exactly one update field, got {:?}",
            object.keys().collect::<Vec<_>>()
        );
        let (kind, payload) = object.into_iter().next().expect("one field");
        let mut st = self.lock();
        st.learn_chats(&payload);
        let update_id = st.push_update(&kind, payload);
        self.shared.bump();
        update_id
    }

    /// Makes `user`'s private chat known without an update, as for a user who wrote to the
    /// bot before the test started.
    pub fn add_private_chat(&self, user: &FakeUser) {
        self.lock().ensure_private_chat(user);
        self.shared.bump();
    }

    /// While `blocked`, every message to `user_id`'s private chat fails with 403
    /// `Forbidden: bot was blocked by the user`.
    pub fn set_user_blocked(&self, user_id: i64, blocked: bool) {
        let mut st = self.lock();
        if blocked {
            st.blocked_users.insert(user_id);
        } else {
            st.blocked_users.remove(&user_id);
        }
    }

    // ----- observing the bot -------------------------------------------------------------

    /// Every request so far, in completion order (long polls appear when they end).
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.lock().calls.clone()
    }

    /// The requests to one method (case-insensitive name, e.g. `"sendMessage"`).
    pub fn calls_to(&self, method: &str) -> Vec<RecordedCall> {
        let method = method.to_ascii_lowercase();
        self.lock().calls.iter().filter(|c| c.method == method).cloned().collect()
    }

    /// Number of recorded requests; the `seq` the next one will get.
    pub fn call_count(&self) -> usize {
        self.lock().calls.len()
    }

    /// The bot's messages in `chat_id`, oldest first, in their current state (edited text,
    /// current keyboard); deleted ones stay in the list with `deleted: true`.
    pub fn sent_messages(&self, chat_id: i64) -> Vec<SentMessage> {
        self.lock().sent_in(chat_id)
    }

    /// The bot's messages in every chat, ordered by chat id then message id.
    pub fn all_sent_messages(&self) -> Vec<SentMessage> {
        let st = self.lock();
        let mut chat_ids: Vec<i64> = st.chats.keys().copied().collect();
        chat_ids.sort_unstable();
        chat_ids.into_iter().flat_map(|id| st.sent_in(id)).collect()
    }

    /// The bot's newest message in `chat_id`.
    pub fn last_message(&self, chat_id: i64) -> Option<SentMessage> {
        self.sent_messages(chat_id).pop()
    }

    /// Waits until the bot has sent at least `n` messages (deleted ones included) to
    /// `chat_id`, and returns them all.
    ///
    /// # Panics
    /// On timeout, listing the messages and recent calls.
    pub async fn wait_for_messages(&self, chat_id: i64, n: usize, timeout: Duration) -> Vec<SentMessage> {
        let what = format!("{n} bot message(s) in chat {chat_id}");
        self.wait_until(&what, timeout, |fake| fake.sent_messages(chat_id).len() >= n).await;
        self.sent_messages(chat_id)
    }

    /// Waits until a recorded call (any so far, or a later one) satisfies `predicate` and
    /// returns the first that does. Filter on `call.seq >= fake.call_count()` taken before
    /// an action to only look at later calls.
    ///
    /// # Panics
    /// On timeout, listing the calls.
    pub async fn wait_for_call<F>(&self, predicate: F, timeout: Duration) -> RecordedCall
    where
        F: Fn(&RecordedCall) -> bool,
    {
        self.wait_until("a matching call", timeout, |fake| fake.lock().calls.iter().any(&predicate)).await;
        self.lock().calls.iter().find(|c| predicate(c)).cloned().expect("a matching call was seen")
    }

    /// Waits until `condition` holds, re-checking whenever the fake's state changes
    /// (requests, updates, messages) and at least every 50 ms.
    ///
    /// # Panics
    /// On timeout, with `what` and a summary of the fake's state.
    pub async fn wait_until<F>(&self, what: &str, timeout: Duration, condition: F)
    where
        F: Fn(&FakeTelegram) -> bool,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changes = self.shared.changed.subscribe();
        loop {
            if condition(self) {
                return;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!("FakeTelegram: timed out after {timeout:?} waiting for {what}\n{}", self.summary());
            }
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Waits until the bot has confirmed `update_id` (called getUpdates with a higher offset).
    pub async fn wait_for_confirmation(&self, update_id: i64, timeout: Duration) {
        let what = format!("confirmation of update {update_id}");
        self.wait_until(&what, timeout, |fake| fake.confirmed_offset() > update_id).await;
    }

    /// The highest offset by which the bot confirmed updates (0 before any confirmation).
    pub fn confirmed_offset(&self) -> i64 {
        self.lock().confirmed_offset
    }

    /// Updates queued and not yet confirmed (whether or not already delivered).
    pub fn pending_updates(&self) -> usize {
        self.lock().queue.len()
    }

    /// The `update_id` the next update will get.
    pub fn next_update_id(&self) -> i64 {
        self.lock().next_update_id
    }

    /// Sets the `update_id` of the next update (e.g. to simulate Telegram's id sequence
    /// after a long pause). Queued updates keep their ids.
    pub fn set_next_update_id(&self, update_id: i64) {
        self.lock().next_update_id = update_id;
        self.shared.bump();
    }

    /// Whether a getUpdates long poll is being held right now.
    pub fn is_long_polling(&self) -> bool {
        self.lock().long_poll.is_some()
    }

    /// Ids of the callback queries the bot answered successfully, in order.
    pub fn answered_callback_queries(&self) -> Vec<String> {
        self.lock().callback_answers.iter().map(|a| a.callback_query_id.clone()).collect()
    }

    /// The bot's successful callback query answers, in order.
    pub fn callback_answers(&self) -> Vec<CallbackAnswer> {
        self.lock().callback_answers.clone()
    }

    /// The webhook URL set by the bot, if any.
    pub fn webhook_url(&self) -> Option<String> {
        self.lock().webhook_url.clone()
    }

    /// The menu button private chats show by default, as the bot last set it.
    pub fn default_menu_button(&self) -> Value {
        self.lock().menu_buttons.get(&None).cloned().unwrap_or_else(|| json!({"type": "default"}))
    }

    /// The secret the bot gave with its webhook, if any.
    pub fn webhook_secret(&self) -> Option<String> {
        self.lock().webhook_secret.clone()
    }

    /// The webhook's `max_connections`.
    pub fn webhook_connections(&self) -> i64 {
        self.lock().webhook_connections
    }

    /// Each webhook delivery so far: the update id and the bot's HTTP status (0: no answer).
    pub fn webhook_posts(&self) -> Vec<(i64, u16)> {
        self.lock().webhook_posts.clone()
    }

    /// Delivers updates as Telegram does once a webhook is set: each pending update, in order, is
    /// posted to the webhook URL's path at `addr` (standing in for the reverse proxy) with the
    /// secret in `X-Telegram-Bot-Api-Secret-Token`, and posted again until the bot answers 200.
    /// Calling it again (a bot restarted on another port) moves the deliveries there.
    pub fn deliver_webhooks_to(&self, addr: SocketAddr) {
        let first = self.lock().webhook_target.replace(addr).is_none();
        if first {
            tokio::spawn(webhook_delivery(self.shared.clone()));
        }
        self.shared.bump();
    }

    /// The commands last set by `setMyCommands` (scope and language are recorded in the call
    /// only).
    pub fn commands(&self) -> Vec<Value> {
        self.commands_for("default")
    }

    /// The command menu set for a scope (`"default"`, `"all_group_chats"`, …).
    pub fn commands_for(&self, scope: &str) -> Vec<Value> {
        self.lock().commands.get(scope).cloned().unwrap_or_default()
    }

    /// The update types the bot currently receives (sorted).
    pub fn allowed_updates(&self) -> Vec<String> {
        let mut types: Vec<String> = self.lock().allowed_updates.iter().cloned().collect();
        types.sort();
        types
    }

    // ----- fault injection -------------------------------------------------------------------

    /// Makes the next `times` calls of `method` (case-insensitive, or `"*"` for any method)
    /// fail with `fault`. Faults apply after the token check, in the order they were added.
    pub fn fail_next(&self, method: &str, fault: Fault, times: usize) {
        if times == 0 {
            return;
        }
        self.lock().faults.push(PendingFault {
            method: method.to_ascii_lowercase(),
            fault,
            remaining: times,
        });
    }

    /// Removes all pending faults.
    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// While `on`, a getUpdates whose offset would confirm at least one update answers 502
    /// (nginx HTML) and confirms nothing; other getUpdates calls work normally.
    pub fn refuse_confirmations(&self, on: bool) {
        self.lock().refuse_confirmations = on;
    }

    /// Changes how long callback queries stay answerable (applies to existing ones too).
    pub fn set_callback_answer_window(&self, window: Duration) {
        self.lock().config.callback_answer_window = window;
    }

    /// Switches flood control on (`Some`) or off (`None`).
    pub fn set_rate_limit(&self, rate_limit: Option<RateLimit>) {
        let mut st = self.lock();
        st.config.rate_limit = rate_limit;
        st.rate_log.clear();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    fn summary(&self) -> String {
        let st = self.lock();
        let mut out = format!(
            "pending updates: {}, confirmed offset: {}, next update id: {}\n",
            st.queue.len(),
            st.confirmed_offset,
            st.next_update_id
        );
        let mut chat_ids: Vec<&i64> = st.chats.keys().collect();
        chat_ids.sort();
        for id in chat_ids {
            for m in st.sent_in(*id) {
                out.push_str(&format!(
                    "  chat {} msg {}{}: {:?} buttons {:?}\n",
                    m.chat_id,
                    m.message_id,
                    if m.deleted { " (deleted)" } else { "" },
                    m.text,
                    m.callback_data()
                ));
            }
        }
        let skip = st.calls.len().saturating_sub(20);
        out.push_str(&format!("last {} of {} calls:\n", st.calls.len() - skip, st.calls.len()));
        for c in &st.calls[skip..] {
            out.push_str(&format!(
                "  #{} {} {} -> {:?} {}\n",
                c.seq,
                c.method,
                c.params,
                c.http_status,
                c.description().unwrap_or("")
            ));
        }
        out
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}

// ---------------------------------------------------------------------------------------------
// Shared state
// ---------------------------------------------------------------------------------------------

struct Shared {
    token: String,
    state: Mutex<State>,
    changed: watch::Sender<u64>,
    shutdown: CancellationToken,
}

impl Shared {
    fn new(token: &str, config: FakeTelegramConfig) -> Shared {
        let bot_id = token.split(':').next().and_then(|id| id.parse::<i64>().ok()).unwrap_or(123_456);
        let (changed, _) = watch::channel(0u64);
        Shared {
            token: token.to_string(),
            state: Mutex::new(State::new(bot_id, config)),
            changed,
            shutdown: CancellationToken::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn take_fault(&self, method: &str) -> Option<Fault> {
        let mut st = self.lock();
        let index = st.faults.iter().position(|f| f.method == "*" || f.method == method)?;
        let fault = st.faults[index].fault.clone();
        st.faults[index].remaining -= 1;
        if st.faults[index].remaining == 0 {
            st.faults.remove(index);
        }
        Some(fault)
    }

    fn record(&self, mut call: RecordedCall) {
        let mut st = self.lock();
        call.seq = st.calls.len();
        st.calls.push(call);
        self.bump();
    }
}

struct PendingFault {
    method: String,
    fault: Fault,
    remaining: usize,
}

struct QueuedUpdate {
    id: i64,
    json: Value,
}

struct CallbackState {
    created: Instant,
    answered: bool,
}

struct StoredMessage {
    json: Value,
    sent: Option<SentMessage>,
}

struct ChatState {
    json: Value,
    user: Option<FakeUser>,
    next_message_id: i64,
    messages: BTreeMap<i64, StoredMessage>,
    /// A group: whether the bot is in it (sending there otherwise is refused with 403).
    bot_member: bool,
    /// A group that became this supergroup (sending there is refused with 400 and the new id).
    migrated_to: Option<i64>,
    /// A group's administrators (`getChatMember` says "administrator").
    admins: HashSet<i64>,
    /// When the bot's last messages to this group were sent, for Telegram's per-group limit.
    group_sends: VecDeque<Instant>,
}

impl ChatState {
    fn new(json: Value, user: Option<FakeUser>) -> ChatState {
        ChatState {
            json,
            user,
            next_message_id: 1,
            messages: BTreeMap::new(),
            bot_member: true,
            migrated_to: None,
            admins: HashSet::new(),
            group_sends: VecDeque::new(),
        }
    }
}

/// Telegram lets a bot send about 20 messages a minute to one group.
const GROUP_MESSAGES_PER_MINUTE: usize = 20;
const GROUP_WINDOW: Duration = Duration::from_secs(60);

const ALL_UPDATE_TYPES: &[&str] = &[
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
];

fn default_allowed_updates() -> HashSet<String> {
    ALL_UPDATE_TYPES
        .iter()
        .filter(|t| !matches!(**t, "chat_member" | "message_reaction" | "message_reaction_count"))
        .map(|t| t.to_string())
        .collect()
}

struct State {
    config: FakeTelegramConfig,
    bot_id: i64,
    next_update_id: i64,
    queue: VecDeque<QueuedUpdate>,
    confirmed_offset: i64,
    allowed_updates: HashSet<String>,
    long_poll: Option<(u64, oneshot::Sender<String>)>,
    next_poll_id: u64,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    /// The menu button per private chat (`None`: every private chat's default).
    menu_buttons: HashMap<Option<i64>, Value>,
    /// `max_connections` of the webhook (Telegram's default 40).
    webhook_connections: i64,
    /// Where webhook deliveries go (the bot's listener), once a test says so.
    webhook_target: Option<SocketAddr>,
    /// Webhook deliveries: the update id and the HTTP status the bot answered (0: no answer).
    webhook_posts: Vec<(i64, u16)>,
    chats: HashMap<i64, ChatState>,
    blocked_users: HashSet<i64>,
    calls: Vec<RecordedCall>,
    faults: Vec<PendingFault>,
    refuse_confirmations: bool,
    callback_queries: HashMap<String, CallbackState>,
    callback_by_update: HashMap<i64, String>,
    callback_answers: Vec<CallbackAnswer>,
    next_callback_seq: u64,
    /// The command menus by scope type.
    commands: HashMap<String, Vec<Value>>,
    rate_log: HashMap<i64, VecDeque<Instant>>,
    next_file_seq: u64,
    /// Messages to groups refused for going over 20 a minute.
    group_refusals: usize,
}

impl State {
    fn new(bot_id: i64, config: FakeTelegramConfig) -> State {
        State {
            next_update_id: config.update_id_start,
            config,
            bot_id,
            queue: VecDeque::new(),
            confirmed_offset: 0,
            allowed_updates: default_allowed_updates(),
            long_poll: None,
            next_poll_id: 0,
            webhook_url: None,
            webhook_secret: None,
            menu_buttons: HashMap::new(),
            webhook_connections: 40,
            webhook_target: None,
            webhook_posts: Vec::new(),
            chats: HashMap::new(),
            blocked_users: HashSet::new(),
            calls: Vec::new(),
            faults: Vec::new(),
            refuse_confirmations: false,
            callback_queries: HashMap::new(),
            callback_by_update: HashMap::new(),
            callback_answers: Vec::new(),
            next_callback_seq: 0,
            commands: HashMap::new(),
            rate_log: HashMap::new(),
            next_file_seq: 0,
            group_refusals: 0,
        }
    }

    fn bot_json(&self) -> Value {
        json!({
            "id": self.bot_id,
            "is_bot": true,
            "first_name": self.config.bot_first_name,
            "username": self.config.bot_username,
        })
    }

    fn push_update(&mut self, kind: &str, payload: Value) -> i64 {
        if !self.allowed_updates.contains(kind) {
            return 0;
        }
        let id = self.next_update_id;
        self.next_update_id += 1;
        let mut object = Map::new();
        object.insert("update_id".to_string(), json!(id));
        object.insert(kind.to_string(), payload);
        self.queue.push_back(QueuedUpdate { id, json: Value::Object(object) });
        id
    }

    /// Queues a `my_chat_member` update about the bot in `chat`, from status `was` to `is`.
    fn membership_update(&mut self, by: &FakeUser, chat: Value, was: &str, is: &str) -> i64 {
        let member = |status: &str| {
            let mut m = json!({"user": self.bot_json(), "status": status});
            if status == "kicked" {
                m["until_date"] = json!(0);
            }
            m
        };
        let payload = json!({
            "chat": chat,
            "from": by.to_json(),
            "date": unix_now(),
            "old_chat_member": member(was),
            "new_chat_member": member(is),
        });
        self.push_update("my_chat_member", payload)
    }

    fn ensure_private_chat(&mut self, user: &FakeUser) {
        let chat = self
            .chats
            .entry(user.id)
            .or_insert_with(|| ChatState::new(user.private_chat_json(), Some(user.clone())));
        chat.json = user.private_chat_json();
        chat.user = Some(user.clone());
    }

    /// Stores a user's text message in `chat_id` (which must exist) and queues its update.
    fn user_message(&mut self, user: &FakeUser, chat_id: i64, text: &str) -> i64 {
        let chat = self.chats.get_mut(&chat_id).expect("chat exists");
        let message_id = chat.next_message_id;
        chat.next_message_id += 1;
        let mut message = json!({
            "message_id": message_id,
            "from": user.to_json(),
            "chat": chat.json.clone(),
            "date": unix_now(),
            "text": text,
        });
        if let Some(command) = text.strip_prefix('/') {
            let name_len = command.find(|c: char| c.is_whitespace()).unwrap_or(command.len());
            if name_len > 0 {
                let length = text[..=name_len].encode_utf16().count();
                message["entities"] = json!([{"offset": 0, "length": length, "type": "bot_command"}]);
            }
        }
        chat.messages.insert(message_id, StoredMessage { json: message.clone(), sent: None });
        self.push_update("message", message)
    }

    fn learn_chats(&mut self, payload: &Value) {
        let mut chats = Vec::new();
        if let Some(chat) = payload.get("chat") {
            chats.push((chat.clone(), payload.get("message_id").and_then(Value::as_i64)));
        }
        if let Some(message) = payload.get("message")
            && let Some(chat) = message.get("chat")
        {
            chats.push((chat.clone(), message.get("message_id").and_then(Value::as_i64)));
        }
        for (chat, message_id) in chats {
            let Some(id) = chat.get("id").and_then(Value::as_i64) else {
                continue;
            };
            let user = if chat["type"] == "private" && id > 0 {
                Some(FakeUser {
                    id,
                    first_name: chat["first_name"].as_str().unwrap_or("User").to_string(),
                    username: chat["username"].as_str().map(str::to_string),
                    language_code: None,
                })
            } else {
                None
            };
            let state = self.chats.entry(id).or_insert_with(|| ChatState::new(chat.clone(), user));
            if let Some(message_id) = message_id {
                state.next_message_id = state.next_message_id.max(message_id + 1);
            }
        }
    }

    fn sent_in(&self, chat_id: i64) -> Vec<SentMessage> {
        self.chats
            .get(&chat_id)
            .map(|chat| chat.messages.values().filter_map(|m| m.sent.clone()).collect())
            .unwrap_or_default()
    }

    /// Applies the offset rules of getUpdates (as telegram-bot-api's `do_get_updates`):
    /// returns the id to deliver from, and forgets confirmed updates.
    fn confirm(&mut self, offset: i64) -> i64 {
        let (from, confirms) = self.resolve_offset(offset);
        if confirms {
            self.queue.retain(|u| u.id >= from);
            if offset != 0 {
                // Without an offset the bot confirms nothing (delivery starts at the head).
                self.confirmed_offset = self.confirmed_offset.max(from);
            }
        }
        from
    }

    fn resolve_offset(&self, offset: i64) -> (i64, bool) {
        let tail = self.next_update_id;
        let head = self.queue.front().map(|u| u.id).unwrap_or(tail);
        let mut offset = offset;
        if offset <= 0 {
            if !self.queue.is_empty() && offset < 0 {
                offset += tail;
            }
            if offset < head {
                offset = head;
            }
        }
        if offset > tail {
            // An offset "in the future" is invalid: delivery starts at the head, nothing is
            // confirmed.
            (head, false)
        } else {
            (offset, true)
        }
    }

    fn would_confirm(&self, offset: i64) -> bool {
        let (from, confirms) = self.resolve_offset(offset);
        confirms && self.queue.iter().any(|u| u.id < from)
    }

    fn collect(&self, from: i64, limit: usize) -> Vec<Value> {
        self.queue.iter().filter(|u| u.id >= from).take(limit).map(|u| u.json.clone()).collect()
    }

    fn set_allowed_updates(&mut self, value: &Value) {
        let Some(items) = value.as_array() else {
            return;
        };
        let chosen: HashSet<String> = items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .filter(|t| ALL_UPDATE_TYPES.contains(&t.as_str()))
            .collect();
        self.allowed_updates = if chosen.is_empty() { default_allowed_updates() } else { chosen };
    }

    fn abort_long_poll(&mut self, message: &str) {
        if let Some((_, abort)) = self.long_poll.take() {
            let _ = abort.send(message.to_string());
        }
    }

    fn check_rate(&mut self, chat_id: i64) -> Result<(), ApiErr> {
        let Some(limit) = self.config.rate_limit else {
            return Ok(());
        };
        let now = Instant::now();
        let log = self.rate_log.entry(chat_id).or_default();
        while log.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1)) {
            log.pop_front();
        }
        if log.len() >= limit.per_chat_per_second {
            return Err(too_many_requests(limit.retry_after));
        }
        log.push_back(now);
        Ok(())
    }

    /// Telegram's limit of 20 messages a minute to a group: a 21st within a minute is refused
    /// with 429 (`retry_after` until the oldest of them is a minute old).
    fn check_group_rate(&mut self, chat_id: i64) -> Result<(), ApiErr> {
        if chat_id >= 0 {
            return Ok(());
        }
        let Some(chat) = self.chats.get_mut(&chat_id) else { return Ok(()) };
        let now = Instant::now();
        while chat.group_sends.front().is_some_and(|t| now.duration_since(*t) >= GROUP_WINDOW) {
            chat.group_sends.pop_front();
        }
        if chat.group_sends.len() >= GROUP_MESSAGES_PER_MINUTE {
            let oldest = *chat.group_sends.front().expect("full");
            let wait = GROUP_WINDOW.saturating_sub(now.duration_since(oldest)).as_secs() as u32 + 1;
            self.group_refusals += 1;
            return Err(too_many_requests(wait));
        }
        chat.group_sends.push_back(now);
        Ok(())
    }

    fn message_json(&self, chat_id: i64, sent: &SentMessage) -> Value {
        let chat = &self.chats[&chat_id];
        let mut message = json!({
            "message_id": sent.message_id,
            "from": self.bot_json(),
            "chat": chat.json.clone(),
            "date": sent.date,
        });
        if let Some(edit_date) = sent.edit_date {
            message["edit_date"] = json!(edit_date);
        }
        match &sent.media {
            None => {
                message["text"] = json!(sent.text);
                if !sent.entities.is_empty() {
                    message["entities"] = json!(sent.entities);
                }
            }
            Some(media) => {
                let size = media.uploaded_bytes.unwrap_or(1024);
                let file_id = format!("FAKE-{}-{}-{}", media.kind, chat_id, sent.message_id);
                let unique = format!("U{}x{}", chat_id.unsigned_abs(), sent.message_id);
                if media.kind == "photo" {
                    message["photo"] = json!([
                        {"file_id": format!("{file_id}-s"), "file_unique_id": format!("{unique}s"),
                         "width": 90, "height": 90, "file_size": size.min(1000)},
                        {"file_id": file_id, "file_unique_id": unique,
                         "width": 320, "height": 320, "file_size": size},
                    ]);
                } else {
                    let mut document = json!({"file_id": file_id, "file_unique_id": unique,
                                              "file_size": size});
                    if let Some(name) = &media.file_name {
                        document["file_name"] = json!(name);
                    }
                    message["document"] = document;
                }
                if !sent.text.is_empty() {
                    message["caption"] = json!(sent.text);
                    if !sent.entities.is_empty() {
                        message["caption_entities"] = json!(sent.entities);
                    }
                }
            }
        }
        if let Some(markup) = &sent.reply_markup
            && markup.get("inline_keyboard").is_some()
        {
            message["reply_markup"] = markup.clone();
        }
        message
    }

    fn store_bot_message(&mut self, sent: SentMessage) -> Value {
        let json = self.message_json(sent.chat_id, &sent);
        let chat = self.chats.get_mut(&sent.chat_id).expect("chat exists");
        chat.messages.insert(sent.message_id, StoredMessage { json: json.clone(), sent: Some(sent) });
        json
    }

    fn allocate_message_id(&mut self, chat_id: i64) -> i64 {
        let chat = self.chats.get_mut(&chat_id).expect("chat exists");
        let id = chat.next_message_id;
        chat.next_message_id += 1;
        id
    }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 server
// ---------------------------------------------------------------------------------------------

/// The webhook delivery loop (see [`FakeTelegram::deliver_webhooks_to`]).
async fn webhook_delivery(shared: Arc<Shared>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("an HTTP client");
    let mut changes = shared.changed.subscribe();
    loop {
        let next = {
            let st = shared.lock();
            match (&st.webhook_url, st.webhook_target, st.queue.front()) {
                (Some(url), Some(addr), Some(update)) => {
                    let path = url::Url::parse(url).map(|u| u.path().to_owned()).unwrap_or_default();
                    Some((addr, path, st.webhook_secret.clone(), update.id, update.json.clone()))
                }
                _ => None,
            }
        };
        let Some((addr, path, secret, id, json)) = next else {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                _ = shared.shutdown.cancelled() => return,
            }
            continue;
        };
        let mut request = client.post(format!("http://{addr}{path}")).json(&json);
        if let Some(secret) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        let status = tokio::select! {
            sent = request.send() => sent.map(|r| r.status().as_u16()).unwrap_or(0),
            _ = shared.shutdown.cancelled() => return,
        };
        let delivered = {
            let mut st = shared.lock();
            st.webhook_posts.push((id, status));
            if status == 200 {
                st.queue.retain(|u| u.id != id);
                st.confirmed_offset = st.confirmed_offset.max(id + 1);
            }
            status == 200
        };
        shared.bump();
        if !delivered {
            // Telegram waits longer between attempts; the tests need not.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(serve_connection(shared.clone(), stream));
                }
            }
            _ = shared.shutdown.cancelled() => return,
        }
    }
}

struct HttpRequest {
    target: String,
    http_1_0: bool,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl HttpRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn keep_alive(&self) -> bool {
        let connection = self.header("connection").unwrap_or("").to_ascii_lowercase();
        if self.http_1_0 { connection.contains("keep-alive") } else { !connection.contains("close") }
    }
}

async fn read_more(reader: &mut OwnedReadHalf, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    let n = reader.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn invalid_data(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_string())
}

/// Reads one request; `Ok(None)` on a clean end of the connection.
async fn read_request(
    reader: &mut OwnedReadHalf,
    writer: &mut OwnedWriteHalf,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<HttpRequest>> {
    let head_end = loop {
        if let Some(pos) = find(buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > 256 * 1024 {
            return Err(invalid_data("request head too large"));
        }
        if read_more(reader, buf).await? == 0 {
            return Ok(None);
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    buf.drain(..head_end + 4);
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split_whitespace();
    let _method = parts.next().ok_or_else(|| invalid_data("no method"))?;
    let target = parts.next().ok_or_else(|| invalid_data("no target"))?.to_string();
    let version = parts.next().unwrap_or("HTTP/1.1");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut request =
        HttpRequest { target, http_1_0: version.eq_ignore_ascii_case("HTTP/1.0"), headers, body: Vec::new() };
    if request.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    let chunked =
        request.header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let line_end = loop {
                if let Some(pos) = find(buf, b"\r\n") {
                    break pos;
                }
                if read_more(reader, buf).await? == 0 {
                    return Err(invalid_data("eof in chunked body"));
                }
            };
            let line = String::from_utf8_lossy(&buf[..line_end]).into_owned();
            buf.drain(..line_end + 2);
            let size_text = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid_data("bad chunk size"))?;
            if size == 0 {
                // Trailers, then an empty line.
                loop {
                    let end = loop {
                        if let Some(pos) = find(buf, b"\r\n") {
                            break pos;
                        }
                        if read_more(reader, buf).await? == 0 {
                            return Err(invalid_data("eof in trailers"));
                        }
                    };
                    buf.drain(..end + 2);
                    if end == 0 {
                        break;
                    }
                }
                break;
            }
            while buf.len() < size + 2 {
                if read_more(reader, buf).await? == 0 {
                    return Err(invalid_data("eof in chunk"));
                }
            }
            request.body.extend_from_slice(&buf[..size]);
            buf.drain(..size + 2);
        }
    } else if let Some(length) = request.header("content-length") {
        let length: usize = length.trim().parse().map_err(|_| invalid_data("bad content-length"))?;
        while buf.len() < length {
            if read_more(reader, buf).await? == 0 {
                return Err(invalid_data("eof in body"));
            }
        }
        request.body = buf.drain(..length).collect();
    }
    Ok(Some(request))
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        _ => "Unknown",
    }
}

async fn serve_connection(shared: Arc<Shared>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let (mut reader, mut writer) = stream.into_split();
    let mut buf = Vec::new();
    loop {
        let request = tokio::select! {
            read = read_request(&mut reader, &mut writer, &mut buf) => match read {
                Ok(Some(request)) => request,
                _ => return,
            },
            _ = shared.shutdown.cancelled() => return,
        };
        let keep_alive = request.keep_alive();
        let client_gone = CancellationToken::new();
        let mut task = tokio::spawn(handle_request(shared.clone(), request, client_gone.clone()));
        let mut gone = false;
        let outcome = loop {
            tokio::select! {
                joined = &mut task => break match joined {
                    Ok(outcome) => outcome,
                    Err(error) => Outcome::Respond {
                        status: 500,
                        content_type: "application/json",
                        body: json!({"ok": false, "error_code": 500,
                                     "description": format!("Internal Server Error: FakeTelegram handler failed: {error}")})
                            .to_string()
                            .into_bytes(),
                        json: None,
                    },
                },
                read = read_more(&mut reader, &mut buf), if !gone => {
                    if !matches!(read, Ok(n) if n > 0) {
                        gone = true;
                        client_gone.cancel();
                    }
                }
            }
        };
        if gone {
            return;
        }
        match outcome {
            Outcome::Drop => return,
            Outcome::Respond { status, content_type, body, .. } => {
                let mut response = format!(
                    "HTTP/1.1 {status} {}\r\nServer: nginx/1.18.0\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {}\r\n\r\n",
                    reason_phrase(status),
                    body.len(),
                    if keep_alive { "keep-alive" } else { "close" }
                )
                .into_bytes();
                response.extend_from_slice(&body);
                if writer.write_all(&response).await.is_err() || writer.flush().await.is_err() {
                    return;
                }
                if !keep_alive {
                    let _ = writer.shutdown().await;
                    return;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------

enum Outcome {
    Respond { status: u16, content_type: &'static str, body: Vec<u8>, json: Option<Value> },
    Drop,
}

#[derive(Debug)]
struct ApiErr {
    code: u16,
    description: String,
    retry_after: Option<u32>,
    /// `parameters.migrate_to_chat_id`: the group became this supergroup.
    migrate_to: Option<i64>,
}

type ApiResult = Result<(Value, Option<String>), ApiErr>;

fn bad(message: &str) -> ApiErr {
    ApiErr { code: 400, description: format!("Bad Request: {message}"), retry_after: None, migrate_to: None }
}

fn api_err(code: u16, description: &str) -> ApiErr {
    ApiErr { code, description: description.to_string(), retry_after: None, migrate_to: None }
}

fn too_many_requests(retry_after: u32) -> ApiErr {
    ApiErr {
        code: 429,
        description: format!("Too Many Requests: retry after {retry_after}"),
        retry_after: Some(retry_after),
        migrate_to: None,
    }
}

fn blocked() -> ApiErr {
    api_err(403, "Forbidden: bot was blocked by the user")
}

const TERMINATED_BY_OTHER: &str =
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";

fn json_outcome(status: u16, body: Value) -> Outcome {
    Outcome::Respond {
        status,
        content_type: "application/json",
        body: body.to_string().into_bytes(),
        json: Some(body),
    }
}

fn ok_outcome(result: Value, description: Option<String>) -> Outcome {
    let mut body = json!({"ok": true, "result": result});
    if let Some(description) = description {
        body["description"] = json!(description);
    }
    json_outcome(200, body)
}

fn err_outcome(err: ApiErr) -> Outcome {
    let mut body = json!({"ok": false, "error_code": err.code, "description": err.description});
    if let Some(retry_after) = err.retry_after {
        body["parameters"] = json!({"retry_after": retry_after});
    }
    if let Some(to) = err.migrate_to {
        body["parameters"] = json!({"migrate_to_chat_id": to});
    }
    json_outcome(err.code, body)
}

fn bad_gateway_outcome() -> Outcome {
    let body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";
    Outcome::Respond { status: 502, content_type: "text/html", body: body.as_bytes().to_vec(), json: None }
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

struct FilePart {
    file_name: Option<String>,
    content_type: Option<String>,
    data: Vec<u8>,
}

#[derive(Default)]
struct Params {
    map: Map<String, Value>,
    files: HashMap<String, FilePart>,
}

fn value_as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn value_as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Params {
    fn raw(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn string(&self, name: &str) -> Option<String> {
        self.raw(name).map(value_as_text)
    }

    fn int(&self, name: &str) -> Option<i64> {
        self.raw(name).and_then(value_as_i64)
    }

    fn flag(&self, name: &str) -> bool {
        match self.raw(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
            Some(Value::String(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1"),
            _ => false,
        }
    }

    /// A JSON-valued parameter; `Err(())` when it is a string that is not JSON.
    fn json(&self, name: &str) -> Result<Option<Value>, ()> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => serde_json::from_str(s).map(Some).map_err(|_| ()),
            Some(other) => Ok(Some(other.clone())),
        }
    }

    fn add_urlencoded(&mut self, text: &str) {
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            self.map.insert(form_decode(name), Value::String(form_decode(value)));
        }
    }

    fn add_body(&mut self, request: &HttpRequest) -> Result<(), ApiErr> {
        if request.body.is_empty() {
            return Ok(());
        }
        let content_type = request.header("content-type").unwrap_or("").to_string();
        let lower = content_type.to_ascii_lowercase();
        if lower.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&request.body) {
                Ok(Value::Object(object)) => {
                    self.map.extend(object);
                    Ok(())
                }
                _ => Err(bad("can't parse JSON object")),
            }
        } else if lower.starts_with("application/x-www-form-urlencoded") {
            self.add_urlencoded(&String::from_utf8_lossy(&request.body));
            Ok(())
        } else if lower.starts_with("multipart/form-data") {
            let boundary = header_param(&content_type, "boundary")
                .ok_or_else(|| bad("can't parse multipart/form-data: no boundary"))?;
            self.add_multipart(&request.body, &boundary)
        } else {
            // Telegram ignores bodies of other types.
            Ok(())
        }
    }

    fn add_multipart(&mut self, body: &[u8], boundary: &str) -> Result<(), ApiErr> {
        let malformed = || bad("can't parse multipart/form-data body");
        let delimiter = format!("--{boundary}").into_bytes();
        let mut pos = find(body, &delimiter).ok_or_else(malformed)? + delimiter.len();
        loop {
            if body[pos..].starts_with(b"--") {
                return Ok(());
            }
            if body[pos..].starts_with(b"\r\n") {
                pos += 2;
            }
            let head_len = find(&body[pos..], b"\r\n\r\n").ok_or_else(malformed)?;
            let head = String::from_utf8_lossy(&body[pos..pos + head_len]).into_owned();
            pos += head_len + 4;
            let mut closing = b"\r\n".to_vec();
            closing.extend_from_slice(&delimiter);
            let data_len = find(&body[pos..], &closing).ok_or_else(malformed)?;
            let data = body[pos..pos + data_len].to_vec();
            pos += data_len + closing.len();
            let mut name = None;
            let mut file_name = None;
            let mut content_type = None;
            for line in head.split("\r\n") {
                let Some((header, value)) = line.split_once(':') else {
                    continue;
                };
                if header.trim().eq_ignore_ascii_case("content-disposition") {
                    name = header_param(value, "name");
                    file_name = header_param(value, "filename");
                } else if header.trim().eq_ignore_ascii_case("content-type") {
                    content_type = Some(value.trim().to_string());
                }
            }
            let Some(name) = name else {
                return Err(malformed());
            };
            if file_name.is_some() {
                self.files.insert(name, FilePart { file_name, content_type, data });
            } else {
                self.map.insert(name, Value::String(String::from_utf8_lossy(&data).into_owned()));
            }
        }
    }

    fn uploaded_files(&self) -> Vec<UploadedFile> {
        let mut files: Vec<UploadedFile> = self
            .files
            .iter()
            .map(|(field, part)| UploadedFile {
                field: field.clone(),
                file_name: part.file_name.clone(),
                content_type: part.content_type.clone(),
                len: part.data.len(),
            })
            .collect();
        files.sort_by(|a, b| a.field.cmp(&b.field));
        files
    }
}

/// `name=value` or `name="value"` from a header like `form-data; name="x"; filename="y"`.
fn header_param(header: &str, name: &str) -> Option<String> {
    for part in header.split(';') {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case(name) {
            let value = value.trim();
            let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
            return Some(value.to_string());
        }
    }
    None
}

fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form_decode(text: &str) -> String {
    percent_decode(text, true)
}

// ---------------------------------------------------------------------------------------------
// Request handling
// ---------------------------------------------------------------------------------------------

fn valid_token_format(token: &str) -> bool {
    let Some((id, secret)) = token.split_once(':') else {
        return false;
    };
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && !secret.is_empty()
        && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

async fn handle_request(
    shared: Arc<Shared>,
    request: HttpRequest,
    client_gone: CancellationToken,
) -> Outcome {
    let started_at = Instant::now();
    let (path, query) = request.target.split_once('?').unwrap_or((request.target.as_str(), ""));
    let path = percent_decode(path, false);
    let trimmed = path.trim_start_matches('/');
    let (first, method_raw) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let method = method_raw.trim_end_matches('/').to_ascii_lowercase();
    let mut params = Params::default();
    params.add_urlencoded(query);
    let body_result = params.add_body(&request);
    let mut call = RecordedCall {
        seq: 0,
        method: method.clone(),
        token_valid: false,
        params: Value::Null,
        files: Vec::new(),
        started_at,
        finished_at: started_at,
        fault: None,
        http_status: None,
        response: None,
        client_disconnected: false,
    };
    let outcome = 'done: {
        let Some(token) = first.strip_prefix("bot") else {
            break 'done err_outcome(api_err(404, "Not Found"));
        };
        if !valid_token_format(token) || method.is_empty() || method.contains('/') {
            break 'done err_outcome(api_err(404, "Not Found"));
        }
        if token != shared.token {
            break 'done err_outcome(api_err(401, "Unauthorized"));
        }
        call.token_valid = true;
        if let Err(err) = body_result {
            break 'done err_outcome(err);
        }
        let fault = shared.take_fault(&method);
        call.fault = fault.clone();
        match fault {
            None => process(&shared, &method, &params, &client_gone).await,
            Some(Fault::DropConnection) => Outcome::Drop,
            Some(Fault::HangForever) => {
                tokio::select! {
                    _ = client_gone.cancelled() => {}
                    _ = shared.shutdown.cancelled() => {}
                }
                Outcome::Drop
            }
            Some(Fault::Hang(duration)) => {
                tokio::select! {
                    _ = tokio::time::sleep(duration) => {}
                    _ = shared.shutdown.cancelled() => break 'done Outcome::Drop,
                }
                process(&shared, &method, &params, &client_gone).await
            }
            Some(Fault::LoseResponse) => {
                let _ = process(&shared, &method, &params, &client_gone).await;
                Outcome::Drop
            }
            Some(Fault::TooManyRequests { retry_after }) => err_outcome(too_many_requests(retry_after)),
            Some(Fault::BadGateway) => bad_gateway_outcome(),
            Some(Fault::Forbidden) => err_outcome(blocked()),
            Some(Fault::ApiError { code, description }) => err_outcome(api_err(code, &description)),
            Some(Fault::Migrated { to }) => {
                let mut err = bad("group chat was upgraded to a supergroup chat");
                err.migrate_to = Some(to);
                err_outcome(err)
            }
        }
    };
    call.params = Value::Object(params.map.clone());
    call.files = params.uploaded_files();
    call.finished_at = Instant::now();
    call.client_disconnected = client_gone.is_cancelled();
    if let Outcome::Respond { status, json, .. } = &outcome {
        call.http_status = Some(*status);
        call.response = json.clone();
    }
    shared.record(call);
    outcome
}

async fn process(
    shared: &Arc<Shared>,
    method: &str,
    params: &Params,
    client_gone: &CancellationToken,
) -> Outcome {
    if method == "getupdates" {
        return get_updates(shared, params, client_gone).await;
    }
    let result = {
        let mut st = shared.lock();
        let result = dispatch(&mut st, method, params);
        shared.bump();
        result
    };
    match result {
        Some(Ok((value, description))) => ok_outcome(value, description),
        Some(Err(err)) => err_outcome(err),
        None if KNOWN_METHODS.iter().any(|m| m.eq_ignore_ascii_case(method)) => {
            eprintln!("FakeTelegram: the bot called {method}, which the fake does not implement");
            err_outcome(api_err(
                501,
                &format!("Not Implemented: FakeTelegram does not implement the method {method}"),
            ))
        }
        None => err_outcome(api_err(404, "Not Found")),
    }
}

struct LongPollGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for LongPollGuard {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        if st.long_poll.as_ref().map(|(id, _)| *id) == Some(self.id) {
            st.long_poll = None;
        }
        self.shared.bump();
    }
}

async fn get_updates(shared: &Arc<Shared>, params: &Params, client_gone: &CancellationToken) -> Outcome {
    let (mut abort, poll_id, deadline, from, limit, mut changes) = {
        let mut st = shared.lock();
        if st.webhook_url.is_some() {
            return err_outcome(api_err(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            ));
        }
        let offset = params.int("offset").unwrap_or(0);
        let limit = params.int("limit").unwrap_or(100).clamp(1, 100) as usize;
        let max_timeout = st.config.max_long_poll_seconds as i64;
        let timeout = params.int("timeout").unwrap_or(0).clamp(0, max_timeout);
        if let Ok(Some(allowed)) = params.json("allowed_updates") {
            st.set_allowed_updates(&allowed);
        }
        if st.refuse_confirmations && st.would_confirm(offset) {
            return bad_gateway_outcome();
        }
        let from = st.confirm(offset);
        shared.bump();
        let updates = st.collect(from, limit);
        if !updates.is_empty() || timeout == 0 {
            return ok_outcome(Value::Array(updates), None);
        }
        st.abort_long_poll(TERMINATED_BY_OTHER);
        let (abort_tx, abort_rx) = oneshot::channel();
        st.next_poll_id += 1;
        let poll_id = st.next_poll_id;
        st.long_poll = Some((poll_id, abort_tx));
        shared.bump();
        (
            abort_rx,
            poll_id,
            tokio::time::Instant::now() + Duration::from_secs(timeout as u64),
            from,
            limit,
            shared.changed.subscribe(),
        )
    };
    let _guard = LongPollGuard { shared: shared.clone(), id: poll_id };
    loop {
        tokio::select! {
            message = &mut abort => {
                return match message {
                    Ok(description) => err_outcome(api_err(409, &description)),
                    Err(_) => ok_outcome(json!([]), None),
                };
            }
            changed = changes.changed() => {
                if changed.is_err() {
                    return Outcome::Drop;
                }
                let updates = shared.lock().collect(from, limit);
                if !updates.is_empty() {
                    return ok_outcome(Value::Array(updates), None);
                }
            }
            _ = tokio::time::sleep_until(deadline) => return ok_outcome(json!([]), None),
            _ = client_gone.cancelled() => return Outcome::Drop,
            _ = shared.shutdown.cancelled() => return Outcome::Drop,
        }
    }
}

fn dispatch(st: &mut State, method: &str, p: &Params) -> Option<ApiResult> {
    Some(match method {
        "getme" => Ok((
            {
                let mut me = st.bot_json();
                me["can_join_groups"] = json!(true);
                me["can_read_all_group_messages"] = json!(false);
                me["supports_inline_queries"] = json!(false);
                me["can_connect_to_business"] = json!(false);
                me["has_main_web_app"] = json!(false);
                me
            },
            None,
        )),
        "logout" | "close" => Ok((json!(true), None)),
        "setwebhook" => set_webhook(st, p),
        "deletewebhook" => delete_webhook(st, p),
        "getwebhookinfo" => {
            let mut info = json!({
                "url": st.webhook_url.clone().unwrap_or_default(),
                "has_custom_certificate": false,
                "pending_update_count": st.queue.len(),
            });
            if st.webhook_url.is_some() {
                info["max_connections"] = json!(st.webhook_connections);
                info["ip_address"] = json!("127.0.0.1");
            }
            Ok((info, None))
        }
        "setmycommands" => set_my_commands(st, p),
        "getmycommands" => command_scope(p)
            .map(|scope| (Value::Array(st.commands.get(&scope).cloned().unwrap_or_default()), None)),
        "deletemycommands" => command_scope(p).map(|scope| {
            st.commands.remove(&scope);
            (json!(true), None)
        }),
        "setmydescription" | "setmyshortdescription" | "setmyname" => Ok((json!(true), None)),
        "setchatmenubutton" => set_chat_menu_button(st, p),
        "getchatmenubutton" => get_chat_menu_button(st, p),
        "sendmessage" => send_message(st, p),
        "sendphoto" => send_media(st, p, "photo"),
        "senddocument" => send_media(st, p, "document"),
        "sendchataction" => send_chat_action(st, p),
        "editmessagetext" => edit_message_text(st, p),
        "editmessagecaption" => edit_message_caption(st, p),
        "editmessagereplymarkup" => edit_message_reply_markup(st, p),
        "deletemessage" => delete_message(st, p),
        "deletemessages" => delete_messages(st, p),
        "answercallbackquery" => answer_callback_query(st, p),
        "getchat" => get_chat(st, p),
        "getchatmember" => get_chat_member(st, p),
        _ => return None,
    })
}

fn set_webhook(st: &mut State, p: &Params) -> ApiResult {
    let url = p.string("url").unwrap_or_default();
    if url.is_empty() {
        return delete_webhook(st, p);
    }
    let parsed = url::Url::parse(&url).map_err(|_| bad("invalid webhook URL specified"))?;
    if parsed.scheme() != "https" {
        return Err(bad("bad webhook: An HTTPS URL must be provided for webhook"));
    }
    let secret = p.string("secret_token").filter(|s| !s.is_empty());
    if let Some(secret) = &secret
        && (secret.len() > 256
            || !secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    {
        return Err(bad("secret token contains unallowed characters"));
    }
    let connections = p.int("max_connections").unwrap_or(40);
    if !(1..=100).contains(&connections) {
        return Err(bad("bad webhook: max_connections must be between 1 and 100"));
    }
    st.abort_long_poll("Conflict: terminated by setWebhook request");
    if p.flag("drop_pending_updates") {
        st.queue.clear();
    }
    if let Ok(Some(allowed)) = p.json("allowed_updates") {
        st.set_allowed_updates(&allowed);
    }
    let description = if st.webhook_url.as_deref() == Some(url.as_str()) {
        "Webhook is already set"
    } else {
        "Webhook was set"
    };
    st.webhook_url = Some(url);
    st.webhook_secret = secret;
    st.webhook_connections = connections;
    Ok((json!(true), Some(description.to_string())))
}

fn delete_webhook(st: &mut State, p: &Params) -> ApiResult {
    if p.flag("drop_pending_updates") {
        st.queue.clear();
    }
    st.webhook_secret = None;
    let description =
        if st.webhook_url.take().is_some() { "Webhook was deleted" } else { "Webhook is already deleted" };
    Ok((json!(true), Some(description.to_string())))
}

fn set_my_commands(st: &mut State, p: &Params) -> ApiResult {
    let commands = match p.json("commands") {
        Err(()) => return Err(bad("can't parse commands JSON object")),
        Ok(None) => Vec::new(),
        Ok(Some(Value::Array(items))) => items,
        Ok(Some(_)) => return Err(bad("Expected an Array of BotCommand")),
    };
    if commands.len() > 100 {
        return Err(bad("BOT_COMMANDS_TOO_MUCH"));
    }
    let mut normalized = Vec::new();
    for command in &commands {
        let Some(object) = command.as_object() else {
            return Err(bad("can't parse BotCommand: expected an Object"));
        };
        let Some(name) = object.get("command").and_then(Value::as_str) else {
            return Err(bad("can't parse BotCommand: Field \"command\" must be of type String"));
        };
        let Some(description) = object.get("description").and_then(Value::as_str) else {
            return Err(bad("can't parse BotCommand: Field \"description\" must be of type String"));
        };
        let name_ok = (1..=32).contains(&name.chars().count())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(bad("BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.trim().chars().count()) {
            return Err(bad("BOT_COMMAND_DESCRIPTION_INVALID"));
        }
        normalized.push(json!({"command": name, "description": description}));
    }
    let scope = command_scope(p)?;
    st.commands.insert(scope, normalized);
    Ok((json!(true), None))
}

/// The `scope` of a command menu call: its type (`default` when there is none). Scopes of one
/// chat or member are not implemented.
fn command_scope(p: &Params) -> Result<String, ApiErr> {
    let scope = match p.json("scope") {
        Err(()) => return Err(bad("can't parse BotCommandScope JSON object")),
        Ok(None) => return Ok("default".into()),
        Ok(Some(scope)) => scope,
    };
    let kind = scope.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "default" | "all_private_chats" | "all_group_chats" | "all_chat_administrators" => Ok(kind.into()),
        "chat" | "chat_administrators" | "chat_member" => {
            Err(api_err(501, "Not Implemented: the fake does not keep command menus of single chats"))
        }
        _ => Err(bad("unsupported scope type")),
    }
}

/// Resolves `chat_id` to a chat the fake knows.
fn resolve_chat(st: &State, p: &Params) -> Result<i64, ApiErr> {
    let Some(raw) = p.raw("chat_id") else {
        return Err(bad("chat_id is empty"));
    };
    let text = value_as_text(raw);
    if text.trim().is_empty() {
        return Err(bad("chat_id is empty"));
    }
    let chat_id = value_as_i64(raw).ok_or_else(|| bad("chat not found"))?;
    if st.chats.contains_key(&chat_id) { Ok(chat_id) } else { Err(bad("chat not found")) }
}

fn check_blocked(st: &State, chat_id: i64) -> Result<(), ApiErr> {
    if chat_id > 0 && st.blocked_users.contains(&chat_id) {
        return Err(blocked());
    }
    if let Some(chat) = st.chats.get(&chat_id)
        && chat_id < 0
    {
        if let Some(to) = chat.migrated_to {
            let mut err = bad("group chat was upgraded to a supergroup chat");
            err.migrate_to = Some(to);
            return Err(err);
        }
        if !chat.bot_member {
            return Err(api_err(403, "Forbidden: bot was kicked from the group chat"));
        }
    }
    Ok(())
}

fn check_reply_target(st: &State, chat_id: i64, p: &Params) -> Result<(), ApiErr> {
    let (target, allow_missing) = match p.json("reply_parameters") {
        Ok(Some(reply)) => (
            reply.get("message_id").and_then(value_as_i64),
            reply.get("allow_sending_without_reply").and_then(Value::as_bool).unwrap_or(false),
        ),
        _ => (p.int("reply_to_message_id"), p.flag("allow_sending_without_reply")),
    };
    let Some(target) = target.filter(|id| *id != 0) else {
        return Ok(());
    };
    let exists =
        st.chats[&chat_id].messages.get(&target).is_some_and(|m| !m.sent.as_ref().is_some_and(|s| s.deleted));
    if exists || allow_missing { Ok(()) } else { Err(bad("message to be replied not found")) }
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

struct Formatted {
    text: String,
    entities: Vec<Value>,
    parse_mode: Option<String>,
}

/// Parses `raw` the way the Bot API does for `text`/`caption` with `parse_mode`/`entities`,
/// then trims it.
fn format_text(
    st: &State,
    raw: &str,
    p: &Params,
    mode_param: &str,
    entities_param: &str,
) -> Result<Formatted, ApiErr> {
    let explicit = p.json(entities_param).ok().flatten();
    let parse_mode = p.string(mode_param).filter(|m| !m.is_empty());
    let (text, entities): (String, Vec<Value>) = if let Some(Value::Array(entities)) = explicit {
        (raw.to_string(), entities)
    } else {
        match parse_mode.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None => (raw.to_string(), Vec::new()),
            Some("html") => {
                let (text, entities) = parse_html(raw, st.config.strict_html_escaping)
                    .map_err(|e| bad(&format!("can't parse entities: {e}")))?;
                (text, entities.iter().map(Entity::to_json).collect())
            }
            Some("markdownv2") | Some("markdown") => {
                let mode = parse_mode.clone().unwrap_or_default();
                eprintln!("FakeTelegram: parse_mode {mode} is not implemented by the fake; use HTML");
                return Err(bad(&format!(
                    "can't parse entities: FakeTelegram does not implement parse_mode {mode}; only HTML is supported by the fake"
                )));
            }
            Some(_) => return Err(bad("unsupported parse_mode")),
        }
    };
    let (text, entities) = trim_formatted(&text, entities);
    Ok(Formatted { text, entities, parse_mode })
}

/// Trims spaces and newlines at both ends, moving and clipping entities, and drops entities
/// that cover only whitespace (as Telegram's `fix_formatted_text`).
fn trim_formatted(text: &str, entities: Vec<Value>) -> (String, Vec<Value>) {
    let units: Vec<u16> = text.encode_utf16().collect();
    let is_ws = |u: &u16| *u == u16::from(b' ') || *u == u16::from(b'\n');
    let lead = units.iter().take_while(|u| is_ws(u)).count();
    if lead == units.len() {
        return (String::new(), Vec::new());
    }
    let trail = units.iter().rev().take_while(|u| is_ws(u)).count();
    let end = units.len() - trail;
    let trimmed = String::from_utf16_lossy(&units[lead..end]);
    let mut result = Vec::new();
    for mut entity in entities {
        let offset = entity.get("offset").and_then(value_as_i64).unwrap_or(0).max(0) as usize;
        let length = entity.get("length").and_then(value_as_i64).unwrap_or(0).max(0) as usize;
        let start = offset.clamp(lead, end);
        let stop = (offset + length).clamp(start, end);
        if stop <= start {
            continue;
        }
        let hidden = matches!(entity["type"].as_str(), Some("text_link" | "text_mention" | "custom_emoji"));
        if !hidden && units[start..stop].iter().all(is_ws) {
            continue;
        }
        entity["offset"] = json!(start - lead);
        entity["length"] = json!(stop - start);
        result.push(entity);
    }
    result.sort_by_key(|e| {
        (e["offset"].as_u64().unwrap_or(0), std::cmp::Reverse(e["length"].as_u64().unwrap_or(0)))
    });
    (trimmed, result)
}

fn reply_markup_param(p: &Params) -> Result<Option<Value>, ApiErr> {
    let markup = p.json("reply_markup").map_err(|_| bad("can't parse reply keyboard markup JSON object"))?;
    validate_reply_markup(markup)
}

const INLINE_BUTTON_ACTIONS: &[&str] = &[
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
];

fn validate_reply_markup(markup: Option<Value>) -> Result<Option<Value>, ApiErr> {
    let Some(markup) = markup else {
        return Ok(None);
    };
    let Some(object) = markup.as_object() else {
        return Err(bad("can't parse reply keyboard markup JSON object"));
    };
    if let Some(keyboard) = object.get("inline_keyboard") {
        let Some(rows) = keyboard.as_array() else {
            return Err(bad("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array"));
        };
        let mut normalized_rows = Vec::new();
        let mut count = 0;
        for row in rows {
            let Some(buttons) = row.as_array() else {
                return Err(bad(
                    "field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays",
                ));
            };
            let mut normalized = Vec::new();
            for button in buttons {
                normalized.push(validate_inline_button(button)?);
                count += 1;
            }
            if !normalized.is_empty() {
                normalized_rows.push(Value::Array(normalized));
            }
        }
        if count > 100 {
            return Err(bad("reply markup is too long"));
        }
        return Ok(Some(json!({"inline_keyboard": normalized_rows})));
    }
    if let Some(keyboard) = object.get("keyboard") {
        let rows = keyboard
            .as_array()
            .ok_or_else(|| bad("field \"keyboard\" of the ReplyKeyboardMarkup must be an Array"))?;
        for row in rows {
            for button in row.as_array().into_iter().flatten() {
                let text = button.as_str().or_else(|| button.get("text").and_then(Value::as_str));
                if text.is_none_or(|t| t.is_empty()) {
                    return Err(bad("can't parse keyboard button: Field \"text\" must be of type String"));
                }
            }
        }
        return Ok(Some(markup));
    }
    if object.contains_key("remove_keyboard") || object.contains_key("force_reply") {
        return Ok(Some(markup));
    }
    Err(bad("can't parse reply keyboard markup JSON object"))
}

fn validate_inline_button(button: &Value) -> Result<Value, ApiErr> {
    let prefix = "can't parse inline keyboard button";
    let Some(object) = button.as_object() else {
        return Err(bad(&format!("{prefix}: InlineKeyboardButton must be an Object")));
    };
    let Some(text) = object.get("text").and_then(Value::as_str) else {
        return Err(bad(&format!("{prefix}: Field \"text\" must be of type String")));
    };
    if text.trim().is_empty() {
        return Err(bad("BUTTON_TEXT_INVALID"));
    }
    let mut normalized = Map::new();
    normalized.insert("text".to_string(), json!(text));
    for action in INLINE_BUTTON_ACTIONS {
        let Some(value) = object.get(*action).filter(|v| !v.is_null()) else {
            continue;
        };
        let stringly = matches!(
            *action,
            "url" | "callback_data" | "switch_inline_query" | "switch_inline_query_current_chat"
        );
        if stringly && !value.is_string() {
            return Err(bad(&format!("{prefix}: Field \"{action}\" must be of type String")));
        }
        if *action == "callback_data" {
            let data = value.as_str().unwrap_or_default();
            if data.is_empty() {
                // Telegram treats an empty callback_data as absent.
                continue;
            }
            if data.len() > 64 {
                return Err(bad("BUTTON_DATA_INVALID"));
            }
        }
        if *action == "web_app" {
            // A Mini App opens at an https:// address only.
            let Some(url) = value.get("url").and_then(Value::as_str) else {
                return Err(bad(&format!("{prefix}: Field \"url\" of WebAppInfo must be of type String")));
            };
            if !url::Url::parse(url).is_ok_and(|u| u.scheme() == "https" && u.has_host()) {
                return Err(bad("BUTTON_URL_INVALID"));
            }
        }
        if *action == "url" {
            // Telegram opens http(s) and tg: addresses only.
            let opens = url::Url::parse(value.as_str().unwrap_or_default())
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "tg") && u.has_host());
            if !opens {
                return Err(bad("BUTTON_URL_INVALID"));
            }
        }
        normalized.insert(action.to_string(), value.clone());
    }
    if normalized.len() == 1 {
        return Err(bad(&format!("{prefix}: Text buttons are unallowed in the inline keyboard")));
    }
    if normalized.len() > 2 {
        return Err(bad(&format!("{prefix}: a button must have exactly one of its optional fields")));
    }
    Ok(Value::Object(normalized))
}

/// Telegram refuses Mini App buttons anywhere but a private chat.
fn check_buttons_fit_chat(chat_id: i64, markup: Option<&Value>) -> Result<(), ApiErr> {
    let web_app = markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .any(|b| b.get("web_app").is_some());
    if web_app && chat_id < 0 { Err(bad("BUTTON_TYPE_INVALID")) } else { Ok(()) }
}

/// `setChatMenuButton`: Telegram's default, the command list, or a Mini App at an https://
/// address with a label; for one private chat or (without `chat_id`) every private chat.
fn set_chat_menu_button(st: &mut State, p: &Params) -> ApiResult {
    let button = match p.json("menu_button") {
        Err(()) => return Err(bad("can't parse menu button JSON object")),
        Ok(None) => json!({"type": "default"}),
        Ok(Some(button)) => button,
    };
    match button.get("type").and_then(Value::as_str) {
        Some("default") | Some("commands") => {}
        Some("web_app") => {
            let text = button.get("text").and_then(Value::as_str).unwrap_or_default();
            if text.trim().is_empty() {
                return Err(bad("can't parse menu button: Field \"text\" must be of type String"));
            }
            let url = button.get("web_app").and_then(|w| w.get("url")).and_then(Value::as_str);
            if !url
                .and_then(|u| url::Url::parse(u).ok())
                .is_some_and(|u| u.scheme() == "https" && u.has_host())
            {
                return Err(bad("BUTTON_URL_INVALID"));
            }
        }
        _ => return Err(bad("can't parse menu button: unsupported menu button type")),
    }
    let chat = match p.raw("chat_id") {
        None => None,
        Some(_) => {
            let chat_id = resolve_chat(st, p)?;
            if chat_id < 0 {
                return Err(bad("chat not found"));
            }
            Some(chat_id)
        }
    };
    st.menu_buttons.insert(chat, button);
    Ok((json!(true), None))
}

fn get_chat_menu_button(st: &mut State, p: &Params) -> ApiResult {
    let chat = p.raw("chat_id").map(|_| resolve_chat(st, p)).transpose()?;
    let button = st.menu_buttons.get(&chat).or_else(|| st.menu_buttons.get(&None)).cloned();
    Ok((button.unwrap_or_else(|| json!({"type": "default"})), None))
}

fn inline_only(markup: Option<Value>) -> Option<Value> {
    markup.filter(|m| m.get("inline_keyboard").is_some())
}

fn send_message(st: &mut State, p: &Params) -> ApiResult {
    let raw = p.string("text").unwrap_or_default();
    if raw.is_empty() {
        return Err(bad("message text is empty"));
    }
    let formatted = format_text(st, &raw, p, "parse_mode", "entities")?;
    let markup = reply_markup_param(p)?;
    let chat_id = resolve_chat(st, p)?;
    check_blocked(st, chat_id)?;
    check_buttons_fit_chat(chat_id, markup.as_ref())?;
    check_reply_target(st, chat_id, p)?;
    if formatted.text.is_empty() {
        return Err(bad("message must be non-empty"));
    }
    if utf16_len(&formatted.text) > 4096 {
        return Err(bad("message is too long"));
    }
    st.check_rate(chat_id)?;
    st.check_group_rate(chat_id)?;
    let message_id = st.allocate_message_id(chat_id);
    let sent = SentMessage {
        chat_id,
        message_id,
        text: formatted.text,
        source_text: raw,
        parse_mode: formatted.parse_mode,
        entities: formatted.entities,
        reply_markup: markup,
        edit_count: 0,
        deleted: false,
        media: None,
        date: unix_now(),
        edit_date: None,
    };
    Ok((st.store_bot_message(sent), None))
}

fn send_media(st: &mut State, p: &Params, kind: &str) -> ApiResult {
    let (upload, file_ref) = match p.files.get(kind) {
        Some(part) => (Some(part), None),
        None => match p.string(kind) {
            Some(value) if value.starts_with("attach://") => {
                let name = &value["attach://".len()..];
                match p.files.get(name) {
                    Some(part) => (Some(part), None),
                    None => return Err(bad(&format!("there is no {kind} in the request"))),
                }
            }
            Some(value) if !value.trim().is_empty() => (None, Some(value)),
            _ => return Err(bad(&format!("there is no {kind} in the request"))),
        },
    };
    if upload.is_some_and(|u| u.data.is_empty()) {
        return Err(bad("file must be non-empty"));
    }
    // Telegram's limits on uploads: photos up to 10 MB whose width and height add up to at
    // most 10,000 with a ratio of at most 20; other files up to 50 MB.
    let mut dimensions = None;
    if let Some(upload) = upload {
        if kind == "photo" {
            if upload.data.len() > 10 * 1024 * 1024 {
                return Err(bad("PHOTO_SAVE_FILE_INVALID"));
            }
            let Some((w, h)) = image_dimensions(&upload.data) else {
                return Err(bad("IMAGE_PROCESS_FAILED"));
            };
            let (long, short) = (w.max(h), w.min(h));
            if w == 0 || h == 0 || w + h > 10_000 || long > short.saturating_mul(20) {
                return Err(bad("PHOTO_INVALID_DIMENSIONS"));
            }
            dimensions = Some((w, h));
        } else if upload.data.len() > 50 * 1024 * 1024 {
            return Err(api_err(413, "Request Entity Too Large"));
        }
    }
    let raw = p.string("caption").unwrap_or_default();
    let formatted = format_text(st, &raw, p, "parse_mode", "caption_entities")?;
    let markup = reply_markup_param(p)?;
    let chat_id = resolve_chat(st, p)?;
    check_blocked(st, chat_id)?;
    check_buttons_fit_chat(chat_id, markup.as_ref())?;
    check_reply_target(st, chat_id, p)?;
    if utf16_len(&formatted.text) > 1024 {
        return Err(bad("message caption is too long"));
    }
    st.check_rate(chat_id)?;
    st.check_group_rate(chat_id)?;
    st.next_file_seq += 1;
    let message_id = st.allocate_message_id(chat_id);
    let sent = SentMessage {
        chat_id,
        message_id,
        text: formatted.text,
        source_text: raw,
        parse_mode: formatted.parse_mode,
        entities: formatted.entities,
        reply_markup: markup,
        edit_count: 0,
        deleted: false,
        media: Some(SentMedia {
            kind: kind.to_string(),
            file_name: upload.and_then(|u| u.file_name.clone()),
            uploaded_bytes: upload.map(|u| u.data.len()),
            file_ref,
            bytes: upload.map(|u| u.data.clone()),
            dimensions,
        }),
        date: unix_now(),
        edit_date: None,
    };
    Ok((st.store_bot_message(sent), None))
}

/// The width and height of a PNG or JPEG image, read from its header; `None` for anything else
/// (Telegram cannot process it as a photo).
fn image_dimensions(data: &[u8]) -> Option<(u32, u32)> {
    if data.starts_with(b"\x89PNG\r\n\x1a\n") && data.len() >= 24 && &data[12..16] == b"IHDR" {
        let w = u32::from_be_bytes(data[16..20].try_into().ok()?);
        let h = u32::from_be_bytes(data[20..24].try_into().ok()?);
        return Some((w, h));
    }
    if data.starts_with(&[0xFF, 0xD8]) {
        // JPEG: walk the segments to a start-of-frame marker.
        let mut pos = 2;
        while pos + 9 < data.len() {
            if data[pos] != 0xFF {
                return None;
            }
            let marker = data[pos + 1];
            let len = usize::from(u16::from_be_bytes([data[pos + 2], data[pos + 3]]));
            if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                let h = u32::from(u16::from_be_bytes([data[pos + 5], data[pos + 6]]));
                let w = u32::from(u16::from_be_bytes([data[pos + 7], data[pos + 8]]));
                return Some((w, h));
            }
            pos += 2 + len;
        }
    }
    None
}

fn send_chat_action(st: &mut State, p: &Params) -> ApiResult {
    let chat_id = resolve_chat(st, p)?;
    check_blocked(st, chat_id)?;
    const ACTIONS: &[&str] = &[
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ];
    let action = p.string("action").unwrap_or_default();
    if !ACTIONS.contains(&action.as_str()) {
        return Err(bad("wrong parameter action in request"));
    }
    Ok((json!(true), None))
}

/// Finds the bot's message to edit: `(chat_id, message_id)`.
fn message_to_edit(st: &State, p: &Params) -> Result<(i64, i64), ApiErr> {
    if p.string("inline_message_id").is_some_and(|s| !s.is_empty()) {
        return Err(bad("MESSAGE_ID_INVALID"));
    }
    let chat_id = resolve_chat(st, p)?;
    let message_id = p
        .int("message_id")
        .filter(|id| *id != 0)
        .ok_or_else(|| bad("message identifier is not specified"))?;
    let stored = st.chats[&chat_id]
        .messages
        .get(&message_id)
        .filter(|m| !m.sent.as_ref().is_some_and(|s| s.deleted))
        .ok_or_else(|| bad("message to edit not found"))?;
    if stored.sent.is_none() {
        return Err(bad("message can't be edited"));
    }
    Ok((chat_id, message_id))
}

fn current_sent(st: &State, chat_id: i64, message_id: i64) -> SentMessage {
    st.chats[&chat_id].messages[&message_id].sent.clone().expect("bot message")
}

fn not_modified() -> ApiErr {
    bad(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    )
}

fn save_edit(st: &mut State, mut sent: SentMessage) -> Value {
    sent.edit_count += 1;
    sent.edit_date = Some(unix_now());
    st.store_bot_message(sent)
}

fn edit_message_text(st: &mut State, p: &Params) -> ApiResult {
    let raw = p.string("text").unwrap_or_default();
    if raw.is_empty() {
        return Err(bad("message text is empty"));
    }
    let formatted = format_text(st, &raw, p, "parse_mode", "entities")?;
    let markup = inline_only(reply_markup_param(p)?);
    let (chat_id, message_id) = message_to_edit(st, p)?;
    check_buttons_fit_chat(chat_id, markup.as_ref())?;
    let sent = current_sent(st, chat_id, message_id);
    if sent.media.is_some() {
        return Err(bad("there is no text in the message to edit"));
    }
    if formatted.text.is_empty() {
        return Err(bad("message must be non-empty"));
    }
    if utf16_len(&formatted.text) > 4096 {
        return Err(bad("MESSAGE_TOO_LONG"));
    }
    replace_text(st, sent, formatted, raw, markup)
}

/// Replaces an edited message's text (or caption) and keyboard, refusing an edit that changes
/// nothing as Telegram does.
fn replace_text(
    st: &mut State,
    mut sent: SentMessage,
    formatted: Formatted,
    raw: String,
    markup: Option<Value>,
) -> ApiResult {
    if formatted.text == sent.text
        && formatted.entities == sent.entities
        && markup == inline_only(sent.reply_markup.clone())
    {
        return Err(not_modified());
    }
    st.check_rate(sent.chat_id)?;
    sent.text = formatted.text;
    sent.entities = formatted.entities;
    sent.source_text = raw;
    sent.parse_mode = formatted.parse_mode;
    sent.reply_markup = markup;
    Ok((save_edit(st, sent), None))
}

fn edit_message_caption(st: &mut State, p: &Params) -> ApiResult {
    let raw = p.string("caption").unwrap_or_default();
    let formatted = format_text(st, &raw, p, "parse_mode", "caption_entities")?;
    let markup = inline_only(reply_markup_param(p)?);
    let (chat_id, message_id) = message_to_edit(st, p)?;
    check_buttons_fit_chat(chat_id, markup.as_ref())?;
    let sent = current_sent(st, chat_id, message_id);
    if sent.media.is_none() {
        return Err(bad("there is no caption in the message to edit"));
    }
    if utf16_len(&formatted.text) > 1024 {
        return Err(bad("message caption is too long"));
    }
    replace_text(st, sent, formatted, raw, markup)
}

fn edit_message_reply_markup(st: &mut State, p: &Params) -> ApiResult {
    let markup = inline_only(reply_markup_param(p)?);
    let (chat_id, message_id) = message_to_edit(st, p)?;
    check_buttons_fit_chat(chat_id, markup.as_ref())?;
    let mut sent = current_sent(st, chat_id, message_id);
    if markup == inline_only(sent.reply_markup.clone()) {
        return Err(not_modified());
    }
    st.check_rate(chat_id)?;
    sent.reply_markup = markup;
    Ok((save_edit(st, sent), None))
}

fn delete_one(st: &mut State, chat_id: i64, message_id: i64) -> bool {
    let Some(stored) = st.chats.get_mut(&chat_id).and_then(|c| c.messages.get_mut(&message_id)) else {
        return false;
    };
    match stored.sent.as_mut() {
        Some(sent) if sent.deleted => false,
        Some(sent) => {
            sent.deleted = true;
            true
        }
        None => {
            // A user's message: bots may delete incoming messages in private chats only.
            if chat_id > 0 {
                if let Some(chat) = st.chats.get_mut(&chat_id) {
                    chat.messages.remove(&message_id);
                }
                true
            } else {
                false
            }
        }
    }
}

fn delete_message(st: &mut State, p: &Params) -> ApiResult {
    let chat_id = resolve_chat(st, p)?;
    let message_id = p
        .int("message_id")
        .filter(|id| *id != 0)
        .ok_or_else(|| bad("message identifier is not specified"))?;
    let is_user_group_message =
        chat_id < 0 && st.chats[&chat_id].messages.get(&message_id).is_some_and(|m| m.sent.is_none());
    if is_user_group_message {
        return Err(bad("message can't be deleted"));
    }
    if delete_one(st, chat_id, message_id) {
        Ok((json!(true), None))
    } else {
        Err(bad("message to delete not found"))
    }
}

fn delete_messages(st: &mut State, p: &Params) -> ApiResult {
    let chat_id = resolve_chat(st, p)?;
    let ids: Vec<i64> = match p.json("message_ids") {
        Ok(Some(Value::Array(ids))) => ids.iter().filter_map(value_as_i64).collect(),
        _ => return Err(bad("message identifiers are not specified")),
    };
    if ids.is_empty() || ids.len() > 100 {
        return Err(bad("message identifiers are not specified"));
    }
    let mut any = false;
    for id in ids {
        any |= delete_one(st, chat_id, id);
    }
    if any { Ok((json!(true), None)) } else { Err(bad("message to delete not found")) }
}

fn answer_callback_query(st: &mut State, p: &Params) -> ApiResult {
    let id = p.string("callback_query_id").unwrap_or_default();
    let text = p.string("text");
    if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(bad("MESSAGE_TOO_LONG"));
    }
    let window = st.config.callback_answer_window;
    let invalid = || bad("query is too old and response timeout expired or query ID is invalid");
    let query = st.callback_queries.get_mut(&id).ok_or_else(invalid)?;
    if query.answered || query.created.elapsed() > window {
        return Err(invalid());
    }
    query.answered = true;
    st.callback_answers.push(CallbackAnswer {
        callback_query_id: id,
        text,
        show_alert: p.flag("show_alert"),
        url: p.string("url"),
    });
    Ok((json!(true), None))
}

fn get_chat_member(st: &mut State, p: &Params) -> ApiResult {
    let chat_id = resolve_chat(st, p)?;
    let user_id = p.int("user_id").ok_or_else(|| bad("user not found"))?;
    let chat = &st.chats[&chat_id];
    let status = if chat_id > 0 {
        if user_id == chat_id { "member" } else { return Err(bad("user not found")) }
    } else if chat.admins.contains(&user_id) {
        "administrator"
    } else {
        "member"
    };
    let mut user = json!({"id": user_id, "is_bot": false, "first_name": "User"});
    if user_id == st.bot_id {
        user = st.bot_json();
    }
    let mut member = json!({"status": status, "user": user});
    if status == "administrator" {
        for right in [
            "can_be_edited",
            "is_anonymous",
            "can_manage_chat",
            "can_delete_messages",
            "can_manage_video_chats",
            "can_restrict_members",
            "can_promote_members",
            "can_change_info",
            "can_invite_users",
            "can_post_stories",
            "can_edit_stories",
            "can_delete_stories",
        ] {
            member[right] = json!(right != "can_be_edited" && right != "is_anonymous");
        }
    }
    Ok((member, None))
}

fn get_chat(st: &mut State, p: &Params) -> ApiResult {
    let chat_id = resolve_chat(st, p)?;
    let mut chat = st.chats[&chat_id].json.clone();
    chat["accent_color_id"] = json!(0);
    chat["max_reaction_count"] = json!(11);
    Ok((chat, None))
}

/// Bot API method names (for telling "not implemented by the fake" from "no such method").
const KNOWN_METHODS: &[&str] = &[
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "getMe",
    "logOut",
    "close",
    "sendMessage",
    "forwardMessage",
    "forwardMessages",
    "copyMessage",
    "copyMessages",
    "sendPhoto",
    "sendAudio",
    "sendDocument",
    "sendVideo",
    "sendAnimation",
    "sendVoice",
    "sendVideoNote",
    "sendPaidMedia",
    "sendMediaGroup",
    "sendLocation",
    "sendVenue",
    "sendContact",
    "sendPoll",
    "sendChecklist",
    "sendDice",
    "sendMessageDraft",
    "sendChatAction",
    "setMessageReaction",
    "getUserProfilePhotos",
    "setUserEmojiStatus",
    "getFile",
    "banChatMember",
    "unbanChatMember",
    "restrictChatMember",
    "promoteChatMember",
    "setChatAdministratorCustomTitle",
    "banChatSenderChat",
    "unbanChatSenderChat",
    "setChatPermissions",
    "exportChatInviteLink",
    "createChatInviteLink",
    "editChatInviteLink",
    "createChatSubscriptionInviteLink",
    "editChatSubscriptionInviteLink",
    "revokeChatInviteLink",
    "approveChatJoinRequest",
    "declineChatJoinRequest",
    "setChatPhoto",
    "deleteChatPhoto",
    "setChatTitle",
    "setChatDescription",
    "pinChatMessage",
    "unpinChatMessage",
    "unpinAllChatMessages",
    "leaveChat",
    "getChat",
    "getChatAdministrators",
    "getChatMemberCount",
    "getChatMember",
    "setChatStickerSet",
    "deleteChatStickerSet",
    "getForumTopicIconStickers",
    "createForumTopic",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "deleteForumTopic",
    "unpinAllForumTopicMessages",
    "editGeneralForumTopic",
    "closeGeneralForumTopic",
    "reopenGeneralForumTopic",
    "hideGeneralForumTopic",
    "unhideGeneralForumTopic",
    "unpinAllGeneralForumTopicMessages",
    "answerCallbackQuery",
    "getUserChatBoosts",
    "getBusinessConnection",
    "setMyCommands",
    "deleteMyCommands",
    "getMyCommands",
    "setMyName",
    "getMyName",
    "setMyDescription",
    "getMyDescription",
    "setMyShortDescription",
    "getMyShortDescription",
    "setChatMenuButton",
    "getChatMenuButton",
    "setMyDefaultAdministratorRights",
    "getMyDefaultAdministratorRights",
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageLiveLocation",
    "stopMessageLiveLocation",
    "editMessageChecklist",
    "editMessageReplyMarkup",
    "stopPoll",
    "approveSuggestedPost",
    "declineSuggestedPost",
    "deleteMessage",
    "deleteMessages",
    "sendSticker",
    "getStickerSet",
    "getCustomEmojiStickers",
    "uploadStickerFile",
    "createNewStickerSet",
    "addStickerToSet",
    "setStickerPositionInSet",
    "deleteStickerFromSet",
    "replaceStickerInSet",
    "setStickerEmojiList",
    "setStickerKeywords",
    "setStickerMaskPosition",
    "setStickerSetTitle",
    "setStickerSetThumbnail",
    "setCustomEmojiStickerSetThumbnail",
    "deleteStickerSet",
    "answerInlineQuery",
    "answerWebAppQuery",
    "savePreparedInlineMessage",
    "sendInvoice",
    "createInvoiceLink",
    "answerShippingQuery",
    "answerPreCheckoutQuery",
    "getMyStarBalance",
    "getStarTransactions",
    "refundStarPayment",
    "editUserStarSubscription",
    "sendGame",
    "setGameScore",
    "getGameHighScores",
    "setPassportDataErrors",
    "getAvailableGifts",
    "sendGift",
    "giftPremiumSubscription",
    "verifyUser",
    "verifyChat",
    "removeUserVerification",
    "removeChatVerification",
    "readBusinessMessage",
    "deleteBusinessMessages",
];

// ---------------------------------------------------------------------------------------------
// HTML entity parsing (after tdlib's `parse_html`)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
struct Entity {
    kind: &'static str,
    offset: usize,
    length: usize,
    url: Option<String>,
    language: Option<String>,
    custom_emoji_id: Option<String>,
}

impl Entity {
    fn new(kind: &'static str, offset: usize, length: usize) -> Entity {
        Entity { kind, offset, length, url: None, language: None, custom_emoji_id: None }
    }

    fn to_json(&self) -> Value {
        let mut entity = json!({"offset": self.offset, "length": self.length, "type": self.kind});
        if let Some(url) = &self.url {
            entity["url"] = json!(url);
        }
        if let Some(language) = &self.language {
            entity["language"] = json!(language);
        }
        if let Some(id) = &self.custom_emoji_id {
            entity["custom_emoji_id"] = json!(id);
        }
        entity
    }
}

const SUPPORTED_TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "s",
    "strike",
    "del",
    "u",
    "ins",
    "tg-spoiler",
    "tg-emoji",
    "span",
    "pre",
    "code",
    "blockquote",
];

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n' | 0 | 0x0b | 0x0c)
}

/// Decodes the HTML entity at `bytes[pos] == b'&'`: `(char, next position, had ';')`.
fn decode_html_entity(bytes: &[u8], pos: usize) -> Option<(char, usize, bool)> {
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut end = pos + 1;
    let code: u32 = if at(pos + 1) == b'#' {
        end += 1;
        let mut value: u64 = 0;
        if at(pos + 2) == b'x' {
            end += 1;
            while at(end).is_ascii_hexdigit() {
                let digit = (at(end) as char).to_digit(16).unwrap_or(0) as u64;
                value = value.saturating_mul(16).saturating_add(digit);
                end += 1;
            }
        } else {
            while at(end).is_ascii_digit() {
                value = value.saturating_mul(10).saturating_add(u64::from(at(end) - b'0'));
                end += 1;
            }
        }
        if value == 0 || value >= 0x10ffff || end - pos >= 10 {
            return None;
        }
        value as u32
    } else {
        while at(end).is_ascii_alphabetic() {
            end += 1;
        }
        match &bytes[pos + 1..end] {
            b"lt" => '<' as u32,
            b"gt" => '>' as u32,
            b"amp" => '&' as u32,
            b"quot" => '"' as u32,
            _ => return None,
        }
    };
    let ch = char::from_u32(code)?;
    if at(end) == b';' { Some((ch, end + 1, true)) } else { Some((ch, end, false)) }
}

struct OpenTag {
    name: String,
    argument: String,
    offset: usize,
    text_start: usize,
}

/// Parses Bot API HTML into plain text and entities (offsets in UTF-16 code units). Error
/// messages are tdlib's, to follow "Bad Request: can't parse entities: ".
fn parse_html(source: &str, strict_ampersand: bool) -> Result<(String, Vec<Entity>), String> {
    let bytes = source.as_bytes();
    let n = bytes.len();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let lower = |from: usize, to: usize| String::from_utf8_lossy(&bytes[from..to]).to_ascii_lowercase();
    let mut text = String::new();
    let mut utf16 = 0usize;
    let mut open: Vec<OpenTag> = Vec::new();
    let mut entities: Vec<Entity> = Vec::new();
    let mut i = 0usize;
    while i < n {
        let c = bytes[i];
        if c == b'&' {
            match decode_html_entity(bytes, i) {
                Some((ch, next, had_semicolon)) if had_semicolon || !strict_ampersand => {
                    text.push(ch);
                    utf16 += ch.len_utf16();
                    i = next;
                    continue;
                }
                _ if strict_ampersand => {
                    return Err(format!(
                        "Unescaped \"&\" at byte offset {i}: FakeTelegram requires \"&\" to be written as \"&amp;\" (only &lt; &gt; &amp; &quot; and numeric entities, each with its \";\", are accepted)"
                    ));
                }
                _ => {}
            }
        }
        if c != b'<' {
            let ch = source[i..].chars().next().expect("char boundary");
            text.push(ch);
            utf16 += ch.len_utf16();
            i += ch.len_utf8();
            continue;
        }
        let begin = i;
        i += 1;
        if at(i) != b'/' {
            while !is_space(at(i)) && at(i) != b'>' {
                i += 1;
            }
            if i >= n {
                return Err(format!("Unclosed start tag at byte offset {begin}"));
            }
            let name = lower(begin + 1, i);
            if !SUPPORTED_TAGS.contains(&name.as_str()) {
                return Err(format!("Unsupported start tag \"{name}\" at byte offset {begin}"));
            }
            let mut argument = String::new();
            while at(i) != b'>' {
                while i < n && is_space(at(i)) {
                    i += 1;
                }
                if at(i) == b'>' {
                    break;
                }
                let attribute_begin = i;
                while !is_space(at(i)) && at(i) != b'=' {
                    i += 1;
                }
                let attribute = lower(attribute_begin, i);
                if attribute.is_empty() {
                    return Err(format!("Empty attribute name in the tag \"{name}\" at byte offset {begin}"));
                }
                while i < n && is_space(at(i)) {
                    i += 1;
                }
                if at(i) != b'=' {
                    return Err(format!(
                        "Expected equal sign in declaration of an attribute of the tag \"{name}\" at byte offset {begin}"
                    ));
                }
                i += 1;
                while i < n && is_space(at(i)) {
                    i += 1;
                }
                if i >= n {
                    return Err(format!("Unclosed start tag \"{name}\" at byte offset {begin}"));
                }
                let value;
                if at(i) != b'\'' && at(i) != b'"' {
                    let token_begin = i;
                    while at(i).is_ascii_alphanumeric() || at(i) == b'.' || at(i) == b'-' {
                        i += 1;
                    }
                    value = lower(token_begin, i);
                    if !is_space(at(i)) && at(i) != b'>' {
                        return Err(format!("Unexpected end of name token at byte offset {token_begin}"));
                    }
                } else {
                    let quote = at(i);
                    i += 1;
                    let mut raw = Vec::new();
                    while i < n && at(i) != quote {
                        if at(i) == b'&'
                            && let Some((ch, next, _)) = decode_html_entity(bytes, i)
                        {
                            let mut buf = [0u8; 4];
                            raw.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                            i = next;
                            continue;
                        }
                        raw.push(at(i));
                        i += 1;
                    }
                    if at(i) == quote {
                        i += 1;
                    }
                    value = String::from_utf8_lossy(&raw).into_owned();
                }
                if i >= n {
                    return Err(format!("Unclosed start tag at byte offset {begin}"));
                }
                match (name.as_str(), attribute.as_str()) {
                    ("a", "href") | ("tg-emoji", "emoji-id") => argument = value,
                    ("code", "class") if value.starts_with("language-") => {
                        argument = value["language-".len()..].to_string();
                    }
                    ("span", "class") if value.starts_with("tg-") => {
                        argument = value["tg-".len()..].to_string();
                    }
                    _ => {}
                }
            }
            if name == "span" && argument != "spoiler" {
                return Err(format!("Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"));
            }
            open.push(OpenTag { name, argument, offset: utf16, text_start: text.len() });
            i += 1; // the '>'
        } else {
            if open.is_empty() {
                return Err(format!("Unexpected end tag at byte offset {begin}"));
            }
            while !is_space(at(i)) && at(i) != b'>' {
                i += 1;
            }
            let end_name = lower(begin + 2, i);
            while i < n && is_space(at(i)) {
                i += 1;
            }
            if at(i) != b'>' {
                return Err(format!("Unclosed end tag at byte offset {begin}"));
            }
            let tag = open.pop().expect("an open tag");
            if !end_name.is_empty() && end_name != tag.name {
                return Err(format!(
                    "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \"</{end_name}>\"",
                    tag.name
                ));
            }
            if utf16 > tag.offset {
                let length = utf16 - tag.offset;
                let offset = tag.offset;
                match tag.name.as_str() {
                    "i" | "em" => entities.push(Entity::new("italic", offset, length)),
                    "b" | "strong" => entities.push(Entity::new("bold", offset, length)),
                    "s" | "strike" | "del" => entities.push(Entity::new("strikethrough", offset, length)),
                    "u" | "ins" => entities.push(Entity::new("underline", offset, length)),
                    "tg-spoiler" | "span" => entities.push(Entity::new("spoiler", offset, length)),
                    "tg-emoji" => {
                        let id = tag
                            .argument
                            .parse::<i64>()
                            .ok()
                            .filter(|id| *id != 0)
                            .ok_or_else(|| "Invalid custom emoji identifier specified".to_string())?;
                        let mut entity = Entity::new("custom_emoji", offset, length);
                        entity.custom_emoji_id = Some(id.to_string());
                        entities.push(entity);
                    }
                    "a" => {
                        let url = if tag.argument.is_empty() {
                            text[tag.text_start..].to_string()
                        } else {
                            tag.argument.clone()
                        };
                        let mut entity = Entity::new("text_link", offset, length);
                        entity.url = Some(url);
                        entities.push(entity);
                    }
                    "pre" => {
                        let code_inside = entities.last().is_some_and(|e| {
                            e.kind == "code"
                                && e.offset == offset
                                && e.length == length
                                && e.language.is_some()
                        });
                        if code_inside {
                            entities.last_mut().expect("checked").kind = "pre";
                        } else {
                            entities.push(Entity::new("pre", offset, length));
                        }
                    }
                    "code" => {
                        let mut entity = Entity::new("code", offset, length);
                        if !tag.argument.is_empty() {
                            entity.language = Some(tag.argument.clone());
                        }
                        entities.push(entity);
                    }
                    "blockquote" => entities.push(Entity::new("blockquote", offset, length)),
                    _ => unreachable!("tag names are checked when opened"),
                }
            }
            i += 1; // the '>'
        }
    }
    if let Some(tag) = open.last() {
        return Err(format!("Can't find end tag corresponding to start tag {}", tag.name));
    }
    for entity in &mut entities {
        if entity.kind == "code" {
            entity.language = None;
        }
    }
    entities.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length)));
    Ok((text, entities))
}
