//! `challenge-bot`: parse the command line, set up logging, run the command, report.
//!
//! Exit status: 0 on success; 1 when a command fails (bad input, a refusal such as joining
//! twice, a setting or a database that cannot be used), with one `error: …` line on stderr;
//! 2 for usage errors (unknown flags, missing arguments, a missing bot token); 3 when a command
//! stored a change but could not write its output.

use std::io::Write;
use std::process::ExitCode;

use challenge_bot::protocol::cli::{self, Cli, CliError, Output};

#[tokio::main]
async fn main() -> ExitCode {
    let (cli, config) = Cli::from_env();
    challenge_bot::telemetry::init(cli.command.default_log_filter());
    let result = match config {
        Ok(config) => cli::run(cli, config).await,
        Err(e) => Err(CliError::from(e)),
    };
    match result {
        Ok(output) => print(&output),
        Err(error) => {
            eprintln!("error: {}", error.one_line());
            error.exit_code()
        }
    }
}

/// Writes the command's output; a closed pipe (`| head`) is not an error.
fn print(output: &Output) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(output.text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) if output.changed => {
            eprintln!("error: the change was stored, but its output could not be written: {e}");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("error: could not write the output: {e}");
            ExitCode::FAILURE
        }
    }
}
