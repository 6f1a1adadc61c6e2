//! Rows the first pass found accepted earlier. Sending them would send nothing (the rule says
//! skip), so the second pass does not hand them to the engine but reports the skip itself. A
//! re-run of a finished batch then costs no claim in the writer's transaction and no hand-off
//! to a worker and back.
//!
//! When no other connection has committed to the journal since the first pass read it
//! (SQLite's `data_version`, checked when the second pass starts and every few thousand rows),
//! the journal holds exactly what the first pass judged, so its decision stands: the second
//! pass reports the skip from what the first pass wrote down for it (in a temporary file, so
//! that a million of them cost no memory). Otherwise it looks each one up again by its journal
//! row and judges it again with the same rule. An acceptance is never undone in the journal
//! (the first one is kept apart, in `accepted_*`), so a skip judged either way holds as it
//! would at the claim. Anything else (another notice at that row, other content, `--force`)
//! goes to the engine, whose claim decides under the write lock as for any row.

use crate::engine::{self, RunPlan};
use crate::journal::rule::{self, Decision};
use crate::journal::{JournalError, JournalReader};
use crate::notice::{Notice, NoticeResult, Outcome};
use std::io::{BufReader, BufWriter, Read, Seek, Write};

/// Lookups per read transaction, and skips between two looks at `data_version`: enough to
/// lock the file once per many rows, few enough that a checkpoint never waits long for the
/// second pass and a change by another process is seen soon.
const ROWS_PER_SNAPSHOT: u32 = 4096;

/// The rows the first pass found accepted (by their order among the valid rows), each with its
/// journal row and what the first pass found for it: written to an unnamed temporary file as
/// they are judged, so that a million of them cost no memory.
#[derive(Default)]
pub(super) struct Settled {
    /// `None` before the first such row, and when the file could not be made or written: the
    /// second pass then hands every row to the engine, as for any run.
    spill: Option<Spill>,
    failed: bool,
    /// The journal's `data_version` during the whole first pass; `None` if it changed.
    version: Option<i64>,
}

/// What a skip shows: the accepted orderNo and its answer.
pub(super) struct Skip<'a> {
    pub order_no: &'a str,
    pub deal_code: Option<&'a str>,
    pub deal_desc: Option<&'a str>,
}

/// One settled row as the first pass wrote it down.
struct Record {
    ordinal: u64,
    id: i64,
    policy_no: String,
    order_no: String,
    deal_code: Option<String>,
    deal_desc: Option<String>,
}

impl Settled {
    /// Row `ordinal` (0 for the first valid row), policy `policy_no`, was judged a skip; `id`
    /// is its journal row.
    pub(super) fn add(&mut self, ordinal: u64, id: i64, policy_no: &str, skip: &Skip<'_>) {
        if self.failed {
            return;
        }
        if self.spill.is_none() {
            self.spill = Spill::new();
        }
        let written = self
            .spill
            .as_mut()
            .is_some_and(|spill| spill.write(ordinal, id, policy_no, skip));
        if !written {
            // Part of the list is no list: every row goes the engine's way.
            self.spill = None;
            self.failed = true;
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.spill.is_none()
    }

    /// The first pass's look at the journal began and ended at these `data_version`s.
    pub(super) fn read_between(&mut self, before: i64, after: i64) {
        self.version = (before == after).then_some(after);
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
    fn write(&mut self, ordinal: u64, id: i64, policy_no: &str, skip: &Skip<'_>) -> bool {
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
            w.write_all(&id.to_le_bytes())?;
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

    /// The next record; `None` at the end, or when it cannot be read.
    fn next(&mut self) -> Option<Record> {
        let r = self.reader.as_mut()?;
        let mut number = [0u8; 8];
        r.read_exact(&mut number).ok()?;
        let ordinal = u64::from_le_bytes(number);
        r.read_exact(&mut number).ok()?;
        let id = i64::from_le_bytes(number);
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
            id,
            policy_no: take()??,
            order_no: take()??,
            deal_code: take()?,
            deal_desc: take()?,
        })
    }
}

/// What the rule needs of a run, copied out of its plan for the second pass's thread.
pub(super) struct Judge {
    endpoint: String,
    policy_source: String,
    can_generate: bool,
    force: bool,
}

impl Judge {
    pub(super) fn new(plan: &RunPlan) -> Judge {
        Judge {
            endpoint: plan.endpoint.clone(),
            policy_source: plan.policy_source.clone(),
            can_generate: plan.order_no_prefix_when_generating.is_some(),
            force: plan.resend.force,
        }
    }
}

/// The second pass's side of [`Settled`]: called for every valid row in order, it answers
/// the skipped result for a settled row that is still a skip, and `None` for every other row.
pub(super) struct Settler {
    reader: JournalReader,
    judge: Judge,
    settled: Settled,
    /// The next settled row's record, and the ordinal of the next row.
    pending: Option<Record>,
    ordinal: u64,
    /// Lookups served by the open read transaction, if one is open.
    reading: Option<u32>,
    /// Whether the journal is still as the first pass read it, and skips reported since that
    /// was last checked.
    unchanged: bool,
    since_checked: u32,
}

impl Settler {
    pub(super) fn new(reader: JournalReader, judge: Judge, mut settled: Settled) -> Settler {
        let pending =
            settled
                .spill
                .as_mut()
                .and_then(|spill| if spill.rewind() { spill.next() } else { None });
        let unchanged = !judge.force
            && settled.version.is_some()
            && reader.data_version().ok() == settled.version;
        Settler {
            reader,
            judge,
            settled,
            pending,
            ordinal: 0,
            reading: None,
            unchanged,
            since_checked: 0,
        }
    }

    /// The skipped result the first pass wrote down for this row, while the journal is as it
    /// read it and the record is this row's; else the record back.
    fn as_first_judged(&mut self, notice: &Notice, record: Record) -> Result<NoticeResult, Record> {
        if !self.unchanged {
            return Err(record);
        }
        self.since_checked += 1;
        if self.since_checked >= ROWS_PER_SNAPSHOT {
            self.since_checked = 0;
            // Outside a read transaction, which would show the version it began with.
            self.pause();
            self.unchanged = self.reader.data_version().ok() == self.settled.version;
            if !self.unchanged {
                return Err(record);
            }
        }
        if record.policy_no != notice.policy_no {
            return Err(record);
        }
        let mut result = NoticeResult::new(notice, Outcome::Skipped);
        engine::skipped(
            notice,
            &mut result,
            record.order_no,
            record.deal_code,
            record.deal_desc,
        );
        Ok(result)
    }

    /// The next valid row: its skipped result when it was settled and still is a skip.
    pub(super) fn settle(&mut self, notice: &Notice) -> Result<Option<NoticeResult>, JournalError> {
        let ordinal = self.ordinal;
        self.ordinal += 1;
        let Some(record) = self.pending.take_if(|r| r.ordinal == ordinal) else {
            return Ok(None);
        };
        self.pending = self.settled.spill.as_mut().and_then(Spill::next);
        let id = match self.as_first_judged(notice, record) {
            Ok(result) => return Ok(Some(result)),
            Err(record) => record.id,
        };
        match self.reading {
            Some(n) if n < ROWS_PER_SNAPSHOT => self.reading = Some(n + 1),
            Some(_) => {
                self.reader.end_read();
                self.reader.begin_read()?;
                self.reading = Some(1);
            }
            None => {
                self.reader.begin_read()?;
                self.reading = Some(1);
            }
        }
        let Some(found) = self.reader.recall(id)? else {
            return Ok(None);
        };
        let judge = &self.judge;
        if found.endpoint != judge.endpoint
            || found.policy_source != judge.policy_source
            || found.policy_no != notice.policy_no
        {
            return Ok(None);
        }
        // Without force only an acceptance can settle a row, and the rule then does not read
        // the state, which `recall` leaves without the in-doubt check.
        if judge.force || found.recorded.accepted_order_no.is_none() {
            return Ok(None);
        }
        let content = rule::Content::of(&notice.policy_no, &notice.details);
        let decision = rule::decide(
            Some(found.recorded.known()),
            rule::Ask {
                given: notice.order_no.as_deref(),
                can_generate: judge.can_generate,
                force: judge.force,
                retry_rejected: false,
                content: Some(&content),
            },
        );
        let Decision::Skip { accepted_order_no } = decision else {
            return Ok(None);
        };
        let mut result = NoticeResult::new(notice, Outcome::Skipped);
        engine::skipped(
            notice,
            &mut result,
            accepted_order_no,
            found.recorded.accepted_deal_code,
            found.recorded.accepted_deal_desc,
        );
        Ok(Some(result))
    }

    /// Ends the read transaction before the thread waits for room in the engine's queue: a
    /// transaction held while waiting would hold back the journal's checkpoints.
    pub(super) fn pause(&mut self) {
        if self.reading.take().is_some() {
            self.reader.end_read();
        }
    }
}

impl Drop for Settler {
    fn drop(&mut self) {
        self.pause();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Claim, Journal, JournalSync, NoticeKey};
    use crate::protocol::RefundDetails;

    const ENDPOINT: &str = "https://avatar.example";

    fn plan(force: bool) -> RunPlan {
        RunPlan {
            endpoint: ENDPOINT.into(),
            policy_source: "CH".into(),
            resend: rule::Resend {
                force,
                retry_rejected: false,
            },
            order_no_prefix_when_generating: Some("QS".into()),
            concurrency: 1,
            rate: None,
            fail_fast: false,
        }
    }

    fn notice(policy: &str) -> Notice {
        Notice {
            line: Some(2),
            policy_no: policy.into(),
            order_no: None,
            details: RefundDetails::default(),
            platform: None,
            raw: None,
        }
    }

    /// A notice accepted under `order_no`, as a finished run leaves it; returns its row id.
    async fn accepted(journal: &Journal, policy: &str, order_no: &str) -> i64 {
        let key = NoticeKey {
            endpoint: ENDPOINT.into(),
            policy_source: "CH".into(),
            policy_no: policy.into(),
        };
        let content = rule::Content::of(policy, &RefundDetails::default());
        let claim = journal
            .claim(
                key,
                Some(order_no.into()),
                None,
                false,
                Some(content.clone()),
            )
            .await
            .unwrap();
        let Claim::Claimed { notice_id, .. } = claim else {
            panic!("not claimed: {claim:?}")
        };
        let attempt = journal
            .begin_attempt(notice_id, "u".into(), "t".into(), Vec::new(), Some(content))
            .await
            .unwrap();
        let end = crate::journal::AttemptEnd {
            http_status: Some(200),
            deal_code: Some("1".into()),
            deal_desc: Some("成功".into()),
            ..Default::default()
        };
        journal
            .finish_notice(
                notice_id,
                Some((attempt, end)),
                Outcome::Accepted,
                Some("1".into()),
                Some("成功".into()),
                Some(200),
            )
            .await
            .unwrap();
        notice_id
    }

    fn skip(order_no: &str) -> Skip<'_> {
        Skip {
            order_no,
            deal_code: Some("1"),
            deal_desc: Some("成功"),
        }
    }

    /// Rows 0 and 2 settled (P1 and P2's journal rows), row 1 not; each judged again by its
    /// journal row: the journal changed since the first pass, as far as the settler knows.
    async fn second_pass(force: bool, rows: [&str; 3]) -> Vec<Option<NoticeResult>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite3");
        let journal = Journal::open(&path, JournalSync::Normal).unwrap();
        let p1 = accepted(&journal, "P1", "O1").await;
        let p2 = accepted(&journal, "P2", "O2").await;
        drop(journal);
        let mut settled = Settled::default();
        settled.add(0, p1, "P1", &skip("O1"));
        settled.add(2, p2, "P2", &skip("O2"));
        let reader = JournalReader::open_existing(&path).unwrap().unwrap();
        let mut settler = Settler::new(reader, Judge::new(&plan(force)), settled);
        rows.iter()
            .map(|p| settler.settle(&notice(p)).unwrap())
            .collect()
    }

    /// A settler whose first pass wrote down "AS-FIRST-READ" for P1's skip while the journal
    /// says O1; `commit_since` has another connection commit between the passes.
    async fn judged_once(commit_since: bool) -> NoticeResult {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite3");
        let journal = Journal::open(&path, JournalSync::Normal).unwrap();
        let p1 = accepted(&journal, "P1", "O1").await;
        let reader = JournalReader::open_existing(&path).unwrap().unwrap();
        let mut settled = Settled::default();
        settled.add(0, p1, "P1", &skip("AS-FIRST-READ"));
        let version = reader.data_version().unwrap();
        settled.read_between(version, version);
        if commit_since {
            accepted(&journal, "P9", "O9").await;
        }
        drop(journal);
        let mut settler = Settler::new(reader, Judge::new(&plan(false)), settled);
        settler.settle(&notice("P1")).unwrap().unwrap()
    }

    #[tokio::test]
    async fn an_unchanged_journal_reports_what_the_first_pass_found() {
        let result = judged_once(false).await;
        assert_eq!(result.outcome, Outcome::Skipped);
        assert_eq!(result.order_no.as_deref(), Some("AS-FIRST-READ"));
        assert_eq!(result.deal_desc.as_deref(), Some("成功"));
    }

    #[tokio::test]
    async fn a_journal_changed_since_the_first_pass_is_read_again() {
        let result = judged_once(true).await;
        assert_eq!(result.outcome, Outcome::Skipped);
        assert_eq!(result.order_no.as_deref(), Some("O1"));
    }

    #[tokio::test]
    async fn a_settled_row_is_reported_skipped_with_its_acceptance() {
        let results = second_pass(false, ["P1", "P3", "P2"]).await;
        let skipped: Vec<_> = results
            .iter()
            .map(|r| r.as_ref().map(|r| (r.outcome, r.order_no.clone())))
            .collect();
        assert_eq!(
            skipped,
            [
                Some((Outcome::Skipped, Some("O1".into()))),
                None,
                Some((Outcome::Skipped, Some("O2".into())))
            ]
        );
        let first = results[0].as_ref().unwrap();
        assert_eq!(first.deal_code.as_deref(), Some("1"));
        assert_eq!(first.deal_desc.as_deref(), Some("成功"));
    }

    #[tokio::test]
    async fn a_row_that_is_not_the_settled_notice_goes_to_the_engine() {
        // Row 2 now holds P9, while the first pass settled it as P2.
        let results = second_pass(false, ["P1", "P3", "P9"]).await;
        assert!(results[0].is_some());
        assert!(results[2].is_none(), "{:?}", results[2]);
    }

    #[tokio::test]
    async fn forced_rows_are_never_settled() {
        let results = second_pass(true, ["P1", "P3", "P2"]).await;
        assert!(results.iter().all(Option::is_none), "{results:?}");
    }
}
