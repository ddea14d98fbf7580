//! A configured LLM endpoint and the HTTP calls to it: one request per attempt, retried
//! as [`CallConfig`] says, each attempt's outcome reported to an observer.

use std::fmt;
use std::sync::{Arc, OnceLock};

use tokio::time::Instant;

use reqwest::header::HeaderMap;

use super::reply::{AttemptClock, ERROR_BODY_BYTES, ReadError, after, read_capped, timed_out};
use super::retry::{Next, TimeLimit, retry_after};
use super::{
    AttemptInfo, BadBaseUrl, CallConfig, ChatRequest, ChatResponse, LlmError, MaxTokensField,
    ModelRef, ProviderKind, TokenUsage, anthropic, openai,
};
use crate::value::Value;

/// The public Anthropic API.
pub const ANTHROPIC_DEFAULT_BASE: &str = "https://api.anthropic.com";
/// The public OpenAI API.
pub const OPENAI_DEFAULT_BASE: &str = "https://api.openai.com/v1";

/// One model behind one endpoint, ready to call.
#[derive(Clone)]
pub struct Provider {
    kind: ProviderKind,
    model: String,
    endpoint: String,
    api_key: Option<String>,
    max_tokens_field: MaxTokensField,
    config: CallConfig,
    /// Built on the first call: setting up TLS roots takes milliseconds, and a run whose
    /// `ask` slots all come from the cache never calls.
    http: Arc<OnceLock<reqwest::Client>>,
    /// Set when the replies come from a cassette, not the network.
    replay: Option<Arc<super::cassette::Player>>,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("kind", &self.kind)
            .field("model", &self.model)
            .field("endpoint", &self.endpoint)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("config", &self.config)
            .finish()
    }
}

/// One failed attempt: the error, and the wait the server asked for.
struct Failure {
    error: LlmError,
    status: Option<u16>,
    retry_after: Option<std::time::Duration>,
}

impl Provider {
    /// The provider for `model`, configured from the environment (`env` looks a variable
    /// up; an empty value counts as unset):
    /// - Anthropic: `ANTHROPIC_API_KEY` (required), `ANTHROPIC_BASE_URL` (default
    ///   `https://api.anthropic.com`).
    /// - OpenAI: `OPENAI_API_KEY`, `OPENAI_BASE_URL` (default `https://api.openai.com/v1`).
    ///   The key may be left out when a base URL is given, for local servers.
    pub fn from_env(
        model: &ModelRef,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Provider, LlmError> {
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let config = |message: String| LlmError::Config {
            provider: model.provider,
            message,
        };
        let (key_var, base_var, default_base) = match model.provider {
            ProviderKind::Anthropic => (
                "ANTHROPIC_API_KEY",
                "ANTHROPIC_BASE_URL",
                ANTHROPIC_DEFAULT_BASE,
            ),
            ProviderKind::OpenAi => ("OPENAI_API_KEY", "OPENAI_BASE_URL", OPENAI_DEFAULT_BASE),
        };
        let key = var(key_var);
        let base = var(base_var);
        match (model.provider, &key, &base) {
            (ProviderKind::Anthropic, None, _) => {
                return Err(config(format!(
                    "{key_var} is not set; it is needed to call the API"
                )));
            }
            (ProviderKind::OpenAi, None, None) => {
                return Err(config(format!(
                    "{key_var} is not set; set it, or set {base_var} to a local \
                     OpenAI-compatible server that needs no key"
                )));
            }
            _ => {}
        }
        let base = base.as_deref().unwrap_or(default_base);
        let endpoint = endpoint(model.provider, base).map_err(|error| LlmError::BaseUrl {
            provider: model.provider,
            var: Some(base_var),
            error,
        })?;
        Provider::at_endpoint(model, endpoint, key)
    }

    /// The provider for `model` at `base_url` (`https://api.anthropic.com`,
    /// `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1`, ...), with default limits.
    pub fn new(
        model: &ModelRef,
        base_url: &str,
        api_key: Option<String>,
    ) -> Result<Provider, LlmError> {
        let endpoint = endpoint(model.provider, base_url).map_err(|error| LlmError::BaseUrl {
            provider: model.provider,
            var: None,
            error,
        })?;
        Provider::at_endpoint(model, endpoint, api_key)
    }

    fn at_endpoint(
        model: &ModelRef,
        endpoint: String,
        api_key: Option<String>,
    ) -> Result<Provider, LlmError> {
        let config = |message: String| LlmError::Config {
            provider: model.provider,
            message,
        };
        // A key pasted with a trailing newline is common; anything else that cannot go in
        // a header is refused here rather than failing every call.
        let api_key = api_key.map(|k| k.trim().to_string());
        let bad_key = |k: &String| reqwest::header::HeaderValue::from_str(k).is_err();
        if api_key.as_ref().is_some_and(bad_key) {
            return Err(config(
                "the API key contains characters not allowed in an HTTP header".into(),
            ));
        }
        Ok(Provider {
            kind: model.provider,
            model: model.model.clone(),
            max_tokens_field: MaxTokensField::for_endpoint(&endpoint),
            endpoint,
            api_key,
            config: CallConfig::default(),
            http: Arc::new(OnceLock::new()),
            replay: None,
        })
    }

    /// A provider for `model` whose replies come from a cassette (see
    /// [`super::cassette`]): no network, no key.
    pub fn replaying(
        model: &ModelRef,
        player: Arc<super::cassette::Player>,
    ) -> Result<Provider, LlmError> {
        let endpoint = format!("{}{}", super::cassette::PREFIX, player.path().display());
        let mut provider = Provider::at_endpoint(model, endpoint, None)?;
        provider.replay = Some(player);
        Ok(provider)
    }

    /// The same provider with other call limits.
    pub fn with_config(mut self, config: CallConfig) -> Provider {
        self.config = config;
        self
    }

    /// The same provider sending the output token limit in another field (OpenAI format).
    pub fn with_max_tokens_field(mut self, field: MaxTokensField) -> Provider {
        self.max_tokens_field = field;
        self
    }

    pub fn kind(&self) -> ProviderKind {
        self.kind
    }
    pub fn model(&self) -> &str {
        &self.model
    }
    /// The URL every request is posted to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
    pub fn config(&self) -> &CallConfig {
        &self.config
    }

    /// Sends `req` and reads the answer, retrying as the [`CallConfig`] says.
    pub async fn chat(&self, req: &ChatRequest) -> Result<ChatResponse, LlmError> {
        self.chat_observed(req, &mut |_| {}).await
    }

    /// [`chat`](Self::chat), calling `on_attempt` after every attempt (failed or not), so
    /// that a run log can record retries.
    pub async fn chat_observed(
        &self,
        req: &ChatRequest,
        on_attempt: &mut (dyn FnMut(&AttemptInfo) + Send),
    ) -> Result<ChatResponse, LlmError> {
        req.validate().map_err(|error| LlmError::Conversation {
            provider: self.kind,
            error,
        })?;
        if let Some(player) = &self.replay {
            return player.answer(req);
        }
        let body = match self.kind {
            ProviderKind::Anthropic => anthropic::request_body(&self.model, req)?,
            ProviderKind::OpenAi => openai::request_body(&self.model, req, self.max_tokens_field)?,
        };
        let max = self.config.attempts();
        let call_end = after(Instant::now(), self.config.call_timeout);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            let outcome = self.attempt(&body, call_end).await;
            let elapsed = started.elapsed();
            let failure = match outcome {
                Ok((status, response)) => {
                    let info = AttemptInfo {
                        attempt,
                        status: Some(status),
                        error: None,
                        elapsed,
                        retry_in: None,
                    };
                    on_attempt(&info);
                    let model = format!("{}:{}", self.kind, self.model);
                    super::cassette::record(&model, req, &response);
                    return Ok(response);
                }
                Err(f) => f,
            };
            let retryable = failure.error.is_retryable();
            let next = (retryable && attempt < max)
                .then(|| self.config.next(attempt, failure.retry_after));
            let retry_in = match next {
                Some(Next::Retry(wait)) if after(Instant::now(), wait) < call_end => Some(wait),
                _ => None,
            };
            on_attempt(&AttemptInfo {
                attempt,
                status: failure.status,
                error: Some(failure.error.to_string()),
                elapsed,
                retry_in,
            });
            let last = Box::new(failure.error);
            let provider = self.kind;
            match (retry_in, next) {
                (Some(wait), _) => tokio::time::sleep(wait).await,
                (None, Some(Next::WaitTooLong(asked))) => {
                    let cap = self.config.retry_after_cap;
                    return Err(LlmError::RetryAfterTooLong {
                        provider,
                        asked,
                        cap,
                        last,
                    });
                }
                (None, Some(Next::Retry(_))) => {
                    let limit = self.config.call_timeout;
                    return Err(LlmError::OutOfTime {
                        provider,
                        attempts: attempt,
                        limit,
                        last,
                    });
                }
                (None, None) if retryable && attempt > 1 => {
                    return Err(LlmError::RetriesExhausted {
                        provider,
                        attempts: attempt,
                        last,
                    });
                }
                (None, None) => return Err(*last),
            }
        }
    }

    /// A plain completion of `prompt` (no system prompt, no tools), for `ask` slots: the
    /// reply's text and the tokens billed.
    pub async fn complete(
        &self,
        prompt: &str,
        max_tokens: u32,
    ) -> Result<(String, TokenUsage), LlmError> {
        let response = self
            .chat(&ChatRequest::completion(prompt, max_tokens))
            .await?;
        Ok((response.text(), response.usage))
    }

    /// The HTTP client, built on first use: no proxy for a server on this machine, and
    /// no TLS roots to load for a plain `http://` endpoint.
    fn client(&self) -> Result<&reqwest::Client, LlmError> {
        if let Some(c) = self.http.get() {
            return Ok(c);
        }
        let (scheme, rest) = self.endpoint.split_once("://").unwrap_or(("", ""));
        let mut builder =
            crate::http::client_builder().connect_timeout(self.config.connect_timeout);
        if ["127.", "localhost", "[::1]"]
            .iter()
            .any(|p| rest.starts_with(p))
        {
            builder = builder.no_proxy(); // a local server is never behind the proxy
        }
        if scheme.eq_ignore_ascii_case("http") {
            builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
        }
        let client = builder.build().map_err(|e| LlmError::Config {
            provider: self.kind,
            message: format!("cannot set up the HTTP client: {e}"),
        })?;
        Ok(self.http.get_or_init(|| client))
    }

    /// One HTTP exchange: the status and the parsed response, or why it failed. It ends
    /// by `call_end` at the latest, and by its own time limits before that.
    async fn attempt(
        &self,
        body: &Value,
        call_end: Instant,
    ) -> Result<(u16, ChatResponse), Failure> {
        let fail = |error: LlmError| Failure {
            error,
            status: None,
            retry_after: None,
        };
        let clock = AttemptClock::start(&self.config, call_end);
        let mut request = self.client().map_err(fail)?.post(&self.endpoint).json(body);
        request = match (self.kind, &self.api_key) {
            (ProviderKind::Anthropic, key) => {
                let request = request.header("anthropic-version", anthropic::API_VERSION);
                match key {
                    Some(key) => request.header("x-api-key", key),
                    None => request,
                }
            }
            (ProviderKind::OpenAi, Some(key)) => request.bearer_auth(key),
            (ProviderKind::OpenAi, None) => request,
        };
        let (first_byte, which) = clock.first_byte(&self.config);
        let response = match tokio::time::timeout_at(first_byte, request.send()).await {
            Ok(sent) => sent.map_err(|e| fail(self.transport_error(&e)))?,
            Err(_) => return Err(fail(timed_out(&self.config, self.kind, which))),
        };
        let status = response.status().as_u16();
        let headers: HeaderMap = response.headers().clone();
        let success = (200..300).contains(&status);
        // Of an error reply only the start is shown: read little of it.
        let read = if success {
            read_capped(response, self.config.max_reply_bytes, false, self.kind)
        } else {
            let limit = self.config.max_reply_bytes.min(ERROR_BODY_BYTES);
            read_capped(response, limit, true, self.kind)
        };
        let text = match tokio::time::timeout_at(clock.end, read).await {
            Ok(Ok(text)) => text,
            Ok(Err(ReadError::Transport(e))) => return Err(fail(self.transport_error(&e))),
            Ok(Err(ReadError::TooLarge(error))) => {
                return Err(Failure {
                    error,
                    status: Some(status),
                    retry_after: None,
                });
            }
            Err(_) => return Err(fail(timed_out(&self.config, self.kind, clock.which))),
        };
        if success {
            let parsed = match self.kind {
                ProviderKind::Anthropic => anthropic::parse_reply(&text, &self.model),
                ProviderKind::OpenAi => openai::parse_reply(&text, &self.model),
            };
            return parsed.map(|r| (status, r)).map_err(|error| Failure {
                error,
                status: Some(status),
                retry_after: None,
            });
        }
        let message = super::error::api_error_message(&text);
        let error = match status {
            401 | 403 => LlmError::Auth {
                provider: self.kind,
                status,
                message,
            },
            _ => LlmError::Http {
                provider: self.kind,
                status,
                message,
            },
        };
        Err(Failure {
            error,
            status: Some(status),
            retry_after: retry_after(&headers),
        })
    }

    fn transport_error(&self, e: &reqwest::Error) -> LlmError {
        if e.is_builder() {
            return LlmError::Request {
                provider: self.kind,
                what: e.to_string(),
            };
        }
        if e.is_timeout() {
            // reqwest's own timer is the connect timeout (the others are ours).
            return timed_out(&self.config, self.kind, TimeLimit::Connect);
        }
        // The error's own text is terse ("error sending request"); its sources say why.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        LlmError::Connect {
            provider: self.kind,
            message,
        }
    }
}

/// The URL requests go to, from a base URL: `{base}/v1/messages` (Anthropic) or
/// `{base}/chat/completions` (OpenAI); an error says what is wrong with the base URL.
fn endpoint(kind: ProviderKind, base_url: &str) -> Result<String, BadBaseUrl> {
    let base = base_url.trim().trim_end_matches('/');
    let Some(rest) = base
        .strip_prefix("http://")
        .or_else(|| base.strip_prefix("https://"))
    else {
        return Err(BadBaseUrl::NotHttp(base_url.to_owned()));
    };
    if rest.is_empty() || rest.starts_with(['/', ':']) {
        return Err(BadBaseUrl::NoHost(base_url.to_owned()));
    }
    Ok(match kind {
        ProviderKind::Anthropic => format!("{base}/v1/messages"),
        ProviderKind::OpenAi => format!("{base}/chat/completions"),
    })
}
