//! The terms of one set of phrases, and how a message word finds them: by its spelling, by its
//! stem, or as a one-letter typo of a word that is not itself a real word.
//!
//! Built at every load, so it must be cheap: common words come with their stems worked out at
//! build time ([`crate::morph::ENGLISH`]), a load only says what each of its stems means, and
//! the typo index waits until a message needs it.

use std::sync::OnceLock;

use rustc_hash::FxHashMap as HashMap;

use crate::language::Lang;
use crate::morph::{self, inflections, word_hash, Morph, Roots, TypoIndex, WordTable};
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
    /// The language of the words: English has a common-word table, irregular forms and
    /// typo tolerance; the others are stemmed, with their own filler words.
    lang: Lang,
    /// Filler words of a language other than English (English uses [`text::is_filler`]).
    filler: rustc_hash::FxHashSet<Box<str>>,
    morph: Morph,
    keys: HashMap<Key, TermId>,
    len: usize,
    /// Spellings to the terms they are exactly (words as written, irregular forms).
    surface: HashMap<Box<str>, Vec<TermId>>,
    /// Stems to their term, for words that are not common words.
    stems: HashMap<Box<str>, TermId>,
    roots: Roots,
    /// The words that mean something here, by [`morph::word_hash`]: an index into
    /// `meanings`. Small, so most lookups stay in cache.
    meaning: WordTable,
    /// (where the terms start in `terms`, how many).
    meanings: Vec<(u32, u32)>,
    terms: Vec<TermId>,
    /// Group spellings a typo may be one letter away from; the index of them and their
    /// inflections is built the first time a message has a word that could be a typo.
    spellings: Vec<(Box<str>, TermId)>,
    typos: OnceLock<TypoIndex>,
    /// Regional spellings to the standard word they are read as ("ned" as "nicht").
    read_as: HashMap<Box<str>, Box<str>>,
}

impl Lexicon {
    pub fn new() -> Lexicon {
        Lexicon::default()
    }

    /// A lexicon for words of `lang`, whose filler words are `filler` (ignored for English,
    /// which has its own).
    pub fn for_lang(lang: Lang, filler: &[String]) -> Lexicon {
        Lexicon {
            lang,
            filler: filler.iter().map(|w| text::canonical(w).into()).collect(),
            morph: Morph::for_lang(lang),
            ..Lexicon::default()
        }
    }

    /// Reads each spelling in `spellings` (standard word to its regional spellings) in a
    /// message as its standard word too.
    pub fn read_as(&mut self, spellings: &std::collections::BTreeMap<String, Vec<String>>) {
        for (standard, variants) in spellings {
            let standard: Box<str> = text::canonical(standard).into();
            for variant in variants {
                self.read_as
                    .insert(text::canonical(variant).into(), standard.clone());
            }
        }
    }

    /// The standard word a regional spelling is read as, if `word` is one: a spelling the
    /// language file lists, in German a word typed without umlauts ("fuesse" is "füße"), or
    /// in Spanish a past participle that dropped its "d", as in Andalusia, the Canaries and
    /// the Caribbean ("acorchaos" is "acorchados", "mojao" is "mojado").
    fn standard_of<'a>(&'a self, word: &str) -> Option<std::borrow::Cow<'a, str>> {
        // Most lexicons list no spellings: they skip hashing every message word.
        if !self.read_as.is_empty() {
            if let Some(standard) = self.read_as.get(word) {
                return Some(std::borrow::Cow::Borrowed(standard));
            }
        }
        // German typed without umlauts: "spuere", "Fuesse", "Schulterblaettern" are "spüre",
        // "Füße", "Schulterblättern", whose accents the canonical text already drops. The
        // word's own spelling is still looked up as well ("Feuer" stays "Feuer").
        if self.lang == Lang::De {
            return without_umlaut_spelling(word).map(Into::into);
        }
        if self.lang != Lang::Es {
            return None;
        }
        let (base, ending) = match word.strip_suffix("aos") {
            Some(base) => (base, "ados"),
            None => (word.strip_suffix("ao")?, "ado"),
        };
        (base.chars().count() >= 2).then(|| format!("{base}{ending}").into())
    }

    fn is_filler(&self, word: &str) -> bool {
        match self.lang {
            Lang::En => text::is_filler(word),
            _ => self.filler.contains(word),
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The terms of a group word or phrase, added to the lexicon.
    pub fn add_phrase(&mut self, written: &str, as_written: bool) -> Vec<TermId> {
        let written = match self.lang {
            Lang::En => std::borrow::Cow::Borrowed(written),
            _ => text::split_elisions(written),
        };
        text::words(&written, text::Markdown::Split)
            .iter()
            .map(|word| self.add_word(word, as_written || self.is_filler(word)))
            .collect()
    }

    fn add_word(&mut self, word: &str, exact: bool) -> TermId {
        let key = if exact {
            Key::Exact(word.to_owned())
        } else {
            Key::Stem(self.stem(word).into_owned())
        };
        if let Some(&id) = self.keys.get(&key) {
            if !exact {
                // Another spelling of a known term ("tingly" after "tingle").
                self.add_spelling(word, id);
            }
            return id;
        }
        let id = self.len;
        self.len += 1;
        match &key {
            Key::Exact(word) => {
                self.add_surface(word, id);
                if !self.is_filler(word) {
                    self.spellings.push((word.as_str().into(), id));
                }
            }
            Key::Stem(stem) => {
                if !self.is_filler(stem) {
                    self.stems.insert(stem.as_str().into(), id);
                    self.roots.add(stem);
                }
                if self.lang == Lang::En {
                    for &form in morph::irregular_forms(stem) {
                        self.add_surface(form, id);
                    }
                }
                let stem = stem.clone();
                self.add_spelling(word, id);
                // A typo is one letter off a word someone writes, never off a bare stem that
                // is not a word: "ower" is not "operation" (stem "oper").
                if stem.as_str() == word || morph::is_english_word(&stem) {
                    self.spellings.push((stem.as_str().into(), id));
                }
            }
        }
        self.keys.insert(key, id);
        id
    }

    /// The stem of a word: from the build-time table for common words, else the stemmer's.
    fn stem<'a>(&self, word: &'a str) -> std::borrow::Cow<'a, str> {
        if self.lang != Lang::En {
            return self.morph.term(word);
        }
        match (morph::irregular(word), morph::english_stem(word)) {
            (None, Some(stem)) => stem.into(),
            _ => self.morph.term(word),
        }
    }

    fn add_surface(&mut self, word: &str, id: TermId) {
        let terms = self.surface.entry(word.into()).or_default();
        if !terms.contains(&id) {
            terms.push(id);
        }
    }

    fn add_spelling(&mut self, word: &str, id: TermId) {
        if self
            .surface
            .get(word)
            .is_some_and(|terms| terms.contains(&id))
        {
            return;
        }
        self.add_surface(word, id);
        self.spellings.push((word.into(), id));
    }

    /// Builds the lookup tables once every group word is in.
    pub fn finish(&mut self) {
        let english = &morph::ENGLISH;
        // The words that mean something here: every spelling of a term, and every common
        // word sharing a stem with a term. A filler word only ever counts as written.
        let mut meaning: HashMap<&str, Vec<TermId>> = HashMap::default();
        for (word, terms) in &self.surface {
            meaning.entry(word).or_default().extend_from_slice(terms);
        }
        let common = if self.lang == Lang::En {
            &self.stems
        } else {
            &HashMap::default()
        };
        for (stem, &id) in common {
            for number in english.with_stem(stem) {
                if !english.is_filler(number) {
                    let terms = meaning.entry(english.word(number)).or_default();
                    if !terms.contains(&id) {
                        terms.push(id);
                    }
                }
            }
        }
        self.meaning = WordTable::with_capacity(meaning.len());
        self.meanings.clear();
        self.terms.clear();
        for (word, terms) in meaning {
            let index = self.meanings.len() as u32;
            self.meanings
                .push((self.terms.len() as u32, terms.len() as u32));
            self.terms.extend_from_slice(&terms);
            self.meaning.insert(word_hash(word), index);
        }
    }

    /// The typo index, built on first use: a group word's spelling, stem, irregular forms
    /// and regular inflections ("numbnes" is one letter off "numbness", two off "numb").
    fn typo_index(&self) -> &TypoIndex {
        self.typos.get_or_init(|| {
            let mut index = TypoIndex::default();
            for (word, id) in &self.spellings {
                let id = *id as u32;
                index.add(word, id);
                for form in inflections(word) {
                    if form.chars().count() + 1 >= morph::TYPO_MIN_CHARS && !text::is_filler(&form)
                    {
                        index.add(&form, id);
                    }
                }
            }
            for (form, terms) in &self.surface {
                if morph::irregular(form).is_some() {
                    for &id in terms {
                        index.add(form, id as u32);
                    }
                }
            }
            index.finish();
            index
        })
    }

    /// True when `word` (canonical, one word) is one of the lexicon's words or an
    /// inflection of one, typos aside.
    pub fn knows(&self, word: &str) -> bool {
        if self
            .standard_of(word)
            .is_some_and(|standard| self.knows_word(&standard))
        {
            return true;
        }
        self.knows_word(word)
    }

    fn knows_word(&self, word: &str) -> bool {
        self.meaning.get(word_hash(word)).is_some()
            || ((self.lang != Lang::En || self.roots.may_stem_to_a_root(word))
                && self.stems.contains_key(self.morph.term(word).as_ref()))
    }

    /// Pushes the terms a message word may stand for onto `out`, and tells whether it is a
    /// filler word. Common words take a lookup and an index; the rest are stemmed or, when
    /// `typos` allows and the language is English, tried as typos.
    pub fn classify(&self, word: &str, out: &mut Vec<TermId>, typos: bool) -> bool {
        self.classify_unless(word, out, typos, || false)
    }

    /// [`Lexicon::classify`], where a word that would be tried as a typo is not when `name`
    /// says it is a name. `name` is asked only then: most words never get that far.
    pub fn classify_unless(
        &self,
        word: &str,
        out: &mut Vec<TermId>,
        typos: bool,
        name: impl Fn() -> bool,
    ) -> bool {
        let Some(standard) = self.standard_of(word) else {
            return self.classify_word(word, out, typos, &name);
        };
        // A regional spelling is its standard word ("ned" is "nicht", "mei" the filler
        // "mein"), and whatever a group lists it as itself.
        let before = out.len();
        let filler = self.classify_word(&standard, out, typos, &name);
        let mut own = Vec::new();
        self.classify_word(word, &mut own, typos, &name);
        for id in own {
            if !out[before..].contains(&id) {
                out.push(id);
            }
        }
        filler
    }

    fn classify_word(
        &self,
        word: &str,
        out: &mut Vec<TermId>,
        typos: bool,
        name: &impl Fn() -> bool,
    ) -> bool {
        // `out` holds the terms of the message's earlier words too: this word's start here.
        let before = out.len();
        let hash = word_hash(word);
        if let Some(index) = self.meaning.get(hash) {
            let (start, len) = self.meanings[index as usize];
            out.extend_from_slice(&self.terms[start as usize..(start + len) as usize]);
        }
        if self.lang != Lang::En {
            // No common-word table and no typos: a word is what its stem says.
            if let Some(&id) = self.stems.get(self.morph.term(word).as_ref()) {
                if !out[before..].contains(&id) {
                    out.push(id);
                }
            }
            return self.is_filler(word);
        }
        let english = &morph::ENGLISH;
        if let Some(number) = english.number(hash) {
            return english.is_filler(number);
        }
        // Every filler word and common word is known: this is an unusual word.
        let spelled = out.len() > before;
        if self.roots.may_stem_to_a_root(word) {
            if let Some(&id) = self.stems.get(self.morph.term(word).as_ref()) {
                if !out[before..].contains(&id) {
                    out.push(id);
                }
                return false;
            }
        }
        if spelled {
            return false;
        }
        // A real word is what it says (an inflection of a common word, "toppings"); only the
        // rest may be a typo ("numbnes", "fevr").
        if typos
            && word.chars().count() >= morph::TYPO_MIN_CHARS
            && !morph::is_english_word(word)
            && !name()
        {
            self.typo_index()
                .for_each_near(word, |id| out.push(id as TermId));
        }
        false
    }
}

/// A German word typed without umlauts, with "ae", "oe" and "ue" read as the "a", "o" and "u"
/// the canonical text makes of "ä", "ö" and "ü"; `None` when it has none, without
/// allocating: most words have none.
fn without_umlaut_spelling(word: &str) -> Option<String> {
    let pairs = |w: &[u8]| matches!(w[0], b'a' | b'o' | b'u') && w[1] == b'e';
    if !word.as_bytes().windows(2).any(pairs) {
        return None;
    }
    let mut plain = String::with_capacity(word.len());
    let mut after_vowel = false;
    for c in word.chars() {
        if after_vowel && c == 'e' {
            after_vowel = false;
            continue;
        }
        after_vowel = matches!(c, 'a' | 'o' | 'u');
        plain.push(c);
    }
    Some(plain)
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
        lexicon.classify(word, &mut out, true);
        out
    }

    #[test]
    fn a_word_is_read_alone_whatever_came_before_it() {
        let (lexicon, ids) = lexicon(&["fever", "have"]);
        let mut out = Vec::new();
        lexicon.classify("have", &mut out, true);
        assert_eq!(out, [ids[1]]);
        lexicon.classify("fevr", &mut out, true);
        assert_eq!(out, [ids[1], ids[0]]);
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
        assert_eq!(look(&lexicon, "yall"), Vec::<TermId>::new());
    }

    #[test]
    fn a_typo_is_one_letter_off_a_word_not_off_a_bare_stem() {
        let (lexicon, ids) = lexicon(&["operation", "numb"]);
        assert_eq!(look(&lexicon, "operations"), [ids[0]]);
        assert_eq!(look(&lexicon, "opperation"), [ids[0]]);
        // "oper" is the stem of "operation", not a word: "ower" and "oder" are not typos of it.
        assert_eq!(look(&lexicon, "ower"), Vec::<TermId>::new());
        assert_eq!(look(&lexicon, "oder"), Vec::<TermId>::new());
        // A stem that is a word stays a typo target.
        assert_eq!(look(&lexicon, "nubm"), [ids[1]]);
    }

    #[test]
    fn a_spanish_participle_without_its_d_is_the_participle() {
        let mut lexicon = Lexicon::for_lang(Lang::Es, &[]);
        let numb = lexicon.add_phrase("acorchado", false)[0];
        let wet = lexicon.add_phrase("mojado", false)[0];
        lexicon.finish();
        assert_eq!(look(&lexicon, "acorchaos"), [numb]);
        assert_eq!(look(&lexicon, "mojao"), [wet]);
        assert!(lexicon.knows("acorchaos"));
        // Only Spanish reads it so, and a word must be left before the ending.
        assert_eq!(look(&lexicon, "ao"), Vec::<TermId>::new());
        let mut english = Lexicon::new();
        english.add_phrase("soaked", false);
        english.finish();
        assert!(!english.knows("soao"));
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
        let bits = lexicon.add_phrase("bits", false)[0];
        lexicon.finish();
        assert_eq!(terms.len(), 3);
        assert_eq!(look(&lexicon, "all"), [terms[0]]);
        assert_eq!(look(&lexicon, "al"), Vec::<TermId>::new());
        assert_eq!(look(&lexicon, "bits"), [bits]);
        assert_eq!(look(&lexicon, "bit"), Vec::<TermId>::new());
    }
}
