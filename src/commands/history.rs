//! `history`: what the journal recorded, one row per notice (or per attempt), newest first,
//! streamed from SQLite to stdout so that a journal of a million notices opens in the memory of
//! one row; `history show POLICY`: one notice whole, bodies included; `--output csv`: the stored
//! notices as a file `batch` reads back.

use crate::cli::{GlobalArgs, HistoryArgs, HistoryView, OutputFormat};
use crate::error::refuse;
use crate::error::Refusal;
use crate::journal::{AttemptRow, HistoryFilter, JournalError, JournalReader, NoticeRow, State};
use crate::output::table::{GiveWay, Layout};
use crate::output::{terminal, Console};
use crate::settings::{self, JournalChoice, Settings};
use crate::text::{escape_controls, quote};
type Result<T, E = Refusal> = std::result::Result<T, E>;
use crate::protocol::{cst, CstDateTime};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::PathBuf;

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

/// Where an export's value comes from.
#[derive(Clone, Copy)]
enum ExportValue {
    /// A key of the stored content (`protocol::notice_content`).
    Content(&'static str),
    OrderNo,
    Endpoint,
    Channel,
}

pub fn run(global: &GlobalArgs, args: &HistoryArgs) -> Result<u8> {
    let settings = Settings::resolve(global)?;
    let console = Console::new(&settings);
    let path = journal_path(&settings)?;
    let mut filter = filter(args, &settings)?;
    let view = args.view().map_err(Refusal::Usage)?;
    check_view(&view, args, console.format())?;
    // A terminal gets a screenful unless asked otherwise; a pipe or a file gets everything.
    let on_terminal = terminal::stdout_is_terminal();
    let cut = args.limit.is_none() && on_terminal;
    filter.limit = match args.limit {
        Some(0) => None,
        Some(n) => Some(n),
        // One more than is shown, to know whether there is more.
        None if cut => Some(TERMINAL_ROWS + 1),
        None => None,
    };
    let Some(reader) = JournalReader::open_existing(&path)? else {
        console.note(&format!(
            "no journal at {} yet: nothing has been sent with it",
            path.display()
        ));
        return Ok(crate::error::code::OK);
    };
    if let Some(run) = &args.run {
        filter.run = Some(the_run(&reader, run, &filter)?);
    }
    let rows_of = match view {
        HistoryView::Show(policies) => return show(&console, &reader, &policies, &filter),
        HistoryView::Runs => Rows::Runs,
        HistoryView::Notices if args.attempts => Rows::Attempts,
        HistoryView::Notices => Rows::Notices,
    };
    let mut rows = Counter::new(if cut { TERMINAL_ROWS } else { usize::MAX });
    let shape = match (on_terminal, args.wide) {
        (false, _) => Shape::Plain,
        (true, true) => Shape::Wide,
        (true, false) => Shape::Fit(terminal::stdout_width()),
    };
    print_rows(&console, &reader, &filter, rows_of, shape, &mut rows)?;
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
fn check_view(view: &HistoryView, args: &HistoryArgs, format: OutputFormat) -> Result<()> {
    let export = matches!(format, OutputFormat::Csv | OutputFormat::Jsonl);
    match view {
        HistoryView::Notices if export && args.attempts => Err(refuse!(
            Usage,
            "--output csv and jsonl write one row per notice: leave out --attempts"
        )),
        HistoryView::Show(_) if export => Err(refuse!(
            Usage,
            "--output csv and jsonl write one row per notice: leave out show"
        )),
        HistoryView::Show(_) if args.run.is_some() => Err(refuse!(
            Usage,
            "history show prints every attempt of a notice: leave out --run (`avatar-cli \
             history --attempts --run ID` lists a run's attempts)"
        )),
        HistoryView::Runs if export => Err(refuse!(
            Usage,
            "--output csv and jsonl write notices for batch to read back, not runs: use --json"
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

/// The journal history reads; there is none to read under `--no-journal`.
fn journal_path(settings: &Settings) -> Result<PathBuf> {
    match &settings.journal.value {
        JournalChoice::File(path) => Ok(path.clone()),
        JournalChoice::Disabled => Err(refuse!(Usage, "--no-journal: there is no journal to show")),
    }
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
    match (format, rows_of) {
        (OutputFormat::Csv | OutputFormat::Jsonl, _) => {
            let mut csv = ExportOut::new(console, format == OutputFormat::Jsonl);
            reader.each_notice(filter, |row| {
                if !rows.take() {
                    return ControlFlow::Break(());
                }
                csv.row(&row)
            })?;
            csv.finish();
        }
        (_, Rows::Runs) => listed(
            RowsOut::new(console, format, &RUN_COLUMNS, &RUN_GIVE_WAY, shape),
            rows,
            |each| reader.each_run(filter, each),
        )?,
        (_, Rows::Attempts) => listed(
            RowsOut::new(console, format, &ATTEMPT_COLUMNS, &ATTEMPT_GIVE_WAY, shape),
            rows,
            |each| reader.each_attempt(filter, each),
        )?,
        (_, Rows::Notices) => listed(
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
/// reads, so that the file can be sent again as it is. Notices recorded before the journal
/// kept content cannot be written whole: they are left out, and counted.
struct ExportOut<'a> {
    console: &'a Console,
    /// JSON Lines, else CSV.
    jsonl: bool,
    header: bool,
    left_out: u64,
}

impl<'a> ExportOut<'a> {
    fn new(console: &'a Console, jsonl: bool) -> Self {
        ExportOut {
            console,
            jsonl,
            header: false,
            left_out: 0,
        }
    }

    fn row(&mut self, row: &NoticeRow) -> ControlFlow<()> {
        if !self.header && !self.jsonl {
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
        let cells = EXPORT_COLUMNS.iter().map(|(name, from)| {
            let value = match *from {
                ExportValue::Content(key) => content[key].as_str().unwrap_or_default().to_string(),
                ExportValue::OrderNo => row.order_no.clone(),
                ExportValue::Endpoint => row.endpoint.clone(),
                ExportValue::Channel => row.policy_source.clone(),
            };
            (*name, value)
        });
        if self.jsonl {
            // Only what the notice has: an absent field is no key, as batch reads it.
            let object: serde_json::Map<String, serde_json::Value> = cells
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_string(), v.into()))
                .collect();
            self.console
                .out(&serde_json::Value::Object(object).to_string());
        } else {
            self.record(cells.map(|(_, v)| v).collect());
        }
        if self.console.stdout_failure().is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn record(&self, cells: Vec<String>) {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        if w.write_record(&cells).is_ok() {
            if let Ok(bytes) = w.into_inner() {
                let line = String::from_utf8_lossy(&bytes);
                self.console.out(line.trim_end_matches('\n'));
            }
        }
    }

    fn finish(self) {
        if self.left_out > 0 {
            self.console.warn(&format!(
                "{} notice(s) left out of the export: they were recorded before the journal \
                 kept what was sent, so their content is not known (`avatar-cli history \
                 --output json` lists them)",
                self.left_out
            ));
        }
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
    sub("request", esc_opt(&a.request));
    sub(
        "HTTP",
        a.http_status.map_or("-".to_string(), |s| s.to_string()),
    );
    let cut = if a.answer_cut { " (cut at 64 KiB)" } else { "" };
    sub("answer", format!("{}{cut}", esc_opt(&a.answer)));
    if let Some(error) = &a.error {
        sub("error", esc(error));
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
