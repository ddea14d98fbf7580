//! `llmos compile FILE [-o OUT.llb] [--emit llt]`: compile a source to bytecode, store it
//! (with its source beside it) and print its id; or, with `--emit llt`, print the checked
//! source in canonical layout.

use std::path::{Path, PathBuf};

use super::program::{Loaded, RootArg, compile_text, store, workspace_tools};
use super::source::read_source;
use super::{CliError, Outcome};
use crate::tools::ToolTable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The source: a `.llt` trace, or a `.yaml` Learner recording (compiled to a program
    /// with params and `ask` slots, as `llmos run` does after learning).
    pub file: PathBuf,
    /// Also write the bytecode to this file.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "OUT.llb",
        conflicts_with = "emit"
    )]
    pub output: Option<PathBuf>,
    /// Print this instead of the id (and store nothing): `llt`, the checked source (for a
    /// recording: the program learned from it).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub emit: Option<Emit>,
    #[command(flatten)]
    pub root: RootArg,
}

/// What `--emit` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Emit {
    /// The checked source, formatted as `llmos fmt` would.
    Llt,
}

/// A compiled input: the program and the source text it came from.
struct Compiled {
    /// The program and its source, to store; `None` for a recording compiled for
    /// `--emit llt` (its program is compiled, checked and replayed, not encoded).
    loaded: Option<Loaded>,
    /// The source in canonical layout, for `--emit llt`.
    llt: String,
    /// For a recording: the recorded answers of its `ask` slots, and the model that
    /// wrote them (the slot cache is keyed by model).
    seeds: Vec<crate::learn::compile::SlotAnswer>,
    model: String,
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let host = super::host(args.root.root.as_deref())?;
    let ws = &host.ws;
    let tools = workspace_tools(&host)?;
    let compiled = match args.file.extension().and_then(|e| e.to_str()) {
        Some("llt") => compile_llt(&args.file, &tools)?,
        Some("yaml" | "yml") => {
            compile_recording(&args.file, &tools, host.runtime()?, args.emit.is_some())?
        }
        other => {
            let what = other.map_or("no extension".to_owned(), |e| format!("`.{e}`"));
            return Err(CliError::input(
                "not-a-source",
                format!(
                    "cannot compile {}: {what} is not a source this llmos compiles (expected a .llt trace or a .yaml recording)",
                    args.file.display()
                ),
            ));
        }
    };
    let (Some(loaded), None) = (&compiled.loaded, args.emit) else {
        out!("{}", compiled.llt);
        return Ok(Outcome::Success);
    };
    let id = store(ws, loaded)?;
    if !compiled.seeds.is_empty() {
        seed_slot_cache(ws, &id, &compiled.model, &compiled.seeds)?;
    }
    if let Some(out) = &args.output {
        write_output(out, &crate::bytecode::encode(&loaded.program))?;
    }
    outln!("{id}");
    Ok(Outcome::Success)
}

fn compile_llt(path: &Path, tools: &ToolTable) -> Result<Compiled, CliError> {
    let name = path.display().to_string();
    let text = read_source(path)?;
    let (loaded, _) = compile_text(&name, &text, tools)?;
    if !loaded.warnings.is_empty() {
        super::render::print_all(&loaded.warnings, &name, &text, 100);
    }
    let (file, _) = crate::syntax::parse(&text);
    let llt = crate::syntax::printer::format(&text, &file);
    Ok(Compiled {
        loaded: Some(loaded),
        llt,
        seeds: Vec::new(),
        model: String::new(),
    })
}

/// A Learner recording (`.yaml`): compiled to the program a person could have written;
/// only its text when `text_only` (`--emit llt`).
fn compile_recording(
    path: &Path,
    tools: &ToolTable,
    runtime: &tokio::runtime::Runtime,
    text_only: bool,
) -> Result<Compiled, CliError> {
    let name = path.display().to_string();
    let text = read_source(path)?;
    let rec = crate::learn::recording::parse_recording(&text, &name)?;
    let c = crate::learn::compile::compile_with(&rec, tools, runtime).map_err(|error| {
        CliError::Uncompiled {
            what: format!("cannot compile {name}"),
            error,
        }
    })?;
    for note in &c.notes {
        note!("note: {name}: {note}");
    }
    if text_only {
        return Ok(Compiled {
            loaded: None,
            llt: c.source,
            seeds: Vec::new(),
            model: String::new(),
        });
    }
    // Verified by the compiler, against these tools.
    let program = c.program;
    let bytes = crate::bytecode::encode(&program);
    let llt_name = format!("{}.llt", path.with_extension("").display());
    Ok(Compiled {
        loaded: Some(Loaded {
            program,
            id: crate::store::ObjectId::of(&bytes),
            source: Some((llt_name, c.source)),
            steps: Some(c.spans),
            warnings: Vec::new(),
        }),
        llt: String::new(),
        seeds: c.slot_answers,
        model: rec.model,
    })
}

/// Puts the recorded slot answers into the slot cache, so that running the program on the
/// recorded binding sends nothing.
pub fn seed_slot_cache(
    ws: &crate::workspace::Workspace,
    id: &crate::store::ObjectId,
    model: &str,
    seeds: &[crate::learn::compile::SlotAnswer],
) -> Result<(), CliError> {
    ws.ensure_state_dir()?;
    let db = crate::db::Db::open_in(&ws.state_dir)?;
    for s in seeds {
        db.slots()
            .put(&id.to_string(), &s.slot, &s.prompt, model, &s.answer)?;
    }
    Ok(())
}

/// Writes the bytecode file atomically (a temp file beside it, then a rename).
fn write_output(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    crate::store::write_atomic(path, bytes).map_err(|source| CliError::Io {
        doing: "cannot write",
        path: path.to_owned(),
        source,
    })
}
