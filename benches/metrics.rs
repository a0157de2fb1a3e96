//! What the metrics cost each update.
//!
//! `cargo bench --bench metrics`
//!
//! - `metrics/per_update`: what the bot records for one update, with the Prometheus recorder
//!   installed as in the bot: `updates_received_total` and `updates_handled_total` by kind, and
//!   the `update_handling_seconds` histogram.
//! - `metrics/render`: rendering `/metrics` after that (what a scrape costs).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

fn benches(c: &mut Criterion) {
    let handle = challenge_bot::telemetry::metrics_handle();
    let mut group = c.benchmark_group("metrics");
    let kinds = ["message", "callback_query"];
    let mut i = 0usize;
    group.bench_function("per_update", |b| {
        b.iter(|| {
            let kind = kinds[i % 2];
            i += 1;
            metrics::counter!("updates_received_total", "kind" => kind).increment(1);
            metrics::counter!("updates_handled_total", "kind" => kind).increment(1);
            metrics::histogram!("update_handling_seconds", "kind" => kind).record(black_box(0.0042));
        })
    });
    group.bench_function("render", |b| b.iter(|| black_box(handle.render())));
    group.finish();
}

criterion_group!(metrics_cost, benches);
criterion_main!(metrics_cost);
