//! Memory held by the conversation-state cache: fills it with 100,000 states and reads the
//! process's resident set size (VmRSS in /proc/self/status) before and after.
//!
//! `cargo bench --bench state_memory` (add `-- <count>` for another number of states)
//!
//! Two fills, each in a fresh cache: a typical mid-flow state (ADD_PROGRESS_DATE: a challenge,
//! a value, a unit) and a heavy one (CREATE_CHALLENGE_GOAL with a 40-character name and a
//! 200-character description typed so far).

use std::sync::Arc;

use challenge_bot::amount::Amount;
use challenge_bot::challenge::{ChallengeId, ChallengeName, Description, Unit};
use challenge_bot::handler::conversation::{Question, State};
use challenge_bot::storage::localcache::{CacheConfig, StateCache};
use challenge_bot::user::UserId;
use chrono::NaiveDate;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

async fn fill(count: i64, make: impl Fn(i64) -> State) -> (u64, u64) {
    let cache: StateCache<State> = StateCache::new(&CacheConfig::default());
    let before = rss_kib();
    for user in 0..count {
        // Telegram-sized user ids.
        cache.put(UserId(5_000_000_000 + user * 7919), Arc::new(make(user))).await;
    }
    cache.run_pending_tasks().await;
    let after = rss_kib();
    let entries = cache.stats().entries;
    drop(cache);
    (after.saturating_sub(before), entries)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let count: i64 = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let kind = args.iter().find_map(|a| a.strip_prefix("--kind=")).map(str::to_owned);
    let Some(kind) = kind else {
        // Each fill in a process of its own, so that one does not reuse the other's freed memory.
        println!("state cache memory, {count} states (growth of VmRSS while filling)");
        for kind in ["add-progress-date", "create-challenge-goal"] {
            let status = std::process::Command::new(std::env::current_exe().expect("own path"))
                .arg(format!("--kind={kind}"))
                .arg(count.to_string())
                .status()
                .expect("run a measurement");
            assert!(status.success());
        }
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let start = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    match kind.as_str() {
        "add-progress-date" => {
            let km = Unit::parse("km").unwrap();
            let (kib, entries) = rt.block_on(fill(count, |u| {
                State::Question(Question::AddProgressDate {
                    challenge: ChallengeId(1 + u % 50),
                    value: Some(Amount::from_hundredths(550)),
                    unit: Some(km.clone()),
                    start,
                })
            }));
            report("ADD_PROGRESS_DATE", kib, entries);
        }
        "create-challenge-goal" => {
            let description = "d".repeat(200);
            let (kib, entries) = rt.block_on(fill(count, |u| {
                State::Question(Question::CreateChallengeGoal {
                    name: ChallengeName::parse(&format!("A challenge called number {u:>014}")).unwrap(),
                    description: Description::parse(&description).unwrap(),
                    deadline: start,
                    kind: None,
                    group: None,
                })
            }));
            report("CREATE_CHALLENGE_GOAL (40 + 200 chars typed)", kib, entries);
        }
        other => panic!("unknown --kind={other}"),
    }
}

fn report(what: &str, kib: u64, entries: u64) {
    println!(
        "{what:<46} {entries:>7} entries  {:>7.1} MiB  {:>5} bytes/state",
        kib as f64 / 1024.0,
        (kib * 1024).checked_div(entries).unwrap_or(0)
    );
}
