//! `completions <SHELL>`: the script clap_complete generates from the CLI definition.

use crate::cli::Cli;
use clap::CommandFactory;

pub fn run(shell: clap_complete::Shell) -> Result<u8, crate::error::Refusal> {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "avatar-cli",
        &mut std::io::stdout(),
    );
    Ok(crate::error::code::OK)
}
