//! The Learner passes an object where a tool takes text, when the object is the parse of
//! an earlier text result (issue 12): the call works, the recording holds the text, and
//! the learned program links it to the read, so it follows new files.

use crate::support::learn::{Ws, learn, llmos, read_recording};
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use serde_json::json;

#[tokio::test]
async fn an_object_passed_for_text_is_the_earlier_text_and_the_program_follows_new_files() {
    let ws = Ws::new();
    let text = "{\n  \"name\": \"demo\",\n  \"tags\": [\"a\", \"b\", \"c\"]\n}\n";
    ws.write("package.json", text);
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t1", "fs-read", json!({"path": "package.json"}))],
            500,
            40,
        )))
        // The LLM hands the parsed object to a tool that takes text.
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[(
                "t2",
                "json-parse",
                json!({"text": {"name": "demo", "tags": ["a", "b", "c"]}}),
            )],
            600,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[(
                "t3",
                "json-get",
                json!({"value": {"name": "demo", "tags": ["a", "b", "c"]}, "path": "tags"}),
            )],
            650,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_tool_use(
            None,
            &[("t4", "list-len", json!({"items": ["a", "b", "c"]}))],
            700,
            40,
        )))
        .reply(Reply::ok(&canned::anthropic_text(
            "package.json has 3 tags.",
            750,
            20,
        )));
    let server = LoopbackServer::start(script).await.unwrap();
    let run = learn(&ws, &server, "count the tags in package.json", &["--json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rec = read_recording(&ws.recordings()[0]);
    assert_eq!(
        rec.steps[1].args["text"],
        json!(text),
        "recorded as the text"
    );
    assert!(rec.steps[1].error.is_none(), "{:?}", rec.steps[1]);
    // A new file: followed, no LLM call.
    ws.write("app.json", "{\"tags\": [\"x\"], \"name\": \"app\"}");
    let run = llmos(
        &ws,
        &[
            "run",
            "count the tags in app.json",
            "--mode",
            "follower",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["output"], "app.json has 1 tags.");
}
