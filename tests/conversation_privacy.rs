//! `/privacy` and `/deleteme` in the conversation (issue 17), on the in-memory store, SQLite and
//! PostgreSQL: the confirmation names what goes; confirmed, everything of the person goes in one
//! step, the new manager of a shared challenge hears it, and the person starts afresh. And the
//! limit of challenges one person creates in a day.

mod conversation_support;
mod storage_support;

use challenge_bot::goal::GoalKind;
use challenge_bot::user::UserId;
use conversation_support::{Backend, Harness};

async fn privacy_says_what_is_kept(backend: Backend) {
    let h = Harness::new(backend).await;
    let mut ann = h.user(1, "Ann");
    ann.send("/privacy").await;
    ann.sees("What I keep about you");
    ann.sees("Telegram id");
    ann.sees("/export");
    ann.sees("/deleteme");
    ann.send("/help").await;
    ann.sees("/privacy");
}

async fn deleteme_asks_then_deletes_everything(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let solo = h.seed(1, "Solo", GoalKind::Total, "10", None).await;
    let swim = h.seed(2, "Swim", GoalKind::Total, "10", None).await;
    h.app().join(run, UserId(3), None).await.unwrap();
    h.app().join(run, UserId(2), None).await.unwrap();
    h.app().join(swim, UserId(1), None).await.unwrap();
    let mut ann = h.user(1, "Ann");
    ann.send("/start").await;
    ann.send("/log 5 km").await;
    ann.sees("Logged 5 km");

    ann.send("/deleteme").await;
    ann.sees("Delete everything I keep about you?");
    ann.sees("your 1 entry in 3 challenges");
    ann.sees("you as the creator of Run");
    ann.sees("Solo, which only you are in: deleted");
    // Cancel keeps everything.
    ann.press("Cancel").await;
    assert!(h.app().participant(run, UserId(1)).await.is_ok());

    ann.send("/deleteme").await;
    ann.press("🗑 Yes, delete everything").await;
    ann.sees("Done.");
    ann.sees("I deleted your 1 entry in 3 challenges");
    ann.sees("The challenge you created has a new manager");
    assert_eq!(ann.state().await, "MAIN_INIT");
    // Cat joined Run first after Ann: Cat manages it now, and is told.
    assert_eq!(ann.news.len(), 1, "{:?}", ann.news);
    assert_eq!(ann.news[0].news_recipient(), Some(UserId(3)));
    assert!(ann.news[0].text.to_plain().contains("You now manage Run"));
    assert_eq!(h.app().challenge(run).await.unwrap().creator, UserId(3));
    assert!(h.app().challenge(solo).await.is_err());
    assert!(h.app().participant(swim, UserId(1)).await.is_err());
    assert_eq!(h.app().display_name(UserId(1)).await.unwrap(), None);
    let board = h.app().board(run, UserId(3), 10).await.unwrap();
    assert_eq!(board.participants, 2);

    // A stranger now: /start begins afresh, and her name is stored again.
    ann.send("/start").await;
    ann.sees("What would you like to do?");
    assert_eq!(h.app().display_name(UserId(1)).await.unwrap().map(|n| n.to_string()), Some("Ann".into()));
    // An old confirmation pressed again deletes what there is (nothing much) and says so.
    ann.press_payload("v1:dmy").await;
    ann.sees("I deleted your 0 entries in 0 challenges");
}

async fn creating_is_limited_to_ten_a_day(backend: Backend) {
    let h = Harness::new(backend).await;
    for n in 0..challenge_bot::handler::app::CREATIONS_PER_DAY {
        h.seed(1, &format!("Run {n}"), GoalKind::Total, "10", None).await;
    }
    let mut ann = h.user(1, "Ann");
    ann.send("/start").await;
    ann.press("Create challenge").await;
    ann.sees("You have created 10 challenges in the last 24 hours");
    ann.sees("You can create the next one from");
    assert_eq!(ann.state().await, "MAIN_INIT");
    // From a group's link too.
    let group = h.app().group_joined(challenge_bot::challenge::GroupChatId(-5), "Runners").await.unwrap();
    ann.send(&format!("/start g_{}", group.code.as_str())).await;
    ann.sees("You have created 10 challenges");
    // Someone else may.
    let mut bob = h.user(2, "Bob");
    bob.send("/start").await;
    bob.press("Create challenge").await;
    bob.sees("What is the challenge called?");
    // Deleting one frees a place.
    let first = h
        .app()
        .list(challenge_bot::challenge::ChallengeFilter::All, challenge_bot::repository::Page::ALL)
        .await
        .unwrap();
    let oldest = first.items.iter().filter(|c| c.creator == UserId(1)).map(|c| c.id).min().unwrap();
    h.app().delete_challenge(UserId(1), oldest).await.unwrap();
    ann.press_payload("v1:c").await;
    ann.sees("What is the challenge called?");
}

async fn reporting_a_public_challenge(backend: Backend) {
    let h = Harness::new(backend).await;
    h.seed(1, "Buy my course", GoalKind::Total, "10", None).await;
    for (id, name) in [(2, "Bob"), (3, "Cat"), (4, "Dan")] {
        let mut user = h.user(id, name);
        user.send("/start").await;
        user.press("Join challenge").await;
        user.press("Buy my course").await;
        user.press("🚩 Report").await;
        user.sees("Why are you reporting Buy my course?");
        user.sees("Its creator is not told who reported it");
        user.press("Spam or advertising").await;
        user.sees("Thanks: Buy my course is reported");
    }
    // Three people reported it: it left the public list.
    let mut eve = h.user(5, "Eve");
    eve.send("/start").await;
    eve.press("Join challenge").await;
    eve.does_not_see("Buy my course");
    // Its creator gets no report button on her own challenge, and sees nothing of who reported.
    let reported = h.app().reported_challenges().await.unwrap();
    assert_eq!(reported[0].reporters, 3);
    assert!(reported[0].unlisted_at.is_some());
}

async fn a_creator_removes_someone_and_closes_the_challenge(backend: Backend) {
    let h = Harness::new(backend).await;
    h.store.set_bot_username("run_bot", chrono::Utc::now()).await.unwrap();
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    h.app().join(run, UserId(2), None).await.unwrap();
    h.app().join(run, UserId(3), None).await.unwrap();
    h.store
        .upsert_user(UserId(2), &challenge_bot::user::DisplayName::sanitize("Troll", UserId(2)))
        .await
        .unwrap();
    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:mg:{}", run.0)).await;
    ann.press("👥 People").await;
    ann.sees("People in Run");
    ann.press("Remove Troll").await;
    ann.sees("Remove Troll from Run?");
    ann.press("Yes, remove").await;
    ann.sees("Removed Troll.");
    assert_eq!(ann.news.len(), 1);
    assert_eq!(ann.news[0].news_recipient(), Some(UserId(2)));
    assert!(ann.news[0].text.to_plain().contains("You were removed from Run by its creator."));
    assert!(h.app().participant(run, UserId(2)).await.is_err());
    // The invite link no longer lets them in.
    let code = h.app().invite(Some(UserId(1)), run, None).await.unwrap().code;
    let mut troll = h.user(2, "Troll");
    troll.send(&format!("/start {}", code.as_str())).await;
    troll.sees("You were removed from challenge #1 by its creator");
    // Closed: nobody new, by the link either; open again: the link works.
    ann.press_payload(&format!("v1:mg:{}", run.0)).await;
    ann.press("🚪 Close to new people").await;
    ann.sees("Closed: nobody new can join");
    assert!(ann.has_button("🔓 Open to new people"));
    let mut dan = h.user(4, "Dan");
    dan.send(&format!("/start {}", code.as_str())).await;
    dan.sees("closed to new participants");
    ann.press("🔓 Open to new people").await;
    dan.send(&format!("/start {}", code.as_str())).await;
    dan.press("Use 100 km").await;
    dan.sees("You joined");
    // Someone else cannot moderate.
    let mut cat = h.user(3, "Cat");
    cat.press_payload(&format!("v1:rmy:{}:4", run.0)).await;
    cat.sees("Only the creator");
    assert!(h.app().participant(run, UserId(4)).await.is_ok());
}

async fn new_invite_links_are_limited_to_ten_a_day(backend: Backend) {
    let h = Harness::new(backend).await;
    h.store.set_bot_username("run_bot", chrono::Utc::now()).await.unwrap();
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:iv:{}", run.0)).await;
    let mut codes = std::collections::HashSet::new();
    for _ in 0..challenge_bot::handler::app::RENEWALS_PER_DAY {
        ann.press("🔄 New link").await;
        ann.does_not_see("You have made");
        codes.insert(h.app().invite(Some(UserId(1)), run, None).await.unwrap().code);
    }
    assert_eq!(codes.len(), 10, "each press made a new link");
    let before = h.app().invite(Some(UserId(1)), run, None).await.unwrap().code;
    ann.press_payload(&format!("v1:ivr:{}", run.0)).await;
    ann.sees("You have made 10 new invite links in the last 24 hours");
    ann.sees("the current link keeps working");
    assert_eq!(h.app().invite(Some(UserId(1)), run, None).await.unwrap().code, before, "unchanged");
}

async fn a_creator_hides_an_offensive_name(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await;
    h.app().join(run, UserId(2), None).await.unwrap();
    h.app().join(run, UserId(3), None).await.unwrap();
    let mut troll = h.user(2, "Troll");
    troll.send("5").await;
    troll.sees("Logged");
    let mut cat = h.user(3, "Cat");
    cat.send("9").await;
    cat.press_payload(&format!("v1:l:{}", run.0)).await;
    cat.sees("Troll");

    let mut ann = h.user(1, "Ann");
    ann.press_payload(&format!("v1:mg:{}", run.0)).await;
    ann.press("👥 People").await;
    ann.sees("Hide a name");
    let hide = format!("v1:hn:{}:2:0", run.0);
    assert!(ann.labels().iter().filter(|l| *l == "🙈 Hide name").count() == 2, "{:?}", ann.labels());
    assert!(
        ann.last.iter().flat_map(|r| r.all_buttons()).any(|b| b.payload == hide),
        "a Hide button for Troll"
    );
    ann.press_payload(&hide).await;
    ann.sees("Troll now shows as Participant 1 to everyone in this challenge but you.");
    ann.sees("🙈 Troll shows as Participant 1.");
    assert!(
        ann.has_button("👁 Show name") && ann.has_button("Remove Troll"),
        "the creator still sees who it is"
    );
    assert_eq!(ann.news.len(), 1);
    assert_eq!(ann.news[0].news_recipient(), Some(UserId(2)));
    assert!(ann.news[0].text.to_plain().contains("its leaderboard shows you as Participant 1"));
    // An old Hide button pressed again: no second message to them.
    ann.press_payload(&hide).await;
    assert!(ann.news.is_empty());

    cat.press_payload(&format!("v1:l:{}", run.0)).await;
    cat.sees("Participant 1");
    cat.does_not_see("Troll");
    // They pass Cat: the news names them as the leaderboard does.
    troll.send("10").await;
    assert_eq!(troll.news.len(), 1);
    let news = troll.news[0].text.to_plain();
    assert!(news.contains("Participant 1 passed you in Run") && !news.contains("Troll"), "{news}");

    // Only the creator hides names, and not their own.
    cat.press_payload(&format!("v1:hn:{}:3:0", run.0)).await;
    cat.sees("Only the creator");
    ann.press_payload(&format!("v1:hn:{}:1:0", run.0)).await;
    ann.sees("Your own name shows as it is");

    ann.press_payload(&format!("v1:mg:{}", run.0)).await;
    ann.press("👥 People").await;
    ann.press("👁 Show name").await;
    ann.sees("Troll’s name shows again.");
    assert!(ann.news.is_empty(), "showing it again sends nothing");
    cat.press_payload(&format!("v1:l:{}", run.0)).await;
    cat.sees("Troll");
    cat.does_not_see("Participant 1");
}

on_every_store!(
    a_creator_hides_an_offensive_name,
    new_invite_links_are_limited_to_ten_a_day,
    a_creator_removes_someone_and_closes_the_challenge,
    reporting_a_public_challenge,
    privacy_says_what_is_kept,
    deleteme_asks_then_deletes_everything,
    creating_is_limited_to_ten_a_day
);
