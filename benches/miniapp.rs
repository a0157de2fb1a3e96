//! The dashboard's challenge page for a challenge of 200 participants.
//!
//! `cargo bench --bench miniapp`
//!
//! 200 people, each logging every day for 30 days (6,000 entries), viewed by someone in the
//! middle of the field on the last day:
//!
//! - `miniapp/render_200`: drawing the page's HTML (maud) from its data: the card, the form,
//!   the SVG chart of eleven lines, the leaderboard's 50 rows and 30 entries.
//! - `miniapp/page_200_sqlite`: reading the data through the use cases from a SQLite file (the
//!   default database) and drawing it: what `GET /app/api/view/challenges/{id}` does after the
//!   `initData` check.
//! - `miniapp/page_200_memory`: the same on the in-memory store (the reads without a database).
//! - `miniapp/init_data`: the `initData` check itself (two HMAC-SHA-256 and the parsing).
//!
//! The page's size is printed before the measurements.

#[path = "support/field.rs"]
mod field;

use std::hint::black_box;
use std::sync::Arc;

use challenge_bot::challenge::ChallengeId;
use challenge_bot::handler::App;
use challenge_bot::protocol::miniapp::{init_data, pages, view};
use challenge_bot::repository::Store;
use challenge_bot::storage::memory::MemoryStore;
use challenge_bot::storage::{Access, DatabaseUrl};
use challenge_bot::user::UserId;
use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use field::{Field, seed};

const PEOPLE: i64 = 200;
const DAYS: u64 = 30;

/// The challenge on its last day on `store`, everyone having logged every day.
fn month_of_running(rt: &tokio::runtime::Runtime, store: Arc<dyn Store>) -> (App, ChallengeId) {
    let field = Field {
        name: "Run <a month>",
        description: "Everyone & their dog",
        start: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        people: PEOPLE,
        days: DAYS,
        goal_km: 200,
    };
    seed(rt, store, &field)
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let viewer = UserId(PEOPLE / 2);
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!("sqlite://{}", dir.path().join("bench.db").display())).unwrap();
    let sqlite = rt.block_on(challenge_bot::storage::open(&url, Access::Create)).unwrap();
    let (on_sqlite, id) = month_of_running(&rt, sqlite.store.clone());
    let (in_memory, memory_id) = month_of_running(&rt, Arc::new(MemoryStore::new()));

    let page = rt.block_on(view::challenge_page(&on_sqlite, id, viewer)).unwrap();
    let html = pages::challenge(&page).into_string();
    println!(
        "challenge page of {PEOPLE} people over {DAYS} days: {} bytes of HTML, {} leaderboard rows",
        html.len(),
        page.leaderboard.len()
    );

    let mut group = c.benchmark_group("miniapp");
    group.sample_size(50);
    group.bench_function("render_200", |b| {
        b.iter(|| black_box(pages::challenge(black_box(&page)).into_string()))
    });
    group.bench_function("page_200_sqlite", |b| {
        b.to_async(&rt).iter(|| async {
            let page = view::challenge_page(&on_sqlite, id, viewer).await.unwrap();
            black_box(pages::challenge(&page).into_string())
        })
    });
    group.bench_function("page_200_memory", |b| {
        b.to_async(&rt).iter(|| async {
            let page = view::challenge_page(&in_memory, memory_id, viewer).await.unwrap();
            black_box(pages::challenge(&page).into_string())
        })
    });
    let token = "987654321:AAF_bench-token-abcdefghijklmnopqrstuvw";
    let key = init_data::secret_key(token);
    let user = r#"{"id":100,"first_name":"Ann","language_code":"en"}"#;
    let now = chrono::Utc::now();
    let signed = init_data::sign(
        &[("query_id", "AAE1"), ("user", user), ("auth_date", &now.timestamp().to_string())],
        token,
    );
    group.bench_function("init_data", |b| {
        b.iter(|| {
            init_data::verify(black_box(&signed), &key, now, std::time::Duration::from_secs(86_400)).unwrap()
        })
    });
    group.finish();
    rt.block_on(sqlite.close());
}

criterion_group!(miniapp, benches);
criterion_main!(miniapp);
