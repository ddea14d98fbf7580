//! The built-in implementations: exactly the tools declared in `stdlib/*.llt`, each
//! implemented once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::work::{self, Work};
use super::{Invocation, Tool, ToolCtx, ToolFuture, ToolResult};
use crate::value::Value;

/// How a built-in runs.
#[derive(Clone, Copy)]
pub enum Body {
    /// Cheap whatever its arguments: answers at once (no future is allocated).
    Ready(fn(&ToolCtx, &[Value]) -> ToolResult),
    /// Work that grows with its input: at once when the arguments are small, else on a
    /// worker thread that time limits and cancellation can stop ([`work`](super::work)).
    Work(fn(&ToolCtx, &[Value], &Work<'_>) -> ToolResult, Offload),
    /// Hands back a future. The function must copy what it needs out of `args`.
    Pending(fn(&Arc<ToolCtx>, &[Value]) -> ToolFuture),
    /// Decides itself (answering at once, or offloading part of its work).
    Call(fn(&Arc<ToolCtx>, Vec<Value>) -> Invocation),
}

/// When a [`Body::Work`] leaves the calling thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offload {
    /// When its arguments take more than [`INLINE_BYTES`] (text bytes, 32 per element).
    Large,
    /// Always: its time depends on the world (a folder's size), not on its arguments.
    Always,
}

/// Arguments up to this size are worked on at once: a few hundred microseconds at most.
pub const INLINE_BYTES: usize = 64 << 10;

/// One built-in tool: its declared name and parameter names (in declaration order), its
/// time limit and its body.
#[derive(Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    /// Parameter names in declaration order (checked against `stdlib/*.llt` by a test).
    pub params: &'static [&'static str],
    pub timeout: Duration,
    pub body: Body,
}

impl Tool for Builtin {
    fn name(&self) -> &'static str {
        self.name
    }

    fn timeout(&self) -> Duration {
        self.timeout
    }

    fn invoke(&self, ctx: &Arc<ToolCtx>, args: &[Value]) -> Invocation {
        match self.body {
            Body::Ready(f) => Invocation::Ready(f(ctx, args)),
            Body::Pending(f) => Invocation::Pending(f(ctx, args)),
            Body::Work(f, offload) if !offloaded(ctx, offload, args) => {
                Invocation::Ready(f(ctx, args, &Work::inline()))
            }
            Body::Work(..) | Body::Call(_) => self.invoke_owned(ctx, args.to_vec()),
        }
    }

    fn invoke_owned(&self, ctx: &Arc<ToolCtx>, args: Vec<Value>) -> Invocation {
        match self.body {
            Body::Work(f, offload) if offloaded(ctx, offload, &args) => {
                let ctx = Arc::clone(ctx);
                Invocation::Pending(work::offload(move |w| f(&ctx, &args, w)))
            }
            Body::Call(f) => f(ctx, args),
            _ => self.invoke(ctx, &args),
        }
    }
}

/// Whether a [`Body::Work`] with these arguments runs on a worker thread.
fn offloaded(ctx: &ToolCtx, offload: Offload, args: &[Value]) -> bool {
    !ctx.inline_only
        && (offload == Offload::Always || !crate::value::size_within(args, INLINE_BYTES))
}

/// Every built-in tool's table, one per namespace.
pub(crate) const ALL: &[&[Builtin]] = &[
    super::csv::TOOLS,
    super::fs::TOOLS,
    super::hash::TOOLS,
    super::http::TOOLS,
    super::json::TOOLS,
    super::list::TOOLS,
    super::math::TOOLS,
    super::shell::TOOLS,
    super::text::TOOLS,
    super::textform::TOOLS,
    super::time::TOOLS,
];

/// Every built-in implementation by name. [`ToolTable::builtins`](super::ToolTable::builtins)
/// joins them to their declarations.
pub(crate) fn implementations() -> BTreeMap<&'static str, Arc<dyn Tool>> {
    ALL.iter()
        .flat_map(|set| set.iter())
        .map(|b| (b.name, Arc::new(*b) as Arc<dyn Tool>))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, parameter names)` of every `tool` line in the stdlib sources. A crude scan,
    /// enough for the declarations there (no commas or parentheses inside defaults).
    fn declared() -> BTreeMap<String, Vec<String>> {
        let mut out = BTreeMap::new();
        for (_, src) in crate::stdlib::SOURCES {
            for line in src.lines() {
                let Some(rest) = line.strip_prefix("tool ") else {
                    continue;
                };
                let (name, rest) = rest.split_once('(').unwrap();
                let (params, _) = rest.split_once(')').unwrap();
                let params = params
                    .split(',')
                    .map(|p| p.split(':').next().unwrap().trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect();
                out.insert(name.trim().to_owned(), params);
            }
        }
        out
    }

    #[test]
    fn registry_matches_stdlib_declarations() {
        let declared = declared();
        let implemented: BTreeMap<String, Vec<String>> = ALL
            .iter()
            .flat_map(|set| set.iter())
            .map(|b| {
                (
                    b.name.to_owned(),
                    b.params.iter().map(|p| (*p).to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(declared, implemented);
        let table = super::super::ToolTable::builtins();
        assert_eq!(table.len(), declared.len());
        assert!(table.keys().eq(declared.keys()));
    }

    #[test]
    fn lookup_and_timeouts() {
        let r = super::super::ToolTable::builtins();
        assert_eq!(r.tool("fs.read").unwrap().name(), "fs.read");
        assert!(r.tool("fs.reed").is_none());
        assert_eq!(
            r.tool("shell.run").unwrap().timeout(),
            Duration::from_secs(60)
        );
        assert_eq!(
            r.tool("time.sleep").unwrap().timeout(),
            Duration::from_secs(3600)
        );
        assert_eq!(
            r.tool("text.trim").unwrap().timeout(),
            Duration::from_secs(10)
        );
    }
}
