//! The notice rule applied to one row of a run, with what the journal holds of the row's
//! notice: the first pass's judgement, shared by the lookup threads (`in_order.rs`) and the
//! dry run.

use crate::engine::RunPlan;
use crate::error::Refusal;
use crate::journal::rule::{self, Decision, OrderNo};
use crate::journal::{JournalError, Lookups, RecordView};
use crate::notice::Notice;

/// The rule's decision on a row, and for a skip what the journal holds of the acceptance.
pub(crate) type Judgement = (Decision, Option<Accepted>);

/// A skipped row's acceptance: its answer.
pub(crate) struct Accepted {
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
}

/// The notice rule for one row, with the journal's record of it.
pub(crate) fn decide(
    lookups: Option<&mut Lookups<'_>>,
    plan: &RunPlan,
    notice: &Notice,
) -> Result<Judgement, Refusal> {
    let content = rule::Content::of(&notice.policy_no, &notice.details);
    let judge = |found: Option<RecordView<'_>>| {
        let decision = rule::decide(
            found.as_ref().map(RecordView::known),
            rule::Ask {
                given: notice.order_no.as_deref(),
                can_generate: plan.order_no_prefix_when_generating.is_some(),
                force: plan.resend.force,
                retry_rejected: plan.resend.retry_rejected,
                content: Some(&content),
            },
        );
        let accepted = match (&decision, found) {
            (Decision::Skip { .. }, Some(r)) => Some(Accepted {
                deal_code: r.accepted_deal_code.map(str::to_owned),
                deal_desc: r.accepted_deal_desc.map(str::to_owned),
            }),
            _ => None,
        };
        (decision, accepted)
    };
    match lookups {
        None => Ok(judge(None)),
        Some(lookups) => {
            let key = (
                plan.endpoint.as_str(),
                plan.policy_source.as_str(),
                notice.policy_no.as_str(),
            );
            // Without force, an acceptance decides alone: its last attempt need not be read.
            let judged = lookups
                .look_at(key, !plan.resend.force, judge)
                .map_err(JournalError::reading)?;
            // An orderNo new to this policy may be another policy's: the one check that looks
            // across notices, so the rule (which sees one) cannot make it.
            let (Decision::Send(OrderNo::Given(order_no))
            | Decision::Correct {
                order_no: OrderNo::Given(order_no),
                ..
            }) = &judged.0
            else {
                return Ok(judged);
            };
            let holder = lookups
                .order_no_holder((key.0, key.1, order_no), &notice.policy_no)
                .map_err(JournalError::reading)?;
            Ok(match holder {
                Some(h) => (
                    Decision::OrderNoTaken {
                        order_no: order_no.clone(),
                        other_policy: h.policy_no,
                        at: h.at,
                    },
                    None,
                ),
                None => judged,
            })
        }
    }
}
