//! Moderator tools on Discord: `/reload`, `/stats` and the "Check for red flags" message
//! menu, who counts as a moderator, and the moderators' log channel where reload results are
//! posted.
//!
//! Reloading and counting belong to the [`Service`]; this module decides who may ask, and
//! words the results for moderators within Discord's limits. Members who are not moderators
//! get a refusal and nothing else.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;
use poise::CreateReply;
use serenity::futures::StreamExt as _;
use serenity::{
    ButtonStyle, ChannelId, ComponentInteractionCollector, CreateActionRow, CreateButton,
    CreateInteractionResponse, CreateInteractionResponseMessage, CreateMessage, Http, Member,
    Permissions, RoleId,
};

use super::embeds::{no_mentions, reply_embed, MAX_CONTENT};
use super::retry::send_with_retry;
use super::{Context, Error};
use crate::live::{ReloadError, Reloaded};
use crate::service::{Service, Via};
use crate::text::truncate_chars;

const REFUSAL: &str = "Sorry, only moderators can use this command (it needs the Manage Server \
permission or a moderator role, in a server).";

/// Longest single problem line kept; the rest of a long line is cut.
const MAX_LINE: usize = 400;
/// Room kept free for the "… and N more" line.
const MORE_ROOM: usize = 80;

/// Reload the knowledge files now and show what changed (moderators only).
///
/// Declared to Discord with Manage Server as the default permission, so members do not see
/// it in the command list; server admins can grant it to other roles under Integrations.
/// The check keeps the moderator roles of `BACKCARE_MODERATOR_ROLES` working.
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    check = "allowed"
)]
pub async fn reload(ctx: Context<'_>) -> Result<(), Error> {
    // Building the new index can outlast Discord's three seconds for a first response.
    ctx.defer_ephemeral().await?;
    let report = private(run_reload(Arc::clone(&ctx.data().service)).await.text);
    send_with_retry("reload report", || ctx.send(report.clone())).await?;
    Ok(())
}

/// Usage counts: questions, warning signs, feedback per section (moderators only).
///
/// Declared and checked like [`reload`].
#[poise::command(
    slash_command,
    default_member_permissions = "MANAGE_GUILD",
    check = "allowed"
)]
pub async fn stats(ctx: Context<'_>) -> Result<(), Error> {
    let service = Arc::clone(&ctx.data().service);
    let text = match tokio::task::spawn_blocking(move || service.store.stats()).await? {
        Ok(stats) => stats.report(),
        Err(err) => format!("The usage counts cannot be read right now: {err}"),
    };
    let report = private(stats_message(&text));
    send_with_retry("stats report", || ctx.send(report.clone())).await?;
    Ok(())
}

/// How long the "Post this reply" button under a check stays live.
const POST_WAIT: Duration = Duration::from_secs(300);

/// Check for red flags: triage any message (right-click it, Apps), privately to the
/// moderator, with a button that posts the seek-care reply to its author.
///
/// For messages nobody addressed to the bot, in channels it does not watch. Any evidence
/// counts, as for a question asked of the bot. Declared and checked like [`reload`].
#[poise::command(
    context_menu_command = "Check for red flags",
    default_member_permissions = "MANAGE_GUILD",
    check = "allowed",
    guild_only
)]
pub async fn check_message(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    let service = &ctx.data().service;
    let Some(answer) = service.check_red_flags(&message.content, Via::Moderator) else {
        let none = private(NO_RED_FLAGS.to_owned());
        send_with_retry("red-flag check", || ctx.send(none.clone())).await?;
        return Ok(());
    };
    let post_id = format!("post-care:{}", ctx.id());
    let preview = CreateReply::default()
        .content(FOUND_RED_FLAGS)
        .embed(reply_embed(&answer.reply))
        .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
            &post_id,
        )
        .label("Post this reply to the author")
        .style(ButtonStyle::Danger)])])
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    // Only this moderator's click on this preview posts it; after a while the offer lapses.
    // Listening before the preview is sent, so even the quickest click is caught.
    let moderator = ctx.author().id;
    let mut clicks = ComponentInteractionCollector::new(ctx.serenity_context())
        .filter(move |c| c.data.custom_id == post_id && c.user.id == moderator)
        .timeout(POST_WAIT)
        .stream();
    send_with_retry("red-flag check", || ctx.send(preview.clone())).await?;
    let Some(click) = clicks.next().await else {
        return Ok(());
    };
    let reply = CreateMessage::new()
        .embed(reply_embed(&answer.reply))
        .reference_message(&message)
        .allowed_mentions(no_mentions());
    let posted = send_with_retry("seek-care reply from a moderator", || {
        message.channel_id.send_message(ctx, reply.clone())
    })
    .await;
    let outcome = match posted {
        Ok(_) => {
            tracing::info!(message = %message.id, "a moderator posted the seek-care reply");
            "Posted the reply to the author's message."
        }
        Err(err) => {
            tracing::error!(message = %message.id, error = %err, "could not post a seek-care reply");
            "Could not post the reply (does the bot have Send Messages in that channel?)."
        }
    };
    let done = CreateInteractionResponseMessage::new()
        .content(outcome)
        .components(Vec::new());
    click
        .create_response(ctx, CreateInteractionResponse::UpdateMessage(done))
        .await?;
    Ok(())
}

/// What a moderator sees when a checked message has no warning sign.
const NO_RED_FLAGS: &str =
    "No warning signs found in that message. (Only its text is read; images are not.)";
/// Above the preview of the seek-care reply.
const FOUND_RED_FLAGS: &str = "That message mentions a warning sign. This is the reply the bot would post (nobody is pinged); only you can see this.";

/// The commands' check: true for a moderator; anyone else is told no, ephemerally, and false
/// is returned (poise then runs nothing; `on_error` stays quiet about it).
pub(super) async fn allowed(ctx: Context<'_>) -> Result<bool, Error> {
    // The interaction's member carries the permissions Discord computed for this channel, so
    // no guild cache or extra request is needed. Only slash commands are registered.
    let member = match ctx {
        poise::Context::Application(app) => app.interaction.member.as_deref(),
        poise::Context::Prefix(_) => None,
    };
    if is_moderator(member, &ctx.data().moderator_roles) {
        return Ok(true);
    }
    tracing::info!(command = %ctx.command().qualified_name, "moderator command refused");
    ctx.send(private(REFUSAL.to_owned())).await?;
    Ok(false)
}

/// A moderator is a server member with Manage Server (or Administrator) or a moderator role.
/// Outside a server (`member` None) nobody is.
pub fn is_moderator(member: Option<&Member>, moderator_roles: &HashSet<RoleId>) -> bool {
    let Some(member) = member else {
        return false;
    };
    let manages = member.permissions.is_some_and(|p| {
        p.contains(Permissions::MANAGE_GUILD) || p.contains(Permissions::ADMINISTRATOR)
    });
    manages
        || member
            .roles
            .iter()
            .any(|role| moderator_roles.contains(role))
}

pub(super) fn private(content: String) -> CreateReply {
    CreateReply::default()
        .content(truncate_chars(&content, MAX_CONTENT))
        .ephemeral(true)
        .allowed_mentions(no_mentions())
}

/// One reload, worded for moderators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    pub text: String,
    /// False when something needs a moderator: a refusal, or regression questions failing.
    pub clean: bool,
}

/// Reloads on a blocking thread (it builds an index) and words the result. The service logs
/// and counts the reload itself.
pub async fn run_reload(service: Arc<Service>) -> ReloadReport {
    match tokio::task::spawn_blocking(move || service.reload()).await {
        Ok(result) => report(&result),
        Err(err) => {
            tracing::error!(error = %err, "the knowledge reload stopped unexpectedly");
            ReloadReport {
                text: "Knowledge reload stopped unexpectedly; the previous knowledge keeps \
                       serving. The bot's log has the details."
                    .to_owned(),
                clean: false,
            }
        }
    }
}

/// What a moderator is told about a reload: what changed, or each problem as
/// `file:line: problem`, within one Discord message.
pub fn report(result: &Result<Reloaded, ReloadError>) -> ReloadReport {
    let check = "run `backcare check` to see them all";
    let (text, clean) = match result {
        Ok(reloaded) if reloaded.failures.is_empty() => (
            truncate_chars(
                &format!("Knowledge reloaded: {}.", reloaded.changes),
                MAX_CONTENT,
            ),
            true,
        ),
        Ok(reloaded) => (
            fit_lines(
                &format!(
                    "Knowledge reloaded: {}.\n{} regression question(s) now get another answer \
                     (the edit is live; fix the guide or `questions.toml`):",
                    reloaded.changes,
                    reloaded.failures.len()
                ),
                &to_lines(&reloaded.failures),
                MAX_CONTENT,
                check,
            ),
            false,
        ),
        Err(ReloadError::Invalid(problems)) => (
            fit_lines(
                "Knowledge reload refused; the previous knowledge keeps serving. Fix these and save again:",
                &to_lines(problems),
                MAX_CONTENT,
                check,
            ),
            false,
        ),
        Err(ReloadError::LostRedFlags(failures)) => (
            fit_lines(
                "Knowledge reload refused: these red-flag questions would stop escalating, so the \
                 previous knowledge keeps serving:",
                &to_lines(failures),
                MAX_CONTENT,
                check,
            ),
            false,
        ),
        Err(err @ ReloadError::Index(_)) => (
            truncate_chars(
                &format!("Knowledge reload failed; the previous knowledge keeps serving: {err}"),
                MAX_CONTENT,
            ),
            false,
        ),
    };
    ReloadReport { text, clean }
}

fn to_lines<T: ToString>(items: &[T]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// `head`, then as many whole `lines` as fit in `max` characters, then "… and N more (hint)"
/// for those left out.
pub(super) fn fit_lines(head: &str, lines: &[String], max: usize, hint: &str) -> String {
    let mut out = truncate_chars(head, max.saturating_sub(MORE_ROOM));
    let mut used = out.chars().count();
    for (n, line) in lines.iter().enumerate() {
        let line = truncate_chars(line, MAX_LINE);
        let len = line.chars().count() + 1;
        let room = if n + 1 < lines.len() { MORE_ROOM } else { 0 };
        if used + len + room > max {
            let more = format!("\n… and {} more ({hint})", lines.len() - n);
            out.push_str(&truncate_chars(&more, MORE_ROOM));
            break;
        }
        out.push('\n');
        out.push_str(&line);
        used += len;
    }
    truncate_chars(&out, max)
}

/// `Stats::report()` in a code block (columns line up, members' words show as typed), cut to
/// one message.
fn stats_message(report: &str) -> String {
    code_block(report, "`backcare stats` shows them all")
}

/// Plain text in a code block cut to one message; a fence inside cannot close it early.
pub(super) fn code_block(text: &str, more: &str) -> String {
    let text = text.replace("```", "'''");
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let body = fit_lines("```", &lines, MAX_CONTENT - "\n```".len(), more);
    format!("{body}\n```")
}

/// Posts to the moderators' log channel; a failure is logged, never raised.
pub async fn post_to_mod_log(http: &Http, channel: ChannelId, text: &str) {
    let message = CreateMessage::new()
        .content(truncate_chars(text, MAX_CONTENT))
        .allowed_mentions(no_mentions());
    let sent = send_with_retry("mod log post", || {
        channel.send_message(http, message.clone())
    })
    .await;
    if let Err(err) = sent {
        tracing::error!(%channel, error = %err, "could not post to the moderators' log channel");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::Problem;
    use crate::live::Changes;

    fn member(permissions: Permissions, roles: &[u64]) -> Member {
        let mut member: Member = serde_json::from_value(serde_json::json!({
            "user": {"id": "3", "username": "m", "discriminator": "0", "global_name": null, "avatar": null},
            "roles": [],
            "joined_at": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
        }))
        .expect("a member");
        member.permissions = Some(permissions);
        member.roles = roles.iter().map(|&r| RoleId::new(r)).collect();
        member
    }

    #[test]
    fn manage_server_administrator_or_a_moderator_role_make_a_moderator() {
        let roles: HashSet<RoleId> = [RoleId::new(7)].into();
        let plain = Permissions::SEND_MESSAGES;
        assert!(is_moderator(
            Some(&member(Permissions::MANAGE_GUILD, &[])),
            &roles
        ));
        assert!(is_moderator(
            Some(&member(Permissions::ADMINISTRATOR, &[])),
            &roles
        ));
        assert!(is_moderator(Some(&member(plain, &[1, 7])), &roles));
        assert!(!is_moderator(Some(&member(plain, &[1])), &roles));
        assert!(!is_moderator(None, &roles));
    }

    #[test]
    fn many_problems_fit_one_message_and_say_how_many_were_left_out() {
        let problems: Vec<Problem> = (1..=200)
            .map(|line| Problem::new("lower-back.md", line, "x".repeat(60)))
            .collect();
        let report = report(&Err(ReloadError::Invalid(problems)));
        assert!(!report.clean);
        assert!(report.text.chars().count() <= MAX_CONTENT);
        assert!(report.text.contains("\nlower-back.md:1: xxx"));
        let last = report.text.lines().last().unwrap();
        assert!(last.starts_with("… and "), "{last}");
        assert!(last.contains("backcare check"), "{last}");
    }

    #[test]
    fn one_huge_line_is_cut_not_dropped() {
        let text = fit_lines("head", &["y".repeat(5000)], 2000, "hint");
        assert!(text.chars().count() <= 2000);
        assert!(text.starts_with("head\nyyy"));
    }

    #[test]
    fn a_clean_reload_says_what_changed() {
        let changes = Changes {
            sections_changed: vec!["seated-side-bend".into()],
            ..Changes::default()
        };
        let report = report(&Ok(Reloaded {
            changes,
            failures: Vec::new(),
        }));
        assert!(report.clean);
        assert_eq!(
            report.text,
            "Knowledge reloaded: sections changed: seated-side-bend."
        );
    }

    #[test]
    fn stats_stay_in_one_closed_code_block() {
        let mut report = String::from("Questions: 1 asked\n");
        for n in 0..300 {
            report.push_str(&format!("  section-{n}: 1, 0, 0 ```\n"));
        }
        let message = stats_message(&report);
        assert!(message.chars().count() <= MAX_CONTENT);
        assert!(message.starts_with("```\nQuestions: 1 asked\n"));
        assert!(message.ends_with("\n```"));
        assert_eq!(message.matches("```").count(), 2, "{message}");
    }
}
