//! The map operations: mapassign, mapdelete and mapaccess1 of runtime/map.go.

use super::bucket::{BucketArray, EMPTY_ONE, EMPTY_REST, NONE, is_empty, tophash};
use super::{ClassicMap, over_load_factor, too_many_overflow_buckets};
use crate::model::gomap::Work;
use crate::model::gomap::layout::BUCKET_CNT;

/// A cell mapassign or mapdelete chose, in the bucket array it was found in. Between the
/// search and the write another goroutine may have grown the map: the cell then belongs to
/// the old array, or to no array at all, and a write to it is lost as it would be in Go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// Generation of the bucket array the cell was found in.
    pub generation: u32,
    /// First bucket of the chain (`bOrig` in mapdelete).
    pub origin: u32,
    /// The bucket holding the cell, and the cell's index in it.
    pub bucket: u32,
    pub slot: u8,
    pub top: u8,
}

/// What mapassign's search found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assign {
    /// The key is present: the write updates its elem in place.
    Existing(Cell),
    /// The key is absent: the cell to store it in.
    New(Cell),
}

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
            Assign::Existing(_) => false,
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
    /// full, allocate indirect key/elem objects. Writes no cell and no count.
    pub fn assign_find(&mut self, key: u64, work: &mut Work) -> Assign {
        let hash = self.hash(key);
        if self.buckets.is_nil() {
            // h.buckets = newobject(t.bucket)
            let mut single = BucketArray::single(&self.layout);
            self.stamp(&mut single);
            self.buckets = single;
            self.alloc(self.buckets.bytes, work);
        }
        let top = tophash(hash);
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
                    if th != top {
                        if is_empty(th) && insert.is_none() {
                            insert = Some((b, i));
                        }
                        if th == EMPTY_REST {
                            break 'bucketloop;
                        }
                        continue;
                    }
                    if bk.keys[i] == key {
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
                self.alloc(self.layout.key_object_bytes(), work);
            }
            if self.layout.indirect_elem() {
                self.alloc(self.layout.elem_object_bytes(), work);
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
    /// the key.
    pub fn delete_find(&mut self, key: u64, work: &mut Work) -> Option<Cell> {
        let hash = self.hash(key);
        let bucket = hash & ((1u64 << self.b) - 1);
        if self.growing() {
            self.grow_work(bucket, work);
        }
        let b_orig = bucket as u32;
        let top = tophash(hash);
        let mut b = b_orig;
        loop {
            let bk = &self.buckets.buckets[b as usize];
            for i in 0..BUCKET_CNT {
                if bk.tophash[i] != top {
                    if bk.tophash[i] == EMPTY_REST {
                        return None;
                    }
                    continue;
                }
                if bk.keys[i] == key {
                    return Some(self.cell(b_orig, b, i, top));
                }
            }
            if bk.overflow == NONE {
                return None;
            }
            b = bk.overflow;
            work.overflow_probes += 1;
        }
    }

    /// mapdelete's clearing of the found cell (and of an indirect key/elem's pointer).
    pub fn delete_clear(&mut self, cell: Cell, work: &mut Work) {
        // if t.indirectkey() { *(*unsafe.Pointer)(k) = nil }, and likewise the elem.
        if self.entry_object_bytes != 0 {
            self.garbage(self.entry_object_bytes, work);
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
    pub fn get(&self, key: u64, work: &mut Work) -> bool {
        work.ops += 1;
        if self.count == 0 {
            return false;
        }
        let hash = self.hash(key);
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
        loop {
            let bk = &arr.buckets[b as usize];
            for i in 0..BUCKET_CNT {
                if bk.tophash[i] != top {
                    if bk.tophash[i] == EMPTY_REST {
                        return false;
                    }
                    continue;
                }
                if bk.keys[i] == key {
                    return true;
                }
            }
            if bk.overflow == NONE {
                return false;
            }
            b = bk.overflow;
            work.overflow_probes += 1;
        }
    }
}
