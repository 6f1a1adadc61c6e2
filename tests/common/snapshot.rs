//! Whole outputs compared with the snapshots committed under tests/snapshots/ (insta). What
//! differs from one run to the next is replaced before the comparison, so that a snapshot
//! changes only when the output does: the test's own directory, loopback ports, times,
//! durations and rates, and uuids.
//!
//! A changed output fails its test and shows the difference. When the change is meant, write
//! the new snapshots with `INSTA_UPDATE=always cargo test --test NAME`, read them, and commit
//! them with the change.

use super::Env;

/// insta's settings with the filters that take out what differs between runs of `env`.
pub fn settings(env: &Env) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let dir = env
        .dir
        .path()
        .to_str()
        .expect("a UTF-8 temporary directory");
    settings.add_filter(&escape(dir), "[dir]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    settings.add_filter(
        r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00\b",
        "[time]",
    );
    settings.add_filter(
        r"\b\d+\.\d+ s \(\d+(\.\d+)? sent/s\)",
        "[secs] s ([rate] sent/s)",
    );
    settings.add_filter(r"\b\d+ ms\b", "[ms] ms");
    settings.add_filter(
        r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
        "[uuid]",
    );
    // A report's elapsed time: a JSON field, or the CSV column after the uuid.
    settings.add_filter(r#""elapsedMs":\d+"#, r#""elapsedMs":[ms]"#);
    settings.add_filter(r",\[uuid\],\d+,", ",[uuid],[ms],");
    // Not a difference between runs, but invisible where the snapshot is read.
    settings.add_filter("\u{feff}", "[BOM]");
    settings
}

/// `text` as a regular expression that matches it and nothing else.
fn escape(text: &str) -> String {
    let mut escaped = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
