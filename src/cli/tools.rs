//! `llmos tools`: every tool with its signature, effects and doc.

use super::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the table as JSON instead.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub root: super::program::RootArg,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let (_, table) = super::program::workspace_and_tools(args.root.root.as_deref())?;
    if args.json {
        let list: Vec<serde_json::Value> = table
            .entries()
            .map(|e| {
                let d = &e.decl;
                let mut v = serde_json::json!({
                    "name": d.name,
                    "signature": d.signature(),
                    "effects": d.effects.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
                    "doc": d.doc,
                });
                // An MCP server's tool: which server, and its name there.
                if let crate::tools::ToolSource::Mcp { server, remote } = &e.source {
                    v["mcp"] = serde_json::json!({ "server": server, "tool": remote });
                }
                v
            })
            .collect();
        outln!(
            "{}",
            crate::value::pretty_json(&serde_json::Value::Array(list))
        );
        return Ok(Outcome::Success);
    }
    let mut out = String::new();
    for d in table.decls() {
        out.push_str(&format!("{}  effects({})\n", d.signature(), d.effects));
        for line in d.doc.lines() {
            out.push_str(&format!("    {line}\n"));
        }
        out.push('\n');
    }
    out!("{out}");
    Ok(Outcome::Success)
}
