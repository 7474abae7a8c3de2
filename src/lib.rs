//! backcare: answers back-care questions from moderated guides, and sends every message that
//! mentions a red-flag symptom to care.
//!
//! The engine ([`engine`]: [`knowledge`], [`triage`], [`search`], [`reply`]) knows nothing of
//! Discord; [`cli`] and the Discord layer are thin front ends over it.

pub mod cli;
pub mod config;
pub mod discord;
pub mod engine;
pub mod health;
pub mod http;
pub mod knowledge;
pub mod live;
pub mod logging;
pub mod morph;
pub mod phrases;
pub mod reading;
pub mod regression;
pub mod reply;
pub mod search;
pub mod serve;
pub mod service;
pub mod store;
pub mod teach;
pub mod text;
pub mod triage;
pub mod vocab;
pub mod warmup;
pub mod watch;

pub use engine::{Answer, Engine, EngineError};
