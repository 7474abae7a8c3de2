//! Resident memory while serving 1,000 sections (budget: 64 MiB). Prints the peak resident
//! set of this process after loading 1,000 generated sections and answering 120,000
//! questions. Run with `cargo bench --bench memory`.

use std::hint::black_box;

use backcare::Engine;

mod common;
use common::{generated, MIX};

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let engine = Engine::in_memory(generated(1_000)).expect("engine over 1,000 sections");
    for _ in 0..10_000 {
        for q in MIX {
            black_box(engine.ask(q));
        }
    }
    match peak_rss_kib() {
        Some(kib) => println!(
            "memory: peak resident set while serving 1,000 sections: {:.1} MiB (budget 64 MiB)",
            kib as f64 / 1024.0
        ),
        None => println!("memory: /proc/self/status not available on this system"),
    }
}
