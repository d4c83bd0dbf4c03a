//! Scheduling strategies, pluggable as in awslabs/shuttle: at each step, one of them picks
//! which runnable goroutine runs. An enum, not a trait object: the choice is on the hot path.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use super::world::World;
use crate::engine::compile::Group;

/// Which strategy explores the schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// Steps take simulated time with seeded jitter and GOMAXPROCS Ps run in parallel: an
    /// estimate of how often the real runtime crashes.
    Timing,
    /// A uniform choice among runnable goroutines at every step.
    Random,
    /// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) of depth `depth`.
    Pct {
        /// PCT's d: each run has d − 1 priority change points.
        depth: u32,
    },
    /// Every interleaving up to a preemption bound, with sleep sets.
    Exhaustive {
        /// The most preemptions a schedule may have ([`UNBOUNDED`](super::UNBOUNDED): no
        /// bound).
        preemption_bound: u32,
    },
}

impl Strategy {
    /// The name `race --strategy` takes and race.json reports.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Timing => "timing",
            Strategy::Random => "random",
            Strategy::Pct { .. } => "pct",
            Strategy::Exhaustive { .. } => "exhaustive",
        }
    }
}

/// The scheduler's costs the timing strategy uses, from `[costs]` (ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingCosts {
    /// runtime/proc.go: newproc — `go f()` on the spawning goroutine (goroutine_spawn).
    pub spawn_ns: u64,
    /// runtime/proc.go: wakep — an idle P's thread woken before it runs anything (p_wake).
    pub wake_ns: u64,
    /// runtime/proc.go: schedule + execute — a P switching goroutines (sched_switch).
    pub switch_ns: u64,
}

impl TimingCosts {
    /// The engine's scheduler costs, in ns.
    pub fn from_sched(c: &crate::engine::sched::SchedCosts) -> Self {
        TimingCosts {
            spawn_ns: c.spawn_ps / 1000,
            wake_ns: c.wake_ps / 1000,
            switch_ns: c.switch_ps / 1000,
        }
    }
}

/// The order P0 runs the goroutines in once main blocks, as the engine has it: each `go`
/// puts the new goroutine in runnext and the previous one at the local queue's tail
/// (runtime/proc.go: newproc → runqput), then closechan readies the goroutines waiting at
/// the start line, the last to wait first (runtime/chan.go), each through runnext too.
/// `together[g]`: goroutine `g` waits at the start line.
fn p0_order(together: &[bool]) -> Vec<u32> {
    let mut runnext: Option<u32> = None;
    let mut queue = Vec::new();
    let mut put = |g: u32| {
        if let Some(old) = runnext.replace(g) {
            queue.push(old);
        }
    };
    let n = together.len() as u32;
    (0..n).filter(|&g| !together[g as usize]).for_each(&mut put);
    (0..n)
        .rev()
        .filter(|&g| together[g as usize])
        .for_each(&mut put);
    runnext.into_iter().chain(queue).collect()
}

/// runtime/proc.go: forcePreemptNS — sysmon preempts a goroutine that ran this long (ns).
const SLICE_NS: u64 = crate::engine::sched::FORCE_PREEMPT_PS / 1000;

/// The timing strategy's state: which goroutine each P runs and each P's clock.
#[derive(Debug, Clone)]
pub struct TimingState {
    rng: ChaCha8Rng,
    /// Per P: its clock and the goroutine it runs (with when its slice started).
    p_clock: Vec<u64>,
    p_running: Vec<Option<(u32, u64)>>,
    /// When each goroutine became runnable (spawned by main in order on P0).
    ready_at: Vec<u64>,
    /// Each goroutine's place in line: P0's order after main's spawns (runnext first, then
    /// its local queue), and the tail for one that comes back after leaving a P.
    rank: Vec<u64>,
    next_rank: u64,
    on_p: Vec<Option<u32>>,
    /// The P of the goroutine picked last, for the time of its step.
    last_p: u32,
    costs: TimingCosts,
}

impl TimingState {
    pub(super) fn new(seed: u64, groups: &[Group], procs: u32, costs: TimingCosts) -> Self {
        let procs = procs.max(1) as usize;
        let together: Vec<bool> = groups
            .iter()
            .flat_map(|g| std::iter::repeat_n(g.together, g.count as usize))
            .collect();
        let goroutines = together.len();
        // main runs on P0 while it spawns every goroutine; the other Ps are idle and start
        // once woken. Goroutines that start together are ready when main closes the start
        // line after the last spawn.
        let spawn_end = costs.spawn_ns * goroutines as u64;
        let mut p_clock = vec![costs.wake_ns; procs];
        p_clock[0] = spawn_end;
        let ready_at = (1..=goroutines as u64)
            .zip(&together)
            .map(|(i, &t)| if t { spawn_end } else { i * costs.spawn_ns })
            .collect();
        let mut rank = vec![0; goroutines];
        for (r, g) in p0_order(&together).into_iter().enumerate() {
            rank[g as usize] = r as u64;
        }
        TimingState {
            rng: ChaCha8Rng::seed_from_u64(seed),
            p_clock,
            p_running: vec![None; procs],
            ready_at,
            rank,
            next_rank: goroutines as u64,
            on_p: vec![None; goroutines],
            last_p: 0,
            costs,
        }
    }

    /// Puts goroutine `g` at the tail of the line.
    fn requeue(&mut self, g: u32) {
        self.rank[g as usize] = self.next_rank;
        self.next_rank += 1;
    }

    /// The goroutine whose next step comes first in time, among `runnable`; `in_runtime`
    /// says whether a goroutine is inside a runtime map function, where Go does not preempt
    /// it asynchronously (runtime/preempt.go: isAsyncSafePoint).
    fn pick(&mut self, runnable: &[u32], in_runtime: &dyn Fn(u32) -> bool) -> u32 {
        loop {
            // Goroutines that cannot run give up their P.
            for p in 0..self.p_running.len() {
                if let Some((g, start)) = self.p_running[p] {
                    let expired =
                        self.p_clock[p].saturating_sub(start) >= SLICE_NS && !in_runtime(g);
                    if !runnable.contains(&g) || expired {
                        self.p_running[p] = None;
                        self.on_p[g as usize] = None;
                        if expired {
                            self.ready_at[g as usize] = self.p_clock[p];
                            self.requeue(g);
                        }
                    }
                }
            }
            // The P that is earliest in time takes the next step.
            let p = (0..self.p_clock.len())
                .min_by_key(|&p| (self.p_clock[p], p))
                .expect("at least one P");
            if let Some((g, _)) = self.p_running[p] {
                self.last_p = p as u32;
                return g;
            }
            // An idle P takes the first in line among the goroutines ready by its clock (P0's
            // runnext, then its local queue, which another P steals from the head), else the
            // one ready soonest.
            let clock = self.p_clock[p];
            let waiting = || {
                runnable
                    .iter()
                    .copied()
                    .filter(|&g| self.on_p[g as usize].is_none())
            };
            let next = waiting()
                .filter(|&g| self.ready_at[g as usize] <= clock)
                .min_by_key(|&g| self.rank[g as usize])
                .or_else(|| {
                    waiting().min_by_key(|&g| (self.ready_at[g as usize], self.rank[g as usize]))
                });
            match next {
                Some(g) => {
                    let start =
                        self.p_clock[p].max(self.ready_at[g as usize]) + self.costs.switch_ns;
                    self.p_clock[p] = start;
                    self.p_running[p] = Some((g, start));
                    self.on_p[g as usize] = Some(p as u32);
                }
                None => {
                    // Nothing for this P: it sleeps until the next goroutine is ready, or
                    // until another P has moved on (a lock may have been released).
                    let wake = runnable
                        .iter()
                        .map(|&g| self.ready_at[g as usize])
                        .filter(|&t| t > self.p_clock[p])
                        .min();
                    let others = (0..self.p_clock.len())
                        .filter(|&q| q != p && self.p_running[q].is_some())
                        .map(|q| self.p_clock[q])
                        .min();
                    let next = match (wake, others) {
                        (Some(w), Some(o)) => w.min(o.saturating_add(1)),
                        (Some(w), None) => w,
                        (None, Some(o)) => o.saturating_add(1),
                        (None, None) => u64::MAX,
                    };
                    self.p_clock[p] = next.max(self.p_clock[p].saturating_add(1));
                }
            }
        }
    }

    /// Time and P of the step about to run.
    pub fn now(&self) -> (u64, u32) {
        (self.p_clock[self.last_p as usize], self.last_p)
    }

    /// Advances the clock of the P that ran a step that takes `step_ns`, with ±50% seeded
    /// jitter.
    pub fn advance(&mut self, step_ns: u64) {
        let nominal = step_ns.max(1);
        let jittered = nominal / 2 + self.rng.random_range(0..=nominal);
        self.p_clock[self.last_p as usize] += jittered.max(1);
    }
}

impl TimingState {
    /// Goroutine `g` left its P inside the runtime (the first cycle's gcStart): the P
    /// schedules another goroutine, and `g` queues again behind those already waiting.
    pub fn deschedule(&mut self, g: u32) {
        if let Some(p) = self.on_p[g as usize].take() {
            let p = p as usize;
            self.p_running[p] = None;
            self.ready_at[g as usize] = self.p_clock[p];
            self.requeue(g);
        }
    }
}

/// PCT's state: priorities and the change points (Burckhardt et al.: with n goroutines,
/// k steps and depth d, a bug of depth d is found with probability at least 1/(n·k^(d−1))).
#[derive(Debug, Clone)]
pub struct PctState {
    priority: Vec<u64>,
    change_points: Vec<u64>,
    step: u64,
}

impl PctState {
    pub(super) fn new(seed: u64, goroutines: usize, depth: u32, max_steps: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // More change points than steps change nothing: the depth is capped there.
        let d = u64::from(depth.max(1))
            .min(max_steps.saturating_add(1))
            .min(1 << 20);
        // Distinct initial priorities d .. d+n−1 in random order.
        let mut priority: Vec<u64> = (0..goroutines as u64).map(|i| d + i).collect();
        for i in (1..priority.len()).rev() {
            let j = rng.random_range(0..=i);
            priority.swap(i, j);
        }
        let change_points = (1..d)
            .map(|_| rng.random_range(1..=max_steps.max(1)))
            .collect();
        PctState {
            priority,
            change_points,
            step: 0,
        }
    }

    fn pick(&mut self, runnable: &[u32]) -> u32 {
        self.step += 1;
        let g = *runnable
            .iter()
            .max_by_key(|&&g| self.priority[g as usize])
            .expect("something runnable");
        // At the i-th change point, the running goroutine drops to priority i (below every
        // initial one).
        if let Some(i) = self.change_points.iter().position(|&c| c == self.step) {
            self.priority[g as usize] = i as u64 + 1;
        }
        g
    }

    /// PCT's guarantee for a bug of this depth: 1/(n·k^(d−1)).
    pub fn guarantee(goroutines: usize, max_steps: u64, depth: u32) -> f64 {
        let n = goroutines.max(1) as f64;
        let k = max_steps.max(1) as f64;
        1.0 / (n * k.powi(depth.max(1) as i32 - 1))
    }
}

/// A scheduler for one execution.
#[derive(Debug, Clone)]
pub enum Picker {
    /// [`Strategy::Timing`]: the goroutine whose P is earliest in simulated time.
    Timing(TimingState),
    /// [`Strategy::Random`]: a uniform choice among the runnable goroutines.
    Random(ChaCha8Rng),
    /// [`Strategy::Pct`]: the runnable goroutine of highest priority.
    Pct(PctState),
    /// Given decisions, then the lowest-numbered runnable goroutine.
    Replay {
        /// At each choice, the index of the goroutine to run among the runnable ones.
        decisions: Vec<u32>,
        /// How many of `decisions` have been taken.
        next: usize,
        /// The first decision that named no runnable goroutine: its index, its value and
        /// how many goroutines could run (a token that does not belong to this scenario).
        beyond: Option<(usize, u32, usize)>,
    },
    /// A schedule as slices of steps per goroutine (shrinking).
    Slices(super::shrink::SlicePlan),
    /// The next schedule of the exhaustive search.
    Exhaustive(Box<super::exhaustive::Dfs>),
}

impl Picker {
    /// Timing and slice plans keep state that advances with every step, so they are asked
    /// even when only one goroutine can run; the others only at real choices.
    pub fn sees_every_step(&self) -> bool {
        matches!(
            self,
            Picker::Timing(_) | Picker::Slices(_) | Picker::Exhaustive(_)
        )
    }

    /// Picks among `runnable` in world `w` and returns the index chosen, or `None` when the
    /// execution is not worth finishing (the exhaustive search has explored its order).
    pub fn pick(&mut self, runnable: &[u32], w: &World) -> Option<usize> {
        let g = match self {
            Picker::Timing(t) => t.pick(runnable, &|g| w.in_op(g)),
            Picker::Random(rng) => runnable[rng.random_range(0..runnable.len())],
            Picker::Pct(p) => p.pick(runnable),
            Picker::Slices(plan) => plan.pick(runnable),
            Picker::Replay {
                decisions,
                next,
                beyond,
            } => {
                let i = decisions.get(*next).copied().unwrap_or(0);
                if i as usize >= runnable.len() && beyond.is_none() {
                    *beyond = Some((*next, i, runnable.len()));
                }
                *next += 1;
                return Some((i as usize).min(runnable.len() - 1));
            }
            Picker::Exhaustive(dfs) => return dfs.pick(runnable, w),
        };
        runnable.iter().position(|&r| r == g)
    }
}

#[cfg(test)]
mod tests {
    use super::p0_order;

    #[test]
    fn p0_runs_the_last_spawned_first_and_the_first_waiter_first() {
        // newproc: g2 ends in runnext, g0 and g1 in the local queue in spawn order.
        assert_eq!(p0_order(&[false; 3]), vec![2, 0, 1]);
        // closechan readies g2, g1, g0: g0 ends in runnext, then g2, g1.
        assert_eq!(p0_order(&[true; 3]), vec![0, 2, 1]);
        // Spawned ones first, the start line's after.
        assert_eq!(p0_order(&[false, true, true]), vec![1, 0, 2]);
    }
}
