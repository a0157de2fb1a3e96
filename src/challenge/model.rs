use std::fmt;

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::Serialize;

use crate::goal::{Goal, GoalKind};
use crate::text::{self, TextProblem};
use crate::user::UserId;

/// Why a challenge's field is refused. The `Display` text is meant for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("The name cannot be empty.")]
    NameEmpty,
    #[error("The name can be at most {max} characters (this one has {got}).")]
    NameTooLong { max: usize, got: usize },
    #[error("The name cannot contain control characters such as line breaks.")]
    NameControlCharacter,
    #[error("The description can be at most {max} characters (this one has {got}).")]
    DescriptionTooLong { max: usize, got: usize },
    #[error("The description cannot contain control characters other than line breaks and tabs.")]
    DescriptionControlCharacter,
    #[error("The unit can be 1 to {max} characters, without control characters (for example km).")]
    BadUnit { max: usize },
    #[error("The unit cannot start with a digit, a sign or a decimal point (for example km, pages, kg).")]
    UnitStartsWithDigit,
    #[error("The deadline must be after today ({today}).")]
    DeadlineNotAfterToday { today: NaiveDate },
    #[error("The deadline cannot be moved before today ({today}).")]
    DeadlineInPast { today: NaiveDate },
    #[error("The deadline can be at most 5 years ahead (until {latest}).")]
    DeadlineTooFar { latest: NaiveDate },
    #[error("No deadline can be set: dates after {last} are not supported.")]
    NoDateLeft { last: NaiveDate },
}

/// A challenge's id, as assigned by the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ChallengeId(pub i64);

impl fmt::Display for ChallengeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A challenge's name: one line of 1–100 characters as people see them (graphemes), at least
/// one of them visible; bidi controls removed (see [`crate::text`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ChallengeName(String);

impl ChallengeName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<ChallengeName, ChallengeError> {
        match text::clean_line(input, Self::MAX_CHARS) {
            Ok(name) => Ok(ChallengeName(name)),
            Err(TextProblem::Empty) => Err(ChallengeError::NameEmpty),
            Err(TextProblem::ControlCharacter) => Err(ChallengeError::NameControlCharacter),
            Err(TextProblem::TooLong { max, got }) => Err(ChallengeError::NameTooLong { max, got }),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChallengeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A challenge's description: trimmed, 0–1000 characters as people see them; line breaks
/// (including U+2028 and U+2029) and tabs allowed; nothing visible means none.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(input: &str) -> Result<Description, ChallengeError> {
        match text::clean_block(input, Self::MAX_CHARS) {
            Ok(text) => Ok(Description(text)),
            Err(TextProblem::TooLong { max, got }) => Err(ChallengeError::DescriptionTooLong { max, got }),
            Err(_) => Err(ChallengeError::DescriptionControlCharacter),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the numbers count, e.g. "km": 1–16 characters as people see them, at least one
/// visible, not starting like a number (a digit of any script, a sign or a decimal point), so
/// that "5 km" always reads as a number and a unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Unit(String);

impl Unit {
    pub const MAX_CHARS: usize = 16;

    pub fn parse(input: &str) -> Result<Unit, ChallengeError> {
        let unit = text::clean_line(input, Self::MAX_CHARS)
            .map_err(|_| ChallengeError::BadUnit { max: Self::MAX_CHARS })?;
        if unit.starts_with(|c: char| {
            c.is_numeric() || matches!(c, '-' | '+' | '.' | ',' | '−' | '－' | '＋' | '．')
        }) {
            return Err(ChallengeError::UnitStartsWithDigit);
        }
        Ok(Unit(unit))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A deadline for a new challenge: after today and at most five years ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Deadline(NaiveDate);

impl Deadline {
    pub fn parse(date: NaiveDate, today: NaiveDate) -> Result<Deadline, ChallengeError> {
        if date <= today {
            return Err(ChallengeError::DeadlineNotAfterToday { today });
        }
        Deadline::within_reach(date, today)
    }

    /// A deadline an existing challenge moves to: today or later (never into the past, which
    /// would close the challenge under its participants), at most five years ahead.
    pub fn parse_move(date: NaiveDate, today: NaiveDate) -> Result<Deadline, ChallengeError> {
        if date < today {
            return Err(ChallengeError::DeadlineInPast { today });
        }
        Deadline::within_reach(date, today)
    }

    fn within_reach(date: NaiveDate, today: NaiveDate) -> Result<Deadline, ChallengeError> {
        // Feb 29 + 5 years lands on Feb 28: checked_add_months clamps to the month's end. No
        // date past the year 9999 is stored (both databases' date handling ends there).
        let latest =
            today.checked_add_months(Months::new(60)).unwrap_or(NaiveDate::MAX).min(crate::clock::LAST_DATE);
        if latest <= today {
            return Err(ChallengeError::NoDateLeft { last: crate::clock::LAST_DATE });
        }
        if date > latest {
            return Err(ChallengeError::DeadlineTooFar { latest });
        }
        Ok(Deadline(date))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// A stored challenge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Challenge {
    pub id: ChallengeId,
    pub name: ChallengeName,
    pub description: Description,
    pub creator: UserId,
    pub created_at: DateTime<Utc>,
    pub start_date: NaiveDate,
    pub deadline: NaiveDate,
    pub unit: Option<Unit>,
    pub goal_kind: GoalKind,
    /// The goal target a participant gets unless they choose their own.
    pub default_goal: crate::amount::Amount,
    /// The first person to meet the challenge's own goal (the default), if anyone has.
    pub first_finisher: Option<UserId>,
    /// Listed for everyone, or found only through its invite link.
    pub visibility: super::Visibility,
    /// The zone its days are counted in: its creator's when it was created (unset: the
    /// server's). Its deadline and day of grace end at midnight there.
    #[serde(skip)]
    pub zone: Option<chrono_tz::Tz>,
}

impl Challenge {
    /// Active from its start through the deadline day itself: open to joining and to goals.
    pub fn is_active(&self, today: NaiveDate) -> bool {
        today <= self.deadline
    }

    pub fn has_ended(&self, today: NaiveDate) -> bool {
        today > self.deadline
    }

    /// The day of grace: entries dated up to the deadline are still accepted on the day after
    /// it, so that the last evening's run can be logged the next morning.
    pub fn grace_day(&self) -> NaiveDate {
        self.deadline.succ_opt().unwrap_or(self.deadline)
    }

    /// Whether progress can still be logged (up to the end of the day of grace).
    pub fn accepts_entries(&self, today: NaiveDate) -> bool {
        today <= self.grace_day()
    }

    /// Closed for logging: the standings are final.
    pub fn is_final(&self, today: NaiveDate) -> bool {
        !self.accepts_entries(today)
    }

    /// Whole days from today until the deadline: 0 on the deadline day, negative after it.
    pub fn days_left(&self, today: NaiveDate) -> i64 {
        (self.deadline - today).num_days()
    }

    pub fn default_goal(&self) -> Goal {
        Goal::from_stored(self.goal_kind, self.default_goal)
    }
}

/// What is left of a challenge its creator deleted: its name, for the people who were in it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeletedChallenge {
    pub id: ChallengeId,
    pub name: ChallengeName,
    pub creator: UserId,
    pub deleted_at: DateTime<Utc>,
}

/// Changes to a challenge by its creator, each already checked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChallengeChanges {
    pub name: Option<ChallengeName>,
    pub description: Option<Description>,
    /// A later deadline (never earlier than today; the application checks).
    pub deadline: Option<NaiveDate>,
}

impl ChallengeChanges {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.description.is_none() && self.deadline.is_none()
    }
}

/// A validated challenge, ready to be stored. Its creator joins it with the default goal.
#[derive(Clone, Debug, PartialEq)]
pub struct NewChallenge {
    pub name: ChallengeName,
    pub description: Description,
    pub creator: UserId,
    pub created_at: DateTime<Utc>,
    pub start_date: NaiveDate,
    pub deadline: Deadline,
    pub unit: Option<Unit>,
    pub goal: Goal,
    pub visibility: super::Visibility,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn name_is_trimmed_and_bounded_at_100_characters() {
        assert_eq!(ChallengeName::parse("  Run 100 km ").unwrap().as_str(), "Run 100 km");
        assert!(ChallengeName::parse(&"é".repeat(100)).is_ok(), "characters, not bytes");
        assert_eq!(
            ChallengeName::parse(&"a".repeat(101)),
            Err(ChallengeError::NameTooLong { max: 100, got: 101 })
        );
        assert_eq!(ChallengeName::parse("   "), Err(ChallengeError::NameEmpty));
        assert_eq!(ChallengeName::parse("a\nb"), Err(ChallengeError::NameControlCharacter));
        assert_eq!(ChallengeName::parse("a\u{0}b"), Err(ChallengeError::NameControlCharacter));
        assert_eq!(ChallengeName::parse("<b>Tom & Jerry").unwrap().as_str(), "<b>Tom & Jerry");
        assert!(ChallengeName::parse(&"👍🏽".repeat(100)).is_ok(), "graphemes, not code points");
        assert_eq!(ChallengeName::parse("\u{200B}\u{FEFF}"), Err(ChallengeError::NameEmpty));
        assert_eq!(ChallengeName::parse("a\u{2028}b"), Err(ChallengeError::NameControlCharacter));
        assert_eq!(ChallengeName::parse("Run\u{202E} fast").unwrap().as_str(), "Run fast");
    }

    #[test]
    fn description_allows_empty_and_line_breaks_up_to_1000() {
        assert!(Description::parse("").unwrap().is_empty());
        assert!(Description::parse("line one\nline two\tend").is_ok());
        assert!(Description::parse(&"x".repeat(1000)).is_ok());
        assert_eq!(
            Description::parse(&"x".repeat(1001)),
            Err(ChallengeError::DescriptionTooLong { max: 1000, got: 1001 })
        );
        assert_eq!(Description::parse("bell\u{7}"), Err(ChallengeError::DescriptionControlCharacter));
    }

    #[test]
    fn unit_rules() {
        assert_eq!(Unit::parse(" km ").unwrap().as_str(), "km");
        assert!(Unit::parse(&"u".repeat(16)).is_ok());
        assert_eq!(Unit::parse(&"u".repeat(17)), Err(ChallengeError::BadUnit { max: 16 }));
        assert_eq!(Unit::parse(""), Err(ChallengeError::BadUnit { max: 16 }));
        for number_like in ["5k", "-5", ".5", "５km", "٣km", "+1", ",5"] {
            assert_eq!(Unit::parse(number_like), Err(ChallengeError::UnitStartsWithDigit), "{number_like}");
        }
        assert_eq!(Unit::parse("\u{200B}"), Err(ChallengeError::BadUnit { max: 16 }));
        assert_eq!(Unit::parse("k\u{202E}m").unwrap().as_str(), "km");
        assert!(Unit::parse("%").is_ok());
    }

    #[test]
    fn deadline_after_today_and_within_five_years() {
        let today = d("2026-11-29");
        assert_eq!(Deadline::parse(today, today), Err(ChallengeError::DeadlineNotAfterToday { today }));
        assert_eq!(Deadline::parse(d("2026-11-30"), today).unwrap().date(), d("2026-11-30"));
        assert!(Deadline::parse(d("2031-11-29"), today).is_ok(), "exactly five years is allowed");
        assert_eq!(
            Deadline::parse(d("2031-11-30"), today),
            Err(ChallengeError::DeadlineTooFar { latest: d("2031-11-29") })
        );
    }

    #[test]
    fn deadlines_end_with_the_year_9999() {
        let today = d("9999-12-31");
        assert_eq!(
            Deadline::parse(d("9999-12-31"), today),
            Err(ChallengeError::DeadlineNotAfterToday { today })
        );
        let near = d("9999-12-20");
        assert!(Deadline::parse(d("9999-12-31"), near).is_ok());
        assert_eq!(
            Deadline::parse(NaiveDate::from_ymd_opt(10000, 1, 7).unwrap(), near),
            Err(ChallengeError::DeadlineTooFar { latest: d("9999-12-31") })
        );
    }

    #[test]
    fn deadline_from_feb_29() {
        let today = d("2028-02-29");
        assert!(Deadline::parse(d("2033-02-28"), today).is_ok());
        assert_eq!(
            Deadline::parse(d("2033-03-01"), today),
            Err(ChallengeError::DeadlineTooFar { latest: d("2033-02-28") })
        );
    }

    #[test]
    fn active_through_the_deadline_day() {
        let c = Challenge {
            id: ChallengeId(1),
            name: ChallengeName::parse("x").unwrap(),
            description: Description::default(),
            creator: UserId(1),
            created_at: Utc::now(),
            start_date: d("2026-01-01"),
            deadline: d("2026-01-31"),
            unit: None,
            goal_kind: GoalKind::Total,
            default_goal: crate::amount::Amount::from_whole(10),
            first_finisher: None,
            visibility: super::super::Visibility::Public,
            zone: None,
        };
        assert!(c.is_active(d("2026-01-31")));
        assert!(c.accepts_entries(d("2026-02-01")), "the day of grace");
        assert!(c.is_final(d("2026-02-02")));
        assert_eq!(c.days_left(d("2026-01-31")), 0);
        assert!(c.has_ended(d("2026-02-01")));
        assert_eq!(c.days_left(d("2026-01-21")), 10);
    }
}
