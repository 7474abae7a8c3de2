//! What a question says beyond its search words, from `words.toml` and the guides' `covers`:
//! whether it is about the back or clearly about something else, a condition that needs a
//! professional's go-ahead, small talk, and the everyday words that stand for guide words.
//!
//! Never consulted by red-flag triage: it only shapes answers to questions triage let through.

use std::ops::Range;

use crate::knowledge::{Knowledge, Words};
use crate::phrases::{Found, Occurrence, Phrases};
use crate::text::{self, Markdown};

/// A movement told across a comma ("knee up, cross it over") has at most this many words
/// from its part to its way; "my knee hurts, then I walked across" has more.
const MAX_LISTED_STEP_WORDS: usize = 5;

/// What a group of `words.toml` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meaning {
    Back,
    Technique,
    GeneralTechnique,
    Topic,
    NotTheBack,
    OtherPart,
    OtherSense,
    SmallTalk,
    Thanks,
    BroadAsk,
    BroadContext,
    SetAside,
    /// Indexes [`crate::knowledge::Words::conditions`].
    Condition(usize),
    /// Indexes [`crate::knowledge::Words::everyday`].
    Everyday(usize),
    /// Indexes [`crate::knowledge::Words::follow_ups`].
    FollowUp(usize),
    /// Indexes [`crate::knowledge::Words::asks`].
    Ask(usize),
    /// The parts and the ways of [`crate::knowledge::Scope::movements`], by index.
    MovePart(usize),
    MoveWay(usize),
}

/// Why a question is out of scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfScope {
    /// It is about another part of the body.
    OtherPart,
    /// It uses a guide word in another sense (an egg, a joke, a phone screen).
    OtherSense,
}

/// What one question says, found in one reading.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Read {
    /// The member's words that put the question about the back.
    pub back: Option<String>,
    /// The member's words that make it about back care at all: the back, a technique or a
    /// back-care word. A question without any is not answered.
    pub topic: Option<String>,
    /// Set when the question is clearly about something the guides do not cover and never
    /// names the back: why, and the member's word.
    pub out_of_scope: Option<(OutOfScope, String)>,
    /// The first condition named (index into `Words::conditions`) and the member's words.
    pub condition: Option<(usize, String)>,
    /// The question asks for a method in general ("how do I ...").
    pub broad_ask: bool,
    /// Every word of the question, filler aside, is one of its broad asks, greetings or
    /// context words ("where do I start?"): asked in general of a back-care bot.
    pub only_asks: bool,
    /// The words of those asks ("best", "way", "own" in "best way to ... on my own"): they say
    /// how the question is asked, not what about, so they never make it specific.
    pub ask_words: Vec<String>,
    /// The words that say how the stiffness came about ("lifting boxes all weekend"): like
    /// the ask's own words, they never make a broad ask specific.
    pub context_words: Vec<String>,
    /// The words told only in the story before the question's last ask of any kind that has
    /// one ("bending and lifting all shift. why does my back crack?"): searched, weighed less.
    pub story_words: Vec<String>,
    /// The words of [`Read::back`] ("small", "of", "my", "back"): they name the back, so
    /// they do not make a broad ask specific either, unless nothing else is left.
    pub back_words: Vec<String>,
    /// Where the greetings and thanks are, in the canonical text.
    pub small_talk: Vec<Range<usize>>,
    /// Where the question says thanks.
    pub thanks: Vec<Range<usize>>,
    /// Everyday words found: (member's words, the guide words they stand for).
    pub everyday: Vec<(String, String)>,
    /// Follow-up asks found, first in the text first: (index into `Words::follow_ups`,
    /// where in the canonical text).
    pub follow_ups: Vec<(usize, Range<usize>)>,
    /// The kinds of answer asked for (indexes into `Words::asks`), first in the text first,
    /// with the member's words.
    pub asks: Vec<(usize, String)>,
    /// The question names a technique ("the knee twist"), so it is about that technique
    /// whatever kind of answer it asks for.
    pub names_technique: bool,
    /// Techniques told by their movement ([`crate::knowledge::Scope::movements`] index)
    /// and the member's words for it.
    pub movements: Vec<(usize, String)>,
    /// The question names a warm-up ("is a twist in my chair enough to warm up?"): the
    /// warm-up's own steps move like the techniques, so a movement does not pick one.
    pub names_warm_up: bool,
    /// Techniques the member sets aside ("not the bridge, the other floor one"), in their
    /// words: the answer is about another one.
    pub set_aside: Vec<String>,
}

/// The compiled word lists of one knowledge load.
pub struct Reader {
    phrases: Phrases,
    meanings: Vec<Meaning>,
    everyday: Vec<String>,
    /// Each movement's window, by index.
    movement_windows: Vec<u32>,
}

impl Reader {
    pub fn new(knowledge: &Knowledge) -> Reader {
        let covers: Vec<String> = knowledge
            .guides
            .iter()
            .flat_map(|g| g.covers.iter().cloned())
            .collect();
        Reader::build(&knowledge.words, &covers, Phrases::new())
    }

    /// A reader of another language's words (`words.es.toml`), with that language's filler
    /// words and stemmer.
    pub fn for_language(
        words: &Words,
        covers: &[String],
        lang: crate::language::Lang,
        filler: &[String],
    ) -> Reader {
        Reader::build(words, covers, Phrases::for_lang(lang, filler))
    }

    fn build(words: &Words, covers: &[String], mut phrases: Phrases) -> Reader {
        let mut meanings = Vec::new();
        let mut group = |phrases: &mut Phrases, meaning: Meaning, list: &[String]| {
            let id = meanings.len();
            meanings.push(meaning);
            for phrase in list {
                // Idioms are read side by side: "back seat", not "my back from my seat".
                if meaning == Meaning::NotTheBack {
                    phrases.add_adjacent(id, phrase);
                } else {
                    phrases.add(id, phrase, false);
                }
            }
        };
        let covers: Vec<String> = covers
            .iter()
            .cloned()
            .chain(words.scope.back.iter().cloned())
            .collect();
        group(&mut phrases, Meaning::Back, &covers);
        group(&mut phrases, Meaning::Technique, &words.scope.techniques);
        group(
            &mut phrases,
            Meaning::GeneralTechnique,
            &words.scope.general_techniques,
        );
        group(&mut phrases, Meaning::Topic, &words.scope.topic);
        group(&mut phrases, Meaning::NotTheBack, &words.scope.not_the_back);
        group(&mut phrases, Meaning::OtherPart, &words.scope.other_parts);
        group(&mut phrases, Meaning::OtherSense, &words.scope.other_senses);
        group(&mut phrases, Meaning::SetAside, &words.scope.set_aside);
        group(&mut phrases, Meaning::SmallTalk, &words.small_talk);
        group(&mut phrases, Meaning::Thanks, &words.thanks);
        group(&mut phrases, Meaning::BroadAsk, &words.broad_asks);
        group(&mut phrases, Meaning::BroadContext, &words.broad_context);
        for (i, condition) in words.conditions.iter().enumerate() {
            group(&mut phrases, Meaning::Condition(i), &condition.words);
        }
        for (i, follow_up) in words.follow_ups.iter().enumerate() {
            group(&mut phrases, Meaning::FollowUp(i), &follow_up.asks);
        }
        for (i, ask) in words.asks.iter().enumerate() {
            group(&mut phrases, Meaning::Ask(i), &ask.words);
        }
        for (i, movement) in words.scope.movements.iter().enumerate() {
            group(&mut phrases, Meaning::MovePart(i), &movement.parts);
            group(&mut phrases, Meaning::MoveWay(i), &movement.ways);
        }
        for (i, entry) in words.everyday.iter().enumerate() {
            group(
                &mut phrases,
                Meaning::Everyday(i),
                std::slice::from_ref(&entry.phrase),
            );
        }
        phrases.finish();
        Reader {
            phrases,
            meanings,
            movement_windows: words.scope.movements.iter().map(|m| m.within).collect(),
            everyday: words.everyday.iter().map(|e| e.means.clone()).collect(),
        }
    }

    /// Where a part moves as a technique moves it: a part and one of its ways within the
    /// movement's window, in either order ("knee falls across", "lift my butt").
    fn movements<'a>(
        &'a self,
        all: &'a [Occurrence],
    ) -> impl Iterator<Item = (usize, Range<usize>)> + 'a {
        let of = move |want: fn(usize) -> Meaning, i: usize| {
            all.iter()
                .filter(move |o| !o.quiet && self.meanings[o.group] == want(i))
        };
        self.movement_windows
            .iter()
            .enumerate()
            .flat_map(move |(i, &within)| {
                of(Meaning::MovePart, i).flat_map(move |part| {
                    of(Meaning::MoveWay, i).filter_map(move |way| {
                        let apart = part.last < way.first || way.last < part.first;
                        let first = part.first.min(way.first);
                        let last = part.last.max(way.last);
                        let inner = (part.last - part.first) + (way.last - way.first);
                        let window = (last - first + 1).saturating_sub(inner).max(1);
                        (apart && window <= within).then(|| {
                            let span = part.span.start.min(way.span.start)
                                ..part.span.end.max(way.span.end);
                            (i, span)
                        })
                    })
                })
            })
    }

    /// Reads canonical text (see [`text::canonical`]).
    pub fn read(&self, canonical: &str) -> Read {
        let mut found = Found::default();
        self.phrases.find(canonical, Markdown::Split, &mut found);
        let all = &found.occurrences;
        let spans = |meaning: Meaning| {
            all.iter()
                .filter(move |o| self.meanings[o.group] == meaning)
                .map(|o| o.span.clone())
        };
        let overlaps = |span: &Range<usize>, others: &[Range<usize>]| {
            others
                .iter()
                .any(|o| o.start < span.end && span.start < o.end)
        };
        // "Get my money back" and "play bridge" are not the back.
        let not_back: Vec<Range<usize>> = spans(Meaning::NotTheBack)
            .chain(spans(Meaning::OtherSense))
            .collect();
        // Only a back wholly inside an idiom is cancelled: "put my back out" keeps "my back"
        // although "back out" is an idiom.
        let inside = |span: &Range<usize>, others: &[Range<usize>]| {
            others
                .iter()
                .any(|o| o.start <= span.start && span.end <= o.end)
        };
        // Another part or another sense only as spelled, never as a typo: "warm up frist?"
        // is "first", not a wrist.
        let spelled = |span: &Range<usize>| {
            every_word(&canonical[span.clone()], |word| {
                text::is_filler(word) || self.phrases.knows(word)
            })
        };
        // Nor is a back that shares a word with another part: "upper back is tight" names
        // the upper back, though "back is" alone would be the back.
        let other_parts: Vec<Range<usize>> =
            spans(Meaning::OtherPart).filter(|s| spelled(s)).collect();
        let back: Vec<Range<usize>> = spans(Meaning::Back)
            .filter(|s| !inside(s, &not_back) && !overlaps(s, &other_parts))
            .collect();
        // A movement is told within one clause: "my knee hurts, then I walked across" is not.
        // Steps listed with commas are one telling when nothing else comes between: "lie on
        // back, knee up, cross it over".
        let mut movements: Vec<(usize, Range<usize>)> = self
            .movements(all)
            .filter(|(_, s)| !overlaps(s, &not_back))
            .filter(|(_, s)| {
                let told = &canonical[s.clone()];
                !told.contains(['.', ';', '!', '?', '\n'])
                    && (!told.contains(',')
                        || told.split_whitespace().count() <= MAX_LISTED_STEP_WORDS)
            })
            .collect();
        // "knee" and "knees" are one term: the same words found twice count once.
        movements.sort_by_key(|(i, s)| (s.start, s.end, *i));
        movements.dedup();
        let named: Vec<Range<usize>> = spans(Meaning::Technique)
            .filter(|s| !overlaps(s, &not_back))
            .collect();
        let technique: Vec<Range<usize>> = named
            .iter()
            .cloned()
            .chain(movements.iter().map(|(_, s)| s.clone()))
            .collect();
        // A warm-up names a technique, but any part of the body has one.
        let general: Vec<Range<usize>> = spans(Meaning::GeneralTechnique)
            .filter(|s| !overlaps(s, &not_back))
            .collect();
        let topic = back
            .iter()
            .chain(&technique)
            .chain(&general)
            .cloned()
            .chain(spans(Meaning::Topic).filter(|s| !overlaps(s, &not_back)))
            .next();
        // "Not the bridge, the other one": a technique named right after a setting-aside,
        // with nothing but filler between.
        let set_aside: Vec<String> = spans(Meaning::SetAside)
            .filter_map(|aside| {
                // The technique may share a word with it ("not the" + "the bridge").
                let next = technique
                    .iter()
                    .filter(|t| t.start > aside.start)
                    .min_by_key(|t| t.start)?;
                let gap = aside.end.min(next.start)..next.start;
                every_word(&canonical[gap], text::is_filler)
                    .then(|| canonical[next.clone()].to_owned())
            })
            .collect();
        // The story told before a broad ask. A technique named before the ask is what is
        // asked about; a movement there may be either ("showed me a move where you raise
        // your bottom. how do I do it?"), so it does not end the story.
        let context: Vec<Range<usize>> = spans(Meaning::BroadContext).collect();
        let named_at = named.iter().chain(&general).map(|s| s.start).min();
        // An ask inside thanks is no ask: "that one really helped" thanks for the help.
        let thanks: Vec<Range<usize>> = spans(Meaning::Thanks).collect();
        let asked: Vec<Range<usize>> = spans(Meaning::BroadAsk)
            .filter(|s| !inside(s, &thanks))
            .collect();
        let broad_at: Vec<usize> = asked.iter().map(|s| s.start).collect();
        let story = story_before_last_ask(canonical, &broad_at, named_at, &context);
        let mut read = Read {
            back: back.first().map(|s| canonical[s.clone()].to_owned()),
            topic: topic.map(|s| canonical[s].to_owned()),
            small_talk: spans(Meaning::SmallTalk).collect(),
            broad_ask: !asked.is_empty(),
            ask_words: words_in(canonical, asked.iter().cloned()),
            thanks,
            context_words: words_in(canonical, context.iter().cloned())
                .into_iter()
                .chain(
                    story
                        .clone()
                        .map(|story| told_only(canonical, story))
                        .unwrap_or_default(),
                )
                .collect(),
            back_words: words_in(canonical, back.first().cloned().into_iter()),
            // Told by its movement alone, the technique still leaves the kind of answer to
            // the ask: "I twist hard in my chair till it pops, am I overdoing it?" asks
            // whether it is safe.
            names_technique: !named.is_empty() || !general.is_empty(),
            movements: movements
                .iter()
                .map(|(i, s)| (*i, canonical[s.clone()].to_owned()))
                .collect(),
            set_aside,
            names_warm_up: !general.is_empty(),
            ..Read::default()
        };
        // The longest everyday phrase speaks for its words: "a hot water bottle" is heat, not
        // another sense of "bottle".
        let inside_a_longer = |span: &Range<usize>| {
            all.iter().any(|o| {
                matches!(self.meanings[o.group], Meaning::Everyday(_))
                    && o.span.start <= span.start
                    && span.end <= o.span.end
                    && o.span.len() > span.len()
            })
        };
        // A question naming the back or a technique is in scope whatever else it names, so
        // "knee" in "the knee twist" is not the knee.
        if back.is_empty() && technique.is_empty() {
            read.out_of_scope = other_parts
                .first()
                .map(|s| (OutOfScope::OtherPart, canonical[s.clone()].to_owned()))
                .or_else(|| {
                    spans(Meaning::OtherSense)
                        .find(|s| spelled(s) && !inside_a_longer(s) && !compared(canonical, s))
                        .map(|s| (OutOfScope::OtherSense, canonical[s].to_owned()))
                });
        }
        if read.broad_ask {
            let asked: Vec<Range<usize>> = spans(Meaning::BroadAsk)
                .chain(spans(Meaning::BroadContext))
                .chain(spans(Meaning::SmallTalk))
                .chain(spans(Meaning::Thanks))
                .collect();
            let mut only_asks = true;
            text::for_each_word_at(canonical, Markdown::Split, |word, span| {
                only_asks &= text::is_filler(word) || inside(&span, &asked);
            });
            read.only_asks = only_asks;
        }
        let mut asks: Vec<(usize, Range<usize>)> = Vec::new();
        for occurrence in all {
            let words = || canonical[occurrence.span.clone()].to_owned();
            match self.meanings[occurrence.group] {
                Meaning::Condition(i) if read.condition.is_none() => {
                    read.condition = Some((i, words()));
                }
                // The longest everyday phrase speaks for its words: "walk on my back" is
                // someone forcing it, not also "on my back" (lying down).
                Meaning::Everyday(_) if inside_a_longer(&occurrence.span) => {}
                Meaning::Everyday(i) => read.everyday.push((words(), self.everyday[i].clone())),
                Meaning::FollowUp(i) => read.follow_ups.push((i, occurrence.span.clone())),
                Meaning::Ask(i) => asks.push((i, occurrence.span.clone())),
                _ => {}
            }
        }
        // First in the text first; where two start together the longer says more ("avoid a
        // stiff back" asks how to prevent it, not whether something is safe).
        asks.sort_by_key(|(_, span)| (span.start, std::cmp::Reverse(span.end)));
        // A kind's words inside a longer ask of another kind are that ask's: "who shouldnt"
        // asks whether to see someone, not also whether it is safe ("shouldnt").
        let spans: Vec<Range<usize>> = asks.iter().map(|(_, span)| span.clone()).collect();
        asks.retain(|(_, span)| {
            !spans.iter().any(|longer| {
                longer.start <= span.start && span.end <= longer.end && longer.len() > span.len()
            })
        });
        // The story before an ask of any kind, broad or an [[ask]] kind, is searched but
        // weighed less.
        let asked_at: Vec<usize> = broad_at
            .iter()
            .copied()
            .chain(asks.iter().map(|(_, span)| span.start))
            .collect();
        if let Some(story) = story_before_last_ask(canonical, &asked_at, named_at, &context) {
            read.story_words = told_only(canonical, story);
        }
        read.asks = asks
            .into_iter()
            .map(|(i, span)| (i, canonical[span].to_owned()))
            .collect();
        read
    }
}

/// Whether the words at `span` are only what something is compared with: "mine goes off like
/// bubble wrap when I twist" asks about a back that pops, not about bubble wrap.
fn compared(canonical: &str, span: &Range<usize>) -> bool {
    let mut last = None;
    text::for_each_word(&canonical[..span.start], Markdown::Split, |word| {
        // "like" is a filler word elsewhere; here it is the one that matters.
        if word == "like" || !text::is_filler(word) {
            last = Some(word == "like");
        }
    });
    last == Some(true)
}

/// Whether every word of canonical text passes `test` (true for no words at all).
fn every_word(canonical: &str, mut test: impl FnMut(&str) -> bool) -> bool {
    let mut all = true;
    text::for_each_word(canonical, Markdown::Split, |word| all &= test(word));
    all
}

/// The words of a story that the question does not name again after it: "squeezing at the top
/// of a bridge helps. how do I do the bridge?" asks about the bridge.
fn told_only(canonical: &str, story: Range<usize>) -> Vec<String> {
    let asked = words_in(canonical, std::iter::once(story.end..canonical.len()));
    words_in(canonical, std::iter::once(story))
        .into_iter()
        .filter(|w| !asked.contains(w))
        .collect()
}

/// The story before the last of the asks that has one: "helping residents in and out of
/// chairs all shift. what stretches can I do?" asks in its last sentence, not at "helping".
fn story_before_last_ask(
    canonical: &str,
    asks: &[usize],
    technique: Option<usize>,
    context: &[Range<usize>],
) -> Option<Range<usize>> {
    let mut asks = asks.to_vec();
    asks.sort_unstable();
    asks.into_iter()
        .rev()
        .find_map(|at| story_before_ask(canonical, Some(at), technique, context))
}

/// The sentences told before the one that asks in general ("spent the day painting, and my
/// back is stiff. what are my options?"): how it came about, not what is asked for. A clause
/// before a comma is story too when it tells how it came about in words of `context` ("did
/// a five hour drive and my back is stiff, what's the best way to go about it?"), but not
/// when it only sets the scene ("at work I can't lie on the floor, what can I do sitting").
/// None when the ask is in the first clause, or a technique is named or a question asked
/// before it ("can i twist sat down? how do i do it?").
fn story_before_ask(
    canonical: &str,
    ask: Option<usize>,
    technique: Option<usize>,
    context: &[Range<usize>],
) -> Option<Range<usize>> {
    let ask = ask?;
    // An emoji ends a sentence as well as a full stop does: "woke up with my back all tight
    // 😩 what stretches should I do?" A dash does not: "sat in a chair reaching one arm over
    // to the side — how do I do it properly?" asks about that move.
    let sentence = canonical[..ask]
        .char_indices()
        .rev()
        .find(|&(_, c)| {
            matches!(c, '.' | '!' | '?' | '\n')
                || (!c.is_ascii()
                    && !c.is_alphanumeric()
                    && !c.is_whitespace()
                    && !('\u{2000}'..='\u{206f}').contains(&c))
        })
        .map(|(at, c)| at + c.len_utf8());
    let from = sentence.unwrap_or(0);
    let clause = canonical[..ask].rfind(',').map(|at| at + 1).filter(|&end| {
        end > from
            && context
                .iter()
                .any(|span| span.start >= from && span.end <= end)
    });
    let start = sentence.max(clause)?;
    let told = !canonical[..start].contains('?') && technique.is_none_or(|t| t >= start);
    told.then_some(0..start)
}

/// The words of the text inside the spans, in order.
fn words_in(canonical: &str, spans: impl Iterator<Item = Range<usize>>) -> Vec<String> {
    spans
        .flat_map(|s| {
            canonical[s]
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader() -> Reader {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        Reader::new(&Knowledge::load(&dir).unwrap())
    }

    fn read(reader: &Reader, question: &str) -> Read {
        reader.read(&crate::text::canonical(question))
    }

    #[test]
    fn another_part_is_out_of_scope_unless_the_back_is_named() {
        let reader = reader();
        let knee = read(&reader, "my knee cracks when I squat");
        assert_eq!(
            knee.out_of_scope,
            Some((OutOfScope::OtherPart, "knee".into()))
        );
        let both = read(&reader, "my lower back and hip are stiff");
        assert_eq!(both.out_of_scope, None);
        assert!(both.back.is_some());
        let technique = read(&reader, "how long do I hold the knee to chest one");
        assert_eq!(technique.out_of_scope, None);
    }

    #[test]
    fn a_story_told_before_a_broad_ask_is_context() {
        let reader = reader();
        let story = read(
            &reader,
            "spent the day painting, reaching and bending. what are my options?",
        );
        assert!(story.broad_ask);
        for word in ["painting", "reaching", "bending"] {
            assert!(story.context_words.iter().any(|w| w == word), "{word}");
        }
        // A question before the ask is what the ask refers to, not a story.
        let asked = read(&reader, "can i twist while sat down? how do i do it?");
        assert!(!asked.context_words.iter().any(|w| w == "twist"));
        // Nor is anything in the sentence that asks.
        let one = read(&reader, "what are my options for reaching and bending");
        assert!(!one.context_words.iter().any(|w| w == "reaching"));
        // A clause before a comma is story when it tells how it came about...
        let clause = read(&reader, "did a long drive up north, what can i do?");
        assert!(clause.context_words.iter().any(|w| w == "north"));
        // ...but not when it only sets the scene.
        let scene = read(
            &reader,
            "at work i can't lie on the floor, what can i do sitting",
        );
        assert!(!scene.context_words.iter().any(|w| w == "floor"));
        // An emoji ends a sentence; a dash does not.
        let emoji = read(
            &reader,
            "napped on the sofa and woke up all tight 😩 what stretches should i do?",
        );
        assert!(emoji.context_words.iter().any(|w| w == "napped"));
        let dash = read(
            &reader,
            "sat reaching one arm over to the side — how do i do it properly",
        );
        assert!(!dash.context_words.iter().any(|w| w == "reaching"));
    }

    #[test]
    fn the_story_before_any_ask_is_weighed_less_unless_asked_about_again() {
        let reader = reader();
        // Before a kind of answer asked for ("why"), not only before a broad ask.
        let why = read(
            &reader,
            "bending and lifting all shift. why does my lower back crack so loud?",
        );
        for word in ["bending", "lifting", "shift"] {
            assert!(why.story_words.iter().any(|w| w == word), "{word}");
        }
        assert!(!why.story_words.iter().any(|w| w == "crack"));
        // The last ask that has a story before it: "helping" is no ask of the question.
        let care = read(
            &reader,
            "care worker, helping residents out of chairs all shift. what stretches can i do at home?",
        );
        assert!(care.story_words.iter().any(|w| w == "chairs"));
        assert!(care.context_words.iter().any(|w| w == "chairs"));
        // A word told in the story and named again in the ask is what is asked about.
        let again = read(
            &reader,
            "my trainer says squeezing at the top of a bridge helps. how do i do the bridge properly?",
        );
        assert!(!again.story_words.iter().any(|w| w == "bridge"));
        assert!(!again.context_words.iter().any(|w| w == "bridge"));
        // No ask, no story.
        let none = read(&reader, "bending and lifting all shift. my back is stiff.");
        assert!(none.story_words.is_empty());
    }

    #[test]
    fn a_part_moving_as_a_technique_moves_it_is_the_technique() {
        let reader = reader();
        // The shipped movements: the part near the way it moves, in either order...
        for (question, words) in [
            (
                "for the lying down one where the knee falls across, how long?",
                "knee falls across",
            ),
            (
                "i lie down with knees bent and lift my butt, nothing cracks",
                "lift my butt",
            ),
            (
                "sitting, I lean over to the other side slowly, is that right?",
                "lean over to the other side",
            ),
            (
                "i keep twisting round in my chair to get it to pop",
                "twisting round in my chair",
            ),
        ] {
            let read = read(&reader, question);
            assert_eq!(read.out_of_scope, None, "{question}");
            assert_eq!(read.movements.len(), 1, "{question}: {:?}", read.movements);
            assert_eq!(read.movements[0].1, words, "{question}");
        }
        // Told by its movement alone, a technique is not named: the kind of answer asked for
        // still decides ("am I overdoing it?" asks whether it is safe).
        let told = read(
            &reader,
            "i twist hard in my chair till it pops, am i overdoing it?",
        );
        assert_eq!(told.movements.len(), 1, "{:?}", told.movements);
        assert!(!told.names_technique);
        assert!(read(&reader, "how long do i hold the knee to chest one").names_technique);
        // Steps listed with commas are one telling.
        let listed = read(
            &reader,
            "lie on back, knee up, cross it over, is that the one?",
        );
        assert_eq!(listed.movements.len(), 1, "{:?}", listed.movements);
        // ...but not a part that only hurts or cracks, nor one too far from the way.
        for question in [
            "my knee cracks when I cross my legs",
            "my hip clicks when I get up off the sofa",
            "my knee hurts a lot, and then I walked across the road",
        ] {
            let read = read(&reader, question);
            assert!(
                read.movements.is_empty(),
                "{question}: {:?}",
                read.movements
            );
            assert!(read.out_of_scope.is_some(), "{question}");
        }
    }

    #[test]
    fn other_senses_and_money_back_are_not_the_back() {
        let reader = reader();
        let egg = read(&reader, "best way to crack an egg?");
        assert_eq!(
            egg.out_of_scope,
            Some((OutOfScope::OtherSense, "egg".into()))
        );
        let money = read(&reader, "how do I get my money back");
        assert_eq!(money.back, None);
        let bridge = read(&reader, "anyone want to play bridge tonight");
        assert_eq!(bridge.back, None);
        assert!(bridge.out_of_scope.is_some());
        // What a pop is likened to is no other sense of it.
        let wrap = read(
            &reader,
            "is that normal? mine goes off like bubble wrap when i twist",
        );
        assert_eq!(wrap.out_of_scope, None);
        let popping = read(&reader, "whats the best way to pop bubble wrap");
        assert!(popping.out_of_scope.is_some());
    }

    #[test]
    fn a_warm_up_names_a_technique_but_keeps_no_other_part_in_scope() {
        let reader = reader();
        let neck = read(&reader, "does my neck need warming up before I crack it");
        assert_eq!(
            neck.out_of_scope,
            Some((OutOfScope::OtherPart, "neck".into()))
        );
        let first = read(&reader, "should i warm up before i crack it?");
        assert!(first.names_technique && first.topic.is_some());
        assert_eq!(first.out_of_scope, None);
        // The back named with it keeps it in scope.
        let both = read(&reader, "warm up for my neck and my lower back");
        assert_eq!(both.out_of_scope, None);
        // A garden behind the house is no back, though "my back" is in it.
        let garden = read(&reader, "my back garden is overgrown, what should i plant");
        assert_eq!(garden.back, None);
    }

    #[test]
    fn conditions_small_talk_and_everyday_words_are_found() {
        let reader = reader();
        let pregnant = read(&reader, "im pregnant, can i still crack my back?");
        assert!(pregnant.condition.is_some());
        let hi = read(&reader, "hi there, thanks!!");
        assert_eq!(hi.small_talk.len(), 2);
        let sofa = read(&reader, "stiff after a night on the sofa");
        assert_eq!(sofa.everyday, [("sofa".to_owned(), "sitting".to_owned())]);
    }

    #[test]
    fn an_ask_inside_a_longer_ask_is_the_longer_ones() {
        let reader = reader();
        let who = read(&reader, "who shouldnt be cracking their own back");
        let words: Vec<&str> = who.asks.iter().map(|(_, w)| w.as_str()).collect();
        assert_eq!(words, ["who shouldnt"]);
        // Side by side, both kinds stay.
        let both = read(&reader, "why does it pop, and is it safe?");
        assert_eq!(both.asks.len(), 2, "{:?}", both.asks);
    }

    #[test]
    fn the_longest_everyday_phrase_speaks_for_its_words() {
        let reader = reader();
        let walk = read(&reader, "can my partner walk on my back to crack it");
        let phrases: Vec<&str> = walk.everyday.iter().map(|(w, _)| w.as_str()).collect();
        assert!(phrases.contains(&"walk on my back"), "{phrases:?}");
        assert!(!phrases.contains(&"on my back"), "{phrases:?}");
        let lying = read(&reader, "a stretch i can do on my back");
        assert!(lying.everyday.iter().any(|(w, _)| w == "on my back"));
        // Nor is a word of a longer everyday phrase another sense of a guide word.
        let heat = read(
            &reader,
            "a hot water bottle or a gentle walk before a stretch?",
        );
        assert_eq!(heat.out_of_scope, None);
        let pop = read(&reader, "how do i pop the bottle open");
        assert!(pop.out_of_scope.is_some());
    }
}
