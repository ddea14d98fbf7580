//! The program as a petgraph graph, for the algorithms: acyclicity, topological order,
//! reachability.

use petgraph::graph::{DiGraph, NodeIndex};

use super::{OpId, Program};

/// The kind of an edge between two ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// The later op reads the earlier op's value.
    Data,
    /// The later op must run after the earlier one for effect order.
    Effect,
}

/// One node per op (node index = op id) and one edge from each dependency to its user
/// (a data edge when the user reads the value, else an effect edge).
pub fn op_graph(p: &Program) -> DiGraph<OpId, EdgeKind> {
    let n = p.ops.len();
    let mut g = DiGraph::with_capacity(n, n * 2);
    for i in 0..n {
        g.add_node(i as OpId);
    }
    let mut inputs: Vec<usize> = Vec::new();
    for (i, op) in p.ops.iter().enumerate() {
        let to = NodeIndex::new(i);
        inputs.clear();
        op.for_each_input(&p.slots, |o| {
            if let super::Operand::Op(d) = o
                && (d as usize) < n
            {
                inputs.push(d as usize);
            }
        });
        inputs.sort_unstable();
        inputs.dedup();
        for &d in &inputs {
            g.add_edge(NodeIndex::new(d), to, EdgeKind::Data);
        }
        for &d in &op.after {
            if (d as usize) < n && inputs.binary_search(&(d as usize)).is_err() {
                g.add_edge(NodeIndex::new(d as usize), to, EdgeKind::Effect);
            }
        }
    }
    g
}

/// Whether the ops form a DAG (no op depends on itself through any path). Iterative, so
/// long chains cannot exhaust the stack.
pub fn is_acyclic(p: &Program) -> bool {
    petgraph::algo::toposort(&op_graph(p), None).is_ok()
}

/// Whether op `to` depends on op `from`, directly or through other ops.
pub fn depends_on(p: &Program, to: OpId, from: OpId) -> bool {
    let g = op_graph(p);
    petgraph::algo::has_path_connecting(
        &g,
        NodeIndex::new(from as usize),
        NodeIndex::new(to as usize),
        None,
    )
}
