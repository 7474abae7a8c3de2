//! How the running bot is doing, for `GET /healthz`: how many gateway shards are connected
//! and whether it is shutting down; and the names of the metrics `GET /metrics` shows.
//!
//! Written by the Discord layer, read by the HTTP server; knows neither. Whether the index is
//! loaded is not kept here: it is whether the [`crate::service::Service`] exists yet.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Metric names, in one place so dashboards and tests agree.
pub mod metric {
    pub const QUESTIONS: &str = "backcare_questions_total";
    pub const ESCALATIONS: &str = "backcare_escalations_total";
    /// Questions not answered because their author was over the rate limit.
    pub const QUESTIONS_LIMITED: &str = "backcare_questions_limited_total";
    pub const REPLY_SECONDS: &str = "backcare_reply_seconds";
    pub const RELOADS: &str = "backcare_reloads_total";
    pub const RELOADS_FAILED: &str = "backcare_reloads_failed_total";
    pub const SECTIONS: &str = "backcare_sections_indexed";
    pub const SHARDS_CONNECTED: &str = "backcare_shards_connected";
}

#[derive(Debug, Default)]
pub struct Health {
    shards_connected: AtomicUsize,
    draining: AtomicBool,
}

impl Health {
    /// Records how many of this process's shards are connected (also the metrics gauge).
    pub fn set_shards_connected(&self, shards: usize) {
        self.shards_connected.store(shards, Ordering::SeqCst);
        metrics::gauge!(metric::SHARDS_CONNECTED).set(shards as f64);
    }

    pub fn shards_connected(&self) -> usize {
        self.shards_connected.load(Ordering::SeqCst)
    }

    /// A shutdown began: no new questions are taken, so the bot is no longer healthy.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
