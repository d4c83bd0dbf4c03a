//! The simulation: goroutines running their programs as events on one virtual clock, against
//! the map, heap and GC models. Time comes from the `[costs]` model applied to the work each
//! step did.

use std::collections::VecDeque;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::arrivals::Arrivals;
use super::compile::{Compiled, Group};
use super::exectrace::{MAIN_GOID, Site, TraceKind, Tracer};
use super::gc::{Gc, PageWork};
use super::latency::Histogram;
use super::outcome::MAX_RECORDED_WRITES;
pub use super::outcome::{MapOutcome, MapShape, MapWrite, Outcome, RequestOutcome};
use super::profile::AllocProfile;
use super::program::Program;
use super::queue::{EventKind, EventQueue};
use super::rng::Stream;
use super::sched::{P, PState, SchedCosts};
use super::scrape::Scraper;
use super::sync::Mutex;
use crate::model::gomap::{GoMap, Work};
use crate::model::heap::new_stack_pages;
use crate::scenario::types::Costs;

/// Prices of work, in picoseconds, so sub-nanosecond costs accumulate exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SimConfig {
    pub map_op_ps: u64,
    pub overflow_probe_ps: u64,
    pub evacuate_entry_ps: u64,
    pub evacuate_bucket_ps: u64,
    pub grow_first_ps: u64,
    pub alloc_per_kib_ps: u64,
    pub iter_entry_ps: u64,
    pub alloc_object_ps: u64,
    pub slice_append_ps: u64,
    pub memmove_per_kib_ps: u64,
    pub sweep_per_kib_ps: u64,
    pub alloc_miss_per_kib_ps: u64,
    pub cache_l2: u64,
    pub cache_l2_miss_ps: u64,
    pub cache_l3: u64,
    pub cache_l3_miss_ps: u64,
    pub page_fault_per_kib_ps: u64,
    pub page_fault_fresh_ps: u64,
    pub scavenge_run_ps: u64,
    pub scavenge_per_kib_ps: u64,
}

impl SimConfig {
    pub fn from_costs(c: &Costs) -> Self {
        SimConfig {
            map_op_ps: c.map_op.as_ps(),
            overflow_probe_ps: c.map_overflow_probe.as_ps(),
            evacuate_entry_ps: c.map_evacuate_entry.as_ps(),
            evacuate_bucket_ps: c.map_evacuate_bucket.as_ps(),
            grow_first_ps: c.map_grow_first.as_ps(),
            alloc_per_kib_ps: c.alloc_per_kib.as_ps(),
            iter_entry_ps: c.map_iter_entry.as_ps(),
            alloc_object_ps: c.alloc_object.as_ps(),
            slice_append_ps: c.slice_append.as_ps(),
            memmove_per_kib_ps: c.memmove_per_kib.as_ps(),
            sweep_per_kib_ps: c.sweep_per_kib.as_ps(),
            alloc_miss_per_kib_ps: c.alloc_miss_per_kib.as_ps(),
            cache_l2: c.cache_l2.0,
            cache_l2_miss_ps: c.cache_l2_miss.as_ps(),
            cache_l3: c.cache_l3.0,
            cache_l3_miss_ps: c.cache_l3_miss.as_ps(),
            page_fault_per_kib_ps: c.page_fault_per_kib.as_ps(),
            page_fault_fresh_ps: c.page_fault_fresh.as_ps(),
            scavenge_run_ps: c.scavenge_run.as_ps(),
            scavenge_per_kib_ps: c.scavenge_per_kib.as_ps(),
        }
    }

    /// Time of an allocation's page work: faulting released memory back in, a map's
    /// never-used pages in (`map`: page_fault_fresh each; other objects' are part of the
    /// allocation costs, fitted on runs that paid them), and the scavenging it did (the
    /// second term, also returned alone).
    #[inline]
    pub fn page_ps(&self, w: &PageWork, map: bool) -> (u64, u64) {
        let scavenge = w
            .runs
            .saturating_mul(self.scavenge_run_ps)
            .saturating_add(w.scavenged.saturating_mul(self.scavenge_per_kib_ps) / 1024);
        let fresh = if map {
            w.fresh_pages.saturating_mul(self.page_fault_fresh_ps)
        } else {
            0
        };
        let fault =
            (w.faulted.saturating_mul(self.page_fault_per_kib_ps) / 1024).saturating_add(fresh);
        (fault.saturating_add(scavenge), scavenge)
    }

    /// Time of map work `w` on a map holding `map_bytes`: [`Self::price`] in cache, plus
    /// the misses of its bucket accesses once the map outgrows the caches.
    #[inline]
    pub fn map_price(&self, w: &Work, map_bytes: u64) -> u64 {
        self.price(w)
            .saturating_add(w.bucket_touches().saturating_mul(self.miss_ps(map_bytes)))
    }

    /// Expected cache-miss time of one access at a hash-chosen place of `map_bytes` of
    /// memory: a cache of C bytes holds a share C / size of it, so the rest misses.
    #[inline]
    pub fn miss_ps(&self, map_bytes: u64) -> u64 {
        let level = |cache: u64, miss_ps: u64| {
            if map_bytes <= cache {
                0
            } else {
                // miss_ps × (1 − cache / size); IEEE arithmetic, the same on every machine.
                (miss_ps as f64 * (1.0 - cache as f64 / map_bytes as f64)) as u64
            }
        };
        level(self.cache_l2, self.cache_l2_miss_ps)
            .saturating_add(level(self.cache_l3, self.cache_l3_miss_ps))
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

    /// The once-per-process cost of the first map growth, if map work `w` holds it; `grown`
    /// says whether the process has grown a map before, and is set.
    #[inline]
    pub fn first_growth_ps(&self, grown: &mut bool, w: &Work) -> u64 {
        if *grown || w.site_objects[crate::model::gomap::AllocSite::Grow as usize] == 0 {
            return 0;
        }
        *grown = true;
        self.grow_first_ps
    }

    /// Time to allocate one object of `size` bytes; `swept` once memory is being reused.
    #[inline]
    pub fn object_ps(&self, size: u64, swept: bool) -> u64 {
        let per_kib = self.alloc_per_kib_ps + if swept { self.sweep_per_kib_ps } else { 0 };
        self.alloc_object_ps
            .saturating_add(size.saturating_mul(per_kib) / 1024)
    }

    /// Clearing reused memory that has left the cache, per KiB (ps): a freed object's memory
    /// is reused after `reuse` bytes of allocation (one cycle's garbage), and misses the
    /// last-level cache on the share `1 - cache_l3 / reuse` of it.
    #[inline]
    pub fn clear_miss_per_kib_ps(&self, reuse: u64) -> u64 {
        if self.alloc_miss_per_kib_ps == 0 || reuse <= self.cache_l3 {
            return 0;
        }
        let miss = 1.0 - self.cache_l3 as f64 / reuse as f64;
        (self.alloc_miss_per_kib_ps as f64 * miss) as u64
    }
}

/// GC cycles beyond which a run stops (their records alone take a few hundred MB); the
/// library reports it as an error.
pub const MAX_GC_CYCLES: usize = 1 << 21;

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

/// sync.Mutex operations around one key of a map whose keys are kept to be picked: the
/// exported program (export-go) takes the key list's mutex to pick a random existing key
/// (Lock, deferred Unlock) and to add an inserted one (Lock, append, Unlock).
const KEY_LIST_MUTEX_OPS: u64 = 2;

/// Time (ps) a goroutine spends keeping the key list around one operation that picks
/// `picks` existing keys and inserts `inserts` fresh ones, at `mutex_ps` a mutex operation;
/// nothing on a map whose keys nobody picks (`tracked` false). `run` and `race` price it
/// alike.
pub(crate) fn key_list_ps(tracked: bool, picks: u64, inserts: u64, mutex_ps: u64) -> u64 {
    if !tracked {
        return 0;
    }
    (picks + inserts) * KEY_LIST_MUTEX_OPS * mutex_ps
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
    /// Its own `scope = "goroutine"` slices, by slice index, made at first use.
    pub slices: Vec<(u32, crate::model::slice::Slice)>,
}

impl Goroutine {
    pub(super) fn new(program: u32, t_ps: u64, rng: ChaCha8Rng) -> Goroutine {
        Goroutine {
            program,
            cursor: Default::default(),
            time_ps: t_ps,
            start_ps: t_ps,
            ready_ps: t_ps,
            rng,
            done: false,
            busy: 1.0,
            compute_left_ps: 0,
            lock_granted: false,
            woken: false,
            wait_start_ps: 0,
            gc_start_on_resume: false,
            holding_map: None,
            requests: Vec::new(),
            arrival_ps: None,
            arrival: false,
            slices: Vec::new(),
        }
    }
}

/// A simulation of one scenario.
#[derive(Debug)]
pub(crate) struct Sim {
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
    pub(super) free_slots: Vec<u32>,
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
    /// Wake-up latencies of idle Ps.
    pub(super) wake_rng: ChaCha8Rng,
    /// A map has grown in this process (see [`SimConfig::first_growth_ps`]).
    pub(super) grown: bool,
    pub(super) mutexes: Vec<Mutex>,
    pub(super) maps: Vec<MapSlot>,
    pub(super) slices: Vec<super::slices::SliceSlot>,
    /// Appends done to each slice.
    pub(super) slice_appends: Vec<u64>,
    pub(super) slice_setups: Vec<super::slices::SliceSetup>,
    pub(super) map_meta: Vec<(String, String, String)>,
    pub(super) work: Work,
    /// Allocations by goroutine, op and runtime path.
    pub(super) profile: AllocProfile,
    /// The goroutine frame of each program's stacks: its group's or source's name.
    pub(super) program_names: Vec<String>,
    /// Metrics scrapes, when asked for.
    pub(super) scraper: Option<Scraper>,
    /// The execution trace's recorder, when asked for.
    pub(super) tracer: Option<Box<Tracer>>,
    /// When the goroutine of the last step that parked on a lock queued on it (ps).
    pub(super) park_ps: u64,
    /// Set from outside to stop the run where it is (checked every 4096 events).
    pub(crate) stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Where the run reports the virtual time it reached (ns), every 4096 events.
    pub(crate) progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// The run was stopped that way.
    pub(super) stopped: bool,
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
    /// Page work (faults, scavenging) per KiB of the last allocation batch (ps): how far
    /// ahead a batch can allocate before it meets the horizon, as its page work is known
    /// only once it is done.
    pub(super) page_ps_per_kib: u64,
    /// The chance that a stop-the-world for mark termination finds the last goroutine to
    /// allocate in the running mark inside an allocation that refilled its span (and
    /// so counted it in heapLive before the reset): 0 when none allocated, or it parked in
    /// an assist. See [`Sim::finish_gc`].
    pub(super) refill_at_mark_end: f64,
    /// Where each stop-the-world lands in a goroutine's allocation loop.
    pub(super) preempt_rng: ChaCha8Rng,
    /// Retained memory from `retain` ops, and its pointer-bearing part.
    pub(super) retained: (u64, u64),
    pub(super) live_goroutines: usize,
    pub(super) max_goroutines: u64,
    pub(super) arrivals: Vec<Arrivals>,
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
    /// Goroutine steps taken, across events: a time limit is checked every 64 (an event
    /// may take few steps or a whole program's).
    pub(super) steps: u64,
    /// `[heap] stack`: the stack each goroutine adds to the GC's roots and to memory.
    pub(super) stack_bytes: u64,
    /// Arrival goroutines alive, whose stacks come and go with them.
    pub(super) live_arrivals: u64,
}

impl Sim {
    /// Builds the simulation of compiled scenario `c`: the heap with `[heap] live`, every
    /// map (makemap, with its allocations), and main spawning every goroutine on P0 at time 0.
    pub fn new(c: &Compiled) -> Sim {
        Sim::with_tracer(c, None)
    }

    /// [`Sim::new`], recording an execution trace of the window `[from_ns, to_ns)`, at most
    /// `max_events` events ([`Outcome::exec_trace`]).
    pub fn traced(c: &Compiled, from_ns: u64, to_ns: u64, max_events: u64) -> Sim {
        let procs = c.procs as usize;
        let tracer = Tracer::new(from_ns, to_ns, max_events, procs);
        Sim::with_tracer(c, Some(Box::new(tracer)))
    }

    fn with_tracer(c: &Compiled, tracer: Option<Box<Tracer>>) -> Sim {
        let goroutine_count = c.goroutine_count();
        let mut work = Work::default();
        let mut map_work = Vec::new();
        let (gc, made, slices) = c.start(&mut work, &mut map_work);
        let mut profile =
            AllocProfile::new(c.programs.iter().map(|p| p.instrs.len()), c.maps.len());
        profile.start(c.live_bytes, &map_work);
        for s in &slices {
            profile.makeslice(s.slice.array_bytes());
        }
        let maps = made
            .into_iter()
            .zip(&c.maps)
            .map(|((map, layout), m)| MapSlot {
                map,
                live: if m.tracks_live {
                    Vec::with_capacity(m.key_budget.min(1 << 26) as usize)
                } else {
                    Vec::new()
                },
                track_live: m.tracks_live,
                next_key: 0,
                scan: layout.bucket_has_pointers(),
                writing: None,
                iterating_until_ps: 0,
            })
            .collect();
        let procs = c.procs as usize;
        let mut sim = Sim {
            name: c.name.clone(),
            seed: c.seed,
            config: c.prices,
            sched_costs: c.sched,
            queue: EventQueue::new(),
            programs: c.programs.clone(),
            lock_of: c.lock_of.clone(),
            goroutines: Vec::new(),
            free_slots: Vec::new(),
            // P0's M runs main.
            ps: (0..procs)
                .map(|i| P {
                    has_run: i == 0,
                    ..P::new()
                })
                .collect(),
            global: VecDeque::new(),
            netpoll: VecDeque::new(),
            // pidleget takes the most recently idled: P1 first.
            idle: (1..procs as u32).rev().collect(),
            spinning: 0,
            sched_rng: Stream::Scheduler.rng(c.seed),
            wake_rng: Stream::Wake.rng(c.seed),
            grown: false,
            mutexes: c
                .locks
                .iter()
                .map(|l| Mutex {
                    rw: l.rw,
                    ..Mutex::default()
                })
                .collect(),
            maps,
            slice_appends: vec![0; slices.len()],
            slices,
            slice_setups: c.slices.clone(),
            map_meta: c
                .maps
                .iter()
                .map(|m| (m.name.clone(), m.key.clone(), m.elem.clone()))
                .collect(),
            work,
            profile,
            scraper: None,
            tracer,
            park_ps: 0,
            stop: None,
            progress: None,
            stopped: false,
            program_names: c
                .groups
                .iter()
                .map(|g| g.name.clone())
                .chain(c.sources.iter().map(|s| s.name.clone()))
                .collect(),
            gc,
            gc_start_pending: false,
            mark_workers_started: false,
            fatal_detail: None,
            group_names: {
                let mut first = 0u32;
                c.groups
                    .iter()
                    .map(|g| {
                        let at = first;
                        first += g.count;
                        (g.name.clone(), at, g.count)
                    })
                    .chain(c.sources.iter().map(|a| (a.name.clone(), u32::MAX, 0)))
                    .collect()
            },
            assist_ps_cycle: 0,
            page_ps_per_kib: 0,
            refill_at_mark_end: 0.0,
            preempt_rng: Stream::Preempt.rng(c.seed),
            assist_ps_total: 0,
            retained: (0, 0),
            live_goroutines: 0,
            max_goroutines: 0,
            arrivals: Arrivals::of(c),
            fatal: None,
            map_writes: {
                let writes = c
                    .maps
                    .iter()
                    .fold(0u64, |a, m| a.saturating_add(m.key_budget));
                let ops = c.map_write_budget;
                (writes <= MAX_RECORDED_WRITES && ops <= MAX_RECORDED_WRITES)
                    .then(|| Vec::with_capacity(ops as usize))
            },
            latency: vec![Histogram::new(); c.requests.len()],
            request_names: c.requests.clone(),
            warmup_ps: c.warmup_ps,
            end_ps: 0,
            ends_ps: vec![0; goroutine_count as usize],
            events: 0,
            steps: 0,
            stack_bytes: c.stack_bytes,
            live_arrivals: 0,
        };
        sim.spawn_all(&c.groups);
        for a in 0..sim.arrivals.len() {
            sim.schedule_arrival(a);
        }
        // Memory allocated before the program starts may already be past the first trigger.
        if sim.gc.heap_trigger_hit() && sim.live_goroutines > 0 {
            sim.mark_workers_started = true;
            sim.start_gc(0, 0, false);
        }
        sim
    }

    /// runtime/proc.go: newproc, from main on P0 — each `go` statement costs `spawn` (and
    /// the faults of a new stack's page, see [`new_stack_pages`]), puts the new goroutine in
    /// P0's runnext (the previous one goes to the local queue) and wakes an idle P.
    /// Goroutines of a group that starts `together` wait at the start line until main closes
    /// it after the last spawn; main does not block in between, so none has reached the line
    /// yet and they run in the order of their spawns (benches/go/wake: the last spawned first
    /// in 95% of runs). Then main blocks and P0 runs what it has.
    fn spawn_all(&mut self, groups: &[Group]) {
        let spawn = self.sched_costs.spawn_ps;
        let mut t = 0u64;
        let mut waiting = Vec::new();
        let mut first = true;
        if let Some(tr) = &mut self.tracer {
            let create = TraceKind::Create {
                at: Site::RUNTIME,
                start: Site::MAIN,
            };
            tr.push(0, 0, MAIN_GOID, create);
            tr.push(0, 0, MAIN_GOID, TraceKind::Start);
        }
        for (pi, spec) in groups.iter().enumerate() {
            for _ in 0..spec.count {
                if !first {
                    t = t.saturating_add(spawn);
                }
                first = false;
                let id = self.goroutines.len() as u32;
                // runtime/proc.go: newproc1 → malg → stackalloc.
                let pages = new_stack_pages(u64::from(id) + 1);
                t = t.saturating_add(pages.saturating_mul(self.sched_costs.fresh_page_ps));
                let rng = Stream::Workload(id).rng(self.seed);
                self.goroutines.push(Goroutine::new(pi as u32, t, rng));
                self.live_goroutines += 1;
                if let Some(tr) = &mut self.tracer {
                    tr.created(id as usize);
                    let start = Site {
                        program: pi as u32,
                        pc: 0,
                    };
                    let create = TraceKind::Create {
                        at: Site::MAIN,
                        start,
                    };
                    tr.push_slot(t, 0, id as usize, pi as u32, create);
                }
                if spec.together {
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
        if let Some(tr) = &mut self.tracer {
            // main waits for its goroutines (a sync.WaitGroup).
            let at = Site::MAIN;
            tr.push(t, 0, MAIN_GOID, TraceKind::BlockSync { at });
        }
        // main blocks in wg.Wait before P0 runs anything else.
        let t = t.saturating_add(self.sched_costs.main_wait_ps);
        self.ps[0].clock_ps = t;
        if self.live_goroutines > 0 {
            self.kick_p(0, t);
        } else {
            self.idle.push(0);
        }
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

    /// Whether the program can still do anything: goroutines alive or arrivals to come.
    fn program_alive(&self) -> bool {
        self.live_goroutines > 0 || self.arrivals.iter().any(|a| a.next_ps != u64::MAX)
    }

    /// Scrapes the process's metrics every `interval_ns` of virtual time
    /// ([`Outcome::metrics`]).
    pub fn scrape_every(mut self, interval_ns: u64) -> Sim {
        self.scraper = Some(Scraper::new(interval_ns));
        self
    }

    /// Where goroutine slot `g` is in its program.
    #[inline]
    pub(super) fn site(&self, g: usize) -> Site {
        let gs = &self.goroutines[g];
        Site {
            program: gs.program,
            pc: gs.cursor.pc,
        }
    }

    /// Records `kind` about goroutine slot `g` on P `p` at `t_ps`, when tracing.
    #[inline]
    pub(super) fn trace_g(&mut self, t_ps: u64, p: usize, g: usize, kind: TraceKind) {
        if let Some(tr) = &mut self.tracer {
            let program = self.goroutines[g].program;
            tr.push_slot(t_ps, p as u32, g, program, kind);
        }
    }

    /// Records goroutine slot `g` made runnable by slot `by` on P `p` at `t_ps`.
    #[inline]
    pub(super) fn trace_unblock(&mut self, g: u32, by: u32, p: usize, t_ps: u64) {
        if self.tracer.is_some() {
            let at = self.site(by as usize);
            self.trace_g(t_ps, p, g as usize, TraceKind::Unblock { at });
        }
    }

    /// Whether a time limit has asked the run to stop.
    #[inline]
    pub(super) fn stop_requested(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Runs every event to the end and returns the outcome.
    pub fn run(mut self) -> Outcome {
        while let Some(ev) = self.queue.pop() {
            if self.fatal.is_some() || self.gc.cycles.len() >= MAX_GC_CYCLES {
                break;
            }
            if self.events % 4096 == 0 {
                if let Some(p) = &self.progress {
                    p.store(ev.time, std::sync::atomic::Ordering::Relaxed);
                }
                self.stopped |= self.stop_requested();
            }
            if self.stopped {
                self.stopped = true;
                self.end_ps = self
                    .end_ps
                    .max(ev.time * 1000)
                    .max(self.ps.iter().map(|p| p.clock_ps).max().unwrap_or(0));
                break;
            }
            // Nothing is scraped past the program's end (a pending forced GC's event).
            if self.scraper.is_some()
                && self.program_alive()
                && let Some(s) = &mut self.scraper
            {
                s.advance(ev.time, &self.gc, self.live_goroutines);
            }
            self.events += 1;
            if let Some(tr) = &mut self.tracer {
                tr.at(ev.time);
                tr.heap(ev.time * 1000, self.gc.heap.in_use, self.gc.next_gc());
            }
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
                // The GC does not keep a program whose goroutines all wait on locks alive:
                // runtime/proc.go checkdead ignores it.
                EventKind::GcStart | EventKind::GcMarkEnd | EventKind::ForceGc
                    if self.all_blocked() =>
                {
                    break;
                }
                EventKind::GcStart => self.gc_start_requested(ev.time),
                EventKind::GcMarkEnd => self.finish_gc(ev.time),
                EventKind::ForceGc => {
                    if self.gc.forced_due(ev.time) && !self.gc_start_pending {
                        self.gc_start_pending = true;
                        self.gc_start_requested_forced(ev.time);
                    }
                }
            }
        }
        if self.fatal.is_none() && self.live_goroutines > 0 && !self.stopped {
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
        if let Some(tr) = &mut self.tracer {
            // Ps idle when the mark starts run their idle mark workers.
            let t = self.gc.stopped_until_ns * 1000;
            for &p in &self.idle {
                tr.idle_worker_start(p as usize, t);
            }
        }
        self.queue.push(end, EventKind::GcMarkEnd);
    }

    /// The mark phase ends: the world stops again for mark termination, the dedicated
    /// workers give their Ps back, perhaps the next cycle starts at once, and the
    /// forced-GC timer is set.
    fn finish_gc(&mut self, now_ns: u64) {
        if let Some(tr) = &mut self.tracer {
            for p in 0..self.ps.len() {
                tr.idle_worker_park(p, now_ns * 1000, true);
            }
        }
        let assist_ns = self.assist_ps_cycle / 1000;
        self.assist_ps_total += self.assist_ps_cycle;
        self.assist_ps_cycle = 0;
        let stopped = self.stop_the_world(now_ns * 1000).div_ceil(1000);
        // The background sweeper takes an idle P if there is one (runtime/mgcsweep.go); the
        // dedicated workers' Ps are about to be.
        let busy = self
            .ps
            .iter()
            .filter(|p| p.state == PState::Running)
            .count() as u32;
        let idle = (self.ps.len() as u32).saturating_sub(busy);
        let end = self
            .gc
            .finish_cycle(now_ns, stopped - now_ns, assist_ns, idle);
        self.release_gc_ps(end * 1000);
        // Go tests the trigger at the end of mallocgc only when the allocation refilled its
        // span (runtime/malloc.go: shouldhelpgc; runtime/mcache.go: refill counts the span's
        // free slots in heapLive), after releasem, where a pending stop-the-world takes the
        // goroutine. A mark that ends inside such an allocation has its test run right
        // after mark termination, against the heap reset to the marked heap; under a memory
        // limit that holds the goal at the marked heap, that starts the next cycle at once,
        // at the goal. The stop lands at a uniform point of the goroutine's allocation loop:
        // in a refilling allocation once in objects-per-span allocations. A goroutine
        // parked in an assist, or between allocations, tests nothing until its next refill,
        // which counts its span: the next cycle starts past the goal.
        // (Drawn only when the reset heap is at the trigger, which takes a goal held at the
        // marked heap: see `Scenario::draws_on_seed`.)
        let p = std::mem::take(&mut self.refill_at_mark_end);
        if p > 0.0
            && self.gc.heap_trigger_hit()
            && (p >= 1.0 || self.preempt_rng.random::<f64>() < p)
        {
            self.start_gc(end, 0, false);
        } else if let Some(t) = self.gc.next_forced_ns() {
            self.queue.push(t, EventKind::ForceGc);
        }
    }
}

#[cfg(test)]
mod cache_tests {
    use super::*;
    use crate::scenario::{Bytes, Dur};

    /// A map within L2 misses nothing; one twice L2's size misses L2 on half its accesses;
    /// one far beyond L3 pays nearly both misses in full.
    #[test]
    fn misses_follow_the_share_of_the_map_outside_each_cache() {
        let c = SimConfig::from_costs(&Costs::default());
        assert_eq!(c.miss_ps(1 << 20), 0);
        assert_eq!(c.miss_ps(2 << 20), 8_000);
        assert_eq!(c.miss_ps(26 << 20), 16_000 * 25 / 26 + 32_000);
        assert!(c.miss_ps(1 << 40) > 79_990);
    }

    /// Clearing reused memory misses the cache on the share of a cycle's garbage beyond it:
    /// nothing by default, nothing within the cache, 1/8 of 115 ns at 16 MiB past 14 MiB,
    /// 25/32 of it at 64 MiB.
    #[test]
    fn clearing_misses_follow_the_share_of_a_cycles_garbage_outside_the_cache() {
        let mut costs = Costs::default();
        assert_eq!(
            SimConfig::from_costs(&costs).clear_miss_per_kib_ps(64 << 20),
            0
        );
        costs.alloc_miss_per_kib = Dur::from_ns(115);
        costs.cache_l3 = Bytes(14 << 20);
        let c = SimConfig::from_costs(&costs);
        assert_eq!(c.clear_miss_per_kib_ps(14 << 20), 0);
        assert_eq!(c.clear_miss_per_kib_ps(16 << 20), 14_375);
        assert_eq!(c.clear_miss_per_kib_ps(64 << 20), 89_843);
    }
}
