//! The live engine of a running bot, and reloading it when the knowledge changes.
//!
//! A reload validates the knowledge folder, builds a new index beside the old one and swaps
//! the engine in one step: questions in flight finish on the engine they started with. A bad
//! edit leaves the last good engine serving. Nothing here knows Discord or watches files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::engine::Engine;
use crate::knowledge::{Knowledge, Problem};
use crate::regression::{self, Failure};
use sha2::{Digest, Sha256};

use crate::search::{self, IndexError, Search};

/// What a reload changed, for the moderator who asked for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub sections_added: Vec<String>,
    pub sections_removed: Vec<String>,
    pub sections_changed: Vec<String>,
    pub red_flags_added: Vec<String>,
    /// Red flags whose rules, tier or wording changed.
    pub red_flags_changed: Vec<String>,
    /// Red-flag word groups added, changed or removed.
    pub red_flag_groups_changed: Vec<String>,
}

impl Changes {
    pub fn between(old: &Knowledge, new: &Knowledge) -> Changes {
        let ids = |k: &Knowledge| -> BTreeSet<String> {
            k.sections().map(|(_, s)| s.id.clone()).collect()
        };
        let (old_ids, new_ids) = (ids(old), ids(new));
        let sections_changed = new_ids
            .intersection(&old_ids)
            .filter(|id| match (old.section(id), new.section(id)) {
                (Some((og, os)), Some((ng, ns))) => og.title != ng.title || !os.same_content(ns),
                _ => true,
            })
            .cloned()
            .collect();
        let flag = |k: &Knowledge, id: &str| k.red_flags.flags.iter().find(|f| f.id == id).cloned();
        Changes {
            sections_added: new_ids.difference(&old_ids).cloned().collect(),
            sections_removed: old_ids.difference(&new_ids).cloned().collect(),
            sections_changed,
            red_flags_added: new
                .red_flags
                .flags
                .iter()
                .filter(|f| flag(old, &f.id).is_none())
                .map(|f| f.id.clone())
                .collect(),
            red_flags_changed: new
                .red_flags
                .flags
                .iter()
                .filter(|f| flag(old, &f.id).is_some_and(|o| &o != *f))
                .map(|f| f.id.clone())
                .collect(),
            red_flag_groups_changed: groups_changed(old, new),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// Groups whose words differ between two loads, by name.
fn groups_changed(old: &Knowledge, new: &Knowledge) -> Vec<String> {
    let names: BTreeSet<&str> = old
        .red_flags
        .groups
        .iter()
        .chain(&new.red_flags.groups)
        .map(|g| g.name.as_str())
        .collect();
    names
        .into_iter()
        .filter(|name| old.red_flags.group(name) != new.red_flags.group(name))
        .map(str::to_owned)
        .collect()
}

impl std::fmt::Display for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return f.write_str("nothing changed");
        }
        let mut parts = Vec::new();
        for (label, ids) in [
            ("sections added", &self.sections_added),
            ("sections removed", &self.sections_removed),
            ("sections changed", &self.sections_changed),
            ("red flags added", &self.red_flags_added),
            ("red flags changed", &self.red_flags_changed),
            ("red-flag groups changed", &self.red_flag_groups_changed),
        ] {
            if !ids.is_empty() {
                parts.push(format!("{label}: {}", ids.join(", ")));
            }
        }
        f.write_str(&parts.join("; "))
    }
}

/// A reload that was swapped in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    pub changes: Changes,
    /// Regression questions that now fail (the reload still went in: a fix must never be
    /// blocked), for the moderators' log.
    pub failures: Vec<Failure>,
}

/// Why a reload was refused; the previous knowledge keeps serving.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("the knowledge has problems:\n{}", lines(.0))]
    Invalid(Vec<Problem>),
    #[error("the new index could not be built: {0}")]
    Index(IndexError),
    #[error("refused: red-flag questions would stop escalating:\n{}", lines(.0))]
    LostRedFlags(Vec<Failure>),
}

impl From<IndexError> for ReloadError {
    fn from(err: IndexError) -> ReloadError {
        ReloadError::Index(err)
    }
}

fn lines<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The engine the bot answers with, replaceable while it runs.
pub struct Live {
    engine: ArcSwap<Engine>,
    knowledge_dir: PathBuf,
    index_dir: PathBuf,
    /// One reload at a time: a file watcher and `/reload` may fire together.
    reloading: Mutex<()>,
}

impl Live {
    pub fn new(engine: Engine, knowledge_dir: &Path, index_dir: &Path) -> Live {
        Live {
            engine: ArcSwap::from_pointee(engine),
            knowledge_dir: knowledge_dir.to_owned(),
            index_dir: index_dir.to_owned(),
            reloading: Mutex::new(()),
        }
    }

    /// The engine to answer the next question with.
    pub fn current(&self) -> Arc<Engine> {
        self.engine.load_full()
    }

    pub fn knowledge_dir(&self) -> &Path {
        &self.knowledge_dir
    }

    /// Whether this process is the first of those sharing the index folder to report a
    /// reload of the knowledge folder as it is now: every process reloads on its own after
    /// an edit, and moderators should read the result once (and not again when one process
    /// reloads the same files twice). Blocking (it takes the index folder's lock). When the
    /// folders cannot be used for this, true: a result posted twice beats one never posted.
    pub fn first_to_report(&self) -> bool {
        let key = match folder_fingerprint(&self.knowledge_dir) {
            Ok(key) => key,
            Err(err) => {
                tracing::warn!(dir = %self.knowledge_dir.display(), error = %err, "cannot read the knowledge folder to tell whether its reload was reported");
                return true;
            }
        };
        search::claim_report(&self.index_dir, &key).unwrap_or_else(|err| {
            tracing::warn!(error = %err, "cannot tell whether another process reported this reload");
            true
        })
    }

    /// Reloads the knowledge folder. Blocking (it builds an index): call it off the async
    /// runtime's workers, e.g. with `tokio::task::spawn_blocking`.
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        let _one_at_a_time = self.reloading.lock().unwrap_or_else(|e| e.into_inner());
        let knowledge =
            Knowledge::load(&self.knowledge_dir).map_err(|e| ReloadError::Invalid(e.problems()))?;
        let cases = regression::load(&self.knowledge_dir).map_err(ReloadError::Invalid)?;

        // Check the new knowledge in memory first, so a refused edit never touches the
        // index on disk that the running engine reads.
        let old = self.current();
        let candidate = Engine::in_memory_after(knowledge.clone(), &old).map_err(|e| match e {
            crate::EngineError::Knowledge(k) => ReloadError::Invalid(k.problems()),
            crate::EngineError::Index(i) => ReloadError::Index(i),
        })?;
        let failures = regression::run(&candidate, &cases);
        // Only a red-flag question that escalates today and would not tomorrow blocks the
        // reload; one that already failed must not block the fix for something else.
        // Only the questions failing now need asking of the old engine.
        let failing_now: Vec<regression::Case> = failures
            .iter()
            .filter(|f| f.is_lost_red_flag())
            .map(|f| f.case.clone())
            .collect();
        let failing_before = regression::run(&old, &failing_now);
        let lost: Vec<Failure> = failures
            .iter()
            .filter(|f| f.is_lost_red_flag() && !failing_before.iter().any(|b| b.case == f.case))
            .cloned()
            .collect();
        if !lost.is_empty() {
            return Err(ReloadError::LostRedFlags(lost));
        }

        let (search, _) = Search::open(&self.index_dir, &knowledge)?;
        let changes = Changes::between(old.knowledge(), &knowledge);
        self.engine.store(Arc::new(candidate.with_search(search)));
        Ok(Reloaded { changes, failures })
    }
}

/// A hash of every file in the knowledge folder (names and contents, in name order), read
/// or not by the knowledge loader: it tells two states of the folder apart even when one of
/// them does not load.
fn folder_fingerprint(dir: &Path) -> std::io::Result<String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let mut hasher = Sha256::new();
    for path in paths {
        hasher.update(path.file_name().unwrap_or_default().as_encoded_bytes());
        hasher.update(Sha256::digest(std::fs::read(&path)?));
    }
    Ok(crate::knowledge::hex(&hasher.finalize()))
}
