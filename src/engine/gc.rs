//! The GC cycle on the virtual clock: the pacer and heap models driven through
//! runtime/mgc.go's phases — gcStart (sweep termination, stop-the-world), the concurrent mark
//! with background, idle and assisting workers, gcMarkTermination (stop-the-world), and the
//! sweep. Time comes from the `[costs]` table.

use super::sweep::Sweeper;
use crate::model::gc::GcCycle;
use crate::model::gc::limiter::Limiter;
use crate::model::gc::pacer::Pacer;
use crate::model::heap::Heap;
use crate::model::malloc::PAGE_SIZE;

/// runtime/proc.go: forcegcperiod — a GC at least every 2 minutes (when GOGC is not off).
pub const FORCE_GC_PERIOD_NS: u64 = 2 * 60 * 1_000_000_000;

/// GC costs and runtime settings, in picoseconds where they are times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GcParams {
    pub procs: u32,
    pub goroutines: u32,
    pub stw_sweep_term_ps: u64,
    pub stw_mark_term_ps: u64,
    pub stw_per_p_ps: u64,
    pub stw_per_goroutine_ps: u64,
    pub mark_per_kib_ps: u64,
    pub scan_per_kib_ps: u64,
    /// Share of their nominal utilisation background workers turn into mark work.
    pub background_mark_utilization: f64,
    /// Fraction of an idle P that the idle mark worker turns into mark work.
    pub idle_mark_utilization: f64,
    /// Least share of an allocating goroutine's time spent in assists during a mark.
    pub min_assist_share: f64,
    /// Of the fractional worker's time, the share taken from the goroutines' Ps while a P
    /// is idle.
    pub fractional_mutator_share: f64,
    pub scavenge_run_ps: u64,
    pub scavenge_per_kib_ps: u64,
    /// Sweeping one 8 KiB page of the heap in use, once per cycle.
    pub sweep_per_page_ps: u64,
}

/// A mark phase in progress.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Mark {
    cycle: GcCycle,
    /// When concurrent mark started and when it ends (ns).
    start_ns: u64,
    end_ns: u64,
    /// Fraction of mutator time left to it by the fractional worker and assists.
    mutator_share: f64,
    /// Of the mutator's time, the part spent assisting.
    assist_share: f64,
    reachable_at_start: u64,
    scan_work: u64,
    allocated_during_mark: u64,
    background_procs: f64,
    idle_procs: f64,
}

/// The GC state of a simulation.
#[derive(Debug, Clone)]
pub struct Gc {
    pub pacer: Pacer,
    pub heap: Heap,
    params: GcParams,
    pub cycles: Vec<GcCycle>,
    mark: Option<Mark>,
    /// The world is stopped until this time (ns).
    pub stopped_until_ns: u64,
    /// The trigger while no cycle runs.
    trigger: u64,
    total_gc_cpu_ns: u64,
    /// End of the last mark termination (`memstats.last_gc_nanotime`), 0 before the first.
    pub last_gc_end_ns: u64,
    /// heapLive after the last cycle, for the allocation rate since.
    live_after_last_ns: (u64, u64),
    /// Stop-the-world pauses, in order.
    pub pauses_ns: Vec<u64>,
    /// The GC CPU limiter, and when it last saw time pass (ns).
    pub limiter: Limiter,
    limiter_at_ns: u64,
    /// Cycles during which the limiter had assists off.
    pub limited_cycles: u32,
    /// Time allocations spent scavenging since the limiter last saw time pass (ns): GC
    /// time to the limiter (runtime/mgclimit.go: limiterEventScavengeAssist).
    pub scavenge_assist_ns: u64,
    /// The sweep since the last mark termination.
    pub sweeper: Sweeper,
    /// The garbage one cycle allows (heap goal less marked heap, at the last mark
    /// termination): how much is allocated before a freed object's memory is reused.
    pub reuse_bytes: u64,
}

/// The page work an allocation did beyond taking resident free memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageWork {
    /// Bytes reused from released memory, faulted back in as they are zeroed.
    pub faulted: u64,
    /// OS pages of never-used memory written for the first time (each faults in).
    pub fresh_pages: u64,
    /// Bytes released to the OS on the allocation path ...
    pub scavenged: u64,
    /// ... in this many runs of pages (one madvise each).
    pub runs: u64,
}

impl Gc {
    pub fn new(pacer: Pacer, heap: Heap, params: GcParams) -> Self {
        let trigger = pacer.trigger(&heap.snapshot()).0;
        Gc {
            pacer,
            heap,
            params,
            cycles: Vec::new(),
            mark: None,
            stopped_until_ns: 0,
            trigger,
            total_gc_cpu_ns: 0,
            last_gc_end_ns: 0,
            live_after_last_ns: (0, 0),
            pauses_ns: Vec::new(),
            limiter: Limiter::new(params.procs),
            limiter_at_ns: 0,
            limited_cycles: 0,
            scavenge_assist_ns: 0,
            sweeper: Sweeper::default(),
            reuse_bytes: 0,
        }
    }

    /// A mark phase is running.
    pub fn marking(&self) -> bool {
        self.mark.is_some()
    }

    /// When the running mark phase ends, if one runs.
    pub fn mark_end_ns(&self) -> Option<u64> {
        self.mark.map(|m| m.end_ns)
    }

    /// A goroutine's `cost` (ps) of its own work started at `now_ps`, as the current mark
    /// stretches it: work that allocates nothing shares the P with the fractional worker;
    /// work that allocates also assists, for no longer than the mark lasts (runtime/mgcmark.go:
    /// gcAssistAlloc returns once the mark is done), and with no mark work left it parks
    /// until the mark ends (gcParkAssist). Returns the stretched cost and the assist time.
    pub fn shared_cost(&self, cost: u64, allocates: bool, now_ps: u64) -> (u64, u64) {
        let (share, assist) = self.mutator_share();
        if share + assist >= 1.0 && assist <= 0.0 {
            return (cost, 0);
        }
        if !allocates {
            return (((cost as f64) / (share + assist).max(1e-6)) as u64, 0);
        }
        let mark_left = self
            .mark_end_ns()
            .map_or(u64::MAX, |end| (end * 1000).saturating_sub(now_ps));
        if share > 0.01 {
            let assisting = (cost as f64 * assist / share) as u64;
            (((cost as f64) / share) as u64, assisting.min(mark_left))
        } else if mark_left != u64::MAX {
            (
                cost + mark_left,
                (mark_left as f64 * assist.min(1.0)) as u64,
            )
        } else {
            (cost, 0)
        }
    }

    /// Fraction of its time the mutator runs its own code during the current mark, and
    /// the fraction it spends assisting ((1.0, 0.0) outside a mark).
    pub fn mutator_share(&self) -> (f64, f64) {
        self.mark
            .map_or((1.0, 0.0), |m| (m.mutator_share, m.assist_share))
    }

    /// Bytes that can still be allocated before the heap trigger is reached (0 once it is),
    /// or `u64::MAX` while a mark runs (the trigger does not apply then).
    pub fn bytes_to_trigger(&mut self) -> u64 {
        if self.mark.is_some() {
            return u64::MAX;
        }
        self.refresh_trigger();
        let distance = self.trigger.saturating_sub(self.pacer.heap_live);
        if self.pacer.memory_limit < i64::MAX as u64 {
            // Under a memory limit the goal, and the trigger, fall as the heap grows (more
            // non-heap memory): stop short so a batch never jumps past the trigger; the
            // next batch recomputes it.
            return (distance as f64 / (1.0 + self.heap.nonheap_ratio())) as u64;
        }
        distance
    }

    /// runtime/mgc.go: gcTrigger.test calls trigger() each time: under a memory limit the
    /// goal moves with non-heap memory, so the trigger does too.
    fn refresh_trigger(&mut self) {
        if self.pacer.memory_limit < i64::MAX as u64 {
            self.trigger = self.pacer.trigger(&self.heap.snapshot()).0;
        }
    }

    /// Records an allocation of `bytes` in `objects` objects; `reachable` of them stay
    /// reachable, `scan` of those hold pointers. During a mark they are allocated black.
    /// Returns the page work it did (see [`Gc::scavenge_on_alloc`]).
    #[inline]
    pub fn alloc(&mut self, bytes: u64, objects: u64, reachable: u64, scan: u64) -> PageWork {
        let taken = self.heap.alloc(bytes, objects, reachable, scan);
        self.pacer.heap_live = self.pacer.heap_live.saturating_add(bytes);
        if let Some(m) = &mut self.mark {
            m.allocated_during_mark += bytes;
        }
        let mut work = PageWork {
            faulted: taken.released,
            fresh_pages: taken.fresh_pages,
            ..PageWork::default()
        };
        if self.pacer.memory_limit < i64::MAX as u64 {
            self.scavenge_on_alloc(&mut work);
        }
        work
    }

    /// runtime/mgcsweep.go: deductSweepCredit — the sweep time (ps) an allocation at
    /// `now_ns` owes, once [`Gc::alloc`] has counted it.
    #[inline]
    pub fn sweep_on_alloc(&mut self, now_ns: u64) -> u64 {
        self.sweeper.on_alloc(now_ns, self.pacer.heap_live)
    }

    /// runtime/mheap.go: allocSpan (go1.19) — under a memory limit, unless the CPU limiter
    /// is on, a span allocation that leaves more memory mapped and ready than the limit
    /// releases the excess itself (`h.pages.scavenge(bytesToScavenge)`), as far as free
    /// pages allow. (allocSpan's other inline scavenging, on heap growth past the GOGC
    /// retention goal, is not modelled.)
    fn scavenge_on_alloc(&mut self, work: &mut PageWork) {
        if self.limiter.limiting() {
            return;
        }
        let ready = self.heap.mapped_ready();
        if ready <= self.pacer.memory_limit {
            return;
        }
        // Free pages come from the sweep, which frees the garbage spans of a cycle; the
        // page allocator places consecutive allocations at consecutive addresses
        // (runtime/mpagealloc.go: alloc, address-ordered first fit), so what one sweep
        // frees lies in a few long runs, and scavengeOne releases a run per madvise. go1.19
        // made 1.4 madvise runs per cycle in the death spiral (strace: 18783 calls, two per
        // run, for about 6700 cycles): one run per release here.
        let released = self.heap.release(ready - self.pacer.memory_limit);
        if released > 0 {
            work.scavenged = released;
            work.runs = 1;
        }
    }

    /// runtime/mgc.go: gcTrigger.test for gcTriggerHeap — heapLive >= trigger, and no cycle
    /// running.
    pub fn heap_trigger_hit(&mut self) -> bool {
        if self.mark.is_some() {
            return false;
        }
        self.refresh_trigger();
        self.pacer.heap_live >= self.trigger
    }

    /// runtime/mgc.go: gcTrigger.test for gcTriggerTime — GOGC on, a GC already happened,
    /// and more than forcegcperiod since it ended.
    pub fn forced_due(&self, now_ns: u64) -> bool {
        self.mark.is_none()
            && self.pacer.gc_percent >= 0
            && self.last_gc_end_ns != 0
            && now_ns.saturating_sub(self.last_gc_end_ns) > FORCE_GC_PERIOD_NS
    }

    /// When the periodic forced GC becomes due, if it can.
    pub fn next_forced_ns(&self) -> Option<u64> {
        (self.pacer.gc_percent >= 0 && self.last_gc_end_ns != 0)
            .then(|| self.last_gc_end_ns + FORCE_GC_PERIOD_NS + 1)
    }

    fn stw_ps(&self, fixed: u64) -> u64 {
        fixed
            + self.params.stw_per_p_ps * u64::from(self.params.procs)
            + self.params.stw_per_goroutine_ps * u64::from(self.params.goroutines)
    }

    /// runtime/mgc.go: gcStart at `now_ns` — stop the world (every P stopped `wait_ns` later;
    /// the wait is part of the pause) for sweep termination, then start the concurrent mark
    /// (pacer.startCycle). `mutator_procs` is how many Ps the program's goroutines keep
    /// busy. Returns when the mark ends.
    pub fn start_cycle(
        &mut self,
        now_ns: u64,
        wait_ns: u64,
        forced: bool,
        mutator_procs: f64,
    ) -> u64 {
        let procs = self.params.procs;
        // runtime/mgclimit.go: update — between cycles all CPU is the mutator's.
        let window = now_ns.saturating_sub(self.limiter_at_ns) * u64::from(procs);
        self.limiter.accumulate(window, 0);
        self.limiter_at_ns = now_ns;
        let limiting = self.limiter.limiting();
        let mem = self.heap.snapshot();
        self.pacer.start_cycle(procs, &mem);
        let goal = self.pacer.heap_goal(&mem);
        // runtime/mgc.go: gcStart — the goroutine starting the cycle first sweeps what is
        // left (`for trigger.test() && sweepone()`), beside the background sweeper, and only
        // then stops the world: not part of the pause. (An allocating goroutine that hit the
        // trigger has done this already, see `Sweeper::finish`; here the cycle starts at
        // mark termination or on the forced-GC timer, and the other goroutines wait too.)
        let unswept_ns = self.sweeper.finish(now_ns).div_ceil(1000);
        let now_ns = now_ns + unswept_ns;
        let stw1 = wait_ns + self.stw_ps(self.params.stw_sweep_term_ps).div_ceil(1000);
        let mark_start = now_ns + stw1;
        self.stopped_until_ns = self.stopped_until_ns.max(mark_start);
        self.pauses_ns.push(stw1);

        // Mark work: every reachable byte is marked, every pointer-bearing byte scanned
        // (runtime/mgcmark.go: greyobject, scanobject), with stacks and globals as roots.
        let roots = self.heap.stacks + self.heap.globals;
        let marked = self.heap.reachable + roots;
        let scanned = self.heap.reachable_scan + roots;
        let work_ns = ((marked as u128 * self.params.mark_per_kib_ps as u128
            + scanned as u128 * self.params.scan_per_kib_ps as u128)
            / 1024
            / 1000) as f64;

        // Workers (runtime/mgcpacer.go: startCycle): dedicated workers take whole Ps; the
        // fractional worker is scheduled by the P that is scheduling (runtime/proc.go:
        // findRunnableGCWorker), which with busy goroutines is theirs, so it comes out of
        // mutator time; idle Ps run idle mark workers.
        let eff = self.params.background_mark_utilization;
        let dedicated = self.pacer.dedicated_mark_workers_needed as f64;
        let fractional = self.pacer.fractional_utilization_goal * f64::from(procs);
        let bg = (dedicated + fractional) * eff;
        let m = mutator_procs.min(f64::from(procs) - dedicated).max(0.0);
        let spare = (f64::from(procs) - dedicated - m).max(0.0);
        let idle = spare * self.params.idle_mark_utilization;
        // Share of the mutator's running time left to it after the fractional worker, which
        // shares its P: spread over the Ps the mutators keep busy (at least one). With a P
        // idle, the worker may run there instead (runtime/proc.go: findRunnableGCWorker).
        let on_mutators = if spare > 0.0 {
            self.params.fractional_mutator_share
        } else {
            1.0
        };
        let avail = (1.0 - fractional * eff * on_mutators / m.max(1.0)).max(0.0);

        // Assists (runtime/mgcmark.go: gcAssistAlloc): the mutator pays for its allocation
        // in mark work when the workers alone would let the heap pass the goal: with the
        // allocation rate r seen since the last cycle and assist share y of mutator time,
        // r·m·(avail−y)·T = H with T = W / (B + m·y). Assists come in chunks of at least
        // gcOverAssistWork (64 KiB of scan work) before background credit builds up, so a
        // share `min_assist` of mutator time goes to them even when the workers keep pace.
        let rate = self.alloc_rate(now_ns);
        // runtime/mgcpacer.go: revise — past the goal, aim 10% beyond it (maxOvershoot).
        let mut target = goal;
        if self.pacer.heap_live > goal {
            target = (goal as f64 * 1.1) as u64;
        }
        let headroom = target.saturating_sub(self.pacer.heap_live).max(1) as f64;
        let workers = bg + idle;
        let mut assist = 0.0;
        if m > 0.0 {
            let t0 = work_ns / workers.max(1e-9);
            if rate * m * avail * t0 > headroom {
                // Solve r·m·(avail − y)·W = H·(B + m·y) for y.
                assist = ((rate * m * avail * work_ns - headroom * workers)
                    / (m * (rate * work_ns + headroom)))
                    .clamp(0.0, avail);
            }
            assist = assist.max(self.params.min_assist_share.min(avail));
            // runtime/mgcpacer.go: revise — with the heap already at the goal, heapRemaining
            // is clamped to one byte, so the first allocation owes all the mark work left
            // (assist ratio = scanWorkRemaining / 1): the mutator assists, or waits, until the
            // mark is done.
            if headroom <= 1.0 {
                assist = avail;
            }
            if limiting {
                assist = 0.0;
            }
        }
        let share = avail - assist;
        let t = work_ns / (workers + m * assist).max(1e-9);
        let mark_ns = t.ceil() as u64;
        if limiting {
            self.limited_cycles += 1;
        }
        let cycle = GcCycle {
            n: self.cycles.len() as u32 + 1,
            forced,
            start_ns: now_ns,
            stw_sweep_term_ns: stw1,
            mark_ns,
            cpu_stw_sweep_term_ns: stw1 * u64::from(procs),
            heap_start_bytes: self.pacer.heap_live,
            heap_goal_bytes: goal,
            trigger_bytes: self.pacer.triggered,
            stacks_bytes: self.heap.stacks,
            globals_bytes: self.heap.globals,
            procs,
            ..GcCycle::default()
        };
        self.mark = Some(Mark {
            cycle,
            start_ns: mark_start,
            end_ns: mark_start + mark_ns,
            mutator_share: share,
            assist_share: assist,
            // work.heap2 counts heap bytes only: roots are marked through, not counted.
            reachable_at_start: self.heap.reachable,
            scan_work: scanned,
            allocated_during_mark: 0,
            background_procs: bg,
            idle_procs: idle,
        });
        mark_start + mark_ns
    }

    /// Bytes per ns allocated since the last cycle ended (0 before there is a history).
    fn alloc_rate(&self, now_ns: u64) -> f64 {
        let (live, at) = self.live_after_last_ns;
        let dt = now_ns.saturating_sub(at);
        if dt == 0 {
            return 0.0;
        }
        self.pacer.heap_live.saturating_sub(live) as f64 / dt as f64
    }

    /// runtime/mgc.go: gcMarkDone and gcMarkTermination at `now_ns` (the mark's end): stop
    /// the world, record the cycle, feed the pacer (endCycle, resetLive, commit), sweep.
    /// `wait_ns` is how long the world took to stop, `assist_ns` the CPU the mutator spent
    /// assisting. Returns the end of the pause.
    pub fn finish_cycle(
        &mut self,
        now_ns: u64,
        wait_ns: u64,
        assist_ns: u64,
        idle_procs: u32,
    ) -> u64 {
        let Some(m) = self.mark.take() else {
            return now_ns;
        };
        let procs = self.params.procs;
        let mut c = m.cycle;
        let mark_ns = now_ns.saturating_sub(m.start_ns);
        c.mark_ns = mark_ns;
        c.cpu_assist_ns = assist_ns;
        c.cpu_background_ns = (m.background_procs * mark_ns as f64) as u64;
        c.cpu_idle_ns = (m.idle_procs * mark_ns as f64) as u64;
        let stw2 = wait_ns + self.stw_ps(self.params.stw_mark_term_ps).div_ceil(1000);
        c.stw_mark_term_ns = stw2;
        c.cpu_stw_mark_term_ns = stw2 * u64::from(procs);
        self.pauses_ns.push(stw2);
        let end = now_ns + stw2;
        self.stopped_until_ns = self.stopped_until_ns.max(end);

        // Objects allocated during the mark were allocated black: they survive this cycle.
        let marked = m.reachable_at_start + m.allocated_during_mark;
        c.heap_end_bytes = self.pacer.heap_live;
        c.heap_marked_bytes = marked;
        let mem = self.heap.snapshot();
        self.pacer
            .end_cycle(mark_ns, procs, assist_ns, c.cpu_idle_ns, m.scan_work, &mem);
        c.heap_goal_bytes = self.pacer.last_heap_goal;
        let stack_scan = self.heap.stacks;
        self.pacer.reset_live(
            marked,
            m.scan_work - stack_scan.min(m.scan_work),
            stack_scan,
        );
        self.pacer.globals_scan = self.heap.globals;
        self.pacer.commit(false);
        // Every span in use now is swept before the next mark (runtime/mgcsweep.go).
        let sweep_ps = self
            .heap
            .in_use
            .div_ceil(PAGE_SIZE)
            .saturating_mul(self.params.sweep_per_page_ps);
        self.heap.sweep(marked);
        let goal = self.pacer.heap_goal(&self.heap.snapshot());
        self.reuse_bytes = goal.saturating_sub(marked);
        // runtime/mgcscavenge.go: gcPaceScavenger — retain about 10% over the heap goal
        // (whatever sets it, GOGC or the memory limit) and, from go1.22 (CL 525555), under
        // 95% of the memory limit.
        // go1.19-1.21 computed the latter as limit × 95, which never binds; they held memory
        // at the limit by scavenging on the allocation path (see `scavenge_on_alloc`).
        let mut retain = goal.saturating_add(goal / 10);
        if self.pacer.rules.background_limit_scavenge && self.pacer.memory_limit < i64::MAX as u64 {
            let cap =
                (self.pacer.memory_limit / 100 * 95).saturating_sub(self.heap.nonheap_bytes());
            retain = retain.min(cap);
        }
        // The background scavenger is paced to 1% of one CPU (scavengePercent) and releases
        // 64 KiB at a time: since the last cycle it can have released at most that much.
        let run_64k = self.params.scavenge_run_ps + 64 * self.params.scavenge_per_kib_ps;
        let since_ps = end.saturating_sub(self.last_gc_end_ns) as u128 * 1000;
        let budget =
            (since_ps * 65536 / 100 / u128::from(run_64k.max(1))).min(u128::from(u64::MAX));
        let excess =
            (self.heap.in_use + self.heap.free_mapped).saturating_sub(retain.max(self.heap.in_use));
        self.heap.release(excess.min(budget as u64));
        self.trigger = self.pacer.trigger(&self.heap.snapshot()).0;
        self.sweeper.start(
            sweep_ps,
            end,
            self.pacer.heap_live,
            self.trigger,
            idle_procs,
        );

        // runtime/mgc.go: gcMarkTermination — idle marking is reported but left out of the
        // utilisation, "since it's free".
        self.total_gc_cpu_ns += c.gc_cpu_ns() - c.cpu_idle_ns;
        // runtime/mgclimit.go: updateLocked — during the cycle GC time is the STW pauses,
        // the assists and 25% of all CPU while the GC is on; idle marking is not counted
        // against the mutator.
        let window = end.saturating_sub(self.limiter_at_ns) * u64::from(procs);
        let gc_time = (c.stw_sweep_term_ns + stw2) * u64::from(procs)
            + assist_ns
            + std::mem::take(&mut self.scavenge_assist_ns)
            + (mark_ns as f64 * f64::from(procs) * 0.25) as u64;
        let total = window.saturating_sub(c.cpu_idle_ns);
        self.limiter
            .accumulate(total.saturating_sub(gc_time), gc_time.min(total));
        self.limiter_at_ns = end;
        c.gc_cpu_fraction = self.total_gc_cpu_ns as f64 / (end.max(1) as f64 * f64::from(procs));
        self.cycles.push(c);
        self.last_gc_end_ns = end;
        self.live_after_last_ns = (self.pacer.heap_live, end);
        end
    }

    /// The heap goal now (`MemStats.NextGC`).
    pub fn next_gc(&self) -> u64 {
        self.pacer.heap_goal(&self.heap.snapshot())
    }

    /// Total CPU spent on GC so far (ns).
    pub fn total_gc_cpu_ns(&self) -> u64 {
        self.total_gc_cpu_ns
    }
}
