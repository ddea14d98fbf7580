//! An MCP server's tool behind the [`Tool`] trait: the VM and the Learner call it like a
//! built-in. Arguments go out under their names on the server (`null` for an optional one
//! means "not sent"); the result is the structured content as `json` when the tool
//! declares an output schema, else the text content as `str`. `isError` is a failure.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};

use super::hub::Hub;
use super::schema::{Mapped, WireParam};
use crate::tools::{Invocation, Tool, ToolCtx, ToolError};
use crate::types::Type;

/// One tool of one server.
pub struct McpTool {
    name: &'static str,
    server: String,
    remote: String,
    wire: Vec<WireParam>,
    ret: Type,
    timeout: Duration,
    hub: Arc<Hub>,
}

impl McpTool {
    pub fn new(m: &Mapped, server: &str, timeout: Duration, hub: Arc<Hub>) -> McpTool {
        McpTool {
            name: intern(&m.decl.name),
            server: server.to_owned(),
            remote: m.remote.clone(),
            wire: m.wire.clone(),
            ret: m.decl.ret.clone(),
            timeout,
            hub,
        }
    }

    /// The arguments object as the server expects it.
    fn arguments(&self, args: &[Value]) -> Map<String, Value> {
        let mut out = Map::new();
        for (w, v) in self.wire.iter().zip(args) {
            if v.is_null() && !w.required {
                continue;
            }
            out.insert(w.remote.clone(), v.clone());
        }
        out
    }
}

impl Tool for McpTool {
    fn name(&self) -> &'static str {
        self.name
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn invoke(&self, _ctx: &Arc<ToolCtx>, args: &[Value]) -> Invocation {
        let arguments = self.arguments(args);
        let (hub, server, remote) = (
            Arc::clone(&self.hub),
            self.server.clone(),
            self.remote.clone(),
        );
        let (name, ret) = (self.name, self.ret.clone());
        Invocation::Pending(Box::pin(async move {
            let client = hub
                .client(&server)
                .await
                .map_err(|e| ToolError::failed(e.message))?;
            let reply = client
                .call(&remote, arguments)
                .await
                .map_err(|e| ToolError::failed(e.message))?;
            if reply.is_error {
                let text = reply.text();
                let text = if text.is_empty() {
                    "no details given".to_owned()
                } else {
                    text
                };
                return Err(ToolError::failed(format!(
                    "`{name}` reported an error: {text}"
                )));
            }
            Ok(match (&ret, reply.structured.clone()) {
                (Type::Json, Some(v)) => v,
                // No structured content: the text, as JSON when it is JSON.
                (Type::Json, None) => {
                    let text = reply.text();
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                }
                _ => Value::String(reply.text()),
            })
        }))
    }
}

/// A `'static` copy of a tool name ([`Tool::name`] hands out `&'static str`). Each
/// distinct name is kept once per process, so a long-running server that reloads its
/// tools does not grow.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}
