//! `llmos traces ls|show|rm|import`: the trace library (the procedural memory): which
//! goal templates have a program, how often they were used, how well they did, and what
//! learning them cost.
//!
//! `import` takes `.llt` traces (hand-written, with a `goal`), llmos recordings (`.yaml`)
//! and the original Python llmos traces (Markdown `.md` and `ExecutionTrace` YAML files);
//! each is compiled, stored and added to the library. A trace with no calls, or a call
//! with no counterpart, is reported by name and nothing of its file is imported.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{CliError, Outcome};
use crate::db::{TraceEntry, TraceSource};
use crate::economy::meter::lock_db;
use crate::kernel::Kernel;
use crate::value::pretty_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    /// The workspace root (default: the nearest folder at or above the current one with a
    /// `.llmos/`, else the current folder).
    #[arg(long, value_name = "DIR", global = true)]
    pub root: Option<PathBuf>,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Every trace: id, goal template, program, uses, success rating, learning cost.
    Ls {
        /// Print one JSON array instead: per trace `id`, `name`, `goal`, `program` (the
        /// 64-hex id), `params` (`name`, `type`, `default`, ...), `source`, `created_at`,
        /// `last_used_at`, `usage_count`, `success_rating`, `learn_cost_usd`.
        #[arg(long)]
        json: bool,
        /// The team's library in the remote instead (`[remote]` in config.toml).
        #[arg(long)]
        remote: bool,
    },
    /// One trace in full, with its program's source.
    Show {
        id: i64,
        /// Print one JSON object instead: the fields of `ls --json`, `llt` (the program's
        /// source, null when the store has none) and `lineage` (the programs it grew
        /// from).
        #[arg(long)]
        json: bool,
    },
    /// Remove a trace from the library (its program stays until `llmos store gc`).
    Rm { id: i64 },
    /// Compile and add traces: `.llt` files, llmos recordings (`.yaml`), and the
    /// original llmos's Markdown and YAML traces.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The workspace root the original traces' absolute paths refer to (default:
        /// this workspace's root).
        #[arg(long, value_name = "DIR")]
        original_root: Option<PathBuf>,
    },
}

impl Args {
    /// Whether the result is asked for as JSON.
    pub fn json(&self) -> bool {
        matches!(
            self.command,
            Command::Ls { json: true, .. } | Command::Show { json: true, .. }
        )
    }
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let k = super::kernel(args.root.as_deref())?;
    match args.command {
        Command::Ls { json, remote: true } => super::remote::ls_remote(&k, json),
        Command::Ls { json, .. } => ls(&k, json),
        Command::Show { id, json } => show(&k, id, json),
        Command::Rm { id } => rm(&k, id),
        Command::Import {
            files,
            original_root,
        } => import(&k, &files, original_root.as_deref()),
    }?;
    Ok(Outcome::Success)
}

fn entry_json(e: &TraceEntry) -> serde_json::Value {
    json!({
        "id": e.id, "name": e.name, "goal": e.goal_template, "program": e.program_id,
        "params": e.params.get("params"), "source": e.source, "created_at": e.created_at,
        "last_used_at": e.last_used_at, "usage_count": e.usage_count,
        "success_rating": e.success_rating, "learn_cost_usd": crate::usage::usd(e.learn_cost_micros),
    })
}

pub(super) fn ls(k: &Kernel, as_json: bool) -> Result<(), CliError> {
    let entries = lock_db(k.db()?).library().list()?;
    if as_json {
        let list: Vec<_> = entries.iter().map(entry_json).collect();
        outln!("{}", pretty_json(&serde_json::Value::Array(list)));
        return Ok(());
    }
    if entries.is_empty() {
        note!(
            "no traces yet: `llmos run \"GOAL\"` learns one, `llmos traces import FILE` adds some"
        );
        return Ok(());
    }
    let mut out = format!(
        "{:>4}  {:<10}  {:>5}  {:>6}  {:>8}  {}\n",
        "id", "program", "uses", "rating", "cost", "goal"
    );
    for e in &entries {
        out.push_str(&format!(
            "{:>4}  {:<10}  {:>5}  {:>6.3}  {:>8}  {}\n",
            e.id,
            e.program_id.get(..10).unwrap_or(&e.program_id),
            e.usage_count,
            e.success_rating,
            crate::usage::format_micros(e.learn_cost_micros),
            e.goal_template
        ));
    }
    out!("{out}");
    Ok(())
}

fn get(k: &Kernel, id: i64) -> Result<TraceEntry, CliError> {
    lock_db(k.db()?)
        .library()
        .get(id)?
        .ok_or_else(|| no_trace(id))
}

fn no_trace(id: i64) -> CliError {
    CliError::input(
        "no-trace",
        format!("no trace {id} (`llmos traces ls` lists them)"),
    )
}

fn show(k: &Kernel, id: i64, as_json: bool) -> Result<(), CliError> {
    let e = get(k, id)?;
    let source = e
        .program_id
        .parse()
        .ok()
        .and_then(|pid| k.store.get_source(&pid).ok().flatten())
        .map(|(_, text)| text);
    let lineage = lock_db(k.db()?).lineage().chain(&e.program_id)?;
    if as_json {
        let mut v = entry_json(&e);
        if let serde_json::Value::Object(o) = &mut v {
            o.insert("llt".into(), json!(source));
            o.insert("lineage".into(), json!(lineage));
        }
        outln!("{}", pretty_json(&v));
        return Ok(());
    }
    outln!("trace {}: {}", e.id, e.name);
    outln!("goal      {}", e.goal_template);
    outln!("program   {}", e.program_id);
    outln!("source    {:?}", e.source);
    outln!("created   {}", e.created_at);
    outln!("last used {}", e.last_used_at.as_deref().unwrap_or("never"));
    outln!("uses      {}", e.usage_count);
    outln!("rating    {:.3}", e.success_rating);
    outln!("learning  ${:.6}", crate::usage::usd(e.learn_cost_micros));
    for p in e
        .params
        .get("params")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = p.get("name").and_then(|v| v.as_str()).unwrap_or("?");
        let ty = p.get("type").and_then(|v| v.as_str()).unwrap_or("?");
        let shape = p
            .get("shape")
            .and_then(|s| serde_json::from_value::<crate::dispatch::Shape>(s.clone()).ok())
            .map_or("any value of the type".to_owned(), |s| s.describe());
        outln!("param     {name}: {ty}, {shape}");
    }
    for link in &lineage {
        outln!(
            "grew from {} ({}, {})",
            link.parent,
            link.note,
            link.created_at
        );
    }
    if let Some(text) = source {
        outln!("\n{text}");
    }
    Ok(())
}

fn rm(k: &Kernel, id: i64) -> Result<(), CliError> {
    if lock_db(k.db()?).library().remove(id)? {
        note!("removed trace {id}");
        Ok(())
    } else {
        Err(no_trace(id))
    }
}

fn import(k: &Kernel, files: &[PathBuf], original_root: Option<&Path>) -> Result<(), CliError> {
    let root = original_root.unwrap_or(&k.ws().root);
    let mut failed = 0;
    for file in files {
        match import_one(k, file, root) {
            Ok(lines) => lines.iter().for_each(|l| note!("{l}")),
            Err(e) => {
                e.print();
                failed += 1;
            }
        }
    }
    match failed {
        0 => Ok(()),
        n => Err(CliError::Reported(format!(
            "{n} of {} files not imported",
            files.len()
        ))),
    }
}

/// Imports one file; a line per trace added.
fn import_one(k: &Kernel, file: &Path, root: &Path) -> Result<Vec<String>, CliError> {
    let name = file.display().to_string();
    let mut added = Vec::new();
    if file.extension().is_some_and(|e| e == "llt") {
        let text = super::source::read_source(file)?;
        let (loaded, bytes) = super::program::compile_text(&name, &text, &k.tools)?;
        let Some(goal) = loaded.program.goal.clone() else {
            return Err(CliError::input(
                "no-goal",
                format!("{name}: the trace has no `goal`, so no goal can match it"),
            ));
        };
        let compiled = crate::learn::compile::Compiled::from_source(
            text,
            loaded.program,
            loaded.steps.unwrap_or_default(),
        );
        let (id, trace) =
            crate::kernel::learn::store_compiled(k, &compiled, "", TraceSource::Compiled, 0)?;
        debug_assert_eq!(id, crate::store::ObjectId::of(&bytes));
        added.push(format!(
            "{name}: trace {trace} `{goal}` (program {})",
            &id.to_string()[..12]
        ));
        return Ok(added);
    }
    let recordings = crate::learn::import::import_file(file, root)?;
    for rec in &recordings {
        let compiled = crate::learn::compile::compile_with(rec, &k.tools, k.host.runtime()?)
            .map_err(|error| CliError::Uncompiled {
                what: format!("{name}: trace {:?}", rec.goal),
                error,
            })?;
        let source = if rec.is_imported() {
            TraceSource::Imported
        } else {
            TraceSource::Learned
        };
        let (id, trace) = crate::kernel::learn::store_compiled(
            k,
            &compiled,
            &rec.model,
            source,
            rec.usage.cost_micros,
        )?;
        let goal = compiled.program.goal.clone().unwrap_or_default();
        added.push(format!(
            "{name}: trace {trace} `{goal}` (program {})",
            &id.to_string()[..12]
        ));
        added.extend(compiled.notes.iter().map(|n| format!("note: {name}: {n}")));
    }
    Ok(added)
}
