//! `doctor`: what a run would use and whether it could work, before the first notice. The
//! effective settings and where each came from, the endpoint, the host's reachability (DNS,
//! TCP, TLS: one HEAD of the base URL, never a notice), the clock against the server's `Date`,
//! and the journal's health. Exit 0 when all is well, 2 for a configuration or journal
//! problem, 3 when the platform cannot be reached.

use crate::cli::{DoctorArgs, GlobalArgs, OutputFormat};
use crate::client::{choose_proxy, Client, ClientConfig, ProxyChoice};
use crate::error::{code, Refusal};
use crate::output::Console;
use crate::settings::{self, Explained, JournalChoice, Settings, Target};
use crate::text::{escape_controls, quote};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

/// The platform checks reqTime against its clock; the sandbox allows this much, as does this.
const CLOCK_TOLERANCE: Duration = Duration::from_secs(300);

/// One finding: a named check, whether it passed, and the line that says so.
struct Check {
    name: &'static str,
    /// `None`: not applicable or not tried.
    ok: Option<bool>,
    detail: String,
}

impl Check {
    fn new(name: &'static str, ok: Option<bool>, detail: impl Into<String>) -> Check {
        Check {
            name,
            ok,
            detail: detail.into(),
        }
    }

    fn json(&self) -> Value {
        json!({"name": self.name, "ok": self.ok, "detail": self.detail})
    }
}

pub async fn run(
    global: &GlobalArgs,
    _args: &DoctorArgs,
    console: &Console,
) -> Result<u8, Refusal> {
    let json = global.output == Some(OutputFormat::Json);
    let resolved = {
        let global = global.clone();
        crate::run::blocking(move || {
            let settings = Settings::resolve(&global)?;
            let explained = settings.explained();
            Ok((settings, explained))
        })
        .await
    };
    let (settings, explained) = match resolved {
        Ok(resolved) => resolved,
        Err(refusal) => {
            // Monitoring still gets its one object; the message goes to stderr as always.
            if json {
                console.out(
                    &json!({"ok": false, "exitCode": refusal.exit_code(), "error": refusal.to_string()})
                        .to_string(),
                );
            }
            return Err(refusal);
        }
    };
    let endpoint = endpoint_checks(&settings).await;
    let journal = {
        let choice = settings.journal.value.clone();
        crate::run::blocking(move || Ok(journal_check(&choice))).await?
    };
    let config_problem =
        endpoint.config_error.is_some() || journal.iter().any(|c| c.ok == Some(false));
    let unreachable = endpoint
        .checks
        .iter()
        .any(|c| c.ok == Some(false) && c.name != "clock");
    let exit = crate::error::diagnosed(config_problem, unreachable);
    if json {
        console.out(&to_json(&settings, &explained, &endpoint, &journal, exit).to_string());
    } else {
        print_text(console, &settings, &explained, &endpoint, &journal, exit);
    }
    Ok(exit)
}

/// The endpoint and what reaching it showed.
struct Endpoint {
    /// The URL notices are POSTed to, or `None` for the in-process sandbox.
    url: Option<String>,
    host: Option<String>,
    proxy: Option<String>,
    checks: Vec<Check>,
    /// A setting that keeps the client from being built (a bad --cacert, a bad proxy).
    config_error: Option<String>,
}

async fn endpoint_checks(settings: &Settings) -> Endpoint {
    let base_url = match &settings.platform.value.target {
        Target::Remote { base_url } => base_url.clone(),
        Target::InProcessSandbox => return in_process_sandbox(),
    };
    let url = settings::endpoint_url(&base_url);
    let mut endpoint = Endpoint {
        url: Some(url.clone()),
        host: Some(crate::base_url::host(&base_url).to_string()),
        proxy: None,
        checks: Vec::new(),
        config_error: None,
    };
    let proxy = match choose_proxy(&url, |name| std::env::var(name).ok()) {
        Ok(proxy) => proxy,
        Err(e) => {
            endpoint
                .checks
                .push(Check::new("proxy", Some(false), e.clone()));
            endpoint.config_error = Some(e);
            return endpoint;
        }
    };
    endpoint.proxy = Some(proxy.describe());
    let parsed = reqwest::Url::parse(&base_url).ok();
    let https = parsed.as_ref().is_some_and(|u| u.scheme() == "https");
    let Some((host, port, whose)) = first_hop(&proxy, parsed.as_ref()) else {
        endpoint.checks.push(Check::new(
            "dns",
            Some(false),
            "no host and port in the URL",
        ));
        return endpoint;
    };
    let wait = settings.timeout.value;
    let addrs = match resolve(&host, port, whose, wait).await {
        Ok((addrs, check)) => {
            endpoint.checks.push(check);
            addrs
        }
        Err(check) => {
            endpoint.checks.push(check);
            return not_tried(endpoint, &["tcp", "tls", "http"], https);
        }
    };
    match connect(&addrs, whose, wait).await {
        Ok(check) => endpoint.checks.push(check),
        Err(check) => {
            endpoint.checks.push(check);
            return not_tried(endpoint, &["tls", "http"], https);
        }
    }
    let client = match doctor_client(settings, url) {
        Ok(client) => client,
        Err(message) => {
            endpoint
                .checks
                .push(Check::new("tls", Some(false), message.clone()));
            endpoint.config_error = Some(message);
            return endpoint;
        }
    };
    head_checks(endpoint, &client, &base_url, https).await
}

/// The built-in sandbox needs no network, so there is nothing to reach.
fn in_process_sandbox() -> Endpoint {
    Endpoint {
        url: None,
        host: None,
        proxy: None,
        checks: vec![Check::new(
            "network",
            None,
            "not needed: the built-in sandbox runs inside each command",
        )],
        config_error: None,
    }
}

/// The host and port this machine resolves and connects to, and whose they are: through a
/// proxy, this machine reaches the proxy, not the platform.
fn first_hop(
    proxy: &ProxyChoice,
    parsed: Option<&reqwest::Url>,
) -> Option<(String, u16, &'static str)> {
    let (url, whose) = match proxy {
        ProxyChoice::Via { url, .. } => (reqwest::Url::parse(url).ok(), " (the proxy)"),
        ProxyChoice::Direct(_) => (parsed.cloned(), ""),
    };
    let url = url?;
    let host = url.host_str()?;
    let port = url.port_or_known_default()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_string(), port, whose))
}

/// The `dns` check: the host's addresses, or why there are none.
async fn resolve(
    host: &str,
    port: u16,
    whose: &str,
    wait: Duration,
) -> Result<(Vec<std::net::SocketAddr>, Check), Check> {
    let started = Instant::now();
    let addrs = match tokio::time::timeout(wait, tokio::net::lookup_host((host, port))).await {
        Ok(Ok(addrs)) => addrs.collect::<Vec<_>>(),
        Ok(Err(e)) => {
            return Err(Check::new(
                "dns",
                Some(false),
                format!(
                    "{}{whose}: cannot resolve: {}; check the host name and this machine's DNS",
                    quote(host),
                    escape_controls(&e.to_string())
                ),
            ))
        }
        Err(_) => {
            return Err(Check::new(
                "dns",
                Some(false),
                format!(
                    "{}{whose}: no answer within {} s",
                    quote(host),
                    wait.as_secs_f64()
                ),
            ))
        }
    };
    let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    let check = Check::new(
        "dns",
        Some(!addrs.is_empty()),
        format!(
            "{}{whose} is {} ({} ms)",
            quote(host),
            shown.join(", "),
            started.elapsed().as_millis()
        ),
    );
    Ok((addrs, check))
}

/// The `tcp` check: the first address that takes a connection, or the last one's error.
async fn connect(
    addrs: &[std::net::SocketAddr],
    whose: &str,
    wait: Duration,
) -> Result<Check, Check> {
    let mut last_error = String::from("no address");
    for addr in addrs {
        let started = Instant::now();
        match tokio::time::timeout(wait, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(_)) => {
                return Ok(Check::new(
                    "tcp",
                    Some(true),
                    format!(
                        "connected to {addr}{whose} ({} ms)",
                        started.elapsed().as_millis()
                    ),
                ))
            }
            Ok(Err(e)) => last_error = format!("{addr}: {e}"),
            Err(_) => last_error = format!("{addr}: no answer within {} s", wait.as_secs_f64()),
        }
    }
    Err(Check::new(
        "tcp",
        Some(false),
        format!(
            "cannot connect: {}; check that the platform is up and that no firewall is in the way",
            escape_controls(&last_error)
        ),
    ))
}

/// The client a run would build (certificates, proxy, headers), without retries: one HEAD.
fn doctor_client(settings: &Settings, url: String) -> Result<Client, String> {
    Client::new(ClientConfig {
        endpoint: url,
        policy_source: settings.policy_source.value.clone().unwrap_or_default(),
        interface_type: crate::protocol::INTERFACE_TYPE.to_string(),
        timeout: settings.timeout.value,
        retries: 0,
        cacert: settings.cacert.value.as_deref(),
        headers: &settings.headers,
        verbose: None,
    })
    .map_err(|refusal| refusal.to_string())
}

/// The `tls`, `http` and `clock` checks, from one HEAD of the base URL.
async fn head_checks(
    mut endpoint: Endpoint,
    client: &Client,
    base_url: &str,
    https: bool,
) -> Endpoint {
    let started = Instant::now();
    let answer = client.head(base_url).await;
    let took = started.elapsed();
    match answer {
        Ok(response) => {
            endpoint.checks.push(if https {
                Check::new("tls", Some(true), "handshake done, certificate verified")
            } else {
                Check::new("tls", None, "not used (plain http to loopback)")
            });
            endpoint.checks.push(Check::new(
                "http",
                Some(true),
                format!(
                    "HEAD {} answered {} in {} ms (any answer shows the platform is there)",
                    quote(base_url),
                    response.status().as_u16(),
                    took.as_millis()
                ),
            ));
            let date = response
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| DateTime::parse_from_rfc2822(v).ok());
            // The server stamped its Date somewhere during the request: take the middle.
            let here =
                crate::clock::now() - chrono::Duration::from_std(took / 2).unwrap_or_default();
            endpoint
                .checks
                .push(clock_check(date.map(|d| d.with_timezone(&Utc)), here));
        }
        Err((during_connect, message)) => {
            let message = escape_controls(&message).into_owned();
            if https && during_connect {
                endpoint
                    .checks
                    .push(Check::new("tls", Some(false), message));
                return not_tried(endpoint, &["http"], https);
            }
            endpoint.checks.push(if https {
                Check::new("tls", Some(true), "handshake done")
            } else {
                Check::new("tls", None, "not used (plain http to loopback)")
            });
            endpoint.checks.push(Check::new(
                "http",
                Some(false),
                format!("HEAD {}: {message}", quote(base_url)),
            ));
        }
    }
    endpoint
}

/// The checks that could not be tried after an earlier one failed.
fn not_tried(mut endpoint: Endpoint, names: &[&'static str], https: bool) -> Endpoint {
    for name in names {
        let detail = if *name == "tls" && !https {
            "not used (plain http to loopback)"
        } else {
            "not tried"
        };
        endpoint.checks.push(Check::new(name, None, detail));
    }
    endpoint
}

/// This machine's clock against the server's `Date` (whole seconds, hence the slack).
fn clock_check(server: Option<DateTime<Utc>>, here: DateTime<Utc>) -> Check {
    if let Err(why) = crate::clock::check_sendable(here) {
        // Whatever the server says: `send` and `batch` refuse this clock.
        return Check::new(
            "clock",
            Some(false),
            format!("{why}; until then send and batch refuse to run"),
        );
    }
    let Some(server) = server else {
        return Check::new("clock", None, "not checked: the answer has no Date header");
    };
    let offset = (here - server).num_milliseconds() as f64 / 1000.0;
    let direction = if offset >= 0.0 { "ahead of" } else { "behind" };
    if offset.abs() < 2.0 {
        return Check::new(
            "clock",
            Some(true),
            "in step with the server (within 2 s of its Date)",
        );
    }
    let detail = format!("{:.0} s {direction} the server's Date", offset.abs());
    if offset.abs() > CLOCK_TOLERANCE.as_secs_f64() {
        Check::new(
            "clock",
            Some(false),
            format!(
                "{detail}: notices carry this machine's time (reqTime) and may be refused; set \
                 the clock (NTP)"
            ),
        )
    } else {
        Check::new("clock", Some(true), detail)
    }
}

/// The journal's path and health; a missing journal is fine.
fn journal_check(choice: &JournalChoice) -> Vec<Check> {
    let Some(at) = choice.location() else {
        return vec![Check::new("journal", None, "none (--no-journal)")];
    };
    let path = &std::path::PathBuf::from(at.to_string());
    match crate::journal::health(&at) {
        Ok(None) => vec![Check::new(
            "journal",
            None,
            format!("{}: none yet (the first send creates it)", shown(path)),
        )],
        Ok(Some(h)) => {
            let sound = h.check == ["ok"];
            let version = if h.schema_version < h.current_version {
                format!(
                    "schema version {} (the next send upgrades it to {})",
                    h.schema_version, h.current_version
                )
            } else {
                format!("schema version {}", h.schema_version)
            };
            let integrity = if sound {
                "quick_check ok".to_string()
            } else {
                format!(
                    "quick_check found damage: {}; keep a copy and pass --journal FILE to use another",
                    escape_controls(&h.check.join("; "))
                )
            };
            let doubt = if h.in_doubt > 0 {
                format!(
                    "{} in doubt (the next run resends them under the same orderNo)",
                    h.in_doubt
                )
            } else {
                "0 in doubt".to_string()
            };
            vec![Check::new(
                "journal",
                Some(sound),
                format!(
                    "{}: {version}, {integrity}, {} notices, {doubt}",
                    shown(path),
                    h.notices
                ),
            )]
        }
        Err(e) => vec![Check::new(
            "journal",
            Some(false),
            escape_controls(&e.to_string()),
        )],
    }
}

fn shown(path: &Path) -> String {
    escape_controls(&path.display().to_string()).into_owned()
}

/// `env test, from --env`, or for a base URL of no named environment where it came from.
fn platform_source(settings: &Settings) -> String {
    let source = escape_controls(&settings.platform.origin.source()).into_owned();
    match settings.env() {
        Some(env) => format!("env {}, {source}", settings::env_key(env)),
        None => source,
    }
}

fn verdict(exit: u8) -> &'static str {
    match exit {
        code::OK => "all is well",
        code::USAGE => "a configuration or journal problem (exit 2)",
        _ => "the platform cannot be reached (exit 3)",
    }
}

fn mark(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "ok  ",
        Some(false) => "FAIL",
        None => "-   ",
    }
}

fn print_text(
    console: &Console,
    settings: &Settings,
    explained: &[Explained],
    endpoint: &Endpoint,
    journal: &[Check],
    exit: u8,
) {
    let out = |line: String| console.out(&line);
    out("Settings (value, then where it came from):".into());
    for line in settings::explained_lines(explained) {
        out(format!("  {line}"));
    }
    out(format!("Config file: {}", settings.config_file_status()));
    let production = if settings.is_production() {
        "PRODUCTION: runs ask for confirmation"
    } else {
        "not production"
    };
    match &endpoint.url {
        Some(url) => out(format!(
            "Endpoint: {} ({}; {production})",
            escape_controls(url),
            platform_source(settings)
        )),
        None => out(format!(
            "Endpoint: the built-in sandbox ({}; {production})",
            platform_source(settings)
        )),
    }
    if let Some(proxy) = &endpoint.proxy {
        out(format!("Proxy: {}", escape_controls(proxy)));
    }
    for check in endpoint.checks.iter().chain(journal) {
        out(format!(
            "{} {}: {}",
            mark(check.ok),
            label(check.name),
            check.detail
        ));
    }
    let warned = endpoint.checks.iter().any(|c| c.ok == Some(false));
    if exit == code::OK && warned {
        out("Result: the platform can be reached, but see the FAIL line above".into());
    } else {
        out(format!("Result: {}", verdict(exit)));
    }
}

fn label(name: &str) -> &str {
    match name {
        "dns" => "DNS",
        "tcp" => "TCP",
        "tls" => "TLS",
        "http" => "HTTP",
        "clock" => "Clock",
        "journal" => "Journal",
        "proxy" => "Proxy",
        "network" => "Network",
        other => other,
    }
}

fn to_json(
    settings: &Settings,
    explained: &[Explained],
    endpoint: &Endpoint,
    journal: &[Check],
    exit: u8,
) -> Value {
    let settings_json: Vec<Value> = explained.iter().map(Explained::json).collect();
    let journal_path = match &settings.journal.value {
        JournalChoice::File(path) => Some(path.display().to_string()),
        JournalChoice::Postgres(pg) => Some(pg.to_string()),
        JournalChoice::Disabled => None,
    };
    json!({
        "ok": exit == code::OK && !endpoint.checks.iter().chain(journal).any(|c| c.ok == Some(false)),
        "exitCode": exit,
        "settings": settings_json,
        "configFile": settings.config_file_json(),
        "endpoint": {
            "url": endpoint.url,
            "host": endpoint.host,
            "environment": settings.env().map(settings::env_key),
            "production": settings.is_production(),
            "source": settings.platform.origin.to_string(),
            "proxy": endpoint.proxy,
        },
        "checks": endpoint.checks.iter().map(Check::json).collect::<Vec<_>>(),
        "journal": {
            "path": journal_path,
            "checks": journal.iter().map(Check::json).collect::<Vec<_>>(),
        },
    })
}
