//! The fake's gateway WebSocket: one connection per shard, answered like Discord (HELLO,
//! then IDENTIFY → READY, RESUME → the missed dispatches and RESUMED, heartbeat → ACK), and
//! the dispatches a test sends on a live session. Each shard's last dispatches are kept so a
//! RESUME can replay what the bot missed.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use super::events::{check_event, ready};
use super::{FakeDiscord, Shared, WAIT};

/// Dispatches kept per shard for RESUME to replay, like Discord's session buffer. A bot
/// further behind than this is told to identify again.
const HISTORY: usize = 256;

/// How the fake answers a RESUME.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnResume {
    /// Replay what the session missed, then send RESUMED: the session carries on.
    Resume,
    /// Send op 9 `d: false`: the bot must IDENTIFY again.
    InvalidSession,
}

/// What a test asks of a connection.
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

/// The gateway's part of the fake's state.
pub(super) struct Gateway {
    /// The live gateway sessions (after READY or RESUMED), by shard id.
    live: Mutex<BTreeMap<u32, Session>>,
    connections: AtomicU64,
    /// The last sequence number sent, by shard id.
    seq: Mutex<HashMap<u32, u64>>,
    /// READY is only sent while this is true (IDENTIFY is still recorded).
    ready_open: watch::Sender<bool>,
    on_resume: Mutex<OnResume>,
    /// RESUME is only answered while this is true (it is still recorded).
    resume_open: watch::Sender<bool>,
    /// The last [`HISTORY`] dispatches of each shard's session, with their sequence numbers.
    history: Mutex<HashMap<u32, VecDeque<(u64, String)>>>,
    /// When set, an IDENTIFY is answered by closing the connection with this code, as
    /// Discord does with a refused token (4004) or a privileged intent not switched on (4014).
    refuse_identify: Mutex<Option<u16>>,
}

impl Gateway {
    pub(super) fn new() -> Gateway {
        Gateway {
            live: Mutex::new(BTreeMap::new()),
            connections: AtomicU64::new(0),
            seq: Mutex::new(HashMap::new()),
            ready_open: watch::channel(true).0,
            on_resume: Mutex::new(OnResume::Resume),
            resume_open: watch::channel(true).0,
            history: Mutex::new(HashMap::new()),
            refuse_identify: Mutex::new(None),
        }
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

    /// A live session to send on: `shard`'s, or the lowest shard's when None.
    fn live_session(&self, shard: Option<u32>) -> Option<(u32, Session)> {
        let live = self.live.lock().unwrap();
        match shard {
            Some(shard) => live.get(&shard).map(|session| (shard, session.clone())),
            None => live
                .iter()
                .next()
                .map(|(&id, session)| (id, session.clone())),
        }
    }
}

impl FakeDiscord {
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
        let gateway = &self.shared.gateway;
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some((id, session)) = gateway.live_session(shard) {
                let s = gateway.next_seq(id, false);
                let frame = json!({"op": 0, "t": event, "s": s, "d": data}).to_string();
                let sent = Instant::now();
                if session.tx.send(Command::Send(frame.clone())).is_ok() {
                    gateway.remember(id, s, frame);
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
        let gateway = &self.shared.gateway;
        // Under the live lock, so a RESUME cannot go live between the check and the keeping.
        let live = gateway.live.lock().unwrap();
        assert!(
            !live.contains_key(&0),
            "shard 0 is connected; use dispatch instead"
        );
        let s = gateway.next_seq(0, false);
        let frame = json!({"op": 0, "t": event, "s": s, "d": data});
        gateway.remember(0, s, frame.to_string());
        s
    }

    pub fn set_on_resume(&self, on_resume: OnResume) {
        *self.shared.gateway.on_resume.lock().unwrap() = on_resume;
    }

    /// Answers every IDENTIFY by closing the gateway connection with `code` (None: accept).
    pub fn refuse_identify(&self, code: Option<u16>) {
        *self.shared.gateway.refuse_identify.lock().unwrap() = code;
    }

    /// While held, a RESUME is recorded but not answered, so the bot stays disconnected.
    pub fn hold_resume(&self, hold: bool) {
        self.shared.gateway.resume_open.send_replace(!hold);
    }

    /// While held, an IDENTIFY is recorded but READY is not sent, so no shard connects.
    pub fn hold_ready(&self, hold: bool) {
        self.shared.gateway.ready_open.send_replace(!hold);
    }

    /// Closes a live gateway connection (the lowest shard's; close code 4000, as Discord does
    /// on an internal error) so the bot has to reconnect.
    pub fn drop_connection(&self) {
        let live = self.shared.gateway.live.lock().unwrap().pop_first();
        let (_, session) = live.expect("no live gateway connection to drop");
        let _ = session.tx.send(Command::Drop);
    }

    /// The shard ids of the live gateway sessions.
    pub fn live_shards(&self) -> Vec<u32> {
        self.shared
            .gateway
            .live
            .lock()
            .unwrap()
            .keys()
            .copied()
            .collect()
    }

    /// How many gateway connections the bot has opened.
    pub fn connections(&self) -> u64 {
        self.shared.gateway.connections.load(Ordering::SeqCst)
    }
}

/// `GET /gateway`: upgrades to a WebSocket served by its own task, aborted with the fake.
pub(super) async fn upgrade(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| async move {
        let task_shared = Arc::clone(&shared);
        let task = tokio::spawn(connection(socket, task_shared));
        shared.tasks.lock().unwrap().push(task);
    })
}

/// One gateway connection: HELLO, then IDENTIFY/RESUME/heartbeats from the bot and events
/// from the test, until the test drops it or the bot goes away.
async fn connection(socket: WebSocket, shared: Arc<Shared>) {
    let id = shared.gateway.connections.fetch_add(1, Ordering::SeqCst) + 1;
    let (tx, mut rx) = mpsc::unbounded_channel::<Command>();
    let mut conn = Connection {
        shared,
        socket,
        id,
        tx,
        shard: None,
    };
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41_250}});
    if !conn.send_json(&hello).await {
        return;
    }
    loop {
        let open = tokio::select! {
            incoming = conn.socket.recv() => conn.on_frame(incoming).await,
            command = rx.recv() => conn.on_command(command).await,
        };
        if !open {
            break;
        }
    }
    conn.end_session();
}

/// One gateway connection's state. Each step returns false once the connection is over.
struct Connection {
    shared: Arc<Shared>,
    socket: WebSocket,
    /// This connection's number: a session is only ended by the connection that made it.
    id: u64,
    /// Handed to this connection's live session: a test's commands sent on it arrive here.
    tx: mpsc::UnboundedSender<Command>,
    /// Which shard this connection serves, once it said so in IDENTIFY or RESUME.
    shard: Option<u32>,
}

impl Connection {
    /// A frame from the bot: answers the gateway op it carries.
    async fn on_frame(&mut self, incoming: Option<Result<WsMessage, axum::Error>>) -> bool {
        let Some(Ok(message)) = incoming else {
            return false;
        };
        let text = match message {
            WsMessage::Text(text) => text.to_string(),
            WsMessage::Close(_) => return false,
            _ => return true,
        };
        let Ok(payload) = serde_json::from_str::<Value>(&text) else {
            eprintln!("fake discord: unreadable gateway frame: {text}");
            return true;
        };
        match payload["op"].as_u64() {
            Some(1) => self.send_json(&json!({"op": 11})).await,
            Some(2) => self.identify(&payload["d"]).await,
            Some(6) => self.resume(&payload["d"]).await,
            other => {
                eprintln!("fake discord: ignoring gateway op {other:?}");
                true
            }
        }
    }

    /// Op 2, IDENTIFY: recorded, then refused (closed with the code a test set) or, once
    /// READY is not held, answered with READY on a new session that goes live.
    async fn identify(&mut self, d: &Value) -> bool {
        let id = d["shard"][0].as_u64().unwrap_or(0) as u32;
        let total = d["shard"][1].as_u64().unwrap_or(1) as u32;
        self.shard = Some(id);
        self.shared
            .record("WS", "IDENTIFY", redact_token(d.clone()));
        let shared = Arc::clone(&self.shared);
        let gateway = &shared.gateway;
        let refused = *gateway.refuse_identify.lock().unwrap();
        if let Some(code) = refused {
            self.close(code, "fake discord refused the IDENTIFY").await;
            return false;
        }
        let mut open = gateway.ready_open.subscribe();
        if open.wait_for(|open| *open).await.is_err() {
            return false;
        }
        let s = gateway.next_seq(id, true);
        // A new session: nothing from an old one can be resumed any more.
        gateway.history.lock().unwrap().remove(&id);
        let ready = json!({"op": 0, "t": "READY", "s": s, "d": ready(shared.port, [id, total])});
        check_event("READY", &ready["d"]);
        // Live before READY goes out: the bot may act on READY at once, and queued test
        // events are only read after this frame.
        gateway.live.lock().unwrap().insert(id, self.session());
        self.send_json(&ready).await
    }

    /// Op 6, RESUME: recorded, then, once RESUME is not held, answered with what the
    /// session missed and RESUMED, or with op 9 when it cannot be resumed.
    async fn resume(&mut self, d: &Value) -> bool {
        let id = d["session_id"]
            .as_str()
            .and_then(|s| s.strip_prefix("fake-session-"))
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0);
        self.shard = Some(id);
        self.shared.record("WS", "RESUME", redact_token(d.clone()));
        let mut open = self.shared.gateway.resume_open.subscribe();
        if open.wait_for(|open| *open).await.is_err() {
            return false;
        }
        let seen = d["seq"].as_u64().unwrap_or(0);
        let Some((missed, s)) = self.resume_session(id, seen) else {
            return self.send_json(&json!({"op": 9, "d": false})).await;
        };
        let mut sent = true;
        for frame in missed {
            sent = sent && self.send_text(frame).await;
        }
        let resumed = json!({"op": 0, "t": "RESUMED", "s": s, "d": {}});
        sent && self.send_json(&resumed).await
    }

    /// Like Discord: the dispatches shard `id`'s session missed after `seen`, in order with
    /// their own sequence numbers, and the sequence number for RESUMED; None when the session
    /// cannot be resumed. Decided and made live under the live lock, so no dispatch falls
    /// between replay and going live.
    fn resume_session(&self, id: u32, seen: u64) -> Option<(Vec<String>, u64)> {
        let gateway = &self.shared.gateway;
        let on_resume = *gateway.on_resume.lock().unwrap();
        match on_resume {
            OnResume::Resume => {
                let mut live = gateway.live.lock().unwrap();
                gateway.missed_since(id, seen).map(|missed| {
                    let s = gateway.next_seq(id, false);
                    live.insert(id, self.session());
                    (missed, s)
                })
            }
            OnResume::InvalidSession => None,
        }
    }

    /// A command from the test: a frame to send, or drop the connection.
    async fn on_command(&mut self, command: Option<Command>) -> bool {
        match command {
            Some(Command::Send(frame)) => self.send_text(frame).await,
            Some(Command::Drop) | None => {
                self.close(4000, "fake discord dropped the connection")
                    .await;
                false
            }
        }
    }

    /// This connection as the live session of its shard.
    fn session(&self) -> Session {
        Session {
            conn: self.id,
            tx: self.tx.clone(),
        }
    }

    /// Takes this connection's session out of the live ones, unless a newer connection has
    /// already taken its shard over.
    fn end_session(self) {
        let mut live = self.shared.gateway.live.lock().unwrap();
        if let Some(id) = self.shard {
            if live.get(&id).is_some_and(|session| session.conn == self.id) {
                live.remove(&id);
            }
        }
    }

    async fn send_json(&mut self, value: &Value) -> bool {
        self.send_text(value.to_string()).await
    }

    async fn send_text(&mut self, frame: String) -> bool {
        self.socket
            .send(WsMessage::Text(frame.into()))
            .await
            .is_ok()
    }

    /// Sends a close frame (the connection ends whether or not it gets through).
    async fn close(&mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = self.socket.send(WsMessage::Close(Some(frame))).await;
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
