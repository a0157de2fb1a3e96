//! Private challenges and invites in the conversation (issue 12), on the in-memory store, SQLite
//! and PostgreSQL: a challenge made in the chat is private and invisible to others, its link
//! opens it with a Join button, a revoked link says it expired, the creator can list it, the
//! public list shows counts and creators and is searched by typing a word.

mod conversation_support;
mod storage_support;

use challenge_bot::challenge::{ChallengeId, Visibility};
use challenge_bot::user::UserId;
use conversation_support::{Backend, Harness, User};

/// Ann creates "Secret run" (total, 50 km, a week) through the chat; its id.
async fn create_in_chat(ann: &mut User<'_>) -> ChallengeId {
    ann.send("/start").await;
    ann.press("Create challenge").await;
    ann.send("Secret run").await;
    ann.press("Skip").await;
    ann.press("In a week").await;
    ann.press("Total").await;
    ann.send("50 km").await;
    ann.sees("Challenge created");
    let payload = ann.payload("Open challenge");
    let id = payload.split(':').nth(2).unwrap().parse().unwrap();
    ChallengeId(id)
}

/// The invite code the conversation shows for a challenge (through the invite screen).
async fn code_of(user: &mut User<'_>, id: ChallengeId) -> String {
    user.press_payload(&format!("v1:iv:{}", id.0)).await;
    let text = user.text();
    let link = text.split_whitespace().find(|w| w.starts_with("https://t.me/")).expect("a link").to_owned();
    link.rsplit("start=").next().unwrap().to_owned()
}

async fn private_by_default_and_joined_by_link(backend: Backend) {
    let h = Harness::new(backend).await;
    h.store.set_bot_username("run_bot", chrono::Utc::now()).await.unwrap();
    let mut ann = h.user(1, "Ann");
    let id = create_in_chat(&mut ann).await;
    ann.sees("It is private");
    ann.sees("https://t.me/run_bot?start=");
    assert_eq!(h.app().challenge(id).await.unwrap().visibility, Visibility::Private);

    // Bob does not see it in the list, nor by its id.
    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    bob.press("Join challenge").await;
    bob.does_not_see("Secret run");
    bob.press_payload(&format!("v1:j:{}:0", id.0)).await;
    bob.sees("is private");
    bob.does_not_see("Secret run");
    bob.press_payload(&format!("v1:jd:{}", id.0)).await;
    bob.sees("private");
    bob.press_payload(&format!("v1:l:{}", id.0)).await;
    bob.sees("is private");
    bob.does_not_see("Secret run");
    assert!(h.app().participant(id, UserId(2)).await.is_err());

    // The link: the challenge with the goal question, the suggested goal one tap away.
    let code = code_of(&mut ann, id).await;
    assert_eq!(code.len(), 22);
    bob.send(&format!("/start {code}")).await;
    bob.sees("You were invited to a challenge:");
    bob.sees("Secret run");
    bob.sees("What is your goal?");
    assert_eq!(bob.state().await, "JOIN_CHALLENGE_GOAL");
    bob.press("Use 50 km").await;
    bob.sees("You joined");
    assert_eq!(h.app().participant(id, UserId(2)).await.unwrap().goal.to_string(), "50");

    // Cat types her own goal.
    let mut cat = h.user(3, "Cat");
    cat.send(&format!("/start {code}")).await;
    cat.send("30").await;
    cat.sees("You joined");
    assert_eq!(h.app().participant(id, UserId(3)).await.unwrap().goal.to_string(), "30");

    // A participant opening the link lands on the challenge.
    bob.send(&format!("/start {code}")).await;
    bob.sees("You are in this challenge already.");
    bob.sees("Your goal:");
    // Bob may pass the link on, but not revoke it or make it public.
    bob.press_payload(&format!("v1:iv:{}", id.0)).await;
    bob.sees(&code);
    assert!(!bob.has_button("🔄 New link") && !bob.has_button("🌍 Make public"));
    bob.press_payload(&format!("v1:ivr:{}", id.0)).await;
    bob.sees("Only the creator");
    bob.press_payload(&format!("v1:vp:{}", id.0)).await;
    bob.sees("Only the creator");
    assert_eq!(h.app().challenge(id).await.unwrap().visibility, Visibility::Private);
}

async fn revoked_and_bad_links(backend: Backend) {
    let h = Harness::new(backend).await;
    h.store.set_bot_username("run_bot", chrono::Utc::now()).await.unwrap();
    let mut ann = h.user(1, "Ann");
    let id = create_in_chat(&mut ann).await;
    let old = code_of(&mut ann, id).await;
    ann.press("🔄 New link").await;
    ann.sees("The old one no longer works.");
    let new = code_of(&mut ann, id).await;
    assert_ne!(old, new);

    let mut dan = h.user(4, "Dan");
    dan.send(&format!("/start {old}")).await;
    dan.sees("That invite link has expired");
    assert_eq!(dan.state().await, "MAIN_INIT");
    assert!(dan.has_button("Join challenge"), "the main menu comes with it");
    for bad in ["abc", "x".repeat(23).as_str(), "a!bcdefghijklmnopqrstu", "Ab-_09Ab-_09Ab-_09Ab-_"] {
        dan.send(&format!("/start {bad}")).await;
        let text = dan.text();
        assert!(
            text.contains("is not valid") || text.contains("does not lead to any challenge"),
            "{bad}: {text}"
        );
        dan.does_not_see("Secret run");
    }
    dan.send(&format!("/start {new}")).await;
    dan.sees("Secret run");

    // The challenge deleted: its link says so.
    ann.press_payload(&format!("v1:mxy:{}", id.0)).await;
    dan.send(&format!("/start {new}")).await;
    dan.sees("was deleted by its creator");
}

async fn public_listing_and_search(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    let id = create_in_chat(&mut ann).await;
    ann.press_payload(&format!("v1:iv:{}", id.0)).await;
    ann.sees("🔒 Private");
    ann.press("🌍 Make public").await;
    ann.sees("It is public now");
    ann.sees("🌍 Public");
    assert!(ann.has_button("🔒 Make private"));
    h.seed(5, "Morning Yoga", challenge_bot::goal::GoalKind::Days, "10", None).await;

    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    bob.press("Join challenge").await;
    bob.sees("Secret run");
    bob.sees("1 person · by Ann");
    bob.sees("Morning Yoga");
    bob.sees("type a word of a name to search");
    bob.send("SECRET").await;
    bob.sees("Found: “secret”");
    bob.sees("Secret run");
    bob.does_not_see("Morning Yoga");
    bob.send("marathon").await;
    bob.sees("No public challenge you can join has “marathon” in its name.");
    bob.send("yoga").await;
    bob.press("Morning Yoga").await;
    bob.press("Use 10 days").await;
    bob.sees("You joined");

    // Private again: gone from the list.
    ann.press("🔒 Make private").await;
    bob.press("Main menu").await;
    bob.press("Join challenge").await;
    bob.does_not_see("Secret run");
}

on_every_store!(private_by_default_and_joined_by_link, revoked_and_bad_links, public_listing_and_search);
