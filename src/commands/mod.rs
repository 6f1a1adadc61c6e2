//! One file per subcommand: each wires the layers below for its command and decides nothing
//! itself. No command file uses another.

mod batch;
pub mod completions;
mod config;
mod doctor;
mod history;
mod journal;
mod journal_copy;
pub mod man;
mod sandbox;
mod send;
mod validate;

use crate::cli::{Cli, Command};
use crate::output::Console;
use std::sync::Arc;

/// Runs the parsed command and answers its exit code. Everything it writes goes through one
/// console, a refusal included.
pub async fn run(cli: Cli) -> u8 {
    let console = Arc::new(Console::new(&cli.global));
    let global = cli.global;
    let ran = match cli.command {
        Command::Send(args) => send::run(global, args, &console).await,
        Command::Batch(args) => batch::run(global, args, &console).await,
        Command::Validate(args) => validate::run(&global, &args, &console),
        Command::History(args) => history::run(&global, &args, &console),
        Command::Sandbox(args) => sandbox::run(&args, &console).await,
        Command::Doctor(args) => doctor::run(&global, &args, &console).await,
        Command::Config(command) => config::run(&global, &command, &console),
        Command::Journal(command) => journal::run(&global, &command, &console).await,
        Command::Completions { shell } => completions::run(shell, &console),
        Command::Man { command, install } => man::run(command.as_deref(), install, &console),
    };
    match ran {
        Ok(code) => code,
        // A refusal is made only before anything is sent.
        Err(refusal) => {
            console.error(&refusal.to_string());
            refusal.exit_code()
        }
    }
}
