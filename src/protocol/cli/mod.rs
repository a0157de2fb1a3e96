//! The terminal: scripted commands and the interactive chat.
//!
//! One binary, `challenge-bot`, with a subcommand per action. Each command module parses its
//! arguments with the domain's parsers *before* touching the database (bad input writes nothing,
//! not even a new SQLite file), then opens the store (creating a database only for the commands
//! that create something) and calls the use cases on [`App`]; nothing here talks to a repository
//! directly. Results are rendered by [`output`]: readable text, or JSON with `--json`, and say
//! whether they changed something ([`Output`]). Failures are a [`CliError`]: one line on stderr
//! and exit status 1 (2 for usage errors).

pub mod args;
pub mod backup;
pub mod challenge;
pub mod chart;
pub mod chat;
pub mod check;
pub mod entries;
pub mod error;
pub mod export;
pub mod goal;
pub mod invite;
pub mod manage;
pub mod migrate;
pub mod output;
pub mod progress;
pub mod reminder;
pub mod reports;
pub mod user;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

pub use error::CliError;

use crate::config::{Config, ConfigArgs, ConfigError};
use crate::handler::{App, AppError};
use crate::startup::Services;
use crate::storage::{Access, DatabaseUrl};
use crate::user::{DisplayName, UserId};

const ABOUT: &str = "Turn goals into challenges: create one, join it, log progress, see who leads.";

const LONG_ABOUT: &str = "\
Turn goals into challenges: create one, join it, log progress, see who leads.

Data lives in a SQLite file (challenge-bot.db in the working directory) unless DATABASE_URL says
otherwise; the database is created by the first command that creates something (and migrated when
a newer version opens it). Every command prints readable text, or JSON with --json.

Exit status: 0 on success; 1 when a command fails or is refused (one line on stderr; nothing is
written); 2 for usage errors; 3 when a change was stored but its output could not be written
(say, to a full disk): retrying `progress add` with the same --key is safe.";

const EXAMPLES: &str = "\
Examples:
  challenge-bot challenge create --user 1 --name \"Run 100 km\" --deadline 2027-03-01 --goal 100 --unit km
  challenge-bot challenge join 1 --user 2 --goal 80
  challenge-bot progress add 1 --user 2 5.3 --date 2026-11-28
  challenge-bot challenge show 1 --user 2
  challenge-bot --json challenge list --all
  DATABASE_URL=postgres://bot:secret@localhost/bot challenge-bot migrate";

/// `challenge-bot`: the command line.
#[derive(Parser, Debug)]
#[command(name = "challenge-bot", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
#[command(propagate_version = true, subcommand_required = true, arg_required_else_help = true)]
pub struct Cli {
    /// Print machine-readable JSON instead of text (before or after the subcommand)
    #[arg(long, global = true)]
    pub json: bool,

    #[command(flatten)]
    pub config: ConfigArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create, list, show and join challenges
    #[command(subcommand)]
    Challenge(challenge::ChallengeCommand),
    /// Set your own goal in a challenge
    #[command(subcommand)]
    Goal(goal::GoalCommand),
    /// Log progress and list what was logged
    #[command(subcommand)]
    Progress(progress::ProgressCommand),
    /// A person's time zone, or everything kept about them deleted
    #[command(subcommand)]
    User(user::UserCommand),
    /// A person's daily reminder: set, off, list
    #[command(subcommand)]
    Reminder(reminder::ReminderCommand),
    /// Apply the database migrations that are missing, and say which
    Migrate(migrate::MigrateArgs),
    /// Copy the SQLite database consistently, even while the bot runs
    Backup(backup::BackupArgs),
    /// Create a new SQLite database from a backup
    Restore(backup::RestoreArgs),
    /// Talk to the bot in the terminal: the same conversation as on Telegram
    Chat(ChatArgs),
    /// Run the Telegram bot (needs TELEGRAM_BOT_TOKEN; stops on SIGTERM/SIGINT)
    Bot,
    /// Check the configuration and that the database and Telegram are reachable (changes nothing)
    Check,
}

impl Command {
    /// The log filter used when `RUST_LOG` is not set: quiet, so the output stays clean.
    pub fn default_log_filter(&self) -> &'static str {
        match self {
            // A long-running service: say what it does (never the token; see protocol::bot).
            Command::Bot => "info,sqlx=warn",
            _ => "warn,sqlx=error",
        }
    }
}

/// `challenge-bot chat`.
#[derive(Args, Debug)]
#[command(
    allow_negative_numbers = true,
    after_help = "Examples:\n  challenge-bot chat\n  challenge-bot chat --user 2 --user-name Ann"
)]
pub struct ChatArgs {
    /// Your user id (a positive whole number) [default: 1]
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// The name shown for you on leaderboards [default: your login name]
    #[arg(long = "user-name", visible_alias = "name", value_name = "TEXT")]
    pub user_name: Option<String>,
}

impl Cli {
    /// Parses the process's arguments and environment. Usage errors, `--help` and `--version`
    /// exit here (status 2, 0 and 0), as clap does; a bad setting is returned for the caller to
    /// report after logging is set up.
    pub fn from_env() -> (Cli, Result<Config, ConfigError>) {
        let matches = Cli::command().get_matches();
        let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        let source = |id: &str| matches.value_source(id);
        let config = cli.config.resolve(&source);
        (cli, config)
    }
}

/// What a command prints on stdout, and whether it changed something: then an output that
/// cannot be written exits with status 3 ("stored, but not reported") rather than 1.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Output {
    pub text: String,
    pub changed: bool,
}

impl Output {
    /// The output of a command that changed something.
    pub fn changed(text: String) -> Output {
        Output { text, changed: true }
    }

    /// The output of a command that only read.
    pub fn read(text: String) -> Output {
        Output { text, changed: false }
    }
}

impl Command {
    /// The person a command acts for (`--user`), whose time zone decides what "today" is for it;
    /// `None` when there is none or it does not parse (the command itself says so).
    fn acting_user(&self) -> Option<UserId> {
        use challenge::ChallengeCommand as C;
        use progress::ProgressCommand as P;
        let given = match self {
            Command::Challenge(C::Create(a)) => Some(a.user.as_str()),
            Command::Challenge(C::Join(a)) => Some(a.user.as_str()),
            Command::Challenge(C::List(a)) => a.user.as_deref(),
            Command::Challenge(C::Show(a)) => a.user.as_deref(),
            Command::Goal(goal::GoalCommand::Set(a)) => Some(a.user.as_str()),
            Command::Progress(P::Add(a)) => Some(a.user.as_str()),
            Command::Progress(P::List(a)) => Some(a.user.as_str()),
            Command::Progress(P::Edit(a)) => Some(a.user.as_str()),
            Command::Progress(P::Delete(a)) => Some(a.user.as_str()),
            _ => None,
        };
        given.and_then(|u| args::user_id(u).ok())
    }
}

/// The time zone `user` set for themselves, read without creating or migrating anything; the
/// server's (`CHALLENGE_BOT_TZ`) when they set none or the database cannot tell yet.
async fn zone_of(config: &Config, user: UserId) -> chrono_tz::Tz {
    let server = config.clock.server_zone();
    let Ok(opened) = crate::storage::probe(&config.database).await else { return server };
    let zone = match opened.store.settings(user).await {
        Ok(settings) => settings.zone_or(server),
        Err(_) => server,
    };
    opened.close().await;
    zone
}

/// Runs a command and returns what to print on stdout. A command for a person runs in their
/// time zone, as the chat does: "today" (for dates, streaks and whether a challenge still takes
/// entries) is theirs.
pub async fn run(cli: Cli, config: Config) -> Result<Output, CliError> {
    match cli.command.acting_user() {
        Some(user) => {
            let zone = zone_of(&config, user).await;
            crate::clock::in_person_zone(zone, run_command(cli, config)).await
        }
        None => run_command(cli, config).await,
    }
}

async fn run_command(cli: Cli, config: Config) -> Result<Output, CliError> {
    let json = cli.json;
    match cli.command {
        Command::Challenge(command) => command.run(&config, json).await,
        Command::Goal(command) => command.run(&config, json).await,
        Command::Progress(command) => command.run(&config, json).await,
        Command::User(command) => command.run(&config, json).await,
        Command::Reminder(command) => command.run(&config, json).await,
        Command::Migrate(command) => command.run(&config, json).await,
        Command::Backup(command) => command.run(&config, json).await,
        Command::Restore(command) => command.run(json).await,
        Command::Chat(command) => run_chat(command, &config).await,
        Command::Bot => {
            crate::protocol::bot::command(&config).await?;
            Ok(Output::default())
        }
        Command::Check => check::check(&config).await,
    }
}

/// The user the chat speaks as when `--user` is not given (the one the README's examples use).
pub const DEFAULT_CHAT_USER: UserId = UserId(1);

async fn run_chat(command: ChatArgs, config: &Config) -> Result<Output, CliError> {
    let user = args::optional_user_id(command.user.as_deref())?.unwrap_or(DEFAULT_CHAT_USER);
    let given = args::display_name(command.user_name.as_deref(), user)?;
    let session = Session::open(config, Access::Create).await?;
    // Only --user-name changes a stored name; someone new is known by their login name.
    let name = match given {
        Some(name) => name,
        None => match session.app.display_name(user).await.map_err(session.refused(Some(user)))? {
            Some(stored) => stored,
            None => ["USER", "USERNAME", "LOGNAME"]
                .iter()
                .find_map(|var| std::env::var(var).ok().filter(|v| DisplayName::is_usable(v)))
                .map_or_else(|| DisplayName::fallback(user), |login| DisplayName::sanitize(&login, user)),
        },
    };
    chat::run(session.services.app.clone(), user, name).await.map_err(CliError::Terminal)?;
    Ok(Output::default())
}

/// An open database and the use cases on it, for one command.
pub struct Session {
    pub app: App,
    pub database: DatabaseUrl,
    services: Services,
}

impl Session {
    /// Opens the configured database as `access` allows (migrating it if needed).
    pub async fn open(config: &Config, access: Access) -> Result<Session, CliError> {
        let services = Services::open(config, access).await?;
        Ok(Session { app: services.app.clone(), database: services.database.clone(), services })
    }

    /// Maps a refusal of the use cases, naming `user` where it matters.
    pub fn refused(&self, user: Option<UserId>) -> impl Fn(AppError) -> CliError + '_ {
        move |e| CliError::from_app(e, user, &self.database)
    }

    /// Records the display name given with `--user-name`, after the command's own work succeeded.
    pub async fn remember(&self, user: UserId, name: Option<&DisplayName>) -> Result<(), CliError> {
        match name {
            Some(name) => self.app.remember_user(user, name).await.map_err(self.refused(Some(user))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every command's options, checked as clap checks them when a command is first parsed
    /// (two options of one command with the same name, say): a conflict in a command no test
    /// runs still fails here.
    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
