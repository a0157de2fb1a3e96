//! `challenge-bot check`: is the configuration usable and is everything reachable? For an
//! operator before starting the bot, or a deployment's health check. Nothing is created or
//! migrated.
//!
//! Checks the settings (`DATABASE_URL`, the `TELEGRAM_*` and listener variables), that the
//! database answers with every migration applied, and that Telegram accepts the token (`getMe`).
//! Prints one line per check; exits 1 with one `error:` line per problem.

use std::time::Duration;

use super::{CliError, Output};
use crate::config::Config;
use crate::protocol::bot::{BotSettings, api};

/// How long each reachability check may take.
const TIMEOUT: Duration = Duration::from_secs(5);

pub async fn check(config: &Config) -> Result<Output, CliError> {
    let mut passed = Vec::new();
    let mut problems = Vec::new();
    match crate::storage::probe(&config.database).await {
        Ok(opened) => {
            match opened.check(TIMEOUT).await {
                Ok(()) => passed.push(format!("database: {} answers, schema up to date", config.database)),
                Err(problem) => problems.push(format!("database: {problem} ({})", config.database)),
            }
            opened.close().await;
        }
        Err(e) => problems.push(format!("database: {e}")),
    }
    match BotSettings::from_env() {
        Ok(settings) => {
            let api = api::Api::new(settings.api_url.clone(), settings.token.clone(), TIMEOUT);
            match api.get_me().await {
                Ok(me) => passed.push(format!(
                    "telegram: the token belongs to @{} (id {})",
                    me.username.as_deref().unwrap_or("?"),
                    me.id
                )),
                Err(e) if e.is_unauthorized() || e.code() == Some(404) => {
                    problems.push("telegram: the token was refused (check TELEGRAM_BOT_TOKEN)".to_owned())
                }
                Err(e) => problems.push(format!("telegram: {e}")),
            }
            passed.push(match (&settings.webhook, settings.listen) {
                (Some(hook), _) => format!("mode: webhook at {}", hook.url),
                (None, _) => "mode: polling".to_owned(),
            });
            passed.push(match settings.listen {
                Some(addr) => format!("listener: {addr} (/healthz, /readyz, /metrics)"),
                None => "listener: off".to_owned(),
            });
        }
        Err(e) => problems.push(format!("telegram: {e}")),
    }
    if problems.is_empty() {
        Ok(Output::read(passed.iter().map(|line| format!("ok  {line}\n")).collect()))
    } else {
        Err(CliError::Problems(problems))
    }
}
