//! `--dry-run`: a [`ReadyRun`] printed instead of delivered. One envelope per line on stdout;
//! what the journal says would be skipped is named on stderr. Reads the journal, writes nothing.

use super::{judge, ReadyRun, Rows};
use crate::engine;
use crate::error::{code, Refusal};
use crate::input::Item;
use crate::journal::rule::Decision;
use crate::journal::JournalError;
use crate::journal::JournalReader;
use crate::notice::Notice;
use crate::protocol;
use std::ops::ControlFlow;

/// What a dry run found: how many notices it would send, and skip for each reason.
#[derive(Default)]
struct Totals {
    send: u64,
    accepted_earlier: u64,
    rejected_earlier: u64,
}

impl ReadyRun {
    /// Reads the input again (a file) on the calling thread: run it on a blocking one.
    pub(super) fn print_dry_run(self) -> Result<u8, Refusal> {
        let mut totals = Totals::default();
        let d = &self.destination;
        let whose = match &d.name {
            Some(name) => format!("{name}, {}", d.source),
            None => d.source.clone(),
        };
        self.console.note(&format!(
            "dry run: would POST to {} ({whose}) for channel {}; nothing is sent",
            d.endpoint, d.channel
        ));
        match &self.rows {
            Rows::Listed(judged) => {
                for (notice, decision) in judged {
                    self.print_envelope(notice, decision, &mut totals);
                }
            }
            Rows::File(source, notes) => {
                let mut lookup_error = None;
                let mut lookups = self
                    .reader
                    .as_ref()
                    .map(JournalReader::lookups)
                    .transpose()
                    .map_err(JournalError::reading)?;
                source.read(|item| {
                    if let Item::Row(notice) = item {
                        if notes.was_set_aside(notice.line) {
                            return ControlFlow::Continue(());
                        }
                        match judge::decide(lookups.as_mut(), &self.plan, &notice) {
                            Ok((decision, _)) => {
                                self.print_envelope(&notice, &decision, &mut totals)
                            }
                            Err(e) => {
                                lookup_error = Some(e);
                                return ControlFlow::Break(());
                            }
                        }
                    }
                    ControlFlow::Continue(())
                })?;
                if let Some(e) = lookup_error {
                    return Err(e);
                }
            }
        }
        let d = &self.destination;
        let aside = match &self.set_aside {
            Some((rows, _)) => {
                format!(", set aside {rows} invalid (--rejects is written by a run that sends)")
            }
            None => String::new(),
        };
        self.console.note(&format!(
            "dry run: would send {}, skip {} accepted earlier, {} rejected earlier{aside}; to {}",
            totals.send, totals.accepted_earlier, totals.rejected_earlier, d.platform
        ));
        // Rows set aside are never a success, even in rehearsal.
        let code = match &self.set_aside {
            Some((rows, _)) if *rows > 0 => code::REJECTED,
            _ => code::OK,
        };
        Ok(self.console.offline_exit(code, "the envelopes"))
    }

    fn print_envelope(&self, notice: &Notice, decision: &Decision, totals: &mut Totals) {
        if let Decision::Correct { changes, .. } = decision {
            self.console.note(&format!(
                "{}: would be sent as a {}",
                notice.policy_no,
                crate::journal::rule::correction(changes)
            ));
        }
        let Some(order_no) = decision.sends() else {
            match decision {
                Decision::Skip { accepted_order_no } => {
                    totals.accepted_earlier += 1;
                    self.console.note(&format!(
                        "{}: would be skipped: already accepted under orderNo {accepted_order_no} (use --force to send it again)",
                        notice.policy_no
                    ));
                }
                Decision::SkipRejected(rejection) => {
                    totals.rejected_earlier += 1;
                    self.console.note(&format!(
                        "{}: would be skipped: {} (--retry-rejected sends it again)",
                        notice.policy_no,
                        rejection.reason()
                    ));
                }
                _ => {}
            }
            return;
        };
        totals.send += 1;
        let order_no = order_no.known().map_or_else(
            || {
                let prefix = self
                    .plan
                    .order_no_prefix_when_generating
                    .as_deref()
                    .unwrap_or(protocol::DEFAULT_ORDER_NO_PREFIX);
                engine::new_order_no(prefix)
            },
            str::to_string,
        );
        let (_, _, body) = self
            .client
            .envelope(&order_no, &notice.policy_no, &notice.details);
        self.console.out(&String::from_utf8_lossy(&body));
    }
}
