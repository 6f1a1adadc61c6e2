//! Rows the first pass found accepted earlier, written down as it judged them (in an unnamed
//! temporary file, so that a million of them cost no memory), with what a skip shows: the
//! accepted orderNo and its answer.

use std::io::{BufReader, BufWriter, Read, Seek, Write};

/// The first pass's side: one record per settled row.
#[derive(Default)]
pub(crate) struct Settled {
    /// `None` before the first such row, and when the file could not be made or written: the
    /// second pass then hands every row to the engine, as for any run.
    spill: Option<Spill>,
    failed: bool,
}

/// What a skip shows: the accepted orderNo and its answer.
pub(crate) struct Skip<'a> {
    pub order_no: &'a str,
    pub deal_code: Option<&'a str>,
    pub deal_desc: Option<&'a str>,
}

/// One settled row as the first pass wrote it down.
pub(crate) struct Record {
    /// The row's place among the valid rows, from 0.
    pub ordinal: u64,
    pub policy_no: String,
    pub order_no: String,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
}

impl Settled {
    /// Row `ordinal`, policy `policy_no`, was judged a skip.
    pub fn add(&mut self, ordinal: u64, policy_no: &str, skip: &Skip<'_>) {
        if self.failed {
            return;
        }
        if self.spill.is_none() {
            self.spill = Spill::new();
        }
        let written = self
            .spill
            .as_mut()
            .is_some_and(|spill| spill.write(ordinal, policy_no, skip));
        if !written {
            // Part of the list is no list: every row goes the engine's way.
            self.spill = None;
            self.failed = true;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.spill.is_none()
    }

    /// The records, for the second pass, in the order they were written; `None` when there
    /// are none or they cannot be read back.
    pub fn read_back(self) -> Option<Records> {
        let mut spill = self.spill?;
        spill.rewind().then_some(Records(spill))
    }
}

/// The second pass's side: the records, one at a time.
pub(crate) struct Records(Spill);

impl Records {
    /// The next record; `None` at the end, or when it cannot be read.
    pub fn next(&mut self) -> Option<Record> {
        self.0.next()
    }
}

/// The records of [`Settled`], written in the first pass and read back in the second.
struct Spill {
    writer: Option<BufWriter<std::fs::File>>,
    reader: Option<BufReader<std::fs::File>>,
}

/// A record's string that is absent.
const ABSENT: u32 = u32::MAX;

impl Spill {
    fn new() -> Option<Spill> {
        let file = tempfile::tempfile().ok()?;
        Some(Spill {
            writer: Some(BufWriter::with_capacity(64 * 1024, file)),
            reader: None,
        })
    }

    /// false when the record could not be written.
    fn write(&mut self, ordinal: u64, policy_no: &str, skip: &Skip<'_>) -> bool {
        let Some(w) = self.writer.as_mut() else {
            return false;
        };
        let put = |w: &mut BufWriter<std::fs::File>, text: Option<&str>| match text {
            None => w.write_all(&ABSENT.to_le_bytes()),
            Some(t) => {
                let len = u32::try_from(t.len()).unwrap_or(ABSENT - 1);
                w.write_all(&len.to_le_bytes())?;
                w.write_all(&t.as_bytes()[..len as usize])
            }
        };
        let written = (|| {
            w.write_all(&ordinal.to_le_bytes())?;
            put(w, Some(policy_no))?;
            put(w, Some(skip.order_no))?;
            put(w, skip.deal_code)?;
            put(w, skip.deal_desc)
        })();
        written.is_ok()
    }

    /// Turns from writing to reading, at the first record; false if that failed.
    fn rewind(&mut self) -> bool {
        let Some(writer) = self.writer.take() else {
            return self.reader.is_some();
        };
        let Ok(mut file) = writer.into_inner() else {
            return false;
        };
        if file.rewind().is_err() {
            return false;
        }
        self.reader = Some(BufReader::with_capacity(64 * 1024, file));
        true
    }

    fn next(&mut self) -> Option<Record> {
        let r = self.reader.as_mut()?;
        let mut number = [0u8; 8];
        r.read_exact(&mut number).ok()?;
        let ordinal = u64::from_le_bytes(number);
        let mut take = || -> Option<Option<String>> {
            let mut len = [0u8; 4];
            r.read_exact(&mut len).ok()?;
            let len = u32::from_le_bytes(len);
            if len == ABSENT {
                return Some(None);
            }
            let mut text = String::with_capacity(len as usize);
            let read = r
                .by_ref()
                .take(u64::from(len))
                .read_to_string(&mut text)
                .ok()?;
            (read == len as usize).then_some(Some(text))
        };
        Some(Record {
            ordinal,
            policy_no: take()??,
            order_no: take()??,
            deal_code: take()?,
            deal_desc: take()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_with_their_answers() {
        let mut settled = Settled::default();
        assert!(settled.is_empty());
        let skip = Skip {
            order_no: "O1",
            deal_code: Some("1"),
            deal_desc: Some("成功"),
        };
        settled.add(3, "P1", &skip);
        settled.add(
            7,
            "P2",
            &Skip {
                order_no: "O2",
                deal_code: None,
                deal_desc: None,
            },
        );
        let mut records = settled.read_back().unwrap();
        let first = records.next().unwrap();
        assert_eq!(
            (
                first.ordinal,
                first.policy_no.as_str(),
                first.order_no.as_str()
            ),
            (3, "P1", "O1")
        );
        assert_eq!(first.deal_desc.as_deref(), Some("成功"));
        let second = records.next().unwrap();
        assert_eq!((second.ordinal, second.deal_code), (7, None));
        assert!(records.next().is_none());
    }
}
