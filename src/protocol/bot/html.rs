//! Telegram's HTML parse mode: escaping, and texts cut to fit.
//!
//! Every piece of text is escaped (`&`, `<`, `>`) whoever wrote it, so a challenge named
//! `<b>Tom & Jerry` shows as typed. Telegram counts a message's length in UTF-16 code units of the
//! text *after* parsing (tags do not count), at most 4096; [`HtmlBuilder`] counts the same way and
//! cuts the text with an ellipsis when it would not fit, closing any open tag.

/// Telegram's limit on a message text, in UTF-16 code units after entity parsing.
pub const MAX_TEXT_UNITS: usize = 4096;

/// Telegram's limit on a photo's or a document's caption, counted the same way.
pub const MAX_CAPTION_UNITS: usize = 1024;

/// Escapes text for HTML parse mode.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    escape_into(&mut out, text);
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

/// Builds an HTML message text within a length budget.
#[derive(Debug, Clone)]
pub struct HtmlBuilder {
    out: String,
    /// Visible length so far, in UTF-16 code units.
    units: usize,
    budget: usize,
    truncated: bool,
}

impl Default for HtmlBuilder {
    fn default() -> Self {
        HtmlBuilder::new(MAX_TEXT_UNITS)
    }
}

impl HtmlBuilder {
    const ELLIPSIS: char = '…';

    /// A builder for texts of at most `budget` UTF-16 code units (visible text).
    pub fn new(budget: usize) -> HtmlBuilder {
        HtmlBuilder { out: String::new(), units: 0, budget: budget.max(1), truncated: false }
    }

    /// Appends plain text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.tagged("", "", text)
    }

    /// Appends text inside a tag such as `b`, `i`, `code` (no attributes).
    pub fn tag(&mut self, tag: &str, text: &str) -> &mut Self {
        if text.is_empty() {
            return self;
        }
        self.tagged(&format!("<{tag}>"), &format!("</{tag}>"), text)
    }

    fn tagged(&mut self, open: &str, close: &str, text: &str) -> &mut Self {
        if self.truncated || text.is_empty() {
            return self;
        }
        let units: usize = text.chars().map(char::len_utf16).sum();
        let (kept, cut) = if self.units + units <= self.budget {
            (text, false)
        } else {
            // Keep what fits with room for the ellipsis.
            let room = self.budget.saturating_sub(self.units + 1);
            let mut used = 0;
            let mut end = 0;
            for (i, c) in text.char_indices() {
                if used + c.len_utf16() > room {
                    break;
                }
                used += c.len_utf16();
                end = i + c.len_utf8();
            }
            (&text[..end], true)
        };
        self.out.push_str(open);
        escape_into(&mut self.out, kept);
        self.units += kept.chars().map(char::len_utf16).sum::<usize>();
        if cut {
            self.out.push(Self::ELLIPSIS);
            self.units += 1;
            self.truncated = true;
        }
        self.out.push_str(close);
        self
    }

    /// Whether text had to be cut.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The HTML; never empty or blank (Telegram refuses those), so a placeholder stands in.
    pub fn finish(self) -> String {
        if self.out.trim().is_empty() || self.units == 0 { Self::ELLIPSIS.to_string() } else { self.out }
    }
}

/// Cuts a plain string (a button label, a notification) to `max` characters with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped() {
        assert_eq!(escape("<b>Tom & Jerry</b>"), "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;");
        let mut b = HtmlBuilder::default();
        b.text("Joined ").tag("b", "<b>Tom & Jerry").text("!");
        assert_eq!(b.finish(), "Joined <b>&lt;b&gt;Tom &amp; Jerry</b>!");
    }

    #[test]
    fn long_texts_are_cut_in_utf16_units() {
        let mut b = HtmlBuilder::new(10);
        b.tag("b", "12345").text("6789012345");
        assert!(b.truncated());
        assert_eq!(b.finish(), "<b>12345</b>6789…");

        // An emoji is two UTF-16 units: it is not split.
        let mut b = HtmlBuilder::new(4);
        b.text("a😀😀");
        assert_eq!(b.finish(), "a😀…");
        let mut b = HtmlBuilder::new(3);
        b.text("a😀😀");
        assert_eq!(b.finish(), "a…");

        let long = "&".repeat(5000);
        let mut b = HtmlBuilder::default();
        b.text(&long);
        let html = b.finish();
        assert_eq!(html.matches("&amp;").count(), MAX_TEXT_UNITS - 1);
        assert!(html.ends_with('…'));

        let mut b = HtmlBuilder::new(5);
        b.text("12345");
        assert!(!b.truncated(), "exactly the budget fits");
    }

    #[test]
    fn empty_texts_get_a_placeholder() {
        assert_eq!(HtmlBuilder::default().finish(), "…");
        let mut b = HtmlBuilder::default();
        b.tag("b", "");
        assert_eq!(b.finish(), "…");
    }

    #[test]
    fn shorten_labels() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcd", 3), "ab…");
    }
}
