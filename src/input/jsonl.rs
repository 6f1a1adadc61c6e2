//! JSON Lines: one `secondRefundReq` object per line, optionally with `orderNo`, keys in any
//! spelling a CSV header may use.

use super::field::Field;
use super::fields::{Cell, ColumnNames, Draft};
use super::source::BUFFER_SIZE;
use super::{ColumnMapping, Emitter, Problem};
use crate::text::{quote, QUOTE_CHARS};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;

/// The fields a JSON Lines row carries into a report, in this order: JSON Lines has no header
/// and no columns beside the notice's.
const REPORTED: [Field; 5] = [
    Field::PolicyNo,
    Field::OrderNo,
    Field::Amount,
    Field::RefundDate,
    Field::Status,
];

/// Unknown keys are warned about once each (those named by `--ignore-column` not at all); past
/// this many names, a file is not JSON Lines of notices at all and more warnings would only
/// bury the errors.
const MAX_UNKNOWN_KEYS: usize = 20;

pub(crate) fn read(
    input: impl Read,
    emitter: &mut Emitter<'_>,
    columns: &[ColumnMapping],
) -> io::Result<ControlFlow<()>> {
    let mut reader = BufReader::with_capacity(BUFFER_SIZE, input);
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut draft = Draft::default();
    let names = ColumnNames::wire();
    let mut unknown = UnknownKeys::default();
    emitter.keep_header(|| super::InputHeader {
        names: REPORTED.iter().map(|f| f.wire_name().to_owned()).collect(),
        fields: REPORTED.iter().copied().map(Some).collect(),
    });
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(ControlFlow::Continue(()));
        }
        line += 1;
        let text = buf.trim_ascii();
        if text.is_empty() {
            continue;
        }
        draft.clear();
        let pairs = match object(text) {
            Ok(pairs) => pairs,
            Err(message) => {
                draft.error("", message);
                or_stop!(emitter.row(line, &mut draft, &names, false));
                continue;
            }
        };
        let mut seen: [Option<&str>; Field::ALL.len()] = [None; Field::ALL.len()];
        for (key, value) in &pairs {
            let Some(field) = Field::resolve(key, columns) else {
                or_stop!(unknown.met(key, line, emitter));
                continue;
            };
            // A key that names a field holds nothing but the field's letters, `_`, `-` and
            // spaces, so only its length can need quoting (and the common case costs nothing).
            let column = if key.len() <= QUOTE_CHARS {
                Cow::Borrowed(key.as_str())
            } else {
                Cow::Owned(quote(key))
            };
            if let Some(earlier) = seen[field.index()] {
                // Which value was meant is anyone's guess; JSON parsers differ on it too.
                let message = if earlier == key {
                    format!("the key {column} appears twice; keep one")
                } else {
                    format!(
                        "the key {column} is the same field as {}; keep one",
                        quote(earlier)
                    )
                };
                draft.error(&column, message);
                continue;
            }
            seen[field.index()] = Some(key);
            draft.set(field, &column, Cell::Json(value));
        }
        if emitter.wants_cells() {
            emitter.cells(as_written(&pairs, columns));
        }
        or_stop!(emitter.row(line, &mut draft, &names, true));
    }
}

/// The unknown keys met so far, ignored ones too, so that each is judged once.
#[derive(Default)]
struct UnknownKeys {
    seen: HashSet<String>,
    warned: usize,
}

impl UnknownKeys {
    /// A key no field has, on `line`: warned about the first time, unless ignored.
    fn met(&mut self, key: &str, line: u64, emitter: &mut Emitter<'_>) -> ControlFlow<()> {
        // Looked up before it is copied: most lines repeat the keys of the first.
        let new = self.warned < MAX_UNKNOWN_KEYS && !self.seen.contains(key);
        if new {
            self.seen.insert(key.to_owned());
        }
        if !new || emitter.ignores(key) {
            return ControlFlow::Continue(());
        }
        self.warned += 1;
        let problem = Problem::warning(
            emitter.file(),
            Some(line),
            &quote(key),
            format!(
                "unknown key, ignored here and on later lines (known: {}; {})",
                Field::known_names(),
                super::header::SILENCE_HINT
            ),
        );
        emitter.problem(problem)
    }
}

/// The reported fields of a line, each as the line wrote it: a string trimmed, as it is read,
/// anything else in JSON (a number as serde_json prints it, which is the shortest text for
/// the same number: JSON gives `5.10` and `5.1` one value).
fn as_written(pairs: &[(String, Value)], columns: &[ColumnMapping]) -> Box<[String]> {
    let mut cells: Box<[String]> = REPORTED.iter().map(|_| String::new()).collect();
    for (key, value) in pairs {
        let at = Field::resolve(key, columns).and_then(|f| REPORTED.iter().position(|r| *r == f));
        if let Some(at) = at {
            cells[at] = match value {
                Value::String(s) => s.trim().to_owned(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
        }
    }
    cells
}

/// One line's entries in file order, or why it is not a JSON object.
fn object(text: &[u8]) -> Result<Vec<(String, Value)>, String> {
    match serde_json::from_slice::<Object>(text) {
        Ok(Object(Some(pairs))) => Ok(pairs),
        Ok(Object(None)) => Err("this line is not a JSON object".to_owned()),
        Err(_) if std::str::from_utf8(text).is_err() => Err(
            "this line is not valid UTF-8 (if the file is GBK/GB18030, pass --encoding gb18030)"
                .to_owned(),
        ),
        Err(e) => Err(format!("this line is not a JSON object: {e}")),
    }
}

/// One line's JSON: `Some` of an object's entries in file order, duplicates kept (a
/// `serde_json::Map` keeps only the last of a repeated key, hiding the repeat); `None` for
/// anything that is not an object.
struct Object(Option<Vec<(String, Value)>>);

impl<'de> Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
        while let Some(pair) = map.next_entry::<String, Value>()? {
            pairs.push(pair);
        }
        Ok(Object(Some(pairs)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Object, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Object(None))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Object, E> {
        Ok(Object(None))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Object, E> {
        Ok(Object(None))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Object, E> {
        Ok(Object(None))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Object, E> {
        Ok(Object(None))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Object, E> {
        Ok(Object(None))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Object, E> {
        Ok(Object(None))
    }
}
