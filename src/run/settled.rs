//! Rows the first pass found accepted earlier. Sending them would send nothing (the rule says
//! skip), so the second pass does not hand them to the engine: it looks each one up again by
//! its journal row, judges it again with the same rule, and reports the skip itself. A re-run
//! of a finished batch then costs a row lookup per row, not a claim in the writer's
//! transaction and a hand-off to a worker and back.
//!
//! An acceptance is never undone in the journal (the first one is kept apart, in
//! `accepted_*`), so a skip judged now holds as it would at the claim. Anything else the
//! second look finds (another key at that row, other content, `--force`) goes to the engine,
//! whose claim decides under the write lock as for any row.

use crate::engine::{self, RunPlan};
use crate::journal::rule::{self, Decision};
use crate::journal::{JournalError, JournalReader};
use crate::notice::{Notice, NoticeResult, Outcome};

/// Lookups per read transaction: enough to lock the file once per many rows, few enough that
/// a checkpoint never waits long for the second pass.
const ROWS_PER_SNAPSHOT: u32 = 4096;

/// Which rows (by their order among the valid rows) the first pass found accepted, with the
/// journal row of each. Twelve bytes a row, only for such rows.
#[derive(Default)]
pub(super) struct Settled {
    rows: Vec<u32>,
    ids: Vec<i64>,
}

impl Settled {
    /// Row `ordinal` (0 for the first valid row) was judged a skip; `id` is its journal row.
    pub(super) fn add(&mut self, ordinal: u64, id: i64) {
        // Past four billion rows the rest simply go the engine's way.
        if let Ok(row) = u32::try_from(ordinal) {
            self.rows.push(row);
            self.ids.push(id);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.rows.is_empty()
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
            force: plan.force,
        }
    }
}

/// The second pass's side of [`Settled`]: called for every valid row in order, it answers
/// the skipped result for a settled row that is still a skip, and `None` for every other row.
pub(super) struct Settler {
    reader: JournalReader,
    judge: Judge,
    settled: Settled,
    /// The next entry of `settled` to meet, and the ordinal of the next row.
    next: usize,
    ordinal: u64,
    /// Lookups served by the open read transaction, if one is open.
    reading: Option<u32>,
}

impl Settler {
    pub(super) fn new(reader: JournalReader, judge: Judge, settled: Settled) -> Settler {
        Settler {
            reader,
            judge,
            settled,
            next: 0,
            ordinal: 0,
            reading: None,
        }
    }

    /// The next valid row: its skipped result when it was settled and still is a skip.
    pub(super) fn settle(&mut self, notice: &Notice) -> Result<Option<NoticeResult>, JournalError> {
        let ordinal = self.ordinal;
        self.ordinal += 1;
        if self.settled.rows.get(self.next).map(|&r| u64::from(r)) != Some(ordinal) {
            return Ok(None);
        }
        let id = self.settled.ids[self.next];
        self.next += 1;
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
            notice.order_no.as_deref(),
            judge.can_generate,
            judge.force,
            Some(&content),
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
            force,
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

    /// Rows 0 and 2 settled (P1 and P2's journal rows), row 1 not; each judged again.
    async fn second_pass(force: bool, rows: [&str; 3]) -> Vec<Option<NoticeResult>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite3");
        let journal = Journal::open(&path, JournalSync::Normal).unwrap();
        let p1 = accepted(&journal, "P1", "O1").await;
        let p2 = accepted(&journal, "P2", "O2").await;
        drop(journal);
        let mut settled = Settled::default();
        settled.add(0, p1);
        settled.add(2, p2);
        let reader = JournalReader::open_existing(&path).unwrap().unwrap();
        let mut settler = Settler::new(reader, Judge::new(&plan(force)), settled);
        rows.iter()
            .map(|p| settler.settle(&notice(p)).unwrap())
            .collect()
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
