//! The buttons under answers: "Helpful" / "Not helpful" (a click counts for the guide
//! section the answer came from, in the usage stats), and up to three next steps chosen by the
//! engine ("Warm up first", "Another technique", ...), which answer in place through the
//! service like any question. Who clicked is never stored or logged.

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, ComponentInteraction, CreateActionRow, CreateButton, CreateInteractionResponse,
    CreateInteractionResponseMessage, MessageFlags,
};

use super::embeds::{no_mentions, reply_embed};
use super::retry::send_with_retry;
use super::Data;
use crate::reply::Reply;
use crate::service::Via;
use crate::text::truncate_chars;

const PREFIX: &str = "feedback";
/// `next:<section-id>`: a next-step button opening that section.
const NEXT_PREFIX: &str = "next:";
/// Discord's limits on a component's custom id and a button's label.
const MAX_CUSTOM_ID: usize = 100;
const MAX_LABEL: usize = 80;

pub const THANKS: &str = "Thanks for the feedback!";

/// The components under a reply: feedback buttons for an answer from a guide section, the
/// menu of its parts for an overview, nothing for the rest.
pub fn buttons(reply: &Reply) -> Vec<CreateActionRow> {
    let answer = match reply {
        Reply::Section(answer) => answer,
        Reply::Overview(overview) => return super::menu::for_overview(overview),
        _ => return Vec::new(),
    };
    let (Some(yes), Some(no)) = (custom_id(&answer.id, true), custom_id(&answer.id, false)) else {
        tracing::warn!(section = %answer.id, "section id too long for feedback buttons");
        return Vec::new();
    };
    let mut rows = vec![CreateActionRow::Buttons(vec![
        CreateButton::new(yes)
            .label("Helpful")
            .style(ButtonStyle::Success),
        CreateButton::new(no)
            .label("Not helpful")
            .style(ButtonStyle::Secondary),
    ])];
    let next: Vec<CreateButton> = answer
        .next
        .iter()
        .filter_map(|step| {
            let id = format!("{NEXT_PREFIX}{}", step.section);
            (id.len() <= MAX_CUSTOM_ID).then(|| {
                CreateButton::new(id)
                    .label(truncate_chars(&step.label, MAX_LABEL))
                    .style(ButtonStyle::Primary)
            })
        })
        .collect();
    if !next.is_empty() {
        rows.push(CreateActionRow::Buttons(next));
    }
    rows
}

/// Handles a click on a next-step button; returns false for any other component. The answer
/// is private when the answer clicked under was (a slash command's), public otherwise, as a
/// question in the channel would be.
pub async fn on_next_step(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
) -> bool {
    let Some(section) = click.data.custom_id.strip_prefix(NEXT_PREFIX) else {
        return false;
    };
    let private = click.message.interaction_metadata.is_some()
        || click
            .message
            .flags
            .is_some_and(|f| f.contains(MessageFlags::EPHEMERAL));
    // "Warm up first" under a technique starts the guided warm-up for whoever clicked.
    let warm_up = data
        .service
        .engine()
        .knowledge()
        .section(section)
        .is_some_and(|(_, s)| s.kind == crate::knowledge::Kind::Warmup);
    if warm_up {
        let origin = super::warmup::Origin::Button(click);
        if let Err(err) = super::warmup::walk(ctx, data, origin, private).await {
            tracing::error!(error = %err, "could not start a guided warm-up");
        }
        return true;
    }
    open_in_place(ctx, data, click, Some(section), private).await;
    true
}

/// Answers a click with the section `id` in full, with its own buttons, through the service
/// (counted like any answer); `private` shows it only to whoever clicked. A section a reload
/// removed since the answer was sent gets a short note instead.
pub async fn open_in_place(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    id: Option<&str>,
    private: bool,
) {
    let message = match id.and_then(|id| data.service.choose(id, Via::Component)) {
        Some(answer) => CreateInteractionResponseMessage::new()
            .embed(reply_embed(&answer.reply))
            .components(buttons(&answer.reply)),
        None => CreateInteractionResponseMessage::new()
            .content("That part of the guide is no longer there; ask me again."),
    };
    let response = CreateInteractionResponse::Message(
        message.ephemeral(private).allowed_mentions(no_mentions()),
    );
    let sent = send_with_retry("section in place", || {
        click.create_response(ctx, response.clone())
    })
    .await;
    if let Err(err) = sent {
        tracing::error!(error = %err, "could not open a section in place");
    }
}

/// `feedback:yes:<section-id>` or `feedback:no:<section-id>`, if it fits Discord's limit.
pub fn custom_id(section: &str, helpful: bool) -> Option<String> {
    let vote = if helpful { "yes" } else { "no" };
    let id = format!("{PREFIX}:{vote}:{section}");
    (id.len() <= MAX_CUSTOM_ID).then_some(id)
}

/// The section and vote of a feedback button's custom id; None for any other component.
pub fn parse(custom_id: &str) -> Option<(&str, bool)> {
    let rest = custom_id.strip_prefix(PREFIX)?.strip_prefix(':')?;
    let (vote, section) = rest.split_once(':')?;
    let helpful = match vote {
        "yes" => true,
        "no" => false,
        _ => return None,
    };
    (!section.is_empty()).then_some((section, helpful))
}

/// Handles a button click; components that are not feedback buttons are ignored.
pub async fn on_click(ctx: &serenity::Context, data: &Data, click: &ComponentInteraction) {
    let Some((section, helpful)) = parse(&click.data.custom_id) else {
        tracing::debug!(custom_id = %click.data.custom_id, "ignoring an unknown component");
        return;
    };
    // A section removed by a reload since the answer was sent is thanked but not counted, so
    // the stats only ever hold sections that existed.
    if data.service.engine().knowledge().section(section).is_some() {
        let reply = click.message.id.to_string();
        data.service
            .store
            .vote(&reply, click.user.id.get(), section, helpful);
        tracing::info!(section, helpful, "answer feedback");
    } else {
        tracing::info!(
            section,
            helpful,
            "feedback for a section that no longer exists"
        );
    }
    let thanks = CreateInteractionResponseMessage::new()
        .content(THANKS)
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    let thanks = CreateInteractionResponse::Message(thanks);
    let sent = send_with_retry("feedback thanks", || {
        click.create_response(ctx, thanks.clone())
    })
    .await;
    if let Err(err) = sent {
        tracing::error!(error = %err, "could not acknowledge feedback");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip_and_other_components_are_not_feedback() {
        let yes = custom_id("knee-to-chest", true).unwrap();
        assert_eq!(yes, "feedback:yes:knee-to-chest");
        assert_eq!(parse(&yes), Some(("knee-to-chest", true)));
        assert_eq!(
            parse(&custom_id("warm-up", false).unwrap()),
            Some(("warm-up", false))
        );
        assert_eq!(parse("feedback:maybe:warm-up"), None);
        assert_eq!(parse("feedback:yes:"), None);
        assert_eq!(parse("feedbackyes:warm-up"), None);
        assert_eq!(parse("other:yes:warm-up"), None);
    }

    #[test]
    fn an_id_too_long_for_discord_gets_no_buttons() {
        assert!(custom_id(&"a".repeat(87), true).is_some());
        assert!(custom_id(&"a".repeat(88), false).is_some());
        assert!(custom_id(&"a".repeat(88), true).is_none());
    }
}
