//! Starts tracing: lines on stderr, filtered by `RUST_LOG`, readable or one JSON object each.
//!
//! Called once by the binary. Nothing logged anywhere may carry the token: it only ever
//! exists as a [`crate::config::Secret`], which prints as `[redacted]`.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// Installs the global subscriber. `default_filter` applies when `RUST_LOG` (the config's
/// `log_filter`) is unset or invalid (an invalid one is reported on stderr, since logging
/// is not up yet).
pub fn init(config: &Config, default_filter: &str) {
    let filter = match &config.log_filter {
        Some(value) => EnvFilter::try_new(value).unwrap_or_else(|err| {
            eprintln!("backcare: RUST_LOG is not a valid filter ({err}); using {default_filter}");
            EnvFilter::new(default_filter)
        }),
        None => EnvFilter::new(default_filter),
    };
    // Colours only for a person at a terminal, not in journald or `docker logs`.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}
