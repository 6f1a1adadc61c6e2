//! `batch`: a notice for every row of a CSV or JSON Lines file. The whole input is validated
//! (against the journal too) before the first notice leaves; then it is read again and sent.

use super::args as convert;
use crate::cli::{BatchArgs, GlobalArgs};
use crate::error::Refusal;
use crate::input::{self, Item, Problem, Severity};
use crate::output::Report;
use crate::refuse;
use crate::session::{self, SendOptions, Session};
use crate::text::escape_controls;
use std::ops::ControlFlow;
use std::sync::Arc;

pub async fn run(global: &GlobalArgs, args: &BatchArgs) -> Result<u8, Refusal> {
    let session = Session::start(global).await?;
    let code = batch(&session, args).await;
    session.finish().await;
    code
}

async fn batch(session: &Session, args: &BatchArgs) -> Result<u8, Refusal> {
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
    let source = input::Source::open(&args.file, &input_options)?;
    for notice in source.notices() {
        session.console.note(notice);
    }

    // Pass 1: every row checked, every problem listed, nothing sent.
    let mut valid: u64 = 0;
    let mut errors: u64 = 0;
    let mut lookup_error = None;
    source.read(|item| {
        let problem = match item {
            Item::Problem(p) => p,
            Item::Row(row) => match session::decide(reader.as_ref(), &plan, &row)
                .map(|d| d.problem(&row.policy_no))
            {
                Ok(None) => {
                    valid += 1;
                    return ControlFlow::Continue(());
                }
                Ok(Some(message)) => Problem {
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
        match problem.severity {
            Severity::Error => {
                errors += 1;
                session.console.error(&problem.to_string());
            }
            // Display leaves the severity to the console's label: one "warning:".
            Severity::Warning => session.console.warn(&problem.to_string()),
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = lookup_error {
        return Err(Refusal::JournalRead(e));
    }
    if errors > 0 {
        return Err(refuse!(
            Input,
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
        source.read(|item| {
            if let Item::Row(row) = item {
                match session::decide(reader.as_ref(), &plan, &row) {
                    Ok(decision) => session.dry_run_row(&client, &plan, &row, &decision),
                    Err(e) => {
                        lookup_error = Some(e);
                        return ControlFlow::Break(());
                    }
                }
            }
            ControlFlow::Continue(())
        })?;
        if let Some(e) = lookup_error {
            return Err(Refusal::JournalRead(e));
        }
        return Ok(session
            .console
            .offline_exit(crate::error::code::OK, "the envelopes"));
    }

    session.confirm_production(valid, options.yes)?;
    let journal = session.open_journal()?;
    // Created but not writable (a full disk) is an output failure (exit 3), not a usage error.
    let report = args.report.as_deref().map(Report::create).transpose()?;

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
    let mut end = session
        .deliver(client, journal, plan, rx, valid, report)
        .await?;
    end.unsent_rows = match feeder.join() {
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
    Ok(end.exit_code())
}
