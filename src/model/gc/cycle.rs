//! One completed GC cycle, with everything `GODEBUG=gctrace=1` prints about it and what
//! gc_cycles.csv records (runtime/mgc.go: gcMarkTermination).

/// A finished GC cycle. Times are virtual nanoseconds; bytes are exact (gctrace truncates
/// them to MB when it prints).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GcCycle {
    /// `memstats.numgc` after this cycle: 1 for the first.
    pub n: u32,
    /// Started by the periodic forced GC (runtime/proc.go: forcegcperiod); with gctrace,
    /// forcegchelper prints a `GC forced` line before the cycle's own line.
    pub forced: bool,
    /// Started by `runtime.GC()` (`work.userForced`): the line ends in ` (forced)`.
    pub user_forced: bool,
    /// When sweep termination began (`work.tSweepTerm`), from the start of the run.
    pub start_ns: u64,
    /// Wall-clock time of sweep termination (stop-the-world).
    pub stw_sweep_term_ns: u64,
    /// Wall-clock time of the concurrent mark phase.
    pub mark_ns: u64,
    /// Wall-clock time of mark termination (stop-the-world).
    pub stw_mark_term_ns: u64,
    /// CPU time of sweep termination: its STW time × GOMAXPROCS.
    pub cpu_stw_sweep_term_ns: u64,
    /// CPU time of mark assists.
    pub cpu_assist_ns: u64,
    /// CPU time of the background mark workers, dedicated and fractional.
    pub cpu_background_ns: u64,
    /// CPU time of the idle mark workers.
    pub cpu_idle_ns: u64,
    /// CPU time of mark termination: its STW time × GOMAXPROCS.
    pub cpu_stw_mark_term_ns: u64,
    /// `work.heap0`: heap live when the cycle started (at the trigger).
    pub heap_start_bytes: u64,
    /// `work.heap1`: heap live at mark termination.
    pub heap_end_bytes: u64,
    /// `work.heap2`: bytes marked live (objects allocated during mark included).
    pub heap_marked_bytes: u64,
    /// `gcController.lastHeapGoal`: the goal this cycle ran against.
    pub heap_goal_bytes: u64,
    /// The trigger the cycle started at.
    pub trigger_bytes: u64,
    /// `gcController.stackScan`: goroutine stack bytes (`S MB stacks`).
    pub stacks_bytes: u64,
    /// `gcController.globalsScan`: global data bytes (`X MB globals`).
    pub globals_bytes: u64,
    /// GOMAXPROCS during the cycle.
    pub procs: u32,
    /// `memstats.gc_cpu_fraction` after this cycle: GC CPU since the start of the run over
    /// all CPU available since then. gctrace prints it as an integer percentage.
    pub gc_cpu_fraction: f64,
}

impl GcCycle {
    /// All CPU time this cycle spent on GC.
    pub fn gc_cpu_ns(&self) -> u64 {
        self.cpu_stw_sweep_term_ns
            + self.cpu_assist_ns
            + self.cpu_background_ns
            + self.cpu_idle_ns
            + self.cpu_stw_mark_term_ns
    }

    /// Total stop-the-world time of this cycle.
    pub fn stw_ns(&self) -> u64 {
        self.stw_sweep_term_ns + self.stw_mark_term_ns
    }
}
