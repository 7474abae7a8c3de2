//! The integration tests, in one binary so the bot and its dependencies are linked once
//! instead of once per file. `cargo test --test it cli::` runs one file's tests. Tests that
//! need a process of their own (the flood reads the bot's memory) run the `backcare` binary
//! as a child.

mod common;

mod cli;
mod discord_e2e;
mod discord_hardening;
mod discord_moderation;
mod engine_eval;
// Memory is read from /proc.
#[cfg(target_os = "linux")]
mod flood;
mod operations;
mod properties;
mod reload;
mod shared_folders;
