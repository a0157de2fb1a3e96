//! The conversation in group chats (issue 12), on the in-memory store, SQLite and PostgreSQL: the
//! bot added greets the group; a challenge for the group is made in a private chat from the
//! group's link and posted in the group; members join with one tap; `/log` picks the challenge
//! by unit or name; `/standings`; joins and goals met become the group's news; deleting is for
//! the creator and the group's admins; a removed bot's group keeps its challenges, and a group
//! turned supergroup takes them along.

mod conversation_support;
mod storage_support;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, GroupChatId, Unit, Visibility};
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::ChallengeDraft;
use challenge_bot::handler::conversation::{
    Action, GroupAnswer, GroupInput, GroupRequest, Input, Reply, ReplyKind,
};
use challenge_bot::user::{DisplayName, UserId};
use conversation_support::{Backend, Harness, day};

const GROUP: GroupChatId = GroupChatId(-4242);
const TITLE: &str = "Runners";

/// One input of `user` in the group.
async fn said(h: &Harness, user: i64, name: &str, input: GroupInput) -> GroupAnswer {
    let request = GroupRequest {
        group: GROUP,
        title: TITLE.into(),
        user: UserId(user),
        name: DisplayName::sanitize(name, UserId(user)),
        input,
        idempotency_key: None,
    };
    h.conv.group(request).await.expect("the group input is handled")
}

async fn command(h: &Harness, user: i64, name: &str, text: &str) -> GroupAnswer {
    let Input::Command { name: command, arg } = Input::from_message(text) else {
        panic!("{text} is a command")
    };
    said(h, user, name, GroupInput::Command { name: command, arg }).await
}

async fn press(h: &Harness, user: i64, name: &str, action: Action, admin: bool) -> GroupAnswer {
    said(h, user, name, GroupInput::Button { payload: action.encode(), admin }).await
}

/// The text of what is said in the group itself (not news for anyone's private chat, not the
/// group's news lines).
fn in_group(answer: &GroupAnswer) -> String {
    answer
        .replies
        .iter()
        .filter(|r| !r.is_for_others())
        .map(|r| r.text.to_plain())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The group's news lines an input made.
fn lines(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .filter_map(|r| match &r.kind {
            ReplyKind::Announcement(a) => {
                assert_eq!(a.group, GROUP);
                Some(r.text.to_plain())
            }
            _ => None,
        })
        .collect()
}

/// News for private chats an input made: (to, text).
fn news(replies: &[Reply]) -> Vec<(i64, String)> {
    replies.iter().filter_map(|r| r.news_recipient().map(|to| (to.0, r.text.to_plain()))).collect()
}

/// A challenge of the group made by `creator` (deadline 2026-04-10).
async fn group_challenge(
    h: &Harness,
    creator: i64,
    name: &str,
    kind: GoalKind,
    goal: &str,
    unit: Option<&str>,
) -> ChallengeId {
    h.app().group_joined(GROUP, TITLE).await.unwrap();
    let draft = ChallengeDraft {
        name: ChallengeName::parse(name).unwrap(),
        description: Description::default(),
        deadline: day("2026-04-10"),
        unit: unit.map(|u| Unit::parse(u).unwrap()),
        goal: Goal::new(kind, Amount::parse_positive(goal).unwrap()).unwrap(),
        visibility: Visibility::Private,
    };
    h.app().create_group_challenge(UserId(creator), draft, GROUP).await.unwrap().0.id
}

async fn a_group_challenge_is_made_in_private_and_joined_with_one_tap(backend: Backend) {
    let h = Harness::new(backend).await;
    h.store.set_bot_username("run_bot", chrono::Utc::now()).await.unwrap();
    let added = said(&h, 1, "Ann", GroupInput::Added).await;
    let greeting = in_group(&added);
    assert!(
        greeting.contains("I run challenges for this group") && greeting.contains("/log 5"),
        "{greeting}"
    );
    assert!(greeting.contains("@run_bot"), "{greeting}");

    let menu = command(&h, 1, "Ann", "/challenge").await;
    assert!(in_group(&menu).contains("No running challenge here yet"), "{}", in_group(&menu));
    let link = menu.replies[0].link.as_ref().expect("a link to create one").url.clone();
    assert!(link.starts_with("https://t.me/run_bot?start=g_"), "{link}");
    let payload = link.rsplit("start=").next().unwrap().to_owned();

    // Ann follows it to her private chat and answers the usual questions.
    let mut ann = h.user(1, "Ann");
    ann.send(&format!("/start {payload}")).await;
    ann.sees("A new challenge for Runners");
    ann.sees("What is the group's challenge called?");
    ann.send("Run").await;
    ann.press("Skip").await;
    ann.press("In 30 days").await;
    ann.press("Total").await;
    ann.send("100 km").await;
    ann.sees("Challenge created");
    ann.sees("I posted it in Runners");
    assert_eq!(ann.state().await, "MAIN_INIT");
    let post =
        ann.to_groups.iter().find(|r| r.kind == ReplyKind::GroupPost { group: GROUP }).expect("posted");
    let text = post.text.to_plain();
    assert!(text.contains("Ann started a challenge for this group") && text.contains("Run"), "{text}");
    let join = post.button("🙋 Join").expect("a Join button").payload.clone();
    let goal_link = post.link.as_ref().expect("Change my goal").url.clone();
    let Ok(Action::GroupJoin { challenge: run }) = Action::decode(&join) else { panic!("{join}") };
    assert_eq!(goal_link, format!("https://t.me/run_bot?start=goal_{}", run.0));
    assert_eq!(h.app().group_challenges(GROUP).await.unwrap().len(), 1);

    // Bob and Cat join with one tap; the group hears it, Ann gets news.
    let bob = press(&h, 2, "Bob", Action::GroupJoin { challenge: run }, false).await;
    let toast = bob.toast.clone().unwrap();
    assert!(toast.contains("You joined Run") && toast.contains("100 km"), "{toast}");
    assert!(toast.chars().count() <= 200, "a callback answer holds 200 characters: {toast}");
    assert_eq!(lines(&bob.replies), ["👋 Bob joined Run."]);
    assert_eq!(news(&bob.replies), [(1, "👋 Bob joined your challenge Run.".to_owned())]);
    let again = press(&h, 2, "Bob", Action::GroupJoin { challenge: run }, false).await;
    assert!(again.toast.unwrap().contains("already in Run"));
    assert!(again.replies.is_empty(), "joining twice tells nobody");
    press(&h, 3, "Cat", Action::GroupJoin { challenge: run }, false).await;
    assert_eq!(h.app().board(run, UserId(1), 10).await.unwrap().participants, 3);

    // "Change my goal" opens the goal question in Bob's private chat.
    let mut bob_private = h.user(2, "Bob");
    bob_private.send(&format!("/start goal_{}", run.0)).await;
    assert_eq!(bob_private.state().await, "UPSERT_GOAL");
    // Someone not in it is told it is private.
    let mut dan = h.user(4, "Dan");
    dan.send(&format!("/start goal_{}", run.0)).await;
    dan.sees("private");

    // /log and /standings in the group.
    let logged = command(&h, 2, "Bob", "/log 5").await;
    let said_text = in_group(&logged);
    assert!(said_text.contains("✅ Bob: 5 km in Run"), "{said_text}");
    let standings = in_group(&command(&h, 1, "Ann", "/standings").await);
    assert!(standings.contains("Standings: Run"), "{standings}");
    let bob_line = standings.find("Bob").expect("Bob is on it");
    let ann_line = standings.find("Ann").expect("Ann is on it");
    assert!(bob_line < ann_line, "Bob leads: {standings}");
    assert!(!standings.contains("(you)"), "nobody is 'you' in a group: {standings}");

    // A button naming a challenge of another group (or none) does nothing.
    let elsewhere = h.seed(9, "Elsewhere", GoalKind::Total, "10", None).await;
    let forged = press(&h, 2, "Bob", Action::GroupJoin { challenge: elsewhere }, false).await;
    assert!(forged.toast.unwrap().contains("not one of this group's challenges"));
    let private_button = press(&h, 2, "Bob", Action::Menu, false).await;
    assert_eq!(private_button.toast.as_deref(), Some("This button does not work here."));
}

async fn log_in_a_group_picks_the_challenge_by_unit_or_name(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = group_challenge(&h, 1, "Morning run", GoalKind::Total, "100", Some("km")).await;
    let swim = group_challenge(&h, 1, "Swim", GoalKind::Total, "40", Some("laps")).await;
    let days = group_challenge(&h, 1, "No sugar", GoalKind::Days, "20", None).await;

    let stranger = in_group(&command(&h, 2, "Bob", "/log 5").await);
    assert!(stranger.contains("not in any of this group's running challenges"), "{stranger}");
    for id in [run, swim, days] {
        press(&h, 2, "Bob", Action::GroupJoin { challenge: id }, false).await;
    }
    let which = in_group(&command(&h, 2, "Bob", "/log 5").await);
    assert!(
        which.contains("which one?") && which.contains("Morning run") && which.contains("Swim"),
        "{which}"
    );
    assert!(!which.contains("No sugar"), "a days challenge takes no number: {which}");
    let by_unit = in_group(&command(&h, 2, "Bob", "/log 5 km").await);
    assert!(by_unit.contains("5 km in Morning run"), "{by_unit}");
    let by_name = in_group(&command(&h, 2, "Bob", "/log 3 swim").await);
    assert!(by_name.contains("3 laps in Swim"), "{by_name}");
    let none = in_group(&command(&h, 2, "Bob", "/log 5 miles").await);
    assert!(none.contains("fits none of your challenges"), "{none}");
    let check_in = in_group(&command(&h, 2, "Bob", "/log").await);
    assert!(check_in.contains("✅ Bob: checked in in No sugar"), "{check_in}");
    let words = in_group(&command(&h, 2, "Bob", "/log lots").await);
    assert!(words.contains("Log with a number"), "{words}");
    let bad = in_group(&command(&h, 2, "Bob", "/log 5 km 2020-01-01").await);
    assert!(!bad.contains("✅"), "a date before the challenge is refused: {bad}");
    for id in [run, swim, days] {
        assert_eq!(h.app().progress(id, UserId(2)).await.unwrap().len(), 1, "one entry in #{}", id.0);
    }
}

async fn goals_met_are_the_groups_news(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = group_challenge(&h, 1, "Run", GoalKind::Total, "10", Some("km")).await;
    press(&h, 2, "Bob", Action::GroupJoin { challenge: run }, false).await;
    let first = command(&h, 2, "Bob", "/log 10").await;
    assert_eq!(lines(&first.replies), ["🥇 Bob is the first to meet the goal of Run!"]);
    // Ann logs in her private chat: the group hears it there too.
    let mut ann = h.user(1, "Ann");
    ann.send("/log 12").await;
    ann.sees("Logged 12 km");
    let announced: Vec<String> = ann
        .to_groups
        .iter()
        .filter(|r| matches!(r.kind, ReplyKind::Announcement(_)))
        .map(|r| r.text.to_plain())
        .collect();
    assert_eq!(announced, ["🎯 Ann reached their goal in Run!"]);
    // More progress after the goal: no news.
    let more = command(&h, 2, "Bob", "/log 1").await;
    assert!(lines(&more.replies).is_empty());
}

async fn deleting_is_for_the_creator_and_the_groups_admins(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = group_challenge(&h, 1, "Run", GoalKind::Total, "10", None).await;
    press(&h, 2, "Bob", Action::GroupJoin { challenge: run }, false).await;
    let refused = press(&h, 2, "Bob", Action::GroupDelete { challenge: run }, false).await;
    assert!(refused.toast.unwrap().contains("Only the creator"), "a member may not");
    let forged = press(&h, 2, "Bob", Action::GroupDeleteConfirm { challenge: run }, false).await;
    assert!(forged.toast.unwrap().contains("Only the creator"));
    assert!(h.app().challenge(run).await.is_ok(), "still there");
    // An admin may: asked first, then deleted.
    let asked = press(&h, 3, "Cat", Action::GroupDelete { challenge: run }, true).await;
    assert!(in_group(&asked).contains("Delete Run with everyone's entries"), "{}", in_group(&asked));
    let deleted = press(&h, 3, "Cat", Action::GroupDeleteConfirm { challenge: run }, true).await;
    assert!(in_group(&deleted).contains("Run was deleted by Cat"));
    assert!(h.app().challenge(run).await.is_err());
    // The creator may too.
    let swim = group_challenge(&h, 1, "Swim", GoalKind::Total, "10", None).await;
    press(&h, 1, "Ann", Action::GroupDeleteConfirm { challenge: swim }, false).await;
    assert!(h.app().challenge(swim).await.is_err());
}

async fn a_removed_or_migrated_group_keeps_its_challenges(backend: Backend) {
    let h = Harness::new(backend).await;
    let run = group_challenge(&h, 1, "Run", GoalKind::Total, "10", Some("km")).await;
    said(&h, 1, "Ann", GroupInput::Removed).await;
    // The challenge lives on in private chats; the group hears nothing more.
    let mut ann = h.user(1, "Ann");
    ann.send("/log 3").await;
    ann.sees("Logged 3 km");
    let code = h.app().invite(Some(UserId(1)), run, Some("run_bot")).await.unwrap().code;
    let mut cat = h.user(3, "Cat");
    cat.send(&format!("/start {}", code.as_str())).await;
    cat.press("Use 10 km").await;
    cat.sees("You joined");
    assert!(cat.to_groups.is_empty(), "a group without the bot hears nothing: {:?}", cat.to_groups);
    // Added back, then turned supergroup: the challenge follows the new id.
    said(&h, 1, "Ann", GroupInput::Added).await;
    let supergroup = GroupChatId(-1_000_000_004_242);
    let request = GroupRequest {
        group: supergroup,
        title: TITLE.into(),
        user: UserId(1),
        name: DisplayName::sanitize("Ann", UserId(1)),
        input: GroupInput::Migrated { from: GROUP },
        idempotency_key: None,
    };
    h.conv.group(request).await.unwrap();
    assert!(h.app().group_challenges(GROUP).await.unwrap().is_empty());
    let moved: Vec<ChallengeId> =
        h.app().group_challenges(supergroup).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(moved, [run]);
}

on_every_store!(
    a_group_challenge_is_made_in_private_and_joined_with_one_tap,
    log_in_a_group_picks_the_challenge_by_unit_or_name,
    goals_met_are_the_groups_news,
    deleting_is_for_the_creator_and_the_groups_admins,
    a_removed_or_migrated_group_keeps_its_challenges,
);
