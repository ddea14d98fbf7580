//! A scriptable stand-in for an LLM API on 127.0.0.1, for tests and benchmarks that must
//! not touch the network. It speaks just enough HTTP/1.1: it reads a request head and a
//! `Content-Length` body, answers with the next scripted reply (or the default reply when
//! the script has run out), and closes the connection. Every request is recorded.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use llmos::llm::{canned, loopback::{LoopbackServer, Reply, Script}};
//! let server = LoopbackServer::start(
//!     Script::new().reply(Reply::ok(&canned::anthropic_text("hello", 10, 2))),
//! ).await?;
//! // point ANTHROPIC_BASE_URL at server.url(), call, then inspect server.requests()
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::value::Value;

/// The largest request head and body the server reads.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 32 * 1024 * 1024;

/// One scripted answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub status: u16,
    /// Extra headers; `Content-Length` and `Connection: close` are always sent.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// How long to wait before answering.
    pub delay: Duration,
    /// Sends `body` over and over until the client hangs up (or [`ENDLESS_MAX`] bytes
    /// went out), with no `Content-Length` unless one is declared.
    pub endless: bool,
    /// The `Content-Length` to announce instead of the body's length.
    pub declared_length: Option<u64>,
}

/// Where an endless reply stops if the client never hangs up.
pub const ENDLESS_MAX: u64 = 1 << 30;

impl Reply {
    /// A JSON reply with `status`.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
            endless: false,
            declared_length: None,
        }
    }

    /// A 200 JSON reply.
    pub fn ok(body: &Value) -> Reply {
        Reply::json(200, body)
    }

    /// A reply with a raw (possibly not JSON) body.
    pub fn raw(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.into(),
            delay: Duration::ZERO,
            endless: false,
            declared_length: None,
        }
    }

    /// The same reply with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same reply, sent after `delay`.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// A reply with `status` whose body is `chunk` repeated without end (a server gone
    /// wrong; the client must cut it).
    pub fn endless(status: u16, chunk: impl Into<String>) -> Reply {
        Reply {
            endless: true,
            ..Reply::raw(status, chunk)
        }
    }

    /// The same reply announcing a `Content-Length` of `length`, whatever it sends.
    pub fn declare_length(mut self, length: u64) -> Reply {
        self.declared_length = Some(length);
        self
    }
}

/// What the server answers, in order.
#[derive(Clone, Debug)]
pub struct Script {
    replies: VecDeque<Reply>,
    default: Reply,
    latency: Duration,
}

impl Default for Script {
    fn default() -> Script {
        Script::new()
    }
}

impl Script {
    /// No scripted replies; the default reply is an HTTP 500 saying the script ran out.
    pub fn new() -> Script {
        let body = serde_json::json!({
            "type": "error",
            "error": { "type": "api_error", "message": "loopback script exhausted" },
        });
        Script {
            replies: VecDeque::new(),
            default: Reply::json(500, &body),
            latency: Duration::ZERO,
        }
    }

    /// Queues one more reply.
    pub fn reply(mut self, reply: Reply) -> Script {
        self.replies.push_back(reply);
        self
    }

    /// The reply given once the queue is empty.
    pub fn default_reply(mut self, reply: Reply) -> Script {
        self.default = reply;
        self
    }

    /// A fixed delay added to every reply.
    pub fn latency(mut self, latency: Duration) -> Script {
        self.latency = latency;
        self
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Value::Null` when it is not JSON.
    pub body: Value,
    pub raw_body: String,
    /// When the request was fully read.
    pub at: Instant,
}

impl Recorded {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct State {
    script: Script,
    requests: Vec<Recorded>,
}

/// A running server; it stops when dropped.
pub struct LoopbackServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves plain data behind: keep using it.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl LoopbackServer {
    /// Starts a server on a free port of 127.0.0.1, answering as `script` says.
    pub async fn start(script: Script) -> std::io::Result<LoopbackServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            script,
            requests: Vec::new(),
        }));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, Arc::clone(&shared)));
            }
        });
        Ok(LoopbackServer { addr, state, task })
    }

    /// `http://127.0.0.1:PORT`, the base URL to point a provider at.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.state).requests.clone()
    }

    /// Queues one more reply.
    pub fn push(&self, reply: Reply) {
        lock(&self.state).script.replies.push_back(reply);
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers one connection; errors (a client that went away) just end it.
async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let reply = match read_request(&mut stream).await {
        Ok(Some(request)) => {
            let mut st = lock(&state);
            st.requests.push(request);
            let latency = st.script.latency;
            let mut reply = st
                .script
                .replies
                .pop_front()
                .unwrap_or_else(|| st.script.default.clone());
            reply.delay += latency;
            reply
        }
        Ok(None) => return, // closed before sending anything
        Err(e) => Reply::raw(400, e.to_string()),
    };
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let length = match (reply.declared_length, reply.endless) {
        (Some(n), _) => format!("content-length: {n}\r\n"),
        (None, true) => String::new(),
        (None, false) => format!("content-length: {}\r\n", reply.body.len()),
    };
    head.push_str(&format!("{length}connection: close\r\n\r\n"));
    let _ = stream.write_all(head.as_bytes()).await;
    if reply.endless && !reply.body.is_empty() {
        let mut sent = 0u64;
        while sent < ENDLESS_MAX && stream.write_all(reply.body.as_bytes()).await.is_ok() {
            sent += reply.body.len() as u64;
        }
    } else {
        let _ = stream.write_all(reply.body.as_bytes()).await;
    }
    let _ = stream.shutdown().await;
}

/// Why a request was answered 400 (the reply's body says it).
#[derive(Debug, thiserror::Error)]
enum BadRequest {
    #[error("request head too large")]
    HeadTooLarge,
    #[error("truncated request head")]
    TruncatedHead,
    #[error("bad request line")]
    RequestLine,
    #[error("bad content-length")]
    ContentLength,
    #[error("request body too large")]
    BodyTooLarge,
    #[error("truncated request body")]
    TruncatedBody,
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads one request; `Ok(None)` when the peer closed without sending one.
async fn read_request(stream: &mut TcpStream) -> Result<Option<Recorded>, BadRequest> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(BadRequest::HeadTooLarge);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(BadRequest::TruncatedHead)
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split_whitespace();
    let (Some(method), Some(path)) = (request_line.next(), request_line.next()) else {
        return Err(BadRequest::RequestLine);
    };
    let mut headers = Vec::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = match headers.iter().find(|(n, _)| n == "content-length") {
        Some((_, v)) => v.parse::<usize>().map_err(|_| BadRequest::ContentLength)?,
        None => 0,
    };
    if length > MAX_BODY {
        return Err(BadRequest::BodyTooLarge);
    }
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(BadRequest::TruncatedBody);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    let raw_body = String::from_utf8_lossy(&body).into_owned();
    Ok(Some(Recorded {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: serde_json::from_str(&raw_body).unwrap_or(Value::Null),
        raw_body,
        at: Instant::now(),
    }))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    }
}
