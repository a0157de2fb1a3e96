//! The repository contract of group chats (issue 12), on the in-memory store, SQLite and
//! PostgreSQL: a group keeps its link code when it is seen again, leaves and comes back; its
//! challenges are listed newest first (running ones only when asked); a deleted challenge leaves
//! its group; a group turned supergroup takes its challenges along, whichever of its two
//! updates comes first.

mod contract_support;
mod storage_support;

use challenge_bot::challenge::{GroupChatId, InviteCode};
use challenge_bot::clock::Today;
use challenge_bot::goal::GoalKind;

use contract_support::*;

contract_tests!(
    all: [
        a_group_keeps_its_code_and_follows_the_bot,
        a_groups_challenges_are_listed_newest_first,
        a_deleted_challenge_leaves_its_group,
        a_supergroup_takes_the_groups_challenges,
        a_supergroup_seen_first_still_gets_them,
    ],
    sql: []
);

const GROUP: GroupChatId = GroupChatId(-42);
const SUPER: GroupChatId = GroupChatId(-1_000_000_000_042);

async fn make(db: &Db, name: &str, deadline: &str) -> challenge_bot::challenge::Challenge {
    let spec = challenge_spec(ANN, name, GoalKind::Total, "100", "2026-03-01", deadline);
    db.store.create_challenge(&spec).await.expect("create")
}

async fn names(db: &Db, group: GroupChatId, active_on: Option<&str>) -> Vec<String> {
    let list =
        db.store.group_challenges(group, active_on.map(|date| Today::pinned(d(date))), 10).await.unwrap();
    list.iter().map(|c| c.name.to_string()).collect()
}

async fn a_group_keeps_its_code_and_follows_the_bot(db: Db) {
    let first = InviteCode::generate();
    let group = db.store.upsert_group(GROUP, "Runners", true, &first, at(0)).await.unwrap();
    assert_eq!((group.id, group.title.as_str(), group.active), (GROUP, "Runners", true));
    assert_eq!(group.code, first);
    // Seen again (renamed), removed, added back: the same code throughout.
    let renamed =
        db.store.upsert_group(GROUP, "Runners club", true, &InviteCode::generate(), at(1440)).await.unwrap();
    assert_eq!((renamed.title.as_str(), &renamed.code), ("Runners club", &first));
    let left =
        db.store.upsert_group(GROUP, "Runners club", false, &InviteCode::generate(), at(2880)).await.unwrap();
    assert!(!left.active);
    assert!(!db.store.group(GROUP).await.unwrap().unwrap().active);
    assert_eq!(db.store.group_by_code(&first).await.unwrap().map(|g| g.id), Some(GROUP));
    assert_eq!(db.store.group_by_code(&InviteCode::generate()).await.unwrap(), None);
    assert_eq!(db.store.group(GroupChatId(-7)).await.unwrap(), None);
}

async fn a_groups_challenges_are_listed_newest_first(db: Db) {
    db.store.upsert_group(GROUP, "Runners", true, &InviteCode::generate(), at(0)).await.unwrap();
    let old = make(&db, "Old run", "2026-03-10").await;
    let run = make(&db, "Run", "2026-03-31").await;
    let swim = make(&db, "Swim", "2026-04-30").await;
    let elsewhere = make(&db, "Not the group's", "2026-04-30").await;
    for c in [&old, &run, &swim] {
        db.store.set_challenge_group(c.id, GROUP).await.unwrap();
    }
    assert_eq!(names(&db, GROUP, None).await, ["Swim", "Run", "Old run"]);
    assert_eq!(names(&db, GROUP, Some("2026-03-11")).await, ["Swim", "Run"]);
    assert_eq!(db.store.group_challenges(GROUP, None, 1).await.unwrap().len(), 1);
    assert_eq!(db.store.group_of(run.id).await.unwrap().map(|g| g.id), Some(GROUP));
    assert_eq!(db.store.group_of(elsewhere.id).await.unwrap(), None);
    let missing = challenge_bot::challenge::ChallengeId(999_999);
    assert!(matches!(
        db.store.set_challenge_group(missing, GROUP).await,
        Err(challenge_bot::repository::RepositoryError::ChallengeNotFound(999_999))
    ));
}

async fn a_deleted_challenge_leaves_its_group(db: Db) {
    db.store.upsert_group(GROUP, "Runners", true, &InviteCode::generate(), at(0)).await.unwrap();
    let run = make(&db, "Run", "2026-03-31").await;
    db.store.set_challenge_group(run.id, GROUP).await.unwrap();
    db.store.delete_challenge(run.id, at(1440)).await.unwrap();
    assert!(names(&db, GROUP, None).await.is_empty());
    assert_eq!(db.store.group_of(run.id).await.unwrap(), None);
}

async fn a_supergroup_takes_the_groups_challenges(db: Db) {
    let code = InviteCode::generate();
    db.store.upsert_group(GROUP, "Runners", true, &code, at(0)).await.unwrap();
    let run = make(&db, "Run", "2026-03-31").await;
    db.store.set_challenge_group(run.id, GROUP).await.unwrap();
    db.store.migrate_group(GROUP, SUPER, at(1440)).await.unwrap();
    assert_eq!(names(&db, SUPER, None).await, ["Run"]);
    assert!(names(&db, GROUP, None).await.is_empty());
    assert_eq!(db.store.group(GROUP).await.unwrap(), None);
    let moved = db.store.group(SUPER).await.unwrap().expect("the supergroup");
    assert_eq!((moved.code, moved.active), (code, true));
    assert_eq!(db.store.group_of(run.id).await.unwrap().map(|g| g.id), Some(SUPER));
    // The second of Telegram's two messages about it changes nothing.
    db.store.migrate_group(GROUP, SUPER, at(1441)).await.unwrap();
    assert_eq!(names(&db, SUPER, None).await, ["Run"]);
}

async fn a_supergroup_seen_first_still_gets_them(db: Db) {
    db.store.upsert_group(GROUP, "Runners", true, &InviteCode::generate(), at(0)).await.unwrap();
    let run = make(&db, "Run", "2026-03-31").await;
    db.store.set_challenge_group(run.id, GROUP).await.unwrap();
    // A command in the supergroup stored it before the migration was handled.
    db.store.upsert_group(SUPER, "Runners", true, &InviteCode::generate(), at(1380)).await.unwrap();
    db.store.migrate_group(GROUP, SUPER, at(1440)).await.unwrap();
    assert_eq!(names(&db, SUPER, None).await, ["Run"]);
    assert_eq!(db.store.group(GROUP).await.unwrap(), None);
}
