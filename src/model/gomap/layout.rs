//! The memory layout of a classic map's bucket for given key and elem types, on 64-bit Go.

use crate::model::malloc::{Malloc, PTR_SIZE};

/// `bucketCnt` (runtime/map.go): slots per bucket.
pub const BUCKET_CNT: usize = 8;
/// `maxKeySize` (runtime/map.go): a larger key is stored indirectly, as a pointer to its own
/// heap object.
const MAX_KEY_SIZE: u64 = 128;
/// `maxElemSize` (runtime/map.go): a larger elem is stored indirectly, as a pointer to its own
/// heap object.
const MAX_ELEM_SIZE: u64 = 128;

/// What the model needs to know about `map[K]V`: sizes, whether the GC must scan it, and
/// which release's allocator sizes its objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapLayout {
    /// `unsafe.Sizeof(K)`.
    pub key_size: u64,
    /// `unsafe.Sizeof(V)`.
    pub elem_size: u64,
    /// `unsafe.Alignof(K)`: with `elem_align`, it lays out a Swiss-map slot.
    pub key_align: u64,
    /// `unsafe.Alignof(V)`.
    pub elem_align: u64,
    /// K contains pointers.
    pub key_has_pointers: bool,
    /// V contains pointers.
    pub elem_has_pointers: bool,
    /// Size allocations with go1.22's malloc headers (see [`Malloc`]); false for go1.19–1.21.
    pub alloc_headers: bool,
    /// Which runtime functions the compiler calls for `m[k]`, `m[k] = v` and `delete(m, k)`
    /// (see [`fast_path_for`]).
    pub fast: FastPath,
}

impl MapLayout {
    /// `map[int64]int64`: the layout of the measured data and of the benchmarks. The compiler
    /// calls the `_fast64` functions for it.
    pub const INT64_INT64: MapLayout = MapLayout {
        key_size: 8,
        elem_size: 8,
        key_align: 8,
        elem_align: 8,
        key_has_pointers: false,
        elem_has_pointers: false,
        alloc_headers: false,
        fast: FastPath::Fast64,
    };

    /// A layout sized by the go1.19–go1.21 allocator (`alloc_headers: false`), whose
    /// operations go through the generic functions ([`FastPath::Slow`]). Alignments are those
    /// of the usual types of each size: the largest power of two up to 8 dividing it.
    pub fn new(
        key_size: u64,
        key_has_pointers: bool,
        elem_size: u64,
        elem_has_pointers: bool,
    ) -> Self {
        let align = |size: u64| {
            if size == 0 {
                1
            } else {
                (size & size.wrapping_neg()).min(8)
            }
        };
        MapLayout {
            key_size,
            elem_size,
            key_align: align(key_size),
            elem_align: align(elem_size),
            key_has_pointers,
            elem_has_pointers,
            alloc_headers: false,
            fast: FastPath::Slow,
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

    /// `t.bucketsize`: tophash `[8]uint8`, 8 keys, 8 elems, overflow pointer
    /// (reflectdata.MapBucketType). Key and elem alignment never exceed 8 on amd64 and every
    /// field offset is then a multiple of 8, so no padding is ever inserted.
    pub fn bucket_size(&self) -> u64 {
        BUCKET_CNT as u64 * (1 + self.key_slot() + self.elem_slot()) + PTR_SIZE
    }

    /// go1.24 `SwissMapType.SlotSize`: `struct{ key K; elem V }` with Go's alignment
    /// (cmd/compile/internal/reflectdata/map_swiss.go: SwissMapGroupType); an indirect key
    /// or elem is a pointer.
    pub fn swiss_slot_size(&self) -> u64 {
        let (ka, ks) = if self.indirect_key() {
            (PTR_SIZE, PTR_SIZE)
        } else {
            (self.key_align.max(1), self.key_size)
        };
        let (ea, es) = if self.indirect_elem() {
            (PTR_SIZE, PTR_SIZE)
        } else {
            (self.elem_align.max(1), self.elem_size)
        };
        let align = ka.max(ea);
        let elem_off = ks.div_ceil(ea) * ea;
        // cmd/compile/internal/types/size.go: a struct ending in a zero-size field gets a
        // byte of padding, so a pointer to that field stays inside the object.
        let end = if es == 0 && elem_off > 0 {
            elem_off + 1
        } else {
            elem_off + es
        };
        end.div_ceil(align) * align
    }

    /// go1.24 `SwissMapType.GroupSize`: the 8-byte control word, then 8 slots
    /// (reflectdata.SwissMapGroupType); `map[int64]int64`'s is 136 bytes.
    pub fn swiss_group_size(&self) -> u64 {
        match self.swiss_slot_size() {
            // `struct{ ctrl uint64; slots [8]struct{} }` ends in a zero-size field: a byte of
            // padding, then the uint64 alignment (cmd/compile/internal/types/size.go).
            0 => 16,
            slot => 8 + 8 * slot,
        }
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

/// The variant of the map functions the compiler picks for a map type
/// (cmd/compile/internal/walk/walk.go: mapfast and the `mapslow` … `mapfaststr` constants).
/// The variants search buckets differently (runtime/map_fast32.go, map_fast64.go,
/// map_faststr.go against map.go); the classic map follows the variant named here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum FastPath {
    /// `mapslow`: mapaccess1, mapassign, mapdelete of runtime/map.go.
    #[default]
    Slow,
    /// `mapfast32`: mapaccess1_fast32, mapassign_fast32, mapdelete_fast32.
    Fast32,
    /// `mapfast64` and, for a pointer key, `mapfast64ptr`: mapaccess1_fast64, mapassign_fast64
    /// (mapassign_fast64ptr, which searches alike), mapdelete_fast64.
    Fast64,
    /// `mapfaststr`: mapaccess1_faststr, mapassign_faststr, mapdelete_faststr.
    FastStr,
}

/// What cmd/compile/internal/types/alg.go: AlgType says of a key type, as far as mapfast
/// looks at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlg {
    /// `AMEM`: compared as plain memory (integers, bool, pointers, channels, unsafe.Pointer,
    /// arrays of those, `struct{}`).
    Mem,
    /// `ASTRING`: string, and arrays of one string.
    Str,
    /// Anything else: floats and complex numbers (`AFLOAT*`, `ACPLX*`), interfaces
    /// (`AINTER`, `ANILINTER`), arrays of two or more non-memory elements (`ASPECIAL`), and
    /// types that cannot be keys (`ANOEQ`).
    Other,
}

/// types.AlgType of a Go type written in the canonical syntax of
/// [`crate::scenario::GoType::text`]. Arrays follow the TARRAY case: an array of `AMEM`
/// elements, or of none, is `AMEM`; a one-element array is its element; any other array is
/// `ASPECIAL`. Struct types other than `struct{}` are not accepted by scenarios; they are
/// reported as [`KeyAlg::Other`], which keeps them on the generic functions.
pub fn key_alg(go_type: &str) -> KeyAlg {
    let t = go_type.trim();
    if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        return key_alg(inner);
    }
    if let Some(rest) = t.strip_prefix('[') {
        let Some((len, elem)) = rest.split_once(']') else {
            return KeyAlg::Other;
        };
        let Ok(n) = len.trim().parse::<u64>() else {
            // `[]T`: a slice, not comparable.
            return KeyAlg::Other;
        };
        return match (key_alg(elem), n) {
            (KeyAlg::Mem, _) | (_, 0) => KeyAlg::Mem,
            (a, 1) => a,
            _ => KeyAlg::Other,
        };
    }
    const MEM: [&str; 15] = [
        "bool",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "byte",
        "rune",
        "unsafe.Pointer",
    ];
    if t == "string" {
        KeyAlg::Str
    } else if MEM.contains(&t)
        || t.starts_with('*')
        || t.starts_with("chan ")
        || t.starts_with("chan<-")
        || t.starts_with("<-chan")
        || t.replace(' ', "") == "struct{}"
    {
        KeyAlg::Mem
    } else {
        KeyAlg::Other
    }
}

/// cmd/compile/internal/walk/walk.go: mapfast for `map[K]V` on amd64. An elem larger than
/// 128 bytes (`maxElemSize`) always takes the generic functions. Otherwise
/// reflectdata.AlgType turns an `AMEM` key into `AMEM32` or `AMEM64` by its size (amd64's
/// `Arch.Alignment` is 1, so its alignment test never applies): a 4-byte key without
/// pointers takes `mapfast32`, an 8-byte key `mapfast64` (`mapfast64ptr` when it is a
/// pointer, which searches alike); an `ASTRING` key takes `mapfaststr`. Every other key,
/// whatever its size, takes the generic functions.
pub fn fast_path_for(
    key: KeyAlg,
    key_size: u64,
    key_has_pointers: bool,
    elem_size: u64,
) -> FastPath {
    if elem_size > MAX_ELEM_SIZE {
        return FastPath::Slow;
    }
    match key {
        // A 4-byte key holding a pointer exists only where pointers are 4 bytes
        // (mapfast32ptr); on amd64 the compiler would stop with "small pointer".
        KeyAlg::Mem if key_size == 4 && !key_has_pointers => FastPath::Fast32,
        KeyAlg::Mem if key_size == 8 => FastPath::Fast64,
        KeyAlg::Str => FastPath::FastStr,
        _ => FastPath::Slow,
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

    /// mapfast for `map[key]elem`, with the sizes and pointer-ness scenarios give the types.
    fn fast(key: &str, elem: &str) -> FastPath {
        let k = crate::scenario::GoType::parse(key).unwrap();
        let e = crate::scenario::GoType::parse(elem).unwrap();
        fast_path_for(key_alg(k.text()), k.size(), k.has_pointers(), e.size())
    }

    #[test]
    fn four_byte_memory_keys_take_fast32() {
        // walk.go mapfast: AMEM32 without pointers => mapfast32.
        for k in [
            "int32",
            "uint32",
            "rune",
            "[4]byte",
            "[2]int16",
            "[1]uint32",
            "[4]bool",
        ] {
            assert_eq!(fast(k, "int64"), FastPath::Fast32, "{k}");
        }
    }

    #[test]
    fn eight_byte_memory_keys_and_pointers_take_fast64() {
        // AMEM64 => mapfast64; with pointers on a 64-bit target => mapfast64ptr, which
        // uses mapaccess1_fast64 and mapdelete_fast64 (mkmapnames adds "ptr" to mapassign
        // only).
        for k in [
            "int64",
            "uint64",
            "int",
            "uint",
            "uintptr",
            "[8]byte",
            "[2]int32",
            "[1]int64",
            "[2][2]int16",
            "*int",
            "unsafe.Pointer",
            "chan int",
            "<-chan int",
            "[1]*byte",
        ] {
            assert_eq!(fast(k, "int64"), FastPath::Fast64, "{k}");
        }
    }

    #[test]
    fn string_keys_take_faststr() {
        // ASTRING => mapfaststr; a one-element array is its element (types.AlgType TARRAY).
        assert_eq!(fast("string", "int64"), FastPath::FastStr);
        assert_eq!(fast("[1]string", "int64"), FastPath::FastStr);
        assert_eq!(fast("[1][1]string", "*int"), FastPath::FastStr);
        // Two strings compare specially (ASPECIAL); none is zero-size memory (AMEM0).
        assert_eq!(fast("[2]string", "int64"), FastPath::Slow);
        assert_eq!(fast("[0]string", "int64"), FastPath::Slow);
    }

    #[test]
    fn other_keys_take_the_generic_functions() {
        for k in [
            // AMEM8, AMEM16, AMEM128, AMEM0, and AMEM of other sizes.
            "int8",
            "bool",
            "byte",
            "int16",
            "[16]byte",
            "[2]int64",
            "struct{}",
            "[0]int64",
            "[3]byte",
            "[12]byte",
            // AFLOAT32/64, ACPLX64/128: float equality (+0 == -0, NaN != NaN).
            "float32",
            "float64",
            "complex64",
            "complex128",
            "[1]float64",
            // ASPECIAL: two or more non-memory elements.
            "[2]float32",
            // AINTER, ANILINTER.
            "any",
            "error",
            "interface{}",
            "interface{ String() string }",
            "[1]any",
        ] {
            assert_eq!(fast(k, "int64"), FastPath::Slow, "{k}");
        }
    }

    #[test]
    fn elems_over_128_bytes_take_the_generic_functions() {
        // walk.go mapfast: `if t.Elem().Size() > 128 { return mapslow }`.
        assert_eq!(fast("int64", "[128]byte"), FastPath::Fast64);
        assert_eq!(fast("int64", "[129]byte"), FastPath::Slow);
        assert_eq!(fast("int32", "[16]int64"), FastPath::Fast32);
        assert_eq!(fast("int32", "[17]int64"), FastPath::Slow);
        assert_eq!(fast("string", "[128]byte"), FastPath::FastStr);
        assert_eq!(fast("string", "[8]string"), FastPath::FastStr);
        assert_eq!(fast("string", "[9]string"), FastPath::Slow);
    }

    #[test]
    fn key_alg_reads_canonical_type_text() {
        assert_eq!(key_alg("(int64)"), KeyAlg::Mem);
        assert_eq!(key_alg("[2](int32)"), KeyAlg::Mem);
        assert_eq!(key_alg("[]int64"), KeyAlg::Other);
        assert_eq!(key_alg("map[int]int"), KeyAlg::Other);
        assert_eq!(key_alg("func()"), KeyAlg::Other);
        assert_eq!(key_alg("chan<- int"), KeyAlg::Mem);
        // A 4-byte key with pointers cannot exist on amd64; were one passed, it is not fast32.
        assert_eq!(fast_path_for(KeyAlg::Mem, 4, true, 8), FastPath::Slow);
    }

    #[test]
    fn constructors_pick_their_functions() {
        assert_eq!(MapLayout::new(8, false, 8, false).fast, FastPath::Slow);
        assert_eq!(MapLayout::INT64_INT64.fast, fast("int64", "int64"));
    }
}
