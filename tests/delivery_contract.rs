//! The bot's delivery log on both SQL stores (`mod sqlite` / `mod postgres`): the outbox of
//! handled updates, the resume offset, and turns, whose effects commit with the update's record
//! or not at all (issue 4: "the handled update ids are recorded in the same transaction as the
//! effects they cause").
//!
//! A fresh database per test; the PostgreSQL tests fail, never skip, when the server at
//! `TEST_DATABASE_URL` cannot be reached.

mod storage_support;

use std::sync::Arc;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{
    ChallengeFilter, ChallengeId, ChallengeName, Deadline, Description, NewChallenge,
};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::App;
use challenge_bot::handler::conversation::{CacheConfig, Conversation, Input, Reply, Request, Settle, State};
use challenge_bot::progress::{NewProgress, ProgressDate, ProgressValue};
use challenge_bot::protocol::bot::delivery::{Action, DeliveryLog, Finished, Handled};
use challenge_bot::repository::{Page, RepositoryError, Store};
use challenge_bot::user::{DisplayName, UserId};
use chrono::{NaiveDate, TimeZone, Utc};

const BOT: i64 = 555;
const ANN: UserId = UserId(101);

/// A store and its delivery log (the same object), plus a second view of the database that
/// shares no transaction with anything (what another process would see).
struct Db {
    store: Arc<dyn Store>,
    log: Arc<dyn DeliveryLog>,
}

async fn sqlite_db() -> (Db, tempfile::TempDir) {
    let (store, dir) = storage_support::fresh_sqlite().await;
    let store = Arc::new(store);
    (Db { store: store.clone(), log: store }, dir)
}

async fn postgres_db() -> (Db, storage_support::PgDatabaseGuard) {
    let (store, guard) = storage_support::fresh_postgres().await;
    let store = Arc::new(store);
    (Db { store: store.clone(), log: store }, guard)
}

macro_rules! contract_tests {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let (db, _dir) = super::sqlite_db().await;
                    super::$case(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let (db, _guard) = super::postgres_db().await;
                    super::$case(db).await;
                }
            )*
        }
    };
}

contract_tests!(
    outbox_records_once_marks_and_forgets,
    restarting_the_sequence_forgets_the_old_one,
    turn_commits_its_effects_with_its_record,
    dropped_turn_leaves_no_effect_and_no_record,
    redelivered_update_is_recognised_and_its_new_effects_roll_back,
    turn_without_writes_is_recorded,
    failed_write_keeps_the_answer_and_drops_the_turns_effects,
    display_names_are_stored_even_if_the_update_rolls_back,
    conversation_state_moves_on_only_when_settled,
);

fn send(text: &str) -> Action {
    Action::Send { chat_id: ANN.0, html: text.into(), buttons: vec![] }
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

fn new_challenge() -> NewChallenge {
    NewChallenge {
        name: ChallengeName::parse("Run 100 km").unwrap(),
        description: Description::parse("").unwrap(),
        creator: ANN,
        created_at: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        start_date: day(1),
        deadline: Deadline::parse(day(31), day(1)).unwrap(),
        unit: None,
        goal: Goal::new(GoalKind::Total, Amount::from_hundredths(10_000)).unwrap(),
    }
}

fn progress(challenge: ChallengeId, hundredths: i64) -> NewProgress {
    NewProgress {
        challenge,
        user: ANN,
        value: ProgressValue::Amount(Amount::from_hundredths(hundredths)),
        date: ProgressDate::parse(day(2), day(1), day(31), day(2)).unwrap(),
        recorded_at: Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
        idempotency_key: None,
    }
}

/// The one challenge in the database, seen from outside any turn (`None` if there is none).
async fn only_challenge(db: &Db) -> Option<ChallengeId> {
    let all = db.store.list_challenges(ChallengeFilter::All, Page::ALL).await.unwrap();
    assert!(all.total <= 1, "at most one challenge expected, found {}", all.total);
    all.items.first().map(|c| c.id)
}

/// Records an update that changed nothing (a turn with no writes).
async fn record(
    log: &Arc<dyn DeliveryLog>,
    bot: i64,
    update_id: i64,
    actions: &[Action],
) -> Result<Handled, RepositoryError> {
    Ok(log.turn(bot, update_id).finish(actions).await?.handled())
}

async fn outbox_records_once_marks_and_forgets(db: Db) {
    let log = &db.log;
    assert_eq!(log.resume_offset(BOT).await.unwrap(), None);
    let first = record(log, BOT, 10, &[send("a"), send("b")]).await.unwrap();
    assert_eq!(first, Handled { update_id: 10, actions: vec![send("a"), send("b")], done: 0 });
    let again = record(log, BOT, 10, &[send("other")]).await.unwrap();
    assert_eq!(again.actions, first.actions, "the first record wins");
    record(log, BOT, 11, &[send("c")]).await.unwrap();
    record(log, BOT + 1, 10, &[send("another bot")]).await.unwrap();

    // Marks only move forward, several updates per call.
    log.mark_done_many(BOT, &[(10, 2), (11, 1)]).await.unwrap();
    log.mark_done_many(BOT, &[(10, 1)]).await.unwrap();
    log.mark_done(BOT, 11, 0).await.unwrap();
    let handled = log.handled_since(BOT, 0).await.unwrap();
    assert_eq!(handled.iter().map(|h| (h.update_id, h.done)).collect::<Vec<_>>(), vec![(10, 2), (11, 1)]);
    assert!(handled.iter().all(Handled::is_complete));

    // The offset never goes back; records below what Telegram confirmed are forgotten.
    log.save_offset(BOT, 12, 11).await.unwrap();
    assert_eq!(log.resume_offset(BOT).await.unwrap(), Some(12));
    assert_eq!(
        log.handled_since(BOT, 0).await.unwrap().iter().map(|h| h.update_id).collect::<Vec<_>>(),
        [11]
    );
    log.save_offset(BOT, 5, 0).await.unwrap();
    assert_eq!(log.resume_offset(BOT).await.unwrap(), Some(12));
    assert_eq!(log.handled_since(BOT + 1, 0).await.unwrap().len(), 1, "bots are kept apart");
}

async fn restarting_the_sequence_forgets_the_old_one(db: Db) {
    let log = &db.log;
    record(log, BOT, 900, &[send("old")]).await.unwrap();
    log.save_offset(BOT, 901, 0).await.unwrap();
    log.restart_sequence(BOT, 3).await.unwrap();
    assert_eq!(log.resume_offset(BOT).await.unwrap(), Some(3), "a new sequence may start lower");
    assert!(log.handled_since(BOT, 0).await.unwrap().is_empty());
}

async fn turn_commits_its_effects_with_its_record(db: Db) {
    let turn = db.log.turn(BOT, 20);
    let store = turn.store();
    let created = store.create_challenge(&new_challenge()).await.unwrap();
    store.add_progress(&progress(created.id, 2_500)).await.unwrap();
    // Inside the turn its own writes are visible...
    assert_eq!(store.tally(created.id, ANN).await.unwrap().total, Amount::from_hundredths(2_500));
    // ...outside, nothing is until it finishes.
    assert_eq!(only_challenge(&db).await, None, "uncommitted effects are invisible outside the turn");
    assert!(db.log.handled_since(BOT, 0).await.unwrap().is_empty());

    let finished = turn.finish(&[send("logged")]).await.unwrap();
    assert_eq!(
        finished,
        Finished::Recorded(Handled { update_id: 20, actions: vec![send("logged")], done: 0 })
    );
    assert_eq!(only_challenge(&db).await, Some(created.id));
    assert_eq!(db.store.tally(created.id, ANN).await.unwrap().total, Amount::from_hundredths(2_500));
    assert_eq!(db.log.handled_since(BOT, 0).await.unwrap().len(), 1);
}

async fn dropped_turn_leaves_no_effect_and_no_record(db: Db) {
    // The process dies (or shuts down) after the update's writes, before its record commits.
    {
        let turn = db.log.turn(BOT, 30);
        let store = turn.store();
        let created = store.create_challenge(&new_challenge()).await.unwrap();
        store.add_progress(&progress(created.id, 100)).await.unwrap();
        drop(store);
    }
    // Give a rollback queued by the drop a moment to reach the server.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(only_challenge(&db).await, None);
    assert!(db.log.handled_since(BOT, 0).await.unwrap().is_empty());
    // Handled again from scratch, it applies once.
    let turn = db.log.turn(BOT, 30);
    let created = turn.store().create_challenge(&new_challenge()).await.unwrap();
    assert!(matches!(turn.finish(&[send("created")]).await.unwrap(), Finished::Recorded(_)));
    assert_eq!(only_challenge(&db).await, Some(created.id));
}

async fn redelivered_update_is_recognised_and_its_new_effects_roll_back(db: Db) {
    let created = db.store.create_challenge(&new_challenge()).await.unwrap();
    let first = db.log.turn(BOT, 40);
    first.store().add_progress(&progress(created.id, 700)).await.unwrap();
    first.finish(&[send("7 logged")]).await.unwrap();

    // Delivered again (the confirming getUpdates was lost): handled again, with no idempotency
    // key on the entry, the update's record alone must keep it from counting twice.
    let again = db.log.turn(BOT, 40);
    again.store().add_progress(&progress(created.id, 700)).await.unwrap();
    let finished = again.finish(&[send("7 logged, again")]).await.unwrap();
    assert_eq!(
        finished,
        Finished::Earlier(Handled { update_id: 40, actions: vec![send("7 logged")], done: 0 }),
        "answered with what was recorded the first time"
    );
    assert_eq!(db.store.tally(created.id, ANN).await.unwrap().total, Amount::from_hundredths(700));
    assert_eq!(db.store.list_progress(created.id, ANN).await.unwrap().len(), 1);
}

async fn turn_without_writes_is_recorded(db: Db) {
    let created = db.store.create_challenge(&new_challenge()).await.unwrap();
    let turn = db.log.turn(BOT, 50);
    let store = turn.store();
    assert_eq!(store.challenge(created.id).await.unwrap().map(|c| c.id), Some(created.id));
    assert_eq!(store.standings(created.id).await.unwrap().len(), 1);
    assert!(matches!(turn.finish(&[send("view")]).await.unwrap(), Finished::Recorded(_)));
    let handled = db.log.handled_since(BOT, 50).await.unwrap();
    assert_eq!(handled, vec![Handled { update_id: 50, actions: vec![send("view")], done: 0 }]);
    // Recorded again: the earlier record.
    let turn = db.log.turn(BOT, 50);
    assert!(
        matches!(turn.finish(&[send("other")]).await.unwrap(), Finished::Earlier(h) if h.actions == vec![send("view")])
    );
}

async fn failed_write_keeps_the_answer_and_drops_the_turns_effects(db: Db) {
    let turn = db.log.turn(BOT, 60);
    let store = turn.store();
    let name = DisplayName::sanitize("Ann", ANN);
    store.upsert_user(ANN, &name).await.unwrap();
    // A write refused by the database midway (PostgreSQL aborts the transaction here).
    let refused = store.join(ChallengeId(999), ANN, Amount::from_hundredths(100), Utc::now()).await;
    assert!(matches!(refused, Err(RepositoryError::ChallengeNotFound(999))), "got {refused:?}");
    // Reads still work, for the answer that explains the refusal.
    assert!(store.challenge(ChallengeId(999)).await.unwrap().is_none());
    // Later writes of the same turn are refused: they could not commit with the record.
    assert!(store.upsert_user(ANN, &name).await.is_err());
    let finished = turn.finish(&[send("no such challenge")]).await.unwrap();
    assert!(matches!(finished, Finished::Recorded(h) if h.actions == vec![send("no such challenge")]));
    // The update is answered and recorded; the turn's earlier write is rolled back with it.
    assert_eq!(db.log.handled_since(BOT, 0).await.unwrap().len(), 1);
    let created = db.store.create_challenge(&new_challenge()).await.unwrap();
    let standings = db.store.standings(created.id).await.unwrap();
    assert_eq!(standings.len(), 1);
    assert!(standings[0].display_name.is_none(), "the rolled-back name was not stored");
}

fn conversation(db: &Db) -> Conversation {
    let app = App::new(db.store.clone(), Clock::Fixed(day(2)));
    Conversation::new(app, &CacheConfig::default())
}

async fn display_names_are_stored_even_if_the_update_rolls_back(db: Db) {
    let created = db.store.create_challenge(&new_challenge()).await.unwrap();
    let zed = UserId(303);
    db.store.join(created.id, zed, Amount::from_hundredths(100), Utc::now()).await.unwrap();
    let conversation = conversation(&db);
    {
        // The update is handled in a turn that never commits (the bot crashes, or its record
        // cannot be written): the name was stored on the side all the same.
        let turn = db.log.turn(BOT, 70);
        let name = DisplayName::sanitize("Zed", zed);
        let request = Request::new(zed, name, Input::from_message("/start"));
        let (replies, _settle) =
            conversation.with_store(turn.store()).handle_unsettled(request).await.unwrap();
        assert!(!replies.is_empty());
    }
    let standings = db.store.standings(created.id).await.unwrap();
    let zed_line = standings.iter().find(|s| s.participant.user == zed).unwrap();
    assert_eq!(zed_line.display_name.as_ref().map(|n| n.as_str()), Some("Zed"));
}

/// Handles `input` from Ann in a turn of its own and returns the replies and the unsettled
/// state change (the turn is dropped: nothing commits).
async fn unsettled(
    db: &Db,
    conversation: &Conversation,
    update_id: i64,
    input: Input,
) -> (Vec<Reply>, Settle) {
    let turn = db.log.turn(BOT, update_id);
    let request = Request::new(ANN, DisplayName::sanitize("Ann", ANN), input);
    conversation.with_store(turn.store()).handle_unsettled(request).await.unwrap()
}

async fn conversation_state_moves_on_only_when_settled(db: Db) {
    let conversation = conversation(&db);
    let (replies, settle) = unsettled(&db, &conversation, 80, Input::from_message("/start")).await;
    let press = replies
        .iter()
        .flat_map(|r| r.buttons.iter().flatten())
        .find(|b| b.label.starts_with("Create challenge"))
        .expect("a Create challenge button")
        .payload
        .clone();
    conversation.settle(settle).await;
    let (_, settle) = unsettled(&db, &conversation, 81, Input::Button(press.clone())).await;
    drop(settle);
    assert_eq!(conversation.state_of(ANN).await, State::MainInit, "unsettled: nothing moved");
    let (_, settle) = unsettled(&db, &conversation, 81, Input::Button(press)).await;
    assert_eq!(conversation.state_of(ANN).await, State::MainInit, "not before it is settled");
    conversation.settle(settle).await;
    assert_ne!(conversation.state_of(ANN).await, State::MainInit, "settled: the question is asked");
}
