//! `llmos check FILE...`: parse, type-check and lint; exit 1 when any file has errors.

use std::path::PathBuf;

use super::Outcome;
use super::render::print_all;
use super::source::for_each_source;
use crate::check::{Checked, check_file, sort};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `.llt` files: traces or tool declaration files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Most diagnostics shown per file.
const LIMIT: usize = 100;

pub fn run(args: Args) -> Outcome {
    let tools = crate::stdlib::table();
    for_each_source(&args.files, |_, name, src| {
        let (file, mut diags) = crate::syntax::parse(src);
        let checked = check_file(&file, tools, &mut diags);
        sort(&mut diags);
        let (errors, warnings) = print_all(&diags, name, src, LIMIT);
        let what = match checked {
            Checked::Trace(_) => "trace",
            Checked::Declarations(_) => "declarations",
        };
        if errors > 0 {
            eprintln!(
                "{name}: {errors} error{}, {warnings} warning{}",
                plural(errors),
                plural(warnings)
            );
        } else {
            eprintln!(
                "{name}: ok ({what}, {warnings} warning{})",
                plural(warnings)
            );
        }
        errors == 0
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
