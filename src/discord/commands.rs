//! The members' slash commands: `/ask`, `/techniques`, `/technique` and `/redflags` (the
//! moderators' ones live in [`super::moderation`]).
//!
//! Each command asks the engine and lays the reply out with [`super::embeds`]; none of them
//! words an answer itself. Doc comments are the help text Discord shows.

use poise::serenity_prelude as serenity;
use poise::CreateReply;

use super::embeds::{self, no_mentions, EmbedParts};
use super::rate_limit::{self, Asked};
use super::retry::send_with_retry;
use super::{feedback, moderation, Context, Data, Error};
use crate::knowledge::{Kind, Section};
use crate::reply::Reply;
use crate::service::Via;
use crate::text::truncate_chars;

/// Every command the bot registers.
pub fn all() -> Vec<poise::Command<Data, Error>> {
    vec![
        ask(),
        techniques(),
        technique(),
        redflags(),
        moderation::reload(),
        moderation::stats(),
        moderation::check_message(),
        super::teaching::unanswered(),
        super::teaching::teach(),
        super::warmup::warmup(),
    ]
}

/// Ask a back-care question. Warning signs are always checked first.
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question, e.g. \"how do I warm up before cracking my back?\""]
    question: String,
) -> Result<(), Error> {
    let data = ctx.data();
    match rate_limit::ask(
        &data.service,
        &data.limits,
        ctx.author().id,
        &question,
        None,
        Via::Command,
    ) {
        Asked::Reply(reply) => send_reply(ctx, &reply, feedback::buttons(&reply)).await,
        Asked::Wait { retry_in, .. } => send_private(ctx, &rate_limit::notice(retry_in)).await,
        Asked::Restarting => send_private(ctx, rate_limit::RESTARTING).await,
    }
}

/// List the techniques and warm-ups the guides describe.
#[poise::command(slash_command)]
pub async fn techniques(ctx: Context<'_>) -> Result<(), Error> {
    let parts = embeds::techniques(ctx.data().service.engine().knowledge());
    send(ctx, parts).await
}

/// Show one technique or warm-up in full.
#[poise::command(slash_command)]
pub async fn technique(
    ctx: Context<'_>,
    #[description = "Which technique (start typing to pick one)"]
    #[autocomplete = "autocomplete_technique"]
    name: String,
) -> Result<(), Error> {
    let data = ctx.data();
    let wanted = name.trim();
    let exact = data
        .service
        .engine()
        .knowledge()
        .sections()
        .find(|(_, s)| {
            is_technique(s.kind)
                && (s.title.eq_ignore_ascii_case(wanted) || s.id.eq_ignore_ascii_case(wanted))
        })
        .map(|(_, s)| s.id.clone());
    // A name can be free text too, so it is triaged like any other message (a red flag
    // wins, even during a shutdown); an exact name opens its section, counted like any
    // answer; anything else is answered as a question, within the member's rate limit.
    let opened = match &exact {
        Some(id) if data.service.engine().triage(&name).hits.is_empty() => {
            data.service.choose(id, Via::Command).map(|a| a.reply)
        }
        _ => None,
    };
    let asked = match opened {
        Some(reply) => Asked::Reply(Box::new(reply)),
        None => rate_limit::ask(
            &data.service,
            &data.limits,
            ctx.author().id,
            &name,
            None,
            Via::Command,
        ),
    };
    match asked {
        Asked::Reply(reply) => send_reply(ctx, &reply, feedback::buttons(&reply)).await,
        Asked::Wait { retry_in, .. } => send_private(ctx, &rate_limit::notice(retry_in)).await,
        Asked::Restarting => send_private(ctx, rate_limit::RESTARTING).await,
    }
}

/// List the warning signs that need care instead of cracking, and what to do about each.
#[poise::command(slash_command)]
pub async fn redflags(ctx: Context<'_>) -> Result<(), Error> {
    let parts = embeds::red_flags(ctx.data().service.engine().knowledge());
    send(ctx, parts).await
}

/// Suggests technique and warm-up titles containing what the member typed so far.
async fn autocomplete_technique(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    section_choices(
        ctx,
        partial,
        |s, typed| {
            is_technique(s.kind) && (typed.is_empty() || s.title.to_lowercase().contains(typed))
        },
        |s| {
            let title = truncate_chars(&s.title, 100);
            (title.clone(), title)
        },
    )
}

/// Up to 25 autocomplete choices: the sections that `fits` what was typed so far (trimmed,
/// lower-cased), each as `choice` names and values it.
pub(super) fn section_choices(
    ctx: Context<'_>,
    partial: &str,
    fits: impl Fn(&Section, &str) -> bool,
    choice: impl Fn(&Section) -> (String, String),
) -> serenity::CreateAutocompleteResponse {
    let typed = partial.trim().to_lowercase();
    let engine = ctx.data().service.engine();
    let choices = engine
        .knowledge()
        .sections()
        .filter(|(_, s)| fits(s, &typed))
        .take(25)
        .map(|(_, s)| {
            let (name, value) = choice(s);
            serenity::AutocompleteChoice::new(name, value)
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

fn is_technique(kind: Kind) -> bool {
    matches!(kind, Kind::Technique | Kind::Warmup)
}

/// Sends an engine reply as an embed (with `buttons` under it); if that is refused (say, no
/// Embed Links permission), sends its plain text, so a seek-care reply still gets through.
async fn send_reply(
    ctx: Context<'_>,
    reply: &Reply,
    buttons: Vec<serenity::CreateActionRow>,
) -> Result<(), Error> {
    let embed = CreateReply::default()
        .embed(embeds::reply_parts(reply).build())
        .components(buttons.clone())
        .allowed_mentions(no_mentions());
    let Err(err) = send_with_retry("response", || ctx.send(embed.clone())).await else {
        return Ok(());
    };
    tracing::warn!(error = %format!("{err:#}"), "embed response failed; retrying as text");
    let text = CreateReply::default()
        .content(reply.text_within(embeds::MAX_CONTENT))
        .components(buttons)
        .allowed_mentions(no_mentions());
    send_with_retry("text response", || ctx.send(text.clone())).await?;
    Ok(())
}

async fn send(ctx: Context<'_>, parts: EmbedParts) -> Result<(), Error> {
    let list = CreateReply::default()
        .embed(parts.build())
        .allowed_mentions(no_mentions());
    send_with_retry("response", || ctx.send(list.clone())).await?;
    Ok(())
}

/// Tells a member privately why there is no answer now (over the rate limit, or the bot is
/// restarting). Every command gets a response (Discord shows "did not respond" otherwise);
/// only its author sees this one.
async fn send_private(ctx: Context<'_>, text: &str) -> Result<(), Error> {
    let notice = CreateReply::default()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    send_with_retry("rate-limit notice", || ctx.send(notice.clone())).await?;
    Ok(())
}
