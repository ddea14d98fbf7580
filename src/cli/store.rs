//! `llmos store verify|gc`: check every stored object against its hash; drop the ones
//! nothing refers to.

use std::collections::BTreeSet;
use std::time::Duration;

use super::program::{RootArg, workspace_and_tools};
use super::{CliError, Outcome};
use crate::store::{ObjectId, ObjectStore, ProblemKind};
use crate::tools::ToolTable;
use crate::workspace::Workspace;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
    #[command(flatten)]
    pub root: RootArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Re-hash every stored object and check every source sidecar. Prints the id of each
    /// corrupt object on stdout and every problem on stderr; exit 1 if there is any.
    Verify,
    /// Remove stored objects that no trace in the library refers to and that are older
    /// than the grace period (so a program just compiled is kept). Prints removed ids.
    Gc {
        /// Keep unreferenced objects younger than this (e.g. `30m`, `2h`, `0s`).
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        grace: Duration,
    },
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let (ws, tools) = workspace_and_tools(args.root.root.as_deref())?;
    match args.action {
        Action::Verify => verify(&ws, &tools),
        Action::Gc { grace } => gc(&ws, grace),
    }
}

/// The workspace's store, or `None` when nothing was ever stored.
fn existing(ws: &Workspace) -> Result<Option<ObjectStore>, CliError> {
    if !ws.objects_dir().is_dir() {
        return Ok(None);
    }
    Ok(Some(ws.object_store()?))
}

fn verify(ws: &Workspace, tools: &ToolTable) -> Result<Outcome, CliError> {
    let Some(store) = existing(ws)? else {
        let dangling = dangling_entries(ws, None)?;
        if dangling.is_empty() {
            note!("store ok: no objects ({})", ws.objects_dir().display());
            return Ok(Outcome::Success);
        }
        dangling.iter().for_each(|d| eprintln!("error: {d}"));
        eprintln!("store has {} problems: no objects at all", dangling.len());
        return Ok(Outcome::Failed);
    };
    // No `gc` between reading the library and looking for its programs.
    let _lease = store.lease()?;
    let problems = store.verify()?;
    let dangling = dangling_entries(ws, Some(&store))?;
    let bad: BTreeSet<ObjectId> = problems.iter().filter_map(|p| p.id).collect();
    let mut corrupt = BTreeSet::new();
    for p in &problems {
        eprintln!("error: {p}");
        if let (ProblemKind::Corrupt | ProblemKind::Unreadable(_), Some(id)) = (&p.kind, p.id) {
            corrupt.insert(id);
        }
    }
    dangling.iter().for_each(|d| eprintln!("error: {d}"));
    let ids = store.list()?;
    // Sound objects that no longer load (a tool changed signature) are worth a warning:
    // they are not corrupt, but `exec` will refuse them until they are recompiled.
    for id in ids.iter().filter(|id| !bad.contains(id)) {
        if let Ok(bytes) = store.get(id)
            && let Err(e) = crate::bytecode::decode_with(&bytes, tools)
        {
            eprintln!("warning: object {id} does not load: {e}");
        }
    }
    for id in &corrupt {
        outln!("{id}");
    }
    let count = problems.len() + dangling.len();
    if count == 0 {
        note!("store ok: {} objects checked", ids.len());
        Ok(Outcome::Success)
    } else {
        let s = if count == 1 { "" } else { "s" };
        eprintln!(
            "store has {count} problem{s} ({} corrupt objects, {} library entries without \
             their program) among {} objects",
            corrupt.len(),
            dangling.len(),
            ids.len()
        );
        Ok(Outcome::Failed)
    }
}

/// The trace library's entries whose program is not in the store, as messages.
fn dangling_entries(ws: &Workspace, store: Option<&ObjectStore>) -> Result<Vec<String>, CliError> {
    if !ws.db_path().is_file() {
        return Ok(Vec::new());
    }
    let db = crate::db::Db::open_in(&ws.state_dir)?;
    let entries = db.library().list()?;
    let present = |text: &str| {
        text.parse::<ObjectId>()
            .is_ok_and(|id| store.is_some_and(|s| s.contains(&id)))
    };
    Ok(entries
        .iter()
        .filter(|e| !present(&e.program_id))
        .map(|e| {
            format!(
                "library entry {} (`{}`) refers to program {}, which is missing from the store; \
                 `llmos traces rm {}` drops the entry",
                e.id, e.goal_template, e.program_id, e.id
            )
        })
        .collect())
}

/// The programs the trace library refers to (none when there is no database yet).
fn roots(ws: &Workspace) -> Result<BTreeSet<ObjectId>, CliError> {
    if !ws.db_path().is_file() {
        return Ok(BTreeSet::new());
    }
    let db = crate::db::Db::open_in(&ws.state_dir)?;
    let ids = db.library().referenced_programs()?;
    let mut roots = BTreeSet::new();
    for text in ids {
        match text.parse::<ObjectId>() {
            Ok(id) => {
                roots.insert(id);
            }
            Err(e) => eprintln!("warning: the trace library names a bad program id: {e}"),
        }
    }
    Ok(roots)
}

fn gc(ws: &Workspace, grace: Duration) -> Result<Outcome, CliError> {
    let Some(store) = existing(ws)? else {
        note!(
            "nothing to collect: no objects ({})",
            ws.objects_dir().display()
        );
        return Ok(Outcome::Success);
    };
    // Writers hold a lease from storing a program until the library refers to it: with
    // this lock, every reference is read and no program is between the two.
    let _lock = store.lock_for_gc()?;
    let roots = roots(ws)?;
    let mut report = store.gc(&roots, grace)?;
    // Temp files a killed process left beside the database (a snapshot being replaced).
    let (temps, freed) = crate::store::remove_stale_temps(&ws.state_dir, grace)?;
    report.removed_temp.extend(temps);
    report.freed_bytes += freed;
    for id in &report.removed {
        outln!("{id}");
    }
    note!(
        "removed {} objects, {} sources and {} stale temp files ({} bytes); kept {} ({} referenced by the trace library)",
        report.removed.len(),
        report.removed_sources.len(),
        report.removed_temp.len(),
        report.freed_bytes,
        report.kept,
        roots.len()
    );
    Ok(Outcome::Success)
}
