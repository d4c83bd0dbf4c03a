//! What a goroutine does at each step: one map operation, one batch of allocations, a free,
//! or a stretch of computation. Allocation batches end exactly where something happens (the
//! GC trigger is reached, another event is due, the op ends), so advancing a batch at once
//! gives exactly the result of stepping object by object.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::HOLDER_BYTES;
use super::exectrace::{Site, TraceKind};
use super::gc::PageWork;
use super::program::Instr;
use super::sched::FORCE_PREEMPT_PS;
use super::sim::{MapSlot, Sim};
use super::sync::Unlocked;
use crate::model::gomap::Work;
use crate::model::malloc::objects_per_span;
use crate::model::sched::steps::{FATAL_ITER_WRITE, FATAL_READ_WRITE, FATAL_WRITES};

/// What a step left its goroutine doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    /// Runnable: it goes on.
    Continue,
    /// Its program ended (or the program died).
    Done,
    /// Blocked on a lock: it waits until an unlock readies it.
    Parked,
    /// It handed its P to the goroutine it just readied (starvation-mode unlock).
    Yield,
    /// It left its P blocked in the runtime and comes back through the global queue.
    Blocked,
}

impl Sim {
    /// Executes one step of goroutine `g` on P `p` that starts before `horizon_ns`.
    pub(super) fn step(&mut self, g: usize, p: usize, horizon_ns: u64) -> Flow {
        if self.fatal.is_some() {
            return Flow::Done;
        }
        self.ps[p].compute_until_ps = 0;
        self.ps[p].atomic_ps = 0;
        if self.goroutines[g].gc_start_on_resume {
            // Back from gcBgMarkStartWorkers: the write it was in finishes, and gcStart
            // goes on to stop the world.
            let gs = &mut self.goroutines[g];
            gs.gc_start_on_resume = false;
            let t = gs.time_ps;
            if let Some(m) = gs.holding_map.take() {
                self.maps[m as usize].writing = Some((g as u32, t));
            }
            if self.gc.heap_trigger_hit() {
                self.request_gc_start(t);
            }
            return Flow::Continue;
        }
        if self.goroutines[g].compute_left_ps > 0 {
            let left = std::mem::take(&mut self.goroutines[g].compute_left_ps);
            self.compute(g, p, left);
            return Flow::Continue;
        }
        let Some((instr, units)) = self.next_instr(g) else {
            return Flow::Done;
        };
        let now_ns = self.goroutines[g].time_ps / 1000;
        let program = self.goroutines[g].program as usize;
        let t = self.goroutines[g].time_ps;
        match instr {
            Instr::Alloc {
                size, interval_ps, ..
            } => {
                let atomic = self.alloc_batch(g, p, size, interval_ps, false, units, horizon_ns);
                self.ps[p].atomic_ps = atomic;
            }
            Instr::Retain { size, .. } => {
                let atomic = self.alloc_batch(g, p, size, 0, true, units, horizon_ns);
                self.ps[p].atomic_ps = atomic;
            }
            Instr::Append { slice, .. } => {
                let growth = self.append_step(g, slice as usize, units, horizon_ns);
                self.ps[p].atomic_ps = growth;
                if self.fatal.is_some() {
                    return Flow::Done;
                }
            }
            Instr::Reset { slice } => {
                self.finish_units(g, 1);
                self.reset_slice(g, slice as usize);
            }
            Instr::Drop { slice } => {
                self.finish_units(g, 1);
                self.drop_slice(g, slice as usize);
            }
            Instr::Free { bytes } => {
                self.finish_units(g, 1);
                super::free_retained(&mut self.retained, &mut self.gc, bytes);
                self.profile.free(bytes);
            }
            Instr::Lock { lock } | Instr::Rlock { lock } => {
                let l = self.lock_of[program][lock as usize] as usize;
                self.charge(g, self.sched_costs.mutex_ps);
                let held = if matches!(instr, Instr::Lock { .. }) {
                    self.mutex_lock(g as u32, l, t)
                } else {
                    self.mutex_rlock(g as u32, l)
                };
                if !held {
                    // It queued on the lock at `t`, before its mutex_op's time ran out.
                    self.park_ps = t;
                    return Flow::Parked;
                }
                self.finish_units(g, 1);
            }
            Instr::Unlock { lock } => {
                let l = self.lock_of[program][lock as usize] as usize;
                self.charge(g, self.sched_costs.mutex_ps);
                let t = self.goroutines[g].time_ps;
                match self.mutex_unlock(g as u32, l, p, t) {
                    Unlocked::Fatal => return Flow::Done,
                    Unlocked::Yield => {
                        self.finish_units(g, 1);
                        return Flow::Yield;
                    }
                    Unlocked::Continue => self.finish_units(g, 1),
                }
            }
            Instr::Runlock { lock } => {
                let l = self.lock_of[program][lock as usize] as usize;
                self.charge(g, self.sched_costs.mutex_ps);
                let t = self.goroutines[g].time_ps;
                if !self.mutex_runlock(g as u32, l, p, t) {
                    return Flow::Done;
                }
                self.finish_units(g, 1);
            }
            Instr::Compute { ps } => {
                self.finish_units(g, 1);
                self.compute(g, p, ps);
            }
            Instr::RequestStart { req } => {
                if let Some(tr) = &mut self.tracer {
                    let task = tr.task_begin(g);
                    let at = Site {
                        program: program as u32,
                        pc: self.goroutines[g].cursor.pc,
                    };
                    self.trace_g(t, p, g, TraceKind::TaskBegin { task, req, at });
                }
                self.finish_units(g, 1);
                let gs = &mut self.goroutines[g];
                let start = gs.arrival_ps.take().unwrap_or(gs.time_ps);
                gs.requests.push((req, start));
            }
            Instr::RequestEnd { req } => {
                if let Some(tr) = &mut self.tracer {
                    let task = tr.task_end(g);
                    let at = self.site(g);
                    self.trace_g(t, p, g, TraceKind::TaskEnd { task, req, at });
                }
                self.finish_units(g, 1);
                let gs = &mut self.goroutines[g];
                if let Some((req, start)) = gs.requests.pop()
                    && start >= self.warmup_ps
                {
                    let ns = (gs.time_ps - start) / 1000;
                    self.latency[req as usize].record(ns);
                }
            }
            Instr::Insert { map, .. }
            | Instr::Delete { map, .. }
            | Instr::Churn { map, .. }
            | Instr::Read { map, .. }
            | Instr::Iterate { map } => {
                let pc = self.goroutines[g].cursor.pc;
                self.finish_units(g, 1);
                let own = self.map_op(g, p, instr, map as usize, pc);
                // A range loop can be preempted between mapiternext calls: the world waits
                // for one bucket of it at most.
                self.ps[p].atomic_ps = if matches!(instr, Instr::Iterate { .. }) {
                    own.min(self.config.map_op_ps + 8 * self.config.iter_entry_ps)
                } else {
                    own
                };
                if self.fatal.is_some() {
                    return Flow::Done;
                }
                let writes = !matches!(instr, Instr::Read { .. } | Instr::Iterate { .. });
                if writes && self.first_gc_start_yields(g) {
                    // The trigger was reached by the write's own allocation (hashGrow,
                    // newoverflow): it is still inside mapassign, hashWriting set.
                    self.maps[map as usize].writing = Some((g as u32, u64::MAX));
                    self.goroutines[g].holding_map = Some(map);
                    return Flow::Blocked;
                }
            }
            Instr::Loop { .. } | Instr::LoopFor { .. } | Instr::EndLoop { .. } => {
                unreachable!("next_instr skips loops")
            }
        }
        if self.gc.heap.out_of_memory() {
            // runtime/malloc.go: an allocation past the arena address space fails.
            self.die("runtime: out of memory", g as u32);
            return Flow::Done;
        }
        if self.first_gc_start_yields(g) {
            return Flow::Blocked;
        }
        // runtime/malloc.go: mallocgc tests the heap trigger after allocating; gcStart
        // first sweeps what the last sweep left (runtime/mgc.go: gcStart).
        if self.gc.heap_trigger_hit() {
            let gs = &mut self.goroutines[g];
            let swept = self.gc.sweeper.finish(gs.time_ps / 1000);
            gs.time_ps = gs.time_ps.saturating_add(swept);
            let at = (now_ns * 1000).max(gs.time_ps);
            self.request_gc_start(at);
        }
        Flow::Continue
    }

    /// runtime/mgc.go: gcStart → gcBgMarkStartWorkers. The first cycle creates a mark
    /// worker goroutine per P and waits for each to start (notetsleepg): the allocating
    /// goroutine leaves its P, in the middle of mallocgc and of whatever runtime function
    /// called it. True when goroutine `g`'s allocation started that first cycle; it then
    /// finishes gcStart when it runs again.
    fn first_gc_start_yields(&mut self, g: usize) -> bool {
        if self.mark_workers_started || self.gc_start_pending || !self.gc.heap_trigger_hit() {
            return false;
        }
        self.mark_workers_started = true;
        let procs = self.ps.len() as u64;
        let gs = &mut self.goroutines[g];
        gs.gc_start_on_resume = true;
        // newproc for each worker, before it blocks.
        gs.time_ps = gs
            .time_ps
            .saturating_add(procs.saturating_mul(self.sched_costs.spawn_ps));
        true
    }

    /// Adds `ps` of the goroutine's own work to its clock.
    #[inline]
    fn charge(&mut self, g: usize, ps: u64) {
        let gs = &mut self.goroutines[g];
        gs.time_ps = gs.time_ps.saturating_add(ps);
    }

    /// `ps` of computation on P `p`, up to the end of the time slice (sysmon then preempts
    /// it, if anything else waits to run); the rest is left for the next step. Inside it the
    /// goroutine can be preempted at once (runtime/preempt.go: asynchronous preemption).
    fn compute(&mut self, g: usize, p: usize, ps: u64) {
        let slice_end = self.ps[p].slice_start_ps.saturating_add(FORCE_PREEMPT_PS);
        let gs = &mut self.goroutines[g];
        let run = if slice_end > gs.time_ps && gs.time_ps.saturating_add(ps) > slice_end {
            slice_end - gs.time_ps
        } else {
            ps
        };
        gs.compute_left_ps += ps - run;
        gs.busy = 1.0;
        gs.time_ps = gs.time_ps.saturating_add(run);
        self.ps[p].compute_until_ps = gs.time_ps;
    }

    /// The instruction goroutine `g` executes next and how many units of it remain, after
    /// stepping over loop markers and empty instructions.
    fn next_instr(&mut self, g: usize) -> Option<(Instr, u64)> {
        let gs = &mut self.goroutines[g];
        gs.cursor
            .current_at(&self.programs[gs.program as usize], gs.time_ps, gs.start_ps)
    }

    /// Marks `k` units of the current instruction of goroutine `g` done.
    #[inline]
    fn finish_units(&mut self, g: usize, k: u64) {
        self.goroutines[g].cursor.advance(k);
    }

    /// Allocates a batch of objects of `size` bytes: as many as fit before the trigger, the
    /// horizon and the end of the op, at least one. Returns the time of one mallocgc (0 when
    /// paced: the goroutine waits between objects at a safe point).
    #[allow(clippy::too_many_arguments)]
    fn alloc_batch(
        &mut self,
        g: usize,
        p: usize,
        size: u64,
        interval_ps: u64,
        retain: bool,
        remaining: u64,
        horizon_ns: u64,
    ) -> u64 {
        let t0 = self.goroutines[g].time_ps;
        if self.park_if_assist_bound(g) {
            self.trace_assist(g, p, t0);
            return 0;
        }
        let swept = !self.gc.cycles.is_empty() || self.gc.marking();
        let mut cost = self.config.object_ps(size, swept);
        if swept {
            let miss = self.config.clear_miss_per_kib_ps(self.gc.reuse_bytes);
            cost = cost.saturating_add(size.saturating_mul(miss) / 1024);
        }
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
            let paged = step.saturating_add(obj.saturating_mul(self.page_ps_per_kib) / 1024);
            k = k.min(left.div_ceil(paged).max(1));
        }
        gs.time_ps = gs.time_ps.saturating_add(k.saturating_mul(step));
        gs.busy = cost_marking as f64 / step as f64;
        if assist > 0.0 {
            self.assist_ps_cycle += (k as f64 * cost as f64 * assist / share.max(1e-6)) as u64;
        }
        let bytes = k * obj;
        let gs = &self.goroutines[g];
        self.profile
            .malloc(gs.program as usize, gs.cursor.pc, bytes, k, retain);
        let pages = if retain {
            let scan = k * HOLDER_BYTES;
            self.retained.0 += bytes;
            self.retained.1 += scan;
            self.gc.alloc(bytes, k, bytes, scan)
        } else {
            self.gc.alloc(bytes, k, 0, 0)
        };
        let paged = self.pay_pages(g, &pages, false);
        if self.gc.marking() {
            // One allocation in objects-per-span refills, and it is busy a share of its
            // time: the chance a stop-the-world finds it in a refilling mallocgc.
            self.refill_at_mark_end = self.goroutines[g].busy / objects_per_span(size) as f64;
        }
        self.page_ps_per_kib = paged.saturating_mul(1024) / bytes.max(1);
        self.trace_heap(g);
        if assist > 0.0 {
            self.trace_assist(g, p, t0);
        }
        self.finish_units(g, k);
        if interval_ps > cost_marking { 0 } else { cost }
    }

    /// Samples the heap for the trace after goroutine `g` allocated.
    #[inline]
    pub(super) fn trace_heap(&mut self, g: usize) {
        if let Some(tr) = &mut self.tracer {
            let t = self.goroutines[g].time_ps;
            tr.heap(t, self.gc.heap.in_use, self.gc.next_gc());
        }
    }

    /// Records goroutine `g`'s mark assist on P `p` from `t0_ps` to its current time.
    #[inline]
    fn trace_assist(&mut self, g: usize, p: usize, t0_ps: u64) {
        if self.tracer.is_some() {
            let at = self.site(g);
            let t1 = self.goroutines[g].time_ps;
            self.trace_g(t0_ps, p, g, TraceKind::AssistStart { at });
            self.trace_g(t1, p, g, TraceKind::AssistDone);
        }
    }

    /// Puts an allocation's page work on goroutine `g`'s time: the sweeping it owes (see
    /// [`crate::engine::gc::Gc::sweep_on_alloc`]), faults of released memory it reused and,
    /// for a map's allocation (`map`), of the never-used pages it wrote, and the scavenging
    /// it did, which the CPU limiter counts as GC time. Returns its time (ps).
    #[inline]
    pub(super) fn pay_pages(&mut self, g: usize, pages: &PageWork, map: bool) -> u64 {
        // A map's or a slice's allocation counts its span in heapLive itself (a large
        // object, or a refill for its class): it tests the trigger after.
        if self.gc.marking() {
            self.refill_at_mark_end = 1.0;
        }
        let swept = self.gc.sweep_on_alloc(self.goroutines[g].time_ps / 1000);
        if *pages == PageWork::default() {
            let gs = &mut self.goroutines[g];
            gs.time_ps = gs.time_ps.saturating_add(swept);
            return swept;
        }
        let (ps, scavenge_ps) = self.config.page_ps(pages, map);
        let gs = &mut self.goroutines[g];
        let paid = ps.saturating_add(swept);
        gs.time_ps = gs.time_ps.saturating_add(paid);
        self.gc.scavenge_assist_ns += scavenge_ps / 1000;
        paid
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
        // Parked before its allocation: it refills and tests after the mark.
        self.refill_at_mark_end = 0.0;
        let gs = &mut self.goroutines[g];
        let wait = (end_ns * 1000).saturating_sub(gs.time_ps);
        self.assist_ps_cycle += (wait as f64 * assist.min(1.0)) as u64;
        gs.time_ps += wait;
        gs.busy = 1.0;
        true
    }

    /// One map operation; its allocations go on the heap, its old arrays become garbage.
    /// An operation that starts while another goroutine writes the map (or, for a write,
    /// ranges over it) dies with Go's message (runtime/map.go: the hashWriting checks).
    /// `pc` is the operation's instruction. Returns the time of the operation itself,
    /// without the assists it did.
    fn map_op(&mut self, g: usize, p: usize, instr: Instr, map: usize, pc: u32) -> u64 {
        let t = self.goroutines[g].time_ps;
        let writes = matches!(
            instr,
            Instr::Insert { .. } | Instr::Delete { .. } | Instr::Churn { .. }
        );
        let iterates = matches!(instr, Instr::Iterate { .. });
        // runtime/map.go: mapaccess1, mapdelete and mapiterinit return at once on an empty
        // map, before looking at hashWriting (and mapdelete then never sets it).
        let empty = self.maps[map].map.is_empty();
        let checks = !(empty
            && matches!(
                instr,
                Instr::Read { .. } | Instr::Iterate { .. } | Instr::Delete { .. }
            ));
        let writes = writes && !(empty && matches!(instr, Instr::Delete { .. }));
        let iterates = iterates && !empty;
        if checks {
            let slot = &self.maps[map];
            let other_writing = slot
                .writing
                .is_some_and(|(w, until)| w != g as u32 && until > t);
            let msg = if other_writing {
                Some(if writes {
                    FATAL_WRITES
                } else if iterates {
                    FATAL_ITER_WRITE
                } else {
                    FATAL_READ_WRITE
                })
            } else if writes && slot.iterating_until_ps > t {
                Some(FATAL_ITER_WRITE)
            } else {
                None
            };
            if let Some(msg) = msg {
                let holder = slot.writing.map(|(w, _)| w);
                self.die(msg, g as u32);
                self.fatal_detail = Some(self.map_conflict_detail(g as u32, holder, map, instr));
                return 0;
            }
        }
        let mut w = Work::default();
        // The map's growth events so far, for the trace (not looked at without one).
        let events_before = if self.tracer.is_some() {
            self.maps[map].map.events().len()
        } else {
            0
        };
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
        let picks = u64::from(matches!(
            instr,
            Instr::Read { .. } | Instr::Delete { .. } | Instr::Churn { .. }
        ));
        let inserts = u64::from(matches!(instr, Instr::Insert { .. } | Instr::Churn { .. }));
        let own = self.config.map_price(&w, slot.map.live_bytes())
            + super::sim::key_list_ps(slot.track_live, picks, inserts, self.sched_costs.mutex_ps);
        let (cost, assisting) = self.gc.shared_cost(own, w.alloc_bytes > 0, gs.time_ps);
        self.assist_ps_cycle += assisting;
        gs.time_ps = gs.time_ps.saturating_add(cost);
        gs.busy = 1.0;
        if writes {
            slot.writing = Some((g as u32, gs.time_ps));
        } else if iterates {
            slot.iterating_until_ps = slot.iterating_until_ps.max(gs.time_ps);
        }
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
            let program = self.goroutines[g].program as usize;
            self.profile.map_op(program, pc, &w);
            let scan = if slot.scan { w.alloc_bytes } else { 0 };
            let pages = self
                .gc
                .alloc(w.alloc_bytes, w.alloc_objects, w.alloc_bytes, scan);
            let scan_garbage = if slot.scan { w.garbage_bytes } else { 0 };
            self.gc.heap.drop_reachable(w.garbage_bytes, scan_garbage);
            self.pay_pages(g, &pages, true);
            let first = self.config.first_growth_ps(&mut self.grown, &w);
            self.charge(g, first);
            self.trace_heap(g);
        }
        self.work.add(&w);
        if self.tracer.is_some() {
            self.trace_map_events(g, p, map, events_before);
        }
        own
    }

    /// Records the growth events of map `map` from the `from`-th on, as user log events of
    /// goroutine `g` on P `p`.
    #[cold]
    fn trace_map_events(&mut self, g: usize, p: usize, map: usize, from: usize) {
        let at = self.site(g);
        let t = self.goroutines[g].time_ps;
        let Some(tr) = &mut self.tracer else { return };
        let goid = tr.goid(g);
        for e in &self.maps[map].map.events()[from..] {
            let kind = TraceKind::MapLog {
                map: map as u32,
                kind: e.kind,
                b: (e.b_before, e.b_after),
                count: e.count,
                at,
            };
            tr.push(t, p as u32, goid, kind);
        }
    }
}

impl Sim {
    /// Who was writing map `map` when goroutine `g`'s operation `instr` found it so, and,
    /// when the writer had left its P inside gcStart, why.
    fn map_conflict_detail(&self, g: u32, writer: Option<u32>, map: usize, instr: Instr) -> String {
        let what = match instr {
            Instr::Read { .. } => "runtime.mapaccess1",
            Instr::Iterate { .. } => "runtime.mapiternext",
            Instr::Delete { .. } => "runtime.mapdelete",
            _ => "runtime.mapassign",
        };
        let name = &self.map_meta[map].0;
        let me = self.goroutine_name(g);
        match writer {
            Some(w) if self.goroutines[w as usize].holding_map.is_some() => format!(
                "{me} entered {what} on map {name} while {} was inside runtime.mapassign with \
                 hashWriting set: its allocation had reached the first GC trigger, and gcStart \
                 took it off its P to start the mark workers (gcBgMarkStartWorkers) before the \
                 cycle could begin",
                self.goroutine_name(w)
            ),
            Some(w) => format!(
                "{me} entered {what} on map {name} while {} was writing it (hashWriting set)",
                self.goroutine_name(w)
            ),
            None => format!("{me} wrote map {name} while a range loop over it was running"),
        }
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
