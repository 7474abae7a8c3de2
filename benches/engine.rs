//! Speed and memory budgets of the engine (docs/performance.md records the figures).
//!
//! `cargo bench` runs: answer latency for a mix of questions, red-flag triage throughput,
//! index build time for generated guides of 10 to 10,000 sections, reload and swap time,
//! and reports resident memory after loading 1,000 sections.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use backcare::knowledge::{Guide, Kind, Knowledge, RedFlags, Section};
use backcare::live::Live;
use backcare::search::Search;
use backcare::Engine;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

fn shipped() -> Knowledge {
    Knowledge::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).unwrap()
}

/// Questions in the proportions a server sees: mostly answers, some no-match, some red flags.
const MIX: &[&str] = &[
    "how do I do the knee to chest twist",
    "what warm up should I do before cracking my back",
    "seated side bend steps?",
    "how long do I hold the bridge",
    "my lower back is stiff after sitting all day",
    "when should I see a physio",
    "is it safe to crack my back every day",
    "what is the capital of France",
    "how do I bake bread",
    "my foot went numb after cracking",
    "I can't control my bladder and my back hurts",
    "**sharp pain** in my back when I bend",
];

fn answers(c: &mut Criterion) {
    let engine = Engine::in_memory(shipped()).unwrap();
    let mut group = c.benchmark_group("answer");
    group.throughput(Throughput::Elements(MIX.len() as u64));
    group.bench_function("mix of 12 questions", |b| {
        b.iter(|| {
            for q in MIX {
                black_box(engine.ask(black_box(q)));
            }
        })
    });
    group.finish();
}

/// About 1 MB of chat text: the held-out messages, benign and red-flag, repeated.
fn chat_text() -> String {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut text = String::new();
    for name in [
        "triage.toml",
        "triage-2.toml",
        "search.toml",
        "search-2.toml",
    ] {
        text.push_str(&std::fs::read_to_string(fixtures.join(name)).unwrap());
    }
    text.repeat((1 << 20) / text.len() + 1)
}

fn triage(c: &mut Criterion) {
    let engine = Engine::in_memory(shipped()).unwrap();
    let text = chat_text();
    let messages: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut group = c.benchmark_group("triage");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function("1 MB of chat, line by line", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(engine.triage(black_box(m)));
            }
        })
    });
    group.finish();
}

/// A knowledge load with `n` generated sections in guides of 100 sections each.
fn generated(n: usize) -> Knowledge {
    let words = [
        "stretch", "hip", "twist", "chair", "floor", "knee", "shoulder", "breath", "glute",
        "spine", "lumbar", "hold", "slow", "gentle", "lean", "thigh", "core", "posture",
    ];
    let kinds = [
        Kind::Technique,
        Kind::Warmup,
        Kind::Info,
        Kind::Precaution,
        Kind::SeekHelp,
    ];
    let mut guides = Vec::new();
    for g in 0..n.div_ceil(100) {
        let sections = (0..100.min(n - g * 100))
            .map(|s| {
                let i = g * 100 + s;
                let w = |k: usize| words[(i * 7 + k * 3) % words.len()];
                Section {
                    id: format!("section-{i}"),
                    kind: kinds[i % kinds.len()],
                    title: format!("{} {} number {i}", w(0), w(1)),
                    keywords: vec![w(2).to_owned(), format!("{} {}", w(3), w(4))],
                    hold: Some("5 seconds".to_owned()),
                    paragraphs: vec![format!(
                        "Move {} and {} while you {} the {} and keep your {} {}.",
                        w(5),
                        w(6),
                        w(7),
                        w(8),
                        w(9),
                        w(10)
                    )],
                    steps: (0..4)
                        .map(|k| format!("Step {k}: {} your {}", w(k), w(k + 4)))
                        .collect(),
                    points: Vec::new(),
                    line: s + 1,
                }
            })
            .collect();
        guides.push(Guide {
            file: format!("guide-{g}.md"),
            title: format!("Generated guide {g}"),
            summary: "generated".to_owned(),
            source: "benchmark".to_owned(),
            tags: Vec::new(),
            sections,
        });
    }
    Knowledge {
        guides,
        red_flags: RedFlags::floor(),
        fingerprint: format!("generated-{n}"),
        files: Vec::new(),
    }
}

fn index_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("index build");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for n in [10, 100, 1_000, 10_000] {
        let knowledge = generated(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(
            BenchmarkId::new("sections on disk", n),
            &knowledge,
            |b, k| {
                b.iter(|| {
                    let dir = tempfile::tempdir().unwrap();
                    black_box(Search::rebuild(dir.path(), k).unwrap());
                })
            },
        );
    }
    group.finish();
}

fn reload(c: &mut Criterion) {
    let knowledge_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(&knowledge_dir, index.path()).unwrap();
    let live = Live::new(engine, &knowledge_dir, index.path());
    let mut group = c.benchmark_group("reload");
    group.sample_size(10);
    group.bench_function("full reload of the shipped knowledge", |b| {
        b.iter(|| black_box(live.reload().unwrap()))
    });
    group.bench_function("take the current engine (per question)", |b| {
        b.iter(|| black_box(live.current()))
    });
    group.finish();
}

/// Peak resident memory of this process, from /proc (Linux).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Serves 1,000 generated sections and reports resident memory; run first, before the other
/// benchmarks inflate the peak.
fn memory() {
    let engine = Engine::in_memory(generated(1_000)).unwrap();
    for _ in 0..10_000 {
        for q in MIX {
            black_box(engine.ask(q));
        }
    }
    if let Some(kib) = peak_rss_kib() {
        println!(
            "memory: peak resident set while serving 1,000 sections: {:.1} MiB (budget 64 MiB)",
            kib as f64 / 1024.0
        );
    }
}

criterion_group!(benches, answers, triage, index_build, reload);

fn main() {
    memory();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
