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
    /// bulk pace, never ahead of answers to people's own actions.
    News,
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
    pub fn is_screen(&self) -> bool {
        *self == Class::Screen
    }
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
    fn actions_stored_before_classes_existed_still_read() {
        let old = r#"{"op":"send","chat_id":7,"html":"hi"}"#;
        assert_eq!(
            decode(old).unwrap(),
            Action::Send { chat_id: 7, html: "hi".into(), buttons: vec![], class: Class::Screen }
        );
    }
}
