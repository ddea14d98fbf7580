//! [`McpClient`] on the official Rust SDK (`rmcp`): stdio servers as child processes
//! ([`ServerProcess`]), streamable HTTP servers through llmos's HTTP client. The SDK's
//! types stay in this file: results and tool lists cross over as JSON.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Map, Value};

use super::client::{CallReply, ClientFuture, McpClient, McpError, McpErrorKind, RemoteTool};
use super::config::{Server, Transport};
use super::process::ServerProcess;

type Service = RunningService<RoleClient, ClientConfig>;

/// A connected server.
struct Connection {
    name: String,
    peer: rmcp::Peer<RoleClient>,
    service: tokio::sync::Mutex<Option<Service>>,
    process: tokio::sync::Mutex<Option<ServerProcess>>,
    /// Set once the process has been seen gone: its exit and last stderr lines.
    gone: Mutex<Option<String>>,
}

/// Starts (stdio) or reaches (HTTP) `server` and initializes the session, all within its
/// `startup_timeout`. A stdio server runs in `root` with the `inherited` environment.
pub async fn connect(
    server: &Server,
    root: &Path,
    inherited: &[(String, std::ffi::OsString)],
) -> Result<Arc<dyn McpClient>, McpError> {
    let limit = server.startup_timeout;
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("llmos", env!("CARGO_PKG_VERSION")),
    );
    match &server.transport {
        Transport::Stdio { command, args, env } => {
            let (mut process, stdout, stdin) =
                ServerProcess::spawn(command, args, inherited, env, root).map_err(|e| {
                    unavailable(format!(
                        "MCP server `{}`: cannot start `{command}`: {e}",
                        server.name
                    ))
                })?;
            let started = tokio::time::timeout(limit, info.serve((stdout, stdin))).await;
            let service = match started {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    // A server that is exiting says why in its status and stderr.
                    let why = process
                        .exit_note(Duration::from_millis(500))
                        .await
                        .unwrap_or_else(|| e.to_string());
                    process.shutdown().await;
                    return Err(unavailable(format!(
                        "MCP server `{}` did not start: {why}",
                        server.name
                    )));
                }
                Err(_) => {
                    process.shutdown().await;
                    return Err(McpError::new(
                        McpErrorKind::Timeout,
                        format!(
                            "MCP server `{}` did not answer within {} of starting \
                             (`startup_timeout` in its [mcp.servers.{}] table)",
                            server.name,
                            humantime::format_duration(limit),
                            server.name
                        ),
                    ));
                }
            };
            Ok(Arc::new(Connection::new(
                &server.name,
                service,
                Some(process),
            )))
        }
        Transport::Http { url } => {
            use rmcp::transport::StreamableHttpClientTransport;
            use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
            let client = crate::http::client_builder()
                .user_agent(concat!("llmos/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(limit)
                .pool_max_idle_per_host(0)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| unavailable(format!("cannot set up the HTTP client: {e}")))?;
            let transport = StreamableHttpClientTransport::with_client(
                client,
                StreamableHttpClientTransportConfig::with_uri(url.as_str()),
            );
            let service = match tokio::time::timeout(limit, info.serve(transport)).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    return Err(unavailable(format!(
                        "MCP server `{}` at {url} cannot be reached: {e}",
                        server.name
                    )));
                }
                Err(_) => {
                    return Err(McpError::new(
                        McpErrorKind::Timeout,
                        format!(
                            "MCP server `{}` at {url} did not answer within {}",
                            server.name,
                            humantime::format_duration(limit)
                        ),
                    ));
                }
            };
            Ok(Arc::new(Connection::new(&server.name, service, None)))
        }
    }
}

fn unavailable(message: String) -> McpError {
    McpError::new(McpErrorKind::Unavailable, message)
}

impl Connection {
    fn new(name: &str, service: Service, process: Option<ServerProcess>) -> Connection {
        Connection {
            name: name.to_owned(),
            peer: service.peer().clone(),
            service: tokio::sync::Mutex::new(Some(service)),
            process: tokio::sync::Mutex::new(process),
            gone: Mutex::new(None),
        }
    }

    /// What to say when a request failed: the server's exit, if it exited.
    async fn failure(&self, e: rmcp::ServiceError) -> McpError {
        if let Some(p) = self.process.lock().await.as_mut() {
            // A server that just closed its end may still be exiting.
            let within = if self.peer.is_transport_closed() {
                Duration::from_millis(500)
            } else {
                Duration::ZERO
            };
            if let Some(note) = p.exit_note(within).await {
                if let Ok(mut g) = self.gone.lock() {
                    *g = Some(note.clone());
                }
                return unavailable(format!("MCP server `{}` went away: {note}", self.name));
            }
        }
        match e {
            rmcp::ServiceError::McpError(data) => McpError::new(
                McpErrorKind::Protocol,
                format!(
                    "MCP server `{}` refused the request: {}",
                    self.name, data.message
                ),
            ),
            other => unavailable(format!("MCP server `{}`: {other}", self.name)),
        }
    }
}

impl McpClient for Connection {
    fn list_tools(&self) -> ClientFuture<'_, Result<Vec<RemoteTool>, McpError>> {
        Box::pin(async move {
            let tools = match self.peer.list_all_tools().await {
                Ok(t) => t,
                Err(e) => return Err(self.failure(e).await),
            };
            tools
                .into_iter()
                .map(|t| {
                    let v = serde_json::to_value(&t).unwrap_or(Value::Null);
                    serde_json::from_value(v).map_err(|e| {
                        McpError::new(
                            McpErrorKind::Protocol,
                            format!(
                                "MCP server `{}` listed a tool llmos cannot read: {e}",
                                self.name
                            ),
                        )
                    })
                })
                .collect()
        })
    }

    fn call(
        &self,
        tool: &str,
        args: Map<String, Value>,
    ) -> ClientFuture<'_, Result<CallReply, McpError>> {
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(args);
        Box::pin(async move {
            match self.peer.call_tool(params).await {
                Ok(r) => Ok(CallReply::from_json(
                    &serde_json::to_value(&r).unwrap_or(Value::Null),
                )),
                Err(e) => Err(self.failure(e).await),
            }
        })
    }

    fn is_closed(&self) -> bool {
        self.peer.is_transport_closed() || self.gone.lock().map(|g| g.is_some()).unwrap_or(true)
    }

    fn shutdown(&self) -> ClientFuture<'_, ()> {
        Box::pin(async move {
            if let Some(mut s) = self.service.lock().await.take() {
                // Closing the transport closes the server's stdin.
                let _ = s.close_with_timeout(Duration::from_secs(2)).await;
            }
            if let Some(mut p) = self.process.lock().await.take() {
                p.shutdown().await;
            }
        })
    }
}
