//! Shared helpers for the Discord tests: the fake Discord, the real bot started in-process
//! against it, and the `backcare` binary started as a child process.

pub mod fake_discord;
pub mod process;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use backcare::cli::{Cli, Paths};
use backcare::config::Config;
use backcare::service::Service;
use clap::Parser;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use fake_discord::{FakeDiscord, GUILD_ID, WATCHED_CHANNEL_ID};

/// A token that passes the format check; the fake accepts anything.
pub const FAKE_TOKEN: &str = "MTIz.fake.token";

/// The repository's own knowledge folder.
pub fn knowledge_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("knowledge")
}

/// A writable copy of the repository's knowledge folder at `dir/knowledge`, for tests that
/// edit it.
pub fn copy_knowledge(dir: &Path) -> PathBuf {
    let copy = dir.join("knowledge");
    std::fs::create_dir_all(&copy).expect("create the knowledge copy");
    for entry in std::fs::read_dir(knowledge_dir()).expect("read knowledge/") {
        let path = entry.expect("a knowledge file").path();
        if path.is_file() {
            let name = path.file_name().expect("a file name");
            std::fs::copy(&path, copy.join(name)).expect("copy a knowledge file");
        }
    }
    copy
}

/// Paths to the repository's knowledge, with the index (and any data) in `dir`. Parsed like
/// the command line, so path options added later get their defaults.
pub fn test_paths(dir: &Path) -> Paths {
    test_paths_with(dir, &knowledge_dir())
}

/// Like [`test_paths`], with the knowledge read from `knowledge`.
pub fn test_paths_with(dir: &Path, knowledge: &Path) -> Paths {
    let knowledge = knowledge.to_owned();
    let index = dir.join("index");
    let data = dir.join("data");
    let base = [
        OsStr::new("backcare"),
        OsStr::new("--knowledge"),
        knowledge.as_os_str(),
        OsStr::new("--index"),
        index.as_os_str(),
    ];
    let with_data = [OsStr::new("--data"), data.as_os_str(), OsStr::new("serve")];
    Cli::try_parse_from(base.iter().chain(&with_data))
        .or_else(|_| Cli::try_parse_from(base.iter().chain([&OsStr::new("serve")])))
        .expect("test paths parse")
        .paths
}

/// How a test bot is set up beyond the defaults.
pub struct BotOptions {
    /// Register commands in this guild; None registers them globally.
    pub guild: Option<u64>,
    /// Read the knowledge from this folder instead of the repository's.
    pub knowledge: Option<PathBuf>,
    /// More environment variables for the configuration.
    pub vars: Vec<(&'static str, String)>,
    /// How long a second of `/warmup` lasts (a second unless set).
    pub warmup_pace: Option<std::time::Duration>,
    /// Keep the store in this folder instead of one beside the test's index.
    pub data: Option<PathBuf>,
}

impl Default for BotOptions {
    fn default() -> BotOptions {
        BotOptions {
            guild: Some(GUILD_ID),
            knowledge: None,
            vars: Vec::new(),
            warmup_pace: None,
            data: None,
        }
    }
}

/// The real bot, running in this test's runtime against a fake Discord.
pub struct Bot {
    pub fake: FakeDiscord,
    /// The bot's answering service, to look at its engine and stats.
    pub service: Arc<Service>,
    /// The data folder (usage stats).
    pub data_dir: PathBuf,
    /// The index folder.
    pub index_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    /// The index and data folder; None once handed out by [`Bot::stop_keeping_files`].
    files: Option<tempfile::TempDir>,
}

impl Bot {
    /// Starts the fake and the bot (guild commands, one watched channel) and waits until the
    /// bot is ready.
    pub async fn start() -> Bot {
        Bot::start_with(Some(GUILD_ID)).await
    }

    /// Like [`Bot::start`]; `guild` None registers the commands globally.
    pub async fn start_with(guild: Option<u64>) -> Bot {
        Bot::start_custom(BotOptions {
            guild,
            ..BotOptions::default()
        })
        .await
    }

    /// Starts the fake and the bot set up by `options`, and waits until the bot is ready.
    pub async fn start_custom(options: BotOptions) -> Bot {
        let fake = FakeDiscord::start().await;
        let index = tempfile::tempdir().expect("temp dir for the index");
        let mut paths = match &options.knowledge {
            Some(knowledge) => test_paths_with(index.path(), knowledge),
            None => test_paths(index.path()),
        };
        if let Some(data) = &options.data {
            paths.data = data.clone();
        }
        let api_url = fake.api_url();
        let mut vars = vec![
            ("DISCORD_TOKEN", FAKE_TOKEN.to_owned()),
            ("DISCORD_API_URL", api_url),
            ("BACKCARE_WATCH_CHANNELS", WATCHED_CHANNEL_ID.to_string()),
        ];
        if let Some(guild) = options.guild {
            vars.push(("BACKCARE_GUILD_ID", guild.to_string()));
        }
        // Tests ask many questions from one member; the rate limit tests set their own.
        vars.push(("BACKCARE_RATE_LIMIT", "10000/1s".to_owned()));
        vars.extend(options.vars);
        let mut config = Config::from_lookup(&paths, |name| {
            // The last value wins, so options override the defaults above.
            vars.iter()
                .rev()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("valid test configuration");
        if let Some(pace) = options.warmup_pace {
            config.warmup_pace = pace;
        }
        let service = Service::open(&config.knowledge_dir, &config.index_dir, &config.data_dir)
            .expect("open the engine");
        let (stop, stopped) = oneshot::channel::<()>();
        let data_dir = config.data_dir.clone();
        let index_dir = config.index_dir.clone();
        let task = tokio::spawn(backcare::discord::run(
            config,
            Arc::clone(&service),
            async move {
                let _ = stopped.await;
            },
        ));
        let bot = Bot {
            fake,
            service,
            data_dir,
            index_dir,
            stop: Some(stop),
            task: Some(task),
            files: Some(index),
        };
        bot.fake.wait_ready().await;
        bot
    }

    /// Asks the bot to shut down and checks it returns `Ok` within 5 seconds.
    /// Also checks the bot made no request the fake does not know.
    pub async fn stop(self) {
        self.stop_keeping_files().await;
    }

    /// Like [`Bot::stop`], and hands back the temp folder (index and data) so the test can
    /// read what the bot left on disk.
    pub async fn stop_keeping_files(mut self) -> tempfile::TempDir {
        self.shut_down().await;
        self.files.take().expect("the bot's files")
    }

    /// Like [`Bot::stop`], keeping the fake, so the test can count what the bot sent once
    /// every question in flight was answered.
    pub async fn shut_down(&mut self) {
        assert_eq!(
            self.fake.unknown_requests(),
            Vec::<String>::new(),
            "unexpected requests"
        );
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let task = self.task.take().expect("bot task");
        let result = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the bot shut down within 5 s")
            .expect("the bot task did not panic");
        if let Err(err) = result {
            panic!("the bot returned an error on shutdown: {err:#}");
        }
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
