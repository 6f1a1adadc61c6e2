//! The second pass of a batch: the file read again as it is sent, each row compared with the
//! one the first pass checked at its place, and each either reported as skipped or handed to
//! the engine. One type on each side: the first pass writes [`Notes`], the second reads them
//! through [`SecondPass`].
//!
//! Rows the first pass found accepted earlier need not be sent at all (the rule says skip),
//! so the second pass reports the skip itself from what the first pass wrote down: a re-run of
//! a finished batch costs no claim and no hand-off to a worker and back. That holds while no
//! other connection has committed to the journal since the first pass read it (the backend's
//! version, checked when the second pass starts and every few thousand rows); once one has,
//! or the input turned out to differ, every later row goes to the engine, whose claim decides
//! under the write lock as for any row.

mod digests;
mod settled;

pub(crate) use settled::Skip;

use crate::journal::JournalReader;
use crate::notice::{Notice, NoticeResult};
use digests::{Digests, RowDigests};
use settled::{Record, Records, Settled};
use std::collections::BTreeSet;

/// Skips reported between two looks at the journal's version: few enough that a change by
/// another process is seen soon.
const ROWS_PER_LOOK: u32 = 4096;

/// What the first pass writes down for the second: each valid row's digest, and the rows it
/// found accepted earlier.
#[derive(Default)]
pub(crate) struct Notes {
    digests: Digests,
    settled: Settled,
    rows: u64,
    /// The journal's version while the first pass read it; `None` when it changed meanwhile
    /// or cannot be told.
    version: Option<i64>,
    /// The lines `--skip-invalid` set aside: not sent, and not compared.
    set_aside: BTreeSet<u64>,
}

impl Notes {
    /// The next valid row, with what the journal holds of it when the rule skipped it.
    pub fn row(&mut self, notice: &Notice, skip: Option<Skip<'_>>) {
        if let Some(skip) = skip {
            self.settled.add(self.rows, &notice.policy_no, &skip);
        }
        self.digests.add(notice);
        self.rows += 1;
    }

    /// The first pass's look at the journal began and ended at these versions.
    pub fn journal_between(&mut self, before: Option<i64>, after: Option<i64>) {
        self.version = before.filter(|_| before == after);
    }

    /// The lines set aside (`--skip-invalid`).
    pub fn set_aside(&mut self, lines: BTreeSet<u64>) {
        self.set_aside = lines;
    }

    /// Whether the row at `line` was set aside.
    pub fn was_set_aside(&self, line: Option<u64>) -> bool {
        line.is_some_and(|l| self.set_aside.contains(&l))
    }

    /// Whether any row was found accepted earlier: the second pass then needs a reader.
    pub fn settles_any(&self) -> bool {
        !self.settled.is_empty()
    }
}

/// How the second pass judges a row read again.
pub(crate) enum Judged {
    /// Accepted earlier, as the first pass found: the result, without sending it, and the
    /// row's cells as written (for the report).
    Skipped(Box<NoticeResult>, Option<Box<[String]>>),
    /// For the engine.
    Send(Notice),
    /// Not the row the first pass checked at its place: not sent.
    Changed(Notice),
}

/// The second pass's side of the [`Notes`].
pub(crate) struct SecondPass {
    /// `None` when the first pass could not write them down: rows are not compared, and the
    /// input layer runs its checks across rows again.
    digests: Option<RowDigests>,
    settler: Option<Settler>,
    set_aside: BTreeSet<u64>,
}

impl SecondPass {
    /// `reader`: the journal, to see whether it changed since the first pass.
    pub fn new(notes: Notes, reader: Option<JournalReader>) -> SecondPass {
        let settler = match (reader, notes.version) {
            (Some(reader), Some(version)) => notes.settled.read_back().map(|mut records| {
                let pending = records.next();
                Settler {
                    reader,
                    version,
                    records,
                    pending,
                    ordinal: 0,
                    since_looked: 0,
                }
            }),
            _ => None,
        };
        let mut settler = settler;
        if settler.as_mut().is_some_and(|s| !s.unchanged()) {
            settler = None;
        }
        SecondPass {
            digests: notes.digests.read_back(),
            settler,
            set_aside: notes.set_aside,
        }
    }

    /// Whether the first pass set the row at `line` aside: it is passed over, its problems
    /// too (they were said then).
    pub fn was_set_aside(&self, line: Option<u64>) -> bool {
        line.is_some_and(|l| self.set_aside.contains(&l))
    }

    /// Whether rows are compared with the first pass's.
    pub fn compares(&self) -> bool {
        self.digests.is_some()
    }

    /// The run stopped: every row goes to the engine, which says it was not sent.
    pub fn stop_settling(&mut self) {
        self.settler = None;
    }

    /// The next row read again.
    pub fn judge(&mut self, notice: Notice) -> Judged {
        if let Some(digests) = self.digests.as_mut() {
            if !digests.matches(&notice) {
                // What follows is no longer the input that was checked either: it goes by the
                // engine's claim rather than by the first pass's findings.
                self.settler = None;
                return Judged::Changed(notice);
            }
        }
        let settled = self.settler.as_mut().and_then(|s| s.settle(&notice));
        match settled {
            Some(Ok(record)) => {
                let result = crate::engine::accepted_earlier(
                    &notice,
                    record.order_no,
                    record.deal_code,
                    record.deal_desc,
                );
                Judged::Skipped(Box::new(result), notice.raw)
            }
            Some(Err(())) => {
                // The journal changed: from here on, the engine decides.
                self.settler = None;
                Judged::Send(notice)
            }
            None => Judged::Send(notice),
        }
    }
}

/// Reports the rows the first pass settled, while the journal is as it read it.
struct Settler {
    reader: JournalReader,
    version: i64,
    records: Records,
    /// The next settled row's record.
    pending: Option<Record>,
    /// The ordinal of the next valid row.
    ordinal: u64,
    since_looked: u32,
}

impl Settler {
    fn unchanged(&mut self) -> bool {
        self.since_looked = 0;
        self.reader.version().ok().flatten() == Some(self.version)
    }

    /// The next valid row's record when the first pass settled it and the journal has not
    /// changed since; `Err` once it has.
    fn settle(&mut self, notice: &Notice) -> Option<Result<Record, ()>> {
        let ordinal = self.ordinal;
        self.ordinal += 1;
        let record = self.pending.take_if(|r| r.ordinal == ordinal)?;
        self.pending = self.records.next();
        self.since_looked += 1;
        if self.since_looked >= ROWS_PER_LOOK && !self.unchanged() {
            return Some(Err(()));
        }
        (record.policy_no == notice.policy_no).then_some(Ok(record))
    }
}
