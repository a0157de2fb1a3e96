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
            GoalKind::AtLeast => "your best value must reach at least the goal",
            GoalKind::AtMost => "your latest value must come down to at most the goal",
            GoalKind::Days => "check in once a day; each distinct day counts",
        }
    }

    /// A person's standing in a challenge of this kind, in its unit, which ranks them: the total;
    /// the number of days checked in; the best value; or, for "at most", how far their latest
    /// value came down from their first (their improvement; negative if it went up).
    pub fn standing(self, tally: &Tally) -> Amount {
        match self {
            GoalKind::Total => tally.total,
            GoalKind::Days => Amount::from_whole(i64::from(tally.days)),
            GoalKind::AtLeast => tally.best.unwrap_or(Amount::ZERO),
            GoalKind::AtMost => match (tally.first, tally.latest) {
                (Some(first), Some(latest)) => {
                    Amount::from_hundredths(first.hundredths() - latest.hundredths())
                }
                _ => Amount::ZERO,
            },
        }
    }

    /// What the standing is called: "Total", "Days", "Best", "Improvement".
    pub fn standing_label(self) -> &'static str {
        match self {
            GoalKind::Total => "Total",
            GoalKind::Days => "Days",
            GoalKind::AtLeast => "Best",
            GoalKind::AtMost => "Improvement",
        }
    }

    /// How a leaderboard of this kind is ordered, in words (for its footer).
    pub fn ranking_rule(self) -> &'static str {
        match self {
            GoalKind::Total => "Ranked by the total logged",
            GoalKind::Days => "Ranked by the number of days checked in",
            GoalKind::AtLeast => "Ranked by each person's best value",
            GoalKind::AtMost => "Ranked by how far each person came down from their first value",
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

    /// The figure that is compared with the target: the total, the day count, the best value, or
    /// (for "at most") the latest value.
    pub fn current(&self, tally: &Tally) -> Amount {
        match self.kind {
            GoalKind::Total | GoalKind::Days | GoalKind::AtLeast => self.kind.standing(tally),
            GoalKind::AtMost => tally.latest.unwrap_or(Amount::ZERO),
        }
    }

    /// Whether the goal's condition holds for this tally: the standing reaches the target, or for
    /// "at most" the latest value is at most the target. Nobody meets a goal before an entry.
    pub fn is_met(&self, tally: &Tally) -> bool {
        if tally.entries == 0 {
            return false;
        }
        match self.kind {
            GoalKind::Total | GoalKind::Days | GoalKind::AtLeast => self.current(tally) >= self.target,
            GoalKind::AtMost => tally.latest.is_some_and(|v| v <= self.target),
        }
    }

    /// How far the tally has come, 0–100 %. For "at most" it is measured from the first value to
    /// the target: someone who started at 95 kg aiming for 85 kg and is at 88 kg is 70 % there;
    /// nobody is anywhere before their first entry.
    pub fn share(&self, tally: &Tally) -> Share {
        if self.is_met(tally) {
            return Share::FULL;
        }
        match self.kind {
            GoalKind::AtMost => match (tally.first, tally.latest) {
                (Some(first), Some(latest)) => Share::ratio(
                    first.hundredths() - latest.hundredths(),
                    first.hundredths() - self.target.hundredths(),
                ),
                _ => Share::NONE,
            },
            _ => Share::ratio(self.current(tally).hundredths(), self.target.hundredths()),
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
    /// The name shown for them in this challenge: "Participant N" when its creator hid theirs
    /// (`hidden_as` is then N), so no leaderboard, news line or export can show the hidden one.
    pub display_name: Option<DisplayName>,
    /// The number of "Participant N" while the creator hides their name here.
    pub hidden_as: Option<u32>,
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
    /// The person's standing in the challenge's unit (see [`GoalKind::standing`]).
    #[serde(rename = "standing")]
    pub score: Amount,
    /// Their share of their own goal.
    pub share: Share,
    /// The figure compared with the goal (see [`Goal::current`]).
    pub current: Amount,
    #[serde(flatten)]
    pub standing: Standing,
}

impl Ranked {
    /// A standing with its figures in a `kind` challenge, at place `rank`.
    pub fn new(kind: GoalKind, standing: Standing, rank: u32) -> Ranked {
        let goal = Goal::from_stored(kind, standing.participant.goal);
        Ranked {
            rank,
            score: kind.standing(&standing.tally),
            share: goal.share(&standing.tally),
            current: goal.current(&standing.tally),
            standing,
        }
    }
}

/// The top of a leaderboard, and how many are on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaders {
    pub top: Vec<Ranked>,
    pub participants: u32,
}

/// A participant's place in one challenge and how many take part: a card of the dashboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub rank: u32,
    pub participants: u32,
}

/// One participant's place, read without the rest of the leaderboard: what a challenge's own
/// screen shows ("rank 4 of 200").
#[derive(Clone, Debug, PartialEq)]
pub struct Position {
    pub me: Ranked,
    /// How many take part, with entries or not.
    pub participants: u32,
    /// The name of the challenge's first finisher, asked for by id, while they take part.
    pub first_finisher: Option<DisplayName>,
}

/// The place of `me` given those level with them (the same standing, and entries or none like
/// them; in any order, `me` among them or not) and how many rank above all of those: the level
/// ones are ordered as [`rank`] orders them.
pub fn place_among<'a>(
    kind: GoalKind,
    me: Contender<'_>,
    level: impl IntoIterator<Item = Contender<'a>>,
    above: u32,
) -> u32 {
    let score = kind.standing(me.tally);
    let ahead = level
        .into_iter()
        .filter(|other| {
            other.participant.user != me.participant.user
                && leaderboard_order(*other, kind.standing(other.tally), me, score) == Ordering::Less
        })
        .count();
    above.saturating_add(u32::try_from(ahead).unwrap_or(u32::MAX)).saturating_add(1)
}

/// Orders participants for a leaderboard by standing, highest first (never by the share of a
/// self-set goal, which anyone could lower). Ties go to whoever reached that standing first;
/// people with no entries come last, by when they joined (then the lower id, to be total).
pub fn rank(kind: GoalKind, standings: Vec<Standing>) -> Vec<Ranked> {
    let mut ranked: Vec<Ranked> =
        standings.into_iter().map(|standing| Ranked::new(kind, standing, 0)).collect();
    ranked.sort_by(|a, b| leaderboard_order((&a.standing).into(), a.score, (&b.standing).into(), b.score));
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
    ranked
}

/// Which of two participants ranks higher: `Less` when `a` is ahead of `b`. The one order of
/// every leaderboard ([`rank`]) and of a place changing ([`PlaceChange`]).
fn leaderboard_order(a: Contender<'_>, score_a: Amount, b: Contender<'_>, score_b: Amount) -> Ordering {
    let (ta, tb) = (a.tally, b.tally);
    let (pa, pb) = (a.participant, b.participant);
    (ta.entries == 0)
        .cmp(&(tb.entries == 0))
        .then_with(|| score_b.cmp(&score_a))
        .then_with(|| match (ta.standing_at, tb.standing_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| pa.joined_at.cmp(&pb.joined_at))
        .then_with(|| pa.user.cmp(&pb.user))
}

/// One participant's line as the leaderboard compares it, borrowed from wherever it is kept.
#[derive(Clone, Copy, Debug)]
pub struct Contender<'a> {
    pub participant: &'a Participant,
    pub tally: &'a Tally,
    pub display_name: Option<&'a DisplayName>,
}

impl<'a> From<&'a Standing> for Contender<'a> {
    fn from(s: &'a Standing) -> Contender<'a> {
        Contender { participant: &s.participant, tally: &s.tally, display_name: s.display_name.as_ref() }
    }
}

/// Those standing within a band of a leaderboard, and how many stand above it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StandingBand {
    pub standings: Vec<Standing>,
    pub above: u32,
}

/// The most names a move up lists ("passed Bob, Cy and Dee and 4 more").
pub const PASSED_NAMES: usize = 3;

/// A move up the leaderboard made by one entry.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceChange {
    pub from: u32,
    pub to: u32,
    /// The best placed of those passed (at most [`PASSED_NAMES`]), best first.
    pub passed: Vec<DisplayName>,
    /// How many were passed in all.
    pub passed_count: u32,
    /// Everyone passed, best placed first: the i-th of them is now at place `to + 1 + i`.
    pub passed_users: Vec<UserId>,
}

impl PlaceChange {
    /// How a participant's place among those with entries changed when their tally went from
    /// `before` to `me.tally`, given `rivals`: at least everyone who is ahead of them before or
    /// after (others are skipped; `me` among them is ignored). Only their tally changed, so
    /// everyone else keeps their order, and one pass without sorting counts who is ahead before
    /// and after. On a first entry they come from just behind everyone with entries; people with
    /// none are never "passed". `None` unless they moved up.
    pub fn of<'a>(
        kind: GoalKind,
        me: Contender<'_>,
        before: &Tally,
        rivals: impl IntoIterator<Item = Contender<'a>>,
    ) -> Option<PlaceChange> {
        let then = Contender { tally: before, ..me };
        let (now, then) = ((me, kind.standing(me.tally)), (then, kind.standing(before)));
        let (mut from, mut to, mut passed_count) = (1u32, 1u32, 0u32);
        let mut passed_all: Vec<(Contender<'a>, Amount)> = Vec::new();
        for other in rivals {
            if other.participant.user == me.participant.user || other.tally.entries == 0 {
                continue;
            }
            let other = (other, kind.standing(other.tally));
            let was_ahead = leaderboard_order(other.0, other.1, then.0, then.1) == Ordering::Less;
            let is_ahead = leaderboard_order(other.0, other.1, now.0, now.1) == Ordering::Less;
            from += u32::from(was_ahead);
            to += u32::from(is_ahead);
            if was_ahead && !is_ahead {
                passed_count += 1;
                passed_all.push(other);
            }
        }
        if to >= from {
            return None;
        }
        passed_all.sort_by(|a, b| leaderboard_order(a.0, a.1, b.0, b.1));
        let passed_users = passed_all.iter().map(|(c, _)| c.participant.user).collect();
        let passed = passed_all
            .into_iter()
            .take(PASSED_NAMES)
            .map(|(c, _)| {
                c.display_name.cloned().unwrap_or_else(|| DisplayName::fallback(c.participant.user))
            })
            .collect();
        Some(PlaceChange { from, to, passed, passed_count, passed_users })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::progress::{ProgressDate, ProgressEntry};

    fn amount(s: &str) -> Amount {
        Amount::parse_positive(s).unwrap()
    }

    /// The tally of values given as (day of January, value) in the order they were recorded.
    fn tally_of(kind: GoalKind, entries: &[(u32, Option<&str>)]) -> Tally {
        let entries: Vec<ProgressEntry> = entries
            .iter()
            .enumerate()
            .map(|(i, (day, value))| ProgressEntry {
                id: i as i64 + 1,
                challenge: ChallengeId(1),
                user: UserId(1),
                value: value.map(amount),
                date: ProgressDate::from_stored(chrono::NaiveDate::from_ymd_opt(2026, 1, *day).unwrap()),
                recorded_at: Utc.with_ymd_and_hms(2026, 2, 1, 10, i as u32, 0).unwrap(),
                idempotency_key: None,
            })
            .collect();
        Tally::of(&entries, |t| kind.standing(t))
    }

    fn values(kind: GoalKind, values: &[&str]) -> Tally {
        let entries: Vec<(u32, Option<&str>)> =
            values.iter().enumerate().map(|(i, v)| (i as u32 + 1, Some(*v))).collect();
        tally_of(kind, &entries)
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
        assert_eq!(g.share(&Tally::default()), Share::NONE);
        assert_eq!(g.share(&values(GoalKind::Total, &["20", "5.5"])).basis_points(), 2550);
        let almost = values(GoalKind::Total, &["99.99"]);
        assert!(!g.is_met(&almost));
        assert_eq!(g.share(&almost).percent(), 99, "never rounds up to 100");
        assert!(g.is_met(&values(GoalKind::Total, &["50", "50"])));
        assert_eq!(g.share(&values(GoalKind::Total, &["250"])), Share::FULL, "capped at 100 %");
        assert_eq!(GoalKind::Total.standing(&values(GoalKind::Total, &["20", "5.5"])), amount("25.5"));
    }

    #[test]
    fn at_least_goal_keeps_the_best_value_reached() {
        let g = goal(GoalKind::AtLeast, "100");
        assert!(!g.is_met(&Tally::default()));
        let record_then_less = values(GoalKind::AtLeast, &["80", "100", "90"]);
        assert!(g.is_met(&record_then_less), "a record set stays set");
        assert_eq!(GoalKind::AtLeast.standing(&record_then_less), amount("100"));
        assert_eq!(g.current(&record_then_less), amount("100"));
        let short = values(GoalKind::AtLeast, &["60", "80", "70"]);
        assert_eq!(g.share(&short).basis_points(), 8000);
        assert!(
            g.is_met(&values(GoalKind::AtLeast, &["300", "99"])),
            "the best is what counts, not the latest"
        );
    }

    #[test]
    fn at_most_goal_is_met_when_the_latest_value_comes_down_and_shares_count_from_the_first() {
        let g = goal(GoalKind::AtMost, "85");
        assert!(!g.is_met(&Tally::default()), "no entry yet: not met");
        assert_eq!(g.share(&Tally::default()), Share::NONE);
        // Eve: 95 → 88 aiming for 85: 7 of 10 kg, 70 %; her standing is the 7 kg she lost.
        let eve = values(GoalKind::AtMost, &["95", "90", "88"]);
        assert_eq!(g.share(&eve).basis_points(), 7000);
        assert_eq!(GoalKind::AtMost.standing(&eve), amount("7"));
        assert!(!g.is_met(&eve));
        assert!(g.is_met(&values(GoalKind::AtMost, &["95", "85"])), "exactly the target counts");
        // Going back up: a negative improvement, and the goal no longer met.
        let up = values(GoalKind::AtMost, &["80", "84", "86"]);
        assert_eq!(GoalKind::AtMost.standing(&up), Amount::from_hundredths(-600));
        assert!(!g.is_met(&up));
        assert_eq!(g.share(&up), Share::NONE, "started below the goal, now above: nothing to show");
        // The first and the latest entry are by date, not by when they were recorded.
        let backdated = tally_of(GoalKind::AtMost, &[(5, Some("90")), (1, Some("95")), (3, Some("92"))]);
        assert_eq!((backdated.first, backdated.latest), (Some(amount("95")), Some(amount("90"))));
    }

    #[test]
    fn days_goal_counts_distinct_days() {
        let g = goal(GoalKind::Days, "3");
        let two = tally_of(GoalKind::Days, &[(1, None), (2, None)]);
        assert_eq!(g.current(&two), Amount::from_whole(2));
        assert_eq!(g.share(&two).basis_points(), 6666);
        assert!(!g.is_met(&two));
        assert!(g.is_met(&tally_of(GoalKind::Days, &[(1, None), (2, None), (5, None)])));
    }

    fn standing(user: i64, goal: &str, tally: Tally, joined_min: u32) -> Standing {
        let at = |m: u32| Utc.with_ymd_and_hms(2026, 1, 1, 10, m, 0).unwrap();
        let completed_at = Goal::from_stored(GoalKind::Total, amount(goal)).is_met(&tally).then(|| at(59));
        Standing {
            participant: Participant {
                challenge: ChallengeId(1),
                user: UserId(user),
                goal: amount(goal),
                joined_at: at(joined_min),
                completed_at,
            },
            display_name: None,
            hidden_as: None,
            tally,
        }
    }

    fn order(ranked: &[Ranked]) -> Vec<i64> {
        ranked.iter().map(|r| r.standing.participant.user.0).collect()
    }

    #[test]
    fn ranking_is_by_standing_never_by_a_self_set_goal() {
        // Cat aimed for 1 km and logged 1.5; Ann aims for 50 and logged 33.7: Ann leads.
        let cat = standing(1, "1", values(GoalKind::Total, &["1.5"]), 0);
        let ann = standing(2, "50", values(GoalKind::Total, &["30", "3.7"]), 1);
        let nobody = standing(3, "10", Tally::default(), 2);
        let ranked = rank(GoalKind::Total, vec![cat, nobody, ann]);
        assert_eq!(order(&ranked), vec![2, 1, 3], "people without entries come last");
        assert_eq!(ranked.iter().map(|r| r.rank).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!((ranked[0].score, ranked[1].share), (amount("33.7"), Share::FULL));
        assert_eq!(ranked[0].share.percent(), 67, "each row still shows the share of its own goal");
    }

    #[test]
    fn at_most_ranks_by_improvement() {
        // Fay: 72 → 72, goal 70; Eve: 95 → 88, goal 85. Eve improved by 7, Fay by nothing.
        let fay = standing(1, "70", values(GoalKind::AtMost, &["72", "72"]), 0);
        let eve = standing(2, "85", values(GoalKind::AtMost, &["95", "88"]), 1);
        assert_eq!(order(&rank(GoalKind::AtMost, vec![fay, eve])), vec![2, 1]);
    }

    #[test]
    fn ties_go_to_whoever_got_there_first() {
        let mut early = values(GoalKind::Total, &["10"]);
        let mut late = early;
        early.standing_at = Some(Utc.with_ymd_and_hms(2026, 1, 2, 8, 0, 0).unwrap());
        late.standing_at = Some(Utc.with_ymd_and_hms(2026, 1, 2, 9, 0, 0).unwrap());
        // Joined first but reached 10 later.
        let ranked = rank(GoalKind::Total, vec![standing(1, "100", late, 0), standing(2, "100", early, 5)]);
        assert_eq!(order(&ranked), vec![2, 1]);
    }
}
