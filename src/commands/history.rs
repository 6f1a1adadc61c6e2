//! `history`: what the journal recorded, one row per notice (or per attempt), newest first.

use crate::cli::{GlobalArgs, HistoryArgs, OutputFormat};
use crate::config::{self, JournalChoice, Settings};
use crate::error::Refusal;
use crate::journal::{HistoryFilter, JournalReader, State};
use crate::output::Console;
use crate::refuse;
use crate::text::escape_controls;
type Result<T, E = Refusal> = std::result::Result<T, E>;
use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

/// Columns of the text table: (title, JSON field of the row).
const NOTICE_COLUMNS: [(&str, &str); 9] = [
    ("LAST SENT", "lastSentAt"),
    ("ENDPOINT", "endpoint"),
    ("POLICY", "policyNo"),
    ("ORDER", "orderNo"),
    ("STATE", "state"),
    ("CODE", "dealCode"),
    ("DESC", "dealDesc"),
    ("ATTEMPTS", "attempts"),
    ("BY", "osUser"),
];
const ATTEMPT_COLUMNS: [(&str, &str); 9] = [
    ("STARTED", "startedAt"),
    ("POLICY", "policyNo"),
    ("ORDER", "orderNo"),
    ("#", "attempt"),
    ("UUID", "uuid"),
    ("HTTP", "httpStatus"),
    ("CODE", "dealCode"),
    ("DESC/ERROR", "dealDesc"),
    ("MS", "elapsedMs"),
];

pub fn run(global: &GlobalArgs, args: &HistoryArgs) -> Result<u8> {
    let settings = Settings::resolve(global)?;
    let console = Console::new(&settings);
    let path = match &settings.journal {
        JournalChoice::File(path) => path.clone(),
        JournalChoice::Disabled => {
            return Err(refuse!(Usage, "--no-journal: there is no journal to show"))
        }
    };
    let filter = HistoryFilter {
        policy_no: args.policy.clone(),
        // The environment named for this run (flag or variable), not the config's default:
        // history reads one journal for every environment.
        endpoint: args
            .environment
            .as_deref()
            .or(global.base_url.as_deref())
            .or(global.env.map(config::env_key))
            .map(|e| environment_url(&settings, e))
            .transpose()?,
        state: args.outcome.as_deref().map(recorded_state).transpose()?,
        since: args
            .since
            .as_deref()
            .map(|s| parse_when(s, false))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_when(s, true))
            .transpose()?,
        limit: args.limit,
    };
    let Some(reader) = JournalReader::open_existing(&path)? else {
        console.note(&format!(
            "no journal at {} yet: nothing has been sent with it",
            path.display()
        ));
        return Ok(crate::error::code::OK);
    };
    let count = if args.attempts {
        let rows = reader.attempts(&filter)?;
        print_rows(&console, &rows, &ATTEMPT_COLUMNS)
    } else {
        let rows = reader.history(&filter)?;
        print_rows(&console, &rows, &NOTICE_COLUMNS)
    };
    if console.stdout_failure().is_some() {
        return Ok(console.offline_exit(crate::error::code::OK, "the history"));
    }
    if count == 0 {
        console.note("no notices match");
    }
    Ok(crate::error::code::OK)
}

/// The text table is drawn from each row's JSON form, so both views show the same fields.
fn print_rows<T: Serialize>(console: &Console, rows: &[T], columns: &[(&str, &str)]) -> usize {
    let values: Vec<serde_json::Value> = rows
        .iter()
        .filter_map(|r| serde_json::to_value(r).ok())
        .collect();
    if console.format() == OutputFormat::Json {
        for v in &values {
            console.out(&v.to_string());
            if console.stdout_failure().is_some() {
                break;
            }
        }
        return values.len();
    }
    if values.is_empty() {
        return 0;
    }
    // Descriptions and errors came from a server: one row stays one line, with no terminal codes.
    let cell = |v: &serde_json::Value, key: &str| match &v[key] {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => escape_controls(s).into_owned(),
        other => other.to_string(),
    };
    let table: Vec<Vec<String>> = values
        .iter()
        .map(|v| {
            columns
                .iter()
                .map(|(_, key)| match *key {
                    // An attempt without an answer shows its error where the description goes.
                    "dealDesc" if v[key].is_null() && !v["error"].is_null() => cell(v, "error"),
                    "osUser" => format!("{}@{}", cell(v, "osUser"), cell(v, "host")),
                    _ => cell(v, key),
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, (title, _))| {
            table
                .iter()
                .map(|r| r[i].chars().count())
                .chain([title.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    console.out(&line(columns.iter().map(|(t, _)| t.to_string()).collect()));
    for row in table {
        if console.stdout_failure().is_some() {
            break;
        }
        console.out(&line(row));
    }
    values.len()
}

/// `test`, `prod`, `sandbox` or another environment named in the config, else a base URL in
/// the one canonical spelling the journal's endpoint key has.
fn environment_url(settings: &Settings, name: &str) -> Result<String> {
    if !name.contains("://") {
        let key = name.trim().to_ascii_lowercase();
        if let Some(url) = settings
            .environment_url(name.trim())
            .or_else(|| settings.environment_url(&key))
        {
            return Ok(url);
        }
        if key == "sandbox" {
            return Err(refuse!(Usage, "--env sandbox: the in-process sandbox keeps no journal; give the sandbox's URL with --base-url instead"));
        }
    }
    config::check_base_url(name).map_err(|e| refuse!(Usage, "--env: {e}"))
}

/// `--outcome` filters on what the journal recorded: a journal [`State`] (which has `inDoubt`),
/// not a run's `notice::Outcome` (which has `skipped`, never recorded).
fn recorded_state(s: &str) -> Result<State> {
    State::parse(s).ok_or_else(|| {
        refuse!(
            Usage,
            "--outcome '{s}': expected accepted, rejected, failed, inDoubt or notSent"
        )
    })
}

/// `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss` in local time, or RFC 3339. A bare `--until` date
/// includes that whole day.
fn parse_when(s: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S") {
        t
    } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = if end_of_day {
            d.succ_opt().unwrap_or(d)
        } else {
            d
        };
        day.and_hms_opt(0, 0, 0).unwrap_or_default()
    } else {
        return Err(refuse!(
            Usage,
            "'{s}' is not a date: use yyyy-MM-dd, 'yyyy-MM-dd HH:mm:ss' or RFC 3339"
        ));
    };
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| refuse!(Usage, "'{s}' does not exist in the local time zone"))
}
