//! Word forms, shared by triage and search: one way to reduce a word to the term it stands
//! for, and to tell a real word from a typo.
//!
//! English stemming (Porter2) for regular endings, a table for irregular forms (woke, fell,
//! feet, peed), the common English word list, and one-letter edits; for the other languages
//! their Snowball stemmer, or for Polish a light one. Owns no red-flag or
//! guide knowledge: what the terms mean is the caller's business.

use std::borrow::Cow;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::language::Lang;

/// Typos are considered in words of at least this many letters ("fevr", "numbnes"), and
/// only in words that are not English words themselves: a real word is never read as
/// another one ("never" is not "fever", "pied" is not "peed").
pub const TYPO_MIN_CHARS: usize = 4;

use crate::word_table::{u32_at, FrozenTable};
pub use crate::word_table::{word_hash, WordTable};

/// Common English, chat and filler words with their English stems, worked out when the crate
/// is built (see `build.rs`): a word in this list is never read as a typo of another, and is
/// never stemmed at run time. Words are numbered, grouped by stem, so a load can find every
/// word of a stem as one range. The tables are compiled in as `build.rs` wrote them: a start
/// builds nothing.
pub struct English {
    /// Word hash to its number.
    numbers: FrozenTable,
    /// Every word, one after another; by word number, where it ends in `words` and its stem's
    /// number (the top bit set for a filler word), two little-endian `u32` each.
    words: &'static str,
    word_info: &'static [u8],
    /// Stem hash to its number; every stem one after another; by stem number, where it ends
    /// in `stems` and the range of its words, three `u32` each.
    stem_numbers: FrozenTable,
    stems: &'static str,
    stem_info: &'static [u8],
}

const FILLER_BIT: u32 = 1 << 31;

pub static ENGLISH: English = English {
    numbers: FrozenTable::new(include_bytes!(concat!(
        env!("OUT_DIR"),
        "/english-numbers.bin"
    ))),
    words: include_str!(concat!(env!("OUT_DIR"), "/english-words.txt")),
    word_info: include_bytes!(concat!(env!("OUT_DIR"), "/english-words.bin")),
    stem_numbers: FrozenTable::new(include_bytes!(concat!(
        env!("OUT_DIR"),
        "/english-stem-numbers.bin"
    ))),
    stems: include_str!(concat!(env!("OUT_DIR"), "/english-stems.txt")),
    stem_info: include_bytes!(concat!(env!("OUT_DIR"), "/english-stems.bin")),
};

impl English {
    /// Stem number `number`.
    fn stem(&self, number: u32) -> &'static str {
        nth(self.stems, self.stem_info, 3, number)
    }
}

/// Item `number` of `text`, where record `number` of `info` (`stride` little-endian `u32`s
/// each) starts with where the item ends in `text`, and the item before it ends where it
/// starts.
fn nth(text: &'static str, info: &[u8], stride: usize, number: u32) -> &'static str {
    let at = number as usize * stride;
    let start = match at {
        0 => 0,
        _ => u32_at(info, at - stride),
    };
    &text[start as usize..u32_at(info, at) as usize]
}

impl English {
    /// The number of a common word, by its [`word_hash`].
    #[inline]
    pub fn number(&self, hash: u64) -> Option<u32> {
        self.numbers.get(hash)
    }

    /// How many common words there are.
    pub fn len(&self) -> usize {
        self.word_info.len() / 8
    }

    pub fn is_empty(&self) -> bool {
        self.word_info.is_empty()
    }

    /// Word number `number`.
    pub fn word(&self, number: u32) -> &'static str {
        nth(self.words, self.word_info, 2, number)
    }

    /// Whether word number `number` is a filler word.
    #[inline]
    pub fn is_filler(&self, number: u32) -> bool {
        u32_at(self.word_info, number as usize * 2 + 1) & FILLER_BIT != 0
    }

    /// The common words whose stem is `stem`, by number.
    pub fn with_stem(&self, stem: &str) -> std::ops::Range<u32> {
        self.stem_numbers.get(word_hash(stem)).map_or(0..0, |n| {
            let at = n as usize * 3;
            u32_at(self.stem_info, at + 1)..u32_at(self.stem_info, at + 2)
        })
    }
}

/// The stem of a common word, without stemming it.
pub fn english_stem(word: &str) -> Option<&'static str> {
    let english = &ENGLISH;
    let number = english.numbers.get(word_hash(word))?;
    let stem = u32_at(english.word_info, number as usize * 2 + 1) & !FILLER_BIT;
    Some(english.stem(stem))
}

/// True when `word` is a common English word, or a regular inflection of one ("toppings"),
/// so not a misspelling of something else: "never" is not a typo of "fever", nor "weeks"
/// of "weak".
pub fn is_english_word(word: &str) -> bool {
    if ENGLISH.numbers.get(word_hash(word)).is_some() {
        return true;
    }
    // Inflections are checked on a stack buffer: this runs for every unusual chat word.
    const MAX: usize = 64;
    let mut buf = [0u8; MAX];
    ["s", "es", "ed", "ing", "ings", "ly", "er", "ers"]
        .iter()
        .filter_map(|suffix| word.strip_suffix(suffix).map(|base| (base, *suffix)))
        .filter(|(base, _)| base.len() >= 3 && base.len() < MAX)
        .any(|(base, suffix)| {
            buf[..base.len()].copy_from_slice(base.as_bytes());
            buf[base.len()] = b'e';
            let with_e = std::str::from_utf8(&buf[..=base.len()]).unwrap_or(base);
            // "drag" + "ing" is spelled "dragging": "draging" is a typo, worth a look.
            let doubles = suffix.starts_with(['e', 'i']) && doubles_its_last_letter(base);
            (ENGLISH.numbers.get(word_hash(base)).is_some() && !doubles)
                || ENGLISH.numbers.get(word_hash(with_e)).is_some()
        })
}

/// A one-syllable word ending in one vowel and one consonant ("drag", "slip", "trip"),
/// whose last letter doubles before -ed, -ing and -er.
fn doubles_its_last_letter(word: &str) -> bool {
    let vowel = |c: u8| b"aeiou".contains(&c);
    let bytes = word.as_bytes();
    let [.., before, vowel_at, last] = bytes else {
        return false;
    };
    let vowels = bytes.iter().filter(|&&c| vowel(c)).count();
    vowels == 1 && vowel(*vowel_at) && !vowel(*before) && !b"aeiouwxy".contains(last)
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
    // Censored spellings, read with the asterisks taken out ("sh*t myself", "p*ssed").
    ("sht", "shit"),
    ("pss", "piss"),
    ("pssed", "piss"),
    // Scots spellings of the negatives ("canny feel the seat").
    ("cannae", "cant"),
    ("canny", "cant"),
    ("couldnae", "couldnt"),
    ("didnae", "didnt"),
    ("dinnae", "dont"),
    ("doesnae", "doesnt"),
    ("wouldnae", "wouldnt"),
];

/// Reduces words to terms. Cheap to create; holds the stemmer of one language.
pub struct Morph {
    stemmer: LangStemmer,
}

enum LangStemmer {
    /// English: Porter2, after the irregular forms.
    English(Stemmer),
    /// Another Snowball stemmer (Spanish, German, Portuguese, Italian).
    Snowball(Stemmer),
    /// French Snowball, after a feminine "-ée" that lost its accent ([`Morph::term`]).
    French(Stemmer),
    /// Polish, which Snowball lacks: one common ending taken off ([`polish_stem`]).
    Polish,
}

impl Default for Morph {
    fn default() -> Self {
        Morph::for_lang(Lang::En)
    }
}

impl Morph {
    pub fn for_lang(lang: Lang) -> Morph {
        let snowball = |algorithm| LangStemmer::Snowball(Stemmer::create(algorithm));
        let stemmer = match lang {
            Lang::En => LangStemmer::English(Stemmer::create(Algorithm::English)),
            Lang::Es => snowball(Algorithm::Spanish),
            Lang::De => snowball(Algorithm::German),
            Lang::Fr => LangStemmer::French(Stemmer::create(Algorithm::French)),
            Lang::Pt => snowball(Algorithm::Portuguese),
            Lang::It => snowball(Algorithm::Italian),
            Lang::Pl => LangStemmer::Polish,
        };
        Morph { stemmer }
    }

    /// The term a (canonical, lower-case) word stands for: in English its irregular base,
    /// stemmed; in another language its stem.
    pub fn term<'a>(&self, word: &'a str) -> Cow<'a, str> {
        match &self.stemmer {
            LangStemmer::English(stemmer) => match irregular(word) {
                Some(base) => Cow::Owned(stemmer.stem(base).into_owned()),
                None => stemmer.stem(word),
            },
            LangStemmer::Snowball(stemmer) => stemmer.stem(word),
            // Accents are gone before stemming, so a feminine participle, "tombée", reads
            // "tombee", which the stemmer leaves as "tombe" while "tombé" ("tombe") becomes
            // "tomb": one "e" less first, and both stem alike ("ma jambe s'est dérobée" is
            // "se dérobe").
            LangStemmer::French(stemmer) => match word.strip_suffix("ees") {
                Some(base) => Cow::Owned(stemmer.stem(&format!("{base}es")).into_owned()),
                None => match word.strip_suffix("ee") {
                    Some(base) => Cow::Owned(stemmer.stem(&format!("{base}e")).into_owned()),
                    None => stemmer.stem(word),
                },
            },
            LangStemmer::Polish => polish_stem(word),
        }
    }
}

/// Polish endings, any one of which [`polish_stem`] takes off: case endings of nouns and
/// adjectives and the commonest verb endings, after accents are removed (-ą is -a).
const POLISH_ENDINGS: &[&str] = &[
    "owie", "ami", "ach", "ego", "emu", "ymi", "imi", "ych", "ich", "owi", "iem", "alam", "alem",
    "alas", "ales", "ilam", "ilem", "ala", "alo", "ali", "aly", "ila", "ilo", "ili", "ily", "esz",
    "emy", "ecie", "isz", "imy", "icie", "ej", "om", "em", "ie", "ow", "ym", "im", "al", "il",
    "ac", "ic", "ec", "a", "e", "i", "o", "u", "y", "c",
];

/// A light Polish stem: "ł" read as "l", then the longest ending of [`POLISH_ENDINGS`] that
/// leaves at least three letters taken off, once. Forms whose stems still differ ("drętwieje",
/// "zdrętwiała") are listed in the red-flag file: the small table of forms Polish needs.
pub fn polish_stem(word: &str) -> Cow<'_, str> {
    let word: Cow<str> = if word.contains('ł') {
        Cow::Owned(word.replace('ł', "l"))
    } else {
        Cow::Borrowed(word)
    };
    let letters = word.chars().count();
    let ending = POLISH_ENDINGS
        .iter()
        .filter(|e| word.ends_with(**e) && letters >= e.len() + 3)
        .max_by_key(|e| e.len());
    match (ending, word) {
        (Some(e), Cow::Borrowed(w)) => Cow::Borrowed(&w[..w.len() - e.len()]),
        (Some(e), Cow::Owned(w)) => Cow::Owned(w[..w.len() - e.len()].to_owned()),
        (None, w) => w,
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

/// Spellings that a typo may be one letter away from, each standing for an id, found by the
/// hashes of their one-letter deletions (symmetric deletion). Cheap to build: no string is
/// copied per deletion, and the index is one sorted vector.
#[derive(Default)]
pub struct TypoIndex {
    forms: Vec<(Box<str>, u32)>,
    seen: HashSet<(Box<str>, u32)>,
    /// The hash of each form and of each of its one-letter deletions, to the first of a
    /// chain of entries in `chain`: (form index, next entry or `u32::MAX`).
    heads: HashMap<u64, u32>,
    chain: Vec<(u32, u32)>,
}

impl TypoIndex {
    /// Adds a spelling for `id`; the same one twice is kept once.
    pub fn add(&mut self, form: &str, id: u32) {
        let key: (Box<str>, u32) = (form.into(), id);
        if self.seen.insert(key.clone()) {
            self.forms.push(key);
        }
    }

    /// Indexes the spellings added so far.
    pub fn finish(&mut self) {
        self.seen = HashSet::default();
        self.heads.clear();
        self.chain.clear();
        self.chain.reserve(self.forms.len() * 9);
        self.heads.reserve(self.forms.len() * 9);
        let mut hashes = Vec::new();
        for (index, (form, _)) in self.forms.iter().enumerate() {
            deletion_hashes(form, &mut hashes);
            for &key in &hashes {
                let next = self.heads.insert(key, self.chain.len() as u32);
                self.chain.push((index as u32, next.unwrap_or(u32::MAX)));
            }
        }
    }

    /// Calls `f` with the id of every spelling one edit away from `word` (or equal to it),
    /// each id once.
    pub fn for_each_near(&self, word: &str, mut f: impl FnMut(u32)) {
        let mut found: Vec<u32> = Vec::new();
        let mut hashes = Vec::new();
        deletion_hashes(word, &mut hashes);
        for key in hashes {
            let mut at = self.heads.get(&key).copied().unwrap_or(u32::MAX);
            while let Some(&(index, next)) = self.chain.get(at as usize) {
                let (form, id) = &self.forms[index as usize];
                if !found.contains(id) && within_one_edit(word, form) {
                    found.push(*id);
                    f(*id);
                }
                at = next;
            }
        }
    }
}

/// Polynomial hashes of a word and of each string made by deleting one of its characters,
/// in one pass: with prefix hashes, each deletion's hash takes constant time, and no string
/// is built. Equal strings hash equally; a collision only costs one edit-distance check.
fn deletion_hashes(word: &str, out: &mut Vec<u64>) {
    const P: u64 = 0x100_0000_01b3;
    // Group words and typos are short; a longer word is not one letter off any of them.
    const MAX: usize = 40;
    out.clear();
    // prefix[i] is the hash of the first i characters; power[i] is P^i.
    let mut prefix = [0u64; MAX + 1];
    let mut power = [1u64; MAX + 1];
    let mut n = 0;
    for c in word.chars() {
        if n == MAX {
            return;
        }
        prefix[n + 1] = prefix[n].wrapping_mul(P).wrapping_add(u64::from(c) + 1);
        power[n + 1] = power[n].wrapping_mul(P);
        n += 1;
    }
    out.push(prefix[n]);
    for i in 0..n {
        // hash(s[..i] ++ s[i+1..]) = prefix[i] * P^(n-1-i) + hash(s[i+1..])
        let rest = prefix[n].wrapping_sub(prefix[i + 1].wrapping_mul(power[n - 1 - i]));
        out.push(prefix[i].wrapping_mul(power[n - 1 - i]).wrapping_add(rest));
    }
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

    #[test]
    fn the_compiled_in_table_holds_every_common_word_with_its_stem() {
        let apart: HashSet<&str> = include_str!("stems-apart.txt")
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .flat_map(str::split_whitespace)
            .collect();
        let stemmer = Stemmer::create(Algorithm::English);
        let lists = [
            include_str!("english-words.txt"),
            include_str!("chat-words.txt"),
        ];
        let mut count = 0;
        for word in lists
            .iter()
            .flat_map(|list| list.lines())
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let number = ENGLISH.number(word_hash(word)).expect(word);
            assert_eq!(ENGLISH.word(number), word);
            if !apart.contains(word) {
                assert_eq!(
                    english_stem(word),
                    Some(stemmer.stem(word).as_ref()),
                    "{word}"
                );
            }
            let stem = english_stem(word).expect(word);
            assert!(ENGLISH.with_stem(stem).contains(&number), "{word}");
            count += 1;
        }
        assert!(count > 40_000 && ENGLISH.len() > 40_000, "{count}");
        for word in crate::text::FILLER {
            let number = ENGLISH.number(word_hash(word)).expect(word);
            assert!(ENGLISH.is_filler(number), "{word}");
        }
        assert!(!ENGLISH.is_filler(ENGLISH.number(word_hash("numb")).unwrap()));
        assert_eq!(ENGLISH.number(word_hash("qzxv")), None);
    }

    #[test]
    fn an_undoubled_inflection_of_a_one_syllable_word_is_a_typo_not_a_word() {
        assert!(!is_english_word("draging"));
        assert!(!is_english_word("draged"));
        assert!(is_english_word("dragging"));
        assert!(is_english_word("opening"));
        assert!(is_english_word("hoped"));
        assert!(is_english_word("visiting"));
    }

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
    fn words_kept_apart_are_terms_of_their_own() {
        let text = include_str!("stems-apart.txt");
        let lines = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let mut count = 0;
        for line in lines {
            let words: Vec<&str> = line.split_whitespace().collect();
            for word in &words {
                assert_eq!(english_stem(word), Some(words[0]), "{word}");
                count += 1;
            }
            let term: Vec<&str> = ENGLISH
                .with_stem(words[0])
                .map(|n| ENGLISH.word(n))
                .collect();
            assert_eq!(term, words, "{line}");
        }
        assert!(count >= 10);
        // What the stemmer alone would have joined stays apart.
        assert_eq!(english_stem("severe"), Some("sever"));
        assert_ne!(english_stem("several"), english_stem("severe"));
        assert_ne!(english_stem("standings"), english_stem("standing"));
    }

    #[test]
    fn every_irregular_form_differs_from_its_stemmed_base() {
        let stemmer = Stemmer::create(Algorithm::English);
        for (form, base) in IRREGULAR {
            assert_ne!(stemmer.stem(form), stemmer.stem(base), "{form}");
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
    fn deletion_hashes_equal_the_hashes_of_the_deleted_strings() {
        let mut hashes = Vec::new();
        let mut single = Vec::new();
        deletion_hashes("numbness", &mut hashes);
        let mut all = Vec::new();
        for_each_deletion("numbness", &mut String::new(), |s| all.push(s.to_owned()));
        assert_eq!(hashes.len(), all.len());
        for (hash, text) in hashes.iter().zip(&all) {
            deletion_hashes(text, &mut single);
            assert_eq!(*hash, single[0], "{text}");
        }
        deletion_hashes("nümb", &mut hashes);
        deletion_hashes("nmb", &mut single);
        assert!(hashes.contains(&single[0]));
    }

    #[test]
    fn a_word_table_finds_what_was_put_in_and_nothing_else() {
        let mut table = WordTable::default();
        for n in 0..1000u32 {
            assert_eq!(table.insert(word_hash(&format!("w{n}")), n), n);
        }
        assert_eq!(table.insert(word_hash("w7"), 99), 7);
        for n in 0..1000u32 {
            assert_eq!(table.get(word_hash(&format!("w{n}"))), Some(n));
        }
        assert_eq!(table.get(word_hash("nope")), None);
        assert_eq!(WordTable::default().get(word_hash("x")), None);
    }

    #[test]
    fn a_typo_index_finds_forms_one_edit_away() {
        let mut index = TypoIndex::default();
        index.add("numbness", 1);
        index.add("fever", 2);
        index.add("fever", 2);
        index.finish();
        let near = |w: &str| {
            let mut ids = Vec::new();
            index.for_each_near(w, |id| ids.push(id));
            ids
        };
        assert_eq!(near("numbnes"), [1]);
        assert_eq!(near("fevr"), [2]);
        assert_eq!(near("feve"), [2]);
        assert_eq!(near("fveer"), [2]);
        assert!(near("flavour").is_empty());
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
