//! A word vocabulary shared by triage and search: maps a message word to the known words
//! it may stand for, through exact spelling, English stemming and one-letter typos.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub type TermId = usize;

/// Typos are considered in words at least this long: "fevr", "shap", "numbnes". Shorter
/// words collide with too many others.
pub const TYPO_MIN_CHARS: usize = 4;

static ENGLISH: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("triage/english-words.txt")
        .lines()
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

/// How a word was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Exact,
    /// One letter off a known word, and not an English word itself.
    Typo,
}

pub struct Vocabulary {
    stemmer: Stemmer,
    stems: HashMap<String, TermId>,
    /// What a word must start with to stem to a known term. English stemming only rewrites
    /// the end of a word: a stem without its last letter starts the word ("stretch" starts
    /// "stretching"), and a stem of three letters or fewer shares the word's first two
    /// ("acing" -> "ace"), bar a few listed exceptions. So a word that starts with none of
    /// these is not stemmed: stemming is the dearest step of a lookup, and most chat words
    /// have nothing to do with any known term.
    roots: HashMap<[u8; 3], Vec<Box<str>>>,
    short_roots: HashSet<[u8; 3]>,
    /// The stem of each term, by id.
    terms: Vec<String>,
    /// Spellings (as written in phrases, plus regular inflections) for typo matching.
    forms: Vec<(String, TermId)>,
    /// Every form, and every form with one character deleted, to the forms it came from.
    deletions: HashMap<String, Vec<usize>>,
    /// Every common English word and filler word, with what it means here, worked out once
    /// per load: most chat words then take one lookup and no stemming.
    lexicon: HashMap<&'static str, Known>,
}

/// What a common word means for one vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    Filler,
    Term(TermId),
    Other,
}

/// How [`Vocabulary::classify`] read a word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Word {
    /// A filler word: no meaning, and no place in a phrase window.
    Filler,
    /// Any other word; the terms it may stand for were pushed.
    Content,
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary {
            stemmer: Stemmer::create(Algorithm::English),
            stems: HashMap::default(),
            roots: HashMap::default(),
            short_roots: HashSet::default(),
            terms: Vec::new(),
            forms: Vec::new(),
            deletions: HashMap::default(),
            lexicon: HashMap::default(),
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

    /// Adds a phrase word, returning its term.
    pub fn add(&mut self, word: &str) -> TermId {
        let stem = self.stemmer.stem(word).into_owned();
        let id = match self.stems.get(&stem) {
            Some(&id) => id,
            None => {
                self.stems.insert(stem.clone(), self.terms.len());
                match root(&stem) {
                    Some(root) => self
                        .roots
                        .entry(prefix(root))
                        .or_default()
                        .push(root.into()),
                    None => {
                        self.short_roots.insert(short_prefix(&stem));
                    }
                }
                self.terms.push(stem.clone());
                self.terms.len() - 1
            }
        };
        for form in inflections(word).chain(inflections(&stem)) {
            if form.chars().count() >= TYPO_MIN_CHARS - 1 {
                self.forms.push((form, id));
            }
        }
        id
    }

    /// Builds the typo index once all words are in.
    pub fn finish(&mut self) {
        self.build_typo_index();
    }

    /// [`Vocabulary::finish`], and also works out what every common English word means
    /// here: dearer to build (a few milliseconds), but then most chat words take one lookup
    /// and no stemming. For the per-message path (triage).
    pub fn finish_with_lexicon(&mut self) {
        self.build_typo_index();
        let mut lexicon = HashMap::default();
        lexicon.reserve(ENGLISH.len() + crate::text::FILLER.len());
        for &word in ENGLISH.iter() {
            lexicon.insert(word, self.resolve(word).map_or(Known::Other, Known::Term));
        }
        for &word in crate::text::FILLER {
            lexicon.insert(word, Known::Filler);
        }
        self.lexicon = lexicon;
    }

    fn build_typo_index(&mut self) {
        self.forms.sort();
        self.forms.dedup();
        self.deletions.clear();
        for (index, (form, _)) in self.forms.iter().enumerate() {
            for_each_deletion(form, &mut String::new(), |key| {
                self.deletions
                    .entry(key.to_owned())
                    .or_default()
                    .push(index)
            });
        }
    }

    /// False when stemming `word` cannot give a known term, so the stemmer can be skipped.
    fn may_stem_to_a_term(&self, word: &str) -> bool {
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

    /// The term a word is, or stems to.
    fn resolve(&self, word: &str) -> Option<TermId> {
        if let Some(&id) = self.stems.get(word) {
            return Some(id);
        }
        if self.may_stem_to_a_term(word) {
            return self.stems.get(self.stemmer.stem(word).as_ref()).copied();
        }
        None
    }

    /// Tells a filler word from a content word, pushing the terms a content word may stand
    /// for onto `out`.
    pub fn classify(&self, word: &str, out: &mut Vec<(TermId, Via)>) -> Word {
        match self.lexicon.get(word) {
            Some(Known::Filler) => Word::Filler,
            Some(Known::Term(id)) => {
                out.push((*id, Via::Exact));
                Word::Content
            }
            Some(Known::Other) => Word::Content,
            None if crate::text::is_filler(word) => Word::Filler,
            None => {
                self.lookup_unlisted(word, out);
                Word::Content
            }
        }
    }

    /// Pushes the terms `word` may stand for onto `out`.
    pub fn lookup(&self, word: &str, out: &mut Vec<(TermId, Via)>) {
        match self.lexicon.get(word) {
            Some(Known::Term(id)) => out.push((*id, Via::Exact)),
            Some(_) => {}
            None => self.lookup_unlisted(word, out),
        }
    }

    /// [`Vocabulary::lookup`] for a word that is not in the lexicon.
    fn lookup_unlisted(&self, word: &str, out: &mut Vec<(TermId, Via)>) {
        if let Some(id) = self.resolve(word) {
            out.push((id, Via::Exact));
            return;
        }
        // Most chat words are real words: they are what they say, so the costly typo search
        // is only for the rest.
        if word.chars().count() < TYPO_MIN_CHARS || is_english_word(word) {
            return;
        }
        let via = Via::Typo;
        let mut buf = String::with_capacity(word.len());
        for_each_deletion(word, &mut buf, |key| {
            for &index in self.deletions.get(key).into_iter().flatten() {
                let (form, id) = &self.forms[index];
                if !out.iter().any(|(t, _)| t == id) && within_one_edit(word, form) {
                    out.push((*id, via));
                }
            }
        });
    }
}

/// Words of four letters or more whose English stem changes more than their ending (the
/// stemmer's irregular forms).
const STEM_EXCEPTIONS: &[&str] = &["skies", "dying", "lying", "tying"];

/// A stem of four bytes or more without its last letter: what every word that stems to it
/// starts with. `None` for shorter stems.
fn root(stem: &str) -> Option<&str> {
    let (last, _) = stem.char_indices().last()?;
    (stem.len() >= 4).then(|| &stem[..last])
}

/// The first two bytes of a word, zero-padded to three (so never equal to a [`prefix`] of
/// a word of three bytes or more).
fn short_prefix(word: &str) -> [u8; 3] {
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

/// Regular English inflections of a word, for recognising typos of inflected forms
/// ("numbnes" is one letter off "numbness", two off "numb").
fn inflections(word: &str) -> impl Iterator<Item = String> + '_ {
    let base = word.strip_suffix('e').unwrap_or(word);
    [
        word.to_owned(),
        format!("{word}s"),
        format!("{word}es"),
        format!("{base}ed"),
        format!("{base}ing"),
        format!("{word}ness"),
        format!("{word}ly"),
    ]
    .into_iter()
}

/// Calls `f` with the word itself and each string made by deleting one character.
fn for_each_deletion(word: &str, buf: &mut String, mut f: impl FnMut(&str)) {
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
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            let diffs: Vec<usize> = (0..short.len()).filter(|&i| short[i] != long[i]).collect();
            match diffs.as_slice() {
                [] | [_] => true,
                [i, j] => *j == i + 1 && short[*i] == long[*j] && short[*j] == long[*i],
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
    fn one_edit_covers_insert_delete_substitute_and_swap() {
        assert!(within_one_edit("numbnes", "numbness"));
        assert!(within_one_edit("tinglng", "tingling"));
        assert!(within_one_edit("incontinance", "incontinence"));
        assert!(within_one_edit("tnigling", "tingling"));
        assert!(!within_one_edit("number", "numb"));
        assert!(!within_one_edit("abcd", "badc"));
    }

    #[test]
    fn the_stemmer_only_rewrites_word_endings_but_for_the_listed_exceptions() {
        let stemmer = Stemmer::create(Algorithm::English);
        let text = include_str!("triage/english-words.txt");
        for word in text.lines().filter(|l| !l.starts_with('#') && l.len() >= 4) {
            for form in inflections(word) {
                let stem = stemmer.stem(&form);
                let kept = match root(&stem) {
                    Some(root) => form.starts_with(root),
                    None => short_prefix(&stem) == short_prefix(&form),
                };
                assert!(
                    kept || STEM_EXCEPTIONS.contains(&form.as_str()),
                    "{form} -> {stem}"
                );
            }
        }
    }

    #[test]
    fn the_stemmer_changes_short_words_only_as_lookup_assumes() {
        let stemmer = Stemmer::create(Algorithm::English);
        let letters = || b'a'..=b'z';
        for a in letters() {
            for b in letters() {
                let two = String::from_utf8(vec![a, b]).unwrap_or_default();
                assert_eq!(stemmer.stem(&two), two);
                for c in letters().filter(|c| !b"dsy".contains(c)) {
                    let three = String::from_utf8(vec![a, b, c]).unwrap_or_default();
                    assert_eq!(stemmer.stem(&three), three);
                }
            }
        }
    }

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
        assert_eq!(look("numbness"), [(numb, Via::Exact)]);
        assert_eq!(look("numb"), [(numb, Via::Exact)]);
        assert_eq!(look("numbnes"), [(numb, Via::Typo)]);
        assert_eq!(look("fevr"), [(fever, Via::Typo)]);
        assert_eq!(look("never"), []);
        assert_eq!(look("number"), []);
    }
}
