//! The moderators' learning loop: the unanswered inbox grouped by the section each question
//! came closest to, and teaching a question to a section by adding it to the section's
//! example questions in its guide, one line, with a preview of which answers change.
//!
//! No Discord types: `backcare unanswered` / `backcare teach` and `/unanswered` / `/teach`
//! both call this.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::knowledge::Knowledge;
use crate::regression::{self, Outcome};
use crate::reply::Reply;
use crate::store::Unanswered;
use crate::text::truncate_chars;

/// Longest question that can be taught, in characters.
pub const MAX_QUESTION_CHARS: usize = 300;

/// Unanswered questions that came closest to the same section (or to none).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The closest section's id and title; `None` when no section came close at all.
    pub section: Option<(String, String)>,
    pub questions: Vec<Unanswered>,
}

impl Group {
    /// How many times the group's questions were asked.
    pub fn asked(&self) -> u64 {
        self.questions.iter().map(|q| q.count).sum()
    }
}

/// Groups unanswered questions by the section each one came closest to in search (they ask
/// for the same thing, in words the guide does not have yet). Groups are ordered by their
/// most recent question, newest first, as are the questions inside them.
pub fn group(engine: &Engine, inbox: &[Unanswered]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for question in inbox {
        let answer = engine.ask(&question.text);
        let closest = answer.candidates.first().and_then(|c| {
            engine
                .knowledge()
                .section(&c.id)
                .map(|(_, s)| (s.id.clone(), s.title.clone()))
        });
        match groups.iter_mut().find(|g| g.section == closest) {
            Some(group) => group.questions.push(question.clone()),
            None => groups.push(Group {
                section: closest,
                questions: vec![question.clone()],
            }),
        }
    }
    for group in &mut groups {
        group
            .questions
            .sort_by_key(|q| std::cmp::Reverse(q.last_at));
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.questions.first().map_or(0, |q| q.last_at)));
    groups
}

/// The inbox as plain text, for `backcare unanswered` and `/unanswered`: at most `limit`
/// questions, each with how often and when it was last asked.
pub fn render_inbox(groups: &[Group], retention_days: Option<u32>, limit: usize) -> String {
    if groups.is_empty() {
        return "No unanswered questions kept: every question was answered, or their text has passed the retention period.\n".to_owned();
    }
    let questions: usize = groups.iter().map(|g| g.questions.len()).sum();
    let asked: u64 = groups.iter().map(Group::asked).sum();
    let mut out = format!(
        "{questions} unanswered question(s), asked {asked} time(s){}, grouped by the section each came closest to; newest first.\nTeach one to a section with `backcare teach \"QUESTION\" SECTION_ID` or /teach.\n",
        retention_days.map_or(String::new(), |d| format!(" in the last {d} days"))
    );
    let mut shown = 0;
    for group in groups {
        if shown >= limit {
            break;
        }
        match &group.section {
            Some((id, title)) => out.push_str(&format!(
                "\nClosest to {id} ({title}): {} asked\n",
                group.asked()
            )),
            None => out.push_str(&format!("\nClose to no section: {} asked\n", group.asked())),
        }
        for question in &group.questions {
            if shown >= limit {
                break;
            }
            shown += 1;
            out.push_str(&format!(
                "  {}x  {}  {}\n",
                question.count,
                date(question.last_at),
                truncate_chars(&question.text, 120)
            ));
        }
    }
    if shown < questions {
        out.push_str(&format!("\n... and {} more\n", questions - shown));
    }
    out
}

/// A day as `YYYY-MM-DD` (UTC), from seconds since 1970.
pub fn date(at: i64) -> String {
    // Civil-from-days, after Howard Hinnant's algorithm.
    let days = at.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Why a question cannot be taught.
#[derive(Debug, thiserror::Error)]
pub enum TeachError {
    #[error("the question is empty")]
    Empty,
    #[error("the question is {chars} characters long; teach at most {MAX_QUESTION_CHARS}, the words members use to ask")]
    TooLong { chars: usize },
    #[error("this question mentions a red flag ({flags}): it always gets a seek-care reply, so it cannot be taught to a section")]
    RedFlag { flags: String },
    #[error("there is no section `{id}`; sections: {known}")]
    NoSection { id: String, known: String },
    #[error("`{id}` already has this example question (line {line} of {file})")]
    AlreadyThere {
        id: String,
        file: String,
        line: usize,
    },
    #[error("{file} changed since the preview; look at it again")]
    Changed { file: String },
    #[error("cannot read or write {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("the guide would not load after the edit: {0}")]
    Invalid(String),
}

/// A question about to be added to a section's example questions.
#[derive(Debug, Clone)]
pub struct Lesson {
    pub question: String,
    pub section: String,
    /// The guide file and its text before and after the edit.
    pub path: PathBuf,
    before: String,
    after: String,
    /// The 1-based line the question goes on.
    pub line: usize,
}

impl Lesson {
    /// The guide's file name, as moderators know it (`lower-back.md`).
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// The added line, as it appears in the guide.
    pub fn added_line(&self) -> &str {
        self.after
            .lines()
            .nth(self.line - 1)
            .unwrap_or_default()
            .trim_end()
    }
}

/// Plans teaching `question` to section `id`: refuses red flags, unknown sections and
/// questions already there, and finds the line to add (after the section's last example,
/// or a new `Examples:` list under its heading).
pub fn plan(
    engine: &Engine,
    knowledge_dir: &Path,
    question: &str,
    id: &str,
) -> Result<Lesson, TeachError> {
    let question = question.split_whitespace().collect::<Vec<_>>().join(" ");
    if question.is_empty() {
        return Err(TeachError::Empty);
    }
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS {
        return Err(TeachError::TooLong { chars });
    }
    let triaged = engine.triage(&question);
    if triaged.tier().is_some() {
        let flags: Vec<&str> = triaged.hits.iter().map(|h| &*h.id).collect();
        return Err(TeachError::RedFlag {
            flags: flags.join(", "),
        });
    }
    let knowledge = engine.knowledge();
    let Some((guide, section)) = knowledge.section(id) else {
        let known: Vec<&str> = knowledge.sections().map(|(_, s)| s.id.as_str()).collect();
        return Err(TeachError::NoSection {
            id: id.to_owned(),
            known: known.join(", "),
        });
    };
    let same = |text: &str| text.to_lowercase() == question.to_lowercase();
    if let Some(example) = section.examples.iter().find(|e| same(&e.text)) {
        return Err(TeachError::AlreadyThere {
            id: id.to_owned(),
            file: guide.file.clone(),
            line: example.line,
        });
    }
    let path = knowledge_dir.join(&guide.file);
    let before = fs::read_to_string(&path).map_err(|cause| TeachError::Io {
        path: path.clone(),
        cause,
    })?;
    let newline = if before.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut lines: Vec<&str> = before.split_inclusive('\n').collect();
    let item = format!("- {}{newline}", escape(&question));
    let (index, insert) = match section.examples.last() {
        // After the last example: its line is 1-based, so its index + 1.
        Some(last) => (last.line, vec![item]),
        // Under the heading: a blank line, the label and the question.
        None => (
            section.line,
            vec![newline.to_owned(), format!("Examples:{newline}"), item],
        ),
    };
    let line = index + insert.len();
    if index > lines.len() {
        return Err(TeachError::Changed {
            file: guide.file.clone(),
        });
    }
    // A last line without a newline gets one before anything follows it.
    let fixed_last;
    if index == lines.len() {
        if let Some(last) = lines.last_mut() {
            if !last.ends_with('\n') {
                fixed_last = format!("{last}{newline}");
                *last = &fixed_last;
            }
        }
    }
    for (offset, text) in insert.iter().enumerate() {
        lines.insert(index + offset, text);
    }
    Ok(Lesson {
        question,
        section: id.to_owned(),
        path,
        before: before.clone(),
        after: lines.concat(),
        line,
    })
}

/// Markdown characters escaped so the example reads back exactly as the member wrote it.
fn escape(question: &str) -> String {
    let mut out = String::with_capacity(question.len());
    for (i, c) in question.chars().enumerate() {
        let special = matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~'
        ) || (i == 0 && matches!(c, '#' | '+' | '-' | '='));
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The engine the knowledge would make after the lesson: the folder copied aside with the
/// edited guide, loaded and indexed in memory. Nothing is written to the real folder.
pub fn rehearse(lesson: &Lesson) -> Result<Engine, TeachError> {
    let dir = lesson.path.parent().unwrap_or(Path::new("."));
    let io = |path: &Path| {
        let path = path.to_owned();
        move |cause| TeachError::Io { path, cause }
    };
    let copy = tempfile::tempdir().map_err(io(Path::new("a temporary folder")))?;
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if entry.path().is_file() {
            fs::copy(entry.path(), copy.path().join(entry.file_name()))
                .map_err(io(&entry.path()))?;
        }
    }
    let file = lesson.path.file_name().unwrap_or_default();
    fs::write(copy.path().join(file), &lesson.after).map_err(io(&lesson.path))?;
    let knowledge = Knowledge::load(copy.path()).map_err(|e| TeachError::Invalid(e.to_string()))?;
    Engine::in_memory(knowledge).map_err(|e| TeachError::Invalid(e.to_string()))
}

/// Writes the lesson: atomically (a temporary file renamed over the guide), and only if the
/// guide still reads as it did when planned, so a moderator's edit in between is not lost.
pub fn apply(lesson: &Lesson) -> Result<(), TeachError> {
    let io = |cause| TeachError::Io {
        path: lesson.path.clone(),
        cause,
    };
    let now = fs::read_to_string(&lesson.path).map_err(io)?;
    if now != lesson.before {
        return Err(TeachError::Changed {
            file: lesson.path.display().to_string(),
        });
    }
    let dir = lesson.path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut tmp, lesson.after.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    // Keep the guide's permissions (a moderator's group-writable file stays so).
    if let Ok(meta) = fs::metadata(&lesson.path) {
        let _ = fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.persist(&lesson.path).map_err(|e| io(e.error))?;
    Ok(())
}

/// A lesson and what it would change: the questions compared and the answers that differ.
pub struct Preview {
    pub lesson: Lesson,
    pub questions: Vec<(String, &'static str)>,
    pub changed: Vec<Changed>,
    /// What the taught question would be answered with after the edit.
    pub then: Outcome,
}

impl Preview {
    /// Whether the taught question would get the section it was taught to.
    pub fn takes(&self) -> bool {
        self.then == Outcome::Section(self.lesson.section.clone())
    }
}

/// Plans a lesson and rehearses it: which answers change for the regression questions, the
/// taught question and the unanswered inbox. Nothing is written.
pub fn preview(
    engine: &Engine,
    knowledge_dir: &Path,
    question: &str,
    section: &str,
    inbox: &[Unanswered],
) -> Result<Preview, TeachError> {
    let lesson = plan(engine, knowledge_dir, question, section)?;
    let new = rehearse(&lesson)?;
    // Regression files with problems are `backcare check`'s to report; compare without them.
    let cases = regression::load(knowledge_dir).unwrap_or_default();
    let questions = questions(
        &cases,
        std::iter::once((lesson.question.clone(), "taught"))
            .chain(inbox.iter().map(|q| (q.text.clone(), "unanswered"))),
    );
    let changed = compare(engine, &new, &questions);
    let then = Outcome::of(&new.ask(&lesson.question));
    Ok(Preview {
        lesson,
        questions,
        changed,
        then,
    })
}

/// The summary line of a comparison, as `backcare diff`, `backcare teach` and `/teach` show it.
pub fn summary(questions: &[(String, &'static str)], changed: &[Changed]) -> String {
    let count = |source: &str| questions.iter().filter(|(_, s)| *s == source).count();
    let mut out = format!(
        "{} question(s) compared ({} regression, {} ordinary, {} recently unanswered); {} answer(s) change{}",
        questions.len(),
        count("regression"),
        count("ordinary"),
        count("unanswered"),
        changed.len(),
        if changed.is_empty() { "." } else { ":" }
    );
    let false_alarms = changed.iter().filter(|c| c.is_new_false_alarm()).count();
    if false_alarms > 0 {
        out.push_str(&format!(
            "\n{false_alarms} ordinary message(s) would start getting a seek-care reply: narrow the rule or group, or add a figurative entry"
        ));
    }
    out
}

/// One question whose answer differs between two engines.
#[derive(Debug, Clone)]
pub struct Changed {
    pub question: String,
    /// Where the question came from: `regression`, `ordinary`, `unanswered` or `taught`.
    pub source: &'static str,
    pub before: Outcome,
    pub after: Outcome,
    /// For a new seek-care reply: the flag, rule and words that raised it.
    pub raised_by: Option<(String, String, String)>,
}

impl Changed {
    /// An ordinary message that would start getting a seek-care reply.
    pub fn is_new_false_alarm(&self) -> bool {
        self.source == "ordinary" && matches!(self.after, Outcome::SeekCare(_))
    }
}

impl fmt::Display for Changed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = truncate_chars(&self.question.replace('\n', " "), 80).to_owned();
        write!(
            f,
            "[{}] \"{text}\": {} -> {}",
            self.source, self.before, self.after
        )?;
        if self.is_new_false_alarm() {
            f.write_str("  <- a new false alarm")?;
        }
        if let Some((id, rule, matched)) = &self.raised_by {
            write!(f, " ({id} via rule \"{rule}\" on \"{matched}\")")?;
        }
        Ok(())
    }
}

/// The questions a preview compares: the regression and ordinary cases of both folders,
/// then `extra` (with its source), each once.
pub fn questions<'a>(
    cases: impl IntoIterator<Item = &'a regression::Case>,
    extra: impl IntoIterator<Item = (String, &'static str)>,
) -> Vec<(String, &'static str)> {
    let mut questions: Vec<(String, &'static str)> = Vec::new();
    let mut add = |text: String, source: &'static str| {
        if !questions.iter().any(|(q, _)| *q == text) {
            questions.push((text, source));
        }
    };
    for case in cases {
        let source = match case.expect {
            Outcome::NotRedFlag => "ordinary",
            _ => "regression",
        };
        add(case.text.clone(), source);
    }
    for (text, source) in extra {
        add(text, source);
    }
    questions
}

/// Which answers change between two engines, for a list of questions.
pub fn compare(old: &Engine, new: &Engine, questions: &[(String, &'static str)]) -> Vec<Changed> {
    let mut changed = Vec::new();
    for (question, source) in questions {
        let before = Outcome::of(&old.ask(question));
        let answer = new.ask(question);
        let after = Outcome::of(&answer);
        if before != after {
            let raised_by = match (&answer.reply, answer.red_flags().first()) {
                (Reply::SeekCare(_), Some(hit)) => Some((
                    hit.id.to_string(),
                    hit.rule.to_string(),
                    hit.matched.clone(),
                )),
                _ => None,
            };
            changed.push(Changed {
                question: question.clone(),
                source,
                before,
                after,
                raised_by,
            });
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_796_256_000), "2026-12-03");
    }

    #[test]
    fn markdown_in_a_question_is_escaped() {
        assert_eq!(escape("*pop* my back_now"), "\\*pop\\* my back\\_now");
        assert_eq!(escape("# of reps"), "\\# of reps");
    }
}
