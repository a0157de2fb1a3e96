//! The dashboard's HTML, written with maud, which escapes every value it is given: a name
//! such as `<script>` shows as text. The shell (`GET /app`) carries no data (it is fetched
//! without `initData`); the parts ([`home`], [`challenge`]) are fetched by the page's script
//! with the person's `initData` and put in place as they are.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::svg;
use super::view::{Card, ChallengePage, Home};

/// The page's own style and script, inside the binary.
pub const STYLE: &str = include_str!("assets/app.css");
pub const SCRIPT: &str = include_str!("assets/app.js");

/// The page's Content-Security-Policy: scripts only its own (by hash) and Telegram's, requests
/// only to this server, styles inline (the page's own and the bars' widths), nothing else
/// loaded. Should a name ever slip past escaping, the browser would not run it.
pub fn content_security_policy(telegram_script: &str) -> axum::http::HeaderValue {
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(SCRIPT.as_bytes()));
    // A script URL cannot hold the characters that would end a source expression: it parsed as
    // a URL (settings), so it has no spaces, quotes or semicolons.
    let script = telegram_script.split(['?', '#']).next().unwrap_or(telegram_script);
    let policy = format!(
        "default-src 'none'; script-src 'sha256-{hash}' {script}; style-src 'unsafe-inline'; \
         connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
    );
    axum::http::HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("default-src 'none'"))
}

/// The page Telegram opens: Telegram's script (it hands over `initData` and the theme), the
/// style, and the script that fetches the parts.
pub fn shell(telegram_script: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover";
                meta name="color-scheme" content="light dark";
                title { "Challenges" }
                script src=(telegram_script) {}
                style { (PreEscaped(STYLE)) }
            }
            body {
                main #app aria-live="polite" {
                    p.muted { "Loading…" }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    }
}

fn bar(percent: u16) -> Markup {
    html! {
        div.bar role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(percent) {
            span style={ "width:" (percent.min(100)) "%" } {}
        }
    }
}

fn place(card: &Card) -> Option<String> {
    card.place
        .map(|p| format!("{} of {}", crate::handler::conversation::dashboard::ordinal(p), card.participants))
}

fn status(card: &Card) -> Markup {
    html! {
        @if card.is_final {
            span.tag.ended { "Final" }
        } @else if !card.open {
            span.tag.ended { "Ended" }
        } @else if card.met {
            span.tag.met { "🎯 Goal met" }
        } @else if card.logged_today {
            span.tag.done { "✅ Logged today" }
        }
    }
}

/// Where the person stands: the bar, the figures, pace, streak, place and deadline.
fn standing_lines(c: &Card) -> Markup {
    html! {
        (bar(c.percent))
        p.figures data-standing=(c.standing) { (c.words.figures) " · " (c.percent) "%" }
        @if c.open {
            @if let Some(pace) = &c.words.pace { p.pace { (pace) } }
        }
        p.meta {
            @if let Some(streak) = &c.words.streak { span { (streak) } " · " }
            @if let Some(place) = place(c) { span { (place) } " · " }
            span { "Deadline " (c.deadline_words) }
        }
    }
}

/// The person's challenges.
pub fn home(home: &Home) -> Markup {
    html! {
        header.top { h1 { "My challenges" } }
        @if home.challenges.is_empty() {
            p.empty {
                "You have not joined a challenge yet. Create or join one in the chat: send /start to the bot."
            }
        }
        @for c in &home.challenges {
            a.card href={ "#/c/" (c.id) } data-challenge=(c.id) {
                div.card-head {
                    h2 { (c.name) }
                    (status(c))
                }
                (standing_lines(c))
            }
        }
    }
}

/// A challenge: the person's standing, the log form, the chart, the leaderboard and their
/// entries.
pub fn challenge(page: &ChallengePage) -> Markup {
    let c = &page.card;
    let unit = c.unit.as_deref().unwrap_or("");
    html! {
        header.top {
            a.back href="#/" { "‹ My challenges" }
            h1 { (c.name) }
        }
        @if !page.description.is_empty() { p.description { (page.description) } }
        section.mine {
            div.card-head { h2 { "You" } (status(c)) }
            (standing_lines(c))
        }
        @if c.open {
            form.log #log-form data-challenge=(c.id) novalidate {
                h2 { @if page.takes_values { "Log progress" } @else { "Check in" } }
                div.fields {
                    @if page.takes_values {
                        label {
                            span { "Value" @if !unit.is_empty() { " (" (unit) ")" } }
                            input name="value" inputmode="decimal" autocomplete="off" required placeholder="5";
                        }
                    }
                    label {
                        span { "Day" }
                        input name="date" type="date" value=(page.last_date) min=(page.start_date) max=(page.last_date);
                    }
                }
                button type="submit" { @if page.takes_values { "Log" } @else { "✔️ Check in" } }
                p.message role="status" {}
            }
        }
        section {
            h2 { "Standings over time" }
            (svg::standings(&page.chart))
        }
        section {
            h2 { "Leaderboard" }
            @if let Some(first) = &page.first_finisher { p.meta { "🥇 First to finish: " (first) } }
            ol.board {
                @for row in &page.leaderboard {
                    li class=[row.me.then_some("me")] {
                        span.rank { (row.rank) }
                        span.name { (row.name) @if row.met { " 🎯" } }
                        span.score { (row.standing_words) }
                    }
                }
            }
            @if c.participants as usize > page.leaderboard.len() {
                p.meta { (c.participants) " take part; the top " (page.leaderboard.len()) " are shown." }
            }
        }
        section {
            h2 { "My entries" }
            @if page.entries.is_empty() {
                p.muted { "No entries yet." }
            }
            ul.entries {
                @for e in &page.entries {
                    li data-entry=(e.id) {
                        span.day { (e.day_words) }
                        span.value { (e.value_words) }
                        @if c.open {
                            span.actions {
                                button.link type="button" data-edit=(e.id) data-value=[e.value] data-date=(e.date) { "Edit" }
                                button.link.danger type="button" data-delete=(e.id) { "Delete" }
                            }
                        }
                    }
                }
            }
            @if page.entry_count as usize > page.entries.len() {
                p.meta { "The latest " (page.entries.len()) " of " (page.entry_count) " entries." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_loads_the_configured_script_and_embedded_assets() {
        let page = shell("http://127.0.0.1:9/stub.js?a=1&b=2").into_string();
        assert!(page.contains(r#"<script src="http://127.0.0.1:9/stub.js?a=1&amp;b=2">"#), "{page}");
        assert!(page.contains("--tg-theme-bg-color"), "the style uses Telegram's theme variables");
        assert!(page.contains("Authorization"), "the script sends initData");
    }
}
