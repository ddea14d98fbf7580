//! Running a program in the VM from the command line: on the host's runtime, Ctrl-C
//! and SIGTERM cancelling the run, events to the run log (and a progress display on a
//! terminal), and `ask` slots filled by `--set` or the host's slot resolver.

use std::sync::Arc;

use super::KernelError;
use crate::bytecode::Verified;
use crate::host::Host;
use crate::vm::progress::{Progress, StepLines};
use crate::vm::{
    self, Cancel, EventBus, RunError, RunInputs, RunLogWriter, RunOutput, SlotResolver,
};

/// How one VM run went.
pub struct Hosted {
    pub result: Result<RunOutput, RunError>,
}

/// Runs `program` to the end (or failure, timeout, cancellation) and logs it under the
/// workspace's `runs/`, on the host's runtime; its tools work under the limits of the
/// host's config. An error means the run could not start at all.
pub fn run_program(
    host: &Host,
    program: &Verified,
    inputs: RunInputs,
    resolver: &dyn SlotResolver,
) -> Result<Hosted, KernelError> {
    let runtime = host.runtime()?;
    let cancel = inputs.cancel.clone();
    let tools = inputs.tools.clone();
    runtime.block_on(async {
        let watcher = tokio::spawn(watch_signals(cancel));
        let hosted = run_on(host, program, inputs, resolver).await;
        watcher.abort();
        // MCP servers started for the run end with it.
        tools.shutdown().await;
        hosted
    })
}

/// [`run_program`] on the caller's runtime, with no signal handling and the tools' MCP
/// servers left running (`llmos mcp serve` runs many programs on one runtime).
pub async fn run_on(
    host: &Host,
    program: &Verified,
    inputs: RunInputs,
    resolver: &dyn SlotResolver,
) -> Result<Hosted, KernelError> {
    let ws = &host.ws;
    ws.ensure_state_dir().map_err(KernelError::workspace)?;
    let ctx = host.tool_ctx().map_err(KernelError::workspace)?;
    let ctx = Arc::new(ctx);
    let log = Arc::new(RunLogWriter::new(ws.runs_dir(), inputs.run_id.clone()));
    let mut bus = EventBus::new();
    bus.subscribe(log.clone());
    if let Some(p) = Progress::for_stderr() {
        bus.subscribe(Arc::new(p));
    } else if let Some(lines) = StepLines::for_stderr() {
        bus.subscribe(Arc::new(lines));
    }
    let result = vm::run(program, inputs, &ctx, resolver, &bus).await;
    if let Some(e) = log.error() {
        eprintln!("warning: {e}");
    }
    Ok(Hosted { result })
}

/// Registers SIGINT and SIGTERM handlers now, and cancels the run when one comes.
pub(crate) fn watch_signals(cancel: Cancel) -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        async move {
            let (Ok(mut int), Ok(mut term)) = (int, term) else {
                return;
            };
            tokio::select! {
                _ = int.recv() => cancel.cancel("interrupted by SIGINT"),
                _ = term.recv() => cancel.cancel("terminated by SIGTERM"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.cancel("interrupted by Ctrl-C");
            }
        }
    }
}
