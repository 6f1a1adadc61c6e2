//! The TOML config file: read once, parsed strictly (an unknown key is an error), each value
//! keeping its place so that a message or `doctor` can name the line.

use super::origin::Origin;
use super::JournalSyncSetting;
use crate::error::refuse;
use crate::error::Refusal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The config file as written by the user. Unknown keys are errors: a misspelt key silently
/// ignored is a setting the user believes in but does not have. Values keep their place in
/// the file, so that a message can name the line.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub policy_source: Option<Spanned<String>>,
    pub env: Option<Spanned<String>>,
    pub timeout_secs: Option<Spanned<u64>>,
    pub concurrency: Option<Spanned<usize>>,
    pub retries: Option<Spanned<u32>>,
    pub generate_order_no: Option<Spanned<bool>>,
    pub order_no_prefix: Option<Spanned<String>>,
    pub journal_sync: Option<Spanned<JournalSyncSetting>>,
    pub journal: Option<Spanned<PathBuf>>,
    pub cacert: Option<Spanned<PathBuf>>,
    /// Each name keeps its own place, for a message about one of them.
    pub ignore_columns: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentConfig>,
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub base_url: Option<Spanned<String>>,
}

/// The config file that was read (or none), to name a value's place in it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: FileConfig,
    /// The file's path and text, when one was read.
    source: Option<(PathBuf, String)>,
}

impl Loaded {
    /// Where the value at `span` stands: `config file PATH:LINE`.
    pub fn at(&self, span: &Range<usize>) -> Origin {
        match &self.source {
            Some((path, text)) => Origin::File {
                path: path.clone(),
                line: line_of(text, span.start),
            },
            None => Origin::Default,
        }
    }

    /// The origin of an optional value of the file, with the value.
    pub fn value<T: Clone>(&self, v: &Option<Spanned<T>>) -> Option<(T, Origin)> {
        v.as_ref()
            .map(|v| (v.get_ref().clone(), self.at(&v.span())))
    }

    pub fn path(&self) -> Option<&Path> {
        self.source.as_ref().map(|(p, _)| p.as_path())
    }
}

/// The 1-based line holding byte `offset` of `text`.
pub(super) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A missing default file is fine; a missing named one is an error.
pub fn load(path: &Path, must_exist: bool) -> Result<Loaded, Refusal> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(Loaded::default())
        }
        Err(e) => {
            return Err(refuse!(
                Config,
                "cannot read config file {}: {e}",
                path.display()
            ))
        }
    };
    let config =
        parse(&text).map_err(|e| refuse!(Config, "config file {}: {e}", path.display()))?;
    Ok(Loaded {
        config,
        source: Some((path.to_path_buf(), text)),
    })
}

/// toml's error on one line: `line N, column C: KEY: message`. In `[headers]` the message is
/// left out too: it can quote the value, a secret.
pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        let message = crate::text::escape_controls(&message).into_owned();
        let Some(start) = e.span().map(|span| span.start.min(text.len())) else {
            return message;
        };
        let before = text.get(..start).unwrap_or(text);
        let n = line_of(text, start);
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let key = text
            .lines()
            .nth(n - 1)
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().trim_matches('"'))
            .filter(|k| super::headers::is_token(k));
        if in_headers_table(text, n) {
            return format!(
                "line {n}: [headers] {}: not a valid entry; write Name = \"value\" or \
                 Name = \"@FILE\" (the line is not shown: it may hold a secret)",
                key.unwrap_or("…")
            );
        }
        match key {
            Some(key) if !message.contains(key) => {
                format!("line {n}, column {column}: {key}: {message}")
            }
            _ => format!("line {n}, column {column}: {message}"),
        }
    })
}

/// Whether 1-based line `n` of a TOML text lies in its `[headers]` table.
fn in_headers_table(text: &str, n: usize) -> bool {
    let mut table = String::new();
    for line in text.lines().take(n) {
        let line = line.trim();
        if line.starts_with('[') {
            table = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
        }
    }
    let here = text.lines().nth(n - 1).unwrap_or("").trim_start();
    table == "headers" || here.starts_with("headers") || here.starts_with("[headers")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_config_names_line_and_key() {
        let err = parse("policy_source = \"HN\"\ntimeout_secs = \"thirty\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("timeout_secs"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let err = parse("polcy_source = \"HN\"\n").unwrap_err();
        assert!(err.contains("polcy_source"), "{err}");
        let err = parse("[environments.test]\nbase_url = \n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_documented_example_config_parses() {
        let text = r#"
policy_source = "HN_HT_QNW"
env = "test"
timeout_secs = 30
concurrency = 4
retries = 3
generate_order_no = false
order_no_prefix = "QS"
journal_sync = "normal"
cacert = "/etc/ssl/private-ca.pem"
ignore_columns = ["客户姓名", "备注"]

[environments.test]
base_url = "https://porsche-avatar.chinahuanong.com.cn"

[environments.prod]
base_url = "https://avatar.chinahuanong.com.cn"

[headers]
X-Gateway-Key = "@/etc/avatar-cli/gateway.key"
"#;
        let config = parse(text).unwrap();
        assert_eq!(
            config.policy_source.as_ref().map(|s| s.get_ref().as_str()),
            Some("HN_HT_QNW")
        );
        assert_eq!(
            config.journal_sync.map(|s| s.into_inner()),
            Some(JournalSyncSetting::Normal)
        );
        assert_eq!(config.environments.len(), 2);
        let ignored = config.ignore_columns.unwrap().into_inner();
        assert_eq!(ignored[1].get_ref(), "备注");
    }

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn a_malformed_header_line_is_not_quoted() {
        let err = parse("[headers]\nX-Key = s3cret\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("X-Key"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let err = parse("[headers]\nX-Key = 123456\n").unwrap_err();
        assert!(!err.contains("123456"), "{err}");
        let err =
            parse("[headers]\nX-Key = \"a\"\n[environments.test]\nbase_url = 1\n").unwrap_err();
        assert!(err.contains("base_url"), "{err}");
    }
}
