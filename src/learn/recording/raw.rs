//! A recording as the YAML library hands it over: each top-level value and each step with
//! its location, `args` in written order. Validation is in `validate`.

use std::fmt;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::value::Value;

/// A recording as read, before validation: each top-level value and each step with its
/// location.
pub(super) struct RawDoc {
    pub(super) entries: Vec<(String, RawEntry)>,
}

pub(super) enum RawEntry {
    Steps(Spanned<Vec<Spanned<RawStep>>>),
    Other(Spanned<Value>),
}

/// One step as read: its `args` in written order, every other key as a value.
pub(super) struct RawStep {
    pub(super) entries: Vec<(String, StepEntry)>,
}

pub(super) enum StepEntry {
    Args(Spanned<RawArgs>),
    Other(Spanned<Value>),
}

/// A step's `args`: a mapping in written order, or what was found instead.
pub(super) enum RawArgs {
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
