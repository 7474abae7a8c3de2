//! Gateway events: answers mentions and DMs, watches configured channels for red flags, and
//! passes button clicks to [`super::feedback`].
//!
//! Decides whether a message gets a reply (red flags first, then the rate limit) and sends
//! it; the answer itself comes from the engine. A failed send is tried again when Discord
//! says "not now", then logged, never a crash.

use poise::serenity_prelude as serenity;
use serenity::{
    ActionRowComponent, Button, ButtonKind, CreateMessage, FullEvent, Interaction, Message, UserId,
};

use super::embeds::{self, no_mentions, MAX_CONTENT};
use super::rate_limit::{self, Asked};
use super::retry::send_with_retry;
use super::{feedback, menu, Data, Error};
use crate::reply::Reply;
use crate::service::Via;

/// poise's event hook: everything that is not a slash command arrives here.
pub async fn handle(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &FullEvent,
) -> Result<(), Error> {
    let ctx = framework.serenity_context;
    match event {
        FullEvent::Message { new_message } => {
            let bot_id = ctx.cache.current_user().id;
            on_message(ctx, framework.user_data, bot_id, new_message).await;
        }
        FullEvent::InteractionCreate {
            interaction: Interaction::Component(click),
        } => {
            let data = framework.user_data;
            if !menu::on_choose(ctx, data, click).await
                && !feedback::on_next_step(ctx, data, click).await
            {
                feedback::on_click(ctx, data, click).await;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Why the bot looks at a message at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Addressed {
    /// A DM or a mention: always answered.
    Asked,
    /// A watched channel: answered only when it holds a red flag.
    Watched,
}

async fn on_message(ctx: &serenity::Context, data: &Data, bot_id: UserId, msg: &Message) {
    // Bots (and the bot itself) are never answered, so two bots cannot loop.
    if msg.author.bot || msg.author.id == bot_id {
        return;
    }
    // A reply to one of the bot's answers is a follow-up on it, pinged or not.
    let after = follows_up_on(msg, bot_id);
    let addressed = if msg.guild_id.is_none() || msg.mentions_user_id(bot_id) || after.is_some() {
        Addressed::Asked
    } else if data.watch_channels.contains(&msg.channel_id) {
        Addressed::Watched
    } else {
        return;
    };
    let question = strip_mention(&msg.content, bot_id);
    let via = if msg.guild_id.is_none() {
        Via::DirectMessage
    } else {
        Via::Mention
    };
    // The whole message is triaged; only the search reads just its start (the engine's job).
    let reply = match addressed {
        Addressed::Asked => {
            let asked = rate_limit::ask(
                &data.service,
                &data.limits,
                msg.author.id,
                &question,
                after.as_deref(),
                via,
            );
            match asked {
                Asked::Reply(reply) => *reply,
                Asked::Wait { retry_in, notify } => {
                    if notify {
                        send_notice(ctx, msg, &rate_limit::notice(retry_in)).await;
                    }
                    return;
                }
                Asked::Restarting => {
                    send_notice(ctx, msg, rate_limit::RESTARTING).await;
                    return;
                }
            }
        }
        Addressed::Watched => match data.service.check_red_flags(&question, Via::WatchedChannel) {
            Some(answer) => answer.reply,
            None => return,
        },
    };
    tracing::debug!(
        channel = %msg.channel_id,
        message = %msg.id,
        reply = reply.kind(),
        ?addressed,
        "answering a message"
    );
    send_reply(ctx, msg, &reply).await;
}

/// Replies with an embed; if that fails (say, no Embed Links permission), tries plain text,
/// so a seek-care reply still gets through.
async fn send_reply(ctx: &serenity::Context, msg: &Message, reply: &Reply) {
    let buttons = feedback::buttons(reply);
    let embed = CreateMessage::new()
        .embed(embeds::reply_embed(reply))
        .components(buttons.clone())
        .reference_message(msg)
        .allowed_mentions(no_mentions());
    let sent = send_with_retry("reply", || msg.channel_id.send_message(ctx, embed.clone())).await;
    let Err(err) = sent else {
        return;
    };
    tracing::warn!(channel = %msg.channel_id, message = %msg.id, error = %err, "embed reply failed; retrying as text");
    let text = CreateMessage::new()
        .content(reply.text_within(MAX_CONTENT))
        .components(buttons)
        .reference_message(msg)
        .allowed_mentions(no_mentions());
    let sent = send_with_retry("text reply", || {
        msg.channel_id.send_message(ctx, text.clone())
    })
    .await;
    if let Err(err) = sent {
        tracing::error!(channel = %msg.channel_id, message = %msg.id, error = %err, "could not reply");
    }
}

/// The section of the bot's answer a message replies to, read from that answer's feedback
/// buttons, so no conversation state has to survive a restart.
fn follows_up_on(msg: &Message, bot_id: UserId) -> Option<String> {
    let answer = msg.referenced_message.as_deref()?;
    if answer.author.id != bot_id {
        return None;
    }
    answer
        .components
        .iter()
        .flat_map(|row| &row.components)
        .find_map(|component| match component {
            ActionRowComponent::Button(Button {
                data: ButtonKind::NonLink { custom_id, .. },
                ..
            }) => feedback::parse(custom_id).map(|(section, _)| section.to_owned()),
            _ => None,
        })
}

/// Tells a member why there is no answer now (over the rate limit: once per period; or the
/// bot is restarting): plain text.
async fn send_notice(ctx: &serenity::Context, msg: &Message, text: &str) {
    let notice = CreateMessage::new()
        .content(text)
        .reference_message(msg)
        .allowed_mentions(no_mentions());
    let sent = send_with_retry("rate-limit notice", || {
        msg.channel_id.send_message(ctx, notice.clone())
    })
    .await;
    if let Err(err) = sent {
        tracing::warn!(channel = %msg.channel_id, message = %msg.id, error = %err, "could not send the rate-limit notice");
    }
}

/// The message without the bot's mention (`<@id>` or `<@!id>`).
fn strip_mention(content: &str, bot_id: UserId) -> String {
    content
        .replace(&format!("<@{bot_id}>"), " ")
        .replace(&format!("<@!{bot_id}>"), " ")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_mention_forms_are_stripped() {
        let id = UserId::new(42);
        assert_eq!(strip_mention("<@42> hi <@!42>", id), "hi");
        assert_eq!(strip_mention("<@43> hi", id), "<@43> hi");
    }
}
