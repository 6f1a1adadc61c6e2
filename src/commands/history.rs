//! `history`: what the journal recorded, one row per notice (or per attempt), newest first,
//! streamed from SQLite to stdout so that a journal of a million notices opens in the memory of
//! one row; `history show POLICY`: one notice whole, bodies included; `--output csv`: the stored
//! notices as a file `batch` reads back (`jsonl` and `xlsx` too; `--out FILE` for a file).

use crate::cli::{GlobalArgs, HistoryArgs, HistoryView, OutputFormat};
use crate::error::refuse;
use crate::error::Refusal;
use crate::journal::{AttemptRow, HistoryFilter, JournalError, JournalReader, NoticeRow, State};
use crate::output::table::{GiveWay, Layout};
use crate::output::workbook::{ReportCell, ResultsWorkbook};
use crate::output::{terminal, Console};
use crate::settings::{self, Settings};
use crate::text::{escape_controls, quote};
type Result<T, E = Refusal> = std::result::Result<T, E>;
use crate::protocol::{cst, Amount, CstDateTime};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Columns of the text table: (title, JSON field of the row).
const NOTICE_COLUMNS: [(&str, &str); 10] = [
    ("LAST SENT", "lastSentAt"),
    ("ENDPOINT", "endpoint"),
    ("CHANNEL", "policySource"),
    ("POLICY", "policyNo"),
    ("ORDER", "orderNo"),
    ("STATE", "state"),
    ("CODE", "dealCode"),
    ("DESC/ERROR", "dealDesc"),
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

const RUN_COLUMNS: [(&str, &str); 10] = [
    ("STARTED", "startedAt"),
    ("RUN", "runId"),
    ("BY", "osUser"),
    ("ENV", "env"),
    ("ENDPOINT", "endpoint"),
    ("CHANNEL", "policySource"),
    ("INPUT", "input"),
    ("COUNTS", "counts"),
    ("EXIT", "exitCode"),
    ("COMMAND", "command"),
];

/// What each table gives up, first to last, on a terminal too narrow for it (the README lists
/// the same order). POLICY and STATE (or #) always stay; DESC/ERROR, the reason, is cut last.
const NOTICE_GIVE_WAY: [GiveWay; 12] = [
    GiveWay::Shorten("ENDPOINT", 20),
    GiveWay::Drop("BY"),
    GiveWay::Drop("ATTEMPTS"),
    GiveWay::Drop("CHANNEL"),
    GiveWay::Drop("CODE"),
    GiveWay::Shorten("LAST SENT", 17),
    GiveWay::Shorten("DESC/ERROR", 30),
    GiveWay::Drop("ENDPOINT"),
    GiveWay::Drop("ORDER"),
    GiveWay::Shorten("DESC/ERROR", 16),
    GiveWay::Drop("LAST SENT"),
    GiveWay::Shorten("DESC/ERROR", 10),
];
const ATTEMPT_GIVE_WAY: [GiveWay; 11] = [
    GiveWay::Shorten("UUID", 13),
    GiveWay::Drop("MS"),
    GiveWay::Drop("CODE"),
    GiveWay::Shorten("STARTED", 17),
    GiveWay::Shorten("DESC/ERROR", 30),
    GiveWay::Drop("UUID"),
    GiveWay::Drop("ORDER"),
    GiveWay::Shorten("DESC/ERROR", 16),
    GiveWay::Drop("HTTP"),
    GiveWay::Drop("STARTED"),
    GiveWay::Shorten("DESC/ERROR", 10),
];

/// The runs' table keeps RUN (what `--run` takes), COUNTS and EXIT.
/// The command line and the input are cut at their start: their ends (the file, what the
/// command did) say the most.
const RUN_GIVE_WAY: [GiveWay; 14] = [
    GiveWay::ShortenKeepingEnd("COMMAND", 40),
    GiveWay::ShortenKeepingEnd("INPUT", 24),
    GiveWay::Shorten("ENDPOINT", 20),
    GiveWay::Drop("CHANNEL"),
    GiveWay::Drop("BY"),
    GiveWay::Drop("ENDPOINT"),
    GiveWay::Shorten("STARTED", 17),
    GiveWay::ShortenKeepingEnd("COMMAND", 24),
    GiveWay::Shorten("COUNTS", 30),
    GiveWay::Drop("ENV"),
    GiveWay::Drop("INPUT"),
    GiveWay::Drop("COMMAND"),
    GiveWay::Shorten("COUNTS", 16),
    GiveWay::Drop("STARTED"),
];

/// Rows the default view shows on a terminal: a screenful, not a year of batches.
const TERMINAL_ROWS: usize = 50;
/// Rows read before the table's column widths are fixed; a later row may stick out (on a
/// terminal it is cut to its columns).
const WIDTH_SAMPLE: usize = 200;
/// The columns of `--output csv` and the keys of `--output jsonl`: the names `batch` reads,
/// each with where its value comes from (the notice's content, else the row itself). The
/// platform and the channel go with every row, so that `batch` refuses the export on
/// another platform.
const EXPORT_COLUMNS: [(&str, ExportValue); 8] = [
    ("policyNo", ExportValue::Content("policyNo")),
    ("orderNo", ExportValue::OrderNo),
    ("secondRefundAmount", ExportValue::Content("amount")),
    ("secondRefundDate", ExportValue::Content("date")),
    ("secondRefundStatus", ExportValue::Content("status")),
    ("installmentList", ExportValue::Content("installments")),
    ("endpoint", ExportValue::Endpoint),
    ("policySource", ExportValue::Channel),
];

/// What a workbook export adds to the CSV export's columns: where each notice stands.
const WORKBOOK_COLUMNS: [&str; 4] = ["state", "dealCode", "dealDesc", "lastSentAt"];

/// Where an export's value comes from.
#[derive(Clone, Copy)]
enum ExportValue {
    /// A key of the stored content (`protocol::notice_content`).
    Content(&'static str),
    OrderNo,
    Endpoint,
    Channel,
}

pub fn run(global: &GlobalArgs, args: &HistoryArgs, console: &Console) -> Result<u8> {
    let settings = Settings::resolve(global)?;
    let at = journal_location(&settings)?;
    let path = export_name(&at);
    let mut filter = filter(args, &settings)?;
    let view = args.view().map_err(Refusal::Usage)?;
    let export = export_of(global.output, args.out.as_deref())?;
    check_view(&view, args, export.is_some())?;
    if let Some(export) = &export {
        export.check(&path)?;
    }
    // A terminal gets a screenful unless asked otherwise; a pipe or a file gets everything.
    let on_terminal =
        terminal::stdout_is_terminal() && export.as_ref().is_none_or(|e| e.out.is_none());
    let cut = args.limit.is_none() && on_terminal;
    filter.limit = match args.limit {
        Some(0) => None,
        Some(n) => Some(n),
        // One more than is shown, to know whether there is more.
        None if cut => Some(TERMINAL_ROWS + 1),
        None => None,
    };
    let Some(reader) = JournalReader::open_existing(&at)? else {
        console.note(&format!(
            "no journal at {at} yet: nothing has been sent with it"
        ));
        return Ok(crate::error::code::OK);
    };
    if let Some(run) = &args.run {
        filter.run = Some(the_run(&reader, run, &filter)?);
    }
    let rows_of = match view {
        HistoryView::Show(policies) => return show(console, &reader, &policies, &filter),
        HistoryView::Runs => Rows::Runs,
        HistoryView::Notices if args.attempts => Rows::Attempts,
        HistoryView::Notices => Rows::Notices,
    };
    let mut rows = Counter::new(if cut { TERMINAL_ROWS } else { usize::MAX });
    match export {
        Some(export) => {
            let mut out = ExportOut::new(console, export, &path)?;
            reader.each_notice(&filter, |row| {
                if !rows.take() {
                    return ControlFlow::Break(());
                }
                out.row(&row)
            })?;
            out.finish()?;
        }
        None => {
            let shape = match (on_terminal, args.wide) {
                (false, _) => Shape::Plain,
                (true, true) => Shape::Wide,
                (true, false) => Shape::Fit(terminal::stdout_width()),
            };
            print_rows(console, &reader, &filter, rows_of, shape, &mut rows)?;
        }
    }
    if console.stdout_failure().is_some() {
        return Ok(console.offline_exit(crate::error::code::OK, "the history"));
    }
    if rows.count == 0 {
        console.note(&match (rows_of, &filter.run) {
            (Rows::Runs, _) => "no runs match".to_string(),
            (Rows::Notices | Rows::Attempts, None) => "no notices match".to_string(),
            // A run that only skipped sent nothing: say where its counts are.
            (Rows::Notices | Rows::Attempts, Some(run)) => {
                format!("run {run} sent no notice that matches (see `avatar-cli history runs`)")
            }
        });
    } else if rows.more {
        // Short enough for an 80-column terminal, as the table is.
        console.note(&format!(
            "showing the newest {TERMINAL_ROWS} rows; --limit 0 shows all, --since or --policy \
             narrow it"
        ));
    }
    Ok(crate::error::code::OK)
}

/// The options that make no sense with `view`, refused rather than ignored.
fn check_view(view: &HistoryView, args: &HistoryArgs, export: bool) -> Result<()> {
    match view {
        HistoryView::Notices if export && args.attempts => Err(refuse!(
            Usage,
            "--output csv, jsonl and xlsx write one row per notice: leave out --attempts"
        )),
        HistoryView::Show(_) if export => Err(refuse!(
            Usage,
            "--output csv, jsonl and xlsx write one row per notice: leave out show"
        )),
        HistoryView::Show(_) if args.run.is_some() => Err(refuse!(
            Usage,
            "history show prints every attempt of a notice: leave out --run (`avatar-cli \
             history --attempts --run ID` lists a run's attempts)"
        )),
        HistoryView::Runs if export => Err(refuse!(
            Usage,
            "--output csv, jsonl and xlsx write notices for batch to read back, not runs: use --json"
        )),
        HistoryView::Runs if args.attempts || args.outcome.is_some() => Err(refuse!(
            Usage,
            "history runs lists runs: --attempts and --outcome are for notices (`avatar-cli \
             history --run ID` lists what a run sent)"
        )),
        _ => Ok(()),
    }
}

/// The id of the run `--run` names: `last`, the newest run to the platform and channel the
/// filter names (any, when it names none), or an id the journal holds.
fn the_run(reader: &JournalReader, asked: &str, filter: &HistoryFilter) -> Result<String> {
    let last = asked.eq_ignore_ascii_case("last");
    let lookup = HistoryFilter {
        endpoint: filter.endpoint.clone(),
        policy_source: filter.policy_source.clone(),
        run: (!last).then(|| asked.to_string()),
        limit: Some(1),
        ..HistoryFilter::default()
    };
    let mut found = None;
    reader.each_run(&lookup, |run| {
        found = Some(run.run_id);
        ControlFlow::Break(())
    })?;
    found.ok_or_else(|| match last {
        true if filter.endpoint.is_some() || filter.policy_source.is_some() => refuse!(
            Input,
            "--run last: the journal records no run to this platform and channel"
        ),
        true => refuse!(Input, "--run last: the journal records no run yet"),
        false => refuse!(
            Input,
            "--run '{}': no such run in the journal; `avatar-cli history runs` lists them",
            quote(asked)
        ),
    })
}

/// An export of the stored notices: its format, and its file (else stdout).
struct Export {
    format: ExportFormat,
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExportFormat {
    Csv,
    Jsonl,
    Xlsx,
}

impl ExportFormat {
    fn name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// The export asked for: `--output csv|jsonl|xlsx`, else the one `--out FILE`'s extension
/// names. `--out` with the table or `--json`, or naming another format than `--output`, is
/// refused rather than guessed at.
fn export_of(output: Option<OutputFormat>, out: Option<&Path>) -> Result<Option<Export>> {
    let asked = match output {
        Some(OutputFormat::Csv) => Some(ExportFormat::Csv),
        Some(OutputFormat::Jsonl) => Some(ExportFormat::Jsonl),
        Some(OutputFormat::Xlsx) => Some(ExportFormat::Xlsx),
        Some(OutputFormat::Text | OutputFormat::Json) | None => None,
    };
    let Some(out) = out else {
        return Ok(asked.map(|format| Export { format, out: None }));
    };
    let shown = quote(&out.display().to_string());
    let named = match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Some(ExportFormat::Csv),
        Some("jsonl" | "ndjson") => Some(ExportFormat::Jsonl),
        Some("xlsx") => Some(ExportFormat::Xlsx),
        _ => None,
    };
    let format = match (output, asked, named) {
        (Some(OutputFormat::Text | OutputFormat::Json), _, _) => {
            return Err(refuse!(
                Usage,
                "--out {shown}: --out writes an export of the stored notices; pass --output csv, \
                 jsonl or xlsx (or leave out --output and name the file .csv, .jsonl or .xlsx)"
            ))
        }
        (_, Some(asked), Some(named)) if asked != named => {
            return Err(refuse!(
                Usage,
                "--out {shown} names a .{} file, but --output asks for {}; keep one",
                named.name(),
                asked.name()
            ))
        }
        (_, Some(format), _) | (_, None, Some(format)) => format,
        (_, None, None) => {
            return Err(refuse!(
                Usage,
                "--out {shown}: which export? pass --output csv, jsonl or xlsx, or name the file \
                 .csv, .jsonl or .xlsx"
            ))
        }
    };
    Ok(Some(Export {
        format,
        out: Some(out.to_path_buf()),
    }))
}

impl Export {
    /// Before the journal is read: a workbook is no text for a terminal, and `--out` must not
    /// lead onto the journal.
    fn check(&self, journal: &Path) -> Result<()> {
        match &self.out {
            None if self.format == ExportFormat::Xlsx && terminal::stdout_is_terminal() => {
                Err(refuse!(
                    Usage,
                    "--output xlsx writes a workbook, which a terminal cannot show: redirect it \
                     (> notices.xlsx) or pass --out notices.xlsx"
                ))
            }
            None => Ok(()),
            Some(out) => crate::output::check_target(("--out", "export"), out, None, Some(journal)),
        }
    }
}

/// The journal history reads; there is none to read under `--no-journal`.
/// What an export names as its source; for a file, also what it must not overwrite.
fn export_name(at: &crate::journal::Location) -> PathBuf {
    at.file()
        .map_or_else(|| PathBuf::from(at.to_string()), Path::to_path_buf)
}

fn journal_location(settings: &Settings) -> Result<crate::journal::Location> {
    settings
        .journal
        .value
        .location()
        .ok_or_else(|| refuse!(Usage, "--no-journal: there is no journal to show"))
}

/// The filters given on the command line; the row limit is set by the caller.
fn filter(args: &HistoryArgs, settings: &Settings) -> Result<HistoryFilter> {
    let now = crate::clock::now();
    Ok(HistoryFilter {
        policy_no: args.policy.clone(),
        // The environment named for this run (flag or variable), not the config's default:
        // history reads one journal for every environment.
        endpoint: match args.environment.as_deref() {
            Some(name) => Some(environment_url(settings, name)?),
            None => run_target(settings),
        },
        policy_source: args.policy_source.clone(),
        state: args.outcome.as_deref().map(recorded_state).transpose()?,
        since: args
            .since
            .as_deref()
            .map(|s| parse_when(s, false, now))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|s| parse_when(s, true, now))
            .transpose()?,
        run: None,
        limit: None,
    })
}

/// Counts the rows printed, up to `shown`; a row beyond that only says there is more.
struct Counter {
    shown: usize,
    count: usize,
    more: bool,
}

impl Counter {
    fn new(shown: usize) -> Self {
        Counter {
            shown,
            count: 0,
            more: false,
        }
    }

    /// True when this row is to be printed.
    fn take(&mut self) -> bool {
        if self.count == self.shown {
            self.more = true;
            return false;
        }
        self.count += 1;
        true
    }
}

/// What a list shows a row of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    Notices,
    Attempts,
    Runs,
}

/// The rows the filter lets through, in the console's format, as they are read.
fn print_rows(
    console: &Console,
    reader: &JournalReader,
    filter: &HistoryFilter,
    rows_of: Rows,
    shape: Shape,
    rows: &mut Counter,
) -> Result<()> {
    let format = console.format();
    match rows_of {
        Rows::Runs => listed(
            RowsOut::new(console, format, &RUN_COLUMNS, &RUN_GIVE_WAY, shape),
            rows,
            |each| reader.each_run(filter, each),
        )?,
        Rows::Attempts => listed(
            RowsOut::new(console, format, &ATTEMPT_COLUMNS, &ATTEMPT_GIVE_WAY, shape),
            rows,
            |each| reader.each_attempt(filter, each),
        )?,
        Rows::Notices => listed(
            RowsOut::new(console, format, &NOTICE_COLUMNS, &NOTICE_GIVE_WAY, shape),
            rows,
            |each| reader.each_notice(filter, each),
        )?,
    }
    Ok(())
}

/// The rows `read` hands over, to `out` as they come, as many as `rows` lets through.
fn listed<T: Serialize>(
    mut out: RowsOut<'_>,
    rows: &mut Counter,
    read: impl FnOnce(&mut dyn FnMut(T) -> ControlFlow<()>) -> Result<(), JournalError>,
) -> Result<()> {
    read(&mut |row| {
        if !rows.take() {
            return ControlFlow::Break(());
        }
        out.row(&row)
    })?;
    out.finish();
    Ok(())
}

/// How the text table is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Not a terminal: padded by characters, as it always was, so that a script reading the
    /// table sees the same bytes.
    Plain,
    /// A terminal, `--wide`: every column whole, padded by display width.
    Wide,
    /// A terminal this many cells wide: the table fitted to it.
    Fit(usize),
}

/// Rows as JSON Lines or as a text table, written as they come. The table's column widths are
/// taken from the first [`WIDTH_SAMPLE`] rows, so memory stays that of a few hundred rows.
struct RowsOut<'a> {
    console: &'a Console,
    json: bool,
    columns: &'a [(&'a str, &'a str)],
    give_way: &'a [GiveWay],
    shape: Shape,
    sample: Vec<Vec<String>>,
    widths: Option<Widths>,
}

/// The table's column widths, once the sample has fixed them.
enum Widths {
    /// In characters, for [`Shape::Plain`].
    Chars(Vec<usize>),
    /// In terminal cells, fitted or whole.
    Cells(Layout),
}

impl<'a> RowsOut<'a> {
    fn new(
        console: &'a Console,
        format: OutputFormat,
        columns: &'a [(&'a str, &'a str)],
        give_way: &'a [GiveWay],
        shape: Shape,
    ) -> Self {
        RowsOut {
            console,
            json: format == OutputFormat::Json,
            columns,
            give_way,
            shape,
            sample: Vec::new(),
            widths: None,
        }
    }

    fn row<T: Serialize>(&mut self, row: &T) -> ControlFlow<()> {
        let Ok(value) = serde_json::to_value(row) else {
            return ControlFlow::Continue(());
        };
        if self.json {
            self.console.out(&value.to_string());
        } else {
            let cells = cells(&value, self.columns);
            match &self.widths {
                Some(_) => self.line(cells),
                None => {
                    self.sample.push(cells);
                    if self.sample.len() >= WIDTH_SAMPLE {
                        self.flush_sample();
                    }
                }
            }
        }
        if self.console.stdout_failure().is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn flush_sample(&mut self) {
        let measure = match self.shape {
            Shape::Plain => |c: &str| c.chars().count(),
            Shape::Wide | Shape::Fit(_) => crate::text::width,
        };
        let natural: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (title, _))| {
                self.sample
                    .iter()
                    .map(|r| measure(&r[i]))
                    .chain([measure(title)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let titles: Vec<&str> = self.columns.iter().map(|(t, _)| *t).collect();
        self.widths = Some(match self.shape {
            Shape::Plain => Widths::Chars(natural),
            Shape::Wide => Widths::Cells(Layout::whole(&natural)),
            Shape::Fit(limit) => {
                Widths::Cells(Layout::fit(&titles, &natural, self.give_way, limit))
            }
        });
        self.line(titles.iter().map(|t| t.to_string()).collect());
        for row in std::mem::take(&mut self.sample) {
            if self.console.stdout_failure().is_some() {
                break;
            }
            self.line(row);
        }
    }

    fn line(&self, cells: Vec<String>) {
        let text = match &self.widths {
            Some(Widths::Cells(layout)) => layout.line(&cells),
            Some(Widths::Chars(widths)) => cells
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string(),
            None => return,
        };
        self.console.out(&text);
    }

    fn finish(mut self) {
        if self.widths.is_none() && !self.sample.is_empty() {
            self.flush_sample();
        }
    }
}

/// One row's cells, drawn from its JSON form so that both views show the same fields.
/// Descriptions and errors came from a server: one row stays one line, with no terminal codes.
fn cells(v: &serde_json::Value, columns: &[(&str, &str)]) -> Vec<String> {
    let cell = |key: &str| match &v[key] {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => escape_controls(s).into_owned(),
        other => other.to_string(),
    };
    columns
        .iter()
        .map(|(_, key)| match *key {
            // No answer: its error goes where the description goes.
            "dealDesc" if v[key].is_null() && !v["error"].is_null() => cell("error"),
            "osUser" => format!("{}@{}", cell("osUser"), cell("host")),
            "counts" => run_counts(v),
            _ => cell(key),
        })
        .collect()
}

/// A run's counts as a person reads them (`3 accepted, 1 rejected`), or how far a run that
/// never finished got (`unfinished: 120 of 400 sent`).
fn run_counts(run: &serde_json::Value) -> String {
    let n = |key: &str| run["counts"][key].as_u64().unwrap_or(0);
    let state = run["state"].as_str().unwrap_or_default();
    if run["counts"].is_null() {
        let (sent, of) = (run["sent"].as_u64(), run["notices"].as_u64());
        return format!("{state}: {} of {} sent", sent.unwrap_or(0), of.unwrap_or(0));
    }
    let earlier = n("rejectedEarlier");
    let shown: Vec<String> = [
        ("accepted", n("accepted")),
        ("rejected", n("rejected")),
        ("failed", n("failed")),
        ("inDoubt", n("inDoubt")),
        ("skipped", n("skipped").saturating_sub(earlier)),
        ("rejected earlier", earlier),
        ("notSent", n("notSent")),
    ]
    .iter()
    .filter(|(_, count)| *count > 0)
    .map(|(name, count)| format!("{count} {name}"))
    .collect();
    if shown.is_empty() {
        "no notices".to_string()
    } else {
        shown.join(", ")
    }
}

/// `--output csv`: one row per notice with its stored content, under the column names `batch`
/// reads, so that the file can be sent again as it is (JSON Lines and a workbook the same; a
/// workbook adds where each notice stands). Notices recorded before the journal kept content
/// cannot be written whole: they are left out, and counted.
struct ExportOut<'a> {
    console: &'a Console,
    format: ExportFormat,
    to: ExportTo,
    out: Option<PathBuf>,
    journal: &'a Path,
    header: bool,
    rows: u64,
    left_out: u64,
    /// Writing to `--out` failed: the export stops there.
    failed: Option<String>,
}

/// Where an export's rows go until it is finished.
enum ExportTo {
    /// CSV or JSON Lines lines to stdout, through the console.
    Stdout,
    /// CSV or JSON Lines lines to a temporary file beside `--out`, which takes its place at the
    /// end.
    Lines(io::BufWriter<tempfile::NamedTempFile>),
    /// A workbook's rows, and the temporary file it is saved to (beside `--out`, or in the
    /// temporary directory on its way to stdout).
    Book(Box<ResultsWorkbook>, tempfile::NamedTempFile),
}

impl<'a> ExportOut<'a> {
    fn new(console: &'a Console, export: Export, journal: &'a Path) -> Result<Self> {
        let Export { format, out } = export;
        let dir = match out.as_deref().map(Path::parent) {
            Some(Some(d)) if !d.as_os_str().is_empty() => d.to_path_buf(),
            Some(_) => PathBuf::from("."),
            None => std::env::temp_dir(),
        };
        let cannot = |e: &dyn std::fmt::Display| {
            refuse!(
                Output,
                "cannot write the export in {}: {e}",
                quote(&dir.display().to_string())
            )
        };
        // Made as `> FILE` would make it (the umask applies), not for the owner alone.
        let temporary = || {
            use std::os::unix::fs::PermissionsExt;
            tempfile::Builder::new()
                .permissions(std::fs::Permissions::from_mode(0o666))
                .tempfile_in(&dir)
        };
        let to = match (format, &out) {
            (ExportFormat::Xlsx, _) => {
                let names: Vec<&str> = EXPORT_COLUMNS
                    .iter()
                    .map(|(name, _)| *name)
                    .chain(WORKBOOK_COLUMNS)
                    .collect();
                let book = ResultsWorkbook::new(&dir, "Notices", &names).map_err(|e| cannot(&e))?;
                let file = temporary().map_err(|e| cannot(&e))?;
                ExportTo::Book(Box::new(book), file)
            }
            (_, Some(_)) => {
                let file = temporary().map_err(|e| cannot(&e))?;
                ExportTo::Lines(io::BufWriter::new(file))
            }
            (_, None) => ExportTo::Stdout,
        };
        Ok(ExportOut {
            console,
            format,
            to,
            out,
            journal,
            header: false,
            rows: 0,
            left_out: 0,
            failed: None,
        })
    }

    fn row(&mut self, row: &NoticeRow) -> ControlFlow<()> {
        if !self.header && self.format == ExportFormat::Csv {
            self.header = true;
            self.record(
                EXPORT_COLUMNS
                    .iter()
                    .map(|(name, _)| name.to_string())
                    .collect(),
            );
        }
        let content = row
            .content
            .as_deref()
            .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok());
        let Some(content) = content else {
            self.left_out += 1;
            return ControlFlow::Continue(());
        };
        // Every value was checked when it was sent (identifiers, amounts, dates), so none can
        // start a spreadsheet formula: written as they are, to be read back unchanged.
        let cells: Vec<(&str, String)> = EXPORT_COLUMNS
            .iter()
            .map(|(name, from)| {
                let value = match *from {
                    ExportValue::Content(key) => {
                        content[key].as_str().unwrap_or_default().to_string()
                    }
                    ExportValue::OrderNo => row.order_no.clone(),
                    ExportValue::Endpoint => row.endpoint.clone(),
                    ExportValue::Channel => row.policy_source.clone(),
                };
                (*name, value)
            })
            .collect();
        match self.format {
            ExportFormat::Jsonl => {
                // Only what the notice has: an absent field is no key, as batch reads it.
                let object: serde_json::Map<String, serde_json::Value> = cells
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_string(), v.into()))
                    .collect();
                self.line(&serde_json::Value::Object(object).to_string());
            }
            ExportFormat::Csv => self.record(cells.into_iter().map(|(_, v)| v).collect()),
            ExportFormat::Xlsx => self.book_row(&cells, row),
        }
        self.rows += 1;
        if self.failed.is_some() || self.console.stdout_failure().is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// A row of the workbook: the export's cells by their type, then where the notice stands.
    fn book_row(&mut self, cells: &[(&str, String)], row: &NoticeRow) {
        let ExportTo::Book(book, _) = &mut self.to else {
            return;
        };
        if self.rows + 1 >= WORKBOOK_ROWS {
            self.failed = Some(format!(
                "a worksheet holds at most {} rows; narrow the export (--since, --until, \
                 --limit) or write it as --output csv",
                WORKBOOK_ROWS - 1
            ));
            return;
        }
        let state = row.state.to_string();
        let last_sent = row
            .last_sent_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&cst()).naive_local());
        let mut typed: Vec<ReportCell<'_>> = cells
            .iter()
            .map(|(name, value)| typed_cell(name, value))
            .collect();
        typed.extend([
            ReportCell::Text(&state),
            text_or_empty(row.deal_code.as_deref()),
            text_or_empty(row.deal_desc.as_deref()),
            last_sent.map_or(ReportCell::Empty, ReportCell::DateTime),
        ]);
        if let Err(e) = book.row(&typed) {
            self.failed = Some(e.to_string());
        }
    }

    fn record(&mut self, cells: Vec<String>) {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        if w.write_record(&cells).is_ok() {
            if let Ok(bytes) = w.into_inner() {
                let line = String::from_utf8_lossy(&bytes);
                self.line(line.trim_end_matches('\n'));
            }
        }
    }

    /// One line of CSV or JSON Lines, to stdout or the file.
    fn line(&mut self, line: &str) {
        match &mut self.to {
            ExportTo::Stdout => self.console.out(line),
            ExportTo::Lines(file) => {
                if let Err(e) = writeln!(file, "{line}") {
                    self.failed.get_or_insert(e.to_string());
                }
            }
            ExportTo::Book(..) => {}
        }
    }

    /// The export written whole: `--out` takes its place, or the workbook goes to stdout.
    fn finish(self) -> Result<()> {
        if self.left_out > 0 {
            self.console.warn(&format!(
                "{} notice(s) left out of the export: they were recorded before the journal \
                 kept what was sent, so their content is not known (`avatar-cli history \
                 --output json` lists them)",
                self.left_out
            ));
        }
        let shown = match &self.out {
            Some(out) => quote(&out.display().to_string()),
            None => "stdout".to_owned(),
        };
        let failed = |e: &dyn std::fmt::Display| {
            refuse!(Output, "could not write the export to {shown}: {e}")
        };
        if let Some(e) = &self.failed {
            return Err(failed(e));
        }
        let file = match self.to {
            ExportTo::Stdout => return Ok(()),
            ExportTo::Lines(lines) => lines.into_inner().map_err(|e| failed(e.error()))?,
            ExportTo::Book(book, file) => {
                let lines = [
                    (
                        "notices",
                        ReportCell::Integer(i64::try_from(self.rows).unwrap_or(i64::MAX)),
                    ),
                    ("journal", ReportCell::Text(&self.journal.to_string_lossy())),
                    (
                        "exportedAt",
                        ReportCell::DateTime(
                            crate::clock::now().with_timezone(&cst()).naive_local(),
                        ),
                    ),
                ];
                book.save(file.path(), "Export", &lines)
                    .map_err(|e| failed(&e))?;
                file
            }
        };
        match &self.out {
            Some(out) => {
                file.persist(out).map_err(|e| failed(&e.error))?;
            }
            None => {
                // A workbook is bytes, not lines: copied to stdout whole, past the console's
                // line buffer (nothing else was printed).
                self.console.flush_stdout();
                let mut from = file.reopen().map_err(|e| failed(&e))?;
                let copied = io::copy(&mut from, &mut io::stdout().lock());
                match copied {
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                    Err(e) => return Err(failed(&e)),
                    Ok(_) => {}
                }
            }
        }
        Ok(())
    }
}

fn text_or_empty(value: Option<&str>) -> ReportCell<'_> {
    value.map_or(ReportCell::Empty, ReportCell::Text)
}

/// The most rows a worksheet holds, its header included.
const WORKBOOK_ROWS: u64 = 1_048_576;

/// A value of the export as its cell: an amount a number with two decimals, a date a date
/// cell, a status a number; ids and the rest text. A value that does not read as its type
/// stays text (each was checked when it was sent, so none should).
fn typed_cell<'v>(name: &str, value: &'v str) -> ReportCell<'v> {
    if value.is_empty() {
        return ReportCell::Empty;
    }
    match name {
        "secondRefundAmount" => value
            .parse::<Amount>()
            .map_or(ReportCell::Text(value), ReportCell::Amount),
        "secondRefundDate" => NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S")
            .map_or(ReportCell::Text(value), ReportCell::DateTime),
        "secondRefundStatus" => value
            .parse::<i64>()
            .map_or(ReportCell::Text(value), ReportCell::Integer),
        _ => ReportCell::Text(value),
    }
}

/// `history show POLICY…`: for each policy in turn, the one notice of it the filter leaves,
/// with every attempt. A policy that cannot be shown is said on stderr and the others are
/// still shown; the exit code is then that of its refusal.
fn show(
    console: &Console,
    reader: &JournalReader,
    policies: &[String],
    filter: &HistoryFilter,
) -> Result<u8> {
    let mut code = crate::error::code::OK;
    let mut shown = 0;
    for policy in policies {
        let (notice, attempts) = match the_one(reader.show(policy, filter)?, policy) {
            Ok(found) => found,
            // One policy alone: its refusal is the command's, as it always was.
            Err(refusal) if policies.len() == 1 => return Err(refusal),
            Err(refusal) => {
                console.error(&refusal.to_string());
                code = refusal.exit_code();
                continue;
            }
        };
        if console.format() != OutputFormat::Json && shown > 0 {
            console.out("");
        }
        show_one(console, &notice, &attempts);
        shown += 1;
        if console.stdout_failure().is_some() {
            break;
        }
    }
    Ok(console.offline_exit(code, "the notice"))
}

/// One notice whole: a JSON object, or its fields and then every attempt.
fn show_one(console: &Console, notice: &NoticeRow, attempts: &[AttemptRow]) {
    let content = notice
        .content
        .as_deref()
        .and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok());
    if console.format() == OutputFormat::Json {
        let mut value = serde_json::to_value(notice).unwrap_or_default();
        value["content"] = content.unwrap_or_default();
        value["attemptList"] = serde_json::to_value(attempts).unwrap_or_default();
        console.out(&value.to_string());
        return;
    }
    show_notice(console, notice, content.as_ref());
    for a in attempts {
        show_attempt(console, a);
        if console.stdout_failure().is_some() {
            break;
        }
    }
}

/// The one notice found for `policy`; none, or one per endpoint and channel, is refused with
/// what to type next.
fn the_one(
    found: Vec<(NoticeRow, Vec<AttemptRow>)>,
    policy: &str,
) -> Result<(NoticeRow, Vec<AttemptRow>)> {
    match found.len() {
        0 => Err(refuse!(
            Input,
            "no notice for policy {} in the journal (with these filters); \
             `avatar-cli history --policy {}` lists what there is",
            quote(policy),
            quote(policy)
        )),
        // The arm is chosen by the length, so the one element is there.
        1 => Ok(found
            .into_iter()
            .next()
            .expect("a list of length one has an element")),
        n => {
            let candidates = found
                .iter()
                .map(|(n, _)| {
                    format!(
                        "--base-url {} --policy-source {} ({})",
                        escape_controls(&n.endpoint),
                        escape_controls(&n.policy_source),
                        n.state
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            Err(refuse!(
                Usage,
                "policy {} is in the journal {n} times; name one: {candidates}",
                quote(policy)
            ))
        }
    }
}

/// Server text and stored fields, one line each with no terminal codes.
fn esc(s: &str) -> String {
    escape_controls(s).into_owned()
}

fn esc_opt(s: &Option<String>) -> String {
    s.as_deref().map_or("-".to_string(), esc)
}

/// The notice's own fields, as `name value` lines.
fn show_notice(console: &Console, notice: &NoticeRow, content: Option<&serde_json::Value>) {
    let field = |name: &str, value: String| console.out(&format!("{name:<10}{value}"));
    field("policy", esc(&notice.policy_no));
    field("channel", esc(&notice.policy_source));
    field("endpoint", esc(&notice.endpoint));
    field("orderNo", esc(&notice.order_no));
    let answer = match (&notice.deal_code, &notice.error) {
        (Some(code), _) => format!(" (dealCode {} {})", esc(code), esc_opt(&notice.deal_desc)),
        (None, Some(error)) => format!(" ({})", esc(error)),
        (None, None) => String::new(),
    };
    field("state", format!("{}{answer}", notice.state));
    field(
        "content",
        match content {
            Some(serde_json::Value::Object(map)) => map
                .iter()
                .map(|(k, v)| format!("{k} {}", esc(v.as_str().unwrap_or_default())))
                .collect::<Vec<_>>()
                .join(", "),
            _ => "- (recorded before the journal kept content)".into(),
        },
    );
    field(
        "by",
        format!("{}@{}", esc(&notice.os_user), esc(&notice.host)),
    );
    field("recorded", notice.created_at.clone());
    field("attempts", notice.attempts.to_string());
}

/// One attempt: its head line, then what was sent and what came back.
fn show_attempt(console: &Console, a: &AttemptRow) {
    console.out("");
    console.out(&format!(
        "attempt {}  orderNo {}  uuid {}  reqTime {}",
        a.attempt,
        esc(&a.order_no),
        esc(&a.uuid),
        esc(&a.req_time)
    ));
    let sub = |name: &str, value: String| console.out(&format!("  {name:<10}{value}"));
    let run = a
        .run_id
        .as_deref()
        .map_or(String::new(), |run| format!(" (run {})", esc(run)));
    sub(
        "sent",
        format!(
            "{} by {}@{}{run}, finished {}, {} ms",
            a.started_at,
            esc(&a.os_user),
            esc(&a.host),
            a.finished_at
                .as_deref()
                .unwrap_or("- (no answer recorded: in doubt)"),
            a.elapsed_ms.map_or("-".to_string(), |ms| ms.to_string())
        ),
    );
    sub("request", body(&a.request, a));
    sub(
        "HTTP",
        a.http_status.map_or("-".to_string(), |s| s.to_string()),
    );
    let cut = if a.answer_cut { " (cut at 64 KiB)" } else { "" };
    sub("answer", format!("{}{cut}", body(&a.answer, a)));
    if let Some(error) = &a.error {
        sub("error", esc(error));
    }
}

/// A body as sent or received, or the day `journal prune` dropped it.
fn body(stored: &Option<String>, a: &AttemptRow) -> String {
    match (stored, &a.bodies_pruned_at) {
        (None, Some(at)) => format!("- (body pruned on {})", at.get(..10).unwrap_or(at)),
        _ => esc_opt(stored),
    }
}

/// `test`, `prod`, `sandbox` (its rehearsals are journaled under the key "sandbox") or another
/// environment named in the config, else a base URL in the one canonical spelling the
/// journal's endpoint key has.
fn environment_url(settings: &Settings, name: &str) -> Result<String> {
    if !name.contains("://") {
        let key = name.trim().to_ascii_lowercase();
        if let Some(url) = settings
            .environments
            .key(name.trim())
            .or_else(|| settings.environments.key(&key))
        {
            return Ok(url);
        }
    }
    settings::check_base_url(name).map_err(|e| refuse!(Usage, "--env: {e}"))
}

/// The platform named for this run (on the command line or by a variable), as the journal
/// keys it; the config file's default environment does not filter: history reads one journal
/// for every environment.
fn run_target(settings: &Settings) -> Option<String> {
    if !settings.platform.origin.is_for_this_run() {
        return None;
    }
    Some(match &settings.platform.value.target {
        settings::Target::Remote { base_url } => base_url.clone(),
        settings::Target::InProcessSandbox => settings::SANDBOX_ENDPOINT.to_string(),
    })
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

/// `yyyy-MM-dd` or `yyyy-MM-dd HH:mm:ss` in China Standard Time (the offset history shows),
/// RFC 3339 with its own offset, or relative to `now`: `today` and `yesterday` (midnight in
/// China Standard Time), `30m`, `1h`, `7d`. A bare `--until` date includes that whole day.
fn parse_when(s: &str, end_of_day: bool, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if let Some(t) = relative(s.trim(), now) {
        return Ok(t);
    }
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
            "'{}' is not a date: use yyyy-MM-dd, 'yyyy-MM-dd HH:mm:ss', RFC 3339, today, yesterday, or an age such as 30m, 1h, 7d",
            quote(s)
        ));
    };
    Ok(CstDateTime(naive).to_utc())
}

/// `today` or `yesterday` (from its midnight, China Standard Time), or an age in minutes,
/// hours or days before `now`.
fn relative(s: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let days_back = match s.to_ascii_lowercase().as_str() {
        "today" => Some(0),
        "yesterday" => Some(1),
        _ => None,
    };
    if let Some(days_back) = days_back {
        let day = now.with_timezone(&cst()).date_naive() - chrono::Days::new(days_back);
        return Some(CstDateTime(day.and_hms_opt(0, 0, 0)?).to_utc());
    }
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()]
        .parse()
        .ok()
        .filter(|n| *n >= 0)?;
    let age = match unit {
        'm' => chrono::Duration::try_minutes(n)?,
        'h' => chrono::Duration::try_hours(n)?,
        'd' => chrono::Duration::try_days(n)?,
        _ => return None,
    };
    now.checked_sub_signed(age)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_step_of_giving_way_names_a_column_of_its_table() {
        let named = |columns: &[(&str, &str)], steps: &[GiveWay]| {
            steps.iter().all(|step| {
                let (GiveWay::Shorten(title, _)
                | GiveWay::ShortenKeepingEnd(title, _)
                | GiveWay::Drop(title)) = step;
                columns.iter().any(|(t, _)| t == title)
            })
        };
        assert!(named(&NOTICE_COLUMNS, &NOTICE_GIVE_WAY));
        assert!(named(&ATTEMPT_COLUMNS, &ATTEMPT_GIVE_WAY));
        assert!(named(&RUN_COLUMNS, &RUN_GIVE_WAY));
    }

    #[test]
    fn relative_times_count_back_from_now() {
        let now = Utc.with_ymd_and_hms(2026, 5, 10, 12, 0, 0).unwrap();
        let at = |s| parse_when(s, false, now).unwrap();
        assert_eq!(at("30m"), now - chrono::Duration::minutes(30));
        assert_eq!(at("1h"), now - chrono::Duration::hours(1));
        assert_eq!(at("7d"), now - chrono::Duration::days(7));
        // 20:00 UTC is already the next day in Beijing, whose midnight was 16:00 UTC.
        let evening = Utc.with_ymd_and_hms(2026, 5, 10, 20, 0, 0).unwrap();
        assert_eq!(
            parse_when("today", false, evening).unwrap(),
            Utc.with_ymd_and_hms(2026, 5, 10, 16, 0, 0).unwrap()
        );
        assert!(parse_when("7x", false, now).is_err());
    }

    #[test]
    fn bare_dates_and_times_are_china_standard_time_and_rfc3339_keeps_its_offset() {
        let now = Utc.with_ymd_and_hms(2026, 5, 10, 12, 0, 0).unwrap();
        let utc = |h| Utc.with_ymd_and_hms(2026, 5, 9, h, 0, 0).unwrap();
        assert_eq!(parse_when("2026-05-10", false, now).unwrap(), utc(16));
        assert_eq!(
            parse_when("2026-05-10", true, now).unwrap(),
            utc(16) + chrono::Duration::days(1)
        );
        assert_eq!(
            parse_when("2026-05-10 03:00:00", false, now).unwrap(),
            utc(19)
        );
        assert_eq!(
            parse_when("2026-05-09T19:00:00-00:00", false, now).unwrap(),
            utc(19)
        );
        assert_eq!(
            parse_when("2026-05-09T12:00:00-07:00", false, now).unwrap(),
            utc(19)
        );
        assert!(parse_when("-1d", false, now).is_err());
    }
}
