use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::amount::{Amount, AmountError};
use crate::challenge::ChallengeId;
use crate::progress::Tally;
use crate::user::{DisplayName, UserId};

/// How progress is judged against a goal; fixed when a challenge is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoalKind {
    /// The sum of all values reaches the goal (run 100 km).
    Total,
    /// The latest value is at least the goal (bench-press 100 kg).
    AtLeast,
    /// The latest value is at most the goal (weigh 70 kg or less).
    AtMost,
    /// The number of distinct days checked in reaches the goal (meditate 30 days).
    Days,
}

impl GoalKind {
    pub const ALL: [GoalKind; 4] = [GoalKind::Total, GoalKind::AtLeast, GoalKind::AtMost, GoalKind::Days];

    /// The stable name used in storage, the CLI and button payloads.
    pub fn as_str(self) -> &'static str {
        match self {
            GoalKind::Total => "total",
            GoalKind::AtLeast => "at-least",
            GoalKind::AtMost => "at-most",
            GoalKind::Days => "days",
        }
    }

    /// A short label for people.
    pub fn label(self) -> &'static str {
        match self {
            GoalKind::Total => "Total",
            GoalKind::AtLeast => "At least",
            GoalKind::AtMost => "At most",
            GoalKind::Days => "Days",
        }
    }

    /// One line explaining the kind.
    pub fn explanation(self) -> &'static str {
        match self {
            GoalKind::Total => "everything you log adds up towards the goal",
            GoalKind::AtLeast => "your latest value must reach at least the goal",
            GoalKind::AtMost => "your latest value must come down to at most the goal",
            GoalKind::Days => "check in once a day; each distinct day counts",
        }
    }

    /// Whether entries carry a value (every kind but check-ins).
    pub fn takes_values(self) -> bool {
        self != GoalKind::Days
    }
}

impl fmt::Display for GoalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Unknown goal kind \"{0}\": use total, at-least, at-most or days.")]
pub struct UnknownGoalKind(pub String);

impl FromStr for GoalKind {
    type Err = UnknownGoalKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "total" => Ok(GoalKind::Total),
            "at-least" | "atleast" => Ok(GoalKind::AtLeast),
            "at-most" | "atmost" => Ok(GoalKind::AtMost),
            "days" => Ok(GoalKind::Days),
            _ => Err(UnknownGoalKind(crate::text::shown(s, 24))),
        }
    }
}

/// Why a goal value is refused. The `Display` text is meant for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoalError {
    #[error("{0}")]
    Value(#[from] AmountError),
    #[error("A days goal is a whole number of days, for example 30.")]
    DaysNotWhole,
    #[error("A days goal can be at most {max} days.")]
    TooManyDays { max: i64 },
}

/// A share of a goal in basis points: 0 (nothing yet) to 10 000 (reached).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct Share(u16);

impl Share {
    pub const NONE: Share = Share(0);
    pub const FULL: Share = Share(10_000);

    /// `part / whole`, capped at 100 %, rounded down so that 99.99 % never shows as 100 %.
    fn ratio(part: i64, whole: i64) -> Share {
        if whole <= 0 || part <= 0 {
            return Share::NONE;
        }
        let bp = (i128::from(part) * 10_000 / i128::from(whole)).min(10_000);
        Share(bp as u16)
    }

    pub fn basis_points(self) -> u16 {
        self.0
    }

    /// Whole percent, rounded down.
    pub fn percent(self) -> u16 {
        self.0 / 100
    }
}

impl fmt::Display for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.percent())
    }
}

/// A goal: its kind and the target value. For [`GoalKind::Days`] the target is a whole number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Goal {
    pub kind: GoalKind,
    pub target: Amount,
}

impl Goal {
    /// The longest possible challenge is five years, so more days than that cannot be met.
    pub const MAX_DAYS: i64 = 5 * 366;

    /// Parses a typed target for a goal of the given kind.
    pub fn parse(kind: GoalKind, input: &str) -> Result<Goal, GoalError> {
        let target = Amount::parse_positive(input)?;
        Goal::new(kind, target)
    }

    /// Checks a target for a kind (e.g. a goal given to `join` as a number).
    pub fn new(kind: GoalKind, target: Amount) -> Result<Goal, GoalError> {
        if target <= Amount::ZERO {
            return Err(GoalError::Value(AmountError::NotPositive));
        }
        if target > crate::amount::MAX_VALUE {
            return Err(GoalError::Value(AmountError::TooLarge));
        }
        if kind == GoalKind::Days {
            if !target.is_whole() {
                return Err(GoalError::DaysNotWhole);
            }
            if target.hundredths() / 100 > Goal::MAX_DAYS {
                return Err(GoalError::TooManyDays { max: Goal::MAX_DAYS });
            }
        }
        Ok(Goal { kind, target })
    }

    /// A goal read back from storage, where it was validated on the way in.
    pub fn from_stored(kind: GoalKind, target: Amount) -> Goal {
        Goal { kind, target }
    }

    /// The figure that is compared with the target: the total, the latest value or the day count.
    pub fn current(&self, tally: &Tally) -> Amount {
        match self.kind {
            GoalKind::Total => tally.total,
            GoalKind::AtLeast | GoalKind::AtMost => tally.latest.unwrap_or(Amount::ZERO),
            GoalKind::Days => Amount::from_whole(i64::from(tally.days)),
        }
    }

    /// Whether the goal's condition holds for this tally.
    pub fn is_met(&self, tally: &Tally) -> bool {
        match self.kind {
            GoalKind::Total | GoalKind::Days => self.current(tally) >= self.target,
            GoalKind::AtLeast => tally.latest.is_some_and(|v| v >= self.target),
            GoalKind::AtMost => tally.latest.is_some_and(|v| v <= self.target),
        }
    }

    /// How far the tally has come, 0–100 %. For "at most" it is target / latest: someone at
    /// 80 kg aiming for 70 kg is 87 % there; nobody is anywhere before their first entry.
    pub fn share(&self, tally: &Tally) -> Share {
        let target = self.target.hundredths();
        match self.kind {
            GoalKind::AtMost => match tally.latest {
                None => Share::NONE,
                Some(v) if v <= self.target => Share::FULL,
                Some(v) => Share::ratio(target, v.hundredths()),
            },
            _ => Share::ratio(self.current(tally).hundredths(), target),
        }
    }
}

/// A user joined to a challenge with their own goal target.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Participant {
    pub challenge: ChallengeId,
    pub user: UserId,
    pub goal: Amount,
    pub joined_at: DateTime<Utc>,
    /// When their goal first held (cleared if it stops holding, e.g. after an undo).
    pub completed_at: Option<DateTime<Utc>>,
}

/// A participant with their progress, as read for a leaderboard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Standing {
    pub participant: Participant,
    pub display_name: Option<DisplayName>,
    pub tally: Tally,
}

/// One of a user's challenges, with their own line in it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Membership {
    pub challenge: crate::challenge::Challenge,
    pub participant: Participant,
    pub tally: Tally,
}

/// A standing with its place on the leaderboard.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ranked {
    /// 1 for the leader.
    pub rank: u32,
    pub share: Share,
    /// The figure compared with the goal (see [`Goal::current`]).
    pub current: Amount,
    #[serde(flatten)]
    pub standing: Standing,
}

/// Orders participants for a leaderboard: by share of their own goal, highest first; ties go to
/// whoever completed first, then to whoever joined first (then the lower id, to be total).
pub fn rank(kind: GoalKind, standings: Vec<Standing>) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> = standings
        .into_iter()
        .map(|standing| {
            let goal = Goal::from_stored(kind, standing.participant.goal);
            Ranked {
                rank: 0,
                share: goal.share(&standing.tally),
                current: goal.current(&standing.tally),
                standing,
            }
        })
        .collect();
    ranked.sort_by(|a, b| {
        let (pa, pb) = (&a.standing.participant, &b.standing.participant);
        b.share
            .cmp(&a.share)
            .then_with(|| match (pa.completed_at, pb.completed_at) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| pa.joined_at.cmp(&pb.joined_at))
            .then_with(|| pa.user.cmp(&pb.user))
    });
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
    ranked
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    fn amount(s: &str) -> Amount {
        Amount::parse_positive(s).unwrap()
    }

    fn tally(total: &str, latest: Option<&str>, days: u32) -> Tally {
        Tally {
            total: if total == "0" { Amount::ZERO } else { amount(total) },
            latest: latest.map(amount),
            days,
            entries: days,
            last_date: NaiveDate::from_ymd_opt(2026, 1, 1),
        }
    }

    fn goal(kind: GoalKind, target: &str) -> Goal {
        Goal::parse(kind, target).unwrap()
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in GoalKind::ALL {
            assert_eq!(kind.as_str().parse::<GoalKind>(), Ok(kind));
        }
        assert_eq!("AT_LEAST".parse::<GoalKind>(), Ok(GoalKind::AtLeast));
        assert!("weekly".parse::<GoalKind>().is_err());
        assert!(!GoalKind::Days.takes_values());
    }

    #[test]
    fn goal_values_follow_amount_rules() {
        assert_eq!(Goal::parse(GoalKind::Total, "0"), Err(GoalError::Value(AmountError::NotPositive)));
        assert_eq!(
            Goal::parse(GoalKind::Total, "1.999"),
            Err(GoalError::Value(AmountError::TooManyDecimals))
        );
        assert_eq!(goal(GoalKind::Total, "1.99").target, Amount::from_hundredths(199));
        assert_eq!(Goal::parse(GoalKind::Days, "30.5"), Err(GoalError::DaysNotWhole));
        assert_eq!(goal(GoalKind::Days, "30").target, Amount::from_whole(30));
        assert_eq!(Goal::parse(GoalKind::Days, "1831"), Err(GoalError::TooManyDays { max: 1830 }));
        assert!(Goal::new(GoalKind::AtMost, Amount::ZERO).is_err());
    }

    #[test]
    fn total_goal_sums_and_completes_at_the_target() {
        let g = goal(GoalKind::Total, "100");
        assert_eq!(g.share(&tally("0", None, 0)), Share::NONE);
        assert_eq!(g.share(&tally("25.5", Some("5"), 3)).basis_points(), 2550);
        assert!(!g.is_met(&tally("99.99", Some("1"), 3)));
        assert_eq!(g.share(&tally("99.99", Some("1"), 3)).percent(), 99, "never rounds up to 100");
        assert!(g.is_met(&tally("100", Some("1"), 3)));
        assert_eq!(g.share(&tally("250", Some("1"), 3)), Share::FULL, "capped at 100 %");
    }

    #[test]
    fn at_least_goal_judges_the_latest_value() {
        let g = goal(GoalKind::AtLeast, "100");
        assert!(!g.is_met(&tally("0", None, 0)));
        assert!(!g.is_met(&tally("500", Some("99.5"), 5)), "the sum does not matter");
        assert_eq!(g.share(&tally("500", Some("80"), 5)).basis_points(), 8000);
        assert!(g.is_met(&tally("100", Some("100"), 1)));
        assert_eq!(g.current(&tally("500", Some("80"), 5)), amount("80"));
    }

    #[test]
    fn at_most_goal_is_met_when_the_latest_value_comes_down() {
        let g = goal(GoalKind::AtMost, "70");
        assert!(!g.is_met(&tally("0", None, 0)), "no entry yet: not met");
        assert_eq!(g.share(&tally("0", None, 0)), Share::NONE);
        assert!(!g.is_met(&tally("80", Some("80"), 1)));
        assert_eq!(g.share(&tally("80", Some("80"), 1)).basis_points(), 8750);
        assert!(g.is_met(&tally("150", Some("70"), 2)), "exactly the target counts");
        assert_eq!(g.share(&tally("150", Some("69"), 2)), Share::FULL);
    }

    #[test]
    fn days_goal_counts_distinct_days() {
        let g = goal(GoalKind::Days, "30");
        assert_eq!(g.current(&tally("0", None, 12)), Amount::from_whole(12));
        assert_eq!(g.share(&tally("0", None, 12)).basis_points(), 4000);
        assert!(!g.is_met(&tally("0", None, 29)));
        assert!(g.is_met(&tally("0", None, 30)));
    }

    fn standing(user: i64, goal: &str, total: &str, joined_min: u32, completed_min: Option<u32>) -> Standing {
        let at = |m: u32| Utc.with_ymd_and_hms(2026, 1, 1, 10, m, 0).unwrap();
        Standing {
            participant: Participant {
                challenge: ChallengeId(1),
                user: UserId(user),
                goal: amount(goal),
                joined_at: at(joined_min),
                completed_at: completed_min.map(at),
            },
            display_name: None,
            tally: tally(total, Some("1"), 1),
        }
    }

    #[test]
    fn ranking_by_share_of_own_goal_then_who_got_there_first() {
        let ranked = rank(
            GoalKind::Total,
            vec![
                standing(1, "100", "50", 0, None),    // 50 %
                standing(2, "10", "10", 1, Some(30)), // 100 %, completed later
                standing(3, "20", "40", 2, Some(20)), // 100 %, completed first
                standing(4, "100", "50", 3, None),    // 50 %, joined after user 1
                standing(5, "100", "0", 4, None),     // 0 %
            ],
        );
        let order: Vec<i64> = ranked.iter().map(|r| r.standing.participant.user.0).collect();
        assert_eq!(order, vec![3, 2, 1, 4, 5]);
        assert_eq!(ranked.iter().map(|r| r.rank).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5]);
        assert_eq!(ranked[0].share, Share::FULL);
        assert_eq!(ranked[2].share.percent(), 50);
    }
}
