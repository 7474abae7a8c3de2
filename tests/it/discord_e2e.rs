//! End to end: the real bot (`backcare::discord::run`) against a fake Discord on 127.0.0.1,
//! asserting on the bodies the bot sends back. Nothing here touches discord.com.

use crate::common;

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use common::fake_discord::FakeDiscord;
use common::fake_discord::{
    button_ids, embed_text, is_reply_to, OnResume, BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID,
    WATCHED_CHANNEL_ID,
};
use common::process::KillOnDrop;
use common::Bot;

const RED: u64 = 0xE7_4C_3C;

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

fn assert_no_pings(body: &Value) {
    let mentions = &body["allowed_mentions"];
    assert_eq!(mentions["parse"], json!([]), "allowed_mentions: {mentions}");
    assert_eq!(mentions["users"], json!([]), "allowed_mentions: {mentions}");
    assert_eq!(mentions["roles"], json!([]), "allowed_mentions: {mentions}");
}

/// Mentions the bot with `text` in a guild channel and returns its reply, checked to be a
/// red (seek-care) embed, with the embed's text.
async fn red_reply_to_mention(bot: &Bot, text: &str) -> (common::fake_discord::Recorded, String) {
    let fake = &bot.fake;
    let from = fake.mark();
    let id = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention(text))
        .await;
    let reply = fake.wait_reply_to(from, id).await;
    let embed = &reply.body["embeds"][0];
    assert_eq!(embed["color"], json!(RED), "{embed:#}");
    let text = embed_text(&reply.body);
    (reply, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_member_gets_the_seek_care_reply_in_spanish() {
    use backcare::knowledge::{RedFlags, Tier};
    use backcare::language::Lang;
    let spanish = RedFlags::floor_of(Lang::Es);
    let bot = Bot::start().await;
    let (_, text) = red_reply_to_mention(
        &bot,
        "desde anoche no puedo orinar y tengo las dos piernas dormidas, que hago?",
    )
    .await;
    // The heading, advice and footer come from the Spanish file, not the English one.
    let emergency = spanish.tier_text(Tier::Emergency);
    assert!(text.contains(&emergency.heading), "{text}");
    assert!(text.contains(&emergency.advice), "{text}");
    let replies = spanish.replies.as_ref().expect("Spanish replies");
    assert!(text.contains(&replies.not_medical_advice), "{text}");
    assert!(
        !text.contains(&RedFlags::floor().emergency.heading),
        "{text}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_flag_mention_gets_the_seek_care_reply_and_no_technique() {
    let bot = Bot::start().await;
    let (reply, text) =
        red_reply_to_mention(&bot, "my legs are numb and I can't control my bladder").await;
    assert!(text.contains("emergency"), "{text}");
    assert!(text.contains("bladder"), "{text}");
    assert!(!text.contains("Knee-to-chest"), "{text}");
    assert!(!text.contains("(technique)"), "{text}");
    assert_eq!(
        reply.path,
        format!("/api/v10/channels/{CHANNEL_ID}/messages")
    );
    assert_no_pings(&reply.body);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_ask_answers_with_the_knee_to_chest_section() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let (id, interaction) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "how do I do the knee to chest twist"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, id).await;

    assert_eq!(
        response.path,
        format!("/api/v10/interactions/{id}/interaction-token-{id}/callback")
    );
    assert_eq!(response.body["type"], json!(4), "{:#}", response.body);
    let text = embed_text(&response.body);
    assert!(text.contains("Knee-to-chest twist"), "{text}");
    assert!(
        text.contains("How to Safely Crack Your Lower Back"),
        "{text}"
    );
    assert_no_pings(&response.body["data"]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_headline_question_gets_the_overview_and_its_menu_opens_each_technique() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let (id, interaction) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "How do I safely crack my lower back?"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, id).await;
    let text = embed_text(&response.body);
    assert!(text.contains("an overview"), "{text}");
    assert!(text.contains("Warm up first"), "{text}");
    assert!(text.contains("Knee-to-chest twist"), "{text}");
    assert!(!text.contains("Why your lower back"), "{text}");
    assert_eq!(button_ids(&response.body), ["open-section"]);
    let menu = &response.body["data"]["components"][0]["components"][0];
    assert_eq!(menu["type"], json!(3), "a string select menu: {menu:#}");
    let options: Vec<&str> = menu["options"]
        .as_array()
        .expect("menu options")
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        options,
        [
            "warm-up",
            "knee-to-chest",
            "seated-side-bend",
            "bridge-release",
            "precautions"
        ]
    );

    let (choice, mut interaction) = fake.component("open-section", &response);
    interaction["data"] = json!({
        "custom_id": "open-section",
        "component_type": 3,
        "values": ["seated-side-bend"],
    });
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let opened = fake.wait_interaction_response(from, choice).await;
    assert_eq!(opened.body["data"]["flags"], json!(64), "{:#}", opened.body);
    let text = embed_text(&opened.body);
    assert!(text.contains("Seated side bend"), "{text}");
    assert!(
        text.contains("Rest your right hand on your left thigh"),
        "{text}"
    );
    assert_eq!(
        button_ids(&opened.body)[..2],
        [
            "feedback:yes:seated-side-bend",
            "feedback:no:seated-side-bend"
        ]
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_an_answer_is_a_follow_up_on_its_section_and_red_flags_still_win() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let id = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("how do I do the knee to chest twist"),
        )
        .await;
    let answer = fake.wait_reply_to(from, id).await;
    assert!(
        embed_text(&answer.body).contains("Knee-to-chest twist"),
        "{:#}",
        answer.body
    );

    // A reply without a mention (the member turned the ping off) is still a follow-up.
    let (id, message) = fake.reply_to(&answer, "how long do I hold it?");
    fake.dispatch("MESSAGE_CREATE", message).await;
    let hold = fake.wait_reply_to(from, id).await;
    let text = embed_text(&hold.body);
    assert!(text.contains("Knee-to-chest twist"), "{text}");
    assert!(text.contains("How long to hold it"), "{text}");
    assert!(text.contains("5-10 seconds"), "{text}");
    // Only the lines that answer it, not the whole section again.
    assert!(!text.contains("Lie flat on your back"), "{text}");
    assert_no_pings(&hold.body);

    // "next one?" is the next technique in the guide, and a reply to that follows on from it.
    let (id, message) = fake.reply_to(&answer, "next one?");
    fake.dispatch("MESSAGE_CREATE", message).await;
    let next = fake.wait_reply_to(from, id).await;
    assert!(
        embed_text(&next.body).contains("Seated side bend"),
        "{:#}",
        next.body
    );
    let (id, message) = fake.reply_to(&next, "how do I do the other side");
    fake.dispatch("MESSAGE_CREATE", message).await;
    let side = fake.wait_reply_to(from, id).await;
    let text = embed_text(&side.body);
    assert!(text.contains("left hand on right thigh"), "{text}");

    // Triage reads every follow-up first.
    let (id, message) = fake.reply_to(&answer, "how long do I hold it? both my legs went numb");
    fake.dispatch("MESSAGE_CREATE", message).await;
    let care = fake.wait_reply_to(from, id).await;
    assert_eq!(
        care.body["embeds"][0]["color"],
        json!(RED),
        "{:#}",
        care.body
    );
    assert!(!embed_text(&care.body).contains("5-10 seconds"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_direct_message_without_a_mention_is_answered() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let id = fake
        .send_message(DM_CHANNEL_ID, None, "how do I warm up?")
        .await;
    let reply = fake.wait_reply_to(from, id).await;

    assert_eq!(
        reply.path,
        format!("/api/v10/channels/{DM_CHANNEL_ID}/messages")
    );
    let text = embed_text(&reply.body);
    assert!(text.contains("Warm up first"), "{text}");
    assert_no_pings(&reply.body);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_red_flags_are_answered_without_a_mention_and_only_in_watched_channels() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();

    // Not watched, no mention: even a red flag is not the bot's business there.
    let ignored_red = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            "my legs are numb and I can't control my bladder",
        )
        .await;
    // Watched, no mention, no red flag: nothing either.
    let ignored_plain = fake
        .send_message(
            WATCHED_CHANNEL_ID,
            Some(GUILD_ID),
            "how do I do the knee to chest twist",
        )
        .await;
    // Watched and a red flag: the seek-care reply, without any mention.
    let red = fake
        .send_message(
            WATCHED_CHANNEL_ID,
            Some(GUILD_ID),
            "my legs are numb and I can't control my bladder",
        )
        .await;
    let reply = fake.wait_reply_to(from, red).await;
    assert_eq!(reply.body["embeds"][0]["color"], json!(RED));
    assert_no_pings(&reply.body);

    // A message that IS answered, sent last, proves the earlier ones were seen and skipped.
    let asked = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention("how do I warm up?"))
        .await;
    fake.wait_reply_to(from, asked).await;

    let sent: Vec<_> = fake
        .since(from)
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert!(sent
        .iter()
        .all(|r| !is_reply_to(r, ignored_red) && !is_reply_to(r, ignored_plain)));
    assert_eq!(sent.len(), 2, "exactly two replies: {sent:#?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_in_a_question_pings_nobody() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let id = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("@everyone how do I do the knee to chest twist <@&123> @here"),
        )
        .await;
    let reply = fake.wait_reply_to(from, id).await;
    assert_no_pings(&reply.body);
    assert_eq!(reply.body["allowed_mentions"]["replied_user"], json!(false));

    let (id, interaction) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "@everyone how do I warm up?"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, id).await;
    assert_no_pings(&response.body["data"]);
    bot.stop().await;
}

async fn answers_after_a_dropped_connection(on_resume: OnResume) {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    fake.set_on_resume(on_resume);
    assert_eq!(fake.connections(), 1);

    let from = fake.mark();
    fake.drop_connection();
    let back = fake
        .wait_for(from, "a new IDENTIFY after the drop", |r| {
            r.method == "WS" && r.path == "IDENTIFY"
                || on_resume == OnResume::Resume && r.path == "RESUME"
        })
        .await;
    assert_eq!(back.body["token"], json!("[sent]"));
    assert!(fake.connections() >= 2);

    let id = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("how do I do the knee to chest twist"),
        )
        .await;
    let reply = fake.wait_reply_to(from, id).await;
    assert!(embed_text(&reply.body).contains("Knee-to-chest twist"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_resumes_after_the_gateway_drops_and_answers_the_next_message() {
    answers_after_a_dropped_connection(OnResume::Resume).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_identifies_again_when_the_resume_is_refused_and_answers_the_next_message() {
    answers_after_a_dropped_connection(OnResume::InvalidSession).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reply_latency_at_the_fake_over_twenty_questions() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let questions = [
        "how do I do the knee to chest twist",
        "how do I warm up?",
        "seated side bend please",
        "what is the floor bridge release",
        "why does my back feel like it needs a crack",
    ];
    let mut latencies = Vec::new();
    for n in 0..20 {
        let from = fake.mark();
        let (id, message) = fake.message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention(questions[n % questions.len()]),
        );
        let sent = fake.dispatch("MESSAGE_CREATE", message).await;
        let reply = fake.wait_reply_to(from, id).await;
        latencies.push(reply.at.duration_since(sent));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let first = latencies[0];
    latencies.sort();
    let mut warm = latencies.clone();
    if let Some(at) = warm.iter().position(|&d| d == first) {
        warm.remove(at);
    }
    eprintln!(
        "reply latency over {} mentions (event sent -> reply body received): min {:.2} ms, median {:.2} ms, max {:.2} ms; first (cold) {:.2} ms, max of the other {} {:.2} ms",
        latencies.len(),
        ms(latencies[0]),
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() - 1]),
        ms(first),
        warm.len(),
        ms(warm[warm.len() - 1]),
    );
    bot.stop().await;
}

#[test]
fn serve_refuses_a_missing_or_malformed_token_without_echoing_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |token: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backcare"));
        // A temp working dir, so no developer .env is picked up.
        command
            .arg("serve")
            .current_dir(dir.path())
            .env_remove("RUST_LOG")
            .env_remove("DISCORD_API_URL")
            .env_remove("BACKCARE_GUILD_ID")
            .env_remove("BACKCARE_WATCH_CHANNELS")
            .env("BACKCARE_KNOWLEDGE_DIR", common::knowledge_dir())
            .env("BACKCARE_INDEX_DIR", dir.path().join("index"));
        match token {
            Some(token) => command.env("DISCORD_TOKEN", token),
            None => command.env_remove("DISCORD_TOKEN"),
        };
        command.output().expect("run backcare serve")
    };
    let secret = "this-is-my-secret-token";
    for (token, reason) in [
        (None, "is not set"),
        (Some(secret), "does not look like a bot token"),
    ] {
        let output = run(token);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].contains("DISCORD_TOKEN"), "{stderr}");
        assert!(lines[0].contains(reason), "{stderr}");
        assert!(!stderr.contains(secret), "{stderr}");
        assert!(!String::from_utf8_lossy(&output.stdout).contains(secret));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_registered_in_the_guild_and_intents_are_minimal() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let registration = fake.wait_ready().await;
    assert_eq!(
        registration.path,
        format!(
            "/api/v10/applications/{}/guilds/{GUILD_ID}/commands",
            common::fake_discord::APP_ID
        )
    );
    let mut names: Vec<&str> = registration
        .body
        .as_array()
        .expect("a command list")
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Check for red flags",
            "ask",
            "redflags",
            "reload",
            "stats",
            "teach",
            "technique",
            "techniques",
            "unanswered",
            "warmup"
        ]
    );
    // Moderator commands are declared with Manage Server (bit 5 = 32), so members do not see
    // them; the others are open to everyone.
    for command in registration.body.as_array().into_iter().flatten() {
        let permissions = &command["default_member_permissions"];
        match command["name"].as_str() {
            Some("reload" | "stats" | "unanswered" | "teach" | "Check for red flags") => {
                assert_eq!(permissions, "32", "{command}")
            }
            _ => assert!(permissions.is_null(), "{command}"),
        }
    }
    // Slash commands describe themselves; a message menu command (type 3) may not.
    for command in registration.body.as_array().into_iter().flatten() {
        if command["type"] == json!(3) {
            assert_eq!(command["name"], "Check for red flags", "{command}");
            continue;
        }
        assert!(
            !command["description"]
                .as_str()
                .unwrap_or_default()
                .is_empty(),
            "{command}"
        );
    }

    let identify = fake
        .wait_for(0, "IDENTIFY", |r| r.method == "WS" && r.path == "IDENTIFY")
        .await;
    // GUILD_MESSAGES | DIRECT_MESSAGES, plus MESSAGE_CONTENT because a channel is watched.
    assert_eq!(
        identify.body["intents"],
        json!((1 << 9) | (1 << 12) | (1 << 15))
    );
    assert_eq!(identify.body["token"], json!("[sent]"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn technique_autocompletes_titles_and_shows_the_chosen_one() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let (id, interaction) = fake.autocomplete(
        "technique",
        json!([{"name": "name", "type": 3, "value": "knee", "focused": true}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, id).await;
    assert_eq!(response.body["type"], json!(8), "{:#}", response.body);
    assert_eq!(
        response.body["data"]["choices"],
        json!([{"name": "Knee-to-chest twist", "value": "Knee-to-chest twist"}])
    );

    let (id, interaction) = fake.slash_command(
        "technique",
        json!([{"name": "name", "type": 3, "value": "Seated side bend"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, id).await;
    let text = embed_text(&response.body);
    // A person's answer: the title without a kind label.
    assert!(text.contains("Seated side bend"), "{text}");
    assert!(!text.contains("(technique)"), "{text}");
    assert_no_pings(&response.body["data"]);
    // Counted like any answer (it goes through the service), with its buttons.
    assert_eq!(
        bot.service.store.stats().unwrap().sections["seated-side-bend"].answered,
        1
    );
    assert!(button_ids(&response.body).contains(&"feedback:yes:seated-side-bend".to_owned()));

    // Whatever is typed as a name is triaged first.
    let (id, interaction) = fake.slash_command(
        "technique",
        json!([{"name": "name", "type": 3, "value": "twist, but my legs are numb and I can't control my bladder"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, id).await;
    assert_eq!(response.body["data"]["embeds"][0]["color"], json!(RED));
    assert_eq!(
        bot.service
            .store
            .stats()
            .unwrap()
            .escalations
            .get("emergency"),
        Some(&1),
        "counted too"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn techniques_and_redflags_list_the_guides_and_the_warning_signs() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let (id, interaction) = fake.slash_command("techniques", json!([]));
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let text = embed_text(&fake.wait_interaction_response(from, id).await.body);
    for title in [
        "Warm up first",
        "Knee-to-chest twist",
        "Seated side bend",
        "Floor bridge release",
    ] {
        assert!(text.contains(title), "{title} missing from {text}");
    }
    assert!(
        !text.contains("Long-term habits"),
        "info sections are not techniques: {text}"
    );

    let (id, interaction) = fake.slash_command("redflags", json!([]));
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let response = fake.wait_interaction_response(from, id).await;
    let embed = &response.body["data"]["embeds"][0];
    assert_eq!(embed["color"], json!(RED));
    let text = embed_text(&response.body);
    assert!(text.contains("Emergency:"), "{text}");
    assert!(text.contains("Urgent:"), "{text}");
    assert!(text.contains("bladder"), "{text}");
    assert!(text.contains("What to do:"), "{text}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_bots_are_never_answered() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    let (ignored, mut message) = fake.message(
        WATCHED_CHANNEL_ID,
        Some(GUILD_ID),
        &mention("my legs are numb and I can't control my bladder"),
    );
    message["author"]["bot"] = json!(true);
    fake.dispatch("MESSAGE_CREATE", message).await;
    let asked = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention("how do I warm up?"))
        .await;
    fake.wait_reply_to(from, asked).await;
    assert!(fake.since(from).iter().all(|r| !is_reply_to(r, ignored)));
    bot.stop().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_binary_answers_and_exits_zero_on_sigterm() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).expect("create the log file");
    let child = Command::new(env!("CARGO_BIN_EXE_backcare"))
        .arg("serve")
        .current_dir(dir.path())
        // The most verbose logging there is, to prove the token reaches no log line.
        .env("RUST_LOG", "trace")
        .env_remove("BACKCARE_WATCH_CHANNELS")
        .env("DISCORD_TOKEN", common::FAKE_TOKEN)
        .env("DISCORD_API_URL", fake.api_url())
        .env("BACKCARE_GUILD_ID", GUILD_ID.to_string())
        .env("BACKCARE_KNOWLEDGE_DIR", common::knowledge_dir())
        .env("BACKCARE_INDEX_DIR", dir.path().join("index"))
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start backcare serve");
    let mut child = KillOnDrop(child);
    fake.wait_ready().await;

    let identify = fake
        .wait_for(0, "IDENTIFY", |r| r.method == "WS" && r.path == "IDENTIFY")
        .await;
    // No watched channels: no Message Content intent.
    assert_eq!(identify.body["intents"], json!((1 << 9) | (1 << 12)));

    let from = fake.mark();
    let id = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention("how do I warm up?"))
        .await;
    let reply = fake.wait_reply_to(from, id).await;
    assert!(embed_text(&reply.body).contains("Warm up first"));

    let exit = child.terminate_within(Duration::from_secs(5)).await;
    assert_eq!(exit.code(), Some(0), "{exit:?}");
    let log = std::fs::read_to_string(&log_path).expect("read the log");
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "trace logging was on"
    );
    assert!(
        !log.contains(common::FAKE_TOKEN),
        "the token reached the log"
    );
    assert!(
        !log.contains("fake.token"),
        "part of the token reached the log"
    );
    assert!(
        fake.unknown_requests().is_empty(),
        "{:?}",
        fake.unknown_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seek_care_still_gets_through_as_text_when_embeds_are_refused() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    fake.reject_embeds(true);
    let from = fake.mark();
    let id = fake
        .send_message(
            WATCHED_CHANNEL_ID,
            Some(GUILD_ID),
            "my legs are numb and I can't control my bladder",
        )
        .await;
    let text_reply = fake
        .wait_for(from, "a plain-text seek-care reply", |r| {
            is_reply_to(r, id) && r.body["content"].is_string()
        })
        .await;
    let content = text_reply.body["content"].as_str().unwrap_or_default();
    assert!(content.contains("emergency"), "{content}");
    assert!(content.chars().count() <= 2000);
    assert_no_pings(&text_reply.body);
    let attempts = fake
        .since(from)
        .iter()
        .filter(|r| is_reply_to(r, id))
        .count();
    assert_eq!(attempts, 2, "one refused embed, then the text");

    let from = fake.mark();
    let (id, interaction) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "my legs are numb and I can't control my bladder"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let prefix = format!("/api/v10/interactions/{id}/");
    let text_response = fake
        .wait_for(from, "a plain-text /ask seek-care response", |r| {
            r.path.starts_with(&prefix) && r.body["data"]["content"].is_string()
        })
        .await;
    let content = text_response.body["data"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(content.contains("emergency"), "{content}");
    assert_no_pings(&text_response.body["data"]);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_guild_id_commands_are_registered_globally() {
    let bot = Bot::start_with(None).await;
    let registration = bot.fake.wait_ready().await;
    assert_eq!(
        registration.path,
        format!(
            "/api/v10/applications/{}/commands",
            common::fake_discord::APP_ID
        )
    );
    assert_eq!(registration.body.as_array().map(Vec::len), Some(10));
    bot.stop().await;
}

/// The owner's click on a warm-up button (`action`: pause, next, stop) and the response.
async fn press(
    fake: &FakeDiscord,
    from: usize,
    sent: &common::fake_discord::Recorded,
    key: u64,
    action: &str,
) -> Value {
    let (click, interaction) = fake.component(&format!("warmup:{key}:{action}"), sent);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    fake.wait_interaction_response(from, click).await.body
}

fn is_countdown_edit(r: &common::fake_discord::Recorded) -> bool {
    r.method == "PATCH" && r.path.ends_with("/messages/@original")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warmup_walks_the_steps_in_one_message_and_only_its_owner_controls_it() {
    // A second of the walk lasts 20 ms here, so 30 s of cat-cow take 0.6 s.
    let bot = Bot::start_custom(common::BotOptions {
        warmup_pace: Some(Duration::from_millis(20)),
        ..common::BotOptions::default()
    })
    .await;
    let fake = &bot.fake;
    let from = fake.mark();
    let (key, interaction) = fake.slash_command("warmup", json!([]));
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let first = fake.wait_interaction_response(from, key).await;
    let text = embed_text(&first.body);
    assert!(text.contains("step 1 of 3"), "{text}");
    assert!(
        text.contains("cat-cow") && text.contains("30 s left"),
        "{text}"
    );
    assert_eq!(
        button_ids(&first.body),
        [
            format!("warmup:{key}:pause"),
            format!("warmup:{key}:next"),
            format!("warmup:{key}:stop")
        ]
    );
    assert_no_pings(&first.body["data"]);

    // The same message counts down, every five seconds of the walk.
    let edit = fake
        .wait_for(from, "a countdown edit", |r| {
            is_countdown_edit(r) && embed_text(&r.body).contains("25 s left")
        })
        .await;
    assert!(embed_text(&edit.body).contains("step 1 of 3"));

    // Someone else's click is refused privately and changes nothing.
    let (click, mut interaction) = fake.component(&format!("warmup:{key}:stop"), &first);
    common::fake_discord::from_someone_else(&mut interaction);
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let refused = fake.wait_interaction_response(from, click).await;
    assert_eq!(
        refused.body["data"]["flags"],
        json!(64),
        "{:#}",
        refused.body
    );
    assert!(refused.body["data"]["content"]
        .as_str()
        .is_some_and(|c| c.contains("Only the member who started")));

    // Paused: redrawn at once, and the countdown stops.
    let paused = press(fake, from, &first, key, "pause").await;
    assert_eq!(paused["type"], json!(7), "updates the message: {paused:#}");
    assert!(embed_text(&paused).contains("Paused"), "{paused:#}");
    let still = fake.mark();
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        fake.since(still).iter().all(|r| !is_countdown_edit(r)),
        "no countdown while paused"
    );
    let resumed = press(fake, from, &first, key, "pause").await;
    assert!(embed_text(&resumed).contains("s left"), "{resumed:#}");

    // The timed step runs out by itself; the next has no time and waits for Next.
    let second = fake
        .wait_for(from, "step 2", |r| {
            is_countdown_edit(r) && embed_text(&r.body).contains("step 2 of 3")
        })
        .await;
    assert!(embed_text(&second.body).contains("press **Next**"));
    let third = press(fake, from, &first, key, "next").await;
    assert!(embed_text(&third).contains("step 3 of 3"), "{third:#}");
    let done = press(fake, from, &first, key, "next").await;
    let text = embed_text(&done);
    assert!(
        text.contains("done") && text.contains("never force"),
        "{text}"
    );
    assert!(
        button_ids(&done).is_empty(),
        "no buttons once done: {done:#}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warmup_is_stopped_by_its_owner_or_by_a_shutdown() {
    let mut bot = Bot::start_custom(common::BotOptions {
        warmup_pace: Some(Duration::from_millis(20)),
        ..common::BotOptions::default()
    })
    .await;
    let from = bot.fake.mark();
    let (key, interaction) = bot.fake.slash_command("warmup", json!([]));
    bot.fake.dispatch("INTERACTION_CREATE", interaction).await;
    let first = bot.fake.wait_interaction_response(from, key).await;
    let stopped = press(&bot.fake, from, &first, key, "stop").await;
    assert!(embed_text(&stopped).contains("stopped"), "{stopped:#}");
    assert!(button_ids(&stopped).is_empty());

    // "Warm up first" under a technique starts the same walk, for whoever clicked it.
    let asked = bot
        .fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("how do I do the knee to chest twist"),
        )
        .await;
    let answer = bot.fake.wait_reply_to(from, asked).await;
    let (click, interaction) = bot.fake.component("next:warm-up", &answer);
    bot.fake.dispatch("INTERACTION_CREATE", interaction).await;
    let walk = bot.fake.wait_interaction_response(from, click).await;
    assert!(
        embed_text(&walk.body).contains("step 1 of 3"),
        "{:#}",
        walk.body
    );
    assert_eq!(button_ids(&walk.body)[2], format!("warmup:{click}:stop"));
    let stopped = press(&bot.fake, from, &walk, click, "stop").await;
    assert!(embed_text(&stopped).contains("stopped"), "{stopped:#}");

    // A walk still running at shutdown is marked stopped, and the shutdown does not wait
    // for it to finish.
    let (key, interaction) = bot.fake.slash_command("warmup", json!([]));
    bot.fake.dispatch("INTERACTION_CREATE", interaction).await;
    bot.fake.wait_interaction_response(from, key).await;
    let at_stop = bot.fake.mark();
    bot.shut_down().await;
    let last = bot
        .fake
        .since(at_stop)
        .into_iter()
        .find(is_countdown_edit)
        .expect("the walk was marked stopped");
    assert!(
        embed_text(&last.body).contains("restarting"),
        "{:#}",
        last.body
    );
}
