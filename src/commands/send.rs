//! `send`: notices for the policies given on the command line.

use super::args;
use crate::cli::{GlobalArgs, SendArgs};
use crate::error::Refusal;
use crate::input;
use crate::refuse;
use crate::session::{self, SendOptions, Session};

pub async fn run(global: &GlobalArgs, send_args: &SendArgs) -> Result<u8, Refusal> {
    let session = Session::start(global).await?;
    let code = send(&session, send_args).await;
    session.finish().await;
    code
}

async fn send(session: &Session, command: &SendArgs) -> Result<u8, Refusal> {
    let fields = &command.fields;
    if fields.policies.is_empty() {
        return Err(refuse!(Usage, "send needs at least one --policy NO"));
    }
    let options = SendOptions::from(&command.sending);
    let plan = session.plan(&options, None, None, false)?;
    let flags = args::field_flags(fields);
    // Whether an orderNo is missing depends on the journal too: `decide` judges that below.
    let (rows, problems) = input::rows_from_flags(&flags, false);
    session.show_problems(&problems)?;
    let client = session.client(&plan, options.interface_type.as_deref())?;

    // Read-only until the run is confirmed: a declined or invalid run leaves no journal behind.
    let reader = session.read_journal()?;
    let mut decisions = Vec::with_capacity(rows.len());
    let mut errors = Vec::new();
    for row in &rows {
        let decision = session::decide(reader.as_ref(), &plan, row)?;
        match decision.problem(&row.policy_no) {
            None => decisions.push(decision),
            Some(message) => errors.push(message),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            session.console.error(e);
        }
        return Err(refuse!(Input, "nothing was sent"));
    }
    if options.dry_run {
        for (row, decision) in rows.iter().zip(&decisions) {
            session.dry_run_row(&client, &plan, row, decision);
        }
        return Ok(session
            .console
            .offline_exit(crate::error::code::OK, "the envelopes"));
    }
    session.confirm_production(rows.len() as u64, options.yes)?;
    let journal = session.open_journal()?;
    let (tx, rx) = tokio::sync::mpsc::channel(rows.len().max(1));
    let total = rows.len() as u64;
    for row in rows {
        tx.send(row)
            .await
            .map_err(|_| refuse!(Setup, "the sending engine stopped early"))?;
    }
    drop(tx);
    let end = session
        .deliver(client, journal, plan, rx, total, None)
        .await?;
    Ok(end.exit_code())
}
