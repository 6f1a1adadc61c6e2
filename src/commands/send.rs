//! `send`: notices for the policies given on the command line.

use crate::cli::{GlobalArgs, SendArgs};
use crate::error::Refusal;
use crate::refuse;
use crate::run::{self, Request, RowsFrom};

pub async fn run(global: GlobalArgs, args: SendArgs) -> Result<u8, Refusal> {
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
    };
    run::send_notices(global, request).await
}
