//! `challenge chart ID --out FILE.png`: a challenge's chart as a PNG file, the same picture the
//! bot sends (see [`crate::chart`]).

use std::path::PathBuf;

use clap::Args;

use super::args;
use super::{CliError, Output, Session};
use crate::config::Config;
use crate::storage::Access;

#[derive(Args, Debug)]
#[command(after_help = "\
The chart shows the standing of the leaderboard's top ten over time (and of --user, whose
line is drawn thicker with their pace dashed), the goal as a line and the deadline.
With --personal it shows one person's entries as bars by day, with their standing.

Examples:
  challenge-bot challenge chart 1 --out run.png
  challenge-bot challenge chart 1 --user 2 --out run-2.png
  challenge-bot challenge chart 1 --user 2 --personal --out mine.png")]
pub struct ChartArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// Whose view: their line stands out, with their goal and pace
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// One person's entries by day instead of everyone's standings (needs --user)
    #[arg(long, requires = "user")]
    pub personal: bool,
    /// The PNG file to write (replaced if it exists)
    #[arg(long, value_name = "FILE.png")]
    pub out: PathBuf,
}

pub async fn chart(a: ChartArgs, config: &Config) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let user = a.user.as_deref().map(args::user_id).transpose()?;
    let session = Session::open(config, Access::Existing).await?;
    let drawn = match (a.personal, user) {
        (true, Some(user)) => {
            session.app.personal_chart(id, user).await.map_err(session.refused(Some(user)))?.render()
        }
        _ => session.app.standings_chart(id, user).await.map_err(session.refused(user))?.render(),
    };
    let png = drawn.map_err(|e| CliError::Unavailable(e.to_string()))?;
    std::fs::write(&a.out, &png)
        .map_err(|e| CliError::Unavailable(format!("Could not write {}: {e}", a.out.display())))?;
    Ok(Output::changed(format!(
        "Wrote the chart ({}×{} PNG, {} KB) to {}.\n",
        crate::chart::WIDTH,
        crate::chart::HEIGHT,
        png.len().div_ceil(1024),
        a.out.display()
    )))
}
