//! Physical line numbers for CSV records. The csv crate's own `position().line()` is wrong
//! for CRLF files (every record after the first is off) and after blank lines, and Excel
//! writes CRLF; so the bytes are watched on their way into the parser instead.

use std::collections::VecDeque;
use std::io::{self, Read};

/// Passes bytes through, remembering where each line's first non-terminator byte is. A line
/// ends at `\n`, `\r\n` or a lone `\r`, as it does for the CSV parser.
pub(crate) struct LineTracker<R> {
    inner: R,
    /// Offset of the next byte to arrive.
    offset: u64,
    /// The line that byte is on.
    line: u64,
    /// A `\r` was the last byte: it ends a line, once we know whether a `\n` belongs to it.
    pending_cr: bool,
    at_line_start: bool,
    /// (offset, line) of line starts that the parser may not have reached yet: at most what
    /// its read-ahead buffer holds.
    starts: VecDeque<(u64, u64)>,
}

impl<R> LineTracker<R> {
    pub fn new(inner: R) -> Self {
        LineTracker {
            inner,
            offset: 0,
            line: 1,
            pending_cr: false,
            at_line_start: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of a record whose parse began at `byte`. The parser reports the offset just
    /// after the previous record's first terminator byte, so the record itself starts at the
    /// first line with content at or after it.
    pub fn line_of(&mut self, byte: u64) -> Option<u64> {
        while self
            .starts
            .front()
            .is_some_and(|&(offset, _)| offset < byte)
        {
            self.starts.pop_front();
        }
        self.starts.front().map(|&(_, line)| line)
    }

    fn scan(&mut self, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            if self.pending_cr {
                self.pending_cr = false;
                self.line += 1;
                self.at_line_start = true;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' => {
                    self.line += 1;
                    self.at_line_start = true;
                }
                b'\r' => self.pending_cr = true,
                _ if self.at_line_start => {
                    self.at_line_start = false;
                    self.starts.push_back((self.offset + i as u64, self.line));
                }
                _ => {}
            }
        }
        self.offset += bytes.len() as u64;
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record's first cell and line, read through the csv crate as `csv.rs` does.
    fn lines(data: &str) -> Vec<(String, u64)> {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(4)
            .from_reader(LineTracker::new(data.as_bytes()));
        let mut record = ::csv::ByteRecord::new();
        let mut out = Vec::new();
        while reader.read_byte_record(&mut record).unwrap() {
            let byte = record.position().unwrap().byte();
            let line = reader.get_mut().line_of(byte).unwrap();
            out.push((String::from_utf8_lossy(&record[0]).into_owned(), line));
        }
        out
    }

    fn only_lines(data: &str) -> Vec<u64> {
        lines(data).into_iter().map(|(_, l)| l).collect()
    }

    #[test]
    fn every_line_ending_and_blank_lines_count() {
        assert_eq!(only_lines("a\nb\n\nc\n"), [1, 2, 4]);
        assert_eq!(only_lines("a\r\nb\r\n\r\nc\r\n"), [1, 2, 4]);
        assert_eq!(only_lines("a\rb\r\rc"), [1, 2, 4]);
        assert_eq!(only_lines("\r\n\r\na,\"\r\n\"\r\n\r\nb\r\n"), [3, 6]);
        assert_eq!(only_lines("a\n\"x\ny\nz\"\n\nc\n"), [1, 2, 6]);
        assert_eq!(only_lines("a\n,x\n \nb"), [1, 2, 3, 4]);
    }
}
