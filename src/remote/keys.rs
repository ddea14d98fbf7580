//! Signing keys: the workspace's own ed25519 key (`llmos keys generate`, kept in
//! `<state>/keys/ed25519.key`, readable by its owner only) and public keys as one token,
//! `ed25519:` followed by the 32 key bytes in base64 (standard alphabet, padded).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::{BadPublicKey, KeyProblem, RemoteError};

/// The prefix of a public key token.
const PUBLIC_PREFIX: &str = "ed25519:";
/// The prefix of the line in a key file.
const SECRET_PREFIX: &str = "ed25519-secret:";

/// An ed25519 public key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Whether `sig` (base64 of 64 bytes) is this key's signature of `message`. Strict
    /// verification: no malleable or small-order signatures.
    pub fn verifies(&self, message: &[u8], sig: &str) -> bool {
        let Ok(bytes) = B64.decode(sig) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&bytes) else {
            return false;
        };
        self.0.verify_strict(message, &sig).is_ok()
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PUBLIC_PREFIX}{}", B64.encode(self.0.to_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = BadPublicKey;

    fn from_str(text: &str) -> Result<PublicKey, BadPublicKey> {
        let bad = |why: KeyProblem| BadPublicKey {
            text: text.to_owned(),
            why,
        };
        let body = text
            .strip_prefix(PUBLIC_PREFIX)
            .ok_or_else(|| bad(KeyProblem::Prefix))?;
        let bytes = B64
            .decode(body)
            .map_err(|e| bad(KeyProblem::Base64(e.to_string())))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| bad(KeyProblem::Length(b.len())))?;
        VerifyingKey::from_bytes(&bytes)
            .map(PublicKey)
            .map_err(|_| bad(KeyProblem::NotOnCurve))
    }
}

/// The workspace's signing key.
pub struct KeyPair(SigningKey);

impl KeyPair {
    /// The public half.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The signature of `message`, base64.
    pub fn sign(&self, message: &[u8]) -> String {
        B64.encode(self.0.sign(message).to_bytes())
    }

    /// A key from 32 seed bytes (tests and benches make keys this way).
    pub fn from_seed(seed: [u8; 32]) -> KeyPair {
        KeyPair(SigningKey::from_bytes(&seed))
    }
}

/// Where the workspace's key is kept.
pub fn key_path(state_dir: &Path) -> PathBuf {
    state_dir.join("keys").join("ed25519.key")
}

/// Makes a new key at `path` from the operating system's random numbers. An existing key
/// is kept (an error) unless `replace`.
pub fn generate(path: &Path, replace: bool) -> Result<KeyPair, RemoteError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| RemoteError::Key(format!("no random numbers from the system: {e}")))?;
    let pair = KeyPair::from_seed(seed);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| RemoteError::io("creating", dir, e))?;
    }
    if path.exists() && !replace {
        return Err(RemoteError::Key(format!(
            "{} already holds a key (`llmos keys show` prints it; --force replaces it, and \
             records signed with the old one are then trusted only where its public key is)",
            path.display()
        )));
    }
    let line = format!("{SECRET_PREFIX}{}\n", B64.encode(seed));
    write_private(path, line.as_bytes()).map_err(|e| RemoteError::io("writing", path, e))?;
    Ok(pair)
}

/// Writes a file readable by its owner only, replacing any file at `path` whole.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&tmp, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    renamed
}

/// The workspace's key, or `None` when it has none.
pub fn load(path: &Path) -> Result<Option<KeyPair>, RemoteError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(RemoteError::io("reading", path, e)),
    };
    let bad = || {
        RemoteError::Key(format!(
            "{} is not an llmos key file (remove it and run `llmos keys generate`)",
            path.display()
        ))
    };
    let body = text.trim().strip_prefix(SECRET_PREFIX).ok_or_else(bad)?;
    let seed: [u8; 32] = B64
        .decode(body)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(bad)?;
    Ok(Some(KeyPair::from_seed(seed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_token_round_trip() {
        let pair = KeyPair::from_seed([7; 32]);
        let token = pair.public().to_string();
        assert!(token.starts_with("ed25519:"));
        let public: PublicKey = token.parse().unwrap();
        assert_eq!(public, pair.public());
        let sig = pair.sign(b"hello");
        assert!(public.verifies(b"hello", &sig));
        assert!(!public.verifies(b"hellO", &sig));
        assert!(
            !KeyPair::from_seed([8; 32])
                .public()
                .verifies(b"hello", &sig)
        );
        assert!(!public.verifies(b"hello", "not base64!"));
        for bad in ["ed25519:", "rsa:AAAA", "ed25519:AAAA", "ed25519:***"] {
            assert!(bad.parse::<PublicKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn generate_load_and_refuse_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_path(dir.path());
        assert!(load(&path).unwrap().is_none());
        let made = generate(&path, false).unwrap();
        assert_eq!(load(&path).unwrap().unwrap().public(), made.public());
        assert!(generate(&path, false).is_err());
        let other = generate(&path, true).unwrap();
        assert_ne!(other.public(), made.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
