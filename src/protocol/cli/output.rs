//! What the scripted commands print: readable text by default, JSON with `--json`.
//!
//! The JSON documents are built from the view structs below, not from the domain types, so their
//! field names are a stable contract for scripts:
//!
//! - ids are numbers; dates are `"YYYY-MM-DD"`; instants are RFC 3339 UTC strings;
//! - amounts are JSON numbers, exact to two decimals (`0.3`, never `0.30000000000000004`);
//! - `null` marks an absent value (no unit, no entry yet, not completed).
//!
//! | view | fields |
//! | --- | --- |
//! | challenge | `id`, `name`, `description`, `creator_id`, `created_at`, `start_date`, `deadline`, `unit`, `kind` (`total`, `at-least`, `at-most`, `days`), `default_goal`, `active`, `final` (entries closed after the day of grace: the standings are final), `days_left`, `first_finisher_id` |
//! | participant | `challenge_id`, `user_id`, `goal`, `joined_at`, `completed_at` |
//! | status | `standing` (what ranks the person: the total, the days checked in, the best value, or for at-most the first value minus the latest), `goal`, `current` (the figure judged against the goal: total, days, best value, or for at-most the latest value), `percent` (0–100, rounded down), `completed`, `completed_at`, `total`, `latest`, `best`, `first`, `days`, `entries`, `first_date`, `last_date` |
//! | standing | `rank`, `user_id`, `name`, `joined_at`, and the status fields |
//! | entry | `id`, `date`, `value` (`null` for a check-in), `recorded_at`, `idempotency_key` |
//!
//! What each command prints (one JSON object):
//!
//! | command | object |
//! | --- | --- |
//! | `challenge create` | `challenge`, `participant` (the creator) |
//! | `challenge list` | `challenges`: challenge views, newest first |
//! | `challenge show` | `challenge`, `leaderboard`: ranked by standing (ties: who got there first; no entries last), `user`: the `--user`'s standing or `null` |
//! | `challenge edit` | `challenge` (as it is now) |
//! | `challenge delete` | `deleted`: the challenge as it was |
//! | `challenge leave` | `challenge`, `user_id` |
//! | `challenge join` | `challenge`, `participant` |
//! | `goal set` | `challenge`, `participant`, `status` |
//! | `progress add` | `challenge`, `entry`, `duplicate` (the key was seen: nothing stored), `completed_now`, `status` |
//! | `progress list` | `challenge`, `user_id`, `entries` (oldest first), `status`, `rank`, `participants` |
//! | `progress edit` / `progress delete` | `challenge`, `before` (the entry as it was), `entry` (as it is now; `null` once deleted), `status` |
//! | `migrate` | `database`, `applied` (`version`, `description`), `version` |
//! | `backup` / `restore` | `source`, `path` (the file written), `bytes`, `challenges`, `participants`, `entries` |
//!
//! Errors are never JSON: one `error: …` line on stderr, nothing on stdout, exit status 1.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::amount::Amount;
use crate::challenge::{Challenge, Unit, Visibility};
use crate::goal::{Goal, GoalKind, Participant, Ranked};
use crate::progress::{ProgressEntry, Tally};
use crate::user::{DisplayName, UserId};

/// A command's result: serialisable for `--json`, and readable text otherwise.
pub trait Render: Serialize {
    /// The readable text, ending with a newline.
    fn human(&self) -> String;
}

/// The text a command prints on stdout.
pub fn render<T: Render>(value: &T, json: bool) -> String {
    if json {
        let mut text = serde_json::to_string_pretty(value).expect("views serialise");
        text.push('\n');
        text
    } else {
        value.human()
    }
}

// ---- Views (the JSON contract) ----

#[derive(Clone, Debug, Serialize)]
pub struct ChallengeView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub creator_id: i64,
    pub created_at: DateTime<Utc>,
    pub start_date: NaiveDate,
    pub deadline: NaiveDate,
    pub unit: Option<String>,
    pub kind: GoalKind,
    pub default_goal: Amount,
    /// Whether people can still join and set goals (today is on or before the deadline).
    pub active: bool,
    /// Whether entries are closed (after the day of grace, the day after the deadline).
    #[serde(rename = "final")]
    pub is_final: bool,
    /// Days from today to the deadline: 0 on the deadline day, negative once ended.
    pub days_left: i64,
    /// Who first met the challenge's own goal.
    pub first_finisher_id: Option<i64>,
    /// `public` (listed in the chat) or `private` (found through its invite link).
    pub visibility: Visibility,
    #[serde(skip)]
    unit_value: Option<Unit>,
}

impl ChallengeView {
    pub fn new(challenge: &Challenge, today: NaiveDate) -> ChallengeView {
        ChallengeView {
            id: challenge.id.0,
            name: challenge.name.to_string(),
            description: challenge.description.to_string(),
            creator_id: challenge.creator.0,
            created_at: challenge.created_at,
            start_date: challenge.start_date,
            deadline: challenge.deadline,
            unit: challenge.unit.as_ref().map(ToString::to_string),
            kind: challenge.goal_kind,
            default_goal: challenge.default_goal,
            active: challenge.is_active(today),
            is_final: challenge.is_final(today),
            days_left: challenge.days_left(today),
            first_finisher_id: challenge.first_finisher.map(|u| u.0),
            visibility: challenge.visibility,
            unit_value: challenge.unit.clone(),
        }
    }

    pub fn unit(&self) -> Option<&Unit> {
        self.unit_value.as_ref()
    }

    /// `#3 "Run 100 km"`.
    pub fn title(&self) -> String {
        format!("#{} \"{}\"", self.id, self.name)
    }

    /// A goal of this challenge's kind, in words: `100 km`, `at least 100 kg`, `30 days`.
    pub fn goal_text(&self, target: Amount) -> String {
        goal_text(self.kind, target, self.unit())
    }

    /// `92 days left`, `last day`, `ended (entries accepted today)`, `ended`.
    pub fn time_left(&self) -> String {
        match self.days_left {
            -1 if !self.is_final => "ended; entries for it can still be logged today".to_owned(),
            d if d < 0 => "ended".to_owned(),
            0 => "last day".to_owned(),
            1 => "1 day left".to_owned(),
            d => format!("{d} days left"),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ParticipantView {
    pub challenge_id: i64,
    pub user_id: i64,
    pub goal: Amount,
    pub joined_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<&Participant> for ParticipantView {
    fn from(p: &Participant) -> Self {
        ParticipantView {
            challenge_id: p.challenge.0,
            user_id: p.user.0,
            goal: p.goal,
            joined_at: p.joined_at,
            completed_at: p.completed_at,
        }
    }
}

/// How far a participant has come.
#[derive(Clone, Debug, Serialize)]
pub struct StatusView {
    /// What ranks the person (see [`GoalKind::standing`]).
    pub standing: Amount,
    pub goal: Amount,
    /// The figure compared with the goal: the total, the days checked in, the best value, or
    /// for at-most the latest value.
    pub current: Amount,
    /// Share of the goal, 0–100, rounded down (99.99 % shows as 99).
    pub percent: u16,
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
    pub total: Amount,
    pub latest: Option<Amount>,
    pub best: Option<Amount>,
    pub first: Option<Amount>,
    pub days: u32,
    pub entries: u32,
    pub first_date: Option<NaiveDate>,
    pub last_date: Option<NaiveDate>,
}

impl StatusView {
    pub fn new(goal: Goal, tally: &Tally, completed_at: Option<DateTime<Utc>>) -> StatusView {
        StatusView {
            standing: goal.kind.standing(tally),
            goal: goal.target,
            current: goal.current(tally),
            percent: goal.share(tally).percent(),
            completed: completed_at.is_some(),
            completed_at,
            total: tally.total,
            latest: tally.latest,
            best: tally.best,
            first: tally.first,
            days: tally.days,
            entries: tally.entries,
            first_date: tally.first_date,
            last_date: tally.last_date,
        }
    }

    /// `Total: 0.3 / 100 km (0%)`, `Best: 80 kg, goal at least 100 kg (80%)`, `Days: 3 / 30
    /// (10%)`, `Latest: 88 kg (down 7 kg from 95 kg), goal at most 85 kg (70%)`.
    pub fn line(&self, challenge: &ChallengeView) -> String {
        let unit = challenge.unit();
        let goal = challenge.goal_text(self.goal);
        match challenge.kind {
            GoalKind::Total => {
                format!("Total: {} / {} ({}%)", self.current, with_unit(self.goal, unit), self.percent)
            }
            GoalKind::Days => format!("Days: {} / {} ({}%)", self.current, self.goal, self.percent),
            GoalKind::AtLeast => match self.best {
                None => format!("Best: none yet, goal {goal} (0%)"),
                Some(best) => format!("Best: {}, goal {goal} ({}%)", with_unit(best, unit), self.percent),
            },
            GoalKind::AtMost => match self.latest {
                None => format!("Latest: none yet, goal {goal} (0%)"),
                Some(latest) => format!(
                    "Latest: {} ({}), goal {goal} ({}%)",
                    with_unit(latest, unit),
                    self.standing_text(challenge),
                    self.percent
                ),
            },
        }
    }

    /// The standing in words: `33.7 km`, `12 days`, `best 80 kg`, `down 7 kg from 95 kg`,
    /// `no entries yet`.
    pub fn standing_text(&self, challenge: &ChallengeView) -> String {
        let unit = challenge.unit();
        if self.entries == 0 {
            return "no entries yet".to_owned();
        }
        match challenge.kind {
            GoalKind::Total => with_unit(self.standing, unit),
            GoalKind::Days if self.days == 1 => "1 day".to_owned(),
            GoalKind::Days => format!("{} days", self.days),
            GoalKind::AtLeast => format!("best {}", with_unit(self.standing, unit)),
            GoalKind::AtMost => {
                let first = with_unit(self.first.unwrap_or_default(), unit);
                let change = Amount::from_hundredths(self.standing.hundredths().abs());
                match self.standing.hundredths().signum() {
                    1 => format!("down {} from {first}", with_unit(change, unit)),
                    -1 => format!("up {} from {first}", with_unit(change, unit)),
                    _ => format!("no change from {first}"),
                }
            }
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct StandingView {
    pub rank: u32,
    pub user_id: i64,
    /// The display name recorded for the user, or `User N` if none was.
    pub name: String,
    pub joined_at: DateTime<Utc>,
    #[serde(flatten)]
    pub status: StatusView,
}

impl StandingView {
    pub fn new(kind: GoalKind, ranked: &Ranked) -> StandingView {
        let standing = &ranked.standing;
        let participant = &standing.participant;
        let goal = Goal::from_stored(kind, participant.goal);
        StandingView {
            rank: ranked.rank,
            user_id: participant.user.0,
            name: display_name(standing.display_name.as_ref(), participant.user),
            joined_at: participant.joined_at,
            status: StatusView::new(goal, &standing.tally, participant.completed_at),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct EntryView {
    pub id: i64,
    pub date: NaiveDate,
    /// `null` for a check-in.
    pub value: Option<Amount>,
    pub recorded_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
}

impl From<&ProgressEntry> for EntryView {
    fn from(e: &ProgressEntry) -> Self {
        EntryView {
            id: e.id,
            date: e.date.date(),
            value: e.value,
            recorded_at: e.recorded_at,
            idempotency_key: e.idempotency_key.as_ref().map(|k| k.as_str().to_owned()),
        }
    }
}

// ---- Text helpers ----

pub fn display_name(name: Option<&DisplayName>, user: UserId) -> String {
    name.cloned().unwrap_or_else(|| DisplayName::fallback(user)).to_string()
}

/// `5.3 km`, or `5.3` without a unit.
pub fn with_unit(amount: Amount, unit: Option<&Unit>) -> String {
    match unit {
        Some(u) => format!("{amount} {u}"),
        None => amount.to_string(),
    }
}

/// A goal in words: `100 km`, `at least 100 kg`, `at most 70 kg`, `30 days`.
pub fn goal_text(kind: GoalKind, target: Amount, unit: Option<&Unit>) -> String {
    match kind {
        GoalKind::Total => with_unit(target, unit),
        GoalKind::AtLeast => format!("at least {}", with_unit(target, unit)),
        GoalKind::AtMost => format!("at most {}", with_unit(target, unit)),
        GoalKind::Days if target == Amount::from_whole(1) => "1 day".to_owned(),
        GoalKind::Days => format!("{target} days"),
    }
}

/// How to refer to a user in a sentence: `Ann (user 2)`, or `User 2` when no name was given.
pub fn who(user: UserId, name: Option<&DisplayName>) -> String {
    match name {
        Some(name) => format!("{name} (user {user})"),
        None => format!("User {user}"),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A plain-text table: columns padded to their widest cell, two spaces apart, no trailing spaces.
pub struct Table {
    columns: Vec<(&'static str, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(columns: &[(&'static str, Align)]) -> Table {
        Table { columns: columns.to_vec(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.columns.len());
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        // Widths in terminal cells: CJK characters and most emoji take two.
        let width = crate::text::display_width;
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (title, _))| {
                self.rows.iter().map(|r| width(&r[i])).chain([width(title)]).max().unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|(t, _)| (*t).to_owned()).collect();
        for cells in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(&match self.columns[i].1 {
                    Align::Left => crate::text::pad_right(cell, widths[i]),
                    Align::Right => crate::text::pad_left(cell, widths[i]),
                });
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let mut t = Table::new(&[("ID", Align::Right), ("NAME", Align::Left), ("%", Align::Right)]);
        t.row(vec!["1".into(), "Run".into(), "100%".into()]);
        t.row(vec!["12".into(), "Meditate".into(), "5%".into()]);
        assert_eq!(t.render(), "ID  NAME         %\n 1  Run       100%\n12  Meditate    5%\n");
        let mut wide = Table::new(&[("NAME", Align::Left), ("N", Align::Right)]);
        wide.row(vec!["跑步".into(), "1".into()]);
        wide.row(vec!["Run".into(), "2".into()]);
        assert_eq!(wide.render(), "NAME  N\n跑步  1\nRun   2\n");
    }

    #[test]
    fn goals_in_words() {
        let km = Unit::parse("km").ok();
        assert_eq!(goal_text(GoalKind::Total, Amount::from_hundredths(10050), km.as_ref()), "100.5 km");
        assert_eq!(goal_text(GoalKind::AtMost, Amount::from_whole(70), None), "at most 70");
        assert_eq!(goal_text(GoalKind::Days, Amount::from_whole(30), None), "30 days");
    }
}
