//! The classic Go map: `hmap` and its buckets, after go1.19 runtime/map.go. The map rules are
//! unchanged through go1.23; allocation sizes follow go1.22's malloc headers when
//! [`MapLayout::alloc_headers`] is set (see [`crate::model::malloc::Malloc`]), and go1.19's
//! size classes otherwise. Each function of the runtime has a method of the same name here:
//! mapassign → [`ClassicMap::assign`], mapdelete → [`ClassicMap::delete`], mapaccess1 →
//! [`ClassicMap::get`], hashGrow, growWork, evacuate, advanceEvacuationMark, newoverflow,
//! incrnoverflow, makeBucketArray.
//!
//! One call is one whole map operation; the goroutine scheduler model splits operations into
//! the runtime's own steps around the same state: [`ClassicMap::key_hash`] at the hash step,
//! then the searches [`ClassicMap::assign_find_hashed`], [`ClassicMap::delete_find_hashed`]
//! and [`ClassicMap::get_hashed`] with that hash, and the writes after them.
//!
//! The searches follow the function the compiler calls for the map type
//! ([`MapLayout::fast`]): map.go's generic ones, or those of map_fast32.go, map_fast64.go
//! and map_faststr.go, which walk buckets differently. Growth and evacuation are the same in
//! every variant.

mod bucket;
mod check;
mod grow;
mod iter;
mod ops;

pub use ops::{Assign, Cell, LIVELOCK};

use bucket::{Bucket, BucketArray};

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::Rng;

use super::hash::{expand_seed, hash_key};
use super::layout::MapLayout;
use super::{MapEvent, MapStats, Work};
use crate::model::malloc::{Malloc, PTR_SIZE};
use bucket::NONE;

// hmap.flags (runtime/map.go).
/// There may be an iterator using buckets.
pub const ITERATOR: u8 = 1;
/// There may be an iterator using oldbuckets.
pub const OLD_ITERATOR: u8 = 2;
/// A goroutine is writing to the map.
pub const HASH_WRITING: u8 = 4;
/// The current map growth is to a new map of the same size.
pub const SAME_SIZE_GROW: u8 = 8;

/// The message of `throw("bad map state")` in runtime/map.go: evacuate (and its
/// `_fast32`/`_fast64`/`_faststr` copies): Go prints `fatal error: bad map state`.
pub const FATAL_BAD_MAP_STATE: &str = "bad map state";

/// `unsafe.Sizeof(hmap{})` on 64-bit: count, flags/B/noverflow/hash0, buckets, oldbuckets,
/// nevacuate, extra.
const HMAP_SIZE: u64 = 48;
/// `unsafe.Sizeof(mapextra{})`: overflow, oldoverflow, nextOverflow.
const MAPEXTRA_SIZE: u64 = 24;
/// `unsafe.Sizeof([]*bmap{})`, the slice header `createOverflow` allocates.
const SLICE_HEADER_SIZE: u64 = 24;

/// `makemap` refuses hints whose bucket bytes exceed `maxAlloc` (1<<48 on linux/amd64,
/// runtime/malloc.go) and treats them as 0.
const MAX_ALLOC: u64 = 1 << 48;

/// A classic Go map (`hmap`) with simulated keys.
#[derive(Debug, Clone)]
pub struct ClassicMap {
    layout: MapLayout,
    bucket_has_pointers: bool,
    /// The allocator rules of the modelled release.
    malloc: Malloc,
    /// Heap bytes of one separately allocated bucket (`newobject(t.bucket)`).
    bucket_object_bytes: u64,
    /// Heap bytes of the key and elem objects of one entry (0 unless stored indirectly).
    entry_object_bytes: u64,

    // hmap
    count: u64,
    flags: u8,
    b: u8,
    noverflow: u16,
    hash0: u32,
    /// `hash0` expanded for the simulated hash function.
    seed: u64,
    buckets: BucketArray,
    /// Empty when `h.oldbuckets == nil`.
    oldbuckets: BucketArray,
    nevacuate: u64,

    // mapextra
    extra_allocated: bool,
    /// `h.extra.nextOverflow`: index into `buckets`, or NONE.
    next_overflow: u32,
    /// `*h.extra.overflow`, the list that keeps pointer-free overflow buckets alive; `None`
    /// while `h.extra.overflow == nil`. Its bytes (slice header object and backing array)
    /// count in `buckets.bytes`.
    overflow_list: Option<OverflowList>,

    /// fastrand, for this map: hash0 draws, incrnoverflow, iteration start.
    rng: ChaCha8Rng,

    // Instrumentation, not part of hmap.
    stats: MapStats,
    events: Vec<MapEvent>,
    /// Events pushed during the current write start here (their count/noverflow are filled in
    /// when the write finishes).
    events_mark: usize,
    /// Generation of the next bucket array allocated.
    next_gen: u32,
    /// B before and after the growth in progress (or the last one).
    grow_from: u8,
    grow_to: u8,
    /// evacuate met a cell Go throws "bad map state" on (see [`ClassicMap::take_bad_state`]).
    bad_state: std::cell::Cell<bool>,
}

impl ClassicMap {
    /// runtime/map.go: makemap — `make(map[K]V, hint)`. Draws hash0 from `rng` (fastrand).
    /// Allocates hmap and, when B > 0, the bucket array (reported in `work`).
    pub fn new(layout: MapLayout, hint: u64, mut rng: ChaCha8Rng, work: &mut Work) -> Self {
        let bucket_size = layout.bucket_size();
        let mut hint = hint;
        match hint.checked_mul(bucket_size) {
            Some(mem) if mem <= MAX_ALLOC => {}
            _ => hint = 0,
        }
        let hash0 = rng.next_u32();
        let mut b = 0u8;
        while over_load_factor(hint, b) {
            b += 1;
        }
        let mut m = ClassicMap {
            layout,
            bucket_has_pointers: layout.bucket_has_pointers(),
            malloc: layout.malloc(),
            bucket_object_bytes: layout.bucket_object_bytes(),
            entry_object_bytes: layout.key_object_bytes() + layout.elem_object_bytes(),
            count: 0,
            flags: 0,
            b,
            noverflow: 0,
            hash0,
            seed: expand_seed(hash0),
            buckets: BucketArray::default(),
            oldbuckets: BucketArray::default(),
            nevacuate: 0,
            extra_allocated: false,
            next_overflow: NONE,
            overflow_list: None,
            rng,
            stats: MapStats::default(),
            events: Vec::new(),
            events_mark: 0,
            next_gen: 1,
            grow_from: 0,
            grow_to: 0,
            bad_state: std::cell::Cell::new(false),
        };
        m.stats.alloc(m.hmap_bytes(), work);
        if b != 0 {
            let (mut array, next) = BucketArray::make(&m.layout, b);
            m.stamp(&mut array);
            m.stats.alloc(array.bytes, work);
            m.buckets = array;
            if next != NONE {
                m.create_extra(work);
                m.next_overflow = next;
            }
        }
        m
    }

    /// An upper bound on the memory this simulation needs (not Go's) for a map that holds
    /// at most `max_keys` keys and was made with `hint`: the bucket array at the largest B,
    /// its preallocated and overflow buckets (a same-size growth caps them near 2^B), the old
    /// array while growing, and 8 bytes a key for the workload's list of live keys.
    pub fn sim_footprint_bytes(max_keys: u64, hint: u64) -> u64 {
        let mut b = 0u8;
        while b < 63 && over_load_factor(max_keys.max(hint), b) {
            b += 1;
        }
        let bucket = std::mem::size_of::<Bucket>() as u64;
        (1u64 << b)
            .saturating_mul(bucket)
            .saturating_mul(3)
            .saturating_add(max_keys.saturating_mul(8))
    }

    /// `len(m)`.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// Whether `len(m)` is 0.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// `h.B`: log2 of the number of buckets.
    pub fn b(&self) -> u8 {
        self.b
    }

    /// `h.noverflow`: the (approximate for B >= 16) number of overflow buckets.
    pub fn noverflow(&self) -> u16 {
        self.noverflow
    }

    /// `h.flags`.
    pub fn flags(&self) -> u8 {
        self.flags
    }

    /// `h.hash0`.
    pub fn hash0(&self) -> u32 {
        self.hash0
    }

    /// runtime/map.go: (*hmap).growing — an evacuation is in progress.
    pub fn growing(&self) -> bool {
        !self.oldbuckets.is_nil()
    }

    /// Old buckets of the growth in progress (0 when not growing): with `nevacuate`, the
    /// evacuation's progress.
    pub fn old_buckets(&self) -> u64 {
        if self.growing() {
            self.noldbuckets()
        } else {
            0
        }
    }

    /// `h.nevacuate`: old buckets below this index are evacuated.
    pub fn nevacuate(&self) -> u64 {
        self.nevacuate
    }

    /// Number of buckets in the current array, including overflow buckets.
    pub fn bucket_slots(&self) -> usize {
        self.buckets.buckets.len()
    }

    /// The key/elem layout the map was made with.
    pub fn layout(&self) -> &MapLayout {
        &self.layout
    }

    /// The map's running totals.
    pub fn stats(&self) -> &MapStats {
        &self.stats
    }

    /// Growth events so far, in order.
    pub fn events(&self) -> &[MapEvent] {
        &self.events
    }

    /// Heap bytes the map keeps alive now: hmap, mapextra once allocated, the bucket arrays
    /// with their overflow buckets and overflow lists, and the key/elem objects of live entries
    /// stored indirectly. Always equals `bytes_allocated - bytes_garbage` of [`Self::stats`].
    ///
    /// An indirect key/elem object counts once per live entry. While a growth is in progress an
    /// entry's pointers may also sit in its evacuated old bucket; for a pointerful map (every
    /// map with indirect keys or elems is one) evacuate clears that bucket with
    /// memclrHasPointers, so the copy keeps nothing extra alive. Only with an old iterator
    /// (which skips that clearing) can Go keep a deleted entry's objects reachable until the
    /// old array goes; the model counts them garbage at the delete regardless.
    pub fn live_bytes(&self) -> u64 {
        let extra = if self.extra_allocated {
            self.mapextra_bytes()
        } else {
            0
        };
        self.hmap_bytes()
            + extra
            + self.buckets.bytes
            + self.oldbuckets.bytes
            + self.count * self.entry_object_bytes
    }

    /// Heap bytes of the `hmap` object (`new(hmap)`; it has pointers).
    fn hmap_bytes(&self) -> u64 {
        self.malloc.alloc_size(HMAP_SIZE, false)
    }

    /// Heap bytes of the `mapextra` object (`new(mapextra)`; it has pointers).
    fn mapextra_bytes(&self) -> u64 {
        self.malloc.alloc_size(MAPEXTRA_SIZE, false)
    }

    /// The 64-bit hash of a key under the current hash0.
    #[inline(always)]
    fn hash(&self, key: u64) -> u64 {
        hash_key(key, self.seed)
    }

    /// `t.hasher(key, uintptr(h.hash0))`: the hash of `key` under the current hash0, as
    /// mapassign, mapdelete and mapaccess1 compute it once, before their search. Pass it to
    /// [`ClassicMap::assign_find_hashed`], [`ClassicMap::delete_find_hashed`] or
    /// [`ClassicMap::get_hashed`] to search with the seed of that moment.
    pub fn key_hash(&self, key: u64) -> u64 {
        self.hash(key)
    }

    /// Whether an evacuation since the last call met a cell on which Go's evacuate calls
    /// `throw("bad map state")` ([`FATAL_BAD_MAP_STATE`]): a tophash of evacuatedX,
    /// evacuatedY or evacuatedEmpty in an old bucket whose first cell says it is not
    /// evacuated. Only concurrent writers can leave such a bucket (a write into a cell of an
    /// old bucket after it was evacuated). The model skips the cell and goes on; a caller
    /// that models the process should die with Go's message. Clears the record.
    pub fn take_bad_state(&mut self) -> bool {
        self.bad_state.replace(false)
    }

    /// `h.extra = new(mapextra)`, once.
    fn create_extra(&mut self, work: &mut Work) {
        if !self.extra_allocated {
            self.extra_allocated = true;
            self.stats.alloc(self.mapextra_bytes(), work);
        }
    }

    /// runtime/map.go: createOverflow — `h.extra.overflow = new([]*bmap)` if it is nil.
    pub(super) fn create_overflow(&mut self, work: &mut Work) {
        self.create_extra(work);
        if self.overflow_list.is_none() {
            // new([]*bmap): a slice header, which holds a pointer.
            let bytes = self.malloc.alloc_size(SLICE_HEADER_SIZE, false);
            self.stats.alloc(bytes, work);
            self.buckets.bytes += bytes;
            self.overflow_list = Some(OverflowList::default());
        }
    }

    /// The append in runtime/map.go: newoverflow — pointer-free overflow buckets are kept
    /// alive by `*h.extra.overflow`, a `[]*bmap` that grows as `append` grows it. Its elements
    /// are pointers, so growslice sizes it with noscan = false (a malloc header from go1.22 once
    /// the backing array exceeds 512 bytes).
    pub(super) fn append_overflow_list(&mut self, work: &mut Work) {
        self.create_overflow(work);
        let mut list = self.overflow_list.unwrap_or_default();
        if list.len == list.cap {
            let new_cap = self
                .malloc
                .growslice_cap(list.cap, list.len + 1, PTR_SIZE, false);
            let bytes = self.malloc.alloc_size(new_cap * PTR_SIZE, false);
            self.stats.alloc(bytes, work);
            self.buckets.bytes += bytes;
            // The old backing array, if any, becomes garbage.
            self.buckets.bytes -= list.backing_bytes;
            self.stats.garbage(list.backing_bytes, work);
            list.cap = new_cap;
            list.backing_bytes = bytes;
        }
        list.len += 1;
        self.overflow_list = Some(list);
    }

    /// Starts a write: counts it and sets hashWriting (the entry check and the XOR of
    /// mapassign/mapdelete, done atomically here).
    #[inline]
    fn begin_write(&mut self, work: &mut Work) {
        self.count_write(work);
        self.flags ^= HASH_WRITING;
    }

    /// Counts a write (the `op` index of growth events) without touching the flags: the
    /// race model performs the hashWriting steps itself.
    pub fn count_write(&mut self, work: &mut Work) {
        self.stats.writes += 1;
        work.ops += 1;
        self.events_mark = self.events.len();
    }

    /// Fills in count/noverflow on the growth events of the write that ends, without
    /// touching the flags.
    pub fn finish_write(&mut self) {
        if self.events.len() > self.events_mark {
            for e in &mut self.events[self.events_mark..] {
                e.count = self.count;
                e.noverflow = self.noverflow;
            }
        }
    }

    /// Sets `h.flags` (the race model's load/store steps).
    pub fn set_flags(&mut self, flags: u8) {
        self.flags = flags;
    }

    /// Sets `h.count` (the race model's `h.count++` as a load and a store).
    pub fn set_count(&mut self, count: u64) {
        self.count = count;
    }

    /// Ends a write: clears hashWriting and fills in count/noverflow, read after the write,
    /// on the events this write caused.
    #[inline]
    fn end_write(&mut self) {
        self.flags &= !HASH_WRITING;
        self.finish_write();
    }

    fn push_event(&mut self, kind: super::MapEventKind) {
        self.events.push(MapEvent {
            op: self.stats.writes,
            kind,
            b_before: self.grow_from,
            b_after: self.grow_to,
            count: 0,
            noverflow: 0,
            slots_before: 0,
            slots_after: 0,
            global_depth: 0,
            tables: 0,
        });
    }

    /// Gives a newly allocated bucket array its generation.
    fn stamp(&mut self, array: &mut BucketArray) {
        array.generation = self.next_gen;
        self.next_gen += 1;
    }

    /// runtime/stubs.go: fastrand, for this map.
    fn fastrand(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// runtime/stubs.go: fastrand64, for this map.
    fn fastrand64(&mut self) -> u64 {
        self.rng.next_u64()
    }
}

/// `*h.extra.overflow`: a `[]*bmap`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OverflowList {
    len: u64,
    cap: u64,
    /// Heap bytes of the backing array (0 while it is nil).
    backing_bytes: u64,
}

/// runtime/map.go: overLoadFactor — count > bucketCnt && count > loadFactorNum *
/// (2^B / loadFactorDen), with the runtime's integer arithmetic.
#[inline(always)]
pub fn over_load_factor(count: u64, b: u8) -> bool {
    const LOAD_FACTOR_NUM: u64 = 13;
    const LOAD_FACTOR_DEN: u64 = 2;
    count > super::layout::BUCKET_CNT as u64
        && count > LOAD_FACTOR_NUM * ((1u64 << b) / LOAD_FACTOR_DEN)
}

/// runtime/map.go: tooManyOverflowBuckets — noverflow >= 2^min(B, 15).
#[inline(always)]
pub fn too_many_overflow_buckets(noverflow: u16, b: u8) -> bool {
    let b = b.min(15);
    noverflow >= 1u16 << (b & 15)
}

#[cfg(test)]
mod tests;
