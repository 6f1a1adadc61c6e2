//! Getting at the bytes: opening a path, spooling standard input so it can be read twice,
//! choosing the text encoding, and the decoding reader every pass reads through.

use super::{Encoding, InputError};
use encoding_rs_io::DecodeReaderBytesBuilder;
use std::fs::File;
use std::io::{self, BufReader, Read, Write};
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
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(self.file, buf, self.pos)?;
        #[cfg(windows)]
        let n = std::os::windows::fs::FileExt::seek_read(self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// What the first bytes say about the encoding, if anything.
fn utf16_bom(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
}

/// Whether the whole stream is valid UTF-8, read in chunks; a character split across two
/// chunks is carried over rather than taken for an error. `Ok(None)` for a UTF-16 BOM, which
/// the decoder honours whatever we pick.
pub(crate) fn sniff_utf8(mut input: impl Read) -> io::Result<Option<bool>> {
    let mut buf = vec![0; BUFFER_SIZE];
    // Bytes of an unfinished character from the previous chunk (at most 3).
    let mut carried = 0;
    let mut first = true;
    loop {
        let n = match input.read(&mut buf[carried..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return Ok(Some(carried == 0));
        }
        let filled = carried + n;
        if first && filled >= 2 {
            if utf16_bom(&buf[..filled]) {
                return Ok(None);
            }
            first = false;
        }
        match std::str::from_utf8(&buf[..filled]) {
            Ok(_) => carried = 0,
            // `error_len() == None`: the chunk ends inside a character that may yet complete.
            Err(e) if e.error_len().is_none() => {
                let valid = e.valid_up_to();
                buf.copy_within(valid..filled, 0);
                carried = filled - valid;
            }
            Err(_) => return Ok(Some(false)),
        }
    }
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
            assert_eq!(
                sniff_utf8(Trickle(text.as_bytes(), step)).unwrap(),
                Some(true)
            );
        }
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        assert_eq!(sniff_utf8(Trickle(&gbk, 3)).unwrap(), Some(false));
        // A character cut off by the end of the file.
        assert_eq!(sniff_utf8(&"保".as_bytes()[..2]).unwrap(), Some(false));
        assert_eq!(sniff_utf8(&b""[..]).unwrap(), Some(true));
        assert_eq!(sniff_utf8(&b"\xFF\xFEp\0"[..]).unwrap(), None);
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
