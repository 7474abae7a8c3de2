//! The `backcare` command line, tested by running the binary as a user would.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn knowledge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// Runs `backcare` with the repository's knowledge and the given index folder.
fn backcare(index: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backcare"))
        .arg("--knowledge")
        .arg(knowledge_dir())
        .arg("--index")
        .arg(index)
        .args(args)
        .env_remove("BACKCARE_KNOWLEDGE_DIR")
        .env_remove("BACKCARE_INDEX_DIR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        pipe.write_all(bytes).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn ask_prints_the_technique_and_builds_the_index_on_first_use() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(
        index.path(),
        &["ask", "how", "do", "I", "do", "the", "knee to chest twist?"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Knee-to-chest"), "{text}");
    assert!(text.contains("Hold: 5-10 seconds"), "{text}");
    assert!(text.contains("Safety:"), "{text}");
    assert!(index.path().join("CURRENT").exists());
}

#[test]
fn json_follows_the_contract_for_answers_and_seek_care() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(
        index.path(),
        &["ask", "--json"],
        Some(b"how do I do the bridge\nI can't feel my legs and I wet myself\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);

    let answer = &lines[0];
    assert_eq!(answer["question"], "how do I do the bridge");
    assert_eq!(answer["reply"], "answer");
    assert_eq!(answer["tier"], Value::Null);
    assert_eq!(answer["red_flags"], serde_json::json!([]));
    assert_eq!(answer["section"]["id"], "bridge-release");
    assert_eq!(answer["section"]["kind"], "technique");
    assert!(answer["section"]["guide"]
        .as_str()
        .unwrap()
        .contains("Lower Back"));
    assert!(answer["score"].as_f64().unwrap() > 0.0);
    assert!(answer["text"].as_str().unwrap().contains("bridge"));

    let care = &lines[1];
    assert_eq!(care["reply"], "seek_care");
    assert_eq!(care["tier"], "emergency");
    assert_eq!(care["section"], Value::Null);
    assert_eq!(care["score"], Value::Null);
    let flags = care["red_flags"].as_array().unwrap();
    assert!(flags
        .iter()
        .any(|f| f["tier"] == "emergency" && f["id"].is_string() && f["matched"].is_string()));
    let text = care["text"].as_str().unwrap();
    assert!(text.contains("You mentioned"), "{text}");
    assert!(
        text.ends_with(backcare::reply::NOT_MEDICAL_ADVICE),
        "{text}"
    );
}

#[test]
fn quotes_and_colons_in_a_question_are_never_query_errors() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(
        index.path(),
        &["ask", "--json", "title:\"bridge AND (pop OR \""],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let line = &json_lines(&out)[0];
    assert_ne!(line["reply"], "seek_care");
}

#[test]
fn off_topic_questions_get_no_match_listing_the_topics() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(
        index.path(),
        &["ask", "--json", "what is the capital of France"],
        None,
    );
    let line = &json_lines(&out)[0];
    assert_eq!(line["reply"], "no_match");
    assert!(line["text"].as_str().unwrap().contains("Seated side bend"));
}

#[test]
fn explain_shows_rules_groups_terms_and_candidates() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(
        index.path(),
        &["ask", "--explain", "how long to hold the brigde"],
        None,
    );
    let text = stdout(&out);
    assert!(text.contains("query terms:"), "{text}");
    assert!(text.contains("typo of \"brigde\""), "{text}");
    assert!(text.contains("bridge-release"), "{text}");

    let out = backcare(index.path(), &["ask", "--explain", "my foot is NUMB"], None);
    let text = stdout(&out);
    assert!(
        text.contains("rule \"numb + leg within 4\" matched \"foot is numb\""),
        "{text}"
    );
    assert!(text.contains("\"foot\" is in group leg"), "{text}");
    assert!(text.contains("strong"), "{text}");

    let out = backcare(
        index.path(),
        &["ask", "--explain", "what a mind numbing day"],
        None,
    );
    let text = stdout(&out);
    assert!(text.contains("red flags: none"), "{text}");
    assert!(
        text.contains("not counted: \"numbing\" (group numb) is figurative next to \"mind\""),
        "{text}"
    );
}

#[test]
fn after_answers_a_follow_up_from_the_section_it_names() {
    let index = tempfile::tempdir().unwrap();
    let hold = |after: &str| {
        let out = backcare(
            index.path(),
            &["ask", "--json", "--after", after, "how long do I hold it"],
            None,
        );
        assert!(out.status.success(), "{}", stderr(&out));
        json_lines(&out).remove(0)
    };
    let twist = hold("knee-to-chest");
    assert_eq!(twist["section"]["id"], "knee-to-chest", "{twist:#}");
    // The next steps the bot offers as buttons are in the contract too.
    let next: Vec<&str> = twist["next"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["section"].as_str())
        .collect();
    assert_eq!(
        next,
        ["warm-up", "seated-side-bend", "precautions"],
        "{twist:#}"
    );
    let text = twist["text"].as_str().unwrap();
    assert!(text.contains("5-10 seconds"), "{text}");
    assert!(
        !text.contains("Lie flat"),
        "only the lines that answer it: {text}"
    );
    let bridge = hold("bridge-release");
    let text = bridge["text"].as_str().unwrap();
    assert!(text.contains("a few breaths"), "{text}");

    // The seated side bend gives no hold time: the guide says so rather than inventing one.
    let seated = hold("seated-side-bend");
    let text = seated["text"].as_str().unwrap();
    assert!(text.contains("doesn't say how long"), "{text}");

    let out = backcare(
        index.path(),
        &["ask", "--json"],
        Some(b"how do I do the floor bridge\nhow long do I hold it\n"),
    );
    let lines = json_lines(&out);
    // Piped lines (a batch, not a chat) are each asked on their own.
    assert_eq!(
        lines[0]["section"]["id"], "bridge-release",
        "{:#}",
        lines[0]
    );
    assert_ne!(
        lines[1]["section"]["id"], "bridge-release",
        "{:#}",
        lines[1]
    );

    let out = backcare(index.path(), &["ask", "--after", "nope", "how long"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("knee-to-chest"), "{}", stderr(&out));
}

#[test]
fn an_empty_question_is_a_one_line_error() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(index.path(), &["ask", "   "], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    assert!(stderr(&out).contains("empty"));
}

#[test]
fn a_missing_knowledge_folder_is_a_one_line_error() {
    let index = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backcare"))
        .args(["--knowledge", "/nonexistent/knowledge", "--index"])
        .arg(index.path())
        .args(["ask", "hello"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("/nonexistent/knowledge") && err.contains("--knowledge"),
        "{err}"
    );
}

#[test]
fn a_corrupt_index_is_rebuilt() {
    let index = tempfile::tempdir().unwrap();
    assert!(backcare(index.path(), &["index"], None).status.success());
    let current = fs::read_to_string(index.path().join("CURRENT")).unwrap();
    let generation = index.path().join(current.trim());
    for entry in fs::read_dir(&generation).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "idx" || e == "store") {
            fs::write(&path, b"garbage").unwrap();
        }
    }
    let out = backcare(
        index.path(),
        &["ask", "--json", "how do I do the bridge"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["section"]["id"], "bridge-release");
}

#[test]
fn invalid_utf8_lines_are_reported_and_the_rest_answered() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(
        index.path(),
        &["ask", "--json"],
        Some(b"\xff\xfe bad\nhow do I warm up\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("line 1 of standard input is not valid UTF-8"));
    assert_eq!(json_lines(&out)[0]["section"]["id"], "warm-up");
}

#[test]
fn a_huge_question_is_triaged_in_full_and_answered_from_its_start() {
    let index = tempfile::tempdir().unwrap();
    let filler = "my back is stiff after sitting all day at my desk. ".repeat(2000);
    let buried = format!("{filler} also I lost control of my bladder this morning");
    let out = backcare(index.path(), &["ask", "--json", &buried], None);
    assert_eq!(json_lines(&out)[0]["tier"], "emergency");

    let out = backcare(index.path(), &["ask", "--json", &filler], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
    let reply = json_lines(&out)[0]["reply"].clone();
    assert!(reply == "answer" || reply == "overview", "{reply}");
}

#[test]
fn index_lists_what_it_indexed() {
    let index = tempfile::tempdir().unwrap();
    let out = backcare(index.path(), &["index"], None);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("knee-to-chest") && text.contains("technique"),
        "{text}"
    );
}

#[test]
fn check_reports_file_line_and_fix_for_each_problem() {
    let dir = tempfile::tempdir().unwrap();
    let guide = fs::read_to_string(knowledge_dir().join("lower-back.md")).unwrap();
    fs::write(
        dir.path().join("lower-back.md"),
        guide.replacen(".technique}", ".stretchy}", 1),
    )
    .unwrap();
    fs::write(
        dir.path().join("red-flags.toml"),
        "[[flags]]\nid = \"x\"\ntier = \"urgent\"\nnoticed = \"x\"\nrules = []\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backcare"))
        .arg("--knowledge")
        .arg(dir.path())
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("lower-back.md:") && text.contains("unknown kind `.stretchy`"),
        "{text}"
    );
    assert!(
        text.contains("red-flags.toml:1: red flag `x` has no rules"),
        "{text}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_backcare"))
        .arg("--knowledge")
        .arg(knowledge_dir())
        .arg("check")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stdout(&out));
}

/// A copy of the shipped knowledge folder with `red-flags.toml` edited by `edit`.
fn edited_knowledge(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(knowledge_dir()).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let flags = dir.path().join("red-flags.toml");
    let text = fs::read_to_string(&flags).unwrap();
    fs::write(&flags, edit(text)).unwrap();
    dir
}

fn check(knowledge: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backcare"))
        .arg("--knowledge")
        .arg(knowledge)
        .arg("check")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_with(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn check_shows_warnings_such_as_a_word_listed_twice() {
    let dir = edited_knowledge(|text| {
        text.replacen("weak = [\"weak\",", "weak = [\"weak\", \"weakness\",", 1)
    });
    let out = check(dir.path());
    assert!(out.status.success(), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("warning: red-flags.toml:")
            && text.contains("\"weakness\" is the same word as \"weak\""),
        "{text}"
    );
    let out = check(&knowledge_dir());
    assert!(!stdout(&out).contains("warning:"), "{}", stdout(&out));
}

#[test]
fn bad_red_flag_edits_are_named_by_line_with_a_fix() {
    let extra = "\n[[flags]]\nid = \"edited\"\ntier = \"urgent\"\nnoticed = \"x\"\nrules = [\n  \"numbb + leg within 3\",\n  \" + \",\n  \"numb + leg within 0\",\n  \"numb + leg within 100\",\n]\n\n[[figurative]]\nquiets = \"legs_plural\"\nnear = [\"banana\"]\n";
    let dir = edited_knowledge(|text| text + extra);
    let out = check(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let file = fs::read_to_string(dir.path().join("red-flags.toml")).unwrap();
    let at = |needle: &str| format!("red-flags.toml:{}: ", line_with(&file, needle));
    for (needle, says) in [
        (
            "\"numbb + leg",
            "unknown group `numbb`: did you mean `numb`?",
        ),
        ("\" + \"", "a rule needs at least one group"),
        ("within 0\"", "outside 1 to 12"),
        ("within 100\"", "outside 1 to 12"),
        ("quiets = \"legs_plural\"", "would quiet `legs_plural`"),
    ] {
        let expected = at(needle);
        assert!(
            text.lines()
                .any(|l| l.starts_with(&expected) && l.contains(says)),
            "wanted {expected}...{says} in:\n{text}"
        );
    }
}

#[test]
fn a_toml_mistake_gets_the_line_and_a_hint() {
    let dir = edited_knowledge(|text| text.replacen("numb = [\"numb\", ", "numb = [“numb”, ", 1));
    let text = stdout(&check(dir.path()));
    assert!(
        text.contains("red-flags.toml:") && text.contains("curly quotes"),
        "{text}"
    );

    let dir = edited_knowledge(|text| text.replacen("numb = [\"numb\", ", "numb = [\"numb\" ", 1));
    let text = stdout(&check(dir.path()));
    assert!(text.contains("comma"), "{text}");
}

#[test]
fn a_bare_everyday_word_added_to_a_flag_fails_check_and_diff_names_the_false_alarms() {
    let dir = edited_knowledge(|text| {
        text.replacen(
            "cancer = [\"cancer\", ",
            "cancer = [\"pain\", \"cancer\", ",
            1,
        )
    });
    let out = check(dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("ordinary-messages.txt:")
            && text.contains("\"does the bridge help with pain\" is an ordinary message but gets a seek-care reply (cancer-history via rule \"cancer\" on \"pain\")"),
        "{text}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_backcare"))
        .arg("diff")
        .arg(knowledge_dir())
        .arg(dir.path())
        .arg("--data")
        .arg(dir.path().join("no-data"))
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("[ordinary] \"does the bridge help with pain\": "),
        "{text}"
    );
    assert!(text.contains("a new false alarm"), "{text}");
    assert!(
        text.contains("ordinary message(s) would start getting a seek-care reply"),
        "{text}"
    );
}

/// `backcare` on a knowledge folder, an index and a data folder of the test's own.
fn backcare_in(knowledge: &Path, data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backcare"))
        .arg("--knowledge")
        .arg(knowledge)
        .arg("--index")
        .arg(data.join("index"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

/// Records `questions` in the store of `data` as a running bot would, after answering them
/// with the repository's knowledge.
fn asked_in_discord(data: &Path, questions: &[&str]) {
    let knowledge = backcare::knowledge::Knowledge::load(&knowledge_dir()).unwrap();
    let engine = backcare::engine::Engine::in_memory(knowledge).unwrap();
    let store = backcare::store::Store::open(data).unwrap();
    for question in questions {
        store.record(question, &engine.ask(question), "mention");
    }
    store.flush().unwrap();
}

const UNTAUGHT: &str = "after a long haul in the lorry what do i do";

#[test]
fn teach_adds_one_line_the_question_then_gets_the_section_and_leaves_the_inbox() {
    let knowledge = edited_knowledge(|flags| flags);
    let data = tempfile::tempdir().unwrap();
    let guide = knowledge.path().join("lower-back.md");
    let before = fs::read_to_string(&guide).unwrap();
    let asked = backcare_in(knowledge.path(), data.path(), &["ask", "--json", UNTAUGHT]);
    assert_eq!(
        json_lines(&asked)[0]["reply"],
        "no_match",
        "pick another question: this one needs no teaching"
    );
    asked_in_discord(
        data.path(),
        &[UNTAUGHT, UNTAUGHT, "what is the capital of peru"],
    );
    let inbox = backcare_in(knowledge.path(), data.path(), &["unanswered"]);
    assert!(inbox.status.success(), "{}", stderr(&inbox));

    let dry = backcare_in(
        knowledge.path(),
        data.path(),
        &["teach", "--dry-run", UNTAUGHT, "seated-side-bend"],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).starts_with("Would add to"), "{}", stdout(&dry));
    assert_eq!(fs::read_to_string(&guide).unwrap(), before);

    let taught = backcare_in(
        knowledge.path(),
        data.path(),
        &["teach", UNTAUGHT, "seated-side-bend"],
    );
    assert!(taught.status.success(), "{}", stderr(&taught));
    let text = stdout(&taught);
    assert!(text.contains("-> section `seated-side-bend`"), "{text}");
    let after = fs::read_to_string(&guide).unwrap();
    // Exactly one added line, inside the section's examples; every other line as it was.
    let (old, new): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
    assert_eq!(new.len(), old.len() + 1);
    let added = new.iter().position(|l| l.contains(UNTAUGHT)).unwrap();
    assert_eq!(new[added], format!("- {UNTAUGHT}"));
    assert_eq!([&new[..added], &new[added + 1..]].concat(), old);
    let heading = new
        .iter()
        .position(|l| l.contains("{#seated-side-bend"))
        .unwrap();
    let next_heading = heading
        + 1
        + new[heading + 1..]
            .iter()
            .position(|l| l.starts_with("## "))
            .unwrap();
    assert!((heading..next_heading).contains(&added));

    let again = backcare_in(knowledge.path(), data.path(), &["ask", "--json", UNTAUGHT]);
    assert_eq!(json_lines(&again)[0]["section"]["id"], "seated-side-bend");
    assert!(
        text.contains("Taken out of the unanswered list (2 time(s) asked)"),
        "{text}"
    );
    let store = backcare::store::Store::open(data.path()).unwrap();
    let left: Vec<String> = store
        .unanswered()
        .unwrap()
        .into_iter()
        .map(|q| q.text)
        .collect();
    assert!(!left.iter().any(|q| q == UNTAUGHT), "{left:?}");
    // Taught twice: refused, the file unchanged.
    let twice = backcare_in(
        knowledge.path(),
        data.path(),
        &["teach", UNTAUGHT, "seated-side-bend"],
    );
    assert_eq!(twice.status.code(), Some(1));
    assert!(
        stderr(&twice).contains("already has this example question"),
        "{}",
        stderr(&twice)
    );
    assert_eq!(fs::read_to_string(&guide).unwrap(), after);
}

#[test]
fn teach_refuses_a_red_flag_and_an_unknown_section_and_edits_nothing() {
    let knowledge = edited_knowledge(|flags| flags);
    let data = tempfile::tempdir().unwrap();
    let guide = knowledge.path().join("lower-back.md");
    let before = fs::read_to_string(&guide).unwrap();
    let flagged = backcare_in(
        knowledge.path(),
        data.path(),
        &[
            "teach",
            "best stretch when both my legs have gone numb?",
            "knee-to-chest",
        ],
    );
    assert_eq!(flagged.status.code(), Some(1));
    let err = stderr(&flagged);
    assert!(err.contains("red flag (both-legs-numb"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let unknown = backcare_in(
        knowledge.path(),
        data.path(),
        &["teach", "how do i", "kneee-to-chest"],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("sections: why-it-needs-a-crack, warm-up"),
        "{}",
        stderr(&unknown)
    );
    assert_eq!(fs::read_to_string(&guide).unwrap(), before);
}

#[test]
fn unanswered_groups_questions_by_the_closest_section_newest_first() {
    let data = tempfile::tempdir().unwrap();
    let out = backcare_in(&knowledge_dir(), data.path(), &["unanswered"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("No unanswered questions kept"),
        "{}",
        stdout(&out)
    );
    asked_in_discord(
        data.path(),
        &[
            "what is the capital of peru",
            "What is the capital of Peru",
            "who won the football",
        ],
    );
    let out = backcare_in(&knowledge_dir(), data.path(), &["unanswered"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("2 unanswered question(s), asked 3 time(s)"),
        "{text}"
    );
    assert!(text.contains("2x"), "{text}");
    let stats = backcare_in(&knowledge_dir(), data.path(), &["stats"]);
    assert!(
        stdout(&stats).contains("3 asked, 0 answered, 3 unanswered"),
        "{}",
        stdout(&stats)
    );
    let forget = backcare_in(&knowledge_dir(), data.path(), &["stats", "--forget-text"]);
    assert!(
        stdout(&forget).contains("Deleted the text of 3"),
        "{}",
        stdout(&forget)
    );
    let out = backcare_in(&knowledge_dir(), data.path(), &["unanswered"]);
    assert!(
        stdout(&out).starts_with("No unanswered questions kept"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_damaged_store_is_one_line_naming_the_file_and_the_fix() {
    let data = tempfile::tempdir().unwrap();
    fs::write(data.path().join("backcare.db"), vec![7u8; 8192]).unwrap();
    let out = backcare_in(&knowledge_dir(), data.path(), &["stats"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("backcare.db"), "{err}");
    assert!(err.contains("move the damaged file aside"), "{err}");
}
