//! Parse, run, turn the result into an exit code. Everything else is in the library; this is
//! the one place that ends the process, but for a second Ctrl-C (`signals.rs`), which must
//! not wait for the runtime.

use avatar_cli::error::Refusal;
use avatar_cli::text::escape_controls;
use avatar_cli::{cli::Cli, commands};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Before anything else: SQLite takes this setting only before its first use.
    avatar_cli::prepare_process();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            let shown: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into()).collect();
            if let Some(message) = avatar_cli::cli::explain(&e, &shown) {
                return refused(&Refusal::Usage(message));
            }
            // --help and --version print to stdout and succeed; usage errors exit 2.
            let _ = e.print();
            return ExitCode::from(avatar_cli::error::parsed(e.use_stderr()));
        }
    };
    // A client needs one runtime thread: the work that blocks (file passes, the journal's
    // writer, reading the input again) has threads of its own, and on two cores shared with the
    // server a second worker only added hand-offs (measured: +17% notices/s without the
    // journal, +6% with it). The sandbox is a server for any number of clients: it keeps one
    // worker per core.
    let mut builder = match cli.command {
        avatar_cli::cli::Command::Sandbox(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            return refused(&Refusal::Machine(format!(
                "cannot start the async runtime: {e}"
            )))
        }
    };
    ExitCode::from(runtime.block_on(commands::run(cli)))
}

/// A refusal before any command could run (no console exists yet), on stderr, escaped like
/// every other line there. A stderr that cannot be written is no reason to panic: the exit
/// code still tells.
fn refused(refusal: &Refusal) -> ExitCode {
    let _ = writeln!(
        std::io::stderr().lock(),
        "error: {}",
        escape_controls(&refusal.to_string())
    );
    ExitCode::from(refusal.exit_code())
}
