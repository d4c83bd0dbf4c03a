//! A scenario compiled for the engine and the explorer alike: the programs of its goroutine
//! groups and arrival sources, its mutexes, its request names, and the maps, heap and GC it
//! starts with.

use super::gc::{Gc, GcParams};
use super::program::{Instr, Program, Unsupported, lock_table};
use super::rng::Stream;
use crate::model::gc::pacer::Pacer;
use crate::model::gomap::{GoMap, MapLayout, Work};
use crate::model::heap::{Heap, NonHeapModel};
use crate::scenario::types::{Gogc, MemLimit, Op, Scenario, go_minor};

/// One mutex of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    pub name: String,
    /// Used with RLock/RUnlock somewhere: an RWMutex, with its own messages.
    pub rw: bool,
}

/// The programs of a scenario: one per `[[goroutines]]` group, then one per `[[arrivals]]`
/// source (its body as one request named after the source).
#[derive(Debug, Clone)]
pub struct Compiled {
    pub programs: Vec<Program>,
    /// For each program, the mutex of each of its lock instructions.
    pub lock_of: Vec<Vec<u32>>,
    pub locks: Vec<LockInfo>,
    /// Request names, in order of first appearance.
    pub requests: Vec<String>,
}

impl Compiled {
    pub fn new(sc: &Scenario) -> Result<Compiled, Unsupported> {
        let lookup = |name: &str| sc.map_index(name);
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
        Ok(Compiled {
            programs,
            lock_of,
            locks,
            requests,
        })
    }
}

/// makemap for the scenario's map `i`: its layout, its hash seed from the map's own stream,
/// its implementation; the allocations go into `w`.
pub(crate) fn make_map(sc: &Scenario, i: usize, w: &mut Work) -> (GoMap, MapLayout) {
    let spec = &sc.maps[i];
    let layout = map_layout(spec, &sc.runtime.go);
    let rng = Stream::MapHash(i as u32).rng(sc.seed);
    let map = GoMap::new(layout, spec.hint, swiss_map(spec, &sc.runtime.go), rng, w);
    (map, layout)
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
pub(crate) fn new_gc(sc: &Scenario, goroutines: u32) -> Gc {
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
