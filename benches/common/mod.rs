//! What the benchmarks share: the question mix and generated guides.

use backcare::knowledge::{ExampleQuestion, Guide, Kind, Knowledge, RedFlags, Section, Words};

/// Questions in the proportions a server sees: mostly answers, some no-match, some red flags.
pub const MIX: &[&str] = &[
    "how do I do the knee to chest twist",
    "what warm up should I do before cracking my back",
    "seated side bend steps?",
    "how long do I hold the bridge",
    "my lower back is stiff after sitting all day",
    "when should I see a physio",
    "is it safe to crack my back every day",
    "what is the capital of France",
    "how do I bake bread",
    "my foot went numb after cracking",
    "I can't control my bladder and my back hurts",
    "**sharp pain** in my back when I bend",
];

/// A knowledge load with `n` generated sections in guides of 100 sections each.
pub fn generated(n: usize) -> Knowledge {
    let words = [
        "stretch", "hip", "twist", "chair", "floor", "knee", "shoulder", "breath", "glute",
        "spine", "lumbar", "hold", "slow", "gentle", "lean", "thigh", "core", "posture",
    ];
    let kinds = [
        Kind::Technique,
        Kind::Warmup,
        Kind::Info,
        Kind::Precaution,
        Kind::SeekHelp,
    ];
    let mut guides = Vec::new();
    for g in 0..n.div_ceil(100) {
        let sections = (0..100.min(n - g * 100))
            .map(|s| {
                let i = g * 100 + s;
                let w = |k: usize| words[(i * 7 + k * 3) % words.len()];
                Section {
                    id: format!("section-{i}"),
                    kind: kinds[i % kinds.len()],
                    title: format!("{} {} number {i}", w(0), w(1)),
                    keywords: vec![w(2).to_owned(), format!("{} {}", w(3), w(4))],
                    hold: Some("5 seconds".to_owned()),
                    paragraphs: vec![format!(
                        "Move {} and {} while you {} the {} and keep your {} {}.",
                        w(5),
                        w(6),
                        w(7),
                        w(8),
                        w(9),
                        w(10)
                    )],
                    steps: (0..4)
                        .map(|k| format!("Step {k}: {} your {}", w(k), w(k + 4)))
                        .collect(),
                    points: Vec::new(),
                    // Ten example questions per section, as the shipped guide has.
                    examples: (0..10)
                        .map(|k| ExampleQuestion {
                            text: format!("how do I {} my {} {}", w(k), w(k + 2), w(k + 5)),
                            line: s + 1,
                        })
                        .collect(),
                    line: s + 1,
                }
            })
            .collect();
        guides.push(Guide {
            file: format!("guide-{g}.md"),
            title: format!("Generated guide {g}"),
            summary: "generated".to_owned(),
            source: "benchmark".to_owned(),
            tags: Vec::new(),
            covers: vec!["lower back".to_owned()],
            overview: None,
            sections,
        });
    }
    Knowledge {
        guides,
        red_flags: RedFlags::floor(),
        languages: backcare::language::Lang::ALL[1..]
            .iter()
            .map(|&lang| backcare::knowledge::LanguageFlags::floor(lang))
            .collect(),
        translations: Vec::new(),
        language_words: Vec::new(),
        words: Words::default(),
        fingerprint: format!("generated-{n}"),
        files: Vec::new(),
        warnings: Vec::new(),
    }
}
