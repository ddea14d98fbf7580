//! Why the MCP servers' tools could not be set up (a bad `[mcp.servers.NAME]` table, a
//! tool name llmos cannot tell apart, a list that could not be cached) and why `llmos mcp
//! serve` could not serve. Each variant has a stable kind and kebab-case code
//! ([`Coded`]) for the CLI edge; the messages are the ones people read.
//!
//! A call to a running server that fails is a [`McpError`] (the client's), which a
//! tool call reports as the tool's failure.

use super::client::McpError;
use crate::diag::Coded;

/// Why a workspace's MCP tools could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// A `[mcp.servers.NAME]` table is wrong; the message names the key.
    #[error("[mcp.servers.{server}]: {message}")]
    Config { server: String, message: String },
    /// A server is named after the namespace of built-in tools.
    #[error(
        "[mcp.servers.{0}]: `{0}` is the namespace of built-in tools; name the server otherwise"
    )]
    Namespace(String),
    /// A tool or parameter name gives no llt name, or two give the same one.
    #[error("{0}")]
    Naming(String),
    /// The tool table refused the servers' tools (two with one name).
    #[error(transparent)]
    Table(#[from] crate::tools::table::DuplicateTool),
    /// A server could not be started, reached or listed.
    #[error(transparent)]
    Server(#[from] McpError),
    /// The tool list cache could not be written.
    #[error("{0}")]
    Cache(String),
    /// The host's runtime, on which servers are started, could not start.
    #[error(transparent)]
    Runtime(#[from] crate::host::HostError),
}

impl Coded for SetupError {
    fn kind(&self) -> &'static str {
        match self {
            SetupError::Config { .. } | SetupError::Namespace(_) => "config",
            SetupError::Naming(_) | SetupError::Table(_) => "tools",
            SetupError::Server(_) => "mcp",
            SetupError::Cache(_) => "workspace",
            SetupError::Runtime(e) => e.kind(),
        }
    }

    fn code(&self) -> &'static str {
        match self {
            SetupError::Config { .. } => "mcp-config",
            SetupError::Namespace(_) => "mcp-namespace",
            SetupError::Naming(_) => "mcp-tool-name",
            SetupError::Table(_) => "mcp-tool-table",
            SetupError::Server(_) => "mcp-unavailable",
            SetupError::Cache(_) => "mcp-cache",
            SetupError::Runtime(e) => e.code(),
        }
    }
}

/// Why `llmos mcp serve` could not serve.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The trace library or the store could not be read.
    #[error("{0}")]
    Library(String),
    /// `--http` names an address that is not loopback.
    #[error("--http {0}: llmos serves MCP on a loopback address only (127.0.0.1, ::1)")]
    NotLoopback(std::net::SocketAddr),
    /// The socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// The MCP session did not start.
    #[error("the MCP session did not start: {0}")]
    Session(String),
}

impl Coded for ServeError {
    fn kind(&self) -> &'static str {
        match self {
            ServeError::Library(_) => "workspace",
            ServeError::NotLoopback(_) | ServeError::Listen { .. } => "config",
            ServeError::Session(_) => "mcp",
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ServeError::Library(_) => "mcp-library",
            ServeError::NotLoopback(_) => "mcp-not-loopback",
            ServeError::Listen { .. } => "mcp-listen",
            ServeError::Session(_) => "mcp-session",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_kebab_case_and_distinct() {
        let setup = [
            SetupError::Config {
                server: "a".into(),
                message: "m".into(),
            },
            SetupError::Namespace("fs".into()),
            SetupError::Naming("n".into()),
            SetupError::Table(crate::tools::table::DuplicateTool("t.x".into())),
            SetupError::Server(McpError::new(
                super::super::client::McpErrorKind::Unavailable,
                "gone",
            )),
            SetupError::Cache("c".into()),
        ];
        let addr: std::net::SocketAddr = "10.0.0.1:80".parse().unwrap();
        let serve = [
            ServeError::Library("l".into()),
            ServeError::NotLoopback(addr),
            ServeError::Listen {
                addr,
                source: std::io::Error::other("busy"),
            },
            ServeError::Session("s".into()),
        ];
        let mut codes: Vec<&str> = setup.iter().map(Coded::code).collect();
        codes.extend(serve.iter().map(Coded::code));
        for c in &codes {
            assert!(
                c.starts_with("mcp-") && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{c}"
            );
        }
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n, "two variants share a code");
        assert_eq!(
            setup[1].to_string(),
            "[mcp.servers.fs]: `fs` is the namespace of built-in tools; name the server otherwise"
        );
        assert_eq!(serve[1].json()["code"], "mcp-not-loopback");
    }
}
