//! Parses one Markdown guide: a `+++` TOML front-matter block, then one section per `##`.
//!
//! A section heading carries its stable id and kind as heading attributes:
//! `## Knee-to-Chest Twist {#knee-to-chest .technique}`. Right under it, optional
//! `Keywords: a, b` and `Hold: 5-10 seconds` paragraphs; numbered items are steps. An
//! `Examples:` line followed by a bulleted list gives the ways members ask for the section.
//! The front matter may name what the guide covers and which sections make its overview.

use std::fmt;

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Deserialize;

use super::problem::{Lines, Problem};

/// What a section is for; shapes how it is answered and listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Warmup,
    Technique,
    Precaution,
    SeekHelp,
    Info,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Warmup,
        Kind::Technique,
        Kind::Precaution,
        Kind::SeekHelp,
        Kind::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Warmup => "warmup",
            Kind::Technique => "technique",
            Kind::Precaution => "precaution",
            Kind::SeekHelp => "seek-help",
            Kind::Info => "info",
        }
    }

    fn parse(class: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == class)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One guide file.
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    /// File name inside the knowledge folder, e.g. `lower-back.md`.
    pub file: String,
    pub title: String,
    pub summary: String,
    pub source: String,
    pub tags: Vec<String>,
    /// What the guide is about, in members' words ("lower back"): a question naming one of
    /// these is in scope, and a no-match reply says so.
    pub covers: Vec<String>,
    /// The broad answer: which sections make it, and the questions that ask for it.
    pub overview: Option<Overview>,
    pub sections: Vec<Section>,
}

/// A guide's overview: its chosen sections in order, and the broad questions it answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub sections: Vec<String>,
    pub examples: Vec<ExampleQuestion>,
}

/// One way members ask for a section (or the overview), and the line it is written on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleQuestion {
    pub text: String,
    pub line: usize,
}

impl Guide {
    /// The guide's safety line: the first paragraph of its first precaution section.
    pub fn safety_line(&self) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| s.kind == Kind::Precaution)
            .and_then(|s| s.paragraphs.first())
            .map(String::as_str)
    }
}

/// One `##` section of a guide.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub kind: Kind,
    pub title: String,
    pub keywords: Vec<String>,
    pub hold: Option<String>,
    pub paragraphs: Vec<String>,
    /// Numbered list items, in order.
    pub steps: Vec<String>,
    /// Bulleted list items.
    pub points: Vec<String>,
    /// The ways members ask for this section, from its `Examples:` list.
    pub examples: Vec<ExampleQuestion>,
    /// 1-based line of the heading.
    pub line: usize,
}

impl Section {
    /// Whether two sections say the same, wherever they sit in their files: a blank line
    /// inserted above a section moves its lines but changes nothing a member sees.
    pub fn same_content(&self, other: &Section) -> bool {
        fn examples(s: &Section) -> impl Iterator<Item = &str> {
            s.examples.iter().map(|e| e.text.as_str())
        }
        self.id == other.id
            && self.kind == other.kind
            && self.title == other.title
            && self.keywords == other.keywords
            && self.hold == other.hold
            && self.paragraphs == other.paragraphs
            && self.steps == other.steps
            && self.points == other.points
            && examples(self).eq(examples(other))
    }

    /// All the prose of the section, for indexing.
    pub fn body(&self) -> String {
        let mut parts: Vec<&str> = self.paragraphs.iter().map(String::as_str).collect();
        parts.extend(self.steps.iter().map(String::as_str));
        parts.extend(self.points.iter().map(String::as_str));
        if let Some(hold) = &self.hold {
            parts.push(hold);
        }
        parts.join("\n")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    summary: String,
    source: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    covers: Vec<String>,
    overview: Option<OverviewTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OverviewTable {
    sections: Vec<toml::Spanned<String>>,
    #[serde(default)]
    examples: Vec<toml::Spanned<String>>,
}

/// Text being gathered for the block the parser is inside.
enum Block {
    None,
    FrontMatter(usize),
    Heading {
        line: usize,
        id: Option<String>,
        classes: Vec<String>,
    },
    Paragraph,
    Item {
        list: List,
        line: usize,
    },
}

/// What the items of a list are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum List {
    Steps,
    Points,
    /// The list right under an `Examples:` line.
    Examples,
}

struct SectionBuilder {
    section: Section,
    kind_ok: bool,
    /// The line of an `Examples:` label still waiting for its list.
    examples_label: Option<usize>,
}

pub fn parse(file: &str, text: &str) -> Result<Guide, Vec<Problem>> {
    let options = Options::ENABLE_HEADING_ATTRIBUTES
        | Options::ENABLE_PLUSES_DELIMITED_METADATA_BLOCKS
        | Options::ENABLE_STRIKETHROUGH;
    let mut problems = Vec::new();
    let mut front: Option<FrontMatter> = None;
    let mut sections: Vec<SectionBuilder> = Vec::new();
    let mut block = Block::None;
    let mut buf = String::new();
    let mut lists: Vec<List> = Vec::new();

    // Line numbers by binary search: counting newlines at every event made parsing
    // quadratic in the guide's length (a fifth of each `backcare ask`).
    let lines = Lines::new(text);
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        let line = lines.of(range.start);
        match event {
            Event::Start(Tag::MetadataBlock(_)) => {
                block = Block::FrontMatter(line);
                buf.clear();
            }
            Event::End(TagEnd::MetadataBlock(_)) => {
                if let Block::FrontMatter(start) = block {
                    front = parse_front_matter(file, start, &buf, &mut problems);
                }
                block = Block::None;
            }
            Event::Start(Tag::Heading {
                level, id, classes, ..
            }) => {
                if level == HeadingLevel::H1 {
                    problems.push(Problem::new(
                        file,
                        line,
                        "a `#` heading is not used; put the guide title in the front matter and start sections with `##`",
                    ));
                }
                if level <= HeadingLevel::H2 {
                    missing_examples(file, sections.last_mut(), &mut problems);
                    block = Block::Heading {
                        line,
                        id: id.map(|s| s.to_string()),
                        classes: classes.iter().map(|c| c.to_string()).collect(),
                    };
                } else {
                    block = Block::Paragraph;
                }
                buf.clear();
            }
            Event::End(TagEnd::Heading(level)) if level <= HeadingLevel::H2 => {
                if let Block::Heading { line, id, classes } =
                    std::mem::replace(&mut block, Block::None)
                {
                    sections.push(start_section(file, line, id, &classes, &buf, &mut problems));
                }
            }
            Event::End(TagEnd::Heading(_)) | Event::End(TagEnd::Paragraph)
                if matches!(block, Block::Paragraph) =>
            {
                finish_paragraph(file, line, &buf, sections.last_mut(), &mut problems);
                block = Block::None;
            }
            Event::Start(Tag::Paragraph) if lists.is_empty() => {
                missing_examples(file, sections.last_mut(), &mut problems);
                block = Block::Paragraph;
                buf.clear();
            }
            Event::Start(Tag::List(start)) => {
                let waiting = sections.last_mut().and_then(|b| b.examples_label.take());
                lists.push(match (waiting, start) {
                    (Some(_), _) if lists.is_empty() => List::Examples,
                    (_, Some(_)) => List::Steps,
                    _ => List::Points,
                });
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                flush_item(
                    file,
                    &mut block,
                    &mut buf,
                    sections.last_mut(),
                    &mut problems,
                );
                block = Block::Item {
                    list: lists.last().copied().unwrap_or(List::Points),
                    line,
                };
            }
            Event::End(TagEnd::Item) => flush_item(
                file,
                &mut block,
                &mut buf,
                sections.last_mut(),
                &mut problems,
            ),
            Event::Text(t) | Event::Code(t) => buf.push_str(&t),
            Event::SoftBreak | Event::HardBreak => buf.push(' '),
            _ => {}
        }
    }

    missing_examples(file, sections.last_mut(), &mut problems);
    if front.is_none() && !problems.iter().any(|p| p.line > 0 && p.line <= 3) {
        problems.push(Problem::new(
            file,
            1,
            "missing front matter; start the file with a `+++` block holding title, summary, source and tags",
        ));
    }
    if sections.is_empty() {
        problems.push(Problem::new(
            file,
            0,
            "no sections; add at least one `## Title {#id .kind}` heading",
        ));
    }
    for b in &sections {
        let s = &b.section;
        if b.kind_ok && s.paragraphs.is_empty() && s.steps.is_empty() && s.points.is_empty() {
            problems.push(Problem::new(
                file,
                s.line,
                format!(
                    "section `{}` is empty; write at least one paragraph or step under it",
                    s.id
                ),
            ));
        }
    }
    let sections: Vec<Section> = sections.into_iter().map(|b| b.section).collect();
    let overview = front
        .as_mut()
        .and_then(|f| f.overview.take())
        .map(|table| overview(file, text, table, &sections, &mut problems));
    check_examples(file, &sections, overview.as_ref(), &mut problems);
    match front {
        Some(front) if problems.is_empty() => Ok(Guide {
            file: file.to_owned(),
            title: front.title,
            summary: front.summary,
            source: front.source,
            tags: front.tags,
            covers: front.covers,
            overview,
            sections,
        }),
        _ => Err(problems),
    }
}

/// The front matter's `[overview]`, checked against the guide's sections. Lines are the
/// file's (the front matter starts on line 1).
fn overview(
    file: &str,
    text: &str,
    table: OverviewTable,
    sections: &[Section],
    problems: &mut Vec<Problem>,
) -> Overview {
    // The front matter's text starts after the opening `+++` line.
    let offset = text.find('\n').map_or(0, |n| n + 1);
    let lines = Lines::new(text);
    let line = |span: std::ops::Range<usize>| lines.of(offset + span.start);
    if table.sections.is_empty() {
        problems.push(Problem::new(
            file,
            1,
            "`[overview]` needs `sections = [...]`: the ids of the sections a broad question gets, in order",
        ));
    }
    for id in &table.sections {
        if !sections.iter().any(|s| s.id == *id.get_ref()) {
            let known: Vec<&str> = sections.iter().map(|s| s.id.as_str()).collect();
            problems.push(Problem::new(
                file,
                line(id.span()),
                format!(
                    "`[overview]` names section `{}`, which this guide does not have; use one of {}",
                    id.get_ref(),
                    known.join(", ")
                ),
            ));
        }
    }
    Overview {
        sections: table.sections.iter().map(|s| s.get_ref().clone()).collect(),
        examples: table
            .examples
            .iter()
            .map(|e| ExampleQuestion {
                text: e.get_ref().trim().to_owned(),
                line: line(e.span()),
            })
            .collect(),
    }
}

/// Each example must say something, and must belong to one place only: the same question
/// listed for two sections would make them fight.
fn check_examples(
    file: &str,
    sections: &[Section],
    overview: Option<&Overview>,
    problems: &mut Vec<Problem>,
) {
    let mut seen: std::collections::HashMap<String, (&str, usize)> = Default::default();
    let lists = sections
        .iter()
        .map(|s| (s.id.as_str(), &s.examples))
        .chain(overview.map(|o| ("the overview", &o.examples)));
    for (owner, examples) in lists {
        for example in examples {
            let words = crate::text::words(&example.text, crate::text::Markdown::Split);
            if words.iter().all(|w| crate::text::is_filler(w)) {
                problems.push(Problem::new(
                    file,
                    example.line,
                    format!(
                        "the example \"{}\" has no words to search for; write a whole question, as a member would ask it",
                        example.text
                    ),
                ));
                continue;
            }
            if let Some((other, line)) = seen.insert(words.join(" "), (owner, example.line)) {
                problems.push(Problem::new(
                    file,
                    example.line,
                    format!(
                        "the example \"{}\" is also listed for {other} (line {line}); keep it under one section only",
                        example.text
                    ),
                ));
            }
        }
    }
}

/// An `Examples:` label must be followed by its list; reports one that is not.
fn missing_examples(file: &str, section: Option<&mut SectionBuilder>, problems: &mut Vec<Problem>) {
    if let Some(line) = section.and_then(|b| b.examples_label.take()) {
        problems.push(Problem::new(
            file,
            line,
            "`Examples:` needs a bulleted list right under it, one question per `- ` line",
        ));
    }
}

fn parse_front_matter(
    file: &str,
    start: usize,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<FrontMatter> {
    match toml::from_str::<FrontMatter>(text) {
        Ok(front) => {
            if front.title.trim().is_empty() {
                problems.push(Problem::new(
                    file,
                    start,
                    "the front matter `title` is empty",
                ));
            }
            Some(front)
        }
        Err(err) => {
            let line = err
                .span()
                .map(|s| start + Lines::new(text).of(s.start))
                .unwrap_or(start);
            problems.push(Problem::new(
                file,
                line,
                format!(
                    "bad front matter: {}; it needs title = \"...\", summary = \"...\", source = \"...\" and optionally tags = [\"...\"]",
                    err.message()
                ),
            ));
            None
        }
    }
}

fn start_section(
    file: &str,
    line: usize,
    id: Option<String>,
    classes: &[String],
    title: &str,
    problems: &mut Vec<Problem>,
) -> SectionBuilder {
    let title = title.trim().to_owned();
    let id = match id {
        Some(id) if is_valid_id(&id) => id,
        Some(id) => {
            problems.push(Problem::new(
                file,
                line,
                format!("section id `{id}` must use only lower-case letters, digits and hyphens"),
            ));
            id
        }
        None => {
            problems.push(Problem::new(
                file,
                line,
                format!("section \"{title}\" has no id; add one after the title, like `{{#{} .technique}}`", suggest_id(&title)),
            ));
            suggest_id(&title)
        }
    };
    let kinds: Vec<Kind> = classes.iter().filter_map(|c| Kind::parse(c)).collect();
    let unknown: Vec<&String> = classes
        .iter()
        .filter(|c| Kind::parse(c).is_none())
        .collect();
    let names = Kind::ALL.map(|k| format!(".{k}")).join(", ");
    let mut kind_ok = true;
    if !unknown.is_empty() {
        kind_ok = false;
        problems.push(Problem::new(
            file,
            line,
            format!(
                "unknown kind `.{}` on section `{id}`; use one of {names}",
                unknown[0]
            ),
        ));
    } else if kinds.len() != 1 {
        kind_ok = false;
        problems.push(Problem::new(
            file,
            line,
            format!("section `{id}` needs exactly one kind after its id, one of {names}"),
        ));
    }
    SectionBuilder {
        section: Section {
            id,
            kind: kinds.first().copied().unwrap_or(Kind::Info),
            title,
            keywords: Vec::new(),
            hold: None,
            paragraphs: Vec::new(),
            steps: Vec::new(),
            points: Vec::new(),
            examples: Vec::new(),
            line,
        },
        kind_ok,
        examples_label: None,
    }
}

fn finish_paragraph(
    file: &str,
    line: usize,
    text: &str,
    section: Option<&mut SectionBuilder>,
    problems: &mut Vec<Problem>,
) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    // Text before the first section is the guide's introduction; the summary covers it.
    let Some(b) = section else { return };
    let s = &mut b.section;
    if let Some(rest) = strip_label(text, "keywords:") {
        s.keywords.extend(
            rest.split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned),
        );
    } else if let Some(rest) = strip_label(text, "examples:") {
        if rest.trim().is_empty() {
            b.examples_label = Some(line);
        } else {
            problems.push(Problem::new(
                file,
                line,
                "put each example question on its own `- ` line under `Examples:`",
            ));
        }
    } else if let Some(rest) = strip_label(text, "hold:") {
        if rest.trim().is_empty() {
            problems.push(Problem::new(
                file,
                line,
                "`Hold:` needs a duration after it",
            ));
        }
        s.hold = Some(rest.trim().to_owned());
    } else {
        s.paragraphs.push(text.to_owned());
    }
}

fn flush_item(
    file: &str,
    block: &mut Block,
    buf: &mut String,
    section: Option<&mut SectionBuilder>,
    problems: &mut Vec<Problem>,
) {
    if let (Block::Item { list, line }, Some(b)) = (&*block, section) {
        let item = buf.trim();
        match list {
            List::Examples if item.is_empty() => problems.push(Problem::new(
                file,
                *line,
                "an empty example; write the question after `- ` or delete the line",
            )),
            List::Examples => b.section.examples.push(ExampleQuestion {
                text: item.to_owned(),
                line: *line,
            }),
            _ if item.is_empty() => {}
            List::Steps => b.section.steps.push(item.to_owned()),
            List::Points => b.section.points.push(item.to_owned()),
        }
    }
    *block = Block::None;
    buf.clear();
}

fn strip_label<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let head = text.get(..label.len())?;
    head.eq_ignore_ascii_case(label)
        .then(|| &text[label.len()..])
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn suggest_id(title: &str) -> String {
    let words: Vec<String> = crate::text::words(title, crate::text::Markdown::Split);
    let id = words.join("-");
    if id.is_empty() {
        "section-id".to_owned()
    } else {
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "+++\ntitle = \"T\"\nsummary = \"S\"\nsource = \"src\"\ntags = [\"a\"]\n+++\n\nIntro.\n\n## Knee to chest {#knee .technique}\n\nKeywords: pop, adjust\n\nHold: 5-10 seconds\n\nLie down.\n\n1. First **step**\n2. Second\n\n## Careful {#careful .precaution}\n\nNever force it.\n\n- stop if it hurts\n";

    #[test]
    fn parses_front_matter_sections_keywords_hold_and_steps() {
        let guide = parse("g.md", GOOD).unwrap();
        assert_eq!(guide.title, "T");
        assert_eq!(guide.sections.len(), 2);
        let s = &guide.sections[0];
        assert_eq!((s.id.as_str(), s.kind), ("knee", Kind::Technique));
        assert_eq!(s.keywords, ["pop", "adjust"]);
        assert_eq!(s.hold.as_deref(), Some("5-10 seconds"));
        assert_eq!(s.paragraphs, ["Lie down."]);
        assert_eq!(s.steps, ["First step", "Second"]);
        assert_eq!(s.line, 10);
        assert_eq!(guide.sections[1].points, ["stop if it hurts"]);
        assert_eq!(guide.safety_line(), Some("Never force it."));
    }

    fn problems(text: &str) -> Vec<String> {
        parse("g.md", text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn unknown_kind_names_the_line_and_the_allowed_kinds() {
        let text = GOOD.replace(".precaution", ".warning");
        let found = problems(&text);
        assert!(
            found[0].starts_with("g.md:21: unknown kind `.warning`"),
            "{found:?}"
        );
        assert!(found[0].contains(".seek-help"));
    }

    #[test]
    fn missing_id_suggests_one() {
        let found = problems(&GOOD.replace("{#knee .technique}", ""));
        assert!(found[0].contains("has no id"), "{found:?}");
        assert!(
            found[0].contains("{#knee-to-chest .technique}"),
            "{found:?}"
        );
    }

    #[test]
    fn empty_section_is_reported() {
        let text = GOOD.replace("Never force it.\n\n- stop if it hurts\n", "");
        assert_eq!(
            problems(&text),
            ["g.md:21: section `careful` is empty; write at least one paragraph or step under it"]
        );
    }

    #[test]
    fn bad_front_matter_points_into_the_block() {
        let found = problems(&GOOD.replace("summary = \"S\"", "summary = S"));
        assert!(
            found[0].starts_with("g.md:3: bad front matter"),
            "{found:?}"
        );
    }

    #[test]
    fn examples_overview_and_covers_are_read_with_their_lines() {
        let text = GOOD
            .replace(
                "tags = [\"a\"]\n",
                "tags = [\"a\"]\ncovers = [\"lower back\"]\n[overview]\nsections = [\"knee\", \"careful\"]\nexamples = [\"how do i crack it\"]\n",
            )
            .replace(
                "Hold: 5-10 seconds\n",
                "Hold: 5-10 seconds\n\nExamples:\n- how long do i hold it\n- which knee first\n",
            );
        let guide = parse("g.md", &text).unwrap();
        assert_eq!(guide.covers, ["lower back"]);
        let overview = guide.overview.unwrap();
        assert_eq!(overview.sections, ["knee", "careful"]);
        assert_eq!(overview.examples[0].text, "how do i crack it");
        assert_eq!(overview.examples[0].line, 9);
        let examples = &guide.sections[0].examples;
        assert_eq!(examples.len(), 2);
        assert_eq!(
            (examples[1].text.as_str(), examples[1].line),
            ("which knee first", 22)
        );
        assert!(
            guide.sections[0].points.is_empty(),
            "examples are not points"
        );
    }

    #[test]
    fn bad_example_blocks_and_overview_ids_name_their_lines() {
        let text = GOOD.replace(
            "Hold: 5-10 seconds\n",
            "Hold: 5-10 seconds\n\nExamples:\n\nLie down first.\n",
        );
        let found = problems(&text);
        assert!(
            found[0].starts_with("g.md:16: `Examples:` needs a bulleted list"),
            "{found:?}"
        );
        let inline = problems(&GOOD.replace(
            "Hold: 5-10 seconds\n",
            "Hold: 5-10 seconds\n\nExamples: a, b\n",
        ));
        assert!(
            inline[0].starts_with("g.md:16: put each example"),
            "{inline:?}"
        );
        let twice = problems(&GOOD.replace(
            "Hold: 5-10 seconds\n",
            "Hold: 5-10 seconds\n\nExamples:\n- how do I hold it\n- How do I hold it?\n",
        ));
        assert!(twice[0].starts_with("g.md:18: the example"), "{twice:?}");
        assert!(twice[0].contains("also listed"), "{twice:?}");
        let unknown = problems(&GOOD.replace(
            "tags = [\"a\"]\n",
            "tags = [\"a\"]\n[overview]\nsections = [\"kne\"]\n",
        ));
        assert!(
            unknown[0].starts_with("g.md:7: `[overview]` names section `kne`"),
            "{unknown:?}"
        );
    }

    #[test]
    fn missing_front_matter_is_reported() {
        let found = problems(&GOOD[GOOD.find("Intro").unwrap()..]);
        assert!(found[0].contains("missing front matter"), "{found:?}");
    }
}
