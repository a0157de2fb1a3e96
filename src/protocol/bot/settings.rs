//! The bot's configuration: the token (validated, never printed), the Bot API address, and the
//! knobs of delivery (outgoing rates, concurrency, long-poll timeout), all from `TELEGRAM_*`
//! environment variables.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

/// The default Bot API server.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// A bot token as @BotFather hands it out: `<bot id>:<secret>`. Its `Debug` and `Display` never
/// show the secret, so a token can sit in structs that get logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

/// Why a token was refused. The text names the problem, never the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("TELEGRAM_BOT_TOKEN is not set; create a bot with @BotFather and pass its token")]
    Missing,
    #[error(
        "TELEGRAM_BOT_TOKEN is malformed: expected <bot id>:<secret> as given by @BotFather (digits, a colon, \
         then at least 30 letters, digits, '-' or '_')"
    )]
    Malformed,
}

impl Token {
    /// The shortest secret we accept; real ones are 35 characters.
    pub const MIN_SECRET: usize = 30;

    pub fn parse(raw: &str) -> Result<Token, TokenError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(TokenError::Missing);
        }
        let (id, secret) = raw.split_once(':').ok_or(TokenError::Malformed)?;
        let id_ok = (1..=20).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit());
        let secret_ok = (Self::MIN_SECRET..=128).contains(&secret.len())
            && secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if id_ok && secret_ok { Ok(Token(raw.to_owned())) } else { Err(TokenError::Malformed) }
    }

    /// The token itself, for building request URLs only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The bot's numeric id (the public part before the colon).
    pub fn bot_id(&self) -> &str {
        self.0.split_once(':').map_or("", |(id, _)| id)
    }

    /// Replaces every occurrence of the token (and of its secret half) in `text`.
    pub fn redact(&self, text: &str) -> String {
        let secret = self.0.split_once(':').map_or(self.0.as_str(), |(_, s)| s);
        text.replace(&self.0, "<token>").replace(secret, "<secret>")
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({}:<redacted>)", self.bot_id())
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:<redacted>", self.bot_id())
    }
}

/// A configuration value that could not be used. One line, fit for stderr.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("{name} is not valid: {problem}")]
    Invalid { name: &'static str, problem: String },
}

/// Everything the bot needs besides the database and the clock.
#[derive(Clone, Debug)]
pub struct BotSettings {
    pub token: Token,
    /// Base URL of the Bot API (`TELEGRAM_API_URL`).
    pub api_url: Url,
    /// Long-poll timeout passed to `getUpdates` (`TELEGRAM_POLL_TIMEOUT`, seconds, default 25).
    pub poll_timeout: Duration,
    /// Messages per second to one chat (`TELEGRAM_RATE_PER_CHAT`, default 1; 0 = unlimited).
    pub rate_per_chat: f64,
    /// Messages per second overall (`TELEGRAM_RATE_GLOBAL`, default 30; 0 = unlimited).
    pub rate_global: f64,
    /// News (bulk messages) per second (`TELEGRAM_RATE_BULK`, default 25; 0 = unlimited), within
    /// the overall rate: news takes only what answers leave free.
    pub rate_bulk: f64,
    /// News per second at most while the bot is busy with people's own actions
    /// (`TELEGRAM_RATE_BULK_BUSY`, default 25; 0 = the bulk rate all the time): on a small
    /// machine news then leaves the CPU to the answers.
    pub rate_bulk_busy: f64,
    /// Messages per minute to one group (`TELEGRAM_RATE_PER_GROUP`, default 20; 0 = unlimited),
    /// on top of the per-chat rate.
    pub rate_per_group: f64,
    /// Updates handled at once, across users (`TELEGRAM_WORKERS`, default 64).
    pub workers: usize,
    /// Longest wait between retries of a failed request (`TELEGRAM_MAX_BACKOFF_MS`, default 30000).
    pub max_backoff: Duration,
    /// Timeout of a Bot API request other than a long poll (`TELEGRAM_REQUEST_TIMEOUT_MS`, default
    /// 15000): a hung request is abandoned and retried after this long.
    pub request_timeout: Duration,
    /// How long a shutdown may take before in-flight work is abandoned (left unconfirmed, so it is
    /// redelivered at the next start).
    pub shutdown_grace: Duration,
    /// Where the HTTP listener (health, readiness, metrics, the webhook) listens (`LISTEN_ADDR`,
    /// default 127.0.0.1:8080; `off`: no listener).
    pub listen: Option<SocketAddr>,
    /// Webhook mode (`TELEGRAM_WEBHOOK_URL`): Telegram posts updates to this URL, which a reverse
    /// proxy forwards to the listener. Polling when unset.
    pub webhook: Option<Webhook>,
    /// The Mini App dashboard, served on the listener under `/app`.
    pub dashboard: Dashboard,
}

/// The Mini App dashboard's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dashboard {
    /// The public HTTPS address of `/app` behind the reverse proxy (`MINIAPP_URL`): when set,
    /// the chat's menu button and the main menu open it. Served on the listener either way.
    pub url: Option<Url>,
    /// How old Telegram's signed `initData` may be (`MINIAPP_AUTH_MAX_AGE`, seconds, default
    /// 86400).
    pub auth_max_age: Duration,
    /// Telegram's script that hands the page its `initData` and theme (`MINIAPP_SCRIPT_URL`).
    pub script_url: String,
}

/// Telegram's Mini App script.
pub const DEFAULT_MINIAPP_SCRIPT: &str = "https://telegram.org/js/telegram-web-app.js";

impl Default for Dashboard {
    fn default() -> Dashboard {
        Dashboard {
            url: None,
            auth_max_age: Duration::from_secs(86_400),
            script_url: DEFAULT_MINIAPP_SCRIPT.to_owned(),
        }
    }
}

/// Webhook mode's settings.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The public HTTPS URL Telegram posts to; its path is served on the listener.
    pub url: Url,
    /// What Telegram sends in `X-Telegram-Bot-Api-Secret-Token` (`TELEGRAM_WEBHOOK_SECRET`; when
    /// unset, derived from the token, so that it stays the same across restarts and is known to
    /// no one without the token).
    pub secret: String,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Webhook({}, secret: <redacted>)", self.url)
    }
}

/// The default `LISTEN_ADDR`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

impl BotSettings {
    /// Settings with defaults for everything but the token.
    pub fn new(token: Token) -> BotSettings {
        BotSettings {
            token,
            api_url: Url::parse(DEFAULT_API_URL).expect("the default API URL parses"),
            poll_timeout: Duration::from_secs(25),
            rate_per_chat: 1.0,
            rate_global: 30.0,
            rate_bulk: 25.0,
            rate_bulk_busy: 25.0,
            rate_per_group: 20.0,
            workers: 64,
            max_backoff: Duration::from_secs(30),
            request_timeout: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(6),
            listen: Some(DEFAULT_LISTEN.parse().expect("the default listen address parses")),
            webhook: None,
            dashboard: Dashboard::default(),
        }
    }

    /// Reads the `TELEGRAM_*` variables from the process environment. A variable that is not
    /// valid UTF-8 is refused by name.
    pub fn from_env() -> Result<BotSettings, SettingsError> {
        for name in VARIABLES {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(SettingsError::Invalid { name, problem: "is not valid UTF-8 text".into() });
            }
        }
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the `TELEGRAM_*` variables through `get` (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<BotSettings, SettingsError> {
        let token = Token::parse(&get("TELEGRAM_BOT_TOKEN").unwrap_or_default())?;
        let mut settings = BotSettings::new(token);
        if let Some(raw) = get("TELEGRAM_API_URL").filter(|s| !s.trim().is_empty()) {
            settings.api_url = parse_api_url(raw.trim())?;
        }
        if let Some(secs) = number(&get, "TELEGRAM_POLL_TIMEOUT", 0.0, 50.0)? {
            settings.poll_timeout = Duration::from_secs_f64(secs);
        }
        if let Some(rate) = rate(&get, "TELEGRAM_RATE_PER_CHAT")? {
            settings.rate_per_chat = rate;
        }
        if let Some(rate) = rate(&get, "TELEGRAM_RATE_GLOBAL")? {
            settings.rate_global = rate;
        }
        if let Some(rate) = rate(&get, "TELEGRAM_RATE_BULK")? {
            settings.rate_bulk = rate;
        }
        if let Some(rate) = rate(&get, "TELEGRAM_RATE_BULK_BUSY")? {
            settings.rate_bulk_busy = rate;
        }
        if let Some(rate) = rate(&get, "TELEGRAM_RATE_PER_GROUP")? {
            settings.rate_per_group = rate;
        }
        if let Some(workers) = number(&get, "TELEGRAM_WORKERS", 1.0, 10_000.0)? {
            settings.workers = workers as usize;
        }
        if let Some(ms) = number(&get, "TELEGRAM_MAX_BACKOFF_MS", 1.0, 3_600_000.0)? {
            settings.max_backoff = Duration::from_millis(ms as u64);
        }
        if let Some(ms) = number(&get, "TELEGRAM_REQUEST_TIMEOUT_MS", 100.0, 600_000.0)? {
            settings.request_timeout = Duration::from_millis(ms as u64);
        }
        if let Some(raw) = get("LISTEN_ADDR").filter(|s| !s.trim().is_empty()) {
            settings.listen = parse_listen(raw.trim())?;
        }
        if let Some(raw) = get("TELEGRAM_WEBHOOK_URL").filter(|s| !s.trim().is_empty()) {
            let url = parse_webhook_url(raw.trim())?;
            let secret = match get("TELEGRAM_WEBHOOK_SECRET").filter(|s| !s.trim().is_empty()) {
                Some(secret) => parse_secret(secret.trim())?,
                None => derived_secret(&settings.token),
            };
            if settings.listen.is_none() {
                return Err(SettingsError::Invalid {
                    name: "LISTEN_ADDR",
                    problem: "is off, but webhook mode (TELEGRAM_WEBHOOK_URL) receives updates on it".into(),
                });
            }
            settings.webhook = Some(Webhook { url, secret });
        }
        if let Some(raw) = get("MINIAPP_URL").filter(|s| !s.trim().is_empty()) {
            let url = parse_https_url("MINIAPP_URL", raw.trim(), "https://example.org/app")?;
            if settings.listen.is_none() {
                return Err(SettingsError::Invalid {
                    name: "LISTEN_ADDR",
                    problem: "is off, but the dashboard (MINIAPP_URL) is served on it".into(),
                });
            }
            settings.dashboard.url = Some(url);
        }
        if let Some(secs) = number(&get, "MINIAPP_AUTH_MAX_AGE", 60.0, 31_536_000.0)? {
            settings.dashboard.auth_max_age = Duration::from_secs(secs as u64);
        }
        if let Some(raw) = get("MINIAPP_SCRIPT_URL").filter(|s| !s.trim().is_empty()) {
            let url = Url::parse(raw.trim()).map_err(|e| SettingsError::Invalid {
                name: "MINIAPP_SCRIPT_URL",
                problem: format!("{e} (expected e.g. {DEFAULT_MINIAPP_SCRIPT})"),
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(SettingsError::Invalid {
                    name: "MINIAPP_SCRIPT_URL",
                    problem: "expected an http:// or https:// URL".into(),
                });
            }
            settings.dashboard.script_url = url.to_string();
        }
        Ok(settings)
    }
}

fn parse_listen(raw: &str) -> Result<Option<SocketAddr>, SettingsError> {
    if raw.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| SettingsError::Invalid {
        name: "LISTEN_ADDR",
        problem: format!("expected an address and port such as {DEFAULT_LISTEN} or 0.0.0.0:8080, or off"),
    })
}

/// Telegram posts only to HTTPS URLs (TLS ends at the reverse proxy in front of the listener).
fn parse_webhook_url(raw: &str) -> Result<Url, SettingsError> {
    parse_https_url("TELEGRAM_WEBHOOK_URL", raw, "https://example.org/tg/hook")
}

/// An HTTPS URL without query or fragment: Telegram posts webhooks and opens Mini Apps only at
/// such addresses.
fn parse_https_url(name: &'static str, raw: &str, example: &str) -> Result<Url, SettingsError> {
    let invalid = |problem: &str| SettingsError::Invalid { name, problem: problem.into() };
    let url = Url::parse(raw).map_err(|e| invalid(&format!("{e} (expected e.g. {example})")))?;
    if url.scheme() != "https" || url.host().is_none() || url.cannot_be_a_base() {
        return Err(invalid(&format!("Telegram only uses https:// URLs, such as {example}")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("must not have a query or a fragment"));
    }
    Ok(url)
}

/// Telegram allows 1–256 characters of `A-Z`, `a-z`, `0-9`, `_` and `-`.
fn parse_secret(raw: &str) -> Result<String, SettingsError> {
    let ok = (1..=256).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(SettingsError::Invalid {
            name: "TELEGRAM_WEBHOOK_SECRET",
            problem: "expected 1 to 256 characters of A-Z, a-z, 0-9, _ and -".into(),
        })
    }
}

/// A webhook secret derived from the token: 64 hex digits of SHA-256 over a fixed label and
/// the token. Stable across restarts, different for every token, unguessable without it.
fn derived_secret(token: &Token) -> String {
    use sha2::{Digest, Sha256};
    let digest =
        Sha256::new().chain_update(b"challenge-bot webhook secret\0").chain_update(token.expose()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_api_url(raw: &str) -> Result<Url, SettingsError> {
    let invalid =
        |problem: &str| SettingsError::Invalid { name: "TELEGRAM_API_URL", problem: problem.into() };
    let url = Url::parse(raw).map_err(|e| invalid(&format!("{e} (expected e.g. {DEFAULT_API_URL})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(invalid("expected an http:// or https:// URL"));
    }
    Ok(url)
}

/// Every variable the bot reads.
pub const VARIABLES: [&str; 17] = [
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_API_URL",
    "TELEGRAM_POLL_TIMEOUT",
    "TELEGRAM_RATE_PER_CHAT",
    "TELEGRAM_RATE_GLOBAL",
    "TELEGRAM_RATE_BULK",
    "TELEGRAM_RATE_BULK_BUSY",
    "TELEGRAM_RATE_PER_GROUP",
    "TELEGRAM_WORKERS",
    "TELEGRAM_MAX_BACKOFF_MS",
    "TELEGRAM_REQUEST_TIMEOUT_MS",
    "LISTEN_ADDR",
    "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_WEBHOOK_SECRET",
    "MINIAPP_URL",
    "MINIAPP_AUTH_MAX_AGE",
    "MINIAPP_SCRIPT_URL",
];

/// A rate in messages per second: 0 (no limit), or from one a day to a million a second.
fn rate(get: &impl Fn(&str) -> Option<String>, name: &'static str) -> Result<Option<f64>, SettingsError> {
    let value = number(get, name, 0.0, 1e6)?;
    match value {
        Some(v) if v > 0.0 && v < super::limiter::RateLimiter::MIN_RATE => Err(SettingsError::Invalid {
            name,
            problem:
                "expected 0 (no limit) or a rate from 0.0000116 (one a day) to 1000000 messages a second"
                    .into(),
        }),
        other => Ok(other),
    }
}

fn number(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, SettingsError> {
    let Some(raw) = get(name).filter(|s| !s.trim().is_empty()) else { return Ok(None) };
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err(SettingsError::Invalid {
            name,
            problem: format!(
                "\"{}\" is not a number from {min} to {max}",
                crate::text::shown(raw.trim(), 24)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_";

    #[test]
    fn tokens_are_validated() {
        assert!(Token::parse(GOOD).is_ok());
        assert_eq!(Token::parse(""), Err(TokenError::Missing));
        assert_eq!(Token::parse("   "), Err(TokenError::Missing));
        for bad in [
            "abc",
            "123:short",
            ":AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
            "12a:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        ] {
            assert_eq!(Token::parse(bad), Err(TokenError::Malformed), "{bad}");
        }
        assert_eq!(Token::parse("123:AAHdqTcvCH1vGWJxfSeofSAs0K5PAL/saw"), Err(TokenError::Malformed));
    }

    #[test]
    fn tokens_never_print() {
        let token = Token::parse(GOOD).unwrap();
        let secret = GOOD.split_once(':').unwrap().1;
        assert!(!format!("{token:?} {token}").contains(secret));
        assert_eq!(
            token.redact(&format!("http://x/bot{GOOD}/getMe and {secret}")),
            "http://x/bot<token>/getMe and <secret>"
        );
    }

    #[test]
    fn the_listener_and_webhook_mode_are_configured_and_checked() {
        let env = |pairs: Vec<(&'static str, &'static str)>| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let s = BotSettings::from_lookup(env(vec![("TELEGRAM_BOT_TOKEN", GOOD)])).unwrap();
        assert_eq!(s.listen, Some("127.0.0.1:8080".parse().unwrap()));
        assert!(s.webhook.is_none(), "polling by default");
        let off = BotSettings::from_lookup(env(vec![("TELEGRAM_BOT_TOKEN", GOOD), ("LISTEN_ADDR", "off")]));
        assert_eq!(off.unwrap().listen, None);

        let hook = |url: &'static str, secret: Option<&'static str>| {
            let mut pairs = vec![("TELEGRAM_BOT_TOKEN", GOOD), ("TELEGRAM_WEBHOOK_URL", url)];
            pairs.extend(secret.map(|s| ("TELEGRAM_WEBHOOK_SECRET", s)));
            BotSettings::from_lookup(env(pairs))
        };
        let derived = hook("https://example.org/tg/hook", None).unwrap().webhook.unwrap();
        assert_eq!(derived.url.path(), "/tg/hook");
        assert_eq!(derived.secret.len(), 64);
        assert_eq!(derived, hook("https://example.org/tg/hook", None).unwrap().webhook.unwrap(), "stable");
        assert!(!format!("{derived:?}").contains(&derived.secret));
        let given = hook("https://example.org/tg/hook", Some("s3cr3t_-")).unwrap().webhook.unwrap();
        assert_eq!(given.secret, "s3cr3t_-");

        for (url, secret, variable) in [
            ("http://example.org/tg", None, "TELEGRAM_WEBHOOK_URL"),
            ("https://example.org/tg?x=1", None, "TELEGRAM_WEBHOOK_URL"),
            ("not a url", None, "TELEGRAM_WEBHOOK_URL"),
            ("https://example.org/tg", Some("with space"), "TELEGRAM_WEBHOOK_SECRET"),
        ] {
            match hook(url, secret) {
                Err(SettingsError::Invalid { name, .. }) => assert_eq!(name, variable, "{url} {secret:?}"),
                other => panic!("{url} {secret:?}: {other:?}"),
            }
        }
        let no_listener = BotSettings::from_lookup(env(vec![
            ("TELEGRAM_BOT_TOKEN", GOOD),
            ("TELEGRAM_WEBHOOK_URL", "https://example.org/tg"),
            ("LISTEN_ADDR", "off"),
        ]));
        assert!(matches!(no_listener, Err(SettingsError::Invalid { name: "LISTEN_ADDR", .. })));

        // The dashboard: an https:// address (served on the listener), its age limit, its script.
        let s = BotSettings::from_lookup(env(vec![("TELEGRAM_BOT_TOKEN", GOOD)])).unwrap();
        assert_eq!(s.dashboard, Dashboard::default());
        let s = BotSettings::from_lookup(env(vec![
            ("TELEGRAM_BOT_TOKEN", GOOD),
            ("MINIAPP_URL", "https://example.org/app"),
            ("MINIAPP_AUTH_MAX_AGE", "3600"),
            ("MINIAPP_SCRIPT_URL", "http://127.0.0.1:9/stub.js"),
        ]))
        .unwrap();
        assert_eq!(s.dashboard.url.unwrap().as_str(), "https://example.org/app");
        assert_eq!(s.dashboard.auth_max_age, Duration::from_secs(3600));
        assert_eq!(s.dashboard.script_url, "http://127.0.0.1:9/stub.js");
        for (name, value) in [
            ("MINIAPP_URL", "http://example.org/app"),
            ("MINIAPP_URL", "https://example.org/app#x"),
            ("MINIAPP_AUTH_MAX_AGE", "0"),
            ("MINIAPP_SCRIPT_URL", "ftp://x/y.js"),
        ] {
            let refused = BotSettings::from_lookup(env(vec![("TELEGRAM_BOT_TOKEN", GOOD), (name, value)]));
            assert!(
                matches!(refused, Err(SettingsError::Invalid { name: n, .. }) if n == name),
                "{name}={value}"
            );
        }
        let no_listener = BotSettings::from_lookup(env(vec![
            ("TELEGRAM_BOT_TOKEN", GOOD),
            ("MINIAPP_URL", "https://example.org/app"),
            ("LISTEN_ADDR", "off"),
        ]));
        assert!(matches!(no_listener, Err(SettingsError::Invalid { name: "LISTEN_ADDR", .. })));
        let bad = BotSettings::from_lookup(env(vec![("TELEGRAM_BOT_TOKEN", GOOD), ("LISTEN_ADDR", "8080")]));
        assert!(matches!(bad, Err(SettingsError::Invalid { name: "LISTEN_ADDR", .. })));
    }

    #[test]
    fn settings_from_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let s = BotSettings::from_lookup(env(&[("TELEGRAM_BOT_TOKEN", GOOD)])).unwrap();
        assert_eq!(s.api_url.as_str(), "https://api.telegram.org/");
        assert_eq!((s.rate_global, s.rate_bulk, s.rate_bulk_busy), (30.0, 25.0, 25.0));
        let s = BotSettings::from_lookup(env(&[
            ("TELEGRAM_BOT_TOKEN", GOOD),
            ("TELEGRAM_API_URL", "http://127.0.0.1:9/"),
            ("TELEGRAM_RATE_PER_CHAT", "0"),
            ("TELEGRAM_WORKERS", "8"),
            ("TELEGRAM_RATE_BULK", "5000"),
            ("TELEGRAM_RATE_BULK_BUSY", "0"),
        ]))
        .unwrap();
        assert_eq!(s.api_url.as_str(), "http://127.0.0.1:9/");
        assert_eq!((s.rate_per_chat, s.workers), (0.0, 8));
        assert_eq!((s.rate_bulk, s.rate_bulk_busy), (5000.0, 0.0));
        assert!(
            BotSettings::from_lookup(env(&[("TELEGRAM_BOT_TOKEN", GOOD), ("TELEGRAM_API_URL", "nope")]))
                .is_err()
        );
        assert!(
            BotSettings::from_lookup(env(&[("TELEGRAM_BOT_TOKEN", GOOD), ("TELEGRAM_WORKERS", "0")]))
                .is_err()
        );
        assert_eq!(
            BotSettings::from_lookup(env(&[])).unwrap_err(),
            SettingsError::Token(TokenError::Missing)
        );
        for tiny in ["1e-20", "-1", "NaN", "inf", "1e7"] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(Box::new([("TELEGRAM_BOT_TOKEN", GOOD), ("TELEGRAM_RATE_PER_CHAT", tiny)]));
            let e = BotSettings::from_lookup(env(pairs)).unwrap_err();
            assert!(e.to_string().contains("TELEGRAM_RATE_PER_CHAT"), "{tiny}: {e}");
        }
    }
}
