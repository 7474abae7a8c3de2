//! The `backcare` binary: loads `.env`, parses the command line, reads the configuration,
//! starts logging and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

use backcare::cli::{self, Cli, Command};

fn main() -> ExitCode {
    // A missing .env is normal; values from the real environment win over it.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let checked = cli.config();
    // The bot reports what it does (but not each index commit); a command-line tool stays
    // quiet unless something is wrong.
    let default_filter = match cli.command {
        Command::Serve(_) => "info,tantivy=warn",
        _ => "warn",
    };
    backcare::logging::init(&checked.config, default_filter);
    match &cli.command {
        Command::Ask(args) => cli::ask(&cli.paths, args),
        Command::Index => cli::index(&cli.paths),
        Command::Check => cli::check(&cli.paths),
        Command::Diff(args) => cli::diff(&cli.paths, args),
        Command::Stats(args) => cli::stats(&cli.paths, args),
        Command::Unanswered(args) => cli::unanswered(&cli.paths, args),
        Command::Teach(args) => cli::teach(&cli.paths, args),
        Command::Config(_) => cli::config(&checked),
        Command::Serve(_) => cli::serve(checked),
    }
}
