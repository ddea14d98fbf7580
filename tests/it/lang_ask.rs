//! `ask` inside a `for`: one answer per distinct prompt, from one LLM request each, the
//! same answer for every element that asks the same; a second run asks nothing (the
//! slot cache). Against a loopback provider, through the VM and the LLM resolver.

use std::sync::Arc;

use crate::support::llm::slot_filler;
use crate::support::vm::{Fixture, compile, inputs};
use llmos::host::SlotFiller;
use llmos::learn::events::NullSink;
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use llmos::vm::EventBus;
use serde_json::json;

const SRC: &str = r#"trace notes
param names: list<str>
let notes = for n in names {
    let note: str = ask "One word about {n}."
    "{n}: {note}"
}
return notes
"#;

fn resolver(server: &LoopbackServer, dir: &std::path::Path) -> SlotFiller {
    let model = "anthropic:claude-sonnet-4-5";
    slot_filler(server, model, dir, None, Arc::new(NullSink)).with_max_tokens(50)
}

#[tokio::test]
async fn each_distinct_prompt_is_asked_once_and_cached() {
    let f = Fixture::new();
    // Every reply is the same word, so which request comes first does not matter.
    let script = Script::new()
        .default_reply(Reply::ok(&canned::anthropic_text("bright", 20, 2)))
        .latency(std::time::Duration::from_millis(50));
    let server = LoopbackServer::start(script).await.unwrap();
    let program = compile(SRC);
    let names = json!(["ada", "bob", "ada", "ada", "bob", "cy"]);
    let state = f.dir.path().join(".llmos");
    std::fs::create_dir_all(&state).unwrap();

    let llm = resolver(&server, &state);
    let out = f
        .run(
            &program,
            inputs(&[("names", names.clone())]),
            &llm,
            &EventBus::new(),
        )
        .await
        .unwrap();
    let expected = json!([
        "ada: bright",
        "bob: bright",
        "ada: bright",
        "ada: bright",
        "bob: bright",
        "cy: bright"
    ]);
    assert_eq!(out.output, Some(expected.clone()));
    let mut prompts: Vec<String> = server
        .requests()
        .iter()
        .map(|r| {
            r.body["messages"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    prompts.sort();
    assert_eq!(
        prompts,
        [
            "One word about ada.",
            "One word about bob.",
            "One word about cy."
        ]
    );
    assert_eq!(out.usage.llm_calls, 3);

    // Another run: every prompt is in the slot cache, nothing is sent.
    let llm = resolver(&server, &state);
    let again = f
        .run(
            &program,
            inputs(&[("names", names)]),
            &llm,
            &EventBus::new(),
        )
        .await
        .unwrap();
    assert_eq!(again.output, Some(expected));
    assert_eq!((again.usage.llm_calls, server.requests().len()), (0, 3));
}
