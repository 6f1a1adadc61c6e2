//! The platform a run talks to: the configured base URL, or the simulated platform started
//! in this process (`--env sandbox`) with a throwaway journal beside it.

use crate::config::{JournalChoice, Settings, Target as Configured};
use crate::error::Refusal;
use crate::refuse;
use crate::sandbox::{Sandbox, SandboxOptions};
use std::path::PathBuf;

pub(crate) struct Platform {
    base_url: String,
    sandbox: Option<Sandbox>,
    throwaway: Option<tempfile::TempDir>,
}

/// Where a run sends and records: the journal's endpoint key and the journal file, if any.
pub(crate) struct Target {
    pub base_url: String,
    pub journal: Option<PathBuf>,
}

impl Platform {
    pub async fn start(settings: &Settings) -> Result<Platform, Refusal> {
        let (base_url, sandbox) = match &settings.target {
            Configured::Remote { base_url } => (base_url.clone(), None),
            Configured::InProcessSandbox => {
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
        Ok(Platform {
            base_url,
            sandbox,
            throwaway,
        })
    }

    pub fn target(&self, settings: &Settings) -> Target {
        let journal = match &settings.journal {
            JournalChoice::File(path) => Some(path.clone()),
            JournalChoice::Throwaway => self
                .throwaway
                .as_ref()
                .map(|d| d.path().join("journal.sqlite3")),
            JournalChoice::Disabled => None,
        };
        Target {
            base_url: self.base_url.clone(),
            journal,
        }
    }

    pub async fn stop(self) {
        if let Some(sandbox) = self.sandbox {
            sandbox.shutdown().await;
        }
    }
}
