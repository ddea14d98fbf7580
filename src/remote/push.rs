//! `llmos remote push`: publishes library entries. For each entry, in this order: the
//! program object, its source sidecar, the signed record (all create-only, at
//! content-addressed keys); then every new record goes into the index in one
//! compare-and-swap of its head. Entries pulled from a remote are not re-published.

use super::index::{self, Indexed, Published};
use super::keys::KeyPair;
use super::layout;
use super::record::{Entry, Record};
use super::{Remote, RemoteError};
use crate::db::{TraceEntry, TraceSource};
use crate::store::{ObjectId, ObjectStore};

/// One entry pushed.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub trace: i64,
    pub goal: String,
    pub program: ObjectId,
    /// The record's hash.
    pub record: String,
}

/// What a push did.
#[derive(Clone, Debug, Default)]
pub struct PushReport {
    pub pushed: Vec<Pushed>,
    pub index: Published,
}

/// Who signs and names the records.
pub struct Publisher<'a> {
    pub name: &'a str,
    pub key: Option<&'a KeyPair>,
}

/// A library entry to push, with the program it grew from (the library's lineage).
pub struct Outgoing {
    pub entry: TraceEntry,
    pub parent: Option<ObjectId>,
}

/// Publishes `entries` from the local `store`.
pub fn push(
    remote: &Remote,
    store: &ObjectStore,
    entries: &[Outgoing],
    by: &Publisher<'_>,
) -> Result<PushReport, RemoteError> {
    let mut report = PushReport::default();
    let mut records = Vec::new();
    for out in entries {
        let e = &out.entry;
        let (record, program) = upload_entry(remote, store, out, by)?;
        let indexed = Indexed::of(record);
        let bytes = indexed.record.to_bytes();
        remote.create(&layout::record(&indexed.hash), &bytes)?;
        report.pushed.push(Pushed {
            trace: e.id,
            goal: e.goal_template.clone(),
            program,
            record: indexed.hash.clone(),
        });
        records.push(indexed);
    }
    report.index = index::publish(remote, &records)?;
    Ok(report)
}

/// Uploads an entry's program and source; returns its record (not yet stored).
fn upload_entry(
    remote: &Remote,
    store: &ObjectStore,
    out: &Outgoing,
    by: &Publisher<'_>,
) -> Result<(Record, ObjectId), RemoteError> {
    let e = &out.entry;
    let local = |reason: String| {
        RemoteError::Local(format!("trace {} (`{}`): {reason}", e.id, e.goal_template))
    };
    let program: ObjectId = e
        .program_id
        .parse()
        .map_err(|err| local(format!("{err}")))?;
    // `get` re-hashes: a corrupt local object is never published.
    let bytes = store.get(&program).map_err(|err| local(err.to_string()))?;
    remote.create(&layout::object(&program), &bytes)?;
    let source = upload_source(remote, store, &program).map_err(|err| match err {
        RemoteError::Local(m) => local(m),
        other => other,
    })?;
    let entry = Entry {
        goal: e.goal_template.clone(),
        name: e.name.clone(),
        params: e.params.clone(),
        program,
        parent: out.parent,
        source,
        kind: e.source,
        learn_cost_micros: e.learn_cost_micros,
        publisher: by.name.to_string(),
    };
    Ok((Record::new(entry, by.key), program))
}

/// Uploads the source sidecar of `program`, if it has one; returns its hash.
fn upload_source(
    remote: &Remote,
    store: &ObjectStore,
    program: &ObjectId,
) -> Result<Option<String>, RemoteError> {
    // `get_source` checks the sidecar; the bytes uploaded are the file as checked.
    if store
        .get_source(program)
        .map_err(|e| RemoteError::Local(e.to_string()))?
        .is_none()
    {
        return Ok(None);
    }
    let path = store.source_path(program);
    let bytes = std::fs::read(&path).map_err(|e| RemoteError::io("reading", &path, e))?;
    let hash = layout::hash_of(&bytes);
    remote.create(&layout::source(&hash), &bytes)?;
    Ok(Some(hash))
}

/// The entries `push` publishes when given no ids: learned ones not pulled from a remote.
pub fn default_selection(
    entries: Vec<TraceEntry>,
    pulled: &dyn Fn(&TraceEntry) -> bool,
) -> Vec<TraceEntry> {
    entries
        .into_iter()
        .filter(|e| e.source == TraceSource::Learned && !pulled(e))
        .collect()
}
