//! The concurrent sweep between two cycles (runtime/mgcsweep.go): every span in use at mark
//! termination is swept once before the next mark, by the background sweeper on an idle P
//! and by allocating goroutines in proportion to what they allocate (proportional sweep),
//! and whatever is left by the goroutine that starts the next cycle (gcStart's
//! `for trigger.test() && sweepone()` loop). Its time is the mutator's: gctrace and the CPU
//! limiter leave it out of GC time.

/// runtime/mgcpacer.go: gcPaceSweeper keeps 1 MiB of margin below the trigger, and never
/// less than a page of runway.
const SWEEP_MARGIN: u64 = 1 << 20;
const MIN_SWEEP_DISTANCE: u64 = 8192;

/// Sweep work outstanding since the last mark termination.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Sweeper {
    /// Work of the whole sweep (ps of one P's time) and what is left of it.
    total_ps: u64,
    left_ps: u64,
    /// runtime/mgcpacer.go: gcPaceSweeper — sweep work owed per byte allocated since
    /// `basis` (heapLive when the sweep began).
    per_byte_ps: f64,
    basis: u64,
    /// Ps the background sweeper runs on (it is one goroutine: 0 or 1), and when its
    /// progress was last counted (ns).
    background: f64,
    at_ns: u64,
}

impl Sweeper {
    /// runtime/mgc.go: gcMarkTermination → gcSweep, and gcPaceSweeper — `work_ps` of sweeping
    /// starts at `now_ns`, with the heap at `heap_live` and the next trigger at `trigger`;
    /// `idle_procs` Ps are idle, one of which takes the background sweeper.
    pub fn start(
        &mut self,
        work_ps: u64,
        now_ns: u64,
        heap_live: u64,
        trigger: u64,
        idle_procs: u32,
    ) {
        let distance = trigger
            .saturating_sub(heap_live)
            .saturating_sub(SWEEP_MARGIN)
            .max(MIN_SWEEP_DISTANCE);
        *self = Sweeper {
            total_ps: work_ps,
            left_ps: work_ps,
            per_byte_ps: work_ps as f64 / distance as f64,
            basis: heap_live,
            background: if idle_procs > 0 { 1.0 } else { 0.0 },
            at_ns: now_ns,
        };
    }

    /// The background sweeper's progress up to `now_ns` (runtime/mgcsweep.go: bgsweep).
    fn catch_up(&mut self, now_ns: u64) {
        if self.left_ps == 0 {
            return;
        }
        let ran = now_ns.saturating_sub(self.at_ns).saturating_mul(1000);
        self.left_ps = self
            .left_ps
            .saturating_sub((ran as f64 * self.background) as u64);
        self.at_ns = self.at_ns.max(now_ns);
    }

    /// runtime/mgcsweep.go: deductSweepCredit — an allocation at `now_ns` that brings the
    /// heap to `heap_live` sweeps until the sweep is as far as the allocation since the
    /// sweep began asks. Returns the allocating goroutine's sweep time (ps).
    pub fn on_alloc(&mut self, now_ns: u64, heap_live: u64) -> u64 {
        self.catch_up(now_ns);
        if self.left_ps == 0 {
            return 0;
        }
        let allocated = heap_live.saturating_sub(self.basis) as f64;
        let target = (allocated * self.per_byte_ps).min(self.total_ps as f64) as u64;
        let done = self.total_ps - self.left_ps;
        let owed = target.saturating_sub(done).min(self.left_ps);
        self.left_ps -= owed;
        owed
    }

    /// runtime/mgc.go: gcStart — the goroutine starting a cycle at `now_ns` first sweeps
    /// what is left, beside the background sweeper. Returns its time (ps).
    pub fn finish(&mut self, now_ns: u64) -> u64 {
        self.catch_up(now_ns);
        let left = std::mem::take(&mut self.left_ps);
        (left as f64 / (1.0 + self.background)) as u64
    }

    /// Sweep work not done yet (ps).
    #[cfg(test)]
    pub fn left_ps(&self) -> u64 {
        self.left_ps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_sweeps_in_proportion_to_the_runway() {
        // 1 ms of sweeping, the trigger 1 MiB + 100 KiB above the heap: the runway is the
        // 100 KiB beyond gcPaceSweeper's 1 MiB margin, so 10 KiB allocated owes a tenth.
        let mut s = Sweeper::default();
        s.start(1_000_000_000, 0, 0, SWEEP_MARGIN + 102_400, 0);
        assert_eq!(s.on_alloc(0, 10_240), 100_000_000);
        // Allocating the same bytes again (heapLive unchanged) owes nothing more.
        assert_eq!(s.on_alloc(0, 10_240), 0);
        // Past the runway the goroutine owes all that is left, and no more.
        assert_eq!(s.on_alloc(0, 1 << 30), 900_000_000);
        assert_eq!(s.left_ps(), 0);
    }

    #[test]
    fn a_trigger_at_the_heap_leaves_a_page_of_runway() {
        // runtime/mgcpacer.go: gcPaceSweeper — heapDistance < _PageSize becomes _PageSize:
        // one page allocated owes the whole sweep.
        let mut s = Sweeper::default();
        s.start(5_000, 0, 1 << 20, 1 << 20, 0);
        assert_eq!(s.on_alloc(0, (1 << 20) + 4096), 2_500);
        assert_eq!(s.on_alloc(0, (1 << 20) + 8192), 2_500);
    }

    #[test]
    fn the_background_sweeper_runs_on_an_idle_p_and_shares_the_last_of_it() {
        let mut s = Sweeper::default();
        s.start(1_000_000, 0, 0, 1 << 30, 1);
        // 400 ns later the background sweeper has done 400 ns of it ...
        assert_eq!(s.on_alloc(400, 0), 0);
        assert_eq!(s.left_ps(), 600_000);
        // ... and gcStart's goroutine sweeps the rest beside it: half the time.
        assert_eq!(s.finish(400), 300_000);
        // With no idle P, all of it is the goroutine's.
        s.start(1_000_000, 0, 0, 1 << 30, 0);
        assert_eq!(s.finish(400), 1_000_000);
    }
}
