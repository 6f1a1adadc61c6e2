//! One notice over HTTP: its attempts, the backoff between them, and how each answer is judged.
//! It answers a [`Verdict`]: how the notice's sending ended, from which the engine makes the
//! notice's result.
//!
//! The journal is not known here: the caller passes an [`AttemptLog`] that records an attempt
//! before its request leaves and its end after it returns.

use crate::error::refuse;
use crate::error::Refusal;
use crate::notice::Outcome;
use crate::pace::{RateLimit, Stop};
use crate::protocol::{self, Answer, Head, RefundDetails, Sent};
use crate::redact::Secrets;
use crate::settings::ExtraHeader;
use crate::text::{escape_controls, quote};
use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The longest `Retry-After` we honour; a server asking for more gets this.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
const BACKOFF_BASE: Duration = Duration::from_millis(250);
const BACKOFF_CAP: Duration = Duration::from_secs(8);
/// The largest answer read. The platform's answers are a few hundred bytes; a bigger one is not
/// an answer, and reading it whole would let a server fill this machine's memory.
pub const MAX_ANSWER_BYTES: usize = 1024 * 1024;
/// How much of an answer body the journal keeps (the rest is marked as cut).
pub const ANSWER_KEPT: usize = 64 * 1024;

/// Where `-v` lines go (stderr, through the progress bar when one is drawn).
pub type VerboseSink = Arc<dyn Fn(String) + Send + Sync>;

/// Everything fixed for a run.
pub struct ClientConfig<'a> {
    pub endpoint: String,
    pub policy_source: String,
    pub interface_type: String,
    pub timeout: Duration,
    pub retries: u32,
    pub cacert: Option<&'a Path>,
    pub headers: &'a [ExtraHeader],
    pub verbose: Option<VerboseSink>,
}

pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    /// The endpoint parsed once: parsing it per request cost more than building the body.
    endpoint_url: reqwest::Url,
    policy_source: String,
    interface_type: String,
    retries: u32,
    verbose: Option<VerboseSink>,
    header_names: Vec<String>,
    /// The header values, taken out of every answer as it arrives.
    secrets: Secrets,
}

pub use crate::notice::AttemptEnd;

/// The notice a [`Client::send`] sends: under which orderNo, for which policy, with what.
#[derive(Clone, Copy)]
pub struct Sending<'a> {
    pub order_no: &'a str,
    pub policy_no: &'a str,
    pub details: &'a RefundDetails,
}

/// Records attempts. `before` must have made the attempt durable when it returns: the request
/// leaves only after it. `final_outcome` is set on the notice's last attempt.
#[allow(async_fn_in_trait)] // used generically within this crate only
pub trait AttemptLog {
    type Token;
    /// `body` is the request exactly as it leaves (headers are not part of it).
    async fn before(&self, uuid: &str, req_time: &str, body: &[u8]) -> anyhow::Result<Self::Token>;
    async fn after(
        &self,
        token: Self::Token,
        end: &AttemptEnd,
        final_outcome: Option<Outcome>,
    ) -> anyhow::Result<()>;
    /// A first attempt the log recorded already (uuid, reqTime, body, and its token): the
    /// client sends exactly that instead of building and recording one. Asked once, for the
    /// first attempt.
    fn recorded_first(&self) -> Option<(String, String, Vec<u8>, Self::Token)> {
        None
    }
    /// Whether an earlier run's attempt of this notice may have reached the platform: then
    /// only a readable answer in this run can take the notice out of doubt.
    fn in_doubt_before(&self) -> bool {
        false
    }
}

/// For `--no-journal`.
pub struct NoLog;

impl AttemptLog for NoLog {
    type Token = ();
    async fn before(&self, _: &str, _: &str, _: &[u8]) -> anyhow::Result<()> {
        Ok(())
    }
    async fn after(&self, _: (), _: &AttemptEnd, _: Option<Outcome>) -> anyhow::Result<()> {
        Ok(())
    }
}

/// How a notice's sending ended: its outcome (accepted, rejected, failed, in doubt, or not
/// sent when the run stopped first) and what the last attempt showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub attempts: u32,
    /// The last attempt's uuid, HTTP status and answer, or why it had none.
    pub uuid: Option<String>,
    pub http_status: Option<u16>,
    pub deal_code: Option<String>,
    pub deal_desc: Option<String>,
    pub error: Option<String>,
    /// An answer that does not match its request (uuid, orderNo, policyNo, respTime).
    pub warnings: Vec<String>,
    pub elapsed_ms: u64,
}

impl Default for Verdict {
    fn default() -> Verdict {
        Verdict {
            outcome: Outcome::NotSent,
            attempts: 0,
            uuid: None,
            http_status: None,
            deal_code: None,
            deal_desc: None,
            error: None,
            warnings: Vec::new(),
            elapsed_ms: 0,
        }
    }
}

/// How one attempt ended.
enum Judged {
    Answered(Answer),
    /// No answer the platform's dealCode could be read from.
    Unanswered(Unanswered),
}

struct Unanswered {
    error: String,
    retry: Retry,
    /// Whether the request may have reached the platform: false only when the connection was
    /// never made, or an error answer was read whole (the platform said it did not take it).
    may_have_arrived: bool,
}

enum Retry {
    /// No point in asking again (other 4xx, 3xx, any 2xx, an answer too large to read).
    No,
    /// Worth another attempt (connection error, timeout, 408, 429, 5xx), after the wait the
    /// platform asked for, if any.
    After(Option<Duration>),
}

impl Judged {
    fn unanswered(error: String, retry: Retry, may_have_arrived: bool) -> Judged {
        Judged::Unanswered(Unanswered {
            error,
            retry,
            may_have_arrived,
        })
    }
}

/// What an attempt's verdict means for its notice.
enum Settled {
    /// The notice ends with this outcome.
    Final(Outcome),
    /// Try again, after the wait the platform asked for, if any.
    Again(Option<Duration>),
}

/// Whether a notice without a readable answer may still have reached the platform, and
/// through which attempt: it is then in doubt, not failed.
#[derive(Clone, Copy, Debug, Default)]
struct Doubt {
    /// An earlier run's attempt (the journal held the notice in doubt).
    earlier: bool,
    /// One of this run's attempts.
    this_run: bool,
}

impl Doubt {
    /// The outcome of a notice that got no readable answer.
    fn unanswered(self) -> Outcome {
        if self.earlier || self.this_run {
            Outcome::InDoubt
        } else {
            Outcome::Failed
        }
    }

    /// Said after the last error of a notice left in doubt.
    fn why(self) -> &'static str {
        if self.this_run {
            "; it may have reached the platform: in doubt, and the next run resends it under the same orderNo"
        } else {
            "; an earlier attempt may have reached the platform: in doubt, and the next run resends it under the same orderNo"
        }
    }
}

/// How reading a body ended.
enum Body {
    Read(Vec<u8>),
    TooLarge,
    Broken(reqwest::Error),
}

/// The attempt log failed while a notice was being sent: the run must stop (exit 3). What was
/// known of the notice by then comes with it.
#[derive(Debug)]
pub struct LogFailed {
    pub verdict: Verdict,
    pub error: anyhow::Error,
}

/// The attempt log's failure, on its way out of [`Client::send`].
struct Unlogged(anyhow::Error);

impl Client {
    pub fn new(config: ClientConfig<'_>) -> Result<Client, Refusal> {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=UTF-8"),
        );
        for h in config.headers {
            // Names and values were checked when the settings were read; this is a backstop.
            let name = HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|e| Refusal::Config(e.to_string()))?;
            let mut value =
                HeaderValue::from_str(&h.value).map_err(|e| Refusal::Config(e.to_string()))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let proxy = choose_proxy(&config.endpoint, |name| std::env::var(name).ok())
            .map_err(Refusal::Config)?;
        if let Some(sink) = &config.verbose {
            sink(format!("endpoint: {}", config.endpoint));
            sink(format!("proxy: {}", proxy.describe()));
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(concat!("avatar-cli/", env!("CARGO_PKG_VERSION")))
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            // A redirected POST may turn into a GET or land elsewhere: report it instead.
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .pool_max_idle_per_host(256)
            // reqwest would otherwise read the proxy variables itself, HTTP_PROXY for a
            // loopback http:// target included: the one decision is `choose_proxy`'s.
            .no_proxy();
        if let ProxyChoice::Via { url, .. } = &proxy {
            let proxy = reqwest::Proxy::https(url.as_str())
                .map_err(|e| refuse!(Config, "proxy {}: {e}", proxy.describe()))?;
            builder = builder.proxy(proxy);
        }
        if let Some(path) = config.cacert {
            builder = builder.tls_certs_merge(read_cacert(path)?);
        }
        let http = builder
            .build()
            .map_err(|e| refuse!(Setup, "cannot set up the HTTP client: {e}"))?;
        let endpoint_url = reqwest::Url::parse(&config.endpoint).map_err(|e| {
            refuse!(
                Config,
                "the endpoint {} is not a URL: {e}",
                quote(&config.endpoint)
            )
        })?;
        Ok(Client {
            http,
            endpoint_url,
            endpoint: config.endpoint,
            policy_source: config.policy_source,
            interface_type: config.interface_type,
            retries: config.retries,
            verbose: config.verbose,
            header_names: config.headers.iter().map(|h| h.name.clone()).collect(),
            secrets: Secrets::new(config.headers.iter().map(|h| h.value.as_str())),
        })
    }

    /// A HEAD of `url` with this client's TLS, proxy and headers: `doctor`'s probe, which
    /// sends no notice. The error says whether the connection (TCP or TLS) failed, and why.
    pub async fn head(&self, url: &str) -> Result<reqwest::Response, (bool, String)> {
        let sent = self.http.head(url).send().await;
        sent.map_err(|e| (e.is_connect(), describe(&e)))
    }

    /// One attempt's envelope, with a fresh uuid and reqTime: (uuid, reqTime, body).
    pub fn envelope(
        &self,
        order_no: &str,
        policy_no: &str,
        details: &RefundDetails,
    ) -> (String, String, Vec<u8>) {
        let uuid = uuid::Uuid::new_v4().to_string();
        let req_time = protocol::format_cst(crate::clock::now());
        let head = Head {
            policy_source: &self.policy_source,
            req_time: req_time.clone(),
            interface_type: &self.interface_type,
            order_no,
            uuid: uuid.clone(),
        };
        (
            uuid,
            req_time,
            protocol::envelope_json(head, policy_no, details),
        )
    }

    /// Sends one notice under `order_no`, retrying as the README's "Retries" says. `Err` only
    /// when the log failed: the notice's fate is then unknown to it.
    pub async fn send<L: AttemptLog>(
        &self,
        sending: Sending<'_>,
        log: &L,
        stop: &Stop,
        rate: Option<&RateLimit>,
    ) -> Result<Verdict, LogFailed> {
        let started = Instant::now();
        let mut doubt = Doubt {
            earlier: log.in_doubt_before(),
            this_run: false,
        };
        let mut verdict = Verdict::default();
        let sent = self
            .attempts(sending, log, stop, rate, &mut doubt, &mut verdict)
            .await;
        if verdict.outcome == Outcome::InDoubt {
            if let Some(error) = &mut verdict.error {
                error.push_str(doubt.why());
            }
        }
        if sent.is_err() && verdict.attempts > 0 && doubt.unanswered() == Outcome::InDoubt {
            // The log failed mid-notice: what was sent may still have arrived.
            verdict.outcome = Outcome::InDoubt;
        }
        verdict.elapsed_ms = started.elapsed().as_millis() as u64;
        match sent {
            Ok(()) => Ok(verdict),
            Err(Unlogged(error)) => Err(LogFailed { verdict, error }),
        }
    }

    /// The attempts of [`Client::send`], until one decides, the retries run out or the run
    /// stops; `doubt` collects whether any may have reached the platform.
    async fn attempts<L: AttemptLog>(
        &self,
        sending: Sending<'_>,
        log: &L,
        stop: &Stop,
        rate: Option<&RateLimit>,
        doubt: &mut Doubt,
        result: &mut Verdict,
    ) -> Result<(), Unlogged> {
        loop {
            let may_start = match rate {
                Some(rate) => rate.wait(stop).await,
                None => !stop.is_triggered() || result.attempts > 0,
            };
            if !may_start {
                // Stopped while waiting for a slot: never sent at all is `notSent`; after an
                // attempt without an answer, that attempt's end stands.
                result.outcome = if result.attempts == 0 {
                    Outcome::NotSent
                } else {
                    doubt.unanswered()
                };
                return Ok(());
            }
            result.attempts += 1;
            let retry_after = match self
                .logged_attempt(sending, log, stop, doubt, result)
                .await?
            {
                Settled::Again(retry_after) => retry_after,
                Settled::Final(_) => return Ok(()),
            };
            let delay = retry_after.unwrap_or_else(|| backoff(result.attempts));
            if stop.sleep(delay).await {
                // Ctrl-C between attempts: nothing is in flight, so stop here. The notice is
                // failed for this run, or in doubt if an attempt may have reached the platform.
                result.outcome = doubt.unanswered();
                result.error = result
                    .error
                    .take()
                    .map(|e| format!("{e}; stopped before the next attempt"));
                return Ok(());
            }
        }
    }

    /// One attempt, recorded by `log` before its request leaves and after its answer: what it
    /// means for the notice, with `result` filled in (and its outcome, once final).
    async fn logged_attempt<L: AttemptLog>(
        &self,
        sending: Sending<'_>,
        log: &L,
        stop: &Stop,
        doubt: &mut Doubt,
        result: &mut Verdict,
    ) -> Result<Settled, Unlogged> {
        let Sending {
            order_no,
            policy_no,
            details,
        } = sending;
        let first = if result.attempts == 1 {
            log.recorded_first()
        } else {
            None
        };
        let (uuid, body, token) = match first {
            Some((uuid, _, body, token)) => (uuid, body, token),
            None => {
                let (uuid, req_time, body) = self.envelope(order_no, policy_no, details);
                let token = log
                    .before(&uuid, &req_time, &body)
                    .await
                    .map_err(Unlogged)?;
                (uuid, body, token)
            }
        };
        self.trace_request(&body);
        let attempt_start = Instant::now();
        let ((http_status, verdict), answer) = self.attempt(body).await;
        result.uuid = Some(uuid.clone());
        let mut end = AttemptEnd {
            elapsed_ms: attempt_start.elapsed().as_millis() as u64,
            answer_cut: answer.as_ref().is_some_and(|a| a.len() > ANSWER_KEPT),
            answer: answer.map(|mut a| {
                a.truncate(ANSWER_KEPT);
                a
            }),
            http_status,
            ..AttemptEnd::default()
        };
        result.http_status = http_status;
        let sent = Sent {
            policy_no,
            order_no,
            uuid: &uuid,
        };
        let settled = self.settle(verdict, &sent, stop, doubt, &mut end, result);
        let final_outcome = match settled {
            Settled::Final(outcome) => Some(outcome),
            Settled::Again(_) => None,
        };
        log.after(token, &end, final_outcome)
            .await
            .map_err(Unlogged)?;
        if let Some(outcome) = final_outcome {
            result.outcome = outcome;
        }
        Ok(settled)
    }

    /// What one attempt's verdict means for the notice, with `end` and `result` filled in.
    fn settle(
        &self,
        verdict: Judged,
        sent: &Sent<'_>,
        stop: &Stop,
        doubt: &mut Doubt,
        end: &mut AttemptEnd,
        result: &mut Verdict,
    ) -> Settled {
        match verdict {
            Judged::Answered(answer) => {
                result
                    .warnings
                    .extend(protocol::echo_warnings(&answer, sent, crate::clock::now()));
                let outcome = if answer.accepted() {
                    Outcome::Accepted
                } else {
                    Outcome::Rejected
                };
                end.deal_code = Some(answer.deal_code.clone());
                end.deal_desc = Some(answer.deal_desc.clone());
                result.deal_code = Some(answer.deal_code);
                result.deal_desc = Some(answer.deal_desc);
                result.error = None;
                Settled::Final(outcome)
            }
            Judged::Unanswered(Unanswered {
                error,
                retry,
                may_have_arrived,
            }) => {
                end.error = Some(error.clone());
                end.may_have_arrived = may_have_arrived;
                doubt.this_run |= may_have_arrived;
                let again = match retry {
                    Retry::After(wait)
                        if result.attempts <= self.retries && !stop.is_triggered() =>
                    {
                        Some(wait)
                    }
                    Retry::After(_) | Retry::No => None,
                };
                result.error = Some(if again.is_none() && result.attempts > 1 {
                    format!("{error} (after {} attempts)", result.attempts)
                } else {
                    error
                });
                match again {
                    Some(wait) => Settled::Again(wait),
                    None => Settled::Final(doubt.unanswered()),
                }
            }
        }
    }

    /// The verdict, and the answer body when one was read whole (for the journal). No header
    /// value is left in either: the body was redacted as it was read, and the texts drawn
    /// from anything else the server sent are here.
    async fn attempt(&self, body: Vec<u8>) -> ((Option<u16>, Judged), Option<Vec<u8>>) {
        let mut body_read = None;
        let (status, mut verdict) = self.attempt_verdict(body, &mut body_read).await;
        let secrets = &self.secrets;
        match &mut verdict {
            Judged::Answered(answer) => {
                secrets.in_place(&mut answer.deal_code);
                secrets.in_place(&mut answer.deal_desc);
                for echoed in [
                    &mut answer.policy_no,
                    &mut answer.order_no,
                    &mut answer.uuid,
                    &mut answer.resp_time_unreadable,
                ]
                .into_iter()
                .flatten()
                {
                    secrets.in_place(echoed);
                }
            }
            Judged::Unanswered(unanswered) => secrets.in_place(&mut unanswered.error),
        }
        ((status, verdict), body_read)
    }

    async fn attempt_verdict(
        &self,
        body: Vec<u8>,
        body_read: &mut Option<Vec<u8>>,
    ) -> (Option<u16>, Judged) {
        let mut response = match self
            .http
            .post(self.endpoint_url.clone())
            .body(body)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                // A connection never made carried nothing. Past it, a small request has been
                // written whole, and the platform may be working on it. Either is retried,
                // under the same orderNo.
                let may_have_arrived = !e.is_connect();
                let error = if e.is_timeout() && may_have_arrived {
                    "timed out waiting for the answer".into()
                } else {
                    describe(&e)
                };
                return (
                    None,
                    Judged::unanswered(error, Retry::After(None), may_have_arrived),
                );
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let mut body = read_body(&mut response).await;
        if let Body::Read(b) = &mut body {
            // Before anything keeps or shows it: the server may echo a header value.
            if let std::borrow::Cow::Owned(redacted) = self.secrets.body(b) {
                *b = redacted;
            }
        }
        if let Body::Read(b) = &body {
            // One byte past the cap is enough to know it was cut.
            *body_read = Some(b[..b.len().min(ANSWER_KEPT + 1)].to_vec());
        }
        let code = Some(status.as_u16());
        self.trace_response(status, &body);
        let bytes = match unread(status, body, retry_after) {
            Ok(bytes) => bytes,
            Err(verdict) => return (code, *verdict),
        };
        if status.is_success() {
            return match protocol::read_answer(&bytes) {
                Ok(answer) => (code, Judged::Answered(answer)),
                // The platform took the request and said something this cannot read: it may
                // have accepted it. Not asked again in this run, which could act twice.
                Err(e) => (
                    code,
                    Judged::unanswered(
                        format!(
                            "HTTP {status} with an unreadable answer: {e}{}",
                            snippet(&bytes)
                        ),
                        Retry::No,
                        true,
                    ),
                ),
            };
        }
        // An error answer read whole: the platform says it did not take the notice.
        let error = format!("HTTP {status}{}", snippet(&bytes));
        let retry = if retryable(status) {
            Retry::After(retry_after)
        } else {
            Retry::No
        };
        (code, Judged::unanswered(error, retry, false))
    }

    fn trace_request(&self, body: &[u8]) {
        if let Some(sink) = &self.verbose {
            let mut text = format!("> POST {}\n", self.endpoint);
            for name in &self.header_names {
                text.push_str(&format!("> {name}: <redacted>\n"));
            }
            text.push_str(&format!(
                "> {}",
                escape_controls(&String::from_utf8_lossy(body))
            ));
            sink(text);
        }
    }

    /// Bodies are escaped here, so that the `> `/`< ` lines are the only line structure.
    fn trace_response(&self, status: StatusCode, body: &Body) {
        if let Some(sink) = &self.verbose {
            let body = match body {
                Body::Read(b) => escape_controls(&String::from_utf8_lossy(b)).into_owned(),
                Body::TooLarge => "(answer larger than 1 MiB, not read)".into(),
                Body::Broken(e) => {
                    format!("(body not received: {})", self.secrets.text(&describe(e)))
                }
            };
            sink(format!("< HTTP {status}\n< {body}"));
        }
    }
}

/// The body in chunks, never more than [`MAX_ANSWER_BYTES`] of it.
async fn read_body(response: &mut reqwest::Response) -> Body {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Body::TooLarge;
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Body::TooLarge;
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Body::Read(body),
            Err(e) => return Body::Broken(e),
        }
    }
}

fn retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
}

/// Exponential, with jitter so that many workers do not retry in step: a random delay in
/// the upper half of base·2^(n-1), capped.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(BACKOFF_CAP);
    let half = ceiling / 2;
    half + half.mul_f64(fastrand::f64())
}

/// Seconds, or an HTTP date; capped at a minute.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&Utc) - crate::clock::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(RETRY_AFTER_CAP))
}

/// One line about a transport error, without reqwest's nested "error sending request" noise.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out (see --timeout)".into();
    }
    let mut text = if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "connection failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    let mut last = None;
    while let Some(s) = source {
        last = Some(s.to_string());
        source = s.source();
    }
    if let Some(root) = last {
        text.push_str(": ");
        match tls_advice(&root) {
            Some(advice) => text.push_str(advice),
            None => text.push_str(&crate::text::escape_controls(&root)),
        }
    }
    text
}

/// The certificate verification failures rustls reports, in words and with what to do. Matched
/// on rustls' wording: its error type is not reachable through reqwest's.
fn tls_advice(error: &str) -> Option<&'static str> {
    const ADVICE: [(&[&str], &str); 5] = [
        (
            &["CaUsedAsEndEntity"],
            "TLS: the server presents a CA certificate as its own; ask the platform for a \
             certificate signed by that CA, and pass the CA with --cacert",
        ),
        (
            &["UnknownIssuer"],
            "TLS: the server's certificate is not signed by a CA this machine trusts; if the \
             platform uses a private CA, pass that CA's certificate (PEM) with --cacert",
        ),
        (
            &["certificate expired", "Expired"],
            "TLS: the server's certificate has expired; check this machine's clock, then tell \
             the platform",
        ),
        (
            &["certificate not valid yet", "NotValidYet"],
            "TLS: the server's certificate is not valid yet; check this machine's clock",
        ),
        (
            &["certificate not valid for name", "NotValidForName"],
            "TLS: the server's certificate is not issued for this host name; check the base \
             URL's host, or ask the platform for a certificate naming it",
        ),
    ];
    ADVICE
        .iter()
        .find(|(marks, _)| marks.iter().any(|m| error.contains(m)))
        .map(|(_, advice)| *advice)
}

/// The most a CA file may hold: a bundle of a few hundred certificates.
const MAX_CACERT_BYTES: u64 = 4 * 1024 * 1024;

/// The certificates of a `--cacert` file: a regular file with at least one PEM certificate.
/// A file with none (a key, a CSV, an empty file) would only fail later, on every request.
fn read_cacert(path: &Path) -> Result<Vec<reqwest::Certificate>, Refusal> {
    use std::io::Read;
    let shown = crate::text::quote(&path.display().to_string());
    let cannot = |e: std::io::Error| refuse!(Config, "--cacert {shown}: cannot read it: {e}");
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(refuse!(
            Config,
            "--cacert {shown}: no PEM certificate found in it (it is {}, not a file)",
            crate::settings::file_kind(&meta)
        ));
    }
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_CACERT_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(cannot)?;
    if pem.len() as u64 > MAX_CACERT_BYTES {
        return Err(refuse!(
            Config,
            "--cacert {shown}: larger than 4 MiB; pass the CA certificate (PEM) only"
        ));
    }
    match reqwest::Certificate::from_pem_bundle(&pem) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        _ => Err(refuse!(
            Config,
            "--cacert {shown}: no PEM certificate found in it; pass the CA's certificate, \
             the file with -----BEGIN CERTIFICATE-----"
        )),
    }
}

/// How requests reach the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyChoice {
    /// Straight to the platform, and why.
    Direct(String),
    /// Through this proxy (http:// or https://), named by the variable it came from.
    Via { url: String, from: &'static str },
}

impl ProxyChoice {
    /// For `-v`: `none (loopback target)` or `http://…@proxy:3128 (from HTTPS_PROXY)`.
    pub fn describe(&self) -> String {
        match self {
            ProxyChoice::Direct(why) => format!("none ({why})"),
            ProxyChoice::Via { url, from } => format!("{} (from {from})", redact_userinfo(url)),
        }
    }
}

/// The proxy for `endpoint`, as curl would choose it, with one rule of our own: a loopback
/// target (and so every plain http:// one) is never proxied, since that would carry a notice
/// and its secret headers in clear text to another process. For https: `https_proxy`, then
/// `HTTPS_PROXY`, `all_proxy`, `ALL_PROXY`; `no_proxy`/`NO_PROXY` excludes hosts. Empty values
/// count as unset. `var` reads one environment variable.
pub fn choose_proxy(
    endpoint: &str,
    var: impl Fn(&str) -> Option<String>,
) -> Result<ProxyChoice, String> {
    let host = crate::base_url::host(endpoint);
    if crate::base_url::is_loopback(host) || !endpoint.starts_with("https://") {
        return Ok(ProxyChoice::Direct("loopback target".into()));
    }
    let first = |names: &[&'static str]| {
        names
            .iter()
            .find_map(|n| var(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    };
    let Some((from, raw)) = first(&["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]) else {
        return Ok(ProxyChoice::Direct(
            "no https_proxy, HTTPS_PROXY, all_proxy or ALL_PROXY set".into(),
        ));
    };
    if let Some((no_from, list)) = first(&["no_proxy", "NO_PROXY"]) {
        if no_proxy_matches(&list, host) {
            return Ok(ProxyChoice::Direct(format!("{host} matches {no_from}")));
        }
    }
    let raw = raw.trim();
    let url = if raw.contains("://") {
        raw.to_string()
    } else {
        // curl's reading of a bare host:port.
        format!("http://{raw}")
    };
    let scheme = url.split("://").next().unwrap_or("").to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "{from}: proxy scheme '{}' is not supported; use an http:// or https:// proxy, \
             or unset {from}",
            crate::text::quote(&scheme)
        ));
    }
    if reqwest::Url::parse(&url).is_err() {
        return Err(format!(
            "{from}: '{}' is not a proxy URL; expected http://host:port",
            crate::text::quote(&redact_userinfo(&url))
        ));
    }
    Ok(ProxyChoice::Via { url, from })
}

/// curl's `NO_PROXY`: comma-separated host names (each also matching its subdomains, a
/// leading dot allowed), IP addresses, CIDR ranges, or `*` for every host.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let bare = |s: &str| {
        s.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase()
    };
    let host = bare(host);
    let ip = host.parse::<std::net::IpAddr>().ok();
    list.split([',', ' ']).any(|entry| {
        let entry = entry.trim();
        if entry == "*" {
            return true;
        }
        let entry = bare(entry.trim_start_matches('.'));
        if entry.is_empty() {
            return false;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            return match (ip, net.parse::<std::net::IpAddr>(), bits.parse::<u32>()) {
                (Some(ip), Ok(net), Ok(bits)) => in_cidr(ip, net, bits),
                _ => false,
            };
        }
        host == entry || host.ends_with(&format!(".{entry}"))
    })
}

fn in_cidr(ip: std::net::IpAddr, net: std::net::IpAddr, bits: u32) -> bool {
    use std::net::IpAddr::{V4, V6};
    match (ip, net) {
        (V4(ip), V4(net)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (V6(ip), V6(net)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// `scheme://user:pass@host` as `scheme://…@host`.
fn redact_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// The start of a body, for an error message: enough to recognise an HTML error page.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Some(title) = html_title(&text) {
        return format!(" (HTML page: \"{}\")", crate::text::quote(&title));
    }
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        return String::new();
    }
    let cut: String = flat.chars().take(120).collect();
    let more = if cut.len() < flat.len() { "…" } else { "" };
    format!(": {cut}{more}")
}

/// What an HTML error page is about, in one line: its title, else its first heading, else
/// that it is one; `None` for a body that is not HTML. A proxy's or a gateway's page says
/// "503 Service Temporarily Unavailable" in its title; its markup says nothing to a person.
fn html_title(text: &str) -> Option<String> {
    let head: String = text.trim_start().chars().take(512).collect();
    let lower = head.to_ascii_lowercase();
    if !(lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.contains("<head"))
    {
        return None;
    }
    let lower_all = text.to_ascii_lowercase();
    let inner = |tag: &str| {
        let open = lower_all.find(&format!("<{tag}"))?;
        let start = open + lower_all[open..].find('>')? + 1;
        let end = start + lower_all[start..].find(&format!("</{tag}"))?;
        let plain = text.get(start..end)?;
        let flat = plain.split_whitespace().collect::<Vec<_>>().join(" ");
        (!flat.is_empty()).then_some(flat)
    };
    Some(
        inner("title")
            .or_else(|| inner("h1"))
            .unwrap_or_else(|| page_text(text)),
    )
}

/// An HTML page's text without its markup, on one line and short.
fn page_text(html: &str) -> String {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let flat = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None if flat.is_empty() => "no text".into(),
        None => flat,
    }
}

/// The body of an answer read whole, or the verdict when there is none. Short of a whole
/// answer nothing says what the platform did: the request may have reached it.
fn unread(
    status: StatusCode,
    body: Body,
    retry_after: Option<Duration>,
) -> Result<Vec<u8>, Box<Judged>> {
    let (what, retry) = match body {
        Body::Read(b) => return Ok(b),
        // Whatever it holds, it is no answer worth asking for again.
        Body::TooLarge => (
            " with an answer larger than 1 MiB, not read".to_string(),
            Retry::No,
        ),
        Body::Broken(e) => {
            let what = if e.is_timeout() {
                ", then timed out waiting for the rest of the answer".to_string()
            } else {
                format!(", then the answer was cut short ({})", describe(&e))
            };
            // A 2xx status line means the platform took the request: sending it again now
            // could act twice. The next run resends it under the same orderNo.
            let retry = if !status.is_success() && retryable(status) {
                Retry::After(retry_after)
            } else {
                Retry::No
            };
            (what, retry)
        }
    };
    Err(Box::new(Judged::unanswered(
        format!("HTTP {status}{what}"),
        retry,
        true,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..30 {
            let d = backoff(attempt);
            assert!(d <= BACKOFF_CAP, "{attempt}: {d:?}");
        }
        assert!(backoff(1) <= BACKOFF_BASE);
        assert!(backoff(4) >= BACKOFF_BASE * 4);
    }

    #[test]
    fn retry_after_is_read_and_capped() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("3600"), Some(RETRY_AFTER_CAP));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn loopback_is_never_proxied() {
        let all = env(&[
            ("HTTP_PROXY", "http://127.0.0.1:1"),
            ("HTTPS_PROXY", "http://127.0.0.1:1"),
            ("ALL_PROXY", "http://127.0.0.1:1"),
        ]);
        for endpoint in [
            "http://127.0.0.1:8080/x",
            "https://127.0.0.1:8443/x",
            "https://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert_eq!(
                choose_proxy(endpoint, &all).unwrap(),
                ProxyChoice::Direct("loopback target".into()),
                "{endpoint}"
            );
        }
    }

    #[test]
    fn https_proxies_are_chosen_as_curl_does() {
        let e = "https://avatar.example/avatar/x";
        let via = |vars: &[(&str, &str)]| choose_proxy(e, env(vars)).unwrap().describe();
        assert_eq!(
            via(&[]),
            "none (no https_proxy, HTTPS_PROXY, all_proxy or ALL_PROXY set)"
        );
        assert_eq!(
            via(&[("HTTP_PROXY", "http://p:1")]),
            "none (no https_proxy, HTTPS_PROXY, all_proxy or ALL_PROXY set)"
        );
        assert_eq!(
            via(&[("HTTPS_PROXY", "http://p:1"), ("https_proxy", "http://q:2")]),
            "http://q:2 (from https_proxy)"
        );
        assert_eq!(
            via(&[("ALL_PROXY", "p:3128")]),
            "http://p:3128 (from ALL_PROXY)"
        );
        assert_eq!(
            via(&[("HTTPS_PROXY", "http://u:s3cret@p:1")]),
            "http://…@p:1 (from HTTPS_PROXY)"
        );
        for no in ["avatar.example", ".example", "*", "other, EXAMPLE."] {
            assert_eq!(
                via(&[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no)]),
                "none (avatar.example matches NO_PROXY)",
                "{no}"
            );
        }
        assert_eq!(
            via(&[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", "ar.example")]),
            "http://p:1 (from HTTPS_PROXY)"
        );
        assert!(choose_proxy(e, env(&[("HTTPS_PROXY", "socks5://p:1")])).is_err());
    }

    #[test]
    fn no_proxy_ranges() {
        assert!(no_proxy_matches("10.0.0.0/8", "10.1.2.3"));
        assert!(!no_proxy_matches("10.0.0.0/8", "11.1.2.3"));
        assert!(no_proxy_matches("::1/128, x", "[::1]"));
        assert!(!no_proxy_matches("", "h"));
    }

    #[test]
    fn tls_failures_are_put_in_words() {
        assert!(tls_advice("invalid peer certificate: CaUsedAsEndEntity")
            .unwrap()
            .contains("--cacert"));
        assert!(tls_advice("invalid peer certificate: UnknownIssuer")
            .unwrap()
            .contains("--cacert"));
        assert!(
            tls_advice("invalid peer certificate: certificate expired: …")
                .unwrap()
                .contains("expired")
        );
        assert!(tls_advice(
            "invalid peer certificate: certificate not valid for name \"h\"; certificate is only valid for x"
        )
        .unwrap()
        .contains("host name"));
        assert!(tls_advice("connection refused").is_none());
    }

    #[test]
    fn snippets_are_short_and_flat() {
        assert_eq!(
            snippet(b"<html>\n <h1>502</h1>\n</html>"),
            " (HTML page: \"502\")"
        );
        assert_eq!(
            snippet(
                b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n\
                  <body><center><h1>503</h1></center></body></html>"
            ),
            " (HTML page: \"503 Service Temporarily Unavailable\")"
        );
        assert_eq!(
            snippet(b"<html><body>down for <b>maintenance</b></body></html>"),
            " (HTML page: \"down for maintenance\")"
        );
        assert_eq!(snippet(b"{\"busy\": true}"), ": {\"busy\": true}");
        assert_eq!(snippet(b""), "");
        assert!(snippet("x".repeat(500).as_bytes()).ends_with('…'));
    }
}
