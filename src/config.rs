//! One `Settings` value from flags, environment variables (both read by clap), the TOML config
//! file and defaults, in that order of precedence; environments and their URLs.

use crate::cli::{ColorChoice, EnvName, GlobalArgs, OutputFormat};
use crate::error::Refusal;
use crate::protocol::{DEFAULT_ORDER_NO_PREFIX, REFUND_NOTICE_PATH};
use crate::refuse;
type Result<T, E = Refusal> = std::result::Result<T, E>;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

pub const TEST_BASE_URL: &str = "https://porsche-avatar.chinahuanong.com.cn";
pub const PROD_BASE_URL: &str = "https://avatar.chinahuanong.com.cn";
const PROD_HOST: &str = "avatar.chinahuanong.com.cn";
/// More attempts than this only delays the run's end: a platform down for minutes is better
/// met by re-running, which resends under the same order numbers.
pub const MAX_RETRIES: u32 = 10;
/// A header value read from a file is a key or token, never large.
pub const MAX_HEADER_FILE_BYTES: u64 = 64 * 1024;
/// Headers that frame the request or the connection: avatar-cli sets them, or they must not be
/// sent at all. One given by the user could smuggle a second request or break the first.
const FRAMING_HEADERS: [&str; 11] = [
    "Content-Length",
    "Transfer-Encoding",
    "Host",
    "Connection",
    "Content-Type",
    "Keep-Alive",
    "Upgrade",
    "TE",
    "Trailer",
    "Expect",
    "Proxy-Connection",
];

/// The config file as written by the user. Unknown keys are errors: a misspelt key silently
/// ignored is a setting the user believes in but does not have.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
/// Values that are checked after parsing keep their place in the file, so that a message can
/// name the line.
pub struct FileConfig {
    pub policy_source: Option<Spanned<String>>,
    pub env: Option<Spanned<String>>,
    pub timeout_secs: Option<Spanned<u64>>,
    pub concurrency: Option<Spanned<usize>>,
    pub retries: Option<Spanned<u32>>,
    pub generate_order_no: Option<Spanned<bool>>,
    pub order_no_prefix: Option<Spanned<String>>,
    pub journal_sync: Option<Spanned<JournalSyncSetting>>,
    pub journal: Option<Spanned<PathBuf>>,
    pub cacert: Option<Spanned<PathBuf>>,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentConfig>,
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub base_url: Option<Spanned<String>>,
}

/// The config file that was read, to name a value's place in it: `config file PATH:LINE`.
struct ConfigFile {
    path: PathBuf,
    text: String,
}

impl ConfigFile {
    fn at(&self, span: &Range<usize>) -> String {
        format!(
            "config file {}:{}",
            self.path.display(),
            line_of(&self.text, span.start)
        )
    }
}

/// Where a value came from, as messages name it.
fn place(file: Option<&ConfigFile>, span: &Range<usize>) -> String {
    match file {
        Some(file) => file.at(span),
        None => "config".to_string(),
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalSyncSetting {
    Normal,
    Full,
}

/// Where notices go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A platform at this base URL (no trailing slash).
    Remote { base_url: String },
    /// The built-in simulator, started in-process for the duration of the command.
    InProcessSandbox,
}

/// Which journal, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalChoice {
    File(PathBuf),
    Disabled,
}

/// The journal key of the in-process sandbox. Its port changes with every run, so the key is
/// this name: a second rehearsal then skips what the first one sent.
pub const SANDBOX_ENDPOINT: &str = "sandbox";

/// An extra HTTP header. The value is a secret: it never appears in output, journal or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for ExtraHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: <redacted>", self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub env: EnvName,
    pub target: Target,
    pub policy_source: Option<String>,
    pub journal: JournalChoice,
    pub journal_sync_full: bool,
    pub timeout: Duration,
    pub retries: u32,
    pub cacert: Option<PathBuf>,
    pub headers: Vec<ExtraHeader>,
    pub output: OutputFormat,
    pub color: ColorChoice,
    pub verbose: bool,
    pub quiet: bool,
    pub generate_order_no: bool,
    pub order_no_prefix: String,
    pub concurrency: usize,
    /// Base URL of each named environment, as configured or by default (for `history`).
    pub environment_urls: BTreeMap<String, String>,
}

impl Settings {
    /// Merges everything. The config file is read here and only here.
    pub fn resolve(args: &GlobalArgs) -> Result<Settings> {
        let (file, source) = load_config(args.config.as_deref())?;
        let source = source.as_ref();
        let env = env_name(args, &file, source)?;
        let environment_urls = environment_urls(&file, source)?;
        let target = target(args, env, &environment_urls)?;
        let journal = journal_choice(args, &file, &target)?;
        let headers = headers(args, &file, source)?;
        let (concurrency, timeout, retries) = numbers(args, &file, source)?;
        let order_no_prefix = order_no_prefix(&file, source)?;
        let policy_source = policy_source(args, &file, source)?;
        Ok(Settings {
            env,
            target,
            policy_source,
            journal,
            journal_sync_full: file.journal_sync.as_ref().map(|s| *s.get_ref())
                == Some(JournalSyncSetting::Full),
            timeout,
            retries,
            cacert: args
                .cacert
                .clone()
                .or(file.cacert.as_ref().map(|c| c.get_ref().clone())),
            headers,
            output: if args.json {
                OutputFormat::Json
            } else {
                args.output.unwrap_or(OutputFormat::Text)
            },
            color: args.color,
            verbose: args.verbose,
            quiet: args.quiet,
            // The sandbox is for rehearsals: there is no real order to refer to.
            generate_order_no: file
                .generate_order_no
                .as_ref()
                .is_some_and(|g| *g.get_ref())
                || env == EnvName::Sandbox,
            order_no_prefix,
            concurrency,
            environment_urls,
        })
    }

    /// The channel code, required to build an envelope.
    pub fn require_policy_source(&self) -> Result<&str> {
        self.policy_source.as_deref().ok_or_else(|| {
            refuse!(
                Config,
                "no channel code: pass --policy-source CODE, set AVATAR_POLICY_SOURCE, or put \
                 policy_source = \"CODE\" in the config file"
            )
        })
    }

    /// The journal key of a named environment: its base URL, or for the sandbox without one
    /// configured, the in-process sandbox's key.
    pub fn environment_url(&self, name: &str) -> Option<String> {
        self.environment_urls
            .get(name)
            .cloned()
            .or_else(|| (name == env_key(EnvName::Sandbox)).then(|| SANDBOX_ENDPOINT.to_string()))
    }

    /// True when notices would reach the production platform: ask first.
    pub fn is_production(&self) -> bool {
        self.env == EnvName::Prod
            || matches!(&self.target, Target::Remote { base_url } if url_host(base_url).as_deref() == Some(PROD_HOST))
    }
}

/// Where a setting's value came from, as `doctor` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A command-line option, such as `--timeout`.
    Flag(String),
    /// An environment variable, such as `AVATAR_ENV`.
    Variable(String),
    /// `config file PATH:LINE`.
    File(String),
    Default,
    /// Follows from another setting, in words.
    Derived(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "flag {flag}"),
            Origin::Variable(name) => write!(f, "environment variable {name}"),
            Origin::File(at) => f.write_str(at),
            Origin::Default => f.write_str("default"),
            Origin::Derived(why) => f.write_str(why),
        }
    }
}

/// One effective setting and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub name: &'static str,
    pub value: String,
    pub origin: Origin,
}

/// The config file as `doctor` shows it: its path, whether it was read, and from where the
/// path came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPlace {
    pub path: Option<PathBuf>,
    pub read: bool,
}

/// Every effective setting of `settings` with its origin, following [`Settings::resolve`]'s
/// precedence. `given` tells, for a clap argument id, whether the command line or an
/// environment variable set it; the config file is read again here for its lines. Header
/// values are never shown, only their names.
pub fn explain(
    args: &GlobalArgs,
    settings: &Settings,
    given: &dyn Fn(&str) -> Option<Origin>,
) -> Result<(ConfigPlace, Vec<Explained>)> {
    let (file, source) = load_config(args.config.as_deref())?;
    let config = config_place(args, source.as_ref());
    let origins = Origins {
        file: &file,
        source: source.as_ref(),
        given,
    };
    let mut all = vec![explained(
        "config",
        config
            .path
            .as_ref()
            .map_or("none".into(), |p| p.display().to_string()),
        given("config").unwrap_or(Origin::Default),
    )];
    all.extend(endpoint_settings(&origins, settings));
    all.extend(run_settings(&origins, settings));
    all.push(journal_setting(&origins, args, settings));
    all.push(explained(
        "cacert",
        settings
            .cacert
            .as_ref()
            .map_or("none".into(), |p| p.display().to_string()),
        origins.pick(
            "cacert",
            file.cacert.as_ref().map(|c| c.span()),
            Origin::Default,
        ),
    ));
    all.extend(header_settings(&origins, args, settings));
    Ok((config, all))
}

/// The config file's path (read, named, or where it would be looked for) and whether it was read.
fn config_place(args: &GlobalArgs, source: Option<&ConfigFile>) -> ConfigPlace {
    ConfigPlace {
        path: source
            .map(|s| s.path.clone())
            .or_else(|| args.config.clone())
            .or_else(|| dirs::config_dir().map(|d| d.join("avatar-cli").join("config.toml"))),
        read: source.is_some(),
    }
}

fn explained(name: &'static str, value: String, origin: Origin) -> Explained {
    Explained {
        name,
        value,
        origin,
    }
}

/// What `explain` needs to tell where a value came from.
struct Origins<'a> {
    file: &'a FileConfig,
    source: Option<&'a ConfigFile>,
    given: &'a dyn Fn(&str) -> Option<Origin>,
}

impl Origins<'_> {
    /// A line of the config file.
    fn at(&self, span: &Range<usize>) -> Origin {
        Origin::File(place(self.source, span))
    }

    /// The command line or a variable, else the config file's line, else `default`.
    fn pick(&self, id: &str, from_file: Option<Range<usize>>, default: Origin) -> Origin {
        (self.given)(id)
            .or_else(|| from_file.map(|span| self.at(&span)))
            .unwrap_or(default)
    }

    /// A setting only the config file can set: its line, else the default.
    fn file_only(&self, span: Option<Range<usize>>) -> Origin {
        span.map_or(Origin::Default, |s| self.at(&s))
    }
}

/// The environment, where notices go, for which channel, and how patiently.
fn endpoint_settings(o: &Origins, settings: &Settings) -> Vec<Explained> {
    let file = o.file;
    let env = env_key(settings.env);
    let (base_url, origin) = match &settings.target {
        Target::Remote { base_url } => {
            let configured = file
                .environments
                .get(env)
                .and_then(|e| e.base_url.as_ref())
                .map(|u| u.span());
            let default = Origin::Derived(format!("default of env {env}"));
            (base_url.clone(), o.pick("base_url", configured, default))
        }
        Target::InProcessSandbox => (
            "the built-in sandbox, started by each run".to_string(),
            Origin::Derived("env sandbox".into()),
        ),
    };
    vec![
        explained(
            "env",
            env.to_string(),
            o.pick("env", file.env.as_ref().map(|e| e.span()), Origin::Default),
        ),
        explained("base_url", base_url, origin),
        explained(
            "policy_source",
            settings
                .policy_source
                .clone()
                .unwrap_or_else(|| "none".into()),
            o.pick(
                "policy_source",
                file.policy_source.as_ref().map(|p| p.span()),
                Origin::Default,
            ),
        ),
        explained(
            "timeout_secs",
            format!("{}", settings.timeout.as_secs_f64()),
            o.pick(
                "timeout",
                file.timeout_secs.as_ref().map(|t| t.span()),
                Origin::Default,
            ),
        ),
        explained(
            "retries",
            settings.retries.to_string(),
            o.pick(
                "retries",
                file.retries.as_ref().map(|r| r.span()),
                Origin::Default,
            ),
        ),
    ]
}

/// How a run goes: how many at once, order numbers, how the journal syncs.
fn run_settings(o: &Origins, settings: &Settings) -> Vec<Explained> {
    let file = o.file;
    vec![
        explained(
            "concurrency",
            settings.concurrency.to_string(),
            o.file_only(file.concurrency.as_ref().map(|c| c.span())),
        ),
        explained(
            "generate_order_no",
            settings.generate_order_no.to_string(),
            match (&file.generate_order_no, settings.env) {
                (Some(g), _) if *g.get_ref() => o.at(&g.span()),
                (_, EnvName::Sandbox) => Origin::Derived("env sandbox".into()),
                (g, _) => o.file_only(g.as_ref().map(|g| g.span())),
            },
        ),
        explained(
            "order_no_prefix",
            settings.order_no_prefix.clone(),
            o.file_only(file.order_no_prefix.as_ref().map(|p| p.span())),
        ),
        explained(
            "journal_sync",
            if settings.journal_sync_full {
                "full"
            } else {
                "normal"
            }
            .into(),
            o.file_only(file.journal_sync.as_ref().map(|j| j.span())),
        ),
    ]
}

/// The journal, and which of its several sources chose it.
fn journal_setting(o: &Origins, args: &GlobalArgs, settings: &Settings) -> Explained {
    let origin = if args.no_journal {
        (o.given)("no_journal").unwrap_or(Origin::Default)
    } else if args.journal.is_some() && args.journal_on_command_line {
        Origin::Flag("--journal".into())
    } else if settings.target == Target::InProcessSandbox {
        Origin::Derived("env sandbox: its own journal, apart from real ones".into())
    } else if args.journal.is_some() {
        (o.given)("journal").unwrap_or(Origin::Variable("AVATAR_JOURNAL".into()))
    } else {
        o.file_only(o.file.journal.as_ref().map(|j| j.span()))
    };
    let journal = match &settings.journal {
        JournalChoice::File(path) => path.display().to_string(),
        JournalChoice::Disabled => "none".into(),
    };
    explained("journal", journal, origin)
}

/// Each header by name, from the command line or the config file.
fn header_settings(o: &Origins, args: &GlobalArgs, settings: &Settings) -> Vec<Explained> {
    settings
        .headers
        .iter()
        .map(|h| {
            let in_file = o
                .file
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(&h.name))
                .map(|(_, v)| v.span());
            let flagged = args.headers.iter().any(|raw| {
                raw.split_once(':')
                    .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(&h.name))
            });
            let origin = match (flagged, in_file) {
                (true, _) => (o.given)("headers").unwrap_or(Origin::Flag("-H".into())),
                (false, Some(span)) => o.at(&span),
                (false, None) => Origin::Default,
            };
            // The name only: a header value is a secret.
            explained("header", format!("{} (value not shown)", h.name), origin)
        })
        .collect()
}

pub fn env_key(env: EnvName) -> &'static str {
    match env {
        EnvName::Test => "test",
        EnvName::Prod => "prod",
        EnvName::Sandbox => "sandbox",
    }
}

/// The environment: flag, config, else test.
fn env_name(args: &GlobalArgs, file: &FileConfig, source: Option<&ConfigFile>) -> Result<EnvName> {
    let at = |span: &Range<usize>| place(source, span);
    let env = match (args.env, &file.env) {
        (Some(env), _) => env,
        (None, Some(name)) => parse_env_name(name.get_ref()).ok_or_else(|| {
            refuse!(
                Config,
                "{}: env = \"{}\" is not test, prod or sandbox",
                at(&name.span()),
                crate::text::quote(name.get_ref())
            )
        })?,
        (None, None) => EnvName::Test,
    };
    Ok(env)
}

/// Base URL of each named environment, configured ones checked.
fn environment_urls(
    file: &FileConfig,
    source: Option<&ConfigFile>,
) -> Result<BTreeMap<String, String>> {
    let at = |span: &Range<usize>| place(source, span);
    let mut environment_urls = BTreeMap::from([
        ("test".to_string(), TEST_BASE_URL.to_string()),
        ("prod".to_string(), PROD_BASE_URL.to_string()),
    ]);
    for (name, env) in &file.environments {
        if let Some(url) = &env.base_url {
            let url = check_base_url(url.get_ref()).map_err(|e| {
                refuse!(
                    Config,
                    "{}: [environments.{}] {e}",
                    at(&url.span()),
                    crate::text::quote(name)
                )
            })?;
            environment_urls.insert(name.clone(), url);
        }
    }
    Ok(environment_urls)
}

fn target(
    args: &GlobalArgs,
    env: EnvName,
    environment_urls: &BTreeMap<String, String>,
) -> Result<Target> {
    // The named environment's URL as configured (already checked), else its default; no
    // URL for the sandbox means the in-process one.
    let target = match (&args.base_url, environment_urls.get(env_key(env))) {
        (Some(url), _) => Target::Remote {
            base_url: check_base_url(url)?,
        },
        (None, Some(url)) => Target::Remote {
            base_url: url.clone(),
        },
        (None, None) => Target::InProcessSandbox,
    };
    Ok(target)
}

/// `--no-journal`, then `--journal` on the command line; the in-process sandbox keeps its own
/// file, so that a rehearsal never mixes with real journals, even one that AVATAR_JOURNAL or
/// the config file names; then AVATAR_JOURNAL, the config file, the default.
fn journal_choice(args: &GlobalArgs, file: &FileConfig, target: &Target) -> Result<JournalChoice> {
    let journal = if args.no_journal {
        JournalChoice::Disabled
    } else if let (Some(path), true) = (&args.journal, args.journal_on_command_line) {
        JournalChoice::File(path.clone())
    } else if *target == Target::InProcessSandbox {
        JournalChoice::File(sandbox_journal_path()?)
    } else if let Some(path) = args.journal.clone() {
        JournalChoice::File(path)
    } else if let Some(path) = &file.journal {
        JournalChoice::File(path.get_ref().clone())
    } else {
        JournalChoice::File(default_journal_path()?)
    };
    Ok(journal)
}

/// The config's headers, then the flags' (a flag overrides the config's header of that name).
fn headers(
    args: &GlobalArgs,
    file: &FileConfig,
    source: Option<&ConfigFile>,
) -> Result<Vec<ExtraHeader>> {
    let at = |span: &Range<usize>| place(source, span);
    let mut headers = Vec::new();
    for (name, value) in &file.headers {
        let whence = Whence::Config(at(&value.span()));
        headers.push(header(name, value.get_ref(), &whence)?);
    }
    for raw in &args.headers {
        let extra = flag_header(raw)?;
        // A flag overrides the config's header of the same name.
        headers.retain(|h: &ExtraHeader| !h.name.eq_ignore_ascii_case(&extra.name));
        headers.push(extra);
    }
    Ok(headers)
}

/// Concurrency, timeout (seconds) and retries, each held to its range.
fn numbers(
    args: &GlobalArgs,
    file: &FileConfig,
    source: Option<&ConfigFile>,
) -> Result<(usize, Duration, u32)> {
    let at = |span: &Range<usize>| place(source, span);
    let concurrency = match &file.concurrency {
        Some(c) if !(1..=crate::cli::MAX_CONCURRENCY).contains(c.get_ref()) => {
            return Err(refuse!(
                Config,
                "{}: concurrency must be from 1 to {}",
                at(&c.span()),
                crate::cli::MAX_CONCURRENCY
            ))
        }
        Some(c) => *c.get_ref(),
        None => 4,
    };
    let timeout = match (args.timeout, &file.timeout_secs) {
        (Some(secs), _)
            if !(crate::cli::MIN_TIMEOUT_SECS..=crate::cli::MAX_TIMEOUT_SECS).contains(&secs) =>
        {
            return Err(refuse!(
                Config,
                "--timeout must be at least 1 ms ({}) and at most {} seconds",
                crate::cli::MIN_TIMEOUT_SECS,
                crate::cli::MAX_TIMEOUT_SECS
            ))
        }
        (Some(secs), _) => Duration::from_secs_f64(secs),
        (None, Some(t)) if *t.get_ref() == 0 => {
            return Err(refuse!(
                Config,
                "{}: timeout_secs must be at least 1",
                at(&t.span())
            ))
        }
        (None, Some(t)) => Duration::from_secs(*t.get_ref()),
        (None, None) => Duration::from_secs(30),
    };
    let retries = match (args.retries, &file.retries) {
        (Some(n), _) if n > MAX_RETRIES => {
            return Err(refuse!(Config, "--retries must be at most {MAX_RETRIES}"))
        }
        (Some(n), _) => n,
        (None, Some(n)) if *n.get_ref() > MAX_RETRIES => {
            return Err(refuse!(
                Config,
                "{}: retries must be at most {MAX_RETRIES}",
                at(&n.span())
            ))
        }
        (None, Some(n)) => *n.get_ref(),
        (None, None) => 3,
    };
    Ok((concurrency, timeout, retries))
}

fn order_no_prefix(file: &FileConfig, source: Option<&ConfigFile>) -> Result<String> {
    let at = |span: &Range<usize>| place(source, span);
    let order_no_prefix = match &file.order_no_prefix {
        Some(prefix) => {
            let whence = at(&prefix.span());
            crate::protocol::check_identifier("order_no_prefix", prefix.get_ref())
                .map_err(|e| refuse!(Config, "{whence}: {e}"))?;
            if prefix.get_ref().len() > 16 {
                return Err(refuse!(
                    Config,
                    "{whence}: order_no_prefix is longer than 16 characters"
                ));
            }
            prefix.get_ref().clone()
        }
        None => DEFAULT_ORDER_NO_PREFIX.into(),
    };
    Ok(order_no_prefix)
}

fn policy_source(
    args: &GlobalArgs,
    file: &FileConfig,
    source: Option<&ConfigFile>,
) -> Result<Option<String>> {
    let at = |span: &Range<usize>| place(source, span);
    let policy_source = match (&args.policy_source, &file.policy_source) {
        (Some(code), _) => {
            crate::protocol::check_identifier("the channel code (--policy-source)", code)
                .map_err(Refusal::Config)?;
            Some(code.clone())
        }
        (None, Some(code)) => {
            crate::protocol::check_identifier("policy_source", code.get_ref())
                .map_err(|e| refuse!(Config, "{}: {e}", at(&code.span())))?;
            Some(code.get_ref().clone())
        }
        (None, None) => None,
    };
    Ok(policy_source)
}

fn parse_env_name(name: &str) -> Option<EnvName> {
    [EnvName::Test, EnvName::Prod, EnvName::Sandbox]
        .into_iter()
        .find(|e| env_key(*e) == name)
}

/// The full URL notices are POSTed to.
pub fn endpoint_url(base_url: &str) -> String {
    format!("{base_url}{REFUND_NOTICE_PATH}")
}

/// The base URL in its one canonical spelling (see [`crate::base_url::normalize`]).
pub fn check_base_url(raw: &str) -> Result<String> {
    Ok(crate::base_url::normalize(raw)?)
}

pub fn url_host(url: &str) -> Option<String> {
    Some(crate::base_url::host(url).to_string())
}

/// Where a header came from. Messages name the header and this, never its value.
enum Whence {
    Flag,
    /// `config file PATH:LINE`
    Config(String),
}

impl Whence {
    /// How a message names the header: `-H 'X-Key: …'` or `config file PATH:LINE: [headers] X-Key`.
    fn name(&self, name: &str, value: &str) -> String {
        match self {
            Whence::Flag => match value.strip_prefix('@') {
                Some(path) => format!("-H '{name}: @{}'", crate::text::quote(path.trim())),
                None => format!("-H '{name}: …'"),
            },
            Whence::Config(at) => format!("{at}: [headers] {name}"),
        }
    }
}

/// `-H 'Name: value'` or `-H 'Name: @FILE'`. A malformed one is described by its name part
/// at most: whatever else it holds could be the secret.
fn flag_header(raw: &str) -> Result<ExtraHeader> {
    let usage = "a header is 'Name: value' or 'Name: @FILE'";
    let Some((name, value)) = raw.split_once(':') else {
        let shown = match raw.split_once('=') {
            Some((name, _)) if is_token(name.trim()) => format!("{}=…", name.trim()),
            _ => "…".to_string(),
        };
        return Err(refuse!(Config, "-H '{shown}': {usage}"));
    };
    let name = name.trim();
    if !is_token(name) {
        return Err(refuse!(
            Config,
            "-H '…': {usage}, and the part before ':' is not a valid HTTP header name"
        ));
    }
    header(name, value.trim(), &Whence::Flag)
}

fn is_token(name: &str) -> bool {
    !name.is_empty() && reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
}

/// One checked header; the value of `@FILE` is read from FILE.
fn header(name: &str, value: &str, whence: &Whence) -> Result<ExtraHeader> {
    if !is_token(name) {
        let at = match whence {
            Whence::Flag => "-H".to_string(),
            Whence::Config(at) => format!("{at}: [headers]"),
        };
        return Err(refuse!(
            Config,
            "{at}: '{}' is not a valid HTTP header name",
            crate::text::quote(name)
        ));
    }
    let what = whence.name(name, value);
    if let Some(framing) = FRAMING_HEADERS
        .iter()
        .find(|h| h.eq_ignore_ascii_case(name))
    {
        return Err(refuse!(
            Config,
            "{what}: {framing} frames the request or the connection, which avatar-cli does \
             itself; remove this header"
        ));
    }
    let value = match value.strip_prefix('@') {
        Some(path) => {
            let path = path.trim();
            if path.is_empty() {
                return Err(refuse!(Config, "{what}: no file named after '@'"));
            }
            read_header_file(Path::new(path)).map_err(|e| refuse!(Config, "{what}: {e}"))?
        }
        None => value.to_string(),
    };
    // Checked without echoing the value: it is a secret.
    reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
        refuse!(
            Config,
            "{what}: the value has characters not allowed in an HTTP header (control \
             characters or non-ASCII)"
        )
    })?;
    Ok(ExtraHeader {
        name: name.to_string(),
        value,
    })
}

/// A header value kept in a file: a regular file of at most [`MAX_HEADER_FILE_BYTES`], UTF-8,
/// without its final line break. The type is checked before opening, so a FIFO or a device
/// never blocks or streams forever; what was opened is checked again and read bounded.
fn read_header_file(path: &Path) -> std::result::Result<String, String> {
    let shown = crate::text::quote(&path.display().to_string());
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(format!(
                "{shown} is {}, not a regular file; put the value in a file of at most 64 KiB",
                file_kind(meta)
            ));
        }
        if meta.len() > MAX_HEADER_FILE_BYTES {
            return Err(format!(
                "{shown} is larger than 64 KiB; a header value file holds one key or token"
            ));
        }
        Ok(())
    };
    let cannot = |e: std::io::Error| format!("cannot read {shown}: {e}");
    check(&std::fs::metadata(path).map_err(cannot)?)?;
    let file = std::fs::File::open(path).map_err(cannot)?;
    check(&file.metadata().map_err(cannot)?)?;
    let mut bytes = Vec::new();
    file.take(MAX_HEADER_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_HEADER_FILE_BYTES {
        return Err(format!("{shown} is larger than 64 KiB"));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown} is not UTF-8 text"))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

/// A file that is not a regular file, in words.
pub fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// A missing default file is fine; a missing named one is an error.
fn load_config(named: Option<&Path>) -> Result<(FileConfig, Option<ConfigFile>)> {
    let (path, must_exist) = match named {
        Some(p) => (p.to_path_buf(), true),
        None => match dirs::config_dir() {
            Some(dir) => (dir.join("avatar-cli").join("config.toml"), false),
            None => return Ok((FileConfig::default(), None)),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok((FileConfig::default(), None))
        }
        Err(e) => {
            return Err(refuse!(
                Config,
                "cannot read config file {}: {e}",
                path.display()
            ))
        }
    };
    let config =
        parse_config(&text).map_err(|e| refuse!(Config, "config file {}: {e}", path.display()))?;
    Ok((config, Some(ConfigFile { path, text })))
}

/// toml's error on one line: `line N, column C: KEY: message`. In `[headers]` the message is
/// left out too: it can quote the value, a secret.
pub fn parse_config(text: &str) -> std::result::Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        let message = crate::text::escape_controls(&message).into_owned();
        let Some(start) = e.span().map(|span| span.start.min(text.len())) else {
            return message;
        };
        let before = text.get(..start).unwrap_or(text);
        let n = line_of(text, start);
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        let key = text
            .lines()
            .nth(n - 1)
            .and_then(|l| l.split_once('='))
            .map(|(k, _)| k.trim().trim_matches('"'))
            .filter(|k| is_token(k));
        if in_headers_table(text, n) {
            return format!(
                "line {n}: [headers] {}: not a valid entry; write Name = \"value\" or \
                 Name = \"@FILE\" (the line is not shown: it may hold a secret)",
                key.unwrap_or("…")
            );
        }
        match key {
            Some(key) if !message.contains(key) => {
                format!("line {n}, column {column}: {key}: {message}")
            }
            _ => format!("line {n}, column {column}: {message}"),
        }
    })
}

/// Whether 1-based line `n` of a TOML text lies in its `[headers]` table.
fn in_headers_table(text: &str, n: usize) -> bool {
    let mut table = String::new();
    for line in text.lines().take(n) {
        let line = line.trim();
        if line.starts_with('[') {
            table = line
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
        }
    }
    let here = text.lines().nth(n - 1).unwrap_or("").trim_start();
    table == "headers" || here.starts_with("headers") || here.starts_with("[headers")
}

fn default_journal_path() -> Result<PathBuf> {
    Ok(state_dir()?.join("journal.sqlite3"))
}

/// The in-process sandbox's own journal, beside the real one and never the same file.
fn sandbox_journal_path() -> Result<PathBuf> {
    Ok(state_dir()?.join("sandbox.sqlite3"))
}

fn state_dir() -> Result<PathBuf> {
    // Linux has a state dir (XDG_STATE_HOME); macOS and Windows do not, so fall back to local data.
    let dir = dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .ok_or_else(|| {
            refuse!(
                Config,
                "no state directory on this system: pass --journal FILE"
            )
        })?;
    Ok(dir.join("avatar-cli"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        assert_eq!(
            check_base_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(check_base_url("http://localhost:1").is_ok());
        assert!(check_base_url("http://[::1]:1/x").is_ok());
        assert!(check_base_url("https://example.com/prefix/")
            .unwrap()
            .ends_with("/prefix"));
        assert!(check_base_url("http://example.com").is_err());
        assert!(check_base_url("http://10.0.0.1").is_err());
        assert!(check_base_url("ftp://127.0.0.1").is_err());
        assert!(check_base_url("not a url").is_err());
    }

    #[test]
    fn a_malformed_config_names_line_and_key() {
        let err = parse_config("policy_source = \"HN\"\ntimeout_secs = \"thirty\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("timeout_secs"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let err = parse_config("polcy_source = \"HN\"\n").unwrap_err();
        assert!(err.contains("polcy_source"), "{err}");
        let err = parse_config("[environments.test]\nbase_url = \n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }

    #[test]
    fn the_documented_example_config_parses() {
        let text = r#"
policy_source = "HN_HT_QNW"
env = "test"
timeout_secs = 30
concurrency = 4
retries = 3
generate_order_no = false
order_no_prefix = "QS"
journal_sync = "normal"
cacert = "/etc/ssl/private-ca.pem"

[environments.test]
base_url = "https://porsche-avatar.chinahuanong.com.cn"

[environments.prod]
base_url = "https://avatar.chinahuanong.com.cn"

[headers]
X-Gateway-Key = "@/etc/avatar-cli/gateway.key"
"#;
        let config = parse_config(text).unwrap();
        assert_eq!(
            config.policy_source.as_ref().map(|s| s.get_ref().as_str()),
            Some("HN_HT_QNW")
        );
        assert_eq!(
            config.journal_sync.map(|s| s.into_inner()),
            Some(JournalSyncSetting::Normal)
        );
        assert_eq!(config.environments.len(), 2);
    }

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn a_malformed_header_line_is_not_quoted() {
        let err = parse_config("[headers]\nX-Key = s3cret\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("X-Key"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let err = parse_config("[headers]\nX-Key = 123456\n").unwrap_err();
        assert!(!err.contains("123456"), "{err}");
        let err = parse_config("[headers]\nX-Key = \"a\"\n[environments.test]\nbase_url = 1\n")
            .unwrap_err();
        assert!(err.contains("base_url"), "{err}");
    }

    #[test]
    fn malformed_flag_headers_never_show_the_value() {
        for raw in [
            "X-Key=s3cret",
            "s3cret",
            "X Key: s3cret",
            "X-Key=s3c:ret",
            "Bearer s3cret",
        ] {
            let err = flag_header(raw).unwrap_err().to_string();
            assert!(!err.contains("s3c"), "{raw}: {err}");
            assert!(err.contains("'Name: value'"), "{raw}: {err}");
        }
        let err = flag_header("X-Key=s3cret").unwrap_err().to_string();
        assert!(err.starts_with("-H 'X-Key=…'"), "{err}");
        let err = flag_header("X-Key: s3cret\u{1}").unwrap_err().to_string();
        assert!(err.contains("X-Key") && !err.contains("s3cret"), "{err}");
    }

    #[test]
    fn framing_headers_are_refused_whatever_their_case() {
        for name in FRAMING_HEADERS {
            for spelled in [
                name.to_string(),
                name.to_ascii_lowercase(),
                name.to_ascii_uppercase(),
            ] {
                let err = flag_header(&format!("{spelled}: 1"))
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(name) && err.contains("-H"), "{err}");
            }
        }
        assert!(flag_header("Authorization: Bearer x").is_ok());
    }

    #[test]
    fn header_values_are_redacted_in_debug_output() {
        let h = ExtraHeader {
            name: "X-Key".into(),
            value: "s3cret".into(),
        };
        assert_eq!(format!("{h:?}"), "X-Key: <redacted>");
    }
}
