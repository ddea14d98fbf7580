//! Setup shared by the integration tests: temporary workspaces, the real binary run in
//! them, the loopback LLM, and the real peers (MCP servers, an S3 server) on loopback.

pub mod cli_exec;
pub mod learn;
pub mod learning;
pub mod llm;
pub mod long_recording;
pub mod mcp_peers;
pub mod remote;
pub mod templates;
pub mod vm;

use std::path::Path;

/// The `llmos` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_llmos");

/// Environment variables no `llmos` a test starts inherits from the test process: the
/// LLM's keys and endpoints, the model, and the home of the state (a developer's own
/// settings must not change what a test sees).
pub const SCRUBBED: &[&str] = &[
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "LLMOS_MODEL",
    "LLMOS_HOME",
];

/// `llmos` to run in `dir`, inheriting none of [`SCRUBBED`].
pub fn llmos_command(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(BIN);
    cmd.current_dir(dir);
    for name in SCRUBBED {
        cmd.env_remove(name);
    }
    cmd
}

/// The name this binary's harness knows `test` by, for the file whose `module_path!()` is
/// `module` (`it::db_ledger` and `child_spender` give `db_ledger::child_spender`): for a
/// test that re-runs this binary as a child with `--exact NAME`.
pub fn test_name(module: &str, test: &str) -> String {
    let file = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{file}::{test}")
}
