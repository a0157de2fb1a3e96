//! Deleting a person (issue 17), on the in-memory store, SQLite and PostgreSQL: their entries,
//! participations, mutes and name go; a challenge they share goes to the participant who joined
//! first after them, one they are alone in is deleted; the others' standings stay consistent.
//! On the SQL stores, no row of any table names them afterwards, the bot's own tables included
//! (unsent messages to them, their parked updates, records of their failed updates).

mod contract_support;
mod storage_support;

use challenge_bot::challenge::ChallengeId;
use challenge_bot::goal::GoalKind;
use challenge_bot::user::{DisplayName, UserId};

use contract_support::*;

contract_tests!(
    all: [
        shared_challenges_are_handed_over_and_solo_ones_deleted,
        the_others_standings_stay_consistent,
        deleting_someone_unknown_changes_nothing,
    ],
    sql: [no_row_names_the_person_afterwards]
);

/// Ann creates "Run" (Bob and Cat join, in that order) and "Solo"; she logs in both and in Bob's
/// "Swim", and she is Run's first finisher.
async fn seed(db: &Db) -> (ChallengeId, ChallengeId, ChallengeId) {
    let run = db
        .store
        .create_challenge(&challenge_spec(ANN, "Run", GoalKind::Total, "10", "2026-03-01", "2026-03-31"))
        .await
        .unwrap();
    let solo = db
        .store
        .create_challenge(&challenge_spec(ANN, "Solo", GoalKind::Total, "10", "2026-03-01", "2026-03-31"))
        .await
        .unwrap();
    let swim = db
        .store
        .create_challenge(&challenge_spec(BOB, "Swim", GoalKind::Total, "10", "2026-03-01", "2026-03-31"))
        .await
        .unwrap();
    db.store.join(run.id, BOB, amount("10"), at(1)).await.unwrap();
    db.store.join(run.id, CAT, amount("10"), at(2)).await.unwrap();
    db.store.join(swim.id, ANN, amount("10"), at(3)).await.unwrap();
    for user in [ANN, BOB, CAT] {
        db.store.upsert_user(user, &DisplayName::sanitize(&format!("User {}", user.0), user)).await.unwrap();
    }
    add(db, progress(&run, ANN, Some("12"), "2026-03-02", 10)).await;
    add(db, progress(&run, BOB, Some("4"), "2026-03-02", 11)).await;
    add(db, progress(&run, CAT, Some("6"), "2026-03-02", 12)).await;
    add(db, progress(&solo, ANN, Some("1"), "2026-03-02", 13)).await;
    add(db, progress(&swim, ANN, Some("2"), "2026-03-02", 14)).await;
    add(db, progress(&swim, ANN, Some("3"), "2026-03-03", 15)).await;
    db.store.set_news_muted(swim.id, ANN, true, at(16)).await.unwrap();
    assert_eq!(db.store.challenge(run.id).await.unwrap().unwrap().first_finisher, Some(ANN));
    (run.id, solo.id, swim.id)
}

async fn shared_challenges_are_handed_over_and_solo_ones_deleted(db: Db) {
    let (run, solo, swim) = seed(&db).await;
    let done = db.store.delete_person(ANN, at(20)).await.unwrap();
    assert_eq!(done.handed_over, vec![(run, BOB)], "Bob joined Run first after Ann");
    assert_eq!(done.deleted, vec![solo]);
    assert_eq!((done.participations, done.entries), (3, 4));
    let run_now = db.store.challenge(run).await.unwrap().unwrap();
    assert_eq!(run_now.creator, BOB);
    assert_eq!(run_now.first_finisher, None, "her mark as first finisher goes with her");
    assert!(db.store.challenge(solo).await.unwrap().is_none());
    assert_eq!(db.store.challenge(swim).await.unwrap().unwrap().creator, BOB);
    for c in [run, swim] {
        assert!(db.store.participant(c, ANN).await.unwrap().is_none());
    }
    assert_eq!(db.store.display_name(ANN).await.unwrap(), None);
    assert!(db.store.deletions_seen_by(ANN, at(0)).await.unwrap().is_empty());
}

async fn the_others_standings_stay_consistent(db: Db) {
    let (run, _, swim) = seed(&db).await;
    db.store.delete_person(ANN, at(20)).await.unwrap();
    let standings = db.store.standings(run).await.unwrap();
    let users: Vec<UserId> = standings.iter().map(|s| s.participant.user).collect();
    assert_eq!(users.len(), 2);
    assert!(users.contains(&BOB) && users.contains(&CAT));
    // Each remaining tally is what its own entries add up to.
    for user in [BOB, CAT] {
        let entries = db.store.list_progress(run, user).await.unwrap();
        let stored = db.store.tally(run, user).await.unwrap();
        assert_eq!(stored, tally_of_entries(GoalKind::Total, &entries));
    }
    assert_eq!(db.store.standings(swim).await.unwrap().len(), 1, "Bob alone in Swim now");
}

async fn deleting_someone_unknown_changes_nothing(db: Db) {
    let (run, solo, swim) = seed(&db).await;
    let done = db.store.delete_person(UserId(999), at(20)).await.unwrap();
    assert_eq!(done, Default::default());
    for c in [run, solo, swim] {
        assert!(db.store.challenge(c).await.unwrap().is_some());
    }
    assert_eq!(db.store.standings(run).await.unwrap().len(), 3);
}

async fn no_row_names_the_person_afterwards(db: Db) {
    seed(&db).await;
    let raw = db.raw();
    // What the bot keeps for her chat: an unsent message, a parked update, a failed update; and
    // the same for Bob, which must stay.
    for (user, update) in [(ANN.0, 1), (BOB.0, 2)] {
        raw.execute(format!(
            "INSERT INTO bot_outbox (bot_id, update_id, seq, chat_id, action, queued_at) \
             VALUES (1, {update}, 0, {user}, '{{\"op\":\"send\"}}', '2026-03-01T10:00:00Z')"
        ))
        .await
        .unwrap();
        raw.execute(format!(
            "INSERT INTO bot_inbox (bot_id, update_id, user_id, payload, parked_at) \
             VALUES (1, {update}, {user}, '{{}}', '2026-03-01T10:00:00Z')"
        ))
        .await
        .unwrap();
        raw.execute(format!(
            "INSERT INTO bot_failures (bot_id, update_id, user_id, error, attempts, failed_at) \
             VALUES (1, {update}, {user}, 'boom', 5, '2026-03-01T10:00:00Z')"
        ))
        .await
        .unwrap();
    }
    // A challenge Ann deleted earlier leaves notices naming her as its creator.
    let old = db
        .store
        .create_challenge(&challenge_spec(ANN, "Old", GoalKind::Total, "10", "2026-03-01", "2026-03-31"))
        .await
        .unwrap();
    db.store.join(old.id, CAT, amount("10"), at(4)).await.unwrap();
    db.store.delete_challenge(old.id, at(5)).await.unwrap();

    let swim = db.store.challenge(ChallengeId(3)).await.unwrap().unwrap();
    db.store.report(swim.id, ANN, challenge_bot::challenge::ReportReason::Spam, at(19)).await.unwrap();
    // Bob removes Ann from his challenge: the removal names her too.
    db.store.remove_participant(swim.id, ANN, at(19)).await.unwrap();
    // Her settings: a time zone and a reminder (and Bob's, which stay).
    for user in [ANN, BOB] {
        let settings = challenge_bot::reminder::Settings {
            zone: Some(chrono_tz::Europe::Berlin),
            remind_at: challenge_bot::reminder::TimeOfDay::new(20, 0),
            ..Default::default()
        };
        let schedule = settings.schedule_after(chrono_tz::Tz::UTC, at(19));
        db.store.save_settings(user, &settings, schedule, at(19)).await.unwrap();
    }
    db.store.delete_person(ANN, at(20)).await.unwrap();
    let ann = ANN.0;
    assert!(db.store.settings(BOB).await.unwrap().remind_at.is_some(), "Bob's settings stay");
    let checks: [(&str, &'static str); 14] = [
        ("user_settings", "SELECT COUNT(*) FROM user_settings WHERE user_id = 101"),
        ("users", "SELECT COUNT(*) FROM users WHERE id = 101"),
        ("participants", "SELECT COUNT(*) FROM participants WHERE user_id = 101"),
        ("progress_entries", "SELECT COUNT(*) FROM progress_entries WHERE user_id = 101"),
        ("news_mutes", "SELECT COUNT(*) FROM news_mutes WHERE user_id = 101"),
        ("challenges.creator_id", "SELECT COUNT(*) FROM challenges WHERE creator_id = 101"),
        ("challenges.first_finisher_id", "SELECT COUNT(*) FROM challenges WHERE first_finisher_id = 101"),
        (
            "challenge_deletions",
            "SELECT COUNT(*) FROM challenge_deletions WHERE user_id = 101 OR creator_id = 101",
        ),
        ("bot_outbox", "SELECT COUNT(*) FROM bot_outbox WHERE chat_id = 101"),
        ("bot_inbox", "SELECT COUNT(*) FROM bot_inbox WHERE user_id = 101"),
        ("bot_failures", "SELECT COUNT(*) FROM bot_failures WHERE user_id = 101"),
        ("display names", "SELECT COUNT(*) FROM users WHERE display_name = 'User 101'"),
        ("challenge_reports", "SELECT COUNT(*) FROM challenge_reports WHERE reporter_id = 101"),
        ("removed_participants", "SELECT COUNT(*) FROM removed_participants WHERE user_id = 101"),
    ];
    assert_eq!(ann, 101, "the queries name Ann by her id");
    for (table, sql) in checks {
        assert_eq!(raw.count(sql).await, 0, "{table} still names her");
    }
    // Everyone else's rows stay.
    assert_eq!(raw.count("SELECT COUNT(*) FROM bot_outbox WHERE chat_id = 202").await, 1);
    assert_eq!(raw.count("SELECT COUNT(*) FROM bot_inbox WHERE user_id = 202").await, 1);
    assert_eq!(raw.count("SELECT COUNT(*) FROM users").await, 2);
    assert_eq!(
        raw.count("SELECT COUNT(*) FROM challenge_deletions WHERE user_id = 303").await,
        1,
        "Cat's notice stays"
    );
}
