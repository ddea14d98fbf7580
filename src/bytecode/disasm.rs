//! The disassembler: a stable, readable listing of a program (`llmos disasm`), the same
//! text that golden tests check.
//!
//! ```text
//! ; llmos bytecode, format 1
//! ; id 1f0c…
//! trace csv_summary
//! goal "summarize {input} into {report}"
//! effects read, write, llm
//!
//! params
//!   $0 input: path
//! ...
//! ops
//!   %0 = call fs.read(path: $input) : str    ; step 1 `text`
//!   %5 = call fs.write(path: $report, content: %4) : path  after %0    ; step 6
//! ```
//!
//! Operands: `cN` a constant, `$name` a param, `%N` an op of the same scope, `&N` a
//! capture of the op that owns the block, `elem` a `for` body's element. Data edges are
//! the operands (an `ask` lists what its prompt reads); `after` lists the effect edges.
//! A block (`^N`) is listed right under the op that owns it, one level in:
//!
//! ```text
//!   %1 = for %0 ^0 [&0 = $dir] : list<str>                  ; step 2 `parts`
//!     ^0 for body
//!       %0 = call fs.read(path: elem) : str                  ; step 1 `text`
//!       %1 = template "# {elem}\n\n{%0}" : str              ; value
//!       value %1
//! ```

use std::fmt::Write as _;

use super::format::FORMAT_VERSION;
use super::verify::short_hash;
use crate::ir::{BlockId, Op, OpKind, Operand, Part, Program, Step};
use crate::store::ObjectId;
use crate::tools::ToolTable;
use crate::value::Value;

/// Widest op text that the step comments are aligned after.
const ALIGN: usize = 56;

/// The listing of `p`, whose bytes have the id `id`, with the built-in tools' signatures.
pub fn disasm(p: &Program, id: &ObjectId) -> String {
    disasm_with(p, id, ToolTable::builtins())
}

/// The listing of `p`, with the signatures of the tools of `tools`.
pub fn disasm_with(p: &Program, id: &ObjectId, tools: &ToolTable) -> String {
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "; llmos bytecode, format {FORMAT_VERSION}");
    let _ = writeln!(o, "; id {id}");
    let _ = writeln!(o, "trace {}", p.name);
    if let Some(g) = &p.goal {
        let _ = writeln!(o, "goal {}", quote(g));
    }
    let _ = writeln!(o, "effects {}", effects_text(p));

    section(o, "params", p.params.len());
    for (i, q) in p.params.iter().enumerate() {
        let _ = write!(o, "  ${i} {}: {}", q.name, q.ty);
        if let Some(d) = &q.default {
            let _ = write!(o, " = {}", json(d));
        }
        o.push('\n');
    }

    section(o, "slots", p.slots.len());
    for (i, s) in p.slots.iter().enumerate() {
        let _ = writeln!(o, "  @{i} {}: {}", s.name, s.ty);
        let _ = writeln!(o, "      prompt {}", parts_text(p, &s.prompt));
    }

    section(o, "tools", p.tools.len());
    for (i, t) in p.tools.iter().enumerate() {
        let sig = match tools.entry(&t.name) {
            Some(e) if e.sig_hash == t.sig_hash => e.decl.signature(),
            _ => format!("{} (signature unknown to this llmos)", t.name),
        };
        let _ = writeln!(
            o,
            "  #{i} {sig}  effects({})  sig {}",
            t.effects,
            short_hash(&t.sig_hash)
        );
    }

    section(o, "consts", p.consts.len());
    for (i, c) in p.consts.iter().enumerate() {
        let _ = writeln!(o, "  c{i} = {}", json(c));
    }

    section(o, "ops", p.ops.len());
    listing(o, p, tools, &p.ops, &p.steps, 1, "return");

    section(o, "steps", p.steps.len());
    for (i, s) in p.steps.iter().enumerate() {
        let name = s.name.as_deref().unwrap_or("_");
        let value = s.op.map_or("(no op)".to_owned(), |id| format!("%{id}"));
        let _ = writeln!(o, "  {} {name} = {value}", i + 1);
    }

    o.push('\n');
    match p.output {
        Some(op) => {
            let _ = writeln!(o, "output {}", operand(p, op));
        }
        None => o.push_str("output none\n"),
    }
    out
}

/// The ops of one scope at `depth` (two spaces each), each block right under its owner.
fn listing(
    o: &mut String,
    p: &Program,
    tools: &ToolTable,
    ops: &[Op],
    steps: &[Step],
    depth: usize,
    end: &str,
) {
    let pad = "  ".repeat(depth);
    let heads: Vec<String> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| format!("%{i} = {}", op_text(p, op, tools)))
        .collect();
    let width = heads
        .iter()
        .map(|t| t.chars().count())
        .max()
        .unwrap_or(0)
        .min(ALIGN);
    for (op, head) in ops.iter().zip(&heads) {
        let _ = writeln!(
            o,
            "{pad}{head:<width$}    ; {}",
            step_text(steps, op.step, end)
        );
        let roles: &[&str] = match &op.kind {
            OpKind::For { .. } => &["for body"],
            OpKind::If { .. } => &["then", "else"],
            _ => &["operand"],
        };
        for (i, b) in op.blocks().into_iter().enumerate() {
            let role = roles.get(i).or(roles.last()).copied().unwrap_or("block");
            block(o, p, tools, b, role, depth + 1);
        }
    }
}

fn block(o: &mut String, p: &Program, tools: &ToolTable, id: BlockId, role: &str, depth: usize) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(o, "{pad}^{id} {role}");
    let Some(b) = p.block(id) else {
        return;
    };
    listing(o, p, tools, &b.ops, &b.steps, depth + 1, "value");
    let _ = writeln!(o, "{pad}  value {}", operand(p, b.result));
}

fn section(o: &mut String, name: &str, n: usize) {
    let _ = writeln!(o, "\n{name} ({n})");
}

fn effects_text(p: &Program) -> String {
    if p.effects.is_empty() {
        "none".to_owned()
    } else {
        p.effects.to_string()
    }
}

/// A constant as JSON that keeps `1` and `1.0` apart.
fn json(v: &Value) -> String {
    v.to_string()
}

/// A string in double quotes with `\n \t \" \\` escapes (and other control characters
/// as `\u{..}`).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    push_escaped(&mut out, s, false);
    out.push('"');
    out
}

fn push_escaped(out: &mut String, s: &str, braces: bool) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '{' if braces => out.push_str("{{"),
            '}' if braces => out.push_str("}}"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// A template as a quoted string with `{operand}` holes.
fn parts_text(p: &Program, parts: &[Part]) -> String {
    let mut out = String::from("\"");
    for part in parts {
        match part {
            Part::Text(c) => match p.constant(*c) {
                Some(Value::String(s)) => push_escaped(&mut out, s, true),
                _ => {
                    let _ = write!(out, "{{c{c}}}");
                }
            },
            Part::Value(o) => {
                let _ = write!(out, "{{{}}}", operand(p, *o));
            }
        }
    }
    out.push('"');
    out
}

fn operand(p: &Program, o: Operand) -> String {
    match o {
        Operand::Const(c) => format!("c{c}"),
        Operand::Param(q) => match p.params.get(q.index()) {
            Some(param) => format!("${}", param.name),
            None => format!("${q}"),
        },
        Operand::Op(i) => format!("%{i}"),
        Operand::Local(i) => format!("&{i}"),
        Operand::Elem => "elem".to_owned(),
    }
}

/// `[&0 = $dir, &1 = %3]`: what a block-owning op captures.
fn captures(p: &Program, captures: &[Operand]) -> String {
    if captures.is_empty() {
        return String::new();
    }
    let items: Vec<String> = captures
        .iter()
        .enumerate()
        .map(|(i, c)| format!("&{i} = {}", operand(p, *c)))
        .collect();
    format!(" [{}]", items.join(", "))
}

fn list(p: &Program, items: &[Operand]) -> String {
    items
        .iter()
        .map(|o| operand(p, *o))
        .collect::<Vec<_>>()
        .join(", ")
}

fn op_text(p: &Program, op: &Op, tools: &ToolTable) -> String {
    let body = match &op.kind {
        OpKind::Call { tool, args } => {
            let name = p
                .tools
                .get(tool.index())
                .map_or_else(|| format!("#{tool}"), |t| t.name.clone());
            let decl = tools.get(&name);
            let args: Vec<String> = args
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let pname = decl
                        .and_then(|d| d.params.get(i))
                        .map_or_else(|| format!("arg{i}"), |d| d.name.clone());
                    format!("{pname}: {}", operand(p, *a))
                })
                .collect();
            format!("call {name}({})", args.join(", "))
        }
        OpKind::Ask { slot } => {
            let (name, reads) = match p.slots.get(slot.index()) {
                Some(s) => {
                    let reads: Vec<Operand> = s
                        .prompt
                        .iter()
                        .filter_map(|part| match part {
                            Part::Value(o) => Some(*o),
                            Part::Text(_) => None,
                        })
                        .collect();
                    (s.name.as_str(), reads)
                }
                None => ("?", Vec::new()),
            };
            if reads.is_empty() {
                format!("ask @{slot} {name}")
            } else {
                format!("ask @{slot} {name} (reads {})", list(p, &reads))
            }
        }
        OpKind::Template { parts } => format!("template {}", parts_text(p, parts)),
        OpKind::List { items } => format!("list [{}]", list(p, items)),
        OpKind::Object { entries } => {
            let items: Vec<String> = entries
                .iter()
                .map(|(k, v)| {
                    let key = match p.constant(*k) {
                        Some(Value::String(s)) => quote(s),
                        _ => format!("c{k}"),
                    };
                    format!("{key}: {}", operand(p, *v))
                })
                .collect();
            format!("object {{{}}}", items.join(", "))
        }
        OpKind::Field { base, key } => match p.constant(*key) {
            Some(Value::String(s)) => format!("field {}.{}", operand(p, *base), quote(s)),
            _ => format!("field {}.c{key}", operand(p, *base)),
        },
        OpKind::Index { base, index } => {
            format!("index {}[{}]", operand(p, *base), operand(p, *index))
        }
        OpKind::Check { value } => format!("check {}", operand(p, *value)),
        OpKind::For {
            list,
            captures: c,
            body,
        } => format!("for {} ^{body}{}", operand(p, *list), captures(p, c)),
        OpKind::If {
            cond,
            captures: c,
            then,
            otherwise,
        } => {
            let els = otherwise.map_or(String::new(), |e| format!(" else ^{e}"));
            format!("if {} ^{then}{els}{}", operand(p, *cond), captures(p, c))
        }
        OpKind::Logic {
            op: l,
            first,
            captures: c,
            rest,
        } => {
            let rest: Vec<String> = rest.iter().map(|b| format!("^{b}")).collect();
            format!(
                "{} {}, {}{}",
                l.as_str(),
                operand(p, *first),
                rest.join(", "),
                captures(p, c)
            )
        }
        OpKind::Compare { op: c, lhs, rhs } => {
            format!("{} {} {}", operand(p, *lhs), c.as_str(), operand(p, *rhs))
        }
        OpKind::Not { value } => format!("not {}", operand(p, *value)),
        OpKind::Expect { cond, message } => match message {
            Some(m) => format!("expect {}, {}", operand(p, *cond), parts_text(p, m)),
            None => format!("expect {}", operand(p, *cond)),
        },
    };
    let mut text = format!("{body} : {}", op.ty);
    if !op.after.is_empty() {
        let after: Vec<String> = op.after.iter().map(|a| format!("%{a}")).collect();
        let _ = write!(text, "  after {}", after.join(", "));
    }
    text
}

/// The statement an op belongs to: ``step 2 `text` ``, or `end` (`return` for the
/// program's output, `value` for a block's) past the last.
fn step_text(steps: &[Step], step: u32, end: &str) -> String {
    if step as usize >= steps.len() {
        return end.to_owned();
    }
    match steps.get(step as usize).and_then(|s| s.name.as_deref()) {
        Some(name) => format!("step {} `{name}`", step + 1),
        None => format!("step {}", step + 1),
    }
}
