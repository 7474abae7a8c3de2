//! The guided warm-up: the guide's warm-up section as timed steps, for `/warmup`.
//!
//! A step's time comes from its own words ("cat-cow stretches for about 30 seconds"); a step
//! that names none is not given one (no time is invented): the member moves on when ready.

use serde::Serialize;

use crate::knowledge::{Kind, Knowledge};

/// The warm-up, ready to walk through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarmupPlan {
    /// The warm-up section's id.
    pub id: String,
    pub title: String,
    pub guide: String,
    pub steps: Vec<WarmupStep>,
    /// Said at the end: the guide's key precaution.
    pub closing: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarmupStep {
    pub text: String,
    /// How long the step says to keep going, if it says.
    pub seconds: Option<u32>,
}

impl WarmupPlan {
    /// The first warm-up section of the guides, with its guide's precaution line; `None`
    /// when no guide has a warm-up with steps.
    pub fn from_knowledge(knowledge: &Knowledge) -> Option<WarmupPlan> {
        let (guide, section) = knowledge
            .sections()
            .find(|(_, s)| s.kind == Kind::Warmup && !s.steps.is_empty())?;
        Some(WarmupPlan {
            id: section.id.clone(),
            title: section.title.clone(),
            guide: guide.title.clone(),
            steps: section
                .steps
                .iter()
                .map(|text| WarmupStep {
                    text: text.clone(),
                    seconds: seconds_in(text),
                })
                .collect(),
            closing: guide.safety_line().map(str::to_owned),
        })
    }
}

/// The time a step names: "about 30 seconds" → 30, "a minute" → 60, "5-10 seconds" → 10
/// (the longer end), "2 minutes" → 120. `None` when it names none.
pub fn seconds_in(text: &str) -> Option<u32> {
    let words: Vec<String> = text
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.' || c == ';')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.iter().enumerate().find_map(|(i, word)| {
        let unit = match word.trim_end_matches('s') {
            "second" | "sec" => 1,
            "minute" | "min" => 60,
            _ => return None,
        };
        let amount = words.get(i.checked_sub(1)?)?;
        let number = match amount.as_str() {
            "a" | "one" => 1,
            _ => amount.rsplit(['-', '–']).next()?.parse::<u32>().ok()?,
        };
        (number > 0).then_some(number * unit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_names_its_time_or_gets_none() {
        assert_eq!(
            seconds_in("Do cat-cow stretches for about 30 seconds."),
            Some(30)
        );
        assert_eq!(seconds_in("Stay there for 5-10 seconds."), Some(10));
        assert_eq!(seconds_in("Walk gently for a minute"), Some(60));
        assert_eq!(seconds_in("walk for 2 minutes, then rest"), Some(120));
        assert_eq!(
            seconds_in("Lie on your back and make some gentle pelvic tilts."),
            None
        );
        assert_eq!(seconds_in("Repeat 3 times"), None);
        assert_eq!(seconds_in("seconds matter"), None);
    }

    #[test]
    fn the_shipped_warm_up_keeps_the_guides_times() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let plan = WarmupPlan::from_knowledge(&Knowledge::load(&dir).unwrap()).unwrap();
        assert_eq!(plan.steps.len(), 3);
        assert_eq!(plan.steps[0].seconds, Some(30));
        assert!(plan.steps[0].text.contains("cat-cow"));
        assert_eq!(plan.steps[1].seconds, None);
        assert!(plan.closing.unwrap().contains("never force"));
    }
}
