//! Delivery: the only async part of a run. A feeder thread hands the rows to the engine; the
//! engine sends results down a channel; this side shows them (stdout, the report, progress)
//! and stops the engine when they cannot be written.

use super::settled::{Judge, Settler};
use super::summary::{summary, RunFacts};
use super::{blocking, ReadyRun, Rows};
use crate::cli::OutputFormat;
use crate::engine::{Delivered, Engine, RunEnd};
use crate::input::{Item, Severity};
use crate::journal::JournalReader;
use crate::notice::Notice;
use crate::output::{Console, Report, RunSummary, SummaryContext};
use crate::pace::Stop;
use crate::signals;
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

const STOPPED: &str = "stopped starting new notices; the journal has every result";

impl ReadyRun {
    pub(crate) async fn deliver(self) -> RunEnd {
        let started = Instant::now();
        let started_at = crate::clock::now();
        let ReadyRun {
            console,
            client,
            plan,
            rows,
            expected,
            journal,
            report,
            destination,
            reader,
            ..
        } = self;
        if console.talks_to_a_person() {
            console.note(&format!(
                "sending {expected} notice(s) to {} for channel {}; {}",
                destination.platform, destination.channel, destination.journal
            ));
        }
        let run_id = journal
            .as_ref()
            .map_or_else(crate::journal::Journal::new_run_id, |j| {
                j.run_id().to_string()
            });
        let judge = Judge::new(&plan);
        let engine = Arc::new(Engine::new(client, journal, plan));
        let (rows_tx, rows_rx) = mpsc::channel(ROW_BATCHES);
        // Batches: the engine's hold one result, the second pass's up to SKIPPED_BATCH. At most
        // RESULT_BATCHES of them wait for the output side, so a second pass that settles rows
        // faster than they are printed waits rather than fill memory.
        let (results_tx, results_rx) = mpsc::channel(RESULT_BATCHES);
        let feeder = feed(
            rows,
            Hands {
                engine: rows_tx,
                rows: Vec::new(),
                results: results_tx.clone(),
                stop: engine.stop(),
                console: Arc::clone(&console),
                skipped: Vec::new(),
            },
            reader.map(|r| (r, judge)),
        );
        let interrupted = signals::watch_interrupts(engine.stop(), Arc::clone(&console));
        console.start_progress(expected);
        let shown = show(&console, report, engine.stop(), results_rx);
        let ((), (mut end, report, mut report_error)) =
            tokio::join!(engine.run(rows_rx, expected, results_tx), shown);
        end.interrupted = interrupted.load(Ordering::SeqCst);
        end.elapsed = started.elapsed();
        console.finish_progress(!end.interrupted);
        if let (Some(report), None) = (report, &report_error) {
            if let Err(e) = finish_report(report, &end, &run_id, started_at).await {
                end.output_error.get_or_insert_with(|| e.clone());
                report_error = Some(e);
            }
        }
        if let Some(e) = console.stdout_failure() {
            console.error(&format!(
                "could not write the results to stdout: {e}; {STOPPED}"
            ));
        }
        if let Some(e) = report_error {
            console.error(&format!("{e}; {STOPPED}"));
        }
        if let Some(e) = &end.journal_error {
            console.error(&format!("the journal failed mid-run: {e}"));
        }
        console.summary(
            &end.tally,
            end.elapsed,
            &SummaryContext {
                destination: &destination.platform,
                interrupted: end.interrupted,
                journaled: destination.journaled,
            },
        );
        let console_for_feeder = Arc::clone(&console);
        end.unsent_rows = blocking(move || Ok(feeder.join(&console_for_feeder)))
            .await
            .unwrap_or(true);
        if console.format() == OutputFormat::Json {
            let facts = RunFacts {
                run_id: &run_id,
                started: started_at,
                destination: &destination,
            };
            let error = end.journal_error.as_deref().or(end.output_error.as_deref());
            let code = end.exit_code();
            let line = summary(&facts, &end.tally, end.interrupted, code, error);
            console.out(&line.to_string());
            console.flush_stdout();
        }
        end
    }
}

/// The report in input order, with the run's summary where it has room for one; off the
/// runtime's threads, as it reads and writes whole files.
async fn finish_report(
    report: Report,
    end: &RunEnd,
    run_id: &str,
    started: chrono::DateTime<chrono::Utc>,
) -> Result<(), String> {
    let path = crate::text::quote(&report.path().display().to_string());
    let (tally, run_id, interrupted) = (end.tally.clone(), run_id.to_owned(), end.interrupted);
    let finished = blocking(move || {
        Ok(report.finish(&RunSummary {
            tally: &tally,
            run_id: &run_id,
            started,
            ended: crate::clock::now(),
            interrupted,
        }))
    });
    finished
        .await
        .unwrap_or(Ok(()))
        .map_err(|e| format!("could not finish the report {path} (put it in input order): {e}"))
}

/// Each result as it arrives: tallied, printed, written to the report. When results cannot
/// be written, the run stops starting new notices, as on Ctrl-C.
async fn show(
    console: &Console,
    mut report: Option<Report>,
    stop: Stop,
    mut results: mpsc::Receiver<Vec<Delivered>>,
) -> (RunEnd, Option<Report>, Option<String>) {
    let mut end = RunEnd::default();
    let mut report_error: Option<String> = None;
    console.hold_stdout(true);
    let mut batch = Vec::new().into_iter();
    while let Some(Delivered {
        result,
        raw,
        sent_at,
        journal_error,
    }) = next_result(console, report.as_mut(), &mut results, &mut batch).await
    {
        end.tally.add(&result);
        if end.journal_error.is_none() {
            end.journal_error = journal_error;
        }
        console.result(&result);
        if let (Some(r), None) = (report.as_mut(), &report_error) {
            if let Err(e) = r.write(&result, raw.as_deref(), sent_at) {
                report_error = Some(format!(
                    "could not write the report {}: {e}",
                    crate::text::quote(&r.path().display().to_string())
                ));
            }
        }
        let failure = match (console.stdout_failure(), &report_error) {
            (Some(e), _) => Some(format!("could not write the results to stdout: {e}")),
            (None, Some(e)) => Some(e.clone()),
            (None, None) => None,
        };
        if let (Some(e), None) = (failure, &end.output_error) {
            end.output_error = Some(e);
            stop.trigger();
        }
    }
    console.hold_stdout(false);
    if let (Some(e), None) = (console.stdout_failure(), &end.output_error) {
        end.output_error = Some(format!("could not write the results to stdout: {e}"));
    }
    (end, report, report_error)
}

/// The next result, from the batch in hand or the next one; the report's rows and the lines
/// held for stdout are written first whenever none is waiting.
async fn next_result(
    console: &Console,
    mut report: Option<&mut Report>,
    results: &mut mpsc::Receiver<Vec<Delivered>>,
    batch: &mut std::vec::IntoIter<Delivered>,
) -> Option<Delivered> {
    loop {
        if let Some(delivered) = batch.next() {
            return Some(delivered);
        }
        *batch = match results.try_recv() {
            Ok(next) => next.into_iter(),
            Err(mpsc::error::TryRecvError::Disconnected) => return None,
            Err(mpsc::error::TryRecvError::Empty) => {
                // The report first: a row on the screen is in the report too.
                if let Some(report) = report.as_deref_mut() {
                    report.flush();
                }
                console.flush_stdout();
                results.recv().await?.into_iter()
            }
        };
    }
}

/// The thread that hands rows over; joined, it tells whether some rows were not handed over.
struct Feeder(std::thread::JoinHandle<bool>);

/// Where the feeder hands rows: to the engine, or (a row the first pass found accepted and
/// the journal still does) straight to the results as skipped.
struct Hands {
    engine: mpsc::Sender<Vec<Notice>>,
    /// Rows for the engine not yet handed over: they go in batches, so that the runtime
    /// thread and this one do not wake each other once per row.
    rows: Vec<Notice>,
    results: mpsc::Sender<Vec<Delivered>>,
    stop: Stop,
    console: Arc<Console>,
    /// Skipped rows not yet handed over: they go in batches, so that the output side is not
    /// woken once per row.
    skipped: Vec<Delivered>,
}

/// Rows per batch handed to the engine, and batches waiting for it at most: the input is
/// read whole before any is sent, so a batch never waits for a slow producer.
const ROW_BATCH: usize = 64;
const ROW_BATCHES: usize = 16;

/// Skipped rows per batch.
const SKIPPED_BATCH: usize = 64;

/// Result batches waiting for the output side, at most.
const RESULT_BATCHES: usize = 64;

/// Rows to the engine from their own thread, so neither reading the file again nor waiting
/// for room in the channel holds up a runtime thread.
fn feed(rows: Rows, mut hands: Hands, reader: Option<(JournalReader, Judge)>) -> Feeder {
    Feeder(std::thread::spawn(move || match rows {
        Rows::Listed(judged) => {
            for (notice, _) in judged {
                if hands.for_engine(notice, &mut None).is_break() {
                    break;
                }
            }
            let _ = hands.hand_rows(&mut None);
            false
        }
        Rows::File(source, settled, digests) => {
            let mut settler = reader
                .filter(|_| !settled.is_empty())
                .map(|(reader, judge)| Settler::new(reader, judge, *settled));
            let mut changed = false;
            let mut digests = digests.read_back();
            let compared = digests.is_some();
            let name = crate::text::escape_controls(source.name());
            let each = |item| match item {
                Item::Row(notice) => match digests.as_mut().map(|d| d.matches(&notice)) {
                    Some(false) => {
                        // Not the row the first pass checked at this place: what follows is
                        // no longer the input that was checked either, and goes to the
                        // engine's claim rather than by the first pass's findings.
                        changed = true;
                        settler = None;
                        let line = notice.line.map(|l| format!("{l}:")).unwrap_or_default();
                        hands.console.error(&format!(
                            "{name}:{line} not the row that was checked (the input changed after it was checked; this row was not sent)"
                        ));
                        ControlFlow::Continue(())
                    }
                    _ => hands.row(notice, &mut settler),
                },
                // The file changed since it was checked: the row is not sent, and said so.
                Item::Problem(p) if p.severity == Severity::Error => {
                    changed = true;
                    hands.console.error(&format!(
                        "{p} (the input changed after it was checked; this row was not sent)"
                    ));
                    ControlFlow::Continue(())
                }
                Item::Problem(_) => ControlFlow::Continue(()),
            };
            // Compared row by row with the first pass, the checks across rows stand as that
            // pass ran them.
            let read = if compared {
                source.read_again(each)
            } else {
                source.read(each)
            };
            // Whatever the pass's end, the rows already judged skipped are reported, and the
            // rows gathered for the engine handed over.
            let _ = hands.hand_skipped(&mut settler);
            let _ = hands.hand_rows(&mut settler);
            match read {
                Ok(()) => changed,
                Err(e) => {
                    hands.console.error(&format!(
                        "reading the input again failed: {e}; rows after that point were not sent"
                    ));
                    true
                }
            }
        }
    }))
}

impl Hands {
    /// One valid row of the second pass: reported as skipped if it is settled, else handed to
    /// the engine. Once the run stops every row goes to the engine, which says it was not sent.
    fn row(&mut self, notice: Notice, settler: &mut Option<Settler>) -> ControlFlow<()> {
        if self.stop.is_triggered() {
            *settler = None;
        }
        if let Some(s) = settler.as_mut() {
            match s.settle(&notice) {
                Ok(Some(result)) => {
                    self.skipped.push(Delivered {
                        result,
                        raw: notice.raw,
                        sent_at: None,
                        journal_error: None,
                    });
                    if self.skipped.len() < SKIPPED_BATCH {
                        return ControlFlow::Continue(());
                    }
                    return self.hand_skipped(settler);
                }
                Ok(None) => {}
                // The engine's claim reads the journal again and decides.
                Err(_) => *settler = None,
            }
        }
        self.hand_skipped(settler)?;
        self.for_engine(notice, settler)
    }

    /// A row for the engine, handed over with the others gathered so far once there are
    /// ROW_BATCH of them.
    fn for_engine(&mut self, notice: Notice, settler: &mut Option<Settler>) -> ControlFlow<()> {
        self.rows.push(notice);
        if self.rows.len() < ROW_BATCH {
            return ControlFlow::Continue(());
        }
        self.hand_rows(settler)
    }

    /// The rows gathered for the engine, handed over.
    fn hand_rows(&mut self, settler: &mut Option<Settler>) -> ControlFlow<()> {
        hand_over(&self.engine, &mut self.rows, settler)
    }

    /// The skipped rows gathered so far, handed to the output side.
    fn hand_skipped(&mut self, settler: &mut Option<Settler>) -> ControlFlow<()> {
        hand_over(&self.results, &mut self.skipped, settler)
    }
}

/// A batch gathered, handed over (if it has anything in it).
fn hand_over<T>(
    tx: &mpsc::Sender<Vec<T>>,
    gathered: &mut Vec<T>,
    settler: &mut Option<Settler>,
) -> ControlFlow<()> {
    if gathered.is_empty() {
        return ControlFlow::Continue(());
    }
    let batch = std::mem::take(gathered);
    match settler.as_mut() {
        Some(s) => handed(tx, batch, s),
        None => match tx.blocking_send(batch) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        },
    }
}

/// Sends without blocking if there is room; else ends the settler's read transaction first,
/// so that waiting never holds back the journal.
fn handed<T>(tx: &mpsc::Sender<T>, item: T, settler: &mut Settler) -> ControlFlow<()> {
    let item = match tx.try_send(item) {
        Ok(()) => return ControlFlow::Continue(()),
        Err(mpsc::error::TrySendError::Closed(_)) => return ControlFlow::Break(()),
        Err(mpsc::error::TrySendError::Full(item)) => item,
    };
    settler.pause();
    match tx.blocking_send(item) {
        Ok(()) => ControlFlow::Continue(()),
        Err(_) => ControlFlow::Break(()),
    }
}

impl Feeder {
    fn join(self, console: &Console) -> bool {
        self.0.join().unwrap_or_else(|_| {
            console.error(
                "the input reader stopped unexpectedly; rows after that point were not sent",
            );
            true
        })
    }
}
