//! `ask` slots resolved by the LLM resolver against a loopback server: one request per
//! new prompt, none for a repeat, typed answers with one retry, charges in the ledger,
//! and the budget check.

use std::sync::Arc;

use crate::support::llm::slot_filler;
use llmos::economy::meter::lock_db;
use llmos::host::{Env, Host, SlotFiller};
use llmos::learn::events::MemorySink;
use llmos::llm::canned;
use llmos::llm::loopback::{LoopbackServer, Reply, Script};
use llmos::types::Type;
use llmos::vm::RunErrorKind;
use llmos::vm::slots::{SlotError, SlotRequest, SlotResolver, SlotSource};
use llmos::workspace::{Config, Workspace};
use serde_json::json;

const PROGRAM: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

struct Setup {
    _dir: tempfile::TempDir,
    server: LoopbackServer,
    resolver: SlotFiller,
    events: Arc<MemorySink>,
}

/// `budget` in micro-dollars.
async fn setup(model: &str, script: Script, budget: Option<i64>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(script).await.unwrap();
    let events = Arc::new(MemorySink::new());
    let resolver =
        slot_filler(&server, model, dir.path(), budget, events.clone()).with_max_tokens(200);
    Setup {
        _dir: dir,
        server,
        resolver,
        events,
    }
}

fn slot(name: &str, ty: Type, prompt: &str) -> SlotRequest {
    SlotRequest {
        program_id: PROGRAM.into(),
        name: name.into(),
        ty,
        prompt: prompt.into(),
    }
}

#[tokio::test]
async fn a_repeat_sends_nothing_and_a_new_prompt_sends_one_request() {
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_text("North leads.", 20, 100)))
        .reply(Reply::ok(&canned::anthropic_text("South leads.", 25, 100)))
        .default_reply(Reply::json(
            400,
            &canned::anthropic_error("invalid_request_error", "script exhausted"),
        ));
    let s = setup("anthropic:claude-sonnet-4-5", script, None).await;
    let north = slot("prose", Type::Str, "Describe: north=10");

    let first = s.resolver.resolve(&north).await.unwrap();
    assert_eq!(first.value, json!("North leads."));
    assert_eq!(first.source, SlotSource::Llm);
    // Usage within what was reserved (an input estimate of a few dozen tokens, 200 out).
    assert_eq!(
        (first.usage.input_tokens, first.usage.output_tokens),
        (20, 100)
    );
    assert_eq!(first.usage.cost_micros, 1_560); // 20 * $3 + 100 * $15 per million
    let reqs = s.server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].body["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "Describe: north=10"}]}])
    );
    assert!(
        reqs[0].body.get("tools").is_none(),
        "an ask offers no tools"
    );
    assert!(
        reqs[0].body.get("system").is_none(),
        "a str slot has no system prompt"
    );
    assert_eq!(reqs[0].body["max_tokens"], 200);

    let again = s.resolver.resolve(&north).await.unwrap();
    assert_eq!(again.value, json!("North leads."));
    assert_eq!(again.source, SlotSource::Cache);
    assert_eq!(again.usage.cost_micros, 0);
    assert_eq!(s.server.requests().len(), 1, "a repeat sent a request");

    let south = slot("prose", Type::Str, "Describe: south=32");
    let changed = s.resolver.resolve(&south).await.unwrap();
    assert_eq!(changed.value, json!("South leads."));
    assert_eq!(changed.source, SlotSource::Llm);
    assert_eq!(s.server.requests().len(), 2);

    // Another slot with the same prompt is its own cache entry (and the script is out).
    let other = s
        .resolver
        .resolve(&slot("other", Type::Str, "Describe: north=10"))
        .await;
    let e = other.unwrap_err();
    assert_eq!(
        e.to_string(),
        "slot `other`: anthropic: HTTP 400: script exhausted (invalid_request_error)"
    );
    assert_eq!(e.kind(), RunErrorKind::Llm, "a provider failure stays one");
    assert_eq!(s.server.requests().len(), 3);

    let meter = s.resolver.meter().unwrap();
    let balance = lock_db(meter.db()).ledger().balance().unwrap();
    assert_eq!(balance, 9_996_865); // $10 - $0.00156 - $0.001575, in micro-dollars
    assert_eq!(meter.totals().llm_calls, 3);
    assert_eq!(s.events.of_kind("llm_call").len(), 2);
    assert_eq!(s.events.of_kind("llm_call")[0]["purpose"], "ask");
}

#[tokio::test]
async fn a_typed_answer_gets_one_retry_that_shows_the_error() {
    let script = Script::new()
        .reply(Reply::ok(&canned::openai_text("About forty-two.", 50, 5)))
        .reply(Reply::ok(&canned::openai_text("```json\n42\n```", 80, 3)));
    let s = setup("openai:gpt-4o-mini", script, None).await;
    let count = slot("count", Type::Int, "How many rows?");
    let r = s.resolver.resolve(&count).await.unwrap();
    assert_eq!(r.value, json!(42));
    assert_eq!(r.source, SlotSource::Llm);
    assert_eq!((r.usage.input_tokens, r.usage.output_tokens), (130, 8));
    let reqs = s.server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    let system = reqs[0].body["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("an integer (type int)"), "{system}");
    let retry = reqs[1].body["messages"].as_array().unwrap();
    assert_eq!(
        retry[2],
        json!({"role": "assistant", "content": "About forty-two."})
    );
    let text = retry[3]["content"].as_str().unwrap();
    assert!(
        text.starts_with("Your answer could not be used: the answer is not valid JSON"),
        "{text}"
    );
    // Cached as the parsed value.
    let again = s.resolver.resolve(&count).await.unwrap();
    assert_eq!((again.value, again.source), (json!(42), SlotSource::Cache));
    assert_eq!(s.server.requests().len(), 2);
}

#[tokio::test]
async fn a_second_bad_answer_is_an_error_and_nothing_is_cached() {
    let script = Script::new()
        .reply(Reply::ok(&canned::anthropic_text("yes", 10, 1)))
        .reply(Reply::ok(&canned::anthropic_text("definitely", 10, 1)))
        .reply(Reply::ok(&canned::anthropic_text("true", 10, 1)));
    let s = setup("anthropic:claude-sonnet-4-5", script, None).await;
    let flag = slot("ok", Type::Bool, "Is it fine?");
    let e = s.resolver.resolve(&flag).await.unwrap_err();
    assert!(matches!(e, SlotError::BadAnswer { .. }), "{e:?}");
    assert_eq!(e.kind(), RunErrorKind::Slot);
    let e = e.to_string();
    assert!(
        e.starts_with(
            "slot `ok`: the answer of anthropic:claude-sonnet-4-5 is not a bool even after a retry"
        ),
        "{e}"
    );
    assert_eq!(s.server.requests().len(), 2);
    // Nothing was cached: the next resolve asks again.
    let r = s.resolver.resolve(&flag).await.unwrap();
    assert_eq!((r.value, r.source), (json!(true), SlotSource::Llm));
}

#[tokio::test]
async fn the_budget_check_refuses_an_ask_before_sending() {
    let script = Script::new().reply(Reply::ok(&canned::anthropic_text("x", 1, 1)));
    let s = setup("anthropic:claude-sonnet-4-5", script, Some(10)).await;
    let e = s
        .resolver
        .resolve(&slot("p", Type::Str, "hi"))
        .await
        .unwrap_err();
    assert_eq!(
        e.kind(),
        RunErrorKind::Budget,
        "the budget's refusal keeps its kind"
    );
    let e = e.to_string();
    assert!(e.starts_with("slot `p`: LLM call refused"), "{e}");
    assert!(e.contains("--budget $0.00001"), "{e}");
    assert!(s.server.requests().is_empty());
    assert_eq!(s.resolver.meter().unwrap().totals().llm_calls, 0);
    assert_eq!(s.events.of_kind("llm_refused").len(), 1);
}

/// The host of a workspace in `dir` with `config` and the environment `env`.
fn host(dir: &std::path::Path, config: &Config, env: &[(&str, &str)]) -> Host {
    let env = Env::of(env.iter().copied());
    let ws = Workspace::open(Some(dir), env.lookup()).unwrap();
    Host::new(ws, config.clone(), env)
}

#[tokio::test]
async fn without_a_key_the_cache_still_answers() {
    let dir = tempfile::tempdir().unwrap();
    let model = "anthropic:claude-haiku-4-5";
    let config = Config {
        model: Some(model.into()),
        ..Config::default()
    };
    let h = host(dir.path(), &config, &[]);
    lock_db(h.db().unwrap())
        .slots()
        .put(
            PROGRAM,
            "prose",
            "Describe: north=10",
            model,
            &json!("North leads."),
        )
        .unwrap();
    let resolver = h.slot_resolver("run-1", None, false);
    assert!(resolver.meter().is_none());
    let hit = resolver
        .resolve(&slot("prose", Type::Str, "Describe: north=10"))
        .await
        .unwrap();
    assert_eq!(
        (hit.value, hit.source),
        (json!("North leads."), SlotSource::Cache)
    );
    let miss = resolver
        .resolve(&slot("prose", Type::Str, "Describe: south=32"))
        .await;
    let e = miss.unwrap_err();
    assert!(matches!(e, SlotError::NoLlm { .. }), "{e:?}");
    let e = e.to_string();
    assert!(
        e.starts_with(
            "slot `prose`: no answer is cached for this prompt and anthropic:claude-haiku-4-5"
        ),
        "{e}"
    );
    assert!(
        e.ends_with("ANTHROPIC_API_KEY is not set; it is needed to call the API"),
        "{e}"
    );

    // Offline, with a key: the cache answers, a miss asks for `--set`.
    let h = host(dir.path(), &config, &[("ANTHROPIC_API_KEY", "sk-test")]);
    let offline = h.slot_resolver("run-1", None, true);
    assert!(offline.meter().is_none());
    let hit = offline
        .resolve(&slot("prose", Type::Str, "Describe: north=10"))
        .await
        .unwrap();
    assert_eq!(hit.value, json!("North leads."));
    let e = offline
        .resolve(&slot("prose", Type::Str, "other"))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), RunErrorKind::Slot);
    assert!(e.to_string().contains("pass `--set prose=...`"), "{e}");

    // No model: the cache alone, keyed by `none`.
    let none = host(dir.path(), &Config::default(), &[]).slot_resolver("r", None, false);
    assert_eq!(none.model(), llmos::host::model::NO_MODEL_KEY);
    assert!(none.meter().is_none());
}
