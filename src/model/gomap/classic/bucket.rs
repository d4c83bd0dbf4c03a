//! `bmap`, the classic map's bucket, and the bucket arrays `makeBucketArray` allocates.
//!
//! Keys are simulated by identity (a u64 per key), so a bucket holds 8 tophash bytes, 8 key
//! identities and an overflow link. Elems carry no information in the simulation and are not
//! stored; their size counts in [`MapLayout::bucket_size`] for every byte reported to the heap.

use crate::model::gomap::layout::{BUCKET_CNT, MapLayout};

/// A null bucket link (`*bmap(nil)`).
pub const NONE: u32 = u32::MAX;

// tophash states (runtime/map.go: emptyRest .. minTopHash).
/// This cell is empty, and so is every cell at a higher index or in later overflow buckets.
pub const EMPTY_REST: u8 = 0;
/// This cell is empty.
pub const EMPTY_ONE: u8 = 1;
/// Key/elem is valid; the entry was evacuated to the first half of the larger table.
pub const EVACUATED_X: u8 = 2;
/// Same as above, but evacuated to the second half of the larger table.
pub const EVACUATED_Y: u8 = 3;
/// Cell is empty, bucket is evacuated.
pub const EVACUATED_EMPTY: u8 = 4;
/// Minimum tophash for a normal filled cell.
pub const MIN_TOP_HASH: u8 = 5;

/// runtime/map.go: tophash — the top byte of the hash, moved above the reserved states.
#[inline(always)]
pub fn tophash(hash: u64) -> u8 {
    let top = (hash >> 56) as u8;
    if top < MIN_TOP_HASH {
        top + MIN_TOP_HASH
    } else {
        top
    }
}

/// runtime/map.go: isEmpty.
#[inline(always)]
pub fn is_empty(top: u8) -> bool {
    top <= EMPTY_ONE
}

/// One bucket: `bmap` with its tophash array, keys and overflow link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub tophash: [u8; BUCKET_CNT],
    /// Index of the next bucket of the chain in the same array, or [`NONE`].
    pub overflow: u32,
    pub keys: [u64; BUCKET_CNT],
    /// Bit i set: cell i's key was zeroed by evacuate's memclrHasPointers and has not been
    /// written since. A zeroed key holds Go's zero value, which is taken to be no simulated
    /// key: only the `_fast32`/`_fast64` searches, which compare keys without the tophash,
    /// could otherwise match it.
    pub cleared: u8,
}

impl Bucket {
    /// A zeroed bucket, as mallocgc returns it: every tophash `emptyRest`, no overflow.
    pub const EMPTY: Bucket = Bucket {
        tophash: [EMPTY_REST; BUCKET_CNT],
        overflow: NONE,
        keys: [0; BUCKET_CNT],
        cleared: 0,
    };

    /// Whether cell `i` holds simulated key `key` (compares the key only, as `t.key.equal`).
    #[inline(always)]
    pub fn holds(&self, i: usize, key: u64) -> bool {
        self.keys[i] == key && self.cleared & (1 << i) == 0
    }

    /// runtime/map.go: evacuated — judged on the first cell only, as the runtime does.
    #[inline(always)]
    pub fn evacuated(&self) -> bool {
        let h = self.tophash[0];
        h > EMPTY_ONE && h < MIN_TOP_HASH
    }
}

/// One allocation of buckets: `2^B` main buckets, then the preallocated overflow buckets, then
/// overflow buckets allocated one at a time by `newoverflow` (each its own heap object in Go;
/// kept in the same vector here so that a link is a plain index).
#[derive(Debug, Clone, Default)]
pub struct BucketArray {
    pub buckets: Vec<Bucket>,
    /// Buckets `[0, prealloc_end)` belong to the single array allocation.
    pub prealloc_end: u32,
    /// Heap bytes this array still keeps alive (array, its overflow objects, its overflow list).
    pub bytes: u64,
    /// Which allocation this is, for cells found before a concurrent growth replaced it;
    /// 0 for a nil array.
    pub generation: u32,
}

impl BucketArray {
    /// A `nil` array (`h.buckets == nil`).
    pub fn is_nil(&self) -> bool {
        self.buckets.is_empty()
    }

    /// runtime/map.go: makeBucketArray. For b >= 4 it adds `2^(b-4)` preallocated overflow
    /// buckets, then as many more as fit in the size class the allocation rounds up to
    /// (`roundupsize(sz, noscan)`; go1.22 passes `t.Bucket.PtrBytes == 0` as noscan, so a
    /// pointerful array's malloc header is not counted as room). The last preallocated
    /// bucket's overflow points at bucket 0: the runtime's end sentinel.
    /// Returns the array and `nextOverflow` (index of the first preallocated bucket or NONE).
    pub fn make(layout: &MapLayout, b: u8) -> (BucketArray, u32) {
        let malloc = layout.malloc();
        let noscan = !layout.bucket_has_pointers();
        let bucket_size = layout.bucket_size();
        let base = 1u64 << b;
        let mut nbuckets = base;
        if b >= 4 {
            nbuckets += 1u64 << (b - 4);
            let sz = bucket_size * nbuckets;
            let up = malloc.roundupsize(sz, noscan);
            if up != sz {
                nbuckets = up / bucket_size;
            }
        }
        // newarray(t.bucket, nbuckets): mallocgc rounds the request up once more (and adds the
        // header, if any, inside the size-class slot).
        let bytes = malloc.alloc_size(bucket_size * nbuckets, noscan);
        let n = nbuckets as usize;
        let mut buckets = Vec::with_capacity(n + n / 8 + 1);
        buckets.resize(n, Bucket::EMPTY);
        let mut next_overflow = NONE;
        if base != nbuckets {
            next_overflow = base as u32;
            buckets[n - 1].overflow = 0;
        }
        let array = BucketArray {
            buckets,
            prealloc_end: n as u32,
            bytes,
            generation: 0,
        };
        (array, next_overflow)
    }

    /// The lazily allocated single bucket of a B = 0 map: `newobject(t.bucket)` in mapassign.
    pub fn single(layout: &MapLayout) -> BucketArray {
        BucketArray {
            buckets: vec![Bucket::EMPTY],
            prealloc_end: 1,
            bytes: layout.bucket_object_bytes(),
            generation: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tophash_skips_reserved_states() {
        assert_eq!(tophash(0x00ff_ffff_ffff_ffff), 5);
        assert_eq!(tophash(0x04ff_ffff_ffff_ffff), 9);
        assert_eq!(tophash(0x0500_0000_0000_0000), 5);
        assert_eq!(tophash(0xff00_0000_0000_0000), 0xff);
    }

    #[test]
    fn the_cleared_mask_fits_in_padding() {
        // ClassicMap::sim_footprint_bytes counts buckets by this size.
        assert_eq!(std::mem::size_of::<Bucket>(), 80);
    }

    #[test]
    fn make_bucket_array_preallocates_overflow_for_b_at_least_4() {
        let l = MapLayout::INT64_INT64;
        let (a, next) = BucketArray::make(&l, 3);
        assert_eq!((a.buckets.len(), next, a.bytes), (8, NONE, 1152));
        // B = 4: 16 + 1 = 17 buckets of 144 B = 2448 B, size class 2688 => 18 buckets.
        let (a, next) = BucketArray::make(&l, 4);
        assert_eq!(a.buckets.len(), 18);
        assert_eq!(next, 16);
        assert_eq!(a.bytes, 2688);
        assert_eq!(a.buckets[17].overflow, 0, "end sentinel points at bucket 0");
        assert_eq!(a.buckets[16].overflow, NONE);
        // B = 10: 1024 + 64 = 1088 buckets = 156672 B, a large object: 20 pages = 163840 B
        // => 1137 buckets.
        let (a, next) = BucketArray::make(&l, 10);
        assert_eq!((a.buckets.len(), next, a.bytes), (1137, 1024, 163840));
    }
}
