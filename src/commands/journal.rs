//! `journal`: looking after a journal kept for years. `stats` says what it holds, `backup`
//! copies it while runs write, `prune --bodies-before` drops old request and answer bodies and
//! keeps every fact. The work is the journal's (`journal::upkeep`); this wires it to the
//! command line and says what happened.

use crate::cli::{GlobalArgs, JournalBackupArgs, JournalCommand, JournalPruneArgs, OutputFormat};
use crate::error::{code, refuse, Refusal};
use crate::journal::upkeep::{self, Stats};
use crate::output::Console;
use crate::protocol::{cst, CstDateTime};
use crate::settings::{JournalChoice, Settings};
use crate::text::escape_controls;
use chrono::NaiveDate;
use serde_json::json;
use std::path::Path;
use unicode_width::UnicodeWidthStr;

type Result<T> = std::result::Result<T, Refusal>;

pub async fn run(global: &GlobalArgs, command: &JournalCommand, console: &Console) -> Result<u8> {
    let path = |name: &str| sqlite_journal(global, name);
    let code = match command {
        JournalCommand::Copy(args) => return super::journal_copy::run(args, console).await,
        JournalCommand::Stats(_) => stats(&path("stats")?, console)?,
        JournalCommand::Backup(args) => backup(&path("backup")?, args, console)?,
        JournalCommand::Prune(args) => prune(&path("prune")?, args, console)?,
    };
    if console.stdout_failure().is_some() {
        return Ok(console.offline_exit(code, "the journal's figures"));
    }
    Ok(code)
}

/// The run's journal, which `journal NAME` looks after: a SQLite file.
fn sqlite_journal(global: &GlobalArgs, name: &str) -> Result<std::path::PathBuf> {
    let settings = Settings::resolve(global)?;
    match &settings.journal.value {
        JournalChoice::File(path) => Ok(path.clone()),
        JournalChoice::Postgres(at) => Err(refuse!(
            Usage,
            "the journal {at} is in PostgreSQL: `journal {name}` works on a SQLite journal; back a PostgreSQL one up with pg_dump, and count or prune it in SQL (README, \"A journal shared in PostgreSQL\")"
        )),
        JournalChoice::Disabled => Err(refuse!(
            Usage,
            "--no-journal: there is no journal to look after"
        )),
    }
}

fn shown(path: &Path) -> String {
    escape_controls(&path.display().to_string()).into_owned()
}

fn json_out(console: &Console) -> bool {
    console.format() == OutputFormat::Json
}

/// The figures as a JSON object, to which the command adds where they came from. (Plain
/// structs of numbers and strings serialize; should one not, the user gets a message, not a
/// panic.)
fn as_json(figures: &impl serde::Serialize) -> Result<serde_json::Value> {
    serde_json::to_value(figures)
        .map_err(|e| refuse!(Output, "could not write the journal's figures as JSON: {e}"))
}

fn stats(path: &Path, console: &Console) -> Result<u8> {
    let Some(stats) = upkeep::stats(path)? else {
        console.note(&format!(
            "no journal at {} yet: nothing has been sent with it",
            shown(path)
        ));
        return Ok(code::OK);
    };
    if json_out(console) {
        let mut value = as_json(&stats)?;
        value["journal"] = json!(path.display().to_string());
        console.out(&value.to_string());
        return Ok(code::OK);
    }
    console.out(&format!(
        "journal   {} ({}, schema version {})",
        shown(path),
        stats.backend,
        stats.schema_version
    ));
    console.out(&format!(
        "size      {} on disk, of which bodies {}",
        size(stats.bytes),
        size(stats.body_bytes),
    ));
    console.out(&format!(
        "notices   {}, with {} attempts ({} with their bodies pruned)",
        stats.notices, stats.attempts, stats.pruned_attempts
    ));
    if !stats.groups.is_empty() {
        console.out("");
        for line in table(&stats) {
            console.out(line.trim_end());
        }
    }
    Ok(code::OK)
}

/// Bytes, exactly and in the unit a person reads.
fn size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    match bytes {
        b if b >= MB => format!("{:.1} MiB ({b} bytes)", b as f64 / MB as f64),
        b if b >= 1024 => format!("{:.1} KiB ({b} bytes)", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// One row per platform and channel, columns as wide as their widest cell.
fn table(stats: &Stats) -> Vec<String> {
    let head = [
        "platform", "channel", "notices", "attempts", "accepted", "rejected", "failed", "inDoubt",
        "notSent", "oldest", "newest",
    ];
    let mut rows = vec![head.map(String::from).to_vec()];
    for g in &stats.groups {
        let counts = [
            g.notices, g.attempts, g.accepted, g.rejected, g.failed, g.in_doubt, g.not_sent,
        ];
        let mut row = vec![
            escape_controls(&g.endpoint).into_owned(),
            escape_controls(&g.policy_source).into_owned(),
        ];
        row.extend(counts.iter().map(u64::to_string));
        row.push(g.oldest.clone().unwrap_or_default());
        row.push(g.newest.clone().unwrap_or_default());
        rows.push(row);
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|i| rows.iter().map(|r| r[i].width()).max().unwrap_or(0))
        .collect();
    let numeric = |i: usize| (2..9).contains(&i);
    rows.iter()
        .map(|row| {
            let cells = row.iter().enumerate().map(|(i, cell)| {
                let pad = " ".repeat(widths[i] - cell.width());
                if numeric(i) {
                    format!("{pad}{cell}")
                } else {
                    format!("{cell}{pad}")
                }
            });
            cells.collect::<Vec<_>>().join("  ")
        })
        .collect()
}

fn backup(path: &Path, args: &JournalBackupArgs, console: &Console) -> Result<u8> {
    let to = std::path::absolute(&args.file).unwrap_or_else(|_| args.file.clone());
    let own = crate::journal::files(&crate::journal::Location::File(
        std::path::absolute(path).unwrap_or(path.to_path_buf()),
    ));
    if own.contains(&to) {
        return Err(refuse!(
            Usage,
            "{} is the journal itself (or one of its files); name another file for the copy",
            shown(&args.file)
        ));
    }
    if !args.force && std::fs::symlink_metadata(&to).is_ok() {
        return Err(refuse!(
            Usage,
            "{} already exists; name a new file, or pass --force to replace it",
            shown(&args.file)
        ));
    }
    let Some(copy) = upkeep::backup(path, &to, args.force)? else {
        return Err(refuse!(
            Journal,
            "no journal at {} yet: there is nothing to back up",
            shown(path)
        ));
    };
    if json_out(console) {
        let mut value = as_json(&copy)?;
        value["journal"] = json!(path.display().to_string());
        value["file"] = json!(to.display().to_string());
        console.out(&value.to_string());
    } else {
        console.out(&format!(
            "backed up the journal {} to {}: {} notices, {} attempts, {}",
            shown(path),
            shown(&to),
            copy.notices,
            copy.attempts,
            size(copy.bytes)
        ));
    }
    Ok(code::OK)
}

fn prune(path: &Path, args: &JournalPruneArgs, console: &Console) -> Result<u8> {
    let day = prune_day(&args.bodies_before, crate::clock::now())?;
    let before = CstDateTime(day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .to_utc()
        .timestamp_millis();
    let Some(pruned) = upkeep::prune_bodies(path, before)? else {
        console.note(&format!(
            "no journal at {} yet: there is nothing to prune",
            shown(path)
        ));
        return Ok(code::OK);
    };
    if json_out(console) {
        let mut value = as_json(&pruned)?;
        value["journal"] = json!(path.display().to_string());
        value["before"] = json!(day.to_string());
        console.out(&value.to_string());
        return Ok(code::OK);
    }
    console.out(&format!(
        "pruned {} bodies of {} attempts started before {day}, {} as stored; every notice and attempt is kept",
        pruned.bodies,
        pruned.attempts,
        size(pruned.bytes)
    ));
    if pruned.bytes > 0 {
        console.note(&format!(
            "the file keeps its size: SQLite reuses the freed space for the next records. To \
             give it back to the disk, run `sqlite3 {} VACUUM` while no other run uses the \
             journal",
            shown(path)
        ));
    }
    Ok(code::OK)
}

/// `yyyy-MM-dd`, not after today (China Standard Time, the day history's dates are in).
fn prune_day(given: &str, now: chrono::DateTime<chrono::Utc>) -> Result<NaiveDate> {
    let day = NaiveDate::parse_from_str(given.trim(), "%Y-%m-%d").map_err(|_| {
        refuse!(
            Usage,
            "--bodies-before '{}': expected a day as yyyy-MM-dd",
            escape_controls(given)
        )
    })?;
    let today = now.with_timezone(&cst()).date_naive();
    if day > today {
        return Err(refuse!(
            Usage,
            "--bodies-before {day} is in the future (today is {today}); name a day that has begun"
        ));
    }
    Ok(day)
}
