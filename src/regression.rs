//! Regression questions (`knowledge/questions.toml`): questions with the outcome moderators
//! expect, run by `backcare check`, `backcare diff` and every reload.
//!
//! Owns reading the file and comparing outcomes; it does not decide what a reload does.

use std::fmt;
use std::fs;
use std::path::Path;

use serde::Deserialize;

use crate::engine::{Answer, Engine};
use crate::knowledge::{Problem, Tier};
use crate::reply::Reply;

/// The regression file's name inside the knowledge folder.
pub const QUESTIONS_FILE: &str = "questions.toml";

/// What a question was answered with, reduced to what a moderator checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Section(String),
    SeekCare(Tier),
    NoMatch,
}

impl Outcome {
    pub fn of(answer: &Answer) -> Outcome {
        match &answer.reply {
            Reply::SeekCare(care) => Outcome::SeekCare(care.tier),
            Reply::Answer(section) => Outcome::Section(section.id.clone()),
            Reply::NoMatch(_) => Outcome::NoMatch,
        }
    }

    /// Does an actual outcome satisfy this expectation? A seek-care expectation is met by
    /// its tier or a higher one: escalating more is never a regression.
    pub fn accepts(&self, actual: &Outcome) -> bool {
        match (self, actual) {
            (Outcome::SeekCare(want), Outcome::SeekCare(got)) => got >= want,
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
        }
    }
}

/// One regression question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub text: String,
    pub expect: Outcome,
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

/// Reads the regression questions of a knowledge folder. A missing file means none.
pub fn load(knowledge_dir: &Path) -> Result<Vec<Case>, Vec<Problem>> {
    let path = knowledge_dir.join(QUESTIONS_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => {
            return Err(vec![Problem::new(
                QUESTIONS_FILE,
                0,
                format!("cannot read the file: {err}"),
            )])
        }
    };
    parse(&text)
}

pub fn parse(text: &str) -> Result<Vec<Case>, Vec<Problem>> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
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
            (id, _) if !id.is_empty() => Outcome::Section(id.to_owned()),
            _ => {
                problems.push(Problem::new(
                    QUESTIONS_FILE,
                    line,
                    "`expect` must be a section id, \"seek_care\" (with a tier) or \"no_match\"",
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
        format!(
            "\"{text}\": expected {}, got {}",
            self.case.expect, self.got
        )
    }

    pub fn problem(&self) -> Problem {
        Problem::new(QUESTIONS_FILE, self.case.line, self.message())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.problem().fmt(f)
    }
}

/// Runs the questions and returns those whose outcome differs from the expectation.
pub fn run(engine: &Engine, cases: &[Case]) -> Vec<Failure> {
    cases
        .iter()
        .filter_map(|case| {
            let got = Outcome::of(&engine.ask(&case.text));
            (!case.expect.accepts(&got)).then(|| Failure {
                case: case.clone(),
                got,
            })
        })
        .collect()
}

/// Checks that every section a question expects exists, so a renamed id is caught.
pub fn unknown_sections(engine: &Engine, cases: &[Case]) -> Vec<Problem> {
    cases
        .iter()
        .filter_map(|case| match &case.expect {
            Outcome::Section(id) if engine.knowledge().section(id).is_none() => Some(Problem::new(
                QUESTIONS_FILE,
                case.line,
                format!("expects section `{id}`, which no guide has; fix the id or the question"),
            )),
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
