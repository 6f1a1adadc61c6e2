//! The platform a run talks to: the configured base URL, or the simulated platform started
//! in this process (`--env sandbox`).

use crate::error::refuse;
use crate::error::Refusal;
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::settings::{Settings, Target as Configured, SANDBOX_ENDPOINT};

pub(crate) struct Platform {
    base_url: String,
    sandbox: Option<Sandbox>,
}

/// Where a run sends and records: the URL, the journal's endpoint key and the journal file.
pub(crate) struct Target {
    pub base_url: String,
    /// The base URL, except for the in-process sandbox, whose port is new on every run.
    pub endpoint_key: String,
    pub journal: Option<crate::journal::Location>,
}

impl Platform {
    /// `log`: where the in-process sandbox's log lines go (`-v`), if anywhere.
    pub async fn start(
        settings: &Settings,
        log: Option<crate::sandbox::Log>,
    ) -> Result<Platform, Refusal> {
        let (base_url, sandbox) = match &settings.platform.value.target {
            Configured::Remote { base_url } => (base_url.clone(), None),
            Configured::InProcessSandbox => {
                let options = SandboxOptions {
                    log,
                    ..SandboxOptions::default()
                };
                let sandbox = Sandbox::start(0, options)
                    .await
                    .map_err(|e| refuse!(Setup, "cannot start the built-in sandbox: {e}"))?;
                (sandbox.base_url(), Some(sandbox))
            }
        };
        Ok(Platform { base_url, sandbox })
    }

    pub fn target(&self, settings: &Settings) -> Target {
        let journal = settings.journal.value.location();
        let endpoint_key = match self.sandbox {
            Some(_) => SANDBOX_ENDPOINT.to_string(),
            None => self.base_url.clone(),
        };
        Target {
            base_url: self.base_url.clone(),
            endpoint_key,
            journal,
        }
    }

    pub async fn stop(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}
