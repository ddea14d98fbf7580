//! An MCP server is someone else's program: what it may do must not break llmos, leak the
//! user's secrets to it, or hold llmos past its limits. Against
//! `tests/peers/mcp/hostile-server.mjs` (on the official TypeScript SDK).

use crate::support::mcp_peers as peers;

use std::time::{Duration, Instant};

use crate::support::learn::{Ws, anthropic_env, llmos};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::json;

/// `llmos exec` of a program that calls `hostile.TOOL()`, with an API key in the
/// environment.
async fn exec(ws: &Ws, tool: &str) -> crate::support::learn::Run {
    ws.write(
        &format!("{tool}.llt"),
        &format!("trace t\nlet r = hostile.{tool}()\nreturn r\n"),
    );
    let file = format!("{tool}.llt");
    let env = [("ANTHROPIC_API_KEY", "sk-ant-secret".to_owned())];
    llmos(ws, &["exec", &file, "--json"], &env).await
}

#[tokio::test]
async fn an_untrusted_server_stays_within_bounds() {
    let Some(p) = peers::peers() else { return };
    let ws = peers::workspace(
        &(peers::logged_server(
            "hostile",
            &peers::script(p, "hostile-server.mjs"),
            &[],
            "effects = [\"pure\"]\ntimeout = \"4s\"",
        ) + "[limits]\nvalue = \"1 MiB\"\n"),
    );

    // A tool name no LLM API takes leaves that tool out, not the server.
    let run = llmos(&ws, &["mcp", "refresh"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("hostile: 4 tools\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains(
            "warning: MCP server `hostile`: tool \
             `a-tool-whose-name-is-far-too-long-for-any-llm-api-to-take` is left out"
        ),
        "{}",
        run.stderr
    );

    // Lines that are not JSON-RPC are passed over.
    let run = exec(&ws, "noise").await;
    assert_eq!(
        (run.code, &run.json()["output"]),
        (0, &json!("fine")),
        "{}",
        run.stderr
    );
    // The server gets no API key, only what finds programs and a home.
    let run = exec(&ws, "env").await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let names = run.json()["output"].as_str().unwrap().to_owned();
    assert!(!names.contains("ANTHROPIC"), "{names}");
    assert!(names.split(',').any(|n| n == "PATH"), "{names}");
    // An answer over the value limit is a limit error naming the step.
    let run = exec(&ws, "big").await;
    assert_eq!(run.code, 1);
    let e = &run.json()["error"];
    assert_eq!(e["kind"], "limit", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("step 1 (`r`) `hostile.big`"),
        "{e}"
    );
    // An answer too big to read (over the transport's 16 MiB a message) is dropped
    // unread: the step fails at the server's `timeout`, without memory to match.
    let started = Instant::now();
    let run = exec(&ws, "flood").await;
    assert_eq!(run.code, 1);
    assert_eq!(
        run.json()["error"]["kind"],
        "step_timeout",
        "{}",
        run.stdout
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );

    // The Learner is offered the server's other tools.
    let llm = LoopbackServer::start(Script::new().reply(Reply::ok(&canned::anthropic_text(
        "nothing to do",
        100,
        5,
    ))))
    .await
    .unwrap();
    let run = llmos(
        &ws,
        &["run", "say nothing", "--mode", "learner", "--json"],
        &anthropic_env(&llm),
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let offered: Vec<String> = llm.requests()[0].body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .filter(|n| n.starts_with("hostile-"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        offered,
        [
            "hostile-big",
            "hostile-env",
            "hostile-flood",
            "hostile-noise"
        ]
    );
    peers::assert_no_orphans(ws.root());
}
