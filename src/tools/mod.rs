//! Built-in tools, one module per namespace, all behind one [`Tool`] trait. The VM and the
//! Learner call tools only through this layer, so the sandbox and the capability checks
//! are the same for both.
//!
//! Arguments arrive positionally, one value per declared parameter in declaration order,
//! with defaults filled in and types already checked against the declaration.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::value::Value;

/// What a tool call gives back.
pub type ToolResult = Result<Value, ToolError>;

/// A tool call still under way.
pub type ToolFuture = Pin<Box<dyn Future<Output = ToolResult> + Send + 'static>>;

/// A call either finishes at once (cheap pure tools, small file operations: no task, no
/// allocation for the future) or hands back a future for the scheduler to drive.
pub enum Invocation {
    Ready(ToolResult),
    Pending(ToolFuture),
}

/// One built-in tool.
pub trait Tool: Send + Sync + 'static {
    /// The declared name, `namespace.name`.
    fn name(&self) -> &'static str;

    /// The default time limit of one call.
    fn timeout(&self) -> Duration {
        Duration::from_secs(30)
    }

    /// Runs the tool. `args` has one value per declared parameter, in order.
    fn invoke(&self, ctx: &Arc<ToolCtx>, args: &[Value]) -> Invocation;
}

/// Why a tool call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ToolError {
    pub kind: ToolErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToolErrorKind {
    /// The tool ran and reported a failure (missing file, bad JSON, HTTP 404, ...).
    Failed,
    /// The call tried to leave the workspace root.
    Sandbox,
    /// An argument had the wrong shape at run time (a `json` value that is not a list, ...).
    BadArgument,
    /// The call went over its time limit.
    Timeout,
}

impl ToolError {
    pub fn failed(message: impl Into<String>) -> ToolError {
        ToolError {
            kind: ToolErrorKind::Failed,
            message: message.into(),
        }
    }
    pub fn sandbox(message: impl Into<String>) -> ToolError {
        ToolError {
            kind: ToolErrorKind::Sandbox,
            message: message.into(),
        }
    }
    pub fn bad_argument(message: impl Into<String>) -> ToolError {
        ToolError {
            kind: ToolErrorKind::BadArgument,
            message: message.into(),
        }
    }
}

/// What every tool call may use: the workspace root and run-wide limits.
#[derive(Debug)]
pub struct ToolCtx {
    /// The workspace root, canonicalized. File tools never touch anything outside it.
    pub root: PathBuf,
}
