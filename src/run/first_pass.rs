//! The first pass: every row checked, by the input's rules and then by the notice rule
//! against the journal, every problem listed, nothing sent. One bad row and nothing leaves.

use super::in_order;
use super::judge::{decide, Judgement};
use super::second_pass::{Notes, Skip};
use super::set_aside::{as_warning, Placed, SetAside};
use crate::cli::FieldArgs;
use crate::engine::RunPlan;
use crate::error::{refuse, Refusal};
use crate::input::{self, Item, Problem, Severity, Source};
use crate::journal::rule::{Decision, OrderNo, Rejection};
use crate::journal::{JournalError, JournalReader};
use crate::notice::Notice;
use crate::output::{Console, Rejects};
use crate::protocol::GENERATED_SUFFIX;
use crate::text::escape_controls;
use std::ops::ControlFlow;

/// `send`'s notices from its flags; any input problem refuses the run.
pub(super) fn parse_flags(console: &Console, fields: &FieldArgs) -> Result<Vec<Notice>, Refusal> {
    // Whether an orderNo is missing depends on the journal too: the rule judges that later.
    let (notices, problems) = input::rows_from_flags(fields, false);
    let errors = problems.iter().filter(|p| show(console, p)).count();
    if errors > 0 {
        return Err(refuse!(
            Input,
            "{errors} problem(s) in the input; nothing was sent"
        ));
    }
    Ok(notices)
}

/// `send`'s notices judged by the rule; a notice it refuses refuses the run.
pub(super) fn judge_listed(
    console: &Console,
    reader: Option<&JournalReader>,
    plan: &RunPlan,
    notices: Vec<Notice>,
) -> Result<(Vec<(Notice, Decision)>, Measure), Refusal> {
    let mut judged = Vec::with_capacity(notices.len());
    let mut measure = Measure::default();
    let mut errors = Vec::new();
    let mut lookups = reader
        .map(JournalReader::lookups)
        .transpose()
        .map_err(JournalError::reading)?;
    for notice in notices {
        let (decision, _) = decide(lookups.as_mut(), plan, &notice)?;
        match decision.problem(&notice.policy_no) {
            None => {
                measure.row(plan, &notice, &decision);
                judged.push((notice, decision));
            }
            Some(message) => errors.push(message),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            console.error(e);
        }
        return Err(refuse!(Input, "nothing was sent"));
    }
    Ok((judged, measure))
}

/// `batch`'s file, read once; returns what it measured of the valid rows, what the second
/// pass needs of them (which the rule skips: accepted earlier; which lines were set aside),
/// and under `--skip-invalid` the rejects, not yet in place.
pub(super) fn judge_file(
    console: &Console,
    reader: Option<&JournalReader>,
    plan: &RunPlan,
    (source, arg): (&Source, &str),
    platform: &str,
    aside: Option<SetAside>,
) -> Result<(Measure, Notes, Option<Rejects>), Refusal> {
    for notice in source.notices() {
        console.note(notice);
    }
    let mut judging = FileJudging {
        plan,
        platform,
        file: source.name(),
        notes: Notes::default(),
        measure: Measure::default(),
        // Gathered, then said once per kind of problem, at most SHOWN_PROBLEMS lines.
        problems: input::ProblemReport::new(input::SHOWN_PROBLEMS),
        aside,
        rejects_failed: None,
    };
    let version = |reader: Option<&JournalReader>| {
        reader
            .map(JournalReader::version)
            .transpose()
            .map(Option::flatten)
            .map_err(JournalError::reading)
    };
    let before = version(reader)?;
    read_judged(reader, plan, source, &mut |item, judgement| {
        let header = source.header().map_or(&[][..], |h| h.names.as_slice());
        judging.take(item, judgement, header)
    })?;
    judging.notes.journal_between(before, version(reader)?);
    judging.finish(console, arg)
}

/// Every item of `source`, each row with the rule's judgement of it.
fn read_judged(
    reader: Option<&JournalReader>,
    plan: &RunPlan,
    source: &Source,
    take: &mut dyn FnMut(Item, Option<Judgement>) -> ControlFlow<()>,
) -> Result<(), Refusal> {
    if let Some(reader) = reader {
        return in_order::judge(reader, plan, source, take);
    }
    // Without a journal the rule needs no lookup.
    let mut failed = None;
    source.read(|item| {
        let judgement = match &item {
            Item::Row(notice) => match decide(None, plan, notice) {
                Ok(judgement) => Some(judgement),
                Err(e) => {
                    failed = Some(e);
                    return ControlFlow::Break(());
                }
            },
            Item::Problem(_) | Item::Invalid(_) => None,
        };
        take(item, judgement)
    })?;
    failed.map_or(Ok(()), Err)
}

/// The first pass over a file, row by row.
struct FileJudging<'a> {
    plan: &'a RunPlan,
    /// The run's platform, as messages name it.
    platform: &'a str,
    file: &'a str,
    notes: Notes,
    measure: Measure,
    problems: input::ProblemReport,
    /// `--skip-invalid`: where rows with errors go instead of stopping the run.
    aside: Option<SetAside>,
    /// Why the rejects could not be written, if they could not.
    rejects_failed: Option<String>,
}

impl FileJudging<'_> {
    /// One item: a valid row written down for the second pass, a problem gathered, or under
    /// `--skip-invalid` a row set aside.
    fn take(
        &mut self,
        item: Item,
        judgement: Option<Judgement>,
        header: &[String],
    ) -> ControlFlow<()> {
        let problem = match (item, judgement) {
            (Item::Problem(p), _) => p,
            (Item::Invalid(row), _) => {
                return match self.aside.as_mut().map(|a| a.invalid(header, &row)) {
                    Some(Err(e)) => self.cannot_set_aside(&e),
                    _ => ControlFlow::Continue(()),
                };
            }
            (Item::Row(notice), judgement) => match self.row_problem(&notice, judgement) {
                Some(problem) => match (self.aside.as_mut(), notice.line, &notice.raw) {
                    (Some(aside), Some(line), Some(cells)) => {
                        if let Err(e) = aside.refused(header, line, cells, &problem) {
                            return self.cannot_set_aside(&e);
                        }
                        as_warning(problem)
                    }
                    _ => problem,
                },
                None => return ControlFlow::Continue(()),
            },
        };
        let problem = match self.aside.as_mut() {
            Some(aside) if problem.is_error() => match aside.problem(problem) {
                Placed::Row(warning) => warning,
                Placed::Nowhere(error) => error,
            },
            _ => problem,
        };
        self.problems.add(problem);
        ControlFlow::Continue(())
    }

    /// The rejects could not be written: the run stops before anything is sent.
    fn cannot_set_aside(&mut self, e: &std::io::Error) -> ControlFlow<()> {
        self.rejects_failed = Some(e.to_string());
        ControlFlow::Break(())
    }

    /// A row's problem, if it has one; else the row is written down as valid.
    fn row_problem(&mut self, notice: &Notice, judgement: Option<Judgement>) -> Option<Problem> {
        if let Some((column, what)) = other_platform(notice, self.plan, self.platform) {
            return Some(Problem::error(
                self.file,
                notice.line,
                column,
                format!(
                    "{what}: a row goes to the platform and channel it was exported from \
                     (pass --env or --base-url, and --policy-source, for those)"
                ),
            ));
        }
        let (decision, recorded) = judgement?;
        if let Some(message) = decision.problem(&notice.policy_no) {
            return Some(Problem::error(self.file, notice.line, "orderNo", message));
        }
        let skip = match (&decision, &recorded) {
            (Decision::Skip { accepted_order_no }, Some(r)) => Some(Skip {
                order_no: accepted_order_no,
                deal_code: r.deal_code.as_deref(),
                deal_desc: r.deal_desc.as_deref(),
            }),
            _ => None,
        };
        self.notes.row(notice, skip);
        self.measure.row(self.plan, notice, &decision);
        None
    }

    /// Every problem said; the run refused if any is an error.
    fn finish(
        mut self,
        console: &Console,
        arg: &str,
    ) -> Result<(Measure, Notes, Option<Rejects>), Refusal> {
        if let Some(e) = &self.rejects_failed {
            return Err(Refusal::Output(format!(
                "could not write the rejects: {e}; nothing was sent"
            )));
        }
        if self.aside.as_ref().is_some_and(SetAside::unplaced) {
            // Errors whose row never came: they stop the run like any other.
            self.problems.add(Problem::error(
                self.file,
                None,
                "",
                "a row's errors came without the row; it cannot be set aside".to_owned(),
            ));
        }
        // Display leaves the severity to the console's label: one "warning:".
        let errors = input::report_problems(&self.problems, arg, |severity, line| match severity {
            Severity::Error => console.error(line),
            Severity::Warning => console.warn(line),
        });
        if errors > 0 {
            return Err(refuse!(
                Input,
                "{errors} problem(s) in {}; nothing was sent (`avatar-cli validate {arg}` lists them again)",
                self.file
            ));
        }
        let rejects = self.aside.map(|aside| {
            self.measure.set_aside = aside.rows();
            let (rejects, lines) = aside.into_parts();
            self.notes.set_aside(lines);
            rejects
        });
        if self.measure.valid == 0 && self.measure.set_aside == 0 {
            // A day without cancellations is normal, but an export that came out empty by
            // mistake looks just the same: say so rather than finish in silence.
            console.warn(&format!("{}: no notices in it", escape_controls(self.file)));
        }
        Ok((self.measure, self.notes, rejects))
    }
}

/// What the first pass measured of the valid rows: how many there are, how many of them are
/// to be sent, and the widest policy number and orderNo the result lines will show, in cells.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Measure {
    pub valid: u64,
    pub to_send: u64,
    /// Rows set aside under `--skip-invalid`.
    pub set_aside: u64,
    pub policy: usize,
    pub order: usize,
}

impl Measure {
    fn row(&mut self, plan: &RunPlan, notice: &Notice, decision: &Decision) {
        self.valid += 1;
        if decision.sends().is_some() {
            self.to_send += 1;
        }
        self.policy = self.policy.max(cells(&notice.policy_no));
        self.order = self.order.max(order_no_cells(plan, decision));
    }
}

fn cells(text: &str) -> usize {
    crate::text::width(&escape_controls(text))
}

/// The width of the orderNo a row's result will show.
fn order_no_cells(plan: &RunPlan, decision: &Decision) -> usize {
    match decision {
        Decision::Send(OrderNo::Generate)
        | Decision::Correct {
            order_no: OrderNo::Generate,
            ..
        } => plan
            .order_no_prefix_when_generating
            .as_deref()
            .map_or(0, |prefix| cells(prefix) + GENERATED_SUFFIX),
        Decision::Send(OrderNo::Given(o) | OrderNo::Recorded(o))
        | Decision::Correct {
            order_no: OrderNo::Given(o) | OrderNo::Recorded(o),
            ..
        }
        | Decision::Skip {
            accepted_order_no: o,
        }
        | Decision::SkipRejected(Rejection { order_no: o, .. }) => cells(o),
        _ => 0,
    }
}

/// What a row says of its platform or channel that this run is not: the column and what it
/// names. A `history` export carries both, and sending it to another platform would send
/// one platform's notices to the other.
fn other_platform(
    notice: &Notice,
    plan: &RunPlan,
    platform: &str,
) -> Option<(&'static str, String)> {
    let named = notice.platform.as_deref()?;
    if let Some(endpoint) = &named.endpoint {
        let key = crate::base_url::normalize(endpoint).unwrap_or_else(|_| endpoint.clone());
        if key != plan.endpoint {
            let what = format!(
                "the row is for {}, but this run sends to {platform}",
                escape_controls(&key)
            );
            return Some(("endpoint", what));
        }
    }
    match &named.policy_source {
        Some(channel) if *channel != plan.policy_source => Some((
            "policySource",
            format!(
                "the row is for channel {}, but this run's channel is {}",
                escape_controls(channel),
                plan.policy_source
            ),
        )),
        _ => None,
    }
}

/// An input problem on stderr, as `validate` words it; true when it is an error.
pub(super) fn show(console: &Console, problem: &Problem) -> bool {
    match problem.severity {
        Severity::Error => {
            console.error(&problem.to_string());
            true
        }
        // Display leaves the severity to the console's label: one "warning:".
        Severity::Warning => {
            console.warn(&problem.to_string());
            false
        }
    }
}
