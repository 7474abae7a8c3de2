//! Measures the engine on the held-out sets in `tests/fixtures/`: red-flag recall, benign
//! false escalations, right-section-first rate and off-topic no-match rate.
//!
//! The sets were written apart from the red-flag phrase lists and the guide text, so they
//! measure how members' own wording fares. Each test prints its figure and every miss.

use std::path::Path;

use backcare::knowledge::{Knowledge, Tier};
use backcare::reply::Reply;
use backcare::Engine;
use serde::Deserialize;

#[derive(Deserialize)]
struct TriageSet {
    red_flag: Vec<RedFlagCase>,
    benign: Vec<Text>,
}

#[derive(Deserialize)]
struct RedFlagCase {
    tier: Tier,
    text: String,
}

#[derive(Deserialize)]
struct Text {
    text: String,
}

#[derive(Deserialize)]
struct SearchSet {
    question: Vec<Question>,
    off_topic: Vec<Text>,
}

#[derive(Deserialize)]
struct Question {
    expect: String,
    text: String,
}

/// Every fixture set whose file name starts with `prefix` (`triage.toml`, `triage-2.toml`,
/// ...). Red-flag targets hold for each set on its own; search targets for all together.
fn fixture_sets<T: for<'de> Deserialize<'de>>(prefix: &str) -> Vec<(String, T)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            let set = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, set)
        })
        .collect()
}

const TRIAGE: &str = "triage";
const SEARCH: &str = "search";

fn engine() -> Engine {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    Engine::in_memory(Knowledge::load(&dir).unwrap()).unwrap()
}

fn short(text: &str) -> String {
    backcare::text::truncate_chars(&text.replace('\n', " "), 90)
}

#[test]
fn every_held_out_red_flag_message_escalates_to_at_least_its_tier() {
    let engine = engine();
    for (name, set) in fixture_sets::<TriageSet>(TRIAGE) {
        assert!(set.red_flag.len() >= 40);
        let mut misses = Vec::new();
        for case in &set.red_flag {
            let answer = engine.ask(&case.text);
            let ok = matches!(answer.reply, Reply::SeekCare(_))
                && answer.tier().is_some_and(|t| t >= case.tier);
            if !ok {
                misses.push(format!(
                    "{:?} wanted {}: {}",
                    answer.tier(),
                    case.tier,
                    short(&case.text)
                ));
            }
        }
        let caught = set.red_flag.len() - misses.len();
        eprintln!(
            "{name}: red-flag recall: {caught}/{} = {:.1}%",
            set.red_flag.len(),
            100.0 * caught as f64 / set.red_flag.len() as f64
        );
        assert!(
            misses.is_empty(),
            "missed red flags:\n{}",
            misses.join("\n")
        );
    }
}

#[test]
fn at_most_one_benign_question_in_twenty_escalates() {
    let engine = engine();
    for (name, set) in fixture_sets::<TriageSet>(TRIAGE) {
        assert!(set.benign.len() >= 25);
        let escalated: Vec<String> = set
            .benign
            .iter()
            .filter_map(|case| {
                let triaged = engine.triage(&case.text);
                triaged.hits.first().map(|hit| {
                    format!(
                        "{} via \"{}\" ({}): {}",
                        hit.id,
                        hit.matched,
                        hit.words.join(" "),
                        short(&case.text)
                    )
                })
            })
            .collect();
        eprintln!(
            "{name}: benign false escalations: {}/{} = {:.1}%\n{}",
            escalated.len(),
            set.benign.len(),
            100.0 * escalated.len() as f64 / set.benign.len() as f64,
            escalated.join("\n")
        );
        assert!(
            escalated.len() * 20 <= set.benign.len(),
            "too many false alarms"
        );
        for must_not in [
            "my lower back has a dull ache",
            "tight after deadlifts",
            "does cracking help mobility",
        ] {
            assert!(!engine.triage(must_not).is_red_flag(), "{must_not}");
        }
    }
}

#[test]
fn the_right_section_comes_first_for_nine_questions_in_ten() {
    let engine = engine();
    let (mut total, mut total_right) = (0, 0);
    for (name, set) in fixture_sets::<SearchSet>(SEARCH) {
        let mut wrong = Vec::new();
        for q in &set.question {
            let answer = engine.ask(&q.text);
            let got = answer.section.as_ref().map(|s| s.id.as_str());
            if got != Some(q.expect.as_str()) {
                let top: Vec<String> = answer
                    .candidates
                    .iter()
                    .take(3)
                    .map(|c| format!("{}={:.2}", c.id, c.score))
                    .collect();
                wrong.push(format!(
                    "wanted {}, got {} [{}] {}: {}",
                    q.expect,
                    got.unwrap_or(answer.reply.kind()),
                    top.join(" "),
                    answer
                        .triage
                        .hits
                        .first()
                        .map(|h| h.id.as_str())
                        .unwrap_or(""),
                    short(&q.text)
                ));
            }
        }
        let right = set.question.len() - wrong.len();
        eprintln!(
            "{name}: right section first: {right}/{} = {:.1}%\n{}",
            set.question.len(),
            100.0 * right as f64 / set.question.len() as f64,
            wrong.join("\n")
        );
        total += set.question.len();
        total_right += right;
    }
    eprintln!("all sets: right section first: {total_right}/{total}");
    assert!(total >= 40);
    assert!(total_right * 10 >= total * 9, "below 90%");
}

#[test]
fn nine_off_topic_questions_in_ten_get_no_match() {
    let engine = engine();
    let (mut total, mut total_no_match) = (0, 0);
    for (name, set) in fixture_sets::<SearchSet>(SEARCH) {
        let answered: Vec<String> = set
            .off_topic
            .iter()
            .filter_map(|q| {
                let answer = engine.ask(&q.text);
                (!matches!(answer.reply, Reply::NoMatch(_))).then(|| {
                    format!(
                        "{} {:?}: {}",
                        answer.reply.kind(),
                        answer.score,
                        short(&q.text)
                    )
                })
            })
            .collect();
        let no_match = set.off_topic.len() - answered.len();
        eprintln!(
            "{name}: off-topic no match: {no_match}/{} = {:.1}%\n{}",
            set.off_topic.len(),
            100.0 * no_match as f64 / set.off_topic.len() as f64,
            answered.join("\n")
        );
        total += set.off_topic.len();
        total_no_match += no_match;
    }
    eprintln!("all sets: off-topic no match: {total_no_match}/{total}");
    assert!(total >= 10);
    assert!(total_no_match * 10 >= total * 9, "below 90%");
}
