//! `ask` slots in the VM: the resolver gets the interpolated prompt, answers are
//! checked against the slot type and counted, `--set` values skip the resolver, and the
//! cache-only resolver answers from the slot cache.

use std::sync::Mutex;

use crate::support::vm::{Fixture, collector_bus, compile, inputs};
use llmos::host::{LazyDb, SlotFiller};
use llmos::types::{Effect, EffectSet};
use llmos::vm::{
    Event, EventBus, Resolved, RunErrorKind, SlotFuture, SlotRequest, SlotResolver, SlotSource,
};
use serde_json::{Value, json};

/// A resolver that answers every slot with a fixed value as if from an LLM, and
/// remembers the requests.
struct FakeLlm {
    answer: Value,
    seen: Mutex<Vec<SlotRequest>>,
}

impl SlotResolver for FakeLlm {
    fn resolve<'a>(&'a self, req: &'a SlotRequest) -> SlotFuture<'a> {
        self.seen.lock().unwrap().push(req.clone());
        let answer = self.answer.clone();
        Box::pin(async move {
            Ok(Resolved {
                value: answer,
                source: SlotSource::Llm,
                usage: llmos::usage::Usage::call(100, 20, 500_000),
                model: "anthropic:fake".to_owned(),
            })
        })
    }
}

#[tokio::test]
async fn slots_go_to_the_resolver_with_the_interpolated_prompt() {
    let f = Fixture::new();
    let p = compile(
        "trace t\nparam n: int\nlet stats = { \"n\": n, \"f\": 60.0 }\n\
         let answer: int = ask \"Think about {stats} and {n}\"\nreturn answer\n",
    );
    let llm = FakeLlm {
        answer: json!(42.0),
        seen: Mutex::new(Vec::new()),
    };
    let (events, bus) = collector_bus();
    let out = f
        .run(&p, inputs(&[("n", json!(3))]), &llm, &bus)
        .await
        .unwrap();
    // the answer was checked against the slot type (an integral float is an int)
    assert_eq!(out.output, Some(json!(42)));
    assert_eq!(
        (
            out.usage.llm_calls,
            out.usage.input_tokens,
            out.usage.output_tokens
        ),
        (1, 100, 20)
    );
    assert_eq!(out.usage.cost_micros, 500_000);
    let seen = llm.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].program_id, "prog");
    assert_eq!(seen[0].name, "answer");
    assert_eq!(seen[0].prompt, "Think about {\"f\":60,\"n\":3} and 3");
    let events = events.events();
    assert!(events.contains(&Event::SlotResolved {
        op: llmos::ir::OpId(1),
        slot: "answer".into(),
        source: SlotSource::Llm
    }));
    assert!(events.iter().any(|e| matches!(
        e,
        Event::LlmCall {
            input_tokens: 100,
            output_tokens: 20,
            ..
        }
    )));
    match events.last().unwrap() {
        Event::RunFinished {
            ok,
            llm_calls,
            cost_usd,
            ..
        } => {
            assert!(*ok);
            assert_eq!((*llm_calls, *cost_usd), (1, 0.5));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_slot_answer_of_the_wrong_type_fails_naming_the_slot() {
    let f = Fixture::new();
    let p = compile("trace t\nlet n: int = ask \"a number\"\nreturn n\n");
    let llm = FakeLlm {
        answer: json!("many"),
        seen: Mutex::new(Vec::new()),
    };
    let e = f
        .run(&p, inputs(&[]), &llm, &EventBus::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Slot);
    assert!(
        e.message
            .starts_with("step 1 (`n`): the value of slot `n` does not fit its type: expected int"),
        "{e}"
    );
}

#[tokio::test]
async fn set_slot_values_skip_the_resolver_and_the_llm_capability() {
    let f = Fixture::new();
    let p = compile("trace t\nlet code: str = ask \"write code\"\nreturn code\n");
    let llm = FakeLlm {
        answer: json!("from llm"),
        seen: Mutex::new(Vec::new()),
    };
    let mut i = inputs(&[]);
    i.sets = llmos::vm::Bindings::from_sets(&p, &[("code".into(), "given".into())]).unwrap();
    // without `llm` granted, a given slot still runs
    i.granted = EffectSet::from_iter([Effect::Pure, Effect::Read, Effect::Write]);
    let out = f.run(&p, i, &llm, &EventBus::new()).await.unwrap();
    assert_eq!(out.output, Some(json!("given")));
    assert_eq!(out.usage.llm_calls, 0);
    assert!(llm.seen.lock().unwrap().is_empty());
    // bindings are resolved for one program: another one refuses them
    let other = compile("trace u\nreturn 1\n");
    let mut i = inputs(&[]);
    i.sets = llmos::vm::Bindings::from_sets(&p, &[("code".into(), "given".into())]).unwrap();
    let e = f.run(&other, i, &llm, &EventBus::new()).await.unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Link);
    // and a slot left to the LLM needs it
    let mut i = inputs(&[]);
    i.granted = EffectSet::from_iter([Effect::Pure]);
    let e = f.run(&p, i, &llm, &EventBus::new()).await.unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Capability);
    assert!(
        e.message
            .contains("capability `llm` not granted: step 1 (`code`) asks an LLM")
    );
}

#[tokio::test]
async fn the_cache_resolver_answers_from_the_slot_cache_only() {
    let f = Fixture::new();
    let p = compile("trace t\nparam who: str\nlet s: str = ask \"greet {who}\"\nreturn s\n");
    let state = f.dir.path().join(".llmos");
    let db = llmos::db::Db::open_in(&state).unwrap();
    db.slots()
        .put("prog", "s", "greet Ada", "m:x", &json!("Hi Ada"))
        .unwrap();
    drop(db);
    let resolver = SlotFiller::cache_only(LazyDb::new(&state), "m:x");
    let out = f
        .run(
            &p,
            inputs(&[("who", json!("Ada"))]),
            &resolver,
            &EventBus::new(),
        )
        .await
        .unwrap();
    assert_eq!(out.output, Some(json!("Hi Ada")));
    // another prompt is another key
    let e = f
        .run(
            &p,
            inputs(&[("who", json!("Bob"))]),
            &resolver,
            &EventBus::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Slot);
    assert!(
        e.message
            .contains("slot `s` has no value: pass `--set s=...`")
    );
}

#[test]
fn the_configured_model_comes_from_the_environment_then_the_config() {
    use llmos::host::{Env, model::cache_key};
    let mut config = llmos::workspace::Config::default();
    assert_eq!(cache_key(&Env::default(), &config), "none");
    config.model = Some("anthropic:claude-sonnet-4-5".into());
    assert_eq!(
        cache_key(&Env::default(), &config),
        "anthropic:claude-sonnet-4-5"
    );
    let env = Env::of([("LLMOS_MODEL", "openai:gpt-4o-mini")]);
    assert_eq!(cache_key(&env, &config), "openai:gpt-4o-mini");
}
