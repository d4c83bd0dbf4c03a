//! The simulation: goroutines running their programs as events on one virtual clock, against
//! the map, heap and GC models. Time comes from the `[costs]` model applied to the work each
//! step did.

use std::collections::VecDeque;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::gc::{Gc, GcParams};
use super::latency::Histogram;
use super::outcome::MAX_RECORDED_WRITES;
pub use super::outcome::{MapOutcome, MapShape, MapWrite, Outcome, RequestOutcome};
use super::program::{Instr, Program, Unsupported};
use super::queue::{EventKind, EventQueue};
use super::rng::Stream;
use super::sched::{FORCE_PREEMPT_PS, P, PState, SchedCosts};
use super::step::Flow;
use super::sync::Mutex;
use crate::model::gc::pacer::Pacer;
use crate::model::gomap::{GoMap, MapLayout, Work};
use crate::model::heap::{Heap, NonHeapModel};
use crate::scenario::types::{Costs, Gogc, MemLimit, Op, Process, Scenario, Start, go_minor};

/// Prices of work, in picoseconds, so sub-nanosecond costs accumulate exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    pub map_op_ps: u64,
    pub overflow_probe_ps: u64,
    pub evacuate_entry_ps: u64,
    pub evacuate_bucket_ps: u64,
    pub alloc_per_kib_ps: u64,
    pub iter_entry_ps: u64,
    pub alloc_object_ps: u64,
    pub sweep_per_kib_ps: u64,
}

impl SimConfig {
    pub fn from_costs(c: &Costs) -> Self {
        SimConfig {
            map_op_ps: c.map_op.as_ps(),
            overflow_probe_ps: c.map_overflow_probe.as_ps(),
            evacuate_entry_ps: c.map_evacuate_entry.as_ps(),
            evacuate_bucket_ps: c.map_evacuate_bucket.as_ps(),
            alloc_per_kib_ps: c.alloc_per_kib.as_ps(),
            iter_entry_ps: c.map_iter_entry.as_ps(),
            alloc_object_ps: c.alloc_object.as_ps(),
            sweep_per_kib_ps: c.sweep_per_kib.as_ps(),
        }
    }

    /// Time of map work `w`, in picoseconds.
    #[inline]
    /// Saturates rather than wrapping: absurd costs give an absurdly long run that
    /// [`Outcome::overflowed`] reports, never a wrong number.
    pub fn price(&self, w: &Work) -> u64 {
        let f = |n: u64, ps: u64| n.saturating_mul(ps);
        f(w.ops, self.map_op_ps)
            .saturating_add(f(w.overflow_probes, self.overflow_probe_ps))
            .saturating_add(f(w.evacuated_entries, self.evacuate_entry_ps))
            .saturating_add(f(w.evacuated_buckets, self.evacuate_bucket_ps))
            .saturating_add(f(w.iterated_entries, self.iter_entry_ps))
            .saturating_add(f(w.alloc_bytes, self.alloc_per_kib_ps) / 1024)
    }

    /// Time to allocate one object of `size` bytes; `swept` once memory is being reused.
    #[inline]
    pub fn object_ps(&self, size: u64, swept: bool) -> u64 {
        let per_kib = self.alloc_per_kib_ps + if swept { self.sweep_per_kib_ps } else { 0 };
        self.alloc_object_ps
            .saturating_add(size.saturating_mul(per_kib) / 1024)
    }
}

/// Goroutines alive at once beyond which a run stops as out of memory: 2^21, whose minimum
/// stacks alone take 4 GiB (and the simulation about 1 GiB).
pub const MAX_LIVE_GOROUTINES: usize = 1 << 21;

/// One simulated map and the workload's view of it.
#[derive(Debug)]
pub(super) struct MapSlot {
    pub map: GoMap,
    /// Keys present, for picking random existing keys; kept only when the program deletes,
    /// reads or churns this map.
    pub live: Vec<u64>,
    pub track_live: bool,
    /// Next fresh key identity.
    pub next_key: u64,
    /// The map's buckets hold pointers, so the GC scans them.
    pub scan: bool,
    /// runtime/map.go: hashWriting — at operation granularity, the write in progress: who
    /// writes and until when (ps); and the range loop in progress, until when.
    pub writing: Option<(u32, u64)>,
    pub iterating_until_ps: u64,
}

/// A goroutine's execution state.
#[derive(Debug)]
pub(super) struct Goroutine {
    pub program: u32,
    pub cursor: super::program::Cursor,
    /// Local time in picoseconds: its P's clock while it runs.
    pub time_ps: u64,
    /// When it started (for loops with a duration).
    pub start_ps: u64,
    /// When it last became runnable.
    pub ready_ps: u64,
    pub rng: ChaCha8Rng,
    pub done: bool,
    /// Share of a P this goroutine keeps busy in its current instruction.
    pub busy: f64,
    /// The P it runs on.
    pub on_p: Option<u32>,
    /// What is left of a `compute` that was preempted.
    pub compute_left_ps: u64,
    /// sync: the lock it waits for was handed to it (or, for readers, let it in).
    pub lock_granted: bool,
    /// sync/mutex.go: woken by Unlock, so a failed retry queues at the front.
    pub woken: bool,
    /// sync/mutex.go: waitStartTime (0: not waiting).
    pub wait_start_ps: u64,
    /// Left its P inside gcStart's first cycle (gcBgMarkStartWorkers): when it runs again it
    /// goes on starting the cycle, and lets go of the map it was writing.
    pub gc_start_on_resume: bool,
    pub holding_map: Option<u32>,
    /// Requests in progress: (request, start time in ps).
    pub requests: Vec<(u32, u64)>,
    /// Started by an arrival at this time: its first request starts then.
    pub arrival_ps: Option<u64>,
    /// Started by an arrival: its slot is reused once it ends.
    pub arrival: bool,
}

impl Goroutine {
    fn new(program: u32, t_ps: u64, rng: ChaCha8Rng) -> Goroutine {
        Goroutine {
            program,
            cursor: Default::default(),
            time_ps: t_ps,
            start_ps: t_ps,
            ready_ps: t_ps,
            rng,
            done: false,
            busy: 1.0,
            on_p: None,
            compute_left_ps: 0,
            lock_granted: false,
            woken: false,
            wait_start_ps: 0,
            gc_start_on_resume: false,
            holding_map: None,
            requests: Vec::new(),
            arrival_ps: None,
            arrival: false,
        }
    }
}

/// An open-loop source of requests (`[[arrivals]]`).
#[derive(Debug)]
struct Arrivals {
    program: u32,
    /// Mean gap between arrivals (ps), and whether gaps are exponential (Poisson).
    gap_ps: f64,
    poisson: bool,
    /// The next arrival and the end of arrivals (ps).
    next_ps: u64,
    end_ps: u64,
    rng: ChaCha8Rng,
    /// Arrivals so far, for each one's workload stream.
    count: u64,
    source: u32,
}

impl Arrivals {
    /// The gap to the next arrival: exponential with the mean gap, or the mean gap.
    fn gap(&mut self) -> u64 {
        if !self.poisson {
            return self.gap_ps.round().max(1.0) as u64;
        }
        // Inverse transform of a uniform in (0, 1].
        let u: f64 = 1.0 - self.rng.random::<f64>();
        ((-u.ln() * self.gap_ps).round() as u64).max(1)
    }
}

/// A simulation of one scenario.
#[derive(Debug)]
pub struct Sim {
    pub(super) name: String,
    pub(super) seed: u64,
    pub(super) config: SimConfig,
    pub(super) sched_costs: SchedCosts,
    pub(super) queue: EventQueue,
    pub(super) programs: Vec<Program>,
    /// For each program, the mutex of each of its lock instructions.
    pub(super) lock_of: Vec<Vec<u32>>,
    pub(super) goroutines: Vec<Goroutine>,
    /// Slots of goroutines that ended, reused by arrivals.
    free_slots: Vec<u32>,
    pub(super) ps: Vec<P>,
    /// runtime/runtime2.go: sched.runq, the global run queue.
    pub(super) global: VecDeque<u32>,
    /// Arrived goroutines the network poller has not handed to a P yet.
    pub(super) netpoll: VecDeque<u32>,
    /// Idle Ps, the most recently idled last (runtime/proc.go: sched.pidle).
    pub(super) idle: Vec<u32>,
    /// Ps woken and looking for work (runtime/proc.go: sched.nmspinning).
    pub(super) spinning: u32,
    pub(super) sched_rng: ChaCha8Rng,
    pub(super) mutexes: Vec<Mutex>,
    pub(super) maps: Vec<MapSlot>,
    pub(super) map_meta: Vec<(String, String, String)>,
    pub(super) work: Work,
    pub(super) gc: Gc,
    /// A goroutine's allocation reached the trigger: the GC starts when the world stops.
    pub(super) gc_start_pending: bool,
    /// runtime/mgc.go: gcBgMarkWorkerCount has reached GOMAXPROCS (the first gcStart
    /// started the mark workers).
    pub(super) mark_workers_started: bool,
    /// How the program died, in words (who held what), when it did.
    pub(super) fatal_detail: Option<String>,
    /// Goroutine group names, and where each group's goroutines start in `goroutines`.
    pub(super) group_names: Vec<(String, u32, u32)>,
    /// Assist CPU of the running mark, and in all (ps).
    pub(super) assist_ps_cycle: u64,
    pub(super) assist_ps_total: u64,
    /// Retained memory from `retain` ops, and its pointer-bearing part.
    pub(super) retained: (u64, u64),
    pub(super) live_goroutines: usize,
    pub(super) max_goroutines: u64,
    arrivals: Vec<Arrivals>,
    /// Go's fatal error, once the simulated program died.
    pub(super) fatal: Option<&'static str>,
    /// Map writes, recorded when the scenario has few enough (capacity reserved up front).
    pub(super) map_writes: Option<Vec<MapWrite>>,
    pub(super) request_names: Vec<String>,
    pub(super) latency: Vec<Histogram>,
    pub(super) warmup_ps: u64,
    /// When the last goroutine ended (ps).
    pub(super) end_ps: u64,
    /// When each of the `[[goroutines]]` ended (ps; 0 while running).
    pub(super) ends_ps: Vec<u64>,
    /// Events handled.
    pub(super) events: u64,
    /// `[heap] stack`: the stack each goroutine adds to the GC's roots and to memory.
    stack_bytes: u64,
    /// Arrival goroutines alive, whose stacks come and go with them.
    live_arrivals: u64,
}

impl Sim {
    /// Builds the simulation: the heap with `[heap] live`, every map (makemap, with its
    /// allocations), the programs, and main spawning every goroutine on P0 at time 0.
    pub fn new(sc: &Scenario) -> Result<Sim, Unsupported> {
        let lookup = |name: &str| sc.map_index(name);
        let mut request_names = Vec::new();
        let mut programs = Vec::with_capacity(sc.goroutines.len() + sc.arrivals.len());
        for g in &sc.goroutines {
            programs.push(Program::compile(&g.program, &lookup, &mut request_names)?);
        }
        for a in &sc.arrivals {
            // Each arrival's body is one request named after the source.
            let body = vec![Op::Request {
                name: a.name.clone(),
                body: a.body.clone(),
            }];
            programs.push(Program::compile(&body, &lookup, &mut request_names)?);
        }
        let (lock_names, lock_of) = super::program::lock_table(&programs);
        let goroutine_count: u32 = sc.goroutines.iter().map(|g| g.count).sum();
        let mut gc = new_gc(sc, goroutine_count.max(1));
        if sc.heap.live.0 > 0 {
            gc.alloc(sc.heap.live.0, 1, sc.heap.live.0, 0);
        }

        let mut work = Work::default();
        let budget = sc.key_budget();
        let mut maps = Vec::with_capacity(sc.maps.len());
        let mut map_meta = Vec::with_capacity(sc.maps.len());
        for (i, spec) in sc.maps.iter().enumerate() {
            let layout = map_layout(spec, &sc.runtime.go);
            let rng = Stream::MapHash(i as u32).rng(sc.seed);
            let mut w = Work::default();
            let map = GoMap::new(
                layout,
                spec.hint,
                swiss_map(spec, &sc.runtime.go),
                rng,
                &mut w,
            );
            gc.alloc(w.alloc_bytes, w.alloc_objects, w.alloc_bytes, 48);
            super::step::add_work(&mut work, &w);
            let track_live = programs.iter().any(|p| {
                p.instrs.iter().any(|ins| match *ins {
                    Instr::Delete { map, .. }
                    | Instr::Read { map, .. }
                    | Instr::Churn { map, .. } => map as usize == i,
                    _ => false,
                })
            });
            let live = if track_live {
                Vec::with_capacity(budget.get(i).copied().unwrap_or(0).min(1 << 26) as usize)
            } else {
                Vec::new()
            };
            let scan = layout.bucket_has_pointers();
            maps.push(MapSlot {
                map,
                live,
                track_live,
                next_key: 0,
                scan,
                writing: None,
                iterating_until_ps: 0,
            });
            map_meta.push((
                spec.name.clone(),
                spec.key.text().to_string(),
                spec.elem.text().to_string(),
            ));
        }
        let c = &sc.costs;
        let sched_costs = SchedCosts {
            spawn_ps: c.goroutine_spawn.as_ps(),
            switch_ps: c.sched_switch.as_ps(),
            wake_ps: c.p_wake.as_ps(),
            mutex_ps: c.mutex_op.as_ps(),
        };
        let procs = sc.runtime.gomaxprocs.max(1) as usize;
        let arrivals = sc
            .arrivals
            .iter()
            .enumerate()
            .map(|(i, a)| Arrivals {
                program: (sc.goroutines.len() + i) as u32,
                gap_ps: 1e18 / a.rate.micro_hz().max(1) as f64,
                poisson: a.process == Process::Poisson,
                next_ps: 0,
                end_ps: a.duration.as_ps(),
                rng: Stream::Arrivals(i as u32).rng(sc.seed),
                count: 0,
                source: i as u32,
            })
            .collect();
        let mut sim = Sim {
            name: sc.name.clone(),
            seed: sc.seed,
            config: SimConfig::from_costs(&sc.costs),
            sched_costs,
            queue: EventQueue::new(),
            programs,
            lock_of,
            goroutines: Vec::new(),
            free_slots: Vec::new(),
            ps: (0..procs).map(|_| P::new()).collect(),
            global: VecDeque::new(),
            netpoll: VecDeque::new(),
            // pidleget takes the most recently idled: P1 first.
            idle: (1..procs as u32).rev().collect(),
            spinning: 0,
            sched_rng: Stream::Scheduler.rng(sc.seed),
            mutexes: vec![Mutex::default(); lock_names.len()],
            maps,
            map_meta,
            work,
            gc,
            gc_start_pending: false,
            mark_workers_started: false,
            fatal_detail: None,
            group_names: {
                let mut first = 0u32;
                sc.goroutines
                    .iter()
                    .map(|g| {
                        let at = first;
                        first += g.count;
                        (g.name.clone(), at, g.count)
                    })
                    .chain(sc.arrivals.iter().map(|a| (a.name.clone(), u32::MAX, 0)))
                    .collect()
            },
            assist_ps_cycle: 0,
            assist_ps_total: 0,
            retained: (0, 0),
            live_goroutines: 0,
            max_goroutines: 0,
            arrivals,
            fatal: None,
            map_writes: {
                let writes: u64 = budget.iter().fold(0u64, |a, &b| a.saturating_add(b));
                let ops = sc.map_write_budget();
                (writes <= MAX_RECORDED_WRITES && ops <= MAX_RECORDED_WRITES)
                    .then(|| Vec::with_capacity(ops as usize))
            },
            latency: vec![Histogram::new(); request_names.len()],
            request_names,
            warmup_ps: sc.warmup.as_ps(),
            end_ps: 0,
            ends_ps: vec![0; goroutine_count as usize],
            events: 0,
            stack_bytes: sc.heap.stack.0,
            live_arrivals: 0,
        };
        for (pi, prog) in sim.programs.iter().enumerate() {
            for instr in &prog.instrs {
                if let Instr::Rlock { lock } | Instr::Runlock { lock } = *instr {
                    let l = sim.lock_of[pi][lock as usize];
                    sim.mutexes[l as usize].rw = true;
                }
            }
        }
        sim.spawn_all(sc);
        for a in 0..sim.arrivals.len() {
            sim.schedule_arrival(a);
        }
        // Memory allocated before the program starts may already be past the first trigger.
        if sim.gc.heap_trigger_hit() && sim.live_goroutines > 0 {
            sim.mark_workers_started = true;
            sim.start_gc(0, 0, false);
        }
        Ok(sim)
    }

    /// runtime/proc.go: newproc, from main on P0 — each `go` statement costs `spawn`, puts
    /// the new goroutine in P0's runnext (the previous one goes to the local queue) and wakes
    /// an idle P. Goroutines of a group that starts `together` wait at the start line until
    /// main closes it after the last spawn (chan.go: closechan readies them in order). Then
    /// main blocks and P0 runs what it has.
    fn spawn_all(&mut self, sc: &Scenario) {
        let spawn = self.sched_costs.spawn_ps;
        let mut t = 0u64;
        let mut waiting = Vec::new();
        let mut first = true;
        for (pi, spec) in sc.goroutines.iter().enumerate() {
            for _ in 0..spec.count {
                if !first {
                    t = t.saturating_add(spawn);
                }
                first = false;
                let id = self.goroutines.len() as u32;
                let rng = Stream::Workload(id).rng(self.seed);
                self.goroutines.push(Goroutine::new(pi as u32, t, rng));
                self.live_goroutines += 1;
                if spec.start == Start::Together {
                    waiting.push(id);
                } else {
                    self.ready(id, 0, t);
                }
            }
        }
        for g in waiting {
            t = t.saturating_add(spawn);
            self.goroutines[g as usize].start_ps = t;
            self.ready(g, 0, t);
        }
        self.max_goroutines = self.live_goroutines as u64;
        self.ps[0].clock_ps = t;
        if self.live_goroutines > 0 {
            self.kick_p(0, t);
        } else {
            self.idle.push(0);
        }
    }

    /// Schedules source `a`'s next arrival, if it comes before the source's end.
    fn schedule_arrival(&mut self, a: usize) {
        let src = &mut self.arrivals[a];
        let t = src.next_ps.saturating_add(src.gap());
        if t >= src.end_ps {
            src.next_ps = u64::MAX;
            return;
        }
        src.next_ps = t;
        self.queue.push(t / 1000, EventKind::Arrival(a as u32));
    }

    /// An arrival: a new goroutine runs the source's body as one request (net/http's `go
    /// c.serve()`). The network poller hands it to an idle P, woken for it; with none idle it
    /// waits until a P polls the network (runtime/proc.go: findRunnable).
    fn arrive(&mut self, a: usize) {
        let t = self.arrivals[a].next_ps;
        let src = &mut self.arrivals[a];
        src.count += 1;
        let rng = Stream::ArrivalWorkload(src.source, src.count).rng(self.seed);
        let mut g = Goroutine::new(src.program, t, rng);
        g.arrival_ps = Some(t);
        g.arrival = true;
        let id = match self.free_slots.pop() {
            Some(id) => {
                // Keep the ended goroutine's request stack, to allocate nothing per arrival.
                let mut stack = std::mem::take(&mut self.goroutines[id as usize].requests);
                stack.clear();
                g.requests = stack;
                self.goroutines[id as usize] = g;
                id
            }
            None => {
                self.goroutines.push(g);
                self.goroutines.len() as u32 - 1
            }
        };
        self.live_goroutines += 1;
        self.max_goroutines = self.max_goroutines.max(self.live_goroutines as u64);
        self.live_arrivals += 1;
        self.set_arrival_stacks();
        if self.live_goroutines >= MAX_LIVE_GOROUTINES {
            self.die("runtime: out of memory", id);
            self.fatal_detail = Some(format!(
                "{MAX_LIVE_GOROUTINES} goroutines alive at once (each with a stack of at least \
                 2 KiB, runtime/stack.go: _StackMin): the arrivals outpace the service, and the \
                 simulation stops here"
            ));
        }
        if self.idle.is_empty() || self.spinning > 0 {
            self.netpoll.push_back(id);
        } else {
            self.global.push_back(id);
        }
        self.wakep(t);
        self.schedule_arrival(a);
    }

    /// Every live goroutine waits on a lock: nothing runs, nothing is runnable, no arrival
    /// is to come.
    fn all_blocked(&self) -> bool {
        self.live_goroutines > 0
            && self.ps.iter().all(|p| p.state != PState::Running)
            && self.global.is_empty()
            && self.netpoll.is_empty()
            && self.arrivals.iter().all(|a| a.next_ps == u64::MAX)
    }

    /// Goroutine stacks: `[heap] stack` for each goroutine of `[[goroutines]]` (for the whole
    /// run, as before) and for each arrival goroutine alive now — GC roots (`stackScan`, part
    /// of the GOGC goal) and non-heap memory that GOMEMLIMIT counts.
    fn set_arrival_stacks(&mut self) {
        let groups = self.ends_ps.len() as u64;
        let stacks = self
            .stack_bytes
            .saturating_mul(groups.max(1) + self.live_arrivals);
        self.gc.heap.set_stacks(stacks);
    }

    /// Whether the program can still do anything: goroutines alive or arrivals to come.
    fn program_alive(&self) -> bool {
        self.live_goroutines > 0 || self.arrivals.iter().any(|a| a.next_ps != u64::MAX)
    }

    /// Runs every event to the end and returns the outcome.
    pub fn run(mut self) -> Outcome {
        while let Some(ev) = self.queue.pop() {
            if self.fatal.is_some() {
                break;
            }
            self.events += 1;
            match ev.kind {
                EventKind::Proc { p, epoch } => {
                    if self.ps[p as usize].epoch == epoch {
                        self.run_p(p as usize, ev.time);
                    }
                }
                EventKind::Arrival(a) => self.arrive(a as usize),
                // A program that has exited runs no more GC work.
                EventKind::GcStart | EventKind::GcMarkEnd | EventKind::ForceGc
                    if !self.program_alive() => {}
                EventKind::GcStart => self.gc_start_requested(ev.time),
                EventKind::GcMarkEnd => self.finish_gc(ev.time),
                // The periodic GC does not keep a program whose goroutines all wait on locks
                // alive: runtime/proc.go checkdead ignores it.
                EventKind::ForceGc if self.all_blocked() => break,
                EventKind::ForceGc => {
                    if self.gc.forced_due(ev.time) && !self.gc_start_pending {
                        self.gc_start_pending = true;
                        self.gc_start_requested_forced(ev.time);
                    }
                }
            }
        }
        if self.fatal.is_none() && self.live_goroutines > 0 {
            // runtime/proc.go: checkdead — every goroutine is blocked.
            let g = self.goroutines.iter().position(|g| !g.done).unwrap_or(0);
            self.die(super::sync::FATAL_DEADLOCK, g as u32);
        }
        self.outcome()
    }

    /// Goroutine `g`'s name as schedule.txt and the summary show it: the group's name, with
    /// `#i` for a replica; an arrival is named after its source.
    pub(super) fn goroutine_name(&self, g: u32) -> String {
        let program = self.goroutines[g as usize].program as usize;
        match self.group_names.get(program) {
            Some((name, first, count)) if *first != u32::MAX => {
                if *count == 1 {
                    name.clone()
                } else {
                    format!("{name}#{}", g - first)
                }
            }
            Some((name, _, _)) => format!("an arrival of {name}"),
            None => format!("goroutine {g}"),
        }
    }

    /// The program dies with Go's fatal error `message`, raised by goroutine `g`.
    pub(super) fn die(&mut self, message: &'static str, g: u32) {
        if self.fatal.is_none() {
            self.fatal = Some(message);
            let t = self.goroutines.get(g as usize).map_or(0, |gs| gs.time_ps);
            self.end_ps = self.end_ps.max(t);
        }
    }

    /// A goroutine's allocation reached the trigger at `t_ps`: it calls gcStart, which
    /// stops the world (runtime/mgc.go: gcStart → stopTheWorldWithSema).
    pub(super) fn request_gc_start(&mut self, t_ps: u64) {
        if self.gc_start_pending {
            return;
        }
        self.gc_start_pending = true;
        self.queue.push(t_ps / 1000, EventKind::GcStart);
    }

    fn gc_start_requested(&mut self, t_ns: u64) {
        self.gc_start_pending = false;
        if !self.gc.heap_trigger_hit() {
            return;
        }
        let stopped = self.stop_the_world(t_ns * 1000).div_ceil(1000);
        self.start_gc(t_ns, stopped - t_ns, false);
    }

    fn gc_start_requested_forced(&mut self, t_ns: u64) {
        self.gc_start_pending = false;
        let stopped = self.stop_the_world(t_ns * 1000).div_ceil(1000);
        self.start_gc(t_ns, stopped - t_ns, true);
    }

    /// runtime/mgc.go: gcStart at `now_ns`, the world stopped `wait_ns` later: sweep
    /// termination, then the mark, with dedicated workers on their own Ps.
    pub(super) fn start_gc(&mut self, now_ns: u64, wait_ns: u64, forced: bool) {
        let busy: f64 = self
            .ps
            .iter()
            .filter(|p| p.state == PState::Running)
            .filter_map(|p| p.current)
            .map(|g| self.goroutines[g as usize].busy)
            .sum();
        let end = self.gc.start_cycle(now_ns, wait_ns, forced, busy);
        self.assist_ps_cycle = 0;
        let dedicated = self.gc.pacer.dedicated_mark_workers_needed.max(0) as u32;
        if dedicated > 0 {
            self.take_ps_for_gc(dedicated, self.gc.stopped_until_ns * 1000);
        }
        self.queue.push(end, EventKind::GcMarkEnd);
    }

    /// The mark phase ends: the world stops again for mark termination, the dedicated
    /// workers give their Ps back, perhaps the next cycle starts at once (the heap may
    /// already be past the new trigger), and the forced-GC timer is set.
    fn finish_gc(&mut self, now_ns: u64) {
        let assist_ns = self.assist_ps_cycle / 1000;
        self.assist_ps_total += self.assist_ps_cycle;
        self.assist_ps_cycle = 0;
        let stopped = self.stop_the_world(now_ns * 1000).div_ceil(1000);
        let end = self.gc.finish_cycle(now_ns, stopped - now_ns, assist_ns);
        self.release_gc_ps(end * 1000);
        if self.gc.heap_trigger_hit() {
            self.start_gc(end, 0, false);
        } else if let Some(t) = self.gc.next_forced_ns() {
            self.queue.push(t, EventKind::ForceGc);
        }
    }

    /// P `p`'s turn at `t_ns`: it runs its goroutine, or finds one, step after step until
    /// its clock reaches the next pending event (then it schedules itself again), or parks
    /// idle when there is nothing to run. Running ahead while nothing else can happen gives
    /// exactly the result of one event per step, without the queue traffic.
    fn run_p(&mut self, p: usize, t_ns: u64) {
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
                    self.preempt_to_global(p);
                    continue;
                }
                self.ps[p].slice_start_ps = now;
            }
            let flow = self.step(g, p, horizon);
            let t = self.goroutines[g].time_ps;
            self.ps[p].clock_ps = t;
            match flow {
                Flow::Continue => {}
                Flow::Done => {
                    self.ps[p].current = None;
                    self.goexit(g, t);
                }
                Flow::Parked => {
                    self.ps[p].current = None;
                    self.goroutines[g].on_p = None;
                }
                Flow::Yield => {
                    // runtime/proc.go: goyield — to the local queue's tail.
                    self.ps[p].current = None;
                    self.goroutines[g].on_p = None;
                    self.goroutines[g].ready_ps = t;
                    self.runqput(p, g as u32, false);
                }
                Flow::Blocked => {
                    // runtime/proc.go: entersyscallblock hands the P off; exitsyscall finds
                    // no idle P and puts the goroutine on the global queue (exitsyscall0).
                    self.ps[p].current = None;
                    self.goroutines[g].on_p = None;
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
        gs.on_p = Some(p as u32);
        let pp = &mut self.ps[p];
        pp.current = Some(g);
        pp.slice_start_ps = start;
        pp.clock_ps = start;
        pp.compute_until_ps = 0;
        Some(g)
    }

    /// runtime/proc.go: goexit — goroutine `g` ended at `t_ps`; an arrival's slot is reused.
    fn goexit(&mut self, g: usize, t_ps: u64) {
        let gs = &mut self.goroutines[g];
        gs.done = true;
        gs.on_p = None;
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

/// The layout of a scenario's map: sizes, pointers, the compiler's fast path for its key
/// type, and the release's allocation rule.
pub(crate) fn map_layout(spec: &crate::scenario::types::MapSpec, go: &str) -> MapLayout {
    MapLayout {
        key_size: spec.key.size(),
        elem_size: spec.elem.size(),
        key_align: spec.key.align(),
        elem_align: spec.elem.align(),
        key_has_pointers: spec.key.has_pointers(),
        elem_has_pointers: spec.elem.has_pointers(),
        alloc_headers: malloc_headers(go),
        fast: crate::model::gomap::fast_path_for(
            crate::model::gomap::key_alg(spec.key.text()),
            spec.key.size(),
            spec.key.has_pointers(),
            spec.elem.size(),
        ),
    }
}

/// Whether a map is a Swiss-table map: its `impl`, else the release's (go1.24 and later).
pub(crate) fn swiss_map(spec: &crate::scenario::types::MapSpec, go: &str) -> bool {
    use crate::scenario::types::MapImpl;
    match spec.r#impl {
        Some(MapImpl::Swiss) => true,
        Some(MapImpl::Classic) => false,
        None => go_minor(go).is_some_and(|minor| minor >= 24),
    }
}

/// Allocation headers for objects with pointers above 512 bytes arrived in go1.22
/// (runtime/msize.go: roundupsize(size, noscan)).
pub(crate) fn malloc_headers(go: &str) -> bool {
    go_minor(go).is_some_and(|minor| minor >= 22)
}

/// The pacer, heap and GC parameters of a scenario.
fn new_gc(sc: &Scenario, goroutines: u32) -> Gc {
    let gogc = match sc.runtime.gogc {
        Gogc::Off => -1,
        Gogc::Percent(p) => p.min(i32::MAX as u32) as i32,
    };
    let limit = match sc.runtime.gomemlimit {
        MemLimit::Off => None,
        MemLimit::Limit(b) => Some(b.0),
    };
    let heap = Heap::new(
        NonHeapModel {
            base: sc.heap.nonheap_base.0,
            per_heap_byte: sc.heap.nonheap_ratio,
        },
        sc.heap.stack.0.saturating_mul(u64::from(goroutines)),
        sc.heap.globals.0.saturating_add(sc.heap.runtime_globals.0),
    );
    let mut pacer = Pacer::new(gogc, limit);
    // Validation admits only 1.N releases.
    pacer.rules = crate::model::gc::PacerRules::for_minor(sc.runtime.go_minor().unwrap_or(19));
    pacer.globals_scan = heap.globals;
    pacer.commit(true);
    let c = &sc.costs;
    let params = GcParams {
        procs: sc.runtime.gomaxprocs.max(1),
        goroutines,
        stw_sweep_term_ps: c.stw_sweep_term.as_ps(),
        stw_mark_term_ps: c.stw_mark_term.as_ps(),
        stw_per_p_ps: c.stw_per_p.as_ps(),
        stw_per_goroutine_ps: c.stw_per_goroutine.as_ps(),
        mark_per_kib_ps: c.mark_per_kib.as_ps(),
        scan_per_kib_ps: c.scan_per_kib.as_ps(),
        background_mark_utilization: c.background_mark_utilization,
        idle_mark_utilization: c.idle_mark_utilization,
        min_assist_share: c.mark_assist_min_share,
    };
    Gc::new(pacer, heap, params)
}
