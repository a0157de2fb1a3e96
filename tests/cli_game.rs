//! The game rules from a shell (issue 10): `progress edit | delete`, `challenge edit | delete |
//! leave`, and `challenge show` ranking by standing. The real binary on a SQLite file of its own
//! per test, "today" pinned with `CHALLENGE_BOT_TODAY`.

mod cli_support;
mod storage_support;

use cli_support::Bot;
use serde_json::{Value, json};

const DAY0: &str = "2026-11-01";
const DAY9: &str = "2026-11-10";

/// Challenge #1 "Run" (total, 10 km, user 1 Ann) with Bob (user 2, goal 1 km) and Cat (user 3).
fn run(bot: &Bot) {
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
        "2026-11-30",
        "--goal",
        "10",
        "--unit",
        "km",
    ]);
    bot.ok(&["challenge", "join", "1", "--user", "2", "--goal", "1", "--name", "Bob"]);
    bot.ok(&["challenge", "join", "1", "--user", "3", "--name", "Cat"]);
}

fn entry_ids(bot: &Bot, challenge: &str, user: &str) -> Vec<String> {
    let listed = bot.json(&["progress", "list", challenge, "--user", user]);
    listed["entries"].as_array().unwrap().iter().map(|e| e["id"].to_string()).collect()
}

#[test]
fn show_ranks_by_standing_and_exposes_it() {
    let bot = Bot::sqlite(DAY0);
    run(&bot);
    let day9 = bot.on(DAY9);
    day9.ok(&["progress", "add", "1", "--user", "2", "1.5"]);
    day9.ok(&["progress", "add", "1", "--user", "1", "6.7"]);
    let shown = day9.json(&["challenge", "show", "1"]);
    let lines: Vec<(Value, Value, Value, Value)> = shown["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["name"].clone(), l["standing"].clone(), l["percent"].clone(), l["completed"].clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (json!("Ann"), json!(6.7), json!(67), json!(false)),
            (json!("Bob"), json!(1.5), json!(100), json!(true)),
            (json!("Cat"), json!(0), json!(0), json!(false)),
        ],
        "by standing, not by the share of a self-set goal; no entries last"
    );
    let text = day9.ok(&["challenge", "show", "1"]);
    assert!(text.contains("   1  Ann      1  6.7 km          10 km   67%\n"), "{text}");
    assert!(text.contains("   3  Cat      3  no entries yet  10 km    0%\n"), "{text}");
    assert!(text.contains("Ranked by the total logged; ties go to whoever got there first."), "{text}");
    day9.ok(&["progress", "add", "1", "--user", "3", "10"]);
    let shown = day9.json(&["challenge", "show", "1"]);
    assert_eq!(shown["challenge"]["first_finisher_id"], 3, "Cat met the challenge's own 10 km first");
    assert!(day9.ok(&["challenge", "show", "1"]).contains("\nFirst to finish: Cat (user 3).\n"));
}

#[test]
fn progress_edit_and_delete_rejudge() {
    let bot = Bot::sqlite(DAY0);
    run(&bot);
    let day9 = bot.on(DAY9);
    day9.ok(&["progress", "add", "1", "--user", "1", "4", "--date", "2026-11-08"]);
    day9.ok(&["progress", "add", "1", "--user", "1", "60"]);
    let ids = entry_ids(&day9, "1", "1");
    let (first, typo) = (ids[0].as_str(), ids[1].as_str());
    assert!(
        day9.ok(&["progress", "list", "1", "--user", "1"])
            .contains(&format!("\n {typo}  2026-11-10  60 km\n"))
    );

    let edited = day9.json(&["progress", "edit", typo, "--user", "1", "--value", "6"]);
    assert_eq!(edited["before"]["value"], 60);
    assert_eq!(edited["entry"]["value"], 6);
    assert_eq!(edited["status"]["total"], 10);
    assert_eq!(edited["status"]["completed"], true);
    assert_eq!(
        day9.ok(&["progress", "edit", first, "--user", "1", "--date", "2026-11-09"]),
        format!(
            "Changed entry #{first} in challenge #1 \"Run\": 4 km on 2026-11-08 → 4 km on 2026-11-09.\n\
             Total: 10 / 10 km (100%).\nGoal reached ✓\n"
        )
    );
    let deleted = day9.json(&["progress", "delete", first, "--user", "1"]);
    assert_eq!(deleted["entry"], Value::Null);
    assert_eq!(deleted["before"]["date"], "2026-11-09");
    assert_eq!(
        (deleted["status"]["total"].clone(), deleted["status"]["completed"].clone()),
        (json!(6), json!(false))
    );

    // Refusals: one line, exit 1, nothing written.
    let before = day9.state();
    day9.fails(
        &["progress", "delete", first, "--user", "1"],
        &format!("User 1 has no entry #{first} (see the ID column of: challenge-bot progress list CHALLENGE_ID --user 1)."),
    );
    day9.fails(
        &["progress", "edit", typo, "--user", "2", "--value", "1"],
        &format!("User 2 has no entry #{typo} (see the ID column of: challenge-bot progress list CHALLENGE_ID --user 2)."),
    );
    day9.fails(
        &["progress", "edit", typo, "--user", "1", "--date", "2026-11-11"],
        "--date: 2026-11-11 is in the future. Progress can be logged up to today (2026-11-10).",
    );
    day9.fails(
        &["progress", "edit", typo, "--user", "1", "--value", "-3"],
        "--value: The number must be greater than zero.",
    );
    assert!(day9.usage_error(&["progress", "edit", typo, "--user", "1"]).contains("Nothing to change"));
    day9.fails(&["progress", "edit", "x1", "--user", "1", "--value", "1"], "ENTRY_ID: \"x1\" is not an entry id: use the number in the ID column of `progress list`, for example 12.");
    assert_eq!(day9.state(), before, "nothing was written");
}

#[test]
fn days_edits_refuse_a_date_already_checked_in() {
    let bot = Bot::sqlite(DAY0);
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Meditate",
        "--deadline",
        "2026-11-30",
        "--goal",
        "5",
        "--kind",
        "days",
    ]);
    let day9 = bot.on(DAY9);
    day9.ok(&["progress", "add", "1", "--user", "1", "--date", "2026-11-08"]);
    day9.ok(&["progress", "add", "1", "--user", "1"]);
    let ids = entry_ids(&day9, "1", "1");
    day9.fails(
        &["progress", "edit", &ids[1], "--user", "1", "--date", "2026-11-08"],
        "--date: You already checked in for Sun 8 Nov: one check-in per day counts.",
    );
    day9.fails(
        &["progress", "edit", &ids[1], "--user", "1", "--value", "3"],
        "--value: This is a check-in challenge: log a day without a value.",
    );
    let moved = day9.json(&["progress", "edit", &ids[1], "--user", "1", "--date", "2026-11-09"]);
    assert_eq!(moved["status"]["days"], 2);
}

#[test]
fn the_day_of_grace_then_final_standings() {
    let bot = Bot::sqlite(DAY0);
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
        "10",
    ]);
    let grace = bot.on("2026-11-06");
    grace.ok(&["progress", "add", "1", "--user", "1", "3", "--date", "2026-11-05"]);
    grace.fails(
        &["progress", "add", "1", "--user", "1", "3"],
        "--date: 2026-11-06 is after the challenge's deadline (2026-11-05).",
    );
    assert_eq!(grace.json(&["challenge", "show", "1"])["challenge"]["final"], false);
    let id = entry_ids(&grace, "1", "1").remove(0);
    let later = bot.on("2026-11-07");
    later.fails(
        &["progress", "add", "1", "--user", "1", "3", "--date", "2026-11-05"],
        "This challenge ended on 2026-11-05; no more progress can be logged.",
    );
    later.fails(
        &["progress", "edit", &id, "--user", "1", "--value", "9"],
        "This challenge ended on 2026-11-05 and its standings are final: entries can no longer be logged or changed.",
    );
    let shown = later.json(&["challenge", "show", "1"]);
    assert_eq!(shown["challenge"]["final"], true);
    assert!(later.ok(&["challenge", "show", "1"]).contains("\nFinal standings. Ranked by the total logged"));
}

#[test]
fn creators_edit_and_delete_participants_leave() {
    let bot = Bot::sqlite(DAY0);
    run(&bot);
    let day9 = bot.on(DAY9);
    let edited = day9.json(&[
        "challenge",
        "edit",
        "1",
        "--user",
        "1",
        "--name",
        "Run 150 km",
        "--deadline",
        "2026-12-31",
    ]);
    assert_eq!(
        (edited["challenge"]["name"].clone(), edited["challenge"]["deadline"].clone()),
        (json!("Run 150 km"), json!("2026-12-31"))
    );
    assert_eq!(
        day9.ok(&["challenge", "edit", "1", "--user", "1", "--description", "Any pace"]),
        "Challenge #1 \"Run 150 km\" is updated.\nDescription: Any pace\nDeadline: 2026-12-31 (51 days left).\n"
    );
    let before = day9.state();
    day9.fails(
        &["challenge", "edit", "1", "--user", "2", "--name", "Mine now"],
        "User 2 did not create challenge #1: only its creator can change or delete it.",
    );
    day9.fails(
        &["challenge", "edit", "1", "--user", "1", "--deadline", "2026-11-09"],
        "--deadline: The deadline cannot be moved before today (2026-11-10).",
    );
    day9.fails(
        &["challenge", "edit", "1", "--user", "1", "--name", " "],
        "--name: The name cannot be empty.",
    );
    day9.fails(
        &["challenge", "delete", "1", "--user", "3"],
        "User 3 did not create challenge #1: only its creator can change or delete it.",
    );
    day9.fails(
        &["challenge", "leave", "1", "--user", "1"],
        "User 1 created challenge #1 and cannot leave it (it can be deleted: challenge-bot challenge delete 1 --user 1).",
    );
    day9.fails(
        &["challenge", "leave", "1", "--user", "9"],
        "User 9 has not joined challenge #1 (join it with: challenge-bot challenge join 1 --user 9).",
    );
    assert!(day9.usage_error(&["challenge", "edit", "1", "--user", "1"]).contains("Nothing to change"));
    assert_eq!(day9.state(), before, "nothing was written");

    day9.ok(&["progress", "add", "1", "--user", "2", "3"]);
    assert_eq!(
        day9.ok(&["challenge", "leave", "1", "--user", "2"]),
        "User 2 left challenge #1 \"Run 150 km\"; their entries in it are deleted.\n"
    );
    let shown = day9.json(&["challenge", "show", "1"]);
    assert_eq!(shown["leaderboard"].as_array().unwrap().len(), 2);
    let deleted = day9.json(&["challenge", "delete", "1", "--user", "1"]);
    assert_eq!(deleted["deleted"]["name"], "Run 150 km");
    day9.fails(&["challenge", "show", "1"], "“Run 150 km” (#1) was deleted by its creator.");
    day9.fails(
        &["progress", "add", "1", "--user", "3", "1"],
        "“Run 150 km” (#1) was deleted by its creator.",
    );
}
