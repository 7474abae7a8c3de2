//! Usage counts for moderators: questions asked, answered and unanswered, escalations by
//! tier, feedback per section, and the most frequent unanswered questions.
//!
//! Kept in `stats.json` under the data folder, written atomically. Several processes on one
//! host may share the folder: each adds what it counted since its last write to what the
//! file holds, taking turns on the advisory lock `stats.lock`, so no count is lost to a
//! process that wrote last. No user ids are stored, and no message text except
//! unanswered-question samples, which carry no author.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::engine::{Answer, OVERVIEW_ID};
use crate::reply::Reply;
use crate::text::truncate_chars;

pub const STATS_FILE: &str = "stats.json";
/// The data folder's lock file; see [`StatsStore::flush`].
const LOCK_FILE: &str = "stats.lock";

/// Unanswered samples kept at most; the rarest goes when a new one arrives.
const MAX_SAMPLES: usize = 200;
/// Characters of an unanswered question kept as a sample.
const SAMPLE_CHARS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionStats {
    pub answered: u64,
    pub helpful: u64,
    pub not_helpful: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub asked: u64,
    pub answered: u64,
    pub unanswered: u64,
    /// Seek-care replies by tier (`emergency`, `urgent`).
    pub escalations: BTreeMap<String, u64>,
    pub sections: BTreeMap<String, SectionStats>,
    /// Unanswered question text (lower-cased, trimmed) to how often it was asked.
    pub unanswered_samples: BTreeMap<String, u64>,
}

impl Stats {
    pub fn record(&mut self, question: &str, answer: &Answer) {
        self.asked += 1;
        match &answer.reply {
            Reply::SeekCare(care) => {
                *self.escalations.entry(care.tier.to_string()).or_default() += 1;
            }
            Reply::Answer(section) => {
                self.answered += 1;
                self.sections
                    .entry(section.id.clone())
                    .or_default()
                    .answered += 1;
            }
            Reply::Overview(_) => {
                self.answered += 1;
                self.sections
                    .entry(OVERVIEW_ID.to_owned())
                    .or_default()
                    .answered += 1;
            }
            Reply::NoMatch(_) => {
                self.unanswered += 1;
                self.add_sample(question);
            }
            // Small talk is neither answered nor unanswered.
            Reply::Greeting(_) => {}
        }
    }

    pub fn feedback(&mut self, section: &str, helpful: bool) {
        let entry = self.sections.entry(section.to_owned()).or_default();
        if helpful {
            entry.helpful += 1;
        } else {
            entry.not_helpful += 1;
        }
    }

    /// Adds the counts of `other` (what another process counted, or this one since its
    /// last write) to these.
    pub fn add(&mut self, other: &Stats) {
        self.asked += other.asked;
        self.answered += other.answered;
        self.unanswered += other.unanswered;
        for (tier, n) in &other.escalations {
            *self.escalations.entry(tier.clone()).or_default() += n;
        }
        for (id, s) in &other.sections {
            let entry = self.sections.entry(id.clone()).or_default();
            entry.answered += s.answered;
            entry.helpful += s.helpful;
            entry.not_helpful += s.not_helpful;
        }
        for (text, n) in &other.unanswered_samples {
            *self.unanswered_samples.entry(text.clone()).or_default() += n;
        }
        while self.unanswered_samples.len() > MAX_SAMPLES {
            let rarest = self
                .unanswered_samples
                .iter()
                .min_by_key(|(_, count)| **count)
                .map(|(text, _)| text.clone());
            match rarest {
                Some(rarest) => self.unanswered_samples.remove(&rarest),
                None => break,
            };
        }
    }

    fn add_sample(&mut self, question: &str) {
        let sample = truncate_chars(question.trim(), SAMPLE_CHARS).to_lowercase();
        if sample.is_empty() {
            return;
        }
        if !self.unanswered_samples.contains_key(&sample)
            && self.unanswered_samples.len() >= MAX_SAMPLES
        {
            let rarest = self
                .unanswered_samples
                .iter()
                .min_by_key(|(_, count)| **count)
                .map(|(text, _)| text.clone());
            if let Some(rarest) = rarest {
                self.unanswered_samples.remove(&rarest);
            }
        }
        *self.unanswered_samples.entry(sample).or_default() += 1;
    }

    /// Unanswered samples, most frequent first.
    pub fn top_unanswered(&self, n: usize) -> Vec<(&str, u64)> {
        let mut samples: Vec<(&str, u64)> = self
            .unanswered_samples
            .iter()
            .map(|(text, count)| (text.as_str(), *count))
            .collect();
        samples.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        samples.truncate(n);
        samples
    }

    /// A plain-text report for `backcare stats` and `/stats`.
    pub fn report(&self) -> String {
        let mut out = format!(
            "Questions: {} asked, {} answered, {} unanswered\nEscalations: {} emergency, {} urgent\n",
            self.asked,
            self.answered,
            self.unanswered,
            self.escalations.get("emergency").copied().unwrap_or(0),
            self.escalations.get("urgent").copied().unwrap_or(0),
        );
        if !self.sections.is_empty() {
            out.push_str("Sections (answered, helpful, not helpful):\n");
            for (id, s) in &self.sections {
                out.push_str(&format!(
                    "  {id}: {}, {}, {}\n",
                    s.answered, s.helpful, s.not_helpful
                ));
            }
        }
        let top = self.top_unanswered(10);
        if !top.is_empty() {
            out.push_str("Most frequent unanswered questions:\n");
            for (text, count) in top {
                out.push_str(&format!("  {count}x {}\n", truncate_chars(text, 100)));
            }
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("cannot read {}: {cause}", path.display())]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is not valid stats JSON: {cause}; move it aside to start afresh", path.display())]
    Corrupt {
        path: PathBuf,
        cause: serde_json::Error,
    },
    #[error("cannot write {}: {cause}", path.display())]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// Reads the stats of a data folder; a missing file means none yet.
pub fn load(data_dir: &Path) -> Result<Stats, StatsError> {
    let path = data_dir.join(STATS_FILE);
    match fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|cause| StatsError::Corrupt { path, cause })
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Stats::default()),
        Err(cause) => Err(StatsError::Read { path, cause }),
    }
}

/// Stats shared by a running bot, written to disk by [`StatsStore::flush`].
pub struct StatsStore {
    dir: PathBuf,
    counts: Mutex<Counts>,
}

/// What the file held at the last read or write, and what this process counted since.
#[derive(Default)]
struct Counts {
    saved: Stats,
    unsaved: Stats,
}

impl StatsStore {
    pub fn open(data_dir: &Path) -> Result<StatsStore, StatsError> {
        Ok(StatsStore {
            dir: data_dir.to_owned(),
            counts: Mutex::new(Counts {
                saved: load(data_dir)?,
                unsaved: Stats::default(),
            }),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Counts) -> T) -> T {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut counts)
    }

    pub fn record(&self, question: &str, answer: &Answer) {
        self.with(|c| c.unsaved.record(question, answer));
    }

    pub fn feedback(&self, section: &str, helpful: bool) {
        self.with(|c| c.unsaved.feedback(section, helpful));
    }

    /// The stats as of the last write, plus what this process counted since.
    pub fn snapshot(&self) -> Stats {
        self.with(|c| {
            let mut stats = c.saved.clone();
            stats.add(&c.unsaved);
            stats
        })
    }

    /// Adds what was counted since the last write to the file's counts and writes them
    /// atomically (a temporary file renamed over the old one). Processes sharing the data
    /// folder take turns on its lock file, so each one's counts are added exactly once.
    /// Blocking: call it off the async runtime's workers.
    pub fn flush(&self) -> Result<(), StatsError> {
        let unsaved = self.with(|c| std::mem::take(&mut c.unsaved));
        match self.add_to_file(&unsaved) {
            Ok(saved) => {
                self.with(|c| c.saved = saved);
                Ok(())
            }
            Err(err) => {
                // Kept for the next try.
                self.with(|c| c.unsaved.add(&unsaved));
                Err(err)
            }
        }
    }

    fn add_to_file(&self, unsaved: &Stats) -> Result<Stats, StatsError> {
        let path = self.dir.join(STATS_FILE);
        let write_error = |cause| StatsError::Write {
            path: path.clone(),
            cause,
        };
        fs::create_dir_all(&self.dir).map_err(write_error)?;
        let lock = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.dir.join(LOCK_FILE))
            .map_err(write_error)?;
        // Released when `lock` is closed, at the end of this function.
        fs4::fs_std::FileExt::lock_exclusive(&lock).map_err(write_error)?;
        let mut stats = load(&self.dir)?;
        stats.add(unsaved);
        let write = || -> std::io::Result<()> {
            let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
            tmp.write_all(&serde_json::to_vec_pretty(&stats).map_err(std::io::Error::other)?)?;
            tmp.as_file().sync_all()?;
            tmp.persist(&path).map_err(|e| e.error)?;
            Ok(())
        };
        write().map_err(write_error)?;
        Ok(stats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_capped_and_the_rarest_goes_first() {
        let mut stats = Stats::default();
        for i in 0..MAX_SAMPLES {
            stats.add_sample(&format!("question {i}"));
        }
        stats.add_sample("question 0");
        stats.add_sample("a brand new one");
        assert_eq!(stats.unanswered_samples.len(), MAX_SAMPLES);
        assert_eq!(stats.unanswered_samples.get("question 0"), Some(&2));
        assert_eq!(stats.top_unanswered(1), [("question 0", 2)]);
    }

    #[test]
    fn flush_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let store = StatsStore::open(dir.path()).unwrap();
        store.feedback("knee-to-chest", true);
        store.feedback("knee-to-chest", false);
        store.flush().unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.sections["knee-to-chest"].helpful, 1);
        assert_eq!(loaded.sections["knee-to-chest"].not_helpful, 1);
    }

    #[test]
    fn processes_sharing_a_data_folder_add_up_instead_of_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let first = StatsStore::open(dir.path()).unwrap();
        let second = StatsStore::open(dir.path()).unwrap();
        first.feedback("knee-to-chest", true);
        second.feedback("knee-to-chest", true);
        second.feedback("warm-up", false);
        first.flush().unwrap();
        second.flush().unwrap();
        // A second flush with nothing new counts nothing twice.
        first.flush().unwrap();
        let loaded = load(dir.path()).unwrap();
        assert_eq!(loaded.sections["knee-to-chest"].helpful, 2);
        assert_eq!(loaded.sections["warm-up"].not_helpful, 1);
        assert_eq!(first.snapshot(), loaded);
    }
}
