//! Property tests: no input makes the engine panic, every reply fits Discord, and a red-flag
//! rule's words anywhere in any text, in any case and any markdown, escalate.

use std::path::Path;
use std::sync::OnceLock;

use backcare::discord::embeds::MAX_CONTENT;
use backcare::knowledge::{Guide, Kind, Knowledge, Overview, Section};
use backcare::reply::{OverviewReply, Reply, SectionReply};
use backcare::Engine;
use proptest::prelude::*;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        Engine::in_memory(Knowledge::load(&dir).unwrap()).unwrap()
    })
}

/// A message for every shipped rule, up to eight per rule, made of one word of each of its
/// groups ("numb + leg" -> "numb leg", "tingling thigh", ...).
fn phrases() -> &'static Vec<String> {
    static PHRASES: OnceLock<Vec<String>> = OnceLock::new();
    PHRASES.get_or_init(|| {
        engine()
            .knowledge()
            .red_flags
            .examples(8)
            .into_iter()
            .map(|e| e.text)
            .collect()
    })
}

/// Chat-like text: words, punctuation, emoji, markdown, other scripts and invisible characters.
fn chat() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z]{1,10}",
            Just(" ".to_owned()),
            Just(", ".to_owned()),
            Just("\n> ".to_owned()),
            Just("**".to_owned()),
            Just("||".to_owned()),
            Just("`".to_owned()),
            Just("😅".to_owned()),
            Just("\u{200b}".to_owned()),
            "\\PC{1,5}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

fn random_case(text: &str, flips: &[bool]) -> String {
    text.chars()
        .zip(flips.iter().cycle())
        .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_gets_a_reply_that_fits_discord(text in "\\PC{0,3000}") {
        let answer = engine().ask(&text);
        prop_assert!(answer.reply.text_within(MAX_CONTENT).chars().count() <= MAX_CONTENT);
    }

    #[test]
    fn chat_text_never_panics_and_fits(text in chat()) {
        let answer = engine().ask(&text);
        prop_assert!(answer.reply.text_within(MAX_CONTENT).chars().count() <= MAX_CONTENT);
    }

    #[test]
    fn a_red_flag_phrase_anywhere_escalates(
        before in chat(),
        after in chat(),
        index in any::<prop::sample::Index>(),
        flips in prop::collection::vec(any::<bool>(), 1..8),
        wrap in prop::sample::select(vec!["", "**", "__", "||", "`", "~~", "*", "_"]),
        quote in any::<bool>(),
    ) {
        let phrase = index.get(phrases());
        let marked = format!("{wrap}{}{wrap}", random_case(phrase, &flips));
        let line = if quote { format!("\n> {marked}\n") } else { format!(" {marked} ") };
        let message = format!("{before}{line}{after}");
        let answer = engine().ask(&message);
        // Random words can make a shipped figurative use ("last night"); then the reason the
        // word did not count is reported, which is the only way a phrase may go quiet.
        prop_assert!(
            matches!(answer.reply, Reply::SeekCare(_)) || !answer.triage.quieted.is_empty(),
            "phrase {:?} not caught in {:?}", phrase, message
        );
    }

    #[test]
    fn markdown_parsing_never_panics(text in "\\PC{0,2000}", heading in "[ -~]{0,40}") {
        let doc = format!("+++\ntitle = \"t\"\nsummary = \"s\"\nsource = \"x\"\n+++\n## {heading}\n{text}");
        let _ = backcare::knowledge::parse_guide("fuzz.md", &doc);
        let _ = backcare::knowledge::parse_guide("fuzz.md", &text);
    }

    #[test]
    fn any_section_composes_a_reply_that_fits(
        title in "\\PC{0,300}",
        paragraphs in prop::collection::vec("\\PC{0,800}", 0..5),
        steps in prop::collection::vec("\\PC{0,400}", 0..30),
        hold in prop::option::of("\\PC{0,100}"),
    ) {
        let section = Section {
            id: "x".into(),
            kind: Kind::Technique,
            title,
            keywords: vec![],
            hold,
            paragraphs,
            steps,
            points: vec![],
            examples: vec![],
            line: 1,
        };
        let guide = Guide {
            file: "g.md".into(),
            title: "G".into(),
            summary: String::new(),
            source: String::new(),
            tags: vec![],
            covers: vec![],
            overview: Some(Overview {
                sections: vec!["x".into(); 3],
                examples: vec![],
            }),
            sections: vec![section.clone()],
        };
        let text = Reply::Section(SectionReply::new(&guide, &section)).text_within(MAX_CONTENT);
        prop_assert!(text.chars().count() <= MAX_CONTENT);
        prop_assert!(text.ends_with(backcare::reply::NOT_MEDICAL_ADVICE));
        let overview = OverviewReply::new(&guide).expect("the guide has an overview");
        let text = Reply::Overview(overview).text_within(MAX_CONTENT);
        prop_assert!(text.chars().count() <= MAX_CONTENT);
        prop_assert!(text.ends_with(backcare::reply::NOT_MEDICAL_ADVICE));
    }
}
