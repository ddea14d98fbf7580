//! Reading a reply within limits: the deadlines of one attempt (first byte, the attempt,
//! the call) and the body read chunk by chunk up to a size limit, so that an endless or
//! huge reply costs at most the limit in memory.

use std::time::Duration;

use tokio::time::Instant;

use super::retry::{CallConfig, TimeLimit};
use super::{LlmError, ProviderKind};

/// The most read of an error reply's body (only its start is shown).
pub(crate) const ERROR_BODY_BYTES: u64 = 64 << 10;

/// The latest a deadline is put, so that adding a configured duration never overflows.
const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `now + d`, saturating far in the future.
pub(crate) fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d.min(FAR))
        .unwrap_or_else(|| now + Duration::from_secs(3600))
}

/// When one attempt must end, and which limit sets that.
pub(crate) struct AttemptClock {
    started: Instant,
    pub end: Instant,
    pub which: TimeLimit,
}

impl AttemptClock {
    /// The clock of an attempt starting now, within a call that must end by `call_end`.
    pub fn start(config: &CallConfig, call_end: Instant) -> AttemptClock {
        let started = Instant::now();
        let own = after(started, config.timeout);
        let (end, which) = if own <= call_end {
            (own, TimeLimit::Request)
        } else {
            (call_end, TimeLimit::Call)
        };
        AttemptClock {
            started,
            end,
            which,
        }
    }

    /// The deadline of the status line, and which limit sets it.
    pub fn first_byte(&self, config: &CallConfig) -> (Instant, TimeLimit) {
        let own = after(self.started, config.first_byte_timeout);
        if own < self.end {
            (own, TimeLimit::FirstByte)
        } else {
            (self.end, self.which)
        }
    }
}

/// The error for limit `which` of `config` having passed.
pub(crate) fn timed_out(config: &CallConfig, provider: ProviderKind, which: TimeLimit) -> LlmError {
    let limit = match which {
        TimeLimit::Connect => config.connect_timeout,
        TimeLimit::FirstByte => config.first_byte_timeout,
        TimeLimit::Request => config.timeout,
        TimeLimit::Call => config.call_timeout,
    };
    LlmError::Timeout {
        provider,
        limit,
        which,
    }
}

/// Why a body could not be read whole.
pub(crate) enum ReadError {
    Transport(reqwest::Error),
    TooLarge(LlmError),
}

/// The body of `response` as text (invalid UTF-8 replaced), read chunk by chunk. Past
/// `limit` bytes (or at once when its declared length is larger) the reply is refused,
/// or, with `keep_start`, cut there and its start returned.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    keep_start: bool,
    provider: ProviderKind,
) -> Result<String, ReadError> {
    let too_large = |declared| {
        ReadError::TooLarge(LlmError::ReplyTooLarge {
            provider,
            limit,
            declared,
        })
    };
    let declared = response.content_length().filter(|n| *n > limit);
    if declared.is_some() && !keep_start {
        return Err(too_large(declared));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        let room = usize::try_from(limit)
            .unwrap_or(usize::MAX)
            .saturating_sub(body.len());
        if chunk.len() > room {
            if !keep_start {
                return Err(too_large(None));
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}
