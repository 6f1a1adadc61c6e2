//! The header row of a CSV file or a sheet: which column holds which field, found by name in
//! any documented spelling or by `--column`, and what is wrong with the header itself.

use super::field::Field;
use super::fields::ColumnNames;
use super::{ColumnMapping, Emitter, Problem};
use crate::text::quote;
use std::ops::ControlFlow;

pub(crate) const NOT_UTF8: &str =
    "is not valid UTF-8 (if the file is GBK/GB18030, as Chinese Excel writes it, pass --encoding gb18030)";

/// About how many characters of unknown column names the header warning lists.
const UNKNOWN_NAMES_CHARS: usize = 120;

/// How to keep the warning about an unknown column (or JSON key) out of a log, said with it.
pub(crate) const SILENCE_HINT: &str = "--ignore-column NAME leaves NAME unmentioned";

/// A column named by `--ignore-column` or the config's `ignore_columns`, trimmed; an error
/// when it is empty or names a field: a field's column is read, so ignoring it would say
/// something that is not so.
pub fn ignorable_column(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a column to ignore needs a name".to_owned());
    }
    match Field::from_name(name) {
        Some(field) => Err(format!(
            "'{}' names the {} field, whose column is read, not ignored; only a column that \
             is no field can be ignored",
            quote(name),
            field.wire_name()
        )),
        None => Ok(name.to_owned()),
    }
}

/// Whether a header or JSON key is one of the `ignored` columns, matched as a header is
/// matched to a field: trimmed, ignoring case.
pub(crate) fn is_ignored(name: &str, ignored: &[String]) -> bool {
    let name = name.trim().trim_start_matches('\u{feff}');
    ignored
        .iter()
        .any(|i| i == name || i.to_lowercase() == name.to_lowercase())
}

/// Which column holds which field, as worked out from the header.
pub(crate) struct Layout {
    pub width: usize,
    /// (column index, field) for every known column.
    pub fields: Vec<(usize, Field)>,
    pub names: ColumnNames,
}

/// Maps the header (`None` for a cell that is not text) at `line`; on a header that makes the
/// rows unreadable, reports it and gives back the flow to return (no rows are read).
/// `delimiter` is the CSV separator, for the hint about a header that is one cell (and a CSV
/// file's unknown columns are a warning: a workbook's are said once when it is opened).
/// The emitter learns where each field's column is, and whether orderNo has one.
pub(crate) fn layout(
    cells: &[Option<&str>],
    line: u64,
    emitter: &mut Emitter<'_>,
    columns: &[ColumnMapping],
    delimiter: Option<u8>,
) -> Result<Layout, ControlFlow<()>> {
    let (layout, mut errors, unknown) = map_columns(cells, columns, line, emitter);
    for mapping in columns {
        if !layout.fields.iter().any(|(_, f)| *f == mapping.field) {
            errors.push(emitter.error_at(
                line,
                None,
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
        let message = no_policy_column(cells, &layout, delimiter);
        errors.push(emitter.error_at(line, None, Field::PolicyNo.wire_name(), message));
    }
    if !unknown.is_empty() && delimiter.is_some() {
        let message = format!(
            "unknown column{}, ignored (the known ones are {}; {SILENCE_HINT})",
            if unknown.len() == 1 { "" } else { "s" },
            Field::known_names()
        );
        let mut warning = emitter.error_at(line, None, &first_names(&unknown), message);
        warning.severity = super::Severity::Warning;
        errors.push(warning);
    }
    let fatal = errors.iter().any(Problem::is_error);
    for problem in errors {
        if emitter.problem(problem).is_break() {
            return Err(ControlFlow::Break(()));
        }
    }
    if fatal {
        return Err(ControlFlow::Continue(()));
    }
    emitter.set_layout(&layout);
    if !layout.fields.iter().any(|(_, f)| *f == Field::OrderNo) {
        emitter.no_order_no_column(line);
    }
    Ok(layout)
}

/// Each header cell matched to a field: the layout, the problems found, the unknown names.
fn map_columns(
    cells: &[Option<&str>],
    columns: &[ColumnMapping],
    line: u64,
    emitter: &Emitter<'_>,
) -> (Layout, Vec<Problem>, Vec<String>) {
    let mut layout = Layout {
        width: cells.len(),
        fields: Vec::new(),
        names: ColumnNames::wire(),
    };
    let mut errors = Vec::new();
    let mut unknown = Vec::new();
    for (index, cell) in cells.iter().enumerate() {
        let Some(raw) = cell else {
            errors.push(emitter.error_at(
                line,
                Some(index),
                &format!("column {}", index + 1),
                format!("the column name {NOT_UTF8}"),
            ));
            continue;
        };
        let raw_name = raw.trim().trim_start_matches('\u{feff}');
        let name = &quote(raw_name);
        match Field::resolve(raw_name, columns) {
            Some(field) => match layout.fields.iter().find(|(_, f)| *f == field) {
                Some(_) => errors.push(emitter.error_at(
                    line,
                    Some(index),
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
            None if emitter.ignores(raw_name) => {}
            None => unknown.push(name.clone()),
        }
    }
    (layout, errors, unknown)
}

/// The message for a header without a policyNo column, with the likely reason when a CSV
/// header is one cell: Excel in many locales saves "CSV" with semicolons (and "Unicode Text"
/// with tabs).
fn no_policy_column(cells: &[Option<&str>], layout: &Layout, delimiter: Option<u8>) -> String {
    let mut message = format!(
        "no policyNo column (named {}) in the header; name yours with --column policyNo=HEADER",
        Field::PolicyNo.spellings()
    );
    if let (1, Some(delimiter), [Some(header)]) = (layout.width, delimiter, cells) {
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
pub(crate) fn first_names(unknown: &[String]) -> String {
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
