//! A person's time zone and reminders, and what falls due: the use cases behind `/settings`,
//! the CLI's `user set --tz` and `reminder …`, and the scheduler.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{App, AppError};
use crate::challenge::ChallengeId;
use crate::reminder::{Due, Ending, Move, Schedule, Settings, TimeOfDay};
use crate::user::UserId;

/// Which challenges a reminder set by [`App::set_reminder`] covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Covers {
    /// Those chosen before (all, if none were).
    Chosen,
    /// All the person's challenges.
    All,
    /// This one too, added to those chosen before.
    Also(ChallengeId),
}

/// How many due people or ending challenges one pass of the scheduler takes.
pub const DUE_BATCH: u32 = 200;

impl App {
    /// A person's settings (the defaults if they set nothing).
    pub async fn settings(&self, user: UserId) -> Result<Settings, AppError> {
        Ok(self.store.settings(user).await?)
    }

    /// Saves changed settings with the schedule that follows from them now.
    async fn save(&self, user: UserId, settings: &Settings) -> Result<(), AppError> {
        let schedule = settings.schedule_after(self.clock.server_zone(), self.now());
        self.store.save_settings(user, settings, schedule, self.now()).await?;
        Ok(())
    }

    /// Sets a person's time zone (their reminders move with it).
    pub async fn set_time_zone(&self, user: UserId, zone: Tz) -> Result<Settings, AppError> {
        let mut settings = self.settings(user).await?;
        settings.zone = Some(zone);
        self.save(user, &settings).await?;
        Ok(settings)
    }

    /// Turns a person's daily reminder on at `at`, for the challenges `covers` says.
    pub async fn set_reminder(
        &self,
        user: UserId,
        at: TimeOfDay,
        covers: Covers,
    ) -> Result<Settings, AppError> {
        let mut settings = self.settings(user).await?;
        match covers {
            Covers::Chosen => {}
            Covers::All => settings.chosen.clear(),
            Covers::Also(id) => {
                self.participant(id, user).await?;
                if !settings.chosen.contains(&id) {
                    settings.chosen.push(id);
                }
            }
        }
        settings.remind_at = Some(at);
        settings.offered = true;
        settings.paused = false;
        self.save(user, &settings).await?;
        Ok(settings)
    }

    /// Adds a challenge to those the reminder covers, or takes it out (none left: all).
    pub async fn toggle_reminded(&self, user: UserId, id: ChallengeId) -> Result<Settings, AppError> {
        let mut settings = self.settings(user).await?;
        if settings.chosen.contains(&id) {
            settings.chosen.retain(|c| *c != id);
        } else {
            self.participant(id, user).await?;
            settings.chosen.push(id);
        }
        self.save(user, &settings).await?;
        Ok(settings)
    }

    /// Turns a person's reminders off.
    pub async fn reminders_off(&self, user: UserId) -> Result<Settings, AppError> {
        let mut settings = self.settings(user).await?;
        settings.remind_at = None;
        settings.chosen.clear();
        self.save(user, &settings).await?;
        Ok(settings)
    }

    /// Remembers that a person was offered a daily reminder; whether this was the first time.
    pub async fn offer_reminder_once(&self, user: UserId) -> Result<bool, AppError> {
        let mut settings = self.settings(user).await?;
        if settings.offered || settings.remind_at.is_some() {
            return Ok(false);
        }
        settings.offered = true;
        self.save(user, &settings).await?;
        Ok(true)
    }

    /// Telegram said the person blocked the bot: their reminders stop until they write again.
    pub async fn pause_reminders(&self, user: UserId) -> Result<(), AppError> {
        self.store.set_paused(user, true, Schedule::default()).await?;
        Ok(())
    }

    /// The person wrote again: their reminders resume (from now on, nothing missed is sent).
    pub async fn resume_reminders(&self, user: UserId) -> Result<(), AppError> {
        let mut settings = self.settings(user).await?;
        if !settings.paused {
            return Ok(());
        }
        settings.paused = false;
        let schedule = settings.schedule_after(self.clock.server_zone(), self.now());
        self.store.set_paused(user, false, schedule).await?;
        Ok(())
    }

    /// People with something due now, earliest first.
    pub async fn due_people(&self, now: DateTime<Utc>) -> Result<Vec<Due>, AppError> {
        Ok(self.store.due(now, DUE_BATCH).await?)
    }

    /// Moves the schedules of the people due past `now`; those whose schedule this call moved
    /// (another run moved the others, and what was due for them must not be sent again).
    pub async fn advance_schedules(&self, due: &[Due], now: DateTime<Utc>) -> Result<Vec<UserId>, AppError> {
        let moves: Vec<Move> = due
            .iter()
            .map(|d| Move {
                user: d.user,
                from: d.schedule,
                to: d.settings.schedule_after(self.clock.server_zone(), now),
            })
            .collect();
        Ok(self.store.advance(&moves).await?)
    }

    /// The running challenges of several people, with their lines (deadline `since` or later).
    pub async fn running_memberships(
        &self,
        users: &[UserId],
        since: chrono::NaiveDate,
    ) -> Result<Vec<crate::goal::Membership>, AppError> {
        Ok(self.store.running_memberships(users, since).await?)
    }

    /// A page of the challenges (by id, after `after`) that may have ended by `now` without
    /// their summary: every deadline whose day of grace may be over somewhere (the zones reach
    /// 14 hours ahead of UTC); the caller checks each against its own zone.
    pub async fn possibly_ended(
        &self,
        now: DateTime<Utc>,
        after: Option<ChallengeId>,
    ) -> Result<Vec<Ending>, AppError> {
        let latest = (now + chrono::TimeDelta::hours(14)).date_naive() - chrono::Days::new(2);
        Ok(self.store.unsummarized(latest, now, after, DUE_BATCH).await?)
    }

    /// Who in a challenge has not had its summary yet, each with their zone (the server's when
    /// they set none).
    pub async fn summary_recipients(&self, id: ChallengeId) -> Result<Vec<(UserId, Tz)>, AppError> {
        let server = self.clock.server_zone();
        let pending = self.store.summary_recipients(id).await?;
        Ok(pending.into_iter().map(|(user, zone)| (user, zone.unwrap_or(server))).collect())
    }

    /// Marks the summary sent to `users`; returns those this call marked.
    pub async fn mark_participants_summarized(
        &self,
        id: ChallengeId,
        users: &[UserId],
        now: DateTime<Utc>,
    ) -> Result<Vec<UserId>, AppError> {
        Ok(self.store.mark_participants_summarized(id, users, now).await?)
    }

    /// Looks at a challenge's summary again at `until`, not before.
    pub async fn defer_summary(&self, id: ChallengeId, until: DateTime<Utc>) -> Result<(), AppError> {
        Ok(self.store.defer_summary(id, until).await?)
    }

    /// When a challenge's day of grace ends: 24:00 of the day after its deadline, in its zone.
    pub fn end_of(&self, ending: &Ending) -> DateTime<Utc> {
        let zone = ending.zone.unwrap_or(self.clock.server_zone());
        let day_after_grace = ending.deadline + chrono::Days::new(2);
        TimeOfDay::new(0, 0).expect("midnight").on(zone, day_after_grace)
    }

    /// Marks a challenge's summary sent; whether this call did.
    pub async fn mark_summarized(&self, id: ChallengeId, now: DateTime<Utc>) -> Result<bool, AppError> {
        Ok(self.store.mark_summarized(id, now).await?)
    }

    /// The server's zone (`CHALLENGE_BOT_TZ`).
    pub fn server_zone(&self) -> Tz {
        self.clock.server_zone()
    }
}

/// A new round of an ended challenge, and who was in the last one.
#[derive(Clone, Debug)]
pub struct NextRound {
    pub challenge: crate::challenge::Challenge,
    pub invite: super::Invite,
    /// The last round's participants, its creator aside.
    pub invited: Vec<UserId>,
}

impl App {
    /// The creator starts the next round of their ended challenge: the same settings, and a
    /// deadline as far from today as the last one was from its start.
    pub async fn next_round(&self, by: UserId, id: ChallengeId) -> Result<NextRound, AppError> {
        let last = self.own_challenge(by, id).await?;
        let today = self.today();
        if last.deadline >= today {
            return Err(AppError::Invalid(
                "It is still running: its next round can start once it has ended.".into(),
            ));
        }
        self.creation_allowed(by).await?;
        let length = (last.deadline - last.start_date).num_days().max(1);
        let draft = super::ChallengeDraft {
            name: last.name.clone(),
            description: last.description.clone(),
            deadline: today + chrono::Days::new(length.unsigned_abs()),
            unit: last.unit.clone(),
            goal: crate::goal::Goal::from_stored(last.goal_kind, last.default_goal),
            visibility: last.visibility,
        };
        let challenge = self.create_challenge(by, draft).await?;
        let invite = self.invite(Some(by), challenge.id, None).await?;
        let invited = self
            .store
            .standings(id)
            .await?
            .into_iter()
            .map(|s| s.participant.user)
            .filter(|user| *user != by)
            .collect();
        Ok(NextRound { challenge, invite, invited })
    }
}
