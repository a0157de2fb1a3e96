//! Visibility and invites from a shell (issue 12): `challenge create --visibility`, `challenge
//! visibility`, `challenge invite [--revoke] [--bot-username]`, `challenge join --invite`, and
//! the operator still seeing and joining private challenges. The real binary on a SQLite file of
//! its own per test.

mod cli_support;
mod storage_support;

use cli_support::Bot;

const DAY0: &str = "2026-11-01";

fn create(bot: &Bot, extra: &[&str]) {
    let mut args = vec![
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "Run",
        "--deadline",
        "2026-11-30",
        "--goal",
        "10",
    ];
    args.extend_from_slice(extra);
    bot.ok(&args);
}

#[test]
fn new_challenges_are_private_and_the_operator_still_sees_them() {
    let bot = Bot::sqlite(DAY0);
    let out = {
        let mut args =
            vec!["challenge", "create", "--user", "1", "--name", "Run", "--deadline", "2026-11-30"];
        args.extend_from_slice(&["--goal", "10"]);
        bot.ok(&args)
    };
    assert!(
        out.contains(
            "It is private: people join through its invite link (challenge-bot challenge invite 1)."
        ),
        "{out}"
    );
    let listed = bot.json(&["challenge", "list"]);
    assert_eq!(listed["challenges"][0]["visibility"], "private");
    assert!(bot.ok(&["challenge", "list"]).contains("private"));
    // The operator joins anyone to it, as before.
    bot.ok(&["challenge", "join", "1", "--user", "2"]);
    create(&bot, &["--visibility", "public"]);
    assert_eq!(bot.json(&["challenge", "show", "2"])["challenge"]["visibility"], "public");
    let refused = bot.fails_with(&[
        "challenge",
        "create",
        "--user",
        "1",
        "--name",
        "X",
        "--deadline",
        "2026-11-30",
        "--goal",
        "1",
        "--visibility",
        "secret",
    ]);
    assert_eq!(refused, "--visibility: \"secret\" is not public or private.");
}

#[test]
fn visibility_switches_both_ways() {
    let bot = Bot::sqlite(DAY0);
    create(&bot, &[]);
    let out = bot.ok(&["challenge", "visibility", "1", "public"]);
    assert_eq!(out, "Challenge #1 \"Run\" is public: listed under \"Join challenge\" in the chat.\n");
    assert_eq!(bot.json(&["challenge", "visibility", "1", "private"])["challenge"]["visibility"], "private");
    bot.fails(
        &["challenge", "visibility", "1", "hidden"],
        "public|private: \"hidden\" is not public or private.",
    );
    bot.fails(&["challenge", "visibility", "9", "public"], "There is no challenge #9.");
}

#[test]
fn invite_links_revoke_and_join() {
    let bot = Bot::sqlite(DAY0);
    create(&bot, &[]);
    // Before the bot ever ran, the username is unknown: the code, and how to get the link.
    let out = bot.ok(&["challenge", "invite", "1"]);
    assert!(out.contains("Invite code for #1 \"Run\": ") && out.contains("--bot-username"), "{out}");
    let invite = bot.json(&["challenge", "invite", "1", "--bot-username", "@run_bot"]);
    let code = invite["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 22);
    assert_eq!(invite["link"], format!("https://t.me/run_bot?start={code}"));
    // Asking again gives the same code.
    assert_eq!(bot.json(&["challenge", "invite", "1"])["code"], code.as_str());
    bot.fails(
        &["challenge", "invite", "1", "--bot-username", "a b"],
        "--bot-username: \"a b\" is not a bot username: 5 to 32 letters, digits or _.",
    );

    // A code may start with "-": it is still the value of --invite, not an option.
    bot.fails(
        &["challenge", "join", "--invite", "-AAAAAAAAAAAAAAAAAAAAA", "--user", "2"],
        "That invite link does not lead to any challenge. Ask for a new link.",
    );

    // Join by code, and by the whole link.
    let joined = bot.json(&["challenge", "join", "--invite", &code, "--user", "2"]);
    assert_eq!(joined["participant"]["user_id"], 2);
    let link = format!("https://t.me/run_bot?start={code}");
    bot.json(&["challenge", "join", "--invite", &link, "--user", "3"]);
    assert_eq!(bot.json(&["challenge", "show", "1"])["leaderboard"].as_array().unwrap().len(), 3);

    // Revoked: a new code, and the old one says it expired.
    let revoked = bot.json(&["challenge", "invite", "1", "--revoke"]);
    let new = revoked["code"].as_str().unwrap().to_owned();
    assert_ne!(new, code);
    bot.fails(
        &["challenge", "join", "--invite", &code, "--user", "4"],
        "That invite link has expired: its challenge's creator made a new one. Ask for the new link.",
    );
    bot.fails(
        &["challenge", "join", "--invite", "AAAAAAAAAAAAAAAAAAAAAA", "--user", "4"],
        "That invite link does not lead to any challenge. Ask for a new link.",
    );
    let bad = bot.fails_with(&["challenge", "join", "--invite", "short", "--user", "4"]);
    assert!(bad.starts_with("--invite: \"short\" is not an invite code"), "{bad}");
    bot.json(&["challenge", "join", "--invite", &new, "--user", "4"]);
    // An id and an invite at once is a usage error, and so is neither.
    bot.usage_error(&["challenge", "join", "1", "--invite", &new, "--user", "5"]);
    bot.usage_error(&["challenge", "join", "--user", "5"]);
}
