//! A fake Discord on 127.0.0.1: the REST calls serenity and poise make, and a gateway
//! WebSocket the test drives (push events, drop the connection). Like Discord, a RESUME
//! replays the dispatches the session missed; a test can also make the next sends fail with
//! a 500 or a 429.
//!
//! It records every request body so tests can assert on what the bot sent. Anything it does
//! not know is logged and answered 404, so a new call shows up instead of passing silently.
//! Every payload it builds is first checked against serenity's own models, because serenity
//! silently drops an event with a missing field.
//!
//! This file is the handle a test holds ([`FakeDiscord`]): starting the fake and waiting for
//! what the bot sent. The rest is in [`gateway`] (the WebSocket and the test's dispatches),
//! [`rest`] (the REST routes and the faults a test sets), [`recording`] (the log of what the
//! bot sent) and [`events`] (the payloads a test sends).

mod events;
mod gateway;
mod recording;
mod rest;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use serde_json::Value;
use tokio::task::JoinHandle;

pub use events::{as_member, from_someone_else, in_dm};
pub use gateway::OnResume;
pub use recording::{button_ids, embed_text, is_reply_to, Recorded};
pub use rest::Fault;

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

/// What the server tasks and the test's handle share.
struct Shared {
    port: u16,
    log: recording::Log,
    next_id: AtomicU64,
    gateway: gateway::Gateway,
    rest: rest::Rest,
    /// The gateway connections' tasks, aborted with the fake.
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Shared {
    /// Adds a request (or a gateway op) to the log, under a new id.
    fn record(&self, method: &str, path: &str, body: Value) {
        let id = self.id();
        self.log.push(Recorded {
            id,
            method: method.to_owned(),
            path: path.to_owned(),
            body,
            at: Instant::now(),
        });
    }

    /// A new snowflake-like id.
    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
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
        let shared = Arc::new(Shared {
            port: addr.port(),
            log: recording::Log::new(),
            next_id: AtomicU64::new(1_000_000_000_000_000_000),
            gateway: gateway::Gateway::new(),
            rest: rest::Rest::new(),
            tasks: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/gateway", get(gateway::upgrade))
            .fallback(rest::handle)
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

    /// A new snowflake-like id.
    pub fn id(&self) -> u64 {
        self.shared.id()
    }

    /// A position in the log; waits started from it only see what came after.
    pub fn mark(&self) -> usize {
        self.shared.log.len()
    }

    /// Everything recorded since `from`.
    pub fn since(&self, from: usize) -> Vec<Recorded> {
        self.shared.log.since(from)
    }

    /// Waits (at most [`WAIT`]) for a record after `from` that matches, and returns it.
    pub async fn wait_for(
        &self,
        from: usize,
        what: &str,
        matches: impl Fn(&Recorded) -> bool,
    ) -> Recorded {
        let mut changed = self.shared.log.subscribe();
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
}
