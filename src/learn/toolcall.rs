//! One tool call made by the Learner's LLM, run through the same layer as the VM's: the
//! [`ToolTable`]'s entry (built-in or MCP), its declared parameters ([`bind_named`]), the
//! capability check and the sandboxed [`ToolCtx`]. Whatever goes wrong (an unknown tool,
//! bad arguments, a capability not granted, a failure, a time-out) becomes an error
//! result the LLM sees; a call needing a capability that was not granted is not run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde_json::json;

use crate::economy::meter::Deadline;
use crate::learn::events::EventSink;
use crate::learn::recording::RecStep;
use crate::llm::{ToolSpec, names};
use crate::tools::{Invocation, ToolCtx, ToolError, ToolTable, bind_named};
use crate::types::EffectSet;
use crate::value::{Value, short, to_text};

/// The most characters of one tool result shown to the LLM; the recording keeps it all.
pub const MAX_RESULT_CHARS: usize = 100_000;

/// What one tool call gave.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCallOutcome {
    /// The call as recorded: the arguments exactly as the LLM sent them, and the result
    /// or the error.
    pub step: RecStep,
    /// The text sent back to the LLM as the tool result.
    pub content: String,
    pub is_error: bool,
    /// The run's time limit stopped the call: the run must end.
    pub out_of_time: bool,
}

/// The message for a tool needing capabilities outside `granted`.
pub fn capability_refusal(missing: EffectSet) -> String {
    let names: Vec<&str> = missing.iter().map(|e| e.as_str()).collect();
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let noun = if names.len() == 1 {
        "capability"
    } else {
        "capabilities"
    };
    format!(
        "{noun} {} not granted; the user can pass --allow {}",
        quoted.join(", "),
        names.join(",")
    )
}

/// The tools a Learner run offers and may call, and what it may do with them.
#[derive(Clone, Copy)]
pub struct Offer<'a> {
    /// The table the tools come from.
    pub tools: &'a ToolTable,
    /// The specs the LLM was given (only these may be called).
    pub specs: &'a [ToolSpec],
    pub granted: EffectSet,
    /// The run's calls so far: a list or object passed for a text parameter that is the
    /// parse of one of their text results is passed as that text ([`crate::learn::coerce`]).
    pub earlier: &'a [RecStep],
}

/// Runs the tool `name` with the LLM's `input`, if it is offered and its effects are
/// granted, and reports it to `events`.
pub async fn run_tool_call(
    name: &str,
    input: &Value,
    offer: Offer<'_>,
    ctx: &Arc<ToolCtx>,
    deadline: Option<Deadline>,
    events: &dyn EventSink,
) -> ToolCallOutcome {
    let started = Instant::now();
    let coerced = names::find_tool(offer.specs, name)
        .ok()
        .and_then(|spec| offer.tools.get(&spec.name))
        .and_then(|decl| crate::learn::coerce::objects_as_texts(decl, input, offer.earlier));
    let input = coerced.as_ref().unwrap_or(input);
    let args: IndexMap<String, Value> = match input {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => IndexMap::new(),
    };
    let (result, out_of_time) = match prepare(name, input, offer) {
        Ok((tool, bound)) => invoke(name, &*tool, &bound, ctx, deadline).await,
        Err(message) => (Err(message), false),
    };
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (step, content, is_error) = match result {
        Ok(value) => {
            events.emit(json!({
                "event": "tool_call", "tool": name, "args": input, "ok": true,
                "result": short(&value), "duration_ms": duration_ms,
            }));
            let content = capped(&to_text(&value));
            let step = RecStep {
                tool: name.to_string(),
                args,
                result: Some(value),
                error: None,
            };
            (step, content, false)
        }
        Err(message) => {
            events.emit(json!({
                "event": "tool_call", "tool": name, "args": input, "ok": false,
                "error": message, "duration_ms": duration_ms,
            }));
            let step = RecStep {
                tool: name.to_string(),
                args,
                result: None,
                error: Some(message.clone()),
            };
            (step, message, true)
        }
    };
    ToolCallOutcome {
        step,
        content,
        is_error,
        out_of_time,
    }
}

type Prepared = (Arc<dyn crate::tools::Tool>, Vec<Value>);

/// Finds the tool, checks its capabilities, binds the arguments; or says why not.
fn prepare(name: &str, input: &Value, offer: Offer<'_>) -> Result<Prepared, String> {
    let spec = names::find_tool(offer.specs, name).map_err(|e| e.to_string())?;
    let entry = offer
        .tools
        .entry(&spec.name)
        .ok_or_else(|| format!("unknown tool `{}`", spec.name))?;
    let decl = &entry.decl;
    let missing = decl.effects.missing_from(offer.granted);
    if !missing.is_empty() {
        return Err(capability_refusal(missing));
    }
    let Value::Object(map) = input else {
        return Err(format!(
            "the arguments of `{}` must be a JSON object",
            decl.name
        ));
    };
    let bound = bind_named(decl, map).map_err(|e| e.to_string())?;
    Ok((Arc::clone(&entry.imp), bound))
}

/// Runs a bound call within the tool's time limit and what is left of the run's; the
/// flag says whether the run's limit stopped it.
async fn invoke(
    name: &str,
    tool: &dyn crate::tools::Tool,
    args: &[Value],
    ctx: &Arc<ToolCtx>,
    deadline: Option<Deadline>,
) -> (Result<Value, String>, bool) {
    let out_of_time = |d: Deadline| {
        format!(
            "`{name}` was stopped: the run's time limit of {} was reached",
            humantime::format_duration(d.limit)
        )
    };
    if let Some(d) = deadline.filter(Deadline::passed) {
        return (Err(out_of_time(d)), true);
    }
    let future = match tool.invoke(ctx, args) {
        Invocation::Ready(r) => return (r.map_err(message), false),
        Invocation::Pending(f) => f,
    };
    let limit = tool.timeout();
    let (wait, run_limited) = match deadline {
        Some(d) if d.remaining() < limit => (d.remaining(), Some(d)),
        _ => (limit, None),
    };
    match (tokio::time::timeout(wait, future).await, run_limited) {
        (Ok(r), _) => (r.map_err(message), false),
        (Err(_), Some(d)) => (Err(out_of_time(d)), true),
        (Err(_), None) => (Err(too_slow(name, limit)), false),
    }
}

fn too_slow(name: &str, limit: Duration) -> String {
    message(ToolError::timeout(format!(
        "`{name}` took longer than its time limit of {}",
        humantime::format_duration(limit)
    )))
}

fn message(e: ToolError) -> String {
    e.message
}

/// `text`, cut to [`MAX_RESULT_CHARS`] characters with a note saying how much was left out.
fn capped(text: &str) -> String {
    let total = text.chars().count();
    if total <= MAX_RESULT_CHARS {
        return text.to_string();
    }
    let kept: String = text.chars().take(MAX_RESULT_CHARS).collect();
    format!(
        "{kept}\n[... {} more characters not shown]",
        total - MAX_RESULT_CHARS
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::events::MemorySink;
    use crate::llm::schema::tool_specs;
    use crate::types::Effect;

    fn specs() -> Vec<ToolSpec> {
        tool_specs(ToolTable::builtins().decls()).unwrap()
    }

    #[test]
    fn refusal_messages() {
        let one = EffectSet::single(Effect::Exec);
        assert_eq!(
            capability_refusal(one),
            "capability `exec` not granted; the user can pass --allow exec"
        );
        let two: EffectSet = [Effect::Net, Effect::Exec].into_iter().collect();
        assert_eq!(
            capability_refusal(two),
            "capabilities `net`, `exec` not granted; the user can pass --allow net,exec"
        );
    }

    #[test]
    fn long_results_are_capped_for_the_llm() {
        let text = "x".repeat(MAX_RESULT_CHARS + 5);
        let c = capped(&text);
        assert!(c.ends_with("[... 5 more characters not shown]"));
        assert_eq!(capped("short"), "short");
    }

    #[tokio::test]
    async fn bad_calls_become_error_results() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
        let sink = MemorySink::new();
        let specs = specs();
        let granted = EffectSet::DEFAULT_GRANTED;
        let offer = Offer {
            tools: ToolTable::builtins(),
            specs: &specs,
            granted,
            earlier: &[],
        };
        let call = |name: &'static str, input: Value| {
            let (ctx, sink) = (&ctx, &sink);
            async move { run_tool_call(name, &input, offer, ctx, None, sink).await }
        };
        let r = call("fs.reed", json!({"path": "a"})).await;
        assert!(
            r.is_error && r.content.contains("Did you mean `fs.read`?"),
            "{r:?}"
        );
        let r = call("text.split", json!({"txt": "a b"})).await;
        assert!(r.content.contains("did you mean `text`?"), "{r:?}");
        let r = call("fs.read", json!({"path": "../outside"})).await;
        assert!(r.is_error && r.step.error.is_some(), "{r:?}");
        let r = call("shell.run", json!({"argv": ["touch", "made"]})).await;
        assert_eq!(
            r.step.error.as_deref(),
            Some("capability `exec` not granted; the user can pass --allow exec")
        );
        assert!(!dir.path().join("made").exists());
        let r = call("text.split", json!({"text": "a b"})).await;
        assert_eq!(r.step.result, Some(json!(["a", "b"])));
        assert_eq!(r.content, r#"["a","b"]"#);
        assert_eq!(sink.of_kind("tool_call").len(), 5);
    }

    #[tokio::test]
    async fn an_object_for_a_text_parameter_is_passed_and_recorded_as_the_earlier_text() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = Arc::new(ToolCtx::new(dir.path()).unwrap());
        let sink = MemorySink::new();
        let specs = specs();
        let text = "{\"n\": 2, \"tags\": [\"a\"]}\n";
        let earlier = [RecStep {
            tool: "fs.read".into(),
            args: IndexMap::new(),
            result: Some(json!(text)),
            error: None,
        }];
        let offer = Offer {
            tools: ToolTable::builtins(),
            specs: &specs,
            granted: EffectSet::DEFAULT_GRANTED,
            earlier: &earlier,
        };
        let input = json!({"text": {"n": 2.0, "tags": ["a"]}});
        let r = run_tool_call("text.len", &input, offer, &ctx, None, &sink).await;
        assert!(!r.is_error, "{r:?}");
        assert_eq!(r.step.args["text"], json!(text));
        assert_eq!(r.step.result, Some(json!(text.chars().count())));
    }
}
