//! `llmos remote push|pull|status`: the team's shared library (see `crate::remote`), and
//! `llmos traces ls --remote`, which lists it.
//!
//! Results go to stdout (`push`: the hash of each record pushed; `pull`: the program id
//! of each entry added; `status`: the summary), progress and refusals to stderr. Exit 1
//! when the remote cannot be reached or a record was refused (tampered or damaged).

use std::collections::BTreeSet;

use serde_json::json;

use super::{CliError, Outcome};
use crate::db::{Db, TraceEntry};
use crate::economy::meter::lock_db;
use crate::kernel::Kernel;
use crate::remote::index::{Index, Indexed};
use crate::remote::pull::{self, Local, Trust};
use crate::remote::push::{self, Outgoing, Publisher};
use crate::remote::record::Signer;
use crate::remote::{Remote, keys, lookup};
use crate::value::pretty_json;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub root: super::program::RootArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Publish traces: every learned one (not pulled from a remote) by default, or the
    /// traces (ids as `llmos traces ls` shows) and programs (id prefixes) named.
    Push {
        #[arg(value_name = "ID")]
        ids: Vec<String>,
        /// Publish unsigned records (others pull them only with --trust-unsigned).
        #[arg(long)]
        unsigned: bool,
    },
    /// Add the team's records to the local library: those signed by a trusted key.
    Pull {
        /// Also take unsigned records and records signed by keys not trusted.
        #[arg(long)]
        trust_unsigned: bool,
    },
    /// The remote, its index, and how this library compares.
    Status {
        #[arg(long)]
        json: bool,
    },
}

impl Args {
    /// Whether the result is asked for as JSON.
    pub fn json(&self) -> bool {
        matches!(self.command, Command::Status { json: true })
    }
}

pub fn run(args: Args) -> Result<Outcome, CliError> {
    let k = super::kernel(args.root.root.as_deref())?;
    match args.command {
        Command::Push { ids, unsigned } => push_cmd(&k, &ids, unsigned),
        Command::Pull { trust_unsigned } => pull_cmd(&k, trust_unsigned),
        Command::Status { json } => status(&k, json),
    }?;
    Ok(Outcome::Success)
}

fn open_remote(k: &Kernel) -> Result<Remote, CliError> {
    let env = k.host.env.lookup();
    let runtime = k.host.shared_runtime()?;
    Ok(Remote::open(
        &k.config().remote,
        &k.ws().state_dir,
        &env,
        runtime,
    )?)
}

/// The name on pushed records: `[remote] publisher`, else `$USER`.
fn publisher_name(k: &Kernel) -> String {
    k.config()
        .remote
        .publisher
        .clone()
        .or_else(|| k.host.env.var("USER"))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "anonymous".to_string())
}

fn push_cmd(k: &Kernel, ids: &[String], unsigned: bool) -> Result<(), CliError> {
    let remote = open_remote(k)?;
    let key = match unsigned {
        true => None,
        false => Some(
            keys::load(&keys::key_path(&k.ws().state_dir))?.ok_or_else(|| {
                CliError::input(
                    "no-key",
                    "no signing key: `llmos keys generate` makes one (or --unsigned \
                     publishes records that others pull only with --trust-unsigned)",
                )
            })?,
        ),
    };
    let entries = {
        let db = lock_db(k.db()?);
        let mut out = Vec::new();
        for entry in select(k, &db, ids)? {
            let parent = db
                .lineage()
                .parent(&entry.program_id)?
                .and_then(|link| link.parent.parse().ok());
            out.push(Outgoing { entry, parent });
        }
        out
    };
    if entries.is_empty() {
        eprintln!("nothing to push: no learned traces that were not pulled from a remote");
        return Ok(());
    }
    let name = publisher_name(k);
    let by = Publisher {
        name: &name,
        key: key.as_ref(),
    };
    let report = push::push(&remote, &k.store, &entries, &by)?;
    for p in &report.pushed {
        outln!("{}", p.record);
        eprintln!(
            "pushed trace {} `{}` (program {})",
            p.trace,
            p.goal,
            p.program.short()
        );
    }
    eprintln!(
        "{} pushed to {}: {} new in the index, {} there already",
        report.pushed.len(),
        remote.describe(),
        report.index.added,
        report.index.present
    );
    Ok(())
}

/// The entries to push: those named, or the default selection.
fn select(k: &Kernel, db: &Db, ids: &[String]) -> Result<Vec<TraceEntry>, CliError> {
    let all = db.library().list()?;
    let pulled: BTreeSet<(String, String)> = db
        .origins()
        .list()?
        .into_iter()
        .map(|o| (o.goal_template, o.program_id))
        .collect();
    let was_pulled =
        |e: &TraceEntry| pulled.contains(&(e.goal_template.clone(), e.program_id.clone()));
    if ids.is_empty() {
        return Ok(push::default_selection(all, &was_pulled));
    }
    let mut out: Vec<TraceEntry> = Vec::new();
    for id in ids {
        let by_trace: Vec<&TraceEntry> = match id.parse::<i64>() {
            Ok(n) => all.iter().filter(|e| e.id == n).collect(),
            Err(_) => Vec::new(),
        };
        let found = match by_trace.is_empty() {
            false => by_trace,
            true => {
                let program = k.store.resolve(id).map_err(|_| {
                    CliError::input("no-trace", format!("`{id}` is neither a trace id nor a stored program (`llmos traces ls` lists them)"))
                })?;
                let program = program.to_string();
                let hits: Vec<&TraceEntry> =
                    all.iter().filter(|e| e.program_id == program).collect();
                if hits.is_empty() {
                    return Err(CliError::input(
                        "no-trace",
                        format!("program {program} is in no trace of the library"),
                    ));
                }
                hits
            }
        };
        for e in found {
            if was_pulled(e) {
                return Err(CliError::input(
                    "not-pushable",
                    format!(
                        "trace {} (`{}`) was pulled from a remote: its publisher shares it, not this workspace",
                        e.id, e.goal_template
                    ),
                ));
            }
            if !out.iter().any(|o| o.id == e.id) {
                out.push(e.clone());
            }
        }
    }
    Ok(out)
}

fn pull_cmd(k: &Kernel, trust_unsigned: bool) -> Result<(), CliError> {
    let remote = open_remote(k)?;
    let index = Index::read(&remote)?;
    let trust = lookup::trust(k, trust_unsigned);
    let db = lock_db(k.db()?);
    let local = Local {
        store: &k.store,
        db: &db,
    };
    let report = pull::pull_all(&remote, &local, &index.records, &trust)?;
    for (trace, goal, program) in &report.pulled {
        outln!("{program}");
        eprintln!("pulled trace {trace} `{goal}` (program {})", &program[..12]);
    }
    for why in &report.untrusted {
        eprintln!("skipped {why}");
    }
    for why in &report.refused {
        eprintln!("error: refused {why}");
    }
    eprintln!(
        "{} pulled from {}, {} there already, {} untrusted, {} refused",
        report.pulled.len(),
        remote.describe(),
        report.present,
        report.untrusted.len(),
        report.refused.len()
    );
    if !report.untrusted.is_empty() {
        eprintln!(
            "note: add a publisher's public key to `[remote] trusted_keys` to take their records (or pull with --trust-unsigned)"
        );
    }
    match report.refused.len() {
        0 => Ok(()),
        n => Err(CliError::Reported(format!("{n} records refused"))),
    }
}

/// How a record's signer stands with this workspace: `trusted`, `untrusted`,
/// `unsigned` or `bad signature` (the signature is checked).
fn standing(trust: &Trust, r: &Indexed) -> &'static str {
    match r.record.signer() {
        Err(_) => "bad signature",
        Ok(Signer::Unsigned) => "unsigned",
        Ok(Signer::Key(k)) if trust.keys.contains(&k) => "trusted",
        Ok(Signer::Key(_)) => "untrusted",
    }
}

/// `(goal template, program)` of every entry of the local library.
fn local_pairs(db: &Db) -> Result<BTreeSet<(String, String)>, CliError> {
    Ok(db
        .library()
        .list()?
        .into_iter()
        .map(|e| (e.goal_template, e.program_id))
        .collect())
}

/// `llmos traces ls --remote`: the team's records.
pub fn ls_remote(k: &Kernel, as_json: bool) -> Result<(), CliError> {
    let remote = open_remote(k)?;
    let index = Index::read(&remote)?;
    let trust = lookup::trust(k, false);
    let local = local_pairs(&lock_db(k.db()?))?;
    let rows: Vec<_> = index
        .records
        .iter()
        .map(|r| {
            let e = &r.record.entry;
            let here = local.contains(&(e.goal.clone(), e.program.to_string()));
            (r, standing(&trust, r), here)
        })
        .collect();
    if as_json {
        let list: Vec<_> = rows
            .iter()
            .map(|(r, standing, here)| {
                let e = &r.record.entry;
                json!({
                    "record": r.hash, "goal": e.goal, "program": e.program, "name": e.name,
                    "params": e.params.get("params"), "kind": e.kind, "parent": e.parent,
                    "publisher": e.publisher, "signer": r.record.claimed_key().map(|k| k.to_string()),
                    "trust": standing, "learn_cost_usd": crate::usage::usd(e.learn_cost_micros),
                    "local": here,
                })
            })
            .collect();
        outln!("{}", pretty_json(&serde_json::Value::Array(list)));
        return Ok(());
    }
    if rows.is_empty() {
        eprintln!(
            "the team library at {} is empty (`llmos remote push` publishes)",
            remote.describe()
        );
        return Ok(());
    }
    let mut out = format!(
        "{:<12}  {:<10}  {:<13}  {:<12}  {:>8}  {:<5}  {}\n",
        "record", "program", "trust", "publisher", "cost", "local", "goal"
    );
    for (r, standing, here) in &rows {
        let e = &r.record.entry;
        out.push_str(&format!(
            "{:<12}  {:<10}  {:<13}  {:<12}  {:>8}  {:<5}  {}\n",
            &r.hash[..12.min(r.hash.len())],
            &e.program.to_string()[..10],
            standing,
            e.publisher,
            crate::usage::format_micros(e.learn_cost_micros),
            if *here { "yes" } else { "no" },
            e.goal
        ));
    }
    out!("{out}");
    Ok(())
}

fn status(k: &Kernel, as_json: bool) -> Result<(), CliError> {
    let remote = open_remote(k)?;
    let index = Index::read(&remote)?;
    let trust = lookup::trust(k, false);
    let own = keys::load(&keys::key_path(&k.ws().state_dir))?.map(|p| p.public());
    let db = lock_db(k.db()?);
    let local = local_pairs(&db)?;
    let remote_pairs: BTreeSet<(String, String)> = index
        .records
        .iter()
        .map(|r| {
            (
                r.record.entry.goal.clone(),
                r.record.entry.program.to_string(),
            )
        })
        .collect();
    let pulled = db.origins().list()?.len();
    let pushable = select(k, &db, &[])?;
    let unshared = pushable
        .iter()
        .filter(|e| !remote_pairs.contains(&(e.goal_template.clone(), e.program_id.clone())))
        .count();
    let missing: Vec<&Indexed> = index
        .records
        .iter()
        .filter(|r| {
            !local.contains(&(
                r.record.entry.goal.clone(),
                r.record.entry.program.to_string(),
            ))
        })
        .collect();
    let trusted_missing = missing
        .iter()
        .filter(|r| trust.admits(r.record.claimed_key()))
        .count();
    if as_json {
        let v = json!({
            "remote": remote.describe(), "records": index.records.len(),
            "segments": index.segments, "programs": remote_pairs.len(),
            "key": own.map(|k| k.to_string()), "trusted_keys": trust.keys.len(),
            "learned": pushable.len(), "unshared": unshared, "pulled": pulled,
            "not_pulled": missing.len(), "not_pulled_trusted": trusted_missing,
            "lookup": k.config().remote.lookup_enabled(),
        });
        outln!("{}", pretty_json(&v));
        return Ok(());
    }
    let key = own.map_or("none (`llmos keys generate` makes one)".to_string(), |k| {
        k.to_string()
    });
    outln!("remote    {}", remote.describe());
    outln!(
        "index     {} records in {} segments, {} goal/program pairs",
        index.records.len(),
        index.segments,
        remote_pairs.len()
    );
    outln!("key       {key}");
    outln!(
        "trusted   {} keys (with this workspace's own)",
        trust.keys.len()
    );
    outln!(
        "local     {} learned traces, {} not in the remote yet (`llmos remote push`)",
        pushable.len(),
        unshared
    );
    outln!("pulled    {pulled} traces came from a remote");
    outln!(
        "remote    {} records not in this library, {} of them by trusted keys (`llmos remote pull`)",
        missing.len(),
        trusted_missing
    );
    outln!(
        "lookup    {}",
        match k.config().remote.lookup_enabled() {
            true => "on: `run --mode auto` asks the remote before learning",
            false => "off",
        }
    );
    Ok(())
}
