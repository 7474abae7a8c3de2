//! Chat-text normalisation shared by triage and search: Unicode, case, Discord markdown.
//!
//! This module turns whatever a member typed into plain lower-case words. It knows nothing
//! about red flags or the index; it must never drop a letter that could belong to a word.

use std::borrow::Cow;
use std::sync::LazyLock;

use rustc_hash::FxHashSet;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// How characters that Discord uses for inline markdown are treated while splitting words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Markdown {
    /// `**numb**ness` reads as `numbness`: the markers are deleted.
    Join,
    /// `numb**legs` reads as `numb legs`: the markers separate words.
    Split,
}

/// Returns the text in canonical form: NFKC, case-folded, accents removed.
///
/// Accents are removed because members type "númbness" or paste text from phones whose
/// keyboards add them; the guides and red-flag phrases are written without.
pub fn canonical(text: &str) -> String {
    // ASCII is already in NFKC form, and its case folding is plain lower-casing; so is chat
    // whose only other characters are emoji, curly quotes and the like.
    if only_ascii_letters(text) {
        return text.to_ascii_lowercase();
    }
    let folded = caseless::default_case_fold_str(&nfkc(text));
    let accented = |c: char| !c.is_ascii() && (c.is_alphabetic() || is_combining_mark(c));
    if !folded.chars().any(accented) {
        return folded;
    }
    folded
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect()
}

/// `text` in NFKC form. Chat is mostly ASCII with emoji or curly quotes, already in that form:
/// such text is only checked, not copied.
fn nfkc(text: &str) -> Cow<'_, str> {
    match is_nfkc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfkc().collect()),
    }
}

/// The message as [`canonical`] reads it but with its capitals kept (NFKC, accents
/// removed), when lower-casing that gives `canonical` byte for byte: then a word's bytes in
/// one are its bytes in the other, and [`is_name_at`] can look for capitals. `None` where
/// case folding changes a length ("Straße" folds to "strasse").
pub fn canonical_keeping_case(text: &str, canonical: &str) -> Option<String> {
    let cased: String = nfkc(text)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .nfc()
        .collect();
    (cased.len() == canonical.len() && cased.to_lowercase() == canonical).then_some(cased)
}

/// True when every letter and digit of `text` is ASCII and every other character is one that
/// normalisation, case folding and accent removal leave alone or turn into another separator
/// (emoji and their modifiers, curly quotes, dashes, ellipses, invisible joiners): lower-casing
/// the ASCII letters is then all [`canonical`] does.
pub fn only_ascii_letters(text: &str) -> bool {
    text.is_ascii()
        || text.chars().all(|c| {
            c.is_ascii()
                || matches!(c,
                    '\u{00A0}'
                    | '\u{2010}'..='\u{2027}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{FE00}'..='\u{FE0F}'
                    | '\u{FEFF}'
                    | '\u{2190}'..='\u{21FF}'
                    | '\u{2600}'..='\u{27BF}'
                    | '\u{1F000}'..='\u{1FAFF}'
                )
        })
}

/// True for characters that live inside words without being letters: apostrophes and
/// invisible formatting characters such as zero-width spaces and soft hyphens.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}'
            | '\u{2018}'
            | '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
    )
}

/// Characters Discord reads as inline markdown: bold, italics, strike, spoiler, code.
pub fn is_markdown_marker(c: char) -> bool {
    matches!(c, '*' | '_' | '~' | '|' | '`')
}

/// Splits canonical text into words, calling `emit` for each.
///
/// Letters and digits form words; apostrophes and zero-width characters are skipped so
/// "can't" reads "cant"; everything else (spaces, punctuation, emoji, `>` quotes) separates.
/// A letter repeated three or more times is kept twice ("numbbbb" -> "numbb"), which leaves
/// a stretched word within one typo of the real one. Digits and letters split ("8kg" reads
/// "8 kg").
pub fn for_each_word(canonical: &str, markdown: Markdown, mut emit: impl FnMut(&str)) {
    for_each_word_at(canonical, markdown, |word, _| emit(word));
}

/// [`for_each_word`], also giving each word's byte range in `canonical` (from its first
/// character to its last, markdown and apostrophes inside it included).
///
/// Returns true when a markdown marker stood inside a word ("numb**legs"), so that reading
/// the markers as separators would give other words (see [`markdown_splits_a_word`]).
pub fn for_each_word_at(
    canonical: &str,
    markdown: Markdown,
    mut emit: impl FnMut(&str, std::ops::Range<usize>),
) -> bool {
    // Most chat is ASCII, where telling a letter from the rest needs no Unicode tables and
    // most words can be handed out as they stand in the text.
    if canonical.is_ascii() {
        split_ascii(canonical, markdown, &mut emit)
    } else {
        split_words(
            canonical.char_indices(),
            char::is_alphanumeric,
            char::is_numeric,
            markdown,
            emit,
        );
        markdown_splits_a_word(canonical)
    }
}

/// What each ASCII byte is to the word splitter.
const SEPARATOR: u8 = 0;
const LOWER: u8 = 1;
const DIGIT: u8 = 2;
/// Capitals, apostrophes and markdown markers: inside a word, but needing the general path.
const SPECIAL: u8 = 3;

const fn ascii_classes() -> [u8; 256] {
    let mut classes = [SEPARATOR; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        classes[b] = if c.is_ascii_lowercase() {
            LOWER
        } else if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_uppercase() || matches!(c, b'\'' | b'*' | b'_' | b'~' | b'|' | b'`') {
            SPECIAL
        } else {
            SEPARATOR
        };
        b += 1;
    }
    classes
}

static ASCII_CLASSES: [u8; 256] = ascii_classes();

/// Splits ASCII text. A run of lower-case letters (or of digits) with no letter three times
/// over is a word as it stands and is handed out without copying; the rest (apostrophes,
/// markdown inside a word, letters next to digits, stretched letters, capitals) goes through
/// [`split_words`].
fn split_ascii(
    text: &str,
    markdown: Markdown,
    emit: &mut impl FnMut(&str, std::ops::Range<usize>),
) -> bool {
    let bytes = text.as_bytes();
    let split_markers = markdown == Markdown::Split;
    let mut marker_inside = false;
    let mut at = 0;
    while at < bytes.len() {
        while at < bytes.len() && ASCII_CLASSES[bytes[at] as usize] == SEPARATOR {
            at += 1;
        }
        let start = at;
        let mut simple = true;
        let (mut previous, mut class_before, mut run) = (0u8, SEPARATOR, 0usize);
        // A marker after a letter or digit of this run, waiting for one after it.
        let mut marker_pending = false;
        while at < bytes.len() {
            let b = bytes[at];
            let class = ASCII_CLASSES[b as usize];
            match class {
                SEPARATOR => break,
                SPECIAL => {
                    if is_markdown_marker(b as char) {
                        if split_markers {
                            break;
                        }
                        marker_pending |= at > start;
                    } else {
                        marker_inside |= marker_pending;
                    }
                    simple = false;
                }
                _ => {
                    marker_inside |= marker_pending;
                    if b == previous {
                        run += 1;
                        simple &= run < 3;
                    } else {
                        simple &= class_before == SEPARATOR || class_before == class;
                        run = 1;
                    }
                    previous = b;
                    class_before = class;
                }
            }
            at += 1;
        }
        if start == at {
            // A marker that separates in this reading.
            at += 1;
            continue;
        }
        if simple {
            emit(&text[start..at], start..at);
        } else {
            let part = &text[start..at];
            split_words(
                part.bytes().enumerate().map(|(i, b)| (i, char::from(b))),
                |c| c.is_ascii_alphanumeric(),
                |c| c.is_ascii_digit(),
                markdown,
                |word, span| emit(word, start + span.start..start + span.end),
            );
        }
    }
    marker_inside
}

/// True when reading markdown markers as separators gives other words than deleting them:
/// only a marker between two letters or digits ("numb**legs") does.
pub fn markdown_splits_a_word(canonical: &str) -> bool {
    // All the markers are ASCII: most messages have none, and a byte scan says so.
    if !canonical
        .bytes()
        .any(|b| matches!(b, b'*' | b'_' | b'~' | b'|' | b'`'))
    {
        return false;
    }
    let mut after_word_char = false;
    let mut in_markers_after_word_char = false;
    for c in canonical.chars() {
        if is_markdown_marker(c) {
            in_markers_after_word_char |= after_word_char;
            after_word_char = false;
        } else if c.is_alphanumeric() {
            if in_markers_after_word_char {
                return true;
            }
            after_word_char = true;
        } else {
            after_word_char = false;
            in_markers_after_word_char = false;
        }
    }
    false
}

#[inline]
fn split_words(
    chars: impl Iterator<Item = (usize, char)>,
    is_word_char: impl Fn(char) -> bool,
    is_digit: impl Fn(char) -> bool,
    markdown: Markdown,
    mut emit: impl FnMut(&str, std::ops::Range<usize>),
) {
    let mut word = String::with_capacity(32);
    let mut run_char = '\0';
    let mut run_len = 0usize;
    // Where the word being read starts and ends in the text.
    let mut span = 0..0;
    // Length of the word when an apostrophe was seen: "child's" reads "child".
    let mut apostrophe_at: Option<usize> = None;
    let mut emit_word =
        |word: &mut String, apostrophe_at: Option<usize>, span: &std::ops::Range<usize>| {
            if apostrophe_at.is_some_and(|at| word.len() == at + 1) && word.ends_with('s') {
                word.pop();
            }
            if !word.is_empty() {
                emit(word, span.clone());
            }
            word.clear();
        };
    for (at, c) in chars {
        if is_word_char(c) {
            if !word.is_empty() && is_digit(c) != is_digit(run_char) {
                emit_word(&mut word, apostrophe_at, &span);
                apostrophe_at = None;
            }
            if word.is_empty() {
                span.start = at;
            }
            span.end = at + c.len_utf8();
            if c == run_char {
                run_len += 1;
            } else {
                run_char = c;
                run_len = 1;
            }
            if run_len <= 2 {
                word.push(c);
            }
        } else if is_joiner(c) || (markdown == Markdown::Join && is_markdown_marker(c)) {
            if matches!(c, '\'' | '\u{2019}') {
                apostrophe_at = Some(word.len());
            }
        } else {
            emit_word(&mut word, apostrophe_at, &span);
            apostrophe_at = None;
            run_char = '\0';
            run_len = 0;
        }
    }
    emit_word(&mut word, apostrophe_at, &span);
}

/// Collects the words of `text` (canonicalised first) into a vector.
pub fn words(text: &str, markdown: Markdown) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(&canonical(text), markdown, |w| out.push(w.to_owned()));
    out
}

/// Apostrophes as word breaks, for languages where they mark an elision ("l'inguine",
/// "j'ai") rather than a contraction read as one word (English "can't").
pub fn split_elisions(text: &str) -> Cow<'_, str> {
    const APOSTROPHES: [char; 3] = ['\'', '\u{2019}', '\u{02BC}'];
    if !text.contains(APOSTROPHES) {
        return Cow::Borrowed(text);
    }
    // As many spaces as the apostrophe had bytes: every word keeps its place in the text.
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if APOSTROPHES.contains(&c) {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

pub use crate::filler::FILLER;

pub fn is_filler(word: &str) -> bool {
    static SET: LazyLock<FxHashSet<&'static str>> =
        LazyLock::new(|| FILLER.iter().copied().collect());
    // Filler words are short; longer words skip the lookup.
    word.len() <= 10 && SET.contains(word)
}

/// Cuts `text` to at most `max` characters on a character boundary, adding an ellipsis when
/// anything was cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Whether the text between two words ends a sentence: a new line, or a full stop, question
/// or exclamation mark followed by a space (closing quotes may stand between). A point
/// inside a number ("38.5") ends nothing, nor does a mark inside brackets ("my nan (88!)
/// fell"), which is followed by the bracket.
pub fn ends_a_sentence(between: &str) -> bool {
    between.contains('\n')
        || between.match_indices(['.', '!', '?']).any(|(i, _)| {
            between[i + 1..]
                .trim_start_matches(['.', '!', '?', '"', '\'', '\u{201D}', '\u{2019}'])
                .starts_with(char::is_whitespace)
        })
}

/// True when the word at `span` of `original` is a name: capitalised ("Cerys", not "CERYS"
/// or "McColl") and inside a sentence, after a letter, a digit or a comma. A word that
/// starts a sentence, a line or a list item is capitalised anyway, so it says nothing.
///
/// A name is never read as a typo of a symptom ("my niece Cerys came up" is no "cries", "a
/// walk on the Nore" no "sore"). `original` is the message as typed, or as
/// [`canonical_keeping_case`] gives it, and `span` a word's bytes in its canonical text,
/// which must be the same bytes lower-cased.
pub fn is_name_at(original: &str, span: std::ops::Range<usize>) -> bool {
    let Some(word) = original.get(span.clone()) else {
        return false;
    };
    let mut letters = word.chars().filter(|c| c.is_alphabetic());
    let capitalised = letters.next().is_some_and(|c| c.is_ascii_uppercase())
        && word.chars().skip(1).all(|c| !c.is_uppercase())
        && letters.next().is_some();
    if !capitalised {
        return false;
    }
    let before = original[..span.start].chars().rev().find(|&c| {
        c == '\n'
            || !(c.is_whitespace()
                || "*_~\"'()[]<>#-\u{2013}\u{2014}\u{2018}\u{2019}\u{201C}\u{201D}\u{2022}"
                    .contains(c))
    });
    before.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, ',' | '&' | '/'))
}

/// True when capitalised words stand out in `original`: fewer than a third of its words are
/// capitalised. In a message Written Like A Title, a capital says nothing about names.
pub fn names_stand_out(original: &str) -> bool {
    let mut words = 0usize;
    let mut capitalised = 0usize;
    for word in original.split(|c: char| !c.is_alphanumeric() && c != '\'') {
        let Some(first) = word.chars().next() else {
            continue;
        };
        words += 1;
        capitalised += usize::from(first.is_uppercase());
    }
    capitalised * 3 < words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_ends_at_a_mark_and_a_space_or_a_new_line() {
        for end in [". ", "? ", "! ", "!! ", "...\n", ".\" ", " \n "] {
            assert!(ends_a_sentence(end), "{end:?}");
        }
        // Inside a number, a word or brackets, a mark ends nothing.
        for inside in [".", "!) ", "?) ", " (", ", "] {
            assert!(!ends_a_sentence(inside), "{inside:?}");
        }
    }

    #[test]
    fn a_name_is_a_capitalised_word_inside_a_sentence() {
        let name = |text: &str, word: &str| {
            let start = text.find(word).unwrap();
            is_name_at(text, start..start + word.len())
        };
        assert!(name("my niece Cerys came up", "Cerys"));
        assert!(name("Rhys, Cerys and me", "Cerys"));
        assert!(name("a walk on the **Nore** today", "Nore"));
        // The first word of a sentence, a line or a list item is capitalised anyway.
        assert!(!name("Cerys came up", "Cerys"));
        assert!(!name("back hurts. Numbess too", "Numbess"));
        assert!(!name("back hurts 😩 Numbess too", "Numbess"));
        assert!(!name("stiff\n- Numbess in legs", "Numbess"));
        assert!(!name("> Numbess in legs", "Numbess"));
        // Capitals throughout, or a single letter, say nothing.
        assert!(!name("my legs are NUMBESS", "NUMBESS"));
        assert!(!name("a letter I wrote", "I"));
    }

    #[test]
    fn capitals_are_kept_where_accents_are_removed() {
        let message = "my cousin Siobhán was at the Ballina festival";
        let cased = canonical_keeping_case(message, &canonical(message)).unwrap();
        assert_eq!(cased, "my cousin Siobhan was at the Ballina festival");
        let start = cased.find("Ballina").unwrap();
        assert!(is_name_at(&cased, start..start + "Ballina".len()));
        // Case folding that changes a length gives no aligned copy.
        let message = "STRAßE and Ballina";
        assert_eq!(canonical_keeping_case(message, &canonical(message)), None);
    }

    #[test]
    fn names_stand_out_unless_most_words_are_capitalised() {
        assert!(names_stand_out("my niece Cerys came up on Sunday"));
        assert!(!names_stand_out("My Legs Have Numbess Since Monday"));
    }

    #[test]
    fn canonical_folds_width_case_and_accents() {
        assert_eq!(canonical("ＮＵＭＢ Númbness"), "numb numbness");
    }

    /// The general splitter over ASCII, which the fast path must agree with.
    fn general(text: &str, markdown: Markdown) -> Vec<(String, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        split_words(
            text.bytes().enumerate().map(|(i, b)| (i, char::from(b))),
            |c| c.is_ascii_alphanumeric(),
            |c| c.is_ascii_digit(),
            markdown,
            |w, span| out.push((w.to_owned(), span)),
        );
        out
    }

    proptest::proptest! {
        #[test]
        fn the_ascii_fast_path_splits_like_the_general_one(text in "[a-zA-Z0-9 '*_~|`.,!?\n-]{0,80}") {
            for markdown in [Markdown::Join, Markdown::Split] {
                let mut fast = Vec::new();
                for_each_word_at(&text, markdown, |w, span| fast.push((w.to_owned(), span)));
                proptest::prop_assert_eq!(&fast, &general(&text, markdown), "{:?}", markdown);
            }
            // Whenever the two readings give different words, the split reading is asked for.
            let lower = text.to_ascii_lowercase();
            let joined = for_each_word_at(&lower, Markdown::Join, |_, _| {});
            if !joined {
                let words = |m| general(&lower, m).into_iter().map(|(w, _)| w).collect::<Vec<_>>();
                proptest::prop_assert_eq!(words(Markdown::Join), words(Markdown::Split));
            }
        }
    }

    #[test]
    fn emoji_and_curly_quotes_need_only_lower_casing() {
        for text in [
            "My BACK 😩🏻 can’t… — “numb”",
            "ok\u{200b}ay ❤️ → ✅",
            "a\u{a0}b",
        ] {
            assert!(only_ascii_letters(text), "{text}");
            let full: String = {
                let nfkc: String = text.nfkc().collect();
                caseless::default_case_fold_str(&nfkc)
            };
            assert_eq!(words(text, Markdown::Join), {
                let mut out = Vec::new();
                for_each_word(&full, Markdown::Join, |w| out.push(w.to_owned()));
                out
            });
        }
        assert!(!only_ascii_letters("Ｎumb"));
        assert!(!only_ascii_letters("númb"));
        assert!(!only_ascii_letters("x²"));
    }

    #[test]
    fn markdown_markers_join_or_split_words() {
        assert_eq!(words("**numb**ness", Markdown::Join), ["numbness"]);
        assert_eq!(words("numb**legs", Markdown::Split), ["numb", "legs"]);
        assert_eq!(words("||numb||", Markdown::Split), ["numb"]);
    }

    #[test]
    fn apostrophes_and_zero_width_characters_stay_inside_words() {
        assert_eq!(
            words("I can’t feel\u{200b}ing", Markdown::Join),
            ["i", "cant", "feeling"]
        );
    }

    #[test]
    fn punctuation_emoji_and_quotes_separate_words() {
        assert_eq!(
            words("> numb😱legs, ok?", Markdown::Join),
            ["numb", "legs", "ok"]
        );
    }

    #[test]
    fn only_a_marker_inside_a_word_needs_the_split_reading() {
        assert!(markdown_splits_a_word("numb**legs"));
        assert!(markdown_splits_a_word("numb_legs"));
        assert!(!markdown_splits_a_word("**numb** legs"));
        assert!(markdown_splits_a_word("red_flag"));
        assert!(!markdown_splits_a_word("|| numb || `x`"));
    }

    #[test]
    fn digits_and_letters_split() {
        assert_eq!(
            words("lost 8kg, pain 9/10", Markdown::Join),
            ["lost", "8", "kg", "pain", "9", "10"]
        );
    }

    #[test]
    fn stretched_letters_are_kept_twice() {
        assert_eq!(words("sooooo numbbbb", Markdown::Join), ["soo", "numbb"]);
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate_chars("ééééé", 3), "éé…");
        assert_eq!(truncate_chars("abc", 3), "abc");
    }
}
