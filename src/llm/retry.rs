//! How calls are retried and how long they may take: how many attempts, the time limits
//! of connecting, of the first byte, of one attempt and of the whole call, how long to
//! wait between attempts (exponential backoff with full jitter, or what the server's
//! `retry-after` asks when that is within a cap), the largest reply read, and what each
//! attempt's outcome was, for run logs.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// Limits of one LLM call. Each has a key in the `[llm]` table of `config.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallConfig {
    /// Attempts in all, the first included (at least 1). Default 4 (`max_attempts`).
    pub max_attempts: u32,
    /// The time limit of one attempt: connect, send, and read the whole reply. Default
    /// 2 minutes (`request_timeout`).
    pub timeout: Duration,
    /// The time limit of the whole call: every attempt and the waits between them.
    /// Default 2 minutes (`call_timeout`).
    pub call_timeout: Duration,
    /// The time limit of opening the connection. Default 10 s (`connect_timeout`).
    pub connect_timeout: Duration,
    /// The time limit from sending the request to the reply's status line. The APIs
    /// answer only once the whole reply is written, so this bounds the generation.
    /// Default 100 s (`first_byte_timeout`).
    pub first_byte_timeout: Duration,
    /// The backoff ceiling of the first retry; it doubles with each retry. Default 500 ms.
    pub backoff_base: Duration,
    /// The largest backoff ceiling. Default 8 s.
    pub backoff_max: Duration,
    /// The longest wait a server's `retry-after` can impose; a server asking for longer
    /// fails the call at once. Default 20 s (`retry_after_cap`).
    pub retry_after_cap: Duration,
    /// The largest reply body read, in bytes; a longer reply is cut and fails the call.
    /// Default 8 MiB (`max_reply_size`).
    pub max_reply_bytes: u64,
}

/// The default of [`CallConfig::max_reply_bytes`].
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 8 << 20;

impl Default for CallConfig {
    fn default() -> CallConfig {
        CallConfig {
            max_attempts: 4,
            timeout: Duration::from_secs(120),
            call_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(100),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(20),
            max_reply_bytes: DEFAULT_MAX_REPLY_BYTES,
        }
    }
}

/// Which time limit ended an attempt or a call: each names its `config.toml` key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeLimit {
    Connect,
    FirstByte,
    Request,
    Call,
}

impl TimeLimit {
    /// The key in the `[llm]` table of `config.toml` that sets it.
    pub fn key(self) -> &'static str {
        match self {
            TimeLimit::Connect => "connect_timeout",
            TimeLimit::FirstByte => "first_byte_timeout",
            TimeLimit::Request => "request_timeout",
            TimeLimit::Call => "call_timeout",
        }
    }

    /// What did not happen in time.
    pub fn missed(self) -> &'static str {
        match self {
            TimeLimit::Connect => "could not connect",
            TimeLimit::FirstByte => "no reply",
            TimeLimit::Request | TimeLimit::Call => "no complete reply",
        }
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then try again.
    Retry(Duration),
    /// The server asked for a longer wait than `retry_after_cap` allows.
    WaitTooLong(Duration),
}

impl CallConfig {
    /// How long to wait after failed attempt number `attempt` (1-based): the server's
    /// `retry-after` when it sent one (at most `retry_after_cap`), else a uniformly random
    /// wait between zero and `min(backoff_max, backoff_base * 2^(attempt-1))` ("full
    /// jitter", so that many clients do not retry in step).
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match self.next(attempt, retry_after) {
            Next::Retry(wait) => wait,
            Next::WaitTooLong(_) => self.retry_after_cap,
        }
    }

    /// The wait before the next attempt, or that the server asked for too long a one.
    pub fn next(&self, attempt: u32, retry_after: Option<Duration>) -> Next {
        if let Some(wait) = retry_after {
            return if wait <= self.retry_after_cap {
                Next::Retry(wait)
            } else {
                Next::WaitTooLong(wait)
            };
        }
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let ceiling = self
            .backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Next::Retry(Duration::from_nanos(fastrand::u64(0..=nanos)))
    }

    /// `max_attempts`, at least 1.
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }
}

/// The wait a reply asks for: `retry-after-ms` (milliseconds) or `retry-after` (seconds).
/// The HTTP-date form of `retry-after` and unreadable values are ignored.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| -> Option<f64> {
        let v: f64 = headers.get(name)?.to_str().ok()?.trim().parse().ok()?;
        (v.is_finite() && v >= 0.0).then_some(v)
    };
    if let Some(ms) = number("retry-after-ms") {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    number("retry-after").and_then(|s| Duration::try_from_secs_f64(s).ok())
}

/// The outcome of one attempt of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptInfo {
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status, when a reply came.
    pub status: Option<u16>,
    /// Why the attempt failed; `None` when it succeeded.
    pub error: Option<String>,
    /// How long the attempt took.
    pub elapsed: Duration,
    /// The wait before the next attempt; `None` when there is none.
    pub retry_in: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn backoff_stays_under_its_ceiling() {
        let c = CallConfig {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(300),
            retry_after_cap: Duration::from_secs(2),
            ..CallConfig::default()
        };
        assert_eq!(
            c.next(1, Some(Duration::from_secs(3600))),
            Next::WaitTooLong(Duration::from_secs(3600))
        );
        for _ in 0..200 {
            assert!(c.backoff(1, None) <= Duration::from_millis(100));
            assert!(c.backoff(2, None) <= Duration::from_millis(200));
            assert!(c.backoff(40, None) <= Duration::from_millis(300));
        }
        assert_eq!(
            c.backoff(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            c.backoff(1, Some(Duration::from_secs(30))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn retry_after_headers() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(250)));
    }
}
