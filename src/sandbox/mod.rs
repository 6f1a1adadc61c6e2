//! A local Avatar simulator for rehearsals, demos and tests (`avatar-cli sandbox`).
//!
//! It serves only `POST /avatar/refund/second/refundNotice` on loopback and checks each request
//! as strictly as the protocol allows (see `crate::protocol`'s module docs), reading the raw JSON (see `check`), so
//! that a client bug cannot hide behind types both sides share. What it remembers (uuids, and
//! the answer given to each orderNo) lives only as long as the process.

mod check;
mod glob;
#[cfg(test)]
mod tests;

use crate::protocol::{cst, REFUND_NOTICE_PATH};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::serve::ListenerExt;
use axum::Router;
use check::{Echo, Notice};
use glob::Glob;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The platform's own bodies are small; this only keeps a runaway client from filling memory.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// How long `shutdown` waits for requests in flight before it stops waiting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
const DEAL_OK: &str = "1";
const DEAL_REJECTED: &str = "0";
const DESC_OK: &str = "成功";
const JSON_UTF8: &str = "application/json;charset=UTF-8";
const GATEWAY_503: &str =
    "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n\
<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n\
<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
const NOT_FOUND: &str = "<html>\r\n<head><title>404 Not Found</title></head>\r\n\
<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
const NOT_ALLOWED: &str = "<html>\r\n<head><title>405 Not Allowed</title></head>\r\n\
<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// Where the sandbox's log lines go: one line per handled request, already made safe for a
/// terminal.
pub type Log = std::sync::Arc<dyn Fn(String) + Send + Sync>;

#[derive(Clone, Default)]
pub struct SandboxOptions {
    /// Sleep before answering each request to the notice path.
    pub latency_ms: u64,
    /// 0.0..=1.0: share of requests answered HTTP 503 (HTML body) before any check.
    pub fail_rate: f64,
    /// Glob patterns (`*`, `?`) on policyNo, answered dealCode "0".
    pub reject: Vec<String>,
    /// Seeds the draw for `fail_rate`, so a rehearsal is repeatable.
    pub seed: Option<u64>,
    /// One line per handled request, or none.
    pub log: Option<Log>,
}

impl SandboxOptions {
    pub fn check(&self) -> Result<(), String> {
        // Written so that NaN fails too.
        if !(0.0..=1.0).contains(&self.fail_rate) {
            return Err(format!(
                "--fail-rate {} is not between 0 and 1",
                self.fail_rate
            ));
        }
        if self.reject.iter().any(|p| p.is_empty()) {
            return Err("--reject: a pattern is empty (it would match no policy)".into());
        }
        Ok(())
    }
}

/// A running sandbox. Dropping it stops the server too (its stop signal's sender goes away);
/// `shutdown` also waits for the server to finish.
pub struct Sandbox {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Sandbox {
    /// Binds 127.0.0.1:<port> (0 = a free port) and serves on the current tokio runtime in a
    /// spawned task. Invalid options are `io::ErrorKind::InvalidInput`.
    pub async fn start(port: u16, options: SandboxOptions) -> io::Result<Sandbox> {
        options
            .check()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await?;
        let addr = listener.local_addr()?;
        // Small request/answer pairs on kept-alive connections: Nagle would only add delay.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let app = Arc::new(App::new(options));
        let log = app.options.log.clone();
        let router = Router::new().fallback(handle).with_state(app);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let signal = async {
                // A dropped sender (the Sandbox dropped) stops the server as well.
                let _ = stopped.await;
            };
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(signal)
                .await
            {
                if let Some(log) = log {
                    log(one_line(&format!("sandbox: server error: {e}")).into_owned());
                }
            }
        });
        Ok(Sandbox { addr, stop, task })
    }

    #[cfg(test)]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without the notice path.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (up to a few seconds), then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// What the platform remembers about an orderNo: the policy it belongs to and the answer given.
struct Order {
    policy_no: String,
    deal_code: &'static str,
    deal_desc: String,
}

#[derive(Default)]
struct Memory {
    uuids: HashSet<uuid::Uuid>,
    orders: HashMap<String, Order>,
    /// policyNo → the orderNo it was first notified under.
    policies: HashMap<String, String>,
}

struct App {
    options: SandboxOptions,
    reject: Vec<Glob>,
    rng: Mutex<fastrand::Rng>,
    memory: Mutex<Memory>,
}

/// A poisoned lock only means another request panicked mid-update; the maps are still usable
/// and the sandbox should keep answering.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl App {
    fn new(options: SandboxOptions) -> Self {
        let rng = match options.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        App {
            reject: options.reject.iter().map(|p| Glob::new(p)).collect(),
            options,
            rng: Mutex::new(rng),
            memory: Mutex::new(Memory::default()),
        }
    }

    /// The ends need no draw, so 0.0 and 1.0 are exact and cost no lock.
    fn should_fail(&self) -> bool {
        let rate = self.options.fail_rate;
        if rate <= 0.0 {
            false
        } else if rate >= 1.0 {
            true
        } else {
            lock(&self.rng).f64() < rate
        }
    }

    /// The stateful part: uuid freshness, then the orderNo idempotency rules, then the reject
    /// rules; everything under one short lock so that concurrent repeats see one history.
    fn decide(
        &self,
        echo: &Echo<'_>,
        checked: Result<Notice<'_>, String>,
    ) -> (&'static str, String) {
        let rule = match &checked {
            Ok(notice) => self.reject.iter().find(|g| g.matches(notice.policy_no)),
            Err(_) => None,
        };
        let mut memory = lock(&self.memory);
        // Every parseable uuid is used up, even by a request that fails another check:
        // the platform wants each request to carry a fresh one.
        let fresh = echo.uuid_value.map(|u| memory.uuids.insert(u));
        let notice = match checked {
            Ok(notice) => notice,
            Err(reason) => return (DEAL_REJECTED, reason),
        };
        if fresh == Some(false) {
            return (
                DEAL_REJECTED,
                format!(
                    "head.uuid '{}' was already used by an earlier request",
                    echo.uuid.unwrap_or_default()
                ),
            );
        }
        if let Some(order) = memory.orders.get(notice.order_no) {
            if order.policy_no == notice.policy_no {
                return (order.deal_code, order.deal_desc.clone());
            }
            return (
                DEAL_REJECTED,
                format!(
                    "head.orderNo '{}' was already used for policy '{}'",
                    notice.order_no, order.policy_no
                ),
            );
        }
        if let Some(earlier) = memory.policies.get(notice.policy_no) {
            return (
                DEAL_REJECTED,
                format!(
                    "secondRefundReq.policyNo '{}' was already notified under orderNo '{}'",
                    notice.policy_no, earlier
                ),
            );
        }
        let (deal_code, deal_desc) = match rule {
            Some(g) => (
                DEAL_REJECTED,
                format!("rejected by sandbox rule '{}'", g.as_str()),
            ),
            None => (DEAL_OK, DESC_OK.to_owned()),
        };
        memory
            .policies
            .insert(notice.policy_no.to_owned(), notice.order_no.to_owned());
        memory.orders.insert(
            notice.order_no.to_owned(),
            Order {
                policy_no: notice.policy_no.to_owned(),
                deal_code,
                deal_desc: deal_desc.clone(),
            },
        );
        (deal_code, deal_desc)
    }

    fn log(&self, started: Instant, method: &Method, path: &str, status: StatusCode, rest: &str) {
        let Some(log) = &self.options.log else {
            return;
        };
        let now = crate::clock::now().with_timezone(&cst());
        // The notice path is the only one served; name a path only when it is another one or
        // the method was wrong.
        let path = if path == REFUND_NOTICE_PATH && method == Method::POST {
            ""
        } else {
            path
        };
        let sep = if path.is_empty() { "" } else { " " };
        let line = format!(
            "{} {method}{sep}{path} {}{rest} ({} ms)",
            now.format("%Y-%m-%dT%H:%M:%S%.3f%:z"),
            status.as_u16(),
            started.elapsed().as_millis()
        );
        log(one_line(&line).into_owned());
    }
}

/// Request values go into the log; a newline or terminal code in one must not forge a second
/// log line or reach the terminal.
fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    crate::text::escape_controls(s)
}

fn html(status: StatusCode, body: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Waits until `deadline`, to within tens of microseconds. A tokio timer fires on the
/// millisecond tick after its deadline, up to a millisecond late: at `--latency-ms 50` that
/// was 2-3% more latency than asked for (wrk measured 51.5 ms). The timer takes the wait to
/// within a millisecond and a blocking thread's sleep, precise to microseconds, does the rest.
async fn sleep_until_precisely(deadline: Instant) {
    if let Some(coarse) = deadline.checked_sub(Duration::from_millis(1)) {
        tokio::time::sleep_until(coarse.into()).await;
    }
    let rest = deadline.saturating_duration_since(Instant::now());
    if !rest.is_zero() {
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

async fn handle(State(app): State<Arc<App>>, request: Request) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    if request.uri().path() != REFUND_NOTICE_PATH {
        app.log(
            started,
            &method,
            &one_line(request.uri().path()),
            StatusCode::NOT_FOUND,
            "",
        );
        return html(StatusCode::NOT_FOUND, NOT_FOUND);
    }
    let path = REFUND_NOTICE_PATH;
    if method != Method::POST {
        app.log(started, &method, path, StatusCode::METHOD_NOT_ALLOWED, "");
        let mut response = html(StatusCode::METHOD_NOT_ALLOWED, NOT_ALLOWED);
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    if app.options.latency_ms > 0 {
        sleep_until_precisely(started + Duration::from_millis(app.options.latency_ms)).await;
    }
    if app.should_fail() {
        app.log(
            started,
            &method,
            path,
            StatusCode::SERVICE_UNAVAILABLE,
            " (fail-rate)",
        );
        return html(StatusCode::SERVICE_UNAVAILABLE, GATEWAY_503);
    }
    let content_type = request.headers().get(header::CONTENT_TYPE).cloned();
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(e) => {
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            app.log(
                started,
                &method,
                path,
                status,
                &format!(" body not read: {e}"),
            );
            return html(
                status,
                "<html><body><h1>413 Request Entity Too Large</h1></body></html>",
            );
        }
    };

    let parsed = check::parse(&body);
    let echo = parsed.as_ref().map(Echo::of).unwrap_or_default();
    let checked = check::check_content_type(content_type.as_ref().map(HeaderValue::as_bytes))
        .and(parsed.as_ref().map_err(Clone::clone))
        .and_then(|value| check::check(value, crate::clock::now()));
    let (deal_code, deal_desc) = app.decide(&echo, checked);

    if app.options.log.is_some() {
        let rest = format!(
            " dealCode={deal_code} policy={} order={} uuid={} {}",
            one_line(echo.policy_no.unwrap_or("-")),
            one_line(echo.order_no.unwrap_or("-")),
            one_line(echo.uuid.unwrap_or("-")),
            one_line(&deal_desc),
        );
        app.log(started, &method, path, StatusCode::OK, &rest);
    }
    answer(&echo, deal_code, &deal_desc)
}

/// The answer envelope, shaped like the spec's sample: the request's head echoed (strings
/// only, absent ones left out), `respTime` as epoch milliseconds, and the verdict. Borrowed
/// fields and a derived serializer: no intermediate map per request.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnswerEnvelope<'a> {
    head: AnswerHead<'a>,
    second_refund_resp: AnswerResp<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnswerHead<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_source: Option<&'a str>,
    resp_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    interface_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_no: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnswerResp<'a> {
    deal_code: &'a str,
    deal_desc: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    policy_no: Option<&'a str>,
}

fn answer(echo: &Echo<'_>, deal_code: &str, deal_desc: &str) -> Response {
    let envelope = AnswerEnvelope {
        head: AnswerHead {
            policy_source: echo.policy_source,
            resp_time: crate::clock::now().timestamp_millis(),
            interface_type: echo.interface_type,
            order_no: echo.order_no,
            uuid: echo.uuid,
        },
        second_refund_resp: AnswerResp {
            deal_code,
            deal_desc,
            policy_no: echo.policy_no,
        },
    };
    // Only strings and an integer: serializing cannot fail, but no request may cause a panic.
    let body = serde_json::to_vec(&envelope).unwrap_or_default();
    let mut response = Response::new(Body::from(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    response
}
