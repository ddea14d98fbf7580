//! The cost of calling an MCP tool, against the official `server-everything` from npm on
//! stdio (installed by `tests/peers/mcp/install.sh`; the bench is skipped, loudly, when it
//! cannot be):
//!
//! - `mcp_call/builtin_text_trim`: a built-in tool (`text.trim`) invoked through the
//!   workspace's tool table, as the VM invokes it.
//! - `mcp_call/stdio_echo`: `everything.echo` through the same table: a JSON-RPC request
//!   over the server's stdin, its answer read from stdout (the server already running).
//!   The difference is the per-call overhead of MCP over stdio; the server's own work is
//!   a string copy.
//!
//! Run with `cargo bench --bench mcp`.

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use llmos::tools::{Invocation, ToolCtx};
use serde_json::Value;

/// The folder with the npm peers, or `None` (after a loud message).
fn peers() -> Option<PathBuf> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/mcp/install.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "\n*** SKIPPED mcp benches: {script} failed: {} ***\n",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn calls(c: &mut Criterion) {
    let Some(peers) = peers() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".llmos")).unwrap();
    let server = peers.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    std::fs::write(
        dir.path().join(".llmos/config.toml"),
        format!(
            "[mcp.servers.everything]\ncommand = \"node\"\nargs = [{:?}, \"stdio\"]\n\
             effects = [\"pure\"]\n",
            server.display().to_string()
        ),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // Lists the server's tools (starting it once, outside any runtime).
    let env = llmos::host::Env::new(std::env::vars_os());
    let kernel = llmos::kernel::Kernel::open(Some(dir.path()), env).unwrap();
    let tools = kernel.tools.clone();
    let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
    let call = |name: &str, args: Vec<Value>| {
        let tool = tools.tool(name).unwrap_or_else(|| panic!("no tool {name}"));
        let result = match tool.invoke(&ctx, &args) {
            Invocation::Ready(r) => r,
            Invocation::Pending(f) => runtime.block_on(f),
        };
        result.unwrap_or_else(|e| panic!("{name}: {e:?}"))
    };
    // The first call starts the server.
    assert_eq!(
        call("everything.echo", vec!["warm".into()]),
        Value::from("Echo: warm")
    );

    let mut group = c.benchmark_group("mcp_call");
    group.bench_function("builtin_text_trim", |b| {
        b.iter(|| call("text.trim", vec!["  a few words  ".into()]))
    });
    group.bench_function("stdio_echo", |b| {
        b.iter(|| call("everything.echo", vec!["a few words".into()]))
    });
    group.finish();
    runtime.block_on(tools.shutdown());
}

criterion_group!(benches, calls);
criterion_main!(benches);
