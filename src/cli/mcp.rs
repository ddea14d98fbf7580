//! `llmos mcp refresh`: list the tools of every configured MCP server again (starting
//! each) and cache them for `llmos check`. `llmos mcp serve`: the stored programs as MCP
//! tools ([`super::mcp_serve`]).

use super::program::RootArg;
use super::{CliError, Outcome};

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

pub fn run(args: Args) -> Result<Outcome, CliError> {
    match args.action {
        Action::Refresh => refresh(&args.root),
        Action::Serve(a) => super::mcp_serve::run(a, &args.root),
    }
}

fn refresh(root: &RootArg) -> Result<Outcome, CliError> {
    let host = super::host(root.root.as_deref())?;
    let ws = &host.ws;
    let servers = host.config.mcp.servers().map_err(CliError::Mcp)?;
    if servers.is_empty() {
        eprintln!(
            "no MCP servers are configured: add [mcp.servers.NAME] tables to {}",
            ws.config_path().display()
        );
        return Ok(Outcome::Success);
    }
    let listed = crate::mcp::list_live(ws, &host.env, servers.clone(), host.runtime()?);
    let mut failed = false;
    for ((name, result), server) in listed.into_iter().zip(&servers) {
        let mapped = result
            .map_err(crate::mcp::SetupError::from)
            .and_then(|tools| crate::mcp::schema::map_tools(server, &tools));
        match mapped {
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
                CliError::Mcp(e).print();
                failed = true;
            }
        }
    }
    Ok(if failed {
        Outcome::Failed
    } else {
        Outcome::Success
    })
}
