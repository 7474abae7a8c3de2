//! Start-up configuration for `backcare serve`: read once (flags, then the environment; see
//! [`crate::cli::Cli::config`]), validated into one typed [`Config`]. Each setting is defined
//! once, in [`SETTINGS`]: its variable, flag, default, check and how it is shown. Nothing else
//! reads environment variables, and the token never reaches a log line or a `Debug` print.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Arg, ArgMatches, Args, FromArgMatches};

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

/// A setting's default: a value read like one given, or what leaving it unset means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingDefault {
    /// Used when the setting is unset, read and checked like a value given.
    Value(&'static str),
    /// Unset is a state of its own; says what it means (`"unset: no HTTP server"`).
    Unset(&'static str),
}

/// The command-line flag of a setting. The flag wins over the environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    /// `--long`.
    pub long: &'static str,
    /// The placeholder `--help` shows for the value.
    pub value_name: &'static str,
    /// Taken by every command (paths, log format); otherwise only by `serve` and `config`.
    pub every_command: bool,
}

/// One setting, defined once: its environment variable, flag, default, what it is, how it
/// is read and checked, and how `backcare config` shows it. `.env.example` and the settings
/// table in docs/deploy.md are tested against [`SETTINGS`].
pub struct Setting {
    /// The environment variable (and `.env` key).
    pub name: &'static str,
    pub flag: Option<Flag>,
    pub default: SettingDefault,
    /// One line: the flag's `--help` and the docs table.
    pub summary: &'static str,
    /// The value `.env.example` shows for it.
    pub example: &'static str,
    /// Reads the trimmed value (or the default value; `None` when unset) into the
    /// configuration, reporting a problem if it is wrong.
    read: fn(&mut Reading, Option<&str>),
    /// The effective value, as `backcare config` prints it.
    show: fn(&Config) -> String,
}

impl fmt::Debug for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Setting")
            .field("name", &self.name)
            .field("flag", &self.flag)
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

const fn flag(long: &'static str, value_name: &'static str) -> Option<Flag> {
    Some(Flag {
        long,
        value_name,
        every_command: false,
    })
}

const fn global_flag(long: &'static str, value_name: &'static str) -> Option<Flag> {
    Some(Flag {
        long,
        value_name,
        every_command: true,
    })
}

/// Every setting, in the order `.env.example`, the docs and `backcare config` list them.
pub const SETTINGS: &[Setting] = &[
    Setting {
        name: "DISCORD_TOKEN",
        // No flag: a command line is visible to every user of the machine.
        flag: None,
        default: SettingDefault::Unset("required"),
        summary: "The bot token. Never logged or printed, and no flag: a command line is visible to every user.",
        example: "",
        read: read_token,
        show: |c| {
            if c.token.expose().is_empty() {
                "(not set)".to_owned()
            } else {
                c.token.to_string()
            }
        },
    },
    Setting {
        name: "DISCORD_API_URL",
        flag: None,
        default: SettingDefault::Value(DEFAULT_API_URL),
        summary: "Discord's API base URL; change only for an HTTP proxy.",
        example: DEFAULT_API_URL,
        read: |r, value| {
            let value = value.unwrap_or_default().trim_end_matches('/');
            if !(value.starts_with("http://") || value.starts_with("https://"))
                || value.contains(char::is_whitespace)
            {
                r.problem(format!(
                    "must be an http:// or https:// base URL such as {DEFAULT_API_URL}"
                ));
            }
            r.config.api_url = value.to_owned();
        },
        show: |c| c.api_url.clone(),
    },
    Setting {
        name: "BACKCARE_GUILD_ID",
        flag: flag("guild-id", "ID"),
        default: SettingDefault::Unset("unset: global commands"),
        summary: "Register the slash commands in this one server only (instant; for testing).",
        example: "123456789012345678",
        read: |r, value| {
            r.config.guild_id = r.id(
                value,
                "must be a Discord server id (a positive whole number), or unset to register commands globally",
            );
        },
        show: |c| {
            c.guild_id
                .map_or("(none: commands registered globally)".to_owned(), |id| {
                    id.to_string()
                })
        },
    },
    Setting {
        name: "BACKCARE_WATCH_CHANNELS",
        flag: flag("watch-channels", "IDS"),
        default: SettingDefault::Unset("none"),
        summary: "Comma-separated channel ids where every message is checked for red flags.",
        example: "123456789012345678,234567890123456789",
        read: |r, value| r.config.watch_channels = r.ids(value, "channel"),
        show: |c| ids(&c.watch_channels),
    },
    Setting {
        name: "BACKCARE_MOD_LOG_CHANNEL",
        flag: None,
        default: SettingDefault::Unset("none"),
        summary: "Channel id where reload results are posted for moderators.",
        example: "123456789012345678",
        read: |r, value| {
            r.config.mod_log_channel = r.id(
                value,
                "must be a channel id (a positive whole number), or unset to only log reloads",
            );
        },
        show: |c| c.mod_log_channel.map_or("(none)".to_owned(), |id| id.to_string()),
    },
    Setting {
        name: "BACKCARE_MODERATOR_ROLES",
        flag: None,
        default: SettingDefault::Unset("none"),
        summary: "Comma-separated role ids allowed to use `/reload` and `/stats`.",
        example: "123456789012345678,234567890123456789",
        read: |r, value| r.config.moderator_roles = r.ids(value, "role"),
        show: |c| ids(&c.moderator_roles),
    },
    Setting {
        name: "BACKCARE_RATE_LIMIT",
        flag: None,
        default: SettingDefault::Value("5/30s"),
        summary: "Questions one member may ask per period (`QUESTIONS/PERIOD`, period in `s`, `m` or `h`); see [Abuse limits](#abuse-limits).",
        example: "5/30s",
        read: |r, value| match value.unwrap_or_default().parse() {
            Ok(limit) => r.config.rate_limit = limit,
            Err(()) => r.problem(format!(
                "must be QUESTIONS/PERIOD, the questions one member may ask per period, such as {} (the default) or 20/10m: 1 to {} questions, a period of 1s to 24h",
                RateLimit::DEFAULT,
                RateLimit::MAX_QUESTIONS
            )),
        },
        show: |c| format!("{} per member", c.rate_limit),
    },
    Setting {
        name: KNOWLEDGE_DIR,
        flag: global_flag("knowledge", "DIR"),
        default: SettingDefault::Value("knowledge"),
        summary: "The knowledge folder (Markdown guides, `red-flags.toml`).",
        example: "knowledge",
        // Given as [`Paths`], read with the command line: every command needs them.
        read: |_, _| {},
        show: |c| c.knowledge_dir.display().to_string(),
    },
    Setting {
        name: INDEX_DIR,
        flag: global_flag("index", "DIR"),
        default: SettingDefault::Value("index"),
        summary: "The search index (rebuilt automatically).",
        example: "index",
        // Given as [`Paths`], read with the command line: every command needs them.
        read: |_, _| {},
        show: |c| c.index_dir.display().to_string(),
    },
    Setting {
        name: DATA_DIR,
        flag: global_flag("data", "DIR"),
        default: SettingDefault::Value("data"),
        summary: "The store (`backcare.db` and the key `backcare.key` that member ids are hashed with).",
        example: "data",
        // Given as [`Paths`], read with the command line: every command needs them.
        read: |_, _| {},
        show: |c| c.data_dir.display().to_string(),
    },
    Setting {
        name: "BACKCARE_RETENTION_DAYS",
        flag: None,
        default: SettingDefault::Value("30"),
        summary: "Days the text of unanswered questions is kept; an hourly job deletes older text (the counts stay).",
        example: "30",
        read: |r, value| match value.unwrap_or_default().parse::<u32>() {
            Ok(days) if (1..=3650).contains(&days) => r.config.retention_days = days,
            _ => r.problem(
                "must be the days unanswered questions are kept for moderators, 1 to 3650 (default 30)",
            ),
        },
        show: |c| format!("{} days", c.retention_days),
    },
    Setting {
        name: "RUST_LOG",
        flag: None,
        default: SettingDefault::Unset("`info,tantivy=warn` for `serve`, `warn` otherwise"),
        summary: "Log filter (tracing's `EnvFilter` syntax); an invalid one is reported and the default used.",
        example: "info,tantivy=warn",
        read: |r, value| r.config.log_filter = value.map(str::to_owned),
        show: |c| c.log_filter.clone().unwrap_or_else(|| "(default)".to_owned()),
    },
    Setting {
        name: "BACKCARE_LOG_FORMAT",
        flag: global_flag("log-format", "FORMAT"),
        default: SettingDefault::Value("human"),
        summary: "Log line format: `human` (readable lines) or `json` (one object per line).",
        example: "human",
        read: |r, value| match value.unwrap_or_default().to_ascii_lowercase().as_str() {
            "human" => r.config.log_format = LogFormat::Human,
            "json" => r.config.log_format = LogFormat::Json,
            _ => r.problem("must be `human` (the default) or `json`"),
        },
        show: |c| c.log_format.as_str().to_owned(),
    },
    Setting {
        name: "BACKCARE_HTTP_ADDR",
        flag: flag("http-addr", "ADDR"),
        default: SettingDefault::Unset("unset: no HTTP server"),
        summary: "Address for `/healthz` and `/metrics`, e.g. `127.0.0.1:8080`.",
        example: "127.0.0.1:8080",
        read: |r, value| {
            let addr = value.map(str::parse::<SocketAddr>);
            if let Some(Err(_)) = addr {
                r.problem("must be an IP address and port such as 127.0.0.1:8080 or 0.0.0.0:8080, or unset to serve no health and metrics endpoint");
            }
            r.config.http_addr = addr.and_then(Result::ok);
        },
        show: |c| c.http_addr.map_or("(off)".to_owned(), |addr| addr.to_string()),
    },
    Setting {
        name: SHARDS,
        flag: flag("shards", "TOTAL"),
        default: SettingDefault::Unset("unset: automatic"),
        summary: "Total number of shards across all processes.",
        example: "2",
        // Read together with BACKCARE_SHARD_RANGE: both or neither.
        read: |r, value| {
            let range = r.value_of(SHARD_RANGE);
            r.config.shards = shards(value, range.as_deref(), &mut r.problems);
        },
        show: |c| match c.shards {
            Shards::Auto => "(auto: as Discord recommends)".to_owned(),
            Shards::Range { total, .. } => total.to_string(),
        },
    },
    Setting {
        name: SHARD_RANGE,
        flag: flag("shard-range", "FIRST..=LAST"),
        default: SettingDefault::Unset("unset: all"),
        summary: "The shards this process runs, `FIRST..=LAST`. Set both shard settings or neither.",
        example: "0..=0",
        // Read with BACKCARE_SHARDS, above.
        read: |_, _| {},
        show: |c| match c.shards {
            Shards::Auto => "(all)".to_owned(),
            Shards::Range { first, last, .. } => format!("{first}..={last}"),
        },
    },
];

const SHARDS: &str = "BACKCARE_SHARDS";
/// The settings every command needs, given as [`Paths`].
pub const KNOWLEDGE_DIR: &str = "BACKCARE_KNOWLEDGE_DIR";
pub const INDEX_DIR: &str = "BACKCARE_INDEX_DIR";
pub const DATA_DIR: &str = "BACKCARE_DATA_DIR";
const SHARD_RANGE: &str = "BACKCARE_SHARD_RANGE";

/// Where the knowledge, the index and the store live: settings every command takes (see
/// [`SETTINGS`]), as flags or their environment variables.
#[derive(Debug, Clone)]
pub struct Paths {
    pub knowledge: PathBuf,
    pub index: PathBuf,
    /// The store (`backcare.db`): usage counts, feedback and unanswered questions.
    pub data: PathBuf,
}

impl Paths {
    /// The settings read into these fields, in order.
    const SETTINGS: [&'static str; 3] = [KNOWLEDGE_DIR, INDEX_DIR, DATA_DIR];
}

impl FromArgMatches for Paths {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Paths, clap::Error> {
        let path = |name: &str| {
            matches
                .get_one::<OsString>(name)
                .map(PathBuf::from)
                .ok_or_else(|| clap::Error::raw(ErrorKind::MissingRequiredArgument, name))
        };
        Ok(Paths {
            knowledge: path(KNOWLEDGE_DIR)?,
            index: path(INDEX_DIR)?,
            data: path(DATA_DIR)?,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Paths::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for Paths {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(
            SETTINGS
                .iter()
                .filter(|s| Paths::SETTINGS.contains(&s.name))
                .filter_map(flag_arg),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Paths::augment_args(cmd)
    }
}

/// The flags of the settings in one scope other than the paths: those every command takes
/// (`EVERY_COMMAND`, the log format) or those only `serve` and `config` take. Each holds
/// the value given on the command line or, failing that, in its environment variable.
#[derive(Debug, Clone, Default)]
pub struct Given<const EVERY_COMMAND: bool>(Vec<(&'static str, String)>);

/// Settings only `serve` and `config` take as flags.
pub type ServeArgs = Given<false>;

impl<const EVERY_COMMAND: bool> Given<EVERY_COMMAND> {
    fn settings() -> impl Iterator<Item = &'static Setting> {
        SETTINGS.iter().filter(|s| {
            s.flag.is_some_and(|f| f.every_command == EVERY_COMMAND)
                && !Paths::SETTINGS.contains(&s.name)
        })
    }

    /// The value given for the setting `name`, if any.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(given, _)| *given == name)
            .map(|(_, value)| value.clone())
    }
}

impl<const EVERY_COMMAND: bool> FromArgMatches for Given<EVERY_COMMAND> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let given = Self::settings()
            .filter_map(|s| {
                let value = matches.get_one::<OsString>(s.name)?;
                Some((s.name, value.to_string_lossy().into_owned()))
            })
            .collect();
        Ok(Given(given))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl<const EVERY_COMMAND: bool> Args for Given<EVERY_COMMAND> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.args(Self::settings().filter_map(flag_arg))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// The command-line argument of a setting with a flag: its environment variable is read
/// when the flag is not given, and a default value applies when neither is.
fn flag_arg(setting: &'static Setting) -> Option<Arg> {
    let flag = setting.flag?;
    let mut arg = Arg::new(setting.name)
        .long(flag.long)
        .value_name(flag.value_name)
        .env(setting.name)
        .help(setting.summary)
        .global(flag.every_command)
        .value_parser(clap::value_parser!(OsString));
    if let SettingDefault::Value(value) = setting.default {
        arg = arg.default_value(value);
    }
    Some(arg)
}

/// A configuration being read: the values so far and every problem found.
pub struct Reading<'a> {
    config: Config,
    problems: Vec<String>,
    /// The setting being read, which each problem names first.
    name: &'static str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
}

impl Reading<'_> {
    /// A setting's value, trimmed; `None` when unset or blank.
    fn value_of(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    }

    /// Reports a problem with the setting being read: `NAME what`.
    fn problem(&mut self, what: impl fmt::Display) {
        self.problems.push(format!("{} {what}", self.name));
    }

    /// An optional Discord id; a bad one is a problem saying `what` it must be.
    fn id(&mut self, value: Option<&str>, what: &str) -> Option<u64> {
        let value = value?;
        let id = parse_id(value);
        if id.is_none() {
            self.problem(what);
        }
        id
    }

    /// A comma-separated list of ids, deduplicated; the first bad entry is one problem.
    fn ids(&mut self, value: Option<&str>, what: &str) -> Vec<u64> {
        let mut ids = Vec::new();
        for part in value.unwrap_or_default().split(',').map(str::trim) {
            match parse_id(part) {
                _ if part.is_empty() => {}
                Some(id) if !ids.contains(&id) => ids.push(id),
                Some(_) => {}
                None => {
                    self.problem(format!(
                        "must be comma-separated {what} ids (positive whole numbers); `{part}` is not one"
                    ));
                    break;
                }
            }
        }
        ids
    }
}

fn read_token(r: &mut Reading, value: Option<&str>) {
    match value {
        None => {
            // Inside a container there is no .env to edit: the settings come from
            // `docker run --env-file`.
            let where_to = if std::path::Path::new("/.dockerenv").exists() {
                "in the file given to `docker run --env-file` (see docs/deploy.md)"
            } else {
                "in .env (see docs/discord.md)"
            };
            r.problem(format!(
                "is not set; put the bot token from the Discord developer portal {where_to}"
            ));
        }
        Some(value) => {
            if !looks_like_token(value) {
                // Kept (redacted) so `backcare config` shows it is set, though wrong.
                r.problem("does not look like a bot token: expected three dot-separated base64url parts, as shown on the developer portal's Bot page");
            }
            r.config.token = Secret::new(value);
        }
    }
}

/// `ids` as `backcare config` shows them.
fn ids(ids: &[u64]) -> String {
    if ids.is_empty() {
        "(none)".to_owned()
    } else {
        ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
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
    /// `RUST_LOG`, if set: the log filter, checked when logging starts.
    pub log_filter: Option<String>,
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
    /// empty [`Secret`] here, and a problem; a wrong value shows as its default.
    pub fn check(paths: &Paths, lookup: impl Fn(&str) -> Option<String>) -> Checked {
        let mut reading = Reading {
            config: Config::unread(paths),
            problems: Vec::new(),
            name: "",
            lookup: &lookup,
        };
        for setting in SETTINGS {
            reading.name = setting.name;
            let default = match setting.default {
                SettingDefault::Value(value) => Some(value),
                SettingDefault::Unset(_) => None,
            };
            let value = reading.value_of(setting.name);
            let before = reading.problems.len();
            (setting.read)(&mut reading, value.as_deref().or(default));
            if reading.problems.len() > before && default.is_some() {
                (setting.read)(&mut reading, default);
            }
        }
        Checked {
            config: reading.config,
            problems: reading.problems,
        }
    }

    /// The configuration before any setting is read: the paths as given, the rest empty.
    fn unread(paths: &Paths) -> Config {
        Config {
            token: Secret::new(""),
            api_url: String::new(),
            guild_id: None,
            watch_channels: Vec::new(),
            mod_log_channel: None,
            moderator_roles: Vec::new(),
            rate_limit: RateLimit::DEFAULT,
            log_format: LogFormat::Human,
            log_filter: None,
            http_addr: None,
            shards: Shards::Auto,
            knowledge_dir: paths.knowledge.clone(),
            index_dir: paths.index.clone(),
            data_dir: paths.data.clone(),
            retention_days: crate::store::DEFAULT_RETENTION_DAYS,
            warmup_pace: Duration::from_secs(1),
        }
    }

    /// Every setting and its effective value, token redacted, in the order `.env.example`
    /// lists them: what `backcare config` prints.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        SETTINGS.iter().map(|s| (s.name, (s.show)(self))).collect()
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
fn shards(total: Option<&str>, range: Option<&str>, problems: &mut Vec<String>) -> Shards {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> Paths {
        // Parsed rather than built, so path options added later get their defaults here too.
        let command = Paths::augment_args(clap::Command::new("backcare"));
        Paths::from_arg_matches(&command.get_matches_from(["backcare"])).expect("default paths")
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

    /// The settings table of docs/deploy.md as [`SETTINGS`] defines it.
    fn docs_rows() -> Vec<String> {
        SETTINGS
            .iter()
            .map(|s| {
                let flag = s.flag.map_or(String::new(), |f| format!("`--{}`", f.long));
                let default = match s.default {
                    SettingDefault::Value(value) => format!("`{value}`"),
                    SettingDefault::Unset(meaning) => meaning.to_owned(),
                };
                format!("| `{}` | {flag} | {default} | {} |", s.name, s.summary)
            })
            .collect()
    }

    #[test]
    fn the_deploy_guide_lists_the_settings_as_defined() {
        let guide = include_str!("../docs/deploy.md");
        let header = "| Variable | Flag | Default | What it is |";
        let table: Vec<&str> = guide
            .lines()
            .skip_while(|line| *line != header)
            .skip(2)
            .take_while(|line| line.starts_with('|'))
            .collect();
        let want = docs_rows();
        assert_eq!(
            table,
            want,
            "docs/deploy.md's settings table should read:\n{}",
            want.join("\n")
        );
    }

    #[test]
    fn env_example_lists_every_setting_in_order_with_its_default() {
        let example = include_str!("../.env.example");
        let lines: Vec<&str> = example.lines().collect();
        let mut at = 0;
        for setting in SETTINGS {
            let line = if setting.example.is_empty() {
                format!("{}=", setting.name)
            } else {
                format!("# {}={}", setting.name, setting.example)
            };
            let found = lines[at..].iter().position(|l| *l == line);
            let Some(found) = found else {
                panic!(".env.example lacks `{line}` after line {at}");
            };
            at += found;
            // The comment above it (up to the blank line) names a default value.
            let block = lines[..at]
                .iter()
                .rev()
                .take_while(|l| l.starts_with('#'))
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            if let SettingDefault::Value(value) = setting.default {
                assert!(
                    block.contains(&format!("Default: {value}")),
                    ".env.example: the comment above `{line}` should say `Default: {value}`"
                );
            }
            at += 1;
        }
    }

    #[test]
    fn every_default_value_reads_without_a_problem() {
        let checked = Config::check(&paths(), |name| {
            (name == "DISCORD_TOKEN").then(|| "MTIz.fake.token".to_owned())
        });
        assert!(checked.problems.is_empty(), "{:?}", checked.problems);
        assert_eq!(checked.config.rate_limit, RateLimit::DEFAULT);
        assert_eq!(
            checked.config.retention_days,
            crate::store::DEFAULT_RETENTION_DAYS
        );
        let names: Vec<&str> = SETTINGS.iter().map(|s| s.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a setting is defined twice");
    }
}
