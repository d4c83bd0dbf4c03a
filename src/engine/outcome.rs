//! What a run produced, for reports: the maps, the GC cycles, the pauses, the requests.

use super::latency::Histogram;
use super::profile::ProfileSample;
use super::scrape::MetricsSample;
use super::sim::Sim;
use crate::model::gc::GcCycle;
use crate::model::gomap::{GoMap, MapEvent, Work};

/// One map write, for map_ops.csv: what it cost and where the evacuation stood after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapWrite {
    /// The map written (index into the scenario's maps).
    pub map: u32,
    /// The write's 1-based index (map_events.csv's `op`).
    pub op: u64,
    /// Simulated time the operation took (ns), assists and GC sharing included.
    pub cost_ns: u64,
    /// Old buckets (classic) or groups of a rebuilt table (Swiss) the write moved.
    pub evacuated_buckets: u64,
    /// `h.nevacuate` and the old bucket count after the write (0, 0 when not growing).
    pub nevacuate: u64,
    /// The old bucket count (see `nevacuate`).
    pub old_buckets: u64,
    /// Heap bytes the map keeps alive after the write.
    pub live_bytes: u64,
}

/// Runs with more map writes than this do not record them one by one.
pub const MAX_RECORDED_WRITES: u64 = 200_000;

/// The result of a run, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Heap allocations by goroutine, op and runtime path (a heap profile's samples).
    pub alloc_profile: Vec<ProfileSample>,
    /// Metrics scrapes, when the run was asked for them (`Sim::scrape_every`).
    pub metrics: Vec<MetricsSample>,
    /// The run was stopped from outside (a time limit) before the program ended.
    pub stopped: bool,
    /// The scenario's name.
    pub scenario: String,
    /// The scenario's seed.
    pub seed: u64,
    /// GOMAXPROCS.
    pub procs: u32,
    /// Virtual time when the last goroutine ended or the program died (ns).
    pub sim_time_ns: u64,
    /// Total map work across all maps.
    pub work: Work,
    /// Each map at the end, in the scenario's order.
    pub maps: Vec<MapOutcome>,
    /// Each slice at the end, in the scenario's order.
    pub slices: Vec<super::slices::SliceOutcome>,
    /// The GC cycles that finished, in order.
    pub gc: Vec<GcCycle>,
    /// Every stop-the-world pause, in order (ns).
    pub pauses_ns: Vec<u64>,
    /// CPU the program's goroutines spent in mark assists (ns).
    pub assist_ns: u64,
    /// CPU spent on GC over the run (ns), idle marking left out as the runtime leaves it
    /// out of its utilisation (runtime/mgc.go: gcMarkTermination).
    pub total_gc_cpu_ns: u64,
    /// Cycles the CPU limiter ran with assists off.
    pub limited_cycles: u32,
    /// Bytes allocated over the run, the initial `[heap] live` and the maps' makemap
    /// included.
    pub total_alloc_bytes: u64,
    /// Heap objects allocated over the run.
    pub total_alloc_objects: u64,
    /// Peak of heap object bytes allocated and not yet swept (`heapAlloc`).
    pub peak_heap_bytes: u64,
    /// Peak of all mapped memory, heap and non-heap (what GOMEMLIMIT limits).
    pub peak_total_bytes: u64,
    /// Go's fatal error message if the program died.
    pub fatal: Option<String>,
    /// How the program came to die, in words (who held the map, who saw it).
    pub fatal_detail: Option<String>,
    /// A goroutine's clock ran past 2^64 ps (213 days): the numbers are not to be trusted.
    pub overflowed: bool,
    /// Every map write, when there are at most `MAX_RECORDED_WRITES` (200000) of them.
    pub map_writes: Vec<MapWrite>,
    /// Latencies of each request name (those that started after the warm-up), in order of
    /// first appearance in the scenario.
    pub requests: Vec<RequestOutcome>,
    /// Requests that start before this time are left out of `requests` (ns).
    pub warmup_ns: u64,
    /// The most goroutines alive at once.
    pub max_goroutines: u64,
    /// When each goroutine of `[[goroutines]]` ended, in spawn order (ns; 0: it did not).
    pub goroutine_ends_ns: Vec<u64>,
    /// Events the engine handled (a measure of its work, for benchmarks).
    pub events: u64,
    /// The execution trace, when the run was asked for one (`Sim::traced`).
    pub exec_trace: Option<Box<super::exectrace::ExecTrace>>,
}

/// The latencies of one request name.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestOutcome {
    /// The request's name.
    pub name: String,
    /// Latencies of the requests that started after the warm-up (ns).
    pub latency: Histogram,
}

impl RequestOutcome {
    /// Requests completed per second of virtual time after the warm-up.
    pub fn throughput_rps(&self, sim_time_ns: u64, warmup_ns: u64) -> f64 {
        let span = sim_time_ns.saturating_sub(warmup_ns);
        if span == 0 {
            return 0.0;
        }
        self.latency.count() as f64 * 1e9 / span as f64
    }
}

/// One map at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct MapOutcome {
    /// The map's name.
    pub name: String,
    /// The key type, as written in the scenario.
    pub key: String,
    /// The element type, as written in the scenario.
    pub elem: String,
    /// "classic" or "swiss".
    pub implementation: &'static str,
    /// Its layout at the end.
    pub shape: MapShape,
    /// `len(m)` at the end.
    pub count: u64,
    /// Running totals: writes, growths, overflow buckets, bytes.
    pub stats: crate::model::gomap::MapStats,
    /// Heap bytes the map keeps alive at the end.
    pub live_bytes: u64,
    /// Its growth events, in order.
    pub events: Vec<MapEvent>,
}

/// How a map is laid out at the end of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapShape {
    /// hmap: `2^b` buckets of `bucket_size` bytes, `noverflow`, a growth in progress.
    Classic {
        /// `t.bucketsize`, in bytes.
        bucket_size: u64,
        /// `h.B`: log2 of the number of buckets.
        b: u8,
        /// `h.noverflow`: the (approximate for B >= 16) number of overflow buckets.
        noverflow: u16,
        /// An evacuation is in progress (runtime/map.go: (*hmap).growing).
        growing: bool,
    },
    /// maps.Map: `capacity` slots in `tables` tables under a directory of depth
    /// `global_depth` (no tables: a small map), groups of `group_size` bytes.
    Swiss {
        /// `SwissMapType.GroupSize`, in bytes.
        group_size: u64,
        /// Slots: 8 for a small map with its group (0 before it has one), else the
        /// tables' capacities summed.
        capacity: u64,
        /// Distinct tables (0: a small map).
        tables: u64,
        /// `m.globalDepth`: the directory has `1 << global_depth` entries.
        global_depth: u8,
    },
}

impl Sim {
    pub(super) fn outcome(mut self) -> Outcome {
        let end_ps = self.end_ps;
        let mut scraper = self.scraper;
        if let Some(s) = &mut scraper {
            s.finish(end_ps.div_ceil(1000), &self.gc, self.live_goroutines);
        }
        let metrics = scraper.map(|s| s.samples).unwrap_or_default();
        let exec_trace = self.tracer.take().map(|mut tr| {
            let events = tr.take();
            Box::new(super::exectrace::ExecTrace {
                events,
                window_ns: tr.window_ns(),
                cut_at_ns: tr.cut_at_ns,
                procs: self.ps.len() as u32,
                program_names: self.program_names.clone(),
                labels: self.programs.iter().map(|p| p.labels.clone()).collect(),
                map_names: self.map_meta.iter().map(|m| m.0.clone()).collect(),
                request_names: self.request_names.clone(),
            })
        });
        let maps: Vec<&GoMap> = self.maps.iter().map(|s| &s.map).collect();
        let alloc_profile = self
            .profile
            .samples_of(&self.programs, &self.program_names, &maps);
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
        let procs = self.ps.len() as u32;
        Outcome {
            scenario: self.name,
            seed: self.seed,
            procs,
            sim_time_ns: end_ps.div_ceil(1000),
            work: self.work,
            maps,
            slices: self
                .slices
                .into_iter()
                .zip(&self.slice_setups)
                .zip(&self.slice_appends)
                .enumerate()
                .map(|(i, ((slot, setup), &appends))| {
                    let alive = self
                        .goroutines
                        .iter()
                        .flat_map(|g| &g.slices)
                        .filter(|(s, _)| *s as usize == i)
                        .map(|(_, sl)| sl);
                    slot.outcome(setup, appends, alive)
                })
                .collect(),
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
            fatal_detail: self.fatal_detail,
            map_writes: self.map_writes.unwrap_or_default(),
            overflowed: end_ps >= u64::MAX / 2,
            requests: self
                .request_names
                .into_iter()
                .zip(self.latency)
                .map(|(name, latency)| RequestOutcome { name, latency })
                .collect(),
            warmup_ns: self.warmup_ps / 1000,
            max_goroutines: self.max_goroutines,
            goroutine_ends_ns: self.ends_ps.iter().map(|t| t / 1000).collect(),
            events: self.events,
            alloc_profile,
            exec_trace,
            metrics,
            stopped: self.stopped,
        }
    }
}
