//! How a notice ended in a run, and the one place its result is made of that.

use crate::client::Verdict;
use crate::journal::rule;
use crate::notice::{Notice, NoticeResult, Outcome, SkipReason};

/// How one notice ended in this run.
pub(super) enum Ending {
    /// The run stopped before the notice was sent; why.
    NotSent(String),
    /// Sent (attempted, at least): the client's verdict, under this orderNo, with what was
    /// said before sending (a correction, a resend).
    Sent {
        order_no: String,
        verdict: Verdict,
        notes: Vec<String>,
    },
    /// Not to be sent: the platform took it, or rejected it and nothing has changed.
    Skipped(Skip),
    /// Refused by the notice rule at the claim (what the first pass could not see): failed,
    /// with why.
    Refused(String),
}

/// A notice not sent because the journal holds an earlier answer to it.
pub(super) struct Skip {
    pub reason: SkipReason,
    pub order_no: String,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    /// What a person reads of a skip of a rejection.
    pub text: Option<String>,
}

impl Skip {
    /// Accepted earlier: the journal's orderNo and answer.
    pub fn accepted(
        order_no: String,
        deal_code: Option<String>,
        deal_desc: Option<String>,
    ) -> Skip {
        Skip {
            reason: SkipReason::AcceptedEarlier,
            order_no,
            deal_code,
            deal_desc,
            text: None,
        }
    }

    /// Rejected earlier and unchanged since: the journal's orderNo and the platform's answer.
    pub fn rejected(rejection: rule::Rejection) -> Skip {
        Skip {
            reason: SkipReason::RejectedEarlier,
            text: Some(rejection.reason()),
            order_no: rejection.order_no,
            deal_code: rejection.deal_code,
            deal_desc: rejection.deal_desc,
        }
    }
}

/// The result of `notice`, which ended so.
pub(crate) fn result(notice: &Notice, ending: Ending) -> NoticeResult {
    let mut result = NoticeResult::new(notice, Outcome::NotSent);
    match ending {
        Ending::NotSent(why) => result.error = Some(why),
        Ending::Refused(why) => {
            result.outcome = Outcome::Failed;
            result.error = Some(why);
        }
        Ending::Skipped(skip) => {
            if let Some(given) = notice.order_no.as_deref().filter(|g| *g != skip.order_no) {
                let earlier = match skip.reason {
                    SkipReason::AcceptedEarlier => "already accepted",
                    SkipReason::RejectedEarlier => "rejected earlier",
                };
                result.warnings.push(format!(
                    "{earlier} under orderNo {}; the orderNo given now ({given}) was not sent (use --force to send it)",
                    skip.order_no
                ));
            }
            result.outcome = Outcome::Skipped;
            result.skip_reason = Some(skip.reason);
            result.skip_text = skip.text;
            result.order_no = Some(skip.order_no);
            result.deal_code = skip.deal_code;
            result.deal_desc = skip.deal_desc;
        }
        Ending::Sent {
            order_no,
            verdict,
            mut notes,
        } => {
            notes.extend(verdict.warnings);
            result.order_no = Some(order_no);
            result.outcome = verdict.outcome;
            result.attempts = verdict.attempts;
            result.uuid = verdict.uuid;
            result.http_status = verdict.http_status;
            result.deal_code = verdict.deal_code;
            result.deal_desc = verdict.deal_desc;
            result.error = match (verdict.error, verdict.outcome, verdict.attempts) {
                (None, Outcome::NotSent, _) => {
                    Some("the run stopped before this notice's turn".into())
                }
                (error, ..) => error,
            };
            result.warnings = notes;
            result.elapsed_ms = verdict.elapsed_ms;
        }
    }
    result
}

/// The journal failed on this notice; returns the journal's message. What the platform said
/// (accepted, rejected) or may have (in doubt) stands: only its record is missing. A notice
/// with neither is failed.
pub(super) fn not_recorded(result: &mut NoticeResult, e: &anyhow::Error) -> String {
    let message = format!("{e:#}");
    match result.outcome {
        Outcome::Accepted | Outcome::Rejected | Outcome::InDoubt => {
            let note = format!(
                "not recorded in the journal ({message}); the journal holds it in doubt, and the next run resends it under the same orderNo"
            );
            if result.outcome != Outcome::InDoubt {
                // The line shows the platform's answer, not the error: say it beside it.
                result.warnings.push(note.clone());
            }
            result.error = Some(match result.error.take() {
                Some(error) => format!("{error}; {note}"),
                None => note,
            });
        }
        Outcome::Failed | Outcome::Skipped | Outcome::NotSent => {
            result.outcome = Outcome::Failed;
            result.error = Some(format!(
                "the journal failed ({message}); this notice's fate is not recorded, and the next run resends it under the same orderNo"
            ));
        }
    }
    message
}
