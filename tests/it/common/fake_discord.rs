//! A fake Discord on 127.0.0.1: the REST calls serenity and poise make, and a gateway
//! WebSocket the test drives (push events, drop the connection). Like Discord, a RESUME
//! replays the dispatches the session missed; a test can also make the next sends fail with
//! a 500 or a 429.
//!
//! It records every request body so tests can assert on what the bot sent. Anything it does
//! not know is logged and answered 404, so a new call shows up instead of passing silently.
//! Every payload it builds is first checked against serenity's own models, because serenity
//! silently drops an event with a missing field.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How long any wait on the fake may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

pub const BOT_ID: u64 = 900_000_000_000_000_001;
pub const APP_ID: u64 = 900_000_000_000_000_002;
pub const MEMBER_ID: u64 = 900_000_000_000_000_003;
pub const GUILD_ID: u64 = 900_000_000_000_000_010;
pub const CHANNEL_ID: u64 = 900_000_000_000_000_020;
pub const WATCHED_CHANNEL_ID: u64 = 900_000_000_000_000_021;
pub const DM_CHANNEL_ID: u64 = 900_000_000_000_000_022;
pub const MOD_LOG_CHANNEL_ID: u64 = 900_000_000_000_000_023;
pub const MODERATOR_ROLE_ID: u64 = 900_000_000_000_000_030;

/// Discord permission bits the tests hand out.
pub const SEND_MESSAGES: u64 = 1 << 11;
/// The message flag that makes an interaction response visible to its user only.
pub const EPHEMERAL: u64 = 1 << 6;

const TIMESTAMP: &str = "2025-01-01T12:00:00.000000+00:00";

/// Dispatches kept per shard for RESUME to replay, like Discord's session buffer. A bot
/// further behind than this is told to identify again.
const HISTORY: usize = 256;

/// One request the bot made, or one gateway op it sent (method `WS`, path the op name).
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Unique per request: a click on the message it sent carries it as the message's id,
    /// so two clicks on one message are on the same message.
    pub id: u64,
    pub method: String,
    pub path: String,
    pub body: Value,
    pub at: Instant,
}

/// How the fake answers a RESUME.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnResume {
    /// Replay what the session missed, then send RESUMED: the session carries on.
    Resume,
    /// Send op 9 `d: false`: the bot must IDENTIFY again.
    InvalidSession,
}

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

enum Command {
    /// A frame, serialised once: a flood queues thousands of these.
    Send(String),
    Drop,
}

/// A live gateway session: one shard's connection after READY or RESUMED.
#[derive(Clone)]
struct Session {
    conn: u64,
    tx: mpsc::UnboundedSender<Command>,
}

struct Shared {
    port: u16,
    log: Mutex<Vec<Recorded>>,
    changed: watch::Sender<usize>,
    /// The live gateway sessions (after READY or RESUMED), by shard id.
    live: Mutex<BTreeMap<u32, Session>>,
    connections: AtomicU64,
    /// The last sequence number sent, by shard id.
    seq: Mutex<HashMap<u32, u64>>,
    /// How many shards `GET /gateway/bot` recommends.
    gateway_shards: AtomicU64,
    /// READY is only sent while this is true (IDENTIFY is still recorded).
    ready_open: watch::Sender<bool>,
    /// How long message and interaction responses are held before being answered.
    reply_delay: Mutex<Duration>,
    next_id: AtomicU64,
    on_resume: Mutex<OnResume>,
    /// RESUME is only answered while this is true (it is still recorded).
    resume_open: watch::Sender<bool>,
    /// The last [`HISTORY`] dispatches of each shard's session, with their sequence numbers.
    history: Mutex<HashMap<u32, VecDeque<(u64, String)>>>,
    /// Faults for the bot's next sends, first one first.
    faults: Mutex<VecDeque<Fault>>,
    unknown: Mutex<Vec<String>>,
    reject_embeds: AtomicBool,
    /// When set, an IDENTIFY is answered by closing the connection with this code, as
    /// Discord does with a refused token (4004) or a privileged intent not switched on (4014).
    refuse_identify: Mutex<Option<u16>>,
    /// When true, `GET /gateway/bot` (the first call that needs the token) answers 401.
    refuse_token: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    fn record(&self, method: &str, path: &str, body: Value) {
        let id = self.id();
        let len = {
            let mut log = self.log.lock().unwrap();
            log.push(Recorded {
                id,
                method: method.to_owned(),
                path: path.to_owned(),
                body,
                at: Instant::now(),
            });
            log.len()
        };
        self.changed.send_replace(len);
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// Keeps a dispatch sent on `shard`'s session for a RESUME to replay.
    fn remember(&self, shard: u32, seq: u64, frame: String) {
        let mut history = self.history.lock().unwrap();
        let kept = history.entry(shard).or_default();
        if kept.len() == HISTORY {
            kept.pop_front();
        }
        kept.push_back((seq, frame));
    }

    /// The dispatches after `seq` on `shard`'s session, or None when some of them are no
    /// longer kept (the session cannot be resumed).
    fn missed_since(&self, shard: u32, seq: u64) -> Option<Vec<String>> {
        let history = self.history.lock().unwrap();
        let Some(kept) = history.get(&shard) else {
            return Some(Vec::new());
        };
        if kept.front().is_some_and(|(first, _)| *first > seq + 1) {
            return None;
        }
        Some(
            kept.iter()
                .filter(|(s, _)| *s > seq)
                .map(|(_, frame)| frame.clone())
                .collect(),
        )
    }

    /// The next sequence number on `shard`'s session; `reset` starts a new session at 1.
    fn next_seq(&self, shard: u32, reset: bool) -> u64 {
        let mut seq = self.seq.lock().unwrap();
        let s = seq.entry(shard).or_insert(0);
        *s = if reset { 1 } else { *s + 1 };
        *s
    }
}

/// The running fake. Dropping it stops the server and every gateway connection.
pub struct FakeDiscord {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.server.abort();
        for task in self.shared.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake Discord on loopback");
        let addr = listener.local_addr().expect("local address");
        let (changed, _) = watch::channel(0);
        let shared = Arc::new(Shared {
            port: addr.port(),
            log: Mutex::new(Vec::new()),
            changed,
            live: Mutex::new(BTreeMap::new()),
            connections: AtomicU64::new(0),
            seq: Mutex::new(HashMap::new()),
            gateway_shards: AtomicU64::new(1),
            ready_open: watch::channel(true).0,
            reply_delay: Mutex::new(Duration::ZERO),
            next_id: AtomicU64::new(1_000_000_000_000_000_000),
            on_resume: Mutex::new(OnResume::Resume),
            resume_open: watch::channel(true).0,
            history: Mutex::new(HashMap::new()),
            faults: Mutex::new(VecDeque::new()),
            unknown: Mutex::new(Vec::new()),
            reject_embeds: AtomicBool::new(false),
            refuse_identify: Mutex::new(None),
            refuse_token: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/gateway", get(gateway))
            .fallback(rest)
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                eprintln!("fake discord: server stopped: {err}");
            }
        });
        FakeDiscord {
            addr,
            shared,
            server,
        }
    }

    /// The base URL to give the bot as `DISCORD_API_URL`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_on_resume(&self, on_resume: OnResume) {
        *self.shared.on_resume.lock().unwrap() = on_resume;
    }

    /// Makes every message and interaction response with an embed fail with 403 Missing
    /// Permissions, as in a channel where the bot lacks Embed Links.
    pub fn reject_embeds(&self, reject: bool) {
        self.shared.reject_embeds.store(reject, Ordering::SeqCst);
    }

    /// Answers every IDENTIFY by closing the gateway connection with `code` (None: accept).
    pub fn refuse_identify(&self, code: Option<u16>) {
        *self.shared.refuse_identify.lock().unwrap() = code;
    }

    /// Answers `GET /gateway/bot` with 401 Unauthorized, as Discord does for a wrong token.
    pub fn refuse_token(&self, refuse: bool) {
        self.shared.refuse_token.store(refuse, Ordering::SeqCst);
    }

    /// A position in the log; waits started from it only see what came after.
    pub fn mark(&self) -> usize {
        self.shared.log.lock().unwrap().len()
    }

    /// Everything recorded since `from`.
    pub fn since(&self, from: usize) -> Vec<Recorded> {
        self.shared.log.lock().unwrap()[from..].to_vec()
    }

    /// Waits (at most [`WAIT`]) for a record after `from` that matches, and returns it.
    pub async fn wait_for(
        &self,
        from: usize,
        what: &str,
        matches: impl Fn(&Recorded) -> bool,
    ) -> Recorded {
        let mut changed = self.shared.changed.subscribe();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(found) = self.since(from).into_iter().find(|r| matches(r)) {
                return found;
            }
            if tokio::time::timeout_at(deadline, changed.changed())
                .await
                .is_err()
            {
                panic!(
                    "timed out after {WAIT:?} waiting for {what}; recorded since then:\n{:#?}",
                    self.since(from)
                        .iter()
                        .map(|r| format!("{} {}", r.method, r.path))
                        .collect::<Vec<_>>()
                );
            }
        }
    }

    /// Waits until the bot has connected and registered its slash commands: it is ready.
    pub async fn wait_ready(&self) -> Recorded {
        self.wait_for(0, "slash command registration", |r| {
            r.method == "PUT" && r.path.ends_with("/commands")
        })
        .await
    }

    /// Waits for the bot's reply to the message with id `message_id`.
    pub async fn wait_reply_to(&self, from: usize, message_id: u64) -> Recorded {
        self.wait_for(from, &format!("a reply to message {message_id}"), |r| {
            is_reply_to(r, message_id)
        })
        .await
    }

    /// Waits for the bot's response to the interaction with id `interaction_id`.
    pub async fn wait_interaction_response(&self, from: usize, interaction_id: u64) -> Recorded {
        let prefix = format!("/api/v10/interactions/{interaction_id}/");
        self.wait_for(
            from,
            &format!("a response to interaction {interaction_id}"),
            |r| r.method == "POST" && r.path.starts_with(&prefix),
        )
        .await
    }

    /// Waits for a follow-up message to the interaction with id `interaction_id` (what the
    /// bot sends after deferring).
    pub async fn wait_followup(&self, from: usize, interaction_id: u64) -> Recorded {
        let path = format!("/api/v10/webhooks/{APP_ID}/interaction-token-{interaction_id}");
        self.wait_for(
            from,
            &format!("a follow-up to interaction {interaction_id}"),
            |r| r.method == "POST" && r.path == path,
        )
        .await
    }

    /// Waits for a message the bot posts in `channel` (not a reply).
    pub async fn wait_post_in(
        &self,
        from: usize,
        channel: u64,
        what: &str,
        matches: impl Fn(&str) -> bool,
    ) -> Recorded {
        let path = format!("/api/v10/channels/{channel}/messages");
        self.wait_for(from, what, |r| {
            r.method == "POST"
                && r.path == path
                && matches(r.body["content"].as_str().unwrap_or(""))
        })
        .await
    }

    /// Sends a dispatch event on a live gateway session (the lowest shard's; waiting for one
    /// if the bot is reconnecting) and returns when it was sent.
    pub async fn dispatch(&self, event: &str, data: Value) -> Instant {
        self.dispatch_to(None, event, data).await
    }

    /// Like [`FakeDiscord::dispatch`], on the session of shard `shard`.
    pub async fn dispatch_on(&self, shard: u32, event: &str, data: Value) -> Instant {
        self.dispatch_to(Some(shard), event, data).await
    }

    async fn dispatch_to(&self, shard: Option<u32>, event: &str, data: Value) -> Instant {
        check_event(event, &data);
        let deadline = Instant::now() + WAIT;
        loop {
            let live = {
                let live = self.shared.live.lock().unwrap();
                match shard {
                    Some(shard) => live.get(&shard).map(|session| (shard, session.clone())),
                    None => live
                        .iter()
                        .next()
                        .map(|(&id, session)| (id, session.clone())),
                }
            };
            if let Some((id, session)) = live {
                let s = self.shared.next_seq(id, false);
                let frame = json!({"op": 0, "t": event, "s": s, "d": data}).to_string();
                let sent = Instant::now();
                if session.tx.send(Command::Send(frame.clone())).is_ok() {
                    self.shared.remember(id, s, frame);
                    return sent;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no live gateway session (shard {shard:?}) to send {event} on within {WAIT:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Sends a dispatch on shard 0's session while the bot is disconnected from it: the
    /// event is only kept (with its sequence number), and a RESUME replays it, as Discord
    /// does with what a session missed. Returns its sequence number.
    pub fn dispatch_missed(&self, event: &str, data: Value) -> u64 {
        check_event(event, &data);
        // Under the live lock, so a RESUME cannot go live between the check and the keeping.
        let live = self.shared.live.lock().unwrap();
        assert!(
            !live.contains_key(&0),
            "shard 0 is connected; use dispatch instead"
        );
        let s = self.shared.next_seq(0, false);
        let frame = json!({"op": 0, "t": event, "s": s, "d": data});
        self.shared.remember(0, s, frame.to_string());
        s
    }

    /// While held, a RESUME is recorded but not answered, so the bot stays disconnected.
    pub fn hold_resume(&self, hold: bool) {
        self.shared.resume_open.send_replace(!hold);
    }

    /// Answers the bot's next sends (channel messages, interaction responses, follow-ups)
    /// with these faults, one each, before accepting sends again. Every attempt is recorded.
    pub fn fail_next_sends(&self, faults: impl IntoIterator<Item = Fault>) {
        self.shared.faults.lock().unwrap().extend(faults);
    }

    /// Faults not yet used by a send.
    pub fn pending_faults(&self) -> usize {
        self.shared.faults.lock().unwrap().len()
    }

    /// Closes a live gateway connection (the lowest shard's; close code 4000, as Discord does
    /// on an internal error) so the bot has to reconnect.
    pub fn drop_connection(&self) {
        let live = self.shared.live.lock().unwrap().pop_first();
        let (_, session) = live.expect("no live gateway connection to drop");
        let _ = session.tx.send(Command::Drop);
    }

    /// How many shards `GET /gateway/bot` recommends (1 unless set).
    pub fn set_gateway_shards(&self, shards: u64) {
        self.shared.gateway_shards.store(shards, Ordering::SeqCst);
    }

    /// While held, an IDENTIFY is recorded but READY is not sent, so no shard connects.
    pub fn hold_ready(&self, hold: bool) {
        self.shared.ready_open.send_replace(!hold);
    }

    /// Holds every message and interaction response this long before answering it (it is
    /// recorded on arrival), like a slow Discord.
    pub fn delay_replies(&self, delay: Duration) {
        *self.shared.reply_delay.lock().unwrap() = delay;
    }

    /// The shard ids of the live gateway sessions.
    pub fn live_shards(&self) -> Vec<u32> {
        self.shared.live.lock().unwrap().keys().copied().collect()
    }

    /// Requests the fake did not know (answered 404).
    pub fn unknown_requests(&self) -> Vec<String> {
        self.shared.unknown.lock().unwrap().clone()
    }

    /// How many gateway connections the bot has opened.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// A new snowflake-like id.
    pub fn id(&self) -> u64 {
        self.shared.id()
    }

    /// A MESSAGE_CREATE payload from a member. `guild` None makes it a DM.
    /// Builds a MESSAGE_CREATE from a member, dispatches it, and returns its id.
    pub async fn send_message(&self, channel_id: u64, guild: Option<u64>, content: &str) -> u64 {
        let (id, message) = self.message(channel_id, guild, content);
        self.dispatch("MESSAGE_CREATE", message).await;
        id
    }

    pub fn message(&self, channel_id: u64, guild: Option<u64>, content: &str) -> (u64, Value) {
        let id = self.id();
        let mentions: Vec<Value> = if content.contains(&format!("<@{BOT_ID}>")) {
            vec![bot_user()]
        } else {
            Vec::new()
        };
        let mut message = json!({
            "id": id.to_string(),
            "channel_id": channel_id.to_string(),
            "author": member_user(),
            "content": content,
            "timestamp": TIMESTAMP,
            "edited_timestamp": null,
            "tts": false,
            "mention_everyone": content.contains("@everyone"),
            "mentions": mentions,
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": false,
            "type": 0,
        });
        if let Some(guild) = guild {
            message["guild_id"] = json!(guild.to_string());
        }
        (id, message)
    }

    /// A member's message replying to one the bot sent (`sent`, its recorded request), as
    /// Discord delivers it: type 19, with the message it answers in `referenced_message`.
    /// Without a mention of the bot, as when a member turns the reply ping off.
    pub fn reply_to(&self, sent: &Recorded, content: &str) -> (u64, Value) {
        let channel = channel_of(sent);
        let answered = sent_message(&self.shared, &channel, &sent.body);
        let (id, mut message) = self.message(CHANNEL_ID, Some(GUILD_ID), content);
        message["channel_id"] = json!(channel);
        message["type"] = json!(19);
        message["message_reference"] = json!({
            "message_id": answered["id"],
            "channel_id": channel,
            "guild_id": GUILD_ID.to_string(),
        });
        message["referenced_message"] = answered;
        (id, message)
    }

    /// An INTERACTION_CREATE payload for a message context-menu command (Apps → `name`) used
    /// on `target`, a MESSAGE_CREATE payload from [`FakeDiscord::message`].
    pub fn message_command(&self, name: &str, target: &Value) -> (u64, Value) {
        let (id, mut interaction) = self.interaction(2, name, json!([]));
        let target_id = target["id"].clone();
        let mut resolved = serde_json::Map::new();
        resolved.insert(
            target_id.as_str().unwrap_or_default().to_owned(),
            target.clone(),
        );
        interaction["data"] = json!({
            "id": self.id().to_string(),
            "name": name,
            "type": 3,
            "target_id": target_id,
            "resolved": {"messages": resolved},
        });
        (id, interaction)
    }

    /// An INTERACTION_CREATE payload for a slash command used in the guild.
    pub fn slash_command(&self, name: &str, options: Value) -> (u64, Value) {
        self.interaction(2, name, options)
    }

    /// An INTERACTION_CREATE payload for autocomplete (type 4) on a command option.
    pub fn autocomplete(&self, name: &str, options: Value) -> (u64, Value) {
        self.interaction(4, name, options)
    }

    /// An INTERACTION_CREATE payload for a click (type 3) on the button `custom_id` of a
    /// message the bot sent: `sent` is its recorded request (a channel message or an
    /// interaction response).
    pub fn component(&self, custom_id: &str, sent: &Recorded) -> (u64, Value) {
        let body = if sent.path.starts_with("/api/v10/interactions/") {
            &sent.body["data"]
        } else {
            &sent.body
        };
        let channel = channel_of(sent);
        let mut message = sent_message(&self.shared, &channel, body);
        message["id"] = json!(sent.id.to_string());
        message["guild_id"] = json!(GUILD_ID.to_string());
        if sent.path.starts_with("/api/v10/interactions/") {
            // The response to a slash command: Discord says which command it answered.
            message["interaction_metadata"] = json!({
                "id": self.id().to_string(),
                "type": 2,
                "user": member_user(),
                "authorizing_integration_owners": {},
            });
        }
        let (id, mut interaction) = self.interaction(3, "", json!([]));
        interaction["channel_id"] = json!(channel);
        interaction["message"] = message;
        interaction["data"] = json!({"custom_id": custom_id, "component_type": 2});
        (id, interaction)
    }

    fn interaction(&self, kind: u8, name: &str, options: Value) -> (u64, Value) {
        let id = self.id();
        let interaction = json!({
            "id": id.to_string(),
            "application_id": APP_ID.to_string(),
            "type": kind,
            "data": {
                "id": self.id().to_string(),
                "name": name,
                "type": 1,
                "options": options,
            },
            "guild_id": GUILD_ID.to_string(),
            "channel_id": CHANNEL_ID.to_string(),
            "member": {
                "user": member_user(),
                "roles": [],
                "joined_at": TIMESTAMP,
                "deaf": false,
                "mute": false,
                "flags": 0,
                "permissions": "2147483647",
            },
            "token": format!("interaction-token-{id}"),
            "version": 1,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": "2147483647",
            "entitlements": [],
            "attachment_size_limit": 8_388_608,
        });
        (id, interaction)
    }
}

/// Makes an interaction come from a member with these permission bits and role ids.
pub fn as_member(interaction: &mut Value, permissions: u64, roles: &[u64]) {
    interaction["member"]["permissions"] = json!(permissions.to_string());
    interaction["member"]["roles"] = json!(roles.iter().map(u64::to_string).collect::<Vec<_>>());
}

/// Makes an interaction come from a DM: a user, no member and no guild.
pub fn in_dm(interaction: &mut Value) {
    let object = interaction.as_object_mut().expect("an interaction object");
    object.remove("member");
    object.remove("guild_id");
    object.remove("guild_locale");
    object.insert("user".to_owned(), member_user());
    object.insert("channel_id".to_owned(), json!(DM_CHANNEL_ID.to_string()));
}

/// The `custom_id`s of the buttons in a body the bot sent (a message or an interaction
/// response).
pub fn button_ids(body: &Value) -> Vec<String> {
    let rows = body["components"]
        .as_array()
        .or_else(|| body["data"]["components"].as_array())
        .cloned()
        .unwrap_or_default();
    rows.iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
        .collect()
}

/// Whether a record is a message the bot sent in reply to `message_id`.
pub fn is_reply_to(r: &Recorded, message_id: u64) -> bool {
    r.method == "POST"
        && r.path.ends_with("/messages")
        && r.body["message_reference"]["message_id"] == json!(message_id.to_string())
}

/// The text of every embed title, description, field and footer in a body, for assertions.
pub fn embed_text(body: &Value) -> String {
    let embeds = body["embeds"]
        .as_array()
        .or_else(|| body["data"]["embeds"].as_array())
        .cloned()
        .unwrap_or_default();
    let mut out = String::new();
    for embed in embeds {
        for key in ["title", "description"] {
            if let Some(text) = embed[key].as_str() {
                out.push_str(text);
                out.push('\n');
            }
        }
        for field in embed["fields"].as_array().cloned().unwrap_or_default() {
            out.push_str(field["name"].as_str().unwrap_or_default());
            out.push('\n');
            out.push_str(field["value"].as_str().unwrap_or_default());
            out.push('\n');
        }
        if let Some(text) = embed["footer"]["text"].as_str() {
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

pub fn bot_user() -> Value {
    json!({
        "id": BOT_ID.to_string(),
        "username": "backcare",
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": true,
    })
}

/// The channel a recorded message was sent to (the test channel for an interaction response).
fn channel_of(sent: &Recorded) -> String {
    sent.path
        .strip_prefix("/api/v10/channels/")
        .and_then(|rest| rest.split('/').next())
        .map_or_else(|| CHANNEL_ID.to_string(), str::to_owned)
}

/// Makes an interaction come from another member (id `MEMBER_ID + 1`).
pub fn from_someone_else(interaction: &mut Value) {
    let mut user = member_user();
    user["id"] = json!((MEMBER_ID + 1).to_string());
    user["username"] = json!("someone-else");
    interaction["member"]["user"] = user;
}

fn member_user() -> Value {
    json!({
        "id": MEMBER_ID.to_string(),
        "username": "member",
        "discriminator": "0",
        "global_name": "A Member",
        "avatar": null,
    })
}

/// Fails loudly when a payload would be dropped by serenity for a missing or wrong field.
fn check_event(event: &str, data: &Value) {
    use serenity::all::{Interaction, Message, Ready};
    let result = match event {
        "MESSAGE_CREATE" => serde_json::from_value::<Message>(data.clone()).map(drop),
        "INTERACTION_CREATE" => serde_json::from_value::<Interaction>(data.clone()).map(drop),
        "READY" => serde_json::from_value::<Ready>(data.clone()).map(drop),
        _ => Ok(()),
    };
    if let Err(err) = result {
        panic!("serenity would drop this {event}: {err}\n{data:#}");
    }
}

fn ready(port: u16, shard: [u32; 2]) -> Value {
    json!({
        "v": 10,
        "user": bot_user(),
        "guilds": [],
        "session_id": format!("fake-session-{}", shard[0]),
        "resume_gateway_url": format!("ws://127.0.0.1:{port}/gateway"),
        "shard": shard,
        "application": {"id": APP_ID.to_string(), "flags": 0},
    })
}

async fn gateway(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| async move {
        let task_shared = Arc::clone(&shared);
        let task = tokio::spawn(connection(socket, task_shared));
        shared.tasks.lock().unwrap().push(task);
    })
}

async fn send_json(socket: &mut WebSocket, value: &Value) -> bool {
    send_text(socket, value.to_string()).await
}

async fn send_text(socket: &mut WebSocket, frame: String) -> bool {
    socket.send(WsMessage::Text(frame.into())).await.is_ok()
}

/// One gateway connection: HELLO, then IDENTIFY/RESUME/heartbeats from the bot and events
/// from the test, until the test drops it or the bot goes away.
async fn connection(mut socket: WebSocket, shared: Arc<Shared>) {
    let conn = shared.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let (tx, mut rx) = mpsc::unbounded_channel::<Command>();
    // Which shard this connection serves, once it said so in IDENTIFY or RESUME.
    let mut shard: Option<u32> = None;
    if !send_json(
        &mut socket,
        &json!({"op": 10, "d": {"heartbeat_interval": 41_250}}),
    )
    .await
    {
        return;
    }
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { break };
                let text = match message {
                    WsMessage::Text(text) => text.to_string(),
                    WsMessage::Close(_) => break,
                    _ => continue,
                };
                let Ok(payload) = serde_json::from_str::<Value>(&text) else {
                    eprintln!("fake discord: unreadable gateway frame: {text}");
                    continue;
                };
                match payload["op"].as_u64() {
                    Some(1) => {
                        if !send_json(&mut socket, &json!({"op": 11})).await {
                            break;
                        }
                    }
                    Some(2) => {
                        let id = payload["d"]["shard"][0].as_u64().unwrap_or(0) as u32;
                        let total = payload["d"]["shard"][1].as_u64().unwrap_or(1) as u32;
                        shard = Some(id);
                        shared.record("WS", "IDENTIFY", redact_token(payload["d"].clone()));
                        let refused = *shared.refuse_identify.lock().unwrap();
                        if let Some(code) = refused {
                            let _ = socket
                                .send(WsMessage::Close(Some(CloseFrame {
                                    code,
                                    reason: "fake discord refused the IDENTIFY".into(),
                                })))
                                .await;
                            break;
                        }
                        let mut open = shared.ready_open.subscribe();
                        if open.wait_for(|open| *open).await.is_err() {
                            break;
                        }
                        let s = shared.next_seq(id, true);
                        // A new session: nothing from an old one can be resumed any more.
                        shared.history.lock().unwrap().remove(&id);
                        let ready = json!({"op": 0, "t": "READY", "s": s, "d": ready(shared.port, [id, total])});
                        check_event("READY", &ready["d"]);
                        // Live before READY goes out: the bot may act on READY at once, and
                        // queued test events are only read after this frame.
                        shared.live.lock().unwrap().insert(id, Session { conn, tx: tx.clone() });
                        if !send_json(&mut socket, &ready).await {
                            break;
                        }
                    }
                    Some(6) => {
                        let id = payload["d"]["session_id"]
                            .as_str()
                            .and_then(|s| s.strip_prefix("fake-session-"))
                            .and_then(|s| s.parse::<u32>().ok())
                            .unwrap_or(0);
                        shard = Some(id);
                        shared.record("WS", "RESUME", redact_token(payload["d"].clone()));
                        let mut open = shared.resume_open.subscribe();
                        if open.wait_for(|open| *open).await.is_err() {
                            break;
                        }
                        let on_resume = *shared.on_resume.lock().unwrap();
                        let seen = payload["d"]["seq"].as_u64().unwrap_or(0);
                        // Like Discord: the dispatches the session missed, in order with their
                        // own sequence numbers, then RESUMED. Decided and made live under the
                        // live lock, so no dispatch falls between replay and going live.
                        let resumed = match on_resume {
                            OnResume::Resume => {
                                let mut live = shared.live.lock().unwrap();
                                shared.missed_since(id, seen).map(|missed| {
                                    let s = shared.next_seq(id, false);
                                    live.insert(id, Session { conn, tx: tx.clone() });
                                    (missed, s)
                                })
                            }
                            OnResume::InvalidSession => None,
                        };
                        let Some((missed, s)) = resumed else {
                            if !send_json(&mut socket, &json!({"op": 9, "d": false})).await {
                                break;
                            }
                            continue;
                        };
                        let mut sent = true;
                        for frame in missed {
                            sent = sent && send_text(&mut socket, frame).await;
                        }
                        let resumed = json!({"op": 0, "t": "RESUMED", "s": s, "d": {}});
                        if !sent || !send_json(&mut socket, &resumed).await {
                            break;
                        }
                    }
                    other => eprintln!("fake discord: ignoring gateway op {other:?}"),
                }
            }
            command = rx.recv() => match command {
                Some(Command::Send(frame)) => {
                    if !send_text(&mut socket, frame).await {
                        break;
                    }
                }
                Some(Command::Drop) | None => {
                    let _ = socket
                        .send(WsMessage::Close(Some(CloseFrame {
                            code: 4000,
                            reason: "fake discord dropped the connection".into(),
                        })))
                        .await;
                    break;
                }
            },
        }
    }
    let mut live = shared.live.lock().unwrap();
    if let Some(id) = shard {
        if live.get(&id).is_some_and(|session| session.conn == conn) {
            live.remove(&id);
        }
    }
}

/// Keeps whether a token was sent, never the token itself, in the log.
fn redact_token(mut d: Value) -> Value {
    if let Some(token) = d.get_mut("token") {
        *token = json!(if token.is_string() {
            "[sent]"
        } else {
            "[missing]"
        });
    }
    d
}

/// The REST API, under `/api/v10`.
async fn rest(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| json!(String::from_utf8_lossy(&body).into_owned()))
    };
    // Decided before recording: once a test sees a send recorded, the faults it sets next
    // are for later sends.
    let fault = if method == Method::POST && is_send(&path) {
        shared.faults.lock().unwrap().pop_front()
    } else {
        None
    };
    shared.record(method.as_str(), &path, body.clone());
    if let Some(fault) = fault {
        return fault_response(fault);
    }
    let delay = *shared.reply_delay.lock().unwrap();
    if method == Method::POST && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let segments: Vec<&str> = path
        .strip_prefix("/api/v10/")
        .unwrap_or("")
        .split('/')
        .collect();
    let gateway_url = format!("ws://127.0.0.1:{}/gateway", shared.port);
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["gateway"]) => Json(json!({"url": gateway_url})).into_response(),
        ("GET", ["gateway", "bot"]) if shared.refuse_token.load(Ordering::SeqCst) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "401: Unauthorized", "code": 0})),
        )
            .into_response(),
        ("GET", ["gateway", "bot"]) => Json(json!({
            "url": gateway_url,
            "shards": shared.gateway_shards.load(Ordering::SeqCst),
            "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1
            },
        }))
        .into_response(),
        ("GET", ["users", "@me"]) => Json(bot_user()).into_response(),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let guild = segments.get(3).copied();
            Json(echo_commands(&shared, &body, guild)).into_response()
        }
        ("POST", ["channels", _, "messages"])
            if shared.reject_embeds.load(Ordering::SeqCst)
                && body["embeds"].as_array().is_some_and(|e| !e.is_empty()) =>
        {
            (
                StatusCode::FORBIDDEN,
                Json(json!({"message": "Missing Permissions", "code": 50013})),
            )
                .into_response()
        }
        ("POST", ["channels", channel, "messages"]) => {
            Json(sent_message(&shared, channel, &body)).into_response()
        }
        ("POST", ["interactions", _, _, "callback"])
            if shared.reject_embeds.load(Ordering::SeqCst)
                && body["data"]["embeds"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty()) =>
        {
            (
                StatusCode::FORBIDDEN,
                Json(json!({"message": "Missing Permissions", "code": 50013})),
            )
                .into_response()
        }
        ("POST", ["interactions", _, _, "callback"]) => StatusCode::NO_CONTENT.into_response(),
        // An edit of the original response to a slash command (a countdown redrawn).
        ("PATCH", ["webhooks", _, _, "messages", "@original"]) => {
            Json(sent_message(&shared, &CHANNEL_ID.to_string(), &body)).into_response()
        }
        // A follow-up after a deferred response answers like a channel message.
        ("POST", ["webhooks", _, _]) => {
            Json(sent_message(&shared, &CHANNEL_ID.to_string(), &body)).into_response()
        }
        _ => {
            eprintln!("fake discord: unknown request {method} {path}");
            shared
                .unknown
                .lock()
                .unwrap()
                .push(format!("{method} {path}"));
            (
                StatusCode::NOT_FOUND,
                Json(json!({"message": "Unknown route (fake)", "code": 0})),
            )
                .into_response()
        }
    }
}

/// Whether a path is one the bot sends a reply to: a channel message, an interaction
/// response or a follow-up.
fn is_send(path: &str) -> bool {
    let segments: Vec<&str> = path
        .strip_prefix("/api/v10/")
        .unwrap_or("")
        .split('/')
        .collect();
    matches!(
        segments.as_slice(),
        ["channels", _, "messages"] | ["interactions", _, _, "callback"] | ["webhooks", _, _]
    )
}

fn fault_response(fault: Fault) -> Response {
    match fault {
        Fault::ServerError => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"message": "500: Internal Server Error", "code": 0})),
        )
            .into_response(),
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

fn echo_commands(shared: &Shared, body: &Value, guild: Option<&str>) -> Value {
    let commands = body.as_array().cloned().unwrap_or_default();
    Value::Array(
        commands
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
            .collect(),
    )
}

fn sent_message(shared: &Shared, channel: &str, body: &Value) -> Value {
    json!({
        "id": shared.id().to_string(),
        "channel_id": channel,
        "author": bot_user(),
        "content": body["content"].as_str().unwrap_or_default(),
        "timestamp": TIMESTAMP,
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": body["embeds"].as_array().cloned().unwrap_or_default(),
        "components": body["components"].as_array().cloned().unwrap_or_default(),
        "flags": body["flags"].as_u64().unwrap_or(0),
        "pinned": false,
        "type": if body.get("message_reference").is_some() { 19 } else { 0 },
        "message_reference": body.get("message_reference").cloned().unwrap_or(Value::Null),
    })
}
