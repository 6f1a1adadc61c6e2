//! One file per subcommand: each wires the layers below for its command and decides nothing
//! itself. No command file uses another.

mod batch;
pub mod completions;
mod config;
mod doctor;
mod history;
pub mod man;
mod sandbox;
mod send;
mod validate;

use crate::cli::{Cli, Command};

/// Runs the parsed command; the `Ok` value is the exit code.
pub async fn run(cli: Cli) -> Result<u8, crate::error::Refusal> {
    match cli.command {
        Command::Send(args) => send::run(cli.global, args).await,
        Command::Batch(args) => batch::run(cli.global, args).await,
        Command::Validate(args) => validate::run(&cli.global, &args),
        Command::History(args) => history::run(&cli.global, &args),
        Command::Sandbox(args) => sandbox::run(&cli.global, &args).await,
        Command::Doctor(args) => doctor::run(&cli.global, &args).await,
        Command::Config(command) => config::run(&cli.global, &command),
        Command::Completions { shell } => completions::run(shell),
        Command::Man { command, install } => man::run(command.as_deref(), install),
    }
}
