//! Effect order: which earlier ops an op with effects must wait for, so that running
//! independent ops at once behaves like running the steps in source order.
//!
//! The workspace is one resource with reader/writer ordering: a `read` waits for the last
//! `write`/`exec`; a `write` or `exec` (a subprocess may read and write files) waits for
//! the last `write`/`exec` and for every read since. `pure`, `net`, `llm` and `clock`
//! touch no workspace state, so they only wait for their data. (Two GETs, or a GET and a
//! file write, may overlap; an `ask` may overlap anything it does not read.)
//!
//! Guards (`expect`, and a block op holding one) come in order, each after the one
//! before; an op that acts on the world (`write`, `exec`, `net`, `llm`) waits for the
//! last guard, so a run whose assumption fails stops before it does anything.

use super::OpId;
use crate::types::{Effect, EffectSet};

#[derive(Debug, Default)]
pub struct EffectOrder {
    last_write: Option<OpId>,
    reads_since_write: Vec<OpId>,
    last_guard: Option<OpId>,
}

/// Whether ops with these effects act on the world and so wait for every guard before.
pub fn acts_on_world(effects: EffectSet) -> bool {
    [Effect::Write, Effect::Exec, Effect::Net, Effect::Llm]
        .into_iter()
        .any(|e| effects.contains(e))
}

impl EffectOrder {
    /// Records op `id` with `effects` (a guard when `guard`) and returns the ops it must
    /// run after.
    pub fn add(&mut self, id: OpId, effects: EffectSet, guard: bool) -> Vec<OpId> {
        let writes = effects.contains(Effect::Write) || effects.contains(Effect::Exec);
        let reads = effects.contains(Effect::Read);
        let mut after = Vec::new();
        if guard || acts_on_world(effects) {
            after.extend(self.last_guard);
        }
        if guard {
            self.last_guard = Some(id);
        }
        if writes {
            after.extend(self.last_write);
            after.append(&mut self.reads_since_write);
            self.last_write = Some(id);
        } else if reads {
            after.extend(self.last_write);
            self.reads_since_write.push(id);
        }
        after.sort_unstable();
        after.dedup();
        after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(ids: &[u32]) -> Vec<OpId> {
        ids.iter().copied().map(OpId).collect()
    }

    #[test]
    fn reads_wait_for_writes_and_writes_for_everything_before() {
        let read = EffectSet::single(Effect::Read);
        let write = EffectSet::single(Effect::Write);
        let net = EffectSet::single(Effect::Net);
        let mut o = EffectOrder::default();
        assert_eq!(o.add(OpId(0), read, false), ids(&[]));
        assert_eq!(o.add(OpId(1), read, false), ids(&[]));
        assert_eq!(o.add(OpId(2), write, false), ids(&[0, 1]));
        assert_eq!(o.add(OpId(3), net, false), ids(&[]));
        assert_eq!(o.add(OpId(4), read, false), ids(&[2]));
        assert_eq!(
            o.add(OpId(5), EffectSet::single(Effect::Exec), false),
            ids(&[2, 4])
        );
        assert_eq!(o.add(OpId(6), write, false), ids(&[5]));
    }

    #[test]
    fn guards_chain_and_hold_back_what_acts_on_the_world() {
        let read = EffectSet::single(Effect::Read);
        let write = EffectSet::single(Effect::Write);
        let llm = EffectSet::single(Effect::Llm);
        let mut o = EffectOrder::default();
        assert_eq!(o.add(OpId(0), EffectSet::EMPTY, true), ids(&[]));
        assert_eq!(o.add(OpId(1), read, false), ids(&[]));
        assert_eq!(o.add(OpId(2), EffectSet::EMPTY, true), ids(&[0]));
        assert_eq!(o.add(OpId(3), llm, false), ids(&[2]));
        assert_eq!(o.add(OpId(4), write, false), ids(&[1, 2]));
        assert_eq!(o.add(OpId(5), EffectSet::EMPTY, false), ids(&[]));
    }
}
