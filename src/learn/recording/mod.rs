//! Learner recordings (`recording.md`): what an LLM did to solve a goal, call by call,
//! and their YAML form.
//!
//! This is the only module that touches YAML: [`parse_recording`] and [`to_yaml`] for
//! recordings, [`parse_yaml_documents`] for other YAML inputs (the original llmos traces
//! read by [`crate::learn::import`]). All YAML goes through `serde-saphyr` with one set of
//! options, with one shortcut: a recording in plain YAML (block mappings and sequences,
//! flow collections and scalars on one line, no comments, anchors or tags; what llmos and
//! generators write) is read by `fast.rs` to the same value, ten times faster; anything
//! else, and any recording with an error (so the error names its line), is read by
//! `serde-saphyr`. The rules below hold for both:
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
use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

use crate::value::Value;

mod fast;
mod raw;
mod validate;

use raw::RawDoc;

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

/// What learning it used (`cost_usd` in the file, in dollars).
pub use crate::usage::Usage;

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
    // Most recordings are plain YAML that the fast reader reads to the same value; for
    // anything else, and for every error (so it names its line), serde-saphyr reads it.
    if let Ok(doc) = fast::read(text)
        && let Ok(rec) = validate::recording(doc, file_name)
    {
        return Ok(rec);
    }
    read_with_saphyr(text, file_name)
}

/// Reads a recording with serde-saphyr: every YAML form, errors with their location.
fn read_with_saphyr(text: &str, file_name: &str) -> Result<Recording, RecordingError> {
    let doc: Spanned<RawDoc> = serde_saphyr::from_str_with_options(text, yaml_options())
        .map_err(|e| RecordingError::yaml(file_name, &e))?;
    validate::recording(doc, file_name)
}

/// Writes a recording as YAML that [`parse_recording`] reads back to an equal value.
pub fn to_yaml(rec: &Recording) -> Result<String, RecordingError> {
    const FILE: &str = "<recording>";
    if rec.usage.cost_micros < 0 {
        return Err(RecordingError::new(FILE, "usage.cost_usd is negative"));
    }
    if let Some(key) = rec
        .extra
        .keys()
        .find(|k| validate::KNOWN_KEYS.contains(&k.as_str()))
    {
        return Err(RecordingError::new(
            FILE,
            format!("extra key `{key}` shadows a recording field"),
        ));
    }
    serde_saphyr::to_string(rec).map_err(|e| RecordingError::new(FILE, e.to_string()))
}
