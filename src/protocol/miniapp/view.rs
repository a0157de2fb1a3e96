//! What the dashboard shows, read through the use cases: the JSON API returns these as they
//! are, and the pages ([`super::pages`]) draw them. Wording comes from the chat
//! ([`crate::handler::conversation::dashboard`]) so both say the same things.

use chrono::NaiveDate;
use serde::Serialize;

use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeId};
use crate::chart::StandingsChart;
use crate::goal::{Goal, MembershipScope, Pace};
use crate::handler::app::{App, AppError};
use crate::handler::conversation::dashboard::{
    StandingWords, day_words, deadline_words, quantity_words, standing_words,
};
use crate::progress::Tally;
use crate::repository::Page;
use crate::user::UserId;

/// The most challenges the dashboard lists.
pub const MAX_CHALLENGES: u32 = 100;
/// The leaderboard's rows on a challenge's page (the viewer's own line is added below them).
pub const LEADERBOARD_ROWS: u32 = 50;
/// The person's own entries listed on a challenge's page, newest first.
pub const ENTRY_ROWS: u32 = 30;

/// Where a person stands in one challenge: a card on the home page, the head of its page.
#[derive(Clone, Debug, Serialize)]
pub struct Card {
    pub id: i64,
    pub name: String,
    pub unit: Option<String>,
    /// `total`, `days`, `at-least` or `at-most` (as stored).
    pub kind: &'static str,
    pub deadline: NaiveDate,
    pub deadline_words: String,
    /// Takes entries today (through its day of grace).
    pub open: bool,
    /// The standings are final.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The person's standing in the challenge's unit (total, best, latest or days).
    pub standing: f64,
    pub goal: f64,
    /// Share of their own goal, 0–100 (rounded down).
    pub percent: u16,
    pub met: bool,
    pub pace: Option<PaceView>,
    /// Days in a row up to today (0 when broken).
    pub streak: u32,
    pub logged_today: bool,
    pub place: Option<u32>,
    pub participants: u32,
    pub words: Words,
}

/// Pace against a straight line to the goal at the deadline (total and days goals).
#[derive(Clone, Debug, Serialize)]
pub struct PaceView {
    /// Positive ahead, negative behind.
    pub ahead: f64,
    pub per_day: f64,
    pub remaining: f64,
    pub days_left: u32,
}

/// The chat's sentences for a card.
#[derive(Clone, Debug, Serialize)]
pub struct Words {
    pub figures: String,
    pub pace: Option<String>,
    pub streak: Option<String>,
}

impl From<StandingWords> for Words {
    fn from(w: StandingWords) -> Words {
        Words { figures: w.figures, pace: w.pace, streak: w.streak }
    }
}

/// The home page: the person's challenges, those taking entries first.
#[derive(Clone, Debug, Serialize)]
pub struct Home {
    pub today: NaiveDate,
    pub challenges: Vec<Card>,
}

/// One row of a leaderboard.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub rank: u32,
    pub name: String,
    pub standing: f64,
    pub standing_words: String,
    pub percent: u16,
    pub met: bool,
    pub me: bool,
}

/// One of the person's entries.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub id: i64,
    pub date: NaiveDate,
    pub day_words: String,
    pub value: Option<f64>,
    /// "5 km", or "check-in".
    pub value_words: String,
}

/// A challenge's page: the person's card, the leaderboard, the chart, their entries and what
/// the log form needs.
#[derive(Clone, Debug, Serialize)]
pub struct ChallengePage {
    pub today: NaiveDate,
    pub card: Card,
    pub description: String,
    pub start_date: NaiveDate,
    /// The latest date an entry may take today.
    pub last_date: NaiveDate,
    pub takes_values: bool,
    pub leaderboard: Vec<Row>,
    pub first_finisher: Option<String>,
    pub entries: Vec<Entry>,
    pub entry_count: u64,
    #[serde(skip)]
    pub chart: StandingsChart,
}

fn pace_view(pace: Pace) -> PaceView {
    PaceView {
        ahead: pace.ahead.to_f64(),
        per_day: pace.per_day.to_f64(),
        remaining: pace.remaining.to_f64(),
        days_left: pace.days_left,
    }
}

/// A card from a person's goal and tally in a challenge.
fn card(
    app: &App,
    challenge: &Challenge,
    goal_target: Amount,
    joined: NaiveDate,
    tally: &Tally,
    place: Option<(u32, u32)>,
) -> Card {
    let today = app.today();
    let own_today = app.today_of(challenge);
    let goal = Goal::from_stored(challenge.goal_kind, goal_target);
    let from = joined.max(challenge.start_date);
    let pace = Pace::of(goal, tally, from, challenge.deadline, today);
    Card {
        id: challenge.id.0,
        name: challenge.name.as_str().to_owned(),
        unit: challenge.unit.as_ref().map(|u| u.as_str().to_owned()),
        kind: challenge.goal_kind.as_str(),
        deadline: challenge.deadline,
        deadline_words: deadline_words(challenge, own_today),
        open: challenge.accepts_entries(own_today),
        is_final: challenge.is_final(own_today),
        standing: challenge.goal_kind.standing(tally).to_f64(),
        goal: goal_target.to_f64(),
        percent: goal.share(tally).percent(),
        met: goal.is_met(tally),
        pace: pace.map(pace_view),
        streak: tally.streak.current_on(today),
        logged_today: tally.last_date == Some(today),
        place: place.map(|p| p.0),
        participants: place.map_or(0, |p| p.1),
        words: standing_words(challenge, goal, tally, pace, today).into(),
    }
}

/// The home page's data: every challenge of the person (up to [`MAX_CHALLENGES`]), those
/// taking entries first, each most recently active first.
pub async fn home(app: &App, user: UserId) -> Result<Home, AppError> {
    let memberships = app.memberships(user, MembershipScope::All, Page::new(0, MAX_CHALLENGES)).await?;
    let joined: Vec<&Challenge> = memberships.items.iter().map(|m| &m.challenge).collect();
    let places = app.places(user, &joined).await?;
    let mut challenges = Vec::with_capacity(memberships.items.len());
    for m in &memberships.items {
        let place = places.get(&m.challenge.id).map(|p| (p.rank, p.participants));
        challenges.push(card(
            app,
            &m.challenge,
            m.participant.goal,
            m.participant.joined_at.date_naive(),
            &m.tally,
            place,
        ));
    }
    // Stable: the store's order (most recently active first) holds within each group.
    challenges.sort_by_key(|c| !c.open);
    Ok(Home { today: app.today(), challenges })
}

/// A challenge's page, for a person who joined it (`NotParticipant` otherwise).
pub async fn challenge_page(app: &App, id: ChallengeId, user: UserId) -> Result<ChallengePage, AppError> {
    let board = app.board(id, user, LEADERBOARD_ROWS).await?;
    let Some(me) = &board.me else { return Err(AppError::NotParticipant(id)) };
    let challenge = &board.challenge;
    let unit = challenge.unit.as_ref();
    let today = app.today();
    let participant = &me.standing.participant;
    let card = card(
        app,
        challenge,
        participant.goal,
        participant.joined_at.date_naive(),
        &me.standing.tally,
        Some((me.rank, board.participants)),
    );
    let row = |r: &crate::goal::Ranked| {
        let user_of = r.standing.participant.user;
        let name =
            r.standing.display_name.clone().unwrap_or_else(|| crate::user::DisplayName::fallback(user_of));
        let goal = Goal::from_stored(challenge.goal_kind, r.standing.participant.goal);
        Row {
            rank: r.rank,
            name: name.as_str().to_owned(),
            standing: r.score.to_f64(),
            standing_words: match challenge.goal_kind {
                crate::goal::GoalKind::Days => format!("{} d", r.score),
                _ => quantity_words(r.score, unit),
            },
            percent: r.share.percent(),
            met: goal.is_met(&r.standing.tally),
            me: user_of == user,
        }
    };
    let mut leaderboard: Vec<Row> = board.top.iter().map(row).collect();
    if !leaderboard.iter().any(|r| r.me) {
        leaderboard.push(row(me));
    }
    // Joined (the board has their line): the page's reads are the board's, their entries and
    // the chart's lines, once each.
    let history = app.entries_page(id, user, Page::new(0, ENTRY_ROWS)).await?;
    let entries = history
        .items
        .iter()
        .map(|e| Entry {
            id: e.id,
            date: e.date.date(),
            day_words: day_words(e.date.date(), today),
            value: e.value.map(Amount::to_f64),
            value_words: match e.value {
                Some(v) => quantity_words(v, unit),
                None => "check-in".to_owned(),
            },
        })
        .collect();
    let chart = app.chart_of_standings(challenge, &board.top, Some(me), Some(user)).await?;
    Ok(ChallengePage {
        today,
        description: challenge.description.as_str().to_owned(),
        start_date: challenge.start_date,
        last_date: today.min(challenge.deadline),
        takes_values: challenge.goal_kind.takes_values(),
        leaderboard,
        first_finisher: board.first_finisher.as_ref().map(|n| n.as_str().to_owned()),
        entries,
        entry_count: history.total,
        chart,
        card,
    })
}
