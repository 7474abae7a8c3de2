//! Turns the engine's replies into Discord embeds, within Discord's size limits.
//!
//! Wording comes from the engine ([`crate::reply`]); this module only lays it out. It sends
//! nothing.

use serenity::all::{Colour, CreateAllowedMentions, CreateEmbed, CreateEmbedFooter};

use crate::knowledge::{Kind, Knowledge, Tier};
use crate::reply::{
    condition_line, out_of_scope_text, Labels, NoMatch, OverviewReply, Reply, SectionReply,
    SeekCare, NOT_MEDICAL_ADVICE, OVERVIEW_MORE,
};
use crate::text::truncate_chars;

/// Discord's embed and message limits, in characters.
pub const MAX_TITLE: usize = 256;
pub const MAX_DESCRIPTION: usize = 4096;
pub const MAX_FIELD_NAME: usize = 256;
pub const MAX_FIELD_VALUE: usize = 1024;
pub const MAX_FIELDS: usize = 25;
pub const MAX_FOOTER: usize = 2048;
pub const MAX_EMBED_TOTAL: usize = 6000;
pub const MAX_CONTENT: usize = 2000;

pub const ANSWER_COLOUR: Colour = Colour::from_rgb(0x3b, 0xa5, 0x5d);
const INFO_COLOUR: Colour = Colour::BLURPLE;

/// Mentions allowed in every message the bot sends: none, not even the member it replies to.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new().replied_user(false)
}

/// An embed's parts before they become a [`CreateEmbed`], so limits can be enforced and tested.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbedParts {
    pub title: String,
    pub description: String,
    pub colour: Colour,
    pub fields: Vec<(String, String)>,
    pub footer: String,
}

impl EmbedParts {
    /// Cuts every part to Discord's limits, then the whole embed to 6,000 characters, taking
    /// from the description and the last fields first (the title and footer carry the safety
    /// wording and are kept).
    pub fn fit(mut self) -> EmbedParts {
        self.title = truncate_chars(&self.title, MAX_TITLE);
        self.description = truncate_chars(&self.description, MAX_DESCRIPTION);
        self.footer = truncate_chars(&self.footer, MAX_FOOTER);
        self.fields.truncate(MAX_FIELDS);
        for (name, value) in &mut self.fields {
            *name = truncate_chars(name, MAX_FIELD_NAME);
            *value = truncate_chars(value, MAX_FIELD_VALUE);
        }
        while self.total() > MAX_EMBED_TOTAL {
            let over = self.total() - MAX_EMBED_TOTAL;
            let description = self.description.chars().count();
            if description > 200 {
                let keep = description.saturating_sub(over).max(200);
                self.description = truncate_chars(&self.description, keep);
            } else if self.fields.pop().is_none() {
                self.description =
                    truncate_chars(&self.description, description.saturating_sub(over));
                break;
            }
        }
        self
    }

    /// The characters Discord counts towards the 6,000 total.
    pub fn total(&self) -> usize {
        let count = |s: &str| s.chars().count();
        count(&self.title)
            + count(&self.description)
            + count(&self.footer)
            + self
                .fields
                .iter()
                .map(|(n, v)| count(n) + count(v))
                .sum::<usize>()
    }

    pub fn build(self) -> CreateEmbed {
        let parts = self.fit();
        let mut embed = CreateEmbed::new()
            .title(parts.title)
            .colour(parts.colour)
            .footer(CreateEmbedFooter::new(parts.footer));
        if !parts.description.is_empty() {
            embed = embed.description(parts.description);
        }
        for (name, value) in parts.fields {
            embed = embed.field(name, value, false);
        }
        embed
    }
}

/// The embed for any reply.
pub fn reply_parts(reply: &Reply) -> EmbedParts {
    match reply {
        Reply::SeekCare(care) => seek_care(care),
        Reply::Section(answer) => section_answer(answer),
        Reply::Overview(overview) => overview_parts(overview),
        Reply::NoMatch(none) => no_match(none),
        Reply::Greeting(_) => EmbedParts {
            title: "Hi!".to_owned(),
            description: reply.text(),
            colour: INFO_COLOUR,
            fields: Vec::new(),
            footer: NOT_MEDICAL_ADVICE.to_owned(),
        },
    }
    .fit()
}

pub fn reply_embed(reply: &Reply) -> CreateEmbed {
    reply_parts(reply).build()
}

fn seek_care(care: &SeekCare) -> EmbedParts {
    EmbedParts {
        title: format!("⚠️ {}", care.heading),
        description: format!("{}\n\n{}", care.noticed_text(), care.advice),
        colour: Colour::RED,
        fields: Vec::new(),
        footer: care.disclaimer.clone(),
    }
}

fn section_answer(answer: &SectionReply) -> EmbedParts {
    let mut description = String::new();
    if let Some(note) = &answer.note {
        description.push_str(&format!("*{note}*\n\n"));
    }
    if let Some(condition) = &answer.condition {
        description.push_str(&format!("**{}**\n\n", condition_line(condition)));
    }
    if let Some(follow_up) = &answer.follow_up {
        description.push_str(&format!("{}\n\n", follow_up.line(&answer.title)));
    }
    for paragraph in &answer.paragraphs {
        description.push_str(paragraph);
        description.push_str("\n\n");
    }
    for (n, step) in answer.steps.iter().enumerate() {
        description.push_str(&format!("{}. {step}\n", n + 1));
    }
    for point in &answer.points {
        description.push_str(&format!("• {point}\n"));
    }
    let mut fields = Vec::new();
    if let Some(hold) = &answer.hold {
        fields.push((answer.labels.hold.clone(), hold.clone()));
    }
    if let Some(safety) = &answer.safety {
        fields.push((answer.labels.safety.clone(), safety.clone()));
    }
    EmbedParts {
        // A person's answer: the section's title, no kind label ("(info)").
        title: answer.title.clone(),
        description: description.trim_end().to_owned(),
        colour: ANSWER_COLOUR,
        fields,
        footer: answer.labels.footer(&answer.guide),
    }
}

/// The overview: warm-up steps, a line per technique and the key precaution, each part a
/// field; the menu under it opens any part in full.
fn overview_parts(overview: &OverviewReply) -> EmbedParts {
    let fields = overview
        .parts
        .iter()
        .map(|part| {
            let value = if part.steps.is_empty() {
                part.line.clone()
            } else {
                let steps: Vec<String> = part
                    .steps
                    .iter()
                    .enumerate()
                    .map(|(n, step)| format!("{}. {step}", n + 1))
                    .collect();
                steps.join("\n")
            };
            let name = match part.kind {
                Kind::Precaution | Kind::SeekHelp => format!("⚠️ {}", part.title),
                _ => part.title.clone(),
            };
            (name, value)
        })
        .collect();
    EmbedParts {
        title: format!("{}: an overview", overview.guide),
        description: match &overview.note {
            Some(note) => format!("*{note}*\n\n{}\n\n{OVERVIEW_MORE}", overview.summary),
            None => format!("{}\n\n{OVERVIEW_MORE}", overview.summary),
        },
        colour: ANSWER_COLOUR,
        fields,
        footer: format!(
            "From the guide \"{}\". {NOT_MEDICAL_ADVICE}",
            overview.guide
        ),
    }
}

fn no_match(none: &NoMatch) -> EmbedParts {
    // A guide in another language than the member's says so first.
    let mut description = none
        .note
        .as_ref()
        .map_or_else(String::new, |note| format!("*{note}*\n\n"));
    if let Some(scope) = &none.out_of_scope {
        description.push_str(&out_of_scope_text(scope));
        return EmbedParts {
            title: "Not something I cover".to_owned(),
            description,
            colour: INFO_COLOUR,
            fields: Vec::new(),
            footer: NOT_MEDICAL_ADVICE.to_owned(),
        };
    }
    // A translated guide's own words where it has them ("No encontré eso en mi guía").
    let english = Labels::default();
    description.push_str(&none.labels.no_match);
    description.push('\n');
    for topic in &none.topics {
        description.push_str(&format!("• {}\n", topic.title));
    }
    if none.labels.try_asking == english.try_asking {
        description.push_str("\nTry `/techniques`, or ask about one of these.");
    } else {
        description.push_str(&format!("\n{}", none.labels.try_asking));
    }
    EmbedParts {
        title: "No match in the guides".to_owned(),
        description,
        colour: INFO_COLOUR,
        fields: Vec::new(),
        footer: none.labels.disclaimer.clone(),
    }
}

/// `/techniques`: every technique and warm-up, grouped by guide.
pub fn techniques(knowledge: &Knowledge) -> EmbedParts {
    let mut fields = Vec::new();
    for guide in &knowledge.guides {
        let lines: Vec<String> = guide
            .sections
            .iter()
            .filter(|s| matches!(s.kind, Kind::Technique | Kind::Warmup))
            .map(|s| match s.paragraphs.first() {
                Some(first) => format!("**{}**: {}", s.title, truncate_chars(first, 120)),
                None => format!("**{}**", s.title),
            })
            .collect();
        if !lines.is_empty() {
            fields.push((guide.title.clone(), lines.join("\n")));
        }
    }
    let description = if fields.is_empty() {
        "The guides have no techniques yet.".to_owned()
    } else {
        "Warm up first, move gently, and stop if anything hurts. Use `/technique` to see one in full."
            .to_owned()
    };
    EmbedParts {
        title: "Techniques and warm-ups".to_owned(),
        description,
        colour: ANSWER_COLOUR,
        fields,
        footer: NOT_MEDICAL_ADVICE.to_owned(),
    }
    .fit()
}

/// `/redflags`: the warning signs of each tier and what to do about them.
pub fn red_flags(knowledge: &Knowledge) -> EmbedParts {
    let flags = &knowledge.red_flags;
    let mut fields = Vec::new();
    for tier in [Tier::Emergency, Tier::Urgent] {
        let text = flags.tier_text(tier);
        let mut signs: Vec<String> = Vec::new();
        for flag in flags.flags.iter().filter(|f| f.tier == tier) {
            let sign = format!("• {}", flag.noticed);
            if !signs.contains(&sign) {
                signs.push(sign);
            }
        }
        if signs.is_empty() {
            continue;
        }
        fields.push((
            format!("{}: {}", tier_label(tier), text.heading),
            format!("{}\n**What to do:** {}", signs.join("\n"), text.advice),
        ));
    }
    EmbedParts {
        title: "⚠️ Warning signs: get care instead of cracking".to_owned(),
        description: "If you notice any of these, don't try to crack or stretch it out. I check every message for them first.".to_owned(),
        colour: Colour::RED,
        fields,
        footer: NOT_MEDICAL_ADVICE.to_owned(),
    }
    .fit()
}

fn tier_label(tier: Tier) -> &'static str {
    match tier {
        Tier::Emergency => "Emergency",
        Tier::Urgent => "Urgent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn huge() -> EmbedParts {
        EmbedParts {
            title: "t".repeat(400),
            description: "d".repeat(5000),
            colour: Colour::RED,
            fields: vec![("n".repeat(300), "v".repeat(2000)); 30],
            footer: "f".repeat(3000),
        }
    }

    #[test]
    fn every_part_and_the_total_fit_discords_limits() {
        let parts = huge().fit();
        assert!(parts.title.chars().count() <= MAX_TITLE);
        assert!(parts.description.chars().count() <= MAX_DESCRIPTION);
        assert!(parts.footer.chars().count() <= MAX_FOOTER);
        assert!(parts.fields.len() <= MAX_FIELDS);
        for (name, value) in &parts.fields {
            assert!(name.chars().count() <= MAX_FIELD_NAME);
            assert!(value.chars().count() <= MAX_FIELD_VALUE);
        }
        assert!(parts.total() <= MAX_EMBED_TOTAL, "{}", parts.total());
    }

    #[test]
    fn seek_care_is_red_and_says_what_was_noticed() {
        let care = SeekCare {
            tier: Tier::Emergency,
            heading: "Get emergency care now".into(),
            noticed: vec![crate::reply::Noticed {
                sign: "numbness in the groin".into(),
                words: "numb down there".into(),
            }],
            advice: "Call emergency services.".into(),
            lang: crate::language::Lang::En,
            disclaimer: NOT_MEDICAL_ADVICE.into(),
            note: None,
            sentences: crate::reply::english_replies(),
        };
        let parts = reply_parts(&Reply::SeekCare(care));
        assert_eq!(parts.colour, Colour::RED);
        assert!(parts.title.contains("Get emergency care now"));
        assert!(parts.description.contains("numbness in the groin"));
        assert!(parts.description.contains("Call emergency services."));
    }

    #[test]
    fn a_no_match_speaks_the_members_language_where_it_can() {
        let topic = crate::reply::Topic {
            id: "warm-up".into(),
            title: "Calienta primero".into(),
            kind: Kind::Warmup,
        };
        let spanish = NoMatch {
            note: None,
            topics: vec![topic.clone()],
            out_of_scope: None,
            labels: Labels {
                no_match: "No encontré eso en mi guía.".into(),
                try_asking: "Prueba a preguntar por uno de estos temas.".into(),
                disclaimer: "No es consejo médico.".into(),
                ..Labels::default()
            },
        };
        let parts = reply_parts(&Reply::NoMatch(spanish));
        assert!(parts.description.starts_with("No encontré eso en mi guía."));
        assert!(parts.description.contains("Prueba a preguntar"));
        assert!(!parts.description.contains("couldn't find"));
        assert_eq!(parts.footer, "No es consejo médico.");
        // No guide in the member's language: the English no-match, said to be English first.
        let german = NoMatch {
            note: Some("Mein Leitfaden ist auf Englisch.".into()),
            topics: vec![topic],
            out_of_scope: None,
            labels: Labels::default(),
        };
        let parts = reply_parts(&Reply::NoMatch(german));
        assert!(parts
            .description
            .starts_with("*Mein Leitfaden ist auf Englisch.*"));
        assert!(parts.description.contains("/techniques"));
    }

    #[test]
    fn no_mentions_allows_nobody() {
        let value = serde_json::to_value(no_mentions()).unwrap();
        assert_eq!(value["parse"], serde_json::json!([]));
        assert_eq!(value["replied_user"], serde_json::json!(false));
    }
}
