//! The Mini App dashboard's part of the conversation: the main menu's "🗂 Open dashboard", the
//! words the dashboard shows (the chat's own, so both say the same thing the same way), and
//! progress logged from the dashboard, which tells the others as the chat would.
//!
//! The dashboard's pages and API live in `protocol::miniapp`; what they change goes through the
//! same use cases ([`App`](crate::handler::app::App)) as the chat, so the same rules and errors
//! hold.

use chrono::NaiveDate;

use super::reply::{LinkButton, Reply, Text};
use super::screens;
use super::{Conversation, Ctx, Outcome};
use crate::amount::Amount;
use crate::challenge::Challenge;
use crate::goal::{Goal, Pace};
use crate::handler::app::{AppError, ProgressLogged};
use crate::progress::{IdempotencyKey, Tally};
use crate::user::{DisplayName, UserId};

/// The main menu's button that opens the dashboard.
pub const OPEN_DASHBOARD: &str = "🗂 Open dashboard";

/// How a person stands in a challenge, in the chat's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandingWords {
    /// "25 / 100 km", "12 / 30 days", "best 80 kg (goal: at least 100 kg)".
    pub figures: String,
    /// "📈 2 km ahead of pace. To finish by Wed 1 Apr you need 3 km a day (…)".
    pub pace: Option<String>,
    /// "🔥 4-day streak".
    pub streak: Option<String>,
}

/// [`StandingWords`] for a person with `goal` and `tally` in `challenge`.
pub fn standing_words(
    challenge: &Challenge,
    goal: Goal,
    tally: &Tally,
    pace: Option<Pace>,
    today: NaiveDate,
) -> StandingWords {
    StandingWords {
        figures: screens::figures(Text::new(), goal, challenge.unit.as_ref(), tally).to_plain(),
        pace: pace.map(|p| screens::pace_lines(Text::new(), challenge, p, today).to_plain()),
        streak: screens::streak_phrase(&tally.streak, today),
    }
}

/// A value typed for progress, read as the chat reads it ("5", "5 km", "1,5"), or the chat's
/// words for what is wrong with it.
pub use super::answers::parse_amount_for as parse_value;
/// "Wed 1 Apr (31 days left, today included)", "ended on Sun 1 Mar"; "today", "yesterday",
/// "Mon 23 Nov"; "12 345.5 km", "1 book"; "1st", "2nd".
pub use super::screens::{
    day_phrase as day_words, deadline_phrase as deadline_words, ordinal, quantity_label as quantity_words,
};

impl Conversation {
    /// Opens the dashboard from the main menu, when it has a public address.
    pub fn with_dashboard(mut self, url: Option<String>) -> Conversation {
        self.dashboard = url;
        self
    }

    /// Puts "🗂 Open dashboard" under the main menu.
    pub(super) fn add_dashboard_button(&self, outcome: &mut Outcome) {
        if let (Some(url), Some(menu)) = (&self.dashboard, outcome.replies.first_mut()) {
            menu.web_app = Some(LinkButton { label: OPEN_DASHBOARD.to_owned(), url: url.clone() });
        }
    }

    /// Logs progress from the dashboard: the entry, and the news it makes for the others (to
    /// be queued with it). Call it within the person's zone
    /// ([`crate::clock::in_person_zone`]) on a turn's store, as the bot does.
    pub async fn log_from_dashboard(
        &self,
        user: UserId,
        name: &DisplayName,
        challenge: Challenge,
        value: Option<Amount>,
        date: NaiveDate,
        key: Option<IdempotencyKey>,
    ) -> Result<(ProgressLogged, Vec<Reply>), AppError> {
        self.app.remember_user(user, name).await?;
        let ctx = Ctx { user, name, key: key.as_ref(), today: self.app.today(), expired: false };
        let logged = self.app.add_progress_to(challenge, user, value, date, key.clone()).await?;
        let news = self.progress_news(&ctx, &logged).await?;
        Ok((logged, news))
    }
}
