//! Delivery: the only async part of a run. A feeder thread hands the rows to the engine; the
//! engine sends results down a channel; this side shows them (stdout, the report, progress)
//! and stops the engine when they cannot be written.

use super::{blocking, ReadyRun, Rows};
use crate::engine::{Delivered, Engine, RunEnd};
use crate::input::{Item, Severity};
use crate::notice::Notice;
use crate::output::{Console, Report, SummaryContext};
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
        let ReadyRun {
            console,
            client,
            plan,
            rows,
            expected,
            journal,
            report,
            destination,
            ..
        } = self;
        if console.talks_to_a_person() {
            console.note(&format!(
                "sending {expected} notice(s) to {} for channel {}; {}",
                destination.platform, destination.channel, destination.journal
            ));
        }
        let (rows_tx, rows_rx) = mpsc::channel(1024);
        let feeder = feed(rows, rows_tx, Arc::clone(&console));
        let engine = Arc::new(Engine::new(client, journal, plan));
        let interrupted = signals::watch_interrupts(engine.stop(), Arc::clone(&console));
        console.start_progress(expected);
        let (results_tx, results_rx) = mpsc::channel(1024);
        let shown = show(&console, report, engine.stop(), results_rx);
        let ((), (mut end, report, mut report_error)) =
            tokio::join!(engine.run(rows_rx, expected, results_tx), shown);
        end.interrupted = interrupted.load(Ordering::SeqCst);
        end.elapsed = started.elapsed();
        console.finish_progress(!end.interrupted);
        if let (Some(report), None) = (report, &report_error) {
            let path = crate::text::quote(&report.path().display().to_string());
            if let Err(e) = blocking(move || Ok(report.finish()))
                .await
                .unwrap_or(Ok(()))
            {
                report_error = Some(format!(
                    "could not put the report {path} in input order: {e}"
                ));
                end.output_error.get_or_insert_with(|| e.to_string());
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
        end
    }
}

/// Each result as it arrives: tallied, printed, written to the report. When results cannot
/// be written, the run stops starting new notices, as on Ctrl-C.
async fn show(
    console: &Console,
    mut report: Option<Report>,
    stop: Stop,
    mut results: mpsc::Receiver<Delivered>,
) -> (RunEnd, Option<Report>, Option<String>) {
    let mut end = RunEnd::default();
    let mut report_error: Option<String> = None;
    while let Some(Delivered {
        result,
        details,
        journal_error,
    }) = results.recv().await
    {
        end.tally.add(result.outcome);
        if end.journal_error.is_none() {
            end.journal_error = journal_error;
        }
        console.result(&result);
        if let (Some(r), None) = (report.as_mut(), &report_error) {
            if let Err(e) = r.write(&result, &details) {
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
    (end, report, report_error)
}

/// The thread that hands rows over; joined, it tells whether some rows were not handed over.
struct Feeder(std::thread::JoinHandle<bool>);

/// Rows to the engine from their own thread, so neither reading the file again nor waiting
/// for room in the channel holds up a runtime thread.
fn feed(rows: Rows, tx: mpsc::Sender<Notice>, console: Arc<Console>) -> Feeder {
    Feeder(std::thread::spawn(move || match rows {
        Rows::Listed(judged) => {
            for (notice, _) in judged {
                if tx.blocking_send(notice).is_err() {
                    break;
                }
            }
            false
        }
        Rows::File(source) => {
            let mut changed = false;
            let read = source.read(|item| match item {
                Item::Row(notice) => match tx.blocking_send(notice) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                },
                // The file changed since it was checked: the row is not sent, and said so.
                Item::Problem(p) if p.severity == Severity::Error => {
                    changed = true;
                    console.error(&format!(
                        "{p} (the input changed after it was checked; this row was not sent)"
                    ));
                    ControlFlow::Continue(())
                }
                Item::Problem(_) => ControlFlow::Continue(()),
            });
            match read {
                Ok(()) => changed,
                Err(e) => {
                    console.error(&format!(
                        "reading the input again failed: {e}; rows after that point were not sent"
                    ));
                    true
                }
            }
        }
    }))
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
