//! How calls are retried: how many attempts, how long each may take, how long to wait
//! between them (exponential backoff with full jitter, or what the server's `retry-after`
//! asks, capped), and what each attempt's outcome was, for run logs.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// Limits of one LLM call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallConfig {
    /// Attempts in all, the first included (at least 1). Default 4.
    pub max_attempts: u32,
    /// The time limit of one attempt: connect, send, and read the whole reply. Default 120 s.
    pub timeout: Duration,
    /// The backoff ceiling of the first retry; it doubles with each retry. Default 500 ms.
    pub backoff_base: Duration,
    /// The largest backoff ceiling. Default 8 s.
    pub backoff_max: Duration,
    /// The longest wait a server's `retry-after` can impose. Default 60 s.
    pub retry_after_cap: Duration,
}

impl Default for CallConfig {
    fn default() -> CallConfig {
        CallConfig {
            max_attempts: 4,
            timeout: Duration::from_secs(120),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(60),
        }
    }
}

impl CallConfig {
    /// How long to wait after failed attempt number `attempt` (1-based): the server's
    /// `retry-after` when it sent one (at most `retry_after_cap`), else a uniformly random
    /// wait between zero and `min(backoff_max, backoff_base * 2^(attempt-1))` ("full
    /// jitter", so that many clients do not retry in step).
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.retry_after_cap);
        }
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let ceiling = self
            .backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
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
