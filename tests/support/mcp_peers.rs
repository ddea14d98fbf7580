//! The real MCP peers of the `tests/mcp_*.rs` files: the official reference servers and
//! the TypeScript SDK from npm, installed once into a cache folder by
//! `tests/peers/mcp/install.sh` (which `.ci/run` also runs). When they cannot be
//! installed, a test fails under CI and is skipped, loudly, elsewhere.
#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The folder holding `node_modules`, or `None` (after a loud message) outside CI when the
/// peers cannot be installed.
pub fn peers() -> Option<&'static Path> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = DIR.get_or_init(install);
    match dir {
        Ok(d) => Some(d),
        Err(e) if std::env::var_os("CI").is_some() => {
            panic!("the MCP test peers are not installed and CI must run these tests: {e}")
        }
        Err(e) => {
            eprintln!("\n*** SKIPPED: the MCP test peers cannot be installed here: {e} ***\n");
            None
        }
    }
}

fn install() -> Result<PathBuf, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/mcp/install.sh");
    let out = std::process::Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !dir.join("node_modules").is_dir() {
        return Err(format!("{} has no node_modules", dir.display()));
    }
    Ok(dir)
}

/// The entry script of `@modelcontextprotocol/server-everything`.
pub fn everything(peers: &Path) -> PathBuf {
    peers.join("node_modules/@modelcontextprotocol/server-everything/dist/index.js")
}

/// The entry script of `@modelcontextprotocol/server-filesystem`.
pub fn filesystem(peers: &Path) -> PathBuf {
    peers.join("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js")
}

/// A `[mcp.servers.NAME]` table for a stdio server run by node.
pub fn stdio_server(name: &str, script: &Path, args: &[&str], extra: &str) -> String {
    let mut all = vec![format!("{:?}", script.display().to_string())];
    all.extend(args.iter().map(|a| format!("{a:?}")));
    format!(
        "[mcp.servers.{name}]\ncommand = \"node\"\nargs = [{}]\n{extra}\n",
        all.join(", ")
    )
}

/// Whether process `pid` is still alive (and not a zombie).
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// The script beside `tests/peers/mcp/install.sh` that `name` names, in the cache.
pub fn script(peers: &Path, name: &str) -> PathBuf {
    peers.join(name)
}

/// A `[mcp.servers.NAME]` table for a stdio server run by node through `sh`, which first
/// appends its process id to `pids.txt` in the workspace root (then `exec`s node, so the
/// id is the server's): every start is counted and can be checked for orphans.
pub fn logged_server(name: &str, script: &Path, args: &[&str], extra: &str) -> String {
    let mut line = format!("echo $$ >> pids.txt; exec node '{}'", script.display());
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    format!("[mcp.servers.{name}]\ncommand = \"sh\"\nargs = [\"-c\", {line:?}]\n{extra}\n")
}

/// The process ids in `<root>/pids.txt`, in start order.
pub fn started(root: &Path) -> Vec<u32> {
    std::fs::read_to_string(root.join("pids.txt"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// Panics if any server started in `root` is still running.
pub fn assert_no_orphans(root: &Path) {
    let left: Vec<u32> = started(root).into_iter().filter(|p| alive(*p)).collect();
    assert!(
        left.is_empty(),
        "MCP server processes left running: {left:?}"
    );
}
