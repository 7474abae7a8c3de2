//! Parses `red-flags.toml` and merges it over the built-in floor compiled into the binary.
//!
//! The floor (`src/triage/floor.toml`) is the set of warning signs the bot always knows.
//! A moderator's file can add phrases and flags, and raise a flag's tier, but never remove
//! or weaken a built-in one: a bad edit must not make a red flag go quiet.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::problem::{line_of, Problem};

/// The built-in floor, compiled in.
pub const FLOOR: &str = include_str!("../triage/floor.toml");

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

/// One warning sign and the everyday phrasings that reveal it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flag {
    pub id: String,
    pub tier: Tier,
    /// Completes "You mentioned ...".
    pub noticed: String,
    /// How many other words may stand between the words of a phrase.
    #[serde(default)]
    pub gap: Option<usize>,
    pub phrases: Vec<String>,
}

/// Default for [`Flag::gap`].
pub const DEFAULT_GAP: usize = 2;

impl Flag {
    pub fn gap(&self) -> usize {
        self.gap.unwrap_or(DEFAULT_GAP)
    }
}

/// The effective red flags: floor plus the moderators' file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedFlags {
    pub emergency: TierText,
    pub urgent: TierText,
    pub flags: Vec<Flag>,
}

impl RedFlags {
    pub fn tier_text(&self, tier: Tier) -> &TierText {
        match tier {
            Tier::Emergency => &self.emergency,
            Tier::Urgent => &self.urgent,
        }
    }

    /// The built-in floor alone.
    pub fn floor() -> RedFlags {
        // Parsed once per process. The floor is checked by a unit test, so a broken floor
        // never ships and this cannot panic at run time.
        static PARSED: LazyLock<RedFlags> =
            LazyLock::new(|| match parse_file("floor.toml", FLOOR) {
                Ok(file) => file.into_red_flags(None),
                Err(problems) => panic!("built-in red-flag floor is invalid: {problems:?}"),
            });
        PARSED.clone()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    tiers: BTreeMap<Tier, TierText>,
    #[serde(default)]
    flags: Vec<toml::Spanned<Flag>>,
}

impl File {
    fn into_red_flags(mut self, base: Option<RedFlags>) -> RedFlags {
        let mut flags: Vec<Flag> = Vec::new();
        let (emergency, urgent) = match base {
            Some(base) => {
                flags = base.flags;
                (
                    self.tiers
                        .remove(&Tier::Emergency)
                        .unwrap_or(base.emergency),
                    self.tiers.remove(&Tier::Urgent).unwrap_or(base.urgent),
                )
            }
            None => (
                self.tiers
                    .remove(&Tier::Emergency)
                    .unwrap_or_else(missing_tier),
                self.tiers
                    .remove(&Tier::Urgent)
                    .unwrap_or_else(missing_tier),
            ),
        };
        for flag in self.flags.into_iter().map(toml::Spanned::into_inner) {
            match flags.iter_mut().find(|f| f.id == flag.id) {
                Some(existing) => merge(existing, flag),
                None => flags.push(flag),
            }
        }
        RedFlags {
            emergency,
            urgent,
            flags,
        }
    }
}

fn missing_tier() -> TierText {
    TierText {
        heading: "Please get this checked".to_owned(),
        advice: "Please stop self-treatment and see a health professional.".to_owned(),
    }
}

/// Folds a moderator's version of a built-in flag into it without losing anything.
fn merge(builtin: &mut Flag, edited: Flag) {
    builtin.tier = builtin.tier.max(edited.tier);
    if !edited.noticed.trim().is_empty() {
        builtin.noticed = edited.noticed;
    }
    builtin.gap = match (builtin.gap, edited.gap) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(DEFAULT_GAP).max(b.unwrap_or(DEFAULT_GAP))),
    };
    for phrase in edited.phrases {
        if !builtin.phrases.contains(&phrase) {
            builtin.phrases.push(phrase);
        }
    }
}

fn parse_file(name: &str, text: &str) -> Result<File, Vec<Problem>> {
    let file: File = toml::from_str(text).map_err(|err| {
        let line = err.span().map(|s| line_of(text, s.start)).unwrap_or(0);
        vec![Problem::new(
            name,
            line,
            format!("invalid TOML: {}", err.message().trim()),
        )]
    })?;
    let mut problems = Vec::new();
    let mut seen = BTreeMap::new();
    for spanned in &file.flags {
        let line = line_of(text, spanned.span().start);
        let flag = spanned.get_ref();
        if flag.id.trim().is_empty() {
            problems.push(Problem::new(name, line, "a red flag has an empty `id`"));
        }
        if let Some(first) = seen.insert(flag.id.clone(), line) {
            problems.push(Problem::new(
                name,
                line,
                format!(
                    "red flag `{}` is defined twice (also at line {first}); merge the two",
                    flag.id
                ),
            ));
        }
        let usable = flag
            .phrases
            .iter()
            .filter(|p| !crate::triage::phrase_slots(p).is_empty())
            .count();
        if usable == 0 {
            problems.push(Problem::new(
                name,
                line,
                format!(
                    "red flag `{}` has no phrases; add at least one, e.g. phrases = [\"numb legs\"]",
                    flag.id
                ),
            ));
        }
        if flag.noticed.trim().is_empty() {
            problems.push(Problem::new(
                name,
                line,
                format!(
                    "red flag `{}` needs `noticed`, completing \"You mentioned ...\"",
                    flag.id
                ),
            ));
        }
    }
    if problems.is_empty() {
        Ok(file)
    } else {
        Err(problems)
    }
}

/// Parses the moderators' red-flag file and lays it over the floor.
pub fn parse(name: &str, text: &str) -> Result<RedFlags, Vec<Problem>> {
    let file = parse_file(name, text)?;
    Ok(file.into_red_flags(Some(RedFlags::floor())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_is_valid_and_covers_both_tiers() {
        let floor = RedFlags::floor();
        assert!(floor.flags.iter().any(|f| f.tier == Tier::Emergency));
        assert!(floor.flags.iter().any(|f| f.tier == Tier::Urgent));
        assert!(floor.flags.iter().all(|f| !f.phrases.is_empty()));
    }

    #[test]
    fn an_empty_file_keeps_every_built_in_flag() {
        assert_eq!(parse("r.toml", "").unwrap(), RedFlags::floor());
    }

    #[test]
    fn edits_add_phrases_and_flags_but_cannot_remove_or_lower_built_ins() {
        let floor = RedFlags::floor();
        let emergency = floor
            .flags
            .iter()
            .find(|f| f.tier == Tier::Emergency)
            .unwrap();
        let text = format!(
            "[[flags]]\nid = \"{}\"\ntier = \"urgent\"\nnoticed = \"x\"\nphrases = [\"brand new phrase\"]\n\n[[flags]]\nid = \"new-flag\"\ntier = \"urgent\"\nnoticed = \"y\"\nphrases = [\"wobbly toes\"]\n",
            emergency.id
        );
        let merged = parse("r.toml", &text).unwrap();
        let edited = merged.flags.iter().find(|f| f.id == emergency.id).unwrap();
        assert_eq!(edited.tier, Tier::Emergency);
        assert!(emergency.phrases.iter().all(|p| edited.phrases.contains(p)));
        assert!(edited.phrases.contains(&"brand new phrase".to_owned()));
        assert!(merged.flags.iter().any(|f| f.id == "new-flag"));
        assert_eq!(merged.flags.len(), floor.flags.len() + 1);
    }

    #[test]
    fn a_flag_without_phrases_is_reported_at_its_line() {
        let text = "\n[[flags]]\nid = \"x\"\ntier = \"urgent\"\nnoticed = \"x\"\nphrases = []\n";
        let problems = parse("r.toml", text).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0]
            .to_string()
            .starts_with("r.toml:2: red flag `x` has no phrases"));
    }

    #[test]
    fn invalid_toml_and_unknown_tiers_name_the_line() {
        let problems = parse("r.toml", "[[flags]]\nid = \"x\"\ntier = \"severe\"\n").unwrap_err();
        let message = problems[0].to_string();
        assert!(message.starts_with("r.toml:3: invalid TOML"), "{message}");
    }
}
