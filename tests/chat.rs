//! The terminal chat: in process on buffers, and as the `challenge-bot chat` process with piped
//! input, as a person would use it.

mod conversation_support;
mod storage_support;

use std::sync::Arc;

use assert_cmd::Command;
use challenge_bot::clock::Clock;
use challenge_bot::handler::App;
use challenge_bot::protocol::cli::chat::{ChatOptions, run_with};
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::user::{DisplayName, UserId};
use conversation_support::{TODAY, day};

async fn chat_in_process(app: &App, user: i64, name: &str, script: &str) -> String {
    let mut out = Vec::new();
    let options = ChatOptions { echo_input: true, ..ChatOptions::default() };
    let name = DisplayName::sanitize(name, UserId(user));
    run_with(app.clone(), UserId(user), name, script.as_bytes(), &mut out, &options).await.unwrap();
    String::from_utf8(out).unwrap()
}

#[track_caller]
fn has(output: &str, needle: &str) {
    assert!(output.contains(needle), "expected {needle:?} in:\n{output}");
}

#[tokio::test]
async fn in_process_buttons_are_numbered_and_lettered_for_numbers() {
    let app = App::new(Arc::new(MemoryStore::new()), Clock::Fixed(day(TODAY)));
    let out = chat_in_process(
        &app,
        1,
        "Ann",
        // Create, then 9 is not a choice on the menu; a number is an answer where one is asked.
        "9\n1\nRun\n1\n2026-04-30\n1\n1\n\n/help\n/cancel\n",
    )
    .await;
    has(&out, "challenge-bot chat: type a number to press a button");
    has(&out, "Hi Ann!");
    has(&out, "  [1] Create challenge   [2] Join challenge\n  [3] My challenges\n");
    has(&out, "> 9\nThere is no choice 9: choose 1 to 3, or type /help.");
    has(&out, "What is the challenge called?");
    has(&out, "  [1] Skip   [2] Cancel");
    has(&out, "What is the goal?");
    // Asking for a number: the Cancel button is [a], and "1" is the goal.
    has(&out, "  [a] Cancel");
    has(&out, "Challenge created!");
    has(&out, "Goal: 1 in total");
    has(&out, "Commands");
    has(&out, "Nothing to cancel.");
    assert!(out.ends_with("> \nBye!\n"), "leaves at the end of input:\n{out}");
    assert!(!out.contains('\u{1b}'), "no terminal escapes in piped output");
}

#[tokio::test]
async fn in_process_letters_press_buttons_when_a_number_is_asked() {
    let app = App::new(Arc::new(MemoryStore::new()), Clock::Fixed(day(TODAY)));
    chat_in_process(&app, 1, "Ann", "1\nRun\n1\n2026-04-30\n1\n10 km\n").await;
    let out = chat_in_process(&app, 2, "Bob", "2\n1\na\n").await;
    has(&out, "  [a] Use 10 km\n  [b] Back");
    has(&out, "> a\n\n✅ You joined Run!");
    has(&out, "Your goal: 10 km in total");
}

#[tokio::test]
async fn in_process_end_of_input_at_once() {
    let app = App::new(Arc::new(MemoryStore::new()), Clock::Fixed(day(TODAY)));
    let out = chat_in_process(&app, 1, "Ann", "").await;
    has(&out, "What would you like to do?");
    assert!(out.ends_with("Bye!\n"));
}

/// Runs `challenge-bot chat` on a database with `input` piped in; returns stdout.
fn chat_process(database: &str, user: &str, name: &str, input: &str) -> String {
    let output = Command::cargo_bin("challenge-bot")
        .unwrap()
        .args(["chat", "--user", user, "--user-name", name])
        .env("DATABASE_URL", database)
        .env("CHALLENGE_BOT_TODAY", TODAY)
        .env_remove("RUST_LOG")
        .write_stdin(input)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        output.status.success(),
        "chat failed: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(stderr.is_empty(), "nothing on stderr, got:\n{stderr}");
    stdout
}

#[test]
fn the_whole_story_in_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("x.db").display());

    // Ann creates a challenge and logs progress.
    let ann = chat_process(
        &database,
        "1",
        "Ann",
        "1\n<b>Run & Ride</b>\nEvery kilometre counts.\n2026-04-30\n1\n100 km\n1\n25.5\n1\n",
    );
    has(&ann, "Hi Ann!");
    has(&ann, "🏁 Challenge created!");
    has(&ann, "<b>Run & Ride</b>\nEvery kilometre counts.");
    has(&ann, "Deadline: 2026-04-30 (51 days left)");
    has(&ann, "Goal: 100 km in total");
    has(&ann, "✅ Logged 25.5 km for 2026-03-10 (today) in <b>Run & Ride</b>.");
    has(&ann, "Your progress: 25.5 / 100 km\n██▌░░░░░░░ 25%");
    assert!(ann.ends_with("Bye!\n"));

    // Bob, another process and another user, finds it, joins with his own goal and logs more.
    let bob = chat_process(&database, "2", "Bob", "2\n1\n50\n1\n30\n1\n2\n");
    has(&bob, "Challenges you can join");
    has(&bob, "1. <b>Run & Ride</b>: until 2026-04-30 (51 days left)");
    has(&bob, "What is your goal?");
    has(&bob, "✅ You joined <b>Run & Ride</b>!");
    has(&bob, "Your goal: 50 km in total");
    has(&bob, "Your progress: 30 / 50 km\n██████░░░░ 60%");
    has(
        &bob,
        "🏆 Leaderboard: <b>Run & Ride</b>\n\n1. Bob (you): 30 / 50 km · 60%\n2. Ann: 25.5 / 100 km · 25%",
    );

    // Ann comes back: her challenges, the challenge, the leaderboard with names, never ids.
    let ann = chat_process(&database, "1", "Ann", "3\n1\n3\n");
    has(&ann, "• <b>Run & Ride</b>: 25.5 / 100 km · 25%");
    has(&ann, "Rank: 2 of 2");
    has(&ann, "1. Bob: 30 / 50 km · 60%\n2. Ann (you): 25.5 / 100 km · 25%");
    assert!(!ann.contains("User 1") && !ann.contains("User 2"));
}

#[test]
fn commands_and_end_of_input_in_a_process() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = chat_process(&database, "7", "Cy", "/help\n1\n/cancel\nhello\n/start\n");
    has(&out, "Commands\n/start: the main menu");
    has(&out, "What is the challenge called?");
    has(&out, "> /cancel\n\nCancelled.");
    has(&out, "I did not catch that.");
    assert_eq!(out.matches("Hi Cy!").count(), 2, "welcomed at start and on /start");
    assert!(out.ends_with("> \nBye!\n"));
}
