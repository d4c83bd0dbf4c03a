//! Growth: hashGrow, growWork, evacuate, advanceEvacuationMark, and the overflow-bucket
//! bookkeeping (newoverflow, incrnoverflow) of runtime/map.go.

use super::bucket::{
    Bucket, BucketArray, EVACUATED_EMPTY, EVACUATED_X, MIN_TOP_HASH, NONE, is_empty,
};
use super::{ClassicMap, ITERATOR, OLD_ITERATOR, SAME_SIZE_GROW, over_load_factor};
use crate::model::gomap::AllocSite;
use crate::model::gomap::layout::BUCKET_CNT;
use crate::model::gomap::{MapEventKind, Work};

impl ClassicMap {
    /// runtime/map.go: (*hmap).sameSizeGrow.
    #[inline(always)]
    pub(super) fn same_size_grow(&self) -> bool {
        self.flags & SAME_SIZE_GROW != 0
    }

    /// runtime/map.go: (*hmap).noldbuckets — buckets in the old array (2^B, or 2^(B-1)).
    #[inline(always)]
    pub(super) fn noldbuckets(&self) -> u64 {
        let mut old_b = self.b;
        if !self.same_size_grow() {
            old_b = old_b.saturating_sub(1);
        }
        let n = 1u64 << old_b;
        // Only a racing write of a stale flags byte (sameSizeGrow flipped mid-growth) makes
        // this larger than the old array; Go would read past it. Treat it as the bad map
        // state it is, and stay inside the array.
        let len = self.oldbuckets.buckets.len() as u64;
        if self.growing() && n > len {
            self.bad_state.set(true);
            return len.max(1);
        }
        n
    }

    /// runtime/map.go: hashGrow — allocate the new array and make the current one old; the
    /// entries move later, a little at each write (growWork). Doubling when over the load
    /// factor, otherwise a same-size grow that compacts overflow chains.
    pub(super) fn hash_grow(&mut self, work: &mut Work) {
        let site = std::mem::replace(&mut self.stats.site, AllocSite::Grow);
        self.hash_grow_at(work);
        self.stats.site = site;
    }

    fn hash_grow_at(&mut self, work: &mut Work) {
        let mut bigger = 1u8;
        if !over_load_factor(self.count + 1, self.b) {
            bigger = 0;
            self.flags |= SAME_SIZE_GROW;
        }
        let (mut array, next_overflow) = BucketArray::make(&self.layout, self.b + bigger);
        self.stamp(&mut array);
        self.stats.alloc(array.bytes, work);

        let mut flags = self.flags & !(ITERATOR | OLD_ITERATOR);
        if self.flags & ITERATOR != 0 {
            flags |= OLD_ITERATOR;
        }
        self.grow_from = self.b;
        self.b += bigger;
        self.grow_to = self.b;
        self.flags = flags;
        self.oldbuckets = std::mem::replace(&mut self.buckets, array);
        self.nevacuate = 0;
        self.noverflow = 0;
        // h.extra.oldoverflow = h.extra.overflow; h.extra.overflow = nil. Its bytes travel
        // with the old array's.
        self.overflow_list = None;
        if next_overflow != NONE {
            self.create_extra(work);
            self.next_overflow = next_overflow;
        } else {
            // Only arrays with B >= 4 preallocate, and B never decreases, so an old
            // nextOverflow can never be left pointing into the old array here.
            debug_assert_eq!(self.next_overflow, NONE);
        }
        if bigger == 1 {
            self.stats.growths += 1;
            self.push_event(MapEventKind::GrowStart);
        } else {
            self.stats.same_size_growths += 1;
            self.push_event(MapEventKind::SameSizeGrowStart);
        }
    }

    /// runtime/map.go: growWork — evacuate the old bucket behind the bucket about to be used,
    /// then one more (nevacuate) to make progress.
    #[inline]
    pub(super) fn grow_work(&mut self, bucket: u64, work: &mut Work) {
        let oldbucketmask = self.noldbuckets() - 1;
        self.evacuate(bucket & oldbucketmask, work);
        if self.growing() {
            self.evacuate(self.nevacuate, work);
        }
    }

    /// runtime/map.go: evacuate — move every entry of one old bucket chain to the new array,
    /// to X (same index) or, when doubling, Y (index + newbit) by `hash & newbit` under the
    /// current hash0, and mark the old cells evacuatedX/Y/Empty. evacuate_fast32,
    /// evacuate_fast64 and evacuate_faststr do the same for keys without NaNs.
    pub(super) fn evacuate(&mut self, oldbucket: u64, work: &mut Work) {
        let site = std::mem::replace(&mut self.stats.site, AllocSite::EvacuateOverflow);
        self.evacuate_at(oldbucket, work);
        self.stats.site = site;
    }

    fn evacuate_at(&mut self, oldbucket: u64, work: &mut Work) {
        let newbit = self.noldbuckets();
        let ob = oldbucket as usize;
        if !self.oldbuckets.buckets[ob].evacuated() {
            work.evacuated_buckets += 1;
            work.evacuation_touches += 1;
            let same_size = self.same_size_grow();
            // xy: destination bucket and next free cell, for X and Y.
            let mut dst_b = [oldbucket as u32, (oldbucket + newbit) as u32];
            let mut dst_i = [0usize; 2];
            let mut b = ob;
            // Separately allocated (newobject) overflow buckets of the chain met before its
            // first preallocated one.
            let mut chain_objects = 0u64;
            let mut reached_prealloc = false;
            loop {
                let old = self.oldbuckets.buckets[b];
                let mut tophash = old.tophash;
                for (i, &top) in old.tophash.iter().enumerate() {
                    if is_empty(top) {
                        tophash[i] = EVACUATED_EMPTY;
                        continue;
                    }
                    if top < MIN_TOP_HASH {
                        // throw("bad map state"): an evacuatedX/Y/Empty cell in a bucket whose
                        // first cell says it is not evacuated, which only racing writers
                        // leave behind. Go dies here; the cell is skipped and the state
                        // recorded for the caller (see ClassicMap::take_bad_state).
                        self.bad_state.set(true);
                        continue;
                    }
                    let key = old.keys[i];
                    let mut use_y = 0usize;
                    if !same_size && self.hash(key) & newbit != 0 {
                        // Simulated keys are reflexive (no NaN), so the iterator special
                        // case of evacuate never applies.
                        use_y = 1;
                    }
                    tophash[i] = EVACUATED_X + use_y as u8;
                    if dst_i[use_y] == BUCKET_CNT {
                        dst_b[use_y] = self.new_overflow(dst_b[use_y], work);
                        dst_i[use_y] = 0;
                    }
                    if dst_i[use_y] == 0 {
                        work.evacuation_touches += 1;
                    }
                    let dst = &mut self.buckets.buckets[dst_b[use_y] as usize];
                    dst.tophash[dst_i[use_y]] = top;
                    dst.keys[dst_i[use_y]] = key;
                    dst_i[use_y] += 1;
                    work.evacuated_entries += 1;
                }
                let slot = &mut self.oldbuckets.buckets[b];
                slot.tophash = tophash;
                let next = old.overflow;
                if b != ob {
                    if (b as u32) < self.oldbuckets.prealloc_end {
                        reached_prealloc = true;
                    } else if !reached_prealloc {
                        chain_objects += 1;
                    }
                }
                if next == NONE {
                    break;
                }
                b = next as usize;
            }
            // Unlink the overflow buckets & clear key/elem to help GC: only for buckets with
            // pointers and no old iterator. memclrHasPointers clears the first bucket of the
            // chain only, its overflow pointer included. Newobject overflow buckets reachable
            // only through that pointer become garbage now. A preallocated overflow bucket is
            // part of the old array's allocation, which h.oldbuckets keeps alive, so it and the
            // rest of the chain after it (newobject buckets are handed out only once the
            // preallocated ones are used up, so they always come after) stay reachable until
            // the old array is freed at the end of the growth, with `oldbuckets.bytes`.
            if self.flags & OLD_ITERATOR == 0 && self.bucket_has_pointers {
                // memclrHasPointers(add(b, dataOffset), t.bucketsize-dataOffset) keeps the
                // tophash (it holds the evacuation state) and zeroes keys, elems and the
                // overflow pointer.
                let first = &mut self.oldbuckets.buckets[ob];
                first.overflow = NONE;
                first.cleared = u8::MAX;
                if chain_objects > 0 {
                    let bytes = chain_objects * self.bucket_object_bytes;
                    self.oldbuckets.bytes -= bytes;
                    self.stats.garbage(bytes, work);
                }
            }
        }
        if oldbucket == self.nevacuate {
            self.advance_evacuation_mark(newbit, work);
        }
    }

    /// runtime/map.go: advanceEvacuationMark — move nevacuate past evacuated buckets, looking
    /// at most 1024 ahead; when every old bucket is done, drop the old array.
    fn advance_evacuation_mark(&mut self, newbit: u64, work: &mut Work) {
        self.nevacuate += 1;
        // Experiments suggest that 1024 is overkill by at least an order of magnitude.
        // Put it in there as a safeguard anyway, to ensure O(1) behavior.
        let stop = (self.nevacuate + 1024).min(newbit);
        while self.nevacuate != stop && self.oldbuckets.buckets[self.nevacuate as usize].evacuated()
        {
            self.nevacuate += 1;
        }
        if self.nevacuate == newbit {
            let old = std::mem::take(&mut self.oldbuckets);
            self.stats.garbage(old.bytes, work);
            self.flags &= !SAME_SIZE_GROW;
            self.push_event(MapEventKind::GrowEnd);
        }
    }

    /// runtime/map.go: newoverflow — link an overflow bucket after bucket `b` of the current
    /// array: the next preallocated one if any, else a new object. Always counts it
    /// (incrnoverflow) and, for pointer-free buckets, appends it to `h.extra.overflow`.
    pub(super) fn new_overflow(&mut self, b: u32, work: &mut Work) -> u32 {
        if self.stats.site == AllocSite::EvacuateOverflow {
            return self.new_overflow_at(b, work);
        }
        let site = std::mem::replace(&mut self.stats.site, AllocSite::Overflow);
        let ovf = self.new_overflow_at(b, work);
        self.stats.site = site;
        ovf
    }

    fn new_overflow_at(&mut self, b: u32, work: &mut Work) -> u32 {
        let ovf;
        if self.next_overflow != NONE {
            ovf = self.next_overflow;
            let slot = &mut self.buckets.buckets[ovf as usize];
            if slot.overflow == NONE {
                // Not at the end of the preallocated overflow buckets: bump the pointer.
                self.next_overflow = ovf + 1;
            } else {
                // The last preallocated bucket: reset its sentinel link.
                slot.overflow = NONE;
                self.next_overflow = NONE;
            }
            self.stats.overflow_from_prealloc += 1;
        } else {
            ovf = self.buckets.buckets.len() as u32;
            self.buckets.buckets.push(Bucket::EMPTY);
            let bytes = self.bucket_object_bytes;
            self.stats.alloc(bytes, work);
            self.buckets.bytes += bytes;
            self.stats.overflow_allocated += 1;
        }
        self.incrnoverflow();
        if !self.bucket_has_pointers {
            self.append_overflow_list(work);
        }
        self.buckets.buckets[b as usize].overflow = ovf;
        ovf
    }

    /// runtime/map.go: incrnoverflow — exact below B = 16; above, with probability
    /// 1/2^(B-15), so that noverflow (a uint16) approximates the count.
    #[inline]
    pub(super) fn incrnoverflow(&mut self) {
        if self.b < 16 {
            self.noverflow = self.noverflow.wrapping_add(1);
            return;
        }
        let mask = (1u32 << (self.b - 15)) - 1;
        if self.fastrand() & mask == 0 {
            self.noverflow = self.noverflow.wrapping_add(1);
        }
    }
}
