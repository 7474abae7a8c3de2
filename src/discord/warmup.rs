//! `/warmup`: the guide's warm-up walked through one step at a time in one message, with a
//! countdown for the steps that name a time, and Pause, Next and Stop buttons that only the
//! member who started it can press.
//!
//! The steps and their times come from the engine ([`WarmupPlan`]); this module paces them
//! and redraws the message. The countdown is redrawn every five seconds (one edit per five
//! seconds stays well inside Discord's limits for editing a message) and at every click; a
//! shutdown stops every walk with a last edit saying so.

use poise::serenity_prelude as serenity;
use serenity::futures::StreamExt as _;
use serenity::{
    ButtonStyle, CommandInteraction, ComponentInteraction, ComponentInteractionCollector,
    CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter, CreateInteractionResponse,
    CreateInteractionResponseMessage, EditInteractionResponse, Http, Message, UserId,
};

use super::embeds::{no_mentions, ANSWER_COLOUR};
use super::retry::send_with_retry;
use super::{Context, Data, Error};
use crate::reply::NOT_MEDICAL_ADVICE;
use crate::service::Via;
use crate::warmup::WarmupPlan;

/// The countdown is redrawn every this many seconds of the walk.
const REFRESH_SECONDS: u32 = 5;
/// A paused walk, or a step with no time of its own, waits this long for a click at most.
const IDLE_SECONDS: u32 = 600;

const NOT_YOURS: &str =
    "Only the member who started this warm-up can use its buttons; start your own with /warmup.";
const RESTARTING: &str = "Stopped: the bot is restarting. Run /warmup again in a minute.";

/// Walk through the warm-up step by step, with a countdown (only you can press its buttons).
#[poise::command(slash_command)]
pub async fn warmup(ctx: Context<'_>) -> Result<(), Error> {
    let poise::Context::Application(app) = ctx else {
        return Ok(());
    };
    let origin = Origin::Command(app.interaction);
    walk(ctx.serenity_context(), ctx.data(), origin, false).await?;
    Ok(())
}

/// The interaction a walk answers: the `/warmup` command, or a "Warm up first" button under
/// a technique.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    Command(&'a CommandInteraction),
    Button(&'a ComponentInteraction),
}

impl Origin<'_> {
    fn id(&self) -> u64 {
        match self {
            Origin::Command(i) => i.id.get(),
            Origin::Button(i) => i.id.get(),
        }
    }

    fn owner(&self) -> UserId {
        match self {
            Origin::Command(i) => i.user.id,
            Origin::Button(i) => i.user.id,
        }
    }

    async fn respond(
        &self,
        http: &Http,
        response: CreateInteractionResponse,
    ) -> serenity::Result<()> {
        match self {
            Origin::Command(i) => i.create_response(http, response).await,
            Origin::Button(i) => i.create_response(http, response).await,
        }
    }

    async fn edit(&self, http: &Http, edit: EditInteractionResponse) -> serenity::Result<Message> {
        match self {
            Origin::Command(i) => i.edit_response(http, edit).await,
            Origin::Button(i) => i.edit_response(http, edit).await,
        }
    }
}

/// Walks the guide's warm-up in the response to `origin`, for the member who asked, until it
/// is done, stopped, idle too long, or the bot shuts down; `private` for a walk under a
/// private answer. Counted like the warm-up answer it walks through.
pub async fn walk(
    ctx: &serenity::Context,
    data: &Data,
    origin: Origin<'_>,
    private: bool,
) -> serenity::Result<()> {
    let plan = WarmupPlan::from_knowledge(data.service.engine().knowledge());
    let Some(plan) = plan else {
        let none = CreateInteractionResponseMessage::new()
            .content("The guides have no warm-up to walk through.")
            .ephemeral(true);
        return origin
            .respond(&ctx.http, CreateInteractionResponse::Message(none))
            .await;
    };
    let via = match origin {
        Origin::Command(_) => Via::Command,
        Origin::Button(_) => Via::Component,
    };
    data.service.choose(&plan.id, via);
    let key = origin.id();
    let owner = origin.owner();
    let mut walk = Walk::new(plan);
    // Listening before the message exists, so no click can come before the listener.
    let prefix = format!("warmup:{key}:");
    let mut clicks = ComponentInteractionCollector::new(ctx)
        .filter(move |c| c.data.custom_id.starts_with(&prefix))
        .stream();
    let first = CreateInteractionResponse::Message(
        CreateInteractionResponseMessage::new()
            .embed(walk.embed())
            .components(walk.buttons(key))
            .ephemeral(private)
            .allowed_mentions(no_mentions()),
    );
    send_with_retry("warm-up", || origin.respond(&ctx.http, first.clone())).await?;
    let pace = data.warmup_pace;
    let mut next_tick = tokio::time::Instant::now() + pace;
    while walk.end.is_none() {
        tokio::select! {
            () = data.shutdown.cancelled() => {
                walk.end = Some(End::Stopped(RESTARTING));
                let last = EditInteractionResponse::new().embed(walk.embed()).components(Vec::new());
                if let Err(err) = origin.edit(&ctx.http, last).await {
                    tracing::warn!(error = %err, "could not mark a warm-up stopped at shutdown");
                }
            }
            click = clicks.next() => {
                let Some(click) = click else { break };
                on_click(ctx, &mut walk, &click, key, owner).await;
            }
            () = tokio::time::sleep_until(next_tick) => {
                next_tick += pace;
                if walk.tick() {
                    let redraw = EditInteractionResponse::new()
                        .embed(walk.embed())
                        .components(walk.buttons(key));
                    // A failed redraw (Discord busy) is retried by the next one.
                    if let Err(err) = send_with_retry("warm-up countdown", || origin.edit(&ctx.http, redraw.clone())).await {
                        tracing::warn!(error = %err, "could not redraw a warm-up");
                    }
                }
            }
        }
    }
    Ok(())
}

/// A click on one of the walk's buttons: the owner's changes the walk and redraws it in the
/// same response; anyone else's is refused privately.
async fn on_click(
    ctx: &serenity::Context,
    walk: &mut Walk,
    click: &ComponentInteraction,
    key: u64,
    owner: UserId,
) {
    let response = if click.user.id == owner {
        match click.data.custom_id.rsplit(':').next() {
            Some("pause") => walk.paused = !walk.paused,
            Some("next") => walk.advance(),
            Some("stop") => walk.end = Some(End::Stopped("Stopped. Come back any time.")),
            _ => {}
        }
        walk.idle = 0;
        CreateInteractionResponse::UpdateMessage(
            CreateInteractionResponseMessage::new()
                .embed(walk.embed())
                .components(walk.buttons(key)),
        )
    } else {
        CreateInteractionResponse::Message(
            CreateInteractionResponseMessage::new()
                .content(NOT_YOURS)
                .ephemeral(true)
                .allowed_mentions(no_mentions()),
        )
    };
    if let Err(err) = click.create_response(ctx, response).await {
        tracing::warn!(error = %err, "could not answer a warm-up button");
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Done,
    Stopped(&'static str),
    TimedOut,
}

/// Where a member is in the warm-up.
struct Walk {
    plan: WarmupPlan,
    step: usize,
    /// Seconds left on this step, for a step that names a time.
    left: Option<u32>,
    paused: bool,
    /// Seconds spent waiting for a click (paused, or a step with no time).
    idle: u32,
    end: Option<End>,
}

impl Walk {
    fn new(plan: WarmupPlan) -> Walk {
        let left = plan.steps.first().and_then(|s| s.seconds);
        let end = plan.steps.is_empty().then_some(End::Done);
        Walk {
            plan,
            step: 0,
            left,
            paused: false,
            idle: 0,
            end,
        }
    }

    /// One second of the walk; true when the message should be redrawn.
    fn tick(&mut self) -> bool {
        match self.left {
            Some(left) if !self.paused => {
                let left = left.saturating_sub(1);
                self.left = Some(left);
                if left == 0 {
                    self.advance();
                    return true;
                }
                left % REFRESH_SECONDS == 0
            }
            _ => {
                self.idle += 1;
                if self.idle >= IDLE_SECONDS {
                    self.end = Some(End::TimedOut);
                    return true;
                }
                false
            }
        }
    }

    fn advance(&mut self) {
        self.step += 1;
        self.paused = false;
        self.idle = 0;
        match self.plan.steps.get(self.step) {
            Some(step) => self.left = step.seconds,
            None => self.end = Some(End::Done),
        }
    }

    fn embed(&self) -> CreateEmbed {
        let total = self.plan.steps.len();
        let (title, description) = match self.end {
            Some(End::Done) => (
                format!("{}: done", self.plan.title),
                format!(
                    "Nicely done. {}",
                    self.plan.closing.as_deref().unwrap_or_default()
                ),
            ),
            Some(End::Stopped(why)) => (format!("{}: stopped", self.plan.title), why.to_owned()),
            Some(End::TimedOut) => (
                format!("{}: stopped", self.plan.title),
                "Stopped after ten minutes without a click. Run /warmup to start again.".to_owned(),
            ),
            None => {
                let step = &self.plan.steps[self.step];
                let status = match (self.left, self.paused) {
                    (_, true) => "⏸ Paused: press **Resume** to carry on.".to_owned(),
                    (Some(left), false) => format!("⏱ {left} s left"),
                    (None, false) => "Take your time; press **Next** when you're done.".to_owned(),
                };
                (
                    format!("{}: step {} of {total}", self.plan.title, self.step + 1),
                    format!("{}\n\n{status}", step.text),
                )
            }
        };
        CreateEmbed::new()
            .title(title)
            .description(description)
            .colour(ANSWER_COLOUR)
            .footer(CreateEmbedFooter::new(format!(
                "From the guide \"{}\". {NOT_MEDICAL_ADVICE}",
                self.plan.guide
            )))
    }

    /// Pause (or Resume), Next and Stop while the walk runs; nothing once it ended.
    fn buttons(&self, key: u64) -> Vec<CreateActionRow> {
        if self.end.is_some() {
            return Vec::new();
        }
        let pause = if self.paused { "Resume" } else { "Pause" };
        vec![CreateActionRow::Buttons(vec![
            CreateButton::new(format!("warmup:{key}:pause"))
                .label(pause)
                .style(ButtonStyle::Secondary),
            CreateButton::new(format!("warmup:{key}:next"))
                .label("Next")
                .style(ButtonStyle::Primary),
            CreateButton::new(format!("warmup:{key}:stop"))
                .label("Stop")
                .style(ButtonStyle::Danger),
        ])]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::warmup::WarmupStep;

    fn walk() -> Walk {
        let step = |text: &str, seconds| WarmupStep {
            text: text.to_owned(),
            seconds,
        };
        Walk::new(WarmupPlan {
            id: "warm-up".to_owned(),
            title: "Warm up first".to_owned(),
            guide: "Guide".to_owned(),
            steps: vec![step("cat-cow", Some(10)), step("tilts", None)],
            closing: Some("Never force it.".to_owned()),
        })
    }

    #[test]
    fn the_countdown_redraws_every_five_seconds_and_moves_on_at_zero() {
        let mut walk = walk();
        let redraws: Vec<bool> = (0..10).map(|_| walk.tick()).collect();
        assert_eq!(
            redraws,
            [false, false, false, false, true, false, false, false, false, true]
        );
        assert_eq!((walk.step, walk.left), (1, None));
        // A step with no time waits for Next, and then the walk is done.
        assert!(!walk.tick());
        walk.advance();
        assert_eq!(walk.end, Some(End::Done));
        assert!(walk.buttons(1).is_empty());
    }

    #[test]
    fn a_paused_walk_keeps_its_time_and_gives_up_after_ten_minutes() {
        let mut walk = walk();
        walk.paused = true;
        for _ in 0..IDLE_SECONDS - 1 {
            assert!(!walk.tick());
        }
        assert_eq!(walk.left, Some(10));
        assert!(walk.tick());
        assert_eq!(walk.end, Some(End::TimedOut));
    }
}
