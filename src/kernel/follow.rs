//! Running a program in the VM from the command line: a current-thread runtime, Ctrl-C
//! and SIGTERM cancelling the run, events to the run log (and a progress display on a
//! terminal), and `ask` slots filled by `--set`, the slot cache or the configured model.

use std::sync::Arc;

use crate::economy::meter::SharedDb;
use crate::ir::Program;
use crate::learn::events::{EventSink, NullSink};
use crate::store::RunId;
use crate::tools::ToolCtx;
use crate::vm::progress::{Progress, StepLines};
use crate::vm::{
    self, CacheResolver, Cancel, EventBus, RunError, RunInputs, RunLogWriter, RunOutput,
    SlotResolver,
};
use crate::workspace::{Config, Workspace};

/// How one VM run went.
pub struct Hosted {
    pub run_id: RunId,
    pub result: Result<RunOutput, RunError>,
}

/// The resolver for `ask` slots that `--set` does not give: the slot cache, then the
/// configured model through the budget meter (never when `offline`; a program without
/// slots passes `offline` too, so nothing is set up for it). Without a configured model,
/// the cache alone (keyed by model `none`). `budget_run` is the ledger
/// run the calls count against, with the run's `--budget`.
pub fn resolver(
    ws: &Workspace,
    config: &Config,
    db: Option<SharedDb>,
    budget_run: &str,
    budget: Option<f64>,
    offline: bool,
) -> Box<dyn SlotResolver> {
    let env = |k: &str| std::env::var(k).ok();
    if offline {
        // The cache alone; it opens the database only when a slot asks.
        return Box::new(CacheResolver::new(
            ws.state_dir.clone(),
            vm::configured_model(config, env),
        ));
    }
    let db = db.or_else(|| {
        crate::db::Db::open_in(&ws.state_dir)
            .ok()
            .map(crate::economy::meter::shared)
    });
    if let Some(db) = db {
        let events: Arc<dyn EventSink> = Arc::new(NullSink);
        if let Ok(r) = crate::learn::session::slot_resolver(
            &env, config, db, budget_run, budget, events, offline,
        ) {
            return Box::new(r);
        }
    }
    Box::new(CacheResolver::new(
        ws.state_dir.clone(),
        vm::configured_model(config, env),
    ))
}

/// Runs `program` to the end (or failure, timeout, cancellation) and logs it under the
/// workspace's `runs/`; its tools work under the limits of `config`. An error means the run could not start at all.
pub fn run_program(
    ws: &Workspace,
    config: &Config,
    program: &Program,
    inputs: RunInputs,
    resolver: &dyn SlotResolver,
) -> Result<Hosted, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: cannot start the runtime: {e}"))?;
    let cancel = inputs.cancel.clone();
    let tools = inputs.tools.clone();
    runtime.block_on(async {
        let watcher = tokio::spawn(watch_signals(cancel));
        let hosted = host(ws, config, program, inputs, resolver).await;
        watcher.abort();
        // MCP servers started for the run end with it.
        tools.shutdown().await;
        hosted
    })
}

/// [`run_program`] on the caller's runtime, with no signal handling and the tools' MCP
/// servers left running (`llmos mcp serve` runs many programs on one runtime).
pub async fn host(
    ws: &Workspace,
    config: &Config,
    program: &Program,
    inputs: RunInputs,
    resolver: &dyn SlotResolver,
) -> Result<Hosted, String> {
    ws.ensure_state_dir().map_err(|e| format!("error: {e}"))?;
    let ctx = ToolCtx::for_workspace(ws, config).map_err(|e| format!("error: {e}"))?;
    let ctx = Arc::new(ctx);
    let run_id = inputs.run_id.clone();
    let log = Arc::new(RunLogWriter::new(ws.runs_dir(), run_id.clone()));
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
    Ok(Hosted { run_id, result })
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
