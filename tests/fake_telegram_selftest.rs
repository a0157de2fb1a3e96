//! Self-tests of the fake Telegram Bot API server in `tests/support/fake_telegram.rs`.
//!
//! Normal behaviour is exercised through teloxide's own client (which proves the PascalCase
//! method names and the JSON shapes work for the bot's library); faults and raw protocol
//! details through hand-written HTTP over a `TcpStream`.

#[path = "support/fake_telegram.rs"]
mod fake_telegram;

use std::time::{Duration, Instant};

use fake_telegram::{FakeTelegram, FakeTelegramConfig, FakeUser, Fault, RateLimit};
use serde_json::{Value, json};
use teloxide::prelude::*;
use teloxide::types::{
    CallbackQueryId, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode,
    UpdateKind,
};
use teloxide::{ApiError, RequestError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "123456:TEST-token";
const SECOND: Duration = Duration::from_secs(1);

fn alice() -> FakeUser {
    FakeUser::new(1001, "Alice").with_username("alice")
}

fn bob() -> FakeUser {
    FakeUser::new(1002, "Bob")
}

fn bot_for(fake: &FakeTelegram) -> Bot {
    Bot::new(fake.token()).set_api_url(url::Url::parse(&fake.api_url()).expect("api url"))
}

struct RawResponse {
    status: u16,
    body: String,
}

impl RawResponse {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    fn description(&self) -> String {
        self.json()["description"].as_str().unwrap_or_default().to_string()
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`); an error when the
/// server closes the connection without answering.
async fn raw_request(
    fake: &FakeTelegram,
    path: &str,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<RawResponse> {
    let mut stream = TcpStream::connect(fake.addr()).await?;
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        fake.addr(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    if response.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "connection closed without a response",
        ));
    }
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("a status code");
    Ok(RawResponse { status, body: body.to_string() })
}

/// Calls `method` with a JSON body through raw HTTP.
async fn call(fake: &FakeTelegram, method: &str, params: Value) -> RawResponse {
    raw_request(
        fake,
        &format!("/bot{}/{method}", fake.token()),
        "application/json",
        params.to_string().as_bytes(),
    )
    .await
    .expect("an HTTP response")
}

fn update_ids(response: &RawResponse) -> Vec<i64> {
    response.json()["result"]
        .as_array()
        .expect("result array")
        .iter()
        .map(|u| u["update_id"].as_i64().expect("update_id"))
        .collect()
}

fn api_error(result: Result<impl std::fmt::Debug, RequestError>) -> ApiError {
    match result {
        Err(RequestError::Api(error)) => error,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn keyboard(data: &[&str]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([data
        .iter()
        .map(|d| InlineKeyboardButton::callback(format!("button {d}"), d.to_string()))
        .collect::<Vec<_>>()])
}

// ----- identity, routing, tokens ---------------------------------------------------------

#[tokio::test]
async fn get_me_through_teloxide_returns_the_test_bot() {
    let fake = FakeTelegram::start(TOKEN).await;
    let me = bot_for(&fake).get_me().await.expect("getMe");
    assert!(me.user.is_bot);
    assert_eq!(me.user.id.0, 123456);
    assert_eq!(me.user.username.as_deref(), Some("challenge_test_bot"));
    let calls = fake.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "getme");
    assert!(calls[0].is_ok());
}

#[tokio::test]
async fn method_names_are_case_insensitive() {
    let fake = FakeTelegram::start(TOKEN).await;
    for method in ["getMe", "GetMe", "GETME", "getme"] {
        let response = call(&fake, method, json!({})).await;
        assert_eq!(response.status, 200, "{method}");
        assert_eq!(response.json()["result"]["username"], "challenge_test_bot");
    }
}

#[tokio::test]
async fn wrong_token_is_unauthorized_for_every_method() {
    let fake = FakeTelegram::start(TOKEN).await;
    for method in ["getMe", "sendMessage", "getUpdates"] {
        let response =
            raw_request(&fake, &format!("/bot123456:WRONG-token/{method}"), "application/json", b"{}")
                .await
                .expect("response");
        assert_eq!(response.status, 401);
        assert_eq!(response.json(), json!({"ok": false, "error_code": 401, "description": "Unauthorized"}));
    }
    let wrong = Bot::new("123456:OTHER-token").set_api_url(url::Url::parse(&fake.api_url()).expect("url"));
    assert_eq!(api_error(wrong.get_me().await), ApiError::InvalidToken);
    assert!(fake.calls().iter().all(|c| !c.token_valid));
}

#[tokio::test]
async fn unknown_method_and_bad_path_are_not_found() {
    let fake = FakeTelegram::start(TOKEN).await;
    let response = call(&fake, "doSomethingWeird", json!({})).await;
    assert_eq!(response.status, 404);
    assert_eq!(response.description(), "Not Found");
    let response = raw_request(&fake, "/getMe", "application/json", b"{}").await.expect("response");
    assert_eq!(response.status, 404);
    // A real method the fake does not implement says so.
    let response = call(&fake, "sendPoll", json!({"chat_id": 1})).await;
    assert_eq!(response.status, 501);
    assert!(response.description().contains("sendpoll"));
}

// ----- getUpdates ------------------------------------------------------------------------

#[tokio::test]
async fn updates_are_redelivered_until_confirmed_by_offset() {
    let fake = FakeTelegram::start(TOKEN).await;
    let first = fake.send_text(&alice(), "/start");
    let second = fake.send_text(&alice(), "hello");
    let third = fake.send_text(&bob(), "hi");
    assert_eq!((first, second, third), (1, 2, 3));

    let response = call(&fake, "getUpdates", json!({})).await;
    assert_eq!(update_ids(&response), vec![1, 2, 3]);
    let message = &response.json()["result"][0]["message"];
    assert_eq!(message["text"], "/start");
    assert_eq!(message["chat"]["id"], 1001);
    assert_eq!(message["chat"]["type"], "private");
    assert_eq!(message["from"]["username"], "alice");
    assert_eq!(message["entities"], json!([{"offset": 0, "length": 6, "type": "bot_command"}]));

    // Not confirmed: delivered again, also with an explicit limit.
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({})).await), vec![1, 2, 3]);
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({"limit": 2})).await), vec![1, 2]);
    assert_eq!(fake.pending_updates(), 3);
    assert_eq!(fake.confirmed_offset(), 0);

    // offset = 2 confirms update 1 only.
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({"offset": 2})).await), vec![2, 3]);
    assert_eq!(fake.pending_updates(), 2);
    assert_eq!(fake.confirmed_offset(), 2);
    // An offset below the head does not bring update 1 back.
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({"offset": 1})).await), vec![2, 3]);
    // An offset in the future confirms nothing.
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({"offset": 100})).await), vec![2, 3]);
    assert_eq!(fake.pending_updates(), 2);
    // Confirming everything.
    assert!(update_ids(&call(&fake, "getUpdates", json!({"offset": 4})).await).is_empty());
    assert_eq!(fake.pending_updates(), 0);
    assert_eq!(fake.confirmed_offset(), 4);
    // Ids go on increasing.
    assert_eq!(fake.send_text(&alice(), "again"), 4);
}

#[tokio::test]
async fn negative_offset_keeps_only_the_last_updates() {
    let fake = FakeTelegram::start(TOKEN).await;
    for text in ["a", "b", "c"] {
        fake.send_text(&alice(), text);
    }
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({"offset": -1})).await), vec![3]);
    assert_eq!(fake.pending_updates(), 1);
}

#[tokio::test]
async fn update_ids_start_where_configured_and_can_jump() {
    let config = FakeTelegramConfig { update_id_start: 500, ..FakeTelegramConfig::default() };
    let fake = FakeTelegram::start_with(TOKEN, config).await;
    assert_eq!(fake.send_text(&alice(), "x"), 500);
    fake.set_next_update_id(9000);
    assert_eq!(fake.send_text(&alice(), "y"), 9000);
    let bot = bot_for(&fake);
    let updates = bot.get_updates().await.expect("getUpdates");
    let ids: Vec<u32> = updates.iter().map(|u| u.id.0).collect();
    assert_eq!(ids, vec![500, 9000]);
}

#[tokio::test]
async fn teloxide_parses_message_and_callback_updates() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.send_text(&alice(), "hello there");
    let sent = bot
        .send_message(ChatId(1001), "Pick one")
        .reply_markup(keyboard(&["yes", "no"]))
        .await
        .expect("sendMessage");
    let press = fake.press_button(&alice(), i64::from(sent.id.0), "no");

    let updates = bot.get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 2);
    match &updates[0].kind {
        UpdateKind::Message(message) => {
            assert_eq!(message.text(), Some("hello there"));
            assert_eq!(message.chat.id, ChatId(1001));
        }
        other => panic!("expected a message, got {other:?}"),
    }
    match &updates[1].kind {
        UpdateKind::CallbackQuery(query) => {
            assert_eq!(query.data.as_deref(), Some("no"));
            assert_eq!(query.from.id.0, 1001);
            assert_eq!(Some(query.id.0.clone()), fake.callback_query_id(i64::from(updates[1].id.0)));
            assert_eq!(i64::from(updates[1].id.0), press);
        }
        other => panic!("expected a callback query, got {other:?}"),
    }
}

#[tokio::test]
async fn long_poll_returns_as_soon_as_an_update_arrives() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    let started = Instant::now();
    let poll = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(10).await }
    });
    fake.wait_until("the long poll", SECOND * 5, |f| f.is_long_polling()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    fake.send_text(&alice(), "wake up");
    let updates = poll.await.expect("join").expect("getUpdates");
    let elapsed = started.elapsed();
    assert_eq!(updates.len(), 1);
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(!fake.is_long_polling());
}

#[tokio::test]
async fn long_poll_without_updates_waits_for_its_timeout() {
    let fake = FakeTelegram::start(TOKEN).await;
    let started = Instant::now();
    let response = call(&fake, "getUpdates", json!({"timeout": 1})).await;
    let elapsed = started.elapsed();
    assert!(update_ids(&response).is_empty());
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn a_second_long_poll_terminates_the_first_with_409() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    let first = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    fake.wait_until("the first long poll", SECOND * 5, |f| f.is_long_polling()).await;
    let second = tokio::spawn({
        let bot = bot.clone();
        async move { bot.get_updates().timeout(5).await }
    });
    let first = first.await.expect("join");
    assert_eq!(api_error(first), ApiError::TerminatedByOtherGetUpdates);
    let conflict = fake.calls_to("getUpdates")[0].clone();
    assert_eq!(conflict.http_status, Some(409));
    assert_eq!(conflict.error_code(), Some(409));
    // The newer poll is still waiting and gets the update.
    fake.wait_until("the second long poll", SECOND * 5, |f| f.is_long_polling()).await;
    fake.send_text(&alice(), "for the survivor");
    let updates = second.await.expect("join").expect("getUpdates");
    assert_eq!(updates.len(), 1);
}

#[tokio::test]
async fn getupdates_conflicts_with_a_webhook() {
    let fake = FakeTelegram::start(TOKEN).await;
    let response = call(&fake, "setWebhook", json!({"url": "http://example.com/hook"})).await;
    assert_eq!(response.status, 400);
    assert!(response.description().contains("HTTPS"));
    let response = call(&fake, "setWebhook", json!({"url": "https://example.com/hook"})).await;
    assert_eq!(response.status, 200);
    assert_eq!(fake.webhook_url().as_deref(), Some("https://example.com/hook"));
    let response = call(&fake, "getUpdates", json!({})).await;
    assert_eq!(response.status, 409);
    assert!(
        response.description().starts_with("Conflict: can't use getUpdates method while webhook is active")
    );
    let info = call(&fake, "getWebhookInfo", json!({})).await.json();
    assert_eq!(info["result"]["url"], "https://example.com/hook");

    fake.send_text(&alice(), "queued");
    bot_for(&fake).delete_webhook().drop_pending_updates(true).await.expect("deleteWebhook");
    assert_eq!(fake.webhook_url(), None);
    assert_eq!(fake.pending_updates(), 0);
    assert_eq!(call(&fake, "getUpdates", json!({})).await.status, 200);
}

#[tokio::test]
async fn allowed_updates_filters_new_updates() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    let sent = bot.send_message(ChatId(1001), "x").await.expect_err("chat unknown before the user writes");
    assert!(matches!(sent, RequestError::Api(ApiError::ChatNotFound)));
    fake.add_private_chat(&alice());
    let sent =
        bot.send_message(ChatId(1001), "Pick").reply_markup(keyboard(&["a"])).await.expect("sendMessage");
    let response = call(&fake, "getUpdates", json!({"allowed_updates": ["message"]})).await;
    assert_eq!(response.status, 200);
    assert_eq!(fake.allowed_updates(), vec!["message".to_string()]);
    assert_eq!(fake.press_button(&alice(), i64::from(sent.id.0), "a"), 0);
    assert_eq!(fake.pending_updates(), 0);
    // An empty list restores the default set.
    call(&fake, "getUpdates", json!({"allowed_updates": []})).await;
    assert!(fake.allowed_updates().contains(&"callback_query".to_string()));
    assert!(!fake.allowed_updates().contains(&"chat_member".to_string()));
}

#[tokio::test]
async fn refused_confirmations_answer_502_and_confirm_nothing() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.send_text(&alice(), "one");
    fake.send_text(&alice(), "two");
    fake.refuse_confirmations(true);
    let response = call(&fake, "getUpdates", json!({"offset": 2})).await;
    assert_eq!(response.status, 502);
    assert_eq!(fake.pending_updates(), 2);
    assert_eq!(fake.confirmed_offset(), 0);
    // A call that confirms nothing still works.
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({"offset": 1})).await), vec![1, 2]);
    fake.refuse_confirmations(false);
    assert_eq!(update_ids(&call(&fake, "getUpdates", json!({"offset": 2})).await), vec![2]);
    assert_eq!(fake.confirmed_offset(), 2);
}

// ----- sendMessage validation ------------------------------------------------------------

#[tokio::test]
async fn send_message_to_an_unknown_chat_fails() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    assert_eq!(api_error(bot.send_message(ChatId(4242), "hi").await), ApiError::ChatNotFound);
    let response = call(&fake, "sendMessage", json!({"text": "hi"})).await;
    assert_eq!(response.description(), "Bad Request: chat_id is empty");
    fake.send_text(&alice(), "hello");
    let message = bot.send_message(ChatId(1001), "hi").await.expect("known now");
    assert_eq!(message.text(), Some("hi"));
    assert_eq!(message.from.as_ref().map(|u| u.is_bot), Some(true));
}

#[tokio::test]
async fn text_length_is_limited_to_4096_utf16_units_after_parsing() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let chat = ChatId(1001);
    bot.send_message(chat, "a".repeat(4096)).await.expect("4096 characters fit");
    assert_eq!(api_error(bot.send_message(chat, "a".repeat(4097)).await), ApiError::MessageIsTooLong);
    // Emoji outside the BMP count twice.
    bot.send_message(chat, "😀".repeat(2048)).await.expect("2048 emoji = 4096 units");
    assert_eq!(api_error(bot.send_message(chat, "😀".repeat(2049)).await), ApiError::MessageIsTooLong);
    // Tags and entities do not count; the visible text does.
    let html = format!("<b>{}</b>&amp;", "a".repeat(4095));
    let sent = bot.send_message(chat, html).parse_mode(ParseMode::Html).await.expect("4095 + '&' fit");
    assert_eq!(sent.text().map(|t| t.len()), Some(4096));
    let html = format!("<b>{}</b>&amp;&amp;", "a".repeat(4095));
    assert_eq!(
        api_error(bot.send_message(chat, html).parse_mode(ParseMode::Html).await),
        ApiError::MessageIsTooLong
    );
    // Surrounding whitespace is trimmed and does not count either.
    let sent = bot.send_message(chat, format!("\n {} \n", "b".repeat(4096))).await.expect("trimmed to 4096");
    assert_eq!(sent.text().map(str::len), Some(4096));
}

#[tokio::test]
async fn empty_texts_are_refused() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    assert_eq!(api_error(bot.send_message(ChatId(1001), "").await), ApiError::MessageTextIsEmpty);
    let response = call(&fake, "sendMessage", json!({"chat_id": 1001, "text": " \n "})).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.description(), "Bad Request: message must be non-empty");
    let response =
        call(&fake, "sendMessage", json!({"chat_id": 1001, "text": "<b></b>", "parse_mode": "HTML"})).await;
    assert_eq!(response.description(), "Bad Request: message must be non-empty");
    assert!(fake.sent_messages(1001).is_empty());
}

#[tokio::test]
async fn html_is_parsed_into_text_and_entities() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.add_private_chat(&alice());
    let response = call(
        &fake,
        "sendMessage",
        json!({"chat_id": 1001, "parse_mode": "HTML",
               "text": "<b>Goal</b>: 5 &lt; 6 &amp; <i>done</i> &#x1F600; <a href=\"https://e.x/?a=1&amp;b=2\">link</a> <pre><code class=\"language-rust\">fn x()</code></pre>"}),
    )
    .await;
    assert_eq!(response.status, 200, "{}", response.body);
    let result = &response.json()["result"];
    assert_eq!(result["text"], "Goal: 5 < 6 & done 😀 link fn x()");
    assert_eq!(
        result["entities"],
        json!([
            {"offset": 0, "length": 4, "type": "bold"},
            {"offset": 14, "length": 4, "type": "italic"},
            {"offset": 22, "length": 4, "type": "text_link", "url": "https://e.x/?a=1&b=2"},
            {"offset": 27, "length": 6, "type": "pre", "language": "rust"},
        ])
    );
    let stored = fake.last_message(1001).expect("stored");
    assert_eq!(stored.text, "Goal: 5 < 6 & done 😀 link fn x()");
    assert!(stored.source_text.starts_with("<b>Goal</b>"));
    assert_eq!(stored.parse_mode.as_deref(), Some("HTML"));
}

#[tokio::test]
async fn bad_html_is_refused_with_cant_parse_entities() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let cases = [
        ("<foo>x</foo>", "Unsupported start tag \"foo\" at byte offset 0"),
        ("<br>", "Unsupported start tag \"br\" at byte offset 0"),
        ("a < b", "Unsupported start tag \"\" at byte offset 2"),
        ("<b>bold", "Can't find end tag corresponding to start tag b"),
        ("<b><i>x</b></i>", "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"),
        ("Tom & Jerry", "Unescaped \"&\" at byte offset 4"),
        ("&nbsp;", "Unescaped \"&\" at byte offset 0"),
        ("&lt without semicolon", "Unescaped \"&\" at byte offset 0"),
        ("<b", "Unclosed start tag at byte offset 0"),
    ];
    for (text, expected) in cases {
        let response =
            call(&fake, "sendMessage", json!({"chat_id": 1001, "text": text, "parse_mode": "HTML"})).await;
        assert_eq!(response.status, 400, "{text}");
        let description = response.description();
        assert!(
            description.starts_with("Bad Request: can't parse entities: ") && description.contains(expected),
            "{text}: {description}"
        );
    }
    // teloxide classifies these as CantParseEntities.
    let error = api_error(bot.send_message(ChatId(1001), "<unknown>").parse_mode(ParseMode::Html).await);
    assert!(matches!(error, ApiError::CantParseEntities(_)), "{error:?}");
    // Supported tags in all spellings pass.
    let ok = "<strong>a</strong><em>b</em><ins>c</ins><strike>d</strike><del>e</del><s>f</s>\
              <u>g</u><tg-spoiler>h</tg-spoiler><span class=\"tg-spoiler\">i</span><code>j</code>\
              <blockquote>k</blockquote><tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>\
              &quot;&gt;&#33;";
    let response =
        call(&fake, "sendMessage", json!({"chat_id": 1001, "text": ok, "parse_mode": "HTML"})).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["result"]["text"], "abcdefghijk👍\">!");
    assert_eq!(fake.sent_messages(1001).len(), 1);
}

#[tokio::test]
async fn markdown_is_not_silently_accepted() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.add_private_chat(&alice());
    let response =
        call(&fake, "sendMessage", json!({"chat_id": 1001, "text": "*bold*", "parse_mode": "MarkdownV2"}))
            .await;
    assert_eq!(response.status, 400);
    assert!(response.description().contains("FakeTelegram does not implement"));
    let response =
        call(&fake, "sendMessage", json!({"chat_id": 1001, "text": "x", "parse_mode": "Textile"})).await;
    assert_eq!(response.description(), "Bad Request: unsupported parse_mode");
}

#[tokio::test]
async fn callback_data_is_limited_to_64_bytes() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let chat = ChatId(1001);
    let at_limit = "d".repeat(64);
    bot.send_message(chat, "ok").reply_markup(keyboard(&[at_limit.as_str()])).await.expect("64 bytes fit");
    let over = "d".repeat(65);
    assert_eq!(
        api_error(bot.send_message(chat, "no").reply_markup(keyboard(&[over.as_str()])).await),
        ApiError::ButtonDataInvalid
    );
    // Bytes, not characters: 32 × 'é' is 64 bytes, 33 × 'é' is 66.
    let accented = "é".repeat(32);
    bot.send_message(chat, "ok").reply_markup(keyboard(&[accented.as_str()])).await.expect("64 bytes fit");
    let accented = "é".repeat(33);
    assert_eq!(
        api_error(bot.send_message(chat, "no").reply_markup(keyboard(&[accented.as_str()])).await),
        ApiError::ButtonDataInvalid
    );
    assert_eq!(fake.sent_messages(1001).len(), 2);
}

#[tokio::test]
async fn inline_keyboards_are_validated() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.add_private_chat(&alice());
    let send = |markup: Value| {
        let fake = &fake;
        async move {
            call(fake, "sendMessage", json!({"chat_id": 1001, "text": "x", "reply_markup": markup})).await
        }
    };
    let response = send(json!({"inline_keyboard": [[{"text": "t", "callback_data": ""}]]})).await;
    assert_eq!(
        response.description(),
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    );
    let response = send(json!({"inline_keyboard": [[{"text": "", "callback_data": "x"}]]})).await;
    assert_eq!(response.status, 400);
    let hundred: Vec<Value> =
        (0..100).map(|i| json!({"text": format!("{i}"), "callback_data": format!("{i}")})).collect();
    assert_eq!(send(json!({"inline_keyboard": [hundred.clone()]})).await.status, 200);
    let mut too_many = hundred;
    too_many.push(json!({"text": "100", "callback_data": "100"}));
    let response = send(json!({"inline_keyboard": [too_many]})).await;
    assert_eq!(response.description(), "Bad Request: reply markup is too long");
    let response = send(json!({"inline_keyboard": [[{"text": "u", "url": "https://example.com"}]]})).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        fake.last_message(1001).expect("sent").inline_buttons()[0].url.as_deref(),
        Some("https://example.com")
    );
}

// ----- editing ---------------------------------------------------------------------------

#[tokio::test]
async fn edits_are_tracked_and_unchanged_edits_refused() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.send_text(&alice(), "hi");
    let chat = ChatId(1001);
    let sent = bot
        .send_message(chat, "<b>Step 1</b>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard(&["next"]))
        .await
        .expect("send");
    assert_eq!(sent.id.0, 2, "the user's message took id 1");

    // Same text, same entities, same keyboard: not modified (even spelled differently).
    let error = api_error(
        bot.edit_message_text(chat, sent.id, "<strong>Step 1</strong>")
            .parse_mode(ParseMode::Html)
            .reply_markup(keyboard(&["next"]))
            .await,
    );
    assert_eq!(error, ApiError::MessageNotModified);

    // Different formatting is a modification.
    bot.edit_message_text(chat, sent.id, "<i>Step 1</i>")
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard(&["next"]))
        .await
        .expect("edit formatting");
    // Omitting reply_markup removes the keyboard, as on Telegram.
    let edited = bot.edit_message_text(chat, sent.id, "Step 2").await.expect("edit text");
    assert_eq!(edited.text(), Some("Step 2"));
    let current = fake.last_message(1001).expect("message");
    assert_eq!(current.text, "Step 2");
    assert_eq!(current.reply_markup, None);
    assert_eq!(current.edit_count, 2);
    assert!(current.edit_date.is_some());

    // editMessageReplyMarkup: adding works, repeating is not modified.
    bot.edit_message_reply_markup(chat, sent.id)
        .reply_markup(keyboard(&["again"]))
        .await
        .expect("add keyboard");
    assert_eq!(
        api_error(bot.edit_message_reply_markup(chat, sent.id).reply_markup(keyboard(&["again"])).await),
        ApiError::MessageNotModified
    );
    assert_eq!(fake.last_message(1001).expect("message").callback_data(), vec!["again".to_string()]);
}

#[tokio::test]
async fn editing_a_missing_or_foreign_message_fails() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.send_text(&alice(), "mine");
    assert_eq!(
        api_error(bot.edit_message_text(ChatId(1001), MessageId(77), "x").await),
        ApiError::MessageToEditNotFound
    );
    assert_eq!(
        api_error(bot.edit_message_text(ChatId(1001), MessageId(1), "x").await),
        ApiError::MessageCantBeEdited
    );
    assert_eq!(
        api_error(bot.edit_message_text(ChatId(5555), MessageId(1), "x").await),
        ApiError::ChatNotFound
    );
    let sent = bot.send_message(ChatId(1001), "bye").await.expect("send");
    bot.delete_message(ChatId(1001), sent.id).await.expect("delete");
    assert!(fake.last_message(1001).expect("kept").deleted);
    assert_eq!(
        api_error(bot.edit_message_text(ChatId(1001), sent.id, "x").await),
        ApiError::MessageToEditNotFound
    );
    assert_eq!(api_error(bot.delete_message(ChatId(1001), sent.id).await), ApiError::MessageToDeleteNotFound);
}

// ----- callback queries ------------------------------------------------------------------

#[tokio::test]
async fn callback_queries_are_answered_once() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.send_text(&alice(), "/start");
    let sent =
        bot.send_message(ChatId(1001), "Choose").reply_markup(keyboard(&["a", "b"])).await.expect("send");
    let update_id = fake.press_button(&alice(), i64::from(sent.id.0), "b");
    let query_id = fake.callback_query_id(update_id).expect("query id");

    bot.answer_callback_query(CallbackQueryId(query_id.clone())).text("Saved").await.expect("first answer");
    let second = call(&fake, "answerCallbackQuery", json!({"callback_query_id": query_id})).await;
    assert_eq!(second.status, 400);
    assert_eq!(
        second.description(),
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    );
    let unknown = call(&fake, "answerCallbackQuery", json!({"callback_query_id": "12345"})).await;
    assert_eq!(unknown.status, 400);
    assert_eq!(fake.answered_callback_queries(), vec![query_id]);
    assert_eq!(fake.callback_answers()[0].text.as_deref(), Some("Saved"));
}

#[tokio::test]
async fn callback_queries_expire() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.set_callback_answer_window(Duration::from_millis(100));
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let sent = bot.send_message(ChatId(1001), "Choose").reply_markup(keyboard(&["a"])).await.expect("send");
    let update_id = fake.press_button(&alice(), i64::from(sent.id.0), "a");
    let query_id = fake.callback_query_id(update_id).expect("query id");
    tokio::time::sleep(Duration::from_millis(250)).await;
    let late = call(&fake, "answerCallbackQuery", json!({"callback_query_id": query_id})).await;
    assert_eq!(late.status, 400);
    assert!(fake.answered_callback_queries().is_empty());
    let long =
        call(&fake, "answerCallbackQuery", json!({"callback_query_id": query_id, "text": "x".repeat(201)}))
            .await;
    assert_eq!(long.status, 400);
}

#[tokio::test]
#[should_panic(expected = "has no button with callback_data")]
async fn pressing_a_button_that_is_not_there_panics() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let sent = bot.send_message(ChatId(1001), "Choose").reply_markup(keyboard(&["a"])).await.expect("send");
    fake.press_button(&alice(), i64::from(sent.id.0), "zzz");
}

// ----- faults ----------------------------------------------------------------------------

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    fake.fail_next("sendMessage", Fault::TooManyRequests { retry_after: 7 }, 2);
    match bot.send_message(ChatId(1001), "x").await {
        Err(RequestError::RetryAfter(seconds)) => assert_eq!(seconds.seconds(), 7),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    let raw = call(&fake, "sendMessage", json!({"chat_id": 1001, "text": "x"})).await;
    assert_eq!(raw.status, 429);
    assert_eq!(
        raw.json(),
        json!({"ok": false, "error_code": 429,
               "description": "Too Many Requests: retry after 7",
               "parameters": {"retry_after": 7}})
    );
    // Both faulted calls were not processed; the third call goes through.
    assert!(fake.sent_messages(1001).is_empty());
    bot.send_message(ChatId(1001), "x").await.expect("third call");
    assert_eq!(fake.sent_messages(1001).len(), 1);
    let faulted: Vec<_> = fake.calls().into_iter().filter(|c| c.fault.is_some()).collect();
    assert_eq!(faulted.len(), 2);
}

#[tokio::test]
async fn bad_gateway_is_an_html_502() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.fail_next("getupdates", Fault::BadGateway, 1);
    let response = call(&fake, "getUpdates", json!({})).await;
    assert_eq!(response.status, 502);
    assert!(response.body.contains("502 Bad Gateway"));
    assert!(serde_json::from_str::<Value>(&response.body).is_err());
    assert_eq!(call(&fake, "getUpdates", json!({})).await.status, 200);
}

#[tokio::test]
async fn dropped_connections_give_no_response() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.add_private_chat(&alice());
    fake.fail_next("*", Fault::DropConnection, 1);
    let result = raw_request(
        &fake,
        &format!("/bot{TOKEN}/sendMessage"),
        "application/json",
        json!({"chat_id": 1001, "text": "lost"}).to_string().as_bytes(),
    )
    .await;
    assert!(result.is_err(), "expected a connection error");
    assert!(fake.sent_messages(1001).is_empty());

    // Through teloxide (reqwest/hyper): a network error.
    fake.fail_next("sendMessage", Fault::DropConnection, 1);
    let error = bot_for(&fake).send_message(ChatId(1001), "lost").await.expect_err("connection dropped");
    assert!(matches!(error, RequestError::Network(_)), "{error:?}");
    assert!(fake.sent_messages(1001).is_empty());
    let dropped = fake.calls_to("sendmessage");
    assert_eq!(dropped.len(), 2);
    assert!(dropped.iter().all(|c| c.http_status.is_none()));
}

#[tokio::test]
async fn lost_responses_still_take_effect() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.add_private_chat(&alice());
    fake.fail_next("sendMessage", Fault::LoseResponse, 1);
    let error = bot_for(&fake).send_message(ChatId(1001), "delivered anyway").await.expect_err("no response");
    assert!(matches!(error, RequestError::Network(_)), "{error:?}");
    let messages = fake.sent_messages(1001);
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].text, "delivered anyway");
}

#[tokio::test]
async fn hangs_delay_the_answer() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.fail_next("getMe", Fault::Hang(Duration::from_millis(600)), 1);
    let started = Instant::now();
    bot_for(&fake).get_me().await.expect("answered after the hang");
    assert!(started.elapsed() >= Duration::from_millis(600));

    fake.fail_next("getMe", Fault::HangForever, 1);
    let hung = tokio::time::timeout(Duration::from_millis(500), call(&fake, "getMe", json!({}))).await;
    assert!(hung.is_err(), "a HangForever call must not be answered");
    fake.wait_for_call(|c| c.fault == Some(Fault::HangForever), SECOND * 5).await;
    let hung_call = fake
        .calls()
        .into_iter()
        .find(|c| c.fault == Some(Fault::HangForever))
        .expect("recorded once the client left");
    assert!(hung_call.client_disconnected);
}

#[tokio::test]
async fn forbidden_means_blocked_by_the_user() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    fake.fail_next("sendmessage", Fault::Forbidden, 1);
    assert_eq!(api_error(bot.send_message(ChatId(1001), "x").await), ApiError::BotBlocked);
    fake.set_user_blocked(1001, true);
    let raw = call(&fake, "sendMessage", json!({"chat_id": 1001, "text": "x"})).await;
    assert_eq!(raw.status, 403);
    assert_eq!(raw.description(), "Forbidden: bot was blocked by the user");
    fake.set_user_blocked(1001, false);
    bot.send_message(ChatId(1001), "x").await.expect("unblocked");
}

#[tokio::test]
async fn rate_limit_answers_429_when_enabled() {
    let config = FakeTelegramConfig {
        rate_limit: Some(RateLimit { per_chat_per_second: 3, retry_after: 1 }),
        ..FakeTelegramConfig::default()
    };
    let fake = FakeTelegram::start_with(TOKEN, config).await;
    fake.add_private_chat(&alice());
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses
            .push(call(&fake, "sendMessage", json!({"chat_id": 1001, "text": format!("{i}")})).await.status);
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(call(&fake, "sendMessage", json!({"chat_id": 1001, "text": "later"})).await.status, 200);
}

// ----- other methods and encodings -------------------------------------------------------

#[tokio::test]
async fn set_my_commands_is_validated() {
    let fake = FakeTelegram::start(TOKEN).await;
    let ok = call(
        &fake,
        "setMyCommands",
        json!({"commands": [{"command": "start", "description": "Start"},
                            {"command": "new_goal2", "description": "New goal"}]}),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(fake.commands().len(), 2);
    for (command, description) in
        [("Start", "upper case"), ("my-goal", "hyphen"), ("", "empty"), (&"c".repeat(33) as &str, "too long")]
    {
        let response = call(
            &fake,
            "setMyCommands",
            json!({"commands": [{"command": command, "description": description}]}),
        )
        .await;
        assert_eq!(response.description(), "Bad Request: BOT_COMMAND_INVALID", "{command}");
    }
    let ok32 = call(
        &fake,
        "setMyCommands",
        json!({"commands": [{"command": "c".repeat(32), "description": "d".repeat(256)}]}),
    )
    .await;
    assert_eq!(ok32.status, 200);
    for description in [String::new(), "d".repeat(257)] {
        let response = call(
            &fake,
            "setMyCommands",
            json!({"commands": [{"command": "ok", "description": description}]}),
        )
        .await;
        assert_eq!(response.description(), "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID");
    }
    assert_eq!(fake.commands()[0]["command"], json!("c".repeat(32)));
}

#[tokio::test]
async fn form_and_multipart_bodies_are_accepted() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.add_private_chat(&alice());
    let keyboard = r#"{"inline_keyboard":[[{"text":"Go","callback_data":"go"}]]}"#;
    let form = format!(
        "chat_id=1001&text=hello+form+%26+co&reply_markup={}",
        keyboard.bytes().map(|b| format!("%{b:02X}")).collect::<String>()
    );
    let response = raw_request(
        &fake,
        &format!("/bot{TOKEN}/sendMessage"),
        "application/x-www-form-urlencoded",
        form.as_bytes(),
    )
    .await
    .expect("response");
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["result"]["text"], "hello form & co");
    assert_eq!(fake.last_message(1001).expect("sent").callback_data(), vec!["go".to_string()]);

    let boundary = "XyZ123";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n1001\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello multipart\r\n\
         --{boundary}--\r\n"
    );
    let response = raw_request(
        &fake,
        &format!("/bot{TOKEN}/SendMessage"),
        &format!("multipart/form-data; boundary={boundary}"),
        body.as_bytes(),
    )
    .await
    .expect("response");
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["result"]["text"], "hello multipart");
    let call = fake.calls_to("sendMessage").pop().expect("recorded");
    assert_eq!(call.param_i64("chat_id"), Some(1001));
    assert_eq!(call.param_str("text").as_deref(), Some("hello multipart"));
}

#[tokio::test]
async fn documents_and_photos_record_uploads() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let message = bot
        .send_document(ChatId(1001), InputFile::memory(vec![7u8; 1500]).file_name("report.csv"))
        .caption("<b>Report</b>")
        .parse_mode(ParseMode::Html)
        .await
        .expect("sendDocument");
    assert_eq!(message.document().and_then(|d| d.file_name.clone()).as_deref(), Some("report.csv"));
    assert_eq!(message.caption(), Some("Report"));
    let sent = fake.last_message(1001).expect("stored");
    let media = sent.media.expect("media");
    assert_eq!(media.kind, "document");
    assert_eq!(media.uploaded_bytes, Some(1500));
    assert_eq!(media.file_name.as_deref(), Some("report.csv"));
    let recorded = fake.calls_to("senddocument").pop().expect("recorded");
    assert_eq!(recorded.files.len(), 1);
    assert_eq!(recorded.files[0].len, 1500);

    let picture = png_of(30, 20);
    let photo = bot
        .send_photo(ChatId(1001), InputFile::memory(picture.clone()).file_name("p.png"))
        .await
        .expect("sendPhoto");
    assert!(photo.photo().is_some());
    let media = fake.last_message(1001).and_then(|m| m.media).expect("a photo");
    assert_eq!(media.uploaded_bytes, Some(picture.len()));
    assert_eq!(media.dimensions, Some((30, 20)));
    assert_eq!(media.bytes, Some(picture));
}

/// A grey PNG of `width` × `height`.
fn png_of(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&vec![128u8; (width * height) as usize]).unwrap();
    writer.finish().unwrap();
    out
}

#[tokio::test]
async fn photos_are_refused_beyond_telegrams_limits() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let mut too_big = png_of(10, 10);
    too_big.resize(10 * 1024 * 1024 + 1, 0);
    for (bytes, description) in [
        (b"not a picture".to_vec(), "IMAGE_PROCESS_FAILED"),
        (png_of(9_000, 1_001), "PHOTO_INVALID_DIMENSIONS"),
        (png_of(2_100, 100), "PHOTO_INVALID_DIMENSIONS"),
        (too_big, "PHOTO_SAVE_FILE_INVALID"),
    ] {
        let refused = bot
            .send_photo(ChatId(1001), InputFile::memory(bytes).file_name("p.png"))
            .await
            .expect_err("refused");
        assert!(refused.to_string().contains(description), "{refused}");
    }
    // At the limits: a ratio of 20, and width + height of 10,000.
    for (w, h) in [(2_000, 100), (9_000, 1_000)] {
        bot.send_photo(ChatId(1001), InputFile::memory(png_of(w, h)).file_name("p.png"))
            .await
            .unwrap_or_else(|e| panic!("{w}×{h}: {e}"));
    }
    let caption = "x".repeat(1025);
    let refused = bot
        .send_photo(ChatId(1001), InputFile::memory(png_of(10, 10)).file_name("p.png"))
        .caption(caption)
        .await
        .expect_err("a caption of 1025 characters");
    assert!(refused.to_string().contains("caption is too long"), "{refused}");
}

#[tokio::test]
async fn group_messages_and_raw_updates_make_chats_known() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    let update = fake.send_group_text(&alice(), -500, "hello group");
    assert_eq!(update, 1);
    bot.send_message(ChatId(-500), "hello all").await.expect("group known");
    let raw = fake.push_raw_update(json!({
        "my_chat_member": {
            "chat": {"id": -100777, "type": "supergroup", "title": "Big"},
            "from": alice().to_json(),
            "date": 1,
            "old_chat_member": {"status": "left", "user": {"id": 123456, "is_bot": true, "first_name": "B"}},
            "new_chat_member": {"status": "member", "user": {"id": 123456, "is_bot": true, "first_name": "B"}}
        }
    }));
    assert_eq!(raw, 2);
    bot.send_message(ChatId(-100777), "joined").await.expect("supergroup known");
    let updates = bot.get_updates().await.expect("getUpdates");
    assert!(matches!(updates[1].kind, UpdateKind::MyChatMember(_)));
}

#[tokio::test]
async fn groups_hold_the_bot_to_telegrams_rules() {
    let fake = FakeTelegram::start(TOKEN).await;
    let send = |chat: i64, text: String| {
        let fake = &fake;
        async move { call(fake, "sendMessage", json!({"chat_id": chat, "text": text})).await }
    };
    // Added: a my_chat_member update (left → member).
    let added = fake.add_bot_to_group(&alice(), -600, "Runners");
    let updates = call(&fake, "getUpdates", json!({})).await.json();
    let update = &updates["result"][0];
    assert_eq!(update["update_id"].as_i64(), Some(added));
    let change = &update["my_chat_member"];
    assert_eq!(change["old_chat_member"]["status"], "left");
    assert_eq!(change["new_chat_member"]["status"], "member");
    assert_eq!(change["chat"]["title"], "Runners");

    // 20 messages a minute to a group, then 429 with retry_after.
    for i in 0..20 {
        assert_eq!(send(-600, format!("m{i}")).await.status, 200, "message {i}");
    }
    let refused = send(-600, "one too many".into()).await;
    assert_eq!(refused.status, 429);
    let retry = refused.json()["parameters"]["retry_after"].as_i64().expect("retry_after");
    assert!((1..=61).contains(&retry), "{retry}");
    assert_eq!(fake.group_rate_refusals(), 1);

    // getChatMember: members and admins.
    fake.set_group_admin(-600, 1001);
    let admin = call(&fake, "getChatMember", json!({"chat_id": -600, "user_id": 1001})).await.json();
    assert_eq!(admin["result"]["status"], "administrator");
    let member = call(&fake, "getChatMember", json!({"chat_id": -600, "user_id": 1002})).await.json();
    assert_eq!(member["result"]["status"], "member");

    // Migrated: the old id is refused with the new one; the new one works.
    let (to, from) = fake.migrate_group(&alice(), -600, -1_000_000_000_600);
    assert!(to > 0 && from > to);
    let moved = send(-600, "hello".into()).await;
    assert_eq!(moved.status, 400);
    assert_eq!(moved.json()["parameters"]["migrate_to_chat_id"].as_i64(), Some(-1_000_000_000_600));
    assert_eq!(send(-1_000_000_000_600, "hello".into()).await.status, 200);

    // Removed: a my_chat_member update (member → kicked), then 403, and no updates from it.
    let removed = fake.remove_bot_from_group(&alice(), -1_000_000_000_600);
    assert!(removed > from);
    let kicked = send(-1_000_000_000_600, "still there?".into()).await;
    assert_eq!(kicked.status, 403);
    assert!(kicked.json()["description"].as_str().unwrap().contains("kicked"));
    assert_eq!(fake.send_group_text(&alice(), -1_000_000_000_600, "/log 5"), 0);
}

#[tokio::test]
async fn waiting_helpers_see_later_messages() {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = bot_for(&fake);
    fake.add_private_chat(&alice());
    let sender = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        bot.send_message(ChatId(1001), "first").await.expect("send");
        bot.send_message(ChatId(1001), "second").await.expect("send");
    });
    let messages = fake.wait_for_messages(1001, 2, SECOND * 5).await;
    assert_eq!(messages.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), vec!["first", "second"]);
    let call = fake
        .wait_for_call(
            |c| c.method == "sendmessage" && c.param_str("text").as_deref() == Some("second"),
            SECOND * 5,
        )
        .await;
    assert!(call.is_ok());
    sender.await.expect("join");
}

#[tokio::test]
async fn wait_for_confirmation_follows_the_offset() {
    let fake = FakeTelegram::start(TOKEN).await;
    let update = fake.send_text(&alice(), "x");
    let waiter = async {
        fake.wait_for_confirmation(update, SECOND * 5).await;
    };
    let poller = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        call(&fake, "getUpdates", json!({"offset": update + 1})).await;
    };
    tokio::join!(waiter, poller);
    assert_eq!(fake.pending_updates(), 0);
}

#[tokio::test]
async fn dropping_the_fake_stops_the_server() {
    let fake = FakeTelegram::start(TOKEN).await;
    let addr = fake.addr();
    assert!(TcpStream::connect(addr).await.is_ok());
    drop(fake);
    let mut refused = false;
    for _ in 0..50 {
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener should be closed");
}

#[tokio::test]
async fn mini_app_buttons_open_https_addresses_in_private_chats_only() {
    let fake = FakeTelegram::start(TOKEN).await;
    fake.send_text(&alice(), "hello");
    fake.add_bot_to_group(&alice(), -700, "Runners");
    let app_button = |url: &str| json!({"inline_keyboard": [[{"text": "Open", "web_app": {"url": url}}]]});
    let send = |chat: i64, markup: Value| {
        let fake = &fake;
        async move {
            call(fake, "sendMessage", json!({"chat_id": chat, "text": "hi", "reply_markup": markup})).await
        }
    };
    assert_eq!(send(1001, app_button("https://example.org/app")).await.status, 200);
    assert_eq!(
        send(1001, app_button("http://example.org/app")).await.description(),
        "Bad Request: BUTTON_URL_INVALID"
    );
    assert_eq!(
        send(-700, app_button("https://example.org/app")).await.description(),
        "Bad Request: BUTTON_TYPE_INVALID"
    );

    // The menu button: Telegram's default until set; a Mini App needs a label and https.
    assert_eq!(fake.default_menu_button()["type"], "default");
    let set = |button: Value| {
        let fake = &fake;
        async move { call(fake, "setChatMenuButton", json!({"menu_button": button})).await }
    };
    let refused =
        set(json!({"type": "web_app", "text": "Dashboard", "web_app": {"url": "http://x.org/app"}})).await;
    assert_eq!(refused.description(), "Bad Request: BUTTON_URL_INVALID");
    let refused = set(json!({"type": "web_app", "text": " ", "web_app": {"url": "https://x.org/app"}})).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        set(json!({"type": "web_app", "text": "Dashboard", "web_app": {"url": "https://x.org/app"}}))
            .await
            .status,
        200
    );
    assert_eq!(fake.default_menu_button()["web_app"]["url"], "https://x.org/app");
    let read = call(&fake, "getChatMenuButton", json!({"chat_id": 1001})).await.json();
    assert_eq!(read["result"]["type"], "web_app", "a chat without its own button shows the default");
    assert_eq!(set(json!({"type": "default"})).await.status, 200);
    assert_eq!(fake.default_menu_button()["type"], "default");
}
