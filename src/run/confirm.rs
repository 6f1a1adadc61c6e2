//! Production needs a "yes": typed on the terminal, or `--yes` where there is none.

use crate::config::{self, Settings};
use crate::error::Refusal;
use crate::refuse;
use std::io::{BufRead, IsTerminal, Write};

/// Asks (through `/dev/tty`, so `batch -` can still ask) before `count` notices go to
/// production. Blocks on the terminal: called from a blocking thread.
pub(crate) fn production(
    settings: &Settings,
    base_url: &str,
    count: u64,
    yes: bool,
) -> Result<(), Refusal> {
    if !settings.is_production() || yes || count == 0 {
        return Ok(());
    }
    let host = config::url_host(base_url).unwrap_or_else(|| base_url.to_string());
    let channel = settings.policy_source.as_deref().unwrap_or("?");
    let interactive = std::io::stdin().is_terminal() || std::io::stderr().is_terminal();
    let tty = interactive
        .then(|| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .ok()
        })
        .flatten();
    let Some(mut tty) = tty else {
        return Err(refuse!(
            Declined,
            "refusing to send {count} notice(s) to PRODUCTION ({host}) for channel {channel} without confirmation: \
             there is no terminal to ask on; pass --yes"
        ));
    };
    let mut answer = String::new();
    write!(tty, "Send {count} refund notice(s) to PRODUCTION ({host}) for channel {channel}? Type 'yes' to go on: ")
        .and_then(|()| tty.flush())
        .and_then(|()| std::io::BufReader::new(&tty).read_line(&mut answer))
        .map_err(|e| Refusal::Declined(e.to_string()))?;
    if answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(refuse!(Declined, "not confirmed: nothing was sent"))
    }
}
