//! The scripted commands against what a hostile probe tried (issue 8): keys reused across users
//! and challenges, output that cannot be written, read-only files, goals that cannot be met,
//! escape sequences, invisible text, and settings that were not what they seemed.

mod cli_support;
mod storage_support;

use std::process::Stdio;

use cli_support::Bot;
use serde_json::json;

const DAY0: &str = "2026-11-30";

/// Challenge #1 "Run" (user 1, Ann), total in km, deadline 2026-12-31; user 2 (Bob) joined.
fn run_with_bob(bot: &Bot) {
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--user-name",
        "Ann",
        "--name",
        "Run",
        "--deadline",
        "2026-12-31",
        "--goal",
        "100",
        "--unit",
        "km",
    ]);
    bot.ok(&["challenge", "join", "1", "--user", "2", "--user-name", "Bob"]);
}

fn total(bot: &Bot, challenge: &str, user: &str) -> serde_json::Value {
    bot.json(&["progress", "list", challenge, "--user", user])["status"]["total"].clone()
}

/// A key belongs to one participant: the same key from another user, or in another challenge,
/// is a new entry; the same key and value again is the same entry; another value is refused.
fn keys_belong_to_one_participant(bot: &Bot) {
    run_with_bob(bot);
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "2",
        "--name",
        "Swim",
        "--deadline",
        "2026-12-31",
        "--goal",
        "10",
    ]);
    let ann = bot.json(&["progress", "add", "1", "--user", "1", "5", "--key", "run-2026-11-30"]);
    assert_eq!(ann["duplicate"], false);
    let bob = bot.json(&["progress", "add", "1", "--user", "2", "10", "--key", "run-2026-11-30"]);
    assert_eq!(bob["duplicate"], false, "Bob's entry is his own: {bob}");
    assert_eq!(bob["entry"]["value"], 10);
    assert_eq!(bob["status"]["total"], 10);
    let elsewhere = bot.json(&["progress", "add", "2", "--user", "2", "3", "--key", "run-2026-11-30"]);
    assert_eq!(elsewhere["duplicate"], false, "another challenge is another entry");
    assert_eq!(
        (total(bot, "1", "1"), total(bot, "1", "2"), total(bot, "2", "2")),
        (json!(5), json!(10), json!(3))
    );

    // A retry: the entry stored the first time, nothing new.
    let again = bot.json(&["progress", "add", "1", "--user", "2", "10", "--key", "run-2026-11-30"]);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["entry"]["id"], bob["entry"]["id"]);
    let text = bot.ok(&["progress", "add", "1", "--user", "2", "10", "--key", "run-2026-11-30"]);
    assert!(text.contains("Already recorded"), "{text}");
    assert_eq!(total(bot, "1", "2"), json!(10));

    // Another value under a used key: refused, one line, nothing stored.
    let message = bot.fails_with(&["progress", "add", "1", "--user", "2", "11", "--key", "run-2026-11-30"]);
    assert!(message.starts_with("--key: ") && message.contains("already used"), "{message}");
    assert_eq!(total(bot, "1", "2"), json!(10));
}

#[test]
fn keys_belong_to_one_participant_on_sqlite() {
    keys_belong_to_one_participant(&Bot::sqlite(DAY0));
}

#[test]
fn keys_belong_to_one_participant_on_postgres() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, guard) = runtime.block_on(storage_support::fresh_postgres_url());
    keys_belong_to_one_participant(&Bot::with_url(url, guard, DAY0));
}

#[test]
fn a_stored_entry_whose_output_cannot_be_written_exits_3_and_a_retry_is_safe() {
    let bot = Bot::sqlite(DAY0);
    run_with_bob(&bot);
    let full = std::fs::File::options().write(true).open("/dev/full").expect("/dev/full");
    let out = bot
        .std_command(&["progress", "add", "1", "--user", "2", "5", "--key", "k1"])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.starts_with("error: the change was stored, but its output could not be written"),
        "{stderr}"
    );
    assert_eq!(total(&bot, "1", "2"), json!(5), "it was stored");
    let retry = bot.json(&["progress", "add", "1", "--user", "2", "5", "--key", "k1"]);
    assert_eq!(retry["duplicate"], true);
    assert_eq!(total(&bot, "1", "2"), json!(5), "the retry stored nothing twice");
    // A command that only reads exits 1 when its output cannot be written.
    let full = std::fs::File::options().write(true).open("/dev/full").unwrap();
    let out = bot.std_command(&["challenge", "list"]).stdout(Stdio::from(full)).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let help = bot.ok(&["--help"]);
    assert!(help.contains("3 when a change was stored but its output could not be written"), "{help}");
}

/// Runs the binary as the user `nobody` when the tests run as root (file permissions bind
/// everyone else), so that a read-only file is read-only for it.
#[cfg(unix)]
fn as_unprivileged(mut cmd: std::process::Command) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    if unsafe { libc::geteuid() } == 0 {
        cmd.uid(65534).gid(65534);
    }
    cmd
}

#[cfg(unix)]
#[test]
fn a_read_only_database_can_be_read_and_refuses_writes_in_one_line() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = dir.path().join("ro.db");
    let url = format!("sqlite://{}", file.display());
    let bot = Bot::with_url(url.clone(), (), DAY0);
    run_with_bob(&bot);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let run = |args: &[&str]| {
        let mut cmd = std::process::Command::new(cli_support::binary());
        cmd.args(args)
            .env_clear()
            .env("DATABASE_URL", &url)
            .env("CHALLENGE_BOT_TODAY", DAY0)
            .current_dir("/");
        as_unprivileged(cmd).output().unwrap()
    };
    let list = run(&["challenge", "list"]);
    let stderr = String::from_utf8_lossy(&list.stderr);
    assert_eq!(list.status.code(), Some(0), "{stderr}");
    assert!(String::from_utf8_lossy(&list.stdout).contains("Run"));
    let show = run(&["challenge", "show", "1", "--json"]);
    assert_eq!(show.status.code(), Some(0), "{}", String::from_utf8_lossy(&show.stderr));
    let write = run(&["progress", "add", "1", "--user", "2", "5"]);
    let stderr = String::from_utf8_lossy(&write.stderr).into_owned();
    assert_eq!(write.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("read-only"), "{stderr}");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn days_goals_must_be_reachable_and_a_date_is_checked_in_once() {
    let bot = Bot::sqlite(DAY0);
    // 2026-11-30 to 2026-12-06 is 7 days, both included.
    let message = bot.fails_with(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Meditate",
        "--kind",
        "days",
        "--deadline",
        "2026-12-06",
        "--goal",
        "30",
    ]);
    assert!(
        message.starts_with("--goal: That goal cannot be reached") && message.contains("7 days"),
        "{message}"
    );
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Meditate",
        "--kind",
        "days",
        "--deadline",
        "2026-12-06",
        "--goal",
        "7",
    ]);
    let message = bot.fails_with(&["challenge", "join", "1", "--user", "2", "--goal", "8"]);
    assert!(message.starts_with("--goal: That goal cannot be reached"), "{message}");
    bot.ok(&["challenge", "join", "1", "--user", "2", "--goal", "5"]);
    let message = bot.fails_with(&["goal", "set", "1", "--user", "2", "1830"]);
    assert!(message.starts_with("GOAL: That goal cannot be reached"), "{message}");

    bot.ok(&["progress", "add", "1", "--user", "2"]);
    let message = bot.fails_with(&["progress", "add", "1", "--user", "2", "--date", DAY0]);
    assert_eq!(message, "You already checked in for Mon 30 Nov: one check-in per day counts.");
    let status = &bot.json(&["progress", "list", "1", "--user", "2"])["status"];
    assert_eq!((status["days"].clone(), status["entries"].clone()), (json!(1), json!(1)));
    // A day later, with one day done and six left (Dec 1–6), 7 is still reachable, 8 is not.
    let later = bot.on("2026-12-01");
    later.ok(&["goal", "set", "1", "--user", "2", "7"]);
    assert!(later.fails_with(&["goal", "set", "1", "--user", "2", "8"]).contains("can be at most 7"));
}

#[test]
fn input_echoed_in_errors_shows_escape_sequences_instead_of_running_them() {
    let bot = Bot::sqlite(DAY0);
    run_with_bob(&bot);
    let clear = "\u{1b}[2J\u{1b}[H";
    let cases: Vec<Vec<String>> = vec![
        vec!["challenge".into(), "show".into(), clear.into()],
        vec!["challenge".into(), "list".into(), "--user".into(), clear.into()],
        vec!["progress".into(), "add".into(), "1".into(), "--user".into(), "2".into(), clear.into()],
        vec![
            "challenge".into(),
            "create".into(),
            "--user".into(),
            "1".into(),
            "--name".into(),
            "x".into(),
            "--deadline".into(),
            "2026-12-31".into(),
            "--goal".into(),
            "5".into(),
            "--kind".into(),
            clear.into(),
        ],
    ];
    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let message = bot.fails_with(&args);
        assert!(!message.contains('\u{1b}'), "{args:?}: {message:?}");
        assert!(message.contains("\\e[2J"), "{args:?}: {message:?}");
    }
    let out = bot.command(&["challenge", "list"]).env("CHALLENGE_BOT_TZ", clear).output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.starts_with("error: CHALLENGE_BOT_TZ: ") && !stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn invisible_and_direction_control_text_is_refused_or_stripped() {
    let bot = Bot::sqlite(DAY0);
    let create = |name: &str, unit: &str| {
        bot.run(&[
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            name,
            "--deadline",
            "2026-12-31",
            "--goal",
            "5",
            "--unit",
            unit,
        ])
    };
    for blank in ["\u{200B}", "\u{FEFF}", "\u{034F}", "\u{115F}", "\u{2800}\u{2800}", "\u{2066}"] {
        let out = create(blank, "km");
        assert_eq!(out.code, 1, "name {blank:?}: {}", out.stderr);
        assert!(out.stderr.starts_with("error: --name: The name cannot be empty"), "{}", out.stderr);
        let out = create("Run", blank);
        assert_eq!(out.code, 1, "unit {blank:?}: {}", out.stderr);
        assert!(out.stderr.starts_with("error: --unit: "), "{}", out.stderr);
    }
    for number_like in ["-5", ".5", "５km", "٣km"] {
        let out = create("Run", number_like);
        assert_eq!(out.code, 1, "unit {number_like:?}");
        assert!(out.stderr.contains("cannot start with a digit"), "{}", out.stderr);
    }
    // A right-to-left override is removed; a line separator is a line break, refused in a name.
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Run\u{202E} fast",
        "--deadline",
        "2026-12-31",
        "--goal",
        "5",
    ]);
    assert_eq!(bot.json(&["challenge", "show", "1"])["challenge"]["name"], "Run fast");
    let out = create("a\u{2028}b", "km");
    assert!(out.stderr.contains("control characters such as line breaks"), "{}", out.stderr);
    let out = bot.run(&["challenge", "join", "1", "--user", "2", "--user-name", "\u{200B}\u{2800}"]);
    assert!(out.stderr.starts_with("error: --user-name: "), "{}", out.stderr);
    // 100 characters as people see them, whatever the code points.
    let thumbs = "👍🏽".repeat(100);
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        &thumbs,
        "--deadline",
        "2026-12-31",
        "--goal",
        "5",
    ]);
    let out = create(&"👍🏽".repeat(101), "km");
    assert!(out.stderr.contains("at most 100 characters (this one has 101)"), "{}", out.stderr);
}

#[test]
fn tables_line_up_with_wide_characters() {
    let bot = Bot::sqlite(DAY0);
    for name in ["跑步", "Run"] {
        bot.ok(&[
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            name,
            "--deadline",
            "2026-12-31",
            "--goal",
            "5",
        ]);
    }
    let table = bot.ok(&["challenge", "list"]);
    let columns: Vec<usize> = table
        .lines()
        .map(|line| {
            let kind = line.find("KIND").or_else(|| line.find("total")).unwrap();
            unicode_width::UnicodeWidthStr::width(&line[..kind])
        })
        .collect();
    assert!(columns.windows(2).all(|w| w[0] == w[1]), "the KIND column starts at one width:\n{table}");
}

#[test]
fn keys_may_hold_spaces_and_settings_say_what_is_wrong() {
    let bot = Bot::sqlite(DAY0);
    run_with_bob(&bot);
    let spaced = bot.json(&["progress", "add", "1", "--user", "2", "1", "--key", "a b"]);
    assert_eq!(spaced["entry"]["idempotency_key"], "a b");

    let blank = bot.command(&["challenge", "list"]).env("DATABASE_URL", "   ").output().unwrap();
    let stderr = String::from_utf8(blank.stderr).unwrap();
    assert_eq!(blank.status.code(), Some(1));
    assert!(stderr.starts_with("error: DATABASE_URL: is blank"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let fragment = format!("sqlite://{}/x.db#frag", dir.path().display());
    let out = bot.command(&["challenge", "list"]).env("DATABASE_URL", &fragment).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("no \"#\" part"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file named x.db#frag");

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let bad = std::ffi::OsStr::from_bytes(b"Europe/Berl\xffin");
        let out = bot.command(&["challenge", "list"]).env("CHALLENGE_BOT_TZ", bad).output().unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.starts_with("error: CHALLENGE_BOT_TZ: is not valid UTF-8"), "{stderr}");
        let out = bot
            .command(&["bot"])
            .env("TELEGRAM_BOT_TOKEN", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_")
            .env("TELEGRAM_API_URL", std::ffi::OsStr::from_bytes(b"http://\xff"))
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("TELEGRAM_API_URL") && stderr.contains("UTF-8"), "{stderr}");
    }

    let out = bot
        .command(&["bot"])
        .env("TELEGRAM_BOT_TOKEN", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_")
        .env("TELEGRAM_RATE_PER_CHAT", "1e-20")
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "refused, not a panic: {stderr}");
    assert!(stderr.starts_with("error: TELEGRAM_RATE_PER_CHAT is not valid"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn commands_that_need_existing_data_create_no_database() {
    let bot = Bot::sqlite(DAY0);
    let file = bot.file().unwrap().to_owned();
    let missing = format!("There is no database at {}", file.display());
    for args in [
        vec!["challenge", "list"],
        vec!["challenge", "show", "1"],
        vec!["challenge", "join", "1", "--user", "2"],
        vec!["progress", "add", "1", "--user", "2", "5"],
        vec!["progress", "list", "1", "--user", "2"],
        vec!["goal", "set", "1", "--user", "2", "5"],
    ] {
        let message = bot.fails_with(&args);
        assert!(message.starts_with(&missing), "{args:?}: {message}");
        assert!(!file.exists(), "{args:?} created {}", file.display());
    }
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Run",
        "--deadline",
        "2026-12-31",
        "--goal",
        "5",
    ]);
    assert!(file.exists());
}

#[test]
fn chat_keeps_a_stored_name_and_new_users_get_their_login_name() {
    let bot = Bot::sqlite(DAY0);
    run_with_bob(&bot);
    bot.ok(&["challenge", "join", "1", "--user", "3", "--user-name", "Carol"]);
    let chat = |user: &str| {
        let out = bot
            .command(&["chat", "--user", user])
            .env("USER", "root")
            .write_stdin("/start\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(chat("3").contains("Hi Carol!"));
    bot.ok(&["challenge", "join", "1", "--user", "4"]);
    assert!(chat("4").contains("Hi root!"), "someone new is known by their login name");
    let names: Vec<serde_json::Value> = bot.json(&["challenge", "show", "1"])["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    assert!(names.contains(&json!("Carol")), "chat did not rename Carol: {names:?}");
    assert!(names.contains(&json!("root")), "{names:?}");
    assert!(chat("3").contains("Hi Carol!"), "still Carol");
}

#[test]
fn a_deadline_past_the_year_9999_is_refused_not_retried() {
    let bot = Bot::sqlite("9999-12-31");
    let out = bot
        .command(&["chat", "--user", "1", "--user-name", "Ann"])
        .write_stdin("a\nRun\n#1\n1\n")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout.contains("No deadline can be set: dates after 9999-12-31 are not supported."), "{stdout}");
    assert!(!stdout.contains("try again"), "{stdout}");
}
