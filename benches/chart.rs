//! Charts: drawing one, and serving one that is already drawn.
//!
//! `cargo bench --bench chart`
//!
//! A challenge of 200 participants over 365 days, everyone logging every day (73,000 entries,
//! on the in-memory store so that the figures measure the chart, not a database):
//!
//! - `chart/standings_200x365`: reading the figures (the top ten and the viewer, 11 × 365
//!   entries) and drawing the standings chart, with the cache off: what a first "📈 Chart" costs.
//! - `chart/personal_365`: the same for a personal chart (365 bars and the standing).
//! - `chart/cached_200x365`: the same chart asked for again with nothing changed: the figures
//!   are read and fingerprinted, the picture comes from the cache.
//!
//! The PNG sizes are printed before the measurements.

use std::hint::black_box;
use std::sync::Arc;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::clock::Clock;
use challenge_bot::goal::{Goal, GoalKind};
use challenge_bot::handler::media::{Attachment, Media};
use challenge_bot::handler::{App, ChallengeDraft};
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::user::UserId;
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};

const PEOPLE: i64 = 200;
const DAYS: u64 = 365;

/// The challenge on its last day, everyone having logged every day.
fn year_of_running(rt: &tokio::runtime::Runtime) -> (App, ChallengeId) {
    let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let last = start + chrono::Days::new(DAYS - 1);
    let store = Arc::new(MemoryStore::new());
    let then = App::new(store.clone(), Clock::Fixed(start));
    let app = App::new(store, Clock::Fixed(last));
    let id = rt.block_on(async {
        let draft = ChallengeDraft {
            name: ChallengeName::parse("Run a year").unwrap(),
            description: Description::default(),
            deadline: last,
            unit: Some(Unit::parse("km").unwrap()),
            goal: Goal::new(GoalKind::Total, Amount::from_whole(2_000)).unwrap(),
            visibility: challenge_bot::challenge::Visibility::Public,
        };
        let id = then.create_challenge(UserId(1), draft).await.unwrap().id;
        for user in 2..=PEOPLE {
            then.join(id, UserId(user), None).await.unwrap();
        }
        for day in 0..DAYS {
            let date = start + chrono::Days::new(day);
            for user in 1..=PEOPLE {
                let km = Amount::from_hundredths(300 + (user * 37 + day as i64 * 11) % 700);
                app.add_progress(id, UserId(user), Some(km), date, None).await.unwrap();
            }
        }
        id
    });
    (app, id)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (app, id) = year_of_running(&rt);
    // The viewer is in the middle of the field, so the chart has eleven lines.
    let viewer = UserId(PEOPLE / 2);
    let standings = Attachment::Chart { challenge: id, viewer, personal: false };
    let personal = Attachment::Chart { challenge: id, viewer, personal: true };
    for (what, attachment) in [("standings", &standings), ("personal", &personal)] {
        let file = rt.block_on(Media::new(app.clone()).file(attachment)).unwrap();
        println!("{what} chart of {PEOPLE} people over {DAYS} days: {} bytes of PNG", file.bytes.len());
    }

    let mut group = c.benchmark_group("chart");
    group.sample_size(20);
    group.bench_function("standings_200x365", |b| {
        b.iter(|| {
            // A new cache each time: every iteration draws.
            let media = Media::new(app.clone());
            black_box(rt.block_on(media.file(&standings)).unwrap())
        })
    });
    group.bench_function("personal_365", |b| {
        b.iter(|| {
            let media = Media::new(app.clone());
            black_box(rt.block_on(media.file(&personal)).unwrap())
        })
    });
    let media = Media::new(app.clone());
    rt.block_on(media.file(&standings)).unwrap();
    group.bench_function("cached_200x365", |b| {
        b.iter(|| black_box(rt.block_on(media.file(&standings)).unwrap()))
    });
    assert_eq!(media.renders(), 1, "the cached chart was drawn again");
    group.finish();
}

criterion_group!(chart, benches);
criterion_main!(chart);
