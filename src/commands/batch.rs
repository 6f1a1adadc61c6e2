//! `batch`: a notice for every row of a CSV, JSON Lines or workbook file. The whole input is validated
//! (against the journal too) before the first notice leaves; then it is read again and sent.

use crate::cli::{BatchArgs, GlobalArgs, ReportHeaders};
use crate::error::Refusal;
use crate::output::Console;
use crate::output::Lang;
use crate::run::{self, Request, RowsFrom};
use std::sync::Arc;

pub async fn run(
    global: GlobalArgs,
    args: BatchArgs,
    console: &Arc<Console>,
) -> Result<u8, Refusal> {
    // --concurrency and --rate are held to their ranges by clap (`cli.rs`), before anything
    // starts; the config's concurrency by `config.rs`.
    let request = Request {
        sending: args.sending,
        rows: RowsFrom::File {
            arg: args.file,
            input: args.input,
        },
        concurrency: args.concurrency,
        rate: args.rate,
        fail_fast: args.fail_fast,
        report: args.report,
        report_headers: args.report_headers.map(|h| match h {
            ReportHeaders::En => Lang::En,
            ReportHeaders::Zh => Lang::Zh,
        }),
        rejects: args.rejects,
    };
    run::send_notices(global, request, Arc::clone(console)).await
}
