//! A scenario compiled for the engine and the explorer alike: the programs of its goroutine
//! groups and arrival sources, its mutexes, its request names, the maps, heap and GC it
//! starts with, and the prices of work. The engine reads only this, never the file format.

use super::gc::{Gc, GcParams};
use super::program::{Instr, Named, Program, Unsupported, lock_table};
use super::rng::Stream;
use super::sched::SchedCosts;
use super::sim::SimConfig;
use crate::model::gc::pacer::Pacer;
use crate::model::gomap::{GoMap, MapLayout, Work};
use crate::model::heap::{Heap, NonHeapModel};
use crate::scenario::types::{Gogc, MemLimit, Op, Process, Scenario, Start, go_minor};

/// One mutex of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    pub name: String,
    /// Used with RLock/RUnlock somewhere: an RWMutex, with its own messages.
    pub rw: bool,
}

/// A `[[goroutines]]` group: `count` goroutines running program `i` (its index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The group's name; its goroutines are `name#r` when there are several.
    pub name: String,
    /// How many goroutines run the group's program.
    pub count: u32,
    /// They wait at a start line main opens after the last spawn (`start = "together"`).
    pub together: bool,
}

/// An `[[arrivals]]` source as the engine runs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The source's name, also its request's.
    pub name: String,
    /// Mean gap between arrivals (ps).
    pub gap_ps: f64,
    /// Exponential gaps (a Poisson process), or constant ones.
    pub poisson: bool,
    /// No arrival after this time (ps).
    pub end_ps: u64,
}

/// A map as `make(map[K]V, hint)` creates it at the start.
#[derive(Debug, Clone, PartialEq)]
pub struct MapSetup {
    /// The map's name, and its key and element types as written.
    pub name: String,
    pub key: String,
    pub elem: String,
    pub layout: MapLayout,
    /// `make`'s size hint.
    pub hint: u64,
    /// A Swiss-table map (go1.24+ or `impl = "swiss"`), else the classic one.
    pub swiss: bool,
    /// The program deletes, reads or churns it: its keys are tracked to pick existing ones.
    pub tracks_live: bool,
    /// Most keys the program can insert into it.
    pub key_budget: u64,
}

/// A scenario compiled for the engine: the programs of its goroutine groups, then one per
/// `[[arrivals]]` source (its body as one request named after the source), and everything
/// else a run needs.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The scenario's name and seed.
    pub name: String,
    pub seed: u64,
    /// GOMAXPROCS.
    pub procs: u32,
    pub programs: Vec<Program>,
    /// For each program, the mutex of each of its lock instructions.
    pub lock_of: Vec<Vec<u32>>,
    pub locks: Vec<LockInfo>,
    /// Request names, in order of first appearance.
    pub requests: Vec<String>,
    /// The goroutine groups, in order (program `i` is group `i`'s).
    pub groups: Vec<Group>,
    /// The arrival sources, in order (their programs follow the groups').
    pub sources: Vec<Source>,
    pub maps: Vec<MapSetup>,
    pub slices: Vec<super::slices::SliceSetup>,
    /// `[heap] live`: bytes reachable before the program starts.
    pub live_bytes: u64,
    /// `[heap] stack`: each goroutine's stack.
    pub stack_bytes: u64,
    /// The heap, the pacer and the GC's parameters, before anything is allocated.
    pub gc: Gc,
    /// `[costs]` of map work and allocation, and of the scheduler.
    pub prices: SimConfig,
    pub sched: SchedCosts,
    /// Requests that start before this (ps) are left out of the statistics.
    pub warmup_ps: u64,
    /// Most map writes the program can make (to size the record of them).
    pub map_write_budget: u64,
}

impl Compiled {
    /// Compiles `sc`: every op it can run, or the first it cannot.
    pub fn new(sc: &Scenario) -> Result<Compiled, Unsupported> {
        let lookup = |name: &str, kind: Named| match kind {
            Named::Map => sc.map_index(name),
            Named::Slice => sc.slices.iter().position(|s| s.name == name),
        };
        let mut requests = Vec::new();
        let mut programs = Vec::with_capacity(sc.goroutines.len() + sc.arrivals.len());
        for g in &sc.goroutines {
            programs.push(Program::compile(&g.program, &lookup, &mut requests)?);
        }
        for a in &sc.arrivals {
            let body = vec![Op::Request {
                name: a.name.clone(),
                body: a.body.clone(),
            }];
            programs.push(Program::compile(&body, &lookup, &mut requests)?);
        }
        let (names, lock_of) = lock_table(&programs);
        let mut locks: Vec<LockInfo> = names
            .into_iter()
            .map(|name| LockInfo { name, rw: false })
            .collect();
        for (pi, prog) in programs.iter().enumerate() {
            for instr in &prog.instrs {
                if let Instr::Rlock { lock } | Instr::Runlock { lock } = *instr {
                    locks[lock_of[pi][lock as usize] as usize].rw = true;
                }
            }
        }
        let goroutines: u32 = sc.goroutines.iter().map(|g| g.count).sum();
        let budget = sc.key_budget();
        let maps = sc
            .maps
            .iter()
            .enumerate()
            .map(|(i, spec)| MapSetup {
                name: spec.name.clone(),
                key: spec.key.text().to_string(),
                elem: spec.elem.text().to_string(),
                layout: map_layout(spec, &sc.runtime.go),
                hint: spec.hint,
                swiss: swiss_map(spec, &sc.runtime.go),
                tracks_live: programs.iter().any(|p| {
                    p.instrs.iter().any(|ins| match *ins {
                        Instr::Delete { map, .. }
                        | Instr::Read { map, .. }
                        | Instr::Churn { map, .. } => map as usize == i,
                        _ => false,
                    })
                }),
                key_budget: budget.get(i).copied().unwrap_or(0),
            })
            .collect();
        let c = &sc.costs;
        Ok(Compiled {
            name: sc.name.clone(),
            seed: sc.seed,
            procs: sc.runtime.gomaxprocs.max(1),
            programs,
            lock_of,
            locks,
            requests,
            groups: sc
                .goroutines
                .iter()
                .map(|g| Group {
                    name: g.name.clone(),
                    count: g.count,
                    together: g.start == Start::Together,
                })
                .collect(),
            sources: sc
                .arrivals
                .iter()
                .map(|a| Source {
                    name: a.name.clone(),
                    gap_ps: 1e18 / a.rate.micro_hz().max(1) as f64,
                    poisson: a.process == Process::Poisson,
                    end_ps: a.duration.as_ps(),
                })
                .collect(),
            maps,
            slices: sc
                .slices
                .iter()
                .map(|s| super::slices::SliceSetup {
                    name: s.name.clone(),
                    elem: s.elem.text().to_string(),
                    elem_size: s.elem.size(),
                    noscan: !s.elem.has_pointers(),
                    cap: s.cap,
                    local: s.scope == crate::scenario::types::SliceScope::Goroutine,
                    malloc: crate::model::malloc::Malloc {
                        headers: malloc_headers(&sc.runtime.go),
                    },
                })
                .collect(),
            live_bytes: sc.heap.live.0,
            stack_bytes: sc.heap.stack.0,
            gc: new_gc(sc, goroutines.max(1)),
            prices: SimConfig::from_costs(c),
            sched: SchedCosts {
                spawn_ps: c.goroutine_spawn.as_ps(),
                switch_ps: c.sched_switch.as_ps(),
                wake_ps: c.p_wake.as_ps(),
                wake_max_ps: c.p_wake_max.as_ps(),
                rewake_ps: c.p_rewake.as_ps(),
                fresh_page_ps: c.page_fault_fresh.as_ps(),
                main_wait_ps: c.main_wait.as_ps(),
                mutex_ps: c.mutex_op.as_ps(),
            },
            warmup_ps: sc.warmup.as_ps(),
            map_write_budget: sc.map_write_budget(),
        })
    }

    /// Goroutines of the `[[goroutines]]` groups.
    pub fn goroutine_count(&self) -> u32 {
        self.groups.iter().map(|g| g.count).sum()
    }

    /// The heap and GC at the start: `[heap] live` allocated, then every map made (makemap,
    /// whose allocations go on the heap and into `work`, and each map's into `map_work`),
    /// then every slice (makeslice).
    pub(crate) fn start(
        &self,
        work: &mut Work,
        map_work: &mut Vec<Work>,
    ) -> (Gc, Vec<(GoMap, MapLayout)>, Vec<super::slices::SliceSlot>) {
        let mut gc = self.gc.clone();
        if self.live_bytes > 0 {
            gc.alloc(self.live_bytes, 1, self.live_bytes, 0);
        }
        let maps = (0..self.maps.len())
            .map(|i| {
                let mut w = Work::default();
                let made = self.make_map(i, &mut w);
                gc.alloc(w.alloc_bytes, w.alloc_objects, w.alloc_bytes, 48);
                work.add(&w);
                map_work.push(w);
                made
            })
            .collect();
        let slices = self
            .slices
            .iter()
            .map(|s| {
                // A goroutine's own slice is made where it first uses it.
                let slice = if s.local {
                    crate::model::slice::Slice::make(s.elem_size, s.noscan, 0, s.malloc)
                } else {
                    s.make()
                };
                let bytes = slice.array_bytes();
                if bytes > 0 {
                    gc.alloc(bytes, 1, bytes, if s.noscan { 0 } else { bytes });
                }
                super::slices::SliceSlot {
                    slice,
                    events: Vec::new(),
                    local: s.local,
                    local_stats: Default::default(),
                    owner: None,
                    owner_appends: 0,
                    owner_done: false,
                }
            })
            .collect();
        (gc, maps, slices)
    }

    /// makemap for map `i`: its layout, its hash seed from the map's own stream, its
    /// implementation; the allocations go into `w`.
    fn make_map(&self, i: usize, w: &mut Work) -> (GoMap, MapLayout) {
        let m = &self.maps[i];
        let rng = Stream::MapHash(i as u32).rng(self.seed);
        let map = GoMap::new(m.layout, m.hint, m.swiss, rng, w);
        (map, m.layout)
    }
}

/// The layout of a scenario's map: sizes, pointers, the compiler's fast path for its key
/// type, and the release's allocation rule.
fn map_layout(spec: &crate::scenario::types::MapSpec, go: &str) -> MapLayout {
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
        fractional_mutator_share: c.fractional_mutator_share,
        scavenge_run_ps: c.scavenge_run.as_ps(),
        scavenge_per_kib_ps: c.scavenge_per_kib.as_ps(),
        sweep_per_page_ps: c.sweep_per_page.as_ps(),
    };
    Gc::new(pacer, heap, params)
}
