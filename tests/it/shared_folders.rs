//! Several `backcare` processes on one host sharing the index and data folders, as a script,
//! a cron job or one systemd unit per shard starts them: started together on a fresh folder,
//! or on knowledge edited since the index was built, every one answers, and an edit is
//! reported to the moderators once. Also: a folder the process cannot write, and Discord
//! refusing the connection for good. Everything runs the real binary; Discord is the fake
//! on 127.0.0.1.

use crate::common;

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use common::fake_discord::{
    embed_text, FakeDiscord, BOT_ID, CHANNEL_ID, GUILD_ID, MOD_LOG_CHANNEL_ID, WATCHED_CHANNEL_ID,
};
use common::process::KillOnDrop;
use common::FAKE_TOKEN;

/// Processes started at once, and how many times over.
const PROCESSES: usize = 8;
const ROUNDS: usize = 20;

/// Generous bound on any wait for a process: the machine is shared and may be slow.
const WAIT: Duration = Duration::from_secs(60);

const QUESTION: &str = "how do I do the side bend on my chair";

/// `backcare` with a clean environment and these folders.
fn backcare(knowledge: &Path, index: &Path, data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backcare"));
    command
        .env_clear()
        .env("BACKCARE_KNOWLEDGE_DIR", knowledge)
        .env("BACKCARE_INDEX_DIR", index)
        .env("BACKCARE_DATA_DIR", data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn ask(knowledge: &Path, index: &Path) -> Child {
    backcare(knowledge, index, &index.with_extension("data"))
        .args(["ask", "--json", QUESTION])
        .spawn()
        .expect("start backcare ask")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Starts [`PROCESSES`] `ask`s at once and checks that every one answered with `title`.
fn all_answer(knowledge: &Path, index: &Path, title: &str, round: usize) {
    let children: Vec<Child> = (0..PROCESSES).map(|_| ask(knowledge, index)).collect();
    for (n, child) in children.into_iter().enumerate() {
        let out: Output = child.wait_with_output().expect("wait for backcare ask");
        assert!(
            out.status.success(),
            "round {round}, process {n} exited {:?}: {}",
            out.status.code(),
            text(&out.stderr)
        );
        let answer: Value = serde_json::from_slice(&out.stdout).expect("one JSON answer");
        assert_eq!(
            answer["section"]["title"], title,
            "round {round}, process {n}"
        );
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("read the guide");
    assert!(text.contains(from), "{from}");
    fs::write(path, text.replacen(from, to, 1)).expect("write the guide");
}

const SIDE_BEND: &str = "## Seated side bend {#seated-side-bend .technique}";

fn side_bend_titled(title: &str) -> String {
    format!("## {title} {{#seated-side-bend .technique}}")
}

#[test]
fn eight_processes_started_together_on_a_fresh_index_folder_all_answer() {
    let dir = tempfile::tempdir().expect("temp dir");
    for round in 0..ROUNDS {
        let index = dir.path().join(format!("index-{round}"));
        all_answer(&common::knowledge_dir(), &index, "Seated side bend", round);
    }
}

#[test]
fn eight_processes_started_together_after_a_knowledge_edit_all_answer_from_the_new_knowledge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let knowledge = common::copy_knowledge(dir.path());
    let index = dir.path().join("index");
    let guide = knowledge.join("lower-back.md");
    all_answer(&knowledge, &index, "Seated side bend", 0);
    let mut before = SIDE_BEND.to_owned();
    for round in 1..=ROUNDS {
        // The index on disk was built for the previous edit; every process finds it stale.
        let title = format!("Chair side bend {round}");
        let after = side_bend_titled(&title);
        edit(&guide, &before, &after);
        before = after;
        all_answer(&knowledge, &index, &title, round);
    }
    // Old generations are cleaned up, not kept one per edit.
    let generations = fs::read_dir(&index)
        .expect("read the index folder")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("gen-"))
        })
        .count();
    assert!(generations <= 3, "{generations} generations kept");
}

/// This process's effective user id (the owner of its `/proc` entry).
fn euid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0)
}

/// `backcare ask --json QUESTION` on `index`, as a user who cannot write it: as nobody when
/// the tests run as root (root writes anywhere), as a locked-down service user would be.
fn ask_without_write_access(index: &Path) -> Output {
    let mut command = if euid() == 0 {
        let mut as_nobody = Command::new("setpriv");
        as_nobody
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(env!("CARGO_BIN_EXE_backcare"))
            .env_clear()
            .stdin(Stdio::null());
        as_nobody
    } else {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backcare"));
        command.env_clear().stdin(Stdio::null());
        command
    };
    command
        .env("BACKCARE_KNOWLEDGE_DIR", common::knowledge_dir())
        .env("BACKCARE_INDEX_DIR", index)
        .env("BACKCARE_DATA_DIR", index.with_extension("data"))
        .args(["ask", "--json", QUESTION])
        .output()
        .expect("run backcare ask")
}

/// Takes the write permissions off `path` and everything in it (`chmod -R a-w`).
fn read_only(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("read a folder") {
            read_only(&entry.expect("an entry").path());
        }
    }
    let mode = fs::metadata(path).expect("stat").permissions().mode() & !0o222;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A temporary folder others may enter (tempfile makes it 0700).
fn open_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("temp dir");
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

#[test]
fn an_index_folder_the_process_cannot_write_answers_from_memory_with_one_warning() {
    let dir = open_tempdir();
    let index = dir.path().join("index");
    fs::create_dir(&index).expect("create the index folder");
    read_only(&index);
    let out = ask_without_write_access(&index);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let answer: Value = serde_json::from_slice(&out.stdout).expect("one JSON answer");
    assert_eq!(answer["section"]["title"], "Seated side bend");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("WARN") && err.contains("answering from an index in memory"),
        "{err}"
    );
    assert_eq!(fs::read_dir(&index).expect("read the index").count(), 0);
}

#[test]
fn a_read_only_index_folder_built_for_this_knowledge_is_opened_without_a_warning() {
    let dir = open_tempdir();
    let index = dir.path().join("index");
    let built = ask(&common::knowledge_dir(), &index)
        .wait_with_output()
        .expect("build the index");
    assert!(built.status.success(), "{}", text(&built.stderr));
    read_only(&index);
    let out = ask_without_write_access(&index);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let answer: Value = serde_json::from_slice(&out.stdout).expect("one JSON answer");
    assert_eq!(answer["section"]["title"], "Seated side bend");
}

// --- `serve` against the fake Discord ---

fn mention(text: &str) -> String {
    format!("<@{BOT_ID}> {text}")
}

/// A `backcare serve` process whose log goes to a file the test reads.
struct Served {
    process: KillOnDrop,
    log: PathBuf,
}

impl Served {
    fn start(fake: &FakeDiscord, dir: &Path, name: &str, vars: &[(&str, &str)]) -> Served {
        let log = dir.join(format!("{name}.log"));
        let mut command = backcare(
            &dir.join("knowledge"),
            &dir.join("index"),
            &dir.join("data"),
        );
        command
            .arg("serve")
            .env("DISCORD_TOKEN", FAKE_TOKEN)
            .env("DISCORD_API_URL", fake.api_url())
            .env("BACKCARE_GUILD_ID", GUILD_ID.to_string())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("create the log file"));
        for (name, value) in vars {
            command.env(name, value);
        }
        Served {
            process: KillOnDrop(command.spawn().expect("start backcare serve")),
            log,
        }
    }

    fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Waits (at most [`WAIT`]) until the log has `count` lines containing `what`.
    async fn wait_log(&self, what: &str, count: usize) {
        let deadline = Instant::now() + WAIT;
        while self.log().matches(what).count() < count {
            assert!(
                Instant::now() < deadline,
                "no {count}x `{what}` in the log within {WAIT:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the process to exit by itself and returns its exit code.
    async fn exit_code(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.process.0.try_wait().expect("poll the process") {
                return status.code();
            }
            assert!(
                Instant::now() < deadline,
                "still running after {WAIT:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Asks on `shard` until the reply's text contains `want` (a reload may still be under way),
/// within [`WAIT`].
async fn wait_answer_on(fake: &FakeDiscord, shard: u32, want: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let from = fake.mark();
        let (id, message) = fake.message(CHANNEL_ID, Some(GUILD_ID), &mention(QUESTION));
        fake.dispatch_on(shard, "MESSAGE_CREATE", message).await;
        let reply = fake.wait_reply_to(from, id).await;
        let text = embed_text(&reply.body);
        if text.contains(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "shard {shard} still answers without `{want}` after {WAIT:?}: {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn mod_log_posts(fake: &FakeDiscord) -> Vec<String> {
    let path = format!("/api/v10/channels/{MOD_LOG_CHANNEL_ID}/messages");
    fake.since(0)
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == path)
        .map(|r| r.body["content"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_sharing_the_folders_both_reload_one_edit_and_report_it_once() {
    let fake = FakeDiscord::start().await;
    fake.set_gateway_shards(2);
    let dir = tempfile::tempdir().expect("temp dir");
    let knowledge = common::copy_knowledge(dir.path());
    let mod_log = MOD_LOG_CHANNEL_ID.to_string();
    let shard = |range: &'static str| {
        [
            ("BACKCARE_SHARDS", "2"),
            ("BACKCARE_SHARD_RANGE", range),
            ("BACKCARE_MOD_LOG_CHANNEL", mod_log.as_str()),
        ]
    };
    let mut first = Served::start(&fake, dir.path(), "first", &shard("0..=0"));
    let mut second = Served::start(&fake, dir.path(), "second", &shard("1..=1"));
    for served in [&first, &second] {
        served
            .wait_log("watching the knowledge folder for edits", 1)
            .await;
    }
    wait_answer_on(&fake, 0, "Seated side bend").await;
    wait_answer_on(&fake, 1, "Seated side bend").await;

    edit(
        &knowledge.join("lower-back.md"),
        SIDE_BEND,
        &side_bend_titled("Chair side bend"),
    );
    for served in [&first, &second] {
        served.wait_log("knowledge reloaded", 1).await;
    }
    wait_answer_on(&fake, 0, "Chair side bend").await;
    wait_answer_on(&fake, 1, "Chair side bend").await;
    first
        .wait_log("reload result posted to the moderators' log", 1)
        .await;
    for served in [&mut first, &mut second] {
        served.process.terminate_within(WAIT).await;
        let log = served.log();
        assert!(!log.contains("reload refused"), "{log}");
        assert!(!log.contains("ERROR"), "{log}");
    }
    // Both processes have stopped: nothing more can be posted.
    let posts = mod_log_posts(&fake);
    assert_eq!(
        posts,
        ["Knowledge reloaded: sections changed: seated-side-bend."]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_content_intent_exits_2_naming_the_switch() {
    let fake = FakeDiscord::start().await;
    fake.refuse_identify(Some(4014));
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_knowledge(dir.path());
    let watched = WATCHED_CHANNEL_ID.to_string();
    let mut served = Served::start(
        &fake,
        dir.path(),
        "serve",
        &[("BACKCARE_WATCH_CHANNELS", watched.as_str())],
    );
    assert_eq!(served.exit_code().await, Some(2), "{}", served.log());
    let log = served.log();
    assert!(
        log.contains(
            "watched channels need the Message Content intent: turn it on under Bot > \
             Privileged Gateway Intents, or unset BACKCARE_WATCH_CHANNELS"
        ),
        "{log}"
    );
    assert!(
        log.lines()
            .last()
            .unwrap_or_default()
            .starts_with("backcare: "),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_exits_2_and_says_so_without_printing_it() {
    let fake = FakeDiscord::start().await;
    fake.refuse_identify(Some(4004));
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_knowledge(dir.path());
    let mut served = Served::start(&fake, dir.path(), "serve", &[]);
    assert_eq!(served.exit_code().await, Some(2), "{}", served.log());
    let log = served.log();
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("backcare: ") && last.contains("Discord refused the token"),
        "{log}"
    );
    assert!(!log.contains(FAKE_TOKEN), "{log}");
    assert!(!log.contains("fake.token"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_refused_over_rest_while_connecting_exits_2_the_same_way() {
    let fake = FakeDiscord::start().await;
    fake.refuse_token(true);
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_knowledge(dir.path());
    let mut served = Served::start(&fake, dir.path(), "serve", &[]);
    assert_eq!(served.exit_code().await, Some(2), "{}", served.log());
    let log = served.log();
    let last = log.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("backcare: ") && last.contains("Discord refused the token"),
        "{log}"
    );
    assert!(!log.contains(FAKE_TOKEN), "{log}");
}

/// Answers each store-writing child process counts, and how many it writes at a time.
const STORE_ANSWERS: usize = 2_000;
const STORE_BATCH: usize = 25;
const STORE_CHILD: &str = "BACKCARE_TEST_STORE_CHILD";

/// Not a test on its own: the body of each process in
/// [`two_processes_writing_one_store_at_once_lose_no_count`], run when that test starts
/// this test binary again with the data folder in [`STORE_CHILD`].
#[test]
#[ignore = "run as a child process by two_processes_writing_one_store_at_once_lose_no_count"]
fn store_writing_child() {
    let Some(data) = std::env::var_os(STORE_CHILD) else {
        return;
    };
    let knowledge = backcare::knowledge::Knowledge::load(&common::knowledge_dir()).unwrap();
    let engine = backcare::engine::Engine::in_memory(knowledge).unwrap();
    let answered = engine.ask(QUESTION);
    let unanswered = engine.ask("what is the capital of peru");
    let store = backcare::store::Store::open(Path::new(&data)).expect("open the store");
    for i in 0..STORE_ANSWERS {
        let answer = if i % 10 == 0 { &unanswered } else { &answered };
        store.record(QUESTION, answer, "mention");
        store.vote(
            &format!("reply-{i}"),
            std::process::id().into(),
            "seated-side-bend",
            true,
        );
        if i % STORE_BATCH == 0 {
            // Every write must land: a "database is locked" error fails the child.
            store.flush().expect("write to the shared store");
        }
    }
    store.flush().expect("write to the shared store");
}

#[test]
fn two_processes_writing_one_store_at_once_lose_no_count() {
    let data = tempfile::tempdir().expect("temp dir");
    let children: Vec<Child> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().expect("this test binary"))
                .args([
                    "--exact",
                    "shared_folders::store_writing_child",
                    "--ignored",
                    "--nocapture",
                ])
                .env(STORE_CHILD, data.path())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a child")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait for a child");
        assert!(
            out.status.success(),
            "{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("1 passed"),
            "{}",
            text(&out.stdout)
        );
    }
    let stats = backcare::store::Store::open(data.path())
        .and_then(|store| store.stats())
        .expect("read the store");
    assert_eq!(stats.asked, 2 * STORE_ANSWERS as u64);
    assert_eq!(stats.unanswered, 2 * (STORE_ANSWERS as u64 / 10));
    // One vote per reply and member: each process voted once on each of its replies.
    assert_eq!(
        stats.sections["seated-side-bend"].helpful,
        2 * STORE_ANSWERS as u64
    );
}
