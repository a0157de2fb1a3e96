//! Before polling: who the bot is (`getMe`, failing fast on a refused token), no webhook in the
//! way (`deleteWebhook`), the command menu (`setMyCommands`) and the chat's menu button
//! (`setChatMenuButton`: the dashboard when `MINIAPP_URL` is set, Telegram's default otherwise,
//! so that a dashboard turned off leaves no button behind).

use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::api::{Api, ApiError, BotIdentity, Retry};
use super::sender::{Backoff, pause};

/// Why the bot could not start. One line each, fit for stderr.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN (@BotFather shows the token \
         of your bot; a revoked token stops working)"
    )]
    TokenRefused,
    #[error("could not start the bot: {0}")]
    Api(ApiError),
    /// A signal arrived while starting.
    #[error("interrupted while starting")]
    Interrupted,
}

/// The commands shown in Telegram's menu.
pub const COMMANDS: &[(&str, &str)] = &[
    ("start", "Main menu: create, join or view challenges"),
    ("log", "Log today's progress (as in /log 5)"),
    ("settings", "Your time zone and daily reminder"),
    ("export", "Your entries as a CSV file"),
    ("privacy", "What I keep about you, and how to delete it"),
    ("help", "What this bot does and how to use it"),
    ("cancel", "Stop what you are doing and go back to the menu"),
];

/// The command menu in groups (where the bot answers only commands and its buttons).
pub const GROUP_COMMANDS: &[(&str, &str)] = &[
    ("challenge", "This group's challenges, and a link to create one"),
    ("log", "Log your progress, as in /log 5"),
    ("standings", "Who leads in this group's challenges"),
    ("help", "What I do in this group"),
];

/// Calls `op` until it succeeds, retrying what can be retried; a 401 ends it at once.
async fn with_retries<T, F, Fut>(
    what: &str,
    backoff: Backoff,
    stop: &CancellationToken,
    mut op: F,
) -> Result<T, StartError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>>,
{
    let mut attempt = 0u32;
    loop {
        let error = match op().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if error.is_unauthorized() || error.code() == Some(404) {
            // 404 is what the Bot API answers for a token that is not a bot's at all.
            return Err(StartError::TokenRefused);
        }
        let wait = match error.retry() {
            Retry::After(wait) => wait,
            Retry::Backoff => backoff.delay(attempt),
            Retry::Never => return Err(StartError::Api(error)),
        };
        attempt = attempt.saturating_add(1);
        tracing::warn!(wait_ms = wait.as_millis() as u64, "{what} failed; retrying: {error}");
        pause(wait, stop).await.map_err(|_| StartError::Interrupted)?;
    }
}

/// The most webhook connections Telegram keeps open at once (its limit; the default is 40).
pub const MAX_WEBHOOK_CONNECTIONS: u32 = 100;

/// Webhook mode's registration with Telegram.
#[derive(Clone, Copy, Debug)]
pub struct Hook<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub allowed_updates: &'a [&'a str],
}

/// Runs the start-up calls; returns who the bot is. With `hook`, registers the webhook
/// (`setWebhook` with its secret); without, makes sure no webhook is in the way of polling.
pub async fn prepare(
    api: &Api,
    backoff: Backoff,
    hook: Option<Hook<'_>>,
    dashboard: Option<&str>,
    stop: &CancellationToken,
) -> Result<BotIdentity, StartError> {
    let me = with_retries("getMe", backoff, stop, || api.get_me()).await?;
    tracing::info!(id = me.id, username = me.username.as_deref().unwrap_or(""), "connected to Telegram");

    if let Some(hook) = hook {
        // Pending updates are kept: those sent while the bot was away are delivered now.
        let body = json!({
            "url": hook.url,
            "secret_token": hook.secret,
            "allowed_updates": hook.allowed_updates,
            // Different people's updates are handled at once: let Telegram keep its most
            // connections open (one person's updates still come one at a time, in order).
            "max_connections": MAX_WEBHOOK_CONNECTIONS,
            "drop_pending_updates": false,
        });
        let _: serde_json::Value =
            with_retries("setWebhook", backoff, stop, || api.call("setWebhook", &body, Duration::ZERO))
                .await?;
        tracing::info!("webhook set");
        set_menus(api, backoff, dashboard, stop).await?;
        return Ok(me);
    }

    let empty = json!({});
    let info: serde_json::Value =
        with_retries("getWebhookInfo", backoff, stop, || api.call("getWebhookInfo", &empty, Duration::ZERO))
            .await?;
    if info.get("url").and_then(serde_json::Value::as_str).is_some_and(|url| !url.is_empty()) {
        tracing::warn!("a webhook was set for this bot; deleting it to poll for updates");
        let keep = json!({ "drop_pending_updates": false });
        let _: serde_json::Value =
            with_retries("deleteWebhook", backoff, stop, || api.call("deleteWebhook", &keep, Duration::ZERO))
                .await?;
    }

    set_menus(api, backoff, dashboard, stop).await?;
    Ok(me)
}

/// The label of the chat's menu button that opens the dashboard.
pub const DASHBOARD_BUTTON: &str = "Dashboard";

/// The command menus, then the menu button of private chats: the dashboard, or Telegram's
/// default (a failure other than a refused token is only logged).
async fn set_menus(
    api: &Api,
    backoff: Backoff,
    dashboard: Option<&str>,
    stop: &CancellationToken,
) -> Result<(), StartError> {
    set_commands(api, backoff, stop).await?;
    let button = match dashboard {
        Some(url) => json!({ "type": "web_app", "text": DASHBOARD_BUTTON, "web_app": { "url": url } }),
        None => json!({ "type": "default" }),
    };
    let body = json!({ "menu_button": button });
    let set: Result<serde_json::Value, StartError> = with_retries("setChatMenuButton", backoff, stop, || {
        api.call("setChatMenuButton", &body, Duration::ZERO)
    })
    .await;
    match set {
        Ok(_) => Ok(()),
        Err(StartError::Api(e)) => {
            tracing::warn!("could not set the chat's menu button (continuing): {e}");
            Ok(())
        }
        Err(other) => Err(other),
    }
}

/// `setMyCommands`: the command menus, of private chats and of groups (a failure other than a
/// refused token is only logged).
async fn set_commands(api: &Api, backoff: Backoff, stop: &CancellationToken) -> Result<(), StartError> {
    for (list, scope) in [(COMMANDS, "default"), (GROUP_COMMANDS, "all_group_chats")] {
        let commands: Vec<_> = list
            .iter()
            .map(|(command, description)| teloxide::types::BotCommand::new(*command, *description))
            .collect();
        let commands = json!({ "commands": commands, "scope": { "type": scope } });
        let set: Result<serde_json::Value, StartError> = with_retries("setMyCommands", backoff, stop, || {
            api.call("setMyCommands", &commands, Duration::ZERO)
        })
        .await;
        match set {
            Ok(_) => {}
            Err(StartError::Api(e)) => {
                tracing::warn!(scope, "could not set the command menu (continuing): {e}")
            }
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
