//! The use cases: every action a person can take, whatever protocol they use.
//!
//! This is where the domains meet (the design document puts all coupling in the handler): a
//! join needs the challenge's dates and goal kind; logging progress needs the challenge's dates,
//! the participant and the goal that judges the new tally. The conversation and the scripted CLI
//! both call these methods, so a rule is enforced in one place.

mod chart;
mod entries;
mod group;
mod invite;
mod limits;
mod manage;
mod moderation;
mod privacy;
mod reminders;

pub use chart::CHART_LINES;
pub use entries::EntryChanged;
pub use group::GROUP_LIST;
pub use invite::Invite;
pub use limits::{CREATIONS_PER_DAY, RENEWALS_PER_DAY};
pub use manage::{ChallengeEdit, DELETION_NOTICE_DAYS};
pub use privacy::{PersonData, PersonGone};
pub use reminders::{Covers, DUE_BATCH, NextRound};

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::amount::{Amount, AmountError};
use crate::challenge::{
    Challenge, ChallengeError, ChallengeFilter, ChallengeId, ChallengeName, Deadline, Description,
    NewChallenge, Unit, Visibility,
};
use crate::clock::{Clock, DateError, Today};
use crate::goal::{
    Goal, GoalError, GoalKind, Membership, MembershipScope, Memberships, Pace, Participant, Place,
    PlaceChange, Position, Ranked, UnknownGoalKind, rank,
};
use crate::progress::{
    ExportScope, ExportedEntry, IdempotencyKey, NewProgress, ProgressDate, ProgressEntry, ProgressError,
    ProgressValue, Recorded, Tally,
};
use crate::repository::{Page, Paged, RepositoryError, Store};
use crate::user::{DisplayName, UserId};

/// Why an action was refused. Every variant's `Display` text is fit to show the user; storage
/// failures say only that something went wrong (details go to the log).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input broke a domain rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// A goal that cannot be met in the time left (a days goal above the days available).
    #[error("{0}")]
    Unreachable(String),
    #[error("There is no challenge #{0}.")]
    ChallengeNotFound(ChallengeId),
    #[error("You have not joined challenge #{0}.")]
    NotParticipant(ChallengeId),
    #[error("You have already joined challenge #{0}.")]
    AlreadyJoined(ChallengeId),
    #[error("This challenge ended on {deadline}.")]
    ChallengeEnded { deadline: NaiveDate },
    /// Logging closed at the end of the day of grace: the standings are final.
    #[error(
        "This challenge ended on {deadline} and its standings are final: entries can no longer be logged or changed."
    )]
    ChallengeFinal { deadline: NaiveDate },
    #[error("“{name}” (#{id}) was deleted by its creator.")]
    ChallengeDeleted { id: ChallengeId, name: String },
    #[error(
        "Only the creator of challenge #{0} can manage it (change it, export everyone's entries or delete it)."
    )]
    NotCreator(ChallengeId),
    #[error("Challenge #{0} is private: only people with its invite link can see it.")]
    Private(ChallengeId),
    #[error("That invite link is not valid: check that it was copied whole.")]
    InviteMalformed,
    #[error("That invite link has expired: its challenge's creator made a new one. Ask for the new link.")]
    InviteExpired,
    #[error("That invite link does not lead to any challenge. Ask for a new link.")]
    InviteUnknown,
    #[error(
        "You have created {} challenges in the last 24 hours, the most I allow, so that I cannot be used to spam. You can create the next one from {} UTC.",
        limits::CREATIONS_PER_DAY,
        next.format("%Y-%m-%d %H:%M")
    )]
    CreationLimit { next: DateTime<Utc> },
    #[error(
        "You have made {} new invite links in the last 24 hours, the most I allow. You can make the next one from {} UTC; the current link keeps working.",
        limits::RENEWALS_PER_DAY,
        next.format("%Y-%m-%d %H:%M")
    )]
    RenewalLimit { next: DateTime<Utc> },
    #[error("Challenge #{0} is closed to new participants.")]
    JoinClosed(ChallengeId),
    #[error("You were removed from challenge #{0} by its creator, so you cannot join it again.")]
    RemovedFrom(ChallengeId),
    #[error(
        "That link to create a challenge for a group is no longer valid: send /challenge in the group for a new one."
    )]
    GroupLinkUnknown,
    #[error("Challenge #{0} is not one of this group's challenges.")]
    NotThisGroup(ChallengeId),
    #[error("Only the creator of challenge #{0} and the group's admins can delete it.")]
    NotGroupManager(ChallengeId),
    #[error("You created challenge #{0}, so you cannot leave it; you can delete it instead.")]
    CreatorCannotLeave(ChallengeId),
    #[error("There is no entry #{0} of yours.")]
    EntryNotFound(i64),
    /// An idempotency key was used before for an entry with another value.
    #[error("The key \"{key}\" was already used for another entry ({}); use a new key for a new entry.", first_value.map_or_else(|| "a check-in".to_owned(), |v| v.to_string()))]
    KeyReused { key: String, first_value: Option<Amount> },
    #[error("You already checked in for {}: one check-in per day counts.", crate::clock::friendly_date(*date))]
    AlreadyCheckedIn { date: NaiveDate },
    #[error("The database is read-only, so nothing can be changed.")]
    ReadOnly(#[source] RepositoryError),
    /// The database refused the change (a rule of its schema): trying again will not help.
    #[error("That cannot be saved: it is outside what the database accepts.")]
    Refused(#[source] RepositoryError),
    #[error("Something went wrong while saving; please try again in a moment.")]
    Storage(#[source] RepositoryError),
}

impl AppError {
    /// Storage failures are the only errors worth retrying.
    pub fn is_storage(&self) -> bool {
        matches!(self, AppError::Storage(_))
    }
}

macro_rules! invalid_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> Self {
                AppError::Invalid(e.to_string())
            }
        }
    )*};
}
invalid_from!(ChallengeError, GoalError, ProgressError, DateError, AmountError, UnknownGoalKind);

impl From<RepositoryError> for AppError {
    fn from(e: RepositoryError) -> Self {
        match e {
            RepositoryError::ChallengeNotFound(id) => AppError::ChallengeNotFound(ChallengeId(id)),
            RepositoryError::NotParticipant { challenge, .. } => {
                AppError::NotParticipant(ChallengeId(challenge))
            }
            RepositoryError::AlreadyJoined { challenge, .. } => {
                AppError::AlreadyJoined(ChallengeId(challenge))
            }
            RepositoryError::KeyReused { key, first_value } => AppError::KeyReused { key, first_value },
            RepositoryError::AlreadyCheckedIn { date } => AppError::AlreadyCheckedIn { date },
            RepositoryError::EntryNotFound { entry, .. } => AppError::EntryNotFound(entry),
            e @ RepositoryError::ReadOnly(_) => AppError::ReadOnly(e),
            e @ RepositoryError::Refused(_) => {
                tracing::warn!(error = %e, "the database refused a change");
                AppError::Refused(e)
            }
            other => AppError::Storage(other),
        }
    }
}

/// A challenge with its ranked participants, as shown by "show" and the challenge view.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Overview {
    pub challenge: Challenge,
    pub leaderboard: Vec<Ranked>,
    /// The asking user's own line, if they joined.
    pub me: Option<Ranked>,
    /// Whether entries are closed (after the day of grace): the standings are final.
    #[serde(rename = "final")]
    pub is_final: bool,
}

/// A leaderboard's top with the viewer's own line: what the leaderboard screen shows, read
/// without the rest of the participants.
#[derive(Clone, Debug)]
pub struct Board {
    pub challenge: Challenge,
    pub top: Vec<Ranked>,
    pub participants: u32,
    /// The viewer's line, if they joined.
    pub me: Option<Ranked>,
    /// The first to meet the challenge's goal, while they take part.
    pub first_finisher: Option<DisplayName>,
    pub is_final: bool,
}

/// The fields of a challenge to create, each already parsed except the deadline (which depends
/// on today, so the application checks it).
#[derive(Clone, Debug)]
pub struct ChallengeDraft {
    pub name: ChallengeName,
    pub description: Description,
    pub deadline: NaiveDate,
    pub unit: Option<Unit>,
    pub goal: Goal,
    pub visibility: Visibility,
}

/// A goal replaced, with the participant before and after.
#[derive(Clone, Debug)]
pub struct GoalSet {
    pub challenge: Challenge,
    pub before: Participant,
    pub participant: Participant,
    pub tally: Tally,
}

impl GoalSet {
    pub fn goal(&self) -> Goal {
        Goal::from_stored(self.challenge.goal_kind, self.participant.goal)
    }

    /// The new goal is easier and already met: marked met, not celebrated (nothing was earned).
    pub fn met_by_easing(&self) -> bool {
        self.before.completed_at.is_none() && self.participant.completed_at.is_some()
    }

    /// The new goal is harder than what was met: open again.
    pub fn reopened(&self) -> bool {
        self.before.completed_at.is_some() && self.participant.completed_at.is_none()
    }
}

/// Progress as recorded, with the challenge it was for.
#[derive(Clone, Debug)]
pub struct ProgressLogged {
    pub challenge: Challenge,
    pub goal: Goal,
    pub recorded: Recorded,
    /// The entry made the person the first to meet the challenge's own goal while others take
    /// part too (alone, "first" is no news).
    pub first_among_others: bool,
    /// The entry moved the person up the leaderboard.
    pub moved_up: Option<PlaceChange>,
    /// Where the person stands against finishing on time (total and days goals).
    pub pace: Option<Pace>,
}

/// The use cases over one store and one clock. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Arc<dyn Store>,
    clock: Clock,
}

impl App {
    pub fn new(store: Arc<dyn Store>, clock: Clock) -> App {
        App { store, clock }
    }

    /// The same use cases on another store (one bot update's, say), with the same clock.
    pub fn with_store(&self, store: Arc<dyn Store>) -> App {
        App { store, clock: self.clock.clone() }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// "Today" where a challenge's days are counted (its creator's zone at its creation): its
    /// deadline and day of grace end at midnight there, wherever the person asking is.
    pub fn today_of(&self, challenge: &Challenge) -> NaiveDate {
        self.clock.today_in(challenge.zone.unwrap_or_else(|| self.clock.server_zone()))
    }

    /// Today in every zone: for lists that judge each challenge in its own zone.
    pub fn today_everywhere(&self) -> Today {
        self.clock.today_everywhere()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub async fn remember_user(&self, user: UserId, name: &DisplayName) -> Result<(), AppError> {
        Ok(self.store.upsert_user(user, name).await?)
    }

    /// The name recorded for a user, if any.
    pub async fn display_name(&self, user: UserId) -> Result<Option<DisplayName>, AppError> {
        Ok(self.store.display_name(user).await?)
    }

    /// The challenges a user joined, with their own line in each, most recently active first
    /// (see [`crate::goal::GoalRepository::memberships`]).
    pub async fn memberships(
        &self,
        user: UserId,
        scope: MembershipScope,
        page: Page,
    ) -> Result<Memberships, AppError> {
        Ok(self.store.memberships(user, scope, page).await?)
    }

    /// The user's place and how many take part in each of these challenges they joined (one
    /// statement on the SQL stores).
    pub async fn places(
        &self,
        user: UserId,
        challenges: &[&Challenge],
    ) -> Result<std::collections::HashMap<ChallengeId, Place>, AppError> {
        let asked: Vec<(ChallengeId, GoalKind)> = challenges.iter().map(|c| (c.id, c.goal_kind)).collect();
        Ok(self.store.places(user, &asked).await?)
    }

    /// The user's challenges that still take entries, most recently active first, at most
    /// `limit` (the main menu's one-tap buttons; one statement).
    pub async fn recently_active(&self, user: UserId, limit: u32) -> Result<Vec<Membership>, AppError> {
        Ok(self.store.recently_active(user, self.today_everywhere(), limit).await?)
    }

    /// Creates a challenge; its creator joins with the default goal.
    pub async fn create_challenge(
        &self,
        creator: UserId,
        draft: ChallengeDraft,
    ) -> Result<Challenge, AppError> {
        let today = self.today();
        let deadline = Deadline::parse(draft.deadline, today)?;
        check_days_reachable(draft.goal, today, deadline.date(), 0)?;
        let new = NewChallenge {
            name: draft.name,
            description: draft.description,
            creator,
            created_at: self.now(),
            start_date: today,
            deadline,
            unit: draft.unit,
            goal: draft.goal,
            visibility: draft.visibility,
        };
        let mut challenge = self.store.create_challenge(&new).await?;
        // Its days end at midnight where its creator is.
        let zone = self.clock.zone();
        self.store.set_challenge_zone(challenge.id, zone).await?;
        challenge.zone = Some(zone);
        Ok(challenge)
    }

    /// A challenge; one that was deleted is reported as such (`ChallengeDeleted`).
    pub async fn challenge(&self, id: ChallengeId) -> Result<Challenge, AppError> {
        match self.store.challenge(id).await? {
            Some(challenge) => Ok(challenge),
            None => Err(self.missing(id).await),
        }
    }

    /// Why a challenge is not there: deleted by its creator, or never was.
    async fn missing(&self, id: ChallengeId) -> AppError {
        match self.store.deleted_challenge(id).await {
            Ok(Some(deleted)) => AppError::ChallengeDeleted { id, name: deleted.name.as_str().to_owned() },
            Ok(None) => AppError::ChallengeNotFound(id),
            Err(e) => e.into(),
        }
    }

    /// A challenge that still takes entries (up to the end of its day of grace).
    pub async fn open_challenge(&self, id: ChallengeId) -> Result<Challenge, AppError> {
        let challenge = self.challenge(id).await?;
        self.ensure_open(&challenge)?;
        Ok(challenge)
    }

    /// Refuses a challenge already read whose entries are closed (after the day of grace).
    pub fn ensure_open(&self, challenge: &Challenge) -> Result<(), AppError> {
        if challenge.is_final(self.today_of(challenge)) {
            return Err(AppError::ChallengeFinal { deadline: challenge.deadline });
        }
        Ok(())
    }

    /// A challenge that is still open for joining, goals and progress.
    pub async fn active_challenge(&self, id: ChallengeId) -> Result<Challenge, AppError> {
        let challenge = self.challenge(id).await?;
        if challenge.has_ended(self.today_of(&challenge)) {
            return Err(AppError::ChallengeEnded { deadline: challenge.deadline });
        }
        Ok(challenge)
    }

    pub async fn list(&self, filter: ChallengeFilter, page: Page) -> Result<Paged<Challenge>, AppError> {
        Ok(self.store.list_challenges(filter, page).await?)
    }

    /// Joins a challenge with the user's own goal target, or the challenge's default.
    pub async fn join(
        &self,
        id: ChallengeId,
        user: UserId,
        target: Option<Amount>,
    ) -> Result<(Challenge, Participant), AppError> {
        let challenge = self.active_challenge(id).await?;
        let goal = Goal::new(challenge.goal_kind, target.unwrap_or(challenge.default_goal))?;
        let today = self.today();
        check_days_reachable(goal, today.max(challenge.start_date), challenge.deadline, 0)?;
        self.ensure_may_join(id, user).await?;
        let participant = self.store.join(id, user, goal.target, self.now()).await?;
        Ok((challenge, participant))
    }

    /// A participant of a challenge, or `NotParticipant`.
    pub async fn participant(&self, id: ChallengeId, user: UserId) -> Result<Participant, AppError> {
        self.store.participant(id, user).await?.ok_or(AppError::NotParticipant(id))
    }

    /// A challenge that is not final yet with the user's line in it, in one read; why not
    /// (deleted, final, not joined) costs more reads, only when it is so.
    pub async fn open_membership(&self, id: ChallengeId, user: UserId) -> Result<Membership, AppError> {
        match self.store.membership(id, user).await? {
            Some(m) if m.challenge.is_final(self.today_of(&m.challenge)) => {
                Err(AppError::ChallengeFinal { deadline: m.challenge.deadline })
            }
            Some(m) => Ok(m),
            None => {
                self.open_challenge(id).await?;
                Err(AppError::NotParticipant(id))
            }
        }
    }

    /// A participant and what their entries add up to (one row of the user's challenges).
    pub async fn standing(&self, id: ChallengeId, user: UserId) -> Result<(Participant, Tally), AppError> {
        let participant = self.participant(id, user).await?;
        let tally = self.store.tally(id, user).await?;
        Ok((participant, tally))
    }

    /// Replaces the user's goal target (any time up to the deadline). Completion is re-judged:
    /// an easier goal already met is marked met (`GoalSet::met_by_easing`), a harder one re-opens.
    pub async fn set_goal(&self, id: ChallengeId, user: UserId, target: Amount) -> Result<GoalSet, AppError> {
        let challenge = self.active_challenge(id).await?;
        let goal = Goal::new(challenge.goal_kind, target)?;
        if goal.kind == GoalKind::Days {
            let today = self.today();
            let tally = self.store.tally(id, user).await?;
            // Days already checked in count too (today's is among the days still available).
            let before_today = tally.days - u32::from(tally.last_date == Some(today));
            check_days_reachable(goal, today.max(challenge.start_date), challenge.deadline, before_today)?;
        }
        let before = self.participant(id, user).await?;
        let participant = self.store.set_goal(id, user, goal.target, self.now()).await?;
        let tally = self.store.tally(id, user).await?;
        Ok(GoalSet { challenge, before, participant, tally })
    }

    /// Logs progress: a value (or a check-in for a days challenge) on a date.
    pub async fn add_progress(
        &self,
        id: ChallengeId,
        user: UserId,
        value: Option<Amount>,
        date: NaiveDate,
        key: Option<IdempotencyKey>,
    ) -> Result<ProgressLogged, AppError> {
        let challenge = self.challenge(id).await?;
        self.add_progress_to(challenge, user, value, date, key).await
    }

    /// [`App::add_progress`] in a challenge already read in this turn.
    pub async fn add_progress_to(
        &self,
        challenge: Challenge,
        user: UserId,
        value: Option<Amount>,
        date: NaiveDate,
        key: Option<IdempotencyKey>,
    ) -> Result<ProgressLogged, AppError> {
        let id = challenge.id;
        let value = match (challenge.goal_kind.takes_values(), value) {
            (true, Some(v)) => ProgressValue::Amount(v),
            (true, None) => return Err(ProgressError::ValueMissing.into()),
            (false, None) => ProgressValue::CheckIn,
            (false, Some(_)) => return Err(ProgressError::ValueNotExpected.into()),
        };
        if challenge.is_final(self.today_of(&challenge)) {
            return Err(AppError::ChallengeFinal { deadline: challenge.deadline });
        }
        let date = ProgressDate::parse(date, challenge.start_date, challenge.deadline, self.today())?;
        let new =
            NewProgress { challenge: id, user, value, date, recorded_at: self.now(), idempotency_key: key };
        // The store refuses someone who has not joined, and returns their goal with the entry.
        let recorded = self.store.add_progress(&new).await?;
        let goal = Goal::from_stored(challenge.goal_kind, recorded.goal);
        let kind = challenge.goal_kind;
        let (moved_up, first_among_others) = if recorded.duplicate {
            (None, false)
        } else {
            let moved_up = self.store.place_change(id, kind, user, &recorded.before, &recorded.tally).await?;
            let first_among_others = recorded.first_to_finish && self.store.standings(id).await?.len() > 1;
            (moved_up, first_among_others)
        };
        let from = recorded.joined_at.date_naive().max(challenge.start_date);
        let pace = Pace::of(goal, &recorded.tally, from, challenge.deadline, self.today());
        Ok(ProgressLogged { challenge, goal, recorded, first_among_others, moved_up, pace })
    }

    /// Removes the user's most recently recorded entry, while the challenge takes entries.
    pub async fn undo_last(
        &self,
        id: ChallengeId,
        user: UserId,
    ) -> Result<Option<(ProgressEntry, Tally)>, AppError> {
        self.open_challenge(id).await?;
        self.participant(id, user).await?;
        Ok(self.store.undo_last_progress(id, user, self.now()).await?)
    }

    pub async fn progress(&self, id: ChallengeId, user: UserId) -> Result<Vec<ProgressEntry>, AppError> {
        self.challenge(id).await?;
        self.participant(id, user).await?;
        Ok(self.store.list_progress(id, user).await?)
    }

    /// The challenge and the user's own place in it, without ranking everyone (one statement
    /// besides the challenge's). `NotParticipant` if they have not joined.
    pub async fn own_position(
        &self,
        id: ChallengeId,
        user: UserId,
    ) -> Result<(Challenge, Position), AppError> {
        let challenge = self.challenge(id).await?;
        let position = self.position_in(&challenge, user).await?.ok_or(AppError::NotParticipant(id))?;
        Ok((challenge, position))
    }

    /// The user's own place in a challenge already read; `None` if they have not joined.
    pub async fn position_in(
        &self,
        challenge: &Challenge,
        user: UserId,
    ) -> Result<Option<Position>, AppError> {
        Ok(self.store.position(challenge.id, challenge.goal_kind, user, challenge.first_finisher).await?)
    }

    /// Everyone's entries in a challenge, for an export.
    pub async fn challenge_entries(
        &self,
        id: ChallengeId,
    ) -> Result<(Challenge, Vec<ExportedEntry>), AppError> {
        let challenge = self.challenge(id).await?;
        Ok((challenge, self.store.export_entries(ExportScope::Challenge(id)).await?))
    }

    /// A person's entries in every challenge they are in, for an export.
    pub async fn user_entries(&self, user: UserId) -> Result<Vec<ExportedEntry>, AppError> {
        Ok(self.store.export_entries(ExportScope::User(user)).await?)
    }

    /// The first `size` of the challenge's leaderboard and the viewer's own line: a statement
    /// for each, besides the challenge's, however many take part.
    pub async fn board(&self, id: ChallengeId, viewer: UserId, size: u32) -> Result<Board, AppError> {
        let challenge = self.challenge(id).await?;
        let kind = challenge.goal_kind;
        let leaders = self.store.leaders(id, kind, size).await?;
        let position = self.store.position(id, kind, viewer, challenge.first_finisher).await?;
        let named = |user: UserId| {
            leaders
                .top
                .iter()
                .find(|r| r.standing.participant.user == user)
                .map(|r| r.standing.display_name.clone().unwrap_or_else(|| DisplayName::fallback(user)))
        };
        let first_finisher = match (&position, challenge.first_finisher) {
            (Some(p), _) => p.first_finisher.clone(),
            (None, Some(first)) => match named(first) {
                Some(name) => Some(name),
                // Rare: a viewer who has not joined, and a finisher below the top.
                None => match self.store.participant(id, first).await? {
                    Some(_) => Some(
                        self.store.display_name(first).await?.unwrap_or_else(|| DisplayName::fallback(first)),
                    ),
                    None => None,
                },
            },
            (None, None) => None,
        };
        let is_final = challenge.is_final(self.today_of(&challenge));
        Ok(Board {
            challenge,
            top: leaders.top,
            participants: leaders.participants,
            me: position.map(|p| p.me),
            first_finisher,
            is_final,
        })
    }

    /// The challenge with everyone ranked, and the asking user's own line.
    pub async fn overview(&self, id: ChallengeId, user: Option<UserId>) -> Result<Overview, AppError> {
        let challenge = self.challenge(id).await?;
        let standings = self.store.standings(id).await?;
        let leaderboard = rank(challenge.goal_kind, standings);
        let me = user.and_then(|u| leaderboard.iter().find(|r| r.standing.participant.user == u).cloned());
        let is_final = challenge.is_final(self.today_of(&challenge));
        Ok(Overview { challenge, leaderboard, me, is_final })
    }
}

/// Refuses a days goal that cannot be met: more days than `done` already checked in plus those
/// from `from` to the deadline, both included.
fn check_days_reachable(goal: Goal, from: NaiveDate, deadline: NaiveDate, done: u32) -> Result<(), AppError> {
    if goal.kind != GoalKind::Days {
        return Ok(());
    }
    let left = (deadline - from).num_days() + 1;
    let most = left.max(0) + i64::from(done);
    if goal.target > Amount::from_whole(most) {
        let message = if done == 0 {
            format!(
                "That goal cannot be reached: from {from} to the deadline ({deadline}) there are {}, so the goal can be at most {most}.",
                days(left)
            )
        } else {
            format!(
                "That goal cannot be reached: with {} checked in and {} left until the deadline ({deadline}), the goal can be at most {most}.",
                days(i64::from(done)),
                days(left)
            )
        };
        return Err(AppError::Unreachable(message));
    }
    Ok(())
}

/// "1 day", "3 days".
fn days(n: i64) -> String {
    if n == 1 { "1 day".to_owned() } else { format!("{n} days") }
}

/// Parses a goal kind typed on the command line or carried in a payload.
pub fn parse_goal_kind(text: &str) -> Result<GoalKind, AppError> {
    Ok(text.parse::<GoalKind>()?)
}
