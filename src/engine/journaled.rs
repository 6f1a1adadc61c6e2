//! A notice sent with the journal: claimed (the notice rule decides, under the journal's write
//! lock), each attempt recorded before its request leaves and after it returns, and its end
//! written while the worker claims its next notice.

use super::ending::{Ending, Skip};
use super::{Engine, Sent};
use crate::client::{self, AttemptLog, Sending};
use crate::journal::{
    rule, BeginAttempt, Claim, ClaimNotice, FinishAttempt, FinishNotice, FirstAttempt, Journal,
    JournalError, NoticeKey, Release, StartRun, Withdraw,
};
use crate::notice::{Notice, Outcome};
use std::time::Duration;

/// How long to wait before asking again for a notice another process is sending.
const BUSY_POLL: Duration = Duration::from_millis(200);

/// The warning on a send that repeats an attempt whose answer never came.
const RESENT_IN_DOUBT: &str =
    "resent: an earlier attempt may have reached the platform; same orderNo";

/// A notice's end, answered and not yet written: its write goes to the journal while the
/// worker claims its next notice, so that one commit often serves both.
pub(crate) struct FinishLater(FinishNotice);

impl FinishLater {
    pub(super) async fn write(self, journal: &Journal) -> anyhow::Result<()> {
        Ok(journal.run(self.0).await?)
    }
}

/// A notice this run now holds in the journal.
struct Claimed<'a> {
    journal: &'a Journal,
    notice_id: i64,
    order_no: String,
    /// An earlier attempt may have reached the platform: this send repeats it.
    in_doubt: bool,
    content: &'a rule::Content,
    /// The first attempt, recorded with the claim: its id and envelope.
    first: Option<(i64, FirstAttempt)>,
    /// Said before sending: a correction, a resend.
    notes: Vec<String>,
}

impl Engine {
    /// Claims the notice (waiting while another process sends it), then sends it.
    pub(super) async fn send_journaled(&self, journal: &Journal, notice: &Notice) -> Sent {
        let key = NoticeKey {
            endpoint: self.plan.endpoint.clone(),
            policy_source: self.plan.policy_source.clone(),
            policy_no: notice.policy_no.clone(),
        };
        let content = rule::Content::of(&notice.policy_no, &notice.details);
        loop {
            let generated = self.generated_order_no(notice);
            let first = self.first_attempt(notice, generated.as_deref());
            let asked = ClaimNotice {
                key: key.clone(),
                given: notice.order_no.clone(),
                generated,
                resend: self.plan.resend,
                content: Some(content.clone()),
                first: first.clone(),
            };
            let claim = match journal.run(asked).await {
                Ok(claim) => claim,
                Err(e) => return Sent::failed(Ending::NotSent(String::new()), e.into()),
            };
            let ending = match claim {
                Claim::Claimed {
                    notice_id,
                    order_no,
                    in_doubt,
                    correction,
                    first_attempt,
                    ..
                } => {
                    let mut notes: Vec<String> = correction
                        .iter()
                        .map(|changes| rule::correction(changes))
                        .collect();
                    if in_doubt {
                        notes.push(RESENT_IN_DOUBT.to_string());
                    }
                    let claimed = Claimed {
                        journal,
                        notice_id,
                        order_no,
                        in_doubt,
                        content: &content,
                        first: first_attempt.zip(first),
                        notes,
                    };
                    return self.send_claimed(claimed, notice).await;
                }
                Claim::Busy { owner } => {
                    // Another process is sending this notice right now: wait for its outcome
                    // rather than send the same notice at the same time.
                    if self.stop.sleep(BUSY_POLL).await {
                        Ending::NotSent(format!("being sent by {owner} when the run stopped"))
                    } else {
                        continue;
                    }
                }
                Claim::AlreadyAccepted {
                    order_no,
                    deal_code,
                    deal_desc,
                } => Ending::Skipped(Skip::accepted(order_no, deal_code, deal_desc)),
                Claim::RejectedEarlier(rejection) => Ending::Skipped(Skip::rejected(rejection)),
                Claim::Conflict {
                    journal_order_no,
                    given,
                } => Ending::Refused(rule::order_conflict(
                    &notice.policy_no,
                    &journal_order_no,
                    &given,
                )),
                // The first pass refuses this; only a change recorded since lands here.
                Claim::ContentChanged { message } => Ending::Refused(message),
                Claim::NeedsOrderNo => Ending::Refused(rule::missing_order_no(&notice.policy_no)),
            };
            return Sent::ended(ending);
        }
    }

    /// The run in the journal before its first claim, so that every attempt names a run the
    /// journal holds; written once, whichever worker claims first (the others wait for it).
    pub(super) async fn record_run(&self, journal: &Journal) -> Result<(), JournalError> {
        let Some(run) = &self.plan.run else {
            return Ok(());
        };
        let start = || journal.run(StartRun { run: run.clone() });
        self.recorded.get_or_try_init(start).await.map(|_| ())
    }

    async fn send_claimed(&self, claimed: Claimed<'_>, notice: &Notice) -> Sent {
        let Claimed {
            journal,
            notice_id,
            order_no,
            in_doubt,
            content,
            first,
            notes,
        } = claimed;
        let log = JournalLog {
            journal,
            notice_id,
            content,
            in_doubt,
            recorded: std::sync::Mutex::new(first),
            finish: std::sync::Mutex::new(None),
        };
        // A first attempt recorded with the claim keeps its envelope: its reqTime is older
        // than the request by this wait, at most about one request's time.
        let _slot = self.slot().await;
        let sending = Sending {
            order_no: &order_no,
            policy_no: &notice.policy_no,
            details: &notice.details,
        };
        let sent = self
            .client
            .send(sending, &log, &self.stop, self.rate.as_ref())
            .await;
        let (verdict, failure) = match sent {
            Ok(verdict) => (verdict, None),
            Err(client::LogFailed { verdict, error }) => (verdict, Some(error)),
        };
        let finish = log.finish.lock().unwrap_or_else(|e| e.into_inner()).take();
        let ending = |verdict| Ending::Sent {
            order_no: order_no.clone(),
            verdict,
            notes,
        };
        if let Some(error) = failure {
            return Sent::failed(ending(verdict), error);
        }
        if verdict.attempts == 0 {
            return match log.give_back().await {
                Ok(()) => Sent::ended(ending(verdict)),
                Err(e) => Sent::failed(ending(verdict), e.into()),
            };
        }
        // Stopped between attempts: the last one's end is recorded, the notice's outcome
        // (failed, or in doubt) not yet.
        let finish = finish.unwrap_or(FinishLater(FinishNotice {
            notice_id,
            last_attempt: None,
            outcome: verdict.outcome,
            deal_code: None,
            deal_desc: None,
            http_status: verdict.http_status,
        }));
        Sent {
            ending: ending(verdict),
            finish: Some(finish),
            failure: None,
        }
    }
}

/// Journals each attempt of one claimed notice.
struct JournalLog<'a> {
    journal: &'a Journal,
    notice_id: i64,
    content: &'a rule::Content,
    /// The journal held the notice in doubt when this run claimed it.
    in_doubt: bool,
    /// The first attempt, recorded with the claim and not yet taken by the client.
    recorded: std::sync::Mutex<Option<(i64, FirstAttempt)>>,
    /// The last attempt's end, left for the worker to write (see [`FinishLater`]).
    finish: std::sync::Mutex<Option<FinishLater>>,
}

impl JournalLog<'_> {
    /// Claimed, then stopped before the first request: the claim given back, and the attempt
    /// recorded with it, which never left, taken back.
    async fn give_back(&self) -> Result<(), crate::journal::JournalError> {
        let notice_id = self.notice_id;
        let unsent = self
            .recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match unsent {
            Some((attempt_id, _)) => {
                let withdraw = Withdraw {
                    notice_id,
                    attempt_id,
                };
                self.journal.run(withdraw).await
            }
            None => self.journal.run(Release { notice_id }).await,
        }
    }
}

impl AttemptLog for JournalLog<'_> {
    type Token = i64;

    async fn before(&self, uuid: &str, req_time: &str, body: &[u8]) -> anyhow::Result<i64> {
        let begin = BeginAttempt {
            notice_id: self.notice_id,
            uuid: uuid.to_string(),
            req_time: req_time.to_string(),
            request: body.to_vec(),
            content: Some(self.content.clone()),
        };
        Ok(self.journal.run(begin).await?)
    }

    async fn after(
        &self,
        attempt_id: i64,
        end: &client::AttemptEnd,
        final_outcome: Option<Outcome>,
    ) -> anyhow::Result<()> {
        let end = end.clone();
        match final_outcome {
            None => self.journal.run(FinishAttempt { attempt_id, end }).await?,
            Some(outcome) => {
                let finish = FinishLater(FinishNotice {
                    notice_id: self.notice_id,
                    outcome,
                    deal_code: end.deal_code.clone(),
                    deal_desc: end.deal_desc.clone(),
                    http_status: end.http_status,
                    last_attempt: Some((attempt_id, end)),
                });
                *self.finish.lock().unwrap_or_else(|e| e.into_inner()) = Some(finish);
            }
        }
        Ok(())
    }

    fn recorded_first(&self) -> Option<(String, String, Vec<u8>, i64)> {
        let first = self
            .recorded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        first.map(|(id, f)| (f.uuid, f.req_time, f.body, id))
    }

    fn in_doubt_before(&self) -> bool {
        self.in_doubt
    }
}
