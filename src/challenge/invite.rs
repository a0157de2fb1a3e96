//! Who can find a challenge: its visibility and its invite code.
//!
//! A challenge made in the chat is private: it is not listed, and the way in is its invite link,
//! `https://t.me/<bot>?start=<code>`. The code is the secret, so it is random (132 bits from the
//! operating system's generator, never derived from the id) and spelled in the 64 characters
//! Telegram allows in a deep link. Revoking replaces it; the old code is remembered so that its
//! link can say it expired rather than that it never existed.

use std::fmt;

use rand::Rng;
use serde::Serialize;

/// Whether a challenge is listed for everyone or found only through its invite link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Listed under "Join challenge" and found by a word of its name.
    Public,
    /// Seen only by its participants and by whoever opens its invite link.
    #[default]
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }

    /// `public` or `private` (any case, surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Visibility> {
        match text.trim().to_ascii_lowercase().as_str() {
            "public" => Some(Visibility::Public),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }

    pub fn is_public(self) -> bool {
        self == Visibility::Public
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The characters of a Telegram deep-link payload, 64 of them: a random byte's low six bits pick
/// one without bias.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Why a text is not an invite code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InviteCodeError {
    #[error("an invite code has 22 characters")]
    WrongLength,
    #[error("an invite code has only letters, digits, - and _")]
    BadCharacter,
}

/// A challenge's invite code: [`InviteCode::LEN`] characters of `A-Za-z0-9_-`.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct InviteCode(String);

impl InviteCode {
    /// 22 characters of 6 bits each: 132 random bits.
    pub const LEN: usize = 22;

    /// A new random code.
    pub fn generate() -> InviteCode {
        let mut rng = rand::rng();
        let code =
            (0..Self::LEN).map(|_| char::from(ALPHABET[usize::from(rng.random::<u8>() & 63)])).collect();
        InviteCode(code)
    }

    /// A code as typed or as it arrived in `/start <code>`: exactly [`InviteCode::LEN`] characters of
    /// the deep-link alphabet, nothing trimmed (a link is copied whole or not at all).
    pub fn parse(text: &str) -> Result<InviteCode, InviteCodeError> {
        if !text.bytes().all(|b| ALPHABET.contains(&b)) {
            return Err(InviteCodeError::BadCharacter);
        }
        if text.len() != Self::LEN {
            return Err(InviteCodeError::WrongLength);
        }
        Ok(InviteCode(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The link that opens the challenge in Telegram, given the bot's username (without `@`).
    pub fn link(&self, bot_username: &str) -> String {
        format!("https://t.me/{}?start={}", bot_username.trim_start_matches('@'), self.0)
    }
}

impl fmt::Display for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Codes are secrets: logs and panics show only their start.
impl fmt::Debug for InviteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InviteCode({}…)", &self.0[..4.min(self.0.len())])
    }
}

/// What an invite code leads to.
#[derive(Clone, Debug, PartialEq)]
pub enum InviteLookup {
    /// The challenge whose current code it is.
    Live(super::Challenge),
    /// A code its challenge's creator replaced (the challenge may since have been deleted).
    Revoked(super::ChallengeId),
    /// No challenge ever had it.
    Unknown,
}

/// A public challenge as the list shows it: with how many are in it and who made it.
#[derive(Clone, Debug, PartialEq)]
pub struct Listing {
    pub challenge: super::Challenge,
    pub participants: u64,
    /// The creator's name as last seen (none if they never talked to the bot).
    pub creator_name: Option<crate::user::DisplayName>,
}

/// Words typed to find a public challenge: what the name must contain, lowercased, with the
/// characters `LIKE` treats specially escaped. At most [`NameSearch::MAX_CHARS`] characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameSearch {
    folded: String,
}

impl NameSearch {
    pub const MAX_CHARS: usize = 100;

    /// None for text with nothing to look for.
    pub fn parse(text: &str) -> Option<NameSearch> {
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.is_empty() {
            return None;
        }
        let joined: String = words.join(" ").chars().take(Self::MAX_CHARS).collect();
        Some(NameSearch { folded: fold(&joined) })
    }

    /// The text looked for, lowercased.
    pub fn text(&self) -> &str {
        &self.folded
    }

    /// A `LIKE … ESCAPE '\'` pattern matching names that contain the text.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::with_capacity(self.folded.len() + 2);
        pattern.push('%');
        for c in self.folded.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }

    /// Whether a name contains the text (what the pattern matches, for the in-memory store).
    pub fn matches(&self, name: &str) -> bool {
        fold(name).contains(&self.folded)
    }
}

/// A name as searches compare it: lowercase, by Unicode's rules (the databases' own `lower` is
/// ASCII-only on SQLite, so the folded name is stored beside the name).
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_and_differ() {
        let a = InviteCode::generate();
        let b = InviteCode::generate();
        assert_ne!(a, b);
        assert_eq!(InviteCode::parse(a.as_str()), Ok(a.clone()));
        assert_eq!(a.as_str().len(), InviteCode::LEN);
        assert!(!format!("{a:?}").contains(a.as_str()), "Debug hides the code");
    }

    #[test]
    fn codes_use_every_character_of_the_alphabet() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            seen.extend(InviteCode::generate().as_str().bytes());
        }
        assert_eq!(seen.len(), 64, "an unbiased draw shows all 64 characters in 4,400 draws");
    }

    #[test]
    fn parse_is_strict() {
        assert_eq!(InviteCode::parse(""), Err(InviteCodeError::WrongLength));
        assert_eq!(InviteCode::parse(&"a".repeat(21)), Err(InviteCodeError::WrongLength));
        assert_eq!(InviteCode::parse(&"a".repeat(23)), Err(InviteCodeError::WrongLength));
        assert_eq!(InviteCode::parse(&format!("{} ", "a".repeat(21))), Err(InviteCodeError::BadCharacter));
        assert_eq!(InviteCode::parse(&format!("{}=", "a".repeat(21))), Err(InviteCodeError::BadCharacter));
        assert_eq!(InviteCode::parse(&format!("{}é", "a".repeat(20))), Err(InviteCodeError::BadCharacter));
        assert!(InviteCode::parse("Ab-_09Ab-_09Ab-_09Ab-_").is_ok());
    }

    #[test]
    fn links_follow_telegrams_deep_link_form() {
        let code = InviteCode::parse("Ab-_09Ab-_09Ab-_09Ab-_").unwrap();
        assert_eq!(code.link("@run_bot"), "https://t.me/run_bot?start=Ab-_09Ab-_09Ab-_09Ab-_");
    }

    #[test]
    fn visibility_words() {
        assert_eq!(Visibility::parse(" Public "), Some(Visibility::Public));
        assert_eq!(Visibility::parse("private"), Some(Visibility::Private));
        assert_eq!(Visibility::parse("secret"), None);
        assert_eq!(Visibility::default(), Visibility::Private);
    }

    #[test]
    fn searches_fold_case_and_escape_like() {
        assert_eq!(NameSearch::parse("   "), None);
        let s = NameSearch::parse("  Läufer   100%_ ").unwrap();
        assert_eq!(s.text(), "läufer 100%_");
        assert_eq!(s.like_pattern(), "%läufer 100\\%\\_%");
        assert!(s.matches("Die LÄUFER 100%_ Club"));
        assert!(!s.matches("Läufer 1000"));
    }
}
