//! The memory layout of a classic map's bucket for given key and elem types, on 64-bit Go.

use crate::model::malloc::{Malloc, PTR_SIZE};

/// `bucketCnt` (runtime/map.go): slots per bucket.
pub const BUCKET_CNT: usize = 8;
/// `maxKeySize` / `maxElemSize` (runtime/map.go): larger keys or elems are stored
/// indirectly, as a pointer to their own heap object.
pub const MAX_KEY_SIZE: u64 = 128;
pub const MAX_ELEM_SIZE: u64 = 128;

/// What the model needs to know about `map[K]V`: sizes, whether the GC must scan it, and
/// which release's allocator sizes its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapLayout {
    /// `unsafe.Sizeof(K)`.
    pub key_size: u64,
    /// `unsafe.Sizeof(V)`.
    pub elem_size: u64,
    /// K contains pointers.
    pub key_has_pointers: bool,
    /// V contains pointers.
    pub elem_has_pointers: bool,
    /// Size allocations with go1.22's malloc headers (see [`Malloc`]); false for go1.19–1.21.
    pub alloc_headers: bool,
}

impl MapLayout {
    /// map[int64]int64: the layout of the measured data and of the benchmarks.
    pub const INT64_INT64: MapLayout = MapLayout {
        key_size: 8,
        elem_size: 8,
        key_has_pointers: false,
        elem_has_pointers: false,
        alloc_headers: false,
    };

    /// A layout sized by the go1.19–go1.21 allocator (`alloc_headers: false`).
    pub fn new(
        key_size: u64,
        key_has_pointers: bool,
        elem_size: u64,
        elem_has_pointers: bool,
    ) -> Self {
        MapLayout {
            key_size,
            elem_size,
            key_has_pointers,
            elem_has_pointers,
            alloc_headers: false,
        }
    }

    /// The allocator rules this map's allocations follow.
    pub fn malloc(&self) -> Malloc {
        Malloc {
            headers: self.alloc_headers,
        }
    }

    /// The key is stored as a pointer (cmd/compile reflectdata.MapBucketType: key > MAXKEYSIZE).
    pub fn indirect_key(&self) -> bool {
        self.key_size > MAX_KEY_SIZE
    }

    /// The elem is stored as a pointer (reflectdata.MapBucketType: elem > MAXELEMSIZE).
    pub fn indirect_elem(&self) -> bool {
        self.elem_size > MAX_ELEM_SIZE
    }

    /// Bytes one key occupies in a bucket.
    pub fn key_slot(&self) -> u64 {
        if self.indirect_key() {
            PTR_SIZE
        } else {
            self.key_size
        }
    }

    /// Bytes one elem occupies in a bucket.
    pub fn elem_slot(&self) -> u64 {
        if self.indirect_elem() {
            PTR_SIZE
        } else {
            self.elem_size
        }
    }

    /// `t.bucketsize`: tophash [8]uint8, 8 keys, 8 elems, overflow pointer
    /// (reflectdata.MapBucketType). Key and elem alignment never exceed 8 on amd64 and every
    /// field offset is then a multiple of 8, so no padding is ever inserted.
    pub fn bucket_size(&self) -> u64 {
        BUCKET_CNT as u64 * (1 + self.key_slot() + self.elem_slot()) + PTR_SIZE
    }

    /// `t.bucket.ptrdata != 0`: the GC must scan buckets. When false, the runtime keeps
    /// overflow buckets alive through `hmap.extra.overflow` instead (runtime/map.go: mapextra).
    pub fn bucket_has_pointers(&self) -> bool {
        self.key_has_pointers
            || self.elem_has_pointers
            || self.indirect_key()
            || self.indirect_elem()
    }

    /// Heap bytes of one bucket allocated on its own (`newobject(t.bucket)`: the single bucket
    /// of a B = 0 map, an overflow bucket).
    pub fn bucket_object_bytes(&self) -> u64 {
        self.malloc()
            .alloc_size(self.bucket_size(), !self.bucket_has_pointers())
    }

    /// Heap bytes of one key object of an indirect key (`newobject(t.key)` in mapassign),
    /// or 0 when keys are stored inline.
    pub fn key_object_bytes(&self) -> u64 {
        if self.indirect_key() {
            self.malloc()
                .alloc_size(self.key_size, !self.key_has_pointers)
        } else {
            0
        }
    }

    /// Heap bytes of one elem object of an indirect elem (`newobject(t.elem)`), or 0.
    pub fn elem_object_bytes(&self) -> u64 {
        if self.indirect_elem() {
            self.malloc()
                .alloc_size(self.elem_size, !self.elem_has_pointers)
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(k: u64, kp: bool, e: u64, ep: bool) -> MapLayout {
        MapLayout::new(k, kp, e, ep)
    }

    #[test]
    fn bucket_sizes_match_unsafe_sizeof_of_go_bmap() {
        // map[int64]int64: 8 + 8*8 + 8*8 + 8 = 144.
        assert_eq!(MapLayout::INT64_INT64.bucket_size(), 144);
        // map[string]int64: 8 + 8*16 + 8*8 + 8 = 208.
        assert_eq!(layout(16, true, 8, false).bucket_size(), 208);
        // map[[32]byte]int64: 8 + 8*32 + 8*8 + 8 = 336.
        assert_eq!(layout(32, false, 8, false).bucket_size(), 336);
        // map[int64]struct{}: 8 + 64 + 0 + 8 = 80.
        assert_eq!(layout(8, false, 0, false).bucket_size(), 80);
        // map[[129]byte][200]byte: both indirect, 8 + 64 + 64 + 8 = 144, and scanned.
        let big = layout(129, false, 200, false);
        assert!(big.indirect_key() && big.indirect_elem());
        assert_eq!(big.bucket_size(), 144);
        assert!(big.bucket_has_pointers());
        // Exactly 128 bytes stays inline.
        assert!(!layout(128, false, 8, false).indirect_key());
    }
}
