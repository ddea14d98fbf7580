//! What llmos needs from an MCP client, behind its own trait: list a server's tools, call
//! one, shut down. [`super::sdk`] implements it on the official Rust SDK (`rmcp`); nothing
//! else in llmos sees the SDK's types.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A future an [`McpClient`] hands back.
pub type ClientFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A connection to one MCP server.
pub trait McpClient: Send + Sync {
    /// Every tool the server offers, in its order.
    fn list_tools(&self) -> ClientFuture<'_, Result<Vec<RemoteTool>, McpError>>;

    /// Calls the tool the server calls `tool`.
    fn call(
        &self,
        tool: &str,
        args: Map<String, Value>,
    ) -> ClientFuture<'_, Result<CallReply, McpError>>;

    /// Whether the connection is gone (the server exited, the transport failed).
    fn is_closed(&self) -> bool;

    /// Closes the connection and, for a stdio server, ends its processes (stdin closed,
    /// then SIGTERM, then SIGKILL to its process group); returns when they are gone.
    fn shutdown(&self) -> ClientFuture<'_, ()>;
}

/// A tool as a server lists it: what the tool list cache keeps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RemoteTool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "inputSchema", default = "empty_object")]
    pub input_schema: Value,
    #[serde(
        rename = "outputSchema",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub output_schema: Option<Value>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A tool call's result.
#[derive(Clone, Debug, PartialEq)]
pub struct CallReply {
    /// The content blocks, in order.
    pub content: Vec<Content>,
    /// `structuredContent`, when the server gave one.
    pub structured: Option<Value>,
    /// `isError`: the tool ran and failed.
    pub is_error: bool,
}

/// One content block of a result.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    Text(String),
    /// Anything else (an image, audio, a resource), summarized: `[image image/png, 120 bytes]`.
    Other(String),
}

impl CallReply {
    /// Reads a `CallToolResult` as JSON. Unknown content kinds are summarized, never refused.
    pub fn from_json(v: &Value) -> CallReply {
        let content = v
            .get("content")
            .and_then(Value::as_array)
            .map(|blocks| blocks.iter().map(Content::from_json).collect())
            .unwrap_or_default();
        CallReply {
            content,
            structured: v.get("structuredContent").cloned(),
            is_error: v.get("isError").and_then(Value::as_bool).unwrap_or(false),
        }
    }

    /// The text content, blocks joined by newlines.
    pub fn text(&self) -> String {
        let parts: Vec<&str> = self
            .content
            .iter()
            .map(|c| match c {
                Content::Text(t) | Content::Other(t) => t.as_str(),
            })
            .collect();
        parts.join("\n")
    }
}

impl Content {
    fn from_json(block: &Value) -> Content {
        let kind = block
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        if kind == "text" {
            let text = block
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Content::Text(text.to_owned());
        }
        let mime = block
            .get("mimeType")
            .or_else(|| block.pointer("/resource/mimeType"))
            .and_then(Value::as_str);
        let size = block
            .get("data")
            .or_else(|| block.pointer("/resource/blob"))
            .and_then(Value::as_str)
            .map(|d| d.len() / 4 * 3);
        let uri = block
            .get("uri")
            .or_else(|| block.pointer("/resource/uri"))
            .and_then(Value::as_str);
        let mut s = format!("[{kind}");
        for part in [
            mime.map(str::to_owned),
            size.map(|n| format!("{n} bytes")),
            uri.map(str::to_owned),
        ]
        .into_iter()
        .flatten()
        {
            s.push(' ');
            s.push_str(&part);
        }
        s.push(']');
        if let Some(text) = block.pointer("/resource/text").and_then(Value::as_str) {
            s.push('\n');
            s.push_str(text);
        }
        Content::Other(s)
    }
}

/// Why a server could not be reached or a request got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct McpError {
    pub kind: McpErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum McpErrorKind {
    /// The server could not be started or reached, or it went away.
    Unavailable,
    /// No answer within the time limit.
    Timeout,
    /// The server answered the request with a protocol error.
    Protocol,
}

impl McpError {
    pub fn new(kind: McpErrorKind, message: impl Into<String>) -> McpError {
        McpError {
            kind,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replies_from_json() {
        let r = CallReply::from_json(&json!({
            "content": [
                {"type": "text", "text": "a"},
                {"type": "image", "mimeType": "image/png", "data": "AAAA"},
                {"type": "resource", "resource": {"uri": "file:///x", "mimeType": "text/plain", "text": "hi"}},
            ],
            "isError": true,
        }));
        assert!(r.is_error);
        assert_eq!(r.structured, None);
        assert_eq!(
            r.text(),
            "a\n[image image/png 3 bytes]\n[resource text/plain file:///x]\nhi"
        );
        let r = CallReply::from_json(&json!({"content": [], "structuredContent": {"t": 1}}));
        assert_eq!(r.structured, Some(json!({"t": 1})));
        assert!(!r.is_error);
    }
}
