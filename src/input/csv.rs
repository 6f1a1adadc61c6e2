//! CSV with a header row: columns found by name in any documented spelling, cells read as
//! bytes into one reused record (no per-cell allocation unless a field is kept or wrong).

use super::fields::{Cell, Draft};
use super::header::{self, NOT_UTF8};
use super::lines::LineTracker;
use super::source::BUFFER_SIZE;
use super::{ColumnMapping, Emitter};
use ::csv::{ByteRecord, ReaderBuilder};
use std::io::{self, Read};
use std::ops::ControlFlow;

pub(crate) fn read(
    input: impl Read,
    emitter: &mut Emitter<'_>,
    columns: &[ColumnMapping],
    delimiter: u8,
) -> io::Result<ControlFlow<()>> {
    let mut reader = reader(input, delimiter);
    let mut record = ByteRecord::new();
    if !next(&mut reader, &mut record)? {
        // No header and no rows: an export of a day without cancellations can be 0 bytes.
        // Nothing in it is wrong; the commands say that it held no notices.
        return Ok(ControlFlow::Continue(()));
    }
    let header_line = line_of(&mut reader, &record);
    let names: Vec<Option<&str>> = record
        .iter()
        .map(|cell| std::str::from_utf8(cell).ok())
        .collect();
    let layout = match header::layout(&names, header_line, emitter, columns, Some(delimiter)) {
        Ok(layout) => layout,
        Err(flow) => return Ok(flow),
    };
    emitter.header_found(&names, &layout);
    let mut draft = Draft::default();
    while next(&mut reader, &mut record)? {
        // Excel leaves rows of bare commas where cells were once formatted; they are not rows.
        if record.iter().all(|cell| cell.trim_ascii().is_empty()) {
            continue;
        }
        let line = line_of(&mut reader, &record);
        draft.clear();
        let whole = record.len() == layout.width;
        if emitter.wants_cells() {
            // Trimmed, as every cell is read; a record of the wrong width whole, for the
            // rejects of `--skip-invalid`.
            let cells = record
                .iter()
                .map(|c| String::from_utf8_lossy(c.trim_ascii()).trim().to_owned());
            emitter.cells(cells.collect());
        }
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

/// A CSV reader of every record, the header included, each with its physical line.
pub(crate) fn reader<R: Read>(input: R, delimiter: u8) -> ::csv::Reader<LineTracker<R>> {
    ReaderBuilder::new()
        .delimiter(delimiter)
        // The header is read as a record like any other, so its line number comes the same way.
        .has_headers(false)
        // A record of the wrong width is the user's problem on that line, not a failed read.
        .flexible(true)
        .buffer_capacity(BUFFER_SIZE)
        .from_reader(LineTracker::new(input))
}

pub(crate) fn next<R: Read>(
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

pub(crate) fn line_of<R: Read>(
    reader: &mut ::csv::Reader<LineTracker<R>>,
    record: &ByteRecord,
) -> u64 {
    let position = record.position().expect("the csv reader sets positions");
    reader
        .get_mut()
        .line_of(position.byte())
        // Cannot happen (a record has content); the parser's own count is the best fallback.
        .unwrap_or(position.line())
}
