//! The `backcare` binary: loads `.env`, parses the command line, starts logging and hands
//! over to the library.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use backcare::cli::{self, Cli, Command};

fn main() -> ExitCode {
    // A missing .env is normal; values from the real environment win over it.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match &cli.command {
        Command::Ask(args) => cli::ask(&cli.paths, args),
        Command::Index => cli::index(&cli.paths),
        Command::Check => cli::check(&cli.paths),
        Command::Serve => {
            eprintln!("backcare: serve is not built yet");
            ExitCode::from(2)
        }
    }
}
