//! Reading notices to send: one policy from flags, or every row of a CSV or JSON Lines file.
//! Everything is checked here, before anything is sent (README, "batch" and "validate").
//!
//! A file is read in one streaming pass per call to [`Source::read`], so `batch` can validate
//! all of it first and send it in a second pass without holding it in memory; both passes
//! judge every row the same way.

/// In a reader returning `io::Result<ControlFlow<()>>`: stop at once when the sink says so.
macro_rules! or_stop {
    ($flow:expr) => {
        if $flow.is_break() {
            return Ok(std::ops::ControlFlow::Break(()));
        }
    };
}

mod cells;
pub(crate) use cells::xlsx_datetime;
mod checks;
mod csv;
mod field;
mod fields;
mod fix;
mod flags;
mod header;
mod hints;
mod jsonl;
mod lines;
mod problem;
mod report;
mod source;
mod workbook;

pub(crate) use checks::hash as value_hash;
pub(crate) use field::Field;
pub use fix::{Change, FixError, FixFormat};
pub use flags::{rows_from_flags, FieldFlags};
pub use header::ignorable_column;
pub use problem::{Column, Problem, Severity, SheetPlace};
pub use report::{report_problems, ProblemReport, SHOWN_PROBLEMS};

use crate::notice::Row;
use checks::{describe_line, CrossChecks};
use fields::{ColumnNames, Draft};
use source::{Backing, Guess, NotText};
use std::fmt;
use std::io;
use std::ops::ControlFlow;
use std::path::Path;
use std::str::FromStr;
use workbook::Workbook;

/// `--format`, and what a file's extension says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
    /// .xlsx, .xlsm, .xls or .ods: recognised by its content, never chosen by flag.
    #[value(skip)]
    Workbook,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Workbook => "workbook",
        })
    }
}

/// `--encoding`, and what detection finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    // A superset of GBK, which is what Chinese Excel writes as "CSV". (A plain comment: a doc
    // comment here would become the value's help text.)
    #[value(name = "gb18030", alias = "gbk")]
    Gb18030,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct InputOptions {
    /// `--format`; else by extension.
    pub format: Option<Format>,
    /// `--encoding`; else detected.
    pub encoding: Option<Encoding>,
    /// No orderNo can come from the journal or be generated, so every row must carry one.
    pub require_order_no: bool,
    /// `--column FIELD=HEADER`: headers (or JSON keys) to read as a field, over the built-in
    /// names.
    pub columns: Vec<ColumnMapping>,
    /// `--delimiter`; a comma when `None`.
    pub delimiter: Option<u8>,
    /// `--sheet`: the workbook's sheet to read; the first when `None`.
    pub sheet: Option<String>,
    /// Columns (or JSON keys) that are no field and are not to be warned about, each checked
    /// by [`ignorable_column`].
    pub ignore_columns: Vec<String>,
}

/// `--column FIELD=HEADER`: the column named HEADER holds FIELD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    pub(crate) field: Field,
    pub header: String,
}

impl ColumnMapping {
    /// The field's wire name, as the user would write it.
    pub fn field(&self) -> &'static str {
        self.field.wire_name()
    }

    /// Headers are matched trimmed and ignoring case, as a spreadsheet user would expect.
    pub(crate) fn matches(&self, header: &str) -> bool {
        let header = header.trim().trim_start_matches('\u{feff}');
        self.header == header || self.header.to_lowercase() == header.to_lowercase()
    }
}

impl FromStr for ColumnMapping {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((field, header)) = s.split_once('=') else {
            return Err(format!(
                "'{}' is not FIELD=HEADER (for example --column policyNo=保单号码)",
                crate::text::quote(s)
            ));
        };
        let field = Field::from_name(field.trim()).ok_or_else(|| {
            format!(
                "unknown field '{}' (the fields are {})",
                crate::text::quote(field.trim()),
                Field::known_names()
            )
        })?;
        let header = header.trim();
        if header.is_empty() {
            return Err(format!(
                "no header after '{}=' (for example --column {}=保单号码)",
                field.wire_name(),
                field.wire_name()
            ));
        }
        Ok(ColumnMapping {
            field,
            header: header.to_owned(),
        })
    }
}

/// `--delimiter`: one ASCII punctuation character, or a tab as `tab`, `\t` or itself.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "TAB" | "\\t" | "\t" => return Ok(b'\t'),
        _ => {}
    }
    match s.as_bytes() {
        [b] if b.is_ascii_punctuation() && *b != b'"' => Ok(*b),
        _ => Err(format!(
            "'{}' is not a delimiter: give one character such as ';' or '|', or tab",
            crate::text::quote(s)
        )),
    }
}

impl From<InputError> for crate::error::Refusal {
    fn from(e: InputError) -> Self {
        crate::error::Refusal::Input(e.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot open {path}: {source} (check the path and that you may read the file)")]
    Open { path: String, source: io::Error },
    #[error("{path} is a directory; give the CSV or JSON Lines file inside it")]
    IsDirectory { path: String },
    #[error("cannot read {name}: {source}")]
    Read { name: String, source: io::Error },
    #[error(
        "{name} is not valid UTF-8 at line {line} (byte {column} of the line); save the file \
         as UTF-8 again, or pass --encoding gb18030 if it really is GBK"
    )]
    NotUtf8 {
        name: String,
        line: u64,
        column: u64,
    },
    #[error(
        "{name} looks like a workbook (.xlsx, .xls or .ods) but cannot be read as one: \
         {reason}; open it in Excel or LibreOffice and save it again as .xlsx, or save it as \
         CSV UTF-8 (Comma delimited) (*.csv)"
    )]
    Workbook { name: String, reason: String },
    #[error("{name} has no worksheet named '{sheet}'; its sheets are {sheets}")]
    NoSheet {
        name: String,
        sheet: String,
        sheets: String,
    },
    #[error("{name} is a workbook: {flag} is for CSV and JSON Lines files; leave it out")]
    TextFlag { name: String, flag: &'static str },
    #[error("--sheet is for workbooks (.xlsx, .xlsm, .xls, .ods); {name} is not one")]
    SheetOfText { name: String },
    #[error(
        "{name} is UTF-16 text without a byte-order mark, not UTF-8: in Excel, File → Save As → \
         CSV UTF-8 (Comma delimited) (*.csv), then run again"
    )]
    Utf16 { name: String },
    #[error(
        "{name} is not a text file (it has NUL or control bytes near the start): give the CSV \
         or JSON Lines export; in Excel, File → Save As → CSV UTF-8 (Comma delimited) (*.csv)"
    )]
    Binary { name: String },
    #[error("{0}")]
    Columns(String),
    #[error("cannot read standard input: {source}")]
    Stdin { source: io::Error },
    #[error(
        "{name} changed since it was first read, so it is no longer the input that was \
         checked; stopped reading it (run the command again on the finished file)"
    )]
    Changed { name: String },
    #[error(
        "cannot keep a copy of standard input in a temporary file: {source} \
         (set TMPDIR to a writable directory with room for the input, or pass a file name)"
    )]
    Spool { source: io::Error },
}

/// What one pass over the input produces, in file order.
#[derive(Debug, Clone)]
pub enum Item {
    Row(Row),
    Problem(Problem),
    /// A row with errors (its problems came just before it), with its cells as read: only
    /// while cells are kept ([`Source::keep_cells`]), for `batch --skip-invalid`'s rejects.
    Invalid(InvalidRow),
}

/// A row that cannot be sent as it is: its line and its cells as read (every field of the
/// record, trimmed as every cell is read).
#[derive(Debug, Clone)]
pub struct InvalidRow {
    pub line: u64,
    pub cells: Box<[String]>,
}

/// The header of the input, for a report that keeps the input's columns: each column's name
/// as written (trimmed), and the field it holds, if any. A JSON Lines file has no header: its
/// rows carry the notice fields in [`Field`] order, under their wire names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputHeader {
    pub names: Vec<String>,
    pub(crate) fields: Vec<Option<Field>>,
}

impl InputHeader {
    /// The field the column at `index` holds, if any.
    pub(crate) fn field(&self, index: usize) -> Option<Field> {
        self.fields.get(index).copied().flatten()
    }

    /// The column holding `field`, if the input has one.
    pub(crate) fn column_of(&self, field: Field) -> Option<usize> {
        self.fields.iter().position(|f| *f == Some(field))
    }
}

/// An input file (or spooled standard input), ready to be read as many times as needed.
#[derive(Debug)]
pub struct Source {
    name: String,
    backing: Backing,
    format: Format,
    /// The workbook and its sheet, when the input is one.
    workbook: Option<Workbook>,
    encoding: Encoding,
    notices: Vec<String>,
    require_order_no: bool,
    columns: Vec<ColumnMapping>,
    ignore_columns: Vec<String>,
    delimiter: u8,
    /// The header as the first pass found it (boxed: most runs never ask for it).
    header: std::sync::OnceLock<Box<InputHeader>>,
    /// Whether valid rows carry their cells as written ([`Row::raw`]).
    keep_cells: bool,
}

const STDIN_NAME: &str = "<stdin>";

impl Source {
    /// `arg` is a path or "-" (stdin, named "<stdin>"). Stdin is spooled to a temporary file
    /// so the input can be read twice (validated fully first, then sent), still streamed.
    /// Format: `--format`, else by extension (.jsonl/.ndjson → JSON Lines), else CSV.
    /// Encoding: `--encoding`, else UTF-8 if the whole file is valid UTF-8, else GB18030.
    pub fn open(arg: &str, options: &InputOptions) -> Result<Source, InputError> {
        let (name, backing) = if arg == "-" {
            (STDIN_NAME.to_owned(), Backing::spool(io::stdin().lock())?)
        } else {
            (arg.to_owned(), Backing::path(Path::new(arg), arg)?)
        };
        Source::with_backing(name, backing, options)
    }

    /// [`Source::open`] for any reader standing in for standard input.
    pub fn from_reader(input: impl io::Read, options: &InputOptions) -> Result<Source, InputError> {
        let backing = Backing::spool(input)?;
        Source::with_backing(STDIN_NAME.to_owned(), backing, options)
    }

    fn with_backing(
        name: String,
        backing: Backing,
        options: &InputOptions,
    ) -> Result<Source, InputError> {
        // Before any parsing, and whatever --format and --encoding say: a workbook or other
        // binary file read as text only fills the terminal with bytes.
        let head = source::sniff_not_text(backing.reader()).map_err(|source| InputError::Read {
            name: name.clone(),
            source,
        })?;
        match head {
            Some(head @ (NotText::Xlsx | NotText::Xls)) => {
                return Source::workbook(name, backing, head, options)
            }
            Some(NotText::Utf16) => return Err(InputError::Utf16 { name }),
            Some(NotText::Binary) => return Err(InputError::Binary { name }),
            None => {}
        }
        if options.sheet.is_some() {
            return Err(InputError::SheetOfText { name });
        }
        check_columns(&options.columns)?;
        let format = options.format.unwrap_or_else(|| format_of(&name));
        let mut notices = Vec::new();
        let encoding = match options.encoding {
            Some(encoding) => encoding,
            None => {
                let guess =
                    source::guess_encoding(&backing).map_err(|source| InputError::Read {
                        name: name.clone(),
                        source,
                    })?;
                match guess {
                    Guess::Utf8 => Encoding::Utf8,
                    Guess::Gb18030 => {
                        notices.push(format!(
                            "{name} is not valid UTF-8; reading it as GB18030 (use --encoding to choose)"
                        ));
                        Encoding::Gb18030
                    }
                    Guess::BrokenUtf8 { line, column } => {
                        return Err(InputError::NotUtf8 { name, line, column })
                    }
                }
            }
        };
        Ok(Source {
            name,
            backing,
            format,
            workbook: None,
            encoding,
            notices,
            require_order_no: options.require_order_no,
            columns: options.columns.clone(),
            ignore_columns: options.ignore_columns.clone(),
            delimiter: options.delimiter.unwrap_or(b','),
            header: std::sync::OnceLock::new(),
            keep_cells: false,
        })
    }

    /// A workbook: whatever its name, a ZIP archive or OLE2 file is read as one, and the
    /// options that only text files have are refused rather than ignored.
    fn workbook(
        name: String,
        backing: Backing,
        head: NotText,
        options: &InputOptions,
    ) -> Result<Source, InputError> {
        let text_flag = [
            ("--format", options.format.is_some()),
            ("--encoding", options.encoding.is_some()),
            ("--delimiter", options.delimiter.is_some()),
        ]
        .into_iter()
        .find(|(_, given)| *given);
        if let Some((flag, _)) = text_flag {
            return Err(InputError::TextFlag { name, flag });
        }
        check_columns(&options.columns)?;
        let (workbook, notices) = Workbook::open(
            &backing,
            &name,
            head,
            options.sheet.as_deref(),
            &options.columns,
            &options.ignore_columns,
        )?;
        Ok(Source {
            name,
            backing,
            format: Format::Workbook,
            workbook: Some(workbook),
            encoding: Encoding::Utf8,
            notices,
            require_order_no: options.require_order_no,
            columns: options.columns.clone(),
            ignore_columns: options.ignore_columns.clone(),
            delimiter: b',',
            header: std::sync::OnceLock::new(),
            keep_cells: false,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The sheet read, for a workbook.
    pub fn sheet(&self) -> Option<&str> {
        self.workbook.as_ref().map(|w| w.sheet.as_str())
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// One-line notices for stderr (the encoding guess).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    /// The input's header, once a pass has read it: for a CSV file or a sheet its own, for
    /// JSON Lines the notice fields. `None` before, or when the file had no header.
    pub fn header(&self) -> Option<&InputHeader> {
        self.header.get().map(|h| &**h)
    }

    /// From the next pass on, each valid row carries its cells as written ([`Row::raw`]), in
    /// the order of [`Source::header`]. Off by default: only a run that writes a report needs
    /// them, and only in the pass that sends.
    pub fn keep_cells(&mut self) {
        self.keep_cells = true;
    }

    /// One streaming pass in file order. Every valid row → `Item::Row`; every problem
    /// (row-level and cross-row, warnings too) → `Item::Problem`. The sink returns
    /// `ControlFlow::Break` to stop early. A row with any error yields only its problems.
    pub fn read(&self, sink: impl FnMut(Item) -> ControlFlow<()>) -> Result<(), InputError> {
        self.pass(true, sink)
    }

    /// A pass after one that ran every check, for a caller that compares each row with what
    /// that pass saw (the second pass of a run): the checks across rows, whose verdict then
    /// stands, are not run again. Each row's own checks are.
    pub fn read_again(&self, sink: impl FnMut(Item) -> ControlFlow<()>) -> Result<(), InputError> {
        self.pass(false, sink)
    }

    fn pass(
        &self,
        cross_checks: bool,
        mut sink: impl FnMut(Item) -> ControlFlow<()>,
    ) -> Result<(), InputError> {
        self.backing.check_unchanged(&self.name)?;
        let cross = cross_checks.then(CrossChecks::new);
        let mut emitter = Emitter::new(&self.name, self.require_order_no, &mut sink, cross);
        emitter.ignore_columns(&self.ignore_columns);
        emitter.header = Some(&self.header);
        emitter.keep_cells = self.keep_cells;
        let flow = if let Some(workbook) = &self.workbook {
            workbook.read(&self.backing, &self.name, &mut emitter, &self.columns)?
        } else {
            let input = source::decoded(self.backing.reader(), self.encoding);
            let flow = match self.format {
                Format::Jsonl => jsonl::read(input, &mut emitter, &self.columns),
                Format::Csv | Format::Workbook => {
                    csv::read(input, &mut emitter, &self.columns, self.delimiter)
                }
            };
            flow.map_err(|source| InputError::Read {
                name: self.name.clone(),
                source,
            })?
        };
        // An edit during the pass may have been read half-way; only a complete pass is sure.
        if flow.is_continue() {
            self.backing.check_unchanged(&self.name)?;
        }
        Ok(())
    }
}

/// One header per field and one field per header: which one was meant is anyone's guess.
fn check_columns(columns: &[ColumnMapping]) -> Result<(), InputError> {
    for (i, a) in columns.iter().enumerate() {
        for b in &columns[..i] {
            if a.field == b.field {
                return Err(InputError::Columns(format!(
                    "--column {} is given twice ({} and {}); keep one",
                    a.field(),
                    crate::text::quote(&b.header),
                    crate::text::quote(&a.header)
                )));
            }
            if b.matches(&a.header) {
                return Err(InputError::Columns(format!(
                    "--column gives the header '{}' to both {} and {}; keep one",
                    crate::text::quote(&a.header),
                    b.field(),
                    a.field()
                )));
            }
        }
    }
    Ok(())
}

fn format_of(name: &str) -> Format {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    if ext.eq_ignore_ascii_case("jsonl") || ext.eq_ignore_ascii_case("ndjson") {
        Format::Jsonl
    } else {
        Format::Csv
    }
}

/// Turns checked rows into items: the row-wide and cross-row checks, then the problems, then
/// the row if nothing was wrong. Shared by the CSV and JSON Lines readers.
pub(crate) struct Emitter<'a> {
    file: &'a str,
    /// The sheet of a workbook: problems then name their cell, and rows are "rows".
    sheet: Option<String>,
    /// The sheet's first column: the readers count columns from there.
    first_column: u32,
    /// For a workbook, each known column's name as the problems give it, and its index.
    cells: Vec<(String, u32)>,
    order_no_hint: Option<&'static str>,
    /// Order numbers are required and the CSV header has none: one problem for the file
    /// (at this line), not one per row, and no row is valid.
    no_order_no_column: Option<u64>,
    rows_without_order_no: u64,
    /// `None` on a pass whose caller compares its rows with an earlier one's.
    cross: Option<CrossChecks>,
    /// Unknown columns (or keys) not to warn about.
    ignore_columns: &'a [String],
    sink: &'a mut dyn FnMut(Item) -> ControlFlow<()>,
    /// Where the header is kept for the report, if anywhere.
    header: Option<&'a std::sync::OnceLock<Box<InputHeader>>>,
    /// Whether rows carry their cells as written, and the next row's.
    keep_cells: bool,
    row_cells: Option<Box<[String]>>,
}

impl<'a> Emitter<'a> {
    fn new(
        file: &'a str,
        require_order_no: bool,
        sink: &'a mut dyn FnMut(Item) -> ControlFlow<()>,
        cross: Option<CrossChecks>,
    ) -> Self {
        Emitter {
            file,
            sheet: None,
            first_column: 0,
            cells: Vec::new(),
            order_no_hint: require_order_no
                .then_some("add an orderNo column or pass --generate-order-no"),
            no_order_no_column: None,
            rows_without_order_no: 0,
            cross,
            ignore_columns: &[],
            sink,
            header: None,
            keep_cells: false,
            row_cells: None,
        }
    }

    /// Unknown columns (or JSON keys) named here are not warned about.
    fn ignore_columns(&mut self, names: &'a [String]) {
        self.ignore_columns = names;
    }

    /// Whether the unknown column (or JSON key) `name` is one not to warn about.
    pub fn ignores(&self, name: &str) -> bool {
        header::is_ignored(name, self.ignore_columns)
    }

    /// The header row's names and what each holds, kept for the report (the first pass's).
    pub fn header_found(&mut self, names: &[Option<&str>], layout: &header::Layout) {
        self.keep_header(|| {
            let mut fields = vec![None; names.len()];
            for &(index, field) in &layout.fields {
                fields[index] = Some(field);
            }
            let names = names
                .iter()
                .map(|n| n.unwrap_or_default().trim().trim_start_matches('\u{feff}'))
                .map(str::to_owned)
                .collect();
            InputHeader { names, fields }
        });
    }

    pub(crate) fn keep_header(&mut self, header: impl FnOnce() -> InputHeader) {
        if let Some(kept) = self.header {
            kept.get_or_init(|| Box::new(header()));
        }
    }

    /// Whether the reader is to give each row's cells as written ([`Emitter::cells`]).
    pub fn wants_cells(&self) -> bool {
        self.keep_cells
    }

    /// The cells of the row about to be given to [`Emitter::row`], as written.
    pub fn cells(&mut self, cells: Box<[String]>) {
        self.row_cells = Some(cells);
    }

    /// Rows come from this sheet of a workbook, whose used cells start at `first_column`.
    pub fn in_sheet(&mut self, sheet: &str, first_column: u32) {
        self.sheet = Some(sheet.to_owned());
        self.first_column = first_column;
    }

    /// Where each known column is, so that a workbook's problems can name their cell.
    pub fn set_layout(&mut self, layout: &header::Layout) {
        if self.sheet.is_some() {
            self.cells = layout
                .fields
                .iter()
                .map(|&(index, field)| {
                    let index = u32::try_from(index).unwrap_or(u32::MAX);
                    let index = self.first_column.saturating_add(index);
                    (layout.names.get(field).to_owned(), index)
                })
                .collect();
        }
    }

    /// An error at `line`, in the column at `index` when it is known; a workbook's names its
    /// sheet and cell.
    pub fn error_at(
        &self,
        line: u64,
        index: Option<usize>,
        column: &str,
        message: String,
    ) -> Problem {
        let index = index
            .and_then(|i| u32::try_from(i).ok())
            .map(|i| self.first_column.saturating_add(i));
        self.located(Severity::Error, Some(line), column, index, message)
    }

    fn located(
        &self,
        severity: Severity,
        line: Option<u64>,
        column: &str,
        index: Option<u32>,
        message: String,
    ) -> Problem {
        let mut problem = Problem::error(self.file, line, column, message);
        problem.severity = severity;
        problem.column.sheet = self.sheet.as_ref().map(|sheet| problem::SheetPlace {
            sheet: sheet.clone(),
            column: index,
        });
        problem
    }

    /// A problem in the named column of the row at `line`.
    fn in_row(&self, severity: Severity, line: u64, column: &str, message: String) -> Problem {
        let index = self
            .cells
            .iter()
            .find(|(name, _)| name == column)
            .map(|&(_, index)| index);
        self.located(severity, Some(line), column, index, message)
    }

    /// "line 12", or "row 12" in a workbook.
    fn describe_line(&self, line: u64) -> String {
        let text = describe_line(line);
        match self.sheet {
            Some(_) => text.replacen("line", "row", 1),
            None => text,
        }
    }

    /// The CSV header at `line` has no orderNo column.
    pub fn no_order_no_column(&mut self, line: u64) {
        if self.order_no_hint.is_some() {
            self.no_order_no_column = Some(line);
        }
    }

    /// After the last row: the problem every row shared, said once with a count.
    pub fn finish(&mut self) -> ControlFlow<()> {
        let (Some(line), n @ 1..) = (self.no_order_no_column, self.rows_without_order_no) else {
            return ControlFlow::Continue(());
        };
        let rows = if n == 1 {
            "the one row".to_owned()
        } else {
            format!("any of the {n} rows")
        };
        let message = format!(
            "no order number on {rows}: the header has no orderNo column; add \
             one (or name yours with --column orderNo=HEADER), or pass --generate-order-no"
        );
        let problem = self.located(
            Severity::Error,
            Some(line),
            Field::OrderNo.wire_name(),
            None,
            message,
        );
        (self.sink)(Item::Problem(problem))
    }

    pub fn file(&self) -> &str {
        self.file
    }

    pub fn problem(&mut self, problem: Problem) -> ControlFlow<()> {
        (self.sink)(Item::Problem(problem))
    }

    /// A record whose fields have all been `set`; `check_fields` is false when the record
    /// was malformed as a whole and only its own errors should be reported.
    pub fn row(
        &mut self,
        line: u64,
        draft: &mut Draft,
        names: &ColumnNames,
        check_fields: bool,
    ) -> ControlFlow<()> {
        let column_missing = self.no_order_no_column.is_some();
        if column_missing {
            self.rows_without_order_no += 1;
        }
        if check_fields {
            let hint = self.order_no_hint.filter(|_| !column_missing);
            draft.finish(names, hint);
            let clash = match self.cross.as_mut() {
                Some(cross) => {
                    cross.check(line, draft.policy_no.as_deref(), draft.order_no.as_deref())
                }
                None => Default::default(),
            };
            if let Some(first) = clash.policy_line {
                draft.error(
                    names.get(Field::PolicyNo),
                    format!("same policy as {}", self.describe_line(first)),
                );
            }
            if let Some(first) = clash.order_line {
                let order = draft.order_no.as_deref().unwrap_or_default();
                // Not "for another policy": the earlier line may itself have repeated this
                // policy, and the table keeps lines, not policies.
                let message = format!("orderNo {order} is also on {}", self.describe_line(first));
                draft.error(names.get(Field::OrderNo), message);
            }
        }
        let valid = check_fields && !draft.has_errors() && !column_missing;
        for (column, message) in draft.errors.drain(..) {
            let problem = self.in_row(Severity::Error, line, &column, message);
            (self.sink)(Item::Problem(problem))?;
        }
        for (column, message) in draft.warnings.drain(..) {
            let problem = self.in_row(Severity::Warning, line, &column, message);
            (self.sink)(Item::Problem(problem))?;
        }
        let raw = self.row_cells.take();
        if !valid {
            if let Some(cells) = raw {
                return (self.sink)(Item::Invalid(InvalidRow { line, cells }));
            }
            return ControlFlow::Continue(());
        }
        match (valid, draft.policy_no.take()) {
            (true, Some(policy_no)) => {
                let platform = std::mem::take(&mut draft.platform);
                let named = platform.endpoint.is_some() || platform.policy_source.is_some();
                (self.sink)(Item::Row(Row {
                    line: Some(line),
                    policy_no,
                    order_no: draft.order_no.take(),
                    details: std::mem::take(&mut draft.details),
                    platform: named.then(|| Box::new(platform)),
                    raw,
                }))
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests;
