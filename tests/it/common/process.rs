//! A `backcare` process started by a test: killed if the test fails first, and stopped the
//! way a service manager stops it.

use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

/// `backcare` with a clean environment (no developer `.env`: the working dir is `dir`), the
/// repository's knowledge, and its index and data in `dir`.
pub fn backcare(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backcare"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("BACKCARE_KNOWLEDGE_DIR", super::knowledge_dir())
        .env("BACKCARE_INDEX_DIR", dir.join("index"))
        .env("BACKCARE_DATA_DIR", dir.join("data"));
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// Kills the child process if the test fails before it exits by itself.
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Sends SIGTERM and returns the exit status, failing the test unless the process
    /// exits within `limit`.
    pub async fn terminate_within(&mut self, limit: Duration) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(exit) = self.0.try_wait().expect("poll the child") {
                return exit;
            }
            assert!(
                Instant::now() < deadline,
                "the process did not exit within {limit:?} of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
