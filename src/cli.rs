//! The `backcare` command line: argument definitions and the local commands.
//!
//! A thin front end over the engine: it reads questions, prints replies and reports
//! problems as one clear line each. `serve` hands over to the Discord layer.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::json;

use crate::config::{Checked, Config};
pub use crate::config::{Given, Paths, ServeArgs};
use crate::engine::{Answer, Because, Engine, MAX_QUESTION_CHARS};
use crate::knowledge::{Knowledge, Problem};
use crate::reading::OutOfScope;
use crate::regression;
use crate::reply::Reply;
use crate::search::{Opened, Search};
use crate::store::Store;
use crate::teach;
use crate::triage::Confidence;

/// Answers back-care questions from moderated guides, and sends red-flag symptoms to care.
#[derive(Debug, Parser)]
#[command(name = "backcare", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub paths: Paths,
    /// Settings every command takes as flags besides the paths (the log format).
    #[command(flatten)]
    pub global: Given<true>,
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Reads the configuration once, at start-up: flags, then the environment (which holds
    /// `.env` by now). Validated by [`Config::check`], so every problem is reported together.
    pub fn config(&self) -> Checked {
        let serve = match &self.command {
            Command::Serve(args) | Command::Config(args) => Some(args),
            _ => None,
        };
        Config::check(&self.paths, |name| {
            self.global
                .get(name)
                .or_else(|| serve.and_then(|args| args.get(name)))
                .or_else(|| std::env::var(name).ok())
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer a question as the bot would. With no question: an interactive prompt on a
    /// terminal, or one question per line from piped standard input.
    Ask(AskArgs),
    /// Rebuild the search index and list what it holds.
    Index,
    /// Validate the knowledge folder and run its regression questions; prints
    /// `file:line: problem` for each problem and each question answered wrongly.
    Check,
    /// Preview an edit: which answers change between two versions of the knowledge folder,
    /// for the regression questions and the recently unanswered questions.
    Diff(DiffArgs),
    /// Show usage statistics: questions asked, answered and unanswered, escalations and
    /// feedback per section.
    Stats(StatsArgs),
    /// List the questions the bot could not answer (kept for BACKCARE_RETENTION_DAYS),
    /// grouped by the section each came closest to, newest first.
    Unanswered(UnansweredArgs),
    /// Teach a question to a section: add it to the section's example questions in its
    /// guide (one line), show which answers change, and take it out of the unanswered list.
    Teach(TeachArgs),
    /// Run the Discord bot (and, with --http-addr, its health and metrics endpoints).
    Serve(ServeArgs),
    /// Print the effective configuration of `serve`, token redacted, and any problems with
    /// it (exit code 2 if there are some).
    Config(ServeArgs),
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
    /// Ask as a follow-up on an answer from this section (its id, as `backcare index`
    /// lists them), as when a member replies to the bot's answer in Discord:
    /// `--after knee-to-chest "how long do I hold it?"`. At the interactive prompt each
    /// question follows up on the previous answer.
    #[arg(long, value_name = "SECTION_ID")]
    pub after: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Delete the text of every unanswered question now (the counts stay).
    #[arg(long)]
    pub forget_text: bool,
}

#[derive(Debug, Args)]
pub struct UnansweredArgs {
    /// Show at most this many questions.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct TeachArgs {
    /// The question, in the member's words.
    pub question: String,
    /// The section that answers it (its id, as `backcare index` lists them).
    pub section: String,
    /// Show which answers would change, without editing the guide.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The knowledge folder as it is now (for example a checkout of main).
    pub old: PathBuf,
    /// The edited knowledge folder.
    pub new: PathBuf,
}

/// Exit code for bad input (the same code clap uses for bad arguments).
const BAD_INPUT: u8 = 2;

/// Prints an error once (its chain, then the command-line hint that fits it) and returns the
/// failure exit code. The hints name flags and settings, so they live here, not in the
/// library's errors, which also reach Discord in `/reload` reports.
fn fail_error(code: u8, err: &(dyn std::error::Error + 'static)) -> ExitCode {
    let causes = std::iter::successors(err.source(), |cause| cause.source());
    let message = chain_text(std::iter::once(err.to_string()).chain(causes.map(|c| c.to_string())));
    match hint(err) {
        Some(hint) => fail(code, format!("{message} ({hint})")),
        None => fail(code, message),
    }
}

/// Which flag or setting would fix an error, if one would.
fn hint(err: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use crate::engine::EngineError;
    use crate::knowledge::KnowledgeError;
    use crate::search::IndexError;
    use crate::store::StoreError;
    let mut current = Some(err);
    while let Some(err) = current {
        let found = if let Some(EngineError::Knowledge(KnowledgeError::Folder { .. })) =
            err.downcast_ref::<EngineError>()
        {
            Some(KNOWLEDGE_HINT)
        } else if let Some(EngineError::Index(IndexError::Io { .. })) =
            err.downcast_ref::<EngineError>()
        {
            Some(INDEX_HINT)
        } else if let Some(KnowledgeError::Folder { .. }) = err.downcast_ref::<KnowledgeError>() {
            Some(KNOWLEDGE_HINT)
        } else if let Some(IndexError::Io { .. }) = err.downcast_ref::<IndexError>() {
            Some(INDEX_HINT)
        } else if let Some(StoreError::Io { .. }) = err.downcast_ref::<StoreError>() {
            Some("set BACKCARE_DATA_DIR to a writable folder")
        } else if let Some(store_error) = err.downcast_ref::<StoreError>() {
            store_error.is_corrupt().then_some(
                "move the damaged file aside and backcare starts a new one (its counts are lost)",
            )
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
        current = err.source();
    }
    None
}

const KNOWLEDGE_HINT: &str = "pass --knowledge DIR or set BACKCARE_KNOWLEDGE_DIR";
const INDEX_HINT: &str = "pass --index DIR or set BACKCARE_INDEX_DIR to a writable folder";

/// Prints a one-line error and returns the failure exit code.
/// An error and its causes on one line, each said once: a cause whose text its error
/// already printed (serenity's HTTP errors repeat reqwest's) is left out.
fn chain_text(links: impl Iterator<Item = String>) -> String {
    let mut message = String::new();
    let mut previous = String::new();
    for link in links {
        let link = link.trim_end_matches(['.', ' ']).to_owned();
        if link.is_empty() || previous.contains(&link) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&link);
        previous = link;
    }
    message
}

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
        Err(err) => Err(fail_error(1, &err)),
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
        // The process ends with this command: the OS takes the engine's memory back at
        // once, while dropping its tables piece by piece took about a twentieth of a start.
        let engine = match open_engine(paths) {
            Ok(engine) => std::mem::ManuallyDrop::new(engine),
            Err(code) => return code,
        };
        if let Err(code) = check_after(&engine, args) {
            return code;
        }
        let mut out = io::stdout().lock();
        return match print_answer(&mut out, &engine, &question, args.after.as_deref(), args) {
            Ok((code, _)) => code,
            // A closed pipe (`| head -3`) is the reader's choice, not an error.
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(err) => fail(1, format!("cannot write the reply: {err}")),
        };
    }
    let engine = match open_engine(paths) {
        Ok(engine) => std::mem::ManuallyDrop::new(engine),
        Err(code) => return code,
    };
    if let Err(code) = check_after(&engine, args) {
        return code;
    }
    let after = args.after.clone();
    let stdin = io::stdin();
    let interactive = stdin.is_terminal();
    if interactive {
        return prompt(&engine, args);
    }
    let mut out = io::stdout().lock();
    let mut input = stdin.lock();
    let mut code = ExitCode::SUCCESS;
    let mut line_no = 0usize;
    let mut buf = Vec::new();
    loop {
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
            continue;
        }
        match print_answer(&mut out, &engine, question, after.as_deref(), args) {
            Ok((c, _)) => {
                if c != ExitCode::SUCCESS {
                    code = c;
                }
            }
            // A closed pipe (`| head`) ends the batch quietly.
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => break,
            Err(err) => return fail(1, format!("cannot write the reply: {err}")),
        }
    }
    code
}

/// The interactive prompt: line editing and history (the arrow keys), and each question
/// follows up on the previous answer, as in a chat.
fn prompt(engine: &Engine, args: &AskArgs) -> ExitCode {
    let mut editor = match rustyline::DefaultEditor::new() {
        Ok(editor) => editor,
        Err(err) => return fail(1, format!("cannot start the prompt: {err}")),
    };
    eprintln!("Ask a back-care question (an empty line, Ctrl-C or Ctrl-D quits).");
    let mut after = args.after.clone();
    let mut out = io::stdout().lock();
    let mut code = ExitCode::SUCCESS;
    loop {
        let line = match editor.readline("> ") {
            Ok(line) => line,
            Err(
                rustyline::error::ReadlineError::Interrupted | rustyline::error::ReadlineError::Eof,
            ) => break,
            Err(err) => return fail(1, format!("cannot read the prompt: {err}")),
        };
        let question = line.trim();
        if question.is_empty() {
            break;
        }
        // History is a convenience; a failure to keep it changes nothing else.
        let _ = editor.add_history_entry(question);
        match print_answer(&mut out, engine, question, after.as_deref(), args) {
            Ok((c, section)) => {
                if c != ExitCode::SUCCESS {
                    code = c;
                }
                if section.is_some() {
                    after = section;
                }
            }
            Err(err) => return fail(1, format!("cannot write the reply: {err}")),
        }
    }
    code
}

/// `--after` must name a section that exists.
fn check_after(engine: &Engine, args: &AskArgs) -> Result<(), ExitCode> {
    let Some(id) = &args.after else {
        return Ok(());
    };
    if engine.knowledge().section(id).is_some() {
        return Ok(());
    }
    let ids: Vec<&str> = engine
        .knowledge()
        .sections()
        .map(|(_, s)| s.id.as_str())
        .collect();
    Err(fail(
        BAD_INPUT,
        format!("--after: no section `{id}`; use one of: {}", ids.join(", ")),
    ))
}

/// Prints one answer; returns the exit code and the section it answered from, which the
/// next question at the prompt follows up on.
fn print_answer(
    out: &mut impl Write,
    engine: &Engine,
    question: &str,
    after: Option<&str>,
    args: &AskArgs,
) -> io::Result<(ExitCode, Option<String>)> {
    let answer = match after {
        Some(section) => engine.ask_in_context(question, section),
        None => engine.ask(question),
    };
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
    let section = answer
        .section
        .as_ref()
        .filter(|s| s.id != crate::engine::OVERVIEW_ID)
        .map(|s| s.id.clone());
    let chars = question.chars().count();
    if chars > MAX_QUESTION_CHARS && !answer.triage.is_red_flag() {
        let code = fail(
            BAD_INPUT,
            format!("the question is {chars} characters long; it was checked for red flags in full but answered from its first {MAX_QUESTION_CHARS}"),
        );
        return Ok((code, section));
    }
    Ok((ExitCode::SUCCESS, section))
}

/// The stable JSON contract of `backcare ask --json`.
pub fn answer_json(question: &str, answer: &Answer, text: &str) -> serde_json::Value {
    json!({
        "question": question,
        "reply": answer.reply.kind(),
        // The language the message was read as, and the reply written in.
        "lang": answer.triage.lang,
        "tier": answer.tier(),
        "confidence": answer.triage.confidence(),
        "red_flags": answer.red_flags(),
        "section": answer.section,
        "score": answer.score,
        "text": text,
        // Where a member may go next (the Discord layer's buttons); empty but for answers
        // from a section.
        "next": match &answer.reply {
            Reply::Section(section) => section.next.as_slice(),
            _ => &[],
        },
    })
}

fn explain_json(answer: &Answer) -> serde_json::Value {
    json!({
        "watched_channel_reply": answer.triage.confidence() == Some(Confidence::Strong),
        "read_in": answer.triage.read_in,
        "figurative": answer.triage.quieted,
        "terms": answer.terms,
        "unknown": answer.unknown,
        "candidates": answer.candidates,
        "example": answer.example,
        "because": answer.because,
    })
}

fn write_explain(out: &mut impl Write, answer: &Answer, engine: &Engine) -> io::Result<()> {
    writeln!(out, "\n--- why ---")?;
    let read_in: Vec<&str> = answer
        .triage
        .read_in
        .iter()
        .map(|l| l.english_name())
        .collect();
    writeln!(
        out,
        "language: {} (red flags read in {})",
        answer.triage.lang.english_name(),
        read_in.join(" and ")
    )?;
    if answer.red_flags().is_empty() {
        writeln!(out, "red flags: none")?;
    }
    for hit in answer.red_flags() {
        writeln!(
            out,
            "red flag {} ({}, {} evidence): rule \"{}\" matched \"{}\"",
            hit.id,
            hit.tier,
            match hit.confidence {
                Confidence::Strong => "strong",
                Confidence::Weak => "weak",
            },
            hit.rule,
            hit.matched,
        )?;
        for evidence in &hit.evidence {
            writeln!(
                out,
                "  \"{}\" is in group {}",
                evidence.words, evidence.group
            )?;
        }
    }
    for quiet in &answer.triage.quieted {
        writeln!(
            out,
            "not counted: \"{}\" (group {}) is figurative next to \"{}\"",
            quiet.words, quiet.group, quiet.near
        )?;
    }
    for turn in &answer.triage.turns {
        writeln!(
            out,
            "a change of subject at \"{turn}\" (group topic_break): no rule reaches across it"
        )?;
    }
    if answer.triage.is_red_flag() {
        writeln!(
            out,
            "confidence: {}",
            match answer.triage.confidence() {
                Some(Confidence::Strong) =>
                    "strong: a question to the bot and a watched channel both get this reply",
                _ => "weak: a question to the bot gets this reply; a watched channel stays quiet",
            }
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
            let term = match (&t.everyday, t.typo) {
                (Some(member), _) => format!("{} (for \"{member}\", words.toml)", t.stem),
                (None, true) => format!("{} (typo of \"{}\")", t.stem, t.word),
                (None, false) => t.stem.clone(),
            };
            if t.story {
                format!("{term} (told before the ask, weighed less)")
            } else {
                term
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
    if !answer.set_aside.is_empty() {
        writeln!(
            out,
            "set aside (words.toml [scope] set_aside): {}",
            answer.set_aside.join(", ")
        )?;
    }
    for (rank, candidate) in answer.candidates.iter().enumerate() {
        writeln!(
            out,
            "  {}. {:<24} {:>7.3}",
            rank + 1,
            candidate.id,
            candidate.score
        )?;
    }
    let fields = engine.field_scores(answer);
    if !fields.is_empty() {
        let parts: Vec<String> = fields
            .iter()
            .map(|(name, score)| format!("{name} {score:.2}"))
            .collect();
        writeln!(out, "matched in: {}", parts.join(", "))?;
    }
    if let Some(example) = &answer.example {
        writeln!(
            out,
            "closest example question (line {}): \"{}\", {:.0}% of its words",
            example.line,
            example.text,
            example.share * 100.0
        )?;
    }
    let decision = engine.decision;
    let why = match &answer.because {
        Because::Search { topic } => format!(
            "about back care (\"{topic}\", words.toml [scope]); answered with the first candidate: score at least {:.2} or at least {:.0}% of an example question",
            decision.min_score,
            decision.min_example_share * 100.0
        ),
        Because::AboutTheBack { words } => format!(
            "no candidate reached score {:.2} or {:.0}% of an example question, but the question is about the back (\"{words}\"), so the overview",
            decision.min_score,
            decision.min_example_share * 100.0
        ),
        Because::Condition { name, words } => format!(
            "names a condition that needs a professional's go-ahead (\"{words}\" = {name}, words.toml), so the when-to-see-a-professional answer"
        ),
        Because::OutOfScope { why, words } => format!(
            "out of scope: \"{words}\" is {} in words.toml, and nothing names the back",
            match why {
                OutOfScope::OtherPart => "another part of the body ([scope] other_parts)",
                OutOfScope::OtherSense => "another sense of a guide word ([scope] other_senses)",
            }
        ),
        Because::Broad => "a broad question: each of its words is used by at least half the sections, so the overview".to_owned(),
        Because::OnlyAsks => "nothing but an ask in general (words.toml [broad] asks, context and greetings): the overview".to_owned(),
        Because::SmallTalk => {
            "only greetings or thanks ([small_talk] in words.toml): a friendly line".to_owned()
        }
        Because::NoConfidentMatch => format!(
            "no candidate reached score {:.2} or {:.0}% of an example question, and nothing names the back: no match",
            decision.min_score,
            decision.min_example_share * 100.0
        ),
        Because::RedFlag => "red flags always win".to_owned(),
        Because::Chosen => "chosen by name".to_owned(),
        Because::Translated { lang, example: true } => format!(
            "word for word one of the example questions of the {} guide",
            lang.english_name()
        ),
        Because::Translated { lang, example: false } => format!(
            "asked in {}: the section of the {} guide that shares most words (score at least {:.1}), or no match",
            lang.english_name(),
            lang.english_name(),
            crate::search::translated::MIN_SCORE
        ),
        Because::Example => {
            "word for word one of the section's example questions (in its Examples: list)"
                .to_owned()
        }
        Because::Ask { name, words } => format!(
            "asks {name} (\"{words}\", words.toml [[ask]]), and that section was a candidate with at least 40% of the best score"
        ),
        Because::AskAlone { name, words } => format!(
            "asks {name} (\"{words}\", words.toml [[ask]]) and names no technique, and no section matched more closely: that section rather than the overview"
        ),
        Because::Movement { words } => format!(
            "tells a technique by its movement (\"{words}\", words.toml [[scope.movement]]), and that section was a candidate with at least 40% of the best score"
        ),
        Because::FollowUp { after, asked, words } => format!(
            "a follow-up (\"{words}\" = {asked}, words.toml [[follow_up]]) on the answer from `{after}`"
        ),
    };
    writeln!(out, "decision: {why}")
}

pub fn index(paths: &Paths) -> ExitCode {
    let knowledge = match Knowledge::load(&paths.knowledge) {
        Ok(knowledge) => knowledge,
        Err(err) => return fail_error(1, &err),
    };
    if let Err(err) = Search::rebuild(&paths.index, &knowledge) {
        return fail_error(1, &err);
    }
    println!(
        "Indexed {} sections from {} guide(s) into {}:",
        knowledge.sections().count(),
        knowledge.guides.len(),
        paths.index.display()
    );
    // Columns as wide as their longest entry (a kind's `Display` ignores width, hence the
    // strings).
    let id_width = knowledge
        .sections()
        .map(|(_, s)| s.id.len())
        .max()
        .unwrap_or(0);
    let kind_width = knowledge
        .sections()
        .map(|(_, s)| s.kind.to_string().len())
        .max()
        .unwrap_or(0);
    for guide in &knowledge.guides {
        println!("  {} ({})", guide.title, guide.file);
        for section in &guide.sections {
            println!(
                "    {:<id_width$}  {:<kind_width$}  {}",
                section.id,
                section.kind.to_string(),
                section.title
            );
        }
    }
    let rules: usize = knowledge
        .red_flags
        .flags
        .iter()
        .map(|f| f.rules.len())
        .sum();
    println!(
        "Red flags: {} ({} rules over {} word groups), checked before every search.",
        knowledge.red_flags.flags.len(),
        rules,
        knowledge.red_flags.groups.len()
    );
    ExitCode::SUCCESS
}

pub fn check(paths: &Paths) -> ExitCode {
    let knowledge = match Knowledge::load(&paths.knowledge) {
        Ok(knowledge) => knowledge,
        Err(err) => return report_problems(&paths.knowledge, &err.problems()),
    };
    let summary = format!(
        "{} guide(s), {} sections, {} red flags",
        knowledge.guides.len(),
        knowledge.sections().count(),
        knowledge.red_flags.flags.len()
    );
    // Warnings do not stop the bot (a word listed twice, a group no rule uses), but a
    // moderator running `check` is the one who can mend them.
    for warning in &knowledge.warnings {
        println!("warning: {warning}");
    }
    let cases = match regression::load(&paths.knowledge) {
        Ok(cases) => cases,
        Err(problems) => return report_problems(&paths.knowledge, &problems),
    };
    let engine = match Engine::in_memory(knowledge) {
        Ok(engine) => engine,
        Err(err) => return fail_error(1, &err),
    };
    let mut problems = regression::unknown_sections(&engine, &cases);
    let failures = regression::run(&engine, &cases);
    problems.extend(failures.iter().map(regression::Failure::problem));
    if !problems.is_empty() {
        return report_problems(&paths.knowledge, &problems);
    }
    println!(
        "{}: OK: {summary}; {} regression question(s) answered as expected",
        paths.knowledge.display(),
        cases.len()
    );
    ExitCode::SUCCESS
}

fn report_problems(dir: &Path, problems: &[Problem]) -> ExitCode {
    for problem in problems {
        println!("{problem}");
    }
    fail(
        1,
        format!("{} problem(s) in {}", problems.len(), dir.display()),
    )
}

/// Loads a knowledge folder into an in-memory engine for comparison.
fn engine_for(dir: &Path) -> Result<(Engine, Vec<regression::Case>), ExitCode> {
    let knowledge = Knowledge::load(dir).map_err(|err| report_problems(dir, &err.problems()))?;
    let cases = regression::load(dir).map_err(|problems| report_problems(dir, &problems))?;
    let engine = Engine::in_memory(knowledge).map_err(|err| fail_error(1, &err))?;
    Ok((engine, cases))
}

pub fn stats(paths: &Paths, args: &StatsArgs) -> ExitCode {
    let store = match Store::open(&paths.data) {
        Ok(store) => store,
        Err(err) => return fail_error(1, &err),
    };
    if args.forget_text {
        return match store.forget_text() {
            Ok(n) => {
                println!("Deleted the text of {n} unanswered question(s); the counts stay.");
                ExitCode::SUCCESS
            }
            Err(err) => fail_error(1, &err),
        };
    }
    match store.stats() {
        Ok(stats) => {
            print!("{}", stats.report());
            ExitCode::SUCCESS
        }
        Err(err) => fail_error(1, &err),
    }
}

/// The unanswered questions kept in the store, or an empty list (with a warning) when the
/// store cannot be read: a preview is still worth showing without them.
fn inbox_or_warn(paths: &Paths) -> Vec<crate::store::Unanswered> {
    match Store::open(&paths.data).and_then(|store| store.unanswered()) {
        Ok(inbox) => inbox,
        Err(err) => {
            tracing::warn!(error = %err, "no unanswered questions to compare");
            Vec::new()
        }
    }
}

pub fn unanswered(paths: &Paths, args: &UnansweredArgs) -> ExitCode {
    let inbox = match Store::open(&paths.data).and_then(|store| store.unanswered()) {
        Ok(inbox) => inbox,
        Err(err) => return fail_error(1, &err),
    };
    let engine = match open_engine(paths) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let groups = teach::group(&engine, &inbox);
    print!("{}", teach::render_inbox(&groups, None, args.limit));
    ExitCode::SUCCESS
}

pub fn teach(paths: &Paths, args: &TeachArgs) -> ExitCode {
    let (engine, _) = match engine_for(&paths.knowledge) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let inbox = inbox_or_warn(paths);
    let preview = match teach::preview(
        &engine,
        &paths.knowledge,
        &args.question,
        &args.section,
        &inbox,
    ) {
        Ok(preview) => preview,
        Err(err) => return fail_error(1, &err),
    };
    let lesson = &preview.lesson;
    let file = lesson.path.display();
    if args.dry_run {
        println!("Would add to {file}, line {}:", lesson.line);
    } else {
        if let Err(err) = teach::apply(lesson) {
            return fail_error(1, &err);
        }
        println!("Added to {file}, line {}:", lesson.line);
    }
    println!("  {}", lesson.added_line());
    print_changes(&preview.questions, &preview.changed);
    if !preview.takes() {
        println!(
            "Note: the question itself still gets {}; more example questions worded like it may be needed.",
            preview.then
        );
    }
    if !args.dry_run {
        match Store::open(&paths.data).and_then(|store| store.remove_unanswered(&lesson.question)) {
            Ok(0) => {}
            Ok(n) => println!("Taken out of the unanswered list ({n} time(s) asked)."),
            Err(err) => tracing::warn!(error = %err, "cannot update the unanswered list"),
        }
    }
    ExitCode::SUCCESS
}

/// The summary and lines of a preview, as `backcare diff` and `backcare teach` print it.
fn print_changes(questions: &[(String, &'static str)], changed: &[teach::Changed]) {
    println!("{}", teach::summary(questions, changed));
    for line in changed {
        println!("  {line}");
    }
}

pub fn diff(paths: &Paths, args: &DiffArgs) -> ExitCode {
    // Recently unanswered questions are what moderators most want an edit to fix.
    let unanswered = inbox_or_warn(paths);
    let (old, old_cases) = match engine_for(&args.old) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let (new, new_cases) = match engine_for(&args.new) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let questions = teach::questions(
        new_cases.iter().chain(&old_cases),
        unanswered
            .into_iter()
            .take(50)
            .map(|q| (q.text, "unanswered")),
    );
    let changed = teach::compare(&old, &new, &questions);
    let changes = crate::live::Changes::between(old.knowledge(), new.knowledge());
    println!("Knowledge: {changes}");
    print_changes(&questions, &changed);
    ExitCode::SUCCESS
}

/// Prints every configuration problem, one line each, and returns the bad-input exit code.
fn report_config(problems: &[String]) -> ExitCode {
    for line in problems {
        eprintln!("backcare: {line}");
    }
    ExitCode::from(BAD_INPUT)
}

/// `backcare config`: the effective settings (token redacted), then any problems.
pub fn config(checked: &Checked) -> ExitCode {
    let settings = checked.config.settings();
    let width = settings
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(0);
    let mut out = io::stdout().lock();
    for (name, value) in settings {
        if writeln!(out, "{name:<width$}  {value}").is_err() {
            break;
        }
    }
    if checked.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        report_config(&checked.problems)
    }
}

/// `backcare serve`: refuses a bad configuration (every problem, exit code 2), then runs the
/// bot until Ctrl-C or SIGTERM and exits 0 once the questions in flight are answered.
pub fn serve(checked: Checked) -> ExitCode {
    let config = match checked.into_result() {
        Ok(config) => config,
        Err(err) => return report_config(err.lines()),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => return fail(1, format!("cannot start the async runtime: {err}")),
    };
    let shutdown = crate::discord::shutdown_signal();
    let result = runtime.block_on(crate::serve::run(config, None, shutdown));
    // Whatever is still running must not hold the exit up.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.downcast_ref::<crate::discord::Refused>().is_some() => {
            fail(BAD_INPUT, chain_text(err.chain().map(|e| e.to_string())))
        }
        Err(err) => {
            let message = chain_text(err.chain().map(|e| e.to_string()));
            match err.chain().find_map(hint) {
                Some(hint) => fail(1, format!("{message} ({hint})")),
                None => fail(1, message),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_said_once() {
        let links = [
            "the Discord connection stopped",
            "Error while sending HTTP request.",
            "Error while sending HTTP request.",
            "error sending request for url (http://127.0.0.1:9/api/v10/gateway/bot)",
            "tcp connect error: Connection refused (os error 111)",
        ];
        assert_eq!(
            chain_text(links.iter().map(|l| l.to_string())),
            "the Discord connection stopped: Error while sending HTTP request: error sending request for url (http://127.0.0.1:9/api/v10/gateway/bot): tcp connect error: Connection refused (os error 111)"
        );
        // A cause its error already quotes is not repeated.
        let quoted = ["cannot read knowledge/x.md: No such file", "No such file"];
        assert_eq!(
            chain_text(quoted.iter().map(|l| l.to_string())),
            "cannot read knowledge/x.md: No such file"
        );
    }

    #[test]
    fn serve_flags_and_global_flags_reach_the_config() {
        let cli = Cli::try_parse_from([
            "backcare",
            "--log-format",
            "json",
            "config",
            "--http-addr",
            "127.0.0.1:9",
        ])
        .expect("parse");
        let config = cli.config().config;
        assert_eq!(config.http_addr, Some("127.0.0.1:9".parse().unwrap()));
        assert_eq!(config.log_format, crate::config::LogFormat::Json);
        // Serve's flags belong to serve and config only.
        assert!(Cli::try_parse_from(["backcare", "check", "--http-addr", "127.0.0.1:9"]).is_err());
    }
}
