//! Workbooks (.xlsx, .xlsm, .xls, .ods) read with calamine: one sheet, its first non-empty
//! row the header, every later row a record. Each cell becomes text by its column's role
//! (`cells.rs`) and goes through the same checks as a CSV cell. Problems name their cell.
//!
//! A pass opens the workbook again from the held file, so a run can read it twice (checked in
//! full, then sent) as it reads a CSV file; only one sheet is held in memory at a time.

use super::cells::{self, Value};
use super::field::Field;
use super::fields::{Cell, Draft};
use super::header;
use super::source::{At, Backing, NotText};
use super::{ColumnMapping, Emitter, InputError};
use crate::text::quote;
use calamine::{
    Data, Dimensions, Ods, Range, Reader, SheetType, SheetVisible, Sheets, Xls, Xlsb, Xlsx,
};
use std::collections::HashMap;
use std::io::BufReader;
use std::ops::ControlFlow;

type Book<'a> = Sheets<BufReader<At<'a>>>;

/// Which reader opened the file, so each pass uses it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Xlsx,
    Xls,
    Ods,
    Xlsb,
}

/// A workbook that opened, and the sheet to read.
#[derive(Debug)]
pub(crate) struct Workbook {
    kind: Kind,
    pub sheet: String,
}

/// Reads with this much buffered: the readers seek about inside the archive.
const BUFFER: usize = 64 * 1024;

impl Workbook {
    /// Opens the workbook `head` says the file is (a ZIP archive: .xlsx, .xlsm, .ods or .xlsb;
    /// an OLE2 file: .xls) and picks the sheet: `sheet`, else the first visible worksheet.
    /// Gives back the notices for stderr: the sheet read when there are several, and the
    /// header's columns that are no field, but for those `ignored`.
    pub fn open(
        backing: &Backing,
        name: &str,
        head: NotText,
        sheet: Option<&str>,
        columns: &[ColumnMapping],
        ignored: &[String],
    ) -> Result<(Workbook, Vec<String>), InputError> {
        let tries: &[Kind] = match head {
            NotText::Xls => &[Kind::Xls],
            _ => &[Kind::Xlsx, Kind::Ods, Kind::Xlsb],
        };
        let mut first_error = None;
        for &kind in tries {
            match open_as(backing, kind) {
                Ok(mut book) => {
                    let (sheet, notice) = choose_sheet(&book, name, sheet)?;
                    let mut notices: Vec<String> = notice.into_iter().collect();
                    let header = header_row(&mut book, &sheet).map_err(unreadable(name))?;
                    notices.extend(other_columns(&header, columns, ignored).map(|names| {
                        format!(
                            "{name}: not notice fields, left out: {names} ({})",
                            header::SILENCE_HINT
                        )
                    }));
                    return Ok((Workbook { kind, sheet }, notices));
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let error = first_error.unwrap_or(calamine::Error::Msg("no reader for it"));
        Err(unreadable(name)(error))
    }

    /// One pass over the sheet, in row order.
    pub fn read(
        &self,
        backing: &Backing,
        name: &str,
        emitter: &mut Emitter<'_>,
        columns: &[ColumnMapping],
    ) -> Result<ControlFlow<()>, InputError> {
        let mut book = open_as(backing, self.kind).map_err(unreadable(name))?;
        let range = book
            .worksheet_range(&self.sheet)
            .map_err(unreadable(name))?;
        let merged = merged_cells(&mut book, &self.sheet).map_err(unreadable(name))?;
        let mut sheet = Sheet {
            book,
            name: &self.sheet,
            range,
            formulas: None,
        };
        sheet
            .read(emitter, columns, &merged)
            .map_err(unreadable(name))
    }
}

/// A workbook that cannot be read, in the reader's words made safe for a terminal (they may
/// quote bytes of the file).
fn unreadable(name: &str) -> impl Fn(calamine::Error) -> InputError + '_ {
    move |e| InputError::Workbook {
        name: name.to_owned(),
        reason: crate::text::escape_controls(&e.to_string()).into_owned(),
    }
}

/// A sheet whole, for `validate --fix` to copy: its cells, its formulas, its merged regions
/// and the workbook's date system as the cells carry it.
pub(crate) struct WholeSheet {
    pub range: Range<Data>,
    pub formulas: Range<String>,
    pub merged: Vec<Dimensions>,
}

impl Workbook {
    pub fn whole_sheet(&self, backing: &Backing, name: &str) -> Result<WholeSheet, InputError> {
        let unreadable = unreadable(name);
        let mut book = open_as(backing, self.kind).map_err(&unreadable)?;
        let range = book.worksheet_range(&self.sheet).map_err(&unreadable)?;
        let formulas = book.worksheet_formula(&self.sheet).map_err(&unreadable)?;
        let merged = regions(&mut book, &self.sheet).map_err(&unreadable)?;
        Ok(WholeSheet {
            range,
            formulas,
            merged,
        })
    }
}

fn open_as(backing: &Backing, kind: Kind) -> Result<Book<'_>, calamine::Error> {
    let reader = BufReader::with_capacity(BUFFER, backing.reader());
    Ok(match kind {
        Kind::Xlsx => Sheets::Xlsx(Xlsx::new(reader)?),
        Kind::Xls => Sheets::Xls(Xls::new(reader)?),
        Kind::Ods => Sheets::Ods(Ods::new(reader)?),
        Kind::Xlsb => Sheets::Xlsb(Xlsb::new(reader)?),
    })
}

fn choose_sheet(
    book: &Book<'_>,
    name: &str,
    wanted: Option<&str>,
) -> Result<(String, Option<String>), InputError> {
    let sheets = book.sheets_metadata();
    let worksheets: Vec<&str> = sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.as_str())
        .collect();
    let listed = || {
        worksheets
            .iter()
            .map(|s| format!("'{}'", quote(s)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(wanted) = wanted {
        // Exactly as written, else ignoring case as Excel does for sheet names.
        let found = worksheets.iter().find(|s| **s == wanted).or_else(|| {
            worksheets
                .iter()
                .find(|s| s.to_lowercase() == wanted.to_lowercase())
        });
        return match found {
            Some(sheet) => Ok(((*sheet).to_owned(), None)),
            None => Err(InputError::NoSheet {
                name: name.to_owned(),
                sheet: quote(wanted),
                sheets: listed(),
            }),
        };
    }
    let first = sheets
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .or_else(|| sheets.iter().find(|s| s.typ == SheetType::WorkSheet));
    let Some(first) = first else {
        return Err(InputError::NoSheet {
            name: name.to_owned(),
            sheet: String::new(),
            sheets: String::new(),
        });
    };
    let notice = (worksheets.len() > 1).then(|| {
        format!(
            "{name}: reading the sheet '{}', the first of {} ({}); --sheet NAME reads another",
            quote(&first.name),
            worksheets.len(),
            listed()
        )
    });
    Ok((first.name.clone(), notice))
}

/// The header's names that are no field (a workbook often carries more, such as the
/// customer's name) and not `ignored`, for a one-line notice, or `None` when there are none.
fn other_columns(header: &[Data], columns: &[ColumnMapping], ignored: &[String]) -> Option<String> {
    let unknown: Vec<String> = header
        .iter()
        .map(header_text)
        .filter(|n| !n.trim().is_empty() && Field::resolve(n.trim(), columns).is_none())
        .filter(|n| !header::is_ignored(n, ignored))
        .map(|n| quote(n.trim()))
        .collect();
    (!unknown.is_empty()).then(|| header::first_names(&unknown))
}

/// `A2:A3`.
pub(crate) fn region_label(region: &Dimensions) -> String {
    let ((r0, c0), (r1, c1)) = (region.start, region.end);
    format!(
        "{}{}:{}{}",
        super::problem::column_letters(c0),
        line(r0),
        super::problem::column_letters(c1),
        line(r1)
    )
}

/// The sheet's first non-empty row. An .xlsx sheet is streamed up to it rather than read
/// whole, so opening a big workbook costs little before its pass.
fn header_row(book: &mut Book<'_>, sheet: &str) -> Result<Vec<Data>, calamine::Error> {
    if let Sheets::Xlsx(xlsx) = book {
        let mut cells = xlsx.worksheet_cells_reader(sheet)?;
        let mut row = Vec::new();
        let mut header = None;
        while let Some(cell) = cells.next_cell()? {
            let (r, c) = cell.get_position();
            let data = Data::from(cell.get_value().clone());
            match header {
                Some(h) if r > h => break,
                None if blank(&data) => continue,
                _ => header = Some(r),
            }
            let at = c as usize;
            if row.len() <= at {
                row.resize(at + 1, Data::Empty);
            }
            row[at] = data;
        }
        return Ok(row);
    }
    let range = book.worksheet_range(sheet)?;
    Ok(range
        .rows()
        .find(|cells| !cells.iter().all(blank))
        .map(<[Data]>::to_vec)
        .unwrap_or_default())
}

/// Each merged region's cells by (row, column), with the region as `A2:A3`.
type Merged = HashMap<(u32, u32), String>;

/// The sheet's merged regions. Only .xlsx and .xls say which cells are merged.
fn regions(book: &mut Book<'_>, sheet: &str) -> Result<Vec<Dimensions>, calamine::Error> {
    Ok(match book {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(sheet)?,
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(sheet)?,
        Sheets::Ods(_) | Sheets::Xlsb(_) => Vec::new(),
    })
}

fn merged_cells(book: &mut Book<'_>, sheet: &str) -> Result<Merged, calamine::Error> {
    let mut merged = HashMap::new();
    for region in regions(book, sheet)? {
        let ((r0, c0), (r1, c1)) = (region.start, region.end);
        let label = region_label(&region);
        for row in r0..=r1 {
            for column in c0..=c1 {
                merged.insert((row, column), label.clone());
            }
        }
    }
    Ok(merged)
}

struct Sheet<'a, 'b> {
    book: Book<'a>,
    name: &'b str,
    range: Range<Data>,
    /// The sheet's formulas, read only when a row has an empty cell where a value was due.
    formulas: Option<Range<String>>,
}

impl Sheet<'_, '_> {
    fn read(
        &mut self,
        emitter: &mut Emitter<'_>,
        columns: &[ColumnMapping],
        merged: &Merged,
    ) -> Result<ControlFlow<()>, calamine::Error> {
        let Some((top, left)) = self.range.start() else {
            // An empty sheet: nothing in it is wrong.
            return Ok(ControlFlow::Continue(()));
        };
        let sheet = self.name;
        emitter.in_sheet(sheet, left);
        let range = std::mem::take(&mut self.range);
        let mut rows = range
            .rows()
            .enumerate()
            .map(|(i, cells)| (top + i as u32, cells))
            .filter(|(_, cells)| !cells.iter().all(blank));
        let Some((header_row, header_cells)) = rows.next() else {
            return Ok(ControlFlow::Continue(()));
        };
        let names: Vec<String> = header_cells.iter().map(header_text).collect();
        // Formatted but empty cells right of the last name are not columns.
        let width = names
            .iter()
            .rposition(|n| !n.trim().is_empty())
            .map_or(0, |i| i + 1);
        let names: Vec<Option<&str>> = names[..width].iter().map(|n| Some(n.as_str())).collect();
        let layout = match header::layout(&names, line(header_row), emitter, columns, None) {
            Ok(layout) => layout,
            Err(flow) => return Ok(flow),
        };
        emitter.header_found(&names, &layout);
        let mut draft = Draft::default();
        for (row, cells) in rows {
            draft.clear();
            if emitter.wants_cells() {
                emitter.cells(row_as_shown(cells, &layout));
            }
            for &(index, field) in &layout.fields {
                let column = left + index as u32;
                let name = layout.names.get(field);
                let data = cells.get(index).unwrap_or(&Data::Empty);
                if let Some(region) = merged.get(&(row, column)) {
                    draft.reject(field, name, merged_message(region));
                    continue;
                }
                match cells::read(field, data) {
                    Value::Text(text) => draft.set(field, name, Cell::Text(&text)),
                    Value::Bad(message) => draft.reject(field, name, message),
                    Value::Blank if *data == Data::Empty => {
                        if let Some(formula) = self.formula(row, column)? {
                            draft.reject(field, name, no_result_message(&formula));
                        }
                    }
                    Value::Blank => {}
                }
            }
            or_stop!(emitter.row(line(row), &mut draft, &layout.names, true));
        }
        Ok(emitter.finish())
    }

    /// The formula in an empty cell, if there is one: then the cell is empty only because no
    /// result was saved with it.
    fn formula(&mut self, row: u32, column: u32) -> Result<Option<String>, calamine::Error> {
        if self.formulas.is_none() {
            self.formulas = Some(self.book.worksheet_formula(self.name)?);
        }
        Ok(self
            .formulas
            .as_ref()
            .and_then(|f| f.get_value((row, column)))
            .filter(|f| !f.is_empty())
            .cloned())
    }
}

/// A row's cells under the header, as text: a field's as it is read for the notice (an id
/// number as its integer, an amount with two decimals), any other as the sheet shows it.
fn row_as_shown(cells: &[Data], layout: &header::Layout) -> Box<[String]> {
    (0..layout.width)
        .map(|index| {
            let data = cells.get(index).unwrap_or(&Data::Empty);
            let field = layout.fields.iter().find(|(i, _)| *i == index);
            match field.map(|&(_, field)| cells::read(field, data)) {
                Some(Value::Text(text)) => text.trim().to_owned(),
                // A cell that cannot be read as its field (only an invalid row has one, for
                // its rejects): as the sheet shows it.
                Some(_) | None => cells::shown(data),
            }
        })
        .collect()
}

/// A row's number as the spreadsheet shows it (row 0 is 1).
pub(crate) fn line(row: u32) -> u64 {
    u64::from(row) + 1
}

/// No value at all, or only spaces: also a formula whose result is the empty string, which is
/// what a lookup filled down past the data leaves.
pub(crate) fn blank(data: &Data) -> bool {
    match data {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A header cell's name: text as written; anything else as it would show.
pub(crate) fn header_text(data: &Data) -> String {
    match data {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        Data::Float(f) => cells::number_text(*f),
        other => other.to_string(),
    }
}

fn merged_message(region: &str) -> String {
    format!(
        "the cell is merged with others ({region}), so its value stands in the first of them \
         only and which row it belongs to is a guess; unmerge the cells and give each row its \
         own value"
    )
}

fn no_result_message(formula: &str) -> String {
    let formula = quote(formula.trim_start_matches('='));
    format!(
        "the formula ={formula} has no saved result (the file was written by a program that \
         does not calculate); open the file in Excel or LibreOffice and save it, or write the \
         values instead"
    )
}
