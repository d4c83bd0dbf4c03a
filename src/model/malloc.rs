//! Allocation sizes as Go's allocator rounds them: the size classes of go1.19
//! `runtime/sizeclasses.go` and `roundupsize` (`runtime/msize.go`), plus `growslice`'s
//! capacity rule (`runtime/slice.go`), so the model reports the bytes Go really allocates.

/// `_MaxSmallSize` (runtime/sizeclasses.go): objects this size and above are "large".
pub const MAX_SMALL_SIZE: u64 = 32768;
/// `_PageSize` = 1 << `_PageShift` (13) (runtime/sizeclasses.go).
pub const PAGE_SIZE: u64 = 8192;
/// `goarch.PtrSize` on the 64-bit platforms we model.
pub const PTR_SIZE: u64 = 8;

/// `class_to_size` of go1.19 runtime/sizeclasses.go, without class 0.
const CLASS_TO_SIZE: [u16; 67] = [
    8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352,
    384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
    2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728,
    10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672,
    32768,
];

/// The size `mallocgc` really allocates for a request of `size` bytes.
/// runtime/msize.go: roundupsize — the smallest size class that fits a small object
/// (the runtime's `size_to_class8`/`size_to_class128` tables encode exactly that), else
/// whole pages.
pub fn roundupsize(size: u64) -> u64 {
    if size < MAX_SMALL_SIZE {
        let i = CLASS_TO_SIZE.partition_point(|&c| u64::from(c) < size);
        return u64::from(CLASS_TO_SIZE[i]);
    }
    size.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE)
}

/// The capacity `append` gives a slice of `elem_size`-byte elements that must hold `needed`
/// elements and had `old_cap`. runtime/slice.go (go1.19): growslice — double below 256
/// elements, then grow by (newcap + 3*256)/4 until it fits, then round up to a size class.
pub fn growslice_cap(old_cap: u64, needed: u64, elem_size: u64) -> u64 {
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
    roundupsize(newcap * elem_size) / elem_size
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
}
