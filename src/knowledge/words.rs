//! `words.toml`: the everyday words members use, what the guides cover, the conditions that
//! need a professional's go-ahead, and small talk. Read by search and the answer decision,
//! never by red-flag triage.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::problem::{Lines, Problem};
use super::red_flags::toml_message;

/// The file's name inside the knowledge folder.
pub const WORDS_FILE: &str = "words.toml";

/// Everything `words.toml` says, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Words {
    /// A member's word or phrase and the guide words it stands for ("couch" = "sitting").
    pub everyday: Vec<Everyday>,
    pub scope: Scope,
    pub conditions: Vec<Condition>,
    /// Greetings and thanks: a message of only these gets a friendly line.
    pub small_talk: Vec<String>,
    /// Thanks: a message that opens or ends with one and asks nothing ("thanks, my back feels
    /// better already") gets the friendly line, whatever back-care words it has.
    pub thanks: Vec<String>,
    /// How members ask for a method in general ("how do I", "teach me"): with only broad
    /// words besides, the overview answers even when one section scores well.
    pub broad_asks: Vec<String>,
    /// Words that say how the stiffness came about or how it feels ("moving house", "desk
    /// job", "locked up"): they never make a broad ask specific.
    pub broad_context: Vec<String>,
    /// How members follow up on an answer ("how long do I hold it?"), and what answers it.
    pub follow_ups: Vec<FollowUp>,
    /// What kind of answer a question asks for ("is that ok?" asks whether it is safe),
    /// and the section that gives it.
    pub asks: Vec<Ask>,
}

/// A kind of question and the section that answers it, whatever its topic words say: "my
/// husband offered to pop my back, is that ok?" asks about safety, not about popping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    pub name: String,
    /// The section id that answers it.
    pub answers: String,
    pub words: Vec<String>,
    pub line: usize,
}

/// A follow-up question about the answer a member replied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    /// What the member asked about, as the reply names it ("how long to hold it").
    pub name: String,
    /// How members put it ("how long", "hold it").
    pub asks: Vec<String>,
    pub answer: FollowUpAnswer,
    pub line: usize,
}

/// What a follow-up gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpAnswer {
    /// The lines of the answer's own section that mention one of these words.
    Lines(Vec<String>),
    /// A whole section, by id.
    Opens(String),
    /// The next technique in the guide after the answer's section.
    Next,
}

/// The `opens` value that means the next technique.
pub const OPENS_NEXT: &str = "next";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Everyday {
    pub phrase: String,
    pub means: String,
    pub line: usize,
}

/// What is in scope and what is clearly not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Words that put a question about the back (with the guides' `covers`).
    pub back: Vec<String>,
    /// The techniques' own words ("knee twist", "side lean"): in scope even next to another
    /// part's name ("which hand goes on my thigh for the side lean?").
    pub techniques: Vec<String>,
    /// Technique words every body part shares ("warm up"): they name a technique, but keep
    /// no question in scope that names another part and not the back ("does my neck need
    /// warming up?").
    pub general_techniques: Vec<String>,
    /// Back-care words ("crack", "stiff", "physio"): a question with none of these, no
    /// technique and no back is not about back care, however well its words score.
    pub topic: Vec<String>,
    /// Uses of "back" that are not the body ("get my money back"): they do not count.
    pub not_the_back: Vec<String>,
    /// Other parts of the body: a question about one of these, and not the back, is out
    /// of scope.
    pub other_parts: Vec<String>,
    /// Other senses of the guides' words (an egg, a joke, a phone screen).
    pub other_senses: Vec<String>,
    /// How members set a technique aside ("not the bridge, the other one"): a technique
    /// named right after one of these is not the one asked about.
    pub set_aside: Vec<String>,
    /// Techniques told by their movement: a part that moves near the way it moves ("the
    /// knee falls across", "lift your butt"). Such a part is the technique's, in scope.
    pub movements: Vec<Movement>,
}

/// A part of the body and the ways it moves in a technique, within a window of words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// The section of the technique that moves this way.
    pub technique: String,
    pub parts: Vec<String>,
    pub ways: Vec<String>,
    /// 2 means side by side, as in red-flag rules; filler words do not count.
    pub within: u32,
    pub line: usize,
}

/// A condition where self-cracking needs a professional's go-ahead first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// How the reply names it ("osteoporosis", "a recent back operation").
    pub name: String,
    pub words: Vec<String>,
    pub line: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    everyday: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    scope: ScopeTable,
    #[serde(default)]
    condition: Vec<ConditionTable>,
    #[serde(default)]
    small_talk: SmallTalkTable,
    #[serde(default)]
    broad: BroadTable,
    #[serde(default)]
    follow_up: Vec<FollowUpTable>,
    #[serde(default)]
    ask: Vec<AskTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AskTable {
    name: Spanned<String>,
    answers: String,
    words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FollowUpTable {
    name: Spanned<String>,
    asks: Vec<String>,
    #[serde(default)]
    lines: Vec<String>,
    #[serde(default)]
    opens: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct BroadTable {
    #[serde(default)]
    asks: Vec<String>,
    #[serde(default)]
    context: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ScopeTable {
    #[serde(default)]
    back: Vec<String>,
    #[serde(default)]
    techniques: Vec<String>,
    #[serde(default)]
    general_techniques: Vec<String>,
    #[serde(default)]
    topic: Vec<String>,
    #[serde(default)]
    not_the_back: Vec<String>,
    #[serde(default)]
    other_parts: Vec<String>,
    #[serde(default)]
    other_senses: Vec<String>,
    #[serde(default)]
    set_aside: Vec<String>,
    #[serde(default)]
    movement: Vec<MovementTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MovementTable {
    technique: String,
    parts: Spanned<Vec<String>>,
    ways: Vec<String>,
    within: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConditionTable {
    name: Spanned<String>,
    words: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SmallTalkTable {
    #[serde(default)]
    words: Vec<String>,
    #[serde(default)]
    thanks: Vec<String>,
}

/// Parses `words.toml`. Every problem is collected, with its line.
pub fn parse(name: &str, text: &str) -> Result<Words, Vec<Problem>> {
    let file: File = toml::from_str(text).map_err(|err| {
        let line = err
            .span()
            .map(|s| Lines::new(text).of(s.start))
            .unwrap_or(0);
        vec![Problem::new(name, line, toml_message(&err, text))]
    })?;
    let lines = Lines::new(text);
    let mut problems = Vec::new();
    let mut everyday = Vec::new();
    for (phrase, means) in &file.everyday {
        let line = lines.of(phrase.span().start);
        let (phrase, means) = (phrase.get_ref().trim(), means.get_ref().trim());
        if !has_content(phrase) {
            problems.push(Problem::new(
                name,
                line,
                format!("the everyday word \"{phrase}\" has no words that can be searched; write the member's word before `=`"),
            ));
        }
        if !has_content(means) {
            problems.push(Problem::new(
                name,
                line,
                format!("\"{phrase}\" = \"{means}\": after `=` write the guide's words it stands for, e.g. sofa = \"sitting\""),
            ));
        }
        everyday.push(Everyday {
            phrase: phrase.to_owned(),
            means: means.to_owned(),
            line,
        });
    }
    let mut conditions = Vec::new();
    for condition in file.condition {
        let line = lines.of(condition.name.span().start);
        let name_text = condition.name.get_ref().trim().to_owned();
        if name_text.is_empty() || condition.words.iter().all(|w| !has_content(w)) {
            problems.push(Problem::new(
                name,
                line,
                "a [[condition]] needs a `name` (how the reply says it) and `words` (how members write it)",
            ));
        }
        conditions.push(Condition {
            name: name_text,
            words: condition.words,
            line,
        });
    }
    let mut follow_ups = Vec::new();
    for table in file.follow_up {
        let line = lines.of(table.name.span().start);
        let follow_name = table.name.get_ref().trim().to_owned();
        let answer = match (table.lines.is_empty(), table.opens) {
            (false, None) => Some(FollowUpAnswer::Lines(table.lines)),
            (true, Some(opens)) if opens.trim() == OPENS_NEXT => Some(FollowUpAnswer::Next),
            (true, Some(opens)) if !opens.trim().is_empty() => {
                Some(FollowUpAnswer::Opens(opens.trim().to_owned()))
            }
            _ => None,
        };
        let asks_ok = table.asks.iter().any(|w| has_content(w));
        match answer {
            Some(answer) if asks_ok && !follow_name.is_empty() => follow_ups.push(FollowUp {
                name: follow_name,
                asks: table.asks,
                answer,
                line,
            }),
            _ => problems.push(Problem::new(
                name,
                line,
                "a [[follow_up]] needs a `name`, `asks` (how members put it) and either `lines` (words that pick the answer's own lines) or `opens` (a section id, or \"next\")",
            )),
        }
    }
    let mut asks = Vec::new();
    for table in file.ask {
        let line = lines.of(table.name.span().start);
        let ask_name = table.name.get_ref().trim().to_owned();
        if ask_name.is_empty()
            || table.answers.trim().is_empty()
            || !table.words.iter().any(|w| has_content(w))
        {
            problems.push(Problem::new(
                name,
                line,
                "an [[ask]] needs a `name`, `answers` (the section id that answers it) and `words` (how members ask it)",
            ));
            continue;
        }
        asks.push(Ask {
            name: ask_name,
            answers: table.answers.trim().to_owned(),
            words: table.words,
            line,
        });
    }
    let mut movements = Vec::new();
    for table in file.scope.movement {
        let line = lines.of(table.parts.span().start);
        let parts = table.parts.into_inner();
        if table.technique.trim().is_empty()
            || !parts.iter().any(|w| has_content(w))
            || !table.ways.iter().any(|w| has_content(w))
            || !(2..=MAX_MOVEMENT_WITHIN).contains(&table.within)
        {
            problems.push(Problem::new(
                name,
                line,
                format!("a [[scope.movement]] needs `technique` (the section id), `parts` (the body part that moves), `ways` (how it moves) and `within` (2 to {MAX_MOVEMENT_WITHIN} words; 2 means side by side)"),
            ));
            continue;
        }
        movements.push(Movement {
            technique: table.technique.trim().to_owned(),
            parts,
            ways: table.ways,
            within: table.within,
            line,
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Words {
        everyday,
        scope: Scope {
            back: file.scope.back,
            techniques: file.scope.techniques,
            general_techniques: file.scope.general_techniques,
            topic: file.scope.topic,
            not_the_back: file.scope.not_the_back,
            other_parts: file.scope.other_parts,
            other_senses: file.scope.other_senses,
            set_aside: file.scope.set_aside,
            movements,
        },
        conditions,
        small_talk: file.small_talk.words,
        thanks: file.small_talk.thanks,
        broad_asks: file.broad.asks,
        broad_context: file.broad.context,
        follow_ups,
        asks,
    })
}

/// The widest window a movement may take: wider, and the part and the way belong to
/// different clauses.
const MAX_MOVEMENT_WITHIN: u32 = 6;

fn has_content(text: &str) -> bool {
    crate::text::words(text, crate::text::Markdown::Split)
        .iter()
        .any(|w| !crate::text::is_filler(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_field_names_the_fields_of_its_own_table() {
        let text = "[[scope.movement]]\ntechnique = \"x\"\nparts = [\"knee\"]\nway = [\"across\"]\nwithin = 3\n";
        let problems = parse("words.toml", text).unwrap_err();
        let message = &problems[0].message;
        assert!(message.contains("unknown field `way`"), "{message}");
        assert!(message.contains("`ways`"), "{message}");
        // Not red-flags.toml's fields.
        assert!(!message.contains("noticed"), "{message}");
    }

    #[test]
    fn a_movement_needs_its_technique_parts_ways_and_a_window() {
        let text = "[[scope.movement]]\ntechnique = \"x\"\nparts = [\"knee\"]\nways = [\"across\"]\nwithin = 9\n";
        let problems = parse("words.toml", text).unwrap_err();
        assert_eq!(problems[0].line, 3, "{problems:?}"); // its `parts` line
        assert!(problems[0].message.contains("2 to 6 words"), "{problems:?}");
        let good = text.replace("within = 9", "within = 3");
        let words = parse("words.toml", &good).unwrap();
        assert_eq!(words.scope.movements[0].ways, ["across"]);
    }

    #[test]
    fn parses_every_table() {
        let text = "[everyday]\nsofa = \"sitting\"\n\"heat pack\" = \"warm up\"\n\n[scope]\nback = [\"spine\"]\nother_parts = [\"neck\"]\n\n[[condition]]\nname = \"osteoporosis\"\nwords = [\"osteoporosis\", \"brittle bones\"]\n\n[small_talk]\nwords = [\"hi\"]\n";
        let words = parse("words.toml", text).unwrap();
        assert_eq!(words.everyday.len(), 2);
        assert_eq!(words.everyday[0].phrase, "heat pack");
        assert_eq!(words.everyday[1].line, 2);
        assert_eq!(words.scope.other_parts, ["neck"]);
        assert_eq!(words.conditions[0].line, 10);
        assert_eq!(words.small_talk, ["hi"]);
    }

    #[test]
    fn bad_entries_name_their_line() {
        let found = parse("w.toml", "[everyday]\nsofa = \"\"\n").unwrap_err();
        assert_eq!(found[0].line, 2, "{found:?}");
        assert!(found[0].message.contains("guide's words"), "{found:?}");
        let found = parse(
            "w.toml",
            "[[follow_up]]\nname = \"hold\"\nasks = [\"how long\"]\n",
        )
        .unwrap_err();
        assert_eq!(found[0].line, 2, "{found:?}");
        assert!(found[0].message.contains("`opens`"), "{found:?}");
        let found = parse("w.toml", "[scope]\nbak = [\"x\"]\n").unwrap_err();
        assert!(found[0].to_string().starts_with("w.toml:2:"), "{found:?}");
    }
}
