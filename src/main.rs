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
        Command::Diff(args) => cli::diff(&cli.paths, args),
        Command::Stats => cli::stats(&cli.paths),
        Command::Serve => {
            let config = match backcare::config::Config::from_env(&cli.paths) {
                Ok(config) => config,
                Err(err) => {
                    for line in err.lines() {
                        eprintln!("backcare: {line}");
                    }
                    return ExitCode::from(2);
                }
            };
            let service = match backcare::service::Service::open(
                &config.knowledge_dir,
                &config.index_dir,
                &config.data_dir,
            ) {
                Ok(service) => service,
                Err(err) => {
                    eprintln!("backcare: {err:#}");
                    return ExitCode::from(1);
                }
            };
            let runtime = match tokio::runtime::Runtime::new() {
                Ok(runtime) => runtime,
                Err(err) => {
                    eprintln!("backcare: cannot start the async runtime: {err}");
                    return ExitCode::from(1);
                }
            };
            let shutdown = backcare::discord::shutdown_signal();
            let result = runtime.block_on(backcare::discord::run(config, service, shutdown));
            // Whatever is still running must not hold the exit up.
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("backcare: {err:#}");
                    ExitCode::from(1)
                }
            }
        }
    }
}
