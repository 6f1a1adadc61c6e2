//! A results workbook a manager can open: one sheet of rows under a frozen header with
//! filters, ids as text (an all-digit policy number stays whole), amounts as numbers shown
//! with two decimals, times as date cells; and a second sheet of key/value lines (counts per
//! outcome, the platform, the channel, the run's times). The rows go to a temporary file as
//! they are written (rust_xlsxwriter's constant-memory mode: they must come in order), and the
//! workbook is put together when saved.

use crate::input::xlsx_datetime;
use crate::protocol::Amount;
use chrono::NaiveDateTime;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::path::Path;

/// One cell of a results row, or a summary value.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportCell<'a> {
    /// Written as text, whatever it looks like: ids, outcomes, messages.
    Text(&'a str),
    /// A number shown with two decimals.
    Amount(Amount),
    /// A date cell shown as `yyyy-mm-dd hh:mm:ss`.
    DateTime(NaiveDateTime),
    Integer(i64),
    Empty,
}

/// Column widths, in characters, between which a column is sized to its longest value.
const MIN_WIDTH: usize = 8;
const MAX_WIDTH: usize = 60;

pub struct ResultsWorkbook {
    book: Workbook,
    columns: usize,
    /// Rows written so far, the header included.
    rows: u32,
    /// The widest value of each column, in terminal cells (a Chinese character is two).
    widths: Vec<usize>,
    amount: Format,
    datetime: Format,
    header: Format,
}

impl ResultsWorkbook {
    /// A workbook whose first sheet, `sheet`, has `headers` in its first row; its rows wait
    /// in a temporary file in `tempdir` (beside the file it is for: the system's temporary
    /// directory may be in memory).
    pub fn new(tempdir: &Path, sheet: &str, headers: &[&str]) -> Result<Self, XlsxError> {
        let mut book = Workbook::new();
        book.set_tempdir(tempdir)?;
        let header = Format::new().set_bold();
        let results = book.add_worksheet_with_constant_memory()?;
        results.set_name(sheet)?;
        for (column, name) in headers.iter().enumerate() {
            results.write_string_with_format(0, column_number(column)?, *name, &header)?;
        }
        Ok(ResultsWorkbook {
            book,
            columns: headers.len(),
            rows: 1,
            widths: headers.iter().map(|h| width(h)).collect(),
            amount: Format::new().set_num_format("0.00"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            header,
        })
    }

    /// The next row; cells past the header's width are left out.
    pub fn row(&mut self, cells: &[ReportCell<'_>]) -> Result<(), XlsxError> {
        let row = self.rows;
        let sheet = self.book.worksheet_from_index(0)?;
        for (column, cell) in cells.iter().take(self.columns).enumerate() {
            let shown = write(
                sheet,
                row,
                column_number(column)?,
                cell,
                &self.amount,
                &self.datetime,
            )?;
            self.widths[column] = self.widths[column].max(shown);
        }
        self.rows += 1;
        Ok(())
    }

    /// Finishes the results sheet (frozen header, filters, widths), adds the sheet `name` of
    /// key/value `lines`, and writes the file.
    pub fn save(
        mut self,
        path: &Path,
        name: &str,
        lines: &[(&str, ReportCell<'_>)],
    ) -> Result<(), XlsxError> {
        let results = self.book.worksheet_from_index(0)?;
        results.set_freeze_panes(1, 0)?;
        if self.columns > 0 {
            results.autofilter(0, 0, self.rows - 1, column_number(self.columns - 1)?)?;
        }
        for (column, widest) in self.widths.iter().enumerate() {
            results.set_column_width(column_number(column)?, column_width(*widest))?;
        }
        let summary = self.book.add_worksheet();
        summary.set_name(name)?;
        let (mut keys, mut values) = (MIN_WIDTH, MIN_WIDTH);
        for (row, (key, value)) in lines.iter().enumerate() {
            let row = u32::try_from(row).map_err(|_| XlsxError::RowColumnLimitError)?;
            summary.write_string_with_format(row, 0, *key, &self.header)?;
            keys = keys.max(width(key));
            values = values.max(write(summary, row, 1, value, &self.amount, &self.datetime)?);
        }
        summary.set_column_width(0, column_width(keys))?;
        summary.set_column_width(1, column_width(values))?;
        self.book.save(path)
    }
}

/// Writes one cell; gives back how wide it shows.
fn write(
    sheet: &mut Worksheet,
    row: u32,
    column: u16,
    cell: &ReportCell<'_>,
    amount: &Format,
    datetime: &Format,
) -> Result<usize, XlsxError> {
    Ok(match cell {
        ReportCell::Text(text) => {
            sheet.write_string(row, column, *text)?;
            width(text)
        }
        ReportCell::Amount(value) => {
            // Fen as yuan: the nearest double to a two-decimal value, shown as written.
            sheet.write_number_with_format(row, column, value.fen() as f64 / 100.0, amount)?;
            format!("{}.00", value.fen() / 100).len()
        }
        ReportCell::DateTime(at) => {
            sheet.write_datetime_with_format(row, column, &xlsx_datetime(*at)?, datetime)?;
            "yyyy-mm-dd hh:mm:ss".len()
        }
        ReportCell::Integer(n) => {
            sheet.write_number(row, column, *n as f64)?;
            n.to_string().len()
        }
        ReportCell::Empty => 0,
    })
}

fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

fn column_width(widest: usize) -> f64 {
    (widest + 2).clamp(MIN_WIDTH, MAX_WIDTH) as f64
}

fn column_number(index: usize) -> Result<u16, XlsxError> {
    u16::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{open_workbook, Data, Reader, Xlsx};

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn cells_are_written_with_their_types_and_read_back_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.xlsx");
        let mut book = ResultsWorkbook::new(
            dir.path(),
            "结果",
            &[
                "保单号",
                "退保金额",
                "退保日期",
                "outcome",
                "attempts",
                "客户姓名",
            ],
        )
        .unwrap();
        book.row(&[
            ReportCell::Text("612020000001"),
            ReportCell::Amount("1000".parse().unwrap()),
            ReportCell::DateTime(at("2024-05-10 09:30:00")),
            ReportCell::Text("accepted"),
            ReportCell::Integer(2),
            ReportCell::Text("张三"),
        ])
        .unwrap();
        book.row(&[
            ReportCell::Text("P2"),
            ReportCell::Amount("10.2".parse().unwrap()),
            ReportCell::Empty,
            ReportCell::Text("rejected"),
            ReportCell::Integer(1),
        ])
        .unwrap();
        let started = at("2024-05-10 09:00:00");
        book.save(
            &path,
            "汇总",
            &[
                ("accepted", ReportCell::Integer(1)),
                (
                    "platform",
                    ReportCell::Text("test (https://example.invalid)"),
                ),
                ("channel", ReportCell::Text("HN_HT_QNW")),
                ("started", ReportCell::DateTime(started)),
            ],
        )
        .unwrap();

        let mut read: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(read.sheet_names(), ["结果", "汇总"]);
        let results = read.worksheet_range("结果").unwrap();
        assert_eq!(results.get((0, 0)), Some(&Data::String("保单号".into())));
        // The all-digit policy number is a text cell, not a number.
        assert_eq!(
            results.get((1, 0)),
            Some(&Data::String("612020000001".into()))
        );
        assert_eq!(results.get((1, 1)), Some(&Data::Float(1000.0)));
        assert_eq!(results.get((2, 1)), Some(&Data::Float(10.2)));
        match results.get((1, 2)) {
            Some(Data::DateTime(d)) => {
                assert!(d.is_datetime());
                assert_eq!(d.to_ymd_hms_milli(), (2024, 5, 10, 9, 30, 0, 0));
            }
            other => panic!("not a date cell: {other:?}"),
        }
        assert_eq!(results.get((2, 2)), Some(&Data::Empty));
        assert_eq!(results.get((1, 4)), Some(&Data::Float(2.0)));
        assert_eq!(results.get((1, 5)), Some(&Data::String("张三".into())));

        let summary = read.worksheet_range("汇总").unwrap();
        assert_eq!(summary.get((0, 0)), Some(&Data::String("accepted".into())));
        assert_eq!(summary.get((0, 1)), Some(&Data::Float(1.0)));
        assert_eq!(summary.get((2, 1)), Some(&Data::String("HN_HT_QNW".into())));
        assert!(matches!(summary.get((3, 1)), Some(Data::DateTime(d)) if d.is_datetime()));

        // The amounts carry their two-decimal format, the dates theirs.
        let styles = read.worksheet_style("结果").unwrap();
        let format = |row, column| {
            styles
                .get((row, column))
                .and_then(|s| s.number_format.as_ref())
                .map(|f| f.format_code.clone())
        };
        assert_eq!(format(1, 1).as_deref(), Some("0.00"));
        assert_eq!(format(1, 2).as_deref(), Some("yyyy-mm-dd hh:mm:ss"));
    }

    #[test]
    fn the_header_is_frozen_filtered_and_columns_are_sized() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        let mut book = ResultsWorkbook::new(dir.path(), "Results", &["policyNo", "desc"]).unwrap();
        book.row(&[ReportCell::Text("P1"), ReportCell::Text(&"成功".repeat(10))])
            .unwrap();
        book.save(&path, "Summary", &[]).unwrap();
        let mut read: Xlsx<_> = open_workbook(&path).unwrap();
        let sheet = read.worksheet_range("Results").unwrap();
        assert_eq!(sheet.get_size(), (2, 2));
        // What calamine does not model is checked in the sheet's XML.
        let xml = sheet_xml(&path);
        assert!(
            xml.contains(
                r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
            ),
            "{xml}"
        );
        assert!(xml.contains(r#"<autoFilter ref="A1:B2"/>"#), "{xml}");
        // policyNo: its header (8 cells) + 2 = 10; desc: 20 Chinese characters = 40 cells + 2.
        assert!(
            xml.contains(r#"width="10.7109375""#) || xml.contains(r#"width="10.71"#),
            "{xml}"
        );
        assert!(
            xml.contains(r#"width="42.7109375""#) || xml.contains(r#"width="42.71"#),
            "{xml}"
        );
    }

    /// The first sheet's XML, read out of the archive.
    fn sheet_xml(path: &Path) -> String {
        let file = std::fs::File::open(path).unwrap();
        let mut archive = zip::ZipArchive::new(file).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        xml
    }
}
