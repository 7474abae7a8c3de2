//! The answer engine: triage first, then search, then a reply. No Discord, no I/O per question.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::knowledge::{FollowUpAnswer, Guide, Kind, Knowledge, KnowledgeError, Section, Tier};
use crate::language::Lang;
use crate::reading::{OutOfScope, Read, Reader};
use crate::reply::{
    covers_text, english_replies, Greeting, Labels, NoMatch, OutOfScopeNote, OverviewReply, Reply,
    SectionReply, SeekCare,
};
use crate::search::translated::{Translated, TranslatedAnswer};
use crate::search::{ExampleMatch, Hit, IndexError, Opened, QueryTerm, Search, Target};
use crate::triage::{Confidence, FlagHit, Multilingual, Triaged};

/// Whether the message opens or ends with small talk ("thanks, that helped", "hiya, new
/// here"): a greeting or thanks, rather than a question that happens to say "morning".
fn opens_or_ends(canonical: &str, small_talk: &[std::ops::Range<usize>]) -> bool {
    let content = |c: char| c.is_alphanumeric();
    let first = canonical.find(content);
    let last = canonical.rfind(content);
    small_talk.iter().any(|span| {
        first.is_some_and(|f| span.start <= f && f < span.end)
            || last.is_some_and(|l| span.start <= l && l < span.end)
    })
}

/// The part of a question that is searched (triage always reads all of it).
fn searched_part(question: &str) -> &str {
    match question.char_indices().nth(MAX_QUESTION_CHARS) {
        Some((cut, _)) => &question[..cut],
        None => question,
    }
}

/// The id the overview answers under, in replies, JSON and regression questions.
pub const OVERVIEW_ID: &str = "overview";

/// Questions are searched on their first this-many characters; triage always reads all.
pub const MAX_QUESTION_CHARS: usize = 4000;

/// A section whose score is this many times the next one's answers even a broad question.
const CLEAR_LEAD: f32 = 1.5;

/// An [[ask]]'s section answers when its score is at least this share of the best one's.
const ASK_SHARE: f32 = 0.4;

/// A question that has at least this share of an example question of the best section, and
/// half its own words in it, is what that example asks for: the kind of answer its other
/// words ask for ("habit", "is it ok") does not move it elsewhere ("habit of cracking every
/// hour, bad?" is "is it bad to crack every day").
const SETTLED_BY_EXAMPLE: f32 = 0.75;
const SETTLED_COVERS: f32 = 0.5;

/// A question asked in general ("what's the full set of moves?") gets the overview when the
/// overview's example questions score at least this share of the best section.
const BROAD_OVERVIEW_SHARE: f32 = 0.85;

/// Next-step buttons under an answer at most.
const MAX_NEXT_STEPS: usize = 3;

/// Candidates kept for `--explain`.
const CANDIDATES: usize = 5;

/// When a search result is an answer. Calibrated by cross-validation on the question sets in
/// `tests/fixtures` (`cargo run --release --example calibrate`; see docs/search.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// The best candidate answers when its score reaches this...
    pub min_score: f32,
    /// ...or when the question has at least this share of one of its example questions.
    pub min_example_share: f32,
}

impl Default for Decision {
    fn default() -> Self {
        Decision {
            min_score: 4.0,
            min_example_share: 0.6,
        }
    }
}

/// Why a question got the answer it got, beyond the search itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "because")]
pub enum Because {
    /// The best candidate was confident enough; `topic` is the member's back-care words.
    Search { topic: String },
    /// Every word of the question is one most sections use: a broad question, the overview.
    Broad,
    /// The question is nothing but an ask in general (`words.toml` [broad] asks, context
    /// and greetings): the overview.
    OnlyAsks,
    /// No candidate was, but the question is about the back: the overview.
    AboutTheBack { words: String },
    /// A condition that needs a professional's go-ahead.
    Condition { name: String, words: String },
    /// Clearly about something the guides do not cover.
    OutOfScope { why: OutOfScope, words: String },
    /// Only greetings or thanks.
    SmallTalk,
    /// Not about back care, or nothing confident and not about the back.
    NoConfidentMatch,
    /// Triage found a warning sign; nothing else was read.
    RedFlag,
    /// Chosen by name, from a menu or a button, not asked.
    Chosen,
    /// Asked in a language with a translated guide: answered from it (`example`: word for
    /// word one of its example questions), or no match when no section shares enough words.
    Translated { lang: Lang, example: bool },
    /// The question is, word for word, one of the section's example questions (as written
    /// in the guide or taught by a moderator).
    Example,
    /// The question asks for a kind of answer (`words.toml` [[ask]] `name`, found as
    /// `words`) and that section was among the candidates.
    Ask { name: String, words: String },
    /// The question asks for a kind of answer (`words.toml` [[ask]] `name`, found as
    /// `words`), names no technique, and the search found nothing more specific: that
    /// kind's section rather than the overview ("what shouldnt i do when cracking my back").
    AskAlone { name: String, words: String },
    /// The question tells a technique by its movement (`words.toml` [[scope.movement]],
    /// found as `words`) and that section was among the candidates.
    Movement { words: String },
    /// A follow-up on an earlier answer: `asked` (a `words.toml` follow-up, found as
    /// `words`) about the section `after`.
    FollowUp {
        after: String,
        asked: String,
        words: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// The section an answer came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionRef {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub guide: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: String,
    pub score: f32,
}

/// Everything known about one question's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub triage: Triaged,
    pub reply: Reply,
    pub section: Option<SectionRef>,
    pub score: Option<f32>,
    /// Why: the words searched and the best candidates (empty for seek-care replies,
    /// which are decided before any search).
    pub terms: Vec<QueryTerm>,
    /// Topic words of the question that no guide uses.
    pub unknown: Vec<String>,
    pub candidates: Vec<Candidate>,
    /// The example question of the best candidate closest to the question.
    pub example: Option<ExampleMatch>,
    /// Sections the member set aside ("not the bridge, the other one"), by id: left out
    /// of the candidates.
    pub set_aside: Vec<String>,
    pub because: Because,
}

impl Answer {
    pub fn tier(&self) -> Option<Tier> {
        self.triage.tier()
    }

    pub fn red_flags(&self) -> &[FlagHit] {
        &self.triage.hits
    }
}

/// One loaded version of the knowledge, ready to answer.
pub struct Engine {
    knowledge: Knowledge,
    triage: Multilingual,
    search: Search,
    /// The translated guides, each indexed the first time a question in its language
    /// comes: most questions are English, and a `backcare ask` should not pay for them.
    translated: Vec<(Lang, std::sync::OnceLock<Option<Translated>>)>,
    /// Shared with the engine before a reload when `words.toml` and the guides' `covers`
    /// are unchanged: its typo index, built on the first typo, is then built once.
    reader: Arc<Reader>,
    pub decision: Decision,
    /// (guide, section) positions in search order, so a hit is found without a scan.
    positions: Vec<(usize, usize)>,
    /// The no-match reply never changes within a load: composed once.
    no_match: NoMatch,
    /// "the lower back": what the guides cover, for replies.
    covers: String,
    /// Every example question ([`example_key`]) and the section or overview it asks for.
    examples: rustc_hash::FxHashMap<String, Target>,
}

/// An example question as looked up: canonical words, punctuation and spacing dropped.
fn example_key(text: &str) -> String {
    crate::text::canonical(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The example questions of every section and overview; the first one written wins a
/// wording two sections share.
fn examples_of(knowledge: &Knowledge) -> rustc_hash::FxHashMap<String, Target> {
    let mut examples = rustc_hash::FxHashMap::default();
    for (p, (_, section)) in knowledge.sections().enumerate() {
        for example in &section.examples {
            examples
                .entry(example_key(&example.text))
                .or_insert(Target::Section(p));
        }
    }
    for (g, guide) in knowledge.guides.iter().enumerate() {
        for example in guide.overview.iter().flat_map(|o| &o.examples) {
            examples
                .entry(example_key(&example.text))
                .or_insert(Target::Overview(g));
        }
    }
    examples
}

impl Engine {
    /// Loads the knowledge folder and opens (or rebuilds) its index.
    pub fn open(knowledge_dir: &Path, index_dir: &Path) -> Result<(Engine, Opened), EngineError> {
        crate::triage::Triage::prewarm_floor();
        let knowledge = Knowledge::load(knowledge_dir)?;
        let (search, opened) = Search::open(index_dir, &knowledge)?;
        Ok((Engine::new(knowledge, search), opened))
    }

    /// An engine whose index lives in memory, for tests and benchmarks.
    pub fn in_memory(knowledge: Knowledge) -> Result<Engine, EngineError> {
        let search = Search::in_memory(&knowledge)?;
        Ok(Engine::new(knowledge, search))
    }

    pub fn new(knowledge: Knowledge, search: Search) -> Engine {
        Engine::reusing(knowledge, search, None)
    }

    /// An engine whose index lives in memory, taking over from `previous` the red-flag
    /// tables of every language whose red flags are unchanged (a reload's candidate).
    pub fn in_memory_after(knowledge: Knowledge, previous: &Engine) -> Result<Engine, EngineError> {
        let search = Search::in_memory(&knowledge)?;
        Ok(Engine::reusing(knowledge, search, Some(previous)))
    }

    fn reusing(knowledge: Knowledge, search: Search, previous: Option<&Engine>) -> Engine {
        let translated = knowledge
            .translations
            .iter()
            .map(|t| (t.lang, std::sync::OnceLock::new()))
            .collect();
        let positions = knowledge
            .guides
            .iter()
            .enumerate()
            .flat_map(|(g, guide)| (0..guide.sections.len()).map(move |s| (g, s)))
            .collect();
        let no_match = NoMatch::new(knowledge.sections().map(|(_, s)| s));
        let reader = match previous {
            Some(before) if same_reading(&before.knowledge, &knowledge) => {
                Arc::clone(&before.reader)
            }
            _ => Arc::new(Reader::new(&knowledge)),
        };
        let covers = covers_text(knowledge.guides.iter());
        let examples = examples_of(&knowledge);
        // Last: at a start its tables may still be building on another thread.
        let triage = Multilingual::reusing(&knowledge, previous.map(|p| (&p.knowledge, &p.triage)));
        Engine {
            knowledge,
            triage,
            search,
            translated,
            reader,
            decision: Decision::default(),
            positions,
            no_match,
            covers,
            examples,
        }
    }

    /// This engine answering from `search` instead (an index of the same knowledge): what a
    /// reload checked in memory goes live on the index on disk without building its tables,
    /// triage and readers again.
    pub fn with_search(self, search: Search) -> Engine {
        Engine { search, ..self }
    }

    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// Every red flag in a message, with how strong the evidence for each is.
    pub fn triage(&self, message: &str) -> Triaged {
        self.triage.check(message)
    }

    /// The guide and section at a search position ([`crate::search::Hit::section`]).
    fn section_at(&self, position: usize) -> (&Guide, &Section) {
        let (g, s) = self.positions[position];
        let guide = &self.knowledge.guides[g];
        (guide, &guide.sections[s])
    }

    /// The seek-care answer for a message with red flags of at least `confidence`, or
    /// `None`: triage alone. Questions put to the bot escalate on any evidence
    /// ([`Confidence::Weak`]); watched channels, where nobody asked, on strong evidence.
    pub fn check_red_flags(&self, message: &str, confidence: Confidence) -> Option<Answer> {
        let triage = self.triage.check(message).at_least(confidence);
        triage.is_red_flag().then(|| self.seek_care(triage))
    }

    fn seek_care(&self, triage: Triaged) -> Answer {
        let red_flags = self.knowledge.red_flags_in(triage.lang);
        let reply = Reply::SeekCare(SeekCare::new(&triage.hits, red_flags));
        Answer {
            triage,
            reply,
            section: None,
            score: None,
            terms: Vec::new(),
            unknown: Vec::new(),
            candidates: Vec::new(),
            example: None,
            set_aside: Vec::new(),
            because: Because::RedFlag,
        }
    }

    /// The id a search target answers under.
    fn target_id(&self, target: Target) -> &str {
        match target {
            Target::Section(position) => &self.section_at(position).1.id,
            Target::Overview(_) => OVERVIEW_ID,
        }
    }

    /// The id, title and kind of a search target.
    fn target_ref(&self, target: Target) -> SectionRef {
        match target {
            Target::Section(position) => {
                let (guide, section) = self.section_at(position);
                SectionRef {
                    id: section.id.clone(),
                    title: section.title.clone(),
                    kind: section.kind,
                    guide: guide.title.clone(),
                }
            }
            Target::Overview(g) => {
                let guide = &self.knowledge.guides[g];
                SectionRef {
                    id: OVERVIEW_ID.to_owned(),
                    title: format!("{}: an overview", guide.title),
                    kind: Kind::Info,
                    guide: guide.title.clone(),
                }
            }
        }
    }

    /// The reply for a search target.
    fn target_reply(&self, target: Target) -> Option<Reply> {
        match target {
            Target::Section(position) => {
                let (guide, section) = self.section_at(position);
                let answer = SectionReply::new(guide, section);
                Some(Reply::Section(self.with_next_steps(answer, position)))
            }
            Target::Overview(g) => {
                OverviewReply::new(&self.knowledge.guides[g]).map(Reply::Overview)
            }
        }
    }

    /// The first guide's overview, for a question about the back that matched nothing well.
    fn any_overview(&self) -> Option<Target> {
        let g = self
            .knowledge
            .guides
            .iter()
            .position(|g| g.overview.is_some())?;
        Some(Target::Overview(g))
    }

    /// The first when-to-see-a-professional section.
    fn seek_help(&self) -> Option<Target> {
        let position = self
            .knowledge
            .sections()
            .position(|(_, s)| s.kind == Kind::SeekHelp)?;
        Some(Target::Section(position))
    }

    /// The answer for one section of the guides, by id, or the overview for
    /// [`OVERVIEW_ID`]: what a button or menu entry opens.
    pub fn open_answer(&self, id: &str) -> Option<(Reply, SectionRef)> {
        let target = if id == OVERVIEW_ID {
            self.any_overview()?
        } else {
            Target::Section(self.knowledge.section_position(id)?)
        };
        Some((self.target_reply(target)?, self.target_ref(target)))
    }

    /// The whole answer for a section (or the overview) chosen by id rather than asked.
    pub fn choose(&self, id: &str) -> Option<Answer> {
        let (reply, section) = self.open_answer(id)?;
        Some(Answer {
            triage: Triaged::default(),
            reply,
            section: Some(section),
            score: None,
            terms: Vec::new(),
            unknown: Vec::new(),
            candidates: Vec::new(),
            example: None,
            set_aside: Vec::new(),
            because: Because::Chosen,
        })
    }

    /// How much each field of the index gave the answer, for `--explain`.
    pub fn field_scores(&self, answer: &Answer) -> Vec<(&'static str, f32)> {
        let Some(section) = &answer.section else {
            return Vec::new();
        };
        let target = if section.id == OVERVIEW_ID {
            self.any_overview()
        } else {
            self.knowledge
                .section_position(&section.id)
                .map(Target::Section)
        };
        target
            .map(|t| self.search.field_scores(&answer.terms, t))
            .unwrap_or_default()
    }

    /// Answers a question asked in reply to an answer from `section` (its id): "how long do
    /// I hold it?", "the other side?", "next one?" (the follow-ups of `words.toml`). Red flags
    /// come first as always; a question with no follow-up words, or about a section that no
    /// longer exists, is answered as if asked on its own. Pure: the context is the id alone.
    pub fn ask_in_context(&self, question: &str, section: &str) -> Answer {
        let answer = self.ask(question);
        if answer.triage.is_red_flag() {
            return answer;
        }
        let Some(mut context) = self.knowledge.section_position(section) else {
            return answer;
        };
        let canonical = crate::text::canonical(searched_part(question));
        let mut asks = self.reader.read(&canonical).follow_ups;
        asks.sort_by_key(|(_, span)| span.start);
        let Some((first, span)) = asks.first().cloned() else {
            return answer;
        };
        // A technique named besides the follow-up words is the one it is about: "how long
        // do I hold the bridge?" after the twist.
        let rest: String = canonical
            .char_indices()
            .map(|(i, c)| {
                let asked = asks.iter().any(|(_, span)| span.contains(&i));
                if asked {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        let everyday = self.reader.read(&rest).everyday;
        if let Some(hit) = self.search.search(&rest, &everyday, &[], 1).hits.first() {
            if let Target::Section(position) = hit.target {
                let kind = self.section_at(position).1.kind;
                if hit.score >= self.decision.min_score
                    && matches!(kind, Kind::Technique | Kind::Warmup)
                {
                    context = position;
                }
            }
        }
        let follow_up = &self.knowledge.words.follow_ups[first];
        let target = match &follow_up.answer {
            FollowUpAnswer::Lines(_) => Some(context),
            FollowUpAnswer::Opens(id) => self.knowledge.section_position(id),
            FollowUpAnswer::Next => self.next_technique(context),
        };
        let Some(target) = target else {
            return answer;
        };
        let (guide, shown) = self.section_at(target);
        let reply = match &follow_up.answer {
            FollowUpAnswer::Lines(words) => {
                SectionReply::follow_up(guide, shown, &follow_up.name, words)
            }
            _ => SectionReply::new(guide, shown),
        };
        let reply = self.with_next_steps(reply, target);
        Answer {
            reply: Reply::Section(reply),
            section: Some(self.target_ref(Target::Section(target))),
            score: None,
            example: None,
            because: Because::FollowUp {
                after: self.section_at(context).1.id.clone(),
                asked: follow_up.name.clone(),
                words: canonical[span].to_owned(),
            },
            ..answer
        }
    }

    /// Up to three next steps for the answer from the section at `position`: the warm-up,
    /// another technique, the precautions, when to see someone, each if the guides have one
    /// and it is not this section.
    fn with_next_steps(&self, mut answer: SectionReply, position: usize) -> SectionReply {
        let first =
            |kind: Kind| (0..self.positions.len()).find(|&p| self.section_at(p).1.kind == kind);
        let here = self.section_at(position).1.kind;
        let another = match here {
            Kind::Technique | Kind::Warmup => self.next_technique(position),
            _ => None,
        };
        let candidates = [
            (
                "Warm up first",
                (here == Kind::Technique)
                    .then(|| first(Kind::Warmup))
                    .flatten(),
            ),
            ("Another technique", another),
            ("Precautions", first(Kind::Precaution)),
            ("When to see someone", first(Kind::SeekHelp)),
        ];
        answer.next = candidates
            .into_iter()
            .filter_map(|(label, target)| {
                let target = target.filter(|&t| t != position)?;
                Some(crate::reply::NextStep {
                    label: label.to_owned(),
                    section: self.section_at(target).1.id.clone(),
                })
            })
            .take(MAX_NEXT_STEPS)
            .collect();
        answer
    }

    /// The technique after the one at `position`, in guide order, going round; the first
    /// technique when `position` is not one.
    fn next_technique(&self, position: usize) -> Option<usize> {
        let techniques: Vec<usize> = (0..self.positions.len())
            .filter(|&p| self.section_at(p).1.kind == Kind::Technique)
            .collect();
        let next = techniques.iter().find(|&&p| p > position);
        next.or(techniques.first()).copied()
    }

    /// Answers one question. Red flags are checked on the whole text before anything else.
    pub fn ask(&self, question: &str) -> Answer {
        let triage = self.triage.check(question);
        if triage.is_red_flag() {
            return self.seek_care(triage);
        }
        let lang = triage.lang;
        if lang == Lang::En {
            return self.ask_english(question, triage);
        }
        if let Some(translated) = self.translated(lang) {
            return self.ask_translated(translated, question, triage);
        }
        // No guide in the member's language: the English answer, with a line saying so in
        // their language.
        let mut answer = self.ask_english(question, triage);
        if let Some(replies) = &self.knowledge.red_flags_in(lang).replies {
            let note = Some(replies.guide_in_english.clone());
            match &mut answer.reply {
                Reply::Section(section) => section.note = note,
                Reply::Overview(overview) => overview.note = note,
                Reply::NoMatch(none) => none.note = note,
                Reply::SeekCare(_) | Reply::Greeting(_) => {}
            }
        }
        answer
    }

    /// The translated guide of `lang`, indexed on first use.
    fn translated(&self, lang: Lang) -> Option<&Translated> {
        let (_, cell) = self.translated.iter().find(|(l, _)| *l == lang)?;
        cell.get_or_init(|| {
            let translation = self.knowledge.translations.iter().find(|t| t.lang == lang)?;
            let words = self
                .knowledge
                .language_words
                .iter()
                .find(|(l, _)| *l == lang)
                .map(|(_, w)| w);
            let filler = &self.knowledge.red_flags_in(lang).language.filler;
            match Translated::new(lang, translation.guide.clone(), words, filler) {
                Ok(translated) => Some(translated),
                Err(err) => {
                    tracing::warn!(guide = %translation.guide.file, error = %err, "cannot index a translated guide; answering in English");
                    None
                }
            }
        })
        .as_ref()
    }

    /// The answer from a translated guide, in its language.
    fn ask_translated(&self, translated: &Translated, question: &str, triage: Triaged) -> Answer {
        let replies = self
            .knowledge
            .red_flags_in(translated.lang)
            .replies
            .clone()
            .unwrap_or_else(english_replies);
        let labels = Labels::from_replies(&replies);
        let guide = &translated.guide;
        let answered = translated.answer(searched_part(question));
        let hit = match &answered {
            TranslatedAnswer::Section(hit) => Some(*hit),
            _ => None,
        };
        let (reply, section, score) = match hit {
            Some(hit) => {
                let shown = &guide.sections[hit.section];
                let mut reply = SectionReply::new(guide, shown);
                reply.labels = labels;
                let section = SectionRef {
                    id: shown.id.clone(),
                    title: shown.title.clone(),
                    kind: shown.kind,
                    guide: guide.title.clone(),
                };
                let score = (!hit.example).then_some(hit.score);
                (Reply::Section(reply), Some(section), score)
            }
            None => {
                let mut no_match = NoMatch::new(guide.sections.iter());
                no_match.labels = labels;
                (Reply::NoMatch(no_match), None, None)
            }
        };
        Answer {
            triage,
            reply,
            section,
            score,
            terms: Vec::new(),
            unknown: Vec::new(),
            candidates: Vec::new(),
            example: None,
            set_aside: Vec::new(),
            because: Because::Translated {
                lang: translated.lang,
                example: hit.is_some_and(|h| h.example),
            },
        }
    }

    /// The answer from the English guides.
    fn ask_english(&self, question: &str, triage: Triaged) -> Answer {
        let canonical = crate::text::canonical(searched_part(question));
        let read = self.reader.read(&canonical);
        // Read once: the reader and the search share the canonical text.
        let mut results =
            self.search
                .search(&canonical, &read.everyday, &read.story_words, CANDIDATES);
        // "Not the bridge, the other one": that technique is no candidate.
        let set_aside = self.set_aside(&read);
        results.hits.retain(|h| !set_aside.contains(&h.target));
        let candidates = results
            .hits
            .iter()
            .map(|h| Candidate {
                id: self.target_id(h.target).to_owned(),
                score: h.score,
            })
            .collect();
        let best = results.hits.first().copied();
        let example = best.and_then(|h| self.search.best_example(&results.terms, h.target));
        // A moderator's own wording for a section is answered with it, whatever else the
        // question's words suggest.
        let (target, because) = match self.examples.get(&example_key(&canonical)) {
            Some(target) => (Some(*target), Because::Example),
            None => self.decide(
                &canonical,
                &read,
                &results.hits,
                example.as_ref(),
                &results.terms,
                &results.unknown,
            ),
        };
        let reply = target.and_then(|t| self.target_reply(t));
        let (reply, section, score) = match (reply, target) {
            (Some(mut reply), Some(t)) => {
                if let (Reply::Section(answer), Because::Condition { name, .. }) =
                    (&mut reply, &because)
                {
                    answer.condition = Some(name.clone());
                }
                let score = best.filter(|h| h.target == t).map(|h| h.score);
                (reply, Some(self.target_ref(t)), score)
            }
            _ => (self.no_match_reply(&because), None, None),
        };
        Answer {
            triage,
            reply,
            section,
            score,
            terms: results.terms,
            unknown: results.unknown,
            candidates,
            example,
            set_aside: set_aside
                .iter()
                .map(|&t| self.target_id(t).to_owned())
                .collect(),
            because,
        }
    }

    /// The warm-up or technique sections the question sets aside, each found by searching
    /// the member's words for it alone.
    fn set_aside(&self, read: &Read) -> Vec<Target> {
        read.set_aside
            .iter()
            .filter_map(|named| {
                let hit = *self.search.search(named, &[], &[], 1).hits.first()?;
                match hit.target {
                    Target::Section(p)
                        if matches!(self.section_at(p).1.kind, Kind::Technique | Kind::Warmup) =>
                    {
                        Some(hit.target)
                    }
                    _ => None,
                }
            })
            .collect()
    }

    /// The answer, if any, and why. Conditions come first (never a technique for them), then
    /// small talk, then scope, then the search.
    fn decide(
        &self,
        canonical: &str,
        read: &Read,
        hits: &[Hit],
        example: Option<&ExampleMatch>,
        terms: &[QueryTerm],
        unknown: &[String],
    ) -> (Option<Target>, Because) {
        let out_of_scope = read
            .out_of_scope
            .as_ref()
            .map(|(why, words)| Because::OutOfScope {
                why: *why,
                words: words.clone(),
            });
        // Another part named and not the back ("does cracking your toes give you
        // arthritis?"): out of scope before any condition it names.
        if let (Some(because), Some(_)) = (&out_of_scope, &read.condition) {
            return (None, because.clone());
        }
        if let Some((i, words)) = &read.condition {
            let name = self.knowledge.words.conditions[*i].name.clone();
            let because = Because::Condition {
                name,
                words: words.clone(),
            };
            return (self.seek_help(), because);
        }
        // Nothing but an ask in general ("where do I start?", "any tips?"): asked of a
        // back-care bot, it asks for the whole topic. Not greetings or thanks ("hello, new
        // here"; "thanks, that helped").
        let greets =
            opens_or_ends(canonical, &read.small_talk) || opens_or_ends(canonical, &read.thanks);
        if read.topic.is_none() && read.only_asks && !greets {
            if let Some(overview) = self.any_overview() {
                return (Some(overview), Because::OnlyAsks);
            }
        }
        // A greeting word at either end of a question about something else ("how long do I
        // warm up my car on a cold morning") is not small talk.
        if read.topic.is_none()
            && out_of_scope.is_none()
            && opens_or_ends(canonical, &read.small_talk)
        {
            return (None, Because::SmallTalk);
        }
        // Thanks that ask nothing more ("thank you, my back feels better already").
        let asks_something = canonical.contains('?') || read.broad_ask || !read.asks.is_empty();
        if !asks_something && opens_or_ends(canonical, &read.thanks) {
            return (None, Because::SmallTalk);
        }
        if let Some(because) = out_of_scope {
            return (None, because);
        }
        if read.topic.is_none() {
            return (None, Because::NoConfidentMatch);
        }
        let best = hits.first().copied();
        let confident = best.filter(|hit| {
            hit.score >= self.decision.min_score
                || example.is_some_and(|e| e.share >= self.decision.min_example_share)
        });
        // A section far ahead of the rest is what the question asks for, however broad its
        // words ("is it safe to crack my back every day?").
        let mut sections = hits
            .iter()
            .filter(|h| matches!(h.target, Target::Section(_)));
        let clear_winner = match (sections.next(), sections.next()) {
            (Some(first), Some(second)) => first.score >= CLEAR_LEAD * second.score,
            (Some(_), None) => true,
            _ => false,
        };
        // The kind of answer asked for ("is that ok?", "what causes it?") picks among the
        // candidates, unless the question names a technique ("is the knee twist safe?") or is
        // close to one of the best section's example questions.
        let settled =
            example.is_some_and(|e| e.share >= SETTLED_BY_EXAMPLE && e.covers >= SETTLED_COVERS);
        if !read.names_technique && !settled {
            if let Some(found) = self.asked_for(read, hits) {
                return found;
            }
        }
        // A technique told by its movement ("lift your butt") is that technique, if the
        // search found it close enough to the best.
        if let Some(found) = self.moved(read, hits) {
            return found;
        }
        // Words the guides never use do not make a "how do I ..." ask specific: "teach me how
        // to pop my back" asks for the whole topic.
        let unknown = if read.broad_ask { &[][..] } else { unknown };
        let topic_terms: Vec<QueryTerm> = terms
            .iter()
            .filter(|t| !read.ask_words.contains(&t.word) && !read.context_words.contains(&t.word))
            .cloned()
            .collect();
        // Nor do the words that name the back ("the small of my back" says "back", not
        // "small"), unless nothing else of its own is left ("lower back tips?").
        let beyond_the_back: Vec<QueryTerm> = topic_terms
            .iter()
            .filter(|t| {
                let named = |w: &str| w.split(' ').all(|w| read.back_words.iter().any(|b| b == w));
                !named(&t.word) && !t.everyday.as_deref().is_some_and(named)
            })
            .cloned()
            .collect();
        let only_the_back = beyond_the_back.is_empty();
        let topic_terms = if beyond_the_back.iter().all(|t| t.everyday.is_some()) {
            topic_terms
        } else {
            beyond_the_back
        };
        // Nothing left but the ask itself ("what stretches help?"), or the ask and the back or
        // everyday words ("low back a bit stiff now, what helps"): as broad as it gets.
        let only_everyday = topic_terms.iter().all(|t| t.everyday.is_some());
        let broad =
            if topic_terms.is_empty() || (read.broad_ask && (only_the_back || only_everyday)) {
                read.broad_ask
            } else {
                self.search.is_broad(&topic_terms, unknown)
            };
        // Asked in general, and the overview's examples are about as close as any section.
        let overview_close = read.broad_ask
            && hits.iter().any(|h| {
                matches!(h.target, Target::Overview(_))
                    && best.is_some_and(|b| h.score >= BROAD_OVERVIEW_SHARE * b.score)
            });
        // Close to one of the best section's example questions, it is what that example asks
        // for, however common its words ("crack every day ok?" is "is it bad to crack every
        // day"), unless it asks in general and the overview is as close ("I do a stretch at my
        // desk, which other ones are there?").
        if (!settled && (!clear_winner || read.broad_ask) && broad) || overview_close {
            // Broad by its words alone, yet it asks for one kind of answer.
            if !read.broad_ask {
                if let Some(found) = self.asked_alone(read) {
                    return found;
                }
            }
            if let Some(overview) = self.any_overview() {
                return (Some(overview), Because::Broad);
            }
        }
        match (confident, &read.back) {
            (Some(hit), _) => {
                let topic = read.topic.clone().unwrap_or_default();
                (Some(hit.target), Because::Search { topic })
            }
            (None, Some(words)) => match (self.asked_alone(read), self.any_overview()) {
                (Some(found), _) => found,
                (None, Some(overview)) => (
                    Some(overview),
                    Because::AboutTheBack {
                        words: words.clone(),
                    },
                ),
                (None, None) => (None, Because::NoConfidentMatch),
            },
            (None, None) => (None, Because::NoConfidentMatch),
        }
    }

    /// The [[ask]] of the question whose section is the best-rated candidate close enough to the
    /// best one.
    fn asked_for(&self, read: &Read, hits: &[Hit]) -> Option<(Option<Target>, Because)> {
        let best = hits.first()?.score;
        // Two kinds asked for at once ("a habit now, is that bad?"): the one the search
        // rates higher.
        read.asks
            .iter()
            .filter_map(|(i, words)| {
                let ask = &self.knowledge.words.asks[*i];
                let hit = hits.iter().find(|h| match h.target {
                    Target::Section(p) => self.section_at(p).1.id == ask.answers,
                    Target::Overview(_) => false,
                })?;
                (hit.score >= ASK_SHARE * best).then_some((ask, words, hit))
            })
            .max_by(|a, b| a.2.score.total_cmp(&b.2.score))
            .map(|(ask, words, hit)| {
                let because = Because::Ask {
                    name: ask.name.clone(),
                    words: words.clone(),
                };
                (Some(hit.target), because)
            })
    }

    /// The section of the question's first [[ask]], candidate or not, unless the question
    /// names a technique (then it is about that technique).
    fn asked_alone(&self, read: &Read) -> Option<(Option<Target>, Because)> {
        if read.names_technique {
            return None;
        }
        let (i, words) = read.asks.first()?;
        let ask = &self.knowledge.words.asks[*i];
        let position = self.knowledge.section_position(&ask.answers)?;
        let because = Because::AskAlone {
            name: ask.name.clone(),
            words: words.clone(),
        };
        Some((Some(Target::Section(position)), because))
    }

    /// The technique of the question's first movement, if it is a candidate close enough
    /// to the best one.
    fn moved(&self, read: &Read, hits: &[Hit]) -> Option<(Option<Target>, Because)> {
        if read.names_warm_up {
            return None;
        }
        let best = hits.first()?.score;
        read.movements.iter().find_map(|(i, words)| {
            let technique = &self.knowledge.words.scope.movements[*i].technique;
            let hit = hits.iter().find(|h| match h.target {
                Target::Section(p) => &self.section_at(p).1.id == technique,
                Target::Overview(_) => false,
            })?;
            (hit.score >= ASK_SHARE * best).then(|| {
                let because = Because::Movement {
                    words: words.clone(),
                };
                (Some(hit.target), because)
            })
        })
    }

    fn no_match_reply(&self, because: &Because) -> Reply {
        match because {
            Because::SmallTalk => Reply::Greeting(Greeting {
                covers: self.covers.clone(),
                example: self.example_question(),
            }),
            Because::OutOfScope { why, words } => Reply::NoMatch(NoMatch {
                out_of_scope: Some(OutOfScopeNote {
                    why: *why,
                    word: words.clone(),
                    covers: self.covers.clone(),
                }),
                ..self.no_match.clone()
            }),
            _ => Reply::NoMatch(self.no_match.clone()),
        }
    }

    /// One question worth trying: the first overview example, else a section's.
    fn example_question(&self) -> String {
        let guides = &self.knowledge.guides;
        guides
            .iter()
            .filter_map(|g| g.overview.as_ref()?.examples.first())
            .chain(
                self.knowledge
                    .sections()
                    .flat_map(|(_, s)| s.examples.first()),
            )
            .next()
            .map(|e| e.text.clone())
            .unwrap_or_else(|| "how do I warm up before cracking my back?".to_owned())
    }
}

/// True when two loads give the same reader: it is built from `words.toml` and the guides'
/// `covers` only.
fn same_reading(before: &Knowledge, after: &Knowledge) -> bool {
    before.words == after.words
        && before.guides.len() == after.guides.len()
        && before
            .guides
            .iter()
            .zip(&after.guides)
            .all(|(b, a)| b.covers == a.covers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reload keeps the reader (and the typo index it built) when `words.toml` and the
    /// guides' `covers` are unchanged, and reads an edited `words.toml` afresh.
    #[test]
    fn a_reload_builds_the_reader_again_only_when_its_words_changed() {
        let (shipped, edited) = crate::knowledge::tests::shipped_and_a_copy();
        let words = edited.path().join("words.toml");
        let text = std::fs::read_to_string(&words).unwrap();
        let text = text.replacen(
            "[everyday]\n",
            "[everyday]\nzorbing = \"knee to chest twist\"\n",
            1,
        );
        std::fs::write(&words, text).unwrap();
        let question = "zorbing for my lower back, how long do i hold it";
        let section = |engine: &Engine| engine.ask(question).section.map(|s| s.id);

        let old = Engine::in_memory(Knowledge::load(&shipped).unwrap()).unwrap();
        assert_ne!(section(&old).as_deref(), Some("knee-to-chest"));
        let same = Engine::in_memory_after(Knowledge::load(&shipped).unwrap(), &old).unwrap();
        assert!(Arc::ptr_eq(&old.reader, &same.reader));
        let new = Engine::in_memory_after(Knowledge::load(edited.path()).unwrap(), &old).unwrap();
        assert!(!Arc::ptr_eq(&old.reader, &new.reader));
        assert_eq!(section(&new).as_deref(), Some("knee-to-chest"));
    }

    /// Each error says its cause once, also as a chain (`{:#}`, how the command line and the
    /// logs print it).
    #[test]
    fn an_error_chain_names_its_cause_once() {
        let missing = Path::new("/nonexistent/knowledge");
        let err = match Engine::open(missing, Path::new("/nonexistent/index")) {
            Err(err) => err,
            Ok(_) => panic!("opened a missing folder"),
        };
        let chain = format!("{:#}", anyhow::Error::new(err));
        assert_eq!(
            chain.matches("No such file or directory").count(),
            1,
            "{chain}"
        );
        assert_eq!(
            chain.matches("cannot read the knowledge folder").count(),
            1,
            "{chain}"
        );
        // Flag hints are the command line's to add; this text can reach Discord.
        assert!(!chain.contains("--knowledge"), "{chain}");
    }
}
