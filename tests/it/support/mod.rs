//! Setup shared by the integration tests: temporary workspaces, the real binary run in
//! them, the loopback LLM, and the real peers (MCP servers, an S3 server) on loopback.

pub mod cli_exec;
pub mod learn;
pub mod learning;
pub mod llm;
pub mod mcp_peers;
pub mod remote;
pub mod vm;

/// The name this binary's harness knows `test` by, for the file whose `module_path!()` is
/// `module` (`it::db_ledger` and `child_spender` give `db_ledger::child_spender`): for a
/// test that re-runs this binary as a child with `--exact NAME`.
pub fn test_name(module: &str, test: &str) -> String {
    let file = module.split_once("::").map_or(module, |(_, rest)| rest);
    format!("{file}::{test}")
}
