//! Group chats end to end (issue 12): the real binary against the fake Bot API, which holds the
//! bot to Telegram's 20 messages a minute per group (a 429 beyond). The bot added to a group
//! greets it; a challenge for the group is made in a private chat from the group's link and
//! posted in the group; eight members join with one tap and the group hears it batched; `/log`
//! and `/log@bot` are answered in the group; `/standings`; the group turned supergroup keeps its
//! challenge; removed, the bot sends the group nothing more and the challenge goes on in private
//! chats. On SQLite and PostgreSQL. And a message to a group Telegram moved to a supergroup
//! before the bot heard of it goes to the supergroup.

mod bot_support;
mod storage_support;
mod support;

use bot_support::{Chat, TOKEN, WAIT, Workspace, wait_until_polling};
use support::fake_telegram::{FakeTelegram, FakeUser, Fault, SentMessage};

const GROUP: i64 = -7001;
const SUPERGROUP: i64 = -1_000_000_007_001;
const MEMBERS: [&str; 8] = ["Ada", "Ben", "Cal", "Deb", "Eve", "Fay", "Gus", "Hal"];

/// Waits for a message in `chat` containing `needle`, and returns it.
async fn message_with(fake: &FakeTelegram, chat: i64, needle: &str) -> SentMessage {
    let found = |f: &FakeTelegram| f.sent_messages(chat).into_iter().find(|m| m.text.contains(needle));
    fake.wait_until(&format!("{needle:?} in chat {chat}"), WAIT, |f| found(f).is_some()).await;
    found(fake).expect("found")
}

/// `user` writes in a group and the bot has handled it.
async fn in_group(fake: &FakeTelegram, user: &FakeUser, chat: i64, text: &str) {
    let update = fake.send_group_text(user, chat, text);
    assert!(update > 0);
    fake.wait_for_confirmation(update, WAIT).await;
}

async fn group_end_to_end(workspace: Workspace) {
    let fake = FakeTelegram::start(TOKEN).await;
    // Telegram's pace (the defaults): one message a second per chat, 20 a minute per group.
    let bot = workspace.start(&fake, &[("TELEGRAM_RATE_PER_CHAT", "1")]);
    wait_until_polling(&fake).await;
    let ann = Chat::new(&fake, 1, "Ann");
    let members: Vec<FakeUser> =
        MEMBERS.iter().enumerate().map(|(i, name)| FakeUser::new(100 + i as i64, name)).collect();

    // Added: one greeting.
    let added = fake.add_bot_to_group(&ann.user, GROUP, "Runners");
    fake.wait_for_confirmation(added, WAIT).await;
    message_with(&fake, GROUP, "I run challenges for this group").await;

    // /challenge: none yet, and the link that makes one in Ann's private chat.
    in_group(&fake, &ann.user, GROUP, "/challenge").await;
    let menu = message_with(&fake, GROUP, "Challenges of Runners").await;
    let link = menu
        .inline_buttons()
        .into_iter()
        .find_map(|b| b.url.filter(|u| u.contains("?start=g_")))
        .expect("a create link");
    assert!(link.starts_with(&format!("https://t.me/{}?start=g_", fake.bot_username())), "{link}");
    let payload = link.rsplit("start=").next().unwrap().to_owned();
    ann.say(&format!("/start {payload}")).await;
    ann.expect(&["A new challenge for Runners", "What is the group's challenge called?"]).await;
    ann.say("Run").await;
    ann.press("Skip").await;
    ann.press("In 30 days").await;
    ann.press("Total").await;
    ann.say("100 km").await;
    ann.expect(&["Challenge created!", "I posted it in Runners"]).await;
    let post = message_with(&fake, GROUP, "Ann started a challenge for this group").await;
    let join = post
        .inline_buttons()
        .into_iter()
        .find(|b| b.text == "🙋 Join")
        .and_then(|b| b.callback_data)
        .expect("a Join button");
    assert!(post.inline_buttons().iter().any(|b| b.text == "🎯 Change my goal" && b.url.is_some()));

    // Eight members join with one tap each, at once: each is told privately (the button's
    // toast), the group hears it in few messages.
    let before = fake.sent_messages(GROUP).len();
    let presses: Vec<i64> =
        members.iter().map(|m| fake.press_button_in_chat(m, GROUP, post.message_id, &join)).collect();
    for press in &presses {
        fake.wait_for_confirmation(*press, WAIT).await;
    }
    let toasts = |f: &FakeTelegram| {
        f.callback_answers()
            .into_iter()
            .filter_map(|a| a.text)
            .filter(|t| t.contains("You joined Run"))
            .count()
    };
    fake.wait_until("a toast for each", WAIT, |f| toasts(f) == MEMBERS.len()).await;
    let joined_news = |f: &FakeTelegram| -> Vec<String> {
        f.sent_messages(GROUP)[before..]
            .iter()
            .map(|m| m.text.clone())
            .filter(|t| t.contains("joined Run"))
            .collect()
    };
    fake.wait_until("every join told in the group", WAIT, |f| {
        let news = joined_news(f).join("\n");
        MEMBERS.iter().all(|name| news.contains(name))
    })
    .await;
    let news = joined_news(&fake);
    for name in MEMBERS {
        assert_eq!(news.join("\n").matches(name).count(), 1, "{name} told once: {news:#?}");
    }
    assert!(news.len() < MEMBERS.len() / 2, "batched: {news:#?}");
    assert!(news.iter().any(|t| t.contains(" and ")), "merged into one line: {news:#?}");
    // Ann, the creator, hears of each in her private chat.
    fake.wait_until("Ann's news", WAIT, |_| {
        ann.news().iter().filter(|t| t.contains("joined your challenge")).count() == 8
    })
    .await;

    // /log with and without @bot, answered in the group; /standings.
    in_group(&fake, &members[0], GROUP, "/log 5").await;
    in_group(&fake, &members[1], GROUP, &format!("/log@{} 7", fake.bot_username())).await;
    message_with(&fake, GROUP, "✅ Ada: 5 km in Run").await;
    message_with(&fake, GROUP, "✅ Ben: 7 km in Run").await;
    in_group(&fake, &members[2], GROUP, "/standings").await;
    let standings = message_with(&fake, GROUP, "Standings: Run").await.text;
    let (ben, ada) = (standings.find("Ben").unwrap(), standings.find("Ada").unwrap());
    assert!(ben < ada, "Ben leads: {standings}");

    // The group becomes a supergroup: the challenge follows it.
    let (moved, arrived) = fake.migrate_group(&ann.user, GROUP, SUPERGROUP);
    fake.wait_for_confirmation(moved.max(arrived), WAIT).await;
    in_group(&fake, &members[3], SUPERGROUP, "/log 2").await;
    message_with(&fake, SUPERGROUP, "✅ Deb: 2 km in Run").await;

    // Removed: the bot sends the group nothing more; the challenge goes on in private.
    workspace.wait_until_outbox_empty().await;
    let removed = fake.remove_bot_from_group(&ann.user, SUPERGROUP);
    fake.wait_for_confirmation(removed, WAIT).await;
    let sent_to_group = fake.sent_messages(SUPERGROUP).len();
    let ada = Chat::new(&fake, members[0].id, "Ada");
    ada.say("/log 95").await;
    fake.wait_until("Ada's goal", WAIT, |_| ada.texts().iter().any(|t| t.contains("Goal reached!"))).await;
    assert!(ada.texts().iter().any(|t| t.contains("Logged 95 km")), "{:#?}", ada.texts());
    workspace.wait_until_outbox_empty().await;
    assert_eq!(fake.sent_messages(SUPERGROUP).len(), sent_to_group, "nothing after the removal");
    let refused = fake.calls_to("sendMessage").into_iter().filter(|c| c.error_code() == Some(403)).count();
    assert_eq!(refused, 0, "the bot knew not to send there");

    // Never over Telegram's limit: no message to a group was refused.
    assert_eq!(fake.group_rate_refusals(), 0);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_on_sqlite() {
    group_end_to_end(Workspace::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_on_postgres() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    group_end_to_end(Workspace::with_database(guard.url().to_owned())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_to_a_group_that_became_a_supergroup_follows_it() {
    let workspace = Workspace::sqlite();
    let fake = FakeTelegram::start(TOKEN).await;
    let bot = workspace.start(&fake, &[]);
    wait_until_polling(&fake).await;
    let ann = FakeUser::new(1, "Ann");
    // The supergroup exists (the bot is in it) and Telegram has moved the group there, but the
    // bot has not heard of the move yet: its answer to the old id is refused with the new one.
    for (chat, title) in [(GROUP, "Runners"), (SUPERGROUP, "Runners")] {
        let added = fake.add_bot_to_group(&ann, chat, title);
        fake.wait_for_confirmation(added, WAIT).await;
        message_with(&fake, chat, "I run challenges for this group").await;
    }
    fake.fail_next("sendMessage", Fault::Migrated { to: SUPERGROUP }, 1);
    in_group(&fake, &ann, GROUP, "/challenge").await;
    message_with(&fake, SUPERGROUP, "Challenges of Runners").await;
    assert_eq!(fake.sent_messages(GROUP).len(), 1, "only the greeting in the old group");
    let refused: Vec<_> =
        fake.calls_to("sendMessage").into_iter().filter(|c| c.error_code() == Some(400)).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].param_i64("chat_id"), Some(GROUP), "tried the old id first");
    bot.stop().await;
}
