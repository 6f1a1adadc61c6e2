//! `send`: notices for the policies given on the command line.

use crate::cli::{GlobalArgs, SendArgs};
use crate::error::refuse;
use crate::error::Refusal;
use crate::output::Console;
use crate::run::{self, Request, RowsFrom};
use std::sync::Arc;

pub async fn run(
    global: GlobalArgs,
    args: SendArgs,
    console: &Arc<Console>,
) -> Result<u8, Refusal> {
    if args.fields.policies.is_empty() {
        return Err(refuse!(Usage, "send needs at least one --policy NO"));
    }
    let request = Request {
        sending: args.sending,
        rows: RowsFrom::Flags(args.fields),
        concurrency: None,
        rate: None,
        fail_fast: false,
        report: None,
        report_headers: None,
        rejects: None,
    };
    run::send_notices(global, request, Arc::clone(console)).await
}
