//! Checking blocks: `for` and `if`, the names a block defines and where they are seen.
//!
//! A block sees every name defined before it; the names it defines (its loop variable,
//! its `let`s) are local to it: they may not shadow a visible name, and once the block
//! ends they are gone (a use after it is `out-of-scope`). Sibling blocks may reuse a name.

use super::hir::{LocalDef, StepDef, TBlock, TExpr, TExprKind};
use super::lints;
use super::trace::{Checker, Def};
use crate::bytecode::format::MAX_BLOCK_DEPTH;
use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::{self, Ident, ItemKind};
use crate::types::Type;
use crate::value::Value;

/// Words of expressions that cannot name a `let` or `param`.
pub const KEYWORDS: &[&str] = &["for", "in", "if", "else", "expect", "and", "or", "not"];

/// Reports `name` when it is a keyword; true when it is.
pub(super) fn reserved(c: &mut Checker<'_>, name: &Ident) -> bool {
    if !KEYWORDS.contains(&name.name.as_str()) {
        return false;
    }
    c.diags.push(
        Diagnostic::error(
            "reserved-name",
            name.span,
            format!("`{}` is a keyword and cannot name a value", name.name),
        )
        .label("keyword")
        .help(format!(
            "choose another name, such as `{}_value`; the keywords are {}",
            name.name,
            KEYWORDS.join(", ")
        )),
    );
    true
}

/// Records an `ask` slot's name: `--set NAME=...` fills a slot by name, so two slots
/// (in sibling blocks, say) may not share one.
pub(super) fn slot_name(c: &mut Checker<'_>, name: &Ident) {
    if let Some(first) = c.slot_names.get(&name.name) {
        let first = *first;
        c.diags.push(
            Diagnostic::error(
                "duplicate-name",
                name.span,
                format!("`{}` already names an `ask` slot", name.name),
            )
            .label("second slot of this name")
            .secondary(first, "first slot")
            .help("slots are filled by name (`--set NAME=...`): give each `ask` its own name"),
        );
        return;
    }
    c.slot_names.insert(name.name.clone(), name.span);
}

impl Checker<'_> {
    /// A new local (loop variable or block `let`).
    pub(super) fn new_local(&mut self, name: &Ident, ty: &Type) -> Def {
        self.locals.push(LocalDef {
            name: name.name.clone(),
            ty: ty.clone(),
            span: name.span,
        });
        Def::Local(self.locals.len() - 1)
    }

    /// Enters one more level of blocks; false (reported) past [`MAX_BLOCK_DEPTH`].
    pub(super) fn enter_block(&mut self, span: Span) -> bool {
        self.block_depth += 1;
        if self.block_depth <= MAX_BLOCK_DEPTH {
            return true;
        }
        if self.block_depth == MAX_BLOCK_DEPTH + 1 {
            self.diags.push(
                Diagnostic::error(
                    "nesting-too-deep",
                    span,
                    format!("blocks nested more than {MAX_BLOCK_DEPTH} deep"),
                )
                .label("too deep here")
                .help("move inner work into `let` steps before the block"),
            );
        }
        false
    }

    /// `for var in list { body }`: a `list<T>` of the body's type, one per element.
    pub(super) fn for_expr(&mut self, f: &ast::For, span: Span) -> TExpr {
        let list = self.expr(&f.list);
        let elem = match &list.ty {
            Type::List(t) => (**t).clone(),
            Type::Json => Type::Json,
            other => {
                self.diags.push(
                    Diagnostic::error(
                        "type-mismatch",
                        list.span,
                        format!("type mismatch: `for` goes over a list, found `{other}`"),
                    )
                    .label(format!("this is `{other}`"))
                    .help("iterate over a `list<...>` or a `json` list"),
                );
                Type::Json
            }
        };
        let (body, var) = self.block(&f.body, Some((&f.var, elem)));
        let ty = Type::List(Box::new(body.value.ty.clone()));
        TExpr {
            kind: TExprKind::For {
                var: var.unwrap_or_default(),
                list: Box::new(list),
                body,
            },
            ty,
            span,
        }
    }

    /// Arm `arm` of an `if` and what follows it (`else if` arms become nested `if`s in
    /// an `else` block).
    pub(super) fn if_expr(&mut self, i: &ast::If, arm: usize, span: Span) -> TExpr {
        let Some((cond, block)) = i.arms.get(arm) else {
            return TExpr {
                kind: TExprKind::Const(Value::Null),
                ty: Type::Json,
                span,
            };
        };
        let cond = self.condition(cond, "an `if` condition");
        let then = self.block(block, None).0;
        let otherwise = if arm + 1 < i.arms.len() {
            let rest = Span {
                start: i.arms[arm + 1].0.span.start,
                end: span.end,
            };
            let ok = self.enter_block(rest);
            let next = self.if_expr(i, arm + 1, rest);
            self.block_depth -= 1;
            ok.then(|| TBlock {
                steps: Vec::new(),
                value: Box::new(next),
            })
        } else {
            i.otherwise.as_ref().map(|b| self.block(b, None).0)
        };
        let ty = match &otherwise {
            None => Type::Json,
            Some(o) => match then.value.ty.branch_join(&o.value.ty) {
                Some(t) => t,
                None => {
                    self.diags.push(
                        Diagnostic::error(
                            "branch-types",
                            o.value.span,
                            format!(
                                "the branches of `if` differ: `{}` and `{}`",
                                then.value.ty, o.value.ty
                            ),
                        )
                        .label(format!("this branch gives `{}`", o.value.ty))
                        .secondary(
                            then.value.span,
                            format!("this branch gives `{}`", then.value.ty),
                        )
                        .help("both branches must give values of one type"),
                    );
                    Type::Json
                }
            },
        };
        TExpr {
            kind: TExprKind::If {
                cond: Box::new(cond),
                then,
                otherwise,
            },
            ty,
            span,
        }
    }

    /// Checks a block, its loop variable `var` defined first; gives the block and the
    /// variable's local.
    pub(super) fn block(
        &mut self,
        b: &ast::Block,
        var: Option<(&Ident, Type)>,
    ) -> (TBlock, Option<usize>) {
        let ok = self.enter_block(b.span);
        let before = self.block_names.len();
        let var = var.map(|(id, ty)| {
            let def = self.new_local(id, &ty);
            self.define(id, def, &ty);
            // A loop variable need not be used (`for _ in ...`): count it as used.
            *self.uses.entry(def).or_default() += 1;
            match def {
                Def::Local(i) => i,
                _ => 0,
            }
        });
        let (value_item, steps_items) = match b.items.split_last() {
            Some((last, rest)) if matches!(last.kind, ItemKind::Expr(_)) => (Some(last), rest),
            _ => (None, &b.items[..]),
        };
        let mut steps = Vec::with_capacity(steps_items.len());
        if ok {
            for item in steps_items {
                match &item.kind {
                    ItemKind::Let(l) => steps.push(self.let_step(l, item, Def::Local(0))),
                    _ => steps.extend(self.plain_step(item)),
                }
            }
        }
        let value = match value_item.map(|i| &i.kind) {
            Some(ItemKind::Expr(e)) if ok => self.expr(e),
            _ => {
                if ok && !b.broken {
                    let at = b.items.last().map_or(b.span, |i| i.span);
                    self.diags.push(
                        Diagnostic::error(
                            "block-value",
                            at,
                            "a block must end with an expression: its value",
                        )
                        .label("the block ends here")
                        .help("add the value as the last line of the block, e.g. `text`"),
                    );
                }
                TExpr {
                    kind: TExprKind::Const(Value::Null),
                    ty: Type::Json,
                    span: b.span,
                }
            }
        };
        self.leave_block(before);
        (
            TBlock {
                steps,
                value: Box::new(value),
            },
            var,
        )
    }

    /// Ends a block, whose names are those of `block_names` from `first` on: they are
    /// linted (in name order) and leave the scope.
    fn leave_block(&mut self, first: usize) {
        self.block_depth -= 1;
        let mut defined = self.block_names.split_off(first);
        defined.sort_unstable();
        lints::unused_names(self, &defined);
        for name in defined {
            if let Some((_, span)) = self.scope.remove(&name) {
                self.out_of_scope.insert(name, span);
            }
        }
    }

    /// A step that defines no name: a bare expression or an `expect`.
    pub(super) fn plain_step(&mut self, item: &ast::Item) -> Option<StepDef> {
        let (kind, ty) = match &item.kind {
            ItemKind::Expr(e) => {
                let te = self.expr(e);
                let ty = te.ty.clone();
                (super::hir::StepKind::Expr(te), ty)
            }
            ItemKind::Expect(x) => (self.expect_step(x), Type::Bool),
            _ => return None,
        };
        Some(StepDef {
            name: None,
            local: None,
            ty,
            kind,
            doc: None,
            span: item.span,
        })
    }
}
