//! `http.*`: GET requests, limited in time ([`Limits::http_timeout`](super::Limits), for
//! the whole exchange) and in body size ([`Limits::http_max_bytes`](super::Limits)).
//! Only `http` and `https` URLs are fetched. `http.get` decodes the body as UTF-8,
//! replacing invalid bytes; a status of 400 or more is an error naming the status and the
//! URL.

use std::sync::Arc;
use std::time::Duration;

use super::registry::{Body, Builtin};
use super::{ToolCtx, ToolError, ToolFuture, arg_str};
use crate::value::Value;

/// Time limit of one `http.*` call: above the longest request limit `[limits] http_timeout`
/// may set (600 s; 30 s by default), so the request's clearer error comes first.
pub const TIMEOUT: Duration = Duration::from_secs(crate::limits::HTTP_TIMEOUT_MAX.as_secs() + 5);

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "http.get",
        params: &["url"],
        timeout: TIMEOUT,
        body: Body::Pending(get),
    },
    Builtin {
        name: "http.get_json",
        params: &["url"],
        timeout: TIMEOUT,
        body: Body::Pending(get_json),
    },
];

fn get(ctx: &Arc<ToolCtx>, args: &[Value]) -> ToolFuture {
    let ctx = Arc::clone(ctx);
    let url = arg_str(args, 0, "url").map(str::to_owned);
    Box::pin(async move {
        let url = url?;
        let body = fetch(&ctx, &url).await?;
        Ok(Value::String(String::from_utf8_lossy(&body).into_owned()))
    })
}

fn get_json(ctx: &Arc<ToolCtx>, args: &[Value]) -> ToolFuture {
    let ctx = Arc::clone(ctx);
    let url = arg_str(args, 0, "url").map(str::to_owned);
    Box::pin(async move {
        let url = url?;
        let body = fetch(&ctx, &url).await?;
        serde_json::from_slice(&body)
            .map_err(|e| ToolError::failed(format!("the reply from {url} is not valid JSON: {e}")))
    })
}

/// The body of a GET of `url`, within the context's limits.
async fn fetch(ctx: &ToolCtx, url: &str) -> Result<Vec<u8>, ToolError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ToolError::bad_argument(format!("bad URL `{url}`: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ToolError::bad_argument(format!(
            "bad URL `{url}`: only http and https URLs can be fetched"
        )));
    }
    let client = ctx.http_client_for(url)?;
    let limit = ctx.limits.http_max_bytes;
    let too_large =
        || ToolError::failed(format!("the reply from {url} is larger than {limit} bytes"));
    let exchange = async {
        let mut resp = client
            .get(parsed)
            .send()
            .await
            .map_err(|e| request_error(url, &e))?;
        let status = resp.status();
        if status.as_u16() >= 400 {
            return Err(ToolError::failed(format!("HTTP {status} from {url}")));
        }
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| request_error(url, &e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    let time_limit = ctx.limits.http_timeout;
    tokio::time::timeout(time_limit, exchange)
        .await
        .map_err(|_| {
            ToolError::timeout(format!(
                "no complete reply from {url} within {}",
                humantime::format_duration(time_limit)
            ))
        })?
}

/// A request error with its causes (`connection refused`, ...).
fn request_error(url: &str, e: &reqwest::Error) -> ToolError {
    let mut msg = format!("GET {url} failed");
    let mut cause: Option<&dyn std::error::Error> = Some(e);
    while let Some(c) = cause {
        msg.push_str(": ");
        msg.push_str(&c.to_string());
        cause = c.source();
    }
    ToolError::failed(msg)
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
