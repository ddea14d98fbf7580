//! The recording compiler (`recording.md`): a Learner recording becomes an ordinary,
//! checked `.llt` program that serves every goal of the same shape, or, when the
//! recording does not show how the answer follows from the goal, the literal program that
//! serves the recorded goal only, with a note that says why.
//!
//! 1. [`clean`]: failed calls (and `llm.final`) are dropped; a recording that passes a
//!    failed call's error text on is refused.
//! 2. [`evidence`]: values of the goal (paths, URLs, numbers, quoted phrases, extensions,
//!    plain words) become `param`s when a configuration argument holds them, whole or on
//!    word boundaries, as they are or in a form a tool makes ([`forms`]: regex-escaped,
//!    case); the goal becomes a template.
//! 3. [`flow`]: an argument equal (by meaning) to a param or an earlier result, a field or
//!    element of one, or a normalized form of one (trimmed, JSON parsed or serialized, a
//!    float's decimals, case) becomes a reference, through an inserted step when a form
//!    is needed; text containing such values is interpolated.
//! 4. [`slots`]: only prose arguments ([`roles`]: file content, stdin) may become `ask`
//!    slots, and only when they may depend on the input and data flow plus short glue
//!    ([`glue`]) does not explain them.
//! 5. [`plan`]: the output is the final answer when glue explains it; a result that
//!    depends on the input and that nothing uses, an element picked by position from a
//!    data-sized list, or an answer the LLM worked out makes the recording literal.
//! 6. [`print`]: the plan is printed as source and compiled like any hand-written trace,
//!    then replayed against the recording ([`replay`]); if it would not make the same
//!    calls with the same arguments (by meaning), the literal version is kept.

mod clean;
mod emit;
mod error;
mod evidence;
mod flow;
mod forms;
mod glue;
mod guards;
mod loops;
mod names;
mod naming;
mod needles;
pub(crate) mod params;
mod plan;
mod print;
mod replay;
mod roles;
mod slots;
mod sources;
mod typed;

pub use error::CompileError;
use flow::Src;

use crate::learn::recording::{FINAL_TOOL, Outcome, RecStep, Recording};
use crate::syntax::ast::StrPart;
use crate::tools::ToolTable;
use crate::value::Value;

/// A compiled recording.
#[derive(Debug)]
pub struct Compiled {
    /// The program's `.llt` source.
    pub source: String,
    /// The program, verified against the tool table it was compiled with (so nothing
    /// verifies it again).
    pub program: crate::bytecode::Verified,
    /// The step→span table of `source` (see [`crate::ir::build::compile_with_spans`]).
    pub spans: Vec<crate::diag::Span>,
    /// False when the literal version was kept (see `notes` for why).
    pub generalized: bool,
    /// The recorded answer of each slot, keyed by its prompt as interpolated for the
    /// recorded binding: seeds for the slot cache.
    pub slot_answers: Vec<SlotAnswer>,
    /// The params with the values the recording used.
    pub bindings: Vec<(String, Value)>,
    /// The params, with the goal text each came from.
    pub params: Vec<params::Param>,
    /// The shape of each param's value in the recorded goal (kept in the library; a new
    /// goal binds only values of the same shape).
    pub shapes: Vec<(String, crate::dispatch::Shape)>,
    /// What the user should know about how the recording was compiled.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SlotAnswer {
    pub slot: String,
    pub prompt: String,
    pub answer: Value,
}

impl Compiled {
    /// A hand-written trace in the shape of a compiled recording.
    pub fn from_source(
        source: String,
        program: crate::bytecode::Verified,
        spans: Vec<crate::diag::Span>,
    ) -> Compiled {
        Compiled {
            source,
            program,
            spans,
            generalized: true,
            slot_answers: Vec::new(),
            bindings: Vec::new(),
            shapes: Vec::new(),
            params: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// Equality by meaning: numbers by value (`5` is `5.0`), JSON texts of lists or objects
/// by their parse.
pub fn same_value(a: &Value, b: &Value) -> bool {
    flow::same(a, b)
}

/// Compiles a recording of built-in tool calls. The error names what is wrong and where
/// (step numbers count from 1, as a person reads the file).
///
/// For library callers without a [`crate::host::Host`] (tests, benches, fuzz targets): it
/// builds a small runtime of its own for the replay. The CLI and the kernel call
/// [`compile_with`] with the host's runtime, so an `llmos` process builds one.
pub fn compile(rec: &Recording) -> Result<Compiled, CompileError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CompileError::Internal(format!("cannot start the runtime for the replay: {e}"))
        })?;
    compile_with(rec, ToolTable::builtins(), &runtime)
}

/// Compiles a recording against `tools` (the table its calls were made with). The
/// generalized program is checked by replaying it on `runtime` (the host's), so this is
/// called outside async code, as the kernel and the CLI do.
pub fn compile_with(
    rec: &Recording,
    tools: &ToolTable,
    runtime: &tokio::runtime::Runtime,
) -> Result<Compiled, CompileError> {
    if rec.outcome == Outcome::Failure {
        return Err(CompileError::FailedRun {
            error: rec.error.clone(),
        });
    }
    let kept = clean::kept_steps(rec, tools)?;
    let final_text = rec
        .steps
        .iter()
        .rev()
        .find(|s| s.tool == FINAL_TOOL)
        .and_then(|s| s.args.get("text"))
        .and_then(Value::as_str);
    let why = match plan::generalize(rec, &kept, final_text, tools) {
        Ok(plan) => match print::print(rec, &kept, plan, true, tools) {
            Ok(c) => match replay::matches_recording(c, &kept, tools, runtime) {
                Some(c) => return Ok(c),
                None => "the generalized program did not replay the recording exactly".to_owned(),
            },
            Err(e) => e,
        },
        Err(why) => why,
    };
    let mut c = literal(rec, &kept, final_text, tools).map_err(CompileError::Internal)?;
    c.generalized = false;
    c.notes.push(format!(
        "kept the literal program (it serves this exact goal only): {why}"
    ));
    Ok(c)
}

/// The literal version: the recorded calls with their recorded arguments, nothing
/// generalized.
fn literal(
    rec: &Recording,
    kept: &[(usize, &RecStep)],
    final_text: Option<&str>,
    tools: &ToolTable,
) -> Result<Compiled, String> {
    let args: Vec<Vec<(String, Src)>> = kept
        .iter()
        .map(|(_, s)| {
            let Some(decl) = tools.get(&s.tool) else {
                return Vec::new();
            };
            decl.params
                .iter()
                .filter_map(|p| {
                    s.args
                        .get(&p.name)
                        .map(|v| (p.name.clone(), Src::Const(v.clone())))
                })
                .collect()
        })
        .collect();
    let plan = plan::Plan {
        name: names::trace_name(&rec.goal),
        goal: vec![StrPart::Text(rec.goal.clone())],
        params: Vec::new(),
        args,
        slots: Vec::new(),
        loops: Vec::new(),
        in_loop: vec![None; kept.len()],
        guards: guards::literal(kept),
        ret: final_text.map(|t| Src::Const(Value::String(t.to_owned()))),
        namer: names::Namer::default(),
        notes: Vec::new(),
    };
    print::print(rec, kept, plan, false, tools)
}
