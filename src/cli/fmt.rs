//! `llmos fmt [--check] FILE...`: rewrite files in the canonical layout.

use std::path::PathBuf;

use super::Outcome;
use super::render::print_all;
use super::source::for_each_source;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only report files that are not formatted (exit 1 when any is not).
    #[arg(long)]
    pub check: bool,
    /// `.llt` files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn run(args: Args) -> Outcome {
    for_each_source(&args.files, |path, name, src| {
        let (file, diags) = crate::syntax::parse(src);
        if crate::diag::has_errors(&diags) {
            print_all(&diags, name, src, 100);
            eprintln!("{name}: not formatted: fix the syntax errors first");
            return false;
        }
        let formatted = crate::syntax::printer::format(src, &file);
        if formatted == src {
            true
        } else if args.check {
            eprintln!("{name}: would be reformatted");
            false
        } else if let Err(e) = write_file(path, &formatted) {
            eprintln!("error: cannot write {name}: {e}");
            false
        } else {
            eprintln!("{name}: formatted");
            true
        }
    })
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
