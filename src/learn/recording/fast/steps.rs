//! The recording's own structures: `steps` and each step's `args`, in written order.

use indexmap::IndexMap;
use serde_saphyr::Spanned;

use super::{Fast, Outside, Reader, first, push_new, spanned};
use crate::learn::recording::raw::{RawArgs, RawStep, StepEntry};
use crate::value::Value;

impl Reader<'_> {
    /// The value of `steps:` in the top-level mapping: a block sequence of steps.
    pub(super) fn steps(&mut self, n: usize) -> Fast<Vec<Spanned<RawStep>>> {
        self.skip_spaces();
        self.end_line()?;
        match self.nested_indent(n)? {
            Some(i) => {
                let mut steps = Vec::new();
                self.block_seq(i, |r, col| {
                    let step = if r.peek() == Some(b'{') {
                        let step = r.flow_step()?;
                        r.after_inline(i)?;
                        step
                    } else {
                        r.block_step(col)?
                    };
                    steps.push(spanned(step));
                    Ok(())
                })?;
                Ok(steps)
            }
            None => Err(Outside),
        }
    }

    /// A step written `{tool: ..., args: {...}, ...}`.
    fn flow_step(&mut self) -> Fast<RawStep> {
        // A step has at most four keys (`tool`, `args`, `result`, `error`).
        let mut entries = Vec::with_capacity(4);
        self.flow_entries(|r, key| {
            let entry = match key.as_str() {
                "args" => StepEntry::Args(spanned(RawArgs::Map(r.flow_args()?))),
                _ => StepEntry::Other(spanned(r.value(true)?)),
            };
            push_new(&mut entries, key, entry)
        })?;
        Ok(RawStep { entries })
    }

    /// A step written as a block mapping (`- tool: ...` and its following lines).
    fn block_step(&mut self, col: usize) -> Fast<RawStep> {
        // A step has at most four keys (`tool`, `args`, `result`, `error`).
        let mut entries = Vec::with_capacity(4);
        self.block_map(col, |r, key, n| {
            let entry = match key.as_str() {
                "args" => StepEntry::Args(spanned(r.block_args(n)?)),
                _ => StepEntry::Other(spanned(r.block_value(n)?)),
            };
            push_new(&mut entries, key, entry)
        })?;
        Ok(RawStep { entries })
    }

    /// A step's `args` written `{name: value, ...}`, in written order.
    fn flow_args(&mut self) -> Fast<IndexMap<String, Value>> {
        if self.peek() != Some(b'{') {
            return Err(Outside);
        }
        let mut args = IndexMap::new();
        self.flow_entries(|r, key| {
            let v = r.value(true)?;
            first(args.insert(key, v))
        })?;
        Ok(args)
    }

    /// A step's `args` in a block step at column `n`: a flow mapping on the line, a
    /// block mapping on the next lines (in written order), or nothing (null).
    fn block_args(&mut self, n: usize) -> Fast<RawArgs> {
        self.skip_spaces();
        if !self.at_eol() {
            let args = self.flow_args()?;
            self.after_inline(n)?;
            return Ok(RawArgs::Map(args));
        }
        self.end_line()?;
        let Some(i) = self.nested_indent(n)? else {
            self.node()?;
            return Ok(RawArgs::Null);
        };
        if self.at_dash() {
            return Err(Outside);
        }
        let mut args = IndexMap::new();
        self.block_map(i, |r, key, n| {
            let v = r.block_value(n)?;
            first(args.insert(key, v))
        })?;
        Ok(RawArgs::Map(args))
    }
}
