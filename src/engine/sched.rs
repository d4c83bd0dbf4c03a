//! Go's scheduler, as far as memory behaviour needs it (runtime/proc.go, go1.19): GOMAXPROCS
//! Ps, each with a local run queue and a `runnext` slot, one global queue, idle Ps woken by
//! `wakep` and stealing half of another P's queue, sysmon's forced preemption after 10 ms,
//! and the network poller's ready list for arrivals.
//!
//! Times are in picoseconds. What the runtime's own paths cost (newproc, schedule, an idle
//! P's wake-up) are `[costs]` parameters.

use std::collections::VecDeque;

use rand::RngExt;

use super::exectrace::TraceKind;
use super::queue::EventKind;
use super::sim::Sim;
use super::step::Flow;

/// runtime/runtime2.go: `p.runq [256]guintptr` — a P's local run queue holds 256.
pub const LOCAL_RUNQ_CAP: usize = 256;
/// runtime/proc.go: schedule — every 61st schedule takes from the global queue first, so it
/// is not starved by local work.
pub const GLOBAL_CHECK_TICKS: u32 = 61;
/// runtime/proc.go: forcePreemptNS — sysmon preempts a goroutine that ran 10 ms.
pub const FORCE_PREEMPT_PS: u64 = 10_000_000 * 1000;
/// runtime/proc.go: stealWork — stealTries, rounds over the other Ps.
pub const STEAL_TRIES: u32 = 4;

/// What a P is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PState {
    /// Running goroutines (or about to look for one): its `Proc` event is pending.
    Running,
    /// No work: parked in the idle list until `wakep` wakes it.
    Idle,
    /// Taken by a dedicated GC mark worker until the mark ends.
    GcWorker,
}

/// One P: a processor to run goroutines on.
#[derive(Debug, Clone)]
pub(crate) struct P {
    /// When it is next free (ps).
    pub clock_ps: u64,
    pub state: PState,
    /// The goroutine running on it.
    pub current: Option<u32>,
    /// runtime/runtime2.go: p.runnext — the goroutine readied by the running one, run next.
    pub runnext: Option<u32>,
    pub runq: VecDeque<u32>,
    /// runtime/runtime2.go: p.schedtick.
    pub schedtick: u32,
    /// When the current goroutine's time slice began (sysmon: pd.schedwhen).
    pub slice_start_ps: u64,
    /// Events carry this; a P's pending event is dropped when it changes.
    pub epoch: u32,
    /// The running goroutine is in a `compute` until this time: it can be preempted there
    /// (asynchronously, runtime/preempt.go), unlike inside the runtime's map or malloc code.
    pub compute_until_ps: u64,
    /// The last unit of the current step that cannot be preempted (one mallocgc, one map
    /// operation), in ps: the longest a stop-the-world waits for this P.
    pub atomic_ps: u64,
    /// Switching to the next goroutine costs a schedule(); the first after main's spawns
    /// is part of main's exit into the scheduler.
    pub switched: bool,
    /// Woken by wakep and not yet found work (runtime/proc.go: m.spinning).
    pub spinning: bool,
    /// Its M has run before: a wake-up finds it asleep after work (p_rewake), not in the
    /// state the runtime's start left it (p_wake .. p_wake_max).
    pub has_run: bool,
}

impl P {
    pub fn new() -> P {
        P {
            clock_ps: 0,
            state: PState::Idle,
            current: None,
            runnext: None,
            runq: VecDeque::new(),
            schedtick: 0,
            slice_start_ps: 0,
            epoch: 0,
            compute_until_ps: 0,
            atomic_ps: 0,
            switched: false,
            spinning: false,
            has_run: false,
        }
    }

    /// Goroutines waiting on this P (runnext and the local queue).
    pub fn queued(&self) -> usize {
        self.runq.len() + usize::from(self.runnext.is_some())
    }
}

/// Scheduler costs, in picoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedCosts {
    /// newproc: creating a goroutine, on the creating goroutine's time.
    pub spawn_ps: u64,
    /// schedule() + execute(): a P switching to another goroutine.
    pub switch_ps: u64,
    /// wakep: an idle P's M woken (a futex wake-up) before it looks for work, after a
    /// latency uniform from this ...
    pub wake_ps: u64,
    /// ... to this.
    pub wake_max_ps: u64,
    /// A P that has run before and gone idle: woken after this.
    pub rewake_ps: u64,
    /// The first write to a page of never-used memory (a new goroutine's stack).
    pub fresh_page_ps: u64,
    /// main's wg.Wait after its last `go`, before P0 runs a goroutine.
    pub main_wait_ps: u64,
    /// An uncontended sync.Mutex Lock or Unlock.
    pub mutex_ps: u64,
}

/// A P's first wake-up's latency (p_wake .. p_wake_max), in the unit of `min` and `max`:
/// drawn uniformly from `rng` when there is a spread. `run` and the timing strategy both
/// draw it here.
pub fn first_wake_latency(rng: &mut rand_chacha::ChaCha8Rng, min: u64, max: u64) -> u64 {
    if max > min {
        rng.random_range(min..=max)
    } else {
        min
    }
}

impl Sim {
    /// Schedules P `p` to run at `t_ps` (its pending event, if any, is superseded).
    pub(super) fn kick_p(&mut self, p: usize, t_ps: u64) {
        if let Some(tr) = &mut self.tracer {
            // Work for a P that marked while idle: its idle worker yields the P.
            tr.idle_worker_park(p, t_ps.max(self.ps[p].clock_ps), false);
        }
        let pp = &mut self.ps[p];
        pp.epoch = pp.epoch.wrapping_add(1);
        pp.clock_ps = pp.clock_ps.max(t_ps);
        pp.state = PState::Running;
        let epoch = pp.epoch;
        let t = pp.clock_ps;
        self.queue
            .push(t / 1000, EventKind::Proc { p: p as u32, epoch });
    }

    /// runtime/proc.go: runqput — `g` into P `p`'s runnext (`next`: the previous runnext
    /// goes to the tail of the local queue) or the local queue's tail; a full local queue
    /// moves half of itself to the global queue (runqputslow).
    pub(super) fn runqput(&mut self, p: usize, g: u32, next: bool) {
        let pp = &mut self.ps[p];
        let g = if next {
            match pp.runnext.replace(g) {
                Some(old) => old,
                None => return,
            }
        } else {
            g
        };
        if pp.runq.len() >= LOCAL_RUNQ_CAP {
            let half = pp.runq.len() / 2;
            let moved: Vec<u32> = pp.runq.drain(..half).collect();
            self.global.extend(moved);
            self.global.push_back(g);
        } else {
            pp.runq.push_back(g);
        }
    }

    /// runtime/proc.go: ready (goready) — `g` becomes runnable at `t_ps`, readied by the
    /// goroutine running on P `p`: into `p`'s runnext, and an idle P is woken to share work.
    pub(super) fn ready(&mut self, g: u32, p: usize, t_ps: u64) {
        self.goroutines[g as usize].ready_ps = t_ps;
        self.runqput(p, g, true);
        self.wakep(t_ps);
    }

    /// runtime/proc.go: wakep — if no P is already spinning, wake an idle one (the most
    /// recently idled, pidleget); it looks for work after the wake-up time.
    pub(super) fn wakep(&mut self, t_ps: u64) {
        if self.spinning > 0 {
            return;
        }
        let Some(p) = self.idle.pop() else {
            return;
        };
        self.spinning += 1;
        self.ps[p as usize].spinning = true;
        let pp = &mut self.ps[p as usize];
        let latency = if pp.has_run {
            self.sched_costs.rewake_ps
        } else {
            let c = &self.sched_costs;
            first_wake_latency(&mut self.wake_rng, c.wake_ps, c.wake_max_ps)
        };
        pp.has_run = true;
        self.kick_p(p as usize, t_ps.saturating_add(latency));
    }

    /// Puts P `p` in the idle list (runtime/proc.go: pidleput).
    pub(super) fn idle_p(&mut self, p: usize) {
        let t = self.ps[p].clock_ps;
        let marking = self.gc.marking();
        if let Some(tr) = &mut self.tracer {
            if marking {
                // runtime/proc.go: findRunnable — nothing to run during a mark: the P runs
                // its idle mark worker rather than stopping.
                tr.idle_worker_start(p, t);
            } else {
                tr.push(t, p as u32, 0, TraceKind::ProcStop);
            }
        }
        let pp = &mut self.ps[p];
        pp.state = PState::Idle;
        pp.epoch = pp.epoch.wrapping_add(1);
        self.idle.push(p as u32);
    }

    /// runtime/proc.go: findRunnable (go1.19), the parts that decide which goroutine runs:
    /// the global queue every 61st tick, runnext, the local queue, the global queue, the
    /// network poller, then stealing half of another P's local queue (and, in the last of
    /// four rounds, its runnext). `None`: nothing to run anywhere.
    pub(super) fn find_runnable(&mut self, p: usize) -> Option<u32> {
        self.ps[p].schedtick = self.ps[p].schedtick.wrapping_add(1);
        if self.ps[p].schedtick % GLOBAL_CHECK_TICKS == 0
            && let Some(g) = self.global.pop_front()
        {
            return Some(g);
        }
        let pp = &mut self.ps[p];
        if let Some(g) = pp.runnext.take() {
            return Some(g);
        }
        if let Some(g) = pp.runq.pop_front() {
            return Some(g);
        }
        if let Some(g) = self.globrunqget(p) {
            return Some(g);
        }
        // runtime/proc.go: findRunnable polls the network before stealing; the first ready
        // goroutine runs here, the rest go to the global queue (injectglist).
        if let Some(g) = self.netpoll.pop_front() {
            let rest: Vec<u32> = self.netpoll.drain(..).collect();
            self.global.extend(rest);
            return Some(g);
        }
        self.steal_work(p)
    }

    /// runtime/proc.go: globrunqget — takes len/GOMAXPROCS + 1 goroutines (at most half a
    /// local queue): the first to run, the rest into the local queue.
    fn globrunqget(&mut self, p: usize) -> Option<u32> {
        if self.global.is_empty() {
            return None;
        }
        let procs = self.ps.len();
        let n = (self.global.len() / procs + 1)
            .min(self.global.len())
            .min(LOCAL_RUNQ_CAP / 2);
        let first = self.global.pop_front();
        for _ in 1..n {
            if let Some(g) = self.global.pop_front() {
                self.ps[p].runq.push_back(g);
            }
        }
        first
    }

    /// runtime/proc.go: stealWork — rounds over the other Ps in a random order, taking half
    /// of a victim's local queue (runqgrab), or in the last round its runnext.
    fn steal_work(&mut self, p: usize) -> Option<u32> {
        let n = self.ps.len();
        if n < 2 {
            return None;
        }
        for round in 0..STEAL_TRIES {
            let start = self.sched_rng.random_range(0..n);
            for i in 0..n {
                let victim = (start + i) % n;
                if victim == p {
                    continue;
                }
                // Only goroutines already made runnable by the thief's time (main's later
                // `go` statements have not run yet).
                let now = self.ps[p].clock_ps;
                let goroutines = &self.goroutines;
                let v = &mut self.ps[victim];
                let count = v
                    .runq
                    .iter()
                    .take_while(|&&g| goroutines[g as usize].ready_ps <= now)
                    .count();
                if count > 0 {
                    // runqgrab: n - n/2 from the head; runqsteal runs the last one grabbed
                    // and queues the others.
                    let take = count - count / 2;
                    let mut stolen: Vec<u32> = v.runq.drain(..take).collect();
                    let last = stolen.pop();
                    self.ps[p].runq.extend(stolen);
                    return last;
                }
                if round == STEAL_TRIES - 1
                    && v.runnext
                        .is_some_and(|g| goroutines[g as usize].ready_ps <= now)
                {
                    return v.runnext.take();
                }
            }
        }
        None
    }

    /// Whether any goroutine is waiting to run anywhere (for sysmon's preemption: a
    /// goroutine preempted with nothing else to run would be picked again at once).
    pub(super) fn work_waiting(&self) -> bool {
        !self.global.is_empty()
            || !self.netpoll.is_empty()
            || self.ps.iter().any(|pp| pp.queued() > 0)
    }

    /// runtime/proc.go: gopreempt_m → goschedImpl — the goroutine on P `p` goes to the
    /// global queue's tail.
    pub(super) fn preempt_to_global(&mut self, p: usize) {
        if let Some(g) = self.ps[p].current.take() {
            let t = self.ps[p].clock_ps;
            self.goroutines[g as usize].ready_ps = t;
            self.global.push_back(g);
            if self.tracer.is_some() {
                let at = self.site(g as usize);
                self.trace_g(t, p, g as usize, TraceKind::Preempt { at });
            }
        }
    }

    /// Stops the world at `t_ps` (runtime/proc.go: stopTheWorldWithSema): each P stops at
    /// its running goroutine's next safe point — at once inside a `compute` (asynchronous
    /// preemption), at the end of the current step inside the runtime. Returns when the last
    /// P has stopped.
    pub(super) fn stop_the_world(&mut self, t_ps: u64) -> u64 {
        let mut done = t_ps;
        for p in 0..self.ps.len() {
            let pp = &self.ps[p];
            if pp.state != PState::Running || pp.current.is_none() {
                continue;
            }
            if pp.compute_until_ps > t_ps && pp.clock_ps > t_ps {
                // Preempted mid-compute: the rest runs after the world restarts.
                let g = pp.current.expect("checked") as usize;
                let left = pp.clock_ps - t_ps;
                self.goroutines[g].compute_left_ps += left;
                self.goroutines[g].time_ps = t_ps;
                self.ps[p].compute_until_ps = 0;
                self.ps[p].clock_ps = t_ps;
                self.kick_p(p, t_ps);
            } else if pp.clock_ps > t_ps {
                // Inside the runtime: it stops when its current mallocgc or map operation
                // returns (an assist inside it can be preempted, runtime/mgcmark.go).
                done = done.max(pp.clock_ps.min(t_ps + pp.atomic_ps));
            }
        }
        done
    }

    /// runtime/mgc.go: gcBgMarkStartWorkers / findRunnableGCWorker — at the start of a mark,
    /// `n` Ps run dedicated mark workers until it ends: idle Ps first, then the highest
    /// numbered; a goroutine they ran and their local queues go to the global queue
    /// (runtime/mgc.go: gcBgMarkWorker kicks the run queue out when it takes a P).
    pub(super) fn take_ps_for_gc(&mut self, n: u32, t_ps: u64) {
        let mut taken = 0;
        while taken < n {
            let p = if let Some(p) = self.idle.pop() {
                p as usize
            } else if let Some(p) = (0..self.ps.len())
                .rev()
                .find(|&p| self.ps[p].state == PState::Running)
            {
                p
            } else {
                break;
            };
            if self.ps[p].spinning {
                self.ps[p].spinning = false;
                self.spinning = self.spinning.saturating_sub(1);
            }
            self.ps[p].clock_ps = self.ps[p].clock_ps.max(t_ps);
            self.preempt_to_global(p);
            let pp = &mut self.ps[p];
            let kicked: Vec<u32> = pp
                .runnext
                .take()
                .into_iter()
                .chain(pp.runq.drain(..))
                .collect();
            self.global.extend(kicked);
            let pp = &mut self.ps[p];
            pp.state = PState::GcWorker;
            pp.epoch = pp.epoch.wrapping_add(1);
            pp.compute_until_ps = 0;
            let t = pp.clock_ps;
            if let Some(tr) = &mut self.tracer {
                tr.idle_worker_park(p, t, false);
                let w = tr.worker(p, t);
                tr.push(t, p as u32, w, TraceKind::WorkerStart { idle: false });
            }
            taken += 1;
        }
    }

    /// The mark ended at `t_ps`: Ps that ran dedicated workers look for goroutines again.
    pub(super) fn release_gc_ps(&mut self, t_ps: u64) {
        for p in 0..self.ps.len() {
            if self.ps[p].state == PState::GcWorker {
                if let Some(tr) = &mut self.tracer {
                    let w = tr.workers[p];
                    tr.push(t_ps, p as u32, w, TraceKind::WorkerPark);
                }
                self.kick_p(p, t_ps);
            }
        }
    }
}

impl Sim {
    /// P `p`'s turn at `t_ns`: it runs its goroutine, or finds one, step after step until
    /// its clock reaches the next pending event (then it schedules itself again), or parks
    /// idle when there is nothing to run. Running ahead while nothing else can happen gives
    /// exactly the result of one event per step, without the queue traffic.
    pub(super) fn run_p(&mut self, p: usize, t_ns: u64) {
        // The world may be stopped: the P resumes when it restarts.
        let stopped = (self.gc.stopped_until_ns * 1000).max(t_ns * 1000);
        if self.ps[p].clock_ps < stopped {
            self.ps[p].clock_ps = stopped;
        }
        if let Some(g) = self.ps[p].current {
            let gs = &mut self.goroutines[g as usize];
            gs.time_ps = gs.time_ps.max(self.ps[p].clock_ps);
        }
        // This event's own turn: one step at its time runs even when another event is due
        // at the same instant (that one then runs next), so two Ps at one instant progress.
        let mut turn = true;
        loop {
            // A time limit is checked here too: one P alone can run a whole program,
            // thousands of events can each take thousands of steps, and one step can take
            // a millisecond (a range loop over 2^17 buckets): every 64 steps.
            self.steps = self.steps.wrapping_add(1);
            if self.steps % 64 == 0 {
                let clock = self.ps[p].clock_ps;
                if self.steps % 65536 == 0
                    && let Some(pr) = &self.progress
                {
                    pr.store(clock / 1000, std::sync::atomic::Ordering::Relaxed);
                }
                if self.stop_requested() {
                    self.stopped = true;
                    self.end_ps = self.end_ps.max(clock);
                    return;
                }
            }
            let g = match self.ps[p].current {
                Some(g) => g as usize,
                None => match self.schedule(p) {
                    Some(g) => g as usize,
                    None => {
                        self.idle_p(p);
                        return;
                    }
                },
            };
            let now = self.goroutines[g].time_ps;
            self.ps[p].clock_ps = now;
            let horizon = self.queue.next_time();
            let own_turn = turn && now / 1000 == t_ns;
            turn = false;
            if now / 1000 >= horizon && !own_turn {
                let epoch = self.ps[p].epoch;
                self.queue
                    .push(now / 1000, EventKind::Proc { p: p as u32, epoch });
                return;
            }
            // runtime/proc.go: sysmon → retake → preemptone after forcePreemptNS, at the
            // next safe point (between steps: never inside map or malloc code).
            if now.saturating_sub(self.ps[p].slice_start_ps) >= FORCE_PREEMPT_PS {
                if self.work_waiting() {
                    // sysmon also polls the network when nobody has for 10 ms: what arrived
                    // goes to the global queue ahead of the preempted goroutine.
                    let arrived: Vec<u32> = self.netpoll.drain(..).collect();
                    self.global.extend(arrived);
                    self.preempt_to_global(p);
                    continue;
                }
                self.ps[p].slice_start_ps = now;
            }
            let flow = self.step(g, p, horizon);
            let t = self.goroutines[g].time_ps;
            self.ps[p].clock_ps = t;
            if self.tracer.is_some() && flow != Flow::Continue {
                let at = self.site(g);
                let (kind, when) = match flow {
                    Flow::Done => (TraceKind::End, t),
                    // Blocked from when it queued on the lock: an unlock may come before
                    // its mutex_op's time runs out.
                    Flow::Parked => (TraceKind::BlockSync { at }, self.park_ps.min(t)),
                    Flow::Yield => (TraceKind::Sched { at }, t),
                    Flow::Blocked => (TraceKind::SysBlock { at }, t),
                    Flow::Continue => unreachable!("checked"),
                };
                self.trace_g(when, p, g, kind);
            }
            match flow {
                Flow::Continue => {}
                Flow::Done => {
                    self.ps[p].current = None;
                    self.goexit(g, t);
                }
                Flow::Parked => {
                    self.ps[p].current = None;
                }
                Flow::Yield => {
                    // runtime/proc.go: goyield — to the local queue's tail.
                    self.ps[p].current = None;
                    self.goroutines[g].ready_ps = t;
                    self.runqput(p, g as u32, false);
                }
                Flow::Blocked => {
                    // runtime/proc.go: entersyscallblock hands the P off; exitsyscall finds
                    // no idle P and puts the goroutine on the global queue (exitsyscall0).
                    self.ps[p].current = None;
                    self.goroutines[g].ready_ps = t;
                    self.global.push_back(g as u32);
                    self.wakep(t);
                }
            }
            if self.fatal.is_some() {
                return;
            }
        }
    }

    /// runtime/proc.go: schedule — P `p` picks the next goroutine (findRunnable) and starts
    /// running it after a switch; a spinning P that found work wakes another (resetspinning).
    fn schedule(&mut self, p: usize) -> Option<u32> {
        let found = self.find_runnable(p);
        let clock = self.ps[p].clock_ps;
        if self.ps[p].spinning {
            self.ps[p].spinning = false;
            self.spinning = self.spinning.saturating_sub(1);
            if found.is_some() && self.work_waiting() {
                self.wakep(clock);
            }
        }
        let g = found?;
        let switch = if self.ps[p].switched {
            self.sched_costs.switch_ps
        } else {
            0
        };
        self.ps[p].switched = true;
        let gs = &mut self.goroutines[g as usize];
        let start = clock.max(gs.ready_ps).saturating_add(switch);
        gs.time_ps = gs.time_ps.max(start);
        let pp = &mut self.ps[p];
        pp.current = Some(g);
        pp.slice_start_ps = start;
        pp.clock_ps = start;
        pp.compute_until_ps = 0;
        self.trace_g(start, p, g as usize, TraceKind::Start);
        Some(g)
    }

    /// runtime/proc.go: goexit — goroutine `g` ended at `t_ps`; an arrival's slot is reused.
    fn goexit(&mut self, g: usize, t_ps: u64) {
        self.drop_local_slices(g);
        let gs = &mut self.goroutines[g];
        gs.done = true;
        self.live_goroutines -= 1;
        self.end_ps = self.end_ps.max(t_ps);
        if let Some(end) = self.ends_ps.get_mut(g) {
            *end = t_ps;
        }
        if gs.arrival {
            self.free_slots.push(g as u32);
            self.live_arrivals -= 1;
            self.set_arrival_stacks();
        }
    }
}
