//! The Telegram face of the conversation: updates in, Bot API calls out.
//!
//! - A private message is a command or a text for the [`Conversation`]; other messages there
//!   (stickers, photos…) get a short hint. A press of an inline button is a button input; its
//!   callback query is **always** answered (forged, stale and failing presses too), and the first
//!   reply replaces the pressed message (`editMessageText`) where the conversation says so.
//! - In groups (`handler::conversation::group`): the group's commands, with or without `@name`
//!   (never those naming another bot), presses of its buttons (answered with a short text for
//!   the presser), the bot added or removed (`my_chat_member`), and the group turned supergroup.
//!   Edited messages, channel posts and the rest are ignored.
//! - Texts are HTML with every span escaped and cut to Telegram's 4096 characters; callback data
//!   longer than 64 bytes is never sent.
//! - Display names come from the Telegram profile (first and last name, else the username).
//! - Inputs carry an idempotency key derived from the Telegram message (or callback query) they
//!   came from, so a progress entry counts once however often its update is delivered.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use teloxide::types::{CallbackQuery, ChatKind, Message, MessageKind, Update, UpdateKind, User};
use tokio_util::sync::CancellationToken;

use super::html::{HtmlBuilder, MAX_CAPTION_UNITS, MAX_TEXT_UNITS, shorten};
use super::poller::{AfterCommit, Responder, Response};
use super::sender::Sender;
use crate::challenge::GroupChatId;
use crate::handler::conversation::{
    Action as ConversationAction, Conversation, GroupAnswer, GroupInput, GroupRequest, Input,
    MAX_PAYLOAD_BYTES, Reply, ReplyKind, ReplyMode, Request, Settle, Span, Text, apology,
};
use crate::handler::media::Attachment;
use crate::outbox::{Action, Button, Class, FileSpec, Turn};
use crate::progress::IdempotencyKey;
use crate::repository::RepositoryError;
use crate::user::{DisplayName, UserId};

/// How long a button press may take before its callback query is answered ahead of its handling.
const EARLY_ANSWER_AFTER: Duration = Duration::from_millis(1500);

/// The commands the bot answers in a group without `@bot` (with privacy mode on, Telegram shows
/// it commands; those named after other bots' are theirs).
const GROUP_COMMANDS: [&str; 7] =
    ["start", "challenge", "challenges", "log", "standings", "leaderboard", "help"];

/// Longest button label we send (Telegram shows about this much on a phone anyway).
const MAX_LABEL_CHARS: usize = 64;

/// The Telegram face. Implements [`Responder`] for the poller.
pub struct TelegramFace {
    conversation: Conversation,
    bot_id: i64,
    /// The bot's username, without `@` (commands in groups must name it).
    username: String,
    /// For answering a callback query right away while its handling waits for the database.
    sender: Option<Sender>,
    answered_early: Arc<Mutex<HashSet<String>>>,
}

impl TelegramFace {
    pub fn new(
        conversation: Conversation,
        bot_id: i64,
        username: &str,
        sender: Option<Sender>,
    ) -> TelegramFace {
        TelegramFace {
            conversation,
            bot_id,
            username: username.trim_start_matches('@').to_owned(),
            sender,
            answered_early: Arc::default(),
        }
    }

    fn message_key(&self, message: &Message) -> Option<IdempotencyKey> {
        IdempotencyKey::parse(&format!("tg:{}:{}:{}", self.bot_id, message.chat.id.0, message.id.0)).ok()
    }

    fn query_key(&self, query: &CallbackQuery) -> Option<IdempotencyKey> {
        IdempotencyKey::parse(&format!("tg:{}:q{}", self.bot_id, query.id.0)).ok()
    }

    /// Runs one input through the conversation. A storage failure is returned: the poller tries
    /// the update again, and gives up on it with an apology after a few attempts.
    async fn converse(
        &self,
        turn: &dyn Turn,
        user: &User,
        input: Input,
        key: Option<IdempotencyKey>,
    ) -> Result<(Vec<Reply>, AfterCommit), RepositoryError> {
        let id = UserId(user.id.0 as i64);
        let mut request = Request::new(id, display_name(user), input);
        if let Some(key) = key {
            request = request.with_key(key);
        }
        // The update's own store: what the input changes commits with the update's record, and
        // the conversation's state moves on only then.
        let conversation = self.conversation.with_store(turn.store());
        let (replies, settle) = conversation.handle_unsettled(request).await.map_err(|failure| failure.0)?;
        let then: AfterCommit = Box::pin(async move { conversation.settle(settle).await });
        Ok((replies, then))
    }

    async fn on_message(&self, turn: &dyn Turn, message: &Message) -> Result<Response, RepositoryError> {
        let Some(user) = message.from.as_ref().filter(|u| !u.is_bot) else { return Ok(Response::Ignore) };
        let chat_id = message.chat.id.0;
        match &message.chat.kind {
            ChatKind::Private(_) => {}
            ChatKind::Public(_) if message.chat.is_group() || message.chat.is_supergroup() => {
                return self.in_group(turn, message, user).await;
            }
            ChatKind::Public(_) => return Ok(Response::Ignore),
        }
        if !matches!(message.kind, MessageKind::Common(_)) {
            // Service messages (pins, chat photo changes…).
            return Ok(Response::Ignore);
        }
        let Some(text) = message.text() else {
            let mut html = HtmlBuilder::default();
            html.text(
                "I can only read text and buttons. Send /start for the menu or /help to see what I do.",
            );
            return Ok(Response::answer(vec![Action::Send {
                chat_id,
                html: html.finish(),
                buttons: vec![],
                class: Class::Screen,
            }]));
        };
        let (replies, then) =
            self.converse(turn, user, Input::from_message(text), self.message_key(message)).await?;
        Ok(Response::Answer(render(chat_id, None, &replies), Some(then)))
    }

    /// In a group: the group's commands (`/log 5`, `/log@bot 5`), and the group becoming a
    /// supergroup. Commands for other bots (`/log@other_bot`) and plain messages are not ours.
    async fn in_group(
        &self,
        turn: &dyn Turn,
        message: &Message,
        user: &User,
    ) -> Result<Response, RepositoryError> {
        let group = GroupChatId(message.chat.id.0);
        if let Some(to) = message.migrate_to_chat_id() {
            let input = GroupInput::Migrated { from: group };
            return self.group_turn(turn, GroupChatId(to.0), message, user, input, None).await;
        }
        if let Some(from) = message.migrate_from_chat_id() {
            let input = GroupInput::Migrated { from: GroupChatId(from.0) };
            return self.group_turn(turn, group, message, user, input, None).await;
        }
        let Some(text) = message.text() else { return Ok(Response::Ignore) };
        let Input::Command { name, arg } = Input::from_message(text) else { return Ok(Response::Ignore) };
        let word = text.trim().split(char::is_whitespace).next().unwrap_or("");
        let addressed = match word.split_once('@') {
            Some((_, bot)) if bot.eq_ignore_ascii_case(&self.username) => true,
            Some(_) => return Ok(Response::Ignore),
            None => false,
        };
        // Without `@bot`, only our own command names: another bot in the group may own the rest.
        if !addressed && !GROUP_COMMANDS.contains(&name.as_str()) {
            return Ok(Response::Ignore);
        }
        let input = GroupInput::Command { name, arg };
        self.group_turn(turn, group, message, user, input, self.message_key(message)).await
    }

    /// Runs one group input and renders its answer in the group.
    async fn group_turn(
        &self,
        turn: &dyn Turn,
        group: GroupChatId,
        message: &Message,
        user: &User,
        input: GroupInput,
        key: Option<IdempotencyKey>,
    ) -> Result<Response, RepositoryError> {
        let answer = self.in_group_chat(turn, group, message.chat.title(), user, input, key).await?;
        Ok(Response::answer(render(group.0, None, &answer.replies)))
    }

    /// A press of a button on one of the bot's messages in a group.
    async fn group_press(
        &self,
        turn: &dyn Turn,
        query: &CallbackQuery,
        chat: &teloxide::types::Chat,
        data: &str,
    ) -> Result<Response, RepositoryError> {
        let group = chat.id.0;
        // Whether the presser administers the group is Telegram's to say: asked only for a
        // deletion by someone who may not be its creator.
        let deleting = matches!(
            ConversationAction::decode(data),
            Ok(ConversationAction::GroupDelete { .. } | ConversationAction::GroupDeleteConfirm { .. })
        );
        let admin = match (&self.sender, deleting) {
            (Some(sender), true) => sender.administers(group, query.from.id.0 as i64).await,
            _ => false,
        };
        let input = GroupInput::Button { payload: data.to_owned(), admin };
        let answer = self
            .in_group_chat(turn, GroupChatId(group), chat.title(), &query.from, input, self.query_key(query))
            .await?;
        let mut actions = vec![Action::Answer { query_id: query.id.0.clone(), text: answer.toast }];
        actions.extend(render(group, None, &answer.replies));
        Ok(Response::answer(actions))
    }

    /// The bot's membership of a group changed: added (a greeting), removed, or another change
    /// (made an admin) that says nothing.
    async fn membership(
        &self,
        turn: &dyn Turn,
        change: &teloxide::types::ChatMemberUpdated,
    ) -> Result<Response, RepositoryError> {
        if !(change.chat.is_group() || change.chat.is_supergroup()) {
            return Ok(Response::Ignore);
        }
        let (was, is) = (change.old_chat_member.kind.is_present(), change.new_chat_member.kind.is_present());
        let input = match (was, is) {
            (false, true) => GroupInput::Added,
            (true, false) => GroupInput::Removed,
            _ => return Ok(Response::Ignore),
        };
        let group = GroupChatId(change.chat.id.0);
        let answer = self.in_group_chat(turn, group, change.chat.title(), &change.from, input, None).await?;
        Ok(Response::answer(render(group.0, None, &answer.replies)))
    }

    /// Runs one group input through the conversation, on the update's store.
    async fn in_group_chat(
        &self,
        turn: &dyn Turn,
        group: GroupChatId,
        title: Option<&str>,
        user: &User,
        input: GroupInput,
        key: Option<IdempotencyKey>,
    ) -> Result<GroupAnswer, RepositoryError> {
        let request = GroupRequest {
            group,
            title: title.unwrap_or_default().to_owned(),
            user: UserId(user.id.0 as i64),
            name: display_name(user),
            input,
            idempotency_key: key,
        };
        self.conversation.with_store(turn.store()).group(request).await.map_err(|f| f.0)
    }

    async fn on_press(&self, turn: &dyn Turn, query: &CallbackQuery) -> Result<Response, RepositoryError> {
        let query_id = query.id.0.clone();
        let answer =
            |text: Option<&str>| Action::Answer { query_id: query_id.clone(), text: text.map(str::to_owned) };
        if let (Some(chat), Some(data)) = (query.message.as_ref().map(|m| m.chat()), query.data.as_deref())
            && (chat.is_group() || chat.is_supergroup())
        {
            return self.group_press(turn, query, chat, data).await;
        }
        let private_chat = query
            .message
            .as_ref()
            .map(|m| m.chat())
            .filter(|chat| chat.is_private() && chat.id.0 == query.from.id.0 as i64);
        let (Some(chat), Some(data)) = (private_chat, query.data.as_deref()) else {
            // Inline-mode messages, group messages, game buttons: nothing for the conversation.
            return Ok(Response::answer(vec![answer(Some("This button does not work here."))]));
        };
        // A picture's or a file's message has a caption, not a text to replace: answers to its
        // buttons come as new messages.
        let has_text = query
            .message
            .as_ref()
            .and_then(|m| m.regular_message())
            .is_none_or(|m| m.photo().is_none() && m.document().is_none());
        let message_id = query.message.as_ref().map(|m| m.id().0).filter(|_| has_text);
        let pressed = message_id.map(|id| (chat.id.0, id));
        // Telegram shows a spinner on the button until the query is answered: if handling is slow
        // (the database is struggling), answer it early and finish the handling anyway.
        let handling =
            self.converse(turn, &query.from, Input::Button(data.to_owned()), self.query_key(query));
        tokio::pin!(handling);
        let handled = tokio::select! {
            result = &mut handling => result,
            _ = tokio::time::sleep(EARLY_ANSWER_AFTER) => {
                self.answer_early(&query_id).await;
                handling.await
            }
        };
        match handled {
            Ok((replies, then)) => {
                let early = self.answered_early.lock().expect("lock").remove(&query_id);
                let mut actions = if early { Vec::new() } else { vec![answer(None)] };
                actions.extend(render(chat.id.0, pressed, &replies));
                Ok(Response::Answer(actions, Some(then)))
            }
            Err(e) => {
                // The press will be handled again later, but Telegram keeps the spinner only
                // briefly: answer it now.
                self.answer_early(&query_id).await;
                Err(e)
            }
        }
    }

    async fn answer_early(&self, query_id: &str) {
        let Some(sender) = &self.sender else { return };
        if !self.answered_early.lock().expect("lock").insert(query_id.to_owned()) {
            return;
        }
        let action = Action::Answer { query_id: query_id.to_owned(), text: Some("One moment…".into()) };
        let give_up = CancellationToken::new();
        let cancel = give_up.clone();
        let sender = sender.clone();
        tokio::spawn(async move {
            let timer = tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(10)).await;
                cancel.cancel();
            });
            let _ = sender.perform(&action, &give_up).await;
            timer.abort();
        });
    }
}

#[async_trait]
impl Responder for TelegramFace {
    async fn respond(
        &self,
        turn: &dyn Turn,
        update_id: i64,
        update: &Update,
    ) -> Result<Response, RepositoryError> {
        match &update.kind {
            UpdateKind::Message(message) => self.on_message(turn, message).await,
            UpdateKind::CallbackQuery(query) => self.on_press(turn, query).await,
            UpdateKind::MyChatMember(change) => {
                tracing::info!(
                    update_id,
                    chat = change.chat.id.0,
                    status = ?change.new_chat_member.kind,
                    "the bot's membership changed"
                );
                self.membership(turn, change).await
            }
            _ => {
                tracing::debug!(update_id, "update ignored");
                Ok(Response::Ignore)
            }
        }
    }

    async fn due(&self, job: &dyn Turn) -> Result<(Vec<Action>, bool), RepositoryError> {
        let conversation = self.conversation.with_store(job.store());
        let now = conversation.app().now();
        let work = conversation.due_work(now).await.map_err(|failure| failure.0)?;
        if work.people > 0 || work.summarized > 0 {
            tracing::info!(
                people = work.people,
                messages = work.replies.len(),
                summarized = work.summarized,
                "due work"
            );
        }
        // Every message is news for its person (the chat is theirs, not this one's), and due
        // work: it waits apart from people's news, also after a restart.
        let mut actions = render(0, None, &work.replies);
        actions.iter_mut().for_each(Action::mark_due);
        Ok((actions, work.more))
    }

    async fn blocked(&self, user: i64) {
        let user = UserId(user);
        match self.conversation.app().pause_reminders(user).await {
            Ok(()) => tracing::info!(user = user.0, "the person blocked the bot: reminders paused"),
            Err(e) => tracing::warn!(user = user.0, error = %e, "could not pause reminders"),
        }
        self.conversation.forget_person(user).await;
    }

    async fn apologize(&self, update: &Update) -> (Vec<Action>, Option<AfterCommit>) {
        let Some(user) = update.from() else { return (Vec::new(), None) };
        let user_id = UserId(user.id.0 as i64);
        let mut actions = Vec::new();
        let chat = match &update.kind {
            UpdateKind::CallbackQuery(query) => {
                if !self.answered_early.lock().expect("lock").remove(&query.id.0) {
                    actions.push(Action::Answer { query_id: query.id.0.clone(), text: None });
                }
                query.message.as_ref().map(|m| m.chat()).filter(|c| c.is_private()).map(|c| c.id.0)
            }
            UpdateKind::Message(message) if message.chat.is_private() => Some(message.chat.id.0),
            _ => None,
        };
        let Some(chat) = chat else { return (actions, None) };
        actions.extend(render(chat, None, &[apology()]));
        let conversation = self.conversation.clone();
        let then: AfterCommit =
            Box::pin(async move { conversation.settle(Settle::main_menu(user_id)).await });
        (actions, Some(then))
    }
}

/// The name shown for a Telegram user: first and last name, else the username.
pub fn display_name(user: &User) -> DisplayName {
    let id = UserId(user.id.0 as i64);
    let full = match &user.last_name {
        Some(last) => format!("{} {last}", user.first_name),
        None => user.first_name.clone(),
    };
    if DisplayName::is_usable(&full) {
        return DisplayName::sanitize(&full, id);
    }
    match &user.username {
        Some(username) => DisplayName::sanitize(username, id),
        None => DisplayName::fallback(id),
    }
}

/// Renders replies as Bot API calls. The reply that replaces the pressed message (if any, and if
/// there is one to replace) becomes an edit; the others new messages.
pub fn render(chat_id: i64, pressed: Option<(i64, i32)>, replies: &[Reply]) -> Vec<Action> {
    replies
        .iter()
        .map(|reply| {
            let private = match &reply.kind {
                ReplyKind::News { to } => to.0 > 0,
                ReplyKind::GroupPost { .. } | ReplyKind::Announcement(_) => false,
                _ => chat_id > 0,
            };
            let buttons = keyboard(reply, private);
            let class = match &reply.kind {
                ReplyKind::Screen => Class::Screen,
                ReplyKind::Effect(summary) => Class::Effect { summary: summary.clone() },
                ReplyKind::Notice => Class::Notice,
                // News goes to the other person's private chat (its id is theirs), as a new
                // message.
                ReplyKind::News { to } => {
                    return Action::Send { chat_id: to.0, html: html_of(reply), buttons, class: Class::NEWS };
                }
                // A new group challenge's message goes to its group, as a new message.
                ReplyKind::GroupPost { group } => {
                    return Action::Send {
                        chat_id: group.0,
                        html: html_of(reply),
                        buttons,
                        class: Class::Notice,
                    };
                }
                ReplyKind::Announcement(a) => {
                    let class = Class::Announcement {
                        key: a.key.clone(),
                        prefix: html_of_text(&a.prefix, MAX_TEXT_UNITS),
                        subject: html_of_text(&a.subject, MAX_TEXT_UNITS),
                        predicate: html_of_text(&a.predicate, MAX_TEXT_UNITS),
                    };
                    return Action::Send { chat_id: a.group.0, html: html_of(reply), buttons, class };
                }
            };
            if let Some(attachment) = &reply.attachment {
                let caption = html_within(reply, MAX_CAPTION_UNITS);
                return Action::Upload { chat_id, file: file_spec(attachment), caption, buttons, class };
            }
            let html = html_of(reply);
            match (reply.mode, pressed) {
                (ReplyMode::EditOriginal, Some((chat_id, message_id))) => {
                    Action::Edit { chat_id, message_id, html, buttons, class }
                }
                _ => Action::Send { chat_id, html, buttons, class },
            }
        })
        .collect()
}

/// What a file sent with a reply is, for the outbox.
fn file_spec(attachment: &Attachment) -> FileSpec {
    match *attachment {
        Attachment::Chart { challenge, viewer, personal } => {
            FileSpec::Chart { challenge: challenge.0, viewer: viewer.0, personal }
        }
        Attachment::Export { user, challenge } => {
            FileSpec::Export { user: user.0, challenge: challenge.map(|c| c.0) }
        }
    }
}

/// A reply's text as escaped HTML within Telegram's limit.
pub fn html_of(reply: &Reply) -> String {
    html_within(reply, MAX_TEXT_UNITS)
}

/// A reply's text as escaped HTML of at most `budget` visible UTF-16 code units.
fn html_within(reply: &Reply, budget: usize) -> String {
    html_of_text(&reply.text, budget)
}

/// A text as escaped HTML of at most `budget` visible UTF-16 code units.
fn html_of_text(text: &Text, budget: usize) -> String {
    let mut html = HtmlBuilder::new(budget);
    for span in &text.spans {
        match span {
            Span::Plain(text) => html.text(text),
            Span::Bold(text) => html.tag("b", text),
            Span::Italic(text) => html.tag("i", text),
            Span::Code(text) => html.tag("code", text),
            Span::User { text, bold: true } => html.tag("b", text),
            Span::User { text, bold: false } => html.text(text),
        };
    }
    html.finish()
}

fn keyboard(reply: &Reply, private: bool) -> Vec<Vec<Button>> {
    let link = reply.link.as_ref().map(|link| {
        vec![Button {
            text: shorten(link.label.trim(), MAX_LABEL_CHARS),
            data: String::new(),
            url: Some(link.url.clone()),
            web_app: None,
        }]
    });
    // Telegram refuses a Mini App button anywhere but a private chat.
    let web_app = reply.web_app.as_ref().filter(|_| private).map(|app| {
        vec![Button {
            text: shorten(app.label.trim(), MAX_LABEL_CHARS),
            data: String::new(),
            url: None,
            web_app: Some(app.url.clone()),
        }]
    });
    link.into_iter().chain(keyboard_rows(reply)).chain(web_app).collect()
}

fn keyboard_rows(reply: &Reply) -> Vec<Vec<Button>> {
    reply
        .buttons
        .iter()
        .map(|row| {
            row.iter()
                .filter(|b| {
                    let fits = !b.payload.is_empty() && b.payload.len() <= MAX_PAYLOAD_BYTES;
                    if !fits {
                        tracing::error!(
                            bytes = b.payload.len(),
                            "a button payload does not fit callback data; dropped"
                        );
                    }
                    fits
                })
                .map(|b| {
                    let label = shorten(b.label.trim(), MAX_LABEL_CHARS);
                    Button {
                        text: if label.is_empty() { "…".into() } else { label },
                        data: b.payload.clone(),
                        url: None,
                        web_app: None,
                    }
                })
                .collect::<Vec<_>>()
        })
        .filter(|row| !row.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::conversation::{Button as ReplyButton, LinkButton, Text};

    #[test]
    fn replies_render_as_escaped_html_with_safe_buttons() {
        let mut reply = Reply::new(
            Text::new()
                .plain("Joined ")
                .user_bold("<b>Tom & Jerry")
                .plain(" — ")
                .italic("well done")
                .code("[##  ]"),
        );
        reply.buttons = vec![
            vec![
                ReplyButton { label: "Open <it>".into(), payload: "v1:o:1:0".into() },
                ReplyButton { label: "Too long".into(), payload: "x".repeat(65) },
            ],
            vec![ReplyButton { label: "Forged".into(), payload: "y".repeat(65) }],
        ];
        reply.mode = ReplyMode::EditOriginal;
        let actions = render(7, Some((7, 42)), std::slice::from_ref(&reply));
        assert_eq!(
            actions,
            vec![Action::Edit {
                chat_id: 7,
                message_id: 42,
                html: "Joined <b>&lt;b&gt;Tom &amp; Jerry</b> — <i>well done</i><code>[##  ]</code>".into(),
                buttons: vec![vec![Button {
                    text: "Open <it>".into(),
                    data: "v1:o:1:0".into(),
                    url: None,
                    web_app: None
                }]],
                class: Class::Screen,
            }]
        );
        // Without a pressed message, an "edit" is a new message.
        assert!(matches!(render(7, None, &[reply])[0], Action::Send { .. }));
    }

    #[test]
    fn the_dashboard_button_opens_the_mini_app_in_private_chats_only() {
        let mut reply = Reply::new(Text::new().plain("What would you like to do?"));
        reply.buttons = vec![vec![ReplyButton { label: "My challenges".into(), payload: "v1:m:0".into() }]];
        reply.web_app =
            Some(LinkButton { label: "🗂 Open dashboard".into(), url: "https://x.org/app".into() });
        let Action::Send { buttons, .. } = &render(7, None, std::slice::from_ref(&reply))[0] else {
            panic!("a new message")
        };
        assert_eq!(buttons.len(), 2, "below the other buttons: {buttons:?}");
        assert_eq!(buttons[1][0].web_app.as_deref(), Some("https://x.org/app"));
        assert_eq!(buttons[1][0].url, None);
        // A group's chat (negative id) gets no such button: Telegram would refuse the message.
        let Action::Send { buttons, .. } = &render(-100, None, &[reply])[0] else { panic!("a new message") };
        assert!(buttons.iter().flatten().all(|b| b.web_app.is_none()), "{buttons:?}");
    }

    #[test]
    fn display_names_come_from_the_profile() {
        let user = |first: &str, last: Option<&str>, username: Option<&str>| User {
            id: teloxide::types::UserId(5),
            is_bot: false,
            first_name: first.into(),
            last_name: last.map(Into::into),
            username: username.map(Into::into),
            language_code: None,
            is_premium: false,
            added_to_attachment_menu: false,
        };
        assert_eq!(display_name(&user("Ann", Some("Lee"), Some("ann"))).as_str(), "Ann Lee");
        assert_eq!(display_name(&user(" ", None, Some("ann"))).as_str(), "ann");
        assert_eq!(display_name(&user("", None, None)).as_str(), "User 5");
        assert_eq!(
            display_name(&user("\u{200B}", None, Some("ann"))).as_str(),
            "ann",
            "invisible names fall back"
        );
    }
}
