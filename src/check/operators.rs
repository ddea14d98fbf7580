//! Checking conditions and their operators: comparisons, `and`, `or`, `not`, and the
//! `expect` statement.

use super::hir::{StepKind, TExpr, TExprKind};
use super::trace::Checker;
use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::{self, Expr};
use crate::types::{CmpOp, LogicOp, Type};

impl Checker<'_> {
    /// A value used as a condition: a `bool`, or a `json` value checked at run time.
    pub(super) fn condition(&mut self, e: &Expr, what: &str) -> TExpr {
        let t = self.expr(e);
        if !matches!(t.ty, Type::Bool | Type::Json) {
            self.diags.push(
                Diagnostic::error(
                    "condition-type",
                    t.span,
                    format!("{what} must be a `bool`, found `{}`", t.ty),
                )
                .label(format!("this is `{}`", t.ty))
                .help("compare it, e.g. `x != \"\"` or `list.len(items: x) > 0`"),
            );
        }
        t
    }

    /// `a OP b`: a `bool`; the operands must be comparable (see [`Type::comparable`]).
    pub(super) fn compare(&mut self, a: &Expr, op: CmpOp, b: &Expr, span: Span) -> TExpr {
        let l = self.expr(a);
        let r = self.expr(b);
        if !l.ty.comparable(&r.ty, op) {
            let message = if l.ty.comparable(&r.ty, CmpOp::Eq) {
                format!(
                    "`{}` needs numbers or text, found `{}` and `{}`",
                    op.as_str(),
                    l.ty,
                    r.ty
                )
            } else {
                format!("cannot compare `{}` with `{}`", l.ty, r.ty)
            };
            self.diags.push(
                Diagnostic::error("compare-types", span, message)
                    .label(format!("`{}` {} `{}`", l.ty, op.as_str(), r.ty))
                    .help(
                        "compare numbers with numbers and text with text; \
                         `text.len` and `list.len` give numbers",
                    ),
            );
        }
        TExpr {
            kind: TExprKind::Compare(op, Box::new(l), Box::new(r)),
            ty: Type::Bool,
            span,
        }
    }

    /// `a and b and ...`, `a or b or ...`: operands after the first are evaluated only
    /// when the ones before do not decide (they compile to blocks).
    pub(super) fn logic(&mut self, op: LogicOp, items: &[Expr], span: Span) -> TExpr {
        let what = format!("an operand of `{}`", op.as_str());
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if i == 1 && !self.enter_block(span) {
                self.block_depth -= 1;
                break;
            }
            out.push(self.condition(item, &what));
        }
        if out.len() > 1 {
            self.block_depth -= 1;
        }
        TExpr {
            kind: TExprKind::Logic(op, out),
            ty: Type::Bool,
            span,
        }
    }

    /// `not a`
    pub(super) fn not(&mut self, inner: &Expr, span: Span) -> TExpr {
        let t = self.condition(inner, "the operand of `not`");
        TExpr {
            kind: TExprKind::Not(Box::new(t)),
            ty: Type::Bool,
            span,
        }
    }

    /// `expect COND, "message"`
    pub(super) fn expect_step(&mut self, x: &ast::Expect) -> StepKind {
        let cond = self.condition(&x.cond, "an `expect` condition");
        let message = x.message.as_ref().map(|m| self.template(m));
        StepKind::Expect { cond, message }
    }
}
