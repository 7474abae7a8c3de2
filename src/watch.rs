//! Watches the knowledge folder and reports, debounced, that something in it changed.
//!
//! Owns only the file watching (notify); what a change leads to (a reload) is the caller's.

use std::path::Path;
use std::time::Duration;

use notify::RecommendedWatcher;
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use tokio::sync::mpsc;

/// How long the folder must be quiet before a change is reported: an editor saving a file
/// writes it in several steps, and a `git pull` touches several files.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(500);

/// A running watcher; dropping it stops the watching.
pub type Watcher = Debouncer<RecommendedWatcher, RecommendedCache>;

/// Starts watching `dir`. Each burst of changes sends one `()`; bursts that arrive while the
/// last is still unread are folded into it.
pub fn watch(dir: &Path, debounce: Duration) -> notify::Result<(Watcher, mpsc::Receiver<()>)> {
    let (tx, rx) = mpsc::channel(1);
    let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
        match result {
            Ok(events) if events.iter().any(|e| !e.kind.is_access()) => {
                // A full channel already holds a pending reload, which will read the change.
                let _ = tx.try_send(());
            }
            Ok(_) => {}
            Err(errors) => {
                for error in errors {
                    tracing::warn!(error = %error, "knowledge folder watch error");
                }
            }
        }
    })?;
    debouncer.watch(dir, notify::RecursiveMode::NonRecursive)?;
    Ok((debouncer, rx))
}
