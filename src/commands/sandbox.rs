//! `sandbox`: the simulated platform on loopback until Ctrl-C.

use crate::cli::{GlobalArgs, SandboxArgs};
use crate::sandbox::{Sandbox, SandboxOptions};
use crate::user_error;

pub async fn run(global: &GlobalArgs, args: &SandboxArgs) -> anyhow::Result<u8> {
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err(user_error!(
            "--fail-rate {} is not between 0 and 1",
            args.fail_rate
        ));
    }
    let options = SandboxOptions {
        latency_ms: args.latency_ms,
        fail_rate: args.fail_rate,
        reject: args.reject.clone(),
        seed: args.seed,
        log: !global.quiet,
    };
    let sandbox = Sandbox::start(args.port, options)
        .await
        .map_err(|e| user_error!("cannot start the sandbox on 127.0.0.1:{}: {e}", args.port))?;
    let url = sandbox.base_url();
    println!("{url}");
    if !global.quiet {
        eprintln!(
            "sandbox listening on {url} (Ctrl-C to stop); try:\n  avatar-cli --base-url {url} --policy-source DEMO send --policy P2024000001 --generate-order-no"
        );
    }
    wait_for_stop().await;
    sandbox.shutdown().await;
    // Ctrl-C is how a sandbox is meant to end, so it is a success, not an interruption.
    Ok(crate::error::code::OK)
}

#[cfg(unix)]
async fn wait_for_stop() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_stop() {
    let _ = tokio::signal::ctrl_c().await;
}
