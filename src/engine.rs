//! Running many notices: bounded concurrency, the global rate, stopping (Ctrl-C, SIGTERM,
//! `--fail-fast`), and the journal's claim around every notice.
//!
//! Rows come in on a channel (so a million-row file streams), results go out through one
//! consumer (so stdout, the report and the tally are written by one hand, in arrival order).

use crate::client::{self, AttemptLog, Client, JournalFailed, NoLog};
use crate::journal::{rule, Claim, FirstAttempt, Journal, NoticeKey};
use crate::notice::{Notice, NoticeResult, Outcome, SkipReason};
use crate::output::Tally;
use crate::pace::{RateLimit, Stop};
use crate::protocol;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Mutex, Semaphore, SemaphorePermit};

/// Workers claiming ahead, per request slot, with the journal. A claim waits for its group's
/// commit, which serves every worker that asked meanwhile; with one worker per slot, the slots
/// stood idle that long (measured at 16 slots: three more workers per slot kept them busy,
/// one did not).
const CLAIMING_PER_SLOT: usize = 3;

/// Workers claiming ahead, at most: each holds a claimed notice (its first attempt recorded)
/// that a kill leaves in doubt, and past a few dozen they no longer add speed.
const CLAIMING_MAX: usize = 64;

/// How long to wait before asking again for a notice another process is sending.
const BUSY_POLL: Duration = Duration::from_millis(200);

/// The warning on a send that repeats an attempt whose answer never came.
const RESENT_IN_DOUBT: &str =
    "resent: an earlier attempt may have reached the platform; same orderNo";

/// What is fixed for one run.
pub struct RunPlan {
    /// The journal's endpoint key: the resolved base URL.
    pub endpoint: String,
    pub policy_source: String,
    /// `--force`, `--retry-rejected`.
    pub resend: rule::Resend,
    /// `Some(prefix)` when order numbers may be generated; `None` when they may not.
    pub order_no_prefix_when_generating: Option<String>,
    pub concurrency: usize,
    pub rate: Option<f64>,
    pub fail_fast: bool,
}

/// One result, as the engine hands it to the output side.
#[derive(Debug)]
pub struct Delivered {
    pub result: NoticeResult,
    /// For the report: the input row's cells as written (`Notice::raw`), and when this run
    /// first sent the notice, if it did.
    pub raw: Option<Box<[String]>>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The journal failed on this notice: the run stops, and ends with exit 3.
    pub journal_error: Option<String>,
}

/// How the run ended, for the exit code.
#[derive(Debug, Default)]
pub struct RunEnd {
    pub tally: Tally,
    pub interrupted: bool,
    pub journal_error: Option<String>,
    /// The results could not be written (stdout or the report): the run stopped early.
    pub output_error: Option<String>,
    /// Rows of the input were not handed over (the file changed or could not be read again).
    pub unsent_rows: bool,
    pub elapsed: Duration,
}

pub struct Engine {
    client: Client,
    journal: Option<Journal>,
    plan: RunPlan,
    stop: Stop,
    rate: Option<RateLimit>,
    /// One permit per request that may be in flight (`--concurrency`). A worker claims its
    /// notice first and takes a slot only to send, so the claim's commit overlaps other
    /// workers' requests instead of sitting on a request's path.
    slots: Semaphore,
}

impl Engine {
    pub fn new(client: Client, journal: Option<Journal>, plan: RunPlan) -> Engine {
        let rate = plan.rate.map(RateLimit::new);
        let slots = Semaphore::new(plan.concurrency.max(1));
        Engine {
            client,
            journal,
            plan,
            stop: Stop::default(),
            rate,
            slots,
        }
    }

    /// A request slot, held for the whole send (retries included); `None` once the run
    /// stops, and the client then starts nothing.
    async fn slot(&self) -> Option<SemaphorePermit<'_>> {
        tokio::select! {
            permit = self.slots.acquire() => permit.ok(),
            () = self.stop.stopped() => None,
        }
    }

    /// The run's stop flag: triggered, the engine starts nothing new.
    pub fn stop(&self) -> Stop {
        self.stop.clone()
    }

    /// Sends every notice from `notices` (about `expected` of them) and each result down
    /// `results` (a batch of one: the second pass sends its skipped rows in larger ones), in
    /// the order they end. Returns when every worker is done. Prints nothing:
    /// the receiving side shows results, and triggers [`Engine::stop`] when it cannot.
    pub async fn run(
        self: Arc<Self>,
        notices: mpsc::Receiver<Vec<Notice>>,
        expected: u64,
        results: mpsc::Sender<Vec<Delivered>>,
    ) {
        let notices = Arc::new(Mutex::new(Incoming {
            batches: notices,
            batch: Vec::new().into_iter(),
        }));
        let mut workers = tokio::task::JoinSet::new();
        // One task per worker and nothing else; no more workers than notices. With the
        // journal, more workers than request slots: the others claim (and commit) their next
        // notice while the requests are out, so that a slot that frees finds one ready.
        // `--concurrency 1` stays one notice at a time, its claim included.
        let slots = self.plan.concurrency;
        let claiming = if self.journal.is_some() && slots > 1 {
            slots.saturating_mul(CLAIMING_PER_SLOT).min(CLAIMING_MAX)
        } else {
            0
        };
        let workers_wanted = slots
            .saturating_add(claiming)
            .min(usize::try_from(expected).unwrap_or(usize::MAX))
            .max(1);
        for _ in 0..workers_wanted {
            let engine = Arc::clone(&self);
            let notices = Arc::clone(&notices);
            let results = results.clone();
            workers.spawn(async move {
                // The last notice's journal write, still committing: at most one per worker.
                let mut finishing: Option<tokio::task::JoinHandle<bool>> = None;
                loop {
                    let Some(mut notice) = notices.lock().await.next().await else {
                        break;
                    };
                    let raw = notice.raw.take();
                    let (result, journal_error, finish) = engine.process(notice).await;
                    // The client timed the notice from its first request.
                    let took = chrono::Duration::milliseconds(
                        i64::try_from(result.elapsed_ms).unwrap_or(0),
                    );
                    let sent_at = (result.attempts > 0)
                        .then(|| crate::clock::now().checked_sub_signed(took))
                        .flatten();
                    if engine.plan.fail_fast
                        && matches!(
                            result.outcome,
                            Outcome::Rejected | Outcome::Failed | Outcome::InDoubt
                        )
                    {
                        engine.stop.trigger();
                    }
                    if let Some(previous) = finishing.take() {
                        if !previous.await.unwrap_or(false) {
                            break;
                        }
                    }
                    let delivered = Delivered {
                        result,
                        raw,
                        sent_at,
                        journal_error,
                    };
                    match finish {
                        None => {
                            if !engine.deliver(delivered, &results).await {
                                break;
                            }
                        }
                        Some(finish) => {
                            let (engine, results) = (Arc::clone(&engine), results.clone());
                            finishing = Some(tokio::spawn(async move {
                                let delivered = engine.finish_later(finish, delivered).await;
                                engine.deliver(delivered, &results).await
                            }));
                        }
                    }
                }
                if let Some(last) = finishing {
                    let _ = last.await;
                }
            });
        }
        drop(results);
        while workers.join_next().await.is_some() {}
    }

    /// Hands one result on (stopping the run first if the journal failed on it); false once
    /// nobody takes results any more.
    async fn deliver(&self, delivered: Delivered, results: &mpsc::Sender<Vec<Delivered>>) -> bool {
        if delivered.journal_error.is_some() {
            self.stop.trigger();
        }
        results.send(vec![delivered]).await.is_ok()
    }

    /// Writes a notice's outcome to the journal; its result is handed on only once that is
    /// committed, so no line says "accepted" for what the journal does not hold.
    async fn finish_later(&self, finish: FinishLater, mut delivered: Delivered) -> Delivered {
        let Some(journal) = &self.journal else {
            return delivered;
        };
        let written = journal
            .finish_notice(
                finish.notice_id,
                finish.last_attempt,
                finish.outcome,
                finish.deal_code,
                finish.deal_desc,
                finish.http_status,
            )
            .await;
        if let Err(e) = written {
            delivered.journal_error = Some(journal_failed(&mut delivered.result, &e.into()));
        }
        delivered
    }

    /// One notice, start to end. Never fails: every path ends in a result. With the journal,
    /// the notice's last write may be left to the caller ([`FinishLater`]).
    async fn process(&self, notice: Notice) -> (NoticeResult, Option<String>, Option<FinishLater>) {
        let mut result = NoticeResult::new(&notice, Outcome::NotSent);
        if self.stop.is_triggered() {
            result.error = Some("the run stopped before this notice's turn".into());
            return (result, None, None);
        }
        let outcome = match &self.journal {
            None => self
                .send_unjournaled(&notice, &mut result)
                .await
                .map(|()| None),
            Some(journal) => self.send_journaled(journal, &notice, &mut result).await,
        };
        match outcome {
            Ok(finish) => {
                if result.outcome == Outcome::NotSent && result.error.is_none() {
                    result.error = Some("the run stopped before this notice's turn".into());
                }
                (result, None, finish)
            }
            Err(JournalFailed(e)) => {
                let message = journal_failed(&mut result, &e);
                (result, Some(message), None)
            }
        }
    }

    /// The first attempt's envelope, built before the claim so that the claim records it too
    /// ([`Journal::claim_sending`]): for a notice whose orderNo is known before the claim, and
    /// not under `--rate`, whose wait for a slot comes between the claim and the request.
    fn first_attempt(&self, notice: &Notice, generated: Option<&str>) -> Option<FirstAttempt> {
        if self.rate.is_some() {
            return None;
        }
        let order_no = notice.order_no.as_deref().or(generated)?;
        let (uuid, req_time, body) =
            self.client
                .envelope(order_no, &notice.policy_no, &notice.details);
        Some(FirstAttempt {
            order_no: order_no.to_string(),
            uuid,
            req_time,
            body,
        })
    }

    /// A candidate order number, only for a notice that gives none (a given one always wins).
    fn generated_order_no(&self, notice: &Notice) -> Option<String> {
        if notice.order_no.is_some() {
            return None;
        }
        self.plan
            .order_no_prefix_when_generating
            .as_deref()
            .map(new_order_no)
    }

    async fn send_unjournaled(
        &self,
        notice: &Notice,
        result: &mut NoticeResult,
    ) -> Result<(), JournalFailed> {
        let Some(order_no) = notice
            .order_no
            .clone()
            .or_else(|| self.generated_order_no(notice))
        else {
            result.outcome = Outcome::Failed;
            result.error = Some(rule::missing_order_no(&notice.policy_no));
            return Ok(());
        };
        let _slot = self.slot().await;
        self.client
            .send(
                &order_no,
                &notice.details,
                &NoLog,
                &self.stop,
                self.rate.as_ref(),
                result,
            )
            .await
    }

    async fn send_journaled(
        &self,
        journal: &Journal,
        notice: &Notice,
        result: &mut NoticeResult,
    ) -> Result<Option<FinishLater>, JournalFailed> {
        let key = NoticeKey {
            endpoint: self.plan.endpoint.clone(),
            policy_source: self.plan.policy_source.clone(),
            policy_no: notice.policy_no.clone(),
        };
        let content = rule::Content::of(&notice.policy_no, &notice.details);
        loop {
            let generated = self.generated_order_no(notice);
            let first = self.first_attempt(notice, generated.as_deref());
            let claim = journal
                .claim_sending(
                    key.clone(),
                    notice.order_no.clone(),
                    generated,
                    self.plan.resend,
                    Some(content.clone()),
                    first.clone(),
                )
                .await
                .map_err(|e| JournalFailed(e.into()))?;
            match claim {
                Claim::Claimed {
                    notice_id,
                    order_no,
                    in_doubt,
                    correction,
                    first_attempt,
                    ..
                } => {
                    if let Some(changes) = correction {
                        result.warnings.push(rule::correction(&changes));
                    }
                    let claimed = Claimed {
                        journal,
                        notice_id,
                        order_no: &order_no,
                        in_doubt,
                        content: &content,
                        first: first_attempt.zip(first),
                    };
                    return self.send_claimed(claimed, notice, result).await;
                }
                Claim::Busy { owner } => {
                    // Another process is sending this notice right now: wait for its outcome
                    // rather than send the same notice at the same time.
                    if self.stop.sleep(BUSY_POLL).await {
                        result.error = Some(format!("being sent by {owner} when the run stopped"));
                        return Ok(None);
                    }
                }
                other => {
                    not_claimed(other, notice, result);
                    return Ok(None);
                }
            }
        }
    }
}

/// A claim that sends nothing: accepted earlier, or refused.
fn not_claimed(claim: Claim, notice: &Notice, result: &mut NoticeResult) {
    match claim {
        Claim::AlreadyAccepted {
            order_no,
            deal_code,
            deal_desc,
        } => skipped(notice, result, order_no, deal_code, deal_desc),
        Claim::RejectedEarlier(rejection) => rejected_earlier(result, rejection),
        Claim::Conflict {
            journal_order_no,
            given,
        } => {
            result.outcome = Outcome::Failed;
            result.error = Some(rule::order_conflict(
                &notice.policy_no,
                &journal_order_no,
                &given,
            ));
        }
        Claim::ContentChanged { message } => {
            // The first pass refuses this; only a change recorded since lands here.
            result.outcome = Outcome::Failed;
            result.error = Some(message);
        }
        Claim::NeedsOrderNo => {
            result.outcome = Outcome::Failed;
            result.error = Some(rule::missing_order_no(&notice.policy_no));
        }
        Claim::Claimed { .. } | Claim::Busy { .. } => {
            unreachable!("claimed and busy are handled by send_journaled")
        }
    }
}

/// The journal failed on this notice; returns the journal's message. What the platform said
/// (accepted, rejected) or may have (in doubt) stands: only its record is missing. A notice
/// with neither is failed.
fn journal_failed(result: &mut NoticeResult, e: &anyhow::Error) -> String {
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

/// The rows still to send, as they arrive: in batches, taken one at a time.
struct Incoming {
    batches: mpsc::Receiver<Vec<Notice>>,
    batch: std::vec::IntoIter<Notice>,
}

impl Incoming {
    async fn next(&mut self) -> Option<Notice> {
        loop {
            if let Some(notice) = self.batch.next() {
                return Some(notice);
            }
            self.batch = self.batches.recv().await?.into_iter();
        }
    }
}

/// A notice's outcome, answered and not yet written: its write goes to the journal while the
/// worker claims its next notice, so that one commit often serves both.
pub(crate) struct FinishLater {
    notice_id: i64,
    /// The last attempt's end, unless it was recorded already (the run stopped between
    /// attempts).
    last_attempt: Option<(i64, client::AttemptEnd)>,
    outcome: Outcome,
    deal_code: Option<String>,
    deal_desc: Option<String>,
    http_status: Option<u16>,
}

/// A notice this run now holds in the journal.
struct Claimed<'a> {
    journal: &'a Journal,
    notice_id: i64,
    order_no: &'a str,
    /// An earlier attempt has no answer: this send repeats it.
    in_doubt: bool,
    content: &'a rule::Content,
    /// The first attempt, recorded with the claim: its id and envelope.
    first: Option<(i64, FirstAttempt)>,
}

impl Engine {
    async fn send_claimed(
        &self,
        claimed: Claimed<'_>,
        notice: &Notice,
        result: &mut NoticeResult,
    ) -> Result<Option<FinishLater>, JournalFailed> {
        let Claimed {
            journal,
            notice_id,
            order_no,
            in_doubt,
            content,
            first,
        } = claimed;
        if in_doubt {
            result.warnings.push(RESENT_IN_DOUBT.to_string());
        }
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
        self.client
            .send(
                order_no,
                &notice.details,
                &log,
                &self.stop,
                self.rate.as_ref(),
                result,
            )
            .await?;
        if result.attempts == 0 {
            // Claimed, then stopped before the first request: give the claim back, and take
            // back the attempt recorded with it, which never left.
            let unsent = log
                .recorded
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            match unsent {
                Some((attempt_id, _)) => journal.withdraw(notice_id, attempt_id).await,
                None => journal.release(notice_id).await,
            }
            .map_err(|e| JournalFailed(e.into()))?;
        }
        let finish = log.finish.into_inner().unwrap_or_else(|e| e.into_inner());
        if finish.is_none() && result.attempts > 0 {
            // Stopped between attempts: the last one's end is recorded, the notice's outcome
            // (failed, or in doubt) not yet.
            return Ok(Some(FinishLater {
                notice_id,
                last_attempt: None,
                outcome: result.outcome,
                deal_code: None,
                deal_desc: None,
                http_status: result.http_status,
            }));
        }
        Ok(finish)
    }
}

/// Accepted earlier: the journal's orderNo and answer, and a word if another was given.
pub(crate) fn skipped(
    notice: &Notice,
    result: &mut NoticeResult,
    order_no: String,
    deal_code: Option<String>,
    deal_desc: Option<String>,
) {
    if let Some(given) = notice.order_no.as_deref().filter(|g| *g != order_no) {
        result.warnings.push(format!(
            "already accepted under orderNo {order_no}; the orderNo given now ({given}) was not sent (use --force to send it)"
        ));
    }
    result.outcome = Outcome::Skipped;
    result.skip_reason = Some(SkipReason::AcceptedEarlier);
    result.order_no = Some(order_no);
    result.deal_code = deal_code;
    result.deal_desc = deal_desc;
}

/// Rejected earlier and unchanged since: the journal's orderNo and the platform's answer.
pub(crate) fn rejected_earlier(result: &mut NoticeResult, rejection: rule::Rejection) {
    result.outcome = Outcome::Skipped;
    result.skip_reason = Some(SkipReason::RejectedEarlier);
    result.skip_text = Some(rejection.reason());
    result.order_no = Some(rejection.order_no);
    result.deal_code = rejection.deal_code;
    result.deal_desc = rejection.deal_desc;
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
    /// The last attempt's outcome, left for the worker to write (see [`FinishLater`]).
    finish: std::sync::Mutex<Option<FinishLater>>,
}

impl AttemptLog for JournalLog<'_> {
    type Token = i64;

    async fn before(&self, uuid: &str, req_time: &str, body: &[u8]) -> anyhow::Result<i64> {
        Ok(self
            .journal
            .begin_attempt(
                self.notice_id,
                uuid.to_string(),
                req_time.to_string(),
                body.to_vec(),
                Some(self.content.clone()),
            )
            .await?)
    }

    async fn after(
        &self,
        attempt_id: i64,
        end: &client::AttemptEnd,
        final_outcome: Option<Outcome>,
    ) -> anyhow::Result<()> {
        let record = end.clone();
        match final_outcome {
            None => self.journal.finish_attempt(attempt_id, record).await?,
            Some(outcome) => {
                let finish = FinishLater {
                    notice_id: self.notice_id,
                    outcome,
                    deal_code: record.deal_code.clone(),
                    deal_desc: record.deal_desc.clone(),
                    http_status: record.http_status,
                    last_attempt: Some((attempt_id, record)),
                };
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

/// A fresh order number with this prefix, from the clock and a random suffix.
pub fn new_order_no(prefix: &str) -> String {
    protocol::generate_order_no(prefix, crate::clock::now(), |n| fastrand::usize(..n))
}
