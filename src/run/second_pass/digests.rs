//! What the first pass saw of each valid row, its policy and orderNo, hashed: eight bytes a row
//! in an unnamed temporary file. The second pass compares each row it reads with them. Where
//! every row matches, the first pass's checks across rows (the same policy twice, one orderNo
//! for two policies) hold as they were, and the second pass need not build their tables again
//! (a million rows' worth of random probes); a row that does not match is not sent, which also
//! catches an edit those checks would not have seen. Without the file (it could not be made or
//! written) the second pass runs the checks across rows itself, as every pass did before.

use crate::input::value_hash as hash;
use crate::notice::Notice;
use std::io::{BufReader, BufWriter, Read, Seek, Write};

/// The first pass's side: one digest per valid row, in order.
#[derive(Default)]
pub(crate) struct Digests {
    writer: Option<BufWriter<std::fs::File>>,
    rows: u64,
    failed: bool,
}

impl Digests {
    /// The next valid row.
    pub fn add(&mut self, notice: &Notice) {
        if self.failed {
            return;
        }
        if self.writer.is_none() {
            self.writer = tempfile::tempfile()
                .ok()
                .map(|file| BufWriter::with_capacity(64 * 1024, file));
        }
        let digest = digest(notice).to_le_bytes();
        match self.writer.as_mut().map(|w| w.write_all(&digest)) {
            Some(Ok(())) => self.rows += 1,
            _ => {
                self.writer = None;
                self.failed = true;
            }
        }
    }

    /// The digests for the second pass to read, from the first; `None` when they could not
    /// all be written down.
    pub fn read_back(self) -> Option<RowDigests> {
        if self.failed {
            return None;
        }
        let Some(writer) = self.writer else {
            // No valid row: nothing to compare, and nothing to send.
            return Some(RowDigests {
                reader: None,
                left: 0,
            });
        };
        let mut file = writer.into_inner().ok()?;
        file.rewind().ok()?;
        Some(RowDigests {
            reader: Some(BufReader::with_capacity(64 * 1024, file)),
            left: self.rows,
        })
    }
}

/// The second pass's side.
pub(crate) struct RowDigests {
    reader: Option<BufReader<std::fs::File>>,
    left: u64,
}

impl RowDigests {
    /// Whether the second pass's next valid row is the one the first pass checked at its
    /// place; false too for a row past the first pass's last, or a digest that cannot be read.
    pub fn matches(&mut self, notice: &Notice) -> bool {
        let Some(reader) = self.reader.as_mut().filter(|_| self.left > 0) else {
            return false;
        };
        self.left -= 1;
        let mut bytes = [0u8; 8];
        if reader.read_exact(&mut bytes).is_err() {
            self.reader = None;
            return false;
        }
        u64::from_le_bytes(bytes) == digest(notice)
    }
}

/// A row's policy and orderNo, as the checks across rows see them.
fn digest(notice: &Notice) -> u64 {
    let order = notice.order_no.as_deref().map_or(0, hash);
    hash(&notice.policy_no) ^ order.rotate_left(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(policy: &str, order: Option<&str>) -> Notice {
        Notice {
            line: Some(2),
            policy_no: policy.into(),
            order_no: order.map(Into::into),
            details: Default::default(),
            platform: None,
            raw: None,
        }
    }

    #[test]
    fn the_same_rows_match_and_any_other_does_not() {
        let mut first = Digests::default();
        first.add(&notice("P1", Some("O1")));
        first.add(&notice("P2", None));
        first.add(&notice("P3", Some("O3")));
        let mut second = first.read_back().unwrap();
        assert!(second.matches(&notice("P1", Some("O1"))));
        // Another orderNo, or none, is another row.
        assert!(!second.matches(&notice("P2", Some("O2"))));
        // The policy and the orderNo swapped are not the same row either.
        assert!(!second.matches(&notice("O3", Some("P3"))));
        // Past the first pass's last row.
        assert!(!second.matches(&notice("P4", None)));
    }

    #[test]
    fn no_rows_means_nothing_matches() {
        let mut second = Digests::default().read_back().unwrap();
        assert!(!second.matches(&notice("P1", None)));
    }
}
