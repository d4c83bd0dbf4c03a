//! Go's map, as the runtime implements it. `classic` is the hmap/bmap map of runtime/map.go
//! (Go <= 1.23). A second implementation (Swiss tables, Go >= 1.24) plugs in beside it as a
//! variant of [`GoMap`]: an enum, so the hot path has no dynamic dispatch.

pub mod classic;
pub mod hash;
pub mod layout;

pub use classic::ClassicMap;
pub use layout::{FastPath, KeyAlg, MapLayout, fast_path_for, key_alg};

/// A growth event of one map, recorded when the write that caused it finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapEvent {
    /// 1-based index of the map write (mapassign or mapdelete) that caused it.
    pub op: u64,
    pub kind: MapEventKind,
    /// B before and after the growth this event belongs to (equal for a same-size growth).
    pub b_before: u8,
    pub b_after: u8,
    /// `hmap.count` and `hmap.noverflow`, read after the write.
    pub count: u64,
    pub noverflow: u16,
}

/// What happened. Names are the `event` column of map_events.csv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapEventKind {
    /// hashGrow doubling the bucket array.
    GrowStart,
    /// hashGrow with the same B, to shed overflow buckets.
    SameSizeGrowStart,
    /// advanceEvacuationMark reached the end: the last old bucket was evacuated.
    GrowEnd,
}

impl MapEventKind {
    /// The `event` value in map_events.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            MapEventKind::GrowStart => "grow_start",
            MapEventKind::SameSizeGrowStart => "same_size_grow_start",
            MapEventKind::GrowEnd => "grow_end",
        }
    }
}

/// Work done by map operations, in the units the cost model prices. Accumulated by the
/// caller across operations; the model only ever adds to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Map operations started (assign, delete, access, iterator init).
    pub ops: u64,
    /// Overflow buckets visited beyond the first bucket of a chain.
    pub overflow_probes: u64,
    /// Old buckets (including their overflow chains) evacuated.
    pub evacuated_buckets: u64,
    /// Entries moved by evacuation.
    pub evacuated_entries: u64,
    /// Entries visited by iteration.
    pub iterated_entries: u64,
    /// Bytes allocated on the Go heap (after size-class rounding).
    pub alloc_bytes: u64,
    /// Number of heap objects allocated.
    pub alloc_objects: u64,
    /// Bytes that became garbage: an old bucket array once its growth ended, overflow buckets
    /// unlinked by evacuation, replaced overflow-list backing arrays, the key/elem objects of
    /// deleted indirect entries.
    pub garbage_bytes: u64,
}

/// Running totals for one map, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapStats {
    /// Writes so far (mapassign + mapdelete calls), the `op` counter of events.
    pub writes: u64,
    pub growths: u64,
    pub same_size_growths: u64,
    /// Overflow buckets taken from a preallocated pool.
    pub overflow_from_prealloc: u64,
    /// Overflow buckets allocated one by one (newobject).
    pub overflow_allocated: u64,
    /// Every byte this map ever allocated.
    pub bytes_allocated: u64,
    /// Bytes that became garbage (as [`Work::garbage_bytes`]). `bytes_allocated -
    /// bytes_garbage` is what the map keeps alive (`ClassicMap::live_bytes`).
    pub bytes_garbage: u64,
}

/// One Go map, whichever implementation models it.
#[derive(Debug, Clone)]
pub enum GoMap {
    Classic(ClassicMap),
}
