//! Text that people typed, as other people will see it.
//!
//! Names, units, descriptions and display names end up in Telegram messages, on buttons and in
//! terminal tables, so the rules about them are about what is *seen*, not about bytes:
//!
//! - lengths are counted in extended grapheme clusters (`👍🏽` is one, though it is two code
//!   points), and table columns are measured in display width (CJK and most emoji take two
//!   cells) — with the `unicode-segmentation` and `unicode-width` crates rather than by hand;
//! - text made only of invisible characters (spaces, zero-width and other default-ignorable code
//!   points, Hangul fillers, the blank Braille pattern) is refused: it would show as a blank row
//!   or a blank button;
//! - bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) are
//!   removed: an unclosed right-to-left override reverses the rest of the line it is shown in;
//! - the Unicode line and paragraph separators (U+2028, U+2029) are line breaks like `\n`;
//! - input echoed back in an error ([`shown`]) has its control characters escaped, so a typed
//!   escape sequence is printed, not executed by the terminal.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Why a piece of text cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextProblem {
    /// Nothing (or only invisible characters) is left once cleaned.
    Empty,
    /// A line break or another control character where one line is expected.
    ControlCharacter,
    /// More than `max` characters as people see them (`got` of them).
    TooLong { max: usize, got: usize },
}

/// Bidirectional embedding, override and isolate controls: stripped from names.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that show nothing by themselves: white space, controls, Unicode's
/// default-ignorable code points, and the fillers and blanks that render as empty space.
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFF8}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Whether the text has at least one character that shows.
pub fn has_visible(text: &str) -> bool {
    text.chars().any(|c| !is_invisible(c))
}

/// How many characters people see: extended grapheme clusters.
pub fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// How many terminal cells the text takes (CJK and most emoji take two).
pub fn display_width(text: &str) -> usize {
    text.width()
}

/// Line breaks made uniform: `\r\n`, `\r`, U+2028 and U+2029 become `\n`.
fn unify_line_breaks(text: &str) -> String {
    text.replace("\r\n", "\n").replace(['\r', '\u{2028}', '\u{2029}'], "\n")
}

/// One line of text (a name, a unit): bidi controls removed, trimmed (including invisible
/// characters at either end), refused if nothing visible is left, if it holds a line break or
/// another control character, or if it is longer than `max` graphemes.
pub fn clean_line(input: &str, max: usize) -> Result<String, TextProblem> {
    let text: String = unify_line_breaks(input).chars().filter(|c| !is_bidi_control(*c)).collect();
    let text = text.trim_matches(is_invisible_edge);
    if !has_visible(text) {
        return Err(TextProblem::Empty);
    }
    if text.chars().any(char::is_control) {
        return Err(TextProblem::ControlCharacter);
    }
    let got = graphemes(text);
    if got > max {
        return Err(TextProblem::TooLong { max, got });
    }
    Ok(text.to_owned())
}

/// Several lines (a description): like [`clean_line`] but keeping line breaks and tabs; text
/// with nothing visible becomes empty (a description may be empty).
pub fn clean_block(input: &str, max: usize) -> Result<String, TextProblem> {
    let text: String = unify_line_breaks(input).chars().filter(|c| !is_bidi_control(*c)).collect();
    if !has_visible(&text) {
        return Ok(String::new());
    }
    let text = text.trim_matches(is_invisible_edge);
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(TextProblem::ControlCharacter);
    }
    let got = graphemes(text);
    if got > max {
        return Err(TextProblem::TooLong { max, got });
    }
    Ok(text.to_owned())
}

/// Text from outside that is shown, not typed as an answer (a Telegram profile name, a login
/// name): controls and line breaks become spaces, bidi controls go, runs of white space shrink
/// to one, and it is cut to `max` graphemes. `None` if nothing visible is left.
pub fn tidy(input: &str, max: usize) -> Option<String> {
    // Most names are plain ASCII already tidy (and every stored name is read through here, a
    // leaderboard's worth at a time): the same answer without segmenting anything.
    let bytes = input.as_bytes();
    let plain = bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
        && bytes.first().is_some_and(u8::is_ascii_graphic)
        && bytes.last().is_some_and(u8::is_ascii_graphic)
        && !input.contains("  ");
    if plain && bytes.len() <= max {
        return Some(input.to_owned());
    }
    tidy_any(input, max)
}

/// [`tidy`] for any text.
fn tidy_any(input: &str, max: usize) -> Option<String> {
    let spaced: String = unify_line_breaks(input)
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let joined = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
    let joined = joined.trim_matches(is_invisible_edge);
    if !has_visible(joined) {
        return None;
    }
    Some(joined.graphemes(true).take(max).collect())
}

/// Invisible characters that may be trimmed from the ends of a text. A zero-width joiner or a
/// variation selector belongs to the character before it, so only what cannot be part of a
/// cluster is trimmed; control characters other than white space are not trimmed but refused.
fn is_invisible_edge(c: char) -> bool {
    is_invisible(c)
        && (c.is_whitespace() || !c.is_control())
        && !matches!(c, '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0020}'..='\u{E007F}')
}

/// The first `max` graphemes of `text`, with "…" in place of the rest.
pub fn shorten(text: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let mut clusters = text.graphemes(true);
    let head: String = clusters.by_ref().take(max).collect();
    if clusters.next().is_none() {
        return head;
    }
    let mut cut: String = head.graphemes(true).take(max - 1).collect();
    cut.push('…');
    cut
}

/// Input as it may be echoed back in an error message: control characters and bidi controls
/// written as escapes (`\e`, `\n`, `\u{202e}`), cut to `max` graphemes.
pub fn shown(input: &str, max: usize) -> String {
    let mut escaped = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\u{1b}' => escaped.push_str("\\e"),
            c if c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}') => {
                escaped.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => escaped.push(c),
        }
    }
    shorten(&escaped, max)
}

/// Pads `text` with spaces to `width` display cells (left-aligned).
pub fn pad_right(text: &str, width: usize) -> String {
    let pad = width.saturating_sub(display_width(text));
    let mut out = String::with_capacity(text.len() + pad);
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

/// Pads `text` with spaces to `width` display cells (right-aligned).
pub fn pad_left(text: &str, width: usize) -> String {
    let pad = width.saturating_sub(display_width(text));
    let mut out = String::with_capacity(text.len() + pad);
    out.extend(std::iter::repeat_n(' ', pad));
    out.push_str(text);
    out
}

/// A unit as it reads after a number: English words follow the simple English plural rules
/// ("1 book", "2 books", "1 story", "3 glasses" from a unit typed "books" or "book"); symbols and
/// abbreviations ("km", "kg", "min") and words in other languages stay as typed.
pub fn unit_for(unit: &str, one: bool) -> Cow<'_, str> {
    if !is_english_word(unit) {
        return Cow::Borrowed(unit);
    }
    let singular = singular(unit);
    if one { singular } else { Cow::Owned(plural(&singular)) }
}

/// Abbreviations that look like words but take no plural.
const ABBREVIATIONS: [&str; 18] = [
    "min", "mins", "sec", "secs", "hrs", "kms", "kgs", "lbs", "cal", "kcal", "mph", "bpm", "rpm", "ft", "km",
    "kg", "mi", "oz",
];

fn is_english_word(unit: &str) -> bool {
    unit.len() >= 3
        && unit.bytes().all(|b| b.is_ascii_lowercase())
        && !ABBREVIATIONS.contains(&unit)
        && unit.bytes().any(|b| b"aeiouy".contains(&b))
}

fn singular(word: &str) -> Cow<'_, str> {
    if let Some(stem) = word.strip_suffix("ies")
        && stem.len() >= 2
    {
        return Cow::Owned(format!("{stem}y"));
    }
    for ending in ["sses", "xes", "zes", "ches", "shes"] {
        if word.ends_with(ending) {
            return Cow::Borrowed(&word[..word.len() - 2]);
        }
    }
    match word.strip_suffix('s') {
        Some(stem) if !stem.ends_with('s') && !stem.ends_with('u') && stem.len() >= 2 => Cow::Borrowed(stem),
        _ => Cow::Borrowed(word),
    }
}

fn plural(word: &str) -> String {
    let consonant_y =
        word.len() >= 2 && word.ends_with('y') && !b"aeiou".contains(&word.as_bytes()[word.len() - 2]);
    if consonant_y {
        format!("{}ies", &word[..word.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"].iter().any(|e| word.ends_with(e)) {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_follow_english_plurals() {
        let u = |unit: &str, one: bool| unit_for(unit, one).into_owned();
        assert_eq!((u("books", true), u("books", false)), ("book".into(), "books".into()));
        assert_eq!((u("book", true), u("book", false)), ("book".into(), "books".into()));
        assert_eq!(
            (u("pages", true), u("stories", true), u("story", false)),
            ("page".into(), "story".into(), "stories".into())
        );
        assert_eq!((u("glasses", true), u("glass", false)), ("glass".into(), "glasses".into()));
        assert_eq!((u("pushups", true), u("push-ups", true)), ("pushup".into(), "push-ups".into()));
        assert_eq!(
            (u("km", true), u("kg", false), u("min", false)),
            ("km".into(), "kg".into(), "min".into())
        );
        assert_eq!(
            (u("Seiten", true), u("páginas", true), u("本", false)),
            ("Seiten".into(), "páginas".into(), "本".into())
        );
        assert_eq!(
            (u("days", true), u("hours", false), u("bus", true)),
            ("day".into(), "hours".into(), "bus".into())
        );
    }

    #[test]
    fn lengths_are_what_people_see() {
        let thumbs = "👍🏽".repeat(50);
        assert_eq!(thumbs.chars().count(), 100);
        assert_eq!(graphemes(&thumbs), 50);
        assert_eq!(graphemes("e\u{301}"), 1, "a letter with a combining accent");
        assert_eq!(graphemes("👨‍👩‍👧"), 1, "a family joined by zero-width joiners");
        assert_eq!(clean_line(&"👍🏽".repeat(100), 100).unwrap().chars().count(), 200);
        assert_eq!(clean_line(&"👍🏽".repeat(101), 100), Err(TextProblem::TooLong { max: 100, got: 101 }));
    }

    #[test]
    fn invisible_only_text_is_refused() {
        for blank in [
            "\u{200B}",
            "\u{FEFF}\u{FEFF}",
            "\u{034F}",
            "\u{115F}",
            "\u{2800}\u{2800}",
            "\u{2066}",
            "  \u{3164} ",
            "\u{00AD}",
            "\u{E0041}",
        ] {
            assert_eq!(clean_line(blank, 100), Err(TextProblem::Empty), "{blank:?}");
            assert_eq!(tidy(blank, 64), None, "{blank:?}");
            assert_eq!(clean_block(blank, 1000), Ok(String::new()), "{blank:?}");
        }
        assert_eq!(clean_line("a\u{200B}", 100).unwrap(), "a");
    }

    #[test]
    fn bidi_controls_are_removed_and_line_separators_are_line_breaks() {
        assert_eq!(clean_line("abc\u{202E}def", 100).unwrap(), "abcdef");
        assert_eq!(clean_line("\u{2067}x\u{2069}", 100).unwrap(), "x");
        assert_eq!(clean_line("a\u{2028}b", 100), Err(TextProblem::ControlCharacter));
        assert_eq!(clean_block("a\u{2029}b\r\nc", 1000).unwrap(), "a\nb\nc");
        assert_eq!(tidy("Ann\u{202E} Lee\u{2028}X", 64).unwrap(), "Ann Lee X");
    }

    #[test]
    fn emoji_sequences_keep_their_joiners() {
        let flag = "🏳\u{FE0F}\u{200D}🌈";
        assert_eq!(clean_line(flag, 10).unwrap(), flag);
        assert_eq!(tidy(&"x".repeat(100), 64).unwrap().len(), 64);
        // The shortcut for plain ASCII gives what the whole treatment gives.
        let long = "y".repeat(64);
        for input in
            ["Ann", "Ann Lee", "O'Neil-Smith 2", long.as_str(), " Ann", "Ann ", "Ann  Lee", "\tAnn", "~"]
        {
            assert_eq!(tidy(input, 64), tidy_any(input, 64), "{input:?}");
            assert_eq!(tidy(input, 3), tidy_any(input, 3), "{input:?} cut");
        }
    }

    #[test]
    fn echoed_input_shows_control_characters_as_escapes() {
        assert_eq!(shown("\u{1b}[2Jboom", 40), "\\e[2Jboom");
        assert_eq!(shown("a\u{7}\u{202E}b\nc", 40), "a\\u{7}\\u{202e}b\\nc");
        assert_eq!(shown("abcdef", 4), "abc…");
        assert!(!shown("\u{1b}]0;title\u{7}", 40).contains('\u{1b}'));
    }

    #[test]
    fn widths_for_tables() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("跑步"), 4);
        assert_eq!(display_width("👍"), 2);
        assert_eq!(pad_right("跑", 4), "跑  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(shorten("ab", 5), "ab");
    }
}
