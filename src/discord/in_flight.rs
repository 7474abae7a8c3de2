//! Questions being answered, so a shutdown can let them finish: every message and interaction
//! is tracked while its handler runs, and once a shutdown began new ones are turned away.
//!
//! Wraps the poise framework rather than each handler, so no command or event can be
//! forgotten. Other gateway events (READY, shard updates) pass through untouched.

use std::time::Duration;

use poise::serenity_prelude as serenity;
use serenity::{
    CreateInteractionResponse, CreateInteractionResponseMessage, FullEvent, Interaction,
};
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use super::embeds::no_mentions;

/// Shown to a member whose slash command arrives while the bot is shutting down.
const RESTARTING: &str = "The bot is restarting; please ask again in a minute.";

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
        // The token first, then the check: a shutdown that closes in between still waits.
        let token = self.in_flight.token();
        if self.in_flight.is_closed() {
            drop(token);
            turn_away(&ctx, &event).await;
            return;
        }
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

/// A slash command gets a short ephemeral note; a message is left for after the restart.
async fn turn_away(ctx: &serenity::Context, event: &FullEvent) {
    tracing::debug!(
        event = event.snake_case_name(),
        "shutting down; not taking it"
    );
    if let FullEvent::InteractionCreate {
        interaction: Interaction::Command(command),
    } = event
    {
        let note = CreateInteractionResponseMessage::new()
            .content(RESTARTING)
            .ephemeral(true)
            .allowed_mentions(no_mentions());
        if let Err(err) = command
            .create_response(ctx, CreateInteractionResponse::Message(note))
            .await
        {
            tracing::warn!(error = %err, "could not tell a member the bot is restarting");
        }
    }
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
