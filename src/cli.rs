//! The whole command-line definition, and nothing else. The README is its contract.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "avatar-cli",
    version,
    about = "Tell Huanong's Avatar platform that customers rescinded policies (interface 5.30 refund notice)",
    long_about = "Tell Huanong's Avatar platform that customers rescinded policies (interface 5.30 \
                  refund notice): one policy from the command line, or thousands from a CSV, safely \
                  re-runnable thanks to a journal of everything sent.",
    after_help = "Exit codes: 0 all accepted or skipped; 1 some rejected; 2 usage, config or input \
                  error, nothing sent; 3 some failed or the journal failed; 130 interrupted.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options that stand before or after the command. Flag > environment variable > config > default:
/// clap reads the first two, `config.rs` the rest, hence the `Option`s.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Which platform to call
    #[arg(
        short = 'e',
        long = "env",
        env = "AVATAR_ENV",
        global = true,
        value_enum
    )]
    pub env: Option<EnvName>,
    /// scheme://host[:port][/prefix]; the 5.30 path is appended
    #[arg(long, env = "AVATAR_BASE_URL", global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Channel code the insurer assigned (head.policySource)
    #[arg(
        long,
        visible_alias = "channel",
        env = "AVATAR_POLICY_SOURCE",
        global = true,
        value_name = "CODE"
    )]
    pub policy_source: Option<String>,
    /// TOML config file [default: <config dir>/avatar-cli/config.toml]
    #[arg(long, env = "AVATAR_CONFIG", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Journal of everything sent [default: <state dir>/avatar-cli/journal.sqlite3]
    #[arg(long, env = "AVATAR_JOURNAL", global = true, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Send without a journal: no skipping, no resume (wins over --journal and AVATAR_JOURNAL)
    #[arg(long, global = true)]
    pub no_journal: bool,
    /// Seconds allowed per HTTP request [default: 30]
    #[arg(long, global = true, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Extra attempts for a notice that got no usable answer [default: 3]
    #[arg(long, global = true, value_name = "N")]
    pub retries: Option<u32>,
    /// Extra trusted CA certificate (PEM) for a private test platform
    #[arg(long, global = true, value_name = "PEM")]
    pub cacert: Option<PathBuf>,
    /// Extra HTTP header, 'Name: value' or 'Name: @FILE' (value read from FILE); repeatable
    #[arg(
        short = 'H',
        long = "header",
        global = true,
        value_name = "'NAME: VALUE'"
    )]
    pub headers: Vec<String>,
    /// Output format of results on stdout
    #[arg(short = 'o', long, global = true, value_enum)]
    pub output: Option<OutputFormat>,
    /// Same as --output json (JSON Lines on stdout)
    #[arg(long, global = true, conflicts_with = "output")]
    pub json: bool,
    /// When to colour output (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print request and response bodies on stderr (header values redacted)
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Print nothing on stderr but errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Send a notice for one or more policies given on the command line
    Send(SendArgs),
    /// Send a notice for every row of a CSV (or JSON Lines) file
    Batch(BatchArgs),
    /// Check input offline: send nothing, write no journal
    Validate(ValidateArgs),
    /// Show what the journal recorded
    History(HistoryArgs),
    /// Run a local Avatar simulator (loopback only) for rehearsals, demos and tests
    Sandbox(SandboxArgs),
    /// Print a completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The notice fields of `send` and `validate --policy`: the input room's own type.
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
    /// Send again even if the journal records the notice as accepted
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub fields: FieldArgs,
    #[command(flatten)]
    pub sending: SendingArgs,
}

/// How an input file is read.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Input format [default: by extension: .jsonl/.ndjson are JSON Lines, else CSV]
    #[arg(long, value_enum)]
    pub format: Option<crate::input::Format>,
    /// Text encoding [default: UTF-8, or GB18030 when the file is not valid UTF-8]
    #[arg(long, value_enum)]
    pub encoding: Option<crate::input::Encoding>,
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    /// CSV or JSON Lines file, or - for standard input
    #[arg(value_name = "FILE|-")]
    pub file: String,
    #[command(flatten)]
    pub input: InputArgs,
    /// Notices in flight at once, 1 to 1024 [default: 4]
    #[arg(long, value_name = "N", value_parser = concurrency, allow_negative_numbers = true)]
    pub concurrency: Option<usize>,
    /// At most this many requests per second across all workers, 0.01 to 100000
    #[arg(long, value_name = "PER_SEC", value_parser = rate, allow_negative_numbers = true)]
    pub rate: Option<f64>,
    /// Write one row per input row to FILE (CSV, or JSON Lines if it ends in .jsonl)
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// After the first rejected or failed notice, start nothing new
    #[arg(long)]
    pub fail_fast: bool,
    #[command(flatten)]
    pub sending: SendingArgs,
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
    /// CSV or JSON Lines file, or - for standard input
    #[arg(
        value_name = "FILE|-",
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
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this policy
    #[arg(long, value_name = "NO")]
    pub policy: Option<String>,
    /// Only this environment: test, prod, sandbox or a base URL
    #[arg(long, value_name = "NAME|URL")]
    pub environment: Option<String>,
    /// Only notices whose latest state is this (accepted, rejected, failed, inDoubt, notSent)
    #[arg(long, value_name = "O")]
    pub outcome: Option<String>,
    /// From this date or time (yyyy-MM-dd, yyyy-MM-dd HH:mm:ss in local time, or RFC 3339)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Up to this date or time (a bare date includes that whole day)
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// One row per attempt instead of one per notice
    #[arg(long)]
    pub attempts: bool,
    /// At most this many rows, newest first
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
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
}

impl InputArgs {
    /// The input room's options; `require_order_no` when no orderNo can come from elsewhere.
    pub fn options(&self, require_order_no: bool) -> crate::input::InputOptions {
        crate::input::InputOptions {
            format: self.format,
            encoding: self.encoding,
            require_order_no,
        }
    }
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
        assert!(cli.global.json);
        let Command::Send(send) = cli.command else {
            panic!("not send")
        };
        assert_eq!(send.fields.policies, ["P1"]);
        assert!(send.sending.yes);
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
