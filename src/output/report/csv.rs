//! A CSV report for Excel and for `cat`: UTF-8 with a BOM, each cell's controls escaped,
//! formula-looking cells made text, and long all-digit values kept whole when Excel opens them.

use super::columns::{Columns, Value};
use super::{RunSummary, Sink};
use crate::protocol::cst;
use crate::text::escape_controls;
use chrono::SecondsFormat;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};

/// What Excel needs to read a CSV as UTF-8 rather than the machine's code page (GB18030 on a
/// Chinese Windows, where 成功 would show as mojibake).
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

pub(super) struct CsvSink {
    /// The file until the header is written, then the writer over it.
    file: Option<File>,
    out: Option<csv::Writer<File>>,
    /// Which of the row's values are columns of the table.
    in_table: Vec<bool>,
}

impl CsvSink {
    pub fn new(file: File) -> CsvSink {
        CsvSink {
            file: Some(file),
            out: None,
            in_table: Vec::new(),
        }
    }
}

impl Sink for CsvSink {
    fn begin(&mut self, columns: &Columns) -> io::Result<()> {
        self.in_table = columns.columns.iter().map(|c| c.in_table()).collect();
        let mut file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("the header is written once"))?;
        file.write_all(UTF8_BOM)?;
        let out = self.out.insert(csv::Writer::from_writer(file));
        let names: Vec<Cow<'_, str>> = columns.table_names().map(cell).collect();
        out.write_record(names.iter().map(|n| n.as_bytes()))?;
        out.flush()
    }

    fn row(&mut self, values: &[Value<'_>]) -> io::Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("a row before the header"))?;
        for (value, _) in values.iter().zip(&self.in_table).filter(|(_, t)| **t) {
            out.write_field(text(value).as_bytes())?;
        }
        // The fields written, the record ends.
        out.write_record(None::<&[u8]>)?;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer()?.flush()
    }

    fn finish(mut self: Box<Self>, _: &RunSummary<'_>) -> io::Result<()> {
        self.writer()?.flush()
    }
}

impl CsvSink {
    fn writer(&mut self) -> io::Result<&mut csv::Writer<File>> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("a row before the header"))
    }
}

/// A value as its cell's text.
fn text<'a>(value: &'a Value<'a>) -> Cow<'a, str> {
    match value {
        Value::Empty | Value::List(_) => Cow::Borrowed(""),
        Value::Text(s) | Value::Amount(s) | Value::Status(s) | Value::DateTime(s) => cell(s),
        Value::Integer(n) => Cow::Owned(n.to_string()),
        Value::Instant(at) => Cow::Owned(
            at.with_timezone(&cst())
                .to_rfc3339_opts(SecondsFormat::Millis, false),
        ),
    }
}

/// A CSV is read with `cat` as often as with a spreadsheet: each cell shows its controls
/// escaped, as a text line does; then a cell a spreadsheet would take for a formula or a
/// number it cannot hold is made text.
fn cell(text: &str) -> Cow<'_, str> {
    match escape_controls(text) {
        Cow::Borrowed(t) => for_spreadsheets(t),
        Cow::Owned(t) => Cow::Owned(for_spreadsheets(&t).into_owned()),
    }
}

/// A spreadsheet reads a cell starting with `=`, `+`, `-`, `@` (or a tab or CR, which it
/// strips first) as a formula: a leading `'` makes it text (OWASP's advice against CSV
/// injection; the server's dealDesc is not ours to trust). And it reads an all-digit value
/// as a number: past 11 digits it shows `6.1202E+11`, past 15 it loses the last digits, and
/// it drops leading zeros. Such a value gets a leading tab, which makes Excel keep the cell
/// as text, shown whole; `batch`, which trims cells, reads it back unchanged. (`="…"` would
/// work in Excel too, but it is a formula, which other readers take literally.)
fn for_spreadsheets(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        return format!("'{cell}").into();
    }
    let digits = !cell.is_empty() && cell.bytes().all(|b| b.is_ascii_digit());
    if digits && (cell.len() > EXCEL_GENERAL_DIGITS || (cell.len() > 1 && cell.starts_with('0'))) {
        return format!("\t{cell}").into();
    }
    cell.into()
}

/// The most digits Excel's General format shows of a number before it turns to `1.2E+11`.
const EXCEL_GENERAL_DIGITS: usize = 11;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_change_are_made_text() {
        let shown = |s: &str| cell(s).into_owned();
        assert_eq!(shown("=1+1"), "'=1+1");
        assert_eq!(shown("-1"), "'-1");
        assert_eq!(shown("\u{1b}[31m"), "\\u{1b}[31m");
        // Escaped, a tab no longer starts the cell.
        assert_eq!(shown("\tx"), "\\tx");
        assert_eq!(shown("612020240510"), "\t612020240510");
        assert_eq!(shown("0012"), "\t0012");
        // What Excel shows as written is left alone.
        assert_eq!(shown("12345678901"), "12345678901");
        assert_eq!(shown("0"), "0");
        assert_eq!(shown("1000.00"), "1000.00");
        assert_eq!(shown("P2024000001"), "P2024000001");
    }
}
