//! The first pass's problems as `batch` shows them: a problem repeated on many rows said once
//! with a count, and the list cut after [`SHOWN_PROBLEMS`] lines. `validate` is the command
//! that lists every problem; `batch` points there.

use super::{Problem, Severity};
use crate::text::escape_controls;
use std::collections::HashMap;

/// Lines of problems `batch` shows before "… and N more".
pub const SHOWN_PROBLEMS: usize = 50;

/// Problems gathered during a pass, in the order they first appeared. Holds at most `limit`
/// kinds of problem, whatever the size of the file; the rest are only counted.
#[derive(Debug)]
pub struct ProblemReport {
    limit: usize,
    entries: Vec<Entry>,
    index: HashMap<(Severity, String, String), usize>,
    hidden: u64,
    errors: u64,
}

#[derive(Debug)]
struct Entry {
    first: Problem,
    count: u64,
    last_line: Option<u64>,
    /// Every repeat had exactly the first one's text.
    same_text: bool,
}

impl ProblemReport {
    pub fn new(limit: usize) -> Self {
        ProblemReport {
            limit,
            entries: Vec::new(),
            index: HashMap::new(),
            hidden: 0,
            errors: 0,
        }
    }

    pub fn add(&mut self, problem: Problem) {
        if problem.is_error() {
            self.errors += 1;
        }
        let key = (
            problem.severity,
            problem.column.name.clone(),
            shape(&problem.message),
        );
        if let Some(&at) = self.index.get(&key) {
            let entry = &mut self.entries[at];
            entry.count += 1;
            entry.last_line = problem.line.or(entry.last_line);
            entry.same_text &= entry.first.message == problem.message;
        } else if self.entries.len() < self.limit {
            self.index.insert(key, self.entries.len());
            self.entries.push(Entry {
                last_line: problem.line,
                first: problem,
                count: 1,
                same_text: true,
            });
        } else {
            self.hidden += 1;
        }
    }

    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// The lines to show, each with its severity.
    fn lines(&self, file_arg: &str) -> Vec<(Severity, String)> {
        let mut out: Vec<_> = self
            .entries
            .iter()
            .map(|e| (e.first.severity, e.describe()))
            .collect();
        if self.hidden > 0 {
            let severity = if self.errors > 0 {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.push((
                severity,
                format!(
                    "… and {} more (`avatar-cli validate {}` lists all)",
                    self.hidden,
                    escape_controls(file_arg)
                ),
            ));
        }
        out
    }
}

impl Entry {
    fn describe(&self) -> String {
        if self.count == 1 {
            return self.first.to_string();
        }
        let (first, last) = (self.first.line, self.last_line);
        // A workbook's rows are spreadsheet rows, not lines of text.
        let noun = if self.first.column.sheet.is_some() {
            "row"
        } else {
            "line"
        };
        let span = match (first, last) {
            (Some(a), Some(b)) => format!(", from {noun} {a} to {noun} {b}"),
            _ => String::new(),
        };
        if self.same_text {
            // One problem on many rows: no single line to point at.
            let whole = Problem {
                line: None,
                message: format!("{} (on {} rows{span})", self.first.message, self.count),
                ..self.first.clone()
            };
            whole.to_string()
        } else {
            let until = last
                .map(|l| format!(", up to {noun} {l}"))
                .unwrap_or_default();
            let more = self.count - 1;
            let rows = if more == 1 { "row" } else { "rows" };
            format!("{} (and {more} more {rows} like it{until})", self.first)
        }
    }
}

/// A message with its row-specific words (policy and line numbers: an unquoted word with a
/// digit) blanked, so "no orderNo for policy P1" and "… P2" count as one problem. A quoted
/// value is the user's data, what is wrong: '1.234' and '-3' stay two problems.
fn shape(message: &str) -> String {
    message
        .split(' ')
        .map(|word| {
            if !word.starts_with('\'') && word.bytes().any(|b| b.is_ascii_digit()) {
                "#"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shows a pass's problems through `show` (severity, line) and gives back how many errors
/// there were, shown or not. `file_arg` is the input as the user named it.
pub fn report_problems(
    report: &ProblemReport,
    file_arg: &str,
    mut show: impl FnMut(Severity, &str),
) -> u64 {
    for (severity, line) in report.lines(file_arg) {
        show(severity, &line);
    }
    report.errors()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(report: &ProblemReport) -> Vec<String> {
        report.lines("a.csv").into_iter().map(|(_, l)| l).collect()
    }

    #[test]
    fn the_same_problem_on_every_row_is_said_once() {
        let mut r = ProblemReport::new(SHOWN_PROBLEMS);
        for line in 2..=401 {
            r.add(Problem::error(
                "a.csv",
                Some(line),
                "orderNo",
                "no order number",
            ));
        }
        assert_eq!(
            lines(&r),
            ["a.csv: orderNo: no order number (on 400 rows, from line 2 to line 401)"]
        );
        assert_eq!(r.errors(), 400);
    }

    #[test]
    fn problems_that_differ_only_by_the_row_are_said_once_with_the_first() {
        let mut r = ProblemReport::new(SHOWN_PROBLEMS);
        r.add(Problem::warning("a.csv", Some(1), "x", "unknown column"));
        for line in 2..=4 {
            let message = format!("no orderNo for policy P{line}: pass one");
            r.add(Problem::error("a.csv", Some(line), "orderNo", message));
        }
        r.add(Problem::error("a.csv", Some(5), "amount", "'x' is bad"));
        assert_eq!(
            lines(&r),
            [
                "a.csv:1: x: unknown column",
                "a.csv:2: orderNo: no orderNo for policy P2: pass one (and 2 more rows like it, up to line 4)",
                "a.csv:5: amount: 'x' is bad",
            ]
        );
        assert_eq!(r.errors(), 4);
    }

    #[test]
    fn a_long_list_stops_after_the_limit() {
        let mut r = ProblemReport::new(SHOWN_PROBLEMS);
        for line in 2..=121 {
            r.add(Problem::error(
                "a.csv",
                Some(line),
                "amount",
                format!("'{line}' is bad"),
            ));
        }
        let shown = lines(&r);
        assert_eq!(shown.len(), SHOWN_PROBLEMS + 1);
        assert_eq!(
            shown[SHOWN_PROBLEMS],
            "… and 70 more (`avatar-cli validate a.csv` lists all)"
        );
        assert_eq!(r.errors(), 120);
    }
}
