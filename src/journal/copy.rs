//! Copying a whole journal into another, whatever their backends: every notice with its
//! attempts, and every run, as they were recorded (claims aside: a copy holds none). A notice
//! the target already holds is skipped when it is recorded the same way there, and the copy
//! is refused, with nothing written, when the target records it otherwise (above all under
//! another orderNo: one notice is never sent under two). A run likewise.

use super::{JournalError, NoticeKey};

/// One notice as a journal records it, with its attempts in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Notice {
    pub key: NoticeKey,
    pub order_no: String,
    pub state: Option<String>,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub http_status: Option<i64>,
    pub attempts: i64,
    pub created_at: i64,
    pub touched_at: i64,
    pub first_sent_at: Option<i64>,
    pub last_sent_at: Option<i64>,
    pub os_user: String,
    pub host: String,
    pub accepted_at: Option<i64>,
    pub accepted_order_no: Option<String>,
    pub accepted_deal_code: Option<String>,
    pub accepted_deal_desc: Option<String>,
    pub content: Option<String>,
    pub content_fp: Option<String>,
    pub tried: Vec<Attempt>,
}

/// One attempt; `last` marks the one the notice's state follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attempt {
    pub number: i64,
    pub order_no: String,
    pub uuid: String,
    pub req_time: String,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    pub http_status: Option<i64>,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub error: Option<String>,
    pub elapsed_ms: Option<i64>,
    pub os_user: String,
    pub host: String,
    pub request: Option<Vec<u8>>,
    pub answer: Option<Vec<u8>>,
    pub answer_cut: Option<bool>,
    pub run_id: Option<String>,
    pub last: bool,
}

/// One run, every column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Run {
    pub id: String,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub os_user: String,
    pub host: String,
    pub pid: Option<i64>,
    pub pid_start: Option<i64>,
    pub command: String,
    pub input: Option<String>,
    pub env: Option<String>,
    pub endpoint: String,
    pub production: bool,
    pub policy_source: String,
    pub notices: i64,
    /// accepted, rejected, failed, in doubt, skipped, not sent, rejected earlier.
    pub counts: [Option<i64>; 7],
    pub interrupted: Option<bool>,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
}

/// A whole journal, read.
#[derive(Default)]
pub(crate) struct Dump {
    pub notices: Vec<Notice>,
    pub runs: Vec<Run>,
}

/// What a copy did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub notices: u64,
    pub attempts: u64,
    pub runs: u64,
    /// Notices and runs the target held already, recorded the same way.
    pub already: u64,
}

/// Why a copy was refused (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("there is no journal at {0}: nothing to copy")]
    NoSource(String),
    #[error("{from} and {to} are the same journal: copy between two journals")]
    Same { from: String, to: String },
    #[error(
        "the journal {from} is at schema version {found}, this avatar-cli writes {known}: run one send or batch with it first (that upgrades it), then copy"
    )]
    Old {
        from: String,
        found: i64,
        known: i64,
    },
    #[error(
        "nothing was copied: {to} records {} otherwise than {from}{}; copy into an empty journal, or settle these notices first",
        .differ.join(", "),
        if *.more > 0 { format!(" (and {} more)", .more) } else { String::new() }
    )]
    Differs {
        from: String,
        to: String,
        differ: Vec<String>,
        more: usize,
    },
}

/// How a notice or run of the source stands in the target.
pub(crate) enum Found {
    Absent,
    Same,
    /// What differs, in a few words: "policy P1 (orderNo O1 there, O2 here)".
    Other(String),
}

/// Compares a notice of the source with the target's record of the same key.
pub(crate) fn compare(ours: &Notice, theirs: Option<&Notice>) -> Found {
    let Some(theirs) = theirs else {
        return Found::Absent;
    };
    let policy = &ours.key.policy_no;
    if theirs.order_no != ours.order_no {
        return Found::Other(format!(
            "policy {policy} (orderNo {} there, {} here)",
            theirs.order_no, ours.order_no
        ));
    }
    if theirs != ours {
        return Found::Other(format!("policy {policy} (its attempts or state)"));
    }
    Found::Same
}

/// At most this many differences are named.
pub(crate) const NAMED: usize = 5;

/// The outcome of writing a dump: the counts, or the differences found (named, and how many
/// more), in which case nothing was written.
pub(crate) type Written = Result<Copied, (Vec<String>, usize)>;

/// What a copy writes: the notices and runs the target lacks, and how many it holds already.
pub(crate) type Plan<'d> = (Vec<&'d Notice>, Vec<&'d Run>, u64);

/// Sorts the source's records against the target's, through `find_notice` and `find_run`:
/// what to write, what is there already, or else what differs.
pub(crate) fn plan(
    dump: &Dump,
    mut find_notice: impl FnMut(&NoticeKey) -> Result<Option<Notice>, JournalError>,
    mut find_run: impl FnMut(&str) -> Result<Option<Run>, JournalError>,
) -> Result<Result<Plan<'_>, (Vec<String>, usize)>, JournalError> {
    let mut differ = Vec::new();
    let mut notices = Vec::new();
    let mut runs = Vec::new();
    let mut already = 0;
    for n in &dump.notices {
        match compare(n, find_notice(&n.key)?.as_ref()) {
            Found::Absent => notices.push(n),
            Found::Same => already += 1,
            Found::Other(what) => differ.push(what),
        }
    }
    for r in &dump.runs {
        match find_run(&r.id)? {
            None => runs.push(r),
            Some(theirs) if theirs == *r => already += 1,
            Some(_) => differ.push(format!("run {}", r.id)),
        }
    }
    if differ.is_empty() {
        return Ok(Ok((notices, runs, already)));
    }
    let more = differ.len().saturating_sub(NAMED);
    differ.truncate(NAMED);
    Ok(Err((differ, more)))
}
