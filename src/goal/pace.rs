//! Pace: how far someone should be by now to finish on time, and what finishing still takes.
//!
//! For goals that add up (total and days), pace is a straight line from the day the person joined
//! to the deadline: by the end of today they should have `goal × days so far ÷ all days` (both
//! counted with today and the deadline included). What is left, spread over the days left (today
//! included), is what they need a day.

use chrono::NaiveDate;

use super::{Goal, GoalKind};
use crate::amount::Amount;
use crate::progress::Tally;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pace {
    /// What is left to reach the goal.
    pub remaining: Amount,
    /// Days from today to the deadline, both included.
    pub days_left: u32,
    /// What it takes a day to finish on time (rounded up to a tenth); for days goals see
    /// `remaining` against `days_left` instead.
    pub per_day: Amount,
    /// Where the person is against the straight line, to a tenth: positive ahead, negative behind.
    pub ahead: Amount,
}

impl Pace {
    /// The pace of a total or days goal from `from` (the day the person joined) to `deadline`,
    /// as of `today`; `None` for other kinds, a goal already met, or a day outside the run.
    pub fn of(
        goal: Goal,
        tally: &Tally,
        from: NaiveDate,
        deadline: NaiveDate,
        today: NaiveDate,
    ) -> Option<Pace> {
        if !matches!(goal.kind, GoalKind::Total | GoalKind::Days) || goal.is_met(tally) {
            return None;
        }
        if today < from || today > deadline {
            return None;
        }
        let all_days = (deadline - from).num_days() + 1;
        let so_far = (today - from).num_days() + 1;
        let days_left = (deadline - today).num_days() + 1;
        let target = i128::from(goal.target.hundredths());
        let current = i128::from(goal.current(tally).hundredths());
        let expected = target * i128::from(so_far) / i128::from(all_days);
        let remaining = (target - current).max(0);
        // People read paces to a tenth: what is needed is rounded up, the lead towards zero.
        let per_day = ((remaining + i128::from(days_left) - 1) / i128::from(days_left) + 9) / 10 * 10;
        let ahead = (current - expected) / 10 * 10;
        let amount = |h: i128| Amount::from_hundredths(h.clamp(i64::MIN.into(), i64::MAX.into()) as i64);
        Some(Pace {
            remaining: amount(remaining),
            days_left: u32::try_from(days_left).unwrap_or(u32::MAX),
            per_day: amount(per_day),
            ahead: amount(ahead),
        })
    }

    /// Whether the goal can still be reached: for days goals, no more days are needed than are left.
    pub fn reachable(&self, kind: GoalKind) -> bool {
        kind != GoalKind::Days || self.remaining <= Amount::from_whole(i64::from(self.days_left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn total(h: i64) -> Tally {
        Tally { total: Amount::from_hundredths(h), entries: 1, ..Tally::default() }
    }

    #[test]
    fn a_straight_line_from_joining_to_the_deadline() {
        // 100 km from 1 Mar to 10 Mar: 10 km a day; on 3 Mar one should have 30.
        let goal = Goal::from_stored(GoalKind::Total, Amount::from_whole(100));
        let (from, deadline) = (d("2026-03-01"), d("2026-03-10"));
        let pace = Pace::of(goal, &total(3_320), from, deadline, d("2026-03-03")).unwrap();
        assert_eq!(pace.ahead, Amount::from_hundredths(320), "3.2 ahead");
        assert_eq!(pace.days_left, 8);
        assert_eq!(pace.remaining, Amount::from_hundredths(6_680));
        assert_eq!(pace.per_day, Amount::from_hundredths(840), "66.8 over 8 days, up to a tenth");
        let behind = Pace::of(goal, &total(2_600), from, deadline, d("2026-03-03")).unwrap();
        assert_eq!(behind.ahead, Amount::from_hundredths(-400));
        let uneven = Pace::of(goal, &total(0), from, deadline, d("2026-03-05")).unwrap();
        assert_eq!(uneven.per_day, Amount::from_hundredths(1_670), "100 over 6 days, rounded up");
        assert_eq!(Pace::of(goal, &total(10_000), from, deadline, d("2026-03-05")), None, "met");
        assert_eq!(Pace::of(goal, &total(0), from, deadline, d("2026-03-11")), None, "after the deadline");
        let lift = Goal::from_stored(GoalKind::AtLeast, Amount::from_whole(100));
        assert_eq!(Pace::of(lift, &total(0), from, deadline, d("2026-03-05")), None);
    }

    #[test]
    fn days_goals_count_days() {
        let goal = Goal::from_stored(GoalKind::Days, Amount::from_whole(6));
        let tally = Tally { days: 1, entries: 1, ..Tally::default() };
        let pace = Pace::of(goal, &tally, d("2026-03-01"), d("2026-03-10"), d("2026-03-05")).unwrap();
        assert_eq!((pace.remaining, pace.days_left), (Amount::from_whole(5), 6));
        assert_eq!(pace.ahead, Amount::from_whole(-2), "3 days expected by the 5th of 10");
        assert!(pace.reachable(GoalKind::Days));
        let late = Pace::of(goal, &tally, d("2026-03-01"), d("2026-03-10"), d("2026-03-07")).unwrap();
        assert!(!late.reachable(GoalKind::Days), "5 more days needed, 4 left");
    }
}
