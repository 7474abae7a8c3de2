//! Questions being answered, so a shutdown can let them finish: every message and interaction
//! is tracked while its handler runs.
//!
//! Wraps the poise framework rather than each handler, so no command or event can be
//! forgotten. Once a shutdown began, events are still handled (and tracked): the answering
//! path then answers red flags only and declines ordinary questions
//! ([`super::rate_limit::Asked::Restarting`]), because Discord never delivers a message again
//! and a warning sign must not be lost to a restart. Other gateway events (READY, shard
//! updates) pass through untouched.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::FullEvent;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

/// A [`serenity::Framework`] that counts the questions its inner framework is answering.
pub struct Tracked<F> {
    inner: F,
    in_flight: TaskTracker,
}

impl<F> Tracked<F> {
    pub fn new(inner: F, in_flight: TaskTracker) -> Tracked<F> {
        Tracked { inner, in_flight }
    }
}

#[serenity::async_trait]
impl<F: serenity::Framework> serenity::Framework for Tracked<F> {
    async fn init(&mut self, client: &serenity::Client) {
        self.inner.init(client).await;
    }

    async fn dispatch(&self, ctx: serenity::Context, event: FullEvent) {
        if !is_question(&event) {
            return self.inner.dispatch(ctx, event).await;
        }
        // Held while the handler runs, so a shutdown waits for it (also for one that arrived
        // after the shutdown began: its red-flag check and reply are quick).
        let token = self.in_flight.token();
        // Everything logged while handling it (the answer, a failed send) carries its ids.
        let span = tracing::info_span!(
            "event",
            kind = event.snake_case_name(),
            id = event_id(&event),
            shard = ctx.shard_id.0
        );
        self.inner.dispatch(ctx, event).instrument(span).await;
        drop(token);
    }
}

/// The message or interaction id, to find one question's log lines (never its text).
fn event_id(event: &FullEvent) -> Option<u64> {
    match event {
        FullEvent::Message { new_message } => Some(new_message.id.get()),
        FullEvent::InteractionCreate { interaction } => Some(interaction.id().get()),
        _ => None,
    }
}

fn is_question(event: &FullEvent) -> bool {
    matches!(
        event,
        FullEvent::Message { .. } | FullEvent::InteractionCreate { .. }
    )
}
/// Stops taking questions and waits up to `grace` for those in flight. Returns how many
/// were still running when the wait gave up (0 when all finished).
pub async fn drain(in_flight: &TaskTracker, grace: Duration) -> usize {
    in_flight.close();
    let running = in_flight.len();
    if running > 0 {
        tracing::info!(running, "waiting for questions in flight");
    }
    match tokio::time::timeout(grace, in_flight.wait()).await {
        Ok(()) => 0,
        Err(_) => in_flight.len(),
    }
}
