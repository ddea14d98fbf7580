//! `llmos mcp serve` driven by real MCP clients: rmcp's (the official Rust SDK) here, on
//! stdio and streamable HTTP, and the official TypeScript SDK's client in
//! `tests/peers/mcp/sdk-client.mjs`. Lists the stored programs, calls one, and sees the
//! list change when a program is added to the library.

use crate::support::mcp_peers as peers;

use std::process::Stdio;
use std::time::Duration;

use crate::support::learn::{Ws, llmos};
use rmcp::model::{CallToolRequestParams, ClientConfig};
use rmcp::service::{NotificationContext, RoleClient};
use rmcp::{ClientHandler, ServiceExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const WORD_COUNT: &str = r#"// Counts the words of a text file.
trace word_count
goal "count the words in {file}"
param file: path
let text = fs.read(path: file)
let words = text.split(text: text, sep: "")
let n = list.len(items: words)
return "{file} has {n} words."
"#;

const STATS: &str = r#"trace line_stats
goal "line statistics of {file}"
param file: path
param sep: str = "\n"
let text = fs.read(path: file)
let lines = text.split(text: text, sep: sep)
return { "lines": list.len(items: lines), "first": lines[0] }
"#;

/// A workspace with `word_count` in the library.
async fn library() -> Ws {
    let ws = Ws::new();
    ws.write("notes.txt", "one two three\nfour");
    ws.write("word_count.llt", WORD_COUNT);
    ws.write("line_stats.llt", STATS);
    let run = llmos(&ws, &["traces", "import", "word_count.llt"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    ws
}

/// A client that passes on every `tools/list_changed` it gets.
#[derive(Clone)]
struct Watcher {
    changed: mpsc::UnboundedSender<()>,
}

impl ClientHandler for Watcher {
    async fn on_tool_list_changed(&self, _context: NotificationContext<RoleClient>) {
        let _ = self.changed.send(());
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::default()
    }
}

/// An rmcp client of `llmos mcp serve`.
type Client = rmcp::service::RunningService<RoleClient, Watcher>;

/// `llmos mcp serve` on stdio for `ws`, an rmcp client connected to it, and what the
/// client hears of `tools/list_changed`.
async fn serve_on_stdio(ws: &Ws) -> (tokio::process::Child, Client, mpsc::UnboundedReceiver<()>) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(["mcp", "serve", "--root"])
        .arg(ws.root())
        .env_remove("LLMOS_HOME")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (stdout, stdin) = (child.stdout.take().unwrap(), child.stdin.take().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    let client = Watcher { changed: tx }
        .serve((stdout, stdin))
        .await
        .unwrap();
    (child, client, rx)
}

fn tool_names(tools: &[rmcp::model::Tool]) -> Vec<String> {
    tools.iter().map(|t| t.name.to_string()).collect()
}

async fn call(client: &Client, name: &str, args: Value) -> Value {
    let params = CallToolRequestParams::new(name.to_owned())
        .with_arguments(args.as_object().unwrap().clone());
    serde_json::to_value(client.call_tool(params).await.unwrap()).unwrap()
}

/// Lists, calls, adds a program and waits for the change: the same on both transports.
async fn exercise(ws: &Ws, client: &Client, changed: &mut mpsc::UnboundedReceiver<()>) {
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tool_names(&tools), ["word_count"]);
    let t = serde_json::to_value(&tools[0]).unwrap();
    assert_eq!(t["title"], "count the words in {file}");
    let description = t["description"].as_str().unwrap();
    assert!(
        description.starts_with("count the words in {file}\n\nCounts the words of a text file."),
        "{description}"
    );
    assert!(description.contains("without an LLM"), "{description}");
    assert_eq!(t["inputSchema"]["required"], json!(["file"]));
    assert_eq!(t["inputSchema"]["properties"]["file"]["type"], "string");

    let r = call(client, "word_count", json!({"file": "notes.txt"})).await;
    assert_eq!(r["content"][0]["text"], "notes.txt has 4 words.", "{r}");
    assert_eq!(r.get("isError"), None);
    let r = call(client, "word_count", json!({"file": "missing.txt"})).await;
    assert_eq!(r["isError"], true);
    assert!(
        r["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("missing.txt"),
        "{r}"
    );
    let r = call(client, "word_count", json!({"path": "notes.txt"})).await;
    assert_eq!(r["isError"], true, "{r}");

    // A program added to the library shows up without a restart.
    let run = llmos(ws, &["traces", "import", "line_stats.llt"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    tokio::time::timeout(Duration::from_secs(20), changed.recv())
        .await
        .expect("tools/list_changed within 20 s")
        .unwrap();
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tool_names(&tools), ["line_stats", "word_count"]);
    let r = call(client, "line_stats", json!({"file": "notes.txt"})).await;
    assert_eq!(
        r["structuredContent"],
        json!({"lines": 2, "first": "one two three"}),
        "{r}"
    );
}

#[tokio::test]
async fn rmcp_client_on_stdio() {
    let ws = library().await;
    let (mut child, client, mut rx) = serve_on_stdio(&ws).await;
    exercise(&ws, &client, &mut rx).await;
    // Closing the session ends the server.
    client.cancel().await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn rmcp_client_on_streamable_http() {
    use tokio::io::AsyncBufReadExt;
    let ws = library().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_llmos"))
        .args(["mcp", "serve", "--http", "127.0.0.1:0", "--root"])
        .arg(ws.root())
        .env_remove("LLMOS_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("the endpoint within 30 s")
            .unwrap()
            .expect("stderr closed before the endpoint was printed");
        if let Some(url) = line.strip_prefix("llmos mcp serve: listening on ") {
            break url.to_owned();
        }
    };
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let transport = rmcp::transport::StreamableHttpClientTransport::with_client(
        llmos::http::client_builder().build().unwrap(),
        rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig::with_uri(
            url.as_str(),
        ),
    );
    let (tx, mut rx) = mpsc::unbounded_channel();
    let client = Watcher { changed: tx }.serve(transport).await.unwrap();
    exercise(&ws, &client, &mut rx).await;
    client.cancel().await.unwrap();

    // Only loopback addresses are served.
    let run = llmos(&ws, &["mcp", "serve", "--http", "0.0.0.0:0"], &[]).await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("loopback address only"),
        "{}",
        run.stderr
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn the_typescript_sdk_client() {
    let Some(p) = peers::peers() else { return };
    let ws = library().await;
    let out = tokio::process::Command::new("node")
        .arg(peers::script(p, "sdk-client.mjs"))
        .arg(env!("CARGO_BIN_EXE_llmos"))
        .arg(ws.root())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(report["before"], json!(["word_count"]));
    assert_eq!(
        report["call"]["content"][0]["text"],
        "notes.txt has 4 words."
    );
    assert_eq!(report["changed"], true);
    assert_eq!(report["after"], json!(["line_stats", "word_count"]));
    assert_eq!(
        report["stats"]["structuredContent"],
        json!({"lines": 2, "first": "one two three"})
    );
}

#[tokio::test]
async fn served_programs_call_mcp_servers_and_leave_none_behind() {
    use rustix::process::{Pid, Signal, kill_process};
    let Some(p) = peers::peers() else { return };
    // `netty` declares no effects: its tools need `net`, which `serve` does not grant
    // unless told.
    let ws = peers::workspace(
        &(peers::everything_server(p, "effects = [\"pure\"]")
            + &peers::logged_server("netty", &peers::everything(p), &["stdio"], "")),
    );
    ws.write(
        "echo.llt",
        "trace echo_net\ngoal \"echo {text} over the net\"\nparam text: str\n\
         let e = netty.echo(message: text)\nreturn e\n",
    );
    ws.write(
        "add.llt",
        "trace add_numbers\ngoal \"add {a} and {b}\"\nparam a: float\nparam b: float\n\
         let s = everything.get_sum(a: a, b: b)\nreturn s\n",
    );
    assert_eq!(llmos(&ws, &["mcp", "refresh"], &[]).await.code, 0);
    let run = llmos(&ws, &["traces", "import", "add.llt", "echo.llt"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        peers::started(ws.root()).len(),
        2,
        "only the refresh started them"
    );

    let (mut child, client, _rx) = serve_on_stdio(&ws).await;
    let tools = client.list_all_tools().await.unwrap();
    assert_eq!(tool_names(&tools), ["add_numbers", "echo_net"]);
    let t = serde_json::to_value(&tools[0]).unwrap();
    assert_eq!(t["inputSchema"]["properties"]["a"]["type"], "number");
    assert_eq!(t["inputSchema"]["required"], json!(["a", "b"]));
    for (a, b, want) in [
        (2, 3, "The sum of 2 and 3 is 5."),
        (40, 2, "The sum of 40 and 2 is 42."),
    ] {
        let r = call(&client, "add_numbers", json!({"a": a, "b": b})).await;
        assert_eq!(r["content"][0]["text"], want, "{r}");
    }
    // The grants of `exec`: no `net` without --allow, refused before the server starts.
    let r = call(&client, "echo_net", json!({"text": "hi"})).await;
    assert_eq!(r["isError"], true, "{r}");
    assert!(
        r["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("capability `net` not granted"),
        "{r}"
    );
    // One server for both calls, kept while serving.
    let started = peers::started_servers(ws.root());
    assert_eq!(started.len(), 3, "{started:?}");
    assert_eq!(started[2].1, "everything");
    let server = started[2].0;
    assert_eq!(peers::group(server).len(), 2, "node and its helper");

    // SIGTERM ends llmos mcp serve and the servers it started.
    let pid = Pid::from_raw(child.id().unwrap() as i32).unwrap();
    kill_process(pid, Signal::TERM).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .expect("llmos mcp serve ends after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
    peers::assert_no_orphans(ws.root());
    drop(client);
}
