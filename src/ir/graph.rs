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

/// One node per op (node index = op id) and an edge from each dependency to its user.
pub fn op_graph(p: &Program) -> DiGraph<OpId, EdgeKind> {
    let mut g = DiGraph::with_capacity(p.ops.len(), p.ops.len() * 2);
    for i in 0..p.ops.len() {
        g.add_node(i as OpId);
    }
    for (i, op) in p.ops.iter().enumerate() {
        let to = NodeIndex::new(i);
        op.for_each_input(&p.slots, |o| {
            if let super::Operand::Op(d) = o
                && (d as usize) < p.ops.len()
            {
                g.update_edge(NodeIndex::new(d as usize), to, EdgeKind::Data);
            }
        });
        for &d in &op.after {
            if (d as usize) < p.ops.len() && g.find_edge(NodeIndex::new(d as usize), to).is_none() {
                g.add_edge(NodeIndex::new(d as usize), to, EdgeKind::Effect);
            }
        }
    }
    g
}

/// Whether the ops form a DAG (no op depends on itself through any path).
pub fn is_acyclic(p: &Program) -> bool {
    !petgraph::algo::is_cyclic_directed(&op_graph(p))
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
