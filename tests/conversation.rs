//! The conversation engine, state by state: every transition, every kind of bad answer, /cancel
//! from each state, expiry, forged and stale buttons, and users who interleave. Tests that touch
//! the database run on the in-memory store, SQLite and PostgreSQL (which must be reachable: see
//! the README).

mod conversation_support;
mod storage_support;

use std::time::Duration;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeFilter, ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::ChallengeDraft;
use challenge_bot::handler::conversation::{Input, MAX_PAYLOAD_BYTES, Screen, Span, State};
use challenge_bot::repository::Page;
use challenge_bot::user::UserId;
use conversation_support::{Backend, Harness, TODAY, User, day};

// ----- helpers ------------------------------------------------------------------------------

/// Creates a challenge through the conversation and returns its id.
async fn create(user: &mut User<'_>, name: &str, deadline: &str, kind: &str, goal: &str) -> ChallengeId {
    user.send("/start").await;
    user.press("Create challenge").await;
    user.send(name).await;
    user.press("Skip").await;
    user.send(deadline).await;
    user.press(kind).await;
    user.send(goal).await;
    user.sees("Challenge created!");
    let open = user.payload("Open challenge");
    let id = open.split(':').nth(2).unwrap().parse().unwrap();
    // Made in the chat, it is private: the creator lists it for the others.
    user.sees("It is private");
    user.press("👥 Invite & visibility").await;
    user.press("🌍 Make public").await;
    user.sees("It is public now");
    ChallengeId(id)
}

/// Creates a challenge directly (for lists), as user `creator`.
async fn seed(
    h: &Harness,
    creator: i64,
    name: &str,
    deadline: &str,
    kind: GoalKind,
    goal: i64,
) -> ChallengeId {
    let draft = ChallengeDraft {
        name: ChallengeName::parse(name).unwrap(),
        description: Description::parse("").unwrap(),
        deadline: day(deadline),
        unit: Some(Unit::parse("km").unwrap()),
        goal: Goal::new(kind, Amount::from_whole(goal)).unwrap(),
        visibility: challenge_bot::challenge::Visibility::Public,
    };
    h.app().create_challenge(UserId(creator), draft).await.unwrap().id
}

fn open_payload(id: ChallengeId) -> String {
    format!("v1:o:{}:0", id.0)
}

/// Opens a challenge's options screen for a participant.
async fn open(user: &mut User<'_>, id: ChallengeId) {
    user.press_payload(&open_payload(id)).await;
    assert_eq!(user.state().await, "VIEW_CHALLENGE_OPTIONS", "{}", user.text());
}

async fn total_of(h: &Harness, id: ChallengeId, user: i64) -> String {
    let (_, tally) = h.app().standing(id, UserId(user)).await.unwrap();
    tally.total.to_string()
}

// ----- main menu, help, commands -----------------------------------------------------------

#[tokio::test]
async fn start_shows_the_main_menu_and_remembers_the_name() {
    let h = Harness::new(Backend::Memory).await;
    let mut ann = h.user(1, "Ann");
    assert_eq!(ann.state().await, "MAIN_INIT");
    ann.send("/start").await;
    ann.sees("Hi Ann!");
    ann.sees("What would you like to do?");
    assert_eq!(ann.labels(), ["Create challenge", "Join challenge", "My challenges", "⚙️ Settings"]);
    assert_eq!(ann.state().await, "MAIN_INIT");
    let id = seed(&h, 1, "Run", "2026-04-01", GoalKind::Total, 10).await;
    let board = h.app().overview(id, None).await.unwrap();
    assert_eq!(board.leaderboard[0].standing.display_name.as_ref().unwrap().as_str(), "Ann");
}

#[tokio::test]
async fn a_changed_display_name_is_stored_again() {
    let h = Harness::new(Backend::Memory).await;
    let id = seed(&h, 1, "Run", "2026-04-01", GoalKind::Total, 10).await;
    h.user(1, "Ann").send("/start").await;
    h.user(1, "Annie").send("hello").await;
    let board = h.app().overview(id, None).await.unwrap();
    assert_eq!(board.leaderboard[0].standing.display_name.as_ref().unwrap().as_str(), "Annie");
}

#[tokio::test]
async fn help_explains_and_keeps_the_question() {
    let h = Harness::new(Backend::Memory).await;
    let mut ann = h.user(1, "Ann");
    ann.send("/help").await;
    ann.sees("Create challenge");
    ann.sees("/cancel");
    ann.sees("28.11 or 28 Nov");
    ann.sees("/log");
    assert!(ann.has_button("My challenges"));

    ann.send("/start").await;
    ann.press("Create challenge").await;
    ann.send("/help").await;
    assert_eq!(ann.last.len(), 2, "help, then the question again");
    ann.sees("What is the challenge called?");
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_NAME");
    ann.send("Read 12 books").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_DETAIL");
}

#[tokio::test]
async fn unknown_commands_and_stray_text() {
    let h = Harness::new(Backend::Memory).await;
    let mut ann = h.user(1, "Ann");
    ann.send("/frobnicate").await;
    ann.sees("I do not know the command /frobnicate");
    assert!(ann.has_button("Create challenge"));
    ann.send("hello there").await;
    ann.sees("I did not catch that");
    assert!(ann.has_button("Join challenge"));

    ann.press("Create challenge").await;
    ann.send("/frobnicate").await;
    ann.sees("What is the challenge called?");
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_NAME", "an unknown command does not end the flow");
}

#[tokio::test]
async fn command_parsing() {
    assert_eq!(
        Input::from_message("/start@challenge_bot"),
        Input::Command { name: "start".into(), arg: None }
    );
    assert_eq!(Input::from_message("/HELP"), Input::Command { name: "help".into(), arg: None });
    assert_eq!(Input::from_message("2026-03-01"), Input::Text("2026-03-01".into()));
}

// ----- create -------------------------------------------------------------------------------

async fn create_flow(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    ann.send("/start").await;
    ann.press("Create challenge").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_NAME");
    ann.sees("What is the challenge called?");
    assert!(ann.has_button("Cancel"));

    ann.send("  <b>Tom & Jerry  ").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_DETAIL");
    ann.sees("Describe <b>Tom & Jerry in a sentence");
    assert!(
        ann.last[0].text.spans.contains(&Span::User { text: "<b>Tom & Jerry".into(), bold: true }),
        "user text is its own span, as typed: {:?}",
        ann.last[0].text.spans
    );

    ann.send("Run every day.\nLog kilometres.").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_DATE");
    ann.sees("Type the deadline as 2026-04-09, 9.4 or 9 Apr, or a weekday.");

    ann.send("2026-04-30").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_GOAL");
    ann.sees("How does progress count?");
    assert_eq!(&ann.labels()[..4], ["Total", "At least", "At most", "Days"]);

    ann.press("Total").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_GOAL");
    ann.sees("What is the goal?");

    ann.send("100 km").await;
    assert_eq!(ann.state().await, "MAIN_INIT");
    ann.sees("Challenge created!");
    ann.sees("<b>Tom & Jerry");
    ann.sees("Run every day.\nLog kilometres.");
    ann.sees("Deadline: Thu 30 Apr (52 days left, today included)");
    ann.sees("Goal: 100 km in total");
    assert!(ann.has_button("Add progress") && ann.has_button("Open challenge"));

    let list = h.app().list(ChallengeFilter::All, Page::ALL).await.unwrap();
    assert_eq!(list.total, 1);
    let c = &list.items[0];
    assert_eq!(c.name.as_str(), "<b>Tom & Jerry");
    assert_eq!(c.description.as_str(), "Run every day.\nLog kilometres.");
    assert_eq!(c.deadline, day("2026-04-30"));
    assert_eq!(c.start_date, day(TODAY));
    assert_eq!(c.unit.as_ref().unwrap().as_str(), "km");
    assert_eq!((c.goal_kind, c.default_goal), (GoalKind::Total, Amount::from_whole(100)));
    assert_eq!(h.app().participant(c.id, UserId(1)).await.unwrap().goal, Amount::from_whole(100));

    // Open it from the summary: the creator is in.
    ann.press("Open challenge").await;
    assert_eq!(ann.state().await, "VIEW_CHALLENGE_OPTIONS");
    ann.sees("Total: no entries yet · rank 1 of 1");
}

async fn create_with_shortcuts_and_every_kind(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    for (kind, goal, expected) in [
        ("At least", "100.5 kg", "at least 100.5 kg"),
        ("At most", "70kg", "at most 70 kg"),
        ("Days", "30 days", "30 days"),
        ("Total", "12", "12 in total"),
    ] {
        ann.send("/start").await;
        ann.press("Create challenge").await;
        ann.send(&format!("{kind} challenge")).await;
        ann.press("Skip").await;
        assert_eq!(ann.state().await, "CREATE_CHALLENGE_DATE");
        ann.press("In 30 days").await;
        assert_eq!(ann.state().await, "CREATE_CHALLENGE_GOAL");
        ann.press(kind).await;
        ann.send(goal).await;
        ann.sees("Challenge created!");
        ann.sees(expected);
        ann.sees("Deadline: Thu 9 Apr (31 days left, today included)");
    }
    // The kind can also be typed.
    ann.send("/start").await;
    ann.press("Create challenge").await;
    ann.send("Typed kind").await;
    ann.press("Skip").await;
    ann.press("In a week").await;
    ann.send("at least").await;
    ann.sees("What value must be reached?");
    ann.send("5").await;
    ann.sees("at least 5");
    let list = h.app().list(ChallengeFilter::All, Page::ALL).await.unwrap();
    let kinds: Vec<GoalKind> = list.items.iter().map(|c| c.goal_kind).collect();
    assert_eq!(
        kinds,
        [GoalKind::AtLeast, GoalKind::Total, GoalKind::Days, GoalKind::AtMost, GoalKind::AtLeast]
    );
    assert!(list.items[2].unit.is_none(), "no unit for days");
    assert!(list.items.iter().all(|c| c.description.is_empty()));
}

on_every_store!(create_flow, create_with_shortcuts_and_every_kind);

/// Sends a bad answer and checks the state stays and the question is asked again with `message`.
async fn refused(user: &mut User<'_>, answer: &str, message: &str, question: &str) {
    let before = user.conv.state_of(user.id).await;
    user.send(answer).await;
    user.sees(message);
    user.sees(question);
    assert_eq!(user.conv.state_of(user.id).await, before, "{answer:?} changed the state");
}

#[tokio::test]
async fn bad_answers_while_creating() {
    let h = Harness::new(Backend::Memory).await;
    let mut ann = h.user(1, "Ann");
    ann.send("/start").await;
    ann.press("Create challenge").await;
    let q = "What is the challenge called?";
    refused(&mut ann, "   ", "The name cannot be empty.", q).await;
    refused(&mut ann, "", "The name cannot be empty.", q).await;
    refused(&mut ann, &"x".repeat(101), "at most 100 characters (this one has 101)", q).await;
    refused(&mut ann, "two\nlines", "cannot contain control characters", q).await;
    ann.send(&"é".repeat(100)).await;

    let q = "in a sentence or two";
    refused(&mut ann, &"d".repeat(1001), "at most 1000 characters (this one has 1001)", q).await;
    refused(&mut ann, "bell\u{7}", "control characters", q).await;
    ann.send("ok").await;

    let q = "When does it end?";
    refused(&mut ann, "", "That is not a date I can read", q).await;
    refused(&mut ann, "31/12/2026", "Dates with slashes can be read two ways", q).await;
    refused(&mut ann, "next friday", "That is not a date I can read", q).await;
    refused(&mut ann, "2026-02-30", "2026-02-30 is not a date on the calendar.", q).await;
    refused(&mut ann, "today", "The deadline must be after today (2026-03-10).", q).await;
    refused(&mut ann, "yesterday", "The deadline must be after today", q).await;
    refused(&mut ann, "2026-01-01", "The deadline must be after today", q).await;
    refused(&mut ann, "2031-03-11", "at most 5 years ahead (until 2031-03-10)", q).await;
    ann.send("2031-03-10").await;

    refused(&mut ann, "weekly", "Choose how progress counts", "How does progress count?").await;
    ann.press("Total").await;
    let q = "What is the goal?";
    refused(&mut ann, "", "Please type a number", q).await;
    refused(&mut ann, "lots", "\"lots\" is not a number", q).await;
    refused(&mut ann, "1e3", "\"1e3\" is not a number", q).await;
    refused(&mut ann, "0", "The number must be greater than zero.", q).await;
    refused(&mut ann, "-5 km", "The number must be greater than zero.", q).await;
    refused(&mut ann, "1.234 km", "Use at most two decimal places", q).await;
    refused(&mut ann, "2000000000", "at most 1000000000", q).await;
    refused(&mut ann, "10 5k", "The unit cannot start with a digit", q).await;
    refused(&mut ann, "10 kilometres-per-week", "The unit can be 1 to 16 characters", q).await;

    // Back to the kinds: days refuse halves and units other than days.
    ann.press("Cancel").await;
    ann.press("Create challenge").await;
    ann.send("Meditate").await;
    ann.press("Skip").await;
    ann.press("In 30 days").await;
    ann.press("Days").await;
    let q = "How many days?";
    refused(&mut ann, "2.5", "A days goal is a whole number of days", q).await;
    refused(&mut ann, "30 km", "A days goal is a number of days", q).await;
    refused(&mut ann, "2000", "A days goal can be at most 1830 days.", q).await;
    ann.send("30").await;
    ann.sees("Challenge created!");
    assert_eq!(
        h.app().list(ChallengeFilter::All, Page::ALL).await.unwrap().total,
        1,
        "nothing stored on refusals"
    );
}

// ----- join ---------------------------------------------------------------------------------

async fn join_flow(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create(&mut ann, "Run 100 km", "2026-04-30", "Total", "100 km").await;

    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    bob.press("Join challenge").await;
    assert_eq!(bob.state().await, "JOIN_CHALLENGE_AVAILABLE");
    bob.sees("Challenges you can join");
    bob.sees("1. Run 100 km: until Thu 30 Apr (52 days left, today included)");
    bob.press("Run 100 km").await;
    assert_eq!(bob.state().await, "JOIN_CHALLENGE_GOAL");
    bob.sees("Run 100 km");
    bob.sees("How progress counts: Total");
    bob.sees("What is your goal?");
    bob.sees("suggested goal: 100 km in total");
    assert!(bob.has_button("Use 100 km"));
    assert!(bob.has_button("Back"));

    let q = "What is your goal?";
    refused(&mut bob, "", "Please type a number", q).await;
    refused(&mut bob, "many", "\"many\" is not a number", q).await;
    refused(&mut bob, "0", "greater than zero", q).await;
    refused(&mut bob, "12.345", "at most two decimal places", q).await;
    refused(&mut bob, "80 miles", "This challenge counts in km", q).await;
    assert!(h.app().participant(id, UserId(2)).await.is_err(), "not joined by refusals");

    bob.send("80 km").await;
    assert_eq!(bob.state().await, "MAIN_INIT");
    bob.sees("You joined Run 100 km!");
    bob.sees("Your goal: 80 km in total, by Thu 30 Apr (52 days left, today included).");
    assert_eq!(h.app().participant(id, UserId(2)).await.unwrap().goal, Amount::from_whole(80));

    // Joined challenges are no longer offered.
    bob.send("/start").await;
    bob.press("Join challenge").await;
    bob.sees("There are no public challenges to join right now");
    assert!(bob.has_button("Create challenge"));

    // The default goal, with the button.
    let mut cy = h.user(3, "Cy");
    cy.send("/start").await;
    cy.press("Join challenge").await;
    cy.press("Run 100 km").await;
    cy.press("Use 100 km").await;
    cy.sees("You joined Run 100 km!");
    assert_eq!(h.app().participant(id, UserId(3)).await.unwrap().goal, Amount::from_whole(100));
    // Pressing it again (an old message): already in, shown the challenge.
    cy.press_payload(&format!("v1:jd:{}", id.0)).await;
    cy.sees("You have already joined this challenge.");
    assert_eq!(cy.state().await, "VIEW_CHALLENGE_OPTIONS");
    // Picking it from an old list: the same.
    cy.press_payload(&format!("v1:j:{}:0", id.0)).await;
    cy.sees("You have already joined this challenge.");
}

async fn join_back_and_days_goal(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = seed(&h, 1, "Meditate", "2026-04-30", GoalKind::Days, 30).await;
    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    bob.press("Join challenge").await;
    bob.press("Meditate").await;
    bob.sees("Type a number of days");
    bob.press("Back").await;
    assert_eq!(bob.state().await, "JOIN_CHALLENGE_AVAILABLE");
    bob.press("Meditate").await;
    refused(&mut bob, "10.5", "whole number of days", "What is your goal?").await;
    bob.send("20 days").await;
    bob.sees("Your goal: 20 days");
    assert_eq!(h.app().participant(id, UserId(2)).await.unwrap().goal, Amount::from_whole(20));
}

on_every_store!(join_flow, join_back_and_days_goal);

async fn pagination(backend: Backend) {
    let h = Harness::new(backend).await;
    for i in 1..=20 {
        seed(&h, 1, &format!("Challenge {i:02}"), "2026-04-30", GoalKind::Total, 10).await;
    }
    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    bob.press("Join challenge").await;
    bob.sees("(page 1 of 3)");
    let names: Vec<String> = bob.labels().into_iter().filter(|l| l.starts_with("Challenge")).collect();
    assert_eq!(names.len(), 8);
    assert_eq!(names[0], "Challenge 20", "newest first");
    assert_eq!(names[7], "Challenge 13");
    assert!(!bob.has_button("« Previous") && bob.has_button("Next »"));
    bob.press("Next »").await;
    bob.sees("(page 2 of 3)");
    bob.sees("1. Challenge 12");
    bob.does_not_see("9. Challenge");
    assert!(bob.has_button("« Previous") && bob.has_button("Next »"));
    bob.press("Next »").await;
    bob.sees("(page 3 of 3)");
    assert_eq!(bob.labels().iter().filter(|l| l.starts_with("Challenge")).count(), 4);
    assert!(bob.has_button("« Previous") && !bob.has_button("Next »"));
    assert_eq!(
        bob.conv.state_of(bob.id).await,
        State::Screen(Screen::JoinChallengeAvailable { page: 2, search: None })
    );
    // Pick from page 3, then Back returns to page 3.
    bob.press("Challenge 01").await;
    bob.press("Back").await;
    bob.sees("(page 3 of 3)");
    // A page past the end (an old message, the list shrank) shows the last page.
    bob.press_payload("v1:b:7").await;
    bob.sees("(page 3 of 3)");

    // My challenges: join ten, page through them with their figures.
    for i in 1..=10 {
        bob.press_payload(&format!("v1:jd:{i}")).await;
        bob.sees("You joined");
    }
    bob.send("/start").await;
    bob.press("My challenges").await;
    assert_eq!(bob.state().await, "VIEW_CHALLENGE_JOINED");
    bob.sees("Your challenges (page 1 of 2)");
    bob.sees("• Challenge 10: 0 / 10 km · 0%");
    bob.press("Next »").await;
    bob.sees("Your challenges (page 2 of 2)");
    bob.sees("• Challenge 01");
    bob.press("Challenge 01").await;
    assert_eq!(bob.state().await, "VIEW_CHALLENGE_OPTIONS");
    bob.press("Back").await;
    bob.sees("(page 2 of 2)");
}

on_every_store!(pagination);

// ----- view, progress, goal, leaderboard, undo ----------------------------------------------

async fn view_and_add_progress(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create(&mut ann, "Run 100 km", "2026-04-30", "Total", "100 km").await;
    ann.send("/start").await;
    ann.press("My challenges").await;
    ann.sees("• Run 100 km: 0 / 100 km · 0%");
    ann.press("Run 100 km").await;
    assert_eq!(ann.state().await, "VIEW_CHALLENGE_OPTIONS");
    ann.sees("Deadline: Thu 30 Apr (52 days left, today included)");
    ann.sees("Your goal: 100 km in total");
    ann.sees("Your progress: 0 / 100 km\n░░░░░░░░░░ 0%");
    ann.sees("Total: no entries yet · rank 1 of 1");
    for label in ["Add progress", "Update goal", "Leaderboard", "Undo last entry", "Back"] {
        assert!(ann.has_button(label), "{label}");
    }
    ann.send("what now").await;
    ann.sees("Please choose one of the buttons");
    assert_eq!(ann.state().await, "VIEW_CHALLENGE_OPTIONS");

    ann.press("Add progress").await;
    assert_eq!(ann.state().await, "ADD_PROGRESS");
    ann.sees("How much did you do? (in km, for example 5 or 2.5)");
    let q = "How much did you do?";
    refused(&mut ann, "", "Please type a number", q).await;
    refused(&mut ann, "   ", "Please type a number", q).await;
    refused(&mut ann, "five", "\"five\" is not a number", q).await;
    refused(&mut ann, "0", "greater than zero", q).await;
    refused(&mut ann, "-2", "greater than zero", q).await;
    refused(&mut ann, "2.555", "at most two decimal places", q).await;
    refused(&mut ann, "5 mi", "This challenge counts in km", q).await;
    ann.send("25.5 km").await;
    assert_eq!(ann.state().await, "ADD_PROGRESS_DATE");
    ann.sees("25.5 km: which day is it for?");
    // Created today: yesterday is before the start, so there is no Yesterday button.
    assert_eq!(&ann.labels()[..2], ["Today", "Other date"]);
    ann.press("Today").await;
    assert_eq!(ann.state().await, "MAIN_INIT");
    ann.sees("✅ Logged 25.5 km for today in Run 100 km.");
    ann.sees("Your progress: 25.5 / 100 km\n██▌░░░░░░░ 25%");
    assert_eq!(total_of(&h, id, 1).await, "25.5");

    // A typed date, with bad dates first.
    ann.press("Add more").await;
    ann.send("4.5").await;
    ann.press("Other date").await;
    assert_eq!(ann.state().await, "ADD_PROGRESS_DATE_INPUT");
    let q = "Type the day as 2026-03-10, 10.3 or 10 Mar; \"today\" works too.";
    refused(&mut ann, "", "That is not a date I can read", q).await;
    refused(&mut ann, "03/10/2026", "Dates with slashes can be read two ways", q).await;
    refused(&mut ann, "2026-02-31", "not a date on the calendar", q).await;
    refused(&mut ann, "2026-03-11", "2026-03-11 is in the future", q).await;
    refused(&mut ann, "yesterday", "2026-03-09 is before the challenge started (2026-03-10)", q).await;
    ann.send("today").await;
    ann.sees("Logged 4.5 km for today");
    ann.sees("30 / 100 km");
    assert_eq!(total_of(&h, id, 1).await, "30");

    // A date typed straight at the day question works too.
    ann.press("Add more").await;
    ann.send("1").await;
    ann.send("2026-03-10").await;
    ann.sees("31 / 100 km");

    // Back on the options screen: the figures moved.
    ann.press("Back to challenge").await;
    ann.sees("Your progress: 31 / 100 km\n███░░░░░░░ 31%");
    ann.sees("Last entry: today");
}

async fn days_challenge_check_in(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = seed(&h, 1, "Meditate", "2026-04-30", GoalKind::Days, 2).await;
    // Seen a day later, so that yesterday is within the challenge.
    let later = h.on("2026-03-12");
    let mut ann = later.user(1, "Ann");
    open(&mut ann, id).await;
    ann.sees("Your progress: 0 / 2 days");
    ann.press("Check in").await;
    assert_eq!(ann.state().await, "ADD_PROGRESS_DATE", "no value is asked for a check-in");
    ann.sees("Check in for which day?");
    assert_eq!(&ann.labels()[..3], ["Today", "Yesterday", "Other date"]);
    ann.press("Yesterday").await;
    ann.sees("✅ Checked in for yesterday");
    ann.sees("1 / 2 days");
    assert_eq!(ann.last.len(), 1);
    ann.press("Check in again").await;
    ann.press("Today").await;
    ann.sees("2 / 2 days");
    assert_eq!(ann.last.len(), 2, "a celebration follows");
    ann.sees("🎉 Goal reached!");
    // After today's check-in there is no "Check in again"; from the challenge's screen, checking
    // in again the same day does not count another day, nor celebrate again.
    assert!(!ann.has_button("Check in again"), "{:?}", ann.labels());
    open(&mut ann, id).await;
    ann.press("Check in").await;
    ann.press("Today").await;
    ann.sees("2 / 2 days");
    assert_eq!(ann.last.len(), 1);
}

async fn celebration_only_the_first_time(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create(&mut ann, "Read", "2026-04-30", "Total", "10 pages").await;
    open(&mut ann, id).await;
    ann.press("Add progress").await;
    ann.send("6").await;
    ann.press("Today").await;
    assert_eq!(ann.last.len(), 1);
    ann.press("Add more").await;
    ann.send("4").await;
    ann.press("Today").await;
    assert_eq!(ann.last.len(), 2);
    assert_eq!(
        ann.last[1].text.to_plain(),
        "🎉 Goal reached! You hit your goal in Read: 10 / 10 pages. Well done!"
    );
    ann.press("Add more").await;
    ann.send("1").await;
    ann.press("Today").await;
    assert_eq!(ann.last.len(), 1, "no second celebration");
    ann.sees("11 / 10 pages\n██████████ 100%");
}

async fn idempotency_key_reaches_add_progress(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create(&mut ann, "Run", "2026-04-30", "Total", "100").await;
    open(&mut ann, id).await;
    ann.press("Add progress").await;
    ann.send("5").await;
    let today = ann.payload("Today");
    ann.with_key("tg:1001").press("Today").await;
    ann.sees("Logged 5 for today");
    // The same update handled again (redelivered after a crash, with its conversation state
    // lost or not): counted once.
    let mut again = h.user(1, "Ann");
    again.send("/start").await;
    again.press_payload(&format!("v1:p:{}", id.0)).await;
    again.send("5").await;
    again.with_key("tg:1001").press_payload(&today).await;
    again.sees("That entry was already logged; nothing was added.");
    again.sees("5 / 100");
    assert_eq!(total_of(&h, id, 1).await, "5");
}

on_every_store!(
    view_and_add_progress,
    days_challenge_check_in,
    celebration_only_the_first_time,
    idempotency_key_reaches_add_progress
);

async fn update_goal(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create(&mut ann, "Run", "2026-04-30", "Total", "100 km").await;
    open(&mut ann, id).await;
    ann.press("Add progress").await;
    ann.send("30").await;
    ann.press("Today").await;
    open(&mut ann, id).await;
    ann.press("Update goal").await;
    assert_eq!(ann.state().await, "UPSERT_GOAL");
    ann.sees("Your goal is 100 km in total. Type your new goal (in km");
    let q = "Type your new goal";
    refused(&mut ann, "", "Please type a number", q).await;
    refused(&mut ann, "lots", "is not a number", q).await;
    refused(&mut ann, "0", "greater than zero", q).await;
    refused(&mut ann, "50.123", "at most two decimal places", q).await;
    refused(&mut ann, "50 m", "This challenge counts in km", q).await;
    ann.send("120").await;
    assert_eq!(ann.state().await, "MAIN_INIT");
    ann.sees("🎯 Your goal in Run is now 120 km in total.");
    ann.sees("Your progress: 30 / 120 km\n██▌░░░░░░░ 25%");
    assert_eq!(ann.last.len(), 1);
    assert_eq!(h.app().participant(id, UserId(1)).await.unwrap().goal, Amount::from_whole(120));
    // Lowering the goal below the total marks it met, with a plain note: nothing was earned.
    ann.press("Back to challenge").await;
    ann.press("Update goal").await;
    ann.send("25 km").await;
    ann.sees("30 / 25 km");
    ann.sees("✅ Your entries already meet this goal, so it is marked as met.");
    assert_eq!(ann.last.len(), 1, "no celebration");
    ann.does_not_see("🎉");
    assert!(h.app().participant(id, UserId(1)).await.unwrap().completed_at.is_some());
    // Raising it again re-opens it.
    ann.press("Back to challenge").await;
    ann.press("Update goal").await;
    ann.send("40").await;
    ann.sees("This goal is not met yet: keep going!");
    assert!(h.app().participant(id, UserId(1)).await.unwrap().completed_at.is_none());
    // Logging one's way there is celebrated.
    ann.press("Add progress").await;
    ann.send("10").await;
    ann.press("Today").await;
    ann.sees("🎉 Goal reached!");
}

async fn leaderboard_top_ten_and_own_place(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut host = h.user(1, "Host");
    let id = create(&mut host, "Steps", "2026-04-30", "Total", "100 km").await;
    // Users 2..=13 join; user k logs (14 - k) * 5 km, so user 13 is last.
    for k in 2..=13 {
        let mut u = h.user(k, &format!("Runner {k}"));
        u.press_payload(&format!("v1:jd:{}", id.0)).await;
        u.press("Add progress").await;
        u.send(&((14 - k) * 5).to_string()).await;
        u.press("Today").await;
    }
    let mut last = h.user(13, "Runner 13");
    last.press_payload(&format!("v1:l:{}", id.0)).await;
    assert_eq!(last.state().await, "VIEW_CHALLENGE_OPTIONS");
    last.sees("🏆 Leaderboard: Steps");
    last.sees("1. Runner 2: 60 km · goal 100 km · 60%");
    last.sees("10. Runner 11: 15 km · goal 100 km · 15%");
    last.does_not_see("11. ");
    last.sees("…\n12. Runner 13 (you): 5 km · goal 100 km · 5%");
    last.does_not_see("Runner 12");
    last.does_not_see("Host");
    assert!(last.has_button("Back to challenge"));

    // Right after the top ten: no gap.
    let mut next = h.user(12, "Runner 12");
    next.press_payload(&format!("v1:l:{}", id.0)).await;
    next.sees("15%\n11. Runner 12 (you): 10 km · goal 100 km · 10%");
    next.does_not_see("…");

    // The host has logged nothing: last.
    let mut host = h.user(1, "Host");
    host.press_payload(&format!("v1:l:{}", id.0)).await;
    host.sees("…\n13. Host (you): no entries yet · goal 100 km · 0%");

    // Someone who has not joined may look, and is offered to join.
    let mut guest = h.user(99, "Guest");
    guest.press_payload(&format!("v1:l:{}", id.0)).await;
    guest.does_not_see("(you)");
    assert!(guest.has_button("Join it"));
    assert_eq!(guest.state().await, "MAIN_INIT");

    // The options screen shows the rank.
    open(&mut last, id).await;
    last.sees("Total: 5 km · rank 12 of 13");
}

async fn leaderboard_ties_and_completion(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create(&mut ann, "Read", "2026-04-30", "Total", "10").await;
    let mut bob = h.user(2, "Bob");
    bob.press_payload(&format!("v1:jd:{}", id.0)).await;
    // Bob completes first, then Ann: both at 100 %, Bob ahead.
    for user in [&mut bob, &mut ann] {
        user.press_payload(&format!("v1:p:{}", id.0)).await;
        user.send("10").await;
        user.press("Today").await;
    }
    ann.press("Leaderboard").await;
    ann.sees("1. Bob: 10 · goal 10 · 100% ✅\n2. Ann (you): 10 · goal 10 · 100% ✅");
    ann.sees("🥇 First to finish: Bob");
    ann.sees("Ranked by the total logged; ties go to whoever got there first.");
}

async fn undo_last_entry(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create(&mut ann, "Run", "2026-04-30", "Total", "10 km").await;
    open(&mut ann, id).await;
    ann.press("Undo last entry").await;
    ann.sees("You have no entries to undo in Run.");
    for v in ["4", "6"] {
        ann.press_payload(&format!("v1:p:{}", id.0)).await;
        ann.send(v).await;
        ann.press("Today").await;
    }
    assert!(h.app().participant(id, UserId(1)).await.unwrap().completed_at.is_some());
    open(&mut ann, id).await;
    ann.press("Undo last entry").await;
    ann.sees("Remove your last entry, 6 km today, from Run?");
    let confirm = ann.payload("Yes, remove it");
    ann.press("No, keep it").await;
    assert_eq!(total_of(&h, id, 1).await, "10");
    ann.press_payload(&confirm).await;
    ann.sees("↩️ Removed 6 km today.");
    ann.sees("4 / 10 km");
    assert_eq!(total_of(&h, id, 1).await, "4");
    assert!(h.app().participant(id, UserId(1)).await.unwrap().completed_at.is_none(), "completion re-judged");
    // The same confirmation again: that entry is gone, the next one is not removed by mistake.
    ann.press_payload(&confirm).await;
    ann.sees("That entry is no longer your last one, so nothing was removed.");
    assert_eq!(total_of(&h, id, 1).await, "4");
}

on_every_store!(
    update_goal,
    leaderboard_top_ten_and_own_place,
    leaderboard_ties_and_completion,
    undo_last_entry
);

// ----- cancel, expiry -----------------------------------------------------------------------

/// Scripts that bring user 2 to each state: `[Label]` presses a button, anything else is typed.
const SCRIPTS: [&[&str]; 14] = [
    &["/start"],
    &["/start", "[Join challenge]"],
    &["/start", "[Join challenge]", "[Other]"],
    &["/start", "[My challenges]"],
    &["/start", "[My challenges]", "[Run]"],
    &["/start", "[My challenges]", "[Run]", "[Add progress]"],
    &["/start", "[My challenges]", "[Run]", "[Add progress]", "5"],
    &["/start", "[My challenges]", "[Run]", "[Add progress]", "5", "[Other date]"],
    &["/start", "[My challenges]", "[Run]", "[Update goal]"],
    &["/start", "[Create challenge]"],
    &["/start", "[Create challenge]", "Name"],
    &["/start", "[Create challenge]", "Name", "[Skip]"],
    &["/start", "[Create challenge]", "Name", "[Skip]", "[In a week]"],
    &["/start", "[Create challenge]", "Name", "[Skip]", "[In a week]", "[Total]"],
];

/// Plays the i-th script for user 2 and returns the state reached.
async fn replay(h: &Harness, i: usize) -> &'static str {
    let mut u = h.user(2, "Bob");
    for step in SCRIPTS[i] {
        match step.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(label) => u.press(label).await,
            None => u.send(step).await,
        };
    }
    u.state().await
}

async fn cancel_from_every_state(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = seed(&h, 1, "Run", "2026-04-30", GoalKind::Total, 10).await;
    seed(&h, 1, "Other", "2026-04-30", GoalKind::Total, 10).await;
    h.app().join(id, UserId(2), None).await.unwrap();
    let mut reached = Vec::new();
    for i in 0..SCRIPTS.len() {
        reached.push(replay(&h, i).await);
    }
    assert_eq!(
        reached,
        [
            "MAIN_INIT",
            "JOIN_CHALLENGE_AVAILABLE",
            "JOIN_CHALLENGE_GOAL",
            "VIEW_CHALLENGE_JOINED",
            "VIEW_CHALLENGE_OPTIONS",
            "ADD_PROGRESS",
            "ADD_PROGRESS_DATE",
            "ADD_PROGRESS_DATE_INPUT",
            "UPSERT_GOAL",
            "CREATE_CHALLENGE_NAME",
            "CREATE_CHALLENGE_DETAIL",
            "CREATE_CHALLENGE_DATE",
            "CREATE_CHALLENGE_GOAL",
            "CREATE_CHALLENGE_GOAL",
        ],
        "every state of the design document is reachable"
    );
    let mut bob = h.user(2, "Bob");
    for (i, expected) in reached.iter().enumerate() {
        assert_eq!(replay(&h, i).await, *expected);
        bob.send("/cancel").await;
        bob.sees(if *expected == "MAIN_INIT" { "Nothing to cancel." } else { "Cancelled." });
        bob.sees("What would you like to do?");
        assert!(bob.has_button("Create challenge"));
        assert_eq!(bob.state().await, "MAIN_INIT", "after /cancel in {expected}");
    }
    // Nothing was stored by the cancelled flows.
    assert_eq!(h.app().list(ChallengeFilter::All, Page::ALL).await.unwrap().total, 2);
    assert_eq!(total_of(&h, id, 2).await, "0");
    assert_eq!(h.app().participant(id, UserId(2)).await.unwrap().goal, Amount::from_whole(10));
}

on_every_store!(cancel_from_every_state);

#[tokio::test]
async fn cancel_buttons_leave_flows() {
    let h = Harness::new(Backend::Memory).await;
    let id = seed(&h, 1, "Run", "2026-04-30", GoalKind::Total, 10).await;
    let mut ann = h.user(1, "Ann");
    ann.press_payload("v1:c").await;
    ann.press("Cancel").await;
    ann.sees("Cancelled.");
    assert_eq!(ann.state().await, "MAIN_INIT");
    // Inside a challenge, Cancel goes back to the challenge.
    open(&mut ann, id).await;
    ann.press("Add progress").await;
    ann.press("Cancel").await;
    assert_eq!(ann.state().await, "VIEW_CHALLENGE_OPTIONS");
    ann.press("Update goal").await;
    ann.press("Cancel").await;
    assert_eq!(ann.state().await, "VIEW_CHALLENGE_OPTIONS");
}

#[tokio::test(start_paused = true)]
async fn expired_state_gets_a_note_and_the_main_menu() {
    // The design document's hour to idle, on tokio's paused clock: time moves only when told.
    let h = Harness::new(Backend::Memory).await;
    let minutes = |m: u64| tokio::time::advance(Duration::from_secs(m * 60));
    let mut ann = h.user(1, "Ann");
    ann.send("/start").await;
    ann.press("Create challenge").await;
    ann.send("Run").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_DETAIL");
    // Each answer within the hour restarts it.
    minutes(59).await;
    ann.send("desc").await;
    minutes(59).await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_DATE");
    minutes(2).await;
    assert_eq!(ann.state().await, "MAIN_INIT", "expired");
    ann.send("2026-04-30").await;
    ann.sees("⏳ That conversation timed out after an hour without a reply");
    ann.sees("Nothing was saved.");
    ann.sees("What would you like to do?");
    assert!(ann.has_button("Create challenge"));
    assert_eq!(h.conv.cache_stats().expirations, 1);
    // The note is given once.
    ann.send("2026-04-30").await;
    ann.sees("I did not catch that");

    // A button answering an expired question: the same note.
    ann.press("Create challenge").await;
    ann.send("Run").await;
    let skip = ann.payload("Skip");
    minutes(61).await;
    ann.press_payload(&skip).await;
    ann.sees("timed out");
    assert_eq!(ann.state().await, "MAIN_INIT");

    // /cancel after expiry says so too.
    ann.press("Create challenge").await;
    minutes(61).await;
    ann.send("/cancel").await;
    ann.sees("timed out");
    assert_eq!(h.conv.cache_stats().expirations, 3);
    assert_eq!(h.app().list(ChallengeFilter::All, Page::ALL).await.unwrap().total, 0);

    // Long after (past the note window of another hour) the state is simply gone.
    ann.press("Create challenge").await;
    minutes(121).await;
    ann.send("Run").await;
    ann.sees("I did not catch that");
}

#[tokio::test(start_paused = true)]
async fn navigation_buttons_work_after_expiry() {
    let h = Harness::new(Backend::Memory).await;
    let id = seed(&h, 1, "Run", "2026-04-30", GoalKind::Total, 10).await;
    let mut ann = h.user(1, "Ann");
    open(&mut ann, id).await;
    tokio::time::advance(Duration::from_secs(90 * 60)).await;
    ann.press("Add progress").await;
    assert_eq!(ann.state().await, "ADD_PROGRESS", "the payload says all that is needed");
    ann.does_not_see("timed out");
}

#[tokio::test]
async fn evictions_are_counted_and_bounded() {
    let cache = challenge_bot::handler::conversation::CacheConfig { capacity: 50, ..Default::default() };
    let h = Harness::with_cache(Backend::Memory, cache).await;
    for id in 0..500 {
        h.user(id, "U").press_payload("v1:c").await;
    }
    h.conv.run_pending_tasks().await;
    let stats = h.conv.cache_stats();
    assert!(stats.entries <= 50, "{stats:?}");
    assert!(stats.evictions >= 450, "{stats:?}");
}

// ----- forged and stale buttons -------------------------------------------------------------

async fn forged_and_stale_payloads(backend: Backend) {
    let h = Harness::new(backend).await;
    let mine = seed(&h, 1, "Mine", "2026-04-30", GoalKind::Total, 10).await;
    let theirs = seed(&h, 3, "Theirs", "2026-04-30", GoalKind::Total, 10).await;
    let ending = seed(&h, 1, "Ending", "2026-03-11", GoalKind::Total, 10).await;
    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:p:{}", mine.0)).await;
    ann.send("3").await;
    ann.press("Today").await;
    let totals =
        || async { (total_of(&h, mine, 1).await, h.app().participant(theirs, UserId(1)).await.is_err()) };
    let before = totals().await;

    // Unknown challenge, for every action that names one.
    for payload in [
        "v1:j:999:0",
        "v1:jd:999",
        "v1:o:999:0",
        "v1:p:999",
        "v1:g:999",
        "v1:l:999",
        "v1:u:999",
        "v1:uy:999:1",
    ] {
        ann.press_payload(payload).await;
        ann.sees("There is no challenge #999.");
        assert!(ann.has_button("Create challenge"), "{payload}: main menu");
        assert_eq!(ann.state().await, "MAIN_INIT");
    }
    // Not a participant.
    for action in ["o", "p", "g", "u"] {
        let payload = match action {
            "o" => format!("v1:o:{}:0", theirs.0),
            a => format!("v1:{a}:{}", theirs.0),
        };
        ann.press_payload(&payload).await;
        ann.sees(&format!("You have not joined challenge #{}.", theirs.0));
        assert_eq!(ann.state().await, "MAIN_INIT");
    }
    // Someone else's entry id in an undo confirmation is not theirs to remove.
    ann.press_payload(&format!("v1:uy:{}:1", theirs.0)).await;
    ann.sees("You have not joined");

    // Garbage, unknown versions, too long.
    let long = format!("v1:p:{}", "1".repeat(MAX_PAYLOAD_BYTES));
    for payload in
        ["", "hello", "v1", "v1:", "v1:p", "v1:p:abc", "v1:p:-1", "v1:p:01", "v2:m", "v1:zz:1", &long]
    {
        ann.press_payload(payload).await;
        ann.sees("That button is not valid any more.");
        assert_eq!(ann.state().await, "MAIN_INIT");
    }
    let exactly_64 = format!("v1:j:1:{}", "0".repeat(MAX_PAYLOAD_BYTES - 7));
    assert_eq!(exactly_64.len(), MAX_PAYLOAD_BYTES);
    ann.press_payload(&exactly_64).await;
    ann.sees("That button is not valid any more.");

    // Answers to questions that are not being asked.
    for payload in ["v1:s", "v1:dl:7", "v1:k:t", &format!("v1:d:{}:t", mine.0)] {
        ann.press_payload(payload).await;
        ann.sees("That question is no longer open");
        assert_eq!(ann.state().await, "MAIN_INIT");
    }
    // A day button for another challenge than the one asked about.
    ann.press_payload(&format!("v1:p:{}", mine.0)).await;
    ann.send("2").await;
    ann.press_payload(&format!("v1:d:{}:t", ending.0)).await;
    ann.sees("That question is no longer open");
    assert_eq!(totals().await, before, "nothing changed");

    // The day after its deadline, the day of grace: no more joining or goals, but the last
    // day's entries can still be logged.
    let grace = h.on("2026-03-12");
    let mut ann = grace.user(1, "Ann");
    for payload in
        [format!("v1:g:{}", ending.0), format!("v1:jd:{}", ending.0), format!("v1:j:{}:0", ending.0)]
    {
        ann.press_payload(&payload).await;
        ann.sees("This challenge ended on 2026-03-11.");
        assert_eq!(ann.state().await, "MAIN_INIT");
    }
    ann.press_payload(&open_payload(ending)).await;
    ann.sees(
        "The deadline has passed: entries for it and earlier days can still be logged today, Thu 12 Mar.",
    );
    ann.press("Add progress").await;
    ann.send("3").await;
    ann.press("Yesterday").await;
    ann.sees("✅ Logged 3 km for yesterday in Ending.");
    ann.press_payload(&format!("v1:p:{}", ending.0)).await;
    ann.send("1").await;
    ann.press("Today").await;
    ann.sees("2026-03-12 is after the challenge's deadline (2026-03-11).");

    // The day after that, logging is closed and the standings are final.
    let later = h.on("2026-03-13");
    let mut ann = later.user(1, "Ann");
    for payload in [format!("v1:p:{}", ending.0), format!("v1:u:{}", ending.0), format!("v1:g:{}", ending.0)]
    {
        ann.press_payload(&payload).await;
        ann.sees("This challenge ended on 2026-03-11");
        assert_eq!(ann.state().await, "MAIN_INIT");
    }
    ann.press_payload(&format!("v1:p:{}", ending.0)).await;
    ann.sees("its standings are final");
    // Its page and final standings remain, without the actions.
    ann.press_payload(&open_payload(ending)).await;
    ann.sees("This challenge has ended; its standings are final.");
    ann.sees("ended on Wed 11 Mar");
    assert!(!ann.has_button("Add progress") && ann.has_button("Final standings"));
    ann.press("Final standings").await;
    ann.sees("🏆 Final standings: Ending");
    ann.press("Back to challenge").await;
    ann.press("Back").await;
    ann.sees("Ended challenges");
    ann.sees("Ending: 🏆 1st of 1 · 3 km (ended Wed 11 Mar)");
}

on_every_store!(forged_and_stale_payloads);

#[tokio::test]
async fn a_progress_date_refused_after_a_button_asks_for_a_typed_date() {
    let h = Harness::new(Backend::Memory).await;
    let id = seed(&h, 1, "Run", "2026-03-11", GoalKind::Total, 10).await;
    // The challenge started on the 10th; on the 11th "Yesterday" is fine, "Today" too.
    let later = h.on("2026-03-11");
    let mut ann = later.user(1, "Ann");
    ann.press_payload(&format!("v1:p:{}", id.0)).await;
    ann.send("1").await;
    ann.press("Yesterday").await;
    ann.sees("for yesterday");
}

// ----- users interleaving, storage failures, reply modes ------------------------------------

async fn two_users_interleave(backend: Backend) {
    let h = Harness::new(backend).await;
    let id = seed(&h, 1, "Shared", "2026-04-30", GoalKind::Total, 10).await;
    let mut ann = h.user(1, "Ann");
    let mut bob = h.user(2, "Bob");
    ann.send("/start").await;
    bob.send("/start").await;
    ann.press("Create challenge").await;
    bob.press("Join challenge").await;
    ann.send("Ann's challenge").await;
    bob.press("Shared").await;
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_DETAIL");
    assert_eq!(bob.state().await, "JOIN_CHALLENGE_GOAL");
    // Bob's typed number is his goal, not Ann's description.
    bob.send("7").await;
    bob.sees("You joined Shared!");
    ann.send("Ann's words").await;
    ann.sees("When does it end?");
    // Bob presses a create-flow button while not creating: Ann's flow is untouched.
    bob.press_payload("v1:s").await;
    bob.sees("That question is no longer open");
    assert_eq!(ann.state().await, "CREATE_CHALLENGE_DATE", "Bob's press did not touch Ann's state");
    ann.send("2026-05-01").await;
    ann.press("Total").await;
    bob.press_payload(&format!("v1:p:{}", id.0)).await;
    ann.send("3 laps").await;
    ann.sees("Challenge created!");
    ann.sees("Ann's words");
    bob.send("2").await;
    bob.press("Today").await;
    bob.sees("2 / 7 km");
    assert_eq!(h.app().participant(id, UserId(2)).await.unwrap().goal, Amount::from_whole(7));
    assert!(h.app().participant(id, UserId(1)).await.is_ok());
    assert_eq!(total_of(&h, id, 1).await, "0");
}

on_every_store!(two_users_interleave);

#[tokio::test]
async fn many_users_concurrently_keep_their_own_state() {
    let h = Harness::new(Backend::Memory).await;
    let id = seed(&h, 1, "Run", "2026-04-30", GoalKind::Total, 1000).await;
    for u in 2..=41 {
        h.app().join(id, UserId(u), None).await.unwrap();
    }
    let tasks = (2..=41).map(|u| {
        let h = &h;
        async move {
            let mut user = h.user(u, &format!("U{u}"));
            for _ in 0..3 {
                user.press_payload(&format!("v1:p:{}", id.0)).await;
                tokio::task::yield_now().await;
                user.send(&u.to_string()).await;
                tokio::task::yield_now().await;
                user.press("Today").await;
            }
        }
    });
    futures_join_all(tasks).await;
    for u in 2..=41 {
        assert_eq!(total_of(&h, id, u).await, (3 * u).to_string(), "user {u}");
    }
}

/// A minimal join_all (no extra dependency).
async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut pending: Vec<_> = set.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut all = true;
        for slot in pending.iter_mut() {
            if let Some(f) = slot {
                if f.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    all = false;
                }
            }
        }
        if all { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
}

#[tokio::test]
async fn storage_failure_leaves_the_state_for_a_retry() {
    let h = Harness::new(Backend::Memory).await;
    let id = seed(&h, 1, "Run", "2026-04-30", GoalKind::Total, 10).await;
    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:p:{}", id.0)).await;
    ann.send("4").await;
    let today = ann.payload("Today");
    let memory = h.memory.as_ref().unwrap();
    memory.set_unavailable(true);
    let failure = ann.try_input(Input::Button(today.clone())).await.unwrap_err();
    assert!(failure.is_unavailable());
    assert!(failure.reply().text.to_plain().contains("Something went wrong"));
    assert_eq!(ann.state().await, "ADD_PROGRESS_DATE", "state kept for the retry");
    memory.set_unavailable(false);
    ann.press_payload(&today).await;
    ann.sees("4 / 10");
    // A new user's first input while the database is down: their name could not be stored.
    memory.set_unavailable(true);
    let mut new = h.user(5, "New");
    assert!(new.try_input(Input::from_message("/start")).await.is_err());
    memory.set_unavailable(false);
    new.send("/start").await;
    new.sees("Hi New!");
}

#[tokio::test]
async fn reply_modes() {
    let h = Harness::new(Backend::Memory).await;
    let id = seed(&h, 1, "Read", "2026-04-30", GoalKind::Total, 1).await;
    let mut ann = h.user(1, "Ann");
    // Checked by the harness on every reply: a press replaces its message with the first reply,
    // anything else is new. Here the celebration after a press is a new message.
    ann.press_payload(&format!("v1:p:{}", id.0)).await;
    ann.send("1").await;
    ann.press("Today").await;
    assert_eq!(ann.last.len(), 2);
    use challenge_bot::handler::conversation::ReplyMode;
    assert_eq!(ann.last[0].mode, ReplyMode::EditOriginal);
    assert_eq!(ann.last[1].mode, ReplyMode::New);
    ann.send("/help").await;
    assert!(ann.last.iter().all(|r| r.mode == ReplyMode::New));
}
