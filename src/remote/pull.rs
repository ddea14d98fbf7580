//! Bringing the team's records into the local library: `llmos remote pull` takes every
//! record of the index, the auto-mode lookup one. A record is pulled only when
//! - its bytes hash to the name it is listed under,
//! - its signature is good and by a trusted key (`[remote] trusted_keys`, or this
//!   workspace's own key), or the user said `--trust-unsigned`,
//! - the program object hashes to the id the record names and decodes, and its source
//!   sidecar (if named) hashes to its key and belongs to that program.
//!
//! A bad signature or a mismatched hash is a refusal that names the record; an
//! untrusted signer is skipped and named. What passes is stored locally (object, source)
//! and added to the library with its origin, in one transaction, so a repeat run finds
//! it without the network. Ratings and usage start afresh on this machine.

use std::collections::BTreeSet;

use super::index::Indexed;
use super::keys::PublicKey;
use super::layout;
use super::record::Signer;
use super::{Remote, RemoteError};
use crate::db::{Db, NewTrace, Origin};
use crate::store::ObjectStore;

/// Whose records are pulled.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// `[remote] trusted_keys` and the workspace's own key.
    pub keys: Vec<PublicKey>,
    /// `--trust-unsigned`: any record with no signature or a good one by any key.
    pub anyone: bool,
}

impl Trust {
    /// Whether a record claiming this signer could be pulled (its signature is checked
    /// later): cheap, for narrowing a large index.
    pub fn admits(&self, claimed: Option<&PublicKey>) -> bool {
        self.anyone || claimed.is_some_and(|k| self.keys.contains(k))
    }
}

/// What became of one record.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Added to the local library as this trace.
    Pulled { trace: i64 },
    /// The local library already had this goal template with this program.
    Present,
    /// Not signed by a trusted key: left alone. The text names the signer.
    Untrusted(String),
    /// Tampered or damaged: the text says which record and why.
    Refused(String),
}

/// The local side of a pull: the store and the library.
pub struct Local<'a> {
    pub store: &'a ObjectStore,
    pub db: &'a Db,
}

/// Pulls one record.
pub fn pull_record(
    remote: &Remote,
    local: &Local<'_>,
    r: &Indexed,
    trust: &Trust,
) -> Result<Outcome, RemoteError> {
    let e = &r.record.entry;
    let named = format!(
        "record {} (`{}`, published by {})",
        &r.hash[..12.min(r.hash.len())],
        e.goal,
        e.publisher
    );
    if let Err(why) = r.check_hash().and_then(|()| r.record.check_format()) {
        return Ok(Outcome::Refused(format!("{named}: {why}")));
    }
    let signer = match r.record.signer() {
        Ok(s) => s,
        Err(why) => return Ok(Outcome::Refused(format!("{named}: {why}"))),
    };
    let signer_text = match &signer {
        Signer::Key(k) => Some(k.to_string()),
        Signer::Unsigned => None,
    };
    let trusted = match &signer {
        Signer::Key(k) => trust.anyone || trust.keys.contains(k),
        Signer::Unsigned => trust.anyone,
    };
    if !trusted {
        let who = match &signer_text {
            Some(k) => format!("signed by {k}, which is not in [remote] trusted_keys"),
            None => "unsigned".to_string(),
        };
        return Ok(Outcome::Untrusted(format!("{named}: {who}")));
    }
    let program = e.program.to_string();
    let have = local
        .db
        .library()
        .find_by_goal_template(&e.goal)
        .map_err(|err| RemoteError::Local(err.to_string()))?;
    if have.iter().any(|t| t.program_id == program) {
        return Ok(Outcome::Present);
    }
    let bytes = match remote.get_hashed(&layout::object(&e.program), &program) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return Ok(Outcome::Refused(format!(
                "{named}: its program {program} is missing from the remote"
            )));
        }
        Err(RemoteError::Corrupt { reason, .. }) => {
            return Ok(Outcome::Refused(format!(
                "{named}: the remote object for its program {program} does not match: {reason}"
            )));
        }
        Err(other) => return Err(other),
    };
    if let Err(err) = crate::bytecode::decode(&bytes) {
        return Ok(Outcome::Refused(format!(
            "{named}: its program {program} is not valid bytecode: {err}"
        )));
    }
    let source = match fetch_source(remote, r) {
        Ok(s) => s,
        Err(Fetch::Refused(why)) => return Ok(Outcome::Refused(format!("{named}: {why}"))),
        Err(Fetch::Remote(err)) => return Err(err),
    };
    store_locally(remote, local, r, &bytes, source, signer_text)
}

enum Fetch {
    Refused(String),
    Remote(RemoteError),
}

/// The record's source sidecar, checked.
fn fetch_source(remote: &Remote, r: &Indexed) -> Result<Option<crate::store::Source>, Fetch> {
    let Some(hash) = &r.record.entry.source else {
        return Ok(None);
    };
    if !layout::is_hash(hash) {
        return Err(Fetch::Refused(format!("its source `{hash}` is not a hash")));
    }
    let key = layout::source(hash);
    let bytes = match remote.get_hashed(&key, hash) {
        Ok(Some(b)) => b,
        Ok(None) => return Err(Fetch::Refused(format!("its source {hash} is missing"))),
        Err(RemoteError::Corrupt { reason, .. }) => {
            return Err(Fetch::Refused(format!("its source {hash}: {reason}")));
        }
        Err(other) => return Err(Fetch::Remote(other)),
    };
    let path = std::path::Path::new(&key);
    crate::store::check_sidecar(&r.record.entry.program, path, &bytes)
        .map(Some)
        .map_err(|e| Fetch::Refused(e.to_string()))
}

/// Stores a checked program (and source) and adds the entry and its origin.
fn store_locally(
    remote: &Remote,
    local: &Local<'_>,
    r: &Indexed,
    bytes: &[u8],
    source: Option<crate::store::Source>,
    signer: Option<String>,
) -> Result<Outcome, RemoteError> {
    let e = &r.record.entry;
    let io = |err: crate::store::StoreError| RemoteError::Local(err.to_string());
    local.store.put(bytes).map_err(io)?;
    if let Some(s) = source {
        local
            .store
            .put_source(&e.program, &s.file, &s.text, s.steps.as_deref())
            .map_err(io)?;
    }
    let trace = local
        .db
        .batch(|db| {
            let trace = db.library().add(&NewTrace {
                name: e.name.clone(),
                goal_template: e.goal.clone(),
                program_id: e.program.to_string(),
                params: e.params.clone(),
                source: e.kind,
                learn_cost_micros: e.learn_cost_micros.max(0),
            })?;
            if let Some(parent) = &e.parent
                && db.lineage().parent(&e.program.to_string())?.is_none()
            {
                let note = format!("pulled from {} (record {})", remote.describe(), r.hash);
                db.lineage()
                    .record(&e.program.to_string(), &parent.to_string(), &note)?;
            }
            db.origins().record(&Origin {
                goal_template: e.goal.clone(),
                program_id: e.program.to_string(),
                record: r.hash.clone(),
                publisher: e.publisher.clone(),
                signer: signer.clone(),
                remote: remote.describe().to_string(),
                pulled_at: String::new(),
            })?;
            Ok(trace)
        })
        .map_err(|err| RemoteError::Local(err.to_string()))?;
    Ok(Outcome::Pulled { trace })
}

/// What pulling many records did.
#[derive(Clone, Debug, Default)]
pub struct PullReport {
    /// `(trace, goal, program)` of every entry added.
    pub pulled: Vec<(i64, String, String)>,
    pub present: usize,
    pub untrusted: Vec<String>,
    pub refused: Vec<String>,
}

/// Pulls every record in `records` (in order; of several records for one goal template
/// and program, the first that passes).
pub fn pull_all(
    remote: &Remote,
    local: &Local<'_>,
    records: &[Indexed],
    trust: &Trust,
) -> Result<PullReport, RemoteError> {
    let mut report = PullReport::default();
    let mut done = BTreeSet::new();
    for r in records {
        let e = &r.record.entry;
        let pair = (e.goal.clone(), e.program);
        if done.contains(&pair) {
            report.present += 1;
            continue;
        }
        match pull_record(remote, local, r, trust)? {
            Outcome::Pulled { trace } => {
                report
                    .pulled
                    .push((trace, e.goal.clone(), e.program.to_string()));
                done.insert(pair);
            }
            Outcome::Present => {
                report.present += 1;
                done.insert(pair);
            }
            Outcome::Untrusted(why) => report.untrusted.push(why),
            Outcome::Refused(why) => report.refused.push(why),
        }
    }
    Ok(report)
}
