//! The game rules of the repository contract (issue 10), on the in-memory store, SQLite and
//! PostgreSQL: standings kept right for each kind of goal, ties to whoever got there first, the
//! first to finish, entries edited and deleted with everything re-judged in the same transaction,
//! challenges edited, deleted and left; and migration 0005 keeping what existing data meant.

mod contract_support;
mod storage_support;

use challenge_bot::challenge::{ChallengeChanges, ChallengeId, ChallengeName, Description};
use challenge_bot::goal::{Goal, GoalKind, MembershipScope, Ranked, rank};
use challenge_bot::progress::{EntryEdit, ProgressDate, ProgressValue, Tally};
use challenge_bot::repository::{Page, RepositoryError, Store};
use challenge_bot::storage::{self, DatabaseUrl};
use challenge_bot::user::UserId;

use contract_support::*;

contract_tests!(
    all: [
        total_ranks_by_the_total_not_by_the_share_of_a_lowered_goal,
        at_most_ranks_by_the_improvement_from_the_first_value,
        ties_go_to_whoever_reached_the_standing_first_and_no_entries_come_last,
        editing_a_goal_never_changes_a_rank,
        at_least_keeps_a_record_once_set,
        first_to_finish_is_only_for_the_challenges_own_goal,
        editing_an_entry_rejudges_tally_standing_and_completion,
        deleting_an_entry_rejudges_and_frees_its_key,
        entries_are_changed_only_by_their_owner,
        check_ins_cannot_be_moved_onto_a_day_already_checked_in,
        challenges_are_renamed_described_and_given_a_later_deadline,
        deleted_challenges_leave_a_line_for_their_participants,
        leaving_takes_the_entries_along,
        a_standing_band_holds_those_with_entries_within_it_and_counts_those_above,
        a_position_is_the_place_on_the_whole_leaderboard_for_every_kind,
        an_export_holds_its_scope_by_challenge_then_date_then_order_recorded,
        the_leaders_are_the_top_of_the_whole_leaderboard_for_every_kind,
    ],
    sql: [a_streak_not_yet_computed_is_computed_from_the_dates_not_extended_from_zero]
);

/// The users in a ranking, in order.
fn order(ranked: &[Ranked]) -> Vec<UserId> {
    ranked.iter().map(|r| r.standing.participant.user).collect()
}

async fn ranked(db: &Db, challenge: &challenge_bot::challenge::Challenge) -> Vec<Ranked> {
    rank(challenge.goal_kind, db.store.standings(challenge.id).await.unwrap())
}

const DAN: UserId = UserId(404);

async fn total_ranks_by_the_total_not_by_the_share_of_a_lowered_goal(db: Db) {
    // Ann aims for 50 km and has 33.7; Cat set herself 1 km and has 1.5.
    let c = create(&db, ANN, GoalKind::Total, "50").await;
    db.store.join(c.id, CAT, amount("1"), at(1)).await.unwrap();
    add(&db, progress(&c, ANN, Some("20"), "2026-03-01", 2)).await;
    add(&db, progress(&c, ANN, Some("13.7"), "2026-03-02", 3)).await;
    let cat = add(&db, progress(&c, CAT, Some("1.5"), "2026-03-02", 4)).await;
    assert!(cat.completed_now, "Cat met her own goal");
    let ranked = ranked(&db, &c).await;
    assert_eq!(order(&ranked), vec![ANN, CAT], "33.7 km ranks above 1.5 km");
    assert_eq!((ranked[0].score, ranked[0].share.percent()), (amount("33.7"), 67));
    assert_eq!((ranked[1].score, ranked[1].share.percent()), (amount("1.5"), 100));
}

async fn at_most_ranks_by_the_improvement_from_the_first_value(db: Db) {
    // Eve went from 95 to 88 aiming for 85; Fay stayed at 72 aiming for 70.
    let c = create(&db, ANN, GoalKind::AtMost, "85").await;
    db.store.join(c.id, BOB, amount("70"), at(1)).await.unwrap();
    add(&db, progress(&c, ANN, Some("95"), "2026-03-01", 2)).await;
    add(&db, progress(&c, BOB, Some("72"), "2026-03-01", 3)).await;
    let eve = add(&db, progress(&c, ANN, Some("88"), "2026-03-05", 4)).await;
    add(&db, progress(&c, BOB, Some("72"), "2026-03-05", 5)).await;
    assert_eq!((eve.tally.first, eve.tally.latest), (Some(amount("95")), Some(amount("88"))));
    let ranked = ranked(&db, &c).await;
    assert_eq!(order(&ranked), vec![ANN, BOB], "7 kg down ranks above no change");
    assert_eq!(ranked[0].score, amount("7"));
    assert_eq!(ranked[1].score, challenge_bot::amount::Amount::ZERO);
    assert_eq!(ranked[0].share.percent(), 70, "from the first value (95) to the goal (85)");
    // An entry for an earlier date becomes the first value: the improvement is measured from it.
    let earlier = add(&db, progress(&c, BOB, Some("80"), "2026-03-01", 6)).await;
    assert_eq!(earlier.tally.first, Some(amount("72")), "the same date: the first recorded stays first");
    let earliest = add(&db, progress(&c, BOB, Some("81"), "2026-02-28", 7)).await;
    assert_eq!(
        (earliest.tally.first, earliest.tally.first_date),
        (Some(amount("81")), Some(d("2026-02-28")))
    );
    let ranked = rank(c.goal_kind, db.store.standings(c.id).await.unwrap());
    assert_eq!(order(&ranked), vec![BOB, ANN], "81 → 72 is 9 down");
}

/// A participant whose streak migration 0006 left to `migrate()` (NULL), and `migrate()` has not
/// reached yet, logs again: the streak comes from every date, not from zero plus the new one.
async fn a_streak_not_yet_computed_is_computed_from_the_dates_not_extended_from_zero(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "100").await;
    for (day, minute) in [("2026-03-01", 2), ("2026-03-02", 3), ("2026-03-03", 4)] {
        add(&db, progress(&c, ANN, Some("1"), day, minute)).await;
    }
    db.raw()
        .execute(
            "UPDATE participants SET streak_run = NULL, streak_best = NULL, streak_freezes = NULL".into(),
        )
        .await
        .unwrap();
    let added = add(&db, progress(&c, ANN, Some("1"), "2026-03-04", 5)).await;
    assert_eq!((added.tally.streak.run, added.tally.streak.best), (4, 4), "{:?}", added.tally.streak);
    assert_eq!(db.store.tally(c.id, ANN).await.unwrap(), added.tally, "stored as computed");
}

/// The users of some standings, sorted.
fn users_of(standings: &[challenge_bot::goal::Standing]) -> Vec<UserId> {
    let mut users: Vec<UserId> = standings.iter().map(|s| s.participant.user).collect();
    users.sort();
    users
}

async fn a_standing_band_holds_those_with_entries_within_it_and_counts_those_above(db: Db) {
    use challenge_bot::amount::Amount;
    // At most: the improvement (first minus latest) is the standing.
    let c = create(&db, ANN, GoalKind::AtMost, "70").await;
    db.store.join(c.id, BOB, amount("70"), at(1)).await.unwrap();
    db.store.join(c.id, CAT, amount("70"), at(1)).await.unwrap();
    db.store.join(c.id, DAN, amount("70"), at(1)).await.unwrap();
    add(&db, progress(&c, ANN, Some("90"), "2026-03-01", 2)).await;
    add(&db, progress(&c, ANN, Some("85"), "2026-03-02", 3)).await; // 5 down
    add(&db, progress(&c, BOB, Some("80"), "2026-03-01", 4)).await;
    add(&db, progress(&c, BOB, Some("78"), "2026-03-02", 5)).await; // 2 down
    add(&db, progress(&c, CAT, Some("75"), "2026-03-01", 6)).await; // 0 down; Dan has no entries
    let band = |floor: Option<Amount>, ceiling: &str| {
        let store = db.store.clone();
        let ceiling = amount(ceiling);
        async move {
            let band = store.standing_band(c.id, c.goal_kind, floor, ceiling).await.unwrap();
            (users_of(&band.standings), band.above)
        }
    };
    assert_eq!(band(None, "5").await, (vec![ANN, BOB, CAT], 0), "everyone with entries");
    assert_eq!(band(Some(amount("2")), "5").await, (vec![ANN, BOB], 0), "from 2 kg down");
    assert_eq!(band(Some(Amount::ZERO), "2").await, (vec![BOB, CAT], 1), "Ann, 5 kg down, above");
    assert_eq!(band(None, "1").await, (vec![CAT], 2), "not Dan, without entries");
    assert_eq!(band(Some(amount("5.01")), "6").await, (vec![], 0));
    // Days: the number of dates checked in, in whole days.
    let m = create(&db, BOB, GoalKind::Days, "10").await;
    db.store.join(m.id, ANN, amount("10"), at(1)).await.unwrap();
    add(&db, progress(&m, BOB, None, "2026-03-01", 2)).await;
    add(&db, progress(&m, BOB, None, "2026-03-02", 3)).await;
    add(&db, progress(&m, ANN, None, "2026-03-01", 4)).await;
    let days = db.store.standing_band(m.id, GoalKind::Days, Some(amount("1")), amount("1")).await.unwrap();
    assert_eq!((users_of(&days.standings), days.above), (vec![ANN], 1));
}

async fn ties_go_to_whoever_reached_the_standing_first_and_no_entries_come_last(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "100").await;
    db.store.join(c.id, BOB, amount("100"), at(1)).await.unwrap();
    db.store.join(c.id, CAT, amount("100"), at(2)).await.unwrap();
    db.store.join(c.id, DAN, amount("100"), at(3)).await.unwrap();
    add(&db, progress(&c, BOB, Some("10"), "2026-03-02", 10)).await;
    add(&db, progress(&c, ANN, Some("4"), "2026-03-02", 11)).await;
    add(&db, progress(&c, ANN, Some("6"), "2026-03-02", 12)).await;
    let ranked = ranked(&db, &c).await;
    assert_eq!(order(&ranked), vec![BOB, ANN, CAT, DAN], "Bob had 10 first; then joining order");
    assert_eq!(ranked[1].standing.tally.standing_at, Some(at(12)));
    // Ann goes ahead, then Bob catches up: a tie again, now Ann was first.
    add(&db, progress(&c, ANN, Some("1"), "2026-03-03", 13)).await;
    add(&db, progress(&c, BOB, Some("1"), "2026-03-03", 14)).await;
    assert_eq!(order(&ranked_again(&db, &c).await)[..2], [ANN, BOB]);
    // A zero-change entry for an "at least" person does not move when their standing dates from.
    let lift = create(&db, CAT, GoalKind::AtLeast, "100").await;
    db.store.join(lift.id, DAN, amount("100"), at(20)).await.unwrap();
    add(&db, progress(&lift, CAT, Some("80"), "2026-03-02", 21)).await;
    add(&db, progress(&lift, DAN, Some("80"), "2026-03-02", 22)).await;
    let lower = add(&db, progress(&lift, CAT, Some("60"), "2026-03-03", 23)).await;
    assert_eq!(lower.tally.standing_at, Some(at(21)), "a lower lift leaves the best where it was");
    assert_eq!(order(&ranked_again(&db, &lift).await), vec![CAT, DAN]);
}

async fn ranked_again(db: &Db, challenge: &challenge_bot::challenge::Challenge) -> Vec<Ranked> {
    ranked(db, challenge).await
}

async fn editing_a_goal_never_changes_a_rank(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "50").await;
    db.store.join(c.id, BOB, amount("50"), at(1)).await.unwrap();
    add(&db, progress(&c, ANN, Some("30"), "2026-03-02", 2)).await;
    add(&db, progress(&c, BOB, Some("20"), "2026-03-02", 3)).await;
    let before = order(&ranked(&db, &c).await);
    let bob = db.store.set_goal(c.id, BOB, amount("1"), at(4)).await.unwrap();
    assert_eq!(bob.completed_at, Some(at(4)), "an easier goal already met is marked met");
    assert_eq!(order(&ranked(&db, &c).await), before, "lowering a goal wins nothing");
    db.store.set_goal(c.id, ANN, amount("1000"), at(5)).await.unwrap();
    assert_eq!(order(&ranked(&db, &c).await), before, "raising one loses nothing");
}

async fn at_least_keeps_a_record_once_set(db: Db) {
    let c = create(&db, ANN, GoalKind::AtLeast, "100").await;
    let record = add(&db, progress(&c, ANN, Some("105"), "2026-03-02", 1)).await;
    assert!(record.completed_now);
    let later = add(&db, progress(&c, ANN, Some("90"), "2026-03-03", 2)).await;
    assert_eq!(later.tally.best, Some(amount("105")));
    assert_eq!(later.tally.latest, Some(amount("90")));
    assert_eq!(later.completed_at, Some(at(1)), "a lower value later does not forget the record");
    assert_eq!(Goal::from_stored(GoalKind::AtLeast, amount("100")).current(&later.tally), amount("105"));
}

async fn first_to_finish_is_only_for_the_challenges_own_goal(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "10").await;
    db.store.join(c.id, BOB, amount("1"), at(1)).await.unwrap();
    db.store.join(c.id, CAT, amount("10"), at(2)).await.unwrap();
    let bob = add(&db, progress(&c, BOB, Some("2"), "2026-03-02", 3)).await;
    assert!(bob.completed_now && !bob.first_to_finish, "Bob met his own (lower) goal, not the challenge's");
    assert_eq!(db.store.challenge(c.id).await.unwrap().unwrap().first_finisher, None);
    let ann = add(&db, progress(&c, ANN, Some("9"), "2026-03-02", 4)).await;
    assert!(!ann.first_to_finish);
    let cat = add(&db, progress(&c, CAT, Some("10"), "2026-03-02", 5)).await;
    assert!(cat.completed_now && cat.first_to_finish);
    let ann = add(&db, progress(&c, ANN, Some("1"), "2026-03-03", 6)).await;
    assert!(ann.completed_now && !ann.first_to_finish, "only one first");
    let bob = add(&db, progress(&c, BOB, Some("8"), "2026-03-03", 7)).await;
    assert!(!bob.first_to_finish);
    assert_eq!(db.store.challenge(c.id).await.unwrap().unwrap().first_finisher, Some(CAT));
    // A duplicate of the finishing entry announces nothing again.
    let days = create(&db, BOB, GoalKind::Days, "1").await;
    let first = add(&db, keyed(progress(&days, BOB, None, "2026-03-02", 8), "k")).await;
    let again = add(&db, keyed(progress(&days, BOB, None, "2026-03-02", 9), "k")).await;
    assert!(first.first_to_finish && again.duplicate && !again.first_to_finish);
}

fn edit(c: &challenge_bot::challenge::Challenge, user: UserId, entry: i64, minute: i64) -> EntryEdit {
    EntryEdit { challenge: c.id, user, entry, value: None, date: None, at: at(minute) }
}

fn value(v: &str) -> Option<ProgressValue> {
    Some(ProgressValue::Amount(amount(v)))
}

fn day(s: &str) -> Option<ProgressDate> {
    Some(ProgressDate::from_stored(d(s)))
}

async fn editing_an_entry_rejudges_tally_standing_and_completion(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "10").await;
    let five = add(&db, progress(&c, ANN, Some("5"), "2026-03-02", 1)).await.entry;
    let typo = add(&db, progress(&c, ANN, Some("50"), "2026-03-03", 2)).await;
    assert!(typo.completed_now);
    // 50 was meant to be 5.0: the goal is no longer met.
    let fixed =
        db.store.edit_progress(&EntryEdit { value: value("5"), ..edit(&c, ANN, typo.entry.id, 3) }).await;
    let fixed = fixed.unwrap();
    assert_eq!(fixed.entry.value, Some(amount("5")));
    assert_eq!(fixed.tally.total, amount("10"), "5 + 5 still makes 10");
    assert_eq!(fixed.completed_at, Some(at(2)), "still met: the completion stands");
    let lower =
        db.store.edit_progress(&EntryEdit { value: value("4"), ..edit(&c, ANN, five.id, 4) }).await.unwrap();
    assert_eq!((lower.tally.total, lower.completed_at), (amount("9"), None), "no longer met: cleared");
    // Moving the first entry after the other changes which one is the latest.
    let moved =
        db.store.edit_progress(&EntryEdit { date: day("2026-03-04"), ..edit(&c, ANN, five.id, 5) }).await;
    let moved = moved.unwrap();
    assert_eq!(moved.entry.date.date(), d("2026-03-04"));
    assert_eq!((moved.tally.latest, moved.tally.last_date), (Some(amount("4")), Some(d("2026-03-04"))));
    assert_eq!((moved.tally.first, moved.tally.first_date), (Some(amount("5")), Some(d("2026-03-03"))));
    let stored = db.store.tally(c.id, ANN).await.unwrap();
    assert_eq!(stored, moved.tally, "what was returned is what is stored");
    assert_eq!(stored, tally_of_entries(GoalKind::Total, &db.store.list_progress(c.id, ANN).await.unwrap()));
    let both = db
        .store
        .edit_progress(&EntryEdit { value: value("6"), date: day("2026-03-01"), ..edit(&c, ANN, five.id, 6) })
        .await
        .unwrap();
    assert_eq!((both.tally.total, both.completed_at), (amount("11"), Some(at(6))), "met again by the edit");
    assert_eq!(db.store.entry(five.id).await.unwrap(), Some(both.entry));
    assert_eq!(db.store.participant(c.id, ANN).await.unwrap().unwrap().completed_at, Some(at(6)));
}

async fn deleting_an_entry_rejudges_and_frees_its_key(db: Db) {
    let c = create(&db, ANN, GoalKind::Days, "2").await;
    let a = add(&db, keyed(progress(&c, ANN, None, "2026-03-02", 1), "tg:1")).await.entry;
    let b = add(&db, progress(&c, ANN, None, "2026-03-03", 2)).await;
    assert!(b.completed_now);
    let gone = db.store.delete_progress(c.id, ANN, a.id, at(3)).await.unwrap();
    assert_eq!(gone.entry, a);
    assert_eq!((gone.tally.days, gone.tally.entries, gone.completed_at), (1, 1, None));
    assert_eq!(db.store.entry(a.id).await.unwrap(), None);
    assert!(matches!(
        db.store.delete_progress(c.id, ANN, a.id, at(4)).await,
        Err(RepositoryError::EntryNotFound { .. })
    ));
    // The key of a deleted entry stores a new one.
    let again = add(&db, keyed(progress(&c, ANN, None, "2026-03-02", 5), "tg:1")).await;
    assert!(!again.duplicate && again.completed_now);
    let last = db.store.delete_progress(c.id, ANN, again.entry.id, at(6)).await.unwrap();
    let last = db.store.delete_progress(c.id, ANN, b.entry.id, at(7)).await.map(|_| last).unwrap();
    assert_eq!(last.tally.days, 1);
    assert_eq!(db.store.tally(c.id, ANN).await.unwrap(), Tally::default(), "nothing left");
}

async fn entries_are_changed_only_by_their_owner(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "10").await;
    db.store.join(c.id, BOB, amount("10"), at(1)).await.unwrap();
    let anns = add(&db, progress(&c, ANN, Some("3"), "2026-03-02", 2)).await.entry;
    let other = create(&db, BOB, GoalKind::Total, "10").await;
    for (challenge, user) in [(c.id, BOB), (other.id, BOB)] {
        let by_bob = EntryEdit { challenge, user, entry: anns.id, value: value("9"), date: None, at: at(3) };
        assert!(
            matches!(db.store.edit_progress(&by_bob).await, Err(RepositoryError::EntryNotFound { .. })),
            "Bob cannot edit Ann's entry through challenge {challenge:?}"
        );
        assert!(matches!(
            db.store.delete_progress(challenge, user, anns.id, at(3)).await,
            Err(RepositoryError::EntryNotFound { .. })
        ));
    }
    assert!(matches!(
        db.store.edit_progress(&EntryEdit { value: value("1"), ..edit(&c, CAT, anns.id, 4) }).await,
        Err(RepositoryError::NotParticipant { .. })
    ));
    assert_eq!(db.store.tally(c.id, ANN).await.unwrap().total, amount("3"), "untouched");
}

async fn check_ins_cannot_be_moved_onto_a_day_already_checked_in(db: Db) {
    let c = create(&db, ANN, GoalKind::Days, "5").await;
    add(&db, progress(&c, ANN, None, "2026-03-02", 1)).await;
    let second = add(&db, progress(&c, ANN, None, "2026-03-03", 2)).await.entry;
    let onto = EntryEdit { date: day("2026-03-02"), ..edit(&c, ANN, second.id, 3) };
    match db.store.edit_progress(&onto).await {
        Err(RepositoryError::AlreadyCheckedIn { date }) => assert_eq!(date, d("2026-03-02")),
        other => panic!("expected AlreadyCheckedIn, got {other:?}"),
    }
    let elsewhere = EntryEdit { date: day("2026-03-05"), ..edit(&c, ANN, second.id, 4) };
    let moved = db.store.edit_progress(&elsewhere).await.unwrap();
    assert_eq!((moved.tally.days, moved.tally.last_date), (2, Some(d("2026-03-05"))));
}

async fn challenges_are_renamed_described_and_given_a_later_deadline(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "10").await;
    let renamed = db
        .store
        .update_challenge(
            c.id,
            &ChallengeChanges {
                name: Some(ChallengeName::parse("Run 150 km").unwrap()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.deadline), ("Run 150 km", c.deadline));
    let changes = ChallengeChanges {
        description: Some(Description::parse("Any pace").unwrap()),
        deadline: Some(d("2026-04-30")),
        ..Default::default()
    };
    let changed = db.store.update_challenge(c.id, &changes).await.unwrap();
    assert_eq!((changed.name.as_str(), changed.description.as_str()), ("Run 150 km", "Any pace"));
    assert_eq!(changed.deadline, d("2026-04-30"));
    assert_eq!(db.store.challenge(c.id).await.unwrap(), Some(changed));
    assert!(matches!(
        db.store.update_challenge(ChallengeId(9999), &changes).await,
        Err(RepositoryError::ChallengeNotFound(9999))
    ));
}

async fn deleted_challenges_leave_a_line_for_their_participants(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "10").await;
    let kept = create(&db, ANN, GoalKind::Total, "10").await;
    db.store.join(c.id, BOB, amount("10"), at(1)).await.unwrap();
    add(&db, progress(&c, BOB, Some("3"), "2026-03-02", 2)).await;
    add(&db, progress(&kept, ANN, Some("3"), "2026-03-02", 2)).await;
    db.store.delete_challenge(c.id, at(30)).await.unwrap();
    assert_eq!(db.store.challenge(c.id).await.unwrap(), None);
    assert!(db.store.standings(c.id).await.unwrap().is_empty());
    assert_eq!(db.store.tally(c.id, BOB).await.unwrap(), Tally::default(), "the entries went with it");
    assert_eq!(db.store.memberships(BOB, MembershipScope::All, Page::ALL).await.unwrap().total, 0);
    let deleted = db.store.deleted_challenge(c.id).await.unwrap().expect("a line for it");
    assert_eq!((deleted.name.as_str(), deleted.creator, deleted.deleted_at), ("Test challenge", ANN, at(30)));
    let seen = db.store.deletions_seen_by(BOB, at(29)).await.unwrap();
    assert_eq!(seen.iter().map(|d| d.id).collect::<Vec<_>>(), vec![c.id]);
    assert!(db.store.deletions_seen_by(BOB, at(31)).await.unwrap().is_empty(), "only lately");
    assert!(db.store.deletions_seen_by(ANN, at(0)).await.unwrap().is_empty(), "the creator deleted it");
    assert!(db.store.deletions_seen_by(CAT, at(0)).await.unwrap().is_empty(), "Cat was not in it");
    assert_eq!(db.store.tally(kept.id, ANN).await.unwrap().total, amount("3"), "other challenges stay");
    assert!(matches!(
        db.store.delete_challenge(c.id, at(31)).await,
        Err(RepositoryError::ChallengeNotFound(_))
    ));
    assert_eq!(db.store.deleted_challenge(kept.id).await.unwrap(), None);
}

async fn leaving_takes_the_entries_along(db: Db) {
    let c = create(&db, ANN, GoalKind::Total, "10").await;
    db.store.join(c.id, BOB, amount("10"), at(1)).await.unwrap();
    add(&db, keyed(progress(&c, BOB, Some("3"), "2026-03-02", 2), "k1")).await;
    db.store.leave(c.id, BOB).await.unwrap();
    assert_eq!(db.store.participant(c.id, BOB).await.unwrap(), None);
    assert!(db.store.list_progress(c.id, BOB).await.unwrap().is_empty());
    assert_eq!(db.store.standings(c.id).await.unwrap().len(), 1);
    assert!(matches!(db.store.leave(c.id, BOB).await, Err(RepositoryError::NotParticipant { .. })));
    assert!(matches!(
        db.store.leave(ChallengeId(9999), BOB).await,
        Err(RepositoryError::ChallengeNotFound(_))
    ));
    // Joining again starts afresh, and the old key is free.
    db.store.join(c.id, BOB, amount("10"), at(3)).await.unwrap();
    let again = add(&db, keyed(progress(&c, BOB, Some("3"), "2026-03-02", 4), "k1")).await;
    assert!(!again.duplicate);
    assert_eq!(again.tally.entries, 1);
}

// ---- Migration 0005 keeps what existing data meant. ----

/// Before 0005, "at least" was met by the latest value and people ranked by share; the rows kept
/// total, latest, days, entries and last date. After it: best and first values, when the standing
/// last changed, last activity, the at-least completions a record earned, and who first finished.
async fn check_migration_0005(store: &dyn Store, raw: &Raw, migrate_the_rest: impl AsyncFnOnce()) {
    let challenge = |name: &str, kind: &str, goal: &str| {
        format!(
            "INSERT INTO challenges (name, description, creator_id, created_at, start_date, deadline, unit, goal_kind, \
             default_goal_hundredths) VALUES ('{name}', '', 7, '2026-03-01T10:00:00+00:00', '2026-03-01', \
             '2026-03-31', NULL, '{kind}', {goal})"
        )
    };
    raw.execute(challenge("Lift", "at-least", "10000")).await.unwrap();
    raw.execute(challenge("Run", "total", "1000")).await.unwrap();
    for (c, user, goal) in [(1, 7, 10000), (1, 8, 10000), (2, 7, 1000), (2, 8, 500)] {
        raw.execute(format!(
            "INSERT INTO participants (challenge_id, user_id, goal_hundredths, joined_at) \
             VALUES ({c}, {user}, {goal}, '2026-03-01T10:00:00+00:00')"
        ))
        .await
        .unwrap();
    }
    let entries = [
        // Lift, user 7: a record of 105 on the 2nd, then 90 (the latest): not met before 0005.
        (1, 7, "10500", "2026-03-02", "2026-03-02T08:00:00+00:00"),
        (1, 7, "9000", "2026-03-03", "2026-03-03T08:00:00+00:00"),
        // Lift, user 8: 80 only.
        (1, 8, "8000", "2026-03-02", "2026-03-02T09:00:00+00:00"),
        // Run, user 8 met the challenge's 10 on the 3rd; user 7 later.
        (2, 8, "1200", "2026-03-03", "2026-03-03T09:00:00+00:00"),
        (2, 7, "600", "2026-03-02", "2026-03-02T10:00:00+00:00"),
        (2, 7, "600", "2026-03-04", "2026-03-04T10:00:00+00:00"),
    ];
    for (c, user, value, date, at) in entries {
        raw.execute(format!(
            "INSERT INTO progress_entries (challenge_id, user_id, value_hundredths, progress_date, recorded_at) \
             VALUES ({c}, {user}, {value}, '{date}', '{at}')"
        ))
        .await
        .unwrap();
    }
    // The tallies and completions as 0003/0004 kept them.
    for sql in [
        "UPDATE participants SET total_hundredths = 19500, latest_hundredths = 9000, days = 2, entries = 2, \
         last_date = '2026-03-03' WHERE challenge_id = 1 AND user_id = 7",
        "UPDATE participants SET total_hundredths = 8000, latest_hundredths = 8000, days = 1, entries = 1, \
         last_date = '2026-03-02' WHERE challenge_id = 1 AND user_id = 8",
        "UPDATE participants SET total_hundredths = 1200, latest_hundredths = 1200, days = 1, entries = 1, \
         last_date = '2026-03-03', completed_at = '2026-03-03T09:00:00+00:00' WHERE challenge_id = 2 AND user_id = 8",
        "UPDATE participants SET total_hundredths = 1200, latest_hundredths = 600, days = 2, entries = 2, \
         last_date = '2026-03-04', completed_at = '2026-03-04T10:00:00+00:00' WHERE challenge_id = 2 AND user_id = 7",
    ] {
        raw.execute(sql.into()).await.unwrap();
    }
    migrate_the_rest().await;

    let (lift, run) = (ChallengeId(1), ChallengeId(2));
    for (c, user, kind) in [
        (lift, 7, GoalKind::AtLeast),
        (lift, 8, GoalKind::AtLeast),
        (run, 7, GoalKind::Total),
        (run, 8, GoalKind::Total),
    ] {
        let user = UserId(user);
        let expected = tally_of_entries(kind, &store.list_progress(c, user).await.unwrap());
        let stored = store.tally(c, user).await.unwrap();
        assert_eq!(
            Tally { standing_at: None, ..stored },
            Tally { standing_at: None, ..expected },
            "challenge {c:?}, user {user:?}: the figures of the entries"
        );
        assert!(stored.standing_at.is_some(), "the time of the latest entry stands in");
    }
    let record = store.participant(lift, UserId(7)).await.unwrap().unwrap();
    let earned = chrono::DateTime::parse_from_rfc3339("2026-03-02T08:00:00+00:00").unwrap().to_utc();
    assert_eq!(record.completed_at, Some(earned), "the record of 105 met the goal of 100 when it was set");
    assert_eq!(store.participant(lift, UserId(8)).await.unwrap().unwrap().completed_at, None);
    let run_challenge = store.challenge(run).await.unwrap().unwrap();
    assert_eq!(run_challenge.first_finisher, Some(UserId(8)), "who met the challenge's own goal first");
    assert_eq!(store.challenge(lift).await.unwrap().unwrap().first_finisher, Some(UserId(7)));
    // The next entry to meet the goal is not announced as the first.
    let next = store
        .add_progress(&challenge_bot::progress::NewProgress {
            challenge: run,
            user: UserId(7),
            value: ProgressValue::Amount(amount("1")),
            date: ProgressDate::from_stored(d("2026-03-05")),
            recorded_at: at(10_000),
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert!(!next.first_to_finish);
    // Ranked by standing: in Run, 13 (user 7) above 12 (user 8), whatever their own goals.
    let ranked = rank(GoalKind::Total, store.standings(run).await.unwrap());
    assert_eq!(order(&ranked), vec![UserId(7), UserId(8)]);
    // Last activity: user 7's latest entry was in Run.
    let mine = store.memberships(UserId(7), MembershipScope::All, Page::ALL).await.unwrap();
    assert_eq!(mine.items.iter().map(|m| m.challenge.id).collect::<Vec<_>>(), vec![run, lift]);
}

#[tokio::test]
async fn sqlite_migration_0005_keeps_what_the_data_meant() {
    let (url, _dir) = storage_support::fresh_sqlite_url();
    let DatabaseUrl::Sqlite(path) = &url else { unreachable!() };
    let pool = sqlx::SqlitePool::connect_with(storage::SqliteStore::connect_options(path)).await.unwrap();
    storage::SqliteStore::migrator().run_to(4, &pool).await.unwrap();
    let store = storage::SqliteStore::from_pool(pool.clone());
    check_migration_0005(&store, &Raw::Sqlite(pool.clone()), async || {
        store.migrate().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn postgres_migration_0005_keeps_what_the_data_meant() {
    let guard = storage_support::PgDatabaseGuard::create().await;
    let pool = sqlx::PgPool::connect_with(guard.connect_options()).await.unwrap();
    storage::PostgresStore::migrator().run_to(4, &pool).await.unwrap();
    let store = storage::PostgresStore::from_pool(pool.clone());
    check_migration_0005(&store, &Raw::Postgres(pool.clone()), async || {
        store.migrate().await.unwrap();
    })
    .await;
    pool.close().await;
}

const EVE: UserId = UserId(505);
const FAY: UserId = UserId(606);

/// A `kind` challenge of six: Bob and Cat level at different times, Dan and Eve level at the
/// same minute (joining order decides), Fay without entries.
async fn six_with_ties(db: &Db, kind: GoalKind) -> challenge_bot::challenge::Challenge {
    let goal = if kind == GoalKind::AtMost { "1" } else { "6" };
    let c = create(db, ANN, kind, goal).await;
    for (i, user) in [BOB, CAT, DAN, EVE, FAY].iter().enumerate() {
        db.store.join(c.id, *user, amount(goal), at(i as i64 + 1)).await.unwrap();
    }
    // (user, value, day of March, minute recorded)
    let script: [(UserId, &str, u32, i64); 7] = [
        (BOB, "5", 1, 10),
        (CAT, "3", 1, 11),
        (CAT, "2", 2, 12),
        (DAN, "4", 2, 13),
        (EVE, "4", 2, 13),
        (ANN, "9", 3, 14),
        (BOB, "1", 3, 15),
    ];
    for (user, value, day, minute) in script {
        let value = (kind != GoalKind::Days).then_some(value);
        add(db, progress(&c, user, value, &format!("2026-03-{day:02}"), minute)).await;
    }
    db.store.challenge(c.id).await.unwrap().unwrap()
}

/// `position` reads only those level with the user; for everyone, in each kind, with ties (the
/// same standing reached at different times, or at the same time by people who joined in some
/// order) and people without entries, it must say what ranking the whole leaderboard says.
async fn a_position_is_the_place_on_the_whole_leaderboard_for_every_kind(db: Db) {
    use challenge_bot::user::DisplayName;
    db.store.upsert_user(CAT, &DisplayName::sanitize("Cat", CAT)).await.unwrap();
    for kind in [GoalKind::Total, GoalKind::Days, GoalKind::AtLeast, GoalKind::AtMost] {
        let c = six_with_ties(&db, kind).await;
        let whole = ranked(&db, &c).await;
        for r in &whole {
            let user = r.standing.participant.user;
            let position =
                db.store.position(c.id, kind, user, Some(CAT)).await.unwrap().expect("a participant");
            assert_eq!(position.me, *r, "{kind:?}: {user:?}'s line and place, in {:?}", order(&whole));
            assert_eq!(position.participants, 6, "{kind:?}");
            let cat = position.first_finisher.as_ref().map(|n| n.as_str().to_owned());
            assert_eq!(cat.as_deref(), Some("Cat"), "{kind:?}: the name asked for, while Cat takes part");
        }
        assert!(
            db.store.position(c.id, kind, UserId(999), None).await.unwrap().is_none(),
            "not a participant"
        );
        db.store.leave(c.id, CAT).await.unwrap();
        let after = db.store.position(c.id, kind, FAY, Some(CAT)).await.unwrap().unwrap();
        assert_eq!((after.participants, after.first_finisher), (5, None), "{kind:?}: Cat left");
        assert_eq!(after.me.rank, 5, "{kind:?}: without entries, after the four with entries");
    }
}

async fn an_export_holds_its_scope_by_challenge_then_date_then_order_recorded(db: Db) {
    use challenge_bot::progress::ExportScope;
    use challenge_bot::user::DisplayName;
    db.store.upsert_user(ANN, &DisplayName::sanitize("Ann", ANN)).await.unwrap();
    let run = create(&db, ANN, GoalKind::Total, "100").await;
    let sit = create(&db, BOB, GoalKind::Days, "10").await;
    db.store.join(run.id, BOB, amount("50"), at(1)).await.unwrap();
    db.store.join(sit.id, ANN, amount("10"), at(1)).await.unwrap();
    add(&db, progress(&run, ANN, Some("5"), "2026-03-03", 2)).await;
    add(&db, progress(&run, BOB, Some("2.5"), "2026-03-01", 3)).await;
    add(&db, progress(&run, ANN, Some("1"), "2026-03-01", 4)).await;
    add(&db, progress(&sit, ANN, None, "2026-03-02", 5)).await;
    let run_rows = db.store.export_entries(ExportScope::Challenge(run.id)).await.unwrap();
    let seen: Vec<(UserId, String, Option<String>)> =
        run_rows.iter().map(|e| (e.user, e.date.to_string(), e.value.map(|v| v.to_string()))).collect();
    assert_eq!(
        seen,
        vec![
            (BOB, "2026-03-01".into(), Some("2.5".into())),
            (ANN, "2026-03-01".into(), Some("1".into())),
            (ANN, "2026-03-03".into(), Some("5".into())),
        ],
        "by date, then in the order recorded"
    );
    assert_eq!(run_rows[1].display_name.as_deref(), Some("Ann"));
    assert_eq!(run_rows[0].display_name, None, "Bob never gave a name");
    assert_eq!(run_rows[0].challenge_name, "Test challenge");
    let ann = db.store.export_entries(ExportScope::User(ANN)).await.unwrap();
    let by_challenge: Vec<(ChallengeId, Option<String>)> =
        ann.iter().map(|e| (e.challenge, e.value.map(|v| v.to_string()))).collect();
    assert_eq!(
        by_challenge,
        vec![(run.id, Some("1".into())), (run.id, Some("5".into())), (sit.id, None)],
        "every challenge of Ann's, check-ins without a value"
    );
    assert!(db.store.export_entries(ExportScope::User(UserId(999))).await.unwrap().is_empty());
}

/// The streaks migration 0006 left to `migrate()` are computed even while another writer holds
/// SQLite's write lock and commits meanwhile: the computing transaction takes the lock at its
/// start (waiting for it), instead of reading first and then failing to upgrade a stale read.
#[tokio::test]
async fn missing_streaks_are_computed_while_another_sqlite_writer_commits() {
    let (db, _dir) = sqlite_db().await;
    let c = create(&db, ANN, GoalKind::Total, "100").await;
    add(&db, progress(&c, ANN, Some("1"), "2026-03-01", 2)).await;
    add(&db, progress(&c, ANN, Some("1"), "2026-03-02", 3)).await;
    db.raw()
        .execute(
            "UPDATE participants SET streak_run = NULL, streak_best = NULL, streak_freezes = NULL".into(),
        )
        .await
        .unwrap();
    let Some(DatabaseUrl::Sqlite(path)) = db.url.clone() else { panic!("a SQLite database") };
    let holder = sqlx::SqlitePool::connect_with(challenge_bot::storage::SqliteStore::connect_options(&path))
        .await
        .unwrap();
    let mut writer = holder.acquire().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *writer).await.unwrap();
    sqlx::query("UPDATE participants SET last_active_at = last_active_at")
        .execute(&mut *writer)
        .await
        .unwrap();
    let migrating = tokio::spawn(async move {
        let store = challenge_bot::storage::SqliteStore::open(&path).await.unwrap();
        let migrated = store.migrate().await.map(|_| ());
        store.pool().close().await;
        migrated
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sqlx::query("COMMIT").execute(&mut *writer).await.unwrap();
    drop(writer);
    migrating.await.unwrap().expect("migrate waits for the lock and computes the streaks");
    let tally = db.store.tally(c.id, ANN).await.unwrap();
    assert_eq!((tally.streak.run, tally.streak.best), (2, 2), "{:?}", tally.streak);
    holder.close().await;
}

/// `leaders` sorts and limits in the store; for each kind, with ties reached at different times
/// and at the same time, and people without entries, it is the whole leaderboard's top.
async fn the_leaders_are_the_top_of_the_whole_leaderboard_for_every_kind(db: Db) {
    for kind in [GoalKind::Total, GoalKind::Days, GoalKind::AtLeast, GoalKind::AtMost] {
        let c = six_with_ties(&db, kind).await;
        let whole = ranked(&db, &c).await;
        for limit in [0u32, 1, 3, 6, 10] {
            let leaders = db.store.leaders(c.id, kind, limit).await.unwrap();
            let expected: Vec<Ranked> = whole.iter().take(limit as usize).cloned().collect();
            assert_eq!(leaders.top, expected, "{kind:?}, top {limit}");
            if limit > 0 {
                assert_eq!(leaders.participants, 6, "{kind:?}");
            }
        }
    }
}
