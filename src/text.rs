//! Text that reaches a person's terminal or spreadsheet: values quoted short, and control
//! characters made visible, so that a hostile answer or cell cannot move the cursor, retitle
//! the window, break a line, hide or reorder what it shows, or print a line that looks like a
//! result. JSON output never goes through here: it is exact.

use std::borrow::Cow;

/// How many characters of a value a message quotes.
pub const QUOTE_CHARS: usize = 80;

/// Control characters (C0, DEL, C1), line and paragraph separators, zero-width characters and
/// bidirectional controls written as escapes: `\n`, `\t`, `\u{1b}`, `\u{2028}`, `\u{202e}`.
/// Everything else, Chinese included, is left as it is.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value for an error message: control characters escaped, at most [`QUOTE_CHARS`]
/// characters, cut with an ellipsis. Never more than one line, whatever the value holds.
pub fn quote(value: &str) -> String {
    let escaped = escape_controls(value);
    let mut chars = escaped.chars();
    let head: String = chars.by_ref().take(QUOTE_CHARS).collect();
    if chars.next().is_some() {
        let mut head: String = head.chars().take(QUOTE_CHARS - 1).collect();
        head.push('…');
        head
    } else {
        head
    }
}

/// How many terminal cells `text` takes: a Chinese character takes two, so counting
/// characters would misalign every column after one.
pub fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `cells` terminal cells (never cut).
pub fn pad(text: &str, cells: usize) -> String {
    let spaces = cells.saturating_sub(width(text));
    let mut padded = String::with_capacity(text.len() + spaces);
    padded.push_str(text);
    padded.extend(std::iter::repeat_n(' ', spaces));
    padded
}

/// A part of a message, with what joins it to the part before: `same_line` when both fit on
/// one line, `at_end` (ending the earlier line) when this part starts the next.
pub struct Part<'a> {
    pub same_line: &'a str,
    pub at_end: &'a str,
    pub text: String,
}

impl Part<'_> {
    pub fn first(text: String) -> Part<'static> {
        Part {
            same_line: "",
            at_end: "",
            text,
        }
    }
}

/// `parts` on as few lines of at most `cells` as they go, each part whole on one line (a part
/// wider than `cells` has a line of its own).
pub fn fit_parts(parts: Vec<Part<'_>>, cells: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        match lines.last_mut() {
            Some(line) if width(line) + width(part.same_line) + width(&part.text) <= cells => {
                line.push_str(part.same_line);
                line.push_str(&part.text);
            }
            Some(line) => {
                line.push_str(part.at_end);
                lines.push(part.text);
            }
            None => lines.push(part.text),
        }
    }
    lines
}

/// What a terminal or a spreadsheet would act on rather than show: C0 and C1 controls and DEL;
/// U+2028/U+2029, which break a line; the zero-width characters (U+200B-U+200D, U+FEFF), which
/// hide text inside a value; and the bidirectional controls (U+061C, U+200E, U+200F,
/// U+202A-U+202E, U+2066-U+2069), which reorder what is shown.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_become_visible() {
        assert_eq!(escape_controls("成功"), "成功");
        assert_eq!(escape_controls("a\nb"), "a\\nb");
        assert_eq!(escape_controls("\u{1b}]0;x\u{7}"), "\\u{1b}]0;x\\u{7}");
        assert_eq!(escape_controls("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(escape_controls("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape_controls("\0\r"), "\\u{0}\\r");
        for c in [
            '\u{200b}', '\u{200f}', '\u{2028}', '\u{2029}', '\u{2066}', '\u{2069}', '\u{061c}',
            '\u{feff}',
        ] {
            assert_eq!(
                escape_controls(&format!("a{c}b")),
                format!("a\\u{{{:x}}}b", c as u32)
            );
        }
        assert_eq!(escape_controls("\u{2010}\u{2030}"), "\u{2010}\u{2030}");
    }

    #[test]
    fn quotes_are_short_and_on_one_line() {
        assert_eq!(quote("1.234"), "1.234");
        let long = "x".repeat(10_000_000);
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTE_CHARS);
        assert!(q.ends_with('…'));
        let q = quote(&"line\n".repeat(1000));
        assert!(!q.contains('\n'));
        assert_eq!(quote(&"字".repeat(80)).chars().count(), 80);
    }

    #[test]
    fn padding_counts_cells_not_characters() {
        assert_eq!(pad("1 成功", 8), "1 成功  ");
        assert_eq!(width(&pad("1 成功", 8)), width(&pad("1 ok", 8)));
        assert_eq!(pad("longer than", 4), "longer than");
    }
}
