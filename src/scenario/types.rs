//! The scenario file's types: the TOML contract of DESIGN.md, as serde structs.
//!
//! Every table denies unknown fields, so a typo is an error rather than a silent default.
//! Values with units (`"64MiB"`, `"250us"`, `"200MiB/s"`) and Go types (`"[32]byte"`) are
//! parsed by their own types in `units` and `gotype`, so a bad value's error carries its span.

use serde::{Deserialize, Serialize};

use super::gotype::GoType;
use super::units::{Bytes, Dur, Frequency, Rate};

/// A whole scenario: one simulated Go program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Names the run in its outputs (summary.json's `scenario`, the default
    /// `results/<name>/`).
    pub name: String,
    /// The seed of the run's random streams (1 by default).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Requests that start before this virtual time are left out of the latency statistics.
    #[serde(default, skip_serializing_if = "is_zero_dur")]
    pub warmup: Dur,
    /// `[runtime]`.
    #[serde(default)]
    pub runtime: Runtime,
    /// `[heap]`.
    #[serde(default)]
    pub heap: Heap,
    /// `[costs]`.
    #[serde(default)]
    pub costs: Costs,
    /// `[[maps]]`, in file order; ops name them.
    #[serde(default)]
    pub maps: Vec<MapSpec>,
    /// `[[slices]]`, in file order; ops name them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slices: Vec<SliceSpec>,
    /// `[[goroutines]]`, in file order.
    #[serde(default)]
    pub goroutines: Vec<GoroutineSpec>,
    /// Open-loop request sources: each arrival runs its body in a new goroutine.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<ArrivalSpec>,
}

fn default_seed() -> u64 {
    1
}

fn is_zero_dur(d: &Dur) -> bool {
    *d == Dur::ZERO
}

/// GOMAXPROCS as an integer, the error saying the range validation allows (1 to 1024)
/// rather than u32's.
fn gomaxprocs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::{Error, Unexpected, Visitor};
    struct Procs;
    impl Visitor<'_> for Procs {
        type Value = u32;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an integer from 1 to 1024")
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::invalid_value(Unexpected::Signed(v), &self))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
        }
    }
    d.deserialize_any(Procs)
}

/// `[runtime]`: which Go runtime, and its knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Runtime {
    /// Modelled release, `"1.19"` .. ; validated against the supported list.
    pub go: String,
    /// GOMAXPROCS: the number of Ps (1 by default).
    #[serde(deserialize_with = "gomaxprocs")]
    pub gomaxprocs: u32,
    /// GOGC (100 by default).
    pub gogc: Gogc,
    /// GOMEMLIMIT (off by default).
    pub gomemlimit: MemLimit,
}

impl Scenario {
    /// Whether anything in the run draws on the seed: map hash seeds and the keys deleted
    /// or read (maps), arrival gaps (`[[arrivals]]`), the P a steal starts from (more than
    /// one goroutine), where a mark termination finds an allocating goroutine (a goal that
    /// can fall onto the marked heap: a memory limit, or GOGC=0). Without any, every seed
    /// gives the same run.
    pub fn draws_on_seed(&self) -> bool {
        !self.maps.is_empty()
            || !self.arrivals.is_empty()
            || self.runtime.gomemlimit != MemLimit::Off
            || self.runtime.gogc == Gogc::Percent(0)
            || self
                .goroutines
                .iter()
                .map(|g| u64::from(g.count))
                .sum::<u64>()
                > 1
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime {
            go: "1.19".to_string(),
            gomaxprocs: 1,
            gogc: Gogc::Percent(100),
            gomemlimit: MemLimit::Off,
        }
    }
}

impl Runtime {
    /// The minor version of `go` (19 for "1.19"); `None` for text that is no `1.N` release.
    pub fn go_minor(&self) -> Option<u32> {
        go_minor(&self.go)
    }
}

/// The minor version of a `1.N` release text: 19 for "1.19" or "1.19.8".
pub fn go_minor(go: &str) -> Option<u32> {
    go.strip_prefix("1.")
        .and_then(|rest| rest.split('.').next())
        .and_then(|minor| minor.parse::<u32>().ok())
}

/// GOGC: a percentage, or `"off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gogc {
    /// `GOGC=off`: no heap goal from GOGC.
    Off,
    /// `GOGC=N`: the heap goal is the marked heap plus N% of it and of the GC roots
    /// (runtime/mgcpacer.go: gcControllerState.commit).
    Percent(u32),
}

/// GOMEMLIMIT: `"off"` or a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemLimit {
    /// No memory limit.
    Off,
    /// A soft limit on all memory the runtime maps, heap and non-heap.
    Limit(Bytes),
}

/// `[heap]`: memory that exists for the whole run, and the runtime's own memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Heap {
    /// Pointer-free memory reachable for the whole run, allocated before the program starts.
    pub live: Bytes,
    /// Scannable globals (`globalsScan`): GC roots, and part of the GOGC goal.
    pub globals: Bytes,
    /// Stack size of each goroutine (`stackScan`): GC roots, and part of the GOGC goal.
    pub stack: Bytes,
    /// The runtime's and standard library's own scannable globals (data and bss of a small
    /// Go binary), added to `globals`.
    pub runtime_globals: Bytes,
    /// Non-heap runtime memory counted against GOMEMLIMIT: a fixed part ...
    pub nonheap_base: Bytes,
    /// ... plus this fraction of the heap's mapped memory (span structures, mark bits,
    /// fragmentation); each 64 MiB heap arena adds its 2.07 MiB of metadata on top.
    pub nonheap_ratio: f64,
}

impl Default for Heap {
    /// Non-heap memory measured on go1.19.8 linux/amd64 with runtime/metrics (benches/go/
    /// nonheap, results/nonheap.txt): what memoryLimitHeapGoal counts as non-heap (mapped
    /// and ready, less free heap pages and heap objects) beside heaps of 5 to 554 MB, less
    /// each 64 MiB arena's metadata (model::heap::HEAP_ARENA_METADATA), is 7.2 MB plus
    /// 2.43% of the heap's mapped memory: within 0.2 MB at the end of every run but the one
    /// with no live heap (0.9 MB under).
    fn default() -> Self {
        Heap {
            live: Bytes(0),
            globals: Bytes(0),
            stack: Bytes(8 << 10),
            // Calibrated from where the measured runs trigger: the runway is
            // cons/mark x 3 x scannable roots and heap (runtime/mgcpacer.go: commit).
            runtime_globals: Bytes(112 << 10),
            nonheap_base: Bytes(7030 << 10),
            nonheap_ratio: 0.0243,
        }
    }
}

/// `[costs]`: the model's abstractions of time, explicit and documented.
/// Defaults are calibrated against Go 1.19 on the reference machine (see README).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Costs {
    /// Fixed cost of one map operation (hash, entry/exit checks, first bucket).
    pub map_op: Dur,
    /// Each further bucket of an overflow chain visited.
    pub map_overflow_probe: Dur,
    /// Moving one entry during evacuation (rehash + copy).
    pub map_evacuate_entry: Dur,
    /// Visiting one old bucket during evacuation, whatever it holds.
    pub map_evacuate_bucket: Dur,
    /// Once per process, at its first map growth: what a young process's first growth costs
    /// beyond its page faults (hashGrow, growWork and evacuate run for the first time).
    pub map_grow_first: Dur,
    /// Allocating and zeroing memory, per KiB (bucket arrays, overflow buckets).
    pub alloc_per_kib: Dur,
    /// One iteration step (one entry visited by `range`).
    pub map_iter_entry: Dur,
    /// Private cache of one core (L2). A map whose memory outgrows it misses it on a share
    /// `1 - cache_l2 / map size` of its bucket accesses ...
    pub cache_l2: Bytes,
    /// ... each such miss costing this (a load from L3).
    pub cache_l2_miss: Dur,
    /// Shared last-level cache (L3) as one core sees it: misses on `1 - cache_l3 / map
    /// size` of the bucket accesses ...
    pub cache_l3: Bytes,
    /// ... each costing this (a load from memory).
    pub cache_l3_miss: Dur,
    /// Reusing memory the scavenger released: the allocation's zeroing faults each page
    /// back in (the kernel maps and zeroes a fresh page), per KiB.
    pub page_fault_per_kib: Dur,
    /// A map's or a new goroutine stack's first write to a page of memory never used
    /// before, per 4 KiB OS page (every size class starts pages of its own). Other objects'
    /// never-used pages are in alloc_per_kib and sweep_per_kib, fitted on runs that paid
    /// them.
    pub page_fault_fresh: Dur,
    /// Releasing one run of free pages to the OS (runtime/mem_linux.go: sysUnusedOS, two
    /// madvise calls and the TLB shootdown of the other CPUs running the program) ...
    pub scavenge_run: Dur,
    /// ... plus this per KiB released.
    pub scavenge_per_kib: Dur,
    /// One `s = append(s, x)` that fits in the capacity (a store and the length's update).
    pub slice_append: Dur,
    /// growslice copying the old array into the new one (runtime/slice.go: memmove), per KiB.
    pub memmove_per_kib: Dur,
    /// mallocgc's fixed cost per object.
    pub alloc_object: Dur,
    /// Sweeping and reusing swept memory, per KiB allocated once a GC has run ...
    pub sweep_per_kib: Dur,
    /// ... plus, for `alloc` and `retain` objects, clearing reused memory that has left the
    /// last-level cache, per KiB: memory freed by one cycle is reused a cycle's garbage
    /// later, so the share `1 - cache_l3 / (heap goal - marked heap)` of it misses.
    pub alloc_miss_per_kib: Dur,
    /// ... and sweeping each 8 KiB page of the heap in use at mark termination, once per
    /// cycle (runtime/mgcsweep.go: sweepone), by the allocating goroutines and, on an idle
    /// P, the background sweeper.
    pub sweep_per_page: Dur,
    /// Marking reachable memory, per KiB (greyobject: find the span, set the mark bit).
    pub mark_per_kib: Dur,
    /// Scanning memory that holds pointers, per KiB (scanobject), on top of marking it.
    pub scan_per_kib: Dur,
    /// Fixed stop-the-world time of sweep termination (gcStart) ...
    pub stw_sweep_term: Dur,
    /// ... and of mark termination (gcMarkTermination) ...
    pub stw_mark_term: Dur,
    /// ... plus, for each phase, this per P ...
    pub stw_per_p: Dur,
    /// ... and this per goroutine.
    pub stw_per_goroutine: Dur,
    /// Share of their nominal 25% of GOMAXPROCS that background mark workers turn into mark
    /// work (they also wait for work and for the scheduler).
    pub background_mark_utilization: f64,
    /// Share of an idle P that the idle mark worker turns into mark work.
    pub idle_mark_utilization: f64,
    /// Least share of an allocating goroutine's time spent assisting during a mark: assists
    /// come in chunks of at least 64 KiB of scan work (runtime/mgcmark.go:
    /// gcOverAssistWork) before background credit builds up.
    pub mark_assist_min_share: f64,
    /// Of the fractional mark worker's time, the share taken from the Ps that run goroutines
    /// while a P is idle (runtime/proc.go: findRunnableGCWorker starts it on whichever P
    /// schedules, an idle one first): what slows the program during a mark beyond its assists.
    pub fractional_mutator_share: f64,
    /// runtime/proc.go: newproc — creating a goroutine, on the creator's time.
    pub goroutine_spawn: Dur,
    /// runtime/proc.go: schedule + execute — a P switching to another goroutine.
    pub sched_switch: Dur,
    /// main's `wg.Wait()` after its last `go` statement: semacquire parks it (a sudog from
    /// an empty cache, gopark) before P0 runs a goroutine.
    pub main_wait: Dur,
    /// runtime/proc.go: wakep — an idle P's thread woken (futex) before it looks for work,
    /// the first time: at least this ...
    pub p_wake: Dur,
    /// ... and at most this, uniformly in between (the OS wakes the thread's idle CPU).
    pub p_wake_max: Dur,
    /// ... and once the P has run goroutines and gone idle (its M asleep in stopm): this.
    pub p_rewake: Dur,
    /// An uncontended sync.Mutex Lock or Unlock (one atomic operation).
    pub mutex_op: Dur,
}

impl Default for Costs {
    /// Calibrated on go1.19.8 linux/amd64 (2-core AMD EPYC, GOGC=off) for `map[int64]int64`
    /// by benches/go/calibrate (benches/go/results/calibrate.txt): the map costs are those of
    /// buckets in cache, and the cache terms add what a map loses as it outgrows the caches.
    fn default() -> Self {
        Costs {
            // Presized inserts at 1e3..1e7 keys (21.8, 23.2, 31.7, 80.4, 99.9 ns), fitted
            // together with the cache terms below: 22.5 ns in cache.
            map_op: Dur::from_ps(22_500),
            // Lookup with 8-bucket chains minus without, per overflow bucket, at B = 10
            // (4096 keys, in cache): 8.3 ns.
            map_overflow_probe: Dur::from_ns(8),
            // Growing minus presized insert time at 1e5 keys, less allocation, split by a
            // regression over growths run at controlled fill levels.
            map_evacuate_entry: Dur::from_ns(15),
            map_evacuate_bucket: Dur::from_ns(40),
            // With page_fault_fresh below, fitted on benches/go/wake (see there).
            map_grow_first: Dur::from_ns(8_400),
            // make([]byte, n) of reused memory, 64 KiB .. 64 MiB: 50..65 ns per KiB.
            alloc_per_kib: Dur::from_ns(50),
            // for k, v := range m over 1e6 entries: 9.8 ns per entry.
            map_iter_entry: Dur::from_ns(10),
            // 1 MiB: the L2 of a core of the reference machine (lscpu). The other three are
            // fitted on the presized inserts with map_op (worst residual 3%): an L3 load
            // costs 16 ns, a memory load 64 ns, and the L3 a core of that 2-core VM
            // effectively has is 13 MiB of the 32 MiB shared one.
            cache_l2: Bytes(1 << 20),
            cache_l2_miss: Dur::from_ns(16),
            cache_l3: Bytes(13 << 20),
            cache_l3_miss: Dur::from_ns(64),
            // benches/go/scavenge (results/scavenge.txt): allocating 4 KiB objects from
            // released memory minus from resident free memory, 464 ns per KiB; one run
            // released as sysUnusedOS does with the other P busy, 12.6 us for 8 KiB and
            // 15.5 us for 64 KiB (2.7 us and 8.2 us with it idle).
            page_fault_per_kib: Dur::from_ns(460),
            // benches/go/wake (results/wake.txt, 200 fresh processes each): the first of two
            // writers started together does its 10, 100, 1000 inserts into a new
            // map[int]int in 17, 52, 208 us on average (Kaplan-Meier: a run the other writer
            // cut short counts as censored), over the model's warm 0.5, 4.8, 62 us. Its
            // bucket arrays, overflow buckets and mapextra write 2, 9, 32 never-used pages:
            // least squares gives 4.3 us a page plus 8.4 us once (map_grow_first), the model
            // 17.0, 47.1, 145.9 us of the 16.6, 47.6, 145.8 to explain (one writer alone,
            // results/wake_one.txt: 14.7, 44.7, 192 us). A fresh stack every other spawn makes
            // 100 `go` statements 0.22 ms, where go1.19 took 0.19 ms (benches/go/burst, median
            // of 100 processes).
            page_fault_fresh: Dur::from_ns(4_300),
            scavenge_run: Dur::from_ns(12_000),
            scavenge_per_kib: Dur::from_ns(55),
            // The GC costs below are calibrated on the measured gctrace runs
            // (tests/data/measured/gc_*.csv: 64 MiB live, 8 GiB of 4 KiB garbage,
            // GOMAXPROCS=2); README "Costs" explains each.
            // benches/go/slices (results/slices.txt): an append that fits a presized,
            // resident []int64 takes 0.33 or 0.55 ns (1.2 or 2 cycles, by where the loop
            // lands in the code); copy() between resident buffers 9 ns per KiB at 4 KiB
            // (18 at 64 KiB, 38 beyond the L2).
            slice_append: Dur::from_ps(600),
            memmove_per_kib: Dur::from_ns(11),
            alloc_object: Dur::from_ns(20),
            sweep_per_kib: Dur::from_ns(150),
            // 0: not seen on the AMD machines, whose program allocated as fast in a GOGC=25
            // mark as in a GOGC=100 one. On a 2-vCPU Intel Xeon go1.19.8 cleared 4 KiB objects
            // in 0.47, 0.67, 0.79, 0.82 us at 16, 32, 64, 256 MiB of garbage a cycle (GOGC=25,
            // 50, 100, 400 on 64 MiB live; runtime/trace, less assists and sweeping): 115 ns
            // a KiB beyond a 14 MiB cache (README: the Xeon's own speed by GOGC).
            alloc_miss_per_kib: Dur::ZERO,
            // perf on the exported gc_gogc at GOGC=25 (550 cycles of about 10,400 pages in
            // use): sweepone took 26.5% of 2.21 s of CPU, 102 ns a page.
            sweep_per_page: Dur::from_ns(100),
            mark_per_kib: Dur::from_ps(8_500),
            scan_per_kib: Dur::from_ns(200),
            stw_sweep_term: Dur::from_ns(27_000),
            stw_mark_term: Dur::from_ns(49_000),
            stw_per_p: Dur::ZERO,
            stw_per_goroutine: Dur::ZERO,
            background_mark_utilization: 0.5,
            idle_mark_utilization: 0.1,
            mark_assist_min_share: 0.1,
            // All of it on the reference machine: a go1.19.8 program there allocated 0.57
            // times as fast during a mark as between marks (4.06 MiB in a 1.41 ms mark, the
            // measured GOGC=100 run); on another, calibrate fits it to what the log's program
            // allocated during its marks.
            fractional_mutator_share: 1.0,
            // newproc: 65 ns per `go` statement, the median at GOMAXPROCS=1 on go1.19.8
            // (benches/go/spawn, results/spawn.txt).
            goroutine_spawn: Dur::from_ns(65),
            // benches/go/burst: a P runs 100 one-line goroutines one every 170 ns (median
            // start to start, go1.19, 100 processes): goexit, schedule, execute.
            sched_switch: Dur::from_ns(150),
            // benches/go/burst: P0 runs its first goroutine 3.0 us after main's last `go`
            // (median of 100 processes; benches/go/wake: 3.3 us after the close of a start
            // line, 600 processes).
            main_wait: Dur::from_ns(3_000),
            // The second P starts its first goroutine 3.8, 30, 55, 78, 104 us after main's
            // `go` statements (5th, 25th, 50th, 75th, 95th percentiles; benches/go/wake, the
            // 195 of 200 processes with 2 writers of 1000 keys where it came before the first
            // writer ended) and 13, 31, 47, 65, 82 us (benches/go/burst, 100 processes with
            // 100 goroutines): close to uniform on 2..100 us.
            p_wake: Dur::from_ns(2_000),
            p_wake_max: Dur::from_ns(100_000),
            // benches/go/burst: the second P, once idle, takes its next burst of goroutines
            // 74 us after its last (median; 70, 82 us at the 25th, 75th percentiles; the 153
            // gaps over 10 us in 100 processes spawning 100 goroutines), though main spawns
            // one every 2 us and each `go` calls wakep.
            p_rewake: Dur::from_ns(74_000),
            mutex_op: Dur::from_ns(15),
        }
    }
}

/// `[[maps]]`: one Go map, `make(map[key]elem, hint)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSpec {
    /// The name ops refer to the map by.
    pub name: String,
    /// The key type, in Go syntax.
    pub key: GoType,
    /// The elem type, in Go syntax.
    pub elem: GoType,
    /// The `make` size hint (0 by default).
    #[serde(default)]
    pub hint: u64,
    /// Map implementation; `None` means the one of `runtime.go`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#impl: Option<MapImpl>,
}

/// `[[slices]]`: one slice variable, `make([]elem, 0, cap)` (a nil slice when `cap` is 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SliceSpec {
    /// The name ops refer to the slice by.
    pub name: String,
    /// The element type, in Go syntax: any type, a struct with fields too.
    #[serde(deserialize_with = "super::gotype::elem_type")]
    pub elem: GoType,
    /// The capacity `make` gives it (0 by default: `var s []elem`, no allocation).
    #[serde(default)]
    pub cap: u64,
    /// `"global"` (default): one variable all goroutines share. `"goroutine"`: each
    /// goroutine has its own, made where it first uses it and garbage when it ends, as
    /// `s := make([]elem, 0, cap)` inside a request handler.
    #[serde(default, skip_serializing_if = "SliceScope::is_global")]
    pub scope: SliceScope,
}

/// Whose variable a slice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SliceScope {
    /// A package-level variable every goroutine appends to.
    #[default]
    Global,
    /// A local variable of each goroutine's function.
    Goroutine,
}

impl SliceScope {
    fn is_global(&self) -> bool {
        *self == SliceScope::Global
    }
}

/// Which map implementation models a map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MapImpl {
    /// hmap/bmap buckets, runtime/map.go (Go <= 1.23).
    Classic,
    /// Swiss tables, internal/runtime/maps (Go >= 1.24).
    Swiss,
}

/// `[[goroutines]]`: `count` identical goroutines running `program`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoroutineSpec {
    /// Names the group in outputs.
    pub name: String,
    /// How many goroutines run the program (1 by default).
    #[serde(default = "default_count")]
    pub count: u32,
    /// When the goroutines start: as main spawns them, or together at a start line.
    #[serde(default, skip_serializing_if = "Start::is_spawned")]
    pub start: Start,
    /// The ops each goroutine runs, in order.
    pub program: Vec<Op>,
}

/// When a group of goroutines starts running its program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Start {
    /// As main spawns them (`go f()`), one after another.
    #[default]
    Spawned,
    /// At a start line that main opens once every goroutine is spawned (each blocks on a
    /// channel that main then closes).
    Together,
}

impl Start {
    fn is_spawned(&self) -> bool {
        *self == Start::Spawned
    }
}

/// `[[arrivals]]`: an open-loop source of requests; each arrival starts a new goroutine that
/// runs `body` as one request named `name`, as net/http does for each connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrivalSpec {
    /// The request name each arrival's body is timed under.
    pub name: String,
    /// The arrival rate, such as `"100000/s"`.
    pub rate: Frequency,
    /// How arrival times are spaced (Poisson by default).
    #[serde(default)]
    pub process: Process,
    /// Arrivals stop after this much virtual time.
    pub duration: Dur,
    /// The ops each arrival's goroutine runs.
    pub body: Vec<Op>,
}

/// How arrival times are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Process {
    /// Exponential gaps: a Poisson process.
    #[default]
    Poisson,
    /// Equal gaps of 1/rate.
    Constant,
}

fn default_count() -> u32 {
    1
}

/// One step of a goroutine's program.
/// `Deserialize` is written by hand in `op_de.rs` so that errors name the exact field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Op {
    /// `n` fresh keys: `m[k] = v`.
    Insert {
        /// The map's name.
        map: String,
        /// How many keys.
        n: u64,
    },
    /// `n` random existing keys: `delete(m, k)`.
    Delete {
        /// The map's name.
        map: String,
        /// How many keys.
        n: u64,
    },
    /// `n` times: delete a random existing key, insert a fresh one.
    Churn {
        /// The map's name.
        map: String,
        /// How many delete-insert pairs.
        n: u64,
    },
    /// `n` lookups of random existing keys: `_ = m[k]`.
    Read {
        /// The map's name.
        map: String,
        /// How many lookups.
        n: u64,
    },
    /// One full `for k, v := range m`.
    Iterate {
        /// The map's name.
        map: String,
    },
    /// `n` times `s = append(s, x)`: one element each, growing the array when it is full.
    Append {
        /// The slice's name.
        slice: String,
        /// How many single-element appends.
        n: u64,
    },
    /// `s = s[:0]`: length 0, the array kept for the next appends.
    Reset {
        /// The slice's name.
        slice: String,
    },
    /// `s = nil`: the array becomes garbage.
    Drop {
        /// The slice's name.
        slice: String,
    },
    /// Garbage that dies young; paced at `rate` if given.
    Alloc {
        /// Total bytes allocated.
        bytes: Bytes,
        /// Size of each object, before size-class rounding.
        size: Bytes,
        /// Bytes per second; as fast as the costs allow when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<Rate>,
    },
    /// Memory that stays live until freed or the end.
    Retain {
        /// Total bytes retained.
        bytes: Bytes,
        /// Size of each object, before size-class rounding.
        size: Bytes,
    },
    /// Drops retained bytes.
    Free {
        /// How many retained bytes to drop.
        bytes: Bytes,
    },
    /// CPU work that touches no memory.
    Compute {
        /// How long the work takes.
        time: Dur,
    },
    /// sync.Mutex Lock (default mutex `"mu"`).
    Lock {
        /// The mutex's name.
        #[serde(default = "default_mutex")]
        name: String,
    },
    /// sync.Mutex Unlock (default mutex `"mu"`).
    Unlock {
        /// The mutex's name.
        #[serde(default = "default_mutex")]
        name: String,
    },
    /// sync.RWMutex RLock.
    Rlock {
        /// The mutex's name.
        #[serde(default = "default_mutex")]
        name: String,
    },
    /// sync.RWMutex RUnlock.
    Runlock {
        /// The mutex's name.
        #[serde(default = "default_mutex")]
        name: String,
    },
    /// Repeat `body` `times` times, or (with `duration`) until the goroutine's clock has
    /// passed `duration` since it started; `times` is then `u64::MAX`.
    Loop {
        /// How many repetitions.
        #[serde(skip_serializing_if = "is_unbounded")]
        times: u64,
        /// Repeat instead until the goroutine's clock has passed this since it started.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<Dur>,
        /// The ops repeated.
        body: Vec<Op>,
    },
    /// One request named `name`: every execution of `body` is timed from its start to its
    /// end.
    Request {
        /// The request name latencies are reported under.
        name: String,
        /// The ops timed as one request.
        body: Vec<Op>,
    },
}

fn is_unbounded(times: &u64) -> bool {
    *times == u64::MAX
}

pub(crate) fn default_mutex() -> String {
    "mu".to_string()
}
