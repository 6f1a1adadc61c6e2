//! What is wrong with the input, in the shape `validate` prints and `batch` refuses on.

use crate::text::escape_controls;
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be sent as it is.
    Error,
    /// Worth a look, but the row is still sent.
    Warning,
}

/// One problem, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the user named it, `<stdin>` or `<command line>`.
    pub file: String,
    /// Physical line the record starts on (header = 1), or the spreadsheet row of a
    /// workbook; `None` for flags.
    pub line: Option<u64>,
    /// The column as written in the header (or the JSON key, or the flag), and in a
    /// workbook its sheet and cell.
    pub column: Column,
    pub message: String,
    pub severity: Severity,
}

/// Where in a row a problem is: the column's name as the user wrote it (empty when the problem
/// is with the whole record), and for a workbook the sheet and the column's letter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub sheet: Option<SheetPlace>,
}

/// A workbook problem's sheet, and the column it is in when it is in one cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetPlace {
    pub sheet: String,
    /// 0-based column index.
    pub column: Option<u32>,
}

impl From<&str> for Column {
    fn from(name: &str) -> Self {
        Column {
            name: name.to_owned(),
            sheet: None,
        }
    }
}

impl From<String> for Column {
    fn from(name: String) -> Self {
        Column { name, sheet: None }
    }
}

impl PartialEq<&str> for Column {
    fn eq(&self, other: &&str) -> bool {
        self.name == *other
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// `A`, `B`, … `Z`, `AA`: a 0-based column index as a spreadsheet names it.
pub fn column_letters(index: u32) -> String {
    let mut n = u64::from(index) + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        letters.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A sheet's name as a cell reference writes it: quoted when it holds anything but letters,
/// digits, `_` and `.`, or starts with a digit (`'My Sheet'!A3`), as Excel does.
pub fn sheet_reference(sheet: &str) -> String {
    let plain = !sheet.is_empty()
        && !sheet.starts_with(|c: char| c.is_ascii_digit())
        && sheet
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'));
    if plain {
        sheet.to_owned()
    } else {
        format!("'{}'", sheet.replace('\'', "''"))
    }
}

impl SheetPlace {
    /// `Sheet1!A3` for a problem in one cell of `row`.
    pub fn cell(&self, row: Option<u64>) -> Option<String> {
        let (column, row) = (self.column?, row?);
        Some(format!(
            "{}!{}{row}",
            sheet_reference(&self.sheet),
            column_letters(column)
        ))
    }
}

/// The documented keys (`file`, `line`, `column`, `message`, `severity`), and for a workbook
/// `sheet` and `cell` (`Sheet1!A3`, or null when the problem is with a whole row).
impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("file", &self.file)?;
        map.serialize_entry("line", &self.line)?;
        map.serialize_entry("column", &self.column.name)?;
        if let Some(place) = &self.column.sheet {
            map.serialize_entry("sheet", &place.sheet)?;
            map.serialize_entry("cell", &place.cell(self.line))?;
        }
        map.serialize_entry("message", &self.message)?;
        map.serialize_entry("severity", &self.severity)?;
        map.end()
    }
}

impl Problem {
    pub fn error(file: &str, line: Option<u64>, column: &str, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_owned(),
            line,
            column: column.into(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(
        file: &str,
        line: Option<u64>,
        column: &str,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, line, column, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `FILE:LINE: column: message`, the parts that do not apply (no line, no column) left out
/// rather than left blank. No severity: the console's `error:`/`warning:` label gives it (see
/// [`Problem::listing`] for `validate`, which has no label). Control characters are made
/// visible, so one problem is one line; the readers quote values and names short.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

impl Problem {
    /// The `validate` line: like Display, with `warning: ` before a warning's message.
    pub fn listing(&self) -> String {
        struct Listing<'a>(&'a Problem);
        impl fmt::Display for Listing<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, true)
            }
        }
        Listing(self).to_string()
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, severity: bool) -> fmt::Result {
        f.write_str(&escape_controls(&self.file))?;
        match (&self.column.sheet, self.line) {
            // `book.xlsx: Sheet1!A3 (row 3): ` or `book.xlsx: Sheet1 row 3: `
            (Some(place), line) => {
                f.write_str(": ")?;
                match (place.cell(line), line) {
                    (Some(cell), Some(line)) => {
                        write!(f, "{} (row {line})", escape_controls(&cell))?
                    }
                    (_, Some(line)) => write!(
                        f,
                        "{} row {line}",
                        escape_controls(&sheet_reference(&place.sheet))
                    )?,
                    (_, None) => f.write_str(&escape_controls(&sheet_reference(&place.sheet)))?,
                }
            }
            (None, Some(line)) => write!(f, ":{line}")?,
            (None, None) => {}
        }
        f.write_str(": ")?;
        if !self.column.name.is_empty() {
            write!(f, "{}: ", escape_controls(&self.column.name))?;
        }
        if severity && self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&escape_controls(&self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_follows_the_validate_format() {
        let e = Problem::error("a.csv", Some(3), "amount", "'x' is bad");
        assert_eq!(e.to_string(), "a.csv:3: amount: 'x' is bad");
        let w = Problem::warning("a.csv", Some(3), "installments", "off by 1");
        assert_eq!(w.listing(), "a.csv:3: installments: warning: off by 1");
        assert_eq!(e.listing(), e.to_string());
        // The console labels it "warning:" itself.
        assert_eq!(w.to_string(), "a.csv:3: installments: off by 1");
        let flag = Problem::error("<command line>", None, "--amount", "bad");
        assert_eq!(flag.to_string(), "<command line>: --amount: bad");
        let whole = Problem::error("a.jsonl", Some(2), "", "not a JSON object");
        assert_eq!(whole.to_string(), "a.jsonl:2: not a JSON object");
    }

    #[test]
    fn a_workbook_problem_names_the_sheet_the_cell_and_the_row() {
        let mut p = Problem::error("b.xlsx", Some(3), "保单号", "lost digits");
        p.column.sheet = Some(SheetPlace {
            sheet: "Sheet1".into(),
            column: Some(0),
        });
        assert_eq!(
            p.to_string(),
            "b.xlsx: Sheet1!A3 (row 3): 保单号: lost digits"
        );
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"file":"b.xlsx","line":3,"column":"保单号","sheet":"Sheet1",
                "cell":"Sheet1!A3","message":"lost digits","severity":"error"})
        );
        p.column.sheet = Some(SheetPlace {
            sheet: "My Sheet".into(),
            column: None,
        });
        assert_eq!(
            p.to_string(),
            "b.xlsx: 'My Sheet' row 3: 保单号: lost digits"
        );
        p.line = None;
        assert_eq!(p.to_string(), "b.xlsx: 'My Sheet': 保单号: lost digits");
    }

    #[test]
    fn column_letters_count_as_a_spreadsheet_does() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16383]
            .into_iter()
            .map(column_letters)
            .collect();
        assert_eq!(
            names,
            ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
        );
        assert_eq!(sheet_reference("退保清单"), "退保清单");
        assert_eq!(sheet_reference("Bob's list"), "'Bob''s list'");
        assert_eq!(sheet_reference("2024"), "'2024'");
    }

    #[test]
    fn a_problem_is_one_line() {
        let p = Problem::error("a\nb.csv", Some(1), "x\ry", "bad\nvalue");
        assert_eq!(p.to_string(), "a\\nb.csv:1: x\\ry: bad\\nvalue");
    }

    #[test]
    fn json_has_the_documented_keys() {
        let w = Problem::warning("a.csv", Some(1), "x", "m");
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            serde_json::json!({"file":"a.csv","line":1,"column":"x","message":"m","severity":"warning"})
        );
    }
}
