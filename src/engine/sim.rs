//! The simulation: goroutines running their programs as events on one virtual clock, against
//! the map, heap and GC models. Time comes from the `[costs]` model applied to the work each
//! step did.

use rand_chacha::ChaCha8Rng;

use super::gc::{Gc, GcParams};
use super::program::{Instr, Program, Unsupported};
use super::queue::{EventKind, EventQueue};
use super::rng::Stream;
use crate::model::gc::GcCycle;
use crate::model::gc::pacer::Pacer;
use crate::model::gomap::{GoMap, MapEvent, MapLayout, Work};
use crate::model::heap::{Heap, NonHeapModel};
use crate::scenario::types::{Costs, Gogc, MemLimit, Scenario, go_minor};

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
}

/// A goroutine's execution state.
#[derive(Debug)]
pub(super) struct Goroutine {
    pub program: u32,
    pub cursor: super::program::Cursor,
    /// Local time in picoseconds.
    pub time_ps: u64,
    pub rng: ChaCha8Rng,
    pub done: bool,
    /// Share of a P this goroutine keeps busy in its current instruction.
    pub busy: f64,
}

/// One map write, for map_ops.csv: what it cost and where the evacuation stood after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapWrite {
    pub map: u32,
    /// The write's 1-based index (map_events.csv's `op`).
    pub op: u64,
    /// Simulated time the operation took (ns), assists and GC sharing included.
    pub cost_ns: u64,
    pub evacuated_buckets: u64,
    /// `h.nevacuate` and the old bucket count after the write (0, 0 when not growing).
    pub nevacuate: u64,
    pub old_buckets: u64,
    /// Heap bytes the map keeps alive after the write.
    pub live_bytes: u64,
}

/// Runs with more map writes than this do not record them one by one.
pub const MAX_RECORDED_WRITES: u64 = 200_000;

/// The result of a run, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub scenario: String,
    pub seed: u64,
    pub procs: u32,
    pub sim_time_ns: u64,
    /// Total map work across all maps.
    pub work: Work,
    pub maps: Vec<MapOutcome>,
    pub gc: Vec<GcCycle>,
    /// Every stop-the-world pause, in order (ns).
    pub pauses_ns: Vec<u64>,
    /// CPU the program's goroutines spent in mark assists (ns).
    pub assist_ns: u64,
    pub total_gc_cpu_ns: u64,
    /// Cycles the CPU limiter ran with assists off.
    pub limited_cycles: u32,
    pub total_alloc_bytes: u64,
    pub total_alloc_objects: u64,
    pub peak_heap_bytes: u64,
    /// Peak of all mapped memory, heap and non-heap (what GOMEMLIMIT limits).
    pub peak_total_bytes: u64,
    /// Go's fatal error message if the program died.
    pub fatal: Option<String>,
    /// A goroutine's clock ran past 2^64 ps (213 days): the numbers are not to be trusted.
    pub overflowed: bool,
    /// Every map write, when there are at most [`MAX_RECORDED_WRITES`] of them.
    pub map_writes: Vec<MapWrite>,
}

/// One map at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOutcome {
    pub name: String,
    pub key: String,
    pub elem: String,
    pub implementation: &'static str,
    pub shape: MapShape,
    pub count: u64,
    pub stats: crate::model::gomap::MapStats,
    pub live_bytes: u64,
    pub events: Vec<MapEvent>,
}

/// How a map is laid out at the end of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapShape {
    /// hmap: `2^b` buckets of `bucket_size` bytes, `noverflow`, a growth in progress.
    Classic {
        bucket_size: u64,
        b: u8,
        noverflow: u16,
        growing: bool,
    },
    /// maps.Map: `capacity` slots in `tables` tables under a directory of depth
    /// `global_depth` (no tables: a small map), groups of `group_size` bytes.
    Swiss {
        group_size: u64,
        capacity: u64,
        tables: u64,
        global_depth: u8,
    },
}

/// A simulation of one scenario.
#[derive(Debug)]
pub struct Sim {
    name: String,
    seed: u64,
    pub(super) config: SimConfig,
    pub(super) queue: EventQueue,
    pub(super) programs: Vec<Program>,
    pub(super) goroutines: Vec<Goroutine>,
    pub(super) maps: Vec<MapSlot>,
    map_meta: Vec<(String, String, String)>,
    pub(super) work: Work,
    pub(super) gc: Gc,
    /// Assist CPU of the running mark, and in all (ps).
    pub(super) assist_ps_cycle: u64,
    assist_ps_total: u64,
    /// Retained memory from `retain` ops, and its pointer-bearing part.
    pub(super) retained: (u64, u64),
    live_goroutines: usize,
    /// Go's fatal error, once the simulated program died.
    pub(super) fatal: Option<&'static str>,
    /// Map writes, recorded when the scenario has few enough (capacity reserved up front).
    pub(super) map_writes: Option<Vec<MapWrite>>,
}

impl Sim {
    /// Builds the simulation: the heap with `[heap] live`, every map (makemap, with its
    /// allocations), the programs, and every goroutine scheduled at time 0 in order.
    pub fn new(sc: &Scenario) -> Result<Sim, Unsupported> {
        let lookup = |name: &str| sc.map_index(name);
        let mut programs = Vec::with_capacity(sc.goroutines.len());
        for g in &sc.goroutines {
            programs.push(Program::compile(&g.program, &lookup)?);
        }
        let goroutine_count: u32 = sc.goroutines.iter().map(|g| g.count).sum();
        let mut gc = new_gc(sc, goroutine_count);
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
            });
            map_meta.push((
                spec.name.clone(),
                spec.key.text().to_string(),
                spec.elem.text().to_string(),
            ));
        }
        let mut queue = EventQueue::new();
        let mut goroutines = Vec::new();
        for (pi, g) in sc.goroutines.iter().enumerate() {
            for _ in 0..g.count {
                let id = goroutines.len() as u32;
                goroutines.push(Goroutine {
                    program: pi as u32,
                    cursor: Default::default(),
                    time_ps: 0,
                    rng: Stream::Workload(id).rng(sc.seed),
                    done: false,
                    busy: 1.0,
                });
                queue.push(0, EventKind::Goroutine(id));
            }
        }
        let live_goroutines = goroutines.len();
        let mut sim = Sim {
            name: sc.name.clone(),
            seed: sc.seed,
            config: SimConfig::from_costs(&sc.costs),
            queue,
            programs,
            goroutines,
            maps,
            map_meta,
            work,
            gc,
            assist_ps_cycle: 0,
            assist_ps_total: 0,
            retained: (0, 0),
            live_goroutines,
            fatal: None,
            map_writes: {
                let writes: u64 = budget.iter().fold(0u64, |a, &b| a.saturating_add(b));
                let ops = sc.map_write_budget();
                (writes <= MAX_RECORDED_WRITES && ops <= MAX_RECORDED_WRITES)
                    .then(|| Vec::with_capacity(ops as usize))
            },
        };
        // Memory allocated before the program starts may already be past the first trigger.
        if sim.gc.heap_trigger_hit() && live_goroutines > 0 {
            sim.start_gc(0, false);
        }
        Ok(sim)
    }

    /// Runs every event to the end and returns the outcome.
    pub fn run(mut self) -> Outcome {
        while let Some(ev) = self.queue.pop() {
            if self.fatal.is_some() {
                break;
            }
            match ev.kind {
                EventKind::Goroutine(g) => self.run_goroutine(g as usize),
                // A program that has exited runs no more GC work.
                EventKind::GcMarkEnd | EventKind::ForceGc if self.live_goroutines == 0 => {}
                EventKind::GcMarkEnd => self.finish_gc(ev.time),
                EventKind::ForceGc => {
                    if self.gc.forced_due(ev.time) {
                        self.start_gc(ev.time, true);
                    }
                }
            }
        }
        self.outcome()
    }

    /// runtime/mgc.go: gcStart at `now_ns`: stops the world, schedules the mark's end.
    pub(super) fn start_gc(&mut self, now_ns: u64, forced: bool) {
        let busy: f64 = self
            .goroutines
            .iter()
            .filter(|g| !g.done)
            .map(|g| g.busy)
            .sum();
        let end = self.gc.start_cycle(now_ns, forced, busy);
        self.assist_ps_cycle = 0;
        self.queue.push(end, EventKind::GcMarkEnd);
    }

    /// The mark phase ends: mark termination, then perhaps the next cycle at once (the
    /// heap may already be past the new trigger), and the forced-GC timer.
    fn finish_gc(&mut self, now_ns: u64) {
        let assist_ns = self.assist_ps_cycle / 1000;
        self.assist_ps_total += self.assist_ps_cycle;
        self.assist_ps_cycle = 0;
        let end = self.gc.finish_cycle(now_ns, assist_ns);
        if self.gc.heap_trigger_hit() {
            self.start_gc(end, false);
        } else if let Some(t) = self.gc.next_forced_ns() {
            self.queue.push(t, EventKind::ForceGc);
        }
    }

    /// Runs goroutine `g` until its clock reaches the next pending event (then reschedules
    /// it) or its program ends. Running ahead while nothing else can happen gives exactly
    /// the result of one event per step, without the queue traffic.
    fn run_goroutine(&mut self, g: usize) {
        loop {
            // The world may be stopped: the goroutine resumes when it restarts.
            let stopped = self.gc.stopped_until_ns * 1000;
            if self.goroutines[g].time_ps < stopped {
                self.goroutines[g].time_ps = stopped;
            }
            let horizon = self.queue.next_time();
            if self.goroutines[g].time_ps / 1000 >= horizon {
                self.queue.push(
                    self.goroutines[g].time_ps / 1000,
                    EventKind::Goroutine(g as u32),
                );
                return;
            }
            if !self.step(g, horizon) {
                self.goroutines[g].done = true;
                self.live_goroutines -= 1;
                return;
            }
        }
    }

    fn outcome(self) -> Outcome {
        let end_ps = self.goroutines.iter().map(|g| g.time_ps).max().unwrap_or(0);
        let maps = self
            .maps
            .into_iter()
            .zip(self.map_meta)
            .map(|(slot, (name, key, elem))| {
                let m = slot.map;
                let shape = match &m {
                    GoMap::Classic(c) => MapShape::Classic {
                        bucket_size: c.layout().bucket_size(),
                        b: c.b(),
                        noverflow: c.noverflow(),
                        growing: c.growing(),
                    },
                    GoMap::Swiss(s) => MapShape::Swiss {
                        group_size: s.layout().swiss_group_size(),
                        capacity: s.capacity(),
                        tables: s.tables().count() as u64,
                        global_depth: s.global_depth(),
                    },
                };
                MapOutcome {
                    name,
                    key,
                    elem,
                    implementation: m.implementation(),
                    shape,
                    count: m.len(),
                    stats: *m.stats(),
                    live_bytes: m.live_bytes(),
                    events: m.events().to_vec(),
                }
            })
            .collect();
        let procs = self.gc.cycles.first().map_or(0, |c| c.procs);
        Outcome {
            scenario: self.name,
            seed: self.seed,
            procs,
            sim_time_ns: end_ps.div_ceil(1000),
            work: self.work,
            maps,
            total_gc_cpu_ns: self.gc.total_gc_cpu_ns(),
            limited_cycles: self.gc.limited_cycles,
            pauses_ns: self.gc.pauses_ns.clone(),
            assist_ns: self.assist_ps_total / 1000,
            total_alloc_bytes: self.gc.heap.total_alloc,
            total_alloc_objects: self.gc.heap.total_alloc_objects,
            peak_heap_bytes: self.gc.heap.peak_in_use,
            peak_total_bytes: self.gc.heap.peak_mapped,
            gc: self.gc.cycles,
            fatal: self.fatal.map(String::from),
            map_writes: self.map_writes.unwrap_or_default(),
            overflowed: end_ps >= u64::MAX / 2,
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
