//! `challenge-bot challenge edit | delete | leave`: a creator's changes to their challenge, and
//! leaving one. The same use cases and rules as the chat's "Manage challenge" and "Leave".

use clap::Args;
use serde::Serialize;

use super::args::{self, name};
use super::output::{ChallengeView, Render, render};
use super::{CliError, Output, Session};
use crate::challenge::{ChallengeName, Description};
use crate::config::Config;
use crate::handler::{AppError, ChallengeEdit};
use crate::storage::Access;

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Only the challenge's creator can edit it. The deadline can move to any date from today on (never
into the past); an ended challenge opens again with a later one.

Examples:
  challenge-bot challenge edit 1 --user 1 --name \"Run 150 km\"
  challenge-bot challenge edit 1 --user 1 --deadline 2027-04-01
  challenge-bot challenge edit 1 --user 1 --description \"\"   # no description"
)]
pub struct EditArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// Who asks: the challenge's creator (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
    /// The new name: 1 to 100 characters
    #[arg(long, value_name = "TEXT")]
    pub name: Option<String>,
    /// The new description: up to 1000 characters ("" for none)
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// The new last day (2027-03-01, 1.3.2027, 1 Mar; without a year, the next one): today or
    /// later, at most 5 years ahead
    #[arg(long, value_name = "DATE")]
    pub deadline: Option<String>,
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
Only the challenge's creator can delete it. Everyone's entries go with it; the participants find a
line in the chat saying it was deleted.

Example:
  challenge-bot challenge delete 1 --user 1"
)]
pub struct DeleteArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// Who asks: the challenge's creator (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
}

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
The user's entries in the challenge are deleted with them. A creator cannot leave their own
challenge (they can delete it).

Example:
  challenge-bot challenge leave 1 --user 2"
)]
pub struct LeaveArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// Who leaves (a positive whole number)
    #[arg(long, value_name = "ID")]
    pub user: String,
}

#[derive(Serialize)]
struct Edited {
    challenge: ChallengeView,
}

impl Render for Edited {
    fn human(&self) -> String {
        let c = &self.challenge;
        let mut out = format!("Challenge {} is updated.\n", c.title());
        if !c.description.is_empty() {
            out.push_str(&format!("Description: {}\n", c.description.replace('\n', " ")));
        }
        out.push_str(&format!("Deadline: {} ({}).\n", c.deadline, c.time_left()));
        out
    }
}

pub async fn edit(a: EditArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let today = config.clock.today();
    let id = args::challenge_id(&a.id)?;
    let user = args::user_id(&a.user)?;
    let edit = ChallengeEdit {
        name: a
            .name
            .as_deref()
            .map(ChallengeName::parse)
            .transpose()
            .map_err(|e| CliError::input(name::NAME, e))?,
        description: a
            .description
            .as_deref()
            .map(Description::parse)
            .transpose()
            .map_err(|e| CliError::input(name::DESCRIPTION, e))?,
        deadline: a.deadline.as_deref().map(|d| args::deadline(name::DEADLINE, d, today)).transpose()?,
    };
    if edit.name.is_none() && edit.description.is_none() && edit.deadline.is_none() {
        return Err(CliError::Usage(
            "Nothing to change: give --name, --description or --deadline (see challenge-bot challenge edit --help)."
                .into(),
        ));
    }
    let session = Session::open(config, Access::Existing).await?;
    let refused = session.refused(Some(user));
    let challenge = session.app.edit_challenge(user, id, edit).await.map_err(|e| match e {
        e @ (AppError::Invalid(_) | AppError::Unreachable(_)) => CliError::input(name::DEADLINE, e),
        other => refused(other),
    })?;
    let view = Edited { challenge: ChallengeView::new(&challenge, session.app.today()) };
    Ok(Output::changed(render(&view, json)))
}

#[derive(Serialize)]
struct Deleted {
    deleted: ChallengeView,
}

impl Render for Deleted {
    fn human(&self) -> String {
        format!("Deleted challenge {} with everyone's entries in it.\n", self.deleted.title())
    }
}

pub async fn delete(a: DeleteArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let user = args::user_id(&a.user)?;
    let session = Session::open(config, Access::Existing).await?;
    let challenge = session.app.delete_challenge(user, id).await.map_err(session.refused(Some(user)))?;
    let view = Deleted { deleted: ChallengeView::new(&challenge, session.app.today()) };
    Ok(Output::changed(render(&view, json)))
}

#[derive(Serialize)]
struct Left {
    challenge: ChallengeView,
    user_id: i64,
}

impl Render for Left {
    fn human(&self) -> String {
        format!(
            "User {} left challenge {}; their entries in it are deleted.\n",
            self.user_id,
            self.challenge.title()
        )
    }
}

pub async fn leave(a: LeaveArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let user = args::user_id(&a.user)?;
    let session = Session::open(config, Access::Existing).await?;
    let challenge = session.app.leave(user, id).await.map_err(session.refused(Some(user)))?;
    let view = Left { challenge: ChallengeView::new(&challenge, session.app.today()), user_id: user.0 };
    Ok(Output::changed(render(&view, json)))
}
