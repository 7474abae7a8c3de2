//! Red-flag triage: does a message mention a warning sign, and which tier does it reach?
//!
//! Runs on every message before any search. It matches whole words and phrases, their
//! inflections and one-letter typos, and deliberately ignores negation: "no numbness"
//! still escalates. It errs towards false alarms; it must never miss.

use std::collections::HashMap;

use serde::Serialize;

use crate::knowledge::{RedFlags, Tier};
use crate::text::{self, Markdown};
use crate::vocab::{TermId, Vocabulary, Word};

/// One red flag found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagHit {
    pub id: String,
    pub tier: Tier,
    /// The phrase from the red-flag list that matched.
    pub matched: String,
    /// The words of the message that matched it.
    #[serde(skip)]
    pub words: Vec<String>,
    /// What the reply says the member mentioned.
    #[serde(skip)]
    pub noticed: String,
}

/// The outcome of triaging one message: hits, highest tier first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triaged {
    pub hits: Vec<FlagHit>,
}

impl Triaged {
    /// The highest tier reached, if any flag matched.
    pub fn tier(&self) -> Option<Tier> {
        self.hits.first().map(|h| h.tier)
    }

    pub fn is_red_flag(&self) -> bool {
        !self.hits.is_empty()
    }
}

struct Phrase {
    flag: usize,
    text: String,
    /// Each slot must be filled by one of its terms: "numb|tingling feet|legs" has two.
    slots: Vec<Vec<TermId>>,
    gap: usize,
}

struct FlagInfo {
    id: String,
    tier: Tier,
    noticed: String,
}

/// The compiled matcher for a set of red flags. Built once per knowledge load.
pub struct Triage {
    vocab: Vocabulary,
    phrases: Vec<Phrase>,
    /// For each term, the phrases whose rarest slot it fills.
    by_term: Vec<Vec<usize>>,
    flags: Vec<FlagInfo>,
}

/// The slots of a red-flag phrase: each space-separated part is one slot, and `|` separates
/// words that may fill it (`"numb|tingling both legs|feet"`). Filler words are dropped.
pub fn phrase_slots(phrase: &str) -> Vec<Vec<String>> {
    let mut slots = Vec::new();
    for part in phrase.split_whitespace() {
        let alternatives: Vec<Vec<String>> = part
            .split('|')
            .map(|alt| {
                text::words(alt, Markdown::Split)
                    .into_iter()
                    .filter(|w| !text::is_filler(w))
                    .collect()
            })
            .collect();
        if alternatives.len() == 1 {
            // "pins-and-needles" or "can't": every word is a slot of its own.
            slots.extend(alternatives.into_iter().flatten().map(|w| vec![w]));
        } else {
            let slot: Vec<String> = alternatives.into_iter().flatten().collect();
            if !slot.is_empty() {
                slots.push(slot);
            }
        }
    }
    slots
}

impl Triage {
    pub fn new(red_flags: &RedFlags) -> Triage {
        let mut vocab = Vocabulary::default();
        let mut phrases = Vec::new();
        let mut flags = Vec::new();
        for (index, flag) in red_flags.flags.iter().enumerate() {
            flags.push(FlagInfo {
                id: flag.id.clone(),
                tier: flag.tier,
                noticed: flag.noticed.clone(),
            });
            for phrase in &flag.phrases {
                let mut slots: Vec<Vec<TermId>> = phrase_slots(phrase)
                    .iter()
                    .map(|slot| slot.iter().map(|w| vocab.add(w)).collect())
                    .collect();
                for slot in &mut slots {
                    slot.sort_unstable();
                    slot.dedup();
                }
                // "numb numb" is one slot, not two.
                slots.sort();
                slots.dedup();
                if !slots.is_empty() {
                    phrases.push(Phrase {
                        flag: index,
                        text: phrase.clone(),
                        slots,
                        gap: flag.gap(),
                    });
                }
            }
        }
        vocab.finish_with_lexicon();
        // Each phrase is filed under the terms of its rarest slot only: a phrase cannot
        // match without that slot, and common words ("back", "pain") then wake few phrases.
        let mut uses = vec![0usize; vocab.len()];
        for &term in phrases.iter().flat_map(|p| p.slots.iter().flatten()) {
            uses[term] += 1;
        }
        let mut by_term = vec![Vec::new(); vocab.len()];
        for (index, phrase) in phrases.iter().enumerate() {
            let anchor = phrase
                .slots
                .iter()
                .min_by_key(|slot| slot.iter().map(|&t| uses[t]).sum::<usize>());
            for &term in anchor.into_iter().flatten() {
                if by_term[term].last() != Some(&index) {
                    by_term[term].push(index);
                }
            }
        }
        Triage {
            vocab,
            phrases,
            by_term,
            flags,
        }
    }

    /// Triages one message. Never fails: any text, any size.
    pub fn check(&self, message: &str) -> Triaged {
        let canonical = text::canonical(message);
        let mut found: HashMap<usize, (usize, Vec<String>)> = HashMap::new();
        self.scan(&canonical, Markdown::Join, &mut found);
        // "numb**legs" and "numb_legs" only read right with markdown as a separator; both
        // readings are triaged and their hits combined, since a miss is never acceptable.
        if text::markdown_splits_a_word(&canonical) {
            self.scan(&canonical, Markdown::Split, &mut found);
        }
        let mut hits: Vec<FlagHit> = found
            .into_iter()
            .map(|(flag, (phrase, words))| {
                let info = &self.flags[flag];
                FlagHit {
                    id: info.id.clone(),
                    tier: info.tier,
                    matched: self.phrases[phrase].text.clone(),
                    words,
                    noticed: info.noticed.clone(),
                }
            })
            .collect();
        hits.sort_by(|a, b| b.tier.cmp(&a.tier).then_with(|| a.id.cmp(&b.id)));
        Triaged { hits }
    }

    /// Finds the phrases present in one reading of the message, keeping for each flag the
    /// first phrase that matched.
    fn scan(
        &self,
        canonical: &str,
        markdown: Markdown,
        found: &mut HashMap<usize, (usize, Vec<String>)>,
    ) {
        let mut occurrences: Vec<Occurrence> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        let mut position = 0usize;
        let mut terms = Vec::new();
        text::for_each_word(canonical, markdown, |word| {
            terms.clear();
            if self.vocab.classify(word, &mut terms) == Word::Filler {
                return;
            }
            if !terms.is_empty() {
                words.push(word.to_owned());
                for &(term, _) in &terms {
                    occurrences.push(Occurrence {
                        position,
                        term,
                        word: words.len() - 1,
                    });
                }
            }
            position += 1;
        });
        if occurrences.is_empty() {
            return;
        }
        // Most phrases share a word with the message without having all of theirs there
        // ("back", "pain"): rule those out from the set of terms present, before any window.
        let mut present: Vec<TermId> = occurrences.iter().map(|o| o.term).collect();
        present.sort_unstable();
        present.dedup();
        let mut candidates: Vec<usize> = present
            .iter()
            .flat_map(|&term| self.by_term[term].iter().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        // One bit per vocabulary term, so testing a slot's alternatives is a few bit tests.
        let mut bits = vec![0u64; self.vocab.len().div_ceil(64)];
        for &term in &present {
            bits[term / 64] |= 1 << (term % 64);
        }
        let filled = |slot: &Vec<TermId>| slot.iter().any(|&t| bits[t / 64] & (1 << (t % 64)) != 0);
        for index in candidates {
            let phrase = &self.phrases[index];
            if found.contains_key(&phrase.flag) || !phrase.slots.iter().all(filled) {
                continue;
            }
            if let Some(matched) = window_match(&occurrences, phrase) {
                let matched_words = matched.iter().map(|&w| words[w].clone()).collect();
                found.insert(phrase.flag, (index, matched_words));
            }
        }
    }
}

/// A message word recognised as a phrase term.
#[derive(Clone, Copy, Debug)]
struct Occurrence {
    /// Position among the message's content (non-filler) words.
    position: usize,
    term: TermId,
    /// Index of the word as written.
    word: usize,
}

/// Looks for every slot of the phrase filled within a window of `slots + gap` content
/// words. Returns the indices of the matched words.
fn window_match(occurrences: &[Occurrence], phrase: &Phrase) -> Option<Vec<usize>> {
    let need = phrase.slots.len();
    let span = need + phrase.gap;
    // Phrases have a handful of slots: count them on the stack, not in a new vector.
    let mut stack = [0u32; 16];
    let mut heap = Vec::new();
    let counts: &mut [u32] = if need <= stack.len() {
        &mut stack[..need]
    } else {
        heap.resize(need, 0);
        &mut heap
    };
    let mut distinct = 0;
    let mut start = 0;
    for end in 0..occurrences.len() {
        let Some(slot) = slot_of(phrase, occurrences[end].term) else {
            continue;
        };
        counts[slot] += 1;
        if counts[slot] == 1 {
            distinct += 1;
        }
        while occurrences[end].position - occurrences[start].position >= span {
            if let Some(slot) = slot_of(phrase, occurrences[start].term) {
                counts[slot] -= 1;
                if counts[slot] == 0 {
                    distinct -= 1;
                }
            }
            start += 1;
        }
        if distinct == need {
            let mut words: Vec<usize> = occurrences[start..=end]
                .iter()
                .filter(|o| slot_of(phrase, o.term).is_some())
                .map(|o| o.word)
                .collect();
            words.dedup();
            return Some(words);
        }
    }
    None
}

fn slot_of(phrase: &Phrase, term: TermId) -> Option<usize> {
    // Each slot's terms are sorted when the phrase is built.
    phrase
        .slots
        .iter()
        .position(|slot| slot.binary_search(&term).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triage() -> Triage {
        Triage::new(&RedFlags::floor())
    }

    fn tier(message: &str) -> Option<Tier> {
        triage().check(message).tier()
    }

    #[test]
    fn numb_is_a_whole_word_not_part_of_number() {
        assert_eq!(tier("what number of reps should I do?"), None);
        assert!(tier("my foot went numb").is_some());
    }

    #[test]
    fn inflections_and_one_letter_typos_match() {
        for message in [
            "numbness in my foot",
            "tingling toes",
            "a bit of numbnes",
            "tinglng leg",
        ] {
            assert!(tier(message).is_some(), "{message}");
        }
    }

    #[test]
    fn negated_mentions_still_escalate() {
        assert!(tier("no numbness, just curious").is_some());
    }

    #[test]
    fn markdown_zero_width_and_case_do_not_hide_a_flag() {
        for message in [
            "**NUMB**ness",
            "||numb||",
            "> numb\u{200b}ness",
            "`numb`",
            "__Numb__",
        ] {
            assert!(tier(message).is_some(), "{message}");
        }
    }

    #[test]
    fn highest_tier_comes_first() {
        let triaged = triage().check("my leg is numb and I wet myself, lost bladder control");
        assert_eq!(triaged.tier(), Some(Tier::Emergency));
        assert!(triaged.hits.len() >= 2);
    }

    #[test]
    fn everyday_back_care_questions_do_not_escalate() {
        for message in [
            "my lower back has a dull ache",
            "tight after deadlifts",
            "does cracking help mobility",
        ] {
            assert_eq!(tier(message), None, "{message}");
        }
    }

    #[test]
    fn alternatives_fill_a_slot() {
        assert_eq!(
            phrase_slots("numb|tingling both-legs can't"),
            [
                vec!["numb".to_owned(), "tingling".to_owned()],
                vec!["both".to_owned()],
                vec!["legs".to_owned()],
                vec!["cant".to_owned()],
            ]
        );
        let flags = crate::knowledge::RedFlags {
            flags: vec![crate::knowledge::Flag {
                id: "x".into(),
                tier: Tier::Urgent,
                noticed: "x".into(),
                gap: None,
                phrases: vec!["numb|tingly groin|crotch".into()],
            }],
            ..RedFlags::floor()
        };
        let triage = Triage::new(&flags);
        assert!(triage
            .check("my crotch feels tingly")
            .hits
            .iter()
            .any(|h| h.id == "x"));
        assert!(!triage
            .check("my crotch feels fine")
            .hits
            .iter()
            .any(|h| h.id == "x"));
    }

    #[test]
    fn words_too_far_apart_do_not_form_a_phrase() {
        let phrase = Phrase {
            flag: 0,
            text: "a b".into(),
            slots: vec![vec![0], vec![1]],
            gap: 1,
        };
        let at = |position, term| Occurrence {
            position,
            term,
            word: position,
        };
        assert!(window_match(&[at(0, 0), at(2, 1)], &phrase).is_some());
        assert!(window_match(&[at(0, 0), at(3, 1)], &phrase).is_none());
    }
}
