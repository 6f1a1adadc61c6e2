//! Checks across rows: the same policy twice, one orderNo for two policies. They need memory
//! of every row seen so far, so they keep a 64-bit hash and a line number per value (12 bytes),
//! never the strings: a million-row file costs about 36 MB for both tables.
//!
//! A hash collision is safe: two different values with the same hash can only look like a
//! duplicate, which is an error that stops the batch before anything is sent. It can never
//! hide a real duplicate or let a bad row through. With 64-bit hashes the chance of one
//! collision among a million values is about 3 in 100 million.

use std::hash::Hasher;

/// The first line each value was seen on: open addressing with linear probing, one 12-byte
/// slot per value (key and line side by side, so a lookup touches one cache line).
#[derive(Debug)]
pub(crate) struct FirstLines {
    slots: Vec<Slot>,
    len: usize,
}

/// A 64-bit key as two halves, so the slot packs into 12 bytes rather than 16.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// 0 in both halves marks an empty slot (a value whose hash is 0 is stored as 1: a
    /// collision, see above).
    key: [u32; 2],
    /// A line past u32::MAX is stored as u32::MAX ("an earlier line").
    line: u32,
}

fn split(key: u64) -> [u32; 2] {
    [key as u32, (key >> 32) as u32]
}

fn join(key: [u32; 2]) -> u64 {
    u64::from(key[0]) | (u64::from(key[1]) << 32)
}

/// Probe runs stay short below this load; above it the table grows by half rather than
/// doubling, so that a big table is never much more than half empty.
const MAX_LOAD_PERCENT: usize = 75;
const INITIAL_SLOTS: usize = 1024;

/// Where a line number could not be stored in 32 bits.
pub(crate) const LINE_UNKNOWN: u64 = u32::MAX as u64;

impl FirstLines {
    pub fn new() -> Self {
        FirstLines {
            slots: vec![Slot::default(); INITIAL_SLOTS],
            len: 0,
        }
    }

    /// The line `key` was first seen on; when it is new, remembers it at `line` and returns
    /// `None`.
    pub fn first_or_insert(&mut self, key: u64, line: u64) -> Option<u64> {
        let key = key.max(1);
        if (self.len + 1) * 100 > self.slots.len() * MAX_LOAD_PERCENT {
            self.grow();
        }
        let wanted = split(key);
        let mut i = home(key, self.slots.len());
        loop {
            let slot = &mut self.slots[i];
            if slot.key == [0, 0] {
                *slot = Slot {
                    key: wanted,
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                };
                self.len += 1;
                return None;
            }
            if slot.key == wanted {
                return Some(u64::from(slot.line));
            }
            i = if i + 1 == self.slots.len() { 0 } else { i + 1 };
        }
    }

    fn grow(&mut self) {
        let size = self.slots.len() + self.slots.len() / 2;
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        for slot in old.into_iter().filter(|s| s.key != [0, 0]) {
            let mut i = home(join(slot.key), size);
            while self.slots[i].key != [0, 0] {
                i = if i + 1 == size { 0 } else { i + 1 };
            }
            self.slots[i] = slot;
        }
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<Slot>()
    }
}

/// Maps a hash onto `0..slots` by its high bits (multiply-shift), which needs no power-of-two
/// table size.
fn home(key: u64, slots: usize) -> usize {
    ((u128::from(key) * slots as u128) >> 64) as usize
}

/// A hash that is the same on every run and every pass, so pass 1 and pass 2 agree.
/// `DefaultHasher::new()` is SipHash with fixed keys.
pub(crate) fn hash(value: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(value.as_bytes());
    h.finish()
}

/// What the cross-row checks found for one row.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Clash {
    /// The policy was first on this line.
    pub policy_line: Option<u64>,
    /// The orderNo was first on this line, with another policy.
    pub order_line: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct CrossChecks {
    policies: FirstLines,
    orders: FirstLines,
}

impl CrossChecks {
    pub fn new() -> Self {
        CrossChecks {
            policies: FirstLines::new(),
            orders: FirstLines::new(),
        }
    }

    /// Records a row's policy and orderNo (even when the row has other errors, so that fixing
    /// those does not uncover a duplicate only on the next run).
    pub fn check(&mut self, line: u64, policy_no: Option<&str>, order_no: Option<&str>) -> Clash {
        let policy_line = policy_no.and_then(|p| self.policies.first_or_insert(hash(p), line));
        let order_line = order_no
            .and_then(|o| self.orders.first_or_insert(hash(o), line))
            // The same policy with the same orderNo again is the duplicate policy already
            // reported, not a second problem.
            .filter(|first| Some(*first) != policy_line);
        Clash {
            policy_line,
            order_line,
        }
    }
}

/// "line 12", or a fallback for the line numbers the table could not keep.
pub(crate) fn describe_line(line: u64) -> String {
    if line == LINE_UNKNOWN {
        "an earlier line".to_owned()
    } else {
        format!("line {line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_lines_remember_the_first() {
        let mut t = FirstLines::new();
        for i in 0..10_000u64 {
            assert_eq!(t.first_or_insert(hash(&format!("P{i}")), i + 2), None);
        }
        for i in 0..10_000u64 {
            assert_eq!(
                t.first_or_insert(hash(&format!("P{i}")), 99_999),
                Some(i + 2)
            );
        }
        assert_eq!(t.first_or_insert(0, 5), None);
        assert_eq!(t.first_or_insert(0, 6), Some(5));
        assert_eq!(t.first_or_insert(7, 1 << 40), None);
        assert_eq!(t.first_or_insert(7, 1), Some(LINE_UNKNOWN));
    }

    #[test]
    fn a_million_values_stay_small() {
        let mut t = FirstLines::new();
        for i in 0..1_000_000u64 {
            t.first_or_insert(hash(&format!("P{i:010}")), i);
        }
        assert_eq!(t.len, 1_000_000);
        // Two of these (policies and orders) must fit well under 64 MB.
        assert_eq!(std::mem::size_of::<Slot>(), 12);
        assert!(t.bytes() < 20_000_000, "{} bytes", t.bytes());
    }

    #[test]
    fn clashes_name_the_first_line() {
        let mut c = CrossChecks::new();
        assert_eq!(c.check(2, Some("P1"), Some("O1")), Clash::default());
        assert_eq!(c.check(3, Some("P2"), Some("O2")), Clash::default());
        assert_eq!(
            c.check(4, Some("P1"), Some("O1")),
            Clash {
                policy_line: Some(2),
                order_line: None
            }
        );
        assert_eq!(
            c.check(5, Some("P3"), Some("O2")),
            Clash {
                policy_line: None,
                order_line: Some(3)
            }
        );
        assert_eq!(c.check(6, None, None), Clash::default());
    }
}
