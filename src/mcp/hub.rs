//! The MCP servers of a tool table: each started on first use (a call, or a program about
//! to run), checked against what programs were compiled for, and shut down with the
//! table's [`Provider::shutdown`]. A server that went away is started again by the next
//! call that needs it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::client::{McpClient, McpError, McpErrorKind, RemoteTool};
use super::config::Server;
use crate::ir::ToolRef;
use crate::tools::table::{LinkError, LinkErrorKind, Provider, ProviderFuture};

/// The servers of a workspace and their connections.
pub struct Hub {
    root: PathBuf,
    state_dir: PathBuf,
    /// What a stdio server inherits of the host's environment.
    inherited: Vec<(String, std::ffi::OsString)>,
    slots: BTreeMap<String, Slot>,
}

struct Slot {
    server: Server,
    conn: tokio::sync::Mutex<Option<Arc<dyn McpClient>>>,
}

impl Hub {
    /// Servers run in `root` with what they inherit of `env` (the host's snapshot); their
    /// tool lists are cached under `state_dir`.
    pub fn new(
        servers: Vec<Server>,
        root: PathBuf,
        state_dir: PathBuf,
        env: &crate::host::Env,
    ) -> Hub {
        let slots = servers
            .into_iter()
            .map(|s| {
                let slot = Slot {
                    server: s,
                    conn: tokio::sync::Mutex::new(None),
                };
                (slot.server.name.clone(), slot)
            })
            .collect();
        Hub {
            root,
            state_dir,
            inherited: super::process::inherited(env),
            slots,
        }
    }

    /// The configured servers, in name order.
    pub fn servers(&self) -> impl Iterator<Item = &Server> {
        self.slots.values().map(|s| &s.server)
    }

    /// The connection to `server`, started when there is none (or the last one went away).
    pub async fn client(&self, server: &str) -> Result<Arc<dyn McpClient>, McpError> {
        let slot = self.slots.get(server).ok_or_else(|| {
            McpError::new(
                McpErrorKind::Unavailable,
                format!("no MCP server `{server}` is configured"),
            )
        })?;
        let mut conn = slot.conn.lock().await;
        if let Some(c) = conn.as_ref() {
            if !c.is_closed() {
                return Ok(Arc::clone(c));
            }
            c.shutdown().await;
        }
        let c = super::sdk::connect(&slot.server, &self.root, &self.inherited).await?;
        *conn = Some(Arc::clone(&c));
        Ok(c)
    }

    /// What `server` offers now (started if needed, within its startup time limit); the
    /// cache is brought up to date.
    pub async fn list(&self, server: &str) -> Result<Vec<RemoteTool>, McpError> {
        let slot = self.slots.get(server).ok_or_else(|| {
            McpError::new(
                McpErrorKind::Unavailable,
                format!("no MCP server `{server}`"),
            )
        })?;
        let client = self.client(server).await?;
        let limit = slot.server.startup_timeout;
        let tools = tokio::time::timeout(limit, client.list_tools())
            .await
            .map_err(|_| {
                McpError::new(
                    McpErrorKind::Timeout,
                    format!(
                        "MCP server `{server}` did not list its tools within {}",
                        humantime::format_duration(limit)
                    ),
                )
            })??;
        // A cache that cannot be written only costs a later start.
        let _ = super::cache::write(&self.state_dir, &slot.server, &tools);
        Ok(tools)
    }

    /// Checks the references of `refs` to `server`'s tools against its live list.
    async fn check_live(
        &self,
        server: &Server,
        refs: &[(usize, &ToolRef)],
    ) -> Result<(), LinkError> {
        let unavailable = |e: McpError| LinkError {
            index: refs.first().map_or(0, |r| r.0),
            kind: LinkErrorKind::Unavailable,
            message: format!(
                "the program calls `{}`, but {}",
                refs.first().map_or("", |r| r.1.name.as_str()),
                e.message
            ),
        };
        let tools = self.list(&server.name).await.map_err(unavailable)?;
        let mapped = super::schema::map_tools(server, &tools)
            .map_err(|e| LinkError {
                index: refs.first().map_or(0, |r| r.0),
                kind: LinkErrorKind::Unavailable,
                message: e.to_string(),
            })?
            .tools;
        for (index, r) in refs {
            let Some(m) = mapped.iter().find(|m| m.decl.name == r.name) else {
                return Err(LinkError {
                    index: *index,
                    kind: LinkErrorKind::Missing,
                    message: format!(
                        "the program calls `{}`, which the MCP server `{}` no longer offers \
                         (`llmos mcp refresh` updates the tool list)",
                        r.name, server.name
                    ),
                });
            };
            if m.sig_hash != r.sig_hash {
                return Err(LinkError {
                    index: *index,
                    kind: LinkErrorKind::Signature,
                    message: format!(
                        "tool `{}`: the program was compiled for another signature; the MCP \
                         server `{}` changed the tool since (now `{} effects({})`). Run \
                         `llmos mcp refresh` and compile the program again",
                        r.name,
                        server.name,
                        m.decl.signature(),
                        m.decl.effects
                    ),
                });
            }
        }
        Ok(())
    }
}

impl Provider for Hub {
    fn connect<'a>(&'a self, tools: &'a [ToolRef]) -> ProviderFuture<'a, Result<(), LinkError>> {
        Box::pin(async move {
            for slot in self.slots.values() {
                let prefix = format!("{}.", slot.server.name);
                let refs: Vec<(usize, &ToolRef)> = tools
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.name.starts_with(&prefix))
                    .collect();
                if !refs.is_empty() {
                    self.check_live(&slot.server, &refs).await?;
                }
            }
            Ok(())
        })
    }

    fn shutdown(&self) -> ProviderFuture<'_, ()> {
        Box::pin(async move {
            for slot in self.slots.values() {
                if let Some(c) = slot.conn.lock().await.take() {
                    c.shutdown().await;
                }
            }
        })
    }
}
