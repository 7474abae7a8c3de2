//! Calibrates the answer decision ([`backcare::engine::Decision`]) by cross-validation on the
//! question sets, and prints how each set fares with the shipped values.
//!
//! ```text
//! cargo run --release --example calibrate [-- [-v] [extra-set.toml ...]]
//! ```
//!
//! Sets are `tests/fixtures/search*.toml`, `tests/fixtures/holdout-*/search.toml`,
//! `tests/fixtures/answers*.toml` and `knowledge/questions.toml` (its red-flag questions are
//! left out: triage answers them before any search), plus any file named on the command
//! line. A set holds `[[question]]` entries (`text`, `expect` = a section id, "overview",
//! "no_match" or "greeting") and `[[off_topic]]` entries (`text`, which expect no match).
//! See docs/search.md for the method and the figures.

use std::path::{Path, PathBuf};

use backcare::engine::Decision;
use backcare::knowledge::Knowledge;
use backcare::regression::Outcome;
use backcare::Engine;
use serde::Deserialize;

#[derive(Deserialize)]
struct Set {
    #[serde(default)]
    question: Vec<Question>,
    #[serde(default)]
    off_topic: Vec<Text>,
}

#[derive(Deserialize)]
struct Question {
    text: String,
    expect: String,
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

struct Case {
    set: String,
    text: String,
    expect: String,
}

/// The outcome as a set writes it.
fn outcome(engine: &Engine, text: &str) -> String {
    match Outcome::of(&engine.ask(text)) {
        Outcome::Section(id) => id,
        Outcome::NoMatch => "no_match".into(),
        Outcome::Greeting => "greeting".into(),
        Outcome::SeekCare(_) => "seek_care".into(),
        Outcome::NotRedFlag => unreachable!(),
    }
}

fn load(path: &Path, name: &str, cases: &mut Vec<Case>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let set: Set = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    for q in set.question {
        if q.expect != "seek_care" {
            cases.push(Case {
                set: name.to_owned(),
                text: q.text,
                expect: q.expect,
            });
        }
    }
    for q in set.off_topic {
        cases.push(Case {
            set: name.to_owned(),
            text: q.text,
            expect: "no_match".into(),
        });
    }
}

fn accuracy(engine: &Engine, cases: &[&Case]) -> usize {
    cases
        .iter()
        .filter(|c| outcome(engine, &c.text) == c.expect)
        .count()
}

fn grid() -> Vec<Decision> {
    let mut grid = Vec::new();
    for score in (4..=24).map(|s| s as f32 * 0.25) {
        for share in [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01] {
            grid.push(Decision {
                min_score: score,
                min_example_share: share,
            });
        }
    }
    grid
}

/// The grid point right for the most cases; ties go to the point nearest the middle.
fn best(engine: &mut Engine, cases: &[&Case]) -> (Decision, usize) {
    let mut top = (Decision::default(), 0);
    for decision in grid() {
        engine.decision = decision;
        let right = accuracy(engine, cases);
        if right > top.1 {
            top = (decision, right);
        }
    }
    top
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mut cases = Vec::new();
    let fixtures = root.join("tests/fixtures");
    let mut paths: Vec<(PathBuf, String)> = Vec::new();
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() && name.starts_with("holdout") {
            paths.push((path.join("search.toml"), format!("{name}/search.toml")));
        } else if (name.starts_with("search") || name.starts_with("answers"))
            && name.ends_with(".toml")
        {
            paths.push((path, name));
        }
    }
    paths.sort();
    paths.push((
        root.join("knowledge/questions.toml"),
        "questions.toml".into(),
    ));
    for extra in args.iter().filter(|a| *a != "-v") {
        paths.push((PathBuf::from(extra), extra.clone()));
    }
    for (path, name) in &paths {
        load(path, name, &mut cases);
    }
    let knowledge = Knowledge::load(&root.join("knowledge")).expect("knowledge loads");
    let mut engine = Engine::in_memory(knowledge).expect("index builds");
    let shipped = engine.decision;

    // Five folds, every fifth case in each, so each fold has a share of every set.
    let folds = 5;
    let mut right = 0;
    println!(
        "cross-validation, {folds} folds, {} questions:",
        cases.len()
    );
    for fold in 0..folds {
        let train: Vec<&Case> = cases
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != fold)
            .map(|(_, c)| c)
            .collect();
        let test: Vec<&Case> = cases
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds == fold)
            .map(|(_, c)| c)
            .collect();
        let (decision, _) = best(&mut engine, &train);
        engine.decision = decision;
        let ok = accuracy(&engine, &test);
        right += ok;
        println!(
            "  fold {}: chose min_score {:.2}, min_example_share {:.2}; right on {ok}/{} held out",
            fold + 1,
            decision.min_score,
            decision.min_example_share,
            test.len()
        );
    }
    println!(
        "  held-out accuracy {right}/{} = {:.1}%",
        cases.len(),
        100.0 * right as f32 / cases.len() as f32
    );
    let all: Vec<&Case> = cases.iter().collect();
    let (decision, ok) = best(&mut engine, &all);
    println!(
        "best on all: min_score {:.2}, min_example_share {:.2}: {ok}/{}",
        decision.min_score,
        decision.min_example_share,
        all.len()
    );

    engine.decision = shipped;
    println!(
        "\nshipped: min_score {:.2}, min_example_share {:.2}",
        shipped.min_score, shipped.min_example_share
    );
    let mut names: Vec<&str> = cases.iter().map(|c| c.set.as_str()).collect();
    names.dedup();
    let (mut total_ok, mut total) = (0, 0);
    for name in names {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.set == name).collect();
        let mut kinds: Vec<(&str, usize, usize)> = Vec::new();
        for case in &mine {
            let got = outcome(&engine, &case.text);
            let kind = match case.expect.as_str() {
                "no_match" => "no match",
                "greeting" => "greeting",
                _ => "answer",
            };
            let ok = got == case.expect;
            match kinds.iter_mut().find(|k| k.0 == kind) {
                Some(k) => {
                    k.1 += usize::from(ok);
                    k.2 += 1;
                }
                None => kinds.push((kind, usize::from(ok), 1)),
            }
            if !ok && verbose {
                println!("    want {:<22} got {:<22} {}", case.expect, got, case.text);
            }
        }
        let parts: Vec<String> = kinds
            .iter()
            .map(|(k, ok, n)| format!("{k} {ok}/{n}"))
            .collect();
        let ok: usize = kinds.iter().map(|k| k.1).sum();
        total_ok += ok;
        total += mine.len();
        println!("  {name:<32} {}", parts.join(", "));
    }
    println!(
        "  all: {total_ok}/{total} = {:.1}%",
        100.0 * total_ok as f32 / total as f32
    );
}
