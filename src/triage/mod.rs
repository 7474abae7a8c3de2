//! Red-flag triage: does a message mention a warning sign, which tier does it reach, and
//! how strong is the evidence?
//!
//! Runs on every message before any search. A message's words are reduced to terms
//! ([`morph`]), terms make up the words and phrases of named groups, groups combine into
//! each flag's rules within a window of words, and figurative uses ("mind-numbing") take a
//! word out of the count where they appear. Negation is deliberately ignored: "no numbness"
//! still escalates. It errs towards false alarms; it must never miss.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

use serde::Serialize;

use crate::knowledge::{
    Knowledge, RedFlags, Tier, NOT_WHO_WITHIN, STORY_WITHIN, SUBJECT_WITHIN, TOPIC_BREAK,
    WHO_WITHIN,
};
use crate::language::{Detected, Detector, Lang};
use crate::text::{self, Markdown};

pub use crate::morph::{within_one_edit, Morph};
use crate::phrases::{Found, GroupId, Occurrence, Phrases, Typos};

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
    pub group: Arc<str>,
    /// Where it is in the message as read (canonical text).
    #[serde(skip)]
    pub span: Range<usize>,
}

/// One red flag found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlagHit {
    pub id: Arc<str>,
    pub tier: Tier,
    /// The member's own words that revealed it, from the first matched word to the last.
    pub matched: String,
    /// The rule that matched, as written in the red-flag file.
    pub rule: Arc<str>,
    pub confidence: Confidence,
    /// Each matched word and its group, for `--explain`.
    pub evidence: Vec<Evidence>,
    /// What the reply says the member mentioned.
    #[serde(skip)]
    pub noticed: Arc<str>,
}

/// A word that did not count because of a figurative use around it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Quieted {
    /// The member's word, as read.
    pub words: String,
    pub group: Arc<str>,
    /// The nearby words that made it figurative.
    pub near: String,
    /// Where the word is in the message as read (canonical text).
    #[serde(skip)]
    pub span: Range<usize>,
}

/// The outcome of triaging one message: hits, highest tier first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triaged {
    pub hits: Vec<FlagHit>,
    /// Words taken out of the count by figurative uses, for `--explain`.
    pub quieted: Vec<Quieted>,
    /// Changes of subject found (`topic_break`: "jokes aside"), in the member's words, for
    /// `--explain`: no rule reached across them.
    pub turns: Vec<String>,
    /// The language of the message: the reply is written in it.
    pub lang: Lang,
    /// Every language the message was read in, English first.
    pub read_in: Vec<Lang>,
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

struct CompiledRule {
    flag: usize,
    groups: Vec<GroupId>,
    within: usize,
    strong: bool,
    text: Arc<str>,
}

struct CompiledFigurative {
    quiets: GroupId,
    /// A group of its own, holding the `near` words.
    near: GroupId,
    within: usize,
    /// Only a word after the near words is quieted.
    after: bool,
    /// Only a word before the near words is quieted.
    before: bool,
    /// Only a word told of someone of this group (a word of it close by) is quieted.
    who: Option<GroupId>,
    /// ...and not with a word of this group close by (the member's own).
    not_who: Option<GroupId>,
    /// Groups whose words within the window keep the word counting.
    not_near: Vec<GroupId>,
}

struct FlagInfo {
    id: Arc<str>,
    tier: Tier,
    noticed: Arc<str>,
}

/// The compiled matcher for a set of red flags. Built once per knowledge load.
pub struct Triage {
    lang: Lang,
    phrases: Phrases,
    group_names: Vec<Arc<str>>,
    rules: Vec<CompiledRule>,
    /// For each group, the rules anchored on it (each rule under its least common group).
    anchored: Vec<Vec<usize>>,
    figurative: Vec<CompiledFigurative>,
    /// For each group, the figurative entries that quiet it, in file order: a message
    /// checks only the entries of the groups it has, not all few hundred.
    quieting: Vec<Vec<u32>>,
    /// The groups some rule uses: words that can be evidence of a red flag. A group named
    /// only as near words ("journey_trip", "all_clear") never is.
    evidence: Vec<bool>,
    flags: Vec<FlagInfo>,
    /// The `topic_break` group, if the file has one: words that change the subject.
    topic_break: Option<GroupId>,
}

/// How far apart a change of subject sets the words on either side of it: wider than any
/// window, so no rule or figurative entry reaches across.
const TOPIC_GAP: u32 = 1_000;

/// Moves every occurrence told after a change of subject ("anyway", `topic_break`) out of
/// reach of those told before it.
/// Returns whether there was one.
fn part_at_topic_breaks(occurrences: &mut [Occurrence], topic_break: GroupId) -> bool {
    if !occurrences.iter().any(|o| o.group == topic_break) {
        return false;
    }
    let breaks: Vec<u32> = occurrences
        .iter()
        .filter(|o| o.group == topic_break)
        .map(|o| o.first)
        .collect();
    // A word inside the turn itself ("back" in "anyway, back question") is told after it.
    for occurrence in occurrences.iter_mut() {
        let after = breaks.iter().filter(|&&at| at <= occurrence.first).count() as u32;
        occurrence.first += after * TOPIC_GAP;
        occurrence.last += after * TOPIC_GAP;
    }
    true
}

/// What one reading noted besides its hits, for `--explain`.
#[derive(Default)]
struct Notes {
    quieted: Vec<Quieted>,
    turns: Vec<String>,
}

impl Triage {
    /// The tables of a language's built-in floor, built once per process: the red-flag
    /// file as shipped is the floor, so every start and every reload of shipped red flags
    /// takes these instead of building its own.
    pub fn floor(lang: Lang) -> Arc<Triage> {
        static BUILT: [std::sync::OnceLock<Arc<Triage>>; Lang::ALL.len()] =
            [const { std::sync::OnceLock::new() }; Lang::ALL.len()];
        Arc::clone(
            BUILT[lang.index()].get_or_init(|| Arc::new(Triage::new(RedFlags::floor_ref(lang)))),
        )
    }

    /// Starts building the English floor's tables on another thread, so that reading the
    /// knowledge folder and opening the index overlap with it: the tables are most of a
    /// start. Whoever needs them first waits for that thread instead of building them again.
    pub fn prewarm_floor() {
        // Without a thread the tables are built when first needed, as before.
        let _ = std::thread::Builder::new()
            .name("red-flag tables".to_owned())
            .spawn(|| drop(Triage::floor(Lang::En)));
    }

    /// The tables for a language's red flags: the floor's when they are the floor.
    pub fn of(red_flags: &RedFlags) -> Arc<Triage> {
        if red_flags == RedFlags::floor_ref(red_flags.lang) {
            Triage::floor(red_flags.lang)
        } else {
            Arc::new(Triage::new(red_flags))
        }
    }

    pub fn new(red_flags: &RedFlags) -> Triage {
        let mut phrases = match red_flags.lang {
            Lang::En => Phrases::new(),
            lang => Phrases::for_lang(lang, &red_flags.language.filler),
        };
        phrases.read_as(&red_flags.language.spellings);
        let mut group_names: Vec<Arc<str>> = Vec::new();
        // How many words each group has: rules are filed under their least common group.
        let mut size: Vec<usize> = Vec::new();
        // Each word with whether it is matched as written ([groups_as_written]).
        let mut add_group = |name: &str, words: &[(&str, bool)], phrases: &mut Phrases| {
            let id = group_names.len();
            group_names.push(name.into());
            size.push(words.len());
            for &(written, as_written) in words {
                phrases.add(id, written, as_written);
            }
            id
        };
        let mut by_name = std::collections::HashMap::new();
        for group in &red_flags.groups {
            let id = add_group(&group.name, &words_of(group), &mut phrases);
            by_name.insert(group.name.as_str(), id);
        }
        let mut figurative = Vec::new();
        // Entries with the same near words (one entry quieting several groups) share one
        // group of them, so the matcher holds each list once.
        let mut near_of: std::collections::HashMap<(&[String], &[String]), GroupId> =
            std::collections::HashMap::new();
        for entry in &red_flags.figurative {
            let Some(&quiets) = by_name.get(entry.quiets.as_str()) else {
                continue;
            };
            let key = (entry.near.as_slice(), entry.near_groups.as_slice());
            let near = match near_of.get(&key) {
                Some(&near) => near,
                None => {
                    // The entry's own words and those of the groups it names, as one group;
                    // a group's words keep its way of matching ("intensive" as written).
                    let mut words: Vec<(&str, bool)> =
                        entry.near.iter().map(|w| (w.as_str(), false)).collect();
                    for name in &entry.near_groups {
                        if let Some(group) = red_flags.groups.iter().find(|g| &g.name == name) {
                            words.extend(words_of(group));
                        }
                    }
                    let near = add_group(&format!("near {}", entry.quiets), &words, &mut phrases);
                    near_of.insert(key, near);
                    near
                }
            };
            let group_id = |name: &String| by_name.get(name.as_str()).copied();
            figurative.push(CompiledFigurative {
                quiets,
                near,
                within: entry.within,
                after: entry.after,
                before: entry.before,
                who: entry.who.as_ref().and_then(group_id),
                not_who: entry.not_who.as_ref().and_then(group_id),
                not_near: entry.not_near_groups.iter().filter_map(group_id).collect(),
            });
        }
        phrases.finish();

        let mut flags = Vec::new();
        let mut rules = Vec::new();
        for (index, flag) in red_flags.flags.iter().enumerate() {
            flags.push(FlagInfo {
                id: flag.id.as_str().into(),
                tier: flag.tier,
                noticed: flag.noticed.as_str().into(),
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
                        text: rule.to_string().into(),
                    });
                }
            }
        }
        // Strong rules first, so a flag's hit carries its strongest evidence.
        rules.sort_by_key(|r| !r.strong);

        let group_count = group_names.len();
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
        let mut quieting = vec![Vec::new(); group_count];
        for (index, entry) in figurative.iter().enumerate() {
            quieting[entry.quiets].push(index as u32);
        }
        let mut evidence = vec![false; group_count];
        for &group in rules.iter().flat_map(|rule| &rule.groups) {
            evidence[group] = true;
        }
        Triage {
            lang: red_flags.lang,
            phrases,
            group_names,
            rules,
            anchored,
            figurative,
            quieting,
            evidence,
            flags,
            topic_break: by_name.get(TOPIC_BREAK).copied(),
        }
    }

    /// Triages one message. Never fails: any text, any size. Every hit is returned with its
    /// confidence; [`Triaged::at_least`] keeps the strong ones for watched channels.
    pub fn check(&self, message: &str) -> Triaged {
        self.check_typos(message, true)
    }

    /// [`Triage::check`], with English typo tolerance off when `typos` is false.
    pub fn check_typos(&self, message: &str, typos: bool) -> Triaged {
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut scratch) => self.check_with(message, &mut scratch, typos),
            Err(_) => self.check_with(message, &mut Scratch::default(), typos),
        })
    }

    fn check_with(&self, message: &str, scratch: &mut Scratch, typos: bool) -> Triaged {
        let mut text = std::mem::take(&mut scratch.text);
        let aligned = text::only_ascii_letters(message);
        // ASCII letters need no Unicode normalisation: lower-casing a reused copy is all it
        // takes (see `text::only_ascii_letters`).
        let canonical: &str = if aligned {
            text.clear();
            text.push_str(message);
            text.make_ascii_lowercase();
            &text
        } else {
            text = text::canonical(message);
            &text
        };
        // A name is no typo: capitals are seen in the message itself where the canonical
        // text is its own bytes lower-cased, or else in the message with its accents removed
        // ("my cousin Siobhán ... the Ballina festival").
        let cased;
        let typos = if !typos {
            Typos::Off
        } else if self.lang != Lang::En {
            Typos::On
        } else if aligned {
            Typos::ExceptNames(message)
        } else {
            cased = text::canonical_keeping_case(message, canonical);
            cased.as_deref().map_or(Typos::On, Typos::ExceptNames)
        };
        // Elisions are words of their own outside English: "l'inguine" is "l inguine".
        let split;
        let canonical: &str = if self.lang == Lang::En {
            canonical
        } else {
            split = text::split_elisions(canonical);
            &split
        };
        let mut found: Vec<Option<FlagHit>> = Vec::new();
        let mut notes = Notes::default();
        let joined = self.scan(
            canonical,
            Markdown::Join,
            typos,
            scratch,
            &mut found,
            &mut notes,
        );
        // "numb**legs" and "numb_legs" only read right with markdown as a separator; both
        // readings are triaged and their hits combined, since a miss is never acceptable.
        if joined {
            self.scan(
                canonical,
                Markdown::Split,
                typos,
                scratch,
                &mut found,
                &mut notes,
            );
        }
        scratch.text = text;
        let Notes {
            mut quieted,
            mut turns,
        } = notes;
        quieted.dedup();
        turns.dedup();
        let mut hits: Vec<FlagHit> = found.into_iter().flatten().collect();
        rank(&mut hits);
        Triaged {
            hits,
            quieted,
            turns,
            lang: self.lang,
            read_in: vec![self.lang],
        }
    }

    /// Finds the flags present in one reading of the message, keeping for each flag its
    /// strongest hit. Returns true when a markdown marker stood inside a word, so the other
    /// reading is needed too.
    fn scan(
        &self,
        canonical: &str,
        markdown: Markdown,
        typos: Typos<'_>,
        scratch: &mut Scratch,
        found: &mut Vec<Option<FlagHit>>,
        notes: &mut Notes,
    ) -> bool {
        let Scratch {
            found: words,
            present,
            figurative,
            ..
        } = scratch;
        let joined = self.phrases.find_with(canonical, markdown, words, typos);
        let occurrences = &mut words.occurrences;
        if occurrences.is_empty() {
            return joined;
        }
        if let Some(topic_break) = self.topic_break {
            if part_at_topic_breaks(occurrences, topic_break) {
                let turns = occurrences.iter().filter(|o| o.group == topic_break);
                notes
                    .turns
                    .extend(turns.map(|o| quote(&canonical[o.span.clone()])));
            }
        }
        let quieted = &mut notes.quieted;
        present.reset(self.group_names.len());
        for occurrence in occurrences.iter() {
            present.insert(occurrence.group);
        }
        let quieted_before = quieted.len();
        for (index, near) in self.quiet_figurative(canonical, occurrences, present, figurative) {
            let occurrence = &occurrences[index];
            quieted.push(Quieted {
                words: quote(&canonical[occurrence.span.clone()]),
                group: self.group_names[occurrence.group].clone(),
                near: quote(&canonical[near]),
                span: occurrence.span.clone(),
            });
        }
        if quieted.len() > quieted_before {
            present.reset(self.group_names.len());
            for occurrence in occurrences.iter().filter(|o| !o.quiet) {
                present.insert(occurrence.group);
            }
        }
        for group in present.iter() {
            for &index in &self.anchored[group] {
                let rule = &self.rules[index];
                let done = found
                    .get(rule.flag)
                    .and_then(Option::as_ref)
                    .is_some_and(|hit| hit.confidence == Confidence::Strong || !rule.strong);
                if done || !rule.groups.iter().all(|&g| present.contains(g)) {
                    continue;
                }
                if let Some(chosen) = window(occurrences, rule) {
                    if found.len() < self.flags.len() {
                        found.resize(self.flags.len(), None);
                    }
                    found[rule.flag] = Some(self.hit(rule, occurrences, &chosen, canonical));
                }
            }
        }
        joined
    }

    /// Marks the occurrences that figurative uses take out of the count, returning each
    /// with the span of the words that made it figurative.
    fn quiet_figurative(
        &self,
        canonical: &str,
        occurrences: &mut [Occurrence],
        present: &GroupSet,
        entries: &mut Vec<u32>,
    ) -> Vec<(usize, Range<usize>)> {
        let mut quieted = Vec::new();
        // In file order, as when every entry was tried in turn: an earlier entry's quieting
        // is seen by the later ones.
        entries.clear();
        entries.extend(
            present
                .iter()
                .flat_map(|group| self.quieting[group].iter().copied()),
        );
        entries.sort_unstable();
        // Words taken as told of someone else, by any entry with `who`: the story goes on
        // from them. A second round of those entries lets a word told before the one that
        // began the story follow it ("slid" is tried before "totaled" in file order).
        // Only when the first round took a word as someone else's: otherwise the second
        // would find nothing new.
        let mut told_of_others: Vec<usize> = Vec::new();
        let any_told = std::cell::Cell::new(false);
        let second_round = entries
            .iter()
            .filter(|&&i| any_told.get() && self.figurative[i as usize].who.is_some());
        let rounds = entries.iter().chain(second_round);
        for figurative in rounds.map(|&i| &self.figurative[i as usize]) {
            if !present.contains(figurative.near)
                || figurative.who.is_some_and(|who| !present.contains(who))
            {
                continue;
            }
            for index in 0..occurrences.len() {
                let occurrence = &occurrences[index];
                if occurrence.group != figurative.quiets || occurrence.quiet {
                    continue;
                }
                // A `who` word inside the near words themselves ("he's fine") tells nothing
                // of whose the event was: "I fell, he's fine".
                let inside_near = |o: &Occurrence| {
                    occurrences.iter().any(|n| {
                        n.group == figurative.near && n.first <= o.first && o.last <= n.last
                    })
                };
                // The subject of the event's clause: "my nan ... slipped", with no comma or
                // full stop between and none of the member's own words; only for a story
                // said to be over after it (`before`), since "the kids' Lego ... felt nothing
                // with my left foot" names the kids in the member's own clause.
                let subject_of = |who: GroupId| {
                    occurrences.iter().any(|o| {
                        o.group == who
                            && o.last < occurrence.first
                            && gap(o.first, o.last, occurrence) <= SUBJECT_WITHIN
                            && !inside_near(o)
                            && canonical
                                .get(o.span.end..occurrence.span.start)
                                .is_some_and(|between| {
                                    !between.contains([',', ';']) && !text::ends_a_sentence(between)
                                })
                            && !figurative.not_who.is_some_and(|me| {
                                occurrences.iter().any(|m| {
                                    m.group == me && o.last < m.first && m.last < occurrence.first
                                })
                            })
                    })
                };
                // A `who` word names whose the event was only within its sentence: "with my
                // old dad. Had the prostate cancer three years back" is the member's own.
                let same_sentence = |o: &Occurrence| {
                    let between = if o.last < occurrence.first {
                        o.span.end..occurrence.span.start
                    } else {
                        occurrence.span.end..o.span.start
                    };
                    canonical
                        .get(between)
                        .is_none_or(|between| !text::ends_a_sentence(between))
                };
                // A word of `group` within `within` words, in the event's sentence if asked.
                let told_near = |group: GroupId, within: usize, in_sentence: bool| {
                    occurrences.iter().any(|o| {
                        o.group == group
                            && gap(o.first, o.last, occurrence) <= within
                            && !inside_near(o)
                            && (!in_sentence || same_sentence(o))
                    })
                };
                let told_of = |group: GroupId, within: usize| told_near(group, within, false);
                let story_goes_on = || {
                    told_of_others.iter().any(|&told| {
                        let told: &Occurrence = &occurrences[told];
                        told.last < occurrence.first
                            && gap(told.first, told.last, occurrence) <= STORY_WITHIN
                    })
                };
                if figurative.who.is_some_and(|who| {
                    let theirs = told_near(who, WHO_WITHIN, true)
                        || (figurative.before && subject_of(who))
                        || story_goes_on();
                    !theirs
                }) || figurative
                    .not_who
                    .is_some_and(|me| present.contains(me) && told_of(me, NOT_WHO_WITHIN))
                    || figurative
                        .not_near
                        .iter()
                        .any(|&group| present.contains(group) && told_of(group, figurative.within))
                {
                    continue;
                }
                // `within 0`: only where the near phrase takes in the word itself ("no
                // numbness"), never a neighbour ("my legs are numb, no tingling though").
                let close = occurrences.iter().find(|near| {
                    near.group == figurative.near
                        && if figurative.within == 0 {
                            near.first <= occurrence.first && occurrence.last <= near.last
                        } else {
                            gap(near.first, near.last, occurrence) <= figurative.within
                        }
                        && (!figurative.after || near.last < occurrence.first)
                        && (!figurative.before || occurrence.last < near.first)
                        && !self.inside_evidence(near, occurrence, occurrences)
                });
                if let Some(near) = close {
                    let span = near.span.clone();
                    occurrences[index].quiet = true;
                    quieted.push((index, span));
                    if figurative.who.is_some() {
                        told_of_others.push(index);
                        any_told.set(true);
                    }
                }
            }
        }
        quieted
    }

    /// Whether a figurative word is only part of a longer red-flag phrase apart from the word
    /// it would quiet: "diet" is weight lost on purpose, but in "not on a diet" it is the
    /// reverse, and cannot quiet "lost 5 kg". A phrase that takes in the quieted word itself
    /// ("between my shoulder blades") leaves the figurative use standing.
    fn inside_evidence(
        &self,
        near: &Occurrence,
        quieted: &Occurrence,
        occurrences: &[Occurrence],
    ) -> bool {
        occurrences.iter().any(|other| {
            (other.last < quieted.first || quieted.last < other.first)
                && other.first <= near.first
                && near.last <= other.last
                && other.last - other.first > near.last - near.first
                && self.evidence[other.group]
        })
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
                span: o.span.clone(),
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
/// Triage in every language the bot knows: English always, the language the message is
/// in, and each language one of whose red-flag words the message has.
pub struct Multilingual {
    english: Arc<Triage>,
    others: Vec<Other>,
    detector: Detector,
}

/// Another language's red flags, compiled the first time a message needs them: most
/// messages are English, and a `backcare ask` should not pay for six languages.
struct Other {
    lang: Lang,
    red_flags: crate::knowledge::LanguageFlags,
    triage: std::sync::OnceLock<Arc<Triage>>,
    /// The words that tell its vocabulary is in a message, gathered the first time a
    /// message has a word that is not English.
    gate: std::sync::OnceLock<Arc<Gate>>,
}

impl Other {
    fn triage(&self) -> &Triage {
        self.triage.get_or_init(|| Triage::of(self.red_flags.get()))
    }

    fn gate(&self) -> &Gate {
        self.gate
            .get_or_init(|| Arc::new(Gate::new(self.red_flags.get())))
    }
}

/// A group's words, each with whether it is matched as written ([groups_as_written]).
fn words_of(group: &crate::knowledge::Group) -> Vec<(&str, bool)> {
    let as_written = group.as_written;
    group
        .words
        .iter()
        .map(|w| (w.as_str(), as_written))
        .collect()
}

/// What `lock` holds, if it was built, in a lock of its own.
fn carried<T: Clone>(lock: Option<&std::sync::OnceLock<T>>) -> std::sync::OnceLock<T> {
    lock.and_then(|l| l.get().cloned())
        .map_or_else(std::sync::OnceLock::new, std::sync::OnceLock::from)
}

/// The first letters of a language's red-flag words that are not English words: a message
/// with such a word is read in that language too, even when most of it is English ("my back
/// hurts mais depuis ce matin j'arrive plus à faire pipi").
struct Gate {
    prefixes: rustc_hash::FxHashSet<Box<str>>,
}

/// What [`Multilingual::vocabulary_of`] found in a message.
#[derive(Default)]
struct Vocabulary {
    words: usize,
    /// Words that are not English words.
    foreign: usize,
    /// Languages one of whose red-flag words the message has.
    langs: Vec<Lang>,
}

/// Letters of a word that [`Gate`] compares: enough to tell most words apart, few enough
/// that the inflections of a word share them ("orinar", "orinaba", "orinas").
const GATE_LETTERS: usize = 5;

impl Gate {
    /// Built at every load, so cheap: the first letters of every word of the groups that
    /// rules use, English or not (a message's English words are never looked up). Groups
    /// that only make a word figurative ("minecraft") cannot raise a flag on their own.
    fn new(red_flags: &RedFlags) -> Gate {
        let in_rules: rustc_hash::FxHashSet<&str> = red_flags
            .flags
            .iter()
            .flat_map(|flag| &flag.rules)
            .flat_map(|rule| &rule.groups)
            .map(String::as_str)
            .collect();
        let mut prefixes = rustc_hash::FxHashSet::default();
        for group in red_flags
            .groups
            .iter()
            .filter(|group| in_rules.contains(group.name.as_str()))
        {
            for written in &group.words {
                let canonical = text::canonical(&text::split_elisions(written));
                text::for_each_word(&canonical, Markdown::Split, |word| {
                    if let Some(prefix) = Gate::letters(word) {
                        prefixes.insert(prefix.into());
                    }
                });
            }
        }
        // A regional spelling opens the reading like its standard word ("ned", "nicht").
        for spelling in red_flags.language.spellings.values().flatten() {
            if let Some(prefix) = Gate::letters(&text::canonical(spelling)) {
                prefixes.insert(prefix.into());
            }
        }
        Gate { prefixes }
    }

    /// A short word whole ("pipi", "nogi"), a longer one by its first letters.
    fn letters(word: &str) -> Option<&str> {
        let Some((end, _)) = word.char_indices().nth(GATE_LETTERS) else {
            return (word.chars().count() >= 3).then_some(word);
        };
        Some(&word[..end])
    }
}

impl Multilingual {
    pub fn new(knowledge: &Knowledge) -> Multilingual {
        Multilingual::reusing(knowledge, None)
    }

    /// The triage of `knowledge`, taking over from `previous` (the triage of `before`) the
    /// tables of every language whose red flags did not change: a reload after an edit to a
    /// guide or to one language file builds only what the edit touched.
    pub fn reusing(
        knowledge: &Knowledge,
        previous: Option<(&Knowledge, &Multilingual)>,
    ) -> Multilingual {
        let others: Vec<Other> = knowledge
            .languages
            .iter()
            .map(|red_flags| {
                let same = previous.and_then(|(_, triage)| {
                    triage
                        .others
                        .iter()
                        .find(|o| o.red_flags.same_as(red_flags))
                });
                Other {
                    lang: red_flags.lang,
                    gate: carried(same.map(|o| &o.gate)),
                    red_flags: red_flags.clone(),
                    triage: carried(same.map(|o| &o.triage)),
                }
            })
            .collect();
        let known: Vec<Lang> = others.iter().map(|o| o.lang).collect();
        let english = match previous {
            Some((before, triage)) if before.red_flags == knowledge.red_flags => {
                Arc::clone(&triage.english)
            }
            _ => Triage::of(&knowledge.red_flags),
        };
        Multilingual {
            english,
            detector: Detector::new(&known),
            others,
        }
    }

    /// Reads the message's words once: how many there are, how many are not English, and
    /// the languages whose red-flag words it has.
    fn vocabulary_of(&self, message: &str) -> Vocabulary {
        let canonical = if text::only_ascii_letters(message) {
            message.to_ascii_lowercase()
        } else {
            text::canonical(message)
        };
        let canonical = text::split_elisions(&canonical);
        let mut vocabulary = Vocabulary::default();
        text::for_each_word(&canonical, Markdown::Split, |word| {
            vocabulary.words += 1;
            // A word the English red flags know ("lumbar", "cancer") is read in English.
            if crate::morph::is_english_word(word) || self.english.phrases.knows(word) {
                return;
            }
            vocabulary.foreign += 1;
            let Some(prefix) = Gate::letters(word) else {
                return;
            };
            for other in &self.others {
                if !vocabulary.langs.contains(&other.lang) && other.gate().prefixes.contains(prefix)
                {
                    vocabulary.langs.push(other.lang);
                }
            }
        });
        vocabulary
    }

    /// Triages one message in its languages. A message of English words is read in English
    /// only, without asking the detector (most chat, and the fast path); English typos are
    /// only read where the message may be English: a word of another language is never a
    /// typo of an English one.
    pub fn check(&self, message: &str) -> Triaged {
        if self.others.is_empty() {
            return self.english.check(message);
        }
        let vocabulary = self.vocabulary_of(message);
        if vocabulary.foreign == 0 {
            return self.english.check(message);
        }
        // The detector only where a good share of the words are not English: it is the
        // dearest step, and a name or some slang in English chat needs no language.
        let detected = if vocabulary.foreign * 3 >= vocabulary.words {
            self.detector.detect(message)
        } else {
            Detected::english()
        };
        self.check_in(message, &detected, vocabulary.langs)
    }

    /// The languages found in a message.
    pub fn detect(&self, message: &str) -> Detected {
        self.detector.detect(message)
    }

    fn check_in(&self, message: &str, detected: &Detected, gated: Vec<Lang>) -> Triaged {
        let english_typos = detected.main == Lang::En || !detected.sure;
        let mut triaged = self.english.check_typos(message, english_typos);
        // The detector only runs on messages of many non-English words (`check`), so its
        // guess is the reply's language even when it is unsure: short English chat never
        // gets that far.
        triaged.lang = detected.main;
        let mut languages = detected.others.clone();
        // A message that is surely in one language is read in it and English; one that may
        // be English is also read in each language whose red-flag words it has.
        if english_typos {
            languages.extend(gated.into_iter().filter(|l| !detected.others.contains(l)));
        }
        if languages.is_empty() {
            return triaged;
        }
        let mut passes = vec![(Lang::En, std::mem::take(&mut triaged.hits))];
        let mut quiet_in = vec![triaged.quieted.len()];
        for lang in &languages {
            let Some(triage) = self.others.iter().find(|o| o.lang == *lang) else {
                continue;
            };
            let other = triage.triage().check(message);
            triaged.read_in.push(*lang);
            passes.push((*lang, other.hits));
            triaged.quieted.extend(other.quieted);
            triaged.turns.extend(other.turns);
            quiet_in.push(triaged.quieted.len());
        }
        // A word one language reads as figurative ("cancer" next to "horóscopo") is not a
        // symptom in another language's reading either.
        // Unsure of a message that reads as another language, the reply is in the language
        // that found the most warning signs in it.
        // The English reading speaks for English words only: a word of another language it
        // read as a typo ("mear" as "sear", next to "meat") quiets nothing in that language.
        let speaks_elsewhere: Vec<bool> = triaged
            .quieted
            .iter()
            .enumerate()
            .map(|(i, q)| i >= quiet_in[0] || all_english_words(&q.words))
            .collect();
        let mut best: Option<(Lang, usize)> = None;
        for (pass, (lang, hits)) in passes.into_iter().enumerate() {
            let from = if pass == 0 { 0 } else { quiet_in[pass - 1] };
            let own = from..quiet_in[pass];
            let quieted_elsewhere = |span: &Range<usize>| {
                triaged.quieted.iter().enumerate().any(|(i, q)| {
                    !own.contains(&i)
                        && speaks_elsewhere[i]
                        && q.span.start < span.end
                        && span.start < q.span.end
                })
            };
            let mut found = 0;
            for hit in hits {
                if hit.evidence.iter().any(|e| quieted_elsewhere(&e.span)) {
                    continue;
                }
                // In a message that may be English, a sign another language finds only in
                // English words ("a very long incident form" read as Italian "incidente") is
                // English chat, and the English reading has already spoken for it.
                if lang != Lang::En && english_typos && only_english_words(&hit) {
                    continue;
                }
                found += 1;
                match triaged.hits.iter_mut().find(|h| h.id == hit.id) {
                    Some(existing) if existing.confidence >= hit.confidence => {}
                    Some(existing) => *existing = hit,
                    None => triaged.hits.push(hit),
                }
            }
            let better = best.is_none_or(|(_, most)| found > most);
            if lang != Lang::En && found > 0 && better {
                best = Some((lang, found));
            }
        }
        if let (false, Some((lang, _))) = (detected.sure || detected.main == Lang::En, best) {
            triaged.lang = lang;
        }
        rank(&mut triaged.hits);
        triaged
    }
}

/// Whether every word a hit was found in is an English word.
fn only_english_words(hit: &FlagHit) -> bool {
    hit.evidence
        .iter()
        .all(|evidence| all_english_words(&evidence.words))
}

/// Whether every word of a quote is an English word (or an English filler word).
fn all_english_words(quote: &str) -> bool {
    quote
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .all(|word| crate::morph::is_english_word(word) || text::is_filler(word))
}

/// Highest tier first, then strongest evidence, then by id.
fn rank(hits: &mut [FlagHit]) {
    hits.sort_by(|a, b| {
        b.tier
            .cmp(&a.tier)
            .then_with(|| b.confidence.cmp(&a.confidence))
            .then_with(|| a.id.cmp(&b.id))
    });
}

fn quote(text: &str) -> String {
    // Most quotes are a few plain words: copied as they are.
    let plain =
        |b: u8| b != b' ' && (b.is_ascii_whitespace() || text::is_markdown_marker(b as char));
    if !text.bytes().any(plain) && !text.contains("  ") && text.is_ascii() {
        return text.to_owned();
    }
    let spaced: String = text
        .chars()
        .map(|c| {
            if text::is_markdown_marker(c) || c.is_whitespace() {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

thread_local! {
    /// Buffers reused from one message to the next on this thread: triage runs on every
    /// message, and allocating them anew each time cost more than the matching itself.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Working buffers of one triage; nothing in them outlives a message.
#[derive(Default)]
struct Scratch {
    /// The lower-cased copy of an ASCII message.
    text: String,
    found: Found,
    present: GroupSet,
    /// The figurative entries a message's groups may meet, by index.
    figurative: Vec<u32>,
}

/// A set of groups, one bit each: most messages touch a handful of the hundred or so.
#[derive(Default)]
struct GroupSet {
    bits: Vec<u64>,
}

impl GroupSet {
    fn reset(&mut self, groups: usize) {
        self.bits.clear();
        self.bits.resize(groups.div_ceil(64), 0);
    }

    fn insert(&mut self, group: GroupId) {
        self.bits[group / 64] |= 1 << (group % 64);
    }

    fn contains(&self, group: GroupId) -> bool {
        self.bits[group / 64] & (1 << (group % 64)) != 0
    }

    fn iter(&self) -> impl Iterator<Item = GroupId> + '_ {
        self.bits.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    i * 64 + bit
                })
            })
        })
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
    let live = |g: GroupId| {
        occurrences
            .iter()
            .enumerate()
            .filter(move |(_, o)| o.group == g && !o.quiet)
            .map(|(i, _)| i)
    };
    match rule.groups[..] {
        [only] => live(only).next().map(|i| vec![i]),
        // Most rules join two groups: try the pairs, nothing to allocate.
        [a, b] => live(a).find_map(|i| {
            live(b)
                .find(|&j| {
                    occurrences[i].span != occurrences[j].span
                        && items(occurrences, &[i, j]) <= rule.within as u32
                })
                .map(|j| vec![i, j])
        }),
        _ => window_of_many(occurrences, rule),
    }
}

/// [`window`] for a rule of three groups or more.
fn window_of_many(occurrences: &[Occurrence], rule: &CompiledRule) -> Option<Vec<usize>> {
    let relevant: Vec<usize> = occurrences
        .iter()
        .enumerate()
        .filter(|(_, o)| !o.quiet && rule.groups.contains(&o.group))
        .map(|(i, _)| i)
        .collect();
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

#[cfg(test)]
mod tests {
    //! The shipped figurative entries and kept-apart words, as the built-in floor reads them.

    use super::*;

    /// Every language of the shipped knowledge.
    fn shipped_triage() -> Multilingual {
        let knowledge =
            Knowledge::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"))
                .unwrap();
        Multilingual::new(&knowledge)
    }

    /// German typed without umlauts reads as with them: "spuere", "Fuesse" and
    /// "Schulterblaettern" are "spüre", "Füße" and "Schulterblättern".
    #[test]
    fn german_typed_without_umlauts_escalates_as_with_them() {
        let triage = shipped_triage();
        for (plain, umlauts) in [
            (
                "seit gestern spuere ich meine beiden Fuesse nicht mehr, Ruecken tut weh",
                "seit gestern spüre ich meine beiden Füße nicht mehr, Rücken tut weh",
            ),
            (
                "es zerreisst ihm was zwischen den Schulterblaettern, quer durch bis nach vorne",
                "es zerreißt ihm was zwischen den Schulterblättern, quer durch bis nach vorne",
            ),
        ] {
            let ids = |t: Triaged| t.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
            let with = ids(triage.check(umlauts));
            assert!(!with.is_empty(), "{umlauts}");
            assert_eq!(ids(triage.check(plain)), with, "{plain}");
        }
    }

    /// The English reading speaks for English words only: "mear" (Spanish, to pee) is one
    /// letter off "sear" (a sharp word) and "meat" (next to which sharp words are a kitchen
    /// knife), and that typo reading must not take the Spanish sign out of the count.
    #[test]
    fn an_english_typo_reading_quiets_nothing_in_another_language() {
        let triage = shipped_triage();
        for message in [
            "no puedo mear desde ayer",
            "desde anoche no consigo mear, me siento en el vater y no sale nada",
        ] {
            let triaged = triage.check(message);
            assert!(
                triaged.hits.iter().any(|h| &*h.id == "bladder-bowel"),
                "{message}: {:?}",
                triaged.hits
            );
        }
        // A word English reads as figurative as written still counts for every language.
        let horoscope = triage.check("mi horóscopo dice que los cancer somos sensibles");
        assert!(horoscope.hits.is_empty(), "{:?}", horoscope.hits);
    }

    /// A word that names a video game in one sense and something everyday in another ("la
    /// partie basse", "au niveau des lombaires", "la partita di calcio", "jugando al fútbol")
    /// must not take a fall out of the count: the game groups keep to words that only name a
    /// game. Nor may the cold take numb legs out ("entumecidas y frías").
    #[test]
    fn a_fall_told_beside_an_everyday_word_of_its_language_escalates() {
        let triage = shipped_triage();
        for message in [
            "estaba jugando al futbol y me cai de espalda, me duele mucho la parte baja",
            "je suis tombé dans l'escalier, douleur au niveau des lombaires",
            "sono caduto durante la partita di calcio, mi fa male la schiena",
            "caí de costas na escada e agora a parte de baixo das costas dói",
            "Beim Fußballspiel bin ich in der zweiten Runde hingefallen, jetzt tut der Rücken weh",
            "gra w piłkę i spadł ze schodów, plecy bolą",
            // "A nightmare of a fall" is a bad fall, not a dream of one.
            "nightmare of a fall down the stairs yesterday, back is black and blue",
            // Cold legs are part of the sign, not the weather that numbed them.
            "tengo las piernas entumecidas y frías desde ayer, me duele la espalda",
        ] {
            assert_eq!(
                triage.check(message).tier(),
                Some(Tier::Emergency),
                "{message}"
            );
        }
    }

    /// The stemmer joins a blow with an everyday word ("joelhada" a knee to the body,
    /// "joelho" a knee; "patada" a kick, "patas" paws): blows are matched as written, so a
    /// knee or a cat is no injury, while the blow itself still is.
    #[test]
    fn a_word_the_stemmer_joins_with_a_blow_is_no_injury() {
        let triage = shipped_triage();
        for message in [
            "tenho dor no joelho e nas costas, que alongamento faço?",
            "me duele la espalda de estar a cuatro patas limpiando el suelo",
        ] {
            assert_eq!(triage.check(message).tier(), None, "{message}");
        }
        for message in [
            "levei uma joelhada nas costas no futsal e agora dói muito",
            "me dieron una patada en la espalda jugando al futbol",
        ] {
            assert_eq!(
                triage.check(message).tier(),
                Some(Tier::Emergency),
                "{message}"
            );
        }
    }

    /// English chat read in another language as well finds no sign there in English
    /// words alone: "incident" is not Italian "incidente".
    #[test]
    fn another_languages_reading_of_english_words_alone_is_no_sign() {
        let triage = shipped_triage();
        let english = "forklift driver, the racking beam slipped and the pallet came off, nobody hurt, just a very long incident form. any good stretches for sitting on the truck?";
        assert_eq!(triage.check(english).tier(), None, "{english}");
        let italian = "ieri ho avuto un incidente con la moto e ora la schiena mi fa malissimo";
        assert_eq!(
            triage.check(italian).tier(),
            Some(Tier::Emergency),
            "{italian}"
        );
    }

    /// The shipped red flags are the floor: every engine of them takes the floor's tables,
    /// built once per process, and an edited file builds its own.
    #[test]
    fn engines_of_the_shipped_red_flags_share_the_floor_tables() {
        let (a, b) = (shipped_triage(), shipped_triage());
        assert!(Arc::ptr_eq(&a.english, &b.english));
        assert!(Arc::ptr_eq(&a.english, &Triage::floor(Lang::En)));
        let (_, edited) = crate::knowledge::tests::shipped_and_a_copy();
        let file = edited.path().join("red-flags.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        let text = text.replacen("[groups]\n", "[groups]\nzorble = [\"zorbled\"]\n", 1);
        std::fs::write(&file, text).unwrap();
        let edited = Knowledge::load(edited.path()).unwrap();
        assert!(!Arc::ptr_eq(
            &Triage::of(&edited.red_flags),
            &Triage::floor(Lang::En)
        ));
    }

    #[test]
    fn a_reload_builds_again_only_the_languages_whose_red_flags_changed() {
        let (shipped, edited) = crate::knowledge::tests::shipped_and_a_copy();
        let spanish = edited.path().join("red-flags.es.toml");
        let text = std::fs::read_to_string(&spanish).unwrap();
        let text = text.replacen(
            "fever = [\"fiebre\",",
            "fever = [\"fiebre\", \"calorón\",",
            1,
        );
        std::fs::write(&spanish, text).unwrap();

        let before = Knowledge::load(&shipped).unwrap();
        let old = Multilingual::new(&before);
        let message = "tengo un calorón tremendo y me duele la espalda desde ayer";
        let fever = |t: &Triaged| t.hits.iter().any(|h| &*h.id == "fever");
        assert!(!fever(&old.check(message)));
        // German was needed before the edit (a message in German builds it on first use).
        old.others
            .iter()
            .find(|o| o.lang == Lang::De)
            .unwrap()
            .triage();
        let after = Knowledge::load(edited.path()).unwrap();
        let new = Multilingual::reusing(&after, Some((&before, &old)));

        assert!(Arc::ptr_eq(&old.english, &new.english));
        let built = |m: &Multilingual, lang: Lang| {
            m.others
                .iter()
                .find(|o| o.lang == lang)
                .unwrap()
                .triage
                .get()
                .cloned()
        };
        assert!(
            built(&new, Lang::Es).is_none(),
            "the edited language is built anew"
        );
        assert!(fever(&new.check(message)), "and its edit counts");
        let german = (built(&old, Lang::De).unwrap(), built(&new, Lang::De));
        assert!(Arc::ptr_eq(
            &german.0,
            &german.1.expect("German is taken over")
        ));
    }

    #[test]
    fn the_shipped_child_and_things_groups_quiet_a_fall_only_where_they_stand() {
        let triage = Triage::new(&RedFlags::floor());
        for benign in [
            "my 6 year old fell off the monkey bars, totally fine",
            "my phone took a tumble down the stairs",
        ] {
            assert!(!triage.check(benign).is_red_flag(), "{benign}");
        }
        for injury in [
            "i fell off the ladder onto my back",
            "took a tumble down the stairs, my phone is fine but my back is not",
        ] {
            assert!(triage.check(injury).is_red_flag(), "{injury}");
        }
    }

    #[test]
    fn a_hospital_or_a_series_of_scans_is_no_story_on_screen() {
        let triage = Triage::new(&RedFlags::floor());
        for history in [
            "went to casualty, had breast cancer in 2019, back pain now",
            "a series of scans, and the cancer is back in my spine",
            "after all the drama of my cancer treatment my lower back aches",
        ] {
            assert!(triage.check(history).is_red_flag(), "{history}");
        }
        let screen = "watching casualty last night and a character got cancer, my back is stiff";
        assert!(!triage.check(screen).is_red_flag(), "{screen}");
    }

    #[test]
    fn the_members_own_all_clear_quiets_only_severity_and_injury_told_before_it() {
        let triage = Triage::new(&RedFlags::floor());
        for benign in [
            "came off the big dipper shaking, worst ride ever, anyway my back's fine",
            "dreamt i was falling off a cliff, back is totally fine though",
        ] {
            let triaged = triage.check(benign);
            assert!(!triaged.is_red_flag(), "{benign}: {:?}", triaged.hits);
        }
        let ids = |message: &str| -> Vec<String> {
            let triaged = triage.check(message);
            triaged.hits.iter().map(|h| h.id.to_string()).collect()
        };
        // A sign of its own still counts, and so does anything told after the all-clear.
        assert!(
            ids("fell off the ladder, back's fine but both legs are numb")
                .contains(&"both-legs-numb".to_owned())
        );
        assert!(
            ids("my back's fine, then i fell off the ladder onto my tailbone")
                .contains(&"trauma".to_owned())
        );
        // Doubt near keeps it counting.
        assert!(
            ids("fell down the stairs in agony, back's fine apart from my tailbone")
                .contains(&"trauma".to_owned())
        );
    }

    #[test]
    fn near_words_of_a_group_matched_as_written_keep_matching_as_written() {
        let triage = Triage::new(&RedFlags::floor());
        // The shipped `intensive` group (as written) makes "intense" figurative only in an
        // intensive course: its stem is the stem of "intense", which must still count.
        assert!(!triage
            .check("did a two day intensive pilates course, loved it, back feels great")
            .is_red_flag());
        let pain = triage.check("out of nowhere the most intense pain in my lower back");
        assert!(pain.quieted.is_empty(), "{:?}", pain.quieted);
        assert_eq!(pain.confidence(), Some(Confidence::Strong));
    }

    #[test]
    fn a_figurative_entry_with_after_quiets_only_a_word_told_after_its_cause() {
        let triage = Triage::new(&RedFlags::floor());
        // The shipped `asleep` entry for sitting cross legged has `after = true`: the
        // position told first is the cause...
        let cause =
            "sat cross legged on the floor all evening and my foot fell asleep, back is stiff";
        assert!(!triage.check(cause).is_red_flag(), "{cause}");
        // ...but told after the sign it is a comparison, and the sign still counts.
        let comparison =
            "my foot is asleep all the time now, the way it feels after hours of sitting cross legged, but it never passes";
        assert!(triage.check(comparison).is_red_flag(), "{comparison}");
    }

    #[test]
    fn no_rule_reaches_across_a_change_of_subject() {
        let triage = Triage::new(&RedFlags::floor());
        // "electric + back" joins a zap up the arm to the back told right after it...
        let joined = "a zap went up my arm, honestly my back is stiff";
        assert!(triage.check(joined).is_red_flag(), "{joined}");
        // ...but not across a turn to another subject.
        let turned = "a zap went up my arm, jokes aside my back is stiff";
        assert!(!triage.check(turned).is_red_flag(), "{turned}");
        // A sign told wholly after the turn still counts,
        let after =
            "great match last night, anyway back question: since sunday both my legs are numb";
        let triaged = triage.check(after);
        assert_eq!(
            triaged.hits.first().map(|h| h.tier),
            Some(Tier::Emergency),
            "{after}"
        );
        // and "anyway" alone is no turn: "fell anyway" still lands on the back.
        let fell = "tried to grab the rail but fell anyway and landed on my back";
        assert!(triage.check(fell).is_red_flag(), "{fell}");
    }

    #[test]
    fn a_figurative_entry_with_before_quiets_only_a_word_told_before_it() {
        let triage = Triage::new(&RedFlags::floor());
        // The shipped `healed` entries have `before = true`: an injury told, then said to be
        // over, is history...
        let history = "broke my ankle coming off a horse in 2016, fully healed years ago, now my back is stiff";
        assert!(!triage.check(history).is_red_flag(), "{history}");
        // ...but a fall told after "totally gone" is new.
        let new = "my sciatica was totally gone, then yesterday I fell off a ladder onto my back";
        let triaged = triage.check(new);
        assert!(triaged.hits.iter().any(|h| &*h.id == "trauma"), "{new}");
    }

    #[test]
    fn someone_else_as_the_subject_of_the_clause_tells_the_event_of_them() {
        let triage = Triage::new(&RedFlags::floor());
        // "Nan" is five words before "slipped", beyond the `who` reach, but she is the
        // subject of its clause...
        let hers = "my nan at the big Tesco on Saturday slipped on a wet floor and went down hard on the tiles, not a scratch on her";
        assert!(!triage.check(hers).is_red_flag(), "{hers}");
        // ...while after a comma the fall may be the member's own.
        let whose = "my nan phoned me, slipped on a wet floor at the big Tesco and went down hard on the tiles, not a scratch on her";
        let triaged = triage.check(whose);
        assert!(triaged.hits.iter().any(|h| &*h.id == "trauma"), "{whose}");
        // An aside in brackets keeps the clause: "my nan (88!) slipped".
        let aside = "my nan (88!) at the big Tesco slipped on a wet floor and went down hard on the tiles, not a scratch on her";
        assert!(!triage.check(aside).is_red_flag(), "{aside}");
    }

    #[test]
    fn a_story_told_of_someone_else_goes_on_past_the_word_that_names_them() {
        let triage = Triage::new(&RedFlags::floor());
        // "Slid" is six words from "brother", beyond the `who` reach, but the story goes on
        // from "totaled", which is told of him...
        let theirs = "my brother totaled his truck on the highway last winter, slid on black ice, spun twice and went in the ditch, walked away without a scratch, he's been totally fine since. stretches for long drives?";
        assert!(!triage.check(theirs).is_red_flag(), "{theirs}");
        // ...and stops where the member's own part begins, however close.
        let mine = "my brother totaled his truck last winter, then I slipped on black ice and landed on my back, he was fine";
        let triaged = triage.check(mine);
        assert!(triaged.hits.iter().any(|h| &*h.id == "trauma"), "{mine}");
        // Nor does a story reach back: the event told first stays the member's.
        let before = "slid on black ice and went flat on my back, and my brother totaled his truck the same night, he's fine";
        let triaged = triage.check(before);
        assert!(triaged.hits.iter().any(|h| &*h.id == "trauma"), "{before}");
    }

    #[test]
    fn a_word_naming_someone_else_reaches_no_further_than_its_sentence() {
        let triage = Triage::new(&RedFlags::floor());
        // "Dad" is two words from "had the prostate cancer" once filler is set aside, but a
        // full stop stands between: the cancer is the member's own, all clear or not.
        let mine = "been fishing since I was fifteen with my old dad. Had the prostate cancer three years back, all clear they said. Now an ache low in my back";
        let triaged = triage.check(mine);
        assert!(
            triaged.hits.iter().any(|h| &*h.id == "cancer-history"),
            "{mine}"
        );
        // In one sentence it is still his.
        let his = "my old dad had prostate cancer years back, all clear they said, he's fine. stretch for my back?";
        assert!(!triage.check(his).is_red_flag(), "{his}");
        // A mark inside brackets ends no sentence: "Meine Omma (88!) is ... hingefallen".
        let aside = "my old dad (82!) had prostate cancer years back, all clear they said, he's fine. stretch for my back?";
        assert!(!triage.check(aside).is_red_flag(), "{aside}");
    }

    #[test]
    fn a_name_inside_a_sentence_is_no_typo_of_a_symptom() {
        let triage = Triage::new(&RedFlags::floor());
        // "cerys" is one letter from "cries" (distress), and "came up" a movement.
        let name = "My niece Cerys came up Sunday with a foam roller, any tips for my back?";
        assert!(!triage.check(name).is_red_flag(), "{name}");
        // An accent elsewhere in the message leaves the name a name.
        let accented = "My niece Cerys came up Sunday with a crêpe, any tips for my back?";
        assert!(!triage.check(accented).is_red_flag(), "{accented}");
        // Typed in lower case it is no name, and a miss is worse than a false alarm.
        let lower = name.to_lowercase();
        assert!(triage.check(&lower).is_red_flag(), "{lower}");
        // A misspelt symptom starting a sentence, or in a message of capitals, is still read.
        for typo in [
            "Back is stiff. Numbess in both legs since Monday",
            "My Legs Have Numbess Since Monday",
        ] {
            let triaged = triage.check(typo);
            assert!(
                triaged.hits.iter().any(|h| &*h.id == "both-legs-numb"),
                "{typo}"
            );
        }
    }

    #[test]
    fn a_figurative_entry_with_who_quiets_only_a_word_told_of_someone_else() {
        let triage = Triage::new(&RedFlags::floor());
        // The shipped `all_clear` entry has `who = "someone_else"`: a mishap told of a child
        // or a pet, then said to be over, is not the member's...
        for over in [
            "our spaniel went flying down the stairs chasing the cat, the vet checked him and he's completely fine. best stretch for my back?",
            "my dad had a car crash back in the 90s, he's fine now and plays golf, which stretches help his back before a round?",
        ] {
            assert!(!triage.check(over).is_red_flag(), "{over}");
        }
        // ...but the member's own fall is theirs, even with someone else fine beside it,
        // and doubt about "fine" keeps the fall counting.
        for own in [
            "I came off my bike yesterday and landed on my back, my son was on the back seat and he's fine",
            "my dad fell down the stairs last night, he says he's fine but his back is bruised",
            "my husband came off the ladder on sunday, he's fine in himself but he can't bend",
            "carrying my son downstairs and went down about eight steps on my back shielding him, he's totally fine",
        ] {
            let triaged = triage.check(own);
            assert!(triaged.hits.iter().any(|h| &*h.id == "trauma"), "{own}");
        }
    }

    #[test]
    fn a_regional_spelling_reads_as_its_standard_word() {
        let german = Triage::new(&RedFlags::floor_of(Lang::De));
        // The shipped German `[language.spellings]`: Swabian "beide Füß eigschlafe" is
        // "beide Füße eingeschlafen", Bavarian "geht ned weg" is "geht nicht weg"...
        let both_feet = "seit gestern sin mir beide Füß eigschlafe und es goht net weg";
        let triaged = german.check(both_feet);
        assert_eq!(
            triaged.hits.first().map(|h| h.tier),
            Some(Tier::Emergency),
            "{both_feet}"
        );
        // ...while a word a group lists in dialect still counts as written ("nüme").
        let walk = "sie hät Schmerze im Rugge und chan fascht nüme laufe";
        assert!(german.check(walk).is_red_flag(), "{walk}");
    }

    #[test]
    fn a_shipped_figurative_window_of_0_quiets_only_inside_its_own_phrase() {
        let triage = Triage::new(&RedFlags::floor());
        // The shipped `intense` entry: "worst part" takes in "worst"...
        let quiet = "ripping the tape off my back is honestly the worst part of my week";
        assert!(!triage.check(quiet).is_red_flag(), "{quiet}");
        // ...but elsewhere "worst" still counts.
        let severe = "my back is the worst it has ever been, the best part is i can still sit";
        assert!(triage.check(severe).is_red_flag(), "{severe}");
    }

    #[test]
    fn words_the_stemmer_would_join_stay_apart() {
        let triage = Triage::new(&RedFlags::floor());
        // "standing" is not the league's "standings", which quiets a fall...
        let fall = "i was standing on the ladder and fell onto my back";
        assert!(triage.check(fall).is_red_flag(), "{fall}");
        // ...nor "several" "severe", nor a secondary school cancer's secondaries.
        for benign in [
            "is cracking my lower back several times a day too much?",
            "i teach at a secondary school and my lower back aches after standing all day",
            "i sat against the radiator and my lower back feels nice and loose",
        ] {
            assert!(!triage.check(benign).is_red_flag(), "{benign}");
        }
        let severe = "the pain in my lower back is severe";
        assert!(triage.check(severe).is_red_flag(), "{severe}");
    }

    #[test]
    fn a_figurative_word_inside_a_longer_red_flag_phrase_quiets_nothing() {
        let triage = Triage::new(&RedFlags::floor());
        // "cutting" is weight lost on purpose...
        let cutting = "down 5kg since i started cutting, my back feels better for it";
        assert!(!triage.check(cutting).is_red_flag(), "{cutting}");
        // ...but inside "not cutting" it says the opposite, and the loss counts.
        let unexplained = "down 5kg and i'm not cutting, no idea why, back's been sore too";
        assert!(triage.check(unexplained).is_red_flag(), "{unexplained}");
        // A phrase around the quieted word itself leaves the figurative use standing: the
        // shoulder blades are no blade.
        let blades = "how do i crack my upper back between my shoulder blades";
        assert!(!triage.check(blades).is_red_flag(), "{blades}");
        // A longer phrase of a group no rule uses is no evidence: "sailing trip" (a journey)
        // leaves "sailing" free to tell the boat's deck from "decked".
        let deck = "on a sailing trip and the deck's too wet to lie on";
        assert!(!triage.check(deck).is_red_flag(), "{deck}");
    }
}
