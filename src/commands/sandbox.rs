//! `sandbox`: the simulated platform on loopback until Ctrl-C.

use crate::cli::SandboxArgs;
use crate::error::refuse;
use crate::error::Refusal;
use crate::output::Console;
use crate::sandbox::{Sandbox, SandboxOptions};
use std::sync::Arc;

pub async fn run(args: &SandboxArgs, console: &Arc<Console>) -> Result<u8, Refusal> {
    let options = SandboxOptions {
        latency_ms: args.latency_ms,
        fail_rate: args.fail_rate,
        reject: args.reject.clone(),
        seed: args.seed,
        log: Some(console.note_sink()),
    };
    options.check().map_err(Refusal::Usage)?;
    let sandbox = Sandbox::start(args.port, options).await.map_err(|e| {
        refuse!(
            Setup,
            "cannot start the sandbox on 127.0.0.1:{}: {e}",
            args.port
        )
    })?;
    let url = sandbox.base_url();
    // A closed stdout or stderr does not stop a rehearsal server: it answers all the same.
    console.out(&url);
    console.note(&format!(
        "sandbox listening on {url} (Ctrl-C to stop); try:"
    ));
    console.note(&format!(
        "  avatar-cli --base-url {url} --policy-source DEMO send --policy P2024000001 --generate-order-no"
    ));
    // Ctrl-C or SIGTERM; if signals cannot be watched, stop at once rather than hang.
    let _ = crate::signals::stop_signal().await;
    sandbox.shutdown().await;
    // Ctrl-C is how a sandbox is meant to end, so it is a success, not an interruption.
    Ok(crate::error::code::OK)
}
