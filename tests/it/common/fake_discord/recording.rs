//! What the fake recorded: every request the bot made and every gateway op it sent, in
//! order, and the helpers tests use to read a recorded body (is it a reply, its embed text,
//! its buttons).

use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Value};
use tokio::sync::watch;

use super::CHANNEL_ID;

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

/// The log, and a signal of its length for the waits.
pub(super) struct Log {
    records: Mutex<Vec<Recorded>>,
    changed: watch::Sender<usize>,
}

impl Log {
    pub(super) fn new() -> Log {
        Log {
            records: Mutex::new(Vec::new()),
            changed: watch::channel(0).0,
        }
    }

    /// Appends a record and wakes every wait.
    pub(super) fn push(&self, record: Recorded) {
        let len = {
            let mut records = self.records.lock().unwrap();
            records.push(record);
            records.len()
        };
        self.changed.send_replace(len);
    }

    /// How many records there are.
    pub(super) fn len(&self) -> usize {
        self.records.lock().unwrap().len()
    }

    /// Every record from position `from` on.
    pub(super) fn since(&self, from: usize) -> Vec<Recorded> {
        self.records.lock().unwrap()[from..].to_vec()
    }

    /// Changes whenever a record is added.
    pub(super) fn subscribe(&self) -> watch::Receiver<usize> {
        self.changed.subscribe()
    }
}

/// Whether a record is a message the bot sent in reply to `message_id`.
pub fn is_reply_to(r: &Recorded, message_id: u64) -> bool {
    r.method == "POST"
        && r.path.ends_with("/messages")
        && r.body["message_reference"]["message_id"] == json!(message_id.to_string())
}

/// The channel a recorded message was sent to (the test channel for an interaction response).
pub(super) fn channel_of(sent: &Recorded) -> String {
    sent.path
        .strip_prefix("/api/v10/channels/")
        .and_then(|rest| rest.split('/').next())
        .map_or_else(|| CHANNEL_ID.to_string(), str::to_owned)
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
