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
//! Operands: `cN` a constant, `$name` a param, `%N` an op. Data edges are the operands
//! (an `ask` lists what its prompt reads); `after` lists the effect edges.

use std::fmt::Write as _;

use super::format::FORMAT_VERSION;
use super::verify::short_hash;
use crate::ir::{Op, OpKind, Operand, Part, Program};
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
    let heads: Vec<String> = p
        .ops
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
    for (op, head) in p.ops.iter().zip(&heads) {
        let _ = writeln!(o, "  {head:<width$}    ; {}", step_text(p, op.step));
    }

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
        Operand::Param(q) => match p.params.get(q as usize) {
            Some(param) => format!("${}", param.name),
            None => format!("${q}"),
        },
        Operand::Op(i) => format!("%{i}"),
    }
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
                .get(*tool as usize)
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
            let (name, reads) = match p.slots.get(*slot as usize) {
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
    };
    let mut text = format!("{body} : {}", op.ty);
    if !op.after.is_empty() {
        let after: Vec<String> = op.after.iter().map(|a| format!("%{a}")).collect();
        let _ = write!(text, "  after {}", after.join(", "));
    }
    text
}

fn step_text(p: &Program, step: u32) -> String {
    if step as usize >= p.steps.len() {
        return "return".to_owned();
    }
    match p.steps.get(step as usize).and_then(|s| s.name.as_deref()) {
        Some(name) => format!("step {} `{name}`", step + 1),
        None => format!("step {}", step + 1),
    }
}
