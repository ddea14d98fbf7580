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
        g.add_node(OpId(i as u32));
    }
    let mut inputs: Vec<usize> = Vec::new();
    for (i, op) in p.ops.iter().enumerate() {
        let to = NodeIndex::new(i);
        inputs.clear();
        op.for_each_input(&p.slots, |o| {
            if let super::Operand::Op(d) = o
                && d.index() < n
            {
                inputs.push(d.index());
            }
        });
        inputs.sort_unstable();
        inputs.dedup();
        for &d in &inputs {
            g.add_edge(NodeIndex::new(d), to, EdgeKind::Data);
        }
        for &d in &op.after {
            if d.index() < n && inputs.binary_search(&d.index()).is_err() {
                g.add_edge(NodeIndex::new(d.index()), to, EdgeKind::Effect);
            }
        }
    }
    g
}
