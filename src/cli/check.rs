//! `llmos check FILE|DIR|-...`: parse, type-check and lint; exit 1 when any source has
//! errors. A folder stands for every `.llt` file below it, `-` for stdin. `--json` prints
//! every diagnostic as data instead (see [`diagnostic_json`]), for editors and CI.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::Outcome;
use super::render::print_all;
use super::source::{ReadError, for_each_input};
use crate::check::{Checked, check_file, sort};
use crate::diag::{Diagnostic, Severity, line_col};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// `.llt` traces or tool declaration files, folders (every `.llt` file below) or `-`
    /// (stdin).
    #[arg(required = true, value_name = "FILE|DIR|-")]
    pub files: Vec<PathBuf>,
    /// Print the diagnostics as one JSON array on stdout (code, severity, file, line,
    /// col, end_line, end_col, message, help, labels) instead of rendering them.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub root: super::program::RootArg,
}

/// Most diagnostics shown per file.
const LIMIT: usize = 100;

pub fn run(args: Args) -> Result<Outcome, super::CliError> {
    // Offline: MCP tools come from the cached lists (`llmos mcp refresh`).
    let ws = super::program::open_workspace(args.root.root.as_deref())?;
    let config = ws.config()?;
    let tools = super::program::tools_listed(&ws, &config, crate::mcp::Listing::Cached)?;
    let tools = &tools;
    // In source order: read errors and diagnostics as they come.
    let all = std::cell::RefCell::new(Vec::<Value>::new());
    let outcome = for_each_input(
        &args.files,
        |e| match args.json {
            true => all.borrow_mut().push(read_error_json(e)),
            false => eprintln!("{e}"),
        },
        |_, name, src| {
            let (file, mut diags) = crate::syntax::parse(src);
            let checked = check_file(&file, tools, &mut diags);
            sort(&mut diags);
            let errors = diags.iter().filter(|d| d.is_error()).count();
            if args.json {
                let found = diags.iter().map(|d| diagnostic_json(d, name, src));
                all.borrow_mut().extend(found);
            } else {
                print_all(&diags, name, src, LIMIT);
                summary(name, &checked, errors, diags.len() - errors);
            }
            errors == 0
        },
    );
    if args.json {
        outln!(
            "{}",
            crate::value::pretty_json(&Value::Array(all.into_inner()))
        );
    }
    Ok(outcome)
}

fn summary(name: &str, checked: &Checked, errors: usize, warnings: usize) {
    let what = match checked {
        Checked::Trace(_) => "trace",
        Checked::Declarations(_) => "declarations",
    };
    if errors > 0 {
        note!(
            "{name}: {errors} error{}, {warnings} warning{}",
            plural(errors),
            plural(warnings)
        );
    } else {
        note!(
            "{name}: ok ({what}, {warnings} warning{})",
            plural(warnings)
        );
    }
}

/// One diagnostic as data: lines and columns are 1-based, columns count characters, the
/// end is exclusive.
pub fn diagnostic_json(d: &Diagnostic, file: &str, src: &str) -> Value {
    let (line, col) = line_col(src, d.primary.span.start as usize);
    let (end_line, end_col) = line_col(src, d.primary.span.end as usize);
    let labels: Vec<Value> = std::iter::once(&d.primary)
        .chain(&d.secondary)
        .filter(|l| !l.message.is_empty())
        .map(|l| {
            let (line, col) = line_col(src, l.span.start as usize);
            json!({ "line": line, "col": col, "message": l.message })
        })
        .collect();
    json!({
        "code": d.code,
        "severity": match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        "file": file,
        "line": line,
        "col": col,
        "end_line": end_line,
        "end_col": end_col,
        "message": d.message,
        "help": d.help,
        "labels": labels,
    })
}

/// A source that could not be read, as a diagnostic.
fn read_error_json(e: &ReadError) -> Value {
    json!({
        "code": e.code,
        "severity": "error",
        "file": e.file,
        "line": e.line,
        "col": e.col,
        "end_line": e.line,
        "end_col": e.col,
        "message": e.message,
        "help": null,
        "labels": [],
    })
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
