//! `challenge-bot user delete` from a shell (issue 17): the operator deletes everything kept
//! about a person, with what `/deleteme` does; the real binary on a SQLite file of its own.

mod cli_support;
mod storage_support;

use cli_support::Bot;

#[test]
fn user_delete_hands_over_deletes_and_reports() {
    let bot = Bot::sqlite("2026-11-01");
    let create = |name: &str| {
        bot.ok(&[
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            name,
            "--deadline",
            "2026-11-30",
            "--goal",
            "10",
        ])
    };
    create("Run");
    create("Solo");
    bot.ok(&["challenge", "join", "1", "--user", "2"]);
    bot.ok(&["progress", "add", "1", "--user", "1", "3"]);
    bot.ok(&["progress", "add", "2", "--user", "1", "4"]);

    let out = bot.ok(&["user", "delete", "1"]);
    assert!(out.contains("Deleted everything kept about user 1: 2 entries in 2 challenges"), "{out}");
    assert!(out.contains("Challenge #1 now belongs to user 2."), "{out}");
    assert!(out.contains("Challenge #2 (only they were in it) was deleted."), "{out}");
    let shown = bot.json(&["challenge", "show", "1"]);
    assert_eq!(shown["challenge"]["creator_id"], 2, "{shown}");
    // Again: nothing left to delete.
    let again = bot.json(&["user", "delete", "1"]);
    assert_eq!(again["participations"], 0);
    assert_eq!(again["handed_over"].as_array().unwrap().len(), 0);
    // Not an id.
    let refused = bot.fails_with(&["user", "delete", "ann"]);
    assert!(refused.contains("user"), "{refused}");
}

#[test]
fn the_operator_is_not_held_to_the_daily_creation_limit() {
    let bot = Bot::sqlite("2026-11-01");
    for n in 0..=10 {
        let name = format!("Run {n}");
        bot.ok(&[
            "challenge",
            "create",
            "--user",
            "1",
            "--name",
            &name,
            "--deadline",
            "2026-11-30",
            "--goal",
            "10",
        ]);
    }
    assert_eq!(bot.json(&["challenge", "list", "--all"])["challenges"].as_array().unwrap().len(), 11);
}

#[test]
fn the_operator_reviews_reports_and_relists() {
    let bot = Bot::sqlite("2026-11-01");
    bot.ok(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Buy my course",
        "--deadline",
        "2026-11-30",
        "--goal",
        "10",
        "--visibility",
        "public",
    ]);
    assert_eq!(bot.ok(&["challenge", "reports"]), "No challenge is reported.\n");
    // Reports come from the chat: three people report it through the same database.
    let url: challenge_bot::storage::DatabaseUrl = bot.url().parse().unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = challenge_bot::storage::connect(&url).await.unwrap();
        let id = challenge_bot::challenge::ChallengeId(1);
        for (user, reason) in [(2, "spam"), (3, "spam"), (4, "offensive")] {
            let reason = challenge_bot::challenge::ReportReason::parse(reason).unwrap();
            store.report(id, challenge_bot::user::UserId(user), reason, chrono::Utc::now()).await.unwrap();
        }
    });
    let text = bot.ok(&["challenge", "reports"]);
    assert!(
        text.contains("#1 \"Buy my course\" (public): reported by 3 people (2 spam, 1 offensive); unlisted"),
        "{text}"
    );
    let json = bot.json(&["challenge", "reports"]);
    assert_eq!(json["reported"][0]["reporters"], 3);
    assert_eq!(json["reported"][0]["unlisted"], true);
    let relisted = bot.ok(&["challenge", "relist", "1"]);
    assert!(relisted.contains("its reports are cleared and it is listed again"), "{relisted}");
    assert_eq!(bot.ok(&["challenge", "reports"]), "No challenge is reported.\n");
    let missing = bot.fails_with(&["challenge", "relist", "9"]);
    assert!(missing.contains("#9"), "{missing}");
}

/// Commands for a person run in their time zone: at 20:00 UTC it is already the next morning
/// on Kiritimati (UTC+14), so "today" there is the next day, for the date of an entry as in
/// the chat.
#[test]
fn commands_for_a_person_count_days_in_their_zone() {
    let bot = Bot::sqlite("2026-03-01");
    let now = "2026-03-01T20:00:00Z";
    let run = |args: &[&str]| {
        let out = bot.command(args).env("CHALLENGE_BOT_NOW", now).output().expect("run challenge-bot");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    run(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Run",
        "--deadline",
        "2026-03-31",
        "--goal",
        "100",
    ]);
    run(&["challenge", "join", "1", "--user", "2"]);
    run(&["user", "set", "2", "--tz", "Pacific/Kiritimati"]);
    let far = run(&["--json", "progress", "add", "1", "--user", "2", "5"]);
    let far: serde_json::Value = serde_json::from_str(&far).unwrap();
    assert_eq!(far["entry"]["date"], "2026-03-02", "Kiritimati's today: {far}");
    let here = run(&["--json", "progress", "add", "1", "--user", "1", "5"]);
    let here: serde_json::Value = serde_json::from_str(&here).unwrap();
    assert_eq!(here["entry"]["date"], "2026-03-01", "the server's (UTC) today: {here}");
    // "yesterday" is the person's too.
    let before = run(&["--json", "progress", "add", "1", "--user", "2", "1", "--date", "yesterday"]);
    let before: serde_json::Value = serde_json::from_str(&before).unwrap();
    assert_eq!(before["entry"]["date"], "2026-03-01", "{before}");
}
