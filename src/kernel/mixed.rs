//! Mixed mode: a stored program whose goal is near the new goal, but whose template does
//! not bind it, gets its params from one short LLM call. The answer is a JSON object
//! checked against the param types; the VM does the rest.

use std::sync::Arc;

use indexmap::IndexMap;

use super::{BindingError, Kernel, KernelError};
use crate::ir::Program;
use crate::learn::events::{EventSink, NullSink};
use crate::llm::ChatRequest;
use crate::types::Type;
use crate::value::{Value, coerce, parse_as};

/// The params the LLM gave, and what asking cost.
pub struct Bound {
    pub params: IndexMap<String, Value>,
    /// What asking used.
    pub usage: crate::usage::Usage,
}

/// Most output tokens of the binding reply: a small JSON object.
const MAX_TOKENS: u32 = 400;

/// Asks the configured model for the program's params for `goal`. An error when the
/// model says the program does not fit, or its answer does not type-check.
pub fn bind(
    k: &Kernel,
    program: &Program,
    template: &str,
    goal: &str,
    budget_run: &str,
    budget: Option<i64>,
) -> Result<Bound, KernelError> {
    let events: Arc<dyn EventSink> = Arc::new(NullSink);
    let meter = k.host.meter(budget_run, budget, events)?;
    let prompt = prompt(program, template, goal);
    let runtime = k.host.runtime()?;
    let reply = runtime.block_on(meter.chat(
        &ChatRequest::completion(prompt, MAX_TOKENS),
        "bind params",
        None,
    ))?;
    let t = meter.totals();
    let params = parse_answer(program, &reply.response.text()).map_err(KernelError::Binding)?;
    Ok(Bound { params, usage: t })
}

/// The binding prompt: the program's goal template, its params with their types and
/// defaults, and the new goal.
pub fn prompt(program: &Program, template: &str, goal: &str) -> String {
    let mut p =
        format!("A stored program reaches goals of this form: \"{template}\".\nIts parameters:\n");
    for q in &program.params {
        p.push_str(&format!("- {} ({})", q.name, q.ty));
        if let Some(d) = &q.default {
            p.push_str(&format!(", default {}", crate::value::canonical_json(d)));
        }
        p.push('\n');
    }
    p.push_str(&format!(
        "The new goal: \"{goal}\".\nIf the program can reach the new goal, reply with one JSON object giving \
         each parameter's value for it (leave out those whose default fits). If it cannot, reply \
         {{\"fits\": false}}. Reply with the JSON object only."
    ));
    p
}

/// Reads the model's JSON answer and checks every value against its param's type.
pub fn parse_answer(
    program: &Program,
    text: &str,
) -> Result<IndexMap<String, Value>, BindingError> {
    let start = text.find('{').ok_or(BindingError::NoObject)?;
    let end = text.rfind('}').ok_or(BindingError::NoObject)?;
    let obj: serde_json::Map<String, Value> = text
        .get(start..=end)
        .and_then(|t| serde_json::from_str(t).ok())
        .ok_or(BindingError::NotAnObject)?;
    if obj.get("fits") == Some(&Value::Bool(false)) {
        return Err(BindingError::DoesNotFit);
    }
    let mut out = IndexMap::new();
    for q in &program.params {
        match obj.get(&q.name) {
            Some(v) => {
                let v = match (v, &q.ty) {
                    (Value::String(s), Type::Int | Type::Float | Type::Bool | Type::List(_)) => {
                        parse_as(s, &q.ty)
                    }
                    (Value::Number(_) | Value::Bool(_), Type::Str | Type::Path) => {
                        Ok(Value::String(crate::value::to_text(v).into_owned()))
                    }
                    _ => coerce(v.clone(), &q.ty),
                }
                .map_err(|why| BindingError::BadValue {
                    name: q.name.clone(),
                    why,
                })?;
                out.insert(q.name.clone(), v);
            }
            None if q.default.is_some() => {}
            None => {
                return Err(BindingError::Missing {
                    name: q.name.clone(),
                });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Coded;
    use serde_json::json;

    #[test]
    fn an_answer_that_does_not_bind_says_why() {
        let src = "trace t\nparam n: int\nparam name: str = \"x\"\nreturn n\n";
        let (p, _) = crate::ir::build::compile_source(src).unwrap();
        let bound = parse_answer(&p, "Here: {\"n\": \"7\"}").unwrap();
        assert_eq!(bound.get("n"), Some(&json!(7)));
        let refused = |text: &str| parse_answer(&p, text).unwrap_err();
        assert_eq!(refused("no idea"), BindingError::NoObject);
        assert_eq!(refused("{n: 1}"), BindingError::NotAnObject);
        assert_eq!(refused("{\"fits\": false}"), BindingError::DoesNotFit);
        assert_eq!(
            refused("{\"name\": \"y\"}"),
            BindingError::Missing { name: "n".into() }
        );
        let bad = refused("{\"n\": \"seven\"}");
        assert!(matches!(&bad, BindingError::BadValue { name, .. } if name == "n"));
        assert!(bad.to_string().starts_with("param `n`: "), "{bad}");
        let e = KernelError::Binding(bad);
        assert_eq!((e.kind(), e.code()), ("binding", "binding-refused"));
    }
}
