//! Works out at build time what the engine would otherwise work out at every start: the
//! English stem of every word in the common-word lists (`src/english-words.txt` and
//! `src/chat-words.txt`), and the tables that look them up. Stemming 41,000 words takes
//! longer than the rest of a start, and building the tables took a seventh of it. The words
//! of `src/stems-apart.txt` keep the terms written there instead.

use std::path::Path;

use std::collections::{BTreeMap, BTreeSet};

use rust_stemmers::{Algorithm, Stemmer};

#[allow(dead_code)]
#[path = "src/word_table.rs"]
mod word_table;

#[path = "src/filler.rs"]
mod filler;

use word_table::{word_hash, WordTable};

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
    println!("cargo::rerun-if-changed=src/filler.rs");
    println!("cargo::rerun-if-changed=src/word_table.rs");
    let mut english = English::default();
    for (stem, words) in &by_stem {
        english.add_stem(stem, words);
    }
    for &word in filler::FILLER {
        english.add_stem(word, &[word.to_owned()]);
        if let Some(number) = english.numbers.get(word_hash(word)) {
            english.words[number as usize].2 = true;
        }
    }
    english.write(Path::new(
        &std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"),
    ));
}

/// The common words, numbered so that the words of one stem come together, as `morph::English`
/// reads them.
#[derive(Default)]
struct English {
    /// Word hash to its number.
    numbers: WordTable,
    /// By word number: the word, its stem's number, whether it is filler.
    words: Vec<(String, u32, bool)>,
    /// Stem hash to its number, and by stem number the range of its words and the stem.
    stem_numbers: WordTable,
    stems: Vec<(u32, u32, String)>,
}

impl English {
    fn add_stem(&mut self, stem: &str, words: &[String]) {
        let start = self.words.len() as u32;
        let stem_number = self
            .stem_numbers
            .get(word_hash(stem))
            .unwrap_or(self.stems.len() as u32);
        for word in words {
            let number = self.words.len() as u32;
            if self.numbers.insert(word_hash(word), number) == number {
                self.words.push((word.clone(), stem_number, false));
            }
        }
        let end = self.words.len() as u32;
        if end > start && stem_number == self.stems.len() as u32 {
            self.stem_numbers.insert(word_hash(stem), stem_number);
            self.stems.push((start, end, stem.to_owned()));
        }
    }

    /// Writes the tables into `dir` as `morph::English` includes them: the words and the stems
    /// one after another, with where each ends, and the two hash tables.
    fn write(&self, dir: &Path) {
        let write = |name: &str, bytes: &[u8]| {
            std::fs::write(dir.join(name), bytes).expect("OUT_DIR is writable");
        };
        let mut text = String::new();
        let mut info = Vec::new();
        for (word, stem, filler) in &self.words {
            text.push_str(word);
            info.extend_from_slice(&(text.len() as u32).to_le_bytes());
            let stem = if *filler { stem | 1 << 31 } else { *stem };
            info.extend_from_slice(&stem.to_le_bytes());
        }
        write("english-words.txt", text.as_bytes());
        write("english-words.bin", &info);
        let mut text = String::new();
        let mut info = Vec::new();
        for (start, end, stem) in &self.stems {
            text.push_str(stem);
            for number in [text.len() as u32, *start, *end] {
                info.extend_from_slice(&number.to_le_bytes());
            }
        }
        write("english-stems.txt", text.as_bytes());
        write("english-stems.bin", &info);
        write("english-numbers.bin", &self.numbers.to_bytes());
        write("english-stem-numbers.bin", &self.stem_numbers.to_bytes());
    }
}
