//! Built-in tools, one module per namespace, all behind one [`Tool`] trait. The VM and the
//! Learner call tools only through this layer, so the sandbox and the capability checks
//! are the same for both.
//!
//! Arguments arrive positionally, one value per declared parameter in declaration order,
//! with defaults filled in and types already checked against the declaration
//! ([`bind_named`] does that for named arguments, as an LLM sends them).
//!
//! Cheap tools (text, list, math, json, csv, hash, fs) answer with [`Invocation::Ready`];
//! tools that wait on the world (http, shell, time.sleep) hand back a future.
//!
//! Default time limits ([`Tool::timeout`]): pure tools and file tools 10 s; `http.*` 605 s
//! (the request itself is limited to [`Limits::http_timeout`], `[limits] http_timeout`,
//! 30 s by default and at most 600 s, so the request's clearer error comes first); `shell.run` 60 s; `time.now` 10 s; `time.sleep` 1 h, so
//! that it never interferes with the scheduler or watchdog it is used to test.

pub(crate) mod bind;
pub(crate) mod csv;
pub(crate) mod fs;
pub(crate) mod hash;
pub(crate) mod http;
pub(crate) mod json;
pub(crate) mod list;
pub(crate) mod math;
pub(crate) mod registry;
pub(crate) mod sandbox;
pub(crate) mod shell;
pub(crate) mod table;
pub(crate) mod text;
pub(crate) mod textform;
pub(crate) mod time;
pub(crate) mod work;

use std::ffi::OsString;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::limits::{Limit, LimitsConfig, ValueMeter, format_size};
use crate::value::{Value, kind_of};
use crate::workspace::{Config, Workspace};
use sandbox::Sandbox;

pub use bind::{ArgProblem, BadArguments, Hint, bind_named};
pub use registry::Builtin;
pub use table::{ToolEntry, ToolSource, ToolTable};

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

    /// [`Tool::invoke`] with arguments it may keep (a call that runs on a worker thread
    /// takes them along instead of copying them).
    fn invoke_owned(&self, ctx: &Arc<ToolCtx>, args: Vec<Value>) -> Invocation {
        self.invoke(ctx, &args)
    }
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
    /// The call went over a size limit (`[limits]` in config.toml).
    Limit,
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
    pub fn timeout(message: impl Into<String>) -> ToolError {
        ToolError {
            kind: ToolErrorKind::Timeout,
            message: message.into(),
        }
    }
    /// Over `limit` (its message names the limit and the key that raises it).
    pub fn limit(limit: Limit, what: impl std::fmt::Display, max: u64) -> ToolError {
        ToolError {
            kind: ToolErrorKind::Limit,
            message: limit.exceeded(what, max),
        }
    }
}

/// Run-wide limits of the tools (their defaults and config keys: [`crate::limits`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time limit of one HTTP request, from connecting to the last byte of the body.
    pub http_timeout: Duration,
    /// Largest HTTP response body accepted, in bytes.
    pub http_max_bytes: usize,
    /// Bytes of stdout and of stderr kept from one `shell.run`; the rest is dropped and a
    /// note says how much.
    pub shell_output_max: usize,
    /// Largest file `fs.read` accepts, in bytes.
    pub fs_read_max: u64,
    /// Largest file `fs.write` or `fs.append` may leave.
    pub file_write_max: u64,
    /// All the bytes the writes of a run may ask to write.
    pub run_writes_max: u64,
    /// Largest value a step may make ([`crate::value::size_of`]).
    pub value_max: u64,
    /// All the values a run holds at once.
    pub run_values_max: u64,
    /// Largest text `csv.parse` takes.
    pub csv_input_max: u64,
}

impl Limits {
    /// The limits of the `[limits]` table (defaults for what it does not set).
    pub fn from_config(c: &LimitsConfig) -> Limits {
        let size = |l| usize::try_from(c.get(l)).unwrap_or(usize::MAX);
        Limits {
            http_timeout: c.http_timeout(),
            http_max_bytes: size(Limit::HttpBody),
            shell_output_max: size(Limit::ShellOutput),
            fs_read_max: c.get(Limit::FileRead),
            file_write_max: c.get(Limit::FileWrite),
            run_writes_max: c.get(Limit::RunWrites),
            value_max: c.get(Limit::Value),
            run_values_max: c.get(Limit::RunValues),
            csv_input_max: c.get(Limit::CsvInput),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::from_config(&LimitsConfig::default())
    }
}

/// What every tool call may use: the workspace root, run-wide limits and counters. Cheap
/// to build: the HTTP client is made on first use.
#[derive(Debug)]
pub struct ToolCtx {
    /// The workspace root, canonicalized. File tools never touch anything outside it.
    pub root: PathBuf,
    /// The root held open: file tools open everything through it.
    pub sandbox: Sandbox,
    /// Time and size limits.
    pub limits: Limits,
    /// The environment `shell.run` gives a program: `PATH`, `HOME`, `LANG` and the
    /// configured names, with the values the host's environment snapshot has (a tool
    /// never reads the process environment).
    pub shell_env: Vec<(String, OsString)>,
    /// Bytes the run's writes asked to write so far.
    written: AtomicU64,
    /// The values the run holds now, against `limits.run_values`.
    values: ValueMeter,
    /// Run every body on the calling thread (no worker threads, so never a future from
    /// a [`registry::Body::Work`]): for [`call_pure`], which is not in a run.
    inline_only: bool,
    /// The HTTPS client (system roots, set up on first use: a few milliseconds).
    http: OnceLock<reqwest::Client>,
    /// The client for plain `http://` URLs: no TLS roots to load (microseconds).
    plain: OnceLock<reqwest::Client>,
}

impl ToolCtx {
    /// A context for the workspace at `root` (which must be an existing folder), with the
    /// default [`Limits`]; the state folder is `.llmos` at the root.
    pub fn new(root: &Path) -> Result<ToolCtx, ToolError> {
        ToolCtx::with_limits(root, Limits::default())
    }

    /// A context with explicit limits.
    pub fn with_limits(root: &Path, limits: Limits) -> Result<ToolCtx, ToolError> {
        ToolCtx::build(root, None, limits, Vec::new())
    }

    /// The context of a workspace: its state folder refused wherever it is, the limits
    /// of its config, and the `shell.run` environment: `PATH`, `HOME`, `LANG` and the names
    /// of its config, valued by `env` (the host's snapshot).
    pub fn for_workspace(
        ws: &Workspace,
        config: &Config,
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> Result<ToolCtx, ToolError> {
        let limits = Limits::from_config(&config.limits);
        ToolCtx::build(
            &ws.root,
            Some(&ws.state_dir),
            limits,
            shell::passed_env(&config.shell.env, env),
        )
    }

    fn build(
        root: &Path,
        state: Option<&Path>,
        limits: Limits,
        shell_env: Vec<(String, OsString)>,
    ) -> Result<ToolCtx, ToolError> {
        let fail = |e: std::io::Error| {
            ToolError::failed(format!("workspace root `{}`: {e}", root.display()))
        };
        let root = root.canonicalize().map_err(fail)?;
        if !root.is_dir() {
            return Err(ToolError::failed(format!(
                "workspace root `{}` is not a folder",
                root.display()
            )));
        }
        let sandbox = Sandbox::open(&root, state).map_err(fail)?;
        let values = ValueMeter::new(limits.run_values_max);
        Ok(ToolCtx {
            root,
            sandbox,
            limits,
            shell_env,
            written: AtomicU64::new(0),
            values,
            inline_only: false,
            http: OnceLock::new(),
            plain: OnceLock::new(),
        })
    }

    /// A context outside any workspace: every file is refused, every body runs on the
    /// calling thread. For pure tools, which never look at the root, and the recording
    /// compiler's replay, whose tools answer from a recording.
    pub fn detached() -> ToolCtx {
        ToolCtx {
            root: PathBuf::new(),
            sandbox: Sandbox::none(),
            limits: Limits::default(),
            shell_env: Vec::new(),
            written: AtomicU64::new(0),
            values: ValueMeter::new(Limits::default().run_values_max),
            inline_only: true,
            http: OnceLock::new(),
            plain: OnceLock::new(),
        }
    }

    /// The values the run holds now (its own and its blocks'), against
    /// [`Limits::run_values_max`].
    pub fn values(&self) -> &ValueMeter {
        &self.values
    }

    /// Counts `bytes` more written by the run; an error once over
    /// [`Limits::run_writes_max`].
    pub fn count_write(&self, bytes: u64) -> Result<(), ToolError> {
        let before = self.written.fetch_add(bytes, Ordering::Relaxed);
        let total = before.saturating_add(bytes);
        if total > self.limits.run_writes_max {
            self.written.fetch_sub(bytes, Ordering::Relaxed);
            return Err(ToolError::limit(
                Limit::RunWrites,
                format!("the run's writes would come to {}", format_size(total)),
                self.limits.run_writes_max,
            ));
        }
        Ok(())
    }

    /// The shared HTTP client, built on first use. Building fails only when TLS cannot be
    /// set up, which is reported as a tool failure.
    pub fn http_client(&self) -> Result<&reqwest::Client, ToolError> {
        self.client(&self.http, true)
    }

    /// The client for `url`: plain `http://` URLs use one that loads no TLS roots.
    pub fn http_client_for(&self, url: &str) -> Result<&reqwest::Client, ToolError> {
        let plain = url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"));
        if plain {
            self.client(&self.plain, false)
        } else {
            self.http_client()
        }
    }

    fn client<'a>(
        &self,
        cell: &'a OnceLock<reqwest::Client>,
        tls: bool,
    ) -> Result<&'a reqwest::Client, ToolError> {
        if let Some(client) = cell.get() {
            return Ok(client);
        }
        let mut builder = crate::http::client_builder()
            .user_agent(concat!("llmos/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(self.limits.http_timeout);
        if !tls {
            // Plain HTTP only: no TLS roots to load. An `https://` redirect then fails
            // to verify, which is an error the tool reports.
            builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
        }
        let client = builder
            .build()
            .map_err(|e| ToolError::failed(format!("cannot set up the HTTP client: {e}")))?;
        // Another thread may have won the race; either client is as good.
        Ok(cell.get_or_init(|| client))
    }
}

/// Runs a `pure` built-in tool that answers at once, outside any workspace: the
/// recording compiler transforms recorded values with it exactly as a program will.
/// `None` when `name` is not such a tool.
pub fn call_pure(name: &str, args: &[Value]) -> Option<ToolResult> {
    static CTX: OnceLock<Arc<ToolCtx>> = OnceLock::new();
    let table = ToolTable::builtins();
    let decl = table.get(name)?;
    if decl.effects.iter().any(|e| e != crate::types::Effect::Pure) {
        return None;
    }
    let ctx = CTX.get_or_init(|| Arc::new(ToolCtx::detached()));
    match table.tool(name)?.invoke(ctx, args) {
        Invocation::Ready(r) => Some(r),
        Invocation::Pending(_) => None,
    }
}

/// The size of a result being built, counted against [`Limits::value_max`] as it grows,
/// so that a tool stops before it makes a value over the limit.
pub(crate) struct Budget {
    used: u64,
    max: u64,
}

impl Budget {
    pub fn new(ctx: &ToolCtx) -> Budget {
        Budget {
            used: 0,
            max: ctx.limits.value_max,
        }
    }

    /// Counts `bytes` more; an error once over the limit.
    pub fn add(&mut self, bytes: u64) -> Result<(), ToolError> {
        self.used = self.used.saturating_add(bytes);
        if self.used > self.max {
            return Err(ToolError::limit(
                Limit::Value,
                format!("the result would take {}", format_size(self.used)),
                self.max,
            ));
        }
        Ok(())
    }

    /// Counts a list element of `bytes`.
    pub fn element(&mut self, bytes: usize) -> Result<(), ToolError> {
        self.add(crate::value::ELEMENT_BYTES + bytes as u64)
    }
}

/// Argument `i` (named `name`) as text. The VM has already checked declared types, so
/// a failure here means a caller bypassed that check; it is still an error, not a panic.
pub(crate) fn arg_str<'a>(args: &'a [Value], i: usize, name: &str) -> Result<&'a str, ToolError> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(ToolError::bad_argument(format!(
            "argument `{name}` must be text, found {}",
            kind_of(other)
        ))),
        None => Err(missing(name)),
    }
}

/// Argument `i` (named `name`), any JSON value.
pub(crate) fn arg<'a>(args: &'a [Value], i: usize, name: &str) -> Result<&'a Value, ToolError> {
    args.get(i).ok_or_else(|| missing(name))
}

/// Argument `i` (named `name`) as a list.
pub(crate) fn arg_list<'a>(
    args: &'a [Value],
    i: usize,
    name: &str,
) -> Result<&'a [Value], ToolError> {
    match args.get(i) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(ToolError::bad_argument(format!(
            "argument `{name}` must be a list, found {}",
            kind_of(other)
        ))),
        None => Err(missing(name)),
    }
}

fn missing(name: &str) -> ToolError {
    ToolError::bad_argument(format!("argument `{name}` is missing"))
}

/// A float result; non-finite numbers have no JSON form and are an error.
pub(crate) fn float_value(f: f64, what: &str) -> Result<Value, ToolError> {
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| ToolError::failed(format!("{what} is not a finite number")))
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Helpers shared by the tool tests.
    use super::*;

    /// A fresh workspace and a context on it.
    pub fn workspace() -> (tempfile::TempDir, Arc<ToolCtx>) {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
        (dir, ctx)
    }

    /// Calls a built-in tool and waits for its answer.
    pub fn call(ctx: &Arc<ToolCtx>, name: &str, args: &[Value]) -> ToolResult {
        let tool = ToolTable::builtins()
            .tool(name)
            .unwrap_or_else(|| panic!("no tool {name}"));
        match tool.invoke(ctx, args) {
            Invocation::Ready(r) => r,
            // Work on a worker thread (a listing, a large input): wait for it.
            Invocation::Pending(f) => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(f),
        }
    }

    /// Calls a built-in tool that hands back a future (which owns what it needs: `args`
    /// may go away at once).
    pub fn call_async(ctx: &Arc<ToolCtx>, name: &str, args: &[Value]) -> ToolFuture {
        let tool = ToolTable::builtins()
            .tool(name)
            .unwrap_or_else(|| panic!("no tool {name}"));
        match tool.invoke(ctx, args) {
            Invocation::Ready(_) => panic!("{name} should hand back a future"),
            Invocation::Pending(f) => f,
        }
    }

    /// Calls a pure tool with a throwaway context (pure tools never look at it).
    pub fn pure(name: &str, args: &[Value]) -> ToolResult {
        static CTX: OnceLock<Arc<ToolCtx>> = OnceLock::new();
        let ctx = CTX.get_or_init(|| Arc::new(ToolCtx::new(&std::env::temp_dir()).unwrap()));
        call(ctx, name, args)
    }
}
