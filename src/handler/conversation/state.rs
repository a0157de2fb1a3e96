//! Where each user is in the conversation: the states of the design document and their data.
//!
//! A state is either a [`Screen`] (a menu or a list, shown afresh from the database when it is
//! needed again) or a [`Question`] waiting for an answer (which can always be asked again:
//! [`super::question`]). Keeping the two apart in the type means "ask the question again" needs
//! no "this state has a question" invariant.

use chrono::NaiveDate;
use serde::Serialize;

use crate::amount::Amount;
use crate::challenge::{ChallengeId, ChallengeName, Description, GroupChatId, Unit};
use crate::goal::GoalKind;

/// A user's conversation state, as kept in the state cache under `"<user_id>_state"`.
///
/// Serialises as the design document shows: `{"state": "ADD_PROGRESS_DATE", "challengeID": 1, …}`.
/// `MAIN_INIT` is never stored: a missing key means the main menu.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum State {
    Screen(Screen),
    Question(Question),
}

/// Menus and lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum Screen {
    /// The main menu (or no state at all).
    MainInit,
    /// Browsing the active public challenges the user has not joined; with `search`, those whose
    /// name contains what they typed.
    JoinChallengeAvailable {
        page: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        search: Option<String>,
    },
    /// Browsing the user's challenges.
    ViewChallengeJoined { page: u32 },
    /// Looking at one of the user's challenges (its options, leaderboard or undo question).
    ViewChallengeOptions {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        page: u32,
    },
    /// Browsing the user's ended challenges and their final standings.
    ViewChallengeEnded { page: u32 },
    /// Browsing the user's entries in a challenge (or one entry's options).
    ViewChallengeHistory {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        page: u32,
    },
}

/// Questions waiting for a typed answer (or one of their buttons).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum Question {
    /// Asked "What is your goal?" for a challenge to join.
    JoinChallengeGoal {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        kind: GoalKind,
        unit: Option<Unit>,
        default_goal: Amount,
        /// The page of the list it was picked from (for Back); none when it came by invite link
        /// (Back is then the main menu).
        page: Option<u32>,
    },
    /// Asked "How much?".
    AddProgress {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        unit: Option<Unit>,
        start: NaiveDate,
    },
    /// Asked which day the value (or check-in, `None`) is for.
    AddProgressDate {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        value: Option<Amount>,
        unit: Option<Unit>,
        start: NaiveDate,
    },
    /// Asked to type the day.
    AddProgressDateInput {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        value: Option<Amount>,
        unit: Option<Unit>,
        start: NaiveDate,
    },
    /// Asked for a new goal.
    UpsertGoal {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        kind: GoalKind,
        unit: Option<Unit>,
        current: Amount,
    },
    /// Asked for an entry's new value.
    EditEntryValue {
        #[serde(rename = "entryID")]
        entry: i64,
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        unit: Option<Unit>,
    },
    /// Asked for an entry's new date (from `first` to `last`, both included).
    EditEntryDate {
        #[serde(rename = "entryID")]
        entry: i64,
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        first: NaiveDate,
        last: NaiveDate,
    },
    /// The creator was asked for a new name.
    EditChallengeName {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
    },
    /// The creator was asked for a new description.
    EditChallengeDescription {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
    },
    /// The creator was asked for a new deadline.
    EditChallengeDeadline {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        deadline: NaiveDate,
    },
    /// Asked for today's number after a one-tap log.
    LogToday {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        kind: GoalKind,
        unit: Option<Unit>,
    },
    /// Asked to type a time zone or a city.
    TimeZone,
    /// Asked to type the hour of the daily reminder.
    ReminderTime,
    /// A typed number waits for the challenge it is for.
    LogWhich { value: Amount, unit: Option<String>, date: Option<NaiveDate> },
    /// Asked for the new challenge's name. Each question of the create flow carries the group
    /// the challenge is for, when it was started from a group's link.
    CreateChallengeName {
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<GroupChatId>,
    },
    /// Asked for its description.
    CreateChallengeDetail {
        name: ChallengeName,
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<GroupChatId>,
    },
    /// Asked for its deadline.
    CreateChallengeDate {
        name: ChallengeName,
        description: Description,
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<GroupChatId>,
    },
    /// Asked for its goal: the kind first (`None` until chosen), then the number and unit.
    CreateChallengeGoal {
        name: ChallengeName,
        description: Description,
        deadline: NaiveDate,
        kind: Option<GoalKind>,
        #[serde(skip_serializing_if = "Option::is_none")]
        group: Option<GroupChatId>,
    },
}

impl State {
    pub const MAIN: State = State::Screen(Screen::MainInit);

    /// The state's name as in the design document, e.g. `ADD_PROGRESS_DATE`.
    pub fn name(&self) -> &'static str {
        match self {
            State::Screen(Screen::MainInit) => "MAIN_INIT",
            State::Screen(Screen::JoinChallengeAvailable { .. }) => "JOIN_CHALLENGE_AVAILABLE",
            State::Screen(Screen::ViewChallengeJoined { .. }) => "VIEW_CHALLENGE_JOINED",
            State::Screen(Screen::ViewChallengeOptions { .. }) => "VIEW_CHALLENGE_OPTIONS",
            State::Screen(Screen::ViewChallengeEnded { .. }) => "VIEW_CHALLENGE_ENDED",
            State::Screen(Screen::ViewChallengeHistory { .. }) => "VIEW_CHALLENGE_HISTORY",
            State::Question(q) => q.name(),
        }
    }

    /// The question waiting for an answer, if the state is one.
    pub fn question(&self) -> Option<&Question> {
        match self {
            State::Question(q) => Some(q),
            State::Screen(_) => None,
        }
    }

    /// Whether the state is a question waiting for an answer (as opposed to a menu or a list).
    pub fn is_question(&self) -> bool {
        self.question().is_some()
    }
}

impl Question {
    pub fn name(&self) -> &'static str {
        match self {
            Question::JoinChallengeGoal { .. } => "JOIN_CHALLENGE_GOAL",
            Question::AddProgress { .. } => "ADD_PROGRESS",
            Question::AddProgressDate { .. } => "ADD_PROGRESS_DATE",
            Question::AddProgressDateInput { .. } => "ADD_PROGRESS_DATE_INPUT",
            Question::UpsertGoal { .. } => "UPSERT_GOAL",
            Question::LogToday { .. } => "LOG_TODAY",
            Question::LogWhich { .. } => "LOG_WHICH",
            Question::TimeZone => "TIME_ZONE",
            Question::ReminderTime => "REMINDER_TIME",
            Question::EditEntryValue { .. } => "EDIT_ENTRY_VALUE",
            Question::EditEntryDate { .. } => "EDIT_ENTRY_DATE",
            Question::EditChallengeName { .. } => "EDIT_CHALLENGE_NAME",
            Question::EditChallengeDescription { .. } => "EDIT_CHALLENGE_DESCRIPTION",
            Question::EditChallengeDeadline { .. } => "EDIT_CHALLENGE_DEADLINE",
            Question::CreateChallengeName { .. } => "CREATE_CHALLENGE_NAME",
            Question::CreateChallengeDetail { .. } => "CREATE_CHALLENGE_DETAIL",
            Question::CreateChallengeDate { .. } => "CREATE_CHALLENGE_DATE",
            Question::CreateChallengeGoal { .. } => "CREATE_CHALLENGE_GOAL",
        }
    }
}

impl From<Screen> for State {
    fn from(screen: Screen) -> State {
        State::Screen(screen)
    }
}

impl From<Question> for State {
    fn from(question: Question) -> State {
        State::Question(question)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_like_the_design_document() {
        let state: State = Question::AddProgressDate {
            challenge: ChallengeId(1),
            value: Some(Amount::from_hundredths(550)),
            unit: Some(Unit::parse("km").unwrap()),
            start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        }
        .into();
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            r#"{"state":"ADD_PROGRESS_DATE","challengeID":1,"value":5.5,"unit":"km","start":"2026-03-01"}"#
        );
        assert_eq!(serde_json::to_string(&State::MAIN).unwrap(), r#"{"state":"MAIN_INIT"}"#);
        let screen: State = Screen::ViewChallengeOptions { challenge: ChallengeId(3), page: 1 }.into();
        assert_eq!(
            serde_json::to_string(&screen).unwrap(),
            r#"{"state":"VIEW_CHALLENGE_OPTIONS","challengeID":3,"page":1}"#
        );
        assert_eq!(screen.name(), "VIEW_CHALLENGE_OPTIONS");
        assert!(!screen.is_question());
    }
}
