//! `challenge-bot goal set`.

use clap::{Args, Subcommand};
use serde::Serialize;

use super::args::{self, name};
use super::output::{ChallengeView, ParticipantView, Render, StatusView, render, who};
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::goal::Goal;
use crate::handler::AppError;
use crate::storage::Access;

#[derive(Subcommand, Debug)]
pub enum GoalCommand {
    /// Set your own goal in a challenge you joined (any time up to its deadline)
    Set(SetArgs),
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Examples:
  challenge-bot goal set 1 --user 2 120
  challenge-bot goal set 3 --user 2 45   # a days challenge: a whole number of days"
)]
pub struct SetArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// The new goal: a positive number with up to 2 decimals (whole days for a days challenge)
    #[arg(value_name = "GOAL")]
    pub goal: String,
    /// Whose goal (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// The name shown for --user on leaderboards
    #[arg(long = "user-name", visible_alias = "name", value_name = "TEXT")]
    pub user_name: Option<String>,
}

impl GoalCommand {
    pub async fn run(self, config: &Config, json: bool) -> Result<Output, CliError> {
        match self {
            GoalCommand::Set(a) => set(a, config, json).await,
        }
    }
}

#[derive(Serialize)]
struct Shown {
    challenge: ChallengeView,
    participant: ParticipantView,
    status: StatusView,
    /// The new goal is easier and the entries already meet it: marked met (not celebrated).
    met_by_easing: bool,
    /// The new goal is harder than the one met: open again.
    reopened: bool,
    #[serde(skip)]
    who: String,
}

impl Render for Shown {
    fn human(&self) -> String {
        let c = &self.challenge;
        let mut out = format!(
            "{}'s goal in challenge {} is now {}.\n{}.\n",
            self.who,
            c.title(),
            c.goal_text(self.participant.goal),
            self.status.line(c)
        );
        if self.met_by_easing {
            out.push_str("The entries already meet this goal, so it is marked as met ✓\n");
        } else if self.reopened {
            out.push_str("This goal is not met yet.\n");
        } else if self.status.completed {
            out.push_str("Goal reached ✓\n");
        }
        out
    }
}

async fn set(a: SetArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let user = args::user_id(&a.user)?;
    let user_name = args::display_name(a.user_name.as_deref(), user)?;
    let target = args::amount(name::GOAL_VALUE, &a.goal)?;
    let session = Session::open(config, Access::Existing).await?;
    let refused = session.refused(Some(user));
    let challenge = session.app.active_challenge(id).await.map_err(&refused)?;
    Goal::new(challenge.goal_kind, target).map_err(|e| CliError::input(name::GOAL_VALUE, e))?;
    let set = session.app.set_goal(id, user, target).await.map_err(|e| match e {
        AppError::Unreachable(message) => CliError::input(name::GOAL_VALUE, message),
        other => refused(other),
    })?;
    session.remember(user, user_name.as_ref()).await?;
    let view = Shown {
        challenge: ChallengeView::new(&set.challenge, session.app.today()),
        status: StatusView::new(set.goal(), &set.tally, set.participant.completed_at),
        participant: ParticipantView::from(&set.participant),
        met_by_easing: set.met_by_easing(),
        reopened: set.reopened(),
        who: who(user, user_name.as_ref()),
    };
    Ok(Output::changed(render(&view, json)))
}
