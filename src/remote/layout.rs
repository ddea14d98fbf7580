//! Where everything is in a remote, below its prefix (see `docs/REMOTE.md`):
//!
//! ```text
//! objects/ab/<62 hex>            a program's .llb bytes; the key is their blake3
//! sources/ab/<62 hex>.json       a source sidecar; the key is the blake3 of its bytes
//! records/ab/<62 hex>.json       a signed library record; the key is the blake3 of its bytes
//! index/segments/<64 hex>.json   a batch of records, immutable; the key is its blake3
//! index/head.json                the segments that make the index, in order (the only
//!                                key ever replaced: compare-and-swap on its ETag)
//! ```

use crate::store::ObjectId;

/// The one key that is replaced.
pub const HEAD: &str = "index/head.json";

/// A program object's key.
pub fn object(id: &ObjectId) -> String {
    sharded("objects", &id.to_string(), "")
}

/// A source sidecar's key, by the blake3 of its bytes.
pub fn source(hash: &str) -> String {
    sharded("sources", hash, ".json")
}

/// A record's key, by the blake3 of its bytes.
pub fn record(hash: &str) -> String {
    sharded("records", hash, ".json")
}

/// An index segment's key, by the blake3 of its bytes.
pub fn segment(hash: &str) -> String {
    format!("index/segments/{hash}.json")
}

fn sharded(dir: &str, hash: &str, suffix: &str) -> String {
    let (shard, rest) = hash.split_at(2.min(hash.len()));
    format!("{dir}/{shard}/{rest}{suffix}")
}

/// Whether `s` is a blake3 hash as keys name them: 64 lowercase hex digits.
pub fn is_hash(s: &str) -> bool {
    crate::db::is_program_id(s)
}

/// The blake3 of `bytes` as keys name it.
pub fn hash_of(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}
