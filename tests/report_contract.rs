//! Reports of challenges (issue 17), on the in-memory store, SQLite and PostgreSQL: three
//! different people unlist a public challenge, three reports from one person do not; an unlisted
//! challenge leaves the public list and "Join challenge" but keeps working for its people; the
//! operator's relist clears the reports; deleting a reporter deletes their reports. A creator
//! removes a participant (who cannot join again), hides a participant's name in their challenge
//! (standings, leaders, positions, news bands and exports show "Participant N"; other challenges
//! and the person's own export keep the name) and closes a challenge to new joins.

mod contract_support;
mod storage_support;

use challenge_bot::challenge::{ChallengeFilter, JoinBarrier, ReportReason};
use challenge_bot::clock::Today;
use challenge_bot::goal::GoalKind;
use challenge_bot::goal::HiddenName;
use challenge_bot::progress::ExportScope;
use challenge_bot::repository::Page;
use challenge_bot::repository::RepositoryError;
use challenge_bot::user::{DisplayName, UserId};

use contract_support::*;

contract_tests!(
    all: [
        three_people_unlist_a_challenge_one_person_cannot,
        relisting_clears_the_reports,
        a_deleted_reporters_reports_go,
        a_removed_participant_cannot_join_again,
        a_closed_challenge_takes_nobody_new,
        a_hidden_name_shows_as_participant_n_wherever_the_challenge_names_them,
    ],
    sql: []
);

async fn listed(db: &Db) -> usize {
    let public = db
        .store
        .public_challenges(UserId(999), Today::pinned(d("2026-03-05")), None, Page::ALL)
        .await
        .unwrap();
    let joinable = ChallengeFilter::JoinableBy { user: UserId(999), today: Today::pinned(d("2026-03-05")) };
    let list = db.store.list_challenges(joinable, Page::ALL).await.unwrap();
    assert_eq!(public.items.len(), list.items.len(), "both lists agree");
    public.items.len()
}

async fn three_people_unlist_a_challenge_one_person_cannot(db: Db) {
    let run = create(&db, ANN, GoalKind::Total, "10").await;
    assert_eq!(listed(&db).await, 1);
    // One person, three times: one report (the last reason counts).
    for reason in ReportReason::ALL {
        let r = db.store.report(run.id, BOB, reason, at(1)).await.unwrap();
        assert_eq!((r.reporters, r.unlisted_now), (1, false));
    }
    assert_eq!(listed(&db).await, 1);
    let second = db.store.report(run.id, CAT, ReportReason::Spam, at(2)).await.unwrap();
    assert_eq!((second.reporters, second.unlisted_now), (2, false));
    let third = db.store.report(run.id, UserId(404), ReportReason::Offensive, at(3)).await.unwrap();
    assert_eq!((third.reporters, third.unlisted_now), (3, true));
    assert_eq!(listed(&db).await, 0, "unlisted");
    let fourth = db.store.report(run.id, UserId(405), ReportReason::Spam, at(4)).await.unwrap();
    assert_eq!((fourth.reporters, fourth.unlisted_now), (4, false), "unlisted once");
    // Still there for its people and its link.
    assert!(db.store.challenge(run.id).await.unwrap().is_some());
    db.store.join(run.id, UserId(406), amount("10"), at(5)).await.unwrap();
    let reported = db.store.reported_challenges().await.unwrap();
    assert_eq!(reported.len(), 1);
    assert_eq!(reported[0].reporters, 4);
    assert_eq!(
        reported[0].reasons,
        vec![(ReportReason::Spam, 2), (ReportReason::Offensive, 1), (ReportReason::Other, 1)]
    );
    assert!(reported[0].unlisted_at.is_some());
    let missing = challenge_bot::challenge::ChallengeId(999_999);
    assert!(db.store.report(missing, BOB, ReportReason::Spam, at(6)).await.is_err());
}

async fn relisting_clears_the_reports(db: Db) {
    let run = create(&db, ANN, GoalKind::Total, "10").await;
    for (n, user) in [BOB, CAT, UserId(404)].into_iter().enumerate() {
        db.store.report(run.id, user, ReportReason::Spam, at(n as i64)).await.unwrap();
    }
    assert_eq!(listed(&db).await, 0);
    db.store.relist(run.id).await.unwrap();
    assert_eq!(listed(&db).await, 1);
    assert!(db.store.reported_challenges().await.unwrap().is_empty());
    // Counting starts afresh.
    let again = db.store.report(run.id, BOB, ReportReason::Spam, at(10)).await.unwrap();
    assert_eq!(again.reporters, 1);
    assert!(db.store.relist(challenge_bot::challenge::ChallengeId(999_999)).await.is_err());
}

async fn a_deleted_reporters_reports_go(db: Db) {
    let run = create(&db, ANN, GoalKind::Total, "10").await;
    db.store.report(run.id, BOB, ReportReason::Spam, at(1)).await.unwrap();
    db.store.report(run.id, CAT, ReportReason::Spam, at(2)).await.unwrap();
    db.store.delete_person(BOB, at(3)).await.unwrap();
    assert_eq!(db.store.reported_challenges().await.unwrap()[0].reporters, 1);
    // A deleted challenge takes its reports along.
    db.store.delete_challenge(run.id, at(4)).await.unwrap();
    assert!(db.store.reported_challenges().await.unwrap().is_empty());
}

async fn a_removed_participant_cannot_join_again(db: Db) {
    let run = create(&db, ANN, GoalKind::Total, "10").await;
    db.store.join(run.id, BOB, amount("10"), at(1)).await.unwrap();
    db.store.join(run.id, CAT, amount("10"), at(1)).await.unwrap();
    add(&db, progress(&run, BOB, Some("12"), "2026-03-02", 2)).await;
    assert_eq!(db.store.challenge(run.id).await.unwrap().unwrap().first_finisher, Some(BOB));
    assert_eq!(db.store.join_barrier(run.id, BOB).await.unwrap(), None);
    db.store.remove_participant(run.id, BOB, at(3)).await.unwrap();
    assert!(db.store.participant(run.id, BOB).await.unwrap().is_none());
    assert_eq!(db.store.standings(run.id).await.unwrap().len(), 2);
    assert_eq!(db.store.challenge(run.id).await.unwrap().unwrap().first_finisher, None);
    assert_eq!(db.store.join_barrier(run.id, BOB).await.unwrap(), Some(JoinBarrier::Removed));
    assert_eq!(db.store.join_barrier(run.id, CAT).await.unwrap(), None, "only Bob");
    // Removing twice, or someone not in it: refused.
    assert!(matches!(
        db.store.remove_participant(run.id, BOB, at(4)).await,
        Err(RepositoryError::NotParticipant { .. })
    ));
    let missing = challenge_bot::challenge::ChallengeId(999_999);
    assert!(matches!(
        db.store.remove_participant(missing, BOB, at(4)).await,
        Err(RepositoryError::ChallengeNotFound(_))
    ));
    // Their data deleted: the removal goes too (nothing names them).
    db.store.delete_person(BOB, at(5)).await.unwrap();
    assert_eq!(db.store.join_barrier(run.id, BOB).await.unwrap(), None);
}

async fn a_closed_challenge_takes_nobody_new(db: Db) {
    let run = create(&db, ANN, GoalKind::Total, "10").await;
    assert_eq!(listed(&db).await, 1);
    db.store.set_closed(run.id, true, at(1)).await.unwrap();
    assert_eq!(db.store.join_barrier(run.id, BOB).await.unwrap(), Some(JoinBarrier::Closed));
    assert_eq!(listed(&db).await, 0, "a closed challenge is not offered");
    db.store.set_closed(run.id, false, at(2)).await.unwrap();
    assert_eq!(db.store.join_barrier(run.id, BOB).await.unwrap(), None);
    assert_eq!(listed(&db).await, 1);
    assert!(db.store.set_closed(challenge_bot::challenge::ChallengeId(999_999), true, at(3)).await.is_err());
}

async fn a_hidden_name_shows_as_participant_n_wherever_the_challenge_names_them(db: Db) {
    let run = create(&db, ANN, GoalKind::Total, "10").await;
    let walk = create(&db, ANN, GoalKind::Total, "10").await;
    for (user, name) in [(ANN, "Ann"), (BOB, "Bob Rude"), (CAT, "Cat")] {
        db.store.upsert_user(user, &DisplayName::sanitize(name, user)).await.unwrap();
        for challenge in [&run, &walk] {
            if user != ANN {
                db.store.join(challenge.id, user, amount("10"), at(1)).await.unwrap();
            }
        }
    }
    add(&db, progress(&run, BOB, Some("12"), "2026-03-02", 2)).await;
    add(&db, progress(&walk, BOB, Some("3"), "2026-03-02", 2)).await;
    add(&db, progress(&run, CAT, Some("4"), "2026-03-02", 3)).await;

    let hid = db.store.hide_name(run.id, BOB, true).await.unwrap();
    assert_eq!(hid, HiddenName { number: Some(1), changed: true });
    assert_eq!(
        db.store.hide_name(run.id, BOB, true).await.unwrap(),
        HiddenName { number: Some(1), changed: false },
        "hiding again keeps the number and changes nothing"
    );
    let name_in = |standings: &[challenge_bot::goal::Standing], user: UserId| {
        let s = standings.iter().find(|s| s.participant.user == user).expect("in the standings");
        (s.display_name.as_ref().map(|n| n.as_str().to_owned()), s.hidden_as)
    };
    let standings = db.store.standings(run.id).await.unwrap();
    assert_eq!(name_in(&standings, BOB), (Some("Participant 1".into()), Some(1)));
    assert_eq!(name_in(&standings, CAT), (Some("Cat".into()), None));
    let leaders = db.store.leaders(run.id, GoalKind::Total, 3).await.unwrap();
    let top: Vec<_> =
        leaders.top.iter().map(|r| r.standing.display_name.as_ref().unwrap().as_str()).collect();
    assert_eq!(top, ["Participant 1", "Cat", "Ann"]);
    let band = db.store.standing_band(run.id, GoalKind::Total, None, amount("20")).await.unwrap();
    assert_eq!(name_in(&band.standings, BOB), (Some("Participant 1".into()), Some(1)));
    let bob = db.store.position(run.id, GoalKind::Total, BOB, Some(BOB)).await.unwrap().unwrap();
    assert_eq!(bob.me.standing.display_name.as_ref().unwrap().as_str(), "Participant 1");
    let cat = db.store.position(run.id, GoalKind::Total, CAT, Some(BOB)).await.unwrap().unwrap();
    assert_eq!(cat.first_finisher.as_ref().unwrap().as_str(), "Participant 1", "the first finisher too");
    let exported = db.store.export_entries(ExportScope::Challenge(run.id)).await.unwrap();
    let names: Vec<_> = exported.iter().map(|e| e.display_name.as_deref().unwrap()).collect();
    assert_eq!(names, ["Participant 1", "Cat"]);

    // Not elsewhere: another challenge, and Bob's own export.
    assert_eq!(name_in(&db.store.standings(walk.id).await.unwrap(), BOB), (Some("Bob Rude".into()), None));
    let own = db.store.export_entries(ExportScope::User(BOB)).await.unwrap();
    assert!(own.iter().all(|e| e.display_name.as_deref() == Some("Bob Rude")), "{own:?}");

    // Numbers go on per challenge; showing again restores the name.
    assert_eq!(db.store.hide_name(run.id, CAT, true).await.unwrap().number, Some(2));
    assert_eq!(db.store.hide_name(walk.id, CAT, true).await.unwrap().number, Some(1));
    assert_eq!(
        db.store.hide_name(run.id, BOB, false).await.unwrap(),
        HiddenName { number: None, changed: true }
    );
    assert!(!db.store.hide_name(run.id, BOB, false).await.unwrap().changed, "already shown");
    let standings = db.store.standings(run.id).await.unwrap();
    assert_eq!(name_in(&standings, BOB), (Some("Bob Rude".into()), None));
    assert_eq!(name_in(&standings, CAT), (Some("Participant 2".into()), Some(2)));
    assert_eq!(db.store.hide_name(run.id, BOB, true).await.unwrap().number, Some(3));

    // Someone not in it.
    assert!(matches!(
        db.store.hide_name(run.id, UserId(404), true).await,
        Err(RepositoryError::NotParticipant { .. })
    ));
}
