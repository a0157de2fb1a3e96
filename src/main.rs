//! `challenge-bot`: parse the command line, set up logging, run the command, report.
//!
//! Exit status: 0 on success; 1 when a command fails (bad input, a refusal such as joining
//! twice, a setting or a database that cannot be used), with one `error: …` line on stderr;
//! 2 for usage errors (unknown flags, missing arguments), reported by clap.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use challenge_bot::protocol::cli::{self, Cli, CliError};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    let (cli, config) = Cli::from_env();
    init_tracing(cli.command.default_log_filter());
    let result = match config {
        Ok(config) => cli::run(cli, config).await,
        Err(e) => Err(CliError::from(e)),
    };
    match result {
        Ok(text) => print(&text),
        Err(error) => {
            eprintln!("error: {}", error.one_line());
            error.exit_code()
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: the command's, quiet for the scripted
/// commands so that their output stays clean).
fn init_tracing(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Writes the command's output; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: could not write the output: {e}");
            ExitCode::FAILURE
        }
    }
}
