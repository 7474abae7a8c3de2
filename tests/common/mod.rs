//! Shared helpers for the Discord tests: the fake Discord, and the real bot started
//! in-process against it.

#![allow(dead_code)]

pub mod fake_discord;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

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

/// Paths to the repository's knowledge, with the index (and any data) in `dir`. Parsed like
/// the command line, so path options added later get their defaults.
pub fn test_paths(dir: &Path) -> Paths {
    let knowledge = knowledge_dir();
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

/// The real bot, running in this test's runtime against a fake Discord.
pub struct Bot {
    pub fake: FakeDiscord,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _index: tempfile::TempDir,
}

impl Bot {
    /// Starts the fake and the bot (guild commands, one watched channel) and waits until the
    /// bot is ready.
    pub async fn start() -> Bot {
        Bot::start_with(Some(GUILD_ID)).await
    }

    /// Like [`Bot::start`]; `guild` None registers the commands globally.
    pub async fn start_with(guild: Option<u64>) -> Bot {
        let fake = FakeDiscord::start().await;
        let index = tempfile::tempdir().expect("temp dir for the index");
        let paths = test_paths(index.path());
        let api_url = fake.api_url();
        let mut vars = vec![
            ("DISCORD_TOKEN", FAKE_TOKEN.to_owned()),
            ("DISCORD_API_URL", api_url),
            ("BACKCARE_WATCH_CHANNELS", WATCHED_CHANNEL_ID.to_string()),
        ];
        if let Some(guild) = guild {
            vars.push(("BACKCARE_GUILD_ID", guild.to_string()));
        }
        let config = Config::from_lookup(&paths, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("valid test configuration");
        let service = Service::open(&config.knowledge_dir, &config.index_dir, &config.data_dir)
            .expect("open the engine");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(backcare::discord::run(config, service, async move {
            let _ = stopped.await;
        }));
        let bot = Bot {
            fake,
            stop: Some(stop),
            task: Some(task),
            _index: index,
        };
        bot.fake.wait_ready().await;
        bot
    }

    /// Asks the bot to shut down and checks it returns `Ok` within 5 seconds.
    /// Also checks the bot made no request the fake does not know.
    pub async fn stop(mut self) {
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
