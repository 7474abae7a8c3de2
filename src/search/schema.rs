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

/// Writes every section as one document, and each guide's overview as one more (found
/// through its example questions only), and commits once.
pub fn write_sections(index: &Index, knowledge: &Knowledge) -> Result<(), IndexError> {
    let schema = index.schema();
    let id = field(&schema, "id")?;
    let [title, keywords, body, examples] = FIELDS.map(|(name, _)| field(&schema, name));
    let (title, keywords, body, examples) = (title?, keywords?, body?, examples?);
    let asked = |list: &[crate::knowledge::ExampleQuestion]| {
        plain(
            &list
                .iter()
                .map(|e| e.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    // One thread and the smallest arena Tantivy allows: the guides are small, and the
    // bot shares the machine.
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
    for (_, section) in knowledge.sections() {
        let mut doc = TantivyDocument::default();
        doc.add_text(id, &section.id);
        doc.add_text(title, plain(&section.title));
        doc.add_text(keywords, plain(&section.keywords.join(", ")));
        doc.add_text(body, plain(&section.body()));
        doc.add_text(examples, asked(&section.examples));
        writer.add_document(doc)?;
    }
    for guide in &knowledge.guides {
        if let Some(overview) = &guide.overview {
            let mut doc = TantivyDocument::default();
            doc.add_text(id, overview_id(&guide.file));
            doc.add_text(examples, asked(&overview.examples));
            writer.add_document(doc)?;
        }
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok(())
}
