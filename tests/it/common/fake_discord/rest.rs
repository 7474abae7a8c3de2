//! The fake's REST API under `/api/v10`: one function per route serenity and poise call,
//! the faults a test sets for the bot's next sends (500, 429), refused embeds or token, and
//! a slow Discord. A request it does not know is answered 404 and kept for the test to see.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::events::{bot_user, sent_message};
use super::{FakeDiscord, Shared, APP_ID, CHANNEL_ID};

/// How the fake answers one of the bot's sends (a channel message, an interaction response
/// or a follow-up) instead of accepting it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// 500 Internal Server Error.
    ServerError,
    /// 429 with Discord's body (`retry_after` in seconds, `global: false`) and its
    /// `Retry-After` and `X-RateLimit-*` headers.
    RateLimited { retry_after: f64 },
}

/// The REST API's part of the fake's state: what tests set.
pub(super) struct Rest {
    /// How many shards `GET /gateway/bot` recommends.
    gateway_shards: AtomicU64,
    /// How long message and interaction responses are held before being answered.
    reply_delay: Mutex<Duration>,
    /// Faults for the bot's next sends, first one first.
    faults: Mutex<VecDeque<Fault>>,
    unknown: Mutex<Vec<String>>,
    reject_embeds: AtomicBool,
    /// When true, `GET /gateway/bot` (the first call that needs the token) answers 401.
    refuse_token: AtomicBool,
}

impl Rest {
    pub(super) fn new() -> Rest {
        Rest {
            gateway_shards: AtomicU64::new(1),
            reply_delay: Mutex::new(Duration::ZERO),
            faults: Mutex::new(VecDeque::new()),
            unknown: Mutex::new(Vec::new()),
            reject_embeds: AtomicBool::new(false),
            refuse_token: AtomicBool::new(false),
        }
    }
}

impl FakeDiscord {
    /// Makes every message and interaction response with an embed fail with 403 Missing
    /// Permissions, as in a channel where the bot lacks Embed Links.
    pub fn reject_embeds(&self, reject: bool) {
        self.shared
            .rest
            .reject_embeds
            .store(reject, Ordering::SeqCst);
    }

    /// Answers `GET /gateway/bot` with 401 Unauthorized, as Discord does for a wrong token.
    pub fn refuse_token(&self, refuse: bool) {
        self.shared
            .rest
            .refuse_token
            .store(refuse, Ordering::SeqCst);
    }

    /// Answers the bot's next sends (channel messages, interaction responses, follow-ups)
    /// with these faults, one each, before accepting sends again. Every attempt is recorded.
    pub fn fail_next_sends(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.rest.faults.lock().unwrap().extend(faults);
    }

    /// Faults not yet used by a send.
    pub fn pending_faults(&self) -> usize {
        self.shared.rest.faults.lock().unwrap().len()
    }

    /// How many shards `GET /gateway/bot` recommends (1 unless set).
    pub fn set_gateway_shards(&self, shards: u64) {
        self.shared
            .rest
            .gateway_shards
            .store(shards, Ordering::SeqCst);
    }

    /// Holds every message and interaction response this long before answering it (it is
    /// recorded on arrival), like a slow Discord.
    pub fn delay_replies(&self, delay: Duration) {
        *self.shared.rest.reply_delay.lock().unwrap() = delay;
    }

    /// Requests the fake did not know (answered 404).
    pub fn unknown_requests(&self) -> Vec<String> {
        self.shared.rest.unknown.lock().unwrap().clone()
    }
}

/// Every request but the gateway's WebSocket: recorded, then failed with the next fault a
/// test set, or held as long as a test asked and routed.
pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let body = parse_body(&body);
    // Decided before recording: once a test sees a send recorded, the faults it sets next
    // are for later sends.
    let fault = if method == Method::POST && is_send(&path) {
        shared.rest.faults.lock().unwrap().pop_front()
    } else {
        None
    };
    shared.record(method.as_str(), &path, body.clone());
    if let Some(fault) = fault {
        return fault_response(fault);
    }
    let delay = *shared.rest.reply_delay.lock().unwrap();
    if method == Method::POST && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    route(&shared, &method, &path, &body)
}

/// A request body as JSON: null when empty, a JSON string when it is not JSON.
fn parse_body(body: &Bytes) -> Value {
    if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(body)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(body).into_owned()))
    }
}

/// The parts of a path under `/api/v10/` (`[""]` for any other path).
fn segments(path: &str) -> Vec<&str> {
    path.strip_prefix("/api/v10/")
        .unwrap_or("")
        .split('/')
        .collect()
}

/// The answer to a request, by its method and path.
fn route(shared: &Shared, method: &Method, path: &str, body: &Value) -> Response {
    match (method.as_str(), segments(path).as_slice()) {
        ("GET", ["gateway"]) => Json(json!({"url": gateway_url(shared)})).into_response(),
        ("GET", ["gateway", "bot"]) => gateway_bot(shared),
        ("GET", ["users", "@me"]) => Json(bot_user()).into_response(),
        ("PUT", ["applications", _, "commands"]) => put_commands(shared, body, None),
        ("PUT", ["applications", _, "guilds", guild, "commands"]) => {
            put_commands(shared, body, Some(*guild))
        }
        ("POST", ["channels", channel, "messages"]) => create_message(shared, channel, body),
        ("POST", ["interactions", _, _, "callback"]) => interaction_callback(shared, body),
        // An edit of the original response to a slash command (a countdown redrawn), and a
        // follow-up after a deferred response: both answer like a channel message.
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) | ("POST", ["webhooks", _, _]) => {
            Json(sent_message(shared, &CHANNEL_ID.to_string(), body)).into_response()
        }
        _ => unknown(shared, method, path),
    }
}

fn gateway_url(shared: &Shared) -> String {
    format!("ws://127.0.0.1:{}/gateway", shared.port)
}

/// `GET /gateway/bot`: the gateway and how many shards to run, or 401 while a test refuses
/// the token.
fn gateway_bot(shared: &Shared) -> Response {
    if shared.rest.refuse_token.load(Ordering::SeqCst) {
        return error(StatusCode::UNAUTHORIZED, "401: Unauthorized", 0);
    }
    Json(json!({
        "url": gateway_url(shared),
        "shards": shared.rest.gateway_shards.load(Ordering::SeqCst),
        "session_start_limit": {
            "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1
        },
    }))
    .into_response()
}

/// `PUT` of the global or a guild's (`guild`) slash commands: the commands, as Discord
/// stores them.
fn put_commands(shared: &Shared, body: &Value, guild: Option<&str>) -> Response {
    let commands = body.as_array().cloned().unwrap_or_default();
    let echoed = commands
        .into_iter()
        .map(|mut command| {
            command["id"] = json!(shared.id().to_string());
            command["application_id"] = json!(APP_ID.to_string());
            command["version"] = json!(shared.id().to_string());
            if command.get("type").is_none() {
                command["type"] = json!(1);
            }
            if command.get("description").is_none() {
                command["description"] = json!("");
            }
            if let Some(guild) = guild {
                command["guild_id"] = json!(guild);
            }
            command
        })
        .collect();
    Json(Value::Array(echoed)).into_response()
}

/// `POST /channels/{id}/messages`: the message as posted, or 403 for one with an embed while
/// a test rejects embeds.
fn create_message(shared: &Shared, channel: &str, body: &Value) -> Response {
    if rejects_embeds(shared, &body["embeds"]) {
        return error(StatusCode::FORBIDDEN, "Missing Permissions", 50013);
    }
    Json(sent_message(shared, channel, body)).into_response()
}

/// `POST /interactions/{id}/{token}/callback`: 204, or 403 for a response with an embed
/// while a test rejects embeds.
fn interaction_callback(shared: &Shared, body: &Value) -> Response {
    if rejects_embeds(shared, &body["data"]["embeds"]) {
        return error(StatusCode::FORBIDDEN, "Missing Permissions", 50013);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Whether a test rejects embeds and `embeds` holds one.
fn rejects_embeds(shared: &Shared, embeds: &Value) -> bool {
    shared.rest.reject_embeds.load(Ordering::SeqCst)
        && embeds.as_array().is_some_and(|e| !e.is_empty())
}

/// A request the fake does not know: logged, kept for [`FakeDiscord::unknown_requests`],
/// answered 404.
fn unknown(shared: &Shared, method: &Method, path: &str) -> Response {
    eprintln!("fake discord: unknown request {method} {path}");
    shared
        .rest
        .unknown
        .lock()
        .unwrap()
        .push(format!("{method} {path}"));
    error(StatusCode::NOT_FOUND, "Unknown route (fake)", 0)
}

/// Discord's error body: what went wrong and its JSON error code.
fn error(status: StatusCode, message: &str, code: u32) -> Response {
    (status, Json(json!({"message": message, "code": code}))).into_response()
}

/// Whether a path is one the bot sends a reply to: a channel message, an interaction
/// response or a follow-up.
fn is_send(path: &str) -> bool {
    matches!(
        segments(path).as_slice(),
        ["channels", _, "messages"] | ["interactions", _, _, "callback"] | ["webhooks", _, _]
    )
}

/// A fault's answer, as Discord gives it.
fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::ServerError => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500: Internal Server Error",
            0,
        ),
        Fault::RateLimited { retry_after } => {
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs_f64()
                + retry_after;
            (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    (
                        header::RETRY_AFTER.as_str(),
                        format!("{}", retry_after.ceil() as u64),
                    ),
                    ("x-ratelimit-limit", "5".to_owned()),
                    ("x-ratelimit-remaining", "0".to_owned()),
                    ("x-ratelimit-reset", format!("{reset:.3}")),
                    ("x-ratelimit-reset-after", format!("{retry_after:.3}")),
                    ("x-ratelimit-bucket", "fake-bucket".to_owned()),
                    ("x-ratelimit-scope", "user".to_owned()),
                ],
                Json(json!({
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": false,
                })),
            )
                .into_response()
        }
    }
}
