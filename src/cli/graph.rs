//! `llmos graph PROGRAM [--format dot|mermaid]`: the program's DAG (params, steps and
//! slots as nodes; data edges solid, effect edges dashed).

use super::program::{RootArg, load_to_show};
use super::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.llb` file, a `.llt` source (compiled first), or a stored id or unique id prefix.
    #[arg(value_name = "PROGRAM")]
    pub program: String,
    /// The output language.
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    pub format: Format,
    #[command(flatten)]
    pub root: RootArg,
}

/// The graph languages `llmos graph` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphviz: `dot -Tsvg`.
    Dot,
    /// Mermaid `flowchart`, for Markdown.
    Mermaid,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let (loaded, _) = load_to_show(&args.program, args.root.root.as_deref())?;
    let text = match args.format {
        Format::Dot => crate::ir::render::dot(&loaded.program),
        Format::Mermaid => crate::ir::render::mermaid(&loaded.program),
    };
    out!("{text}");
    Ok(Outcome::Success)
}
