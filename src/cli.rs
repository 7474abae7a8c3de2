//! The `backcare` command line: argument definitions and the local commands.
//!
//! A thin front end over the engine: it reads questions, prints replies and reports
//! problems as one clear line each. `serve` hands over to the Discord layer.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::engine::{Answer, Engine, MAX_QUESTION_CHARS};
use crate::knowledge::Knowledge;
use crate::search::{Opened, Search, MIN_COVERAGE};

/// Answers back-care questions from moderated guides, and sends red-flag symptoms to care.
#[derive(Debug, Parser)]
#[command(name = "backcare", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub paths: Paths,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the knowledge and the index live.
#[derive(Debug, Clone, Args)]
pub struct Paths {
    /// Folder of knowledge files (Markdown guides and red-flags.toml).
    #[arg(
        long,
        global = true,
        env = "BACKCARE_KNOWLEDGE_DIR",
        default_value = "knowledge"
    )]
    pub knowledge: PathBuf,
    /// Folder for the search index (a build artefact, rebuilt when the knowledge changes).
    #[arg(
        long,
        global = true,
        env = "BACKCARE_INDEX_DIR",
        default_value = "index"
    )]
    pub index: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question as the bot would. With no question: an interactive prompt on a
    /// terminal, or one question per line from piped standard input.
    Ask(AskArgs),
    /// Rebuild the search index and list what it holds.
    Index,
    /// Validate the knowledge folder; prints `file:line: problem` for each problem.
    Check,
    /// Run the Discord bot.
    Serve,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question (several words are joined with spaces).
    pub question: Vec<String>,
    /// Print one JSON object per question (the stable contract for scripts).
    #[arg(long)]
    pub json: bool,
    /// Also show why: matched red-flag phrases, query terms, candidates and scores.
    #[arg(long)]
    pub explain: bool,
}

/// Exit code for bad input (the same code clap uses for bad arguments).
const BAD_INPUT: u8 = 2;

/// Prints a one-line error and returns the failure exit code.
fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("backcare: {message}");
    ExitCode::from(code)
}

/// Loads the engine, rebuilding the index when needed, with errors as one line each.
pub fn open_engine(paths: &Paths) -> Result<Engine, ExitCode> {
    match Engine::open(&paths.knowledge, &paths.index) {
        Ok((engine, opened)) => {
            if opened == Opened::Built {
                tracing::info!(index = %paths.index.display(), "built the search index");
            }
            Ok(engine)
        }
        Err(err) => Err(fail(1, err)),
    }
}

pub fn ask(paths: &Paths, args: &AskArgs) -> ExitCode {
    if !args.question.is_empty() {
        let question = args.question.join(" ");
        if question.trim().is_empty() {
            return fail(
                BAD_INPUT,
                "the question is empty; try: backcare ask \"how do I warm up?\"",
            );
        }
        let engine = match open_engine(paths) {
            Ok(engine) => engine,
            Err(code) => return code,
        };
        let mut out = io::stdout().lock();
        return match print_answer(&mut out, &engine, &question, args) {
            Ok(code) => code,
            Err(err) => fail(1, format!("cannot write the reply: {err}")),
        };
    }
    let engine = match open_engine(paths) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let stdin = io::stdin();
    let interactive = stdin.is_terminal();
    if interactive {
        eprintln!("Ask a back-care question (an empty line or Ctrl-D quits).");
    }
    let mut out = io::stdout().lock();
    let mut input = stdin.lock();
    let mut code = ExitCode::SUCCESS;
    let mut line_no = 0usize;
    let mut buf = Vec::new();
    loop {
        if interactive {
            eprint!("> ");
        }
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(err) => return fail(1, format!("cannot read standard input: {err}")),
        }
        line_no += 1;
        let Ok(line) = std::str::from_utf8(&buf) else {
            code = fail(
                BAD_INPUT,
                format!("line {line_no} of standard input is not valid UTF-8; skipped"),
            );
            continue;
        };
        let question = line.trim_end_matches(['\n', '\r']);
        if question.trim().is_empty() {
            if interactive {
                break;
            }
            continue;
        }
        match print_answer(&mut out, &engine, question, args) {
            Ok(c) if c != ExitCode::SUCCESS => code = c,
            Ok(_) => {}
            // A closed pipe (`| head`) ends the batch quietly.
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => break,
            Err(err) => return fail(1, format!("cannot write the reply: {err}")),
        }
    }
    code
}

fn print_answer(
    out: &mut impl Write,
    engine: &Engine,
    question: &str,
    args: &AskArgs,
) -> io::Result<ExitCode> {
    let answer = engine.ask(question);
    let text = answer.reply.text();
    if args.json {
        let mut value = answer_json(question, &answer, &text);
        if args.explain {
            value["explain"] = explain_json(&answer);
        }
        writeln!(out, "{value}")?;
    } else {
        writeln!(out, "{text}")?;
        if args.explain {
            write_explain(out, &answer, engine)?;
        }
        writeln!(out)?;
    }
    out.flush()?;
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS && !answer.triage.is_red_flag() {
        return Ok(fail(
            BAD_INPUT,
            format!("the question is {chars} characters long; it was checked for red flags in full but answered from its first {MAX_QUESTION_CHARS}"),
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The stable JSON contract of `backcare ask --json`.
pub fn answer_json(question: &str, answer: &Answer, text: &str) -> serde_json::Value {
    json!({
        "question": question,
        "reply": answer.reply.kind(),
        "tier": answer.tier(),
        "red_flags": answer.red_flags(),
        "section": answer.section,
        "score": answer.score,
        "text": text,
    })
}

fn explain_json(answer: &Answer) -> serde_json::Value {
    let words: Vec<_> = answer
        .red_flags()
        .iter()
        .map(|h| json!({"id": h.id, "words": h.words}))
        .collect();
    json!({
        "red_flag_words": words,
        "terms": answer.terms,
        "unknown": answer.unknown,
        "coverage": answer.coverage,
        "candidates": answer.candidates,
    })
}

fn write_explain(out: &mut impl Write, answer: &Answer, engine: &Engine) -> io::Result<()> {
    writeln!(out, "\n--- why ---")?;
    if answer.red_flags().is_empty() {
        writeln!(out, "red flags: none")?;
    }
    for hit in answer.red_flags() {
        writeln!(
            out,
            "red flag {} ({}): phrase \"{}\" matched the words: {}",
            hit.id,
            hit.tier,
            hit.matched,
            hit.words.join(", ")
        )?;
    }
    if answer.triage.is_red_flag() {
        writeln!(out, "search: skipped, red flags always win")?;
        return Ok(());
    }
    let terms: Vec<String> = answer
        .terms
        .iter()
        .map(|t| {
            if t.typo {
                format!("{} (typo of \"{}\")", t.stem, t.word)
            } else {
                t.stem.clone()
            }
        })
        .collect();
    writeln!(
        out,
        "query terms: {}",
        if terms.is_empty() {
            "none known to the guides".into()
        } else {
            terms.join(", ")
        }
    )?;
    if !answer.unknown.is_empty() {
        writeln!(out, "words no guide uses: {}", answer.unknown.join(", "))?;
    }
    writeln!(
        out,
        "topic words known to the guides: {:.0}% (at least {:.0}% needed)",
        answer.coverage * 100.0,
        MIN_COVERAGE * 100.0
    )?;
    let min = engine.min_score();
    for (rank, candidate) in answer.candidates.iter().enumerate() {
        writeln!(
            out,
            "  {}. {:<24} {:>7.3}",
            rank + 1,
            candidate.id,
            candidate.score
        )?;
    }
    writeln!(
        out,
        "confidence threshold {min:.2}: {}",
        match answer.score {
            Some(_) => "answered with the first candidate",
            None => "not answered (score or topic coverage too low), so no match",
        }
    )
}

pub fn index(paths: &Paths) -> ExitCode {
    let knowledge = match Knowledge::load(&paths.knowledge) {
        Ok(knowledge) => knowledge,
        Err(err) => return fail(1, err),
    };
    if let Err(err) = Search::rebuild(&paths.index, &knowledge) {
        return fail(1, err);
    }
    println!(
        "Indexed {} sections from {} guide(s) into {}:",
        knowledge.sections().count(),
        knowledge.guides.len(),
        paths.index.display()
    );
    for guide in &knowledge.guides {
        println!("  {} ({})", guide.title, guide.file);
        for section in &guide.sections {
            println!(
                "    {:<24} {:<11} {}",
                section.id, section.kind, section.title
            );
        }
    }
    let phrases: usize = knowledge
        .red_flags
        .flags
        .iter()
        .map(|f| f.phrases.len())
        .sum();
    println!(
        "Red flags: {} ({} phrases), checked before every search.",
        knowledge.red_flags.flags.len(),
        phrases
    );
    ExitCode::SUCCESS
}

pub fn check(paths: &Paths) -> ExitCode {
    match Knowledge::load(&paths.knowledge) {
        Ok(knowledge) => {
            println!(
                "{}: OK: {} guide(s), {} sections, {} red flags",
                paths.knowledge.display(),
                knowledge.guides.len(),
                knowledge.sections().count(),
                knowledge.red_flags.flags.len()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            let problems = err.problems();
            for problem in &problems {
                println!("{problem}");
            }
            fail(
                1,
                format!(
                    "{} problem(s) in {}",
                    problems.len(),
                    paths.knowledge.display()
                ),
            )
        }
    }
}
