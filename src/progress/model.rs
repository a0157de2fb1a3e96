use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::amount::Amount;
use crate::challenge::ChallengeId;
use crate::user::UserId;

/// Why a progress entry cannot be recorded. The `Display` text is meant for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProgressError {
    #[error("{date} is in the future. Progress can be logged up to today ({today}).")]
    DateInFuture { date: NaiveDate, today: NaiveDate },
    #[error("{date} is before the challenge started ({start}).")]
    DateBeforeStart { date: NaiveDate, start: NaiveDate },
    #[error("{date} is after the challenge's deadline ({deadline}).")]
    DateAfterDeadline { date: NaiveDate, deadline: NaiveDate },
    #[error("This challenge ended on {deadline}; no more progress can be logged.")]
    ChallengeEnded { deadline: NaiveDate },
    #[error("This is a check-in challenge: log a day without a value.")]
    ValueNotExpected,
    #[error("Please give a value for this progress entry.")]
    ValueMissing,
    #[error("A key must be 1 to 64 printable ASCII characters (letters, digits, punctuation or spaces).")]
    BadIdempotencyKey,
}

/// The date an entry counts for: not after today, and within the challenge's start..=deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ProgressDate(NaiveDate);

impl ProgressDate {
    /// A date for an entry logged `today`: up to today, from the start to the deadline. Entries
    /// are accepted until the end of the day after the deadline (the day of grace).
    pub fn parse(
        date: NaiveDate,
        start: NaiveDate,
        deadline: NaiveDate,
        today: NaiveDate,
    ) -> Result<ProgressDate, ProgressError> {
        if today > deadline.succ_opt().unwrap_or(deadline) {
            return Err(ProgressError::ChallengeEnded { deadline });
        }
        if date > today {
            return Err(ProgressError::DateInFuture { date, today });
        }
        if date < start {
            return Err(ProgressError::DateBeforeStart { date, start });
        }
        if date > deadline {
            return Err(ProgressError::DateAfterDeadline { date, deadline });
        }
        Ok(ProgressDate(date))
    }

    /// A date read back from storage, where it was validated on the way in.
    pub fn from_stored(date: NaiveDate) -> ProgressDate {
        ProgressDate(date)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

/// What one entry records: an amount, or a check-in for "days" challenges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressValue {
    Amount(Amount),
    CheckIn,
}

impl ProgressValue {
    pub fn amount(self) -> Option<Amount> {
        match self {
            ProgressValue::Amount(a) => Some(a),
            ProgressValue::CheckIn => None,
        }
    }
}

/// A caller-chosen key that makes recording the same input twice store it once (the bot passes
/// Telegram's message or callback id). It belongs to one participant (a challenge and a user).
/// Printable ASCII (spaces allowed inside, not at the ends), 1–64 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<IdempotencyKey, ProgressError> {
        let text = text.trim_matches(' ');
        let ok = (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
        if ok { Ok(IdempotencyKey(text.to_owned())) } else { Err(ProgressError::BadIdempotencyKey) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated entry, ready to be stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NewProgress {
    pub challenge: ChallengeId,
    pub user: UserId,
    pub value: ProgressValue,
    pub date: ProgressDate,
    pub recorded_at: DateTime<Utc>,
    pub idempotency_key: Option<IdempotencyKey>,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProgressEntry {
    pub id: i64,
    pub challenge: ChallengeId,
    pub user: UserId,
    /// `None` for a check-in.
    pub value: Option<Amount>,
    pub date: ProgressDate,
    pub recorded_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<IdempotencyKey>,
}

/// What a participant's entries add up to: every figure any kind of goal judges. "Latest" and
/// "first" order entries by (date, id): the greatest is the latest, the least the first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    /// Sum of all values (check-ins count zero).
    pub total: Amount,
    /// The value of the latest entry.
    pub latest: Option<Amount>,
    /// The largest value.
    pub best: Option<Amount>,
    /// The value of the first entry.
    pub first: Option<Amount>,
    /// Distinct dates with at least one entry.
    pub days: u32,
    /// Number of entries.
    pub entries: u32,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
    /// When the person's standing last changed: the recorded time of the entry that changed it
    /// (ties on a leaderboard go to whoever got there first).
    pub standing_at: Option<DateTime<Utc>>,
    /// Runs of consecutive dates with an entry.
    pub streak: super::Streak,
}

impl Tally {
    /// The tally with one more entry, recorded after every entry already counted (so it has the
    /// greatest id: it is the latest unless another has a later date, and the first only if it
    /// has the earliest date). `new_date` says whether no earlier entry has its date. The standing
    /// (a kind of goal's figure, see `crate::goal::GoalKind::standing`) dates from this entry if
    /// it changed it, or if it is the first entry.
    pub fn plus(self, entry: &ProgressEntry, new_date: bool, standing: impl Fn(&Tally) -> Amount) -> Tally {
        let mut t = self;
        t.entries += 1;
        if let Some(v) = entry.value {
            t.total = t.total.checked_add(v).unwrap_or(t.total);
            t.best = Some(t.best.map_or(v, |b| b.max(v)));
        }
        let date = entry.date.date();
        if new_date {
            t.days += 1;
            // A date after the last extends the streak; one filled in between needs all the
            // dates (`Tally::of`, or the store's replay).
            if t.last_date.is_none_or(|last| date > last) {
                t.streak.push(date);
            }
        }
        if t.first_date.is_none_or(|first| date < first) {
            t.first = entry.value;
            t.first_date = Some(date);
        }
        if t.last_date.is_none_or(|last| date >= last) {
            t.latest = entry.value;
            t.last_date = Some(date);
        }
        if self.entries == 0 || standing(&self) != standing(&t) {
            t.standing_at = Some(entry.recorded_at);
        }
        t
    }

    /// The tally of `entries` (in any order), replayed in the order they were recorded (by id).
    /// For in-memory stores, tests, and a participant's entries re-judged after an edit; the SQL
    /// stores keep the same figures on each participant's row.
    pub fn of<'a>(
        entries: impl IntoIterator<Item = &'a ProgressEntry>,
        standing: impl Fn(&Tally) -> Amount,
    ) -> Tally {
        let mut recorded: Vec<&ProgressEntry> = entries.into_iter().collect();
        recorded.sort_by_key(|e| e.id);
        let mut builder = TallyBuilder::default();
        for entry in recorded {
            builder.push(entry, &standing);
        }
        builder.tally
    }

    /// Whether adding an entry on `date` (a date with no entry yet) fills a gap before the latest
    /// date: then the streak must be computed again from every date.
    pub fn fills_a_gap(&self, date: NaiveDate) -> bool {
        self.last_date.is_some_and(|last| date < last)
    }
}

/// Builds a tally entry by entry, in the order they were recorded, knowing which dates it has
/// seen (what [`Tally::plus`] needs to count days).
#[derive(Clone, Debug, Default)]
pub struct TallyBuilder {
    tally: Tally,
    dates: std::collections::BTreeSet<NaiveDate>,
}

impl TallyBuilder {
    /// Adds an entry recorded after every entry already added.
    pub fn push(&mut self, entry: &ProgressEntry, standing: impl Fn(&Tally) -> Amount) {
        let date = entry.date.date();
        let fills_a_gap = self.tally.fills_a_gap(date);
        let new_date = self.dates.insert(date);
        self.tally = self.tally.plus(entry, new_date, standing);
        if new_date && fills_a_gap {
            self.tally.streak = super::Streak::of(self.dates.iter().copied());
        }
    }

    pub fn tally(&self) -> &Tally {
        &self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn progress_date_bounds() {
        let (start, deadline) = (d("2026-01-10"), d("2026-02-10"));
        let parse = |date, today| ProgressDate::parse(d(date), start, deadline, d(today));
        assert!(parse("2026-01-10", "2026-01-20").is_ok(), "the start day counts");
        assert!(parse("2026-02-10", "2026-02-10").is_ok(), "the deadline day itself counts");
        assert_eq!(
            parse("2026-01-09", "2026-01-20"),
            Err(ProgressError::DateBeforeStart { date: d("2026-01-09"), start })
        );
        assert_eq!(
            parse("2026-01-21", "2026-01-20"),
            Err(ProgressError::DateInFuture { date: d("2026-01-21"), today: d("2026-01-20") })
        );
        assert!(parse("2026-02-10", "2026-02-11").is_ok(), "the day of grace takes the deadline's entries");
        assert_eq!(
            parse("2026-02-11", "2026-02-11"),
            Err(ProgressError::DateAfterDeadline { date: d("2026-02-11"), deadline })
        );
        assert_eq!(parse("2026-02-10", "2026-02-12"), Err(ProgressError::ChallengeEnded { deadline }));
    }

    #[test]
    fn idempotency_keys() {
        assert!(IdempotencyKey::parse("tg:12345").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(64)).is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(65)).is_err());
        assert!(IdempotencyKey::parse("").is_err());
        assert_eq!(IdempotencyKey::parse(" a b ").unwrap().as_str(), "a b", "spaces inside are printable");
        assert!(IdempotencyKey::parse("a\tb").is_err());
        assert!(IdempotencyKey::parse("   ").is_err());
        assert!(IdempotencyKey::parse("ключ").is_err());
    }

    fn entry(id: i64, date: &str, value: Option<i64>) -> ProgressEntry {
        ProgressEntry {
            id,
            challenge: ChallengeId(1),
            user: UserId(1),
            value: value.map(Amount::from_hundredths),
            date: ProgressDate::from_stored(d(date)),
            recorded_at: Utc::now(),
            idempotency_key: None,
        }
    }

    #[test]
    fn tally_sums_counts_days_and_finds_first_latest_and_best() {
        let entries = [
            entry(1, "2026-01-02", Some(10)),
            entry(2, "2026-01-01", Some(20)),
            entry(3, "2026-01-02", Some(30)),
            entry(4, "2026-01-01", Some(5)),
        ];
        let t = Tally::of(&entries, |t| t.total);
        assert_eq!(t.total, Amount::from_hundredths(65));
        assert_eq!(t.latest, Some(Amount::from_hundredths(30)), "same date: the last recorded wins");
        assert_eq!(t.first, Some(Amount::from_hundredths(20)), "earliest date, then the first recorded");
        assert_eq!(t.best, Some(Amount::from_hundredths(30)));
        assert_eq!((t.days, t.entries), (2, 4));
        assert_eq!((t.first_date, t.last_date), (Some(d("2026-01-01")), Some(d("2026-01-02"))));
        assert_eq!(Tally::of(&[], |t| t.total), Tally::default());
    }

    #[test]
    fn the_standing_is_dated_by_the_entry_that_last_changed_it() {
        let mut entries = [
            entry(1, "2026-01-01", Some(10)),
            entry(2, "2026-01-02", Some(5)),
            entry(3, "2026-01-03", Some(8)),
        ];
        for (i, e) in entries.iter_mut().enumerate() {
            e.recorded_at = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 1, 10, i as u32, 0).unwrap();
        }
        let best = |t: &Tally| t.best.unwrap_or_default();
        // The best (10) was reached by the first entry and never changed after.
        assert_eq!(Tally::of(&entries, best).standing_at, Some(entries[0].recorded_at));
        // The total changed with every entry.
        assert_eq!(Tally::of(&entries, |t| t.total).standing_at, Some(entries[2].recorded_at));
    }
}
