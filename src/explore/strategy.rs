//! Scheduling strategies, pluggable as in awslabs/shuttle: at each step, one of them picks
//! which runnable goroutine runs. An enum, not a trait object: the choice is on the hot path.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

use super::world::World;
use crate::engine::compile::Group;
use crate::engine::sched::first_wake_latency;
use crate::model::heap::new_stack_pages;

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
    /// runtime/proc.go: wakep — an idle P's thread woken before it runs anything, after
    /// p_wake ...
    pub wake_ns: u64,
    /// ... to p_wake_max, uniformly.
    pub wake_max_ns: u64,
    /// A P that has run before and gone idle: woken after p_rewake.
    pub rewake_ns: u64,
    /// The first write to a page of never-used memory (page_fault_fresh): a new stack's.
    pub fresh_page_ns: u64,
    /// main's wg.Wait after its last `go`, before P0 runs a goroutine (main_wait).
    pub main_wait_ns: u64,
    /// runtime/proc.go: schedule + execute — a P switching goroutines (sched_switch).
    pub switch_ns: u64,
}

impl TimingCosts {
    /// The engine's scheduler costs, in ns.
    pub fn from_sched(c: &crate::engine::sched::SchedCosts) -> Self {
        TimingCosts {
            spawn_ns: c.spawn_ps / 1000,
            wake_ns: c.wake_ps / 1000,
            wake_max_ns: c.wake_max_ps / 1000,
            rewake_ns: c.rewake_ps / 1000,
            fresh_page_ns: c.fresh_page_ps / 1000,
            main_wait_ns: c.main_wait_ps / 1000,
            switch_ns: c.switch_ps / 1000,
        }
    }
}

/// The order P0 runs the goroutines in once main blocks, as the engine has it: each `go`
/// puts the new goroutine in runnext and the previous one at the local queue's tail
/// (runtime/proc.go: newproc → runqput); the goroutines waiting at a start line go in when
/// main closes it, in the order of their spawns (none has reached the line yet).
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
    (0..n).filter(|&g| together[g as usize]).for_each(&mut put);
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
    /// The P whose local queue each goroutine waits in (main spawns them all on P0).
    owner: Vec<u32>,
    /// Per P that found nothing to run: since when its M sleeps (runtime/proc.go: stopm);
    /// a goroutine readied after that wakes it (wakep).
    p_asleep: Vec<Option<u64>>,
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
        // main runs on P0 while it spawns every goroutine; the first `go` wakes an idle P
        // (runtime/proc.go: newproc → wakep), whose M, once it finds work, wakes the next
        // (resetspinning → wakep). Goroutines that start together are ready when main
        // closes the start line after the last spawn.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Each `go` costs spawn_ns and the faults of its new stack (see new_stack_pages).
        let mut spawned = Vec::with_capacity(goroutines);
        let mut t = 0;
        for i in 1..=goroutines as u64 {
            t += costs.spawn_ns + new_stack_pages(i) * costs.fresh_page_ns;
            spawned.push(t);
        }
        let spawn_end = t;
        let mut p_clock = vec![0; procs];
        let mut woken = spawned.first().copied().unwrap_or(0);
        for clock in p_clock.iter_mut().skip(1) {
            woken += first_wake_latency(&mut rng, costs.wake_ns, costs.wake_max_ns);
            *clock = woken;
        }
        p_clock[0] = spawn_end + costs.main_wait_ns;
        let ready_at = spawned
            .iter()
            .zip(&together)
            .map(|(&at, &t)| if t { spawn_end } else { at })
            .collect();
        let mut rank = vec![0; goroutines];
        for (r, g) in p0_order(&together).into_iter().enumerate() {
            rank[g as usize] = r as u64;
        }
        TimingState {
            rng,
            p_clock,
            p_running: vec![None; procs],
            ready_at,
            rank,
            next_rank: goroutines as u64,
            on_p: vec![None; goroutines],
            owner: vec![0; goroutines],
            p_asleep: vec![None; procs],
            last_p: 0,
            costs,
        }
    }

    /// Asleep P `p` moves its clock to `wake_at`, or sooner to just after another P's (a
    /// lock that P releases may ready a goroutine), at least one ns on.
    fn sleep_until(&mut self, p: usize, wake_at: Option<u64>) {
        let others = (0..self.p_clock.len())
            .filter(|&q| q != p && self.p_running[q].is_some())
            .map(|q| self.p_clock[q].saturating_add(1))
            .min();
        let next = match (wake_at, others) {
            (Some(w), Some(o)) => w.min(o),
            (Some(w), None) => w,
            (None, Some(o)) => o,
            (None, None) => u64::MAX,
        };
        self.p_clock[p] = next.max(self.p_clock[p].saturating_add(1));
    }

    /// The first in line of P `p`'s own goroutines ready by `clock`.
    fn take_local(&self, runnable: &[u32], p: usize, clock: u64) -> Option<u32> {
        runnable
            .iter()
            .copied()
            .filter(|&g| {
                let gi = g as usize;
                self.on_p[gi].is_none() && self.owner[gi] == p as u32 && self.ready_at[gi] <= clock
            })
            .min_by_key(|&g| self.rank[g as usize])
    }

    /// P `p` steals the first half (rounded up) of the goroutines ready by `clock` of the
    /// first P that has any, and puts the last of them first in line.
    fn steal_half(&mut self, runnable: &[u32], p: usize, clock: u64) {
        let mut ready: Vec<u32> = runnable
            .iter()
            .copied()
            .filter(|&g| {
                let gi = g as usize;
                self.on_p[gi].is_none() && self.owner[gi] != p as u32 && self.ready_at[gi] <= clock
            })
            .collect();
        let Some(&first) = ready.iter().min_by_key(|&&g| self.rank[g as usize]) else {
            return;
        };
        let victim = self.owner[first as usize];
        ready.retain(|&g| self.owner[g as usize] == victim);
        ready.sort_unstable_by_key(|&g| self.rank[g as usize]);
        ready.truncate(ready.len().div_ceil(2));
        let last = ready.pop().expect("one at least");
        for g in std::iter::once(last).chain(ready) {
            self.owner[g as usize] = p as u32;
            self.requeue(g);
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
            // An idle P whose M sleeps (runtime/proc.go: stopm) wakes p_rewake after the first
            // goroutine readied since (newproc or ready → wakep); until then it runs nothing.
            let clock = self.p_clock[p];
            if let Some(since) = self.p_asleep[p] {
                let wake_at = runnable
                    .iter()
                    .filter(|&&g| self.on_p[g as usize].is_none())
                    .map(|&g| match self.ready_at[g as usize] {
                        r if r > since => r + self.costs.rewake_ns,
                        _ => since,
                    })
                    .min();
                match wake_at {
                    Some(w) if w <= clock => self.p_asleep[p] = None,
                    _ => {
                        self.sleep_until(p, wake_at);
                        continue;
                    }
                }
            }
            // Awake, it takes the first in line among the goroutines ready by its clock in
            // its own local queue; with none, it steals half of another P's (runtime/proc.go:
            // runqsteal → runqgrab takes the first half, and runs the last of them first).
            let next = self.take_local(runnable, p, clock).or_else(|| {
                self.steal_half(runnable, p, clock);
                self.take_local(runnable, p, clock)
            });
            match next {
                Some(g) => {
                    let start = clock + self.costs.switch_ns;
                    self.p_clock[p] = start;
                    self.p_running[p] = Some((g, start));
                    self.on_p[g as usize] = Some(p as u32);
                }
                // Nothing ready: the P's M goes to sleep.
                None => {
                    self.p_asleep[p] = Some(clock);
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
    Timing(Box<TimingState>),
    /// [`Strategy::Random`]: a uniform choice among the runnable goroutines.
    Random(Box<ChaCha8Rng>),
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
    fn p0_runs_the_last_spawned_first_then_the_others_in_spawn_order() {
        // newproc: g2 ends in runnext, g0 and g1 in the local queue in spawn order.
        assert_eq!(p0_order(&[false; 3]), vec![2, 0, 1]);
        // The start line's goroutines have not reached it when main closes it: the same.
        assert_eq!(p0_order(&[true; 3]), vec![2, 0, 1]);
        // Spawned ones first, the start line's after.
        assert_eq!(p0_order(&[true, false, false]), vec![0, 1, 2]);
    }
}
