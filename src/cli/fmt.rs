//! `llmos fmt [--check] FILE...`: rewrite files in the canonical layout. A folder stands
//! for every `.llt` file below it; `-` reads stdin and writes the result to stdout.

use std::path::PathBuf;

use super::render::print_all;
use super::source::{Input, for_each_source};
use super::{CliError, Outcome};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only report files that are not formatted (exit 1 when any is not).
    #[arg(long)]
    pub check: bool,
    /// `.llt` files, folders (every `.llt` file below) or `-` (stdin to stdout).
    #[arg(required = true, value_name = "FILE|DIR|-")]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let outcome = for_each_source(&args.files, |input, name, src| {
        let (file, diags) = crate::syntax::parse(src);
        if crate::diag::has_errors(&diags) {
            print_all(&diags, name, src, 100);
            eprintln!("{name}: not formatted: fix the syntax errors first");
            return false;
        }
        let formatted = crate::syntax::printer::format(src, &file);
        if *input == Input::Stdin && !args.check {
            out!("{formatted}");
            return true;
        }
        if formatted == src {
            true
        } else if args.check {
            eprintln!("{name}: would be reformatted");
            false
        } else if let Input::File(path) = input
            && let Err(source) = write_file(path, &formatted)
        {
            CliError::Io {
                doing: "cannot write",
                path: path.clone(),
                source,
            }
            .print();
            false
        } else {
            note!("{name}: formatted");
            true
        }
    });
    Ok(outcome)
}

/// Replaces a file atomically: a temporary file beside it, then a rename.
fn write_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.fmt-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    if let Ok(meta) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&tmp, meta.permissions());
    }
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
