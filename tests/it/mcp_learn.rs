//! MCP tools in the Learner -> Follower loop, against the official reference servers from
//! npm (`server-everything` and `server-filesystem`) and a loopback LLM: the Learner offers
//! the servers' tools with their JSON Schemas, records the calls under the llt names, the
//! recording compiles, and a goal of the same shape is followed with no LLM call while the
//! servers do the work.

use crate::support::mcp_peers as peers;

use crate::support::learn::{Ws, anthropic_env, llmos, read_recording};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::{Value, json};

/// A workspace with both servers (the filesystem one on `data/`), their tools listed.
async fn workspace(p: &std::path::Path) -> Ws {
    let ws = peers::two_servers(p);
    let run = llmos(&ws, &["mcp", "refresh"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    ws
}

/// The LLM adds with `everything.get_sum` and answers with what the server said.
fn sum_script(a: i64, b: i64) -> Script {
    Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "everything-get_sum", json!({"a": a, "b": b}))],
            500,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_text(
            &format!("The sum of {a} and {b} is {}.", a + b),
            700,
            20,
        )))
}

/// The tool the LLM was offered under `api_name`.
fn offered<'a>(request: &'a Value, api_name: &str) -> &'a Value {
    request["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == api_name)
        .unwrap_or_else(|| panic!("`{api_name}` not offered: {}", request["tools"]))
}

#[tokio::test]
async fn a_learned_mcp_program_is_followed_without_the_llm() {
    let Some(p) = peers::peers() else { return };
    let ws = workspace(p).await;
    let server = LoopbackServer::start(sum_script(2, 3)).await.unwrap();
    let env = anthropic_env(&server);
    let run = llmos(
        &ws,
        &["run", "add 2 and 3", "--mode", "learner", "--json"],
        &env,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(
        (&out["mode"], &out["output"], &out["llm_calls"]),
        (
            &json!("learner"),
            &json!("The sum of 2 and 3 is 5."),
            &json!(2)
        ),
        "{out}"
    );
    assert!(
        out["program"].as_str().is_some_and(|p| p.len() == 64),
        "the recording compiled and was stored: {out}\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("literal"),
        "the program generalizes: {}",
        run.stderr
    );

    // The LLM saw the servers' tools beside the built-ins, with the servers' schemas under
    // llt parameter names and their descriptions.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let get_sum = offered(&reqs[0].body, "everything-get_sum");
    let description = get_sum["description"].as_str().unwrap();
    assert!(
        description.starts_with("Returns the sum of two numbers") && description.contains("pure"),
        "{description}"
    );
    assert_eq!(
        get_sum["input_schema"]["properties"]["a"],
        json!({"type": "number", "description": "First number"})
    );
    assert_eq!(get_sum["input_schema"]["required"], json!(["a", "b"]));
    let read = offered(&reqs[0].body, "files-read_text_file");
    assert_eq!(read["input_schema"]["required"], json!(["path"]));
    assert!(read["input_schema"]["properties"]["head"].is_object());
    offered(&reqs[0].body, "fs-read");
    assert_eq!(
        reqs[1].body["messages"].as_array().unwrap().last().unwrap()["content"][0]["content"],
        "The sum of 2 and 3 is 5.",
        "the server's answer went back to the LLM"
    );

    // The recording has the call under its llt name, with the server's result.
    let recordings = ws.recordings();
    assert_eq!(recordings.len(), 1);
    let rec = read_recording(&recordings[0]);
    let steps: Vec<(&str, Value, Option<&Value>)> = rec
        .steps
        .iter()
        .map(|s| (s.tool.as_str(), json!(s.args), s.result.as_ref()))
        .collect();
    assert_eq!(
        steps,
        [
            (
                "everything.get_sum",
                json!({"a": 2, "b": 3}),
                Some(&json!("The sum of 2 and 3 is 5."))
            ),
            (
                "llm.final",
                json!({"text": "The sum of 2 and 3 is 5."}),
                None
            ),
        ]
    );

    // A goal of the same shape: followed, no LLM request, the server does the work.
    let run = llmos(&ws, &["run", "add 40 and 2", "--json"], &env).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(
        (&out["mode"], &out["llm_calls"], &out["output"]),
        (
            &json!("follower"),
            &json!(0),
            &json!("The sum of 40 and 2 is 42.")
        ),
        "{out}"
    );
    assert_eq!(server.requests().len(), 2, "no LLM request when following");
    // Each run started the one server it called, once (the refresh started both); none
    // is left running.
    assert_eq!(peers::started(ws.root()).len(), 2 + 1 + 1);
    peers::assert_no_orphans(ws.root());
}
