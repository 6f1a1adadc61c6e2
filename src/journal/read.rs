//! The read side of a journal, whatever the backend: the first pass's lookups, the rows
//! `history` shows, and the health `doctor` reports. A backend implements [`Reader`] and
//! [`LookupsBackend`]; the rest of the program uses [`JournalReader`] and [`Lookups`].

use super::{JournalError, State};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::ops::ControlFlow;

/// Which rows `history` shows. Empty filter = everything, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    pub policy_no: Option<String>,
    /// The resolved base URL.
    pub endpoint: Option<String>,
    /// The notice's (latest) state; for attempt rows too.
    pub state: Option<State>,
    /// Notices: last sent (or created, if never sent) at or after; attempts: started.
    pub since: Option<DateTime<Utc>>,
    /// Exclusive upper bound, on the same time as `since`.
    pub until: Option<DateTime<Utc>>,
    /// The channel (`head.policySource`).
    pub policy_source: Option<String>,
    /// Only what this run did (its id): notices it sent, its attempts; for runs, that one.
    pub run: Option<String>,
    pub limit: Option<usize>,
}

/// One notice, in its latest state. Times are RFC 3339 in China Standard Time (+08:00).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeRow {
    pub endpoint: String,
    pub policy_source: String,
    pub policy_no: String,
    pub order_no: String,
    pub state: State,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub http_status: Option<u16>,
    pub attempts: u32,
    pub created_at: String,
    pub first_sent_at: Option<String>,
    pub last_sent_at: Option<String>,
    /// Who last sent it (or recorded it, if never sent).
    pub os_user: String,
    pub host: String,
    /// Why the last attempt had no answer (a connection error, an HTTP status), if it had none.
    pub error: Option<String>,
    /// What was last sent (`protocol::notice_content`); `None` before the journal kept it.
    /// For `--output csv`; the JSON view shows the fields through `history show`.
    #[serde(skip)]
    pub content: Option<String>,
}

/// One attempt. `state` is its notice's; the answer fields, `orderNo`, `osUser` and `host` are
/// the attempt's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRow {
    pub endpoint: String,
    pub policy_source: String,
    pub policy_no: String,
    pub order_no: String,
    pub state: State,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub http_status: Option<u16>,
    /// How many attempts its notice has in all.
    pub attempts: u32,
    pub first_sent_at: Option<String>,
    pub last_sent_at: Option<String>,
    pub os_user: String,
    pub host: String,
    /// 1 for the notice's first attempt.
    pub attempt: u32,
    pub uuid: String,
    pub req_time: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub error: Option<String>,
    pub elapsed_ms: Option<u64>,
    /// The run that made it; `None` for attempts recorded before the journal kept runs.
    pub run_id: Option<String>,
    /// The request body exactly as sent; `None` before the journal kept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// The answer body as received, up to 64 KiB (`answerCut` when it was longer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub answer_cut: bool,
    /// When `journal prune` dropped its request and answer bodies; `None` while it has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bodies_pruned_at: Option<String>,
}

/// How many notices of a run ended each way, as its `--json` summary counts them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    pub accepted: u64,
    pub rejected: u64,
    pub failed: u64,
    pub in_doubt: u64,
    /// Skipped in all: accepted earlier, and rejected earlier.
    pub skipped: u64,
    pub not_sent: u64,
    /// Of the skipped, those rejected earlier and not sent again.
    pub rejected_earlier: u64,
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RunState {
    /// It ended, and recorded how.
    Finished,
    /// It never recorded its end, and its process is still alive.
    Running,
    /// It never recorded its end and is gone (killed, or the machine stopped), or runs on
    /// another host where that cannot be told.
    Unfinished,
}

/// One run, newest first in `history runs`. Times are RFC 3339 in China Standard Time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRow {
    pub run_id: String,
    pub state: RunState,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub os_user: String,
    pub host: String,
    /// The command line, secrets taken out.
    pub command: String,
    pub input: Option<String>,
    pub env: Option<String>,
    pub endpoint: String,
    pub production: bool,
    pub policy_source: String,
    /// Notices the run set out to send.
    pub notices: u64,
    /// Notices it made at least one attempt of: how far an unfinished run got.
    pub sent: u64,
    /// `None` until the run ends.
    pub counts: Option<RunCounts>,
    pub interrupted: Option<bool>,
    pub exit_code: Option<u8>,
    pub error: Option<String>,
}

/// [`Recorded`], borrowed from where the backend read it: the first pass judges a million rows
/// without copying each text out.
pub struct RecordView<'r> {
    pub order_no: &'r str,
    pub state: State,
    pub attempts: u32,
    pub deal_code: Option<&'r str>,
    pub deal_desc: Option<&'r str>,
    pub accepted_order_no: Option<&'r str>,
    pub accepted_at: Option<i64>,
    pub accepted_deal_code: Option<&'r str>,
    pub accepted_deal_desc: Option<&'r str>,
    pub content: Option<&'r str>,
    pub content_fp: Option<&'r str>,
    pub last_sent_at: Option<i64>,
}

impl RecordView<'_> {
    /// What the notice rule needs of this record.
    pub fn known(&self) -> super::rule::Known<'_> {
        super::rule::Known {
            order_no: self.order_no,
            attempts: self.attempts,
            accepted_order_no: self.accepted_order_no,
            state: self.state,
            accepted_at: self.accepted_at,
            content: self.content,
            content_fp: self.content_fp,
            deal_code: self.deal_code,
            deal_desc: self.deal_desc,
            last_sent_at: self.last_sent_at,
        }
    }
}

/// Another policy that an orderNo is recorded for: its number and when it was last sent (or
/// recorded, if never sent), in UTC milliseconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub policy_no: String,
    pub at: i64,
}

/// The journal's health as `doctor` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// The journal's schema version, and the one this build writes (an older one is upgraded
    /// by the next `send` or `batch`).
    pub schema_version: i64,
    pub current_version: i64,
    /// The backend's own check of its storage: `["ok"]` when sound.
    pub check: Vec<String>,
    pub notices: u64,
    /// Notices in doubt (the request may have reached the platform): the next run resends
    /// them.
    pub in_doubt: u64,
}

/// What a backend reads.
pub(crate) trait Reader: Send {
    /// Lookups for many keys, under one read transaction while they live.
    fn lookups(&self) -> Result<Box<dyn LookupsBackend + '_>, JournalError>;
    /// A number that changes whenever another connection commits, read outside any
    /// transaction; `None` when the backend cannot tell (then nothing judged earlier is taken
    /// as still true).
    fn version(&self) -> Result<Option<i64>, JournalError>;
    /// A second reader with a connection of its own, for lookups on another thread; `None`
    /// when one cannot be had.
    fn another(&self) -> Option<Box<dyn Reader>>;
    fn each_notice(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(NoticeRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError>;
    fn each_attempt(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError>;
    /// One row per run, newest first (by start). `filter`'s endpoint and channel are the
    /// run's; its policy keeps the runs that sent that policy; since and until bound the start;
    /// `state` is a notice's and is not asked here.
    fn each_run(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(RunRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError>;
    /// Every attempt `filter` lets through, oldest first, bodies included.
    fn each_attempt_in_full(
        &self,
        filter: &HistoryFilter,
        each: &mut dyn FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError>;
    fn health(&self) -> Result<Health, JournalError>;
}

/// A backend's lookups for the first pass, by key: (endpoint, channel, policy number).
pub(crate) trait LookupsBackend {
    /// The notice's record, lent to `judge`. `for_unforced_rule`: the record is for the rule
    /// without force, which does not read the state of a notice accepted earlier, so a
    /// backend may skip what tells whether such a notice is in doubt.
    fn look_at(
        &mut self,
        key: (&str, &str, &str),
        for_unforced_rule: bool,
        judge: &mut dyn FnMut(Option<RecordView<'_>>),
    ) -> Result<(), JournalError>;

    /// The policy other than `policy_no` that the journal records `order_no` for on this
    /// endpoint and channel, if any.
    fn order_no_holder(
        &mut self,
        key: (&str, &str, &str),
        policy_no: &str,
    ) -> Result<Option<Holder>, JournalError>;
}

/// The journal read: one connection, never writing.
pub struct JournalReader(pub(crate) Box<dyn Reader>);

impl JournalReader {
    pub fn lookups(&self) -> Result<Lookups<'_>, JournalError> {
        Ok(Lookups(self.0.lookups()?))
    }

    pub fn version(&self) -> Result<Option<i64>, JournalError> {
        self.0.version()
    }

    pub fn another(&self) -> Option<JournalReader> {
        self.0.another().map(JournalReader)
    }

    /// One row per notice, newest first, handed to `each` as it is read (a journal of a
    /// million notices is never held in memory); `each` may stop the reading.
    pub fn each_notice(
        &self,
        filter: &HistoryFilter,
        mut each: impl FnMut(NoticeRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        self.0.each_notice(filter, &mut each)
    }

    /// One row per attempt, newest first, as [`JournalReader::each_notice`].
    pub fn each_attempt(
        &self,
        filter: &HistoryFilter,
        mut each: impl FnMut(AttemptRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        self.0.each_attempt(filter, &mut each)
    }

    /// One row per run, newest first, as [`JournalReader::each_notice`].
    pub fn each_run(
        &self,
        filter: &HistoryFilter,
        mut each: impl FnMut(RunRow) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        self.0.each_run(filter, &mut each)
    }

    /// Every notice of `policy_no` that `filter` lets through (its endpoint and channel), each
    /// with all its attempts, oldest first, bodies included: what `history show` prints.
    pub fn show(
        &self,
        policy_no: &str,
        filter: &HistoryFilter,
    ) -> Result<Vec<(NoticeRow, Vec<AttemptRow>)>, JournalError> {
        let filter = HistoryFilter {
            policy_no: Some(policy_no.to_string()),
            endpoint: filter.endpoint.clone(),
            policy_source: filter.policy_source.clone(),
            ..HistoryFilter::default()
        };
        let mut notices = Vec::new();
        self.0.each_notice(&filter, &mut |n| {
            notices.push(n);
            ControlFlow::Continue(())
        })?;
        let mut shown = Vec::with_capacity(notices.len());
        for notice in notices {
            // The row's endpoint as recorded: a journal not yet upgraded may spell it otherwise.
            let one = HistoryFilter {
                endpoint: Some(notice.endpoint.clone()),
                policy_source: Some(notice.policy_source.clone()),
                ..filter.clone()
            };
            let mut attempts = Vec::new();
            self.0.each_attempt_in_full(&one, &mut |a| {
                attempts.push(a);
                ControlFlow::Continue(())
            })?;
            shown.push((notice, attempts));
        }
        Ok(shown)
    }

    pub fn health(&self) -> Result<Health, JournalError> {
        self.0.health()
    }
}

/// Lookups for many keys; the read transaction under them ends when they are dropped.
pub struct Lookups<'r>(Box<dyn LookupsBackend + 'r>);

impl Lookups<'_> {
    /// The notice's record, lent to `judge` rather than copied: the first pass asks once per
    /// row. Without force, an acceptance decides alone (`rule::tests::an_acceptance_decides_
    /// whatever_the_state_unless_forced`): `for_unforced_rule` lets the backend skip reading
    /// whether such a notice is in doubt. Every other record's state is exact.
    pub fn look_at<T>(
        &mut self,
        key: (&str, &str, &str),
        for_unforced_rule: bool,
        judge: impl FnOnce(Option<RecordView<'_>>) -> T,
    ) -> Result<T, JournalError> {
        let mut judge = Some(judge);
        let mut judged = None;
        self.0.look_at(key, for_unforced_rule, &mut |found| {
            judged = judge.take().map(|j| j(found));
        })?;
        judged.ok_or(JournalError::Closed)
    }

    pub fn order_no_holder(
        &mut self,
        key: (&str, &str, &str),
        policy_no: &str,
    ) -> Result<Option<Holder>, JournalError> {
        self.0.order_no_holder(key, policy_no)
    }
}
