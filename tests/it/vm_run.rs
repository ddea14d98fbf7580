//! The VM as a library: binding, capabilities, events, the scheduler's order and
//! overlap, cancellation, the run log's order, and malformed programs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::vm::{Fixture, collector_bus, compile, inputs};
use llmos::ir::{ConstId, OpId, OpKind, Operand, Program};
use llmos::tools::ToolTable;
use llmos::types::{Effect, EffectSet};
use llmos::vm::{self, Event, EventBus, RunErrorKind};
use serde_json::{Value, json};

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
    assert_eq!((e.op, e.step), (Some(OpId(1)), Some(1)));
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
async fn independent_waits_overlap_up_to_the_jobs() {
    let f = Fixture::new();
    let mut src = String::from("trace t\n");
    for i in 0..8 {
        src.push_str(&format!("let w{i} = time.sleep(ms: 400)\n"));
    }
    src.push_str("return [w0, w1, w2, w3, w4, w5, w6, w7]\n");
    let p = compile(&src);
    let t = Instant::now();
    let out = f
        .run(&p, inputs(&[]), &f.cache(), &EventBus::new())
        .await
        .unwrap();
    // In a row: 3.2 s.
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert_eq!(
        out.output,
        Some(json!([400, 400, 400, 400, 400, 400, 400, 400]))
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
            Event::StepStarted { op, .. } => Some(op.0),
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
    assert!(t.elapsed() < Duration::from_secs(15));
    assert_eq!(e.kind, RunErrorKind::Cancelled);
    assert_eq!(e.op, Some(OpId(0)));
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
    // How fast is the vm bench's business; here only that it ends.
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
}

/// The VM runs only `Verified` programs: a malformed one is refused by the verifier,
/// naming the fault, and so can never reach the first op.
#[test]
fn malformed_programs_are_refused_not_run() {
    let good =
        compile("trace t\nlet a = text.trim(text: \"a\")\nlet b = text.len(text: a)\nreturn b\n")
            .into_program();
    let refused = |p: Program| {
        llmos::bytecode::verify(p, ToolTable::builtins())
            .unwrap_err()
            .to_string()
    };

    let mut forward = good.clone();
    if let OpKind::Call { args, .. } = &mut forward.ops[1].kind {
        args[0] = Operand::Op(OpId(5));
    }
    let e = refused(forward);
    assert!(e.contains("does not refer to an earlier op"), "{e}");

    let mut bad_const = good.clone();
    bad_const.output = Some(Operand::Const(ConstId(999)));
    let e = refused(bad_const);
    assert!(e.contains("c999 is out of range"), "{e}");

    let mut changed = good.clone();
    changed.tools[0].sig_hash = [0; 32];
    let e = refused(changed);
    assert!(e.contains("another signature"), "{e}");

    let mut unknown = good.clone();
    unknown.tools[0].name = "fs.teleport".into();
    let e = refused(unknown);
    assert!(
        e.contains("`fs.teleport`, which is not a known tool"),
        "{e}"
    );

    let mut arity = good;
    if let OpKind::Call { args, .. } = &mut arity.ops[0].kind {
        args.push(Operand::Const(ConstId(0)));
    }
    let e = refused(arity);
    assert!(e.contains("takes 1 arguments, the call passes 2"), "{e}");
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
                Event::StepFinished { op, .. } => Some(op.0),
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

/// One `operand_type` for the verifier, the VM and `mcp serve`: a constant's type is read
/// off its value (`3` is `int`, not `json`), as the checker typed it.
#[tokio::test]
async fn a_constant_output_has_the_type_of_its_value() {
    use llmos::types::Type;
    let f = Fixture::new();
    let quiet = EventBus::new();
    for (src, ty) in [
        ("trace t\nreturn 3\n", Type::Int),
        ("trace t\nreturn 2.5\n", Type::Float),
        ("trace t\nreturn \"x\"\n", Type::Str),
        ("trace t\nreturn [1, 2]\n", Type::List(Box::new(Type::Int))),
        ("trace t\nreturn {\"a\": 1}\n", Type::Json),
    ] {
        let p = compile(src);
        let out = f.run(&p, inputs(&[]), &f.cache(), &quiet).await.unwrap();
        assert_eq!(out.output_type, Some(ty.clone()), "{src}");
        assert_eq!(p.operand_type(p.output.unwrap()), ty, "{src}");
    }
}
