//! The search vocabulary: maps a question word to the guides' words it may stand for,
//! through exact spelling, English stemming and one-letter typos of words that are not
//! real words. (Triage has its own, in `crate::triage`.)

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap as HashMap;

use crate::morph::{inflections, is_english_word, Roots, TypoIndex, TYPO_MIN_CHARS};

pub type TermId = usize;

/// How a word was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Exact,
    /// One letter off a known word, and not an English word itself.
    Typo,
}

pub struct Vocabulary {
    stemmer: Stemmer,
    stems: HashMap<String, TermId>,
    /// What a word must start with to stem to a known term: most chat words have nothing
    /// to do with any, and stemming is the dearest step of a lookup.
    roots: Roots,
    /// The stem of each term, by id.
    terms: Vec<String>,
    /// Spellings (as written, plus regular inflections) for typo matching, indexed the first
    /// time a question has a word that could be a typo.
    typos: OnceLock<TypoIndex>,
    /// Words already added, so a word the guides use often is stemmed once.
    added: HashMap<Box<str>, TermId>,
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary {
            stemmer: Stemmer::create(Algorithm::English),
            stems: HashMap::default(),
            roots: Roots::default(),
            terms: Vec::new(),
            typos: OnceLock::new(),
            added: HashMap::default(),
        }
    }
}

impl Vocabulary {
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The stem a term stands for, as the English stemmer writes it.
    pub fn stem(&self, id: TermId) -> &str {
        &self.terms[id]
    }

    /// The term written as this stem.
    pub fn term(&self, stem: &str) -> Option<TermId> {
        self.stems.get(stem).copied()
    }

    /// Adds a guide word, returning its term.
    pub fn add(&mut self, word: &str) -> TermId {
        if let Some(&id) = self.added.get(word) {
            return id;
        }
        let stem = match crate::morph::english_stem(word) {
            Some(stem) => stem.to_owned(),
            None => self.stemmer.stem(word).into_owned(),
        };
        let id = match self.stems.get(&stem) {
            Some(&id) => id,
            None => {
                self.stems.insert(stem.clone(), self.terms.len());
                self.roots.add(&stem);
                self.terms.push(stem.clone());
                self.terms.len() - 1
            }
        };
        self.added.insert(word.into(), id);
        id
    }

    /// Nothing left to build: the typo index waits for a question that needs it.
    pub fn finish(&mut self) {}

    fn typo_index(&self) -> &TypoIndex {
        self.typos.get_or_init(|| {
            let mut index = TypoIndex::default();
            for (word, &id) in &self.added {
                for form in inflections(word).chain(inflections(&self.terms[id])) {
                    if form.chars().count() >= TYPO_MIN_CHARS - 1 {
                        index.add(&form, id as u32);
                    }
                }
            }
            index.finish();
            index
        })
    }

    /// The term a word is, or stems to.
    fn resolve(&self, word: &str) -> Option<TermId> {
        if let Some(&id) = self.stems.get(word) {
            return Some(id);
        }
        if self.roots.may_stem_to_a_root(word) {
            return self.stems.get(self.stemmer.stem(word).as_ref()).copied();
        }
        None
    }

    /// Pushes the terms `word` may stand for onto `out`.
    pub fn lookup(&self, word: &str, out: &mut Vec<(TermId, Match)>) {
        if let Some(id) = self.resolve(word) {
            out.push((id, Match::Exact));
            return;
        }
        // Most chat words are real words: they are what they say, so the costly typo search
        // is only for the rest.
        if word.chars().count() < TYPO_MIN_CHARS || is_english_word(word) {
            return;
        }
        self.typo_index().for_each_near(word, |id| {
            let id = id as TermId;
            if !out.iter().any(|(t, _)| *t == id) {
                out.push((id, Match::Typo));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_uses_stems_then_typos() {
        let mut vocab = Vocabulary::default();
        let numb = vocab.add("numbness");
        let fever = vocab.add("fever");
        vocab.finish();
        let look = |w: &str| {
            let mut out = Vec::new();
            vocab.lookup(w, &mut out);
            out
        };
        assert_eq!(look("numbness"), [(numb, Match::Exact)]);
        assert_eq!(look("numb"), [(numb, Match::Exact)]);
        assert_eq!(look("numbnes"), [(numb, Match::Typo)]);
        assert_eq!(look("fevr"), [(fever, Match::Typo)]);
        assert_eq!(look("never"), []);
        assert_eq!(look("number"), []);
    }
}
