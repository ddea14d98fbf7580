//! Checking a compiled recording against the recording itself, by running it in the real
//! VM with the recorded params, where every tool answers from the recording: a call gets
//! the recorded result of the first unused recorded call of that tool with the same
//! arguments (by meaning: numbers by value, JSON texts structurally). Steps the compiler
//! inserted are pure and run for real; slots get their recorded answers. The program is
//! kept only when the run succeeds (every `expect` holds) and uses every recorded call
//! exactly once: it would make the very same calls. Loops, branches and guards replay
//! with the VM's own meaning.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::Compiled;
use super::SlotAnswer;
use super::flow::same;
use crate::learn::recording::{RecStep, as_step_ref};
use crate::stdlib::ToolDecl;
use crate::tools::{Invocation, Tool, ToolCtx, ToolError, ToolTable, call_pure};
use crate::types::{Effect, EffectSet, Type};
use crate::value::Value;
use crate::vm::{Resolved, SlotError, SlotFuture, SlotRequest, SlotResolver, SlotSource};

/// The recorded calls, and which were used.
struct Tape {
    calls: Vec<Call>,
    /// Per tool: its calls (indices into `calls`, in order) and the first not yet used,
    /// so that a recording answered in order costs one comparison per call.
    by_tool: BTreeMap<String, (Vec<usize>, usize)>,
}

/// A recorded call as the tape compares it: its arguments in the order of the tool's
/// declaration, and its result until a call of the program takes it. (Only these are
/// copied from the recording: the tools of a replay must own what they hold.)
struct Call {
    args: Vec<Recorded>,
    result: Option<Value>,
    used: bool,
}

/// What a recorded argument accepts.
enum Recorded {
    /// A reference to an earlier step's result: any value.
    Any,
    /// A value equal to this one by meaning.
    Same(Value),
    /// Not recorded: the parameter's default.
    Default,
}

impl Tape {
    fn new(kept: &[(usize, &RecStep)], tools: &ToolTable) -> Tape {
        let mut by_tool: BTreeMap<String, (Vec<usize>, usize)> = BTreeMap::new();
        let mut calls = Vec::with_capacity(kept.len());
        for (i, (_, s)) in kept.iter().enumerate() {
            match by_tool.get_mut(s.tool.as_str()) {
                Some((order, _)) => order.push(i),
                None => {
                    by_tool.insert(s.tool.clone(), (vec![i], 0));
                }
            }
            let params = tools.get(&s.tool).map_or(&[][..], |d| &d.params[..]);
            let args = params
                .iter()
                .map(|p| match s.args.get(&p.name) {
                    Some(recorded) if as_step_ref(recorded).is_some() => Recorded::Any,
                    Some(recorded) => Recorded::Same(recorded.clone()),
                    None => Recorded::Default,
                })
                .collect();
            calls.push(Call {
                args,
                result: s.result.clone(),
                used: false,
            });
        }
        Tape { calls, by_tool }
    }

    /// The result of the first unused recorded call of `decl` with these arguments.
    fn answer(&mut self, decl: &ToolDecl, args: &[Value]) -> Option<Value> {
        let (order, first_unused) = self.by_tool.get_mut(&decl.name)?;
        let calls = &mut self.calls;
        let at = order[*first_unused..]
            .iter()
            .copied()
            .find(|&i| !calls[i].used && matches_args(decl, &calls[i].args, args))?;
        calls[at].used = true;
        while order.get(*first_unused).is_some_and(|&i| calls[i].used) {
            *first_unused += 1;
        }
        // Each call is answered once: its result is taken, not copied.
        Some(match calls[at].result.take() {
            Some(v) => v,
            // An imported step: no result was recorded.
            None => default_of(&decl.ret),
        })
    }
}

fn matches_args(decl: &ToolDecl, recorded: &[Recorded], args: &[Value]) -> bool {
    decl.params
        .iter()
        .zip(recorded)
        .zip(args)
        .all(|((p, recorded), actual)| match recorded {
            Recorded::Any => true,
            Recorded::Same(v) => same(v, actual),
            Recorded::Default => Some(actual) == p.default.as_ref(),
        })
}

/// A value of a type, for a result the recording does not have.
fn default_of(ty: &Type) -> Value {
    match ty {
        Type::Str | Type::Path => Value::String(String::new()),
        Type::Int => Value::from(0),
        Type::Float => Value::from(0.0),
        Type::Bool => Value::Bool(false),
        Type::Json => Value::Null,
        Type::List(_) => Value::Array(Vec::new()),
    }
}

/// A tool that answers from the tape; a pure built-in the recording did not call (a
/// step the compiler inserted) runs for real.
struct TapeTool {
    decl: ToolDecl,
    inner: Arc<dyn Tool>,
    tape: Arc<Mutex<Tape>>,
}

impl Tool for TapeTool {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn invoke(&self, _ctx: &Arc<ToolCtx>, args: &[Value]) -> Invocation {
        let answer = match self.tape.lock() {
            Ok(mut tape) => tape.answer(&self.decl, args),
            Err(_) => None,
        };
        Invocation::Ready(match answer {
            Some(v) => Ok(v),
            None => match call_pure(&self.decl.name, args) {
                Some(r) => r,
                None => Err(ToolError::failed(format!(
                    "replay: `{}` was not called with these arguments in the recording",
                    self.decl.name
                ))),
            },
        })
    }
}

/// Slots answer with their recorded text: by prompt, else by name.
struct TapeSlots<'a> {
    answers: &'a [SlotAnswer],
}

impl SlotResolver for TapeSlots<'_> {
    fn resolve<'a>(&'a self, req: &'a SlotRequest) -> SlotFuture<'a> {
        let found = self
            .answers
            .iter()
            .find(|a| a.slot == req.name && a.prompt == req.prompt)
            .or_else(|| self.answers.iter().find(|a| a.slot == req.name));
        let answer = found.map(|a| Resolved {
            value: a.answer.clone(),
            source: SlotSource::Cache,
            usage: Default::default(),
            model: String::new(),
        });
        Box::pin(async move {
            answer.ok_or_else(|| SlotError::NotRecorded {
                name: req.name.clone(),
            })
        })
    }
}

/// `c` when the compiled program, run on the recorded params with the recording
/// answering every call, succeeds and makes exactly the recorded calls; else `None`.
/// Runs on `runtime` (blocks on it: not to be called from async code).
pub fn matches_recording(
    c: Compiled,
    kept: &[(usize, &RecStep)],
    tools: &ToolTable,
    runtime: &tokio::runtime::Runtime,
) -> Option<Compiled> {
    let tape = Arc::new(Mutex::new(Tape::new(kept, tools)));
    // The tape answers: no MCP server is started for a replay.
    let mut table = tools.without_providers();
    for t in &c.program.tools {
        let entry = tools.entry(&t.name)?;
        let mut entry = entry.clone();
        entry.imp = Arc::new(TapeTool {
            decl: entry.decl.clone(),
            inner: Arc::clone(&entry.imp),
            tape: Arc::clone(&tape),
        });
        table.insert(entry);
    }
    let params: BTreeMap<String, Value> = c.bindings.iter().cloned().collect();
    let mut inputs = crate::vm::RunInputs::new("replay");
    inputs.params = params;
    inputs.granted = Effect::ALL.into_iter().collect::<EffectSet>();
    inputs.jobs = 1;
    inputs.tools = table;
    let resolver = TapeSlots {
        answers: &c.slot_answers,
    };
    let ctx = Arc::new(ToolCtx::detached());
    let bus = crate::vm::EventBus::new();
    let ran = runtime
        .block_on(crate::vm::run(&c.program, inputs, &ctx, &resolver, &bus))
        .is_ok();
    let all_used = tape
        .lock()
        .map(|t| t.calls.iter().all(|call| call.used))
        .unwrap_or(false);
    (ran && all_used).then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;
    use serde_json::json;

    fn step(tool: &str, args: &[(&str, Value)], result: Value) -> RecStep {
        RecStep {
            tool: tool.into(),
            args: args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect::<IndexMap<_, _>>(),
            result: Some(result),
            error: None,
        }
    }

    fn replays(src: &str, bindings: &[(&str, Value)], steps: &[RecStep]) -> bool {
        let tools = ToolTable::builtins();
        let (program, _) = crate::ir::build::compile_with(src, tools).unwrap();
        let program = crate::bytecode::verify(program, tools).unwrap();
        let mut c = Compiled::from_source(src.to_owned(), program, Vec::new());
        c.bindings = bindings
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        let kept: Vec<(usize, &RecStep)> = steps.iter().enumerate().collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        matches_recording(c, &kept, tools, &runtime).is_some()
    }

    #[test]
    fn a_program_replays_only_when_it_makes_exactly_the_recorded_calls() {
        let steps = [
            step("fs.read", &[("path", json!("a.txt"))], json!("x y\n")),
            step(
                "text.split",
                &[("text", json!("x y\n")), ("sep", json!(""))],
                json!(["x", "y"]),
            ),
        ];
        let src = "trace t\nparam input: path\nlet text = fs.read(path: input)\n\
                   let words = text.split(text: text, sep: \"\")\nreturn words\n";
        assert!(replays(src, &[("input", json!("a.txt"))], &steps));
        assert!(
            !replays(src, &[("input", json!("b.txt"))], &steps),
            "other arguments"
        );
        let fewer = "trace t\nparam input: path\nlet text = fs.read(path: input)\nreturn text\n";
        assert!(
            !replays(fewer, &[("input", json!("a.txt"))], &steps),
            "a call missing"
        );
        let more = "trace t\nparam input: path\nlet text = fs.read(path: input)\n\
                    let words = text.split(text: text, sep: \"\")\n\
                    fs.write(path: \"x\", content: text)\nreturn words\n";
        assert!(
            !replays(more, &[("input", json!("a.txt"))], &steps),
            "a call too many"
        );
        let guarded = "trace t\nparam input: path\nlet text = fs.read(path: input)\n\
                       expect text == \"other\"\n\
                       let words = text.split(text: text, sep: \"\")\nreturn words\n";
        assert!(
            !replays(guarded, &[("input", json!("a.txt"))], &steps),
            "a guard fails"
        );
        // An inserted pure step runs for real; numbers compare by value.
        let trimmed = "trace t\nparam input: path\nlet text = fs.read(path: input)\n\
                       let t = text.trim_end(text: text)\n\
                       let words = text.split(text: \"{t}\\n\", sep: \"\")\nreturn words\n";
        assert!(replays(trimmed, &[("input", json!("a.txt"))], &steps));
    }

    #[test]
    fn a_loop_replays_one_recorded_call_per_element() {
        let steps = [
            step(
                "fs.glob",
                &[("pattern", json!("d/*.md"))],
                json!(["d/a.md", "d/b.md"]),
            ),
            step("fs.read", &[("path", json!("d/a.md"))], json!("A\n")),
            step("fs.read", &[("path", json!("d/b.md"))], json!("B\n")),
        ];
        let src = "trace t\nparam dir: str\nlet files = fs.glob(pattern: \"{dir}/*.md\")\n\
                   let texts = for f in files {\n    fs.read(path: f)\n}\nreturn texts\n";
        assert!(replays(src, &[("dir", json!("d"))], &steps));
    }
}
