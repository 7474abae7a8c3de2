//! Hardening end to end, the real bot against the fake Discord on 127.0.0.1: the per-member
//! rate limit never holds back a red flag, long questions are triaged in full, replies that
//! Discord refuses for now (500, 429) are sent again, no question is lost across a gateway
//! drop, and a deleted index does not stop the answers. (The flood is in `flood.rs`.)

use crate::common;

use std::time::Duration;

use serde_json::{json, Value};

use common::fake_discord::{
    embed_text, is_reply_to, Fault, Recorded, BOT_ID, CHANNEL_ID, EPHEMERAL, GUILD_ID,
};
use common::{Bot, BotOptions};

const RED: u64 = 0xE7_4C_3C;
const RED_FLAG: &str = "my legs are numb and I can't control my bladder";

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

/// A bot whose members may ask `limit` (as in `BACKCARE_RATE_LIMIT`).
async fn bot_with_limit(limit: &str) -> Bot {
    Bot::start_custom(BotOptions {
        vars: vec![("BACKCARE_RATE_LIMIT", limit.to_owned())],
        ..BotOptions::default()
    })
    .await
}

/// Sends a mention and returns its message id.
async fn send_mention(bot: &Bot, text: &str) -> u64 {
    let id = bot
        .fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention(text))
        .await;
    id
}

/// Sends `/ask question` and returns the interaction id.
async fn send_ask(bot: &Bot, question: &str) -> u64 {
    let (id, interaction) = bot.fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": question}]),
    );
    bot.fake.dispatch("INTERACTION_CREATE", interaction).await;
    id
}

fn replies_to(sent: &[Recorded], id: u64) -> Vec<&Recorded> {
    sent.iter().filter(|r| is_reply_to(r, id)).collect()
}

fn is_response_to(r: &Recorded, interaction: u64) -> bool {
    r.method == "POST"
        && r.path
            .starts_with(&format!("/api/v10/interactions/{interaction}/"))
}

fn is_seek_care(body: &Value) -> bool {
    let embed = body["embeds"]
        .get(0)
        .or_else(|| body["data"]["embeds"].get(0));
    embed.is_some_and(|e| e["color"] == json!(RED))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_over_the_limit_is_told_once_and_red_flags_still_get_through() {
    let mut bot = bot_with_limit("5/30s").await;
    let from = bot.fake.mark();
    let mut answered = Vec::new();
    for _ in 0..5 {
        let id = send_mention(&bot, "how do I warm up?").await;
        bot.fake.wait_reply_to(from, id).await;
        answered.push(id);
    }
    let told = send_mention(&bot, "how do I warm up?").await;
    let notice = bot.fake.wait_reply_to(from, told).await;
    let text = notice.body["content"].as_str().unwrap_or_default();
    assert!(text.contains("asking quickly"), "{text}");
    assert!(text.contains("try again in 6 seconds"), "{text}");
    assert_eq!(notice.body["allowed_mentions"]["parse"], json!([]));
    let silent = send_mention(&bot, "seated side bend please").await;
    // A red flag is answered over the limit, twice, and is not counted against it.
    let red = send_mention(&bot, RED_FLAG).await;
    let red_reply = bot.fake.wait_reply_to(from, red).await;
    assert!(is_seek_care(&red_reply.body), "{:#}", red_reply.body);
    let red_again = send_mention(&bot, &format!("also {RED_FLAG}")).await;
    bot.fake.wait_reply_to(from, red_again).await;

    bot.shut_down().await;
    let sent = bot.fake.since(from);
    for id in answered {
        assert_eq!(replies_to(&sent, id).len(), 1);
    }
    assert_eq!(replies_to(&sent, told).len(), 1, "one notice");
    assert!(replies_to(&sent, silent).is_empty(), "no second notice");
    assert_eq!(replies_to(&sent, red).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slash_ask_over_the_limit_gets_a_private_notice_and_red_flags_an_answer() {
    let bot = bot_with_limit("1/30s").await;
    let fake = &bot.fake;
    let from = fake.mark();
    let first = send_ask(&bot, "how do I warm up?").await;
    let answer = fake.wait_interaction_response(from, first).await;
    assert!(embed_text(&answer.body).contains("Warm up first"));

    // Every command needs a response, so each one over the limit gets the private notice.
    for _ in 0..2 {
        let over = send_ask(&bot, "how do I warm up?").await;
        let notice = fake.wait_interaction_response(from, over).await;
        assert_eq!(
            notice.body["data"]["flags"],
            json!(EPHEMERAL),
            "{:#}",
            notice.body
        );
        let text = notice.body["data"]["content"].as_str().unwrap_or_default();
        assert!(text.contains("asking quickly"), "{text}");
    }
    // A free-text /technique name is a question too.
    let (over, interaction) = fake.slash_command(
        "technique",
        json!([{"name": "name", "type": 3, "value": "something for my back"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let notice = fake.wait_interaction_response(from, over).await;
    assert_eq!(notice.body["data"]["flags"], json!(EPHEMERAL));

    let red = send_ask(&bot, RED_FLAG).await;
    let care = fake.wait_interaction_response(from, red).await;
    assert!(is_seek_care(&care.body), "{:#}", care.body);
    assert_ne!(care.body["data"]["flags"], json!(EPHEMERAL));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_red_flag_after_4000_characters_is_still_found_in_a_mention_and_in_ask() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let filler = "I sit at a desk all day and wonder about my posture and my chair. ".repeat(70);
    let question = format!("{filler}Since this morning {RED_FLAG}.");
    assert!(question.chars().count() > 4500);
    let from = fake.mark();
    let id = send_mention(&bot, &question).await;
    let reply = fake.wait_reply_to(from, id).await;
    assert!(is_seek_care(&reply.body), "{:#}", reply.body);
    let id = send_ask(&bot, &question).await;
    let response = fake.wait_interaction_response(from, id).await;
    assert!(is_seek_care(&response.body), "{:#}", response.body);
    bot.stop().await;
}

/// Waits until `attempts` sends since `from` match `is_attempt`, and returns them.
async fn wait_attempts(
    bot: &Bot,
    from: usize,
    attempts: usize,
    is_attempt: impl Fn(&Recorded) -> bool,
) -> Vec<Recorded> {
    let count = || {
        bot.fake
            .since(from)
            .into_iter()
            .filter(|r| is_attempt(r))
            .collect::<Vec<_>>()
    };
    bot.fake
        .wait_for(from, &format!("{attempts} send attempts"), |_| {
            count().len() >= attempts
        })
        .await;
    count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_refused_with_500_once_is_sent_again_and_delivered() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    fake.fail_next_sends([Fault::ServerError]);
    let id = send_mention(&bot, "how do I do the knee to chest twist").await;
    let attempts = wait_attempts(&bot, from, 2, |r| is_reply_to(r, id)).await;
    assert_eq!(attempts.len(), 2, "one refused, one delivered");
    assert_eq!(attempts[0].body, attempts[1].body, "the same reply again");
    assert!(embed_text(&attempts[1].body).contains("Knee-to-chest twist"));
    assert_eq!(fake.pending_faults(), 0);

    // The same for a slash command's response.
    let from = fake.mark();
    fake.fail_next_sends([Fault::ServerError]);
    let id = send_ask(&bot, "how do I warm up?").await;
    let attempts = wait_attempts(&bot, from, 2, |r| is_response_to(r, id)).await;
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].body, attempts[1].body);
    assert!(embed_text(&attempts[1].body).contains("Warm up first"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_rate_limited_once_is_sent_again_after_the_wait_and_delivered() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    let from = fake.mark();
    fake.fail_next_sends([Fault::RateLimited { retry_after: 0.2 }]);
    let id = send_mention(&bot, RED_FLAG).await;
    let attempts = wait_attempts(&bot, from, 2, |r| is_reply_to(r, id)).await;
    assert_eq!(attempts.len(), 2, "one rate limited, one delivered");
    assert!(is_seek_care(&attempts[1].body), "{:#}", attempts[1].body);
    // Not sooner than Discord asked (a lower bound: the retry sleeps at least that long).
    let waited = attempts[1].at.duration_since(attempts[0].at);
    assert!(waited >= Duration::from_millis(200), "{waited:?}");
    eprintln!("429 with retry_after 0.2 s: sent again after {waited:?}");
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_question_is_lost_across_a_gateway_drop_and_resume() {
    let mut bot = Bot::start().await;
    let from = bot.fake.mark();
    let fake = &bot.fake;
    fake.hold_resume(true);
    // Sent just before the connection drops.
    let before = send_mention(&bot, "how do I warm up?").await;
    fake.drop_connection();
    fake.wait_for(from, "the bot's RESUME", |r| {
        r.method == "WS" && r.path == "RESUME"
    })
    .await;
    // Sent while the bot is away: Discord keeps it for the session and replays it.
    let (missed, message) = fake.message(
        CHANNEL_ID,
        Some(GUILD_ID),
        &mention("how do I do the knee to chest twist"),
    );
    let missed_seq = fake.dispatch_missed("MESSAGE_CREATE", message);
    fake.hold_resume(false);
    // Sent once the session is back.
    let after = send_mention(&bot, "seated side bend please").await;
    for id in [before, missed, after] {
        fake.wait_reply_to(from, id).await;
    }
    let resume = fake
        .since(from)
        .into_iter()
        .find(|r| r.path == "RESUME")
        .expect("a RESUME");
    assert!(
        resume.body["seq"]
            .as_u64()
            .is_some_and(|seq| seq < missed_seq),
        "the bot resumes from before the missed message: {:#}",
        resume.body
    );
    assert_eq!(fake.connections(), 2, "resumed, not identified again");

    bot.shut_down().await;
    let sent = bot.fake.since(from);
    let reply = replies_to(&sent, missed);
    assert_eq!(reply.len(), 1, "the missed message is answered once");
    assert!(embed_text(&reply[0].body).contains("Knee-to-chest twist"));
    assert_eq!(replies_to(&sent, before).len(), 1);
    assert_eq!(replies_to(&sent, after).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_index_folder_does_not_stop_answers_and_reload_rebuilds_it() {
    let bot = Bot::start().await;
    let fake = &bot.fake;
    std::fs::remove_dir_all(&bot.index_dir).expect("delete the index folder");

    let from = fake.mark();
    let id = send_mention(&bot, "how do I do the knee to chest twist").await;
    let reply = fake.wait_reply_to(from, id).await;
    assert!(embed_text(&reply.body).contains("Knee-to-chest twist"));

    // The fake's member has Manage Server, so may reload.
    let (id, interaction) = fake.slash_command("reload", json!([]));
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let report = fake.wait_followup(from, id).await;
    let text = report.body["content"].as_str().unwrap_or_default();
    assert!(text.starts_with("Knowledge reloaded"), "{text}");
    assert!(
        bot.index_dir.join("CURRENT").exists(),
        "the index is rebuilt"
    );

    let from = fake.mark();
    let id = send_mention(&bot, "how do I warm up?").await;
    let reply = fake.wait_reply_to(from, id).await;
    assert!(embed_text(&reply.body).contains("Warm up first"));
    bot.stop().await;
}
