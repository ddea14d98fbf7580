//! Checking tool calls and interpolated strings.

use super::hir::{TExpr, TExprKind, TPart};
use super::suggest::closest;
use super::trace::Checker;
use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::{Access, Call, StrLit, StrPart};
use crate::types::{Effect, Type};
use crate::value::Value;

impl Checker<'_> {
    pub(super) fn call(&mut self, call: &Call, span: Span) -> TExpr {
        // The table outlives the checker: its declarations are borrowed, not copied.
        let tools = self.tools;
        let Some(decl) = tools.get(&call.tool.name) else {
            let mut d = Diagnostic::error(
                "unknown-tool",
                call.tool.span,
                format!("unknown tool `{}`", call.tool.name),
            )
            .label("no such tool");
            d = match closest(&call.tool.name, self.tools.keys().map(String::as_str)) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("`llmos tools` lists every tool"),
            };
            self.diags.push(d);
            // Still check the arguments, for the names they use.
            for a in &call.args {
                self.expr(&a.value);
            }
            return TExpr {
                kind: TExprKind::Const(Value::Null),
                ty: Type::Json,
                span,
            };
        };
        if decl.effects.contains(Effect::Clock) {
            self.diags.push(
                Diagnostic::warning(
                    "clock-effect",
                    call.tool.span,
                    format!(
                        "`{}` reads the clock: the trace is not reproducible",
                        decl.name
                    ),
                )
                .label("results differ between runs")
                .help("runs need `--allow clock`"),
            );
        }
        self.effects = self.effects.union(decl.effects);
        let mut slots: Vec<Option<TExpr>> = vec![None; decl.params.len()];
        let mut seen: Vec<Option<Span>> = vec![None; decl.params.len()];
        for a in &call.args {
            let value = self.expr(&a.value);
            let Some((i, p)) = decl.param(&a.name.name) else {
                let mut d = Diagnostic::error(
                    "unknown-argument",
                    a.name.span,
                    format!("`{}` has no parameter `{}`", decl.name, a.name.name),
                )
                .label("unknown argument");
                d = match closest(&a.name.name, decl.params.iter().map(|p| p.name.as_str())) {
                    Some(s) => d.help(format!(
                        "did you mean `{s}`? the signature is `{}`",
                        decl.signature()
                    )),
                    None => d.help(format!("the signature is `{}`", decl.signature())),
                };
                self.diags.push(d);
                continue;
            };
            if let Some(first) = seen[i] {
                self.diags.push(
                    Diagnostic::error(
                        "repeated-argument",
                        a.name.span,
                        format!("argument `{}` is given twice", a.name.name),
                    )
                    .label("given again here")
                    .secondary(first, "first given here"),
                );
                continue;
            }
            seen[i] = Some(a.name.span);
            self.expect(&p.ty, &value, || {
                format!("`{}` takes `{}: {}`", decl.name, p.name, p.ty)
            });
            slots[i] = Some(value);
        }
        let mut args = Vec::with_capacity(slots.len());
        let mut missing = Vec::new();
        for (slot, p) in slots.into_iter().zip(&decl.params) {
            match (slot, &p.default) {
                (Some(v), _) => args.push(v),
                (None, Some(d)) => args.push(TExpr {
                    kind: TExprKind::Const(d.clone()),
                    ty: p.ty.clone(),
                    span: call.tool.span,
                }),
                (None, None) => missing.push(format!("`{}: {}`", p.name, p.ty)),
            }
        }
        if !missing.is_empty() {
            let s = if missing.len() == 1 { "" } else { "s" };
            self.diags.push(
                Diagnostic::error(
                    "missing-argument",
                    call.tool.span,
                    format!(
                        "`{}` is missing argument{s} {}",
                        decl.name,
                        missing.join(", ")
                    ),
                )
                .label(format!("missing {}", missing.join(", ")))
                .help(format!("the signature is `{}`", decl.signature())),
            );
            return TExpr {
                kind: TExprKind::Const(Value::Null),
                ty: decl.ret.clone(),
                span,
            };
        }
        TExpr {
            kind: TExprKind::Call {
                tool: decl.name.clone(),
                args,
            },
            ty: decl.ret.clone(),
            span,
        }
    }

    /// The parts of an interpolated string, each `{name.path}` resolved and typed.
    pub(super) fn template(&mut self, s: &StrLit) -> Vec<TPart> {
        let mut parts = Vec::with_capacity(s.parts.len());
        for part in &s.parts {
            match part {
                StrPart::Text(t) => parts.push(TPart::Text(t.clone())),
                StrPart::Interp(interp) => {
                    let Some((def, ty)) = self.lookup(&interp.root) else {
                        continue;
                    };
                    let mut e = TExpr {
                        kind: self.def_kind(def),
                        ty,
                        span: interp.root.span,
                    };
                    for access in &interp.path {
                        e = self.access(e, access);
                    }
                    parts.push(TPart::Value(e));
                }
            }
        }
        parts
    }

    fn access(&mut self, base: TExpr, access: &Access) -> TExpr {
        match access {
            Access::Field(f) => {
                if base.ty != Type::Json {
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            f.span,
                            format!(
                                "field `.{}` needs a `json` value, found `{}`",
                                f.name, base.ty
                            ),
                        )
                        .label(format!("the value is `{}`", base.ty)),
                    );
                }
                let span = base.span.to(f.span);
                TExpr {
                    kind: TExprKind::Field(Box::new(base), f.name.clone()),
                    ty: Type::Json,
                    span,
                }
            }
            Access::Index(i, ispan) => {
                let ty = match &base.ty {
                    Type::List(elem) => (**elem).clone(),
                    Type::Json => Type::Json,
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                "type-mismatch",
                                *ispan,
                                format!("indexing needs a list or `json` value, found `{other}`"),
                            )
                            .label("cannot index this"),
                        );
                        Type::Json
                    }
                };
                let index = TExpr {
                    kind: TExprKind::Const(Value::from(*i)),
                    ty: Type::Int,
                    span: *ispan,
                };
                let span = base.span.to(*ispan);
                TExpr {
                    kind: TExprKind::Index(Box::new(base), Box::new(index)),
                    ty,
                    span,
                }
            }
        }
    }
}
