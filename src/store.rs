//! The moderators' store: what every answer leaves behind, in SQLite in the data folder.
//!
//! One row per answer (time, how it was asked, the kind of reply, section, tier: no user id
//! and no message text), one vote per member per reply (the member as a keyed hash, never
//! the id), and the text of unanswered questions with their time, kept for the retention
//! period only. `backcare stats`, `backcare unanswered`, `/stats` and `/unanswered` read it.
//!
//! The database runs in WAL mode with a busy timeout, so several processes on one host (the
//! shards of one bot, or the command line next to a running bot) read and write it at once.
//! A running bot counts in memory and writes in one transaction every few seconds
//! ([`Store::flush`]), off the answering path; when the database cannot be used the bot keeps
//! answering and keeps what it counted (up to a cap) for the next try.

use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::Deserialize;
use sha2::Sha256;

use crate::engine::{Answer, OVERVIEW_ID};
use crate::reply::Reply;
use crate::text::truncate_chars;

/// The database, in the data folder.
pub const DB_FILE: &str = "backcare.db";
/// The secret that member ids are hashed with, beside the database (readable by its owner
/// only): without it a vote cannot be traced back to a member.
pub const KEY_FILE: &str = "backcare.key";
/// The JSON counts of earlier versions, imported once and renamed to `stats.json.imported`.
pub const OLD_STATS_FILE: &str = "stats.json";
/// How long unanswered question text is kept unless `BACKCARE_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Characters of an unanswered question kept.
const QUESTION_CHARS: usize = 300;
/// Rows a bot keeps in memory when the database cannot be written; beyond it the oldest
/// counts are dropped (and the drop is logged), so a broken disk cannot exhaust memory.
const PENDING_MAX: usize = 50_000;

/// Each schema version's changes, applied in order at open; the database's `user_version`
/// is how many have been applied.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE answers (
        at INTEGER NOT NULL,
        via TEXT NOT NULL,
        kind TEXT NOT NULL,
        section TEXT,
        tier TEXT
    );
    CREATE INDEX answers_at ON answers (at);
    CREATE TABLE votes (
        reply TEXT NOT NULL,
        member BLOB NOT NULL,
        section TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (reply, member)
    );
    CREATE TABLE unanswered (
        at INTEGER NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX unanswered_at ON unanswered (at);
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
"];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the store {}: {cause}", path.display())]
    Sql {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    #[error("the store {} was written by a newer backcare (schema version {found}; this one knows up to {known}): run the newer version, or move the file aside to start afresh", path.display())]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot read or write {}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{} is not valid stats JSON, so it was not imported: {cause}; fix or move it aside", path.display())]
    OldStats {
        path: PathBuf,
        cause: serde_json::Error,
    },
}

impl StoreError {
    /// Whether the database file itself is damaged (not merely busy or unwritable).
    pub fn is_corrupt(&self) -> bool {
        matches!(self, StoreError::Sql { cause, .. } if matches!(
            cause.sqlite_error_code(),
            Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
        ))
    }
}

/// Seconds since 1970, the store's clock.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Counts for moderators, read from the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub asked: u64,
    pub answered: u64,
    pub unanswered: u64,
    /// Questions asked in the last 24 hours and the last 7 days.
    pub asked_last_day: u64,
    pub asked_last_week: u64,
    /// Seek-care replies by tier (`emergency`, `urgent`).
    pub escalations: BTreeMap<String, u64>,
    pub sections: BTreeMap<String, SectionStats>,
    /// Unanswered questions whose text is still kept.
    pub unanswered_kept: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionStats {
    pub answered: u64,
    pub helpful: u64,
    pub not_helpful: u64,
}

impl Stats {
    /// A plain-text report for `backcare stats` and `/stats`.
    pub fn report(&self) -> String {
        let mut out = format!(
            "Questions: {} asked, {} answered, {} unanswered ({} in the last 24 hours, {} in the last 7 days)\nEscalations: {} emergency, {} urgent\n",
            self.asked,
            self.answered,
            self.unanswered,
            self.asked_last_day,
            self.asked_last_week,
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
        out.push_str(&format!(
            "Unanswered questions kept for moderators: {} (list them with `backcare unanswered` or /unanswered)\n",
            self.unanswered_kept
        ));
        out
    }
}

/// An unanswered question as kept: its text, how often it was asked and when last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unanswered {
    pub text: String,
    pub count: u64,
    pub last_at: i64,
}

/// One answer, as counted.
#[derive(Debug, Clone)]
struct AnswerRow {
    at: i64,
    via: &'static str,
    kind: &'static str,
    section: Option<String>,
    tier: Option<&'static str>,
    question: Option<String>,
}

#[derive(Debug, Clone)]
struct VoteRow {
    at: i64,
    reply: String,
    member: u64,
    section: String,
    helpful: bool,
}

#[derive(Default)]
struct Pending {
    answers: VecDeque<AnswerRow>,
    votes: VecDeque<VoteRow>,
    /// Rows dropped since the last write because the database could not be written.
    dropped: u64,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.answers.is_empty() && self.votes.is_empty()
    }

    /// Puts back rows a write failed on, ahead of newer ones, keeping at most the cap.
    fn restore(&mut self, mut failed: Pending) {
        failed.answers.append(&mut self.answers);
        failed.votes.append(&mut self.votes);
        failed.dropped += self.dropped;
        for rows in [failed.answers.len(), failed.votes.len()] {
            failed.dropped += rows.saturating_sub(PENDING_MAX) as u64;
        }
        let over = failed.answers.len().saturating_sub(PENDING_MAX);
        failed.answers.drain(..over);
        let over = failed.votes.len().saturating_sub(PENDING_MAX);
        failed.votes.drain(..over);
        *self = failed;
    }
}

/// An open database and the key member ids are hashed with.
struct Db {
    conn: Connection,
    key: Vec<u8>,
}

/// The store of a data folder. Cheap to share: counting only touches memory.
pub struct Store {
    dir: PathBuf,
    db: Mutex<Option<Db>>,
    pending: Mutex<Pending>,
    /// The last write error logged, so a broken database is logged once, not every write.
    last_error: Mutex<Option<String>>,
}

impl Store {
    /// Opens (creating, migrating and importing `stats.json` as needed) the store of a data
    /// folder, or fails with one clear error: for the command line.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let db = connect(data_dir)?;
        Ok(Store {
            dir: data_dir.to_owned(),
            db: Mutex::new(Some(db)),
            pending: Mutex::new(Pending::default()),
            last_error: Mutex::new(None),
        })
    }

    /// Opens the store for a running bot, which answers whether or not its stats can be
    /// kept: a database that cannot be opened is logged once and tried again at each write.
    pub fn open_or_log(data_dir: &Path) -> Store {
        let store = Store {
            dir: data_dir.to_owned(),
            db: Mutex::new(None),
            pending: Mutex::new(Pending::default()),
            last_error: Mutex::new(None),
        };
        match connect(data_dir) {
            Ok(db) => *lock(&store.db) = Some(db),
            Err(err) => store.log_error(&err),
        }
        store
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(DB_FILE)
    }

    /// Counts one answer (and keeps an unanswered question's text); written at the next
    /// [`Store::flush`].
    pub fn record(&self, question: &str, answer: &Answer, via: &'static str) {
        let (section, tier) = match &answer.reply {
            Reply::SeekCare(care) => (None, Some(care.tier.as_str())),
            Reply::Section(section) => (Some(section.id.clone()), None),
            Reply::Overview(_) => (Some(OVERVIEW_ID.to_owned()), None),
            Reply::NoMatch(_) | Reply::Greeting(_) => (None, None),
        };
        let question = matches!(answer.reply, Reply::NoMatch(_))
            .then(|| clean_question(question))
            .filter(|q| !q.is_empty());
        let row = AnswerRow {
            at: now(),
            via,
            kind: answer.reply.kind(),
            section,
            tier,
            question,
        };
        self.push(|p| p.answers.push_back(row));
    }

    /// Counts a member's vote on one reply (a message id); a later vote by the same member
    /// on the same reply replaces the earlier one.
    pub fn vote(&self, reply: &str, member: u64, section: &str, helpful: bool) {
        let row = VoteRow {
            at: now(),
            reply: reply.to_owned(),
            member,
            section: section.to_owned(),
            helpful,
        };
        self.push(|p| p.votes.push_back(row));
    }

    fn push(&self, add: impl FnOnce(&mut Pending)) {
        let mut pending = lock(&self.pending);
        add(&mut pending);
        if pending.answers.len() > PENDING_MAX {
            pending.answers.pop_front();
            pending.dropped += 1;
        }
        if pending.votes.len() > PENDING_MAX {
            pending.votes.pop_front();
            pending.dropped += 1;
        }
    }

    /// Writes what was counted since the last write, in one transaction. On failure the
    /// counts are kept for the next try. Blocking: call it off the async runtime's workers.
    pub fn flush(&self) -> Result<(), StoreError> {
        let taken = std::mem::take(&mut *lock(&self.pending));
        if taken.dropped > 0 {
            tracing::warn!(
                rows = taken.dropped,
                "the store could not be written for a while; some usage counts were dropped"
            );
        }
        if taken.is_empty() {
            return self.with_db(|_| Ok(()));
        }
        let written = self.with_db(|db| write(db, &taken));
        if written.is_err() {
            let mut pending = lock(&self.pending);
            let mut failed = taken;
            failed.dropped = 0;
            pending.restore(failed);
        }
        written
    }

    /// [`Store::flush`], logging a failure once (until the store works again) instead of
    /// returning it: for a bot's periodic job.
    pub fn flush_or_log(&self) {
        match self.flush() {
            Ok(()) => {
                if lock(&self.last_error).take().is_some() {
                    tracing::info!(path = %self.path().display(), "the store works again; usage counts are being kept");
                }
            }
            Err(err) => self.log_error(&err),
        }
    }

    fn log_error(&self, err: &StoreError) {
        let text = err.to_string();
        let mut last = lock(&self.last_error);
        if last.as_deref() != Some(text.as_str()) {
            tracing::error!(error = %text, "usage counts cannot be kept; the bot keeps answering");
            *last = Some(text);
        }
    }

    /// Runs `f` on the database, opening it first if an earlier open failed. A failure
    /// closes it, so the next call opens it afresh (a replaced or repaired file).
    fn with_db<T>(
        &self,
        f: impl FnOnce(&mut Db) -> Result<T, rusqlite::Error>,
    ) -> Result<T, StoreError> {
        let mut guard = lock(&self.db);
        if guard.is_none() {
            *guard = Some(connect(&self.dir)?);
        }
        let Some(db) = guard.as_mut() else {
            unreachable!("opened above")
        };
        f(db).map_err(|cause| {
            *guard = None;
            StoreError::Sql {
                path: self.path(),
                cause,
            }
        })
    }

    /// The counts, including what this process counted and has not written yet.
    pub fn stats(&self) -> Result<Stats, StoreError> {
        self.flush()?;
        self.with_db(|db| read_stats(&db.conn, now()))
    }

    /// Unanswered questions still kept, the same text (ignoring case) counted once, most
    /// recently asked first.
    pub fn unanswered(&self) -> Result<Vec<Unanswered>, StoreError> {
        self.flush()?;
        self.with_db(|db| {
            let mut statement = db.conn.prepare(
                "SELECT MIN(text), COUNT(*), MAX(at) FROM unanswered
                 GROUP BY lower(text) ORDER BY MAX(at) DESC, MIN(text)",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(Unanswered {
                    text: row.get(0)?,
                    count: row.get::<_, i64>(1)? as u64,
                    last_at: row.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Deletes unanswered question text older than `days` (the counts stay); returns how
    /// many questions' text went.
    pub fn expire(&self, days: u32, now: i64) -> Result<usize, StoreError> {
        let cutoff = now - i64::from(days) * 86_400;
        self.with_db(|db| {
            db.conn
                .execute("DELETE FROM unanswered WHERE at < ?1", [cutoff])
        })
    }

    /// Deletes all unanswered question text now (the counts stay).
    pub fn forget_text(&self) -> Result<usize, StoreError> {
        self.flush()?;
        self.with_db(|db| db.conn.execute("DELETE FROM unanswered", []))
    }

    /// Takes a question out of the unanswered inbox (once it has been taught); returns how
    /// many times it had been asked.
    pub fn remove_unanswered(&self, text: &str) -> Result<usize, StoreError> {
        self.flush()?;
        let text = clean_question(text);
        self.with_db(|db| {
            db.conn.execute(
                "DELETE FROM unanswered WHERE lower(text) = lower(?1)",
                [text],
            )
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// An unanswered question as kept: one line, trimmed, at most [`QUESTION_CHARS`].
fn clean_question(question: &str) -> String {
    let one_line = question.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate_chars(&one_line, QUESTION_CHARS).to_owned()
}

fn write(db: &mut Db, pending: &Pending) -> Result<(), rusqlite::Error> {
    let tx = db
        .conn
        .transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut answer = tx.prepare_cached(
            "INSERT INTO answers (at, via, kind, section, tier) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut unanswered =
            tx.prepare_cached("INSERT INTO unanswered (at, text) VALUES (?1, ?2)")?;
        for row in &pending.answers {
            answer.execute(params![row.at, row.via, row.kind, row.section, row.tier])?;
            if let Some(question) = &row.question {
                unanswered.execute(params![row.at, question])?;
            }
        }
        let mut vote = tx.prepare_cached(
            "INSERT INTO votes (reply, member, section, helpful, at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (reply, member) DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
        )?;
        for row in &pending.votes {
            let member = member_hash(&db.key, row.member);
            vote.execute(params![row.reply, member, row.section, row.helpful, row.at])?;
        }
    }
    tx.commit()
}

/// A member id as stored: HMAC-SHA256 under the data folder's key, cut to 16 bytes.
fn member_hash(key: &[u8], member: u64) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(&member.to_le_bytes());
    mac.finalize().into_bytes()[..16].to_vec()
}

fn read_stats(conn: &Connection, now: i64) -> Result<Stats, rusqlite::Error> {
    let mut stats = Stats::default();
    let mut by_kind = conn.prepare(
        "SELECT kind, tier, section, COUNT(*) FROM answers GROUP BY kind, tier, section",
    )?;
    let rows = by_kind.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, Option<String>>(1)?,
            row.get::<_, Option<String>>(2)?,
            row.get::<_, i64>(3)? as u64,
        ))
    })?;
    for row in rows {
        let (kind, tier, section, n) = row?;
        stats.asked += n;
        match kind.as_str() {
            "answer" | "overview" => {
                stats.answered += n;
                if let Some(section) = section {
                    stats.sections.entry(section).or_default().answered += n;
                }
            }
            "no_match" => stats.unanswered += n,
            "seek_care" => {
                *stats
                    .escalations
                    .entry(tier.unwrap_or_default())
                    .or_default() += n;
            }
            _ => {}
        }
    }
    let since = |seconds: i64| -> Result<u64, rusqlite::Error> {
        conn.query_row(
            "SELECT COUNT(*) FROM answers WHERE at >= ?1",
            [now - seconds],
            |row| row.get::<_, i64>(0),
        )
        .map(|n| n as u64)
    };
    stats.asked_last_day = since(86_400)?;
    stats.asked_last_week = since(7 * 86_400)?;
    let mut votes = conn.prepare(
        "SELECT section, SUM(helpful != 0), SUM(helpful = 0) FROM votes GROUP BY section",
    )?;
    let rows = votes.query_map([], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)? as u64,
            row.get::<_, i64>(2)? as u64,
        ))
    })?;
    for row in rows {
        let (section, helpful, not_helpful) = row?;
        let entry = stats.sections.entry(section).or_default();
        entry.helpful += helpful;
        entry.not_helpful += not_helpful;
    }
    stats.unanswered_kept = conn.query_row("SELECT COUNT(*) FROM unanswered", [], |row| {
        row.get::<_, i64>(0)
    })? as u64;
    Ok(stats)
}

/// Opens the database of a data folder: creates the folder and the key, sets WAL mode,
/// applies migrations and imports an old `stats.json`.
fn connect(dir: &Path) -> Result<Db, StoreError> {
    let path = dir.join(DB_FILE);
    fs::create_dir_all(dir).map_err(|cause| StoreError::Io {
        path: dir.to_owned(),
        cause,
    })?;
    let key = read_or_create_key(&dir.join(KEY_FILE))?;
    let sql = |cause| StoreError::Sql {
        path: path.clone(),
        cause,
    };
    let mut conn = Connection::open(&path).map_err(sql)?;
    // Writers from other processes wait their turn instead of failing with "database is
    // locked"; a write here is a few milliseconds.
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(sql)?;
    set_wal(&conn).map_err(sql)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql)?;
    migrate(&mut conn, &path)?;
    import_old_stats(&mut conn, dir)?;
    Ok(Db { conn, key })
}

/// Switches the database to write-ahead logging. A second process starting on the same file at
/// that moment can get "database is locked" at once, without the busy timeout (the switch needs
/// the file to itself), so the switch is tried again for up to a second; a database already in
/// WAL needs no switch at all.
fn set_wal(conn: &Connection) -> Result<(), rusqlite::Error> {
    let mut tries = 0;
    loop {
        let mode: Result<String, _> = conn.query_row("PRAGMA journal_mode", [], |row| row.get(0));
        let result = match mode {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(_) => conn.pragma_update(None, "journal_mode", "WAL"),
            Err(err) => Err(err),
        };
        match result {
            Err(err)
                if tries < 20
                    && err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) =>
            {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn read_or_create_key(path: &Path) -> Result<Vec<u8>, StoreError> {
    let io = |cause| StoreError::Io {
        path: path.to_owned(),
        cause,
    };
    match fs::read(path) {
        Ok(key) if !key.is_empty() => return Ok(key),
        Ok(_) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(cause) => return Err(io(cause)),
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|err| io(std::io::Error::other(err.to_string())))?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(&key).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(key.to_vec())
        }
        // Another process created it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => fs::read(path).map_err(io),
        Err(cause) => Err(io(cause)),
    }
}

fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let sql = |cause| StoreError::Sql {
        path: path.to_owned(),
        cause,
    };
    let known = MIGRATIONS.len() as i64;
    // Taking the write lock first, so two processes starting at once migrate once.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(sql)?;
    if found > known {
        return Err(StoreError::Newer {
            path: path.to_owned(),
            found,
            known,
        });
    }
    for (version, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        tx.execute_batch(migration).map_err(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)
            .map_err(sql)?;
    }
    tx.commit().map_err(sql)
}

/// The counts `stats.json` held before the store existed.
#[derive(Deserialize)]
struct OldStats {
    #[serde(default)]
    asked: u64,
    #[serde(default)]
    answered: u64,
    #[serde(default)]
    unanswered: u64,
    #[serde(default)]
    escalations: BTreeMap<String, u64>,
    #[serde(default)]
    sections: BTreeMap<String, OldSection>,
    #[serde(default)]
    unanswered_samples: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
struct OldSection {
    #[serde(default)]
    answered: u64,
    #[serde(default)]
    helpful: u64,
    #[serde(default)]
    not_helpful: u64,
}

/// Imports an old `stats.json` once (its counts as rows dated 1970, its unanswered samples
/// as asked now, so they get the full retention period), then renames it. The import is
/// noted in the database in the same transaction, so a failed rename cannot count twice.
fn import_old_stats(conn: &mut Connection, dir: &Path) -> Result<(), StoreError> {
    let old_path = dir.join(OLD_STATS_FILE);
    let bytes = match fs::read(&old_path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(cause) => {
            return Err(StoreError::Io {
                path: old_path,
                cause,
            })
        }
    };
    let db_path = dir.join(DB_FILE);
    let sql = |cause| StoreError::Sql {
        path: db_path.clone(),
        cause,
    };
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql)?;
    let done: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = 'stats_json_imported'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql)?;
    if done.is_none() {
        let old: OldStats =
            serde_json::from_slice(&bytes).map_err(|cause| StoreError::OldStats {
                path: old_path.clone(),
                cause,
            })?;
        import_rows(&tx, &old).map_err(sql)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('stats_json_imported', ?1)",
            [now().to_string()],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        tracing::info!(from = %old_path.display(), asked = old.asked, "imported the old usage counts into the store");
    }
    let renamed = dir.join(format!("{OLD_STATS_FILE}.imported"));
    fs::rename(&old_path, &renamed).map_err(|cause| StoreError::Io {
        path: old_path,
        cause,
    })
}

fn import_rows(tx: &rusqlite::Transaction, old: &OldStats) -> Result<(), rusqlite::Error> {
    let mut answer = tx.prepare(
        "INSERT INTO answers (at, via, kind, section, tier) VALUES (0, 'imported', ?1, ?2, ?3)",
    )?;
    let mut in_sections = 0;
    for (id, section) in &old.sections {
        let kind = if id == OVERVIEW_ID {
            "overview"
        } else {
            "answer"
        };
        for _ in 0..section.answered {
            answer.execute(params![kind, id, None::<&str>])?;
        }
        in_sections += section.answered;
    }
    // Answers counted before sections were (none in practice) still count as answered.
    for _ in in_sections..old.answered {
        answer.execute(params!["answer", None::<&str>, None::<&str>])?;
    }
    let mut escalated = 0;
    for (tier, n) in &old.escalations {
        for _ in 0..*n {
            answer.execute(params!["seek_care", None::<&str>, tier])?;
        }
        escalated += n;
    }
    for _ in 0..old.unanswered {
        answer.execute(params!["no_match", None::<&str>, None::<&str>])?;
    }
    let counted = old.answered.max(in_sections) + escalated + old.unanswered;
    for _ in counted..old.asked {
        answer.execute(params!["greeting", None::<&str>, None::<&str>])?;
    }
    // Old votes had no member: each becomes its own anonymous vote.
    let mut vote = tx.prepare(
        "INSERT INTO votes (reply, member, section, helpful, at) VALUES ('stats.json', ?1, ?2, ?3, 0)",
    )?;
    let mut n: u64 = 0;
    for (id, section) in &old.sections {
        for helpful in std::iter::repeat_n(true, section.helpful as usize)
            .chain(std::iter::repeat_n(false, section.not_helpful as usize))
        {
            n += 1;
            vote.execute(params![n.to_le_bytes().to_vec(), id, helpful])?;
        }
    }
    let mut unanswered = tx.prepare("INSERT INTO unanswered (at, text) VALUES (?1, ?2)")?;
    let at = now();
    for (text, count) in &old.unanswered_samples {
        for _ in 0..*count {
            unanswered.execute(params![at, text])?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> crate::engine::Engine {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        crate::engine::Engine::in_memory(crate::knowledge::Knowledge::load(&dir).unwrap()).unwrap()
    }

    #[test]
    fn retention_deletes_old_question_text_and_keeps_the_counts() {
        let engine = engine();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let old = "how do I fix my wobbly office chair";
        let new = "what is the capital of peru";
        store.record(old, &engine.ask(old), "mention");
        store.record(new, &engine.ask(new), "command");
        store.flush().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let day = 86_400;
        conn.execute(
            "UPDATE unanswered SET at = at - ?1 WHERE text = ?2",
            params![31 * day, old],
        )
        .unwrap();
        assert_eq!(store.expire(30, now()).unwrap(), 1);
        let inbox = store.unanswered().unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].text, new);
        let stats = store.stats().unwrap();
        assert_eq!((stats.asked, stats.unanswered), (2, 2));
        assert_eq!(stats.unanswered_kept, 1);
        assert_eq!(store.forget_text().unwrap(), 1);
        assert!(store.unanswered().unwrap().is_empty());
        assert_eq!(store.stats().unwrap().unanswered, 2);
    }

    #[test]
    fn a_corrupt_database_is_one_clear_error_and_counting_goes_on_in_memory() {
        let engine = engine();
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(DB_FILE), vec![7u8; 8192]).unwrap();
        let err = Store::open(dir.path()).err().expect("refused");
        assert!(err.is_corrupt(), "{err}");
        assert!(err.to_string().contains(DB_FILE), "{err}");
        // The bot's way: opens anyway, counts in memory, and writes once the file is fixed.
        let store = Store::open_or_log(dir.path());
        let question = "how do I do the bridge";
        store.record(question, &engine.ask(question), "mention");
        assert!(store.flush().is_err());
        fs::remove_file(dir.path().join(DB_FILE)).unwrap();
        store.record(question, &engine.ask(question), "mention");
        store.flush().unwrap();
        assert_eq!(store.stats().unwrap().asked, 2);
    }

    #[test]
    fn a_member_voting_again_on_one_reply_counts_once_and_changes_their_vote() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for _ in 0..10 {
            store.vote("1001", 42, "knee-to-chest", true);
        }
        store.vote("1001", 42, "knee-to-chest", false);
        store.vote("1002", 42, "knee-to-chest", true);
        store.vote("1001", 43, "knee-to-chest", true);
        let section = store.stats().unwrap().sections["knee-to-chest"].clone();
        assert_eq!((section.helpful, section.not_helpful), (2, 1));
    }

    #[test]
    fn member_ids_are_stored_only_as_a_keyed_hash() {
        let dir = tempfile::tempdir().unwrap();
        let member: u64 = 123_456_789_012_345_678;
        let store = Store::open(dir.path()).unwrap();
        store.vote("1001", member, "warm-up", true);
        store.flush().unwrap();
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        let stored: Vec<u8> = conn
            .query_row("SELECT member FROM votes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(stored.len(), 16);
        let unkeyed = <Sha256 as sha2::Digest>::digest(member.to_le_bytes());
        assert_ne!(stored, unkeyed[..16].to_vec());
        assert_ne!(stored, member_hash(b"another key", member));
        let bytes = fs::read(dir.path().join(DB_FILE)).unwrap();
        let id = member.to_string();
        assert!(!bytes.windows(id.len()).any(|w| w == id.as_bytes()));
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(dir.path()).err().expect("refused");
        assert!(matches!(err, StoreError::Newer { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer backcare"), "{err}");
    }

    #[test]
    fn an_old_stats_file_is_imported_once_and_renamed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join(OLD_STATS_FILE),
            r#"{"asked": 9, "answered": 4, "unanswered": 2,
                "escalations": {"emergency": 1, "urgent": 1},
                "sections": {"warm-up": {"answered": 3, "helpful": 2, "not_helpful": 1},
                             "overview": {"answered": 1, "helpful": 0, "not_helpful": 0}},
                "unanswered_samples": {"how do i crack my wrist": 2}}"#,
        )
        .unwrap();
        let store = Store::open(dir.path()).unwrap();
        let stats = store.stats().unwrap();
        assert_eq!((stats.asked, stats.answered, stats.unanswered), (9, 4, 2));
        assert_eq!(stats.escalations["emergency"], 1);
        assert_eq!(
            stats.sections["warm-up"],
            SectionStats {
                answered: 3,
                helpful: 2,
                not_helpful: 1
            }
        );
        let inbox = store.unanswered().unwrap();
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].count, 2);
        assert!(!dir.path().join(OLD_STATS_FILE).exists());
        assert!(dir.path().join("stats.json.imported").exists());
        // Put back (as if the rename had failed): not counted twice.
        fs::rename(
            dir.path().join("stats.json.imported"),
            dir.path().join(OLD_STATS_FILE),
        )
        .unwrap();
        drop(store);
        let again = Store::open(dir.path()).unwrap().stats().unwrap();
        assert_eq!(again.asked, 9);
    }
}
