//! Moderation end to end: the real bot against the fake Discord, on a writable copy of the
//! knowledge folder. Edits go live without a restart, broken edits are reported to the
//! moderators' log channel, `/reload` and `/stats` are for moderators only, the feedback
//! buttons count per section, and moderators teach the bot unanswered questions.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use common::fake_discord::{
    as_member, button_ids, embed_text, in_dm, Recorded, BOT_ID, CHANNEL_ID, DM_CHANNEL_ID,
    EPHEMERAL, GUILD_ID, MODERATOR_ROLE_ID, MOD_LOG_CHANNEL_ID, SEND_MESSAGES,
};
use common::{Bot, BotOptions};

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

/// A bot on its own copy of the knowledge, with a moderators' log channel and role.
async fn moderated_bot() -> (Bot, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir for the knowledge copy");
    let knowledge = common::copy_knowledge(dir.path());
    let bot = Bot::start_custom(BotOptions {
        knowledge: Some(knowledge.clone()),
        vars: vec![
            ("BACKCARE_MOD_LOG_CHANNEL", MOD_LOG_CHANNEL_ID.to_string()),
            ("BACKCARE_MODERATOR_ROLES", MODERATOR_ROLE_ID.to_string()),
        ],
        ..BotOptions::default()
    })
    .await;
    (bot, knowledge, dir)
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("read the guide");
    assert!(text.contains(from), "{from}");
    fs::write(path, text.replacen(from, to, 1)).expect("write the guide");
}

/// Asks with a mention and returns the text of the bot's reply.
async fn ask(bot: &Bot, question: &str) -> String {
    let fake = &bot.fake;
    let from = fake.mark();
    let id = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention(question))
        .await;
    embed_text(&fake.wait_reply_to(from, id).await.body)
}

fn assert_no_pings(body: &Value) {
    let mentions = &body["allowed_mentions"];
    assert_eq!(mentions["parse"], json!([]), "allowed_mentions: {mentions}");
}

fn content(body: &Value) -> &str {
    body["content"]
        .as_str()
        .or_else(|| body["data"]["content"].as_str())
        .unwrap_or_default()
}

/// Sends `/name` and returns the interaction id.
async fn slash(bot: &Bot, name: &str, member: impl FnOnce(&mut Value)) -> u64 {
    let (id, mut interaction) = bot.fake.slash_command(name, json!([]));
    member(&mut interaction);
    bot.fake.dispatch("INTERACTION_CREATE", interaction).await;
    id
}

fn plain_member(interaction: &mut Value) {
    as_member(interaction, SEND_MESSAGES, &[]);
}

fn assert_refused(response: &Recorded) {
    assert_eq!(response.body["type"], json!(4), "{:#}", response.body);
    assert_eq!(response.body["data"]["flags"], json!(EPHEMERAL));
    let text = content(&response.body);
    assert!(text.contains("only moderators"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_guide_is_answered_from_without_a_restart_and_the_change_is_posted() {
    let (bot, knowledge, _dir) = moderated_bot().await;
    let question = "how do I do the side bend on my chair";
    assert!(ask(&bot, question).await.contains("Seated side bend"));

    let from = bot.fake.mark();
    edit(
        &knowledge.join("lower-back.md"),
        "## Seated side bend {#seated-side-bend .technique}",
        "## Chair side bend {#seated-side-bend .technique}",
    );
    let post = bot
        .fake
        .wait_post_in(from, MOD_LOG_CHANNEL_ID, "the reload summary", |text| {
            text.starts_with("Knowledge reloaded:")
        })
        .await;
    let text = content(&post.body);
    assert!(
        text.contains("sections changed: seated-side-bend"),
        "{text}"
    );
    assert_no_pings(&post.body);

    let answer = ask(&bot, question).await;
    assert!(answer.contains("Chair side bend"), "{answer}");
    assert!(!answer.contains("(technique)"), "{answer}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_edit_keeps_the_old_answers_and_posts_the_file_and_line() {
    let (bot, knowledge, _dir) = moderated_bot().await;
    let guide = knowledge.join("lower-back.md");
    let line = fs::read_to_string(&guide)
        .expect("read the guide")
        .lines()
        .position(|l| l.ends_with(".technique}"))
        .expect("a technique heading")
        + 1;

    let from = bot.fake.mark();
    edit(&guide, ".technique}", ".stretchy}");
    let post = bot
        .fake
        .wait_post_in(from, MOD_LOG_CHANNEL_ID, "the reload refusal", |text| {
            text.starts_with("Knowledge reload refused")
        })
        .await;
    let text = content(&post.body);
    let expected = format!("\nlower-back.md:{line}: ");
    assert!(text.contains(&expected), "{expected:?} missing from {text}");
    assert!(text.contains("stretchy"), "{text}");
    assert!(text.chars().count() <= 2000);
    assert_no_pings(&post.body);

    let answer = ask(&bot, "how do I do the knee to chest twist").await;
    assert!(
        answer.contains("Knee-to-chest twist") && !answer.contains("(technique)"),
        "{answer}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_by_a_manage_server_member_answers_privately_with_what_changed() {
    let (bot, knowledge, _dir) = moderated_bot().await;
    let before = bot.service.engine();
    let from = bot.fake.mark();
    // The fake's default member has every permission, Manage Server included.
    let id = slash(&bot, "reload", |_| {}).await;
    let deferred = bot.fake.wait_interaction_response(from, id).await;
    assert_eq!(deferred.body["type"], json!(5), "{:#}", deferred.body);
    assert_eq!(deferred.body["data"]["flags"], json!(EPHEMERAL));
    let followup = bot.fake.wait_followup(from, id).await;
    assert_eq!(
        followup.body["flags"],
        json!(EPHEMERAL),
        "{:#}",
        followup.body
    );
    assert_eq!(
        content(&followup.body),
        "Knowledge reloaded: nothing changed."
    );
    assert_no_pings(&followup.body);
    assert!(!Arc::ptr_eq(&before, &bot.service.engine()), "swapped in");

    // A broken edit: /reload answers with the problem. The watcher may see the edit first;
    // the knowledge is the same either way, so is the report.
    edit(
        &knowledge.join("lower-back.md"),
        ".technique}",
        ".stretchy}",
    );
    let from = bot.fake.mark();
    let id = slash(&bot, "reload", |_| {}).await;
    let followup = bot.fake.wait_followup(from, id).await;
    let text = content(&followup.body);
    assert!(text.starts_with("Knowledge reload refused"), "{text}");
    assert!(text.contains("\nlower-back.md:"), "{text}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_and_stats_are_refused_to_members_and_in_dms_and_nothing_reloads() {
    let (bot, _knowledge, _dir) = moderated_bot().await;
    let before = bot.service.engine();
    let from = bot.fake.mark();

    let member = slash(&bot, "reload", plain_member).await;
    assert_refused(&bot.fake.wait_interaction_response(from, member).await);
    let dm = slash(&bot, "reload", in_dm).await;
    assert_refused(&bot.fake.wait_interaction_response(from, dm).await);
    let stats = slash(&bot, "stats", plain_member).await;
    assert_refused(&bot.fake.wait_interaction_response(from, stats).await);

    assert!(Arc::ptr_eq(&before, &bot.service.engine()), "reloaded");
    let followups: Vec<_> = bot
        .fake
        .since(from)
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v10/webhooks/"))
        .collect();
    assert!(followups.is_empty(), "{followups:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_by_a_member_with_a_moderator_role_works() {
    let (bot, _knowledge, _dir) = moderated_bot().await;
    let before = bot.service.engine();
    let from = bot.fake.mark();
    let id = slash(&bot, "reload", |i| {
        as_member(i, SEND_MESSAGES, &[GUILD_ID, MODERATOR_ROLE_ID]);
    })
    .await;
    let followup = bot.fake.wait_followup(from, id).await;
    assert_eq!(followup.body["flags"], json!(EPHEMERAL));
    assert!(content(&followup.body).starts_with("Knowledge reloaded:"));
    assert!(!Arc::ptr_eq(&before, &bot.service.engine()), "swapped in");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_helpful_counts_once_per_member_is_acknowledged_and_reaches_the_store() {
    let (bot, _knowledge, _dir) = moderated_bot().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let asked = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("how do I do the knee to chest twist"),
        )
        .await;
    let reply = fake.wait_reply_to(from, asked).await;
    assert_eq!(
        button_ids(&reply.body),
        [
            "feedback:yes:knee-to-chest",
            "feedback:no:knee-to-chest",
            "next:warm-up",
            "next:seated-side-bend",
            "next:precautions"
        ]
    );

    let (click, interaction) = fake.component("feedback:yes:knee-to-chest", &reply);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let thanks = fake.wait_interaction_response(from, click).await;
    assert_eq!(thanks.body["type"], json!(4), "{:#}", thanks.body);
    assert_eq!(thanks.body["data"]["flags"], json!(EPHEMERAL));
    assert!(content(&thanks.body).starts_with("Thanks for the feedback"));
    // The same member clicking again is thanked but counted once.
    let (click, interaction) = fake.component("feedback:yes:knee-to-chest", &reply);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    fake.wait_interaction_response(from, click).await;

    // "Another technique" answers in place, publicly under a message's answer, counted like
    // any answer; the new answer has its own buttons.
    let (click, interaction) = fake.component("next:seated-side-bend", &reply);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let next = fake.wait_interaction_response(from, click).await;
    assert_eq!(next.body["type"], json!(4), "{:#}", next.body);
    assert!(
        next.body["data"]["flags"].as_u64().unwrap_or(0) & EPHEMERAL == 0,
        "{:#}",
        next.body
    );
    assert!(
        embed_text(&next.body).contains("Seated side bend"),
        "{:#}",
        next.body
    );
    assert!(button_ids(&next.body).contains(&"next:bridge-release".to_owned()));
    assert_eq!(
        bot.service.store.stats().unwrap().sections["seated-side-bend"].answered,
        1
    );

    let counts = bot.service.store.stats().unwrap().sections["knee-to-chest"].clone();
    assert_eq!(
        (counts.answered, counts.helpful, counts.not_helpful),
        (1, 1, 0)
    );

    let data_dir = bot.data_dir.clone();
    let _files = bot.stop_keeping_files().await;
    let saved = backcare::store::Store::open(&data_dir)
        .and_then(|store| store.stats())
        .expect("the store, written at shutdown");
    assert_eq!(saved.sections["knee-to-chest"].helpful, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_feedback_buttons_and_seek_care_replies_do_not() {
    let (bot, _knowledge, _dir) = moderated_bot().await;
    let fake = &bot.fake;
    let from = fake.mark();

    let (ask, interaction) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "how do I warm up?"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, ask).await;
    assert_eq!(
        button_ids(&response.body),
        [
            "feedback:yes:warm-up",
            "feedback:no:warm-up",
            "next:knee-to-chest",
            "next:precautions",
            "next:seek-help"
        ]
    );
    // Under a slash command's answer a next step answers privately.
    let (click, interaction) = fake.component("next:precautions", &response);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let next = fake.wait_interaction_response(from, click).await;
    assert_eq!(
        next.body["data"]["flags"],
        json!(EPHEMERAL),
        "{:#}",
        next.body
    );
    assert!(
        embed_text(&next.body).contains("Precautions"),
        "{:#}",
        next.body
    );
    // The same buttons work under an /ask response.
    let (click, interaction) = fake.component("feedback:no:warm-up", &response);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    fake.wait_interaction_response(from, click).await;
    assert_eq!(
        bot.service.store.stats().unwrap().sections["warm-up"].not_helpful,
        1
    );

    let dm = fake
        .send_message(DM_CHANNEL_ID, None, "how do I do the bridge")
        .await;
    let reply = fake.wait_reply_to(from, dm).await;
    assert_eq!(
        button_ids(&reply.body)[..2],
        ["feedback:yes:bridge-release", "feedback:no:bridge-release"]
    );

    let red = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("my legs are numb and I can't control my bladder"),
        )
        .await;
    let reply = fake.wait_reply_to(from, red).await;
    assert!(button_ids(&reply.body).is_empty(), "{:#}", reply.body);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_shows_moderators_the_counts_privately() {
    let (bot, _knowledge, _dir) = moderated_bot().await;
    ask(&bot, "how do I do the knee to chest twist").await;
    ask(&bot, "my legs are numb and I can't control my bladder").await;

    let from = bot.fake.mark();
    let id = slash(&bot, "stats", |i| {
        as_member(i, SEND_MESSAGES, &[MODERATOR_ROLE_ID]);
    })
    .await;
    let response = bot.fake.wait_interaction_response(from, id).await;
    assert_eq!(response.body["type"], json!(4), "{:#}", response.body);
    assert_eq!(response.body["data"]["flags"], json!(EPHEMERAL));
    let text = content(&response.body);
    assert!(text.contains("Questions: 2 asked, 1 answered"), "{text}");
    assert!(text.contains("Escalations: 1 emergency"), "{text}");
    assert!(text.contains("knee-to-chest: 1, 0, 0"), "{text}");
    assert!(text.chars().count() <= 2000);
    assert_no_pings(&response.body["data"]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_checks_a_message_for_red_flags_and_posts_the_reply_to_its_author() {
    let (bot, _knowledge, _dir) = moderated_bot().await;
    let fake = &bot.fake;
    let from = fake.mark();
    // Nobody asked the bot and the channel is not watched: no reply by itself.
    let (worrying, message) = fake.message(
        CHANNEL_ID,
        Some(GUILD_ID),
        "back's been grim all week and now i can't feel the loo roll when i wipe",
    );
    fake.dispatch("MESSAGE_CREATE", message.clone()).await;

    // A member without the permission is refused (Discord also hides it from them).
    let (id, mut interaction) = fake.message_command("Check for red flags", &message);
    plain_member(&mut interaction);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    assert_refused(&fake.wait_interaction_response(from, id).await);

    let (id, mut interaction) = fake.message_command("Check for red flags", &message);
    as_member(&mut interaction, SEND_MESSAGES, &[MODERATOR_ROLE_ID]);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let preview = fake.wait_interaction_response(from, id).await;
    assert_eq!(
        preview.body["data"]["flags"],
        json!(EPHEMERAL),
        "{:#}",
        preview.body
    );
    assert!(
        content(&preview.body).contains("warning sign"),
        "{:#}",
        preview.body
    );
    assert!(
        embed_text(&preview.body).contains("emergency"),
        "{:#}",
        preview.body
    );
    let post = format!("post-care:{id}");
    assert_eq!(button_ids(&preview.body), std::slice::from_ref(&post));
    assert!(
        fake.since(from)
            .iter()
            .all(|r| !common::fake_discord::is_reply_to(r, worrying)),
        "nothing posted before the moderator chose to"
    );

    let (click, interaction) = fake.component(&post, &preview);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let posted = fake.wait_reply_to(from, worrying).await;
    assert!(
        embed_text(&posted.body).contains("emergency"),
        "{:#}",
        posted.body
    );
    assert_no_pings(&posted.body);
    let done = fake.wait_interaction_response(from, click).await;
    assert_eq!(
        done.body["type"],
        json!(7),
        "updates the preview: {:#}",
        done.body
    );
    assert!(content(&done.body).contains("Posted"), "{:#}", done.body);

    // A harmless message: said so, nothing to post.
    let (_, harmless) = fake.message(CHANNEL_ID, Some(GUILD_ID), "anyone up for a raid tonight?");
    let (id, mut interaction) = fake.message_command("Check for red flags", &harmless);
    as_member(&mut interaction, SEND_MESSAGES, &[MODERATOR_ROLE_ID]);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let checked = fake.wait_interaction_response(from, id).await;
    assert!(
        content(&checked.body).contains("No warning signs"),
        "{:#}",
        checked.body
    );
    assert!(button_ids(&checked.body).is_empty());
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_teaches_an_unanswered_question_after_a_preview_and_it_is_answered() {
    let (bot, knowledge, _dir) = moderated_bot().await;
    let fake = &bot.fake;
    let question = "after a long haul in the lorry what do i do";
    let from = fake.mark();
    let asked = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention(question))
        .await;
    let reply = fake.wait_reply_to(from, asked).await;
    assert!(
        embed_text(&reply.body).contains("couldn't find"),
        "needs no teaching: {:#}",
        reply.body
    );

    // The inbox, for moderators only.
    let id = slash(&bot, "unanswered", plain_member).await;
    assert_refused(&fake.wait_interaction_response(from, id).await);
    let id = slash(&bot, "unanswered", |_| {}).await;
    let inbox = fake.wait_followup(from, id).await;
    assert!(content(&inbox.body).contains(question), "{:#}", inbox.body);
    assert_eq!(inbox.body["flags"], json!(EPHEMERAL));

    // The question box suggests the inbox.
    let (id, interaction) = fake.autocomplete(
        "teach",
        json!([{"name": "question", "type": 3, "value": "lorry", "focused": true},
               {"name": "section", "type": 3, "value": ""}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let choices = fake.wait_interaction_response(from, id).await;
    assert_eq!(
        choices.body["data"]["choices"],
        json!([{"name": question, "value": question}])
    );

    // A red flag is never taught.
    let (id, interaction) = fake.slash_command(
        "teach",
        json!([{"name": "question", "type": 3, "value": "both my legs went numb, which stretch?"},
               {"name": "section", "type": 3, "value": "seated-side-bend"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let refused = fake.wait_followup(from, id).await;
    assert!(
        content(&refused.body).contains("mentions a red flag"),
        "{:#}",
        refused.body
    );

    let guide = knowledge.join("lower-back.md");
    let before = fs::read_to_string(&guide).unwrap();
    let (id, interaction) = fake.slash_command(
        "teach",
        json!([{"name": "question", "type": 3, "value": question},
               {"name": "section", "type": 3, "value": "seated-side-bend"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let preview = fake.wait_followup(from, id).await;
    let text = content(&preview.body);
    assert!(text.contains("Add to `seated-side-bend`"), "{text}");
    assert!(text.contains("[taught]"), "{text}");
    let confirm = format!("teach-confirm:{id}");
    assert_eq!(
        button_ids(&preview.body),
        [confirm.clone(), format!("teach-cancel:{id}")]
    );
    assert_eq!(
        fs::read_to_string(&guide).unwrap(),
        before,
        "nothing written before the click"
    );

    let (click, interaction) = fake.component(&confirm, &preview);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let working = fake.wait_interaction_response(from, click).await;
    assert_eq!(working.body["type"], json!(7), "{:#}", working.body);
    assert_eq!(button_ids(&working.body), Vec::<String>::new());
    let edited = format!("/interaction-token-{click}/messages/@original");
    let done = fake
        .wait_for(from, "the teach result", |r| {
            r.method == "PATCH" && r.path.ends_with(&edited)
        })
        .await;
    let text = content(&done.body);
    assert!(text.contains("Taught to `seated-side-bend`"), "{text}");
    assert!(text.contains("Taken out of the unanswered list"), "{text}");
    let after = fs::read_to_string(&guide).unwrap();
    assert_eq!(after.lines().count(), before.lines().count() + 1);
    assert!(after.contains(&format!("\n- {question}\n")));

    let from = fake.mark();
    let asked = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention(question))
        .await;
    let reply = fake.wait_reply_to(from, asked).await;
    let answer = embed_text(&reply.body);
    assert!(
        answer.contains("Seated side bend") && !answer.contains("couldn't find"),
        "{answer}"
    );
    assert!(bot.service.store.unanswered().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_store_costs_the_counts_not_the_answers() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("backcare.db"), vec![7u8; 8192]).unwrap();
    let bot = Bot::start_custom(BotOptions {
        data: Some(data.path().to_owned()),
        ..BotOptions::default()
    })
    .await;
    let fake = &bot.fake;
    let from = fake.mark();
    let asked = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("how do I do the bridge"),
        )
        .await;
    let reply = fake.wait_reply_to(from, asked).await;
    assert!(
        embed_text(&reply.body).contains("Floor bridge release"),
        "{:#}",
        reply.body
    );
    let asked = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("both legs numb and I wet myself"),
        )
        .await;
    let reply = fake.wait_reply_to(from, asked).await;
    assert!(
        embed_text(&reply.body).contains("emergency"),
        "{:#}",
        reply.body
    );
    // A moderator asking for the counts is told why there are none.
    let id = slash(&bot, "stats", |_| {}).await;
    let stats = fake.wait_interaction_response(from, id).await;
    let text = content(&stats.body);
    assert!(text.contains("cannot be read right now"), "{text}");
    assert!(text.contains("backcare.db"), "{text}");
}
