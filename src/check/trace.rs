//! Checking a trace: item order, names, types. Produces the typed program.

use std::collections::BTreeMap;

// The name tables hash with foldhash, seeded per process (source text is untrusted
// input): SipHash dominated them on long traces.
use foldhash::HashMap;

use super::ToolTable;
use super::hir::*;
use super::lints;
use super::literal::const_value;
use super::suggest::closest;
use crate::diag::{Diagnostic, Span};
use crate::syntax::ast::{self, Expr, ExprKind, ItemKind, LetValue, StrLit};
use crate::types::{Effect, EffectSet, Type};
use crate::value::Value;

/// What a name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Def {
    Param(usize),
    Step(usize),
    /// A loop variable or a block's `let` (index into `Program::locals`).
    Local(usize),
}

pub(super) struct Checker<'a> {
    pub tools: &'a ToolTable,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Names defined so far, with where. (Hash maps: a trace may define 100,000 names,
    /// and nothing is taken from them in their order.)
    pub scope: HashMap<String, (Def, Span)>,
    /// The names blocks under way have defined so far, innermost last (each block
    /// takes its own off when it ends).
    pub block_names: Vec<String>,
    /// Every name the trace defines anywhere (to tell "defined later" from "undefined").
    pub all_defs: HashMap<&'a str, Span>,
    /// Names defined by statements that did not parse: their uses are not reported.
    pub broken: Vec<String>,
    /// The type of each definition.
    pub def_types: HashMap<Def, Type>,
    /// How often each definition is used.
    pub uses: HashMap<Def, usize>,
    pub effects: EffectSet,
    /// Names defined in blocks so far.
    pub locals: Vec<LocalDef>,
    /// Names of blocks that have ended, with where they were defined (to tell "defined
    /// inside a block" from "undefined").
    pub out_of_scope: BTreeMap<String, Span>,
    /// How deep the blocks being checked nest, as the compiled program will nest them.
    pub block_depth: usize,
    /// The names of `ask` slots so far (unique in a trace, blocks included).
    pub slot_names: BTreeMap<String, Span>,
}

pub(super) fn check_trace(
    file: &ast::File,
    tools: &ToolTable,
    diags: &mut Vec<Diagnostic>,
) -> Option<Program> {
    let mut all_defs = HashMap::with_capacity_and_hasher(file.items.len(), Default::default());
    let broken: Vec<String> = file.broken_names.clone();
    for item in &file.items {
        match &item.kind {
            ItemKind::Param(p) => {
                all_defs.entry(p.name.name.as_str()).or_insert(p.name.span);
            }
            ItemKind::Let(l) => {
                all_defs.entry(l.name.name.as_str()).or_insert(l.name.span);
            }
            _ => {}
        }
    }
    let mut c = Checker {
        tools,
        diags,
        scope: HashMap::with_capacity_and_hasher(file.items.len(), Default::default()),
        block_names: Vec::new(),
        all_defs,
        broken,
        def_types: HashMap::with_capacity_and_hasher(file.items.len(), Default::default()),
        uses: HashMap::with_capacity_and_hasher(file.items.len(), Default::default()),
        effects: EffectSet::EMPTY,
        locals: Vec::new(),
        out_of_scope: BTreeMap::new(),
        block_depth: 0,
        slot_names: BTreeMap::new(),
    };
    let mut name: Option<String> = None;
    let mut goal: Option<(StrLit, Span)> = None;
    let mut params: Vec<ParamDef> = Vec::new();
    let mut steps: Vec<StepDef> = Vec::with_capacity(file.items.len());
    let mut ret: Option<(TExpr, Span)> = None;
    // 0: expect `trace`; 1: goal allowed; 2: params allowed; 3: steps.
    let mut phase = 0;

    for item in &file.items {
        if let Some((_, ret_span)) = &ret {
            c.diags.push(
                Diagnostic::error(
                    "return-not-last",
                    *ret_span,
                    "`return` must be the last statement",
                )
                .label("return here")
                .secondary(item.span, "but this follows it"),
            );
            ret = None;
        }
        if phase == 0 && !matches!(item.kind, ItemKind::Trace(_)) {
            c.diags.push(
                Diagnostic::error(
                    "missing-trace",
                    item.span,
                    "a trace must start with `trace NAME`",
                )
                .label("expected `trace NAME` before this")
                .help("add a first line such as `trace my_task`"),
            );
            phase = 1;
        }
        match &item.kind {
            ItemKind::Trace(id) => {
                if phase > 0 {
                    c.order_error(
                        item.span,
                        "`trace NAME` must be the first item, and only once",
                    );
                } else {
                    name = Some(id.name.clone());
                    phase = 1;
                }
            }
            ItemKind::Goal(s) => {
                if phase != 1 {
                    c.order_error(item.span, "`goal` must come right after `trace NAME`");
                } else {
                    goal = Some((s.clone(), item.span));
                }
                phase = phase.max(2);
            }
            ItemKind::Param(p) => {
                if phase > 2 {
                    c.order_error(item.span, "a `param` must come before the first step");
                }
                phase = phase.max(2);
                let def = c.param(p, item.doc.clone(), params.len());
                if let Some(def) = def {
                    params.push(def);
                }
            }
            ItemKind::Tool(t) => c.diags.push(
                Diagnostic::error(
                    "item-order",
                    t.name.span,
                    "tool declarations belong in a declaration file, not in a trace",
                )
                .label("declaration in a trace"),
            ),
            ItemKind::Let(l) => {
                phase = 3;
                let step = c.let_step(l, item, Def::Step(steps.len()));
                steps.push(step);
            }
            ItemKind::Expr(_) | ItemKind::Expect(_) => {
                phase = 3;
                if let Some(step) = c.plain_step(item) {
                    steps.push(step);
                }
            }
            ItemKind::Return(e) => {
                phase = 3;
                let te = c.expr(e);
                ret = Some((te, item.span));
            }
        }
    }
    if name.is_none() && phase == 0 {
        c.diags.push(
            Diagnostic::error("missing-trace", Span::new(0, 0), "expected `trace NAME`")
                .label("here"),
        );
    }
    let goal_text = goal
        .as_ref()
        .map(|(s, span)| lints::goal(&mut c, s, *span, &params));
    lints::unused(&mut c);
    if goal.is_some() {
        lints::params_not_in_goal(&mut c, goal.as_ref().map(|g| &g.0), &params);
    }
    Some(Program {
        name: name.unwrap_or_default(),
        goal: goal_text,
        params,
        steps,
        ret: ret.map(|(e, _)| e),
        effects: c.effects,
        locals: c.locals,
    })
}

impl Checker<'_> {
    fn order_error(&mut self, span: Span, msg: &str) {
        self.diags.push(
            Diagnostic::error("item-order", span, msg.to_owned())
                .label("out of order")
                .help("items go in this order: trace, goal, params, steps, return"),
        );
    }

    pub(super) fn define(&mut self, name: &ast::Ident, def: Def, ty: &Type) -> bool {
        if super::blocks::reserved(self, name) {
            return false;
        }
        if let Some((_, first)) = self.scope.get(&name.name) {
            let first = *first;
            self.diags.push(
                Diagnostic::error(
                    "duplicate-name",
                    name.span,
                    format!("`{}` is defined twice", name.name),
                )
                .label("defined again here")
                .secondary(first, "first defined here")
                .help("names are unique in a trace: choose another name"),
            );
            return false;
        }
        self.scope.insert(name.name.clone(), (def, name.span));
        if self.block_depth > 0 {
            self.block_names.push(name.name.clone());
        }
        self.def_types.insert(def, ty.clone());
        true
    }

    fn param(&mut self, p: &ast::Param, doc: Option<String>, index: usize) -> Option<ParamDef> {
        let ty = p.ty.ty.clone()?;
        let default = p.default.as_ref().and_then(|e| match const_value(e) {
            Some(v) => match crate::value::coerce(v, &ty) {
                Ok(v) => Some(v),
                Err(why) => {
                    self.diags.push(
                        Diagnostic::error(
                            "bad-default",
                            e.span,
                            format!(
                                "default of param `{}` has the wrong type: {why}",
                                p.name.name
                            ),
                        )
                        .label(format!("expected `{ty}`")),
                    );
                    None
                }
            },
            None => {
                self.diags.push(
                    Diagnostic::error("bad-default", e.span, "a default must be a literal value")
                        .label("not a literal")
                        .help("use a string, number, boolean, null, list or object literal"),
                );
                None
            }
        });
        if !self.define(&p.name, Def::Param(index), &ty) {
            return None;
        }
        Some(ParamDef {
            name: p.name.name.clone(),
            ty,
            default,
            doc,
            span: p.name.span,
        })
    }

    /// A `let` step that defines `def` (a top-level step, or a local of a block).
    pub(super) fn let_step(&mut self, l: &ast::Let, item: &ast::Item, def: Def) -> StepDef {
        let declared = l.ty.as_ref().and_then(|t| t.ty.clone());
        let (kind, ty) = match &l.value {
            LetValue::Ask(prompt) => {
                self.effects.insert(Effect::Llm);
                super::blocks::slot_name(self, &l.name);
                let parts = self.template(prompt);
                (StepKind::Ask(parts), declared.unwrap_or(Type::Str))
            }
            LetValue::Expr(e) => {
                let te = self.expr(e);
                let ty = match declared {
                    Some(t) => {
                        self.expect(&t, &te, || format!("`{}` is declared `{t}`", l.name.name));
                        t
                    }
                    None => te.ty.clone(),
                };
                (StepKind::Expr(te), ty)
            }
        };
        // Defined after its value is checked: `let x = f(x)` refers to nothing.
        let def = match def {
            Def::Local(_) => self.new_local(&l.name, &ty),
            other => other,
        };
        let name = if self.define(&l.name, def, &ty) {
            Some(l.name.name.clone())
        } else {
            None
        };
        StepDef {
            name,
            local: match def {
                Def::Local(i) => Some(i),
                _ => None,
            },
            ty,
            kind,
            doc: item.doc.clone(),
            span: item.span,
        }
    }

    /// Reports a type mismatch when `found` is not accepted where `expected` is wanted.
    pub(super) fn expect(
        &mut self,
        expected: &Type,
        found: &TExpr,
        context: impl FnOnce() -> String,
    ) {
        if !expected.accepts(&found.ty) {
            self.diags.push(
                Diagnostic::error(
                    "type-mismatch",
                    found.span,
                    format!("type mismatch: expected `{expected}`, found `{}`", found.ty),
                )
                .label(format!("this is `{}`", found.ty))
                .help(context()),
            );
        }
    }

    pub(super) fn lookup(&mut self, id: &ast::Ident) -> Option<(Def, Type)> {
        match self.scope.get(&id.name) {
            Some((def, _)) => {
                let def = *def;
                *self.uses.entry(def).or_default() += 1;
                Some((def, self.def_types.get(&def).cloned().unwrap_or(Type::Json)))
            }
            None if self.broken.contains(&id.name) => None,
            None => {
                let d = if let Some(at) = self.out_of_scope.get(&id.name) {
                    Diagnostic::error(
                        "out-of-scope",
                        id.span,
                        format!("`{}` is defined inside a block and is not visible here", id.name),
                    )
                    .label("used outside its block")
                    .secondary(*at, "defined here, inside a block")
                    .help("a block's names are local to it: use the block's value instead (`let x = for ... { ... }`)")
                } else if let Some(at) = self.all_defs.get(id.name.as_str()) {
                    Diagnostic::error(
                        "later-name",
                        id.span,
                        format!("`{}` is used before it is defined", id.name),
                    )
                    .label("used here")
                    .secondary(*at, "defined here, later")
                    .help("steps run in source order: move the definition above this use")
                } else {
                    let mut d = Diagnostic::error(
                        "undefined-name",
                        id.span,
                        format!("`{}` is not defined", id.name),
                    )
                    .label("not defined");
                    if let Some(s) = closest(&id.name, self.scope.keys().map(String::as_str)) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    d
                };
                self.diags.push(d);
                None
            }
        }
    }

    pub(super) fn expr(&mut self, e: &Expr) -> TExpr {
        let (kind, ty) = match &e.kind {
            ExprKind::Str(s) => match s.as_plain() {
                Some(text) => (TExprKind::Const(Value::String(text)), Type::Str),
                None => (TExprKind::Template(self.template(s)), Type::Str),
            },
            ExprKind::Int(i) => (TExprKind::Const(Value::from(*i)), Type::Int),
            ExprKind::Float(f) => (TExprKind::Const(Value::from(*f)), Type::Float),
            ExprKind::Bool(b) => (TExprKind::Const(Value::Bool(*b)), Type::Bool),
            ExprKind::Null => (TExprKind::Const(Value::Null), Type::Json),
            ExprKind::Paren(inner) => return self.expr(inner),
            ExprKind::List(items) => {
                let items: Vec<TExpr> = items.iter().map(|i| self.expr(i)).collect();
                let elem = items
                    .iter()
                    .map(|i| i.ty.clone())
                    .reduce(|a, b| a.join(&b))
                    .unwrap_or(Type::Json);
                (TExprKind::List(items), Type::List(Box::new(elem)))
            }
            ExprKind::Object(entries) => {
                let mut out: Vec<(String, TExpr)> = Vec::with_capacity(entries.len());
                // A set, not a scan of `out`: an object of 100,000 keys must stay linear.
                let mut seen = std::collections::HashSet::with_capacity(entries.len());
                for (k, v) in entries {
                    if !seen.insert(k.name.as_str()) {
                        self.diags.push(
                            Diagnostic::error(
                                "duplicate-name",
                                k.span,
                                format!("key `{}` appears twice", k.name),
                            )
                            .label("repeated key"),
                        );
                    }
                    out.push((k.name.clone(), self.expr(v)));
                }
                (TExprKind::Object(out), Type::Json)
            }
            ExprKind::Ref(id) => match self.lookup(id) {
                Some((def, ty)) => (self.def_kind(def), ty),
                None => (TExprKind::Const(Value::Null), Type::Json),
            },
            ExprKind::Field(base, field) => {
                let b = self.expr(base);
                if b.ty != Type::Json {
                    self.diags.push(
                        Diagnostic::error(
                            "type-mismatch",
                            field.span,
                            format!(
                                "field `.{}` needs a `json` value, found `{}`",
                                field.name, b.ty
                            ),
                        )
                        .label(format!("the value is `{}`", b.ty))
                        .help("fields exist only on `json` values (objects)"),
                    );
                }
                (
                    TExprKind::Field(Box::new(b), field.name.clone()),
                    Type::Json,
                )
            }
            ExprKind::Index(base, index) => {
                let b = self.expr(base);
                let i = self.expr(index);
                let ty = match &b.ty {
                    Type::List(elem) => {
                        self.expect(&Type::Int, &i, || "a list index is an `int`".to_owned());
                        (**elem).clone()
                    }
                    Type::Json => {
                        if !matches!(i.ty, Type::Int | Type::Str | Type::Path | Type::Json) {
                            self.expect(&Type::Int, &i, || {
                                "an index is an `int`, or a `str` key".to_owned()
                            });
                        }
                        Type::Json
                    }
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                "type-mismatch",
                                i.span,
                                format!("indexing needs a list or `json` value, found `{other}`"),
                            )
                            .label("cannot index this"),
                        );
                        Type::Json
                    }
                };
                (TExprKind::Index(Box::new(b), Box::new(i)), ty)
            }
            ExprKind::Call(call) => return self.call(call, e.span),
            ExprKind::For(f) => return self.for_expr(f, e.span),
            ExprKind::If(i) => return self.if_expr(i, 0, e.span),
            ExprKind::Compare(a, op, b) => return self.compare(a, *op, b, e.span),
            ExprKind::Logic(op, items) => return self.logic(*op, items, e.span),
            ExprKind::Not(inner) => return self.not(inner, e.span),
        };
        TExpr {
            kind,
            ty,
            span: e.span,
        }
    }

    pub(super) fn def_kind(&self, def: Def) -> TExprKind {
        match def {
            Def::Param(i) => TExprKind::Param(i),
            Def::Step(i) => TExprKind::Step(i),
            Def::Local(i) => TExprKind::Local(i),
        }
    }
}
