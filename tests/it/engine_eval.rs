//! Measures the engine on held-out sets: red-flag recall, benign false escalations,
//! right-section-first rate and off-topic no-match rate.
//!
//! `tests/fixtures/triage*.toml` and `search*.toml` were written apart from the phrase lists
//! and the guide text; misses they revealed were fixed, so they now guard against
//! regressions. `tests/fixtures/holdout-*/` are later sets written apart: the ignored test at
//! the end measures them (`cargo test --test it engine_eval:: -- --ignored --nocapture`). Each
//! one's first measurement is recorded in the commit that added it; red flags they missed
//! are then fixed (a miss is never left standing), their search questions are left untuned.

use std::path::{Path, PathBuf};

use backcare::knowledge::{Knowledge, Tier};
use backcare::language::Lang;
use backcare::reply::Reply;
use backcare::Engine;
use serde::Deserialize;

/// A triage set. Its `[[mention]]` entries are not read: messages that name a warning sign
/// while denying it, as past or of someone else. The bot may escalate them (a mention gets
/// the seek-care reply by design), so they count neither way; they stay in the files so a
/// set stays whole.
#[derive(Deserialize)]
struct TriageSet {
    red_flag: Vec<RedFlagCase>,
    benign: Vec<Text>,
}

#[derive(Deserialize)]
struct RedFlagCase {
    tier: Tier,
    text: String,
    /// The language it is written in (`mixed`: English and another); English when absent.
    #[serde(default)]
    lang: Option<String>,
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

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every set in `dir` whose file name starts with `prefix` (`triage.toml`, `triage-2.toml`).
fn sets<T: for<'de> Deserialize<'de>>(dir: &Path, prefix: &str) -> Vec<(String, T)> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix) && n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no {prefix}*.toml in {}", dir.display());
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(&name)).unwrap();
            let set = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, set)
        })
        .collect()
}

fn engine() -> Engine {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    Engine::in_memory(Knowledge::load(&dir).unwrap()).unwrap()
}

fn short(text: &str) -> String {
    backcare::text::truncate_chars(&text.replace('\n', " "), 90)
}

/// A count of successes out of a total, with what failed.
struct Score {
    name: String,
    ok: usize,
    total: usize,
    failures: Vec<String>,
}

impl Score {
    fn print(&self, what: &str) {
        eprintln!(
            "{}: {what}: {}/{} = {:.1}%\n{}",
            self.name,
            self.ok,
            self.total,
            100.0 * self.ok as f64 / self.total.max(1) as f64,
            self.failures.join("\n")
        );
    }
}

/// Red-flag messages that reach at least their tier.
fn recall(engine: &Engine, name: &str, set: &TriageSet) -> Score {
    let failures: Vec<String> = set
        .red_flag
        .iter()
        .filter_map(|case| {
            let answer = engine.ask(&case.text);
            let ok = matches!(answer.reply, Reply::SeekCare(_))
                && answer.tier().is_some_and(|t| t >= case.tier);
            (!ok).then(|| {
                format!(
                    "{:?} wanted {}: {}",
                    answer.tier(),
                    case.tier,
                    short(&case.text)
                )
            })
        })
        .collect();
    Score {
        name: name.to_owned(),
        ok: set.red_flag.len() - failures.len(),
        total: set.red_flag.len(),
        failures,
    }
}

/// Benign questions that escalate (the fewer the better: `ok` counts the escalated).
fn false_alarms(engine: &Engine, name: &str, set: &TriageSet) -> Score {
    let failures: Vec<String> = set
        .benign
        .iter()
        .filter_map(|case| {
            let triaged = engine.triage(&case.text);
            triaged.hits.first().map(|hit| {
                format!(
                    "{} via \"{}\" ({}): {}",
                    hit.id,
                    hit.rule,
                    hit.matched,
                    short(&case.text)
                )
            })
        })
        .collect();
    Score {
        name: name.to_owned(),
        ok: failures.len(),
        total: set.benign.len(),
        failures,
    }
}

/// Questions whose expected section comes first.
fn right_first(engine: &Engine, name: &str, set: &SearchSet) -> Score {
    let failures: Vec<String> = set
        .question
        .iter()
        .filter_map(|q| {
            let answer = engine.ask(&q.text);
            let got = answer.section.as_ref().map(|s| s.id.as_str());
            (got != Some(q.expect.as_str())).then(|| {
                let top: Vec<String> = answer
                    .candidates
                    .iter()
                    .take(3)
                    .map(|c| format!("{}={:.2}", c.id, c.score))
                    .collect();
                format!(
                    "wanted {}, got {} [{}]: {}",
                    q.expect,
                    got.unwrap_or(answer.reply.kind()),
                    top.join(" "),
                    short(&q.text)
                )
            })
        })
        .collect();
    Score {
        name: name.to_owned(),
        ok: set.question.len() - failures.len(),
        total: set.question.len(),
        failures,
    }
}

/// Off-topic questions answered with no match.
fn no_match(engine: &Engine, name: &str, set: &SearchSet) -> Score {
    let failures: Vec<String> = set
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
    Score {
        name: name.to_owned(),
        ok: set.off_topic.len() - failures.len(),
        total: set.off_topic.len(),
        failures,
    }
}

fn sum(scores: &[Score], name: &str) -> Score {
    Score {
        name: name.to_owned(),
        ok: scores.iter().map(|s| s.ok).sum(),
        total: scores.iter().map(|s| s.total).sum(),
        failures: Vec::new(),
    }
}

#[test]
fn every_red_flag_message_escalates_to_at_least_its_tier() {
    let engine = engine();
    for (name, set) in sets::<TriageSet>(&fixtures(), "triage") {
        let score = recall(&engine, &name, &set);
        score.print("red-flag recall");
        assert!(score.total >= 40);
        assert!(score.failures.is_empty(), "missed red flags in {name}");
    }
}

#[test]
fn a_red_flag_in_another_language_is_answered_in_that_language() {
    let engine = engine();
    let mut checked = 0;
    for (name, set) in sets::<TriageSet>(&fixtures(), "triage-ml") {
        for case in &set.red_flag {
            let Some(lang) = case.lang.as_deref().and_then(Lang::from_code) else {
                continue;
            };
            let answer = engine.ask(&case.text);
            let Reply::SeekCare(care) = &answer.reply else {
                panic!("{name}: no seek-care reply for {}", short(&case.text));
            };
            assert_eq!(care.lang, lang, "{name}: {}", short(&case.text));
            let own = engine.knowledge().red_flags_in(lang);
            assert_eq!(care.heading, own.tier_text(care.tier).heading);
            checked += 1;
        }
    }
    assert!(
        checked >= 6 * 15,
        "only {checked} messages in other languages"
    );
}

#[test]
fn a_question_in_a_language_without_a_guide_gets_the_english_answer_and_says_so() {
    let engine = engine();
    let german = engine.knowledge().red_flags_in(Lang::De);
    let note = &german
        .replies
        .as_ref()
        .expect("German replies")
        .guide_in_english;
    let answer = engine.ask("Wie mache ich die Dehnung im Sitzen für den unteren Rücken richtig?");
    assert_eq!(answer.triage.lang, Lang::De);
    let text = answer.reply.text();
    assert!(text.starts_with(note.as_str()), "{text}");
    // Nothing found in the English guide either: the no-match says so first too.
    let answer = engine.ask("Wie backe ich einen Apfelkuchen mit Streuseln?");
    assert_eq!(answer.triage.lang, Lang::De);
    assert!(
        matches!(answer.reply, Reply::NoMatch(_)),
        "{:?}",
        answer.reply
    );
    let text = answer.reply.text();
    assert!(text.starts_with(note.as_str()), "{text}");
    // A Spanish question is answered from the Spanish guide, in Spanish.
    let answer = engine.ask("¿cómo hago el puente para soltar la espalda baja?");
    let Reply::Section(section) = &answer.reply else {
        panic!("no section for a Spanish question: {}", answer.reply.text());
    };
    let spanish = &engine.knowledge().translations[0];
    assert_eq!(spanish.lang, Lang::Es);
    assert!(spanish
        .guide
        .sections
        .iter()
        .any(|s| s.title == section.title));
}

#[test]
fn at_most_one_benign_question_in_twenty_escalates() {
    let engine = engine();
    for (name, set) in sets::<TriageSet>(&fixtures(), "triage") {
        let score = false_alarms(&engine, &name, &set);
        score.print("benign false escalations");
        assert!(score.total >= 25);
        assert!(
            score.ok * 20 <= score.total,
            "too many false alarms in {name}"
        );
    }
    for must_not in [
        "my lower back has a dull ache",
        "tight after deadlifts",
        "does cracking help mobility",
    ] {
        assert!(!engine.triage(must_not).is_red_flag(), "{must_not}");
    }
}

#[test]
fn the_right_section_comes_first_for_nine_questions_in_ten() {
    let engine = engine();
    let scores: Vec<Score> = sets::<SearchSet>(&fixtures(), "search")
        .iter()
        .map(|(name, set)| right_first(&engine, name, set))
        .collect();
    scores.iter().for_each(|s| s.print("right section first"));
    let all = sum(&scores, "all sets");
    all.print("right section first");
    assert!(all.total >= 40);
    assert!(all.ok * 10 >= all.total * 9, "below 90%");
}

#[test]
fn nine_off_topic_questions_in_ten_get_no_match() {
    let engine = engine();
    let scores: Vec<Score> = sets::<SearchSet>(&fixtures(), "search")
        .iter()
        .map(|(name, set)| no_match(&engine, name, set))
        .collect();
    scores.iter().for_each(|s| s.print("off-topic no match"));
    let all = sum(&scores, "all sets");
    all.print("off-topic no match");
    assert!(all.total >= 10);
    assert!(all.ok * 10 >= all.total * 9, "below 90%");
}

/// The hold-out folders (`tests/fixtures/holdout-*/`), by name, in order.
fn holdout_dirs() -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<(String, PathBuf)> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            name.starts_with("holdout").then_some((name, p))
        })
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no tests/fixtures/holdout-* folder");
    dirs
}

/// A hold-out set may keep more false alarms than the one in twenty asserted above, but
/// never a missed red flag: once tuned on, each of its red flags must escalate.
#[test]
fn every_red_flag_of_the_holdout_sets_escalates() {
    let engine = engine();
    for (name, dir) in holdout_dirs() {
        let triage: TriageSet = sets(&dir, "triage").remove(0).1;
        let score = recall(&engine, &name, &triage);
        score.print("red-flag recall");
        assert!(score.total >= 40, "{name}: only {} red flags", score.total);
        assert!(score.failures.is_empty(), "missed red flags in {name}");
    }
}

/// The hold-out sets (`tests/fixtures/holdout-*/`), each against the targets.
/// Ignored by default because they measure unseen wording rather than guard against
/// regressions; the first measurement of each is recorded in the commit that added it.
#[test]
#[ignore = "measures the hold-out sets; run with --ignored --nocapture"]
fn the_holdout_sets_meet_the_targets() {
    let engine = engine();
    let mut failed = Vec::new();
    for (name, dir) in holdout_dirs() {
        let triage: TriageSet = sets(&dir, "triage").remove(0).1;
        let recall = recall(&engine, &name, &triage);
        let alarms = false_alarms(&engine, &name, &triage);
        recall.print("red-flag recall");
        alarms.print("benign false escalations");
        if !recall.failures.is_empty() {
            failed.push(format!("{name}: red flags missed"));
        }
        if alarms.ok * 20 > alarms.total {
            failed.push(format!("{name}: too many false alarms"));
        }
        // Most hold-outs are triage only: no search set.
        if !dir.join("search.toml").exists() {
            continue;
        }
        let (_, search) = sets::<SearchSet>(&dir, "search").remove(0);
        let right = right_first(&engine, &name, &search);
        let none = no_match(&engine, &name, &search);
        right.print("right section first");
        none.print("off-topic no match");
        if right.ok * 10 < right.total * 9 {
            failed.push(format!("{name}: right section first below 90%"));
        }
        if none.ok * 10 < none.total * 9 {
            failed.push(format!("{name}: off-topic no match below 90%"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The issue's own examples of questions answered wrongly before example questions, scope,
/// conditions and small talk.
#[test]
fn broad_questions_conditions_scope_and_small_talk_get_the_answer_that_fits() {
    let engine = engine();
    let outcome = |q: &str| {
        let answer = engine.ask(q);
        match &answer.reply {
            Reply::Overview(_) => "overview".to_owned(),
            Reply::Greeting(_) => "greeting".to_owned(),
            Reply::NoMatch(n) if n.out_of_scope.is_some() => "out of scope".to_owned(),
            Reply::NoMatch(_) => "no match".to_owned(),
            Reply::Section(a) => a.id.clone(),
            Reply::SeekCare(_) => "seek care".to_owned(),
        }
    };
    for (question, want) in [
        ("How do I safely crack my lower back?", "overview"),
        ("what stretches help my lower back?", "overview"),
        ("is it safe to crack my back every day?", "precautions"),
        ("i have osteoporosis can i crack my back", "seek-help"),
        ("im pregnant, can i still crack my back?", "seek-help"),
        ("hi", "greeting"),
        ("thanks!!", "greeting"),
        ("my knee cracks", "out of scope"),
        ("how do i crack my knuckles", "out of scope"),
        ("best way to crack an egg", "out of scope"),
        ("wats the seated strech agian", "seated-side-bend"),
        // How it came about ([broad] context) never makes a broad ask specific, though the
        // "why" section's keywords name lifting and moving boxes.
        (
            "back's locked up after lifting boxes all weekend, what do I do?",
            "overview",
        ),
        // A place to do it in still picks the technique done there.
        ("any stretch i can do in my desk chair?", "seated-side-bend"),
        // Nothing but an ask in general, of a back-care bot, asks for the whole topic;
        // greetings and thanks around one are still small talk.
        ("where do i start", "overview"),
        ("thanks, that helped", "greeting"),
        ("hello, new here", "greeting"),
        // Another part only as spelled: "frist" is a typo of "first", not a wrist.
        ("warm up frist?", "warm-up"),
        // A technique set aside is not the answer: the other one is.
        ("not the floor ones, the sitting one", "seated-side-bend"),
        (
            "not the bridge, the other floor one where you twist",
            "knee-to-chest",
        ),
        // Where a member sits is a back-care question in a back-care server.
        (
            "sat at a desk 9 till 6, what can I do without leaving my chair",
            "seated-side-bend",
        ),
        // An [[ask]] with no technique named and no confident section is that ask's section,
        // not the overview, even when its words are not in any guide ("shouldnt").
        ("what shouldnt i do when cracking my back", "precautions"),
        // Close to an example question, common words make no broad question: "crack every
        // day ok?" is "is it bad to crack every day", not the overview.
        ("crack every day ok?", "precautions"),
        // A technique told by its movement is in scope although it names the leg.
        (
            "lying down with my leg across to the other side, which way should my head face?",
            "knee-to-chest",
        ),
    ] {
        assert_eq!(outcome(question), want, "{question}");
    }
    let both = engine.ask("my lower back and hip are stiff").reply;
    assert!(
        matches!(both, Reply::Section(_) | Reply::Overview(_)),
        "{both:?}"
    );
    let pregnant = engine.ask("im pregnant, can i still crack my back?");
    assert!(pregnant.reply.text().contains("You mentioned pregnancy"));
    let knee = engine.ask("my knee cracks").reply.text();
    assert!(
        knee.contains("the lower back") && knee.contains("physiotherapist"),
        "{knee}"
    );
}

#[derive(Deserialize)]
struct AnswersSet {
    question: Vec<KindQuestion>,
}

#[derive(Deserialize)]
struct KindQuestion {
    text: String,
    expect: String,
    kind: String,
}

/// The answers sets (`tests/fixtures/answers-*.toml`) keep what they reached once tuned on:
/// every condition to the professional, every greeting a friendly line, off-topic and other
/// body parts no match at least 29 in 30, and on-topic right first no lower than measured.
#[test]
fn the_answers_sets_keep_their_rates() {
    let engine = engine();
    for (name, set) in sets::<AnswersSet>(&fixtures(), "answers") {
        let mut right = std::collections::BTreeMap::<&str, (usize, usize)>::new();
        for q in &set.question {
            let answer = engine.ask(&q.text);
            let got = match &answer.reply {
                Reply::Greeting(_) => "greeting".to_owned(),
                Reply::NoMatch(_) => "no_match".to_owned(),
                _ => answer
                    .section
                    .as_ref()
                    .map_or("", |s| s.id.as_str())
                    .to_owned(),
            };
            let entry = right.entry(q.kind.as_str()).or_default();
            entry.0 += usize::from(got == q.expect);
            entry.1 += 1;
        }
        println!("{name}: {right:?}");
        let rate = |kind: &str| {
            right
                .get(kind)
                .map_or(1.0, |(ok, n)| *ok as f32 / *n as f32)
        };
        assert_eq!(rate("condition"), 1.0, "{name}: conditions");
        assert_eq!(rate("greeting"), 1.0, "{name}: greetings");
        assert!(rate("off_topic") >= 29.0 / 30.0, "{name}: off-topic");
        assert!(rate("on_topic") >= 0.75, "{name}: on-topic right first");
    }
}

/// Follow-ups (`words.toml` [[follow_up]]): each kind of answer, a technique named besides
/// the follow-up words, and a reply with no follow-up words answered on its own.
#[test]
fn follow_ups_are_answered_from_the_section_they_follow() {
    let engine = engine();
    let section = |question: &str, after: &str| {
        let answer = engine.ask_in_context(question, after);
        let id = answer.section.map(|s| s.id).unwrap_or_default();
        (id, answer.reply.text())
    };
    let (id, text) = section("how long do I hold it?", "knee-to-chest");
    assert_eq!(id, "knee-to-chest");
    assert!(
        text.contains("5-10 seconds") && !text.contains("Lie flat"),
        "{text}"
    );
    let (id, text) = section("how long do i hold the bridge", "knee-to-chest");
    assert_eq!(id, "bridge-release", "{text}");
    assert!(text.contains("a few breaths"), "{text}");
    assert_eq!(
        section("another one?", "knee-to-chest").0,
        "seated-side-bend"
    );
    // The last technique goes round to the first.
    assert_eq!(section("next", "bridge-release").0, "knee-to-chest");
    assert_eq!(
        section("and if it doesn't pop?", "bridge-release").0,
        "precautions"
    );
    assert_eq!(
        section("should I warm up first?", "seated-side-bend").0,
        "warm-up"
    );
    let (_, text) = section("what about the other side", "seated-side-bend");
    assert!(text.contains("left hand on right thigh"), "{text}");
    // No follow-up words: asked on its own.
    assert_eq!(
        section("is it safe to crack my back every day?", "knee-to-chest").0,
        engine
            .ask("is it safe to crack my back every day?")
            .section
            .map(|s| s.id)
            .unwrap_or_default()
    );
    // A red flag wins over any context.
    let care = engine.ask_in_context("how long do I hold it? my leg went numb", "knee-to-chest");
    assert!(care.triage.is_red_flag());
    // A section removed by a reload: asked on its own, never a panic.
    let gone = engine.ask_in_context("how long do I hold it?", "no-such-section");
    assert_eq!(
        gone.reply.kind(),
        engine.ask("how long do I hold it?").reply.kind()
    );
}

/// `[[ask]]` in words.toml: the kind of answer asked for picks its section among the
/// candidates, unless the question names a technique.
#[test]
fn the_kind_of_answer_asked_for_picks_the_section() {
    let engine = engine();
    let id = |question: &str| {
        engine
            .ask(question)
            .section
            .map(|s| s.id)
            .unwrap_or_default()
    };
    assert_eq!(
        id("my husband offered to pop my back by lifting me from behind, is that ok"),
        "precautions"
    );
    assert_eq!(
        id("how often should i take sitting breaks so my lower back doesnt get tight"),
        "long-term-habits"
    );
    assert_eq!(
        id("my lower back has needed cracking every day for months now, should i get it looked at"),
        "seek-help"
    );
    // Naming a technique keeps the question with it.
    assert_eq!(id("is the knee to chest twist safe?"), "knee-to-chest");
}

/// The words that name the back ("the small of my back") do not make a broad ask look
/// specific, and a warm-up of another part is out of scope.
#[test]
fn the_backs_own_words_leave_a_broad_ask_broad() {
    let engine = engine();
    for question in [
        "give me all the ways to pop the small of my back",
        "lower back tips?",
        "whats good to do for the bottom of my back",
    ] {
        let answer = engine.ask(question);
        assert!(
            matches!(answer.reply, Reply::Overview(_)),
            "{question}: {:?}",
            answer.section
        );
    }
    let neck = engine.ask("does my neck need warming up before I crack it");
    assert!(
        matches!(neck.reply, Reply::NoMatch(_)),
        "{:?}",
        neck.section
    );
}

/// Two kinds of answer asked for at once ("a habit now, is that bad?") go to the one the
/// search rates higher, and a question that is mostly one of a section's example questions
/// is not moved elsewhere by an ask word ("habit").
#[test]
fn the_kind_of_answer_asked_for_is_the_one_the_search_rates_higher() {
    let engine = engine();
    for question in [
        "popping my lower back every hour has become a habit, is that bad",
        "cracking my back all day out of habit, bad?",
    ] {
        let answer = engine.ask(question);
        let id = answer.section.map(|s| s.id).unwrap_or_default();
        assert_eq!(id, "precautions", "{question}");
    }
}

/// A broad ask whose other words only say how the back feels or what the member was doing
/// ("low back a bit stiff today, what helps") gets the overview, and the rear one of a thing
/// (a back wheel) is not the back.
#[test]
fn a_broad_ask_about_how_the_back_feels_gets_the_overview() {
    let engine = engine();
    for question in [
        "my low back is a bit stiff today, what helps",
        "lower back sore from hoovering, what helps",
    ] {
        let answer = engine.ask(question);
        assert!(
            matches!(answer.reply, Reply::Overview(_)),
            "{question}: {:?}",
            answer.section
        );
    }
    let wheel = engine.ask("my back wheel keeps squeaking on the commute");
    assert!(
        matches!(wheel.reply, Reply::NoMatch(_)),
        "{:?}",
        wheel.section
    );
}

/// Thanks that ask nothing more get the friendly line even with back-care words in them;
/// thanks with a question still get the answer.
#[test]
fn thanks_that_ask_nothing_get_the_friendly_line() {
    let engine = engine();
    let thanks = engine.ask("cheers, my lower back is loads looser now");
    assert!(
        matches!(thanks.reply, Reply::Greeting(_)),
        "{:?}",
        thanks.section
    );
    // Help thanked for is no ask for help, even with a technique named.
    let helped = engine.ask("ta, the bridge one has helped loads");
    assert!(
        matches!(helped.reply, Reply::Greeting(_)),
        "{:?}",
        helped.section
    );
    let asks_help = engine.ask("thanks. what helps a stiff lower back?");
    assert!(
        !matches!(asks_help.reply, Reply::Greeting(_)),
        "{:?}",
        asks_help.because
    );
    let question = engine.ask("thanks! how long do i hold the bridge?");
    assert_eq!(
        question.section.map(|s| s.id).as_deref(),
        Some("bridge-release")
    );
}
