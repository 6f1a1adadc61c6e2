//! `batch --skip-invalid --rejects FILE`: the rows set aside, each as the input had it (its
//! cells as read) with a `problem` column saying what to fix, so that the file can be
//! corrected and sent with `batch` on its own. CSV (UTF-8 with a BOM, for Excel), or a
//! workbook when FILE ends in `.xlsx`.
//!
//! Written while the first pass reads, into a temporary file beside FILE; put in place only
//! when the run goes ahead, so that a refused, declined or dry run leaves no rejects behind
//! (nor changes an earlier one).

use super::workbook::{ReportCell, ResultsWorkbook};
use crate::error::{refuse, Refusal};
use crate::text::{escape_controls, quote};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// The column that says what is wrong with a row.
pub const PROBLEM_COLUMN: &str = "problem";

/// Where the rows set aside go.
pub struct Rejects {
    path: PathBuf,
    /// The rows so far, beside `path`.
    partial: NamedTempFile,
    out: Out,
    rows: u64,
}

enum Out {
    /// Until the header is known (the first row set aside, or the pass's end).
    Waiting,
    Csv(Box<csv::Writer<File>>),
    Workbook(Box<ResultsWorkbook>),
}

impl Rejects {
    /// Checks FILE like a report's (a regular file, not the input, not the journal) and
    /// opens its temporary file beside it.
    pub fn create(
        path: &Path,
        input: Option<&Path>,
        journal: Option<&Path>,
    ) -> Result<Rejects, Refusal> {
        super::report::check_target(("--rejects", "rejects"), path, input, journal)?;
        let shown = quote(&path.display().to_string());
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        // Made as `> FILE` would make it (the umask applies), not for the owner alone.
        let partial = tempfile::Builder::new()
            .prefix(".avatar-rejects")
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(dir)
            .map_err(|e| refuse!(Usage, "--rejects {shown}: cannot write beside it: {e}"))?;
        Ok(Rejects {
            path: path.to_path_buf(),
            partial,
            out: Out::Waiting,
            rows: 0,
        })
    }

    fn is_workbook(&self) -> bool {
        self.path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
    }

    /// The header: the input's column names and [`PROBLEM_COLUMN`]. Once.
    fn begin(&mut self, header: &[String]) -> io::Result<()> {
        if !matches!(self.out, Out::Waiting) {
            return Ok(());
        }
        let mut names: Vec<&str> = header.iter().map(String::as_str).collect();
        names.push(PROBLEM_COLUMN);
        self.out = if self.is_workbook() {
            let dir = self.partial.path().parent().unwrap_or(Path::new("."));
            let book = ResultsWorkbook::new(dir, "rejects", &names).map_err(io::Error::other)?;
            Out::Workbook(Box::new(book))
        } else {
            let mut file = self.partial.reopen()?;
            // Excel reads a CSV as UTF-8 only with it.
            file.write_all(b"\xef\xbb\xbf")?;
            let mut out = csv::WriterBuilder::new().flexible(true).from_writer(file);
            out.write_record(&names)?;
            Out::Csv(Box::new(out))
        };
        Ok(())
    }

    /// One row set aside: its cells as read and what is wrong with it. `header` is the
    /// input's, known once its first row has been read.
    pub fn row(&mut self, header: &[String], cells: &[String], problem: &str) -> io::Result<()> {
        self.begin(header)?;
        let problem = escape_controls(problem);
        match &mut self.out {
            Out::Csv(out) => {
                for cell in cells {
                    out.write_field(cell)?;
                }
                out.write_field(problem.as_bytes())?;
                out.write_record(None::<&[u8]>)?;
            }
            Out::Workbook(book) => {
                let mut row: Vec<ReportCell<'_>> =
                    cells.iter().map(|c| ReportCell::Text(c)).collect();
                // A row wider than the header keeps its problem in the last column.
                row.resize(header.len(), ReportCell::Empty);
                row.push(ReportCell::Text(&problem));
                book.row(&row).map_err(io::Error::other)?;
            }
            Out::Waiting => return Err(io::Error::other("the header is written first")),
        }
        self.rows += 1;
        Ok(())
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts FILE in place (the header alone when no row was set aside, so that an earlier
    /// run's rejects never pass for this one's).
    pub fn keep(mut self, header: &[String], input: &str) -> Result<(), Refusal> {
        let shown = quote(&self.path.display().to_string());
        let unwritable = |e: &dyn std::fmt::Display| {
            Refusal::Output(format!(
                "could not write the rejects {shown}: {e}; nothing was sent"
            ))
        };
        self.begin(header).map_err(|e| unwritable(&e))?;
        match std::mem::replace(&mut self.out, Out::Waiting) {
            Out::Csv(mut out) => out.flush().map_err(|e| unwritable(&e))?,
            Out::Workbook(book) => {
                let rows = i64::try_from(self.rows).unwrap_or(i64::MAX);
                let about = [
                    ("input", ReportCell::Text(input)),
                    ("rows set aside", ReportCell::Integer(rows)),
                ];
                book.save(self.partial.path(), "about", &about)
                    .map_err(|e| unwritable(&e))?;
            }
            Out::Waiting => {}
        }
        self.partial
            .persist(&self.path)
            .map_err(|e| unwritable(&e.error))?;
        Ok(())
    }
}
