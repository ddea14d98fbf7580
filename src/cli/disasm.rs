//! `llmos disasm PROGRAM`: the readable listing of a program (header, params, slots,
//! tools, constants, ops with their data and effect edges, steps, output).

use super::Outcome;
use super::program::{RootArg, load_and_report};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.llb` file, a `.llt` source (compiled first), or a stored id or unique id prefix.
    #[arg(value_name = "PROGRAM")]
    pub program: String,
    #[command(flatten)]
    pub root: RootArg,
}

pub fn run(args: Args) -> Outcome {
    let Some((loaded, tools)) = load_and_report(&args.program, args.root.root.as_deref()) else {
        return Outcome::Failed;
    };
    out!(
        "{}",
        crate::bytecode::disasm_with(&loaded.program, &loaded.id, &tools)
    );
    Outcome::Success
}
