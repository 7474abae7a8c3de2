//! How the running bot is doing, for `GET /healthz`: how many gateway shards are connected
//! and whether it is shutting down.
//!
//! Written by the Discord layer, read by the HTTP server; knows neither. Whether the index is
//! loaded is not kept here: it is whether the [`crate::service::Service`] exists yet.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::service::metric;

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
