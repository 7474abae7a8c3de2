//! Parses `red-flags.toml` (word groups, flags with rules, figurative uses) and lays it over
//! the built-in floor compiled into the binary.
//!
//! The floor is the shipped `knowledge/red-flags.toml` itself, so the two cannot drift: a
//! moderator's file can add words, rules, flags and figurative uses and raise a tier, but
//! never remove or weaken what shipped. Every problem is `file:line: what to change`. This
//! module reads and checks what moderators write; matching messages is `crate::triage`'s.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::problem::{Lines as LineIndex, Problem};
use crate::language::Lang;
use crate::text;

/// The built-in floor: the red-flag file as shipped, compiled in.
pub const FLOOR: &str = include_str!("../../knowledge/red-flags.toml");

/// The floors of the other languages: each language's file as shipped, compiled in.
pub const LANGUAGE_FLOORS: [(Lang, &str); 6] = [
    (Lang::Es, include_str!("../../knowledge/red-flags.es.toml")),
    (Lang::De, include_str!("../../knowledge/red-flags.de.toml")),
    (Lang::Fr, include_str!("../../knowledge/red-flags.fr.toml")),
    (Lang::Pt, include_str!("../../knowledge/red-flags.pt.toml")),
    (Lang::Pl, include_str!("../../knowledge/red-flags.pl.toml")),
    (Lang::It, include_str!("../../knowledge/red-flags.it.toml")),
];

/// The red-flag file of a language: `red-flags.toml` for English, `red-flags.es.toml` ...
pub fn file_name(lang: Lang) -> String {
    match lang {
        Lang::En => "red-flags.toml".to_owned(),
        other => format!("red-flags.{}.toml", other.code()),
    }
}

/// The built-in text of a language's red flags.
pub fn floor_text(lang: Lang) -> &'static str {
    LANGUAGE_FLOORS
        .iter()
        .find(|(l, _)| *l == lang)
        .map_or(FLOOR, |(_, text)| text)
}

/// A rule's window when it names none: its groups within this many words.
pub const DEFAULT_WITHIN: usize = 4;

/// The widest window a rule may have: wider pairs up words from different sentences.
pub const MAX_WITHIN: usize = 12;
/// How far a figurative entry with `who` may look for its `near` words.
pub const MAX_STORY_WITHIN: usize = 40;
/// How close a word of a `who` group stands to the word it tells of.
pub const WHO_WITHIN: usize = 3;
/// How close a word of a `not_who` group keeps a word the member's own.
pub const NOT_WHO_WITHIN: usize = 6;
/// How close a word stands to one the same `who` entry already took as someone else's to be
/// told of them too: the story goes on ("my brother totaled his truck last winter, slid on
/// black ice").
pub const STORY_WITHIN: usize = 8;
/// How far before a word, within its clause, a word of a `who` group may stand as its
/// subject: "meine Oma ist letzte Woche im Supermarkt ausgerutscht" puts the verb last.
pub const SUBJECT_WITHIN: usize = 10;

/// How urgently a red flag needs care. Ordered: `Emergency` outranks `Urgent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Urgent,
    Emergency,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Urgent => "urgent",
            Tier::Emergency => "emergency",
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a tier tells the member.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierText {
    pub heading: String,
    pub advice: String,
}

/// A named group of words and short phrases that mean one thing ("numb": numb, tingling,
/// pins and needles, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub words: Vec<String>,
    /// Matched exactly as written (plural forms that mean both sides: "legs", "feet"),
    /// instead of by stem.
    pub as_written: bool,
}

/// Groups that must all appear within a window of words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rule {
    pub groups: Vec<String>,
    pub within: usize,
}

impl Rule {
    /// A rule that needs two groups or more, or any emergency concept, is strong evidence:
    /// enough to reply where nobody asked the bot.
    pub fn is_strong(&self, tier: Tier) -> bool {
        tier == Tier::Emergency || self.groups.len() > 1
    }

    /// Parses `numb + both_legs within 3`.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let text = text.trim();
        let (groups, within) = match text.split_once(" within ") {
            Some((groups, number)) => {
                let within = number.trim().parse::<usize>().map_err(|_| {
                    format!(
                        "`within` takes a number of words, e.g. \"{} within 4\"",
                        groups.trim()
                    )
                })?;
                (groups, within)
            }
            None => (text, DEFAULT_WITHIN),
        };
        let groups: Vec<String> = groups.split('+').map(|g| g.trim().to_owned()).collect();
        if groups.iter().all(String::is_empty) {
            return Err("a rule needs at least one group, e.g. \"numb + leg within 3\"".to_owned());
        }
        if let Some(bad) = groups.iter().find(|g| !is_name(g)) {
            return Err(if bad.is_empty() {
                "a `+` has no group on one side".to_owned()
            } else {
                format!("`{bad}` is not a group name: names are lower-case letters, digits and _, joined by `+`, e.g. \"numb + leg within 3\"")
            });
        }
        if !(1..=MAX_WITHIN).contains(&within) {
            return Err(format!(
                "`within {within}` is outside 1 to {MAX_WITHIN}: a window of 0 never matches, and a wide one pairs words from different sentences"
            ));
        }
        let unique: BTreeSet<&String> = groups.iter().collect();
        if unique.len() < groups.len() {
            return Err("a rule names the same group twice; name it once".to_owned());
        }
        if groups.len() > within {
            return Err(format!(
                "{} groups can never fit within {within} words; widen the window to at least {}",
                groups.len(),
                groups.len()
            ));
        }
        Ok(Rule { groups, within })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.groups.join(" + "))?;
        if self.groups.len() > 1 {
            write!(f, " within {}", self.within)?;
        }
        Ok(())
    }
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// One warning sign, the rules that reveal it, and what the reply calls it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub id: String,
    pub tier: Tier,
    /// Completes "You mentioned ...".
    pub noticed: String,
    pub rules: Vec<Rule>,
}

/// A figurative use: a word of the `quiets` group does not count where one of the `near`
/// words, or a word of one of the `near_groups`, stands within `within` words of it
/// ("mind-numbing", "fever pitch", a child who fell). With `within` 0 only a `near` phrase
/// that includes the word itself counts (a denial: "no numbness"). With `after`, the word
/// is quieted only when it comes after the `near` words: the cause told first ("sat cross
/// legged and my foot went numb"), never a comparison told after the sign ("numb, like when
/// you sit cross legged, but it does not pass"). With `before`, only when it comes before
/// them: an event told as history before it is said to be over ("came off a horse in 2016,
/// fully healed"), never a new one told after ("fully healed, then I fell again today").
/// With `who`, only a word told of someone else: a word of that group stands at most
/// [`WHO_WITHIN`] words from it ("my son took a tumble ... he's fine"), or, in an entry with
/// `before`, before it in the same clause (no comma or full stop between) at most
/// [`SUBJECT_WITHIN`] words away with no word of `not_who` between ("meine Oma ist letzte
/// Woche im Supermarkt ausgerutscht ... nix passiert"), or it
/// stands at most
/// [`STORY_WITHIN`] words after a word the entry already took as theirs (the story goes
/// on: "my brother totaled his truck, slid on black ice ... he's fine"); such an entry may
/// look up to [`MAX_STORY_WITHIN`] words ahead, since a story about someone else is often
/// long before it says they are fine. With `not_who` too, not where a word of that group
/// stands within [`NOT_WHO_WITHIN`] words ("carrying my son, went down the steps on my
/// back"). No word of `not_near_groups` may stand within
/// `within` either ("he says he's fine").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figurative {
    pub quiets: String,
    pub near: Vec<String>,
    /// Groups whose words count as `near` words too, so one list (children, devices) serves
    /// every entry that needs it.
    pub near_groups: Vec<String>,
    pub within: usize,
    /// Only a word told after the `near` words is quieted.
    pub after: bool,
    /// Only a word told before the `near` words is quieted.
    pub before: bool,
    /// Only a word told of the people (or pets) of this group is quieted.
    pub who: Option<String>,
    /// ...and not one told with a word of this group close by ("landed on my back").
    pub not_who: Option<String>,
    /// Groups whose words, within `within`, keep the word counting ("he says he's fine").
    pub not_near_groups: Vec<String>,
    /// Shipped with the bot (part of the floor), rather than added by a moderator: only
    /// shipped entries may quiet an emergency concept or a word a two-group rule needs.
    pub built_in: bool,
}

/// A message made of one word of each of a rule's groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub flag: String,
    pub tier: Tier,
    pub rule: String,
    pub text: String,
}

/// What a language file says about its language (`[language]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageInfo {
    /// The language's own name for itself ("Español").
    #[serde(default)]
    pub name: String,
    /// Words skipped when counting a rule's window (English has its own list).
    #[serde(default)]
    pub filler: Vec<String>,
    /// Regional and dialect spellings read as the standard word (`[language.spellings]`,
    /// `nicht = ["ned", "net", "ni"]`), so every group and rule that has the standard word
    /// reads them too, and a dialect filler word ("mei" for "mein") is filler.
    #[serde(default)]
    pub spellings: BTreeMap<String, Vec<String>>,
}

/// The sentences of a seek-care reply in a language other than English (`[replies]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replies {
    /// "You mentioned a warning sign."
    pub mentioned_none: String,
    /// "You mentioned {sign}."
    pub mentioned_one: String,
    /// "You mentioned:", before a list.
    pub mentioned_many: String,
    /// The not-medical-advice line.
    pub not_medical_advice: String,
    /// Said before an answer from a guide that has no translation in the language.
    pub guide_in_english: String,
    /// Labels of an answer from a translated guide: the hold time ("Hold"), the safety
    /// note ("Safety"), and the source line ("From the guide \"{guide}\".").
    #[serde(default)]
    pub hold: Option<String>,
    #[serde(default)]
    pub safety: Option<String>,
    #[serde(default)]
    pub from_guide: Option<String>,
    /// A no-match in a translated guide: the opening line, and the line after the topics.
    #[serde(default)]
    pub no_match: Option<String>,
    #[serde(default)]
    pub try_asking: Option<String>,
}

/// The effective red flags: the floor plus the moderators' file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedFlags {
    /// The language the words are in.
    pub lang: Lang,
    pub language: LanguageInfo,
    /// The reply's sentences, for a language other than English (English has its own).
    pub replies: Option<Replies>,
    pub emergency: TierText,
    pub urgent: TierText,
    pub groups: Vec<Group>,
    pub flags: Vec<Flag>,
    pub figurative: Vec<Figurative>,
}

impl RedFlags {
    pub fn tier_text(&self, tier: Tier) -> &TierText {
        match tier {
            Tier::Emergency => &self.emergency,
            Tier::Urgent => &self.urgent,
        }
    }

    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// Example messages for every rule: the `n`th word of each of its groups, side by side
    /// ("numb legs"). Each must escalate to its flag's tier; tests and `backcare check` use
    /// them.
    pub fn examples(&self, n: usize) -> Vec<Example> {
        let mut examples = Vec::new();
        for flag in &self.flags {
            for rule in &flag.rules {
                let groups: Option<Vec<&Group>> =
                    rule.groups.iter().map(|g| self.group(g)).collect();
                let Some(groups) = groups else { continue };
                let most = groups.iter().map(|g| g.words.len()).max().unwrap_or(0);
                for k in 0..n.min(most) {
                    let words: Vec<&str> = groups
                        .iter()
                        .filter(|g| !g.words.is_empty())
                        .map(|g| g.words[k % g.words.len()].as_str())
                        .collect();
                    examples.push(Example {
                        flag: flag.id.clone(),
                        tier: flag.tier,
                        rule: rule.to_string(),
                        text: words.join(" "),
                    });
                }
            }
        }
        examples
    }

    fn empty(lang: Lang) -> RedFlags {
        RedFlags {
            lang,
            language: LanguageInfo::default(),
            replies: None,
            emergency: missing_tier(),
            urgent: missing_tier(),
            groups: Vec::new(),
            flags: Vec::new(),
            figurative: Vec::new(),
        }
    }

    /// The built-in floor alone.
    pub fn floor() -> RedFlags {
        RedFlags::floor_of(Lang::En)
    }

    /// The built-in floor of a language.
    pub fn floor_of(lang: Lang) -> RedFlags {
        RedFlags::floor_ref(lang).clone()
    }

    /// The built-in floor of a language, parsed once per process when first needed. A unit
    /// test parses every floor, so a broken floor never ships and this cannot fail at run
    /// time.
    pub fn floor_ref(lang: Lang) -> &'static RedFlags {
        static PARSED: [OnceLock<RedFlags>; Lang::ALL.len()] =
            [const { OnceLock::new() }; Lang::ALL.len()];
        PARSED[lang.index()].get_or_init(|| {
            let name = format!("built-in {}", file_name(lang));
            match parse_file(lang, &name, floor_text(lang), &RedFlags::empty(lang)) {
                Ok(file) if file.problems.is_empty() => file.red_flags,
                Ok(file) => panic!("{name} is invalid: {:?}", file.problems),
                Err(problems) => panic!("{name} is invalid: {problems:?}"),
            }
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    language: Option<LanguageInfo>,
    replies: Option<Replies>,
    #[serde(default)]
    tiers: BTreeMap<Tier, TierText>,
    #[serde(default)]
    groups: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    groups_as_written: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    flags: Vec<Spanned<RawFlag>>,
    #[serde(default)]
    figurative: Vec<Spanned<RawFigurative>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlag {
    id: String,
    tier: Tier,
    noticed: String,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFigurative {
    quiets: Spanned<OneOrMany>,
    #[serde(default)]
    near: Vec<Spanned<String>>,
    #[serde(default)]
    near_groups: Vec<Spanned<String>>,
    within: Option<Spanned<usize>>,
    #[serde(default)]
    after: bool,
    #[serde(default)]
    before: bool,
    who: Option<Spanned<String>>,
    not_who: Option<Spanned<String>>,
    #[serde(default)]
    not_near_groups: Vec<Spanned<String>>,
}

/// `quiets = "fall"` or `quiets = ["fall", "crash"]`: several groups quieted alike.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn items(&self) -> &[String] {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one),
            OneOrMany::Many(many) => many,
        }
    }
}

/// A file parsed and checked on its own, before it is laid over the floor.
struct Parsed {
    red_flags: RedFlags,
    /// What stops the file from loading; the rest is still checked, so every problem is
    /// reported together.
    problems: Vec<Problem>,
    /// Where each thing was written, for problems found after parsing.
    lines: Lines,
    warnings: Vec<Problem>,
}

#[derive(Default)]
struct Lines {
    groups: BTreeMap<String, usize>,
    /// (group, word as written) to line.
    words: BTreeMap<(String, String), usize>,
    /// (flag id, rule as displayed) to line.
    rules: BTreeMap<(String, String), usize>,
    flags: BTreeMap<String, usize>,
    figurative: Vec<usize>,
}

/// The outcome of reading a moderator's red-flag file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub red_flags: RedFlags,
    /// Things worth fixing that do not stop the file from loading: an unused group, a rule
    /// another already covers, a built-in word the file no longer lists.
    pub warnings: Vec<Problem>,
}

/// Parses the moderators' (English) red-flag file and lays it over the floor.
#[cfg(test)]
pub fn parse(name: &str, text: &str) -> Result<Loaded, Vec<Problem>> {
    parse_lang(Lang::En, name, text)
}

/// Parses the moderators' red-flag file of a language and lays it over its floor.
pub fn parse_lang(lang: Lang, name: &str, text: &str) -> Result<Loaded, Vec<Problem>> {
    let floor = RedFlags::floor_of(lang);
    // The usual case: the file is the one that shipped, which is the floor itself.
    if text == floor_text(lang) {
        return Ok(Loaded {
            red_flags: floor,
            warnings: Vec::new(),
        });
    }
    let parsed = parse_file(lang, name, text, &floor)?;
    let mut warnings = parsed.warnings;
    warnings.extend(weakened(name, &floor, &parsed.red_flags, &parsed.lines));
    let added: Vec<(Figurative, usize)> = parsed
        .red_flags
        .figurative
        .iter()
        .cloned()
        .zip(parsed.lines.figurative.iter().copied())
        .filter(|(entry, _)| !floor.figurative.iter().any(|f| same_figurative(f, entry)))
        .collect();
    let red_flags = merge(floor, parsed.red_flags);
    let mut problems = parsed.problems;
    problems.extend(check_added_figurative(name, &red_flags, &added));
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Loaded {
        red_flags,
        warnings,
    })
}

/// Parses one file. Its rules may use its own groups and those of `base` (the floor).
fn parse_file(lang: Lang, name: &str, text: &str, base: &RedFlags) -> Result<Parsed, Vec<Problem>> {
    let trusted = name.starts_with("built-in ");
    let file: File = toml::from_str(text).map_err(|err| {
        let line = err
            .span()
            .map(|s| LineIndex::new(text).of(s.start))
            .unwrap_or(0);
        vec![Problem::new(name, line, toml_message(&err, text))]
    })?;
    let language = file
        .language
        .clone()
        .unwrap_or_else(|| base.language.clone());
    let filler = Filler::new(lang, &language.filler);
    let line_index = LineIndex::new(text);
    let at = |offset: usize| line_index.of(offset);
    let mut problems = Vec::new();
    problems.extend(spelling_problems(name, &language.spellings, || {
        text.find("[language.spellings]")
            .or_else(|| text.find("spellings"))
            .map_or(0, &at)
    }));
    let mut warnings = Vec::new();
    let mut lines = Lines::default();

    let morph = crate::morph::Morph::for_lang(lang);
    let mut groups = Vec::new();
    for (table, as_written) in [(&file.groups, false), (&file.groups_as_written, true)] {
        for (group_name, words) in table {
            let line = at(group_name.span().start);
            let group_name = group_name.get_ref().clone();
            if !is_name(&group_name) {
                problems.push(Problem::new(name, line, format!("group name `{group_name}`: use lower-case letters, digits and _ only, e.g. both_legs")));
            }
            if lines.groups.insert(group_name.clone(), line).is_some() {
                problems.push(Problem::new(name, line, format!("group `{group_name}` is defined twice (in [groups] and [groups_as_written]); keep one")));
            }
            let mut seen: BTreeMap<Vec<String>, String> = BTreeMap::new();
            let mut kept = Vec::new();
            for word in words {
                let written = word.get_ref().trim().to_owned();
                // The floor is checked by a unit test, word by word, as a moderator's file;
                // at every start it is only read.
                if trusted {
                    kept.push(written);
                    continue;
                }
                let line = at(word.span().start);
                lines
                    .words
                    .insert((group_name.clone(), written.clone()), line);
                match entry_problem(&written, &filler) {
                    Some(problem) => problems.push(Problem::new(
                        name,
                        line,
                        format!("group `{group_name}`: {problem}"),
                    )),
                    None => {
                        let key = entry_key(&written, as_written, &morph, &filler);
                        if let Some(first) = seen.insert(key, written.clone()) {
                            warnings.push(Problem::new(name, line, format!("group `{group_name}`: \"{written}\" is the same word as \"{first}\" once endings are removed (numb, numbness, numbed are one word); keep one")));
                        }
                        kept.push(written);
                    }
                }
            }
            if kept.is_empty() && words.is_empty() {
                problems.push(Problem::new(name, line, format!("group `{group_name}` has no words; add some, e.g. {group_name} = [\"numb\", \"tingling\"]")));
            }
            groups.push(Group {
                name: group_name,
                words: kept,
                as_written,
            });
        }
    }

    let mut known = lines.groups.clone();
    for group in &base.groups {
        known.entry(group.name.clone()).or_insert(0);
    }
    let mut flags: Vec<Flag> = Vec::new();
    for spanned in &file.flags {
        let line = at(spanned.span().start);
        let raw = spanned.get_ref();
        if !is_flag_id(&raw.id) {
            problems.push(Problem::new(name, line, format!("red flag id `{}`: use lower-case letters, digits and hyphens, e.g. both-legs-numb", raw.id)));
        }
        if let Some(first) = lines.flags.insert(raw.id.clone(), line) {
            problems.push(Problem::new(
                name,
                line,
                format!(
                    "red flag `{}` is defined twice (also at line {first}); merge the two",
                    raw.id
                ),
            ));
        }
        if raw.noticed.trim().is_empty() {
            problems.push(Problem::new(
                name,
                line,
                format!(
                    "red flag `{}` needs `noticed`, completing \"You mentioned ...\"",
                    raw.id
                ),
            ));
        }
        if raw.rules.is_empty() {
            problems.push(Problem::new(name, line, format!("red flag `{}` has no rules; add at least one, e.g. rules = [\"numb + leg within 3\"]", raw.id)));
        }
        let mut rules = Vec::new();
        for rule in &raw.rules {
            let rule_line = at(rule.span().start);
            match Rule::parse(rule.get_ref()) {
                Ok(parsed) => {
                    for group in &parsed.groups {
                        if !known.contains_key(group) {
                            problems.push(Problem::new(
                                name,
                                rule_line,
                                unknown_group(group, &known),
                            ));
                        }
                    }
                    lines
                        .rules
                        .insert((raw.id.clone(), parsed.to_string()), rule_line);
                    rules.push(parsed);
                }
                Err(problem) => problems.push(Problem::new(
                    name,
                    rule_line,
                    format!("rule \"{}\": {problem}", rule.get_ref()),
                )),
            }
        }
        flags.push(Flag {
            id: raw.id.clone(),
            tier: raw.tier,
            noticed: raw.noticed.clone(),
            rules,
        });
    }

    let mut figurative = Vec::new();
    for spanned in &file.figurative {
        let line = at(spanned.span().start);
        let raw = spanned.get_ref();
        let quiets_line = at(raw.quiets.span().start);
        let mut quieted = Vec::new();
        for group in raw.quiets.get_ref().items() {
            let group_name = group.trim().to_owned();
            if !known.contains_key(&group_name) {
                problems.push(Problem::new(
                    name,
                    quiets_line,
                    format!(
                        "figurative `quiets`: {}",
                        unknown_group(&group_name, &known)
                    ),
                ));
            }
            quieted.push(group_name);
        }
        if quieted.is_empty() {
            problems.push(Problem::new(name, line, "a figurative entry's `quiets` names no group: name the group whose words it quiets, e.g. quiets = \"fever\""));
        }
        if raw.near.is_empty() && raw.near_groups.is_empty() {
            problems.push(Problem::new(name, line, "a figurative entry needs `near` or `near_groups`: the words that make the use figurative, e.g. near = [\"mind\"] or near_groups = [\"child\"]"));
        }
        let mut known_groups = |field: &str, groups: &[&Spanned<String>]| -> Vec<String> {
            let mut names = Vec::new();
            for group in groups {
                let group_name = group.get_ref().trim();
                if known.contains_key(group_name) {
                    names.push(group_name.to_owned());
                } else {
                    problems.push(Problem::new(
                        name,
                        at(group.span().start),
                        format!(
                            "figurative `{field}`: {}",
                            unknown_group(group_name, &known)
                        ),
                    ));
                }
            }
            names
        };
        let near_groups = known_groups("near_groups", &raw.near_groups.iter().collect::<Vec<_>>());
        let not_near_groups = known_groups(
            "not_near_groups",
            &raw.not_near_groups.iter().collect::<Vec<_>>(),
        );
        let who = known_groups("who", &raw.who.iter().collect::<Vec<_>>())
            .into_iter()
            .next();
        let not_who = known_groups("not_who", &raw.not_who.iter().collect::<Vec<_>>())
            .into_iter()
            .next();
        if not_who.is_some() && raw.who.is_none() {
            problems.push(Problem::new(name, line, "`not_who` needs `who`: it names the words that keep a word the member's own when someone else is also near"));
        }
        let mut near = Vec::new();
        for word in &raw.near {
            match entry_problem(word.get_ref(), &filler) {
                Some(problem) => problems.push(Problem::new(
                    name,
                    at(word.span().start),
                    format!("figurative `near`: {problem}"),
                )),
                None => near.push(word.get_ref().trim().to_owned()),
            }
        }
        let widest = if raw.who.is_some() {
            MAX_STORY_WITHIN
        } else {
            MAX_WITHIN
        };
        let within = match &raw.within {
            Some(within) if !(0..=widest).contains(within.get_ref()) => {
                problems.push(Problem::new(
                    name,
                    at(within.span().start),
                    format!("`within {}` is outside 0 to {MAX_WITHIN} (0: only where a `near` phrase includes the word itself, as \"no numbness\"; up to {MAX_STORY_WITHIN} with `who`, for a story told of someone else)", within.get_ref()),
                ));
                DEFAULT_WITHIN
            }
            Some(within) if *within.get_ref() == 1 => {
                problems.push(Problem::new(
                    name,
                    at(within.span().start),
                    "`within 1` reaches no neighbour: write `within = 2` for words side by side, or `within = 0` for a `near` phrase that takes in the word itself",
                ));
                DEFAULT_WITHIN
            }
            Some(within) => *within.get_ref(),
            None => 2,
        };
        if raw.after && raw.before {
            problems.push(Problem::new(
                name,
                line,
                "`after = true` and `before = true` together would quiet nothing: keep the one that fits (after: the cause is told first; before: the word is told first, then said to be over)",
            ));
        }
        for quiets in quieted {
            lines.figurative.push(quiets_line);
            figurative.push(Figurative {
                quiets,
                near: near.clone(),
                near_groups: near_groups.clone(),
                within,
                after: raw.after,
                before: raw.before,
                who: who.clone(),
                not_who: not_who.clone(),
                not_near_groups: not_near_groups.clone(),
                built_in: trusted,
            });
        }
    }

    let red_flags = RedFlags {
        lang,
        language,
        replies: file.replies.clone().or_else(|| base.replies.clone()),
        emergency: file
            .tiers
            .get(&Tier::Emergency)
            .cloned()
            .unwrap_or_else(missing_tier),
        urgent: file
            .tiers
            .get(&Tier::Urgent)
            .cloned()
            .unwrap_or_else(missing_tier),
        groups,
        flags,
        figurative,
    };
    if problems.is_empty() && !trusted {
        warnings.extend(lint(name, &red_flags, &lines));
    }
    Ok(Parsed {
        red_flags,
        lines,
        warnings,
        problems,
    })
}

fn is_flag_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Spellings must be single words, and a spelling may be read as only one word.
fn spelling_problems(
    name: &str,
    spellings: &BTreeMap<String, Vec<String>>,
    line: impl Fn() -> usize,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut read_as: BTreeMap<String, &str> = BTreeMap::new();
    for (standard, variants) in spellings {
        if text::words(&text::canonical(standard), text::Markdown::Split).len() != 1 {
            problems.push(Problem::new(name, line(), format!("spellings: \"{standard}\" is not one word; a spelling stands for one word, e.g. nicht = [\"ned\", \"net\"]")));
        }
        for variant in variants {
            let canonical = text::canonical(variant);
            if text::words(&canonical, text::Markdown::Split).len() != 1 {
                problems.push(Problem::new(name, line(), format!("spellings: \"{variant}\" (under {standard}) is not one word; list phrases in the groups instead")));
            }
            match read_as.insert(canonical, standard) {
                Some(other) if other != standard => problems.push(Problem::new(name, line(), format!("spellings: \"{variant}\" is listed under both {other} and {standard}; keep it under one"))),
                _ => {}
            }
        }
    }
    problems
}

/// The filler words of a file's language.
struct Filler {
    lang: Lang,
    words: BTreeSet<String>,
}

impl Filler {
    fn new(lang: Lang, words: &[String]) -> Filler {
        Filler {
            lang,
            words: words.iter().map(|w| text::canonical(w)).collect(),
        }
    }

    fn contains(&self, word: &str) -> bool {
        match self.lang {
            Lang::En => text::is_filler(word),
            _ => self.words.contains(word),
        }
    }
}

/// What is wrong with a group word or phrase, if anything.
fn entry_problem(written: &str, filler: &Filler) -> Option<String> {
    let words = text::words(written, text::Markdown::Split);
    if words.is_empty() {
        return Some(format!("\"{written}\" has no letters or digits; remove it"));
    }
    if words.iter().all(|w| filler.contains(w)) {
        return Some(format!(
            "\"{written}\" is made only of filler words ({}), which never count on their own; write a word that carries meaning",
            words.join(", ")
        ));
    }
    None
}

/// Two entries with the same key are the same to the matcher.
fn entry_key(
    written: &str,
    as_written: bool,
    morph: &crate::morph::Morph,
    filler: &Filler,
) -> Vec<String> {
    let written = match filler.lang {
        Lang::En => std::borrow::Cow::Borrowed(written),
        _ => text::split_elisions(written),
    };
    text::words(&written, text::Markdown::Split)
        .into_iter()
        .map(|w| {
            if as_written || filler.contains(&w) {
                w
            } else if filler.lang != Lang::En {
                morph.term(&w).into_owned()
            } else {
                match (crate::morph::irregular(&w), crate::morph::english_stem(&w)) {
                    (None, Some(stem)) => stem.to_owned(),
                    _ => morph.term(&w).into_owned(),
                }
            }
        })
        .collect()
}

fn unknown_group(group: &str, known: &BTreeMap<String, usize>) -> String {
    let close = known
        .keys()
        .filter(|k| strsim_close(group, k))
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>();
    let hint = if close.is_empty() {
        "define it under [groups], e.g. ".to_owned() + group + " = [\"word\", \"short phrase\"]"
    } else {
        format!("did you mean {}?", close.join(" or "))
    };
    format!("unknown group `{group}`: {hint}")
}

/// Names one typo apart, or one the start of the other ("leg" for "legs_plural").
fn strsim_close(a: &str, b: &str) -> bool {
    crate::morph::within_one_edit(a, b)
        || (a.len() >= 3 && b.starts_with(a))
        || (b.len() >= 3 && a.starts_with(b))
}

/// Explains a TOML syntax error in a moderator's terms, with the likely fix.
pub(crate) fn toml_message(err: &toml::de::Error, text: &str) -> String {
    let message = err.message().trim().replace('\n', " ");
    let line_text = err
        .span()
        .and_then(|s| {
            text[..s.start.min(text.len())]
                .rsplit('\n')
                .next()
                .map(|before| {
                    let rest = &text[s.start.min(text.len())..];
                    format!("{before}{}", rest.split('\n').next().unwrap_or(""))
                })
        })
        .unwrap_or_default();
    let hint = if line_text.contains(['\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}']) {
        "; the line has curly quotes (“ ” ‘ ’), probably pasted from a word processor: type straight quotes \" instead"
    } else if message.contains("expected `,`")
        || message.contains("expected `]`")
        || message.contains("missing comma")
    {
        "; a list needs a comma between items: [\"numb\", \"tingling\"]"
    } else if message.contains("unclosed")
        || message.contains("expected `]`")
        || message.contains("newline") && line_text.contains('[') && !line_text.contains(']')
    {
        "; a bracket or quote is not closed: every [ needs its ] and every \" its closing \""
    } else if message.contains("duplicate key") {
        "; the same name is written twice in one table; merge the two"
    } else {
        // An unknown field's message already names the fields allowed in its table (in
        // words.toml as in red-flags.toml).
        ""
    };
    format!("invalid TOML: {message}{hint}")
}

fn missing_tier() -> TierText {
    TierText {
        heading: "Please get this checked".to_owned(),
        advice: "Please stop self-treatment and see a health professional.".to_owned(),
    }
}

/// The group whose words change the subject ("anyway", "on another note"): no rule or
/// figurative entry reaches across one of them, so "a static shock zapping up my arm, anyway,
/// back question" does not put the zapping in the back. Rules need not name it.
pub const TOPIC_BREAK: &str = "topic_break";

/// Warnings about a file that loads: unused groups, rules covered by others.
fn lint(name: &str, red_flags: &RedFlags, lines: &Lines) -> Vec<Problem> {
    let mut warnings = Vec::new();
    let used: BTreeSet<&str> = red_flags
        .flags
        .iter()
        .flat_map(|f| f.rules.iter().flat_map(|r| r.groups.iter()))
        .chain(red_flags.figurative.iter().map(|f| &f.quiets))
        .chain(red_flags.figurative.iter().flat_map(|f| &f.near_groups))
        .chain(red_flags.figurative.iter().flat_map(|f| &f.not_near_groups))
        .chain(red_flags.figurative.iter().flat_map(|f| &f.who))
        .chain(red_flags.figurative.iter().flat_map(|f| &f.not_who))
        .map(String::as_str)
        .chain([TOPIC_BREAK])
        .collect();
    for group in &red_flags.groups {
        if !used.contains(group.name.as_str()) {
            let line = lines.groups.get(&group.name).copied().unwrap_or(0);
            warnings.push(Problem::new(
                name,
                line,
                format!(
                    "group `{}` is not used by any rule; use it in a rule or remove it",
                    group.name
                ),
            ));
        }
    }
    for flag in &red_flags.flags {
        for rule in &flag.rules {
            // A rule covers another when it matches whatever the other does, with evidence
            // as strong (a two-group rule is what lets a watched channel reply).
            let covering = flag.rules.iter().find(|other| {
                *other != rule
                    && other.groups.iter().all(|g| rule.groups.contains(g))
                    && (other.groups.len() == 1 || other.within >= rule.within)
                    && other.is_strong(flag.tier) >= rule.is_strong(flag.tier)
            });
            if let Some(other) = covering {
                let line = lines
                    .rules
                    .get(&(flag.id.clone(), rule.to_string()))
                    .copied()
                    .unwrap_or(0);
                warnings.push(Problem::new(name, line, format!("rule \"{rule}\" of `{}` is already covered by \"{other}\", which matches everything it does; remove one", flag.id)));
            }
        }
    }
    warnings
}

/// Warnings for what the file tries to take away from the floor (it still applies).
fn weakened(name: &str, floor: &RedFlags, file: &RedFlags, lines: &Lines) -> Vec<Problem> {
    let mut warnings = Vec::new();
    let still = "it is built in and still counts";
    for group in &floor.groups {
        let Some(mine) = file.group(&group.name) else {
            warnings.push(Problem::new(
                name,
                0,
                format!("built-in group `{}` is missing; {still}", group.name),
            ));
            continue;
        };
        for word in group.words.iter().filter(|w| !mine.words.contains(w)) {
            let line = lines.groups.get(&group.name).copied().unwrap_or(0);
            warnings.push(Problem::new(
                name,
                line,
                format!(
                    "group `{}` no longer lists the built-in \"{word}\"; {still}",
                    group.name
                ),
            ));
        }
    }
    for flag in &floor.flags {
        let Some(mine) = file.flags.iter().find(|f| f.id == flag.id) else {
            warnings.push(Problem::new(
                name,
                0,
                format!("built-in red flag `{}` is missing; {still}", flag.id),
            ));
            continue;
        };
        let line = lines.flags.get(&flag.id).copied().unwrap_or(0);
        if mine.tier < flag.tier {
            warnings.push(Problem::new(
                name,
                line,
                format!(
                    "red flag `{}` is built in as {}; a lower tier is ignored",
                    flag.id, flag.tier
                ),
            ));
        }
        for rule in &flag.rules {
            let same = mine.rules.iter().find(|r| same_groups(r, rule));
            match same {
                Some(r) if r.within < rule.within && rule.groups.len() > 1 => {
                    let line = lines
                        .rules
                        .get(&(flag.id.clone(), r.to_string()))
                        .copied()
                        .unwrap_or(line);
                    warnings.push(Problem::new(name, line, format!("rule \"{r}\" narrows the built-in \"{rule}\"; the wider window still applies")));
                }
                Some(_) => {}
                None => warnings.push(Problem::new(
                    name,
                    line,
                    format!(
                        "red flag `{}` no longer has the built-in rule \"{rule}\"; {still}",
                        flag.id
                    ),
                )),
            }
        }
    }
    warnings
}

fn same_groups(a: &Rule, b: &Rule) -> bool {
    let set = |r: &Rule| r.groups.iter().cloned().collect::<BTreeSet<_>>();
    set(a) == set(b)
}

/// Folds a moderator's file into the floor without losing anything of the floor.
fn merge(mut floor: RedFlags, file: RedFlags) -> RedFlags {
    floor.emergency = file.emergency;
    floor.urgent = file.urgent;
    floor.language = file.language;
    floor.replies = file.replies;
    for group in file.groups {
        match floor.groups.iter_mut().find(|g| g.name == group.name) {
            Some(existing) => {
                for word in group.words {
                    if !existing.words.contains(&word) {
                        existing.words.push(word);
                    }
                }
            }
            None => floor.groups.push(group),
        }
    }
    for flag in file.flags {
        match floor.flags.iter_mut().find(|f| f.id == flag.id) {
            Some(existing) => {
                existing.tier = existing.tier.max(flag.tier);
                if !flag.noticed.trim().is_empty() {
                    existing.noticed = flag.noticed;
                }
                for rule in flag.rules {
                    match existing.rules.iter_mut().find(|r| same_groups(r, &rule)) {
                        Some(r) => r.within = r.within.max(rule.within),
                        None => existing.rules.push(rule),
                    }
                }
            }
            None => floor.flags.push(flag),
        }
    }
    for entry in file.figurative {
        if !floor.figurative.iter().any(|f| same_figurative(f, &entry)) {
            floor.figurative.push(Figurative {
                built_in: false,
                ..entry
            });
        }
    }
    floor
}

fn same_figurative(a: &Figurative, b: &Figurative) -> bool {
    a.quiets == b.quiets
        && a.near == b.near
        && a.near_groups == b.near_groups
        && a.after == b.after
        && a.before == b.before
        && a.within == b.within
        && a.who == b.who
        && a.not_who == b.not_who
        && a.not_near_groups == b.not_near_groups
}

/// A figurative entry a moderator added may quiet only words that count on their own for
/// an urgent flag: never an emergency concept, never a word a two-group rule needs.
fn check_added_figurative(
    name: &str,
    red_flags: &RedFlags,
    added: &[(Figurative, usize)],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (entry, line) in added {
        let silenced = red_flags.flags.iter().find_map(|flag| {
            flag.rules
                .iter()
                .find(|rule| rule.groups.contains(&entry.quiets) && rule.is_strong(flag.tier))
                .map(|rule| (flag, rule))
        });
        if let Some((flag, rule)) = silenced {
            problems.push(Problem::new(name, *line, format!(
                "this figurative entry would quiet `{}`, which the {} rule \"{rule}\" of `{}` needs; an entry you add may only quiet a group that counts on its own for an urgent flag. Narrow the group instead, or ask for the built-in list to change",
                entry.quiets, flag.tier, flag.id
            )));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_floor_is_valid_and_covers_both_tiers() {
        let floor = RedFlags::floor();
        assert!(floor.flags.iter().any(|f| f.tier == Tier::Emergency));
        assert!(floor.flags.iter().any(|f| f.tier == Tier::Urgent));
        assert!(floor.flags.iter().all(|f| !f.rules.is_empty()));
        assert!(floor.figurative.iter().all(|f| f.built_in));
    }

    #[test]
    fn the_shipped_file_loads_without_warnings() {
        let loaded = parse("red-flags.toml", FLOOR).unwrap();
        assert_eq!(loaded.red_flags, RedFlags::floor());
        assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
        // `parse` takes the shipped text as the floor without reading it again, so check it
        // word by word as a moderator's edit would be: a problem here would surface at the
        // first edit of any other line.
        let checked = parse_file(Lang::En, "red-flags.toml", FLOOR, &RedFlags::floor())
            .unwrap_or_else(|problems| panic!("{problems:#?}"));
        assert!(checked.problems.is_empty(), "{:#?}", checked.problems);
        assert!(checked.warnings.is_empty(), "{:#?}", checked.warnings);
    }

    #[test]
    fn every_shipped_language_loads_without_warnings_and_covers_every_emergency() {
        let english = RedFlags::floor();
        let mut found = Vec::new();
        for (lang, text) in LANGUAGE_FLOORS {
            let name = file_name(lang);
            match parse_file(lang, &name, text, &RedFlags::floor_of(lang)) {
                Ok(checked) => found.extend(checked.problems.into_iter().chain(checked.warnings)),
                Err(problems) => found.extend(problems),
            }
        }
        let found: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(found.is_empty(), "{}", found.join("\n"));
        for (lang, _) in LANGUAGE_FLOORS {
            let name = file_name(lang);
            let floor = RedFlags::floor_of(lang);
            assert_eq!(floor.lang, lang);
            let replies = floor
                .replies
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: no [replies]"));
            assert!(replies.mentioned_one.contains("{sign}"), "{name}");
            for number in ["112", "911", "999"] {
                assert!(floor.emergency.advice.contains(number), "{name}: {number}");
            }
            for flag in &english.flags {
                let own = floor.flags.iter().find(|f| f.id == flag.id);
                assert!(
                    own.is_some_and(|f| f.tier == flag.tier && !f.rules.is_empty()),
                    "{name} lacks `{}`",
                    flag.id
                );
            }
        }
    }

    #[test]
    fn an_empty_file_keeps_every_built_in_flag() {
        let loaded = parse("r.toml", "").unwrap();
        assert_eq!(loaded.red_flags.flags, RedFlags::floor().flags);
        assert!(!loaded.warnings.is_empty());
    }

    /// The red-flag part of the moderator's guide.
    fn guide_section() -> &'static str {
        let guide = include_str!("../../docs/knowledge.md");
        let start = guide.find("## Red flags").unwrap_or(0);
        let end = guide[start..]
            .find("\n## Regression")
            .map_or(guide.len(), |e| start + e);
        &guide[start..end]
    }

    #[test]
    fn the_moderators_guide_states_the_rules_the_code_applies() {
        let guide = guide_section();
        let filler = guide
            .split("**Filler words**")
            .nth(1)
            .and_then(|rest| rest.split('.').next())
            .unwrap_or_default();
        for word in crate::text::FILLER {
            let listed = filler
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == *word);
            assert!(
                listed,
                "docs/knowledge.md does not list the filler word {word:?}"
            );
        }
        let typo = format!("a word of {} letters or more", crate::morph::TYPO_MIN_CHARS);
        assert!(guide.contains(&typo), "docs/knowledge.md must say {typo:?}");
        let window = format!("a rule's window is {DEFAULT_WITHIN}; it may be 1 to {MAX_WITHIN}");
        assert!(
            guide.replace('\n', " ").contains(&window),
            "must say {window:?}"
        );
        for (form, base) in [
            ("woke", "wake"),
            ("fell", "fall"),
            ("feet", "foot"),
            ("peed", "pee"),
        ] {
            assert_eq!(crate::morph::irregular(form), Some(base), "{form}");
        }
    }

    #[test]
    fn every_example_in_the_moderators_guide_is_a_valid_edit() {
        let guide = guide_section();
        let blocks: Vec<&str> = guide
            .split("```toml\n")
            .skip(1)
            .filter_map(|b| b.split("```").next())
            .collect();
        assert!(blocks.len() >= 3);
        for block in blocks {
            if let Err(problems) = parse("red-flags.toml", block) {
                panic!("docs/knowledge.md example does not load: {problems:?}\n{block}");
            }
        }
    }

    #[test]
    fn rules_parse_with_and_without_a_window() {
        assert_eq!(
            Rule::parse("numb + leg within 3").unwrap(),
            Rule {
                groups: vec!["numb".into(), "leg".into()],
                within: 3
            }
        );
        assert_eq!(Rule::parse("numb").unwrap().groups, ["numb"]);
        assert_eq!(Rule::parse(" numb+leg ").unwrap().within, DEFAULT_WITHIN);
        for bad in [
            "numb + leg within 0",
            "numb + leg within 100",
            "numb + + leg",
            "",
            "numb + leg within x",
            "a + b + c within 2",
            "Numb",
            "numb + numb",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad}");
        }
    }

    fn problems(text: &str) -> Vec<String> {
        parse("r.toml", text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn bad_edits_name_the_line_and_the_fix() {
        let base = "[groups]\nnumb = [\"numb\"]\nleg = [\"leg\"]\n\n[[flags]]\nid = \"x\"\ntier = \"urgent\"\nnoticed = \"x\"\n";
        let unknown = problems(&format!("{base}rules = [\"numbb + leg within 3\"]\n"));
        assert_eq!(unknown.len(), 1, "{unknown:?}");
        assert!(unknown[0].starts_with("r.toml:9: "), "{unknown:?}");
        assert!(unknown[0].contains("did you mean `numb`"), "{unknown:?}");
        let empty = problems(&format!("{base}rules = [\" + \"]\n"));
        assert!(empty[0].contains("at least one group"), "{empty:?}");
        for window in ["0", "100"] {
            let p = problems(&format!("{base}rules = [\"numb + leg within {window}\"]\n"));
            assert!(
                p[0].starts_with("r.toml:9: ") && p[0].contains("outside 1 to"),
                "{p:?}"
            );
        }
        let filler = problems("[groups]\nwhen = [\"all the\"]\n");
        assert!(
            filler[0].starts_with("r.toml:2: ") && filler[0].contains("only of filler"),
            "{filler:?}"
        );
    }

    #[test]
    fn smart_quotes_and_missing_commas_get_a_hint() {
        let smart = problems("[groups]\nnumb = [“numb”]\n");
        assert!(smart[0].contains("curly quotes"), "{smart:?}");
        let comma = problems("[groups]\nnumb = [\"numb\" \"tingling\"]\n");
        assert!(
            comma[0].starts_with("r.toml:2: ") && comma[0].contains("comma"),
            "{comma:?}"
        );
    }

    #[test]
    fn edits_add_words_and_rules_but_cannot_remove_or_lower_built_ins() {
        let floor = RedFlags::floor();
        let emergency = floor
            .flags
            .iter()
            .find(|f| f.tier == Tier::Emergency)
            .unwrap();
        let group = &emergency.rules[0].groups[0];
        let text = format!(
            "[groups]\n{group} = [\"brand new word\"]\nwobbly = [\"wobbly toes\"]\n\n[[flags]]\nid = \"{}\"\ntier = \"urgent\"\nnoticed = \"x\"\nrules = [\"wobbly\"]\n",
            emergency.id
        );
        let loaded = parse("r.toml", &text).unwrap();
        let merged = loaded.red_flags;
        let edited = merged.flags.iter().find(|f| f.id == emergency.id).unwrap();
        assert_eq!(edited.tier, Tier::Emergency);
        assert!(emergency.rules.iter().all(|r| edited.rules.contains(r)));
        let words = &merged.group(group).unwrap().words;
        assert!(floor
            .group(group)
            .unwrap()
            .words
            .iter()
            .all(|w| words.contains(w)));
        assert!(words.contains(&"brand new word".to_owned()));
        assert!(loaded
            .warnings
            .iter()
            .any(|w| w.message.contains("lower tier is ignored")));
    }

    #[test]
    fn an_added_figurative_entry_may_not_quiet_an_emergency_or_two_group_rule() {
        let floor = RedFlags::floor();
        let (flag, rule) = floor
            .flags
            .iter()
            .flat_map(|f| f.rules.iter().map(move |r| (f, r)))
            .find(|(f, r)| r.is_strong(f.tier))
            .unwrap();
        let text = format!(
            "\n[[figurative]]\nquiets = \"{}\"\nnear = [\"banana\"]\n",
            rule.groups[0]
        );
        let p = problems(&text);
        assert!(p[0].starts_with("r.toml:3: "), "{p:?}");
        assert!(p[0].contains("would quiet"), "{p:?}");
        let _ = flag;
    }

    #[test]
    fn a_figurative_entry_may_name_groups_whose_words_count_as_near() {
        let p = problems("\n[[figurative]]\nquiets = \"fever\"\nnear_groups = [\"chlid\"]\n");
        assert!(p[0].starts_with("r.toml:4: "), "{p:?}");
        assert!(p[0].contains("did you mean `child`"), "{p:?}");
        let p = problems("\n[[figurative]]\nquiets = \"fever\"\n");
        assert!(p[0].contains("needs `near` or `near_groups`"), "{p:?}");
    }

    #[test]
    fn a_figurative_entry_may_quiet_several_groups_and_tell_whose_word_it_is() {
        let text = "\n[[figurative]]\nquiets = [\"fever\", \"chills\"]\nnear = [\"fine\"]\nwithin = 30\nwho = \"child\"\n";
        let loaded = parse("r.toml", text).unwrap_or_else(|p| panic!("{p:?}"));
        let added: Vec<&Figurative> = loaded
            .red_flags
            .figurative
            .iter()
            .filter(|f| f.who.as_deref() == Some("child"))
            .collect();
        let quieted: Vec<&str> = added.iter().map(|f| f.quiets.as_str()).collect();
        assert_eq!(quieted, ["fever", "chills"]);
        assert!(added.iter().all(|f| f.within == 30 && !f.built_in));
        // Without `who`, a window of 30 is refused; `not_who` alone is refused too.
        let p = problems("\n[[figurative]]\nquiets = \"fever\"\nnear = [\"fine\"]\nwithin = 30\n");
        assert!(p.iter().any(|p| p.contains("outside 0 to")), "{p:?}");
        let p = problems(
            "\n[[figurative]]\nquiets = \"fever\"\nnear = [\"fine\"]\nnot_who = \"child\"\n",
        );
        assert!(
            p.iter().any(|p| p.contains("`not_who` needs `who`")),
            "{p:?}"
        );
    }

    #[test]
    fn a_spelling_is_one_word_and_stands_for_one_word() {
        let p = problems("[language.spellings]\nnot = [\"nae\"]\nnothing = [\"nae\"]\n");
        assert!(p.iter().any(|p| p.contains("listed under both")), "{p:?}");
        let p = problems("[language.spellings]\nnot = [\"no way\"]\n");
        assert!(p.iter().any(|p| p.contains("is not one word")), "{p:?}");
    }

    #[test]
    fn a_figurative_entry_is_either_after_or_before_its_near_words() {
        let p = problems(
            "\n[[figurative]]\nquiets = \"fever\"\nnear = [\"pitch\"]\nafter = true\nbefore = true\n",
        );
        assert!(p[0].starts_with("r.toml:2: "), "{p:?}");
        assert!(p[0].contains("would quiet nothing"), "{p:?}");
    }

    #[test]
    fn a_figurative_window_of_0_quiets_only_inside_its_own_phrase() {
        let p = problems("\n[[figurative]]\nquiets = \"fever\"\nnear = [\"x\"]\nwithin = 13\n");
        assert!(p[0].contains("outside 0 to 12"), "{p:?}");
    }

    #[test]
    fn a_figurative_window_of_1_is_refused_as_it_reaches_no_neighbour() {
        // Words side by side are 2 apart, so `within 1` quietly acted as `within 0`.
        let p = problems("\n[[figurative]]\nquiets = \"fever\"\nnear = [\"pitch\"]\nwithin = 1\n");
        assert!(p[0].starts_with("r.toml:5: "), "{p:?}");
        assert!(p[0].contains("within = 2"), "{p:?}");
    }
}
