//! `validate FILE --fix OUT`: a corrected copy of a CSV file or a workbook's sheet, with only
//! the fixes that cannot change what a value means (`hints::fixed`). Every other cell is
//! copied as it is, so what is wrong and ambiguous is still wrong in OUT, for a person to
//! decide. Each change is reported as it is made.

use super::cells;
use super::field::Field;
use super::hints;
use super::problem::{column_letters, sheet_reference};
use super::source::{self, Backing};
use super::workbook::{self, Workbook};
use super::{csv, Format, InputError, Source};
use crate::text::quote;
use calamine::Data;
use chrono::NaiveDateTime;
use serde::Serialize;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// One value changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The line of the record (CSV) or the spreadsheet row (workbook).
    pub line: u64,
    /// The column as its header names it.
    pub column: String,
    /// `Sheet1!C8`, for a workbook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    pub before: String,
    pub after: String,
}

impl Change {
    /// `line 7, 退保金额: '1,000.00' → 1000.00`, or for a workbook
    /// `row 8, 退保金额 (Sheet1!C8): '1,000.00' → 1000.00`.
    pub fn describe(&self) -> String {
        let (noun, cell) = match &self.cell {
            Some(cell) => ("row", format!(" ({cell})")),
            None => ("line", String::new()),
        };
        format!(
            "{noun} {}, {}{cell}: '{}' → {}",
            self.line,
            self.column,
            quote(&self.before),
            quote(&self.after)
        )
    }
}

/// What OUT is written as, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixFormat {
    Csv,
    Xlsx,
}

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("{0}")]
    Input(#[from] InputError),
    #[error("--fix {out}: the copy is written as CSV or as a workbook; name it .csv or .xlsx")]
    Extension { out: String },
    #[error(
        "--fix {out} is the input itself; name another file (the input is never written over)"
    )]
    SameFile { out: String },
    #[error("--fix reads CSV files and workbooks; {name} is JSON Lines")]
    JsonLines { name: String },
    #[error(
        "{name}: the merged cells {regions} cannot be kept in a CSV copy; write an .xlsx copy \
         (--fix OUT.xlsx) or unmerge them first"
    )]
    MergedInCsv { name: String, regions: String },
    #[error(
        "{name}:{line} is not valid UTF-8, and the copy would change those bytes; save the \
         file as UTF-8 (or pass --encoding gb18030 if it is GBK) and run --fix again"
    )]
    NotUtf8 { name: String, line: u64 },
    #[error("cannot write {out}: {reason}")]
    Write { out: String, reason: String },
}

impl FixFormat {
    pub fn of(out: &Path) -> Result<FixFormat, FixError> {
        let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext.eq_ignore_ascii_case("csv") {
            Ok(FixFormat::Csv)
        } else if ext.eq_ignore_ascii_case("xlsx") {
            Ok(FixFormat::Xlsx)
        } else {
            Err(FixError::Extension {
                out: out.display().to_string(),
            })
        }
    }
}

fn two_decimals(amount: f64) -> bool {
    let text = cells::amount_text(amount);
    text.split_once('.')
        .is_some_and(|(_, frac)| frac.len() <= 2)
}

/// A cell of the copy, typed as it will be written.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Empty,
    Text(String),
    /// A number; in an amount column it keeps two decimals, in an id column all its digits.
    Number(f64, Option<Field>),
    Bool(bool),
    Date(NaiveDateTime),
    /// An error cell, with the formula that made it when there was one.
    Error(String, Option<String>),
    /// A formula saved without a result.
    NoResult(String),
}

impl Out {
    /// How a CSV copy holds it. A value that is not one stays one that is still refused: a
    /// number that lost digits is written as a spreadsheet shows it (`6.1202024051E+17`), an
    /// error as its code, a formula without a result as its text.
    fn text(&self) -> String {
        match self {
            Out::Empty => String::new(),
            Out::Text(t) => t.clone(),
            Out::Number(n, Some(Field::Amount)) => cells::amount_text(*n),
            Out::Number(n, Some(Field::PolicyNo | Field::OrderNo)) if cells::lost_digits(*n) => {
                let shown = format!("{n:E}");
                match shown.split_once('E') {
                    Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                        format!("{mantissa}E+{exponent}")
                    }
                    _ => shown,
                }
            }
            Out::Number(n, _) => cells::number_text(*n),
            Out::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            Out::Date(at) => cells::datetime_text(*at),
            Out::Error(code, _) => code.clone(),
            Out::NoResult(formula) => format!("={}", formula.trim_start_matches('=')),
        }
    }
}

impl Source {
    /// Writes the corrected copy to `out` (through a temporary file beside it, so a failed
    /// run leaves no half-written copy); gives back every value changed, in file order.
    pub fn write_fixed(&self, out: &Path) -> Result<Vec<Change>, FixError> {
        let format = FixFormat::of(out)?;
        if self.format == Format::Jsonl {
            return Err(FixError::JsonLines {
                name: self.name.clone(),
            });
        }
        self.check_not_input(out)?;
        let mut copy = Copy::new(out, format, self.delimiter);
        let mut changes = Vec::new();
        let mut change = |c: Change| changes.push(c);
        match &self.workbook {
            Some(book) => self.fix_sheet(book, &mut copy, &mut change)?,
            None => self.fix_csv(&mut copy, &mut change)?,
        }
        copy.save()?;
        Ok(changes)
    }

    /// OUT may not be the input under any name (a link, `./`, another spelling).
    fn check_not_input(&self, out: &Path) -> Result<(), FixError> {
        let same = || FixError::SameFile {
            out: out.display().to_string(),
        };
        if self.name != super::STDIN_NAME {
            let input = Path::new(&self.name);
            if let (Ok(a), Ok(b)) = (resolved(input), resolved(out)) {
                if a == b {
                    return Err(same());
                }
            }
        }
        if self.backing.is_file(out) {
            return Err(same());
        }
        Ok(())
    }

    fn fix_csv(&self, copy: &mut Copy, change: &mut dyn FnMut(Change)) -> Result<(), FixError> {
        let input = source::decoded(self.backing.reader(), self.encoding);
        let mut reader = csv::reader(input, self.delimiter);
        let read_error = |e: io::Error| {
            FixError::Input(InputError::Read {
                name: self.name.clone(),
                source: e,
            })
        };
        let mut record = ::csv::ByteRecord::new();
        let mut fields: Vec<Option<Field>> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut row = 0u32;
        while csv::next(&mut reader, &mut record).map_err(read_error)? {
            let line = csv::line_of(&mut reader, &record);
            let mut cells = Vec::with_capacity(record.len());
            for cell in record.iter() {
                // A copy must not turn bytes it cannot read into something else.
                let text = std::str::from_utf8(cell).map_err(|_| FixError::NotUtf8 {
                    name: self.name.clone(),
                    line,
                })?;
                cells.push(Out::Text(text.to_owned()));
            }
            if row == 0 {
                names = cells.iter().map(Out::text).collect();
                fields = names
                    .iter()
                    .map(|n| Field::resolve(n.trim().trim_start_matches('\u{feff}'), &self.columns))
                    .collect();
            } else {
                for (index, cell) in cells.iter_mut().enumerate() {
                    let (Some(Some(field)), Out::Text(text)) = (fields.get(index), &*cell) else {
                        continue;
                    };
                    if let Some(after) = hints::fixed(*field, text) {
                        change(Change {
                            line,
                            column: names[index].trim().to_owned(),
                            cell: None,
                            before: text.clone(),
                            after: after.clone(),
                        });
                        *cell = Out::Text(after);
                    }
                }
            }
            if row == 0 {
                copy.sheet("Sheet1", &[])?;
            }
            copy.row(row, 0, &cells)?;
            row += 1;
        }
        Ok(())
    }

    fn fix_sheet(
        &self,
        book: &Workbook,
        copy: &mut Copy,
        change: &mut dyn FnMut(Change),
    ) -> Result<(), FixError> {
        let whole = book.whole_sheet(&self.backing, &self.name)?;
        if copy.format == FixFormat::Csv && !whole.merged.is_empty() {
            let regions: Vec<String> = whole.merged.iter().map(workbook::region_label).collect();
            return Err(FixError::MergedInCsv {
                name: self.name.clone(),
                regions: regions.join(", "),
            });
        }
        copy.sheet(&book.sheet, &whole.merged)?;
        let Some((top, left)) = whole.range.start() else {
            return Ok(());
        };
        let mut header: Option<(u32, Vec<Option<Field>>, Vec<String>)> = None;
        for (i, data) in whole.range.rows().enumerate() {
            let row = top + i as u32;
            let roles: &[Option<Field>] = header.as_ref().map_or(&[], |(_, f, _)| f.as_slice());
            let mut cells: Vec<Out> = data
                .iter()
                .enumerate()
                .map(|(j, d)| {
                    let column = left + j as u32;
                    let formula = whole
                        .formulas
                        .get_value((row, column))
                        .filter(|f| !f.is_empty());
                    out_cell(d, roles.get(j).copied().flatten(), formula)
                })
                .collect();
            match &header {
                None if !data.iter().all(workbook::blank) => {
                    let names: Vec<String> = data.iter().map(workbook::header_text).collect();
                    let fields = names
                        .iter()
                        .map(|n| Field::resolve(n.trim(), &self.columns))
                        .collect();
                    header = Some((row, fields, names));
                }
                Some((_, fields, names)) => {
                    for (j, cell) in cells.iter_mut().enumerate() {
                        let (Some(Some(field)), Out::Text(text)) = (fields.get(j), &*cell) else {
                            continue;
                        };
                        let Some(after) = hints::fixed(*field, text) else {
                            continue;
                        };
                        let at = format!(
                            "{}!{}{}",
                            sheet_reference(&book.sheet),
                            column_letters(left + j as u32),
                            workbook::line(row)
                        );
                        change(Change {
                            line: workbook::line(row),
                            column: names[j].trim().to_owned(),
                            cell: Some(at),
                            before: text.clone(),
                            after: after.clone(),
                        });
                        *cell = typed(*field, after);
                    }
                }
                None => {}
            }
            copy.row(row, left, &cells)?;
        }
        Ok(())
    }
}

/// A fixed text as a workbook copy holds it: an amount as a number, a date as a date cell;
/// ids and the rest stay text.
fn typed(field: Field, text: String) -> Out {
    match field {
        Field::Amount => match text.parse::<f64>() {
            Ok(n) => Out::Number(n, Some(Field::Amount)),
            Err(_) => Out::Text(text),
        },
        Field::RefundDate => match NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S") {
            Ok(at) => Out::Date(at),
            Err(_) => Out::Text(text),
        },
        _ => Out::Text(text),
    }
}

fn out_cell(data: &Data, role: Option<Field>, formula: Option<&String>) -> Out {
    match data {
        Data::Empty => match formula {
            Some(f) => Out::NoResult(f.clone()),
            None => Out::Empty,
        },
        Data::String(s) => Out::Text(s.clone()),
        Data::Int(i) => Out::Number(*i as f64, role),
        Data::Float(f) => Out::Number(*f, role),
        Data::Bool(b) => Out::Bool(*b),
        Data::DateTime(dt) => match cells::serial_datetime(dt) {
            Ok(at) => Out::Date(at),
            Err(_) => Out::Number(dt.as_f64(), None),
        },
        Data::DateTimeIso(iso) => match cells::iso_datetime(iso) {
            Some(at) => Out::Date(at),
            None => Out::Text(iso.clone()),
        },
        Data::DurationIso(d) => Out::Text(d.clone()),
        Data::Error(e) => Out::Error(e.to_string(), formula.cloned()),
    }
}

/// The path as the file system finds it: the file itself when it exists, else its folder's
/// real path with its name.
fn resolved(path: &Path) -> io::Result<PathBuf> {
    if let Ok(real) = std::fs::canonicalize(path) {
        return Ok(real);
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("no file name"))?;
    Ok(std::fs::canonicalize(parent)?.join(name))
}

/// The copy being written: CSV into memory, or a workbook's one sheet. Saved whole at the
/// end, through a temporary file beside OUT.
struct Copy {
    out: PathBuf,
    format: FixFormat,
    csv: Option<::csv::Writer<Vec<u8>>>,
    book: rust_xlsxwriter::Workbook,
}

impl Copy {
    fn new(out: &Path, format: FixFormat, delimiter: u8) -> Copy {
        Copy {
            out: out.to_path_buf(),
            format,
            csv: (format == FixFormat::Csv).then(|| {
                ::csv::WriterBuilder::new()
                    .delimiter(delimiter)
                    .flexible(true)
                    .from_writer(Vec::new())
            }),
            book: rust_xlsxwriter::Workbook::new(),
        }
    }

    fn failed(&self, reason: impl std::fmt::Display) -> FixError {
        FixError::Write {
            out: self.out.display().to_string(),
            reason: reason.to_string(),
        }
    }

    /// The workbook copy's sheet, named as the input's, with its merged regions (merged
    /// before any value is written: merging blanks a region, and its first cell's value
    /// comes with its row).
    fn sheet(&mut self, name: &str, merged: &[calamine::Dimensions]) -> Result<(), FixError> {
        if self.format != FixFormat::Xlsx {
            return Ok(());
        }
        let sheet = self.book.add_worksheet();
        let result = sheet.set_name(name).map(|_| ()).and_then(|()| {
            merged.iter().try_for_each(|region| {
                let ((r0, c0), (r1, c1)) = (region.start, region.end);
                let col = |c: u32| u16::try_from(c).unwrap_or(u16::MAX);
                let blank = rust_xlsxwriter::Format::new();
                sheet
                    .merge_range(r0, col(c0), r1, col(c1), "", &blank)
                    .map(|_| ())
            })
        });
        result.map_err(|e| self.failed(e))
    }

    fn row(&mut self, row: u32, left: u32, cells: &[Out]) -> Result<(), FixError> {
        if let Some(csv) = &mut self.csv {
            // A CSV copy starts at its first column: the sheet's used cells, in order.
            let texts: Vec<String> = cells.iter().map(Out::text).collect();
            let result = csv.write_record(&texts);
            return result.map_err(|e| self.failed(e));
        }
        let result = self.book.worksheet_from_index(0).and_then(|sheet| {
            cells.iter().enumerate().try_for_each(|(j, cell)| {
                let column = u16::try_from(left as usize + j).unwrap_or(u16::MAX);
                write_cell(sheet, row, column, cell)
            })
        });
        result.map_err(|e| self.failed(e))
    }

    fn save(mut self) -> Result<(), FixError> {
        let dir = match self.out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let bytes = match self.csv.take() {
            Some(csv) => {
                let mut bytes = "\u{feff}".as_bytes().to_vec();
                // A BOM first, so that Excel opens the copy as UTF-8 (as it does the reports).
                bytes.extend(csv.into_inner().map_err(|e| self.failed(e))?);
                bytes
            }
            None => self.book.save_to_buffer().map_err(|e| self.failed(e))?,
        };
        let mut temp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| self.failed(e))?;
        temp.write_all(&bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| self.failed(e))?;
        temp.persist(&self.out).map_err(|e| self.failed(e.error))?;
        Ok(())
    }
}

fn write_cell(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    column: u16,
    cell: &Out,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format as CellFormat, Formula};
    match cell {
        Out::Empty => {}
        Out::Text(t) => {
            sheet.write_string(row, column, t)?;
        }
        // Shown with two decimals when it has no more: a format must not hide a third.
        Out::Number(n, Some(Field::Amount)) if two_decimals(*n) => {
            let format = CellFormat::new().set_num_format("0.00");
            sheet.write_number_with_format(row, column, *n, &format)?;
        }
        // All its digits shown, not 6.12E+11; one that lost digits keeps showing it.
        Out::Number(n, Some(Field::PolicyNo | Field::OrderNo))
            if n.fract() == 0.0 && !cells::lost_digits(*n) =>
        {
            let format = CellFormat::new().set_num_format("0");
            sheet.write_number_with_format(row, column, *n, &format)?;
        }
        Out::Number(n, _) => {
            sheet.write_number(row, column, *n)?;
        }
        Out::Bool(b) => {
            sheet.write_boolean(row, column, *b)?;
        }
        Out::Date(at) => {
            let date = super::xlsx_datetime(*at)?;
            sheet.write_datetime_with_format(
                row,
                column,
                &date,
                &CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            )?;
        }
        Out::Error(code, formula) => {
            let formula = formula.as_deref().unwrap_or("NA()");
            let formula = format!("={}", formula.trim_start_matches('='));
            sheet.write_formula(row, column, Formula::new(formula).set_result(code))?;
        }
        Out::NoResult(formula) => {
            // rust_xlsxwriter saves a result with every formula (0 unless told): #N/A keeps
            // the cell an error until a spreadsheet program calculates it.
            let formula = format!("={}", formula.trim_start_matches('='));
            sheet.write_formula(row, column, Formula::new(formula).set_result("#N/A"))?;
        }
    }
    Ok(())
}

impl Backing {
    /// Whether `path` is this very file (the same device and inode), however it is named.
    pub(crate) fn is_file(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
}
