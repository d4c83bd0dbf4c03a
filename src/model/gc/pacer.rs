//! The GC pacer: `gcControllerState` of go1.19 runtime/mgcpacer.go — the heap goal under
//! GOGC and GOMEMLIMIT, the trigger from the runway, the cons/mark estimate and its PI
//! controller, worker counts and the assist ratio — with the rules later releases changed
//! ([`PacerRules`]).

use super::release::{ConsMarkSmoothing, PacerRules};

/// `gcBackgroundUtilization` (= `gcGoalUtilization`): the fraction of GOMAXPROCS the
/// background mark workers aim to use.
pub const GC_BACKGROUND_UTILIZATION: f64 = 0.25;
/// `defaultHeapMinimum`: the heap goal floor at GOGC = 100 (4 MiB).
pub const DEFAULT_HEAP_MINIMUM: u64 = 4 << 20;
/// `memoryLimitHeapGoalHeadroom` (go1.19): the memory-limit goal stays this far below it.
pub const MEMORY_LIMIT_HEAP_GOAL_HEADROOM: u64 = 1 << 20;
/// `triggerRatioDen`: the trigger bounds below are in 64ths of the runway from the marked
/// heap to the goal.
pub const TRIGGER_RATIO_DEN: u64 = 64;
/// `minTriggerRatioNum` (~0.7): the trigger is at least this many 64ths of the way to the goal.
const MIN_TRIGGER_RATIO_NUM: u64 = 45;
/// `maxTriggerRatioNum` (~0.95): the trigger is at most this many 64ths of the way to the goal.
const MAX_TRIGGER_RATIO_NUM: u64 = 61;
/// runtime/mgc.go: sweepMinHeapDistance — the trigger stays this far above the heap live at
/// the end of mark while the sweep is still running.
pub const SWEEP_MIN_HEAP_DISTANCE: u64 = 1 << 20;
/// `heapGoalInternal`'s minRunway: the goal stays this far above a trigger already hit.
const MIN_RUNWAY: u64 = 64 << 10;

/// runtime/mgcpacer.go: piController — a proportional-integral controller with
/// anti-windup, used to smooth the cons/mark estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PiController {
    kp: f64,
    ti: f64,
    tt: f64,
    min: f64,
    max: f64,
    err_integral: f64,
}

impl PiController {
    /// The cons/mark controller of `gcControllerState.init` (go1.19): kp 0.9, ti 4.0,
    /// tt 1000, output clamped to [-1000, 1000].
    pub fn cons_mark() -> Self {
        PiController {
            kp: 0.9,
            ti: 4.0,
            tt: 1000.0,
            min: -1000.0,
            max: 1000.0,
            err_integral: 0.0,
        }
    }

    /// runtime/mgcpacer.go: (*piController).next. Returns the new output and false when
    /// the controller had to reset.
    pub fn next(&mut self, input: f64, setpoint: f64, period: f64) -> (f64, bool) {
        let prop = self.kp * (setpoint - input);
        let raw = prop + self.err_integral;
        let mut output = raw;
        if !output.is_finite() {
            self.err_integral = 0.0;
            return (self.min, false);
        }
        output = output.clamp(self.min, self.max);
        if self.ti != 0.0 && self.tt != 0.0 {
            self.err_integral += (self.kp * period / self.ti) * (setpoint - input)
                + (period / self.tt) * (output - raw);
            if !self.err_integral.is_finite() {
                self.err_integral = 0.0;
                return (self.min, false);
            }
        }
        (output, true)
    }
}

/// What the memory-limit goal needs to know about memory right now
/// (runtime/mgcpacer.go: memoryLimitHeapGoal's heapFree, heapAlloc and mappedReady).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemSnapshot {
    /// Heap object bytes in use (`totalAlloc - totalFree`), unswept garbage included.
    pub heap_alloc: u64,
    /// Free heap memory that is still mapped (not scavenged).
    pub heap_free: u64,
    /// All mapped, unreleased memory: heap and non-heap.
    pub mapped_ready: u64,
}

/// runtime/mgcpacer.go: startCycle's worker sizing for `procs` Ps — 25% of them as
/// dedicated workers, rounded; when rounding is off by more than 30%, one fewer if it
/// rounded up, and a fractional worker makes up the rest. Returns (dedicated workers,
/// fractional utilisation goal per P).
pub fn mark_workers(procs: u32) -> (i64, f64) {
    let total = procs as f64 * GC_BACKGROUND_UTILIZATION;
    let mut dedicated = (total + 0.5) as i64;
    let util_error = dedicated as f64 / total - 1.0;
    const MAX_UTIL_ERROR: f64 = 0.3;
    if !(-MAX_UTIL_ERROR..=MAX_UTIL_ERROR).contains(&util_error) {
        if dedicated as f64 > total {
            dedicated -= 1;
        }
        (dedicated, (total - dedicated as f64) / procs as f64)
    } else {
        (dedicated, 0.0)
    }
}

/// `gcControllerState`: the pacer's state across cycles.
#[derive(Debug, Clone, PartialEq)]
pub struct Pacer {
    /// GOGC; -1 when off.
    pub gc_percent: i32,
    /// GOMEMLIMIT in bytes; `i64::MAX` when off, as the runtime stores it.
    pub memory_limit: u64,
    /// `heapMinimum`: the GOGC goal's floor, 4 MiB × GOGC/100.
    heap_minimum: u64,
    /// The cons/mark estimate: allocation rate over scan rate.
    pub cons_mark: f64,
    cons_mark_controller: PiController,
    /// go1.20+: the last measurements (go1.20 uses the newest only).
    last_cons_mark: [f64; 4],
    /// The rules of the modelled release.
    pub rules: PacerRules,
    /// `heapMarked`: bytes marked live by the last cycle.
    heap_marked: u64,
    /// `heapLive`: the heap the pacer sees, the marked bytes plus what was allocated since.
    pub heap_live: u64,
    /// `heapScan`: the scannable heap; set to the last cycle's heap scan work (resetLive).
    heap_scan: u64,
    /// `lastHeapScan`: heap scan work of the last cycle.
    last_heap_scan: u64,
    /// `lastStackScan`: stack scan work of the last cycle.
    last_stack_scan: u64,
    /// `maxStackScan`: the stack space a cycle may have to scan; this model never updates
    /// it, so it stays 0.
    max_stack_scan: u64,
    /// `globalsScan`: bytes of global data each cycle scans.
    pub globals_scan: u64,
    /// The trigger of the cycle in progress, or `u64::MAX`.
    pub triggered: u64,
    /// `lastHeapGoal`: the heap goal of the last finished cycle (endCycle).
    pub last_heap_goal: u64,
    gc_percent_heap_goal: u64,
    sweep_dist_min_trigger: u64,
    runway: u64,
    /// Workers of the cycle in progress (startCycle).
    pub dedicated_mark_workers_needed: i64,
    /// Share of each P the fractional mark worker aims to use (startCycle).
    pub fractional_utilization_goal: f64,
    /// Assist ratio of the cycle in progress (revise).
    pub assist_work_per_byte: f64,
}

impl Pacer {
    /// `gcControllerState.init(gcPercent, memoryLimit)`: `gc_percent` < 0 means GOGC=off,
    /// `memory_limit` None means no limit. Commits as if the sweep were done (there is no
    /// sweep before the first cycle).
    pub fn new(gc_percent: i32, memory_limit: Option<u64>) -> Self {
        let mut p = Pacer {
            gc_percent: -1,
            memory_limit: i64::MAX as u64,
            heap_minimum: DEFAULT_HEAP_MINIMUM,
            cons_mark: 0.0,
            cons_mark_controller: PiController::cons_mark(),
            last_cons_mark: [0.0; 4],
            rules: PacerRules::GO1_19,
            heap_marked: 0,
            heap_live: 0,
            heap_scan: 0,
            last_heap_scan: 0,
            last_stack_scan: 0,
            max_stack_scan: 0,
            globals_scan: 0,
            triggered: u64::MAX,
            last_heap_goal: 0,
            gc_percent_heap_goal: 0,
            sweep_dist_min_trigger: 0,
            runway: 0,
            dedicated_mark_workers_needed: 0,
            fractional_utilization_goal: 0.0,
            assist_work_per_byte: 0.0,
        };
        p.set_gc_percent(gc_percent);
        if let Some(limit) = memory_limit {
            p.memory_limit = limit.min(i64::MAX as u64);
        }
        p.commit(true);
        p
    }

    /// runtime/mgcpacer.go: setGCPercent — negative means off; heapMinimum scales with
    /// GOGC (4 MiB × GOGC/100).
    pub fn set_gc_percent(&mut self, gc_percent: i32) {
        let p = if gc_percent < 0 { -1 } else { gc_percent };
        // heapMinimum = defaultHeapMinimum * uint64(in) / 100: with in = -1 the runtime's
        // uint64 conversion wraps; the GOGC goal is infinite then, so it never matters.
        self.heap_minimum = if p < 0 {
            DEFAULT_HEAP_MINIMUM.wrapping_mul(u64::MAX) / 100
        } else {
            DEFAULT_HEAP_MINIMUM * p as u64 / 100
        };
        self.gc_percent = p;
    }

    /// runtime/mgcpacer.go: commit — recompute the GOGC goal and the runway after a cycle
    /// (or a GOGC change). `sweep_done` is false at the end of mark termination, when the
    /// sweep has just started.
    pub fn commit(&mut self, sweep_done: bool) {
        self.sweep_dist_min_trigger = if sweep_done {
            0
        } else {
            self.heap_live + SWEEP_MIN_HEAP_DISTANCE
        };
        let mut goal = u64::MAX;
        if self.gc_percent >= 0 {
            goal = self.heap_marked
                + (self.heap_marked + self.last_stack_scan + self.globals_scan)
                    * self.gc_percent as u64
                    / 100;
        }
        if goal < self.heap_minimum {
            goal = self.heap_minimum;
        }
        self.gc_percent_heap_goal = goal;
        self.runway = (self.cons_mark * (1.0 - GC_BACKGROUND_UTILIZATION)
            / GC_BACKGROUND_UTILIZATION
            * (self.last_heap_scan + self.last_stack_scan + self.globals_scan) as f64)
            as u64;
    }

    /// runtime/mgcpacer.go: heapGoal.
    pub fn heap_goal(&self, mem: &MemSnapshot) -> u64 {
        self.heap_goal_internal(mem).0
    }

    /// runtime/mgcpacer.go: heapGoalInternal — the lower of the GOGC goal and the memory
    /// limit goal; the GOGC goal also respects the sweep distance and a minimum runway above
    /// a trigger already hit.
    fn heap_goal_internal(&self, mem: &MemSnapshot) -> (u64, u64) {
        let mut goal = self.gc_percent_heap_goal;
        let mut min_trigger = 0;
        let limit_goal = self.memory_limit_heap_goal(mem);
        if limit_goal < goal {
            goal = limit_goal;
        } else {
            let sweep = self.sweep_dist_min_trigger;
            if sweep > goal {
                goal = sweep;
            }
            min_trigger = sweep;
            if self.triggered != u64::MAX && goal < self.triggered + MIN_RUNWAY {
                goal = self.triggered + MIN_RUNWAY;
            }
        }
        (goal, min_trigger)
    }

    /// runtime/mgcpacer.go: memoryLimitHeapGoal — the limit less non-heap memory and any
    /// overage, less a headroom (1 MiB; from go1.21 3%), never below the marked heap.
    pub fn memory_limit_heap_goal(&self, mem: &MemSnapshot) -> u64 {
        let limit = self.memory_limit;
        let non_heap = mem
            .mapped_ready
            .saturating_sub(mem.heap_free)
            .saturating_sub(mem.heap_alloc);
        let overage = mem.mapped_ready.saturating_sub(limit);
        if non_heap + overage >= limit {
            return self.heap_marked;
        }
        let mut goal = limit - (non_heap + overage);
        // go1.19: a fixed 1 MiB; go1.21+: 3% of the goal, at least 1 MiB.
        let headroom = self.rules.limit_headroom(goal);
        if goal < headroom || goal - headroom < headroom {
            goal = headroom;
        } else {
            goal -= headroom;
        }
        goal.max(self.heap_marked)
    }

    /// runtime/mgcpacer.go: trigger — the heap size at which the next cycle starts: the goal
    /// less the runway, kept between 45/64 and 61/64 of the way from the marked heap to the
    /// goal (the upper bound relaxed to goal − 4 MiB for big heaps). Returns (trigger, goal).
    pub fn trigger(&self, mem: &MemSnapshot) -> (u64, u64) {
        let (goal, mut min_trigger) = self.heap_goal_internal(mem);
        if self.heap_marked >= goal {
            // The goal should never be smaller than heapMarked, but this can happen due to
            // limitations in the memory limit goal: trigger now.
            return (goal, goal);
        }
        if min_trigger < self.heap_marked {
            min_trigger = self.heap_marked;
        }
        let lower = (goal - self.heap_marked) / TRIGGER_RATIO_DEN * MIN_TRIGGER_RATIO_NUM
            + self.heap_marked;
        if min_trigger < lower {
            min_trigger = lower;
        }
        let mut max_trigger = (goal - self.heap_marked) / TRIGGER_RATIO_DEN * MAX_TRIGGER_RATIO_NUM
            + self.heap_marked;
        if goal > DEFAULT_HEAP_MINIMUM && goal - DEFAULT_HEAP_MINIMUM > max_trigger {
            max_trigger = goal - DEFAULT_HEAP_MINIMUM;
        }
        if max_trigger < min_trigger {
            max_trigger = min_trigger;
        }
        let mut trigger = if self.runway > goal {
            min_trigger
        } else {
            goal - self.runway
        };
        trigger = trigger.clamp(min_trigger, max_trigger);
        debug_assert!(
            trigger <= goal,
            "produced a trigger greater than the heap goal"
        );
        (trigger, goal)
    }

    /// runtime/mgcpacer.go: startCycle — record the trigger, size the background workers
    /// (25% of GOMAXPROCS: dedicated workers rounded, with a fractional worker when the
    /// rounding is off by more than 30%), and compute the first assist ratio.
    pub fn start_cycle(&mut self, procs: u32, mem: &MemSnapshot) {
        let (trigger, _) = self.trigger(mem);
        // go1.20+ (CL 417558): the actual live heap at the start, not the computed trigger.
        self.triggered = if self.rules.triggered_is_heap_live {
            self.heap_live
        } else {
            trigger
        };
        (
            self.dedicated_mark_workers_needed,
            self.fractional_utilization_goal,
        ) = mark_workers(procs);
    }

    /// Background mark utilisation in Ps: dedicated workers plus the fractional goal on
    /// every P.
    pub fn background_procs(&self, procs: u32) -> f64 {
        self.dedicated_mark_workers_needed as f64 + self.fractional_utilization_goal * procs as f64
    }

    /// runtime/mgcpacer.go: revise — the assist ratio: scan work still expected over heap
    /// still available before the goal, with the goal stretched when more work turned up
    /// than expected, and by 10% once the heap is past it.
    pub fn revise(&mut self, scan_work_done: u64, mem: &MemSnapshot) {
        let gc_percent = if self.gc_percent < 0 {
            100_000
        } else {
            self.gc_percent
        };
        let live = self.heap_live as i64;
        let work = scan_work_done as i64;
        let mut heap_goal = self.heap_goal(mem) as i64;
        let mut scan_work_expected =
            (self.last_heap_scan + self.last_stack_scan + self.globals_scan) as i64;
        let max_scan_work = (self.heap_scan + self.max_stack_scan + self.globals_scan) as i64;
        if work > scan_work_expected {
            let mut ext = ((heap_goal - self.triggered as i64) as f64 / scan_work_expected as f64
                * max_scan_work as f64) as i64
                + self.triggered as i64;
            scan_work_expected = max_scan_work;
            let hard_goal = ((1.0 + gc_percent as f64 / 100.0) * heap_goal as f64) as i64;
            if ext > hard_goal {
                ext = hard_goal;
            }
            heap_goal = ext;
        }
        if live > heap_goal {
            const MAX_OVERSHOOT: f64 = 1.1;
            heap_goal = (heap_goal as f64 * MAX_OVERSHOOT) as i64;
            scan_work_expected = max_scan_work;
        }
        let scan_work_remaining = (scan_work_expected - work).max(1000);
        let heap_remaining = (heap_goal - live).max(1);
        self.assist_work_per_byte = scan_work_remaining as f64 / heap_remaining as f64;
    }

    /// runtime/mgcpacer.go: endCycle — record the goal and update the cons/mark estimate
    /// from what this cycle saw: heap growth since the trigger against scan work, weighted
    /// by the mark utilisation (background + assists + idle).
    pub fn end_cycle(
        &mut self,
        mark_duration_ns: u64,
        procs: u32,
        assist_time_ns: u64,
        idle_mark_time_ns: u64,
        scan_work: u64,
        mem: &MemSnapshot,
    ) {
        self.last_heap_goal = self.heap_goal(mem);
        let mut utilization = GC_BACKGROUND_UTILIZATION;
        if mark_duration_ns > 0 {
            utilization += assist_time_ns as f64 / (mark_duration_ns * procs as u64) as f64;
        }
        if self.heap_live <= self.triggered {
            // Shouldn't happen, but let's be very safe about this in case the GC is
            // somehow extremely short.
            return;
        }
        let mut idle_utilization = 0.0;
        if mark_duration_ns > 0 {
            idle_utilization = idle_mark_time_ns as f64 / (mark_duration_ns * procs as u64) as f64;
        }
        let current = ((self.heap_live - self.triggered) as f64 * (utilization + idle_utilization))
            / (scan_work as f64 * (1.0 - utilization));
        match self.rules.cons_mark {
            ConsMarkSmoothing::PiController => {
                let (cm, ok) = self.cons_mark_controller.next(self.cons_mark, current, 1.0);
                self.cons_mark = if ok { cm } else { 0.0 };
            }
            // go1.20: consMark = (currentConsMark + lastConsMark) / 2.
            ConsMarkSmoothing::MeanOfTwo => {
                self.cons_mark = (current + self.last_cons_mark[3]) / 2.0;
                self.last_cons_mark[3] = current;
            }
            // go1.21+: the largest of the current and the last four measurements.
            ConsMarkSmoothing::MaxOfFive => {
                self.cons_mark = self.last_cons_mark.iter().fold(current, |m, &v| m.max(v));
                self.last_cons_mark.rotate_left(1);
                self.last_cons_mark[3] = current;
            }
        }
    }

    /// runtime/mgcpacer.go: resetLive — after marking, the live heap is what was marked.
    pub fn reset_live(&mut self, bytes_marked: u64, heap_scan_work: u64, stack_scan_work: u64) {
        self.heap_marked = bytes_marked;
        self.heap_live = bytes_marked;
        self.heap_scan = heap_scan_work;
        self.last_heap_scan = heap_scan_work;
        self.last_stack_scan = stack_scan_work;
        self.triggered = u64::MAX;
    }
}

#[cfg(test)]
mod tests;
