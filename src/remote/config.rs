//! The `[remote]` table of `config.toml`: where the team's library is and whom to trust.
//!
//! ```toml
//! [remote]
//! url = "s3://team-bucket/llmos"      # or "file:///srv/llmos-library" (a shared folder)
//! endpoint = "http://127.0.0.1:9000"  # S3-compatible servers; else AWS_ENDPOINT_URL
//! region = "eu-west-1"                # else AWS_REGION, else us-east-1
//! lookup = true                       # `run --mode auto`: ask the team before learning
//! trusted_keys = ["ed25519:..."]      # pulled programs must be signed by one of these
//! publisher = "alice"                 # the name on records you push (default: $USER)
//! timeout = "30s"                     # per request, retries included
//! max_object_bytes = 67108864         # the largest key downloaded (default 64 MiB)
//! ```

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::BadRemoteUrl;
use super::keys::PublicKey;

/// The default time limit of one remote request, retries included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The default limit on the size of one downloaded key.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 64 << 20;

/// The `[remote]` table. `Default` is no remote.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteConfig {
    #[serde(default, deserialize_with = "de_url")]
    pub url: Option<RemoteUrl>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// Whether `run --mode auto` looks a goal up in the remote before learning it
    /// (default: yes, when a remote is set).
    #[serde(default)]
    pub lookup: Option<bool>,
    #[serde(default, deserialize_with = "de_keys")]
    pub trusted_keys: Vec<PublicKey>,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default, deserialize_with = "crate::workspace::de_duration")]
    pub timeout: Option<String>,
    #[serde(default, deserialize_with = "de_bytes")]
    pub max_object_bytes: Option<u64>,
}

/// Where the shared library lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteUrl {
    /// `s3://bucket/prefix`.
    S3 {
        text: String,
        bucket: String,
        prefix: String,
    },
    /// `file:///absolute/folder`.
    Dir { text: String, path: PathBuf },
}

impl RemoteUrl {
    /// Parses `s3://bucket[/prefix]` or `file:///folder`.
    pub fn parse(text: &str) -> Result<RemoteUrl, BadRemoteUrl> {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let bucket_ok = (3..=63).contains(&bucket.len())
                && bucket.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            if !bucket_ok {
                return Err(BadRemoteUrl::Bucket {
                    text: text.to_owned(),
                    bucket: bucket.to_owned(),
                });
            }
            let prefix = prefix.trim_matches('/');
            if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
                return Err(BadRemoteUrl::Prefix {
                    text: text.to_owned(),
                    prefix: prefix.to_owned(),
                });
            }
            return Ok(RemoteUrl::S3 {
                text: text.to_string(),
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
            });
        }
        if let Some(path) = text.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(BadRemoteUrl::RelativeFolder {
                    text: text.to_owned(),
                });
            }
            return Ok(RemoteUrl::Dir {
                text: text.to_string(),
                path: PathBuf::from(path),
            });
        }
        Err(BadRemoteUrl::Scheme {
            text: text.to_owned(),
        })
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        match self {
            RemoteUrl::S3 { text, .. } | RemoteUrl::Dir { text, .. } => text,
        }
    }
}

impl RemoteConfig {
    /// Whether `run --mode auto` asks the remote before learning.
    pub fn lookup_enabled(&self) -> bool {
        self.url.is_some() && self.lookup.unwrap_or(true)
    }

    /// `timeout` as a duration.
    pub fn timeout(&self) -> Duration {
        self.timeout
            .as_deref()
            .and_then(|t| humantime::parse_duration(t).ok())
            .unwrap_or(DEFAULT_TIMEOUT)
    }

    /// `max_object_bytes`, or its default.
    pub fn max_object_bytes(&self) -> u64 {
        self.max_object_bytes.unwrap_or(DEFAULT_MAX_OBJECT_BYTES)
    }
}

fn de_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<RemoteUrl>, D::Error> {
    let text = String::deserialize(d)?;
    RemoteUrl::parse(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn de_keys<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PublicKey>, D::Error> {
    let texts = Vec::<String>::deserialize(d)?;
    texts
        .iter()
        .map(|t| t.parse::<PublicKey>())
        .collect::<Result<_, _>>()
        .map_err(|e| serde::de::Error::custom(format!("in trusted_keys: {e}")))
}

fn de_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match u64::deserialize(d)? {
        n if n < 1024 => Err(serde::de::Error::custom(
            "max_object_bytes must be at least 1024",
        )),
        n => Ok(Some(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            RemoteUrl::parse("s3://team-bucket/a/b/").unwrap(),
            RemoteUrl::S3 {
                text: "s3://team-bucket/a/b/".into(),
                bucket: "team-bucket".into(),
                prefix: "a/b".into()
            }
        );
        assert!(matches!(
            RemoteUrl::parse("s3://bkt").unwrap(),
            RemoteUrl::S3 { prefix, .. } if prefix.is_empty()
        ));
        assert!(RemoteUrl::parse("file:///srv/x").is_ok());
        for bad in [
            "file://rel",
            "s3://B",
            "s3://ok-bucket/a/../b",
            "http://x",
            "",
        ] {
            assert!(RemoteUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
