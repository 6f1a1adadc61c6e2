//! A workbook report (`--report FILE.xlsx`), through the results workbook: ids and messages
//! as text cells, amounts as numbers shown with two decimals, statuses and counts as numbers,
//! times as date cells; a second sheet with the run's counts, platform, channel and times.

use super::columns::{summary_label, Columns, Lang, Platform, Value};
use super::{RunSummary, Sink};
use crate::notice::Outcome;
use crate::output::workbook::{ReportCell, ResultsWorkbook};
use crate::protocol::{cst, Amount};
use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use std::io;
use std::path::{Path, PathBuf};

/// The most rows a worksheet holds, its header included.
pub(super) const MAX_ROWS: u64 = 1_048_576;
/// The most columns a worksheet holds.
pub(super) const MAX_COLUMNS: usize = 16_384;

pub(super) struct XlsxSink {
    /// Where the workbook is saved, and where its rows wait until then.
    path: PathBuf,
    dir: PathBuf,
    platform: Platform,
    book: Option<ResultsWorkbook>,
    in_table: Vec<bool>,
    lang: Lang,
}

impl XlsxSink {
    pub fn new(path: &Path, dir: &Path, platform: &Platform) -> XlsxSink {
        XlsxSink {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            platform: platform.clone(),
            book: None,
            in_table: Vec::new(),
            lang: Lang::En,
        }
    }
}

impl Sink for XlsxSink {
    fn begin(&mut self, columns: &Columns) -> io::Result<()> {
        self.lang = columns.lang;
        self.in_table = columns.columns.iter().map(|c| c.in_table()).collect();
        let names: Vec<&str> = columns.table_names().collect();
        let sheet = match self.lang {
            Lang::En => "Results",
            Lang::Zh => "结果",
        };
        self.book = Some(ResultsWorkbook::new(&self.dir, sheet, &names).map_err(io::Error::other)?);
        Ok(())
    }

    fn row(&mut self, values: &[Value<'_>]) -> io::Result<()> {
        let Some(book) = self.book.as_mut() else {
            return Err(io::Error::other("a row before the header"));
        };
        let cells: Vec<ReportCell<'_>> = values
            .iter()
            .zip(&self.in_table)
            .filter(|(_, t)| **t)
            .map(|(v, _)| cell(v))
            .collect();
        book.row(&cells).map_err(io::Error::other)
    }

    /// Nothing to flush: a workbook is written whole, at the end.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(self: Box<Self>, run: &RunSummary<'_>) -> io::Result<()> {
        let XlsxSink {
            path,
            platform,
            book,
            lang,
            ..
        } = *self;
        let Some(book) = book else {
            return Err(io::Error::other("no header was written"));
        };
        let label = |key| summary_label(key, lang);
        let count = |n: u64| ReportCell::Integer(i64::try_from(n).unwrap_or(i64::MAX));
        let mut lines: Vec<(&str, ReportCell<'_>)> = Outcome::ALL
            .iter()
            .map(|o| (o.as_str(), count(run.tally.get(*o))))
            .collect();
        let (yes, no) = match lang {
            Lang::En => ("yes", "no"),
            Lang::Zh => ("是", "否"),
        };
        lines.extend([
            (
                label("rejectedEarlier"),
                count(run.tally.rejected_earlier()),
            ),
            (label("total"), count(run.tally.total())),
            (
                label("platform"),
                platform
                    .name
                    .as_deref()
                    .map_or(ReportCell::Empty, ReportCell::Text),
            ),
            (label("endpoint"), ReportCell::Text(&platform.endpoint)),
            (label("channel"), ReportCell::Text(&platform.channel)),
            (label("runId"), ReportCell::Text(run.run_id)),
            (
                label("startedAt"),
                ReportCell::DateTime(in_cst(run.started)),
            ),
            (label("endedAt"), ReportCell::DateTime(in_cst(run.ended))),
            (
                label("interrupted"),
                ReportCell::Text(if run.interrupted { yes } else { no }),
            ),
        ]);
        let sheet = match lang {
            Lang::En => "Summary",
            Lang::Zh => "汇总",
        };
        book.save(&path, sheet, &lines).map_err(io::Error::other)
    }
}

/// A value as its cell. An input value that does not read as its type (it always does: it
/// was checked before it was sent) stays text rather than be lost.
fn cell<'a>(value: &'a Value<'a>) -> ReportCell<'a> {
    match value {
        Value::Empty | Value::List(_) => ReportCell::Empty,
        Value::Text(s) => ReportCell::Text(s),
        Value::Integer(n) => ReportCell::Integer(*n),
        Value::Amount(s) => s
            .parse::<Amount>()
            .map_or(ReportCell::Text(s), ReportCell::Amount),
        Value::Status(s) => s
            .parse::<i64>()
            .map_or(ReportCell::Text(s), ReportCell::Integer),
        Value::DateTime(s) => NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
            .map_or(ReportCell::Text(s), ReportCell::DateTime),
        Value::Instant(at) => ReportCell::DateTime(in_cst(*at)),
    }
}

/// An instant as China Standard Time's wall clock, to the second, as a date cell shows it.
fn in_cst(at: DateTime<Utc>) -> NaiveDateTime {
    let local = at.with_timezone(&cst()).naive_local();
    local.with_nanosecond(0).unwrap_or(local)
}
