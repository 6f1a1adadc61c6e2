//! CSV with a header row: columns found by name in any documented spelling, cells read as
//! bytes into one reused record (no per-cell allocation unless a field is kept or wrong).

use super::fields::{Cell, ColumnNames, Draft, Field};
use super::lines::LineTracker;
use super::source::BUFFER_SIZE;
use super::{ColumnMapping, Emitter, Problem};
use crate::text::quote;
use ::csv::{ByteRecord, ReaderBuilder};
use std::io::{self, Read};
use std::ops::ControlFlow;

const NOT_UTF8: &str =
    "is not valid UTF-8 (if the file is GBK/GB18030, as Chinese Excel writes it, pass --encoding gb18030)";

/// About how many characters of unknown column names the header warning lists.
const UNKNOWN_NAMES_CHARS: usize = 120;

/// Which column holds which field, as worked out from the header.
struct Layout {
    width: usize,
    /// (column index, field) for every known column.
    fields: Vec<(usize, Field)>,
    names: ColumnNames,
}

pub(crate) fn read(
    input: impl Read,
    emitter: &mut Emitter<'_>,
    columns: &[ColumnMapping],
    delimiter: u8,
) -> io::Result<ControlFlow<()>> {
    let mut reader = ReaderBuilder::new()
        .delimiter(delimiter)
        // The header is read as a record like any other, so its line number comes the same way.
        .has_headers(false)
        // A record of the wrong width is the user's problem on that line, not a failed read.
        .flexible(true)
        .buffer_capacity(BUFFER_SIZE)
        .from_reader(LineTracker::new(input));
    let mut record = ByteRecord::new();
    if !next(&mut reader, &mut record)? {
        // No header and no rows: an export of a day without cancellations can be 0 bytes.
        // Nothing in it is wrong; the commands say that it held no notices.
        return Ok(ControlFlow::Continue(()));
    }
    let header_line = line_of(&mut reader, &record);
    let layout = match header(&record, header_line, emitter, columns, delimiter) {
        Ok(layout) => layout,
        Err(flow) => return Ok(flow),
    };
    if !layout.fields.iter().any(|(_, f)| *f == Field::OrderNo) {
        emitter.no_order_no_column(header_line);
    }
    let mut draft = Draft::default();
    while next(&mut reader, &mut record)? {
        // Excel leaves rows of bare commas where cells were once formatted; they are not rows.
        if record.iter().all(|cell| cell.trim_ascii().is_empty()) {
            continue;
        }
        let line = line_of(&mut reader, &record);
        draft.clear();
        let whole = record.len() == layout.width;
        if whole {
            for &(index, field) in &layout.fields {
                let name = layout.names.get(field);
                match std::str::from_utf8(&record[index]) {
                    Ok(text) => draft.set(field, name, Cell::Text(text)),
                    Err(_) => draft.reject(field, name, NOT_UTF8),
                }
            }
        } else {
            // Its cells cannot be trusted to be under the right headers.
            draft.error(
                "",
                format!(
                    "this record has {} fields but the header has {} (a stray comma, or a quote left open?)",
                    record.len(),
                    layout.width
                ),
            );
        }
        or_stop!(emitter.row(line, &mut draft, &layout.names, whole));
    }
    Ok(emitter.finish())
}

fn next<R: Read>(
    reader: &mut ::csv::Reader<LineTracker<R>>,
    record: &mut ByteRecord,
) -> io::Result<bool> {
    reader
        .read_byte_record(record)
        .map_err(|e| match e.into_kind() {
            ::csv::ErrorKind::Io(e) => e,
            other => io::Error::other(format!("{other:?}")),
        })
}

fn line_of<R: Read>(reader: &mut ::csv::Reader<LineTracker<R>>, record: &ByteRecord) -> u64 {
    let position = record.position().expect("the csv reader sets positions");
    reader
        .get_mut()
        .line_of(position.byte())
        // Cannot happen (a record has content); the parser's own count is the best fallback.
        .unwrap_or(position.line())
}

/// Maps the header; on a header that makes the rows unreadable, reports it and gives back
/// the flow to return (no rows are read).
fn header(
    record: &ByteRecord,
    line: u64,
    emitter: &mut Emitter<'_>,
    columns: &[ColumnMapping],
    delimiter: u8,
) -> Result<Layout, ControlFlow<()>> {
    let file = emitter.file().to_owned();
    let at = |column: &str, message: String| Problem::error(&file, Some(line), column, message);
    let (layout, mut errors, unknown) = map_columns(record, columns, &at);
    for mapping in columns {
        if !layout.fields.iter().any(|(_, f)| *f == mapping.field) {
            errors.push(at(
                mapping.field(),
                format!(
                    "no column named '{}' in the header (from --column {}={}); check its spelling",
                    quote(&mapping.header),
                    mapping.field(),
                    quote(&mapping.header)
                ),
            ));
        }
    }
    if !layout.fields.iter().any(|(_, f)| *f == Field::PolicyNo)
        && !columns.iter().any(|m| m.field == Field::PolicyNo)
    {
        errors.push(at(
            Field::PolicyNo.wire_name(),
            no_policy_column(record, &layout, delimiter),
        ));
    }
    if !unknown.is_empty() {
        let message = format!(
            "unknown column{}, ignored (the known ones are {})",
            if unknown.len() == 1 { "" } else { "s" },
            Field::known_names()
        );
        errors.push(Problem::warning(
            &file,
            Some(line),
            &first_names(&unknown),
            message,
        ));
    }
    let fatal = errors.iter().any(Problem::is_error);
    for problem in errors {
        if emitter.problem(problem).is_break() {
            return Err(ControlFlow::Break(()));
        }
    }
    if fatal {
        Err(ControlFlow::Continue(()))
    } else {
        Ok(layout)
    }
}

/// Each header cell matched to a field: the layout, the problems found, the unknown names.
fn map_columns(
    record: &ByteRecord,
    columns: &[ColumnMapping],
    at: &impl Fn(&str, String) -> Problem,
) -> (Layout, Vec<Problem>, Vec<String>) {
    let mut layout = Layout {
        width: record.len(),
        fields: Vec::new(),
        names: ColumnNames::wire(),
    };
    let mut errors = Vec::new();
    let mut unknown = Vec::new();
    for (index, cell) in record.iter().enumerate() {
        let Ok(raw) = std::str::from_utf8(cell) else {
            errors.push(at(
                &format!("column {}", index + 1),
                format!("the column name {NOT_UTF8}"),
            ));
            continue;
        };
        let raw_name = raw.trim().trim_start_matches('\u{feff}');
        let name = &quote(raw_name);
        match Field::resolve(raw_name, columns) {
            Some(field) => match layout.fields.iter().find(|(_, f)| *f == field) {
                Some(_) => errors.push(at(
                    name,
                    format!(
                        "the column {name} is the same field as the column {}; keep one",
                        layout.names.get(field)
                    ),
                )),
                None => {
                    layout.fields.push((index, field));
                    layout.names.set(field, name);
                }
            },
            None if name.is_empty() => unknown.push(format!("(unnamed column {})", index + 1)),
            None => unknown.push(name.clone()),
        }
    }
    (layout, errors, unknown)
}

/// The message for a header without a policyNo column, with the likely reason when the whole
/// header is one cell: Excel in many locales saves "CSV" with semicolons (and "Unicode Text"
/// with tabs).
fn no_policy_column(record: &ByteRecord, layout: &Layout, delimiter: u8) -> String {
    let mut message = format!(
        "no policyNo column (named {}) in the header; name yours with --column policyNo=HEADER",
        Field::PolicyNo.spellings()
    );
    if layout.width == 1 {
        let header = String::from_utf8_lossy(&record[0]);
        let found = [b',', b';', b'\t', b'|']
            .into_iter()
            .filter(|&c| c != delimiter)
            .find(|&c| header.contains(char::from(c)));
        if let Some(sep) = found {
            let flag = if sep == b'\t' {
                "tab".to_owned()
            } else {
                format!("'{}'", char::from(sep))
            };
            message.push_str(&format!(
                "; the header seems to be separated by {:?}: pass --delimiter {flag}",
                char::from(sep)
            ));
        }
    }
    message
}

/// The first few unknown names, enough to recognise a wide export, and how many more.
fn first_names(unknown: &[String]) -> String {
    let mut names = String::new();
    let mut shown = 0;
    for name in unknown {
        if shown > 0 && names.chars().count() + name.chars().count() > UNKNOWN_NAMES_CHARS {
            break;
        }
        if shown > 0 {
            names.push_str(", ");
        }
        names.push_str(name);
        shown += 1;
    }
    if shown < unknown.len() {
        names.push_str(&format!(" and {} more", unknown.len() - shown));
    }
    names
}
