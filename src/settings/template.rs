//! The config file `config init` writes: every key the file takes, each with what it does,
//! commented out at its default so that the file states only what its owner changed. The
//! values shown come from the same constants the settings use, so the file stays true.

use super::target::{PROD_BASE_URL, TEST_BASE_URL};
use super::MAX_RETRIES;
use crate::cli::MAX_CONCURRENCY;
use crate::protocol::DEFAULT_ORDER_NO_PREFIX;

/// One setting of the file: what it does (lines of prose), the table it sits in (`None`: the
/// top level), its key and a value, the default where there is one.
struct Entry {
    about: String,
    table: Option<&'static str>,
    key: &'static str,
    value: String,
}

/// Every setting of the file, in its order.
fn entries(channel: Option<&str>) -> Vec<Entry> {
    let mut all = top_level_entries(channel);
    all.extend(record_entries());
    all.extend(table_entries());
    all
}

/// The settings at the top level of the file.
fn top_level_entries(channel: Option<&str>) -> Vec<Entry> {
    let top = |about: &str, key, value: &str| Entry {
        about: about.to_string(),
        table: None,
        key,
        value: value.to_string(),
    };
    vec![
        top(
            "The channel code the insurer assigned you: head.policySource of every notice.\n\
             Needed to send to the test or production platform (the sandbox takes any).\n\
             On the command line: --policy-source CODE; variable: AVATAR_POLICY_SOURCE.",
            "policy_source",
            &format!("\"{}\"", channel.unwrap_or("HN_HT_QNW")),
        ),
        top(
            "The platform a run sends to when its command line names none: \"test\", \"prod\"\n\
             (production: every run asks for confirmation first, or needs --yes) or \"sandbox\"\n\
             (the built-in simulator: no network, a journal of its own). --env, AVATAR_ENV.\n\
             `history` shows every platform's notices whatever this says.",
            "env",
            "\"test\"",
        ),
        top(
            "Seconds allowed for each HTTP request, at least 1. --timeout (which takes fractions).",
            "timeout_secs",
            "30",
        ),
        top(
            &format!(
                "Extra attempts for a notice that got no usable answer (a connection error, a\n\
                 timeout, HTTP 408, 429 or 5xx), from 0 to {MAX_RETRIES}. --retries."
            ),
            "retries",
            "3",
        ),
        top(
            &format!(
                "Notices in flight at once in a batch, from 1 to {MAX_CONCURRENCY}. \
                 batch --concurrency."
            ),
            "concurrency",
            "4",
        ),
        top(
            "Generate an order number for a notice that has none, given or in the journal.\n\
             Without it such a notice is an error, and nothing is sent. --generate-order-no.",
            "generate_order_no",
            "false",
        ),
        top(
            "The first characters of a generated order number (at most 16 characters),\n\
             followed by yyMMddHHmmssSSS in China Standard Time and six random characters.",
            "order_no_prefix",
            &format!("\"{DEFAULT_ORDER_NO_PREFIX}\""),
        ),
    ]
}

/// The top-level settings of where notices are kept and what is skipped.
fn record_entries() -> Vec<Entry> {
    let top = |about: &str, key, value: &str| Entry {
        about: about.to_string(),
        table: None,
        key,
        value: value.to_string(),
    };
    vec![
        top(
            "The journal of everything sent, which makes running a batch again safe: what was\n\
             accepted is skipped, what was in doubt is resent under the same order number.\n\
             Default: <state dir>/avatar-cli/journal.sqlite3 (~/.local/state/avatar-cli/ on\n\
             Linux). --journal FILE, AVATAR_JOURNAL.",
            "journal",
            "\"/var/lib/avatar-cli/journal.sqlite3\"",
        ),
        top(
            "\"normal\": a journal record survives the process being killed; \"full\": it\n\
             survives a power loss too, at some cost in speed.",
            "journal_sync",
            "\"normal\"",
        ),
        top(
            "An extra trusted CA certificate (PEM), for a private test platform. Certificates\n\
             are always verified. --cacert.",
            "cacert",
            "\"/etc/ssl/private-ca.pem\"",
        ),
        top(
            "Columns (or JSON Lines keys) of your exports that are no field, such as the\n\
             customer's name, not to be warned about; matched trimmed, ignoring case. A name\n\
             missing from a file is fine. --ignore-column NAME adds to these for one run.",
            "ignore_columns",
            "[\"客户姓名\", \"备注\"]",
        ),
    ]
}

/// The settings of the file's tables: the platforms' URLs and the extra headers.
fn table_entries() -> Vec<Entry> {
    vec![
        Entry {
            about: "The test platform: its base URL, to which the 5.30 path is appended.\n\
                    --env test (the default) sends here."
                .into(),
            table: Some("environments.test"),
            key: "base_url",
            value: format!("\"{TEST_BASE_URL}\""),
        },
        Entry {
            about: "The production platform. --env prod sends here, after asking.".into(),
            table: Some("environments.prod"),
            key: "base_url",
            value: format!("\"{PROD_BASE_URL}\""),
        },
        Entry {
            about: "Extra HTTP headers sent with every request, such as a gateway key. \"@FILE\"\n\
                    reads the value from FILE (a regular file of at most 64 KiB), so that the\n\
                    secret stays out of this file; a header value is never printed.\n\
                    On the command line: -H 'Name: @FILE'."
                .into(),
            table: Some("headers"),
            key: "X-Gateway-Key",
            value: "\"@/etc/avatar-cli/gateway.key\"".into(),
        },
    ]
}

const PREAMBLE: &str = "\
# avatar-cli configuration, written by `avatar-cli config init`.
#
# Each setting is a default for every run: an environment variable (AVATAR_...) wins over
# this file, and an option on the command line wins over both. A key that is misspelt is an
# error, never silently ignored. Remove the '# ' before a setting to use it.
# `avatar-cli config show` prints every setting with its value and where it came from;
# `avatar-cli doctor` also checks that the platform answers.
";

/// The file's text: every setting commented out, except the channel when one is given.
pub fn template(channel: Option<&str>) -> String {
    render(channel, |entry| {
        entry.key == "policy_source" && channel.is_some()
    })
}

/// The text with the settings for which `on` is true written as settings, the others
/// commented out.
fn render(channel: Option<&str>, on: impl Fn(&Entry) -> bool) -> String {
    let mut text = String::from(PREAMBLE);
    for entry in entries(channel) {
        let mark = if on(&entry) { "" } else { "# " };
        text.push('\n');
        for line in entry.about.lines() {
            text.push_str(&format!("# {}\n", line.trim()));
        }
        if let Some(table) = entry.table {
            text.push_str(&format!("{mark}[{table}]\n"));
        }
        text.push_str(&format!("{mark}{} = {}\n", entry.key, entry.value));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_as_written_parses_and_holds_only_the_channel() {
        let config = super::super::parse_config(&template(None)).unwrap();
        assert!(config.policy_source.is_none() && config.environments.is_empty());
        let config = super::super::parse_config(&template(Some("HN_HT_QNW"))).unwrap();
        assert_eq!(
            config.policy_source.map(|s| s.into_inner()).as_deref(),
            Some("HN_HT_QNW")
        );
        assert!(config.env.is_none() && config.headers.is_empty());
    }

    #[test]
    fn every_key_is_there_and_parses_once_uncommented() {
        let text = render(None, |_| true);
        let config = super::super::parse_config(&text).unwrap();
        // Each key of the file, set: a key the template lacked would stay None.
        assert!(config.policy_source.is_some() && config.env.is_some());
        assert!(config.timeout_secs.is_some() && config.concurrency.is_some());
        assert!(config.retries.is_some() && config.generate_order_no.is_some());
        assert!(config.order_no_prefix.is_some() && config.journal_sync.is_some());
        assert!(config.journal.is_some() && config.cacert.is_some());
        assert!(config.ignore_columns.is_some());
        assert_eq!(config.environments.len(), 2);
        assert_eq!(config.headers.len(), 1);
    }
}
