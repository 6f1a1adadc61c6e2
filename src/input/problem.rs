//! What is wrong with the input, in the shape `validate` prints and `batch` refuses on.

use crate::text::escape_controls;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The input cannot be sent as it is.
    Error,
    /// Worth a look, but the row is still sent.
    Warning,
}

/// One problem, located as precisely as the input allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file as the user named it, `<stdin>` or `<command line>`.
    pub file: String,
    /// Physical line the record starts on (header = 1); `None` for flags.
    pub line: Option<u64>,
    /// The column as written in the header (or the JSON key, or the flag); empty when the
    /// problem is with the whole record.
    pub column: String,
    pub message: String,
    pub severity: Severity,
}

impl Problem {
    pub fn error(file: &str, line: Option<u64>, column: &str, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_owned(),
            line,
            column: column.to_owned(),
            message: message.into(),
            severity: Severity::Error,
        }
    }

    pub fn warning(
        file: &str,
        line: Option<u64>,
        column: &str,
        message: impl Into<String>,
    ) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::error(file, line, column, message)
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// `FILE:LINE: column: message`, the parts that do not apply (no line, no column) left out
/// rather than left blank. No severity: the console's `error:`/`warning:` label gives it (see
/// [`Problem::listing`] for `validate`, which has no label). Control characters are made
/// visible, so one problem is one line; the readers quote values and names short.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, false)
    }
}

impl Problem {
    /// The `validate` line: like Display, with `warning: ` before a warning's message.
    pub fn listing(&self) -> String {
        struct Listing<'a>(&'a Problem);
        impl fmt::Display for Listing<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.write(f, true)
            }
        }
        Listing(self).to_string()
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, severity: bool) -> fmt::Result {
        f.write_str(&escape_controls(&self.file))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if !self.column.is_empty() {
            write!(f, "{}: ", escape_controls(&self.column))?;
        }
        if severity && self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        f.write_str(&escape_controls(&self.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_follows_the_validate_format() {
        let e = Problem::error("a.csv", Some(3), "amount", "'x' is bad");
        assert_eq!(e.to_string(), "a.csv:3: amount: 'x' is bad");
        let w = Problem::warning("a.csv", Some(3), "installments", "off by 1");
        assert_eq!(w.listing(), "a.csv:3: installments: warning: off by 1");
        assert_eq!(e.listing(), e.to_string());
        // The console labels it "warning:" itself.
        assert_eq!(w.to_string(), "a.csv:3: installments: off by 1");
        let flag = Problem::error("<command line>", None, "--amount", "bad");
        assert_eq!(flag.to_string(), "<command line>: --amount: bad");
        let whole = Problem::error("a.jsonl", Some(2), "", "not a JSON object");
        assert_eq!(whole.to_string(), "a.jsonl:2: not a JSON object");
    }

    #[test]
    fn a_problem_is_one_line() {
        let p = Problem::error("a\nb.csv", Some(1), "x\ry", "bad\nvalue");
        assert_eq!(p.to_string(), "a\\nb.csv:1: x\\ry: bad\\nvalue");
    }

    #[test]
    fn json_has_the_documented_keys() {
        let w = Problem::warning("a.csv", Some(1), "x", "m");
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            serde_json::json!({"file":"a.csv","line":1,"column":"x","message":"m","severity":"warning"})
        );
    }
}
