//! What the conversation answers, independent of any protocol: text made of styled spans, rows of
//! buttons, and whether the answer replaces the message whose button was pressed.

use std::borrow::Cow;
use std::fmt;

use crate::challenge::GroupChatId;
use crate::handler::media::Attachment;
use crate::user::UserId;

/// One run of text with one style.
///
/// The conversation never embeds markup in strings: each protocol renders the styles its own way
/// (HTML for Telegram, plain text in the terminal) and escapes every span. Text that came from
/// people (challenge names, descriptions, display names, units) is always a [`Span::User`], so a
/// protocol can tell it apart, e.g. to escape or shorten it; its content is shown exactly as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    Plain(Cow<'static, str>),
    Bold(Cow<'static, str>),
    Italic(Cow<'static, str>),
    /// Monospace (figures and progress bars, so that they line up).
    Code(Cow<'static, str>),
    /// Text a person typed; `bold` when it serves as a heading (a challenge's name).
    User {
        text: String,
        bold: bool,
    },
}

impl Span {
    /// The characters of the span, without any styling.
    pub fn as_str(&self) -> &str {
        match self {
            Span::Plain(s) | Span::Bold(s) | Span::Italic(s) | Span::Code(s) => s,
            Span::User { text, .. } => text,
        }
    }
}

/// A message's text: spans in order. Line breaks are `\n` inside spans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    pub spans: Vec<Span>,
}

impl Text {
    pub fn new() -> Text {
        Text { spans: Vec::with_capacity(8) }
    }

    pub fn plain(mut self, s: impl Into<Cow<'static, str>>) -> Text {
        self.spans.push(Span::Plain(s.into()));
        self
    }

    pub fn bold(mut self, s: impl Into<Cow<'static, str>>) -> Text {
        self.spans.push(Span::Bold(s.into()));
        self
    }

    pub fn italic(mut self, s: impl Into<Cow<'static, str>>) -> Text {
        self.spans.push(Span::Italic(s.into()));
        self
    }

    pub fn code(mut self, s: impl Into<Cow<'static, str>>) -> Text {
        self.spans.push(Span::Code(s.into()));
        self
    }

    /// Text a person typed, shown as typed.
    pub fn user(mut self, s: impl Into<String>) -> Text {
        self.spans.push(Span::User { text: s.into(), bold: false });
        self
    }

    /// Text a person typed, emphasised (a heading such as a challenge's name).
    pub fn user_bold(mut self, s: impl Into<String>) -> Text {
        self.spans.push(Span::User { text: s.into(), bold: true });
        self
    }

    pub fn newline(self) -> Text {
        self.plain("\n")
    }

    /// Appends another text's spans.
    pub fn append(mut self, other: Text) -> Text {
        self.spans.extend(other.spans);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.spans.iter().all(|s| s.as_str().is_empty())
    }

    /// The characters of the whole text without styling (the terminal's rendering, and handy in
    /// tests).
    pub fn to_plain(&self) -> String {
        let mut out = String::with_capacity(self.spans.iter().map(|s| s.as_str().len()).sum());
        for span in &self.spans {
            out.push_str(span.as_str());
        }
        out
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for span in &self.spans {
            f.write_str(span.as_str())?;
        }
        Ok(())
    }
}

/// A button: a label to show and the payload that comes back when it is pressed (at most
/// [`crate::handler::conversation::MAX_PAYLOAD_BYTES`] bytes, so it fits Telegram's callback data).
/// Labels are plain text (no markup); they may contain user-supplied names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub payload: String,
}

/// A button that opens a web address instead of coming back (Telegram's share dialog). Shown
/// above the other buttons; the terminal prints its address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkButton {
    pub label: String,
    pub url: String,
}

/// Where a reply goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// Replace the message whose button was pressed (Telegram: `editMessageText`). Only ever set
    /// on the first reply to a button press.
    EditOriginal,
    /// Send a new message.
    New,
}

/// What a typed answer to this reply should be, if one is expected. A hint for protocols (the
/// terminal numbers buttons differently when a number is expected; Telegram may show a
/// placeholder); the conversation accepts buttons and commands whatever it says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Nothing typed is expected: choose a button.
    Choice,
    /// Free text (a name, a description).
    Text,
    /// A number (a goal, an amount).
    Number,
    /// A date (see `crate::clock::parse_date`).
    Date,
    /// A choice, but a typed number is read as progress (the main menu, a challenge's screen).
    Progress,
}

/// What a reply is to the person, for a protocol that cannot send everything at once (the bot,
/// whose answers to one chat are paced): a screen may be replaced by a later one, the
/// confirmation of something saved must reach the person, if need be in a summary.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum ReplyKind {
    /// A menu, a screen or a question: a later screen supersedes it.
    #[default]
    Screen,
    /// The confirmation of something saved, in one plain line for a summary ("Logged 5 km
    /// for 2026-03-01 in Run").
    Effect(String),
    /// Anything else (an apology, a warning): delivered as it is.
    Notice,
    /// News for someone else (`to`, in their private chat): sent at the bulk pace, never ahead
    /// of answers to people's own actions.
    News { to: UserId },
    /// A message in a group that someone's action in their private chat made (a new group
    /// challenge's message with its Join button): delivered as it is.
    GroupPost { group: GroupChatId },
    /// One line of news for a group ("Ann joined Run"): bulk, and batched with the group's other
    /// lines waiting, to stay within Telegram's messages per minute per group.
    Announcement(Announcement),
}

/// A line of a group's news, in parts, so that lines of the same kind merge when they are sent
/// together: `prefix` + subjects + `predicate`, as in "👋 " + "Ann and Bob" + " joined Run.".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    pub group: GroupChatId,
    /// Lines with the same key merge (e.g. `join:12`: joins of challenge 12).
    pub key: String,
    pub prefix: Text,
    /// Who it is about (a display name).
    pub subject: Text,
    pub predicate: Text,
}

/// One message of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub text: Text,
    /// Rows of buttons, top to bottom.
    pub buttons: Vec<Vec<Button>>,
    pub mode: ReplyMode,
    pub expects: Expect,
    pub kind: ReplyKind,
    /// A file sent with the reply (a chart, an export), made when it is delivered; the text is
    /// then its caption (at most 1024 characters on Telegram). Such a reply is always a new
    /// message: a picture cannot replace a text.
    pub attachment: Option<Attachment>,
    /// A button that opens an address, above the others.
    pub link: Option<LinkButton>,
    /// A button that opens the dashboard (a Telegram Mini App), below the others. Telegram
    /// shows it in private chats only; the terminal has no use for it.
    pub web_app: Option<LinkButton>,
}

impl Reply {
    /// A new message expecting a button (the mode is settled by the conversation).
    pub fn new(text: Text) -> Reply {
        Reply {
            text,
            buttons: Vec::new(),
            mode: ReplyMode::New,
            expects: Expect::Choice,
            kind: ReplyKind::Screen,
            attachment: None,
            link: None,
            web_app: None,
        }
    }

    /// Adds a button that opens `url`.
    pub fn link(mut self, label: impl Into<String>, url: impl Into<String>) -> Reply {
        self.link = Some(LinkButton { label: label.into(), url: url.into() });
        self
    }

    /// Sends `attachment` with the reply, whose text becomes its caption. A chart is a screen
    /// (a later screen may supersede it in a flood); an export is a notice, always delivered.
    pub fn attach(mut self, attachment: Attachment) -> Reply {
        self.kind = match attachment {
            Attachment::Chart { .. } => ReplyKind::Screen,
            Attachment::Export { .. } => ReplyKind::Notice,
        };
        self.attachment = Some(attachment);
        self
    }

    /// Marks the reply as the confirmation of something saved, summed up in `summary`.
    pub fn effect(mut self, summary: impl Into<String>) -> Reply {
        self.kind = ReplyKind::Effect(summary.into());
        self
    }

    /// Makes the reply news for `to`'s private chat.
    pub fn news_for(mut self, to: UserId) -> Reply {
        self.kind = ReplyKind::News { to };
        self
    }

    /// The person a news reply is for (none: the reply answers the one who wrote).
    pub fn news_recipient(&self) -> Option<UserId> {
        match self.kind {
            ReplyKind::News { to } => Some(to),
            _ => None,
        }
    }

    /// Whether the reply is for someone other than the person who acted (news, a group's
    /// message): it answers nothing of theirs.
    pub fn is_for_others(&self) -> bool {
        matches!(self.kind, ReplyKind::News { .. } | ReplyKind::GroupPost { .. } | ReplyKind::Announcement(_))
    }

    /// A line of news for a group.
    pub fn announcement(announcement: Announcement) -> Reply {
        let text = announcement
            .prefix
            .clone()
            .append(announcement.subject.clone())
            .append(announcement.predicate.clone());
        let mut reply = Reply::new(text);
        reply.kind = ReplyKind::Announcement(announcement);
        reply
    }

    /// Makes the reply a message in `group`.
    pub fn in_group(mut self, group: GroupChatId) -> Reply {
        self.kind = ReplyKind::GroupPost { group };
        self
    }

    /// Marks the reply as a notice, never superseded.
    pub fn notice(mut self) -> Reply {
        self.kind = ReplyKind::Notice;
        self
    }

    pub fn row(mut self, row: Vec<Button>) -> Reply {
        if !row.is_empty() {
            self.buttons.push(row);
        }
        self
    }

    pub fn expecting(mut self, expects: Expect) -> Reply {
        self.expects = expects;
        self
    }

    /// Every button, row by row.
    pub fn all_buttons(&self) -> impl Iterator<Item = &Button> {
        self.buttons.iter().flatten()
    }

    /// The button with this label, if any.
    pub fn button(&self, label: &str) -> Option<&Button> {
        self.all_buttons().find(|b| b.label == label)
    }
}
