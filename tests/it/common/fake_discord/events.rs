//! The payloads the fake sends: members' messages and interactions a test dispatches,
//! READY, the users, and the message the fake answers a send with. Every dispatched payload
//! is checked against serenity's models first ([`check_event`]).

use serde_json::{json, Value};

use super::recording::{channel_of, Recorded};
use super::{FakeDiscord, Shared, APP_ID, BOT_ID, CHANNEL_ID, DM_CHANNEL_ID, GUILD_ID, MEMBER_ID};

const TIMESTAMP: &str = "2025-01-01T12:00:00.000000+00:00";

impl FakeDiscord {
    /// Builds a MESSAGE_CREATE from a member, dispatches it, and returns its id.
    pub async fn send_message(&self, channel_id: u64, guild: Option<u64>, content: &str) -> u64 {
        let (id, message) = self.message(channel_id, guild, content);
        self.dispatch("MESSAGE_CREATE", message).await;
        id
    }

    /// A MESSAGE_CREATE payload from a member. `guild` None makes it a DM.
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

/// Makes an interaction come from another member (id `MEMBER_ID + 1`).
pub fn from_someone_else(interaction: &mut Value) {
    let mut user = member_user();
    user["id"] = json!((MEMBER_ID + 1).to_string());
    user["username"] = json!("someone-else");
    interaction["member"]["user"] = user;
}

/// The bot's own user.
pub(super) fn bot_user() -> Value {
    json!({
        "id": BOT_ID.to_string(),
        "username": "backcare",
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": true,
    })
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

/// The message Discord answers a send with: what the bot sent in `body`, as posted by the
/// bot in `channel` under a new id.
pub(super) fn sent_message(shared: &Shared, channel: &str, body: &Value) -> Value {
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

/// The READY payload of shard `shard` (`[id, total]`), resuming at the fake's gateway.
pub(super) fn ready(port: u16, shard: [u32; 2]) -> Value {
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

/// Fails loudly when a payload would be dropped by serenity for a missing or wrong field.
pub(super) fn check_event(event: &str, data: &Value) {
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
