//! The pest grammar (`grammar/llt.pest`) and the lowering of its parse tree to the AST.
//! pest types never leave this file.

use pest::Parser as _;
use pest::iterators::Pair;

use super::ast::*;
use crate::diag::{Diagnostic, Span};
use crate::types::Type;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/llt.pest"]
struct LltParser;

/// Deepest expression tree accepted (nested brackets, postfix chains, `not`s, blocks),
/// so that no input can exhaust the stack of the checker, printer or compiler. Bracket
/// nesting alone is bounded lower, by the lexer.
pub const MAX_EXPR_DEPTH: usize = 128;

/// Longest chain of `and`/`or` operands, `else if` arms or `not`s: each may become a
/// nested block or op when compiled.
pub const MAX_CHAIN: usize = 64;

/// Parses one statement, `text`, found at byte `base` of the file. Names defined by
/// statements of blocks that do not parse go to `broken`.
pub(super) fn parse_statement(
    text: &str,
    base: usize,
    diags: &mut Vec<Diagnostic>,
    broken: &mut Vec<String>,
) -> Option<(ItemKind, Span)> {
    let mut l = Lower {
        base,
        diags,
        broken,
        depth: 0,
        too_deep: false,
    };
    l.statement(Rule::stmt, text, base)
}

fn syntax_error(e: &pest::error::Error<Rule>, text: &str, base: usize) -> Diagnostic {
    let pos = match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let at_end = text[pos..].trim().is_empty();
    if at_end && let Some(open) = super::lexer::unclosed_bracket(text) {
        let bracket = &text[open..open + 1];
        return Diagnostic::error(
            "syntax",
            Span::new(base + open, base + open + 1),
            format!("syntax error: `{bracket}` is never closed"),
        )
        .label("opened here")
        .help(format!("close it with `{}`", closing(bracket)));
    }
    let found = text[pos..].chars().next();
    let word: String = text[pos..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let keyword = crate::check::KEYWORDS.contains(&word.as_str())
        || ["let", "param", "return", "ask", "trace", "goal", "tool"].contains(&word.as_str());
    let found_text = match found {
        None => "the end of the statement".to_owned(),
        Some('\n') => "the end of the line".to_owned(),
        Some(_) if keyword => format!("the keyword `{word}`"),
        Some(c) => format!("`{c}`"),
    };
    let mut expected: Vec<String> = match &e.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => describe(positives),
        pest::error::ErrorVariant::CustomError { message } => vec![message.clone()],
    };
    if let Some(attempts) = e.parse_attempts() {
        for token in attempts.expected_tokens() {
            // `ParsingToken` is not exported; its text is the literal for plain tokens.
            let token = token.to_string();
            if !token.is_empty()
                && token != "//"
                && token.len() <= 2
                && token.chars().all(|c| c.is_ascii_punctuation())
            {
                expected.push(format!("`{token}`"));
            }
        }
    }
    if expected.len() > 1 {
        // Operators that could extend a complete expression are rarely what was meant.
        expected.retain(|e| !OPERATORS.contains(&e.as_str()));
    }
    if expected.iter().any(|e| e == "an expression") {
        // Tokens that can start an expression add nothing to "an expression".
        expected.retain(|e| !matches!(e.as_str(), "`\"`" | "`(`" | "`-`" | "`[`" | "`{`"));
    }
    expected.retain(|e| e != "`_`");
    expected.sort();
    expected.dedup();
    let expected = match expected.split_last() {
        None => "something else".to_owned(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    };
    let end = pos + found.map_or(0, char::len_utf8);
    Diagnostic::error(
        "syntax",
        Span::new(base + pos, base + end),
        format!("syntax error: expected {expected}, found {found_text}"),
    )
    .label(format!("expected {expected}"))
}

/// Tokens that may follow any complete expression.
const OPERATORS: &[&str] = &[
    "`==`", "`!=`", "`<`", "`<=`", "`>`", "`>=`", "`and`", "`or`", "`.`", "`[`",
];

fn closing(open: &str) -> &'static str {
    match open {
        "(" => ")",
        "[" => "]",
        _ => "}",
    }
}

/// Human words for the rules the grammar wanted at the failure point.
fn describe(rules: &[Rule]) -> Vec<String> {
    rules
        .iter()
        .filter_map(|r| {
            Some(match r {
                Rule::expr
                | Rule::call
                | Rule::list
                | Rule::object
                | Rule::reference
                | Rule::for_expr
                | Rule::if_expr
                | Rule::and_expr
                | Rule::not_expr
                | Rule::cmp_expr
                | Rule::postfix_expr => "an expression",
                Rule::block => "a block `{ ... }`",
                Rule::kw_in => "`in`",
                Rule::kw_and => "`and`",
                Rule::kw_or => "`or`",
                Rule::cmp_op => "a comparison",
                Rule::number => "a number",
                Rule::plain_str | Rule::triple_str => "a string",
                Rule::ident | Rule::binding => "a name",
                Rule::tool_name => "a tool name like `fs.read`",
                Rule::type_expr | Rule::list_type => "a type",
                Rule::arg => "a named argument `name: value`",
                Rule::entry => "an object entry `\"key\": value`",
                Rule::EOI => "the end of the statement",
                Rule::kw_ask => "`ask`",
                Rule::effects | Rule::kw_effects => "`effects(...)`",
                Rule::stmt
                | Rule::trace_decl
                | Rule::goal_decl
                | Rule::param_decl
                | Rule::tool_decl
                | Rule::let_stmt
                | Rule::return_stmt
                | Rule::expect_stmt
                | Rule::block_stmt
                | Rule::expr_stmt => "a statement",
                _ => return None,
            })
        })
        .map(str::to_owned)
        .collect()
}

struct Lower<'d> {
    base: usize,
    diags: &'d mut Vec<Diagnostic>,
    broken: &'d mut Vec<String>,
    /// How deep the expression being lowered sits (see [`MAX_EXPR_DEPTH`]).
    depth: usize,
    /// Whether this statement was already reported too deep.
    too_deep: bool,
}

impl Lower<'_> {
    /// Parses `text` (at byte `base` of the file) with `rule`, a whole statement.
    fn statement(&mut self, rule: Rule, text: &str, base: usize) -> Option<(ItemKind, Span)> {
        match LltParser::parse(rule, text) {
            Ok(mut pairs) => {
                let stmt = pairs.next()?;
                let inner = stmt.into_inner().next()?;
                let outer = std::mem::replace(&mut self.base, base);
                let span = self.span(&inner);
                let kind = self.item(inner);
                self.base = outer;
                Some((kind?, span))
            }
            Err(e) => {
                // Parse again with pest's detailed tracking (slower, so only on failure) to
                // learn which tokens were expected.
                pest::set_error_detail(true);
                let detailed = LltParser::parse(rule, text).err();
                pest::set_error_detail(false);
                self.diags
                    .push(syntax_error(detailed.as_ref().unwrap_or(&e), text, base));
                None
            }
        }
    }

    /// Accounts for `n` more levels of nesting; false (reported once) past the limit.
    fn deeper(&mut self, n: usize, span: Span) -> bool {
        if self.depth + n <= MAX_EXPR_DEPTH {
            self.depth += n;
            return true;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.diags.push(
                Diagnostic::error(
                    "nesting-too-deep",
                    span,
                    format!("expression nested more than {MAX_EXPR_DEPTH} deep"),
                )
                .label("too deep here")
                .help("split the value into several `let` steps"),
            );
        }
        false
    }

    /// Reports a chain (`and`/`or` operands, `else if` arms, `not`s) longer than
    /// [`MAX_CHAIN`].
    fn chain_ok(&mut self, n: usize, span: Span, what: &str) -> bool {
        if n <= MAX_CHAIN {
            return true;
        }
        if !self.too_deep {
            self.too_deep = true;
            self.diags.push(
                Diagnostic::error(
                    "nesting-too-deep",
                    span,
                    format!("more than {MAX_CHAIN} {what} in one chain"),
                )
                .label("too long")
                .help("split the condition into several `let` steps"),
            );
        }
        false
    }

    fn span(&self, p: &Pair<'_, Rule>) -> Span {
        let s = p.as_span();
        Span::new(self.base + s.start(), self.base + s.end())
    }

    fn ident(&self, p: Pair<'_, Rule>) -> Ident {
        Ident {
            name: p.as_str().to_owned(),
            span: self.span(&p),
        }
    }

    fn item(&mut self, p: Pair<'_, Rule>) -> Option<ItemKind> {
        let rule = p.as_rule();
        let mut it = p.into_inner();
        Some(match rule {
            Rule::trace_decl => {
                it.next(); // kw
                ItemKind::Trace(self.ident(it.next()?))
            }
            Rule::goal_decl => {
                it.next();
                ItemKind::Goal(self.string(it.next()?))
            }
            Rule::param_decl => {
                it.next();
                let name = self.ident(it.next()?);
                let ty = self.type_expr(it.next()?);
                let default = it.next().map(|e| self.expr(e));
                ItemKind::Param(Param { name, ty, default })
            }
            Rule::tool_decl => {
                it.next();
                let name = self.ident(it.next()?);
                let mut params = Vec::new();
                let mut next = it.next()?;
                if next.as_rule() == Rule::tool_params {
                    for tp in next.into_inner() {
                        let mut t = tp.into_inner();
                        let name = self.ident(t.next()?);
                        let ty = self.type_expr(t.next()?);
                        let default = t.next().map(|e| self.expr(e));
                        params.push(ToolParam { name, ty, default });
                    }
                    next = it.next()?;
                }
                let ret = self.type_expr(next);
                let effects = it
                    .next()?
                    .into_inner()
                    .skip(1)
                    .map(|e| self.ident(e))
                    .collect();
                ItemKind::Tool(ToolItem {
                    name,
                    params,
                    ret,
                    effects,
                })
            }
            Rule::let_stmt => {
                it.next();
                let name = self.ident(it.next()?);
                let mut next = it.next()?;
                let ty = if next.as_rule() == Rule::type_expr {
                    let t = self.type_expr(next);
                    next = it.next()?;
                    Some(t)
                } else {
                    None
                };
                let value = if next.as_rule() == Rule::ask {
                    let mut a = next.into_inner();
                    a.next();
                    LetValue::Ask(self.string(a.next()?))
                } else {
                    LetValue::Expr(self.expr(next))
                };
                ItemKind::Let(Let { name, ty, value })
            }
            Rule::return_stmt => {
                it.next();
                ItemKind::Return(self.expr(it.next()?))
            }
            Rule::expect_stmt => {
                it.next();
                let cond = self.expr(it.next()?);
                let message = it.next().map(|m| self.string(m));
                ItemKind::Expect(Expect { cond, message })
            }
            Rule::expr_stmt => ItemKind::Expr(self.expr(it.next()?)),
            _ => return None,
        })
    }

    fn type_expr(&mut self, p: Pair<'_, Rule>) -> TypeExpr {
        let span = self.span(&p);
        let Some(inner) = p.into_inner().next() else {
            return TypeExpr { ty: None, span };
        };
        let ty = match inner.as_rule() {
            Rule::list_type => {
                let elem = inner.into_inner().nth(1).map(|t| self.type_expr(t));
                elem.and_then(|e| e.ty).map(|t| Type::List(Box::new(t)))
            }
            _ => {
                let name = inner.as_str();
                let ty = match name {
                    "str" => Some(Type::Str),
                    "int" => Some(Type::Int),
                    "float" => Some(Type::Float),
                    "bool" => Some(Type::Bool),
                    "path" => Some(Type::Path),
                    "json" => Some(Type::Json),
                    _ => None,
                };
                if ty.is_none() {
                    let mut d =
                        Diagnostic::error("unknown-type", span, format!("unknown type `{name}`"))
                            .label("not a type")
                            .help("types are str, int, float, bool, path, json and list<T>");
                    if name == "string" {
                        d = d.help("did you mean `str`?");
                    }
                    self.diags.push(d);
                }
                ty
            }
        };
        TypeExpr { ty, span }
    }

    fn null(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Null,
            span,
        }
    }

    /// `expr`: operands joined by `or`.
    fn expr(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        if !self.deeper(1, span) {
            return Self::null(span);
        }
        let e = self.logic(p, LogicOp::Or);
        self.depth -= 1;
        e
    }

    /// `expr` (joined by `or`) or `and_expr` (joined by `and`): one operand is itself,
    /// more are a [`ExprKind::Logic`].
    fn logic(&mut self, p: Pair<'_, Rule>, op: LogicOp) -> Expr {
        let span = self.span(&p);
        let operands: Vec<Pair<'_, Rule>> = p
            .into_inner()
            .filter(|q| !matches!(q.as_rule(), Rule::kw_or | Rule::kw_and))
            .collect();
        if !self.chain_ok(operands.len(), span, &format!("`{}` operands", op.as_str())) {
            return Self::null(span);
        }
        let mut items: Vec<Expr> = operands
            .into_iter()
            .map(|q| match q.as_rule() {
                Rule::and_expr => self.logic(q, LogicOp::And),
                _ => self.not(q),
            })
            .collect();
        if items.len() == 1 {
            return items.pop().unwrap_or_else(|| Self::null(span));
        }
        Expr {
            kind: ExprKind::Logic(op, items),
            span,
        }
    }

    /// `not_expr`: `not`s before a comparison.
    fn not(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut nots = Vec::new();
        let mut cmp = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::kw_not => nots.push(self.span(&q).start),
                _ => cmp = Some(q),
            }
        }
        let Some(cmp) = cmp else {
            return Self::null(span);
        };
        let n = nots.len();
        if !self.chain_ok(n, span, "`not`s") || !self.deeper(n, span) {
            return Self::null(span);
        }
        let mut e = self.compare(cmp);
        for start in nots.into_iter().rev() {
            e = Expr {
                span: Span {
                    start,
                    end: e.span.end,
                },
                kind: ExprKind::Not(Box::new(e)),
            };
        }
        self.depth -= n;
        e
    }

    /// `cmp_expr`: a postfix expression, maybe compared with another.
    fn compare(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return Self::null(span);
        };
        let lhs = self.postfix(first);
        let (Some(op), Some(rhs)) = (it.next(), it.next()) else {
            return lhs;
        };
        let op = CmpOp::parse(op.as_str()).unwrap_or(CmpOp::Eq);
        let rhs = self.postfix(rhs);
        Expr {
            kind: ExprKind::Compare(Box::new(lhs), op, Box::new(rhs)),
            span,
        }
    }

    /// `postfix_expr`: a primary followed by `.field` and `[index]`.
    fn postfix(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let mut it = p.into_inner();
        let Some(first) = it.next() else {
            return Self::null(span);
        };
        let posts: Vec<Pair<'_, Rule>> = it.collect();
        // The primary sits under one node per postfix.
        let n = posts.len();
        if !self.deeper(n, span) {
            return Self::null(span);
        }
        let mut e = self.primary(first);
        for post in posts {
            let pspan = self.span(&post);
            let whole = Span {
                start: e.span.start,
                end: pspan.end,
            };
            let rule = post.as_rule();
            let Some(inner) = post.into_inner().next() else {
                continue;
            };
            e = match rule {
                Rule::field => Expr {
                    kind: ExprKind::Field(Box::new(e), self.ident(inner)),
                    span: whole,
                },
                _ => Expr {
                    kind: ExprKind::Index(Box::new(e), Box::new(self.expr(inner))),
                    span: whole,
                },
            };
        }
        self.depth -= n;
        e
    }

    /// `for NAME in LIST BLOCK`
    fn for_expr(&mut self, p: Pair<'_, Rule>, span: Span) -> ExprKind {
        let mut it = p
            .into_inner()
            .filter(|q| !matches!(q.as_rule(), Rule::kw_for | Rule::kw_in));
        let (Some(var), Some(list), Some(body)) = (it.next(), it.next(), it.next()) else {
            return ExprKind::Null;
        };
        let var = self.ident(var);
        let list = self.expr(list);
        let body = self.block(body, span);
        ExprKind::For(Box::new(For { var, list, body }))
    }

    /// `if COND BLOCK (else if COND BLOCK)* (else BLOCK)?`
    fn if_expr(&mut self, p: Pair<'_, Rule>, span: Span) -> ExprKind {
        let mut arms = Vec::new();
        let mut otherwise = None;
        let mut cond = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::expr => cond = Some(self.expr(q)),
                Rule::block => {
                    let b = self.block(q, span);
                    match cond.take() {
                        Some(c) => arms.push((c, b)),
                        None => otherwise = Some(b),
                    }
                }
                _ => {}
            }
        }
        if !self.chain_ok(arms.len(), span, "`else if` arms") {
            return ExprKind::Null;
        }
        ExprKind::If(Box::new(If { arms, otherwise }))
    }

    /// A block: its text cut into statements by the lexer, each parsed on its own, so
    /// a block's statements end at line ends exactly as the file's do.
    fn block(&mut self, p: Pair<'_, Rule>, whole: Span) -> Block {
        let span = self.span(&p);
        let mut items = Vec::new();
        let mut broken = false;
        let Some(body) = p.into_inner().next() else {
            return Block {
                items,
                span,
                broken,
            };
        };
        if !self.deeper(1, whole) {
            return Block {
                items,
                span,
                broken: true,
            };
        }
        let base = self.base + body.as_span().start();
        let text = body.as_str();
        // Comments were collected by the file's cut; bracket depth was bounded there too.
        let cut = super::lexer::cut(text);
        for s in cut.statements.iter().chain(&cut.skipped) {
            let stmt = &text[s.range()];
            match self.statement(Rule::block_stmt, stmt, base + s.start as usize) {
                Some((kind, span)) => items.push(Item {
                    kind,
                    span,
                    doc: None,
                }),
                None => {
                    broken = true;
                    self.broken.extend(super::defined_name(stmt));
                }
            }
        }
        items.sort_by_key(|i| i.span.start);
        self.depth -= 1;
        Block {
            items,
            span,
            broken,
        }
    }

    fn primary(&mut self, p: Pair<'_, Rule>) -> Expr {
        let span = self.span(&p);
        let kind = match p.as_rule() {
            Rule::call => {
                let mut it = p.into_inner();
                let tool = it.next().map(|t| self.ident(t)).unwrap_or(Ident {
                    name: String::new(),
                    span,
                });
                let mut args = Vec::new();
                if let Some(list) = it.next() {
                    for a in list.into_inner() {
                        let mut ai = a.into_inner();
                        if let (Some(n), Some(v)) = (ai.next(), ai.next()) {
                            let name = self.ident(n);
                            args.push(Arg {
                                name,
                                value: self.expr(v),
                            });
                        }
                    }
                }
                ExprKind::Call(Call { tool, args })
            }
            Rule::for_expr => self.for_expr(p, span),
            Rule::if_expr => self.if_expr(p, span),
            Rule::plain_str | Rule::triple_str => ExprKind::Str(self.string(p)),
            Rule::number => self.number(p.as_str(), span),
            Rule::kw_true => ExprKind::Bool(true),
            Rule::kw_false => ExprKind::Bool(false),
            Rule::kw_null => ExprKind::Null,
            Rule::list => ExprKind::List(p.into_inner().map(|e| self.expr(e)).collect()),
            Rule::object => {
                let mut entries = Vec::new();
                for entry in p.into_inner() {
                    let mut ei = entry.into_inner();
                    let (Some(k), Some(v)) = (ei.next(), ei.next()) else {
                        continue;
                    };
                    let kspan = self.span(&k);
                    let name = if k.as_rule() == Rule::ident {
                        k.as_str().to_owned()
                    } else {
                        let s = self.string(k);
                        match s.as_plain() {
                            Some(t) => t,
                            None => {
                                self.diags.push(
                                    Diagnostic::error(
                                        "syntax",
                                        kspan,
                                        "an object key cannot be interpolated",
                                    )
                                    .label("interpolated key"),
                                );
                                String::new()
                            }
                        }
                    };
                    entries.push((Key { name, span: kspan }, self.expr(v)));
                }
                ExprKind::Object(entries)
            }
            Rule::reference => {
                let id = p.into_inner().next().map(|i| self.ident(i));
                ExprKind::Ref(id.unwrap_or(Ident {
                    name: String::new(),
                    span,
                }))
            }
            Rule::paren => match p.into_inner().next() {
                Some(e) => ExprKind::Paren(Box::new(self.expr(e))),
                None => ExprKind::Null,
            },
            Rule::misplaced_ask => {
                self.diags.push(
                    Diagnostic::error(
                        "misplaced-ask",
                        span,
                        "`ask` must be the whole value of a `let`",
                    )
                    .label("inside another expression")
                    .help("write `let answer: str = ask \"...\"` and use `answer` here"),
                );
                ExprKind::Null
            }
            _ => ExprKind::Null,
        };
        Expr { kind, span }
    }

    fn number(&mut self, text: &str, span: Span) -> ExprKind {
        let is_float = text.contains(['.', 'e', 'E']);
        if !is_float && let Ok(i) = text.parse::<i64>() {
            return ExprKind::Int(i);
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() && is_float => ExprKind::Float(f),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        "bad-number",
                        span,
                        format!("number `{text}` is out of range"),
                    )
                    .label("out of range")
                    .help("integers are 64-bit; floats must be finite"),
                );
                ExprKind::Int(0)
            }
        }
    }

    fn string(&mut self, p: Pair<'_, Rule>) -> StrLit {
        let span = self.span(&p);
        let triple = p.as_rule() == Rule::triple_str;
        let mut parts: Vec<StrPart> = Vec::new();
        let mut text = String::new();
        for part in p.into_inner() {
            let pspan = self.span(&part);
            match part.as_rule() {
                Rule::plain_text | Rule::triple_text => text.push_str(part.as_str()),
                Rule::lbrace_esc => text.push('{'),
                Rule::rbrace_esc => text.push('}'),
                Rule::escape => {
                    match part.as_str().chars().nth(1) {
                        Some('n') => text.push('\n'),
                        Some('t') => text.push('\t'),
                        Some('r') => text.push('\r'),
                        Some('"') => text.push('"'),
                        Some('\\') => text.push('\\'),
                        other => {
                            let shown =
                                other.map_or(String::new(), |c| c.escape_debug().to_string());
                            self.diags.push(
                            Diagnostic::error("unknown-escape", pspan, format!("unknown escape `\\{shown}`"))
                                .label("not an escape")
                                .help("escapes are \\n \\t \\r \\\" \\\\; write `{{` and `}}` for braces"),
                        );
                        }
                    }
                }
                Rule::interp => {
                    if !text.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut text)));
                    }
                    let mut it = part.into_inner();
                    let Some(root) = it.next() else { continue };
                    let root = self.ident(root);
                    let mut path = Vec::new();
                    for step in it {
                        let sspan = self.span(&step);
                        let rule = step.as_rule();
                        let Some(inner) = step.into_inner().next() else {
                            continue;
                        };
                        match rule {
                            Rule::field => path.push(Access::Field(self.ident(inner))),
                            _ => match inner.as_str().parse::<i64>() {
                                Ok(i) => path.push(Access::Index(i, sspan)),
                                Err(_) => self.diags.push(
                                    Diagnostic::error("bad-number", sspan, "index out of range")
                                        .label("too large"),
                                ),
                            },
                        }
                    }
                    parts.push(StrPart::Interp(Interp {
                        root,
                        path,
                        span: pspan,
                    }));
                }
                Rule::bad_open => self.diags.push(
                    Diagnostic::error(
                        "bad-interpolation",
                        pspan,
                        "`{` must start an interpolation like `{name}` or `{name.field}`",
                    )
                    .label("not an interpolation")
                    .help("write `{{` for a literal `{`"),
                ),
                Rule::bad_close => self.diags.push(
                    Diagnostic::error("bad-interpolation", pspan, "unmatched `}` in a string")
                        .label("unmatched")
                        .help("write `}}` for a literal `}`"),
                ),
                Rule::unterminated => {
                    let (open, what) = if triple {
                        (3, "triple-quoted string")
                    } else {
                        (1, "string")
                    };
                    self.diags.push(
                        Diagnostic::error(
                            "unterminated-string",
                            Span::new(span.start as usize, span.start as usize + open),
                            format!("unterminated {what}"),
                        )
                        .label("this string is never closed")
                        .help(if triple {
                            "close it with `\"\"\"`"
                        } else {
                            "close it with `\"` on the same line, or use a triple-quoted string for several lines"
                        }),
                    );
                }
                _ => {}
            }
        }
        if !text.is_empty() {
            parts.push(StrPart::Text(text));
        }
        StrLit {
            parts,
            triple,
            span,
        }
    }
}
