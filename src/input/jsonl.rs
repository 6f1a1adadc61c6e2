//! JSON Lines: one `secondRefundReq` object per line, optionally with `orderNo`, keys in any
//! spelling a CSV header may use.

use super::fields::{Cell, ColumnNames, Draft, Field};
use super::source::BUFFER_SIZE;
use super::{Emitter, Problem};
use serde_json::Value;
use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;

/// Unknown keys are warned about once each; past this many names, a file is not JSON Lines
/// of notices at all and more warnings would only bury the errors.
const MAX_UNKNOWN_KEYS: usize = 20;

pub(crate) fn read(input: impl Read, emitter: &mut Emitter<'_>) -> io::Result<ControlFlow<()>> {
    let mut reader = BufReader::with_capacity(BUFFER_SIZE, input);
    let mut buf = Vec::new();
    let mut line = 0u64;
    let mut draft = Draft::default();
    let names = ColumnNames::wire();
    let mut unknown_seen: HashSet<String> = HashSet::new();
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
        let value = match serde_json::from_slice::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                draft.error("", "this line is not a JSON object");
                or_stop!(emitter.row(line, &mut draft, &names, false));
                continue;
            }
            Err(e) => {
                let message = if std::str::from_utf8(text).is_err() {
                    "this line is not valid UTF-8 (if the file is GBK/GB18030, pass --encoding gb18030)"
                        .to_owned()
                } else {
                    format!("this line is not a JSON object: {e}")
                };
                draft.error("", message);
                or_stop!(emitter.row(line, &mut draft, &names, false));
                continue;
            }
        };
        let mut seen: [Option<&str>; 6] = [None; 6];
        for (key, value) in &value {
            let Some(field) = Field::from_name(key) else {
                if unknown_seen.len() < MAX_UNKNOWN_KEYS && unknown_seen.insert(key.clone()) {
                    let problem = Problem::warning(
                        emitter.file(),
                        Some(line),
                        key,
                        format!(
                            "unknown key, ignored here and on later lines (known: {})",
                            Field::known_names()
                        ),
                    );
                    or_stop!(emitter.problem(problem));
                }
                continue;
            };
            if let Some(earlier) = seen[field.index()] {
                draft.error(
                    key,
                    format!("the key {key} is the same field as {earlier}; keep one"),
                );
                continue;
            }
            seen[field.index()] = Some(key);
            draft.set(field, key, Cell::Json(value));
        }
        or_stop!(emitter.row(line, &mut draft, &names, true));
    }
}
