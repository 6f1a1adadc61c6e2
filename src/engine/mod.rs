//! Running many notices: bounded concurrency, the global rate, stopping (Ctrl-C, SIGTERM,
//! `--fail-fast`), and the journal's claim around every notice.
//!
//! Rows come in on a channel (so a million-row file streams), results go out through one
//! consumer (so stdout, the report and the tally are written by one hand, in arrival order).

mod ending;
mod journaled;

use crate::client::{Client, LogFailed, NoLog, Sending};
use crate::journal::{rule, FirstAttempt, Journal, RunDetails};
use crate::notice::{Notice, NoticeResult, Outcome};
use crate::pace::{RateLimit, Stop};
use crate::protocol;
use ending::Ending;
use journaled::FinishLater;
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex, Semaphore, SemaphorePermit};

/// Workers claiming ahead, per request slot, with the journal. A claim waits for its group's
/// commit, which serves every worker that asked meanwhile; with one worker per slot, the slots
/// stood idle that long (measured at 16 slots: three more workers per slot kept them busy,
/// one did not).
const CLAIMING_PER_SLOT: usize = 3;

/// Workers claiming ahead, at most: each holds a claimed notice (its first attempt recorded)
/// that a kill leaves in doubt, and past a few dozen they no longer add speed.
const CLAIMING_MAX: usize = 64;

/// Why a notice the run never reached was not sent.
const STOPPED_BEFORE: &str = "the run stopped before this notice's turn";

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
    /// The run as the journal records it, before the first claim; `None` without a journal.
    pub run: Option<RunDetails>,
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
    /// Set once the run is recorded in the journal (before its first claim).
    recorded: tokio::sync::OnceCell<()>,
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
            recorded: tokio::sync::OnceCell::new(),
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
                    let Some(notice) = notices.lock().await.next().await else {
                        break;
                    };
                    let (result, journal_error, finish) = engine.process(&notice).await;
                    let sent_at = first_sent(&result);
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
                        raw: notice.raw,
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

    /// Writes a notice's end to the journal; its result is handed on only once that is
    /// committed, so no line says "accepted" for what the journal does not hold.
    async fn finish_later(&self, finish: FinishLater, mut delivered: Delivered) -> Delivered {
        let Some(journal) = &self.journal else {
            return delivered;
        };
        if let Err(e) = finish.write(journal).await {
            delivered.journal_error = Some(ending::not_recorded(&mut delivered.result, &e));
        }
        delivered
    }

    /// One notice, start to end. Never fails: every path ends in a result. With the journal,
    /// the notice's last write may be left to the caller ([`FinishLater`]).
    async fn process(
        &self,
        notice: &Notice,
    ) -> (NoticeResult, Option<String>, Option<FinishLater>) {
        let sent = if self.stop.is_triggered() {
            Sent::ended(Ending::NotSent(STOPPED_BEFORE.into()))
        } else {
            match &self.journal {
                None => self.send_unjournaled(notice).await,
                Some(journal) => match self.record_run(journal).await {
                    Ok(()) => self.send_journaled(journal, notice).await,
                    Err(e) => Sent::failed(Ending::NotSent(String::new()), e.into()),
                },
            }
        };
        let mut result = ending::result(notice, sent.ending);
        let journal_error = sent.failure.map(|e| ending::not_recorded(&mut result, &e));
        (result, journal_error, sent.finish)
    }

    /// The first attempt's envelope, built before the claim so that the claim records it too
    /// ([`crate::journal::ClaimNotice`]): for a notice whose orderNo is known before the claim,
    /// and not under `--rate`, whose wait for a slot comes between the claim and the request.
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

    async fn send_unjournaled(&self, notice: &Notice) -> Sent {
        let Some(order_no) = notice
            .order_no
            .clone()
            .or_else(|| self.generated_order_no(notice))
        else {
            return Sent::ended(Ending::Refused(rule::missing_order_no(&notice.policy_no)));
        };
        let _slot = self.slot().await;
        let sending = Sending {
            order_no: &order_no,
            policy_no: &notice.policy_no,
            details: &notice.details,
        };
        let (verdict, failure) = match self
            .client
            .send(sending, &NoLog, &self.stop, self.rate.as_ref())
            .await
        {
            Ok(verdict) => (verdict, None),
            Err(LogFailed { verdict, error }) => (verdict, Some(error)),
        };
        let ending = Ending::Sent {
            order_no,
            verdict,
            notes: Vec::new(),
        };
        Sent {
            ending,
            finish: None,
            failure,
        }
    }
}

/// How a notice's sending went: how it ended, its end still to be written to the journal,
/// and the journal's failure, if it failed.
struct Sent {
    ending: Ending,
    finish: Option<FinishLater>,
    failure: Option<anyhow::Error>,
}

impl Sent {
    fn ended(ending: Ending) -> Sent {
        Sent {
            ending,
            finish: None,
            failure: None,
        }
    }

    fn failed(ending: Ending, failure: anyhow::Error) -> Sent {
        Sent {
            ending,
            finish: None,
            failure: Some(failure),
        }
    }
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

/// The result of a notice skipped because the journal holds its acceptance: the journal's
/// orderNo and answer.
pub(crate) fn accepted_earlier(
    notice: &Notice,
    order_no: String,
    deal_code: Option<String>,
    deal_desc: Option<String>,
) -> NoticeResult {
    let skip = ending::Skip::accepted(order_no, deal_code, deal_desc);
    ending::result(notice, Ending::Skipped(skip))
}

/// When a notice was first sent in this run: the client timed it from its first request.
fn first_sent(result: &NoticeResult) -> Option<chrono::DateTime<chrono::Utc>> {
    let took = chrono::Duration::milliseconds(i64::try_from(result.elapsed_ms).unwrap_or(0));
    (result.attempts > 0)
        .then(|| crate::clock::now().checked_sub_signed(took))
        .flatten()
}

/// A fresh order number with this prefix, from the clock and a random suffix.
pub fn new_order_no(prefix: &str) -> String {
    protocol::generate_order_no(prefix, crate::clock::now(), |n| fastrand::usize(..n))
}
