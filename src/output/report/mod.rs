//! `--report FILE`: one row per input row, as results arrive, put in input order at the end.

use crate::error::Refusal;
use crate::notice::{NoticeResult, REPORT_COLUMNS};
use crate::protocol::RefundDetails;
use crate::refuse;
use crate::text::{escape_controls, quote};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The input row's own fields in a CSV report, after policyNo and orderNo and before the
/// outcome, named as the input's columns are.
const INPUT_COLUMNS: [(&str, InputCell); 3] = [
    ("secondRefundAmount", |d| opt(d.amount.as_ref())),
    ("secondRefundDate", |d| opt(d.refund_date.as_ref())),
    ("secondRefundStatus", |d| opt(d.status.as_ref())),
];

/// Where the input columns stand among [`REPORT_COLUMNS`]: after line, policyNo, orderNo.
const INPUT_COLUMNS_AT: usize = 3;

type InputCell = fn(&RefundDetails) -> String;

fn opt(v: Option<&impl ToString>) -> String {
    v.map(ToString::to_string).unwrap_or_default()
}

/// What Excel needs to read a CSV as UTF-8 rather than the machine's code page (GB18030 on a
/// Chinese Windows, where 成功 would show as mojibake).
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// `--report FILE`: one row per input row, flushed as results arrive (so a killed run leaves
/// what it did), then put in input order by [`Report::finish`].
pub struct Report {
    path: PathBuf,
    writer: ReportWriter,
    /// Bytes before the first row: the BOM and header of a CSV report.
    head_len: u64,
}

enum ReportWriter {
    Csv(Box<csv::Writer<File>>),
    Jsonl(BufWriter<File>),
}

/// The report could be created but not written: an output failure (exit 3), not a usage error.
#[derive(Debug, thiserror::Error)]
#[error("could not write the report {path}: {reason}; nothing was sent")]
pub struct ReportUnwritable {
    pub path: String,
    pub reason: String,
}

impl Report {
    /// Refuses a report path that is not a regular file (a FIFO would block the run before
    /// it starts, a device or directory is no place for rows), or that is the input (a file,
    /// or what stdin reads when `input` is `None`), the journal or one of the files SQLite
    /// keeps beside it: creating the report would truncate it. Paths are compared as the
    /// system will resolve them ([`resolve`]), so no symbolic link (dangling ones included),
    /// `..` or file not created yet leads the report onto them. Checked before anything is
    /// created.
    pub fn check_target(
        path: &Path,
        input: Option<&Path>,
        journal: Option<&Path>,
    ) -> Result<(), Refusal> {
        let shown = quote(&path.display().to_string());
        let report = resolve(path);
        if let Ok(meta) = std::fs::metadata(&report) {
            if !meta.is_file() {
                return Err(refuse!(
                    Usage,
                    "--report {shown}: that is {}, not a regular file; name a file for the report",
                    crate::settings::file_kind(&meta)
                ));
            }
        }
        let refuse = |what: &str, other: &Path| {
            refuse!(
                Usage,
                "--report {shown}: that is {what} {}, which the report would overwrite; choose another report file",
                quote(&other.display().to_string())
            )
        };
        match input {
            Some(input) if is_same(&report, input) => return Err(refuse("the input file", input)),
            Some(_) => {}
            None => {
                if let (Some(stdin), Some(report)) = (stdin_identity(), identity(&report)) {
                    if stdin == report {
                        return Err(refuse!(
                            Usage,
                            "--report {shown}: that is the file standard input reads, which the report would overwrite; choose another report file"
                        ));
                    }
                }
            }
        }
        if let Some(journal) = journal {
            // SQLite names its side files after the journal's resolved path; the names as
            // given are checked too.
            let resolved = resolve(journal);
            for suffix in ["", "-wal", "-shm", "-journal"] {
                for base in [journal, resolved.as_path()] {
                    let file = side_file(base, suffix);
                    if is_same(&report, &file) {
                        return Err(refuse("the journal file", &file));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn create(path: &Path) -> Result<Report, Refusal> {
        let file = File::create(path)
            .map_err(|e| refuse!(Usage, "--report {}: cannot create it: {e}", path.display()))?;
        let writer = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("jsonl"))
        {
            ReportWriter::Jsonl(BufWriter::new(file))
        } else {
            let mut file = file;
            let bom = file.write_all(UTF8_BOM);
            let mut writer = csv::Writer::from_writer(file);
            let mut names: Vec<&str> = REPORT_COLUMNS.iter().map(|(name, _)| *name).collect();
            names.splice(
                INPUT_COLUMNS_AT..INPUT_COLUMNS_AT,
                INPUT_COLUMNS.iter().map(|(name, _)| *name),
            );
            let header = bom
                .and_then(|()| writer.write_record(names).map_err(io::Error::from))
                .and_then(|()| writer.flush());
            if let Err(e) = header {
                return Err(ReportUnwritable {
                    path: quote(&path.display().to_string()),
                    reason: e.to_string(),
                }
                .into());
            }
            ReportWriter::Csv(Box::new(writer))
        };
        let head_len = match &writer {
            ReportWriter::Csv(w) => {
                let mut file: &File = w.get_ref();
                file.stream_position().unwrap_or(0)
            }
            ReportWriter::Jsonl(_) => 0,
        };
        Ok(Report {
            path: path.to_path_buf(),
            writer,
            head_len,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One result, with the input row's fields it was sent with.
    pub fn write(&mut self, r: &NoticeResult, details: &RefundDetails) -> io::Result<()> {
        match &mut self.writer {
            ReportWriter::Jsonl(w) => {
                serde_json::to_writer(&mut *w, r)?;
                w.write_all(b"\n")?;
                w.flush()
            }
            ReportWriter::Csv(w) => {
                let mut cells: Vec<String> = REPORT_COLUMNS.iter().map(|(_, c)| c(r)).collect();
                cells.splice(
                    INPUT_COLUMNS_AT..INPUT_COLUMNS_AT,
                    INPUT_COLUMNS.iter().map(|(_, c)| c(details)),
                );
                // A CSV is read with `cat` as often as with a spreadsheet: each cell shows its
                // controls escaped, as a text line does.
                let cells: Vec<_> = cells
                    .iter()
                    .map(|c| inert_cell(&escape_controls(c)).into_owned())
                    .collect();
                w.write_record(cells.iter().map(|c| c.as_bytes()))?;
                w.flush()
            }
        }
    }
}

impl Report {
    /// Puts the rows in input order (by their line; rows without one, from `send`, keep the
    /// order they ended in). Results arrive in the order notices end, which with several
    /// workers is not the file's; a person compares the report with the file side by side.
    /// The rows are not held in memory: an index of (line, offset, length) is sorted and the
    /// rows copied into a new file that then replaces the report. Only a regular file is
    /// rewritten (not `/dev/stdout` or a FIFO).
    pub fn finish(self) -> io::Result<()> {
        let Report {
            path,
            writer,
            head_len,
        } = self;
        let csv = matches!(writer, ReportWriter::Csv(_));
        drop(writer);
        if !std::fs::metadata(&path)?.is_file() {
            return Ok(());
        }
        let file = File::open(&path)?;
        let rows = if csv {
            csv_rows(&file, head_len)?
        } else {
            jsonl_rows(&file)?
        };
        if rows.is_sorted_by_key(|r| r.line) {
            return Ok(());
        }
        let mut rows = rows;
        rows.sort_by_key(|r| r.line);
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut sorted = tempfile::NamedTempFile::new_in(dir)?;
        {
            let mut out = BufWriter::new(sorted.as_file_mut());
            let mut buf = vec![0; usize::try_from(head_len).unwrap_or(0)];
            file.read_exact_at(&mut buf, 0)?;
            out.write_all(&buf)?;
            for row in &rows {
                buf.resize(row.len as usize, 0);
                file.read_exact_at(&mut buf, row.start)?;
                out.write_all(&buf)?;
            }
            out.flush()?;
        }
        sorted
            .as_file()
            .set_permissions(std::fs::metadata(&path)?.permissions())?;
        sorted.persist(&path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// One row of a written report: its input line (rows without one last) and its bytes.
struct RowAt {
    line: u64,
    start: u64,
    len: u32,
}

fn csv_rows(file: &File, head_len: u64) -> io::Result<Vec<RowAt>> {
    let mut reader = BufReader::new(file);
    reader.seek(io::SeekFrom::Start(head_len))?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut rows = Vec::new();
    loop {
        let start = csv.position().byte();
        if !csv.read_byte_record(&mut record).map_err(io::Error::from)? {
            break;
        }
        let end = csv.position().byte();
        rows.push(RowAt {
            line: line_key(record.get(0).unwrap_or_default()),
            start: head_len + start,
            len: u32::try_from(end - start).unwrap_or(u32::MAX),
        });
    }
    Ok(rows)
}

fn jsonl_rows(file: &File) -> io::Result<Vec<RowAt>> {
    #[derive(serde::Deserialize)]
    struct Line {
        line: Option<u64>,
    }
    let mut reader = BufReader::new(file);
    let mut rows = Vec::new();
    let mut start = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        let line = serde_json::from_slice::<Line>(&buf)
            .ok()
            .and_then(|l| l.line)
            .unwrap_or(u64::MAX);
        rows.push(RowAt {
            line,
            start,
            len: u32::try_from(n).unwrap_or(u32::MAX),
        });
        start += n as u64;
    }
    Ok(rows)
}

/// A row's line number; a row without one (from `send`) sorts after those with one.
fn line_key(cell: &[u8]) -> u64 {
    std::str::from_utf8(cell)
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(u64::MAX)
}

/// A spreadsheet reads a cell starting with one of these as a formula; a leading `'` makes it
/// text. The server's dealDesc is not ours to trust.
fn inert_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// Device and inode, for "is this the same file".
fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// What standard input reads, when it is a regular file (`< input.csv`).
fn stdin_identity() -> Option<(u64, u64)> {
    use std::os::fd::AsFd;
    let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = File::from(fd).metadata().ok()?;
    meta.is_file().then(|| (meta.dev(), meta.ino()))
}

/// `base` with `suffix` appended to its file name, as SQLite names the journal's side files.
fn side_file(base: &Path, suffix: &str) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether the resolved report path `report` is `other`: the same path once `other` is
/// resolved too, or the same existing file under another name (a hard link).
fn is_same(report: &Path, other: &Path) -> bool {
    let other = resolve(other);
    if *report == other {
        return true;
    }
    matches!((identity(report), identity(&other)), (Some(a), Some(b)) if a == b)
}

/// How many symbolic links one resolution follows before it stops, as the kernel does
/// (`ELOOP`); the path is then compared as far as it got.
const MAX_LINKS: usize = 40;

/// `path` as the system will resolve it when the file is opened or created: absolute, every
/// symbolic link followed, a dangling one too (creating the file creates its target), `.` and
/// `..` taken where they stand after each link. What does not exist yet is kept as written.
fn resolve(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    // Components still to walk, the next one last.
    let mut todo: Vec<std::ffi::OsString> = Vec::new();
    let push = |todo: &mut Vec<std::ffi::OsString>, p: &Path| {
        for c in p.components().rev() {
            match c {
                Component::RootDir => todo.push("/".into()),
                Component::ParentDir => todo.push("..".into()),
                Component::Normal(name) => todo.push(name.to_owned()),
                Component::CurDir | Component::Prefix(_) => {}
            }
        }
    };
    push(&mut todo, &absolute);
    let mut out = PathBuf::from("/");
    let mut links = 0;
    while let Some(name) = todo.pop() {
        if name == "/" {
            out = PathBuf::from("/");
            continue;
        }
        if name == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&name);
        let is_link = std::fs::symlink_metadata(&next).is_ok_and(|m| m.file_type().is_symlink());
        match std::fs::read_link(&next) {
            Ok(target) if is_link && links < MAX_LINKS => {
                links += 1;
                // Relative targets are read from the link's directory, which `out` still is.
                push(&mut todo, &target);
            }
            _ => out = next,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolving_follows_links_dangling_ones_too_and_takes_dots_after_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = resolve(dir.path());
        let at = |name: &str| root.join(name);
        std::fs::create_dir(at("sub")).unwrap();
        std::os::unix::fs::symlink("j.db-wal", at("dangling")).unwrap();
        std::os::unix::fs::symlink("dangling", at("chain")).unwrap();
        std::os::unix::fs::symlink(at("sub"), at("to-sub")).unwrap();
        std::os::unix::fs::symlink("loop", at("loop")).unwrap();
        assert_eq!(resolve(&at("dangling")), at("j.db-wal"));
        assert_eq!(resolve(&at("chain")), at("j.db-wal"));
        assert_eq!(resolve(&at("sub/../j.db-shm")), at("j.db-shm"));
        assert_eq!(resolve(&at("to-sub/./x")), at("sub/x"));
        // `..` after a link is taken in the link's target.
        std::fs::create_dir(at("sub/deeper")).unwrap();
        std::os::unix::fs::symlink(at("sub/deeper"), at("to-deeper")).unwrap();
        assert_eq!(resolve(&at("to-deeper/../y")), at("sub/y"));
        assert_eq!(resolve(&at("not-yet/z")), at("not-yet/z"));
        // A loop ends, as the kernel's does.
        assert_eq!(resolve(&at("loop")), at("loop"));
    }
}
