//! The terminal chat: in process on buffers, and as the `challenge-bot chat` process with piped
//! input, as a person would use it.

mod conversation_support;
mod storage_support;

use std::sync::Arc;

use assert_cmd::Command;
use challenge_bot::challenge::{ChallengeId, Visibility};
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
        // At the menu a number is progress (Ann has no challenge yet), so its choices are letters;
        // where free text is asked, choices are #1, #2; a list's choices are numbers.
        "9\na\nRun\n#1\n2026-04-30\n1\n1\n\n/help\n/cancel\n",
    )
    .await;
    has(&out, "challenge-bot chat: type a choice's number or letter to press it");
    has(&out, "Hi Ann!");
    has(&out, "  [a] Create challenge   [b] Join challenge\n  [c] My challenges   [d] ⚙️ Settings\n");
    has(
        &out,
        "> 9\n\nThat looks like progress, but you are not in a running challenge: join or create one first.",
    );
    has(&out, "  [1] Total   [2] At least");
    has(&out, "What is the challenge called?");
    has(&out, "  [#1] Skip   [#2] Cancel");
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
    chat_in_process(&app, 1, "Ann", "a\nRun\n#1\n2026-04-30\n1\n10 km\n").await;
    // Made in the chat, it is private: Ann lists it.
    app.set_visibility(Some(UserId(1)), ChallengeId(1), Visibility::Public).await.unwrap();
    let out = chat_in_process(&app, 2, "Bob", "b\n1\na\n").await;
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

/// The tag of the button labelled `label` on the last screen of `output` (`"3"`, `"c"`, `"#2"`).
fn tag_of(output: &str, label: &str) -> String {
    let cell = output
        .rsplit(&format!("] {label}"))
        .nth(1)
        .unwrap_or_else(|| panic!("no button {label:?} in:\n{output}"));
    cell.rsplit('[').next().unwrap().to_owned()
}

#[tokio::test]
async fn in_process_charts_and_exports_are_written_as_files_with_a_sparkline() {
    let app = App::new(Arc::new(MemoryStore::new()), Clock::Fixed(day(TODAY)));
    chat_in_process(&app, 1, "Ann", "a\nRun\n#1\n2026-04-30\n1\n100 km\n5\n").await;
    let dir = tempfile::tempdir().unwrap();
    let options =
        ChatOptions { echo_input: true, files_dir: dir.path().to_owned(), ..ChatOptions::default() };
    let chat = |script: String| {
        let (app, options) = (app.clone(), options.clone());
        async move {
            let mut out = Vec::new();
            let name = DisplayName::sanitize("Ann", UserId(1));
            run_with(app, UserId(1), name, script.as_bytes(), &mut out, &options).await.unwrap();
            String::from_utf8(out).unwrap()
        }
    };
    // From the menu to the challenge's screen, then its chart.
    let mine = tag_of(&chat(String::new()).await, "My challenges");
    let run = tag_of(&chat(format!("{mine}\n")).await, "Run");
    let chart = tag_of(&chat(format!("{mine}\n{run}\n")).await, "📈 Chart");
    let out = chat(format!("{mine}\n{run}\n{chart}\n/export\n")).await;
    let png_path = dir.path().join("chart-1-1.png");
    has(&out, &format!("Saved the chart to {}\nYou: ", png_path.display()));
    has(&out, "You: 1st of 1 · 5 km");
    let sparkline =
        out.split(&format!("{}\nYou: ", png_path.display())).nth(1).unwrap().lines().next().unwrap();
    assert!(sparkline.ends_with('█') && sparkline.chars().all(|c| "▁▂▃▄▅▆▇█ ".contains(c)), "{sparkline:?}");
    let png = std::fs::read(&png_path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let csv_path = dir.path().join("my-entries.csv");
    has(&out, &format!("Saved your entries to {}", csv_path.display()));
    let csv = std::fs::read_to_string(csv_path).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with(&format!("1,Run,{TODAY},5,km,")), "{csv}");
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
        // After creating it, a typed number is progress in her only challenge.
        "a\n<b>Run & Ride</b>\nEvery kilometre counts.\n2026-04-30\n1\n100 km\n25.5\n",
    );
    has(&ann, "Hi Ann!");
    has(&ann, "🏁 Challenge created!");
    has(&ann, "<b>Run & Ride</b>\nEvery kilometre counts.");
    has(&ann, "Deadline: Thu 30 Apr (52 days left, today included)");
    has(&ann, "Goal: 100 km in total");
    has(&ann, "✅ Logged 25.5 km for today in <b>Run & Ride</b>.");
    has(&ann, "Your progress: 25.5 / 100 km\n██▌░░░░░░░ 25%");
    assert!(ann.ends_with("Bye!\n"));
    // Made in the chat, it is private: listed for the others by the operator.
    Command::cargo_bin("challenge-bot")
        .unwrap()
        .args(["challenge", "visibility", "1", "public"])
        .env("DATABASE_URL", &database)
        .env("CHALLENGE_BOT_TODAY", TODAY)
        .assert()
        .success();

    // Bob, another process and another user, finds it, joins with his own goal and logs more.
    let bob = chat_process(&database, "2", "Bob", "b\n1\n50\n30\nd\n");
    has(&bob, "Challenges you can join");
    has(&bob, "1. <b>Run & Ride</b>: until Thu 30 Apr (52 days left, today included)");
    has(&bob, "What is your goal?");
    has(&bob, "✅ You joined <b>Run & Ride</b>!");
    has(&bob, "Your goal: 50 km in total");
    has(&bob, "Your progress: 30 / 50 km\n██████░░░░ 60%");
    has(&bob, "⬆️ You moved up to 1st — passed Ann.");
    has(
        &bob,
        "🏆 Leaderboard: <b>Run & Ride</b>\n\n1. Bob (you): 30 km · goal 50 km · 60%\n2. Ann: 25.5 km · goal 100 km · 25%",
    );

    // Ann comes back: her challenges, the challenge, the leaderboard with names, never ids.
    let ann = chat_process(&database, "1", "Ann", "d\n1\nc\n");
    has(&ann, "• <b>Run & Ride</b>: 25.5 / 100 km · 25%");
    has(&ann, "Total: 25.5 km · rank 2 of 2");
    has(&ann, "1. Bob: 30 km · goal 50 km · 60%\n2. Ann (you): 25.5 km · goal 100 km · 25%");
    has(&ann, "Ranked by the total logged; ties go to whoever got there first.");
    assert!(!ann.contains("User 1") && !ann.contains("User 2"));
}

#[test]
fn commands_and_end_of_input_in_a_process() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = chat_process(&database, "7", "Cy", "/help\na\n/cancel\nhello\n/start\n");
    has(&out, "Commands\n/start: the main menu");
    has(&out, "What is the challenge called?");
    has(&out, "> /cancel\n\nCancelled.");
    has(&out, "I did not catch that.");
    assert_eq!(out.matches("Hi Cy!").count(), 2, "welcomed at start and on /start");
    assert!(out.ends_with("> \nBye!\n"));
}

/// Runs `challenge-bot chat` with raw bytes piped in; returns stdout.
fn chat_bytes(database: &str, user: &str, input: &[u8]) -> String {
    let output = Command::cargo_bin("challenge-bot")
        .unwrap()
        .args(["chat", "--user", user, "--user-name", "Ann"])
        .env("DATABASE_URL", database)
        .env("CHALLENGE_BOT_TODAY", TODAY)
        .env_remove("RUST_LOG")
        .write_stdin(input.to_vec())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn numbers_can_be_names_and_bad_lines_and_a_byte_order_mark_are_survived() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("x.db").display());
    // A byte-order mark before the first line; a name and a description that are numbers; a line
    // that is not UTF-8 in between.
    let mut input = b"\xEF\xBB\xBFa\n2026\n1\nbad \xFF line\n2026-04-30\n1\n5\n".to_vec();
    input.extend_from_slice(b"/start\n");
    let out = chat_bytes(&database, "1", &input);
    has(&out, "What is the challenge called?");
    has(&out, "Describe 2026 in a sentence or two");
    has(&out, "That line was not valid text (UTF-8), so it was ignored; please type it again.");
    has(&out, "🏁 Challenge created!\n\n2026\n1\n\nDeadline: Thu 30 Apr");
    assert_eq!(out.matches("Hi Ann!").count(), 2, "the chat went on to the end:\n{out}");
}

#[test]
fn numbers_typed_on_a_later_page_mean_what_that_page_shows() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("x.db").display());
    for i in 1..=10 {
        Command::cargo_bin("challenge-bot")
            .unwrap()
            .args([
                "challenge",
                "create",
                "--user",
                "1",
                "--name",
                &format!("C{i}"),
                "--deadline",
                "2026-04-30",
                "--visibility",
                "public",
            ])
            .args(["--goal", "5"])
            .env("DATABASE_URL", &database)
            .env("CHALLENGE_BOT_TODAY", TODAY)
            .assert()
            .success();
    }
    // Join challenge; page 1 lists C10..C3 as 1–8, then [9] Next »; on page 2, 1 is C2.
    let out = chat_bytes(&database, "2", b"b\n9\n1\n");
    has(&out, "  [9] Next »");
    has(&out, "(page 2 of 2)\n\n1. C2: until");
    let after = out.rsplit_once("> 1\n").expect("the last choice").1;
    assert!(after.contains("C2\n\nDeadline:") && after.contains("What is your goal?"), "{after}");
}

/// A terminal for the chat: the binary runs on the slave side of a pseudo-terminal, as in a real
/// terminal (line editing, raw mode, Ctrl-C as a key); the test types on the master side.
#[cfg(unix)]
mod terminal {
    use std::io::{Read, Write};
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    pub struct Terminal {
        master: std::fs::File,
        screen: Arc<Mutex<Vec<u8>>>,
        child: std::process::Child,
    }

    impl Terminal {
        /// `term` is the terminal type: `xterm` gets rustyline's raw mode, `dumb` its plain
        /// reading in cooked mode (where Ctrl-C is a signal).
        pub fn start(database: &str, today: &str, term: &str) -> Terminal {
            let (mut master, mut slave) = (0, 0);
            let opened = unsafe {
                libc::openpty(
                    &mut master,
                    &mut slave,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                    std::ptr::null(),
                )
            };
            assert_eq!(opened, 0, "openpty");
            let slave = unsafe { OwnedFd::from_raw_fd(slave) };
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_challenge-bot"));
            command
                .args(["chat", "--user", "1", "--user-name", "Ann"])
                .env("DATABASE_URL", database)
                .env("CHALLENGE_BOT_TODAY", today)
                .env("TERM", term)
                .env_remove("RUST_LOG")
                .stdin(slave.try_clone().unwrap())
                .stdout(slave.try_clone().unwrap())
                .stderr(slave);
            unsafe {
                use std::os::unix::process::CommandExt;
                command.pre_exec(|| {
                    // A session of its own with the terminal as its controlling terminal.
                    libc::setsid();
                    libc::ioctl(0, libc::TIOCSCTTY, 0);
                    Ok(())
                });
            }
            let child = command.spawn().expect("start challenge-bot chat");
            let master = unsafe { std::fs::File::from_raw_fd(master) };
            let screen = Arc::new(Mutex::new(Vec::new()));
            let mut reader = master.try_clone().unwrap();
            let into = screen.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    into.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
            Terminal { master, screen, child }
        }

        pub fn screen(&self) -> String {
            String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
        }

        /// Waits until what was printed after `from` bytes contains `text`; returns the new length.
        pub fn wait_for(&self, text: &str, from: usize) -> usize {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let screen = self.screen.lock().unwrap().clone();
                let tail = String::from_utf8_lossy(&screen[from.min(screen.len())..]).into_owned();
                if let Some(at) = tail.find(text) {
                    return from + at + text.len();
                }
                assert!(Instant::now() < deadline, "{text:?} never appeared; the screen:\n{}", self.screen());
                std::thread::sleep(Duration::from_millis(20));
            }
        }

        pub fn type_keys(&mut self, keys: &[u8]) {
            self.master.write_all(keys).unwrap();
            self.master.flush().unwrap();
        }

        /// Waits for the chat to end by itself; its exit status.
        pub fn wait_for_exit(&mut self) -> std::process::ExitStatus {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    return status;
                }
                assert!(Instant::now() < deadline, "the chat did not end; the screen:\n{}", self.screen());
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    impl Drop for Terminal {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(unix)]
#[test]
fn in_a_terminal_lines_typed_ahead_are_all_answered() {
    typed_ahead_and_ctrl_c("xterm");
}

#[cfg(unix)]
#[test]
fn in_a_dumb_terminal_lines_typed_ahead_are_all_answered() {
    typed_ahead_and_ctrl_c("dumb");
}

#[cfg(unix)]
fn typed_ahead_and_ctrl_c(term: &str) {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("x.db").display());
    let mut terminal = terminal::Terminal::start(&database, TODAY, term);
    let at = terminal.wait_for("What would you like to do?", 0);
    terminal.wait_for("> ", at);
    // Everything at once, as fast typing or a paste sends it (Enter is a carriage return).
    terminal.type_keys(b"a\rFast name\rFast desc\r2026-04-30\r1\r100 km\r");
    let at = terminal.wait_for("Challenge created!", 0);
    terminal.wait_for("Goal: 100 km in total", at);
    let screen = terminal.screen();
    assert!(screen.contains("Fast name") && screen.contains("Fast desc"), "{screen}");
    // Ctrl-C cancels the question being asked ([a] is Add progress now); at the menu a second
    // one leaves.
    let at = terminal.wait_for("> ", at);
    terminal.type_keys(b"a\r");
    let at = terminal.wait_for("How much did you do?", at);
    let at = terminal.wait_for("> ", at);
    terminal.type_keys(b"\x03");
    let at = terminal.wait_for("Cancelled.", at);
    let at = terminal.wait_for("> ", at);
    terminal.type_keys(b"\x03");
    terminal.wait_for("Bye!", at);
    assert!(terminal.wait_for_exit().success());
}
