//! The real MCP peers of the `tests/it/mcp_*.rs` files: the official reference servers and
//! the TypeScript SDK from npm, installed once into a cache folder by
//! `tests/peers/mcp/install.sh` (which `.ci/run` also runs). When they cannot be
//! installed, a test fails under CI and is skipped, loudly, elsewhere.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::learn::Ws;

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

/// `[mcp.servers.everything]`: the reference server on stdio, logged, with `extra` lines.
pub fn everything_server(peers: &Path, extra: &str) -> String {
    logged_server("everything", &everything(peers), &["stdio"], extra)
}

/// `[mcp.servers.files]`: the reference filesystem server, logged, serving `<root>/data`
/// (created), with `extra` lines.
pub fn files_server(peers: &Path, root: &Path, extra: &str) -> String {
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    logged_server(
        "files",
        &filesystem(peers),
        &[data.to_str().unwrap()],
        extra,
    )
}

/// A workspace whose config is `tables`.
pub fn workspace(tables: &str) -> Ws {
    let ws = Ws::new();
    ws.write(".llmos/config.toml", tables);
    ws
}

/// A workspace with the two reference servers: `everything` (pure) and `files` (read,
/// write) on its `data/`.
pub fn two_servers(peers: &Path) -> Ws {
    let ws = Ws::new();
    let tables = everything_server(peers, "effects = [\"pure\"]")
        + &files_server(peers, ws.root(), "effects = [\"read\", \"write\"]");
    ws.write(".llmos/config.toml", &tables);
    ws
}

/// The script beside `tests/peers/mcp/install.sh` that `name` names, in the cache.
pub fn script(peers: &Path, name: &str) -> PathBuf {
    peers.join(name)
}

/// A `[mcp.servers.NAME]` table for a stdio server run by node through `sh`, which first
/// appends its process id and `name` to `pids.txt` in the workspace root and starts a helper (`sleep`)
/// in the background, as servers that start helper processes do; then `exec`s node, so
/// the id is the server's and that of its process group: every start is counted, and
/// [`assert_no_orphans`] checks that nothing of the group is left.
pub fn logged_server(name: &str, script: &Path, args: &[&str], extra: &str) -> String {
    let mut line = format!(
        "echo $$ {name} >> pids.txt; sleep 600 </dev/null >/dev/null 2>&1 & exec node '{}'",
        script.display()
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    format!("[mcp.servers.{name}]\ncommand = \"sh\"\nargs = [\"-c\", {line:?}]\n{extra}\n")
}

/// The process ids in `<root>/pids.txt`, in start order.
pub fn started(root: &Path) -> Vec<u32> {
    started_servers(root)
        .into_iter()
        .map(|(pid, _)| pid)
        .collect()
}

/// The process ids in `<root>/pids.txt` with the server names [`logged_server`] wrote
/// beside them, in start order.
pub fn started_servers(root: &Path) -> Vec<(u32, String)> {
    std::fs::read_to_string(root.join("pids.txt"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let pid = words.next()?.parse().ok()?;
            Some((pid, words.next().unwrap_or_default().to_owned()))
        })
        .collect()
}

/// The live processes (not zombies) of process group `pgid`.
pub fn group(pgid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out: Vec<u32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // After the command's `)`: state, ppid, pgrp.
            let rest: Vec<&str> = stat
                .rsplit(')')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect();
            rest.first().is_some_and(|s| *s != "Z" && *s != "X")
                && rest.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(pgid)
        })
        .collect();
    out.sort_unstable();
    out
}

/// Panics if any process of the groups of the servers started in `root` is still
/// running. A group killed a moment ago may take a moment to be gone: waits up to 10 s
/// for that, so only a real orphan fails.
pub fn assert_no_orphans(root: &Path) {
    let groups = started(root);
    let left = || -> Vec<u32> { groups.iter().flat_map(|g| group(*g)).collect() };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !left().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let left = left();
    assert!(
        left.is_empty(),
        "MCP server processes left running (process groups {groups:?}): {left:?}"
    );
}
