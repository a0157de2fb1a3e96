//! The copy of the conversation: every message and button, built from domain values. Pure
//! functions, no storage.

use std::time::Duration;

use chrono::NaiveDate;

use super::payload::Action;
use super::reply::{Button, Reply, Text};
use crate::amount::Amount;
use crate::challenge::{Challenge, Unit};
use crate::goal::{Goal, GoalKind, Pace, PlaceChange, Ranked, Share};
use crate::progress::{Streak, Tally};
use crate::user::{DisplayName, UserId};

/// Challenges per page in the lists.
pub const PAGE_SIZE: u32 = 8;
/// Places shown on a leaderboard (the user's own place is added below when lower).
pub const LEADERBOARD_SIZE: usize = 10;
/// The longest challenge name shown on a button; longer ones are shortened with "…".
const LABEL_CHARS: usize = 40;
const BAR_CELLS: u16 = 10;

pub fn button(label: impl Into<String>, action: Action) -> Button {
    Button { label: label.into(), payload: action.encode() }
}

/// A label from a user-supplied name, shortened to fit a button.
pub fn name_label(name: &str) -> String {
    crate::text::shorten(name, LABEL_CHARS)
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// How to type a day from `first` to `last` (both included), with an example in that range:
/// "Type the day: 8.3, 8 Mar or 2026-03-08, \"yesterday\" or a weekday."
pub fn day_prompt(first: NaiveDate, last: NaiveDate, today: NaiveDate) -> String {
    let example = last.pred_opt().filter(|d| *d >= first).unwrap_or(last);
    let words = match (first <= today.pred_opt().unwrap_or(today), last >= today) {
        (true, true) => "; \"today\", \"yesterday\" and weekdays work too",
        (false, true) => "; \"today\" works too",
        _ => "",
    };
    format!("Type the day as {}{words}.", crate::clock::shapes(example))
}

/// "today", "yesterday", or "Mon 23 Nov" (with the year when it is not this year's).
pub fn day_phrase(d: NaiveDate, today: NaiveDate) -> String {
    crate::clock::relative_date(d, today)
}

/// "today", "yesterday", "on Mon 23 Nov": after a verb ("5 km today", "5 km on Mon 23 Nov").
pub fn on_day(d: NaiveDate, today: NaiveDate) -> String {
    let day = day_phrase(d, today);
    if d == today || Some(d) == today.pred_opt() { day } else { format!("on {day}") }
}

/// "Wed 1 Apr (31 days left, today included)", "Wed 1 Apr (ends today)", "ended on Sun 1 Mar":
/// days are counted the way pace counts them, today included.
pub fn deadline_phrase(challenge: &Challenge, today: NaiveDate) -> String {
    let mut deadline = long_day(challenge.deadline, today);
    // Its days end at midnight in its own zone: said when that is not the reader's.
    if let (Some(zone), Some(reader)) = (challenge.zone, crate::clock::person_zone())
        && zone != reader
    {
        deadline.push_str(&format!(", at midnight {} time", zone.name()));
    }
    match challenge.days_left(today) {
        d if d < 0 => format!("ended on {deadline}"),
        0 => format!("{deadline} (ends today)"),
        d => format!("{deadline} ({} days left, today included)", d + 1),
    }
}

/// "Mon 23 Nov", with the year when it is not this year's.
pub fn long_day(d: NaiveDate, today: NaiveDate) -> String {
    use chrono::Datelike;
    if d.year() == today.year() {
        crate::clock::friendly_date(d)
    } else {
        d.format("%a %-d %b %Y").to_string()
    }
}

/// An amount with the challenge's unit, as people read it: "12 345.5 km", "1 book", "3 books"
/// (the unit is user-supplied, so its own span).
pub fn quantity(text: Text, amount: Amount, unit: Option<&Unit>, bold: bool) -> Text {
    let number = amount.grouped();
    let text = if bold { text.bold(number) } else { text.plain(number) };
    match unit {
        Some(u) => {
            let text = if bold { text.bold(" ") } else { text.plain(" ") };
            let word = crate::text::unit_for(u.as_str(), amount.is_one()).into_owned();
            if bold { text.user_bold(word) } else { text.user(word) }
        }
        None => text,
    }
}

/// The same as plain characters, for button labels.
pub fn quantity_label(amount: Amount, unit: Option<&Unit>) -> String {
    match unit {
        Some(u) => format!("{} {}", amount.grouped(), crate::text::unit_for(u.as_str(), amount.is_one())),
        None => amount.grouped(),
    }
}

pub fn days_word(n: Amount) -> &'static str {
    if n == Amount::from_whole(1) { "day" } else { "days" }
}

/// What a goal asks for: "100 km in total", "at least 100 kg", "at most 70 kg", "30 days".
pub fn goal_phrase(text: Text, goal: Goal, unit: Option<&Unit>) -> Text {
    match goal.kind {
        GoalKind::Total => quantity(text, goal.target, unit, true).plain(" in total"),
        GoalKind::AtLeast => quantity(text.plain("at least "), goal.target, unit, true),
        GoalKind::AtMost => quantity(text.plain("at most "), goal.target, unit, true),
        GoalKind::Days => text.bold(format!("{} {}", goal.target, days_word(goal.target))),
    }
}

/// What a goal asks for, as plain characters: "100 km", "at least 100 kg", "30 days".
pub fn goal_label(goal: Goal, unit: Option<&Unit>) -> String {
    goal_phrase(Text::new(), goal, unit).to_plain()
}

/// How far someone is: "25 / 100 km", "12 / 30 days", "best 80 kg (goal: at least 100 kg)",
/// "latest 88 kg, from 95 kg (goal: at most 85 kg)".
pub fn figures(text: Text, goal: Goal, unit: Option<&Unit>, tally: &Tally) -> Text {
    match goal.kind {
        GoalKind::Total => {
            let text = text.bold(format!("{} / ", goal.current(tally).grouped()));
            quantity(text, goal.target, unit, true)
        }
        GoalKind::Days => {
            text.bold(format!("{} / {} {}", goal.current(tally), goal.target, days_word(goal.target)))
        }
        GoalKind::AtLeast | GoalKind::AtMost => {
            let text = match (goal.kind, tally.best, tally.first, tally.latest) {
                (GoalKind::AtLeast, Some(best), _, _) => quantity(text.plain("best "), best, unit, true),
                (GoalKind::AtMost, _, Some(first), Some(latest)) if tally.entries > 1 => {
                    let text = quantity(text.plain("latest "), latest, unit, true);
                    quantity(text.plain(", from "), first, unit, false)
                }
                (GoalKind::AtMost, _, _, Some(latest)) => quantity(text.plain("latest "), latest, unit, true),
                _ => text.plain("no value yet"),
            };
            goal_phrase(text.plain(" (goal: "), goal, unit).plain(")")
        }
    }
}

/// A person's standing, which ranks them: "33.7 km", "12 days", "best 80 kg", "down 7 kg
/// (95 → 88)"; "no entries yet" before the first.
pub fn standing_phrase(text: Text, kind: GoalKind, unit: Option<&Unit>, tally: &Tally) -> Text {
    if tally.entries == 0 {
        return text.italic("no entries yet");
    }
    let standing = kind.standing(tally);
    match kind {
        GoalKind::Total => quantity(text, standing, unit, true),
        GoalKind::Days => text.bold(format!("{standing} {}", days_word(standing))),
        GoalKind::AtLeast => quantity(text.plain("best "), standing, unit, true),
        GoalKind::AtMost => {
            let (first, latest) = (tally.first.unwrap_or_default(), tally.latest.unwrap_or_default());
            let text = match standing.hundredths().signum() {
                1 => quantity(text.plain("down "), standing, unit, true),
                -1 => {
                    quantity(text.plain("up "), Amount::from_hundredths(-standing.hundredths()), unit, true)
                }
                _ => text.bold("no change"),
            };
            text.plain(format!(" ({first} → {latest})"))
        }
    }
}

/// A ten-cell bar and the percentage: "██▌░░░░░░░ 25%".
pub fn bar(share: Share) -> String {
    let tenths = share.basis_points() / 1000;
    let half = (share.basis_points() % 1000) >= 500;
    let mut s = String::with_capacity(40);
    for i in 0..BAR_CELLS {
        s.push(if i < tenths {
            '█'
        } else if i == tenths && half {
            '▌'
        } else {
            '░'
        });
    }
    s
}

/// Figures then the bar on its own line.
pub fn progress_lines(text: Text, goal: Goal, unit: Option<&Unit>, tally: &Tally) -> Text {
    let share = goal.share(tally);
    figures(text, goal, unit, tally).newline().code(bar(share)).plain(format!(" {share}"))
}

pub fn main_menu_rows() -> Vec<Vec<Button>> {
    vec![
        vec![
            button("Create challenge", Action::Create),
            button("Join challenge", Action::Browse { page: 0 }),
        ],
        vec![button("My challenges", Action::Mine { page: 0 }), button("⚙️ Settings", Action::Settings)],
    ]
}

/// The main menu, after an optional note.
pub fn main_menu(note: Option<Text>) -> Reply {
    let text = match note {
        Some(note) => note.plain("\n\nWhat would you like to do?"),
        None => Text::new().plain("What would you like to do?"),
    };
    let mut reply = Reply::new(text);
    reply.buttons = main_menu_rows();
    reply
}

pub fn welcome(name: &DisplayName) -> Reply {
    main_menu(Some(
        Text::new()
            .plain("Hi ")
            .user(name.as_str())
            .plain("! I turn goals into challenges you can take on alone or with friends: set a deadline and a goal, log your progress, and see who is ahead."),
    ))
}

pub fn help() -> Text {
    Text::new()
        .bold("What I do")
        .plain("\nI turn goals into challenges with a deadline, alone or with others.\n\n")
        .bold("Create challenge")
        .plain(": give it a name, a description and a deadline, then say how progress counts (a total such as 100 km, a value to reach or to stay under, or a number of days) and the goal. It starts private: friends join through its invite link (👥 Invite on its screen), and you can make it public.\n")
        .bold("Join challenge")
        .plain(": pick a public challenge, or type a word of its name to find it, and set your own goal. A friend's invite link opens their private challenge.\n")
        .bold("My challenges")
        .plain(": log progress, change your goal, see the leaderboard or a chart of everyone's standings over time, look through your entries to change or delete one, or leave. The creator can also rename the challenge, move its deadline, export everyone's entries or delete it.\n\n")
        .bold("News")
        .plain(": I tell you when someone joins your challenge, passes you, or reaches a goal; 🔕 on such a message (or on the challenge's screen) mutes that challenge.\n\n")
        .bold("Reminders")
        .plain(": /settings sets your time zone (\"today\" is yours) and a daily reminder at the hour you choose, with a one-tap button for each challenge you have not logged that day; with it on, I also warn you at 20:00 when a streak would end that night. When a challenge ends, everyone in it gets the final standings.\n\n")
        .bold("Groups")
        .plain(": add me to a group and send /challenge there: anyone can create a challenge for the group, members join with one tap, log with /log 5 and see who leads with /standings.\n\n")
        .bold("How people rank")
        .plain(": by their standing in the challenge (the total, the days checked in, the best value, or for \"at most\" how far they came down from their first value), never by the share of a goal they set themselves. Entries for the last day can still be logged the day after the deadline.\n\n")
        .plain("Dates can be typed as 2026-11-28, 28.11 or 28 Nov; \"today\", \"yesterday\" and weekdays (\"mon\") work too.\n\n")
        .bold("The quick way")
        .plain(": tap a challenge on the main menu to log today's number (or check in), or just type the number, as in \"5\", \"5 km\" or \"5 yesterday\"; /log does the same from anywhere.\n\n")
        .bold("Commands")
        .plain("\n/start: the main menu\n/log: log progress\n/settings: your time zone and reminder\n/export: your entries as a CSV file\n/privacy: what I keep about you, and /deleteme to delete it\n/cancel: stop what you are doing\n/help: this message")
}

/// "an hour", "2 hours", "15 minutes", "a moment".
fn span_of(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        3600 => "an hour".into(),
        s if s >= 3600 && s % 3600 == 0 => format!("{} hours", s / 3600),
        s if s / 60 == 1 => "a minute".into(),
        s if s >= 60 => format!("{} minutes", s / 60),
        _ => "a moment".into(),
    }
}

pub fn expired_note(time_to_idle: Duration) -> Text {
    Text::new().italic(format!(
        "⏳ That conversation timed out after {} without a reply, so we are back at the start. Nothing was saved.",
        span_of(time_to_idle)
    ))
}

pub fn stale_note() -> Text {
    Text::new().italic("That question is no longer open, so that button does nothing now.")
}

pub fn invalid_button_note() -> Text {
    Text::new().italic("That button is not valid any more.")
}

pub fn not_understood_note() -> Text {
    Text::new().italic("I did not catch that. Choose one of the buttons, or send /help.")
}

pub fn use_buttons_note() -> Text {
    Text::new().italic("Please choose one of the buttons below (or send /cancel).")
}

/// Puts a note in front of a reply's text.
pub fn with_note(mut reply: Reply, note: Text) -> Reply {
    reply.text = note.plain("\n\n").append(reply.text);
    reply
}

/// A refusal (the domain's message) followed by the question again.
pub fn again(message: &str, question: Reply) -> Reply {
    // The question shows how to answer with an example: a refusal that brings its own (the
    // domain's messages, written to stand alone) would say it twice.
    let message = if question.text.to_plain().contains("for example") {
        without_example(message)
    } else {
        message.into()
    };
    with_note(question, Text::new().italic(format!("⚠️ {message}")))
}

/// A message without its ", for example …" parts ("Use at most two decimal places, for example
/// 12.25." → "Use at most two decimal places.").
fn without_example(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(", for example ") {
        out.push_str(&rest[..at]);
        // The example runs to the end of its sentence.
        rest = match rest[at..].find(". ") {
            Some(end) => &rest[at + end..],
            None if rest.ends_with('.') => ".",
            None => "",
        };
    }
    out.push_str(rest);
    out
}

pub fn cancel_row() -> Vec<Button> {
    vec![button("Cancel", Action::Cancel)]
}

pub fn back_to(challenge: crate::challenge::ChallengeId) -> Vec<Button> {
    vec![button("Cancel", Action::Open { challenge, page: 0 })]
}

pub fn amount_hint(unit: Option<&Unit>) -> Text {
    match unit {
        Some(u) => Text::new().plain(" (in ").user(u.as_str()).plain(", for example 5 or 2.5)"),
        None => Text::new().plain(" (a number, for example 5 or 2.5)"),
    }
}

/// A challenge's name, description, deadline and goal kind.
pub fn challenge_details(challenge: &Challenge, today: NaiveDate) -> Text {
    let mut text = Text::new().user_bold(challenge.name.as_str());
    if !challenge.description.is_empty() {
        text = text.plain("\n").user(challenge.description.as_str());
    }
    text.plain(format!("\n\nDeadline: {}", deadline_phrase(challenge, today)))
        .plain("\nHow progress counts: ")
        .bold(challenge.goal_kind.label())
        .plain(format!(" ({})", challenge.goal_kind.explanation()))
}

pub fn pages(total: u64) -> u32 {
    (total.div_ceil(u64::from(PAGE_SIZE))).max(1) as u32
}

/// "Previous" / "Next" buttons for a list.
pub fn nav_row(page: u32, total: u64, to: impl Fn(u32) -> Action) -> Vec<Button> {
    let mut row = Vec::new();
    if page > 0 {
        row.push(button("« Previous", to(page - 1)));
    }
    if page + 1 < pages(total) {
        row.push(button("Next »", to(page + 1)));
    }
    row
}

pub fn page_heading(text: Text, page: u32, total: u64) -> Text {
    if pages(total) > 1 { text.plain(format!(" (page {} of {})", page + 1, pages(total))) } else { text }
}

/// One line of a leaderboard: place, name, standing, then the person's own goal, their share of
/// it and ✅ when it is met. The viewer's own line (`me`; none in a group) is marked.
pub fn leaderboard_line(
    text: Text,
    r: &Ranked,
    goal_kind: GoalKind,
    unit: Option<&Unit>,
    me: Option<UserId>,
    today: NaiveDate,
) -> Text {
    let p = &r.standing.participant;
    let name = r.standing.display_name.clone().unwrap_or_else(|| DisplayName::fallback(p.user));
    let goal = Goal::from_stored(goal_kind, p.goal);
    let text = text.plain(format!("{}. ", r.rank));
    let text = if Some(p.user) == me {
        text.user_bold(name.as_str()).bold(" (you)")
    } else {
        text.user(name.as_str())
    };
    let text = standing_phrase(text.plain(": "), goal_kind, unit, &r.standing.tally).plain(" · goal ");
    let mut text = goal_short(text, goal, unit).plain(format!(" · {}", r.share));
    let run = r.standing.tally.streak.current_on(today);
    if run >= 2 {
        text = text.plain(format!(" · 🔥 {run}"));
    }
    if p.completed_at.is_some() { text.plain(" ✅") } else { text }
}

/// A goal in few words, for a leaderboard line: "50 km", "30 days", "≥ 100 kg", "≤ 85 kg".
pub fn goal_short(text: Text, goal: Goal, unit: Option<&Unit>) -> Text {
    match goal.kind {
        GoalKind::Total => quantity(text, goal.target, unit, false),
        GoalKind::Days => text.plain(format!("{} {}", goal.target, days_word(goal.target))),
        GoalKind::AtLeast => quantity(text.plain("≥ "), goal.target, unit, false),
        GoalKind::AtMost => quantity(text.plain("≤ "), goal.target, unit, false),
    }
}

/// Where someone is against finishing on time: "📈 3.2 km ahead of pace. To finish by Mon 1 Mar
/// you need 2.1 km a day (31 days left, today included)."
pub fn pace_lines(text: Text, challenge: &Challenge, pace: Pace, today: NaiveDate) -> Text {
    let unit = challenge.unit.as_ref();
    let kind = challenge.goal_kind;
    let by = long_day(challenge.deadline, today);
    let amount = |text: Text, a: Amount| match kind {
        GoalKind::Days => text.plain(format!("{} {}", a.grouped(), days_word(a))),
        _ => quantity(text, a, unit, false),
    };
    let ahead = pace.ahead.hundredths();
    let text = match ahead.signum() {
        1 => amount(text.plain("📈 "), pace.ahead).plain(" ahead of pace."),
        -1 => amount(text.plain("📉 "), Amount::from_hundredths(-ahead)).plain(" behind pace."),
        _ => text.plain("📈 Right on pace."),
    };
    let left = if pace.days_left == 1 {
        "today is the last day".to_owned()
    } else {
        format!("{} days left, today included", pace.days_left)
    };
    match kind {
        GoalKind::Days if !pace.reachable(kind) => text.plain(format!(
            " {} more days are needed and only {} left: the goal is out of reach.",
            pace.remaining, pace.days_left
        )),
        GoalKind::Days => text.plain(format!(
            " To finish by {by} you need {} more {} ({left}).",
            pace.remaining,
            days_word(pace.remaining)
        )),
        _ => quantity(text.plain(format!(" To finish by {by} you need ")), pace.per_day, unit, true)
            .plain(format!(" a day ({left}).")),
    }
}

/// "⬆️ You moved up to 2nd — passed Bob."
pub fn moved_up_line(text: Text, moved: &PlaceChange) -> Text {
    let text = text.plain(format!("⬆️ You moved up to {}", ordinal(moved.to)));
    let names: Vec<&DisplayName> = moved.passed.iter().collect();
    let mut text = if names.is_empty() { text } else { text.plain(" — passed ") };
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            text = text.plain(if i + 1 == names.len() { " and " } else { ", " });
        }
        text = text.user(name.as_str());
    }
    if moved.passed_count as usize > names.len() {
        text = text.plain(format!(" and {} more", moved.passed_count as usize - names.len()));
    }
    text.plain(".")
}

/// "🔥 5-day streak (1 freeze held)" for a run of two days or more that is still alive.
pub fn streak_phrase(streak: &Streak, today: NaiveDate) -> Option<String> {
    let run = streak.current_on(today);
    if run < 2 {
        return None;
    }
    let freezes = match streak.freezes_on(today) {
        0 => String::new(),
        1 => " (1 freeze held)".to_owned(),
        n => format!(" ({n} freezes held)"),
    };
    Some(format!("🔥 {run}-day streak{freezes}"))
}

/// "1st", "2nd", "3rd", "4th", "11th", "21st".
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The line announcing who first met the challenge's own goal.
pub fn first_finisher_line(text: Text, name: &DisplayName, is_me: bool) -> Text {
    let text = text.plain("🥇 First to finish: ");
    if is_me { text.user_bold(name.as_str()).bold(" (you)") } else { text.user(name.as_str()) }
}

/// The celebration of a goal reached by logging; the first to meet the challenge's own goal
/// hears that too.
pub fn celebration(challenge: &Challenge, goal: Goal, tally: &Tally, first_to_finish: bool) -> Reply {
    let text = Text::new()
        .bold("🎉 Goal reached!")
        .plain(" You hit your goal in ")
        .user_bold(challenge.name.as_str());
    let mut text = figures(text.plain(": "), goal, challenge.unit.as_ref(), tally).plain(". Well done!");
    if first_to_finish {
        text = text.plain("\n\n🥇 And you are the first to reach the challenge's own goal!");
    }
    Reply::new(text)
        .row(vec![button("Leaderboard", Action::Leaderboard { challenge: challenge.id })])
        .effect(format!("🎉 Goal reached in {}", challenge.name))
}

/// The first to meet the challenge's own goal, when their own goal was another (higher) one.
pub fn first_to_finish(challenge: &Challenge) -> Reply {
    let text = Text::new()
        .bold("🥇 First to finish!")
        .plain(" You are the first to reach the goal of ")
        .user_bold(challenge.name.as_str())
        .plain(". Keep going for your own!");
    Reply::new(text)
        .row(vec![button("Leaderboard", Action::Leaderboard { challenge: challenge.id })])
        .effect(format!("🥇 First to finish {}", challenge.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_drop_their_example_where_the_question_has_one() {
        assert_eq!(
            without_example(
                "\"lots\" is not a number. Type digits with an optional decimal point, for example 12.5."
            ),
            "\"lots\" is not a number. Type digits with an optional decimal point."
        );
        assert_eq!(
            without_example("Use a whole number, for example 30. Or stop."),
            "Use a whole number. Or stop."
        );
        assert_eq!(without_example("No example here."), "No example here.");
        let asked = Reply::new(Text::new().plain("How much? (for example 5 or 2.5)"));
        let shown = again("Use at most two decimal places, for example 12.25.", asked).text.to_plain();
        assert_eq!(shown.matches("for example").count(), 1, "{shown}");
        let plain = again("Use a whole number, for example 30.", Reply::new(Text::new().plain("How many?")));
        assert!(plain.text.to_plain().contains("for example 30"), "kept where the question has none");
    }

    #[test]
    fn bars() {
        assert_eq!(bar(Share::NONE), "░░░░░░░░░░");
        assert_eq!(bar(Share::FULL), "██████████");
        let quarter = Goal::from_stored(GoalKind::Total, Amount::from_whole(100))
            .share(&Tally { total: Amount::from_whole(25), ..Tally::default() });
        assert_eq!(bar(quarter), "██▌░░░░░░░");
    }

    #[test]
    fn spans_of_time() {
        assert_eq!(span_of(Duration::from_secs(3600)), "an hour");
        assert_eq!(span_of(Duration::from_secs(7200)), "2 hours");
        assert_eq!(span_of(Duration::from_secs(90)), "a minute");
        assert_eq!(span_of(Duration::from_secs(5400)), "90 minutes");
        assert_eq!(span_of(Duration::from_millis(200)), "a moment");
    }
}
