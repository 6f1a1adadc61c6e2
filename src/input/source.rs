//! Getting at the bytes: opening a path, spooling standard input so it can be read twice,
//! choosing the text encoding, and the decoding reader every pass reads through.

use super::{Encoding, InputError};
use encoding_rs_io::DecodeReaderBytesBuilder;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::SystemTime;

/// Big reads: a million-row file is tens of megabytes.
pub(crate) const BUFFER_SIZE: usize = 256 * 1024;

/// The input, held open from the moment it is named: every pass reads these same bytes, even
/// if the path is replaced meanwhile, and an edit in place is noticed (see `check_unchanged`).
#[derive(Debug)]
pub(crate) struct Backing {
    file: File,
    stamp: Stamp,
}

/// Enough to notice that a file was written to between (or during) passes.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(file: &File) -> io::Result<Stamp> {
        let meta = file.metadata()?;
        Ok(Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }
}

impl Backing {
    pub fn path(path: &Path, name: &str) -> Result<Backing, InputError> {
        let open_error = |source| InputError::Open {
            path: name.to_owned(),
            source,
        };
        let file = File::open(path).map_err(open_error)?;
        // Opening a directory succeeds on Unix; reading it is what fails, more vaguely.
        if file.metadata().map_err(open_error)?.is_dir() {
            return Err(InputError::IsDirectory {
                path: name.to_owned(),
            });
        }
        let stamp = Stamp::of(&file).map_err(open_error)?;
        Ok(Backing { file, stamp })
    }

    /// Copies `input` (standard input) to an anonymous temporary file, streaming, so a pipe
    /// can be validated in full and then sent without holding it in memory. The file has no
    /// name, so nothing is left behind however the process ends.
    pub fn spool(mut input: impl Read) -> Result<Backing, InputError> {
        let spool_error = |source| InputError::Spool { source };
        let mut file = tempfile::tempfile().map_err(spool_error)?;
        let mut buf = vec![0; BUFFER_SIZE];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(InputError::Stdin { source }),
            };
            file.write_all(&buf[..n]).map_err(spool_error)?;
        }
        file.flush().map_err(spool_error)?;
        let stamp = Stamp::of(&file).map_err(spool_error)?;
        Ok(Backing { file, stamp })
    }

    pub fn metadata(&self) -> io::Result<std::fs::Metadata> {
        self.file.metadata()
    }

    /// A reader from the first byte with a position of its own, so passes never disturb
    /// each other.
    pub fn reader(&self) -> At<'_> {
        At {
            file: &self.file,
            pos: 0,
        }
    }

    /// A pass over a file that changed since it was opened would not see what the first pass
    /// validated.
    pub fn check_unchanged(&self, name: &str) -> Result<(), InputError> {
        let now = Stamp::of(&self.file).map_err(|source| InputError::Read {
            name: name.to_owned(),
            source,
        })?;
        if now == self.stamp {
            Ok(())
        } else {
            Err(InputError::Changed {
                name: name.to_owned(),
            })
        }
    }
}

/// Positioned reads of a shared file handle.
pub(crate) struct At<'a> {
    file: &'a File,
    pos: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Workbook readers seek about in the archive.
impl Seek for At<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(delta) => self.file.metadata()?.len().checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = at.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "a seek to before the start")
        })?;
        Ok(self.pos)
    }
}

/// What the first bytes say about the encoding, if anything.
fn utf16_bom(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
}

/// How much of the start of the input is looked at to tell a workbook or other binary file
/// from text.
const HEAD_BYTES: usize = 8192;

/// What the first bytes say the input is, when it is plainly not a text export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotText {
    /// .xlsx (and any ZIP archive).
    Xlsx,
    /// Legacy .xls, an OLE2 compound file.
    Xls,
    /// UTF-16 without a byte-order mark (with one, the decoder reads it as the text it is).
    Utf16,
    /// NUL bytes or many control characters.
    Binary,
}

/// Looks at the first [`HEAD_BYTES`] only, so a binary file is refused before anything parses
/// it (and before any of it can reach a terminal).
pub(crate) fn sniff_not_text(mut input: impl Read) -> io::Result<Option<NotText>> {
    let mut head = vec![0; HEAD_BYTES];
    let mut len = 0;
    while len < head.len() {
        match input.read(&mut head[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(classify_head(&head[..len]))
}

pub(crate) fn classify_head(head: &[u8]) -> Option<NotText> {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if head.starts_with(ZIP) {
        return Some(NotText::Xlsx);
    }
    if head.starts_with(OLE2) {
        return Some(NotText::Xls);
    }
    if utf16_bom(head) {
        return None;
    }
    let nuls: Vec<usize> = (0..head.len()).filter(|&i| head[i] == 0).collect();
    if !nuls.is_empty() {
        // ASCII-range text in UTF-16 is every other byte NUL, all on one side.
        let odd = nuls.iter().filter(|&&i| i % 2 == 1).count();
        let one_side = odd.max(nuls.len() - odd);
        let utf16 = nuls.len() * 4 >= head.len() && one_side * 10 >= nuls.len() * 9;
        return Some(if utf16 {
            NotText::Utf16
        } else {
            NotText::Binary
        });
    }
    // Text exports have line breaks and tabs, and almost never any other control byte.
    let controls = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) || b == 0x7F)
        .count();
    (controls >= 4 && controls * 20 >= head.len()).then_some(NotText::Binary)
}

/// What one pass over the bytes found, as UTF-8.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Utf8Scan {
    pub bytes: u64,
    /// Well-formed characters of two bytes or more.
    pub multibyte: u64,
    /// Ill-formed sequences (each counted once, however many bytes it spans).
    pub invalid: u64,
    /// Offset of the first ill-formed byte.
    pub first_invalid: Option<u64>,
    /// Starts with a UTF-16 byte-order mark, which the decoder honours whatever we pick.
    pub utf16: bool,
}

/// The whole stream judged as UTF-8, read in chunks; a character split across two chunks is
/// carried over rather than taken for an error. Stops early at a UTF-16 BOM.
pub(crate) fn sniff_utf8(mut input: impl Read) -> io::Result<Utf8Scan> {
    let mut buf = vec![0; BUFFER_SIZE];
    let mut scan = Utf8Scan::default();
    // Bytes of an unfinished character from the previous chunk (at most 3), and the offset
    // of buf[0] in the stream.
    let mut carried = 0;
    let mut base = 0u64;
    loop {
        let n = match input.read(&mut buf[carried..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            if carried > 0 {
                // A character cut off by the end of the file.
                scan.invalid += 1;
                scan.first_invalid.get_or_insert(base);
            }
            return Ok(scan);
        }
        let filled = carried + n;
        if base == 0 && filled >= 2 && utf16_bom(&buf[..filled]) {
            scan.utf16 = true;
            return Ok(scan);
        }
        scan.bytes += n as u64;
        let mut at = 0;
        carried = 0;
        while at < filled {
            let (valid, bad) = match std::str::from_utf8(&buf[at..filled]) {
                Ok(_) => (filled - at, None),
                Err(e) => (e.valid_up_to(), Some(e.error_len())),
            };
            // In well-formed UTF-8 every lead byte of a longer character is 0xC2 or above.
            let leads = buf[at..at + valid].iter().filter(|&&b| b >= 0xC0).count();
            scan.multibyte += leads as u64;
            at += valid;
            match bad {
                None => {}
                // The chunk ends inside a character that may yet complete.
                Some(None) => {
                    carried = filled - at;
                    break;
                }
                Some(Some(len)) => {
                    scan.invalid += 1;
                    scan.first_invalid.get_or_insert(base + at as u64);
                    at += len;
                }
            }
        }
        buf.copy_within(filled - carried..filled, 0);
        base += (filled - carried) as u64;
    }
}

/// Whether the stream reads as GB18030 without a single malformed sequence.
pub(crate) fn clean_gb18030(mut input: impl Read) -> io::Result<bool> {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut buf = vec![0; BUFFER_SIZE];
    let mut out = vec![0; BUFFER_SIZE * 2 + 16];
    loop {
        let n = match input.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut rest = &buf[..n];
        loop {
            let (result, read, _) =
                decoder.decode_to_utf8_without_replacement(rest, &mut out, n == 0);
            match result {
                encoding_rs::DecoderResult::Malformed(..) => return Ok(false),
                encoding_rs::DecoderResult::OutputFull => rest = &rest[read..],
                encoding_rs::DecoderResult::InputEmpty => break,
            }
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// The 1-based line and byte column of `offset`. A line ends at `\n`, `\r\n` or a lone `\r`,
/// as the CSV reader counts them.
pub(crate) fn locate(input: impl Read, offset: u64) -> io::Result<(u64, u64)> {
    let (mut line, mut line_start, mut after_cr) = (1u64, 0u64, false);
    let input = BufReader::with_capacity(BUFFER_SIZE, input);
    for (i, byte) in input.bytes().take(offset as usize).enumerate() {
        let (i, byte) = (i as u64, byte?);
        if byte == b'\n' && after_cr {
            // The second half of a `\r\n`: the line was counted at the `\r`.
            line_start = i + 1;
        } else if byte == b'\n' || byte == b'\r' {
            line += 1;
            line_start = i + 1;
        }
        after_cr = byte == b'\r';
    }
    Ok((line, offset - line_start + 1))
}

/// What to read a file as, when `--encoding` does not say.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Guess {
    Utf8,
    /// Chinese Excel's "CSV".
    Gb18030,
    /// UTF-8 but for a few bad bytes; the first is here (line, byte column). Reading it as
    /// GB18030 would turn every Chinese character in it to nonsense.
    BrokenUtf8 {
        line: u64,
        column: u64,
    },
}

/// UTF-8 when it is valid. Otherwise GB18030, unless the file is plainly meant as UTF-8: it
/// has at least twice as many well-formed multi-byte characters as bad sequences (GBK text
/// read as UTF-8 is nearly all bad sequences, with a well-formed pair only by chance), or
/// fewer than 1 byte in 1,000 is bad and GB18030 cannot read it either (a stray byte in an
/// ASCII file). A GBK file whose only Chinese is its header is clean GB18030, so it stays so.
pub(crate) fn guess_encoding(backing: &Backing) -> io::Result<Guess> {
    let scan = sniff_utf8(backing.reader())?;
    let Some(first) = scan.first_invalid.filter(|_| !scan.utf16) else {
        return Ok(Guess::Utf8);
    };
    let meant_as_utf8 = scan.multibyte >= 2 * scan.invalid
        || (scan.invalid.saturating_mul(1000) < scan.bytes && !clean_gb18030(backing.reader())?);
    if !meant_as_utf8 {
        return Ok(Guess::Gb18030);
    }
    let (line, column) = locate(backing.reader(), first)?;
    Ok(Guess::BrokenUtf8 { line, column })
}

/// A UTF-8 stream of the input: passed through untouched when it is UTF-8 (invalid bytes are
/// then caught per cell, naming the line, rather than turned into U+FFFD), transcoded from
/// GB18030 otherwise. A byte-order mark is dropped either way, and a BOM always wins over the
/// chosen encoding since it cannot be there by accident.
pub(crate) fn decoded<'a>(input: impl Read + 'a, encoding: Encoding) -> impl Read + 'a {
    let mut builder = DecodeReaderBytesBuilder::new();
    builder
        .strip_bom(true)
        .bom_sniffing(true)
        .bom_override(true)
        // Passing UTF-8 through only when UTF-8 was chosen: with GB18030 chosen, a UTF-8 BOM
        // must still switch the decoder to UTF-8.
        .utf8_passthru(encoding == Encoding::Utf8);
    if encoding == Encoding::Gb18030 {
        builder.encoding(Some(encoding_rs::GB18030));
    }
    builder
        .build_with_buffer(
            BufReader::with_capacity(BUFFER_SIZE, input),
            vec![0; BUFFER_SIZE],
        )
        .expect("the buffer is larger than 4 bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `n` bytes per read, to split characters across chunks.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn utf8_sniffing_survives_chunk_boundaries() {
        let text = "保单号,amount\nP1,1\n".repeat(50);
        for step in 1..8 {
            let scan = sniff_utf8(Trickle(text.as_bytes(), step)).unwrap();
            assert_eq!(scan.first_invalid, None, "{step}");
            assert_eq!(scan.multibyte, 150, "{step}");
            assert_eq!(scan.bytes, text.len() as u64);
        }
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let scan = sniff_utf8(Trickle(&gbk, 3)).unwrap();
        assert_eq!(scan.first_invalid, Some(0));
        assert!(scan.invalid > 2 * scan.multibyte, "{scan:?}");
        // A character cut off by the end of the file.
        let scan = sniff_utf8(&"a保".as_bytes()[..3]).unwrap();
        assert_eq!((scan.invalid, scan.first_invalid), (1, Some(1)));
        assert_eq!(sniff_utf8(&b""[..]).unwrap(), Utf8Scan::default());
        assert!(sniff_utf8(&b"\xFF\xFEp\0"[..]).unwrap().utf16);
        // Bad bytes after a chunk boundary are placed in the whole stream.
        let mut bytes = "保".repeat(100).into_bytes();
        bytes.extend_from_slice(b"x\xFFy\xFE");
        for step in [1, 2, 7, 1000] {
            let scan = sniff_utf8(Trickle(&bytes, step)).unwrap();
            assert_eq!((scan.invalid, scan.first_invalid), (2, Some(301)), "{step}");
            assert_eq!(scan.multibyte, 100, "{step}");
        }
    }

    #[test]
    fn bad_bytes_are_located_by_line_and_column() {
        let text = b"ab\ncd\r\nef\rgh";
        assert_eq!(locate(&text[..], 0).unwrap(), (1, 1));
        assert_eq!(locate(&text[..], 4).unwrap(), (2, 2));
        assert_eq!(locate(&text[..], 7).unwrap(), (3, 1));
        assert_eq!(locate(&text[..], 11).unwrap(), (4, 2));
    }

    #[test]
    fn gb18030_cleanness() {
        let (gbk, _, _) = encoding_rs::GBK.encode("保单号,退费金额\nP1,1\n");
        assert!(clean_gb18030(Trickle(&gbk, 3)).unwrap());
        assert!(clean_gb18030(&b"policyNo\nP1\n"[..]).unwrap());
        assert!(!clean_gb18030(&b"policyNo\nP1\xFF\n"[..]).unwrap());
        assert!(!clean_gb18030(&b"policyNo\nP1\xB1"[..]).unwrap());
    }

    #[test]
    fn spooling_keeps_every_byte_and_can_be_read_twice() {
        let data: Vec<u8> = (0..BUFFER_SIZE * 3 + 17).map(|i| (i % 251) as u8).collect();
        let backing = Backing::spool(Trickle(&data, 10_000)).unwrap();
        let (mut first, mut second) = (backing.reader(), backing.reader());
        let mut half = vec![0; 1000];
        first.read_exact(&mut half).unwrap();
        let mut back = Vec::new();
        second.read_to_end(&mut back).unwrap();
        assert_eq!(back, data, "a second reader starts at the start");
        back.clear();
        first.read_to_end(&mut back).unwrap();
        assert_eq!(back, data[1000..], "and does not move the first one");
    }

    #[test]
    fn a_failing_stdin_is_reported_as_such() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("pipe broke"))
            }
        }
        let e = Backing::spool(Broken).unwrap_err();
        assert!(matches!(e, InputError::Stdin { .. }), "{e:?}");
        assert!(e.to_string().contains("pipe broke"), "{e}");
    }

    #[test]
    fn decoding_strips_the_bom_and_transcodes_gb18030() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, b"\xEF\xBB\xBFpolicyNo\n").unwrap();
        let mut out = String::new();
        decoded(File::open(&path).unwrap(), Encoding::Utf8)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "policyNo\n");
        let (gbk, _, _) = encoding_rs::GBK.encode("保单号\n");
        std::fs::write(&path, &gbk).unwrap();
        out.clear();
        decoded(File::open(&path).unwrap(), Encoding::Gb18030)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "保单号\n");
    }

    #[test]
    fn an_edit_between_passes_is_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        std::fs::write(&path, "policyNo\nP1\n").unwrap();
        let backing = Backing::path(&path, "a.csv").unwrap();
        assert!(backing.check_unchanged("a.csv").is_ok());
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"P2\n")
            .unwrap();
        let e = backing.check_unchanged("a.csv").unwrap_err();
        assert!(matches!(e, InputError::Changed { .. }), "{e:?}");
    }

    #[test]
    fn opening_names_the_path_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let e = Backing::path(&dir.path().join("nope.csv"), "nope.csv").unwrap_err();
        let e = e.to_string();
        assert!(e.contains("nope.csv") && e.contains("No such file"), "{e}");
        let e = Backing::path(dir.path(), "dir").unwrap_err();
        assert!(matches!(e, InputError::IsDirectory { .. }), "{e:?}");
    }
}
