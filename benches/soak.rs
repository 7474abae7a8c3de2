//! A long soak: one million questions of mixed kinds through the service path a running bot
//! uses (live engine, usage stats, Prometheus metrics), with this process's resident memory
//! sampled along the way. After warm-up the curve must stay flat: nothing may grow per
//! question. Run with `cargo bench --bench soak` (about a minute on the project machine);
//! `-- QUESTIONS` runs another count.
//!
//! Like the bot, it writes the counts to the store (SQLite) now and then (every 5,000
//! questions, about what the bot's five-second writes hold at a busy 1,000 questions a
//! second), folds the histogram samples into buckets (the bot's upkeep) and renders the
//! metrics (a Prometheus scrape). Every question that finds no answer is worded differently,
//! so the unanswered inbox grows all along. Each write is timed: a write must not get slower
//! as the store grows.

use std::hint::black_box;
use std::path::Path;

use backcare::service::{Service, Via};

#[allow(dead_code)]
mod common;
use common::MIX;

const QUESTIONS: usize = 1_000_000;
/// Resident memory is read this often.
const SAMPLE_EVERY: usize = 50_000;
/// The first questions fill caches, the stats' sample table and the metrics' registry.
const WARM_UP: usize = 100_000;
const FLUSH_EVERY: usize = 5_000;
const UPKEEP_EVERY: usize = 10_000;
const SCRAPE_EVERY: usize = 100_000;

/// Resident memory of this process now, from /proc (Linux).
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The `n`th question: the benchmark mix, a unanswerable question worded anew, a long
/// message, or a question arriving by each of the bot's routes.
fn question(n: usize) -> (String, Via) {
    let via = match n % 4 {
        0 => Via::Command,
        1 => Via::Mention,
        2 => Via::DirectMessage,
        _ => Via::WatchedChannel,
    };
    let text = match n % 16 {
        0 => format!("how do I bake bread number {n}"),
        1 => format!(
            "{} {}",
            MIX[n % MIX.len()],
            "and also my hip is stiff ".repeat(40)
        ),
        _ => MIX[n % MIX.len()].to_owned(),
    };
    (text, via)
}

fn main() {
    let questions = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(QUESTIONS);
    let dir = tempfile::tempdir().expect("a temporary folder");
    let knowledge = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let metrics = backcare::http::metrics_recorder().expect("the metrics recorder");
    let service = Service::open(
        &knowledge,
        &dir.path().join("index"),
        &dir.path().join("data"),
    )
    .expect("the service over the shipped knowledge");

    let started = std::time::Instant::now();
    // The first sample is the loaded service before any question.
    let mut samples: Vec<(usize, u64)> = vec![(0, rss_kib().unwrap_or(0))];
    let mut writes: Vec<(usize, std::time::Duration)> = Vec::new();
    for n in 0..questions {
        let (text, via) = question(n);
        if via == Via::WatchedChannel {
            black_box(service.check_red_flags(&text, via));
        } else {
            black_box(service.answer(&text, None, via));
        }
        let done = n + 1;
        if done % UPKEEP_EVERY == 0 {
            metrics.run_upkeep();
        }
        if done % SCRAPE_EVERY == 0 {
            black_box(metrics.render());
        }
        if done % FLUSH_EVERY == 0 {
            let started = std::time::Instant::now();
            service.store.flush().expect("write the counts");
            writes.push((done, started.elapsed()));
        }
        if done % SAMPLE_EVERY == 0 {
            samples.push((done, rss_kib().unwrap_or(0)));
        }
    }
    let elapsed = started.elapsed();

    println!("soak: {questions} questions in {elapsed:.1?}");
    println!("soak: questions   resident (MiB)");
    for (done, kib) in &samples {
        println!("soak: {done:>9}   {:>8.1}", mib(*kib));
    }
    let after_warm_up = samples.iter().find(|(done, _)| *done >= WARM_UP);
    match (after_warm_up, samples.last()) {
        (Some(&(from_n, from)), Some(&(to_n, to))) if from > 0 => println!(
            "soak: after warm-up: {:.1} MiB at {from_n} questions, {:.1} MiB at {to_n} ({:+} KiB)",
            mib(from),
            mib(to),
            to as i64 - from as i64
        ),
        _ => println!("soak: /proc/self/status not available, or too few questions to compare"),
    }
    println!("soak: store writes of {FLUSH_EVERY} answers, median and slowest (ms), per {SAMPLE_EVERY} questions");
    for window in writes.chunks(SAMPLE_EVERY / FLUSH_EVERY) {
        let mut ms: Vec<f64> = window.iter().map(|(_, d)| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let last = window.last().map_or(0, |(done, _)| *done);
        println!(
            "soak: {last:>9}   {:>6.1}   {:>6.1}",
            ms[ms.len() / 2],
            ms[ms.len() - 1]
        );
    }
    let stats = service.store.stats().expect("read the store");
    println!(
        "soak: store: {} asked, {} answered, {} unanswered, {} unanswered questions kept",
        stats.asked, stats.answered, stats.unanswered, stats.unanswered_kept
    );
}
