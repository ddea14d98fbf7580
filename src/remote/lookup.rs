//! The kernel's hook: in `run --mode auto`, a goal that nothing in the local library
//! matches is looked up in the team's index before the Learner is paid. The goal is
//! matched exactly as the local library matches it (templates with typed params; no
//! near matches), among records whose signer is trusted, through a cached view of the
//! index (`view.rs`); the record found is pulled (checked like any pull) and the kernel
//! then follows it from the local library. When that record is refused, the whole index
//! is searched again without it.
//!
//! A remote that cannot be reached costs a warning, not the run: the Learner goes on.

use super::index::{HeadRead, Index, Indexed};
use super::pull::{self, Local, Outcome, Trust};
use super::view::{self, Side};
use super::{Remote, RemoteError, keys};
use crate::db::{LibraryRow, Snapshot};
use crate::economy::meter::lock_db;
use crate::kernel::{Kernel, Request};
use crate::value::canonical_json;

/// How many matching records are tried when the first ones are refused.
const MAX_TRIES: usize = 4;

/// The trust of this workspace: `[remote] trusted_keys`, its own key, and
/// `--trust-unsigned`.
pub fn trust(k: &Kernel, anyone: bool) -> Trust {
    let mut keys = k.config().remote.trusted_keys.clone();
    if let Ok(Some(own)) = keys::load(&keys::key_path(&k.ws().state_dir)) {
        keys.push(own.public());
    }
    Trust { keys, anyone }
}

/// Looks the goal up and pulls the record it would follow. True when the local library
/// gained an entry (the caller tries the local library again).
pub fn pull_for_goal(k: &Kernel, req: &Request, notes: &mut Vec<String>) -> bool {
    if !k.config().remote.lookup_enabled() {
        return false;
    }
    let env = k.host.env.lookup();
    let trust = trust(k, req.trust_unsigned);
    let found = k
        .host
        .shared_runtime()
        .map_err(|e| RemoteError::Local(e.to_string()))
        .and_then(|rt| Remote::open(&k.config().remote, &k.ws().state_dir, &env, rt))
        .and_then(|remote| lookup_in(k, &remote, req, &trust, notes));
    match found {
        Ok(pulled) => pulled,
        Err(e) => {
            notes.push(format!(
                "warning: the team library could not be searched ({e}); going on without it"
            ));
            false
        }
    }
}

/// Finds the record the goal would follow in `remote`'s index and pulls it; true when the
/// local library gained an entry.
pub fn lookup_in(
    k: &Kernel,
    remote: &Remote,
    req: &Request,
    trust: &Trust,
    notes: &mut Vec<String>,
) -> Result<bool, RemoteError> {
    let head = HeadRead::read(remote)?;
    if head.head.segments.is_empty() {
        return Ok(false);
    }
    let Some(found) = view::find(k, remote, &head, req, trust, Side::Trusted)? else {
        if let Some(r) = view::find(k, remote, &head, req, trust, Side::Others)? {
            notes.push(untrusted_note(&r));
        }
        return Ok(false);
    };
    if try_pull(k, remote, &found, trust, notes)? {
        return Ok(true);
    }
    // Refused, or here already but not followed: every record again, without it.
    let index = Index::read(remote)?;
    let excluded: Vec<bool> = index.records.iter().map(|r| r.hash == found.hash).collect();
    pull_match(k, remote, &index.records, excluded, req, trust, notes)
}

/// Pulls one matched record; true when the local library gained it.
fn try_pull(
    k: &Kernel,
    remote: &Remote,
    r: &Indexed,
    trust: &Trust,
    notes: &mut Vec<String>,
) -> Result<bool, RemoteError> {
    let db = lock_db(k.db().map_err(|e| RemoteError::Local(e.to_string()))?);
    let local = Local {
        store: &k.store,
        db: &db,
    };
    match pull::pull_record(remote, &local, r, trust)? {
        Outcome::Pulled { trace } => {
            notes.push(format!(
                "note: pulled `{}` from the team library {} (published by {}) as trace {trace}",
                r.record.entry.goal,
                remote.describe(),
                r.record.entry.publisher
            ));
            Ok(true)
        }
        Outcome::Present => Ok(false),
        Outcome::Untrusted(why) | Outcome::Refused(why) => {
            notes.push(format!("warning: refused from the team library: {why}"));
            Ok(false)
        }
    }
}

/// Says that an untrusted record would have matched.
fn untrusted_note(r: &Indexed) -> String {
    let who = match r.record.claimed_key() {
        Some(key) => format!("signed by {key}, which is not in [remote] trusted_keys"),
        None => "unsigned".to_string(),
    };
    format!(
        "note: the team library has `{}` (published by {}), but it is {who}; \
         --trust-unsigned would take it",
        r.record.entry.goal, r.record.entry.publisher
    )
}

/// Finds the record the goal would follow among `records` (less the `excluded`) and
/// pulls it.
fn pull_match(
    k: &Kernel,
    remote: &Remote,
    records: &[Indexed],
    mut excluded: Vec<bool>,
    req: &Request,
    trust: &Trust,
    notes: &mut Vec<String>,
) -> Result<bool, RemoteError> {
    for _ in 0..MAX_TRIES {
        let admitted = |i: usize, r: &Indexed| !excluded[i] && trust.admits(r.record.claimed_key());
        let Some(i) = find(k, req, records, &admitted) else {
            break;
        };
        if try_pull(k, remote, &records[i], trust, notes)? {
            return Ok(true);
        }
        excluded[i] = true;
    }
    Ok(false)
}

/// The position of the record the goal would follow, among the records `keep` admits.
pub fn find(
    k: &Kernel,
    req: &Request,
    records: &[Indexed],
    keep: &dyn Fn(usize, &Indexed) -> bool,
) -> Option<usize> {
    let rows: Vec<LibraryRow> = records
        .iter()
        .enumerate()
        .filter(|(i, r)| keep(*i, r))
        .map(|(i, r)| LibraryRow {
            id: i as i64,
            goal_template: r.record.entry.goal.clone(),
            program_id: r.record.entry.program.to_string(),
            params: canonical_json(&r.record.entry.params),
            success_rating: 1.0,
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let snapshot = Snapshot::build(0, &rows).into_reader();
    k.follower_pick(req, &snapshot)
        .ok()
        .flatten()
        .and_then(|id| usize::try_from(id).ok())
}
