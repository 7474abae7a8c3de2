//! Works out at build time what the engine would otherwise work out at every start: the
//! English stem of every word in the common-word lists (`src/english-words.txt` and
//! `src/chat-words.txt`). Stemming 41,000 words takes longer than the rest of a start. The
//! words of `src/stems-apart.txt` keep the terms written there instead.

use std::fmt::Write as _;
use std::path::Path;

use std::collections::{BTreeMap, BTreeSet};

use rust_stemmers::{Algorithm, Stemmer};

fn main() {
    let stemmer = Stemmer::create(Algorithm::English);
    // Stem to its words, in order, so the words of one stem come together.
    let mut by_stem: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    // Words kept apart from what the stemmer would join them with ("several" is not "severe").
    let apart = "src/stems-apart.txt";
    println!("cargo::rerun-if-changed={apart}");
    let text = std::fs::read_to_string(apart).expect("the list ships with the crate");
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words: Vec<&str> = line.split_whitespace().collect();
        for word in &words {
            if seen.insert((*word).to_owned()) {
                by_stem
                    .entry(words[0].to_owned())
                    .or_default()
                    .push((*word).to_owned());
            }
        }
    }
    for list in ["src/english-words.txt", "src/chat-words.txt"] {
        println!("cargo::rerun-if-changed={list}");
        let text = std::fs::read_to_string(list).expect("the word lists ship with the crate");
        for word in text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if seen.insert(word.to_owned()) {
                let stem = stemmer.stem(word).into_owned();
                by_stem.entry(stem).or_default().push(word.to_owned());
            }
        }
    }
    // One line per stem: the stem, then its words, separated by spaces.
    let mut out = String::new();
    for (stem, words) in by_stem {
        writeln!(out, "{stem} {}", words.join(" ")).ok();
    }
    let dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&dir).join("english-stems.txt"), out).expect("OUT_DIR is writable");
}
