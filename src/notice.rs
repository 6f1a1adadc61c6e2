//! A notice as it moves through the tool: the input row it came from, and the one outcome it
//! ends with. Shared by input, journal, engine and printers.

use crate::protocol::RefundDetails;
use serde::Serialize;
use std::fmt;

/// One notice to send, as read from flags, a CSV row or a JSON Lines line, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Physical line the record starts on (header = line 1); `None` for `send`.
    pub line: Option<u64>,
    pub policy_no: String,
    /// Given by the user; when `None` the journal's or a generated one is used.
    pub order_no: Option<String>,
    pub details: RefundDetails,
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
}

/// How a notice ended: exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// A 2xx answer with dealCode "1".
    Accepted,
    /// A 2xx answer with any other dealCode.
    Rejected,
    /// No usable answer after retries.
    Failed,
    /// Already accepted earlier, per the journal.
    Skipped,
    /// The run stopped before its turn.
    NotSent,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Accepted,
        Outcome::Rejected,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::NotSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected => "rejected",
            Outcome::Failed => "failed",
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
        }
    }
}
