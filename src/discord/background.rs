//! What a running bot does besides answering: reloads the knowledge when its files change
//! (posting the result to the moderators' log channel), writes the usage stats to disk
//! every minute and at shutdown, and forgets members no longer held by the rate limit.
//!
//! Blocking work (reloading, writing stats) runs on tokio's blocking threads, never on the
//! async workers that answer members.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{ChannelId, Http};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::moderation;
use super::rate_limit::{self, QuestionLimits};
use crate::config::Shards;
use crate::service::Service;
use crate::watch;

/// How often the counts are written to the store while the bot runs.
pub const STATS_FLUSH_EVERY: Duration = Duration::from_secs(5);
/// How often unanswered question text past the retention period is deleted.
pub const EXPIRE_EVERY: Duration = Duration::from_secs(3600);

/// The running jobs. [`Background::stop`] ends them and writes the stats one last time;
/// dropping it ends them without writing.
pub struct Background {
    service: Arc<Service>,
    tasks: Vec<JoinHandle<()>>,
    /// Kept for the bot's lifetime: dropping it stops the watching.
    _watcher: Option<watch::Watcher>,
}

/// Starts watching `knowledge_dir`, the periodic stats flush and the rate limit's clean-up.
/// If the folder cannot be watched, that is logged and the bot serves on (a `/reload` still
/// works).
pub fn start(
    service: Arc<Service>,
    limits: Arc<QuestionLimits>,
    http: Arc<Http>,
    knowledge_dir: &Path,
    retention_days: u32,
    mod_log: Option<ChannelId>,
) -> Background {
    let mut tasks = vec![
        tokio::spawn(flush_periodically(Arc::clone(&service))),
        tokio::spawn(expire_periodically(Arc::clone(&service), retention_days)),
        tokio::spawn(forget_idle_periodically(limits)),
    ];
    let watcher = match watch::watch(knowledge_dir, watch::DEFAULT_DEBOUNCE) {
        Ok((watcher, changes)) => {
            tracing::info!(dir = %knowledge_dir.display(), "watching the knowledge folder for edits");
            tasks.push(tokio::spawn(reload_on_change(
                changes,
                Arc::clone(&service),
                http,
                mod_log,
            )));
            Some(watcher)
        }
        Err(err) => {
            tracing::warn!(dir = %knowledge_dir.display(), error = %err, "cannot watch the knowledge folder; edits need /reload to go live");
            None
        }
    };
    Background {
        service,
        tasks,
        _watcher: watcher,
    }
}

impl Background {
    /// Ends the jobs and writes the stats.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        flush_stats(Arc::clone(&self.service)).await;
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Whether this process posts reload results to the moderators' log. When the shards are
/// split over several processes each one reloads, and only the one running shard 0 posts,
/// so moderators see each result once even across hosts. Processes on one host that share
/// the index folder (two started for shard 0 by mistake, or an old and a new one during a
/// restart) also agree through it on which one posts; see [`Service::first_to_report`].
pub fn posts_mod_log(shards: Shards) -> bool {
    match shards {
        Shards::Auto => true,
        Shards::Range { first, .. } => first == 0,
    }
}

async fn reload_on_change(
    mut changes: mpsc::Receiver<()>,
    service: Arc<Service>,
    http: Arc<Http>,
    mod_log: Option<ChannelId>,
) {
    while changes.recv().await.is_some() {
        tracing::info!("knowledge files changed; reloading");
        let report = moderation::run_reload(Arc::clone(&service)).await;
        if !report.clean {
            tracing::warn!(report = %report.text, "the knowledge edit needs a moderator");
        }
        let Some(channel) = mod_log else {
            continue;
        };
        let first = {
            let service = Arc::clone(&service);
            tokio::task::spawn_blocking(move || service.first_to_report())
                .await
                .unwrap_or(true)
        };
        if first {
            moderation::post_to_mod_log(&http, channel, &report.text).await;
            tracing::info!(%channel, "reload result posted to the moderators' log");
        } else {
            tracing::info!("reload result already posted by another process on this host");
        }
    }
}

async fn flush_periodically(service: Arc<Service>) {
    let mut every = tokio::time::interval_at(
        tokio::time::Instant::now() + STATS_FLUSH_EVERY,
        STATS_FLUSH_EVERY,
    );
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        flush_stats(Arc::clone(&service)).await;
    }
}

async fn forget_idle_periodically(limits: Arc<QuestionLimits>) {
    let mut every = tokio::time::interval_at(
        tokio::time::Instant::now() + rate_limit::FORGET_EVERY,
        rate_limit::FORGET_EVERY,
    );
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        limits.forget_idle();
        tracing::debug!(
            members = limits.remembered(),
            "rate limit: forgot idle members"
        );
    }
}

async fn flush_stats(service: Arc<Service>) {
    if let Err(err) = tokio::task::spawn_blocking(move || service.store.flush_or_log()).await {
        tracing::error!(error = %err, "writing the usage stats stopped unexpectedly");
    }
}

/// Deletes unanswered question text older than the retention period: at start, then hourly.
async fn expire_periodically(service: Arc<Service>, days: u32) {
    let mut every = tokio::time::interval(EXPIRE_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let service = Arc::clone(&service);
        let expired =
            tokio::task::spawn_blocking(move || service.store.expire(days, crate::store::now()))
                .await;
        match expired {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(
                questions = n,
                days,
                "deleted unanswered question text past the retention period"
            ),
            // Logged by the flush job, which meets the same store.
            Ok(Err(err)) => tracing::debug!(error = %err, "cannot expire old question text"),
            Err(err) => tracing::error!(error = %err, "the retention job stopped unexpectedly"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_process_with_shard_zero_posts_reload_results() {
        assert!(posts_mod_log(Shards::Auto));
        assert!(posts_mod_log(Shards::Range {
            first: 0,
            last: 1,
            total: 4
        }));
        assert!(!posts_mod_log(Shards::Range {
            first: 2,
            last: 3,
            total: 4
        }));
    }
}
