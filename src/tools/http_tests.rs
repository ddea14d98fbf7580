//! Tests of `http.*` against a small HTTP/1.1 server on 127.0.0.1 started by the test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::tools::testutil::call_async;
use crate::tools::{Limits, ToolCtx, ToolErrorKind};

const LIMIT: usize = 1024;

/// Answers one request according to its path.
fn serve(mut stream: TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let big = "x".repeat(LIMIT + 1);
    let (status, body, length) = match path.as_str() {
        "/hello" => ("200 OK", "hello".to_owned(), true),
        "/json" => ("200 OK", r#"{"b":[1,2],"a":"x"}"#.to_owned(), true),
        "/notjson" => ("200 OK", "<html>".to_owned(), true),
        "/exact" => ("200 OK", "y".repeat(LIMIT), true),
        "/big" => ("200 OK", big, true),
        "/big-unsized" => ("200 OK", big, false),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            ("200 OK", "late".to_owned(), true)
        }
        _ => ("404 Not Found", "gone".to_owned(), true),
    };
    let mut reply = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
    if length {
        reply.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    reply.push_str("\r\n");
    reply.push_str(&body);
    let _ = stream.write_all(reply.as_bytes());
}

/// Starts the server; returns its base URL.
fn server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    format!("http://{addr}")
}

fn ctx() -> (tempfile::TempDir, Arc<ToolCtx>) {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        http_timeout: Duration::from_millis(500),
        http_max_bytes: LIMIT,
        ..Limits::default()
    };
    let ctx = Arc::new(ToolCtx::with_limits(dir.path(), limits).unwrap());
    (dir, ctx)
}

#[tokio::test]
async fn get_text_and_json() {
    let base = server();
    let (_d, ctx) = ctx();
    let got = call_async(&ctx, "http.get", &[json!(format!("{base}/hello"))])
        .await
        .unwrap();
    assert_eq!(got, json!("hello"));
    let got = call_async(&ctx, "http.get", &[json!(format!("{base}/exact"))])
        .await
        .unwrap();
    assert_eq!(got.as_str().unwrap().len(), LIMIT);
    let got = call_async(&ctx, "http.get_json", &[json!(format!("{base}/json"))])
        .await
        .unwrap();
    assert_eq!(got, json!({"a": "x", "b": [1, 2]}));
}

#[tokio::test]
async fn errors_name_status_and_url() {
    let base = server();
    let (_d, ctx) = ctx();
    let url = format!("{base}/missing");
    for tool in ["http.get", "http.get_json"] {
        let e = call_async(&ctx, tool, &[json!(url)]).await.unwrap_err();
        assert_eq!(
            (e.kind, e.message.clone()),
            (
                ToolErrorKind::Failed,
                format!("HTTP 404 Not Found from {url}")
            )
        );
    }
    let url = format!("{base}/notjson");
    let e = call_async(&ctx, "http.get_json", &[json!(url)])
        .await
        .unwrap_err();
    assert!(
        e.message
            .starts_with(&format!("the reply from {url} is not valid JSON")),
        "{e}"
    );

    let e = call_async(&ctx, "http.get", &[json!("not a url")])
        .await
        .unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::BadArgument);
    let e = call_async(&ctx, "http.get", &[json!("file:///etc/passwd")])
        .await
        .unwrap_err();
    assert_eq!(e.kind, ToolErrorKind::BadArgument);

    // a closed port
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/x");
    let e = call_async(&ctx, "http.get", &[json!(url)])
        .await
        .unwrap_err();
    assert!(e.message.starts_with(&format!("GET {url} failed")), "{e}");
}

#[tokio::test]
async fn body_size_is_limited() {
    let base = server();
    let (_d, ctx) = ctx();
    for path in ["/big", "/big-unsized"] {
        let url = format!("{base}{path}");
        let e = call_async(&ctx, "http.get", &[json!(url)])
            .await
            .unwrap_err();
        assert_eq!(
            e.message,
            format!("the reply from {url} is larger than {LIMIT} bytes")
        );
    }
}

#[tokio::test]
async fn slow_reply_times_out() {
    let base = server();
    let (_d, ctx) = ctx();
    let url = format!("{base}/slow");
    let start = Instant::now();
    let e = call_async(&ctx, "http.get", &[json!(url)])
        .await
        .unwrap_err();
    let took = start.elapsed();
    assert_eq!(
        (e.kind, e.message.clone()),
        (
            ToolErrorKind::Timeout,
            format!("no complete reply from {url} within 500ms")
        )
    );
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(2),
        "{took:?}"
    );
}
