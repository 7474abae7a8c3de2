//! The knowledge folder: guides (Markdown) and red flags (TOML), loaded and validated.
//!
//! Owns reading and checking what moderators write. Every problem is reported as
//! `file:line: what is wrong and how to fix it`; nothing here searches or answers.

mod guide;
mod problem;
mod red_flags;
mod words;

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use guide::{parse as parse_guide, ExampleQuestion, Guide, Kind, Overview, Section};
pub(crate) use problem::Lines;
pub use problem::{KnowledgeError, Problem};
pub use red_flags::{
    file_name as red_flags_file, Example, Figurative, Flag, Group, LanguageInfo, RedFlags, Replies,
    Rule, Tier, TierText, DEFAULT_WITHIN, MAX_STORY_WITHIN, MAX_WITHIN, NOT_WHO_WITHIN,
    STORY_WITHIN, SUBJECT_WITHIN, TOPIC_BREAK, WHO_WITHIN,
};

use crate::language::Lang;
pub use words::{Ask, Condition, Everyday, FollowUp, FollowUpAnswer, Scope, Words, WORDS_FILE};

/// The red-flag file's name inside the knowledge folder.
pub const RED_FLAGS_FILE: &str = "red-flags.toml";

/// Another language's red flags. A file as shipped is its built-in floor, read the first
/// time a message needs it; only an edited file is read (and checked) at load.
#[derive(Debug, Clone)]
pub struct LanguageFlags {
    pub lang: Lang,
    flags: std::sync::OnceLock<RedFlags>,
}

impl LanguageFlags {
    /// The built-in floor of `lang`, read on first use.
    pub fn floor(lang: Lang) -> LanguageFlags {
        LanguageFlags {
            lang,
            flags: std::sync::OnceLock::new(),
        }
    }

    fn loaded(flags: RedFlags) -> LanguageFlags {
        LanguageFlags {
            lang: flags.lang,
            flags: std::sync::OnceLock::from(flags),
        }
    }

    pub fn get(&self) -> &RedFlags {
        self.flags.get_or_init(|| RedFlags::floor_of(self.lang))
    }

    /// The same red flags as `other`, without reading a floor neither has needed yet.
    pub fn same_as(&self, other: &LanguageFlags) -> bool {
        self.lang == other.lang
            && match (self.flags.get(), other.flags.get()) {
                (None, None) => true,
                _ => self.get() == other.get(),
            }
    }
}

/// A guide in another language.
#[derive(Debug, Clone)]
pub struct Translation {
    pub lang: Lang,
    /// The English guide's file name (`lower-back.md`).
    pub of: String,
    pub guide: Guide,
}

/// Everything the engine answers from, validated.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub guides: Vec<Guide>,
    pub red_flags: RedFlags,
    /// The red flags of every other language (`red-flags.es.toml` ...), or their built-in
    /// floors when a file is missing or as shipped.
    pub languages: Vec<LanguageFlags>,
    /// Guides in another language (`lower-back.es.md`), with the same section ids as the
    /// English guide they translate.
    pub translations: Vec<Translation>,
    /// Words of another language for its translated guide (`words.es.toml`; its `[scope]`).
    pub language_words: Vec<(Lang, Words)>,
    /// Everyday words, scope, conditions and small talk (`words.toml`; empty without it).
    pub words: Words,
    /// A hash of every file the knowledge was built from; the index records it.
    pub fingerprint: String,
    /// Names and hashes of the files read, for `backcare index` and the manifest.
    pub files: Vec<(String, String)>,
    /// Things worth fixing that did not stop the load (`backcare check` shows them).
    pub warnings: Vec<Problem>,
}

impl Knowledge {
    /// Reads and validates the knowledge folder. All problems are collected and returned
    /// together, so a moderator can fix them in one go.
    pub fn load(dir: &Path) -> Result<Knowledge, KnowledgeError> {
        let entries = fs::read_dir(dir).map_err(|cause| KnowledgeError::Folder {
            dir: dir.to_owned(),
            cause,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        paths.sort();

        let mut problems = Vec::new();
        let mut guides = Vec::new();
        let mut files = Vec::new();
        let mut flags_text = None;
        let mut language_texts: Vec<(Lang, String, String)> = Vec::new();
        let mut translations = Vec::new();
        let mut language_words = Vec::new();
        let mut warnings = Vec::new();
        let mut words = Words::default();
        let mut hasher = Sha256::new();
        hasher.update(red_flags::FLOOR.as_bytes());
        for (_, floor) in red_flags::LANGUAGE_FLOORS {
            hasher.update(floor.as_bytes());
        }

        for path in &paths {
            let name = file_name(path);
            let is_guide = path.extension().is_some_and(|e| e == "md") && !is_readme(&name);
            let language = language_of_red_flags(&name);
            if let Some(Err(code)) = &language {
                warnings.push(Problem::new(
                    &name,
                    0,
                    format!(
                        "the bot has no red flags in language `{code}`, so this file is not read; it knows {}",
                        Lang::ALL[1..].iter().map(|l| format!("{} ({})", l.code(), l.english_name())).collect::<Vec<_>>().join(", ")
                    ),
                ));
                continue;
            }
            let words_lang = words_language(&name);
            if !is_guide
                && name != RED_FLAGS_FILE
                && name != WORDS_FILE
                && language.is_none()
                && words_lang.is_none()
            {
                continue;
            }
            let bytes = match fs::read(path) {
                Ok(bytes) => bytes,
                Err(err) => {
                    problems.push(Problem::new(
                        &name,
                        0,
                        format!("cannot read the file: {err}"),
                    ));
                    continue;
                }
            };
            let digest = hex(&Sha256::digest(&bytes));
            hasher.update(name.as_bytes());
            hasher.update(digest.as_bytes());
            files.push((name.clone(), digest));
            let Ok(text) = String::from_utf8(bytes) else {
                problems.push(Problem::new(
                    &name,
                    0,
                    "the file is not valid UTF-8 text; save it as UTF-8",
                ));
                continue;
            };
            if is_guide {
                match (guide::parse(&name, &text), translation_of(&name)) {
                    (Ok(guide), Some((lang, of))) => {
                        translations.push(Translation { lang, of, guide })
                    }
                    (Ok(guide), None) => guides.push(guide),
                    (Err(mut found), _) => problems.append(&mut found),
                }
            } else if name == WORDS_FILE {
                match words::parse(&name, &text) {
                    Ok(parsed) => words = parsed,
                    Err(mut found) => problems.append(&mut found),
                }
            } else if let Some(lang) = words_lang {
                match words::parse(&name, &text) {
                    Ok(parsed) => language_words.push((lang, parsed)),
                    Err(mut found) => problems.append(&mut found),
                }
            } else if let Some(Ok(lang)) = language {
                language_texts.push((lang, name, text));
            } else {
                flags_text = Some(text);
            }
        }

        let mut load_flags = |lang: Lang, name: &str, text: Option<&String>| match text {
            Some(text) => match red_flags::parse_lang(lang, name, text) {
                Ok(loaded) => {
                    warnings.extend(loaded.warnings);
                    loaded.red_flags
                }
                Err(mut found) => {
                    problems.append(&mut found);
                    RedFlags::floor_of(lang)
                }
            },
            None => RedFlags::floor_of(lang),
        };
        let red_flags = load_flags(Lang::En, RED_FLAGS_FILE, flags_text.as_ref());
        let mut languages = Vec::new();
        for lang in Lang::ALL[1..].iter().copied() {
            let file = language_texts.iter().find(|(l, _, _)| *l == lang);
            match file {
                // As shipped (or absent): the floor, which a unit test checks, read later.
                Some((_, _, text)) if text != red_flags::floor_text(lang) => {
                    let name = red_flags::file_name(lang);
                    let loaded = load_flags(lang, &name, Some(text));
                    languages.push(LanguageFlags::loaded(loaded));
                }
                _ => languages.push(LanguageFlags::floor(lang)),
            }
        }
        for language in &languages {
            if let Some(edited) = language.flags.get() {
                warnings.extend(missing_emergencies(&red_flags, edited));
            }
        }
        if guides.is_empty() && problems.is_empty() {
            problems.push(Problem::new(
                &dir.display().to_string(),
                0,
                "no guides found; add at least one Markdown guide (*.md) to the knowledge folder",
            ));
        }
        check_unique_ids(&guides, &mut problems);
        check_translations(&guides, &translations, &mut problems);
        check_follow_ups(&words, &guides, &mut problems);

        if !problems.is_empty() {
            return Err(KnowledgeError::Invalid(problems));
        }
        Ok(Knowledge {
            guides,
            red_flags,
            languages,
            translations,
            language_words,
            words,
            fingerprint: hex(&hasher.finalize()),
            files,
            warnings,
        })
    }

    /// Every section of every guide, in file order.
    pub fn sections(&self) -> impl Iterator<Item = (&Guide, &Section)> {
        self.guides
            .iter()
            .flat_map(|g| g.sections.iter().map(move |s| (g, s)))
    }

    /// The red flags of a language (English for one the bot does not know).
    pub fn red_flags_in(&self, lang: Lang) -> &RedFlags {
        self.languages
            .iter()
            .find(|r| r.lang == lang)
            .map_or(&self.red_flags, LanguageFlags::get)
    }

    /// Finds a section by its id.
    pub fn section(&self, id: &str) -> Option<(&Guide, &Section)> {
        self.sections().find(|(_, s)| s.id == id)
    }

    /// Where a section is among [`Knowledge::sections`], by its id.
    pub fn section_position(&self, id: &str) -> Option<usize> {
        self.sections().position(|(_, s)| s.id == id)
    }
}

fn check_unique_ids(guides: &[Guide], problems: &mut Vec<Problem>) {
    let mut seen: std::collections::HashMap<&str, (&str, usize)> = Default::default();
    for guide in guides {
        for section in &guide.sections {
            if let Some((file, line)) = seen.insert(&section.id, (&guide.file, section.line)) {
                problems.push(Problem::new(
                    &guide.file,
                    section.line,
                    format!(
                        "duplicate section id `{}` (already used at {file}:{line}); give this section another {{#id}}",
                        section.id
                    ),
                ));
            }
        }
    }
}

/// A follow-up, an ask or a movement may only name a section that exists.
fn check_follow_ups(words: &Words, guides: &[Guide], problems: &mut Vec<Problem>) {
    let opened = words.follow_ups.iter().filter_map(|f| match &f.answer {
        FollowUpAnswer::Opens(id) => Some((&f.name, id, f.line, "opens")),
        _ => None,
    });
    let asked = words
        .asks
        .iter()
        .map(|a| (&a.name, &a.answers, a.line, "answers with"));
    let moved = words
        .scope
        .movements
        .iter()
        .map(|m| (&m.technique, &m.technique, m.line, "is a movement of"));
    for (name, id, line, verb) in opened.chain(asked).chain(moved) {
        let known = guides.iter().flat_map(|g| &g.sections).any(|s| &s.id == id);
        if !known {
            let ids: Vec<&str> = guides
                .iter()
                .flat_map(|g| g.sections.iter().map(|s| s.id.as_str()))
                .collect();
            problems.push(Problem::new(
                WORDS_FILE,
                line,
                format!(
                    "\"{name}\" {verb} `{id}`, which no guide has; use one of: {}",
                    ids.join(", ")
                ),
            ));
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// For `words.es.toml`, Spanish.
fn words_language(name: &str) -> Option<Lang> {
    let code = name.strip_prefix("words.")?.strip_suffix(".toml")?;
    Lang::from_code(code).filter(|&l| l != Lang::En)
}

/// For `lower-back.es.md`, Spanish and `lower-back.md`.
fn translation_of(name: &str) -> Option<(Lang, String)> {
    let stem = name.strip_suffix(".md")?;
    let (base, code) = stem.rsplit_once('.')?;
    let lang = Lang::from_code(code).filter(|&l| l != Lang::En)?;
    Some((lang, format!("{base}.md")))
}

/// A translation answers with the English guide's section ids: it must have the same ones.
fn check_translations(guides: &[Guide], translations: &[Translation], problems: &mut Vec<Problem>) {
    for translation in translations {
        let file = &translation.guide.file;
        let Some(english) = guides.iter().find(|g| g.file == translation.of) else {
            problems.push(Problem::new(
                file,
                0,
                format!(
                    "this is a {} translation of {}, which is not in the knowledge folder; name it after the English guide it translates",
                    translation.lang.english_name(),
                    translation.of
                ),
            ));
            continue;
        };
        let ids = |g: &Guide| g.sections.iter().map(|s| s.id.clone()).collect::<Vec<_>>();
        let (want, have) = (ids(english), ids(&translation.guide));
        for section in &translation.guide.sections {
            if !want.contains(&section.id) {
                problems.push(Problem::new(
                    file,
                    section.line,
                    format!(
                        "section id `{}` is not in {}; a translation uses the English ids: {}",
                        section.id,
                        translation.of,
                        want.join(", ")
                    ),
                ));
            }
        }
        let missing: Vec<&String> = want.iter().filter(|id| !have.contains(id)).collect();
        if !missing.is_empty() {
            problems.push(Problem::new(
                file,
                0,
                format!(
                    "sections of {} missing from this translation: {}; translate them (same {{#id}}) so every answer exists in {}",
                    translation.of,
                    missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    translation.lang.english_name()
                ),
            ));
        }
    }
}

/// A language that lacks one of the English emergency flags could miss an emergency told
/// in it: say which, so it gets rules before members need them.
fn missing_emergencies(english: &RedFlags, language: &RedFlags) -> Vec<Problem> {
    let mut warnings = Vec::new();
    {
        for flag in english.flags.iter().filter(|f| f.tier == Tier::Emergency) {
            let covered = language
                .flags
                .iter()
                .any(|f| f.id == flag.id && f.tier == Tier::Emergency && !f.rules.is_empty());
            if !covered {
                warnings.push(Problem::new(
                    &red_flags::file_name(language.lang),
                    0,
                    format!(
                        "{} has no rules for the emergency flag `{}`; add a [[flags]] entry with id = \"{}\", tier = \"emergency\" and rules in {}",
                        language.lang.english_name(),
                        flag.id,
                        flag.id,
                        language.lang.english_name()
                    ),
                ));
            }
        }
    }
    warnings
}

/// For `red-flags.XX.toml`, the language `XX` (or its code when the bot does not know it).
fn language_of_red_flags(name: &str) -> Option<Result<Lang, String>> {
    let code = name.strip_prefix("red-flags.")?.strip_suffix(".toml")?;
    if code.is_empty() {
        return None;
    }
    Some(
        Lang::from_code(code)
            .filter(|&l| l != Lang::En)
            .ok_or_else(|| code.to_owned()),
    )
}

fn is_readme(name: &str) -> bool {
    name.to_ascii_lowercase().starts_with("readme")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
pub(crate) mod tests {
    /// The shipped knowledge folder, and a copy of it in a temporary folder to edit.
    pub fn shipped_and_a_copy() -> (std::path::PathBuf, tempfile::TempDir) {
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        let copy = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(&shipped).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
        (shipped, copy)
    }
}
