//! Problems found in knowledge files, worded for the moderator who has to fix them.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong in a knowledge file: where, and what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based line, or 0 when the problem concerns the whole file.
    pub line: usize,
    pub message: String,
}

impl Problem {
    pub fn new(file: &str, line: usize, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_agree_with_counting_newlines() {
        let text = "a\nbb\n\nccc";
        let lines = Lines::new(text);
        for offset in 0..=text.len() {
            let counted = text[..offset].matches('\n').count() + 1;
            assert_eq!(lines.of(offset), counted, "{offset}");
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read the knowledge folder {}: {cause}", dir.display())]
    Folder { dir: PathBuf, cause: std::io::Error },
    #[error("{}", render(.0))]
    Invalid(Vec<Problem>),
}

fn render(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    lines.join("\n")
}

impl KnowledgeError {
    /// The individual problems, for callers that report them one by one.
    pub fn problems(&self) -> Vec<Problem> {
        match self {
            KnowledgeError::Folder { dir, .. } => {
                vec![Problem::new(
                    &dir.display().to_string(),
                    0,
                    self.to_string(),
                )]
            }
            KnowledgeError::Invalid(problems) => problems.clone(),
        }
    }
}

/// Byte offsets to 1-based line numbers, for a file with many spans to report.
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub(crate) fn new(text: &str) -> Lines {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n');
        Lines {
            starts: newlines.map(|(i, _)| i).collect(),
        }
    }

    /// The 1-based line holding `offset`.
    pub(crate) fn of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&newline| newline < offset) + 1
    }
}
