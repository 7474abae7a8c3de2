//! Red-flag triage: does a message mention a warning sign, which tier does it reach, and
//! how strong is the evidence?
//!
//! Runs on every message before any search. A message's words are reduced to terms
//! ([`morph`]), terms make up the words and phrases of named groups, groups combine into
//! each flag's rules within a window of words, and figurative uses ("mind-numbing") take a
//! word out of the count where they appear. Negation is deliberately ignored: "no numbness"
//! still escalates. It errs towards false alarms; it must never miss.

mod lexicon;

use std::ops::Range;

use serde::Serialize;

use crate::knowledge::{RedFlags, Tier};
use crate::text::{self, Markdown};

pub use crate::morph::{within_one_edit, Morph};
pub use lexicon::{Lexicon, TermId};

/// How much evidence a message needs before it gets a seek-care reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// One word that counts on its own ("numb", "fever"): enough when someone asked the bot.
    Weak,
    /// A symptom with a body site, two concepts together, or any emergency concept: enough
    /// to reply in a watched channel where nobody asked.
    Strong,
}

/// One matched word of a message, and the group it counted for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// The member's word (or phrase) as read.
    pub words: String,
    pub group: String,
}

/// One red flag found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagHit {
    pub id: String,
    pub tier: Tier,
    /// The member's own words that revealed it, from the first matched word to the last.
    pub matched: String,
    /// The rule that matched, as written in the red-flag file.
    pub rule: String,
    pub confidence: Confidence,
    /// Each matched word and its group, for `--explain`.
    pub evidence: Vec<Evidence>,
    /// What the reply says the member mentioned.
    #[serde(skip)]
    pub noticed: String,
}

/// A word that did not count because of a figurative use around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quieted {
    /// The member's word, as read.
    pub words: String,
    pub group: String,
    /// The nearby words that made it figurative.
    pub near: String,
}

/// The outcome of triaging one message: hits, highest tier first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triaged {
    pub hits: Vec<FlagHit>,
    /// Words taken out of the count by figurative uses, for `--explain`.
    pub quieted: Vec<Quieted>,
}

impl Triaged {
    /// The highest tier reached, if any flag matched.
    pub fn tier(&self) -> Option<Tier> {
        self.hits.first().map(|h| h.tier)
    }

    pub fn is_red_flag(&self) -> bool {
        !self.hits.is_empty()
    }

    /// The strongest evidence among the hits.
    pub fn confidence(&self) -> Option<Confidence> {
        self.hits.iter().map(|h| h.confidence).max()
    }

    /// Only the hits with at least `confidence`.
    pub fn at_least(mut self, confidence: Confidence) -> Triaged {
        self.hits.retain(|h| h.confidence >= confidence);
        self
    }
}

/// One word or phrase of a group, as terms.
struct Entry {
    group: GroupId,
    terms: Vec<TermId>,
}

type GroupId = usize;

struct CompiledRule {
    flag: usize,
    groups: Vec<GroupId>,
    within: usize,
    strong: bool,
    text: String,
}

struct CompiledFigurative {
    quiets: GroupId,
    /// A group of its own, holding the `near` words.
    near: GroupId,
    within: usize,
}

struct FlagInfo {
    id: String,
    tier: Tier,
    noticed: String,
}

/// The compiled matcher for a set of red flags. Built once per knowledge load.
pub struct Triage {
    lexicon: Lexicon,
    entries: Vec<Entry>,
    /// For each term, the entries that start with it.
    starting: Vec<Vec<usize>>,
    group_names: Vec<String>,
    rules: Vec<CompiledRule>,
    /// For each group, the rules anchored on it (each rule under its least common group).
    anchored: Vec<Vec<usize>>,
    figurative: Vec<CompiledFigurative>,
    flags: Vec<FlagInfo>,
}

impl Triage {
    pub fn new(red_flags: &RedFlags) -> Triage {
        let mut lexicon = Lexicon::new();
        let mut group_names: Vec<String> = Vec::new();
        let mut entries = Vec::new();
        let mut add_group =
            |name: &str, words: &[String], as_written: bool, lexicon: &mut Lexicon| {
                let id = group_names.len();
                group_names.push(name.to_owned());
                for written in words {
                    let terms = lexicon.add_phrase(written, as_written);
                    if !terms.is_empty() {
                        entries.push(Entry { group: id, terms });
                    }
                }
                id
            };
        let mut by_name = std::collections::HashMap::new();
        for group in &red_flags.groups {
            let id = add_group(&group.name, &group.words, group.as_written, &mut lexicon);
            by_name.insert(group.name.as_str(), id);
        }
        let mut figurative = Vec::new();
        for entry in &red_flags.figurative {
            let Some(&quiets) = by_name.get(entry.quiets.as_str()) else {
                continue;
            };
            let near = add_group(
                &format!("near {}", entry.quiets),
                &entry.near,
                false,
                &mut lexicon,
            );
            figurative.push(CompiledFigurative {
                quiets,
                near,
                within: entry.within,
            });
        }
        lexicon.finish();

        let mut flags = Vec::new();
        let mut rules = Vec::new();
        for (index, flag) in red_flags.flags.iter().enumerate() {
            flags.push(FlagInfo {
                id: flag.id.clone(),
                tier: flag.tier,
                noticed: flag.noticed.clone(),
            });
            for rule in &flag.rules {
                let groups: Option<Vec<GroupId>> = rule
                    .groups
                    .iter()
                    .map(|g| by_name.get(g.as_str()).copied())
                    .collect();
                // Unknown groups are refused when the file is read; a rule that still names
                // one is skipped rather than matched wrongly.
                if let Some(groups) = groups {
                    rules.push(CompiledRule {
                        flag: index,
                        groups,
                        within: rule.within,
                        strong: rule.is_strong(flag.tier),
                        text: rule.to_string(),
                    });
                }
            }
        }
        // Strong rules first, so a flag's hit carries its strongest evidence.
        rules.sort_by_key(|r| !r.strong);

        let group_count = group_names.len();
        let mut size = vec![0usize; group_count];
        for entry in &entries {
            size[entry.group] += 1;
        }
        let mut uses = vec![0usize; group_count];
        for rule in &rules {
            for &g in &rule.groups {
                uses[g] += 1;
            }
        }
        let mut anchored = vec![Vec::new(); group_count];
        for (index, rule) in rules.iter().enumerate() {
            if let Some(&anchor) = rule.groups.iter().min_by_key(|&&g| (uses[g], size[g])) {
                anchored[anchor].push(index);
            }
        }
        let mut starting = vec![Vec::new(); lexicon.len()];
        for (index, entry) in entries.iter().enumerate() {
            starting[entry.terms[0]].push(index);
        }
        Triage {
            lexicon,
            entries,
            starting,
            group_names,
            rules,
            anchored,
            figurative,
            flags,
        }
    }

    /// Triages one message. Never fails: any text, any size. Every hit is returned with its
    /// confidence; [`Triaged::at_least`] keeps the strong ones for watched channels.
    pub fn check(&self, message: &str) -> Triaged {
        let canonical = text::canonical(message);
        let mut found: Vec<Option<FlagHit>> = vec![None; self.flags.len()];
        let mut quieted = Vec::new();
        self.scan(&canonical, Markdown::Join, &mut found, &mut quieted);
        // "numb**legs" and "numb_legs" only read right with markdown as a separator; both
        // readings are triaged and their hits combined, since a miss is never acceptable.
        if text::markdown_splits_a_word(&canonical) {
            self.scan(&canonical, Markdown::Split, &mut found, &mut quieted);
        }
        quieted.dedup();
        let mut hits: Vec<FlagHit> = found.into_iter().flatten().collect();
        hits.sort_by(|a, b| {
            b.tier
                .cmp(&a.tier)
                .then_with(|| b.confidence.cmp(&a.confidence))
                .then_with(|| a.id.cmp(&b.id))
        });
        Triaged { hits, quieted }
    }

    /// Finds the flags present in one reading of the message, keeping for each flag its
    /// strongest hit.
    fn scan(
        &self,
        canonical: &str,
        markdown: Markdown,
        found: &mut [Option<FlagHit>],
        quieted: &mut Vec<Quieted>,
    ) {
        let mut tokens: Vec<Token> = Vec::new();
        let mut terms: Vec<TermId> = Vec::new();
        let mut position = 0u32;
        let mut any = false;
        text::for_each_word_at(canonical, markdown, |word, span| {
            let filler = text::is_filler(word);
            let start = terms.len() as u32;
            self.lexicon.lookup(word, filler, &mut terms);
            any |= terms.len() as u32 > start;
            tokens.push(Token {
                position,
                filler,
                terms: start..terms.len() as u32,
                span,
            });
            if !filler {
                position += 1;
            }
        });
        if !any {
            return;
        }
        let mut occurrences: Vec<Occurrence> = Vec::new();
        for (index, token) in tokens.iter().enumerate() {
            for &term in &terms[token.terms.start as usize..token.terms.end as usize] {
                for &entry in &self.starting[term] {
                    if let Some(last) =
                        self.match_entry(&tokens, &terms, index, &self.entries[entry])
                    {
                        occurrences.push(Occurrence::new(
                            self.entries[entry].group,
                            &tokens,
                            index,
                            last,
                        ));
                    }
                }
            }
        }
        if occurrences.is_empty() {
            return;
        }
        for (index, near) in self.quiet_figurative(&mut occurrences) {
            let occurrence = &occurrences[index];
            quieted.push(Quieted {
                words: quote(&canonical[occurrence.span.clone()]),
                group: self.group_names[occurrence.group].clone(),
                near: quote(&canonical[near]),
            });
        }
        let mut present = vec![false; self.group_names.len()];
        for occurrence in occurrences.iter().filter(|o| !o.quiet) {
            present[occurrence.group] = true;
        }
        for group in 0..present.len() {
            if !present[group] {
                continue;
            }
            for &index in &self.anchored[group] {
                let rule = &self.rules[index];
                let done = found[rule.flag]
                    .as_ref()
                    .is_some_and(|hit| hit.confidence == Confidence::Strong || !rule.strong);
                if done || !rule.groups.iter().all(|&g| present[g]) {
                    continue;
                }
                if let Some(chosen) = window(&occurrences, rule) {
                    found[rule.flag] = Some(self.hit(rule, &occurrences, &chosen, canonical));
                }
            }
        }
    }

    /// Matches the entry's words from token `first` on, skipping filler words of the message
    /// that the entry does not name. Returns the last token matched.
    fn match_entry(
        &self,
        tokens: &[Token],
        terms: &[TermId],
        first: usize,
        entry: &Entry,
    ) -> Option<usize> {
        let mut at = first;
        for &want in &entry.terms[1..] {
            at += 1;
            loop {
                let token = tokens.get(at)?;
                if terms[token.terms.start as usize..token.terms.end as usize].contains(&want) {
                    break;
                }
                if !token.filler {
                    return None;
                }
                at += 1;
            }
        }
        Some(at)
    }

    /// Marks the occurrences that figurative uses take out of the count, returning each
    /// with the span of the words that made it figurative.
    fn quiet_figurative(&self, occurrences: &mut [Occurrence]) -> Vec<(usize, Range<usize>)> {
        let mut quieted = Vec::new();
        for figurative in &self.figurative {
            let near: Vec<(u32, u32, Range<usize>)> = occurrences
                .iter()
                .filter(|o| o.group == figurative.near)
                .map(|o| (o.first, o.last, o.span.clone()))
                .collect();
            if near.is_empty() {
                continue;
            }
            for (index, occurrence) in occurrences.iter_mut().enumerate() {
                if occurrence.group != figurative.quiets || occurrence.quiet {
                    continue;
                }
                let close = near
                    .iter()
                    .find(|(first, last, _)| gap(*first, *last, occurrence) <= figurative.within);
                if let Some((_, _, span)) = close {
                    occurrence.quiet = true;
                    quieted.push((index, span.clone()));
                }
            }
        }
        quieted
    }

    fn hit(
        &self,
        rule: &CompiledRule,
        occurrences: &[Occurrence],
        chosen: &[usize],
        canonical: &str,
    ) -> FlagHit {
        let info = &self.flags[rule.flag];
        let mut parts: Vec<&Occurrence> = chosen.iter().map(|&i| &occurrences[i]).collect();
        parts.sort_by_key(|o| o.span.start);
        let evidence: Vec<Evidence> = parts
            .iter()
            .map(|o| Evidence {
                words: quote(&canonical[o.span.clone()]),
                group: self.group_names[o.group].clone(),
            })
            .collect();
        let from = parts.iter().map(|o| o.span.start).min().unwrap_or(0);
        let to = parts.iter().map(|o| o.span.end).max().unwrap_or(0);
        // The member's own words from the first matched to the last, unless they are far
        // apart: then only the matched words.
        let matched = match canonical.get(from..to) {
            Some(between) if between.chars().count() <= MAX_QUOTE_CHARS => quote(between),
            _ => evidence
                .iter()
                .map(|e| e.words.as_str())
                .collect::<Vec<_>>()
                .join(" … "),
        };
        FlagHit {
            id: info.id.clone(),
            tier: info.tier,
            matched,
            rule: rule.text.clone(),
            confidence: if rule.strong {
                Confidence::Strong
            } else {
                Confidence::Weak
            },
            evidence,
            noticed: info.noticed.clone(),
        }
    }
}

/// The longest stretch of a message quoted back whole.
const MAX_QUOTE_CHARS: usize = 60;

/// Text as quoted to the member: markdown markers and line breaks become spaces.
fn quote(text: &str) -> String {
    let plain: String = text
        .chars()
        .map(|c| {
            if text::is_markdown_marker(c) || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// One word of a message.
struct Token {
    /// Position among the message's content (non-filler) words: windows count these.
    position: u32,
    filler: bool,
    /// The terms this word may stand for, in the scan's term buffer.
    terms: Range<u32>,
    /// Where the word is in the canonical text.
    span: Range<usize>,
}

/// A group's word or phrase found in a message.
#[derive(Debug, Clone)]
struct Occurrence {
    group: GroupId,
    /// Content positions of its first and last word.
    first: u32,
    last: u32,
    /// Where it is in the canonical text.
    span: Range<usize>,
    /// Taken out of the count by a figurative use.
    quiet: bool,
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

/// Words between two occurrences, counted between their nearest words (1 when they touch
/// or overlap).
fn gap(first: u32, last: u32, other: &Occurrence) -> usize {
    let start = first.max(other.first);
    let end = last.min(other.last);
    (start.saturating_sub(end)) as usize + 1
}

/// One occurrence of each of the rule's groups, all within its window and each on words of
/// its own, if there are.
///
/// A window counts each group's word or phrase as one ("pins and needles" is one item)
/// plus the other content words between them: "numb + leg within 3" matches "numb in my
/// left leg" (numb, left, leg). Occurrences come in message order.
fn window(occurrences: &[Occurrence], rule: &CompiledRule) -> Option<Vec<usize>> {
    let relevant: Vec<usize> = occurrences
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.quiet && rule.groups.contains(&o.group))
        .map(|(i, _)| i)
        .collect();
    if rule.groups.len() == 1 {
        return relevant.first().map(|&i| vec![i]);
    }
    let within = rule.within as u32;
    let reach = within + MAX_ENTRY_WORDS * rule.groups.len() as u32;
    let mut candidates: Vec<Vec<usize>> = vec![Vec::new(); rule.groups.len()];
    let mut chosen = Vec::with_capacity(rule.groups.len());
    for (at, &anchor) in relevant.iter().enumerate() {
        // The anchor starts first; the others start at or after it, within reach.
        let from = occurrences[anchor].first;
        candidates.iter_mut().for_each(Vec::clear);
        for &index in &relevant[at..] {
            let occurrence = &occurrences[index];
            if occurrence.first >= from + reach {
                break;
            }
            if let Some(slot) = rule.groups.iter().position(|&g| g == occurrence.group) {
                // One candidate per stretch of words: the same group found twice on the
                // same words (two entries) adds nothing to try.
                let same = |&c: &usize| occurrences[c].span == occurrence.span;
                if !candidates[slot].iter().any(same) {
                    candidates[slot].push(index);
                }
            }
        }
        chosen.clear();
        if candidates.iter().all(|c| !c.is_empty())
            && pick(occurrences, &candidates, within, &mut chosen)
        {
            return Some(chosen);
        }
    }
    None
}

/// Picks one candidate per slot, no two on the same words ("comes out" cannot be both the
/// leak and the trouble with it), fitting the window.
fn pick(
    occurrences: &[Occurrence],
    candidates: &[Vec<usize>],
    within: u32,
    chosen: &mut Vec<usize>,
) -> bool {
    let Some(slot) = candidates.get(chosen.len()) else {
        return items(occurrences, chosen) <= within;
    };
    for &index in slot {
        let span = &occurrences[index].span;
        if chosen.iter().any(|&c| occurrences[c].span == *span) {
            continue;
        }
        chosen.push(index);
        if items(occurrences, chosen) <= within + MAX_ENTRY_WORDS
            && pick(occurrences, candidates, within, chosen)
        {
            return true;
        }
        chosen.pop();
    }
    false
}

/// The window the chosen occurrences take: content words from the first to the last, with
/// each occurrence's phrase counted as one.
fn items(occurrences: &[Occurrence], chosen: &[usize]) -> u32 {
    let first = chosen
        .iter()
        .map(|&c| occurrences[c].first)
        .min()
        .unwrap_or(0);
    let last = chosen
        .iter()
        .map(|&c| occurrences[c].last)
        .max()
        .unwrap_or(0);
    let inner: u32 = chosen
        .iter()
        .map(|&c| occurrences[c].last - occurrences[c].first)
        .sum();
    (last - first + 1).saturating_sub(inner).max(1)
}

/// The longest group entry, in content words, that windows allow for.
const MAX_ENTRY_WORDS: u32 = 8;
