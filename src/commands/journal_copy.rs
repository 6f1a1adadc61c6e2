//! `journal copy FROM TO`: every notice, attempt and run of one journal into another, SQLite
//! or PostgreSQL either way (`journal::copy` decides what is copied, skipped or refused).

use crate::cli::JournalCopyArgs;
use crate::error::{code, refuse, Refusal};
use crate::journal::{CopyError, Location};
use crate::output::Console;

pub async fn run(args: &JournalCopyArgs, console: &Console) -> Result<u8, Refusal> {
    let place = |given: &std::path::Path| Location::parse(given).map_err(|e| refuse!(Usage, "{e}"));
    let (from, to) = (place(&args.from)?, place(&args.to)?);
    // The PostgreSQL client blocks: never on the runtime's thread.
    let copied = crate::run::blocking(move || {
        crate::journal::copy(&from, &to).map_err(|e| match e {
            CopyError::Journal(e) => Refusal::from(e),
            other => Refusal::Journal(other.to_string()),
        })
    })
    .await?;
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    console.out(&format!(
        "copied {}, {}, {}; {} already there",
        plural(copied.notices, "notice", "notices"),
        plural(copied.attempts, "attempt", "attempts"),
        plural(copied.runs, "run", "runs"),
        copied.already
    ));
    Ok(code::OK)
}
