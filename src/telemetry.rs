//! Logs and metrics.
//!
//! Logs go to stderr, filtered by `RUST_LOG` (or the command's default), as text with colours
//! only on a terminal, or as one JSON object per line with `RUST_LOG_FORMAT=json` (for a log
//! collector). Log lines carry ids (users, updates, challenges), never message texts, names or
//! tokens.
//!
//! Metrics are recorded through the `metrics` facade wherever something happens (updates,
//! sends, the outbox) and rendered in Prometheus' text format by the listener's `/metrics`
//! ([`metrics_handle`]). Without a recorder installed (the scripted commands, most tests) the
//! facade's calls do nothing.

use std::io::IsTerminal;
use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

/// Installs the subscriber. `default_filter` applies when `RUST_LOG` is unset or invalid.
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("RUST_LOG_FORMAT").is_ok_and(|f| f.trim().eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().with_current_span(false).init();
    } else {
        builder.with_ansi(std::io::stderr().is_terminal()).init();
    }
}

/// The process's metrics recorder, installed on first use; its handle renders `/metrics`.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may be installed already (a test harness): then this one only
        // renders what it records, which is nothing; say so in the logs.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was installed already; /metrics will be empty");
        }
        handle
    })
}
