//! The scripted commands, end to end: the real binary, a database of its own per test (SQLite in
//! a temporary directory; one story also on PostgreSQL), "today" pinned with
//! `CHALLENGE_BOT_TODAY`.

mod cli_support;
mod storage_support;

use cli_support::Bot;
use serde_json::{Value, json};

const DAY0: &str = "2026-11-01";
const DAY1: &str = "2026-11-02";
const DAY9: &str = "2026-11-10";

/// Creates challenge #1 "Run 100 km" (user 1, Ann) on DAY0, deadline 2026-12-31.
fn run_challenge(bot: &Bot) {
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--user-name",
        "Ann",
        "--name",
        "Run 100 km",
        "--description",
        "Any pace counts.",
        "--deadline",
        "2026-12-31",
        "--goal",
        "100",
        "--unit",
        "km",
    ]);
}

/// The whole story: create, join, set a goal, log progress on several dates, list it, show the
/// leaderboard with exact totals and ranks, reach a goal.
fn story(bot: &Bot) {
    let created = bot.on(DAY0).json(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--user-name",
        "Ann",
        "--name",
        "  Run 100 km ",
        "--description",
        "Any pace counts.",
        "--deadline",
        "2026-12-31",
        "--goal",
        "100",
        "--unit",
        "km",
    ]);
    let challenge = &created["challenge"];
    assert_eq!(challenge["id"], 1);
    assert_eq!(challenge["name"], "Run 100 km", "trimmed");
    assert_eq!(challenge["start_date"], DAY0);
    assert_eq!(challenge["deadline"], "2026-12-31");
    assert_eq!(challenge["kind"], "total");
    assert_eq!(challenge["default_goal"], 100);
    assert_eq!(challenge["days_left"], 60);
    assert_eq!(created["participant"]["user_id"], 1);

    let day1 = bot.on(DAY1);
    let joined = day1.json(&["challenge", "join", "1", "--user", "2", "--goal", "10", "--name", "Bob"]);
    assert_eq!(joined["participant"]["goal"], 10);
    let joined = day1.json(&["challenge", "join", "1", "--user", "3", "--name", "Cy"]);
    assert_eq!(joined["participant"]["goal"], 100, "the challenge's goal by default");
    let set = day1.json(&["goal", "set", "1", "--user", "3", "50"]);
    assert_eq!(set["participant"]["goal"], 50);
    assert_eq!(set["status"]["percent"], 0);

    let day9 = bot.on(DAY9);
    day9.ok(&["progress", "add", "1", "--user", "2", "0.1", "--date", "2026-11-03"]);
    let added = day9.json(&["progress", "add", "1", "--user", "2", "0.2", "--date", "2026-11-04"]);
    assert_eq!(added["status"]["total"], json!(0.3), "0.1 + 0.2 is exactly 0.3");
    day9.ok(&["progress", "add", "1", "--user", "1", "30", "--date", "2026-11-05"]);
    day9.ok(&["progress", "add", "1", "--user", "3", "5"]);

    let listed = day9.json(&["progress", "list", "1", "--user", "2"]);
    let entries: Vec<(Value, Value)> = listed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["date"].clone(), e["value"].clone()))
        .collect();
    assert_eq!(entries, vec![(json!("2026-11-03"), json!(0.1)), (json!("2026-11-04"), json!(0.2))]);
    assert_eq!(listed["status"]["total"], json!(0.3));
    assert_eq!((listed["rank"].clone(), listed["participants"].clone()), (json!(3), json!(3)));

    let shown = day9.json(&["challenge", "show", "1", "--user", "2"]);
    let board: Vec<(Value, Value, Value, Value, Value)> = shown["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["rank"].clone(),
                l["name"].clone(),
                l["current"].clone(),
                l["goal"].clone(),
                l["percent"].clone(),
            )
        })
        .collect();
    assert_eq!(
        board,
        vec![
            (json!(1), json!("Ann"), json!(30), json!(100), json!(30)),
            (json!(2), json!("Cy"), json!(5), json!(50), json!(10)),
            (json!(3), json!("Bob"), json!(0.3), json!(10), json!(3)),
        ]
    );
    assert_eq!(shown["user"]["user_id"], 2);
    assert_eq!(shown["user"]["rank"], 3);

    let text = day9.ok(&["challenge", "show", "1", "--user", "2"]);
    assert!(text.contains("\n>     3  Bob      2  0.3 km    10 km    3%\n"), "{text}");
    assert!(text.contains("\nRanked by the total logged; ties go to whoever got there first.\n"), "{text}");

    // Bob reaches his goal: 0.3 + 9.7 = 10.
    let text = day9.ok(&["progress", "add", "1", "--user", "2", "9.7"]);
    assert!(text.contains("Total: 10 / 10 km (100%)."), "{text}");
    assert!(text.contains("🎉 Goal reached!"), "{text}");
    let shown = day9.json(&["challenge", "show", "1"]);
    assert_eq!(
        shown["leaderboard"][0]["name"], "Ann",
        "30 km still leads: completing one's own goal is no rank"
    );
    assert_eq!(shown["leaderboard"][1]["name"], "Bob", "10 km is ahead of Cy's 5");
    assert_eq!(shown["leaderboard"][1]["completed"], true);
    assert_eq!(shown["leaderboard"][1]["standing"], 10);
}

#[test]
fn full_story_on_sqlite() {
    story(&Bot::sqlite(DAY0));
}

#[test]
fn full_story_on_postgres() {
    // Fails (does not skip) when the server cannot be reached: see storage_support.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, guard) = runtime.block_on(storage_support::fresh_postgres_url());
    let bot = Bot::with_url(url, guard, DAY0);
    story(&bot);
    // And a refusal there writes nothing either.
    let before = bot.on(DAY9).state();
    bot.on(DAY9).fails(&["challenge", "join", "1", "--user", "2"], "User 2 has already joined challenge #1.");
    assert_eq!(bot.on(DAY9).state(), before);
}

#[test]
fn create_prints_text_and_json() {
    let bot = Bot::sqlite(DAY0);
    let text = bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Run 100 km",
        "--deadline",
        "2026-12-31",
        "--goal",
        "100",
        "--unit",
        "km",
    ]);
    assert_eq!(
        text,
        "Created challenge #1 \"Run 100 km\": 100 km in total by 2026-12-31 (60 days left).\n\
         User 1 joined it with the goal 100 km.\n\
         It is private: people join through its invite link (challenge-bot challenge invite 1).\n"
    );
    let created = bot.json(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Meditate",
        "--deadline",
        "2026-11-30",
        "--goal",
        "20",
        "--kind",
        "days",
    ]);
    let challenge = created["challenge"].as_object().unwrap();
    let mut fields: Vec<&str> = challenge.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "active",
            "created_at",
            "creator_id",
            "days_left",
            "deadline",
            "default_goal",
            "description",
            "final",
            "first_finisher_id",
            "id",
            "kind",
            "name",
            "start_date",
            "unit",
            "visibility",
        ]
    );
    assert_eq!(challenge["id"], 2);
    assert_eq!(challenge["kind"], "days");
    assert_eq!(challenge["unit"], Value::Null);
    assert_eq!(challenge["description"], "");
    assert_eq!(challenge["active"], true);
    assert!(challenge["created_at"].as_str().unwrap().starts_with("2026-11-01T"));
    assert_eq!(
        created["participant"],
        json!({
            "challenge_id": 2,
            "user_id": 1,
            "goal": 20,
            "joined_at": challenge["created_at"],
            "completed_at": null,
        })
    );
}

#[test]
fn list_shows_active_joined_and_all() {
    let bot = Bot::sqlite(DAY0);
    // Before anything was created there is no database, and listing creates none.
    let missing = bot.fails_with(&["challenge", "list"]);
    assert!(missing.starts_with("There is no database at "), "{missing}");
    assert!(!bot.file().unwrap().exists());
    run_challenge(&bot);
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "2",
        "--name",
        "Weigh 70 kg",
        "--deadline",
        "2026-11-05",
        "--goal",
        "70",
        "--kind",
        "at-most",
        "--unit",
        "kg",
    ]);
    assert_eq!(
        bot.ok(&["challenge", "list"]),
        "\
ID  NAME         KIND     GOAL           DEADLINE    STATUS        VISIBILITY
 2  Weigh 70 kg  at-most  at most 70 kg  2026-11-05  4 days left   private
 1  Run 100 km   total    100 km         2026-12-31  60 days left  private
"
    );
    let later = bot.on("2026-11-06");
    let ids = |v: Value| -> Vec<i64> {
        v["challenges"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect()
    };
    assert_eq!(ids(later.json(&["challenge", "list"])), [1], "the ended one is gone");
    assert_eq!(ids(later.json(&["challenge", "list", "--all"])), [2, 1]);
    let all = later.json(&["challenge", "list", "--all"]);
    assert_eq!(
        (all["challenges"][0]["active"].clone(), all["challenges"][0]["days_left"].clone()),
        (json!(false), json!(-1))
    );
    assert!(later.ok(&["challenge", "list", "--all"]).contains("2026-11-05  ended"));
    assert_eq!(ids(later.json(&["challenge", "list", "--user", "2"])), Vec::<i64>::new());
    assert_eq!(ids(later.json(&["challenge", "list", "--user", "2", "--all"])), [2]);
    assert_eq!(
        later.ok(&["challenge", "list", "--user", "2"]),
        "User 2 has not joined any active challenge.\n"
    );
    assert_eq!(ids(later.json(&["challenge", "list", "--user", "1"])), [1]);
}

#[test]
fn show_prints_the_leaderboard() {
    let bot = Bot::sqlite(DAY0);
    run_challenge(&bot);
    bot.ok(&["challenge", "join", "1", "--user", "22", "--goal", "50", "--name", "Bob"]);
    bot.ok(&["progress", "add", "1", "--user", "22", "50"]);
    bot.ok(&["progress", "add", "1", "--user", "1", "12.5"]);
    let expected = "\
Challenge #1 \"Run 100 km\"
  Any pace counts.

Kind      total: everything you log adds up towards the goal
Goal      100 km (default)
Dates     2026-11-01 to 2026-12-31 (60 days left)
Creator   Ann (user 1)

RANK  NAME  USER  STANDING  GOAL       %  DONE
   1  Bob     22  50 km     50 km   100%  ✓
   2  Ann      1  12.5 km   100 km   12%

Ranked by the total logged; ties go to whoever got there first.
";
    assert_eq!(bot.ok(&["challenge", "show", "1"]), expected);
    let highlighted = bot.ok(&["challenge", "show", "1", "--user", "1"]);
    assert!(highlighted.contains("\n>     2  Ann      1  12.5 km   100 km   12%\n"), "{highlighted}");
    assert!(
        highlighted.ends_with("\n> Ann is ranked 2 of 2. Total: 12.5 / 100 km (12%).\n"),
        "{highlighted}"
    );
    let stranger = bot.ok(&["challenge", "show", "1", "--user", "5"]);
    assert!(stranger.ends_with("\nUser 5 has not joined this challenge.\n"), "{stranger}");
    assert_eq!(bot.json(&["challenge", "show", "1", "--user", "5"])["user"], Value::Null);

    let line = &bot.json(&["challenge", "show", "1"])["leaderboard"][0];
    assert_eq!(
        line,
        &json!({
            "rank": 1, "user_id": 22, "name": "Bob", "joined_at": line["joined_at"],
            "standing": 50, "goal": 50, "current": 50, "percent": 100, "completed": true,
            "completed_at": line["completed_at"], "total": 50, "latest": 50, "best": 50, "first": 50,
            "days": 1, "entries": 1, "first_date": DAY0, "last_date": DAY0,
        })
    );
    assert!(line["completed_at"].is_string());
}

#[test]
fn join_and_goal_set_print_text_and_json() {
    let bot = Bot::sqlite(DAY0);
    run_challenge(&bot);
    assert_eq!(
        bot.ok(&["challenge", "join", "1", "--user", "2", "--goal", "80.5", "--user-name", "Bob"]),
        "Bob (user 2) joined challenge #1 \"Run 100 km\" with the goal 80.5 km (deadline 2026-12-31, 60 days left).\n"
    );
    let joined = bot.json(&["challenge", "join", "1", "--user", "3"]);
    assert_eq!(joined["participant"]["challenge_id"], 1);
    assert_eq!(joined["participant"]["completed_at"], Value::Null);
    assert_eq!(joined["challenge"]["id"], 1);

    assert_eq!(
        bot.ok(&["goal", "set", "1", "--user", "2", "120"]),
        "User 2's goal in challenge #1 \"Run 100 km\" is now 120 km.\nTotal: 0 / 120 km (0%).\n"
    );
    bot.ok(&["progress", "add", "1", "--user", "2", "7"]);
    let set = bot.json(&["goal", "set", "1", "--user", "2", "7"]);
    assert_eq!(set["status"]["completed"], true, "a lower goal that now holds completes");
    assert_eq!(set["met_by_easing"], true, "marked met, not earned by logging");
    assert_eq!(set["status"]["percent"], 100);
    assert_eq!(set["participant"]["goal"], 7);
    let text = bot.ok(&["goal", "set", "1", "--user", "2", "14"]);
    assert!(
        text.ends_with("Total: 7 / 14 km (50%).\nThis goal is not met yet.\n"),
        "and a higher one clears it: {text}"
    );
}

#[test]
fn progress_add_and_list_print_text_and_json() {
    let bot = Bot::sqlite(DAY0);
    run_challenge(&bot);
    let day9 = bot.on(DAY9);
    assert_eq!(
        day9.ok(&["progress", "add", "1", "--user", "1", "5.3", "--date", "2026-11-08"]),
        "Logged 5.3 km for 2026-11-08 in challenge #1 \"Run 100 km\" (User 1).\nTotal: 5.3 / 100 km (5%).\n"
    );
    let added = day9.json(&["progress", "add", "1", "--user", "1", "4.7", "--key", "tg:42"]);
    assert_eq!(added["entry"]["date"], DAY9, "today by default");
    assert_eq!(added["entry"]["value"], json!(4.7));
    assert_eq!(added["entry"]["idempotency_key"], "tg:42");
    assert_eq!(added["duplicate"], false);
    assert_eq!(added["completed_now"], false);
    assert_eq!(added["status"]["total"], 10);
    let again = day9.json(&["progress", "add", "1", "--user", "1", "4.7", "--key", "tg:42"]);
    assert_eq!(again["duplicate"], true, "the same key is stored once");
    assert_eq!(again["entry"]["id"], added["entry"]["id"]);
    assert_eq!(again["status"]["total"], 10);
    let text = day9.ok(&["progress", "add", "1", "--user", "1", "4.7", "--key", "tg:42"]);
    assert!(text.starts_with("Already recorded with key tg:42: nothing new was stored.\n"), "{text}");

    assert_eq!(
        day9.ok(&["progress", "list", "1", "--user", "1"]),
        "Progress of Ann (user 1) in challenge #1 \"Run 100 km\"\n\
         ID  DATE         VALUE  KEY\n\
         \x201  2026-11-08  5.3 km\n\
         \x202  2026-11-10  4.7 km  tg:42\n\
         Total: 10 / 100 km (10%); rank 1 of 1.\n"
    );
    let listed = day9.json(&["progress", "list", "1", "--user", "1"]);
    let entry = &listed["entries"][0];
    assert_eq!(
        entry,
        &json!({
            "id": entry["id"], "date": "2026-11-08", "value": 5.3,
            "recorded_at": entry["recorded_at"], "idempotency_key": null,
        })
    );
    assert_eq!(listed["user_id"], 1);
    assert_eq!(listed["status"]["entries"], 2);
}

/// Each kind's completion: the message when the goal is first reached.
#[test]
fn each_goal_kind_announces_completion() {
    let bot = Bot::sqlite(DAY0);
    let create = |name: &str, kind: &str, goal: &str, unit: Option<&str>| {
        let mut args = vec![
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            name,
            "--deadline",
            "2026-12-31",
            "--goal",
            goal,
            "--kind",
            kind,
        ];
        if let Some(unit) = unit {
            args.extend(["--unit", unit]);
        }
        bot.json(&args)["challenge"]["id"].to_string()
    };
    let total = create("Run", "total", "10", Some("km"));
    let at_least = create("Bench", "at-least", "100", Some("kg"));
    let at_most = create("Weigh", "at-most", "70", Some("kg"));
    let days = create("Meditate", "days", "2", None);
    let day9 = bot.on(DAY9);
    let add = |id: &str, value: Option<&str>, date: &str| {
        let mut args = vec!["progress", "add", id, "--user", "1", "--date", date];
        args.extend(value);
        day9.ok(&args)
    };

    assert!(!add(&total, Some("6"), "2026-11-02").contains("Goal reached"));
    assert_eq!(
        add(&total, Some("4"), "2026-11-03"),
        "Logged 4 km for 2026-11-03 in challenge #1 \"Run\" (User 1).\nTotal: 10 / 10 km (100%).\n\
         🎉 Goal reached! User 1 completed #1 \"Run\" (10 km logged in total).\n"
    );
    assert!(add(&total, Some("1"), "2026-11-04").ends_with("Goal reached ✓ (since 2026-11-10).\n"));

    let text = add(&at_least, Some("80"), "2026-11-02");
    assert!(text.contains("Best: 80 kg, goal at least 100 kg (80%).") && !text.contains("🎉"), "{text}");
    // An earlier date with a higher value: the best value meets the goal whatever its date.
    assert!(
        add(&at_least, Some("100"), "2026-11-01").contains(
            "🎉 Goal reached! User 1 completed #2 \"Bench\" (best 100 kg, goal at least 100 kg).\n"
        )
    );

    let text = add(&at_most, Some("80"), "2026-11-02");
    assert!(
        text.contains("Latest: 80 kg (no change from 80 kg), goal at most 70 kg (0%).")
            && !text.contains("🎉"),
        "{text}"
    );
    let text = add(&at_most, Some("75"), "2026-11-03");
    assert!(text.contains("Latest: 75 kg (down 5 kg from 80 kg), goal at most 70 kg (50%)."), "{text}");
    assert!(
        add(&at_most, Some("69.5"), "2026-11-04").contains(
            "🎉 Goal reached! User 1 completed #3 \"Weigh\" (latest 69.5 kg, goal at most 70 kg).\n"
        )
    );

    assert_eq!(
        add(&days, None, "2026-11-02"),
        "Checked in for 2026-11-02 in challenge #4 \"Meditate\" (User 1).\nDays: 1 / 2 (50%).\n"
    );
    day9.fails(
        &["progress", "add", &days, "--user", "1", "--date", "2026-11-02"],
        "You already checked in for Mon 2 Nov: one check-in per day counts.",
    );
    assert!(
        add(&days, None, "2026-11-03")
            .contains("🎉 Goal reached! User 1 completed #4 \"Meditate\" (2 days checked in).\n")
    );
    let json = day9.json(&["progress", "add", &total, "--user", "1", "1"]);
    assert_eq!(
        (json["completed_now"].clone(), json["status"]["completed"].clone()),
        (json!(false), json!(true))
    );
}

/// Every kind of bad input: exit 1, one line naming the problem, and nothing written.
#[test]
fn bad_input_is_refused_and_writes_nothing() {
    let bot = Bot::sqlite(DAY0);
    run_challenge(&bot);
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Meditate",
        "--deadline",
        "2026-12-31",
        "--goal",
        "30",
        "--kind",
        "days",
    ]);
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Short",
        "--deadline",
        "2026-11-05",
        "--goal",
        "5",
    ]);
    let day9 = bot.on(DAY9);
    day9.ok(&["progress", "add", "1", "--user", "1", "3", "--date", "2026-11-02"]);
    let before = day9.state();

    let create = |name: &str, deadline: &str, goal: &str, kind: &str, message: &str| {
        day9.fails(
            &[
                "challenge",
                "create",
                "--user",
                "1",
                "--name",
                name,
                "--deadline",
                deadline,
                "--goal",
                goal,
                "--kind",
                kind,
            ],
            message,
        );
    };
    let long_name = "n".repeat(101);
    create("", "2026-12-31", "1", "total", "--name: The name cannot be empty.");
    create("   ", "2026-12-31", "1", "total", "--name: The name cannot be empty.");
    create(
        &long_name,
        "2026-12-31",
        "1",
        "total",
        "--name: The name can be at most 100 characters (this one has 101).",
    );
    create(
        "Tab\tname",
        "2026-12-31",
        "1",
        "total",
        "--name: The name cannot contain control characters such as line breaks.",
    );
    create("x", "2026-11-10", "1", "total", "--deadline: The deadline must be after today (2026-11-10).");
    create("x", "2026-11-01", "1", "total", "--deadline: The deadline must be after today (2026-11-10).");
    create(
        "x",
        "next week",
        "1",
        "total",
        "--deadline: That is not a date I can read: type it as YYYY-MM-DD, as day.month (28.11) or day and month (28 Nov), or as \"tomorrow\" or a weekday.",
    );
    create("x", "2027-02-29", "1", "total", "--deadline: 2027-02-29 is not a date on the calendar.");
    create(
        "x",
        "2031-11-11",
        "1",
        "total",
        "--deadline: The deadline can be at most 5 years ahead (until 2031-11-10).",
    );
    create("x", "2026-12-31", "0", "total", "--goal: The number must be greater than zero.");
    create("x", "2026-12-31", "-5", "total", "--goal: The number must be greater than zero.");
    create("x", "2026-12-31", "1.255", "total", "--goal: Use at most two decimal places, for example 12.25.");
    for bad in ["NaN", "1e3", "inf", "1,5"] {
        create(
            "x",
            "2026-12-31",
            bad,
            "total",
            &format!(
                "--goal: \"{bad}\" is not a number. Type digits with an optional decimal point, for example 12.5."
            ),
        );
    }
    create("x", "2026-12-31", "1000000000.01", "total", "--goal: The number can be at most 1000000000.");
    create(
        "x",
        "2026-12-31",
        "30.5",
        "days",
        "--goal: A days goal is a whole number of days, for example 30.",
    );
    create(
        "x",
        "2026-12-31",
        "1",
        "weekly",
        "--kind: Unknown goal kind \"weekly\": use total, at-least, at-most or days.",
    );
    day9.fails(
        &[
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            "x",
            "--deadline",
            "2026-12-31",
            "--goal",
            "1",
            "--unit",
            "5k",
        ],
        "--unit: The unit cannot start with a digit, a sign or a decimal point (for example km, pages, kg).",
    );
    day9.fails(
        &[
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            "x",
            "--deadline",
            "2026-12-31",
            "--goal",
            "1",
            "--description",
            &"d".repeat(1001),
        ],
        "--description: The description can be at most 1000 characters (this one has 1001).",
    );
    day9.fails(
        &["challenge", "create", "--user", "0", "--name", "x", "--deadline", "2026-12-31", "--goal", "1"],
        "--user: \"0\" is not a user id: use a positive whole number, for example 42.",
    );

    day9.fails(&["challenge", "join", "1", "--user", "1"], "User 1 has already joined challenge #1.");
    day9.fails(&["challenge", "join", "99", "--user", "2"], "There is no challenge #99.");
    day9.fails(&["challenge", "join", "3", "--user", "2"], "This challenge ended on 2026-11-05.");
    day9.fails(
        &["challenge", "join", "2", "--user", "2", "--goal", "2.5"],
        "--goal: A days goal is a whole number of days, for example 30.",
    );
    day9.fails(
        &["challenge", "join", "1", "--user", "2", "--goal", "-1"],
        "--goal: The number must be greater than zero.",
    );
    day9.fails(
        &["challenge", "join", "one", "--user", "2"],
        "CHALLENGE_ID: \"one\" is not a challenge id: use the number shown by `challenge list`, for example 3.",
    );
    day9.fails(&["challenge", "show", "7"], "There is no challenge #7.");

    day9.fails(&["goal", "set", "1", "--user", "1", "0"], "GOAL: The number must be greater than zero.");
    day9.fails(
        &["goal", "set", "1", "--user", "9", "5"],
        "User 9 has not joined challenge #1 (join it with: challenge-bot challenge join 1 --user 9).",
    );
    day9.fails(&["goal", "set", "3", "--user", "1", "5"], "This challenge ended on 2026-11-05.");

    day9.fails(
        &["progress", "add", "1", "--user", "2", "5"],
        "User 2 has not joined challenge #1 (join it with: challenge-bot challenge join 1 --user 2).",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1", "5", "--date", "2026-11-11"],
        "--date: 2026-11-11 is in the future. Progress can be logged up to today (2026-11-10).",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1", "5", "--date", "2026-10-31"],
        "--date: 2026-10-31 is before the challenge started (2026-11-01).",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1", "5", "--date", "2026-02-30"],
        "--date: 2026-02-30 is not a date on the calendar.",
    );
    day9.fails(
        &["progress", "add", "2", "--user", "1", "5"],
        "VALUE: This is a check-in challenge: log a day without a value.",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1"],
        "VALUE: Please give a value for this progress entry.",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1", "-2"],
        "VALUE: The number must be greater than zero.",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1", "0.001"],
        "VALUE: Use at most two decimal places, for example 12.25.",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1", "NaN"],
        "VALUE: \"NaN\" is not a number. Type digits with an optional decimal point, for example 12.5.",
    );
    day9.fails(
        &["progress", "add", "1", "--user", "1", "2", "--key", "has\ttab"],
        "--key: A key must be 1 to 64 printable ASCII characters (letters, digits, punctuation or spaces).",
    );
    day9.fails(
        &["progress", "add", "3", "--user", "1", "1"],
        "This challenge ended on 2026-11-05; no more progress can be logged.",
    );
    day9.fails(
        &["progress", "list", "1", "--user", "2"],
        "User 2 has not joined challenge #1 (join it with: challenge-bot challenge join 1 --user 2).",
    );
    day9.fails(&["progress", "list", "8", "--user", "1"], "There is no challenge #8.");
    day9.fails(
        &["challenge", "join", "1", "--user", "2", "--name", " "],
        "--user-name: The name cannot be empty.",
    );

    assert_eq!(day9.state(), before, "nothing was written");
}

#[test]
fn joining_an_ended_challenge_is_refused() {
    let bot = Bot::sqlite("2026-11-01");
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Sprint",
        "--deadline",
        "2026-11-03",
        "--goal",
        "5",
    ]);
    bot.on("2026-11-03").ok(&["challenge", "join", "1", "--user", "2"]);
    let later = bot.on("2026-11-04");
    let before = later.state();
    later.fails(&["challenge", "join", "1", "--user", "3"], "This challenge ended on 2026-11-03.");
    assert_eq!(later.state(), before);
}

#[test]
fn bad_input_creates_no_database() {
    let bot = Bot::sqlite(DAY0);
    bot.fails(
        &["challenge", "create", "--user", "1", "--name", "", "--deadline", "2026-12-31", "--goal", "1"],
        "--name: The name cannot be empty.",
    );
    bot.fails(
        &["progress", "add", "1", "--user", "x", "1"],
        "--user: \"x\" is not a user id: use a positive whole number, for example 42.",
    );
    assert!(!bot.file().unwrap().exists(), "the SQLite file was not even created");
}

#[test]
fn json_goes_before_or_after_the_subcommand() {
    let bot = Bot::sqlite(DAY0);
    run_challenge(&bot);
    let after = bot.ok(&["challenge", "show", "1", "--json"]);
    let before = bot.ok(&["--json", "challenge", "show", "1"]);
    let middle = bot.ok(&["challenge", "--json", "show", "1"]);
    assert_eq!(after, before);
    assert_eq!(after, middle);
    serde_json::from_str::<Value>(&after).unwrap();
}

#[test]
fn migrate_says_what_it_did() {
    let bot = Bot::sqlite(DAY0);
    let first = bot.ok(&["migrate"]);
    assert!(first.starts_with("Applied "), "{first}");
    assert!(first.contains(bot.url()), "{first}");
    assert!(bot.file().unwrap().exists());
    let version = bot.json(&["migrate"])["version"].to_string();
    assert_eq!(
        bot.ok(&["migrate"]),
        format!("The database at {} is up to date (schema version {version}).\n", bot.url())
    );
    let json = bot.json(&["migrate"]);
    assert_eq!(json["applied"], json!([]));
    assert_eq!(json["database"], bot.url());

    let fresh = Bot::sqlite(DAY0);
    let json = fresh.json(&["migrate"]);
    let applied = json["applied"].as_array().unwrap();
    assert!(!applied.is_empty());
    assert_eq!(applied[0]["version"], 1);
    assert!(applied[0]["description"].is_string());
}

#[test]
fn settings_are_checked() {
    let bot = Bot::sqlite(DAY0);
    let list = ["challenge", "list"];
    let message = |cmd: &mut assert_cmd::Command| {
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        stderr
    };
    let stderr = message(bot.command(&list).env("DATABASE_URL", "mysql://root:hunter2@db/x"));
    assert!(
        stderr.starts_with("error: DATABASE_URL: Unsupported database URL scheme \"mysql:\"."),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"));
    let stderr = message(&mut bot.command(&["--database-url", "nope", "challenge", "list"]));
    assert!(stderr.starts_with("error: --database-url: "), "{stderr}");
    let stderr = message(bot.command(&list).env("CHALLENGE_BOT_TZ", "Mars/Olympus"));
    assert_eq!(
        stderr,
        "error: CHALLENGE_BOT_TZ: \"Mars/Olympus\" is not a known time zone: use an IANA name such as \
         Europe/Berlin, America/New_York or UTC.\n"
    );
    let stderr = message(bot.command(&list).env("CHALLENGE_BOT_TODAY", "2027-02-29"));
    assert_eq!(stderr, "error: CHALLENGE_BOT_TODAY: 2027-02-29 is not a date on the calendar.\n");
    assert!(!bot.file().unwrap().exists());

    // A valid zone works (today is pinned anyway).
    run_challenge(&bot);
    bot.command(&list).env("CHALLENGE_BOT_TZ", "Europe/Berlin").assert().success();
    // Without a pinned day, the system clock decides; the output still works.
    bot.command(&list).env_remove("CHALLENGE_BOT_TODAY").assert().success();
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let bot = Bot::sqlite(DAY0);
    let out = bot
        .command(&["challenge", "list"])
        .env("DATABASE_URL", "postgres://bot:hunter2@127.0.0.1:1/bot")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "error: Cannot connect to the PostgreSQL database at postgres://bot:***@127.0.0.1:1/bot: "
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"));

    let missing_dir = bot
        .command(&[
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            "x",
            "--deadline",
            "2026-12-31",
            "--goal",
            "1",
        ])
        .env("DATABASE_URL", "sqlite:///nonexistent-dir/x/t.db")
        .output()
        .unwrap();
    assert_eq!(missing_dir.status.code(), Some(1));
    let stderr = String::from_utf8(missing_dir.stderr).unwrap();
    assert!(
        stderr.starts_with(
            "error: Cannot connect to the SQLite database at sqlite:///nonexistent-dir/x/t.db: "
        ),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let bot = Bot::sqlite(DAY0);
    let stderr =
        bot.usage_error(&["challenge", "create", "--name", "x", "--deadline", "2026-12-31", "--goal", "1"]);
    assert!(stderr.contains("--user <ID>"), "{stderr}");
    bot.usage_error(&["challenge", "list", "--bogus"]);
    bot.usage_error(&["frobnicate"]);
    bot.usage_error(&["progress", "add", "1", "2", "3", "--user", "1"]);
    bot.usage_error(&[]);
    assert!(!bot.file().unwrap().exists());
}

#[test]
fn help_shows_examples() {
    let bot = Bot::sqlite(DAY0);
    for args in [
        vec!["--help"],
        vec!["challenge", "create", "--help"],
        vec!["challenge", "list", "--help"],
        vec!["challenge", "show", "--help"],
        vec!["challenge", "join", "--help"],
        vec!["goal", "set", "--help"],
        vec!["progress", "add", "--help"],
        vec!["progress", "list", "--help"],
        vec!["migrate", "--help"],
        vec!["chat", "--help"],
    ] {
        let text = bot.ok(&args);
        assert!(text.contains("Examples:\n  challenge-bot "), "{args:?}:\n{text}");
    }
    let text = bot.ok(&["challenge", "create", "--help"]);
    for needle in ["--deadline <DATE>", "at-least", "[env: DATABASE_URL]", "[default: total]"] {
        assert!(text.contains(needle), "{needle}:\n{text}");
    }
    assert!(bot.ok(&["--version"]).starts_with("challenge-bot "));
}

#[test]
fn display_names_are_recorded_and_default_sensibly() {
    let bot = Bot::sqlite(DAY0);
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "12345",
        "--name",
        "Read",
        "--deadline",
        "2026-12-31",
        "--goal",
        "5",
    ]);
    assert_eq!(
        bot.json(&["challenge", "show", "1"])["leaderboard"][0]["name"],
        "User 12345",
        "the whole id, so that 2345 and 12345 differ"
    );
    bot.ok(&["challenge", "join", "1", "--user", "2", "--name", "  Bob \t Lee "]);
    bot.ok(&["challenge", "show", "1", "--user", "12345", "--user-name", "Zoë"]);
    let names: Vec<Value> = bot.json(&["challenge", "show", "1"])["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].clone())
        .collect();
    assert_eq!(names, [json!("Zoë"), json!("Bob Lee")]);
}

#[test]
fn chat_runs_the_conversation_in_the_terminal() {
    let bot = Bot::sqlite(DAY0);
    let out =
        bot.command(&["chat", "--user", "2", "--user-name", "Ann"]).write_stdin("/help\n").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Ann"), "{stdout}");
    bot.fails(
        &["chat", "--user", "-3"],
        "--user: \"-3\" is not a user id: use a positive whole number, for example 42.",
    );
}
