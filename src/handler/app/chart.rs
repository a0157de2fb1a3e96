//! The figures of a chart, read from the store: each drawn person's standing after each day they
//! logged, with the goal, the deadline and the viewer's pace (see [`crate::chart`] for the
//! drawing).
//!
//! A standings chart draws the top [`CHART_LINES`] of the leaderboard and the viewer: their
//! entries are read person by person through the participant index, so a challenge of 200
//! reads 11 people's entries, not 200.

use chrono::NaiveDate;

use super::{App, AppError};
use crate::amount::Amount;
use crate::challenge::{Challenge, ChallengeId};
use crate::chart::{Line, PersonalChart, StandingsChart};
use crate::goal::{GoalKind, Ranked, daily_amounts, standing_series};
use crate::user::{DisplayName, UserId};

/// How many of the leaderboard a standings chart draws (besides the viewer).
pub const CHART_LINES: u32 = 10;

impl App {
    /// Everyone's standing over time in a challenge: the leaderboard's top and the viewer (if
    /// they joined), the viewer's goal (or the challenge's) and their pace.
    pub async fn standings_chart(
        &self,
        id: ChallengeId,
        viewer: Option<UserId>,
    ) -> Result<StandingsChart, AppError> {
        let challenge = self.challenge(id).await?;
        let kind = challenge.goal_kind;
        let leaders = self.store.leaders(id, kind, CHART_LINES).await?;
        let me = match viewer {
            Some(user) => self.store.position(id, kind, user, challenge.first_finisher).await?.map(|p| p.me),
            None => None,
        };
        self.chart_of_standings(&challenge, &leaders.top, me.as_ref(), viewer).await
    }

    /// The same from standings already read: `top` is the leaderboard's top, best first (only
    /// its first [`CHART_LINES`] are drawn), `me` the viewer's own line if they joined.
    pub async fn chart_of_standings(
        &self,
        challenge: &Challenge,
        top: &[Ranked],
        me: Option<&Ranked>,
        viewer: Option<UserId>,
    ) -> Result<StandingsChart, AppError> {
        let kind = challenge.goal_kind;
        let mut drawn: Vec<&Ranked> = top.iter().take(CHART_LINES as usize).collect();
        if let Some(me) = me
            && !drawn.iter().any(|r| r.standing.participant.user == me.standing.participant.user)
        {
            drawn.push(me);
        }
        let mut lines = Vec::with_capacity(drawn.len());
        for ranked in drawn {
            let user = ranked.standing.participant.user;
            let points = self.series(challenge, user).await?;
            let name = ranked.standing.display_name.clone().unwrap_or_else(|| DisplayName::fallback(user));
            lines.push(Line { name: name.as_str().to_owned(), points, viewer: Some(user) == viewer });
        }
        let today = self.today();
        let start = lines
            .iter()
            .filter_map(|l| l.points.first())
            .map(|p| p.0)
            .fold(challenge.start_date, NaiveDate::min);
        let (goal, pace) = match me {
            Some(me) => {
                let joined = me.standing.participant.joined_at.date_naive().max(challenge.start_date);
                (
                    me.standing.participant.goal,
                    pace_line(kind, me.standing.participant.goal, joined, challenge.deadline),
                )
            }
            None => (challenge.default_goal, None),
        };
        Ok(StandingsChart {
            title: challenge.name.as_str().to_owned(),
            axis: standing_axis(kind, challenge),
            start,
            deadline: challenge.deadline,
            until: today.min(challenge.deadline).max(start),
            from_zero: grows_from_zero(kind),
            lines,
            goal: Some(goal.to_f64()),
            pace,
        })
    }

    /// One participant's entries as bars by day, with their standing, goal and pace.
    /// `NotParticipant` if they have not joined.
    pub async fn personal_chart(&self, id: ChallengeId, user: UserId) -> Result<PersonalChart, AppError> {
        let challenge = self.challenge(id).await?;
        let participant = self.participant(id, user).await?;
        let kind = challenge.goal_kind;
        let entries = self.entries_by_day(id, user).await?;
        let standing = standing_series(kind, &entries).into_iter().map(|(d, a)| (d, a.to_f64())).collect();
        let bars = daily_amounts(&entries).into_iter().map(|(d, a)| (d, a.to_f64())).collect();
        let start = entries.first().map_or(challenge.start_date, |e| e.0.min(challenge.start_date));
        let joined = participant.joined_at.date_naive().max(challenge.start_date);
        let name = self.display_name(user).await?.unwrap_or_else(|| DisplayName::fallback(user));
        Ok(PersonalChart {
            title: format!("{}: {}", challenge.name.as_str(), name.as_str()),
            bars_axis: bars_axis(kind, &challenge),
            standing_axis: standing_axis(kind, &challenge),
            start,
            deadline: challenge.deadline,
            until: self.today().min(challenge.deadline).max(start),
            from_zero: grows_from_zero(kind),
            bars,
            standing,
            goal: Some(participant.goal.to_f64()),
            pace: pace_line(kind, participant.goal, joined, challenge.deadline),
        })
    }

    async fn series(&self, challenge: &Challenge, user: UserId) -> Result<Vec<(NaiveDate, f64)>, AppError> {
        let entries = self.entries_by_day(challenge.id, user).await?;
        Ok(standing_series(challenge.goal_kind, &entries).into_iter().map(|(d, a)| (d, a.to_f64())).collect())
    }

    async fn entries_by_day(
        &self,
        id: ChallengeId,
        user: UserId,
    ) -> Result<Vec<(NaiveDate, Option<Amount>)>, AppError> {
        let entries = self.store.list_progress(id, user).await?;
        Ok(entries.into_iter().map(|e| (e.date.date(), e.value)).collect())
    }
}

/// Totals and days add up from nothing; a best or a latest value starts at the first entry.
fn grows_from_zero(kind: GoalKind) -> bool {
    matches!(kind, GoalKind::Total | GoalKind::Days)
}

/// The straight line a goal that adds up should follow: by the end of each day from the day the
/// person joined, that day's share of the goal (as [`crate::goal::Pace`] counts it).
fn pace_line(
    kind: GoalKind,
    goal: Amount,
    from: NaiveDate,
    deadline: NaiveDate,
) -> Option<[(NaiveDate, f64); 2]> {
    if !grows_from_zero(kind) || deadline < from {
        return None;
    }
    let days = (deadline - from).num_days() as f64 + 1.0;
    Some([(from, goal.to_f64() / days), (deadline, goal.to_f64())])
}

fn with_unit(label: &str, challenge: &Challenge) -> String {
    match &challenge.unit {
        Some(unit) => format!("{label} ({})", unit.as_str()),
        None => label.to_owned(),
    }
}

/// What a standings chart's vertical axis measures.
fn standing_axis(kind: GoalKind, challenge: &Challenge) -> String {
    match kind {
        GoalKind::Total => with_unit("Total", challenge),
        GoalKind::Days => "Days checked in".to_owned(),
        GoalKind::AtLeast => with_unit("Best so far", challenge),
        GoalKind::AtMost => with_unit("Latest value", challenge),
    }
}

/// What a personal chart's bars measure.
fn bars_axis(kind: GoalKind, challenge: &Challenge) -> String {
    match kind {
        GoalKind::Days => "Check-ins".to_owned(),
        GoalKind::Total => with_unit("Logged per day", challenge),
        GoalKind::AtLeast | GoalKind::AtMost => with_unit("Logged", challenge),
    }
}
