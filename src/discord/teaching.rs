//! The moderators' learning loop on Discord: `/unanswered` lists what members asked that the
//! bot could not answer, and `/teach` adds one of those questions to a section's example
//! questions, after a preview of which answers change and a moderator's confirmation.
//!
//! The work is the engine's ([`crate::teach`]); this module asks, previews and confirms.

use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use poise::CreateReply;
use serenity::futures::StreamExt as _;
use serenity::{
    ButtonStyle, ComponentInteractionCollector, CreateActionRow, CreateButton,
    CreateInteractionResponse, CreateInteractionResponseMessage, EditInteractionResponse,
};

use super::commands::section_choices;
use super::embeds::{no_mentions, MAX_CONTENT};
use super::moderation::{allowed, code_block, fit_lines, private, run_reload};
use super::retry::send_with_retry;
use super::{Context, Error};
use crate::teach;
use crate::text::truncate_chars;

/// How long the confirm button under a `/teach` preview stays live.
const CONFIRM_WAIT: Duration = Duration::from_secs(300);
/// Questions shown by `/unanswered` (`backcare unanswered` shows them all).
const INBOX_SHOWN: usize = 20;
/// Discord's limit on an autocomplete choice's name and value.
const CHOICE_CHARS: usize = 100;

/// Questions members asked that the bot could not answer, grouped (moderators only).
///
/// Declared and checked like `/reload`.
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    check = "allowed"
)]
pub async fn unanswered(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let service = Arc::clone(&ctx.data().service);
    let text = tokio::task::spawn_blocking(move || match service.store.unanswered() {
        Ok(inbox) => {
            let groups = teach::group(&service.engine(), &inbox);
            teach::render_inbox(&groups, None, INBOX_SHOWN)
        }
        Err(err) => format!("The unanswered questions cannot be read right now: {err}"),
    })
    .await?;
    let reply = private(code_block(&text, "`backcare unanswered` shows them all"));
    send_with_retry("unanswered questions", || ctx.send(reply.clone())).await?;
    Ok(())
}

/// Teach the bot a question: add it to a section's example questions (moderators only).
///
/// Shows which answers would change and waits for the moderator to confirm; then writes the
/// guide (one added line), reloads and takes the question out of `/unanswered`. Declared and
/// checked like `/reload`.
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    check = "allowed"
)]
pub async fn teach(
    ctx: Context<'_>,
    #[description = "The question, in the member's words (pick one from the unanswered list)"]
    #[autocomplete = "autocomplete_unanswered"]
    question: String,
    #[description = "The section that answers it"]
    #[autocomplete = "autocomplete_section"]
    section: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let service = Arc::clone(&ctx.data().service);
    let planned = tokio::task::spawn_blocking(move || {
        let inbox = service.store.unanswered().unwrap_or_default();
        let question = from_inbox(&question, &inbox).unwrap_or(question);
        teach::preview(
            &service.engine(),
            service.live.knowledge_dir(),
            &question,
            &section,
            &inbox,
        )
    })
    .await?;
    let preview = match planned {
        Ok(preview) => preview,
        Err(err) => {
            let refusal = private(format!("Nothing was taught: {err}."));
            send_with_retry("teach refusal", || ctx.send(refusal.clone())).await?;
            return Ok(());
        }
    };
    let confirm = format!("teach-confirm:{}", ctx.id());
    let cancel = format!("teach-cancel:{}", ctx.id());
    let message = CreateReply::default()
        .content(preview_text(&preview))
        .components(vec![CreateActionRow::Buttons(vec![
            CreateButton::new(&confirm)
                .label("Teach it")
                .style(ButtonStyle::Success),
            CreateButton::new(&cancel)
                .label("Cancel")
                .style(ButtonStyle::Secondary),
        ])])
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    // Listening before the preview is sent, so even the quickest click is caught.
    let moderator = ctx.author().id;
    let ids = [confirm.clone(), cancel];
    let mut clicks = ComponentInteractionCollector::new(ctx.serenity_context())
        .filter(move |c| ids.contains(&c.data.custom_id) && c.user.id == moderator)
        .timeout(CONFIRM_WAIT)
        .stream();
    send_with_retry("teach preview", || ctx.send(message.clone())).await?;
    let Some(click) = clicks.next().await else {
        return Ok(());
    };
    if click.data.custom_id != confirm {
        let done = CreateInteractionResponseMessage::new()
            .content("Nothing was taught.")
            .components(Vec::new());
        click
            .create_response(ctx, CreateInteractionResponse::UpdateMessage(done))
            .await?;
        return Ok(());
    }
    // Discord wants an answer to the click within three seconds; writing and reloading may
    // take longer on a busy host, so the buttons go first and the result follows.
    let working = CreateInteractionResponseMessage::new()
        .content("Teaching: writing the guide and reloading...")
        .components(Vec::new());
    click
        .create_response(ctx, CreateInteractionResponse::UpdateMessage(working))
        .await?;
    let outcome = learn(Arc::clone(&ctx.data().service), preview.lesson).await;
    let done = EditInteractionResponse::new().content(truncate_chars(&outcome, MAX_CONTENT));
    send_with_retry("teach result", || click.edit_response(ctx, done.clone())).await?;
    Ok(())
}

/// Writes a confirmed lesson, reloads, and takes the question out of the inbox; what to
/// tell the moderator.
async fn learn(service: Arc<crate::service::Service>, lesson: teach::Lesson) -> String {
    let written = {
        let lesson = lesson.clone();
        tokio::task::spawn_blocking(move || teach::apply(&lesson)).await
    };
    match written {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return format!("Nothing was taught: {err}."),
        Err(err) => return format!("Nothing was taught: the edit stopped unexpectedly ({err})."),
    }
    tracing::info!(section = %lesson.section, line = lesson.line, "a moderator taught a question");
    let report = run_reload(Arc::clone(&service)).await;
    let question = lesson.question.clone();
    let removed = tokio::task::spawn_blocking(move || service.store.remove_unanswered(&question))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or(0);
    let file = lesson.file_name();
    let mut out = format!(
        "Taught to `{}`: {file} line {}.\n{}",
        lesson.section, lesson.line, report.text
    );
    if removed > 0 {
        out.push_str(&format!(
            "\nTaken out of the unanswered list ({removed} time(s) asked)."
        ));
    }
    out
}

/// The preview a moderator confirms: the line to be added, then the answers that change.
fn preview_text(preview: &teach::Preview) -> String {
    let lesson = &preview.lesson;
    let file = lesson.file_name();
    let mut head = format!(
        "Add to `{}` ({file}, line {}):\n> {}\n{}",
        lesson.section,
        lesson.line,
        truncate_chars(lesson.added_line(), 300),
        teach::summary(&preview.questions, &preview.changed),
    );
    if !preview.takes() {
        head.push_str(&format!(
            "\nNote: the question itself would still get {}.",
            preview.then
        ));
    }
    let lines: Vec<String> = preview.changed.iter().map(|c| format!("• {c}")).collect();
    let room = MAX_CONTENT.saturating_sub(head.len() + 1);
    if lines.is_empty() {
        head
    } else {
        format!(
            "{head}\n{}",
            fit_lines(
                "",
                &lines,
                room,
                "`backcare teach --dry-run` shows them all"
            )
        )
    }
}

/// Unanswered questions containing what the moderator typed so far, newest first.
async fn autocomplete_unanswered(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let partial = partial.trim().to_lowercase();
    let service = Arc::clone(&ctx.data().service);
    let inbox = tokio::task::spawn_blocking(move || service.store.unanswered())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let choices = inbox
        .iter()
        .filter(|q| partial.is_empty() || q.text.to_lowercase().contains(&partial))
        .take(25)
        .map(|q| {
            let name = truncate_chars(&q.text, CHOICE_CHARS).to_owned();
            // A choice's value holds 100 characters: a longer question is picked by a key,
            // and /teach looks its whole text up again.
            let value = if q.text.chars().count() > CHOICE_CHARS {
                inbox_key(&q.text)
            } else {
                q.text.clone()
            };
            serenity::AutocompleteChoice::new(name, value)
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// The autocomplete value standing for an inbox question too long for one.
fn inbox_key(text: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("{INBOX_KEY}{hex}")
}

/// The whole inbox question an autocomplete key stands for; `None` for typed text.
fn from_inbox(value: &str, inbox: &[crate::store::Unanswered]) -> Option<String> {
    value.strip_prefix(INBOX_KEY)?;
    inbox
        .iter()
        .find(|q| inbox_key(&q.text) == value)
        .map(|q| q.text.clone())
}

const INBOX_KEY: &str = "unanswered:";

/// Sections whose id or title contains what the moderator typed so far.
async fn autocomplete_section(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    section_choices(
        ctx,
        partial,
        |s, typed| {
            typed.is_empty() || s.id.contains(typed) || s.title.to_lowercase().contains(typed)
        },
        |s| {
            let name = truncate_chars(&format!("{} ({})", s.title, s.id), CHOICE_CHARS);
            (name, s.id.clone())
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Unanswered;

    #[test]
    fn a_long_inbox_question_is_chosen_by_key_and_taught_whole() {
        let long = "my back ".repeat(30);
        let inbox = [Unanswered {
            text: long.clone(),
            count: 1,
            last_at: 0,
        }];
        let key = inbox_key(&long);
        assert!(key.len() <= CHOICE_CHARS);
        assert_eq!(from_inbox(&key, &inbox), Some(long));
        assert_eq!(from_inbox("how do i hold the bridge", &inbox), None);
        assert_eq!(from_inbox("unanswered:0000000000000000", &inbox), None);
    }
}
