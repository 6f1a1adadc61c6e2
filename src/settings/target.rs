//! Where notices go: the target platform, one setting with one source. `--env` and
//! `--base-url` (and `AVATAR_ENV`/`AVATAR_BASE_URL`, and the config's `env`) name it; the
//! highest level that names it at all wins whole, so a variable left in a shell can never
//! redirect a run whose command line names its platform.

use super::origin::{Origin, Setting};
use crate::cli::EnvName;
use crate::error::refuse;
use crate::error::Refusal;
use std::collections::BTreeMap;

pub const TEST_BASE_URL: &str = "https://porsche-avatar.chinahuanong.com.cn";
pub const PROD_BASE_URL: &str = "https://avatar.chinahuanong.com.cn";
const PROD_HOST: &str = "avatar.chinahuanong.com.cn";

/// The journal key of the in-process sandbox. Its port changes with every run, so the key is
/// this name: a second rehearsal then skips what the first one sent.
pub const SANDBOX_ENDPOINT: &str = "sandbox";

/// Where notices are POSTed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A platform at this base URL (normalised, no trailing slash).
    Remote { base_url: String },
    /// The built-in simulator, started in-process for the duration of the command.
    InProcessSandbox,
}

/// The platform of a run: where it is, and the environment's name when it is a named one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    /// `None` for a base URL that is none of the named environments'.
    pub env: Option<EnvName>,
    pub target: Target,
}

impl Platform {
    /// True when notices would reach the production platform: ask first.
    pub fn is_production(&self) -> bool {
        self.env == Some(EnvName::Prod)
            || matches!(&self.target, Target::Remote { base_url } if crate::base_url::host(base_url) == PROD_HOST)
    }
}

/// What one level (command line, environment variables, config file) says of the target.
#[derive(Default)]
pub(super) struct Named {
    pub env: Option<(EnvName, Origin)>,
    /// As given, not yet checked.
    pub base_url: Option<(String, Origin)>,
}

pub fn env_key(env: EnvName) -> &'static str {
    match env {
        EnvName::Test => "test",
        EnvName::Prod => "prod",
        EnvName::Sandbox => "sandbox",
    }
}

pub fn parse_env_name(name: &str) -> Option<EnvName> {
    [EnvName::Test, EnvName::Prod, EnvName::Sandbox]
        .into_iter()
        .find(|e| env_key(*e) == name)
}

/// The base URL of each named environment: test and prod by default, and whatever the config
/// file's `[environments.NAME]` sets, each with its origin.
#[derive(Debug, Clone, Default)]
pub struct Environments {
    urls: BTreeMap<String, Setting<String>>,
}

impl Environments {
    /// The defaults, with `configured` (name, URL as written, its origin) over them; each
    /// configured URL checked.
    pub(super) fn new(configured: Vec<(String, String, Origin)>) -> Result<Environments, Refusal> {
        let mut urls = BTreeMap::from([
            (
                "test".to_string(),
                Setting::by_default(TEST_BASE_URL.into()),
            ),
            (
                "prod".to_string(),
                Setting::by_default(PROD_BASE_URL.into()),
            ),
        ]);
        for (name, url, origin) in configured {
            let url = crate::base_url::normalize(&url).map_err(|e| {
                refuse!(
                    Config,
                    "{origin}: [environments.{}] {e}",
                    crate::text::quote(&name)
                )
            })?;
            urls.insert(name, Setting::new(url, origin));
        }
        Ok(Environments { urls })
    }

    /// A named environment's base URL, with where it was set.
    pub fn url(&self, name: &str) -> Option<&Setting<String>> {
        self.urls.get(name)
    }

    /// The journal key of a named environment: its base URL, or for the sandbox without one
    /// configured, the in-process sandbox's key.
    pub fn key(&self, name: &str) -> Option<String> {
        self.url(name)
            .map(|u| u.value.clone())
            .or_else(|| (name == env_key(EnvName::Sandbox)).then(|| SANDBOX_ENDPOINT.to_string()))
    }

    /// Where a named environment is: its URL, or the in-process sandbox.
    fn target_of(&self, env: EnvName) -> Target {
        match self.url(env_key(env)) {
            Some(url) => Target::Remote {
                base_url: url.value.clone(),
            },
            None => Target::InProcessSandbox,
        }
    }

    /// The environment a base URL belongs to, if any (production first: it is the one that
    /// must never be missed).
    fn env_of(&self, base_url: &str) -> Option<EnvName> {
        [EnvName::Prod, EnvName::Test, EnvName::Sandbox]
            .into_iter()
            .find(|e| self.url(env_key(*e)).is_some_and(|u| u.value == base_url))
    }
}

/// The target, from the highest of `levels` that names one (else the test platform): its env
/// name alone, its base URL alone, or both when they name the same platform.
pub(super) fn resolve(
    levels: [Named; 3],
    environments: &Environments,
) -> Result<Setting<Platform>, Refusal> {
    for level in levels {
        let env = level.env;
        let url = match level.base_url {
            Some((raw, origin)) => {
                let url = crate::base_url::normalize(&raw).map_err(|e| match &origin {
                    Origin::Variable(name) => refuse!(Config, "{name}: {e}"),
                    _ => Refusal::from(e),
                })?;
                Some((url, origin))
            }
            None => None,
        };
        let platform = |env: EnvName| Platform {
            env: Some(env),
            target: environments.target_of(env),
        };
        match (env, url) {
            (None, None) => continue,
            (Some((env, origin)), None) => return Ok(Setting::new(platform(env), origin)),
            (None, Some((base_url, origin))) => {
                let env = environments.env_of(&base_url);
                let target = Target::Remote { base_url };
                return Ok(Setting::new(Platform { env, target }, origin));
            }
            (Some((env, env_origin)), Some((base_url, url_origin))) => {
                let named = platform(env);
                let given = Target::Remote { base_url };
                if named.target == given {
                    return Ok(Setting::new(named, env_origin));
                }
                return Err(two_platforms(
                    env,
                    &named.target,
                    &env_origin,
                    &given,
                    &url_origin,
                ));
            }
        }
    }
    Ok(Setting::by_default(Platform {
        env: Some(EnvName::Test),
        target: environments.target_of(EnvName::Test),
    }))
}

/// `--env` and `--base-url` (or the two variables) naming two platforms: a usage error that
/// names both, since guessing which was meant could send to the wrong one.
fn two_platforms(
    env: EnvName,
    named: &Target,
    env_origin: &Origin,
    given: &Target,
    url_origin: &Origin,
) -> Refusal {
    let place = |t: &Target| match t {
        Target::Remote { base_url } => base_url.clone(),
        Target::InProcessSandbox => "the built-in sandbox".to_string(),
    };
    let spelled = |origin: &Origin, value: &str| match origin {
        Origin::Flag(flag) => format!("{flag} {value}"),
        Origin::Variable(name) => format!("{name}={value}"),
        other => format!("{value} ({other})"),
    };
    let what = format!(
        "{} ({}) and {} name two different platforms",
        spelled(env_origin, env_key(env)),
        place(named),
        spelled(url_origin, &place(given)),
    );
    match env_origin {
        Origin::Variable(_) => refuse!(
            Usage,
            "{what}: unset one of them (or pass --env or --base-url, which win over both)"
        ),
        _ => refuse!(Usage, "{what}: give only one of them"),
    }
}

/// The full URL notices are POSTed to.
pub fn endpoint_url(base_url: &str) -> String {
    format!("{base_url}{}", crate::protocol::REFUND_NOTICE_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag_env(env: EnvName) -> Option<(EnvName, Origin)> {
        Some((env, Origin::Flag("--env")))
    }

    fn levels(cli: Named, vars: Named, file: Named) -> [Named; 3] {
        [cli, vars, file]
    }

    fn var_url(url: &str) -> Option<(String, Origin)> {
        Some((url.into(), Origin::Variable("AVATAR_BASE_URL")))
    }

    #[test]
    fn the_command_line_wins_whole_over_the_variables() {
        let envs = Environments::new(vec![]).unwrap();
        let got = resolve(
            levels(
                Named {
                    env: flag_env(EnvName::Sandbox),
                    base_url: None,
                },
                Named {
                    env: None,
                    base_url: var_url("http://127.0.0.1:9"),
                },
                Named::default(),
            ),
            &envs,
        )
        .unwrap();
        assert_eq!(got.value.target, Target::InProcessSandbox);
        assert_eq!(got.origin, Origin::Flag("--env"));
    }

    #[test]
    fn a_base_url_alone_takes_the_name_of_its_environment() {
        let envs = Environments::new(vec![]).unwrap();
        let got = resolve(
            levels(
                Named::default(),
                Named {
                    env: None,
                    base_url: var_url("https://Avatar.ChinaHuanong.com.cn/"),
                },
                Named::default(),
            ),
            &envs,
        )
        .unwrap();
        assert_eq!(got.value.env, Some(EnvName::Prod));
        assert!(got.value.is_production());
        let got = resolve(
            levels(
                Named::default(),
                Named {
                    env: None,
                    base_url: var_url("http://127.0.0.1:9"),
                },
                Named::default(),
            ),
            &envs,
        )
        .unwrap();
        assert_eq!(got.value.env, None);
        assert!(!got.value.is_production());
    }

    #[test]
    fn two_platforms_at_one_level_are_refused_naming_both() {
        let envs = Environments::new(vec![]).unwrap();
        let err = resolve(
            levels(
                Named {
                    env: flag_env(EnvName::Prod),
                    base_url: Some(("http://127.0.0.1:9".into(), Origin::Flag("--base-url"))),
                },
                Named::default(),
                Named::default(),
            ),
            &envs,
        )
        .unwrap_err();
        assert_eq!(err.exit_code(), crate::error::code::USAGE);
        let text = err.to_string();
        assert!(
            text.contains("--env prod") && text.contains("--base-url http://127.0.0.1:9"),
            "{text}"
        );
        // The same platform twice is no conflict.
        let same = resolve(
            levels(
                Named {
                    env: flag_env(EnvName::Prod),
                    base_url: Some((PROD_BASE_URL.into(), Origin::Flag("--base-url"))),
                },
                Named::default(),
                Named::default(),
            ),
            &envs,
        )
        .unwrap();
        assert!(same.value.is_production());
    }

    #[test]
    fn nothing_named_is_the_test_platform_by_default() {
        let envs = Environments::new(vec![]).unwrap();
        let got = resolve(
            levels(Named::default(), Named::default(), Named::default()),
            &envs,
        )
        .unwrap();
        assert_eq!(got.value.env, Some(EnvName::Test));
        assert_eq!(got.origin, Origin::Default);
    }
}
