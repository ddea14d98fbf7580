//! Loops: k calls of one tool over elements 0..k-1 of a list whose recorded length is k
//! are one `for` over the list, so a list of another length gets one call per element
//! (`concatenate the files in DIR` read `files[0]` and `files[1]`: a third file would be
//! dropped, a single one would fail). The calls' results become the loop's list of
//! values; a text that joins them all is `text.join` of that list.

use super::sources::{Access, Src};
use crate::learn::recording::RecStep;
use crate::value::Value;

/// A loop over a list: kept steps `first..first + count`, one per element.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopPlan {
    /// The list it runs over.
    pub over: Src,
    pub first: usize,
    pub count: usize,
    /// The tool each iteration calls.
    pub tool: String,
    /// The call's arguments, with `Src::Elem` for the element.
    pub body: Vec<(String, Src)>,
}

impl LoopPlan {
    pub fn last(&self) -> usize {
        self.first + self.count - 1
    }
}

/// The loop that kept step `k` completes, if steps `k + 1 - n ..= k` call the same tool
/// on elements `0..n` of a list of length `n` (`len` gives a source's recorded length),
/// in the same way. `index` is the loop's index (for `Src::Elem`).
pub fn detect(
    k: usize,
    args: &dyn Fn(usize) -> Vec<(String, Src)>,
    kept: &[(usize, &RecStep)],
    in_loop: &[Option<usize>],
    len: &dyn Fn(&Src) -> Option<usize>,
    index: usize,
) -> Option<LoopPlan> {
    let at_k = args(k);
    let (over, last) = at_k.iter().find_map(|(_, s)| indexed(s))?;
    let n = len(&over)?;
    if n != last + 1 || k + 1 < n {
        return None;
    }
    let first = k + 1 - n;
    let tool = &kept[k].1.tool;
    let mut before_first = true;
    over.walk(&mut |s| {
        if let Src::Step(j) = s {
            before_first &= *j < first;
        }
    });
    if !before_first
        || (first..=k)
            .any(|c| in_loop[c].is_some() || kept[c].1.tool != *tool || kept[c].1.result.is_none())
    {
        return None;
    }
    let body: Vec<(String, Src)> = at_k
        .iter()
        .map(|(name, s)| (name.clone(), element(s, &over, last, index)))
        .collect();
    let same = (first..k).all(|c| {
        let m = c - first;
        let at_c = args(c);
        at_c.len() == body.len()
            && at_c
                .iter()
                .zip(&body)
                .all(|((n1, s), (n2, b))| n1 == n2 && element(s, &over, m, index) == *b)
    });
    let mut clean = true;
    for (_, b) in &body {
        b.walk(&mut |s| {
            clean &= match s {
                Src::Slot(_) => false,
                Src::Step(j) => *j < first,
                _ => true,
            }
        });
    }
    (same && clean).then(|| LoopPlan {
        over,
        first,
        count: n,
        tool: tool.clone(),
        body,
    })
}

/// Whether a loop may end at a step with these arguments (before [`remap`]): [`detect`]
/// needs an element picked by position, which is an element access or a use of a looped
/// step's result (an element of its loop's values). Checks that without copying them.
pub fn may_end_at(args: &[(String, Src)], in_loop: &[Option<usize>]) -> bool {
    fn picks(src: &Src, in_loop: &[Option<usize>]) -> bool {
        match src {
            Src::Access(base, path) => {
                path.iter().any(|a| matches!(a, Access::Index(_))) || picks(base, in_loop)
            }
            Src::Step(j) => in_loop.get(*j).is_some_and(Option::is_some),
            Src::Template(parts) => parts.iter().any(|p| match p {
                super::sources::Piece::Value(s) => picks(s, in_loop),
                super::sources::Piece::Text(_) => false,
            }),
            Src::List(items) => items.iter().any(|s| picks(s, in_loop)),
            Src::Object(entries) => entries.iter().any(|(_, s)| picks(s, in_loop)),
            Src::Apply(a) => picks(&a.base, in_loop),
            Src::Const(_) | Src::Param(_) | Src::Slot(_) | Src::Elem(_) | Src::Loop(_) => false,
        }
    }
    args.iter().any(|(_, s)| picks(s, in_loop))
}

/// The first element access in a source: (the list, the index).
fn indexed(src: &Src) -> Option<(Src, usize)> {
    let mut found = None;
    find(src, &mut found);
    found
}

fn find(src: &Src, found: &mut Option<(Src, usize)>) {
    if found.is_some() {
        return;
    }
    if let Src::Access(base, path) = src
        && let Some(p) = path.iter().position(|a| matches!(a, Access::Index(_)))
    {
        let Access::Index(i) = path[p] else {
            return;
        };
        let list = if p == 0 {
            (**base).clone()
        } else {
            Src::Access(base.clone(), path[..p].to_vec())
        };
        *found = Some((list, i));
        return;
    }
    match src {
        Src::Template(parts) => parts.iter().for_each(|p| {
            if let super::sources::Piece::Value(s) = p {
                find(s, found)
            }
        }),
        Src::List(items) => items.iter().for_each(|s| find(s, found)),
        Src::Object(entries) => entries.iter().for_each(|(_, s)| find(s, found)),
        Src::Apply(a) => find(&a.base, found),
        Src::Access(b, _) => find(b, found),
        _ => {}
    }
}

/// `src` with element `m` of `list` replaced by the loop's element.
fn element(src: &Src, list: &Src, m: usize, index: usize) -> Src {
    src.map(&|s| {
        let Src::Access(base, path) = s else {
            return None;
        };
        let p = path.iter().position(|a| *a == Access::Index(m))?;
        let prefix = if p == 0 {
            (**base).clone()
        } else {
            Src::Access(base.clone(), path[..p].to_vec())
        };
        (prefix == *list).then(|| {
            if p + 1 == path.len() {
                Src::Elem(index)
            } else {
                Src::Access(Box::new(Src::Elem(index)), path[p + 1..].to_vec())
            }
        })
    })
}

/// `src` with each use of a looped step's result made an element of the loop's values.
pub fn remap(src: &Src, loops: &[LoopPlan], in_loop: &[Option<usize>]) -> Src {
    let at = |j: usize| -> Option<(usize, usize)> {
        let l = (*in_loop.get(j)?)?;
        Some((l, j - loops[l].first))
    };
    src.map(&|s| match s {
        Src::Step(j) => {
            let (l, m) = at(*j)?;
            Some(Src::Access(Box::new(Src::Loop(l)), vec![Access::Index(m)]))
        }
        Src::Access(base, path) => {
            let Src::Step(j) = **base else {
                return None;
            };
            let (l, m) = at(j)?;
            let mut p = vec![Access::Index(m)];
            p.extend(path.iter().cloned());
            Some(Src::Access(Box::new(Src::Loop(l)), p))
        }
        _ => None,
    })
}

/// The values of a loop, as recorded.
pub fn values(lp: &LoopPlan, kept: &[(usize, &RecStep)]) -> Vec<Value> {
    (lp.first..lp.first + lp.count)
        .filter_map(|c| kept[c].1.result.clone())
        .collect()
}
