//! Unit tests of the in-memory store.

use chrono::TimeZone;

use super::*;
use crate::challenge::{ChallengeName, Deadline, Description};
use crate::clock::Today;
use crate::goal::{GoalKind, GoalRepository};
use crate::progress::{IdempotencyKey, NewProgress, ProgressDate, ProgressRepository, ProgressValue};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 10, minute, 0).unwrap()
}

async fn challenge(store: &MemoryStore, kind: GoalKind, goal: i64) -> Challenge {
    store
        .create_challenge(&NewChallenge {
            name: ChallengeName::parse("Run").unwrap(),
            description: Description::default(),
            creator: UserId(1),
            created_at: at(0),
            start_date: d("2026-03-01"),
            deadline: Deadline::parse(d("2026-04-01"), d("2026-03-01")).unwrap(),
            unit: None,
            goal: Goal::new(kind, Amount::from_whole(goal)).unwrap(),
            visibility: crate::challenge::Visibility::Public,
        })
        .await
        .unwrap()
}

fn entry(c: &Challenge, value: Option<i64>, date: &str, minute: u32, key: Option<&str>) -> NewProgress {
    NewProgress {
        challenge: c.id,
        user: UserId(1),
        value: value.map_or(ProgressValue::CheckIn, |v| ProgressValue::Amount(Amount::from_whole(v))),
        date: ProgressDate::from_stored(d(date)),
        recorded_at: at(minute),
        idempotency_key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
    }
}

#[tokio::test]
async fn completion_idempotency_and_undo() {
    let store = MemoryStore::new();
    let c = challenge(&store, GoalKind::Total, 10).await;
    let first = store.add_progress(&entry(&c, Some(6), "2026-03-01", 1, Some("k1"))).await.unwrap();
    assert!(!first.completed_now && !first.duplicate);
    let again = store.add_progress(&entry(&c, Some(6), "2026-03-01", 2, Some("k1"))).await.unwrap();
    assert!(again.duplicate);
    assert_eq!(again.entry.id, first.entry.id);
    assert_eq!(again.tally.total, Amount::from_whole(6));
    let second = store.add_progress(&entry(&c, Some(4), "2026-03-02", 3, None)).await.unwrap();
    assert!(second.completed_now);
    assert_eq!(second.completed_at, Some(at(3)));
    let third = store.add_progress(&entry(&c, Some(1), "2026-03-02", 4, None)).await.unwrap();
    assert!(!third.completed_now, "completes once");
    assert_eq!(third.completed_at, Some(at(3)));
    let (undone, tally) = store.undo_last_progress(c.id, UserId(1), at(9)).await.unwrap().unwrap();
    assert_eq!(undone.id, third.entry.id);
    assert_eq!(tally.total, Amount::from_whole(10));
    assert!(store.participant(c.id, UserId(1)).await.unwrap().unwrap().completed_at.is_some());
    store.undo_last_progress(c.id, UserId(1), at(9)).await.unwrap();
    assert_eq!(store.participant(c.id, UserId(1)).await.unwrap().unwrap().completed_at, None);
    assert_eq!(
        store.tally(c.id, UserId(1)).await.unwrap(),
        Tally::of(std::slice::from_ref(&first.entry), |t| GoalKind::Total.standing(t))
    );
}

#[tokio::test]
async fn running_tally_matches_tally_of() {
    let store = MemoryStore::new();
    let c = challenge(&store, GoalKind::AtLeast, 10).await;
    for (i, (v, date)) in
        [(3, "2026-03-05"), (9, "2026-03-02"), (4, "2026-03-05"), (1, "2026-03-04")].into_iter().enumerate()
    {
        store.add_progress(&entry(&c, Some(v), date, i as u32, None)).await.unwrap();
        let listed = store.list_progress(c.id, UserId(1)).await.unwrap();
        assert_eq!(
            store.tally(c.id, UserId(1)).await.unwrap(),
            Tally::of(&listed, |t| GoalKind::AtLeast.standing(t))
        );
    }
    let listed = store.list_progress(c.id, UserId(1)).await.unwrap();
    let dates: Vec<_> = listed.iter().map(|e| e.date.date()).collect();
    assert!(dates.is_sorted());
    assert_eq!(store.tally(c.id, UserId(1)).await.unwrap().latest, Some(Amount::from_whole(4)));
}

#[tokio::test]
async fn joins_goals_and_lists() {
    let store = MemoryStore::new();
    let a = challenge(&store, GoalKind::Total, 10).await;
    let b = challenge(&store, GoalKind::Days, 5).await;
    assert!(matches!(
        store.join(a.id, UserId(1), Amount::from_whole(5), at(1)).await,
        Err(RepositoryError::AlreadyJoined { .. })
    ));
    assert!(matches!(
        store.join(ChallengeId(99), UserId(2), Amount::from_whole(5), at(1)).await,
        Err(RepositoryError::ChallengeNotFound(99))
    ));
    assert!(matches!(
        store.set_goal(a.id, UserId(2), Amount::from_whole(5), at(1)).await,
        Err(RepositoryError::NotParticipant { .. })
    ));
    let joinable = ChallengeFilter::JoinableBy { user: UserId(2), today: Today::pinned(d("2026-03-01")) };
    let list = store.list_challenges(joinable, Page::new(0, 1)).await.unwrap();
    assert_eq!((list.total, list.items[0].id), (2, b.id), "newest first");
    store.join(a.id, UserId(2), Amount::from_whole(5), at(2)).await.unwrap();
    let list = store.list_challenges(joinable, Page::new(0, 10)).await.unwrap();
    assert_eq!(list.items.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b.id]);
    let joined = ChallengeFilter::JoinedBy { user: UserId(2), active_on: None };
    assert_eq!(store.list_challenges(joined, Page::ALL).await.unwrap().items[0].id, a.id);
    let later = ChallengeFilter::ActiveOn(Today::pinned(d("2026-04-02")));
    assert_eq!(store.list_challenges(later, Page::ALL).await.unwrap().total, 0);

    store.upsert_user(UserId(2), &DisplayName::sanitize("Bo", UserId(2))).await.unwrap();
    let standings = store.standings(a.id).await.unwrap();
    assert_eq!(standings.len(), 2);
    let bo = standings.iter().find(|s| s.participant.user == UserId(2)).unwrap();
    assert_eq!(bo.display_name.as_ref().map(DisplayName::as_str), Some("Bo"));

    store.set_unavailable(true);
    assert!(store.challenge(a.id).await.unwrap_err().is_unavailable());
}

#[tokio::test]
async fn set_goal_rejudges_completion() {
    let store = MemoryStore::new();
    let c = challenge(&store, GoalKind::Total, 10).await;
    store.add_progress(&entry(&c, Some(6), "2026-03-01", 1, None)).await.unwrap();
    let p = store.set_goal(c.id, UserId(1), Amount::from_whole(5), at(5)).await.unwrap();
    assert_eq!(p.completed_at, Some(at(5)));
    let p = store.set_goal(c.id, UserId(1), Amount::from_whole(50), at(6)).await.unwrap();
    assert_eq!(p.completed_at, None);
}
