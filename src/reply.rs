//! Reply composition: what the bot says, as structured parts and as chat text.
//!
//! Every front end words its answer from here, so the command line shows exactly what the bot
//! would say. Text fits a Discord message (2,000 characters); nothing here knows Discord.

use serde::Serialize;

use crate::knowledge::{Guide, Kind, RedFlags, Replies, Section, Tier};
use crate::language::Lang;
use crate::reading::OutOfScope;
use crate::text::truncate_chars;
use crate::triage::FlagHit;

/// The last line of every reply.
pub const NOT_MEDICAL_ADVICE: &str =
    "I'm a bot sharing general back-care information, not medical advice.";

/// The seek-care reply for a message with red flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeekCare {
    pub tier: Tier,
    /// The language the reply is written in.
    pub lang: Lang,
    pub heading: String,
    /// What the member mentioned, one entry per flag, highest tier first.
    pub noticed: Vec<Noticed>,
    pub advice: String,
    /// The not-medical-advice line, in the reply's language.
    pub disclaimer: String,
    /// Set when the member's language has no translation of the reply: one line saying so,
    /// before the reply in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    pub sentences: Replies,
}

/// The sentences of the English reply.
pub fn english_replies() -> Replies {
    Replies {
        mentioned_none: "You mentioned a warning sign.".to_owned(),
        mentioned_one: "You mentioned {sign}.".to_owned(),
        mentioned_many: "You mentioned:".to_owned(),
        not_medical_advice: NOT_MEDICAL_ADVICE.to_owned(),
        guide_in_english: String::new(),
        hold: None,
        safety: None,
        from_guide: None,
        no_match: None,
        try_asking: None,
    }
}

/// The words around an answer, in the language of the guide it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub hold: String,
    pub safety: String,
    /// With `{guide}` for the guide's title.
    pub from_guide: String,
    pub disclaimer: String,
    pub no_match: String,
    pub try_asking: String,
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            hold: "Hold".to_owned(),
            safety: "Safety".to_owned(),
            from_guide: "From the guide \"{guide}\".".to_owned(),
            disclaimer: NOT_MEDICAL_ADVICE.to_owned(),
            no_match: "I couldn't find that in my guides. Here is what I can help with:".to_owned(),
            try_asking: "Try asking about one of these, for example \"how do I warm up before cracking my back?\"".to_owned(),
        }
    }
}

impl Labels {
    /// A language's labels, each falling back to English where the file has none.
    pub fn from_replies(replies: &Replies) -> Labels {
        let english = Labels::default();
        let or = |own: &Option<String>, english: String| own.clone().unwrap_or(english);
        Labels {
            hold: or(&replies.hold, english.hold),
            safety: or(&replies.safety, english.safety),
            from_guide: or(&replies.from_guide, english.from_guide),
            disclaimer: replies.not_medical_advice.clone(),
            no_match: or(&replies.no_match, english.no_match),
            try_asking: or(&replies.try_asking, english.try_asking),
        }
    }

    /// The source line and disclaimer under an answer.
    pub fn footer(&self, guide: &str) -> String {
        format!(
            "{} {}",
            self.from_guide.replace("{guide}", guide),
            self.disclaimer
        )
    }
}

/// One warning sign in a member's message: what it is, in the member's own words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Noticed {
    /// The sign, as the red-flag file words it ("numbness or tingling in both legs").
    pub sign: String,
    /// The member's words that revealed it ("my legs are numb").
    pub words: String,
}

/// Signs named in one reply at most; a message rarely has more, and the advice matters more.
const MAX_NOTICED: usize = 4;

/// A guide section as an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionReply {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    pub guide: String,
    pub paragraphs: Vec<String>,
    pub steps: Vec<String>,
    pub points: Vec<String>,
    pub hold: Option<String>,
    pub safety: Option<String>,
    /// A condition the member named that needs a professional's go-ahead before cracking
    /// (`words.toml`), as the reply names it; set on the when-to-see-a-professional answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Set when this answers a follow-up on an earlier answer ("how long do I hold it?"):
    /// the lines above are then only those that answer it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpNote>,
    /// Where a member may want to go next, at most three, chosen from the guide: front ends
    /// offer them as buttons.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<NextStep>,
    /// A line before the answer, in the member's language: that the guide is in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    pub labels: Labels,
}

/// A next step under an answer ("Warm up first"), opening another section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStep {
    pub label: String,
    /// The section it opens.
    pub section: String,
}

/// What a follow-up asked, and whether the section says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpNote {
    /// As `words.toml` names it ("how long to hold it").
    pub asked: String,
    /// False when no line of the section answers it: the whole section follows.
    pub found: bool,
}

impl FollowUpNote {
    /// The sentence the answer opens with.
    pub fn line(&self, title: &str) -> String {
        if self.found {
            let mut asked = self.asked.chars();
            let first = asked.next().map(|c| c.to_uppercase().collect::<String>());
            format!("{}{}:", first.unwrap_or_default(), asked.as_str())
        } else {
            format!(
                "The guide doesn't say {} for the {}; here it is in full.",
                self.asked,
                title.to_lowercase()
            )
        }
    }
}

/// The broad answer: a guide's chosen sections, each in brief, for "how do I crack my lower
/// back?". Front ends offer each part as a button or menu entry that opens it in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverviewReply {
    pub guide: String,
    pub summary: String,
    pub parts: Vec<OverviewPart>,
    /// A line before the overview, in the member's language: that the guide is in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One section of an overview, in brief.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverviewPart {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    /// One line: the section's first sentence.
    pub line: String,
    /// A warm-up's steps, which are short and come first.
    pub steps: Vec<String>,
}

/// A friendly line for greetings and thanks, with one question to try.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Greeting {
    pub covers: String,
    pub example: String,
}

/// What the bot can help with, when nothing matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoMatch {
    /// Said first, in the member's language, when the guides are in another one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub topics: Vec<Topic>,
    /// Set when the question is clearly about something the guides do not cover: what it
    /// was about, in the member's word ("knee", "egg").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_scope: Option<OutOfScopeNote>,
    #[serde(skip)]
    pub labels: Labels,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutOfScopeNote {
    pub why: OutOfScope,
    pub word: String,
    /// What the guides cover ("the lower back").
    pub covers: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Topic {
    pub id: String,
    pub title: String,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    SeekCare(SeekCare),
    /// One section of a guide ("answer" in JSON, as before the rename).
    #[serde(rename = "answer")]
    Section(SectionReply),
    Overview(OverviewReply),
    NoMatch(NoMatch),
    Greeting(Greeting),
}

impl SeekCare {
    /// The reply in the language of `red_flags` (the member's), with each sign as that
    /// language's file words it. A language without translated sentences gets the English
    /// reply, and a line that says so: never silence.
    pub fn new(hits: &[FlagHit], red_flags: &RedFlags) -> SeekCare {
        let tier = hits.iter().map(|h| h.tier).max().unwrap_or(Tier::Urgent);
        let translated = red_flags.lang == Lang::En || red_flags.replies.is_some();
        let english;
        let (text, sentences, note) = if translated {
            let sentences = red_flags.replies.clone().unwrap_or_else(english_replies);
            (red_flags.tier_text(tier), sentences, None)
        } else {
            english = RedFlags::floor();
            let note = format!(
                "(This reply is not yet translated into {}, so it is in English.)",
                red_flags.lang.english_name()
            );
            (english.tier_text(tier), english_replies(), Some(note))
        };
        let mut noticed: Vec<Noticed> = Vec::new();
        for hit in hits {
            let sign = match red_flags.flags.iter().find(|f| *f.id == *hit.id) {
                Some(flag) if translated => flag.noticed.clone(),
                _ => hit.noticed.to_string(),
            };
            if !noticed.iter().any(|n| n.sign == sign) {
                noticed.push(Noticed {
                    sign,
                    words: hit.matched.clone(),
                });
            }
        }
        SeekCare {
            tier,
            lang: if translated { red_flags.lang } else { Lang::En },
            heading: text.heading.clone(),
            noticed,
            advice: text.advice.clone(),
            disclaimer: sentences.not_medical_advice.clone(),
            note,
            sentences,
        }
    }

    /// What the member mentioned, quoting their words: one sentence for one sign, a list
    /// for several.
    pub fn noticed_text(&self) -> String {
        let quoted = |n: &Noticed| {
            format!(
                "{} (\u{201c}{}\u{201d})",
                n.sign,
                truncate_chars(&n.words, 80)
            )
        };
        let sentences = &self.sentences;
        let text = match self.noticed.as_slice() {
            [] => sentences.mentioned_none.clone(),
            [one] => sentences.mentioned_one.replace("{sign}", &quoted(one)),
            several => {
                let mut text = sentences.mentioned_many.clone();
                for n in several.iter().take(MAX_NOTICED) {
                    text.push_str("\n• ");
                    text.push_str(&quoted(n));
                }
                text
            }
        };
        match &self.note {
            Some(note) => format!("{note}\n{text}"),
            None => text,
        }
    }
}

impl SectionReply {
    pub fn new(guide: &Guide, section: &Section) -> SectionReply {
        SectionReply {
            id: section.id.clone(),
            title: section.title.clone(),
            kind: section.kind,
            guide: guide.title.clone(),
            paragraphs: section.paragraphs.clone(),
            steps: section.steps.clone(),
            points: section.points.clone(),
            hold: section.hold.clone(),
            // A precaution section is its own safety line.
            safety: (section.kind != Kind::Precaution)
                .then(|| guide.safety_line().map(str::to_owned))
                .flatten(),
            condition: None,
            follow_up: None,
            next: Vec::new(),
            note: None,
            labels: Labels::default(),
        }
    }

    /// The lines of `section` that answer a follow-up: those mentioning one of `words`
    /// (the hold time as "Hold: ..."), as points; the whole section when none does.
    pub fn follow_up(
        guide: &Guide,
        section: &Section,
        asked: &str,
        words: &[String],
    ) -> SectionReply {
        let mentions = |line: &str| {
            let line = crate::text::canonical(line);
            words.iter().any(|w| {
                let w = crate::text::canonical(w);
                line.match_indices(w.as_str()).any(|(i, _)| {
                    let before = line[..i].chars().next_back();
                    let after = line[i + w.len()..].chars().next();
                    !before.is_some_and(char::is_alphanumeric)
                        && !after.is_some_and(char::is_alphanumeric)
                })
            })
        };
        let whole = SectionReply::new(guide, section);
        let hold = section
            .hold
            .clone()
            .filter(|h| mentions(&format!("Hold: {h}")));
        let points: Vec<String> = section
            .steps
            .iter()
            .chain(&section.points)
            .chain(&section.paragraphs)
            .filter(|line| mentions(line))
            .cloned()
            .collect();
        if points.is_empty() && hold.is_none() {
            return SectionReply {
                follow_up: Some(FollowUpNote {
                    asked: asked.to_owned(),
                    found: false,
                }),
                ..whole
            };
        }
        SectionReply {
            paragraphs: Vec::new(),
            steps: Vec::new(),
            points,
            hold,
            follow_up: Some(FollowUpNote {
                asked: asked.to_owned(),
                found: true,
            }),
            ..whole
        }
    }

    /// The when-to-see-a-professional answer for a member who named `condition`.
    pub fn for_condition(guide: &Guide, section: &Section, condition: &str) -> SectionReply {
        SectionReply {
            condition: Some(condition.to_owned()),
            ..SectionReply::new(guide, section)
        }
    }
}

impl OverviewReply {
    /// The guide's overview, or `None` when its front matter names none.
    pub fn new(guide: &Guide) -> Option<OverviewReply> {
        let overview = guide.overview.as_ref()?;
        let parts = overview
            .sections
            .iter()
            .filter_map(|id| guide.sections.iter().find(|s| s.id == *id))
            .map(|s| OverviewPart {
                id: s.id.clone(),
                title: s.title.clone(),
                kind: s.kind,
                line: s
                    .paragraphs
                    .first()
                    .or(s.points.first())
                    .map(|p| first_sentence(p))
                    .unwrap_or_default(),
                steps: if s.kind == Kind::Warmup {
                    s.steps.clone()
                } else {
                    Vec::new()
                },
            })
            .collect();
        Some(OverviewReply {
            guide: guide.title.clone(),
            summary: guide.summary.clone(),
            parts,
            note: None,
        })
    }
}

/// The first sentence of a paragraph, or all of it when it has one.
fn first_sentence(paragraph: &str) -> String {
    let end = paragraph
        .match_indices(". ")
        .next()
        .map_or(paragraph.len(), |(i, _)| i + 1);
    truncate_chars(&paragraph[..end], 200)
}

/// What the guides cover, for a sentence: "the lower back" or "the lower back and the neck".
pub fn covers_text<'a>(guides: impl Iterator<Item = &'a Guide>) -> String {
    let mut all: Vec<&str> = Vec::new();
    for guide in guides {
        if let Some(first) = guide.covers.first() {
            if !all.contains(&first.as_str()) {
                all.push(first);
            }
        }
    }
    match all.as_slice() {
        [] => "back care".to_owned(),
        [one] => format!("the {one}"),
        [rest @ .., last] => format!("the {} and the {last}", rest.join(", the ")),
    }
}

/// Topics a no-match reply lists at most; a large library lists its techniques first.
pub const MAX_TOPICS: usize = 25;

impl NoMatch {
    pub fn new<'a>(sections: impl Iterator<Item = &'a Section>) -> NoMatch {
        let (mut topics, rest): (Vec<&Section>, Vec<&Section>) =
            sections.partition(|s| matches!(s.kind, Kind::Technique | Kind::Warmup));
        topics.extend(rest);
        NoMatch {
            topics: topics
                .into_iter()
                .take(MAX_TOPICS)
                .map(|s| Topic {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    kind: s.kind,
                })
                .collect(),
            note: None,
            out_of_scope: None,
            labels: Labels::default(),
        }
    }
}

impl Reply {
    /// The reply as plain chat text.
    pub fn text(&self) -> String {
        self.text_within(usize::MAX)
    }

    /// The reply as plain chat text of at most `max` characters (a platform's limit): the
    /// body is cut, never its footer (the disclaimer, the safety line).
    pub fn text_within(&self, max: usize) -> String {
        let text = match self {
            Reply::SeekCare(s) => format!(
                "⚠️ {}\n{}\n{}\n\n{}",
                s.heading,
                s.noticed_text(),
                s.advice,
                s.disclaimer
            ),
            Reply::Section(a) => answer_text(a, max),
            Reply::Overview(o) => overview_text(o, max),
            Reply::NoMatch(n) => no_match_text(n),
            Reply::Greeting(g) => greeting_text(g),
        };
        truncate_chars(&text, max)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Reply::SeekCare(_) => "seek_care",
            Reply::Section(_) => "answer",
            Reply::Overview(_) => "overview",
            Reply::NoMatch(_) => "no_match",
            Reply::Greeting(_) => "greeting",
        }
    }
}

/// The sentence a condition answer opens with.
pub fn condition_line(condition: &str) -> String {
    format!(
        "You mentioned {condition}: please don't crack your own back until a doctor or physiotherapist who knows your situation says it's OK."
    )
}

/// The line after an overview that says how to get a part in full.
pub const OVERVIEW_MORE: &str = "Ask about any of these by name for the full steps.";

fn overview_text(o: &OverviewReply, max: usize) -> String {
    let mut out = match &o.note {
        Some(note) => format!("{note}\n"),
        None => String::new(),
    };
    out.push_str(&format!("{}: an overview\n", o.guide));
    for part in &o.parts {
        match part.kind {
            Kind::Warmup => {
                // "Warm up first" already says when; other titles get "First, ...".
                let title = part.title.to_lowercase();
                if title.split_whitespace().any(|w| w == "first") {
                    out.push_str(&format!("{}: ", part.title));
                } else {
                    out.push_str(&format!("First, {title}: "));
                }
                let steps: Vec<String> =
                    part.steps.iter().map(|s| truncate_chars(s, 200)).collect();
                out.push_str(&steps.join(" "));
                out.push('\n');
            }
            Kind::Precaution | Kind::SeekHelp => out.push_str(&format!("⚠️ {}\n", part.line)),
            _ => out.push_str(&format!("• {}: {}\n", part.title, part.line)),
        }
    }
    let footer = format!("{OVERVIEW_MORE}\n{NOT_MEDICAL_ADVICE}");
    // The footer is never the part that gets cut.
    let room = max.saturating_sub(footer.chars().count() + 1);
    format!("{}\n{footer}", truncate_chars(out.trim_end(), room))
}

fn greeting_text(g: &Greeting) -> String {
    format!(
        "Hi! I answer questions about looking after {}. Try asking: \"{}\"",
        g.covers, g.example
    )
}

fn answer_text(a: &SectionReply, max: usize) -> String {
    let mut out = format!("{} ({})\n", a.title, a.kind);
    if let Some(condition) = &a.condition {
        out.push_str(&condition_line(condition));
        out.push('\n');
    }
    if let Some(follow_up) = &a.follow_up {
        out.push_str(&follow_up.line(&a.title));
        out.push('\n');
    }
    for paragraph in &a.paragraphs {
        out.push_str(&truncate_chars(paragraph, 500));
        out.push('\n');
    }
    for (n, step) in a.steps.iter().enumerate() {
        out.push_str(&format!("{}. {}\n", n + 1, truncate_chars(step, 300)));
    }
    for point in &a.points {
        out.push_str(&format!("• {}\n", truncate_chars(point, 300)));
    }
    if let Some(hold) = &a.hold {
        out.push_str(&format!("{}: {hold}\n", a.labels.hold));
    }
    if let Some(note) = &a.note {
        out.insert_str(0, &format!("{note}\n"));
    }
    let mut footer = String::new();
    if let Some(safety) = &a.safety {
        footer.push_str(&format!(
            "{}: {}\n",
            a.labels.safety,
            truncate_chars(safety, 300)
        ));
    }
    footer.push_str(&a.labels.footer(&a.guide));
    // The footer is never the part that gets cut.
    let room = max.saturating_sub(footer.chars().count() + 1);
    format!("{}\n{footer}", truncate_chars(out.trim_end(), room))
}

fn no_match_text(n: &NoMatch) -> String {
    let mut out = n
        .note
        .as_ref()
        .map_or_else(String::new, |note| format!("{note}\n"));
    if let Some(scope) = &n.out_of_scope {
        out.push_str(&format!(
            "{}\n{NOT_MEDICAL_ADVICE}",
            out_of_scope_text(scope)
        ));
        return out;
    }
    out.push_str(&format!("{}\n", n.labels.no_match));
    for topic in &n.topics {
        out.push_str(&format!("• {} ({})\n", topic.title, topic.kind));
    }
    out.push_str(&n.labels.try_asking);
    out.push('\n');
    out.push_str(&n.labels.disclaimer);
    out
}

/// What the bot says to a question about something its guides do not cover.
pub fn out_of_scope_text(note: &OutOfScopeNote) -> String {
    let what = match note.why {
        OutOfScope::OtherPart => format!("your {}", note.word),
        OutOfScope::OtherSense => format!("\"{}\"", note.word),
    };
    format!(
        "That sounds like it's about {what}, and I only know about {}. For anything about another part of your body, a doctor or physiotherapist is the right person to ask.",
        note.covers
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warm_up_titled_first_is_not_told_first_twice() {
        let warm_up = |title: &str| OverviewReply {
            guide: "Guide".into(),
            summary: String::new(),
            note: None,
            parts: vec![OverviewPart {
                id: "warm-up".into(),
                title: title.into(),
                kind: Kind::Warmup,
                line: String::new(),
                steps: vec!["Walk for a minute.".into()],
            }],
        };
        let titled_first = overview_text(&warm_up("Warm up first"), usize::MAX);
        assert!(
            titled_first.contains("\nWarm up first: Walk for a minute."),
            "{titled_first}"
        );
        assert!(!titled_first.contains("First,"), "{titled_first}");
        let plain = overview_text(&warm_up("Gentle warm-up"), usize::MAX);
        assert!(
            plain.contains("\nFirst, gentle warm-up: Walk for a minute."),
            "{plain}"
        );
    }

    fn care(tier: Tier, noticed: Vec<Noticed>) -> SeekCare {
        SeekCare {
            tier,
            lang: Lang::En,
            heading: "h".into(),
            noticed,
            advice: "x".into(),
            disclaimer: NOT_MEDICAL_ADVICE.into(),
            note: None,
            sentences: english_replies(),
        }
    }

    fn noticed(sign: &str, words: &str) -> Noticed {
        Noticed {
            sign: sign.into(),
            words: words.into(),
        }
    }

    #[test]
    fn one_sign_reads_as_a_sentence_quoting_the_member() {
        let care = care(Tier::Urgent, vec![noticed("numbness", "my foot went numb")]);
        assert_eq!(
            care.noticed_text(),
            "You mentioned numbness (\u{201c}my foot went numb\u{201d})."
        );
    }

    #[test]
    fn several_signs_read_as_a_list_of_at_most_four() {
        let care = care(
            Tier::Emergency,
            ["a", "b", "c", "d", "e"]
                .iter()
                .map(|s| noticed(&format!("{s}, or {s}"), s))
                .collect(),
        );
        let text = care.noticed_text();
        assert!(
            text.starts_with("You mentioned:\n• a, or a (\u{201c}a\u{201d})\n• b"),
            "{text}"
        );
        assert_eq!(text.matches('•').count(), 4);
        assert!(!text.contains("; and"));
    }

    #[test]
    fn a_huge_section_still_fits_and_keeps_its_footer() {
        let answer = SectionReply {
            id: "x".into(),
            title: "T".into(),
            kind: Kind::Technique,
            guide: "G".into(),
            paragraphs: vec!["word ".repeat(1000)],
            steps: vec!["step ".repeat(200); 30],
            points: vec![],
            hold: Some("5 s".into()),
            safety: Some("be gentle".into()),
            condition: None,
            follow_up: None,
            next: Vec::new(),
            note: None,
            labels: Labels::default(),
        };
        let text = Reply::Section(answer).text_within(2000);
        assert!(text.chars().count() <= 2000);
        assert!(text.ends_with(NOT_MEDICAL_ADVICE));
        assert!(text.contains("Safety: be gentle"));
    }
}
