//! A notice as it moves through the tool: the input row it came from, and the one outcome it
//! ends with. Shared by input, journal, engine and printers.

use crate::protocol::RefundDetails;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;

/// One notice to send, as read from flags, a CSV row or a JSON Lines line, already validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notice {
    /// Physical line the record starts on (header = line 1); `None` for `send`.
    pub line: Option<u64>,
    pub policy_no: String,
    /// Given by the user; when `None` the journal's or a generated one is used.
    pub order_no: Option<String>,
    pub details: RefundDetails,
    /// The platform and channel the row names (a `history` export does), if it names any:
    /// a run for another platform must not send it.
    pub platform: Option<Box<RowPlatform>>,
    /// The row's cells as the input wrote them, in the order of the input's header
    /// (`input::Source::header`), read only for a run that writes a report: the report keeps
    /// amounts as written and the columns that are no field. `None` otherwise.
    pub raw: Option<Box<[String]>>,
}

/// What a row says of where it belongs: an `endpoint` and a `policySource` column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowPlatform {
    pub endpoint: Option<String>,
    pub policy_source: Option<String>,
}

/// The input readers' name for a validated [`Notice`]: one per row they read.
pub type Row = Notice;

/// How one HTTP attempt ended, as the client reports it and the journal records it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttemptEnd {
    pub http_status: Option<u16>,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    /// Connection error, timeout, unreadable body…
    pub error: Option<String>,
    pub elapsed_ms: u64,
    /// The answer body as received, up to the journal's cap, and whether it was cut there.
    pub answer: Option<Vec<u8>>,
    pub answer_cut: bool,
    /// The request may have reached the platform, yet no answer was read whole (a timeout or
    /// a dropped connection after it was written, a 2xx answer that could not be read): the
    /// notice is in doubt until a readable answer decides it.
    pub may_have_arrived: bool,
}

/// How a notice ended in this run: exactly one of these. What the journal keeps across runs is
/// `journal::State`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// A 2xx answer with dealCode "1".
    Accepted,
    /// A 2xx answer with any other dealCode.
    Rejected,
    /// No usable answer, and the request provably never reached the platform or the platform
    /// answered that it did not take it.
    Failed,
    /// No usable answer, and some attempt may have reached the platform (a timeout or a
    /// dropped connection after the request was written, a 2xx answer that could not be read).
    InDoubt,
    /// Already accepted earlier, per the journal.
    Skipped,
    /// The run stopped before its turn.
    NotSent,
}

impl Outcome {
    pub const ALL: [Outcome; 6] = [
        Outcome::Accepted,
        Outcome::Rejected,
        Outcome::Failed,
        Outcome::InDoubt,
        Outcome::Skipped,
        Outcome::NotSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Failed => "failed",
            Outcome::InDoubt => "inDoubt",
            Outcome::Skipped => "skipped",
            Outcome::NotSent => "notSent",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a notice was skipped: the platform took it earlier, or rejected it earlier and it has
/// not changed since (`--retry-rejected` sends it again).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SkipReason {
    AcceptedEarlier,
    RejectedEarlier,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::AcceptedEarlier => "acceptedEarlier",
            SkipReason::RejectedEarlier => "rejectedEarlier",
        }
    }
}

/// Counts per outcome, for the summary and the exit code; the skips of notices rejected
/// earlier also apart, since they keep the run from succeeding.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    counts: HashMap<Outcome, u64>,
    rejected_earlier: u64,
}

impl Tally {
    pub fn add(&mut self, result: &NoticeResult) {
        *self.counts.entry(result.outcome).or_default() += 1;
        if result.skip_reason == Some(SkipReason::RejectedEarlier) {
            self.rejected_earlier += 1;
        }
    }

    /// Skipped because the platform rejected them earlier and they have not changed.
    pub fn rejected_earlier(&self) -> u64 {
        self.rejected_earlier
    }

    pub fn get(&self, outcome: Outcome) -> u64 {
        self.counts.get(&outcome).copied().unwrap_or(0)
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// The result object of `--output json` and of `--report`: the field names are the contract
/// (README, "Outcomes and output"); absent values are `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeResult {
    pub line: Option<u64>,
    pub policy_no: String,
    pub order_no: Option<String>,
    pub outcome: Outcome,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub http_status: Option<u16>,
    pub attempts: u32,
    pub uuid: Option<String>,
    pub elapsed_ms: u64,
    pub error: Option<String>,
    pub warnings: Vec<String>,
    /// For a skipped notice, why; `null` otherwise.
    pub skip_reason: Option<SkipReason>,
    /// What a person reads of the skip: `rejected earlier: 0 …, 2026-12-01T10:00:00.000+08:00`.
    #[serde(skip)]
    pub skip_text: Option<String>,
}

impl NoticeResult {
    /// A result with no answer yet: the starting point every path fills in.
    pub fn new(notice: &Notice, outcome: Outcome) -> Self {
        NoticeResult {
            line: notice.line,
            policy_no: notice.policy_no.clone(),
            order_no: notice.order_no.clone(),
            outcome,
            deal_code: None,
            deal_desc: None,
            http_status: None,
            attempts: 0,
            uuid: None,
            elapsed_ms: 0,
            error: None,
            warnings: Vec::new(),
            skip_reason: None,
            skip_text: None,
        }
    }
}
