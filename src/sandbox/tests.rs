//! Real HTTP against a sandbox on a free port, with bodies written as raw JSON (never through
//! the client's types, for the same reason the sandbox does not use them).

use super::{Sandbox, SandboxOptions};
use crate::protocol::{format_cst, read_answer, REFUND_NOTICE_PATH};
use chrono::{Duration as ChronoDuration, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn start(options: SandboxOptions) -> Sandbox {
    Sandbox::start(0, options).await.unwrap()
}

fn url(sandbox: &Sandbox) -> String {
    format!("{}{REFUND_NOTICE_PATH}", sandbox.base_url())
}

/// Unique per test run, so cases never collide in the sandbox's memory by accident.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn fresh_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The spec's sample request with its two fixes: a current reqTime without the stray spaces,
/// and interfaceType `recissionNotice` instead of the copied `proposalOrder`.
fn sample(order_no: &str, policy_no: &str, uuid: &str) -> Value {
    json!({
        "head": {
            "interfaceType": "recissionNotice",
            "orderNo": order_no,
            "policySource": "HN_HT_QNW",
            "reqTime": format_cst(Utc::now()),
            "uuid": uuid
        },
        "secondRefundReq": {
            "policyNo": policy_no,
            "secondRefundAmount": 10.2,
            "secondRefundDate": "2021-05-10 12:00:00",
            "secondRefundStatus": 1,
            "installmentList": [
                { "payNo": 1, "amount": 10.2, "refundTime": "2021-05-10 11:59:59" }
            ]
        }
    })
}

fn fresh_sample() -> Value {
    sample(&unique("QS"), &unique("P"), &fresh_uuid())
}

async fn post_raw(
    client: &reqwest::Client,
    sandbox: &Sandbox,
    content_type: Option<&str>,
    body: String,
) -> (StatusCode, Value) {
    let mut request = client.post(url(sandbox)).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

async fn post(client: &reqwest::Client, sandbox: &Sandbox, body: &Value) -> Value {
    let (status, answer) =
        post_raw(client, sandbox, Some("application/json"), body.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer
}

fn deal(answer: &Value) -> (&str, &str) {
    let resp = &answer["secondRefundResp"];
    (
        resp["dealCode"].as_str().unwrap_or("<none>"),
        resp["dealDesc"].as_str().unwrap_or("<none>"),
    )
}

#[tokio::test]
async fn the_fixed_sample_is_accepted_and_echoed() {
    let sandbox = start(SandboxOptions::default()).await;
    let uuid = fresh_uuid();
    let response = client()
        .post(url(&sandbox))
        .header("content-type", "application/json; charset=utf-8")
        .body(sample("QS221219154313290T12K25", "12345", &uuid).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/json;charset=UTF-8"
    );
    let body = response.bytes().await.unwrap();
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(deal(&answer), ("1", "成功"), "{answer}");
    assert_eq!(answer["secondRefundResp"]["policyNo"], "12345");
    let head = &answer["head"];
    assert_eq!(head["uuid"], uuid.as_str());
    assert_eq!(head["orderNo"], "QS221219154313290T12K25");
    assert_eq!(head["policySource"], "HN_HT_QNW");
    assert_eq!(head["interfaceType"], "recissionNotice");
    let resp_time = head["respTime"].as_i64().expect("respTime in epoch millis");
    assert!((Utc::now().timestamp_millis() - resp_time).abs() < 5_000);
    // And the client's tolerant reader agrees.
    assert!(read_answer(&body).unwrap().accepted());
    sandbox.shutdown().await;
}

/// Each case: a mutation of a fresh valid request and a piece of the expected dealDesc.
type Mutation = Box<dyn Fn(&mut Value)>;

fn set(path: &'static [&'static str], v: Value) -> Mutation {
    Box::new(move |body| {
        let (last, parents) = path.split_last().unwrap();
        let mut at = body;
        for p in parents {
            at = &mut at[*p];
        }
        at[*last] = v.clone();
    })
}

fn remove(path: &'static [&'static str]) -> Mutation {
    Box::new(move |body| {
        let (last, parents) = path.split_last().unwrap();
        let mut at = body;
        for p in parents {
            at = &mut at[*p];
        }
        at.as_object_mut().unwrap().remove(*last);
    })
}

type Cases = Vec<(Mutation, String)>;

fn strict_cases() -> Cases {
    let mut cases = Cases::new();
    shape_cases(&mut cases);
    head_cases(&mut cases);
    detail_cases(&mut cases);
    installment_cases(&mut cases);
    cases
}

/// Missing, null, mistyped and empty fields; unknown keys.
fn shape_cases(cases: &mut Cases) {
    let mut case = |m: Mutation, want: &str| cases.push((m, want.to_owned()));
    for field in [
        "policySource",
        "reqTime",
        "interfaceType",
        "orderNo",
        "uuid",
    ] {
        let path: &'static [&'static str] = Box::leak(Box::new(["head", field]));
        case(remove(path), &format!("head.{field} is missing"));
        case(set(path, Value::Null), &format!("head.{field} is null"));
        case(
            set(path, json!(7)),
            &format!("head.{field} is a number, not a string"),
        );
        case(set(path, json!("")), &format!("head.{field} is empty"));
    }
    let policy = &["secondRefundReq", "policyNo"];
    case(remove(policy), "secondRefundReq.policyNo is missing");
    case(set(policy, Value::Null), "secondRefundReq.policyNo is null");
    case(
        set(policy, json!(12345)),
        "secondRefundReq.policyNo is a number, not a string",
    );
    case(set(policy, json!(" ")), "secondRefundReq.policyNo is empty");

    case(remove(&["head"]), "head is missing");
    case(remove(&["secondRefundReq"]), "secondRefundReq is missing");
    case(set(&["head"], json!([])), "head is an array, not an object");
    case(set(&["extra"], json!(1)), "unknown key 'extra'");
    case(
        set(&["head", "respTime"], json!(1)),
        "unknown key 'head.respTime'",
    );
    case(
        Box::new(|b| {
            let req = b["secondRefundReq"].as_object_mut().unwrap();
            let p = req.remove("policyNo").unwrap();
            req.insert("policyno".into(), p);
        }),
        "unknown key 'secondRefundReq.policyno'; did you mean 'secondRefundReq.policyNo'?",
    );
}

/// interfaceType, reqTime's shape and clock, uuid.
fn head_cases(cases: &mut Cases) {
    let mut case = |m: Mutation, want: &str| cases.push((m, want.to_owned()));
    case(
        set(&["head", "interfaceType"], json!("proposalOrder")),
        "head.interfaceType 'proposalOrder' is not 'recissionNotice'",
    );
    case(
        set(&["head", "reqTime"], json!("2022-12-19 15: 44: 21")),
        "head.reqTime '2022-12-19 15: 44: 21' is not a real date and time in yyyy-MM-dd HH:mm:ss",
    );
    case(
        set(&["head", "reqTime"], json!("2024-02-30 12:00:00")),
        "head.reqTime '2024-02-30 12:00:00' is not",
    );
    let stale = format_cst(Utc::now() - ChronoDuration::minutes(10));
    case(
        set(&["head", "reqTime"], json!(stale)),
        "s behind the sandbox's clock",
    );
    let early = format_cst(Utc::now() + ChronoDuration::minutes(10));
    case(
        set(&["head", "reqTime"], json!(early)),
        "s ahead of the sandbox's clock",
    );
    // The classic bug: the machine's UTC wall clock instead of China Standard Time. Eight
    // hours behind, and the seconds between building this case and its request on top: a
    // loaded machine crossed a second once and read 28801.
    let utc_wall = Utc::now().format("%Y-%m-%d %H:%M:%S").to_string();
    case(set(&["head", "reqTime"], json!(utc_wall)), "2880");
    case(
        set(&["head", "uuid"], json!("b5c9c977-8ba0-4ade-93c7")),
        "head.uuid 'b5c9c977-8ba0-4ade-93c7' is not a UUID",
    );
}

/// Amount, date and status.
fn detail_cases(cases: &mut Cases) {
    let mut case = |m: Mutation, want: &str| cases.push((m, want.to_owned()));
    let amount = &["secondRefundReq", "secondRefundAmount"];
    case(
        set(amount, Value::Null),
        "secondRefundReq.secondRefundAmount is null; leave it out",
    );
    case(
        set(amount, json!("10.2")),
        "secondRefundAmount is a string, not a number",
    );
    case(set(amount, json!(-1)), "secondRefundAmount -1 is negative");
    case(
        set(amount, json!(10.123)),
        "secondRefundAmount 10.123 has more than two decimal",
    );
    case(
        set(amount, json!(10.200000000000001)),
        "secondRefundAmount 10.200000000000001 has more than two decimal",
    );
    let date = &["secondRefundReq", "secondRefundDate"];
    case(
        set(date, Value::Null),
        "secondRefundReq.secondRefundDate is null",
    );
    case(
        set(date, json!("2021-05-10")),
        "secondRefundDate '2021-05-10' is not",
    );
    case(
        set(date, json!(20210510)),
        "secondRefundDate is a number, not a yyyy-MM-dd HH:mm:ss",
    );
    let status = &["secondRefundReq", "secondRefundStatus"];
    case(
        set(status, Value::Null),
        "secondRefundReq.secondRefundStatus is null",
    );
    case(
        set(status, json!("1")),
        "secondRefundStatus is a string, not an integer",
    );
    case(
        set(status, json!(1.5)),
        "secondRefundStatus 1.5 is not an integer",
    );
}

fn installment_cases(cases: &mut Cases) {
    let mut case = |m: Mutation, want: &str| cases.push((m, want.to_owned()));
    let list = &["secondRefundReq", "installmentList"];
    let item = |v: Value| set(list, json!([v]));
    case(
        set(list, Value::Null),
        "secondRefundReq.installmentList is null",
    );
    case(
        set(list, json!({})),
        "installmentList is an object, not an array",
    );
    case(
        item(json!(1)),
        "installmentList[0] is a number, not an object",
    );
    let good = json!({ "payNo": 1, "amount": 10.2, "refundTime": "2021-05-10 11:59:59" });
    let with = |k: &str, v: Value| {
        let mut i = good.clone();
        i[k] = v;
        item(i)
    };
    let without = |k: &str| {
        let mut i = good.clone();
        i.as_object_mut().unwrap().remove(k);
        item(i)
    };
    case(without("payNo"), "installmentList[0].payNo is missing");
    case(without("amount"), "installmentList[0].amount is missing");
    case(
        without("refundTime"),
        "installmentList[0].refundTime is missing",
    );
    case(
        with("payNo", json!("1")),
        "installmentList[0].payNo is a string, not an integer",
    );
    case(
        with("amount", json!(1.234)),
        "installmentList[0].amount 1.234 has more than two",
    );
    case(
        with("amount", json!(-0.5)),
        "installmentList[0].amount -0.5 is negative",
    );
    case(
        with("refundTime", json!("2021/05/10 11:59:59")),
        "[0].refundTime '2021/05/10",
    );
    case(
        with("pay_no", json!(1)),
        "unknown key 'secondRefundReq.installmentList[0].pay_no'",
    );
}

#[tokio::test]
async fn each_strict_check_names_its_field() {
    let sandbox = start(SandboxOptions::default()).await;
    let client = client();
    for (mutate, want) in strict_cases() {
        let mut body = fresh_sample();
        mutate(&mut body);
        let answer = post(&client, &sandbox, &body).await;
        let (code, desc) = deal(&answer);
        assert_eq!(code, "0", "{want}: {answer}");
        assert!(desc.contains(&want), "want '{want}' in '{desc}'");
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn raw_bodies_and_content_types_are_checked() {
    let sandbox = start(SandboxOptions::default()).await;
    let client = client();
    let valid = || fresh_sample().to_string();
    let trailing = {
        let s = valid();
        let end = s.rfind('}').unwrap();
        format!("{},{}", &s[..end], &s[end..])
    };
    let duplicate = {
        let s = valid();
        s.replacen("\"policyNo\":", "\"policyNo\":\"P-OTHER\",\"policyNo\":", 1)
    };
    let cases: Vec<(Option<&str>, String, &str)> = vec![
        (
            Some("application/json"),
            "{".into(),
            "the body is not valid JSON",
        ),
        (
            Some("application/json"),
            "".into(),
            "the body is not valid JSON",
        ),
        (Some("application/json"), trailing, "trailing comma"),
        (
            Some("application/json"),
            duplicate,
            "duplicate key 'policyNo'",
        ),
        (
            Some("application/json"),
            "[]".into(),
            "the body is an array, not an object",
        ),
        (
            Some("application/json"),
            "null".into(),
            "the body is null, not an object",
        ),
        (
            Some("text/plain"),
            valid(),
            "Content-Type 'text/plain' is not application/json",
        ),
        (
            Some("application/json; charset=GBK"),
            valid(),
            "Content-Type 'application/json; charset=GBK'",
        ),
        (None, valid(), "the Content-Type header is missing"),
    ];
    for (content_type, body, want) in cases {
        let (status, answer) = post_raw(&client, &sandbox, content_type, body).await;
        assert_eq!(status, StatusCode::OK);
        let (code, desc) = deal(&answer);
        assert_eq!(code, "0", "{want}: {answer}");
        assert!(desc.contains(want), "want '{want}' in '{desc}'");
    }

    sandbox.shutdown().await;
}

#[tokio::test]
async fn bodies_that_are_not_json_are_answered_with_what_can_be_echoed() {
    let sandbox = start(SandboxOptions::default()).await;
    let client = client();
    // Invalid UTF-8 is not JSON either.
    let mut bytes = fresh_sample().to_string().into_bytes();
    bytes.extend_from_slice(b" \xff");
    let response = client
        .post(url(&sandbox))
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let answer = json_of(response).await;
    assert_eq!(deal(&answer).0, "0");

    // A broken request echoes what it can (strings only) and leaves the rest out.
    let mut body = fresh_sample();
    body["head"]["orderNo"] = json!(42);
    let uuid = body["head"]["uuid"].clone();
    let answer = post(&client, &sandbox, &body).await;
    assert!(answer["head"].get("orderNo").is_none(), "{answer}");
    assert_eq!(answer["head"]["uuid"], uuid);
    assert_eq!(
        answer["secondRefundResp"]["policyNo"],
        body["secondRefundReq"]["policyNo"]
    );
    let (status, answer) = post_raw(&client, &sandbox, Some("application/json"), "[".into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["head"].as_object().unwrap().len(),
        1,
        "only respTime: {answer}"
    );
    assert!(answer["secondRefundResp"].get("policyNo").is_none());
    sandbox.shutdown().await;
}

/// reqwest here has no `json` feature; read the body by hand.
async fn json_of(response: reqwest::Response) -> Value {
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

#[tokio::test]
async fn repeats_are_idempotent_and_conflicts_are_refused() {
    let sandbox = start(SandboxOptions::default()).await;
    let client = client();
    let (order, policy) = (unique("QS"), unique("P"));
    let first = post(&client, &sandbox, &sample(&order, &policy, &fresh_uuid())).await;
    assert_eq!(deal(&first), ("1", "成功"));

    // Same orderNo and policy, new uuid: answered as the first, echoing the new uuid.
    let again_uuid = fresh_uuid();
    let again = post(&client, &sandbox, &sample(&order, &policy, &again_uuid)).await;
    assert_eq!(deal(&again), deal(&first));
    assert_eq!(again["head"]["uuid"], again_uuid.as_str());
    assert_eq!(again["head"]["orderNo"], order.as_str());

    // The same uuid again, even for the very same notice: every request needs a fresh one.
    let reused = post(&client, &sandbox, &sample(&order, &policy, &again_uuid)).await;
    let (code, desc) = deal(&reused);
    assert_eq!(code, "0");
    assert!(
        desc.contains(&format!("head.uuid '{again_uuid}' was already used")),
        "{desc}"
    );

    // The orderNo for another policy.
    let other = unique("P");
    let answer = post(&client, &sandbox, &sample(&order, &other, &fresh_uuid())).await;
    let (code, desc) = deal(&answer);
    assert_eq!(code, "0");
    assert!(
        desc.contains(&format!("'{order}' was already used for policy '{policy}'")),
        "{desc}"
    );

    // The policy under another orderNo.
    let answer = post(
        &client,
        &sandbox,
        &sample(&unique("QS"), &policy, &fresh_uuid()),
    )
    .await;
    let (code, desc) = deal(&answer);
    assert_eq!(code, "0");
    assert!(
        desc.contains(&format!("already notified under orderNo '{order}'")),
        "{desc}"
    );

    // A uuid used up by a request that failed another check cannot be used again either.
    let spent = fresh_uuid();
    let mut bad = sample(&unique("QS"), &unique("P"), &spent);
    bad["head"]["interfaceType"] = json!("proposalOrder");
    assert_eq!(deal(&post(&client, &sandbox, &bad).await).0, "0");
    let answer = post(
        &client,
        &sandbox,
        &sample(&unique("QS"), &unique("P"), &spent),
    )
    .await;
    assert!(deal(&answer).1.contains("was already used"), "{answer}");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn concurrent_repeats_share_one_history() {
    let sandbox = start(SandboxOptions::default()).await;
    let client = client();
    let (order, policy) = (unique("QS"), unique("P"));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (client, url) = (client.clone(), url(&sandbox));
            let body = sample(&order, &policy, &fresh_uuid()).to_string();
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                json_of(response).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(deal(&task.await.unwrap()), ("1", "成功"));
    }
    sandbox.shutdown().await;
}

#[tokio::test]
async fn reject_patterns_are_answered_and_remembered() {
    let options = SandboxOptions {
        reject: vec!["P-BAD-*".into(), "P-??9".into()],
        ..Default::default()
    };
    let sandbox = start(options).await;
    let client = client();
    let order = unique("QS");
    let answer = post(&client, &sandbox, &sample(&order, "P-BAD-1", &fresh_uuid())).await;
    assert_eq!(deal(&answer), ("0", "rejected by sandbox rule 'P-BAD-*'"));
    let again = post(&client, &sandbox, &sample(&order, "P-BAD-1", &fresh_uuid())).await;
    assert_eq!(deal(&again), deal(&answer));
    let answer = post(
        &client,
        &sandbox,
        &sample(&unique("QS"), "P-X19", &fresh_uuid()),
    )
    .await;
    assert_eq!(deal(&answer), ("0", "rejected by sandbox rule 'P-??9'"));
    let answer = post(
        &client,
        &sandbox,
        &sample(&unique("QS"), "P-GOOD-1", &fresh_uuid()),
    )
    .await;
    assert_eq!(deal(&answer), ("1", "成功"));
    sandbox.shutdown().await;
}

async fn statuses(options: SandboxOptions, n: usize) -> Vec<u16> {
    let sandbox = start(options).await;
    let client = client();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (status, answer) = post_raw(
            &client,
            &sandbox,
            Some("application/json"),
            fresh_sample().to_string(),
        )
        .await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert!(answer.as_str().unwrap().contains("<html>"));
        } else {
            assert_eq!(deal(&answer).0, "1", "{answer}");
        }
        out.push(status.as_u16());
    }
    sandbox.shutdown().await;
    out
}

#[tokio::test]
async fn fail_rate_ends_are_exact_and_a_seed_repeats_the_middle() {
    let all = |rate| SandboxOptions {
        fail_rate: rate,
        ..Default::default()
    };
    assert!(statuses(all(1.0), 10).await.iter().all(|&s| s == 503));
    assert!(statuses(all(0.0), 30).await.iter().all(|&s| s == 200));

    let seeded = || SandboxOptions {
        fail_rate: 0.5,
        seed: Some(42),
        ..Default::default()
    };
    let first = statuses(seeded(), 40).await;
    let second = statuses(seeded(), 40).await;
    assert_eq!(first, second);
    assert!(first.contains(&200) && first.contains(&503), "{first:?}");
}

#[tokio::test]
async fn only_post_on_the_notice_path_is_served() {
    let sandbox = start(SandboxOptions::default()).await;
    let client = client();
    let other = client
        .post(format!("{}/avatar/other", sandbox.base_url()))
        .header("content-type", "application/json")
        .body(fresh_sample().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let get = client.get(url(&sandbox)).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.headers()["allow"], "POST");
    assert!(sandbox.addr().ip().is_loopback());
    assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let sandbox = start(SandboxOptions {
        latency_ms: 200,
        ..Default::default()
    })
    .await;
    let started = Instant::now();
    let answer = post(&client(), &sandbox, &fresh_sample()).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(deal(&answer).0, "1");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn bad_options_are_refused_and_shutdown_stops_serving() {
    for rate in [1.5, -0.1, f64::NAN] {
        let options = SandboxOptions {
            fail_rate: rate,
            ..Default::default()
        };
        assert!(options.check().is_err());
        let err = Sandbox::start(0, options).await.err().unwrap();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    }
    let sandbox = start(SandboxOptions::default()).await;
    let url = url(&sandbox);
    sandbox.shutdown().await;
    assert!(client().post(url).body("{}").send().await.is_err());
}

#[test]
fn log_values_stay_on_one_line() {
    assert_eq!(super::one_line("P1 成功"), "P1 成功");
    assert_eq!(super::one_line("a\nb\r"), "a\\nb\\r");
}
