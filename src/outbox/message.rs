//! What the outbox holds: one Bot API call each, ready to perform.

use serde::{Deserialize, Serialize};

/// One button of an inline keyboard: its label and its callback data (at most 64 bytes), or the
/// address it opens (`url`, then `data` is empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub text: String,
    pub data: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Opens this address as a Mini App (Telegram allows it in private chats only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_app: Option<String>,
}

/// What a message is to the person who gets it, which decides what may happen to it when a
/// chat's backlog overflows (see `protocol::bot::dispatch`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Class {
    /// A menu, a screen or a question: a later screen in the same chat supersedes it, so an
    /// older one may be dropped unsent.
    #[default]
    Screen,
    /// The confirmation of something that was saved (progress logged, a goal changed, a goal
    /// reached): never dropped, but several may be merged into one summary, one `summary` line
    /// each (plain text).
    Effect { summary: String },
    /// Anything else: sent as it is.
    Notice,
    /// News for someone about the others (a join, a pass, a goal met): sent as it is, at the
    /// bulk pace, never ahead of answers to people's own actions. `due` marks the bot's own due
    /// work for the person (a reminder, a challenge's summary), which the bulk lane keeps in a
    /// queue of its own so that people's news cannot hold it back; stored with the message, so
    /// that this holds after a restart too. Stored only when set: a version before the marker
    /// reads such a message as plain news.
    News {
        #[serde(default, skip_serializing_if = "is_false")]
        due: bool,
    },
    /// A line of a group's news, in HTML parts: the group's lines waiting together are sent as
    /// one message, those of the same `key` merged into one line (`prefix`, the subjects
    /// joined, `predicate`: "👋 Ann and Bob joined Run."). Bulk, like news.
    Announcement { key: String, prefix: String, subject: String, predicate: String },
}

/// One Bot API call. Texts are HTML, already escaped and cut to size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Action {
    /// `answerCallbackQuery`, optionally with a short notification text. Not a chat message:
    /// it is performed at once, never paced behind a chat's messages.
    Answer {
        query_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    /// `sendMessage` in HTML parse mode.
    Send {
        chat_id: i64,
        html: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buttons: Vec<Vec<Button>>,
        #[serde(default, skip_serializing_if = "Class::is_screen")]
        class: Class,
    },
    /// `editMessageText` of a message the bot sent (a new message if it can no longer be edited).
    Edit {
        chat_id: i64,
        message_id: i32,
        html: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buttons: Vec<Vec<Button>>,
        #[serde(default, skip_serializing_if = "Class::is_screen")]
        class: Class,
    },
    /// `sendPhoto` or `sendDocument` of a file made at sending time, with an HTML caption.
    Upload {
        chat_id: i64,
        file: FileSpec,
        caption: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        buttons: Vec<Vec<Button>>,
        #[serde(default, skip_serializing_if = "Class::is_screen")]
        class: Class,
    },
}

/// The file an [`Action::Upload`] sends, made when it is sent (from the store as it is then).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "of", rename_all = "snake_case")]
pub enum FileSpec {
    /// A challenge's chart as `viewer` sees it (`sendPhoto`).
    Chart { challenge: i64, viewer: i64, personal: bool },
    /// Entries as CSV (`sendDocument`): `user`'s own, or everyone's in `challenge`.
    Export {
        user: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        challenge: Option<i64>,
    },
}

impl Class {
    /// People's news (not due work).
    pub const NEWS: Class = Class::News { due: false };
    /// The bot's own due work for a person.
    pub const DUE: Class = Class::News { due: true };

    pub fn is_screen(&self) -> bool {
        *self == Class::Screen
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl Action {
    /// The chat a message goes to (callback answers go to no chat).
    pub fn chat(&self) -> Option<i64> {
        match self {
            Action::Answer { .. } => None,
            Action::Send { chat_id, .. } | Action::Edit { chat_id, .. } | Action::Upload { chat_id, .. } => {
                Some(*chat_id)
            }
        }
    }

    /// Sends the message to another chat (a group's new id once it became a supergroup).
    pub fn retarget(&mut self, to: i64) {
        match self {
            Action::Answer { .. } => {}
            Action::Send { chat_id, .. } | Action::Edit { chat_id, .. } | Action::Upload { chat_id, .. } => {
                *chat_id = to;
            }
        }
    }

    /// What the message is to its reader (callback answers are notices).
    pub fn class(&self) -> &Class {
        static NOTICE: Class = Class::Notice;
        match self {
            Action::Answer { .. } => &NOTICE,
            Action::Send { class, .. } | Action::Edit { class, .. } | Action::Upload { class, .. } => class,
        }
    }

    /// Marks news as the bot's own due work (a reminder, a summary); other messages stay as
    /// they are.
    pub fn mark_due(&mut self) {
        if let Action::Send { class, .. } | Action::Edit { class, .. } | Action::Upload { class, .. } = self
            && *class == Class::NEWS
        {
            *class = Class::DUE;
        }
    }

    /// Whether performing it twice would show the person something twice (callback answers expire
    /// and are harmless to repeat; messages are not).
    pub fn is_visible(&self) -> bool {
        !matches!(self, Action::Answer { .. })
    }
}

/// Serializes an action for storage.
pub fn encode(action: &Action) -> String {
    serde_json::to_string(action).expect("actions serialize")
}

/// Reads a stored action back.
pub fn decode(text: &str) -> Result<Action, serde_json::Error> {
    serde_json::from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_through_json() {
        let actions = vec![
            Action::Answer { query_id: "q1".into(), text: None },
            Action::Edit {
                chat_id: 7,
                message_id: 3,
                html: "<b>x</b>".into(),
                buttons: vec![vec![Button {
                    text: "A".into(),
                    data: "v1:a".into(),
                    url: None,
                    web_app: None,
                }]],
                class: Class::Screen,
            },
            Action::Send {
                chat_id: 7,
                html: "hi".into(),
                buttons: vec![],
                class: Class::Effect { summary: "Logged 5 km".into() },
            },
            Action::Upload {
                chat_id: 7,
                file: FileSpec::Chart { challenge: 3, viewer: 7, personal: true },
                caption: "📈".into(),
                buttons: vec![],
                class: Class::Notice,
            },
            Action::Upload {
                chat_id: 7,
                file: FileSpec::Export { user: 7, challenge: None },
                caption: "📄".into(),
                buttons: vec![],
                class: Class::Notice,
            },
        ];
        for action in &actions {
            assert_eq!(&decode(&encode(action)).unwrap(), action);
        }
        assert!(encode(&actions[0]).contains(r#""op":"answer""#));
    }

    #[test]
    fn due_work_is_marked_in_storage_and_reads_as_news_to_a_version_before_the_marker() {
        let mut reminder =
            Action::Send { chat_id: 7, html: "Time to log".into(), buttons: vec![], class: Class::NEWS };
        let plain = encode(&reminder);
        assert!(plain.contains(r#""class":{"kind":"news"}"#), "{plain}");
        reminder.mark_due();
        assert_eq!(reminder.class(), &Class::DUE);
        let stored = encode(&reminder);
        assert!(stored.contains(r#""class":{"kind":"news","due":true}"#), "{stored}");
        assert_eq!(decode(&stored).unwrap(), reminder);
        assert_eq!(decode(&plain).unwrap().class(), &Class::NEWS, "news stored before reads as news");
        // The class as versions before the marker had it: a downgrade still reads the message.
        #[derive(Debug, PartialEq, Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum ClassBefore {
            Screen,
            Effect { summary: String },
            Notice,
            News,
            Announcement { key: String, prefix: String, subject: String, predicate: String },
        }
        let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
        let before: ClassBefore = serde_json::from_value(value["class"].clone()).unwrap();
        assert_eq!(before, ClassBefore::News);
        // Only news is due work.
        let mut screen =
            Action::Send { chat_id: 7, html: "Menu".into(), buttons: vec![], class: Class::Screen };
        screen.mark_due();
        assert_eq!(screen.class(), &Class::Screen);
    }

    #[test]
    fn actions_stored_before_classes_existed_still_read() {
        let old = r#"{"op":"send","chat_id":7,"html":"hi"}"#;
        assert_eq!(
            decode(old).unwrap(),
            Action::Send { chat_id: 7, html: "hi".into(), buttons: vec![], class: Class::Screen }
        );
    }
}
