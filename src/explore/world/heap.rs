//! The heap and the GC in an explored schedule, as `run` has them: what each step costs
//! (its share of map_op and the work beyond it), its allocations on `run`'s heap, and the
//! trigger test and gcStart of runtime/malloc.go and runtime/mgc.go.

use super::World;
use crate::engine::HOLDER_BYTES;
use crate::engine::program::Instr;
use crate::model::gomap::Work;
use crate::model::sched::steps::{MAP_OP_SHARES, StepKind};

impl World {
    /// The time of a map step of `kind` that did the work since `before` on a map of
    /// `map_bytes`: its share of map_op, and the price of its further work (cache misses
    /// included), as `run` prices it.
    pub(super) fn price(&mut self, kind: StepKind, before: &Work, map_bytes: u64) {
        match kind {
            StepKind::Local
            | StepKind::GcStart
            | StepKind::Lock
            | StepKind::Unlock
            | StepKind::RLock
            | StepKind::RUnlock => {}
            _ => {
                // The fixed cost is the share below, not a whole map_op per operation; the
                // step that reached the operation's first bucket takes its cache misses.
                let done = self.work.since(before);
                let misses = done
                    .bucket_touches()
                    .saturating_mul(self.prices.miss_ps(map_bytes));
                let w = Work { ops: 0, ..done };
                let share =
                    self.prices.map_op_ps.saturating_mul(kind.map_op_share()) / MAP_OP_SHARES;
                let entry = if kind == StepKind::IterNext {
                    self.prices.iter_entry_ps
                } else {
                    0
                };
                let ps = share
                    .saturating_add(entry)
                    .saturating_add(self.prices.price(&w))
                    .saturating_add(misses);
                self.last_step_ns = ps / 1000;
            }
        }
    }

    /// Puts what the last map step allocated and freed on the heap; mallocgc then tests
    /// the trigger (runtime/malloc.go: `if t := (gcTrigger{kind: gcTriggerHeap}); t.test()`).
    pub(super) fn account(&mut self, g: usize, before: &Work) {
        let w = self.work.since(before);
        let Work {
            alloc_bytes: bytes,
            alloc_objects: objects,
            garbage_bytes: garbage,
            ..
        } = w;
        if bytes == 0 && garbage == 0 {
            return;
        }
        if self.record.is_some() {
            self.record_map(g, &w);
        }
        let scan = self
            .trace
            .steps
            .last()
            .and_then(|s| s.map)
            .is_some_and(|m| self.maps[m as usize].scan);
        let pages = self.alloc(bytes, objects, bytes, if scan { bytes } else { 0 }, true);
        let first = self.prices.first_growth_ps(&mut self.grown, &w);
        self.last_step_ns = self
            .last_step_ns
            .saturating_add(pages.saturating_add(first) / 1000);
        self.gc
            .heap
            .drop_reachable(garbage, if scan { garbage } else { 0 });
        self.test_trigger(g);
    }

    /// An allocation on the heap, as `run` makes it ([`crate::engine::gc::Gc::alloc`]), by
    /// a map (`map`) or not; returns the time of its page work (ps): the sweeping it owes
    /// and the faults of the pages it touched first.
    pub(super) fn alloc(
        &mut self,
        bytes: u64,
        objects: u64,
        reachable: u64,
        scan: u64,
        map: bool,
    ) -> u64 {
        let pages = self.gc.alloc(bytes, objects, reachable, scan);
        let swept = self.gc.sweep_on_alloc(self.step_t_ns);
        self.prices.page_ps(&pages, map).0 + swept
    }

    /// The part of goroutine `g`'s `alloc` or `retain` that its step at `t_ns` takes:
    /// outside a mark, the objects up to the first that reaches the GC trigger; during one,
    /// those it allocates before the mark ends (at least one, at most those left); other
    /// instructions whole. Returns it and how many units it is.
    pub(super) fn up_to_trigger(&mut self, g: usize, instr: Instr, t_ns: u64) -> (Instr, u64) {
        let left = self.goroutines[g].cursor.left();
        let (objects, size, holder) = match instr {
            Instr::Alloc { objects, size, .. } => (objects, size, 0),
            Instr::Retain { objects, size } => (objects, size, HOLDER_BYTES),
            _ => return (instr, u64::MAX),
        };
        let left = if left == 0 {
            objects
        } else {
            left.min(objects)
        };
        let k = match self.gc.mark_end_ns() {
            Some(end) => end
                .saturating_sub(t_ns)
                .div_ceil(self.object_ns(size).max(1))
                .clamp(1, left),
            None => match self.gc.bytes_to_trigger() {
                u64::MAX => left,
                bytes => bytes.div_ceil((size + holder).max(1)).clamp(1, left),
            },
        };
        let part = match instr {
            Instr::Alloc {
                size, interval_ps, ..
            } => Instr::Alloc {
                objects: k,
                size,
                interval_ps,
            },
            _ => Instr::Retain { objects: k, size },
        };
        (part, k)
    }

    /// [costs]: what allocating one object of `size` bytes takes (ns): alloc_object, and
    /// alloc_per_kib per KiB.
    pub(super) fn object_ns(&self, size: u64) -> u64 {
        let (per_object, per_kib) = self.alloc_costs_ns;
        per_object.saturating_add(size.saturating_mul(per_kib) / 1024)
    }

    /// An `alloc`, `retain` or `free` step on the heap, as `run` does it.
    pub(super) fn local_heap(&mut self, instr: Instr) {
        match instr {
            Instr::Alloc { objects, size, .. } => {
                let bytes = objects.saturating_mul(size);
                let pages = self.alloc(bytes, objects, 0, 0, false);
                self.last_step_ns = self.last_step_ns.saturating_add(pages / 1000);
            }
            Instr::Retain { objects, size } => {
                let bytes = objects.saturating_mul(size + HOLDER_BYTES);
                let scan = objects.saturating_mul(HOLDER_BYTES);
                self.retained.0 += bytes;
                self.retained.1 += scan;
                let pages = self.alloc(bytes, objects, bytes, scan, false);
                self.last_step_ns = self.last_step_ns.saturating_add(pages / 1000);
            }
            Instr::Free { bytes } => {
                crate::engine::free_retained(&mut self.retained, &mut self.gc, bytes);
            }
            _ => {}
        }
    }

    /// mallocgc's trigger test after an allocation by goroutine `g`.
    pub(super) fn test_trigger(&mut self, g: usize) {
        if self.gc.heap_trigger_hit() {
            self.goroutines[g].gc_start_next = true;
        }
    }

    /// runtime/mgc.go: gcStart, called by goroutine `g` from mallocgc. It tests the trigger
    /// again (another goroutine may have started the cycle) and starts the cycle; the first
    /// one creates the mark workers and waits for them, off its P (gcBgMarkStartWorkers).
    pub(super) fn gc_start(&mut self, g: usize, t_ns: u64, p: u32) {
        self.goroutines[g].gc_start_next = false;
        let map = self.goroutines[g].op.map(|st| st.map);
        self.record(g as u32, t_ns, p, map, StepKind::GcStart);
        self.last_step_ns = 0;
        if self.gc.heap_trigger_hit() {
            let step = self.trace.steps.len() - 1;
            let yields = !self.mark_workers_started;
            self.mark_workers_started = true;
            if yields {
                // newproc of one worker per P, on this goroutine's time.
                self.yielded = Some(g as u32);
                self.last_step_ns = self.spawn_ns.saturating_mul(u64::from(self.procs));
            }
            self.trace.gc_starts.push((step, yields));
            let procs = f64::from(self.procs);
            self.gc.start_cycle(t_ns, 0, false, procs);
        }
        self.settle(g);
    }
}
