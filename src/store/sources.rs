//! Source sidecars: the text a program was compiled from, kept beside its object as
//! `objects/ab/<rest>.src.json` so run-time errors can quote the step's source line. The
//! sidecar is not part of the object's id; it carries its own blake3 of the text, checked
//! on every load, and the step→span table (where each statement is, then the `return`
//! expression), so an error names a step's line without checking the source again.
//! Sidecars written before the table existed have none and still load.

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::atomic::write_atomic;
use super::objects::{ObjectId, ObjectStore};
use crate::diag::Span;

/// The JSON form of a sidecar.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    /// The object this source belongs to.
    object: ObjectId,
    /// The source file's name as given when compiling.
    file: String,
    /// The source text.
    text: String,
    /// blake3 of `text`, 64 lowercase hex digits.
    blake3: String,
    /// The byte range `[start, end]` of each step, then of the `return` expression;
    /// absent in sidecars written before it existed, or when not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    steps: Option<Vec<[u32; 2]>>,
}

/// A program's source as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file name as given when compiling.
    pub file: String,
    pub text: String,
    /// The span of each step by index, then of the `return` expression; `None` when the
    /// sidecar has no table.
    pub steps: Option<Vec<Span>>,
}

impl ObjectStore {
    /// Stores the source text of the object `id` (which must already be stored) with its
    /// step→span table (`None` when not known), written atomically; replaces any earlier
    /// source of the same object.
    pub fn put_source(
        &self,
        id: &ObjectId,
        file_name: &str,
        text: &str,
        steps: Option<&[Span]>,
    ) -> Result<(), StoreError> {
        if !self.contains(id) {
            return Err(StoreError::Missing { id: *id });
        }
        let sidecar = Sidecar {
            object: *id,
            file: file_name.to_string(),
            text: text.to_string(),
            blake3: blake3::hash(text.as_bytes()).to_hex().to_string(),
            steps: steps.map(|s| s.iter().map(|s| [s.start, s.end]).collect()),
        };
        let path = self.source_path(id);
        let bytes = serde_json::to_vec_pretty(&sidecar)
            .map_err(|e| StoreError::io("encoding", &path, io::Error::other(e)))?;
        self.ensure_parent(&path)?;
        write_atomic(&path, &bytes).map_err(|e| StoreError::io("writing", &path, e))
    }

    /// The source of the object `id` as `(file name, text)`, or `None` if none was stored.
    /// A sidecar that is malformed, belongs to another object or whose text does not match
    /// its hash is `CorruptSource`.
    pub fn get_source(&self, id: &ObjectId) -> Result<Option<(String, String)>, StoreError> {
        Ok(self.get_source_record(id)?.map(|s| (s.file, s.text)))
    }

    /// [`get_source`](Self::get_source) with the step→span table.
    pub fn get_source_record(&self, id: &ObjectId) -> Result<Option<Source>, StoreError> {
        let path = self.source_path(id);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("reading", &path, e)),
        };
        check_sidecar(id, &path, &bytes).map(Some)
    }
}

/// Decodes and checks a sidecar's bytes: the source or why it is corrupt.
pub(crate) fn check_sidecar(
    id: &ObjectId,
    path: &Path,
    bytes: &[u8],
) -> Result<Source, StoreError> {
    let corrupt = |reason: String| StoreError::CorruptSource {
        id: *id,
        path: path.to_path_buf(),
        reason,
    };
    let sidecar: Sidecar =
        serde_json::from_slice(bytes).map_err(|e| corrupt(format!("not a source record: {e}")))?;
    if sidecar.object != *id {
        return Err(corrupt(format!("it names object {}", sidecar.object)));
    }
    if blake3::hash(sidecar.text.as_bytes()).to_hex().as_str() != sidecar.blake3 {
        return Err(corrupt(
            "the text does not match its blake3 hash".to_string(),
        ));
    }
    let len = sidecar.text.len() as u64;
    let steps = match sidecar.steps {
        Some(steps) if steps.iter().any(|[a, b]| a > b || u64::from(*b) > len) => {
            return Err(corrupt(
                "a step's span is not a range of the text".to_string(),
            ));
        }
        steps => steps.map(|s| {
            s.into_iter()
                .map(|[start, end]| Span { start, end })
                .collect()
        }),
    };
    Ok(Source {
        file: sidecar.file,
        text: sidecar.text,
        steps,
    })
}
