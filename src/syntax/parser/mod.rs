//! The pest grammar (`grammar/llt.pest`) and the lowering of its parse tree to the AST.
//! pest types never leave this file.

mod exprs;
mod strings;

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
}
