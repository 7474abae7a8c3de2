//! English word forms, shared by triage and search: one way to reduce a word to the term it
//! stands for, and to tell a real word from a typo.
//!
//! English stemming (Porter2) for regular endings, a table for irregular forms (woke, fell,
//! feet, peed), the common English word list, and one-letter edits. Owns no red-flag or
//! guide knowledge: what the terms mean is the caller's business.

use std::borrow::Cow;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// Typos are considered in words of at least this many letters ("fevr", "numbnes"), and
/// only in words that are not English words themselves: a real word is never read as
/// another one ("never" is not "fever", "pied" is not "peed").
pub const TYPO_MIN_CHARS: usize = 4;

/// Common English words: a word in this list is never read as a typo of another.
pub static ENGLISH: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("english-words.txt")
        .lines()
        .chain(include_str!("chat-words.txt").lines())
        .filter(|l| !l.starts_with('#'))
        .collect()
});

/// True when `word` is a common English word, or a regular inflection of one ("toppings"),
/// so not a misspelling of something else: "never" is not a typo of "fever", nor "weeks"
/// of "weak".
pub fn is_english_word(word: &str) -> bool {
    if ENGLISH.contains(word) {
        return true;
    }
    let mut with_e = String::new();
    ["s", "es", "ed", "ing", "ings", "ly", "er", "ers"]
        .iter()
        .filter_map(|suffix| word.strip_suffix(suffix))
        .filter(|base| base.len() >= 3)
        .any(|base| {
            with_e.clear();
            with_e.push_str(base);
            with_e.push('e');
            ENGLISH.contains(base) || ENGLISH.contains(with_e.as_str())
        })
}

/// Irregular forms and the word each one is a form of. Regular endings (-s, -ing, -ed,
/// -ness, ...) are the stemmer's; this table holds only what the stemmer cannot know.
pub const IRREGULAR: &[(&str, &str)] = &[
    ("awoke", "wake"),
    ("awoken", "wake"),
    ("woke", "wake"),
    ("woken", "wake"),
    ("fell", "fall"),
    ("fallen", "fall"),
    ("feet", "foot"),
    ("calves", "calf"),
    ("knives", "knife"),
    ("peed", "pee"),
    ("weed", "wee"),
    ("shat", "shit"),
    ("felt", "feel"),
    ("lost", "lose"),
    ("loss", "lose"),
    ("threw", "throw"),
    ("thrown", "throw"),
    ("tore", "tear"),
    ("torn", "tear"),
    ("broke", "break"),
    ("broken", "break"),
    ("bent", "bend"),
    ("gave", "give"),
    ("given", "give"),
    ("went", "go"),
    ("gone", "go"),
    ("came", "come"),
    ("ran", "run"),
    ("lay", "lie"),
    ("lain", "lie"),
    ("laid", "lie"),
    ("laying", "lie"),
    ("slept", "sleep"),
    ("sat", "sit"),
    ("kept", "keep"),
    ("shook", "shake"),
    ("shaken", "shake"),
    ("drove", "drive"),
    ("driven", "drive"),
    ("rode", "ride"),
    ("ridden", "ride"),
    ("flew", "fly"),
    ("flown", "fly"),
    ("held", "hold"),
    ("stood", "stand"),
    ("got", "get"),
    ("gotten", "get"),
    ("bled", "bleed"),
    ("swollen", "swell"),
    ("stung", "sting"),
    ("struck", "strike"),
    ("shot", "shoot"),
    ("sank", "sink"),
    ("sunk", "sink"),
    ("hung", "hang"),
    ("children", "child"),
];

/// Reduces words to terms. Cheap to create; holds the stemmer.
pub struct Morph {
    stemmer: Stemmer,
}

impl Default for Morph {
    fn default() -> Self {
        Morph {
            stemmer: Stemmer::create(Algorithm::English),
        }
    }
}

impl Morph {
    /// The term a (canonical, lower-case) word stands for: its irregular base, stemmed.
    pub fn term<'a>(&self, word: &'a str) -> Cow<'a, str> {
        match irregular(word) {
            Some(base) => Cow::Owned(self.stemmer.stem(base).into_owned()),
            None => self.stemmer.stem(word),
        }
    }
}

/// The base of an irregular form, if `word` is one.
pub fn irregular(word: &str) -> Option<&'static str> {
    IRREGULAR
        .iter()
        .find(|(form, _)| *form == word)
        .map(|&(_, base)| base)
}

/// The irregular forms whose base stems to `stem` ("fall" gives "fell", "fallen").
pub fn irregular_forms(stem: &str) -> &'static [&'static str] {
    static BY_STEM: LazyLock<HashMap<String, Vec<&'static str>>> = LazyLock::new(|| {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut map: HashMap<String, Vec<&'static str>> = HashMap::default();
        for &(form, base) in IRREGULAR {
            map.entry(stemmer.stem(base).into_owned())
                .or_default()
                .push(form);
        }
        map
    });
    BY_STEM.get(stem).map_or(&[], Vec::as_slice)
}

/// What a word must start with to stem to one of a set of stems. English stemming only
/// rewrites the end of a word: a stem without its last letter starts the word ("stretch"
/// starts "stretching"), and a stem of three letters or fewer shares the word's first two
/// ("acing" -> "ace"), bar a few listed exceptions. A word that starts with none of these
/// needs no stemming, the dearest step of a lookup.
#[derive(Default)]
pub struct Roots {
    roots: HashMap<[u8; 3], Vec<Box<str>>>,
    short_roots: HashSet<[u8; 3]>,
}

/// Words of four letters or more whose English stem changes more than their ending (the
/// stemmer's irregular forms).
pub const STEM_EXCEPTIONS: &[&str] = &["skies", "dying", "lying", "tying"];

impl Roots {
    pub fn add(&mut self, stem: &str) {
        match root(stem) {
            Some(root) => self
                .roots
                .entry(prefix(root))
                .or_default()
                .push(root.into()),
            None => {
                self.short_roots.insert(short_prefix(stem));
            }
        }
    }

    /// False when stemming `word` cannot give one of the stems added.
    pub fn may_stem_to_a_root(&self, word: &str) -> bool {
        match word.len() {
            // The stemmer leaves words of two letters alone, and changes one of three only
            // when it ends in d, s or y ("aed" -> "a", "ups" -> "up").
            0..=2 => false,
            3 => word.ends_with(['d', 's', 'y']),
            _ => {
                let starts_a_root = self
                    .roots
                    .get(&prefix(word))
                    .is_some_and(|roots| roots.iter().any(|r| word.starts_with(&**r)));
                starts_a_root
                    || self.short_roots.contains(&short_prefix(word))
                    || STEM_EXCEPTIONS.contains(&word)
            }
        }
    }
}

/// A stem of four bytes or more without its last letter: what every word that stems to it
/// starts with. `None` for shorter stems.
pub fn root(stem: &str) -> Option<&str> {
    let (last, _) = stem.char_indices().last()?;
    (stem.len() >= 4).then(|| &stem[..last])
}

/// The first two bytes of a word, zero-padded to three (so never equal to a [`prefix`] of
/// a word of three bytes or more).
pub fn short_prefix(word: &str) -> [u8; 3] {
    let mut key = prefix(word);
    key[2] = 0;
    key
}

/// The first three bytes of a word, zero-padded.
fn prefix(word: &str) -> [u8; 3] {
    let mut key = [0; 3];
    for (slot, byte) in key.iter_mut().zip(word.bytes()) {
        *slot = byte;
    }
    key
}

/// Regular English inflections of a word, so that most message words are recognised by
/// one lookup instead of stemming ("numb" gives "numbness", "numbing", "numbed").
pub fn inflections(word: &str) -> impl Iterator<Item = String> + '_ {
    let base = word.strip_suffix('e').unwrap_or(word);
    let last = word.chars().last();
    let doubled = last
        .filter(|c| !"aeiouywx".contains(*c) && word.len() <= 4)
        .map(|c| format!("{word}{c}"));
    let y_base = word.strip_suffix('y').map(|b| format!("{b}i"));
    [
        Some(word.to_owned()),
        Some(format!("{word}s")),
        Some(format!("{word}es")),
        Some(format!("{base}ed")),
        Some(format!("{base}ing")),
        Some(format!("{word}ness")),
        Some(format!("{word}ly")),
        doubled.as_ref().map(|d| format!("{d}ed")),
        doubled.as_ref().map(|d| format!("{d}ing")),
        y_base.as_ref().map(|b| format!("{b}es")),
        y_base.as_ref().map(|b| format!("{b}ed")),
        y_base.as_ref().map(|b| format!("{b}ness")),
    ]
    .into_iter()
    .flatten()
}

/// Calls `f` with the word itself and each string made by deleting one character.
pub fn for_each_deletion(word: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    f(word);
    for (i, c) in word.char_indices() {
        buf.clear();
        buf.push_str(&word[..i]);
        buf.push_str(&word[i + c.len_utf8()..]);
        f(buf);
    }
}

/// Optimal-string-alignment distance of at most one: one insertion, deletion,
/// substitution, or swap of two neighbouring letters.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return within_one_edit_of(a.as_bytes(), b.as_bytes());
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    within_one_edit_of(&a, &b)
}

fn within_one_edit_of<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let mut diffs = (0..short.len()).filter(|&i| short[i] != long[i]);
            match (diffs.next(), diffs.next(), diffs.next()) {
                (None, _, _) | (Some(_), None, _) => true,
                (Some(i), Some(j), None) => {
                    j == i + 1 && short[i] == long[j] && short[j] == long[i]
                }
                _ => false,
            }
        }
        1 => {
            let prefix = short
                .iter()
                .zip(long.iter())
                .take_while(|(x, y)| x == y)
                .count();
            short[prefix..] == long[prefix + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irregular_forms_and_regular_endings_reach_the_same_term() {
        let morph = Morph::default();
        for (form, base) in [
            ("woke", "wake"),
            ("woken", "wake"),
            ("waking", "wake"),
            ("wakes", "wake"),
            ("fell", "fall"),
            ("fallen", "fall"),
            ("falling", "fall"),
            ("stabs", "stab"),
            ("stabbed", "stab"),
            ("stabbing", "stab"),
            ("feet", "foot"),
            ("peed", "pee"),
            ("peeing", "pee"),
            ("numbness", "numb"),
            ("tingling", "tingle"),
        ] {
            assert_eq!(morph.term(form), morph.term(base), "{form}");
        }
    }

    #[test]
    fn every_irregular_form_differs_from_its_stemmed_base() {
        let morph = Morph::default();
        for (form, base) in IRREGULAR {
            assert_ne!(morph.stemmer.stem(form), morph.stemmer.stem(base), "{form}");
        }
    }

    #[test]
    fn one_edit_covers_insert_delete_substitute_and_swap() {
        assert!(within_one_edit("numbnes", "numbness"));
        assert!(within_one_edit("tinglng", "tingling"));
        assert!(within_one_edit("incontinance", "incontinence"));
        assert!(within_one_edit("tnigling", "tingling"));
        assert!(within_one_edit("nümb", "numb"));
        assert!(!within_one_edit("number", "numb"));
        assert!(!within_one_edit("abcd", "badc"));
    }

    #[test]
    fn inflections_cover_doubled_consonants_and_y() {
        let forms: Vec<String> = inflections("stab").collect();
        assert!(forms.contains(&"stabbed".to_owned()));
        assert!(forms.contains(&"stabbing".to_owned()));
        let forms: Vec<String> = inflections("tingly").collect();
        assert!(forms.contains(&"tinglies".to_owned()));
    }
}
