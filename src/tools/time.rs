//! `time.*`: the clock, and waiting (for tests of the scheduler and watchdog).

use std::sync::Arc;
use std::time::Duration;

use super::registry::{Body, Builtin};
use super::{ToolCtx, ToolError, ToolFuture, ToolResult};
use crate::value::{Value, kind_of};

/// Time limit of `time.now`.
pub const NOW_TIMEOUT: Duration = Duration::from_secs(10);
/// Time limit of `time.sleep`: long, so that the limit under test is the scheduler's or
/// the watchdog's, never this one.
pub const SLEEP_TIMEOUT: Duration = Duration::from_secs(3600);

pub(crate) const TOOLS: &[Builtin] = &[
    Builtin {
        name: "time.now",
        params: &[],
        timeout: NOW_TIMEOUT,
        body: Body::Ready(now),
    },
    Builtin {
        name: "time.sleep",
        params: &["ms"],
        timeout: SLEEP_TIMEOUT,
        body: Body::Pending(sleep),
    },
];

/// The current time, RFC 3339 in UTC with milliseconds: `2026-11-25T09:00:00.123Z`.
fn now(_: &ToolCtx, _: &[Value]) -> ToolResult {
    Ok(Value::String(format!("{:.3}", jiff::Timestamp::now())))
}

fn sleep(_: &Arc<ToolCtx>, args: &[Value]) -> ToolFuture {
    let ms = match args.first() {
        Some(v) => v.as_u64().ok_or_else(|| match v.as_i64() {
            Some(n) => ToolError::bad_argument(format!("time.sleep: `ms` is negative ({n})")),
            None => ToolError::bad_argument(format!(
                "time.sleep: `ms` must be an int, found {}",
                kind_of(v)
            )),
        }),
        None => Err(ToolError::bad_argument("argument `ms` is missing")),
    };
    Box::pin(async move {
        let ms = ms?;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(Value::from(ms))
    })
}

#[cfg(test)]
mod tests {
    use crate::tools::ToolErrorKind;
    use crate::tools::testutil::{call, call_async, workspace};
    use serde_json::json;
    use std::time::{Duration, Instant};

    #[test]
    fn now_is_rfc3339_utc() {
        let (_d, ctx) = workspace();
        let got = call(&ctx, "time.now", &[]).unwrap();
        let text = got.as_str().unwrap();
        let ts: jiff::Timestamp = text.parse().unwrap();
        assert!(
            text.ends_with('Z') && text.len() == "2026-11-25T09:00:00.123Z".len(),
            "{text}"
        );
        let age = jiff::Timestamp::now().duration_since(ts);
        assert!(age >= jiff::SignedDuration::ZERO && age < jiff::SignedDuration::from_secs(5));
    }

    #[tokio::test]
    async fn sleeps_return_ms_and_run_concurrently() {
        let (_d, ctx) = workspace();
        let start = Instant::now();
        let (a, b) = tokio::join!(
            call_async(&ctx, "time.sleep", &[json!(200)]),
            call_async(&ctx, "time.sleep", &[json!(200)])
        );
        let took = start.elapsed();
        assert_eq!((a.unwrap(), b.unwrap()), (json!(200), json!(200)));
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_millis(350), "{took:?}");
    }

    #[tokio::test]
    async fn negative_sleep_is_an_error() {
        let (_d, ctx) = workspace();
        let e = call_async(&ctx, "time.sleep", &[json!(-5)])
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind, e.message.as_str()),
            (
                ToolErrorKind::BadArgument,
                "time.sleep: `ms` is negative (-5)"
            )
        );
        assert_eq!(
            call_async(&ctx, "time.sleep", &[json!(0)]).await.unwrap(),
            json!(0)
        );
    }
}
