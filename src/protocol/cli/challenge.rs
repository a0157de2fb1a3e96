//! `challenge-bot challenge create | list | show | join` (and `edit | delete | leave`, in
//! [`super::manage`]).

use std::fmt::Write as _;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::args::{self, name};
use super::output::{
    Align, ChallengeView, ParticipantView, Render, StandingView, Table, goal_text, render, who,
};
use super::{CliError, Output, Session};
use crate::amount::Amount;
use crate::challenge::{
    ChallengeFilter, ChallengeId, ChallengeName, Deadline, Description, Unit, Visibility,
};
use crate::config::Config;
use crate::goal::{Goal, GoalKind};
use crate::handler::{AppError, ChallengeDraft};
use crate::repository::Page;
use crate::storage::Access;
use crate::user::{DisplayName, UserId};

#[derive(Subcommand, Debug)]
pub enum ChallengeCommand {
    /// Create a challenge; its creator joins it with the default goal
    Create(CreateArgs),
    /// List active challenges (or those a user joined, or all with --all)
    List(ListArgs),
    /// Show a challenge and its leaderboard: each participant's progress, goal and rank
    Show(ShowArgs),
    /// Join a challenge, with the challenge's goal or your own
    Join(JoinArgs),
    /// Change a challenge you created: its name, description or deadline
    Edit(super::manage::EditArgs),
    /// Delete a challenge you created, with everyone's entries in it
    Delete(super::manage::DeleteArgs),
    /// Leave a challenge you joined; your entries in it are deleted
    Leave(super::manage::LeaveArgs),
    /// Everyone's entries in a challenge, as CSV or JSON, with display names
    Export(super::export::ChallengeExportArgs),
    /// A chart of the challenge as a PNG file: standings over time, or one person's entries
    Chart(super::chart::ChartArgs),
    /// Print a challenge's invite link (with --revoke, replace it: the old link stops working)
    Invite(super::invite::InviteArgs),
    /// Make a challenge public (listed in the chat) or private (found through its invite link)
    Visibility(super::invite::VisibilityArgs),
    /// Challenges people reported: how many people, and why (three unlist a public one)
    Reports(super::reports::ReportsArgs),
    /// Clear a challenge's reports and list it again (after looking at it)
    Relist(super::reports::RelistArgs),
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Goal kinds (people rank by their standing, never by the share of their own goal):
  total     the sum of everything logged reaches the goal (run 100 km); standing: the total
  at-least  the best value logged reaches the goal (bench-press 100 kg); standing: the best value
  at-most   the latest value is at most the goal (weigh at most 70 kg); standing: how far the
            latest value came down from the first
  days      one check-in a day; the number of days reaches the goal (meditate 30 days);
            standing: the days checked in

Examples:
  challenge-bot challenge create --user 1 --name \"Run 100 km\" --deadline 2027-03-01 --goal 100 --unit km
  challenge-bot challenge create --user 1 --name \"Meditate\" --deadline 2027-01-31 --goal 30 --kind days
  challenge-bot challenge create --user 1 --name \"Weigh 70 kg\" --description \"By summer\" \\
      --deadline 2027-06-01 --goal 70 --kind at-most --unit kg"
)]
pub struct CreateArgs {
    /// The creator's user id (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// The creator's name, shown on leaderboards
    #[arg(long = "user-name", value_name = "TEXT")]
    pub user_name: Option<String>,
    /// The challenge's name: 1 to 100 characters
    #[arg(long, value_name = "TEXT")]
    pub name: String,
    /// What the challenge is about: up to 1000 characters
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The last day of the challenge (2027-03-01, 1.3.2027, 1 Mar; without a year, the next
    /// one): after today, at most 5 years ahead
    #[arg(long, value_name = "DATE")]
    pub deadline: String,
    /// The default goal: a positive number with up to 2 decimals (whole days for --kind days)
    #[arg(long, value_name = "N")]
    pub goal: String,
    /// How progress is judged: total, at-least, at-most or days
    #[arg(long, value_name = "KIND", default_value = "total")]
    pub kind: String,
    /// What the numbers count, e.g. km (up to 16 characters)
    #[arg(long, value_name = "TEXT")]
    pub unit: Option<String>,
    /// private: found only through its invite link (challenge invite ID); public: listed under
    /// "Join challenge" in the chat
    #[arg(long, value_name = "WHO", default_value = "private")]
    pub visibility: String,
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Examples:
  challenge-bot challenge list
  challenge-bot challenge list --user 2 --all
  challenge-bot --json challenge list"
)]
pub struct ListArgs {
    /// Only the challenges this user joined
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// Include challenges that have ended
    #[arg(long)]
    pub all: bool,
    /// Record this name for --user, shown on leaderboards
    #[arg(long = "user-name", visible_alias = "name", value_name = "TEXT", requires = "user")]
    pub user_name: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Examples:
  challenge-bot challenge show 1
  challenge-bot challenge show 1 --user 2
  challenge-bot --json challenge show 1"
)]
pub struct ShowArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// Highlight this user's line
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// Record this name for --user, shown on leaderboards
    #[arg(long = "user-name", visible_alias = "name", value_name = "TEXT", requires = "user")]
    pub user_name: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
The operator may join anyone to any challenge, private ones included; --invite joins the
challenge an invite code (or link) leads to, as the chat does.

Examples:
  challenge-bot challenge join 1 --user 2
  challenge-bot challenge join 1 --user 2 --goal 80 --user-name Ann
  challenge-bot challenge join --invite Zq3x9Lk2Pw8sT1vB6nY0aE --user 3"
)]
pub struct JoinArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID", required_unless_present = "invite", conflicts_with = "invite")]
    pub id: Option<String>,
    /// An invite code, or the whole link (https://t.me/<bot>?start=<code>)
    // A code may start with "-" (it is one of the deep-link characters): still the value.
    #[arg(long, value_name = "CODE", allow_hyphen_values = true)]
    pub invite: Option<String>,
    /// Who joins (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// Your own goal [default: the challenge's]
    #[arg(long, value_name = "N")]
    pub goal: Option<String>,
    /// The name shown for --user on leaderboards
    #[arg(long = "user-name", visible_alias = "name", value_name = "TEXT")]
    pub user_name: Option<String>,
}

impl ChallengeCommand {
    pub async fn run(self, config: &Config, json: bool) -> Result<Output, CliError> {
        let today = config.clock.today();
        match self {
            ChallengeCommand::Create(a) => create(a.validate(today)?, config, json).await,
            ChallengeCommand::List(a) => list(a, config, json).await,
            ChallengeCommand::Show(a) => show(a, config, json).await,
            ChallengeCommand::Join(a) => join(a, config, json).await,
            ChallengeCommand::Edit(a) => super::manage::edit(a, config, json).await,
            ChallengeCommand::Delete(a) => super::manage::delete(a, config, json).await,
            ChallengeCommand::Leave(a) => super::manage::leave(a, config, json).await,
            ChallengeCommand::Export(a) => super::export::challenge(a, config).await,
            ChallengeCommand::Chart(a) => super::chart::chart(a, config).await,
            ChallengeCommand::Invite(a) => super::invite::invite(a, config, json).await,
            ChallengeCommand::Visibility(a) => super::invite::visibility(a, config, json).await,
            ChallengeCommand::Reports(a) => super::reports::reports(a, config, json).await,
            ChallengeCommand::Relist(a) => super::reports::relist(a, config, json).await,
        }
    }
}

/// A create request with every field checked.
struct ValidCreate {
    user: UserId,
    user_name: Option<DisplayName>,
    draft: ChallengeDraft,
}

impl CreateArgs {
    fn validate(&self, today: NaiveDate) -> Result<ValidCreate, CliError> {
        let user = args::user_id(&self.user)?;
        let user_name = args::display_name(self.user_name.as_deref(), user)?;
        let challenge_name = ChallengeName::parse(&self.name).map_err(|e| CliError::input(name::NAME, e))?;
        let description = Description::parse(self.description.as_deref().unwrap_or(""))
            .map_err(|e| CliError::input(name::DESCRIPTION, e))?;
        let deadline = args::deadline(name::DEADLINE, &self.deadline, today)?;
        Deadline::parse(deadline, today).map_err(|e| CliError::input(name::DEADLINE, e))?;
        let kind: GoalKind = self.kind.parse().map_err(|e| CliError::input(name::KIND, e))?;
        let goal = Goal::parse(kind, &self.goal).map_err(|e| CliError::input(name::GOAL, e))?;
        let unit =
            self.unit.as_deref().map(Unit::parse).transpose().map_err(|e| CliError::input(name::UNIT, e))?;
        let visibility = args::visibility(&self.visibility)?;
        Ok(ValidCreate {
            user,
            user_name,
            draft: ChallengeDraft { name: challenge_name, description, deadline, unit, goal, visibility },
        })
    }
}

#[derive(Serialize)]
struct Created {
    challenge: ChallengeView,
    /// The creator, joined with the default goal.
    participant: ParticipantView,
    #[serde(skip)]
    creator: String,
}

impl Render for Created {
    fn human(&self) -> String {
        let c = &self.challenge;
        let kind = match c.kind {
            GoalKind::Total => format!("{} in total", c.goal_text(c.default_goal)),
            _ => c.goal_text(c.default_goal),
        };
        let seen_by = match c.visibility {
            Visibility::Public => "It is public: listed under \"Join challenge\" in the chat.".to_owned(),
            Visibility::Private => format!(
                "It is private: people join through its invite link (challenge-bot challenge invite {}).",
                c.id
            ),
        };
        format!(
            "Created challenge {}: {kind} by {} ({}).\n{} joined it with the goal {}.\n{seen_by}\n",
            c.title(),
            c.deadline,
            c.time_left(),
            self.creator,
            c.goal_text(self.participant.goal),
        )
    }
}

async fn create(valid: ValidCreate, config: &Config, json: bool) -> Result<Output, CliError> {
    let session = Session::open(config, Access::Create).await?;
    let refused = session.refused(Some(valid.user));
    let challenge = session.app.create_challenge(valid.user, valid.draft).await.map_err(|e| match e {
        AppError::Unreachable(message) => CliError::input(name::GOAL, message),
        other => refused(other),
    })?;
    session.remember(valid.user, valid.user_name.as_ref()).await?;
    let participant = ParticipantView {
        challenge_id: challenge.id.0,
        user_id: valid.user.0,
        goal: challenge.default_goal,
        joined_at: challenge.created_at,
        completed_at: None,
    };
    let view = Created {
        challenge: ChallengeView::new(&challenge, session.app.today_of(&challenge)),
        participant,
        creator: who(valid.user, valid.user_name.as_ref()),
    };
    Ok(Output::changed(render(&view, json)))
}

#[derive(Serialize)]
struct Listed {
    challenges: Vec<ChallengeView>,
    #[serde(skip)]
    empty: String,
}

impl Render for Listed {
    fn human(&self) -> String {
        if self.challenges.is_empty() {
            return format!("{}\n", self.empty);
        }
        let mut table = Table::new(&[
            ("ID", Align::Right),
            ("NAME", Align::Left),
            ("KIND", Align::Left),
            ("GOAL", Align::Left),
            ("DEADLINE", Align::Left),
            ("STATUS", Align::Left),
            ("VISIBILITY", Align::Left),
        ]);
        for c in &self.challenges {
            table.row(vec![
                c.id.to_string(),
                c.name.clone(),
                c.kind.to_string(),
                goal_text(c.kind, c.default_goal, c.unit()),
                c.deadline.to_string(),
                c.time_left(),
                c.visibility.to_string(),
            ]);
        }
        table.render()
    }
}

async fn list(a: ListArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let user = args::optional_user_id(a.user.as_deref())?;
    let user_name = match user {
        Some(u) => args::display_name(a.user_name.as_deref(), u)?,
        None => None,
    };
    let session = Session::open(config, Access::Existing).await?;
    let today = session.app.today_everywhere();
    let (filter, empty) = match (user, a.all) {
        (None, false) => (ChallengeFilter::ActiveOn(today), "No active challenges.".to_owned()),
        (None, true) => (ChallengeFilter::All, "No challenges yet.".to_owned()),
        (Some(u), false) => (
            ChallengeFilter::JoinedBy { user: u, active_on: Some(today) },
            format!("User {u} has not joined any active challenge."),
        ),
        (Some(u), true) => (
            ChallengeFilter::JoinedBy { user: u, active_on: None },
            format!("User {u} has not joined any challenge."),
        ),
    };
    let page = session.app.list(filter, Page::ALL).await.map_err(session.refused(user))?;
    if let Some(u) = user {
        session.remember(u, user_name.as_ref()).await?;
    }
    let view = Listed {
        challenges: page.items.iter().map(|c| ChallengeView::new(c, session.app.today_of(c))).collect(),
        empty,
    };
    Ok(Output::read(render(&view, json)))
}

#[derive(Serialize)]
struct Shown {
    challenge: ChallengeView,
    /// Everyone, best first.
    leaderboard: Vec<StandingView>,
    /// The line of the user given with `--user`, if they joined.
    user: Option<StandingView>,
    #[serde(skip)]
    asked: Option<UserId>,
}

impl Render for Shown {
    fn human(&self) -> String {
        let c = &self.challenge;
        let mut out = format!("Challenge {}\n", c.title());
        for line in c.description.lines() {
            let _ = writeln!(out, "  {line}");
        }
        let creator = self
            .leaderboard
            .iter()
            .find(|s| s.user_id == c.creator_id)
            .map_or_else(|| format!("User {}", c.creator_id), |s| s.name.clone());
        let _ = writeln!(out);
        let _ = writeln!(out, "Kind      {}: {}", c.kind, c.kind.explanation());
        let _ = writeln!(out, "Goal      {} (default)", c.goal_text(c.default_goal));
        let _ = writeln!(out, "Dates     {} to {} ({})", c.start_date, c.deadline, c.time_left());
        let _ = writeln!(out, "Creator   {creator} (user {})", c.creator_id);
        let _ = writeln!(out);
        if self.leaderboard.is_empty() {
            let _ = writeln!(out, "Nobody has joined yet.");
            return out;
        }
        // With --user, a first column marks that user's line with ">".
        let mut columns = vec![
            ("RANK", Align::Right),
            ("NAME", Align::Left),
            ("USER", Align::Right),
            ("STANDING", Align::Left),
            ("GOAL", Align::Left),
            ("%", Align::Right),
            ("DONE", Align::Left),
        ];
        if self.asked.is_some() {
            columns.insert(0, ("", Align::Left));
        }
        let mut table = Table::new(&columns);
        for s in &self.leaderboard {
            let mut row = vec![
                s.rank.to_string(),
                s.name.clone(),
                s.user_id.to_string(),
                s.status.standing_text(c),
                c.goal_text(s.status.goal),
                format!("{}%", s.status.percent),
                if s.status.completed { "✓".to_owned() } else { String::new() },
            ];
            if let Some(asked) = self.asked {
                row.insert(0, if asked.0 == s.user_id { ">" } else { "" }.to_owned());
            }
            table.row(row);
        }
        out.push_str(&table.render());
        if let Some(first) = c.first_finisher_id {
            let name = self
                .leaderboard
                .iter()
                .find(|s| s.user_id == first)
                .map_or_else(|| format!("User {first}"), |s| s.name.clone());
            let _ = writeln!(out, "\nFirst to finish: {name} (user {first}).");
        }
        let title = if c.is_final { "Final standings. " } else { "" };
        let _ = writeln!(out, "\n{title}{}; ties go to whoever got there first.", c.kind.ranking_rule());
        match (self.asked, &self.user) {
            (Some(_), Some(me)) => {
                let _ = writeln!(
                    out,
                    "> {} is ranked {} of {}. {}.",
                    me.name,
                    me.rank,
                    self.leaderboard.len(),
                    me.status.line(c)
                );
            }
            (Some(u), None) => {
                let _ = writeln!(out, "User {u} has not joined this challenge.");
            }
            (None, _) => {}
        }
        out
    }
}

async fn show(a: ShowArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let user = args::optional_user_id(a.user.as_deref())?;
    let user_name = match user {
        Some(u) => args::display_name(a.user_name.as_deref(), u)?,
        None => None,
    };
    let session = Session::open(config, Access::Existing).await?;
    let overview = session.app.overview(id, user).await.map_err(session.refused(user))?;
    let kind = overview.challenge.goal_kind;
    let mut view = Shown {
        challenge: ChallengeView::new(&overview.challenge, session.app.today_of(&overview.challenge)),
        leaderboard: overview.leaderboard.iter().map(|r| StandingView::new(kind, r)).collect(),
        user: overview.me.as_ref().map(|r| StandingView::new(kind, r)),
        asked: user,
    };
    if let (Some(u), Some(new_name)) = (user, &user_name) {
        session.remember(u, Some(new_name)).await?;
        let lines = view.leaderboard.iter_mut().chain(view.user.as_mut());
        for line in lines.filter(|s| s.user_id == u.0) {
            line.name = new_name.to_string();
        }
    }
    Ok(Output::read(render(&view, json)))
}

#[derive(Serialize)]
struct Joined {
    challenge: ChallengeView,
    participant: ParticipantView,
    #[serde(skip)]
    who: String,
}

impl Render for Joined {
    fn human(&self) -> String {
        let c = &self.challenge;
        format!(
            "{} joined challenge {} with the goal {} (deadline {}, {}).\n",
            self.who,
            c.title(),
            c.goal_text(self.participant.goal),
            c.deadline,
            c.time_left()
        )
    }
}

async fn join(a: JoinArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id: Option<ChallengeId> = a.id.as_deref().map(args::challenge_id).transpose()?;
    let invite = a.invite.as_deref().map(args::invite_code).transpose()?;
    let user = args::user_id(&a.user)?;
    let user_name = args::display_name(a.user_name.as_deref(), user)?;
    let target: Option<Amount> = a.goal.as_deref().map(|g| args::amount(name::GOAL, g)).transpose()?;
    let session = Session::open(config, Access::Existing).await?;
    let refused = session.refused(Some(user));
    let id = match (id, invite) {
        (Some(id), _) => id,
        (None, Some(code)) => session.app.open_invite(&code).await.map_err(&refused)?.id,
        (None, None) => return Err(CliError::input("CHALLENGE_ID", "give a challenge id or --invite CODE")),
    };
    let challenge = session.app.active_challenge(id).await.map_err(&refused)?;
    if let Some(target) = target {
        Goal::new(challenge.goal_kind, target).map_err(|e| CliError::input(name::GOAL, e))?;
    }
    let (challenge, participant) = session.app.join(id, user, target).await.map_err(|e| match e {
        AppError::Unreachable(message) => CliError::input(name::GOAL, message),
        other => refused(other),
    })?;
    session.remember(user, user_name.as_ref()).await?;
    let view = Joined {
        challenge: ChallengeView::new(&challenge, session.app.today_of(&challenge)),
        participant: ParticipantView::from(&participant),
        who: who(user, user_name.as_ref()),
    };
    Ok(Output::changed(render(&view, json)))
}
