//! A library record: one library entry as the team shares it, immutable, stored at
//! `records/<first 2 hex>/<remaining 62 hex>.json`, named by the blake3 of its bytes.
//!
//! ```json
//! {"entry": {"goal": "count the words in {file}", "kind": "learned",
//!            "learn_cost_micros": 2740, "name": "count_words",
//!            "params": {"generalized": true, "params": [{"name": "file", "type": "path", ...}]},
//!            "parent": null, "program": "<64 hex>", "publisher": "alice",
//!            "source": "<64 hex: blake3 of the source sidecar>"},
//!  "format": "llmos-record/1",
//!  "signature": {"key": "ed25519:...", "sig": "<base64 of 64 bytes>"}}
//! ```
//!
//! The bytes are the record's canonical JSON (sorted keys, no spaces), so the same
//! statement made twice is the same record. `params` is the library's own params value,
//! carried as is: names, types, defaults and, where the library has them, shapes. The
//! signature covers `llmos-record/1\n` followed by the canonical JSON of `entry`; the
//! entry names the program by its hash, so a trusted signature vouches for the exact
//! program bytes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::RecordError;
use super::keys::{KeyPair, PublicKey};
use crate::db::TraceSource;
use crate::store::ObjectId;
use crate::value::{Value, canonical_json};

/// The format tag of records this build writes and reads.
pub const RECORD_FORMAT: &str = "llmos-record/1";

/// What a record says: one library entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The goal template, with `{param}` holes.
    pub goal: String,
    /// The program's name.
    pub name: String,
    /// The library's params value (`{"params": [{"name", "type", ...}], ...}`).
    pub params: Value,
    /// The program, by the blake3 of its `.llb` bytes.
    pub program: ObjectId,
    /// The program it was derived from, when the library knows one.
    pub parent: Option<ObjectId>,
    /// The blake3 of the source sidecar stored at `sources/`, when there is one.
    pub source: Option<String>,
    /// How the publisher got it: learned, compiled or imported.
    pub kind: TraceSource,
    /// What learning it cost the publisher, in micro-dollars.
    pub learn_cost_micros: i64,
    /// Who pushed it (a name; the signature says which key).
    pub publisher: String,
}

/// A signature on a record's entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    #[serde(serialize_with = "ser_key", deserialize_with = "de_key")]
    pub key: PublicKey,
    /// base64 of the 64 signature bytes.
    pub sig: String,
}

/// A record as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub format: String,
    pub entry: Entry,
    pub signature: Option<Seal>,
}

/// What checking a record's signature found.
#[derive(Clone, Debug, PartialEq)]
pub enum Signer {
    /// No signature.
    Unsigned,
    /// A good signature by this key.
    Key(PublicKey),
}

impl Record {
    /// The record of `entry`, signed with `key` when there is one.
    pub fn new(entry: Entry, key: Option<&KeyPair>) -> Record {
        let signature = key.map(|k| Seal {
            key: k.public(),
            sig: k.sign(&signed_bytes(&entry)),
        });
        Record {
            format: RECORD_FORMAT.to_string(),
            entry,
            signature,
        }
    }

    /// The stored bytes: canonical JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        canonical_json(&value).into_bytes()
    }

    /// The record's name: blake3 of its bytes, 64 lowercase hex digits.
    pub fn hash(&self) -> String {
        blake3::hash(&self.to_bytes()).to_hex().to_string()
    }

    /// The record in `bytes`, checked to be a record of this format.
    pub fn parse(bytes: &[u8]) -> Result<Record, RecordError> {
        let record: Record =
            serde_json::from_slice(bytes).map_err(|e| RecordError::NotARecord(e.to_string()))?;
        record.check_format()?;
        Ok(record)
    }

    /// An error unless the record is of the format this build reads.
    pub fn check_format(&self) -> Result<(), RecordError> {
        if self.format != RECORD_FORMAT {
            return Err(RecordError::Format {
                found: self.format.clone(),
                known: RECORD_FORMAT,
            });
        }
        Ok(())
    }

    /// The key that claims to have signed it, unchecked (cheap: for filtering).
    pub fn claimed_key(&self) -> Option<&PublicKey> {
        self.signature.as_ref().map(|s| &s.key)
    }

    /// Checks the signature: who signed it, or why the signature is bad.
    pub fn signer(&self) -> Result<Signer, RecordError> {
        match &self.signature {
            None => Ok(Signer::Unsigned),
            Some(seal) if seal.key.verifies(&signed_bytes(&self.entry), &seal.sig) => {
                Ok(Signer::Key(seal.key))
            }
            Some(seal) => Err(RecordError::BadSignature {
                key: seal.key.to_string(),
            }),
        }
    }
}

/// What a signature covers: the format tag, a newline and the entry's canonical JSON.
fn signed_bytes(entry: &Entry) -> Vec<u8> {
    let value = serde_json::to_value(entry).unwrap_or(Value::Null);
    let mut out = format!("{RECORD_FORMAT}\n").into_bytes();
    out.extend_from_slice(canonical_json(&value).as_bytes());
    out
}

fn ser_key<S: Serializer>(key: &PublicKey, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(key)
}

fn de_key<'de, D: Deserializer<'de>>(d: D) -> Result<PublicKey, D::Error> {
    String::deserialize(d)?
        .parse()
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn entry() -> Entry {
        Entry {
            goal: "count the words in {file}".into(),
            name: "count_words".into(),
            params: json!({"params": [{"name": "file", "type": "path"}], "generalized": true}),
            program: ObjectId::of(b"program"),
            parent: None,
            source: None,
            kind: TraceSource::Learned,
            learn_cost_micros: 2740,
            publisher: "alice".into(),
        }
    }

    #[test]
    fn bytes_are_canonical_and_round_trip() {
        let key = KeyPair::from_seed([1; 32]);
        let r = Record::new(entry(), Some(&key));
        let bytes = r.to_bytes();
        let back = Record::parse(&bytes).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(Record::new(entry(), Some(&key)).hash(), r.hash());
        assert_eq!(back.signer().unwrap(), Signer::Key(key.public()));
        assert!(
            String::from_utf8(bytes)
                .unwrap()
                .starts_with("{\"entry\":{\"goal\"")
        );
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let key = KeyPair::from_seed([2; 32]);
        let mut r = Record::new(entry(), Some(&key));
        r.entry.program = ObjectId::of(b"another program");
        let e = r.signer().unwrap_err();
        assert_eq!(e.code(), "bad-signature");
        assert!(e.to_string().contains("not a valid signature"), "{e}");
        let mut r = Record::new(entry(), Some(&key));
        r.entry.params["params"][0]["type"] = json!("str");
        assert!(r.signer().is_err());
        // A signature moved onto another key's name is refused too.
        let mut r = Record::new(entry(), Some(&key));
        r.signature.as_mut().unwrap().key = KeyPair::from_seed([3; 32]).public();
        assert!(r.signer().is_err());
        assert_eq!(
            Record::new(entry(), None).signer().unwrap(),
            Signer::Unsigned
        );
    }

    #[test]
    fn other_formats_and_fields_are_refused() {
        let mut r = Record::new(entry(), None);
        r.format = "llmos-record/2".into();
        let e = Record::parse(&r.to_bytes()).unwrap_err();
        assert!(e.to_string().contains("newer"), "{e}");
        assert_eq!(e.code(), "record-format");
        assert!(Record::parse(b"{\"format\":1}").is_err());
        let mut v: Value = serde_json::from_slice(&Record::new(entry(), None).to_bytes()).unwrap();
        v["extra"] = json!(1);
        assert!(Record::parse(v.to_string().as_bytes()).is_err());
    }
}
