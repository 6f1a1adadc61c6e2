//! A notice as it moves through the tool: the input row it came from, and the one outcome it
//! ends with. Shared by input, journal, engine and printers.

use crate::protocol::RefundDetails;
use serde::Serialize;
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

/// The columns of a CSV report, each with its cell: the same names and order as the JSON
/// object (less `warnings`), kept beside the struct so the two cannot drift.
pub const REPORT_COLUMNS: [(&str, Cell); 12] = [
    ("line", |r| opt(r.line)),
    ("policyNo", |r| r.policy_no.clone()),
    ("orderNo", |r| opt(r.order_no.as_ref())),
    ("outcome", |r| r.outcome.as_str().to_string()),
    ("dealCode", |r| opt(r.deal_code.as_ref())),
    ("dealDesc", |r| opt(r.deal_desc.as_ref())),
    ("httpStatus", |r| opt(r.http_status)),
    ("attempts", |r| r.attempts.to_string()),
    ("uuid", |r| opt(r.uuid.as_ref())),
    ("elapsedMs", |r| r.elapsed_ms.to_string()),
    ("error", |r| opt(r.error.as_ref())),
    ("skipReason", |r| opt(r.skip_reason.map(SkipReason::as_str))),
];

/// How one column's cell is drawn from a result.
pub type Cell = fn(&NoticeResult) -> String;

/// An absent value is an empty cell.
fn opt(v: Option<impl ToString>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_columns_are_the_json_fields_in_order() {
        let notice = Notice {
            line: Some(2),
            policy_no: "P1".into(),
            order_no: Some("O1".into()),
            details: Default::default(),
            platform: None,
            raw: None,
        };
        let result = NoticeResult::new(&notice, Outcome::Accepted);
        let json = serde_json::to_string(&result).unwrap();
        let at: Vec<usize> = REPORT_COLUMNS
            .iter()
            .filter(|(name, _)| *name != "skipReason")
            .map(|(name, _)| json.find(&format!("\"{name}\":")).expect(name))
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{json}");
        assert!(json.find("\"warnings\":") < json.find("\"skipReason\":"));
        let fields = serde_json::to_value(&result).unwrap();
        assert_eq!(fields.as_object().unwrap().len(), REPORT_COLUMNS.len() + 1);
        let cells = REPORT_COLUMNS.map(|(_, cell)| cell(&result));
        assert_eq!(cells[0], "2");
        assert_eq!(cells[3], "accepted");
        assert_eq!(cells[4], "");
    }
}
