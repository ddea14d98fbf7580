//! `llmos disasm PROGRAM`: the readable listing of a program (header, params, slots,
//! tools, constants, ops with their data and effect edges, steps, output).

use super::program::{RootArg, load_to_show};
use super::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.llb` file, a `.llt` source (compiled first), or a stored id or unique id prefix.
    #[arg(value_name = "PROGRAM")]
    pub program: String,
    #[command(flatten)]
    pub root: RootArg,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let (loaded, tools) = load_to_show(&args.program, args.root.root.as_deref())?;
    out!(
        "{}",
        crate::bytecode::disasm_with(&loaded.program, &loaded.id, &tools)
    );
    Ok(Outcome::Success)
}
