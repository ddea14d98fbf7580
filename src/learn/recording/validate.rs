//! Validation of a recording as read ([`RawDoc`]) into a [`Recording`]: every required
//! key, every type, every step, with the location of what is wrong.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde_saphyr::Spanned;

use super::raw::{RawArgs, RawDoc, RawEntry, RawStep, StepEntry};
use super::{
    FINAL_TOOL, IMPORTED_KEY, Outcome, RECORDING_VERSION, RecStep, Recording, RecordingError,
    Usage, as_step_ref,
};
use crate::value::Value;

/// The top-level keys that are fields of [`Recording`].
pub(crate) const KNOWN_KEYS: &[&str] = &[
    "llmos_recording",
    "goal",
    "model",
    "started_at",
    "usage",
    "outcome",
    "error",
    "steps",
];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn string(file: &str, key: &str, v: Spanned<Value>) -> Result<String, RecordingError> {
    match v.value {
        Value::String(s) => Ok(s),
        other => Err(RecordingError::at(
            file,
            v.referenced,
            format!("`{key}` must be a string, found {}", kind(&other)),
        )),
    }
}

fn count(file: &str, key: &str, v: &Spanned<Value>) -> Result<u64, RecordingError> {
    v.value.as_u64().ok_or_else(|| {
        RecordingError::at(
            file,
            v.referenced,
            format!(
                "`{key}` must be a non-negative integer, found {}",
                kind(&v.value)
            ),
        )
    })
}

pub(super) fn recording(doc: Spanned<RawDoc>, file: &str) -> Result<Recording, RecordingError> {
    let at_doc = doc.referenced;
    let missing = |what: &str| RecordingError::at(file, at_doc, format!("missing `{what}`"));
    let mut version = None;
    let mut goal = None;
    let mut model = String::new();
    let mut started_at = None;
    let mut usage = Usage::default();
    let mut outcome = None;
    let mut error = None;
    let mut raw_steps = None;
    let mut extra = BTreeMap::new();
    for (key, entry) in doc.value.entries {
        let v = match entry {
            RawEntry::Steps(steps) => {
                raw_steps = Some(steps);
                continue;
            }
            RawEntry::Other(v) => v,
        };
        match key.as_str() {
            "llmos_recording" => version = Some(self::version(file, &v)?),
            "goal" => goal = Some((string(file, "goal", v.clone())?, v.referenced)),
            "model" => model = string(file, "model", v)?,
            "started_at" => started_at = Some(timestamp(file, v)?),
            "usage" => usage = self::usage(file, v)?,
            "outcome" => outcome = Some(self::outcome(file, v)?),
            "error" => error = Some(string(file, "error", v)?),
            _ => {
                extra.insert(key, v.value);
            }
        }
    }
    let version = version.ok_or_else(|| {
        missing("llmos_recording").with_hint("the format version; this build reads 1")
    })?;
    let (goal, goal_at) = goal.ok_or_else(|| missing("goal"))?;
    if goal.trim().is_empty() {
        return Err(RecordingError::at(file, goal_at, "`goal` is empty"));
    }
    let outcome = outcome.ok_or_else(|| missing("outcome").with_hint("`success` or `failure`"))?;
    if outcome == Outcome::Success && error.is_some() {
        return Err(RecordingError::at(
            file,
            at_doc,
            "`error` is set but `outcome` is `success`",
        ));
    }
    let raw_steps = raw_steps.ok_or_else(|| missing("steps"))?;
    if raw_steps.value.is_empty() {
        return Err(RecordingError::at(
            file,
            raw_steps.referenced,
            "`steps` is empty",
        ));
    }
    let imported = extra.contains_key(IMPORTED_KEY);
    let mut steps = Vec::with_capacity(raw_steps.value.len());
    for (index, raw) in raw_steps.value.into_iter().enumerate() {
        steps.push(step(file, index, raw, imported)?);
    }
    Ok(Recording {
        llmos_recording: version,
        goal,
        model,
        started_at,
        usage,
        outcome,
        error,
        steps,
        extra,
    })
}

impl RecordingError {
    fn with_hint(mut self, hint: &str) -> RecordingError {
        self.message = format!("{} ({hint})", self.message);
        self
    }
}

fn version(file: &str, v: &Spanned<Value>) -> Result<u32, RecordingError> {
    let n = count(file, "llmos_recording", v)?;
    if n != u64::from(RECORDING_VERSION) {
        return Err(RecordingError::at(
            file,
            v.referenced,
            format!(
                "unsupported `llmos_recording: {n}`; this build reads version \
                 {RECORDING_VERSION}"
            ),
        ));
    }
    Ok(RECORDING_VERSION)
}

fn timestamp(file: &str, v: Spanned<Value>) -> Result<String, RecordingError> {
    let at = v.referenced;
    let text = string(file, "started_at", v)?;
    if text.parse::<jiff::Timestamp>().is_err() {
        return Err(RecordingError::at(
            file,
            at,
            format!("`started_at: {text}` is not an RFC 3339 timestamp (2026-11-25T09:00:00Z)"),
        ));
    }
    Ok(text)
}

fn outcome(file: &str, v: Spanned<Value>) -> Result<Outcome, RecordingError> {
    match v.value.as_str() {
        Some("success") => Ok(Outcome::Success),
        Some("failure") => Ok(Outcome::Failure),
        _ => Err(RecordingError::at(
            file,
            v.referenced,
            format!(
                "`outcome` must be `success` or `failure`, found {}",
                shown(&v.value)
            ),
        )),
    }
}

pub(super) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("`{s}`"),
        other => kind(other).to_string(),
    }
}

fn usage(file: &str, v: Spanned<Value>) -> Result<Usage, RecordingError> {
    let at = v.referenced;
    let Value::Object(map) = v.value else {
        return Err(RecordingError::at(
            file,
            at,
            format!("`usage` must be a mapping, found {}", kind(&v.value)),
        ));
    };
    let mut usage = Usage::default();
    for (key, val) in map {
        let field = Spanned::new(val, at, at);
        let name = format!("usage.{key}");
        match key.as_str() {
            "input_tokens" => usage.input_tokens = count(file, &name, &field)?,
            "output_tokens" => usage.output_tokens = count(file, &name, &field)?,
            "llm_calls" => usage.llm_calls = count(file, &name, &field)?,
            "cost_usd" => {
                let usd = field.value.as_f64().ok_or_else(|| {
                    RecordingError::at(
                        file,
                        at,
                        format!("`{name}` must be a number, found {}", kind(&field.value)),
                    )
                })?;
                usage.cost_micros = crate::usage::to_micros(usd).ok_or_else(|| {
                    RecordingError::at(
                        file,
                        at,
                        format!("`{name}` must be an amount of dollars (0 or more), found {usd}"),
                    )
                })?;
            }
            _ => {
                return Err(RecordingError::at(
                    file,
                    at,
                    format!(
                        "unknown key `{name}` (known: input_tokens, output_tokens, \
                         llm_calls, cost_usd)"
                    ),
                ));
            }
        }
    }
    Ok(usage)
}

/// A step's string field: `step N: key` in the error, made only when there is one.
fn step_string(
    file: &str,
    n: usize,
    key: &str,
    v: Spanned<Value>,
) -> Result<String, RecordingError> {
    match v.value {
        Value::String(s) => Ok(s),
        _ => string(file, &format!("step {n}: {key}"), v),
    }
}

fn step(
    file: &str,
    index: usize,
    raw: Spanned<RawStep>,
    imported: bool,
) -> Result<RecStep, RecordingError> {
    let at = raw.referenced;
    let n = index + 1;
    let mut tool = None;
    let mut args = IndexMap::new();
    let mut result = None;
    let mut error = None;
    for (key, entry) in raw.value.entries {
        let v = match entry {
            StepEntry::Args(a) => match a.value {
                RawArgs::Map(map) => {
                    args = map;
                    continue;
                }
                RawArgs::Null => continue,
                RawArgs::NotMap(found) => {
                    return Err(RecordingError::at(
                        file,
                        a.referenced,
                        format!("step {n}: `args` must be a mapping, found {found}"),
                    ));
                }
            },
            StepEntry::Other(v) => v,
        };
        let vat = v.referenced;
        match key.as_str() {
            "tool" => tool = Some(step_string(file, n, "tool", v)?),
            "result" => result = Some(v.value),
            "error" => error = Some(step_string(file, n, "error", v)?),
            _ => {
                return Err(RecordingError::at(
                    file,
                    vat,
                    format!("step {n}: unknown key `{key}` (known: tool, args, result, error)"),
                ));
            }
        }
    }
    let tool =
        tool.ok_or_else(|| RecordingError::at(file, at, format!("step {n}: missing `tool`")))?;
    if tool.trim().is_empty() {
        return Err(RecordingError::at(
            file,
            at,
            format!("step {n}: `tool` is empty"),
        ));
    }
    let what = || format!("step {n} (`{tool}`)");
    match (&result, &error) {
        (Some(_), Some(_)) => {
            return Err(RecordingError::at(
                file,
                at,
                format!(
                    "{} has both `result` and `error`; a call either returns or fails",
                    what()
                ),
            ));
        }
        (None, None) if tool != FINAL_TOOL && !imported => {
            return Err(RecordingError::at(
                file,
                at,
                format!("{} has neither `result` nor `error`", what()),
            ));
        }
        _ => {}
    }
    for (name, v) in &args {
        let Some(target) = as_step_ref(v) else {
            continue;
        };
        if target >= index {
            return Err(RecordingError::at(
                file,
                at,
                format!(
                    "{}: argument `{name}` refers to the result of step {}, which is \
                     not an earlier step",
                    what(),
                    target + 1
                ),
            ));
        }
    }
    Ok(RecStep {
        tool,
        args,
        result,
        error,
    })
}
