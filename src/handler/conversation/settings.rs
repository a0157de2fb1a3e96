//! `/settings`: a person's time zone and daily reminder.
//!
//! The zone is picked from a few buttons or typed (`Europe/Berlin`, or a city such as `Berlin`);
//! the reminder's hour likewise (`07:30`). The reminder covers all the person's running
//! challenges unless they tick some. After a first join the bot offers the reminder once, as
//! one tap.

use chrono::Timelike;
use chrono_tz::Tz;

use super::payload::Action;
use super::reply::{Expect, Reply, Text};
use super::screens::{button, name_label};
use super::{Conversation, Ctx, Next, Outcome, Question, Turn};
use crate::goal::MembershipScope;
use crate::handler::app::Covers;
use crate::reminder::{Settings, TimeOfDay, parse_zone};
use crate::repository::Page;

/// The zones offered as buttons (the server's comes first when it is not among them).
pub(super) const ZONES: [Tz; 8] = [
    chrono_tz::Europe::London,
    chrono_tz::Europe::Berlin,
    chrono_tz::Europe::Moscow,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Asia::Tokyo,
    chrono_tz::Australia::Sydney,
    chrono_tz::America::New_York,
    chrono_tz::America::Los_Angeles,
];

/// The hours offered for the daily reminder.
const HOURS: [u32; 6] = [7, 8, 12, 18, 20, 21];

/// The challenges listed to choose from on the reminder's screen.
const CHOOSABLE: u32 = 8;

/// "Europe/Berlin (now 14:05)".
fn zone_line(zone: Tz, now: chrono::DateTime<chrono::Utc>) -> String {
    let local = now.with_timezone(&zone);
    format!("{} (now {:02}:{:02} there)", zone.name(), local.hour(), local.minute())
}

fn reminder_line(settings: &Settings) -> String {
    match (settings.remind_at, settings.paused) {
        (None, _) => "off".to_owned(),
        (Some(at), true) => {
            format!("at {at}, paused until you write to me (Telegram said you had blocked me)")
        }
        (Some(at), false) if settings.chosen.is_empty() => format!("daily at {at}, for all your challenges"),
        (Some(at), false) => format!("daily at {at}, for the challenges you chose"),
    }
}

/// The question for a typed zone.
pub(super) fn zone_question() -> Reply {
    let mut reply = Reply::new(Text::new().plain(
        "Which time zone are you in? Pick one, or type its name (Europe/Berlin) or a big city near you (Berlin).",
    ));
    for pair in ZONES.chunks(2) {
        reply = reply.row(
            pair.iter()
                .map(|zone| {
                    let index = ZONES.iter().position(|z| z == zone).unwrap_or(0) as u32;
                    button(zone.name(), Action::ZonePick { index })
                })
                .collect(),
        );
    }
    reply.row(vec![button("Back", Action::Settings)]).expecting(Expect::Text)
}

/// The question for a typed reminder time.
pub(super) fn time_question() -> Reply {
    Reply::new(
        Text::new().plain("At what time should I remind you each day? Type it as HH:MM, for example 07:30."),
    )
    .row(vec![button("Back", Action::Reminders)])
    .expecting(Expect::Text)
}

impl Conversation {
    /// The settings screen.
    pub(super) async fn settings(&self, ctx: &Ctx<'_>) -> Turn {
        let settings = self.app.settings(ctx.user).await?;
        let zone = settings.zone_or(self.app.server_zone());
        let zone_note = if settings.zone.is_none() { " — the bot's own; set yours" } else { "" };
        let text = Text::new()
            .bold("⚙️ Settings")
            .plain(format!("\n\n🌍 Time zone: {}{zone_note}", zone_line(zone, self.app.now())))
            .plain(format!("\n⏰ Reminder: {}", reminder_line(&settings)))
            .plain("\n\n\"Today\" for your entries and streaks is the date in your time zone.");
        let reply = Reply::new(text)
            .row(vec![button("🌍 Time zone", Action::ZoneMenu), button("⏰ Reminder", Action::Reminders)])
            .row(vec![button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Main))
    }

    /// The zone question (buttons, or typed).
    pub(super) fn zone_menu(&self) -> Turn {
        Ok(Outcome::one(zone_question(), Next::Set(Question::TimeZone.into())))
    }

    /// A zone picked or typed: saved, back to the settings.
    pub(super) async fn set_zone(&self, ctx: &Ctx<'_>, zone: Tz) -> Turn {
        self.app.set_time_zone(ctx.user, zone).await?;
        self.forget_person(ctx.user).await;
        let note = Text::new().plain(format!("🌍 Your time zone is {}.", zone_line(zone, self.app.now())));
        Ok(self.settings(ctx).await?.note(note))
    }

    /// A typed answer to the zone question.
    pub(super) async fn answer_zone(&self, ctx: &Ctx<'_>, text: &str) -> Turn {
        match parse_zone(text) {
            Ok(zone) => self.set_zone(ctx, zone).await,
            Err(e) => self.ask_again(ctx, &Question::TimeZone, &e.to_string()),
        }
    }

    /// The reminder's screen: its hour, and the challenges it covers.
    pub(super) async fn reminders(&self, ctx: &Ctx<'_>) -> Turn {
        let settings = self.app.settings(ctx.user).await?;
        let zone = settings.zone_or(self.app.server_zone());
        let mut text =
            Text::new().bold("⏰ Daily reminder").plain(format!(": {}.", reminder_line(&settings)));
        text = text.plain(format!(
            "\n\nAt that hour ({}) I send one message with the challenges you have not logged yet that day, each a one-tap button; none on a day you logged them all. With reminders on, I also warn you at 20:00 when a streak of 3 days or more would end that night. Nothing else comes between 22:00 and 07:00.",
            zone.name()
        ));
        let mut reply = Reply::new(text);
        let hours: Vec<_> = HOURS
            .iter()
            .map(|h| {
                let at = TimeOfDay::new(*h, 0).expect("an hour");
                let label = if settings.remind_at == Some(at) { format!("✅ {at}") } else { at.to_string() };
                button(label, Action::RemindAt { minutes: u32::from(at.minutes()) })
            })
            .collect();
        for row in hours.chunks(3) {
            reply = reply.row(row.to_vec());
        }
        reply = reply.row(vec![button("⌨️ Another time", Action::RemindTyped)]);
        if settings.remind_at.is_some() {
            let running = self
                .app
                .memberships(
                    ctx.user,
                    MembershipScope::Open(self.app.today_everywhere()),
                    Page { offset: 0, limit: CHOOSABLE },
                )
                .await?;
            if running.items.len() > 1 {
                reply.text = reply.text.plain(if settings.chosen.is_empty() {
                    "\n\nIt covers all your challenges; tick some to be reminded of those only."
                } else {
                    "\n\nIt covers the ticked challenges."
                });
                for m in &running.items {
                    let ticked = if settings.chosen.contains(&m.challenge.id) { "☑️" } else { "⬜" };
                    reply = reply.row(vec![button(
                        format!("{ticked} {}", name_label(m.challenge.name.as_str())),
                        Action::RemindToggle { challenge: m.challenge.id },
                    )]);
                }
            }
            reply = reply.row(vec![button("🔕 Turn off", Action::RemindersOff)]);
        }
        let reply = reply.row(vec![button("Back", Action::Settings), button("Main menu", Action::Menu)]);
        Ok(Outcome::one(reply, Next::Main))
    }

    /// The reminder set to an hour (for all challenges unless some are ticked).
    pub(super) async fn remind_at(&self, ctx: &Ctx<'_>, at: TimeOfDay) -> Turn {
        let settings = self.app.set_reminder(ctx.user, at, Covers::Chosen).await?;
        let zone = settings.zone_or(self.app.server_zone());
        let note = Text::new().plain(format!("⏰ I will remind you daily at {at} ({}).", zone.name()));
        Ok(self.reminders(ctx).await?.note(note))
    }

    /// A typed answer to the reminder's time.
    pub(super) async fn answer_time(&self, ctx: &Ctx<'_>, text: &str) -> Turn {
        match TimeOfDay::parse(text) {
            Ok(at) => self.remind_at(ctx, at).await,
            Err(e) => self.ask_again(ctx, &Question::ReminderTime, &e.to_string()),
        }
    }

    /// Reminders off.
    pub(super) async fn reminders_off(&self, ctx: &Ctx<'_>) -> Turn {
        self.app.reminders_off(ctx.user).await?;
        Ok(self.reminders(ctx).await?.note(Text::new().plain("🔕 Reminders are off.")))
    }

    /// Ticks a challenge for the reminder, or unticks it.
    pub(super) async fn remind_toggle(&self, ctx: &Ctx<'_>, id: crate::challenge::ChallengeId) -> Turn {
        self.app.toggle_reminded(ctx.user, id).await?;
        self.reminders(ctx).await
    }

    /// The offer after a first join (once): a line for the confirmation, and the button that
    /// turns the daily reminder on at 20:00.
    pub(super) async fn reminder_offer(
        &self,
        ctx: &Ctx<'_>,
    ) -> Result<Option<(Text, super::reply::Button)>, crate::handler::app::AppError> {
        if !self.app.offer_reminder_once(ctx.user).await? {
            return Ok(None);
        }
        let at = TimeOfDay::SUGGESTED;
        let line = Text::new().plain(format!(
            "⏰ Shall I remind you daily at {at} to log your progress? One tap below; /settings changes the hour."
        ));
        Ok(Some((
            line,
            button(format!("⏰ Remind me at {at}"), Action::RemindAt { minutes: u32::from(at.minutes()) }),
        )))
    }
}
