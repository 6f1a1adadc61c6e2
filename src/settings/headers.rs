//! Extra HTTP headers (`-H 'Name: value'`, `-H 'Name: @FILE'`, the config's `[headers]`):
//! checked once, their values kept secret. A message names a header and where it came from,
//! never its value.

use super::origin::Origin;
use crate::error::refuse;
use crate::error::Refusal;
use std::io::Read;
use std::path::Path;

/// A header value read from a file is a key or token, never large.
pub const MAX_HEADER_FILE_BYTES: u64 = 64 * 1024;

/// Headers that frame the request or the connection: avatar-cli sets them, or they must not be
/// sent at all. One given by the user could smuggle a second request or break the first.
pub(super) const FRAMING_HEADERS: [&str; 11] = [
    "Content-Length",
    "Transfer-Encoding",
    "Host",
    "Connection",
    "Content-Type",
    "Keep-Alive",
    "Upgrade",
    "TE",
    "Trailer",
    "Expect",
    "Proxy-Connection",
];

/// An extra HTTP header. The value is a secret: it never appears in output, journal or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    pub name: String,
    pub value: String,
    pub origin: Origin,
}

impl std::fmt::Debug for ExtraHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: <redacted>", self.name)
    }
}

/// The config's headers, then the flags' (a flag overrides the config's header of that name).
pub(super) fn merged(
    from_file: Vec<(String, String, Origin)>,
    flags: &[String],
) -> Result<Vec<ExtraHeader>, Refusal> {
    let mut headers = Vec::new();
    for (name, value, origin) in from_file {
        headers.push(header(&name, &value, origin)?);
    }
    for raw in flags {
        let extra = flag_header(raw)?;
        headers.retain(|h: &ExtraHeader| !h.name.eq_ignore_ascii_case(&extra.name));
        headers.push(extra);
    }
    Ok(headers)
}

/// How a message names a header: `-H 'X-Key: …'`, `-H 'X-Key: @FILE'` or
/// `config file PATH:LINE: [headers] X-Key`.
fn named(name: &str, value: &str, origin: &Origin) -> String {
    match origin {
        Origin::File { .. } => format!("{origin}: [headers] {name}"),
        _ => match value.strip_prefix('@') {
            Some(path) => format!("-H '{name}: @{}'", crate::text::quote(path.trim())),
            None => format!("-H '{name}: …'"),
        },
    }
}

/// `-H 'Name: value'` or `-H 'Name: @FILE'`. A malformed one is described by its name part
/// at most: whatever else it holds could be the secret.
pub(super) fn flag_header(raw: &str) -> Result<ExtraHeader, Refusal> {
    let usage = "a header is 'Name: value' or 'Name: @FILE'";
    let Some((name, value)) = raw.split_once(':') else {
        let shown = match raw.split_once('=') {
            Some((name, _)) if is_token(name.trim()) => format!("{}=…", name.trim()),
            _ => "…".to_string(),
        };
        return Err(refuse!(Config, "-H '{shown}': {usage}"));
    };
    let name = name.trim();
    if !is_token(name) {
        return Err(refuse!(
            Config,
            "-H '…': {usage}, and the part before ':' is not a valid HTTP header name"
        ));
    }
    header(name, value.trim(), Origin::Flag("--header"))
}

pub(super) fn is_token(name: &str) -> bool {
    !name.is_empty() && reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// One checked header; the value of `@FILE` is read from FILE.
fn header(name: &str, value: &str, origin: Origin) -> Result<ExtraHeader, Refusal> {
    if !is_token(name) {
        let at = match &origin {
            Origin::File { .. } => format!("{origin}: [headers]"),
            _ => "-H".to_string(),
        };
        return Err(refuse!(
            Config,
            "{at}: '{}' is not a valid HTTP header name",
            crate::text::quote(name)
        ));
    }
    let what = named(name, value, &origin);
    if let Some(framing) = FRAMING_HEADERS
        .iter()
        .find(|h| h.eq_ignore_ascii_case(name))
    {
        return Err(refuse!(
            Config,
            "{what}: {framing} frames the request or the connection, which avatar-cli does \
             itself; remove this header"
        ));
    }
    let value = match value.strip_prefix('@') {
        Some(path) => {
            let path = path.trim();
            if path.is_empty() {
                return Err(refuse!(Config, "{what}: no file named after '@'"));
            }
            read_header_file(Path::new(path)).map_err(|e| refuse!(Config, "{what}: {e}"))?
        }
        None => value.to_string(),
    };
    // Checked without echoing the value: it is a secret.
    reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
        refuse!(
            Config,
            "{what}: the value has characters not allowed in an HTTP header (control \
             characters or non-ASCII)"
        )
    })?;
    Ok(ExtraHeader {
        name: name.to_string(),
        value,
        origin,
    })
}

/// A header value kept in a file: a regular file of at most [`MAX_HEADER_FILE_BYTES`], UTF-8,
/// without its final line break. The type is checked before opening, so a FIFO or a device
/// never blocks or streams forever; what was opened is checked again and read bounded.
fn read_header_file(path: &Path) -> Result<String, String> {
    let shown = crate::text::quote(&path.display().to_string());
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(format!(
                "{shown} is {}, not a regular file; put the value in a file of at most 64 KiB",
                file_kind(meta)
            ));
        }
        if meta.len() > MAX_HEADER_FILE_BYTES {
            return Err(format!(
                "{shown} is larger than 64 KiB; a header value file holds one key or token"
            ));
        }
        Ok(())
    };
    let cannot = |e: std::io::Error| format!("cannot read {shown}: {e}");
    check(&std::fs::metadata(path).map_err(cannot)?)?;
    let file = std::fs::File::open(path).map_err(cannot)?;
    check(&file.metadata().map_err(cannot)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_HEADER_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_HEADER_FILE_BYTES {
        return Err(format!("{shown} is larger than 64 KiB"));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown} is not UTF-8 text"))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

/// A file that is not a regular file, in words.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = meta.file_type();
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_flag_headers_never_show_the_value() {
        for raw in [
            "X-Key=s3cret",
            "s3cret",
            "X Key: s3cret",
            "X-Key=s3c:ret",
            "Bearer s3cret",
        ] {
            let err = flag_header(raw).unwrap_err().to_string();
            assert!(!err.contains("s3c"), "{raw}: {err}");
            assert!(err.contains("'Name: value'"), "{raw}: {err}");
        }
        let err = flag_header("X-Key=s3cret").unwrap_err().to_string();
        assert!(err.starts_with("-H 'X-Key=…'"), "{err}");
        let err = flag_header("X-Key: s3cret\u{1}").unwrap_err().to_string();
        assert!(err.contains("X-Key") && !err.contains("s3cret"), "{err}");
    }

    #[test]
    fn framing_headers_are_refused_whatever_their_case() {
        for name in FRAMING_HEADERS {
            for spelled in [
                name.to_string(),
                name.to_ascii_lowercase(),
                name.to_ascii_uppercase(),
            ] {
                let err = flag_header(&format!("{spelled}: 1"))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(name) && err.contains("-H"), "{err}");
            }
        }
        assert!(flag_header("Authorization: Bearer x").is_ok());
    }

    #[test]
    fn header_values_are_redacted_in_debug_output() {
        let h = ExtraHeader {
            name: "X-Key".into(),
            value: "s3cret".into(),
            origin: Origin::Flag("--header"),
        };
        assert_eq!(format!("{h:?}"), "X-Key: <redacted>");
    }

    #[test]
    fn a_flag_overrides_the_config_header_of_that_name() {
        let file = Origin::File {
            path: "c.toml".into(),
            line: 9,
        };
        let headers = merged(
            vec![
                ("X-Key".into(), "from-file".into(), file.clone()),
                ("X-Other".into(), "kept".into(), file),
            ],
            &["x-key: from-flag".to_string()],
        )
        .unwrap();
        let names: Vec<(&str, &str)> = headers
            .iter()
            .map(|h| (h.name.as_str(), h.value.as_str()))
            .collect();
        assert_eq!(names, [("X-Other", "kept"), ("x-key", "from-flag")]);
    }
}
