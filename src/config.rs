//! One `Settings` value from flags, environment variables (both read by clap), the TOML config
//! file and defaults, in that order of precedence; environments and their URLs.

use crate::cli::{ColorChoice, EnvName, GlobalArgs, OutputFormat};
use crate::protocol::{DEFAULT_ORDER_NO_PREFIX, REFUND_NOTICE_PATH};
use crate::user_error;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const TEST_BASE_URL: &str = "https://porsche-avatar.chinahuanong.com.cn";
pub const PROD_BASE_URL: &str = "https://avatar.chinahuanong.com.cn";
const PROD_HOST: &str = "avatar.chinahuanong.com.cn";

/// The config file as written by the user. Unknown keys are errors: a misspelt key silently
/// ignored is a setting the user believes in but does not have.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub policy_source: Option<String>,
    pub env: Option<String>,
    pub timeout_secs: Option<u64>,
    pub concurrency: Option<usize>,
    pub retries: Option<u32>,
    pub generate_order_no: Option<bool>,
    pub order_no_prefix: Option<String>,
    pub journal_sync: Option<JournalSyncSetting>,
    pub journal: Option<PathBuf>,
    pub cacert: Option<PathBuf>,
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentConfig>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub base_url: Option<String>,
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
    /// The in-process sandbox's: a temporary file removed at the end of the command.
    Throwaway,
    Disabled,
}

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
        let file = load_config(args.config.as_deref())?;
        let env = match (args.env, file.env.as_deref()) {
            (Some(env), _) => env,
            (None, Some(name)) => parse_env_name(name).ok_or_else(|| {
                user_error!("config: env = \"{name}\" is not test, prod or sandbox")
            })?,
            (None, None) => EnvName::Test,
        };
        let mut environment_urls = BTreeMap::from([
            ("test".to_string(), TEST_BASE_URL.to_string()),
            ("prod".to_string(), PROD_BASE_URL.to_string()),
        ]);
        for (name, env) in &file.environments {
            if let Some(url) = &env.base_url {
                let url = check_base_url(url)
                    .map_err(|e| user_error!("config [environments.{name}]: {e}"))?;
                environment_urls.insert(name.clone(), url);
            }
        }
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
        let journal = if args.no_journal {
            JournalChoice::Disabled
        } else if let Some(path) = args.journal.clone() {
            JournalChoice::File(path)
        } else if target == Target::InProcessSandbox {
            JournalChoice::Throwaway
        } else if let Some(path) = file.journal.clone() {
            JournalChoice::File(path)
        } else {
            JournalChoice::File(default_journal_path()?)
        };
        let mut headers = Vec::new();
        for (name, value) in &file.headers {
            headers.push(header(name, value).context("config [headers]")?);
        }
        for raw in &args.headers {
            let (name, value) = raw.split_once(':').ok_or_else(|| {
                user_error!("-H '{raw}': a header is 'Name: value' or 'Name: @FILE'")
            })?;
            let extra = header(name.trim(), value.trim())?;
            // A flag overrides the config's header of the same name.
            headers.retain(|h: &ExtraHeader| !h.name.eq_ignore_ascii_case(&extra.name));
            headers.push(extra);
        }
        let concurrency = file.concurrency.unwrap_or(4);
        if !(1..=crate::cli::MAX_CONCURRENCY).contains(&concurrency) {
            let max = crate::cli::MAX_CONCURRENCY;
            return Err(user_error!("config: concurrency must be from 1 to {max}"));
        }
        let timeout = args.timeout.or(file.timeout_secs).unwrap_or(30);
        if timeout == 0 {
            return Err(user_error!("--timeout must be at least 1 second"));
        }
        let order_no_prefix = file
            .order_no_prefix
            .clone()
            .unwrap_or_else(|| DEFAULT_ORDER_NO_PREFIX.into());
        crate::protocol::check_identifier("config: order_no_prefix", &order_no_prefix)
            .map_err(|e| user_error!("{e}"))?;
        if order_no_prefix.len() > 16 {
            return Err(user_error!(
                "config: order_no_prefix is longer than 16 characters"
            ));
        }
        let policy_source = args.policy_source.clone().or(file.policy_source.clone());
        if let Some(code) = &policy_source {
            crate::protocol::check_identifier("the channel code (--policy-source)", code)
                .map_err(|e| user_error!("{e}"))?;
        }
        Ok(Settings {
            env,
            target,
            policy_source,
            journal,
            journal_sync_full: file.journal_sync == Some(JournalSyncSetting::Full),
            timeout: Duration::from_secs(timeout),
            retries: args.retries.or(file.retries).unwrap_or(3),
            cacert: args.cacert.clone().or(file.cacert.clone()),
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
            generate_order_no: file.generate_order_no.unwrap_or(false) || env == EnvName::Sandbox,
            order_no_prefix,
            concurrency,
            environment_urls,
        })
    }

    /// The channel code, required to build an envelope.
    pub fn require_policy_source(&self) -> Result<&str> {
        self.policy_source.as_deref().ok_or_else(|| {
            user_error!(
                "no channel code: pass --policy-source CODE, set AVATAR_POLICY_SOURCE, or put \
                 policy_source = \"CODE\" in the config file"
            )
        })
    }

    pub fn environment_url(&self, name: &str) -> Option<String> {
        self.environment_urls.get(name).cloned()
    }

    /// True when notices would reach the production platform: ask first.
    pub fn is_production(&self) -> bool {
        self.env == EnvName::Prod
            || matches!(&self.target, Target::Remote { base_url } if url_host(base_url).as_deref() == Some(PROD_HOST))
    }
}

pub fn env_key(env: EnvName) -> &'static str {
    match env {
        EnvName::Test => "test",
        EnvName::Prod => "prod",
        EnvName::Sandbox => "sandbox",
    }
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
    crate::base_url::normalize(raw).map_err(|e| user_error!("{e}"))
}

pub fn url_host(url: &str) -> Option<String> {
    Some(crate::base_url::host(url).to_string())
}

/// `Name: value`, or `Name: @FILE` to keep a key out of shell history.
fn header(name: &str, value: &str) -> Result<ExtraHeader> {
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| user_error!("header name '{name}' is not a valid HTTP header name"))?;
    let value = match value.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| user_error!("header {name}: cannot read {path}: {e}"))?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        None => value.to_string(),
    };
    // Checked without echoing the value: it is a secret.
    reqwest::header::HeaderValue::from_str(&value).map_err(|_| {
        user_error!("header {name}: the value has characters not allowed in HTTP headers")
    })?;
    Ok(ExtraHeader {
        name: name.to_string(),
        value,
    })
}

/// A missing default file is fine; a missing named one is an error.
fn load_config(named: Option<&Path>) -> Result<FileConfig> {
    let (path, must_exist) = match named {
        Some(p) => (p.to_path_buf(), true),
        None => match dirs::config_dir() {
            Some(dir) => (dir.join("avatar-cli").join("config.toml"), false),
            None => return Ok(FileConfig::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(FileConfig::default())
        }
        Err(e) => {
            return Err(user_error!(
                "cannot read config file {}: {e}",
                path.display()
            ))
        }
    };
    parse_config(&text).map_err(|e| user_error!("config file {}: {e}", path.display()))
}

/// toml's message names the line, column and key, with the offending line quoted.
pub fn parse_config(text: &str) -> std::result::Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
}

fn default_journal_path() -> Result<PathBuf> {
    // Linux has a state dir (XDG_STATE_HOME); macOS and Windows do not, so fall back to local data.
    let dir = dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .ok_or_else(|| user_error!("no state directory on this system: pass --journal FILE"))?;
    Ok(dir.join("avatar-cli").join("journal.sqlite3"))
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
        assert_eq!(config.policy_source.as_deref(), Some("HN_HT_QNW"));
        assert_eq!(config.journal_sync, Some(JournalSyncSetting::Normal));
        assert_eq!(config.environments.len(), 2);
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
