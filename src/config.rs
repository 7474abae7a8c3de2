//! Start-up configuration for `backcare serve`: read once from the environment, validated into
//! one typed [`Config`]. Nothing else reads environment variables, and the token never reaches a
//! log line or a `Debug` print.

use std::fmt;
use std::path::PathBuf;

use crate::cli::Paths;

/// Where Discord's API lives unless `DISCORD_API_URL` says otherwise.
pub const DEFAULT_API_URL: &str = "https://discord.com";

/// A value that must never be printed: `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it (the Discord HTTP client).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Everything `backcare serve` needs, validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub token: Secret,
    /// Base URL of the Discord API (a proxy, or a fake in tests), without the `/api/v10` part.
    pub api_url: String,
    /// Register slash commands in this guild only (instant, for testing) instead of globally.
    pub guild_id: Option<u64>,
    /// Channels where every message is triaged for red flags, even without a mention.
    pub watch_channels: Vec<u64>,
    /// Where reload results (what changed, what is broken) are posted for moderators.
    pub mod_log_channel: Option<u64>,
    /// Roles whose members may use `/reload` and `/stats`, besides Manage Server.
    pub moderator_roles: Vec<u64>,
    pub knowledge_dir: PathBuf,
    pub index_dir: PathBuf,
    /// Usage statistics and feedback counts.
    pub data_dir: PathBuf,
}

/// Every problem found in the configuration, one line each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct ConfigError(pub Vec<String>);

impl ConfigError {
    pub fn lines(&self) -> &[String] {
        &self.0
    }
}

impl Config {
    /// Reads the configuration from the process environment (after `.env` was loaded).
    pub fn from_env(paths: &Paths) -> Result<Config, ConfigError> {
        Config::from_lookup(paths, |name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, so tests need not touch the environment.
    /// All problems are reported together.
    pub fn from_lookup(
        paths: &Paths,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let token = match set("DISCORD_TOKEN") {
            None => {
                problems.push(
                    "DISCORD_TOKEN is not set; put the bot token from the Discord developer portal in .env (see docs/discord.md)"
                        .to_owned(),
                );
                None
            }
            Some(value) if !looks_like_token(value.trim()) => {
                problems.push(
                    "DISCORD_TOKEN does not look like a bot token: expected three dot-separated base64url parts, as shown on the developer portal's Bot page"
                        .to_owned(),
                );
                None
            }
            Some(value) => Some(Secret::new(value.trim())),
        };

        let api_url = match set("DISCORD_API_URL") {
            None => DEFAULT_API_URL.to_owned(),
            Some(value) => {
                let value = value.trim().trim_end_matches('/').to_owned();
                if !(value.starts_with("http://") || value.starts_with("https://"))
                    || value.contains(char::is_whitespace)
                {
                    problems.push(format!(
                        "DISCORD_API_URL must be an http:// or https:// base URL such as {DEFAULT_API_URL}"
                    ));
                }
                value
            }
        };

        let guild_id = match set("BACKCARE_GUILD_ID") {
            None => None,
            Some(value) => match parse_id(&value) {
                Some(id) => Some(id),
                None => {
                    problems.push(
                        "BACKCARE_GUILD_ID must be a Discord server id (a positive whole number), or unset to register commands globally"
                            .to_owned(),
                    );
                    None
                }
            },
        };

        let watch_channels = id_list(
            "BACKCARE_WATCH_CHANNELS",
            "channel",
            set("BACKCARE_WATCH_CHANNELS"),
            &mut problems,
        );

        let mod_log_channel = match set("BACKCARE_MOD_LOG_CHANNEL") {
            None => None,
            Some(value) => match parse_id(&value) {
                Some(id) => Some(id),
                None => {
                    problems.push(
                        "BACKCARE_MOD_LOG_CHANNEL must be a channel id (a positive whole number), or unset to only log reloads"
                            .to_owned(),
                    );
                    None
                }
            },
        };

        let moderator_roles = id_list(
            "BACKCARE_MODERATOR_ROLES",
            "role",
            set("BACKCARE_MODERATOR_ROLES"),
            &mut problems,
        );

        match token {
            Some(token) if problems.is_empty() => Ok(Config {
                token,
                api_url,
                guild_id,
                watch_channels,
                mod_log_channel,
                moderator_roles,
                knowledge_dir: paths.knowledge.clone(),
                index_dir: paths.index.clone(),
                data_dir: paths.data.clone(),
            }),
            _ => Err(ConfigError(problems)),
        }
    }
}

/// A bot token is three dot-separated base64url parts; anything else is a paste mistake.
fn looks_like_token(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn parse_id(value: &str) -> Option<u64> {
    value.trim().parse::<u64>().ok().filter(|&id| id != 0)
}

/// A comma-separated list of ids, deduplicated; the first bad entry is one problem.
fn id_list(name: &str, what: &str, value: Option<String>, problems: &mut Vec<String>) -> Vec<u64> {
    let mut ids = Vec::new();
    let Some(value) = value else {
        return ids;
    };
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        match parse_id(part) {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => {
                problems.push(format!(
                    "{name} must be comma-separated {what} ids (positive whole numbers); `{part}` is not one"
                ));
                break;
            }
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        use clap::Parser;
        // Parsed rather than built, so path options added later get their defaults here too.
        crate::cli::Cli::try_parse_from(["backcare", "serve"])
            .expect("default paths")
            .paths
    }

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_lookup(&paths(), |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn defaults_apply_when_only_the_token_is_set() {
        let config = config(&[("DISCORD_TOKEN", "MTIz.fake.token")]).unwrap();
        assert_eq!(config.api_url, DEFAULT_API_URL);
        assert_eq!(config.guild_id, None);
        assert!(config.watch_channels.is_empty());
        assert_eq!(config.token.expose(), "MTIz.fake.token");
    }

    #[test]
    fn the_token_never_shows_in_debug_or_display() {
        let config = config(&[("DISCORD_TOKEN", "MTIz.fake.token")]).unwrap();
        assert!(!format!("{config:?}").contains("fake"));
        assert_eq!(config.token.to_string(), "[redacted]");
    }

    #[test]
    fn every_bad_value_is_reported_once_naming_its_variable() {
        let err = config(&[
            ("DISCORD_TOKEN", "not a token"),
            ("DISCORD_API_URL", "discord.com"),
            ("BACKCARE_GUILD_ID", "abc"),
            ("BACKCARE_WATCH_CHANNELS", "12, x, 14"),
        ])
        .unwrap_err();
        let names = [
            "DISCORD_TOKEN",
            "DISCORD_API_URL",
            "BACKCARE_GUILD_ID",
            "BACKCARE_WATCH_CHANNELS",
        ];
        assert_eq!(err.lines().len(), names.len(), "{err}");
        for (line, name) in err.lines().iter().zip(names) {
            assert!(line.starts_with(name), "{line}");
            assert!(!line.contains("not a token"));
        }
    }

    #[test]
    fn watch_channels_are_parsed_and_deduplicated() {
        let config = config(&[
            ("DISCORD_TOKEN", "MTIz.fake.token"),
            ("BACKCARE_WATCH_CHANNELS", " 12,13 ,12,"),
            ("BACKCARE_GUILD_ID", "99"),
        ])
        .unwrap();
        assert_eq!(config.watch_channels, vec![12, 13]);
        assert_eq!(config.guild_id, Some(99));
    }

    #[test]
    fn moderation_settings_are_parsed_and_bad_ones_named() {
        let good = config(&[
            ("DISCORD_TOKEN", "MTIz.fake.token"),
            ("BACKCARE_MOD_LOG_CHANNEL", " 77 "),
            ("BACKCARE_MODERATOR_ROLES", "5, 6,5"),
        ])
        .unwrap();
        assert_eq!(good.mod_log_channel, Some(77));
        assert_eq!(good.moderator_roles, vec![5, 6]);

        let err = config(&[
            ("DISCORD_TOKEN", "MTIz.fake.token"),
            ("BACKCARE_MOD_LOG_CHANNEL", "#mods"),
            ("BACKCARE_MODERATOR_ROLES", "@mods"),
        ])
        .unwrap_err();
        assert_eq!(err.lines().len(), 2, "{err}");
        assert!(err.lines()[0].starts_with("BACKCARE_MOD_LOG_CHANNEL"));
        assert!(err.lines()[1].starts_with("BACKCARE_MODERATOR_ROLES"));
        assert!(err.lines()[1].contains("role ids"));
    }

    #[test]
    fn a_missing_token_is_one_problem() {
        let err = config(&[]).unwrap_err();
        assert_eq!(err.lines().len(), 1);
        assert!(err.lines()[0].starts_with("DISCORD_TOKEN is not set"));
    }
}
