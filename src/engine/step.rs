//! What a goroutine does at each step: one map operation, one batch of allocations, a free,
//! or a stretch of computation. Allocation batches end exactly where something happens (the
//! GC trigger is reached, another event is due, the op ends), so advancing a batch at once
//! gives exactly the result of stepping object by object.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::program::Instr;
use super::sim::{MapSlot, Sim};
use crate::model::gomap::Work;

/// Bytes of the slice header that holds each retained object (a `[][]byte` element), which
/// the GC scans.
const HOLDER_BYTES: u64 = 24;

impl Sim {
    /// Executes one step of goroutine `g` that starts before `horizon_ns`; false when its
    /// program has ended.
    pub(super) fn step(&mut self, g: usize, horizon_ns: u64) -> bool {
        if self.fatal.is_some() {
            return false;
        }
        let Some((instr, units)) = self.next_instr(g) else {
            return false;
        };
        let now_ns = self.goroutines[g].time_ps / 1000;
        match instr {
            Instr::Alloc {
                size, interval_ps, ..
            } => self.alloc_batch(g, size, interval_ps, false, units, horizon_ns),
            Instr::Retain { size, .. } => self.alloc_batch(g, size, 0, true, units, horizon_ns),
            Instr::Free { bytes } => {
                self.finish_units(g, 1);
                let (retained, scan) = self.retained;
                let drop = bytes.min(retained);
                let drop_scan = if retained == 0 {
                    0
                } else {
                    (u128::from(scan) * u128::from(drop) / u128::from(retained)) as u64
                };
                self.retained = (retained - drop, scan - drop_scan);
                self.gc.heap.drop_reachable(drop, drop_scan);
            }
            // Locks do not block in a run of one goroutine (validation refuses several).
            Instr::Lock { .. }
            | Instr::Unlock { .. }
            | Instr::Rlock { .. }
            | Instr::Runlock { .. } => {
                self.finish_units(g, 1);
            }
            Instr::Compute { ps } => {
                self.finish_units(g, 1);
                let gs = &mut self.goroutines[g];
                gs.busy = 1.0;
                gs.time_ps = gs.time_ps.saturating_add(ps);
            }
            Instr::Insert { map, .. }
            | Instr::Delete { map, .. }
            | Instr::Churn { map, .. }
            | Instr::Read { map, .. }
            | Instr::Iterate { map } => {
                self.finish_units(g, 1);
                self.map_op(g, instr, map as usize);
            }
            Instr::Loop { .. } | Instr::EndLoop { .. } => unreachable!("next_instr skips loops"),
        }
        if self.gc.heap.out_of_memory() {
            // runtime/malloc.go: an allocation past the arena address space fails.
            self.fatal = Some("runtime: out of memory");
            return false;
        }
        // runtime/malloc.go: mallocgc tests the heap trigger after allocating.
        if self.gc.heap_trigger_hit() {
            self.start_gc(now_ns.max(self.goroutines[g].time_ps / 1000), false);
        }
        true
    }

    /// The instruction goroutine `g` executes next and how many units of it remain, after
    /// stepping over loop markers and empty instructions.
    fn next_instr(&mut self, g: usize) -> Option<(Instr, u64)> {
        let gs = &mut self.goroutines[g];
        gs.cursor.current(&self.programs[gs.program as usize])
    }

    /// Marks `k` units of the current instruction of goroutine `g` done.
    #[inline]
    fn finish_units(&mut self, g: usize, k: u64) {
        self.goroutines[g].cursor.advance(k);
    }

    /// Allocates a batch of objects of `size` bytes: as many as fit before the trigger, the
    /// horizon and the end of the op, at least one.
    fn alloc_batch(
        &mut self,
        g: usize,
        size: u64,
        interval_ps: u64,
        retain: bool,
        remaining: u64,
        horizon_ns: u64,
    ) {
        if self.park_if_assist_bound(g) {
            return;
        }
        let swept = !self.gc.cycles.is_empty() || self.gc.marking();
        let cost = self.config.object_ps(size, swept);
        // During a mark the mutator shares its P with the fractional worker and assists:
        // its own work takes 1/share as long, and assist/share of that is assisting.
        let (share, assist) = self.gc.mutator_share();
        let cost_marking = if share < 1.0 {
            (cost as f64 / share.max(1e-6)) as u64
        } else {
            cost
        };
        let step = cost_marking.max(interval_ps).max(1);
        let obj = if retain { size + HOLDER_BYTES } else { size };

        let mut k = remaining;
        let to_trigger = self.gc.bytes_to_trigger();
        if to_trigger != u64::MAX {
            k = k.min(to_trigger.div_ceil(obj).max(1));
        }
        let gs = &mut self.goroutines[g];
        if horizon_ns != u64::MAX {
            let left = (horizon_ns * 1000).saturating_sub(gs.time_ps);
            k = k.min(left.div_ceil(step).max(1));
        }
        gs.time_ps = gs.time_ps.saturating_add(k.saturating_mul(step));
        gs.busy = cost_marking as f64 / step as f64;
        if assist > 0.0 {
            self.assist_ps_cycle += (k as f64 * cost as f64 * assist / share.max(1e-6)) as u64;
        }
        let bytes = k * obj;
        if retain {
            let scan = k * HOLDER_BYTES;
            self.retained.0 += bytes;
            self.retained.1 += scan;
            self.gc.alloc(bytes, k, bytes, scan);
        } else {
            self.gc.alloc(bytes, k, 0, 0);
        }
        self.finish_units(g, k);
    }

    /// During a mark that leaves the mutator (almost) no time of its own, an allocating
    /// goroutine assists until no work is left and then parks until the mark ends
    /// (runtime/mgcmark.go: gcAssistAlloc, gcParkAssist). True when it parked.
    fn park_if_assist_bound(&mut self, g: usize) -> bool {
        let (share, assist) = self.gc.mutator_share();
        let Some(end_ns) = self.gc.mark_end_ns() else {
            return false;
        };
        if share > 0.01 {
            return false;
        }
        let gs = &mut self.goroutines[g];
        let wait = (end_ns * 1000).saturating_sub(gs.time_ps);
        self.assist_ps_cycle += (wait as f64 * assist.min(1.0)) as u64;
        gs.time_ps += wait;
        gs.busy = 1.0;
        true
    }

    /// One map operation; its allocations go on the heap, its old arrays become garbage.
    fn map_op(&mut self, g: usize, instr: Instr, map: usize) {
        let mut w = Work::default();
        let gs = &mut self.goroutines[g];
        let slot = &mut self.maps[map];
        match instr {
            Instr::Insert { .. } => insert_fresh(slot, &mut w),
            Instr::Delete { .. } => delete_random(slot, &mut gs.rng, &mut w),
            Instr::Churn { .. } => {
                delete_random(slot, &mut gs.rng, &mut w);
                insert_fresh(slot, &mut w);
            }
            Instr::Read { .. } => read_random(slot, &mut gs.rng, &mut w),
            Instr::Iterate { .. } => {
                slot.map.iterate(&mut w, |_| {});
            }
            _ => unreachable!("map_op takes map instructions"),
        }
        let mut cost = self.config.price(&w);
        let (share, assist) = self.gc.mutator_share();
        if share + assist < 1.0 || assist > 0.0 {
            if w.alloc_bytes == 0 {
                // No allocation, no assist: only the fractional worker shares the P.
                cost = (cost as f64 / (share + assist).max(1e-6)) as u64;
            } else if share > 0.01 {
                self.assist_ps_cycle += (cost as f64 * assist / share) as u64;
                cost = (cost as f64 / share) as u64;
            } else if let Some(end_ns) = self.gc.mark_end_ns() {
                // The allocation's assist finds no work left to do: it parks until the mark
                // ends (runtime/mgcmark.go: gcParkAssist), then the op completes.
                let wait = (end_ns * 1000).saturating_sub(gs.time_ps);
                self.assist_ps_cycle += (wait as f64 * assist.min(1.0)) as u64;
                cost += wait;
            }
        }
        gs.time_ps = gs.time_ps.saturating_add(cost);
        gs.busy = 1.0;
        if let Some(rec) = &mut self.map_writes
            && matches!(
                instr,
                Instr::Insert { .. } | Instr::Delete { .. } | Instr::Churn { .. }
            )
            && rec.len() < rec.capacity()
        {
            let (nevacuate, old_buckets) = slot.map.evacuation();
            rec.push(super::sim::MapWrite {
                map: map as u32,
                op: slot.map.stats().writes,
                cost_ns: cost / 1000,
                evacuated_buckets: w.evacuated_buckets,
                nevacuate,
                old_buckets,
                live_bytes: slot.map.live_bytes(),
            });
        }
        if w.alloc_bytes > 0 || w.garbage_bytes > 0 {
            let scan = if slot.scan { w.alloc_bytes } else { 0 };
            self.gc
                .alloc(w.alloc_bytes, w.alloc_objects, w.alloc_bytes, scan);
            let scan_garbage = if slot.scan { w.garbage_bytes } else { 0 };
            self.gc.heap.drop_reachable(w.garbage_bytes, scan_garbage);
        }
        add_work(&mut self.work, &w);
    }
}

/// `m[k] = v` with a key never used before.
#[inline]
fn insert_fresh(slot: &mut MapSlot, w: &mut Work) {
    let key = slot.next_key;
    slot.next_key += 1;
    slot.map.assign(key, w);
    if slot.track_live {
        slot.live.push(key);
    }
}

/// `delete(m, k)` of a uniformly chosen existing key; a no-op delete when the map is empty.
#[inline]
fn delete_random(slot: &mut MapSlot, rng: &mut ChaCha8Rng, w: &mut Work) {
    if slot.live.is_empty() {
        slot.map.delete(u64::MAX, w);
        return;
    }
    let i = rng.random_range(0..slot.live.len());
    let key = slot.live.swap_remove(i);
    slot.map.delete(key, w);
}

/// `_ = m[k]` of a uniformly chosen existing key (a missing key when the map is empty).
#[inline]
fn read_random(slot: &mut MapSlot, rng: &mut ChaCha8Rng, w: &mut Work) {
    let key = if slot.live.is_empty() {
        u64::MAX
    } else {
        slot.live[rng.random_range(0..slot.live.len())]
    };
    slot.map.get(key, w);
}

/// Adds `w` into `total`.
#[inline]
pub(super) fn add_work(total: &mut Work, w: &Work) {
    total.ops += w.ops;
    total.overflow_probes += w.overflow_probes;
    total.evacuated_buckets += w.evacuated_buckets;
    total.evacuated_entries += w.evacuated_entries;
    total.iterated_entries += w.iterated_entries;
    total.alloc_bytes += w.alloc_bytes;
    total.alloc_objects += w.alloc_objects;
    total.garbage_bytes += w.garbage_bytes;
}
