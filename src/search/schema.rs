//! The Tantivy schema for guide sections, and writing sections into an index.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::{Index, IndexWriter, TantivyDocument};

use super::IndexError;
use crate::knowledge::Knowledge;
use crate::text::{self, Markdown};

/// Tantivy's built-in English analyser: simple tokens, lower-cased, Porter2-stemmed.
pub const ANALYZER: &str = "en_stem";

/// The searchable fields, with the weight each carries in a query.
pub const FIELDS: [(&str, f32); 4] = [
    ("title", 3.0),
    ("keywords", 2.5),
    ("body", 1.0),
    ("examples", 3.0),
];

/// The id of a guide's overview document: no section id can contain `:`.
pub fn overview_id(guide_file: &str) -> String {
    format!("overview:{guide_file}")
}

pub fn schema() -> Schema {
    let mut builder = Schema::builder();
    builder.add_text_field("id", STRING | STORED);
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    for (name, _) in FIELDS {
        builder.add_text_field(name, text.clone());
    }
    builder.build()
}

pub fn field(schema: &Schema, name: &str) -> Result<Field, IndexError> {
    schema
        .get_field(name)
        .map_err(|_| IndexError::Schema(name.to_owned()))
}

/// The text as the words triage and query building see, so that the index and the
/// questions agree on what a word is ("can't" is one word, `cant`).
fn plain(text: &str) -> String {
    text::words(text, Markdown::Split).join(" ")
}

/// One document as the index holds it: the id and the text of each field in [`FIELDS`]
/// order (title, keywords, body, examples), as the words triage and questions see them;
/// `None` for a field the document does not have.
pub struct Document {
    pub id: String,
    pub fields: [Option<String>; 4],
}

/// Every section as one document, and each guide's overview as one more (found through
/// its example questions only): all the index holds, and so all its manifest is keyed to.
pub fn documents(knowledge: &Knowledge) -> Vec<Document> {
    let asked = |list: &[crate::knowledge::ExampleQuestion]| {
        plain(
            &list
                .iter()
                .map(|e| e.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    let sections = knowledge.sections().map(|(_, section)| Document {
        id: section.id.clone(),
        fields: [
            Some(plain(&section.title)),
            Some(plain(&section.keywords.join(", "))),
            Some(plain(&section.body())),
            Some(asked(&section.examples)),
        ],
    });
    let overviews = knowledge.guides.iter().filter_map(|guide| {
        let overview = guide.overview.as_ref()?;
        Some(Document {
            id: overview_id(&guide.file),
            fields: [None, None, None, Some(asked(&overview.examples))],
        })
    });
    sections.chain(overviews).collect()
}

/// Writes the [`documents`] and commits once.
pub fn write_sections(index: &Index, knowledge: &Knowledge) -> Result<(), IndexError> {
    let schema = index.schema();
    let id = field(&schema, "id")?;
    let [title, keywords, body, examples] = FIELDS.map(|(name, _)| field(&schema, name));
    let fields = [title?, keywords?, body?, examples?];
    // One thread and the smallest arena Tantivy allows: the guides are small, and the
    // bot shares the machine.
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
    for document in documents(knowledge) {
        let mut doc = TantivyDocument::default();
        doc.add_text(id, &document.id);
        for (field, text) in fields.iter().zip(&document.fields) {
            if let Some(text) = text {
                doc.add_text(*field, text);
            }
        }
        writer.add_document(doc)?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}
