//! Search in a guide's translation (`lower-back.es.md`): a small index in memory with the
//! language's stemmer and stop words.
//!
//! Simpler than the English search on purpose: a translation has no everyday-word list, no
//! typo vocabulary and no calibration of its own yet, so it answers from a member's own
//! wording of an example question, or from the best section when the question shares enough
//! of its words; anything else is a no-match in the member's language.

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, SimpleTokenizer, Stemmer, StopWordFilter,
    TextAnalyzer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use super::IndexError;
use crate::knowledge::{Guide, Words};
use crate::language::Lang;
use crate::reading::Reader;
use crate::text;

/// The fields searched, with their weights (as the English search's).
const FIELDS: [(&str, f32); 4] = [
    ("title", 3.0),
    ("keywords", 2.5),
    ("body", 1.0),
    ("examples", 3.0),
];

/// The least score a section needs to be the answer: about one content word of the question
/// found in a section's examples or keywords, not only in its body.
pub const MIN_SCORE: f32 = 4.0;

/// The least score when the language's scope words say the question is about back care
/// (it names the back, a technique or a back-care word, and no other part).
pub const MIN_SCORE_IN_SCOPE: f32 = 1.5;

/// One translated guide, searchable.
pub struct Translated {
    pub lang: Lang,
    /// The translated guide (its section ids are the English guide's).
    pub guide: Guide,
    analyzer: TextAnalyzer,
    index: IndexReader,
    id: Field,
    fields: Vec<(Field, f32)>,
    /// Each example question as words, to the section it asks for.
    examples: Vec<(String, usize)>,
    /// The language's scope words (`words.es.toml`), when it has them.
    reader: Option<Reader>,
    /// The reader has back-care topic words: a question needs one of them (or the back, or
    /// a technique) to be answered from the search.
    needs_topic: bool,
}

/// What a question in the translation's language gets.
#[derive(Debug, Clone, PartialEq)]
pub enum TranslatedAnswer {
    Section(TranslatedHit),
    /// About another part of the body or another sense of a word (as written).
    OutOfScope(String),
    NoMatch,
}

/// A section of the translation as an answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TranslatedHit {
    /// Index into the guide's sections.
    pub section: usize,
    pub score: f32,
    /// Found word for word among the section's example questions.
    pub example: bool,
}

fn language(lang: Lang) -> Option<Language> {
    Some(match lang {
        Lang::En => Language::English,
        Lang::Es => Language::Spanish,
        Lang::De => Language::German,
        Lang::Fr => Language::French,
        Lang::Pt => Language::Portuguese,
        Lang::It => Language::Italian,
        Lang::Pl => return None,
    })
}

/// Lower-cased, accents folded, stop words dropped, stemmed (Polish: not stemmed).
fn analyzer(lang: Lang) -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .dynamic();
    let builder = match language(lang).and_then(StopWordFilter::new) {
        Some(stop) => builder.filter_dynamic(stop),
        None => builder,
    };
    let builder = builder.filter_dynamic(AsciiFoldingFilter);
    match language(lang) {
        Some(language) => builder.filter_dynamic(Stemmer::new(language)).build(),
        None => builder.build(),
    }
}

/// The words of a question or example as compared word for word.
fn key(text: &str) -> String {
    text::words(&text::split_elisions(text), text::Markdown::Split).join(" ")
}

impl Translated {
    /// `words` are the language's scope words, read with the language's `filler` words.
    pub fn new(
        lang: Lang,
        guide: Guide,
        words: Option<&Words>,
        filler: &[String],
    ) -> Result<Translated, IndexError> {
        let tokenizer = format!("{}_backcare", lang.code());
        let mut schema = Schema::builder();
        let id = schema.add_text_field("id", STRING | STORED);
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let fields: Vec<(Field, f32)> = FIELDS
            .iter()
            .map(|&(name, boost)| (schema.add_text_field(name, options.clone()), boost))
            .collect();
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(&tokenizer, analyzer(lang));
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        for (position, section) in guide.sections.iter().enumerate() {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, position.to_string());
            let examples: Vec<&str> = section.examples.iter().map(|e| e.text.as_str()).collect();
            let texts = [
                section.title.clone(),
                section.keywords.join(", "),
                section.body(),
                examples.join("\n"),
            ];
            for ((field, _), text) in fields.iter().zip(texts) {
                doc.add_text(*field, text::split_elisions(&text));
            }
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let examples = guide
            .sections
            .iter()
            .enumerate()
            .flat_map(|(p, s)| s.examples.iter().map(move |e| (key(&e.text), p)))
            .collect();
        let needs_topic = words.is_some_and(|w| !w.scope.topic.is_empty());
        let scope = words.map(|w| Reader::for_language(w, &guide.covers, lang, filler));
        Ok(Translated {
            lang,
            guide,
            analyzer: analyzer(lang),
            index: reader,
            id,
            fields,
            examples,
            reader: scope,
            needs_topic,
        })
    }

    /// The answer to `question`: an example question's section, else out of scope when it
    /// names another part or sense and not the back, else the best section when it is about
    /// back care and scores enough, else no match.
    pub fn answer(&self, question: &str) -> TranslatedAnswer {
        let asked = key(question);
        if let Some((_, section)) = self.examples.iter().find(|(k, _)| *k == asked) {
            return TranslatedAnswer::Section(TranslatedHit {
                section: *section,
                score: f32::INFINITY,
                example: true,
            });
        }
        let mut min_score = MIN_SCORE;
        if let Some(reader) = &self.reader {
            let canonical = text::canonical(&text::split_elisions(question));
            let read = reader.read(&canonical);
            if let Some((_, words)) = read.out_of_scope {
                return TranslatedAnswer::OutOfScope(words);
            }
            match read.topic {
                Some(_) => min_score = MIN_SCORE_IN_SCOPE,
                None if self.needs_topic => return TranslatedAnswer::NoMatch,
                None => {}
            }
        }
        match self.search(question) {
            Some(hit) if hit.score >= min_score => TranslatedAnswer::Section(hit),
            _ => TranslatedAnswer::NoMatch,
        }
    }

    /// The best section for `question` and its score (however low), or the example it is.
    pub fn search(&self, question: &str) -> Option<TranslatedHit> {
        let asked = key(question);
        if let Some((_, section)) = self.examples.iter().find(|(k, _)| *k == asked) {
            return Some(TranslatedHit {
                section: *section,
                score: f32::INFINITY,
                example: true,
            });
        }
        let mut analyzer = self.analyzer.clone();
        let mut terms: Vec<String> = Vec::new();
        let mut stream = analyzer.token_stream(&asked);
        while let Some(token) = stream.next() {
            if !terms.contains(&token.text) {
                terms.push(token.text.clone());
            }
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .flat_map(|term| {
                self.fields.iter().map(move |&(field, boost)| {
                    let query = TermQuery::new(
                        Term::from_field_text(field, term),
                        IndexRecordOption::WithFreqs,
                    );
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(query), boost)) as Box<dyn Query>,
                    )
                })
            })
            .collect();
        if clauses.is_empty() {
            return None;
        }
        let searcher = self.index.searcher();
        let top = searcher
            .search(&BooleanQuery::new(clauses), &TopDocs::with_limit(1))
            .ok()?;
        let (score, address) = top.into_iter().next()?;
        let doc: TantivyDocument = searcher.doc(address).ok()?;
        let section = doc.get_first(self.id)?.as_str()?.parse().ok()?;
        Some(TranslatedHit {
            section,
            score,
            example: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_words_are_stemmed_folded_and_stop_words_dropped() {
        let mut analyzer = analyzer(Lang::Es);
        let mut stream = analyzer.token_stream("¿Cómo estiro la espalda?");
        let mut tokens = Vec::new();
        while let Some(token) = stream.next() {
            tokens.push(token.text.clone());
        }
        assert_eq!(tokens, ["com", "estir", "espald"]);
    }
}
