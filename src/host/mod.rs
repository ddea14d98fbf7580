//! The composition root of a process: built once by the CLI from the workspace, its
//! config and a snapshot of the environment. It owns what every command that runs
//! something shares: the one async runtime, the lazily opened database, model selection
//! (one function, so the slot cache's key is the same everywhere), the meter factory and
//! the one `ask` slot resolver.
//!
//! Architecture invariant: nothing below the host reads the process environment; it
//! gets the [`Env`] snapshot (or what the host took from it).

mod db;
pub(crate) mod env;
pub mod model;
pub(crate) mod slots;

use std::path::Path;
use std::sync::{Arc, OnceLock};

pub use db::LazyDb;
pub use env::Env;
pub use slots::SlotFiller;

use crate::economy::meter::{Meter, SharedDb};
use crate::learn::events::EventSink;
use crate::learn::learner::DEFAULT_MAX_TOKENS;
use crate::workspace::{Config, Workspace, WorkspaceError};

/// The workspace, its config and environment, and the shared pieces built from them.
#[derive(Debug)]
pub struct Host {
    pub ws: Workspace,
    pub config: Config,
    pub env: Env,
    db: LazyDb,
    /// The one runtime (shared with what must keep it, e.g. a bucket remote's client).
    runtime: OnceLock<Arc<tokio::runtime::Runtime>>,
    /// Worker threads of the runtime; 0 runs everything on the calling thread.
    workers: usize,
}

impl Host {
    /// The host of the workspace at `root` (else the one found from the current
    /// folder), with its config read. Creates nothing.
    pub fn open(root: Option<&Path>, env: Env) -> Result<Host, HostError> {
        let ws = Workspace::open(root, env.lookup())?;
        let config = ws.config()?;
        Ok(Host::new(ws, config, env))
    }

    /// The host of an open workspace.
    pub fn new(ws: Workspace, config: Config, env: Env) -> Host {
        Host {
            db: LazyDb::new(&ws.state_dir),
            ws,
            config,
            env,
            runtime: OnceLock::new(),
            workers: 0,
        }
    }

    /// The same host whose runtime has `n` worker threads (`llmos mcp serve` serves
    /// calls at once); by default everything runs on the calling thread.
    pub fn with_workers(mut self, n: usize) -> Host {
        self.workers = n;
        self
    }

    /// The workspace database, opened (and created) on first use.
    pub fn db(&self) -> Result<&SharedDb, HostError> {
        self.db.get().map_err(HostError::Db)
    }

    /// The database, not opened yet if it is not (for what opens it only when needed).
    pub fn lazy_db(&self) -> &LazyDb {
        &self.db
    }

    /// Where the database is (whether or not it is open).
    pub fn db_path(&self) -> std::path::PathBuf {
        self.db.path()
    }

    /// The process's async runtime, started on first use. Call it outside the runtime.
    pub fn runtime(&self) -> Result<&tokio::runtime::Runtime, HostError> {
        self.runtime_arc().map(Arc::as_ref)
    }

    /// [`Host::runtime`], shared: for what keeps it beyond a borrow of the host (a
    /// bucket remote's synchronous client blocks on it).
    pub fn shared_runtime(&self) -> Result<Arc<tokio::runtime::Runtime>, HostError> {
        self.runtime_arc().cloned()
    }

    fn runtime_arc(&self) -> Result<&Arc<tokio::runtime::Runtime>, HostError> {
        if let Some(rt) = self.runtime.get() {
            return Ok(rt);
        }
        let mut builder = match self.workers {
            0 => tokio::runtime::Builder::new_current_thread(),
            n => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(n);
                b
            }
        };
        let rt = builder.enable_all().build().map_err(HostError::Runtime)?;
        Ok(self.runtime.get_or_init(|| Arc::new(rt)))
    }

    /// The tool context of a run in this workspace: its limits, and the environment
    /// `shell.run` passes on taken from this host's snapshot.
    pub fn tool_ctx(&self) -> Result<crate::tools::ToolCtx, crate::tools::ToolError> {
        let env = |name: &str| self.env.var_os(name).map(std::ffi::OsStr::to_os_string);
        crate::tools::ToolCtx::for_workspace(&self.ws, &self.config, &env)
    }

    /// The model runs use (see [`model::select_model`]).
    pub fn model(&self) -> Result<crate::llm::ModelRef, model::ModelError> {
        model::select_model(&self.env, &self.config)
    }

    /// A meter for the LLM calls of ledger run `run_id`, within `budget` micro-dollars: the selected
    /// model's provider behind the budget check. An error names what is missing (no
    /// model, no key).
    pub fn meter(
        &self,
        run_id: &str,
        budget: Option<i64>,
        events: Arc<dyn EventSink>,
    ) -> Result<Meter, HostError> {
        self.meter_for(self.llm()?, run_id, budget, events)
    }

    /// The selected model and the provider serving it: everything [`Host::meter_for`]
    /// needs that can be missing.
    pub fn llm(&self) -> Result<(crate::llm::ModelRef, crate::llm::Provider), HostError> {
        Ok(model::model_and_provider(&self.env, &self.config)?)
    }

    /// [`Host::meter`] for a model and provider already selected.
    pub fn meter_for(
        &self,
        (model, provider): (crate::llm::ModelRef, crate::llm::Provider),
        run_id: &str,
        budget: Option<i64>,
        events: Arc<dyn EventSink>,
    ) -> Result<Meter, HostError> {
        let db = self.db()?.clone();
        Ok(Meter::new(
            provider,
            &model,
            &self.config.prices,
            db,
            run_id,
            budget,
            events,
        ))
    }

    /// The resolver for the `ask` slots that `--set` does not give: the slot cache,
    /// then the selected model through a meter charging ledger run `budget_run` within
    /// `budget`. From the cache alone when `offline` is set (a program without slots
    /// passes it too, so nothing is set up for it), when no model is configured, or when
    /// its provider cannot be set up (the reason is given when a slot misses).
    pub fn slot_resolver(
        &self,
        budget_run: &str,
        budget: Option<i64>,
        offline: bool,
    ) -> SlotFiller {
        let key = model::cache_key(&self.env, &self.config);
        if offline {
            return SlotFiller::cache_only(self.db.clone(), key);
        }
        let model = match self.model() {
            Ok(m) => m,
            Err(_) => return SlotFiller::cache_only(self.db.clone(), key),
        };
        let max_tokens = self.config.llm.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
        let provider = match model::provider(&model, &self.env, &self.config) {
            Ok(p) => p,
            Err(why) => return SlotFiller::unavailable(self.db.clone(), &key, why),
        };
        let db = match self.db() {
            Ok(db) => db.clone(),
            Err(_) => return SlotFiller::cache_only(self.db.clone(), key),
        };
        let events: Arc<dyn EventSink> = Arc::new(crate::learn::events::NullSink);
        let meter = Meter::new(
            provider,
            &model,
            &self.config.prices,
            db,
            budget_run,
            budget,
            events,
        );
        SlotFiller::new(Arc::new(meter)).with_max_tokens(max_tokens)
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Dropped on its own runtime (`llmos mcp serve` ends inside it): a runtime
        // cannot wait for itself there, so it stops without waiting.
        if let Some(rt) = self.runtime.take()
            && tokio::runtime::Handle::try_current().is_ok()
            && let Ok(rt) = Arc::try_unwrap(rt)
        {
            rt.shutdown_background();
        }
    }
}

/// Why the host could not provide something.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error(transparent)]
    Db(crate::db::DbError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// No model is configured, or its provider cannot be set up (no API key).
    #[error(transparent)]
    Model(#[from] model::ModelError),
}

impl crate::diag::Coded for HostError {
    fn kind(&self) -> &'static str {
        match self {
            HostError::Workspace(_) => "workspace",
            HostError::Db(_) => "database",
            HostError::Runtime(_) => "runtime",
            HostError::Model(_) => "model",
        }
    }
    fn code(&self) -> &'static str {
        match self {
            HostError::Workspace(_) => "workspace",
            HostError::Db(_) => "database",
            HostError::Runtime(_) => "runtime",
            HostError::Model(e) => e.code(),
        }
    }
}
