//! `llmos mcp refresh`: list the tools of every configured MCP server again (starting
//! each) and cache them for `llmos check`. `llmos mcp serve`: the stored programs as MCP
//! tools ([`super::mcp_serve`]).

use super::Outcome;
use super::program::RootArg;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
    #[command(flatten)]
    pub root: RootArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Start every `[mcp.servers.NAME]` of config.toml, list its tools and cache the list
    /// in .llmos/mcp/ (what `llmos check` reads).
    Refresh,
    /// Serve every stored program with a goal as an MCP tool (stdio, or streamable HTTP
    /// on a loopback address with --http).
    Serve(super::mcp_serve::Args),
}

pub fn run(args: Args) -> Outcome {
    match args.action {
        Action::Refresh => refresh(&args.root),
        Action::Serve(a) => super::mcp_serve::run(a, &args.root),
    }
}

fn refresh(root: &RootArg) -> Outcome {
    let host = match super::host(root.root.as_deref()) {
        Ok(host) => host,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Failed;
        }
    };
    let ws = &host.ws;
    let servers = match host.config.mcp.servers() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Failed;
        }
    };
    if servers.is_empty() {
        eprintln!(
            "no MCP servers are configured: add [mcp.servers.NAME] tables to {}",
            ws.config_path().display()
        );
        return Outcome::Success;
    }
    let listed = match host.runtime() {
        Ok(rt) => crate::mcp::list_live(ws, &host.env, servers.clone(), rt),
        Err(e) => {
            eprintln!("error: {e}");
            return Outcome::Failed;
        }
    };
    let mut failed = false;
    for ((name, result), server) in listed.into_iter().zip(&servers) {
        match result.and_then(|tools| crate::mcp::schema::map_tools(server, &tools)) {
            Ok(mapping) => {
                let s = if mapping.tools.len() == 1 { "" } else { "s" };
                outln!("{name}: {} tool{s}", mapping.tools.len());
                for m in mapping.tools {
                    outln!("  {}  effects({})", m.decl.signature(), m.decl.effects);
                }
                for note in mapping.left_out {
                    eprintln!("warning: {note}");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        Outcome::Failed
    } else {
        Outcome::Success
    }
}
