//! Reminders: the bot speaking first, at an hour each person chose, in their own time zone.
//!
//! A person's settings ([`Settings`]: their zone, the hour of their daily reminder, the
//! challenges it covers) are kept with the next instant each kind of reminder falls
//! ([`Schedule`]), and nothing else: once a reminder fires, the next is computed from the
//! settings, so the stored schedule grows with the people who use reminders, never with the
//! days. The scheduler (`handler::conversation::reminders`) claims what is due by moving the
//! schedule on *only if it is still the one it read* ([`ReminderRepository::advance`]), in the
//! transaction that queues the messages: two runs, or a run after a crash, cannot send one
//! reminder twice, and a crash before the commit loses nothing.

mod schedule;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

pub use schedule::{TimeError, TimeOfDay, ZoneError, is_quiet, parse_zone};

use crate::challenge::ChallengeId;
use crate::repository::RepositoryError;
use crate::user::UserId;

/// What a person set: all optional, so a person who set nothing has the defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Their IANA time zone; unset: the server's (`CHALLENGE_BOT_TZ`).
    pub zone: Option<Tz>,
    /// The hour of their daily reminder; unset: reminders are off.
    pub remind_at: Option<TimeOfDay>,
    /// The challenges the reminder covers; empty: all of theirs.
    pub chosen: Vec<ChallengeId>,
    /// Telegram said they blocked the bot: nothing is sent until they write again.
    pub paused: bool,
    /// They were offered a daily reminder (after a first join) already.
    pub offered: bool,
}

impl Settings {
    /// Whether reminders go out to them.
    pub fn reminders_on(&self) -> bool {
        self.remind_at.is_some() && !self.paused
    }

    /// Their zone, or `server`'s.
    pub fn zone_or(&self, server: Tz) -> Tz {
        self.zone.unwrap_or(server)
    }

    /// When their reminders next fall after `now` (nothing while they are off).
    pub fn schedule_after(&self, server: Tz, now: DateTime<Utc>) -> Schedule {
        if !self.reminders_on() {
            return Schedule::default();
        }
        let zone = self.zone_or(server);
        Schedule {
            remind_next: self.remind_at.map(|at| at.next_after(zone, now)),
            streak_next: Some(TimeOfDay::STREAK_CHECK.next_after(zone, now)),
        }
    }
}

/// The next instant of each kind of reminder a person gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// Their daily reminder.
    pub remind_next: Option<DateTime<Utc>>,
    /// The evening check of streaks at risk (20:00 in their zone).
    pub streak_next: Option<DateTime<Utc>>,
}

impl Schedule {
    /// The earliest of the two: when the person is next due.
    pub fn due_at(&self) -> Option<DateTime<Utc>> {
        match (self.remind_next, self.streak_next) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A schedule to move on: whose, from what (as read), to what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub user: UserId,
    pub from: Schedule,
    pub to: Schedule,
}

/// A person with something due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub user: UserId,
    pub settings: Settings,
    pub schedule: Schedule,
}

/// A challenge whose end may have come and whose participants have not had its summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ending {
    pub challenge: ChallengeId,
    pub deadline: NaiveDate,
    /// Its creator's zone when it was created; unset: the server's.
    pub zone: Option<Tz>,
}

#[async_trait]
pub trait ReminderRepository: Send + Sync {
    /// A person's settings (the defaults if they set nothing).
    async fn settings(&self, user: UserId) -> Result<Settings, RepositoryError>;

    /// Writes a person's settings and the schedule that follows from them.
    async fn save_settings(
        &self,
        user: UserId,
        settings: &Settings,
        schedule: Schedule,
        at: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Up to `limit` people due at `now` (their earliest instant at or before it), earliest
    /// first.
    async fn due(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<Due>, RepositoryError>;

    /// Moves each person's schedule from `from` to `to` if it is still `from`, in one statement;
    /// the people whose schedule moved (a run that finds one moved already must not send what
    /// it was about to).
    async fn advance(&self, moves: &[Move]) -> Result<Vec<UserId>, RepositoryError>;

    /// The challenges of `users` whose deadline is `since` or later, with their lines in them,
    /// in one statement (what their reminders are about).
    async fn running_memberships(
        &self,
        users: &[UserId],
        since: NaiveDate,
    ) -> Result<Vec<crate::goal::Membership>, RepositoryError>;

    /// Pauses a person's reminders (Telegram says they blocked the bot) or resumes them (they
    /// wrote again), with the schedule that follows. Nothing if they have no settings.
    async fn set_paused(&self, user: UserId, paused: bool, schedule: Schedule)
    -> Result<(), RepositoryError>;

    /// Records the zone a challenge's days are counted in (its creator's, at creation).
    async fn set_challenge_zone(&self, challenge: ChallengeId, zone: Tz) -> Result<(), RepositoryError>;

    /// Up to `limit` challenges with a deadline on or before `latest_deadline` whose
    /// participants have not all had the summary, and whose summary was not put off past `now`
    /// ([`ReminderRepository::defer_summary`]), by id, after challenge `after` (a page of them).
    async fn unsummarized(
        &self,
        latest_deadline: NaiveDate,
        now: DateTime<Utc>,
        after: Option<ChallengeId>,
        limit: u32,
    ) -> Result<Vec<Ending>, RepositoryError>;

    /// The participants of a challenge who have not had its summary, each with the time zone
    /// they set (if any).
    async fn summary_recipients(
        &self,
        challenge: ChallengeId,
    ) -> Result<Vec<(UserId, Option<Tz>)>, RepositoryError>;

    /// Marks the summary sent to those of `users` who had not had it; returns whom this call
    /// marked (two runs never both mark one person).
    async fn mark_participants_summarized(
        &self,
        challenge: ChallengeId,
        users: &[UserId],
        at: DateTime<Utc>,
    ) -> Result<Vec<UserId>, RepositoryError>;

    /// Puts the rest of a challenge's summary off until `until` (those waiting for their
    /// morning).
    async fn defer_summary(
        &self,
        challenge: ChallengeId,
        until: DateTime<Utc>,
    ) -> Result<(), RepositoryError>;

    /// Marks a challenge's summary as sent, if it was not; whether this call marked it.
    async fn mark_summarized(
        &self,
        challenge: ChallengeId,
        at: DateTime<Utc>,
    ) -> Result<bool, RepositoryError>;
}
