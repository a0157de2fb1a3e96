//! `challenge-bot challenge invite | visibility`: a challenge's invite link, and whether it is
//! listed in the chat. The operator's tools: no user is asked for, the rules of who may do what
//! in the chat are the chat's.

use clap::Args;
use serde::Serialize;

use super::args;
use super::output::{ChallengeView, Render, render};
use super::{CliError, Output, Session};
use crate::challenge::Visibility;
use crate::config::Config;
use crate::handler::Invite;
use crate::storage::Access;

#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "\
The link is https://t.me/<bot>?start=<code>: the bot stores its username when it starts; before
that, give it with --bot-username (or share the code: /start <code> in the chat opens it).

Examples:
  challenge-bot challenge invite 1
  challenge-bot challenge invite 1 --revoke        # a new link; the old one says it expired
  challenge-bot challenge invite 1 --bot-username my_challenge_bot"
)]
pub struct InviteArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// Replace the invite code: the old link stops working
    #[arg(long)]
    pub revoke: bool,
    /// The bot's username, for the link [default: the one the bot stored]
    #[arg(long = "bot-username", value_name = "NAME")]
    pub bot_username: Option<String>,
}

#[derive(Args, Debug)]
#[command(after_help = "\
Examples:
  challenge-bot challenge visibility 1 public
  challenge-bot challenge visibility 1 private")]
pub struct VisibilityArgs {
    /// The challenge's id
    #[arg(value_name = "CHALLENGE_ID")]
    pub id: String,
    /// public (listed under \"Join challenge\" in the chat) or private (invite link only)
    #[arg(value_name = "public|private")]
    pub visibility: String,
}

#[derive(Serialize)]
struct InviteView {
    challenge_id: i64,
    code: String,
    /// None until the bot's username is known.
    link: Option<String>,
    revoked: bool,
    #[serde(skip)]
    name: String,
}

impl Render for InviteView {
    fn human(&self) -> String {
        let what = if self.revoked { "New invite" } else { "Invite" };
        match &self.link {
            Some(link) => format!("{what} link for #{} \"{}\":\n{link}\n", self.challenge_id, self.name),
            None => format!(
                "{what} code for #{} \"{}\": {}\nThe bot's username is not known yet (it is stored when the bot starts): give --bot-username for the link, or send /start {} to the bot.\n",
                self.challenge_id, self.name, self.code, self.code
            ),
        }
    }
}

pub async fn invite(a: InviteArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let username = a.bot_username.as_deref().map(args::bot_username).transpose()?;
    let session = Session::open(config, Access::Existing).await?;
    let refused = session.refused(None);
    let invite: Invite = if a.revoke {
        session.app.revoke_invite(None, id, username.as_deref()).await.map_err(&refused)?
    } else {
        session.app.invite(None, id, username.as_deref()).await.map_err(&refused)?
    };
    let view = InviteView {
        challenge_id: id.0,
        code: invite.code.to_string(),
        link: invite.link,
        revoked: a.revoke,
        name: invite.challenge.name.to_string(),
    };
    // The first request stores a code, so it is a change either way.
    Ok(Output::changed(render(&view, json)))
}

#[derive(Serialize)]
struct VisibilityView {
    challenge: ChallengeView,
}

impl Render for VisibilityView {
    fn human(&self) -> String {
        let c = &self.challenge;
        match c.visibility {
            Visibility::Public => {
                format!("Challenge {} is public: listed under \"Join challenge\" in the chat.\n", c.title())
            }
            Visibility::Private => format!(
                "Challenge {} is private: people join through its invite link (challenge-bot challenge invite {}).\n",
                c.title(),
                c.id
            ),
        }
    }
}

pub async fn visibility(a: VisibilityArgs, config: &Config, json: bool) -> Result<Output, CliError> {
    let id = args::challenge_id(&a.id)?;
    let visibility = Visibility::parse(&a.visibility).ok_or_else(|| {
        CliError::input("public|private", format!("\"{}\" is not public or private.", a.visibility.trim()))
    })?;
    let session = Session::open(config, Access::Existing).await?;
    let challenge = session.app.set_visibility(None, id, visibility).await.map_err(session.refused(None))?;
    let view = VisibilityView { challenge: ChallengeView::new(&challenge, session.app.today()) };
    Ok(Output::changed(render(&view, json)))
}
