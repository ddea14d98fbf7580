//! The provider-neutral parts of `llm` that need no server: tool names on the wire, tool
//! specs and their JSON Schemas, model references, configuration from the environment,
//! and the input-token estimate.

use llmos::llm::names::{self, from_api, is_api_name, to_api};
use llmos::llm::schema::{self, type_schema};
use llmos::llm::{
    ChatRequest, LlmError, Message, ModelRef, Provider, ProviderKind, ToolSpec,
    estimate_input_tokens,
};
use llmos::stdlib::{ParamDecl, ToolDecl};
use llmos::types::{Effect, Type};
use proptest::prelude::*;
use serde_json::json;

proptest! {
    #[test]
    fn llmos_names_map_one_to_one(name in "[a-z_][a-z0-9_]{0,8}(\\.[a-z_][a-z0-9_]{0,8}){0,3}") {
        let api = to_api(&name).unwrap();
        prop_assert!(is_api_name(&api));
        prop_assert_eq!(from_api(&api), Some(name));
    }

    #[test]
    fn decoding_never_panics_and_inverts_encoding(api in "[a-zA-Z0-9_.-]{0,70}") {
        if let Some(name) = from_api(&api) {
            prop_assert_eq!(to_api(&name).unwrap(), api);
        }
    }
}

fn decl(name: &str, params: Vec<ParamDecl>, effects: &[Effect]) -> ToolDecl {
    ToolDecl {
        name: name.into(),
        params,
        ret: Type::Json,
        effects: effects.iter().copied().collect(),
        doc: String::new(),
    }
}

fn param(name: &str, ty: Type, default: Option<serde_json::Value>) -> ParamDecl {
    ParamDecl {
        name: name.into(),
        ty,
        default,
    }
}

#[test]
fn every_type_has_a_schema() {
    let list = |t: Type| Type::List(Box::new(t));
    assert_eq!(type_schema(&Type::Str), json!({ "type": "string" }));
    assert_eq!(type_schema(&Type::Path)["type"], "string");
    assert_eq!(type_schema(&Type::Int), json!({ "type": "integer" }));
    assert_eq!(type_schema(&Type::Float), json!({ "type": "number" }));
    assert_eq!(type_schema(&Type::Bool), json!({ "type": "boolean" }));
    assert_eq!(type_schema(&Type::Json), json!({}));
    assert_eq!(
        type_schema(&list(list(Type::Int))),
        json!({ "type": "array", "items": { "type": "array", "items": { "type": "integer" } } })
    );
}

#[test]
fn input_schema_requires_params_without_default() {
    let d = decl(
        "http.get",
        vec![
            param("url", Type::Str, None),
            param("headers", Type::Json, Some(json!({}))),
            param("retries", Type::Int, Some(json!(2))),
            param("tags", Type::List(Box::new(Type::Str)), None),
        ],
        &[Effect::Net],
    );
    let spec = ToolSpec::from_decl(&d).unwrap();
    assert_eq!(spec.api_name, "http-get");
    assert_eq!(spec.description, "Returns json. Effects: net.");
    assert_eq!(
        spec.input_schema,
        json!({
            "type": "object",
            "properties": {
                "url": { "type": "string" },
                "headers": { "default": {} },
                "retries": { "type": "integer", "default": 2 },
                "tags": { "type": "array", "items": { "type": "string" } },
            },
            "required": ["url", "tags"],
            "additionalProperties": false,
        })
    );
    let none = ToolSpec::from_decl(&decl("time.now", vec![], &[])).unwrap();
    assert!(none.description.ends_with("Effects: none."));
    assert_eq!(none.input_schema["required"], json!([]));
}

#[test]
fn an_unmappable_tool_name_is_an_error() {
    let err = ToolSpec::from_decl(&decl("Fs.Read", vec![], &[Effect::Read])).unwrap_err();
    assert!(matches!(err, LlmError::ToolName { .. }));
    assert!(err.to_string().contains("`Fs.Read`"), "{err}");
    let decls = [
        decl("fs.read", vec![], &[]),
        decl("fs.read-all", vec![], &[]),
    ];
    assert!(schema::tool_specs(&decls).is_err());
}

#[test]
fn unknown_tools_get_a_message_for_the_llm() {
    let specs = schema::tool_specs(&[
        decl("fs.read", vec![], &[Effect::Read]),
        decl("fs.write", vec![], &[Effect::Write]),
    ])
    .unwrap();
    assert_eq!(
        names::find_tool(&specs, "fs.read").unwrap().api_name,
        "fs-read"
    );
    assert_eq!(
        names::find_tool(&specs, "fs-write").unwrap().name,
        "fs.write"
    );
    let err = names::find_tool(&specs, "fs.raed").unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown tool `fs.raed`. Did you mean `fs.read`? Available tools: fs.read, fs.write."
    );
    let err = names::find_tool(&specs, "shell.run").unwrap_err();
    assert_eq!(err.suggestion, None);
    assert_eq!(err.known, ["fs.read", "fs.write"]);
}

fn env(vars: &[(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    let vars = vars.to_vec();
    move |name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }
}

#[test]
fn providers_from_the_environment() {
    let claude = ModelRef::parse("anthropic:claude-sonnet-4-5").unwrap();
    let gpt = ModelRef::parse("openai:gpt-4o-mini").unwrap();

    let p = Provider::from_env(&claude, env(&[("ANTHROPIC_API_KEY", "k")])).unwrap();
    assert_eq!(p.endpoint(), "https://api.anthropic.com/v1/messages");
    assert_eq!(
        (p.kind(), p.model()),
        (ProviderKind::Anthropic, "claude-sonnet-4-5")
    );
    assert!(
        !format!("{p:?}").contains("\"k\""),
        "the key is never printed"
    );

    let err = Provider::from_env(&claude, env(&[("ANTHROPIC_API_KEY", " ")])).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("anthropic: ANTHROPIC_API_KEY is not set"),
        "{err}"
    );

    let err = Provider::new(
        &claude,
        "https://api.anthropic.com",
        Some("sk\u{7}x".into()),
    );
    let err = err.unwrap_err().to_string();
    assert!(
        err.contains("API key contains characters not allowed"),
        "{err}"
    );
    assert!(Provider::new(&claude, "https://api.anthropic.com", Some("sk-x\n".into())).is_ok());

    let p = Provider::from_env(&gpt, env(&[("OPENAI_API_KEY", "k")])).unwrap();
    assert_eq!(p.endpoint(), "https://api.openai.com/v1/chat/completions");
    let local = env(&[("OPENAI_BASE_URL", "http://localhost:11434/v1/")]);
    assert_eq!(
        Provider::from_env(&gpt, local).unwrap().endpoint(),
        "http://localhost:11434/v1/chat/completions"
    );
    let err = Provider::from_env(&gpt, env(&[])).unwrap_err();
    assert!(
        err.to_string().contains("OPENAI_API_KEY is not set"),
        "{err}"
    );
    let err = Provider::from_env(&gpt, env(&[("OPENAI_BASE_URL", "localhost:8080")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "openai: OPENAI_BASE_URL: `localhost:8080` is not an http:// or https:// URL"
    );
    let bad = env(&[
        ("ANTHROPIC_API_KEY", "k"),
        ("ANTHROPIC_BASE_URL", "https://"),
    ]);
    assert!(
        Provider::from_env(&claude, bad)
            .unwrap_err()
            .to_string()
            .contains("ANTHROPIC_BASE_URL")
    );
}

#[test]
fn the_token_estimate_is_conservative_and_grows() {
    let tools = schema::tool_specs(&[decl(
        "fs.read",
        vec![param("path", Type::Path, None)],
        &[Effect::Read],
    )])
    .unwrap();
    let prose = "The quick brown fox jumps over the lazy dog. ".repeat(200);
    let mut req = ChatRequest {
        system: String::new(),
        messages: vec![Message::user(prose.clone())],
        tools: vec![],
        max_tokens: 100,
        temperature: None,
    };
    let plain = estimate_input_tokens(&req);
    // About 4 bytes per token on English prose: the estimate must not be below that.
    assert!(plain >= prose.len() as u64 / 3, "{plain}");
    req.tools = tools;
    let with_tools = estimate_input_tokens(&req);
    assert!(with_tools >= plain + 500, "{with_tools} vs {plain}");
    req.messages.push(Message::user("more"));
    assert!(estimate_input_tokens(&req) > with_tools);
}

#[test]
fn model_reference_errors_name_the_text() {
    let err = ModelRef::parse("mistral:large").unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad model `mistral:large`: the provider must be `anthropic` or `openai`"
    );
    let err = ModelRef::parse("gpt-4o").unwrap_err();
    assert!(
        err.to_string()
            .starts_with("bad model `gpt-4o`: expected `provider:model`")
    );
}

#[test]
fn chat_futures_can_move_between_threads() {
    fn assert_send<T: Send>(_: &T) {}
    let model = ModelRef::parse("openai:local").unwrap();
    let provider = Provider::new(&model, "http://127.0.0.1:9/v1", None).unwrap();
    let req = ChatRequest {
        system: String::new(),
        messages: vec![Message::user("hi")],
        tools: vec![],
        max_tokens: 5,
        temperature: None,
    };
    assert_send(&provider.chat(&req));
    assert_send(&provider.complete("hi", 5));
}
