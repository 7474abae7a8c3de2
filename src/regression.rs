//! Regression questions (`knowledge/questions.toml`) and ordinary messages
//! (`knowledge/ordinary-messages.txt`): what members write and the outcome moderators
//! expect, run by `backcare check`, `backcare diff` and every reload.
//!
//! Owns reading the file and comparing outcomes; it does not decide what a reload does.

use std::fmt;
use std::fs;
use std::path::Path;

use serde::Deserialize;

use crate::engine::{Answer, Engine, OVERVIEW_ID};
use crate::knowledge::{Lines, Problem, Tier};
use crate::reply::Reply;

/// The regression file's name inside the knowledge folder.
pub const QUESTIONS_FILE: &str = "questions.toml";

/// Ordinary messages, one per line, that must never get a seek-care reply: what guards a
/// red-flag edit against raising false alarms on everyday chat.
pub const ORDINARY_FILE: &str = "ordinary-messages.txt";

/// What a question was answered with, reduced to what a moderator checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Section(String),
    SeekCare(Tier),
    NoMatch,
    /// A greeting or thanks, answered with a friendly line.
    Greeting,
    /// Expected of ordinary messages: any answer or no match, but no seek-care reply.
    NotRedFlag,
}

impl Outcome {
    pub fn of(answer: &Answer) -> Outcome {
        match &answer.reply {
            Reply::SeekCare(care) => Outcome::SeekCare(care.tier),
            Reply::Section(section) => Outcome::Section(section.id.clone()),
            Reply::Overview(_) => Outcome::Section(OVERVIEW_ID.to_owned()),
            Reply::NoMatch(_) => Outcome::NoMatch,
            Reply::Greeting(_) => Outcome::Greeting,
        }
    }

    /// Does an actual outcome satisfy this expectation? A seek-care expectation is met by
    /// its tier or a higher one: escalating more is never a regression.
    pub fn accepts(&self, actual: &Outcome) -> bool {
        match (self, actual) {
            (Outcome::SeekCare(want), Outcome::SeekCare(got)) => got >= want,
            (Outcome::NotRedFlag, got) => !matches!(got, Outcome::SeekCare(_)),
            (want, got) => want == got,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Section(id) => write!(f, "section `{id}`"),
            Outcome::SeekCare(tier) => write!(f, "seek care ({tier})"),
            Outcome::NoMatch => f.write_str("no match"),
            Outcome::Greeting => f.write_str("a greeting"),
            Outcome::NotRedFlag => f.write_str("no red flag"),
        }
    }
}

/// One regression question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub text: String,
    pub expect: Outcome,
    /// The file it comes from ([`QUESTIONS_FILE`] or [`ORDINARY_FILE`]) and its line.
    pub file: &'static str,
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    question: Vec<toml::Spanned<RawCase>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    text: String,
    expect: String,
    tier: Option<Tier>,
}

/// Reads the regression questions and ordinary messages of a knowledge folder. A missing
/// file means none.
pub fn load(knowledge_dir: &Path) -> Result<Vec<Case>, Vec<Problem>> {
    let mut cases = match read(knowledge_dir, QUESTIONS_FILE)? {
        Some(text) => parse(&text)?,
        None => Vec::new(),
    };
    if let Some(text) = read(knowledge_dir, ORDINARY_FILE)? {
        cases.extend(parse_ordinary(&text));
    }
    Ok(cases)
}

fn read(dir: &Path, name: &str) -> Result<Option<String>, Vec<Problem>> {
    match fs::read_to_string(dir.join(name)) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(vec![Problem::new(
            name,
            0,
            format!("cannot read the file: {err}"),
        )]),
    }
}

/// One ordinary message per line; blank lines and `#` comments are skipped.
pub fn parse_ordinary(text: &str) -> Vec<Case> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(index, line)| Case {
            text: line.trim().to_owned(),
            expect: Outcome::NotRedFlag,
            file: ORDINARY_FILE,
            line: index + 1,
        })
        .collect()
}

pub fn parse(text: &str) -> Result<Vec<Case>, Vec<Problem>> {
    // One table of line starts: counting newlines from the top for each of ~900 questions
    // took a twelfth of a reload.
    let lines = Lines::new(text);
    let line_of = |offset: usize| lines.of(offset);
    let file: File = toml::from_str(text).map_err(|err| {
        let line = err.span().map(|s| line_of(s.start)).unwrap_or(0);
        vec![Problem::new(
            QUESTIONS_FILE,
            line,
            format!("invalid TOML: {}", err.message().trim()),
        )]
    })?;
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for spanned in file.question {
        let line = line_of(spanned.span().start);
        let raw = spanned.into_inner();
        let expect = match (raw.expect.as_str(), raw.tier) {
            ("seek_care", Some(tier)) => Outcome::SeekCare(tier),
            ("seek_care", None) => {
                problems.push(Problem::new(
                    QUESTIONS_FILE,
                    line,
                    "`expect = \"seek_care\"` needs `tier = \"emergency\"` or `tier = \"urgent\"`",
                ));
                continue;
            }
            ("no_match", _) => Outcome::NoMatch,
            ("greeting", _) => Outcome::Greeting,
            (id, _) if !id.is_empty() => Outcome::Section(id.to_owned()),
            _ => {
                problems.push(Problem::new(
                    QUESTIONS_FILE,
                    line,
                    "`expect` must be a section id, \"overview\", \"seek_care\" (with a tier), \"no_match\" or \"greeting\"",
                ));
                continue;
            }
        };
        if raw.text.trim().is_empty() {
            problems.push(Problem::new(
                QUESTIONS_FILE,
                line,
                "the question `text` is empty",
            ));
            continue;
        }
        cases.push(Case {
            text: raw.text,
            expect,
            file: QUESTIONS_FILE,
            line,
        });
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(problems)
    }
}

/// A regression question whose answer is not the expected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub case: Case,
    pub got: Outcome,
    /// For a seek-care reply: which flag, rule and words caused it.
    pub why: Option<String>,
}

impl Failure {
    /// True when a question that must escalate no longer does (or escalates less).
    pub fn is_lost_red_flag(&self) -> bool {
        matches!(self.case.expect, Outcome::SeekCare(_))
    }
}

impl Failure {
    /// `"question": expected X, got Y`, without the file and line.
    pub fn message(&self) -> String {
        let text = crate::text::truncate_chars(&self.case.text.replace('\n', " "), 80);
        match (&self.case.expect, &self.why) {
            (Outcome::NotRedFlag, Some(why)) => format!(
                "\"{text}\" is an ordinary message but gets a seek-care reply ({why}); narrow that rule or group, or add a figurative entry"
            ),
            _ => format!("\"{text}\": expected {}, got {}", self.case.expect, self.got),
        }
    }

    pub fn problem(&self) -> Problem {
        Problem::new(self.case.file, self.case.line, self.message())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem().fmt(f)
    }
}

/// Questions below which a second thread costs more than it saves.
const MIN_CASES_PER_THREAD: usize = 100;

/// Runs the questions and returns those whose outcome differs from the expectation, in the
/// order of `cases`. The questions are shared among the machine's cores: a reload asks over
/// a thousand of them, and a moderator waits for `check`.
pub fn run(engine: &Engine, cases: &[Case]) -> Vec<Failure> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let threads = cores.min(cases.len() / MIN_CASES_PER_THREAD).max(1);
    if threads == 1 {
        return run_here(engine, cases);
    }
    let per_thread = cases.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = cases
            .chunks(per_thread)
            .map(|part| scope.spawn(move || run_here(engine, part)))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

fn run_here(engine: &Engine, cases: &[Case]) -> Vec<Failure> {
    cases
        .iter()
        .filter_map(|case| {
            let answer = engine.ask(&case.text);
            let got = Outcome::of(&answer);
            (!case.expect.accepts(&got)).then(|| Failure {
                case: case.clone(),
                got,
                why: answer.red_flags().first().map(|hit| {
                    format!(
                        "{} via rule \"{}\" on \"{}\"",
                        hit.id, hit.rule, hit.matched
                    )
                }),
            })
        })
        .collect()
}

/// Checks that every section a question expects exists, so a renamed id is caught.
pub fn unknown_sections(engine: &Engine, cases: &[Case]) -> Vec<Problem> {
    cases
        .iter()
        .filter_map(|case| match &case.expect {
            Outcome::Section(id)
                if id != OVERVIEW_ID && engine.knowledge().section(id).is_none() =>
            {
                Some(Problem::new(
                    QUESTIONS_FILE,
                    case.line,
                    format!(
                        "expects section `{id}`, which no guide has; fix the id or the question"
                    ),
                ))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_kinds_of_expectation() {
        let cases = parse(
            "[[question]]\ntext = \"a\"\nexpect = \"knee\"\n\n[[question]]\ntext = \"b\"\nexpect = \"seek_care\"\ntier = \"urgent\"\n\n[[question]]\ntext = \"c\"\nexpect = \"no_match\"\n",
        )
        .unwrap();
        assert_eq!(cases[0].expect, Outcome::Section("knee".into()));
        assert_eq!(cases[1].expect, Outcome::SeekCare(Tier::Urgent));
        assert_eq!(cases[1].line, 5);
        assert_eq!(cases[2].expect, Outcome::NoMatch);
    }

    /// Shared among threads, the failures still come in the order of the questions.
    #[test]
    fn failures_come_in_question_order_whatever_the_threads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let engine = Engine::in_memory(crate::knowledge::Knowledge::load(&dir).unwrap()).unwrap();
        // Every third question expects a red flag it does not have.
        let cases: Vec<Case> = (0..3 * MIN_CASES_PER_THREAD)
            .map(|n| Case {
                text: "how do I do the bridge?".to_owned(),
                expect: if n % 3 == 0 {
                    Outcome::SeekCare(Tier::Urgent)
                } else {
                    Outcome::NotRedFlag
                },
                file: QUESTIONS_FILE,
                line: n + 1,
            })
            .collect();
        let failures = run(&engine, &cases);
        let lines: Vec<usize> = failures.iter().map(|f| f.case.line).collect();
        let expected: Vec<usize> = (0..3 * MIN_CASES_PER_THREAD)
            .filter(|n| n % 3 == 0)
            .map(|n| n + 1)
            .collect();
        assert_eq!(lines, expected);
        assert_eq!(failures, run_here(&engine, &cases));
    }

    #[test]
    fn ordinary_messages_are_lines_and_must_not_escalate() {
        let cases = parse_ordinary("# comment\n\nhow do I do the bridge\n  thanks bot  \n");
        assert_eq!(cases.len(), 2);
        assert_eq!((cases[0].line, cases[1].line), (3, 4));
        assert_eq!(cases[1].text, "thanks bot");
        assert!(Outcome::NotRedFlag.accepts(&Outcome::NoMatch));
        assert!(Outcome::NotRedFlag.accepts(&Outcome::Section("x".into())));
        assert!(!Outcome::NotRedFlag.accepts(&Outcome::SeekCare(Tier::Urgent)));
    }

    #[test]
    fn seek_care_without_a_tier_is_a_problem_at_its_line() {
        let problems = parse("\n[[question]]\ntext = \"b\"\nexpect = \"seek_care\"\n").unwrap_err();
        assert!(
            problems[0].to_string().starts_with("questions.toml:2:"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn escalating_higher_than_expected_is_not_a_failure() {
        assert!(Outcome::SeekCare(Tier::Urgent).accepts(&Outcome::SeekCare(Tier::Emergency)));
        assert!(!Outcome::SeekCare(Tier::Emergency).accepts(&Outcome::SeekCare(Tier::Urgent)));
        assert!(!Outcome::NoMatch.accepts(&Outcome::Section("x".into())));
    }
}
