//! The map operations: mapassign, mapdelete and mapaccess1 of runtime/map.go, and the
//! searches of their `_fast32`, `_fast64` and `_faststr` variants (runtime/map_fast32.go,
//! map_fast64.go, map_faststr.go) for maps whose layout names one ([`FastPath`]).

use super::bucket::{BucketArray, EMPTY_ONE, EMPTY_REST, NONE, is_empty, tophash};
use super::{ClassicMap, over_load_factor, too_many_overflow_buckets};
use crate::model::gomap::layout::{BUCKET_CNT, FastPath};
use crate::model::gomap::{AllocSite, Work};

/// How a search walks a bucket chain for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// mapaccess1, mapdelete: a cell matches on tophash, then key; the search stops at the
    /// first emptyRest.
    Generic,
    /// mapaccess1_fast32/64, mapdelete_fast32/64: a cell matches on key and a tophash that is
    /// not empty (`key == k && !isEmpty(b.tophash[i])`); the whole chain is walked.
    KeyNotEmpty,
    /// mapaccess1_faststr with B > 0, mapdelete_faststr: a cell matches on tophash, then
    /// key; the whole chain is walked.
    TopThenKey,
}

impl Walk {
    /// The walk of mapaccess1 / mapdelete and their variants.
    fn of(fast: FastPath) -> Walk {
        match fast {
            FastPath::Slow => Walk::Generic,
            FastPath::Fast32 | FastPath::Fast64 => Walk::KeyNotEmpty,
            FastPath::FastStr => Walk::TopThenKey,
        }
    }
}

/// Searches the chain from bucket `b` of `arr` for `key`; returns the bucket and cell.
#[inline(always)]
fn find_in_chain(
    arr: &BucketArray,
    mut b: u32,
    key: u64,
    top: u8,
    walk: Walk,
    work: &mut Work,
) -> Option<(u32, usize)> {
    loop {
        let bk = &arr.buckets[b as usize];
        for i in 0..BUCKET_CNT {
            let th = bk.tophash[i];
            match walk {
                Walk::Generic => {
                    if th != top {
                        if th == EMPTY_REST {
                            return None;
                        }
                        continue;
                    }
                }
                Walk::KeyNotEmpty => {
                    if is_empty(th) {
                        continue;
                    }
                }
                Walk::TopThenKey => {
                    if th != top {
                        continue;
                    }
                }
            }
            if bk.holds(i, key) {
                return Some((b, i));
            }
        }
        if bk.overflow == NONE {
            return None;
        }
        b = bk.overflow;
        work.overflow_probes += 1;
    }
}

/// A cell mapassign or mapdelete chose, in the bucket array it was found in. Between the
/// search and the write another goroutine may have grown the map: the cell then belongs to
/// the old array, or to no array at all, and a write to it is lost as it would be in Go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Generation of the bucket array the cell was found in.
    pub(super) generation: u32,
    /// First bucket of the chain (`bOrig` in mapdelete).
    pub(super) origin: u32,
    /// The bucket holding the cell.
    pub(super) bucket: u32,
    /// The cell's index in its bucket.
    pub(super) slot: u8,
    /// The key's tophash, which `assign_store` writes into the cell.
    pub(super) top: u8,
}

/// What mapassign's search found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    /// The key is present: the write updates its elem in place.
    Existing(Cell),
    /// The key is absent: the cell to store it in.
    New(Cell),
    /// mapassign would loop forever: each growth it starts ends at once with too many
    /// overflow buckets again ([`LIVELOCK`]).
    Livelock,
}

/// What the simulation reports when mapassign would never return: a race left a bucket
/// holding more entries than `h.count` says, so every same-size growth (begun for too many
/// overflow buckets, finished by the very next growWork) rebuilds the same overflow bucket
/// and mapassign's `goto again` starts another. Go has no message for it; it hangs.
pub const LIVELOCK: &str =
    "hang: mapassign grows the map forever (a race left more entries than the count)";

/// Growths one mapassign call may start before it is taken to loop forever. A sound map
/// starts at most one (and evacuates it in later writes).
const MAX_GROWTHS_PER_ASSIGN: u32 = 64;

impl ClassicMap {
    /// runtime/map.go: mapassign — `m[key] = v`. Returns true when the key was new.
    ///
    /// Growth is decided here, only for a new key and only when no growth is in progress:
    /// over the load factor doubles, too many overflow buckets grows at the same size. While
    /// growing, every write first evacuates (growWork). One call runs every step of
    /// mapassign; [`ClassicMap::assign_find`] and [`ClassicMap::assign_store`] are its steps.
    pub fn assign(&mut self, key: u64, work: &mut Work) -> bool {
        self.begin_write(work);
        let inserted = match self.assign_find(key, work) {
            Assign::Existing(_) | Assign::Livelock => false,
            Assign::New(cell) => {
                self.assign_store(cell, key);
                self.count += 1;
                true
            }
        };
        self.end_write();
        inserted
    }

    /// The search of mapassign, after hashWriting is set: allocate the first bucket of a B=0
    /// map, growWork, walk the chain for the key or the first free cell, start a growth if
    /// the new key needs one (then search again), add an overflow bucket if the chain is
    /// full, allocate indirect key/elem objects. Writes no cell and no count. Hashes `key`
    /// under the current hash0; see [`ClassicMap::assign_find_hashed`].
    pub fn assign_find(&mut self, key: u64, work: &mut Work) -> Assign {
        let hash = self.hash(key);
        self.assign_find_hashed(key, hash, work)
    }

    /// [`ClassicMap::assign_find`] with `hash`, the key's hash computed earlier by
    /// [`ClassicMap::key_hash`]: mapassign hashes once, before it sets hashWriting, and uses
    /// that hash for the bucket, the tophash, and again after a growth (`goto again`), even if
    /// hash0 has changed meanwhile. mapassign_fast32/64 find an existing key by key alone
    /// (any cell that is not empty), not by tophash first; mapassign_faststr searches as
    /// mapassign does.
    pub fn assign_find_hashed(&mut self, key: u64, hash: u64, work: &mut Work) -> Assign {
        let key_only = Walk::of(self.layout.fast) == Walk::KeyNotEmpty;
        self.stats.site = AllocSite::Assign;
        if self.buckets.is_nil() {
            // h.buckets = newobject(t.bucket)
            let mut single = BucketArray::single(&self.layout);
            self.stamp(&mut single);
            self.buckets = single;
            self.stats.alloc(self.buckets.bytes, work);
        }
        let top = tophash(hash);
        let mut growths = 0;
        loop {
            // again:
            let bucket = hash & ((1u64 << self.b) - 1);
            if self.growing() {
                self.grow_work(bucket, work);
            }
            let mut b = bucket as u32;
            let mut insert: Option<(u32, usize)> = None;
            'bucketloop: loop {
                let bk = &self.buckets.buckets[b as usize];
                for i in 0..BUCKET_CNT {
                    let th = bk.tophash[i];
                    if key_only {
                        // mapassign_fast32/64: `if isEmpty(b.tophash[i]) { ... continue }`,
                        // then the key.
                        if is_empty(th) {
                            if insert.is_none() {
                                insert = Some((b, i));
                            }
                            if th == EMPTY_REST {
                                break 'bucketloop;
                            }
                            continue;
                        }
                    } else if th != top {
                        if is_empty(th) && insert.is_none() {
                            insert = Some((b, i));
                        }
                        if th == EMPTY_REST {
                            break 'bucketloop;
                        }
                        continue;
                    }
                    if bk.holds(i, key) {
                        // Already have a mapping for key: update it in place.
                        return Assign::Existing(self.cell(bucket as u32, b, i, top));
                    }
                }
                if bk.overflow == NONE {
                    break;
                }
                b = bk.overflow;
                work.overflow_probes += 1;
            }
            // Did not find mapping for key. If we hit the max load factor or we have too many
            // overflow buckets, and we're not already in the middle of growing, start growing;
            // growing invalidates everything, so try again.
            if !self.growing()
                && (over_load_factor(self.count + 1, self.b)
                    || too_many_overflow_buckets(self.noverflow, self.b))
            {
                growths += 1;
                if growths > MAX_GROWTHS_PER_ASSIGN {
                    return Assign::Livelock;
                }
                self.hash_grow(work);
                continue;
            }
            let (ib, i) = match insert {
                Some(slot) => slot,
                // The bucket and all its overflow buckets are full: allocate a new one.
                None => (self.new_overflow(b, work), 0),
            };
            // Store new key/elem at the insert position: an indirect key or elem is a new
            // object of its own (kmem := newobject(t.key), vmem := newobject(t.elem)).
            if self.layout.indirect_key() {
                self.stats.alloc(self.layout.key_object_bytes(), work);
            }
            if self.layout.indirect_elem() {
                self.stats.alloc(self.layout.elem_object_bytes(), work);
            }
            return Assign::New(self.cell(bucket as u32, ib, i, top));
        }
    }

    fn cell(&self, origin: u32, bucket: u32, slot: usize, top: u8) -> Cell {
        Cell {
            generation: self.buckets.generation,
            origin,
            bucket,
            slot: slot as u8,
            top,
        }
    }

    /// The array a cell points into now: the current one, the old one during a growth, or
    /// none (it was freed).
    fn cell_array(&mut self, cell: Cell) -> Option<&mut BucketArray> {
        if cell.generation == self.buckets.generation {
            Some(&mut self.buckets)
        } else if cell.generation == self.oldbuckets.generation && self.growing() {
            Some(&mut self.oldbuckets)
        } else {
            None
        }
    }

    /// mapassign's `*inserti = top` and key store into the chosen cell. A cell of an array a
    /// concurrent growth has replaced gets the key where no lookup will find it again.
    pub fn assign_store(&mut self, cell: Cell, key: u64) {
        if let Some(arr) = self.cell_array(cell) {
            let bk = &mut arr.buckets[cell.bucket as usize];
            bk.keys[cell.slot as usize] = key;
            bk.cleared &= !(1 << cell.slot);
            bk.tophash[cell.slot as usize] = cell.top;
        }
    }

    /// runtime/map.go: mapdelete — `delete(m, key)`. Returns true when the key was present.
    ///
    /// Clears the cell to emptyOne, turns a trailing run of emptyOne into emptyRest, and
    /// reseeds hash0 when the map becomes empty. A map never shrinks. A delete on an empty
    /// map returns before the write begins, so it is not counted as a write.
    ///
    /// An indirect key or elem is cleared by setting the cell's pointer to nil, so the object
    /// mapassign allocated for it becomes garbage (see [`ClassicMap::live_bytes`] for the
    /// copies evacuation leaves behind).
    pub fn delete(&mut self, key: u64, work: &mut Work) -> bool {
        if self.count == 0 {
            work.ops += 1;
            return false;
        }
        self.begin_write(work);
        let deleted = match self.delete_find(key, work) {
            Some(cell) => {
                self.delete_clear(cell, work);
                self.count -= 1;
                if self.count == 0 {
                    self.reseed();
                }
                true
            }
            None => false,
        };
        self.end_write();
        deleted
    }

    /// The search of mapdelete, after hashWriting is set: growWork, then walk the chain for
    /// the key. Hashes `key` under the current hash0; see
    /// [`ClassicMap::delete_find_hashed`].
    pub fn delete_find(&mut self, key: u64, work: &mut Work) -> Option<Cell> {
        let hash = self.hash(key);
        self.delete_find_hashed(key, hash, work)
    }

    /// [`ClassicMap::delete_find`] with `hash`, the key's hash computed earlier by
    /// [`ClassicMap::key_hash`] (mapdelete hashes before it sets hashWriting). The walk is
    /// the layout's: mapdelete stops at the first emptyRest; mapdelete_fast32/64 match any
    /// non-empty cell holding the key, whatever its tophash, and mapdelete_faststr matches
    /// tophash then key, both walking the whole chain.
    pub fn delete_find_hashed(&mut self, key: u64, hash: u64, work: &mut Work) -> Option<Cell> {
        let bucket = hash & ((1u64 << self.b) - 1);
        if self.growing() {
            self.grow_work(bucket, work);
        }
        let b_orig = bucket as u32;
        let top = tophash(hash);
        let walk = Walk::of(self.layout.fast);
        let (b, i) = find_in_chain(&self.buckets, b_orig, key, top, walk, work)?;
        Some(self.cell(b_orig, b, i, top))
    }

    /// mapdelete's clearing of the found cell (and of an indirect key/elem's pointer).
    pub fn delete_clear(&mut self, cell: Cell, work: &mut Work) {
        // if t.indirectkey() { *(*unsafe.Pointer)(k) = nil }, and likewise the elem.
        if self.entry_object_bytes != 0 {
            self.stats.garbage(self.entry_object_bytes, work);
        }
        if cell.generation == self.buckets.generation {
            self.clear_cell(cell.origin, cell.bucket, cell.slot as usize);
        } else if let Some(arr) = self.cell_array(cell) {
            // A cell of the old array: only the cell itself is cleared.
            arr.buckets[cell.bucket as usize].tophash[cell.slot as usize] = EMPTY_ONE;
        }
    }

    /// Reset the hash seed when the map becomes empty, to make it more difficult for
    /// attackers to repeatedly trigger hash collisions (runtime/map.go: mapdelete,
    /// golang/go#25237).
    pub fn reseed(&mut self) {
        self.hash0 = self.fastrand();
        self.seed = crate::model::gomap::hash::expand_seed(self.hash0);
    }

    /// The cell-clearing part of mapdelete: mark emptyOne, and if nothing follows in the
    /// chain, walk backwards turning emptyOne cells into emptyRest.
    fn clear_cell(&mut self, b_orig: u32, mut b: u32, mut i: usize) {
        let arr = &mut self.buckets.buckets;
        arr[b as usize].tophash[i] = EMPTY_ONE;
        // If the bucket now ends in a bunch of emptyOne states, change those to emptyRest.
        if i == BUCKET_CNT - 1 {
            let ovf = arr[b as usize].overflow;
            if ovf != NONE && arr[ovf as usize].tophash[0] != EMPTY_REST {
                return;
            }
        } else if arr[b as usize].tophash[i + 1] != EMPTY_REST {
            return;
        }
        loop {
            arr[b as usize].tophash[i] = EMPTY_REST;
            if i == 0 {
                if b == b_orig {
                    break; // beginning of initial bucket, we're done.
                }
                // Find the previous bucket and continue at its last entry.
                let c = b;
                b = b_orig;
                while arr[b as usize].overflow != c {
                    b = arr[b as usize].overflow;
                }
                i = BUCKET_CNT - 1;
            } else {
                i -= 1;
            }
            if arr[b as usize].tophash[i] != EMPTY_ONE {
                break;
            }
        }
    }

    /// runtime/map.go: mapaccess1 — `v := m[key]`. Returns whether the key is present.
    /// While growing, looks in the old bucket if it is not evacuated yet; never evacuates.
    /// Hashes `key` under the current hash0; see [`ClassicMap::get_hashed`].
    pub fn get(&self, key: u64, work: &mut Work) -> bool {
        self.get_hashed(key, self.hash(key), work)
    }

    /// [`ClassicMap::get`] with `hash`, the key's hash computed earlier by
    /// [`ClassicMap::key_hash`]. The search is the layout's:
    ///
    /// - mapaccess1: bucket by hash (the old one while it is not evacuated), tophash then key,
    ///   stopping at the first emptyRest.
    /// - mapaccess1_fast32/64: with B = 0 the one bucket of `h.buckets` and its overflow
    ///   chain, unhashed, never the old array; otherwise bucket by hash as mapaccess1. Any
    ///   non-empty cell holding the key matches, whatever its tophash; the whole chain is
    ///   walked.
    /// - mapaccess1_faststr: with B = 0 the cells of the one bucket of `h.buckets` only (not
    ///   its overflow buckets, never the old array), unhashed, key against every non-empty
    ///   cell, stopping at the first emptyRest (simulated keys are taken to be shorter than 32
    ///   bytes, the branch that compares every cell); otherwise bucket by hash as mapaccess1,
    ///   tophash then key, the whole chain walked.
    pub fn get_hashed(&self, key: u64, hash: u64, work: &mut Work) -> bool {
        work.ops += 1;
        if self.count == 0 {
            return false;
        }
        let fast = self.layout.fast;
        if self.b == 0 && fast != FastPath::Slow {
            // One-bucket table. No need to hash.
            if self.buckets.is_nil() {
                return false;
            }
            if fast == FastPath::FastStr {
                let bk = &self.buckets.buckets[0];
                for i in 0..BUCKET_CNT {
                    let th = bk.tophash[i];
                    if is_empty(th) {
                        if th == EMPTY_REST {
                            break;
                        }
                        continue;
                    }
                    if bk.holds(i, key) {
                        return true;
                    }
                }
                return false;
            }
            return find_in_chain(&self.buckets, 0, key, 0, Walk::KeyNotEmpty, work).is_some();
        }
        let mut m = (1u64 << self.b) - 1;
        let mut arr = &self.buckets;
        let mut b = (hash & m) as u32;
        if self.growing() {
            if !self.same_size_grow() {
                // There used to be half as many buckets; mask down one more power of two.
                m >>= 1;
            }
            let oldb = (hash & m) as u32;
            if !self.oldbuckets.buckets[oldb as usize].evacuated() {
                arr = &self.oldbuckets;
                b = oldb;
            }
        }
        let top = tophash(hash);
        find_in_chain(arr, b, key, top, Walk::of(fast), work).is_some()
    }
}
