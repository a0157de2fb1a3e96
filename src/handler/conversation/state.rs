//! Where each user is in the conversation: the states of the design document and their data.

use chrono::NaiveDate;
use serde::Serialize;

use crate::amount::Amount;
use crate::challenge::{ChallengeId, ChallengeName, Description, Unit};
use crate::goal::GoalKind;

/// A user's conversation state, as kept in the state cache under `"<user_id>_state"`.
///
/// Serialises as the design document shows: `{"state": "ADD_PROGRESS_DATE", "challengeID": 1, …}`.
/// [`State::MainInit`] is never stored: a missing key means the main menu.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum State {
    /// The main menu (or no state at all).
    MainInit,
    /// Browsing the active challenges the user has not joined.
    JoinChallengeAvailable { page: u32 },
    /// Asked "What is your goal?" for a challenge to join.
    JoinChallengeGoal {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        kind: GoalKind,
        unit: Option<Unit>,
        default_goal: Amount,
        /// The page of the list it was picked from (for Back).
        page: u32,
    },
    /// Browsing the user's challenges.
    ViewChallengeJoined { page: u32 },
    /// Looking at one of the user's challenges (its options, leaderboard or undo question).
    ViewChallengeOptions {
        #[serde(rename = "challengeID")]
        challenge: ChallengeId,
        page: u32,
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
    /// Asked for the new challenge's name.
    CreateChallengeName,
    /// Asked for its description.
    CreateChallengeDetail { name: ChallengeName },
    /// Asked for its deadline.
    CreateChallengeDate { name: ChallengeName, description: Description },
    /// Asked for its goal: the kind first (`None` until chosen), then the number and unit.
    CreateChallengeGoal {
        name: ChallengeName,
        description: Description,
        deadline: NaiveDate,
        kind: Option<GoalKind>,
    },
}

impl State {
    /// The state's name as in the design document, e.g. `ADD_PROGRESS_DATE`.
    pub fn name(&self) -> &'static str {
        match self {
            State::MainInit => "MAIN_INIT",
            State::JoinChallengeAvailable { .. } => "JOIN_CHALLENGE_AVAILABLE",
            State::JoinChallengeGoal { .. } => "JOIN_CHALLENGE_GOAL",
            State::ViewChallengeJoined { .. } => "VIEW_CHALLENGE_JOINED",
            State::ViewChallengeOptions { .. } => "VIEW_CHALLENGE_OPTIONS",
            State::AddProgress { .. } => "ADD_PROGRESS",
            State::AddProgressDate { .. } => "ADD_PROGRESS_DATE",
            State::AddProgressDateInput { .. } => "ADD_PROGRESS_DATE_INPUT",
            State::UpsertGoal { .. } => "UPSERT_GOAL",
            State::CreateChallengeName => "CREATE_CHALLENGE_NAME",
            State::CreateChallengeDetail { .. } => "CREATE_CHALLENGE_DETAIL",
            State::CreateChallengeDate { .. } => "CREATE_CHALLENGE_DATE",
            State::CreateChallengeGoal { .. } => "CREATE_CHALLENGE_GOAL",
        }
    }

    /// Whether the state is a question waiting for an answer (as opposed to a menu or a list).
    pub fn is_question(&self) -> bool {
        matches!(
            self,
            State::JoinChallengeGoal { .. }
                | State::AddProgress { .. }
                | State::AddProgressDate { .. }
                | State::AddProgressDateInput { .. }
                | State::UpsertGoal { .. }
                | State::CreateChallengeName
                | State::CreateChallengeDetail { .. }
                | State::CreateChallengeDate { .. }
                | State::CreateChallengeGoal { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_like_the_design_document() {
        let state = State::AddProgressDate {
            challenge: ChallengeId(1),
            value: Some(Amount::from_hundredths(550)),
            unit: Some(Unit::parse("km").unwrap()),
            start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        };
        assert_eq!(
            serde_json::to_string(&state).unwrap(),
            r#"{"state":"ADD_PROGRESS_DATE","challengeID":1,"value":5.5,"unit":"km","start":"2026-03-01"}"#
        );
        assert_eq!(serde_json::to_string(&State::MainInit).unwrap(), r#"{"state":"MAIN_INIT"}"#);
    }
}
