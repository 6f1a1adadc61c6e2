//! The whole command-line definition, and nothing else. The README is its contract.

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The parsed command line. Options may stand before the command or after it; given in both
/// places, the one after wins, and a repeated option's last value wins (wrapper scripts and
/// aliases put theirs first, so the user's own come later and count).
#[derive(Debug)]
pub struct Cli {
    pub global: GlobalArgs,
    pub command: Command,
}

/// The options of the run as typed on the command line, merged from before and after the
/// command: `None` (or empty, or false) when not given there. Environment variables, the
/// config file and defaults are `settings`' to add, so that each value keeps its origin.
#[derive(Debug, Clone, Default)]
pub struct GlobalArgs {
    pub env: Option<EnvName>,
    pub base_url: Option<String>,
    pub policy_source: Option<String>,
    pub config: Option<PathBuf>,
    pub journal: Option<PathBuf>,
    pub no_journal: bool,
    /// Seconds, maybe fractional; `settings` holds it to its range.
    pub timeout: Option<f64>,
    pub retries: Option<u32>,
    pub cacert: Option<PathBuf>,
    pub headers: Vec<String>,
    /// `--json` folded in: `Some(Json)` when it won.
    pub output: Option<OutputFormat>,
    pub color: ColorChoice,
    pub verbose: bool,
    pub quiet: bool,
}

const ABOUT: &str =
    "Tell Huanong's Avatar platform that customers rescinded policies (interface 5.30 refund notice)";

const ROOT_AFTER_HELP: &str = "\
Exit codes: 0 all accepted or skipped; 1 some rejected; 2 usage, config or input error, nothing
sent; 3 some failed or in doubt, or the journal failed; 130 interrupted.

Options of send, batch and history (--policy-source, --timeout, --retries, --journal, …) may also
stand before the command. `avatar-cli COMMAND --help` shows each command's options.

Examples:
  # Rehearse on the built-in sandbox (no network, no channel code needed)
  avatar-cli --env sandbox batch cancellations.csv
  # Set up: a commented config file to fill in, then check the machine
  avatar-cli config init --policy-source HN_HT_QNW
  avatar-cli doctor
  # Check a file offline, then send it to the test platform
  avatar-cli validate cancellations.csv
  avatar-cli --policy-source HN_HT_QNW batch cancellations.csv --report results.csv
  # One policy
  avatar-cli --policy-source HN_HT_QNW send --policy P2024000001 --order-no O1 --amount 10.2
  # What was sent
  avatar-cli history --policy P2024000001";

/// The raw parse: every option in both places. [`Cli`] is made from it.
#[derive(Debug, Parser)]
#[command(
    name = "avatar-cli",
    version,
    about = ABOUT,
    long_about = "Tell Huanong's Avatar platform that customers rescinded policies (interface 5.30 \
                  refund notice): one policy from the command line, or thousands from a CSV, safely \
                  re-runnable thanks to a journal of everything sent.",
    after_help = ROOT_AFTER_HELP,
    propagate_version = true,
    args_override_self = true
)]
struct RawCli {
    #[command(flatten)]
    common: CommonArgs,
    // Accepted before the command as they always were, but offered (in help) only by the
    // commands they matter to: see `finish`.
    #[command(flatten)]
    platform: PlatformArgs,
    #[command(flatten)]
    journal: JournalArgs,
    #[command(flatten)]
    no_journal: NoJournalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Ids of the options that stand before the command only for old scripts' sake.
const HIDDEN_BEFORE_THE_COMMAND: [&str; 7] = [
    "policy_source",
    "timeout",
    "retries",
    "cacert",
    "headers",
    "journal",
    "no_journal",
];

/// What the derive cannot say: options hidden at the top, the last value winning in every
/// command.
fn finish(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|a| {
        let hide = HIDDEN_BEFORE_THE_COMMAND.contains(&a.get_id().as_str());
        a.hide(hide)
    })
    .mut_subcommands(|c| c.args_override_self(true))
}

impl CommandFactory for Cli {
    fn command() -> clap::Command {
        finish(RawCli::command())
    }

    fn command_for_update() -> clap::Command {
        finish(RawCli::command_for_update())
    }
}

impl FromArgMatches for Cli {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        RawCli::from_arg_matches(matches)?.merge()
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Parser for Cli {}

impl RawCli {
    /// One value per option: the one given after the command, else the one before it.
    /// Neither copy reads an environment variable, so "given" is all there is to know.
    fn merge(self) -> Result<Cli, clap::Error> {
        let before = &self.common;
        let after = self.command.common();
        let later = |pick: &dyn Fn(&CommonArgs) -> bool| match after {
            Some(a) if pick(a) => a,
            _ => before,
        };
        // --json and --output are one choice: the later of the two, in the later place.
        let format = later(&|c| c.output.is_some() || c.json);
        let output = if format.json {
            Some(OutputFormat::Json)
        } else {
            format.output
        };
        if let (
            Some(export @ (OutputFormat::Csv | OutputFormat::Jsonl | OutputFormat::Xlsx)),
            false,
        ) = (output, matches!(self.command, Command::History(_)))
        {
            let name = match export {
                OutputFormat::Csv => "csv",
                OutputFormat::Jsonl => "jsonl",
                _ => "xlsx",
            };
            return Err(clap::Error::raw(
                ErrorKind::InvalidValue,
                format!(
                    "--output {name} is for `history` (the stored notices, for `batch` to read \
                     back); for a run's results pass --report FILE.{name}"
                ),
            ));
        }
        let loudness = later(&|c| c.verbose || c.quiet);
        let env_given = later(&|c| c.env.is_some());
        let env = env_name(env_given.env.as_deref())?;
        let platform = self.command.platform();
        let pick = |f: &dyn Fn(&PlatformArgs) -> bool| match platform {
            Some(p) if f(p) => p,
            _ => &self.platform,
        };
        let mut headers = self.platform.headers.clone();
        if let Some(p) = platform {
            headers.extend(p.headers.iter().cloned());
        }
        let journal = self
            .command
            .journal()
            .and_then(|j| j.journal.clone())
            .or_else(|| self.journal.journal.clone());
        let no_journal =
            self.no_journal.no_journal || self.command.no_journal().is_some_and(|n| n.no_journal);
        let global = GlobalArgs {
            env,
            base_url: later(&|c| c.base_url.is_some()).base_url.clone(),
            config: later(&|c| c.config.is_some()).config.clone(),
            output,
            color: later(&|c| c.color.is_some())
                .color
                .unwrap_or(ColorChoice::Auto),
            verbose: loudness.verbose,
            quiet: loudness.quiet,
            policy_source: pick(&|p| p.policy_source.is_some()).policy_source.clone(),
            timeout: pick(&|p| p.timeout.is_some()).timeout,
            retries: pick(&|p| p.retries.is_some()).retries,
            cacert: pick(&|p| p.cacert.is_some()).cacert.clone(),
            headers,
            journal,
            no_journal,
        };
        Ok(Cli {
            global,
            command: self.command,
        })
    }
}

/// `--env`'s text as a name: checked here rather than by clap, so that the message is this
/// tool's and offers the names.
fn env_name(text: Option<&str>) -> Result<Option<EnvName>, clap::Error> {
    let Some(text) = text else { return Ok(None) };
    if let Ok(name) = EnvName::from_str(text, false) {
        return Ok(Some(name));
    }
    let value = crate::text::quote(text);
    Err(clap::Error::raw(
        ErrorKind::InvalidValue,
        format!("--env '{value}' is not test, prod or sandbox"),
    ))
}

/// Takes any text but offers names, so that help and completions list them; the command
/// judges the text itself, in its own words.
#[derive(Clone)]
struct Offering(fn() -> Vec<clap::builder::PossibleValue>);

impl clap::builder::TypedValueParser for Offering {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new((self.0)().into_iter()))
    }
}

fn env_names() -> Vec<clap::builder::PossibleValue> {
    EnvName::value_variants()
        .iter()
        .filter_map(ValueEnum::to_possible_value)
        .collect()
}

/// The states a notice can have in the journal, which `history --outcome` filters on.
fn recorded_states() -> Vec<clap::builder::PossibleValue> {
    crate::journal::State::ALL
        .iter()
        .map(|s| clap::builder::PossibleValue::new(s.as_str()))
        .collect()
}

/// The commands that have a manual page of their own: every visible one.
fn command_names() -> Vec<clap::builder::PossibleValue> {
    Command::augment_subcommands(clap::Command::new("avatar-cli"))
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| clap::builder::PossibleValue::new(c.get_name().to_string()))
        .collect()
}

/// Options every command that talks to a platform or reads settings takes, before or after it.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct CommonArgs {
    /// Which platform to call [env: AVATAR_ENV] [default: the config's env, else test]
    #[arg(short = 'e', long = "env", value_name = "ENV", value_parser = Offering(env_names))]
    pub env: Option<String>,
    /// scheme://host[:port][/prefix] of the platform; the 5.30 path is appended [env: AVATAR_BASE_URL]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// TOML config file [env: AVATAR_CONFIG] [default: <config dir>/avatar-cli/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format of results on stdout
    #[arg(short = 'o', long, value_enum, overrides_with = "json")]
    pub output: Option<OutputFormat>,
    /// Same as --output json (JSON Lines on stdout); the later of the two wins
    #[arg(long, overrides_with = "output")]
    pub json: bool,
    /// When to colour output (NO_COLOR is honoured) [default: auto]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<ColorChoice>,
    /// Print request and response bodies on stderr (header values redacted)
    #[arg(short, long, overrides_with = "quiet")]
    pub verbose: bool,
    /// Print nothing on stderr but errors
    #[arg(short, long, overrides_with = "verbose")]
    pub quiet: bool,
}

/// How the commands that send reach the platform.
#[derive(Debug, Args)]
#[command(next_help_heading = "Platform options")]
pub struct PlatformArgs {
    /// Channel code the insurer assigned (head.policySource) [env: AVATAR_POLICY_SOURCE]
    #[arg(long, visible_alias = "channel", value_name = "CODE")]
    pub policy_source: Option<String>,
    /// Seconds allowed per HTTP request, fractions allowed: from 0.001 to 3600 [default: 30]
    #[arg(long, value_name = "SECS", value_parser = seconds, allow_negative_numbers = true)]
    pub timeout: Option<f64>,
    /// Extra attempts for a notice that got no usable answer, 0 to 10 [default: 3]
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,
    /// Extra trusted CA certificate (PEM) for a private test platform
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,
    /// Extra HTTP header, 'Name: value' or 'Name: @FILE' (value read from FILE); repeatable
    #[arg(short = HEADER_SHORT, long = HEADER_LONG, value_name = "'NAME: VALUE'")]
    pub headers: Vec<String>,
}

/// `-H`, `--header`: named once, for the option and for what takes its values out of a
/// recorded command line (`run::command_line`).
pub const HEADER_SHORT: char = 'H';
pub const HEADER_LONG: &str = "header";

/// The shortest and longest `--timeout`, in seconds: below a millisecond no answer can come,
/// above an hour a stalled platform holds the run for nothing.
pub const MIN_TIMEOUT_SECS: f64 = 0.001;
pub const MAX_TIMEOUT_SECS: f64 = 3600.0;

fn seconds(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .ok_or_else(|| "must be a number of seconds, such as 30 or 1.5".to_string())
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Journal options")]
pub struct JournalArgs {
    /// Journal of everything sent: a SQLite file, or a PostgreSQL database as
    /// postgres://USER@HOST:PORT/DATABASE [env: AVATAR_JOURNAL] [default: <state dir>/avatar-cli/journal.sqlite3]
    #[arg(long, value_name = "FILE|URL")]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Journal options")]
pub struct NoJournalArgs {
    /// Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)
    #[arg(long)]
    pub no_journal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvName {
    Test,
    Prod,
    Sandbox,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    /// `history` only: the stored content as a CSV that `batch` reads back
    Csv,
    /// `history` only: the stored content as JSON Lines that `batch` reads back
    Jsonl,
    /// `history` only: the stored content as a workbook (to --out FILE, or a stdout that is not
    /// a terminal), which `batch` reads back too
    Xlsx,
}

/// `--report-headers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportHeaders {
    /// English: policyNo, outcome, dealDesc, …
    En,
    /// Chinese: 保单号, 结果, 处理描述, …
    Zh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a notice for one or more policies given on the command line
    #[command(after_help = SEND_EXAMPLES)]
    Send(SendArgs),
    /// Send a notice for every row of a CSV, JSON Lines or workbook file
    #[command(after_help = BATCH_AFTER_HELP, after_long_help = batch_after_long_help())]
    Batch(BatchArgs),
    /// Check input offline: send nothing, write no journal
    #[command(after_help = VALIDATE_AFTER_HELP, after_long_help = validate_after_long_help())]
    Validate(ValidateArgs),
    /// Show what the journal recorded
    #[command(after_help = HISTORY_EXAMPLES, override_usage = HISTORY_USAGE)]
    History(HistoryArgs),
    /// Run a local Avatar simulator (loopback only) for rehearsals, demos and tests
    #[command(after_help = SANDBOX_EXAMPLES)]
    Sandbox(SandboxArgs),
    /// Check settings, the platform's reachability, the clock and the journal; send nothing
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
    /// Write a commented config file, show every setting and where it came from, or say where
    /// the file is looked for
    #[command(subcommand, after_help = CONFIG_EXAMPLES)]
    Config(ConfigCommand),
    /// Look after the journal: what it holds, a copy while runs write, old bodies dropped, a
    /// desk's history moved between SQLite and PostgreSQL
    #[command(subcommand, after_help = JOURNAL_EXAMPLES)]
    Journal(JournalCommand),
    /// Print a completion script
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page (roff), of avatar-cli or of one command, or install them all
    #[command(after_help = MAN_EXAMPLES)]
    Man {
        /// The command whose page to print [default: avatar-cli's own]
        #[arg(value_name = "COMMAND", value_parser = Offering(command_names))]
        command: Option<String>,
        /// Write every page into DIR/man1, where `man avatar-cli` finds them
        /// [default: $XDG_DATA_HOME/man, else ~/.local/share/man]
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        install: Option<Option<PathBuf>>,
    },
}

impl Command {
    fn common(&self) -> Option<&CommonArgs> {
        match self {
            Command::Send(a) => Some(&a.common),
            Command::Batch(a) => Some(&a.common),
            Command::Validate(a) => Some(&a.common),
            Command::History(a) => Some(&a.common),
            Command::Sandbox(a) => Some(&a.common),
            Command::Doctor(a) => Some(&a.common),
            Command::Config(c) => Some(c.common()),
            Command::Journal(c) => c.parts().map(|p| p.1),
            Command::Completions { .. } | Command::Man { .. } => None,
        }
    }

    fn platform(&self) -> Option<&PlatformArgs> {
        match self {
            Command::Send(a) => Some(&a.platform),
            Command::Batch(a) => Some(&a.platform),
            Command::Doctor(a) => Some(&a.platform),
            Command::Config(ConfigCommand::Show(a)) => Some(&a.platform),
            _ => None,
        }
    }

    fn journal(&self) -> Option<&JournalArgs> {
        match self {
            Command::Send(a) => Some(&a.journal),
            Command::Batch(a) => Some(&a.journal),
            Command::History(a) => Some(&a.journal),
            Command::Doctor(a) => Some(&a.journal),
            Command::Config(ConfigCommand::Show(a)) => Some(&a.journal),
            Command::Journal(c) => c.parts().map(|p| p.0),
            _ => None,
        }
    }

    fn no_journal(&self) -> Option<&NoJournalArgs> {
        match self {
            Command::Send(a) => Some(&a.no_journal),
            Command::Batch(a) => Some(&a.no_journal),
            _ => None,
        }
    }
}

const DOCTOR_EXAMPLES: &str = "\
Exit codes: 0 all is well; 2 a configuration or journal problem; 3 the platform cannot be
reached. No notice is sent: the platform gets one HEAD request of the base URL.

Examples:
  # Before the first run on a new machine
  avatar-cli doctor
  # The production platform, for monitoring (one JSON object)
  avatar-cli doctor --env prod --json";

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub platform: PlatformArgs,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

const JOURNAL_EXAMPLES: &str = "\
The journal is the one send and batch use: --journal FILE, AVATAR_JOURNAL, the config's
journal, else <state dir>/avatar-cli/journal.sqlite3. A SQLite journal must be on a local disk:
one on NFS, SMB or a FUSE mount is refused (share one through PostgreSQL instead).

Examples:
  # Notices per platform and channel, by state, and the size on disk
  avatar-cli journal stats
  avatar-cli journal stats --json
  # A consistent copy, even while a batch is writing (a PostgreSQL journal: use pg_dump)
  avatar-cli journal backup /backups/journal-$(date +%F).sqlite3
  # Drop request and answer bodies sent before 2025, keeping every notice and attempt
  avatar-cli journal prune --bodies-before 2025-01-01";

/// `journal`'s own commands.
#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Count notices per platform and channel, by state, with the oldest and newest, and the
    /// journal's size
    #[command(after_help = JOURNAL_EXAMPLES)]
    Stats(JournalStatsArgs),
    /// Copy the journal to FILE, consistent even while other runs write to it
    #[command(after_help = JOURNAL_EXAMPLES)]
    Backup(JournalBackupArgs),
    /// Drop the request and answer bodies of attempts before a date; every notice and attempt
    /// stays
    #[command(after_help = JOURNAL_EXAMPLES)]
    Prune(JournalPruneArgs),
    /// Copy every notice, attempt and run of one journal into another, SQLite or PostgreSQL
    /// either way; refused, with nothing written, where the two record a notice differently
    #[command(after_help = JOURNAL_COPY_EXAMPLES)]
    Copy(JournalCopyArgs),
}

impl JournalCommand {
    /// The journal and common options of the commands that work on the run's journal; `copy`
    /// names both of its journals itself.
    fn parts(&self) -> Option<(&JournalArgs, &CommonArgs)> {
        match self {
            JournalCommand::Stats(a) => Some((&a.journal, &a.common)),
            JournalCommand::Backup(a) => Some((&a.journal, &a.common)),
            JournalCommand::Prune(a) => Some((&a.journal, &a.common)),
            JournalCommand::Copy(_) => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct JournalStatsArgs {
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct JournalBackupArgs {
    /// Where to write the copy: a new file, made complete or not at all (a SQLite journal; for
    /// a PostgreSQL journal, use pg_dump)
    #[arg(value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub file: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct JournalPruneArgs {
    /// Drop the bodies of attempts started before this day (yyyy-MM-dd, China Standard Time,
    /// as history's --since); not a day in the future
    #[arg(long, value_name = "DATE", required = true)]
    pub bodies_before: String,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

const CONFIG_EXAMPLES: &str = "\
The file is TOML: <config dir>/avatar-cli/config.toml (~/.config/avatar-cli/config.toml on
Linux), or the one --config or AVATAR_CONFIG names. An option on the command line wins over an
environment variable, which wins over the file, which wins over the default.

Examples:
  # A commented file to fill in, with your channel code already in it
  avatar-cli config init --policy-source HN_HT_QNW
  # What a run would use, and where each value came from
  avatar-cli config show
  avatar-cli config show --env prod --json
  # Where the file is looked for
  avatar-cli config path";

#[derive(Debug, Args)]
pub struct JournalCopyArgs {
    /// The journal to copy: a SQLite file, or postgres://USER@HOST:PORT/DATABASE
    #[arg(value_name = "FROM")]
    pub from: PathBuf,
    /// The journal to copy into, made if need be (a file, or a database's tables)
    #[arg(value_name = "TO")]
    pub to: PathBuf,
}

const JOURNAL_COPY_EXAMPLES: &str = "\
What TO holds already is skipped when recorded the same way; a notice TO records otherwise (above
all under another orderNo) stops the copy before anything is written (exit 2).

Examples:
  # Move a machine's journal into the PostgreSQL journal others share
  avatar-cli journal copy ~/.local/state/avatar-cli/journal.sqlite3 postgres://avatar@db.example/avatar
  # And back, for an archive
  avatar-cli journal copy postgres://avatar@db.example/avatar archive.sqlite3";

/// `config`'s own commands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented config file to fill in; an existing file is never overwritten
    #[command(after_help = CONFIG_EXAMPLES)]
    Init(ConfigInitArgs),
    /// Print every setting a run would use, with its value and where it came from
    // The options doctor takes: it shows the same settings.
    #[command(after_help = CONFIG_EXAMPLES)]
    Show(DoctorArgs),
    /// Print where the config file is looked for, and whether it is there
    #[command(after_help = CONFIG_EXAMPLES)]
    Path(ConfigPathArgs),
}

impl ConfigCommand {
    fn common(&self) -> &CommonArgs {
        match self {
            ConfigCommand::Init(a) => &a.common,
            ConfigCommand::Show(a) => &a.common,
            ConfigCommand::Path(a) => &a.common,
        }
    }
}

#[derive(Debug, Args)]
pub struct ConfigInitArgs {
    /// Write this file [default: where the config is looked for: --config, AVATAR_CONFIG, else
    /// <config dir>/avatar-cli/config.toml]
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub path: Option<PathBuf>,
    /// The channel code the insurer assigned you, written in [default: left for you to fill in]
    #[arg(long, visible_alias = "channel", value_name = "CODE")]
    pub policy_source: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ConfigPathArgs {
    #[command(flatten)]
    pub common: CommonArgs,
}

const SEND_EXAMPLES: &str = "\
Examples:
  # One policy, under the order number the insurer knows
  avatar-cli --policy-source HN_HT_QNW send --policy P2024000001 --order-no O1 --amount 10.2 \\
      --refund-date '2024-05-10 12:00:00'
  # Several policies; order numbers generated (and journaled) where none is known
  avatar-cli send --policy P1 --policy P2 --generate-order-no
  # Print the envelope instead of sending it
  avatar-cli send --policy P9 --order-no O9 --dry-run
  # Rehearse on the built-in sandbox
  avatar-cli --env sandbox send --policy P2024000001";

/// What a person needs while building the file. Keep the names in step with
/// `input::fields` (a test checks each one is recognised).
const COLUMNS_HELP: &str = "\
Columns, by header name (case, '_', '-' and spaces do not matter; other columns are ignored):
  policyNo, policy_no, 保单号, 保单号码, 保单编号  required
  orderNo, order_no, 订单号, 订单号码, 订单编号  see Order numbers
  secondRefundAmount, amount, 退费金额, 退保金额, 退款金额  at most two decimals: 10.20
  secondRefundDate, refund_date, 退费日期, 退保日期, 退款日期, 退费时间, 退保时间, 退款时间  see Dates
  secondRefundStatus, status, 退费状态, 退保状态, 退款状态  an integer
  installmentList, installments, 分期列表, 分期, 分期明细  see Installments

Any other header: --column FIELD=HEADER, e.g. --column orderNo=批单号.
Dates: yyyy-MM-dd HH:mm:ss in China Standard Time (UTC+8), such as 2024-05-10 12:00:00.
Installments: PAYNO:AMOUNT:yyyy-MM-dd HH:mm:ss, several joined by ';', such as
  1:5.10:2024-05-10 12:00:00;2:5.10:2024-06-10 12:00:00
  or a JSON array: [{\"payNo\":1,\"amount\":5.10,\"refundTime\":\"2024-05-10 12:00:00\"}].
  Installments that do not add up to the refund amount are warned about.
Order numbers: the row's orderNo; else the one the journal holds for the policy; else, with
  --generate-order-no, a new one. Otherwise the row is an error, and nothing is sent.
Files: comma-separated (--delimiter ';' or tab for others), UTF-8 (Excel's BOM is fine) or
  GB18030 (Chinese Excel's \"CSV\"); workbooks (.xlsx, .xlsm, .xls, .ods): the first sheet,
  or --sheet NAME, its first non-empty row the header, problems named by cell (Sheet1!C7);
  .jsonl/.ndjson files hold one secondRefundReq object per line, with the camelCase names.";

const BATCH_EXAMPLES: &str = "\
Examples:
  # Check the file, then send it, keeping a report for the record
  avatar-cli validate cancellations.csv
  avatar-cli --policy-source HN_HT_QNW batch cancellations.csv --report results.csv
  # A workbook in, a workbook of the results out, for the manager
  avatar-cli --policy-source HN_HT_QNW batch cancellations.xlsx --report results.xlsx
  # Generate order numbers for rows without one; at most 10 requests a second
  avatar-cli batch cancellations.csv --generate-order-no --rate 10
  # Run the same command again after an interruption: it resumes
  avatar-cli --policy-source HN_HT_QNW batch cancellations.csv
  # Rehearse on the built-in sandbox
  avatar-cli --env sandbox batch cancellations.csv";

const BATCH_AFTER_HELP: &str = concat!(
    "The columns, dates, installments and order numbers: see --help.\n\n",
    "Examples:\n",
    "  avatar-cli --policy-source HN_HT_QNW batch cancellations.csv --report results.csv\n",
    "  avatar-cli --env sandbox batch cancellations.csv"
);

fn batch_after_long_help() -> String {
    format!("{COLUMNS_HELP}\n\n{BATCH_EXAMPLES}")
}

const VALIDATE_EXAMPLES: &str = "\
--fix OUT writes a corrected copy (.csv, or .xlsx) with only the fixes that cannot change a
value's meaning: full-width digits and letters, thousands separators, currency signs,
surrounding spaces, dates such as 2024/5/10 or without a time as yyyy-MM-dd HH:mm:ss. Each
change is printed; what is ambiguous stays as it was, an error in OUT too. The input is never
written over. The exit code is OUT's: 0 when it has no errors left, 2 otherwise.

Examples:
  # Every problem in a file, one per line
  avatar-cli validate cancellations.csv
  # A workbook's second sheet
  avatar-cli validate cancellations.xlsx --sheet 退保清单
  # As JSON, for a script
  avatar-cli validate cancellations.csv --json
  # Mend what is unambiguous into a copy, and list what is left
  avatar-cli validate cancellations.xlsx --fix fixed.xlsx
  # The flags of a send
  avatar-cli validate --policy P1 --amount 10.2 --refund-date '2024-05-10 12:00:00'";

const VALIDATE_AFTER_HELP: &str = concat!(
    "The columns, dates, installments and order numbers: see --help.\n\n",
    "Exit codes: 0 no errors (with --fix: none left in OUT); 2 errors, or a usage error.\n\n",
    "Examples:\n",
    "  avatar-cli validate cancellations.csv\n",
    "  avatar-cli validate cancellations.xlsx --fix fixed.xlsx\n",
    "  avatar-cli validate --policy P1 --amount 10.2 --refund-date '2024-05-10 12:00:00'"
);

fn validate_after_long_help() -> String {
    format!("{COLUMNS_HELP}\n\n{VALIDATE_EXAMPLES}")
}

const HISTORY_USAGE: &str = "\
avatar-cli history [OPTIONS]
       avatar-cli history runs [OPTIONS]
       avatar-cli history show [OPTIONS] POLICY…";

const HISTORY_EXAMPLES: &str = "\
--env or --base-url (after or before the command, or AVATAR_ENV / AVATAR_BASE_URL) shows only
the notices sent to that platform; the config file's default env does not filter.

Examples:
  # The latest state of every notice, newest first
  avatar-cli history
  # Every attempt for one policy
  avatar-cli history --attempts --policy P2024000001
  # What was rejected on production this month, as JSON Lines
  avatar-cli history --env prod --outcome rejected --since 2024-05-01 --json
  # Exactly what was sent for two policies, and what the platform answered
  avatar-cli history show P2024000001 P2024000002
  # The runs, newest first, then what the last one sent
  avatar-cli history runs
  avatar-cli history --run last
  # Send again what failed in the last day, without the original file
  avatar-cli history --outcome failed --since 1d --output csv > failed.csv
  avatar-cli --policy-source HN_HT_QNW batch failed.csv
  # This month's notices on production as a workbook
  avatar-cli history --env prod --since 2024-05-01 --out notices.xlsx";

const SANDBOX_EXAMPLES: &str = "\
Examples:
  # A simulator on a fixed port that rejects policies starting with REJ
  avatar-cli sandbox --port 8730 --reject 'REJ*'
  # And, in another terminal
  avatar-cli --base-url http://127.0.0.1:8730 --policy-source DEMO send --policy REJ1 \\
      --generate-order-no
  # One answer in ten is HTTP 503, after 50 ms
  avatar-cli sandbox --fail-rate 0.1 --latency-ms 50 --seed 7";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  avatar-cli completions bash > ~/.local/share/bash-completion/completions/avatar-cli
  avatar-cli completions zsh > ~/.zfunc/_avatar-cli
  avatar-cli completions fish > ~/.config/fish/completions/avatar-cli.fish";

const MAN_EXAMPLES: &str = "\
Examples:
  # Install every page where man finds them, then read one
  avatar-cli man --install
  man avatar-cli-batch
  # Read a page without installing it
  avatar-cli man batch | man -l -";

/// The notice fields of `send` and `validate --policy`: the input layer's own type.
pub use crate::input::FieldFlags as FieldArgs;

/// Flags shared by the two commands that send.
#[derive(Debug, Args)]
pub struct SendingArgs {
    /// Generate an order number where none is given or journaled
    #[arg(long)]
    pub generate_order_no: bool,
    /// head.interfaceType, if the platform contact says it is not recissionNotice
    #[arg(long, value_name = "T")]
    pub interface_type: Option<String>,
    /// Print the envelopes that would be sent; send nothing, write no journal
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (production)
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Send again even if the journal records the notice as accepted (or rejected)
    #[arg(long)]
    pub force: bool,
    /// Send again, unchanged, the notices the platform rejected before (without it they are
    /// skipped as "rejected earlier", and the run exits 1)
    #[arg(long)]
    pub retry_rejected: bool,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub fields: FieldArgs,
    #[command(flatten)]
    pub sending: SendingArgs,
    #[command(flatten)]
    pub platform: PlatformArgs,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub no_journal: NoJournalArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// How an input file is read.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Format of a text file [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV;
    /// a workbook is recognised by its content]
    #[arg(long, value_enum)]
    pub format: Option<crate::input::Format>,
    /// Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]
    #[arg(long, value_enum)]
    pub encoding: Option<crate::input::Encoding>,
    /// Read the column HEADER as FIELD (policyNo, orderNo, secondRefundAmount, ...); repeatable
    #[arg(long = "column", value_name = "FIELD=HEADER", value_parser = clap::value_parser!(crate::input::ColumnMapping))]
    pub columns: Vec<crate::input::ColumnMapping>,
    /// CSV column separator: one character such as ';', or tab [default: ,]
    #[arg(long, value_name = "CHAR", value_parser = crate::input::parse_delimiter)]
    pub delimiter: Option<u8>,
    /// The workbook's sheet to read [default: the first]
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Do not warn about the column (or JSON key) NAME, which is no field (matched trimmed,
    /// ignoring case); repeatable, and added to the config's ignore_columns
    #[arg(long = "ignore-column", value_name = "NAME", value_parser = crate::input::ignorable_column)]
    pub ignore_columns: Vec<String>,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// CSV, JSON Lines or workbook (.xlsx, .xlsm, .xls, .ods) file, or - for standard input
    #[arg(value_name = "FILE|-", value_hint = clap::ValueHint::FilePath)]
    pub file: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// Notices in flight at once, 1 to 1024 [default: 4]
    #[arg(long, value_name = "N", value_parser = concurrency, allow_negative_numbers = true)]
    pub concurrency: Option<usize>,
    /// At most this many requests per second across all workers, 0.01 to 100000
    #[arg(long, value_name = "PER_SEC", value_parser = rate, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Write one row per input row to FILE: CSV, a workbook if it ends in .xlsx, JSON Lines if
    /// in .jsonl
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub report: Option<PathBuf>,
    /// The language of the report's headers [default: the input's: Chinese for a file whose
    /// columns are named in Chinese]
    #[arg(long, value_enum, value_name = "LANG", requires = "report")]
    pub report_headers: Option<ReportHeaders>,
    /// Send the valid rows and set the invalid ones aside in --rejects FILE (exit 1 at best);
    /// without it one invalid row stops the whole file
    #[arg(long, requires = "rejects")]
    pub skip_invalid: bool,
    /// With --skip-invalid: the rows set aside, as the input had them, with a problem column
    /// (CSV, or a workbook if it ends in .xlsx)
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, requires = "skip_invalid")]
    pub rejects: Option<PathBuf>,
    /// After the first rejected, failed or in-doubt notice, start nothing new
    #[arg(long)]
    pub fail_fast: bool,
    #[command(flatten)]
    pub sending: SendingArgs,
    #[command(flatten)]
    pub platform: PlatformArgs,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub no_journal: NoJournalArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Each notice in flight is a task with its own connection; past this many, more only costs
/// memory and sockets (the config's `concurrency` is held to it too).
pub const MAX_CONCURRENCY: usize = 1024;

/// Requests per second: below the minimum a run of a few rows would take hours, above the
/// maximum the limit means nothing, and outside both a float turns into no sensible interval.
pub const MIN_RATE: f64 = 0.01;
pub const MAX_RATE: f64 = 100_000.0;

fn concurrency(text: &str) -> Result<usize, String> {
    text.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_CONCURRENCY).contains(n))
        .ok_or_else(|| format!("must be a whole number from 1 to {MAX_CONCURRENCY}"))
}

fn rate(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|r| r.is_finite() && (MIN_RATE..=MAX_RATE).contains(r))
        .ok_or_else(|| {
            format!("must be a number of requests per second from {MIN_RATE} to {MAX_RATE}")
        })
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// CSV, JSON Lines or workbook file, or - for standard input
    #[arg(
        value_name = "FILE|-",
        value_hint = clap::ValueHint::FilePath,
        required_unless_present = "policies",
        conflicts_with = "policies"
    )]
    pub file: Option<String>,
    #[command(flatten)]
    pub fields: FieldArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Order numbers will be generated: a missing one is not an error
    #[arg(long)]
    pub generate_order_no: bool,
    /// Write a corrected copy to OUT (.csv or .xlsx), then check it: exit 0 when OUT has no
    /// errors left, 2 otherwise
    #[arg(long, value_name = "OUT", requires = "file")]
    pub fix: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// `runs`: one row per run; `show POLICY…`: each policy's notice whole
    ///
    /// `runs` lists the runs that sent, newest first: when, who, the command line, the input
    /// file, the platform, the counts and the exit code. `show POLICY…` prints each policy's
    /// notice whole, every attempt with its request and answer bodies.
    #[arg(
        value_name = "runs | show POLICY",
        value_parser = Offering(history_views),
        hide_possible_values = true
    )]
    pub view: Vec<String>,
    /// Only what one run did: an id from `history runs`, or last
    ///
    /// Only what one run did: the notices it sent and its attempts (with `runs`, that run). An
    /// id from `history runs`, or `last`: the newest run to the platform and channel given (to
    /// any, when none is).
    #[arg(long, value_name = "last|ID")]
    pub run: Option<String>,
    /// Only this policy
    #[arg(long, value_name = "NO")]
    pub policy: Option<String>,
    /// Only this channel (head.policySource)
    #[arg(long, visible_alias = "channel", value_name = "CODE")]
    pub policy_source: Option<String>,
    /// Only this environment: a name from the config or a base URL. `--env` and `--base-url`
    /// (or AVATAR_ENV and AVATAR_BASE_URL) filter too; the config's default env does not.
    /// Hidden: the old spelling, kept for scripts.
    #[arg(long, value_name = "NAME|URL", hide = true)]
    pub environment: Option<String>,
    /// Only notices whose latest state is this (accepted, rejected, failed, inDoubt, notSent)
    #[arg(long, value_name = "O", value_parser = Offering(recorded_states), hide_possible_values = true)]
    pub outcome: Option<String>,
    /// From this date or time (yyyy-MM-dd, yyyy-MM-dd HH:mm:ss in China Standard Time,
    /// RFC 3339, or today, yesterday, 30m, 1h, 7d)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Up to this date or time (a bare date includes that whole day)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// One row per attempt instead of one per notice
    #[arg(long)]
    pub attempts: bool,
    /// At most this many rows, newest first; 0 for all [default: 50 on a terminal, else all]
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// On a terminal, every column whole, however wide the table (else it is fitted to the
    /// terminal's width)
    #[arg(long)]
    pub wide: bool,
    /// Write the export to FILE instead of stdout: --output csv, jsonl or xlsx, else the one
    /// FILE's extension names
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub journal: JournalArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// What `history` lists, by the words after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryView {
    /// No word: one row per notice (or per attempt).
    Notices,
    /// `show POLICY…`: each of these policies whole, in the order given.
    Show(Vec<String>),
    /// `runs`: one row per run.
    Runs,
}

impl HistoryArgs {
    /// The view the words ask for; a message in this tool's words when they make none.
    pub fn view(&self) -> Result<HistoryView, String> {
        use crate::text::quote;
        let Some((word, rest)) = self.view.split_first() else {
            return Ok(HistoryView::Notices);
        };
        match (word.as_str(), rest) {
            ("show", []) => Err(
                "history show: which policy? `avatar-cli history show POLICY…` shows one or more"
                    .into(),
            ),
            ("show", policies) => {
                let mut unique: Vec<String> = Vec::with_capacity(policies.len());
                for p in policies {
                    if !unique.contains(p) {
                        unique.push(p.clone());
                    }
                }
                Ok(HistoryView::Show(unique))
            }
            ("runs", []) => Ok(HistoryView::Runs),
            ("runs", [extra, ..]) => Err(format!(
                "history runs takes no other word: unexpected '{}' (`--run ID` names one run)",
                quote(extra)
            )),
            (word, _) => Err(format!(
                "history: unexpected '{}': history's own commands are `history show POLICY…` \
                 and `history runs`",
                quote(word)
            )),
        }
    }
}

/// The words `history` takes first, for help and completions.
fn history_views() -> Vec<clap::builder::PossibleValue> {
    ["show", "runs"]
        .into_iter()
        .map(clap::builder::PossibleValue::new)
        .collect()
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1 [default: a free one]
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Delay before every answer
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub latency_ms: u64,
    /// Share of requests answered HTTP 503, 0.0 to 1.0
    #[arg(long, default_value_t = 0.0, value_name = "F")]
    pub fail_rate: f64,
    /// Answer dealCode "0" for policy numbers matching this glob (* and ?); repeatable
    #[arg(long, value_name = "PATTERN")]
    pub reject: Vec<String>,
    /// Seed for the random faults, so a rehearsal can be repeated
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Some usage errors in this tool's words, as one line, where clap's own would leave the user
/// guessing; `None` keeps clap's. `argv` is the whole command line, program name first.
pub fn explain(err: &clap::Error, argv: &[String]) -> Option<String> {
    use crate::text::quote;
    if !err.use_stderr() {
        return None;
    }
    let args = argv.get(1..).unwrap_or_default();
    // `--refund-date 2024-05-10 12:00:00`: the shell split the value at its space.
    if let Some(i) = args
        .windows(2)
        .position(|w| ends_in_a_date(&w[0]) && is_a_time(&w[1]))
    {
        let (value, time) = (&args[i], &args[i + 1]);
        let shown = match (
            i.checked_sub(1).map(|j| args[j].as_str()),
            value.split_once('='),
        ) {
            (_, Some((flag, date))) if flag.starts_with("--") => {
                format!("{flag}='{} {}'", quote(date), quote(time))
            }
            (Some(flag), _) if flag.starts_with('-') => {
                format!("{} '{} {}'", quote(flag), quote(value), quote(time))
            }
            _ => format!("'{} {}'", quote(value), quote(time)),
        };
        return Some(format!(
            "'{}' '{}' were read as two arguments: a date and its time are one value, so quote \
             them together: {shown}",
            quote(value),
            quote(time)
        ));
    }
    let context = |kind| match err.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    match err.kind() {
        // From `Cli`'s own merging: a whole sentence already, to which clap added the usage.
        ErrorKind::InvalidValue if err.get(ContextKind::InvalidArg).is_none() => {
            let text = err.to_string();
            let line = text.lines().next()?;
            Some(line.strip_prefix("error: ").unwrap_or(line).to_string())
        }
        // `send P1`: policies are given with --policy.
        ErrorKind::UnknownArgument => {
            let stray = context(ContextKind::InvalidArg)?;
            let cli = Cli::command();
            let command = args
                .iter()
                .find_map(|a| cli.get_subcommands().find(|c| c.get_name() == a))?;
            // `send P1`: policies are given with --policy.
            if command.get_name() == "send" && !stray.starts_with('-') {
                return Some(format!(
                    "send takes no bare arguments: give each policy with --policy, as in \
                     avatar-cli send --policy {}",
                    quote(stray)
                ));
            }
            // `validate --timeout 5`: an option of other commands, which cannot matter here.
            let long = stray.strip_prefix("--")?.split('=').next()?;
            let takes = |c: &clap::Command| c.get_arguments().any(|a| a.get_long() == Some(long));
            let others: Vec<&str> = cli
                .get_subcommands()
                .filter(|c| takes(c))
                .map(|c| c.get_name())
                .collect();
            let (last, rest) = others.split_last()?;
            let who = match rest {
                [] => format!("{last} does"),
                _ => format!("{} and {last} do", rest.join(", ")),
            };
            Some(format!(
                "{} does not take --{long}: only {who}",
                command.get_name()
            ))
        }
        _ => None,
    }
}

/// `2024-05-10`, `2024/5/10`, or something ending in one (an installment's `1:5.1:2024-05-10`).
fn ends_in_a_date(text: &str) -> bool {
    let tail = text.rsplit([':', '=', ' ']).next().unwrap_or(text);
    let parts: Vec<&str> = tail.split(['-', '/']).collect();
    parts.len() == 3
        && parts[0].len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `12:00:00` or `12:00`.
fn is_a_time(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_stand_after_the_command_too() {
        let cli = Cli::try_parse_from([
            "avatar-cli",
            "send",
            "--env",
            "prod",
            "--policy",
            "P1",
            "--json",
            "-y",
        ])
        .unwrap();
        assert_eq!(cli.global.env, Some(EnvName::Prod));
        assert_eq!(cli.global.output, Some(OutputFormat::Json));
        let Command::Send(send) = cli.command else {
            panic!("not send")
        };
        assert_eq!(send.fields.policies, ["P1"]);
        assert!(send.sending.yes);
    }

    #[test]
    fn the_later_value_wins_before_after_and_across_the_command() {
        let parse = |args: &[&str]| {
            let argv = ["avatar-cli"].iter().chain(args).copied();
            Cli::try_parse_from(argv).unwrap().global
        };
        let g = parse(&[
            "--timeout",
            "5",
            "--timeout",
            "1.5",
            "send",
            "--policy",
            "P",
        ]);
        assert_eq!(g.timeout, Some(1.5));
        let g = parse(&["--timeout", "5", "send", "--timeout", "2", "--timeout", "3"]);
        assert_eq!(g.timeout, Some(3.0));
        let g = parse(&["-o", "json", "--json", "history"]);
        assert_eq!(g.output, Some(OutputFormat::Json));
        let g = parse(&["--json", "history", "-o", "text"]);
        assert_eq!(g.output, Some(OutputFormat::Text));
        let g = parse(&["-v", "history", "-q"]);
        assert!(g.quiet && !g.verbose);
        let g = parse(&["--env", "prod", "history", "--env", "test"]);
        assert_eq!(g.env, Some(EnvName::Test));
        // Repeatable options add up instead.
        let g = parse(&["-H", "A: 1", "send", "-H", "B: 2", "-H", "C: 3"]);
        assert_eq!(g.headers, ["A: 1", "B: 2", "C: 3"]);
        // Given before the command only, it still counts.
        let g = parse(&["--journal", "j", "--no-journal", "batch", "f.csv"]);
        assert_eq!(
            (g.journal.as_deref(), g.no_journal),
            (Some("j".as_ref()), true)
        );
    }

    #[test]
    fn a_split_date_is_recognised_and_nothing_else() {
        assert!(ends_in_a_date("2024-05-10") && ends_in_a_date("1:5:2024/5/10"));
        assert!(ends_in_a_date("--refund-date=2024-05-10"));
        assert!(!ends_in_a_date("P2024") && !ends_in_a_date("10.20"));
        assert!(is_a_time("12:00:00") && is_a_time("9:30"));
        assert!(!is_a_time("12") && !is_a_time("a:b") && !is_a_time("1:2:3:4"));
    }

    #[test]
    fn channel_is_an_alias_of_policy_source() {
        let cli = Cli::try_parse_from(["avatar-cli", "--channel", "HN", "history"]).unwrap();
        assert_eq!(cli.global.policy_source.as_deref(), Some("HN"));
    }

    #[test]
    fn validate_takes_a_file_or_policies_not_both() {
        assert!(Cli::try_parse_from(["avatar-cli", "validate"]).is_err());
        assert!(Cli::try_parse_from(["avatar-cli", "validate", "a.csv", "--policy", "P"]).is_err());
        assert!(Cli::try_parse_from(["avatar-cli", "validate", "--policy", "P"]).is_ok());
    }
}
