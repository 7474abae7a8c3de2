//! The answer engine: triage first, then search, then a reply. No Discord, no I/O per question.

use std::path::Path;

use serde::Serialize;

use crate::knowledge::{Guide, Kind, Knowledge, KnowledgeError, Section, Tier};
use crate::reply::{NoMatch, Reply, SectionAnswer, SeekCare};
use crate::search::{IndexError, Opened, QueryTerm, Search, MIN_COVERAGE};
use crate::triage::{Confidence, FlagHit, Triage, Triaged};

/// Questions are searched on their first this-many characters; triage always reads all.
pub const MAX_QUESTION_CHARS: usize = 4000;

/// Candidates kept for `--explain`.
const CANDIDATES: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Knowledge(#[from] KnowledgeError),
    #[error("{0}")]
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
    /// Share of the question's topic words the guides know (see [`crate::search::Results::coverage`]).
    pub coverage: f32,
    pub candidates: Vec<Candidate>,
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
    triage: Triage,
    search: Search,
    /// (guide, section) positions in search order, so a hit is found without a scan.
    positions: Vec<(usize, usize)>,
    /// The no-match reply never changes within a load: composed once.
    no_match: NoMatch,
}

impl Engine {
    /// Loads the knowledge folder and opens (or rebuilds) its index.
    pub fn open(knowledge_dir: &Path, index_dir: &Path) -> Result<(Engine, Opened), EngineError> {
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
        let triage = Triage::new(&knowledge.red_flags);
        let positions = knowledge
            .guides
            .iter()
            .enumerate()
            .flat_map(|(g, guide)| (0..guide.sections.len()).map(move |s| (g, s)))
            .collect();
        let no_match = NoMatch::new(knowledge.sections().map(|(_, s)| s));
        Engine {
            knowledge,
            triage,
            search,
            positions,
            no_match,
        }
    }

    /// The score below which a search result is not an answer.
    pub fn min_score(&self) -> f32 {
        self.search.min_score
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
        let reply = Reply::SeekCare(SeekCare::new(&triage.hits, &self.knowledge.red_flags));
        Answer {
            triage,
            reply,
            section: None,
            score: None,
            terms: Vec::new(),
            unknown: Vec::new(),
            coverage: 0.0,
            candidates: Vec::new(),
        }
    }

    /// Answers one question. Red flags are checked on the whole text before anything else.
    pub fn ask(&self, question: &str) -> Answer {
        let triage = self.triage.check(question);
        if triage.is_red_flag() {
            return self.seek_care(triage);
        }
        let searched = match question.char_indices().nth(MAX_QUESTION_CHARS) {
            Some((cut, _)) => &question[..cut],
            None => question,
        };
        let results = self.search.search(searched, CANDIDATES);
        let candidates = results
            .hits
            .iter()
            .map(|h| Candidate {
                id: self.section_at(h.section).1.id.clone(),
                score: h.score,
            })
            .collect();
        let coverage = results.coverage;
        let best = results
            .hits
            .first()
            .filter(|h| h.score >= self.search.min_score && coverage >= MIN_COVERAGE);
        let (reply, section, score) = match best {
            Some(hit) => {
                let (guide, section) = self.section_at(hit.section);
                let reference = SectionRef {
                    id: section.id.clone(),
                    title: section.title.clone(),
                    kind: section.kind,
                    guide: guide.title.clone(),
                };
                (
                    Reply::Answer(SectionAnswer::new(guide, section)),
                    Some(reference),
                    Some(hit.score),
                )
            }
            None => (Reply::NoMatch(self.no_match.clone()), None, None),
        };
        Answer {
            triage,
            reply,
            section,
            score,
            terms: results.terms,
            unknown: results.unknown,
            coverage,
            candidates,
        }
    }
}
