//! MCP (Model Context Protocol) both ways.
//!
//! - **Client**: the servers of `[mcp.servers.NAME]` in `config.toml` ([`config`]) lend
//!   their tools to the workspace's [`ToolTable`] as `NAME.tool` ([`schema`], [`tool`]),
//!   so `.llt` programs, the Learner and Follower runs call them like built-ins. A
//!   server is started on first use and shut down with the table ([`hub`]); its tool list
//!   is cached in `.llmos/mcp/` ([`cache`]) for `llmos check`. The SDK (`rmcp`) is behind
//!   llmos's own [`client::McpClient`] trait ([`sdk`]).
//! - **Server**: `llmos mcp serve` offers every stored program with a goal as a tool
//!   ([`serve`]).

pub(crate) mod cache;
pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod error;
pub(crate) mod hub;
pub(crate) mod names;
mod process;
pub(crate) mod schema;
mod sdk;
pub(crate) mod serve;
mod tool;

use std::collections::BTreeMap;
use std::sync::Arc;

use client::{McpError, RemoteTool};
pub use error::{ServeError, SetupError};
use hub::Hub;

use crate::host::{Env, Host};
use crate::tools::{ToolEntry, ToolSource, ToolTable};
use crate::workspace::{Config, Workspace};

/// Where the tool lists of a workspace's servers come from.
#[derive(Clone, Copy, Debug)]
pub enum Listing<'a> {
    /// The cache only (`llmos check`): a server without a cached list adds no tools, and
    /// a note says to run `llmos mcp refresh`.
    Cached,
    /// The cache, and a server without a cached list is started once to list its tools,
    /// on the host's runtime.
    StartMissing(&'a Host),
}

/// A workspace's tools, with notes for stderr (servers that could not be listed).
pub struct WorkspaceTools {
    pub table: ToolTable,
    pub notes: Vec<String>,
}

/// The tools of the workspace: the built-in ones and those of its MCP servers, which
/// inherit what they may of `env` (the host's snapshot). Errors are configuration errors
/// (a bad server table, two tools with one name).
pub fn workspace_tools(
    ws: &Workspace,
    config: &Config,
    env: &Env,
    listing: Listing<'_>,
) -> Result<WorkspaceTools, SetupError> {
    let builtins = ToolTable::builtins();
    if config.mcp.servers.is_empty() {
        return Ok(WorkspaceTools {
            table: builtins.clone(),
            notes: Vec::new(),
        });
    }
    let servers = config.mcp.servers()?;
    let mut lists: BTreeMap<String, Vec<RemoteTool>> = BTreeMap::new();
    let mut missing = Vec::new();
    for s in &servers {
        match cache::read(&ws.state_dir, s) {
            Some(tools) => {
                lists.insert(s.name.clone(), tools);
            }
            None => missing.push(s.clone()),
        }
    }
    let mut notes = Vec::new();
    if !missing.is_empty() {
        match listing {
            Listing::Cached => {
                for s in &missing {
                    notes.push(format!(
                        "note: MCP server `{}` has no cached tool list: `llmos mcp refresh` \
                         lists its tools",
                        s.name
                    ));
                }
            }
            Listing::StartMissing(host) => {
                let runtime = host.runtime()?;
                for (name, result) in list_live(ws, env, missing, runtime) {
                    match result {
                        Ok(tools) => {
                            lists.insert(name, tools);
                        }
                        Err(e) => notes.push(format!(
                            "warning: {e}; the tools of MCP server `{name}` are not available"
                        )),
                    }
                }
            }
        }
    }
    let hub = Arc::new(Hub::new(
        servers,
        ws.root.clone(),
        ws.state_dir.clone(),
        env,
    ));
    let (table, left_out) = table_with(builtins, &hub, &lists)?;
    notes.extend(left_out.into_iter().map(|n| format!("warning: {n}")));
    Ok(WorkspaceTools { table, notes })
}

/// `base` with the tools of `lists` (server name to its listed tools), called through
/// `hub`; and why tools were left out ([`schema::Mapping::left_out`]).
pub fn table_with(
    base: &ToolTable,
    hub: &Arc<Hub>,
    lists: &BTreeMap<String, Vec<RemoteTool>>,
) -> Result<(ToolTable, Vec<String>), SetupError> {
    let mut left_out = Vec::new();
    let builtin_namespaces: std::collections::BTreeSet<&str> =
        base.keys().filter_map(|k| k.split('.').next()).collect();
    let mut entries = Vec::new();
    for server in hub.servers() {
        let Some(tools) = lists.get(&server.name) else {
            continue;
        };
        if builtin_namespaces.contains(server.name.as_str()) {
            return Err(SetupError::Namespace(server.name.clone()));
        }
        let mapping = schema::map_tools(server, tools)?;
        left_out.extend(mapping.left_out);
        for m in mapping.tools {
            let imp = tool::McpTool::new(&m, &server.name, server.timeout, Arc::clone(hub));
            entries.push(ToolEntry {
                sig_hash: m.sig_hash,
                imp: Arc::new(imp),
                source: ToolSource::Mcp {
                    server: server.name.clone(),
                    remote: m.remote.clone(),
                },
                schema: Some(Arc::new(m.llm_schema.clone())),
                decl: m.decl,
            });
        }
    }
    let table = base
        .extended(
            entries,
            Some(Arc::clone(hub) as Arc<dyn crate::tools::table::Provider>),
        )
        .map_err(SetupError::Table)?;
    Ok((table, left_out))
}

/// A server's name and what listing its tools gave.
pub type Listed = (String, Result<Vec<RemoteTool>, McpError>);

/// Starts `servers`, lists their tools (caching them) and stops them again; a result per
/// server, in order. Blocks on `runtime` (the host's): call it outside any runtime (the
/// CLI does, and `Kernel::new` before a run).
pub fn list_live(
    ws: &Workspace,
    env: &Env,
    servers: Vec<config::Server>,
    runtime: &tokio::runtime::Runtime,
) -> Vec<Listed> {
    let names: Vec<String> = servers.iter().map(|s| s.name.clone()).collect();
    let hub = Hub::new(servers, ws.root.clone(), ws.state_dir.clone(), env);
    runtime.block_on(async {
        let mut out = Vec::new();
        for name in names {
            let r = hub.list(&name).await;
            out.push((name, r));
        }
        crate::tools::table::Provider::shutdown(&hub).await;
        out
    })
}
