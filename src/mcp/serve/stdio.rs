//! `llmos mcp serve` on stdin and stdout: one session, until the client closes its end
//! (or SIGINT/SIGTERM). Stdout carries only the protocol; everything else goes to stderr.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;

use super::{Served, State};
use crate::mcp::ServeError;

/// Serves until the session ends. A write that stdout refuses is reported once through
/// `on_stdout_error` (the session then ends).
pub async fn serve_stdio(state: Arc<State>, on_stdout_error: fn(String)) -> Result<(), ServeError> {
    use rmcp::ServiceExt;
    let watcher = tokio::spawn(Arc::clone(&state).watch());
    let stdout = GuardedStdout {
        inner: tokio::io::stdout(),
        on_error: Some(on_stdout_error),
    };
    let served = Served {
        state: Arc::clone(&state),
    };
    let result = match served.serve((tokio::io::stdin(), stdout)).await {
        Ok(service) => {
            let signals = crate::kernel::follow::watch_signals(crate::vm::Cancel::new());
            tokio::select! {
                _ = service.waiting() => {}
                () = signals => {}
            }
            Ok(())
        }
        Err(e) => Err(ServeError::Session(e.to_string())),
    };
    watcher.abort();
    state.kernel.tools.shutdown().await;
    result
}

/// Stdout that reports its first failed write.
struct GuardedStdout {
    inner: tokio::io::Stdout,
    on_error: Option<fn(String)>,
}

impl GuardedStdout {
    fn check<T>(&mut self, r: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(e)) = &r
            && let Some(report) = self.on_error.take()
        {
            report(e.to_string());
        }
        r
    }
}

impl AsyncWrite for GuardedStdout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.check(r)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.check(r)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.check(r)
    }
}
