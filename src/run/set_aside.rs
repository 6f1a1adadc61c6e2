//! `batch --skip-invalid`: in the first pass, a row with errors is set aside (written to the
//! rejects with what is wrong with it) instead of stopping the whole file; the second pass
//! then passes over the lines set aside. Problems that belong to no row (a missing column, an
//! unreadable file) still stop the run: there is no row to set aside.

use crate::input::{InvalidRow, Problem, Severity};
use crate::output::Rejects;
use std::collections::BTreeSet;

/// The rows set aside so far, and the errors of the row being read (they come before it).
pub(crate) struct SetAside {
    rejects: Rejects,
    lines: BTreeSet<u64>,
    pending: Option<(u64, Vec<String>)>,
}

/// A problem as the rejects' `problem` column says it: `column: message`.
fn said(problem: &Problem) -> String {
    if problem.column.name.is_empty() {
        problem.message.clone()
    } else {
        format!("{}: {}", problem.column, problem.message)
    }
}

/// A row's error, said as a warning: the row is set aside, not the run stopped.
pub(super) fn as_warning(mut problem: Problem) -> Problem {
    problem.severity = Severity::Warning;
    problem.message = format!("{} (set aside)", problem.message);
    problem
}

/// What the first pass does with an error, under `--skip-invalid`.
pub(super) enum Placed {
    /// It is a row's: said as a warning, and the row goes to the rejects when it comes.
    Row(Problem),
    /// It belongs to no row (or to one whose cells never came): it stops the run.
    Nowhere(Problem),
}

impl SetAside {
    pub fn new(rejects: Rejects) -> SetAside {
        SetAside {
            rejects,
            lines: BTreeSet::new(),
            pending: None,
        }
    }

    /// An error met in the first pass; a warning passes through untouched.
    pub fn problem(&mut self, problem: Problem) -> Placed {
        let Some(line) = problem.line.filter(|_| problem.severity == Severity::Error) else {
            return Placed::Nowhere(problem);
        };
        let said = said(&problem);
        match &mut self.pending {
            Some((at, said_before)) if *at == line => said_before.push(said),
            // The previous row's errors were never followed by its cells.
            Some(_) => return Placed::Nowhere(problem),
            None => self.pending = Some((line, vec![said])),
        }
        Placed::Row(as_warning(problem))
    }

    /// The invalid row itself, after its errors: to the rejects.
    pub fn invalid(&mut self, header: &[String], row: &InvalidRow) -> std::io::Result<()> {
        let said = match self.pending.take() {
            Some((line, said)) if line == row.line => said.join("; "),
            _ => "invalid".to_owned(),
        };
        self.write(header, row.line, &row.cells, &said)
    }

    /// A row the input's checks passed but the run cannot send (the rule's verdict against
    /// the journal, another platform): to the rejects with that reason.
    pub fn refused(
        &mut self,
        header: &[String],
        line: u64,
        cells: &[String],
        problem: &Problem,
    ) -> std::io::Result<()> {
        self.write(header, line, cells, &said(problem))
    }

    fn write(
        &mut self,
        header: &[String],
        line: u64,
        cells: &[String],
        said: &str,
    ) -> std::io::Result<()> {
        self.lines.insert(line);
        self.rejects.row(header, cells, said)
    }

    /// Whether every row's errors were followed by the row.
    pub fn unplaced(&self) -> bool {
        self.pending.is_some()
    }

    pub fn rows(&self) -> u64 {
        self.rejects.rows()
    }

    /// The rejects, and the lines the second pass passes over.
    pub fn into_parts(self) -> (Rejects, BTreeSet<u64>) {
        (self.rejects, self.lines)
    }
}
