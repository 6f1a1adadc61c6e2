//! What `send` and `batch` share: resolved settings, the platform they talk to (starting the
//! in-process sandbox when asked), the client, the journal, the production confirmation, and the
//! two ways of handing rows over: a dry run that prints envelopes, and the real delivery.

use crate::cli::GlobalArgs;
use crate::client::{Client, ClientConfig};
use crate::config::{self, JournalChoice, Settings, Target};
use crate::engine::{self, Engine, RunEnd, RunPlan};
use crate::error::Refusal;
use crate::journal::rule::{self, Decision};
use crate::journal::{Journal, JournalError, JournalReader, JournalSync};
use crate::notice::{NoticeResult, Row};
use crate::output::{Console, Report};
use crate::protocol::{self, INTERFACE_TYPE};
use crate::refuse;
use crate::sandbox::{Sandbox, SandboxOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::mpsc;

pub struct Session {
    pub settings: Settings,
    pub console: Arc<Console>,
    /// The resolved base URL, the journal's endpoint key.
    pub base_url: String,
    sandbox: Option<Sandbox>,
    throwaway: Option<tempfile::TempDir>,
}

/// Flags of the sending commands that the session needs.
pub struct SendOptions {
    pub interface_type: Option<String>,
    pub dry_run: bool,
    pub yes: bool,
    pub force: bool,
    pub generate_order_no: bool,
}

impl Session {
    pub async fn start(global: &GlobalArgs) -> Result<Session, Refusal> {
        let settings = Settings::resolve(global)?;
        let console = Arc::new(Console::new(&settings));
        let (base_url, sandbox) = match &settings.target {
            Target::Remote { base_url } => (base_url.clone(), None),
            Target::InProcessSandbox => {
                let options = SandboxOptions {
                    log: settings.verbose,
                    ..SandboxOptions::default()
                };
                let sandbox = Sandbox::start(0, options)
                    .await
                    .map_err(|e| refuse!(Setup, "cannot start the built-in sandbox: {e}"))?;
                (sandbox.base_url(), Some(sandbox))
            }
        };
        let throwaway = match settings.journal {
            JournalChoice::Throwaway => Some(
                tempfile::tempdir()
                    .map_err(|e| refuse!(Setup, "cannot make a throwaway journal: {e}"))?,
            ),
            _ => None,
        };
        Ok(Session {
            settings,
            console,
            base_url,
            sandbox,
            throwaway,
        })
    }

    pub async fn finish(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }

    pub fn journal_path(&self) -> Option<PathBuf> {
        match &self.settings.journal {
            JournalChoice::File(path) => Some(path.clone()),
            JournalChoice::Throwaway => self
                .throwaway
                .as_ref()
                .map(|d| d.path().join("journal.sqlite3")),
            JournalChoice::Disabled => None,
        }
    }

    /// The journal for a real run: opened (and created) before anything is sent, so a locked,
    /// unwritable or corrupt one stops the run with nothing sent.
    pub fn open_journal(&self) -> Result<Option<Journal>, Refusal> {
        let Some(path) = self.journal_path() else {
            return Ok(None);
        };
        let sync = if self.settings.journal_sync_full {
            JournalSync::Full
        } else {
            JournalSync::Normal
        };
        Ok(Some(patiently(|| Journal::open(&path, sync))?))
    }

    /// The journal for a dry run: read if it exists, never created or written.
    pub fn read_journal(&self) -> Result<Option<JournalReader>, Refusal> {
        let Some(path) = self.journal_path() else {
            return Ok(None);
        };
        patiently(|| JournalReader::open_existing(&path))
    }

    pub fn plan(
        &self,
        options: &SendOptions,
        concurrency: Option<usize>,
        rate: Option<f64>,
        fail_fast: bool,
    ) -> Result<RunPlan, Refusal> {
        let generate = options.generate_order_no || self.settings.generate_order_no;
        Ok(RunPlan {
            endpoint: self.base_url.clone(),
            policy_source: self.settings.require_policy_source()?.to_string(),
            force: options.force,
            generate: generate.then(|| self.settings.order_no_prefix.clone()),
            concurrency: concurrency.unwrap_or(self.settings.concurrency),
            rate,
            fail_fast,
        })
    }

    pub fn client(&self, plan: &RunPlan, interface_type: Option<&str>) -> Result<Client, Refusal> {
        let interface_type = interface_type.unwrap_or(INTERFACE_TYPE).to_string();
        protocol::check_identifier("--interface-type", &interface_type).map_err(Refusal::Usage)?;
        Client::new(ClientConfig {
            endpoint: config::endpoint_url(&self.base_url),
            policy_source: plan.policy_source.clone(),
            interface_type,
            timeout: self.settings.timeout,
            retries: self.settings.retries,
            cacert: self.settings.cacert.as_deref(),
            headers: &self.settings.headers,
            verbose: self.console.verbose_sink(),
        })
    }

    /// Production needs a "yes": typed on the terminal, or `--yes` where there is none.
    pub fn confirm_production(&self, count: u64, yes: bool) -> Result<(), Refusal> {
        if !self.settings.is_production() || yes || count == 0 {
            return Ok(());
        }
        let host = config::url_host(&self.base_url).unwrap_or_else(|| self.base_url.clone());
        let channel = self.settings.policy_source.as_deref().unwrap_or("?");
        let interactive = std::io::stdin().is_terminal() || std::io::stderr().is_terminal();
        // The answer comes from the terminal itself, so `batch -` (stdin a pipe) can still ask.
        let tty = interactive
            .then(|| {
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/tty")
                    .ok()
            })
            .flatten();
        let Some(mut tty) = tty else {
            return Err(refuse!(
                Declined,
                "refusing to send {count} notice(s) to PRODUCTION ({host}) for channel {channel} without confirmation: \
                 there is no terminal to ask on; pass --yes"
            ));
        };
        let mut answer = String::new();
        write!(tty, "Send {count} refund notice(s) to PRODUCTION ({host}) for channel {channel}? Type 'yes' to go on: ")
            .and_then(|()| tty.flush())
            .and_then(|()| std::io::BufReader::new(&tty).read_line(&mut answer))
            .map_err(|e| Refusal::Declined(e.to_string()))?;
        if answer.trim().eq_ignore_ascii_case("yes") {
            Ok(())
        } else {
            Err(refuse!(Declined, "not confirmed: nothing was sent"))
        }
    }

    /// `--dry-run`: one envelope per line on stdout; what the journal says would be skipped is
    /// named on stderr. Reads the journal, writes nothing.
    pub fn dry_run_row(&self, client: &Client, plan: &RunPlan, row: &Row, decision: &Decision) {
        let Decision::Send(order_no) = decision else {
            if let Decision::Skip { accepted_order_no } = decision {
                self.console.note(&format!(
                    "{}: would be skipped: already accepted under orderNo {accepted_order_no} (use --force to send it again)",
                    row.policy_no
                ));
            }
            return;
        };
        let order_no = order_no.known().map_or_else(
            || {
                let prefix = plan
                    .generate
                    .as_deref()
                    .unwrap_or(protocol::DEFAULT_ORDER_NO_PREFIX);
                engine::new_order_no(prefix)
            },
            str::to_string,
        );
        let (_, _, body) = client.envelope(&order_no, &row.policy_no, &row.details);
        self.console.out(&String::from_utf8_lossy(&body));
    }

    /// Sends what arrives on `rows` and prints each result as it comes.
    pub async fn deliver(
        &self,
        client: Client,
        journal: Option<Journal>,
        plan: RunPlan,
        rows: mpsc::Receiver<Row>,
        total: u64,
        report: Option<Report>,
    ) -> Result<RunEnd, Refusal> {
        let engine = Arc::new(Engine::new(client, journal, plan));
        let interrupted =
            crate::signals::watch_interrupts(engine.stop(), Arc::clone(&self.console));
        self.console.start_progress(total);
        let console = Arc::clone(&self.console);
        let mut report = report;
        let mut report_error: Option<String> = None;
        let mut end = engine
            .run(rows, total, |result: &NoticeResult| {
                console.result(result);
                if let (Some(r), None) = (report.as_mut(), &report_error) {
                    if let Err(e) = r.write(result) {
                        report_error = Some(format!(
                            "could not write the report {}: {e}",
                            crate::text::quote(&r.path().display().to_string())
                        ));
                    }
                }
                // Results nobody can read: stop starting new notices, as on Ctrl-C.
                match (console.stdout_failure(), &report_error) {
                    (Some(e), _) => Err(format!("could not write the results to stdout: {e}")),
                    (None, Some(e)) => Err(e.clone()),
                    (None, None) => Ok(()),
                }
            })
            .await;
        end.interrupted = interrupted.load(std::sync::atomic::Ordering::SeqCst);
        self.console.finish_progress();
        let stopped = "stopped starting new notices; the journal has every result";
        if let Some(e) = self.console.stdout_failure() {
            self.console.error(&format!(
                "could not write the results to stdout: {e}; {stopped}"
            ));
        }
        if let Some(e) = report_error {
            self.console.error(&format!("{e}; {stopped}"));
        }
        if let Some(e) = &end.journal_error {
            self.console
                .error(&format!("the journal failed mid-run: {e}"));
        }
        self.console.summary(&end.tally, end.elapsed);
        Ok(end)
    }
}

/// Opens a journal, waiting out a lock that another process holds for a moment (the schema
/// being created, a journal-mode switch): SQLite reports those at once, without its busy wait.
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

/// The notice rule for one row of the first pass, through one read connection.
pub fn decide(
    reader: Option<&JournalReader>,
    plan: &RunPlan,
    row: &Row,
) -> Result<Decision, JournalError> {
    let recorded = engine::lookup(reader, plan, &row.policy_no)?;
    Ok(rule::decide(
        recorded.as_ref().map(|r| r.known()),
        row.order_no.as_deref(),
        plan.generate.is_some(),
        plan.force,
    ))
}

impl From<&crate::cli::SendingArgs> for SendOptions {
    fn from(args: &crate::cli::SendingArgs) -> Self {
        SendOptions {
            interface_type: args.interface_type.clone(),
            dry_run: args.dry_run,
            yes: args.yes,
            force: args.force,
            generate_order_no: args.generate_order_no,
        }
    }
}

impl Session {
    /// Input problems on stderr, as `validate` words them; any error stops the run (exit 2).
    pub fn show_problems(&self, problems: &[crate::input::Problem]) -> Result<(), Refusal> {
        let mut errors = 0;
        for p in problems {
            match p.severity {
                crate::input::Severity::Error => {
                    errors += 1;
                    self.console.error(&p.to_string());
                }
                crate::input::Severity::Warning => self.console.warn(&p.to_string()),
            }
        }
        if errors > 0 {
            return Err(refuse!(
                Input,
                "{errors} problem(s) in the input; nothing was sent"
            ));
        }
        Ok(())
    }
}
