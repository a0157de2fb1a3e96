//! The outbox contract (`challenge_bot::outbox`): the record of handled updates, the messages
//! queued with them, the resume offset, the inbox of parked updates and the record of failures —
//! on the memory outbox, SQLite and PostgreSQL; and turns, whose effects commit with the update's
//! record and messages or not at all, on the two SQL stores.
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
use challenge_bot::outbox::memory::MemoryOutbox;
use challenge_bot::outbox::{Action, Class, Failure, Finished, Outbox, Parked, UpdateRef};
use challenge_bot::progress::{NewProgress, ProgressDate, ProgressValue};
use challenge_bot::repository::{Page, RepositoryError, Store};
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::user::{DisplayName, UserId};
use chrono::{NaiveDate, TimeZone, Utc};

const BOT: i64 = 555;
const ANN: UserId = UserId(101);

/// A store and its outbox (the same object for the SQL stores).
struct Db {
    store: Arc<dyn Store>,
    outbox: Arc<dyn Outbox>,
}

async fn memory_db() -> (Db, ()) {
    let store = Arc::new(MemoryStore::new());
    let outbox = Arc::new(MemoryOutbox::with_store(store.clone()));
    (Db { store, outbox }, ())
}

async fn sqlite_db() -> (Db, tempfile::TempDir) {
    let (store, dir) = storage_support::fresh_sqlite().await;
    let store = Arc::new(store);
    (Db { store: store.clone(), outbox: store }, dir)
}

async fn postgres_db() -> (Db, storage_support::PgDatabaseGuard) {
    let (store, guard) = storage_support::fresh_postgres().await;
    let store = Arc::new(store);
    (Db { store: store.clone(), outbox: store }, guard)
}

/// `all:` cases run on the memory outbox, SQLite and PostgreSQL; `sql:` cases on the two SQL
/// stores (turns share a transaction only there).
macro_rules! contract_tests {
    (all: [$($all:ident),* $(,)?], sql: [$($sql:ident),* $(,)?]) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $all() {
                    let (db, _keep) = super::memory_db().await;
                    super::$all(db).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $all() {
                    let (db, _dir) = super::sqlite_db().await;
                    super::$all(db).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $sql() {
                    let (db, _dir) = super::sqlite_db().await;
                    super::$sql(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $all() {
                    let (db, _guard) = super::postgres_db().await;
                    super::$all(db).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $sql() {
                    let (db, _guard) = super::postgres_db().await;
                    super::$sql(db).await;
                }
            )*
        }
    };
}

contract_tests!(
    all: [
        updates_are_recorded_once_and_their_messages_queued_in_order,
        restarting_the_sequence_forgets_the_old_one,
        parked_updates_wait_in_order_and_leave_with_their_record,
        failures_are_recorded_once_with_their_apology,
        messages_are_read_back_by_id,
    ],
    sql: [
        turn_commits_its_effects_with_its_record_and_messages,
        dropped_turn_leaves_no_effect_and_no_record,
        redelivered_update_is_recognised_and_its_new_effects_roll_back,
        turn_without_writes_is_recorded,
        failed_write_keeps_the_answer_and_drops_the_turns_effects,
        display_names_are_stored_even_if_the_update_rolls_back,
        conversation_state_moves_on_only_when_settled,
    ]
);

fn send(text: &str) -> Action {
    Action::Send { chat_id: ANN.0, html: text.into(), buttons: vec![], class: Class::Screen }
}

fn answer(query: &str) -> Action {
    Action::Answer { query_id: query.into(), text: None }
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
        visibility: challenge_bot::challenge::Visibility::Public,
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
async fn record(outbox: &Arc<dyn Outbox>, bot: i64, update_id: i64, actions: &[Action]) -> Finished {
    outbox.turn(bot, UpdateRef::fetched(update_id)).finish(actions).await.unwrap()
}

/// Every message queued for a bot, oldest first.
async fn queued(outbox: &Arc<dyn Outbox>, bot: i64) -> Vec<Action> {
    outbox.queued(bot, 0, 1000).await.unwrap().into_iter().map(|q| q.action).collect()
}

async fn updates_are_recorded_once_and_their_messages_queued_in_order(db: Db) {
    let outbox = &db.outbox;
    assert_eq!(outbox.resume_offset(BOT).await.unwrap(), None);
    let Finished::Recorded(first) = record(outbox, BOT, 10, &[answer("q1"), send("a"), send("b")]).await
    else {
        panic!("a new update is recorded");
    };
    assert_eq!(
        first.iter().map(|q| q.action.clone()).collect::<Vec<_>>(),
        vec![answer("q1"), send("a"), send("b")]
    );
    assert!(first.windows(2).all(|w| w[0].id < w[1].id), "ids grow in the order queued");
    assert_eq!(record(outbox, BOT, 10, &[send("other")]).await, Finished::Earlier, "the first record wins");
    record(outbox, BOT, 11, &[send("c")]).await;
    record(outbox, BOT + 1, 10, &[send("another bot")]).await;
    assert_eq!(queued(outbox, BOT).await, vec![answer("q1"), send("a"), send("b"), send("c")]);
    assert_eq!(queued(outbox, BOT + 1).await, vec![send("another bot")], "bots are kept apart");

    // Paging, and removal of what was sent.
    let page = outbox.queued(BOT, first[0].id, 2).await.unwrap();
    assert_eq!(page.iter().map(|q| q.action.clone()).collect::<Vec<_>>(), vec![send("a"), send("b")]);
    outbox.remove(BOT, &[first[0].id, first[2].id]).await.unwrap();
    outbox.remove(BOT + 1, &[first[1].id]).await.unwrap();
    assert_eq!(queued(outbox, BOT).await, vec![send("a"), send("c")], "only this bot's rows go");

    // The offset never goes back; records below what Telegram confirmed are forgotten.
    outbox.save_offset(BOT, 12, 11).await.unwrap();
    assert_eq!(outbox.resume_offset(BOT).await.unwrap(), Some(12));
    assert!(matches!(record(outbox, BOT, 10, &[]).await, Finished::Recorded(_)), "10 was forgotten");
    assert_eq!(record(outbox, BOT, 11, &[]).await, Finished::Earlier, "11 was kept");
    outbox.save_offset(BOT, 5, 0).await.unwrap();
    assert_eq!(outbox.resume_offset(BOT).await.unwrap(), Some(12));
}

async fn messages_are_read_back_by_id(db: Db) {
    let outbox = &db.outbox;
    let Finished::Recorded(mine) =
        record(outbox, BOT, 10, &[send("a"), send("b"), send("c"), send("d")]).await
    else {
        panic!("a new update is recorded");
    };
    let Finished::Recorded(theirs) = record(outbox, BOT + 1, 10, &[send("another bot")]).await else {
        panic!("a new update is recorded");
    };
    outbox.remove(BOT, &[mine[1].id]).await.unwrap();
    let asked = [mine[3].id, mine[0].id, mine[1].id, theirs[0].id, mine[2].id, 999_999];
    let found = outbox.messages(BOT, &asked).await.unwrap();
    assert_eq!(
        found.iter().map(|q| (q.id, q.action.clone())).collect::<Vec<_>>(),
        vec![(mine[0].id, send("a")), (mine[2].id, send("c")), (mine[3].id, send("d"))],
        "this bot's messages still queued, oldest first; removed, unknown and other bots' ids left out"
    );
    assert!(outbox.messages(BOT, &[]).await.unwrap().is_empty());
}

async fn restarting_the_sequence_forgets_the_old_one(db: Db) {
    let outbox = &db.outbox;
    record(outbox, BOT, 900, &[send("old")]).await;
    outbox.save_offset(BOT, 901, 0).await.unwrap();
    outbox.restart_sequence(BOT, 3).await.unwrap();
    assert_eq!(outbox.resume_offset(BOT).await.unwrap(), Some(3), "a new sequence may start lower");
    assert!(matches!(record(outbox, BOT, 900, &[]).await, Finished::Recorded(_)));
    assert_eq!(queued(outbox, BOT).await, vec![send("old")], "unsent messages stay");
}

fn parked(update_id: i64, user: i64) -> Parked {
    Parked { update_id, user, payload: format!(r#"{{"update_id":{update_id}}}"#) }
}

async fn parked_updates_wait_in_order_and_leave_with_their_record(db: Db) {
    let outbox = &db.outbox;
    outbox.park(BOT, &[parked(7, 100), parked(5, 100), parked(6, 200)]).await.unwrap();
    outbox.park(BOT, &[parked(5, 100)]).await.unwrap();
    outbox.park(BOT + 1, &[parked(5, 300)]).await.unwrap();
    assert_eq!(outbox.parked_users(BOT).await.unwrap(), vec![(100, 2), (200, 1)]);
    let mine = outbox.parked(BOT, 100, 10).await.unwrap();
    assert_eq!(mine, vec![parked(5, 100), parked(7, 100)], "oldest first, each once");
    assert_eq!(outbox.parked(BOT, 100, 1).await.unwrap().len(), 1);

    // Handling a parked update removes it from the inbox with its record.
    let turn = outbox.turn(BOT, UpdateRef { id: 5, parked: true });
    assert!(matches!(turn.finish(&[send("five")]).await.unwrap(), Finished::Recorded(_)));
    assert_eq!(outbox.parked(BOT, 100, 10).await.unwrap(), vec![parked(7, 100)]);
    // One that an earlier run recorded (it was parked again after being handled) leaves too.
    record(outbox, BOT, 6, &[]).await;
    let again = outbox.turn(BOT, UpdateRef { id: 6, parked: true }).finish(&[send("six")]).await.unwrap();
    assert_eq!(again, Finished::Earlier);
    assert_eq!(outbox.parked_users(BOT).await.unwrap(), vec![(100, 1)]);
    assert_eq!(outbox.parked_users(BOT + 1).await.unwrap(), vec![(300, 1)], "bots are kept apart");

    // Settled: recorded (5, 6) or parked (7), once each, in order, from where it is asked.
    record(outbox, BOT, 7, &[]).await;
    outbox.park(BOT, &[parked(9, 200)]).await.unwrap();
    assert_eq!(outbox.settled_since(BOT, 0).await.unwrap(), vec![5, 6, 7, 9]);
    assert_eq!(outbox.settled_since(BOT, 6).await.unwrap(), vec![6, 7, 9]);
    assert_eq!(outbox.settled_since(BOT + 1, 0).await.unwrap(), vec![5], "bots are kept apart");
}

async fn failures_are_recorded_once_with_their_apology(db: Db) {
    let outbox = &db.outbox;
    outbox.park(BOT, &[parked(41, 100)]).await.unwrap();
    let failure =
        Failure { update: UpdateRef { id: 41, parked: true }, user: Some(100), error: "boom", attempts: 5 };
    let finished = outbox.record_failure(BOT, &failure, &[send("sorry")]).await.unwrap();
    assert!(matches!(finished, Finished::Recorded(q) if q.len() == 1));
    assert_eq!(outbox.failure_count(BOT).await.unwrap(), 1);
    assert!(outbox.parked_users(BOT).await.unwrap().is_empty(), "it left the inbox");
    assert_eq!(record(outbox, BOT, 41, &[send("late")]).await, Finished::Earlier, "it counts as handled");
    let again = outbox.record_failure(BOT, &failure, &[send("sorry again")]).await.unwrap();
    assert_eq!(again, Finished::Earlier);
    assert_eq!(outbox.failure_count(BOT).await.unwrap(), 1);
    assert_eq!(queued(outbox, BOT).await, vec![send("sorry")]);
    assert_eq!(outbox.failure_count(BOT + 1).await.unwrap(), 0);
}

async fn turn_commits_its_effects_with_its_record_and_messages(db: Db) {
    let turn = db.outbox.turn(BOT, UpdateRef::fetched(20));
    let store = turn.store();
    let created = store.create_challenge(&new_challenge()).await.unwrap();
    store.add_progress(&progress(created.id, 2_500)).await.unwrap();
    // Inside the turn its own writes are visible...
    assert_eq!(store.tally(created.id, ANN).await.unwrap().total, Amount::from_hundredths(2_500));
    // ...outside, nothing is until it finishes.
    assert_eq!(only_challenge(&db).await, None, "uncommitted effects are invisible outside the turn");
    assert!(queued(&db.outbox, BOT).await.is_empty());

    let finished = turn.finish(&[send("logged")]).await.unwrap();
    assert!(matches!(&finished, Finished::Recorded(q) if q.len() == 1), "{finished:?}");
    assert_eq!(only_challenge(&db).await, Some(created.id));
    assert_eq!(db.store.tally(created.id, ANN).await.unwrap().total, Amount::from_hundredths(2_500));
    assert_eq!(queued(&db.outbox, BOT).await, vec![send("logged")]);
}

async fn dropped_turn_leaves_no_effect_and_no_record(db: Db) {
    // The process dies (or shuts down) after the update's writes, before its record commits.
    {
        let turn = db.outbox.turn(BOT, UpdateRef::fetched(30));
        let store = turn.store();
        let created = store.create_challenge(&new_challenge()).await.unwrap();
        store.add_progress(&progress(created.id, 100)).await.unwrap();
        drop(store);
    }
    // Give a rollback queued by the drop a moment to reach the server.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(only_challenge(&db).await, None);
    assert!(queued(&db.outbox, BOT).await.is_empty());
    // Handled again from scratch, it applies once.
    let turn = db.outbox.turn(BOT, UpdateRef::fetched(30));
    let created = turn.store().create_challenge(&new_challenge()).await.unwrap();
    assert!(matches!(turn.finish(&[send("created")]).await.unwrap(), Finished::Recorded(_)));
    assert_eq!(only_challenge(&db).await, Some(created.id));
}

async fn redelivered_update_is_recognised_and_its_new_effects_roll_back(db: Db) {
    let created = db.store.create_challenge(&new_challenge()).await.unwrap();
    let first = db.outbox.turn(BOT, UpdateRef::fetched(40));
    first.store().add_progress(&progress(created.id, 700)).await.unwrap();
    first.finish(&[send("7 logged")]).await.unwrap();

    // Delivered again (the confirming getUpdates was lost): handled again, with no idempotency
    // key on the entry, the update's record alone must keep it from counting twice.
    let again = db.outbox.turn(BOT, UpdateRef::fetched(40));
    again.store().add_progress(&progress(created.id, 700)).await.unwrap();
    assert_eq!(again.finish(&[send("7 logged, again")]).await.unwrap(), Finished::Earlier);
    assert_eq!(db.store.tally(created.id, ANN).await.unwrap().total, Amount::from_hundredths(700));
    assert_eq!(db.store.list_progress(created.id, ANN).await.unwrap().len(), 1);
    assert_eq!(queued(&db.outbox, BOT).await, vec![send("7 logged")], "answered once");
}

async fn turn_without_writes_is_recorded(db: Db) {
    let created = db.store.create_challenge(&new_challenge()).await.unwrap();
    let turn = db.outbox.turn(BOT, UpdateRef::fetched(50));
    let store = turn.store();
    assert_eq!(store.challenge(created.id).await.unwrap().map(|c| c.id), Some(created.id));
    assert_eq!(store.standings(created.id).await.unwrap().len(), 1);
    assert!(matches!(turn.finish(&[send("view")]).await.unwrap(), Finished::Recorded(_)));
    assert_eq!(queued(&db.outbox, BOT).await, vec![send("view")]);
    let turn = db.outbox.turn(BOT, UpdateRef::fetched(50));
    assert_eq!(turn.finish(&[send("other")]).await.unwrap(), Finished::Earlier);
}

async fn failed_write_keeps_the_answer_and_drops_the_turns_effects(db: Db) {
    let turn = db.outbox.turn(BOT, UpdateRef::fetched(60));
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
    assert!(matches!(finished, Finished::Recorded(_)));
    // The update is answered and recorded; the turn's earlier write is rolled back with it.
    assert_eq!(queued(&db.outbox, BOT).await, vec![send("no such challenge")]);
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
        let turn = db.outbox.turn(BOT, UpdateRef::fetched(70));
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
    let turn = db.outbox.turn(BOT, UpdateRef::fetched(update_id));
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
    assert_eq!(conversation.state_of(ANN).await, State::MAIN, "unsettled: nothing moved");
    let (_, settle) = unsettled(&db, &conversation, 81, Input::Button(press)).await;
    assert_eq!(conversation.state_of(ANN).await, State::MAIN, "not before it is settled");
    conversation.settle(settle).await;
    assert_ne!(conversation.state_of(ANN).await, State::MAIN, "settled: the question is asked");
}
