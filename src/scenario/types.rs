//! The scenario file's types: the TOML contract of DESIGN.md, as serde structs.
//!
//! Every table denies unknown fields, so a typo is an error rather than a silent default.
//! Values with units (`"64MiB"`, `"250us"`, `"200MiB/s"`) and Go types (`"[32]byte"`) are
//! parsed by their own types in `units` and `gotype`, so a bad value's error carries its span.

use serde::{Deserialize, Serialize};

use super::gotype::GoType;
use super::units::{Bytes, Dur, Rate};

/// A whole scenario: one simulated Go program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub runtime: Runtime,
    #[serde(default)]
    pub heap: Heap,
    #[serde(default)]
    pub costs: Costs,
    #[serde(default)]
    pub maps: Vec<MapSpec>,
    #[serde(default)]
    pub goroutines: Vec<GoroutineSpec>,
}

fn default_seed() -> u64 {
    1
}

/// `[runtime]`: which Go runtime, and its knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Runtime {
    /// Modelled release, `"1.19"` .. ; validated against the supported list.
    pub go: String,
    pub gomaxprocs: u32,
    pub gogc: Gogc,
    pub gomemlimit: MemLimit,
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

/// GOGC: a percentage, or `"off"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gogc {
    Off,
    Percent(u32),
}

/// GOMEMLIMIT: `"off"` or a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemLimit {
    Off,
    Limit(Bytes),
}

/// `[heap]`: memory that exists for the whole run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Heap {
    pub live: Bytes,
    pub globals: Bytes,
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
    /// Allocating and zeroing memory, per KiB (bucket arrays, overflow buckets).
    pub alloc_per_kib: Dur,
    /// One iteration step (one entry visited by `range`).
    pub map_iter_entry: Dur,
}

impl Default for Costs {
    /// Calibrated on go1.19.8 linux/amd64 (2-core AMD EPYC, GOGC=off) for map[int64]int64 of
    /// about 1e4..1e5 keys, whose buckets stay in cache; benches/go/calibrate measures them.
    /// Larger maps miss caches and cost more per operation: see README "Costs".
    fn default() -> Self {
        Costs {
            // Presized insert at 1e5 keys: 31.7 ns.
            map_op: Dur::from_ns(30),
            // Lookup with 8-bucket chains minus without, per overflow bucket, at B = 16.
            map_overflow_probe: Dur::from_ns(20),
            // Growing minus presized insert time at 1e5 keys, less allocation, split by a
            // regression over growths run at controlled fill levels.
            map_evacuate_entry: Dur::from_ns(15),
            map_evacuate_bucket: Dur::from_ns(40),
            // make([]byte, n) of reused memory, 64 KiB .. 64 MiB: 50..65 ns per KiB.
            alloc_per_kib: Dur::from_ns(50),
            // for k, v := range m over 1e6 entries: 9.8 ns per entry.
            map_iter_entry: Dur::from_ns(10),
        }
    }
}

/// `[[maps]]`: one Go map, `make(map[key]elem, hint)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapSpec {
    pub name: String,
    pub key: GoType,
    pub elem: GoType,
    #[serde(default)]
    pub hint: u64,
    /// Map implementation; `None` means the one of `runtime.go`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#impl: Option<MapImpl>,
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
    pub name: String,
    #[serde(default = "default_count")]
    pub count: u32,
    pub program: Vec<Op>,
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
    Insert { map: String, n: u64 },
    /// `n` random existing keys: `delete(m, k)`.
    Delete { map: String, n: u64 },
    /// `n` times: delete a random existing key, insert a fresh one.
    Churn { map: String, n: u64 },
    /// `n` lookups of random existing keys: `_ = m[k]`.
    Read { map: String, n: u64 },
    /// One full `for k, v := range m`.
    Iterate { map: String },
    /// Garbage that dies young; paced at `rate` if given.
    Alloc {
        bytes: Bytes,
        size: Bytes,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rate: Option<Rate>,
    },
    /// Memory that stays live until freed or the end.
    Retain { bytes: Bytes, size: Bytes },
    /// Drops retained bytes.
    Free { bytes: Bytes },
    /// CPU work that touches no memory.
    Compute { time: Dur },
    /// sync.Mutex Lock (default mutex `"mu"`).
    Lock {
        #[serde(default = "default_mutex")]
        name: String,
    },
    Unlock {
        #[serde(default = "default_mutex")]
        name: String,
    },
    /// sync.RWMutex RLock.
    Rlock {
        #[serde(default = "default_mutex")]
        name: String,
    },
    Runlock {
        #[serde(default = "default_mutex")]
        name: String,
    },
    /// Repeat `body` `times` times.
    Loop { times: u64, body: Vec<Op> },
}

pub(crate) fn default_mutex() -> String {
    "mu".to_string()
}
