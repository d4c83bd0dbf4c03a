//! The simulation: goroutines running their programs as events on one virtual clock, against
//! the map models. Time comes from the `[costs]` model applied to the work each operation did.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::program::{Instr, Program, Unsupported};
use super::queue::{EventKind, EventQueue};
use super::rng::Stream;
use crate::model::gomap::{ClassicMap, GoMap, MapEvent, MapLayout, Work};
use crate::scenario::types::{Costs, Scenario};

/// Prices of work, in picoseconds, so sub-nanosecond costs accumulate exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimConfig {
    pub map_op_ps: u64,
    pub overflow_probe_ps: u64,
    pub evacuate_entry_ps: u64,
    pub evacuate_bucket_ps: u64,
    pub alloc_per_kib_ps: u64,
    pub iter_entry_ps: u64,
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
        }
    }

    /// Time of `w`, in picoseconds.
    #[inline]
    pub fn price(&self, w: &Work) -> u64 {
        w.ops * self.map_op_ps
            + w.overflow_probes * self.overflow_probe_ps
            + w.evacuated_entries * self.evacuate_entry_ps
            + w.evacuated_buckets * self.evacuate_bucket_ps
            + w.iterated_entries * self.iter_entry_ps
            + w.alloc_bytes * self.alloc_per_kib_ps / 1024
    }
}

/// One simulated map and the workload's view of it.
#[derive(Debug)]
struct MapSlot {
    map: GoMap,
    /// Keys present, for picking random existing keys; kept only when the program deletes,
    /// reads or churns this map.
    live: Vec<u64>,
    track_live: bool,
    /// Next fresh key identity.
    next_key: u64,
}

/// A goroutine's execution state.
#[derive(Debug)]
struct Goroutine {
    program: u32,
    pc: u32,
    /// Units left of the current instruction; 0 when it has not started.
    rem: u64,
    /// (loop start index, iterations left).
    loops: Vec<(u32, u64)>,
    /// Local time in picoseconds.
    time_ps: u64,
    rng: ChaCha8Rng,
    done: bool,
}

/// The result of a run, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub scenario: String,
    pub seed: u64,
    pub sim_time_ns: u64,
    /// Total work across all maps.
    pub work: Work,
    pub maps: Vec<MapOutcome>,
    /// Go's fatal error message if the program died.
    pub fatal: Option<String>,
}

/// One map at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOutcome {
    pub name: String,
    pub key: String,
    pub elem: String,
    pub implementation: &'static str,
    pub bucket_size: u64,
    pub b: u8,
    pub count: u64,
    pub noverflow: u16,
    pub growing: bool,
    pub stats: crate::model::gomap::MapStats,
    pub live_bytes: u64,
    pub events: Vec<MapEvent>,
}

/// A simulation of one scenario.
#[derive(Debug)]
pub struct Sim {
    name: String,
    seed: u64,
    config: SimConfig,
    queue: EventQueue,
    programs: Vec<Program>,
    goroutines: Vec<Goroutine>,
    maps: Vec<MapSlot>,
    map_meta: Vec<(String, String, String)>,
    work: Work,
}

impl Sim {
    /// Builds the simulation: makes every map (makemap, with its allocations), compiles the
    /// programs and schedules every goroutine at time 0 in declaration order.
    pub fn new(sc: &Scenario) -> Result<Sim, Unsupported> {
        let mut work = Work::default();
        let lookup = |name: &str| sc.map_index(name);
        let mut programs = Vec::with_capacity(sc.goroutines.len());
        for g in &sc.goroutines {
            programs.push(Program::compile(&g.program, &lookup)?);
        }
        let budget = sc.key_budget();
        let mut maps = Vec::with_capacity(sc.maps.len());
        let mut map_meta = Vec::with_capacity(sc.maps.len());
        for (i, spec) in sc.maps.iter().enumerate() {
            let layout = MapLayout {
                key_size: spec.key.size(),
                elem_size: spec.elem.size(),
                key_has_pointers: spec.key.has_pointers(),
                elem_has_pointers: spec.elem.has_pointers(),
            };
            let rng = Stream::MapHash(i as u32).rng(sc.seed);
            let map = GoMap::Classic(ClassicMap::new(layout, spec.hint, rng, &mut work));
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
            maps.push(MapSlot {
                map,
                live,
                track_live,
                next_key: 0,
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
                    pc: 0,
                    rem: 0,
                    loops: Vec::new(),
                    time_ps: 0,
                    rng: Stream::Workload(id).rng(sc.seed),
                    done: false,
                });
                queue.push(0, EventKind::Goroutine(id));
            }
        }
        Ok(Sim {
            name: sc.name.clone(),
            seed: sc.seed,
            config: SimConfig::from_costs(&sc.costs),
            queue,
            programs,
            goroutines,
            maps,
            map_meta,
            work,
        })
    }

    /// Runs every event to the end and returns the outcome.
    pub fn run(mut self) -> Outcome {
        while let Some(ev) = self.queue.pop() {
            match ev.kind {
                EventKind::Goroutine(g) => self.run_goroutine(g as usize),
            }
        }
        self.outcome()
    }

    /// Runs goroutine `g` until its clock reaches the next pending event (then reschedules
    /// it) or its program ends. Running ahead while nothing else can happen gives exactly
    /// the result of one event per operation, without the queue traffic.
    fn run_goroutine(&mut self, g: usize) {
        let horizon = self.queue.next_time();
        loop {
            let mut w = Work::default();
            if !self.step(g, &mut w) {
                self.goroutines[g].done = true;
                return;
            }
            let cost = self.config.price(&w);
            add_work(&mut self.work, &w);
            let gs = &mut self.goroutines[g];
            gs.time_ps += cost;
            let t = gs.time_ps / 1000;
            if t >= horizon {
                self.queue.push(t, EventKind::Goroutine(g as u32));
                return;
            }
        }
    }

    /// Executes one unit of goroutine `g`'s program (one map operation); false when the
    /// program has ended.
    fn step(&mut self, g: usize, w: &mut Work) -> bool {
        let gs = &mut self.goroutines[g];
        let prog = &self.programs[gs.program as usize];
        loop {
            let Some(&instr) = prog.instrs.get(gs.pc as usize) else {
                return false;
            };
            let (map, n) = match instr {
                Instr::Loop { times, .. } => {
                    gs.loops.push((gs.pc, times));
                    gs.pc += 1;
                    continue;
                }
                Instr::EndLoop { start } => {
                    let top = gs.loops.last_mut().expect("loop stack matches markers");
                    top.1 -= 1;
                    if top.1 > 0 {
                        gs.pc = start + 1;
                    } else {
                        gs.loops.pop();
                        gs.pc += 1;
                    }
                    continue;
                }
                Instr::Insert { map, n }
                | Instr::Delete { map, n }
                | Instr::Churn { map, n }
                | Instr::Read { map, n } => (map, n),
                Instr::Iterate { map } => (map, 1),
            };
            if gs.rem == 0 {
                if n == 0 {
                    gs.pc += 1;
                    continue;
                }
                gs.rem = n;
            }
            gs.rem -= 1;
            if gs.rem == 0 {
                gs.pc += 1;
            }
            let slot = &mut self.maps[map as usize];
            match instr {
                Instr::Insert { .. } => insert_fresh(slot, w),
                Instr::Delete { .. } => {
                    delete_random(slot, &mut gs.rng, w);
                }
                Instr::Churn { .. } => {
                    delete_random(slot, &mut gs.rng, w);
                    insert_fresh(slot, w);
                }
                Instr::Read { .. } => read_random(slot, &mut gs.rng, w),
                Instr::Iterate { .. } => {
                    let GoMap::Classic(m) = &mut slot.map;
                    m.iterate(w, |_| {});
                }
                Instr::Loop { .. } | Instr::EndLoop { .. } => unreachable!("handled above"),
            }
            return true;
        }
    }

    fn outcome(self) -> Outcome {
        let end_ps = self.goroutines.iter().map(|g| g.time_ps).max().unwrap_or(0);
        let maps = self
            .maps
            .into_iter()
            .zip(self.map_meta)
            .map(|(slot, (name, key, elem))| {
                let GoMap::Classic(m) = slot.map;
                MapOutcome {
                    name,
                    key,
                    elem,
                    implementation: "classic",
                    bucket_size: m.layout().bucket_size(),
                    b: m.b(),
                    count: m.len(),
                    noverflow: m.noverflow(),
                    growing: m.growing(),
                    stats: *m.stats(),
                    live_bytes: m.live_bytes(),
                    events: m.events().to_vec(),
                }
            })
            .collect();
        Outcome {
            scenario: self.name,
            seed: self.seed,
            sim_time_ns: end_ps.div_ceil(1000),
            work: self.work,
            maps,
            fatal: None,
        }
    }
}

/// `m[k] = v` with a key never used before.
#[inline]
fn insert_fresh(slot: &mut MapSlot, w: &mut Work) {
    let key = slot.next_key;
    slot.next_key += 1;
    let GoMap::Classic(m) = &mut slot.map;
    m.assign(key, w);
    if slot.track_live {
        slot.live.push(key);
    }
}

/// `delete(m, k)` of a uniformly chosen existing key; a no-op delete when the map is empty.
#[inline]
fn delete_random(slot: &mut MapSlot, rng: &mut ChaCha8Rng, w: &mut Work) {
    let GoMap::Classic(m) = &mut slot.map;
    if slot.live.is_empty() {
        m.delete(u64::MAX, w);
        return;
    }
    let i = rng.random_range(0..slot.live.len());
    let key = slot.live.swap_remove(i);
    m.delete(key, w);
}

/// `_ = m[k]` of a uniformly chosen existing key (a missing key when the map is empty).
#[inline]
fn read_random(slot: &mut MapSlot, rng: &mut ChaCha8Rng, w: &mut Work) {
    let GoMap::Classic(m) = &slot.map;
    let key = if slot.live.is_empty() {
        u64::MAX
    } else {
        slot.live[rng.random_range(0..slot.live.len())]
    };
    m.get(key, w);
}

#[inline]
fn add_work(total: &mut Work, w: &Work) {
    total.ops += w.ops;
    total.overflow_probes += w.overflow_probes;
    total.evacuated_buckets += w.evacuated_buckets;
    total.evacuated_entries += w.evacuated_entries;
    total.iterated_entries += w.iterated_entries;
    total.alloc_bytes += w.alloc_bytes;
    total.alloc_objects += w.alloc_objects;
    total.garbage_bytes += w.garbage_bytes;
}
