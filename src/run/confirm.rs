//! Production needs a "yes": typed on the terminal, or `--yes` where there is none.

use crate::error::refuse;
use crate::error::Refusal;
use crate::output::terminal;
use crate::output::Console;
use crate::settings::Settings;
use std::io::{BufRead, Write};

/// Asks (through `/dev/tty`, so `batch -` can still ask) before `count` notices go to
/// production. Blocks on the terminal: called from a blocking thread.
pub(crate) fn production(
    console: &Console,
    settings: &Settings,
    base_url: &str,
    count: u64,
    yes: bool,
) -> Result<(), Refusal> {
    if !settings.is_production() || yes || count == 0 {
        return Ok(());
    }
    let host = crate::base_url::host(base_url);
    let channel = settings.policy_source.value.as_deref().unwrap_or("?");
    let question = format!(
        "Send {count} refund notice(s) to PRODUCTION ({host}) for channel {channel}? Type 'yes' to go on: "
    );
    if terminal::forced() {
        // A terminal played by pipes (tests, a harness): asked on stderr, answered on stdin.
        let mut answer = String::new();
        console
            .ask(&question)
            .and_then(|()| std::io::stdin().lock().read_line(&mut answer))
            .map_err(|e| Refusal::Declined(e.to_string()))?;
        return confirmed(&answer);
    }
    let interactive = terminal::stdin_is_terminal() || terminal::stderr_is_terminal();
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
    write!(tty, "{question}")
        .and_then(|()| tty.flush())
        .and_then(|()| std::io::BufReader::new(&tty).read_line(&mut answer))
        .map_err(|e| Refusal::Declined(e.to_string()))?;
    confirmed(&answer)
}

fn confirmed(answer: &str) -> Result<(), Refusal> {
    if answer.trim().eq_ignore_ascii_case("yes") {
        Ok(())
    } else {
        Err(refuse!(Declined, "not confirmed: nothing was sent"))
    }
}
