//! The steps of one map operation (runtime/map.go's mapassign, mapdelete, mapaccess1,
//! mapiternext around hashWriting; go1.24 internal/runtime/maps' PutSlot, Delete, Get and
//! Iter.Next around `writing`), executed one at a time on the shared map.

use rand::RngExt;

use super::{OpState, World};
use crate::engine::program::Instr;
use crate::model::gomap::Found;
use crate::model::gomap::classic::FATAL_BAD_MAP_STATE;
use crate::model::sched::steps::{
    FATAL_ITER_WRITE, FATAL_READ_WRITE, FATAL_WRITES, MapOp, StepKind,
};

impl World {
    /// The key a new map operation works on: a fresh one for an insert, a random present
    /// one otherwise (a missing one when the map holds none).
    pub(super) fn pick_key(&mut self, g: usize, op: MapOp, map: usize) -> u64 {
        let slot = &mut self.maps[map];
        match op {
            // A fresh key joins the keys others may pick only once its insert is done.
            MapOp::Assign => {
                let k = slot.next_key;
                slot.next_key += 1;
                k
            }
            MapOp::Delete => {
                if slot.live.is_empty() {
                    return u64::MAX;
                }
                let i = self.goroutines[g].rng.random_range(0..slot.live.len());
                slot.live.swap_remove(i)
            }
            MapOp::Access => {
                if slot.live.is_empty() {
                    return u64::MAX;
                }
                let i = self.goroutines[g].rng.random_range(0..slot.live.len());
                slot.live[i]
            }
            MapOp::Iterate => 0,
        }
    }

    /// Executes the next step of the map operation goroutine `g` is in.
    pub(super) fn op_step(&mut self, g: usize, t_ns: u64, p: u32) {
        let gid = g as u32;
        let before = self.work;
        let mut st = self.goroutines[g].op.expect("an operation in progress");
        let steps = st.op.steps_for(self.maps[st.map as usize].map.is_swiss());
        let kind = match st.op {
            MapOp::Iterate if st.pc > 0 => StepKind::IterNext,
            _ => steps[st.pc],
        };
        self.record(gid, t_ns, p, Some(st.map), kind);
        let slot = &mut self.maps[st.map as usize];
        let m = &mut slot.map;
        let mut done = false;
        match kind {
            StepKind::CountCheck => {
                // if h == nil || h.count == 0 { return }
                done = m.is_empty();
            }
            StepKind::EntryCheck => {
                if m.writing() {
                    let msg = if st.op == MapOp::Access {
                        FATAL_READ_WRITE
                    } else {
                        FATAL_WRITES
                    };
                    self.die(msg, gid);
                    return;
                }
            }
            // hash := t.hasher(key, uintptr(h.hash0)), with the hash0 of this moment.
            StepKind::Hash => {
                st.hash = m.key_hash(st.key);
                st.hashed = true;
            }
            StepKind::Local | StepKind::SliceLoad | StepKind::SliceStore | StepKind::SliceSet => {}
            StepKind::XorLoad | StepKind::ClearLoad => st.reg = m.flag_word(),
            StepKind::XorStore => m.store_toggled(st.reg),
            StepKind::AssignFind => {
                m.count_write(&mut self.work);
                match m.assign_find(st.key, st.hash, &mut self.work) {
                    Found::Existing(c) => {
                        st.found = Some(c);
                        st.existing = true;
                    }
                    Found::New(c) => st.found = Some(c),
                    Found::Fatal(msg) => {
                        self.die(msg, gid);
                        return;
                    }
                }
            }
            StepKind::AssignStore => {
                if let (Some(c), false) = (st.found, st.existing) {
                    m.assign_store(c, st.key);
                }
            }
            StepKind::DeleteFind => {
                m.count_write(&mut self.work);
                match m.delete_find(st.key, st.hash, &mut self.work) {
                    Ok(found) => st.found = found,
                    Err(msg) => {
                        self.die(msg, gid);
                        return;
                    }
                }
            }
            StepKind::DeleteClear => {
                if let Some(c) = st.found {
                    m.delete_clear(c, &mut self.work);
                }
            }
            StepKind::CountLoad => st.reg = m.len(),
            StepKind::CountStore => {
                if st.op == MapOp::Assign {
                    m.set_count(st.reg + 1);
                } else {
                    // h.count-- (an int) and m.used-- (a uint64): the classic model keeps
                    // its count at 0; a Swiss map's wraps, as the runtime's does.
                    let c = if m.is_swiss() {
                        st.reg.wrapping_sub(1)
                    } else {
                        st.reg.saturating_sub(1)
                    };
                    m.set_count(c);
                    if c == 0 {
                        m.reseed();
                    }
                }
            }
            StepKind::ExitCheck => {
                if !m.writing() {
                    self.die(FATAL_WRITES, gid);
                    return;
                }
            }
            StepKind::ClearStore => {
                m.store_cleared(st.reg);
                m.finish_write();
                done = true;
            }
            StepKind::Lookup => {
                if let Err(msg) = m.lookup(st.key, st.hash, &mut self.work) {
                    self.die(msg, gid);
                    return;
                }
                done = true;
            }
            StepKind::IterInit => {
                // mapiterinit: nothing to do on an empty map.
                if m.is_empty() {
                    done = true;
                } else {
                    // mapiterinit's atomic.Or8(&h.flags, iterator|oldIterator); nothing
                    // for a Swiss map.
                    m.iter_init();
                    st.iter_left = m.len() + 1;
                }
            }
            StepKind::IterNext => {
                if m.writing() {
                    self.die(FATAL_ITER_WRITE, gid);
                    return;
                }
                st.iter_left -= 1;
                done = st.iter_left == 0;
            }
            StepKind::Lock
            | StepKind::Unlock
            | StepKind::RLock
            | StepKind::RUnlock
            | StepKind::GcStart => {}
        }
        // runtime/map.go: evacuate throws when it meets a cell a racing write left in a
        // state no bucket should have.
        if self.maps[st.map as usize].map.take_bad_state() {
            self.die(FATAL_BAD_MAP_STATE, gid);
            return;
        }
        let m = &self.maps[st.map as usize].map;
        let after = m.writing();
        // From its Hash step on, the operation knows where its key lives.
        let home = st.hashed.then(|| m.home(st.hash));
        if let Some(last) = self.trace.steps.last_mut() {
            last.writing_after = after;
            last.home = home;
        }
        if !done && st.op != MapOp::Iterate {
            st.pc += 1;
            // Without a key to delete (or with a key already present) there is nothing to
            // clear and no count to change.
            while st.pc < steps.len() && self.skipped(&st, steps[st.pc]) {
                st.pc += 1;
            }
            done = st.pc >= steps.len();
        } else if st.op == MapOp::Iterate && !done {
            st.pc = 1;
        }
        let map_bytes = self.maps[st.map as usize].map.live_bytes();
        self.price(kind, &before, map_bytes);
        if done {
            self.goroutines[g].op = None;
            self.end_op(g, st);
        } else {
            self.goroutines[g].op = Some(st);
        }
    }

    fn skipped(&self, st: &OpState, kind: StepKind) -> bool {
        match kind {
            StepKind::DeleteClear | StepKind::CountLoad | StepKind::CountStore
                if st.op == MapOp::Delete =>
            {
                st.found.is_none()
            }
            StepKind::CountLoad | StepKind::CountStore if st.op == MapOp::Assign => st.existing,
            _ => false,
        }
    }

    /// A map operation ended: a churn unit goes on to its insert, anything else moves on.
    fn end_op(&mut self, g: usize, st: OpState) {
        if st.op == MapOp::Assign && !st.existing {
            self.maps[st.map as usize].live.push(st.key);
        }
        let churn = matches!(self.next_instr(g), Some((Instr::Churn { .. }, _)));
        if churn && st.op == MapOp::Delete {
            self.race_access(g as u32, st.map, MapOp::Assign, StepKind::EntryCheck);
            let key = self.pick_key(g, MapOp::Assign, st.map as usize);
            self.goroutines[g].op = Some(OpState::start(MapOp::Assign, st.map, key));
            return;
        }
        self.finish_unit(g);
    }
}
