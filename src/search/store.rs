//! The index folder on disk: generations, the manifest, the atomic swap, and the folder
//! lock that lets several processes on one host share the folder.
//!
//! Layout: `CURRENT` names the live generation folder (`gen-<fingerprint>-<suffix>`), which
//! holds the Tantivy files and `manifest.json`. A build happens in `.building-*` and is
//! renamed into place, then `CURRENT` is replaced by rename, so a crash at any point leaves
//! either the old index or the new one, never half of one. The advisory lock file `LOCK`
//! makes builders take turns: one builds while the others wait, then open what it built
//! instead of building it again; readers never see a folder still being written, and a
//! generation is only removed by a builder, never the live one or the last few before it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};
use tantivy::Index;

use fs4::fs_std::FileExt;

use super::{schema, IndexError, Opened};
use crate::knowledge::Knowledge;

/// Bump when the schema or the way sections are indexed changes, so old indexes rebuild.
pub const SCHEMA_VERSION: u32 = 2;

const CURRENT: &str = "CURRENT";
const MANIFEST: &str = "manifest.json";
/// The folder lock's file; see [`FolderLock`].
const LOCK: &str = "LOCK";
/// The state of the knowledge last reported to the moderators from this host; see
/// [`claim_report`].
const REPORTED: &str = "REPORTED";
/// Name prefixes of a generation folder and of one being built.
const GENERATION: &str = "gen-";
const BUILDING: &str = ".building-";
/// Generations kept besides the live one: a process that has not reloaded yet may still
/// read one, and a process gone past its lock is never pulled from under.
const KEEP_PREVIOUS: usize = 2;

/// What an index was built from, stored beside it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub schema: u32,
    pub fingerprint: String,
    pub files: Vec<ManifestFile>,
    pub sections: usize,
    /// SHA-256 of the documents the index holds (`schema::documents`): what decides whether
    /// an index on disk serves this knowledge. An edit of `red-flags.toml` or `words.toml`
    /// leaves it as it is, so the index is not rebuilt for it. Empty in manifests written
    /// before it existed, which are then rebuilt once.
    #[serde(default)]
    pub content: String,
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
            content: content_hash(knowledge),
            index_files: BTreeMap::new(),
        }
    }

    /// True when this index holds exactly the documents of this knowledge, with this
    /// schema (the folder's other files may differ: the index does not read them).
    fn built_from(&self, knowledge: &Knowledge) -> bool {
        self.schema == SCHEMA_VERSION
            && !self.content.is_empty()
            && self.content == content_hash(knowledge)
    }
}

/// The SHA-256 of the documents an index of `knowledge` holds, ids and fields in order.
fn content_hash(knowledge: &Knowledge) -> String {
    let mut hasher = Sha256::new();
    for document in super::schema::documents(knowledge) {
        hasher.update(document.id.as_bytes());
        hasher.update([0]);
        for field in &document.fields {
            match field {
                Some(text) => {
                    hasher.update([1]);
                    hasher.update(text.as_bytes());
                }
                None => hasher.update([2]),
            }
            hasher.update([0]);
        }
    }
    crate::knowledge::hex(&hasher.finalize())
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

/// Why the live generation cannot be reused.
enum Stale {
    /// No `CURRENT`, or it names nothing readable: a fresh folder.
    Missing,
    OtherKnowledge,
    Damaged,
    Unreadable(IndexError),
}

impl Stale {
    fn log(&self, dir: &Path) {
        match self {
            Stale::Missing => {}
            Stale::OtherKnowledge => {
                tracing::info!(index = %dir.display(), "knowledge changed since the index was built");
            }
            Stale::Damaged => {
                tracing::warn!(index = %dir.display(), "index files damaged, rebuilding");
            }
            Stale::Unreadable(err) => {
                tracing::warn!(index = %dir.display(), error = %err, "index unreadable, rebuilding");
            }
        }
    }
}

/// Opens the live generation if it was built from exactly this knowledge and is intact.
/// Call with the folder lock held, shared or exclusive, so no builder removes it meanwhile.
fn open_live(dir: &Path, knowledge: &Knowledge) -> Result<Index, Stale> {
    let name = fs::read_to_string(dir.join(CURRENT)).map_err(|_| Stale::Missing)?;
    let generation = dir.join(name.trim());
    let manifest = fs::read(generation.join(MANIFEST)).map_err(|_| Stale::Missing)?;
    let manifest: Manifest = serde_json::from_slice(&manifest).map_err(|_| Stale::Damaged)?;
    if !manifest.built_from(knowledge) {
        return Err(Stale::OtherKnowledge);
    }
    match hash_index_files(&generation) {
        Ok(hashes) if hashes == manifest.index_files => {}
        _ => return Err(Stale::Damaged),
    }
    open_checked(&generation).map_err(Stale::Unreadable)
}

/// Opens the live generation of `dir` with `open` if it was built from this knowledge, or
/// else builds one and makes it live. Safe with any number of processes sharing `dir`: one
/// builds while the others wait on the folder lock, then open what it built.
///
/// `open` runs while the lock is held, so the generation's files cannot be cleaned away
/// between checking them and opening them.
pub fn open_or_build<T>(
    dir: &Path,
    knowledge: &Knowledge,
    open: impl Fn(Index) -> Result<T, IndexError>,
) -> Result<(T, Opened), IndexError> {
    // Most starts find the index built: readers share the lock and do not wait on each other.
    if let Ok(lock) = FolderLock::shared(dir) {
        if let Ok(index) = open_live(dir, knowledge) {
            if let Ok(opened) = open(index) {
                return Ok((opened, Opened::Reused));
            }
        }
        drop(lock);
    }
    let _lock = FolderLock::exclusive(dir)?;
    // Another process may have built it while this one waited for the lock.
    match open_live(dir, knowledge) {
        Ok(index) => match open(index) {
            Ok(opened) => return Ok((opened, Opened::Reused)),
            Err(err) => Stale::Unreadable(err).log(dir),
        },
        Err(stale) => stale.log(dir),
    }
    let generation = build_locked(dir, knowledge)?;
    Ok((open(open_checked(&generation)?)?, Opened::Built))
}

/// Builds a new generation for `knowledge` in `dir` whatever is there, makes it live and
/// opens it with `open` (see [`open_or_build`]).
pub fn build<T>(
    dir: &Path,
    knowledge: &Knowledge,
    open: impl Fn(Index) -> Result<T, IndexError>,
) -> Result<T, IndexError> {
    let _lock = FolderLock::exclusive(dir)?;
    let generation = build_locked(dir, knowledge)?;
    open(open_checked(&generation)?)
}

/// True for the first process sharing `dir` to claim `key` (the state of the knowledge
/// folder a reload read), false for the others and for a second claim of the same key:
/// every process reloads on its own after an edit, and moderators should read each result
/// once. Only the last key is kept, so knowledge that goes back to an earlier state is
/// reported again.
pub fn claim_report(dir: &Path, key: &str) -> Result<bool, IndexError> {
    let _lock = FolderLock::exclusive(dir)?;
    let path = dir.join(REPORTED);
    if fs::read_to_string(&path).is_ok_and(|last| last.trim() == key) {
        return Ok(false);
    }
    write_file(&path, key.as_bytes())?;
    Ok(true)
}

fn open_checked(path: &Path) -> Result<Index, IndexError> {
    let index = Index::open(Finished(MmapDirectory::open(path)?))?;
    let corrupt = index.validate_checksum()?;
    if !corrupt.is_empty() {
        return Err(IndexError::Corrupt(path.to_owned()));
    }
    Ok(index)
}

/// Builds a generation in a `.building-*` folder, renames it into place under a name no
/// other generation has, points `CURRENT` at it and cleans up old ones. Only with the
/// exclusive folder lock held. Returns the new generation's folder.
fn build_locked(dir: &Path, knowledge: &Knowledge) -> Result<PathBuf, IndexError> {
    let io = |source, path: &Path| IndexError::Io {
        path: path.to_owned(),
        cause: source,
    };
    let building = tempfile::Builder::new()
        .prefix(BUILDING)
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
    share_like_folder(building.path()).map_err(|e| io(e, building.path()))?;
    let mut manifest = Manifest::of(knowledge);
    manifest.index_files = hash_index_files(building.path()).map_err(|e| io(e, building.path()))?;
    let manifest =
        serde_json::to_vec_pretty(&manifest).map_err(|e| io(e.into(), building.path()))?;
    write_file(&building.path().join(MANIFEST), &manifest)?;

    // The temporary folder's random suffix keeps the name unique: a generation is never
    // replaced in place, so a process still reading an older one is never pulled from under.
    let suffix = building
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix(BUILDING))
        .unwrap_or_default()
        .to_owned();
    let name = format!(
        "{GENERATION}{}-{suffix}",
        &knowledge.fingerprint[..16.min(knowledge.fingerprint.len())]
    );
    let generation = dir.join(&name);
    let kept = building.keep();
    if let Err(err) = fs::rename(&kept, &generation) {
        let _ = fs::remove_dir_all(&kept);
        return Err(io(err, &generation));
    }
    write_file(&dir.join(CURRENT), name.as_bytes())?;
    remove_old_generations(dir, &name);
    Ok(generation)
}

/// A built generation's folder as Tantivy sees it when opening it: without Tantivy's own
/// lock files, whose creation fails in a folder the process cannot write. A generation is
/// never written after its build, and the folder lock keeps builders and cleaners away
/// while it is opened, so they are not needed.
#[derive(Clone, Debug)]
struct Finished(MmapDirectory);

impl Directory for Finished {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.0.get_file_handle(path)
    }
    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.0.delete(path)
    }
    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.0.exists(path)
    }
    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.0.open_write(path)
    }
    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.0.atomic_read(path)
    }
    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        self.0.sync_directory()
    }
    fn watch(&self, callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.0.watch(callback)
    }
    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }
}

/// The index folder's advisory lock (`LOCK`): shared while a process opens the live
/// generation, exclusive while one builds, swaps or cleans up. Released when dropped, or
/// by the system when the process dies, so a crash never leaves the folder locked.
struct FolderLock {
    _file: Option<fs::File>,
}

impl FolderLock {
    fn shared(dir: &Path) -> Result<FolderLock, IndexError> {
        FolderLock::take(dir, FileExt::lock_shared)
    }

    fn exclusive(dir: &Path) -> Result<FolderLock, IndexError> {
        FolderLock::take(dir, FileExt::lock_exclusive)
    }

    fn take(
        dir: &Path,
        lock: impl Fn(&fs::File) -> std::io::Result<()>,
    ) -> Result<FolderLock, IndexError> {
        let path = dir.join(LOCK);
        let io = |source| IndexError::Io {
            path: path.clone(),
            cause: source,
        };
        fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_owned(),
            cause: source,
        })?;
        let file = match fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
        {
            Ok(file) => Some(file),
            // A folder this process cannot write: nobody like it builds there, but a
            // process that can may, so lock through a read-only handle if there is a file.
            Err(err) if cannot_write(&err) => fs::File::open(&path).ok(),
            Err(err) => return Err(io(err)),
        };
        if let Some(file) = &file {
            lock(file).map_err(io)?;
        }
        Ok(FolderLock { _file: file })
    }
}

/// Whether an I/O error means the folder is read-only to this process.
pub(super) fn cannot_write(err: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        err.kind(),
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
    )
}

/// Gives every file in a generation folder the folder's read permissions. Tantivy writes
/// `meta.json` through a temporary file, readable by its owner only; a bot running as
/// another user than the one who built the index (say, built into a read-only image)
/// could not open it. The folder was created under the umask, so this follows it.
fn share_like_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir)?.permissions().mode() & 0o666;
        for entry in fs::read_dir(dir)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes a file by writing a sibling and renaming it over, so readers never see half of it.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let parent = path.parent().unwrap_or(Path::new("."));
    let io = |source, path: &Path| IndexError::Io {
        path: path.to_owned(),
        cause: source,
    };
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        // Readable by whoever may read the folder, like Tantivy's files (the umask applies),
        // not only by the user who built it: the bot may run as another user.
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(parent).map_err(|e| io(e, parent))?;
    tmp.write_all(bytes).map_err(|e| io(e, path))?;
    tmp.as_file().sync_all().map_err(|e| io(e, path))?;
    tmp.persist(path).map_err(|e| io(e.error, path))?;
    Ok(())
}

/// A `.building-*` folder this old was left by a crashed build. Builds of this version only
/// happen under the lock, but one of an older version (during an upgrade) may not.
const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

fn older_than(entry: &fs::DirEntry, age: std::time::Duration) -> bool {
    entry
        .metadata()
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|elapsed| elapsed > age)
}

/// Removes all but the newest [`KEEP_PREVIOUS`] generations besides `keep` (the live one),
/// and half-built folders left by a crash. Only with the exclusive folder lock held. Best
/// effort: a failure is logged and the folder is tried again after the next build.
fn remove_old_generations(dir: &Path, keep: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut previous: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
    let mut stale: Vec<PathBuf> = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(GENERATION) && name != keep {
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            previous.push((modified, entry.path()));
        } else if name.starts_with(BUILDING) && older_than(&entry, ABANDONED_AFTER) {
            stale.push(entry.path());
        }
    }
    previous.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    stale.extend(
        previous
            .into_iter()
            .skip(KEEP_PREVIOUS)
            .map(|(_, path)| path),
    );
    for path in stale {
        if let Err(err) = fs::remove_dir_all(&path) {
            tracing::debug!(path = %path.display(), error = %err, "could not remove an old index");
        }
    }
}
