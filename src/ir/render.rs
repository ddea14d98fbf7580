//! Drawing a program's DAG for `llmos graph`: Graphviz DOT and Mermaid flowcharts.
//!
//! Nodes are the params (`p0`…), the ops (`o0`…; an `ask` op is drawn as its slot) and the
//! output (`out`); constants are not drawn. Data edges are solid, effect edges dashed.
//! Output is deterministic: nodes and edges in op order, each edge once.

use std::fmt::Write as _;

use super::{OpKind, Operand, Program};

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

/// One edge: from node, to node, whether it is an effect edge.
type Edge = (String, String, bool);

fn node_of(o: Operand) -> Option<String> {
    match o {
        Operand::Param(p) => Some(format!("p{p}")),
        Operand::Op(i) => Some(format!("o{i}")),
        Operand::Const(_) => None,
    }
}

/// The nodes and edges of `p`.
fn layout(p: &Program) -> (Vec<Node>, Vec<Edge>) {
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    for (i, q) in p.params.iter().enumerate() {
        nodes.push(Node {
            id: format!("p{i}"),
            shape: Shape::Param,
            lines: vec![format!("param {}: {}", q.name, q.ty)],
        });
    }
    for (i, op) in p.ops.iter().enumerate() {
        let step = p.steps.get(op.step as usize);
        let who = match step {
            Some(s) if s.op == Some(i as u32) && s.name.is_some() => {
                s.name.clone().unwrap_or_default()
            }
            Some(_) => format!("step {}", op.step + 1),
            None => "return".to_owned(),
        };
        let (shape, head) = match &op.kind {
            OpKind::Call { tool, .. } => {
                let name = p.tools.get(*tool as usize).map_or("?", |t| t.name.as_str());
                (Shape::Op, format!("%{i} {name}"))
            }
            OpKind::Ask { slot } => (Shape::Slot, format!("%{i} ask @{slot}")),
            OpKind::Template { .. } => (Shape::Op, format!("%{i} template")),
            OpKind::List { .. } => (Shape::Op, format!("%{i} list")),
            OpKind::Object { .. } => (Shape::Op, format!("%{i} object")),
            OpKind::Field { key, .. } => {
                let key = p.constant(*key).and_then(|v| v.as_str()).unwrap_or("?");
                (Shape::Op, format!("%{i} field .{key}"))
            }
            OpKind::Index { .. } => (Shape::Op, format!("%{i} index")),
            OpKind::Check { .. } => (Shape::Op, format!("%{i} check")),
        };
        nodes.push(Node {
            id: format!("o{i}"),
            shape,
            lines: vec![head, format!("{who}: {}", op.ty)],
        });
        let to = format!("o{i}");
        let mut seen = std::collections::BTreeSet::new();
        for input in op.inputs(&p.slots) {
            if let Some(from) = node_of(input)
                && seen.insert(from.clone())
            {
                edges.push((from, to.clone(), false));
            }
        }
        for a in &op.after {
            let from = format!("o{a}");
            if seen.insert(from.clone()) {
                edges.push((from, to.clone(), true));
            }
        }
    }
    if let Some(out) = p.output {
        let label = match out {
            Operand::Const(c) => format!(
                "return {}",
                p.constant(c).map_or("?".to_owned(), crate::value::short)
            ),
            _ => "return".to_owned(),
        };
        nodes.push(Node {
            id: "out".to_owned(),
            shape: Shape::Output,
            lines: vec![label],
        });
        if let Some(from) = node_of(out) {
            edges.push((from, "out".to_owned(), false));
        }
    }
    (nodes, edges)
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
    let (nodes, edges) = layout(p);
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&p.name));
    out.push_str("  rankdir=TB;\n  node [fontname=\"monospace\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"monospace\", fontsize=9];\n");
    for n in &nodes {
        let shape = match n.shape {
            Shape::Param => "shape=invhouse",
            Shape::Op => "shape=box",
            Shape::Slot => "shape=hexagon, style=filled, fillcolor=\"#fff3c4\"",
            Shape::Output => "shape=doublecircle",
        };
        let label: Vec<String> = n.lines.iter().map(|l| dot_escape(l)).collect();
        let _ = writeln!(
            out,
            "  {} [label=\"{}\", {shape}];",
            n.id,
            label.join("\\n")
        );
    }
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
    let (nodes, edges) = layout(p);
    let mut out = String::from("flowchart TD\n");
    for n in &nodes {
        let label: Vec<String> = n.lines.iter().map(|l| mermaid_escape(l)).collect();
        let label = label.join("<br/>");
        let _ = match n.shape {
            Shape::Param => writeln!(out, "  {}[/\"{label}\"/]", n.id),
            Shape::Op => writeln!(out, "  {}[\"{label}\"]", n.id),
            Shape::Slot => writeln!(out, "  {}{{{{\"{label}\"}}}}", n.id),
            Shape::Output => writeln!(out, "  {}((\"{label}\"))", n.id),
        };
    }
    for (from, to, effect) in &edges {
        let arrow = if *effect { "-.->" } else { "-->" };
        let _ = writeln!(out, "  {from} {arrow} {to}");
    }
    out
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
    fn labels_are_escaped() {
        assert_eq!(dot_escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(
            mermaid_escape("list<str> \"#\""),
            "list#lt;str#gt; #quot;#35;#quot;"
        );
    }
}
