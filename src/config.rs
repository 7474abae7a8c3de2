//! Start-up configuration for `backcare serve`: read once (flags, then the environment; see
//! [`crate::cli::Cli::config`]), validated into one typed [`Config`]. Nothing else reads
//! environment variables, and the token never reaches a log line or a `Debug` print.

use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

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

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One readable line per event, for a terminal or journald.
    #[default]
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Human => "human",
            LogFormat::Json => "json",
        }
    }
}

/// Which gateway shards this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shards {
    /// As many shards as Discord recommends, all in this process.
    #[default]
    Auto,
    /// Shards `first..=last` of `total`; other processes run the rest.
    Range { first: u32, last: u32, total: u32 },
}

/// How many questions one member may ask per period (`BACKCARE_RATE_LIMIT`, e.g. `5/30s`).
/// Red-flag messages are never held back by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub questions: NonZeroU32,
    pub per: Duration,
}

impl RateLimit {
    /// Enough to hold a conversation, too few to flood a channel.
    pub const DEFAULT: RateLimit = RateLimit {
        questions: NonZeroU32::new(5).unwrap(),
        per: Duration::from_secs(30),
    };
    const MAX_QUESTIONS: u32 = 10_000;
    const MAX_PER: Duration = Duration::from_secs(24 * 60 * 60);
}

impl Default for RateLimit {
    fn default() -> RateLimit {
        RateLimit::DEFAULT
    }
}

/// `5/30s`, in the largest unit that divides the period.
impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.per.as_secs();
        let (n, unit) = match secs {
            s if s % 3600 == 0 => (s / 3600, "h"),
            s if s % 60 == 0 => (s / 60, "m"),
            s => (s, "s"),
        };
        write!(f, "{}/{n}{unit}", self.questions)
    }
}

/// `QUESTIONS/PERIOD` with the period in whole seconds, minutes or hours: `5/30s`, `20/10m`.
impl FromStr for RateLimit {
    type Err = ();

    fn from_str(value: &str) -> Result<RateLimit, ()> {
        let (questions, per) = value.trim().split_once('/').ok_or(())?;
        let questions = questions.trim().parse::<u32>().map_err(drop)?;
        let per = per.trim();
        let unit = per.find(|c: char| !c.is_ascii_digit()).ok_or(())?;
        let (amount, unit) = per.split_at(unit);
        let amount = amount.parse::<u64>().map_err(drop)?;
        let secs = match unit.trim() {
            "s" => amount,
            "m" => amount.saturating_mul(60),
            "h" => amount.saturating_mul(3600),
            _ => return Err(()),
        };
        let limit = RateLimit {
            questions: NonZeroU32::new(questions).ok_or(())?,
            per: Duration::from_secs(secs),
        };
        let fits = questions <= RateLimit::MAX_QUESTIONS
            && !limit.per.is_zero()
            && limit.per <= RateLimit::MAX_PER;
        fits.then_some(limit).ok_or(())
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
    /// Questions one member may ask per period; red flags are always answered.
    pub rate_limit: RateLimit,
    pub log_format: LogFormat,
    /// Where `/healthz` and `/metrics` are served; `None` serves neither.
    pub http_addr: Option<SocketAddr>,
    pub shards: Shards,
    pub knowledge_dir: PathBuf,
    pub index_dir: PathBuf,
    /// The store: usage counts, feedback and unanswered questions.
    pub data_dir: PathBuf,
    /// Days the text of unanswered questions is kept (`BACKCARE_RETENTION_DAYS`).
    pub retention_days: u32,
    /// How long one second of the guided warm-up (`/warmup`) lasts: a second. Not a setting;
    /// tests shorten it so a walk takes milliseconds.
    pub warmup_pace: Duration,
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
    /// Reads the configuration through `lookup`, so tests need not touch the environment.
    /// All problems are reported together.
    pub fn from_lookup(
        paths: &Paths,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        Config::check(paths, lookup).into_result()
    }

    /// Reads the configuration through `lookup` and keeps going past problems, so
    /// `backcare config` can show what is set next to what is wrong. A missing token is an
    /// empty [`Secret`] here, and a problem.
    pub fn check(paths: &Paths, lookup: impl Fn(&str) -> Option<String>) -> Checked {
        let mut problems = Vec::new();
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let token = match set("DISCORD_TOKEN") {
            None => {
                // Inside a container there is no .env to edit: the settings come from
                // `docker run --env-file`.
                let where_to = if std::path::Path::new("/.dockerenv").exists() {
                    "in the file given to `docker run --env-file` (see docs/deploy.md)"
                } else {
                    "in .env (see docs/discord.md)"
                };
                problems.push(format!(
                    "DISCORD_TOKEN is not set; put the bot token from the Discord developer portal {where_to}"
                ));
                None
            }
            Some(value) if !looks_like_token(value.trim()) => {
                problems.push(
                    "DISCORD_TOKEN does not look like a bot token: expected three dot-separated base64url parts, as shown on the developer portal's Bot page"
                        .to_owned(),
                );
                // Kept (redacted) so `backcare config` shows it is set, though wrong.
                Some(Secret::new(value.trim()))
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

        let rate_limit = match set("BACKCARE_RATE_LIMIT") {
            None => RateLimit::DEFAULT,
            Some(value) => value.parse().unwrap_or_else(|()| {
                problems.push(format!(
                    "BACKCARE_RATE_LIMIT must be QUESTIONS/PERIOD, the questions one member may ask per period, such as {} (the default) or 20/10m: 1 to {} questions, a period of 1s to 24h",
                    RateLimit::DEFAULT,
                    RateLimit::MAX_QUESTIONS
                ));
                RateLimit::DEFAULT
            }),
        };

        let log_format = match set("BACKCARE_LOG_FORMAT").map(|v| v.trim().to_ascii_lowercase()) {
            None => LogFormat::Human,
            Some(value) if value == "human" => LogFormat::Human,
            Some(value) if value == "json" => LogFormat::Json,
            Some(_) => {
                problems
                    .push("BACKCARE_LOG_FORMAT must be `human` (the default) or `json`".to_owned());
                LogFormat::Human
            }
        };

        let http_addr = match set("BACKCARE_HTTP_ADDR") {
            None => None,
            Some(value) => match value.trim().parse::<SocketAddr>() {
                Ok(addr) => Some(addr),
                Err(_) => {
                    problems.push(
                        "BACKCARE_HTTP_ADDR must be an IP address and port such as 127.0.0.1:8080 or 0.0.0.0:8080, or unset to serve no health and metrics endpoint"
                            .to_owned(),
                    );
                    None
                }
            },
        };

        let retention_days = match set("BACKCARE_RETENTION_DAYS") {
            None => crate::store::DEFAULT_RETENTION_DAYS,
            Some(value) => match value.trim().parse::<u32>() {
                Ok(days) if (1..=3650).contains(&days) => days,
                _ => {
                    problems.push(format!(
                        "BACKCARE_RETENTION_DAYS must be the days unanswered questions are kept for moderators, 1 to 3650 (default {})",
                        crate::store::DEFAULT_RETENTION_DAYS
                    ));
                    crate::store::DEFAULT_RETENTION_DAYS
                }
            },
        };

        let shards = shards(
            set("BACKCARE_SHARDS"),
            set("BACKCARE_SHARD_RANGE"),
            &mut problems,
        );

        Checked {
            config: Config {
                token: token.unwrap_or_else(|| Secret::new("")),
                api_url,
                guild_id,
                watch_channels,
                mod_log_channel,
                moderator_roles,
                rate_limit,
                log_format,
                http_addr,
                shards,
                knowledge_dir: paths.knowledge.clone(),
                index_dir: paths.index.clone(),
                data_dir: paths.data.clone(),
                retention_days,
                warmup_pace: Duration::from_secs(1),
            },
            problems,
        }
    }

    /// Every setting and its effective value, token redacted, in the order `.env.example`
    /// lists them: what `backcare config` prints.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        let ids = |ids: &[u64]| {
            if ids.is_empty() {
                "(none)".to_owned()
            } else {
                ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
            }
        };
        let (shards, range) = match self.shards {
            Shards::Auto => (
                "(auto: as Discord recommends)".to_owned(),
                "(all)".to_owned(),
            ),
            Shards::Range { first, last, total } => {
                (total.to_string(), format!("{first}..={last}"))
            }
        };
        vec![
            (
                "DISCORD_TOKEN",
                if self.token.expose().is_empty() {
                    "(not set)".to_owned()
                } else {
                    self.token.to_string()
                },
            ),
            ("DISCORD_API_URL", self.api_url.clone()),
            (
                "BACKCARE_GUILD_ID",
                self.guild_id
                    .map_or("(none: commands registered globally)".to_owned(), |id| {
                        id.to_string()
                    }),
            ),
            ("BACKCARE_WATCH_CHANNELS", ids(&self.watch_channels)),
            (
                "BACKCARE_MOD_LOG_CHANNEL",
                self.mod_log_channel
                    .map_or("(none)".to_owned(), |id| id.to_string()),
            ),
            ("BACKCARE_MODERATOR_ROLES", ids(&self.moderator_roles)),
            (
                "BACKCARE_RATE_LIMIT",
                format!("{} per member", self.rate_limit),
            ),
            (
                "BACKCARE_KNOWLEDGE_DIR",
                self.knowledge_dir.display().to_string(),
            ),
            ("BACKCARE_INDEX_DIR", self.index_dir.display().to_string()),
            ("BACKCARE_DATA_DIR", self.data_dir.display().to_string()),
            (
                "BACKCARE_RETENTION_DAYS",
                format!("{} days", self.retention_days),
            ),
            ("BACKCARE_LOG_FORMAT", self.log_format.as_str().to_owned()),
            (
                "BACKCARE_HTTP_ADDR",
                self.http_addr
                    .map_or("(off)".to_owned(), |addr| addr.to_string()),
            ),
            ("BACKCARE_SHARDS", shards),
            ("BACKCARE_SHARD_RANGE", range),
        ]
    }
}

/// The configuration as read, and every problem found in it.
#[derive(Debug, Clone)]
pub struct Checked {
    pub config: Config,
    /// One line each, naming the variable and what is expected.
    pub problems: Vec<String>,
}

impl Checked {
    /// The configuration, if nothing is wrong with it.
    pub fn into_result(self) -> Result<Config, ConfigError> {
        if self.problems.is_empty() {
            Ok(self.config)
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

/// `BACKCARE_SHARDS` and `BACKCARE_SHARD_RANGE`: both or neither.
fn shards(total: Option<String>, range: Option<String>, problems: &mut Vec<String>) -> Shards {
    const TOTAL: &str =
        "BACKCARE_SHARDS must be the total number of shards across all processes (a whole number, at least 1), set together with BACKCARE_SHARD_RANGE";
    const RANGE: &str =
        "BACKCARE_SHARD_RANGE must be FIRST..=LAST, the shards this process runs (e.g. 0..=1), with LAST below BACKCARE_SHARDS and set together with it";
    let total = total.map(|v| v.trim().parse::<u32>().ok().filter(|&n| n >= 1));
    let range = range.map(|v| {
        let (first, last) = v.trim().split_once("..=")?;
        let first = first.trim().parse::<u32>().ok()?;
        let last = last.trim().parse::<u32>().ok()?;
        (first <= last).then_some((first, last))
    });
    match (total, range) {
        (None, None) => Shards::Auto,
        (Some(Some(total)), Some(Some((first, last)))) if last < total => {
            Shards::Range { first, last, total }
        }
        (total, range) => {
            let total = total.flatten();
            if total.is_none() {
                problems.push(TOTAL.to_owned());
            }
            // A good range is only wrong when it does not fit a good total.
            if range.flatten().is_none() || total.is_some() {
                problems.push(RANGE.to_owned());
            }
            Shards::Auto
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

    #[test]
    fn operations_settings_have_their_defaults() {
        let config = config(&[("DISCORD_TOKEN", "MTIz.fake.token")]).unwrap();
        assert_eq!(config.log_format, LogFormat::Human);
        assert_eq!(config.http_addr, None);
        assert_eq!(config.shards, Shards::Auto);
    }

    #[test]
    fn log_format_http_address_and_shard_range_are_parsed() {
        let config = config(&[
            ("DISCORD_TOKEN", "MTIz.fake.token"),
            ("BACKCARE_LOG_FORMAT", "JSON"),
            ("BACKCARE_HTTP_ADDR", "127.0.0.1:8080"),
            ("BACKCARE_SHARDS", "4"),
            ("BACKCARE_SHARD_RANGE", "2..=3"),
        ])
        .unwrap();
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(config.http_addr, Some("127.0.0.1:8080".parse().unwrap()));
        assert_eq!(
            config.shards,
            Shards::Range {
                first: 2,
                last: 3,
                total: 4
            }
        );
    }

    #[test]
    fn shard_settings_are_both_or_neither_and_the_range_fits_the_total() {
        let problems = |vars: &[(&str, &str)]| {
            let mut all = vec![("DISCORD_TOKEN", "MTIz.fake.token")];
            all.extend_from_slice(vars);
            config(&all).map(|_| Vec::new()).unwrap_or_else(|e| {
                e.lines()
                    .iter()
                    .map(|l| l.split(' ').next().unwrap_or_default().to_owned())
                    .collect()
            })
        };
        assert_eq!(
            problems(&[("BACKCARE_SHARDS", "2")]),
            ["BACKCARE_SHARD_RANGE"]
        );
        assert_eq!(
            problems(&[("BACKCARE_SHARD_RANGE", "0..=0")]),
            ["BACKCARE_SHARDS"]
        );
        assert_eq!(
            problems(&[("BACKCARE_SHARDS", "2"), ("BACKCARE_SHARD_RANGE", "1..=2")]),
            ["BACKCARE_SHARD_RANGE"]
        );
        assert_eq!(
            problems(&[("BACKCARE_SHARDS", "0"), ("BACKCARE_SHARD_RANGE", "1-2")]),
            ["BACKCARE_SHARDS", "BACKCARE_SHARD_RANGE"]
        );
        assert_eq!(
            problems(&[("BACKCARE_SHARDS", "2"), ("BACKCARE_SHARD_RANGE", "1..=0")]),
            ["BACKCARE_SHARD_RANGE"]
        );
        assert!(
            problems(&[("BACKCARE_SHARDS", "1"), ("BACKCARE_SHARD_RANGE", "0..=0")]).is_empty()
        );
    }

    #[test]
    fn check_keeps_the_good_values_next_to_the_problems() {
        let checked = Config::check(&paths(), |name| match name {
            "BACKCARE_HTTP_ADDR" => Some("localhost".to_owned()),
            "BACKCARE_LOG_FORMAT" => Some("xml".to_owned()),
            "BACKCARE_GUILD_ID" => Some("99".to_owned()),
            _ => None,
        });
        let names: Vec<&str> = checked
            .problems
            .iter()
            .map(|l| l.split(' ').next().unwrap_or_default())
            .collect();
        assert_eq!(
            names,
            ["DISCORD_TOKEN", "BACKCARE_LOG_FORMAT", "BACKCARE_HTTP_ADDR"]
        );
        assert_eq!(checked.config.guild_id, Some(99));
        let settings = checked.config.settings();
        assert!(settings.contains(&("DISCORD_TOKEN", "(not set)".to_owned())));
        assert!(settings.contains(&("BACKCARE_GUILD_ID", "99".to_owned())));
    }

    #[test]
    fn the_rate_limit_defaults_to_five_per_thirty_seconds_and_bad_ones_are_named() {
        let default = config(&[("DISCORD_TOKEN", "MTIz.fake.token")]).unwrap();
        assert_eq!(default.rate_limit, RateLimit::DEFAULT);
        assert_eq!(default.rate_limit.to_string(), "5/30s");
        for (value, questions, secs) in
            [("5/30s", 5, 30), (" 20 / 10m ", 20, 600), ("1/1h", 1, 3600)]
        {
            let config = config(&[
                ("DISCORD_TOKEN", "MTIz.fake.token"),
                ("BACKCARE_RATE_LIMIT", value),
            ])
            .unwrap();
            assert_eq!(config.rate_limit.questions.get(), questions, "{value}");
            assert_eq!(config.rate_limit.per, Duration::from_secs(secs), "{value}");
        }
        assert_eq!("20/10m".parse::<RateLimit>().unwrap().to_string(), "20/10m");
        assert_eq!("3/90s".parse::<RateLimit>().unwrap().to_string(), "3/90s");
        for bad in [
            "5", "5/30", "0/30s", "5/0s", "-1/30s", "5/30d", "x/30s", "5/25h", "10001/1s",
        ] {
            let err = config(&[
                ("DISCORD_TOKEN", "MTIz.fake.token"),
                ("BACKCARE_RATE_LIMIT", bad),
            ])
            .unwrap_err();
            assert_eq!(err.lines().len(), 1, "{bad}: {err}");
            assert!(
                err.lines()[0].starts_with("BACKCARE_RATE_LIMIT must be"),
                "{err}"
            );
        }
    }

    #[test]
    fn settings_show_a_set_token_only_as_redacted() {
        let config = config(&[("DISCORD_TOKEN", "MTIz.fake.token")]).unwrap();
        let shown = format!("{:?}", config.settings());
        assert!(!shown.contains("fake"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
