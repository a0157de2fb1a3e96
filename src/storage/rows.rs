//! Rows as the SQL stores read them, and their conversion to domain values (checked again on
//! the way out: a stored value the domain refuses is reported, not passed on).

use chrono::{DateTime, NaiveDate, Utc};

use super::error::corrupt;
use crate::amount::Amount;
use crate::challenge::{
    Challenge, ChallengeId, ChallengeName, DeletedChallenge, Description, Listing, Unit, Visibility,
};
use crate::goal::{GoalKind, Participant, Standing};
use crate::progress::{IdempotencyKey, ProgressDate, ProgressEntry, Streak, Tally};
use crate::repository::RepositoryError;
use crate::user::{DisplayName, UserId};

pub(crate) fn goal_kind(stored: &str) -> Result<GoalKind, RepositoryError> {
    GoalKind::ALL.into_iter().find(|k| k.as_str() == stored).ok_or_else(|| corrupt("goal kind", stored))
}

/// `Page::ALL` asks for `u32::MAX` rows: fine as an `i64` for `LIMIT`.
pub(crate) fn limit_offset(page: crate::repository::Page) -> (i64, i64) {
    (i64::from(page.limit), i64::from(page.offset))
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChallengeRow {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) creator_id: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) start_date: NaiveDate,
    pub(crate) deadline: NaiveDate,
    pub(crate) unit: Option<String>,
    pub(crate) goal_kind: String,
    pub(crate) default_goal_hundredths: i64,
    pub(crate) first_finisher_id: Option<i64>,
    pub(crate) visibility: String,
    pub(crate) time_zone: Option<String>,
}

impl TryFrom<ChallengeRow> for Challenge {
    type Error = RepositoryError;
    fn try_from(row: ChallengeRow) -> Result<Challenge, RepositoryError> {
        Ok(Challenge {
            id: ChallengeId(row.id),
            name: ChallengeName::parse(&row.name).map_err(|e| corrupt("challenge name", e))?,
            description: Description::parse(&row.description).map_err(|e| corrupt("description", e))?,
            creator: UserId(row.creator_id),
            created_at: row.created_at,
            start_date: row.start_date,
            deadline: row.deadline,
            unit: row.unit.as_deref().map(Unit::parse).transpose().map_err(|e| corrupt("unit", e))?,
            goal_kind: goal_kind(&row.goal_kind)?,
            default_goal: Amount::from_hundredths(row.default_goal_hundredths),
            first_finisher: row.first_finisher_id.map(UserId),
            visibility: Visibility::parse(&row.visibility)
                .ok_or_else(|| corrupt("visibility", &row.visibility))?,
            zone: row
                .time_zone
                .as_deref()
                .map(|z| z.parse::<chrono_tz::Tz>().map_err(|_| corrupt("time zone", z)))
                .transpose()?,
        })
    }
}

/// A public challenge in the list, with its participant count and its creator's name.
#[derive(sqlx::FromRow)]
pub(crate) struct ListingRow {
    #[sqlx(flatten)]
    pub(crate) challenge: ChallengeRow,
    pub(crate) participants: i64,
    pub(crate) creator_name: Option<String>,
}

impl TryFrom<ListingRow> for Listing {
    type Error = RepositoryError;
    fn try_from(row: ListingRow) -> Result<Listing, RepositoryError> {
        let challenge: Challenge = row.challenge.try_into()?;
        let creator_name = row.creator_name.map(|name| DisplayName::sanitize(&name, challenge.creator));
        Ok(Listing { challenge, participants: u64::try_from(row.participants).unwrap_or(0), creator_name })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeletionRow {
    pub(crate) challenge_id: i64,
    pub(crate) name: String,
    pub(crate) creator_id: i64,
    pub(crate) deleted_at: DateTime<Utc>,
}

impl TryFrom<DeletionRow> for DeletedChallenge {
    type Error = RepositoryError;
    fn try_from(row: DeletionRow) -> Result<DeletedChallenge, RepositoryError> {
        Ok(DeletedChallenge {
            id: ChallengeId(row.challenge_id),
            name: ChallengeName::parse(&row.name).map_err(|e| corrupt("challenge name", e))?,
            creator: UserId(row.creator_id),
            deleted_at: row.deleted_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ParticipantRow {
    pub(crate) challenge_id: i64,
    pub(crate) user_id: i64,
    pub(crate) goal_hundredths: i64,
    pub(crate) joined_at: DateTime<Utc>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
}

impl From<ParticipantRow> for Participant {
    fn from(row: ParticipantRow) -> Participant {
        Participant {
            challenge: ChallengeId(row.challenge_id),
            user: UserId(row.user_id),
            goal: Amount::from_hundredths(row.goal_hundredths),
            joined_at: row.joined_at,
            completed_at: row.completed_at,
        }
    }
}

/// A participant row locked for an update, with its tally and what the update needs of its
/// challenge (the kind of goal, the challenge's own goal and whether someone finished it first).
#[derive(sqlx::FromRow)]
pub(crate) struct LockedParticipant {
    pub(crate) goal_hundredths: i64,
    pub(crate) joined_at: DateTime<Utc>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) goal_kind: String,
    pub(crate) default_goal_hundredths: i64,
    pub(crate) first_finisher_id: Option<i64>,
    pub(crate) name_hidden_as: Option<i64>,
    #[sqlx(flatten)]
    pub(crate) tally: TallyRow,
    /// The participant has an entry on the date the write asked about.
    pub(crate) date_seen: bool,
    /// …and a check-in on it.
    pub(crate) checked_in: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct EntryRow {
    pub(crate) id: i64,
    pub(crate) challenge_id: i64,
    pub(crate) user_id: i64,
    pub(crate) value_hundredths: Option<i64>,
    pub(crate) progress_date: NaiveDate,
    pub(crate) recorded_at: DateTime<Utc>,
    pub(crate) idempotency_key: Option<String>,
}

impl TryFrom<EntryRow> for ProgressEntry {
    type Error = RepositoryError;
    fn try_from(row: EntryRow) -> Result<ProgressEntry, RepositoryError> {
        Ok(ProgressEntry {
            id: row.id,
            challenge: ChallengeId(row.challenge_id),
            user: UserId(row.user_id),
            value: row.value_hundredths.map(Amount::from_hundredths),
            date: ProgressDate::from_stored(row.progress_date),
            recorded_at: row.recorded_at,
            idempotency_key: row
                .idempotency_key
                .as_deref()
                .map(IdempotencyKey::parse)
                .transpose()
                .map_err(|e| corrupt("idempotency key", e))?,
        })
    }
}

/// What the tally queries select (`tally_columns!`). The default is the tally of someone with no
/// entries (or no participant row).
#[derive(sqlx::FromRow, Default, Clone)]
pub(crate) struct TallyRow {
    pub(crate) total: i64,
    pub(crate) latest: Option<i64>,
    pub(crate) best: Option<i64>,
    pub(crate) first: Option<i64>,
    pub(crate) days: i64,
    pub(crate) entries: i64,
    pub(crate) first_date: Option<NaiveDate>,
    pub(crate) last_date: Option<NaiveDate>,
    pub(crate) standing_at: Option<DateTime<Utc>>,
    /// `NULL` until the store computed it (see migration 0006).
    pub(crate) streak_run: Option<i64>,
    pub(crate) streak_best: Option<i64>,
    pub(crate) streak_freezes: Option<i64>,
}

impl TallyRow {
    /// Whether the streak was never computed (a participant with entries from before migration
    /// 0006 whose streak `migrate()` has not reached yet): it must be computed from the dates,
    /// not extended from zero.
    pub(crate) fn streak_missing(&self) -> bool {
        self.entries > 0 && self.streak_best.is_none()
    }
}

impl From<TallyRow> for Tally {
    fn from(row: TallyRow) -> Tally {
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Tally {
            total: Amount::from_hundredths(row.total),
            latest: row.latest.map(Amount::from_hundredths),
            best: row.best.map(Amount::from_hundredths),
            first: row.first.map(Amount::from_hundredths),
            days: count(row.days),
            entries: count(row.entries),
            first_date: row.first_date,
            last_date: row.last_date,
            standing_at: row.standing_at,
            streak: Streak {
                run: count(row.streak_run.unwrap_or(0)),
                best: count(row.streak_best.unwrap_or(0)),
                freezes: count(row.streak_freezes.unwrap_or(0)),
                last: row.last_date,
            },
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct StandingRow {
    #[sqlx(flatten)]
    pub(crate) participant: ParticipantRow,
    pub(crate) display_name: Option<String>,
    /// `participants.name_hidden_as`.
    pub(crate) hidden_as: Option<i64>,
    #[sqlx(flatten)]
    pub(crate) tally: TallyRow,
}

/// The name shown for a participant in one challenge: "Participant N" while its creator hides
/// theirs (`hidden_as`), else their display name if there is one.
pub(crate) fn shown_name(
    user: UserId,
    display_name: Option<&str>,
    hidden_as: Option<i64>,
) -> Option<DisplayName> {
    match hidden_as.and_then(|n| u32::try_from(n).ok()) {
        Some(number) => Some(DisplayName::hidden(number)),
        None => display_name.map(|name| DisplayName::sanitize(name, user)),
    }
}

impl From<StandingRow> for Standing {
    fn from(row: StandingRow) -> Standing {
        let user = UserId(row.participant.user_id);
        Standing {
            participant: row.participant.into(),
            display_name: shown_name(user, row.display_name.as_deref(), row.hidden_as),
            hidden_as: row.hidden_as.and_then(|n| u32::try_from(n).ok()),
            tally: row.tally.into(),
        }
    }
}

/// A participant of a standing band, with how many stand above the band (the same on every row).
#[derive(sqlx::FromRow)]
pub(crate) struct BandRow {
    #[sqlx(flatten)]
    pub(crate) standing: StandingRow,
    pub(crate) above: i64,
}

/// A participant at the top of a leaderboard, with how many take part (the same on every row).
#[derive(sqlx::FromRow)]
pub(crate) struct LeaderRow {
    #[sqlx(flatten)]
    pub(crate) standing: StandingRow,
    pub(crate) participants: i64,
}

/// A participant level with the one asked about, with the counts of a position (the same on
/// every row).
#[derive(sqlx::FromRow)]
pub(crate) struct PositionRow {
    #[sqlx(flatten)]
    pub(crate) standing: StandingRow,
    pub(crate) participants: i64,
    pub(crate) above: i64,
    pub(crate) first_finisher_in: i64,
    pub(crate) first_finisher_name: Option<String>,
    pub(crate) first_finisher_hidden_as: Option<i64>,
}

/// Someone level with the asking user in one of their challenges, with that challenge's kind
/// and counts (`GoalRepository::places`).
#[derive(sqlx::FromRow)]
pub(crate) struct PlaceRow {
    #[sqlx(flatten)]
    pub(crate) participant: ParticipantRow,
    #[sqlx(flatten)]
    pub(crate) tally: TallyRow,
    pub(crate) goal_kind: String,
    pub(crate) participants: i64,
    pub(crate) above: i64,
}

/// One of a user's challenges with their own line in it (the "My challenges" list).
#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    #[sqlx(flatten)]
    pub(crate) challenge: ChallengeRow,
    #[sqlx(flatten)]
    pub(crate) participant: ParticipantRow,
    #[sqlx(flatten)]
    pub(crate) tally: TallyRow,
}

impl TryFrom<MembershipRow> for crate::goal::Membership {
    type Error = RepositoryError;
    fn try_from(row: MembershipRow) -> Result<crate::goal::Membership, RepositoryError> {
        Ok(crate::goal::Membership {
            challenge: row.challenge.try_into()?,
            participant: row.participant.into(),
            tally: row.tally.into(),
        })
    }
}

/// An entry as exported (`ProgressRepository::export_entries`).
#[derive(sqlx::FromRow)]
pub(crate) struct ExportRow {
    pub(crate) challenge_id: i64,
    pub(crate) challenge_name: String,
    pub(crate) unit: Option<String>,
    pub(crate) user_id: i64,
    pub(crate) display_name: Option<String>,
    /// `participants.name_hidden_as`: the export of a challenge shows what its leaderboard shows.
    pub(crate) hidden_as: Option<i64>,
    pub(crate) progress_date: NaiveDate,
    pub(crate) value_hundredths: Option<i64>,
    pub(crate) recorded_at: DateTime<Utc>,
}

impl From<ExportRow> for crate::progress::ExportedEntry {
    fn from(row: ExportRow) -> crate::progress::ExportedEntry {
        crate::progress::ExportedEntry {
            challenge: crate::challenge::ChallengeId(row.challenge_id),
            challenge_name: row.challenge_name,
            unit: row.unit,
            user: UserId(row.user_id),
            display_name: shown_name(UserId(row.user_id), row.display_name.as_deref(), row.hidden_as)
                .map(|name| name.as_str().to_owned()),
            date: row.progress_date,
            value: row.value_hundredths.map(Amount::from_hundredths),
            recorded_at: row.recorded_at,
        }
    }
}
