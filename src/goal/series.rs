//! What a chart draws for each person: the figure their goal is judged on, after each day they
//! logged something.

use chrono::NaiveDate;

use super::GoalKind;
use crate::amount::Amount;

/// The figure a goal of `kind` is judged on, after each day in `entries` (a person's entries,
/// by date and then in the order recorded; a check-in has no value): the running total; the
/// number of days checked in; the best value so far; the latest value. One point per day.
pub fn standing_series(kind: GoalKind, entries: &[(NaiveDate, Option<Amount>)]) -> Vec<(NaiveDate, Amount)> {
    let mut out: Vec<(NaiveDate, Amount)> = Vec::with_capacity(entries.len());
    let mut total: i64 = 0;
    let mut days: i64 = 0;
    let mut best: Option<Amount> = None;
    for &(date, value) in entries {
        let new_day = out.last().is_none_or(|(last, _)| *last != date);
        let figure = match kind {
            GoalKind::Total => {
                total = total.saturating_add(value.map_or(0, Amount::hundredths));
                Amount::from_hundredths(total)
            }
            GoalKind::Days => {
                if new_day {
                    days += 1;
                }
                Amount::from_whole(days)
            }
            GoalKind::AtLeast => {
                best = best.max(value);
                best.unwrap_or(Amount::ZERO)
            }
            GoalKind::AtMost => value.unwrap_or(Amount::ZERO),
        };
        match out.last_mut() {
            Some(last) if !new_day => last.1 = figure,
            _ => out.push((date, figure)),
        }
    }
    out
}

/// What was logged on each day of `entries` (ordered as for [`standing_series`]): the sum of the
/// day's values, or 1 for a check-in. One bar per day.
pub fn daily_amounts(entries: &[(NaiveDate, Option<Amount>)]) -> Vec<(NaiveDate, Amount)> {
    let mut out: Vec<(NaiveDate, Amount)> = Vec::with_capacity(entries.len());
    for &(date, value) in entries {
        let value = value.unwrap_or(Amount::from_whole(1));
        match out.last_mut() {
            Some((last, sum)) if *last == date => {
                *sum = Amount::from_hundredths(sum.hundredths().saturating_add(value.hundredths()));
            }
            _ => out.push((date, value)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    fn whole(n: i64) -> Option<Amount> {
        Some(Amount::from_whole(n))
    }

    #[test]
    fn each_kind_follows_its_own_rule_with_one_point_a_day() {
        let entries = [(day(1), whole(5)), (day(1), whole(3)), (day(3), whole(9)), (day(4), whole(4))];
        let figures = |kind| -> Vec<(u32, i64)> {
            use chrono::Datelike;
            standing_series(kind, &entries).iter().map(|(d, a)| (d.day(), a.hundredths() / 100)).collect()
        };
        assert_eq!(figures(GoalKind::Total), [(1, 8), (3, 17), (4, 21)]);
        assert_eq!(figures(GoalKind::AtLeast), [(1, 5), (3, 9), (4, 9)]);
        // The latest value of the day, as recorded last.
        assert_eq!(figures(GoalKind::AtMost), [(1, 3), (3, 9), (4, 4)]);
        let check_ins = [(day(1), None), (day(2), None), (day(5), None)];
        let days: Vec<i64> =
            standing_series(GoalKind::Days, &check_ins).iter().map(|(_, a)| a.hundredths() / 100).collect();
        assert_eq!(days, [1, 2, 3]);
        assert!(standing_series(GoalKind::Total, &[]).is_empty());
    }

    #[test]
    fn daily_amounts_add_up_a_day_and_count_check_ins_as_one() {
        let entries = [(day(1), whole(5)), (day(1), whole(3)), (day(2), None)];
        assert_eq!(
            daily_amounts(&entries),
            [(day(1), Amount::from_whole(8)), (day(2), Amount::from_whole(1))]
        );
    }
}
