//! Allocation sizes as Go's allocator rounds them: the size classes of go1.19
//! `runtime/sizeclasses.go` and `roundupsize` (`runtime/msize.go`), plus `growslice`'s
//! capacity rule (`runtime/slice.go`), so the model reports the bytes Go really allocates.
//!
//! From go1.22, objects that contain pointers and are larger than 512 bytes carry an 8-byte
//! malloc header in front of them (go1.22 runtime/mbitmap_allocheaders.go: mallocHeaderSize,
//! minSizeForMallocHeader; runtime/malloc.go: mallocgc's `hasHeader`). [`Malloc`] chooses
//! between the two behaviours; the free functions [`roundupsize`] and [`growslice_cap`] are the
//! go1.19–go1.21 answers, which are also every release's answers for pointer-free objects.

/// `_MaxSmallSize` (runtime/sizeclasses.go): objects this size and above are "large".
pub const MAX_SMALL_SIZE: u64 = 32768;
/// `_PageSize` = 1 << `_PageShift` (13) (runtime/sizeclasses.go).
pub const PAGE_SIZE: u64 = 8192;
/// `goarch.PtrSize` on the 64-bit platforms we model.
pub const PTR_SIZE: u64 = 8;
/// go1.22 `mallocHeaderSize` (runtime/mbitmap_allocheaders.go): the type pointer stored in
/// front of a pointerful object that has no heap bits in its span.
pub const MALLOC_HEADER_SIZE: u64 = 8;
/// go1.22 `minSizeForMallocHeader` = goarch.PtrSize * ptrBits = 8 * 64: objects of this size
/// or smaller keep their pointer bitmap in the span (`heapBitsInSpan`); an exclusive minimum.
pub const MIN_SIZE_FOR_MALLOC_HEADER: u64 = PTR_SIZE * 64;

/// `class_to_size` of go1.19 runtime/sizeclasses.go, without class 0.
pub(crate) const CLASS_TO_SIZE: [u16; 67] = [
    8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352,
    384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
    2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
    10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672,
    32768,
];

/// `class_to_allocnpages` of go1.19 runtime/sizeclasses.go, without class 0: the pages of
/// one span of each class.
const CLASS_TO_ALLOCNPAGES: [u8; 67] = [
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 2, 1, 2, 1, 2, 1, 3, 2, 3, 1, 3, 2, 3, 4, 5, 6, 1, 7, 6, 5, 4, 3, 5, 7, 2, 9, 7, 5, 8, 3,
    10, 7, 4,
];

/// How many `size`-byte objects one span of their class holds: a span refill
/// (runtime/mcache.go: refill) comes once in that many small allocations, and with it the
/// update of heapLive and mallocgc's test of the GC trigger (runtime/malloc.go:
/// shouldhelpgc). A large object (over `maxSmallSize`) has a span of its own: 1.
pub fn objects_per_span(size: u64) -> u64 {
    if size == 0 || size > MAX_SMALL_SIZE {
        return 1;
    }
    let i = class_index(size);
    u64::from(CLASS_TO_ALLOCNPAGES[i]) * PAGE_SIZE / u64::from(CLASS_TO_SIZE[i])
}

/// The size class a small request of `size` bytes (`size <= MAX_SMALL_SIZE`) falls in.
/// runtime/msize.go: the runtime's `size_to_class8`/`size_to_class128` tables encode exactly
/// "the smallest class that fits".
fn class_size(size: u64) -> u64 {
    u64::from(CLASS_TO_SIZE[class_index(size)])
}

/// Index in the class tables of the smallest class that fits a small `size`.
fn class_index(size: u64) -> usize {
    CLASS_TO_SIZE.partition_point(|&c| u64::from(c) < size)
}

/// A large object's size: whole pages (runtime/msize.go: alignUp(size, _PageSize); mcache.go:
/// allocLarge takes `size >> _PageShift` pages, plus one for a remainder).
fn whole_pages(size: u64) -> u64 {
    size.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE)
}

/// The size `mallocgc` really allocates for a request of `size` bytes, before go1.22 (and, in
/// every release, for an object without pointers).
/// runtime/msize.go (go1.19): roundupsize — the smallest size class that fits a small object,
/// else whole pages.
pub fn roundupsize(size: u64) -> u64 {
    if size < MAX_SMALL_SIZE {
        return class_size(size);
    }
    whole_pages(size)
}

/// The capacity `append` gives a slice of `elem_size`-byte elements that must hold `needed`
/// elements and had `old_cap`, before go1.22 (or for pointer-free elements in any release).
/// See [`Malloc::growslice_cap`].
pub fn growslice_cap(old_cap: u64, needed: u64, elem_size: u64) -> u64 {
    Malloc::GO1_19.growslice_cap(old_cap, needed, elem_size, true)
}

/// The allocator's sizing rules of one Go release: with or without go1.22's malloc headers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Malloc {
    /// go1.22+: a small object with pointers larger than [`MIN_SIZE_FOR_MALLOC_HEADER`] gets an
    /// 8-byte header in its size-class slot. False for go1.19–go1.21.
    pub headers: bool,
}

impl Malloc {
    /// go1.19 through go1.21.
    pub const GO1_19: Malloc = Malloc { headers: false };
    /// go1.22 and later.
    pub const GO1_22: Malloc = Malloc { headers: true };

    /// Whether mallocgc puts a header in front of a `size`-byte object. go1.22
    /// runtime/malloc.go: mallocgc — only on the small-object path (`size <= maxSmallSize -
    /// mallocHeaderSize`), `hasHeader := !noscan && !heapBitsInSpan(size)`, and heapBitsInSpan
    /// is `size <= minSizeForMallocHeader`. Large objects keep their type in
    /// `span.largeType` instead: no header.
    pub fn has_header(self, size: u64, noscan: bool) -> bool {
        self.headers
            && !noscan
            && size > MIN_SIZE_FOR_MALLOC_HEADER
            && size <= MAX_SMALL_SIZE - MALLOC_HEADER_SIZE
    }

    /// `roundupsize(size, noscan)`: the bytes usable by the caller of a `size`-byte request,
    /// which is what makeBucketArray and growslice size their arrays with.
    /// go1.22 runtime/msize_allocheaders.go: roundupsize — for a small object (`reqSize <=
    /// maxSmallSize-mallocHeaderSize`), add mallocHeaderSize when `!noscan && reqSize >
    /// minSizeForMallocHeader`, take that size class, subtract the header again; a large object
    /// is aligned up to whole pages with no header.
    pub fn roundupsize(self, size: u64, noscan: bool) -> u64 {
        if !self.headers {
            return roundupsize(size);
        }
        if size <= MAX_SMALL_SIZE - MALLOC_HEADER_SIZE {
            let header = if self.has_header(size, noscan) {
                MALLOC_HEADER_SIZE
            } else {
                0
            };
            return class_size(size + header) - header;
        }
        whole_pages(size)
    }

    /// The heap bytes a `size`-byte object occupies (its slot: `span.elemsize`), header
    /// included: what the model reports as allocated, live and garbage.
    pub fn alloc_size(self, size: u64, noscan: bool) -> u64 {
        let usable = self.roundupsize(size, noscan);
        if self.has_header(size, noscan) {
            usable + MALLOC_HEADER_SIZE
        } else {
            usable
        }
    }

    /// The capacity `append` gives a slice of `elem_size`-byte elements (pointer-free iff
    /// `noscan`) that must hold `needed` elements and had `old_cap`. runtime/slice.go:
    /// growslice — nextslicecap doubles below 256 elements, then grows by (newcap + 3*256)/4
    /// until it fits; then `capmem = roundupsize(newcap*size, noscan)` (go1.22 passes
    /// `noscan := et.PtrBytes == 0`) and the capacity is `capmem / size`.
    pub fn growslice_cap(self, old_cap: u64, needed: u64, elem_size: u64, noscan: bool) -> u64 {
        const THRESHOLD: u64 = 256;
        let doublecap = old_cap + old_cap;
        let mut newcap = old_cap;
        if needed > doublecap {
            newcap = needed;
        } else if old_cap < THRESHOLD {
            newcap = doublecap;
        } else {
            while newcap < needed {
                newcap += (newcap + 3 * THRESHOLD) / 4;
            }
        }
        if elem_size == 0 {
            return newcap;
        }
        self.roundupsize(newcap * elem_size, noscan) / elem_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundupsize_matches_go_size_classes() {
        // Values read off go1.19 runtime/sizeclasses.go's class table.
        assert_eq!(roundupsize(1), 8);
        assert_eq!(roundupsize(8), 8);
        assert_eq!(roundupsize(9), 16);
        assert_eq!(roundupsize(144), 144);
        assert_eq!(roundupsize(145), 160);
        assert_eq!(roundupsize(336), 352);
        assert_eq!(roundupsize(1025), 1152);
        assert_eq!(roundupsize(32767), 32768);
        // Large objects: whole 8 KiB pages.
        assert_eq!(roundupsize(32768), 32768);
        assert_eq!(roundupsize(32769), 40960);
        // 17 buckets of 144 bytes (B = 4 with one preallocated overflow bucket).
        assert_eq!(roundupsize(17 * 144), 2688);
    }

    #[test]
    fn objects_per_span_matches_go_size_class_table() {
        // The "objects" column of go1.19 runtime/sizeclasses.go's header table.
        assert_eq!(objects_per_span(8), 1024);
        assert_eq!(objects_per_span(48), 170);
        assert_eq!(objects_per_span(1536), 5);
        assert_eq!(objects_per_span(3072), 8);
        assert_eq!(objects_per_span(4096), 2);
        assert_eq!(objects_per_span(9472), 6);
        assert_eq!(objects_per_span(32768), 1);
        // Rounded up to its class (4097 → 4864: 24576-byte spans of 5).
        assert_eq!(objects_per_span(4097), 5);
        // Large objects have a span each.
        assert_eq!(objects_per_span(32769), 1);
    }

    #[test]
    fn growslice_doubles_then_grows_by_a_quarter() {
        // append to a nil []*T: 1, 2, 4, 8, ... (runtime/slice.go: growslice).
        assert_eq!(growslice_cap(0, 1, 8), 1);
        assert_eq!(growslice_cap(1, 2, 8), 2);
        assert_eq!(growslice_cap(2, 3, 8), 4);
        assert_eq!(growslice_cap(128, 129, 8), 256);
        // 256 -> 256 + (256 + 768)/4 = 512 elements = 4096 bytes, a size class.
        assert_eq!(growslice_cap(256, 257, 8), 512);
        // 512 -> 512 + (512+768)/4 = 832 -> 6656 bytes -> class 6784 -> 848 elements.
        assert_eq!(growslice_cap(512, 513, 8), 848);
    }

    #[test]
    fn go122_headers_on_pointerful_small_objects_above_512_bytes() {
        // go1.22 runtime/msize_allocheaders.go roundupsize and malloc.go mallocgc, by hand.
        let m = Malloc::GO1_22;
        // 512 is heapBitsInSpan (minSizeForMallocHeader is an exclusive minimum): no header.
        assert_eq!(m.roundupsize(512, false), 512);
        assert_eq!(m.alloc_size(512, false), 512);
        // 513 + 8 = 521 -> class 576; the caller may use 576 - 8 = 568.
        assert_eq!(m.roundupsize(513, false), 568);
        assert_eq!(m.alloc_size(513, false), 576);
        assert_eq!(m.roundupsize(513, true), 576);
        // 1024 + 8 = 1032 -> class 1152 -> 1144 usable; pointer-free 1024 stays 1024.
        assert_eq!(m.roundupsize(1024, false), 1144);
        assert_eq!(m.alloc_size(1024, false), 1152);
        assert_eq!(m.roundupsize(1024, true), 1024);
        assert_eq!(Malloc::GO1_19.roundupsize(1024, false), 1024);
        // 2296 + 8 fills class 2304 exactly; 2297 + 8 spills into 2688.
        assert_eq!(m.roundupsize(2296, false), 2296);
        assert_eq!(m.roundupsize(2297, false), 2680);
        assert_eq!(m.alloc_size(2297, false), 2688);
        // maxSmallSize - mallocHeaderSize = 32760 is the last small size: 32768 - 8.
        assert_eq!(m.roundupsize(32760, false), 32760);
        assert_eq!(m.alloc_size(32760, false), 32768);
        // Above it, large objects: whole pages, no header (span.largeType holds the type).
        assert!(!m.has_header(32761, false));
        assert_eq!(m.roundupsize(32761, false), 32768);
        assert_eq!(m.alloc_size(32761, false), 32768);
        assert_eq!(m.alloc_size(40000, false), 40960);
        assert_eq!(m.alloc_size(40000, true), 40960);
        // Without headers nothing changes for pointerful objects.
        assert_eq!(Malloc::GO1_19.alloc_size(1024, false), 1024);
        assert_eq!(Malloc::GO1_19.alloc_size(32761, false), 32768);
    }

    #[test]
    fn go122_growslice_of_pointers_loses_a_slot_to_the_header() {
        // append to a []*bmap of cap 64: nextslicecap 128, 1024 bytes; go1.22
        // roundupsize(1024, noscan=false) = 1144 => cap 143 (go1.19: 1024, a class => 128).
        assert_eq!(Malloc::GO1_22.growslice_cap(64, 65, 8, false), 143);
        assert_eq!(Malloc::GO1_19.growslice_cap(64, 65, 8, false), 128);
        assert_eq!(Malloc::GO1_22.growslice_cap(64, 65, 8, true), 128);
        assert_eq!(growslice_cap(64, 65, 8), 128);
        // 143 -> 286 -> 2288 + 8 = 2296 -> class 2304 -> 2296 / 8 = 287.
        assert_eq!(Malloc::GO1_22.growslice_cap(143, 144, 8, false), 287);
        // 32 -> 64 elements = 512 bytes: no header yet.
        assert_eq!(Malloc::GO1_22.growslice_cap(32, 33, 8, false), 64);
    }
}
