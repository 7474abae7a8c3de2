//! Full-text search of guide sections with Tantivy.
//!
//! Chat text is never parsed as query syntax: the question is split into words, filler and
//! question words are dropped, typos are corrected against the guides' own vocabulary
//! (built once per load, not per question), and the query is assembled from term queries.

mod schema;
mod store;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::knowledge::Knowledge;
use crate::text::{self, Markdown};
use crate::vocab::{Via, Vocabulary};

pub use store::{claim_report, Manifest, SCHEMA_VERSION};

/// Below this score the best section is not a confident answer. Calibrated on the question
/// sets in `tests/fixtures/search.toml` (see docs/performance.md).
pub const DEFAULT_MIN_SCORE: f32 = 3.5;

/// Words every back-care guide uses and other talk shares ("get my money back"): searched,
/// but they neither show nor disprove that a question is on topic.
const NEUTRAL_WORDS: &[&str] = &["back", "backs", "lower"];

/// Below this share of known topic words a question is off topic, whatever its score.
pub const MIN_COVERAGE: f32 = 0.5;

/// Weight of a term reached through a typo correction rather than as typed.
const TYPO_WEIGHT: f32 = 0.7;

/// Words that say "this is a question" and nothing about its topic.
const QUESTION_WORDS: &[&str] = &[
    "how",
    "what",
    "why",
    "when",
    "where",
    "which",
    "who",
    "whats",
    "hows",
    "do",
    "does",
    "did",
    "doing",
    "can",
    "could",
    "should",
    "would",
    "will",
    "there",
    "about",
    "you",
    "we",
    "get",
    "got",
    "have",
    "has",
    "had",
    "if",
    "but",
    "not",
    "no",
    "yes",
    "ok",
    "okay",
    "pls",
    "plz",
    "please",
    "thanks",
    "thank",
    "anyone",
    "someone",
    "guys",
    "hey",
    "hi",
    "hello",
    "help",
    "tips",
    "tip",
    "way",
    "ways",
    "best",
    "good",
    "bot",
    "tell",
    "know",
    "want",
    "need",
    "like",
    "u",
    "ur",
    "up",
    "out",
    "one",
    "too",
    "than",
    "more",
    "as",
    "by",
    "until",
    "off",
    "onto",
    "go",
    "goes",
    "going",
    "make",
    "makes",
    "making",
    "keep",
    "keeps",
    "thing",
    "things",
    "stuff",
    "actual",
    "actually",
    "anything",
    "something",
    "lol",
    "lmao",
    "tbh",
];

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot open the index folder: {0}")]
    Directory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("cannot write the index at {}: {source} (pass --index DIR or set BACKCARE_INDEX_DIR to a writable folder)", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the index at {} is corrupt; run `backcare index` to rebuild it", .0.display())]
    Corrupt(PathBuf),
    #[error("the index has no `{0}` field; run `backcare index` to rebuild it")]
    Schema(String),
}

/// Whether opening reused the index on disk or had to build it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Reused,
    Built,
    /// The index folder could not be written: the index lives in memory.
    InMemory,
}

/// One word of the question as it was searched.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueryTerm {
    pub word: String,
    pub stem: String,
    pub typo: bool,
}

/// One candidate section. `section` indexes [`Knowledge::sections`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub section: usize,
    pub score: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    pub terms: Vec<QueryTerm>,
    /// Topic words of the question that no guide uses.
    pub unknown: Vec<String>,
    pub hits: Vec<Hit>,
    /// The share of the question's topic words that the guides use, from 0 to 1. An
    /// off-topic question is mostly words no guide uses ("how do I get my money back").
    pub coverage: f32,
}

/// The searchable sections of one knowledge load.
pub struct Search {
    reader: IndexReader,
    fields: Vec<(Field, f32)>,
    sections: HashMap<DocAddress, usize>,
    vocab: Vocabulary,
    pub min_score: f32,
}

impl Search {
    /// Opens the index in `dir`, rebuilding it (atomically) when it is missing, corrupt or
    /// was built from other knowledge. Processes sharing `dir` take turns (see `store`). A
    /// folder this process cannot write gets one warning, and the index is kept in memory.
    pub fn open(dir: &Path, knowledge: &Knowledge) -> Result<(Search, Opened), IndexError> {
        match store::open_or_build(dir, knowledge, |index| Search::from_index(index, knowledge)) {
            Err(IndexError::Io { path, source }) if store::cannot_write(&source) => {
                tracing::warn!(
                    index = %dir.display(),
                    path = %path.display(),
                    error = %source,
                    "cannot write the index folder; answering from an index in memory"
                );
                Ok((Search::in_memory(knowledge)?, Opened::InMemory))
            }
            opened => opened,
        }
    }

    /// Builds a fresh index in `dir` whatever is there.
    pub fn rebuild(dir: &Path, knowledge: &Knowledge) -> Result<Search, IndexError> {
        store::build(dir, knowledge, |index| Search::from_index(index, knowledge))
    }

    /// An index in memory only, for tests and benchmarks.
    pub fn in_memory(knowledge: &Knowledge) -> Result<Search, IndexError> {
        let index = Index::create_in_ram(schema::schema());
        schema::write_sections(&index, knowledge)?;
        Search::from_index(index, knowledge)
    }

    fn from_index(index: Index, knowledge: &Knowledge) -> Result<Search, IndexError> {
        let schema = index.schema();
        let id_field = schema::field(&schema, "id")?;
        let fields = schema::FIELDS
            .iter()
            .map(|&(name, boost)| Ok((schema::field(&schema, name)?, boost)))
            .collect::<Result<Vec<_>, IndexError>>()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;

        // Map documents to sections once, so a question never touches the doc store.
        let ids: HashMap<&str, usize> = knowledge
            .sections()
            .enumerate()
            .map(|(i, (_, s))| (s.id.as_str(), i))
            .collect();
        let searcher = reader.searcher();
        let mut sections = HashMap::new();
        for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc_id in segment.doc_ids_alive() {
                let address = DocAddress::new(segment_ord as u32, doc_id);
                let doc: TantivyDocument = searcher.doc(address)?;
                let id = doc.get_first(id_field).and_then(|v| v.as_str());
                if let Some(&section) = id.and_then(|id| ids.get(id)) {
                    sections.insert(address, section);
                }
            }
        }
        if sections.len() != ids.len() {
            return Err(IndexError::Corrupt(PathBuf::from(
                "(index does not match the knowledge)",
            )));
        }

        let mut vocab = Vocabulary::default();
        for (_, section) in knowledge.sections() {
            let text = format!(
                "{} {} {}",
                section.title,
                section.keywords.join(" "),
                section.body()
            );
            for word in text::words(&text, Markdown::Split) {
                if !text::is_filler(&word) {
                    vocab.add(&word);
                }
            }
        }
        vocab.finish();
        Ok(Search {
            reader,
            fields,
            sections,
            vocab,
            min_score: DEFAULT_MIN_SCORE,
        })
    }

    /// The question's searchable words, typo-corrected against the guides' vocabulary, and
    /// the topic words the guides do not know.
    pub fn query_terms(&self, question: &str) -> (Vec<QueryTerm>, Vec<String>) {
        let mut terms: Vec<QueryTerm> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut found = Vec::new();
        text::for_each_word(&text::canonical(question), Markdown::Split, |word| {
            if text::is_filler(word) || QUESTION_WORDS.contains(&word) {
                return;
            }
            found.clear();
            self.vocab.lookup(word, &mut found);
            if found.is_empty()
                && !NEUTRAL_WORDS.contains(&word)
                && !unknown.iter().any(|u| u == word)
            {
                unknown.push(word.to_owned());
            }
            for &(term, via) in &found {
                let stem = self.vocab.stem(term);
                if !terms.iter().any(|t| t.stem == stem) {
                    terms.push(QueryTerm {
                        word: word.to_owned(),
                        stem: stem.to_owned(),
                        typo: via != Via::Exact,
                    });
                }
            }
        });
        (terms, unknown)
    }

    /// Searches for the question, best first. Never fails: a search error is logged and
    /// reads as no match.
    pub fn search(&self, question: &str, limit: usize) -> Results {
        let (terms, unknown) = self.query_terms(question);
        if terms.is_empty() {
            return Results {
                unknown,
                ..Results::default()
            };
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in &terms {
            let weight = if term.typo { TYPO_WEIGHT } else { 1.0 };
            for &(field, boost) in &self.fields {
                let query = TermQuery::new(
                    Term::from_field_text(field, &term.stem),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost * weight)),
                ));
            }
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = match searcher.search(&query, &TopDocs::with_limit(limit)) {
            Ok(top) => top,
            Err(err) => {
                tracing::error!(error = %err, "search failed");
                Vec::new()
            }
        };
        let hits: Vec<Hit> = top
            .into_iter()
            .filter_map(|(score, address)| {
                self.sections
                    .get(&address)
                    .map(|&section| Hit { section, score })
            })
            .collect();
        let coverage = Search::coverage(&terms, &unknown);
        Results {
            terms,
            unknown,
            hits,
            coverage,
        }
    }

    /// See [`Results::coverage`]. Counted in words of the question, each once.
    fn coverage(terms: &[QueryTerm], unknown: &[String]) -> f32 {
        let known: HashSet<&str> = terms
            .iter()
            .map(|t| t.word.as_str())
            .filter(|w| !NEUTRAL_WORDS.contains(w))
            .collect();
        let total = known.len() + unknown.len();
        if total == 0 {
            0.0
        } else {
            known.len() as f32 / total as f32
        }
    }
}
