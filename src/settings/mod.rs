//! Every setting of a run, resolved once, each with where it came from: the command line, then
//! an environment variable, then the config file, then the default. Nothing else reads the
//! environment variables or the config file, and nothing else decides precedence: `doctor`,
//! `-v`, the line before sending and the summary all show what is decided here.

mod file;
mod headers;
mod origin;
mod target;
mod template;

pub use file::parse as parse_config;
pub use headers::{file_kind, ExtraHeader, MAX_HEADER_FILE_BYTES};
pub use origin::{home_as_tilde, Origin, Setting};
pub use target::{
    endpoint_url, env_key, Environments, Platform, Target, PROD_BASE_URL, SANDBOX_ENDPOINT,
    TEST_BASE_URL,
};
pub use template::template as config_template;

use crate::cli::{ColorChoice, EnvName, GlobalArgs, OutputFormat};
use crate::error::refuse;
use crate::error::Refusal;
use crate::protocol::DEFAULT_ORDER_NO_PREFIX;
use file::Loaded;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use target::Named;

/// The channel code of a sandbox rehearsal that names none: the simulator takes any, and a
/// newcomer's first run should not need the code the insurer assigned.
pub const SANDBOX_CHANNEL: &str = "SANDBOX";

/// More attempts than this only delays the run's end: a platform down for minutes is better
/// met by re-running, which resends under the same order numbers.
pub const MAX_RETRIES: u32 = 10;

/// The environment variables read, and nothing else reads them.
pub mod vars {
    pub const ENV: &str = "AVATAR_ENV";
    pub const BASE_URL: &str = "AVATAR_BASE_URL";
    pub const POLICY_SOURCE: &str = "AVATAR_POLICY_SOURCE";
    pub const CONFIG: &str = "AVATAR_CONFIG";
    pub const JOURNAL: &str = "AVATAR_JOURNAL";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JournalSyncSetting {
    Normal,
    Full,
}

/// Which journal, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalChoice {
    File(PathBuf),
    /// A PostgreSQL database (`postgres://…`); shown without its password.
    Postgres(crate::journal::PgLocation),
    Disabled,
}

impl JournalChoice {
    /// A file or a database URL, as `--journal`, `AVATAR_JOURNAL` or the config file give it.
    fn of(given: PathBuf) -> Result<JournalChoice, String> {
        Ok(match crate::journal::Location::parse(&given)? {
            crate::journal::Location::File(path) => JournalChoice::File(path),
            crate::journal::Location::Postgres(pg) => JournalChoice::Postgres(pg),
        })
    }

    /// Where the journal is; `None` under `--no-journal`.
    pub fn location(&self) -> Option<crate::journal::Location> {
        match self {
            JournalChoice::File(path) => Some(crate::journal::Location::File(path.clone())),
            JournalChoice::Postgres(pg) => Some(crate::journal::Location::Postgres(pg.clone())),
            JournalChoice::Disabled => None,
        }
    }
}

/// Every effective setting of a run, with its origin.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The config file looked for (`None`: this system has no config directory) and whether
    /// it was there to read.
    pub config: Setting<Option<PathBuf>>,
    pub config_read: bool,
    /// Where notices go.
    pub platform: Setting<Platform>,
    /// The named environments' URLs (for `history` filters and `doctor`).
    pub environments: Environments,
    pub policy_source: Setting<Option<String>>,
    pub journal: Setting<JournalChoice>,
    pub journal_sync: Setting<JournalSyncSetting>,
    pub timeout: Setting<Duration>,
    pub retries: Setting<u32>,
    pub concurrency: Setting<usize>,
    pub cacert: Setting<Option<PathBuf>>,
    /// Each with its own origin.
    pub headers: Vec<ExtraHeader>,
    pub generate_order_no: Setting<bool>,
    pub order_no_prefix: Setting<String>,
    /// The config file's `ignore_columns`: columns that are no field, not to be warned about.
    /// A run adds its `--ignore-column` names to them ([`Settings::ignored_columns`]).
    pub ignore_columns: Setting<Vec<String>>,
    pub output: OutputFormat,
    pub color: ColorChoice,
    pub verbose: bool,
    pub quiet: bool,
}

impl Settings {
    /// From the command line, this process's environment variables, the config file and the
    /// defaults. An empty variable counts as unset, as a shell's `VAR= cmd` intends.
    pub fn resolve(args: &GlobalArgs) -> Result<Settings, Refusal> {
        Settings::resolve_with(args, &|name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// The same, with `var` reading the environment variables.
    pub fn resolve_with(
        args: &GlobalArgs,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, Refusal> {
        let (config, must_exist) = config_path(args, var);
        let loaded = match &config.value {
            Some(path) => file::load(path, must_exist)?,
            None => Loaded::default(),
        };
        let environments = environments(&loaded)?;
        let platform = target::resolve(target_levels(args, var, &loaded)?, &environments)?;
        let journal = journal_choice(args, var, &loaded, &platform.value.target)?;
        let generate_order_no = match loaded.value(&loaded.config.generate_order_no) {
            Some((true, origin)) => Setting::new(true, origin),
            // The sandbox is for rehearsals: there is no real order to refer to.
            _ if platform.value.env == Some(EnvName::Sandbox) => {
                Setting::new(true, Origin::Derived("env sandbox".into()))
            }
            Some((false, origin)) => Setting::new(false, origin),
            None => Setting::by_default(false),
        };
        let policy_source = policy_source(args, var, &loaded, platform.value.env)?;
        Ok(Settings {
            config_read: loaded.path().is_some(),
            config,
            platform,
            environments,
            policy_source,
            journal,
            journal_sync: loaded
                .value(&loaded.config.journal_sync)
                .map_or(Setting::by_default(JournalSyncSetting::Normal), |(v, o)| {
                    Setting::new(v, o)
                }),
            timeout: timeout(args, &loaded)?,
            retries: retries(args, &loaded)?,
            concurrency: concurrency(&loaded)?,
            cacert: first([
                args.cacert.clone().map(|c| (c, Origin::Flag("--cacert"))),
                loaded.value(&loaded.config.cacert),
            ])
            .map_or(Setting::by_default(None), |s| {
                Setting::new(Some(s.value), s.origin)
            }),
            headers: headers::merged(file_headers(&loaded), &args.headers)?,
            generate_order_no,
            order_no_prefix: order_no_prefix(&loaded)?,
            ignore_columns: ignore_columns(&loaded)?,
            output: args.output.unwrap_or(OutputFormat::Text),
            color: args.color,
            verbose: args.verbose,
            quiet: args.quiet,
        })
    }

    /// The channel code, required to build an envelope.
    pub fn require_policy_source(&self) -> Result<&str, Refusal> {
        self.policy_source.value.as_deref().ok_or_else(|| {
            refuse!(
                Config,
                "no channel code: pass --policy-source CODE, set AVATAR_POLICY_SOURCE, or put \
                 policy_source = \"CODE\" in the config file"
            )
        })
    }

    /// The columns a run does not warn about: the config file's `ignore_columns` and the
    /// command line's `--ignore-column` (already checked by its parser), added together, as
    /// `-H` adds headers: the file serves every run, the command line adds this file's. A
    /// column that `--column` reads as a field is not ignored: named by `--ignore-column`
    /// too, that is a contradiction; named by the file, the command line wins, as it does
    /// over any setting of the file.
    fn ignored_columns(
        &self,
        flags: &[String],
        columns: &[crate::input::ColumnMapping],
    ) -> Result<Vec<String>, Refusal> {
        let read = |name: &str| columns.iter().find(|m| m.matches(name));
        if let Some((name, mapping)) = flags.iter().find_map(|n| Some((n, read(n)?))) {
            return Err(refuse!(
                Usage,
                "--ignore-column '{}' names the column that --column {}={} reads as a field; \
                 a column is either read or ignored: leave out one of the two",
                crate::text::quote(name),
                mapping.field(),
                crate::text::quote(&mapping.header)
            ));
        }
        let file = self
            .ignore_columns
            .value
            .iter()
            .filter(|n| read(n).is_none());
        Ok(file.chain(flags).cloned().collect())
    }

    /// How an input file is read, from its flags and these settings; `require_order_no` when
    /// no orderNo can come from elsewhere.
    pub fn input_options(
        &self,
        args: &crate::cli::InputArgs,
        require_order_no: bool,
    ) -> Result<crate::input::InputOptions, Refusal> {
        Ok(crate::input::InputOptions {
            format: args.format,
            encoding: args.encoding,
            require_order_no,
            columns: args.columns.clone(),
            delimiter: args.delimiter,
            sheet: args.sheet.clone(),
            ignore_columns: self.ignored_columns(&args.ignore_columns, &args.columns)?,
        })
    }

    /// True when notices would reach the production platform: ask first.
    pub fn is_production(&self) -> bool {
        self.platform.value.is_production()
    }

    /// The env name of the run's platform, or `None` for a base URL of no named environment.
    pub fn env(&self) -> Option<EnvName> {
        self.platform.value.env
    }
}

/// The first value given, with its origin.
fn first<T, const N: usize>(levels: [Option<(T, Origin)>; N]) -> Option<Setting<T>> {
    levels
        .into_iter()
        .flatten()
        .next()
        .map(|(value, origin)| Setting::new(value, origin))
}

/// `--config`, `AVATAR_CONFIG`, else the default place; whether the file must exist.
fn config_path(
    args: &GlobalArgs,
    var: &dyn Fn(&str) -> Option<String>,
) -> (Setting<Option<PathBuf>>, bool) {
    let named = first([
        args.config.clone().map(|p| (p, Origin::Flag("--config"))),
        var(vars::CONFIG).map(|p| (PathBuf::from(p), Origin::Variable(vars::CONFIG))),
    ]);
    match named {
        Some(named) => (Setting::new(Some(named.value), named.origin), true),
        None => (Setting::by_default(default_config_path()), false),
    }
}

/// Where the config file is looked for, with what chose that place (`--config`,
/// `AVATAR_CONFIG`, else the default), without reading it: `config init` and `config path`
/// need the place even when the file is missing or broken. `None`: no config directory.
pub fn config_location(args: &GlobalArgs) -> Setting<Option<PathBuf>> {
    config_path(args, &|name| {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    })
    .0
}

/// Where the config file is looked for when none is named.
pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("avatar-cli").join("config.toml"))
}

fn environments(loaded: &Loaded) -> Result<Environments, Refusal> {
    let configured = loaded
        .config
        .environments
        .iter()
        .filter_map(|(name, env)| {
            let url = env.base_url.as_ref()?;
            Some((name.clone(), url.get_ref().clone(), loaded.at(&url.span())))
        })
        .collect();
    Environments::new(configured)
}

/// What the command line, the variables and the config file each say of the target. A
/// variable is judged only when the command line leaves the target to it.
fn target_levels(
    args: &GlobalArgs,
    var: &dyn Fn(&str) -> Option<String>,
    loaded: &Loaded,
) -> Result<[Named; 3], Refusal> {
    let cli = Named {
        env: args.env.map(|e| (e, Origin::Flag("--env"))),
        base_url: args
            .base_url
            .clone()
            .map(|u| (u, Origin::Flag("--base-url"))),
    };
    let from_vars = if cli.env.is_none() && cli.base_url.is_none() {
        let env = var(vars::ENV)
            .map(|text| match target::parse_env_name(&text) {
                Some(env) => Ok((env, Origin::Variable(vars::ENV))),
                None => Err(refuse!(
                    Usage,
                    "the environment variable AVATAR_ENV='{}' is not test, prod or sandbox: \
                     fix or unset AVATAR_ENV, or pass --env",
                    crate::text::quote(&text)
                )),
            })
            .transpose()?;
        Named {
            env,
            base_url: var(vars::BASE_URL).map(|u| (u, Origin::Variable(vars::BASE_URL))),
        }
    } else {
        Named::default()
    };
    // The file's env is checked even when a higher level wins: a broken config is broken.
    let file_env = match &loaded.config.env {
        Some(name) => match target::parse_env_name(name.get_ref()) {
            Some(env) => Some((env, loaded.at(&name.span()))),
            None => {
                return Err(refuse!(
                    Config,
                    "{}: env = \"{}\" is not test, prod or sandbox",
                    loaded.at(&name.span()),
                    crate::text::quote(name.get_ref())
                ))
            }
        },
        None => None,
    };
    Ok([
        cli,
        from_vars,
        Named {
            env: file_env,
            base_url: None,
        },
    ])
}

/// `--no-journal`, then `--journal`; the in-process sandbox keeps its own file, so that a
/// rehearsal never mixes with real journals, even one that AVATAR_JOURNAL or the config file
/// names; then AVATAR_JOURNAL, the config file, the default.
fn journal_choice(
    args: &GlobalArgs,
    var: &dyn Fn(&str) -> Option<String>,
    loaded: &Loaded,
    target: &Target,
) -> Result<Setting<JournalChoice>, Refusal> {
    let file = |path: PathBuf, origin: Origin| match JournalChoice::of(path) {
        Ok(choice) => Ok(Setting::new(choice, origin)),
        Err(e) => Err(refuse!(Config, "{}: {e}", origin.source())),
    };
    Ok(if args.no_journal {
        Setting::new(JournalChoice::Disabled, Origin::Flag("--no-journal"))
    } else if let Some(path) = &args.journal {
        file(path.clone(), Origin::Flag("--journal"))?
    } else if *target == Target::InProcessSandbox {
        file(
            state_dir()?.join("sandbox.sqlite3"),
            Origin::Derived("env sandbox: its own journal, apart from real ones".into()),
        )?
    } else if let Some(path) = var(vars::JOURNAL) {
        file(path.into(), Origin::Variable(vars::JOURNAL))?
    } else if let Some((path, origin)) = loaded.value(&loaded.config.journal) {
        file(path, origin)?
    } else {
        file(state_dir()?.join("journal.sqlite3"), Origin::Default)?
    })
}

fn state_dir() -> Result<PathBuf, Refusal> {
    // Linux has a state dir (XDG_STATE_HOME); macOS does not, so fall back to local data.
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

fn policy_source(
    args: &GlobalArgs,
    var: &dyn Fn(&str) -> Option<String>,
    loaded: &Loaded,
    env: Option<EnvName>,
) -> Result<Setting<Option<String>>, Refusal> {
    let chosen = first([
        args.policy_source
            .clone()
            .map(|c| (c, Origin::Flag("--policy-source"))),
        var(vars::POLICY_SOURCE).map(|c| (c, Origin::Variable(vars::POLICY_SOURCE))),
        loaded.value(&loaded.config.policy_source),
    ]);
    let Some(chosen) = chosen else {
        return Ok(match env {
            Some(EnvName::Sandbox) => Setting::new(
                Some(SANDBOX_CHANNEL.into()),
                Origin::Derived("env sandbox: a rehearsal needs no real channel".into()),
            ),
            _ => Setting::by_default(None),
        });
    };
    let what = match &chosen.origin {
        Origin::Flag(_) => "the channel code (--policy-source)".to_string(),
        Origin::Variable(name) => format!("the channel code ({name})"),
        other => format!("{other}: policy_source"),
    };
    crate::protocol::check_identifier(&what, &chosen.value).map_err(Refusal::Config)?;
    Ok(Setting::new(Some(chosen.value), chosen.origin))
}

fn file_headers(loaded: &Loaded) -> Vec<(String, String, Origin)> {
    loaded
        .config
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.clone(),
                value.get_ref().clone(),
                loaded.at(&value.span()),
            )
        })
        .collect()
}

/// `--timeout` (fractional seconds), else the config's `timeout_secs`, else 30 s.
fn timeout(args: &GlobalArgs, loaded: &Loaded) -> Result<Setting<Duration>, Refusal> {
    use crate::cli::{MAX_TIMEOUT_SECS, MIN_TIMEOUT_SECS};
    if let Some(secs) = args.timeout {
        if !(MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS).contains(&secs) {
            return Err(refuse!(
                Config,
                "--timeout must be at least 1 ms ({MIN_TIMEOUT_SECS}) and at most \
                 {MAX_TIMEOUT_SECS} seconds"
            ));
        }
        return Ok(Setting::new(
            Duration::from_secs_f64(secs),
            Origin::Flag("--timeout"),
        ));
    }
    match loaded.value(&loaded.config.timeout_secs) {
        Some((0, origin)) => Err(refuse!(Config, "{origin}: timeout_secs must be at least 1")),
        Some((secs, origin)) => Ok(Setting::new(Duration::from_secs(secs), origin)),
        None => Ok(Setting::by_default(Duration::from_secs(30))),
    }
}

fn retries(args: &GlobalArgs, loaded: &Loaded) -> Result<Setting<u32>, Refusal> {
    let chosen = first([
        args.retries.map(|n| (n, Origin::Flag("--retries"))),
        loaded.value(&loaded.config.retries),
    ])
    .unwrap_or(Setting::by_default(3));
    if chosen.value > MAX_RETRIES {
        let what = match &chosen.origin {
            Origin::Flag(flag) => flag.to_string(),
            other => format!("{other}: retries"),
        };
        return Err(refuse!(Config, "{what} must be at most {MAX_RETRIES}"));
    }
    Ok(chosen)
}

fn concurrency(loaded: &Loaded) -> Result<Setting<usize>, Refusal> {
    match loaded.value(&loaded.config.concurrency) {
        Some((n, origin)) if !(1..=crate::cli::MAX_CONCURRENCY).contains(&n) => Err(refuse!(
            Config,
            "{origin}: concurrency must be from 1 to {}",
            crate::cli::MAX_CONCURRENCY
        )),
        Some((n, origin)) => Ok(Setting::new(n, origin)),
        None => Ok(Setting::by_default(4)),
    }
}

fn order_no_prefix(loaded: &Loaded) -> Result<Setting<String>, Refusal> {
    let Some((prefix, origin)) = loaded.value(&loaded.config.order_no_prefix) else {
        return Ok(Setting::by_default(DEFAULT_ORDER_NO_PREFIX.into()));
    };
    crate::protocol::check_identifier("order_no_prefix", &prefix)
        .map_err(|e| refuse!(Config, "{origin}: {e}"))?;
    if prefix.len() > 16 {
        return Err(refuse!(
            Config,
            "{origin}: order_no_prefix is longer than 16 characters"
        ));
    }
    Ok(Setting::new(prefix, origin))
}

/// The config file's `ignore_columns`, each name checked as `--ignore-column` checks its own.
fn ignore_columns(loaded: &Loaded) -> Result<Setting<Vec<String>>, Refusal> {
    let Some(list) = &loaded.config.ignore_columns else {
        return Ok(Setting::by_default(Vec::new()));
    };
    let names = list
        .get_ref()
        .iter()
        .map(|name| {
            crate::input::ignorable_column(name.get_ref())
                .map_err(|e| refuse!(Config, "{}: ignore_columns: {e}", loaded.at(&name.span())))
        })
        .collect::<Result<_, _>>()?;
    Ok(Setting::new(names, loaded.at(&list.span())))
}

/// The base URL in its one canonical spelling (see [`crate::base_url::normalize`]).
pub fn check_base_url(raw: &str) -> Result<String, Refusal> {
    Ok(crate::base_url::normalize(raw)?)
}

/// One effective setting as `doctor` lists it: its name, its value in words, its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explained {
    pub name: &'static str,
    pub value: String,
    pub origin: Origin,
}

impl Settings {
    /// Every effective setting with its origin, in `doctor`'s order. Header values are never
    /// shown, only their names.
    pub fn explained(&self) -> Vec<Explained> {
        let row = |name, value: String, origin: &Origin| Explained {
            name,
            value,
            origin: origin.clone(),
        };
        let shown = |p: &Option<PathBuf>| {
            p.as_ref()
                .map_or("none".into(), |p| p.display().to_string())
        };
        let journal = match &self.journal.value {
            JournalChoice::File(path) => path.display().to_string(),
            JournalChoice::Postgres(pg) => pg.to_string(),
            JournalChoice::Disabled => "none".into(),
        };
        let sync = match self.journal_sync.value {
            JournalSyncSetting::Normal => "normal",
            JournalSyncSetting::Full => "full",
        };
        let ignored = match self.ignore_columns.value.as_slice() {
            [] => "none".into(),
            names => names.join(", "),
        };
        let channel = self.policy_source.value.clone();
        let mut all = vec![row(
            "config",
            shown(&self.config.value),
            &self.config.origin,
        )];
        all.extend(self.explained_platform());
        all.extend([
            row(
                "policy_source",
                channel.unwrap_or_else(|| "none".into()),
                &self.policy_source.origin,
            ),
            row(
                "timeout_secs",
                format!("{}", self.timeout.value.as_secs_f64()),
                &self.timeout.origin,
            ),
            row(
                "retries",
                self.retries.value.to_string(),
                &self.retries.origin,
            ),
            row(
                "concurrency",
                self.concurrency.value.to_string(),
                &self.concurrency.origin,
            ),
            row(
                "generate_order_no",
                self.generate_order_no.value.to_string(),
                &self.generate_order_no.origin,
            ),
            row(
                "order_no_prefix",
                self.order_no_prefix.value.clone(),
                &self.order_no_prefix.origin,
            ),
            row("journal_sync", sync.into(), &self.journal_sync.origin),
            row("journal", journal, &self.journal.origin),
            row("cacert", shown(&self.cacert.value), &self.cacert.origin),
            row("ignore_columns", ignored, &self.ignore_columns.origin),
        ]);
        all.extend(self.headers.iter().map(|h| {
            // The name only: a header value is a secret.
            row("header", format!("{} (value not shown)", h.name), &h.origin)
        }));
        all
    }

    /// The platform as two rows: its env name and its base URL, each with where it came from.
    fn explained_platform(&self) -> [Explained; 2] {
        let platform = &self.platform;
        let (env, env_origin) = match platform.value.env {
            Some(env) => (env_key(env).to_string(), platform.origin.clone()),
            None => (
                "none".to_string(),
                Origin::Derived("the base URL is no named environment's".into()),
            ),
        };
        let base_url = match &platform.value.target {
            Target::Remote { base_url } => base_url.clone(),
            Target::InProcessSandbox => "the built-in sandbox, started by each run".to_string(),
        };
        let url_origin = match (&platform.value.target, &platform.origin, platform.value.env) {
            // Named by the URL itself.
            (_, origin @ (Origin::Flag("--base-url") | Origin::Variable(vars::BASE_URL)), _) => {
                origin.clone()
            }
            (Target::InProcessSandbox, _, _) => Origin::Derived("env sandbox".into()),
            (_, _, Some(env)) => match self.environments.url(env_key(env)) {
                Some(url) if url.origin != Origin::Default => url.origin.clone(),
                _ => Origin::Derived(format!("default of env {}", env_key(env))),
            },
            (_, origin, None) => origin.clone(),
        };
        [
            Explained {
                name: "env",
                value: env,
                origin: env_origin,
            },
            Explained {
                name: "base_url",
                value: base_url,
                origin: url_origin,
            },
        ]
    }

    /// The config file's path, for messages: read, named, or where it would be looked for.
    pub fn config_path(&self) -> Option<&Path> {
        self.config.value.as_deref()
    }

    /// The config file as `doctor` and `config show` end with it: `PATH (read)`,
    /// `PATH (none there: defaults apply)`, or `none`.
    pub fn config_file_status(&self) -> String {
        let shown =
            |path: &Path| crate::text::escape_controls(&path.display().to_string()).into_owned();
        match (self.config_path(), self.config_read) {
            (Some(path), true) => format!("{} (read)", shown(path)),
            (Some(path), false) => format!("{} (none there: defaults apply)", shown(path)),
            (None, _) => "none".into(),
        }
    }

    /// The same as JSON: `{"path","read"}`.
    pub fn config_file_json(&self) -> serde_json::Value {
        serde_json::json!({
            "path": self.config_path().map(|p| p.display().to_string()),
            "read": self.config_read,
        })
    }
}

impl Explained {
    /// `{"name","value","source"}`, as `doctor --json` and `config show --json` list it.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({"name": self.name, "value": self.value, "source": self.origin.to_string()})
    }
}

/// The settings as `doctor` and `config show` print them, a line each: `name  value
/// (source)`, the names in one column, control characters escaped.
pub fn explained_lines(all: &[Explained]) -> Vec<String> {
    use crate::text::escape_controls;
    let width = all.iter().map(|e| e.name.len()).max().unwrap_or(0);
    all.iter()
        .map(|e| {
            format!(
                "{:width$}  {}  ({})",
                e.name,
                escape_controls(&e.value),
                escape_controls(&e.origin.to_string())
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> GlobalArgs {
        GlobalArgs::default()
    }

    /// Settings with these variables set and no config file (a named, empty one).
    fn resolved(args: &GlobalArgs, set: &[(&str, &str)]) -> Result<Settings, Refusal> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "").unwrap();
        let mut args = args.clone();
        args.config.get_or_insert(config);
        let vars: Vec<(String, String)> = set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve_with(&args, &|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

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
    fn a_flag_beats_a_variable_for_every_setting_that_has_both() {
        let mut a = args();
        a.policy_source = Some("FLAG".into());
        a.journal = Some("flag.sqlite3".into());
        a.env = Some(EnvName::Test);
        let s = resolved(
            &a,
            &[
                ("AVATAR_POLICY_SOURCE", "VAR"),
                ("AVATAR_JOURNAL", "var.sqlite3"),
                ("AVATAR_BASE_URL", "http://127.0.0.1:1"),
            ],
        )
        .unwrap();
        assert_eq!(s.policy_source.value.as_deref(), Some("FLAG"));
        assert_eq!(s.policy_source.origin, Origin::Flag("--policy-source"));
        assert_eq!(s.journal.value, JournalChoice::File("flag.sqlite3".into()));
        assert_eq!(
            s.platform.value.target,
            Target::Remote {
                base_url: TEST_BASE_URL.into()
            }
        );
        assert_eq!(s.platform.origin, Origin::Flag("--env"));
        let s = resolved(&args(), &[("AVATAR_POLICY_SOURCE", "VAR")]).unwrap();
        assert_eq!(
            s.policy_source.origin,
            Origin::Variable("AVATAR_POLICY_SOURCE")
        );
    }

    #[test]
    fn a_bad_variable_is_judged_only_when_it_counts() {
        assert!(resolved(&args(), &[("AVATAR_ENV", "staging")]).is_err());
        let mut a = args();
        a.base_url = Some("http://127.0.0.1:9".into());
        assert!(resolved(&a, &[("AVATAR_ENV", "staging")]).is_ok());
    }

    #[test]
    fn the_sandbox_keeps_its_own_journal_unless_the_command_line_names_one() {
        let mut a = args();
        a.env = Some(EnvName::Sandbox);
        let s = resolved(&a, &[("AVATAR_JOURNAL", "/tmp/real.sqlite3")]).unwrap();
        assert!(
            matches!(&s.journal.value, JournalChoice::File(p) if p.ends_with("sandbox.sqlite3")),
            "{:?}",
            s.journal
        );
        assert!(s.generate_order_no.value);
        a.journal = Some("/tmp/mine.sqlite3".into());
        let s = resolved(&a, &[]).unwrap();
        assert_eq!(s.journal.origin, Origin::Flag("--journal"));
    }

    #[test]
    fn the_sandbox_has_a_channel_of_its_own_unless_one_is_given() {
        let mut a = args();
        a.env = Some(EnvName::Sandbox);
        let s = resolved(&a, &[]).unwrap();
        assert_eq!(s.policy_source.value.as_deref(), Some(SANDBOX_CHANNEL));
        assert!(matches!(s.policy_source.origin, Origin::Derived(_)));
        let s = resolved(&a, &[("AVATAR_POLICY_SOURCE", "DEMO")]).unwrap();
        assert_eq!(s.policy_source.value.as_deref(), Some("DEMO"));
        assert_eq!(
            s.policy_source.origin,
            Origin::Variable("AVATAR_POLICY_SOURCE")
        );
        // Only the sandbox: a real platform still needs the channel the insurer assigned.
        a.env = Some(EnvName::Test);
        assert_eq!(resolved(&a, &[]).unwrap().policy_source.value, None);
    }
}
