//! Go's map, as the runtime implements it. `classic` is the hmap/bmap map of runtime/map.go
//! (Go <= 1.23). A second implementation (Swiss tables, Go >= 1.24) plugs in beside it as a
//! variant of [`GoMap`]: an enum, so the hot path has no dynamic dispatch.

pub mod classic;
pub mod hash;
pub mod layout;
pub mod steps;
pub mod swiss;

pub use classic::ClassicMap;
pub use layout::{FastPath, KeyAlg, MapLayout, fast_path_for, key_alg};
pub use steps::{Found, MapCell};
pub use swiss::SwissMap;

/// A growth event of one map, recorded when the write that caused it finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapEvent {
    /// 1-based index of the map write (mapassign or mapdelete) that caused it.
    pub op: u64,
    /// What happened.
    pub kind: MapEventKind,
    /// B before the growth this event belongs to. Zero for a Swiss map.
    pub b_before: u8,
    /// B after the growth this event belongs to (equal to `b_before` for a same-size growth).
    /// Zero for a Swiss map.
    pub b_after: u8,
    /// `hmap.count` read after the write (`m.used` for a Swiss map).
    pub count: u64,
    /// `hmap.noverflow` read after the write. Zero for a Swiss map.
    pub noverflow: u16,
    /// Swiss maps: slots of the table before the event (the directory's entries for
    /// `directory_grow`). Zero for the classic map.
    pub slots_before: u64,
    /// Swiss maps: slots of the table after the event (the directory's entries for
    /// `directory_grow`). Zero for the classic map.
    pub slots_after: u64,
    /// Swiss maps: the directory's global depth after the event. Zero for the classic map.
    pub global_depth: u8,
    /// Swiss maps: the number of tables after the event. Zero for the classic map.
    pub tables: u64,
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
    /// Swiss: map.go growToTable — the full small map (one group) became a 16-slot table.
    SmallToTable,
    /// Swiss: table.go grow — a table rebuilt at twice its capacity.
    TableGrow,
    /// Swiss: table.go split — a 1024-slot table split into two.
    TableSplit,
    /// Swiss: map.go installTableSplit — the directory doubled.
    DirectoryGrow,
}

impl MapEventKind {
    /// The `event` value in map_events.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            MapEventKind::GrowStart => "grow_start",
            MapEventKind::SameSizeGrowStart => "same_size_grow_start",
            MapEventKind::GrowEnd => "grow_end",
            MapEventKind::SmallToTable => "small_to_table",
            MapEventKind::TableGrow => "table_grow",
            MapEventKind::TableSplit => "table_split",
            MapEventKind::DirectoryGrow => "directory_grow",
        }
    }

    /// The Swiss-table map's events.
    pub const SWISS: [MapEventKind; 4] = [
        MapEventKind::SmallToTable,
        MapEventKind::TableGrow,
        MapEventKind::TableSplit,
        MapEventKind::DirectoryGrow,
    ];

    /// An event of the Swiss-table map.
    pub fn is_swiss(self) -> bool {
        Self::SWISS.contains(&self)
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
    /// Buckets evacuation reached in the map's memory: each old bucket chain read and each
    /// destination bucket it filled (classic maps). A Swiss table grows into a new table of
    /// at most 1024 slots, which stays in cache: none there.
    pub evacuation_touches: u64,
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
    /// `alloc_bytes` by the runtime path that allocated them ([`AllocSite`] as index) ...
    pub site_bytes: [u64; ALLOC_SITES],
    /// ... and `alloc_objects` likewise.
    pub site_objects: [u64; ALLOC_SITES],
}

/// Number of [`AllocSite`]s.
pub const ALLOC_SITES: usize = 7;

/// The runtime path a map allocation takes, for allocation profiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AllocSite {
    /// makemap: the map header, its first bucket array or tables, `mapextra`.
    #[default]
    MakeMap = 0,
    /// mapassign's own `newobject`s: a nil map's first bucket, indirect keys and elems.
    Assign = 1,
    /// hashGrow's new bucket array (classic); a table's rehash or split (Swiss).
    Grow = 2,
    /// newoverflow from mapassign: an overflow bucket and the slice that keeps it alive.
    Overflow = 3,
    /// newoverflow from evacuate, during a growth.
    EvacuateOverflow = 4,
    /// mapiterinit's createOverflow.
    IterInit = 5,
    /// The Swiss map's first group (growToSmall).
    SmallGroup = 6,
}

impl AllocSite {
    /// Every site, in index order.
    pub const ALL: [AllocSite; ALLOC_SITES] = [
        AllocSite::MakeMap,
        AllocSite::Assign,
        AllocSite::Grow,
        AllocSite::Overflow,
        AllocSite::EvacuateOverflow,
        AllocSite::IterInit,
        AllocSite::SmallGroup,
    ];

    /// The runtime functions of this path, outermost first, down to (not including)
    /// mallocgc, for a classic or a Swiss map.
    pub fn frames(self, swiss: bool) -> &'static [&'static str] {
        match (self, swiss) {
            (AllocSite::MakeMap, false) => &["runtime.makemap"],
            (AllocSite::MakeMap, true) => &["runtime.makemap", "internal/runtime/maps.NewMap"],
            (AllocSite::Assign, false) => &["runtime.mapassign", "runtime.newobject"],
            (AllocSite::Assign, true) => &[
                "runtime.mapassign",
                "internal/runtime/maps.(*Map).PutSlot",
                "runtime.newobject",
            ],
            (AllocSite::Grow, false) => &[
                "runtime.mapassign",
                "runtime.hashGrow",
                "runtime.makeBucketArray",
            ],
            (AllocSite::Grow, true) => &[
                "runtime.mapassign",
                "internal/runtime/maps.(*table).rehash",
                "internal/runtime/maps.newTable",
            ],
            (AllocSite::Overflow, _) => &["runtime.mapassign", "runtime.(*hmap).newoverflow"],
            (AllocSite::EvacuateOverflow, _) => &[
                "runtime.mapassign",
                "runtime.growWork",
                "runtime.evacuate",
                "runtime.(*hmap).newoverflow",
            ],
            (AllocSite::IterInit, _) => &["runtime.mapiterinit", "runtime.(*hmap).createOverflow"],
            (AllocSite::SmallGroup, _) => &[
                "runtime.mapassign",
                "internal/runtime/maps.(*Map).growToSmall",
            ],
        }
    }
}

impl Work {
    /// Adds `w` into these totals.
    #[inline]
    pub fn add(&mut self, w: &Work) {
        self.ops += w.ops;
        self.overflow_probes += w.overflow_probes;
        self.evacuated_buckets += w.evacuated_buckets;
        self.evacuated_entries += w.evacuated_entries;
        self.evacuation_touches += w.evacuation_touches;
        self.iterated_entries += w.iterated_entries;
        self.alloc_bytes += w.alloc_bytes;
        self.alloc_objects += w.alloc_objects;
        self.garbage_bytes += w.garbage_bytes;
        for i in 0..ALLOC_SITES {
            self.site_bytes[i] += w.site_bytes[i];
            self.site_objects[i] += w.site_objects[i];
        }
    }

    /// Buckets reached at a hash-chosen place of the map's memory, the accesses that miss
    /// caches once the map outgrows them: each operation's first bucket, each overflow
    /// bucket probed, and evacuation's touches. Iteration walks memory in order and is left
    /// out.
    #[inline]
    pub fn bucket_touches(&self) -> u64 {
        self.ops + self.overflow_probes + self.evacuation_touches
    }

    /// The work done since these totals were `before` (an earlier copy of them).
    #[inline]
    pub fn since(&self, before: &Work) -> Work {
        Work {
            ops: self.ops - before.ops,
            overflow_probes: self.overflow_probes - before.overflow_probes,
            evacuated_buckets: self.evacuated_buckets - before.evacuated_buckets,
            evacuated_entries: self.evacuated_entries - before.evacuated_entries,
            evacuation_touches: self.evacuation_touches - before.evacuation_touches,
            iterated_entries: self.iterated_entries - before.iterated_entries,
            alloc_bytes: self.alloc_bytes - before.alloc_bytes,
            alloc_objects: self.alloc_objects - before.alloc_objects,
            garbage_bytes: self.garbage_bytes - before.garbage_bytes,
            site_bytes: std::array::from_fn(|i| self.site_bytes[i] - before.site_bytes[i]),
            site_objects: std::array::from_fn(|i| self.site_objects[i] - before.site_objects[i]),
        }
    }
}

/// Running totals for one map, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MapStats {
    /// Writes so far (mapassign + mapdelete calls), the `op` counter of events.
    pub writes: u64,
    /// Growths that enlarged the map: classic doublings, Swiss table grows and splits.
    pub growths: u64,
    /// Classic same-size growths (hashGrow with the same B, to shed overflow buckets).
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
    /// The runtime path allocations are now made from (set where each begins).
    pub site: AllocSite,
}

impl MapStats {
    /// Records an allocation of `bytes` (already rounded to a size class), one object.
    #[inline]
    pub fn alloc(&mut self, bytes: u64, work: &mut Work) {
        work.alloc_bytes += bytes;
        work.alloc_objects += 1;
        work.site_bytes[self.site as usize] += bytes;
        work.site_objects[self.site as usize] += 1;
        self.bytes_allocated += bytes;
    }

    /// Records bytes that became unreachable.
    #[inline]
    pub fn garbage(&mut self, bytes: u64, work: &mut Work) {
        work.garbage_bytes += bytes;
        self.bytes_garbage += bytes;
    }
}

/// One Go map, whichever implementation models it.
#[derive(Debug, Clone)]
pub enum GoMap {
    /// The hmap/bmap map of runtime/map.go (Go <= 1.23).
    Classic(ClassicMap),
    /// The Swiss-table map of internal/runtime/maps (Go >= 1.24).
    Swiss(SwissMap),
}

/// Calls the same method on whichever map this is.
macro_rules! both {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            GoMap::Classic($m) => $e,
            GoMap::Swiss($m) => $e,
        }
    };
}

impl GoMap {
    /// `make(map[K]V, hint)` with the implementation `swiss` or the classic one.
    pub fn new(
        layout: MapLayout,
        hint: u64,
        swiss: bool,
        rng: rand_chacha::ChaCha8Rng,
        work: &mut Work,
    ) -> GoMap {
        if swiss {
            GoMap::Swiss(SwissMap::new(layout, hint, rng, work))
        } else {
            GoMap::Classic(ClassicMap::new(layout, hint, rng, work))
        }
    }

    /// `m[key] = v`; whether the key was new.
    #[inline]
    pub fn assign(&mut self, key: u64, work: &mut Work) -> bool {
        both!(self, m => m.assign(key, work))
    }

    /// `delete(m, key)`; whether the key was there.
    #[inline]
    pub fn delete(&mut self, key: u64, work: &mut Work) -> bool {
        both!(self, m => m.delete(key, work))
    }

    /// `_ = m[key]`; whether the key was there.
    #[inline]
    pub fn get(&self, key: u64, work: &mut Work) -> bool {
        both!(self, m => m.get(key, work))
    }

    /// `for k, v := range m`; calls `visit` per key, returns how many.
    pub fn iterate(&mut self, work: &mut Work, visit: impl FnMut(u64)) -> u64 {
        both!(self, m => m.iterate(work, visit))
    }

    /// `len(m)`: the number of entries.
    pub fn len(&self) -> u64 {
        both!(self, m => m.len())
    }

    /// Whether `len(m)` is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The map's running totals.
    pub fn stats(&self) -> &MapStats {
        both!(self, m => m.stats())
    }

    /// The map's growth events so far, in order.
    pub fn events(&self) -> &[MapEvent] {
        both!(self, m => m.events())
    }

    /// The key/elem layout the map was made with.
    pub fn layout(&self) -> &MapLayout {
        both!(self, m => m.layout())
    }

    /// Heap bytes the map keeps alive.
    pub fn live_bytes(&self) -> u64 {
        both!(self, m => m.live_bytes())
    }

    /// `"classic"` or `"swiss"`.
    pub fn implementation(&self) -> &'static str {
        match self {
            GoMap::Classic(_) => "classic",
            GoMap::Swiss(_) => "swiss",
        }
    }

    /// The classic map's evacuation mark and old bucket count (0 for a Swiss map, which
    /// rebuilds tables whole).
    pub fn evacuation(&self) -> (u64, u64) {
        match self {
            GoMap::Classic(m) => (m.nevacuate(), m.old_buckets()),
            GoMap::Swiss(_) => (0, 0),
        }
    }

    /// Every key, for checks.
    pub fn keys(&self) -> Vec<u64> {
        both!(self, m => m.keys())
    }

    /// The implementation's structural invariants.
    pub fn check_invariants(&self) -> Result<(), String> {
        both!(self, m => m.check_invariants())
    }
}
