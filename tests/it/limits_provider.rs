//! A provider gone wrong cannot hold a run or fill its memory: an endless reply fails at
//! the reply limit, a reply declaring 300 MB is refused unread, a hung server fails at
//! the first-byte and call limits, a connection that never opens at the connect limit,
//! and a 429 asking for an hour fails the call at once (a short `retry-after` is obeyed).
//! Each through `llmos run --mode learner` against a loopback server, with small limits
//! set in `config.toml`. `run --json`'s `error.code` names each (`llm-reply-too-large`,
//! `llm-timeout`, `llm-unreachable`, `llm-rate-limited`).

use std::time::{Duration, Instant};

use crate::support::learn::{Run, Ws, learn, llmos};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};

fn config(ws: &Ws, llm: &str) {
    ws.write(".llmos/config.toml", &format!("[llm]\n{llm}\n"));
}

fn hello() -> Reply {
    Reply::ok(&canned::anthropic_text("Hello.", 100, 10))
}

/// Asserts the run (with `--json`) failed with `code` and its stderr holds `needles`.
fn assert_failed_with(run: &Run, code: &str, needles: &[&str]) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    let error = &run.json()["error"];
    assert_eq!(error["kind"], "llm", "{error}");
    assert_eq!(error["code"], code, "{error}");
    for n in needles {
        assert!(run.stderr.contains(n), "expected {n:?} in:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[tokio::test]
async fn an_endless_reply_fails_at_the_default_reply_limit() {
    let ws = Ws::new();
    let chunk = format!(
        "{{\"content\":[{{\"type\":\"text\",\"text\":\"{}",
        "a".repeat(65_536)
    );
    let server = LoopbackServer::start(Script::new().default_reply(Reply::endless(200, chunk)))
        .await
        .unwrap();
    let started = Instant::now();
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    assert_failed_with(
        &run,
        "llm-reply-too-large",
        &[
            "longer than the limit of 8388608 bytes",
            "`[llm] max_reply_size`",
        ],
    );
    assert_eq!(
        server.requests().len(),
        1,
        "a reply too large is not retried"
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_reply_limit_is_a_config_key() {
    let ws = Ws::new();
    config(&ws, "max_reply_size = \"64KiB\"");
    let big = canned::anthropic_text(&"b".repeat(70_000), 100, 10);
    let script = Script::new().reply(Reply::ok(&big));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    assert_failed_with(
        &run,
        "llm-reply-too-large",
        &["declares", "more than the limit of 65536"],
    );

    // Raised, the same reply is read.
    config(&ws, "max_reply_size = 200000");
    server.push(Reply::ok(&big));
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["output"].as_str().map(str::len), Some(70_000));
}

#[tokio::test]
async fn a_reply_declaring_300_mb_is_refused_unread() {
    let ws = Ws::new();
    let reply = Reply::endless(200, "x".repeat(65_536)).declare_length(300 << 20);
    let server = LoopbackServer::start(Script::new().default_reply(reply))
        .await
        .unwrap();
    let started = Instant::now();
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    assert_failed_with(
        &run,
        "llm-reply-too-large",
        &["declares 314572800 bytes", "refused unread"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_hung_provider_fails_at_the_first_byte_and_call_limits() {
    let ws = Ws::new();
    config(
        &ws,
        "first_byte_timeout = \"300ms\"\ncall_timeout = \"1s\"\nmax_attempts = 10",
    );
    let hung = hello().delay(Duration::from_secs(60));
    let server = LoopbackServer::start(Script::new().default_reply(hung))
        .await
        .unwrap();
    let started = Instant::now();
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    let took = started.elapsed();
    // The call's limit ends the retries; the first attempt ended at the first-byte limit.
    assert_failed_with(&run, "llm-timeout", &["`[llm] call_timeout`"]);
    let log = ws.run_log();
    let first_retry = log.iter().find(|e| e["event"] == "llm_retry").unwrap();
    let error = first_retry["error"].as_str().unwrap();
    assert!(
        error.contains("no reply within 300ms (`[llm] first_byte_timeout`"),
        "{error}"
    );
    // 8 minutes before; now the call limit (1 s) plus the process's own start and end.
    assert!(took < Duration::from_secs(20), "{took:?}");
    let sent = server.requests().len();
    assert!((1..=4).contains(&sent), "{sent} attempts in one second");
}

#[tokio::test]
async fn a_connection_that_never_opens_fails_at_the_connect_limit() {
    // A listener whose accept queue is full: the kernel drops new SYNs, so a connect
    // neither succeeds nor fails until the client gives up.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let filler = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        );
        if let Ok(Ok(stream)) = filler.await {
            fillers.push(stream);
        }
    }
    let ws = Ws::new();
    config(&ws, "connect_timeout = \"300ms\"\nmax_attempts = 1");
    let env = vec![
        ("LLMOS_MODEL", "anthropic:claude-sonnet-4-5".to_string()),
        ("ANTHROPIC_API_KEY", "sk-ant-test".to_string()),
        ("ANTHROPIC_BASE_URL", format!("http://{addr}")),
    ];
    let started = Instant::now();
    let args = ["run", "say hello", "--mode", "learner", "--json"];
    let run = llmos(&ws, &args, &env).await;
    assert_failed_with(
        &run,
        "llm-unreachable",
        &["could not connect within 300ms", "`[llm] connect_timeout`"],
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    drop(listener);
}

#[tokio::test]
async fn a_429_asking_for_an_hour_fails_the_call_at_once() {
    let ws = Ws::new();
    let limited = Reply::json(
        429,
        &canned::anthropic_error("rate_limit_error", "Too many requests"),
    )
    .header("retry-after", "3600");
    let server = LoopbackServer::start(Script::new().default_reply(limited))
        .await
        .unwrap();
    let started = Instant::now();
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    assert_failed_with(
        &run,
        "llm-rate-limited",
        &[
            "asked to retry after 1h",
            "`[llm] retry_after_cap` (20s)",
            "HTTP 429",
        ],
    );
    assert_eq!(server.requests().len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_retry_after_within_the_cap_is_obeyed() {
    let ws = Ws::new();
    config(&ws, "retry_after_cap = \"2s\"");
    let limited = Reply::json(
        429,
        &canned::anthropic_error("rate_limit_error", "Too many requests"),
    )
    .header("retry-after", "1");
    let server = LoopbackServer::start(Script::new().reply(limited).reply(hello()))
        .await
        .unwrap();
    let run = learn(&ws, &server, "say hello", &["--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    let gap = sent[1].at.duration_since(sent[0].at);
    assert!(gap >= Duration::from_secs(1), "retried after {gap:?}");
}
