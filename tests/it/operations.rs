//! Running the bot in production: configuration errors, `backcare config`, JSON logs, the
//! health and metrics endpoints, sharding and graceful shutdown. Everything runs against the
//! fake Discord on 127.0.0.1; HTTP is spoken by hand so no client crate is needed.

use crate::common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use backcare::config::Config;
use common::fake_discord::{embed_text, FakeDiscord, BOT_ID, CHANNEL_ID, GUILD_ID};
use common::process::{backcare, KillOnDrop};
use common::FAKE_TOKEN;

/// How long a poll for a state may take before the test fails.
const WAIT: Duration = Duration::from_secs(15);

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

/// A configuration for a bot against `fake`, index and data in `dir`, plus `vars`.
fn config(fake: &FakeDiscord, dir: &Path, vars: &[(&str, &str)]) -> Config {
    let paths = common::test_paths(dir);
    let api_url = fake.api_url();
    let guild = GUILD_ID.to_string();
    let mut all = vec![
        ("DISCORD_TOKEN", FAKE_TOKEN),
        ("DISCORD_API_URL", api_url.as_str()),
        ("BACKCARE_GUILD_ID", guild.as_str()),
    ];
    all.extend_from_slice(vars);
    Config::from_lookup(&paths, |name| {
        all.iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("valid test configuration")
}

/// `backcare serve` in this test's runtime, with its health server on a loopback port.
struct Served {
    http: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn start(fake: &FakeDiscord, vars: &[(&str, &str)]) -> Served {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = config(fake, dir.path(), vars);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind HTTP");
        let http = listener.local_addr().expect("HTTP address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(backcare::serve::run(config, Some(listener), async move {
            let _ = stopped.await;
        }));
        Served {
            http,
            stop: Some(stop),
            task,
            _dir: dir,
        }
    }

    fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops the bot; returns how long `run` took to return after the signal.
    async fn stop(mut self) -> Duration {
        let asked = Instant::now();
        self.begin_stop();
        let result = tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("serve stopped within 10 s")
            .expect("serve did not panic");
        if let Err(err) = result {
            panic!("serve returned an error: {err:#}");
        }
        asked.elapsed()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One HTTP/1.1 GET over a fresh connection: the status code and the body.
async fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// `GET /healthz`: the status code and the JSON body.
async fn healthz(addr: SocketAddr) -> (u16, Value) {
    let (status, body) = get(addr, "/healthz").await.expect("GET /healthz");
    let body = serde_json::from_str(&body).unwrap_or_else(|err| panic!("{err}: {body}"));
    (status, body)
}

/// Polls `/healthz` until `until` holds for its reply, and returns that reply.
async fn wait_health(addr: SocketAddr, what: &str, until: impl Fn(u16, &Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let (status, body) = healthz(addr).await;
        if until(status, &body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "/healthz never reported {what}; last: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_503_until_a_shard_connects_and_metrics_count_the_questions() {
    let fake = FakeDiscord::start().await;
    fake.hold_ready(true);
    let served = Served::start(&fake, &[]).await;

    // The index loads and the bot identifies, but no shard is connected yet.
    fake.wait_for(0, "IDENTIFY", |r| r.path == "IDENTIFY").await;
    let body = wait_health(served.http, "the index loaded", |status, body| {
        assert_eq!(status, 503, "{body}");
        body["index_loaded"] == json!(true)
    })
    .await;
    assert_eq!(body["shards_connected"], json!(0), "{body}");
    assert_ne!(body["status"], json!("ok"), "{body}");

    fake.hold_ready(false);
    let body = wait_health(served.http, "200", |status, _| status == 200).await;
    assert_eq!(
        body,
        json!({"status": "ok", "index_loaded": true, "shards_connected": 1})
    );
    fake.wait_ready().await;

    for (question, expected) in [
        ("how do I do the knee to chest twist", "Knee-to-chest twist"),
        (
            "my legs are numb and I can't control my bladder",
            "emergency",
        ),
    ] {
        let from = fake.mark();
        let id = fake
            .send_message(CHANNEL_ID, Some(GUILD_ID), &mention(question))
            .await;
        let reply = fake.wait_reply_to(from, id).await;
        assert!(embed_text(&reply.body).contains(expected));
    }

    let (status, metrics) = get(served.http, "/metrics").await.expect("GET /metrics");
    assert_eq!(status, 200, "{metrics}");
    for line in [
        "backcare_questions_total{outcome=\"answer\"}",
        "backcare_questions_total{outcome=\"seek_care\"}",
        "backcare_escalations_total{tier=\"emergency\"}",
        "backcare_reply_seconds_bucket{le=\"0.001\"}",
        "backcare_reply_seconds_count",
        "backcare_sections_indexed",
        "backcare_shards_connected 1",
        "# TYPE backcare_reply_seconds histogram",
    ] {
        assert!(metrics.contains(line), "no {line} in:\n{metrics}");
    }

    served.stop().await;
    assert!(
        fake.unknown_requests().is_empty(),
        "{:?}",
        fake.unknown_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_server_stops_with_the_bot() {
    let fake = FakeDiscord::start().await;
    let served = Served::start(&fake, &[]).await;
    let addr = served.http;
    wait_health(addr, "200", |status, _| status == 200).await;
    served.stop().await;
    assert!(
        get(addr, "/healthz").await.is_err(),
        "the health endpoint still answers after the bot stopped"
    );
    assert!(
        fake.unknown_requests().is_empty(),
        "{:?}",
        fake.unknown_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_answers_the_question_in_flight_and_only_red_flags_after_it() {
    let fake = FakeDiscord::start().await;
    let mut served = Served::start(&fake, &[]).await;
    wait_health(served.http, "200", |status, _| status == 200).await;
    fake.wait_ready().await;

    // Discord is slow: the reply to this question is still being sent when the stop comes.
    let slow = Duration::from_millis(1500);
    fake.delay_replies(slow);
    let from = fake.mark();
    let (in_flight, message) =
        fake.message(CHANNEL_ID, Some(GUILD_ID), &mention("how do I warm up?"));
    fake.dispatch("MESSAGE_CREATE", message).await;
    let reply = fake.wait_reply_to(from, in_flight).await;
    served.begin_stop();
    wait_health(served.http, "stopping", |status, body| {
        status == 503 && body["status"] == json!("stopping")
    })
    .await;

    // Ordinary questions that arrive now are declined with a short note (ephemeral for a
    // slash command); warning signs are still answered, for Discord never sends them again.
    let late = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention("how do I warm up?"))
        .await;
    let (command, interaction) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "how do I warm up?"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let note = fake.wait_interaction_response(from, command).await;
    assert!(
        note.body["data"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("restarting")),
        "{:#}",
        note.body
    );
    assert_eq!(note.body["data"]["flags"], json!(64), "ephemeral");
    let red_flag = fake
        .send_message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("my back hurts and I can't feel my bum when I wipe"),
        )
        .await;
    let (red_command, interaction) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "both my legs went numb overnight"}]),
    );
    fake.dispatch("INTERACTION_CREATE", interaction).await;
    let care = fake.wait_reply_to(from, red_flag).await;
    assert!(
        embed_text(&care.body).contains("emergency"),
        "{:#}",
        care.body
    );
    let care = fake.wait_interaction_response(from, red_command).await;
    assert!(
        embed_text(&care.body).contains("emergency"),
        "{:#}",
        care.body
    );
    let declined = fake.wait_reply_to(from, late).await;
    assert!(
        declined.body["content"]
            .as_str()
            .is_some_and(|c| c.contains("restarting")),
        "{:#}",
        declined.body
    );
    assert!(
        declined
            .body
            .get("embeds")
            .is_none_or(|e| e.as_array().is_none_or(Vec::is_empty)),
        "no answer: {:#}",
        declined.body
    );

    let task = &mut served.task;
    let result = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("serve stopped within 10 s")
        .expect("serve did not panic");
    let returned = Instant::now();
    result.expect("serve returned Ok");
    // The fake answers the in-flight reply `slow` after it arrived; serve waited for that.
    assert!(
        returned >= reply.at + slow,
        "serve returned {:?} after the reply arrived, before it was answered",
        returned - reply.at
    );
}

/// The shard ids of every IDENTIFY since `from`, as `[id, total]`.
fn identified(fake: &FakeDiscord, from: usize) -> Vec<Value> {
    let mut shards: Vec<Value> = fake
        .since(from)
        .into_iter()
        .filter(|r| r.method == "WS" && r.path == "IDENTIFY")
        .map(|r| r.body["shard"].clone())
        .collect();
    shards.sort_by_key(|s| s[0].as_u64());
    shards
}

async fn wait_live_shards(fake: &FakeDiscord, shards: &[u32]) {
    let deadline = Instant::now() + WAIT;
    while fake.live_shards() != shards {
        assert!(
            Instant::now() < deadline,
            "live shards {:?}, expected {shards:?}",
            fake.live_shards()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A mention on each shard's connection gets its answer.
async fn answered_on_every_shard(fake: &FakeDiscord, shards: &[u32]) {
    for &shard in shards {
        let from = fake.mark();
        let (id, message) = fake.message(
            CHANNEL_ID,
            Some(GUILD_ID),
            &mention("how do I do the knee to chest twist"),
        );
        fake.dispatch_on(shard, "MESSAGE_CREATE", message).await;
        let reply = fake.wait_reply_to(from, id).await;
        assert!(
            embed_text(&reply.body).contains("Knee-to-chest twist"),
            "shard {shard}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_each_run_their_shard_range_and_both_answer() {
    let fake = FakeDiscord::start().await;
    fake.set_gateway_shards(2);
    let first = Served::start(
        &fake,
        &[("BACKCARE_SHARDS", "2"), ("BACKCARE_SHARD_RANGE", "0..=0")],
    )
    .await;
    let second = Served::start(
        &fake,
        &[("BACKCARE_SHARDS", "2"), ("BACKCARE_SHARD_RANGE", "1..=1")],
    )
    .await;
    wait_live_shards(&fake, &[0, 1]).await;
    for served in [&first, &second] {
        let body = wait_health(served.http, "200", |status, _| status == 200).await;
        assert_eq!(body["shards_connected"], json!(1), "{body}");
    }
    assert_eq!(identified(&fake, 0), [json!([0, 2]), json!([1, 2])]);

    answered_on_every_shard(&fake, &[0, 1]).await;
    first.stop().await;
    second.stop().await;
    // Each process identified once, for its own shard only.
    assert_eq!(identified(&fake, 0).len(), 2);
    assert!(
        fake.unknown_requests().is_empty(),
        "{:?}",
        fake.unknown_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autosharding_runs_every_shard_discord_recommends() {
    let fake = FakeDiscord::start().await;
    fake.set_gateway_shards(2);
    let served = Served::start(&fake, &[]).await;
    // serenity waits 5 s between two IDENTIFYs, as Discord asks.
    wait_live_shards(&fake, &[0, 1]).await;
    assert_eq!(identified(&fake, 0), [json!([0, 2]), json!([1, 2])]);
    let body = wait_health(served.http, "2 shards", |_, body| {
        body["shards_connected"] == json!(2)
    })
    .await;
    assert_eq!(body["status"], json!("ok"));
    answered_on_every_shard(&fake, &[0, 1]).await;
    served.stop().await;
}

// --- the binary ---

fn run(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    backcare(dir, args, vars)
        .output()
        .expect("run the backcare binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn serve_reports_every_bad_setting_at_once_and_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let secret = "MTIz.my-secret.token";
    let output = run(
        dir.path(),
        &["serve"],
        &[
            ("DISCORD_TOKEN", secret),
            ("DISCORD_API_URL", "discord.com"),
            ("BACKCARE_LOG_FORMAT", "yaml"),
            ("BACKCARE_HTTP_ADDR", "localhost"),
            ("BACKCARE_SHARDS", "0"),
            ("BACKCARE_SHARD_RANGE", "0-1"),
            ("BACKCARE_WATCH_CHANNELS", "general"),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    let named: Vec<&str> = stderr
        .lines()
        .map(|line| {
            let line = line
                .strip_prefix("backcare: ")
                .expect("one prefixed line each");
            line.split(' ').next().unwrap_or_default()
        })
        .collect();
    assert_eq!(
        named,
        [
            "DISCORD_API_URL",
            "BACKCARE_WATCH_CHANNELS",
            "BACKCARE_LOG_FORMAT",
            "BACKCARE_HTTP_ADDR",
            "BACKCARE_SHARDS",
            "BACKCARE_SHARD_RANGE",
        ],
        "{stderr}"
    );
    assert!(!stderr.contains("my-secret"), "{stderr}");
    assert!(text(&output.stdout).is_empty());
}

#[test]
fn a_flag_that_overrides_a_good_variable_with_a_bad_value_is_reported_the_same_way() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run(
        dir.path(),
        &["serve", "--http-addr", "nowhere", "--log-format", "xml"],
        &[
            ("DISCORD_TOKEN", FAKE_TOKEN),
            ("BACKCARE_HTTP_ADDR", "127.0.0.1:0"),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
    assert!(stderr.contains("BACKCARE_LOG_FORMAT must be"), "{stderr}");
    assert!(stderr.contains("BACKCARE_HTTP_ADDR must be"), "{stderr}");
}

#[test]
fn config_prints_every_setting_with_the_token_redacted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run(
        dir.path(),
        &["config", "--http-addr", "0.0.0.0:9000"],
        &[
            ("DISCORD_TOKEN", FAKE_TOKEN),
            ("BACKCARE_HTTP_ADDR", "127.0.0.1:8080"),
            ("BACKCARE_SHARDS", "4"),
            ("BACKCARE_SHARD_RANGE", "2..=3"),
            ("BACKCARE_LOG_FORMAT", "json"),
            ("RUST_LOG", "trace"),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = text(&output.stdout);
    let all = format!("{stdout}{}", text(&output.stderr));
    assert!(!all.contains(FAKE_TOKEN), "{all}");
    assert!(!all.contains("fake.token"), "{all}");
    let setting = |name: &str| -> String {
        stdout
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(char::is_whitespace)?;
                (key == name).then(|| value.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("{name} missing from:\n{stdout}"))
    };
    assert_eq!(setting("DISCORD_TOKEN"), "[redacted]");
    assert_eq!(setting("DISCORD_API_URL"), "https://discord.com");
    assert_eq!(
        setting("BACKCARE_HTTP_ADDR"),
        "0.0.0.0:9000",
        "the flag wins"
    );
    assert_eq!(setting("BACKCARE_SHARDS"), "4");
    assert_eq!(setting("BACKCARE_SHARD_RANGE"), "2..=3");
    assert_eq!(setting("BACKCARE_LOG_FORMAT"), "json");
    for name in [
        "BACKCARE_GUILD_ID",
        "BACKCARE_WATCH_CHANNELS",
        "BACKCARE_MOD_LOG_CHANNEL",
        "BACKCARE_MODERATOR_ROLES",
        "BACKCARE_KNOWLEDGE_DIR",
        "BACKCARE_INDEX_DIR",
        "BACKCARE_DATA_DIR",
    ] {
        setting(name);
    }
}

#[test]
fn config_without_a_token_still_prints_and_names_the_problem() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run(dir.path(), &["config"], &[]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stdout = text(&output.stdout);
    assert!(stdout.contains("DISCORD_TOKEN"), "{stdout}");
    assert!(stdout.contains("(not set)"), "{stdout}");
    assert!(stdout.contains("BACKCARE_HTTP_ADDR"), "{stdout}");
    let stderr = text(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("backcare: DISCORD_TOKEN is not set"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_no_token_and_the_binary_serves_health_and_metrics() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).expect("create the log file");
    let api_url = fake.api_url();
    let guild = GUILD_ID.to_string();
    let child = backcare(
        dir.path(),
        &["serve"],
        &[
            ("RUST_LOG", "trace"),
            ("BACKCARE_LOG_FORMAT", "json"),
            ("BACKCARE_HTTP_ADDR", "127.0.0.1:0"),
            ("DISCORD_TOKEN", FAKE_TOKEN),
            ("DISCORD_API_URL", &api_url),
            ("BACKCARE_GUILD_ID", &guild),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::from(log))
    .spawn()
    .expect("start backcare serve");
    let mut child = KillOnDrop(child);

    // The bound port is only in the log.
    let deadline = Instant::now() + WAIT;
    let http: SocketAddr = loop {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let found = log.lines().find_map(|line| {
            let event: Value = serde_json::from_str(line).ok()?;
            (event["fields"]["message"] == json!("serving /healthz and /metrics"))
                .then(|| event["fields"]["addr"].as_str()?.parse().ok())?
        });
        if let Some(addr) = found {
            break addr;
        }
        assert!(Instant::now() < deadline, "no listening line in:\n{log}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    fake.wait_ready().await;
    wait_health(http, "200", |status, _| status == 200).await;

    let from = fake.mark();
    let id = fake
        .send_message(CHANNEL_ID, Some(GUILD_ID), &mention("how do I warm up?"))
        .await;
    fake.wait_reply_to(from, id).await;
    let (_, metrics) = get(http, "/metrics").await.expect("GET /metrics");
    assert!(
        metrics.contains("backcare_questions_total{outcome=\"answer\"} 1"),
        "{metrics}"
    );

    let exit = child.terminate_within(Duration::from_secs(5)).await;
    assert_eq!(exit.code(), Some(0), "{exit:?}");

    let log = std::fs::read_to_string(&log_path).expect("read the log");
    let mut levels = std::collections::BTreeSet::new();
    for line in log.lines() {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|err| panic!("not a JSON log line ({err}): {line}"));
        levels.insert(event["level"].as_str().unwrap_or_default().to_owned());
    }
    assert!(levels.contains("TRACE"), "trace logging was on: {levels:?}");
    assert!(!log.contains(FAKE_TOKEN), "the token reached the log");
    assert!(
        !log.contains("fake.token"),
        "part of the token reached the log"
    );
    // One event per question, inside a span naming the message (never its text).
    let answered: Vec<Value> = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["fields"]["message"] == json!("question answered"))
        .collect();
    assert_eq!(answered.len(), 1, "{log}");
    assert_eq!(answered[0]["fields"]["outcome"], json!("answer"));
    assert_eq!(
        answered[0]["span"]["kind"],
        json!("message"),
        "{}",
        answered[0]
    );
    assert_eq!(answered[0]["span"]["id"], json!(id), "{}", answered[0]);
    assert!(
        fake.unknown_requests().is_empty(),
        "{:?}",
        fake.unknown_requests()
    );
}

#[test]
fn env_example_and_the_deploy_guide_list_every_setting() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = std::fs::read_to_string(root.join(".env.example")).expect(".env.example");
    let guide = std::fs::read_to_string(root.join("docs/deploy.md")).expect("docs/deploy.md");
    let checked = Config::check(&common::test_paths(root), |_| None);
    let names = checked.config.settings().into_iter().map(|(name, _)| name);
    for name in names.chain(["RUST_LOG"]) {
        assert!(
            example.contains(&format!("{name}=")),
            ".env.example has no {name}="
        );
        assert!(
            guide.contains(&format!("`{name}`")),
            "docs/deploy.md does not describe {name}"
        );
    }
}
