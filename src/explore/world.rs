//! One execution of a scenario at the level of the runtime's steps: goroutines, their map
//! operations split into the steps of runtime/map.go around hashWriting, and mutexes. Which
//! goroutine takes the next step is not decided here: a scheduler asks [`World::runnable`],
//! chooses, and calls [`World::step`].

use rand_chacha::ChaCha8Rng;

use super::trace::{Fatal, Trace};
use crate::engine::compile::Compiled;
use crate::engine::gc::Gc;
use crate::engine::program::{Instr, Program, Unsupported};
use crate::engine::{SimConfig, Stream, key_list_ps};
use crate::model::gomap::{GoMap, MapCell, Work};
use crate::model::sched::hb::Detector;
use crate::model::sched::steps::{MapOp, StepKind};
use crate::scenario::types::Scenario;

mod footprint;
mod heap;
mod ops;
mod outcome;
mod record;
mod slices;

pub use footprint::Footprint;
pub use record::RecordOptions;

/// runtime/sema.go via sync: `fatal error: all goroutines are asleep - deadlock!`.
pub const FATAL_DEADLOCK: &str = "all goroutines are asleep - deadlock!";
/// sync/mutex.go: `fatal error: sync: unlock of unlocked mutex`.
pub const FATAL_UNLOCK: &str = "sync: unlock of unlocked mutex";
/// sync/rwmutex.go: `fatal error: sync: RUnlock of unlocked RWMutex`.
pub const FATAL_RUNLOCK: &str = "sync: RUnlock of unlocked RWMutex";

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
    /// Some goroutine picks existing keys of it: their list is kept, and paid for.
    tracked: bool,
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
            .zip(&c.maps)
            .map(|((map, layout), m)| MapSlot {
                map,
                next_key: 0,
                live: Vec::new(),
                tracked: m.tracks_live,
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
        self.finish_units(g, 1);
    }

    fn finish_instr(&mut self, g: usize) {
        self.finish_units(g, u64::MAX);
    }

    /// Marks `k` units of goroutine `g`'s instruction done and moves it to its next step.
    fn finish_units(&mut self, g: usize, k: u64) {
        self.goroutines[g].cursor.advance(k);
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
                self.last_step_ns = match instr {
                    Instr::Compute { ps } => ps / 1000,
                    Instr::Alloc { objects, size, .. } | Instr::Retain { objects, size } => {
                        objects.saturating_mul(self.object_ns(size))
                    }
                    _ => 0,
                };
                self.record(gid, t_ns, p, None, StepKind::Local);
                if self.record.is_some() {
                    self.record_local(g, instr);
                }
                self.local_heap(instr);
                self.finish_units(g, units);
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
        // Keeping the key list, as `run` prices it: on the operation's first step.
        let (picks, inserts) = match op {
            MapOp::Access | MapOp::Delete => (1, 0),
            MapOp::Assign => (0, 1),
            MapOp::Iterate => (0, 0),
        };
        let tracked = self.maps[map as usize].tracked;
        let keys_ps = key_list_ps(tracked, picks, inserts, self.mutex_ns * 1000);
        self.last_step_ns = self.last_step_ns.saturating_add(keys_ps / 1000);
    }
}
