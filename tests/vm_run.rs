//! The VM as a library: binding, capabilities, slots and their resolver, events, the
//! scheduler's order and overlap, cancellation, and malformed programs.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use llmos::ir::{OpKind, Operand, Program};
use llmos::tools::ToolCtx;
use llmos::types::{Effect, EffectSet};
use llmos::vm::{
    self, CacheResolver, Collector, Event, EventBus, Resolved, RunError, RunErrorKind, RunInputs,
    RunOutput, SlotFuture, SlotRequest, SlotResolver, SlotSource,
};
use serde_json::{Value, json};

fn compile(src: &str) -> Program {
    match llmos::ir::build::compile_source(src) {
        Ok((p, _)) => p,
        Err(d) => panic!("{d:?}"),
    }
}

struct Fixture {
    dir: tempfile::TempDir,
    ctx: Arc<ToolCtx>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
        Fixture { dir, ctx }
    }

    fn cache(&self) -> CacheResolver {
        CacheResolver::new(self.dir.path().join(".llmos"), "none".into())
    }

    async fn run(
        &self,
        p: &Program,
        inputs: RunInputs,
        resolver: &dyn SlotResolver,
        bus: &EventBus,
    ) -> Result<RunOutput, RunError> {
        vm::run(p, inputs, &self.ctx, resolver, bus).await
    }
}

fn inputs(params: &[(&str, Value)]) -> RunInputs {
    let mut i = RunInputs::new("prog");
    for (k, v) in params {
        i.params.insert((*k).to_owned(), v.clone());
    }
    i
}

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
                input_tokens: 100,
                output_tokens: 20,
                cost_usd: 0.5,
            })
        })
    }
}

fn collector_bus() -> (Arc<Collector>, EventBus) {
    let c = Collector::new();
    let mut bus = EventBus::new();
    bus.subscribe(c.clone());
    (c, bus)
}

#[tokio::test]
async fn params_bind_with_defaults_and_errors_name_them() {
    let f = Fixture::new();
    let p = compile("trace t\nparam a: int\nparam b: str = \"x\"\nreturn \"{a}{b}\"\n");
    let quiet = EventBus::new();
    let out = f
        .run(&p, inputs(&[("a", json!(4.0))]), &f.cache(), &quiet)
        .await
        .unwrap();
    assert_eq!(out.output, Some(json!("4x")));
    assert_eq!(out.output_type, Some(llmos::types::Type::Str));

    let e = f
        .run(&p, inputs(&[]), &f.cache(), &quiet)
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::MissingParam);
    assert!(e.message.contains("param `a: int` has no value"), "{e}");

    let e = f
        .run(&p, inputs(&[("a", json!("four"))]), &f.cache(), &quiet)
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::BadParam);
    assert!(e.message.starts_with("param `a: int`: expected int"), "{e}");

    let e = f
        .run(
            &p,
            inputs(&[("a", json!(1)), ("c", json!(1))]),
            &f.cache(),
            &quiet,
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::UnknownName);
    assert!(e.message.contains("no param `c`"));
}

#[tokio::test]
async fn a_refused_capability_runs_nothing_and_emits_nothing() {
    let f = Fixture::new();
    let p = compile(
        "trace t\nfs.write(path: \"x.txt\", content: \"x\")\nlet r = shell.run(argv: [\"true\"])\n",
    );
    let (events, bus) = collector_bus();
    let e = f.run(&p, inputs(&[]), &f.cache(), &bus).await.unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Capability);
    assert_eq!((e.op, e.step), (Some(1), Some(1)));
    assert!(
        e.message
            .starts_with("capability `exec` not granted: step 2 (`r`) calls `shell.run`")
    );
    assert!(events.events().is_empty());
    assert!(!f.dir.path().join("x.txt").exists());

    let mut i = inputs(&[]);
    i.granted = EffectSet::DEFAULT_GRANTED.union(EffectSet::single(Effect::Exec));
    f.run(&p, i, &f.cache(), &bus).await.unwrap();
    assert!(f.dir.path().join("x.txt").exists());
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
        (out.llm_calls, out.input_tokens, out.output_tokens),
        (1, 100, 20)
    );
    assert_eq!(out.cost_usd, 0.5);
    let seen = llm.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].program_id, "prog");
    assert_eq!(seen[0].name, "answer");
    assert_eq!(seen[0].prompt, "Think about {\"f\":60,\"n\":3} and 3");
    let events = events.events();
    assert!(events.contains(&Event::SlotResolved {
        op: 1,
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
    i.slot_values.insert("code".into(), json!("given"));
    // without `llm` granted, a given slot still runs
    i.granted = EffectSet::from_iter([Effect::Pure, Effect::Read, Effect::Write]);
    let out = f.run(&p, i, &llm, &EventBus::new()).await.unwrap();
    assert_eq!(out.output, Some(json!("given")));
    assert_eq!(out.llm_calls, 0);
    assert!(llm.seen.lock().unwrap().is_empty());
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
    let resolver = CacheResolver::new(state.clone(), "m:x".into());
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
    let mut config = llmos::workspace::Config::default();
    assert_eq!(vm::configured_model(&config, |_| None), "none");
    config.model = Some("anthropic:claude-sonnet-4-5".into());
    assert_eq!(
        vm::configured_model(&config, |_| None),
        "anthropic:claude-sonnet-4-5"
    );
    let env = |k: &str| (k == "LLMOS_MODEL").then(|| "openai:gpt-4o-mini".to_owned());
    assert_eq!(vm::configured_model(&config, env), "openai:gpt-4o-mini");
}

#[tokio::test]
async fn independent_waits_overlap_up_to_the_jobs() {
    let f = Fixture::new();
    let mut src = String::from("trace t\n");
    for i in 0..8 {
        src.push_str(&format!("let w{i} = time.sleep(ms: 100)\n"));
    }
    src.push_str("return [w0, w1, w2, w3, w4, w5, w6, w7]\n");
    let p = compile(&src);
    let t = Instant::now();
    let out = f
        .run(&p, inputs(&[]), &f.cache(), &EventBus::new())
        .await
        .unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(
        out.output,
        Some(json!([100, 100, 100, 100, 100, 100, 100, 100]))
    );
    let mut i = inputs(&[]);
    i.jobs = 2;
    let t = Instant::now();
    let out2 = f.run(&p, i, &f.cache(), &EventBus::new()).await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(out.output, out2.output);
}

#[tokio::test]
async fn one_job_runs_in_source_order() {
    let f = Fixture::new();
    let p = compile(
        "trace t\nlet a = time.sleep(ms: 30)\nlet b = text.trim(text: \" b \")\n\
         let c = time.sleep(ms: 1)\nlet d = text.len(text: b)\nreturn [a, c, d]\n",
    );
    let (events, bus) = collector_bus();
    let mut i = inputs(&[]);
    i.jobs = 1;
    f.run(&p, i, &f.cache(), &bus).await.unwrap();
    let order: Vec<u32> = events
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { op, .. } => Some(*op),
            _ => None,
        })
        .collect();
    assert_eq!(order, [0, 1, 2, 3]);
}

#[tokio::test]
async fn cancelling_stops_the_run() {
    let f = Fixture::new();
    let p = compile("trace t\nlet w = time.sleep(ms: 30000)\nreturn w\n");
    let i = inputs(&[]);
    let cancel = i.cancel.clone();
    let (events, bus) = collector_bus();
    let cache = f.cache();
    let t = Instant::now();
    let (r, ()) = tokio::join!(f.run(&p, i, &cache, &bus), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        cancel.cancel("test over");
    });
    let e = r.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_eq!(e.kind, RunErrorKind::Cancelled);
    assert_eq!(e.op, Some(0));
    assert_eq!(
        e.message,
        "the run was cancelled (test over) while step 1 (`w`) `time.sleep` was running"
    );
    assert!(events.events().contains(&Event::RunCancelled {
        reason: "test over".into()
    }));
}

#[tokio::test]
async fn a_long_chain_of_pure_steps_runs_inline() {
    let f = Fixture::new();
    let mut src = String::from("trace chain\nparam seed: str\nlet s0 = text.trim(text: seed)\n");
    for i in 1..10_000 {
        src.push_str(&format!("let s{i} = text.trim(text: s{})\n", i - 1));
    }
    src.push_str("return s9999\n");
    let p = compile(&src);
    let t = Instant::now();
    let out = f
        .run(
            &p,
            inputs(&[("seed", json!("  x  "))]),
            &f.cache(),
            &EventBus::new(),
        )
        .await
        .unwrap();
    assert_eq!(out.output, Some(json!("x")));
    assert_eq!(out.ops_run, 10_000);
    // a debug build: generous, but far from a task per step
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[tokio::test]
async fn malformed_programs_are_refused_not_run() {
    let f = Fixture::new();
    let good =
        compile("trace t\nlet a = text.trim(text: \"a\")\nlet b = text.len(text: a)\nreturn b\n");
    let quiet = EventBus::new();

    let mut forward = good.clone();
    if let OpKind::Call { args, .. } = &mut forward.ops[1].kind {
        args[0] = Operand::Op(5);
    }
    let e = f
        .run(&forward, inputs(&[]), &f.cache(), &quiet)
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Link);
    assert!(e.message.contains("malformed"), "{e}");

    let mut bad_const = good.clone();
    bad_const.output = Some(Operand::Const(999));
    let e = f
        .run(&bad_const, inputs(&[]), &f.cache(), &quiet)
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Link);

    let mut changed = good.clone();
    changed.tools[0].sig_hash = [0; 32];
    let e = f
        .run(&changed, inputs(&[]), &f.cache(), &quiet)
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Link);
    assert!(e.message.contains("another signature"), "{e}");

    let mut unknown = good.clone();
    unknown.tools[0].name = "fs.teleport".into();
    let e = f
        .run(&unknown, inputs(&[]), &f.cache(), &quiet)
        .await
        .unwrap_err();
    assert!(
        e.message
            .contains("`fs.teleport`, which is not a known tool")
    );

    let mut arity = good;
    if let OpKind::Call { args, .. } = &mut arity.ops[0].kind {
        args.push(Operand::Const(0));
    }
    let e = f
        .run(&arity, inputs(&[]), &f.cache(), &quiet)
        .await
        .unwrap_err();
    assert_eq!(e.kind, RunErrorKind::Link);
}

#[tokio::test]
async fn the_run_log_is_in_op_order_whatever_finishes_first() {
    let f = Fixture::new();
    let p = compile(
        "trace t\nlet slow = time.sleep(ms: 120)\nlet fast = time.sleep(ms: 5)\n\
         let now = text.trim(text: \"x\")\nreturn [slow, fast]\n",
    );
    let runs = f.dir.path().join("runs");
    let read_log = |w: &vm::RunLogWriter| {
        assert_eq!(w.error(), None);
        llmos::store::RunLog::read(&w.path()).unwrap()
    };
    let mut logs = Vec::new();
    for _ in 0..2 {
        let i = inputs(&[]);
        let writer = Arc::new(vm::RunLogWriter::new(runs.clone(), i.run_id.clone()));
        let (events, mut bus) = collector_bus();
        bus.subscribe(writer.clone());
        f.run(&p, i, &f.cache(), &bus).await.unwrap();
        // the bus saw `fast` finish before `slow`...
        let finished: Vec<u32> = events
            .events()
            .iter()
            .filter_map(|e| match e {
                Event::StepFinished { op, .. } => Some(*op),
                _ => None,
            })
            .collect();
        assert_eq!(finished, [2, 1, 0]);
        logs.push(read_log(&writer));
    }
    // ...the log has them in op order
    let ops: Vec<(String, u64)> = logs[0]
        .iter()
        .filter(|e| e.get("op").is_some())
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["op"].as_u64().unwrap(),
            )
        })
        .collect();
    let expect: Vec<(String, u64)> = [0, 1, 2]
        .iter()
        .flat_map(|op| {
            [
                ("step_started".to_owned(), *op),
                ("step_finished".to_owned(), *op),
            ]
        })
        .collect();
    assert_eq!(ops, expect);
    let strip = |log: &[Value]| -> Vec<BTreeMap<String, Value>> {
        log.iter()
            .map(|e| {
                let mut m: BTreeMap<String, Value> =
                    e.as_object().unwrap().clone().into_iter().collect();
                for k in ["at", "ms", "run_id"] {
                    m.remove(k);
                }
                m
            })
            .collect()
    };
    assert_eq!(strip(&logs[0]), strip(&logs[1]));
}
