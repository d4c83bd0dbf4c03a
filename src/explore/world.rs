//! One execution of a scenario at the level of the runtime's steps: goroutines, their map
//! operations split into the steps of runtime/map.go around hashWriting, and mutexes. Which
//! goroutine takes the next step is not decided here: a scheduler asks [`World::runnable`],
//! chooses, and calls [`World::step`].

use rand_chacha::ChaCha8Rng;

use super::trace::{Access, Fatal, Race, Trace, TraceGc, TraceStep};
use crate::engine::HOLDER_BYTES;
use crate::engine::compile::Compiled;
use crate::engine::gc::Gc;
use crate::engine::program::{Instr, Program, Unsupported};
use crate::engine::{SimConfig, Stream};
use crate::model::gomap::{GoMap, MapCell, Work};
use crate::model::sched::hb::Detector;
use crate::model::sched::steps::{MAP_OP_SHARES, MapOp, StepKind};
use crate::scenario::types::Scenario;

mod ops;
mod record;
mod slices;

pub use record::RecordOptions;

/// runtime/sema.go via sync: `fatal error: all goroutines are asleep - deadlock!`.
pub const FATAL_DEADLOCK: &str = "all goroutines are asleep - deadlock!";
/// sync/mutex.go: `fatal error: sync: unlock of unlocked mutex`.
pub const FATAL_UNLOCK: &str = "sync: unlock of unlocked mutex";
/// sync/rwmutex.go: `fatal error: sync: RUnlock of unlocked RWMutex`.
pub const FATAL_RUNLOCK: &str = "sync: RUnlock of unlocked RWMutex";

/// What a goroutine's next step touches: two steps commute unless they touch the same map
/// and one of them writes it, the same lock, or both the heap (whichever allocates first
/// may be the one that reaches the GC trigger). Coarse (a map's flags, count and buckets
/// are one location), so never unsound for partial-order reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    map: Option<u32>,
    write: bool,
    lock: Option<u32>,
    /// The step may allocate or free heap memory, or start a GC cycle.
    heap: bool,
}

impl Footprint {
    /// The two steps may not be reordered.
    pub fn conflicts(&self, other: &Footprint) -> bool {
        (self.map.is_some() && self.map == other.map && (self.write || other.write))
            || (self.lock.is_some() && self.lock == other.lock)
            || (self.heap && other.heap)
    }
}

/// A map operation in progress.
#[derive(Debug, Clone, Copy)]
struct OpState {
    op: MapOp,
    map: u32,
    key: u64,
    /// Index of the next step in `op.steps()`.
    pc: usize,
    /// A register: the flags loaded by XorLoad / ClearLoad, or the count by CountLoad.
    reg: u64,
    found: Option<MapCell>,
    /// mapassign found the key already present (no count++).
    existing: bool,
    /// mapiternext calls left.
    iter_left: u64,
    /// The key's hash, taken at the Hash step ...
    hash: u64,
    /// ... once that step has run.
    hashed: bool,
}

impl OpState {
    /// A map operation on `key` about to take its first step.
    fn start(op: MapOp, map: u32, key: u64) -> Self {
        OpState {
            op,
            map,
            key,
            pc: 0,
            reg: 0,
            found: None,
            existing: false,
            iter_left: 0,
            hash: 0,
            hashed: false,
        }
    }
}

/// sync/rwmutex.go: `fatal error: sync: Unlock of unlocked RWMutex`.
pub const FATAL_RW_UNLOCK: &str = "sync: Unlock of unlocked RWMutex";

/// A sync.RWMutex (a sync.Mutex is one used only with Lock and Unlock).
#[derive(Debug, Clone, Copy, Default)]
struct Lock {
    writer: bool,
    readers: u32,
    /// A writer that called Lock while readers held the lock: it waits for them, and new
    /// readers wait behind it (sync/rwmutex.go: Lock announces itself to RLock).
    pending: Option<u32>,
    /// Used with RLock/RUnlock somewhere: an RWMutex, with its own messages.
    rw: bool,
}

#[derive(Debug)]
struct Goroutine {
    program: u32,
    cursor: crate::engine::program::Cursor,
    op: Option<OpState>,
    done: bool,
    /// Its last allocation reached the heap trigger: its next step is gcStart, still
    /// inside mallocgc (and inside the map operation that allocated, if any).
    gc_start_next: bool,
    rng: ChaCha8Rng,
    /// An append to a shared slice between its load and its store.
    appending: Option<slices::Appending>,
    /// Its own `scope = "goroutine"` slices, by slice index, made at first use.
    locals: Vec<(u32, crate::model::slice::Slice)>,
}

/// A map as the program uses it: the model, the fresh-key counter, the keys it holds.
#[derive(Debug)]
struct MapSlot {
    map: GoMap,
    next_key: u64,
    live: Vec<u64>,
    /// Its buckets hold pointers: the GC scans them.
    scan: bool,
}

/// The state of one execution.
#[derive(Debug)]
pub struct World {
    programs: Vec<Program>,
    /// Mutex names per program instruction index are resolved up front.
    lock_of: Vec<Vec<u32>>,
    goroutines: Vec<Goroutine>,
    maps: Vec<MapSlot>,
    /// The program's slices, and the backing arrays their headers refer to.
    slices: Vec<slices::SliceVar>,
    arrays: Vec<slices::Array>,
    slice_setups: Vec<crate::engine::slices::SliceSetup>,
    locks: Vec<Lock>,
    hb: Detector,
    pub(super) trace: Trace,
    work: Work,
    /// What the last step took, ns, from `[costs]`: its share of map_op and the work it
    /// did (overflow probes, evacuation, allocation), mutex_op, the allocation or the
    /// computation.
    pub last_step_ns: u64,
    /// `[costs]` alloc_object and alloc_per_kib, in ns, for the time of allocation steps.
    alloc_costs_ns: (u64, u64),
    /// `[costs]` as `run` prices work.
    prices: SimConfig,
    /// A map has grown in this execution (see [`SimConfig::first_growth_ps`]).
    grown: bool,
    /// `[costs]` mutex_op, ns.
    mutex_ns: u64,
    /// When the step being taken started (ns).
    step_t_ns: u64,
    /// The heap and the pacer, as `run` has them: allocations count towards the trigger,
    /// and a cycle starts where mallocgc would start it. The mark is the fluid model, timed
    /// by the steps' clock; its assists and pauses are not stepped.
    gc: Gc,
    /// Bytes held by `retain` and the pointer words among them, which `free` releases.
    retained: (u64, u64),
    /// runtime/mgc.go: gcBgMarkStartWorkers has run (the first cycle started the workers).
    mark_workers_started: bool,
    /// The goroutine the last step took off its P (the first cycle's gcStart).
    yielded: Option<u32>,
    /// `[costs]` goroutine_spawn, ns: gcBgMarkStartWorkers creates one worker per P.
    spawn_ns: u64,
    /// GOMAXPROCS.
    procs: u32,
    /// Allocations by site and metrics scrapes, when `replay` asks for them.
    record: Option<Box<record::Record>>,
}

impl World {
    /// Builds the execution of scenario `sc` (compiling it).
    pub fn of(sc: &Scenario) -> Result<World, Unsupported> {
        World::new(&Compiled::new(sc)?)
    }

    /// Builds the execution of compiled scenario `c`: every map made, every goroutine at its
    /// first step.
    pub(super) fn new(c: &Compiled) -> Result<World, Unsupported> {
        World::recording(c, None)
    }

    /// [`World::new`], recording what `record` asks for ([`Trace::alloc_profile`],
    /// [`Trace::metrics`]).
    pub(super) fn recording(
        c: &Compiled,
        record: Option<RecordOptions>,
    ) -> Result<World, Unsupported> {
        if !c.sources.is_empty() {
            return Err(Unsupported {
                op: "[[arrivals]]",
                by: "by `race` yet, which explores [[goroutines]]: `run` simulates arrivals",
            });
        }
        let mut work = Work::default();
        let mut map_work = Vec::new();
        let (gc, made, made_slices) = c.start(&mut work, &mut map_work);
        let slice_bytes: Vec<u64> = made_slices.iter().map(|s| s.slice.array_bytes()).collect();
        let record = record.map(|o| Box::new(record::Record::new(c, &map_work, &slice_bytes, o)));
        let mut arrays = Vec::new();
        let slice_vars =
            World::slice_vars(made_slices, c.slices.iter().map(|s| s.local), &mut arrays);
        let maps = made
            .into_iter()
            .map(|(map, layout)| MapSlot {
                map,
                next_key: 0,
                live: Vec::new(),
                scan: layout.bucket_has_pointers(),
            })
            .collect::<Vec<_>>();
        let mut goroutines = Vec::new();
        let mut names = Vec::new();
        for (pi, g) in c.groups.iter().enumerate() {
            for r in 0..g.count {
                let id = goroutines.len() as u32;
                goroutines.push(Goroutine {
                    program: pi as u32,
                    cursor: Default::default(),
                    op: None,
                    done: false,
                    gc_start_next: false,
                    rng: Stream::Workload(id).rng(c.seed),
                    appending: None,
                    locals: Vec::new(),
                });
                names.push(if g.count == 1 {
                    g.name.clone()
                } else {
                    format!("{}#{r}", g.name)
                });
            }
        }
        let n = goroutines.len();
        let trace = Trace {
            goroutines: names,
            maps: c.maps.iter().map(|m| m.name.clone()).collect(),
            slices: c.slices.iter().map(|s| s.name.clone()).collect(),
            swiss: c.maps.iter().map(|m| m.swiss).collect(),
            ..Trace::default()
        };
        let mut w = World {
            programs: c.programs.clone(),
            lock_of: c.lock_of.clone(),
            goroutines,
            hb: Detector::new(n, c.locks.len(), maps.len() + slice_vars.len()),
            maps,
            slices: slice_vars,
            arrays,
            slice_setups: c.slices.clone(),
            locks: c
                .locks
                .iter()
                .map(|l| Lock {
                    rw: l.rw,
                    ..Lock::default()
                })
                .collect(),
            trace,
            work,
            last_step_ns: 0,
            prices: c.prices,
            grown: false,
            mutex_ns: c.sched.mutex_ps / 1000,
            step_t_ns: 0,
            alloc_costs_ns: (
                c.prices.alloc_object_ps / 1000,
                c.prices.alloc_per_kib_ps / 1000,
            ),
            gc,
            retained: (0, 0),
            mark_workers_started: false,
            yielded: None,
            spawn_ns: c.sched.spawn_ps / 1000,
            procs: c.procs,
            record,
        };
        for g in 0..n {
            w.settle(g);
        }
        Ok(w)
    }

    /// The execution is over: every goroutine finished, or the program died.
    pub fn finished(&self) -> bool {
        self.trace.fatal.is_some() || self.goroutines.iter().all(|g| g.done && !g.gc_start_next)
    }

    /// Goroutines that can take a step now, in order. A goroutine waiting for a lock is not
    /// runnable until the lock is free.
    pub fn runnable(&self, out: &mut Vec<u32>) {
        out.clear();
        for (i, g) in self.goroutines.iter().enumerate() {
            if g.gc_start_next || (!g.done && self.can_step(i)) {
                out.push(i as u32);
            }
        }
    }

    fn can_step(&self, g: usize) -> bool {
        match self.next_instr(g) {
            Some((Instr::Lock { .. }, l)) => {
                let lk = self.locks[l as usize];
                if lk.pending == Some(g as u32) {
                    lk.readers == 0
                } else {
                    !lk.writer && lk.pending.is_none()
                }
            }
            Some((Instr::Rlock { .. }, l)) => {
                let lk = self.locks[l as usize];
                !lk.writer && lk.pending.is_none()
            }
            _ => true,
        }
    }

    /// Goroutine `g` is inside a runtime function: a map operation, or mallocgc about to
    /// call gcStart.
    pub fn in_op(&self, g: u32) -> bool {
        let gs = &self.goroutines[g as usize];
        gs.op.is_some() || gs.gc_start_next
    }

    /// The goroutine the last step took off its P, if it did: the first GC cycle's
    /// gcStart waits for the mark workers it creates (runtime/mgc.go:
    /// gcBgMarkStartWorkers), and comes back after them through the run queue.
    pub fn yielded(&self) -> Option<u32> {
        self.yielded
    }

    /// What goroutine `g`'s next step touches.
    pub fn footprint(&self, g: u32) -> Footprint {
        let gs = &self.goroutines[g as usize];
        if gs.gc_start_next {
            return Footprint {
                heap: true,
                ..Footprint::default()
            };
        }
        // A shared slice is a variable of its own, after the maps; its header's load may
        // grow the array (the heap), its store and a reset or drop write it.
        if let Some(s) = self.appending(g as usize) {
            return Footprint {
                map: Some(self.slice_id(s)),
                write: true,
                heap: true,
                ..Footprint::default()
            };
        }
        if let Some((
            Instr::Append { slice, .. } | Instr::Reset { slice } | Instr::Drop { slice },
            _,
        )) = self.next_instr(g as usize)
        {
            let shared = !self.slices[slice as usize].local;
            return Footprint {
                map: shared.then(|| self.slice_id(slice)),
                write: !matches!(self.next_instr(g as usize), Some((Instr::Append { .. }, _))),
                heap: true,
                ..Footprint::default()
            };
        }
        if let Some(st) = gs.op {
            let kind = match st.op {
                MapOp::Iterate if st.pc > 0 => StepKind::IterNext,
                _ => st.op.steps_for(self.maps[st.map as usize].map.is_swiss())[st.pc],
            };
            let write = matches!(
                kind,
                StepKind::XorStore
                    | StepKind::ClearStore
                    | StepKind::AssignFind
                    | StepKind::AssignStore
                    | StepKind::DeleteFind
                    | StepKind::DeleteClear
                    | StepKind::CountStore
                    | StepKind::IterInit
            );
            // Every step reads or writes the map, the hash step included (it reads hash0,
            // which mapdelete reseeds). The bucket work allocates (hashGrow, newoverflow).
            return Footprint {
                map: Some(st.map),
                write,
                lock: None,
                heap: matches!(kind, StepKind::AssignFind | StepKind::DeleteFind),
            };
        }
        match self.next_instr(g as usize) {
            // The first step of an operation is also its -race access.
            Some((
                Instr::Insert { map, .. } | Instr::Delete { map, .. } | Instr::Churn { map, .. },
                _,
            )) => Footprint {
                map: Some(map),
                write: true,
                ..Footprint::default()
            },
            Some((Instr::Read { map, .. }, _)) => Footprint {
                map: Some(map),
                ..Footprint::default()
            },
            // mapiterinit's atomic Or8 of the iterator flags.
            Some((Instr::Iterate { map }, _)) => Footprint {
                map: Some(map),
                write: true,
                ..Footprint::default()
            },
            Some((
                Instr::Lock { .. }
                | Instr::Unlock { .. }
                | Instr::Rlock { .. }
                | Instr::Runlock { .. },
                l,
            )) => Footprint {
                write: true,
                lock: Some(l),
                ..Footprint::default()
            },
            Some((Instr::Alloc { .. } | Instr::Retain { .. } | Instr::Free { .. }, _)) => {
                Footprint {
                    heap: true,
                    ..Footprint::default()
                }
            }
            _ => Footprint::default(),
        }
    }

    /// Ends the execution as deadlocked (nothing runnable, not everything done).
    pub fn deadlock(&mut self) {
        let g = self.goroutines.iter().position(|g| !g.done).unwrap_or(0) as u32;
        self.die(FATAL_DEADLOCK, g);
    }

    fn die(&mut self, message: &'static str, g: u32) {
        if self.trace.fatal.is_none() {
            self.trace.fatal = Some(Fatal {
                message,
                goroutine: g,
                step: self.trace.steps.len().saturating_sub(1),
            });
        }
    }

    /// The instruction goroutine `g` is at, with its lock index for lock instructions.
    fn next_instr(&self, g: usize) -> Option<(Instr, u32)> {
        let gs = &self.goroutines[g];
        let instr = *self.programs[gs.program as usize]
            .instrs
            .get(gs.cursor.pc as usize)?;
        let lock = match instr {
            Instr::Lock { lock }
            | Instr::Unlock { lock }
            | Instr::Rlock { lock }
            | Instr::Runlock { lock } => self.lock_of[gs.program as usize][lock as usize],
            _ => 0,
        };
        Some((instr, lock))
    }

    /// Moves goroutine `g` past loop markers and finished instructions, so that it stands at
    /// its next real step (or is done).
    fn settle(&mut self, g: usize) {
        let gs = &mut self.goroutines[g];
        if gs.op.is_some() || gs.appending.is_some() {
            return;
        }
        // Loops with a duration look at the goroutine's clock at the end of the step just
        // taken (durations count from the start of the execution). Request markers take no
        // step here: they only time requests in `run`.
        let now_ps = self
            .step_t_ns
            .saturating_add(self.last_step_ns)
            .saturating_mul(1000);
        loop {
            match gs
                .cursor
                .current_at(&self.programs[gs.program as usize], now_ps, 0)
            {
                None => {
                    gs.done = true;
                    return;
                }
                Some((Instr::RequestStart { .. } | Instr::RequestEnd { .. }, _)) => {
                    gs.cursor.advance(1)
                }
                Some(_) => return,
            }
        }
    }

    /// One unit of the current instruction is done (`all`: the whole instruction).
    fn finish_unit(&mut self, g: usize) {
        self.goroutines[g].cursor.advance(1);
        self.settle(g);
        self.end_locals(g);
    }

    fn finish_instr(&mut self, g: usize) {
        self.goroutines[g].cursor.advance(u64::MAX);
        self.settle(g);
        self.end_locals(g);
    }

    /// A goroutine that ended leaves its own slices' arrays to the GC.
    fn end_locals(&mut self, g: usize) {
        if !self.goroutines[g].done || self.goroutines[g].locals.is_empty() {
            return;
        }
        for (_, mut s) in std::mem::take(&mut self.goroutines[g].locals) {
            let scan = s.scans();
            let bytes = s.drop_array();
            self.gc
                .heap
                .drop_reachable(bytes, if scan { bytes } else { 0 });
        }
    }

    /// Executes the next step of goroutine `g` at time `t_ns` on P `p`.
    pub fn step(&mut self, g: u32, t_ns: u64, p: u32) {
        let gi = g as usize;
        self.yielded = None;
        // The mark ends when the steps' clock passes its end (runtime/mgc.go: gcMarkDone).
        if self.gc.mark_end_ns().is_some_and(|end| t_ns >= end) {
            self.gc.finish_cycle(t_ns, 0, 0, 0);
        }
        self.last_step_ns = 0;
        self.step_t_ns = t_ns;
        if self.record.is_some() {
            self.record_scrapes(t_ns);
        }
        let before = self.work;
        let steps = self.trace.steps.len();
        if self.goroutines[gi].gc_start_next {
            self.gc_start(gi, t_ns, p);
        } else if self.goroutines[gi].appending.is_some() {
            self.append_store(gi, t_ns, p);
        } else if self.goroutines[gi].op.is_none() {
            self.start_instr(gi, t_ns, p);
        } else {
            self.op_step(gi, t_ns, p);
        }
        debug_assert!(self.trace.steps.len() <= steps + 1, "one step at a time");
        if self.trace.fatal.is_none() && self.work != before {
            self.account(gi, &before);
        }
    }

    /// The time of a map step of `kind` that did the work since `before` on a map of
    /// `map_bytes`: its share of map_op, and the price of its further work (cache misses
    /// included), as `run` prices it.
    pub(super) fn price(&mut self, kind: StepKind, before: &Work, map_bytes: u64) {
        match kind {
            StepKind::Local
            | StepKind::GcStart
            | StepKind::Lock
            | StepKind::Unlock
            | StepKind::RLock
            | StepKind::RUnlock => {}
            _ => {
                // The fixed cost is the share below, not a whole map_op per operation; the
                // step that reached the operation's first bucket takes its cache misses.
                let done = self.work.since(before);
                let misses = done
                    .bucket_touches()
                    .saturating_mul(self.prices.miss_ps(map_bytes));
                let w = Work { ops: 0, ..done };
                let share =
                    self.prices.map_op_ps.saturating_mul(kind.map_op_share()) / MAP_OP_SHARES;
                let entry = if kind == StepKind::IterNext {
                    self.prices.iter_entry_ps
                } else {
                    0
                };
                let ps = share
                    .saturating_add(entry)
                    .saturating_add(self.prices.price(&w))
                    .saturating_add(misses);
                self.last_step_ns = ps / 1000;
            }
        }
    }

    /// Puts what the last map step allocated and freed on the heap; mallocgc then tests
    /// the trigger (runtime/malloc.go: `if t := (gcTrigger{kind: gcTriggerHeap}); t.test()`).
    fn account(&mut self, g: usize, before: &Work) {
        let w = self.work.since(before);
        let Work {
            alloc_bytes: bytes,
            alloc_objects: objects,
            garbage_bytes: garbage,
            ..
        } = w;
        if bytes == 0 && garbage == 0 {
            return;
        }
        if self.record.is_some() {
            self.record_map(g, &w);
        }
        let scan = self
            .trace
            .steps
            .last()
            .and_then(|s| s.map)
            .is_some_and(|m| self.maps[m as usize].scan);
        let pages = self.alloc(bytes, objects, bytes, if scan { bytes } else { 0 }, true);
        let first = self.prices.first_growth_ps(&mut self.grown, &w);
        self.last_step_ns = self
            .last_step_ns
            .saturating_add(pages.saturating_add(first) / 1000);
        self.gc
            .heap
            .drop_reachable(garbage, if scan { garbage } else { 0 });
        self.test_trigger(g);
    }

    /// An allocation on the heap, as `run` makes it ([`crate::engine::gc::Gc::alloc`]), by
    /// a map (`map`) or not; returns the time of its page work (ps): the sweeping it owes
    /// and the faults of the pages it touched first.
    pub(super) fn alloc(
        &mut self,
        bytes: u64,
        objects: u64,
        reachable: u64,
        scan: u64,
        map: bool,
    ) -> u64 {
        let pages = self.gc.alloc(bytes, objects, reachable, scan);
        let swept = self.gc.sweep_on_alloc(self.step_t_ns);
        self.prices.page_ps(&pages, map).0 + swept
    }

    /// The part of goroutine `g`'s `alloc` or `retain` that its step at `t_ns` takes:
    /// outside a mark, the objects up to the first that reaches the GC trigger; during one,
    /// those it allocates before the mark ends (at least one, at most those left); other
    /// instructions whole. Returns it and how many units it is.
    fn up_to_trigger(&mut self, g: usize, instr: Instr, t_ns: u64) -> (Instr, u64) {
        let left = self.goroutines[g].cursor.left();
        let (objects, size, holder) = match instr {
            Instr::Alloc { objects, size, .. } => (objects, size, 0),
            Instr::Retain { objects, size } => (objects, size, HOLDER_BYTES),
            _ => return (instr, u64::MAX),
        };
        let left = if left == 0 {
            objects
        } else {
            left.min(objects)
        };
        let k = match self.gc.mark_end_ns() {
            Some(end) => {
                let (per_object, per_kib) = self.alloc_costs_ns;
                let ns = per_object.saturating_add(size.saturating_mul(per_kib) / 1024);
                end.saturating_sub(t_ns).div_ceil(ns.max(1)).clamp(1, left)
            }
            None => match self.gc.bytes_to_trigger() {
                u64::MAX => left,
                bytes => bytes.div_ceil((size + holder).max(1)).clamp(1, left),
            },
        };
        let part = match instr {
            Instr::Alloc {
                size, interval_ps, ..
            } => Instr::Alloc {
                objects: k,
                size,
                interval_ps,
            },
            _ => Instr::Retain { objects: k, size },
        };
        (part, k)
    }

    /// An `alloc`, `retain` or `free` step on the heap, as `run` does it.
    fn local_heap(&mut self, instr: Instr) {
        match instr {
            Instr::Alloc { objects, size, .. } => {
                let bytes = objects.saturating_mul(size);
                let pages = self.alloc(bytes, objects, 0, 0, false);
                self.last_step_ns = self.last_step_ns.saturating_add(pages / 1000);
            }
            Instr::Retain { objects, size } => {
                let bytes = objects.saturating_mul(size + HOLDER_BYTES);
                let scan = objects.saturating_mul(HOLDER_BYTES);
                self.retained.0 += bytes;
                self.retained.1 += scan;
                let pages = self.alloc(bytes, objects, bytes, scan, false);
                self.last_step_ns = self.last_step_ns.saturating_add(pages / 1000);
            }
            Instr::Free { bytes } => {
                crate::engine::free_retained(&mut self.retained, &mut self.gc, bytes);
            }
            _ => {}
        }
    }

    /// mallocgc's trigger test after an allocation by goroutine `g`.
    fn test_trigger(&mut self, g: usize) {
        if self.gc.heap_trigger_hit() {
            self.goroutines[g].gc_start_next = true;
        }
    }

    /// runtime/mgc.go: gcStart, called by goroutine `g` from mallocgc. It tests the trigger
    /// again (another goroutine may have started the cycle) and starts the cycle; the first
    /// one creates the mark workers and waits for them, off its P (gcBgMarkStartWorkers).
    fn gc_start(&mut self, g: usize, t_ns: u64, p: u32) {
        self.goroutines[g].gc_start_next = false;
        let map = self.goroutines[g].op.map(|st| st.map);
        self.record(g as u32, t_ns, p, map, StepKind::GcStart);
        self.last_step_ns = 0;
        if self.gc.heap_trigger_hit() {
            let step = self.trace.steps.len() - 1;
            let yields = !self.mark_workers_started;
            self.mark_workers_started = true;
            if yields {
                // newproc of one worker per P, on this goroutine's time.
                self.yielded = Some(g as u32);
                self.last_step_ns = self.spawn_ns.saturating_mul(u64::from(self.procs));
            }
            self.trace.gc_starts.push((step, yields));
            let procs = f64::from(self.procs);
            self.gc.start_cycle(t_ns, 0, false, procs);
        }
        self.settle(g);
    }

    /// Starts the instruction `g` stands at: a map operation's first step, or a whole
    /// non-map step.
    fn start_instr(&mut self, g: usize, t_ns: u64, p: u32) {
        let Some((instr, lock)) = self.next_instr(g) else {
            return;
        };
        let gid = g as u32;
        let (op, map) = match instr {
            Instr::Insert { map, .. } => (MapOp::Assign, map),
            Instr::Delete { map, .. } => (MapOp::Delete, map),
            Instr::Read { map, .. } => (MapOp::Access, map),
            Instr::Iterate { map } => (MapOp::Iterate, map),
            Instr::Churn { map, .. } => {
                // A churn unit is a delete then an insert: the delete now, the insert queued
                // by leaving `rem` in place until both are done.
                (MapOp::Delete, map)
            }
            Instr::Lock { .. } => {
                self.record(gid, t_ns, p, None, StepKind::Lock);
                let lk = &mut self.locks[lock as usize];
                if lk.readers > 0 {
                    // Readers hold it: announce the writer and wait for them to leave.
                    lk.pending = Some(gid);
                    return;
                }
                lk.pending = None;
                lk.writer = true;
                self.hb.lock(gid, lock);
                self.finish_unit(g);
                return;
            }
            Instr::Rlock { .. } => {
                self.locks[lock as usize].readers += 1;
                self.hb.rlock(gid, lock);
                self.record(gid, t_ns, p, None, StepKind::RLock);
                self.finish_unit(g);
                return;
            }
            Instr::Unlock { .. } => {
                self.record(gid, t_ns, p, None, StepKind::Unlock);
                if !self.locks[lock as usize].writer {
                    let msg = if self.locks[lock as usize].rw {
                        FATAL_RW_UNLOCK
                    } else {
                        FATAL_UNLOCK
                    };
                    self.die(msg, gid);
                    return;
                }
                self.locks[lock as usize].writer = false;
                self.hb.unlock(gid, lock);
                self.finish_unit(g);
                return;
            }
            Instr::Runlock { .. } => {
                self.record(gid, t_ns, p, None, StepKind::RUnlock);
                if self.locks[lock as usize].readers == 0 {
                    self.die(FATAL_RUNLOCK, gid);
                    return;
                }
                self.locks[lock as usize].readers -= 1;
                self.hb.runlock(gid, lock);
                self.finish_unit(g);
                return;
            }
            Instr::Alloc { .. }
            | Instr::Retain { .. }
            | Instr::Free { .. }
            | Instr::Compute { .. } => {
                // runtime/malloc.go: mallocgc tests the GC trigger after each object, so a
                // step allocates up to the trigger; gcStart is the next step, the rest follow.
                let (instr, units) = self.up_to_trigger(g, instr, t_ns);
                // [costs]: alloc_object per object and alloc_per_kib per KiB allocated.
                let (per_object, per_kib) = self.alloc_costs_ns;
                self.last_step_ns = match instr {
                    Instr::Compute { ps } => ps / 1000,
                    Instr::Alloc { objects, size, .. } | Instr::Retain { objects, size } => objects
                        .saturating_mul(
                            per_object.saturating_add(size.saturating_mul(per_kib) / 1024),
                        ),
                    _ => 0,
                };
                self.record(gid, t_ns, p, None, StepKind::Local);
                if self.record.is_some() {
                    self.record_local(g, instr);
                }
                self.local_heap(instr);
                self.goroutines[g].cursor.advance(units);
                self.settle(g);
                self.end_locals(g);
                self.test_trigger(g);
                return;
            }
            Instr::Loop { .. }
            | Instr::LoopFor { .. }
            | Instr::EndLoop { .. }
            | Instr::RequestStart { .. }
            | Instr::RequestEnd { .. } => return,
            Instr::Append { .. } | Instr::Reset { .. } | Instr::Drop { .. } => {
                self.start_slice(g, instr, t_ns, p);
                return;
            }
        };
        let key = self.pick_key(g, op, map as usize);
        self.goroutines[g].op = Some(OpState::start(op, map, key));
        // -race sees the access in the function the operation starts with (for a range
        // loop, mapiterinit).
        let first = op.steps_for(self.maps[map as usize].map.is_swiss())[0];
        self.race_access(gid, map, op, first);
        self.op_step(g, t_ns, p);
    }

    /// -race instruments each map operation at entry (runtime/map.go: racewritepc,
    /// racereadpc): the first data race seen is kept for the report.
    pub(super) fn race_access(&mut self, g: u32, map: u32, op: MapOp, first: StepKind) {
        let tag = self.trace.steps.len();
        let function = first.function(op);
        if let Some(prev) = self.hb.access(g, map, op.writes(), tag, function)
            && self.trace.race.is_none()
        {
            self.trace.race = Some(Race {
                map,
                current: Access {
                    goroutine: g,
                    step: tag,
                    write: op.writes(),
                    function,
                },
                previous: Access {
                    goroutine: prev.goroutine,
                    step: prev.tag,
                    write: prev.write,
                    function: prev.function,
                },
            });
        }
    }

    /// -race's view of an access to variable `v` (a map, or a slice after the maps) in
    /// `function`: the first data race seen is kept for the report.
    pub(super) fn race_var(&mut self, g: u32, v: u32, write: bool, function: &'static str) {
        let tag = self.trace.steps.len();
        if let Some(prev) = self.hb.access(g, v, write, tag, function)
            && self.trace.race.is_none()
        {
            self.trace.race = Some(Race {
                map: v,
                current: Access {
                    goroutine: g,
                    step: tag,
                    write,
                    function,
                },
                previous: Access {
                    goroutine: prev.goroutine,
                    step: prev.tag,
                    write: prev.write,
                    function: prev.function,
                },
            });
        }
    }

    fn record(&mut self, g: u32, t_ns: u64, p: u32, map: Option<u32>, kind: StepKind) {
        if matches!(
            kind,
            StepKind::Lock | StepKind::Unlock | StepKind::RLock | StepKind::RUnlock
        ) {
            // [costs] mutex_op: one atomic operation.
            self.last_step_ns = self.mutex_ns;
        }
        let w = map.is_some_and(|m| self.maps[m as usize].map.writing());
        let op = self.goroutines[g as usize].op.map(|o| o.op);
        self.trace.steps.push(TraceStep {
            t_ns,
            goroutine: g,
            p,
            map,
            slice: None,
            kind,
            writing_before: w,
            writing_after: w,
            op,
            home: None,
        });
    }

    /// Ends the execution: checks the maps of a run that finished (one that died or was cut
    /// at the step limit left them mid-operation), collects their growth events, and returns
    /// the trace.
    pub fn finish(mut self, decisions: Vec<u32>, preemptions: u32) -> Trace {
        if self.trace.fatal.is_none() && !self.trace.cut {
            self.check_maps();
            self.check_slices();
        }
        self.collect_map_events();
        self.trace.gc = TraceGc {
            // As `run` counts them: cycles whose mark ended.
            cycles: self.gc.cycles.len() as u32,
            total_alloc_bytes: self.gc.heap.total_alloc,
            peak_heap_bytes: self.gc.heap.peak_in_use,
        };
        let end_ns = self.step_t_ns.saturating_add(self.last_step_ns);
        let (alloc_profile, metrics) = self.recordings(end_ns);
        let mut trace = self.trace;
        trace.alloc_profile = alloc_profile;
        trace.metrics = metrics;
        trace.gc_cycles = self.gc.cycles;
        trace.procs = self.procs;
        trace.decisions = decisions;
        trace.preemptions = preemptions;
        trace
    }

    /// Copies every map's growth events into the trace.
    pub fn collect_map_events(&mut self) {
        self.trace.map_events = self
            .maps
            .iter()
            .enumerate()
            .flat_map(|(i, slot)| slot.map.events().iter().map(move |e| (i as u32, *e)))
            .collect();
    }

    /// After a run that finished: what the maps' own invariants say, and keys the program inserted and
    /// did not delete that a lookup no longer finds.
    pub fn check_maps(&mut self) {
        let mut out = Vec::new();
        for (i, slot) in self.maps.iter().enumerate() {
            let name = &self.trace.maps[i];
            if let Err(e) = slot.map.check_invariants() {
                out.push(format!("map {name}: {e}"));
            }
            let mut w = Work::default();
            let lost = slot
                .live
                .iter()
                .filter(|&&k| !slot.map.get(k, &mut w))
                .count();
            if lost > 0 {
                out.push(format!("map {name}: {lost} inserted keys lost"));
            }
            if slot.map.len() != slot.live.len() as u64 {
                out.push(format!(
                    "map {name}: count is {} but {} keys were inserted and not deleted",
                    slot.map.len(),
                    slot.live.len()
                ));
            }
        }
        self.trace.corruption = out;
    }
}
