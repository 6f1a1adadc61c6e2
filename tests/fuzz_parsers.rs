//! Property tests for the parsers of what others write: the config file (a person) and the
//! platform's answer (a server). Random bytes and mutations of valid documents must never
//! panic; a config error names its line. Fixed seeds and bounded case counts keep CI steady;
//! the CSV and JSON Lines readers have their own file (fuzz_input.rs).

use avatar_cli::protocol::{echo_warnings, read_answer, Sent};
use avatar_cli::settings::parse_config;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const CASES: u32 = 512;

fn runner(seed: u64) -> TestRunner {
    TestRunner::new(Config {
        cases: CASES,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    })
}

const CONFIG: &str = r#"policy_source = "HN_HT_QNW"
env = "test"
timeout_secs = 30
concurrency = 4
retries = 3
generate_order_no = false
order_no_prefix = "QS"
journal_sync = "normal"

[environments.test]
base_url = "https://porsche-avatar.chinahuanong.com.cn"

[headers]
X-Gateway-Key = "@/etc/avatar-cli/gateway.key"
"#;

const ANSWER: &str = r#"{"head":{"policySource":"HN","respTime":1700000000000,"interfaceType":"recissionNotice","orderNo":"O1","uuid":"u-1",},"secondRefundResp":{"dealCode":"1","dealDesc":"成功","policyNo":"P1"}}"#;

/// A valid document with a few bytes flipped, inserted, deleted or a span duplicated.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    let len = base.len();
    prop::collection::vec((0..4u8, 0..len, any::<u8>(), 0..16usize), 1..6).prop_map(move |edits| {
        let mut bytes = base.as_bytes().to_vec();
        for (kind, at, byte, span) in edits {
            let at = at.min(bytes.len());
            match kind {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                2 if at < bytes.len() => {
                    bytes.remove(at);
                }
                _ => {
                    let end = (at + span).min(bytes.len());
                    let copy = bytes[at..end].to_vec();
                    bytes.splice(at..at, copy);
                }
            }
        }
        bytes
    })
}

fn check_config(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(()); // the file is read as UTF-8 first, and that error names the file
    };
    if let Err(message) = parse_config(text) {
        prop_assert!(
            message.contains("line "),
            "a config error without a line: {message}"
        );
    }
    Ok(())
}

#[test]
fn config_mutations_never_panic_and_errors_name_a_line() {
    runner(7)
        .run(&mutated(CONFIG), |bytes| check_config(&bytes))
        .unwrap();
}

#[test]
fn config_random_text_never_panics() {
    runner(11)
        .run(&"(?s).{0,200}", |text| check_config(text.as_bytes()))
        .unwrap();
}

fn check_answer(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(answer) = read_answer(bytes) {
        let sent = Sent {
            policy_no: "P1",
            order_no: "O1",
            uuid: "u-1",
        };
        // Whatever the answer held, judging it must not panic either.
        let _ = echo_warnings(&answer, &sent, chrono::Utc::now());
        let _ = answer.accepted();
    }
    Ok(())
}

#[test]
fn answer_mutations_never_panic() {
    runner(13)
        .run(&mutated(ANSWER), |bytes| check_answer(&bytes))
        .unwrap();
}

#[test]
fn answer_random_bytes_never_panic() {
    runner(17)
        .run(&prop::collection::vec(any::<u8>(), 0..300), |bytes| {
            check_answer(&bytes)
        })
        .unwrap();
}

#[test]
fn answers_with_extreme_resp_times_never_panic() {
    let values = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        "\"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\"",
        Just("1e300".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("\"9999-99-99 99:99:99\"".to_string()),
    ];
    runner(19)
        .run(&values, |resp_time| {
            let body = format!(
                r#"{{"head":{{"respTime":{resp_time},"orderNo":"O1","uuid":"u-1"}},"secondRefundResp":{{"dealCode":"1","policyNo":"P1"}}}}"#
            );
            check_answer(body.as_bytes())
        })
        .unwrap();
}
