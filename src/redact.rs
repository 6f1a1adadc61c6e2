//! Header values never come back through the platform. A server that echoes a request header
//! (into its body, its dealDesc, an error page) would otherwise put the `-H` secret into the
//! journal, `history`, `--json`, `-v` and the report; the client passes every answer through
//! [`Secrets`] as it arrives, before anything keeps or shows it.

use std::borrow::Cow;

/// What a secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// Values this short are not secrets worth hiding, and hiding them would blank out ordinary
/// text (a header `X-Env: prod` would take every "prod" out of every answer).
const SHORTEST: usize = 4;

/// The secrets of a run, in every spelling an answer may carry them: as sent, and as a JSON or
/// HTML body would escape them.
#[derive(Default)]
pub struct Secrets {
    /// Longest first, so that a secret containing another is replaced whole.
    forms: Vec<memchr::memmem::Finder<'static>>,
    /// The values as sent, for text already decoded (a dealDesc read from JSON).
    values: Vec<String>,
}

impl Secrets {
    /// The secrets among these header values (those of [`SHORTEST`] characters or more).
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Secrets {
        let mut values: Vec<String> = values
            .into_iter()
            .filter(|v| v.chars().count() >= SHORTEST)
            .map(str::to_string)
            .collect();
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        values.dedup();
        let mut forms: Vec<String> = Vec::new();
        for value in &values {
            // Inside a JSON string: `"` and `\` escaped (a header value has no controls).
            let json = value.replace('\\', "\\\\").replace('"', "\\\"");
            let html = value
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;");
            for form in [value.clone(), json.replace('/', "\\/"), json, html] {
                if !forms.contains(&form) {
                    forms.push(form);
                }
            }
        }
        forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
        Secrets {
            forms: forms
                .iter()
                .map(|f| memchr::memmem::Finder::new(f.as_bytes()).into_owned())
                .collect(),
            values,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// An answer body as received, with every secret replaced. A JSON body that still holds
    /// one in a string once decoded (spelled with `\u` escapes) is written again with that
    /// string redacted: its exact bytes are not worth a secret.
    pub fn body<'b>(&self, body: &'b [u8]) -> Cow<'b, [u8]> {
        if self.is_empty() {
            return Cow::Borrowed(body);
        }
        let mut out = Cow::Borrowed(body);
        for form in &self.forms {
            if let Some(replaced) = replace_all(&out, form) {
                out = Cow::Owned(replaced);
            }
        }
        // Only an escape (`\u0053`, `\t`) can hide a secret from the search above.
        if memchr::memchr(b'\\', &out).is_none() {
            return out;
        }
        if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&out) {
            if self.scrub(&mut value) {
                out = Cow::Owned(value.to_string().into_bytes());
            }
        }
        out
    }

    /// Text (decoded from an answer, or an error message) with every secret replaced.
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for value in &self.values {
            if out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), REDACTED));
            }
        }
        out
    }

    /// [`Secrets::text`] on a text kept in place.
    pub fn in_place(&self, text: &mut String) {
        if let Cow::Owned(redacted) = self.text(text) {
            *text = redacted;
        }
    }

    /// Redacts every string (keys too) of a JSON value; whether one held a secret.
    fn scrub(&self, value: &mut serde_json::Value) -> bool {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                let had = matches!(self.text(s), Cow::Owned(_));
                self.in_place(s);
                had
            }
            Value::Array(items) => items
                .iter_mut()
                .fold(false, |had, item| self.scrub(item) | had),
            Value::Object(map) => {
                let mut had = false;
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    had |= self.scrub(&mut item);
                    let key = match self.text(&key) {
                        Cow::Owned(redacted) => {
                            had = true;
                            redacted
                        }
                        Cow::Borrowed(_) => key,
                    };
                    map.insert(key, item);
                }
                had
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }
}

/// `haystack` with every occurrence of the finder's needle replaced by [`REDACTED`]; `None`
/// when there is none. Linear in the body, whatever it holds.
fn replace_all(haystack: &[u8], needle: &memchr::memmem::Finder<'_>) -> Option<Vec<u8>> {
    let mut found = needle.find_iter(haystack).peekable();
    found.peek()?;
    let mut out = Vec::with_capacity(haystack.len());
    let mut from = 0;
    for at in found {
        if at < from {
            continue; // overlapping the one just replaced
        }
        out.extend_from_slice(&haystack[from..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        from = at + needle.needle().len();
    }
    out.extend_from_slice(&haystack[from..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_secret_is_replaced() {
        let s = Secrets::new(["SECRET123", "a/b\"c<d", "abc"]);
        let body = br#"{"echo":"SECRET123","x":"a\/b\"c<d","y":"a/b\"c<d"}<p>a/b&quot;c&lt;d</p>"#;
        let out = s.body(body);
        let out = String::from_utf8_lossy(&out);
        assert!(
            !out.contains("SECRET123") && !out.contains("b\\\"c") && !out.contains("&quot;c"),
            "{out}"
        );
        assert_eq!(out.matches(REDACTED).count(), 4, "{out}");
        // Three characters are no secret.
        assert_eq!(s.text("abc SECRET123"), "abc [redacted]");
    }

    #[test]
    fn a_secret_spelled_with_json_escapes_is_caught_once_decoded() {
        let s = Secrets::new(["SECRET123", "tab\there"]);
        let out = s.body(br#"{"dealDesc":"\u0053ECRET123 seen"}"#);
        assert_eq!(&*out, br#"{"dealDesc":"[redacted] seen"}"#);
        let out = s.body(br#"{"dealDesc":"tab\there"}"#);
        assert_eq!(&*out, br#"{"dealDesc":"[redacted]"}"#);
        // Nothing to hide: the bytes stay as they came.
        let body = br#"{"dealDesc" : "ok"}"#;
        assert!(matches!(s.body(body), Cow::Borrowed(_)));
    }

    #[test]
    fn overlapping_echoes_are_all_hidden() {
        let s = Secrets::new(["abab"]);
        assert_eq!(&*s.body(b"xabababy"), b"x[redacted]aby");
        assert_eq!(&*s.body(b"abababab"), b"[redacted][redacted]");
    }
}
