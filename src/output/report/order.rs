//! Input order, restored without holding the rows: each row's values go to a spool file as
//! they arrive, and its place in the spool to an index file at its input line (one slot of
//! 12 bytes per line, a sparse file). Replaying the index from the first slot to the last gives
//! the rows in input order, one at a time, whatever order they came in. Both files are
//! anonymous (gone with the process, killed or not).

use super::columns::Value;
use chrono::DateTime;
use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Bytes of one index slot: the row's offset in the spool (8) and its length (4). A length of
/// 0 is a line with no row (a hole of the sparse file reads as zeros).
const SLOT: u64 = 12;
/// Index slots held before they are written, sorted, in as few writes as they allow.
const PENDING: usize = 1024;

pub(super) struct InOrder {
    spool: BufWriter<File>,
    spool_len: u64,
    index: File,
    /// (line, offset, length) of rows whose slot is not written yet.
    pending: Vec<(u64, u64, u32)>,
    /// Rows without a line (from `send`): after the others, in the order they came.
    unnumbered: Vec<(u64, u32)>,
    last_line: Option<u64>,
    /// Whether every row so far came after the one before it.
    ordered: bool,
    buf: Vec<u8>,
}

impl InOrder {
    /// The spool and index, as anonymous files in `dir`.
    pub fn new(dir: &Path) -> io::Result<InOrder> {
        Ok(InOrder {
            spool: BufWriter::with_capacity(64 * 1024, tempfile::tempfile_in(dir)?),
            spool_len: 0,
            index: tempfile::tempfile_in(dir)?,
            pending: Vec::with_capacity(PENDING),
            unnumbered: Vec::new(),
            last_line: None,
            ordered: true,
            buf: Vec::new(),
        })
    }

    /// Whether the rows came in input order, so that a file written as they came is already
    /// in order.
    pub fn ordered(&self) -> bool {
        self.ordered
    }

    pub fn push(&mut self, line: Option<u64>, values: &[Value<'_>]) -> io::Result<()> {
        self.buf.clear();
        encode(values, &mut self.buf);
        let len =
            u32::try_from(self.buf.len()).map_err(|_| io::Error::other("a row over 4 GiB"))?;
        self.spool.write_all(&self.buf)?;
        let at = self.spool_len;
        self.spool_len += u64::from(len);
        match line {
            Some(line) => {
                if self.last_line.is_some_and(|last| line <= last) || !self.unnumbered.is_empty() {
                    self.ordered = false;
                }
                self.last_line = Some(line);
                self.pending.push((line, at, len));
                if self.pending.len() >= PENDING {
                    self.write_pending()?;
                }
            }
            None => self.unnumbered.push((at, len)),
        }
        Ok(())
    }

    /// The held slots, written: consecutive lines (rows mostly come nearly in order) in one
    /// write each.
    fn write_pending(&mut self) -> io::Result<()> {
        self.pending.sort_unstable_by_key(|&(line, _, _)| line);
        let mut run: Vec<u8> = Vec::with_capacity(self.pending.len() * SLOT as usize);
        let mut first = None;
        let mut next = 0;
        for &(line, at, len) in &self.pending {
            if first.is_some() && line != next {
                self.index
                    .write_all_at(&run, slot_at(first.unwrap_or(0))?)?;
                run.clear();
                first = None;
            }
            if first.is_none() {
                first = Some(line);
            }
            run.extend_from_slice(&at.to_le_bytes());
            run.extend_from_slice(&len.to_le_bytes());
            next = line + 1;
        }
        if let Some(first) = first {
            self.index.write_all_at(&run, slot_at(first)?)?;
        }
        self.pending.clear();
        Ok(())
    }

    /// Every row, in input order, to `row`.
    pub fn replay(mut self, mut row: impl FnMut(&[Value<'_>]) -> io::Result<()>) -> io::Result<()> {
        self.write_pending()?;
        self.spool.flush()?;
        let spool = self.spool.get_ref();
        let slots = match self.last_line {
            Some(_) => self.index.metadata()?.len() / SLOT,
            None => 0,
        };
        let mut index = BufReader::with_capacity(64 * 1024, &self.index);
        let mut slot = [0u8; SLOT as usize];
        let mut buf = Vec::new();
        let mut give = |at: u64, len: u32, buf: &mut Vec<u8>| -> io::Result<()> {
            buf.resize(len as usize, 0);
            spool.read_exact_at(buf, at)?;
            row(&decode(buf)?)
        };
        for _ in 0..slots {
            index.read_exact(&mut slot)?;
            let (at, len) = slot.split_at(8);
            let len = u32::from_le_bytes(len.try_into().unwrap_or_default());
            if len > 0 {
                let at = u64::from_le_bytes(at.try_into().unwrap_or_default());
                give(at, len, &mut buf)?;
            }
        }
        for &(at, len) in &self.unnumbered {
            give(at, len, &mut buf)?;
        }
        Ok(())
    }
}

fn slot_at(line: u64) -> io::Result<u64> {
    line.checked_mul(SLOT)
        .ok_or_else(|| io::Error::other("a line number too large to index"))
}

// The spool's encoding of a row: the count of values, then each value as a tag byte and its
// content (texts as a length and UTF-8 bytes, numbers as 8 little-endian bytes).
const EMPTY: u8 = 0;
const TEXT: u8 = 1;
const INTEGER: u8 = 2;
const AMOUNT: u8 = 3;
const STATUS: u8 = 4;
const DATETIME: u8 = 5;
const INSTANT: u8 = 6;
const LIST: u8 = 7;

fn encode(values: &[Value<'_>], out: &mut Vec<u8>) {
    let text = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for value in values {
        match value {
            Value::Empty => out.push(EMPTY),
            Value::Text(s) => {
                out.push(TEXT);
                text(out, s);
            }
            Value::Integer(n) => {
                out.push(INTEGER);
                out.extend_from_slice(&n.to_le_bytes());
            }
            Value::Amount(s) => {
                out.push(AMOUNT);
                text(out, s);
            }
            Value::Status(s) => {
                out.push(STATUS);
                text(out, s);
            }
            Value::DateTime(s) => {
                out.push(DATETIME);
                text(out, s);
            }
            Value::Instant(at) => {
                out.push(INSTANT);
                out.extend_from_slice(&at.timestamp_millis().to_le_bytes());
            }
            Value::List(items) => {
                out.push(LIST);
                out.extend_from_slice(&(items.len() as u32).to_le_bytes());
                for item in items.iter() {
                    text(out, item);
                }
            }
        }
    }
}

/// A row back from its bytes, its texts borrowed from them.
fn decode(mut bytes: &[u8]) -> io::Result<Vec<Value<'_>>> {
    let bad = || io::Error::other("the report's spool file is damaged");
    fn take<'b>(bytes: &mut &'b [u8], n: usize) -> Option<&'b [u8]> {
        let (head, rest) = bytes.split_at_checked(n)?;
        *bytes = rest;
        Some(head)
    }
    fn text<'b>(bytes: &mut &'b [u8]) -> Option<Cow<'b, str>> {
        let len = u32::from_le_bytes(take(bytes, 4)?.try_into().ok()?) as usize;
        std::str::from_utf8(take(bytes, len)?)
            .ok()
            .map(Cow::Borrowed)
    }
    let u32_of = |bytes: &mut &[u8]| -> Option<u32> {
        Some(u32::from_le_bytes(take(bytes, 4)?.try_into().ok()?))
    };
    let i64_of = |bytes: &mut &[u8]| -> Option<i64> {
        Some(i64::from_le_bytes(take(bytes, 8)?.try_into().ok()?))
    };
    let count = u32_of(&mut bytes).ok_or_else(bad)?;
    let mut values = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let tag = take(&mut bytes, 1).ok_or_else(bad)?[0];
        let value = match tag {
            EMPTY => Some(Value::Empty),
            TEXT => text(&mut bytes).map(Value::Text),
            INTEGER => i64_of(&mut bytes).map(Value::Integer),
            AMOUNT => text(&mut bytes).map(Value::Amount),
            STATUS => text(&mut bytes).map(Value::Status),
            DATETIME => text(&mut bytes).map(Value::DateTime),
            INSTANT => i64_of(&mut bytes)
                .and_then(DateTime::from_timestamp_millis)
                .map(Value::Instant),
            LIST => u32_of(&mut bytes).and_then(|n| {
                (0..n)
                    .map(|_| text(&mut bytes).map(Cow::into_owned))
                    .collect::<Option<Vec<String>>>()
                    .map(|items| Value::List(Cow::Owned(items)))
            }),
            _ => None,
        };
        values.push(value.ok_or_else(bad)?);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: i64) -> Vec<Value<'static>> {
        vec![
            Value::Integer(n),
            Value::Text(format!("P{n}").into()),
            Value::Empty,
            Value::Amount("1000.00".into()),
            Value::List(Cow::Owned(vec!["a".into(), "成功".into()])),
            Value::Instant(DateTime::from_timestamp_millis(1_700_000_000_123).unwrap()),
        ]
    }

    #[test]
    fn rows_come_back_in_line_order_whatever_order_they_came_in() {
        let dir = tempfile::tempdir().unwrap();
        let mut order = InOrder::new(dir.path()).unwrap();
        // Out of order, across more than one batch of pending slots, with gaps.
        let mut lines: Vec<u64> = (2..3000).filter(|l| l % 7 != 0).collect();
        lines.reverse();
        lines.swap(5, 2000);
        for &line in &lines {
            order.push(Some(line), &row(line as i64)).unwrap();
        }
        assert!(!order.ordered());
        let mut seen = Vec::new();
        order
            .replay(|values| {
                let Value::Integer(n) = values[0] else {
                    panic!("{values:?}")
                };
                assert_eq!(values, &row(n)[..]);
                seen.push(n as u64);
                Ok(())
            })
            .unwrap();
        lines.sort_unstable();
        assert_eq!(seen, lines);
    }

    #[test]
    fn rows_in_order_are_known_to_be() {
        let dir = tempfile::tempdir().unwrap();
        let mut order = InOrder::new(dir.path()).unwrap();
        for line in [2, 3, 5] {
            order.push(Some(line), &row(1)).unwrap();
        }
        assert!(order.ordered());
        order.push(Some(4), &row(1)).unwrap();
        assert!(!order.ordered());
    }

    #[test]
    fn every_value_survives_the_spool() {
        let values = row(7);
        let mut bytes = Vec::new();
        encode(&values, &mut bytes);
        assert_eq!(decode(&bytes).unwrap(), values);
        assert!(decode(&bytes[..bytes.len() - 1]).is_err());
    }
}
