//! Drawing a program's DAG for `llmos graph`: Graphviz DOT and Mermaid flowcharts.
//!
//! Nodes are the params (`p0`…), the ops (`o0`…; an `ask` op is drawn as its slot) and the
//! output (`out`); constants are not drawn. Data edges are solid, effect edges dashed.
//! A block (`for` body, `if` branch, `and`/`or` operand) is a cluster (a DOT
//! `subgraph cluster_…`, a Mermaid `subgraph`) holding its ops (`b0o0`…); what it reads
//! from outside is drawn from the outer node, and its value flows into the op that owns it.
//! Output is deterministic: nodes and edges in op order, each edge once.

use std::fmt::Write as _;

use super::{BlockId, Op, OpKind, Operand, Program, Step};

/// One node of the drawing.
struct Node {
    id: String,
    shape: Shape,
    /// Label lines.
    lines: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Param,
    Op,
    Slot,
    Output,
}

/// A node, or a block drawn as a cluster of nodes.
enum Item {
    Node(Node),
    Cluster {
        id: String,
        label: String,
        items: Vec<Item>,
    },
}

/// One edge: from node, to node, whether it is an effect edge.
type Edge = (String, String, bool);

/// A scope being drawn: its node-id prefix, and what `Local(i)` and `Elem` stand for
/// in the scope around it.
struct Frame<'a> {
    prefix: String,
    captures: &'a [Operand],
    elem: Option<Operand>,
}

/// The node an operand of the innermost frame comes from.
fn node_of(frames: &[Frame<'_>], o: Operand) -> Option<String> {
    let (last, outer) = frames.split_last()?;
    match o {
        Operand::Param(p) => Some(format!("p{p}")),
        Operand::Op(i) => Some(format!("{}o{i}", last.prefix)),
        Operand::Const(_) => None,
        Operand::Local(i) => node_of(outer, *last.captures.get(i as usize)?),
        Operand::Elem => node_of(outer, last.elem?),
    }
}

/// The items and edges of `p`.
fn layout(p: &Program) -> (Vec<Item>, Vec<Edge>) {
    let mut items = Vec::new();
    let mut edges = Vec::new();
    for (i, q) in p.params.iter().enumerate() {
        items.push(Item::Node(Node {
            id: format!("p{i}"),
            shape: Shape::Param,
            lines: vec![format!("param {}: {}", q.name, q.ty)],
        }));
    }
    let mut frames = vec![Frame {
        prefix: String::new(),
        captures: &[],
        elem: None,
    }];
    scope(
        p,
        &p.ops,
        &p.steps,
        "return",
        &mut frames,
        &mut items,
        &mut edges,
    );
    if let Some(out) = p.output {
        let label = match out {
            Operand::Const(c) => format!(
                "return {}",
                p.constant(c).map_or("?".to_owned(), crate::value::short)
            ),
            _ => "return".to_owned(),
        };
        items.push(Item::Node(Node {
            id: "out".to_owned(),
            shape: Shape::Output,
            lines: vec![label],
        }));
        if let Some(from) = node_of(&frames, out) {
            edges.push((from, "out".to_owned(), false));
        }
    }
    (items, edges)
}

/// The nodes of one scope's ops (blocks as clusters right after their owner's node).
fn scope<'p>(
    p: &'p Program,
    ops: &'p [Op],
    steps: &[Step],
    end: &str,
    frames: &mut Vec<Frame<'p>>,
    items: &mut Vec<Item>,
    edges: &mut Vec<Edge>,
) {
    let prefix = frames.last().map(|f| f.prefix.clone()).unwrap_or_default();
    for (i, op) in ops.iter().enumerate() {
        let id = format!("{prefix}o{i}");
        let (shape, head) = head(p, i, op);
        items.push(Item::Node(Node {
            id: id.clone(),
            shape,
            lines: vec![head, format!("{}: {}", who(steps, i, op, end), op.ty)],
        }));
        let mut seen = std::collections::BTreeSet::new();
        for input in op.inputs(&p.slots) {
            if let Some(from) = node_of(frames, input)
                && seen.insert(from.clone())
            {
                edges.push((from, id.clone(), false));
            }
        }
        for a in &op.after {
            let from = format!("{prefix}o{a}");
            if seen.insert(from.clone()) {
                edges.push((from, id.clone(), true));
            }
        }
        let elem = match &op.kind {
            OpKind::For { list, .. } => Some(*list),
            _ => None,
        };
        for (n, b) in op.blocks().into_iter().enumerate() {
            items.push(cluster(p, op, n, b, elem, frames, edges, &id));
        }
    }
}

/// Block `b`, the `n`th of `owner` (node `owner_id`), as a cluster.
#[allow(clippy::too_many_arguments)]
fn cluster<'p>(
    p: &'p Program,
    owner: &'p Op,
    n: usize,
    b: BlockId,
    elem: Option<Operand>,
    frames: &mut Vec<Frame<'p>>,
    edges: &mut Vec<Edge>,
    owner_id: &str,
) -> Item {
    let role = match (&owner.kind, n) {
        (OpKind::For { .. }, _) => "for body",
        (OpKind::If { .. }, 0) => "then",
        (OpKind::If { .. }, _) => "else",
        _ => "operand",
    };
    let mut inner = Vec::new();
    if let Some(block) = p.block(b) {
        frames.push(Frame {
            prefix: format!("b{b}"),
            captures: owner.captures(),
            elem,
        });
        scope(
            p,
            &block.ops,
            &block.steps,
            "value",
            frames,
            &mut inner,
            edges,
        );
        if let Some(from) = node_of(frames, block.result) {
            edges.push((from, owner_id.to_owned(), false));
        }
        frames.pop();
    }
    Item::Cluster {
        id: format!("b{b}"),
        label: format!("^{b} {role}"),
        items: inner,
    }
}

/// The shape and first label line of op `i`.
fn head(p: &Program, i: usize, op: &Op) -> (Shape, String) {
    let kind = match &op.kind {
        OpKind::Call { tool, .. } => p
            .tools
            .get(tool.index())
            .map_or("?".to_owned(), |t| t.name.clone()),
        OpKind::Ask { slot } => return (Shape::Slot, format!("%{i} ask @{slot}")),
        OpKind::Template { .. } => "template".to_owned(),
        OpKind::List { .. } => "list".to_owned(),
        OpKind::Object { .. } => "object".to_owned(),
        OpKind::Field { key, .. } => {
            let key = p.constant(*key).and_then(|v| v.as_str()).unwrap_or("?");
            format!("field .{key}")
        }
        OpKind::Index { .. } => "index".to_owned(),
        OpKind::Check { .. } => "check".to_owned(),
        OpKind::For { .. } => "for".to_owned(),
        OpKind::If { .. } => "if".to_owned(),
        OpKind::Logic { op, .. } => op.as_str().to_owned(),
        OpKind::Compare { op, .. } => format!("compare {}", op.as_str()),
        OpKind::Not { .. } => "not".to_owned(),
        OpKind::Expect { .. } => "expect".to_owned(),
    };
    (Shape::Op, format!("%{i} {kind}"))
}

/// The second label line's subject: the `let` the op gives, or its statement, or `end`
/// (`return`, a block's `value`).
fn who(steps: &[Step], i: usize, op: &Op, end: &str) -> String {
    match steps.get(op.step as usize) {
        Some(s) if s.op == Some(super::OpId(i as u32)) && s.name.is_some() => {
            s.name.clone().unwrap_or_default()
        }
        Some(_) => format!("step {}", op.step + 1),
        None => end.to_owned(),
    }
}

fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The program as a Graphviz `digraph`.
pub fn dot(p: &Program) -> String {
    let (items, edges) = layout(p);
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&p.name));
    out.push_str("  rankdir=TB;\n  node [fontname=\"monospace\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"monospace\", fontsize=9];\n");
    dot_items(&mut out, &items, 1);
    for (from, to, effect) in &edges {
        if *effect {
            let _ = writeln!(out, "  {from} -> {to} [style=dashed, color=gray40];");
        } else {
            let _ = writeln!(out, "  {from} -> {to};");
        }
    }
    out.push_str("}\n");
    out
}

fn dot_items(out: &mut String, items: &[Item], depth: usize) {
    let pad = "  ".repeat(depth);
    for item in items {
        match item {
            Item::Node(n) => {
                let shape = match n.shape {
                    Shape::Param => "shape=invhouse",
                    Shape::Op => "shape=box",
                    Shape::Slot => "shape=hexagon, style=filled, fillcolor=\"#fff3c4\"",
                    Shape::Output => "shape=doublecircle",
                };
                let label: Vec<String> = n.lines.iter().map(|l| dot_escape(l)).collect();
                let _ = writeln!(
                    out,
                    "{pad}{} [label=\"{}\", {shape}];",
                    n.id,
                    label.join("\\n")
                );
            }
            Item::Cluster { id, label, items } => {
                let _ = writeln!(out, "{pad}subgraph cluster_{id} {{");
                let _ = writeln!(
                    out,
                    "{pad}  label=\"{}\"; style=rounded; color=gray50;",
                    dot_escape(label)
                );
                dot_items(out, items, depth + 1);
                let _ = writeln!(out, "{pad}}}");
            }
        }
    }
}

fn mermaid_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The program as a Mermaid `flowchart`.
pub fn mermaid(p: &Program) -> String {
    let (items, edges) = layout(p);
    let mut out = String::from("flowchart TD\n");
    mermaid_items(&mut out, &items, 1);
    for (from, to, effect) in &edges {
        let arrow = if *effect { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {from} {arrow} {to}");
    }
    out
}

fn mermaid_items(out: &mut String, items: &[Item], depth: usize) {
    let pad = "  ".repeat(depth);
    for item in items {
        match item {
            Item::Node(n) => {
                let label: Vec<String> = n.lines.iter().map(|l| mermaid_escape(l)).collect();
                let label = label.join("<br/>");
                let _ = match n.shape {
                    Shape::Param => writeln!(out, "{pad}{}[/\"{label}\"/]", n.id),
                    Shape::Op => writeln!(out, "{pad}{}[\"{label}\"]", n.id),
                    Shape::Slot => writeln!(out, "{pad}{}{{{{\"{label}\"}}}}", n.id),
                    Shape::Output => writeln!(out, "{pad}{}((\"{label}\"))", n.id),
                };
            }
            Item::Cluster { id, label, items } => {
                let _ = writeln!(out, "{pad}subgraph {id} [\"{}\"]", mermaid_escape(label));
                mermaid_items(out, items, depth + 1);
                let _ = writeln!(out, "{pad}end");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effect_edges_are_dashed_and_data_edges_solid() {
        let src = "trace t\nparam f: path\nlet a = fs.read(path: f)\nfs.write(path: \"o\", content: \"x\")\nreturn a\n";
        let (p, _) = crate::ir::build::compile_source(src).unwrap();
        let d = dot(&p);
        assert!(d.contains("p0 -> o0;"), "{d}");
        assert!(d.contains("o0 -> o1 [style=dashed"), "{d}");
        assert!(d.contains("o0 -> out;"), "{d}");
        let m = mermaid(&p);
        assert!(m.contains("p0 --> o0") && m.contains("o0 -.-> o1"), "{m}");
    }

    #[test]
    fn a_for_is_a_cluster_fed_from_outside() {
        let src = "trace t\nparam dir: str\nlet files = fs.glob(pattern: \"{dir}/*.md\")\nlet parts = for f in files {\n  let text = fs.read(path: f)\n  \"# {f} {dir}\\n{text}\"\n}\nreturn parts\n";
        let (p, _) = crate::ir::build::compile_source(src).unwrap();
        let d = dot(&p);
        assert!(d.contains("subgraph cluster_b0 {"), "{d}");
        assert!(d.contains("label=\"^0 for body\""), "{d}");
        // The element comes from the glob, `dir` from the param, the value goes to the for.
        assert!(d.contains("o1 -> b0o0;"), "{d}");
        assert!(d.contains("p0 -> b0o1;"), "{d}");
        assert!(d.contains("b0o1 -> o2;"), "{d}");
        let m = mermaid(&p);
        assert!(m.contains("subgraph b0 [\"^0 for body\"]"), "{m}");
        assert!(m.contains("  end\n"), "{m}");
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(dot_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(
            mermaid_escape("list<str> \"#\""),
            "list#lt;str#gt; #quot;#35;#quot;"
        );
    }
}
