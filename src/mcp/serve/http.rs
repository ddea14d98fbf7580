//! `llmos mcp serve --http ADDR`: the streamable HTTP transport on a loopback address, at
//! `/mcp`. Each client session gets its own handler over the shared [`State`]; requests
//! whose `Host` is not a loopback name are refused (DNS rebinding).

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

use super::{Served, State};
use crate::mcp::ServeError;

/// Serves on `addr` (a loopback address; port 0 picks one) until SIGINT or SIGTERM.
/// `on_listening` gets the endpoint URL once the socket is bound.
pub async fn serve_http(
    state: Arc<State>,
    addr: SocketAddr,
    on_listening: impl FnOnce(&str),
) -> Result<(), ServeError> {
    if !addr.ip().is_loopback() {
        return Err(ServeError::NotLoopback(addr));
    }
    let listen = |source| ServeError::Listen { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(listen)?;
    let bound = listener.local_addr().map_err(listen)?;
    let config = StreamableHttpServerConfig::default().with_allowed_hosts([
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "[::1]".to_owned(),
        format!("127.0.0.1:{}", bound.port()),
        format!("localhost:{}", bound.port()),
        format!("[::1]:{}", bound.port()),
    ]);
    let shared = Arc::clone(&state);
    let service = StreamableHttpService::new(
        move || {
            Ok(Served {
                state: Arc::clone(&shared),
            })
        },
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let watcher = tokio::spawn(Arc::clone(&state).watch());
    on_listening(&format!("http://{bound}/mcp"));
    let signals = crate::kernel::follow::watch_signals(crate::vm::Cancel::new());
    tokio::pin!(signals);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("warning: accepting a connection: {e}");
                    continue;
                }
            },
            () = &mut signals => break,
        };
        let service = service.clone();
        tokio::spawn(async move {
            let handler = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let service = service.clone();
                async move {
                    if req.uri().path() != "/mcp" {
                        let body =
                            Full::new(Bytes::from_static(b"not found: the endpoint is /mcp\n"));
                        let mut not_found = hyper::Response::new(body.boxed());
                        *not_found.status_mut() = hyper::StatusCode::NOT_FOUND;
                        return Ok::<_, std::convert::Infallible>(not_found);
                    }
                    Ok(service.handle(req).await)
                }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), handler)
                .await;
        });
    }
    watcher.abort();
    state.kernel.tools.shutdown().await;
    Ok(())
}
