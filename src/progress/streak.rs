//! Streaks: runs of consecutive dates with an entry, per person per challenge.
//!
//! A run grows by one for each date right after the last. Every 7 dates of a run earn a freeze
//! (at most 2 held); a freeze bridges one missed date, which keeps the run going without counting
//! as a day of it. A gap longer than the freezes held ends the run. The run is kept as of the
//! latest date with an entry; [`Streak::current_on`] says whether it is still alive today (today
//! itself can still be logged, so only the dates before it count as missed).

use chrono::NaiveDate;
use serde::Serialize;

/// How many dates of a run earn one freeze.
pub const DATES_PER_FREEZE: u32 = 7;
/// The most freezes held at once.
pub const MAX_FREEZES: u32 = 2;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Streak {
    /// The run's length as of `last` (dates with an entry; bridged dates do not count).
    pub run: u32,
    /// The longest run so far.
    pub best: u32,
    /// Freezes held after `last`.
    pub freezes: u32,
    /// The latest date with an entry.
    pub last: Option<NaiveDate>,
}

impl Streak {
    /// The streak of a set of dates (in any order, repeats ignored).
    pub fn of(dates: impl IntoIterator<Item = NaiveDate>) -> Streak {
        let mut dates: Vec<NaiveDate> = dates.into_iter().collect();
        dates.sort_unstable();
        dates.dedup();
        let mut streak = Streak::default();
        for date in dates {
            streak.push(date);
        }
        streak
    }

    /// Adds a date after the last one (a date on or before the last changes nothing: a date
    /// filled in between needs [`Streak::of`]).
    pub fn push(&mut self, date: NaiveDate) {
        let missed = match self.last {
            None => None,
            Some(last) if date <= last => return,
            Some(last) => Some(u32::try_from((date - last).num_days() - 1).unwrap_or(u32::MAX)),
        };
        match missed {
            Some(0) => self.run += 1,
            Some(gap) if gap <= self.freezes => {
                self.freezes -= gap;
                self.run += 1;
            }
            _ => {
                self.run = 1;
                self.freezes = 0;
            }
        }
        if self.run.is_multiple_of(DATES_PER_FREEZE) {
            self.freezes = (self.freezes + 1).min(MAX_FREEZES);
        }
        self.best = self.best.max(self.run);
        self.last = Some(date);
    }

    /// The run as it stands today: alive while the dates missed before today are no more than
    /// the freezes held; 0 once it is broken.
    pub fn current_on(&self, today: NaiveDate) -> u32 {
        let Some(last) = self.last else { return 0 };
        let missed = (today - last).num_days() - 1;
        if missed <= i64::from(self.freezes) { self.run } else { 0 }
    }

    /// Freezes left today (those needed for the dates missed so far are spent).
    pub fn freezes_on(&self, today: NaiveDate) -> u32 {
        let Some(last) = self.last else { return 0 };
        let missed = u32::try_from(((today - last).num_days() - 1).max(0)).unwrap_or(u32::MAX);
        if self.current_on(today) == 0 { 0 } else { self.freezes - missed.min(self.freezes) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    #[test]
    fn runs_of_consecutive_dates() {
        let s = Streak::of([d(3), d(1), d(2), d(2)]);
        assert_eq!((s.run, s.best, s.freezes, s.last), (3, 3, 0, Some(d(3))));
        let s = Streak::of([d(1), d(2), d(4), d(5)]);
        assert_eq!((s.run, s.best), (2, 2), "a missed date without a freeze ends the run");
        assert_eq!(s.current_on(d(5)), 2);
        assert_eq!(s.current_on(d(6)), 2, "today can still be logged");
        assert_eq!(s.current_on(d(7)), 0, "yesterday was missed");
    }

    #[test]
    fn freezes_are_earned_every_seven_dates_and_bridge_one_missed_date_each() {
        let week: Vec<NaiveDate> = (1..=7).map(d).collect();
        let s = Streak::of(week.clone());
        assert_eq!((s.run, s.freezes), (7, 1));
        assert_eq!(s.current_on(d(9)), 7, "one missed date (the 8th) is bridged by the freeze");
        assert_eq!(s.freezes_on(d(9)), 0);
        assert_eq!(s.current_on(d(10)), 0);
        let mut bridged = s;
        bridged.push(d(9));
        assert_eq!((bridged.run, bridged.freezes), (8, 0), "the bridged date does not count");
        let two_weeks = Streak::of((1..=14).map(d));
        assert_eq!(two_weeks.freezes, 2);
        let three_weeks = Streak::of((1..=21).map(d));
        assert_eq!(three_weeks.freezes, MAX_FREEZES, "at most two held");
        let mut long_gap = three_weeks;
        long_gap.push(d(25));
        assert_eq!((long_gap.run, long_gap.best, long_gap.freezes), (1, 21, 0), "three missed dates");
        let mut two_missed = three_weeks;
        two_missed.push(d(24));
        assert_eq!((two_missed.run, two_missed.freezes), (22, 0));
    }

    #[test]
    fn pushing_in_order_matches_the_set() {
        let dates = [d(1), d(2), d(3), d(5), d(6), d(9), d(10), d(11), d(12), d(13), d(14), d(15), d(17)];
        let mut pushed = Streak::default();
        for date in dates {
            pushed.push(date);
            pushed.push(date);
        }
        assert_eq!(pushed, Streak::of(dates));
        assert_eq!(Streak::default().current_on(d(1)), 0);
    }
}
