//! The index folder on disk: generations, the manifest, and the atomic swap.
//!
//! Layout: `CURRENT` names the live generation folder (`gen-<fingerprint>`), which holds the
//! Tantivy files and `manifest.json`. A build happens in `.building-*` and is renamed into
//! place, then `CURRENT` is replaced by rename, so a crash at any point leaves either the old
//! index or the new one, never half of one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use tantivy::directory::MmapDirectory;
use tantivy::Index;

use super::{schema, IndexError};
use crate::knowledge::Knowledge;

/// Bump when the schema or the way sections are indexed changes, so old indexes rebuild.
pub const SCHEMA_VERSION: u32 = 1;

const CURRENT: &str = "CURRENT";
const MANIFEST: &str = "manifest.json";

/// What an index was built from, stored beside it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub schema: u32,
    pub fingerprint: String,
    pub files: Vec<ManifestFile>,
    pub sections: usize,
    /// SHA-256 of every file of the built index, checked before Tantivy opens it: Tantivy
    /// trusts its files, and a truncated one can make it panic instead of returning an error.
    #[serde(default)]
    pub index_files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestFile {
    pub name: String,
    pub sha256: String,
}

impl Manifest {
    pub fn of(knowledge: &Knowledge) -> Manifest {
        Manifest {
            schema: SCHEMA_VERSION,
            fingerprint: knowledge.fingerprint.clone(),
            files: knowledge
                .files
                .iter()
                .map(|(name, sha256)| ManifestFile {
                    name: name.clone(),
                    sha256: sha256.clone(),
                })
                .collect(),
            sections: knowledge.sections().count(),
            index_files: BTreeMap::new(),
        }
    }

    /// True when this index was built from exactly this knowledge, with this schema.
    fn built_from(&self, knowledge: &Knowledge) -> bool {
        let wanted = Manifest::of(knowledge);
        self.schema == wanted.schema
            && self.fingerprint == wanted.fingerprint
            && self.files == wanted.files
    }
}

/// Hashes the index files in a generation folder (all but the manifest and lock files).
fn hash_index_files(dir: &Path) -> std::io::Result<BTreeMap<String, String>> {
    let mut hashes = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == MANIFEST || name.ends_with(".lock") || !entry.file_type()?.is_file() {
            continue;
        }
        let digest = Sha256::digest(fs::read(entry.path())?);
        hashes.insert(name, crate::knowledge::hex(&digest));
    }
    Ok(hashes)
}

/// Opens the live index if it was built from exactly this knowledge and is intact.
pub fn open_current(dir: &Path, knowledge: &Knowledge) -> Option<Index> {
    let name = fs::read_to_string(dir.join(CURRENT)).ok()?;
    let generation = dir.join(name.trim());
    let manifest: Manifest =
        serde_json::from_slice(&fs::read(generation.join(MANIFEST)).ok()?).ok()?;
    if !manifest.built_from(knowledge) {
        tracing::info!(index = %generation.display(), "knowledge changed since the index was built");
        return None;
    }
    match hash_index_files(&generation) {
        Ok(hashes) if hashes == manifest.index_files => {}
        _ => {
            tracing::warn!(index = %generation.display(), "index files damaged, rebuilding");
            return None;
        }
    }
    match open_checked(&generation) {
        Ok(index) => Some(index),
        Err(err) => {
            tracing::warn!(index = %generation.display(), error = %err, "index unreadable, rebuilding");
            None
        }
    }
}

fn open_checked(path: &Path) -> Result<Index, IndexError> {
    let index = Index::open_in_dir(path)?;
    let corrupt = index.validate_checksum()?;
    if !corrupt.is_empty() {
        return Err(IndexError::Corrupt(path.to_owned()));
    }
    Ok(index)
}

/// Builds a new generation for `knowledge` in `dir` and makes it live.
pub fn build(dir: &Path, knowledge: &Knowledge) -> Result<Index, IndexError> {
    let io = |source, path: &Path| IndexError::Io {
        path: path.to_owned(),
        source,
    };
    fs::create_dir_all(dir).map_err(|e| io(e, dir))?;
    let building = tempfile::Builder::new()
        .prefix(".building-")
        .tempdir_in(dir)
        .map_err(|e| io(e, dir))?;
    {
        let index = Index::create(
            MmapDirectory::open(building.path())?,
            schema::schema(),
            tantivy::IndexSettings::default(),
        )?;
        schema::write_sections(&index, knowledge)?;
    }
    let mut manifest = Manifest::of(knowledge);
    manifest.index_files = hash_index_files(building.path()).map_err(|e| io(e, building.path()))?;
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| io(e.into(), building.path()))?;
    write_file(&building.path().join(MANIFEST), &manifest)?;

    let name = format!(
        "gen-{}",
        &knowledge.fingerprint[..16.min(knowledge.fingerprint.len())]
    );
    let generation = dir.join(&name);
    if generation.exists() {
        // Another process built the same knowledge, or a stale copy is in the way.
        fs::remove_dir_all(&generation).map_err(|e| io(e, &generation))?;
    }
    let kept = building.keep();
    if let Err(err) = fs::rename(&kept, &generation) {
        let _ = fs::remove_dir_all(&kept);
        return Err(io(err, &generation));
    }
    write_file(&dir.join(CURRENT), name.as_bytes())?;
    remove_old_generations(dir, &name);
    open_checked(&generation)
}

/// Writes a file by writing a sibling and renaming it over, so readers never see half of it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let io = |source, path: &Path| IndexError::Io {
        path: path.to_owned(),
        source,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| io(e, parent))?;
    tmp.write_all(bytes).map_err(|e| io(e, path))?;
    tmp.as_file().sync_all().map_err(|e| io(e, path))?;
    tmp.persist(path).map_err(|e| io(e.error, path))?;
    Ok(())
}

/// A `.building-*` folder this old was left by a crashed build, not one under way.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

fn older_than(entry: &fs::DirEntry, age: std::time::Duration) -> bool {
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|elapsed| elapsed > age)
}

/// Removes generations and half-built folders other than `keep`. Best effort: a process
/// still reading an old generation keeps its open files (they are unlinked, not truncated).
fn remove_old_generations(dir: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let abandoned = name.starts_with(".building-") && older_than(&entry, ABANDONED_AFTER);
        let stale = (name.starts_with("gen-") && name != keep) || abandoned;
        if stale {
            let path: PathBuf = entry.path();
            if let Err(err) = fs::remove_dir_all(&path) {
                tracing::debug!(path = %path.display(), error = %err, "could not remove an old index");
            }
        }
    }
}
