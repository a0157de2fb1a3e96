//! News from the others (issue 12) as the conversation makes it, on the in-memory store, SQLite
//! and PostgreSQL: a join tells the creator, an entry tells those it passed their new place,
//! a goal met tells everyone else (the first finisher in its own words), one message per
//! person per event, nothing to whoever muted the challenge, nothing for a repeated entry.

mod conversation_support;
mod storage_support;

use challenge_bot::goal::GoalKind;
use challenge_bot::handler::conversation::Reply;
use challenge_bot::user::UserId;
use conversation_support::{Backend, Harness, User};

/// (recipient, text) of each news message the last input made.
fn news_of(user: &User<'_>) -> Vec<(i64, String)> {
    user.news.iter().map(|r: &Reply| (r.news_recipient().unwrap().0, r.text.to_string())).collect()
}

async fn log(user: &mut User<'_>, challenge: i64, value: &str) {
    user.press_payload(&format!("v1:q:{challenge}")).await;
    user.send(value).await;
    user.sees("Logged");
}

async fn news_reaches_the_others_once(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = h.seed(1, "Run", GoalKind::Total, "100", Some("km")).await.0;
    let mut ann = h.user(1, "Ann");
    let mut bob = h.user(2, "Bob");
    let mut cat = h.user(3, "Cat");

    // Joining tells the creator; the joiner sees no news of their own.
    bob.press_payload(&format!("v1:jd:{run}")).await;
    bob.sees("You joined");
    assert_eq!(news_of(&bob), vec![(1, "👋 Bob joined your challenge Run.".to_owned())]);
    assert!(bob.news[0].button("🔕 Mute").is_some() && bob.news[0].button("Open Run").is_some());
    cat.press_payload(&format!("v1:jd:{run}")).await;

    log(&mut ann, run, "10").await;
    assert!(news_of(&ann).is_empty(), "first on the board passes nobody: {:?}", news_of(&ann));
    log(&mut bob, run, "20").await;
    assert_eq!(news_of(&bob), vec![(1, "🏃 Bob passed you in Run — you are now 2nd.".to_owned())]);
    // Cat passes both: each is told their own new place.
    log(&mut cat, run, "30").await;
    assert_eq!(
        news_of(&cat),
        vec![
            (2, "🏃 Cat passed you in Run — you are now 2nd.".to_owned()),
            (1, "🏃 Cat passed you in Run — you are now 3rd.".to_owned()),
        ]
    );

    // Ann mutes from the news message.
    ann.press_payload(&format!("v1:nm:{run}")).await;
    ann.sees("No more news from Run");
    assert!(h.app().news_muted(UserId(1), challenge_bot::challenge::ChallengeId(run)).await.unwrap());

    // Bob finishes first and passes Cat: Cat hears both in one message, Ann (muted) nothing.
    log(&mut bob, run, "100").await;
    assert_eq!(
        news_of(&bob),
        vec![(
            3,
            "🏃 Bob passed you in Run — you are now 2nd.\n🥇 Bob is the first to meet the goal of Run!"
                .to_owned()
        )]
    );
    // Cat reaches her goal too: no longer first, so "reached their goal"; Bob hears it.
    log(&mut cat, run, "70").await;
    assert_eq!(news_of(&cat), vec![(2, "🎯 Cat reached their goal in Run.".to_owned())]);

    // The same entry sent again (the same key) is stored once and tells nobody again.
    bob.with_key("k-1").press_payload(&format!("v1:q:{run}")).await;
    bob.with_key("k-2").send("1").await;
    let first = news_of(&bob);
    bob.press_payload(&format!("v1:q:{run}")).await;
    bob.with_key("k-2").send("1").await;
    assert!(news_of(&bob).is_empty(), "a repeated entry made news again after {first:?}");

    // Unmuted from the challenge's screen, Ann hears again.
    ann.press_payload(&format!("v1:o:{run}:0")).await;
    ann.press("🔔 Turn news on").await;
    ann.sees("You will hear again");
    let mut dan = h.user(4, "Dan");
    dan.press_payload(&format!("v1:jd:{run}")).await;
    assert_eq!(news_of(&dan), vec![(1, "👋 Dan joined your challenge Run.".to_owned())]);
    // Someone not in it cannot mute it.
    let mut eve = h.user(5, "Eve");
    eve.press_payload(&format!("v1:nm:{run}")).await;
    eve.sees("You have not joined");
}

on_every_store!(news_reaches_the_others_once);
