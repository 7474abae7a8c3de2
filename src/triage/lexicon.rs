//! The terms of one red-flag load, and how a message word finds them: by its spelling (one
//! lookup for the forms worked out at load time), by stemming, or as a one-letter typo of a
//! word that is not itself a real word.

use rustc_hash::FxHashMap as HashMap;

use crate::morph::{self, for_each_deletion, inflections, within_one_edit, Morph, Roots};
use crate::text;

pub type TermId = usize;

/// What a group word may be matched as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// By stem: "numbness" and "numbed" are "numb".
    Stem(String),
    /// Exactly as written: filler words inside a phrase ("all the time"), and groups
    /// matched as written ("legs", not "leg").
    Exact(String),
}

#[derive(Default)]
pub struct Lexicon {
    morph: Morph,
    keys: HashMap<Key, TermId>,
    len: usize,
    /// Every spelling worked out at load time, to the terms it stands for.
    surface: HashMap<Box<str>, (u32, u32)>,
    surface_terms: Vec<TermId>,
    /// Collected while adding, turned into `surface` by [`Lexicon::finish`].
    pending: Vec<(String, TermId)>,
    /// Stems of terms, for words whose spelling was not worked out in advance.
    stems: HashMap<Box<str>, TermId>,
    roots: Roots,
    /// Spellings that a typo may be one letter away from, and an index of them by every
    /// one-letter deletion.
    forms: Vec<(Box<str>, TermId)>,
    deletions: HashMap<Box<str>, Vec<u32>>,
}

impl Lexicon {
    pub fn new() -> Lexicon {
        Lexicon::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The terms of a group word or phrase, added to the lexicon.
    pub fn add_phrase(&mut self, written: &str, as_written: bool) -> Vec<TermId> {
        text::words(written, text::Markdown::Split)
            .iter()
            .map(|word| self.add_word(word, as_written || text::is_filler(word)))
            .collect()
    }

    fn add_word(&mut self, word: &str, exact: bool) -> TermId {
        let key = if exact {
            Key::Exact(word.to_owned())
        } else {
            Key::Stem(self.morph.term(word).into_owned())
        };
        if let Some(&id) = self.keys.get(&key) {
            if let Key::Stem(_) = key {
                // Another spelling of a known term ("numbness" after "numb").
                self.add_spellings(word, id);
            }
            return id;
        }
        let id = self.len;
        self.len += 1;
        match &key {
            Key::Exact(word) => {
                self.pending.push((word.clone(), id));
                if !text::is_filler(word) {
                    self.forms.push((word.as_str().into(), id));
                }
            }
            Key::Stem(stem) => {
                if !text::is_filler(stem) {
                    self.stems.insert(stem.as_str().into(), id);
                }
                self.roots.add(stem);
                let stem = stem.clone();
                self.add_spellings(word, id);
                self.add_spellings(&stem, id);
                for &form in morph::irregular_forms(&stem) {
                    self.pending.push((form.to_owned(), id));
                    self.forms.push((form.into(), id));
                }
            }
        }
        self.keys.insert(key, id);
        id
    }

    /// Records the regular inflections of `word` that stem to the same term, so a message
    /// word is usually found with one lookup ("number" is not a form of "numb").
    fn add_spellings(&mut self, word: &str, id: TermId) {
        let stem = self.morph.term(word).into_owned();
        for form in inflections(word) {
            // A filler word is never a form of a content word ("bit" of "bits").
            if self.morph.term(&form) == stem.as_str() && !text::is_filler(&form) {
                if form.chars().count() + 1 >= morph::TYPO_MIN_CHARS {
                    self.forms.push((form.as_str().into(), id));
                }
                self.pending.push((form, id));
            }
        }
    }

    /// Builds the lookup tables once every group word is in.
    pub fn finish(&mut self) {
        let mut pending = std::mem::take(&mut self.pending);
        pending.sort();
        pending.dedup();
        self.surface.clear();
        self.surface_terms.clear();
        let mut at = 0;
        while at < pending.len() {
            let word = pending[at].0.clone();
            let start = self.surface_terms.len() as u32;
            while at < pending.len() && pending[at].0 == word {
                self.surface_terms.push(pending[at].1);
                at += 1;
            }
            self.surface.insert(
                word.into(),
                (start, self.surface_terms.len() as u32 - start),
            );
        }
        self.forms.sort();
        self.forms.dedup();
        self.deletions.clear();
        let mut buf = String::new();
        for (index, (form, _)) in self.forms.iter().enumerate() {
            for_each_deletion(form, &mut buf, |key| {
                let list = self.deletions.entry(key.into()).or_default();
                if list.last() != Some(&(index as u32)) {
                    list.push(index as u32);
                }
            });
        }
    }

    /// Pushes the terms a message word may stand for onto `out`. Filler words only match a
    /// phrase that names them.
    pub fn lookup(&self, word: &str, filler: bool, out: &mut Vec<TermId>) {
        if let Some(&(start, len)) = self.surface.get(word) {
            out.extend_from_slice(&self.surface_terms[start as usize..(start + len) as usize]);
            return;
        }
        if filler {
            return;
        }
        if self.roots.may_stem_to_a_root(word) {
            if let Some(&id) = self.stems.get(self.morph.term(word).as_ref()) {
                out.push(id);
                return;
            }
        }
        // A real word is what it says; only the rest may be a typo ("numbnes", "fevr").
        if word.chars().count() < morph::TYPO_MIN_CHARS || morph::is_english_word(word) {
            return;
        }
        let before = out.len();
        let mut buf = String::with_capacity(word.len());
        for_each_deletion(word, &mut buf, |key| {
            for &index in self.deletions.get(key).into_iter().flatten() {
                let (form, id) = &self.forms[index as usize];
                if !out[before..].contains(id) && within_one_edit(word, form) {
                    out.push(*id);
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon(words: &[&str]) -> (Lexicon, Vec<TermId>) {
        let mut lexicon = Lexicon::new();
        let ids = words
            .iter()
            .map(|w| lexicon.add_phrase(w, false)[0])
            .collect();
        lexicon.finish();
        (lexicon, ids)
    }

    fn look(lexicon: &Lexicon, word: &str) -> Vec<TermId> {
        let mut out = Vec::new();
        lexicon.lookup(word, text::is_filler(word), &mut out);
        out
    }

    #[test]
    fn stems_irregular_forms_and_typos_of_non_words_find_a_term() {
        let (lexicon, ids) = lexicon(&["numb", "fever", "wake", "fall"]);
        let [numb, fever, wake, fall] = ids[..] else {
            panic!()
        };
        assert_eq!(look(&lexicon, "numbness"), [numb]);
        assert_eq!(look(&lexicon, "numbingly"), [numb]);
        assert_eq!(look(&lexicon, "numbnes"), [numb]);
        assert_eq!(look(&lexicon, "fevr"), [fever]);
        assert_eq!(look(&lexicon, "woken"), [wake]);
        assert_eq!(look(&lexicon, "fell"), [fall]);
        assert_eq!(look(&lexicon, "never"), Vec::<TermId>::new());
        assert_eq!(look(&lexicon, "number"), Vec::<TermId>::new());
    }

    #[test]
    fn words_matched_as_written_keep_their_plural() {
        let mut lexicon = Lexicon::new();
        let legs = lexicon.add_phrase("legs", true)[0];
        let leg = lexicon.add_phrase("leg", false)[0];
        lexicon.finish();
        assert_eq!(look(&lexicon, "leg"), [leg]);
        let mut both = look(&lexicon, "legs");
        both.sort();
        assert_eq!(both, [legs.min(leg), legs.max(leg)]);
    }

    #[test]
    fn filler_words_match_only_as_written() {
        let mut lexicon = Lexicon::new();
        let terms = lexicon.add_phrase("all the time", false);
        lexicon.finish();
        assert_eq!(terms.len(), 3);
        assert_eq!(look(&lexicon, "all"), [terms[0]]);
        assert_eq!(look(&lexicon, "al"), Vec::<TermId>::new());
    }
}
