//! backcare: answers back-care questions from moderated guides, and sends every message that
//! mentions a red-flag symptom to care.
//!
//! The engine ([`engine`]: [`knowledge`], [`triage`], [`search`], [`reply`], with [`store`]
//! and [`teach`] for moderators) knows nothing of Discord, and the compiler checks it: it
//! builds without the `discord` feature (`cargo check --lib --no-default-features`), which
//! gates the command line, the bot, its service and HTTP endpoints, and everything async.
//! `cli` and the Discord layer are thin front ends over it.

#[cfg(feature = "discord")]
pub mod cli;
#[cfg(feature = "discord")]
pub mod config;
#[cfg(feature = "discord")]
pub mod discord;
pub mod engine;
mod filler;
#[cfg(feature = "discord")]
pub mod health;
#[cfg(feature = "discord")]
pub mod http;
pub mod knowledge;
pub mod language;
pub mod live;
#[cfg(feature = "discord")]
pub mod logging;
pub mod morph;
pub mod phrases;
pub mod reading;
pub mod regression;
pub mod reply;
pub mod search;
#[cfg(feature = "discord")]
pub mod serve;
#[cfg(feature = "discord")]
pub mod service;
pub mod store;
pub mod teach;
pub mod text;
pub mod triage;
pub mod vocab;
pub mod warmup;
#[cfg(feature = "discord")]
pub mod watch;
mod word_table;

pub use engine::{Answer, Engine, EngineError};
