//! `--report FILE`: one row per input row, behind one [`Sink`] per format (CSV, JSON Lines, a
//! workbook), chosen once by the file's extension.
//!
//! Rows are written as results arrive, so that a killed run leaves what it did: a CSV or JSON
//! Lines report into the file itself, a workbook (which can only be written whole) into a CSV
//! file beside it, `FILE.partial.csv`. Each row also goes to a spool (`order.rs`); at the end
//! the report is written again from it in input order, into a temporary file that then takes
//! the report's place (or, when the rows came in order, the file written as they came is
//! already the report).

mod columns;
mod csv;
mod jsonl;
mod order;
mod target;
mod xlsx;

pub use columns::{Lang, Platform};
pub use target::check_target;

use crate::error::refuse;
use crate::error::Refusal;
use crate::input::InputHeader;
use crate::notice::NoticeResult;
use crate::notice::Tally;
use crate::text::quote;
use chrono::{DateTime, Utc};
use columns::{Columns, Value};
use order::InOrder;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// One report format. Rows come in the order they are to stand in the file.
trait Sink: Send {
    /// The header, or whatever comes before the rows.
    fn begin(&mut self, columns: &Columns) -> io::Result<()>;
    fn row(&mut self, values: &[Value<'_>]) -> io::Result<()>;
    /// What was written so far, on disk (a killed run leaves it).
    fn flush(&mut self) -> io::Result<()>;
    /// After the last row: the run's summary, in a format with room for one.
    fn finish(self: Box<Self>, run: &RunSummary<'_>) -> io::Result<()>;
}

/// The formats, by the report file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Jsonl,
    Xlsx,
}

impl Kind {
    /// `.xlsx` a workbook, `.jsonl` or `.ndjson` JSON Lines, anything else CSV; other
    /// workbook formats are refused rather than written as CSV under their name.
    fn of(path: &Path) -> Result<Kind, Refusal> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "xlsx" => Ok(Kind::Xlsx),
            "jsonl" | "ndjson" => Ok(Kind::Jsonl),
            "xls" | "xlsm" | "xlsb" | "ods" => Err(refuse!(
                Usage,
                "--report {}: a workbook report is written as .xlsx; name the file .xlsx (or .csv, .jsonl)",
                quote(&path.display().to_string())
            )),
            _ => Ok(Kind::Csv),
        }
    }

    /// Where rows go as they arrive: the report itself, or for a workbook a CSV file beside it.
    fn live_path(self, report: &Path) -> PathBuf {
        match self {
            Kind::Csv | Kind::Jsonl => report.to_path_buf(),
            Kind::Xlsx => {
                let mut name = report.as_os_str().to_owned();
                name.push(".partial.csv");
                PathBuf::from(name)
            }
        }
    }
}

/// What a report needs to know before its first row.
pub struct ReportSetup<'a> {
    /// The input's header (`input::Source::header`); `None` when there is none.
    pub header: Option<&'a InputHeader>,
    /// `--report-headers`; else the input's language.
    pub lang: Option<Lang>,
    pub platform: Platform,
    /// How many rows the report will have.
    pub rows: u64,
}

/// What the end of a run adds to a report that has room for it (a workbook's second sheet).
pub struct RunSummary<'a> {
    pub tally: &'a Tally,
    pub run_id: &'a str,
    pub started: DateTime<Utc>,
    pub ended: DateTime<Utc>,
    pub interrupted: bool,
}

/// `--report FILE`.
pub struct Report {
    /// As given, for messages.
    path: PathBuf,
    /// Where it is written: the path resolved, so that a link keeps pointing at the report.
    target: PathBuf,
    kind: Kind,
    columns: Columns,
    platform: Platform,
    /// The rows as they arrive.
    live: Box<dyn Sink>,
    order: InOrder,
    /// A flush that failed, said at the next write.
    failed: Option<io::Error>,
}

/// The report could be created but not written: an output failure (exit 3), not a usage error.
#[derive(Debug, thiserror::Error)]
#[error("could not write the report {path}: {reason}; nothing was sent")]
pub struct ReportUnwritable {
    pub path: String,
    pub reason: String,
}

impl From<ReportUnwritable> for Refusal {
    fn from(e: ReportUnwritable) -> Self {
        Refusal::Output(e.to_string())
    }
}

impl Report {
    /// Refuses, before anything is created, a report path that is not a regular file or that
    /// leads onto the input or the journal (see `target.rs`); for a workbook the CSV file
    /// beside it too. `input` is `None` for standard input.
    pub fn check_target(
        path: &Path,
        input: Option<&Path>,
        journal: Option<&Path>,
    ) -> Result<(), Refusal> {
        let kind = Kind::of(path)?;
        let report = ("--report", "report");
        target::check_target(report, path, input, journal)?;
        if kind == Kind::Xlsx {
            target::check_target(report, &kind.live_path(path), input, journal)?;
        }
        Ok(())
    }

    /// Creates the report and writes its header; a workbook of more rows or columns than a
    /// sheet holds is refused.
    pub fn create(path: &Path, setup: ReportSetup<'_>) -> Result<Report, Refusal> {
        let kind = Kind::of(path)?;
        let columns = Columns::new(setup.header, setup.lang);
        let shown = quote(&path.display().to_string());
        if kind == Kind::Xlsx
            && (setup.rows >= xlsx::MAX_ROWS || columns.columns.len() > xlsx::MAX_COLUMNS)
        {
            return Err(refuse!(
                Usage,
                "--report {shown}: a worksheet holds at most {} rows and {} columns, and this \
                 report would have {} rows; write it as .csv or .jsonl",
                xlsx::MAX_ROWS - 1,
                xlsx::MAX_COLUMNS,
                setup.rows
            ));
        }
        let target = target::resolve(path);
        let live_path = kind.live_path(&target);
        let file = File::create(&live_path).map_err(|e| {
            refuse!(
                Usage,
                "--report {shown}: cannot create {}: {e}",
                quote(&live_path.display().to_string())
            )
        })?;
        let unwritable = |e: io::Error| ReportUnwritable {
            path: shown.clone(),
            reason: e.to_string(),
        };
        let mut live: Box<dyn Sink> = match kind {
            Kind::Csv | Kind::Xlsx => Box::new(csv::CsvSink::new(file)),
            Kind::Jsonl => Box::new(jsonl::JsonlSink::new(file)),
        };
        live.begin(&columns).map_err(unwritable)?;
        let order = InOrder::new(directory(&target)).map_err(unwritable)?;
        Ok(Report {
            path: path.to_path_buf(),
            target,
            kind,
            columns,
            platform: setup.platform,
            live,
            order,
            failed: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One result, with the input row it came from (`raw`, in the order of the input's
    /// header) and when it was sent, if it was.
    pub fn write(
        &mut self,
        result: &NoticeResult,
        raw: Option<&[String]>,
        sent_at: Option<DateTime<Utc>>,
    ) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let values = self.columns.values(result, raw, sent_at, &self.platform);
        self.live.row(&values)?;
        self.order.push(result.line, &values)
    }

    /// The rows written so far, on disk: whenever no result waits, so that a killed run leaves
    /// them. A failure is said by the next [`Report::write`] or [`Report::finish`].
    pub fn flush(&mut self) {
        if self.failed.is_none() {
            self.failed = self.live.flush().err();
        }
    }

    /// The report in input order (by line; rows without one, from `send`, last), ended with
    /// the run's summary where the format has room for one.
    pub fn finish(mut self, run: &RunSummary<'_>) -> io::Result<()> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        self.live.flush()?;
        let Report {
            target,
            kind,
            columns,
            platform,
            live,
            order,
            ..
        } = self;
        let live_path = kind.live_path(&target);
        if kind != Kind::Xlsx && order.ordered() {
            return live.finish(run);
        }
        let dir = directory(&target);
        let whole = tempfile::NamedTempFile::new_in(dir)?;
        let mut sink: Box<dyn Sink> = match kind {
            Kind::Csv => Box::new(csv::CsvSink::new(whole.reopen()?)),
            Kind::Jsonl => Box::new(jsonl::JsonlSink::new(whole.reopen()?)),
            Kind::Xlsx => Box::new(xlsx::XlsxSink::new(whole.path(), dir, &platform)),
        };
        sink.begin(&columns)?;
        order.replay(|values| sink.row(values))?;
        sink.finish(run)?;
        drop(live);
        // The mode the report was created with (the temporary file is the owner's alone).
        whole
            .as_file()
            .set_permissions(std::fs::metadata(&live_path)?.permissions())?;
        whole.persist(&target).map_err(|e| e.error)?;
        if kind == Kind::Xlsx {
            std::fs::remove_file(&live_path)?;
        }
        Ok(())
    }
}

/// The directory a file is in, where its temporary files go (so that a rename can replace it).
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup(rows: u64) -> ReportSetup<'static> {
        ReportSetup {
            header: None,
            lang: None,
            platform: Platform::default(),
            rows,
        }
    }

    #[test]
    fn a_workbook_report_of_more_rows_than_a_sheet_holds_is_refused_before_it_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        let refused = Report::create(&path, setup(xlsx::MAX_ROWS)).err().unwrap();
        assert_eq!(refused.exit_code(), crate::error::code::USAGE);
        assert!(refused.to_string().contains("1048575 rows"), "{refused}");
        assert!(!path.exists() && !Kind::Xlsx.live_path(&path).exists());
        // One row fewer fits, and a CSV report has no such bound.
        assert!(Report::create(&path, setup(xlsx::MAX_ROWS - 1)).is_ok());
        assert!(Report::create(&dir.path().join("r.csv"), setup(xlsx::MAX_ROWS * 2)).is_ok());
    }

    #[test]
    fn the_format_is_the_extensions() {
        let kind = |name: &str| Kind::of(Path::new(name));
        assert_eq!(kind("r.XLSX").unwrap(), Kind::Xlsx);
        assert_eq!(kind("r.ndjson").unwrap(), Kind::Jsonl);
        assert_eq!(kind("r.txt").unwrap(), Kind::Csv);
        assert_eq!(kind("report").unwrap(), Kind::Csv);
        assert!(kind("r.ods").is_err());
        assert_eq!(
            Kind::Xlsx.live_path(Path::new("a/r.xlsx")),
            Path::new("a/r.xlsx.partial.csv")
        );
    }
}
