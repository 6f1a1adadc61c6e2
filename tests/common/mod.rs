//! Shared by the integration tests: the built binary in a pinned environment, and a small
//! scripted HTTP/1.1 server on loopback for the faults the sandbox does not simulate (a dropped
//! connection, an HTML error page, a stall). The server checks on drop that it was hit as often
//! as the test said. `Running` drives a spawned process with a deadline on every wait, so a
//! hung child fails its test instead of hanging the suite. The command lines, files and
//! servers most tests share are in the modules below, each written once.
#![allow(dead_code)] // each test file uses its own part of this

pub mod clock;
pub mod commands;
pub mod files;
pub mod pty;
pub mod raw;
pub mod snapshot;

// Each test file uses its own part of these.
#[allow(unused_imports)]
pub use commands::*;
#[allow(unused_imports)]
pub use files::*;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any wait on a child or the server may take before the test gives up: long enough
/// for a loaded 2-core machine, short enough that a hang is reported rather than endured.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A home of its own for every test, so no developer's config or journal leaks in.
pub struct Env {
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn journal(&self) -> PathBuf {
        self.path("journal.sqlite3")
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).expect("write test file");
        path
    }

    /// Arguments that make `server` the production platform as far as avatar-cli can tell: a
    /// config file naming it as `[environments.prod]`, and `--env prod`. Production is then
    /// asked about, and nothing can reach the real one.
    pub fn production_at(&self, server_url: &str) -> Vec<String> {
        let config = self.write(
            "production.toml",
            format!("[environments.prod]\nbase_url = \"{server_url}\"\n"),
        );
        vec![
            "--config".into(),
            config.display().to_string(),
            "--env".into(),
            "prod".into(),
        ]
    }

    /// The binary with a clean environment: a fresh HOME and XDG dirs, no AVATAR_* variables,
    /// no proxies, a journal inside the test's directory. For a process the test drives itself
    /// (to kill it, or run two at once).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("avatar-cli"));
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"))
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AVATAR_JOURNAL", self.journal());
        cmd
    }

    /// Starts the binary with `args`, stdin closed, stdout and stderr collected as they come.
    pub fn spawn<I, S>(&self, args: I) -> Running
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = self.std_cmd();
        cmd.args(args).stdin(Stdio::null());
        Running::spawn(cmd)
    }

    /// The same, as an assert_cmd command with a time limit.
    /// Runs the binary with `args`, expecting exit `code`; gives back (stdout, stderr).
    pub fn run(&self, args: &[&str], code: i32) -> (String, String) {
        let out = self
            .cmd()
            .args(args)
            .assert()
            .code(code)
            .get_output()
            .clone();
        (text(&out.stdout), text(&out.stderr))
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::from_std(self.std_cmd());
        cmd.timeout(Duration::from_secs(60));
        cmd
    }
}

/// How the scripted server answers one request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A proper answer echoing the request, with this dealCode.
    Deal(&'static str, &'static str),
    /// Exactly this status, content type and body.
    Raw(u16, &'static str, String),
    /// This status with a Retry-After header (seconds) and an empty JSON body.
    RetryAfter(u16, u64),
    /// Close the connection without answering.
    Drop,
    /// Wait, then answer as the inner reply.
    Slow(Duration, Box<Reply>),
    /// Hold the request until the gate opens, then answer as the inner reply.
    Hold(Gate, Box<Reply>),
    /// This redirect status, with a Location header.
    Redirect(u16, String),
    /// A server that echoes what it was sent: a proper answer with this dealCode whose
    /// dealDesc and an extra field carry every request header value, or (`Page`) an HTML
    /// error page with this status listing them.
    Echo(&'static str),
    EchoPage(u16),
}

/// Closed until the test opens it; requests held on it are answered then.
#[derive(Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    pub fn open(&self) {
        let (open, wake) = &*self.0;
        *open.lock().unwrap() = true;
        wake.notify_all();
    }

    /// Blocks until the gate opens.
    fn pass(&self) {
        let (open, wake) = &*self.0;
        let mut is_open = open.lock().unwrap();
        while !*is_open {
            is_open = wake.wait(is_open).unwrap();
        }
    }

    /// A reply that waits here and then answers as `then`.
    pub fn hold(&self, then: Reply) -> Reply {
        Reply::Hold(self.clone(), Box::new(then))
    }
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Gate(open: {})", *self.0 .0.lock().unwrap())
    }
}

impl Reply {
    pub fn accept() -> Reply {
        Reply::Deal("1", "成功")
    }
}

/// What the server saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Seen {
    pub fn head(&self, field: &str) -> &str {
        self.body["head"][field].as_str().unwrap_or("")
    }

    pub fn policy_no(&self) -> &str {
        self.body["secondRefundReq"]["policyNo"]
            .as_str()
            .unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: VecDeque<Reply>,
    /// Used once the script is spent.
    fallback: Reply,
    seen: Vec<Seen>,
}

pub struct Server {
    pub url: String,
    state: Arc<Mutex<State>>,
    expected_hits: Option<usize>,
}

impl Server {
    /// Answers with `script` in order, then `fallback` for every further request.
    pub fn start(script: Vec<Reply>, fallback: Reply) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State {
            script: script.into(),
            fallback,
            seen: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                // The head and body go out in two writes: without this, the second waits for
                // the client's delayed acknowledgement of the first, 40 ms a request.
                let _ = stream.set_nodelay(true);
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, state));
            }
        });
        Server {
            url,
            state,
            expected_hits: None,
        }
    }

    /// The binary's arguments for a batch against this server, `rest` after `batch`.
    pub fn batch_args<'a>(&'a self, rest: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["--base-url", &self.url, "--policy-source", CHANNEL, "batch"];
        args.extend_from_slice(rest);
        args
    }

    /// Every request answered the same way.
    pub fn always(reply: Reply) -> Server {
        Server::start(Vec::new(), reply)
    }

    /// On drop, assert that exactly this many requests arrived.
    pub fn expect_hits(mut self, n: usize) -> Server {
        self.expected_hits = Some(n);
        self
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn hits(&self) -> usize {
        self.state.lock().unwrap().seen.len()
    }

    /// Waits until at least `n` requests have arrived.
    pub fn wait_for_hits(&self, n: usize) {
        let start = Instant::now();
        while self.hits() < n {
            assert!(
                start.elapsed() < PATIENCE,
                "the server saw only {} requests, not {n}",
                self.hits()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Requests per policy, and the order numbers each carried.
pub fn by_policy(server: &Server) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for seen in server.seen() {
        map.entry(seen.policy_no().to_string())
            .or_default()
            .push(seen.head("orderNo").to_string());
    }
    map
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(n) = self.expected_hits {
            if !thread::panicking() {
                assert_eq!(
                    self.hits(),
                    n,
                    "the test server was hit {} times, not {n}",
                    self.hits()
                );
            }
        }
    }
}

fn serve(stream: TcpStream, state: Arc<Mutex<State>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    loop {
        let mut headers = Vec::new();
        let mut line = String::new();
        // Request line; EOF ends a kept-alive connection.
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let reply = {
            let mut s = state.lock().unwrap();
            s.seen.push(Seen {
                headers,
                body: body.clone(),
            });
            let fallback = s.fallback.clone();
            s.script.pop_front().unwrap_or(fallback)
        };
        let reply = match reply {
            Reply::Echo(code) => {
                let echoed: Vec<String> = seen_headers(&state)
                    .iter()
                    .map(|(_, v)| v.clone())
                    .collect();
                let mut answer = deal(&body, code, &format!("seen: {}", echoed.join(" ")));
                answer["headers"] = json!(echoed);
                Reply::Raw(200, "application/json", answer.to_string())
            }
            Reply::EchoPage(status) => {
                let echoed: Vec<String> = seen_headers(&state)
                    .iter()
                    .map(|(_, v)| v.clone())
                    .collect();
                let page = format!(
                    "<html><body><h1>{status}</h1><pre>{}</pre></body></html>",
                    echoed.join("\n")
                );
                Reply::Raw(status, "text/html", page)
            }
            other => other,
        };
        if !answer(&mut writer, &body, reply) {
            return;
        }
    }
}

/// The headers of the request just recorded.
fn seen_headers(state: &Mutex<State>) -> Vec<(String, String)> {
    let s = state.lock().unwrap();
    s.seen
        .last()
        .map(|seen| seen.headers.clone())
        .unwrap_or_default()
}

/// Writes one answer; false when the connection is to be closed.
fn answer(writer: &mut TcpStream, request: &Value, reply: Reply) -> bool {
    let (status, content_type, body, extra) = match reply {
        Reply::Drop => {
            let _ = writer.shutdown(std::net::Shutdown::Both);
            return false;
        }
        Reply::Slow(wait, inner) => {
            thread::sleep(wait);
            return answer(writer, request, *inner);
        }
        Reply::Hold(gate, inner) => {
            gate.pass();
            return answer(writer, request, *inner);
        }
        Reply::Redirect(status, location) => (
            status,
            "text/plain",
            String::new(),
            format!("Location: {location}\r\n"),
        ),
        Reply::Deal(code, desc) => (
            200,
            "application/json;charset=UTF-8",
            deal(request, code, desc).to_string(),
            String::new(),
        ),
        Reply::Raw(status, content_type, body) => (status, content_type, body, String::new()),
        // Turned into `Raw` by `serve`, which has the request's headers.
        Reply::Echo(_) | Reply::EchoPage(_) => unreachable!("echo replies are made in serve"),
        Reply::RetryAfter(status, secs) => (
            status,
            "application/json",
            "{}".to_string(),
            format!("Retry-After: {secs}\r\n"),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra}\r\n",
        body.len()
    );
    writer.write_all(head.as_bytes()).is_ok() && writer.write_all(body.as_bytes()).is_ok()
}

/// A well-formed answer echoing the request's head.
pub fn deal(request: &Value, code: &str, desc: &str) -> Value {
    let head = &request["head"];
    json!({
        "head": {
            "policySource": head["policySource"],
            "respTime": chrono::Utc::now().timestamp_millis(),
            "interfaceType": head["interfaceType"],
            "orderNo": head["orderNo"],
            "uuid": head["uuid"],
        },
        "secondRefundResp": {
            "dealCode": code,
            "dealDesc": desc,
            "policyNo": request["secondRefundReq"]["policyNo"],
        }
    })
}

/// The JSON objects on stdout, but for the summary line a `--json` run ends with (see
/// [`summary_line`]): the results, envelopes or history rows.
pub fn json_lines(stdout: &[u8]) -> Vec<Value> {
    every_json_line(stdout)
        .into_iter()
        .filter(|v| v["type"] != "summary")
        .collect()
}

/// Every JSON object on stdout.
pub fn every_json_line(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// The summary a `--json` run ends with: its last line, and its only summary.
pub fn summary_line(stdout: &[u8]) -> Value {
    let lines = every_json_line(stdout);
    let summaries = lines.iter().filter(|v| v["type"] == "summary").count();
    assert_eq!(summaries, 1, "one summary line: {lines:?}");
    let last = lines.last().cloned().unwrap_or_default();
    assert_eq!(last["type"], "summary", "the summary comes last: {lines:?}");
    last
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A child process of a test, its stdout and stderr read as they arrive (so it never blocks on
/// a full pipe). Killed and reaped on drop, so a failing test leaves nothing running.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<thread::JoinHandle<()>>,
}

impl Running {
    /// Spawns `cmd` with stdout and stderr piped (its stdin as the caller set it).
    pub fn spawn(mut cmd: std::process::Command) -> Running {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        Running::start(cmd)
    }

    /// Spawns `cmd` with its stdio as the caller set it; what is piped is collected.
    pub fn start(mut cmd: std::process::Command) -> Running {
        Running::start_child(cmd.spawn().expect("start the process"))
    }

    /// Drives a process already spawned; what is still piped from it is collected.
    pub fn start_child(mut child: Child) -> Running {
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        if let Some(out) = child.stdout.take() {
            readers.push(collect(out, Arc::clone(&stdout)));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(collect(err, Arc::clone(&stderr)));
        }
        Running {
            child,
            stdout,
            stderr,
            readers,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal (libc::SIGINT, SIGTERM, ...) to the process.
    pub fn signal(&self, signal: i32) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) with a pid this test spawned and has not reaped yet.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }

    /// Whether the process has exited.
    pub fn has_exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub fn stdout_text(&self) -> String {
        text(&self.stdout.lock().unwrap())
    }

    pub fn stderr_text(&self) -> String {
        text(&self.stderr.lock().unwrap())
    }

    /// Waits until stderr contains `needle`.
    pub fn wait_for_stderr(&mut self, needle: &str) {
        self.wait_for(needle, true);
    }

    /// Waits until stdout contains `needle`.
    pub fn wait_for_stdout(&mut self, needle: &str) {
        self.wait_for(needle, false);
    }

    fn wait_for(&mut self, needle: &str, on_stderr: bool) {
        let start = Instant::now();
        loop {
            let seen = if on_stderr {
                self.stderr_text()
            } else {
                self.stdout_text()
            };
            if seen.contains(needle) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the readers drain what was written before the exit.
                thread::sleep(Duration::from_millis(50));
                let seen = if on_stderr {
                    self.stderr_text()
                } else {
                    self.stdout_text()
                };
                assert!(
                    seen.contains(needle),
                    "the process exited ({status}) without printing {needle:?}:\nstdout: {}\nstderr: {}",
                    self.stdout_text(),
                    self.stderr_text()
                );
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "no {needle:?} after {PATIENCE:?}:\nstdout: {}\nstderr: {}",
                self.stdout_text(),
                self.stderr_text()
            );
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits for the exit, at most `limit`; a process still running then is killed and the
    /// test fails.
    pub fn finish_within(mut self, limit: Duration) -> Output {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "still running after {limit:?}:\nstdout: {}\nstderr: {}",
                    self.stdout_text(),
                    self.stderr_text()
                );
            }
            thread::sleep(Duration::from_millis(5));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        Output {
            status,
            stdout: std::mem::take(&mut *self.stdout.lock().unwrap()),
            stderr: std::mem::take(&mut *self.stderr.lock().unwrap()),
        }
    }

    pub fn finish(self) -> Output {
        self.finish_within(PATIENCE)
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn collect(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}
