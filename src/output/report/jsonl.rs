//! A JSON Lines report: one object per row, for programs. Its keys are the English column
//! names whatever language the headers of a table would take (a program reads keys, not
//! headers), the result's fields as `--json` gives them, with the exact text: no escaping.
//! The input's columns that are no field go in one object, `otherColumns`, under their own
//! headers.

use super::columns::{Column, Columns, Value};
use super::{RunSummary, Sink};
use crate::protocol::cst;
use chrono::SecondsFormat;
use serde::ser::{SerializeMap, Serializer};
use std::fs::File;
use std::io::{self, BufWriter, Write};

pub(super) struct JsonlSink {
    out: BufWriter<File>,
    columns: Vec<Column>,
    /// The key of each of the input's other columns, by its place among the columns.
    other_keys: Vec<Option<String>>,
}

/// The key of the object that holds the input's columns that are no field.
const OTHER_COLUMNS: &str = "otherColumns";

impl JsonlSink {
    pub fn new(file: File) -> JsonlSink {
        JsonlSink {
            out: BufWriter::new(file),
            columns: Vec::new(),
            other_keys: Vec::new(),
        }
    }
}

impl Sink for JsonlSink {
    fn begin(&mut self, columns: &Columns) -> io::Result<()> {
        self.columns = columns.columns.clone();
        self.other_keys = other_keys(columns);
        Ok(())
    }

    fn row(&mut self, values: &[Value<'_>]) -> io::Result<()> {
        let mut json = serde_json::Serializer::new(&mut self.out);
        let mut map = json.serialize_map(None)?;
        let mut others_done = false;
        for (column, value) in self.columns.iter().zip(values) {
            if let Column::Input(_) = column {
                if !others_done {
                    others_done = true;
                    let others = Others {
                        keys: &self.other_keys,
                        values,
                    };
                    map.serialize_entry(OTHER_COLUMNS, &others)?;
                }
                continue;
            }
            map.serialize_entry(column.key(), &Json(value))?;
        }
        map.end()?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(mut self: Box<Self>, _: &RunSummary<'_>) -> io::Result<()> {
        self.out.flush()
    }
}

/// Each of the input's other columns' key: its header, or `column N` for one without a name,
/// and `NAME (column N)` for a name an earlier column has (a JSON object has each key once).
fn other_keys(columns: &Columns) -> Vec<Option<String>> {
    let mut seen = std::collections::HashSet::new();
    columns
        .columns
        .iter()
        .enumerate()
        .map(|(at, column)| {
            let Column::Input(index) = column else {
                return None;
            };
            let name = columns.name(at);
            let key = if name.is_empty() {
                format!("column {}", index + 1)
            } else if seen.contains(name) {
                format!("{name} (column {})", index + 1)
            } else {
                name.to_owned()
            };
            seen.insert(key.clone());
            Some(key)
        })
        .collect()
}

/// The input's other columns of one row, as one object.
struct Others<'a> {
    keys: &'a [Option<String>],
    values: &'a [Value<'a>],
}

impl serde::Serialize for Others<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.keys.iter().zip(self.values) {
            if let Some(key) = key {
                map.serialize_entry(key, &Json(value))?;
            }
        }
        map.end()
    }
}

/// One value as JSON: `null` when empty, a number for a count, else the text as written.
struct Json<'a>(&'a Value<'a>);

impl serde::Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Empty => serializer.serialize_none(),
            Value::Text(s) | Value::Amount(s) | Value::Status(s) | Value::DateTime(s) => {
                serializer.serialize_str(s)
            }
            Value::Integer(n) => serializer.serialize_i64(*n),
            Value::Instant(at) => serializer.serialize_str(
                &at.with_timezone(&cst())
                    .to_rfc3339_opts(SecondsFormat::Millis, false),
            ),
            Value::List(items) => serializer.collect_seq(items.iter()),
        }
    }
}
