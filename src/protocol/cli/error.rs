//! Why a scripted command failed, as one line for stderr, and the exit status that goes with it.

use std::process::ExitCode;

use crate::challenge::ChallengeId;
use crate::config::ConfigError;
use crate::handler::AppError;
use crate::protocol::bot::BotError;
use crate::repository::RepositoryError;
use crate::storage::{DatabaseUrl, StorageError};
use crate::user::UserId;

/// A command's failure. `Display` is the text after `error: `: one line, fit for a person (it
/// never shows a database password, a backtrace or `Debug` output).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An argument broke a rule; `arg` names it (`--deadline`, `VALUE`), `message` is the
    /// domain's own explanation.
    #[error("{arg}: {message}")]
    Input { arg: &'static str, message: String },
    /// A setting (`DATABASE_URL`, `CHALLENGE_BOT_TZ`, …) is not usable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated (the message names it, redacted).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The request was understood but refused by the current state (unknown challenge, joined
    /// twice, challenge ended, not a participant).
    #[error("{0}")]
    Refused(String),
    /// The database failed while the command ran (the message names it, redacted).
    #[error("{0}")]
    Database(String),
    /// The command cannot run now (e.g. the bot could not start); the message says why.
    #[error("{0}")]
    Unavailable(String),
    /// Reading the terminal or writing to it failed (the chat).
    #[error("The terminal failed: {0}")]
    Terminal(#[source] std::io::Error),
    /// A setting of a command is missing or malformed (exit status 2, like clap's usage errors).
    #[error("{0}")]
    Usage(String),
    /// Several problems found by `check`, one line each.
    #[error("{}", .0.join("; "))]
    Problems(Vec<String>),
}

impl CliError {
    pub fn input(arg: &'static str, error: impl std::fmt::Display) -> CliError {
        CliError::Input { arg, message: error.to_string() }
    }

    /// The process exit status: 2 for a missing or malformed setting (as clap does for usage
    /// errors, before any of this runs), 1 for every other failure.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            _ => ExitCode::FAILURE,
        }
    }

    /// The single line printed on stderr (after `error: `).
    pub fn one_line(&self) -> String {
        let flat = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
        match self {
            // One `error:` line per problem (main prefixes the first).
            CliError::Problems(problems) => {
                problems.iter().map(|p| flat(p)).collect::<Vec<_>>().join("\nerror: ")
            }
            other => flat(&other.to_string()),
        }
    }

    /// Turns a refusal of the use-case layer into the command's error, phrased for the CLI (the
    /// use cases speak to "you"; here the user is named by the id given with `--user`).
    pub fn from_app(error: AppError, user: Option<UserId>, database: &DatabaseUrl) -> CliError {
        match error {
            AppError::NotParticipant(ChallengeId(id)) => match user {
                Some(u) => CliError::Refused(format!(
                    "User {u} has not joined challenge #{id} (join it with: challenge-bot challenge join {id} --user {u})."
                )),
                None => CliError::Refused(format!("That user has not joined challenge #{id}.")),
            },
            AppError::AlreadyJoined(ChallengeId(id)) => match user {
                Some(u) => CliError::Refused(format!("User {u} has already joined challenge #{id}.")),
                None => CliError::Refused(format!("That user has already joined challenge #{id}.")),
            },
            AppError::NotCreator(ChallengeId(id)) => match user {
                Some(u) => CliError::Refused(format!(
                    "User {u} did not create challenge #{id}: only its creator can change or delete it."
                )),
                None => {
                    CliError::Refused(format!("Only the creator of challenge #{id} can change or delete it."))
                }
            },
            AppError::CreatorCannotLeave(ChallengeId(id)) => match user {
                Some(u) => CliError::Refused(format!(
                    "User {u} created challenge #{id} and cannot leave it (it can be deleted: challenge-bot challenge delete {id} --user {u})."
                )),
                None => CliError::Refused(format!("The creator of challenge #{id} cannot leave it.")),
            },
            AppError::EntryNotFound(entry) => match user {
                Some(u) => CliError::Refused(format!(
                    "User {u} has no entry #{entry} (see the ID column of: challenge-bot progress list CHALLENGE_ID --user {u})."
                )),
                None => CliError::Refused(format!("There is no entry #{entry}.")),
            },
            AppError::Storage(e) | AppError::ReadOnly(e) => CliError::database(e, database),
            refused @ (AppError::Invalid(_)
            | AppError::Unreachable(_)
            | AppError::ChallengeNotFound(_)
            | AppError::ChallengeEnded { .. }
            | AppError::ChallengeFinal { .. }
            | AppError::ChallengeDeleted { .. }
            | AppError::KeyReused { .. }
            | AppError::AlreadyCheckedIn { .. }
            | AppError::Private(_)
            | AppError::InviteMalformed
            | AppError::InviteExpired
            | AppError::InviteUnknown
            | AppError::GroupLinkUnknown
            | AppError::CreationLimit { .. }
            | AppError::RenewalLimit { .. }
            | AppError::JoinClosed(_)
            | AppError::RemovedFrom(_)
            | AppError::NotThisGroup(_)
            | AppError::NotGroupManager(_)
            | AppError::Refused(_)) => CliError::Refused(refused.to_string()),
        }
    }

    /// A storage failure while a command ran, naming the database (its password redacted).
    pub fn database(error: RepositoryError, database: &DatabaseUrl) -> CliError {
        let backend = database.backend();
        tracing::debug!(error = ?error, "database failure");
        match error {
            RepositoryError::Unavailable(reason) => {
                CliError::Database(format!("The {backend} database at {database} is unavailable: {reason}"))
            }
            RepositoryError::ReadOnly(_) => CliError::Database(format!(
                "The {backend} database at {database} is read-only: it can be read, but nothing can be changed."
            )),
            other => CliError::Database(format!("The {backend} database at {database} failed: {other}")),
        }
    }
}

impl From<BotError> for CliError {
    fn from(error: BotError) -> CliError {
        match error {
            BotError::Settings(e) => CliError::Usage(e.to_string()),
            BotError::Storage(e) => CliError::Storage(e),
            BotError::Start(e) => CliError::Unavailable(e.to_string()),
            e @ BotError::Listen { .. } => CliError::Unavailable(e.to_string()),
        }
    }
}
