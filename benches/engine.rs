//! Speed and memory budgets of the engine (docs/performance.md records the figures).
//!
//! `cargo bench` runs: answer latency for a mix of questions, red-flag triage throughput,
//! index build time for generated guides of 10 to 10,000 sections, and reload and swap time.
//! Memory is measured apart, in `benches/memory.rs`.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use backcare::knowledge::Knowledge;
use backcare::live::Live;
use backcare::search::Search;
use backcare::Engine;
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

mod common;
use common::{generated, MIX};

fn shipped() -> Knowledge {
    Knowledge::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")).unwrap()
}

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

/// About 1 MB of chat: every message of the evaluation sets (red-flag, benign, on-topic and
/// off-topic, from short questions to long rambling ones), repeated.
fn chat_messages() -> Vec<String> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut messages = Vec::new();
    for name in [
        "triage.toml",
        "triage-2.toml",
        "triage-3.toml",
        "search.toml",
        "search-2.toml",
        "search-3.toml",
    ] {
        let text = std::fs::read_to_string(fixtures.join(name)).unwrap();
        let value: toml::Value = toml::from_str(&text).unwrap();
        for cases in value.as_table().into_iter().flat_map(|t| t.values()) {
            for case in cases.as_array().into_iter().flatten() {
                if let Some(text) = case.get("text").and_then(toml::Value::as_str) {
                    messages.push(text.to_owned());
                }
            }
        }
    }
    let bytes: usize = messages.iter().map(String::len).sum();
    let copies = (1 << 20) / bytes + 1;
    let mut all = Vec::with_capacity(messages.len() * copies);
    for _ in 0..copies {
        all.extend(messages.iter().cloned());
    }
    all
}

fn triage(c: &mut Criterion) {
    let engine = Engine::in_memory(shipped()).unwrap();
    let messages = chat_messages();
    let bytes: usize = messages.iter().map(String::len).sum();
    let mut group = c.benchmark_group("triage");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);
    group.bench_function("1 MB of chat messages", |b| {
        b.iter(|| {
            for m in &messages {
                black_box(engine.triage(black_box(m)));
            }
        })
    });
    group.finish();
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

    // What a moderator's save costs: each reload sees a word added to, or taken out of, a
    // red-flag group and an everyday word, so the English triage and the reader are built
    // again (the shipped reload above keeps both).
    let edited = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(&knowledge_dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, edited.path().join(path.file_name().unwrap())).unwrap();
    }
    let read = |name: &str| std::fs::read_to_string(knowledge_dir.join(name)).unwrap();
    let (flags, words) = (read("red-flags.toml"), read("words.toml"));
    // Both versions are edits: the shipped red flags would take the floor's tables, built
    // once per process, and measure nothing.
    let edit = |word: &str| {
        (
            flags.replacen(
                "[groups]\n",
                &format!("[groups]\nbench_edit = [\"{word}\"]\n"),
                1,
            ),
            words.replacen(
                "[everyday]\n",
                &format!("[everyday]\n{word} = \"knee to chest\"\n"),
                1,
            ),
        )
    };
    let versions = [edit("zorbled"), edit("zarbled")];
    let index = tempfile::tempdir().unwrap();
    let (engine, _) = Engine::open(edited.path(), index.path()).unwrap();
    let live = Live::new(engine, edited.path(), index.path());
    let mut turn = 0;
    group.bench_function(
        "reload after an edit of red-flags.toml and words.toml",
        |b| {
            b.iter(|| {
                turn += 1;
                let (flags, words) = &versions[turn % 2];
                std::fs::write(edited.path().join("red-flags.toml"), flags).unwrap();
                std::fs::write(edited.path().join("words.toml"), words).unwrap();
                black_box(live.reload().unwrap())
            })
        },
    );
    group.finish();
}

criterion_group!(benches, answers, triage, index_build, reload);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
