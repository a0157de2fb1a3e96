//! Telegram's `initData`: who opened the Mini App, signed by Telegram with the bot's token.
//!
//! Telegram hands the page a query string (`query_id=…&user=%7B…%7D&auth_date=…&hash=…`). Its
//! `hash` is HMAC-SHA-256 over the other fields, sorted by name as `key=value` lines, keyed with
//! HMAC-SHA-256("WebAppData", token). Only a server that knows the token can check it, and only
//! Telegram (which knows it too) can make it, so the user id inside is the person's own, as
//! long as the data is recent: a copy of it opens the dashboard until `auth_date` is older than
//! the allowed age. Nothing in the data is trusted before the check passes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::user::{DisplayName, UserId};

type HmacSha256 = Hmac<Sha256>;

/// Why `initData` was refused. Each says what an operator looking at a log needs; the person
/// only ever sees "401".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no initData was sent")]
    Missing,
    #[error("initData has no hash")]
    NoHash,
    #[error("initData's hash does not match (forged, altered, or signed for another bot)")]
    BadHash,
    #[error("initData has no valid auth_date")]
    NoDate,
    #[error("initData is {age_secs} s old, more than the {max_secs} s allowed")]
    Stale { age_secs: i64, max_secs: u64 },
    #[error("initData names no valid user")]
    NoUser,
}

/// The person the verified data names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebAppUser {
    pub id: UserId,
    /// As the chat names them: first and last name, else the username.
    pub name: DisplayName,
}

/// The key `initData` is signed with: HMAC-SHA-256 of the token under "WebAppData".
pub fn secret_key(token: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(b"WebAppData").expect("HMAC takes keys of any length");
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The fields other than `hash`, sorted by name, as `key=value` lines.
fn data_check_string(fields: &[(String, String)]) -> String {
    let mut lines: Vec<String> =
        fields.iter().filter(|(k, _)| k != "hash").map(|(k, v)| format!("{k}={v}")).collect();
    lines.sort();
    lines.join("\n")
}

/// Signs `fields` as Telegram does and returns the query string with its `hash` (tests and the
/// benchmark use it to open the dashboard as a given person).
pub fn sign(fields: &[(&str, &str)], token: &str) -> String {
    let owned: Vec<(String, String)> =
        fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let mut mac = HmacSha256::new_from_slice(&secret_key(token)).expect("HMAC takes keys of any length");
    mac.update(data_check_string(&owned).as_bytes());
    let hash = hex::encode(mac.finalize().into_bytes());
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        query.append_pair(k, v);
    }
    query.append_pair("hash", &hash);
    query.finish()
}

/// Checks `init_data` against the bot's `key` (see [`secret_key`]) at `now`: the hash must
/// match (compared in constant time), `auth_date` be at most `max_age` old (and not in the
/// future by more than a minute of clock skew), and `user` name a person.
pub fn verify(
    init_data: &str,
    key: &[u8; 32],
    now: DateTime<Utc>,
    max_age: Duration,
) -> Result<WebAppUser, AuthError> {
    if init_data.trim().is_empty() {
        return Err(AuthError::Missing);
    }
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(init_data.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let hash = fields.iter().find(|(k, _)| k == "hash").map(|(_, v)| v.as_str()).ok_or(AuthError::NoHash)?;
    let given = hex::decode(hash).map_err(|_| AuthError::BadHash)?;
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data_check_string(&fields).as_bytes());
    mac.verify_slice(&given).map_err(|_| AuthError::BadHash)?;

    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let auth_date = field("auth_date").and_then(|d| d.parse::<i64>().ok()).ok_or(AuthError::NoDate)?;
    let age = now.timestamp() - auth_date;
    let max_secs = max_age.as_secs();
    if age > i64::try_from(max_secs).unwrap_or(i64::MAX) || age < -60 {
        return Err(AuthError::Stale { age_secs: age, max_secs });
    }

    #[derive(serde::Deserialize)]
    struct User {
        id: i64,
        #[serde(default)]
        first_name: String,
        last_name: Option<String>,
        username: Option<String>,
    }
    let user: User = field("user").and_then(|u| serde_json::from_str(u).ok()).ok_or(AuthError::NoUser)?;
    if user.id <= 0 {
        return Err(AuthError::NoUser);
    }
    let id = UserId(user.id);
    let full = match &user.last_name {
        Some(last) if !last.trim().is_empty() => format!("{} {last}", user.first_name),
        _ => user.first_name.clone(),
    };
    let name = if DisplayName::is_usable(&full) {
        DisplayName::sanitize(&full, id)
    } else {
        match &user.username {
            Some(username) => DisplayName::sanitize(username, id),
            None => DisplayName::fallback(id),
        }
    };
    Ok(WebAppUser { id, name })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
    const USER: &str = r#"{"id":279058397,"first_name":"Vladislav","last_name":"Kibenko","username":"vdkfrost","language_code":"ru","is_premium":true,"allows_write_to_pm":true}"#;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn signed(auth_date: &str) -> String {
        sign(&[("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"), ("user", USER), ("auth_date", auth_date)], TOKEN)
    }

    const DAY: Duration = Duration::from_secs(86_400);

    /// The hash computed independently of [`sign`], step by step as Telegram's documentation
    /// gives it, so that a mistake shared by `sign` and `verify` cannot pass.
    #[test]
    fn the_hash_follows_telegrams_documented_steps() {
        let auth_date = "1699999000";
        let check = format!("auth_date={auth_date}\nquery_id=AAHdF6IQAAAAAN0XohDhrOrc\nuser={USER}");
        let mut first = HmacSha256::new_from_slice(b"WebAppData").unwrap();
        first.update(TOKEN.as_bytes());
        let secret = first.finalize().into_bytes();
        let mut second = HmacSha256::new_from_slice(&secret).unwrap();
        second.update(check.as_bytes());
        let expected = hex::encode(second.finalize().into_bytes());

        let query = signed(auth_date);
        let hash = url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "hash").unwrap().1;
        assert_eq!(hash, expected);
        let user = verify(&query, &secret_key(TOKEN), now(), DAY).expect("valid");
        assert_eq!(user.id, UserId(279058397));
        assert_eq!(user.name.as_str(), "Vladislav Kibenko");
    }

    #[test]
    fn a_tampered_field_is_refused() {
        let query = signed("1699999000");
        let tampered = query.replace("279058397", "279058398");
        assert_ne!(tampered, query);
        assert_eq!(verify(&tampered, &secret_key(TOKEN), now(), DAY), Err(AuthError::BadHash));
        // A field added after signing breaks the hash too.
        let added = format!("{query}&extra=1");
        assert_eq!(verify(&added, &secret_key(TOKEN), now(), DAY), Err(AuthError::BadHash));
        // A later auth_date (to outlive the age limit) as well.
        let renewed = query.replace("auth_date=1699999000", "auth_date=1699999999");
        assert_eq!(verify(&renewed, &secret_key(TOKEN), now(), DAY), Err(AuthError::BadHash));
    }

    #[test]
    fn another_bots_data_is_refused() {
        let query = signed("1699999000");
        let other = secret_key("654321:ZYX-other-bot-token");
        assert_eq!(verify(&query, &other, now(), DAY), Err(AuthError::BadHash));
    }

    #[test]
    fn stale_data_is_refused() {
        let day_old = (now().timestamp() - 86_401).to_string();
        let query = signed(&day_old);
        assert!(matches!(verify(&query, &secret_key(TOKEN), now(), DAY), Err(AuthError::Stale { .. })));
        // Within the age: accepted; a shorter allowed age refuses the same data.
        let hour_old = (now().timestamp() - 3_600).to_string();
        let query = signed(&hour_old);
        assert!(verify(&query, &secret_key(TOKEN), now(), DAY).is_ok());
        assert!(matches!(
            verify(&query, &secret_key(TOKEN), now(), Duration::from_secs(600)),
            Err(AuthError::Stale { .. })
        ));
        // From the future (beyond clock skew).
        let ahead = (now().timestamp() + 3_600).to_string();
        let query = signed(&ahead);
        assert!(matches!(verify(&query, &secret_key(TOKEN), now(), DAY), Err(AuthError::Stale { .. })));
    }

    #[test]
    fn missing_or_malformed_data_is_refused() {
        let key = secret_key(TOKEN);
        assert_eq!(verify("", &key, now(), DAY), Err(AuthError::Missing));
        assert_eq!(verify("user=%7B%7D&auth_date=1", &key, now(), DAY), Err(AuthError::NoHash));
        assert_eq!(verify("auth_date=1&hash=zz", &key, now(), DAY), Err(AuthError::BadHash));
        // Signed, but naming nobody.
        let nobody = sign(&[("auth_date", "1699999000")], TOKEN);
        assert_eq!(verify(&nobody, &key, now(), DAY), Err(AuthError::NoUser));
        let no_date = sign(&[("user", USER)], TOKEN);
        assert_eq!(verify(&no_date, &key, now(), DAY), Err(AuthError::NoDate));
    }

    #[test]
    fn names_are_cleaned_as_the_chat_cleans_them() {
        let user = r#"{"id":5,"first_name":"\u200b","username":"ann_runs"}"#;
        let query = sign(&[("user", user), ("auth_date", "1699999000")], TOKEN);
        let found = verify(&query, &secret_key(TOKEN), now(), DAY).unwrap();
        assert_eq!(found.name.as_str(), "ann_runs");
    }
}
