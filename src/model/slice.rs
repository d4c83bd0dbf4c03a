//! A Go slice's backing array as `append` grows it: `make([]T, 0, cap)` (runtime/slice.go:
//! makeslice), single-element appends that call growslice once the length reaches the
//! capacity (runtime/slice.go: growslice), `s = s[:0]` and `s = nil`. What it reports is what
//! the allocator does: one object per growth, sized by the size classes ([`Malloc`]), the old
//! array left to the GC as garbage.

use super::malloc::Malloc;

/// runtime/malloc.go: maxAlloc on 64-bit Linux, `1 << heapAddrBits` (48): growslice panics
/// with "growslice: cap out of range" past it.
pub const MAX_ALLOC: u64 = 1 << 48;

/// Go's panic when an append would need an array larger than [`MAX_ALLOC`]
/// (runtime/slice.go: growslice, `panic(errorString("growslice: cap out of range"))`).
pub const GROWSLICE_PANIC: &str = "runtime error: growslice: cap out of range";

/// What the append that does not fit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grow {
    /// Every append fitted.
    Fitted,
    /// The last one grew the array.
    Grew(Growth),
    /// The next one needs an array past [`MAX_ALLOC`]: Go panics ([`GROWSLICE_PANIC`]).
    OutOfRange,
}

/// One growth of a slice's backing array: growslice called for length `len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Growth {
    /// The length the append needed (growslice's `newLen`): the old length plus one.
    pub len: u64,
    /// Capacity before.
    pub cap_before: u64,
    /// Capacity growslice returned: `roundupsize(newcap * size) / size`.
    pub cap_after: u64,
    /// Heap bytes of the old backing array (0 for a nil slice), now garbage.
    pub bytes_before: u64,
    /// Heap bytes of the new backing array (its size-class slot).
    pub bytes_after: u64,
}

/// What a slice allocated over its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliceStats {
    /// Backing arrays allocated (`make` with a capacity, and every growth): what
    /// testing.AllocsPerRun counts.
    pub allocs: u64,
    /// Their heap bytes.
    pub alloc_bytes: u64,
    /// Bytes of backing arrays dropped (replaced by a growth, or `s = nil`).
    pub garbage_bytes: u64,
}

impl SliceStats {
    /// These and `other` together (saturating).
    pub fn plus(self, other: SliceStats) -> SliceStats {
        SliceStats {
            allocs: self.allocs.saturating_add(other.allocs),
            alloc_bytes: self.alloc_bytes.saturating_add(other.alloc_bytes),
            garbage_bytes: self.garbage_bytes.saturating_add(other.garbage_bytes),
        }
    }
}

/// One slice variable of element type `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice {
    elem_size: u64,
    noscan: bool,
    malloc: Malloc,
    len: u64,
    cap: u64,
    /// Heap bytes of the current backing array; 0 when it is nil or `zerobase`.
    array_bytes: u64,
    stats: SliceStats,
}

impl Slice {
    /// `make([]T, 0, cap)` (`cap = 0`: a nil slice, which allocates nothing). runtime/slice.go:
    /// makeslice — `mallocgc(et.size * cap, et, true)`: the capacity is exactly `cap`, the
    /// object takes its size class; a zero-byte request returns `zerobase` (runtime/malloc.go:
    /// mallocgc, `size == 0`) and allocates nothing. `noscan`: the element holds no pointers.
    pub fn make(elem_size: u64, noscan: bool, cap: u64, malloc: Malloc) -> Slice {
        let mut s = Slice {
            elem_size,
            noscan,
            malloc,
            len: 0,
            cap,
            array_bytes: 0,
            stats: SliceStats::default(),
        };
        let bytes = elem_size.saturating_mul(cap);
        if bytes > 0 {
            s.array_bytes = malloc.alloc_size(bytes, noscan);
            s.stats.allocs = 1;
            s.stats.alloc_bytes = s.array_bytes;
        }
        s
    }

    /// Length.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the length is 0.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Capacity.
    pub fn cap(&self) -> u64 {
        self.cap
    }

    /// Heap bytes of the current backing array (what stays reachable).
    pub fn array_bytes(&self) -> u64 {
        self.array_bytes
    }

    /// Whether the backing array holds pointers the GC scans.
    pub fn scans(&self) -> bool {
        !self.noscan
    }

    /// Element size in bytes.
    pub fn elem_size(&self) -> u64 {
        self.elem_size
    }

    /// Allocations so far.
    pub fn stats(&self) -> SliceStats {
        self.stats
    }

    /// Appends that fit before the next growth.
    pub fn room(&self) -> u64 {
        self.cap - self.len
    }

    /// `s = append(s, x)` for up to `n` elements, stopping after the first append that
    /// grows the array: returns how many appends were done and what the last one did.
    /// The compiler's append calls growslice only when `len + 1 > cap`.
    pub fn append_until_growth(&mut self, n: u64) -> (u64, Grow) {
        if self.elem_size == 0 {
            // runtime/slice.go: growslice — for a zero-size element it returns `zerobase`
            // with the capacity asked for and allocates nothing: the capacity follows the
            // length.
            self.len = self.len.saturating_add(n);
            self.cap = self.cap.max(self.len);
            return (n, Grow::Fitted);
        }
        let room = self.room();
        if n <= room {
            self.len += n;
            return (n, Grow::Fitted);
        }
        self.len = self.cap;
        match self.grow() {
            Some(g) => (room + 1, Grow::Grew(g)),
            None => (room, Grow::OutOfRange),
        }
    }

    /// `n` single-element appends, calling `on_growth` for every growth; `Err` with the
    /// appends done when one needs an array past [`MAX_ALLOC`].
    pub fn append(&mut self, mut n: u64, mut on_growth: impl FnMut(Growth)) -> Result<(), u64> {
        let mut done = 0;
        while n > 0 {
            let (k, grow) = self.append_until_growth(n);
            n -= k;
            done += k;
            match grow {
                Grow::Fitted => {}
                Grow::Grew(g) => on_growth(g),
                Grow::OutOfRange => return Err(done),
            }
        }
        Ok(())
    }

    /// growslice for one more element, from a full slice (`len == cap`) of non-zero-size
    /// elements. runtime/slice.go: growslice — the new capacity from
    /// [`Malloc::growslice_cap`]; a new array of `roundupsize(newcap * size)` bytes; the old
    /// one is garbage. `None` (nothing changed) when the array would pass [`MAX_ALLOC`].
    fn grow(&mut self) -> Option<Growth> {
        let new_len = self.len + 1;
        let cap_before = self.cap;
        let bytes_before = self.array_bytes;
        // Past maxAlloc / size, growslice panics before roundupsize (its overflow check).
        if new_len > MAX_ALLOC / self.elem_size {
            return None;
        }
        let cap = self
            .malloc
            .growslice_cap(cap_before, new_len, self.elem_size, self.noscan);
        let capmem = cap.saturating_mul(self.elem_size);
        if capmem > MAX_ALLOC {
            return None;
        }
        let (cap_after, bytes_after) = (cap, self.malloc.alloc_size(capmem, self.noscan));
        self.len = new_len;
        self.cap = cap_after;
        self.array_bytes = bytes_after;
        if bytes_after > 0 {
            self.stats.allocs += 1;
            self.stats.alloc_bytes = self.stats.alloc_bytes.saturating_add(bytes_after);
        }
        self.stats.garbage_bytes = self.stats.garbage_bytes.saturating_add(bytes_before);
        Some(Growth {
            len: new_len,
            cap_before,
            cap_after,
            bytes_before,
            bytes_after,
        })
    }

    /// `s = s[:0]`: the length goes to 0, the array and its capacity stay.
    pub fn reset(&mut self) {
        self.len = 0;
    }

    /// `s = nil`: the array becomes garbage. Returns its bytes.
    pub fn drop_array(&mut self) -> u64 {
        let bytes = self.array_bytes;
        self.stats.garbage_bytes = self.stats.garbage_bytes.saturating_add(bytes);
        self.len = 0;
        self.cap = 0;
        self.array_bytes = 0;
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caps(elem_size: u64, noscan: bool, cap0: u64, n: u64, malloc: Malloc) -> Vec<u64> {
        let mut s = Slice::make(elem_size, noscan, cap0, malloc);
        let mut out = vec![];
        s.append(n, |g| out.push(g.cap_after)).unwrap();
        out
    }

    #[test]
    fn int64_doubles_then_grows_by_a_quarter_plus_192() {
        // runtime/slice.go (go1.19): doublecap below 256, then newcap += (newcap+768)/4;
        // capmem = roundupsize(newcap*8): 512*8 = 4096 is a class; 512+(512+768)/4 = 832,
        // 6656 B -> the 6784 B class = 848; 848+404 = 1252, 10016 B -> 10240 = 1280.
        assert_eq!(
            caps(8, true, 0, 1300, Malloc::GO1_19),
            vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 848, 1280, 1792]
        );
    }

    #[test]
    fn bytes_start_at_the_smallest_size_class() {
        // roundupsize(1) = 8; 16, 32, 48 (2*32 = 64 is a class: 64), ...
        assert_eq!(
            caps(1, true, 0, 100, Malloc::GO1_19),
            vec![8, 16, 32, 64, 128]
        );
    }

    #[test]
    fn odd_element_sizes_take_what_their_class_holds() {
        // [3]byte: 1*3 -> 8 B class -> cap 2; 4*3 = 12 -> 16 -> 5; 10*3 = 30 -> 32 -> 10;
        // 20*3 = 60 -> 64 -> 21; 42*3 = 126 -> 128 -> 42.
        assert_eq!(caps(3, true, 0, 40, Malloc::GO1_19), vec![2, 5, 10, 21, 42]);
        // [24]byte: 24 -> 1; 48 -> 2; 96 -> 4; 192 -> 8; 384 -> 16.
        assert_eq!(caps(24, true, 0, 10, Malloc::GO1_19), vec![1, 2, 4, 8, 16]);
        // [100]byte: 100 -> 112 -> 1; 200 -> 208 -> 2; 400 -> 416 -> 4; 800 -> 896 -> 8.
        assert_eq!(caps(100, true, 0, 5, Malloc::GO1_19), vec![1, 2, 4, 8]);
    }

    #[test]
    fn a_presized_slice_allocates_once() {
        let mut s = Slice::make(8, true, 1000, Malloc::GO1_19);
        let mut growths = 0;
        s.append(1000, |_| growths += 1).unwrap();
        assert_eq!(growths, 0);
        // 8000 B -> the 8192 B size class.
        assert_eq!(
            s.stats(),
            SliceStats {
                allocs: 1,
                alloc_bytes: 8192,
                garbage_bytes: 0
            }
        );
        s.append(1, |_| growths += 1).unwrap();
        // A make'd capacity of 1000 (not a class multiple) grows by the large-slice rule:
        // 1000 + (1000+768)/4 = 1442, 11536 B -> 12288 B = 1536.
        assert_eq!((growths, s.cap()), (1, 1536));
    }

    #[test]
    fn zero_size_elements_never_allocate() {
        let mut s = Slice::make(0, true, 5, Malloc::GO1_19);
        s.append(100, |_| panic!("no growth is recorded")).unwrap();
        assert_eq!((s.len(), s.cap(), s.stats().allocs), (100, 100, 0));
    }

    #[test]
    fn reset_keeps_the_array_and_drop_makes_it_garbage() {
        let mut s = Slice::make(8, true, 0, Malloc::GO1_19);
        s.append(10, |_| {}).unwrap();
        assert_eq!((s.cap(), s.array_bytes()), (16, 128));
        s.reset();
        s.append(16, |_| panic!("fits in the kept array")).unwrap();
        assert_eq!(s.drop_array(), 128);
        // Growths 1, 2, 4, 8, 16: 8+16+32+64 B of garbage, then the 128 B array.
        assert_eq!(s.stats().garbage_bytes, 8 + 16 + 32 + 64 + 128);
        assert_eq!((s.len(), s.cap()), (0, 0));
    }

    #[test]
    fn an_array_past_max_alloc_is_go_s_growslice_panic() {
        // [100]byte, full at cap 2e12: newcap = 2e12 + (2e12+768)/4 = 2,500,000,000,192, whose
        // 250,000,000,019,200 B round up to whole 8 KiB pages, 250,000,000,024,576 B: cap
        // 2,500,000,000,245 (within 2^48 = 281,474,976,710,656 B). The next growth asks for
        // 3,125,000,000,498 elements, 312.5 TB: out of range, after 2e12 + 1 + 500,000,000,244
        // appends.
        let mut s = Slice::make(100, true, 2_000_000_000_000, Malloc::GO1_19);
        let mut grown = vec![];
        let r = s.append(2_600_000_000_001, |g| grown.push(g.cap_after));
        assert_eq!(r, Err(2_500_000_000_245));
        assert_eq!(grown, vec![2_500_000_000_245]);
        assert_eq!(s.len(), s.cap());
    }

    #[test]
    fn pointerful_arrays_carry_a_header_from_go1_22() {
        // go1.22 roundupsize(size, noscan=false) adds the 8 B malloc header above 512 B:
        // *int, cap 64 -> 65: 128 * 8 = 1024 B + 8 -> the 1152 B class, 1144 usable = 143.
        let c = caps(8, false, 0, 65, Malloc::GO1_22);
        assert_eq!(c.last(), Some(&143));
        assert_eq!(caps(8, false, 0, 65, Malloc::GO1_19).last(), Some(&128));
    }
}
