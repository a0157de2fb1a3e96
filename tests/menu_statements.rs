//! The main menu costs the same number of SQL statements whatever the number of challenges a
//! person is in (issue 11): its one-tap rows come from one query with a limit, not from a read
//! per challenge. Statements are counted from sqlx's own statement events (target
//! `sqlx::query`), with a global subscriber, so the SQLite worker thread's statements count too;
//! this file holds one test so nothing else runs statements meanwhile.

mod conversation_support;
mod storage_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeName, Description, Unit};
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::ChallengeDraft;
use challenge_bot::user::UserId;
use conversation_support::{Backend, Harness, day};
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Counts sqlx's statement events, but for the settings a new connection runs (SQLite's
/// `PRAGMA`s, when the pool opens one more connection: not the menu's cost).
struct StatementCounter(Arc<AtomicUsize>);

/// The `summary` field of a statement event.
#[derive(Default)]
struct Summary(String);

impl tracing::field::Visit for Summary {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            self.0 = value.to_owned();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut summary = Summary::default();
        event.record(&mut summary);
        if !summary.0.trim_start_matches('"').to_uppercase().starts_with("PRAGMA") {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Statements run by a fresh `/start` of a person in `challenges` running challenges.
async fn statements_for_main_menu(backend: Backend, challenges: usize, counter: &AtomicUsize) -> usize {
    let h = Harness::new(backend).await;
    let early = h.on("2026-03-01");
    for n in 0..challenges {
        let draft = ChallengeDraft {
            name: ChallengeName::parse(&format!("Challenge {n}")).unwrap(),
            description: Description::default(),
            deadline: day("2026-04-30"),
            unit: Some(Unit::parse("km").unwrap()),
            goal: Goal::new(
                if n % 3 == 0 { GoalKind::Days } else { GoalKind::Total },
                Amount::from_whole(20),
            )
            .unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        let id = early.app().create_challenge(UserId(100 + n as i64), draft).await.unwrap().id;
        early.app().join(id, UserId(1), None).await.unwrap();
    }
    let mut ann = h.user(1, "Ann");
    // Once to settle what a first contact writes (the person's name).
    ann.send("/start").await;
    let before = counter.load(Ordering::SeqCst);
    ann.send("/start").await;
    let statements = counter.load(Ordering::SeqCst) - before;
    let quick = ann.labels().iter().filter(|l| l.starts_with('➕') || l.starts_with('✔')).count();
    assert_eq!(quick, challenges.min(4), "{backend:?}, {challenges} challenges: {:?}", ann.labels());
    statements
}

#[test]
fn the_main_menu_costs_the_same_statements_with_1_4_12_or_60_challenges() {
    let counter = Arc::new(AtomicUsize::new(0));
    tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(StatementCounter(counter.clone())),
    )
    .expect("the only subscriber in this test binary");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let counts: Vec<(usize, usize)> = [0, 1, 4, 12, 60]
            .into_iter()
            .map(|n| (n, rt.block_on(statements_for_main_menu(backend, n, &counter))))
            .collect();
        eprintln!("{backend:?}: statements for the main menu by number of challenges: {counts:?}");
        assert_eq!(counts[0].1, 1, "{backend:?}: one statement, the one-tap rows' query: {counts:?}");
        assert!(
            counts.iter().all(|&(_, s)| s == counts[1].1),
            "{backend:?}: the main menu's statements depend on the number of challenges: {counts:?}"
        );
    }
}
