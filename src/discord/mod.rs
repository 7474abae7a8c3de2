//! The Discord front end: connects to the gateway and wires commands and events to the engine.
//!
//! Only this module tree touches Discord types. Answers come from the [`Service`], whose live
//! engine a reload can swap while questions in flight keep the version they started with.

pub mod background;
pub mod commands;
pub mod embeds;
pub mod events;
pub mod feedback;
pub mod in_flight;
pub mod menu;
pub mod moderation;
pub mod rate_limit;
pub mod retry;
pub mod shards;
pub mod shutdown;
pub mod teaching;
pub mod warmup;

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use poise::serenity_prelude as serenity;
use serenity::{ChannelId, ClientBuilder, GatewayIntents, GuildId, HttpBuilder, RoleId};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, DEFAULT_API_URL};
use crate::service::Service;

pub use shutdown::shutdown_signal;

/// The error type of commands and event handlers; it is logged, never shown raw to members.
pub type Error = anyhow::Error;
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// What every command and event handler can reach.
pub struct Data {
    pub service: Arc<Service>,
    pub watch_channels: HashSet<ChannelId>,
    /// Members with one of these roles may use the moderator commands.
    pub moderator_roles: HashSet<RoleId>,
    /// Questions per member (red flags are never held back).
    pub limits: Arc<rate_limit::QuestionLimits>,
    /// Cancelled when a shutdown begins, so long-running walks (`/warmup`) stop cleanly.
    pub shutdown: CancellationToken,
    /// How long a second of `/warmup` lasts ([`Config::warmup_pace`]).
    pub warmup_pace: Duration,
}

/// Discord refused the bot's settings for good: trying again changes nothing until someone
/// changes a setting, so `backcare serve` exits with code 2 (systemd's
/// `RestartPreventExitStatus=2` then stops restarting it).
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Close code 4014. The bot only asks for a privileged intent (Message Content) when
    /// channels are watched.
    #[error(
        "Discord refused the connection (close code 4014, disallowed intents): watched \
         channels need the Message Content intent: turn it on under Bot > Privileged Gateway \
         Intents, or unset BACKCARE_WATCH_CHANNELS"
    )]
    MessageContentIntent,
    /// Close code 4004, or a 401 from the REST API while connecting (what Discord answers a
    /// bot that asks how many shards to run). The token is never printed.
    #[error(
        "Discord refused the token (authentication failed): copy a new one from Bot > Reset \
         Token in the developer portal into DISCORD_TOKEN"
    )]
    Token,
}

impl Refused {
    /// The refusal in an error serenity returns from connecting the shards, if it is one.
    pub fn from_connection(err: &serenity::Error) -> Option<Refused> {
        match err {
            serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents) => {
                Some(Refused::MessageContentIntent)
            }
            serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication) => {
                Some(Refused::Token)
            }
            serenity::Error::Http(err) if err.status_code().is_some_and(|s| s.as_u16() == 401) => {
                Some(Refused::Token)
            }
            _ => None,
        }
    }
}

/// How long shutting the shards down may take before `run` returns anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// How long a shutdown waits for the questions in flight. An answer takes milliseconds and
/// its reply well under a second; this leaves room for a slow Discord within `docker stop`'s
/// ten seconds.
const DRAIN_GRACE: Duration = Duration::from_secs(3);

/// Runs the bot until `shutdown` completes (then closes the gateway and returns `Ok`), or
/// until the connection fails for good.
pub async fn run(
    config: Config,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let mut http =
        HttpBuilder::new(config.token.expose()).default_allowed_mentions(embeds::no_mentions());
    if config.api_url != DEFAULT_API_URL {
        // Without ratelimiter_disabled serenity sends to discord.com whatever the proxy says.
        // Against Discord itself the rate limiter stays on, so bursts wait instead of failing.
        http = http
            .proxy(config.api_url.clone())
            .ratelimiter_disabled(true);
    }
    let http = http.build();

    let mut intents = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if !config.watch_channels.is_empty() {
        // Only watched channels need to read messages that do not mention the bot.
        intents |= GatewayIntents::MESSAGE_CONTENT;
    }

    let limits = Arc::new(rate_limit::QuestionLimits::new(config.rate_limit));
    let stopping = CancellationToken::new();
    let data = Data {
        shutdown: stopping.clone(),
        warmup_pace: config.warmup_pace,
        service: Arc::clone(&service),
        limits: Arc::clone(&limits),
        watch_channels: config
            .watch_channels
            .iter()
            .map(|&id| ChannelId::new(id))
            .collect(),
        moderator_roles: config
            .moderator_roles
            .iter()
            .map(|&id| RoleId::new(id))
            .collect(),
    };
    let guild = config.guild_id.map(GuildId::new);
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(),
            event_handler: |framework, event| Box::pin(events::handle(framework, event)),
            on_error: |error| Box::pin(on_error(error)),
            allowed_mentions: Some(embeds::no_mentions()),
            ..Default::default()
        })
        // Owners are not used, so skip the extra start-up request (the builder's setting wins
        // over the options').
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(bot = %ready.user.name, "connected to Discord");
                register(ctx, &framework.options().commands, guild).await;
                Ok(data)
            })
        })
        .build();

    let in_flight = TaskTracker::new();
    let shard_watch = shards::ShardWatch::new(Arc::clone(&service));
    let mut client = ClientBuilder::new_with_http(http, intents)
        .framework(in_flight::Tracked::new(framework, in_flight.clone()))
        .event_handler_arc(Arc::clone(&shard_watch))
        .await
        .context("cannot set up the Discord client")?;
    let shard_manager = client.shard_manager.clone();
    shard_watch.watch(Arc::clone(&shard_manager));
    let background = background::start(
        Arc::clone(&service),
        limits,
        client.http.clone(),
        &config.knowledge_dir,
        config.retention_days,
        config
            .mod_log_channel
            .filter(|_| background::posts_mod_log(config.shards))
            .map(ChannelId::new),
    );

    let result = tokio::select! {
        result = shards::start(&mut client, config.shards) => {
            result.map_err(|err| match Refused::from_connection(&err) {
                Some(refused) => anyhow::Error::new(refused),
                None => anyhow::Error::new(err).context("the Discord connection stopped"),
            })
        }
        () = shutdown => {
            tracing::info!("shutting down: no new questions, finishing those in flight");
            service.health.start_draining();
            stopping.cancel();
            let unfinished = in_flight::drain(&in_flight, DRAIN_GRACE).await;
            if unfinished > 0 {
                tracing::warn!(unfinished, "questions still unanswered after {DRAIN_GRACE:?}; closing anyway");
            }
            if tokio::time::timeout(SHUTDOWN_GRACE, shard_manager.shutdown_all()).await.is_err() {
                tracing::warn!("the gateway did not close in time; exiting anyway");
            }
            Ok(())
        }
    };
    shard_watch.stopped().await;
    background.stop().await;
    result
}

/// Registers the slash commands; a failure is logged, and the bot keeps answering mentions.
async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Data, Error>],
    guild: Option<GuildId>,
) {
    let result = match guild {
        Some(guild) => poise::builtins::register_in_guild(ctx, commands, guild).await,
        None => poise::builtins::register_globally(ctx, commands).await,
    };
    match (result, guild) {
        (Ok(()), Some(guild)) => tracing::info!(%guild, "registered slash commands in the guild"),
        (Ok(()), None) => tracing::info!("registered slash commands globally"),
        (Err(err), _) => tracing::error!(error = %err, "could not register slash commands"),
    }
}

/// Logs every error; a member whose command failed gets a short apology, never the details.
async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().qualified_name, error = %format!("{error:#}"), "command failed");
            let sorry = poise::CreateReply::default()
                .content("Sorry, something went wrong answering that. Please try again.")
                .ephemeral(true)
                .allowed_mentions(embeds::no_mentions());
            if let Err(err) = ctx.send(sorry).await {
                tracing::error!(error = %err, "could not report a command error");
            }
        }
        // A moderator command refused to a member: the check already answered and logged it.
        poise::FrameworkError::CommandCheckFailed { error: None, .. } => {}
        poise::FrameworkError::EventHandler { error, event, .. } => {
            tracing::error!(event = event.snake_case_name(), error = %format!("{error:#}"), "event handler failed");
        }
        other => {
            if let Err(err) = poise::builtins::on_error(other).await {
                tracing::error!(error = %err, "could not handle a framework error");
            }
        }
    }
}
