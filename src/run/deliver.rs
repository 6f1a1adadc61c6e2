//! Delivery: the only async part of a run. A feeder thread hands the rows to the engine; the
//! engine sends results down a channel; this side shows them (stdout, the report, progress)
//! and stops the engine when they cannot be written.

use super::second_pass::{Judged, SecondPass};
use super::summary::{summary, RunFacts};
use super::{blocking, ReadyRun, Rows};
use crate::cli::OutputFormat;
use crate::engine::{Delivered, Engine};
use crate::error::RunEnding;
use crate::input::Source;
use crate::input::{Item, Problem, Severity};
use crate::journal::{Journal, JournalReader, RunDetails};
use crate::notice::Notice;
use crate::notice::NoticeResult;
use crate::notice::{Outcome, Tally};
use crate::output::{Console, Report, RunSummary, SummaryContext, SUMMARY_WIDTH};
use crate::pace::Stop;
use crate::signals;
use crate::text::{fit_parts, Part};
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// How a run that delivered ended.
#[derive(Debug, Default)]
pub(crate) struct RunEnd {
    pub tally: Tally,
    pub interrupted: bool,
    pub journal_error: Option<String>,
    /// The results could not be written (stdout or the report): the run stopped early.
    pub output_error: Option<String>,
    /// Rows of the input were not handed over (the file changed or could not be read again).
    pub unsent_rows: bool,
    /// Rows `--skip-invalid` set aside, and the rejects they are in.
    pub set_aside: Option<(u64, std::path::PathBuf)>,
    pub elapsed: std::time::Duration,
}

impl RunEnd {
    /// Why the run failed as a whole (the journal, the output), if it did.
    pub fn error(&self) -> Option<&str> {
        self.journal_error
            .as_deref()
            .or(self.output_error.as_deref())
    }

    pub fn exit_code(&self) -> u8 {
        RunEnding {
            interrupted: self.interrupted,
            failed: self.journal_error.is_some()
                || self.output_error.is_some()
                || self.unsent_rows
                || self.tally.get(Outcome::Failed) > 0
                || self.tally.get(Outcome::InDoubt) > 0,
            // A row set aside is a notice not accepted, as a rejection is.
            rejected: self.tally.get(Outcome::Rejected) > 0
                || self.tally.rejected_earlier() > 0
                || self.set_aside.as_ref().is_some_and(|(rows, _)| *rows > 0),
        }
        .exit_code()
    }
}

const STOPPED: &str = "stopped starting new notices; the journal has every result";

impl ReadyRun {
    pub(crate) async fn deliver(self) -> RunEnd {
        let started = Instant::now();
        let started_at = crate::clock::now();
        // What the journal records of the run: the engine writes it before its first claim.
        let run = super::record::details(&self, started_at);
        let ReadyRun {
            console,
            client,
            mut plan,
            rows,
            expected,
            to_send,
            journal,
            report,
            destination,
            reader,
            set_aside,
            ..
        } = self;
        say_where(&console, &destination, expected, to_send);
        let run_id = journal
            .as_ref()
            .map_or_else(crate::journal::Journal::new_run_id, |j| {
                j.run_id().to_string()
            });
        // Kept past the engine, to record the run's end.
        let recorder = journal.clone().zip(run.clone());
        plan.run = run;
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
            reader,
        );
        let interrupted = signals::watch_interrupts(engine.stop(), Arc::clone(&console));
        console.start_progress(expected, to_send);
        let shown = show(&console, report, engine.stop(), results_rx);
        let ((), (mut end, report, mut report_error)) =
            tokio::join!(engine.run(rows_rx, expected, results_tx), shown);
        end.interrupted = interrupted.load(Ordering::SeqCst);
        end.set_aside = set_aside;
        end.elapsed = started.elapsed();
        console.finish_progress(!end.interrupted);
        if let (Some(report), None) = (report, &report_error) {
            if let Err(e) = finish_report(report, &end, &run_id, started_at).await {
                end.output_error.get_or_insert_with(|| e.clone());
                report_error = Some(e);
            }
        }
        say_the_end(&console, &end, report_error, &destination);
        let console_for_feeder = Arc::clone(&console);
        end.unsent_rows = blocking(move || Ok(feeder.join(&console_for_feeder)))
            .await
            .unwrap_or(true);
        // Before the summary line: a script that reads it finds the run finished.
        record_the_end(recorder, &end, &console).await;
        if console.format() == OutputFormat::Json {
            json_summary(&console, &end, &run_id, started_at, &destination);
        }
        end
    }
}

/// `--json`'s last line.
fn json_summary(
    console: &Console,
    end: &RunEnd,
    run_id: &str,
    started: chrono::DateTime<chrono::Utc>,
    destination: &super::Destination,
) {
    let facts = RunFacts {
        run_id,
        started,
        destination,
        set_aside: end
            .set_aside
            .as_ref()
            .map(|(rows, file)| (*rows, file.as_path())),
    };
    let line = summary(
        &facts,
        &end.tally,
        end.interrupted,
        end.exit_code(),
        end.error(),
    );
    console.out(&line.to_string());
    console.flush_stdout();
}

/// The run's end in its journal, if it has one.
async fn record_the_end(recorder: Option<(Journal, RunDetails)>, end: &RunEnd, console: &Console) {
    let Some((journal, run)) = recorder else {
        return;
    };
    let ending = super::record::Ending {
        interrupted: end.interrupted,
        exit_code: end.exit_code(),
        error: end.error(),
    };
    super::record::finish(&journal, run, &end.tally, ending, console).await;
}

/// Before the first notice, to a person: how many go where, and the journal that keeps them;
/// on lines that fit 80 columns, as the summary's do.
fn say_where(console: &Console, destination: &super::Destination, expected: u64, to_send: u64) {
    if !console.talks_to_a_person() {
        return;
    }
    let count = if to_send < expected {
        format!("{to_send} of {expected} notice(s) (the rest were sent before)")
    } else {
        format!("{expected} notice(s)")
    };
    let then = |same_line, text| Part {
        same_line,
        at_end: "",
        text,
    };
    let parts = vec![
        Part::first(format!("sending {count}")),
        then(" ", format!("to {}", destination.platform)),
        then(" ", format!("for channel {}", destination.channel)),
        then("; ", destination.journal.clone()),
    ];
    for line in fit_parts(parts, SUMMARY_WIDTH) {
        console.note(&line);
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

/// What went wrong, then the summary, on stderr.
fn say_the_end(
    console: &Console,
    end: &RunEnd,
    report_error: Option<String>,
    destination: &super::Destination,
) {
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
            set_aside: end
                .set_aside
                .as_ref()
                .map(|(rows, file)| (*rows, file.as_path())),
        },
    );
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
fn feed(rows: Rows, mut hands: Hands, reader: Option<JournalReader>) -> Feeder {
    Feeder(std::thread::spawn(move || match rows {
        Rows::Listed(judged) => {
            for (notice, _) in judged {
                if hands.for_engine(notice).is_break() {
                    break;
                }
            }
            let _ = hands.hand_rows();
            false
        }
        Rows::File(source, notes) => hands.read_again(&source, SecondPass::new(*notes, reader)),
    }))
}

impl Hands {
    /// The file read again, each row as the second pass judges it; true when some rows were
    /// not handed over (the input changed, or could not be read again).
    fn read_again(&mut self, source: &Source, mut second: SecondPass) -> bool {
        let mut changed = false;
        let compares = second.compares();
        let name = crate::text::escape_controls(source.name()).into_owned();
        let each = |item| match item {
            // Set aside by the first pass: in the rejects, not sent.
            Item::Row(Notice { line, .. }) | Item::Problem(Problem { line, .. })
                if second.was_set_aside(line) =>
            {
                ControlFlow::Continue(())
            }
            Item::Invalid(_) => ControlFlow::Continue(()),
            Item::Row(notice) => {
                if self.stop.is_triggered() {
                    second.stop_settling();
                }
                match second.judge(notice) {
                    Judged::Skipped(result, raw) => self.skipped(*result, raw),
                    Judged::Send(notice) => self.row(notice),
                    Judged::Changed(notice) => {
                        changed = true;
                        let line = notice.line.map(|l| format!("{l}:")).unwrap_or_default();
                        self.console.error(&format!(
                            "{name}:{line} not the row that was checked (the input changed after it was checked; this row was not sent)"
                        ));
                        ControlFlow::Continue(())
                    }
                }
            }
            // The file changed since it was checked: the row is not sent, and said so.
            Item::Problem(p) if p.severity == Severity::Error => {
                changed = true;
                self.console.error(&format!(
                    "{p} (the input changed after it was checked; this row was not sent)"
                ));
                ControlFlow::Continue(())
            }
            Item::Problem(_) => ControlFlow::Continue(()),
        };
        // Compared row by row with the first pass, the checks across rows stand as that pass
        // ran them.
        let read = if compares {
            source.read_again(each)
        } else {
            source.read(each)
        };
        // Whatever the pass's end, the rows already judged skipped are reported, and the rows
        // gathered for the engine handed over.
        let _ = self.hand_skipped();
        let _ = self.hand_rows();
        match read {
            Ok(()) => changed,
            Err(e) => {
                self.console.error(&format!(
                    "reading the input again failed: {e}; rows after that point were not sent"
                ));
                true
            }
        }
    }

    /// A row the second pass reported as skipped, handed to the output side with others.
    fn skipped(&mut self, result: NoticeResult, raw: Option<Box<[String]>>) -> ControlFlow<()> {
        self.skipped.push(Delivered {
            result,
            raw,
            sent_at: None,
            journal_error: None,
        });
        if self.skipped.len() < SKIPPED_BATCH {
            return ControlFlow::Continue(());
        }
        self.hand_skipped()
    }

    /// A row for the engine, after the skipped rows gathered before it.
    fn row(&mut self, notice: Notice) -> ControlFlow<()> {
        self.hand_skipped()?;
        self.for_engine(notice)
    }

    /// A row for the engine, handed over with the others gathered so far once there are
    /// ROW_BATCH of them.
    fn for_engine(&mut self, notice: Notice) -> ControlFlow<()> {
        self.rows.push(notice);
        if self.rows.len() < ROW_BATCH {
            return ControlFlow::Continue(());
        }
        self.hand_rows()
    }

    /// The rows gathered for the engine, handed over.
    fn hand_rows(&mut self) -> ControlFlow<()> {
        hand_over(&self.engine, &mut self.rows)
    }

    /// The skipped rows gathered so far, handed to the output side.
    fn hand_skipped(&mut self) -> ControlFlow<()> {
        hand_over(&self.results, &mut self.skipped)
    }
}

/// A batch gathered, handed over (if it has anything in it).
fn hand_over<T>(tx: &mpsc::Sender<Vec<T>>, gathered: &mut Vec<T>) -> ControlFlow<()> {
    if gathered.is_empty() {
        return ControlFlow::Continue(());
    }
    match tx.blocking_send(std::mem::take(gathered)) {
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
