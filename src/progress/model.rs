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
    pub fn parse(
        date: NaiveDate,
        start: NaiveDate,
        deadline: NaiveDate,
        today: NaiveDate,
    ) -> Result<ProgressDate, ProgressError> {
        if today > deadline {
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

/// What a participant's entries add up to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct Tally {
    /// Sum of all values (check-ins count zero).
    pub total: Amount,
    /// The value of the latest entry: greatest date, and among those the last recorded.
    pub latest: Option<Amount>,
    /// Distinct dates with at least one entry.
    pub days: u32,
    /// Number of entries.
    pub entries: u32,
    pub last_date: Option<NaiveDate>,
}

impl Tally {
    /// The tally of entries given oldest first (for in-memory stores and tests; the SQL stores
    /// keep the same figures on each participant's row, updated with every entry).
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a ProgressEntry>) -> Tally {
        let mut tally = Tally::default();
        let mut days: Vec<NaiveDate> = Vec::new();
        let mut latest_key: Option<(NaiveDate, i64)> = None;
        for entry in entries {
            tally.entries += 1;
            if let Some(v) = entry.value {
                tally.total = tally.total.checked_add(v).unwrap_or(tally.total);
            }
            let date = entry.date.date();
            if !days.contains(&date) {
                days.push(date);
            }
            if latest_key.is_none_or(|k| (date, entry.id) > k) {
                latest_key = Some((date, entry.id));
                tally.latest = entry.value;
            }
        }
        tally.days = days.len() as u32;
        tally.last_date = days.iter().max().copied();
        tally
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
        assert_eq!(parse("2026-02-10", "2026-02-11"), Err(ProgressError::ChallengeEnded { deadline }));
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
    fn tally_sums_counts_days_and_finds_latest() {
        let entries = [
            entry(1, "2026-01-02", Some(10)),
            entry(2, "2026-01-01", Some(20)),
            entry(3, "2026-01-02", Some(30)),
        ];
        let t = Tally::of(&entries);
        assert_eq!(t.total, Amount::from_hundredths(60));
        assert_eq!(t.latest, Some(Amount::from_hundredths(30)), "same date: the last recorded wins");
        assert_eq!(t.days, 2);
        assert_eq!(t.entries, 3);
        assert_eq!(t.last_date, Some(d("2026-01-02")));
        assert_eq!(Tally::of(&[]), Tally::default());
    }
}
