//! What can go wrong talking to an LLM. Every message names the provider and says what
//! was wrong, so it can be shown to a user or written to a run log as it is.

use std::time::Duration;

use super::ProviderKind;
use super::retry::TimeLimit;

/// An error from building, sending or reading an LLM call.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// A model reference that is not `provider:model`.
    #[error("bad model `{text}`: {reason}")]
    BadModel { text: String, reason: String },

    /// The provider cannot be set up: a missing API key, a bad base URL.
    #[error("{provider}: {message}")]
    Config {
        provider: ProviderKind,
        message: String,
    },

    /// A tool name that cannot be sent to an LLM API.
    #[error("tool name `{name}` cannot be sent to an LLM API: {reason}")]
    ToolName { name: String, reason: String },

    /// The provider's base URL is not one requests can go to; `var` is the environment
    /// variable it came from, if any.
    #[error("{provider}: {}{error}", var.map(|v| format!("{v}: ")).unwrap_or_default())]
    BaseUrl {
        provider: ProviderKind,
        var: Option<&'static str>,
        #[source]
        error: BadBaseUrl,
    },

    /// The request itself is wrong (the client could not build it).
    #[error("{provider}: cannot send the request: {what}")]
    Request {
        provider: ProviderKind,
        what: String,
    },

    /// The conversation has a shape no API takes (a tool result in an assistant
    /// message, ...).
    #[error("{provider}: cannot send the request: {error}")]
    Conversation {
        provider: ProviderKind,
        #[source]
        error: BadConversation,
    },

    /// HTTP 401 or 403: the API key is missing, wrong or lacks permission.
    #[error("{provider}: authentication failed (HTTP {status}): {message}")]
    Auth {
        provider: ProviderKind,
        status: u16,
        message: String,
    },

    /// Any other HTTP error status, with the API's error message.
    #[error("{provider}: HTTP {status}: {message}")]
    Http {
        provider: ProviderKind,
        status: u16,
        message: String,
    },

    /// A successful status with a reply that is not what the API promises.
    #[error("{provider}: malformed reply: {what}")]
    Malformed {
        provider: ProviderKind,
        what: String,
    },

    /// A time limit passed: `which` says which one (and its `config.toml` key).
    #[error("{provider}: {} within {} (`[llm] {}` in config.toml)",
        which.missed(), humantime::format_duration(*limit), which.key())]
    Timeout {
        provider: ProviderKind,
        limit: Duration,
        which: TimeLimit,
    },

    /// The reply body is larger than `[llm] max_reply_size`: cut there, or refused at
    /// once when its declared length says so.
    #[error("{provider}: {}", too_large(*limit, *declared))]
    ReplyTooLarge {
        provider: ProviderKind,
        limit: u64,
        declared: Option<u64>,
    },

    /// The server asked to be retried later than `[llm] retry_after_cap` allows.
    #[error("{provider}: the server asked to retry after {}, longer than `[llm] retry_after_cap` \
        ({}) in config.toml; last error: {last}",
        humantime::format_duration(*asked), humantime::format_duration(*cap))]
    RetryAfterTooLong {
        provider: ProviderKind,
        asked: Duration,
        cap: Duration,
        last: Box<LlmError>,
    },

    /// The call's time limit leaves no room for the wait before another attempt.
    #[error("{provider}: gave up after {attempts} attempts: the next would start after the \
        call's time limit of {} (`[llm] call_timeout` in config.toml); last error: {last}",
        humantime::format_duration(*limit))]
    OutOfTime {
        provider: ProviderKind,
        attempts: u32,
        limit: Duration,
        last: Box<LlmError>,
    },

    /// The connection failed or broke before a reply was read.
    #[error("{provider}: connection failed: {message}")]
    Connect {
        provider: ProviderKind,
        message: String,
    },

    /// A cassette could not answer: the request is not the recorded one (the message
    /// holds a diff), or the cassette is used up.
    #[error("{message}")]
    Cassette { message: String },

    /// Every attempt failed with a retryable error; `last` is the final one.
    #[error("{provider}: gave up after {attempts} attempts; last error: {last}")]
    RetriesExhausted {
        provider: ProviderKind,
        attempts: u32,
        last: Box<LlmError>,
    },
}

impl LlmError {
    /// Whether trying the same call again may succeed: HTTP 408, 409, 429, 5xx (529
    /// "overloaded" included), time-outs and connection failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Http { status, .. } => matches!(status, 408 | 409 | 429 | 500..=599),
            LlmError::Timeout { .. } | LlmError::Connect { .. } => true,
            _ => false,
        }
    }

    /// The HTTP status the error came with, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            LlmError::Auth { status, .. } | LlmError::Http { status, .. } => Some(*status),
            LlmError::RetriesExhausted { last, .. }
            | LlmError::RetryAfterTooLong { last, .. }
            | LlmError::OutOfTime { last, .. } => last.status(),
            _ => None,
        }
    }
}

/// Every LLM error has kind `llm` and a stable code saying what went wrong, so `run
/// --json` tells a refused key from an outage. An error that ended the retries
/// (`RetriesExhausted`, `OutOfTime`, `RetryAfterTooLong`) has the code of the last
/// attempt's failure: the cause, not the retry policy.
impl crate::diag::Coded for LlmError {
    fn kind(&self) -> &'static str {
        "llm"
    }

    fn code(&self) -> &'static str {
        match self {
            LlmError::BadModel { .. } => "llm-bad-model",
            LlmError::Config { .. } => "llm-config",
            LlmError::ToolName { .. } => "llm-tool-name",
            LlmError::BaseUrl { .. } => "llm-base-url",
            LlmError::Request { .. } | LlmError::Conversation { .. } => "llm-bad-request",
            LlmError::Auth { .. } => "llm-auth",
            LlmError::Http { status: 429, .. } => "llm-rate-limited",
            LlmError::Http {
                status: 500..=599, ..
            } => "llm-unavailable",
            LlmError::Http { .. } => "llm-http",
            LlmError::Malformed { .. } => "llm-malformed-reply",
            LlmError::Timeout {
                which: TimeLimit::Connect,
                ..
            }
            | LlmError::Connect { .. } => "llm-unreachable",
            LlmError::Timeout { .. } => "llm-timeout",
            LlmError::ReplyTooLarge { .. } => "llm-reply-too-large",
            LlmError::Cassette { .. } => "llm-cassette-mismatch",
            LlmError::RetryAfterTooLong { last, .. }
            | LlmError::OutOfTime { last, .. }
            | LlmError::RetriesExhausted { last, .. } => last.code(),
        }
    }
}

/// What is wrong with a provider's base URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadBaseUrl {
    #[error("`{0}` is not an http:// or https:// URL")]
    NotHttp(String),
    #[error("`{0}` names no host")]
    NoHost(String),
}

/// A conversation no LLM API takes (messages counted from 0).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadConversation {
    #[error("message {0} has no content")]
    Empty(usize),
    #[error("message {0}: a user message cannot hold a tool call")]
    ToolCallFromUser(usize),
    #[error("message {0}: an assistant message cannot hold a tool result")]
    ToolResultFromAssistant(usize),
}

/// What is wrong with a cassette file (named by `path`), or why it could not be
/// written. Each kind has a stable code ([`CassetteError::code`]).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CassetteError {
    #[error("cassette {path}: cannot read it: {reason}")]
    Read { path: String, reason: String },
    #[error("cassette {path}: not a cassette: {reason}")]
    NotACassette { path: String, reason: String },
    #[error("cassette {path}: format {found} is not known (this llmos reads format {known})")]
    Format {
        path: String,
        found: u32,
        known: u32,
    },
    #[error("cassette {path}: {error}")]
    BadModel {
        path: String,
        #[source]
        error: Box<LlmError>,
    },
    #[error(
        "cassette {path}: exchange {exchange}: the tool `{tool}` is not in the cassette's `tools`"
    )]
    UnknownTool {
        path: String,
        exchange: usize,
        tool: String,
    },
    #[error("cassette {path}: it recorded no LLM call, so it names no model")]
    NoModel { path: String },
    #[error("cannot write cassette {path}: {reason}")]
    Write { path: String, reason: String },
}

impl CassetteError {
    /// The stable diagnostic code (kebab-case).
    pub fn code(&self) -> &'static str {
        match self {
            CassetteError::Read { .. } => "cassette-unreadable",
            CassetteError::NotACassette { .. } => "not-a-cassette",
            CassetteError::Format { .. } => "cassette-format",
            CassetteError::BadModel { .. } => "cassette-bad-model",
            CassetteError::UnknownTool { .. } => "cassette-unknown-tool",
            CassetteError::NoModel { .. } => "cassette-no-model",
            CassetteError::Write { .. } => "cassette-write",
        }
    }
}

fn too_large(limit: u64, declared: Option<u64>) -> String {
    let key = "`[llm] max_reply_size` in config.toml";
    match declared {
        Some(n) => format!(
            "the reply declares {n} bytes, more than the limit of {limit} ({key}); refused unread"
        ),
        None => format!(
            "the reply is longer than the limit of {limit} bytes ({key}); cut there, not used"
        ),
    }
}

/// At most 200 characters of `text`, on one line, for error messages.
pub(crate) fn snippet(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    if text.chars().count() > 200 {
        format!("{one_line}...")
    } else {
        one_line
    }
}

/// The message of an API error body: `error.message` in both formats (Anthropic
/// `{type: "error", error: {type, message}}`, OpenAI `{error: {message, type, code}}`),
/// with the error type when there is one; else the start of the body.
pub(crate) fn api_error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let message = error
        .and_then(|e| e.get("message").or(Some(e)))
        .and_then(|m| m.as_str());
    let kind = error.and_then(|e| e.get("type")).and_then(|t| t.as_str());
    match (message, kind) {
        (Some(m), Some(k)) => format!("{m} ({k})"),
        (Some(m), None) => m.to_string(),
        _ if body.trim().is_empty() => "(empty body)".to_string(),
        _ => snippet(body.trim()),
    }
}

/// The JSON object of a 2xx reply body, or `Malformed` naming the provider.
pub(crate) fn reply_object(
    body: &str,
    provider: super::ProviderKind,
) -> Result<serde_json::Map<String, serde_json::Value>, LlmError> {
    let malformed = |what: String| LlmError::Malformed { provider, what };
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| {
        malformed(format!(
            "the reply is not JSON ({e}); it starts: {}",
            snippet(body)
        ))
    })?;
    match v {
        serde_json::Value::Object(obj) => Ok(obj),
        _ => Err(malformed(format!(
            "the reply is not a JSON object: {}",
            snippet(body)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        let http = |status| LlmError::Http {
            provider: ProviderKind::Anthropic,
            status,
            message: String::new(),
        };
        for s in [429, 500, 503, 529] {
            assert!(http(s).is_retryable(), "{s}");
        }
        for s in [400, 404, 413] {
            assert!(!http(s).is_retryable(), "{s}");
        }
        let auth = LlmError::Auth {
            provider: ProviderKind::OpenAi,
            status: 401,
            message: "Incorrect API key provided".into(),
        };
        assert!(!auth.is_retryable());
        let body = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(api_error_message(body), "Overloaded (overloaded_error)");
        assert_eq!(api_error_message(r#"{"error":"bad key"}"#), "bad key");
        assert_eq!(api_error_message("  "), "(empty body)");
        assert_eq!(api_error_message("<html>oops</html>"), "<html>oops</html>");
        assert_eq!(
            auth.to_string(),
            "openai: authentication failed (HTTP 401): Incorrect API key provided"
        );
    }

    #[test]
    fn llm_errors_have_codes_and_retries_keep_the_cause_s() {
        use crate::diag::Coded;
        let p = ProviderKind::Anthropic;
        let http = |status| LlmError::Http {
            provider: p,
            status,
            message: String::new(),
        };
        assert_eq!(http(429).code(), "llm-rate-limited");
        assert_eq!(http(529).code(), "llm-unavailable");
        assert_eq!(http(404).code(), "llm-http");
        let timeout = |which| LlmError::Timeout {
            provider: p,
            limit: Duration::from_secs(1),
            which,
        };
        assert_eq!(timeout(TimeLimit::FirstByte).code(), "llm-timeout");
        assert_eq!(timeout(TimeLimit::Connect).code(), "llm-unreachable");
        let gave_up = LlmError::RetriesExhausted {
            provider: p,
            attempts: 3,
            last: Box::new(http(503)),
        };
        assert_eq!((gave_up.kind(), gave_up.code()), ("llm", "llm-unavailable"));
        let late = LlmError::OutOfTime {
            provider: p,
            attempts: 2,
            limit: Duration::from_secs(1),
            last: Box::new(timeout(TimeLimit::FirstByte)),
        };
        assert_eq!(late.code(), "llm-timeout");
    }
}
