//! Exact decimal amounts for goals and progress.
//!
//! People log "5.3 km" and expect "0.1 + 0.2" to total "0.3", so amounts are never floating point:
//! an [`Amount`] is a whole number of hundredths. Two decimal places are all any goal needs, and an
//! `i64` of hundredths sums billions of entries without overflow.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// The largest value a single goal or progress entry may have.
pub const MAX_VALUE: Amount = Amount(1_000_000_000 * 100);

/// A non-negative decimal with two decimal places, stored as hundredths.
///
/// Values typed by people are parsed with [`Amount::parse_positive`]; sums of entries are built with
/// [`Amount::checked_add`] and may exceed [`MAX_VALUE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(i64);

/// Why a typed number is not an acceptable amount. The `Display` text is meant for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("Please type a number, for example 5 or 12.5.")]
    Empty,
    #[error("\"{0}\" is not a number. Type digits with an optional decimal point, for example 12.5.")]
    NotANumber(String),
    #[error("The number must be greater than zero.")]
    NotPositive,
    #[error("Use at most two decimal places, for example 12.25.")]
    TooManyDecimals,
    #[error("The number can be at most 1000000000.")]
    TooLarge,
    #[error("Use a whole number here, for example 30.")]
    NotWhole,
}

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// Builds an amount from hundredths, as stored in the database.
    pub const fn from_hundredths(hundredths: i64) -> Amount {
        Amount(hundredths)
    }

    /// A whole number (e.g. a count of days).
    pub const fn from_whole(units: i64) -> Amount {
        Amount(units * 100)
    }

    pub const fn hundredths(self) -> i64 {
        self.0
    }

    pub fn is_whole(self) -> bool {
        self.0 % 100 == 0
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    /// Parses a value a person typed: digits, an optional point and at most two decimals, greater
    /// than zero and at most [`MAX_VALUE`]. Signs, exponents, `NaN`, infinities, thousands
    /// separators and anything else are refused rather than guessed at.
    pub fn parse_positive(input: &str) -> Result<Amount, AmountError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let not_a_number = || AmountError::NotANumber(shorten(text));
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !digits_only(whole) || (whole.is_empty() && fraction.is_none_or(str::is_empty)) {
            if text.starts_with('-') && text[1..].trim().parse::<f64>().is_ok_and(f64::is_finite) {
                return Err(AmountError::NotPositive);
            }
            return Err(not_a_number());
        }
        let fraction = fraction.unwrap_or("");
        if !digits_only(fraction) {
            return Err(not_a_number());
        }
        let significant_fraction = fraction.trim_end_matches('0');
        if significant_fraction.len() > 2 {
            return Err(AmountError::TooManyDecimals);
        }
        let whole = whole.trim_start_matches('0');
        // More than ten digits is beyond the maximum whatever they are; it also keeps i64 safe.
        if whole.len() > 10 {
            return Err(AmountError::TooLarge);
        }
        let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| not_a_number())? };
        let mut cents = 0i64;
        for (i, b) in significant_fraction.bytes().enumerate() {
            cents += i64::from(b - b'0') * if i == 0 { 10 } else { 1 };
        }
        let amount = Amount(whole * 100 + cents);
        if amount.0 == 0 {
            return Err(AmountError::NotPositive);
        }
        if amount > MAX_VALUE {
            return Err(AmountError::TooLarge);
        }
        Ok(amount)
    }

    /// Like [`Amount::parse_positive`] but only whole numbers (day counts).
    pub fn parse_whole_positive(input: &str) -> Result<Amount, AmountError> {
        let amount = Amount::parse_positive(input)?;
        if amount.is_whole() { Ok(amount) } else { Err(AmountError::NotWhole) }
    }

    /// The value as `f64`, for JSON output. Exact for every amount below 2^53 hundredths
    /// (about 90 trillion), i.e. for every sum this bot will see.
    pub fn to_f64(self) -> f64 {
        // Dividing an exactly-representable integer by 100 gives the closest double to the
        // decimal, whose shortest representation is the decimal itself.
        self.0 as f64 / 100.0
    }
}

/// Input echoed in a message: short, its control characters escaped.
fn shorten(text: &str) -> String {
    crate::text::shown(text, 20)
}

impl fmt::Display for Amount {
    /// `12`, `12.5`, `12.25`: no trailing zeros, no exponent.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, cents) = (abs / 100, abs % 100);
        let text = match cents {
            0 => format!("{sign}{whole}"),
            c if c % 10 == 0 => format!("{sign}{whole}.{}", c / 10),
            c => format!("{sign}{whole}.{c:02}"),
        };
        f.pad(&text)
    }
}

impl Amount {
    /// The amount for people to read: thousands grouped with a thin space (`12 345.5`), so that
    /// a long number reads at a glance and cannot be mistaken for a decimal comma.
    pub fn grouped(self) -> String {
        let plain = self.to_string();
        let (sign, rest) = plain.strip_prefix('-').map_or(("", plain.as_str()), |r| ("-", r));
        let (whole, fraction) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
        if whole.len() < 4 {
            return plain;
        }
        let mut out = String::with_capacity(plain.len() + whole.len() / 3 * 3);
        out.push_str(sign);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push('\u{2009}');
            }
            out.push(digit);
        }
        if let Some(fraction) = fraction {
            out.push('.');
            out.push_str(fraction);
        }
        out
    }

    /// Whether the amount is exactly one (for "1 book" against "2 books").
    pub fn is_one(self) -> bool {
        self.0 == 100
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse_positive(s)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_whole() {
            serializer.serialize_i64(self.0 / 100)
        } else {
            serializer.serialize_f64(self.to_f64())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_for_people() {
        let g = |h: i64| Amount::from_hundredths(h).grouped();
        assert_eq!(g(1_234_550), "12\u{2009}345.5");
        assert_eq!(g(99_900), "999");
        assert_eq!(g(100_000), "1\u{2009}000");
        assert_eq!(g(100_000_000_000), "1\u{2009}000\u{2009}000\u{2009}000");
        assert_eq!(g(-123_456_700), "-1\u{2009}234\u{2009}567");
        assert_eq!(g(5), "0.05");
    }

    fn p(s: &str) -> Result<Amount, AmountError> {
        Amount::parse_positive(s)
    }

    #[test]
    fn parses_plain_decimals() {
        assert_eq!(p("5"), Ok(Amount::from_hundredths(500)));
        assert_eq!(p(" 12.5 "), Ok(Amount::from_hundredths(1250)));
        assert_eq!(p("0.01"), Ok(Amount::from_hundredths(1)));
        assert_eq!(p(".5"), Ok(Amount::from_hundredths(50)));
        assert_eq!(p("7."), Ok(Amount::from_hundredths(700)));
        assert_eq!(p("3.100"), Ok(Amount::from_hundredths(310)), "trailing zeros are not precision");
        assert_eq!(p("007"), Ok(Amount::from_hundredths(700)));
    }

    #[test]
    fn two_decimals_pass_three_do_not() {
        assert_eq!(p("1.25"), Ok(Amount::from_hundredths(125)));
        assert_eq!(p("1.255"), Err(AmountError::TooManyDecimals));
    }

    #[test]
    fn bounds() {
        assert_eq!(p("1000000000"), Ok(MAX_VALUE));
        assert_eq!(p("1000000000.01"), Err(AmountError::TooLarge));
        assert_eq!(p("99999999999999999999999"), Err(AmountError::TooLarge));
        assert_eq!(p("0"), Err(AmountError::NotPositive));
        assert_eq!(p("0.00"), Err(AmountError::NotPositive));
        assert_eq!(p("-3"), Err(AmountError::NotPositive));
    }

    #[test]
    fn refuses_what_is_not_a_plain_number() {
        for bad in [
            "NaN", "nan", "inf", "-inf", "infinity", "1e3", "1E3", "+5", "1,5", "1 000", "abc", "5km", ".",
            "1.2.3", "0x10", "٣",
        ] {
            assert!(matches!(p(bad), Err(AmountError::NotANumber(_))), "{bad:?} gave {:?}", p(bad));
        }
        assert_eq!(p("   "), Err(AmountError::Empty));
        assert_eq!(
            p("\u{1b}[2J"),
            Err(AmountError::NotANumber("\\e[2J".into())),
            "escapes are shown, not run"
        );
    }

    #[test]
    fn whole_numbers_for_days() {
        assert_eq!(Amount::parse_whole_positive("30"), Ok(Amount::from_whole(30)));
        assert_eq!(Amount::parse_whole_positive("30.5"), Err(AmountError::NotWhole));
    }

    #[test]
    fn sums_are_exact() {
        let total = p("0.1").unwrap().checked_add(p("0.2").unwrap()).unwrap();
        assert_eq!(total.to_string(), "0.3");
        assert_eq!(serde_json::to_string(&total).unwrap(), "0.3");
    }

    #[test]
    fn displays_without_trailing_zeros() {
        assert_eq!(Amount::from_hundredths(100).to_string(), "1");
        assert_eq!(Amount::from_hundredths(150).to_string(), "1.5");
        assert_eq!(Amount::from_hundredths(105).to_string(), "1.05");
        assert_eq!(serde_json::to_string(&Amount::from_hundredths(1234)).unwrap(), "12.34");
        assert_eq!(serde_json::to_string(&Amount::from_hundredths(1200)).unwrap(), "12");
    }
}
