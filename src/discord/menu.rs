//! The menu under an overview answer: one entry per part (warm-up, each technique, the
//! precautions), and opening the chosen one in full for the member who chose it.

use poise::serenity_prelude as serenity;
use serenity::{
    ComponentInteraction, ComponentInteractionDataKind, CreateActionRow, CreateSelectMenu,
    CreateSelectMenuKind, CreateSelectMenuOption,
};

use super::feedback;
use super::Data;
use crate::reply::OverviewReply;
use crate::text::truncate_chars;

/// The custom id of the overview's menu.
pub const CUSTOM_ID: &str = "open-section";
/// Discord's limits: options in one select menu, and characters in a label or description.
const MAX_OPTIONS: usize = 25;
const MAX_LABEL: usize = 100;

/// The menu for an overview: each part, by title, with its one line as the description.
pub fn for_overview(overview: &OverviewReply) -> Vec<CreateActionRow> {
    let options: Vec<CreateSelectMenuOption> = overview
        .parts
        .iter()
        .take(MAX_OPTIONS)
        .map(|part| {
            CreateSelectMenuOption::new(truncate_chars(&part.title, MAX_LABEL), &part.id)
                .description(truncate_chars(&part.line, MAX_LABEL))
        })
        .collect();
    if options.is_empty() {
        return Vec::new();
    }
    let menu = CreateSelectMenu::new(CUSTOM_ID, CreateSelectMenuKind::String { options })
        .placeholder("Open one in full");
    vec![CreateActionRow::SelectMenu(menu)]
}

/// Handles a choice in the overview's menu; returns false for any other component.
pub async fn on_choose(ctx: &serenity::Context, data: &Data, click: &ComponentInteraction) -> bool {
    if click.data.custom_id != CUSTOM_ID {
        return false;
    }
    let chosen = match &click.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => values.first().cloned(),
        _ => None,
    };
    feedback::open_in_place(ctx, data, click, chosen.as_deref(), true).await;
    true
}
