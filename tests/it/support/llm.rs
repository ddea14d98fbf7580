//! Shared by the `tests/it/llm_*.rs` files: providers pointed at a loopback server with
//! fast retry settings, two file tools, a request, and an attempt recorder; and the LLM
//! slot resolver for the `ask` tests.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use llmos::db::Db;
use llmos::economy::meter::{Meter, shared};
use llmos::host::SlotFiller;
use llmos::learn::events::EventSink;
use llmos::llm::loopback::{LoopbackServer, Recorded};
use llmos::llm::{
    AttemptInfo, Block, CallConfig, ChatRequest, ChatResponse, Message, ModelRef, Provider,
    ToolSpec,
};
use llmos::stdlib::{ParamDecl, ToolDecl};
use llmos::types::{Effect, EffectSet, Type};
use serde_json::{Value, json};

pub fn fast() -> CallConfig {
    CallConfig {
        max_attempts: 4,
        timeout: Duration::from_secs(5),
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(40),
        retry_after_cap: Duration::from_secs(5),
        ..CallConfig::default()
    }
}

pub fn env(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
}

pub fn anthropic(server: &LoopbackServer, config: CallConfig) -> Provider {
    let model = ModelRef::parse("anthropic:claude-sonnet-4-5").unwrap();
    let vars = vec![
        ("ANTHROPIC_API_KEY", "sk-ant-test".into()),
        ("ANTHROPIC_BASE_URL", server.url()),
    ];
    Provider::from_env(&model, env(vars))
        .unwrap()
        .with_config(config)
}

pub fn openai(server: &LoopbackServer, config: CallConfig) -> Provider {
    let model = ModelRef::parse("openai:gpt-4o-mini").unwrap();
    let base = format!("{}/v1", server.url());
    let vars = vec![
        ("OPENAI_API_KEY", "sk-oa-test".into()),
        ("OPENAI_BASE_URL", base),
    ];
    Provider::from_env(&model, env(vars))
        .unwrap()
        .with_config(config)
}

pub fn param(name: &str, ty: Type) -> ParamDecl {
    ParamDecl {
        name: name.into(),
        ty,
        default: None,
    }
}

pub fn tools() -> Vec<ToolSpec> {
    let read = ToolDecl {
        name: "fs.read".into(),
        params: vec![param("path", Type::Path)],
        ret: Type::Str,
        effects: EffectSet::single(Effect::Read),
        doc: "Read a UTF-8 text file inside the workspace root.".into(),
    };
    let write = ToolDecl {
        name: "fs.write".into(),
        params: vec![param("path", Type::Path), param("content", Type::Str)],
        ret: Type::Path,
        effects: EffectSet::single(Effect::Write),
        doc: "Write text to a file inside the workspace root.".into(),
    };
    vec![
        ToolSpec::from_decl(&read).unwrap(),
        ToolSpec::from_decl(&write).unwrap(),
    ]
}

pub fn request(tools: Vec<ToolSpec>) -> ChatRequest {
    ChatRequest {
        system: "You are llmos.".into(),
        messages: vec![Message::user("summarize data/a.csv into summary.md")],
        tools,
        max_tokens: 1024,
        temperature: Some(0.0),
    }
}

/// Runs a conversation the way the Learner does: call, run each tool call (here: canned
/// results, unknown tools answered with the error text), send the results, until the LLM
/// stops calling tools.
pub async fn converse(
    provider: &Provider,
    mut req: ChatRequest,
) -> (Vec<ChatResponse>, ChatRequest) {
    let mut replies = Vec::new();
    for _ in 0..5 {
        let reply = provider.chat(&req).await.unwrap();
        req.messages.push(reply.to_message());
        let mut results = Vec::new();
        for (id, name, input) in reply.tool_uses() {
            results.push(match req.find_tool(name) {
                Ok(tool) => {
                    Block::tool_result(id, format!("{} ran with {input}", tool.name), false)
                }
                Err(unknown) => Block::tool_result(id, unknown.to_string(), true),
            });
        }
        let done = results.is_empty();
        replies.push(reply);
        if done {
            break;
        }
        req.messages.push(Message::tool_results(results));
    }
    (replies, req)
}

pub fn legal_api_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub fn path_schema() -> Value {
    json!({ "type": "string", "description": "a path relative to the workspace root" })
}

pub fn observed() -> (
    Arc<Mutex<Vec<AttemptInfo>>>,
    impl FnMut(&AttemptInfo) + Send,
) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    (log, move |a: &AttemptInfo| {
        sink.lock().unwrap().push(a.clone())
    })
}

pub fn gap(sent: &[Recorded], i: usize) -> Duration {
    sent[i + 1].at.duration_since(sent[i].at)
}

/// The LLM slot resolver against `server` as `model` (either format): usage metered into
/// a database in `dir` as run `run-1`, within `budget` (micro-dollars), events to `sink`.
pub fn slot_filler(
    server: &LoopbackServer,
    model: &str,
    dir: &Path,
    budget: Option<i64>,
    sink: Arc<dyn EventSink>,
) -> SlotFiller {
    let model = ModelRef::parse(model).unwrap();
    let url = server.url();
    let env = move |k: &str| match k {
        "ANTHROPIC_API_KEY" | "OPENAI_API_KEY" => Some("sk-test".to_string()),
        "ANTHROPIC_BASE_URL" => Some(url.clone()),
        "OPENAI_BASE_URL" => Some(format!("{url}/v1")),
        _ => None,
    };
    let provider = Provider::from_env(&model, env).unwrap();
    let db = shared(Db::open_in(dir).unwrap());
    let meter = Meter::new(
        provider,
        &model,
        &Default::default(),
        db,
        "run-1",
        budget,
        sink,
    );
    SlotFiller::new(Arc::new(meter))
}
