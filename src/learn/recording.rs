//! Learner recordings (`recording.md`): what an LLM did to solve a goal, call by call,
//! and their YAML form.
//!
//! This is the only module that touches YAML: [`parse_recording`] and [`to_yaml`] for
//! recordings, [`parse_yaml_documents`] for other YAML inputs (the original llmos traces
//! read by [`crate::learn::import`]). All YAML goes through `serde-saphyr` with one set of
//! options:
//!
//! - input is bounded: at most [`MAX_YAML_BYTES`] of text, a node / event / depth budget,
//!   and alias expansion limits, so hostile YAML (alias bombs, deep nesting, document
//!   storms) is refused with an error instead of exhausting memory;
//! - scalars are typed by the YAML 1.2 core schema: `data/sales.csv` and `Q1` are strings,
//!   `120` an integer, `97.0` a float, `true` a boolean, `"10"` (quoted) a string, `~` and
//!   `null` are null. YAML 1.1 spellings stay strings: `no`, `yes`, `on`, `off` (strict
//!   booleans), `0755` (leading zeros), `1_000` (underscores). Timestamps are strings.
//!   `0x1F` is still read as the integer 31. Non-finite floats (`.inf`, `.nan`) are
//!   refused, since a JSON value cannot hold them; an integer beyond the 64-bit range
//!   becomes a float;
//! - merge keys (`<<`) are ordinary keys, duplicate keys are an error.
//!
//! Errors name the file, the `line:column` where the YAML library or the validation knows
//! it, and what is wrong.

use std::collections::BTreeMap;
use std::fmt;

use indexmap::IndexMap;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use crate::value::Value;

/// A recording, version 1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The format version; 1.
    pub llmos_recording: u32,
    pub goal: String,
    /// `provider:model`, e.g. `anthropic:claude-sonnet-4-5`.
    #[serde(default)]
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    pub outcome: Outcome,
    /// Why the run failed, when `outcome` is `failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub steps: Vec<RecStep>,
    /// Unknown top-level keys: kept and ignored.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub llm_calls: u64,
    #[serde(default)]
    pub cost_usd: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
}

/// One tool call, with its exact arguments and its result or error. The pseudo-tool
/// `llm.final` carries the LLM's final answer in `args.text`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecStep {
    pub tool: String,
    #[serde(default)]
    pub args: IndexMap<String, Value>,
    /// The call's result. `Some(Value::Null)` is a recorded `null` result; `None` means no
    /// `result:` key (a failed call, `llm.final`, or an imported step).
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A key that is present is `Some`, even when its value is `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The name of the pseudo-tool that ends a recording with the LLM's answer.
pub const FINAL_TOOL: &str = "llm.final";

/// The recording format version this build reads and writes.
pub const RECORDING_VERSION: u32 = 1;

/// The largest YAML text accepted, in bytes.
pub const MAX_YAML_BYTES: usize = 32 * 1024 * 1024;

/// The top-level key (kept in [`Recording::extra`]) that marks a recording imported from
/// the original Python llmos. Its steps carry no results, since the original traces
/// recorded none.
pub const IMPORTED_KEY: &str = "imported_from";

/// The key of a step reference: an argument written `{ $result_of: 0 }` stands for the
/// result of step 0 (0-based index into `steps`). Only imported recordings use it, where
/// results are unknown but data visibly flows from one call to the next (an imported
/// `Edit` becomes `fs.read`, `text.replace` of its result, `fs.write` of that result).
pub const STEP_REF_KEY: &str = "$result_of";

/// The argument value that refers to the result of step `index` (0-based).
pub fn step_ref(index: usize) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(STEP_REF_KEY.to_string(), Value::from(index));
    Value::Object(map)
}

/// The step index an argument refers to, if it is a step reference.
pub fn as_step_ref(v: &Value) -> Option<usize> {
    let map = v.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let index = map.get(STEP_REF_KEY)?.as_u64()?;
    usize::try_from(index).ok()
}

impl Recording {
    /// Whether this recording was imported from the original Python llmos (its steps
    /// have no results).
    pub fn is_imported(&self) -> bool {
        self.extra.contains_key(IMPORTED_KEY)
    }
}

/// A recording (or other YAML input) that cannot be read or written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingError {
    /// The file name given by the caller.
    pub file: String,
    /// 1-based line and column, when known.
    pub line: Option<u64>,
    pub column: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl RecordingError {
    fn new(file: &str, message: impl Into<String>) -> RecordingError {
        RecordingError {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    fn at(file: &str, loc: Location, message: impl Into<String>) -> RecordingError {
        let mut e = RecordingError::new(file, message);
        if loc.line() > 0 {
            e.line = Some(loc.line());
            e.column = Some(loc.column());
        }
        e
    }

    fn yaml(file: &str, err: &serde_saphyr::Error) -> RecordingError {
        let inner = err.without_snippet();
        let mut message = inner.to_string();
        match inner.location().filter(|l| l.line() > 0) {
            Some(loc) => {
                // The library appends the position to its text; it is in our prefix.
                let suffix = format!(" at line {}, column {}", loc.line(), loc.column());
                if let Some(stripped) = message.strip_suffix(&suffix) {
                    message = stripped.to_string();
                }
                if message == "expected mapping start" {
                    message = "expected a mapping of keys to values (a recording and each of \
                               its steps is one)"
                        .to_string();
                }
                RecordingError::at(file, loc, message)
            }
            None => RecordingError::new(file, message),
        }
    }
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{l}:{c}: {}", self.file, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for RecordingError {}

/// The one set of YAML options: YAML 1.2 scalars, bounded work (see the module doc).
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_reader_input_bytes: Some(MAX_YAML_BYTES),
            max_events: 8_000_000,
            max_nodes: 4_000_000,
            max_depth: 128,
            max_documents: 1_024,
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_total_scalar_bytes: MAX_YAML_BYTES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 200_000,
            max_replay_stack_depth: 16,
            max_alias_expansions_per_anchor: 1_000,
        },
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        reject_unsupported_tags: true,
        merge_keys: serde_saphyr::options::MergeKeyPolicy::AsOrdinary,
        non_finite_float_policy: serde_saphyr::options::NonFiniteFloatPolicy::Reject,
    }
}

fn check_size(text: &str, file: &str) -> Result<(), RecordingError> {
    if text.len() > MAX_YAML_BYTES {
        return Err(RecordingError::new(
            file,
            format!(
                "{} bytes of YAML, more than the limit of {MAX_YAML_BYTES}",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// Every document of a YAML stream as a JSON value (null documents skipped), with the
/// same bounds and scalar rules as recordings.
pub fn parse_yaml_documents(text: &str, file_name: &str) -> Result<Vec<Value>, RecordingError> {
    check_size(text, file_name)?;
    serde_saphyr::from_str_multiple_with_options::<Value, Vec<Value>>(text, yaml_options())
        .map_err(|e| RecordingError::yaml(file_name, &e))
}

/// Reads a recording from YAML text. `file_name` is used in errors only.
pub fn parse_recording(text: &str, file_name: &str) -> Result<Recording, RecordingError> {
    check_size(text, file_name)?;
    if text.trim().is_empty() {
        return Err(RecordingError::new(
            file_name,
            "empty file: expected a recording",
        ));
    }
    let doc: Spanned<RawDoc> = serde_saphyr::from_str_with_options(text, yaml_options())
        .map_err(|e| RecordingError::yaml(file_name, &e))?;
    build::recording(doc, file_name)
}

/// Writes a recording as YAML that [`parse_recording`] reads back to an equal value.
pub fn to_yaml(rec: &Recording) -> Result<String, RecordingError> {
    const FILE: &str = "<recording>";
    if !rec.usage.cost_usd.is_finite() {
        return Err(RecordingError::new(
            FILE,
            "usage.cost_usd is not a finite number",
        ));
    }
    if let Some(key) = rec
        .extra
        .keys()
        .find(|k| build::KNOWN_KEYS.contains(&k.as_str()))
    {
        return Err(RecordingError::new(
            FILE,
            format!("extra key `{key}` shadows a recording field"),
        ));
    }
    serde_saphyr::to_string(rec).map_err(|e| RecordingError::new(FILE, e.to_string()))
}

/// A recording as read, before validation: each top-level value and each step with its
/// location.
struct RawDoc {
    entries: Vec<(String, RawEntry)>,
}

enum RawEntry {
    Steps(Spanned<Vec<Spanned<RawStep>>>),
    Other(Spanned<Value>),
}

/// One step as read: its `args` in written order, every other key as a value.
struct RawStep {
    entries: Vec<(String, StepEntry)>,
}

enum StepEntry {
    Args(Spanned<RawArgs>),
    Other(Spanned<Value>),
}

/// A step's `args`: a mapping in written order, or what was found instead.
enum RawArgs {
    Map(IndexMap<String, Value>),
    Null,
    NotMap(&'static str),
}

/// Reads a mapping entry by entry: `special` keys through `S`, the others as values.
fn visit_entries<'de, A, S, E>(
    mut map: A,
    special: &str,
    wrap: impl Fn(S) -> E,
    other: impl Fn(Spanned<Value>) -> E,
) -> Result<Vec<(String, E)>, A::Error>
where
    A: MapAccess<'de>,
    S: Deserialize<'de>,
{
    let mut entries = Vec::new();
    while let Some(key) = map.next_key::<String>()? {
        let entry = if key == special {
            wrap(map.next_value()?)
        } else {
            other(map.next_value()?)
        };
        entries.push((key, entry));
    }
    Ok(entries)
}

impl<'de> Deserialize<'de> for RawDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DocVisitor;
        impl<'de> Visitor<'de> for DocVisitor {
            type Value = RawDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a recording (a mapping with llmos_recording, goal, steps, ...)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawDoc, A::Error> {
                let entries = visit_entries(map, "steps", RawEntry::Steps, RawEntry::Other)?;
                Ok(RawDoc { entries })
            }
        }
        d.deserialize_map(DocVisitor)
    }
}

impl<'de> Deserialize<'de> for RawStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StepVisitor;
        impl<'de> Visitor<'de> for StepVisitor {
            type Value = RawStep;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a step (a mapping with tool, args, result or error)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawStep, A::Error> {
                let entries = visit_entries(map, "args", StepEntry::Args, StepEntry::Other)?;
                Ok(RawStep { entries })
            }
        }
        d.deserialize_map(StepVisitor)
    }
}

impl<'de> Deserialize<'de> for RawArgs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ArgsVisitor;
        impl<'de> Visitor<'de> for ArgsVisitor {
            type Value = RawArgs;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping of argument names to values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawArgs, A::Error> {
                let mut args = IndexMap::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    args.insert(k, v);
                }
                Ok(RawArgs::Map(args))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawArgs, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RawArgs::NotMap("a list"))
            }
            fn visit_unit<E>(self) -> Result<RawArgs, E> {
                Ok(RawArgs::Null)
            }
            fn visit_none<E>(self) -> Result<RawArgs, E> {
                Ok(RawArgs::Null)
            }
            fn visit_bool<E>(self, _: bool) -> Result<RawArgs, E> {
                Ok(RawArgs::NotMap("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<RawArgs, E> {
                Ok(RawArgs::NotMap("an integer"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<RawArgs, E> {
                Ok(RawArgs::NotMap("an integer"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<RawArgs, E> {
                Ok(RawArgs::NotMap("a float"))
            }
            fn visit_str<E>(self, _: &str) -> Result<RawArgs, E> {
                Ok(RawArgs::NotMap("a string"))
            }
        }
        d.deserialize_any(ArgsVisitor)
    }
}

/// Validation of a [`RawDoc`] into a [`Recording`].
mod build {
    use super::*;

    /// The top-level keys that are fields of [`Recording`].
    pub(super) const KNOWN_KEYS: &[&str] = &[
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
        let outcome =
            outcome.ok_or_else(|| missing("outcome").with_hint("`success` or `failure`"))?;
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
                    usage.cost_usd = field.value.as_f64().ok_or_else(|| {
                        RecordingError::at(
                            file,
                            at,
                            format!("`{name}` must be a number, found {}", kind(&field.value)),
                        )
                    })?
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
                "tool" => tool = Some(string(file, &format!("step {n}: tool"), v)?),
                "result" => result = Some(v.value),
                "error" => error = Some(string(file, &format!("step {n}: error"), v)?),
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
        let what = format!("step {n} (`{tool}`)");
        match (&result, &error) {
            (Some(_), Some(_)) => {
                return Err(RecordingError::at(
                    file,
                    at,
                    format!("{what} has both `result` and `error`; a call either returns or fails"),
                ));
            }
            (None, None) if tool != FINAL_TOOL && !imported => {
                return Err(RecordingError::at(
                    file,
                    at,
                    format!("{what} has neither `result` nor `error`"),
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
                        "{what}: argument `{name}` refers to the result of step {}, which is \
                         not an earlier step",
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
}
