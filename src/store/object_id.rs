//! `ObjectId`: the blake3 hash that names a stored program, shown as 64 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::StoreError;

/// The id of a stored object: the blake3 hash of its bytes. Ordered as its hex text is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId([u8; 32]);

impl ObjectId {
    /// The id of these bytes.
    pub fn of(bytes: &[u8]) -> ObjectId {
        ObjectId(*blake3::hash(bytes).as_bytes())
    }

    /// The id with these hash bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> ObjectId {
        ObjectId(bytes)
    }

    /// The 32 hash bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first 12 hex digits, for compact human-readable output.
    pub fn short(&self) -> String {
        let mut s = self.to_string();
        s.truncate(12);
        s
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

/// Checks that `text` is hex digits only; the error names the first bad character.
pub(crate) fn check_hex(text: &str) -> Result<(), StoreError> {
    match text
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        None => Ok(()),
        Some((i, c)) => Err(StoreError::BadId {
            text: text.to_string(),
            reason: format!("character {} (`{c}`) is not a hex digit", i + 1),
        }),
    }
}

impl FromStr for ObjectId {
    type Err = StoreError;

    /// Parses a full id: 64 hex digits, either case.
    fn from_str(text: &str) -> Result<ObjectId, StoreError> {
        check_hex(text)?;
        if text.len() != 64 {
            return Err(StoreError::BadId {
                text: text.to_string(),
                reason: format!("an id has 64 hex digits, this has {}", text.len()),
            });
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            // Proven: `text` is 64 ASCII hex digits, so every 2-digit slice parses.
            let pair = &text[2 * i..2 * i + 2];
            *byte = u8::from_str_radix(pair, 16).map_err(|e| StoreError::BadId {
                text: text.to_string(),
                reason: e.to_string(),
            })?;
        }
        Ok(ObjectId(bytes))
    }
}

impl Serialize for ObjectId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ObjectId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ObjectId, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_case() {
        let id = ObjectId::of(b"hello");
        let text = id.to_string();
        assert_eq!(text, blake3::hash(b"hello").to_hex().as_str());
        assert_eq!(text.parse::<ObjectId>().unwrap(), id);
        assert_eq!(text.to_uppercase().parse::<ObjectId>().unwrap(), id);
        assert_eq!(id.short(), text[..12]);
    }

    #[test]
    fn bad_text_is_named() {
        let e = "abc".parse::<ObjectId>().unwrap_err().to_string();
        assert!(e.contains("64 hex digits, this has 3"), "{e}");
        let e = format!("{}g", "0".repeat(63))
            .parse::<ObjectId>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("character 64 (`g`)"), "{e}");
        // A non-ASCII character must not split a slice mid-character.
        let e = format!("{}é", "0".repeat(62))
            .parse::<ObjectId>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("`é`"), "{e}");
    }

    #[test]
    fn serde_as_hex_string() {
        let id = ObjectId::of(b"x");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        assert_eq!(serde_json::from_str::<ObjectId>(&json).unwrap(), id);
        assert!(serde_json::from_str::<ObjectId>("\"zz\"").is_err());
    }
}
