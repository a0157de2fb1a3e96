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

#[path = "support/field.rs"]
mod field;

use std::hint::black_box;
use std::sync::Arc;

use challenge_bot::challenge::ChallengeId;
use challenge_bot::handler::App;
use challenge_bot::handler::media::{Attachment, Media};
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::user::UserId;
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use field::{Field, seed};

const PEOPLE: i64 = 200;
const DAYS: u64 = 365;

/// The challenge on its last day, everyone having logged every day.
fn year_of_running(rt: &tokio::runtime::Runtime) -> (App, ChallengeId) {
    let field = Field {
        name: "Run a year",
        description: "",
        start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        people: PEOPLE,
        days: DAYS,
        goal_km: 2_000,
    };
    seed(rt, Arc::new(MemoryStore::new()), &field)
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
