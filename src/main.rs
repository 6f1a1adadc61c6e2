//! Parse, run, turn the result into an exit code. Everything else is in the library.

use avatar_cli::text::escape_controls;
use avatar_cli::{cli::Cli, commands, error::code};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            let shown: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into()).collect();
            if let Some(message) = avatar_cli::cli::explain(&e, &shown) {
                say(&message);
                return ExitCode::from(code::USAGE);
            }
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                code::USAGE
            } else {
                code::OK
            });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say(&format!("cannot start the async runtime: {e}"));
            return ExitCode::from(code::FAILED);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            // Every error that reaches here was found before anything was sent.
            say(&format!("{e:#}"));
            ExitCode::from(code::USAGE)
        }
    }
}

/// An error on stderr, escaped like every other line there. A stderr that cannot be written is
/// no reason to panic: the exit code still tells.
fn say(message: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "error: {}",
        escape_controls(message)
    );
}
