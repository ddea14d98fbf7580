//! `llmos mcp serve`: every stored program with a goal as an MCP tool ([`catalog`]), for
//! any MCP client. A call runs the program in Follower mode ([`call`]) with the grants of
//! `exec` (the defaults, `allow` in config.toml, `--allow`); no LLM is called except for
//! `ask` slots, within the budget. The library is watched: when programs are learned,
//! imported or removed, connected clients get `notifications/tools/list_changed`.

mod call;
pub(crate) mod catalog;
mod http;
mod stdio;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::{NotificationContext, RequestContext, RoleServer};
use rmcp::{ErrorData, Peer, ServerHandler};

use crate::kernel::Kernel;
use crate::mcp::ServeError;
use crate::types::EffectSet;
use catalog::Catalog;

pub use http::serve_http;
pub use stdio::serve_stdio;

/// How often the library is looked at for changes.
const WATCH_EVERY: Duration = Duration::from_millis(300);

/// What every session shares.
pub struct State {
    pub kernel: Kernel,
    /// Capabilities granted to the programs.
    pub granted: EffectSet,
    /// The budget of each call's `ask` slots, in micro-dollars.
    pub budget: Option<i64>,
    /// Each call's time limit.
    pub timeout: Option<Duration>,
    catalog: RwLock<Arc<Catalog>>,
    peers: Mutex<Vec<Peer<RoleServer>>>,
}

impl State {
    pub fn new(
        kernel: Kernel,
        granted: EffectSet,
        budget: Option<i64>,
        timeout: Option<Duration>,
    ) -> Result<Arc<State>, ServeError> {
        let catalog = catalog::build(&kernel)?;
        for s in &catalog.skipped {
            eprintln!("note: not offered: {s}");
        }
        Ok(Arc::new(State {
            kernel,
            granted,
            budget,
            timeout,
            catalog: RwLock::new(Arc::new(catalog)),
            peers: Mutex::new(Vec::new()),
        }))
    }

    pub fn catalog(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reads the library again if it changed; true when clients should list again.
    fn reload(&self) -> bool {
        let current = self.catalog();
        match catalog::generation(&self.kernel) {
            Ok(g) if g == current.generation => return false,
            Ok(_) => {}
            Err(e) => {
                eprintln!("warning: cannot read the trace library: {e}");
                return false;
            }
        }
        let fresh = match catalog::build(&self.kernel) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("warning: cannot read the trace library: {e}");
                return false;
            }
        };
        let changed = !fresh.same_tools(&current);
        *self.catalog.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(fresh);
        changed
    }

    /// Watches the library until the process ends, telling connected clients when the
    /// tools change.
    pub async fn watch(self: Arc<State>) {
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let state = Arc::clone(&self);
            let changed = tokio::task::spawn_blocking(move || state.reload())
                .await
                .unwrap_or(false);
            if !changed {
                continue;
            }
            let peers: Vec<Peer<RoleServer>> =
                self.peers.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let mut alive = Vec::with_capacity(peers.len());
            for peer in peers {
                if peer.notify_tool_list_changed().await.is_ok() {
                    alive.push(peer);
                }
            }
            *self.peers.lock().unwrap_or_else(|p| p.into_inner()) = alive;
        }
    }
}

/// One session's handler (they all share the [`State`]).
#[derive(Clone)]
pub struct Served {
    pub state: Arc<State>,
}

impl ServerHandler for Served {
    fn get_info(&self) -> ServerConfig {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        let mut info = ServerConfig::new(capabilities);
        info.server_info = Implementation::new("llmos", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(
            "Each tool is a program llmos learned (or was given) for goals of one shape; \
             calling it runs the program deterministically, without an LLM except for \
             values the program asks one for."
                .into(),
        );
        info
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        self.state
            .peers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(context.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let catalog = self.state.catalog();
        let tools: Vec<&serde_json::Value> = catalog.offered.iter().map(|o| &o.tool).collect();
        serde_json::from_value(serde_json::json!({ "tools": tools }))
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let catalog = self.state.catalog();
        let Some(offered) = catalog.find(&request.name).cloned() else {
            return Err(ErrorData::invalid_params(
                format!("no tool `{}` (tools/list names them)", request.name),
                None,
            ));
        };
        let args = request.arguments.unwrap_or_default();
        let result = call::run(&self.state, &offered, args, context.ct).await;
        serde_json::from_value::<rmcp::model::CallToolResult>(result)
            .map(CallToolResponse::from)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }
}
