//! The terminal chat: in process on buffers, and as the `challenge-bot chat` process with piped
//! input.

mod conversation_support;
mod storage_support;

use std::sync::Arc;

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

#[tokio::test]
async fn in_process_story() {
    let app = App::new(Arc::new(MemoryStore::new()), Clock::Fixed(day(TODAY)));
    let ann = chat_in_process(
        &app,
        1,
        "Ann",
        "1\nRun 100 km\nEvery run counts.\n2026-04-30\n1\n100 km\n1\n5.5\n1\n",
    )
    .await;
    println!("{ann}");
    let bob = chat_in_process(&app, 2, "Bob", "2\n1\n80\n1\n12\n1\n2\n").await;
    println!("{bob}");
    let ann2 = chat_in_process(&app, 1, "Ann", "3\n1\n3\n").await;
    println!("{ann2}");
}
