//! News from the others end to end (issue 12): the real binary against the fake Bot API, on
//! SQLite and PostgreSQL. A join reaches the creator's chat, a pass reaches the one passed, a
//! muted challenge tells nothing, news committed before a kill -9 reaches each person once after
//! the restart (news is written to the outbox with the event that makes it), and someone who
//! blocked the bot gets no news until they write again.

mod bot_support;
mod storage_support;
mod support;

use std::time::Duration;

use bot_support::{Chat, TOKEN, WAIT, Workspace, wait_until_polling};
use support::fake_telegram::FakeTelegram;

const ANN: i64 = 1;
const BOB: i64 = 2;
const CAT: i64 = 3;

/// How many messages in `chat` contain `needle`.
fn count(chat: &Chat<'_>, needle: &str) -> usize {
    chat.texts().iter().filter(|t| t.contains(needle)).count()
}

async fn news_end_to_end(workspace: Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    // News one every 10 seconds: what is not sent yet at the kill waits in the outbox.
    let slow = [("TELEGRAM_RATE_BULK", "0.1")];
    let bot = workspace.start(&fake, &slow);
    wait_until_polling(&fake).await;
    let (ann, bob, cat) =
        (Chat::new(&fake, ANN, "Ann"), Chat::new(&fake, BOB, "Bob"), Chat::new(&fake, CAT, "Cat"));

    ann.say("/start").await;
    ann.press("Create challenge").await;
    ann.say("Run").await;
    ann.press("Skip").await;
    ann.press("In a week").await;
    ann.press("Total").await;
    ann.say("50 km").await;
    ann.expect(&["Challenge created!"]).await;
    ann.press("👥 Invite & visibility").await;
    ann.press("🌍 Make public").await;
    ann.expect(&["It is public now"]).await;

    // Bob joins: Ann hears it (the first news goes at once).
    bob.say("/start").await;
    bob.press("Join challenge").await;
    bob.press("Run").await;
    bob.press("Use 50 km").await;
    bob.expect(&["You joined"]).await;
    fake.wait_until("Ann's news of Bob", WAIT, |_| count(&ann, "Bob joined your challenge Run") == 1).await;
    workspace.wait_until_outbox_empty().await;

    // Cat joins and logs: two news for Ann, paced; kill -9 while they wait.
    cat.say("/start").await;
    cat.press("Join challenge").await;
    cat.press("Run").await;
    cat.press("Use 50 km").await;
    cat.expect(&["You joined"]).await;
    cat.say("5").await;
    cat.expect(&["Logged 5 km"]).await;
    bob.say("3").await;
    bob.expect(&["Logged 3 km"]).await;
    assert!(workspace.count("SELECT COUNT(*) FROM bot_outbox").await >= 1, "news waiting at the kill");
    bot.kill().await;

    let bot = workspace.start(&fake, &[]);
    workspace.wait_until_outbox_empty().await;
    fake.wait_until("Ann's news of Cat", WAIT, |_| count(&ann, "Cat joined your challenge Run") == 1).await;
    // Bob's 3 passed nobody above him but Ann, who had nothing: no news of passing for her (she has
    // no entries); Cat's 5 passed nobody with entries either.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&ann, "Bob joined your challenge Run"), 1, "not again after the restart");
    assert_eq!(count(&ann, "Cat joined your challenge Run"), 1);

    // A pass: Bob logs 4 more (7) and passes Cat (5).
    bob.say("4").await;
    bob.expect(&["Logged 4 km"]).await;
    fake.wait_until("Cat's news", WAIT, |_| count(&cat, "Bob passed you in Run — you are now 2nd.") == 1)
        .await;
    let news = cat.messages().into_iter().find(|m| m.text.contains("Bob passed you")).unwrap();
    assert!(news.button_texts().contains(&"🔕 Mute".to_owned()), "{:?}", news.button_texts());

    // Cat mutes from the news message; Bob passing her again tells her nothing.
    cat.press("🔕 Mute").await;
    cat.expect(&["No more news from Run"]).await;
    cat.say("10").await;
    cat.expect(&["Logged 10 km"]).await;
    bob.say("20").await;
    bob.expect(&["Logged 20 km"]).await;
    workspace.wait_until_outbox_empty().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // (The first news message itself became the mute's answer: count what was sent.)
    let sent_passes = fake
        .calls()
        .iter()
        .filter(|c| {
            c.method == "sendmessage"
                && c.param_i64("chat_id") == Some(CAT)
                && c.param_str("text").is_some_and(|t| t.contains("passed you"))
        })
        .count();
    assert_eq!(sent_passes, 1, "muted: no second news");

    // Ann blocks the bot: the first news to her meets the 403, the next is not even tried; once
    // she writes again, news reaches her again.
    let refused_to_ann = || {
        fake.calls()
            .iter()
            .filter(|c| c.method == "sendmessage" && c.param_i64("chat_id") == Some(ANN) && !c.is_ok())
            .count()
    };
    fake.set_user_blocked(ANN, true);
    for (id, name, refused) in [(4, "Dan", 1), (5, "Eve", 1)] {
        let joiner = Chat::new(&fake, id, name);
        joiner.say("/start").await;
        joiner.press("Join challenge").await;
        joiner.press("Run").await;
        joiner.press("Use 50 km").await;
        joiner.expect(&["You joined"]).await;
        workspace.wait_until_outbox_empty().await;
        // Dan's news met the 403; Eve's was not even tried.
        assert_eq!(refused_to_ann(), refused, "after {name} joined:\n{}", ann.call_trace());
    }
    assert_eq!(count(&ann, "Dan joined") + count(&ann, "Eve joined"), 0);
    fake.set_user_blocked(ANN, false);
    ann.say("/start").await;
    ann.expect(&["What would you like to do?"]).await;
    let fay = Chat::new(&fake, 6, "Fay");
    fay.say("/start").await;
    fay.press("Join challenge").await;
    fay.press("Run").await;
    fay.press("Use 50 km").await;
    fay.expect(&["You joined"]).await;
    fake.wait_until("Ann's news of Fay", WAIT, |_| count(&ann, "Fay joined your challenge Run") == 1).await;
    bot.stop().await;
}

#[tokio::test]
async fn news_on_sqlite() {
    news_end_to_end(Workspace::sqlite()).await;
}

#[tokio::test]
async fn news_on_postgres() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    news_end_to_end(Workspace::with_database(guard.url().to_owned())).await;
}
