//! A remote in an S3 bucket (`url = "s3://bucket/prefix"`), or anything that speaks S3
//! (MinIO, R2, Ceph, GCS's S3 API) at `endpoint`, on `object_store`. Create-only writes
//! send `If-None-Match: *`, compare-and-swap sends `If-Match: <ETag>`; a store that
//! ignores those headers would make racing pushes unsafe, so it is not supported.
//!
//! Credentials and region come from the standard variables (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or `AWS_DEFAULT_REGION`,
//! `AWS_ENDPOINT_URL`); `[remote] endpoint` and `region` win over them.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as StorePath;
use object_store::{
    BackoffConfig, ClientOptions, Error as StoreError, GetOptions, ObjectStore, PutMode,
    PutOptions, PutPayload, RetryConfig, UpdateVersion,
};

use super::RemoteError;
use super::backend::{Backend, Created, Fetched, Swapped, Version};

/// A remote in a bucket.
pub struct S3Backend {
    store: AmazonS3,
    prefix: String,
    url: String,
    /// The host's runtime: the [`Backend`] trait is synchronous (the remote is used
    /// from the CLI and the kernel, outside any runtime), so each request blocks on it.
    runtime: Arc<tokio::runtime::Runtime>,
}

/// Where and how to reach the bucket.
pub struct S3Settings<'a> {
    /// `s3://bucket/prefix` as written.
    pub url: &'a str,
    pub bucket: &'a str,
    /// The key prefix, without leading or trailing `/` (may be empty).
    pub prefix: &'a str,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Per request; retries stop when it has passed.
    pub timeout: Duration,
}

impl S3Backend {
    /// Builds the client, whose requests run on `runtime` (the host's). Nothing is sent
    /// yet.
    pub fn open(
        s: S3Settings<'_>,
        env: &dyn Fn(&str) -> Option<String>,
        runtime: Arc<tokio::runtime::Runtime>,
    ) -> Result<S3Backend, RemoteError> {
        let config = |m: String| RemoteError::Config(format!("remote {}: {m}", s.url));
        let key_id = env("AWS_ACCESS_KEY_ID").filter(|v| !v.is_empty());
        let secret = env("AWS_SECRET_ACCESS_KEY").filter(|v| !v.is_empty());
        let (Some(key_id), Some(secret)) = (key_id, secret) else {
            return Err(config(
                "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
            ));
        };
        let region = s
            .region
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "us-east-1".to_string());
        // rustls's crypto: the same provider as every other HTTP client of llmos.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let options = ClientOptions::new()
            .with_timeout(s.timeout)
            .with_connect_timeout(s.timeout);
        let retry = RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(50),
                max_backoff: Duration::from_secs(1),
                base: 2.0,
            },
            max_retries: 3,
            retry_timeout: s.timeout,
        };
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(s.bucket)
            .with_region(region)
            .with_access_key_id(key_id)
            .with_secret_access_key(secret)
            .with_client_options(options)
            .with_retry(retry);
        if let Some(token) = env("AWS_SESSION_TOKEN").filter(|t| !t.is_empty()) {
            builder = builder.with_token(token);
        }
        let endpoint = s
            .endpoint
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .filter(|e| !e.is_empty());
        if let Some(endpoint) = endpoint {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(config(format!(
                    "endpoint `{endpoint}` is not an http:// or https:// URL"
                )));
            }
            builder = builder
                .with_allow_http(endpoint.starts_with("http://"))
                .with_endpoint(endpoint);
        }
        let store = builder.build().map_err(|e| config(chain(&e)))?;
        Ok(S3Backend {
            store,
            prefix: s.prefix.to_string(),
            url: s.url.to_string(),
            runtime,
        })
    }

    fn path(&self, key: &str) -> StorePath {
        match self.prefix.is_empty() {
            true => StorePath::from(key),
            false => StorePath::from(format!("{}/{key}", self.prefix)),
        }
    }

    fn fail(&self, doing: &'static str, key: &str, e: &StoreError) -> RemoteError {
        RemoteError::Unreachable {
            remote: self.url.clone(),
            doing,
            key: key.to_string(),
            message: chain(e),
        }
    }

    fn put(&self, key: &str, bytes: &[u8], mode: PutMode) -> Result<bool, RemoteError> {
        let opts = PutOptions {
            mode,
            ..PutOptions::default()
        };
        let payload = PutPayload::from(bytes.to_vec());
        match self
            .runtime
            .block_on(self.store.put_opts(&self.path(key), payload, opts))
        {
            Ok(_) => Ok(true),
            Err(StoreError::AlreadyExists { .. } | StoreError::Precondition { .. }) => Ok(false),
            Err(e) => Err(self.fail("writing", key, &e)),
        }
    }
}

/// An error with its sources, one after the other.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

impl Backend for S3Backend {
    fn describe(&self) -> &str {
        &self.url
    }

    fn get(&self, key: &str, limit: u64) -> Result<Option<Fetched>, RemoteError> {
        let path = self.path(key);
        self.runtime.block_on(async {
            let result = match self.store.get_opts(&path, GetOptions::default()).await {
                Ok(r) => r,
                Err(StoreError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(self.fail("reading", key, &e)),
            };
            RemoteError::check_size(&self.url, key, result.meta.size, limit)?;
            let version = Version(result.meta.e_tag.clone().unwrap_or_default());
            let bytes = result
                .bytes()
                .await
                .map_err(|e| self.fail("reading", key, &e))?;
            Ok(Some(Fetched {
                bytes: bytes.to_vec(),
                version,
            }))
        })
    }

    fn create(&self, key: &str, bytes: &[u8]) -> Result<Created, RemoteError> {
        Ok(match self.put(key, bytes, PutMode::Create)? {
            true => Created::New,
            false => Created::Existed,
        })
    }

    fn swap(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<&Version>,
    ) -> Result<Swapped, RemoteError> {
        let mode = match expected {
            None => PutMode::Create,
            Some(v) => PutMode::Update(UpdateVersion {
                e_tag: Some(v.0.clone()),
                version: None,
            }),
        };
        Ok(match self.put(key, bytes, mode)? {
            true => Swapped::Done,
            false => Swapped::Conflict,
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, RemoteError> {
        let base = self.path(prefix.trim_end_matches('/'));
        let strip = match self.prefix.is_empty() {
            true => String::new(),
            false => format!("{}/", self.prefix),
        };
        let metas: Vec<_> = self
            .runtime
            .block_on(self.store.list(Some(&base)).try_collect())
            .map_err(|e: StoreError| self.fail("listing", prefix, &e))?;
        let mut keys: Vec<String> = metas
            .into_iter()
            .map(|m| {
                let full = m.location.to_string();
                full.strip_prefix(&strip).unwrap_or(&full).to_string()
            })
            .collect();
        keys.sort();
        Ok(keys)
    }
}
