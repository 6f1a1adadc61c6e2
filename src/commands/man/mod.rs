//! `man [COMMAND]`: the manual pages clap_mangen renders from the CLI definition, one for
//! avatar-cli and one per command (`avatar-cli-batch(1)`, …), as `git` and `cargo` have them.
//! `man --install [DIR]` writes them all where `man` finds them.

mod install;

use crate::cli::Cli;
use crate::output::Console;
use clap::CommandFactory;
use std::io::Write;
use std::path::PathBuf;

/// Every page as (file name, roff text), avatar-cli's own first, then each command's, a
/// command's own commands after it (`avatar-cli-config-init`). The same bytes are committed
/// under `completions/`.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building sets each command's display name (`avatar-cli-batch`), which titles its page.
    cmd.build();
    with_commands(&cmd)
        .into_iter()
        .map(|c| {
            let man = clap_mangen::Man::new(c.clone())
                .source(format!("avatar-cli {}", env!("CARGO_PKG_VERSION")));
            let mut roff = Vec::new();
            // Rendering into memory cannot fail.
            let _ = render(&man, c, &mut roff);
            (man.get_filename(), roff)
        })
        .collect()
}

/// `cmd` and every visible command under it, each before its own.
fn with_commands(cmd: &clap::Command) -> Vec<&clap::Command> {
    std::iter::once(cmd)
        .chain(
            cmd.get_subcommands()
                .filter(|c| !c.is_hide_set())
                .flat_map(with_commands),
        )
        .collect()
}

/// clap_mangen's page, except that the text after the options (the column table, the
/// examples) keeps its lines: roff would otherwise fill it into paragraphs.
fn render(man: &clap_mangen::Man, cmd: &clap::Command, out: &mut Vec<u8>) -> std::io::Result<()> {
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    if cmd.get_subcommands().any(|c| !c.is_hide_set()) {
        man.render_subcommands_section(out)?;
    }
    let after = cmd
        .get_after_long_help()
        .or_else(|| cmd.get_after_help())
        .map(|t| t.to_string())
        .unwrap_or_default();
    let (notes, examples) = match after.split_once("Examples:\n") {
        Some((notes, examples)) => (notes, examples),
        None => (after.as_str(), ""),
    };
    for (heading, text) in [("NOTES", notes), ("EXAMPLES", examples)] {
        if !text.trim().is_empty() {
            writeln!(out, ".SH {heading}\n.nf")?;
            for line in text.trim_end().lines() {
                writeln!(out, "{}", roff_line(line))?;
            }
            writeln!(out, ".fi")?;
        }
    }
    man.render_version_section(out)
}

/// One line of text as roff shows it verbatim in a no-fill block.
fn roff_line(line: &str) -> String {
    let escaped = line.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// `install` is `--install`: `Some(None)` without a directory.
pub fn run(
    command: Option<&str>,
    install: Option<Option<PathBuf>>,
    console: &Console,
) -> Result<u8, crate::error::Refusal> {
    if let Some(dir) = install {
        return install::run(dir, &pages(), console);
    }
    let wanted = match command {
        None => "avatar-cli.1".to_string(),
        Some(name) => format!("avatar-cli-{name}.1"),
    };
    let pages = pages();
    let Some((_, roff)) = pages.iter().find(|(file, _)| *file == wanted) else {
        let names: Vec<&str> = pages
            .iter()
            .filter_map(|(f, _)| f.strip_prefix("avatar-cli-")?.strip_suffix(".1"))
            .collect();
        return Err(crate::error::refuse!(
            Usage,
            "no manual page for '{}': the commands are {}",
            crate::text::quote(command.unwrap_or_default()),
            names.join(", ")
        ));
    };
    console.out_bytes(roff);
    Ok(console.offline_exit(crate::error::code::OK, "the page"))
}
