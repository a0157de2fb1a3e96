//! The conversation engine and its state cache on the in-memory store: the cost of one input.
//!
//! `cargo bench --bench conversation`
//!
//! - `main_init/start`: `/start` from a user with no state (the main menu).
//! - `main_init/menu_button`: pressing "Main menu" (payload parsed, state removed).
//! - `add_progress/round`: a whole ADD_PROGRESS round through to the confirmation: press "Add
//!   progress" (ADD_PROGRESS), type "5" (ADD_PROGRESS_DATE), press "Today" (logged). Three inputs;
//!   criterion's throughput line gives the time per input.

use std::hint::black_box;
use std::sync::Arc;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeName, Description, Unit};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::conversation::{Action, CacheConfig, Conversation, DayChoice, Input, Request};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::user::{DisplayName, UserId};
use chrono::NaiveDate;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Users taking turns, so that no one's entry list grows without bound.
const USERS: i64 = 1000;

fn engine(rt: &tokio::runtime::Runtime) -> (Conversation, String, String, Vec<DisplayName>) {
    let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let app = App::new(Arc::new(MemoryStore::new()), Clock::Fixed(today));
    let conversation = Conversation::new(app.clone(), &CacheConfig::default());
    let names: Vec<DisplayName> =
        (0..=USERS).map(|u| DisplayName::sanitize(&format!("Runner {u}"), UserId(u))).collect();
    let id = rt.block_on(async {
        let draft = ChallengeDraft {
            name: ChallengeName::parse("Run 1000 km").unwrap(),
            description: Description::parse("Every run counts.").unwrap(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            unit: Some(Unit::parse("km").unwrap()),
            goal: Goal::new(GoalKind::Total, Amount::from_whole(1_000_000)).unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        let id = app.create_challenge(UserId(0), draft).await.unwrap().id;
        for u in 1..=USERS {
            app.join(id, UserId(u), None).await.unwrap();
            // Names are stored once; later inputs find them remembered.
            conversation.handle(request(u, &names, Input::from_message("/start"))).await.unwrap();
        }
        id
    });
    let progress = Action::Progress { challenge: id }.encode();
    let today_button = Action::Day { challenge: id, day: DayChoice::Today }.encode();
    (conversation, progress, today_button, names)
}

fn request(user: i64, names: &[DisplayName], input: Input) -> Request {
    Request::new(UserId(user), names[user as usize].clone(), input)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (conversation, progress, today, names) = engine(&rt);

    let mut group = c.benchmark_group("main_init");
    group.throughput(Throughput::Elements(1));
    let mut user = 0;
    group.bench_function("start", |b| {
        b.to_async(&rt).iter(|| {
            user = user % USERS + 1;
            let request = request(user, &names, Input::from_message("/start"));
            let conversation = &conversation;
            async move { black_box(conversation.handle(request).await.unwrap()) }
        })
    });
    let menu = Action::Menu.encode();
    group.bench_function("menu_button", |b| {
        b.to_async(&rt).iter(|| {
            user = user % USERS + 1;
            let request = request(user, &names, Input::Button(menu.clone()));
            let conversation = &conversation;
            async move { black_box(conversation.handle(request).await.unwrap()) }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("add_progress");
    group.throughput(Throughput::Elements(3));
    group.bench_function("round", |b| {
        b.to_async(&rt).iter(|| {
            user = user % USERS + 1;
            let inputs = [
                request(user, &names, Input::Button(progress.clone())),
                request(user, &names, Input::from_message("5")),
                request(user, &names, Input::Button(today.clone())),
            ];
            let conversation = &conversation;
            async move {
                let mut last = Vec::new();
                for input in inputs {
                    last = conversation.handle(input).await.unwrap();
                }
                assert!(last[0].text.to_plain().starts_with("✅ Logged 5 km"));
                black_box(last)
            }
        })
    });
    group.finish();
}

criterion_group!(conversation, benches);
criterion_main!(conversation);
