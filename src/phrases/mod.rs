//! Named groups of words and short phrases, and finding them in a message: shared by triage
//! (red-flag concepts) and search (scope, conditions, everyday words).
//!
//! A group word matches by its stem and irregular forms, or as a typo of a word that is not a
//! real word; a phrase matches its words in order, with the message's own filler words allowed
//! between them. Owns no meaning: what a group stands for is the caller's business.

mod lexicon;

use std::ops::Range;

use crate::text::{self, Markdown};

pub use lexicon::{Lexicon, TermId};

/// A group's number, as the caller gave it.
pub type GroupId = usize;

/// One word or phrase of a group, as terms.
struct Entry {
    group: GroupId,
    terms: Vec<TermId>,
    /// Its words side by side, with no other word between ("back seat" is not "back from my
    /// seat").
    adjacent: bool,
}

/// The phrases of every group, compiled. Built once per knowledge load.
#[derive(Default)]
pub struct Phrases {
    lexicon: Lexicon,
    entries: Vec<Entry>,
    /// The entries as a tree of their terms: a message's common words ("not", "the", "on")
    /// start dozens of phrases, and the tree tries each next word once for all of them.
    nodes: Vec<Node>,
    /// For each term, the node of the entries that start with it (`NO_NODE` for none).
    first: Vec<u32>,
}

/// A node of [`Phrases::nodes`]: the entries whose terms so far lead here.
#[derive(Default)]
struct Node {
    /// The next term of longer entries, and its node, sorted by term.
    next: Vec<(TermId, u32)>,
    /// The entries that end here, by index, and whether each is adjacent.
    ends: Vec<(u32, bool)>,
}

const NO_NODE: u32 = u32::MAX;

/// A group's word or phrase found in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub group: GroupId,
    /// Positions among the message's content (non-filler) words of its first and last word.
    pub first: u32,
    pub last: u32,
    /// Where it is in the canonical text.
    pub span: Range<usize>,
    /// Taken out of the count by the caller (a figurative use, say).
    pub quiet: bool,
}

/// One word of a message that stands for at least one term.
struct Token {
    /// Position among the message's content (non-filler) words.
    position: u32,
    filler: bool,
    /// The terms this word may stand for, in the search's term buffer.
    terms: Range<u32>,
    /// Where the word is in the canonical text.
    span: Range<usize>,
}

/// Buffers for [`Phrases::find`], reused from one message to the next.
#[derive(Default)]
pub struct Found {
    tokens: Vec<Token>,
    terms: Vec<TermId>,
    /// What the last search found, in message order.
    pub occurrences: Vec<Occurrence>,
}

impl Phrases {
    pub fn new() -> Phrases {
        Phrases::default()
    }

    /// Phrases of a language other than English, with its filler words.
    pub fn for_lang(lang: crate::language::Lang, filler: &[String]) -> Phrases {
        Phrases {
            lexicon: Lexicon::for_lang(lang, filler),
            ..Phrases::default()
        }
    }

    /// Reads regional spellings as their standard word (see [`Lexicon::read_as`]); call it
    /// before adding words.
    pub fn read_as(&mut self, spellings: &std::collections::BTreeMap<String, Vec<String>>) {
        self.lexicon.read_as(spellings);
    }

    /// Adds a word or phrase to `group`. `as_written` matches it exactly, without stemming
    /// ("legs" is then not "leg").
    pub fn add(&mut self, group: GroupId, phrase: &str, as_written: bool) {
        self.add_entry(group, phrase, as_written, false);
    }

    /// Adds a phrase whose words must stand side by side, with not even a filler word
    /// between them that the phrase does not name: for idioms ("back seat", "get back to").
    pub fn add_adjacent(&mut self, group: GroupId, phrase: &str) {
        self.add_entry(group, phrase, false, true);
    }

    fn add_entry(&mut self, group: GroupId, phrase: &str, as_written: bool, adjacent: bool) {
        let terms = self.lexicon.add_phrase(phrase, as_written);
        if !terms.is_empty() {
            self.entries.push(Entry {
                group,
                terms,
                adjacent,
            });
        }
    }

    /// Builds the lookup tables once every phrase is in.
    pub fn finish(&mut self) {
        self.lexicon.finish();
        let mut first = vec![NO_NODE; self.lexicon.len()];
        let mut nodes: Vec<Node> = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let mut node = match first[entry.terms[0]] {
                NO_NODE => {
                    nodes.push(Node::default());
                    first[entry.terms[0]] = (nodes.len() - 1) as u32;
                    nodes.len() - 1
                }
                node => node as usize,
            };
            for &term in &entry.terms[1..] {
                node = match nodes[node].next.binary_search_by_key(&term, |&(t, _)| t) {
                    Ok(at) => nodes[node].next[at].1 as usize,
                    Err(at) => {
                        nodes.push(Node::default());
                        let child = (nodes.len() - 1) as u32;
                        nodes[node].next.insert(at, (term, child));
                        child as usize
                    }
                };
            }
            nodes[node].ends.push((index as u32, entry.adjacent));
        }
        self.nodes = nodes;
        self.first = first;
    }

    /// True when `word` (canonical, one word) is a word of one of the groups, or an
    /// inflection of one.
    pub fn knows(&self, word: &str) -> bool {
        self.lexicon.knows(word)
    }

    /// Finds every group word and phrase in one reading of canonical text (see
    /// [`text::canonical`]), into `found.occurrences`. Returns true when a markdown marker
    /// stood inside a word, so the other reading may find other words.
    pub fn find(&self, canonical: &str, markdown: Markdown, found: &mut Found) -> bool {
        self.find_with(canonical, markdown, found, Typos::On)
    }

    /// [`Phrases::find`], with English typo tolerance as `typos` says: off for a message in
    /// another language ("pied" is French, not a typo), and never for a name.
    pub fn find_with(
        &self,
        canonical: &str,
        markdown: Markdown,
        found: &mut Found,
        typos: Typos<'_>,
    ) -> bool {
        let Found {
            tokens,
            terms,
            occurrences,
        } = found;
        tokens.clear();
        terms.clear();
        occurrences.clear();
        // Only words that stand for a term are kept; positions still count every content
        // word, so phrases and the caller's windows see the gaps.
        let mut position = 0u32;
        // Whether capitals mark names in this message, worked out at the first word that
        // may be a typo: most messages have none.
        let names_stand_out = std::cell::Cell::new(None);
        let joined = text::for_each_word_at(canonical, markdown, |word, span| {
            let start = terms.len() as u32;
            let filler = match typos {
                Typos::Off => self.lexicon.classify(word, terms, false),
                Typos::On => self.lexicon.classify(word, terms, true),
                Typos::ExceptNames(original) => {
                    self.lexicon.classify_unless(word, terms, true, || {
                        let stand_out = names_stand_out.get().unwrap_or_else(|| {
                            let stand_out = text::names_stand_out(original);
                            names_stand_out.set(Some(stand_out));
                            stand_out
                        });
                        stand_out && text::is_name_at(original, span.clone())
                    })
                }
            };
            if terms.len() as u32 > start {
                tokens.push(Token {
                    position,
                    filler,
                    terms: start..terms.len() as u32,
                    span,
                });
            }
            if !filler {
                position += 1;
            }
        });
        let mut matched: Vec<(u32, usize)> = Vec::new();
        let walk = Walk {
            canonical,
            tokens,
            terms,
            nodes: &self.nodes,
        };
        for (index, token) in tokens.iter().enumerate() {
            for &term in &terms[token.terms.start as usize..token.terms.end as usize] {
                let node = self.first[term];
                if node == NO_NODE {
                    continue;
                }
                walk.from(node as usize, index, true, &mut matched);
                // In the order of the entries, as one entry at a time would find them.
                matched.sort_unstable();
                for &(entry, last) in &matched {
                    let entry = &self.entries[entry as usize];
                    occurrences.push(Occurrence::new(entry.group, tokens, index, last));
                }
                matched.clear();
            }
        }
        joined
    }
}

/// Where English typo tolerance applies when finding words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typos<'a> {
    /// No word is a typo: the message is in another language.
    Off,
    /// Any unknown word may be a typo.
    On,
    /// Any unknown word may be a typo, except a name: a capitalised word inside a sentence of
    /// the original message ("my niece Cerys came up", "a walk on the Nore"), which is
    /// byte for byte the canonical text before lower-casing (see [`text::is_name_at`]), in a
    /// message where capitals stand out ([`text::names_stand_out`]).
    ExceptNames(&'a str),
}

/// Following [`Phrases::nodes`] through a message's tokens.
struct Walk<'a> {
    canonical: &'a str,
    tokens: &'a [Token],
    terms: &'a [TermId],
    nodes: &'a [Node],
}

impl Walk<'_> {
    /// Collects into `matched` every entry under `node`, whose terms so far ended at token
    /// `at`, with the token of its last word. `gapless`: no word stood between the terms so
    /// far (what an adjacent entry needs). The message's filler words that an entry does not
    /// name may stand between its words; the first word with the entry's next term is the
    /// one it takes.
    fn from(&self, node: usize, at: usize, gapless: bool, matched: &mut Vec<(u32, usize)>) {
        let node = &self.nodes[node];
        for &(entry, adjacent) in &node.ends {
            if gapless || !adjacent {
                matched.push((entry, at));
            }
        }
        if node.next.is_empty() {
            return;
        }
        let previous = &self.tokens[at];
        // The position the next content word must have.
        let expect = previous.position + u32::from(!previous.filler);
        // Terms already taken by an earlier word of this run of filler words.
        let mut taken: Vec<TermId> = Vec::new();
        for next in at + 1..self.tokens.len() {
            let token = &self.tokens[next];
            if token.position != expect {
                return;
            }
            for &term in &self.terms[token.terms.start as usize..token.terms.end as usize] {
                if taken.contains(&term) {
                    continue;
                }
                if let Ok(i) = node.next.binary_search_by_key(&term, |&(t, _)| t) {
                    taken.push(term);
                    let between = &self.canonical[previous.span.end..token.span.start];
                    // A phrase is told within one sentence: "new mattress or not? mine's
                    // saggy" is no "not mine". A point inside a number ("38.5") ends nothing.
                    if text::ends_a_sentence(between) {
                        continue;
                    }
                    let gapless = gapless && !between.chars().any(char::is_alphanumeric);
                    self.from(node.next[i].1 as usize, next, gapless, matched);
                }
            }
            if !token.filler {
                return;
            }
        }
    }
}

impl Occurrence {
    fn new(group: GroupId, tokens: &[Token], first: usize, last: usize) -> Occurrence {
        let content = tokens[first..=last].iter().filter(|t| !t.filler);
        let (from, to) = content.fold((None, 0), |(from, _), t| {
            (from.or(Some(t.position)), t.position)
        });
        let from = from.unwrap_or(tokens[first].position);
        Occurrence {
            group,
            first: from,
            last: to.max(from),
            span: tokens[first].span.start..tokens[last].span.end,
            quiet: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(phrases: &Phrases, message: &str) -> Vec<(GroupId, String)> {
        let canonical = text::canonical(message);
        let mut found = Found::default();
        phrases.find(&canonical, Markdown::Join, &mut found);
        found
            .occurrences
            .iter()
            .map(|o| (o.group, canonical[o.span.clone()].to_owned()))
            .collect()
    }

    #[test]
    fn phrases_match_in_order_with_filler_between_and_words_by_stem() {
        let mut phrases = Phrases::new();
        phrases.add(0, "pins and needles", false);
        phrases.add(1, "can't feel", false);
        phrases.add(2, "all the time", false);
        phrases.finish();
        assert_eq!(found(&phrases, "Pins & needles"), []);
        assert_eq!(
            found(&phrases, "pins and needles, I cant really feel it"),
            [
                (0, "pins and needles".into()),
                (1, "cant really feel".into())
            ]
        );
        assert_eq!(found(&phrases, "it clicks the odd time"), []);
        assert_eq!(
            found(&phrases, "all the time"),
            [(2, "all the time".into())]
        );
        assert_eq!(found(&phrases, "feel can't"), []);
    }

    #[test]
    fn a_phrase_is_told_within_one_sentence() {
        let mut phrases = Phrases::new();
        phrases.add(0, "not mine", false);
        phrases.add(1, "38 5", false);
        phrases.finish();
        assert_eq!(
            found(&phrases, "my legs feel not mine"),
            [(0, "not mine".into())]
        );
        // A question mark, a full stop or a new line between ends the phrase...
        assert_eq!(found(&phrases, "new mattress or not? mine is saggy"), []);
        assert_eq!(found(&phrases, "or not. mine is saggy"), []);
        assert_eq!(found(&phrases, "or not\nmine is saggy"), []);
        // ...a point inside a number does not.
        assert_eq!(found(&phrases, "temp 38.5 tonight"), [(1, "38.5".into())]);
    }

    #[test]
    fn adjacent_phrases_take_no_word_between() {
        let mut phrases = Phrases::new();
        phrases.add_adjacent(0, "back seat");
        phrases.add_adjacent(1, "get back to");
        phrases.finish();
        assert_eq!(
            found(&phrases, "in the back seat"),
            [(0, "back seat".into())]
        );
        assert_eq!(found(&phrases, "for my back from my seat"), []);
        assert_eq!(
            found(&phrases, "ill get back to you"),
            [(1, "get back to".into())]
        );
        assert_eq!(found(&phrases, "get my back to"), []);
    }
}
