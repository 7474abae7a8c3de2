//! The languages members write in: which ones the bot knows, and which of them a message is
//! in.
//!
//! Detection uses `whatlang`'s trigram models, restricted to the languages the bot knows, on
//! the whole message: it decides the language of the reply. Triage reads English always, and
//! another language also when the message has a word of that language's red-flag vocabulary
//! (see [`crate::triage::Multilingual`]): members switch language mid-sentence, and trigrams
//! of a short sentence guess wrong too often to decide on their own.

use serde::Serialize;

/// A language the bot has red flags (and perhaps a guide) in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Es,
    De,
    Fr,
    Pt,
    Pl,
    It,
}

impl Lang {
    /// Every language, English first.
    pub const ALL: [Lang; 7] = [
        Lang::En,
        Lang::Es,
        Lang::De,
        Lang::Fr,
        Lang::Pt,
        Lang::Pl,
        Lang::It,
    ];

    /// Where the language stands in [`Lang::ALL`]: an index into per-language tables.
    pub fn index(self) -> usize {
        Lang::ALL.iter().position(|&l| l == self).unwrap_or(0)
    }

    /// The ISO 639-1 code, as in file names (`red-flags.es.toml`) and JSON (`lang`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Pt => "pt",
            Lang::Pl => "pl",
            Lang::It => "it",
        }
    }

    /// The language's name in English, for problems and `--explain`.
    pub fn english_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Spanish",
            Lang::De => "German",
            Lang::Fr => "French",
            Lang::Pt => "Portuguese",
            Lang::Pl => "Polish",
            Lang::It => "Italian",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    fn from_whatlang(lang: whatlang::Lang) -> Option<Lang> {
        Some(match lang {
            whatlang::Lang::Eng => Lang::En,
            whatlang::Lang::Spa => Lang::Es,
            whatlang::Lang::Deu => Lang::De,
            whatlang::Lang::Fra => Lang::Fr,
            whatlang::Lang::Por => Lang::Pt,
            whatlang::Lang::Pol => Lang::Pl,
            whatlang::Lang::Ita => Lang::It,
            _ => return None,
        })
    }

    fn to_whatlang(self) -> whatlang::Lang {
        match self {
            Lang::En => whatlang::Lang::Eng,
            Lang::Es => whatlang::Lang::Spa,
            Lang::De => whatlang::Lang::Deu,
            Lang::Fr => whatlang::Lang::Fra,
            Lang::Pt => whatlang::Lang::Por,
            Lang::Pl => whatlang::Lang::Pol,
            Lang::It => whatlang::Lang::Ita,
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The languages found in one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The language of the message as a whole: what the reply is written in.
    pub main: Lang,
    /// True when the detector is sure of `main`. Only then are English typos switched off
    /// for a message in another language ("pied" is French, not a typo of "peed").
    pub sure: bool,
    /// The detected language when it is not English and the detector is sure.
    pub others: Vec<Lang>,
}

impl Detected {
    pub fn english() -> Detected {
        Detected {
            main: Lang::En,
            sure: false,
            others: Vec::new(),
        }
    }
}

/// Fewer letters than this say too little to tell a language by: read as English only.
const MIN_LETTERS: usize = 8;

/// Finds the languages of a message among `known` (English is always known).
pub struct Detector {
    detector: whatlang::Detector,
    known: Vec<Lang>,
}

impl Detector {
    pub fn new(known: &[Lang]) -> Detector {
        let mut known: Vec<Lang> = known.to_vec();
        if !known.contains(&Lang::En) {
            known.push(Lang::En);
        }
        known.sort();
        known.dedup();
        let allow = known.iter().map(|l| l.to_whatlang()).collect();
        Detector {
            detector: whatlang::Detector::with_allowlist(allow),
            known,
        }
    }

    /// The languages of `message`. With only English known, no detection runs.
    pub fn detect(&self, message: &str) -> Detected {
        if self.known.len() == 1 {
            return Detected::english();
        }
        let mut detected = match self.guess(message) {
            Some((lang, sure)) => Detected {
                main: lang,
                sure,
                others: Vec::new(),
            },
            None => Detected::english(),
        };
        // Unsure, the message's red-flag words decide which languages it is read in
        // (`triage::Multilingual`): short English chat often looks like another language.
        if detected.main != Lang::En && detected.sure {
            detected.others.push(detected.main);
        }
        detected
    }

    fn guess(&self, text: &str) -> Option<(Lang, bool)> {
        if letters(text) < MIN_LETTERS {
            return None;
        }
        let info = self.detector.detect(text)?;
        let lang = Lang::from_whatlang(info.lang())?;
        Some((lang, info.is_reliable()))
    }
}

fn letters(text: &str) -> usize {
    text.chars().filter(|c| c.is_alphabetic()).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("nl"), None);
    }

    #[test]
    fn finds_the_language_of_a_chat_message() {
        let detector = Detector::new(&Lang::ALL);
        let cases = [
            ("no puedo orinar desde ayer y me duele la espalda", Lang::Es),
            ("ich kann meine beine nicht mehr richtig spüren", Lang::De),
            ("je ne sens plus mes jambes depuis ce matin", Lang::Fr),
            ("não consigo sentir as pernas desde ontem", Lang::Pt),
            (
                "nie mogę oddać moczu od wczoraj i boli mnie plecy",
                Lang::Pl,
            ),
            ("non riesco a sentire le gambe da stamattina", Lang::It),
            (
                "my lower back is stiff after the gym, any stretches?",
                Lang::En,
            ),
        ];
        for (message, want) in cases {
            assert_eq!(detector.detect(message).main, want, "{message}");
        }
    }

    #[test]
    fn only_english_known_detects_nothing() {
        let detector = Detector::new(&[Lang::En]);
        assert_eq!(
            detector.detect("no puedo orinar desde ayer"),
            Detected::english()
        );
    }
}
