//! What the bot says first: the daily reminder, the warning of a streak at risk, and the final
//! standings of a challenge that ended.
//!
//! [`Conversation::due_work`] takes what is due at an instant. For each person due it first
//! moves their schedule on ([`crate::reminder::ReminderRepository::advance`]); only if that
//! call moved it does it compose their message, so two runs never both send it. In the bot
//! the whole pass runs in one outbox turn: the moved schedules, the marks of summaries sent
//! and the messages commit together, or not at all.
//!
//! The rules, in each person's zone:
//! - the daily reminder lists the person's running challenges (or those they chose) not yet
//!   logged that day, each a one-tap button; nothing when all are logged;
//! - at 20:00, with reminders on, a streak of 3 days or more that would end that night;
//! - one message per person when both fall together;
//! - after downtime, a missed reminder is sent once while it is still its day for the person
//!   and not yet their quiet hours (22:00–07:00) — unless it is still within the hour they
//!   chose; later, it is skipped;
//! - a challenge's final standings go to each participant at 07:00 in its zone the morning
//!   after its day of grace (quiet hours keep them from midnight), and late, once, after
//!   downtime.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::payload::Action;
use super::quick::menu_rows;
use super::reply::{Reply, Text};
use super::screens::{button, ordinal, quantity_label};
use super::{Conversation, StorageFailure};
use crate::goal::{Goal, GoalKind, Membership, rank};
use crate::handler::app::AppError;
use crate::reminder::{Due, Ending, TimeOfDay, is_quiet};
use crate::user::{DisplayName, UserId};

/// The most challenges one reminder lists.
const REMINDER_CHALLENGES: u32 = 10;

/// What one pass found.
#[derive(Debug, Default)]
pub struct DueWork {
    /// The messages, each for one person (news: it goes in the bulk lane).
    pub replies: Vec<Reply>,
    /// People whose schedule moved on, and challenges summarized.
    pub people: usize,
    pub summarized: usize,
    /// A batch was full: call again for the rest.
    pub more: bool,
}

/// A refusal (not a storage error) while composing one person's message is logged and that
/// message skipped: it must not hold up everyone else's.
fn skip_refusal<T>(composed: Result<T, AppError>, what: &str) -> Result<Option<T>, AppError> {
    match composed {
        Ok(value) => Ok(Some(value)),
        Err(AppError::Storage(e)) => Err(AppError::Storage(e)),
        Err(other) => {
            tracing::warn!(error = %other, "skipped {what}");
            Ok(None)
        }
    }
}

/// Whether a reminder that fell at `at` still goes out at `now` (see the module docs).
fn still_timely(zone: chrono_tz::Tz, at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let same_day = at.with_timezone(&zone).date_naive() == now.with_timezone(&zone).date_naive();
    same_day && (now - at < TimeDelta::hours(1) || !is_quiet(zone, now))
}

/// The streak of a challenge that ends tonight unless the person logs today.
fn streak_at_risk(m: &Membership, today: NaiveDate) -> Option<u32> {
    let streak = &m.tally.streak;
    let run = streak.current_on(today);
    let tomorrow = today.succ_opt()?;
    (run >= 3 && m.tally.last_date != Some(today) && streak.current_on(tomorrow) == 0).then_some(run)
}

impl Conversation {
    /// Reminders, streak warnings and summaries due at `now` (one batch of each).
    pub async fn due_work(&self, now: DateTime<Utc>) -> Result<DueWork, StorageFailure> {
        self.due_work_inner(now).await.map_err(|e| match e {
            AppError::Storage(e) => StorageFailure(e),
            // `skip_refusal` let only storage errors through.
            other => unreachable!("due work refused: {other}"),
        })
    }

    async fn due_work_inner(&self, now: DateTime<Utc>) -> Result<DueWork, AppError> {
        let mut work = DueWork::default();
        let due = self.app.due_people(now).await?;
        work.more = due.len() >= crate::handler::app::DUE_BATCH as usize;
        // One statement moves the batch's schedules; only those it moved are told anything.
        let moved: HashSet<UserId> = self.app.advance_schedules(&due, now).await?.into_iter().collect();
        let told: Vec<Telling<'_>> =
            due.iter().filter(|d| moved.contains(&d.user)).filter_map(|d| self.what_is_due(d, now)).collect();
        work.people = moved.len();
        // One statement reads their running challenges (the earliest "today" of any zone is at
        // most a day behind UTC's).
        let users: Vec<UserId> = told.iter().map(|t| t.due.user).collect();
        let since = now.date_naive() - chrono::Days::new(1);
        let mut theirs: HashMap<UserId, Vec<Membership>> = HashMap::new();
        for m in self.app.running_memberships(&users, since).await? {
            theirs.entry(m.participant.user).or_default().push(m);
        }
        for telling in &told {
            let running = theirs.get(&telling.due.user).map_or(&[][..], Vec::as_slice);
            work.replies.extend(reminder_for(telling, running));
        }
        // Challenges near their end page by page: those whose morning has not come yet (in a
        // zone behind) must not keep the others from theirs, nor make the pass look unfinished.
        let mut after = None;
        loop {
            let page = self.app.possibly_ended(now, after).await?;
            after = page.last().map(|e| e.challenge);
            for challenge in &page {
                let due = self.summary_time(challenge);
                if due > now {
                    // Not looked at again before then (a moved deadline clears this).
                    self.app.defer_summary(challenge.challenge, due).await?;
                    continue;
                }
                let replies = self.summary_for_those_awake(challenge, now).await?;
                work.summarized += 1;
                work.replies.extend(replies);
            }
            if work.summarized >= crate::handler::app::DUE_BATCH as usize {
                work.more = true;
                break;
            }
            if page.len() < crate::handler::app::DUE_BATCH as usize {
                break;
            }
        }
        Ok(work)
    }

    /// When a challenge's final standings go out: 07:00 in its zone, the morning after its day
    /// of grace (to each participant outside their own quiet hours).
    fn summary_time(&self, ending: &Ending) -> DateTime<Utc> {
        self.app.end_of(ending) + TimeDelta::hours(7)
    }

    /// The final standings for the participants who have not had them and are outside their
    /// quiet hours now, each marked as told; the others wait for their morning (the challenge
    /// is looked at again at the earliest of theirs). Once everyone has had them, the
    /// challenge is marked summarized.
    async fn summary_for_those_awake(
        &self,
        ending: &Ending,
        now: DateTime<Utc>,
    ) -> Result<Vec<Reply>, AppError> {
        let id = ending.challenge;
        let pending = self.app.summary_recipients(id).await?;
        let (awake, asleep): (Vec<_>, Vec<_>) =
            pending.into_iter().partition(|(_, zone)| !is_quiet(*zone, now));
        let awake: Vec<UserId> = awake.into_iter().map(|(user, _)| user).collect();
        let told: HashSet<UserId> =
            self.app.mark_participants_summarized(id, &awake, now).await?.into_iter().collect();
        match asleep.iter().map(|(_, zone)| TimeOfDay::QUIET_ENDS.next_after(*zone, now)).min() {
            Some(morning) => self.app.defer_summary(id, morning).await?,
            None => {
                self.app.mark_summarized(id, now).await?;
            }
        }
        if told.is_empty() {
            return Ok(Vec::new());
        }
        let replies = skip_refusal(self.summary(ending).await, "a summary")?.unwrap_or_default();
        Ok(replies.into_iter().filter(|r| r.news_recipient().is_some_and(|to| told.contains(&to))).collect())
    }

    /// What a person whose schedule just moved on is to be told about, if anything.
    fn what_is_due<'a>(&self, due: &'a Due, now: DateTime<Utc>) -> Option<Telling<'a>> {
        let zone = due.settings.zone_or(self.app.server_zone());
        // What is due stands for the latest time it fell, however long the schedule waited (a
        // bot down since yesterday still sends today's reminder, not yesterday's).
        let timely = |next: Option<DateTime<Utc>>, hour: Option<TimeOfDay>| match (next, hour) {
            (Some(next), Some(hour)) if next <= now => still_timely(zone, hour.latest_by(zone, now), now),
            _ => false,
        };
        let remind = timely(due.schedule.remind_next, due.settings.remind_at);
        let check_streaks = timely(due.schedule.streak_next, Some(TimeOfDay::STREAK_CHECK));
        let today = now.with_timezone(&zone).date_naive();
        (remind || check_streaks).then_some(Telling { due, today, remind, check_streaks })
    }
}

/// A person to tell something, on their `today`.
struct Telling<'a> {
    due: &'a Due,
    today: NaiveDate,
    remind: bool,
    check_streaks: bool,
}

/// The message for a person, from their challenges with a deadline from yesterday on (in no
/// particular order), if anything is to be said.
fn reminder_for(telling: &Telling<'_>, theirs: &[Membership]) -> Option<Reply> {
    let Telling { due, today, remind, check_streaks } = *telling;
    let running: Vec<&Membership> =
        theirs.iter().filter(|m| m.challenge.start_date <= today && today <= m.challenge.deadline).collect();
    {
        let covered = |m: &&&Membership| {
            due.settings.chosen.is_empty() || due.settings.chosen.contains(&m.challenge.id)
        };
        let to_log: Vec<Membership> = if remind {
            running
                .iter()
                .filter(covered)
                .filter(|m| m.tally.last_date != Some(today))
                .take(REMINDER_CHALLENGES as usize)
                .map(|m| (*m).clone())
                .collect()
        } else {
            Vec::new()
        };
        let at_risk: Vec<(&Membership, u32)> = if check_streaks {
            running.iter().filter_map(|m| streak_at_risk(m, today).map(|run| (*m, run))).collect()
        } else {
            Vec::new()
        };
        if to_log.is_empty() && at_risk.is_empty() {
            return None;
        }
        let mut text = Text::new();
        for (m, run) in &at_risk {
            text = text
                .plain(format!("🔥 Your {run}-day streak in "))
                .user_bold(m.challenge.name.as_str())
                .plain(" ends tonight unless you log today.\n");
        }
        if !to_log.is_empty() {
            if !at_risk.is_empty() {
                text = text.plain("\n");
            }
            text = text.bold("⏰ Time to log today").plain(" — tap to log:");
            for m in &to_log {
                text =
                    text.plain("\n• ").user(m.challenge.name.as_str()).plain(format!(": {}", progress_of(m)));
            }
        }
        let mut buttons: Vec<Membership> = to_log.clone();
        for (m, _) in &at_risk {
            if !buttons.iter().any(|b| b.challenge.id == m.challenge.id) {
                buttons.push((*m).clone());
            }
        }
        let mut reply = Reply::new(text);
        for row in menu_rows(&buttons, today) {
            reply = reply.row(row);
        }
        let reply = reply.row(vec![button("⚙️ Reminder settings", Action::Reminders)]).news_for(due.user);
        Some(reply)
    }
}

impl Conversation {
    /// The final standings, one message for each participant.
    async fn summary(&self, ending: &Ending) -> Result<Vec<Reply>, AppError> {
        let Ok(challenge) = self.app.challenge(ending.challenge).await else { return Ok(Vec::new()) };
        let ranked = rank(challenge.goal_kind, self.app.store().standings(challenge.id).await?);
        let total = ranked.len();
        let unit = challenge.unit.as_ref();
        let with_entries: Vec<_> = ranked.iter().filter(|r| r.standing.tally.entries > 0).collect();
        let winner = with_entries.first().map(|r| {
            let user = r.standing.participant.user;
            let name = r.standing.display_name.clone().unwrap_or_else(|| DisplayName::fallback(user));
            (user, name.as_str().to_owned(), r.score)
        });
        let mut replies = Vec::with_capacity(total);
        for me in &ranked {
            let user = me.standing.participant.user;
            let goal = Goal::from_stored(challenge.goal_kind, me.standing.participant.goal);
            let mut text =
                Text::new().plain("🏁 ").user_bold(challenge.name.as_str()).plain(" has ended.\n\n");
            text = if me.standing.tally.entries == 0 {
                text.plain("You logged nothing in it.")
            } else {
                text.plain(format!(
                    "You finished {} of {total} with {}",
                    ordinal(me.rank),
                    figure(challenge.goal_kind, me.score, unit)
                ))
                .plain(if goal.is_met(&me.standing.tally) {
                    " — goal met 🎯"
                } else {
                    "."
                })
            };
            match &winner {
                Some((winner, _, _)) if *winner == user => text = text.plain("\n🏆 You won!"),
                Some((_, name, score)) => {
                    text = text
                        .plain("\n🏆 Winner: ")
                        .user_bold(name)
                        .plain(format!(", {}.", figure(challenge.goal_kind, *score, unit)))
                }
                None => {}
            }
            let mut reply = Reply::new(text)
                .row(vec![button("🏆 Final standings", Action::Leaderboard { challenge: challenge.id })]);
            if user == challenge.creator {
                reply = reply.row(vec![button(
                    "🔁 Start the next round",
                    Action::NextRound { challenge: challenge.id },
                )]);
            }
            replies.push(reply.news_for(user));
        }
        Ok(replies)
    }
}

impl Conversation {
    /// The creator starts the next round: they see the new challenge; the last round's people
    /// get its invite link as news.
    pub(super) async fn next_round(
        &self,
        ctx: &super::Ctx<'_>,
        id: crate::challenge::ChallengeId,
    ) -> super::Turn {
        let round = self.app.next_round(ctx.user, id).await?;
        let c = &round.challenge;
        let until = crate::clock::friendly_date(c.deadline);
        let note = Text::new()
            .plain("🔁 The next round of ")
            .user_bold(c.name.as_str())
            .plain(format!(" is on, until {until}."))
            .plain(match round.invited.len() {
                0 => String::new(),
                1 => " The one other person of the last round gets an invite.".to_owned(),
                n => format!(" The {n} other people of the last round get an invite."),
            });
        let mut outcome = self.open(ctx, c.id, 0).await?.note(note);
        for user in &round.invited {
            let mut text = Text::new()
                .plain("🔁 ")
                .user_bold(ctx.name.as_str())
                .plain(" started the next round of ")
                .user_bold(c.name.as_str())
                .plain(format!(", until {until}."));
            let mut reply = match &round.invite.link {
                Some(link) => Reply::new(text.plain(" Join it with one tap:"))
                    .link("🙋 Join the next round", link.clone()),
                None => {
                    text = text.plain(format!(" Join it with the code {}.", round.invite.code.as_str()));
                    Reply::new(text)
                }
            };
            reply = reply.row(vec![button("Main menu", Action::Menu)]);
            outcome.replies.push(reply.news_for(*user));
        }
        Ok(outcome)
    }
}

/// "12 of 100 km", "3 days", "best 42 kg".
fn progress_of(m: &Membership) -> String {
    let unit = m.challenge.unit.as_ref();
    match m.challenge.goal_kind {
        GoalKind::Total => format!("{} so far", quantity_label(m.tally.total, unit)),
        GoalKind::Days => match m.tally.days {
            1 => "1 day so far".to_owned(),
            n => format!("{n} days so far"),
        },
        GoalKind::AtLeast | GoalKind::AtMost => match m.tally.latest {
            Some(latest) => format!("last {}", quantity_label(latest, unit)),
            None => "nothing logged yet".to_owned(),
        },
    }
}

/// A person's figure in the words of the kind.
fn figure(kind: GoalKind, score: crate::amount::Amount, unit: Option<&crate::challenge::Unit>) -> String {
    match kind {
        GoalKind::Days => match score.hundredths() / 100 {
            1 => "1 day".to_owned(),
            n => format!("{n} days"),
        },
        GoalKind::AtMost => format!("{} down", quantity_label(score, unit)),
        _ => quantity_label(score, unit),
    }
}
