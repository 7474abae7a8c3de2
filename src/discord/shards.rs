//! Which gateway shards this process runs, and how many of them are connected.
//!
//! The count feeds `/healthz` and the `backcare_shards_connected` gauge. It is re-read from
//! serenity's shard manager on every stage change rather than added up from the events,
//! which are dispatched on separate tasks and can arrive out of order.

use std::sync::{Arc, OnceLock};

use poise::serenity_prelude as serenity;
use serenity::{Client, ConnectionStage, ShardManager, ShardStageUpdateEvent};

use crate::config::Shards;
use crate::service::Service;

/// Connects the configured shards and runs until they all stop.
pub async fn start(client: &mut Client, shards: Shards) -> serenity::Result<()> {
    match shards {
        Shards::Auto => client.start_autosharded().await,
        // serenity 0.12 starts `range.start..=range.end`: the end of the `Range` is included.
        Shards::Range { first, last, total } => client.start_shard_range(first..last, total).await,
    }
}

/// A serenity event handler that keeps the connected-shard count current.
pub struct ShardWatch {
    service: Arc<Service>,
    manager: OnceLock<Arc<ShardManager>>,
    /// Serialises read-and-store, so an older count can never overwrite a newer one.
    counting: tokio::sync::Mutex<()>,
}

impl ShardWatch {
    pub fn new(service: Arc<Service>) -> Arc<ShardWatch> {
        Arc::new(ShardWatch {
            service,
            manager: OnceLock::new(),
            counting: tokio::sync::Mutex::new(()),
        })
    }

    /// The client's shard manager, known only once the client is built.
    pub fn watch(&self, manager: Arc<ShardManager>) {
        let _ = self.manager.set(manager);
    }

    /// Counts the shards serenity reports connected and records the count.
    pub async fn refresh(&self) {
        let Some(manager) = self.manager.get() else {
            return;
        };
        let _counting = self.counting.lock().await;
        let connected = manager
            .runners
            .lock()
            .await
            .values()
            .filter(|runner| runner.stage == ConnectionStage::Connected)
            .count();
        self.service.health.set_shards_connected(connected);
    }

    /// After the gateway is closed: nothing is connected any more.
    pub async fn stopped(&self) {
        let _counting = self.counting.lock().await;
        self.service.health.set_shards_connected(0);
    }
}

#[serenity::async_trait]
impl serenity::EventHandler for ShardWatch {
    async fn shard_stage_update(&self, _ctx: serenity::Context, event: ShardStageUpdateEvent) {
        tracing::info!(shard = event.shard_id.0, stage = %event.new, "shard connection changed");
        self.refresh().await;
    }
}
