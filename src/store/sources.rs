//! Source sidecars: the text a program was compiled from, kept beside its object as
//! `objects/ab/<rest>.src.json` so run-time errors can quote the step's source line. The
//! sidecar is not part of the object's id; it carries its own blake3 of the text, checked
//! on every load.

use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::atomic::write_atomic;
use super::objects::{ObjectId, ObjectStore};

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
}

impl ObjectStore {
    /// Stores the source text of the object `id` (which must already be stored), written
    /// atomically; replaces any earlier source of the same object.
    pub fn put_source(&self, id: &ObjectId, file_name: &str, text: &str) -> Result<(), StoreError> {
        if !self.contains(id) {
            return Err(StoreError::Missing { id: *id });
        }
        let sidecar = Sidecar {
            object: *id,
            file: file_name.to_string(),
            text: text.to_string(),
            blake3: blake3::hash(text.as_bytes()).to_hex().to_string(),
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
        let path = self.source_path(id);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("reading", &path, e)),
        };
        check_sidecar(id, &path, &bytes).map(Some)
    }
}

/// Decodes and checks a sidecar's bytes: `(file name, text)` or why it is corrupt.
pub(crate) fn check_sidecar(
    id: &ObjectId,
    path: &Path,
    bytes: &[u8],
) -> Result<(String, String), StoreError> {
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
    Ok((sidecar.file, sidecar.text))
}
