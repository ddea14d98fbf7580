//! `llmos disasm PROGRAM`: the readable listing of a program (header, params, slots,
//! tools, constants, ops with their data and effect edges, steps, output).

use super::Outcome;
use super::program::{RootArg, load, open_workspace};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `.llb` file, a `.llt` source (compiled first), or a stored id or unique id prefix.
    #[arg(value_name = "PROGRAM")]
    pub program: String,
    #[command(flatten)]
    pub root: RootArg,
}

pub fn run(args: Args) -> Outcome {
    let loaded =
        match open_workspace(args.root.root.as_deref()).and_then(|ws| load(&args.program, &ws)) {
            Ok(l) => l,
            Err(e) => {
                e.print();
                return Outcome::Failed;
            }
        };
    if let Some((file, text)) = &loaded.source
        && !loaded.warnings.is_empty()
    {
        super::render::print_all(&loaded.warnings, file, text, 100);
    }
    print!("{}", crate::bytecode::disasm(&loaded.program, &loaded.id));
    Outcome::Success
}
