//! The repository contract of visibility and invites (issue 12), on the in-memory store, SQLite
//! and PostgreSQL: private challenges are not listed, the public list counts participants and
//! names creators, searches fold case by Unicode's rules and take `%` and `_` literally, invite
//! codes are stable until revoked, revoked and deleted challenges' codes are told apart from
//! unknown ones, and 10,000 random codes find nothing. Migration 0007 keeps every existing
//! challenge listed.

mod contract_support;
mod storage_support;

use challenge_bot::challenge::{
    ChallengeFilter, InviteCode, InviteLookup, NameSearch, NewChallenge, Visibility,
};
use challenge_bot::clock::Today;
use challenge_bot::goal::GoalKind;
use challenge_bot::repository::{Page, Store};
use challenge_bot::storage::{self, DatabaseUrl};
use challenge_bot::user::{DisplayName, UserId};

use contract_support::*;

contract_tests!(
    all: [
        private_challenges_are_not_listed,
        the_public_list_counts_people_and_names_creators,
        search_folds_case_and_takes_wildcards_literally,
        invite_codes_are_stable_until_revoked,
        a_deleted_challenges_code_is_revoked_not_unknown,
        ten_thousand_random_codes_find_nothing,
        visibility_changes_both_ways,
        the_bot_username_is_kept,
    ],
    sql: []
);

fn spec(name: &str, visibility: Visibility) -> NewChallenge {
    let mut spec = challenge_spec(ANN, name, GoalKind::Total, "100", "2026-03-01", "2026-03-31");
    spec.visibility = visibility;
    spec
}

async fn make(db: &Db, name: &str, visibility: Visibility) -> challenge_bot::challenge::Challenge {
    db.store.create_challenge(&spec(name, visibility)).await.expect("create")
}

async fn listed(store: &dyn Store, user: UserId, search: Option<&str>) -> Vec<String> {
    let search = search.and_then(NameSearch::parse);
    let page = store
        .public_challenges(user, Today::pinned(d("2026-03-05")), search.as_ref(), Page::ALL)
        .await
        .unwrap();
    assert_eq!(page.total as usize, page.items.len());
    page.items.iter().map(|l| l.challenge.name.to_string()).collect()
}

async fn private_challenges_are_not_listed(db: Db) {
    let open = make(&db, "Open run", Visibility::Public).await;
    let hidden = make(&db, "Hidden run", Visibility::Private).await;
    assert_eq!(open.visibility, Visibility::Public);
    assert_eq!(hidden.visibility, Visibility::Private);
    assert_eq!(db.store.challenge(hidden.id).await.unwrap().unwrap().visibility, Visibility::Private);
    assert_eq!(listed(&*db.store, BOB, None).await, vec!["Open run"]);
    let joinable = ChallengeFilter::JoinableBy { user: BOB, today: Today::pinned(d("2026-03-05")) };
    let page = db.store.list_challenges(joinable, Page::ALL).await.unwrap();
    assert_eq!(ids(&page.items), vec![open.id.0]);
    // The operator's lists still show everything.
    let all = db.store.list_challenges(ChallengeFilter::All, Page::ALL).await.unwrap();
    assert_eq!(ids(&all.items), vec![hidden.id.0, open.id.0]);
}

async fn the_public_list_counts_people_and_names_creators(db: Db) {
    db.store.upsert_user(ANN, &DisplayName::sanitize("Ann", ANN)).await.unwrap();
    let first = make(&db, "First", Visibility::Public).await;
    let second = make(&db, "Second", Visibility::Public).await;
    db.store.join(first.id, BOB, amount("5"), at(1)).await.unwrap();
    db.store.join(first.id, UserId(404), amount("5"), at(2)).await.unwrap();
    let page =
        db.store.public_challenges(CAT, Today::pinned(d("2026-03-05")), None, Page::ALL).await.unwrap();
    let lines: Vec<(i64, u64, Option<String>)> = page
        .items
        .iter()
        .map(|l| (l.challenge.id.0, l.participants, l.creator_name.as_ref().map(|n| n.to_string())))
        .collect();
    assert_eq!(lines, vec![(second.id.0, 1, Some("Ann".into())), (first.id.0, 3, Some("Ann".into()))]);
    // Bob joined the first: he is offered only the second. After the deadline, nothing.
    assert_eq!(listed(&*db.store, BOB, None).await, vec!["Second"]);
    let late =
        db.store.public_challenges(CAT, Today::pinned(d("2026-04-01")), None, Page::ALL).await.unwrap();
    assert_eq!(late.total, 0);
    // Paging: one at a time, newest first, with the total.
    let one =
        db.store.public_challenges(CAT, Today::pinned(d("2026-03-05")), None, Page::new(1, 1)).await.unwrap();
    assert_eq!((one.total, one.items[0].challenge.id), (2, first.id));
    // The counts follow people out as well as in: leaving, and a person's deletion.
    db.store.join(second.id, UserId(405), amount("5"), at(3)).await.unwrap();
    db.store.join(first.id, UserId(405), amount("5"), at(4)).await.unwrap();
    db.store.leave(first.id, BOB).await.unwrap();
    db.store.delete_person(UserId(405), at(5)).await.unwrap();
    db.store.join(second.id, UserId(406), amount("5"), at(6)).await.unwrap();
    db.store.join(second.id, UserId(407), amount("5"), at(7)).await.unwrap();
    let page =
        db.store.public_challenges(CAT, Today::pinned(d("2026-03-05")), None, Page::ALL).await.unwrap();
    let counts: Vec<(i64, u64)> = page.items.iter().map(|l| (l.challenge.id.0, l.participants)).collect();
    assert_eq!(counts, vec![(second.id.0, 3), (first.id.0, 2)]);
}

async fn search_folds_case_and_takes_wildcards_literally(db: Db) {
    for name in ["Läufer Club", "LÄUFER elite", "100% effort", "1000 pushups", "snake_case", "snakeXcase"] {
        make(&db, name, Visibility::Public).await;
    }
    make(&db, "Läufer secret", Visibility::Private).await;
    assert_eq!(listed(&*db.store, BOB, Some("läufer")).await, vec!["LÄUFER elite", "Läufer Club"]);
    assert_eq!(listed(&*db.store, BOB, Some("  CLUB ")).await, vec!["Läufer Club"]);
    assert_eq!(listed(&*db.store, BOB, Some("100%")).await, vec!["100% effort"]);
    assert_eq!(listed(&*db.store, BOB, Some("e_c")).await, vec!["snake_case"]);
    assert!(listed(&*db.store, BOB, Some("marathon")).await.is_empty());
    // A rename is searched by its new name.
    let renamed = make(&db, "Old name", Visibility::Public).await;
    let changes = challenge_bot::challenge::ChallengeChanges {
        name: Some(challenge_bot::challenge::ChallengeName::parse("Ünïcode Named").unwrap()),
        ..Default::default()
    };
    db.store.update_challenge(renamed.id, &changes).await.unwrap();
    assert_eq!(listed(&*db.store, BOB, Some("ünïcode")).await, vec!["Ünïcode Named"]);
    assert!(listed(&*db.store, BOB, Some("old")).await.is_empty());
}

async fn invite_codes_are_stable_until_revoked(db: Db) {
    let c = make(&db, "Friends", Visibility::Private).await;
    let first = db.store.invite_code(c.id, &InviteCode::generate()).await.unwrap();
    let again = db.store.invite_code(c.id, &InviteCode::generate()).await.unwrap();
    assert_eq!(first, again, "asking again keeps the code");
    assert_eq!(db.store.find_invite(&first).await.unwrap(), InviteLookup::Live(c.clone()));
    let fresh = InviteCode::generate();
    let new = db.store.revoke_invite(c.id, &fresh, at(5)).await.unwrap();
    assert_eq!(new, fresh);
    assert_eq!(db.store.invite_code(c.id, &InviteCode::generate()).await.unwrap(), fresh);
    assert_eq!(db.store.find_invite(&first).await.unwrap(), InviteLookup::Revoked(c.id));
    assert_eq!(db.store.find_invite(&fresh).await.unwrap(), InviteLookup::Live(c.clone()));
    // Revoking twice: both old codes say revoked.
    db.store.revoke_invite(c.id, &InviteCode::generate(), at(6)).await.unwrap();
    assert_eq!(db.store.find_invite(&fresh).await.unwrap(), InviteLookup::Revoked(c.id));
    let missing = challenge_bot::challenge::ChallengeId(c.id.0 + 100);
    assert!(db.store.invite_code(missing, &InviteCode::generate()).await.is_err());
    assert!(db.store.revoke_invite(missing, &InviteCode::generate(), at(7)).await.is_err());
}

async fn a_deleted_challenges_code_is_revoked_not_unknown(db: Db) {
    let c = make(&db, "Short-lived", Visibility::Private).await;
    let code = db.store.invite_code(c.id, &InviteCode::generate()).await.unwrap();
    db.store.delete_challenge(c.id, at(9)).await.unwrap();
    assert_eq!(db.store.find_invite(&code).await.unwrap(), InviteLookup::Revoked(c.id));
    assert!(db.store.deleted_challenge(c.id).await.unwrap().is_some());
}

async fn ten_thousand_random_codes_find_nothing(db: Db) {
    let mut live = Vec::new();
    for i in 0..20 {
        let c = make(&db, &format!("Challenge {i}"), Visibility::Private).await;
        live.push(db.store.invite_code(c.id, &InviteCode::generate()).await.unwrap());
    }
    let mut found = 0;
    for _ in 0..10_000 {
        let guess = InviteCode::generate();
        if db.store.find_invite(&guess).await.unwrap() != InviteLookup::Unknown {
            found += 1;
        }
    }
    assert_eq!(found, 0, "a random code led somewhere");
    // The lookup does find what exists (the loop above could not pass by finding nothing ever).
    for code in &live {
        assert!(matches!(db.store.find_invite(code).await.unwrap(), InviteLookup::Live(_)));
    }
}

async fn visibility_changes_both_ways(db: Db) {
    let c = make(&db, "Toggle", Visibility::Private).await;
    assert!(listed(&*db.store, BOB, None).await.is_empty());
    let public = db.store.set_visibility(c.id, Visibility::Public).await.unwrap();
    assert_eq!(public.visibility, Visibility::Public);
    assert_eq!(listed(&*db.store, BOB, None).await, vec!["Toggle"]);
    db.store.set_visibility(c.id, Visibility::Private).await.unwrap();
    assert!(listed(&*db.store, BOB, None).await.is_empty());
    let missing = challenge_bot::challenge::ChallengeId(c.id.0 + 1);
    assert!(db.store.set_visibility(missing, Visibility::Public).await.is_err());
}

async fn the_bot_username_is_kept(db: Db) {
    assert_eq!(db.store.bot_username().await.unwrap(), None);
    db.store.set_bot_username("run_bot", at(0)).await.unwrap();
    db.store.set_bot_username("walk_bot", at(1)).await.unwrap();
    assert_eq!(db.store.bot_username().await.unwrap().as_deref(), Some("walk_bot"));
}

// ---- Migration 0007: what existed stays listed and searchable. ----

async fn check_migration_0007(store: &dyn Store, raw: &Raw, migrate_the_rest: impl AsyncFnOnce()) {
    raw.execute(
        "INSERT INTO challenges (name, description, creator_id, created_at, start_date, deadline, unit, goal_kind, \
         default_goal_hundredths) VALUES ('Ärger Marathon', '', 7, '2026-03-01T10:00:00+00:00', '2026-03-01', \
         '2026-03-31', NULL, 'total', 1000)"
            .to_owned(),
    )
    .await
    .unwrap();
    migrate_the_rest().await;
    let c = store.challenge(challenge_bot::challenge::ChallengeId(1)).await.unwrap().unwrap();
    assert_eq!(c.visibility, Visibility::Public, "existing challenges stay listed");
    // Folded by the program, not by SQLite's ASCII-only lower().
    assert_eq!(listed(store, BOB, Some("ärger")).await, vec!["Ärger Marathon"]);
}

#[tokio::test]
async fn sqlite_migration_0007_keeps_existing_challenges_public() {
    let (url, _dir) = storage_support::fresh_sqlite_url();
    let DatabaseUrl::Sqlite(path) = &url else { unreachable!() };
    let pool = sqlx::SqlitePool::connect_with(storage::SqliteStore::connect_options(path)).await.unwrap();
    storage::SqliteStore::migrator().run_to(6, &pool).await.unwrap();
    let store = storage::SqliteStore::from_pool(pool.clone());
    check_migration_0007(&store, &Raw::Sqlite(pool.clone()), async || {
        store.migrate().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn postgres_migration_0007_keeps_existing_challenges_public() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    let pool = sqlx::PgPool::connect_with(guard.connect_options()).await.unwrap();
    storage::PostgresStore::migrator().run_to(6, &pool).await.unwrap();
    let store = storage::PostgresStore::from_pool(pool.clone());
    check_migration_0007(&store, &Raw::Postgres(pool.clone()), async || {
        store.migrate().await.unwrap();
    })
    .await;
    pool.close().await;
}

// ---- Migration 0017: challenges that had people before it are listed with their counts. ----

async fn check_migration_0017(store: &dyn Store, migrate_the_rest: impl AsyncFnOnce()) {
    let first = store.create_challenge(&spec("First", Visibility::Public)).await.unwrap();
    let second = store.create_challenge(&spec("Second", Visibility::Public)).await.unwrap();
    for user in [BOB, UserId(404), UserId(405)] {
        store.join(first.id, user, amount("5"), at(1)).await.unwrap();
    }
    store.leave(first.id, UserId(405)).await.unwrap();
    migrate_the_rest().await;
    let page = store.public_challenges(CAT, Today::pinned(d("2026-03-05")), None, Page::ALL).await.unwrap();
    let counts: Vec<(i64, u64)> = page.items.iter().map(|l| (l.challenge.id.0, l.participants)).collect();
    assert_eq!(counts, vec![(second.id.0, 1), (first.id.0, 3)]);
    // And counted from then on.
    store.join(second.id, BOB, amount("5"), at(2)).await.unwrap();
    let page = store.public_challenges(CAT, Today::pinned(d("2026-03-05")), None, Page::ALL).await.unwrap();
    assert_eq!(page.items[0].participants, 2);
}

#[tokio::test]
async fn sqlite_migration_0017_counts_the_people_already_in() {
    let (url, _dir) = storage_support::fresh_sqlite_url();
    let DatabaseUrl::Sqlite(path) = &url else { unreachable!() };
    let pool = sqlx::SqlitePool::connect_with(storage::SqliteStore::connect_options(path)).await.unwrap();
    storage::SqliteStore::migrator().run_to(16, &pool).await.unwrap();
    let store = storage::SqliteStore::from_pool(pool.clone());
    check_migration_0017(&store, async || {
        store.migrate().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn postgres_migration_0017_counts_the_people_already_in() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    let pool = sqlx::PgPool::connect_with(guard.connect_options()).await.unwrap();
    storage::PostgresStore::migrator().run_to(16, &pool).await.unwrap();
    let store = storage::PostgresStore::from_pool(pool.clone());
    check_migration_0017(&store, async || {
        store.migrate().await.unwrap();
    })
    .await;
    pool.close().await;
}
