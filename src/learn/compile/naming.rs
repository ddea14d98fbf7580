//! Naming what a plan prints: the steps whose values something uses, the inserted steps,
//! each loop's values and element. Everything shares the plan's [`Namer`] with the params
//! and slots, so no two names collide.

use std::collections::{BTreeMap, BTreeSet};

use super::emit::apply_key;
use super::flow::{Apply, Piece, Src};
use super::names::{inserted_name, result_name};
use super::plan::Plan;
use crate::learn::recording::RecStep;

/// The names a plan prints with.
pub struct PlanNames {
    pub params: Vec<String>,
    pub steps: Vec<Option<String>>,
    pub slots: Vec<String>,
    pub applies: BTreeMap<String, String>,
    /// Per loop: its values' name (when used) and its element's.
    pub loops: Vec<(Option<String>, String)>,
}

pub fn name_plan(kept: &[(usize, &RecStep)], plan: &mut Plan) -> PlanNames {
    let steps = step_names(kept, plan);
    let loops = loop_names(plan, &steps);
    let applies = apply_names(plan, &steps, &loops);
    PlanNames {
        params: plan.params.iter().map(|p| p.name.clone()).collect(),
        slots: plan.slots.iter().map(|s| s.name.clone()).collect(),
        steps,
        applies,
        loops,
    }
}

/// Names of the steps whose values something uses.
fn step_names(kept: &[(usize, &RecStep)], plan: &mut Plan) -> Vec<Option<String>> {
    let mut used = BTreeSet::new();
    plan.walk_all(&mut |s| {
        if let Src::Step(j) = s {
            used.insert(*j);
        }
    });
    kept.iter()
        .enumerate()
        .map(|(j, (_, s))| {
            used.contains(&j)
                .then(|| plan.namer.take(result_name(&s.tool)))
        })
        .collect()
}

fn loop_names(plan: &mut Plan, steps: &[Option<String>]) -> Vec<(Option<String>, String)> {
    let mut used = BTreeSet::new();
    plan.walk_all(&mut |s| {
        if let Src::Loop(l) = s {
            used.insert(*l);
        }
    });
    let mut out: Vec<(Option<String>, String)> = Vec::new();
    for l in 0..plan.loops.len() {
        let lp = &plan.loops[l];
        let list = match &lp.over {
            Src::Step(j) => steps.get(*j).cloned().flatten(),
            Src::Param(i) => plan.params.get(*i).map(|p| p.name.clone()),
            Src::Loop(m) => out.get(*m).and_then(|(n, _)| n.clone()),
            Src::Access(_, path) => match path.last() {
                Some(super::flow::Access::Key(k)) => Some(k.clone()),
                _ => None,
            },
            _ => None,
        };
        let values = used.contains(&l).then(|| plural(result_name(&lp.tool)));
        let values = values.map(|v| plan.namer.take(&v));
        let elem = plan
            .namer
            .take(&list.as_deref().map_or("item".to_owned(), singular));
        out.push((values, elem));
    }
    out
}

/// `files` -> `file`, `entries` -> `entry`, `matches` -> `match`; else `item`.
fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["ches", "shes", "xes", "sses"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        name[..name.len() - 2].to_owned()
    } else if let Some(stem) = name.strip_suffix('s').filter(|s| !s.is_empty()) {
        stem.to_owned()
    } else {
        "item".to_owned()
    }
}

fn plural(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}_all")
    } else {
        format!("{name}s")
    }
}

/// Names of the inserted steps, in the order they are first used.
fn apply_names(
    plan: &mut Plan,
    steps: &[Option<String>],
    loops: &[(Option<String>, String)],
) -> BTreeMap<String, String> {
    // In the order first used, each once (by key: `order.contains` made it quadratic).
    let mut order: (Vec<Apply>, BTreeSet<String>) = (Vec::new(), BTreeSet::new());
    fn collect(src: &Src, order: &mut (Vec<Apply>, BTreeSet<String>)) {
        src.refs(&mut |r| {
            if let Src::Apply(a) = r {
                collect(&a.base, order);
                if order.1.insert(apply_key(a)) {
                    order.0.push((**a).clone());
                }
            }
        });
    }
    for (k, slots) in plan.slots_by_step().iter().enumerate() {
        for slot in slots.iter().map(|&i| &plan.slots[i]) {
            for p in &slot.prompt {
                if let Piece::Value(s) = p {
                    collect(s, &mut order);
                }
            }
        }
        match plan.in_loop.get(k).copied().flatten() {
            Some(l) if plan.loops[l].first == k => {
                collect(&plan.loops[l].over, &mut order);
                for (_, s) in &plan.loops[l].body {
                    collect(s, &mut order);
                }
            }
            Some(_) => {}
            None => plan.args[k]
                .iter()
                .for_each(|(_, s)| collect(s, &mut order)),
        }
    }
    for g in &plan.guards {
        collect(g.check.subject(), &mut order);
    }
    if let Some(r) = &plan.ret {
        collect(r, &mut order);
    }
    let mut names = BTreeMap::new();
    for a in order.0 {
        let base = match &a.base {
            Src::Param(i) => plan.params.get(*i).map(|p| p.name.clone()),
            Src::Step(j) => steps.get(*j).cloned().flatten(),
            Src::Apply(b) => names.get(&apply_key(b)).cloned(),
            Src::Loop(l) => loops.get(*l).and_then(|(n, _)| n.clone()),
            Src::Elem(l) => loops.get(*l).map(|(_, e)| e.clone()),
            _ => None,
        };
        let name = plan.namer.take(&inserted_name(a.tool, base.as_deref()));
        names.insert(apply_key(&a), name);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_and_plural_names() {
        assert_eq!(singular("files"), "file");
        assert_eq!(singular("entries"), "entry");
        assert_eq!(singular("matches"), "match");
        assert_eq!(singular("data"), "item");
        assert_eq!(plural("text"), "texts");
        assert_eq!(plural("words"), "words_all");
    }
}
