//! Private challenges and invite links end to end (issue 12): the real binary against the fake
//! Bot API, on SQLite and PostgreSQL. A challenge made in the chat is invisible to others; its
//! link (with the bot's username from `getMe`) and the Share button open it; joining by the
//! link; a revoked link; the public list and its search; the CLI's invite link.

mod bot_support;
mod storage_support;
mod support;

use bot_support::{Chat, TOKEN, Workspace, wait_until_polling};
use support::fake_telegram::FakeTelegram;

const ANN: i64 = 1;
const BOB: i64 = 2;
const CAT: i64 = 3;

/// The invite link in the last message of `chat`.
fn link_in(chat: &Chat<'_>) -> String {
    let text = chat.last();
    text.split_whitespace().find(|w| w.starts_with("https://t.me/")).expect("an invite link").to_owned()
}

fn code_of(link: &str) -> String {
    link.rsplit("start=").next().unwrap().to_owned()
}

async fn invite_links(workspace: Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    let (ann, bob, cat) =
        (Chat::new(&fake, ANN, "Ann"), Chat::new(&fake, BOB, "Bob"), Chat::new(&fake, CAT, "Cat"));

    ann.say("/start").await;
    ann.press("Create challenge").await;
    ann.say("Secret run").await;
    ann.press("Skip").await;
    ann.press("In a week").await;
    ann.press("Total").await;
    ann.say("50 km").await;
    ann.expect(&[
        "Challenge created!",
        "It is private",
        "Invite link: https://t.me/challenge_test_bot?start=",
    ])
    .await;
    let link = link_in(&ann);
    let code = code_of(&link);
    assert_eq!(code.len(), 22);
    // The Share button opens Telegram's share dialog with the link.
    let share = ann
        .messages()
        .pop()
        .unwrap()
        .inline_buttons()
        .into_iter()
        .find_map(|b| b.url)
        .expect("a Share button");
    let shared = url::Url::parse(&share).unwrap();
    assert_eq!(shared.as_str().split('?').next(), Some("https://t.me/share/url"));
    assert_eq!(
        shared.query_pairs().find(|(k, _)| k == "url").map(|(_, v)| v.into_owned()),
        Some(link.clone())
    );

    // Bob does not see it.
    bob.say("/start").await;
    bob.press("Join challenge").await;
    bob.expect(&["There are no public challenges to join right now"]).await;
    assert!(!bob.last().contains("Secret run"));

    // The link opens it with the suggested goal one tap away.
    bob.say(&format!("/start {code}")).await;
    bob.expect(&["You were invited to a challenge:", "Secret run", "What is your goal?"]).await;
    bob.press("Use 50 km").await;
    bob.expect(&["You joined", "Secret run"]).await;

    // Ann replaces the link: the old one says it expired, the new one works.
    ann.say("/menu").await;
    ann.press("My challenges").await;
    ann.press("Secret run").await;
    ann.press("👥 Invite").await;
    ann.expect(&["👥 Invite friends to", &link]).await;
    ann.press("🔄 New link").await;
    ann.expect(&["Here is a new link. The old one no longer works."]).await;
    let new_link = link_in(&ann);
    assert_ne!(new_link, link);
    cat.say(&format!("/start {code}")).await;
    cat.expect(&["That invite link has expired", "What would you like to do?"]).await;
    cat.say("/start not-a-code").await;
    cat.expect(&["That invite link is not valid"]).await;
    cat.say(&format!("/start {}", code_of(&new_link))).await;
    cat.expect(&["Secret run", "What is your goal?"]).await;
    cat.say("20").await;
    cat.expect(&["You joined", "Secret run"]).await;

    // Public: listed with its count and creator, found by a word.
    ann.press("🌍 Make public").await;
    ann.expect(&["It is public now"]).await;
    let dan = Chat::new(&fake, 4, "Dan");
    dan.say("/start").await;
    dan.press("Join challenge").await;
    dan.expect(&["Challenges you can join", "Secret run", "3 people · by Ann"]).await;
    dan.say("SECRET").await;
    dan.expect(&["Found: “secret”", "Secret run"]).await;
    dan.say("yoga").await;
    dan.expect(&["No public challenge you can join has “yoga” in its name."]).await;
    bot.stop().await;

    // The CLI makes links with the username the bot stored.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_challenge-bot"))
        .args(["challenge", "invite", "1"])
        .env("DATABASE_URL", &workspace.database_url)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains(&new_link), "{stdout}");
}

#[tokio::test]
async fn invite_links_on_sqlite() {
    invite_links(Workspace::sqlite()).await;
}

#[tokio::test]
async fn invite_links_on_postgres() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    invite_links(Workspace::with_database(guard.url().to_owned())).await;
}
