//! The integration tests, in one binary so the bot and its dependencies are linked once
//! instead of once per file. `cargo test --test it cli::` runs one file's tests. The flood
//! test has a binary of its own (`tests/flood.rs`): it reads the process's memory.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod discord_e2e;
mod discord_hardening;
mod discord_moderation;
mod engine_eval;
mod operations;
mod properties;
mod reload;
mod shared_folders;
