//! Full-text search of guide sections with Tantivy.
//!
//! Chat text is never parsed as query syntax: the question is split into words, filler and
//! question words are dropped, typos are corrected against the guides' own vocabulary
//! (built once per load, not per question), and the query is assembled from term queries.

mod schema;
mod store;
pub mod translated;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, Searcher, TantivyDocument, Term};

use crate::knowledge::Knowledge;
use crate::text::{self, Markdown};
use crate::vocab::{Match, TermId, Vocabulary};

pub use store::{claim_report, Manifest, SCHEMA_VERSION};

/// Words every back-care guide uses and other talk shares ("get my money back"): searched,
/// but not a topic of their own.
const NEUTRAL_WORDS: &[&str] = &["back", "backs", "lower"];

/// Weight of a term that stands in for a member's everyday word (`words.toml`).
const EVERYDAY_WEIGHT: f32 = 0.8;

/// Weight of a term reached through a typo correction rather than as typed.
const TYPO_WEIGHT: f32 = 0.7;

/// Weight of a word told only in the story before the question asks ("bending and lifting
/// all shift. why does my back crack so loud?"): how it came about, less what is asked.
const STORY_WEIGHT: f32 = 0.6;

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
    "here",
    "dont",
    "doesnt",
    "didnt",
    "wont",
    "cant",
    "isnt",
    "arent",
];

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    // The cause is in each message and not also returned as a source, so an error chain
    // (`{:#}`) says it once.
    #[error("index error: {0}")]
    Tantivy(tantivy::TantivyError),
    #[error("cannot open the index folder: {0}")]
    Directory(tantivy::directory::error::OpenDirectoryError),
    #[error("cannot write the index at {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the index at {} is corrupt; run `backcare index` to rebuild it", .0.display())]
    Corrupt(PathBuf),
    #[error("the index has no `{0}` field; run `backcare index` to rebuild it")]
    Schema(String),
}

impl From<tantivy::TantivyError> for IndexError {
    fn from(err: tantivy::TantivyError) -> IndexError {
        IndexError::Tantivy(err)
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for IndexError {
    fn from(err: tantivy::directory::error::OpenDirectoryError) -> IndexError {
        IndexError::Directory(err)
    }
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
    /// Told only in the story before the ask, so weighed less.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub story: bool,
    /// The member's everyday word this guide word stands in for (`words.toml`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub everyday: Option<String>,
}

/// What a search result answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Indexes [`Knowledge::sections`].
    Section(usize),
    /// Indexes [`Knowledge::guides`]: that guide's overview.
    Overview(usize),
}

/// One candidate answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub target: Target,
    pub score: f32,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Results {
    pub terms: Vec<QueryTerm>,
    /// Topic words of the question that no guide uses.
    pub unknown: Vec<String>,
    pub hits: Vec<Hit>,
}

/// The example question closest to a question, for `--explain`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExampleMatch {
    pub text: String,
    pub line: usize,
    /// The share of the example's words that the question has, from 0 to 1.
    pub share: f32,
    /// The share of the question's own words (not those [everyday] added) that the example
    /// has, from 0 to 1: a short example is all in a long question without being what it asks.
    pub covers: f32,
}

/// An example question as the terms it searches for.
struct Asked {
    target: Target,
    text: String,
    line: usize,
    terms: Vec<TermId>,
}

/// The searchable sections of one knowledge load.
pub struct Search {
    reader: IndexReader,
    fields: Vec<(&'static str, Field, f32)>,
    targets: HashMap<DocAddress, Target>,
    vocab: Vocabulary,
    examples: Vec<Asked>,
    /// For each term, how many sections use it in their own text (examples left out: they
    /// are members' words, not what the section is about).
    sections_using: Vec<u32>,
    sections: u32,
}

/// A term that this share of sections or more use says nothing about which one is meant:
/// a question of only such words ("how do I crack my lower back?") is a broad one.
const BROAD_SHARE: f32 = 0.5;

impl Search {
    /// Opens the index in `dir`, rebuilding it (atomically) when it is missing, corrupt or
    /// was built from other knowledge. Processes sharing `dir` take turns (see `store`). A
    /// folder this process cannot write gets one warning, and the index is kept in memory.
    pub fn open(dir: &Path, knowledge: &Knowledge) -> Result<(Search, Opened), IndexError> {
        match store::open_or_build(dir, knowledge, |index| Search::from_index(index, knowledge)) {
            Err(IndexError::Io {
                path,
                cause: source,
            }) if store::cannot_write(&source) => {
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
            .map(|&(name, boost)| Ok((name, schema::field(&schema, name)?, boost)))
            .collect::<Result<Vec<_>, IndexError>>()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;

        // Map documents to sections once, so a question never touches the doc store.
        let mut ids: HashMap<String, Target> = knowledge
            .sections()
            .enumerate()
            .map(|(i, (_, s))| (s.id.clone(), Target::Section(i)))
            .collect();
        for (g, guide) in knowledge.guides.iter().enumerate() {
            if guide.overview.is_some() {
                ids.insert(schema::overview_id(&guide.file), Target::Overview(g));
            }
        }
        let searcher = reader.searcher();
        let mut targets = HashMap::new();
        for (segment_ord, segment) in searcher.segment_readers().iter().enumerate() {
            for doc_id in segment.doc_ids_alive() {
                let address = DocAddress::new(segment_ord as u32, doc_id);
                let doc: TantivyDocument = searcher.doc(address)?;
                let id = doc.get_first(id_field).and_then(|v| v.as_str());
                if let Some(&target) = id.and_then(|id| ids.get(id)) {
                    targets.insert(address, target);
                }
            }
        }
        if targets.len() != ids.len() {
            return Err(IndexError::Corrupt(PathBuf::from(
                "(index does not match the knowledge)",
            )));
        }

        let mut vocab = Vocabulary::default();
        let add_words = |vocab: &mut Vocabulary, text: &str| -> Vec<TermId> {
            let mut terms = Vec::new();
            for word in text::words(text, Markdown::Split) {
                if !text::is_filler(&word) && !QUESTION_WORDS.contains(&word.as_str()) {
                    let term = vocab.add(&word);
                    if !terms.contains(&term) {
                        terms.push(term);
                    }
                }
            }
            terms
        };
        let mut examples = Vec::new();
        let mut sections_using: Vec<u32> = Vec::new();
        for (i, (_, section)) in knowledge.sections().enumerate() {
            let text = format!(
                "{} {} {}",
                section.title,
                section.keywords.join(" "),
                section.body()
            );
            let mut used = add_words(&mut vocab, &text);
            for example in &section.examples {
                let terms = add_words(&mut vocab, &example.text);
                examples.push(Asked {
                    target: Target::Section(i),
                    text: example.text.clone(),
                    line: example.line,
                    terms,
                });
            }
            used.sort_unstable();
            used.dedup();
            for term in used {
                if sections_using.len() <= term {
                    sections_using.resize(term + 1, 0);
                }
                sections_using[term] += 1;
            }
        }
        for (g, guide) in knowledge.guides.iter().enumerate() {
            for example in guide.overview.iter().flat_map(|o| &o.examples) {
                examples.push(Asked {
                    target: Target::Overview(g),
                    text: example.text.clone(),
                    line: example.line,
                    terms: add_words(&mut vocab, &example.text),
                });
            }
        }
        vocab.finish();
        Ok(Search {
            reader,
            fields,
            targets,
            vocab,
            examples,
            sections_using,
            sections: knowledge.sections().count() as u32,
        })
    }

    /// The question's searchable words, typo-corrected against the guides' vocabulary, and
    /// the topic words the guides do not know. The question is canonical text (see
    /// [`text::canonical`]); `everyday` are guide words standing in for the member's everyday
    /// words: (member's word, guide words).
    pub fn query_terms(
        &self,
        canonical: &str,
        everyday: &[(String, String)],
    ) -> (Vec<QueryTerm>, Vec<String>) {
        let mut terms: Vec<QueryTerm> = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut found = Vec::new();
        text::for_each_word(canonical, Markdown::Split, |word| {
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
            for &(term, matched) in &found {
                let stem = self.vocab.stem(term);
                if !terms.iter().any(|t| t.stem == stem) {
                    terms.push(QueryTerm {
                        word: word.to_owned(),
                        stem: stem.to_owned(),
                        typo: matched != Match::Exact,
                        story: false,
                        everyday: None,
                    });
                }
            }
        });
        for (member, means) in everyday {
            for word in text::words(means, Markdown::Split) {
                found.clear();
                self.vocab.lookup(&word, &mut found);
                for &(term, _) in &found {
                    let stem = self.vocab.stem(term);
                    if !terms.iter().any(|t| t.stem == stem) {
                        terms.push(QueryTerm {
                            word: word.clone(),
                            stem: stem.to_owned(),
                            typo: false,
                            story: false,
                            everyday: Some(member.clone()),
                        });
                    }
                }
            }
            unknown.retain(|u| !member.split(' ').any(|m| m == u));
        }
        (terms, unknown)
    }

    /// Whether the question is a broad one, which the overview answers better than any one
    /// section: each of its own words is one most sections use or one the overview's example
    /// questions use, and none is a word the guides do not know (which would be something
    /// specific the member wants).
    pub fn is_broad(&self, terms: &[QueryTerm], unknown: &[String]) -> bool {
        let in_overview = |id: TermId| {
            self.examples
                .iter()
                .any(|e| matches!(e.target, Target::Overview(_)) && e.terms.contains(&id))
        };
        let mut own = terms.iter().filter(|t| t.everyday.is_none()).peekable();
        unknown.is_empty()
            && own.peek().is_some()
            && own.all(|t| {
                let Some(id) = self.vocab.term(&t.stem) else {
                    return false;
                };
                let used = self.sections_using.get(id).copied().unwrap_or(0);
                used as f32 >= BROAD_SHARE * self.sections as f32 || in_overview(id)
            })
    }

    fn weight(term: &QueryTerm) -> f32 {
        let weight = if term.everyday.is_some() {
            EVERYDAY_WEIGHT
        } else if term.typo {
            TYPO_WEIGHT
        } else {
            1.0
        };
        if term.story {
            weight * STORY_WEIGHT
        } else {
            weight
        }
    }

    /// One clause per term and field, for the fields the term occurs in: a term absent from a
    /// field would give Tantivy an empty scorer, which forces a buffered union (a 64 KB buffer
    /// built per query, a fifth of an answer's time); with term scorers only, TopDocs runs
    /// block-max WAND.
    fn query(
        &self,
        searcher: &Searcher,
        terms: &[QueryTerm],
        fields: &[(&'static str, Field, f32)],
    ) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for term in terms {
            let weight = Search::weight(term);
            for &(_, field, boost) in fields {
                let term = Term::from_field_text(field, &term.stem);
                if !searcher.doc_freq(&term).is_ok_and(|n| n > 0) {
                    continue;
                }
                let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(query), boost * weight)),
                ));
            }
        }
        BooleanQuery::new(clauses)
    }

    /// How much each field gave `target` for these terms, for `--explain`.
    pub fn field_scores(&self, terms: &[QueryTerm], target: Target) -> Vec<(&'static str, f32)> {
        let Some((&address, _)) = self.targets.iter().find(|(_, t)| **t == target) else {
            return Vec::new();
        };
        let searcher = self.reader.searcher();
        self.fields
            .iter()
            .filter_map(|field| {
                let query = self.query(&searcher, terms, std::slice::from_ref(field));
                let score = query.explain(&searcher, address).ok()?.value();
                (score > 0.0).then_some((field.0, score))
            })
            .collect()
    }

    /// The example question of `target` that shares the largest part of its words with the
    /// searched terms.
    pub fn best_example(&self, terms: &[QueryTerm], target: Target) -> Option<ExampleMatch> {
        let stems: HashSet<&str> = terms.iter().map(|t| t.stem.as_str()).collect();
        self.examples
            .iter()
            .filter(|e| e.target == target && !e.terms.is_empty())
            .map(|e| {
                let shared = e
                    .terms
                    .iter()
                    .filter(|&&t| stems.contains(self.vocab.stem(t)))
                    .count();
                (e, shared as f32 / e.terms.len() as f32)
            })
            .filter(|&(_, share)| share > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(e, share)| {
                let own: HashSet<&str> = terms
                    .iter()
                    .filter(|t| t.everyday.is_none())
                    .map(|t| t.stem.as_str())
                    .collect();
                let covered = own
                    .iter()
                    .filter(|&&stem| e.terms.iter().any(|&t| self.vocab.stem(t) == stem))
                    .count();
                ExampleMatch {
                    text: e.text.clone(),
                    line: e.line,
                    share,
                    covers: covered as f32 / own.len().max(1) as f32,
                }
            })
    }

    /// Searches for the question (canonical text), best first. Never fails: a search error is
    /// logged and reads as no match.
    /// `story`: words told only in the story before the ask, weighed less.
    pub fn search(
        &self,
        canonical: &str,
        everyday: &[(String, String)],
        story: &[String],
        limit: usize,
    ) -> Results {
        let (mut terms, unknown) = self.query_terms(canonical, everyday);
        // Terms start as not told in a story; most questions have none.
        if !story.is_empty() {
            let told = |w: &str| story.iter().any(|s| s == w);
            for term in &mut terms {
                term.story = match &term.everyday {
                    Some(member) => member.split(' ').all(told),
                    None => told(&term.word),
                };
            }
        }
        // "Lower back" is in nearly every question and says nothing about which section;
        // searched only when there is nothing else.
        if terms
            .iter()
            .any(|t| !NEUTRAL_WORDS.contains(&t.word.as_str()))
        {
            terms.retain(|t| !NEUTRAL_WORDS.contains(&t.word.as_str()));
        }
        if terms.is_empty() {
            return Results {
                unknown,
                ..Results::default()
            };
        }
        let searcher = self.reader.searcher();
        let query = self.query(&searcher, &terms, &self.fields);
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
                self.targets
                    .get(&address)
                    .map(|&target| Hit { target, score })
            })
            .collect();
        Results {
            terms,
            unknown,
            hits,
        }
    }
}
