//! Sending notices, in two steps.
//!
//! [`prepare`] is synchronous and runs on a blocking thread before any request: it resolves
//! what the run needs, reads the input once and judges every row with the notice rule
//! (`journal::rule`), asks for confirmation and opens the journal. Any problem is a
//! [`Refusal`], so "nothing was sent" holds by construction. Its [`ReadyRun`] is then either
//! printed (`--dry-run`, `dry_run.rs`) or delivered (`deliver.rs`, the only async part).
//!
//! `send` and `batch` differ only in where the rows come from ([`RowsFrom`]).

mod command_line;
mod confirm;
mod deliver;
mod dry_run;
mod first_pass;
mod in_order;
mod judge;
mod platform;
mod record;
mod second_pass;
mod set_aside;
mod summary;

use crate::cli::{FieldArgs, GlobalArgs, InputArgs, SendingArgs};
use crate::client::{Client, ClientConfig};
use crate::engine::RunPlan;
use crate::error::Refusal;
use crate::input::Source;
use crate::journal::rule::{Decision, Resend};
use crate::journal::{Journal, JournalError, JournalReader, JournalSync};
use crate::notice::Notice;
use crate::output::{Console, Platform as ReportPlatform, Report, ReportSetup};
use crate::protocol::{self, INTERFACE_TYPE};
use crate::settings::{self, Settings};
use platform::{Platform, Target};
use second_pass::Notes;
use set_aside::SetAside;
use std::path::PathBuf;
use std::sync::Arc;

/// What a sending command asks for.
pub(crate) struct Request {
    pub sending: SendingArgs,
    pub rows: RowsFrom,
    /// `batch` only: workers and rate (else from the settings), `--fail-fast`, `--report`.
    pub concurrency: Option<usize>,
    pub rate: Option<f64>,
    pub fail_fast: bool,
    pub report: Option<PathBuf>,
    /// `--report-headers`; else the input's language.
    pub report_headers: Option<crate::output::Lang>,
    /// `batch --skip-invalid --rejects FILE`: where the rows set aside go.
    pub rejects: Option<PathBuf>,
}

/// Where the rows come from.
pub(crate) enum RowsFrom {
    /// `send`: the notice flags.
    Flags(FieldArgs),
    /// `batch`: a CSV or JSON Lines file, or `-`.
    File { arg: String, input: InputArgs },
}

/// The rows of a prepared run.
enum Rows {
    /// Judged already, each with its decision.
    Listed(Vec<(Notice, Decision)>),
    /// Judged in the first pass; read again as they are sent, so a large file streams
    /// (`second_pass/`).
    File(Source, Box<Notes>),
}

/// A run that passed every check: nothing can refuse it any more.
pub(crate) struct ReadyRun {
    console: Arc<Console>,
    client: Client,
    plan: RunPlan,
    rows: Rows,
    /// How many notices the first pass found valid, and how many of them are to be sent.
    expected: u64,
    to_send: u64,
    dry_run: bool,
    /// A dry run reads the journal and never writes it; a run whose rows include some the
    /// first pass found accepted reads them again through it.
    reader: Option<JournalReader>,
    journal: Option<Journal>,
    report: Option<Report>,
    destination: Destination,
    /// The input file as the run records it: absolute, `-` for standard input, `None` for
    /// `send`.
    input: Option<String>,
    /// `--skip-invalid`: the rejects (put in place when the run goes ahead) and how many rows
    /// were set aside.
    rejects: Option<crate::output::Rejects>,
    set_aside: Option<(u64, PathBuf)>,
}

/// Where a run's notices go, as a person reads it: said before sending on a terminal and in
/// the summary, so nobody has to guess which platform they hit.
pub(crate) struct Destination {
    /// `test (porsche-avatar.chinahuanong.com.cn, from --env)`.
    pub platform: String,
    /// `PRODUCTION`, `test`, `the built-in sandbox`; `None` for a base URL of no named
    /// environment.
    pub name: Option<String>,
    /// `from --env`, `by default`.
    pub source: String,
    /// The same as `doctor` words it (`flag --env`), for the JSON summary.
    pub source_origin: String,
    /// The env name (`test`, `prod`, `sandbox`), or `None` for another base URL.
    pub env: Option<&'static str>,
    pub production: bool,
    pub channel: String,
    /// The journal's path (home as `~`), or why there is none.
    pub journal: String,
    pub journaled: bool,
    /// The URL notices are POSTed to.
    pub endpoint: String,
}

impl Destination {
    fn new(settings: &Settings, target: &Target, channel: &str) -> Destination {
        let host = host_and_port(&target.base_url);
        let platform = &settings.platform;
        let name = match (&platform.value.target, platform.value.env) {
            (settings::Target::InProcessSandbox, _) => Some("the built-in sandbox".to_string()),
            _ if settings.is_production() => Some("PRODUCTION".to_string()),
            (_, Some(env)) => Some(settings::env_key(env).to_string()),
            (_, None) => None,
        };
        // Where the target came from, so that nobody has to guess why notices go there.
        let source = platform.origin.source();
        let journal = match (&settings.journal.value, &target.journal) {
            (settings::JournalChoice::Disabled, _) | (_, None) => "no journal".to_string(),
            (_, Some(crate::journal::Location::File(path))) => {
                format!("journal {}", settings::home_as_tilde(path))
            }
            (_, Some(at)) => format!("journal {at}"),
        };
        Destination {
            platform: match &name {
                Some(name) => format!("{name} ({host}, {source})"),
                None => format!("{host} ({source})"),
            },
            name,
            source,
            source_origin: platform.origin.to_string(),
            env: platform.value.env.map(settings::env_key),
            production: settings.is_production(),
            channel: channel.to_string(),
            journal,
            journaled: target.journal.is_some(),
            endpoint: settings::endpoint_url(&target.base_url),
        }
    }
}

/// A file argument as a run records it: absolute, so that the file can be found from anywhere
/// (a nightly job runs in a directory nobody remembers); `-` stays `-`.
fn recorded_input(arg: &str) -> String {
    if arg == "-" {
        return arg.to_string();
    }
    std::path::absolute(arg).map_or_else(|_| arg.to_string(), |p| p.to_string_lossy().into_owned())
}

/// `https://host:8443/x` → `host:8443`: what tells a person which platform it is.
fn host_and_port(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

/// `send` and `batch`: settings, the platform, then prepare and print or deliver.
pub(crate) async fn send_notices(
    global: GlobalArgs,
    request: Request,
    console: Arc<Console>,
) -> Result<u8, Refusal> {
    let sent = send_notices_as_asked(global, Arc::clone(&console), request).await;
    if let (Err(refusal), crate::cli::OutputFormat::Json) = (&sent, console.format()) {
        // A script reading the last line finds a summary there too: nothing was sent.
        console.out(&summary::refused(refusal).to_string());
    }
    sent
}

async fn send_notices_as_asked(
    global: GlobalArgs,
    console: Arc<Console>,
    request: Request,
) -> Result<u8, Refusal> {
    let settings = blocking(move || Settings::resolve(&global)).await?;
    let platform = Platform::start(&settings, console.verbose_sink()).await?;
    let target = platform.target(&settings);
    let prepared = {
        let console = Arc::clone(&console);
        blocking(move || prepare(&settings, console, &target, request)).await
    };
    let code = match prepared {
        Err(refusal) => Err(refusal),
        Ok(ready) if ready.dry_run => blocking(move || ready.print_dry_run()).await,
        Ok(ready) => Ok(ready.deliver().await.exit_code()),
    };
    platform.stop().await;
    code
}

/// Runs blocking work (file passes, journal lookups, the terminal prompt) off the runtime's
/// threads. A panic stays a panic.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// Everything before the first request. The order of the checks is the order in which the
/// problems are reported.
fn prepare(
    settings: &Settings,
    console: Arc<Console>,
    target: &Target,
    request: Request,
) -> Result<ReadyRun, Refusal> {
    // Every notice carries this machine's time: a clock no reqTime can express is no run
    // (a dry run's envelopes would carry it too).
    crate::clock::check_sendable(crate::clock::now())
        .map_err(|why| crate::error::refuse!(Config, "{why}, then run again; nothing was sent"))?;
    let plan = plan(settings, target, &request)?;
    // Said once, so that nobody takes the rehearsal's channel for the one they were given.
    if matches!(settings.policy_source.origin, settings::Origin::Derived(_)) {
        console.note(&format!(
            "channel {}: --env sandbox needs no --policy-source (give one to rehearse under \
             your own)",
            plan.policy_source
        ));
    }
    let listed = match &request.rows {
        RowsFrom::Flags(fields) => Some(first_pass::parse_flags(&console, fields)?),
        RowsFrom::File { .. } => None,
    };
    let destination = Destination::new(settings, target, &plan.policy_source);
    let input = match &request.rows {
        RowsFrom::File { arg, .. } => Some(recorded_input(arg)),
        RowsFrom::Flags(_) => None,
    };
    if let Some(verbose) = console.verbose_sink() {
        verbose(format!("platform: {}", destination.platform));
    }
    let client = client(settings, &console, target, &plan, &request.sending)?;
    if let (Some(report), RowsFrom::File { arg, .. }) = (&request.report, &request.rows) {
        let input = (arg != "-").then(|| std::path::Path::new(arg));
        let journal = target.journal.as_ref().and_then(|j| j.file());
        Report::check_target(report, input, journal)?;
    }
    // Read-only until the run is confirmed: a declined or invalid run leaves no journal behind.
    let reader = match &target.journal {
        Some(path) => patiently(|| JournalReader::open_existing(path))?,
        None => None,
    };
    let judging = Judging {
        settings,
        console: &console,
        reader: reader.as_ref(),
        plan: &plan,
        platform: &destination.platform,
        keep_cells: request.report.is_some(),
        rejects: request.rejects.as_deref(),
        journal: target.journal.as_ref().and_then(|j| j.file()),
    };
    let (rows, measure, rejects) = judging.rows(&request.rows, listed)?;
    let ready = ReadyRun {
        console,
        client,
        plan,
        rows,
        expected: measure.valid,
        to_send: measure.to_send,
        dry_run: request.sending.dry_run,
        reader,
        journal: None,
        report: None,
        destination,
        input,
        set_aside: rejects
            .as_ref()
            .map(|r| (measure.set_aside, r.path().to_path_buf())),
        rejects,
    };
    if ready.dry_run {
        return Ok(ready);
    }
    ready.confirmed(settings, target, &request)
}

impl ReadyRun {
    /// Asked for (production), then opened for writing: the journal, the report. Nothing
    /// before this leaves a file behind.
    fn confirmed(
        mut self,
        settings: &Settings,
        target: &Target,
        request: &Request,
    ) -> Result<ReadyRun, Refusal> {
        confirm::production(
            &self.console,
            settings,
            &target.base_url,
            self.expected,
            request.sending.yes,
        )?;
        // Kept only for the second pass's look at the rows the first pass found accepted.
        if !matches!(&self.rows, Rows::File(_, notes) if notes.settles_any()) {
            self.reader = None;
        }
        self.journal = match &target.journal {
            Some(path) => Some(patiently(|| Journal::open(path, journal_sync(settings)))?),
            None => None,
        };
        self.report = request
            .report
            .as_deref()
            .map(|path| report(&self, path, request.report_headers))
            .transpose()?;
        if let Some(rejects) = self.rejects.take() {
            let header = match &self.rows {
                Rows::File(source, _) => source.header().map(|h| h.names.clone()),
                Rows::Listed(_) => None,
            };
            let input = self.input.as_deref().unwrap_or("-");
            rejects.keep(&header.unwrap_or_default(), input)?;
        }
        Ok(self)
    }
}

/// The run's `--report`, created with its header. Created but not writable (a full disk) is
/// an output failure (exit 3), not a usage error.
fn report(
    ready: &ReadyRun,
    path: &std::path::Path,
    lang: Option<crate::output::Lang>,
) -> Result<Report, Refusal> {
    let header = match &ready.rows {
        Rows::File(source, _) => source.header(),
        Rows::Listed(_) => None,
    };
    let setup = ReportSetup {
        header,
        lang,
        platform: ReportPlatform {
            name: ready.destination.env.map(str::to_owned),
            endpoint: ready.plan.endpoint.clone(),
            channel: ready.plan.policy_source.clone(),
        },
        rows: ready.expected,
    };
    Report::create(path, setup)
}

/// What the first pass needs to judge a run's rows.
struct Judging<'a> {
    settings: &'a Settings,
    console: &'a Console,
    reader: Option<&'a JournalReader>,
    plan: &'a RunPlan,
    /// The run's platform, as messages name it.
    platform: &'a str,
    /// Whether the second pass hands each row's cells as written on, for the report.
    keep_cells: bool,
    /// `--rejects FILE`, and the journal it must not be written over.
    rejects: Option<&'a std::path::Path>,
    journal: Option<&'a std::path::Path>,
}

/// The rows judged, what the first pass measured of them, and the rejects it wrote.
type JudgedRows = (Rows, first_pass::Measure, Option<crate::output::Rejects>);

impl Judging<'_> {
    /// The rows, judged, and what the first pass measured of them; the result columns are
    /// made as wide as it found the widest.
    fn rows(&self, from: &RowsFrom, listed: Option<Vec<Notice>>) -> Result<JudgedRows, Refusal> {
        let (console, reader, plan) = (self.console, self.reader, self.plan);
        let judged = match (from, listed) {
            (_, Some(notices)) => {
                let (judged, measure) = first_pass::judge_listed(console, reader, plan, notices)?;
                (Rows::Listed(judged), measure, None)
            }
            (RowsFrom::File { arg, input }, None) => {
                // Whether an orderNo is missing depends on the journal too: the rule judges
                // that.
                let mut source = Source::open(arg, &self.settings.input_options(input, false)?)?;
                let aside = self.set_aside(&mut source, arg)?;
                let (measure, notes, rejects) = first_pass::judge_file(
                    console,
                    reader,
                    plan,
                    (&source, arg),
                    self.platform,
                    aside,
                )?;
                if self.keep_cells {
                    source.keep_cells();
                }
                (Rows::File(source, Box::new(notes)), measure, rejects)
            }
            (RowsFrom::Flags(_), None) => unreachable!("flags are parsed before"),
        };
        console.expect_columns(judged.1.policy, judged.1.order);
        Ok(judged)
    }

    /// Under `--skip-invalid`, where the first pass sets rows aside; the rows then carry their
    /// cells from the first pass on.
    fn set_aside(&self, source: &mut Source, arg: &str) -> Result<Option<SetAside>, Refusal> {
        let Some(path) = self.rejects else {
            return Ok(None);
        };
        if source.format() == crate::input::Format::Jsonl {
            return Err(crate::error::refuse!(
                Usage,
                "--skip-invalid sets rows of a CSV file or a workbook aside; a JSON Lines file \
                 is sent whole or not at all (`avatar-cli validate {arg}` lists its problems)"
            ));
        }
        let input = (arg != "-").then(|| std::path::Path::new(arg));
        let rejects = crate::output::Rejects::create(path, input, self.journal)?;
        source.keep_cells();
        Ok(Some(SetAside::new(rejects)))
    }
}

fn plan(settings: &Settings, target: &Target, request: &Request) -> Result<RunPlan, Refusal> {
    let generating = request.sending.generate_order_no || settings.generate_order_no.value;
    Ok(RunPlan {
        endpoint: target.endpoint_key.clone(),
        policy_source: settings.require_policy_source()?.to_string(),
        resend: Resend {
            force: request.sending.force,
            retry_rejected: request.sending.retry_rejected,
        },
        order_no_prefix_when_generating: generating.then(|| settings.order_no_prefix.value.clone()),
        concurrency: request.concurrency.unwrap_or(settings.concurrency.value),
        rate: request.rate,
        fail_fast: request.fail_fast,
        run: None,
    })
}

fn client(
    settings: &Settings,
    console: &Arc<Console>,
    target: &Target,
    plan: &RunPlan,
    sending: &SendingArgs,
) -> Result<Client, Refusal> {
    let interface_type = sending.interface_type.as_deref().unwrap_or(INTERFACE_TYPE);
    protocol::check_identifier("--interface-type", interface_type).map_err(Refusal::Usage)?;
    Client::new(ClientConfig {
        endpoint: settings::endpoint_url(&target.base_url),
        policy_source: plan.policy_source.clone(),
        interface_type: interface_type.to_string(),
        timeout: settings.timeout.value,
        retries: settings.retries.value,
        cacert: settings.cacert.value.as_deref(),
        headers: &settings.headers,
        verbose: console.verbose_sink(),
    })
}

fn journal_sync(settings: &Settings) -> JournalSync {
    match settings.journal_sync.value {
        settings::JournalSyncSetting::Full => JournalSync::Full,
        settings::JournalSyncSetting::Normal => JournalSync::Normal,
    }
}

/// Opens a journal, waiting out a lock that another process holds for a moment (the schema
/// being created, a journal-mode switch): SQLite reports those at once, without its busy wait.
/// Runs on a blocking thread, so the sleep holds up no other task.
fn patiently<T>(open: impl Fn() -> Result<T, JournalError>) -> Result<T, Refusal> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match open() {
            Err(JournalError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            result => return Ok(result?),
        }
    }
}
