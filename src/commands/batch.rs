//! `batch`: a notice for every row of a CSV or JSON Lines file. The whole input is validated
//! (against the journal too) before the first notice leaves; then it is read again and sent.

use super::args as convert;
use crate::cli::{BatchArgs, GlobalArgs};
use crate::input::{self, Item, Problem, Severity};
use crate::output::{Report, ReportUnwritable};
use crate::session::{self, SendOptions, Session};
use crate::text::escape_controls;
use crate::user_error;
use anyhow::Result;
use std::ops::ControlFlow;
use std::sync::Arc;

pub async fn run(global: &GlobalArgs, args: &BatchArgs) -> Result<u8> {
    let session = Session::start(global).await?;
    let code = batch(&session, args).await;
    session.finish().await;
    code
}

async fn batch(session: &Session, args: &BatchArgs) -> Result<u8> {
    // --concurrency and --rate are held to their ranges by clap (`cli.rs`), before anything
    // starts; the config's concurrency by `config.rs`.
    let options = SendOptions::from(&args.sending);
    let plan = session.plan(&options, args.concurrency, args.rate, args.fail_fast)?;
    let client = session.client(&plan, options.interface_type.as_deref())?;
    if let Some(report) = args.report.as_deref() {
        let input = (args.file != "-").then(|| std::path::Path::new(&args.file));
        Report::check_target(report, input, session.journal_path().as_deref())?;
    }
    // Read-only until the run is confirmed: a declined or invalid run leaves no journal behind.
    let reader = session.read_journal()?;
    // Whether an orderNo is missing depends on the journal too: `decide` judges that.
    let input_options = convert::input_options(&args.input, false);
    let source = input::Source::open(&args.file, &input_options).map_err(|e| user_error!("{e}"))?;
    for notice in source.notices() {
        session.console.note(notice);
    }

    // Pass 1: every row checked, every problem listed, nothing sent.
    let mut valid: u64 = 0;
    let mut problems = input::ProblemReport::new(input::SHOWN_PROBLEMS);
    let mut lookup_error = None;
    source
        .read(|item| {
            let problem = match item {
                Item::Problem(p) => p,
                Item::Row(row) => match session::decide(reader.as_ref(), &plan, &row) {
                    Ok(Ok(_)) => {
                        valid += 1;
                        return ControlFlow::Continue(());
                    }
                    Ok(Err(message)) => Problem {
                        file: source.name().to_string(),
                        line: row.line,
                        column: "orderNo".into(),
                        message,
                        severity: Severity::Error,
                    },
                    Err(e) => {
                        lookup_error = Some(e);
                        return ControlFlow::Break(());
                    }
                },
            };
            problems.add(problem);
            ControlFlow::Continue(())
        })
        .map_err(|e| user_error!("{e}"))?;
    if let Some(e) = lookup_error {
        return Err(user_error!("cannot read the journal: {e:#}"));
    }
    // Display leaves the severity to the console's label: one "warning:".
    let errors = input::report_problems(&problems, &args.file, |severity, line| match severity {
        Severity::Error => session.console.error(line),
        Severity::Warning => session.console.warn(line),
    });
    if errors > 0 {
        return Err(user_error!(
            "{errors} problem(s) in {}; nothing was sent (`avatar-cli validate {}` lists them again)",
            source.name(),
            args.file
        ));
    }
    if valid == 0 {
        // A day without cancellations is normal, but an export that came out empty by mistake
        // looks just the same: say so rather than finish in silence.
        session.console.warn(&format!(
            "{}: no notices in it",
            escape_controls(source.name())
        ));
    }

    if options.dry_run {
        let mut lookup_error = None;
        source
            .read(|item| {
                if let Item::Row(row) = item {
                    match session::decide(reader.as_ref(), &plan, &row) {
                        Ok(Ok(decision)) => session.dry_run_row(&client, &plan, &row, &decision),
                        Ok(Err(_)) => {}
                        Err(e) => {
                            lookup_error = Some(e);
                            return ControlFlow::Break(());
                        }
                    }
                }
                ControlFlow::Continue(())
            })
            .map_err(|e| user_error!("{e}"))?;
        if let Some(e) = lookup_error {
            return Err(user_error!("cannot read the journal: {e:#}"));
        }
        return Ok(session
            .console
            .offline_exit(crate::error::code::OK, "the envelopes"));
    }

    session.confirm_production(valid, options.yes)?;
    let journal = session.open_journal()?;
    let report = match args.report.as_deref().map(Report::create).transpose() {
        Ok(report) => report,
        // Created but not writable (a full disk): an output failure, not a usage error.
        Err(e) if e.is::<ReportUnwritable>() => {
            session.console.error(&format!("{e}"));
            return Ok(crate::error::code::FAILED);
        }
        Err(e) => return Err(e),
    };

    // Pass 2: the same rows again, streamed to the engine.
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let console = Arc::clone(&session.console);
    let feeder = std::thread::spawn(move || {
        let mut changed = false;
        let read = source.read(|item| match item {
            Item::Row(row) => match tx.blocking_send(row) {
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
        read.map(|()| changed)
    });
    let end = session
        .deliver(client, journal, plan, rx, valid, report)
        .await?;
    let unsent = match feeder.join() {
        Ok(Ok(changed)) => changed,
        Ok(Err(e)) => {
            session.console.error(&format!(
                "reading the input again failed: {e}; rows after that point were not sent"
            ));
            true
        }
        Err(_) => {
            session.console.error(
                "the input reader stopped unexpectedly; rows after that point were not sent",
            );
            true
        }
    };
    let code = end.exit_code();
    if unsent && code != crate::error::code::INTERRUPTED {
        return Ok(crate::error::code::FAILED);
    }
    Ok(code)
}
